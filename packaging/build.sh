#!/usr/bin/env bash
# packaging/build.sh deb [--test]: builds gatelink's Debian packages into dist/ (top of the
# repository) with dpkg-buildpackage from a copy of the working tree, packaging/debian as debian/,
# then runs lintian on them. --test then runs the install test (tests/packaging/install_test.sh).
#
# packaging/build.sh msi: the Windows x64 build (mingw-w64, packaging/windows/README.md):
# packaging/windows/deps.sh (cross compiler, OpenSSL/tinyxml2/c-ares for mingw, cached), then a
# cross build with cmake/mingw-w64-x86_64.cmake, and gatelink.dll (with its import library and
# headers) and the programs that link in dist/windows/.
#
# Environment: GATELINK_DEB_WORKDIR  folder for the source copy (default: a new temporary
#                                    folder, removed after a successful build)
#              GATELINK_CCACHE=1     compile through ccache (a developer's rebuilds; off for
#                                    release builds)
#              DEB_BUILD_OPTIONS     passed on, after parallel=2
#              GATELINK_WIN_BUILD_DIR  the Windows build folder (default: build-windows at the
#                                    top of the repository; kept for quick rebuilds)
#              GATELINK_MINGW_CACHE  the dependency cache of packaging/windows/deps.sh
# Then: lintian (errors and warnings fail), and packaging/check-units.sh (systemd-analyze).
# packaging/README.md lists what comes out and where it installs.
set -euo pipefail

usage() {
  echo "usage: packaging/build.sh deb [--test] | msi" >&2
  exit 2
}
if [ $# -lt 1 ] || { [ "$1" != deb ] && [ "$1" != msi ]; }; then usage; fi
what=$1
shift
run_test=false
for arg in "$@"; do
  case "$arg" in
    --test) [ "$what" = deb ] || usage; run_test=true ;;
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
  # Tests stay off: they run under wine in a later step (packaging/windows/README.md).
  cmake -S "$top" -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$top/cmake/mingw-w64-x86_64.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DGATELINK_CCACHE="$ccache"
  nice -n 10 cmake --build "$build" -j2 --target gatelink

  out=$dist/windows
  rm -rf -- "$out"
  mkdir -p "$out/include/gatelink"
  cp -- "$build/bin/gatelink.dll" "$out/"
  cp -- "$(find "$build" -name libgatelink.dll.a -print -quit)" "$out/"  # the import library
  cp -- plugin/include/gatelink/gatelink.h plugin/include/gatelink/gatelink.hpp "$out/include/gatelink/"
  x86_64-w64-mingw32-strip --strip-unneeded "$out/gatelink.dll"

  # The programs, as far as they are ported (agent/: the named-pipe status endpoint and the
  # service wrapper). A program that does not build yet is reported, not fatal, until the MSI
  # step below needs it.
  for program in gatelink-agent gatelinkctl; do
    if nice -n 10 cmake --build "$build" -j2 --target "$program" >"$build/$program.log" 2>&1; then
      cp -- "$build/bin/$program.exe" "$out/"
      x86_64-w64-mingw32-strip --strip-unneeded "$out/$program.exe"
    else
      echo "build.sh: $program.exe does not build for Windows yet (log: $build/$program.log)" >&2
    fi
  done

  # The MSI (packaging/msi/gatelink.wxs, wixl) from the files in $out, once both programs build.
  cp -- config/agent.xsd config/topology.xsd "$out/"
  version=$(sed -nE 's/^project\(gatelink VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
  if [ -f "$out/gatelink-agent.exe" ] && [ -f "$out/gatelinkctl.exe" ]; then
    bash packaging/msi/build-msi.sh "$out" "$dist/gatelink-agent-$version-x64.msi" "$version"
  else
    echo "build.sh: no MSI: the Windows programs are not all built" >&2
  fi

  echo "build.sh: Windows files in dist/windows/ after $((SECONDS - start)) s:"
  ls -l "$out"
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
rm -rf -- "$dist"
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
  bash "$install_test" dist
fi
