#!/usr/bin/env bash
# Installs what the build needs, builds gatelink and runs the whole test suite with ctest.
# Usage: scripts/test.sh [BUILD_DIR]   (GATELINK_SANITIZE=address|thread for a sanitizer build)
# The suite includes sanitizer_address: the same suite in an ASan + UBSan build of its own
# (scripts/sanitize.sh, in BUILD_DIR/sanitizer-address).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
bash scripts/deps.sh
# The test build is the Release flavour (-O3); the suite's packaging_install test builds the
# packages, which is the dpkg-buildflags flavour (hardening=+all). Both with warnings as errors.
bash scripts/configure.sh "$build" -DGATELINK_SANITIZER_SUITE=ON
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
