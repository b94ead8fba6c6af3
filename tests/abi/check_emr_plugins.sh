#!/bin/sh
# Every EMR plugin listed in tests/abi/emr_plugins.list passes the
# conformance kit (bookwell-plugin-check emr) against its simulator: one
# "ok" line per plugin, and last "N passed, M failed". Adding a plugin to
# scripts/test is one line in that list.
set -u
builddir=${BW_BUILDDIR:-.}
srcdir=${BW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
. "$srcdir/tests/abi/kit_lib.sh"

unset BW_KIT_FAULT
list=$srcdir/tests/abi/emr_plugins.list
while read -r plugin config rest; do
    case $plugin in '' | '#'*) continue ;; esac
    # shellcheck disable=SC2086
    kit_emr_check "$plugin" "$config" $rest
done <"$list"
[ $((pass + fail)) -gt 0 ] || bad "no plugin listed in $list"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
