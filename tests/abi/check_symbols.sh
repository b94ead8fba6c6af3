#!/bin/sh
# The symbol check. Every plugin built in this tree exports exactly one
# dynamic symbol, bw_plugin_entry_v1, and needs none of libcurl, libpq,
# libssl or libcrypto (the host does HTTP, storage and crypto for them);
# bookwelld exports nothing a plugin could bind to (no -rdynamic), only
# what the toolchain puts in every executable. Proved with
# `nm -D --defined-only` and `readelf -d`, and shown to catch a plugin built
# wrongly (tests/abi/fx_leaky) and an executable linked with -rdynamic.
#
#   check_symbols.sh              all checks, "N passed, M failed"
#   check_symbols.sh --plugin F   check one plugin file (exit 1 if bad)
set -u
builddir=${BW_BUILDDIR:-.}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

for tool in nm readelf; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool not found (install binutils)"; exit 99; }
done

# Defined dynamic symbols of a file, one per line, sorted.
exports() { nm -D --defined-only "$1" | awk 'NF >= 3 { print $3 }' | sort -u; }
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }

# Prints what is wrong with a plugin file; nothing when it is right.
plugin_problems() {
    [ -f "$1" ] || { echo "no such file"; return; }
    syms=$(exports "$1" | tr '\n' ' ')
    [ "$syms" = "bw_plugin_entry_v1 " ] ||
        echo "exports [${syms% }] instead of only bw_plugin_entry_v1"
    libs=$(needed "$1" | grep -E '^lib(curl|pq|ssl|crypto)([-.][^/]*)?\.so' | tr '\n' ' ')
    [ -z "$libs" ] || echo "links ${libs% }"
}

# What the toolchain defines in any dynamically linked executable, copies of
# shared-library data (name@VERSION), and sanitizer runtimes in
# --enable-sanitizers builds. Anything else is the host leaking a symbol.
host_problems() {
    exports "$1" | grep -Ev '@|^(_IO_stdin_used|__bss_start|_edata|_end|__data_start|data_start|__dso_handle|_init|_fini|__libc_csu_init|__libc_csu_fini|_start|__TMC_END__)$|^__(asan|ubsan|lsan|sanitizer)_' |
        tr '\n' ' '
}

if [ "${1:-}" = "--plugin" ]; then
    problems=$(plugin_problems "$2")
    if [ -z "$problems" ]; then ok "$2 exports only bw_plugin_entry_v1 and links no forbidden library"; exit 0; fi
    bad "$2: $problems"
    exit 1
fi

# Every plugin module built here: the fixtures of tests/abi and
# tests/reload, and anything under plugins/. fx_no_entry exports nothing by design; fx_leaky is the
# negative control below.
found=0
for f in "$builddir"/tests/abi/.libs/fx_*.so "$builddir"/tests/reload/.libs/fx_*.so \
    "$builddir"/plugins/*/.libs/*.so; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    case "$name" in
    fx_leaky.so) continue ;;
    fx_no_entry.so)
        syms=$(exports "$f" | tr '\n' ' ')
        if [ -z "$syms" ]; then ok "$name exports nothing"; else bad "$name exports [$syms]"; fi
        continue ;;
    esac
    found=$((found + 1))
    problems=$(plugin_problems "$f")
    if [ -z "$problems" ]; then
        ok "$name exports only bw_plugin_entry_v1 and links none of libcurl, libpq, libssl, libcrypto"
    else
        bad "$name: $problems"
    fi
done
if [ "$found" -ge 14 ]; then ok "$found plugin modules checked"; else bad "only $found plugin modules found under $builddir"; fi

# The plugin that links the SDK and cJSON still exports only its entry.
if needed "$builddir/tests/abi/.libs/fx_ok.so" | grep -q '^libcjson'; then
    ok "fx_ok.so links the SDK and cJSON (and was checked above)"
else
    bad "fx_ok.so should link libcjson through the SDK"
fi

# Negative control: a plugin built without the version script and linked
# with libcrypto must be flagged on both counts.
problems=$(plugin_problems "$builddir/tests/abi/.libs/fx_leaky.so")
case "$problems" in
*"fx_leaky_helper"*"links "*libcrypto*) ok "the check flags fx_leaky.so: $(echo "$problems" | tr '\n' ';')" ;;
*) bad "the check missed what is wrong with fx_leaky.so (got: $problems)" ;;
esac

# The daemon.
bookwelld="$builddir/bookwelld"
if [ -f "$builddir/.libs/bookwelld" ]; then bookwelld="$builddir/.libs/bookwelld"; fi
leaks=$(host_problems "$bookwelld")
if [ -z "$leaks" ]; then
    ok "bookwelld exports no symbol a plugin could bind to"
else
    bad "bookwelld exports: $leaks"
fi
if readelf -d "$bookwelld" | grep -q 'NEEDED'; then ok "bookwelld is dynamically linked (the check is meaningful)"; else bad "bookwelld has no dynamic section"; fi

# Negative control: an executable linked with -rdynamic is flagged.
probe="$builddir/tests/abi/rdynamic_probe"
[ -f "$builddir/tests/abi/.libs/rdynamic_probe" ] && probe="$builddir/tests/abi/.libs/rdynamic_probe"
leaks=$(host_problems "$probe")
case "$leaks" in
*daemon_like_function*) ok "the check flags an executable linked with -rdynamic" ;;
*) bad "the check missed rdynamic_probe's exports (got: $leaks)" ;;
esac

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
