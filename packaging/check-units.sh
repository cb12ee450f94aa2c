#!/usr/bin/env bash
# packaging/check-units.sh DIST: systemd-analyze verify and security of the units in the built
# packages, on a copy of each unit whose ExecStart and EnvironmentFile point into the extracted
# packages (this host need not have them installed, nor run systemd as PID 1).
# Fails when verify complains or a unit's exposure is 2.0 or more.
set -euo pipefail

dist=${1:?usage: check-units.sh DIST}
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
for deb in "$dist"/gatelink-agent_*.deb "$dist"/gatelink-gateway_*.deb; do
  dpkg-deb -x "$deb" "$work/root"
done
mkdir "$work/units"
status=0
for unit in gatelink-agent.service gatelink-gateway.service; do
  installed=$work/root/lib/systemd/system/$unit
  sed -e "s|=/usr/bin/|=$work/root/usr/bin/|" \
    -e "s|^EnvironmentFile=/etc/|EnvironmentFile=$work/root/etc/|" "$installed" >"$work/units/$unit"
  if ! MANPATH=$work/root/usr/share/man systemd-analyze verify "$work/units/$unit"; then
    echo "check-units: systemd-analyze verify $unit failed" >&2
    status=1
  fi
  # The rating of the unit as installed (security does not run the programs).
  rating=$(systemd-analyze security --offline=true --no-pager "$installed" | tail -n 1)
  echo "check-units: $rating"
  exposure=$(grep -oE '[0-9]+\.[0-9]+' <<<"$rating" | head -n 1)
  if ! awk -v e="$exposure" 'BEGIN { exit !(e < 2.0) }'; then
    echo "check-units: $unit exposure $exposure is 2.0 or more" >&2
    status=1
  fi
done
exit "$status"
