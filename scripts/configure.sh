#!/usr/bin/env bash
# Configures the Linux test build: scripts/configure.sh BUILD_DIR [cmake options...]
# (scripts/test.sh, scripts/demo.sh and packaging/build.sh msi --test make their build this way).
# The Release flavour (-O3) with warnings as errors, through ccache; GATELINK_SANITIZE=address|
# thread for a sanitizer build. The packages are the dpkg-buildflags flavour (packaging/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
shift
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_COMPILE_WARNING_AS_ERROR=ON -DGATELINK_CCACHE=ON \
  -DGATELINK_SANITIZE="${GATELINK_SANITIZE:-}" "$@"
