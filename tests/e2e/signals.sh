#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# End-to-end tests of the signals family: load the real BPF programs, run
# sigsend (which counts and times the signals it sends and handles) under
# `slatrace trace --signals -- sigsend ...`, and hold slatrace's counts,
# senders and pending times against sigsend's own. Needs root.
. "$(dirname "$0")/lib.sh"

SIGSEND=$ROOT/$BUILD/tests/sigsend

# sig FILE NAME FIELD: FIELD of the signal series NAME ("" when absent)
sig() { jq -r --arg n "$2" ".series[] | select(.family==\"signal\" and .name==\$n) | $3" "$1"; }

# run_sigsend DIR ARGS...: trace `sigsend ARGS` with --signals into DIR/r.json
# (its stdout in DIR/wl); bails unless both exit 0
run_sigsend() {
	local d=$1 rc
	shift
	mkdir -p "$d"
	if ! command -v jq >/dev/null; then
		skip "needs jq to read the JSON report"
		return 1
	fi
	[ -x "$SIGSEND" ] || { fail "$SIGSEND was not built (make test-build)"; return 1; }
	"$SLATRACE" trace --signals --json "$d/r.json" -- "$SIGSEND" "$@" >"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace (or sigsend) exited $rc: $(head -c 500 "$d/err")"; return 1; }
	grep -v '^slatrace\|^host\|^command\|^lost\|^$' "$d/out" | head -1 >"$d/wl"
	grep -q '=' "$d/wl" || { bail "sigsend printed no figures: $(head -c 300 "$d/out")"; return 1; }
}

t_queued_signals_counted_exactly_with_their_sender() {
	need_root || return
	local d=$TMP/rt pid n untimed who wl
	run_sigsend "$d" rt 200 || return
	wl=$(cat "$d/wl")
	pid=$(jq -r .command.pid "$d/r.json")
	n=$(sig "$d/r.json" "SIGRTMIN+1 from pid $pid" .count)
	untimed=$(sig "$d/r.json" "SIGRTMIN+1 from pid $pid" '.untimed // 0')
	who=$(sig "$d/r.json" "SIGRTMIN+1 from pid $pid" .labels.sender)
	[ "$(kv received "$wl")" = 200 ] || { bail "sigsend handled $(kv received "$wl") of 200"; return; }
	[ "$n" = 200 ] || { fail "slatrace counted ${n:-no} SIGRTMIN+1 from pid $pid, sigsend handled 200"; return; }
	[ "$untimed" = 0 ] || { fail "$untimed of 200 untimed: each generation was seen"; return; }
	[ "$who" = sigsend ] || { fail "sender '$who', expected sigsend"; return; }
	pass "200 of 200 from pid $pid (sigsend), all timed"
}

t_blocked_signal_pending_time_matches_the_workload() {
	need_root || return
	local d=$TMP/blk wl lo hi v
	run_sigsend "$d" blocked 300 || return
	wl=$(cat "$d/wl")
	lo=$(kv lo_ns "$wl") hi=$(kv hi_ns "$wl")
	v=$(jq -r '.series[] | select(.family=="signal" and .labels.signal=="SIGUSR2") | .latency_ns.p50' "$d/r.json")
	[ -n "$v" ] || { fail "no SIGUSR2 series"; return; }
	# raised in [t0, t1] and delivered in [unblock, handler]: the pending
	# time lies in [lo, hi]; the histogram's midpoint is within 1/64
	awk -v v="$v" -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(v >= lo * (1 - 1/64) && v <= hi * (1 + 1/64)) }' ||
		{ fail "SIGUSR2 pending $v ns, sigsend bounds it to [$lo, $hi] ns"; return; }
	pass "pending $v ns, sigsend's bounds [$lo, $hi] ns"
}

t_kernel_raised_signals_attributed_to_the_kernel() {
	need_root || return
	local d=$TMP/krn wl alarms chld n c forked
	run_sigsend "$d" alarm 5 3 || return
	wl=$(cat "$d"/out | grep -h 'alarms=\|children=' | tr '\n' ' ')
	alarms=$(kv alarms "$wl") chld=$(kv chld_handled "$wl")
	n=$(sig "$d/r.json" "SIGALRM from the kernel" .count)
	c=$(sig "$d/r.json" "SIGCHLD from the kernel" .count)
	forked=$(jq -r .processes.forked "$d/r.json")
	[ "$n" = "$alarms" ] || { fail "SIGALRM from the kernel: slatrace ${n:-none}, sigsend handled $alarms"; return; }
	[ "$c" = "$chld" ] && [ "$c" = "$forked" ] ||
		{ fail "SIGCHLD from the kernel: slatrace ${c:-none}, sigsend handled $chld, $forked children forked"; return; }
	pass "$n SIGALRM and $c SIGCHLD from the kernel, as sigsend handled them"
}

t_senders_past_the_cap_counted_under_other_and_ignored_ones_counted() {
	need_root || return
	local d=$TMP/many wl total nser other ign
	run_sigsend "$d" senders 300 || return
	wl=$(cat "$d/wl")
	[ "$(kv received "$wl")" = 300 ] || { bail "sigsend handled $(kv received "$wl") of 300"; return; }
	total=$(jq '[.series[] | select(.family=="signal" and .labels.signal=="SIGRTMIN+2") | .count] | add' "$d/r.json")
	nser=$(jq '[.series[] | select(.family=="signal")] | length' "$d/r.json")
	other=$(sig "$d/r.json" "SIGRTMIN+2 from other senders" .count)
	ign=$(sig "$d/r.json" "SIGCHLD from the kernel" '.counts.ignored // 0')
	[ "$total" = 300 ] || { fail "SIGRTMIN+2: slatrace counted $total in all, sigsend handled 300"; return; }
	[ "$nser" -le 257 ] || { fail "$nser signal series: the cap is 256 pairs and one 'other' a signal"; return; }
	[ -n "$other" ] && [ "$other" -gt 0 ] || { fail "300 senders and no 'other senders' series"; return; }
	# SIGCHLD left at its default action is ignored: raised once a child
	[ "$ign" = 300 ] || { fail "SIGCHLD ignored: slatrace $ign, 300 children exited"; return; }
	pass "300 of 300 in $nser series ($other under other senders); 300 SIGCHLD counted ignored"
}

t_signal_raised_before_the_run_counted_untimed_from_its_sender() {
	need_root || return
	command -v jq >/dev/null || { skip "needs jq to read the JSON report"; return; }
	local d=$TMP/pre f=$TMP/pre/r.json pid rc n untimed
	mkdir -p "$d"
	mkfifo "$d/go"
	"$SIGSEND" preblocked <"$d/go" >"$d/wl" &
	pid=$!
	_bg+=("$pid")
	exec 9>"$d/go"
	wait_for "$d/wl" '^ready ' 5 || { exec 9>&-; bail "sigsend did not get ready"; return; }
	start_trace "$d/out" "$d/err" --signals -p "$pid" --json "$f" ||
		{ exec 9>&-; bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	echo go >&9
	exec 9>&-
	reap "$pid" 10 || { bail "sigsend failed: $(cat "$d/wl")"; return; }
	stop_trace
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	n=$(sig "$f" "SIGUSR1 from pid $pid" .count)
	untimed=$(sig "$f" "SIGUSR1 from pid $pid" '.untimed // 0')
	[ "$n" = 1 ] && [ "$untimed" = 1 ] ||
		{ fail "SIGUSR1 from pid $pid: count ${n:-none}, untimed ${untimed:-none}; want 1 and 1"; return; }
	pass "delivered after the run began, raised before: 1 untimed, from pid $pid"
}

run_tests
