#!/usr/bin/env bash
# Installs what the build needs, builds gatelink and runs the whole test suite with ctest.
# Usage: scripts/test.sh [BUILD_DIR]   (GATELINK_SANITIZE=address|thread for a sanitizer build)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
bash scripts/deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_COMPILE_WARNING_AS_ERROR=ON -DGATELINK_CCACHE=ON \
  -DGATELINK_SANITIZE="${GATELINK_SANITIZE:-}"
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
