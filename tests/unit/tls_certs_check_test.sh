#!/usr/bin/env bash
# tls_certs_check_test.sh GATELINK_CERTS PKI_DIR: `gatelink-certs check` accepts the test PKI's
# good certificates and fails each bad one on exactly the requirement it breaks.
set -euo pipefail

readonly CERTS=$1 PKI=$2
FAILED=0
SCRATCH=$(mktemp -d)
trap 'rm -rf -- "$SCRATCH"' EXIT

fail() {
  echo "FAILED: $*"
  FAILED=$((FAILED + 1))
}

# check_run EXPECTED_STATUS ARGS...: runs `check`, leaves its output in $OUTPUT.
check_run() {
  local expected=$1 status=0
  shift
  OUTPUT=$(bash "$CERTS" check --ca "$PKI/ca.pem" "$@" 2>&1) || status=$?
  if [[ $status != "$expected" ]]; then
    fail "check $* exited $status, expected $expected:"$'\n'"$OUTPUT"
    return 1
  fi
}

# expect_only_failure REQUIREMENT ARGS...: exit 1 with REQUIREMENT the only FAIL line.
expect_only_failure() {
  local requirement=$1
  shift
  check_run 1 "$@" || return 0
  local failures
  failures=$(grep '^FAIL' <<<"$OUTPUT" | awk '{print $2}' | paste -sd ' ')
  [[ $failures == "$requirement" ]] ||
    fail "check $*: failed on '$failures', expected '$requirement':"$'\n'"$OUTPUT"
}

expect_all_ok() {
  check_run 0 "$@" || return 0
  ! grep -q '^FAIL' <<<"$OUTPUT" || fail "check $* printed FAIL with exit 0"
}

gateway=(--role gateway --name gw1.example.test --crl "$PKI/ca.crl")
agent=(--role agent --name agent1.example.test --crl "$PKI/ca.crl")

# Good certificates pass every requirement.
expect_all_ok --cert "$PKI/gw1.pem" "${gateway[@]}" --key "$PKI/gw1.key"
expect_all_ok --cert "$PKI/gw1.pem" --role gateway --name 127.0.0.1
expect_all_ok --cert "$PKI/gw3.pem" --role gateway --name gw3.example.test
expect_all_ok --cert "$PKI/agent.pem" "${agent[@]}" --key "$PKI/agent.key"
expect_all_ok --cert "$PKI/agent2.pem" --role agent --name AGENT2.example.test
grep -q '^OK    chain' <<<"$OUTPUT" || fail "no OK chain line:"$'\n'"$OUTPUT"

# Each bad certificate fails on its own requirement only.
expect_only_failure dates --cert "$PKI/gw-expired.pem" "${gateway[@]}"
expect_only_failure dates --cert "$PKI/gw-not-yet-valid.pem" "${gateway[@]}"
expect_only_failure eku --cert "$PKI/gw-wrong-eku.pem" "${gateway[@]}"
expect_only_failure eku --cert "$PKI/gw-no-eku.pem" "${gateway[@]}"
expect_only_failure name --cert "$PKI/gw-wrong-name.pem" "${gateway[@]}"
expect_only_failure name --cert "$PKI/gw1.pem" --role gateway --name 127.0.0.2
expect_only_failure revocation --cert "$PKI/gw-revoked.pem" "${gateway[@]}"
expect_only_failure chain --cert "$PKI/gw-other-ca.pem" --role gateway --name gw1.example.test
expect_only_failure chain --cert "$PKI/agent-other-ca.pem" --role agent --name agent1.example.test
expect_only_failure eku --cert "$PKI/agent-wrong-eku.pem" "${agent[@]}"
expect_only_failure dates --cert "$PKI/agent-expired.pem" "${agent[@]}"
expect_only_failure revocation --cert "$PKI/agent-revoked.pem" "${agent[@]}"
expect_only_failure name --cert "$PKI/agent2.pem" "${agent[@]}"
expect_only_failure eku --cert "$PKI/agent.pem" "${gateway[@]/gw1.example.test/agent1.example.test}"
expect_only_failure revocation --cert "$PKI/gw1.pem" --crl "$PKI/ca-expired.crl"
expect_only_failure key-file --cert "$PKI/gw1.pem" --key "$PKI/gw2.key"

# A key file others can read is reported like ssh reports it.
cp -- "$PKI/agent.key" "$SCRATCH/agent.key"
chmod 644 "$SCRATCH/agent.key"
expect_only_failure key-file --cert "$PKI/agent.pem" --key "$SCRATCH/agent.key"
grep -q 'UNPROTECTED PRIVATE KEY FILE' <<<"$OUTPUT" || fail "no UNPROTECTED line:"$'\n'"$OUTPUT"

# Usage errors exit 2; --help exits 0 for the script and every command.
check_run 2 --cert "$PKI/gw1.pem" --name gw1.example.test || true
for command in "" ca gateway agent revoke crl check; do
  bash "$CERTS" $command --help >/dev/null || fail "$command --help exited non-zero"
done

if ((FAILED > 0)); then
  echo "$FAILED check(s) failed"
  exit 1
fi
echo "gatelink-certs check: all cases passed"
