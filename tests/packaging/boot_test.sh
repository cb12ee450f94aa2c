# shellcheck shell=bash
# shellcheck disable=SC2016  # dpkg-query formats are literal
# shellcheck disable=SC2154,SC2317  # root, work, ports come from install_test.sh; functions are called through check
# Part of install_test.sh (sourced; uses its check, wait_for, root, work, ports and pids):
# boots the root with systemd-nspawn -b and checks that the installed units start, notify,
# serve status and that the gateway drains with a goodbye on `systemctl stop`.
# PID 1 of this machine is not systemd, so nspawn runs with --keep-unit --register=no (no
# machined or system bus to register with) and commands reach the container through nsenter.

boot_test() {
  if ! command -v systemd-nspawn >/dev/null || ! command -v nsenter >/dev/null; then
    echo "skip  systemd-nspawn boot: systemd-nspawn or nsenter not found (package systemd-container)"
    return 0
  fi
  umount "$root/proc"
  local probe
  if ! probe=$(systemd-nspawn --register=no --keep-unit -q -D "$root" /bin/true 2>&1); then
    echo "skip  systemd-nspawn boot: this machine does not let systemd-nspawn run: $probe"
    mount -t proc proc "$root/proc"
    return 0
  fi

  # The lab gateway, for the unit: the package's /etc/default file with the lab's values.
  configure_gateway_unit
  rm -f "$root/usr/sbin/policy-rc.d"

  systemd-nspawn --register=no --keep-unit -q -D "$root" -b --console=pipe \
    </dev/null >"$work/boot.log" 2>&1 &
  nspawn_pid=$!
  local init=
  # The container's PID 1 is the child of nspawn once that child runs systemd.
  container_init() {
    local c children
    children=()
    read -r -a children <"/proc/$nspawn_pid/task/$nspawn_pid/children" 2>/dev/null || true  # no newline
    for c in "${children[@]+"${children[@]}"}"; do
      if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ]; then init=$c; return 0; fi
    done
    return 1
  }
  in_boot() { nsenter -t "$init" -m -u -i -p -r -w "$@"; }
  bus_up() { in_boot test -S /run/systemd/private; }
  if ! wait_for 30 container_init || ! wait_for 60 bus_up; then
    fail "systemd-nspawn -b starts the root's systemd"
    tail -n 8 "$work/boot.log" | sed 's/^/      /'
    finish_boot
    return 0
  fi
  system_up() {
    local s
    s=$(in_boot timeout 120 systemctl is-system-running --wait) || [ "$s" = degraded ] || { echo "$s"; false; }
  }
  check "systemd boots in the root (systemd-nspawn -b)" system_up
  no_failed_unit() {
    local failed
    failed=$(in_boot systemctl --failed --plain --no-legend) || return 1
    [ -z "$failed" ] || { echo "$failed"; false; }
  }
  check "no unit failed at boot" no_failed_unit

  prop() { in_boot systemctl show -p "$2" --value "$1"; }
  is_prop() { [ "$(prop "$1" "$2")" = "$3" ] || { echo "$1 $2=$(prop "$1" "$2"), expected $3"; false; }; }
  check "gatelink-agent.service is enabled (packaging/README: enabled on install)" \
    is_prop gatelink-agent.service UnitFileState enabled
  echo "info  gatelink-gateway.service is $(prop gatelink-gateway.service UnitFileState)"
  check "systemctl start gatelink-gateway" in_boot timeout 60 systemctl start gatelink-gateway.service
  check "systemctl start gatelink-agent (returns once the agent has said READY=1)" \
    in_boot timeout 60 systemctl start gatelink-agent.service
  check "gatelink-agent.service is Type=notify" is_prop gatelink-agent.service Type notify
  check "gatelink-agent.service is active (running)" is_prop gatelink-agent.service SubState running
  check "gatelink-gateway.service is active (running)" is_prop gatelink-gateway.service SubState running
  runs_as() { local pid; pid=$(prop "$1" MainPID); [ "$(in_boot stat -c %U "/proc/$pid")" = "$2" ]; }
  check "the agent's unit runs it as user gatelink" runs_as gatelink-agent.service gatelink
  check "the gateway's unit runs it as user gatelink-gateway" runs_as gatelink-gateway.service gatelink-gateway
  boot_connected() { in_boot gatelinkctl status >/dev/null; }
  check "gatelinkctl status exits 0 (connected) under systemd" wait_for 30 boot_connected
  boot_mode_is() { [ "$(in_boot stat -c '%a %U %G' "$1")" = "$2" ] || { echo "$1: $(in_boot stat -c '%a %U %G' "$1")"; false; }; }
  check "/run/gatelink is 0750 gatelink:gatelink under systemd" boot_mode_is /run/gatelink "750 gatelink gatelink"
  check "/var/lib/gatelink is 0700 gatelink:gatelink under systemd" boot_mode_is /var/lib/gatelink "700 gatelink gatelink"
  check "/var/lib/gatelink-gateway is 0750 gatelink-gateway under systemd" \
    boot_mode_is /var/lib/gatelink-gateway "750 gatelink-gateway gatelink-gateway"
  if [ "$(prop gatelink-agent.service WatchdogUSec)" != 0 ] && [ -n "$(prop gatelink-agent.service WatchdogUSec)" ] && [ "$(prop gatelink-agent.service WatchdogUSec)" != infinity ]; then
    watchdog_pinged() { [ -n "$(prop gatelink-agent.service WatchdogTimestamp)" ]; }
    check "the agent pings the unit's watchdog (WATCHDOG=1)" wait_for 30 watchdog_pinged
  fi

  check "systemctl reload gatelink-agent (SIGHUP: renewed certificates)" \
    in_boot timeout 30 systemctl reload gatelink-agent.service
  check "the agent still connected after the reload" wait_for 30 boot_connected

  # An upgrade under systemd: the units are restarted, the changed configuration is kept.
  local after=$version+test2 agent_pid_before config_before
  agent_pid_before=$(prop gatelink-agent.service MainPID)
  config_before=$(sha256sum <"$root/etc/gatelink/agent.xml")
  check "a next build $after is made" make_next_build "$after" /root/next2
  local debs
  mapfile -t debs < <(debs_in /root/next2)
  check "upgrade to $after under systemd (apt-get install, --force-confold)" \
    in_boot env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${debs[@]}"
  boot_version_is() { [ "$(in_boot dpkg-query -W -f='${Version}' "$1")" = "$2" ]; }
  check "gatelink-agent $after is installed" boot_version_is gatelink-agent "$after"
  restarted() { local p; p=$(prop gatelink-agent.service MainPID); [ "$p" != 0 ] && [ "$p" != "$agent_pid_before" ]; }
  check "the upgrade restarted the agent" restarted
  check "the restarted agent connects again" wait_for 30 boot_connected
  check "the upgrade under systemd keeps the changed agent.xml" \
    bash -c "[ \"\$(sha256sum <'$root/etc/gatelink/agent.xml')\" = '$config_before' ]"

  # Drain: stopping the gateway says goodbye, so the agent knows at once (no missed heartbeats).
  check "gatelink-gateway.service is active after the upgrade" wait_for 30 is_prop gatelink-gateway.service SubState running
  # The agent's last_error moves on with its next attempts, so the journal tells: what the
  # units logged after this cursor (the upgrade restarted the gateway, which drained too).
  local cursor
  cursor=$(in_boot journalctl -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p')
  journal_says() {
    in_boot journalctl --no-pager -o cat --after-cursor "$cursor" -u "$1" | grep -q -E -- "$2"
  }
  check "systemctl stop gatelink-gateway" in_boot timeout 60 systemctl stop gatelink-gateway.service
  check "the gateway stopped cleanly (Result=success)" is_prop gatelink-gateway.service Result success
  check "the stopped gateway drained its agent (event=draining agents=1)" \
    wait_for 15 journal_says gatelink-gateway.service "event=draining agents=1"
  check "the agent was told goodbye by the stopped gateway (drain)" wait_for 15 \
    journal_says gatelink-agent.service "event=goodbye gateway=gw1.example.test@127.0.0.1:$port1"
  check "the agent moved on at once, for the goodbye (reason=goodbye:shutdown)" wait_for 15 \
    journal_says gatelink-agent.service "event=failover from=gw1.example.test@127.0.0.1:$port1 .*reason=goodbye"
  check "systemctl stop gatelink-agent" in_boot timeout 60 systemctl stop gatelink-agent.service
  check "the agent stopped cleanly (Result=success)" is_prop gatelink-agent.service Result success
  in_boot journalctl --no-pager -u gatelink-agent -u gatelink-gateway >"$work/units.journal" 2>&1 || true
  finish_boot
}

# Powers the container off (systemctl poweroff, then SIGTERM to nspawn) and waits for it.
finish_boot() {
  if [ -n "${init:-}" ]; then nsenter -t "$init" -m -u -i -p -r -w systemctl poweroff 2>/dev/null || true; fi
  nspawn_gone() { ! kill -0 "$nspawn_pid" 2>/dev/null; }
  if ! wait_for 60 nspawn_gone; then
    kill "$nspawn_pid" 2>/dev/null || true
    wait_for 30 nspawn_gone || kill -9 "$nspawn_pid" 2>/dev/null || true
  fi
  wait "$nspawn_pid" 2>/dev/null || true
  nspawn_pid=
  mount -t proc proc "$root/proc"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
}

# Writes the lab gateway's settings into /etc/default/gatelink-gateway (a conffile: changed as
# an operator would). The variable names are the ones the package's file documents.
configure_gateway_unit() {
  local f=$root/etc/default/gatelink-gateway
  set_var() {
    if grep -Eq "^#? *$1=" "$f"; then sed -i -E "s|^#? *$1=.*|$1=\"$2\"|" "$f"; else echo "$1=\"$2\"" >>"$f"; fi
  }
  set_var GATEWAY_NAME gw1.example.test
  set_var GATEWAY_LISTEN "127.0.0.1:$port1"
  set_var GATEWAY_CERT /etc/gatelink-gateway/gateway.pem
  set_var GATEWAY_KEY /etc/gatelink-gateway/gateway.key
  set_var GATEWAY_CA /etc/gatelink-gateway/ca.pem
}
