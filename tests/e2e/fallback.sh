#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# End-to-end tests of the families' fallback paths (the ones an older kernel
# takes: Debian 12's 6.1 has neither the socket length tracepoints nor the
# bpf_rdonly_cast kfunc), forced here with SLATRACE_FORCE_PATH=fallback so
# that they run on this kernel too. The request and tcp tests that hold the
# counts against the clients' and the servers' own are run again on the
# fallback path (requests.sh, pipelining.sh and tcp.sh, one test each,
# E2E_ONLY=t_name), and the two paths are run side by side on one workload and
# must agree exactly.
# Needs root, like the files it borrows from.
. "$(dirname "$0")/lib.sh"

DEMO=$ROOT/$BUILD/tools/demo-server

# borrowed FILE TEST: run tests/e2e/FILE's t_TEST on the forced fallback
# path; its verdict (and its message) becomes ours
borrowed() {
	local file=$1 test=$2 res=$TMP/res.$2 out
	: >"$res"
	out=$(SLATRACE_FORCE_PATH=fallback E2E_ONLY=t_$test RESULTS=$res BUILD=$BUILD \
		bash "$ROOT/tests/e2e/$file" 2>&1)
	case "$(awk '{ print $1; exit }' "$res")" in
	pass) pass "$(sed -n 's/^ok *[^:]*: //p' <<<"$out" | head -1)" ;;
	skip) skip "$(sed -n 's/^skip *[^:]*: //p' <<<"$out" | head -1)" ;;
	*) fail "on the fallback path: $(tail -c 600 <<<"$out")" ;;
	esac
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
t_ipv6_connections_are_counted() { borrowed tcp.sh "${FUNCNAME#t_}"; }

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

t_check_names_each_familys_path() {
	need_root || return
	command -v jq >/dev/null || { skip "needs jq"; return; }
	local j f p
	j=$(SLATRACE_FORCE_PATH=fallback "$SLATRACE" check --json 2>/dev/null)
	for f in requests tcp; do
		p=$(jq -r --arg f "$f" '.families[$f].path' <<<"$j")
		[ "$p" = fallback ] || { fail "check --json says $f takes '$p' when forced to fallback"; return; }
	done
	j=$("$SLATRACE" check --json 2>/dev/null)
	p=$(jq -r '.families.requests.path' <<<"$j")
	case "$p" in
	preferred | fallback) ;;
	*) fail "check --json: requests path '$p'"; return ;;
	esac
	"$SLATRACE" check 2>/dev/null | grep -q "$p path: " ||
		{ fail "check's text does not say the requests path"; return; }
	pass "requests takes the $p path here; forced: fallback for both"
}

run_tests
