#!/bin/sh
# The plugin template builds out of tree against the installed SDK: install
# the SDK's headers, archive, plugin.map, template, bookwell-sdk.pc and the
# conformance kit into a scratch DESTDIR, copy the installed template
# elsewhere, build it with its own Makefile (pkg-config --cflags --libs
# bookwell-sdk), check the result exports only its entry and that the host's
# loader accepts it, then run the installed bookwell-plugin-check emr on it
# (the template's own `make check`, in a fresh database on BW_TEST_PG) and
# require "0 failed".
set -u
builddir=${BW_BUILDDIR:-.}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

tmp=$(mktemp -d /tmp/bw-sdk-XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"

# A clean make: the outer make check's jobserver is not ours.
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$builddir" install-sdk DESTDIR="$root" >"$tmp/install.log" 2>&1; then
    ok "make install-sdk into a scratch DESTDIR"
else
    cat "$tmp/install.log"; bad "make install-sdk"; finish
fi

prefix=$(sed -n 's/^prefix=//p' "$builddir/sdk/bookwell-sdk.pc")
pc=$(find "$root" -name bookwell-sdk.pc | head -n 1)
for f in include/bookwell/plugin.h include/bookwell/abi_layout.h include/bookwell-sdk/sdk.h \
         lib/libbookwell-sdk.a share/bookwell/plugin.map share/bookwell/template/Makefile \
         share/bookwell/template/kit.conf; do
    if [ -f "$root$prefix/$f" ]; then ok "installed $f"; else bad "missing $prefix/$f"; fi
done
[ -n "$pc" ] && ok "installed $(echo "$pc" | sed "s|^$root||")" || { bad "bookwell-sdk.pc not installed"; finish; }

# The installed .pc, relocated to the scratch prefix.
PKG="pkg-config --define-variable=prefix=$root$prefix"
export PKG_CONFIG_PATH="$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
if $PKG --exists bookwell-sdk && [ "$($PKG --variable=abi_major bookwell-sdk)" = 1 ]; then
    ok "pkg-config finds bookwell-sdk (ABI $($PKG --variable=abi_major bookwell-sdk).$($PKG --variable=abi_minor bookwell-sdk))"
else
    bad "pkg-config does not find bookwell-sdk"; finish
fi
case "$($PKG --libs bookwell-sdk)" in
*--version-script=*plugin.map*) ok "pkg-config --libs applies the plugin version script" ;;
*) bad "pkg-config --libs lacks the version script: $($PKG --libs bookwell-sdk)" ;;
esac

# A --enable-sanitizers build installs an instrumented archive; a plugin
# linking it must then be built with the same sanitizers.
san_flags=
if nm "$root$prefix/lib/libbookwell-sdk.a" 2>/dev/null | grep -q '__asan_init'; then
    san_flags="-fsanitize=address,undefined"
fi
cp -R "$root$prefix/share/bookwell/template" "$tmp/my-plugin"
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$tmp/my-plugin" PKG_CONFIG="$PKG" \
    CFLAGS="-O1 -g $san_flags" LDFLAGS="$san_flags" >"$tmp/build.log" 2>&1; then
    ok "the template builds out of tree with its own Makefile"
else
    cat "$tmp/build.log"; bad "the template does not build"; finish
fi
so="$tmp/my-plugin/emr.template-0.2.0.so"
if grep -q -- "-I$root$prefix/include" "$tmp/build.log"; then
    ok "it compiled against the installed headers"
else
    bad "it did not use the installed headers"
fi

if "$(dirname "$0")/check_symbols.sh" --plugin "$so"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi

mkdir "$tmp/plugins" && cp "$so" "$tmp/plugins/" && chmod 0644 "$tmp/plugins/emr.template-0.2.0.so"
out=$("$builddir/tests/abi/plugin_probe" "$tmp/plugins/emr.template-0.2.0.so" 2>&1)
if [ "$out" = "loaded emr.template 0.2.0 emr" ]; then ok "the host's loader accepts it: $out"; else bad "loader: $out"; fi

# The installed conformance kit passes the template, run as the template's
# README tells a plugin author to.
kit="$root$prefix/bin/bookwell-plugin-check"
if [ -x "$kit" ]; then ok "installed bin/bookwell-plugin-check"; else bad "bookwell-plugin-check not installed"; finish; fi
if [ -z "${BW_TEST_PG:-}" ]; then bad "BW_TEST_PG is not set: the kit needs a database"; finish; fi
db="bwkit_tpl_$$_$(date +%s)"
drop_db() { psql "$BW_TEST_PG" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; }
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$tmp/my-plugin" check PKG_CONFIG="$PKG" \
    CFLAGS="-O1 -g $san_flags" LDFLAGS="$san_flags" PLUGIN_CHECK="$kit" \
    DATABASE="$BW_TEST_PG dbname=$db" >"$tmp/kit.log" 2>&1
rc=$?
drop_db
sed 's/^/    /' "$tmp/kit.log"
last=$(tail -n 1 "$tmp/kit.log")
case "$last" in
*" passed, 0 failed")
    if [ "$rc" -eq 0 ] && ! grep -q '^FAIL ' "$tmp/kit.log"; then
        ok "bookwell-plugin-check emr passes the template: $last"
    else
        bad "bookwell-plugin-check said $last but exited $rc"
    fi ;;
*) bad "bookwell-plugin-check emr on the template: ${last:-no output} (exit $rc)" ;;
esac
# Every check the template's capabilities claim ran (none skipped but deposit_log).
skips=$(grep '^SKIP ' "$tmp/kit.log" | grep -v '^SKIP \(malformed_\)\{0,1\}deposit_log: capability absent$' || true)
if [ -z "$skips" ]; then ok "no check skipped beyond the absent deposit_log"; else bad "unexpected skips: $skips"; fi
finish
