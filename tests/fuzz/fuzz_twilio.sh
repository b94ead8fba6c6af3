#!/bin/sh
# Builds the Twilio webhook fuzz target (tests/fuzz/fuzz_twilio.c with the
# plugin's webhook and TwiML code and the SDK) with clang's libFuzzer,
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs it for a short
# budget from a few seed webhooks (voice, dial action, SMS with media and
# opt-out, status with 21610). Prints "1 passed, 0 failed" when the run
# ends without a finding, "0 passed, 1 failed" (and the crash) otherwise.
#
#   fuzz_twilio.sh [SECONDS]     default BW_FUZZ_SECONDS or 30
# Environment: BW_SRCDIR, BW_BUILDDIR (the build goes to BW_BUILDDIR/fuzz),
# BW_FUZZ_CC (default clang).
set -u
src=${BW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${BW_BUILDDIR:-$src/build}/fuzz
secs=${1:-${BW_FUZZ_SECONDS:-30}}
cc=${BW_FUZZ_CC:-clang}

fail() { echo "$*"; echo "0 passed, 1 failed"; exit 1; }
command -v "$cc" >/dev/null 2>&1 || fail "$cc not found (apt-get install clang libclang-rt-14-dev)"
mkdir -p "$out/corpus" "$out/seeds" || fail "cannot create $out"

# shellcheck disable=SC2046 # pkg-config prints several flags
"$cc" -std=c11 -D_GNU_SOURCE -Werror=implicit-function-declaration -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$src/include" -I"$src/plugins/channel-twilio" $(pkg-config --cflags libcjson) \
    "$src/tests/fuzz/fuzz_twilio.c" "$src/plugins/channel-twilio/webhook.c" \
    "$src/plugins/channel-twilio/twiml.c" "$src/sdk/datetime.c" "$src/sdk/form.c" \
    "$src/sdk/json.c" "$src/sdk/money.c" "$src/sdk/phone.c" "$src/sdk/util.c" \
    -o "$out/fuzz_twilio" $(pkg-config --libs libcjson) >"$out/build.log" 2>&1 ||
    { cat "$out/build.log"; fail "the fuzz target did not build"; }

seed() { printf '%s\n%s\n%s' "$2" "$3" "$4" >"$out/seeds/$1"; }
seed voice https://clinic.example.com/webhooks/twilio/voice 0/KCTR6DLpKmkAf8muzZqo1nDgQ= \
    'AccountSid=AC1&CallSid=CA1&From=%2B14155550123&To=%2B14155550100&CallStatus=ringing'
seed dial /webhooks/twilio/dial?x=1 abc= \
    'CallSid=CA1&From=%2B14155550123&To=%2B14155550100&DialCallStatus=no-answer'
seed sms /webhooks/twilio/sms x \
    'MessageSid=MM1&From=%2B14155550123&To=%2B14155550100&Body=STOP+now%20pls&OptOutType=STOP&NumMedia=2&MediaUrl0=https%3A%2F%2Fa&MediaUrl1=b'
seed status http://127.0.0.1:80/webhooks/twilio/status '' \
    'MessageSid=SM1&MessageStatus=failed&ErrorCode=21610&From=%2B14155550100&To=%2B14155550123'

cd "$out" || fail "cannot enter $out"
# The findings (crash-*, leak-*, timeout-*) land in $out.
rm -f crash-* leak-* timeout-* oom-*
ASAN_OPTIONS=detect_leaks=1 "$out/fuzz_twilio" -max_total_time="$secs" -max_len=8192 \
    -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 corpus seeds >"$out/run.log" 2>&1
rc=$?
tail -25 "$out/run.log"
if [ "$rc" != 0 ] || ls crash-* leak-* timeout-* oom-* >/dev/null 2>&1; then
    fail "the fuzzer found a problem (exit $rc; inputs in $out)"
fi
echo "1 passed, 0 failed"
