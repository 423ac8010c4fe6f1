# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Shared by the benchmark scripts (sourced; not itself a benchmark, hence not
# *.sh, which `make bench` runs): errors, the clock, and starting a tracer
# and knowing when it has attached, stopping it and knowing how long that
# took. The caller sets TMP, and for tracer_start CMD (the command), READY
# (the regex of the line that means attached), optionally MARK (an earlier
# line worth timing), READY_TIMEOUT_S, TRACER_LIMIT_S and KILL_AFTER_S.
# And the verdicts: every traced round's check of what the tracer recorded
# against the workload's own count, each goal's line, and the summary whose
# status the script exits with.

die() {
	echo "error: $*" >&2
	exit 1
}

now_us() {
	local t=$EPOCHREALTIME
	echo $((10#${t//[.,]/}))
}

TRACER_PID=	# the timeout(1) wrapping the running tracer
DRAIN_PID=	# the cat draining its output after it attached

# tracer_start LOG: start CMD under timeout(1) (SIGINT at TRACER_LIMIT_S;
# SIGKILL KILL_AFTER_S after any signal it sends or forwards), its output
# through a fifo into LOG, and return once a line matches READY. Sets
# TRACER_PID and DRAIN_PID; READY_LINE, the line; T_READY_US (T_MARK_US),
# microseconds from exec to the READY (MARK) line; and TRACER_DEADLINE_US,
# when READY_TIMEOUT_S is up. Returns 1, the tracer stopped, when it exits
# or is still silent at the deadline.
tracer_start() {
	local log=$1 fifo="$TMP/out" t0 line fd

	T_READY_US= T_MARK_US= READY_LINE=
	rm -f "$fifo"
	mkfifo "$fifo" || return 1
	t0=$(now_us)
	TRACER_DEADLINE_US=$((t0 + READY_TIMEOUT_S * 1000000))
	timeout -s INT -k "$KILL_AFTER_S" "$TRACER_LIMIT_S" "${CMD[@]}" >"$fifo" 2>&1 &
	TRACER_PID=$!
	exec {fd}<"$fifo"
	while :; do
		if read -r -t 1 line <&"$fd"; then
			echo "$line" >>"$log"
			if [ -n "${MARK:-}" ] && [[ $line =~ $MARK ]]; then
				T_MARK_US=$(($(now_us) - t0))
			fi
			if [[ $line =~ $READY ]]; then
				T_READY_US=$(($(now_us) - t0))
				break
			fi
		elif (($? <= 128)) || (($(now_us) > TRACER_DEADLINE_US)); then
			# end of output (the tracer exited) or never attached
			exec {fd}<&-
			tracer_stop
			return 1
		fi
	done
	READY_LINE=$line
	# keep draining: a tracer blocked on a full pipe would never exit
	cat <&"$fd" >>"$log" &
	DRAIN_PID=$!
	exec {fd}<&-
	return 0
}

# tracer_stop: SIGINT the running tracer and wait for it. timeout(1)
# forwards the signal and SIGKILLs the tracer KILL_AFTER_S later: the wait
# is bounded without polling, so T_STOP_US, microseconds from SIGINT to its
# exit, is exact. Returns its exit status (137 when it had to be killed).
tracer_stop() {
	local rc t0

	T_STOP_US=
	[ -n "$TRACER_PID" ] || return 0
	t0=$(now_us)
	kill -INT "$TRACER_PID" 2>/dev/null
	wait "$TRACER_PID" 2>/dev/null
	rc=$?
	T_STOP_US=$(($(now_us) - t0))
	TRACER_PID=
	if [ -n "$DRAIN_PID" ]; then
		wait "$DRAIN_PID" 2>/dev/null
		DRAIN_PID=
	fi
	return $rc
}

# the tracer's own pid (under timeout/stdbuf, which exec or fork it)
tracer_child() {
	local c

	c=$(cat "/proc/$TRACER_PID/task/$TRACER_PID/children" 2>/dev/null)
	echo "${c%% *}"
}

# statistics of a space-separated list of numbers
stat_median() { tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk '{ v[n++] = $1 } END { if (n) print (n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) }'; }
stat_min() { tr ' ' '\n' <<<"$1" | awk 'NF { if (n++ == 0 || $1 < m) m = $1 } END { if (n) print m }'; }
stat_max() { tr ' ' '\n' <<<"$1" | awk 'NF { if (n++ == 0 || $1 > m) m = $1 } END { if (n) print m }'; }

# --- verdicts ------------------------------------------------------------------
#
# A goal line says PASS only when the goal is met and every traced round it
# stands on recorded what the workload itself counted (a tracer that attaches
# and records nothing costs nothing and would pass every overhead goal);
# MISSED when measured and not met; FAIL, with the reason, when the evidence
# is missing. The rounds are kept in a file, not variables, so that checks
# made in $(...) subshells count too.

GOALS_MET=0 GOALS_MISSED=0 GOALS_UNMEASURED=0

# round_record WHAT ROUND WHY: the check of one traced round of WHAT (a
# configuration); WHY is empty when the tracer exited 0 and recorded what
# the workload counted, else what was wrong
round_record() {
	printf '%s\t%s\t%s\n' "$1" "$2" "${3:-ok}" >>"$TMP/rounds"
	[ -z "$3" ] || echo "warning: $1, round $2: the tracer did not measure: $3" >&2
}

# rounds_why WHAT: nothing when WHAT had traced rounds and every one
# measured; else why the goals standing on them have no evidence
rounds_why() {
	[ -e "$TMP/rounds" ] || { echo "no traced round of $1 was checked"; return; }
	awk -F '\t' -v c="$1" '$1 == c { n++; if ($3 != "ok" && !bad++) why = "round " $2 ": " $3 }
		END { if (!n) print "no traced round of " c " was checked"
		      else if (bad) printf "%d of %d traced rounds of %s did not measure (first: %s)\n", bad, n, c, why }' \
		"$TMP/rounds"
}

# goal_verdict NAME WHY MET DETAIL: print the goal's line; WHY nonempty (no
# evidence) makes it FAIL whatever the figure, else MET (1 or 0) decides
goal_verdict() {
	local name=$1 why=$2 met=$3 detail=$4

	if [ -n "$why" ]; then
		echo "FAIL $name: not measured: $why${detail:+ (figure, not evidence: $detail)}"
		GOALS_UNMEASURED=$((GOALS_UNMEASURED + 1))
		GOALS_MISSED=$((GOALS_MISSED + 1))
	elif [ "$met" = 1 ]; then
		echo "PASS $name: $detail"
		GOALS_MET=$((GOALS_MET + 1))
	else
		echo "MISSED $name: $detail"
		GOALS_MISSED=$((GOALS_MISSED + 1))
	fi
}

# bench_summary NAME: the last line, "bench NAME: N goals met, M MISSED";
# returns 1 when a goal was missed or unmeasured, or any traced round of
# any configuration did not measure, whether or not a goal stands on it
bench_summary() {
	local bad=0 all=0

	if [ -e "$TMP/rounds" ]; then
		all=$(awk 'END { print NR }' "$TMP/rounds")
		bad=$(awk -F '\t' '$3 != "ok"' "$TMP/rounds" | awk 'END { print NR }')
	fi
	echo "bench $1: $GOALS_MET goals met, $GOALS_MISSED MISSED ($GOALS_UNMEASURED of them not measured);" \
		"$bad of $all traced rounds did not measure"
	((GOALS_MISSED == 0 && bad == 0))
}
