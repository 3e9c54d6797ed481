#!/bin/sh
# sluice - ISC licence, see COPYING.
#
# sluice behind a real HAProxy, all on loopback: two sluice instances
# with --proxy-protocol (127.0.0.1, port 0, learnt through --port-file),
# and HAProxy in front of them balancing round robin, to one with
# send-proxy (PROXY protocol v1) and to the other with send-proxy-v2,
# both with health checks (which HAProxy sends with a PROXY header too).
# A client on 127.0.0.2 (curl --interface) sends N requests through
# HAProxy; every answer must be 200 with hello.html's body, and BOTH
# access logs must name 127.0.0.2, the real client, on every line, never
# 127.0.0.1, the address HAProxy connects from.  At exit each sluice
# must count no broken PROXY header (health checks included).
#
# HAProxy refuses to bind port 0, so its frontend takes a random port
# below the ephemeral range and the start is retried on a bind failure.
#
# Environment: SLUICE_BIN, SLUICE_HTDOCS (or SLUICE_SITE) as make check
# sets them; HAPROXY (default: haproxy in PATH, else /usr/sbin/haproxy);
# SLUICE_REQUIRE_HAPROXY=1 makes a missing haproxy or curl a failure
# instead of a skip (CI).  Every wait is bounded; the processes started
# here are stopped by PID and the temporary directory removed at exit.
# Exit status: 0 pass, 1 fail, 77 skip, 99 hard error (automake).

set -u

me=haproxy.sh
N=${SLUICE_HAPROXY_REQUESTS:-20}
WAIT_TICKS=100			# readiness polls, 0.05 s apart: 5 s
CURL_MAX_S=5			# any one request
BIND_TRIES=20			# HAProxy starts on a port found taken
CLIENT=127.0.0.2
BALANCER=127.0.0.1

tmp=
hpid=
spid1=
spid2=

say() { echo "$me: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
hard() { say "ERROR: $*"; exit 99; }
skip() {
	if [ "${SLUICE_REQUIRE_HAPROXY:-0}" = 1 ]; then
		fail "$* (SLUICE_REQUIRE_HAPROXY=1)"
	fi
	say "SKIP: $*"
	exit 77
}

# Stop one process started here, by PID: TERM, then KILL after 5 s.
# Its exit status is left in stopped.
stop_pid() {
	stopped=
	[ -n "$1" ] || return 0
	if ! kill -TERM "$1" 2>/dev/null; then
		wait "$1" 2>/dev/null
		stopped=$?
		return 0
	fi
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $WAIT_TICKS ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	stopped=$?
	return 0
}

cleanup() {
	stop_pid "$hpid"
	stop_pid "$spid1"
	stop_pid "$spid2"
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

[ -n "${SLUICE_BIN:-}" ] && [ -x "$SLUICE_BIN" ] ||
    hard "SLUICE_BIN is not an executable (run through make check)"
htdocs=${SLUICE_HTDOCS:-${SLUICE_SITE:-}}
[ -n "$htdocs" ] && [ -r "$htdocs/hello.html" ] ||
    hard "no hello.html under SLUICE_HTDOCS or SLUICE_SITE"
haproxy=${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}
[ -x "$haproxy" ] || skip "haproxy not found (apt-get install haproxy)"
command -v curl >/dev/null 2>&1 || skip "curl not found (apt-get install curl)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-haproxy.XXXXXX") ||
    hard "mktemp failed"

# Start sluice instance $1 in the foreground as a job; its PID goes to
# spid$1 and its port to port$1.
start_sluice() {
	"$SLUICE_BIN" --listen 127.0.0.1:0 --port-file "$tmp/port$1" \
	    --proxy-protocol --access-log "$tmp/access$1.log" \
	    --workers 2 --header-timeout 5 --root "$htdocs" \
	    > "$tmp/sluice$1.out" 2> "$tmp/sluice$1.err" &
	eval "spid$1=\$!"
	i=0
	while :; do
		p=$(cat "$tmp/port$1" 2>/dev/null)
		case $p in
		[1-9]*) break ;;
		esac
		eval "kill -0 \$spid$1" 2>/dev/null || {
			cat "$tmp/sluice$1.err" >&2
			fail "sluice $1 exited at start-up"
		}
		[ $i -lt $WAIT_TICKS ] || fail "sluice $1 reported no port"
		sleep 0.05
		i=$((i + 1))
	done
	eval "port$1=\$p"
}

start_sluice 1
start_sluice 2
say "sluice 1 (send-proxy, v1) on 127.0.0.1:$port1, pid $spid1"
say "sluice 2 (send-proxy-v2) on 127.0.0.1:$port2, pid $spid2"

# Write the configuration for frontend port $1.
write_cfg() {
	cat > "$tmp/haproxy.cfg" <<EOF
global
    noreuseport
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout http-request 5s
frontend fe
    bind $BALANCER:$1
    monitor-uri /haproxy-ready
    default_backend replicas
backend replicas
    balance roundrobin
    server v1 127.0.0.1:$port1 send-proxy check inter 100ms
    server v2 127.0.0.1:$port2 send-proxy-v2 check inter 100ms
EOF
}

# Start HAProxy in the foreground as a job on a random port, until one
# binds; sets hpid and fport once it answers its monitor URI.
tries=0
while :; do
	tries=$((tries + 1))
	[ $tries -le $BIND_TRIES ] || fail "no free port for HAProxy"
	r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	fport=$((20000 + r % 12000))
	write_cfg "$fport"
	"$haproxy" -f "$tmp/haproxy.cfg" -db > "$tmp/haproxy.out" 2>&1 &
	hpid=$!
	i=0
	ready=
	while [ $i -lt $WAIT_TICKS ]; do
		if ! kill -0 "$hpid" 2>/dev/null; then
			wait "$hpid" 2>/dev/null
			hpid=
			break
		fi
		# HAProxy's own answer, not that of whatever else may
		# hold the port while HAProxy fails to bind it.
		code=$(curl -s -o "$tmp/ready" -w '%{http_code}' \
		    --max-time 1 "http://$BALANCER:$fport/haproxy-ready" \
		    2>/dev/null)
		if [ "$code" = 200 ] && grep -q "Service ready" "$tmp/ready" &&
		    kill -0 "$hpid" 2>/dev/null; then
			ready=1
			break
		fi
		sleep 0.05
		i=$((i + 1))
	done
	[ -n "$ready" ] && break
	if [ -z "$hpid" ] && grep -q -i 'bind\|address already in use' \
	    "$tmp/haproxy.out"; then
		say "port $fport taken, trying another"
		continue
	fi
	cat "$tmp/haproxy.out" >&2
	fail "HAProxy did not start"
done
say "haproxy $("$haproxy" -v | head -n 1 | cut -d' ' -f3) on" \
    "$BALANCER:$fport, pid $hpid"

# N requests from the client address, each on a connection of its own.
n=0
while [ $n -lt "$N" ]; do
	n=$((n + 1))
	code=$(curl -s --interface "$CLIENT" --max-time $CURL_MAX_S \
	    -o "$tmp/body" -w '%{http_code}' \
	    "http://$BALANCER:$fport/?request=$n") ||
	    fail "request $n: curl failed (status $?)"
	[ "$code" = 200 ] || fail "request $n: status $code, want 200"
	cmp -s "$tmp/body" "$htdocs/hello.html" ||
	    fail "request $n: the body is not hello.html"
done
say "$N requests from $CLIENT through HAProxy: all 200 with hello.html"

stop_pid "$hpid"
hpid=
stop_pid "$spid1"
spid1=
[ "$stopped" = 0 ] || fail "sluice 1 exited with status $stopped"
stop_pid "$spid2"
spid2=
[ "$stopped" = 0 ] || fail "sluice 2 exited with status $stopped"

total=0
for k in 1 2; do
	log=$tmp/access$k.log
	lines=$(grep -c '' "$log" 2>/dev/null || echo 0)
	[ "$lines" -gt 0 ] || fail "sluice $k logged no request"
	bad=$(grep -v -c "^$CLIENT - - \[" "$log")
	if [ "$bad" -ne 0 ]; then
		cat "$log" >&2
		fail "sluice $k logged $bad line(s) not from $CLIENT"
	fi
	grep -q "^$BALANCER " "$log" && fail "sluice $k logged $BALANCER"
	grep -q 'proxy_errors=0' "$tmp/sluice$k.err" || {
		cat "$tmp/sluice$k.err" >&2
		fail "sluice $k refused a PROXY header (or logged no counters)"
	}
	sed -n "s/^.*counters: /sluice $k counters: /p" "$tmp/sluice$k.err" >&2
	say "sluice $k: $lines request(s), every one from $CLIENT:"
	head -n 1 "$log" >&2
	total=$((total + lines))
done
[ "$total" -eq "$N" ] || fail "$total access-log lines for $N requests"
say "PASS"
exit 0
