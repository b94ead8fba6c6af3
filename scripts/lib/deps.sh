# The Debian packages the README commands need, and deps_ensure, which
# installs the missing ones: apt-get as root, through sudo otherwise, and when
# neither is possible it prints the one apt-get line to run and fails.
# Sourced by scripts/demo and scripts/test. To add a package, append it to the
# group it belongs to (a later group, e.g. browser tests, can be a new array
# listed in BW_DEPS_GROUPS).

# shellcheck disable=SC2034 # the groups are read through BW_DEPS_GROUPS
# Compilers and the autotools that ./autogen.sh and ./configure use.
BW_DEPS_BUILD=(build-essential autoconf automake libtool pkg-config)
# Libraries the daemon, the SDK and the tests link (configure.ac names each).
BW_DEPS_LIBS=(libmicrohttpd-dev libcurl4-openssl-dev libpq-dev libcjson-dev
    libssl-dev libconfig-dev libicu-dev libcriterion-dev libpcre2-dev)
# What the scripts, the tests and the benchmarks run: the private cluster
# (initdb, pg_ctl, psql), HTTP and JSON on the command line, load generation,
# runuser/flock (util-linux) and sha256sum/od (coreutils).
BW_DEPS_RUN=(postgresql postgresql-client curl jq wrk ca-certificates
    util-linux coreutils)
# The simulators of third-party APIs (tests/sim/, Python standard library only).
BW_DEPS_SIM=(python3)
# The browser test of the web chat widget (tests/browser/): headless
# Chromium driven by playwright-core from npm, which downloads no browser.
# Debian's nodejs has npm as a package of its own; a nodejs that brings its
# own npm (as NodeSource's does, and conflicts with Debian's npm) needs none.
BW_DEPS_BROWSER=(chromium nodejs)
if ! command -v npm >/dev/null 2>&1; then BW_DEPS_BROWSER+=(npm); fi

# The fuzz targets (tests/fuzz/): clang with its libFuzzer runtime.
BW_DEPS_FUZZ=(clang libclang-rt-14-dev)

BW_DEPS_GROUPS=(BW_DEPS_BUILD BW_DEPS_LIBS BW_DEPS_RUN BW_DEPS_SIM BW_DEPS_FUZZ BW_DEPS_BROWSER)

# deps_all: every package of every group, one per line.
deps_all() {
    local g ref
    for g in "${BW_DEPS_GROUPS[@]}"; do
        ref="${g}[@]"
        printf '%s\n' "${!ref}"
    done
}

# deps_missing PKG...: the packages among PKG that are not installed.
deps_missing() {
    local p
    for p in "$@"; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
            printf '%s\n' "$p"
        fi
    done
}

# deps_ensure [PKG...]: installs what is missing of every group plus PKG.
# Returns 0 when everything is installed, exits 1 when it cannot install.
deps_ensure() {
    local -a want missing sudo=()
    mapfile -t want < <(deps_all; [ $# -eq 0 ] || printf '%s\n' "$@")
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "note: not a Debian system; make sure these are installed: ${want[*]}" >&2
        return 0
    fi
    mapfile -t missing < <(deps_missing "${want[@]}")
    [ "${#missing[@]}" -eq 0 ] && return 0

    local line="apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
        # sudo may ask for a password only when someone can type it.
        if command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
            sudo=(sudo)
        else
            echo "missing Debian packages; as root run:" >&2
            echo "  $line" >&2
            exit 1
        fi
    fi
    echo "==> installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo[@]}" apt-get update -qq ||
        ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
        echo "could not install the packages; as root run:" >&2
        echo "  apt-get update && $line" >&2
        exit 1
    fi
    mapfile -t missing < <(deps_missing "${want[@]}")
    if [ "${#missing[@]}" -ne 0 ]; then
        echo "still missing after apt-get: ${missing[*]}" >&2
        exit 1
    fi
}
