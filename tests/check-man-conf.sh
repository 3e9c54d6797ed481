#!/bin/sh
# sluice - ISC licence, see COPYING.
#
# Check that man/sluice.conf.5 documents exactly the options that a
# configuration file accepts, so that the page and the option table of
# src/conf.c cannot drift apart; and that man/sluice.8 has an entry
# (".It Fl -NAME", ".It Fl x , -NAME" or ".It Fl x Ar arg , Fl -NAME")
# for every option of --help.
#
# The option names come from `sluice --help` (the long names, generated
# from the option table).  Which of them a file accepts is asked of the
# binary itself: each name is given alone on a line of a scratch file
# read with -c, and a name that the file refuses is reported as
# 'unknown option "NAME"'.  The page's keys are the ".It Ic NAME" lines
# of its OPTIONS section.  For an option whose --help argument is a list
# of words (deny|allow), each word must appear on the page's .It line.
#
# Usage: tests/check-man-conf.sh [SLUICE [PAGE [PAGE8]]]
# Defaults: $SLUICE_BIN or $top_builddir/src/sluice (else src/sluice),
# and $srcdir/man/sluice.conf.5 (srcdir as make check sets it, else the
# directory above this script).
# Exit status: 0 in step, 1 drift (each difference on standard error),
# 99 a hard error (no binary, no page, nothing parsed), as automake's
# test driver expects.

set -u

me=check-man-conf
top_srcdir=${srcdir:-$(dirname "$0")/..}
bin=${1:-${SLUICE_BIN:-${top_builddir:-.}/src/sluice}}
page=${2:-$top_srcdir/man/sluice.conf.5}
page8=${3:-$top_srcdir/man/sluice.8}

hard() {
	echo "$me: $*" >&2
	exit 99
}

[ -x "$bin" ] || hard "no sluice binary at $bin (build it first)"
[ -r "$page" ] || hard "no manual page at $page"
[ -r "$page8" ] || hard "no manual page at $page8"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/$me.XXXXXX") || hard "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 99' HUP INT TERM

# "  -l, --listen ADDR:PORT   ..." and "      --backlog N   ...": one
# "NAME ARG" line per option, ARG the words of a deny|allow argument or
# "-" for any other argument or none.
"$bin" --help > "$tmp/help" 2>&1 || hard "$bin --help failed"
sed -n 's/^ *\(-[[:alnum:]], \)\{0,1\}--\([[:alnum:]][[:alnum:]-]*\)\(.*\)$/\2 \3/p' \
    "$tmp/help" | while read -r name arg _; do
	case $arg in
	*\|*) ;;			# a list of words: deny|allow
	*) arg=- ;;			# N, FILE... or no argument
	esac
	printf '%s %s\n' "$name" "$arg"
done > "$tmp/options"
[ -s "$tmp/options" ] || hard "no option found in the output of --help"

# The options a file accepts, asked of the binary.
: > "$tmp/accepted"
: > "$tmp/refused"
while read -r name arg; do
	printf '%s\n' "$name" > "$tmp/probe.conf"
	out=$("$bin" -c "$tmp/probe.conf" -T 2>&1)
	case $out in
	*"unknown option \"$name\""*)
		echo "$name" >> "$tmp/refused" ;;
	*)
		echo "$name $arg" >> "$tmp/accepted" ;;
	esac
done < "$tmp/options"
[ -s "$tmp/accepted" ] || hard "the binary accepts no option in a file"
[ -s "$tmp/refused" ] || hard "the binary refuses no option in a file" \
    "(config, help... should be refused): is the probe broken?"

# The page's keys: ".It Ic NAME ..." between ".Sh OPTIONS" and the next
# .Sh, with the rest of each line kept for the choices check.
sed -n '/^\.Sh OPTIONS$/,/^\.Sh /{
	s/^\.It Ic \([^ ]*\)\(.*\)$/\1\2/p
}' "$page" > "$tmp/page"
[ -s "$tmp/page" ] || hard "no .It Ic key in the OPTIONS section of $page"

status=0
while read -r name arg; do
	line=$(awk -v n="$name" '$1 == n { print; exit }' "$tmp/page")
	if [ -z "$line" ]; then
		echo "$me: option $name is accepted in a file but not" \
		    "documented in $page" >&2
		status=1
		continue
	fi
	case $arg in
	*\|*)
		for word in $(echo "$arg" | tr '|' ' '); do
			case " $line " in
			*" $word "*) ;;
			*)
				echo "$me: $page: key $name lacks the" \
				    "value $word of --help ($arg)" >&2
				status=1 ;;
			esac
		done ;;
	esac
done < "$tmp/accepted"

while read -r name _; do
	if ! awk -v n="$name" '$1 == n { f = 1 } END { exit !f }' \
	    "$tmp/accepted"; then
		if grep -qx "$name" "$tmp/refused"; then
			why="which a file refuses"
		else
			why="which --help does not list"
		fi
		echo "$me: $page documents key $name, $why" >&2
		status=1
	fi
done < "$tmp/page"

dups=$(awk '{ print $1 }' "$tmp/page" | sort | uniq -d | tr '\n' ' ' | sed 's/ $//')
if [ -n "$dups" ]; then
	echo "$me: $page documents a key twice:" "$dups" >&2
	status=1
fi

# sluice(8): an .It entry for every option of --help, long name and all.
while read -r name _; do
	if ! grep -Eq "^\.It Fl (-$name|[[:alnum:]] , -$name|[[:alnum:]] .*, Fl -$name)( |\$)" \
	    "$page8"; then
		echo "$me: $page8 has no .It entry for --$name" >&2
		status=1
	fi
done < "$tmp/options"

if [ "$status" -eq 0 ]; then
	echo "$me: ok: $page8 has every option of --help"
	echo "$me: ok: $page documents the $(wc -l < "$tmp/accepted")" \
	    "options a file accepts; not in files:" \
	    "$(tr '\n' ' ' < "$tmp/refused" | sed 's/ $//')"
else
	echo "$me: FAIL: the manual pages and the option table differ" >&2
fi
exit "$status"
