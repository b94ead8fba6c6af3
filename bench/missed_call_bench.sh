#!/usr/bin/env bash
# Missed call to text-back under load: RATE missed calls per second for
# SECONDS seconds, each from a new caller, through the real bookwelld (the
# channel.twilio plugin .so, the inbox, the jobs queue, the conversation
# driver with the Glow clinic's catalog, the outbox) and a fresh PostgreSQL
# database, to the Twilio simulator's Messages API. The clinic has no
# forwarding number, so the voice webhook itself is the missed call; the
# simulator posts each message's status callbacks (queued, sent, delivered)
# back to the daemon as Twilio does. Latency runs from the voice webhook
# request being sent to the Messages API request arriving at the simulator
# (bench/missed_call_load.py prints p50/p90/p99/max).
#
# Usage: bench/missed_call_bench.sh [-r RATE] [-s SECONDS] [-w WORKERS] [-n] [-e]
#   -r RATE      calls per second (default 100)
#   -s SECONDS   how long (default 60)
#   -w WORKERS   jobs.workers of the daemon (default 8)
#   -n           no status callbacks from the simulator (the text-back path alone)
#   -e           the test-only echo engine instead of the conversation driver
#                (one fixed text-back per missed call: the channel and host path alone)
# Environment: BW_TEST_PG (conninfo of the cluster's maintenance database;
# default: scripts/pg start), BOOKWELLD (default ./bookwelld of the build),
# BW_SHARED_DIR (the clinic fixtures; default /work/shared). Run from the
# build directory (plugins/ holds channel.twilio-1.0.0.so).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
rate=100 seconds=60 workers=8 callbacks=true engine=driver
while getopts r:s:w:ne opt; do
    case $opt in
        r) rate=$OPTARG ;;
        s) seconds=$OPTARG ;;
        w) workers=$OPTARG ;;
        n) callbacks=false ;;
        e) engine=echo ;;
        *) sed -n '2,25p' "$0" >&2; exit 2 ;;
    esac
done
bin=${BOOKWELLD:-$PWD/bookwelld}
[ -x "$bin" ] || { echo "no bookwelld at $bin (build first, or set BOOKWELLD)" >&2; exit 1; }
plugins=$(cd "$(dirname "$bin")" && pwd)/plugins
[ -f "$plugins/channel.twilio-1.0.0.so" ] || { echo "no $plugins/channel.twilio-1.0.0.so" >&2; exit 1; }
shared=${BW_SHARED_DIR:-/work/shared}
clinic="$shared/eval/clinics/glow.json"
base=${BW_TEST_PG:-$("$top/scripts/pg" start | tail -n 1)}

account=AC0123456789abcdef0123456789abcdef
token=simulated-auth-token-0123456789
number=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["phone"])' "$clinic")
public=https://bench.example.com

work=$(mktemp -d /tmp/bw-bench-XXXXXX)
pids=()
db="bw_bench_missed_$$"
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    psql "$base" -qXc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"
psql "$base" -qXc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null

python3 "$top/tests/sim/twilio_sim.py" --port 0 --ready-file "$work/sim.json" \
    --account "$account:$token" 2> "$work/sim.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/sim.json" ] && break; sleep 0.1; done
simport=$(sed -E 's/.*"port": *([0-9]+).*/\1/' "$work/sim.json")
sim=http://127.0.0.1:$simport

mkdir -p "$work/conf/tenants"
printf '%s' "$token" > "$work/twilio_token"
chmod 600 "$work/twilio_token"
cat > "$work/conf/bookwelld.conf" <<EOF
listen = { public = "127.0.0.1:0"; admin = "127.0.0.1:0"; };
database = { url = "env:BOOKWELL_DATABASE_URL"; pool_size = 8; };
admin = { token = "env:BOOKWELL_ADMIN_TOKEN"; };
jobs = { workers = $workers; };
log = { level = "warn"; };
plugins = { dir = "$plugins"; };
EOF
cat > "$work/conf/tenants/glow.conf" <<EOF
tenant = { id = "glow"; name = "Glow Aesthetics"; timezone = "America/Los_Angeles"; country = "US"; };
plugins = (
  { plugin = "channel.twilio"; base_url = "$sim"; config = {
      account_sid = "$account"; auth_token = "file:$work/twilio_token";
      numbers = [ "$number" ]; public_base_url = "$public";
      send_rate = 200; send_burst = 200; }; },
  { plugin = "emr.local"; config = { clinic_file = "$clinic"; }; }
);
EOF
export BOOKWELL_DATABASE_URL="$base dbname=$db"
export BOOKWELL_ADMIN_TOKEN=bench-token-0123456789
# 12:15 in Los Angeles: outside quiet hours.
"$bin" --config "$work/conf" --ready-file "$work/ready.json" --test-clock=2027-03-02T20:15:00Z \
    2> "$work/daemon.log" &
dpid=$!
pids+=($dpid)
for _ in $(seq 1 300); do [ -s "$work/ready.json" ] && break; sleep 0.1; done
[ -s "$work/ready.json" ] || { cat "$work/daemon.log" >&2; exit 1; }
port=$(sed -E 's/.*"public_port":([0-9]+).*/\1/' "$work/ready.json")
aport=$(sed -E 's/.*"admin_port":([0-9]+).*/\1/' "$work/ready.json")

code=$(curl -s -o "$work/import.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $BOOKWELL_ADMIN_TOKEN" -H 'Content-Type: application/json' \
    --data-binary @"$clinic" "http://127.0.0.1:$aport/admin/tenants/glow/catalog")
[ "$code" = 200 ] || { echo "catalog import: $code $(cat "$work/import.json")" >&2; exit 1; }
if [ "$engine" = echo ]; then
    curl -sf -o /dev/null -X POST -H "Authorization: Bearer $BOOKWELL_ADMIN_TOKEN" \
        -H 'Content-Type: application/json' -d '{"engine":"echo"}' \
        "http://127.0.0.1:$aport/admin/test/engine"
fi
curl -s -X POST -H 'Content-Type: application/json' \
    -d "{\"callback_base\":\"http://127.0.0.1:$port\",\"public_base\":\"$public\",\"status_callbacks\":$callbacks}" \
    "$sim/_sim/config" >/dev/null

statements() {
    curl -s "http://127.0.0.1:$aport/metrics" | awk '$1 == "bookwell_db_statements_total" {print $2}'
}
cpu0=$(awk '{print $14+$15}' /proc/$dpid/stat)
st0=$(statements)
if [ -n "${BW_BENCH_PERF:-}" ]; then
    perf record -g -o "$BW_BENCH_PERF" -p "$dpid" 2>/dev/null &
    pids+=($!)
fi
echo "missed calls: $rate/s for ${seconds}s, daemon jobs.workers=$workers, status callbacks: $callbacks, engine: $engine"
status=0
python3 "$top/bench/missed_call_load.py" --daemon-port "$port" --sim "$sim" \
    --public-base "$public" --account "$account" --token "$token" --to "$number" \
    --rate "$rate" --seconds "$seconds" || status=$?
cpu1=$(awk '{print $14+$15}' /proc/$dpid/stat)
st1=$(statements)
ticks=$(getconf CLK_TCK)
calls=$(echo "$rate * $seconds" | bc)
echo "daemon CPU: $(echo "scale=2; ($cpu1 - $cpu0) / $ticks" | bc) s" \
     "($(echo "scale=0; ($cpu1 - $cpu0) * 1000000 / $ticks / $calls" | bc) us per call," \
     "status callbacks included)"
echo "database statements: $((st1 - st0)) ($(echo "scale=1; ($st1 - $st0) / $calls" | bc) per call," \
     "status callbacks and job polling included)"
psql "$BOOKWELL_DATABASE_URL" -qXtAc \
    "SELECT 'calls stored: ' || count(*) FROM calls WHERE tenant_id = 'glow' AND outcome = 'missed'"
if [ "$status" != 0 ]; then
    echo "run failed: a call was refused or a text-back is missing or repeated" >&2
    grep -m 20 '"level":"error"' "$work/daemon.log" >&2 || true
fi
exit "$status"
