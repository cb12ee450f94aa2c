#!/usr/bin/env bash
# The live demo: a lab CA, three reference gateways and an agent on 127.0.0.1; the primary is
# killed and the agent's failover is seen through `gatelinkctl status`; then the management group
# moves the agent to a new primary with `gatelink-mg set-parent`.
# Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build}

bash scripts/deps.sh
bash scripts/configure.sh "$build" > /dev/null
cmake --build "$build" -j "$(nproc)" --target gatelink-agent gatelink-gateway gatelinkctl \
  gatelink-mg
bin="$root/$build/bin"

work=$(mktemp -d /tmp/gatelink-demo-XXXXXX)
pids=()
cleanup() {
  # Quietly: without disown, bash reports every background job that a signal ended.
  disown -a 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
  done
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# wait_for DESCRIPTION COMMAND...: polls COMMAND until it succeeds, at most 15 s.
wait_for() {
  local what=$1; shift
  for _ in $(seq 1 300); do
    if "$@" > /dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  echo "demo: timed out waiting for $what" >&2
  exit 1
}
ctl() { "$bin/gatelinkctl" --socket "$work/agent.sock" "$@"; }
on_gateway() { ctl status --json | grep -q "\"gateway\": *\"$1"; }

step "A lab CA, three gateway certificates and an agent certificate (certs/gatelink-certs)"
certs="$root/certs/gatelink-certs"
"$certs" ca --dir "$work/pki" --cn "gatelink demo CA"
for gw in gw1 gw2 gw3; do
  "$certs" gateway --dir "$work/pki" --name "$gw.example.test" --ip 127.0.0.1 --out "$gw"
done
"$certs" agent --dir "$work/pki" --name web01.example.test --out agent
ls "$work/pki"

step "Three reference gateways on 127.0.0.1:15801..15803"
start_gateway() {
  local i=$1
  rm -f "$work/gw$i.ready"
  "$bin/gatelink-gateway" --name "gw$i.example.test" --listen "127.0.0.1:1580$i" \
    --cert "$work/pki/gw$i.pem" --key "$work/pki/gw$i.key" --ca "$work/pki/ca.pem" \
    --store "$work/store" --ready-file "$work/gw$i.ready" >> "$work/gw$i.log" 2>&1 &
  pids+=($!)
  eval "gw${i}_pid=$!"
}
mkdir -p "$work/store"   # the management group's store, which every gateway delivers from
# The management group's signing key: every topology it issues is signed, and the agent below
# pins the public key, so no gateway can change the agent's topology on its own.
"$bin/gatelink-mg" keygen --out "$work/mg.key" > /dev/null
"$bin/gatelink-mg" --store "$work/store" init --management-group DEMO --signing-key "$work/mg.key"
for i in 1 2 3; do start_gateway "$i"; done
for i in 1 2 3; do wait_for "gateway gw$i" test -s "$work/gw$i.ready"; done
echo "gw1, gw2, gw3 listening"

step "The agent, configured with gw1 as primary and gw2, gw3 as failovers"
cat > "$work/agent.xml" <<XML
<agent name="web01.example.test" management-group="DEMO">
  <tls ca="pki/ca.pem" cert="pki/agent.pem" key="pki/agent.key"/>
  <management-group-keys><key file="mg.pub"/></management-group-keys>
  <gateways>
    <primary  address="127.0.0.1:15801" server-name="gw1.example.test"/>
    <failover address="127.0.0.1:15802" server-name="gw2.example.test"/>
    <failover address="127.0.0.1:15803" server-name="gw3.example.test"/>
  </gateways>
  <heartbeat interval-ms="500" misses="3"/>
  <failback probe-interval-ms="1000" stable-probes="2"/>
  <state dir="state"/>
  <status socket="agent.sock"/>
</agent>
XML
mkdir -p "$work/state"
"$bin/gatelink-agent" --config "$work/agent.xml" > "$work/agent.log" 2>&1 &
pids+=($!)
wait_for "the agent to connect" on_gateway "gw1.example.test@127.0.0.1:15801"
ctl status

step "kill -9 the primary gateway (gw1)"
kill -9 "$gw1_pid"
wait "$gw1_pid" 2>/dev/null || true
wait_for "the agent to fail over" on_gateway "gw2.example.test@127.0.0.1:15802"
ctl status

step "The primary comes back: a probe is kept open; after 2 s of answered heartbeats the agent fails back"
start_gateway 1
wait_for "gateway gw1" test -s "$work/gw1.ready"
wait_for "the agent to fail back" on_gateway "gw1.example.test@127.0.0.1:15801"
ctl status

step "The management group moves the agent to gw3 (Set-SCOMParentManagementServer, one command)"
mg() { "$bin/gatelink-mg" --store "$work/store" "$@"; }
mg set-parent --agent web01.example.test \
  --primary gw3.example.test@127.0.0.1:15803 \
  --failover gw2.example.test@127.0.0.1:15802,gw1.example.test@127.0.0.1:15801
# gw1 pushes it within half a second; the agent keeps gw1 until gw3 has stayed healthy for 2 s.
wait_for "the agent to commit the new topology" on_gateway "gw3.example.test@127.0.0.1:15803"
ctl status
echo
echo "persisted in the agent's state folder:"
cat "$work/state/topology.xml"

step "What the agent logged"
grep -E "event=(connected|failover|failback|closed|goodbye|backoff|promoted|topology-[a-z]+)" \
  "$work/agent.log" || true
echo
echo "demo finished: the agent failed over from gw1 to gw2, back to gw1, and moved to its new"
echo "primary gw3 once gw3 had stayed healthy for the stable window, in a topology signed by the"
echo "management group's key and checked by the agent."
