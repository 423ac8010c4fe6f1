#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Safe to leave running: what a long run on a busy production host throws at
# slatrace, each held against an independent count. Many connections opened
# and closed in waves leave nothing in the requests family's connection
# table, and every request on them is counted, as the client and the server
# counted them.
. "$(dirname "$0")/lib.sh"

DEMO=$ROOT/$BUILD/tools/demo-server
CONNWAVE=$ROOT/$BUILD/tests/connwave

need_bins() {
	local b
	for b in "$DEMO" "$CONNWAVE"; do
		[ -x "$b" ] || { skip "$b is not built (make test-build)"; return 1; }
	done
	command -v bpftool >/dev/null || { skip "needs bpftool to read the connection table"; return 1; }
	command -v jq >/dev/null || { skip "needs jq"; return 1; }
}

t_connection_waves_leave_no_table_entries_and_every_request_counted() {
	need_root || return
	need_bins || return
	local d=$TMP/waves f=$TMP/waves/r.json rc n srv cli mid left mapfull waves=10 per=10000
	mkdir -p "$d"
	# 10 waves of 10,000 connections held open at once: 100,000 in all,
	# within the table's 16,384 at any moment
	"$DEMO" --listen 127.0.0.1:0 --workers 2 >"$d/srv" 2>"$d/srv.err" &
	SRV_PID=$!
	_bg+=("$SRV_PID")
	wait_for "$d/srv" '^listening ' 10 || { bail "demo-server did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	"$CONNWAVE" --connect "$(awk '/^listening /{ print $2; exit }' "$d/srv")" \
		--conns "$per" --waves "$waves" --timeout 120 >"$d/cli" 2>&1
	cli=$(sed -n 's/^total opened=[0-9]* answered=\([0-9]*\).*/\1/p' "$d/cli")
	[ "$cli" = $((waves * per)) ] || { bail "the client's waves: $(tail -3 "$d/cli")"; return; }
	# the server closes its side when the client does: wait until the
	# table holds no connection, at most 20 s (a slow host), then read it
	for _ in $(seq 200); do
		mid=$(map_len conns)
		[ "$mid" = 0 ] && break
		sleep 0.1
	done
	stop_trace
	rc=$?
	kill -TERM "$SRV_PID" 2>/dev/null
	reap "$SRV_PID" 10
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	[ "$mid" = 0 ] || { fail "the connection table holds $mid entries after $((waves * per)) connections closed"; return; }
	srv=$(sed -n 's/^total=//p' "$d/srv")
	n=$(jq '[.series[] | select(.family == "request") | .count] | add // 0' "$f")
	mapfull=$(jq '.lost.map_full // 0' "$f")
	[ "$srv" = "$cli" ] || { fail "the server answered $srv, the client $cli"; return; }
	[ "$n" = "$srv" ] ||
		{ fail "slatrace counted $n requests, the server answered $srv (lost: $(jq -c .lost "$f"))"; return; }
	[ "$mapfull" = 0 ] || { fail "map_full $mapfull with at most $per connections open"; return; }
	pass "$waves waves of $per: $n requests counted, as the server and the client; table empty after"
}

# A target's PID number taken by another process during a --keep-going run
# (forced with ns_last_pid): the newcomer's syscalls are not the target's.
# The truth: the target (sleep) never calls getppid; the newcomer calls it
# 20,000 times.
t_a_reused_target_pid_is_not_attributed_to_the_target() {
	need_root || return
	[ -x "$SYSLOAD" ] || { skip "$SYSLOAD is not built"; return; }
	[ -w /proc/sys/kernel/ns_last_pid ] || { skip "needs a writable /proc/sys/kernel/ns_last_pid"; return; }
	local d=$TMP/reuse f=$TMP/reuse/r.json rc wrc n p victim got="" i
	mkdir -p "$d"
	sleep 600 &
	victim=$!
	_bg+=("$victim")
	start_trace "$d/out" "$d/err" --syscalls -p "$victim" --keep-going --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	kill -KILL "$victim"
	wait "$victim" 2>/dev/null
	# the next fork gets ns_last_pid + 1, unless another fork on the host
	# takes it first: try a few times
	for ((i = 0; i < 50; i++)); do
		echo $((victim - 1)) >/proc/sys/kernel/ns_last_pid 2>/dev/null || break
		"$SYSLOAD" --gate getppid 20000 >"$d/wl" 2>&1 &
		p=$!
		if [ "$p" = "$victim" ]; then
			got=$p
			break
		fi
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "$got" ] || { bail "could not start a process with PID $victim in 50 tries"; return; }
	_bg+=("$got")
	wait_for "$d/wl" 'ready' 5 || { bail "sysload did not get ready: $(cat "$d/wl")"; return; }
	kill -USR1 "$got" 2>/dev/null
	reap "$got" 30
	wrc=$?
	stop_trace
	rc=$?
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	[ "$wrc" = 0 ] || { fail "the newcomer exited $wrc: $(cat "$d/wl")"; return; }
	n=$(jq '[.series[] | select(.name == "getppid") | .count] | add // 0' "$f")
	[ "$n" = 0 ] || { fail "$n getppid calls of PID $victim's newcomer counted as the target's"; return; }
	pass "PID $victim reused by a process making 20000 getppid calls: 0 counted"
}

run_tests
