#!/usr/bin/env bash
# Builds gatelink with a sanitizer and runs the suite in that build.
# Usage: scripts/sanitize.sh address|thread [BUILD_DIR]   (default build-address, build-thread)
#   address: ASan + UBSan (errors are fatal, leaks too); thread: TSan.
# The packaging tests and the benchmarks are left to the normal build: they build and install
# the packages and measure, and instrumentation would change neither result. -O1 with
# assertions on: instrumented code at -O3 costs twice the compile time and finds no more.
# scripts/test.sh runs the address build as the suite's test `sanitizer_address`.
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:?usage: scripts/sanitize.sh address|thread [BUILD_DIR]}
case $kind in address | thread) ;; *) echo "sanitize: address or thread, not $kind" >&2; exit 2 ;; esac
build=${2:-build-$kind}
supp=$PWD/tests/sanitizers

bash scripts/deps.sh
GATELINK_SANITIZE=$kind bash scripts/configure.sh "$build" -DGATELINK_BUILD_BENCH=OFF \
  -DGATELINK_SANITIZER_SUITE=OFF -DCMAKE_C_FLAGS_RELEASE=-O1 -DCMAKE_CXX_FLAGS_RELEASE=-O1
cmake --build "$build" -j "$(nproc)"

# Reports fail the test that caused them; the suppressions are for Debian's uninstrumented
# libraries only, each with its reason (tests/sanitizers/).
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" -LE packaging
