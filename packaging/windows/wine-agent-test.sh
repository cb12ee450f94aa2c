#!/usr/bin/env bash
# packaging/windows/wine-agent-test.sh [DIST] — the Windows agent against real gateways, under wine.
#
# DIST (default dist/windows, from `packaging/build.sh msi`) holds gatelink-agent.exe,
# gatelinkctl.exe and gatelink.dll. GATELINK_BIN_DIR names the Linux build's bin/ (default build/bin)
# for gatelink-gateway and gatelink-certs' lab CA comes from the source tree. Checks, one line
# each (ok/FAIL): --version, --check-config (configuration and certificates in a folder whose
# name is not ASCII), the agent connected over mutual TLS to its primary
# (two Linux reference gateways on 127.0.0.1), `gatelinkctl.exe status --json` through the named
# pipe, and after `kill -9` of the primary, the agent on the failover gateway.
# Exit status: 0 all passed, 1 a check failed, 77 wine or the programs are missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dist=${1:-$top/dist/windows}
bin=${GATELINK_BIN_DIR:-$top/build/bin}
for f in "$dist/gatelink-agent.exe" "$dist/gatelinkctl.exe" "$dist/gatelink.dll" \
  "$bin/gatelink-gateway"; do
  [ -f "$f" ] || { echo "wine-agent-test: skip: $f is missing"; exit 77; }
done
command -v wine >/dev/null || { echo "wine-agent-test: skip: wine is not installed"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/gatelink-wine-agent.XXXXXX")
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
pids=()
cleanup() {
  wineserver -k 2>/dev/null || true
  for pid in "${pids[@]}"; do { kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true; done
  rm -rf -- "$work"
}
trap cleanup EXIT

# shellcheck source=wine_test_lib.sh
source "$here/wine_test_lib.sh"

# The configuration and the certificates under a folder whose name is not ASCII (and has a
# space, as Program Files does): the programs get UTF-8 from Windows (their manifest's code page)
# and hand it on unchanged to every file and ACL call.
conf=$work/"Configuración 設定"
pki=$conf/pki
mkdir -p "$pki" "$work/run"
cp -- "$dist/gatelink-agent.exe" "$dist/gatelinkctl.exe" "$dist/gatelink.dll" "$work/run/"
"$top/certs/gatelink-certs" ca --dir "$pki" >/dev/null
for name in gw1.example.test gw2.example.test; do
  "$top/certs/gatelink-certs" gateway --dir "$pki" --name "$name" >/dev/null
done
"$top/certs/gatelink-certs" agent --dir "$pki" --name agent1.example.test >/dev/null

port1=$(port_free)
port2=$(port_free)
while [ "$port2" = "$port1" ]; do port2=$(port_free); done
start_gateway() {  # NAME PORT
  "$bin/gatelink-gateway" --name "$1" --listen "127.0.0.1:$2" --cert "$pki/$1.pem" \
    --key "$pki/$1.key" --ca "$pki/ca.pem" >"$work/$1.log" 2>&1 &
  pids+=($!)
}
start_gateway gw1.example.test "$port1"
gw1_pid=${pids[-1]}
start_gateway gw2.example.test "$port2"

pipe='\\.\pipe\gatelink-wine-test'
cat >"$conf/agent.xml" <<EOF
<agent name="agent1.example.test" management-group="EXAMPLE">
  <tls ca="$(winpath "$pki/ca.pem")" cert="$(winpath "$pki/agent1.example.test.pem")"
       key="$(winpath "$pki/agent1.example.test.key")"/>
  <gateways>
    <primary address="127.0.0.1:$port1" server-name="gw1.example.test"/>
    <failover address="127.0.0.1:$port2" server-name="gw2.example.test"/>
  </gateways>
  <heartbeat interval-ms="500" misses="3"/>
  <state dir="C:\\ProgramData\\gatelink-test\\state"/>
  <status socket="$pipe"/>
</agent>
EOF
config=$(winpath "$conf/agent.xml")
cd "$work/run"

check "gatelink-agent.exe --version" bash -c 'wine gatelink-agent.exe --version | grep -q "^gatelink-agent "'
check "gatelink-agent.exe --check-config, the configuration in a folder named in UTF-8" \
  wine gatelink-agent.exe --config "$config" --check-config
check "a path in an error is the UTF-8 the program was given" bash -c \
  'wine gatelink-agent.exe --config "$1" --check-config 2>&1 | grep -qF "$1"' _ "$config.missing"

wine gatelink-agent.exe --config "$config" >"$work/agent.log" 2>&1 &
pids+=($!)
status_is() {  # GATEWAY-NAME ROLE: the agent says it is connected to GATEWAY-NAME as ROLE
  wine gatelinkctl.exe --socket "$pipe" status --json >"$work/status.json" 2>/dev/null || return 1
  python3 - "$1" "$2" "$work/status.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[3]))
sys.exit(0 if d["state"] == "connected" and (d["gateway"] or "").startswith(sys.argv[1] + "@")
         and d["role"] == sys.argv[2] else 1)
PY
}
check "connected to the primary over mutual TLS (gatelinkctl.exe status --json, named pipe)" \
  wait_for 60 status_is gw1.example.test primary
{ kill -9 "$gw1_pid" && wait "$gw1_pid"; } 2>/dev/null || true  # (no "Killed" job message)
check "after kill -9 of the primary: on the failover gateway" \
  wait_for 30 status_is gw2.example.test failover
check "the failover and its reason are in the agent's log" \
  grep -q "event=failover from=gw1.example.test@127.0.0.1:$port1 to=gw2.example.test" "$work/agent.log"

echo "wine-agent-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
