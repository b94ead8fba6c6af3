#!/bin/sh
# The conformance kit notices what it claims to check: each contract
# violation of tests/abi/fx_emr_faults.c (the template EMR with one fault
# chosen by BW_KIT_FAULT) makes the kit exit 1 with that check's FAIL line;
# a file the loader refuses, a plugin of another kind and a configuration
# with an unknown key fail early with the reason (the file and line for the
# configuration); --now drives the business clock; a usage error exits 2.
# The channel, payment and ai fixtures (tests/abi/fx_kit_provider.c) pass
# the provider-free checks, and fail them with a webhook accepted unsigned
# or a malformed input taken for sending.
set -u
builddir=${BW_BUILDDIR:-.}
srcdir=${BW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
. "$srcdir/tests/abi/kit_lib.sh"

conf=$srcdir/sdk/template/kit.conf
faults=$(kit_stage tests/abi/.libs/fx_emr_faults.so=emr.kitfaults-1.0.0.so)

# expect_fail FAULT CHECK...: with BW_KIT_FAULT=FAULT the kit exits 1 and
# reports each CHECK as FAIL.
expect_fail() {
    fault=$1
    shift
    BW_KIT_FAULT=$fault kit_run emr "$faults" "$conf"
    rc=$?
    missing=
    for c in "$@"; do grep -q "^FAIL $c: " "$KIT_LOG" || missing="$missing $c"; done
    if [ $rc -eq 1 ] && [ -z "$missing" ] && kit_last | grep -Eq '^[0-9]+ passed, [1-9][0-9]* failed$'; then
        ok "$fault: $(grep "^FAIL $1: " "$KIT_LOG" | head -n 1)"
    else
        sed 's/^/    /' "$KIT_LOG"
        bad "$fault: exit $rc, no FAIL line for:${missing:- (exit status)}"
    fi
}

unset BW_KIT_FAULT
if kit_run emr "$faults" "$conf" && kit_last | grep -Eq '^[0-9]+ passed, 0 failed$'; then
    ok "without a fault the template passes: $(kit_last)"
else
    sed 's/^/    /' "$KIT_LOG"; bad "without a fault: $(kit_last)"
fi
expect_fail double_book book_conflict
expect_fail bad_code malformed_availability malformed_book malformed_cancel error_codes
expect_fail outside_range availability_in_range
expect_fail create_twice patient_create_idempotent patient_find
expect_fail stale_slots availability_free_only
expect_fail plain_token config_schema

# A file the loader refuses: the reason, and nothing else runs.
refused=$(kit_stage tests/abi/.libs/fx_bad_magic.so=emr.fx-1.0.0.so)
kit_run emr "$refused" "$conf"
rc=$?
if [ $rc -eq 1 ] && grep -q '^FAIL load: refused (bad_magic)' "$KIT_LOG" && [ "$(kit_last)" = "0 passed, 1 failed" ]; then
    ok "a refused file: $(grep '^FAIL load' "$KIT_LOG")"
else
    sed 's/^/    /' "$KIT_LOG"; bad "a refused file: exit $rc"
fi

# The kind asked for is the plugin's kind.
kit_run channel "$faults" "$conf"
if [ $? -eq 1 ] && grep -q '^FAIL descriptor: emr.kitfaults is a emr plugin, not channel' "$KIT_LOG"; then
    ok "another kind: $(grep '^FAIL descriptor' "$KIT_LOG")"
else
    sed 's/^/    /' "$KIT_LOG"; bad "another kind was not refused"
fi

# A configuration the schema refuses, reported with the file and line.
printf 'location_id = "main";\nno_such_key = 1;\n' >"$KIT_TMP/bad.conf"
kit_run emr "$faults" "$KIT_TMP/bad.conf"
if [ $? -eq 1 ] && grep -q "^FAIL instance_open: .*bad.conf:2: .*no_such_key" "$KIT_LOG"; then
    ok "an unknown key: $(grep '^FAIL instance_open' "$KIT_LOG")"
else
    sed 's/^/    /' "$KIT_LOG"; bad "an unknown key was not reported with its line"
fi
# The same keys wrapped as a binding's config = { ... } group are accepted.
{ echo "config = {"; grep -v '^#' "$conf"; echo "};"; } >"$KIT_TMP/wrapped.conf"
if kit_run emr "$faults" "$KIT_TMP/wrapped.conf"; then ok "config = { ... } form: $(kit_last)"; else
    sed 's/^/    /' "$KIT_LOG"; bad "config = { ... } form: $(kit_last)"; fi

# --now pins the business clock: on Sunday 2030-01-06 at 16:00 in Los Angeles
# the first free slot is Monday's opening.
kit_run emr "$faults" "$conf" --now 2030-01-07T00:00:00Z
if [ $? -eq 0 ] && grep -q '^# [0-9]* slot(s); booking 2030-01-07T09:00:00-08:00$' "$KIT_LOG"; then
    ok "--now: $(grep '^# .*booking' "$KIT_LOG")"
else
    sed 's/^/    /' "$KIT_LOG"; bad "--now did not pin the clock"
fi

# The provider kinds: the fixtures pass; a webhook accepted unsigned, and a
# malformed input taken for sending, each fail their check.
export BW_KIT_FX_SECRET=fx-signing-secret
printf 'signing_secret = "env:BW_KIT_FX_SECRET";\n' >"$KIT_TMP/fx.conf"
for kind in channel payment ai; do
    so=$(kit_stage "tests/abi/.libs/fx_kit_$kind.so=$kind.kitfx-1.0.0.so")
    unset BW_KIT_FAULT
    if kit_run "$kind" "$so" "$KIT_TMP/fx.conf" && kit_last | grep -Eq '^[0-9]+ passed, 0 failed$'; then
        ok "$kind fixture passes: $(kit_last)"
    else
        sed 's/^/    /' "$KIT_LOG"; bad "$kind fixture: $(kit_last)"
    fi
    if [ "$kind" != ai ]; then
        BW_KIT_FAULT=accept_any kit_run "$kind" "$so" "$KIT_TMP/fx.conf"
        if [ $? -eq 1 ] && grep -q '^FAIL webhook_bad_signature: returned BW_OK, not BW_E_AUTH' "$KIT_LOG"; then
            ok "$kind accept_any: $(grep '^FAIL webhook' "$KIT_LOG")"
        else
            sed 's/^/    /' "$KIT_LOG"; bad "$kind accept_any was not caught"
        fi
    fi
    op=send
    [ "$kind" = payment ] && op=link_create
    [ "$kind" = ai ] && op=complete
    BW_KIT_FAULT=bad_json kit_run "$kind" "$so" "$KIT_TMP/fx.conf"
    if [ $? -eq 1 ] && grep -q "^FAIL malformed_$op: " "$KIT_LOG"; then
        ok "$kind bad_json: $(grep "^FAIL malformed_$op" "$KIT_LOG")"
    else
        sed 's/^/    /' "$KIT_LOG"; bad "$kind bad_json was not caught"
    fi
done
unset BW_KIT_FAULT

"$KIT_BIN" emr >/dev/null 2>&1
rc=$?
if [ $rc -eq 2 ]; then ok "a usage error exits 2"; else bad "a usage error exited $rc"; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
