#!/usr/bin/env bash
# Installs the Debian 12 packages gatelink builds, tests and demos with (DESIGN's table).
# Skips apt when everything is already there, so repeated runs are quick.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libssl-dev openssl libtinyxml2-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev libsystemd-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  libxml2-utils libc-ares-dev
  iproute2 util-linux
  python3  # the ctypes host of tests/plugin
  debhelper dpkg-dev fakeroot lintian help2man  # packaging/build.sh deb
  debootstrap systemd-container  # tests/packaging: the Debian 12 root, and booting it
  wixl msitools  # packaging/msi: the MSI and the check of its tables
  gnuplot-nox  # tests/bench/fleet.cpp: the chart of docs/BENCHMARKS.md
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
