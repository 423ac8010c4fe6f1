#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `make soak`: trace the demo server for SOAK_SECONDS (default 3600) under a
# steady, bounded load on 127.0.0.1 with the default probe families, sample
# slatrace's resident memory every SOAK_SAMPLE seconds (default 10), and
# check the two things a long run must keep:
#   - memory flat after warm-up: the least-squares slope of RSS over the
#     samples after the first fifth of the run, in KiB per hour, under
#     SOAK_MAX_SLOPE_KIB_H (default 1024);
#   - counts exact: slatrace's request count equals the server's own.
# Prints the figures README's reliability table quotes; exits 1 on a miss.
# Not part of `make test`: it takes as long as it is told to.
set -uo pipefail
cd "$(dirname "$0")/.."
. tools/demo-lib.sh
BUILD=${BUILD:-build}
SECONDS_TOTAL=${SOAK_SECONDS:-3600}
SAMPLE=${SOAK_SAMPLE:-10}
MAX_SLOPE=${SOAK_MAX_SLOPE_KIB_H:-1024}
BATCH=${SOAK_BATCH:-2000}

die() { echo "soak: error: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "slatrace loads BPF programs: run 'make soak' as root"
[[ $SECONDS_TOTAL =~ ^[0-9]+$ ]] && [ "$SECONDS_TOTAL" -ge 60 ] ||
	die "SOAK_SECONDS must be a whole number of seconds, at least 60"
for b in slatrace tools/demo-server tools/demo-load; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b is not built (make all)"
done

tmp=$(mktemp -d /tmp/slatrace-soak.XXXXXX)
server="" tracer="" load=""
cleanup() {
	[ -n "$load" ] && kill "$load" 2>/dev/null
	[ -n "$tracer" ] && kill -INT "$tracer" 2>/dev/null
	[ -n "$server" ] && kill "$server" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

start_demo_server --slow-ms 5 --lock-ms 1 || die "the demo server did not start: $(head -c 300 "$tmp/server.out")"

"$BUILD/slatrace" trace -p "$server" --json "$tmp/r.json" >"$tmp/report.txt" 2>"$tmp/trace.err" &
tracer=$!
for _ in $(seq 150); do grep -q '^slatrace: tracing' "$tmp/trace.err" && break; sleep 0.1; done
grep -q '^slatrace: tracing' "$tmp/trace.err" || die "slatrace did not start: $(head -c 300 "$tmp/trace.err")"

# steady load: batches of BATCH requests on 2 keep-alive connections, each
# new path family and connection churn included, until the time is up
(
	end=$((SECONDS + SECONDS_TOTAL))
	while [ $SECONDS -lt $end ]; do
		"$BUILD/tools/demo-load" --connect "$addr" --requests "$BATCH" --connections 2 \
			--mix /fast=50,/users/1=10,/users/22=10,/slow=5,/tail=15,/error=5,/lock=5 \
			--timeout 120 >>"$tmp/load.out" 2>&1 || echo "load batch failed" >>"$tmp/load.err"
		sleep 1
	done
) &
load=$!

echo "soak: tracing demo-server (pid $server) on $addr for ${SECONDS_TOTAL}s, RSS every ${SAMPLE}s"
start=$SECONDS
: >"$tmp/rss"
while [ $((SECONDS - start)) -lt "$SECONDS_TOTAL" ]; do
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$tracer/status" 2>/dev/null) ||
		die "slatrace exited during the soak: $(tail -3 "$tmp/trace.err")"
	[ -n "$rss" ] || die "slatrace exited during the soak: $(tail -3 "$tmp/trace.err")"
	echo "$((SECONDS - start)) $rss" >>"$tmp/rss"
	sleep "$SAMPLE"
done
wait "$load"
load=""
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$tracer/status")
kill -INT "$tracer"
wait "$tracer"
rc=$?
tracer=""
kill "$server"
wait "$server"
server=""
[ "$rc" = 0 ] || die "slatrace exited $rc: $(tail -3 "$tmp/trace.err")"

sent=$(sed -n 's/^total=[0-9]* answered=\([0-9]*\).*/\1/p' "$tmp/load.out" | awk '{ s += $1 } END { print s + 0 }')
served=$(sed -n 's/^total=\([0-9]*\).*/\1/p' "$tmp/server.out" | tail -1)
counted=$(jq '[.series[] | select(.family == "request") | .count] | add // 0' "$tmp/r.json")
lost=$(jq '.lost.total // 0' "$tmp/r.json")
read -r slope n first last < <(awk -v w="$SECONDS_TOTAL" '
	$1 >= w / 5 { n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2
		if (!f) f = $2; l = $2 }
	END { d = n * sxx - sx * sx; s = d ? (n * sxy - sx * sy) / d : 0
		printf "%.0f %d %d %d\n", s * 3600, n, f, l }' "$tmp/rss")

echo "soak: ${SECONDS_TOTAL}s, $n RSS samples after warm-up: ${first} KiB -> ${last} KiB," \
	"slope ${slope} KiB/h (goal < ${MAX_SLOPE}), peak ${hwm} KiB"
echo "soak: requests: server answered ${served:-?}, slatrace counted $counted, lost $lost" \
	"(the load generator saw $sent answered)"
miss=0
awk -v s="$slope" -v m="$MAX_SLOPE" 'BEGIN { exit !(s < m) }' ||
	{ echo "soak: MISSED: memory grows ${slope} KiB/h after warm-up"; miss=1; }
[ -n "$served" ] && [ "$served" = "$counted" ] ||
	{ echo "soak: MISSED: slatrace counted $counted requests, the server answered ${served:-?}"; miss=1; }
[ -s "$tmp/load.err" ] && { echo "soak: MISSED: $(wc -l <"$tmp/load.err") load batches failed"; miss=1; }
[ $miss = 0 ] && echo "soak: PASS"
exit $miss
