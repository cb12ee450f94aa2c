#!/usr/bin/env bash
# packaging/windows/wine-msi-test.sh [MSI] — installs the agent's MSI under wine the way an admin
# does (`msiexec /i … MANAGEMENT_GROUP=… MANAGEMENT_SERVER_DNS=…`), then checks that the
# first-install configuration was written, that wine's service control manager started the
# service (`gatelink-agent.exe --service`) and that it connected to a Linux reference gateway on
# 127.0.0.1 (the installed `gatelinkctl.exe status --json`, default pipe), and that
# `msiexec /x` removes the programs and keeps the configuration.
# MSI: default dist/gatelink-agent-<version>-x64.msi (packaging/build.sh msi). GATELINK_BIN_DIR:
# the Linux build's bin/ (default build/bin) for gatelink-gateway.
# Exit status: 0 all passed, 1 a check failed, 77 wine, the MSI or the gateway is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
version=$(sed -nE 's/^project\(gatelink VERSION ([0-9.]+).*/\1/p' "$top/CMakeLists.txt")
msi=${1:-$top/dist/gatelink-agent-$version-x64.msi}
bin=${GATELINK_BIN_DIR:-$top/build/bin}
for f in "$msi" "$bin/gatelink-gateway"; do
  [ -f "$f" ] || { echo "wine-msi-test: skip: $f is missing"; exit 77; }
done
command -v wine >/dev/null || { echo "wine-msi-test: skip: wine is not installed"; exit 77; }
msi=$(cd "$(dirname "$msi")" && pwd)/$(basename "$msi")

work=$(mktemp -d "${TMPDIR:-/tmp}/gatelink-wine-msi.XXXXXX")
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
gateway_pid=
cleanup() {
  wineserver -k 2>/dev/null || true
  [ -z "$gateway_pid" ] || { kill -9 "$gateway_pid" && wait "$gateway_pid"; } 2>/dev/null || true
  rm -rf -- "$work"
}
trap cleanup EXIT

# shellcheck source=wine_test_lib.sh
source "$here/wine_test_lib.sh"

pki=$work/pki
"$top/certs/gatelink-certs" ca --dir "$pki" >/dev/null
"$top/certs/gatelink-certs" gateway --dir "$pki" --name gw1.example.test >/dev/null
"$top/certs/gatelink-certs" agent --dir "$pki" --name agent1.example.test >/dev/null
port=$(port_free)
"$bin/gatelink-gateway" --name gw1.example.test --listen "127.0.0.1:$port" \
  --cert "$pki/gw1.example.test.pem" --key "$pki/gw1.example.test.key" --ca "$pki/ca.pem" \
  >"$work/gateway.log" 2>&1 &
gateway_pid=$!

drive_c=$WINEPREFIX/drive_c
program_files="C:\\Program Files\\gatelink"
install() {
  wine msiexec /i "$(winpath "$msi")" /qn /l*v "$(winpath "$work/install.log")" \
    MANAGEMENT_GROUP=EXAMPLE MANAGEMENT_SERVER_DNS="gw1.example.test@127.0.0.1:$port" \
    AGENT_NAME=agent1.example.test CA_FILE="$(winpath "$pki/ca.pem")" \
    CERT_FILE="$(winpath "$pki/agent1.example.test.pem")" \
    KEY_FILE="$(winpath "$pki/agent1.example.test.key")"
}
check "msiexec /i with MANAGEMENT_GROUP, MANAGEMENT_SERVER_DNS, AGENT_NAME, CA/CERT/KEY_FILE" install
check "the programs are under Program Files" \
  test -f "$drive_c/Program Files/gatelink/gatelink-agent.exe"
check "the first-install configuration holds the settings" \
  grep -q "management-group=\"EXAMPLE\"" "$drive_c/ProgramData/gatelink/agent.xml"
connected() {
  wine "$program_files\\gatelinkctl.exe" status --json >"$work/status.json" 2>/dev/null || return 1
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["state"] != "connected")' \
    "$work/status.json"
}
check "the service runs (SCM, --service) and is connected (gatelinkctl.exe, default pipe)" \
  wait_for 60 connected
check "the service logs to ProgramData\\gatelink\\log" \
  grep -q "event=connected" "$drive_c/ProgramData/gatelink/log/agent.log"
# Windows Installer's StopServices waits for the service to stop before RemoveFiles; wine's
# msiexec only asks it to stop and goes on. When the service's process is still ending by then,
# its program is in use and, as Windows does with any file in use, left for the next boot
# (PendingFileRenameOperations): the check then boots the prefix again (wineboot -r, which
# carries those out) and the program must be gone after it. Which of the two happened is said.
agent_exe="$drive_c/Program Files/gatelink/gatelink-agent.exe"
service_ended() { ! grep -qs 'gatelink-agent\.exe' /proc/[0-9]*/cmdline; }
removed() {
  if ! test -e "$agent_exe"; then
    echo "removed at once"
    return 0
  fi
  echo "in use during RemoveFiles: left for the next boot; booting the prefix again"
  wine wineboot -r && wineserver -w && ! test -e "$agent_exe"
}
check "msiexec /x succeeds" \
  wine msiexec /x "$(winpath "$msi")" /qn /l*v "$(winpath "$work/uninstall.log")"
check "and stops the service" wait_for 30 service_ended
check "and removes the programs" removed
sed 's/^/     /' "$work/check.log"
check "and keeps the configuration" test -f "$drive_c/ProgramData/gatelink/agent.xml"

echo "wine-msi-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
