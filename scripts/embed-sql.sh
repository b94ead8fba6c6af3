#!/bin/sh
# Writes a C file that embeds the numbered migrations (host/sql/NNNN_name.sql)
# as strings, so the daemon carries its schema and needs no files at run time.
# Usage: embed-sql.sh OUT.c FILE.sql...
set -eu
out=$1; shift
tmp="$out.tmp"
{
    echo '/* Generated from the host/sql migrations by scripts/embed-sql.sh; do not edit. */'
    echo '#include "migrations.h"'
    echo 'const struct migration migrations_embedded[] = {'
    for f in "$@"; do
        base=$(basename "$f" .sql)
        version=$(echo "$base" | sed 's/_.*//' | sed 's/^0*//')
        name=$(echo "$base" | sed 's/^[0-9]*_//')
        printf '    { %s, "%s",\n' "$version" "$name"
        sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/      "/' -e 's/$/\\n"/' "$f"
        echo '    },'
    done
    echo '};'
    echo "const int migrations_embedded_count = $#;"
} > "$tmp"
mv "$tmp" "$out"
