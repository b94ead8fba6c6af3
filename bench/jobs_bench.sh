#!/usr/bin/env bash
# Jobs queue throughput: jobs claimed and completed per second by 1 and by 2
# bookwelld processes sharing one PostgreSQL. Each run gets a fresh database;
# the daemons start with --test-clock so the test-only kind test.effect is
# registered (one INSERT into test_effects inside the completion
# transaction, the smallest realistic handler). JOBS jobs over KEYS ordering
# keys are enqueued in one transaction with one NOTIFY; the clock starts at
# that commit and stops at the last completion (the database's own times).
#
# Usage: bench/jobs_bench.sh [-n JOBS] [-k KEYS] [-w WORKERS] [-d "1 2"]
#   -n JOBS     jobs per run (default 20000)
#   -k KEYS     ordering keys; 0 means no ordering key (default 500)
#   -w WORKERS  jobs.workers per daemon (default 4)
#   -d LIST     daemon counts to run (default "1 2")
# Environment: BW_TEST_PG (conninfo of the cluster's maintenance database;
# default: scripts/pg start), BOOKWELLD (default ./bookwelld of the build).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
jobs=20000 keys=500 workers=4 counts="1 2"
while getopts n:k:w:d: opt; do
    case $opt in
        n) jobs=$OPTARG ;;
        k) keys=$OPTARG ;;
        w) workers=$OPTARG ;;
        d) counts=$OPTARG ;;
        *) sed -n '2,18p' "$0" >&2; exit 2 ;;
    esac
done
bin=${BOOKWELLD:-$PWD/bookwelld}
[ -x "$bin" ] || { echo "no bookwelld at $bin (build first, or set BOOKWELLD)" >&2; exit 1; }
base=${BW_TEST_PG:-$("$top/scripts/pg" start | tail -n 1)}

work=$(mktemp -d /tmp/bw-bench-XXXXXX)
pids=()
db=""
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "$db" ] && psql "$base" -qXc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/conf/tenants"
cat > "$work/conf/bookwelld.conf" <<EOF
listen = { public = "127.0.0.1:0"; admin = "127.0.0.1:0"; };
database = { url = "env:BOOKWELL_DATABASE_URL"; pool_size = 2; };
admin = { token = "env:BOOKWELL_ADMIN_TOKEN"; };
jobs = { workers = $workers; lease = "30s"; poll_interval = "1s"; };
log = { level = "warn"; };
EOF
echo 'tenant = { id = "glow"; name = "Glow"; timezone = "America/Los_Angeles"; country = "US"; };' \
    > "$work/conf/tenants/glow.conf"
export BOOKWELL_ADMIN_TOKEN=bench-token-0123456789
export PGOPTIONS="-c client_min_messages=warning"

if [ "$keys" -gt 0 ]; then key_sql="'conv-' || (g % $keys)"; else key_sql="NULL"; fi
start="2027-03-02T20:15:00Z"

printf '%-8s %-8s %-6s %-8s %-10s %-12s %s\n' daemons jobs keys workers seconds "jobs/s" "share per daemon"
for n in $counts; do
    db="bw_bench_$$_$n"
    psql "$base" -qXc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    conn="$base dbname=$db"
    export BOOKWELL_DATABASE_URL="$conn"
    pids=()
    for i in $(seq 1 "$n"); do
        "$bin" --config "$work/conf" --ready-file "$work/ready$i" --test-clock="$start" \
            2> "$work/daemon$i.log" &
        pids+=($!)
        # Start one at a time: the first applies the schema.
        for _ in $(seq 1 200); do [ -s "$work/ready$i" ] && break; sleep 0.1; done
        [ -s "$work/ready$i" ] || { cat "$work/daemon$i.log" >&2; exit 1; }
    done
    psql "$conn" -qX >/dev/null <<EOF
CREATE TABLE test_effects (effect_id bigserial PRIMARY KEY, tenant_id text NOT NULL,
  job_id bigint NOT NULL, ordering_key text, seq integer, attempt integer NOT NULL,
  pid integer NOT NULL, ran_at timestamptz NOT NULL);
CREATE TABLE bench (enqueued_at timestamptz);
BEGIN;
INSERT INTO jobs (tenant_id, kind, payload, run_at, ordering_key)
  SELECT 'glow', 'test.effect', jsonb_build_object('seq', g), '$start', $key_sql
  FROM generate_series(0, $jobs - 1) g ORDER BY g;
NOTIFY bookwell_jobs;
COMMIT;
INSERT INTO bench VALUES (clock_timestamp());
EOF
    while [ "$(psql "$conn" -qXtAc "SELECT count(*) FROM jobs WHERE state <> 'done'")" != 0 ]; do
        sleep 0.2
    done
    secs=$(psql "$conn" -qXtAc "SELECT round(extract(epoch FROM (SELECT max(finished_at) FROM jobs) - enqueued_at)::numeric, 2) FROM bench")
    again=$(psql "$conn" -qXtAc "SELECT count(*) FROM jobs WHERE attempts <> 1")
    effects=$(psql "$conn" -qXtAc "SELECT count(DISTINCT job_id) FROM test_effects")
    [ "$again" = 0 ] && [ "$effects" = "$jobs" ] || { echo "run incomplete: $again retried, $effects effects" >&2; exit 1; }
    share=$(psql "$conn" -qXtAc "SELECT string_agg(n::text, '/' ORDER BY n DESC) FROM (SELECT count(*) AS n FROM test_effects GROUP BY pid) s")
    rate=$(echo "scale=0; $jobs / $secs" | bc)
    printf '%-8s %-8s %-6s %-8s %-10s %-12s %s\n' "$n" "$jobs" "$keys" "$workers" "$secs" "$rate" "$share"
    for p in "${pids[@]}"; do kill "$p"; done
    wait
    pids=()
    psql "$base" -qXc "DROP DATABASE $db WITH (FORCE)" >/dev/null
    db=""
done
