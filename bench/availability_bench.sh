#!/usr/bin/env bash
# Benchmark of GET /availability with the built-in calendar (emr.local):
# starts the real bookwelld (built in this checkout) against a private
# PostgreSQL with TENANTS tenants, each the Glow clinic grown to 5 providers
# and bound to emr.local, imports their catalogs and makes an API key each,
# then drives GET /availability over a 14-day range with wrk, requests spread
# over every tenant. Two runs:
#   cold: each request a different (tenant, service, provider, start day)
#         out of TENANTS x 4 services x 6 provider choices x 14 start days, so
#         the 5-second per-tenant cache almost never answers: the plugin call,
#         the catalog rules and the holds query run every time;
#   warm: one query per tenant, answered from the cache after its first
#         request (the holds query and the catalog rules still run).
# Prints requests/s, p99 and the daemon's CPU time per request of each.
# With EMR=boulevard or EMR=nextech every tenant binds that plugin instead,
# configured as the evaluation runner does (tests/eval/emr/NAME.conf),
# against one simulator (tests/sim/NAME_sim.py) serving the same clinic: the
# plugin's real HTTP calls, paging, auth and throttling are in the path.
#
# Usage: bench/availability_bench.sh       (after ./configure && make)
# Environment:
#   BW_BUILDDIR=build                      where bookwelld was built (default: the checkout)
#   TENANTS=100 DURATION=20s CONNECTIONS=16 THREADS=2 EMR=local|boulevard|nextech
#   BW_BENCH_PG="host=... dbname=postgres"  use this cluster instead of scripts/pg
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BW_BUILDDIR:-$top}
tenants=${TENANTS:-100}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-16}
threads=${THREADS:-2}
emr=${EMR:-local}
case $emr in local | boulevard | nextech) ;; *) echo "EMR: local, boulevard or nextech" >&2; exit 2 ;; esac
shared=${BW_SHARED_DIR:-/work/shared}
clinic="$shared/eval/clinics/glow.json"

bin="$build/bookwelld"
plugin="$build/plugins/emr.$emr-1.0.0.so"
for f in "$bin" "$plugin" "$clinic"; do
    [ -e "$f" ] || { echo "no $f: build first (./autogen.sh && ./configure && make)" >&2; exit 1; }
done
lua="$(cd "$(dirname "$0")" && pwd)/availability_bench.lua"
for c in wrk psql curl python3; do
    command -v $c >/dev/null || { echo "$c not found" >&2; exit 1; }
done

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

db="bookwell_abench_$$"
work=$(mktemp -d /tmp/bw-abench-XXXXXX)
pid=
sim_pid=
token=bench-token-$$
cleanup() {
    if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; fi
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
dburl=$(printf '%s' "$base" | sed -E "s/(^| )dbname=[^ ]*//")" dbname=$db"

mkdir -p "$work/tenants" "$work/plugins"
cp "$plugin" "$work/plugins/"
cat >"$work/bookwelld.conf" <<CONF
listen = { public = "127.0.0.1:0"; admin = "127.0.0.1:0"; };
database = { url = "env:BOOKWELL_DATABASE_URL"; pool_size = 8; };
admin = { token = "env:BOOKWELL_ADMIN_TOKEN"; };
plugins = { dir = "$work/plugins"; };
log = { level = "warn"; };
CONF
# The Glow clinic with 5 providers (two more, like the first two) and no
# seeded appointments or clients.
python3 - "$clinic" "$work/clinic.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ps = d["providers"]
for n, base in (("p4", ps[0]), ("p5", ps[1])):
    q = dict(base); q["id"] = n; q["name"] = "Provider " + n
    ps.append(q)
d["providers"] = ps[:5]
d.pop("appointments", None); d.pop("clients", None)
json.dump(d, open(sys.argv[2], "w"))
PY
binding='{ plugin = "emr.local"; }'
if [ "$emr" != local ]; then
    python3 "$top/tests/sim/${emr}_sim.py" --port 0 --ready-file "$work/sim.json" \
        --clinic "$work/clinic.json" 2>"$work/sim.log" &
    sim_pid=$!
    for _ in $(seq 1 200); do [ -s "$work/sim.json" ] && break; sleep 0.05; done
    [ -s "$work/sim.json" ] || { echo "the $emr simulator did not start" >&2; cat "$work/sim.log" >&2; exit 1; }
    sim_url="http://127.0.0.1:$(sed -E 's/.*"port": *([0-9]+).*/\1/' "$work/sim.json")"
    binding="{ plugin = \"emr.$emr\"; base_url = \"$sim_url\"; config = {
$(sed -e "s|@BASE_URL@|$sim_url|g" -e "s|@SRCDIR@|$top|g" -e "s|file:tests/|file:$top/tests/|g" \
    "$top/tests/eval/emr/$emr.conf")
  }; }"
fi
for i in $(seq -f "%03g" 1 "$tenants"); do
    cat >"$work/tenants/t$i.conf" <<CONF
tenant = { id = "t$i"; name = "Clinic $i"; timezone = "America/Los_Angeles"; country = "US"; };
plugins = ( $binding );
CONF
done

BOOKWELL_DATABASE_URL=$dburl BOOKWELL_ADMIN_TOKEN=$token \
    "$bin" --config "$work" --ready-file "$work/ready.json" 2>"$work/bookwelld.log" &
pid=$!
for _ in $(seq 1 400); do
    [ -s "$work/ready.json" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/bookwelld.log" >&2; exit 1; }
    sleep 0.05
done
[ -s "$work/ready.json" ] || { echo "bookwelld did not become ready" >&2; cat "$work/bookwelld.log" >&2; exit 1; }
port=$(sed -E 's/.*"public_port":([0-9]+).*/\1/' "$work/ready.json")
aport=$(sed -E 's/.*"admin_port":([0-9]+).*/\1/' "$work/ready.json")

# Import every catalog, make a key each, and write the request lists.
services="botox lip-filler hydrafacial microneedling"
providers="any dr-smith jenna ashley p4 p5"
: >"$work/cold.txt"
: >"$work/warm.txt"
day0=$(date -u -d tomorrow +%Y-%m-%d)
days=()
for off in $(seq 0 27); do days+=("$(date -u -d "$day0 +$off days" +%Y-%m-%d)"); done
for i in $(seq -f "%03g" 1 "$tenants"); do
    curl -fsS -X POST -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
        --data-binary @"$work/clinic.json" "http://127.0.0.1:$aport/admin/tenants/t$i/catalog" >/dev/null
    key=$(curl -fsS -X POST -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
        -d '{}' "http://127.0.0.1:$aport/admin/tenants/t$i/api-keys" |
        sed -E 's/.*"api_key":"([^"]+)".*/\1/')
    echo "$key /availability?service=botox&from=$day0&to=${days[14]}" >>"$work/warm.txt"
    for s in $services; do
        for p in $providers; do
            for off in $(seq 0 13); do
                q="service=$s&from=${days[$off]}&to=${days[$((off + 14))]}"
                [ "$p" = any ] || q="$q&provider=$p"
                echo "$key /availability?$q"
            done
        done
    done >>"$work/cold.txt"
done
# Shuffle the cold list so consecutive requests hit different tenants.
shuf --random-source=<(yes) "$work/cold.txt" -o "$work/cold.txt"
echo "tenants: $tenants, providers each: 5, cold queries: $(wc -l <"$work/cold.txt"), warm queries: $(wc -l <"$work/warm.txt")"
# One request of each kind must answer 200 with slots.
first=$(head -1 "$work/warm.txt")
out=$(curl -fsS -H "Authorization: Bearer ${first%% *}" "http://127.0.0.1:$port${first#* }")
case "$out" in *'"start"'*) ;; *) echo "no slots: $out" >&2; exit 1 ;; esac

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
run() {
    local name=$1 list=$2
    wrk -t"$threads" -c"$connections" -d2s -s "$lua" "http://127.0.0.1:$port" -- "$list" >/dev/null
    local cmd="wrk -t$threads -c$connections -d$duration --latency -s $lua http://127.0.0.1:$port -- $list"
    echo "$ $cmd"
    local t0 t1 out
    t0=$(cpu_ticks)
    out=$($cmd)
    t1=$(cpu_ticks)
    echo "$out"
    local rps p99 total cpu_us errors
    rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ {print $2}')
    p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
    total=$(printf '%s\n' "$out" | awk '/requests in/ {print $1}')
    cpu_us=$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v n="$total" \
        'BEGIN { printf "%.0f", t * 1e6 / hz / n }')
    errors=$(printf '%s\n' "$out" | awk '/Non-2xx|Socket errors/ {print}')
    echo
    echo "GET /availability 14 days, emr.$emr, $name: ${rps} requests/s, p99 ${p99}," \
         "${cpu_us} us daemon CPU per request" \
         "($tenants tenants x 5 providers, ${connections} connections, ${duration}, $(nproc) CPUs)"
    if [ -n "$errors" ]; then echo "errors: $errors"; return 1; fi
    if [ "${total:-0}" -eq 0 ]; then echo "no request completed in $duration"; return 1; fi
}
run cold "$work/cold.txt" || status=1
echo
run warm "$work/warm.txt" || status=1
exit ${status:-0}
