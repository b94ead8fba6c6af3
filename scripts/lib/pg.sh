# Private PostgreSQL cluster for the README commands and the tests: a data
# directory of the checkout (or, when the postgres user cannot reach the
# checkout or the socket path would be too long, one under /tmp named after the
# checkout), a unix socket in that directory, no TCP. initdb refuses to run as
# root, so as root the cluster belongs to the 'postgres' user.
# Scripts that use the cluster hold it (pg_hold) and release it when they exit
# (pg_release); the last one out stops it unless 'scripts/pg start' asked to
# keep it. A cluster left by a killed run is reused, or repaired when it cannot
# start. Sourced by scripts/pg, scripts/demo and scripts/test.

pg_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    return 1
}

pg_is_root() { [ "$(id -u)" = 0 ]; }

# Runs a command as the cluster's owner: ourselves, or 'postgres' when root.
pg_as_owner() {
    if pg_is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# pg_dir CHECKOUT: where the cluster of this checkout lives.
pg_dir() {
    local top=$1
    # A unix socket path holds at most 107 bytes: DIR/.s.PGSQL.5432(.lock).
    if [ "${#top}" -le 80 ] &&
        { ! pg_is_root || runuser -u postgres -- test -x "$top" 2>/dev/null; }; then
        echo "$top/.pg"
    else
        echo "/tmp/bookwell-pg-$(printf '%s' "$top" | sha256sum | cut -c1-12)"
    fi
}

# pg_prepare_dir DIR: creates DIR for the cluster's owner, or refuses a DIR
# that someone else owns (a /tmp name could have been taken by anyone).
pg_prepare_dir() {
    local dir=$1 user
    mkdir -p "$dir" || return 1
    user=$(stat -c %U "$dir")
    if pg_is_root; then
        case $dir in
        /tmp/*)
            if [ "$user" != postgres ] && [ "$user" != root ]; then
                echo "$dir belongs to $user, not postgres: remove it" >&2
                return 1
            fi ;;
        esac
        # A cluster made by an unprivileged run of this checkout becomes postgres'.
        if [ "$user" != postgres ] || [ "$(stat -c %U "$dir/data" 2>/dev/null || echo postgres)" != postgres ]; then
            chown -R postgres:postgres "$dir" || return 1
        fi
    elif [ "$user" != "$(id -un)" ]; then
        echo "$dir belongs to $user, not $(id -un) (made by a run as root?):" \
            "remove it, or run as root" >&2
        return 1
    fi
    chmod 755 "$dir" && mkdir -p "$dir/users"
}

pg_initdb() {
    local dir=$1 bin=$2
    # Initialise beside the final name and rename, so a run killed during
    # initdb never leaves a half-made cluster that looks complete.
    rm -rf "$dir/data.init"
    pg_as_owner "$bin/initdb" -D "$dir/data.init" -U bookwell --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        return 1
    }
    pg_as_owner mv "$dir/data.init" "$dir/data"
}

pg_running() {
    local dir=$1 bin=$2
    [ -f "$dir/data/PG_VERSION" ] &&
        pg_as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# The server is started without file descriptor 9, which scripts/test holds
# as its lock: a server that outlives a killed run must not keep it locked.
pg_launch() {
    local dir=$1 bin=$2
    pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null 2>&1 9>&-
}

# pg_start DIR: initialises on first use, starts if not running (repairing a
# cluster that a killed run left unable to start).
pg_start() {
    local dir=$1 bin pid
    bin=$(pg_bindir) || {
        echo "PostgreSQL server not found: apt-get install postgresql" >&2
        return 1
    }
    pg_prepare_dir "$dir" || return 1
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        pg_as_owner rm -rf "$dir/data"
        pg_initdb "$dir" "$bin" || return 1
    fi
    pg_running "$dir" "$bin" && return 0
    pg_launch "$dir" "$bin" && return 0

    # A lock file whose postmaster is gone (killed, or the machine restarted).
    if [ -f "$dir/data/postmaster.pid" ]; then
        pid=$(head -1 "$dir/data/postmaster.pid")
        if ! grep -qs postgres "/proc/$pid/comm"; then
            echo "removing the stale lock file of postmaster $pid" >&2
            pg_as_owner rm -f "$dir/data/postmaster.pid"
            pg_launch "$dir" "$bin" && return 0
        fi
    fi
    # Still not starting: the cluster holds only scratch data, so start over.
    echo "the cluster in $dir does not start; recreating it:" >&2
    tail -5 "$dir/server.log" >&2
    pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    pg_as_owner rm -rf "$dir/data"
    pg_initdb "$dir" "$bin" || return 1
    pg_launch "$dir" "$bin" || {
        tail -20 "$dir/server.log" >&2
        return 1
    }
}

pg_stop() {
    local dir=$1 bin
    bin=$(pg_bindir) || return 0
    [ -f "$dir/data/PG_VERSION" ] || return 0
    pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# pg_users DIR: the live processes holding the cluster (stale entries removed).
pg_users() {
    local dir=$1 f
    for f in "$dir"/users/*; do
        [ -e "$f" ] || continue
        if [ -d "/proc/${f##*/}" ]; then echo "${f##*/}"; else rm -f "$f"; fi
    done
}

# pg_hold DIR: starts the cluster for this script ($$) until pg_release.
# A cluster found running with no holder recorded, not even a dead one, was
# started by hand (scripts/pg, pg_ctl): it is marked to keep running. One whose
# holders are all dead was left by a killed run: it is adopted and stopped.
pg_hold() {
    local dir=$1 bin
    bin=$(pg_bindir) || bin=
    if [ -n "$bin" ] && pg_running "$dir" "$bin" &&
        [ -z "$(ls -A "$dir/users" 2>/dev/null)" ]; then
        : >"$dir/keep"
    fi
    pg_start "$dir" || return 1
    : >"$dir/users/$$"
}

# pg_release DIR: lets go of the cluster; stops it when nobody else holds it
# and scripts/pg did not ask to keep it running.
pg_release() {
    local dir=$1
    rm -f "$dir/users/$$"
    [ -d "$dir/users" ] || return 0
    if [ -z "$(pg_users "$dir")" ] && [ ! -e "$dir/keep" ]; then
        pg_stop "$dir"
    fi
}

# pg_conninfo DIR [DBNAME]
pg_conninfo() {
    echo "host=$1 port=5432 user=bookwell dbname=${2:-postgres}"
}

pg_psql() {
    local dir=$1
    shift
    PGOPTIONS='-c client_min_messages=warning' \
        psql "$(pg_conninfo "$dir")" -X -q -v ON_ERROR_STOP=1 "$@"
}

# pg_createdb DIR NAME: creates the database if missing (NAME: [a-z0-9_]).
pg_createdb() {
    local dir=$1 name=$2
    [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "bad database name: $name" >&2; return 1; }
    pg_psql "$dir" -Atc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 ||
        pg_psql "$dir" -c "CREATE DATABASE $name" >/dev/null
}

# pg_dropdb DIR NAME: drops the database if present, closing its connections.
pg_dropdb() {
    local dir=$1 name=$2
    [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "bad database name: $name" >&2; return 1; }
    pg_psql "$dir" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
}

# pg_drop_test_dbs DIR: drops the per-suite databases (bw_t_PID_...) whose
# test process is gone: what a killed run left behind. Suites still running,
# of this run or of anyone sharing the cluster, keep theirs.
pg_drop_test_dbs() {
    local dir=$1 db pid
    for db in $(pg_psql "$dir" -Atc "SELECT datname FROM pg_database WHERE datname ~ '^bw_t_[0-9]+_'"); do
        pid=${db#bw_t_}
        pid=${pid%%_*}
        [ -d "/proc/$pid" ] && continue
        pg_dropdb "$dir" "$db" || return 1
    done
}
