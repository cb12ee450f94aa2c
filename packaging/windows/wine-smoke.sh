#!/usr/bin/env bash
# packaging/windows/wine-smoke.sh [DIST]: cross-compiles abi_smoke.c against gatelink.h and runs
# it under Debian's wine on DIST/gatelink.dll (default dist/windows, from build.sh msi).
# WINEPREFIX: a private one under the build cache unless set (made on first use, ~10 s).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dist=$(cd "${1:-$top/dist/windows}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gatelink-wine.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
x86_64-w64-mingw32-gcc-posix -std=c11 -Wall -Wextra -Werror -O2 -static \
  -I"$top/plugin/include" "$here/abi_smoke.c" -o "$work/abi_smoke.exe"
cp -- "$dist/gatelink.dll" "$work/"
export WINEPREFIX=${WINEPREFIX:-${GATELINK_MINGW_CACHE:-/var/cache/gatelink-mingw}/wine}
export WINEDEBUG=${WINEDEBUG:--all} WINEDLLOVERRIDES="mscoree,mshtml="  # no Mono/Gecko prompts
# Debian 12: `wine` runs 64-bit programs too (it picks /usr/lib/wine/wine64).
(cd "$work" && wine abi_smoke.exe gatelink.dll)
