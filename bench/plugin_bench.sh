#!/usr/bin/env bash
# Plugin benchmarks: the cost of a plugin call through the host and the
# latency of a reload (bench/plugin_bench, in-process), then the resident
# memory of the real bookwelld with 1,000 tenants each binding 4 plugin
# instances (against a private PostgreSQL), next to the same daemon with
# the same plugins loaded and no tenant, and the time one reload of that
# configuration takes through POST /admin/plugins/reload.
#
# Usage: bench/plugin_bench.sh         (after ./configure && make && make check TESTS=)
# Environment:
#   CALLS=2000000 RELOADS=50              iterations of the in-process parts
#   TENANTS=1000                          tenants of the memory measurement
#   BW_BENCH_PG="host=... dbname=postgres"  use this cluster instead of scripts/pg
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
calls=${CALLS:-2000000}
reloads=${RELOADS:-50}
tenants=${TENANTS:-1000}

bin="$top/bookwelld"
for f in "$bin" "$top/bench/plugin_bench" "$top/tests/reload/.libs/fx_bench_a.so"; do
    [ -e "$f" ] || { echo "no $f: build first (make && make check TESTS=)" >&2; exit 1; }
done
command -v psql >/dev/null || { echo "psql not found: apt-get install postgresql-client" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl not found: apt-get install curl" >&2; exit 1; }

echo "== plugin call cost (bench/plugin_bench calls $calls)"
BW_BUILDDIR=$top "$top/bench/plugin_bench" calls "$calls"
echo
echo "== reload latency (bench/plugin_bench reload $reloads; bigreload)"
BW_BUILDDIR=$top "$top/bench/plugin_bench" reload "$reloads"
BW_BUILDDIR=$top "$top/bench/plugin_bench" bigreload
echo

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

db="bookwell_pbench_$$"
work=$(mktemp -d /tmp/bw-pbench-XXXXXX)
pid=
token=bench-token-$$
stop_daemon() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    pid=
}
cleanup() {
    stop_daemon
    psql "$base" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
    if [ "$started_pg" = yes ]; then "$top/scripts/pg" stop || true; fi
}
trap cleanup EXIT

psql "$base" -qc "CREATE DATABASE \"$db\"" >/dev/null
dburl=$(printf '%s' "$base" | sed -E "s/(^| )dbname=[^ ]*//")" dbname=$db"

mkdir -p "$work/plugins" "$work/conf/tenants"
for k in a b c d; do
    install -m 644 "$top/tests/reload/.libs/fx_bench_$k.so" "$work/plugins/emr.bench_$k-1.0.0.so"
done
cat >"$work/conf/bookwelld.conf" <<CONF
listen = { public = "127.0.0.1:0"; admin = "127.0.0.1:0"; };
database = { url = "env:BOOKWELL_DATABASE_URL"; pool_size = 4; };
admin = { token = "env:BOOKWELL_ADMIN_TOKEN"; };
log = { level = "warn"; };
plugins = { dir = "$work/plugins"; };
CONF

tenant_file() { # id
    printf 'tenant = { id = "%s"; name = "Clinic %s"; timezone = "America/New_York"; };\n' "$1" "$1"
    printf 'plugins = (\n'
    for k in a b c d; do
        sep=,
        [ "$k" = d ] && sep=
        printf '  { plugin = "emr.bench_%s"; config = { max_ms = 0; label = "%s"; }; }%s\n' "$k" "$1" "$sep"
    done
    printf ');\n'
}

start_daemon() {
    rm -f "$work/ready.json"
    BOOKWELL_DATABASE_URL=$dburl BOOKWELL_ADMIN_TOKEN=$token \
        "$bin" --config "$work/conf" --ready-file "$work/ready.json" 2>"$work/bookwelld.log" &
    pid=$!
    for _ in $(seq 1 600); do
        [ -s "$work/ready.json" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$work/bookwelld.log" >&2; exit 1; }
        sleep 0.05
    done
    [ -s "$work/ready.json" ] || { echo "bookwelld did not become ready" >&2; exit 1; }
    admin_port=$(sed -E 's/.*"admin_port":([0-9]+).*/\1/' "$work/ready.json")
    sleep 1 # let start-up allocations settle
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
admin() { curl -fsS -H "Authorization: Bearer $token" "$@"; }

echo "== resident memory (bookwelld, plugins.dir with 4 plugins)"
start_daemon
base_rss=$(rss_kb)
stop_daemon

for i in $(seq -f "%04g" 1 "$tenants"); do
    tenant_file "clinic-$i" >"$work/conf/tenants/clinic-$i.conf"
done
t0=$(date +%s%N)
start_daemon
t1=$(date +%s%N)
full_rss=$(rss_kb)
bindings=$(admin "http://127.0.0.1:$admin_port/admin/plugins" | grep -o '"state":"serving"' | wc -l)
# One tenant edited, reloaded through the admin route.
sed -i 's/max_ms = 0; label = "clinic-0001"/max_ms = 1; label = "clinic-0001"/' \
    "$work/conf/tenants/clinic-0001.conf"
reply=$(admin -X POST "http://127.0.0.1:$admin_port/admin/plugins/reload")
after_rss=$(rss_kb)
# Nine more reloads, each editing that tenant again.
for n in $(seq 2 10); do
    sed -i -E "s/max_ms = [0-9]+; label = \"clinic-0001\"/max_ms = $n; label = \"clinic-0001\"/" \
        "$work/conf/tenants/clinic-0001.conf"
    admin -X POST "http://127.0.0.1:$admin_port/admin/plugins/reload" >/dev/null
done
after10_rss=$(rss_kb)
stop_daemon

echo "no tenant:                          ${base_rss} kB"
echo "$tenants tenants x 4 instances ($bindings serving): ${full_rss} kB" \
     "(start to ready $(( (t1 - t0) / 1000000 )) ms)"
echo "after one reload of that configuration: ${after_rss} kB; reply: $reply"
echo "after ten reloads: ${after10_rss} kB"
per=$(awk -v a="$full_rss" -v b="$base_rss" -v n="$((tenants * 4))" \
    'BEGIN { printf "%.2f", (a - b) / n }')
echo "per instance (binding, config, plugin instance, tenant): ${per} kB"
[ "$full_rss" -lt 65536 ] || { echo "over the 64 MB target" >&2; exit 1; }
