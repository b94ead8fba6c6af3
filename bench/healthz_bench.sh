#!/usr/bin/env bash
# Benchmark of GET /healthz on the public listener: starts the real bookwelld
# (built in this checkout) against a private PostgreSQL, drives it with wrk for
# a fixed duration, and prints requests/s, the p99 latency, and the daemon's
# CPU time per request (utime + stime from /proc: steadier than requests/s
# when other work shares the machine).
#
# Usage: bench/healthz_bench.sh            (after ./configure && make)
# Environment:
#   DURATION=20s CONNECTIONS=64 THREADS=2  wrk's -d, -c and -t
#   BW_BENCH_PG="host=... dbname=postgres"  use this cluster instead of scripts/pg
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-20s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}

bin="$top/bookwelld"
[ -x "$bin" ] || { echo "no $bin: build first (./autogen.sh && ./configure && make)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
command -v psql >/dev/null || { echo "psql not found: apt-get install postgresql-client" >&2; exit 1; }

started_pg=no
if [ -n "${BW_BENCH_PG:-}" ]; then
    base=$BW_BENCH_PG
else
    . "$top/scripts/lib/pg.sh"
    pgdir=$(pg_dir "$top")
    bindir=$(pg_bindir) || { echo "PostgreSQL server not found: apt-get install postgresql" >&2; exit 1; }
    if ! pg_as_owner "$bindir/pg_ctl" -D "$pgdir/data" status >/dev/null 2>&1; then
        started_pg=yes
    fi
    "$top/scripts/pg" start >/dev/null
    base=$("$top/scripts/pg" conninfo)
fi

db="bookwell_bench_$$"
work=$(mktemp -d /tmp/bw-bench-XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    psql "$base" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
    if [ "$started_pg" = yes ]; then "$top/scripts/pg" stop || true; fi
}
trap cleanup EXIT

psql "$base" -qc "CREATE DATABASE \"$db\"" >/dev/null
# Replace (or append) dbname in the key=value conninfo.
dburl=$(printf '%s' "$base" | sed -E "s/(^| )dbname=[^ ]*//")" dbname=$db"

mkdir -p "$work/tenants"
cat >"$work/bookwelld.conf" <<CONF
listen = { public = "127.0.0.1:0"; admin = "127.0.0.1:0"; };
database = { url = "env:BOOKWELL_DATABASE_URL"; pool_size = 4; };
admin = { token = "env:BOOKWELL_ADMIN_TOKEN"; };
log = { level = "info"; };
CONF
cat >"$work/tenants/glow.conf" <<CONF
tenant = { id = "glow"; name = "Glow Aesthetics"; timezone = "America/Los_Angeles"; country = "US"; };
CONF

BOOKWELL_DATABASE_URL=$dburl BOOKWELL_ADMIN_TOKEN=bench-token-$$ \
    "$bin" --config "$work" --ready-file "$work/ready.json" 2>"$work/bookwelld.log" &
pid=$!
for _ in $(seq 1 200); do
    [ -s "$work/ready.json" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/bookwelld.log" >&2; exit 1; }
    sleep 0.05
done
[ -s "$work/ready.json" ] || { echo "bookwelld did not become ready" >&2; cat "$work/bookwelld.log" >&2; exit 1; }
port=$(sed -E 's/.*"public_port":([0-9]+).*/\1/' "$work/ready.json")
url="http://127.0.0.1:$port/healthz"

curl -fsS "$url" >/dev/null
# Warm up (connections, pages), then measure.
wrk -t"$threads" -c"$connections" -d2s "$url" >/dev/null
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
cmd="wrk -t$threads -c$connections -d$duration --latency $url"
echo "$ $cmd"
t0=$(cpu_ticks)
out=$($cmd)
t1=$(cpu_ticks)
echo "$out"

rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ {print $2}')
p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
total=$(printf '%s\n' "$out" | awk '/requests in/ {print $1}')
cpu_us=$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v n="$total" \
    'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
errors=$(printf '%s\n' "$out" | awk '/Non-2xx|Socket errors/ {print}')
echo
echo "GET /healthz: ${rps} requests/s, p99 ${p99}, ${cpu_us} us daemon CPU per request" \
     "(${connections} connections, ${threads} wrk threads, ${duration}, $(nproc) CPUs)"
if [ -n "$errors" ]; then echo "errors: $errors"; exit 1; fi
