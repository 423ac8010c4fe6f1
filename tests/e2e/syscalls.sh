#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# End-to-end tests of the syscalls family: load the real BPF programs, drive
# the sysload helper (which counts and times its own syscalls) and hold
# slatrace's JSON figures against the helper's. Needs root.
. "$(dirname "$0")/lib.sh"

# start_gated OUT ARGS...: start `sysload --gate ARGS` (stdout to OUT; the
# binary is $WL_BIN when set) and wait for its "ready PID"; sets WL_PID
start_gated() {
	local out=$1
	shift
	"${WL_BIN:-$SYSLOAD}" --gate "$@" >"$out" &
	WL_PID=$!
	_bg+=("$WL_PID")
	wait_for "$out" '^ready ' 5 && [ "$(awk '/^ready /{ print $2 }' "$out")" = "$WL_PID" ]
}

# release PID OUT: open the gate of a workload, wait for it, check it exits 0
# and printed its figures
release() {
	kill -USR1 "$1" && reap "$1" 30 && grep -q '^count=' "$2"
}

need_bins() {
	if ! command -v jq >/dev/null; then
		skip "needs jq to read the JSON report"
		return 1
	fi
	if [ ! -x "$SLATRACE" ] || [ ! -x "$SYSLOAD" ]; then
		fail "$SLATRACE or $SYSLOAD was not built (make && make $BUILD/tests/sysload)"
		return 1
	fi
}

# beside_decoy DIR A B B_COUNT TRACE-ARGS...: run `slatrace trace TRACE-ARGS`
# while the gated workload A (output DIR/a) and the decoy B (output DIR/b,
# which must make B_COUNT calls) run, then stop it. Bails (returns 1) when
# slatrace does not start or exit 0, or either workload fails.
beside_decoy() {
	local d=$1 a=$2 b=$3 bn=$4 rc
	shift 4
	start_trace "$d/out" "$d/err" "$@" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return 1; }
	kill -USR1 "$b"
	release "$a" "$d/a" || { bail "workload A failed: $(cat "$d/a")"; return 1; }
	reap "$b" 30 && grep -q "^count=$bn" "$d/b" || { bail "decoy B failed: $(cat "$d/b")"; return 1; }
	stop_trace
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace exited $rc: $(head -c 500 "$d/err")"; return 1; }
}

t_nanosleep_count_exact_and_percentiles_match() {
	need_root || return
	need_bins || return
	local d=$TMP/ns f=$TMP/ns/r.json rc n p50 p99 mx tp50 tp99 tmx lp50 lp99 lmx res lo
	mkdir -p "$d"
	start_gated "$d/wl" nanosleep 500 2 || { bail "sysload did not get ready"; return; }
	start_trace "$d/out" "$d/err" -p "$WL_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	release "$WL_PID" "$d/wl" || { bail "sysload failed: $(cat "$d/wl")"; return; }
	stop_trace
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	res=$(grep '^count=' "$d/wl")
	lo=$(grep '^clean=' "$d/wl")
	tp50=$(kv p50_ns "$res") tp99=$(kv p99_ns "$res") tmx=$(kv max_ns "$res")
	lp50=$(kv lo_p50_ns "$lo") lp99=$(kv lo_p99_ns "$lo") lmx=$(kv lo_max_ns "$lo")
	n=$(series "$f" nanosleep .count)
	p50=$(series "$f" nanosleep .latency_ns.p50)
	p99=$(series "$f" nanosleep .latency_ns.p99)
	mx=$(series "$f" nanosleep .latency_ns.max)
	[ "$n" = 500 ] || { fail "nanosleep count: slatrace $n, sysload made 500"; return; }
	# each call's kernel duration lies inside sysload's interval around it,
	# and above its lower bound (sysload.c says how that is found), so each
	# quantile lies between the two quantiles; on a quiet host they are
	# microseconds apart. 3%: the histogram's bucket width (<=1.6% at the
	# midpoint) and rounding; 100us: what sysload cannot see outside the
	# syscall where the kernel does not charge it to the thread (interrupts
	# with IRQ_TIME_ACCOUNTING, a vCPU lost to a hypervisor reporting steal)
	between "$p50" "$lp50" "$tp50" 3 100000 ||
		{ fail "p50: slatrace $p50 ns, sysload $lp50 .. $tp50 ns ($lo)"; return; }
	between "$p99" "$lp99" "$tp99" 3 100000 ||
		{ fail "p99: slatrace $p99 ns, sysload $lp99 .. $tp99 ns ($lo)"; return; }
	between "$mx" "$lmx" "$tmx" 3 100000 ||
		{ fail "max: slatrace $mx ns, sysload $lmx .. $tmx ns ($lo)"; return; }
	pass "500 calls, $(kv clean "$lo") clean (overhead p50 $(kv overhead_p50_ns "$lo") ns); p50 $p50 in $lp50 .. $tp50, p99 $p99 in $lp99 .. $tp99, max $mx in $lmx .. $tmx ns"
}

t_enoent_errors_counted_by_errno() {
	need_root || return
	need_bins || return
	local d=$TMP/enoent f=$TMP/enoent/r.json rc n e en
	mkdir -p "$d"
	start_gated "$d/wl" enoent 1000 || { bail "sysload did not get ready"; return; }
	start_trace "$d/out" "$d/err" -p "$WL_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	release "$WL_PID" "$d/wl" || { bail "sysload failed: $(cat "$d/wl")"; return; }
	stop_trace
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	# the helper checks each call failed with ENOENT and counts only those
	[ "$(kv count "$(grep '^count=' "$d/wl")")" = 1000 ] ||
		{ fail "sysload's openat calls did not all fail with ENOENT: $(cat "$d/wl")"; return; }
	n=$(series "$f" openat .count)
	e=$(series "$f" openat .errors)
	en=$(series "$f" openat '.error_breakdown.ENOENT')
	[ "$n" = 1000 ] && [ "$e" = 1000 ] && [ "$en" = 1000 ] ||
		{ fail "openat: count $n, errors $e, ENOENT $en; want 1000 each"; return; }
	pass
}

t_pid_filter_excludes_other_processes() {
	need_root || return
	need_bins || return
	local d=$TMP/pid f=$TMP/pid/r.json rc n a b
	mkdir -p "$d"
	start_gated "$d/a" getppid 3000 || { bail "sysload A did not get ready"; return; }
	a=$WL_PID
	start_gated "$d/b" getppid 5000 || { bail "sysload B did not get ready"; return; }
	b=$WL_PID
	beside_decoy "$d" "$a" "$b" 5000 -p "$a" --json "$f" || return
	n=$(series "$f" getppid .count)
	[ "$n" = 3000 ] || { fail "getppid count with -p A: $n, want A's 3000 (B made 5000)"; return; }
	pass
}

# the same with --syscalls alone: what a kernel that cannot host the
# requests family (before 6.3) runs; the kernel matrix's exact-count test
t_getppid_count_exact_with_only_the_syscalls_family() {
	need_root || return
	need_bins || return
	local d=$TMP/alone f=$TMP/alone/r.json n a b
	mkdir -p "$d"
	start_gated "$d/a" getppid 3000 || { bail "sysload A did not get ready"; return; }
	a=$WL_PID
	start_gated "$d/b" getppid 5000 || { bail "sysload B did not get ready"; return; }
	b=$WL_PID
	beside_decoy "$d" "$a" "$b" 5000 --syscalls -p "$a" --json "$f" || return
	[ "$(jq '[.series[] | select(.family != "syscall")] | length' "$f")" = 0 ] ||
		{ fail "series of other families with --syscalls alone"; return; }
	n=$(series "$f" getppid .count)
	[ "$n" = 3000 ] || { fail "getppid count with --syscalls -p A: $n, want A's 3000 (B made 5000)"; return; }
	pass "3000 getppid calls, the decoy's 5000 excluded"
}

t_comm_filter_counts_only_that_comm() {
	need_root || return
	need_bins || return
	# the traced copy has a name of its own, so no other sysload run on the
	# host can add to the count; the decoy is plain "sysload", a prefix of it
	local d=$TMP/comm f=$TMP/comm/r.json name="sysload$$" rc n
	mkdir -p "$d"
	name=${name:0:15}
	cp "$SYSLOAD" "$d/$name" || { fail "cannot copy sysload to $d"; return; }
	WL_BIN=$d/$name start_gated "$d/a" getppid 4000 || { bail "$name did not get ready"; return; }
	local a=$WL_PID
	start_gated "$d/b" getppid 6000 || { bail "decoy sysload did not get ready"; return; }
	local b=$WL_PID
	[ "$(cat "/proc/$a/comm")" = "$name" ] || { bail "comm of $a is not $name"; return; }
	beside_decoy "$d" "$a" "$b" 6000 -c "$name" --json "$f" || return
	n=$(series "$f" getppid .count)
	[ "$n" = 4000 ] || { fail "getppid count with -c $name: $n, want 4000 (decoy 'sysload' made 6000)"; return; }
	pass
}

t_command_children_are_followed() {
	need_root || return
	need_bins || return
	local d=$TMP/kids f=$TMP/kids/r.json rc n ec fk
	mkdir -p "$d"
	timeout -s KILL 30 "$SLATRACE" trace --json "$f" -- "$SYSLOAD" children 4 2500 \
		>"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 0 ] || { fail "slatrace exited $rc (137: did not end with its command): $(head -c 500 "$d/err")"; return; }
	grep -q '^count=10000' "$d/out" || { fail "sysload did not report 10000 calls"; return; }
	n=$(series "$f" getppid .count)
	ec=$(jq -r '.command.exit_code' "$f")
	fk=$(jq -r '.processes.forked' "$f")
	[ "$n" = 10000 ] || { fail "getppid count: $n, want 4 children x 2500 = 10000"; return; }
	[ "$ec" = 0 ] || { fail "command.exit_code: $ec, want 0"; return; }
	[ "$fk" = 4 ] || { fail "processes.forked: $fk, want 4"; return; }
	pass
}

# A command whose thread other than the leader calls execve: the kernel
# (de_thread) kills the old leader, whose exit is reported, and the exec'ing
# thread takes over the leader's pid. The process lives on, so it stays in
# the set of followed processes: every getppid of the exec'd image counted,
# as sysload counted them, and its exit is the process's one exit.
t_command_followed_after_a_threads_execve() {
	need_root || return
	need_bins || return
	local d=$TMP/cexec f=$TMP/cexec/r.json rc g x ex
	mkdir -p "$d"
	timeout -s KILL 30 "$SLATRACE" trace --syscalls --json "$f" -- "$SYSLOAD" threadexec 3000 \
		>"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 0 ] || { fail "slatrace exited $rc (137: did not end with its command): $(head -c 500 "$d/err")"; return; }
	grep -q '^count=3000$' "$d/out" || { fail "the exec'd sysload did not report 3000 calls: $(head -c 300 "$d/out")"; return; }
	g=$(series "$f" getppid .count)
	x=$(series "$f" execve '"\(.count)/\(.errors)"')
	ex=$(jq -r '.processes.exited' "$f")
	[ "$g" = 3000 ] || { fail "getppid count after the thread's execve: '$g', want sysload's 3000"; return; }
	# the command's own execve, and the thread's
	[ "$x" = 2/0 ] || { fail "execve count/errors: $x, want 2/0"; return; }
	[ "$ex" = 1 ] || { fail "processes.exited: $ex, want 1 (the old leader's exit does not end the process)"; return; }
	pass "getppid 3000 after the exec, execve $x, exited $ex"
}

# midrun_signal SIG: SIG mid-run ends the run with its report and a complete
# JSON file, exit 0; the old file stays as it was until then
midrun_signal() {
	need_root || return
	need_bins || return
	local sig=$1 d=$TMP/sig-$1 f=$TMP/sig-$1/r.json rc n left kids=()
	mkdir -p "$d"
	echo '{"old": true}' >"$f"
	start_trace "$d/out" "$d/err" --json "$f" -- "$SYSLOAD" nanosleep 2000 2 ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	sleep 1
	[ "$(cat "$f")" = '{"old": true}' ] ||
		{ bail "the old JSON file was changed before the report was ready"; return; }
	# a run cut short leaves the command running: end it afterwards
	read -r -a kids < <(cat /proc/"$TR_PID"/task/*/children 2>/dev/null | tr '\n' ' ')
	_bg+=("${kids[@]}")
	kill -"$sig" "$TR_PID"
	reap "$TR_PID" 15
	rc=$?
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc after SIG$sig, want 0: $(head -c 500 "$d/err")"; return; }
	grep -q '^SYSCALL ' "$d/out" && grep -q '^slatrace ' "$d/out" ||
		{ fail "no text report on stdout after SIG$sig"; return; }
	jq -e '.schema == "slatrace.report/1"' "$f" >/dev/null ||
		{ fail "JSON after SIG$sig is not a complete slatrace.report/1: $(head -c 300 "$f")"; return; }
	[ "$(tail -c 2 "$f" | od -An -c | tr -d ' ')" = '}\n' ] || { fail "JSON does not end with '}\\n'"; return; }
	n=$(series "$f" nanosleep .count)
	[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -lt 2000 ] ||
		{ fail "nanosleep count after ~1 s of 2000 x 2 ms: '$n', want 0 < n < 2000"; return; }
	left=$(ls "$f".tmp.* 2>/dev/null)
	[ -z "$left" ] || { fail "temp files left behind: $left"; return; }
	pass "$n of 2000 calls seen before SIG$sig"
}

t_sigterm_midrun_writes_complete_json() { midrun_signal TERM; }

# a dropped SSH session: SIGHUP (it was rc 129 and no report)
t_sighup_midrun_writes_complete_json() { midrun_signal HUP; }

# -p of a process that exits: slatrace says so and ends by itself with the
# full report, whose count is the process's own (no signal is sent to it)
t_pid_run_ends_when_every_target_exits() {
	need_root || return
	need_bins || return
	local d=$TMP/gone f=$TMP/gone/r.json rc n
	mkdir -p "$d"
	start_gated "$d/wl" nanosleep 300 2 || { bail "sysload did not get ready"; return; }
	start_trace "$d/out" "$d/err" -p "$WL_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	release "$WL_PID" "$d/wl" || { bail "sysload failed: $(cat "$d/wl")"; return; }
	# no SIGINT: a slatrace that runs on is killed after 60 s (rc 137)
	reap "$TR_PID" 60
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace exited $rc (137: it kept tracing a process that had exited): $(head -c 500 "$d/err")"; return; }
	grep -qx 'slatrace: every target process has exited; ending the run' "$d/err" ||
		{ fail "stderr does not say the target exited: $(head -c 500 "$d/err")"; return; }
	grep -q '^SYSCALL ' "$d/out" || { fail "no text report on stdout"; return; }
	n=$(series "$f" nanosleep .count)
	[ "$n" = "$(kv count "$(grep '^count=' "$d/wl")")" ] && [ "$n" = 300 ] ||
		{ fail "nanosleep count: slatrace $n, sysload $(grep '^count=' "$d/wl")"; return; }
	pass "ended by itself; 300 calls, as sysload counted"
}

# --keep-going: the same exit is reported, and tracing goes on until asked
t_pid_run_keeps_going_when_asked() {
	need_root || return
	need_bins || return
	local d=$TMP/keep f=$TMP/keep/r.json rc n
	mkdir -p "$d"
	start_gated "$d/wl" nanosleep 100 2 || { bail "sysload did not get ready"; return; }
	start_trace "$d/out" "$d/err" -p "$WL_PID" --keep-going --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	release "$WL_PID" "$d/wl" || { bail "sysload failed: $(cat "$d/wl")"; return; }
	wait_for "$d/err" 'every target process has exited' 60 ||
		{ bail "slatrace did not notice the target exit: $(head -c 500 "$d/err")"; return; }
	sleep 0.5
	alive "$TR_PID" || { bail "slatrace ended although --keep-going was given: $(head -c 500 "$d/err")"; return; }
	stop_trace
	rc=$?
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	n=$(series "$f" nanosleep .count)
	[ "$n" = 100 ] || { fail "nanosleep count: $n, want sysload's 100"; return; }
	pass
}

# slatrace finds CMD on PATH itself, before the command is traced: the
# command's one execve is all the report shows, as strace sees it too
t_command_path_search_is_not_traced() {
	need_root || return
	need_bins || return
	local d=$TMP/path f=$TMP/path/r.json rc n e sn
	mkdir -p "$d"
	PATH="$d/none1:$d/none2:$d/none3:$PATH" timeout -s KILL 30 "$SLATRACE" trace --syscalls \
		--json "$f" -- true >"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	n=$(series "$f" execve .count)
	e=$(series "$f" execve .errors)
	if command -v strace >/dev/null; then
		PATH="$d/none1:$d/none2:$d/none3:$PATH" strace -f -qq -e trace=execve -o "$d/strace" true
		sn=$(grep -c 'execve(' "$d/strace")
	else
		sn=1 # a program that runs no other is exactly one execve
	fi
	[ "$n" = "$sn" ] && [ "$e" = 0 ] ||
		{ fail "execve: count $n, errors $e; strace saw $sn execve and no failed one"; return; }
	pass "execve $n, as strace"
}

t_whole_host_sees_workload() {
	need_root || return
	need_bins || return
	local d=$TMP/host f=$TMP/host/r.json rc n dur
	mkdir -p "$d"
	start_gated "$d/wl" getppid 20000 || { bail "sysload did not get ready"; return; }
	start_trace "$d/out" "$d/err" -d 2s --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	release "$WL_PID" "$d/wl" || { bail "sysload failed: $(cat "$d/wl")"; return; }
	reap "$TR_PID" 10
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace -d 2s exited $rc (137: it did not stop by itself): $(head -c 500 "$d/err")"; return; }
	kill_bg
	jq -e '.schema == "slatrace.report/1" and .target == "all processes"' "$f" >/dev/null ||
		{ fail "JSON is not a whole-host slatrace.report/1: $(head -c 300 "$f")"; return; }
	dur=$(jq -r .duration_s "$f")
	awk -v d="$dur" 'BEGIN { exit !(d >= 1.9 && d <= 3) }' ||
		{ fail "duration_s $dur for -d 2s"; return; }
	n=$(series "$f" getppid .count)
	[ -n "$n" ] && [ "$n" -ge 20000 ] ||
		{ fail "whole-host getppid count '$n' < the workload's own 20000"; return; }
	pass "getppid $n >= 20000"
}

t_interval_reports_sum_to_total() {
	need_root || return
	need_bins || return
	local d=$TMP/intv f=$TMP/intv/r.json rc n k sum i
	mkdir -p "$d"
	start_gated "$d/wl" nanosleep 600 2 || { bail "sysload did not get ready"; return; }
	start_trace "$d/out" "$d/err" -p "$WL_PID" -i 500ms --keep-going --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	release "$WL_PID" "$d/wl" || { bail "sysload failed: $(cat "$d/wl")"; return; }
	# one more interval after the workload ended, so the intervals cover
	# all of it (--keep-going: the run would otherwise end with it)
	k=$(grep -c '^--- interval' "$d/out")
	for ((i = 0; i < 30; i++)); do
		[ "$(grep -c '^--- interval' "$d/out")" -gt "$k" ] && break
		sleep 0.1
	done
	stop_trace
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	k=$(grep -c '^--- interval' "$d/out")
	[ "$k" -ge 3 ] || { fail "$k interval reports for a ~1.8 s run with -i 500ms, want >= 3"; return; }
	# interval tables come before the final report's "slatrace ..." header
	sum=$(awk '/^slatrace /{ exit } $1 == "nanosleep" { s += $2 } END { print s + 0 }' "$d/out")
	n=$(series "$f" nanosleep .count)
	[ "$n" = 600 ] || { fail "final nanosleep count: $n, want 600"; return; }
	[ "$sum" = 600 ] || { fail "nanosleep counts of the $k interval reports sum to $sum, want 600"; return; }
	pass "$k intervals"
}

t_lost_counters_present_and_zero() {
	need_root || return
	need_bins || return
	local d=$TMP/lost f=$TMP/lost/r.json rc k v
	mkdir -p "$d"
	timeout -s KILL 20 "$SLATRACE" trace --json "$f" -- "$SYSLOAD" getppid 1000 \
		>"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	for k in ringbuf_reserve_failed map_full out_of_range no_task_storage \
		undecodable_records total; do
		v=$(jq -r --arg k "$k" '.lost[$k] // "missing"' "$f")
		[ "$v" = 0 ] || { fail "lost.$k is $v, want 0"; return; }
	done
	grep -q '^lost: ' "$d/out" || { fail "no 'lost:' line in the text report"; return; }
	pass
}

# gated_keep_going D ARGS...: `sysload --gate ARGS` traced by -p
# --keep-going into D/r.json: released, run to its exit, then the map of
# syscalls in flight (the fallback path's; "none" on the preferred) into
# INFLIGHT, then slatrace stopped; bails (1) when any of it fails
gated_keep_going() {
	local d=$1 rc
	shift
	mkdir -p "$d"
	start_gated "$d/a" "$@" || { bail "sysload did not get ready"; return 1; }
	start_trace "$d/out" "$d/err" --syscalls -p "$WL_PID" --keep-going --json "$d/r.json" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return 1; }
	release "$WL_PID" "$d/a" || { bail "sysload failed: $(cat "$d/a")"; return 1; }
	sleep 0.3
	INFLIGHT=$(map_len inflight)
	stop_trace
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace exited $rc: $(head -c 500 "$d/err")"; return 1; }
}

# Threads blocked in nanosleep when their process calls exit_group return
# from it (-ERESTART_RESTARTBLOCK) on their way out: timed, on either path.
# The exit_group never returns: either path counts it as unfinished, and the
# fallback's map of syscalls in flight is empty once the process is gone.
t_threads_killed_inside_a_syscall_are_timed_and_nothing_stays() {
	need_root || return
	need_bins || return
	local d=$TMP/stuck f=$TMP/stuck/r.json n e path u
	gated_keep_going "$d" stuck 4 || return
	n=$(series "$f" nanosleep .count)
	e=$(series "$f" nanosleep '.error_breakdown.ERESTART_RESTARTBLOCK')
	[ "$n" = 4 ] && [ "$e" = 4 ] ||
		{ fail "nanosleep count $n (ERESTART_RESTARTBLOCK $e), want the 4 threads' 4 (4)"; return; }
	path=$(jq -r '.paths.syscalls // "preferred"' "$f")
	u=$(counter "$f" syscalls_unfinished_at_exit)
	[ "$u" = 1 ] || { fail "syscalls_unfinished_at_exit $u on the $path path, want 1 (the exit_group)"; return; }
	if [ "$path" = fallback ]; then
		[ "$INFLIGHT" = 0 ] || { fail "the map of syscalls in flight holds $INFLIGHT after the process exited"; return; }
	fi
	pass "4 nanosleeps killed inside, on the $path path; unfinished $u, in flight after: $INFLIGHT"
}

# exit and exit_group never return, so no syscall table holds them: on
# either path each thread that ends inside one is counted in
# syscalls_unfinished_at_exit, which is always in the report. The truth is
# strace's count of those calls for the same command (or, without strace,
# sysload's structure: its 5 threads' exit and its exit_group).
t_exit_and_exit_group_counted_unfinished_as_strace() {
	need_root || return
	need_bins || return
	local d=$TMP/exits f=$TMP/exits/r.json rc u want path
	mkdir -p "$d"
	timeout -s KILL 30 "$SLATRACE" trace --syscalls --json "$f" -- "$SYSLOAD" exits 5 \
		>"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	grep -q '^count=5$' "$d/out" || { fail "sysload did not end its 5 threads: $(head -c 300 "$d/out")"; return; }
	if command -v strace >/dev/null; then
		strace -f -qq -e trace=exit,exit_group -o "$d/strace" "$SYSLOAD" exits 5 >/dev/null
		want=$(grep -cE '^[0-9]+ +exit(_group)?\(' "$d/strace")
	else
		want=6
	fi
	path=$(jq -r '.paths.syscalls' "$f")
	jq -e '.counters | has("syscalls_unfinished_at_exit")' "$f" >/dev/null ||
		{ fail "no counters.syscalls_unfinished_at_exit on the $path path"; return; }
	u=$(counter "$f" syscalls_unfinished_at_exit)
	[ "$want" = 6 ] || { fail "strace saw $want exit and exit_group calls, want 5 threads' + 1"; return; }
	[ "$u" = "$want" ] || { fail "syscalls_unfinished_at_exit $u on the $path path, strace saw $want exit and exit_group calls"; return; }
	grep -q '^counted: .*syscalls_unfinished_at_exit' "$d/out" ||
		{ fail "the text report's counted: line does not show it: $(grep -m1 '^counted' "$d/out")"; return; }
	pass "unfinished $u on the $path path, as strace's exit and exit_group calls"
}

# An execve by a thread other than the leader returns with the leader's
# thread id; the leader, inside pause(), is killed by it (and returns from
# pause on its way out). Every call counted, on either path: the fallback
# moves the entry to the new thread id (sched_process_exec).
t_execve_from_a_thread_is_timed() {
	need_root || return
	need_bins || return
	local d=$TMP/texec f=$TMP/texec/r.json x g pa path u
	gated_keep_going "$d" threadexec 7 || return
	grep -q '^count=7' "$d/a" || { bail "the exec'd sysload did not report 7 calls: $(cat "$d/a")"; return; }
	x=$(series "$f" execve '"\(.count)/\(.errors)"')
	g=$(series "$f" getppid .count)
	pa=$(series "$f" pause .count)
	[ "$x" = 1/0 ] && [ "$g" = 7 ] && [ "$pa" = 1 ] ||
		{ fail "execve $x (want 1/0), getppid $g (want 7), pause $pa (want 1)"; return; }
	path=$(jq -r '.paths.syscalls // "preferred"' "$f")
	u=$(counter "$f" syscalls_unfinished_at_exit)
	[ "$u" = 1 ] || { fail "syscalls_unfinished_at_exit $u on the $path path, want 1 (the exit_group)"; return; }
	if [ "$path" = fallback ]; then
		[ "$INFLIGHT" = 0 ] || { fail "the map of syscalls in flight holds $INFLIGHT after the process exited"; return; }
	fi
	pass "execve 1, getppid 7, pause 1, unfinished $u on the $path path"
}

run_tests
