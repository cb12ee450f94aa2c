#!/usr/bin/env bash
# Builds the libFuzzer programs and runs every one of them over its seeds for SECONDS each, then
# prints per target: executions, corpus size, coverage and crashes (tests/fuzz/README.md).
#
#   tests/fuzz/run_all.sh SECONDS [BUILD_DIR]     (BUILD_DIR: build-fuzz in the source tree)
#
# The build is clang's with GATELINK_BUILD_FUZZ=ON, configured here when BUILD_DIR has none. Each
# target's corpus grows in BUILD_DIR/fuzz/corpus/NAME across runs (the seeds, written by the
# build, stay as they are); a crash stops that target's run and leaves its input in
# BUILD_DIR/fuzz/crashes/NAME/. Exit status 1 when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:?usage: tests/fuzz/run_all.sh SECONDS [BUILD_DIR]}
build=${2:-build-fuzz}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "SECONDS must be a whole number" >&2; exit 2; }

if [[ ! -f $build/CMakeCache.txt ]]; then
  CC=clang CXX=clang++ bash scripts/configure.sh "$build" -DGATELINK_BUILD_FUZZ=ON \
    -DGATELINK_BUILD_BENCH=OFF
elif ! grep -q '^GATELINK_BUILD_FUZZ:BOOL=ON$' "$build/CMakeCache.txt"; then
  echo "$build is not a fuzz build (configure it with -DGATELINK_BUILD_FUZZ=ON and clang)" >&2
  exit 2
fi
cmake "$build" >/dev/null  # the target list (fuzz/targets.txt) is written at configure time

mapfile -t targets < <(awk '{ print $1 }' "$build/fuzz/targets.txt")
declare -A max_len
while read -r name len; do max_len[$name]=$len; done <"$build/fuzz/targets.txt"

nice -n 19 cmake --build "$build" -j "$(nproc)" --target fuzz_seeds "${targets[@]/%/_fuzz}"

out=$build/fuzz
failed=0
report=()
for name in "${targets[@]}"; do
  corpus=$out/corpus/$name
  crashes=$out/crashes/$name
  log=$out/logs/$name.log
  mkdir -p "$corpus" "$crashes" "$out/logs"
  echo "== $name: ${seconds} s"
  # New inputs go into the first folder, the corpus; the seeds are read only.
  status=0
  nice -n 19 "$build/bin/${name}_fuzz" -max_total_time="$seconds" -max_len="${max_len[$name]}" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" \
    "$corpus" "$out/seeds/$name" >"$log" 2>&1 || status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  # The last status line: "#N  DONE  cov: C ft: F corp: U/SIZE ..." (or the line before a crash).
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  found=$(find "$crashes" -type f | wc -l)
  if ((status != 0 || found > 0)); then
    failed=1
    grep -E '^==[0-9]+==ERROR|^SUMMARY|^[a-z_]+_fuzz: ' "$log" | head -5 || true
  fi
  report+=("$(printf '%-16s %12s %8s %12s %6s %8s' "$name" "${executions:-?}" \
    "$(ls "$corpus" | wc -l)" "${corp:-?}" "${cov:-?}" "$found")")
done

echo
printf '%-16s %12s %8s %12s %6s %8s\n' target executions files 'corp(u/size)' cov crashes
printf '%s\n' "${report[@]}"
echo "(files: inputs in $out/corpus/NAME; corp: libFuzzer's corpus at the end; logs in $out/logs)"
exit "$failed"
