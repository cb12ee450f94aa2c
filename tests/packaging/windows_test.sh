#!/usr/bin/env bash
# The Windows build in the Linux suite (ctest packaging_windows): packaging/build.sh msi --test,
# which cross-builds gatelink for Windows, builds the MSI and runs the Windows suite under wine
# (tests/windows/windows.cmake). Only where the Windows tools are installed
# (packaging/windows/deps.sh installs them once); otherwise skipped (exit 77), so that the
# suite never installs a cross compiler and wine on its own.
set -euo pipefail
for tool in x86_64-w64-mingw32-g++-posix wine wixl msiinfo; do
  if ! command -v "$tool" >/dev/null; then
    echo "packaging_windows: skipped: $tool is not installed (bash packaging/windows/deps.sh" \
      "installs the Windows tools; then this runs packaging/build.sh msi --test)"
    exit 77
  fi
done
exec bash "$(dirname "$0")/../../packaging/build.sh" msi --test
