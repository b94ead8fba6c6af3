# Shell helpers for running plugins through the conformance kit
# (bookwell-plugin-check), sourced by tests/abi/check_kit.sh and
# tests/abi/check_emr_plugins.sh. The caller defines ok and bad (one
# "ok - ..." / "not ok - ..." line each, counted) and sets builddir and
# srcdir; these functions give each run a fresh database on BW_TEST_PG,
# start the plugin's simulator when it has one, and clean up after.
#
#   kit_emr_check PLUGIN[=FILE_NAME] CONFIG [SIMULATOR [SIM_ARGS...]]
#       runs `bookwell-plugin-check emr` on PLUGIN (a path under builddir,
#       or absolute; staged as FILE_NAME, "<id>-<version>.so", when its
#       built name differs) with the binding configuration CONFIG (under
#       srcdir), against tests/sim/SIMULATOR_sim.py started on a free port
#       when given (--against its URL); ok when the kit exits 0 with
#       "N passed, 0 failed", bad otherwise (its output is printed).
#   kit_run KIND PLUGIN CONFIG [KIT_ARGS...]
#       the bare run: output in $KIT_LOG, exit status returned.

KIT_BIN=${KIT_BIN:-$builddir/bookwell-plugin-check}
KIT_TMP=$(mktemp -d /tmp/bw-kit-XXXXXX) || exit 99
KIT_LOG=$KIT_TMP/kit.log
KIT_SIM_PID=
KIT_SIM_URL=
kit_n=0

kit_cleanup() {
    kit_sim_stop
    rm -rf "$KIT_TMP"
}
trap kit_cleanup EXIT

# kit_path P: P under builddir unless absolute.
kit_path() { case $1 in /*) echo "$1" ;; *) echo "$builddir/$1" ;; esac; }
kit_src() { case $1 in /*) echo "$1" ;; *) echo "$srcdir/$1" ;; esac; }

# kit_stage PLUGIN[=FILE_NAME]: a copy, mode 0644, under the name the host
# would load it by; prints its path.
kit_stage() {
    src=$(kit_path "${1%%=*}")
    name=$(basename "$src")
    case $1 in *=*) name=${1#*=} ;; esac
    kit_n=$((kit_n + 1))
    mkdir -p "$KIT_TMP/plugins$kit_n"
    cp "$src" "$KIT_TMP/plugins$kit_n/$name" && chmod 0644 "$KIT_TMP/plugins$kit_n/$name" &&
        echo "$KIT_TMP/plugins$kit_n/$name"
}

# kit_sim_start NAME [ARGS...]: tests/sim/NAME_sim.py on a free port; sets
# KIT_SIM_URL. Returns non-zero when it is not ready within 20 s.
kit_sim_start() {
    sim=$srcdir/tests/sim/$1_sim.py
    shift
    rm -f "$KIT_TMP/ready.json"
    python3 "$sim" --port 0 --ready-file "$KIT_TMP/ready.json" "$@" </dev/null >"$KIT_TMP/sim.log" 2>&1 &
    KIT_SIM_PID=$!
    i=0
    while [ $i -lt 200 ]; do
        port=$(sed -n 's/.*"port"[^0-9]*\([0-9][0-9]*\).*/\1/p' "$KIT_TMP/ready.json" 2>/dev/null)
        if [ -n "$port" ]; then KIT_SIM_URL="http://127.0.0.1:$port"; return 0; fi
        kill -0 "$KIT_SIM_PID" 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    cat "$KIT_TMP/sim.log"
    kit_sim_stop
    return 1
}

kit_sim_stop() {
    if [ -n "$KIT_SIM_PID" ]; then
        kill "$KIT_SIM_PID" 2>/dev/null
        wait "$KIT_SIM_PID" 2>/dev/null
    fi
    KIT_SIM_PID=
    KIT_SIM_URL=
}

# kit_run KIND PLUGIN CONFIG [ARGS...]: one run in a database of its own.
kit_run() {
    kind=$1 plugin=$2 config=$3
    shift 3
    if [ -z "${BW_TEST_PG:-}" ]; then
        echo "BW_TEST_PG is not set: the kit needs a database" >"$KIT_LOG"
        return 2
    fi
    kit_n=$((kit_n + 1))
    db="bwkit_$$_${kit_n}_$(date +%s)"
    "$KIT_BIN" "$kind" "$plugin" --config "$config" --database "$BW_TEST_PG dbname=$db" "$@" \
        </dev/null >"$KIT_LOG" 2>&1
    rc=$?
    psql "$BW_TEST_PG" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
    return $rc
}

# kit_last: the kit's closing "N passed, M failed" line.
kit_last() { tail -n 1 "$KIT_LOG"; }

kit_emr_check() {
    spec=$1 config=$(kit_src "$2")
    shift 2
    # A configuration may name files of the checkout as @srcdir@/...
    if grep -q '@srcdir@' "$config"; then
        sed "s|@srcdir@|$srcdir|g" "$config" >"$KIT_TMP/binding-$kit_n.conf"
        config=$KIT_TMP/binding-$kit_n.conf
    fi
    so=$(kit_stage "$spec") || { bad "cannot stage $spec"; return 1; }
    against=
    if [ $# -gt 0 ]; then
        simname=$1
        shift
        if ! kit_sim_start "$simname" "$@"; then bad "simulator $simname did not start"; return 1; fi
        against="--against $KIT_SIM_URL"
    fi
    # shellcheck disable=SC2086
    kit_run emr "$so" "$config" $against
    rc=$?
    kit_sim_stop
    sed 's/^/    /' "$KIT_LOG"
    case "$(kit_last)" in
    *" passed, 0 failed")
        if [ $rc -eq 0 ]; then ok "$(basename "$so") passes bookwell-plugin-check emr: $(kit_last)"; return 0; fi ;;
    esac
    bad "$(basename "$so"): bookwell-plugin-check emr exited $rc: $(kit_last)"
    return 1
}
