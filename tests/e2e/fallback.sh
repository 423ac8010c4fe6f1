#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# End-to-end tests of the families' fallback paths (the ones an older kernel
# takes: Debian 12's 6.1 has neither the socket length tracepoints nor the
# bpf_rdonly_cast kfunc; Debian 11's 5.10 no task storage for the syscalls
# family and no BPF atomics beyond add for the tcp family's claims), forced
# here with SLATRACE_FORCE_PATH=fallback so
# that they run on this kernel too. The request and tcp tests that hold the
# counts against the clients' and the servers' own are run again on the
# fallback path (requests.sh, pipelining.sh and tcp.sh, one test each,
# E2E_ONLY=t_name), and the two paths are run side by side on one workload and
# must agree exactly; the same for the syscalls tests that hold the counts
# against sysload's and strace's (syscalls.sh, strace_agreement.sh). The
# requests family's intermediate path (fexit on the
# socket operations: 6.1 has it, this project's 6.18 machines refuse fexit)
# is run the same way where the kernel has it, and skipped, saying so, where
# it does not; the kernel matrix's guests run it. So is the tcp family's
# (6.1's: CO-RE reads, with BPF atomics), which this kernel has.
# Needs root, like the files it borrows from.
. "$(dirname "$0")/lib.sh"

DEMO=$ROOT/$BUILD/tools/demo-server

# borrowed_on PATH FILE TEST: run tests/e2e/FILE's t_TEST on the forced
# PATH; its verdict (and its message) becomes ours
borrowed_on() {
	local path=$1 file=$2 test=$3 res=$TMP/res.$1.$3 out
	: >"$res"
	out=$(SLATRACE_FORCE_PATH=$path E2E_ONLY=t_$test RESULTS=$res BUILD=$BUILD \
		bash "$ROOT/tests/e2e/$file" 2>&1)
	case "$(awk '{ print $1; exit }' "$res")" in
	pass) pass "$(sed -n 's/^ok *[^:]*: //p' <<<"$out" | head -1)" ;;
	skip) skip "$(sed -n 's/^skip *[^:]*: //p' <<<"$out" | head -1)" ;;
	*) fail "on the $path path: $(tail -c 600 <<<"$out")" ;;
	esac
}

borrowed() { borrowed_on fallback "$@"; }

# has_intermediate: does this kernel have what the requests family's
# intermediate path needs? 1, with the reason in $WHY, when not
has_intermediate() {
	WHY=$("$SLATRACE" check --json 2>/dev/null | jq -r '[.features.sockops_fexit, .features.task_pt_regs] |
		if .[0] == null or .[1] == null then "check --json has no sockops_fexit or task_pt_regs"
		elif (.[0].ok | not) then "no fexit on the socket operations here: " + .[0].detail
		elif (.[1].ok | not) then "no bpf_task_pt_regs to read the requests with here: " + .[1].detail
		else "" end')
	[ -z "$WHY" ]
}

# tcp_intermediate FILE TEST: borrowed_on the tcp family's intermediate
# path, which needs BPF atomics (5.12)
tcp_intermediate() {
	need_root || return
	command -v jq >/dev/null || { skip "needs jq"; return; }
	WHY=$("$SLATRACE" check --json 2>/dev/null | jq -r '.features.atomics |
		if . == null then "check --json has no atomics" elif .ok then "" else .detail end')
	[ -z "$WHY" ] || { skip "no BPF atomics here: $WHY"; return; }
	borrowed_on intermediate "$@"
}

# intermediate FILE TEST: borrowed_on the intermediate path, where there is one
intermediate() {
	need_root || return
	command -v jq >/dev/null || { skip "needs jq"; return; }
	has_intermediate || { skip "$WHY"; return; }
	borrowed_on intermediate "$@"
}

t_request_count_matches_wrk_and_server() { borrowed requests.sh "${FUNCNAME#t_}"; }
t_status_counts_match_server() { borrowed requests.sh "${FUNCNAME#t_}"; }
t_nginx_counts_match_wrk() { borrowed requests.sh "${FUNCNAME#t_}"; }
t_pipelined_requests_each_counted() { borrowed requests.sh "${FUNCNAME#t_}"; }
t_paused_server_queue_time_grows() { borrowed requests.sh "${FUNCNAME#t_}"; }
t_unix_socket_queue_time_from_the_clients_write() { borrowed requests.sh "${FUNCNAME#t_}"; }
t_pipelined_batches_counted_as_client_and_nginx_log() { borrowed pipelining.sh "${FUNCNAME#t_}"; }
t_batch_past_what_is_followed_is_reported_uncounted() { borrowed pipelining.sh "${FUNCNAME#t_}"; }
t_connection_closing_at_the_end_is_reported_with_its_acked_bytes() { borrowed tcp.sh "${FUNCNAME#t_}"; }
t_refused_and_successful_connects_are_counted_exactly() { borrowed tcp.sh "${FUNCNAME#t_}"; }
t_connects_with_an_unseen_handshake_count_as_attempts() { borrowed tcp.sh "${FUNCNAME#t_}"; }
t_ipv6_connections_are_counted() { borrowed tcp.sh "${FUNCNAME#t_}"; }
t_resets_are_counted_at_both_ends() { borrowed tcp.sh "${FUNCNAME#t_}"; }
t_connects_to_a_silent_port_time_out() { borrowed tcp.sh "${FUNCNAME#t_}"; }
t_target_exiting_midrun_leaves_nothing_behind() { borrowed tcp.sh "${FUNCNAME#t_}"; }
t_thousands_of_short_connections_leave_no_map_entries() { borrowed tcp.sh "${FUNCNAME#t_}"; }
t_nanosleep_count_exact_and_percentiles_match() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_enoent_errors_counted_by_errno() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_pid_filter_excludes_other_processes() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_getppid_count_exact_with_only_the_syscalls_family() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_comm_filter_counts_only_that_comm() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_command_children_are_followed() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_command_followed_after_a_threads_execve() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_whole_host_sees_workload() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_command_path_search_is_not_traced() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_pid_run_ends_when_every_target_exits() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_interval_reports_sum_to_total() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_lost_counters_present_and_zero() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_threads_killed_inside_a_syscall_are_timed_and_nothing_stays() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_execve_from_a_thread_is_timed() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_exit_and_exit_group_counted_unfinished_as_strace() { borrowed syscalls.sh "${FUNCNAME#t_}"; }
t_syscall_counts_match_strace() { borrowed strace_agreement.sh "${FUNCNAME#t_}"; }
t_intermediate_request_count_matches_wrk_and_server() { intermediate requests.sh "${FUNCNAME#t_intermediate_}"; }
t_intermediate_nginx_counts_match_wrk() { intermediate requests.sh "${FUNCNAME#t_intermediate_}"; }
t_intermediate_pipelined_requests_each_counted() { intermediate requests.sh "${FUNCNAME#t_intermediate_}"; }
t_intermediate_unix_socket_queue_time_from_the_clients_write() { intermediate requests.sh "${FUNCNAME#t_intermediate_}"; }
t_intermediate_nginx_sendfile_response_bytes_match_curls() { intermediate requests.sh "${FUNCNAME#t_intermediate_}"; }
t_intermediate_refused_and_successful_connects_are_counted_exactly() { tcp_intermediate tcp.sh "${FUNCNAME#t_intermediate_}"; }
t_intermediate_connection_closing_at_the_end_is_reported_with_its_acked_bytes() { tcp_intermediate tcp.sh "${FUNCNAME#t_intermediate_}"; }

# one_path PATH DIR: demo-server traced on PATH, a fixed set of requests on
# one keep-alive connection per route; DIR/r.json and DIR/srv
one_path() {
	local path=$1 d=$2 port urls=()
	mkdir -p "$d"
	start_listener "$d/srv" "$DEMO" --listen 127.0.0.1:0 ||
		{ echo "demo-server did not start: $(cat "$d/srv.err")"; return 1; }
	port=${SRV_ADDR##*:}
	SLATRACE_FORCE_PATH=$path start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" \
		--json "$d/r.json" || { echo "slatrace did not start: $(head -c 500 "$d/err")"; return 1; }
	for i in $(seq 1 120); do urls+=("http://127.0.0.1:$port/users/$i"); done
	curl -s -o /dev/null "${urls[@]}" || { echo "curl /users failed"; return 1; }
	urls=()
	for i in $(seq 1 40); do urls+=("http://127.0.0.1:$port/error"); done
	curl -s -o /dev/null "${urls[@]}" || { echo "curl /error failed"; return 1; }
	urls=()
	for i in $(seq 1 30); do urls+=("http://127.0.0.1:$port/no/such/page"); done
	curl -s -o /dev/null "${urls[@]}" || { echo "curl /no/such/page failed"; return 1; }
	sleep 0.3
	stop_trace || { echo "slatrace exited $?: $(head -c 500 "$d/err")"; return 1; }
	kill -TERM "$SRV_PID" 2>/dev/null
	reap "$SRV_PID" 10
}

# summary FILE: per request class, its count, statuses and failed, one line
# each, sorted
summary() {
	jq -r '.series[] | select(.family=="request") |
		"\(.labels.route) count=\(.count) status=\(.status | tojson) failed=\(.failed // 0)"' \
		"$1" | sort
}

t_fallback_counts_classes_statuses_equal_the_preferred_paths() {
	need_root || return
	[ -x "$DEMO" ] || { fail "not built: make $BUILD/tools/demo-server"; return; }
	command -v curl >/dev/null && command -v jq >/dev/null || { skip "needs curl and jq"; return; }
	local a=$TMP/eq-pref b=$TMP/eq-fb why sa sb
	why=$(one_path preferred "$a") || { bail "preferred: $why"; return; }
	why=$(one_path fallback "$b") || { bail "fallback: $why"; return; }
	[ "$(jq -r '.paths.requests' "$a/r.json")" = preferred ] &&
		[ "$(jq -r '.paths.requests' "$b/r.json")" = fallback ] ||
		{ fail "the reports do not name the paths taken: $(jq -c .paths "$a/r.json") $(jq -c .paths "$b/r.json")"; return; }
	sa=$(summary "$a/r.json")
	sb=$(summary "$b/r.json")
	grep -q '^/users/{id} count=120 ' <<<"$sa" && grep -q '^/error count=40 status={"500":40}' <<<"$sa" ||
		{ fail "preferred path, against curl's 120 /users and 40 /error: $sa"; return; }
	[ "$sa" = "$sb" ] || { fail "the paths disagree: preferred [$sa] fallback [$sb]"; return; }
	pass "$(tr '\n' ';' <<<"$sb")"
}

# The intermediate path and the fallback, on one workload each (demo-server
# and curl's known requests): equal counts, classes and statuses, and both
# equal to curl's.
t_intermediate_counts_classes_statuses_equal_the_fallbacks() {
	need_root || return
	[ -x "$DEMO" ] || { fail "not built: make $BUILD/tools/demo-server"; return; }
	command -v curl >/dev/null && command -v jq >/dev/null || { skip "needs curl and jq"; return; }
	has_intermediate || { skip "$WHY"; return; }
	local a=$TMP/eq-mid b=$TMP/eq-fb2 why sa sb
	why=$(one_path intermediate "$a") || { bail "intermediate: $why"; return; }
	why=$(one_path fallback "$b") || { bail "fallback: $why"; return; }
	[ "$(jq -r '.paths.requests' "$a/r.json")" = intermediate ] &&
		[ "$(jq -r '.paths.requests' "$b/r.json")" = fallback ] ||
		{ fail "the reports do not name the paths taken: $(jq -c .paths "$a/r.json") $(jq -c .paths "$b/r.json")"; return; }
	sa=$(summary "$a/r.json")
	sb=$(summary "$b/r.json")
	grep -q '^/users/{id} count=120 ' <<<"$sa" && grep -q '^/error count=40 status={"500":40}' <<<"$sa" ||
		{ fail "intermediate path, against curl's 120 /users and 40 /error: $sa"; return; }
	[ "$sa" = "$sb" ] || { fail "the paths disagree: intermediate [$sa] fallback [$sb]"; return; }
	pass "$(tr '\n' ';' <<<"$sa")"
}

SYSLOAD=$ROOT/$BUILD/tests/sysload

# sys_path PATH FILE ARGS...: `sysload --gate ARGS` traced by -p on PATH
# from its gate on (from its exec, a command's own gate read may or may not
# be seen, whichever the path), the JSON report into FILE
sys_path() {
	local path=$1 f=$2 pid rc
	shift 2
	"$SYSLOAD" --gate "$@" >"$f.wl" &
	pid=$!
	_bg+=("$pid")
	wait_for "$f.wl" '^ready ' 5 || { echo "sysload did not get ready"; return 1; }
	SLATRACE_FORCE_PATH=$path start_trace "$f.out" "$f.err" --syscalls -p "$pid" --json "$f" ||
		{ echo "slatrace did not start: $(head -c 500 "$f.err")"; return 1; }
	kill -USR1 "$pid"
	reap "$pid" 30
	grep -q '^count=' "$f.wl" || { echo "sysload failed: $(cat "$f.wl")"; return 1; }
	reap "$TR_PID" 15
	rc=$?
	[ "$rc" = 0 ] || { echo "slatrace exited $rc: $(head -c 500 "$f.err")"; return 1; }
	[ "$(jq -r .paths.syscalls "$f")" = "$path" ] || { echo "the report does not name the $path path"; return 1; }
}

# every syscall with its count and errors, one line
sys_summary() {
	jq -r '[.series[] | select(.family=="syscall") | "\(.name)=\(.count)/\(.errors)"] | sort | join(" ")' "$1"
}

# sysload's failing openat calls, then a thread's execve while the leader
# waits in pause (the exec'd image's getppid calls, its exit_group), on
# either path: every syscall's count and errors equal, and equal to
# sysload's where it knows them; the exit_group, unfinished, counted by both
t_syscalls_fallback_counts_equal_the_preferred_paths() {
	need_root || return
	[ -x "$SYSLOAD" ] || { fail "not built: make $BUILD/tests/sysload"; return; }
	command -v jq >/dev/null || { skip "needs jq"; return; }
	local why sa sb ua ub w p
	for w in enoent threadexec; do
		for p in preferred fallback; do
			why=$(sys_path "$p" "$TMP/sys-$w-$p.json" "$w" 300) || { bail "$w, $p: $why"; return; }
		done
		sa=$(sys_summary "$TMP/sys-$w-preferred.json")
		sb=$(sys_summary "$TMP/sys-$w-fallback.json")
		case $w in
		enoent) grep -q 'openat=300/300' <<<"$sa" ;;
		threadexec) grep -q 'execve=1/0 .*getppid=300/0' <<<"$sa" ;;
		esac || { fail "$w: preferred path, against sysload's 300 calls: $sa"; return; }
		[ "$sa" = "$sb" ] || { fail "$w: the paths disagree: preferred [$sa] fallback [$sb]"; return; }
		ua=$(counter "$TMP/sys-$w-preferred.json" syscalls_unfinished_at_exit)
		ub=$(counter "$TMP/sys-$w-fallback.json" syscalls_unfinished_at_exit)
		[ "$ua" = 1 ] && [ "$ub" = 1 ] ||
			{ fail "$w: syscalls_unfinished_at_exit preferred $ua, fallback $ub; want 1 (the exit_group)"; return; }
		[ "$(jq -r '.lost.total' "$TMP/sys-$w-fallback.json")" = 0 ] ||
			{ fail "$w: the fallback lost $(jq -c .lost "$TMP/sys-$w-fallback.json")"; return; }
	done
	pass "enoent and threadexec: $(wc -w <<<"$sb") syscalls in the last, counts and errors equal"
}

# The fallback's map of syscalls in flight, made to hold 2 (a test-only
# knob): four threads stuck in nanosleep at once cannot all be timed, and
# what was not is counted lost (map_full), not dropped silently.
t_full_inflight_map_counts_the_rest_lost() {
	need_root || return
	[ -x "$SYSLOAD" ] || { fail "not built: make $BUILD/tests/sysload"; return; }
	command -v jq >/dev/null || { skip "needs jq"; return; }
	local d=$TMP/full f=$TMP/full/r.json pid n full i
	mkdir -p "$d"
	"$SYSLOAD" --gate stuck 4 >"$d/a" &
	pid=$!
	_bg+=("$pid")
	wait_for "$d/a" '^ready ' 5 || { bail "sysload did not get ready"; return; }
	SLATRACE_TEST_SYS_INFLIGHT=2 SLATRACE_FORCE_PATH=fallback start_trace "$d/out" "$d/err" \
		--syscalls -p "$pid" --keep-going --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	kill -USR1 "$pid"
	reap "$pid" 30
	grep -q '^count=4' "$d/a" || { bail "sysload failed: $(cat "$d/a")"; return; }
	stop_trace || { bail "slatrace exited $?: $(head -c 500 "$d/err")"; return; }
	n=$(series "$f" nanosleep .count)
	full=$(jq -r '.lost.map_full' "$f")
	n=${n:-0}
	((n <= 2 && full >= 4 - n)) ||
		{ fail "nanosleep timed $n (at most 2 fit), map_full $full: the other $((4 - n)) are not all counted"; return; }
	grep -q "^lost: .*map_full" "$d/out" || { fail "the text report's lost: line does not say map_full"; return; }
	pass "nanosleep timed $n of 4, map_full $full"
}

t_check_names_each_familys_path() {
	need_root || return
	command -v jq >/dev/null || { skip "needs jq"; return; }
	local j f p
	j=$(SLATRACE_FORCE_PATH=fallback "$SLATRACE" check --json 2>/dev/null)
	for f in requests tcp syscalls; do
		p=$(jq -r --arg f "$f" '.families[$f].path' <<<"$j")
		[ "$p" = fallback ] || { fail "check --json says $f takes '$p' when forced to fallback"; return; }
	done
	# the tcp fallback is the one without BPF atomics: says so
	jq -r '.families.tcp.hooks' <<<"$j" | grep -q '_noatomics' ||
		{ fail "check --json's tcp hooks on the fallback do not name the _noatomics twins: $(jq -c .families.tcp <<<"$j")"; return; }
	# intermediate moves only a family that has one (requests, tcp);
	# syscalls keeps its own choice
	j=$(SLATRACE_FORCE_PATH=intermediate "$SLATRACE" check --json 2>/dev/null)
	for f in requests tcp; do
		p=$(jq -r --arg f "$f" '.families[$f].path' <<<"$j")
		[ "$p" = intermediate ] || { fail "check --json says $f takes '$p' when forced to intermediate"; return; }
	done
	p=$(jq -r '.families.syscalls.path' <<<"$j")
	[ "$p" = "$("$SLATRACE" check --json 2>/dev/null | jq -r '.families.syscalls.path')" ] ||
		{ fail "forced to intermediate, syscalls (which has none) moved to '$p'"; return; }
	j=$("$SLATRACE" check --json 2>/dev/null)
	# tcp's choice says what it found of both features it looks at
	jq -r '.families.tcp.path_why' <<<"$j" | grep -q 'rdonly_cast.*atomics' ||
		{ fail "check --json's tcp path_why: $(jq -c .families.tcp <<<"$j")"; return; }
	p=$(jq -r '.families.requests.path' <<<"$j")
	case "$p" in
	preferred | intermediate | fallback) ;;
	*) fail "check --json: requests path '$p'"; return ;;
	esac
	"$SLATRACE" check 2>/dev/null | grep -q "$p path: " ||
		{ fail "check's text does not say the requests path"; return; }
	pass "requests takes the $p path here; forced: fallback for all three, intermediate for requests and tcp"
}

run_tests
