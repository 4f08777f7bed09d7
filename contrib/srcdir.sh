#!/bin/sh
# Prints a source directory that an out-of-tree build of this checkout can
# be configured from, with its configure script made:
#   src=$(contrib/srcdir.sh)
#   mkdir -p build/x && cd build/x && "$src/configure" ...
# Used by contrib/quickstart.sh and tests/run-all.sh.
#
# Autoconf refuses an out-of-tree build ("source directory already
# configured") once ./configure has been run in the checkout itself, and
# make would then pick up the objects built there through VPATH. Such an
# in-tree build is a developer's own, so this script leaves it alone and
# prints a clean copy of the sources instead, build/src (made anew on each
# call): the files git knows (tracked, and untracked but not ignored, as they
# are in the work tree), or without git everything but build/, cleaned with
# "make distclean". In an unconfigured checkout it prints the checkout.
# Progress goes to stderr; only the directory goes to stdout.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

if [ ! -f config.status ]; then
	[ -x configure ] || autoreconf -fi >&2
	echo "$top"
	exit 0
fi

copy=$top/build/src
echo "srcdir.sh: $top is configured in place; building from a copy in $copy" >&2
rm -rf "$copy"
mkdir -p "$copy"
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
	# A tracked file deleted in the work tree is skipped (tar warns).
	git ls-files -z --cached --others --exclude-standard -- . ':!:build/' |
		tar -c --null -T - --ignore-failed-read -f - 2>/dev/null |
		tar -x -C "$copy" -f -
	(cd "$copy" && autoreconf -fi >&2)
else
	tar -c --exclude=./build -f - . | tar -x -C "$copy" -f -
	(cd "$copy" && make -s distclean >/dev/null 2>&1 || rm -f config.status)
	[ -x "$copy/configure" ] || (cd "$copy" && autoreconf -fi >&2)
fi
echo "$copy"
