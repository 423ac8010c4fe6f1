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
	local d=$TMP/blk wl lo hi v max
	run_sigsend "$d" blocked 300 || return
	wl=$(cat "$d/wl")
	lo=$(kv lo_ns "$wl") hi=$(kv hi_ns "$wl")
	v=$(jq -r '.series[] | select(.family=="signal" and .labels.signal=="SIGUSR2") | .latency_ns.p50' "$d/r.json")
	max=$(jq -r '.series[] | select(.family=="signal" and .labels.signal=="SIGUSR2") | .latency_ns.max' "$d/r.json")
	[ -n "$v" ] || { fail "no SIGUSR2 series"; return; }
	# raised in [t0, t1] and delivered in [unblock, handler]: the pending
	# time lies in [lo, hi]; the histogram's midpoint is within 1/64, the
	# max is exact
	awk -v v="$v" -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(v >= lo * (1 - 1/64) && v <= hi * (1 + 1/64)) }' ||
		{ fail "SIGUSR2 pending $v ns, sigsend bounds it to [$lo, $hi] ns"; return; }
	[ "$max" -ge "$lo" ] && [ "$max" -le "$hi" ] ||
		{ fail "SIGUSR2 max pending $max ns, sigsend bounds it to [$lo, $hi] ns"; return; }
	pass "pending $v ns (max $max), sigsend's bounds [$lo, $hi] ns"
}

# The max is kept per CPU and merged when drained: the longer wait is on
# one CPU, the shorter one after it on another, and the max is the longer.
t_max_pending_time_is_the_longest_wait_of_any_cpu() {
	need_root || return
	local d=$TMP/blk2 wl lo hi shi cpus pid n max
	run_sigsend "$d" blocked2 200 20 || return
	wl=$(cat "$d/wl")
	lo=$(kv lo_ns "$wl") hi=$(kv hi_ns "$wl") shi=$(kv short_hi_ns "$wl") cpus=$(kv cpus "$wl")
	pid=$(jq -r .command.pid "$d/r.json")
	n=$(sig "$d/r.json" "SIGUSR2 from pid $pid" .count)
	max=$(sig "$d/r.json" "SIGUSR2 from pid $pid" .latency_ns.max)
	[ "$(kv received "$wl")" = 2 ] || { bail "sigsend handled $(kv received "$wl") of 2"; return; }
	[ "$n" = 2 ] || { fail "slatrace counted ${n:-no} SIGUSR2 from pid $pid, sigsend handled 2"; return; }
	[ "$shi" -lt "$lo" ] || { bail "the short wait ($shi ns) was not shorter than the long ($lo ns)"; return; }
	[ "$max" -ge "$lo" ] && [ "$max" -le "$hi" ] ||
		{ fail "max pending $max ns, sigsend bounds the longest wait to [$lo, $hi] ns (CPUs $cpus)"; return; }
	[ "${cpus%,*}" != "${cpus#*,}" ] || { pass "max $max ns in [$lo, $hi] ns, but on one CPU ($cpus): the merge went untested"; return; }
	pass "max $max ns in sigsend's bounds [$lo, $hi] ns; the longer wait on CPU ${cpus%,*}, the shorter (<= $shi ns) on CPU ${cpus#*,}"
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
	local d=$TMP/many wl total nser other ign bad
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
	# each max (per CPU, merged; "other" ones included) lies in its
	# series' highest bucket
	bad=$(jq -r '.series[] | select(.family=="signal" and (.buckets | length) > 0)
		| (.buckets | max_by(.[0])) as $b
		| select(.latency_ns.max < $b[0] or .latency_ns.max >= $b[1])
		| "\(.name): max \(.latency_ns.max), top bucket [\($b[0]), \($b[1]))"' "$d/r.json" | head -3)
	[ -z "$bad" ] || { fail "a max outside its top bucket: $bad"; return; }
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

# Before Linux 5.12 the verifier refuses a program holding any atomic but
# an add whose result is unused (bpf/core_fixes.bpf.h), dead code included:
# the object must hold none. An atomic is class BPF_STX (3) in mode
# BPF_ATOMIC (0xc0) with an imm other than BPF_ADD (0); any other STX mode
# but BPF_MEM (0x60) is reserved too.
t_signals_object_holds_no_atomic_older_kernels_refuse() {
	local obj=$ROOT/$BUILD/signals.bpf.o out n
	command -v llvm-objdump >/dev/null || { skip "needs llvm-objdump"; return; }
	[ -f "$obj" ] || { fail "$obj was not built"; return; }
	out=$(llvm-objdump -d "$obj" | awk '
		function hex(s, i, n) {
			for (i = 1; i <= length(s); i++)
				n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return n
		}
		/^Disassembly of section / { sec = $4 }
		/^ *[0-9]+:\t/ {
			split($0, f, "\t"); split(f[2], b, " ")
			op = hex(b[1]); mode = op - op % 32; imm = b[5] b[6] b[7] b[8]
			if (op % 8 != 3 || mode == 96)
				next
			if (mode == 192 && imm == "00000000")
				adds++
			else if (bad++ < 3)
				print "bad " sec " " f[1] " " f[3]
		}
		END { print "adds " adds + 0 }')
	n=$(sed -n 's/^adds //p' <<<"$out")
	! grep -q '^bad' <<<"$out" || { fail "atomics 5.8-5.11 refuse: $(grep '^bad' <<<"$out" | tr '\n' ';')"; return; }
	[ "$n" -gt 0 ] || { fail "no atomic add found: is the scan reading the disassembly?"; return; }
	pass "$n atomics, each a plain add"
}

run_tests
