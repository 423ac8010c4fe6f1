#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What the tcp family costs: two hosts made of network namespaces joined by
# a veth pair (10.77.0.1 -> 10.77.0.2, only inside the namespaces this
# script creates), and tests/e2e/tcpload on them:
#
#   short: RATE short connections per second for DURATION seconds (connect,
#          write 100 bytes, close; the server reads and closes): the CPU the
#          client and the server spend, and the tracer while the workload
#          runs (their own accounting, which with tick accounting includes
#          softirq work in their context; not the machine's, which other
#          tenants share), over the run's wall time; and the rate achieved;
#   bulk:  one connection pushing BULK_BYTES as fast as it goes: the
#          receiver's own goodput.
#
# Three configurations: untraced; floor (build/bench/floor with empty
# programs on the family's busy hooks, bench/tcp_floor.bpf.c: the price of
# being attached at all); slatrace (`slatrace trace --tcp -p <client>,
# <server>`, every connection of both ends tracked). Tracers attach before
# the workload starts (it waits at a gate) and stop after. Each round runs
# every configuration once, in an order rotated every round; the figures
# are medians over the rounds, and "paired" is the median of each round's
# own difference to its untraced run (less sensitive to drift on a noisy,
# shared machine). Then one extra floor and slatrace run of each workload
# with kernel.bpf_stats_enabled=1 (the old value restored) gives run counts
# and ns per run of each program; it is not in the medians, as the
# statistics add their own cost to every BPF program on the host.
#
# Everything runs at niceness NICE (-10), tracers too, so that other jobs on
# a shared machine disturb the rounds less.
#
# Every slatrace run (the stats runs too) is checked against tcpload's own
# counts: slatrace must exit 0, lose no record, and report as many
# established connects as the client's ok connections, as many accepts as
# the server accepted, the client's bytes sent as its connections' bytes
# out and the server's bytes read as its connections' bytes in, exactly:
# both ends are traced from before the first connection to after the last
# closed, so there is nothing in flight to allow for. The goal line says
# PASS only when every bulk slatrace run passed that check (lib.bash),
# MISSED when measured and not met, FAIL when not measured; a short run
# that did not measure fails the benchmark too.
#
# Needs root, ip, jq and bpftool. About two minutes with the defaults; every
# wait is bounded. Environment: BUILD (build), ROUNDS (5), RATE (10000),
# DURATION (3), BULK_BYTES (2000000000), NICE (-10), SLATRACE (the slatrace
# to measure, default BUILD/slatrace), QUICK=1 (a check of the verdicts in
# seconds: ROUNDS 1, RATE 2000, DURATION 1, BULK_BYTES 200000000 unless
# given).
# Exit status: 0 when the goal was met and every slatrace run measured; 1
# when it was missed or not measured, a run did not measure, or the
# benchmark could not run. The last line says which.

set -u
export LC_ALL=C

BUILD=${BUILD:-build}
if [ "${QUICK:-0}" = 1 ]; then
	ROUNDS=${ROUNDS:-1}
	RATE=${RATE:-2000}
	DURATION=${DURATION:-1}
	BULK_BYTES=${BULK_BYTES:-200000000}
fi
ROUNDS=${ROUNDS:-5}
RATE=${RATE:-10000}
DURATION=${DURATION:-3}
BULK_BYTES=${BULK_BYTES:-2000000000}
GOAL_LOSS_PCT=3
NICE=${NICE:--10}

cd "$(dirname "$0")/.." || exit 1
. bench/lib.bash
. tests/e2e/shared.bash
ROOT=$(pwd)
TCPLOAD=$ROOT/$BUILD/tests/tcpload
SLATRACE=${SLATRACE:-$ROOT/$BUILD/slatrace}
NSA=slt-tcpb-$$-a
NSB=slt-tcpb-$$-b
VA=sltb$$a
VB=sltb$$b

[ "$(id -u)" = 0 ] || die "cannot run the tcp benchmark: it needs root"
for c in ip jq bpftool; do
	command -v "$c" >/dev/null || die "cannot run the tcp benchmark: '$c' is missing"
done
[ -x "$SLATRACE" ] || die "cannot find '$SLATRACE': run 'make'"
[ -x "$TCPLOAD" ] || die "cannot find '$TCPLOAD': run 'make $BUILD/tests/tcpload'"
FLOOR=$ROOT/$BUILD/bench/floor
FLOOR_OBJ=$ROOT/$BUILD/bench/tcp_floor.bpf.o
[ -x "$FLOOR" ] && [ -e "$FLOOR_OBJ" ] || die "cannot find '$FLOOR' or '$FLOOR_OBJ': run 'make bench'"

TMP=$(mktemp -d /tmp/slatrace-bench-tcp.XXXXXX) || die "cannot create a temporary directory"
PIDS=()
OLD_STATS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	sysctl -qw kernel.bpf_stats_enabled="$OLD_STATS" 2>/dev/null
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NSA" && ip netns add "$NSB" &&
	ip link add "$VA" type veth peer name "$VB" &&
	ip link set "$VA" netns "$NSA" && ip link set "$VB" netns "$NSB" &&
	ip -n "$NSA" addr add 10.77.0.1/24 dev "$VA" && ip -n "$NSB" addr add 10.77.0.2/24 dev "$VB" &&
	ip -n "$NSA" link set "$VA" up && ip -n "$NSB" link set "$VB" up &&
	ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up ||
	die "cannot create the network namespaces"
# short connections leave TIME_WAIT sockets behind: let the ports recycle
ip netns exec "$NSA" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
ip netns exec "$NSA" sysctl -qw net.ipv4.tcp_tw_reuse=1

# bounded wait for one of our children; returns its exit status (137:
# it had to be killed)
reap() { # PID SECONDS
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# CPU seconds of this shell's reaped children (the workload and the tracer:
# with tick accounting, softirq work done in their context counts too), not
# the machine's: other tenants of a shared machine do not count
# (the builtin must run in the shell that reaped them, not in a $(...)
# subshell: child_cpu FILE writes the figure to FILE)
child_cpu() {
	times >"$1.times"
	awk 'NR == 2 { split($1 " " $2, t, "[ms]"); print t[1] * 60 + t[2] + t[3] * 60 + t[4] }' \
		"$1.times" >"$1"
}
# CPU seconds of a live process so far
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }

TR_PID=
start_trace() { # CONFIG CLIENT SERVER LOG
	if [ "$1" = floor ]; then
		nice -n "$NICE" "$FLOOR" "$FLOOR_OBJ" >"$4" 2>"$4.err" &
	else
		nice -n "$NICE" "$SLATRACE" trace --tcp -p "$2,$3" --json "$4.json" >"$4" 2>"$4.err" &
	fi
	TR_PID=$!
	PIDS+=("$TR_PID")
	wait_for "$4.err" '^slatrace: tracing\|^floor: attached' 30
}

stop_trace() {
	kill -INT "$TR_PID" 2>/dev/null
	reap "$TR_PID" 30
}

# tcp_check MODE RC DIR: why the slatrace run in DIR, which exited with RC,
# did not measure what tcpload did (nothing when it did); the checks are
# those of the opening comment
tcp_check() {
	local mode=$1 rc=$2 d=$3 ok sent acc got lost est accepted out in why=

	((rc == 0)) || { echo "slatrace exited with status $rc"; return; }
	if [ "$mode" = short ]; then
		ok=$(sed -n 's/^ok=\([0-9]*\) .*/\1/p' "$d/cl")
		sent=$((${ok:-0} * 100))
	else
		ok=1
		sent=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$d/cl")
	fi
	read -r acc got < <(sed -n 's/^accepted=\([0-9]*\) bytes=\([0-9]*\) .*/\1 \2/p' "$d/srv")
	[ -n "$ok" ] && [ -n "$sent" ] && [ -n "$acc" ] ||
		{ echo "tcpload's own counts are missing"; return; }
	read -r lost est accepted out in < <(jq -r '
		def sum(m; f): [.series[] | select(.family == "tcp" and .labels.metric == m) | f] | add // 0;
		[(.lost.total // "unknown"), sum("connect"; .counts.established), sum("accept"; .counts.accepted),
		 sum("conn"; select(.labels.remote) | .counts.bytes_out),
		 sum("conn"; select(.labels.port) | .counts.bytes_in)] | @tsv' "$d/tr.json" 2>/dev/null)
	[ -n "$in" ] || { echo "no JSON report from slatrace"; return; }
	[ "$lost" = 0 ] || why+="lost $lost records; "
	[ "$est" = "$ok" ] || why+="$est connects established, the client made $ok; "
	[ "$accepted" = "$acc" ] || why+="$accepted accepts, the server accepted $acc; "
	[ "$out" = "$sent" ] || why+="$out bytes out, the client sent $sent; "
	[ "$in" = "$got" ] || why+="$in bytes in, the server read $got; "
	[ -z "$why" ] || echo "slatrace counted ${why%; }"
}

# BPF statistics of the tracer's programs, "name run_cnt run_time_ns" lines
prog_stats() {
	local id
	for id in $(grep -h '^prog_id:' /proc/"$TR_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u); do
		bpftool prog show id "$id" -j 2>/dev/null |
			jq -r 'select(.name | startswith("handle_")) | "\(.name) \(.run_cnt // 0) \(.run_time_ns // 0)"'
	done
}

# one run: MODE (short|bulk) CONFIG (untraced|floor|slatrace) [STATS]
# -> prints "value cpu_cores"; STATS=1 adds bpf_stats lines to stats.MODE
run_once() {
	local mode=$1 cfg=$2 stats=${3:-0} d=$TMP/run srv cl t0 t1 v cpu0 cpu1 tr0 tr1 rc label=$((r + 1))
	rm -rf "$d"
	mkdir -p "$d"
	child_cpu "$d/cpu0"
	cpu0=$(cat "$d/cpu0")
	nice -n "$NICE" ip netns exec "$NSB" "$TCPLOAD" --gate server 10.77.0.2:5201 --backlog 4096 >"$d/srv" 2>&1 &
	srv=$!
	PIDS+=("$srv")
	if [ "$mode" = short ]; then
		nice -n "$NICE" ip netns exec "$NSA" "$TCPLOAD" --gate connects 10.77.0.2:5201 \
			--count $((RATE * DURATION)) --rate "$RATE" --send 100 >"$d/cl" 2>&1 &
	else
		nice -n "$NICE" ip netns exec "$NSA" "$TCPLOAD" --gate send 10.77.0.2:5201 --bytes "$BULK_BYTES" \
			>"$d/cl" 2>&1 &
	fi
	cl=$!
	PIDS+=("$cl")
	wait_for "$d/srv" '^ready' 5 && wait_for "$d/cl" '^ready' 5 || return 1
	[ "$stats" = 1 ] && label=stats
	if [ "$cfg" != untraced ] && ! start_trace "$cfg" "$cl" "$srv" "$d/tr"; then
		[ "$cfg" = slatrace ] && round_record "slatrace $mode" "$label" "it did not attach"
		return 1
	fi
	kill -USR1 "$srv"
	wait_for "$d/srv" '^listening' 5 || return 1
	[ "$stats" = 1 ] && prog_stats >"$d/stats0"
	tr0=0
	[ "$cfg" != untraced ] && tr0=$(proc_cpu "$TR_PID")
	t0=$(date +%s%N)
	kill -USR1 "$cl"
	reap "$cl" $((DURATION * 4 + 60))
	t1=$(date +%s%N)
	[ "$stats" = 1 ] && prog_stats >"$d/stats1"
	tr1=0
	[ "$cfg" != untraced ] && tr1=$(proc_cpu "$TR_PID")
	kill -TERM "$srv"
	wait_for "$d/srv" '^accepted=' 5
	reap "$srv" 5
	# the workload's CPU (both reaped now), before the tracer is
	child_cpu "$d/cpu1"
	cpu1=$(cat "$d/cpu1")
	if [ "$cfg" != untraced ]; then
		stop_trace
		rc=$?
		[ "$cfg" = slatrace ] && round_record "slatrace $mode" "$label" "$(tcp_check "$mode" "$rc" "$d")"
	fi
	if [ "$stats" = 1 ]; then
		join <(sort "$d/stats0") <(sort "$d/stats1") |
			awk -v c="$cfg" '$4 > $2 { n = $4 - $2; t = $5 - $3; printf "  %-8s %-26s %10d runs %8.0f ns/run\n", c, $1, n, t / n }' \
				>>"$TMP/stats.$mode"
	fi
	if [ "$mode" = short ]; then
		grep -q "^ok=$((RATE * DURATION)) " "$d/cl" || return 1
		v=$(awk -v n=$((RATE * DURATION)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (t / 1e9) }')
	else
		grep -q "^sent=$BULK_BYTES" "$d/cl" || return 1
		v=$(awk '/^accepted=/ { for (i = 1; i <= NF; i++) if ($i ~ /^rate_bps=/) { sub("rate_bps=", "", $i); print $i } }' "$d/srv")
	fi
	# CPU of the workload and of the tracer while it ran, in cores
	awk -v v="$v" -v c="$cpu1" -v c0="$cpu0" -v a="$tr0" -v b="$tr1" -v t=$((t1 - t0)) \
		'BEGIN { printf "%s %.3f\n", v, (c - c0 + b - a) / (t / 1e9) }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

CONFIGS=(untraced floor slatrace)
declare -A VAL CPU PAIR_CPU PAIR_LOSS CPB
echo "tcp bench: $ROUNDS rounds of untraced, floor and slatrace in rotated order;" \
	"short: $RATE conn/s for ${DURATION}s; bulk: $BULK_BYTES bytes"
for ((r = 0; r < ROUNDS; r++)); do
	for mode in short bulk; do
		declare -A this=()
		for ((k = 0; k < 3; k++)); do
			cfg=${CONFIGS[$(((k + r) % 3))]}
			out=$(run_once "$mode" "$cfg") ||
				die "the $mode run ($cfg) failed: $(cat "$TMP"/run/*.err "$TMP"/run/cl 2>/dev/null | head -c 600)"
			read -r v c <<<"$out"
			VAL[$mode.$cfg]+="$v "
			CPU[$mode.$cfg]+="$c "
			this[$cfg]="$v $c"
		done
		read -r v0 c0 <<<"${this[untraced]}"
		for cfg in floor slatrace; do
			read -r v1 c1 <<<"${this[$cfg]}"
			PAIR_CPU[$mode.$cfg]+="$(awk -v a="$c1" -v b="$c0" 'BEGIN { print (a - b) * 100 }') "
			PAIR_LOSS[$mode.$cfg]+="$(awk -v a="$v1" -v b="$v0" 'BEGIN { print (1 - a / b) * 100 }') "
		done
		printf '  round %d %-5s untraced %-11s floor %-11s slatrace %-11s (cpu cores %s / %s / %s)\n' \
			"$r" "$mode" "${this[untraced]% *}" "${this[floor]% *}" "${this[slatrace]% *}" \
			"${this[untraced]#* }" "${this[floor]#* }" "${this[slatrace]#* }"
	done
done
: >"$TMP/stats.short"
: >"$TMP/stats.bulk"
sysctl -qw kernel.bpf_stats_enabled=1 || die "cannot enable kernel.bpf_stats_enabled"
for mode in short bulk; do
	for cfg in floor slatrace; do
		run_once "$mode" "$cfg" 1 >/dev/null || die "the $mode run ($cfg) with bpf_stats failed"
	done
done
sysctl -qw kernel.bpf_stats_enabled="$OLD_STATS"

m() { tr ' ' '\n' <<<"$1" | grep . | median; }
echo
echo "short connections ($RATE/s asked; medians over $ROUNDS rounds):"
for cfg in untraced floor slatrace; do
	printf '  %-9s %6.0f conn/s achieved, CPU %.3f cores' "$cfg" \
		"$(m "${VAL[short.$cfg]}")" "$(m "${CPU[short.$cfg]}")"
	if [ "$cfg" != untraced ]; then
		printf ': %+.1f%% of a core (paired %+.1f%%), %+.2f us per connection' \
			"$(awk -v a="$(m "${CPU[short.$cfg]}")" -v b="$(m "${CPU[short.untraced]}")" 'BEGIN { print (a - b) * 100 }')" \
			"$(m "${PAIR_CPU[short.$cfg]}")" \
			"$(awk -v p="$(m "${PAIR_CPU[short.$cfg]}")" -v r="$(m "${VAL[short.$cfg]}")" 'BEGIN { print p / 100 / r * 1e6 }')"
		printf ', rate %+.1f%% (paired)' "$(awk -v l="$(m "${PAIR_LOSS[short.$cfg]}")" 'BEGIN { print -l }')"
	fi
	echo
done
echo "bulk transfer (receiver goodput; medians over $ROUNDS rounds):"
for cfg in untraced floor slatrace; do
	printf '  %-9s %6.2f Gbit/s, CPU %.3f cores' "$cfg" \
		"$(awk -v v="$(m "${VAL[bulk.$cfg]}")" 'BEGIN { print v / 1e9 }')" "$(m "${CPU[bulk.$cfg]}")"
	[ "$cfg" != untraced ] &&
		printf ': loss %.2f%% (paired %.2f%%)' \
			"$(awk -v a="$(m "${VAL[bulk.$cfg]}")" -v b="$(m "${VAL[bulk.untraced]}")" 'BEGIN { print (1 - a / b) * 100 }')" \
			"$(m "${PAIR_LOSS[bulk.$cfg]}")"
	echo
done
# CPU per byte moved: steadier than throughput when the machine is shared
for cfg in untraced floor slatrace; do
	CPB[$cfg]=$(awk -v c="$(m "${CPU[bulk.$cfg]}")" -v v="$(m "${VAL[bulk.$cfg]}")" 'BEGIN { print c / (v / 8 / 1e9) * 1000 }')
done
printf '  CPU per GB moved: untraced %.0f ms, floor %.0f ms (%+.1f%%), slatrace %.0f ms (%+.1f%%)\n' \
	"${CPB[untraced]}" "${CPB[floor]}" "$(awk -v a="${CPB[floor]}" -v b="${CPB[untraced]}" 'BEGIN { print (a / b - 1) * 100 }')" \
	"${CPB[slatrace]}" "$(awk -v a="${CPB[slatrace]}" -v b="${CPB[untraced]}" 'BEGIN { print (a / b - 1) * 100 }')"
GOAL_LINE=$(awk -v l="$(m "${PAIR_LOSS[bulk.slatrace]}")" -v g="$GOAL_LOSS_PCT" 'BEGIN { printf "%d paired median %.2f%%", l < g, l }')
echo "per-event BPF cost (kernel.bpf_stats_enabled, one extra run of each; the floor's"
echo "empty programs show what the statistics and the tracepoint cost by themselves):"
echo " short connections:"
sort -k2,2 -k1,1 "$TMP/stats.short"
echo " bulk transfer:"
sort -k2,2 -k1,1 "$TMP/stats.bulk"
echo
goal_verdict "slatrace loses under ${GOAL_LOSS_PCT}% of bulk throughput" "$(rounds_why "slatrace bulk")" \
	"${GOAL_LINE%% *}" "${GOAL_LINE#* }"
echo
bench_summary tcp || exit 1
exit 0
