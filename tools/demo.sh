#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `make demo`: start the bundled demo server (routes of known cost), trace it
# with slatrace while a bounded load runs against it on 127.0.0.1, and print
# slatrace's request report beside the server's own counts.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/demo-lib.sh
BUILD=${BUILD:-build}
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: error: slatrace loads BPF programs: run 'make demo' as root" >&2
	exit 1
fi
tmp=$(mktemp -d /tmp/slatrace-demo.XXXXXX)
server=""
tracer=""
cleanup() {
	[ -n "$tracer" ] && kill -INT "$tracer" 2>/dev/null || true
	[ -n "$server" ] && kill "$server" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

start_demo_server --slow-ms 20 --lock-ms 2 ||
	{ echo "demo: error: the demo server did not start" >&2; cat "$tmp/server.out" >&2; exit 1; }
echo "demo: demo-server (pid $server) on $addr: /fast, /slow (20 ms), /tail (1 in 100 takes 50 ms),"
echo "      /error (500), /disk (64 KiB + fdatasync), /lock (2 ms under one mutex), /users/<id>"

out="$BUILD/demo-report.json"
"$BUILD/slatrace" trace --requests -p "$server" --json "$out" >"$tmp/report.txt" 2>"$tmp/trace.err" &
tracer=$!
for _ in $(seq 100); do grep -q 'slatrace: tracing' "$tmp/trace.err" && break; sleep 0.1; done
grep -q 'slatrace: tracing' "$tmp/trace.err" || { cat "$tmp/trace.err" >&2; exit 1; }

# what is announced is what runs: a count and a bound, then the time it took
t0=$(date +%s%N)
if [ -x "$BUILD/tools/demo-load" ]; then
	echo "demo: load: 4000 requests on 4 connections, a fixed mix of routes (at most 30 s)"
	"$BUILD/tools/demo-load" --connect "$addr" --requests 4000 --connections 4 \
		--mix /fast=40,/users/7=20,/slow=5,/tail=20,/error=5,/disk=5,/lock=5 --timeout 30 \
		>"$tmp/load.out"
else
	echo "demo: load: wrk, 4 connections, 1 s on each of 7 routes (about 7 s)"
	for route in /fast /users/7 /slow /tail /error /disk /lock; do
		timeout 10 wrk -t1 -c4 -d1s "http://$addr$route" >/dev/null
	done
fi
echo "demo: load: done in $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
kill -INT "$tracer"
wait "$tracer" || true
tracer=""
cat "$tmp/report.txt"
kill "$server"
wait "$server" || true
server=""
echo
echo "demo: the server's own counts (the truth slatrace's counts are tested against):"
grep -E '^(route|total)=' "$tmp/server.out" | sed 's/^/  /'
if [ -f "$tmp/load.out" ]; then
	echo "demo: the load generator's own view (latency as the client saw it):"
	sed 's/^/  /' "$tmp/load.out"
fi
echo
echo "demo: the full report, every series with its buckets, is in $out"
