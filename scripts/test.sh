#!/usr/bin/env bash
# Installs what the build needs, builds gatelink and its tests with ASan + UBSan and runs the
# whole suite there with ctest (scripts/sanitize.sh address BUILD_DIR --whole-suite).
# Usage: scripts/test.sh [BUILD_DIR]   (default build-address)
# One build for the suite: the sanitizers see every test, and CI stays within its time. The other
# flavours are built by the suite's own tests, warnings as errors: packaging_install builds the
# packages (Debian's dpkg-buildflags, hardening=+all), packaging_windows the Release build for
# Windows (where the Windows tools are installed). scripts/demo.sh builds the Release flavour.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/sanitize.sh address "${1:-build-address}" --whole-suite
