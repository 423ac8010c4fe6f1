#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# End-to-end tests of the requests family: load the real BPF programs, serve
# real traffic (the bundled demo-server, Debian's nginx, echo_server for a
# binary protocol) from load generators that count for themselves (wrk,
# reqclient, curl), and hold slatrace's per-class counts, statuses and
# queue/service times against the servers' and clients' own figures. Needs
# root; only loopback and Unix sockets.
. "$(dirname "$0")/lib.sh"

DEMO=$ROOT/$BUILD/tools/demo-server
ECHO_SRV=$ROOT/$BUILD/tests/echo_server
REQCLIENT=$ROOT/$BUILD/tests/reqclient

# start_demo OUT ARGS...: demo-server on a free loopback port; sets SRV_PID,
# SRV_ADDR and SRV_PORT
start_demo() {
	local out=$1
	shift
	start_listener "$out" "$DEMO" --listen 127.0.0.1:0 "$@" || return 1
	SRV_PORT=${SRV_ADDR##*:}
}

# stop_server PID OUT: SIGTERM a server that prints its counts on exit and
# wait for them
stop_server() {
	kill -TERM "$1" 2>/dev/null
	reap "$1" 10 && grep -q '^total=\|^turns=' "$2"
}

# end_run DIR: let the last records arrive, then stop slatrace (it must exit
# 0) and the server of DIR/srv, demo-server or echo_server (it must print
# its counts); bails and returns 1 otherwise
end_run() {
	local rc
	sleep 0.3
	stop_trace
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace exited $rc: $(head -c 500 "$1/err")"; return 1; }
	stop_server "$SRV_PID" "$1/srv" || { bail "the server did not print its counts: $(tail -c 300 "$1/srv.err" 2>/dev/null)"; return 1; }
}

# req1 FILE EXPR: a field of the only request series there is (0: none)
req1() { jq "[.series[] | select(.family==\"request\")][0] | $2 // 0" "$1"; }

# srv_count OUT ROUTE [STATUS]: what demo-server says it answered on ROUTE
# (its own route names: /users/:id, other), all statuses or one
srv_count() {
	awk -v r="route=$2" -v s="status=${3:-}" \
		'$1 == r && (s == "status=" || $2 == s) { sub("count=", "", $3); n += $3 }
		 END { print n + 0 }' "$1"
}

# rq FILE ROUTE JQ-EXPR: a field of the request series with that route label
# (one series per route in these tests: one server, one method)
rq() {
	jq -r --arg r "$2" "[.series[] | select(.family==\"request\" and .labels.route==\$r)] |
		if length == 1 then .[0] | $3 else \"series-count-\" + (length | tostring) end" "$1"
}

# lost_note FILE: for a failure message, what slatrace says it lost (the
# counts may be short by that much), if anything
lost_note() {
	jq -r 'if (.lost.total // 0) > 0 then " (slatrace reports lost records: " +
		([.lost | to_entries[] | select(.value > 0) | "\(.key) \(.value)"] | join(", ")) + ")"
		else "" end' "$1"
}

# http_get_on FD PATH: one HTTP/1.1 keep-alive request on an open bash
# /dev/tcp descriptor, its whole response read (headers, Content-Length
# body); prints the status
http_get_on() {
	printf 'GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n' "$2" >&"$1" || return 1
	read_response_on "$1"
}

# post_continue_on FD PATH BYTES DELAY: a POST with "Expect: 100-continue"
# on an open /dev/tcp descriptor, as careful clients send one: the head,
# then the server's interim answer awaited, DELAY seconds, then the BYTES
# of body; prints the interim status and the final one
post_continue_on() {
	local fd=$1 line interim
	printf 'POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n' \
		"$2" "$3" >&"$fd" || return 1
	IFS= read -r -t 5 line <&"$fd" || return 1
	interim=$(awk '{ print $2 }' <<<"$line")
	# the empty line that ends the interim answer
	IFS= read -r -t 5 line <&"$fd" || return 1
	sleep "$4"
	head -c "$3" /dev/zero | tr '\0' x >&"$fd" || return 1
	echo "$interim $(read_response_on "$fd")"
}

# read_response_on FD: one whole response (status line, headers,
# Content-Length body) from an open descriptor; prints its status
read_response_on() {
	local fd=$1 line status len=0 body
	IFS= read -r -t 5 line <&"$fd" || return 1
	status=$(awk '{ print $2 }' <<<"$line")
	while IFS= read -r -t 5 line <&"$fd"; do
		line=${line%$'\r'}
		[ -z "$line" ] && break
		[[ ${line,,} == content-length:* ]] && len=${line#*: }
	done
	if [ "$len" -gt 0 ]; then
		LC_ALL=C IFS= read -r -t 5 -N "$len" body <&"$fd" || return 1
	fi
	echo "$status"
}

# wrk_run OUT ARGS...: a bounded wrk run; prints its "N requests in" count
wrk_run() {
	local out=$1
	shift
	timeout -s KILL 30 wrk "$@" >"$out" 2>&1 || return 1
	awk '/ requests in /{ print $1; exit }' "$out" | grep .
}

# wrk_pct OUT PCT: a percentile of a `wrk --latency` run, in ns
wrk_pct() {
	awk -v p="$2%" '$1 == p {
		v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
		m = u == "us" ? 1e3 : u == "ms" ? 1e6 : u == "s" ? 1e9 : u == "m" ? 6e10 : 0
		printf "%.0f\n", v * m; exit
	}' "$1" | grep .
}

need_bins() {
	local t
	for t in jq curl; do
		command -v "$t" >/dev/null || { skip "needs $t"; return 1; }
	done
	if [ ! -x "$SLATRACE" ] || [ ! -x "$DEMO" ] || [ ! -x "$ECHO_SRV" ] || [ ! -x "$REQCLIENT" ]; then
		fail "not built: make && make $BUILD/tools/demo-server $BUILD/tests/echo_server $BUILD/tests/reqclient"
		return 1
	fi
}

need_wrk() {
	command -v wrk >/dev/null && return 0
	skip "needs wrk (apt-get install wrk)"
	return 1
}

# abs_le A B N: |A - B| <= N
abs_le() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= n) }'; }

t_request_count_matches_wrk_and_server() {
	need_root || return
	need_bins || return
	need_wrk || return
	local d=$TMP/count f=$TMP/count/r.json rc r w n s cls sum total
	local -A srv_route=([/users/123]=/users/:id [/slow]=/slow [/error]=/error)
	local -A cls_of=([/users/123]=/users/{id} [/slow]=/slow [/error]=/error)
	local -A wn
	local msg=""
	mkdir -p "$d"
	start_demo "$d/srv" || { bail "demo-server did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	for r in /users/123 /slow /error; do
		wn[$r]=$(wrk_run "$d/wrk${r//\//_}" -t2 -c8 -d3s "http://127.0.0.1:$SRV_PORT$r") ||
			{ bail "wrk on $r failed: $(tail -3 "$d/wrk${r//\//_}")"; return; }
	done
	# the requests in flight when wrk stopped are still answered: /slow's
	# take 20 ms
	sleep 0.5
	stop_trace
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	stop_server "$SRV_PID" "$d/srv" || { bail "demo-server did not print its counts"; return; }
	sum=0
	for r in /users/123 /slow /error; do
		cls=${cls_of[$r]}
		n=$(rq "$f" "$cls" .count)
		s=$(srv_count "$d/srv" "${srv_route[$r]}")
		w=${wn[$r]}
		[ "$n" = "$s" ] ||
			{ fail "$cls: slatrace counted $n, demo-server answered $s (wrk $w)$(lost_note "$f")"; return; }
		abs_le "$n" "$w" 8 ||
			{ fail "$cls: slatrace counted $n, wrk $w: more than the 8 connections apart"; return; }
		sum=$((sum + n))
		msg+="$cls slatrace=$n server=$s wrk=$w; "
	done
	total=$(awk -F= '/^total=/{ print $2 }' "$d/srv")
	n=$(jq '[.series[] | select(.family=="request") | .count] | add' "$f")
	[ "$n" = "$total" ] ||
		{ fail "all request classes sum to $n, demo-server answered $total in all$(lost_note "$f"): $(jq -c '[.series[] | select(.family=="request") | {name,count}]' "$f")"; return; }
	pass "${msg%; }"
}

# srv_service OUT ROUTE KEY: a field of demo-server's own "service" line
# for ROUTE (timed, inner_p50_ns, outer_p99_ns, ...)
srv_service() {
	awk -v r="route=$2" -v k="$3=" '$1 == "service" && $2 == r {
		for (i = 3; i <= NF; i++) if (index($i, k) == 1) { print substr($i, length(k) + 1); exit } }' "$1"
}

t_service_time_matches_the_servers_own_timing() {
	need_root || return
	need_bins || return
	need_wrk || return
	local d=$TMP/svc f=$TMP/svc/r.json r cls want n s timed pct got in out lat msg="" note=""
	mkdir -p "$d"
	# one epoll worker, two connections per route: each request waits in
	# its socket while the worker serves the other connection's, about one
	# service time of queue per request. demo-server times every request
	# itself (inner and outer bounds of "first read to last write").
	start_demo "$d/srv" --workers 1 --slow-ms 20 --delay /fast=5 ||
		{ bail "demo-server did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	for r in /slow /fast; do
		wrk_run "$d/wrk${r//\//_}" -t1 -c2 -d2s "http://127.0.0.1:$SRV_PORT$r" >/dev/null ||
			{ bail "wrk on $r failed: $(tail -3 "$d/wrk${r//\//_}")"; return; }
	done
	end_run "$d" || return
	for cls in /slow:20000000 /fast:5000000; do
		want=${cls#*:} cls=${cls%:*}
		n=$(rq "$f" "$cls" .count)
		s=$(srv_count "$d/srv" "$cls")
		timed=$(srv_service "$d/srv" "$cls" timed)
		[ "$n" = "$s" ] && [ "$timed" = "$s" ] ||
			{ fail "$cls: slatrace counted $n, demo-server answered $s and timed ${timed:-none}$(lost_note "$f")"; return; }
		# the server's own truth: a nanosleep never ends early
		[ "$(srv_service "$d/srv" "$cls" inner_p50_ns)" -ge "$want" ] ||
			{ fail "$cls: demo-server's own inner p50 $(srv_service "$d/srv" "$cls" inner_p50_ns) ns is under its $want ns sleep"; return; }
		for pct in p50 p99; do
			got=$(rq "$f" "$cls" ".service_ns.$pct")
			in=$(srv_service "$d/srv" "$cls" "inner_${pct}_ns")
			out=$(srv_service "$d/srv" "$cls" "outer_${pct}_ns")
			# every request's service time lies between its inner and
			# outer time, so each percentile does too; slatrace reports
			# a bucket's midpoint, within 1/64 of the value; 2 us slack
			awk -v g="$got" -v i="$in" -v o="$out" \
				'BEGIN { exit !(g >= i * 63 / 64 - 2000 && g <= o * 65 / 64 + 2000) }' ||
				{ fail "$cls service $pct $got ns, demo-server's own $pct $in..$out ns (queue $pct $(rq "$f" "$cls" ".queue_ns.$pct") ns)"; return; }
			msg+="$cls $pct $((got / 1000)) us in $((in / 1000))..$((out / 1000)); "
		done
		# what a service time that took in the queue would have been
		lat=$(rq "$f" "$cls" .latency_ns.p50)
		awk -v l="$lat" -v o="$(srv_service "$d/srv" "$cls" outer_p50_ns)" \
			'BEGIN { exit !(l > o * 65 / 64 + 2000) }' || note+=" ($cls: little queueing this run)"
	done
	pass "${msg%; }$note"
}

t_status_counts_match_server() {
	need_root || return
	need_bins || return
	need_wrk || return
	local d=$TMP/status f=$TMP/status/r.json rc n e s st w
	mkdir -p "$d"
	# 1 ms per request: statuses are the point here, not the request rate
	start_demo "$d/srv" --delay /error=1 --delay other=1 ||
		{ bail "demo-server did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	wrk_run "$d/wrk_error" -t1 -c4 -d1s "http://127.0.0.1:$SRV_PORT/error" >/dev/null &&
		wrk_run "$d/wrk_nope" -t1 -c4 -d1s "http://127.0.0.1:$SRV_PORT/no/such/page" >/dev/null ||
		{ bail "wrk failed: $(tail -3 "$d"/wrk_*)"; return; }
	end_run "$d" || return
	n=$(rq "$f" /error .count)
	e=$(rq "$f" /error .errors)
	st=$(rq "$f" /error '.status["500"] // 0')
	s=$(srv_count "$d/srv" /error 500)
	[ "$s" -gt 0 ] && [ "$st" = "$s" ] && [ "$n" = "$s" ] && [ "$e" = "$s" ] ||
		{ fail "/error: slatrace count $n, status 500 $st, errors $e; demo-server answered $s with 500$(lost_note "$f")"; return; }
	n=$(rq "$f" /no/such/page .count)
	e=$(rq "$f" /no/such/page .errors)
	w=$(rq "$f" /no/such/page '.status["404"] // 0')
	s=$(srv_count "$d/srv" other 404)
	[ "$s" -gt 0 ] && [ "$w" = "$s" ] && [ "$n" = "$s" ] && [ "$e" = 0 ] ||
		{ fail "/no/such/page: slatrace count $n, status 404 $w, errors $e (want 0); demo-server answered $s with 404$(lost_note "$f")"; return; }
	pass "500: $st, 404: $w, as demo-server"
}

t_nginx_counts_match_wrk() {
	need_root || return
	need_bins || return
	need_wrk || return
	local ngx=/usr/sbin/nginx d=$TMP/nginx f=$TMP/nginx/r.json rc port master worker i
	local run r c w n msg="" k
	[ -x "$ngx" ] || { skip "needs nginx ($ngx; apt-get install nginx-light)"; return; }
	mkdir -p "$d/www" "$d/tmp"
	echo '<html><body>slatrace</body></html>' >"$d/www/index.html"
	echo 'bye' >"$d/www/close.html"
	head -c 1048576 /dev/zero >"$d/www/big.bin"
	start_nginx_on "$d" "$ngx" "access_log off" "default_type application/octet-stream" ||
		{ bail "nginx did not start: $(tail -3 "$d/error.log" "$d/nginx.out" 2>/dev/null)"; return; }
	port=$NGX_PORT master=$NGX_MASTER worker=$NGX_WORKER
	start_trace "$d/out" "$d/err" --requests -p "$worker" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	# route:connections:extra wrk options
	local -a runs=("/index.html:8:" "/big.bin:4:" "/close.html:4:close" "/nope:4:")
	local -A wn
	for run in "${runs[@]}"; do
		IFS=: read -r r c k <<<"$run"
		if [ "$k" = close ]; then
			wn[$r]=$(wrk_run "$d/wrk${r//[\/.]/_}" -t2 -c"$c" -d2s -H 'Connection: close' \
				"http://127.0.0.1:$port$r") || { bail "wrk on $r failed: $(tail -3 "$d/wrk${r//[\/.]/_}")"; return; }
		else
			wn[$r]=$(wrk_run "$d/wrk${r//[\/.]/_}" -t2 -c"$c" -d2s "http://127.0.0.1:$port$r") ||
				{ bail "wrk on $r failed: $(tail -3 "$d/wrk${r//[\/.]/_}")"; return; }
		fi
	done
	sleep 0.3
	stop_trace
	rc=$?
	# SIGTERM: nginx's fast shutdown, the master ends its worker
	kill -TERM "$master"
	reap "$master" 5
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	for run in "${runs[@]}"; do
		IFS=: read -r r c k <<<"$run"
		n=$(rq "$f" "$r" .count)
		w=${wn[$r]}
		# wrk does not count the requests in flight when it stops; nginx
		# still answers them (or fails writing them), one per connection
		awk -v n="$n" -v w="$w" -v c="$c" 'BEGIN { exit !(n >= w && n <= w + c) }' ||
			{ fail "nginx $r: slatrace counted $n, wrk $w (-c$c): want wrk..wrk+$c$(lost_note "$f")"; return; }
		msg+="$r slatrace=$n wrk=$w; "
	done
	w=$(rq "$f" /nope '.status["404"] // 0')
	n=$(rq "$f" /nope .count)
	[ "$w" = "$n" ] || { fail "nginx /nope: $n requests, $w of them under status 404"; return; }
	w=$(rq "$f" /big.bin '.status["200"] // 0')
	n=$(rq "$f" /big.bin .count)
	# the last few may have been cut by wrk closing mid-transfer
	[ "$w" -ge $((n - 4)) ] || { fail "nginx /big.bin: $n requests, only $w under status 200"; return; }
	pass "${msg%; }"
}

t_pipelined_requests_each_counted() {
	need_root || return
	need_bins || return
	local d=$TMP/pipe f=$TMP/pipe/r.json rc out n p s
	mkdir -p "$d"
	start_demo "$d/srv" || { bail "demo-server did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	out=$(timeout -s KILL 15 "$REQCLIENT" pipeline "$SRV_ADDR" 5 /users/42 2>&1)
	[ "$out" = "responses=5 statuses=200,200,200,200,200" ] ||
		{ bail "pipelining client: $out"; return; }
	end_run "$d" || return
	s=$(srv_count "$d/srv" /users/:id)
	n=$(rq "$f" '/users/{id}' .count)
	p=$(counter "$f" pipelined_requests)
	[ "$s" = 5 ] || { fail "demo-server answered $s requests, want the 5 pipelined"; return; }
	[ "$n" = 5 ] || { fail "5 pipelined requests in one write: slatrace counted $n$(lost_note "$f")"; return; }
	[ "$p" -ge 4 ] || { fail "counters.pipelined_requests is $p, want >= 4"; return; }
	[ "$(rq "$f" '/users/{id}' '.status["200"] // 0')" = 5 ] ||
		{ fail "pipelined statuses: $(rq "$f" '/users/{id}' '.status|tostring')"; return; }
	pass "5 counted, pipelined_requests $p"
}

# sorted_nth K VALUES...: the K-th smallest (1-based) of VALUES
sorted_nth() {
	local k=$1
	shift
	printf '%s\n' "$@" | sort -n | sed -n "${k}p"
}

t_paused_server_queue_time_grows() {
	need_root || return
	need_bins || return
	local d=$TMP/pause f=$TMP/pause/r.json rc i n q s pct k pids=() seen t1 w hi=() lo
	local msg="" in_q
	mkdir -p "$d"
	# one epoll worker: demo-server times each request's service itself
	start_demo "$d/srv" --workers 1 || { bail "demo-server did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	# one request first, so the port is known as the target's: arrivals on
	# connections not yet accepted are only recorded on known ports
	curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$SRV_PORT/users/1" ||
		{ bail "warm-up request failed"; return; }
	kill -STOP "$SRV_PID"
	for ((i = 0; i < 3; i++)); do
		curl -fsS --max-time 30 -o /dev/null -w '%{time_pretransfer} %{time_total}\n' \
			"http://127.0.0.1:$SRV_PORT/fast" >"$d/curl$i" 2>"$d/curl$i.err" &
		pids+=($!)
		_bg+=($!)
	done
	# the kernel's own word that all 3 requests have arrived: 3 connections
	# with bytes in their receive queue, none read by the stopped server
	for ((i = 0; i < 200; i++)); do
		in_q=$(ss -Htn state established "sport = :$SRV_PORT" | awk '$1 > 0' | wc -l)
		[ "$in_q" = 3 ] && break
		sleep 0.05
	done
	[ "$in_q" = 3 ] || { bail "only $in_q requests in the stopped server's queues after 10 s"; return; }
	seen=$(date +%s%N)
	sleep 1
	t1=$(date +%s%N)
	kill -CONT "$SRV_PID"
	for i in "${!pids[@]}"; do
		reap "${pids[$i]}" 20 || { bail "curl $i failed: $(cat "$d/curl$i.err")"; return; }
		# curl's own: a request waits no longer than from its sending to
		# its whole answer
		read -r k w <"$d/curl$i"
		hi+=("$(awk -v k="$k" -v w="$w" 'BEGIN { printf "%.0f", (w - k) * 1e9 }')")
	done
	end_run "$d" || return
	n=$(rq "$f" /fast .count)
	[ "$n" = 3 ] || { fail "/fast count $n, want the 3 sent while paused$(lost_note "$f")"; return; }
	# each request was in the queue at $seen and read after $t1: it waited
	# at least t1 - seen (>= 1 s), and at most curl's own wait; so does each
	# order statistic. Ranks of 3: p50 the 2nd, p99 the 3rd. A bucket's
	# midpoint is within 1/64 of the value; TCP stamps arrivals in us.
	lo=$((t1 - seen))
	for pct in p50:2 p99:3; do
		k=${pct#*:} pct=${pct%:*}
		q=$(rq "$f" /fast ".queue_ns.$pct")
		w=$(sorted_nth "$k" "${hi[@]}")
		awk -v q="$q" -v l="$lo" -v h="$w" 'BEGIN { exit !(q >= l * 63 / 64 - 2000 && q <= h * 65 / 64 + 2000) }' ||
			{ fail "/fast queue $pct $q ns; queued from before $((lo / 1000000)) ms ahead of SIGCONT, curl waited $w ns ($pct)"; return; }
		msg+="queue $pct $((q / 1000000)) ms in $((lo / 1000000))..$((w / 1000000)); "
	done
	# the pause is queue time: service as demo-server timed it
	s=$(rq "$f" /fast .service_ns.p99)
	w=$(srv_service "$d/srv" /fast outer_p99_ns)
	[ "$(srv_service "$d/srv" /fast timed)" = 3 ] || { fail "demo-server timed $(srv_service "$d/srv" /fast timed) of the 3"; return; }
	awk -v s="$s" -v o="$w" 'BEGIN { exit !(s <= o * 65 / 64 + 2000) }' ||
		{ fail "/fast service p99 $s ns, demo-server's own outer p99 $w ns (the pause is queue time)"; return; }
	pass "${msg}service p99 $((s / 1000)) us <= server's $((w / 1000)) us"
}

t_unknown_tcp_protocol_one_request_per_turn() {
	need_root || return
	need_bins || return
	local d=$TMP/echo f=$TMP/echo/r.json rc tpid upid tport sock out n k
	mkdir -p "$d"
	sock=$d/echo.sock
	start_listener "$d/tsrv" "$ECHO_SRV" --listen 127.0.0.1:0 ||
		{ bail "echo_server did not start: $(cat "$d/tsrv.err")"; return; }
	tpid=$SRV_PID tport=${SRV_ADDR##*:}
	start_listener "$d/usrv" "$ECHO_SRV" --unix "$sock" ||
		{ bail "echo_server --unix did not start: $(cat "$d/usrv.err")"; return; }
	upid=$SRV_PID
	start_trace "$d/out" "$d/err" --requests -p "$tpid,$upid" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	out=$(timeout -s KILL 20 "$REQCLIENT" echo "127.0.0.1:$tport" 200 1000 2>&1)
	[ "$out" = turns=200 ] || { bail "echo client over TCP: $out"; return; }
	out=$(timeout -s KILL 20 "$REQCLIENT" echo "unix:$sock" 200 1000 2>&1)
	[ "$out" = turns=200 ] || { bail "echo client over the Unix socket: $out"; return; }
	sleep 0.3
	stop_trace
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	stop_server "$tpid" "$d/tsrv" && stop_server "$upid" "$d/usrv" ||
		{ bail "echo_server did not print its turns"; return; }
	grep -qx turns=200 "$d/tsrv" && grep -qx turns=200 "$d/usrv" ||
		{ fail "echo_server answered $(cat "$d/tsrv" "$d/usrv" | grep turns=), want 200 each"; return; }
	k=$(jq '[.series[] | select(.family=="request")] | length' "$f")
	[ "$k" = 2 ] || { fail "$k request classes, want 2 (tcp:$tport, unix:$sock): $(jq -c '[.series[] | select(.family=="request") | {name,count}]' "$f")"; return; }
	n=$(rq "$f" "tcp:$tport" .count)
	[ "$n" = 200 ] || { fail "class tcp:$tport: count $n, want the 200 turns$(lost_note "$f")"; return; }
	n=$(rq "$f" "unix:$sock" .count)
	[ "$n" = 200 ] || { fail "class unix:$sock: count $n, want the 200 turns$(lost_note "$f")"; return; }
	[ "$(counter "$f" unparsed_payloads)" = 0 ] ||
		{ fail "binary payloads counted as unparsed HTTP: $(counter "$f" unparsed_payloads)"; return; }
	pass "tcp:$tport 200, unix:$sock 200"
}

t_garbage_payloads_never_crash_and_are_counted() {
	need_root || return
	need_bins || return
	local d=$TMP/garbage f=$TMP/garbage/r.json rc u name out
	mkdir -p "$d"
	start_demo "$d/srv" || { bail "demo-server did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	# a TLS-like record header, then seeded pseudo-random bytes
	{ printf '\026\003\001\002\000'; LC_ALL=C awk 'BEGIN { srand(7); for (i = 0; i < 4096; i++) printf "%c", int(rand() * 255) + 1 }'; } >"$d/garbage"
	# HTTP-like and garbled: unparsed, one turn each (cut in the target,
	# cut in the method, a version that is not 1.x, an empty target)
	printf 'GET /abc' >"$d/truncated"
	printf 'POS' >"$d/cut_method"
	printf 'GET /fast HTTP/2.0\r\nHost: x\r\n\r\n' >"$d/bad_version"
	printf 'GET  HTTP/1.1\r\nHost: x\r\n\r\n' >"$d/no_target"
	{ printf 'GET /fast HTTP/1.1\r\nHost: x\r\nX-Big: '; head -c 16384 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } >"$d/giant"
	LC_ALL=C awk 'BEGIN { for (j = 0; j < 8; j++) for (i = 255; i >= 0; i--) printf "%c", i }' >"$d/binary"
	printf 'GET /fast HTTP/1.1\r\nHost: x\r\n\r\n' >"$d/valid"
	for name in garbage truncated giant cut_method binary bad_version no_target valid; do
		out=$(timeout -s KILL 10 "$REQCLIENT" raw "$SRV_ADDR" <"$d/$name" 2>&1) ||
			{ bail "sending $name failed: $out"; return; }
		alive "$TR_PID" || { bail "slatrace died after the $name payload: $(head -c 500 "$d/err")"; return; }
	done
	grep -q '^HTTP/1.1 200' <(timeout -s KILL 10 "$REQCLIENT" raw "$SRV_ADDR" <"$d/valid"; curl -sS -i --max-time 5 "http://127.0.0.1:$SRV_PORT/fast") ||
		{ bail "demo-server no longer answers"; return; }
	sleep 0.3
	stop_trace
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace exited $rc after garbage payloads: $(head -c 500 "$d/err")"; return; }
	stop_server "$SRV_PID" "$d/srv" || { bail "demo-server did not print its counts"; return; }
	jq -e '.schema == "slatrace.report/1"' "$f" >/dev/null ||
		{ fail "JSON report is not valid slatrace.report/1: $(head -c 300 "$f")"; return; }
	# exactly the 4 garbled HTTP-like payloads sent, one turn each on its
	# own connection; the garbage and binary ones are some other protocol
	u=$(counter "$f" unparsed_payloads)
	[ "$u" = 4 ] || { fail "counters.unparsed_payloads is $u, the test sent 4 garbled HTTP payloads: $(jq -c '[.series[] | select(.family=="request") | {name,count}]' "$f")"; return; }
	[ "$(rq "$f" '(unparsed http)' '.count')" = 4 ] ||
		{ fail "class '(unparsed http)' counts $(rq "$f" '(unparsed http)' '.count'), want the 4: $(jq -c '[.series[] | select(.family=="request") | {name,count}]' "$f")"; return; }
	# the valid requests sent after the garbage are still recognised, as
	# many as demo-server answered (2 raw, 1 curl)
	[ "$(srv_count "$d/srv" /fast 200)" = 3 ] || { fail "demo-server answered /fast $(srv_count "$d/srv" /fast 200) times with 200, want 3"; return; }
	[ "$(rq "$f" /fast '.status["200"] // 0')" = 3 ] ||
		{ fail "GET /fast after the garbage: $(jq -c '[.series[] | select(.family=="request") | {name,count,status}]' "$f")"; return; }
	pass "unparsed_payloads $u; classes $(jq -c '[.series[] | select(.family=="request") | .labels.route + "=" + (.count|tostring)] | join(" ")' "$f")"
}

t_keepalive_request_settled_after_idle_once() {
	need_root || return
	need_bins || return
	local d=$TMP/idle f=$TMP/idle/r.json rc fd st n k mx
	mkdir -p "$d"
	start_demo "$d/srv" || { bail "demo-server did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	exec {fd}<>"/dev/tcp/127.0.0.1/$SRV_PORT" || { bail "cannot connect to demo-server"; return; }
	st=$(http_get_on "$fd" /fast)
	[ "$st" = 200 ] || { exec {fd}>&-; bail "GET /fast on a kept-alive connection: '$st'"; return; }
	# quiet for longer than the idle time (2 s) and a housekeeping round
	# (1 s): the request is settled while the connection stays open
	sleep 3.5
	exec {fd}>&-
	end_run "$d" || return
	n=$(rq "$f" /fast .count)
	k=$(counter "$f" settled_after_idle)
	mx=$(rq "$f" /fast .latency_ns.max)
	[ "$(srv_count "$d/srv" /fast)" = 1 ] || { bail "demo-server answered $(srv_count "$d/srv" /fast), want 1"; return; }
	[ "$n" = 1 ] || { fail "one request on a connection then idle: counted $n$(lost_note "$f")"; return; }
	[ "$k" = 1 ] || { fail "counters.settled_after_idle is $k, want 1 (settled while the connection was open)"; return; }
	[ "$mx" -lt 1000000000 ] || { fail "its latency is $mx ns: the idle time was counted in"; return; }
	pass "1 counted, settled after idle, latency $((mx / 1000)) us"
}

t_connection_open_before_the_run_counted_from_its_next_request() {
	need_root || return
	need_bins || return
	local d=$TMP/early f=$TMP/early/r.json rc fd st i n
	mkdir -p "$d"
	start_demo "$d/srv" || { bail "demo-server did not start: $(cat "$d/srv.err")"; return; }
	exec {fd}<>"/dev/tcp/127.0.0.1/$SRV_PORT" || { bail "cannot connect to demo-server"; return; }
	st=$(http_get_on "$fd" /fast)
	[ "$st" = 200 ] || { exec {fd}>&-; bail "GET /fast before the run: '$st'"; return; }
	# accepted and served before slatrace starts: no accept() to see
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ exec {fd}>&-; bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	for ((i = 0; i < 5; i++)); do
		st=$(http_get_on "$fd" /fast)
		[ "$st" = 200 ] || { exec {fd}>&-; bail "GET /fast $i on the old connection: '$st'"; return; }
	done
	exec {fd}>&-
	end_run "$d" || return
	[ "$(srv_count "$d/srv" /fast)" = 6 ] || { bail "demo-server answered $(srv_count "$d/srv" /fast), want 6"; return; }
	n=$(rq "$f" /fast .count)
	[ "$n" = 5 ] || { fail "5 requests after the start on a connection accepted before it: counted $n$(lost_note "$f")"; return; }
	[ "$(rq "$f" /fast '.status["200"] // 0')" = 5 ] || { fail "statuses: $(rq "$f" /fast '.status|tostring')"; return; }
	pass "5 of 6 counted (1 before the run)"
}

t_target_client_connections_are_not_requests() {
	need_root || return
	need_bins || return
	local d=$TMP/client f=$TMP/client/r.json rc k out
	mkdir -p "$d"
	start_listener "$d/srv" "$ECHO_SRV" --listen 127.0.0.1:0 ||
		{ bail "echo_server did not start: $(cat "$d/srv.err")"; return; }
	# the target is the client: its 300 turns are requests of somebody else
	timeout -s KILL 60 "$SLATRACE" trace --requests --json "$f" -- \
		"$REQCLIENT" echo "$SRV_ADDR" 300 200 >"$d/out" 2>"$d/err"
	rc=$?
	[ "$rc" = 0 ] || { bail "slatrace -- reqclient exited $rc: $(head -c 500 "$d/err")"; return; }
	grep -qx turns=300 "$d/out" || { bail "reqclient: $(head -c 200 "$d/out")"; return; }
	stop_server "$SRV_PID" "$d/srv" || { bail "echo_server did not print its turns"; return; }
	k=$(jq '[.series[] | select(.family=="request")] | length' "$f")
	[ "$k" = 0 ] || { fail "the target's own client connection made $k request classes: $(jq -c '[.series[] | select(.family=="request") | {name,count}]' "$f")"; return; }
	pass "300 client turns, 0 request classes"
}

t_queue_time_starts_at_the_request_not_the_connect() {
	need_root || return
	need_bins || return
	local d=$TMP/late f=$TMP/late/r.json fd st q
	mkdir -p "$d"
	start_demo "$d/srv" || { bail "demo-server did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	# connected (and accepted) 500 ms before the request is sent: the
	# arrival is the request's packet, not the handshake
	exec {fd}<>"/dev/tcp/127.0.0.1/$SRV_PORT" || { bail "cannot connect to demo-server"; return; }
	sleep 0.5
	st=$(http_get_on "$fd" /fast)
	exec {fd}>&-
	[ "$st" = 200 ] || { bail "GET /fast after a quiet connect: '$st'"; return; }
	end_run "$d" || return
	q=$(rq "$f" /fast .queue_ns.max)
	[ "$(rq "$f" /fast .count)" = 1 ] || { fail "counted $(rq "$f" /fast .count), want 1"; return; }
	[ "$q" -lt 100000000 ] || { fail "queue time $q ns: the 500 ms between connect and request was counted"; return; }
	[ "$(counter "$f" queue_time_unknown)" = 0 ] || { fail "queue time unknown for a TCP request"; return; }
	pass "queue time $((q / 1000)) us after a 500 ms quiet connect"
}

# unix_queue_verdict FILE N PCT MIN_MS PAUSED_MS: what the Unix queue-time
# tests hold: N turns counted, 1 without an arrival time, the queue time's
# PCT (a latency_ns key) within MIN_MS..the pause, service under 100 ms
unix_queue_verdict() {
	local f=$1 n=$2 pct=$3 min=$4 paused=$5 got q s u
	got=$(req1 "$f" .count)
	q=$(req1 "$f" ".queue_ns.$pct")
	s=$(req1 "$f" .service_ns.max)
	u=$(counter "$f" queue_time_unknown)
	[ "$got" = "$n" ] || { fail "$n turns over a Unix socket: counted $got$(lost_note "$f")"; return; }
	[ "$u" = 1 ] || { fail "queue_time_unknown is $u, want 1 (the first turn)"; return; }
	[ "$q" -ge $((min * 1000000)) ] && [ "$q" -le $((paused * 1000000)) ] ||
		{ fail "queue $pct $q ns for turns sent into a server stopped ${paused} ms: want ${min} ms..the pause"; return; }
	[ "$s" -lt 100000000 ] || { fail "service max $s ns: the wait belongs to queue time"; return; }
	pass "pause ${paused} ms: queue $pct $((q / 1000000)) ms, service max $((s / 1000)) us, 1 of $n unknown"
}

t_unix_socket_queue_time_from_the_clients_write() {
	need_root || return
	need_bins || return
	local d=$TMP/uq f=$TMP/uq/r.json sock cpid t0 t1 paused
	mkdir -p "$d"
	sock=$d/echo.sock
	start_listener "$d/srv" "$ECHO_SRV" --unix "$sock" ||
		{ bail "echo_server --unix did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	# 3 turns 300 ms apart on one connection; the server is stopped from
	# after the first to well after the second is sent: the second waits
	# in the server's receive queue for ~500 ms
	timeout -s KILL 20 "$REQCLIENT" echo "unix:$sock" 3 100 300 >"$d/client" 2>&1 &
	cpid=$!
	_bg+=($cpid)
	sleep 0.15
	kill -STOP "$SRV_PID"
	t0=$(date +%s%N)
	sleep 0.65
	kill -CONT "$SRV_PID"
	t1=$(date +%s%N)
	paused=$(((t1 - t0) / 1000000))
	reap "$cpid" 10 && grep -qx turns=3 "$d/client" || { bail "echo client: $(head -c 200 "$d/client")"; return; }
	end_run "$d" || return
	# the first turn has no arrival (no connection known when its data
	# came); the two after it have
	unix_queue_verdict "$f" 3 max 300 "$paused"
}

t_unix_socket_backlog_wait_is_queue_time() {
	need_root || return
	need_bins || return
	local d=$TMP/ubl f=$TMP/ubl/r.json sock i pids=() t0 t1 paused
	mkdir -p "$d"
	sock=$d/echo.sock
	start_listener "$d/srv" "$ECHO_SRV" --unix "$sock" ||
		{ bail "echo_server --unix did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	# one turn per connection, as FastCGI pools serve them: the first
	# makes the listener known; the next 3 connect and write while the
	# server is stopped, and wait in its listen backlog
	timeout -s KILL 10 "$REQCLIENT" echo "unix:$sock" 1 100 >"$d/c0" 2>&1 ||
		{ bail "first client: $(head -c 200 "$d/c0")"; return; }
	kill -STOP "$SRV_PID"
	t0=$(date +%s%N)
	for ((i = 1; i <= 3; i++)); do
		timeout -s KILL 20 "$REQCLIENT" echo "unix:$sock" 1 100 >"$d/c$i" 2>&1 &
		pids+=($!)
		_bg+=($!)
	done
	sleep 0.6
	kill -CONT "$SRV_PID"
	t1=$(date +%s%N)
	paused=$(((t1 - t0) / 1000000))
	for i in "${!pids[@]}"; do
		reap "${pids[$i]}" 10 && grep -qx turns=1 "$d/c$((i + 1))" ||
			{ bail "client $((i + 1)): $(head -c 200 "$d/c$((i + 1))")"; return; }
	done
	end_run "$d" || return
	# the first connection has no arrival (its listener not known yet); 3
	# of the 4 waited (the p50 of 4 is the 2nd), from a few ms into the stop
	unix_queue_verdict "$f" 4 p50 400 "$paused"
}

t_request_and_response_bytes_match_curls() {
	need_root || return
	need_bins || return
	local d=$TMP/bytes f=$TMP/bytes/r.json i r out rq_b=0 rs_b=0 got_in got_out
	declare -A want_in want_out
	mkdir -p "$d"
	start_demo "$d/srv" || { bail "demo-server did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	# curl's own byte counts: what it sent, the response head and body it got
	for r in /fast /big; do
		want_in[$r]=0 want_out[$r]=0
		for ((i = 0; i < 5; i++)); do
			out=$(curl -fsS --max-time 10 -o /dev/null \
				-w '%{size_request} %{size_header} %{size_download}' "http://$SRV_ADDR$r") ||
				{ bail "curl $r: $out"; return; }
			read -r rq_b rs_b out <<<"$out"
			want_in[$r]=$((want_in[$r] + rq_b))
			want_out[$r]=$((want_out[$r] + rs_b + out))
		done
	done
	end_run "$d" || return
	for r in /fast /big; do
		[ "$(rq "$f" "$r" .count)" = 5 ] || { fail "$r: counted $(rq "$f" "$r" .count), want 5$(lost_note "$f")"; return; }
		got_in=$(rq "$f" "$r" .request_bytes)
		got_out=$(rq "$f" "$r" .response_bytes)
		[ "$got_in" = "${want_in[$r]}" ] ||
			{ fail "$r request_bytes $got_in, curl sent ${want_in[$r]}"; return; }
		[ "$got_out" = "${want_out[$r]}" ] ||
			{ fail "$r response_bytes $got_out, curl received ${want_out[$r]}"; return; }
	done
	pass "bytes in/out equal curl's: /fast ${want_in[/fast]}/${want_out[/fast]}, /big ${want_in[/big]}/${want_out[/big]}"
}

# nginx sends a static file's body with sendfile (its config: sendfile on),
# the head with writev: the response bytes are the whole of both, as curl
# received them (the syscall fallback sees the head only: README, Kernel
# paths; not borrowed by fallback.sh for it)
t_nginx_sendfile_response_bytes_match_curls() {
	need_root || return
	need_bins || return
	local ngx=/usr/sbin/nginx d=$TMP/sendfile f=$TMP/sendfile/r.json i out rs_b want=0 got rc
	[ -x "$ngx" ] || { skip "needs nginx ($ngx; apt-get install nginx-light)"; return; }
	mkdir -p "$d/www" "$d/tmp"
	head -c 65536 /dev/zero >"$d/www/file.bin"
	start_nginx_on "$d" "$ngx" "access_log off" "default_type application/octet-stream" ||
		{ bail "nginx did not start: $(tail -3 "$d/error.log" "$d/nginx.out" 2>/dev/null)"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$NGX_WORKER" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	for ((i = 0; i < 5; i++)); do
		out=$(curl -fsS --max-time 10 -o /dev/null -w '%{size_header} %{size_download}' \
			"http://127.0.0.1:$NGX_PORT/file.bin") || { bail "curl: $out"; return; }
		read -r rs_b out <<<"$out"
		want=$((want + rs_b + out))
	done
	sleep 0.3
	stop_trace
	rc=$?
	kill -TERM "$NGX_MASTER"
	reap "$NGX_MASTER" 5
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	[ "$(rq "$f" /file.bin .count)" = 5 ] ||
		{ fail "counted $(rq "$f" /file.bin .count), want 5$(lost_note "$f")"; return; }
	got=$(rq "$f" /file.bin .response_bytes)
	[ "$got" = "$want" ] || { fail "response_bytes $got, curl received $want (head and body)"; return; }
	pass "5 responses of a 64 KiB file sent with sendfile: $got bytes, as curl received"
}

t_expect_continue_interim_answer_is_not_the_response() {
	need_root || return
	need_bins || return
	local d=$TMP/cont f=$TMP/cont/r.json fd st i n mx md c body=$TMP/cont/body
	mkdir -p "$d"
	start_demo "$d/srv" || { bail "demo-server did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	# 3 on one kept-alive connection, each body sent 300 ms after the
	# server's "100 Continue": the request lasts from its head to the 200
	exec {fd}<>"/dev/tcp/127.0.0.1/$SRV_PORT" || { bail "cannot connect to demo-server"; return; }
	for ((i = 0; i < 3; i++)); do
		st=$(post_continue_on "$fd" /fast 1000 0.3)
		[ "$st" = "100 200" ] || { exec {fd}>&-; bail "POST $i with Expect: 100-continue: '$st'"; return; }
	done
	exec {fd}>&-
	# and 5 from curl, which sends the body once the 100 has come
	head -c 4096 /dev/zero >"$body"
	for ((i = 0; i < 5; i++)); do
		c=$(curl -s -o /dev/null -w '%{http_code}' -H 'Expect: 100-continue' --data-binary @"$body" \
			"http://$SRV_ADDR/fast") || c=curl-failed
		[ "$c" = 200 ] || { bail "curl POST $i: $c"; return; }
	done
	end_run "$d" || return
	[ "$(srv_count "$d/srv" /fast 200)" = 8 ] || { bail "demo-server answered $(srv_count "$d/srv" /fast 200), want 8"; return; }
	n=$(rq "$f" /fast .count)
	[ "$n" = 8 ] || { fail "8 POSTs answered 100 then 200: counted $n$(lost_note "$f")"; return; }
	[ "$(rq "$f" /fast '.status["200"] // 0')" = 8 ] || { fail "statuses: $(rq "$f" /fast '.status|tostring')"; return; }
	[ "$(counter "$f" unparsed_payloads)" = 0 ] ||
		{ fail "the bodies after the interim answers were taken for requests: unparsed_payloads $(counter "$f" unparsed_payloads)"; return; }
	[ "$(counter "$f" interim_answered)" = 8 ] ||
		{ fail "counters.interim_answered is $(counter "$f" interim_answered), want 8"; return; }
	# the 3 slow-body requests last from their head to the 200, 300 ms
	# and more; the 5 curl ones (the median) are fast
	mx=$(rq "$f" /fast .latency_ns.max)
	md=$(rq "$f" /fast .latency_ns.p50)
	[ "$mx" -ge 300000000 ] && [ "$mx" -lt 2000000000 ] ||
		{ fail "latency max $mx ns: want the 300 ms wait for the body in it"; return; }
	[ "$md" -lt 300000000 ] || { fail "latency p50 $md ns: only 3 of the 8 waited 300 ms"; return; }
	pass "8 counted as 200, latency max $((mx / 1000000)) ms (body 300 ms after the 100), p50 $((md / 1000)) us"
}

run_tests
