#!/bin/sh
# Regenerates the build system (configure, Makefile.in) from configure.ac and
# Makefile.am. Run once after a fresh clone, then ./configure && make.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf --install --force
