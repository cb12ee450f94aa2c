#!/bin/bash
# What the built libgatelink promises embedders (docs/PLUGIN.md "The promise"):
#   exports LIB MAP HEADER  the dynamic symbols it defines are exactly the version script's list,
#                           which is exactly the functions gatelink.h declares; SONAME .so.0
#   unique LIB              no STB_GNU_UNIQUE symbol and no NODELETE flag (either keeps the
#                           library loaded after dlclose)
set -euo pipefail
mode=$1
lib=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

case $mode in
exports)
  map=$3
  header=$4
  # Defined dynamic symbols, without @VERSION, minus the version node itself (GATELINK_0).
  exported=$(nm -D --defined-only --format=posix "$lib" | awk '{print $1}' | sed 's/@.*//' |
             grep -v '^GATELINK_[0-9]*$' | sort -u)
  listed=$(sed -n 's/^ *\(gatelink_[a-z_0-9]*\);$/\1/p' "$map" | sort -u)
  declared=$(grep -v '^#' "$header" | grep -o 'GATELINK_API [^(]*(' | sed 's/.*[ *]\(gatelink_[a-z_0-9]*\)($/\1/' |
             sort -u)
  [[ -n $listed ]] || fail "no names in $map"
  unexpected=$(comm -23 <(echo "$exported") <(echo "$listed"))
  [[ -z $unexpected ]] || fail "exported but not in the documented list ($map):
$unexpected"
  missing=$(comm -13 <(echo "$exported") <(echo "$listed"))
  [[ -z $missing ]] || fail "listed in $map but not exported:
$missing"
  [[ "$listed" == "$declared" ]] || fail "$map and $header disagree:
$(diff <(echo "$listed") <(echo "$declared"))"
  soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  [[ $soname == libgatelink.so.0 ]] || fail "SONAME is '$soname', not libgatelink.so.0"
  echo "exports: $(echo "$exported" | wc -l) symbols, all in $map; SONAME $soname"
  ;;
unique)
  unique=$(readelf --dyn-syms -W "$lib" | awk '$5 == "UNIQUE"' || true)
  [[ -z $unique ]] || fail "STB_GNU_UNIQUE symbols (the library could never be unloaded):
$unique"
  if readelf -d "$lib" | grep -q 'NODELETE'; then fail "the library is marked NODELETE"; fi
  echo "unique: none; not NODELETE"
  ;;
*)
  fail "unknown mode $mode"
  ;;
esac
