#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What tracing syscalls costs the traced program: a getppid() loop (the
# cheapest syscall, so the tracer's work dominates) timed untraced, traced by
# slatrace, with slatrace tracing some other pid, under bpftrace and
# libbpf-tools' syscount -L doing the same latency job for every process, and
# under empty programs on slatrace's own hooks (the floor nothing goes below).
# slatrace runs on both its paths: the preferred one (start times in task
# storage) and the fallback (a hash map by thread id, what kernels without
# task storage for tracing programs take: 5.8-5.10), forced with
# SLATRACE_FORCE_PATH=fallback; their difference is also given paired, the
# median over repetitions of each one's fallback minus preferred, and from
# kernel.bpf_stats_enabled=1 in STATS_REPS more rounds of the two alone, the
# BPF programs' own ns per getppid call (medians, and paired).
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
# Environment: BUILD (default build), REPS (7), STATS_REPS (REPS), CALLS (1000000), SLATRACE
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
STATS_REPS=${STATS_REPS:-$REPS}
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
trap 'cleanup; declare -F restore_stats >/dev/null && restore_stats' EXIT
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

CONFIGS=(untraced slatrace slatrace_fb slatrace_other bpftrace syscount floor)
declare -A LABEL=(
	[untraced]="untraced"
	[slatrace]="slatrace -p <loop> (traced)"
	[slatrace_fb]="slatrace -p <loop>, fallback path"
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
	slatrace_fb)
		CMD=(env SLATRACE_FORCE_PATH=fallback "$SLATRACE" trace --syscalls -p "$LOOP_PID"
			--json "$JSON_OUT")
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
# syscalls at all: it counts none of anything), on the path it was to take
slatrace_check() {
	local cfg=$1 rc=$2 calls=$3 want=0 got path=preferred

	((rc == 0)) || { echo "slatrace exited with status $rc"; return; }
	[ "$cfg" = slatrace ] || [ "$cfg" = slatrace_fb ] && want=$calls
	[ "$cfg" = slatrace_fb ] && path=fallback
	got=$(jq -r '.paths.syscalls // "preferred"' "$JSON_OUT" 2>/dev/null)
	[ "$got" = "$path" ] || { echo "slatrace took the '$got' path, not the $path one"; return; }
	got=$(jq -r --arg c "$cfg" '[(.lost.total // "none"),
		([.series[] | select(.family == "syscall") | select($c == "slatrace_other" or .name == "getppid") | .count] | add // 0)] | @tsv' \
		"$JSON_OUT" 2>/dev/null) || { echo "no JSON report from slatrace"; return; }
	read -r lost got <<<"$got"
	[ "$lost" = 0 ] || echo "slatrace lost $lost records"
	[ "$got" = "$want" ] ||
		echo "slatrace counted $got $([ "$want" != 0 ] && echo getppid calls || echo syscalls), the loop made $want"
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
# paired: each repetition's fallback minus its preferred (one sample of
# each per repetition, in the order they ran)
if [ -n "${SAMPLES[slatrace]:-}" ] && [ -n "${SAMPLES[slatrace_fb]:-}" ]; then
	read -ra _a <<<"${SAMPLES[slatrace]}"
	read -ra _b <<<"${SAMPLES[slatrace_fb]}"
	diffs=
	for ((i = 0; i < ${#_a[@]} && i < ${#_b[@]}; i++)); do
		diffs+="$(awk -v a="${_a[i]}" -v b="${_b[i]}" 'BEGIN { print b - a }') "
	done
	awk -v d="$(stat_median "$diffs")" -v lo="$(stat_min "$diffs")" -v hi="$(stat_max "$diffs")" \
		-v n="$(stat_count "$diffs")" 'BEGIN {
		printf "  fallback path minus preferred, paired by repetition: median %+.1f ns/call (%+.1f..%+.1f, N=%d)\n", d, lo, hi, n }'
fi
echo

# --- the BPF programs' own cost, both paths: kernel.bpf_stats_enabled=1 -------

STATS_OLD=
restore_stats() {
	[ -n "$STATS_OLD" ] || return 0
	sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD" >/dev/null ||
		echo "warning: cannot restore kernel.bpf_stats_enabled to $STATS_OLD" >&2
	STATS_OLD=
}

# prog_stats IDS: "id name run_time_ns run_cnt" of the handle_* programs
# among IDS (a JSON array of program ids)
prog_stats() {
	timeout 10 bpftool prog show --json 2>/dev/null | jq -r --argjson ids "$1" '
		.[] | select(.id as $i | $ids | index($i)) | select(.name | startswith("handle_")) |
		"\(.id) \(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"'
}

# stats_measure CONFIG ROUND: one run of the loop under CONFIG with its
# programs' statistics before and after; appends BPF ns per call to
# BPF_NS[CONFIG], ns/call to STATS_NS[CONFIG], and "name ns/run runs/call"
# per program to PROG_LINES[CONFIG]
declare -A BPF_NS STATS_NS PROG_LINES
stats_measure() {
	local cfg=$1 round=$2 pid ids before after ns rc per

	JSON_OUT=$TMP/$cfg.stats$round.json
	start_tracer "$cfg" "$TMP/$cfg.stats.log" || { round_record "$cfg" "stats $round" "it did not attach"; return 1; }
	pid=$(tracer_child)
	# our slatrace's programs, not another one's: the prog ids it holds fds of
	ids=$(grep -h '^prog_id:' /proc/"$pid"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u | jq -sc .)
	before=$(prog_stats "${ids:-[]}")
	run_loop ns || { stop_tracer; die "the getppid loop did not answer while '$cfg' was tracing"; }
	after=$(prog_stats "${ids:-[]}")
	stop_tracer
	rc=$?
	round_record "$cfg" "stats $round" "$(slatrace_check "$cfg" "$rc" "$LOOP_CALLS")"
	per=$(awk -v calls="$LOOP_CALLS" 'NR == FNR { t[$1] = $3; c[$1] = $4; next }
		{ dt = $3 - t[$1]; dc = $4 - c[$1]; tot += dt
		  printf "%s %.1f %.3f\n", $2, dc ? dt / dc : 0, calls ? dc / calls : 0 }
		END { printf "all %.1f\n", calls ? tot / calls : 0 }' <(echo "$before") <(echo "$after"))
	BPF_NS[$cfg]+="$(awk '$1 == "all" { print $2 }' <<<"$per") "
	STATS_NS[$cfg]+="$ns "
	PROG_LINES[$cfg]+="$(grep -v '^all ' <<<"$per")"$'\n'
}

STATS_CFGS=(slatrace slatrace_fb)
if [ -z "${SKIP[slatrace]:-}${SKIP[slatrace_fb]:-}" ] && ((STATS_REPS > 0)) &&
	command -v bpftool >/dev/null 2>&1 && STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null) &&
	sysctl -qw kernel.bpf_stats_enabled=1 >/dev/null; then
	for ((r = 0; r < STATS_REPS; r++)); do
		for ((i = 0; i < 2; i++)); do
			stats_measure "${STATS_CFGS[(i + r) % 2]}" $((r + 1))
		done
	done
	restore_stats
	echo "BPF per getppid call, kernel.bpf_stats_enabled=1, $STATS_REPS more rounds of each (median, min..max):"
	for cfg in "${STATS_CFGS[@]}"; do
		awk -v what="${LABEL[$cfg]}" -v med="$(stat_median "${BPF_NS[$cfg]:-}")" \
			-v lo="$(stat_min "${BPF_NS[$cfg]:-}")" -v hi="$(stat_max "${BPF_NS[$cfg]:-}")" \
			-v ns="$(stat_median "${STATS_NS[$cfg]:-}")" 'BEGIN {
			printf "  %-38s %7.1f ns BPF/call (%.1f..%.1f); the loop %.1f ns/call with the stats on\n", what, med, lo, hi, ns }'
		sort <<<"${PROG_LINES[$cfg]}" | awk 'NF { n[$1]++; s[$1] = s[$1] " " $2; r[$1] = $3 }
			END { for (k in n) printf "    %-22s ns/run:%s (runs/call %s)\n", k, s[k], r[k] }'
	done
	read -ra _a <<<"${BPF_NS[slatrace]:-}"
	read -ra _b <<<"${BPF_NS[slatrace_fb]:-}"
	diffs=
	for ((i = 0; i < ${#_a[@]} && i < ${#_b[@]}; i++)); do
		diffs+="$(awk -v a="${_a[i]}" -v b="${_b[i]}" 'BEGIN { print b - a }') "
	done
	[ -n "$diffs" ] && awk -v d="$(stat_median "$diffs")" -v lo="$(stat_min "$diffs")" \
		-v hi="$(stat_max "$diffs")" -v n="$(stat_count "$diffs")" 'BEGIN {
		printf "  fallback minus preferred, paired by round: median %+.1f ns BPF/call (%+.1f..%+.1f, N=%d)\n", d, lo, hi, n }'
else
	restore_stats
	echo "BPF per getppid call: n/a (slatrace skipped, STATS_REPS=0, no bpftool, or no bpf_stats sysctl)"
fi
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
for cfg in slatrace slatrace_fb slatrace_other syscount bpftrace floor; do
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
