#!/bin/sh
# bench/run.sh - measure sluice side by side with nginx and lighttpd.
#
# Runs the shared side-by-side harness (compare.sh: wrk against each server
# in alternating rounds on loopback, ratios to nginx, server CPU per
# request, memory per idle connection, slowloris) with this tree's
# src/sluice.  Not part of make check: timings belong in a benchmark, not
# in tests.
#
#   bench/run.sh [--mode pinned|unpinned|both] [other compare.sh options]
#
# Needs: apt-get install -y wrk nginx-light lighttpd python3
# HARNESS: path of compare.sh (default: ../shared/bench/compare.sh beside
# the checkout).  Results are printed and kept under /tmp/bench-anchors.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
harness=${HARNESS:-$top/../shared/bench/compare.sh}
bin=$top/src/sluice

if [ ! -x "$harness" ]; then
	echo "bench/run.sh: no harness at $harness; set HARNESS=/path/to/compare.sh" >&2
	exit 2
fi
if [ ! -x "$bin" ]; then
	echo "bench/run.sh: build first: autoreconf -fi && ./configure && make" >&2
	exit 2
fi
for tool in wrk nginx lighttpd python3; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "bench/run.sh: $tool is missing: apt-get install -y wrk nginx-light lighttpd python3" >&2
		exit 2
	}
done
[ $# -eq 0 ] && set -- --mode pinned

exec "$harness" "$@" \
	--server "sluice=$bin --listen 127.0.0.1:{port} --root {root} --workers {workers} --max-connections 20000" \
	--server nginx=builtin --server lighttpd=builtin --server ceiling=builtin \
	--ref nginx
