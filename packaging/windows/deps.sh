#!/usr/bin/env bash
# packaging/windows/deps.sh: everything the Windows (mingw-w64) cross build needs, from Debian.
#
#  1. apt-get installs the cross compiler, the MSI tools and wine (packages below).
#  2. Builds OpenSSL, tinyxml2 and c-ares for x86_64-w64-mingw32, static, from Debian's source
#     packages (`apt-get source`, at the version of the installed -dev package), and GoogleTest
#     from the sources Debian's googletest package installs (/usr/src/googletest), each into
#     $GATELINK_MINGW_CACHE/<source>-<version>/{include,lib}. A folder that is there and complete
#     is used as it is: a package is rebuilt only when its version changes.
#  3. Exposes the header-only libraries (Boost, nlohmann/json, CLI11, spdlog, fmt) as Debian
#     installs them, through a folder of symbolic links ($GATELINK_MINGW_CACHE/headers/include),
#     so that the cross build never has /usr/include (glibc's headers) on its include path.
#  4. Writes $GATELINK_MINGW_CACHE/mingw-deps.cmake, which cmake/mingw-w64-x86_64.cmake reads:
#     the prefixes of the above, for CMake's find root path.
#
# Parallel runs build once: all of it runs under a lock (flock) on $GATELINK_MINGW_CACHE/.lock.
# Nothing comes from anywhere but the Debian mirror of /etc/apt/sources.list*; a deb-src entry for
# it is added (/etc/apt/sources.list.d/gatelink-deb-src.sources) when apt has none.
#
# Environment: GATELINK_MINGW_CACHE  the cache folder (default /var/cache/gatelink-mingw)
#              GATELINK_MINGW_JOBS   parallel jobs for the builds (default 2)
# packaging/windows/README.md has the layout and the timings.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
toolchain=$top/cmake/mingw-w64-x86_64.cmake
cache=${GATELINK_MINGW_CACHE:-/var/cache/gatelink-mingw}
jobs=${GATELINK_MINGW_JOBS:-2}
host=x86_64-w64-mingw32

log() { echo "windows-deps: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# --- 1. Debian packages -------------------------------------------------------------------------
packages=(
  g++-mingw-w64-x86-64-posix mingw-w64-tools  # the cross compiler (POSIX threads: std::thread)
  wixl msitools                                # the MSI and its tables
  wine wine64                                  # the Windows programs in tests
  dpkg-dev cmake make perl                     # apt-get source, the builds below
  libssl-dev libtinyxml2-dev libc-ares-dev     # their versions name the sources to build
  googletest                                   # its sources: the unit tests run under wine
  libboost1.81-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev  # header-only
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]} (run as root, or install them)"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
fi

mkdir -p "$cache" 2>/dev/null || die "cannot create $cache (set GATELINK_MINGW_CACHE, or run as root)"
[ -w "$cache" ] || die "$cache is not writable (set GATELINK_MINGW_CACHE, or run as root)"
exec 9>"$cache/.lock"
flock 9

# --- 2. sources --------------------------------------------------------------------------------

# The source package and its version behind an installed binary package.
source_of() { dpkg-query -W -f='${source:Package} ${source:Version}\n' "$1"; }

# A deb-src entry for every Debian (bookworm*) entry apt has, same mirror, when there is none.
ensure_deb_src() {
  # Read whole first: grep -q leaving early would fail the pipeline (pipefail, SIGPIPE).
  local listed
  listed=$(apt-cache showsrc openssl 2>/dev/null || true)
  if grep -q '^Package:' <<<"$listed"; then return 0; fi
  [ "$(id -u)" -eq 0 ] || die "apt has no deb-src entries (run as root once, or add them)"
  local out=/etc/apt/sources.list.d/gatelink-deb-src.sources
  log "adding $out (deb-src of the configured Debian mirror)"
  {
    # deb822 files: each stanza whose Types has deb and whose suites are bookworm*.
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] && [ "$f" != "$out" ] || continue
      awk 'BEGIN { RS = ""; FS = "\n" }
        {
          types = ""; uris = ""; suites = ""; comps = ""; signed = ""
          for (i = 1; i <= NF; i++) {
            if ($i ~ /^Types:/) types = $i
            else if ($i ~ /^URIs:/) uris = $i
            else if ($i ~ /^Suites:/) suites = $i
            else if ($i ~ /^Components:/) comps = $i
            else if ($i ~ /^Signed-By:/) signed = $i
          }
          if (types ~ /[ \t]deb([ \t]|$)/ && suites ~ /^Suites:[ \t]+bookworm/) {
            print "Types: deb-src"; print uris; print suites; print comps
            if (signed != "") print signed
            print ""
          }
        }' "$f"
    done
    # One-line sources.list entries.
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      awk '$1 == "deb" && $0 !~ /^#/ {
          i = 2; opts = ""
          if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts $i " "; i++ } opts = opts $i " "; i++ }
          if ($(i + 1) !~ /^bookworm/) next
          uri = $i; suite = $(i + 1); comps = ""
          for (j = i + 2; j <= NF; j++) comps = comps " " $j
          print "Types: deb-src"; print "URIs: " uri; print "Suites: " suite
          print "Components:" comps; print ""
        }' "$f"
    done
  } >"$out.tmp"
  [ -s "$out.tmp" ] || die "no Debian (bookworm) entry in /etc/apt/sources.list*; cannot add deb-src"
  mv "$out.tmp" "$out"
  apt-get -o DPkg::Lock::Timeout=900 update -qq
}

# The versions of source package $1 to try, best first: $2 (the installed -dev package's), then
# the others the mirror lists, newest first. The installed one may be gone from the mirror (a
# point release or security update replaced it), and a suite's pool may lack a listed source
# (this machine's mirror answers 404 for bookworm-security's): the next one is tried then.
candidate_versions() {
  local name=$1 wanted=$2 versions
  versions=$(apt-cache showsrc "$name" 2>/dev/null | awk -v n="$name" \
    '/^Package:/ { p = $2 } /^Version:/ && p == n { print $2 }' | sort -u)
  [ -n "$versions" ] || die "the mirror lists no source for $name"
  if grep -qxF -- "$wanted" <<<"$versions"; then echo "$wanted"; fi
  # The rest newest first, in dpkg's order (a selection sort: a handful of versions).
  local rest=() v best i
  mapfile -t rest < <(grep -vxF -- "$wanted" <<<"$versions")
  while [ ${#rest[@]} -gt 0 ]; do
    best=0
    for i in "${!rest[@]}"; do
      dpkg --compare-versions "${rest[$i]}" gt "${rest[$best]}" && best=$i
    done
    echo "${rest[$best]}"
    unset 'rest[best]'
    rest=("${rest[@]}")
  done
}

# Unpacks source package $1 at version $2 into folder $3 (emptied first); echoes the tree, or
# fails when the mirror cannot deliver it.
fetch_source() {
  local name=$1 version=$2 work=$3
  rm -rf -- "$work"
  mkdir -p "$work"
  # As root apt warns that it cannot drop to _apt for the download; harmless.
  (cd "$work" && apt-get source -qq "$name=$version" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2;
   exit "${PIPESTATUS[0]}") || return 1
  local tree
  tree=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)
  [ -n "$tree" ] || return 1
  echo "$tree"
}

# --- 3. builds ---------------------------------------------------------------------------------

# Windows paths that OpenSSL compiles in: where it looks for openssl.cnf (OPENSSLDIR), engines
# and providers. Left at the cache's path they would read C:\var\cache\..., a folder any local
# user may create, and the agent (running as SYSTEM) would load their configuration or DLLs
# (CVE-2019-1552 was this). Under Program Files only administrators can write.
openssl_windows_prefix="C:/Program Files/gatelink/openssl"

build_openssl() {  # <tree> <prefix>
  local tree=$1 prefix=$2
  # mingw64: the Windows x64 target; CC without the prefix, which Configure prepends.
  # no-shared: static libcrypto/libssl inside gatelink.dll, nothing to ship beside it.
  # Installed into the cache by overriding the install locations only (make does not rebuild).
  (cd "$tree" &&
    CC=gcc-posix ./Configure mingw64 --cross-compile-prefix=$host- no-shared no-tests \
      no-module --prefix="$openssl_windows_prefix" --openssldir="$openssl_windows_prefix/ssl" \
      --libdir=lib -D_WIN32_WINNT=0x0A00 >&2 &&
    nice -n 10 make -s -j"$jobs" build_libs >&2 &&
    make -s install_dev INSTALLTOP="$prefix" OPENSSLDIR="$prefix/ssl" libdir="$prefix/lib" >&2)
}

build_cmake() {  # <tree> <prefix> <cmake options...>; builds in <prefix>.build
  local tree=$1 prefix=$2
  shift 2
  rm -rf -- "$prefix.build"
  cmake -S "$tree" -B "$prefix.build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DGATELINK_MINGW_NO_DEPS=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF "$@" >&2
  nice -n 10 cmake --build "$prefix.build" -j"$jobs" >&2
  cmake --install "$prefix.build" >&2
  rm -rf -- "$prefix.build"
}

build_tinyxml2() { build_cmake "$1" "$2" -Dtinyxml2_BUILD_TESTING=OFF -DBUILD_TESTING=OFF; }
# INADDRSZ: Debian's backport of the CVE-2023-31130 fix (inet_net_pton.c) uses glibc's name
# from <arpa/nameser.h> for the size of an IPv4 address; Windows has no such header.
build_c_ares() {
  build_cmake "$1" "$2" -DCARES_STATIC=ON -DCARES_SHARED=OFF -DCARES_BUILD_TOOLS=OFF \
    -DCARES_BUILD_TESTS=OFF -DCARES_INSTALL=ON -DCMAKE_C_FLAGS=-DINADDRSZ=4
}

prefixes=()

# Bumped whenever a build recipe above changes: a cached build from another recipe is redone.
recipe=2

# Whether $1 is a complete build of the current recipe.
complete() { [ -f "$1/.complete" ] && [ "$(awk '{ print $3 }' "$1/.complete")" = "$recipe" ]; }

# Builds source package <name> (version of installed <dev-package>) with build_<fn> once.
cached_build() {  # <dev-package> <fn>
  local dev=$1 fn=$2 name installed version prefix
  read -r name installed < <(source_of "$dev")
  prefix=$cache/$name-$installed
  # Named after the installed version when that is what was built; the mirror's otherwise.
  if ! complete "$prefix"; then
    local alt
    alt=$(find "$cache" -mindepth 2 -maxdepth 2 -name .complete -path "$cache/$name-*" \
      -exec cat {} \; 2>/dev/null |
      awk -v i="$installed" -v r="$recipe" '$2 == i && $3 == r { print $1 }' | head -n1)
    if [ -n "$alt" ]; then prefix=$cache/$name-$alt; fi
  fi
  if complete "$prefix"; then
    log "$name: cached in $prefix"
    prefixes+=("$prefix")
    return
  fi
  ensure_deb_src
  local start=$SECONDS work=$cache/.build/$name tree=""
  while read -r version; do
    prefix=$cache/$name-$version
    if complete "$prefix"; then tree=cached; break; fi
    [ "$version" = "$installed" ] || log "$name: $installed (installed) not on the mirror; trying $version"
    if tree=$(fetch_source "$name" "$version" "$work"); then break; fi
    log "$name $version: the mirror cannot deliver it"
    tree=""
  done < <(candidate_versions "$name" "$installed")
  [ -n "$tree" ] || die "$name: no source version could be fetched from the mirror"
  if [ "$tree" != cached ]; then
    log "$name $version: building for $host"
    rm -rf -- "$prefix.partial"
    "build_$fn" "$tree" "$prefix.partial" || die "$name $version: build failed"
    rm -rf -- "$prefix"
    mv -- "$prefix.partial" "$prefix"
    # The built version, the installed -dev version it stands for, the recipe.
    echo "$version $installed $recipe" >"$prefix/.complete"
    rm -rf -- "$work"
    log "$name $version: built in $((SECONDS - start)) s"
  fi
  prefixes+=("$prefix")
}

# GoogleTest from Debian's own copy of its sources (package googletest, /usr/src/googletest):
# nothing to fetch. Built like the others, once per version of that package.
cached_local_build() {  # <package> <source folder> <fn>
  local package=$1 tree=$2 fn=$3 version prefix start=$SECONDS
  version=$(dpkg-query -W -f='${Version}' "$package")
  prefix=$cache/$package-$version
  if complete "$prefix"; then
    log "$package: cached in $prefix"
  else
    [ -f "$tree/CMakeLists.txt" ] || die "$tree/CMakeLists.txt is missing (package $package)"
    log "$package $version: building for $host"
    rm -rf -- "$prefix.partial"
    "build_$fn" "$tree" "$prefix.partial" || die "$package $version: build failed"
    rm -rf -- "$prefix"
    mv -- "$prefix.partial" "$prefix"
    echo "$version $version $recipe" >"$prefix/.complete"
    log "$package $version: built in $((SECONDS - start)) s"
  fi
  prefixes+=("$prefix")
}

# gtest and gmock static, with their CMake package (GTest::gtest, GTest::gmock, GTest::gtest_main).
build_googletest() { build_cmake "$1" "$2" -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON; }

for tool in $host-gcc-posix $host-g++-posix $host-windres; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done

cached_build libssl-dev openssl
cached_build libtinyxml2-dev tinyxml2
cached_build libc-ares-dev c_ares
cached_local_build googletest /usr/src/googletest googletest

# --- 4. header-only libraries -----------------------------------------------------------------
# Links to Debian's own folders (they follow upgrades of the packages); rebuilt every run (cheap)
# and swapped in whole. spdlog's tweakme.h in Debian sets SPDLOG_FMT_EXTERNAL: fmt is used in its
# header-only mode (FMT_HEADER_ONLY, cmake/WindowsDependencies.cmake).
headers=$cache/headers
rm -rf -- "$headers.partial"
mkdir -p "$headers.partial/include"
for d in boost nlohmann CLI spdlog fmt; do
  [ -d "/usr/include/$d" ] || die "/usr/include/$d is missing (its -dev package is not installed)"
  ln -s "/usr/include/$d" "$headers.partial/include/$d"
done
rm -rf -- "$headers"
mv -- "$headers.partial" "$headers"
prefixes+=("$headers")

{
  echo "# Written by packaging/windows/deps.sh: the prefixes of the mingw-w64 dependencies."
  printf 'set(GATELINK_MINGW_PREFIXES\n'
  for p in "${prefixes[@]}"; do printf '  "%s"\n' "$p"; done
  printf ')\n'
} >"$cache/mingw-deps.cmake.tmp"
mv -- "$cache/mingw-deps.cmake.tmp" "$cache/mingw-deps.cmake"
log "ready: $cache/mingw-deps.cmake"
