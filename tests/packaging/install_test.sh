#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2317  # dpkg-query formats are literal; check and wait_for call functions indirectly
# Install test of gatelink's Debian packages: installs DIST_DIR's debs into a clean Debian 12
# root (debootstrap, cached), checks files, users, modes and conffiles, runs the installed
# gateway and agent from the installed files with a lab CA, upgrades to a "next build", removes
# and purges; then, where this machine lets systemd-nspawn boot the root, checks the units.
# Usage: install_test.sh DIST_DIR. Exit 0 all checks passed, 1 a check failed, 77 cannot run here
# (not root, a tool missing). What it does and why: tests/packaging/README.md.
set -euo pipefail

usage() { echo "usage: $0 DIST_DIR" >&2; exit 64; }
[ $# -eq 1 ] || usage
dist=$(cd "$1" && pwd)

cache=${GATELINK_PACKAGING_CACHE:-/var/cache/gatelink-packaging}
max_age_days=${GATELINK_ROOT_MAX_AGE_DAYS:-7}
mirror=${GATELINK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

skip() { echo "install_test: SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot, mounts)"
for tool in debootstrap dpkg-deb chroot python3 ss flock; do
  command -v "$tool" >/dev/null || skip "$tool not found (scripts/deps.sh installs it)"
done

# --- checks -----------------------------------------------------------------------------------
passed=0
failed=0
failures=()
pass() { passed=$((passed + 1)); echo "ok    $*"; }
fail() { failed=$((failed + 1)); failures+=("$*"); echo "FAIL  $*"; }
# check DESCRIPTION COMMAND...: one line, pass or fail, never stops the run.
# On failure the last lines the command printed follow, indented.
check() {
  local what=$1 out
  shift
  out=$(mktemp)
  if "$@" >"$out" 2>&1; then
    pass "$what"
  else
    fail "$what"
    tail -n 8 "$out" | sed 's/^/      /'
  fi
  cat "$out" >>"$work/checks.log"
  rm -f "$out"
}
# wait_for SECONDS COMMAND...: polls COMMAND until it succeeds or the deadline passes.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}
summary() {
  echo "install_test: $passed passed, $failed failed"
  local f
  for f in "${failures[@]+"${failures[@]}"}"; do echo "  failed: $f"; done
}

# --- the cached root --------------------------------------------------------------------------
tarball=$cache/$suite-minbase.tar.gz
make_root_tarball() {
  local tmp
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  echo "install_test: debootstrap $suite ($mirror) into the cache; this takes a few minutes"
  # systemd and dbus: for systemd-analyze verify and for booting the root with systemd-nspawn.
  if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus \
      "$suite" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
    tail -20 "$tmp/debootstrap.log" >&2
    rm -rf --one-file-system "$tmp"
    echo "install_test: FAIL debootstrap of $suite failed" >&2
    exit 1
  fi
  rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*
  tar -C "$tmp/root" --numeric-owner -czf "$tmp/root.tar.gz" .
  mv "$tmp/root.tar.gz" "$tarball"
  rm -rf --one-file-system "$tmp"
}
mkdir -p "$cache" "$cache/archives"
(
  # One builder at a time; the others wait and use its tarball.
  flock 9
  if [ ! -s "$tarball" ] || [ -n "$(find "$tarball" -mtime +"$max_age_days")" ]; then
    make_root_tarball
  else
    echo "install_test: using the cached root $tarball"
  fi
) 9>"$cache/lock"

# --- a fresh copy for this run ----------------------------------------------------------------
work=$(mktemp -d /tmp/gatelink-install-test.XXXXXX)
root=$work/root
pids=()
nspawn_pid=
cleanup() {
  local rc=$?
  local p
  for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "$nspawn_pid" ]; then kill "$nspawn_pid" 2>/dev/null || true; fi
  for p in "${pids[@]+"${pids[@]}"}" $nspawn_pid; do wait "$p" 2>/dev/null || true; done
  if mountpoint -q "$root/proc"; then umount -l "$root/proc" || true; fi
  # The logs of the last run stay for a look: programs, checks, the units' journal.
  rm -rf "$cache/last-run"
  mkdir -p "$cache/last-run"
  cp "$work"/*.log "$work"/*.journal "$cache/last-run/" 2>/dev/null || true
  if [ -n "${GATELINK_KEEP_ROOT:-}" ]; then
    echo "install_test: root kept in $root (GATELINK_KEEP_ROOT)"
  else
    # --one-file-system: never reach through a mount that failed to go away into the host.
    rm -rf --one-file-system "$work" || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir "$root"
tar -C "$root" --numeric-owner -xzf "$tarball"
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The same suites as this machine (updates and security included), so the runtime dependencies
# the debs were built against resolve; deb.debian.org alone when this machine has no such file.
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
  rm -f "$root/etc/apt/sources.list"
fi
# No init runs in the chroot: maintainer scripts must not try to start services.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
in_root() { chroot "$root" "$@"; }
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

echo "install_test: root $root"

# --- the debs ---------------------------------------------------------------------------------
deb_of() {
  local f
  f=$(find "$dist" -maxdepth 1 -name "$1_*_amd64.deb" | sort | tail -1)
  [ -n "$f" ] || { echo "install_test: FAIL no $1_*_amd64.deb in $dist" >&2; exit 1; }
  echo "$f"
}
agent_deb=$(deb_of gatelink-agent)
gateway_deb=$(deb_of gatelink-gateway)
lib_deb=$(deb_of libgatelink0)
dev_deb=$(deb_of libgatelink-dev)
version=$(dpkg-deb -f "$agent_deb" Version)
echo "install_test: packages $version from $dist"
mkdir -p "$root/tmp/debs"
cp "$agent_deb" "$gateway_deb" "$lib_deb" "$dev_deb" "$root/tmp/debs/"
# Downloaded runtime dependencies are kept between runs, so a warm run downloads almost nothing.
cp "$cache/archives/"*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
keep_downloads() { cp -n "$root/var/cache/apt/archives/"*.deb "$cache/archives/" 2>/dev/null || true; }

apt_install() {
  in_root apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

in_root apt-get update -q >"$work/apt-update.log" 2>&1 \
  || { cat "$work/apt-update.log"; echo "install_test: FAIL apt-get update in the root"; exit 1; }

# --- install ----------------------------------------------------------------------------------
# The library and the gateway first: the lab CA is made with the installed gatelink-certs, and
# the agent is then installed with the install-time settings pointing at its files.
check "apt-get install ./libgatelink0 ./gatelink-gateway" \
  apt_install "./tmp/debs/$(basename "$lib_deb")" "./tmp/debs/$(basename "$gateway_deb")"

port_free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port1=$(port_free)
port2=$(port_free)
while [ "$port2" = "$port1" ]; do port2=$(port_free); done
agent_name=web01.example.test
mg=INSTALLTEST
primary="gw1.example.test@127.0.0.1:$port1"
failover="gw2.example.test@127.0.0.1:$port2"

lab=/root/lab-ca
make_lab_pki() {
  in_root gatelink-certs ca --dir $lab --cn "gatelink install test CA"
  in_root gatelink-certs gateway --dir $lab --name gw1.example.test
  in_root gatelink-certs gateway --dir $lab --name gw2.example.test
  in_root gatelink-certs agent --dir $lab --name $agent_name
  mkdir -p "$root/etc/gatelink" "$root/etc/gatelink-gateway"
  cp "$root$lab/ca.pem" "$root/etc/gatelink/ca.pem"
  cp "$root$lab/$agent_name.pem" "$root/etc/gatelink/agent.pem"
  install -m 0600 "$root$lab/$agent_name.key" "$root/etc/gatelink/agent.key"
  cp "$root$lab/ca.pem" "$root/etc/gatelink-gateway/ca.pem"
  cp "$root$lab/gw1.example.test.pem" "$root/etc/gatelink-gateway/gateway.pem"
  install -m 0600 "$root$lab/gw1.example.test.key" "$root/etc/gatelink-gateway/gateway.key"
}
check "gatelink-certs makes a lab CA, gateway and agent certificates" make_lab_pki

check "apt-get install ./gatelink-agent ./libgatelink-dev with GATELINK_* settings" \
  env GATELINK_MANAGEMENT_GROUP=$mg GATELINK_AGENT_NAME=$agent_name \
  GATELINK_PRIMARY="$primary" GATELINK_FAILOVER="$failover" \
  GATELINK_CA=/etc/gatelink/ca.pem GATELINK_CERT=/etc/gatelink/agent.pem \
  GATELINK_KEY=/etc/gatelink/agent.key \
  chroot "$root" apt-get install -y -q --no-install-recommends \
  "./tmp/debs/$(basename "$agent_deb")" "./tmp/debs/$(basename "$dev_deb")"
keep_downloads

installed_version() { [ "$(in_root dpkg-query -W -f='${Version}' "$1")" = "$2" ]; }
for p in gatelink-agent gatelink-gateway libgatelink0 libgatelink-dev; do
  check "$p $version is installed" installed_version "$p" "$version"
done

# --- files, users, modes, conffiles -----------------------------------------------------------
for f in /usr/bin/gatelink-agent /usr/bin/gatelinkctl /usr/bin/gatelink-gateway \
    /usr/bin/gatelink-mg /usr/bin/gatelink-certs; do
  check "$f is an executable file" test -f "$root$f" -a -x "$root$f"
done
for f in /etc/gatelink/agent.xml /usr/share/gatelink/agent.xsd /usr/share/gatelink/topology.xsd \
    /lib/systemd/system/gatelink-agent.service /lib/systemd/system/gatelink-gateway.service \
    /etc/default/gatelink-gateway; do
  check "$f is installed" test -f "$root$f"
done
lists() { in_root dpkg -L "$1" | grep -Eq "$2"; }
check "libgatelink0 ships libgatelink.so.0" lists libgatelink0 '/libgatelink\.so\.0'
check "libgatelink-dev ships gatelink.h" lists libgatelink-dev '/gatelink\.h$'
check "libgatelink-dev ships the pkg-config file" lists libgatelink-dev '/pkgconfig/gatelink\.pc$'
check "libgatelink-dev ships the CMake package" lists libgatelink-dev '/cmake/.*[Cc]onfig\.cmake$'
check "the installed agent runs (--version)" in_root gatelink-agent --version
check "the installed gateway runs (--help)" in_root gatelink-gateway --help
check "the installed agent links only to installed libraries" \
  bash -c "! chroot '$root' ldd /usr/bin/gatelink-agent /usr/bin/gatelink-gateway | grep -q 'not found'"

system_user() { # NAME: a system account that cannot log in
  local entry uid shell
  entry=$(in_root getent passwd "$1") || return 1
  uid=$(cut -d: -f3 <<<"$entry")
  shell=$(cut -d: -f7 <<<"$entry")
  [ "$uid" -lt 1000 ] && [ "$uid" -ne 0 ] && case $shell in */nologin | */false) ;; *) false ;; esac
}
for u in gatelink gatelink-gateway; do
  check "system user $u (uid < 1000, no login shell)" system_user $u
  check "group $u" in_root getent group $u
done

mode_is() { # PATH MODE OWNER GROUP, the names as the root knows them
  local got
  got=$(in_root stat -c '%a %U %G' "$1")
  [ "$got" = "$2 $3 $4" ] || { echo "$1: $got, expected $2 $3 $4"; false; }
}
not_writable_by_others() { [ -z "$(find "$root$1" -maxdepth 0 -perm /022)" ]; }
check "/var/lib/gatelink-gateway (made by postinst for gatelink-mg) is 0750 gatelink-gateway" \
  mode_is /var/lib/gatelink-gateway 750 gatelink-gateway gatelink-gateway
for f in /lib/systemd/system/gatelink-agent.service /lib/systemd/system/gatelink-gateway.service; do
  check "$f is 0644 root:root" mode_is "$f" 644 root root
done
check "/etc/gatelink/agent.xml is owned by root and not writable by group or others" \
  bash -c "[ \"\$(stat -c %U '$root/etc/gatelink/agent.xml')\" = root ] && [ -z \"\$(find '$root/etc/gatelink/agent.xml' -perm /022)\" ]"
check "user gatelink can read /etc/gatelink/agent.xml" \
  in_root setpriv --reuid=gatelink --regid=gatelink --init-groups test -r /etc/gatelink/agent.xml
check "user gatelink cannot write /etc/gatelink/agent.xml" \
  bash -c "! chroot '$root' setpriv --reuid=gatelink --regid=gatelink --init-groups test -w /etc/gatelink/agent.xml"
check "/etc/gatelink is not writable by group or others" not_writable_by_others /etc/gatelink

conffile() { in_root dpkg-query -W -f='${Conffiles}\n' "$1" | awk '{print $1}' | grep -qx "$2"; }
check "conffile /etc/gatelink/agent.xml" conffile gatelink-agent /etc/gatelink/agent.xml
check "conffile /etc/default/gatelink-gateway" conffile gatelink-gateway /etc/default/gatelink-gateway

# The configuration written from the install-time settings says what they said.
config_says() {
  python3 - "$root/etc/gatelink/agent.xml" "$agent_name" "$mg" "$port1" "$port2" <<'EOF'
import sys, xml.etree.ElementTree as ET
path, name, mg, p1, p2 = sys.argv[1:]
a = ET.parse(path).getroot()
problems = []
def want(what, got, expected):
    if got != expected: problems.append(f"{what}: {got!r}, expected {expected!r}")
want("agent name", a.get("name"), name)
want("management-group", a.get("management-group"), mg)
tls = a.find("tls")
want("tls ca", tls.get("ca") if tls is not None else None, "/etc/gatelink/ca.pem")
want("tls cert", tls.get("cert") if tls is not None else None, "/etc/gatelink/agent.pem")
want("tls key", tls.get("key") if tls is not None else None, "/etc/gatelink/agent.key")
prim = a.findall("gateways/primary")
fail = a.findall("gateways/failover")
want("primary", [(g.get("address"), g.get("server-name")) for g in prim],
     [(f"127.0.0.1:{p1}", "gw1.example.test")])
want("failover", [(g.get("address"), g.get("server-name")) for g in fail],
     [(f"127.0.0.1:{p2}", "gw2.example.test")])
print("\n".join(problems))
sys.exit(1 if problems else 0)
EOF
}
check "/etc/gatelink/agent.xml says what the GATELINK_* settings said" config_says
check "the installed agent accepts the written configuration (--check-config)" \
  in_root gatelink-agent --check-config --config /etc/gatelink/agent.xml

if in_root systemd-analyze --version >/dev/null 2>&1; then
  check "systemd-analyze verify gatelink-agent.service gatelink-gateway.service" \
    in_root systemd-analyze verify --man=no /lib/systemd/system/gatelink-agent.service \
    /lib/systemd/system/gatelink-gateway.service
fi

# --- the installed programs, started from the installed files ---------------------------------
chown gatelink-gateway: "$root/etc/gatelink-gateway/gateway.key" 2>/dev/null \
  || chroot "$root" chown gatelink-gateway: /etc/gatelink-gateway/gateway.key
in_root chown gatelink: /etc/gatelink/agent.key
# No systemd in the chroot: make the folders that the units' StateDirectory= and
# RuntimeDirectory= make at start (the package does not ship them), as systemd would.
unit_dirs() { # UNIT: StateDirectory= and RuntimeDirectory= with their modes, as systemd makes them
  local u=$root/lib/systemd/system/$1 user group key base d mode
  user=$(sed -n 's/^User=//p' "$u")
  group=$(sed -n 's/^Group=//p' "$u")
  for key in State Runtime; do
    d=$(sed -n "s/^${key}Directory=//p" "$u")
    [ -n "$d" ] || continue
    mode=$(sed -n "s/^${key}DirectoryMode=//p" "$u")
    if [ $key = State ]; then base=/var/lib; else base=/run; fi
    install -d -m "${mode:-0755}" -o "$(in_root id -u "$user")" -g "$(in_root getent group "${group:-$user}" | cut -d: -f3)" "$root$base/$d"
  done
}
check "the agent unit's state and runtime folders are made as systemd would" unit_dirs gatelink-agent.service
check "/var/lib/gatelink is 0700 gatelink:gatelink" mode_is /var/lib/gatelink 700 gatelink gatelink
check "/run/gatelink is 0750 gatelink:gatelink" mode_is /run/gatelink 750 gatelink gatelink

as_gateway=(setpriv --reuid=gatelink-gateway --regid=gatelink-gateway --init-groups)
as_agent=(setpriv --reuid=gatelink --regid=gatelink --init-groups)
listening() { [ -n "$(ss -Hltn "sport = :$1")" ]; }

start_gateway() { # chroot itself, not a function, in the background: $! is then the gateway
  chroot "$root" "${as_gateway[@]}" /usr/bin/gatelink-gateway --name gw1.example.test \
    --listen "127.0.0.1:$port1" --cert /etc/gatelink-gateway/gateway.pem \
    --key /etc/gatelink-gateway/gateway.key --ca /etc/gatelink-gateway/ca.pem \
    --store /var/lib/gatelink-gateway >>"$work/gateway.log" 2>&1 &
  gateway_pid=$!
  pids+=("$gateway_pid")
}
# A datagram socket in the root's /run, as systemd's notify socket.
notify_log=$work/notify.log
start_notify_listener() {
  mkdir -p "$root/run/gatelink-test"
  rm -f "$root/run/gatelink-test/notify.sock"
  : >"$notify_log"
  python3 - "$root/run/gatelink-test/notify.sock" "$notify_log" <<'EOF' &
import os, socket, sys
path, out = sys.argv[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "ab", buffering=0) as f:
    while True:
        f.write(s.recv(4096).replace(b"\n", b" ") + b"\n")
EOF
  pids+=("$!")
  wait_for 10 test -S "$root/run/gatelink-test/notify.sock"
}
start_agent() {
  chroot "$root" env NOTIFY_SOCKET=/run/gatelink-test/notify.sock WATCHDOG_USEC=10000000 \
    "${as_agent[@]}" /usr/bin/gatelink-agent --config /etc/gatelink/agent.xml \
    >>"$work/agent.log" 2>&1 &
  agent_pid=$!
  pids+=("$agent_pid")
}
stop_pid() { # PID: SIGTERM and wait for it to exit
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
status_json() { in_root gatelinkctl status --json; }
connected() { in_root gatelinkctl status >/dev/null; }
json_field() { # EXPR over the status document as `s`
  status_json | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"
}

start_gateway
check "the installed gateway listens on 127.0.0.1:$port1 as user gatelink-gateway" \
  wait_for 20 listening "$port1"
check "the notify socket is ready" start_notify_listener
start_agent
check "the installed agent sends READY=1 to NOTIFY_SOCKET" wait_for 30 grep -q 'READY=1' "$notify_log"
check "gatelinkctl status exits 0 (connected) within 30 s" wait_for 30 connected
check "the agent sends WATCHDOG=1 when WATCHDOG_USEC is set" wait_for 20 grep -q 'WATCHDOG=1' "$notify_log"
check "gatelinkctl status --json names the agent and the gateway" \
  bash -c "[ \"\$(chroot '$root' gatelinkctl status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s[\"agent\"], s[\"gateway\"])')\" = '$agent_name $primary' ]"

# A topology pushed through the gateway's store, delivered and persisted.
check "gatelink-mg set-parent writes a topology to the gateway's store" \
  in_root "${as_gateway[@]}" gatelink-mg --store /var/lib/gatelink-gateway set-parent \
  --agent $agent_name --management-group $mg --primary "$primary" --failover "$failover"
pushed() { [ "$(json_field 's["topology"]["source"]')" = pushed ] && test -s "$root/var/lib/gatelink/topology.xml"; }
check "the pushed topology is delivered and persisted in /var/lib/gatelink/topology.xml" wait_for 30 pushed
generation=$(json_field 's["topology"]["generation"]' 2>/dev/null || echo none)

stop_pid "$agent_pid"
check "the agent left no process behind" bash -c "! kill -0 $agent_pid 2>/dev/null"

# --- upgrade ----------------------------------------------------------------------------------
next=$version+test1
# make_next_build VERSION FOLDER: the given debs as version VERSION in the root's FOLDER, the
# shipped agent.xml changed too (so dpkg has to decide about the operator's changed one).
make_next_build() {
  local v=$1 out=$2 d deb name
  mkdir -p "$root$out" "$work/build-$v"
  for deb in "$agent_deb" "$gateway_deb" "$lib_deb" "$dev_deb"; do
    name=$(dpkg-deb -f "$deb" Package)
    d=$work/build-$v/$name
    dpkg-deb -R "$deb" "$d"
    sed -i -e "s/^Version: .*/Version: $v/" -e "s/(= $version)/(= $v)/g" "$d/DEBIAN/control"
    if [ -f "$d/etc/gatelink/agent.xml" ]; then
      echo "<!-- changed by build $v -->" >>"$d/etc/gatelink/agent.xml"
    fi
    dpkg-deb -Zgzip -b "$d" "$root$out/${name}_${v}_amd64.deb" >/dev/null
  done
}
# The debs of a folder of the root, as apt-get's ./paths from the root's /.
debs_in() { local f; for f in "$root$1"/*.deb; do echo ".$1/$(basename "$f")"; done; }
check "a next build $next is made from the given debs" make_next_build "$next" /root/next
echo '<!-- changed by the operator -->' >>"$root/etc/gatelink/agent.xml"
config_sum=$(sha256sum <"$root/etc/gatelink/agent.xml")
topology_sum=$(sha256sum <"$root/var/lib/gatelink/topology.xml" 2>/dev/null || echo none)
mapfile -t next_debs < <(debs_in /root/next)
check "upgrade to $next (apt-get install, --force-confold)" apt_install "${next_debs[@]}"
for p in gatelink-agent gatelink-gateway libgatelink0 libgatelink-dev; do
  check "$p $next is installed" installed_version "$p" "$next"
done
check "the upgrade keeps the changed /etc/gatelink/agent.xml" \
  bash -c "[ \"\$(sha256sum <'$root/etc/gatelink/agent.xml')\" = '$config_sum' ]"
check "the upgrade keeps /var/lib/gatelink/topology.xml" \
  bash -c "[ '$topology_sum' != none ] && [ \"\$(sha256sum <'$root/var/lib/gatelink/topology.xml')\" = '$topology_sum' ]"
check "the upgrade keeps /var/lib/gatelink 0700 gatelink:gatelink" \
  mode_is /var/lib/gatelink 700 gatelink gatelink
check "the key stays gatelink's, 0600" mode_is /etc/gatelink/agent.key 600 gatelink gatelink
start_agent
check "the upgraded agent connects again" wait_for 30 connected
check "the upgraded agent starts from the persisted topology (pushed, generation $generation)" \
  bash -c "[ \"\$(chroot '$root' gatelinkctl status --json | python3 -c 'import json,sys; t=json.load(sys.stdin)[\"topology\"]; print(t[\"source\"], t[\"generation\"])')\" = 'pushed $generation' ]"
stop_pid "$agent_pid"
stop_pid "$gateway_pid"

# --- systemd in the root ----------------------------------------------------------------------
# shellcheck source=tests/packaging/boot_test.sh
source "$here/boot_test.sh"
boot_test

# --- remove and purge -------------------------------------------------------------------------
check "apt-get remove gatelink-agent" in_root apt-get remove -y -q gatelink-agent
check "remove takes /usr/bin/gatelink-agent away" test ! -e "$root/usr/bin/gatelink-agent"
check "remove keeps /etc/gatelink/agent.xml" test -f "$root/etc/gatelink/agent.xml"
check "remove keeps /var/lib/gatelink/topology.xml" test -f "$root/var/lib/gatelink/topology.xml"
check "apt-get purge gatelink-agent" in_root apt-get purge -y -q gatelink-agent
check "purge removes /etc/gatelink/agent.xml" test ! -e "$root/etc/gatelink/agent.xml"
check "purge removes /var/lib/gatelink" test ! -e "$root/var/lib/gatelink"
check "purge leaves gatelink-agent unknown to dpkg" \
  bash -c "! chroot '$root' dpkg-query -W -f='\${Status}' gatelink-agent 2>/dev/null | grep -q ."
check "apt-get purge gatelink-gateway" in_root apt-get purge -y -q gatelink-gateway
check "purge removes /etc/default/gatelink-gateway" test ! -e "$root/etc/default/gatelink-gateway"
check "purge removes /var/lib/gatelink-gateway" test ! -e "$root/var/lib/gatelink-gateway"
check "apt-get purge libgatelink-dev libgatelink0" in_root apt-get purge -y -q libgatelink-dev libgatelink0
check "no gatelink file is left in /usr" \
  bash -c "[ -z \"\$(find '$root/usr' -name '*gatelink*' -not -path '*/usr/share/doc/*' | head -1)\" ]"

summary
[ "$failed" -eq 0 ]
