#!/usr/bin/env bash
# packaging/build.sh deb [--test]: builds gatelink's Debian packages into dist/ (top of the
# repository) with dpkg-buildpackage from a copy of the working tree, packaging/debian as debian/,
# then runs lintian on them. --test then runs the install test (tests/packaging/install_test.sh).
#
# packaging/build.sh msi [--test]: the Windows x64 build (mingw-w64, packaging/windows/README.md):
# packaging/windows/deps.sh (cross compiler, OpenSSL/tinyxml2/c-ares/GoogleTest for mingw,
# cached), a cross build with cmake/mingw-w64-x86_64.cmake, gatelink.dll (with its import library
# and headers) and the programs in dist/windows/, and the MSI in dist/. --test then runs, with
# ctest in the Windows build folder: the unit suites under wine, the MSI's tables, the Windows
# agent against Linux reference gateways, and the MSI installed under wine.
#
# Environment: GATELINK_DEB_WORKDIR  folder for the source copy (default: a new temporary
#                                    folder, removed after a successful build)
#              GATELINK_CCACHE=1     compile through ccache (a developer's rebuilds; off for
#                                    release builds)
#              DEB_BUILD_OPTIONS     passed on, after parallel=2
#              GATELINK_WIN_BUILD_DIR  the Windows build folder (default: build-windows at the
#                                    top of the repository; kept for quick rebuilds)
#              GATELINK_MINGW_CACHE  the dependency cache of packaging/windows/deps.sh
#              GATELINK_BIN_DIR      msi --test: a Linux build's bin/ with gatelink-gateway
#                                    (default: built in GATELINK_LINUX_BUILD_DIR, default build/)
# Then: lintian (errors and warnings fail), and packaging/check-units.sh (systemd-analyze).
# packaging/README.md lists what comes out and where it installs.
set -euo pipefail

usage() {
  echo "usage: packaging/build.sh deb|msi [--test]" >&2
  exit 2
}
if [ $# -lt 1 ] || { [ "$1" != deb ] && [ "$1" != msi ]; }; then usage; fi
what=$1
shift
run_test=false
for arg in "$@"; do
  case "$arg" in
    --test) run_test=true ;;
    *) usage ;;
  esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
dist=$top/dist
cd "$top"

if [ "$what" = msi ]; then
  start=$SECONDS
  bash packaging/windows/deps.sh
  echo "build.sh: Windows dependencies ready after $((SECONDS - start)) s"
  build=${GATELINK_WIN_BUILD_DIR:-$top/build-windows}
  ccache=OFF
  if [ "${GATELINK_CCACHE:-0}" = 1 ]; then
    ccache=ON
    export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1
    export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  fi
  out=$dist/windows

  # --test: the Linux reference gateway the Windows agent meets under wine, from GATELINK_BIN_DIR
  # or built in the Linux build folder (scripts/configure.sh, as scripts/test.sh makes it).
  linux_bin=""
  if $run_test; then
    linux_bin=${GATELINK_BIN_DIR:-}
    if [ -z "$linux_bin" ]; then
      linux_build=${GATELINK_LINUX_BUILD_DIR:-$top/build}
      bash scripts/deps.sh
      [ -f "$linux_build/CMakeCache.txt" ] || bash scripts/configure.sh "$linux_build"
      nice -n 10 cmake --build "$linux_build" -j2 --target gatelink-gateway
      linux_bin=$linux_build/bin
    fi
    linux_bin=$(cd "$linux_bin" && pwd)
  fi

  # Warnings are errors: this build is only ever made here, with Debian's mingw-w64. The unit
  # tests are built with --test and run under wine (tests/windows/windows.cmake).
  testing=OFF
  if $run_test; then testing=ON; fi
  cmake -S "$top" -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$top/cmake/mingw-w64-x86_64.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_COMPILE_WARNING_AS_ERROR=ON -DBUILD_TESTING="$testing" \
    -DGATELINK_CCACHE="$ccache" -DGATELINK_WINDOWS_DIST="$out" -DGATELINK_LINUX_BIN_DIR="$linux_bin"
  nice -n 10 cmake --build "$build" -j2

  rm -rf -- "$out"
  mkdir -p "$out/include/gatelink"
  cp -- "$build/bin/gatelink.dll" "$build/bin/gatelink-agent.exe" "$build/bin/gatelinkctl.exe" "$out/"
  cp -- "$(find "$build" -name libgatelink.dll.a -print -quit)" "$out/"  # the import library
  cp -- plugin/include/gatelink/gatelink.h plugin/include/gatelink/gatelink.hpp "$out/include/gatelink/"
  cp -- config/agent.xsd config/topology.xsd "$out/"
  for f in gatelink.dll gatelink-agent.exe gatelinkctl.exe; do
    x86_64-w64-mingw32-strip --strip-unneeded "$out/$f"
  done

  # The MSI (packaging/msi/gatelink.wxs, wixl) from the files in $out.
  version=$(sed -nE 's/^project\(gatelink VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
  msi=$dist/gatelink-agent-$version-x64.msi
  bash packaging/msi/build-msi.sh "$out" "$msi" "$version"

  echo "build.sh: Windows files in dist/windows/ and $(basename "$msi") after $((SECONDS - start)) s:"
  ls -l "$out" "$msi"

  # The unit suites under wine, the MSI's tables, the Windows agent against the Linux gateway
  # and the MSI installed under wine: one ctest run and its summary.
  if $run_test; then
    ctest --test-dir "$build" --output-on-failure -j2
  fi
  exit 0
fi

# Fail before building when the install test is asked for and is not there.
install_test=tests/packaging/install_test.sh
if $run_test && [ ! -f "$install_test" ]; then
  echo "build.sh: $install_test is missing; cannot run the install test" >&2
  exit 1
fi

bash scripts/deps.sh

source_name=$(dpkg-parsechangelog -l packaging/debian/changelog -S Source)
version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
upstream=${version%-*}

if [ -n "${GATELINK_DEB_WORKDIR:-}" ]; then
  workdir=$GATELINK_DEB_WORKDIR
  keep_workdir=true
  mkdir -p "$workdir"
else
  workdir=$(mktemp -d "${TMPDIR:-/tmp}/gatelink-deb.XXXXXX")
  keep_workdir=false
fi
tree=$workdir/$source_name-$upstream
rm -rf -- "$tree" "$workdir"/*.deb "$workdir"/*.changes "$workdir"/*.buildinfo
mkdir -p "$tree"

# The working tree as git sees it (tracked and new files, ignored ones left out, deleted ones
# skipped), so uncommitted changes are packaged as they are.
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$tree"
cp -a packaging/debian "$tree/debian"

if [ "${GATELINK_CCACHE:-0}" = 1 ]; then
  # CMake takes its compiler launcher from these on the first configure.
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_BASEDIR=$workdir CCACHE_NOHASHDIR=1
  # The Asio translation units use precompiled headers, which ccache caches only so.
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
fi
export DEB_BUILD_OPTIONS="parallel=2${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}"
(cd "$tree" && nice dpkg-buildpackage -b --no-sign)

# dist/: the four packages on top; debug symbols (dbgsym) in dist/dbgsym; the .changes and
# .buildinfo beside them; lintian's report in dist/lintian.txt.
# Only the Debian build's own files are replaced: the Windows build's (dist/windows, the MSI)
# stay.
rm -rf -- "$dist/dbgsym" "$dist"/*.deb "$dist"/*.changes "$dist"/*.buildinfo "$dist/lintian.txt"
mkdir -p "$dist/dbgsym"
changes=${source_name}_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).changes
for f in "$workdir"/*.deb; do
  case "$(basename "$f")" in
    *-dbgsym_*) mv -- "$f" "$dist/dbgsym/" ;;
    *) mv -- "$f" "$dist/" ;;
  esac
done
mv -- "$workdir/$changes" "$workdir"/*.buildinfo "$dist/"

# Errors and warnings fail the build: every remaining one is fixed or overridden with its
# reason (packaging/README.md "lintian").
echo "build.sh: lintian"
lintian_status=0
lintian --fail-on error,warning --display-info --color never \
  "$dist"/*.deb >"$dist/lintian.txt" 2>&1 || lintian_status=$?
cat "$dist/lintian.txt"
if [ "$lintian_status" -ne 0 ]; then
  echo "build.sh: lintian found errors or warnings (dist/lintian.txt)" >&2
  exit 1
fi

# Both units pass systemd-analyze verify and rate below 2.0 ("OK") in systemd-analyze security.
bash packaging/check-units.sh "$dist"

$keep_workdir || rm -rf -- "$workdir"
echo "build.sh: packages in dist/:"
ls -1 "$dist"/*.deb

if $run_test; then
  bash "$install_test" "$dist"
fi
