#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What tracing syscalls costs the traced program: a getppid() loop (the
# cheapest syscall, so the tracer's work dominates) timed untraced, traced by
# slatrace, with slatrace tracing some other pid, under bpftrace and
# libbpf-tools' syscount -L doing the same latency job for every process, and
# under empty programs on slatrace's own hooks (the floor nothing goes below).
#
# Method: one long-lived loop process (bench/getppid_loop), told to run only
# once the tracer has said it is attached. Each repetition runs every
# configuration once, in an order rotated every repetition; the figure kept
# per configuration is the minimum ns/call over the repetitions, because this
# machine is noisy and noise only ever adds. Also reports each tracer's time
# from exec to attached and from SIGINT to exit (medians), and its memory
# while tracing.
#
# Every slatrace run is checked against the loop's own count: traced, it
# must exit 0 having counted exactly the getppid calls the loop says it
# made (no slack: the loop makes none outside a run, and slatrace has
# attached before the run starts and stops after it ends); untargeted, it
# must exit 0 having counted none. A goal line says PASS only when every
# run it stands on passed that check (lib.bash), MISSED when measured and
# not met, FAIL when not measured.
#
# Needs root. Runs in about a minute; every tracer is stopped with SIGINT
# and waited for, and every wait is bounded.
# Environment: BUILD (default build), REPS (7), CALLS (1000000), SLATRACE
# (the slatrace to measure, default BUILD/slatrace), QUICK=1 (a check of the
# verdicts in seconds: REPS 2 and CALLS 200000 unless given).
# Exit status: 0 when every goal was met and every slatrace run measured;
# 1 when a goal was missed or not measured, a run did not measure, or the
# benchmark could not run. The last line says which.

set -u
export LC_ALL=C

BUILD=${BUILD:-build}
if [ "${QUICK:-0}" = 1 ]; then
	REPS=${REPS:-2}
	CALLS=${CALLS:-200000}
fi
REPS=${REPS:-7}
CALLS=${CALLS:-1000000}
SLATRACE=${SLATRACE:-$BUILD/slatrace}
READY_TIMEOUT_S=60	# a tracer that has not attached by then is broken
KILL_AFTER_S=20		# a tracer still running that long after SIGINT is killed
TRACER_LIMIT_S=240	# hard bound on any tracer's life (timeout(1))
RUN_TIMEOUT_S=60	# one loop run (1M getppid under bpftrace takes ~1s)

cd "$(dirname "$0")/.." || exit 1
. bench/lib.bash

[ "$(id -u)" = 0 ] || die "cannot run the syscalls benchmark: it needs root"
for f in "$SLATRACE" "$BUILD/bench/getppid_loop" "$BUILD/bench/floor" \
	"$BUILD/bench/floor.bpf.o"; do
	[ -e "$f" ] || die "cannot find '$f': run 'make bench'"
done
command -v jq >/dev/null 2>&1 || die "cannot find 'jq': run 'make deps'"

SYSCOUNT=
if command -v dpkg >/dev/null 2>&1; then
	SYSCOUNT=$(dpkg -L libbpf-tools 2>/dev/null | grep -E '/s?bin/syscount$' | head -n1)
fi
[ -n "$SYSCOUNT" ] || SYSCOUNT=$(command -v syscount 2>/dev/null || true)
BPFTRACE=$(command -v bpftrace 2>/dev/null || true)

# Our own bpftrace equivalent of the peer syslat-all.bt: per-syscall latency
# histograms for every process. BEGIN runs only after every probe is
# attached, so its line is the honest "attached" signal; bpftrace prints
# "Attaching N probes..." before it loads and attaches anything.
BT_PROG='
BEGIN { printf("bench: bpftrace attached\n"); }
tracepoint:raw_syscalls:sys_enter { @entered[tid] = nsecs; }
tracepoint:raw_syscalls:sys_exit /@entered[tid]/ {
	@latency_ns[args->id] = hist(nsecs - @entered[tid]);
	delete(@entered[tid]);
}
END { clear(@entered); }'

TMP=$(mktemp -d /tmp/slatrace-bench.XXXXXX) || die "cannot create a temporary directory"
LOOP_PID=
SLEEP_PID=
TRACER_CFG=	# the running tracer's configuration

# stop the running tracer, recording how long it took to exit
stop_tracer() {
	local rc

	[ -n "$TRACER_PID" ] || return 0
	tracer_stop
	rc=$?
	if [ -n "$TRACER_CFG" ]; then
		STOP_US[$TRACER_CFG]+="$T_STOP_US "
		((rc == 128 + 9)) &&
			echo "warning: '$TRACER_CFG' ignored SIGINT for ${KILL_AFTER_S}s and was killed" >&2
	fi
	TRACER_CFG=
	return $rc
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	stop_tracer
	if [ -n "$LOOP_PID" ]; then
		[ -n "${LOOP[1]:-}" ] && echo quit 1>&"${LOOP[1]}"
		kill "$LOOP_PID" 2>/dev/null
		wait "$LOOP_PID" 2>/dev/null
	fi
	if [ -n "$SLEEP_PID" ]; then
		kill "$SLEEP_PID" 2>/dev/null
		wait "$SLEEP_PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- the workload and the decoy target -------------------------------------

coproc LOOP { exec "$BUILD/bench/getppid_loop"; }
read -r -t 10 line <&"${LOOP[0]}" || die "cannot start '$BUILD/bench/getppid_loop'"
[ "$line" = "pid $LOOP_PID" ] || die "unexpected first line from getppid_loop: '$line'"

sleep 900 &
SLEEP_PID=$!

# run_loop VAR: one timed run of the loop; ns/call into VAR, and into
# LOOP_CALLS the getppid calls it made (its warm-up included)
run_loop() {
	local r c

	echo "run $CALLS" 1>&"${LOOP[1]}" || return 1
	read -r -t "$RUN_TIMEOUT_S" r c <&"${LOOP[0]}" || return 1
	[[ $r =~ ^[0-9]+(\.[0-9]+)?$ ]] && [[ $c =~ ^[0-9]+$ ]] || return 1
	printf -v "$1" '%s' "$r"
	LOOP_CALLS=$c
}

# --- configurations ----------------------------------------------------------

CONFIGS=(untraced slatrace slatrace_other bpftrace syscount floor)
declare -A LABEL=(
	[untraced]="untraced"
	[slatrace]="slatrace -p <loop> (traced)"
	[slatrace_other]="slatrace -p <sleeper> (untargeted)"
	[bpftrace]="bpftrace latency, all pids"
	[syscount]="syscount -L (libbpf-tools), all pids"
	[floor]="floor: empty tp_btf enter+exit"
)
declare -A SAMPLES ATTACH_US MARK_US STOP_US RSS_KB HWM_KB SKIP

[ -n "$BPFTRACE" ] || SKIP[bpftrace]="bpftrace is not installed"
[ -n "$SYSCOUNT" ] || SKIP[syscount]="syscount (Debian package libbpf-tools) is not installed"

# tracer_setup CONFIG: the command (CMD), the line that means attached
# (READY), and an earlier line worth timing too (MARK), for CONFIG
tracer_setup() {
	MARK=
	case $1 in
	slatrace)
		CMD=("$SLATRACE" trace --syscalls -p "$LOOP_PID" --json "$JSON_OUT")
		READY='^slatrace: tracing' ;;
	slatrace_other)
		CMD=("$SLATRACE" trace --syscalls -p "$SLEEP_PID" --json "$JSON_OUT")
		READY='^slatrace: tracing' ;;
	bpftrace)
		CMD=("$BPFTRACE" -e "$BT_PROG")
		READY='^bench: bpftrace attached'
		MARK='^Attaching [0-9]+ probes' ;;
	syscount)
		# its banner goes to a block-buffered stdout when piped
		CMD=(stdbuf -oL "$SYSCOUNT" -L)
		READY='^Tracing syscalls' ;;
	floor)
		CMD=("$BUILD/bench/floor" "$BUILD/bench/floor.bpf.o")
		READY='^floor: attached' ;;
	esac
}

# start_tracer CONFIG LOG: start it, return once it says it is attached
start_tracer() {
	local cfg=$1

	tracer_setup "$cfg"
	tracer_start "$2" || return 1
	TRACER_CFG=$cfg
	ATTACH_US[$cfg]+="$T_READY_US "
	[ -n "$T_MARK_US" ] && MARK_US[$cfg]+="$T_MARK_US "
	return 0
}

record_memory() {
	local cfg=$1 pid k v _

	pid=$(tracer_child)
	[ -n "$pid" ] && [ -r "/proc/$pid/status" ] || return 0
	while read -r k v _; do
		case $k in
		VmRSS:) RSS_KB[$cfg]+="$v " ;;
		VmHWM:) HWM_KB[$cfg]+="$v " ;;
		esac
	done <"/proc/$pid/status"
}

# slatrace_check CFG RC CALLS: why slatrace's run of CFG, which exited
# with RC while the loop made CALLS getppid calls, did not measure them
# (nothing when it did): its JSON report must say it lost nothing and
# counted exactly CALLS (traced) or 0 (the untargeted decoy, which makes no
# syscalls at all: it counts none of anything)
slatrace_check() {
	local cfg=$1 rc=$2 calls=$3 want=0 got

	((rc == 0)) || { echo "slatrace exited with status $rc"; return; }
	[ "$cfg" = slatrace ] && want=$calls
	got=$(jq -r --arg c "$cfg" '[(.lost.total // "none"),
		([.series[] | select(.family == "syscall") | select($c == "slatrace_other" or .name == "getppid") | .count] | add // 0)] | @tsv' \
		"$JSON_OUT" 2>/dev/null) || { echo "no JSON report from slatrace"; return; }
	read -r lost got <<<"$got"
	[ "$lost" = 0 ] || echo "slatrace lost $lost records"
	[ "$got" = "$want" ] ||
		echo "slatrace counted $got $([ "$cfg" = slatrace ] && echo getppid calls || echo syscalls), the loop made $want"
}

# one measured run of CONFIG
measure() {
	local cfg=$1 log="$TMP/$1.log" ns rc

	if [ "$cfg" = untraced ]; then
		run_loop ns || die "the getppid loop did not answer"
		SAMPLES[$cfg]+="$ns "
		return 0
	fi
	JSON_OUT=$TMP/$cfg.$r.json
	if ! start_tracer "$cfg" "$log"; then
		SKIP[$cfg]="it did not attach within ${READY_TIMEOUT_S}s; its output: $(tail -n 3 "$log" 2>/dev/null | tr '\n' ' ')"
		[[ $cfg == slatrace* ]] && round_record "$cfg" $((r + 1)) "${SKIP[$cfg]}"
		return 0
	fi
	if ! run_loop ns; then
		stop_tracer
		die "the getppid loop did not answer while '$cfg' was tracing"
	fi
	record_memory "$cfg"
	stop_tracer
	rc=$?
	if ((rc != 0 && rc != 128 + 9)); then
		echo "warning: '$cfg' exited with status $rc after SIGINT" >&2
	fi
	[[ $cfg == slatrace* ]] && round_record "$cfg" $((r + 1)) "$(slatrace_check "$cfg" "$rc" "$LOOP_CALLS")"
	SAMPLES[$cfg]+="$ns "
}

# --- statistics ----------------------------------------------------------------

# min / median / count of whitespace-separated numbers
stat_count() { wc -w <<<"$1" | tr -d ' '; }

# --- run -------------------------------------------------------------------------

echo "slatrace bench: getppid() loop, $CALLS calls per run, $REPS repetitions, configurations rotated"
echo "kernel $(uname -r), $(nproc) CPUs, loop pid $LOOP_PID, decoy pid $SLEEP_PID"
start_s=$SECONDS
n=${#CONFIGS[@]}
for ((r = 0; r < REPS; r++)); do
	order=
	for ((i = 0; i < n; i++)); do
		cfg=${CONFIGS[(i + r) % n]}
		order+="$cfg "
		[ -n "${SKIP[$cfg]:-}" ] && continue
		measure "$cfg"
	done
	printf '  repetition %d/%d done (%ds): %s\n' $((r + 1)) "$REPS" $((SECONDS - start_s)) "$order"
done
echo

base=$(stat_min "${SAMPLES[untraced]}")
floor=
[ -n "${SAMPLES[floor]:-}" ] && floor=$(awk -v a="$(stat_min "${SAMPLES[floor]}")" -v b="$base" 'BEGIN { print a - b }')

printf '%-38s %12s %10s %12s %10s\n' "configuration" "min ns/call" "median" "added ns" "x floor"
for cfg in "${CONFIGS[@]}"; do
	if [ -z "${SAMPLES[$cfg]:-}" ]; then
		printf '%-38s %12s %10s %12s %10s\n' "${LABEL[$cfg]}" "n/a" "n/a" "n/a" "n/a"
		continue
	fi
	awk -v label="${LABEL[$cfg]}" -v min="$(stat_min "${SAMPLES[$cfg]}")" \
		-v med="$(stat_median "${SAMPLES[$cfg]}")" -v base="$base" -v floor="$floor" \
		-v self="$cfg" 'BEGIN {
		add = min - base
		if (self == "untraced")
			printf "%-38s %12.1f %10.1f %12s %10s\n", label, min, med, "-", "-"
		else if (floor > 0)
			printf "%-38s %12.1f %10.1f %+12.1f %10.2f\n", label, min, med, add, add / floor
		else
			printf "%-38s %12.1f %10.1f %+12.1f %10s\n", label, min, med, add, "n/a"
	}'
done
for cfg in "${CONFIGS[@]}"; do
	[ -n "${SKIP[$cfg]:-}" ] && echo "  ${LABEL[$cfg]}: skipped: ${SKIP[$cfg]}"
done
echo "  (min and median over $REPS runs; added = min - untraced min; x floor = added / floor's added)"
echo

# goals: each stands on its configuration's runs having measured; the
# untargeted one on the traced runs too, as an untargeted slatrace that
# counts nothing is cheap whether or not it could count anything
goal() {
	local name=$1 cfg=$2 op=$3 limit=$4 why=$5 v

	[ -n "${SKIP[$cfg]:-}" ] && why="skipped: ${SKIP[$cfg]}"
	if [ -z "$floor" ] || [ -z "${SAMPLES[$cfg]:-}" ]; then
		goal_verdict "$name" "${why:-no timing of '$cfg' or of the floor}" 0 ""
		return
	fi
	v=$(awk -v min="$(stat_min "${SAMPLES[$cfg]}")" -v base="$base" \
		-v floor="$floor" -v op="$op" -v limit="$limit" 'BEGIN {
		add = min - base
		ok = (op == "<=") ? add <= limit * floor : add < limit * floor
		printf "%d added %.1f ns, goal %s %.1fx floor (%.1f ns); measured %.2fx\n",
			ok, add, op, limit, limit * floor, (floor > 0 ? add / floor : 0)
	}')
	goal_verdict "$name" "$why" "${v%% *}" "${v#* }"
}
goal "traced slatrace" slatrace "<=" 2 "$(rounds_why slatrace)"
why=$(rounds_why slatrace_other)
why_traced=$(rounds_why slatrace)
goal "untargeted slatrace" slatrace_other "<" 1.3 "$why${why:+${why_traced:+; }}$why_traced"
if [ -n "$floor" ] && awk -v f="$floor" 'BEGIN { exit !(f < 10) }'; then
	echo "note: the floor adds under 10 ns, within this machine's noise: ratios to it are rough"
fi
echo

# start-to-attached and memory
echo "start-to-attached, exec to the line that says so (median, min..max over N starts):"
attach_row() {
	local what=$1 list=$2

	if [ -z "$list" ]; then
		printf '  %-52s %s\n' "$what" "n/a"
		return
	fi
	awk -v what="$what" -v med="$(stat_median "$list")" -v lo="$(stat_min "$list")" \
		-v hi="$(stat_max "$list")" -v n="$(stat_count "$list")" 'BEGIN {
		printf "  %-52s %8.1f ms  (%.1f..%.1f, N=%d)\n", what, med / 1000, lo / 1000, hi / 1000, n
	}'
}
attach_row "slatrace trace --syscalls (\"slatrace: tracing\")" \
	"${ATTACH_US[slatrace]:-}${ATTACH_US[slatrace_other]:-}"
attach_row "syscount -L (\"Tracing syscalls\")" "${ATTACH_US[syscount]:-}"
attach_row "bpftrace (\"Attaching N probes\", before it attaches)" "${MARK_US[bpftrace]:-}"
attach_row "bpftrace (BEGIN printf, probes attached)" "${ATTACH_US[bpftrace]:-}"
attach_row "floor loader (\"floor: attached\")" "${ATTACH_US[floor]:-}"
echo "  (includes the fork and exec of timeout(1), and stdbuf(1) for syscount: ~1-2 ms)"
echo
echo "stop, SIGINT to exit (report printed, probes detached):"
attach_row "slatrace" "${STOP_US[slatrace]:-}${STOP_US[slatrace_other]:-}"
attach_row "syscount -L" "${STOP_US[syscount]:-}"
attach_row "bpftrace" "${STOP_US[bpftrace]:-}"
attach_row "floor loader" "${STOP_US[floor]:-}"
echo

echo "memory while tracing (VmRSS median / VmHWM max, over N runs):"
for cfg in slatrace slatrace_other syscount bpftrace floor; do
	[ -n "${RSS_KB[$cfg]:-}" ] || continue
	awk -v what="${LABEL[$cfg]}" -v rss="$(stat_median "${RSS_KB[$cfg]}")" \
		-v hwm="$(stat_max "${HWM_KB[$cfg]}")" -v n="$(stat_count "${RSS_KB[$cfg]}")" 'BEGIN {
		printf "  %-38s VmRSS %7.1f MiB  VmHWM %7.1f MiB  (N=%d)\n", what, rss / 1024, hwm / 1024, n
	}'
done
echo
echo "bench/syscalls.sh: done in $((SECONDS - start_s))s"
bench_summary syscalls || exit 1
exit 0
