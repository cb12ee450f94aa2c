#!/bin/bash
# build-msi.sh FILES_DIR OUT.msi VERSION: the gatelink agent's MSI from packaging/msi/gatelink.wxs
# with wixl (Debian package wixl). FILES_DIR holds the Windows programs and the schemas, flat:
# gatelink-agent.exe, gatelinkctl.exe, gatelink.dll, agent.xsd, topology.xsd.
# VERSION: major.minor.patch (an MSI's ProductVersion; a fourth field is ignored by upgrades).
# Exit status: 0 built, 1 wixl failed or a file is missing, 64 usage.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
readonly files=(gatelink-agent.exe gatelinkctl.exe gatelink.dll agent.xsd topology.xsd)

if [ $# -ne 3 ]; then
  echo "usage: build-msi.sh FILES_DIR OUT.msi VERSION" >&2
  exit 64
fi
files_dir=$1 out=$2 version=$3
if ! [[ $version =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,5}$ ]]; then
  echo "build-msi.sh: version '$version' is not major.minor.patch (MSI: 255.255.65535 at most)" >&2
  exit 64
fi
for tool in wixl msibuild msiinfo xmllint; do
  command -v "$tool" >/dev/null ||
    { echo "build-msi.sh: $tool not found (apt-get install wixl msitools libxml2-utils)" >&2; exit 1; }
done
files_dir=$(cd "$files_dir" && pwd)
for f in "${files[@]}"; do
  [ -f "$files_dir/$f" ] || { echo "build-msi.sh: $files_dir/$f is missing" >&2; exit 1; }
done

mkdir -p "$(dirname "$out")"
# wixl writes the output in place; a failed run must not leave a half-written MSI under OUT.
tmp=$(mktemp "$(dirname "$out")/.$(basename "$out").XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
# Sources are plain names: wixl looks for them in the current folder, then beside the .wxs, and
# takes no absolute Source. The architecture comes from --arch (wixl ignores Package/@Platform).
tmp=$(cd "$(dirname "$tmp")" && pwd)/$(basename "$tmp")
# Its warnings about the Secure attribute are known (see below) and left out; any other shows.
log=$(mktemp)
trap 'rm -f -- "$tmp" "$log"' EXIT
status=0
(cd "$files_dir" && wixl --arch x64 -D "Version=$version" -o "$tmp" "$here/gatelink.wxs") \
  2>"$log" || status=$?
grep -v -e "has no property named 'Secure'" -e '^$' "$log" >&2 || true
[ "$status" -eq 0 ] || { echo "build-msi.sh: wixl failed" >&2; exit 1; }
# wixl ignores Property/@Secure and writes SecureCustomProperties with its own upgrade
# properties only; the install-time settings join them, or an elevated installation by a user
# without rights would drop them.
secure=$(xmllint --xpath "//*[local-name()='Property'][@Secure='yes']/@Id" "$here/gatelink.wxs" |
  sed -E 's/ *Id="([A-Z_]+)"/\1\n/g' | sed '/^$/d' | paste -sd';')
own=$(msiinfo export "$tmp" Property | awk -F'\t' '$1 == "SecureCustomProperties" { print $2 }')
msibuild "$tmp" -q "UPDATE \`Property\` SET \`Value\` = '${own:+$own;}$secure' WHERE \`Property\` = 'SecureCustomProperties'"
mv -f -- "$tmp" "$out"
echo "build-msi.sh: $out (version $version)"
