#!/usr/bin/env bash
# Builds gatelink with a sanitizer and runs the suite in that build.
# Usage: scripts/sanitize.sh address|thread [BUILD_DIR] [--whole-suite]
#   address: ASan + UBSan (errors are fatal, leaks too); thread: TSan. BUILD_DIR defaults to
#   build-address or build-thread.
#   Without --whole-suite the packaging tests (they build the packages with their own flags and
#   run no instrumented code) and the benchmarks are left out. With it, every test of the suite
#   runs: scripts/test.sh, CI's command, is this with address.
# -O1 with assertions on: instrumented code at -O3 costs twice the compile time and finds no more.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/sanitize.sh address|thread [BUILD_DIR] [--whole-suite]" >&2; exit 2; }
kind=${1:-}
case $kind in address | thread) ;; *) usage ;; esac
shift
build=build-$kind
whole=false
for arg in "$@"; do
  case $arg in
    --whole-suite) whole=true ;;
    -*) usage ;;
    *) build=$arg ;;
  esac
done
supp=$PWD/tests/sanitizers

bench=OFF
filter=(-LE packaging)
if $whole; then
  bench=ON
  filter=()
fi

bash scripts/deps.sh
GATELINK_SANITIZE=$kind bash scripts/configure.sh "$build" -DGATELINK_BUILD_BENCH=$bench \
  -DCMAKE_C_FLAGS_RELEASE=-O1 -DCMAKE_CXX_FLAGS_RELEASE=-O1
cmake --build "$build" -j "$(nproc)"

# Reports fail the test that caused them; the suppressions are for Debian's uninstrumented
# libraries only, each with its reason (tests/sanitizers/).
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "${filter[@]}"
