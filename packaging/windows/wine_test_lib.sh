# Sourced by the wine tests of this folder (wine-agent-test.sh, wine-msi-test.sh): one line per
# check, waits with a deadline, wine's view of a Linux path, a free port on 127.0.0.1.
# The sourcing script sets `work` (its scratch folder) before the first check.

passed=0 failed=0
check() {  # NAME COMMAND...: runs COMMAND; "ok NAME", or "FAIL NAME" and its last lines
  local name=$1
  shift
  if "$@" >"$work/check.log" 2>&1; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    tail -n 5 "$work/check.log" | sed 's/^/     /'
    failed=$((failed + 1))
  fi
}
wait_for() {  # SECONDS COMMAND...: runs COMMAND until it succeeds or the deadline passes
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
winpath() { printf 'Z:%s' "${1//\//\\}"; }  # wine's Z: drive is the Linux root
port_free() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
