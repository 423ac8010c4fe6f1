# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# SLA objectives judged live against the demo server, whose routes have
# known, injected costs: the verdicts, exit codes and breach hooks follow
# from those costs.
. "$(dirname "$0")/lib.sh"

DEMO=$ROOT/$BUILD/tools/demo-server

start_server() {
	start_listener "$TMP/server.out" "$DEMO" --listen 127.0.0.1:0 --slow-ms 20 || return 1
	addr=$SRV_ADDR
}

# trace the server with the given options in the background; sets TR_PID
start_tracer() {
	start_trace "$TMP/report.txt" "$TMP/trace.err" --requests -p "$SRV_PID" "$@"
}

load() { timeout 20 wrk -t1 -c2 -d"$2" "http://$addr$1" >/dev/null 2>&1; }

t_latency_objective_pass_and_fail_exit_codes() {
	need_root || return
	start_server || { bail "demo server did not start"; return; }
	local rc_pass rc_fail
	start_tracer --sla 'GET /slow: p50 < 22ms' -d 3s --json "$TMP/pass.json" ||
		{ bail "slatrace did not start: $(cat "$TMP/trace.err")"; return; }
	load /slow 2s
	reap "$TR_PID" 30; rc_pass=$?
	cp "$TMP/report.txt" "$TMP/pass.txt"
	start_tracer --sla 'GET /slow: p50 < 18ms' -d 3s --json "$TMP/fail.json" ||
		{ bail "slatrace did not start"; return; }
	load /slow 2s
	reap "$TR_PID" 30; rc_fail=$?
	kill_bg
	[ "$rc_pass" = 0 ] || { fail "bound above the 20 ms delay: exit $rc_pass, want 0 (p50 $(jq -r '.sla.objectives[0].value' "$TMP/pass.json") ns)"; return; }
	[ "$rc_fail" = 3 ] || { fail "bound below the 20 ms delay: exit $rc_fail, want 3"; return; }
	[ "$(jq -r '.sla.objectives[0].status' "$TMP/pass.json")" = pass ] &&
		[ "$(jq -r '.sla.objectives[0].status' "$TMP/fail.json")" = fail ] ||
		{ fail "JSON verdicts wrong"; return; }
	# one verdict line each, and only the one that holds
	[ "$(grep '^SLA: ' "$TMP/pass.txt")" = "SLA: PASS, 1 of 1 objectives met" ] ||
		{ fail "passing run's verdict lines: $(grep '^SLA: ' "$TMP/pass.txt" | tr '\n' '|')"; return; }
	[ "$(grep '^SLA: ' "$TMP/report.txt")" = "SLA: FAIL, 1 of 1 objectives failed" ] ||
		{ fail "failing run's verdict lines: $(grep '^SLA: ' "$TMP/report.txt" | tr '\n' '|')"; return; }
	pass "p50 < 22ms: exit 0, p50 < 18ms: exit 3"
}

t_breach_hook_fires_once_per_episode() {
	need_root || return
	start_server || { bail "demo server did not start"; return; }
	# every request must finish within 10 ms: /slow (20 ms) breaks it,
	# /fast keeps it; slow, fast, slow = two breach episodes
	start_tracer --sla '/*: p99 < 10ms' --window 500ms \
		--on-breach "echo \$SLATRACE_EPISODE >>$TMP/hook.log; cat >>$TMP/hook.json" ||
		{ bail "slatrace did not start"; return; }
	load /slow 2s
	load /fast 2s
	load /slow 2s
	stop_trace
	kill_bg
	local runs
	runs=$(wc -l <"$TMP/hook.log" 2>/dev/null || echo 0)
	[ "$runs" = 2 ] || { fail "hook ran $runs times for 2 breach episodes"; return; }
	jq -e -s 'length == 2' "$TMP/hook.json" >/dev/null 2>&1 ||
		{ fail "the hook's stdin was not two JSON documents"; return; }
	pass "2 episodes, 2 hook runs, JSON on stdin"
}

t_hanging_hook_killed_at_timeout() {
	need_root || return
	start_server || { bail "demo server did not start"; return; }
	local t0 t1 rc
	t0=$(date +%s)
	start_tracer --sla '/*: p99 < 5ms' --window 500ms -d 3s --json "$TMP/hang.json" \
		--on-breach "sleep 300 # slatrace-hang-$$" --breach-timeout 1s ||
		{ bail "slatrace did not start"; return; }
	load /slow 2s
	reap "$TR_PID" 30; rc=$?
	t1=$(date +%s)
	kill_bg
	[ "$rc" = 3 ] || { fail "exit $rc, want 3"; return; }
	[ $((t1 - t0)) -le 10 ] || { fail "the run took $((t1 - t0)) s: the hang blocked it"; return; }
	pgrep -f "slatrace-hang-$$" >/dev/null && { fail "the hung hook is still running"; pkill -f "slatrace-hang-$$"; return; }
	[ "$(jq -r .counters.breach_hooks_killed "$TMP/hang.json" 2>&1)" = 1 ] ||
		{ fail "breach_hooks_killed is $(jq -c .counters "$TMP/hang.json" 2>&1), not 1"; return; }
	pass "run ended in $((t1 - t0)) s, hook killed"
}

t_objective_with_no_data_is_not_a_pass() {
	need_root || return
	start_server || { bail "demo server did not start"; return; }
	local rc
	start_tracer --sla 'port 1: p99 < 1s' -d 1s --json "$TMP/nodata.json" ||
		{ bail "slatrace did not start"; return; }
	load /fast 1s
	reap "$TR_PID" 30; rc=$?
	kill_bg
	[ "$rc" = 3 ] || { fail "exit $rc, want 3"; return; }
	grep -q "matched no data" "$TMP/trace.err" || { fail "no warning"; return; }
	[ "$(jq -r '.sla.objectives[0].status' "$TMP/nodata.json")" = no_data ] ||
		{ fail "status is not no_data"; return; }
	pass
}

t_bad_objectives_rejected_before_tracing() {
	local e rc out bad=0
	for e in 'p99 < ' 'p99 < 2xs' 'p101 < 1s' 'bogus < 1s' 'p99 < 99%' 'availability >= 1ms' 'GET /x p99 < 1s'; do
		out=$("$SLATRACE" trace --sla "$e" -d 1s -- true 2>&1 >/dev/null)
		rc=$?
		if [ "$rc" != 2 ] || [ "$(printf '%s\n' "$out" | wc -l)" != 1 ] ||
			grep -q 'slatrace: tracing' <<<"$out"; then
			echo "      '$e': exit $rc, stderr: $out"
			bad=$((bad + 1))
		fi
	done
	printf '{"objectives": [\n  {"expr": "p99 < 1s"},\n  {"expr": "p99 < 1s" oops}\n]}\n' >"$TMP/bad.json"
	out=$("$SLATRACE" trace --sla-file "$TMP/bad.json" -d 1s -- true 2>&1 >/dev/null)
	rc=$?
	{ [ "$rc" = 2 ] && grep -q 'line 3' <<<"$out"; } ||
		{ echo "      bad file: exit $rc, stderr: $out"; bad=$((bad + 1)); }
	out=$("$SLATRACE" trace --window 1s -d 1s -- true 2>&1 >/dev/null)
	[ $? = 2 ] || { echo "      --window without objectives accepted"; bad=$((bad + 1)); }
	[ "$bad" = 0 ] && pass || fail "$bad bad inputs not rejected properly"
}

run_tests
