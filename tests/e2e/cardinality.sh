#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# End-to-end tests of bounded request classes: a client that sends paths of
# its own choosing (a scanner's /a<14 random letters>) must not control
# slatrace's classes or memory, and no request may go uncounted. The truth:
# the client's own count of requests sent and answered, the demo server's
# count of requests it answered, and the exact split the rules imply (the
# first N distinct values of a position keep their class, the rest are "*";
# past --max-classes, the rest are "(other)"). Needs root, python3, jq; only
# loopback; each client run is bounded in count and time.
. "$(dirname "$0")/lib.sh"

DEMO=$ROOT/$BUILD/tools/demo-server
CLIENT=$TMP/pathclient.py
HWM_BOUND_KB=$((64 * 1024)) # README: at most 64 MiB resident under a path scan

# The client: one keep-alive connection, each request's whole response read
# (demo-server always sends Content-Length) before the next is sent. Plan
# arguments are "PATH:COUNT" (COUNT times that path) and "rand:COUNT"
# (COUNT distinct /a<14 random letters>). Prints "sent=N answered=M".
cat >"$CLIENT" <<'EOF'
import random, socket, string, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=10)
f = s.makefile("rb")
sent = answered = 0
seen = set()
rng = random.Random(11)
def get(path):
    global sent, answered
    s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode())
    sent += 1
    line = f.readline()
    if not line.startswith(b"HTTP/1."):
        raise SystemExit("pathclient: bad response %r" % line)
    n = 0
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    f.read(n)
    answered += 1
for step in sys.argv[2:]:
    what, count = step.rsplit(":", 1)
    for _ in range(int(count)):
        if what == "rand":
            while True:
                p = "/a" + "".join(rng.choice(string.ascii_lowercase) for _ in range(14))
                if p not in seen:
                    seen.add(p)
                    break
            get(p)
        else:
            get(what)
s.close()
print("sent=%d answered=%d" % (sent, answered))
EOF

need_bins() {
	local t
	for t in jq python3; do
		command -v "$t" >/dev/null || { skip "needs $t"; return 1; }
	done
	if [ ! -x "$SLATRACE" ] || [ ! -x "$DEMO" ]; then
		fail "not built: make && make $BUILD/tools/demo-server"
		return 1
	fi
}

# run_scan DIR PLAN TRACE-ARGS...: demo-server, slatrace on its port, the
# client with PLAN (one word, steps separated by commas), then both stopped;
# sets SENT (the client's count), SRV_TOTAL (the server's) and HWM_KB
# (slatrace's peak resident memory, polled until it exits)
run_scan() {
	local d=$1 plan=$2 rc out
	shift 2
	mkdir -p "$d"
	start_listener "$d/srv" "$DEMO" --listen 127.0.0.1:0 || { bail "demo-server did not start"; return 1; }
	local port=${SRV_ADDR##*:}
	start_trace "$d/out" "$d/err" --requests --port "$port" --json "$d/r.json" "$@" ||
		{ bail "slatrace did not start: $(head -c 300 "$d/err")"; return 1; }
	(while alive "$TR_PID"; do
		awk '/^VmHWM:/{ print $2 }' "/proc/$TR_PID/status" 2>/dev/null >"$d/hwm.tmp" &&
			[ -s "$d/hwm.tmp" ] && mv "$d/hwm.tmp" "$d/hwm"
		sleep 0.1
	done) &
	local poller=$!
	# shellcheck disable=SC2086 # the plan's steps are words
	out=$(timeout -s KILL 300 python3 "$CLIENT" "$SRV_ADDR" ${plan//,/ } 2>"$d/client.err") ||
		{ bail "the client failed: $(tail -c 300 "$d/client.err")"; return 1; }
	SENT=$(kv sent "$out")
	[ "$SENT" = "$(kv answered "$out")" ] || { bail "client: $out"; return 1; }
	sleep 0.3
	stop_trace
	rc=$?
	wait "$poller" 2>/dev/null
	[ "$rc" = 0 ] || { bail "slatrace exited $rc: $(head -c 500 "$d/err")"; return 1; }
	kill -TERM "$SRV_PID"
	reap "$SRV_PID" 10
	SRV_TOTAL=$(sed -n 's/^total=//p' "$d/srv")
	[ -n "$SRV_TOTAL" ] || { bail "demo-server did not print its counts"; return 1; }
	HWM_KB=$(cat "$d/hwm" 2>/dev/null || echo 0)
	[ "$SENT" = "$SRV_TOTAL" ] || { bail "client sent $SENT, server answered $SRV_TOTAL"; return 1; }
}

# nreq FILE: request series; sumreq FILE: their counts added
nreq() { jq '[.series[] | select(.family=="request")] | length' "$1"; }
sumreq() { jq '[.series[] | select(.family=="request") | .count] | add // 0' "$1"; }
# route_count FILE ROUTE: the count of the request class with that route (0: none)
route_count() { jq --arg r "$2" '[.series[] | select(.family=="request" and .labels.route==$r) | .count] | add // 0' "$1"; }

t_random_paths_fold_into_a_star_class_counted_exactly_with_flat_memory() {
	need_root || return
	need_bins || return
	local d=$TMP/scan n=20000 j series sum star lost
	run_scan "$d" "/fast:200,/users/17:100,rand:$n,/users/99:100,/fast:200" || return
	j=$d/r.json
	series=$(nreq "$j")
	sum=$(sumreq "$j")
	star=$(route_count "$j" "/*")
	lost=$(jq '.lost.total // 0' "$j")
	# the first segment's 10 values: fast, users (sent first) and the
	# first 8 scanned; classes: /fast, /users/{id}, 8 /a..., and /*
	[ "$series" = 11 ] || { fail "$series request classes for 2 routes and a scan (want 11)"; return; }
	[ "$sum" = "$SENT" ] || { fail "classes add up to $sum, the client sent $SENT and the server answered $SRV_TOTAL (lost: $lost)"; return; }
	[ "$star" = $((n - 8)) ] || { fail "the /* class has $star requests, $((n - 8)) scanned paths were past the first 8"; return; }
	[ "$(route_count "$j" /fast)" = 400 ] && [ "$(route_count "$j" "/users/{id}")" = 200 ] ||
		{ fail "the known routes lost requests to the scan: /fast $(route_count "$j" /fast) of 400, /users/{id} $(route_count "$j" "/users/{id}") of 200"; return; }
	[ "$lost" = 0 ] || { fail "slatrace lost $lost records"; return; }
	[ "$HWM_KB" -gt 0 ] && [ "$HWM_KB" -lt "$HWM_BOUND_KB" ] ||
		{ fail "slatrace's VmHWM was ${HWM_KB} kB (bound ${HWM_BOUND_KB} kB)"; return; }
	pass "$SENT requests (= server's $SRV_TOTAL) in $series classes, /* holds $star; VmHWM ${HWM_KB} kB"
}

t_class_cap_folds_the_rest_into_other_counted_exactly() {
	need_root || return
	need_bins || return
	local d=$TMP/cap n=2000 j series other capped
	# no learning: every path is its own class until the cap of 50
	run_scan "$d" "/fast:5,/users/3:5,rand:$n" --segment-limit 0 --max-classes 50 || return
	j=$d/r.json
	series=$(nreq "$j")
	other=$(route_count "$j" "(other)")
	capped=$(jq '.counters.classes_capped // 0' "$j")
	[ "$series" = 51 ] || { fail "$series request classes with --max-classes 50 (want 50 and (other))"; return; }
	[ "$(sumreq "$j")" = "$SENT" ] || { fail "classes add up to $(sumreq "$j"), the client sent $SENT"; return; }
	# /fast and /users/{id} took 2 classes, the first 48 random paths the rest
	[ "$other" = $((n - 48)) ] || { fail "(other) holds $other, want $((n - 48))"; return; }
	[ "$capped" = "$other" ] || { fail "counters.classes_capped $capped, (other) holds $other"; return; }
	grep -q "classes_capped $other" "$d/out" || { fail "the text report does not say classes_capped $other"; return; }
	pass "$SENT requests: 50 classes and (other) $other = classes_capped"
}

t_route_patterns_class_and_ignored_paths_are_counted() {
	need_root || return
	need_bins || return
	local d=$TMP/routes j ign
	run_scan "$d" "/fast:30,/item/x1/a:20,rand:300,/item/y2/b:20,/static/c/d.css:15" \
		--route '/item/{name}/*' --ignore-path '/fast' --ignore-path '/static/*' \
		--segment-limit 0 || return
	j=$d/r.json
	ign=$(jq '.counters.ignored_requests // 0' "$j")
	[ "$ign" = 45 ] || { fail "counters.ignored_requests $ign, 45 requests were to ignored paths"; return; }
	[ "$(route_count "$j" /fast)" = 0 ] || { fail "an ignored path has a class"; return; }
	[ "$(route_count "$j" '/item/{name}/*')" = 40 ] || { fail "/item/{name}/* holds $(route_count "$j" '/item/{name}/*'), want 40"; return; }
	# with learning off every scanned path is its own class up to the
	# default cap of 200, the rest in (other): all counted
	[ $(($(sumreq "$j") + ign)) = "$SENT" ] || { fail "classes $(sumreq "$j") + ignored $ign != sent $SENT"; return; }
	pass "$SENT requests: /item/{name}/* 40, ignored 45, the rest classed"
}

t_bad_class_options_are_one_line_usage_errors() {
	local a out rc
	[ -x "$SLATRACE" ] || { fail "not built"; return; }
	for a in "--route users" "--route /a{x}" "--route /a/*/b" "--ignore-path" "--ignore-path a" \
		"--segment-limit -1" "--segment-limit 1001" "--segment-limit 5x" "--max-classes 0" \
		"--max-classes 1000001" "--max-classes x"; do
		# shellcheck disable=SC2086 # the option and its value are words
		out=$("$SLATRACE" trace --requests $a -d 1s 2>&1 >/dev/null)
		rc=$?
		[ "$rc" = 2 ] || { fail "'$a': exit $rc, want 2"; return; }
		[ "$(wc -l <<<"$out")" = 1 ] && [[ $out == error:* ]] || { fail "'$a': not one error line: $out"; return; }
	done
	pass
}

run_tests
