# Private PostgreSQL cluster for the README commands and the tests: a data
# directory of the checkout (or, when the checkout is not reachable by the
# postgres user, one under /tmp), a unix socket in that directory, no TCP.
# Sourced by scripts/pg, scripts/demo and scripts/test.

pg_bindir() {
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    return 1
}

# Runs a command as the cluster's owner: ourselves, or 'postgres' when root.
pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# pg_dir CHECKOUT: where the cluster of this checkout lives.
pg_dir() {
    local top=$1
    if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$top" 2>/dev/null; then
        echo "$top/.pg"
    else
        # The postgres user cannot reach the checkout (e.g. under /root):
        # keep the cluster in a directory named after the checkout's path.
        echo "/tmp/bookwell-pg-$(printf '%s' "$top" | sha256sum | cut -c1-12)"
    fi
}

# pg_start DIR: initialises on first use, starts if not running.
pg_start() {
    local dir=$1 bin
    bin=$(pg_bindir) || { echo "PostgreSQL server not found: apt-get install postgresql" >&2; return 1; }
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        pg_as_owner "$bin/initdb" -D "$dir/data" -U bookwell --auth=trust \
            --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; return 1; }
    fi
    if pg_as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        return 0
    fi
    pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { tail -20 "$dir/server.log" >&2; return 1; }
    # The socket directory must be reachable by the client (root or not).
    chmod 755 "$dir"
}

pg_stop() {
    local dir=$1 bin
    bin=$(pg_bindir) || return 0
    [ -f "$dir/data/PG_VERSION" ] || return 0
    pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# pg_conninfo DIR [DBNAME]
pg_conninfo() {
    echo "host=$1 port=5432 user=bookwell dbname=${2:-postgres}"
}

# pg_createdb DIR NAME: creates the database if missing.
pg_createdb() {
    local dir=$1 name=$2
    psql "$(pg_conninfo "$dir")" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 \
        || psql "$(pg_conninfo "$dir")" -qc "CREATE DATABASE \"$name\"" >/dev/null
}
