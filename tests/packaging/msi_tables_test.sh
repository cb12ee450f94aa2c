#!/bin/bash
# msi_tables_test.sh [MSI]: checks the tables of the gatelink agent's MSI with `msiinfo export`:
# files and where they go, the service and its control events, the install-time properties and
# their defaults, the major upgrade, and the custom action that writes the first-install
# configuration (its command line, its condition and its place in InstallExecuteSequence).
# Without MSI, builds one with packaging/msi/build-msi.sh from stand-in files of the right names
# (GATELINK_MSI_FILES=DIR: the real Windows programs and schemas instead).
# One ok/FAIL line per check, then "N passed, N failed". Exit 0 all passed, 1 a check failed,
# 77 msitools or wixl missing (ctest: skipped).
set -euo pipefail

readonly upgrade_code='{67F146AC-0C2C-462E-8542-A9AA6F04F7AD}'
readonly install_properties=(MANAGEMENT_GROUP MANAGEMENT_SERVER_DNS FAILOVER_SERVERS SECURE_PORT
  CA_FILE CERT_FILE KEY_FILE AGENT_NAME)
source_dir=$(cd "$(dirname "$0")/../.." && pwd)

for tool in msiinfo msibuild wixl xmllint; do
  if ! command -v "$tool" >/dev/null; then
    echo "msi_tables_test: skipped: $tool not found (apt-get install wixl msitools libxml2-utils)"
    exit 77
  fi
done

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
if [ $# -ge 1 ]; then
  msi=$1
else
  files=${GATELINK_MSI_FILES:-}
  if [ -z "$files" ]; then
    files=$work/files
    mkdir -p "$files"
    for f in gatelink-agent.exe gatelinkctl.exe gatelink.dll; do
      printf 'stand-in for %s (msi_tables_test.sh)\n' "$f" >"$files/$f"
    done
    cp "$source_dir/config/agent.xsd" "$source_dir/config/topology.xsd" "$files/"
    echo "msi_tables_test: no MSI given and no GATELINK_MSI_FILES: building from stand-in files" \
      "(the tables, not the Windows programs, are under test)"
  fi
  msi=$work/gatelink.msi
  "$source_dir/packaging/msi/build-msi.sh" "$files" "$msi" 0.1.0 >/dev/null
fi

passed=0 failed=0
check() {  # NAME COMMAND...: runs COMMAND, prints ok or FAIL
  local name=$1
  shift
  if "$@" >"$work/why" 2>&1; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    sed 's/^/       /' "$work/why"
    failed=$((failed + 1))
  fi
}

# A table's rows, tab-separated, without msiinfo's three header lines (and its CRLF endings).
table() { msiinfo export "$msi" "$1" | tail -n +4 | tr -d '\r'; }
# The value in column N of the row whose first column is KEY.
cell() {  # TABLE KEY N
  table "$1" | awk -F'\t' -v key="$2" -v n="$3" '$1 == key { print $n; found = 1 } END { exit !found }'
}
equals() {  # WHAT GOT WANT
  [ "$2" = "$3" ] || { echo "$1: got '$2', want '$3'"; return 1; }
}
sequence_of() { cell InstallExecuteSequence "$1" 3; }
before() {  # A B: A comes before B in InstallExecuteSequence
  local a b
  a=$(sequence_of "$1") || { echo "$1 is not in InstallExecuteSequence"; return 1; }
  b=$(sequence_of "$2") || { echo "$2 is not in InstallExecuteSequence"; return 1; }
  [ "$a" -lt "$b" ] || { echo "$1 ($a) is not before $2 ($b)"; return 1; }
}

# --- files and folders
file_in() {  # FILE_ID NAME COMPONENT
  equals "$1 name" "$(cell File "$1" 3)" "$2" && equals "$1 component" "$(cell File "$1" 2)" "$3" &&
    equals "$3 folder" "$(cell Component "$3" 3)" INSTALLDIR &&
    (($(cell Component "$3" 4) & 256)) || { echo "$3 is not a 64-bit component"; return 1; }
}
folder() {  # ID PARENT NAME
  equals "$1 parent" "$(cell Directory "$1" 2)" "$2" && equals "$1 name" "$(cell Directory "$1" 3)" "$3"
}
check "programs folder is ProgramFiles64Folder\\gatelink" folder INSTALLDIR ProgramFiles64Folder gatelink
check "gatelink-agent.exe in it" file_in gatelink_agent.exe gatelink-agent.exe AgentProgram
check "gatelinkctl.exe in it" file_in gatelinkctl.exe gatelinkctl.exe CtlProgram
check "gatelink.dll in it" file_in gatelink.dll gatelink.dll Library
check "agent.xsd beside the programs" file_in agent.xsd agent.xsd AgentSchema
check "topology.xsd beside the programs" file_in topology.xsd topology.xsd TopologySchema
check "no other file" equals "files" "$(table File | wc -l)" 5
check "configuration folder is CommonAppDataFolder\\gatelink" folder CONFIGDIR CommonAppDataFolder gatelink
check "state folder is CommonAppDataFolder\\gatelink\\state" folder STATEDIR CONFIGDIR state
check "both folders are created" equals "CreateFolder" "$(table CreateFolder | cut -f1 | sort | paste -sd,)" CONFIGDIR,STATEDIR
# agent.xml is written by the custom action, never installed: an uninstall or upgrade has no
# component that could remove or replace it.
no_config_file() { ! table File | grep -qi 'agent\.xml'; }
check "agent.xml is no file of the package" no_config_file

# --- the service
check "service gatelink-agent installed with the agent's component" \
  equals "component" "$(table ServiceInstall | awk -F'\t' '$2 == "gatelink-agent" { print $12 }')" AgentProgram
check "service runs in its own process" equals "ServiceType" "$(cell ServiceInstall AgentService 4)" 16
check "service starts automatically" equals "StartType" "$(cell ServiceInstall AgentService 5)" 2
check "service runs as LocalSystem" equals "StartName" "$(cell ServiceInstall AgentService 9)" LocalSystem
check "service arguments" equals "Arguments" "$(cell ServiceInstall AgentService 11)" \
  '--service --config "[CommonAppDataFolder]gatelink\agent.xml"'
control_events() {  # start on install (1), stop on install (2) and uninstall (32), delete on uninstall (128)
  local event
  event=$(table ServiceControl | awk -F'\t' '$2 == "gatelink-agent" { print $3 }')
  [ -n "$event" ] || { echo "no ServiceControl row for gatelink-agent"; return 1; }
  for bit in 1 2 32 128; do
    ((event & bit)) || { echo "event $event lacks bit $bit"; return 1; }
  done
  ! ((event & 16)) || { echo "event $event starts the service on uninstall"; return 1; }
}
check "service started on install, stopped and removed on uninstall" control_events
recovery() {  # wixl has no ServiceConfigFailureActions: sc.exe failure, once the service exists
  before InstallServices ServiceRecovery && before ServiceRecovery StartServices &&
    [[ $(cell CustomAction ServiceRecovery 4) == "failure gatelink-agent "*"actions= restart/"* ]]
}
check "restart on failure (sc.exe failure) after InstallServices, before StartServices" recovery

# --- properties
check "SECURE_PORT defaults to 5723" equals "SECURE_PORT" "$(cell Property SECURE_PORT 2)" 5723
check "UpgradeCode is the fixed one" equals "UpgradeCode" "$(cell Property UpgradeCode 2)" "$upgrade_code"
secure_properties() {
  local secure
  secure=";$(cell Property SecureCustomProperties 2);"
  for p in "${install_properties[@]}" WIX_UPGRADE_DETECTED; do
    [[ $secure == *";$p;"* ]] || { echo "$p is not in SecureCustomProperties ($secure)"; return 1; }
  done
}
check "install-time properties are secure" secure_properties
check "a first install needs MANAGEMENT_GROUP and MANAGEMENT_SERVER_DNS" \
  cell LaunchCondition 'Installed OR WIX_UPGRADE_DETECTED OR (MANAGEMENT_GROUP AND MANAGEMENT_SERVER_DNS)' 2

# --- upgrade
upgrade_rows() {
  local version rows
  version=$(cell Property ProductVersion 2)
  rows=$(table Upgrade | awk -F'\t' -v code="$upgrade_code" '$1 == code')
  # An older version (up to this one, excluded) is upgraded; a newer one is only detected.
  grep -qP "^\Q$upgrade_code\E\t\t\Q$version\E\t[^\t]*\t1\t[^\t]*\tWIX_UPGRADE_DETECTED$" <<<"$rows" ||
    { echo "no upgrade row for versions below $version: $rows"; return 1; }
  grep -qP "^\Q$upgrade_code\E\t\Q$version\E\t\t[^\t]*\t2\t[^\t]*\tWIX_DOWNGRADE_DETECTED$" <<<"$rows" ||
    { echo "no downgrade detection: $rows"; return 1; }
}
check "Upgrade table: older versions upgraded, newer detected" upgrade_rows
old_version_first() {
  before InstallValidate RemoveExistingProducts && before RemoveExistingProducts InstallInitialize
}
check "the old version goes before anything is installed" old_version_first

# --- the first-install configuration
check "bootstrap action runs gatelinkctl.exe, deferred, as LocalSystem, failure fails the install" \
  equals "type and source" "$(cell CustomAction WriteBootstrapConfig 2) $(cell CustomAction WriteBootstrapConfig 3)" \
  "3090 gatelinkctl.exe"
bootstrap_command() {
  local target
  target=$(cell CustomAction WriteBootstrapConfig 4)
  for pair in 'bootstrap-config' '--keep-existing' \
    '--out "[CommonAppDataFolder]gatelink\agent.xml"' '--agent "[AGENT_NAME]"' \
    '--management-group "[MANAGEMENT_GROUP]"' '--primary "[MANAGEMENT_SERVER_DNS]"' \
    '--failover "[FAILOVER_SERVERS]"' '--default-port "[SECURE_PORT]"' '--ca "[CA_FILE]"' \
    '--cert "[CERT_FILE]"' '--key "[KEY_FILE]"' '--state-dir "[CommonAppDataFolder]gatelink\state"'; do
    [[ $target == *"$pair"* ]] || { echo "missing $pair in: $target"; return 1; }
  done
}
check "bootstrap command line maps every property" bootstrap_command
check "bootstrap action only on first install" equals "condition" \
  "$(cell InstallExecuteSequence WriteBootstrapConfig 2)" "NOT Installed AND NOT WIX_UPGRADE_DETECTED"
check "bootstrap action after InstallFiles" before InstallFiles WriteBootstrapConfig
check "bootstrap action before InstallServices and StartServices" before WriteBootstrapConfig InstallServices
in_script() { before InstallInitialize WriteBootstrapConfig && before WriteBootstrapConfig InstallFinalize; }
check "bootstrap action inside the installation script" in_script
check "folder ACLs set before the configuration is written" before SecureConfigFolder WriteBootstrapConfig
defaults_first() {  # the defaults that name folders are set before the script is written
  for action in DefaultAgentName DefaultCaFile DefaultCertFile DefaultKeyFile; do
    before "$action" InstallInitialize || return 1
  done
  equals "AGENT_NAME default" "$(cell CustomAction DefaultAgentName 4)" "[ComputerName]" &&
    equals "condition" "$(cell InstallExecuteSequence DefaultAgentName 2)" "NOT AGENT_NAME"
}
check "AGENT_NAME defaults to the computer's name, file defaults set before the script" defaults_first

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
