#!/bin/sh
# sluice - ISC licence, see COPYING.
#
# Check the files that install under /etc against the binary they go
# with, so that an option renamed in src/conf.c or a path changed in
# Makefile.am cannot leave them behind:
# - etc/sluice.conf is accepted by sluice -T (every key known, every
#   value valid) and says what the package promises: port 80 on IPv4
#   and IPv6, /var/www/sluice, the sluice user, logs under
#   /var/log/sluice, no pidfile, no daemon; its include of conf.d/*.conf
#   reads nothing when conf.d is missing and reads conf.d when present;
# - the generated systemd unit runs the configured sbindir's sluice on
#   the configured sysconfdir's file, with nothing left unsubstituted;
# - the init script parses (sh -n), and is shellcheck-clean when
#   shellcheck is installed.
#
# Environment (make check sets it): SLUICE_BIN, SLUICE_UNIT,
# SLUICE_SBINDIR, SLUICE_SYSCONFDIR, srcdir.
# Exit status: 0 passed, 1 failed (each failure on standard error),
# 99 a hard error, as automake's test driver expects.

set -u

me=check-etc
top_srcdir=${srcdir:-$(dirname "$0")/..}
bin=${SLUICE_BIN:-${top_builddir:-.}/src/sluice}
unit=${SLUICE_UNIT:-${top_builddir:-.}/etc/systemd/sluice.service}
conf=$top_srcdir/etc/sluice.conf
initd=$top_srcdir/etc/init.d/sluice
fail=0

hard() {
	echo "$me: $*" >&2
	exit 99
}
bad() {
	echo "$me: FAIL: $*" >&2
	fail=1
}

[ -x "$bin" ] || hard "no sluice binary at $bin (build it first)"
[ -r "$conf" ] || hard "no $conf"
[ -r "$unit" ] || hard "no generated unit at $unit (make builds it)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/$me.XXXXXX") || hard "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 99' HUP INT TERM

# The configuration file, as sluice reads it (its conf.d is missing).
if ! "$bin" -T -c "$conf" > "$tmp/effective" 2> "$tmp/err"; then
	bad "sluice -T -c $conf refused it: $(cat "$tmp/err")"
fi
for line in 'listen 0.0.0.0:80' 'listen [::]:80' 'root /var/www/sluice' \
    'user sluice' 'group sluice' \
    'access-log /var/log/sluice/access.log' 'daemon off'; do
	grep -qxF "$line" "$tmp/effective" ||
	    bad "$conf: no \"$line\" in the effective configuration"
done
grep -q '^pidfile' "$tmp/effective" &&
    bad "$conf sets a pidfile (the init script gives --pidfile)"

# Its include, with a conf.d beside a copy of it.
mkdir "$tmp/etc" "$tmp/etc/conf.d" || hard "mkdir failed"
cp "$conf" "$tmp/etc/sluice.conf" || hard "cp failed"
printf 'workers 3\n' > "$tmp/etc/conf.d/local.conf"
printf 'workers 5\n' > "$tmp/etc/conf.d/local.conf.disabled"
"$bin" -T -c "$tmp/etc/sluice.conf" 2>&1 | grep -qx 'workers 3' ||
    bad "$conf: conf.d/*.conf is not read (workers 3 not applied)"

# The systemd unit made from sluice.service.in.
grep -n '@[a-z_]*@' "$unit" > "$tmp/left" &&
    bad "$unit: left unsubstituted: $(cat "$tmp/left")"
if [ -n "${SLUICE_SBINDIR:-}" ] && [ -n "${SLUICE_SYSCONFDIR:-}" ]; then
	want="ExecStart=$SLUICE_SBINDIR/sluice -c $SLUICE_SYSCONFDIR/sluice/sluice.conf"
	grep -qxF "$want" "$unit" || bad "$unit: no \"$want\" line"
fi
grep -qx 'Type=notify' "$unit" || bad "$unit: not Type=notify"

# The init script.
sh -n "$initd" || bad "$initd: sh -n failed"
if command -v shellcheck >/dev/null 2>&1; then
	shellcheck "$initd" >&2 || bad "$initd: shellcheck"
else
	echo "$me: shellcheck not installed: init script not linted"
fi

exit $fail
