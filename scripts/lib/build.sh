# Building for the README commands: autogen when the checkout has no
# configure yet, one configured build directory per variant (VPATH builds:
# build/ and build-asan/ beside the sources), make with a log file per
# directory, and reading variables (the suite lists) out of the Makefile.
# Sourced by scripts/demo and scripts/test; expects $top (the checkout).

BW_JOBS=${BW_JOBS:-2}

bw_step() { printf "==> %d:%02d %s\n" $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# bw_autogen: generates configure and Makefile.in when missing or older than
# configure.ac (later Makefile.am changes are picked up by make itself).
bw_autogen() {
    mkdir -p "$top/.run"
    if [ -x "$top/configure" ] && [ "$top/configure" -nt "$top/configure.ac" ] &&
        [ -f "$top/Makefile.in" ]; then
        return 0
    fi
    bw_step "./autogen.sh"
    if ! (cd "$top" && ./autogen.sh) >"$top/.run/autogen.log" 2>&1; then
        tail -30 "$top/.run/autogen.log" >&2
        echo "./autogen.sh failed (log: .run/autogen.log)" >&2
        return 1
    fi
}

# bw_configure DIR ARG...: configures DIR (relative to $top) with ARG..., or
# keeps its configuration when it was made with the same arguments.
bw_configure() {
    local dir=$1 want have
    shift
    if [ -f "$top/config.status" ]; then
        echo "the source directory is configured in place, which rules out the" \
            "build directories: run 'make distclean' in $top first" >&2
        return 1
    fi
    want="$*"
    if [ -x "$top/$dir/config.status" ] && [ -f "$top/$dir/Makefile" ]; then
        have=$("$top/$dir/config.status" --config 2>/dev/null || true)
        [ "$have" = "$want" ] && return 0
    fi
    bw_step "$dir/: configure $*"
    mkdir -p "$top/$dir"
    if ! (cd "$top/$dir" && ../configure "$@") >"$top/$dir/configure.log" 2>&1; then
        grep -E '^configure: error' "$top/$dir/configure.log" >&2 ||
            tail -20 "$top/$dir/configure.log" >&2
        echo "configure failed (log: $dir/configure.log)" >&2
        return 1
    fi
}

# bw_make DIR ARG...: make -jN in DIR, output appended to DIR/make.log.
bw_make() {
    local dir=$1
    shift
    make -C "$top/$dir" --no-print-directory -j"$BW_JOBS" "$@" >>"$top/$dir/make.log" 2>&1 9>&-
}

# bw_make_var DIR NAME...: the values of Makefile variables, space separated.
bw_make_var() {
    local dir=$1 refs="" v
    shift
    for v in "$@"; do refs="$refs \$($v)"; done
    # Remake the Makefile first (after a Makefile.am change) so that its
    # regeneration does not print into the answer.
    make -C "$top/$dir" --no-print-directory Makefile >>"$top/$dir/make.log" 2>&1 || return 1
    make -C "$top/$dir" --no-print-directory -s \
        --eval "bw-print-vars: ; @echo $refs" bw-print-vars
}

# bw_build DIR [TARGET...]: builds the daemon (and TARGETs) in DIR; prints the
# end of the log when it fails.
bw_build() {
    local dir=$1
    shift
    bw_step "$dir/: make -j$BW_JOBS (log: $dir/make.log)"
    : >"$top/$dir/make.log"
    if ! bw_make "$dir" all "$@"; then
        grep -E 'error|Error' "$top/$dir/make.log" | head -30 >&2
        echo "build failed in $dir (log: $dir/make.log)" >&2
        return 1
    fi
}
