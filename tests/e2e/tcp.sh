#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# End-to-end tests of the tcp family: two hosts made of network namespaces
# joined by a veth pair (10.77.0.1 and .2, fd77::1 and ::2, only inside the
# namespaces this file creates), a tbf shaper and a tc BPF classifier of our
# own for bandwidth and loss, and tcpload, which counts and times for itself.
# Every figure slatrace gives is held against an independent one: the shaper's
# configured rate, the classifier's own drop count, `ss -ti`, the kernel's
# netstat counters, and the workload's own counts. Needs root, ip, tc, ss,
# clang and bpftool; everything is removed on exit.
. "$(dirname "$0")/lib.sh"

TCPLOAD=$ROOT/$BUILD/tests/tcpload
CLASSIFIER_SRC=$ROOT/tests/e2e/drop_every_nth.bpf.c
NSA=slt-tcp-$$-a
NSB=slt-tcp-$$-b
VA=sltt$$a
VB=sltt$$b
A4=10.77.0.1
B4=10.77.0.2
B6=fd77::2

# tearing down the namespaces is one more thing to undo at the end
trap 'kill_bg; net_down; rm -rf "$TMP"' EXIT

# bail MESSAGE: as lib.sh's, and the namespaces go too
bail() {
	kill_bg
	net_down
	fail "$*"
}

# net_up [TBF-RATE [TBF-LATENCY [TBF-BURST]]]: two fresh hosts; the A->B
# direction shaped by tbf when a rate is given. MTU 9000, so headers are under 1% of
# the bytes on the wire.
net_up() {
	net_down
	ip netns add "$NSA" && ip netns add "$NSB" &&
		ip link add "$VA" type veth peer name "$VB" &&
		ip link set "$VA" netns "$NSA" && ip link set "$VB" netns "$NSB" &&
		ip -n "$NSA" addr add "$A4/24" dev "$VA" &&
		ip -n "$NSB" addr add "$B4/24" dev "$VB" &&
		ip -n "$NSA" addr add fd77::1/64 dev "$VA" nodad &&
		ip -n "$NSB" addr add "$B6/64" dev "$VB" nodad &&
		ip -n "$NSA" link set "$VA" mtu 9000 up && ip -n "$NSB" link set "$VB" mtu 9000 up &&
		ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up || return 1
	[ -z "${1:-}" ] ||
		ip netns exec "$NSA" tc qdisc add dev "$VA" root tbf rate "$1" burst "${3:-64kb}" \
			latency "${2:-50ms}"
}

net_down() {
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	true
}

# in_ns NS OUT ARGS...: tcpload ARGS in namespace NS, stdout to OUT; sets BG_PID
in_ns() {
	local ns=$1 out=$2
	shift 2
	ip netns exec "$ns" "$TCPLOAD" "$@" >"$out" 2>"$out.err" &
	BG_PID=$!
	_bg+=("$BG_PID")
}

# server NS OUT ARGS...: a tcpload server, waited for; sets SRV_PID
server() {
	local ns=$1 out=$2
	shift 2
	in_ns "$ns" "$out" server "$@"
	SRV_PID=$BG_PID
	wait_for "$out" '^listening ' 5
}

# gated NS OUT ARGS...: a tcpload client held at its gate; sets CL_PID
gated() {
	local ns=$1 out=$2
	shift 2
	in_ns "$ns" "$out" --gate "$@"
	CL_PID=$BG_PID
	wait_for "$out" '^ready ' 5 && [ "$(awk '/^ready /{ print $2 }' "$out")" = "$CL_PID" ]
}

# ts FILE METRIC ENDPOINT JQ: a field of the one tcp series of that metric
# and endpoint ("10.77.0.2:5001", "[fd77::2]:5001" or ":5001")
ts() {
	jq -r --arg m "$2" --arg e "$3" "[.series[] | select(.family==\"tcp\" and
		.labels.metric==\$m and ((.labels.remote // (\":\" + .labels.port))==\$e))] |
		if length == 1 then .[0] | $4 else \"series-count-\" + (length | tostring) end" "$1"
}

# tsc FILE METRIC ENDPOINT COUNTER: a count of that series, 0 when absent
tsc() { ts "$1" "$2" "$3" ".counts.$4 // 0"; }

# entries in slatrace's tcp_socks map
map_entries() { map_len tcp_socks; }

need_all() {
	need_root || return 1
	local c
	for c in jq ip tc ss clang bpftool; do
		command -v "$c" >/dev/null || {
			skip "needs $c"
			return 1
		}
	done
	if [ ! -x "$SLATRACE" ] || [ ! -x "$TCPLOAD" ]; then
		fail "$SLATRACE or $TCPLOAD was not built (make && make $BUILD/tests/tcpload)"
		return 1
	fi
	net_up || {
		skip "cannot create network namespaces and a veth pair here"
		return 1
	}
}

# classifier NAME EVERY SYN_PORT: build the drop classifier, put it on B's
# ingress; its counts are read with classifier_count
classifier() {
	clang -O2 -g -target bpf -DEVERY="$2" -DSYN_PORT="$3" \
		-I/usr/include/"$(uname -m)"-linux-gnu -c "$CLASSIFIER_SRC" -o "$TMP/$1.o" ||
		return 1
	ip netns exec "$NSB" tc qdisc add dev "$VB" clsact &&
		ip netns exec "$NSB" tc filter add dev "$VB" ingress bpf da obj "$TMP/$1.o" sec tc
}

# classifier_count INDEX: 1 packets dropped, 2 segments dropped, 3 SYNs dropped
classifier_count() {
	local id
	id=$(ip netns exec "$NSB" tc filter show dev "$VB" ingress | grep -o 'id [0-9]*' | head -1 |
		awk '{ print $2 }')
	id=$(bpftool prog show id "$id" -j 2>/dev/null | jq -r '.map_ids[0]')
	# a number with BTF, little-endian hex bytes without
	bpftool map lookup id "$id" key "$1" 0 0 0 -j 2>/dev/null |
		jq -r '.value | if type == "array" then reverse | map(ltrimstr("0x")) | join("")
			| "0x" + . else tostring end' | xargs printf '%d\n'
}

# ---- bandwidth and RTT: one transfer through a 50 Mbit/s tbf, two verdicts ----

BULK_RATE=50000000

bulk_scenario() {
	local d=$TMP/bulk i
	[ -e "$d/ran" ] && return "$(cat "$d/ran")"
	mkdir -p "$d"
	echo 1 >"$d/ran"
	net_up 50mbit 100ms || return 1
	server "$NSB" "$d/sink" "$B4:5001" || return 1
	local sink=$SRV_PID
	server "$NSB" "$d/echo" "$B4:5002" --echo || return 1
	gated "$NSA" "$d/snd" send "$B4:5001" --bytes 40000000 || return 1
	local snd=$CL_PID
	gated "$NSA" "$d/rr" rr "$B4:5002" --count 100 --interval-ms 5 || return 1
	local rr=$CL_PID
	start_trace "$d/out" "$d/err" --tcp -p "$snd,$rr" --json "$d/r.json" || return 1
	# the unloaded RTT first, then the bulk transfer with ss sampling it
	kill -USR1 "$rr"
	reap "$rr" 20
	kill -USR1 "$snd"
	# one sampler inside the namespace: ss back to back while it runs
	ip netns exec "$NSA" bash -c 'for ((i = 0; i < 3000; i++)); do
		ss -tinH state established dport = :5001; sleep 0.005; done' >"$d/ss.raw" 2>/dev/null &
	local sampler=$!
	_bg+=("$sampler")
	reap "$snd" 60
	kill "$sampler" 2>/dev/null
	grep -oP '\brtt:\K[0-9.]+' "$d/ss.raw" >"$d/ss"
	grep -q '^sent=40000000' "$d/snd" || return 1
	stop_trace 20 || return 1
	kill -TERM "$sink"
	wait_for "$d/sink" '^accepted=' 5
	kill_bg
	net_down
	echo 0 >"$d/ran"
}

t_tbf_bulk_is_network_limited_at_the_shaped_rate() {
	need_all || return
	local d=$TMP/bulk f lim rate rcv share
	bulk_scenario || { bail "the bulk transfer did not run: $(cat "$d/err" "$d"/*.err 2>/dev/null | head -c 600)"; return; }
	f=$d/r.json
	lim=$(tsc "$f" conn "$B4:5001" limited_network)
	rate=$(tsc "$f" conn "$B4:5001" send_rate_bps)
	share=$(ts "$f" conn "$B4:5001" '.counts.network_limited_us * 100 / (.counts.network_limited_us + .counts.receiver_limited_us + .counts.sndbuf_limited_us + .counts.application_limited_us) | floor')
	rcv=$(awk '/^accepted=/{ for (i = 1; i <= NF; i++) if ($i ~ /^rate_bps=/) { sub("rate_bps=", "", $i); print $i } }' "$d/sink")
	[ "$lim" = 1 ] || { fail "verdict: limited_network=$lim, want the one connection; $(ts "$f" conn "$B4:5001" .counts)"; return; }
	send_times "$f" "$B4:5001" "$d/snd" || { fail "$SEND_TIMES"; return; }
	within "$rate" "$BULK_RATE" 5 0 || { fail "send rate $rate bit/s, tbf rate $BULK_RATE"; return; }
	pass "network-limited ${share}% of its life; send rate $rate bit/s: $(pct_err "$rate" "$BULK_RATE" 1)% vs tbf 50 Mbit/s, $(pct_err "$rate" "$rcv" 1)% vs the receiver's own $rcv; $SEND_TIMES"
}

t_rtt_rises_behind_the_tbf_queue_and_matches_ss() {
	need_all || return
	local d=$TMP/bulk f p50 idle n ssp50
	bulk_scenario || { bail "the bulk transfer did not run"; return; }
	f=$d/r.json
	p50=$(ts "$f" srtt "$B4:5001" .latency_ns.p50)
	idle=$(ts "$f" srtt "$B4:5002" .latency_ns.p50)
	n=$(wc -l <"$d/ss")
	[ "$n" -ge 20 ] || { fail "only $n ss samples"; return; }
	ssp50=$(sort -g "$d/ss" | awk '{ v[NR] = $1 } END { r = int(NR * 0.5 + 0.999999); print int(v[r] * 1000000) }')
	[ "$idle" -gt 0 ] && [ "$p50" -gt $((idle * 10)) ] ||
		{ fail "srtt p50 under load $p50 ns, unloaded $idle ns: no rise"; return; }
	within "$p50" "$ssp50" 10 0 || { fail "srtt p50 $p50 ns, ss -ti p50 $ssp50 ns ($n samples)"; return; }
	pass "unloaded p50 ${idle} ns, behind tbf $p50 ns; $(pct_err "$p50" "$ssp50" 1)% vs ss -ti p50 $ssp50 ns ($n samples)"
}

# traced_send DIR BYTES SECONDS: trace the gated sender (CL_PID, its output
# in DIR/snd) with --tcp into DIR/r.json, let it go, wait for it to have
# sent BYTES, stop slatrace; its exit status in TRACE_RC. Bails (returns 1)
# when slatrace does not start or the sender falls short.
traced_send() {
	start_trace "$1/out" "$1/err" --tcp -p "$CL_PID" --json "$1/r.json" ||
		{ bail "slatrace did not start: $(head -c 500 "$1/err")"; return 1; }
	kill -USR1 "$CL_PID"
	reap "$CL_PID" "$3"
	grep -q "^sent=$2" "$1/snd" || { bail "sender failed: $(cat "$1/snd" "$1/snd.err")"; return 1; }
	stop_trace 20
	TRACE_RC=$?
}

# ---- what limited sending ----

# send_times FILE ENDPOINT SNDOUT: slatrace's send times of the connection to
# ENDPOINT against the sender's own tcp_info, read after the peer had
# acknowledged everything (tcpload send). Both are the kernel's chrono_stat
# jiffies times USEC_PER_SEC/HZ; slatrace takes them at CLOSE, which the
# peer's FIN causes before the sender's read returns, and by then nothing is
# left to send, so no period is running: equal, to the microsecond, at any
# load. Sets SEND_TIMES (for the message); returns 1 on a mismatch.
send_times() {
	local net rwnd snd tb tr ts
	net=$(tsc "$1" conn "$2" network_limited_us)
	rwnd=$(tsc "$1" conn "$2" receiver_limited_us)
	snd=$(tsc "$1" conn "$2" sndbuf_limited_us)
	tb=$(kv busy_us "$(grep '^sent=' "$3")")
	tr=$(kv rwnd_limited_us "$(grep '^sent=' "$3")")
	ts=$(kv sndbuf_limited_us "$(grep '^sent=' "$3")")
	SEND_TIMES="network/receiver/sndbuf-limited ${net}/${rwnd}/${snd} us; the sender's tcp_info busy ${tb}, of it rwnd ${tr}, sndbuf ${ts} us"
	[ -n "$tb" ] && [ "$rwnd" = "$tr" ] && [ "$snd" = "$ts" ] && [ "$((net + rwnd + snd))" = "$tb" ]
}

t_slow_writer_is_application_limited() {
	need_all || return
	local d=$TMP/sw f rc
	mkdir -p "$d"
	server "$NSB" "$d/srv" "$B4:5003" || { bail "server did not start"; return; }
	gated "$NSA" "$d/snd" send "$B4:5003" --bytes 400000 --write-size 4000 --write-delay 10 ||
		{ bail "sender did not get ready"; return; }
	traced_send "$d" 400000 30 || return
	rc=$TRACE_RC
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	[ "$(tsc "$f" conn "$B4:5003" limited_application)" = 1 ] ||
		{ fail "verdict: $(ts "$f" conn "$B4:5003" .counts)"; return; }
	[ "$(tsc "$f" conn "$B4:5003" bytes_out)" = 400000 ] ||
		{ fail "bytes_out $(tsc "$f" conn "$B4:5003" bytes_out), the writer wrote 400000"; return; }
	send_times "$f" "$B4:5003" "$d/snd" || { fail "$SEND_TIMES"; return; }
	pass "application-limited; bytes out 400000 exactly; $SEND_TIMES"
}

t_slow_reader_is_receiver_limited() {
	need_all || return
	local d=$TMP/sr f rc
	mkdir -p "$d"
	server "$NSB" "$d/srv" "$B4:5004" --rcvbuf 65536 --read-size 16384 --read-delay 10 ||
		{ bail "server did not start"; return; }
	gated "$NSA" "$d/snd" send "$B4:5004" --bytes 3000000 ||
		{ bail "sender did not get ready"; return; }
	traced_send "$d" 3000000 60 || return
	rc=$TRACE_RC
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	[ "$(tsc "$f" conn "$B4:5004" limited_receiver)" = 1 ] ||
		{ fail "verdict: $(ts "$f" conn "$B4:5004" .counts)"; return; }
	send_times "$f" "$B4:5004" "$d/snd" || { fail "$SEND_TIMES"; return; }
	pass "receiver-limited ($(ts "$f" conn "$B4:5004" '.counts.receiver_limited_us / 1000 | floor') ms of $(ts "$f" conn "$B4:5004" '.latency_ns.max / 1000000 | floor') ms); $SEND_TIMES"
}

# ---- loss ----

t_retransmits_match_the_classifiers_drops() {
	need_all || return
	local d=$TMP/loss f rc segs pkts rt
	mkdir -p "$d"
	net_up 100mbit 20ms || { bail "cannot shape the link"; return; }
	# one segment per packet, so "every Nth packet" is every Nth segment
	ip -n "$NSA" link set "$VA" gso_max_segs 1 || { bail "cannot limit GSO on the link"; return; }
	classifier loss 25 0 || { bail "cannot build or attach the drop classifier"; return; }
	server "$NSB" "$d/srv" "$B4:5005" || { bail "server did not start"; return; }
	gated "$NSA" "$d/snd" send "$B4:5005" --bytes 20000000 ||
		{ bail "sender did not get ready"; return; }
	traced_send "$d" 20000000 60 || return
	rc=$TRACE_RC
	segs=$(classifier_count 2)
	pkts=$(classifier_count 1)
	kill_bg
	net_down
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	rt=$(tsc "$f" conn "$B4:5005" retrans)
	[ -n "$segs" ] && [ "$segs" -gt 20 ] || { fail "the classifier dropped only '$segs' segments"; return; }
	within "$rt" "$segs" 10 0 || { fail "retransmitted segments $rt, classifier dropped $segs ($pkts packets)"; return; }
	pass "retransmits $rt, classifier drops $segs segments in $pkts packets: $(pct_err "$rt" "$segs" 1)%"
}

# ---- connects ----

# connects_run DIR PORT N REF_PORT REF_N [VAR=VALUE ...]: N connects, 100
# bytes sent on each, to a server on PORT and REF_N refused ones on
# REF_PORT, from two tcpload clients traced together by slatrace (given
# the environment named) into DIR/r.json; AT_RUN, when set, names a function
# run while they are traced. Sets RUN_RC (slatrace's exit status) and TOK,
# TREF (tcpload's own counts); 1, with the reason in RUN_WHY, when something
# did not start.
connects_run() {
	local d=$1 port=$2 n=$3 rport=$4 rn=$5 c1 c2
	shift 5
	mkdir -p "$d"
	RUN_WHY="server did not start"
	server "$NSB" "$d/srv" "$B4:$port" || return 1
	RUN_WHY="client did not get ready"
	gated "$NSA" "$d/ok" connects "$B4:$port" --count "$n" --send 100 || return 1
	c1=$CL_PID
	gated "$NSA" "$d/ref" connects "$B4:$rport" --count "$rn" || return 1
	c2=$CL_PID
	# exported for slatrace, and gone (or as they were) when this returns
	local v started
	for v in "$@"; do local -x "${v?}"; done
	start_trace "$d/out" "$d/err" --tcp -p "$c1,$c2" --json "$d/r.json"
	started=$?
	RUN_WHY="slatrace did not start: $(head -c 500 "$d/err")"
	[ "$started" = 0 ] || return 1
	[ -z "${AT_RUN:-}" ] || "$AT_RUN"
	kill -USR1 "$c1" "$c2"
	reap "$c1" 30
	reap "$c2" 30
	stop_trace 20
	RUN_RC=$?
	kill_bg
	TOK=$(kv ok "$(cat "$d/ok")")
	TREF=$(kv refused "$(cat "$d/ref")")
	return 0
}

t_refused_and_successful_connects_are_counted_exactly() {
	need_all || return
	local d=$TMP/conn f ok ref tok tref
	connects_run "$d" 5006 300 5007 200 || { bail "$RUN_WHY"; return; }
	[ "$RUN_RC" = 0 ] || { fail "slatrace exited $RUN_RC: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	tok=$TOK tref=$TREF
	ok=$(tsc "$f" connect "$B4:5006" established)
	ref=$(tsc "$f" connect "$B4:5007" refused)
	[ "$tok" = 300 ] && [ "$tref" = 200 ] || { fail "tcpload itself: ok=$tok refused=$tref"; return; }
	[ "$ok" = 300 ] || { fail "established $ok, tcpload connected 300"; return; }
	[ "$ref" = 200 ] || { fail "refused $ref, tcpload was refused 200 times"; return; }
	[ "$(tsc "$f" connect "$B4:5006" refused)" = 0 ] && [ "$(tsc "$f" connect "$B4:5007" established)" = 0 ] ||
		{ fail "outcomes crossed: $(ts "$f" connect "$B4:5006" .counts) $(ts "$f" connect "$B4:5007" .counts)"; return; }
	# count is attempts: every connect tcpload made, timed or not
	[ "$(ts "$f" connect "$B4:5006" .count)" = 300 ] && [ "$(ts "$f" connect "$B4:5007" .count)" = 200 ] ||
		{ fail "connect count $(ts "$f" connect "$B4:5006" .count) and $(ts "$f" connect "$B4:5007" .count), tcpload attempted 300 and 200; $(conn_diag "$f" "$B4:5006")"; return; }
	# each connection reported once, closed or, when its close had not
	# completed by the end (FIN_WAIT1 waiting on a delayed ACK, after the
	# client exited), open at the end
	[ "$(tsc "$f" conn "$B4:5006" bytes_out)" = 30000 ] &&
		[ $(($(tsc "$f" conn "$B4:5006" closed) + $(tsc "$f" conn "$B4:5006" open_at_end))) = 300 ] ||
		{ fail "bytes_out $(tsc "$f" conn "$B4:5006" bytes_out), tcpload sent 30000; $(conn_diag "$f" "$B4:5006")"; return; }
	pass "300 established, 200 refused; connect p50 $(ts "$f" connect "$B4:5006" .latency_ns.p50) ns; $(conn_diag "$f" "$B4:5006")"
}

# conn_diag FILE ENDPOINT: what a failure message needs to tell a lost
# record from an undercounted one
conn_diag() {
	echo "closed $(tsc "$1" conn "$2" closed), open at the end $(tsc "$1" conn "$2" open_at_end)," \
		"untimed $(tsc "$1" connect "$2" established_untimed), SYN resends $(tsc "$1" connect "$2" syn_retrans)," \
		"not flushed $(counter "$1" tcp_conns_not_flushed), tracepoint misses $(counter "$1" tcp_tracepoint_misses)," \
		"lost $(jq -c .lost.total "$1")"
}

# sum_buckets FILE METRIC ENDPOINT: the samples in that series' histogram
sum_buckets() { ts "$1" "$2" "$3" '[.buckets[][2]] | add // 0'; }

# A connect whose change to ESTABLISHED was not seen (docs/tcp.md, "connects
# seen late") is still an attempt: in count, in established and
# established_untimed, with no latency sample. Such a miss is rare and
# cannot be caused from outside, so a test-only setting hides every other
# connect's ESTABLISHED from the state change program, as a skipped
# tracepoint run would; what follows is the real path (the connection's
# next state change proves it got through). The truth is tcpload's counts.
t_connects_with_an_unseen_handshake_count_as_attempts() {
	need_all || return
	local d=$TMP/unseen f tok tref n e u h b
	connects_run "$d" 5018 100 5019 50 SLATRACE_TEST_TCP_UNSEEN_EVERY=2 || { bail "$RUN_WHY"; return; }
	[ "$RUN_RC" = 0 ] || { fail "slatrace exited $RUN_RC: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	tok=$TOK tref=$TREF
	[ "$tok" = 100 ] && [ "$tref" = 50 ] || { fail "tcpload itself: ok=$tok refused=$tref"; return; }
	n=$(ts "$f" connect "$B4:5018" .count)
	e=$(tsc "$f" connect "$B4:5018" established)
	u=$(tsc "$f" connect "$B4:5018" established_untimed)
	h=$(sum_buckets "$f" connect "$B4:5018")
	# every other one hidden: 50; a real miss on top could only add
	[ "$e" = 100 ] && [ "$u" -ge 50 ] && [ "$h" = $((e - u)) ] ||
		{ fail "established $e (tcpload 100), untimed $u (want >= 50 hidden), histogram $h (want $((e - u)))"; return; }
	[ "$n" = "$tok" ] ||
		{ fail "connect count $n, tcpload attempted $tok (established $e, untimed $u, timed $h)"; return; }
	[ "$(ts "$f" connect "$B4:5018" .untimed)" = "$u" ] ||
		{ fail "the series' untimed $(ts "$f" connect "$B4:5018" .untimed), established_untimed $u"; return; }
	[ "$(ts "$f" connect "$B4:5019" .count)" = "$tref" ] && [ "$(tsc "$f" connect "$B4:5019" refused)" = "$tref" ] ||
		{ fail "refused: count $(ts "$f" connect "$B4:5019" .count), refused $(tsc "$f" connect "$B4:5019" refused), tcpload $tref"; return; }
	# the untimed ones' bytes count whole, from their connect()
	b=$(tsc "$f" conn "$B4:5018" bytes_out)
	[ "$b" = 10000 ] || { fail "bytes_out $b, tcpload sent 100 x 100; $(conn_diag "$f" "$B4:5018")"; return; }
	# the text report's ATTEMPTS column is the same count
	awk -v ep="$B4:5018" '$2 == ep { print $3; exit }' "$d/out" | grep -qx "$tok" ||
		{ fail "text report ATTEMPTS for $B4:5018: $(awk -v ep="$B4:5018" '$2 == ep' "$d/out"), want $tok"; return; }
	pass "count $n = tcpload's $tok attempts: established $e, $u untimed, $h timed; refused $tref; bytes_out $b"
}

t_connection_closing_at_the_end_is_reported_with_its_acked_bytes() {
	need_all || return
	local d=$TMP/orphan f rc st
	mkdir -p "$d"
	server "$NSB" "$d/srv" "$B4:5017" || { bail "server did not start"; return; }
	gated "$NSA" "$d/cl" connects "$B4:5017" --count 1 --send 100 --hold ||
		{ bail "client did not get ready"; return; }
	local cl=$CL_PID
	start_trace "$d/out" "$d/err" --tcp -p "$cl" --json "$d/r.json" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	kill -USR1 "$cl"
	wait_for "$d/cl" '^holding' 5 || { bail "client did not connect: $(cat "$d/cl.err")"; return; }
	# its 100 bytes acknowledged, B's link goes down: the client's FIN is
	# never acknowledged, and its socket, closed and let go, stays in
	# FIN_WAIT1 past the end of the run
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$NSA" ss -tniH dport = :5017 | grep -q 'bytes_acked:101 ' && break
		sleep 0.1
	done
	ip -n "$NSB" link set "$VB" down || { bail "cannot take B's link down"; return; }
	kill -USR1 "$cl"
	reap "$cl" 10
	st=$(ip netns exec "$NSA" ss -tnH dport = :5017 | awk '{ print $1 }')
	stop_trace 20
	rc=$?
	kill_bg
	net_down
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	[ "$st" = FIN-WAIT-1 ] || { fail "the client's socket is in '$st' at the end, want FIN-WAIT-1"; return; }
	# before 5.14 (no syscall programs, no bpf_for_each_map_elem) there is
	# no end-of-run pass: the connection is counted as not flushed, and
	# not reported (docs/tcp.md); the kernel's version is the outside word
	if [ "$(uname -r | awk -F'[.-]' '{ printf "%d", $1 * 1000 + $2 }')" -lt 5014 ]; then
		# no record: no series of it, or one (another test's) closing nothing
		local c
		c=$(tsc "$f" conn "$B4:5017" closed)
		[ "$(counter "$f" tcp_conns_not_flushed)" = 1 ] && { [ "$c" = 0 ] || [ "$c" = series-count-0 ]; } ||
			{ fail "before 5.14: $(ts "$f" conn "$B4:5017" .counts); $(conn_diag "$f" "$B4:5017")"; return; }
		pass "closed by the client, in FIN-WAIT-1 at the end, before 5.14: counted in tcp_conns_not_flushed, not reported"
		return
	fi
	[ "$(tsc "$f" conn "$B4:5017" open_at_end)" = 1 ] && [ "$(tsc "$f" conn "$B4:5017" closed)" = 0 ] &&
		[ "$(tsc "$f" conn "$B4:5017" bytes_out)" = 100 ] && [ "$(counter "$f" tcp_conns_not_flushed)" = 0 ] ||
		{ fail "$(ts "$f" conn "$B4:5017" .counts); $(conn_diag "$f" "$B4:5017")"; return; }
	pass "closed by the client, in FIN-WAIT-1 at the end: open at the end, 100 bytes out"
}

t_connects_to_a_silent_port_time_out() {
	need_all || return
	local d=$TMP/tmo f rc n syn p pids=()
	mkdir -p "$d"
	classifier syn 1000000 5008 || { bail "cannot build or attach the SYN-dropping classifier"; return; }
	server "$NSB" "$d/srv" "$B4:5008" || { bail "server did not start"; return; }
	for i in 1 2 3; do
		gated "$NSA" "$d/c$i" connects "$B4:5008" --count 1 --syncnt 1 ||
			{ bail "client did not get ready"; return; }
		pids+=("$CL_PID")
	done
	start_trace "$d/out" "$d/err" --tcp -p "$(IFS=,; echo "${pids[*]}")" --json "$d/r.json" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	kill -USR1 "${pids[@]}"
	for p in "${pids[@]}"; do reap "$p" 20; done
	stop_trace 20
	rc=$?
	n=$(classifier_count 3)
	kill_bg
	net_down
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	[ "$(cat "$d"/c? | grep -c 'timedout=1')" = 3 ] || { fail "tcpload: $(cat "$d"/c?)"; return; }
	[ "$(tsc "$f" connect "$B4:5008" timed_out)" = 3 ] ||
		{ fail "timed out: $(ts "$f" connect "$B4:5008" .counts), tcpload timed out 3"; return; }
	syn=$(tsc "$f" connect "$B4:5008" syn_retrans)
	[ "$syn" = $((n - 3)) ] || { fail "SYN retransmits $syn, classifier dropped $n SYNs for 3 connects"; return; }
	pass "3 timed out; $syn SYN retransmits, classifier dropped $n SYNs"
}

t_resets_are_counted_at_both_ends() {
	need_all || return
	local d=$TMP/rst f rc sent recv tsrv tcl
	mkdir -p "$d"
	gated "$NSB" "$d/srv" server "$B4:5015" --abort || { bail "server did not get ready"; return; }
	local srv=$CL_PID
	gated "$NSA" "$d/cl" connects "$B4:5015" --count 50 --parallel 5 --send 100 ||
		{ bail "client did not get ready"; return; }
	local cl=$CL_PID
	start_trace "$d/out" "$d/err" --tcp -p "$srv,$cl" --json "$d/r.json" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	kill -USR1 "$srv"
	wait_for "$d/srv" '^listening ' 5 || { bail "server did not listen"; return; }
	kill -USR1 "$cl"
	reap "$cl" 30
	kill -TERM "$srv"
	wait_for "$d/srv" '^accepted=' 5
	stop_trace 20
	rc=$?
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	tsrv=$(kv accepted "$(grep '^accepted=' "$d/srv")")
	tcl=$(kv reset "$(cat "$d/cl")")
	sent=$(tsc "$f" conn :5015 resets_sent)
	recv=$(tsc "$f" conn "$B4:5015" resets_received)
	[ "$tsrv" = 50 ] && [ "$tcl" = 50 ] || { fail "tcpload: server aborted $tsrv, client saw $tcl resets"; return; }
	[ "$sent" = 50 ] && [ "$recv" = 50 ] ||
		{ fail "resets sent $sent (server aborted 50), received $recv (client saw 50)"; return; }
	pass "50 aborts: 50 resets sent by the server, 50 received by the client, as both counted"
}

# ---- accept side ----

# accept_run NAME DELAY_MS: 20 stamped connections held while a server that
# sleeps DELAY_MS before each accept() serves them; result in $TMP/NAME
accept_run() {
	local d=$TMP/$1 rc
	mkdir -p "$d"
	net_up || return 1
	gated "$NSB" "$d/srv" server "$B4:5009" --backlog 64 --accept-delay "$2" || return 1
	local srv=$CL_PID
	gated "$NSA" "$d/cl" connects "$B4:5009" --count 20 --parallel 20 --stamp || return 1
	local cl=$CL_PID
	start_trace "$d/out" "$d/err" --tcp -p "$srv" --json "$d/r.json" || return 1
	kill -USR1 "$srv"
	wait_for "$d/srv" '^listening ' 5 || return 1
	kill -USR1 "$cl"
	reap "$cl" 30
	grep -q '^ok=20 ' "$d/cl" || return 1
	stop_trace 20
	rc=$?
	kill -TERM "$srv"
	reap "$srv" 5
	kill_bg
	return $rc
}

t_accept_wait_grows_when_the_server_sleeps_before_accept() {
	need_all || return
	local f0 f1 w0 w1 t1 qmax
	accept_run acc0 0 || { bail "the prompt server run failed: $(head -c 400 "$TMP/acc0/err")"; return; }
	accept_run acc1 40 || { bail "the sleepy server run failed: $(head -c 400 "$TMP/acc1/err")"; return; }
	f0=$TMP/acc0/r.json
	f1=$TMP/acc1/r.json
	[ "$(tsc "$f1" accept :5009 accepted)" = 20 ] ||
		{ fail "accepted $(tsc "$f1" accept :5009 accepted), the server took 20"; return; }
	w0=$(ts "$f0" accept :5009 .latency_ns.p50)
	w1=$(ts "$f1" accept :5009 .latency_ns.p50)
	t1=$(kv wait_p50_ns "$(grep '^accepted=' "$TMP/acc1/srv")")
	qmax=$(tsc "$f1" accept :5009 queue_len_max)
	[ "$w1" -gt $((w0 * 10)) ] && [ "$w1" -gt 100000000 ] ||
		{ fail "accept wait p50 $w0 ns prompt, $w1 ns with 40 ms sleeps: no growth"; return; }
	within "$w1" "$t1" 5 1000000 ||
		{ fail "accept wait p50 $w1 ns, the server's own $t1 ns"; return; }
	[ "$(tsc "$f1" accept :5009 backlog)" = 64 ] && [ "$qmax" -ge 10 ] ||
		{ fail "queue max $qmax (want >= 10 of the 20), backlog $(tsc "$f1" accept :5009 backlog) (want 64)"; return; }
	pass "p50 $w0 ns prompt, $w1 ns sleepy ($(pct_err "$w1" "$t1" 1)% vs the server's own); queue max $qmax of backlog 64"
}

t_listen_overflows_match_the_kernels_netstat() {
	need_all || return
	local d=$TMP/ovf f rc before after got want
	mkdir -p "$d"
	gated "$NSB" "$d/srv" server "$B4:5010" --backlog 1 --accept-delay 300 ||
		{ bail "server did not get ready"; return; }
	local srv=$CL_PID
	gated "$NSA" "$d/cl" connects "$B4:5010" --count 5 --parallel 5 --stamp ||
		{ bail "client did not get ready"; return; }
	local cl=$CL_PID
	start_trace "$d/out" "$d/err" --tcp -p "$srv" --json "$d/r.json" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	before=$(ip netns exec "$NSB" awk '/^TcpExt:/ { if (!n) { for (i = 1; i <= NF; i++) k[i] = $i; n = 1 } else for (i = 1; i <= NF; i++) if (k[i] == "ListenOverflows") print $i }' /proc/net/netstat)
	kill -USR1 "$srv"
	wait_for "$d/srv" '^listening ' 5
	kill -USR1 "$cl"
	reap "$cl" 40
	after=$(ip netns exec "$NSB" awk '/^TcpExt:/ { if (!n) { for (i = 1; i <= NF; i++) k[i] = $i; n = 1 } else for (i = 1; i <= NF; i++) if (k[i] == "ListenOverflows") print $i }' /proc/net/netstat)
	stop_trace 20
	rc=$?
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	got=$(counter "$f" tcp_listen_overflows)
	want=$((after - before))
	[ "$want" -gt 0 ] || { fail "the test made no overflow (netstat $before -> $after)"; return; }
	[ "$got" = "$want" ] || { fail "listen overflows $got, the namespace's netstat moved by $want"; return; }
	grep -q "ListenOverflows" "$d/out" || { fail "the text report does not name the source"; return; }
	pass "$got overflows, as netstat; queue full seen at $(tsc "$f" accept :5010 queue_full) accepts"
}

# netstat NS NAME: a TcpExt counter of namespace NS (/proc/net/netstat)
netstat() {
	ip netns exec "$1" awk -v want="$2" '/^TcpExt:/ { if (!n) { for (i = 1; i <= NF; i++) k[i] = $i; n = 1 }
		else for (i = 1; i <= NF; i++) if (k[i] == want) print $i }' /proc/net/netstat
}

# sum KEY FILES...: a k=v field summed over tcpload output lines
sum() {
	local k=$1 t=0 f v
	shift
	for f; do
		v=$(kv "$k" "$(cat "$f")")
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# A backlog of 4 made to overflow on purpose: the server listens but accepts
# nothing until the kernel has counted an overflow, then accepts slowly,
# while two clients each open 20 connections at once. Some SYNs are dropped
# and resent, some handshakes complete at the client while the server drops
# the final ACK (and resends its SYN-ACK). How many of each depends on timing,
# so nothing is asserted on that: every outcome slatrace reports is held
# against the same outcome counted by someone else, exactly.
t_accept_queue_overflow_outcomes_match_the_clients() {
	need_all || return
	local d=$TMP/qovf f rc n=40 c1 c2 srv i
	local ovf0 ovf1 drop0 drop1 srA0 srA1 srB0 srB1 got want q bl
	mkdir -p "$d"
	# a slow A->B link (a few packets a second, none dropped): handshakes
	# last long enough to overlap, so a final ACK too can find the queue full
	net_up 20kbit 30s 200 || { bail "cannot shape the link"; return; }
	gated "$NSB" "$d/srv" server "$B4:5016" --backlog 4 --accept-delay 20 --hold --conns "$n" ||
		{ bail "server did not get ready"; return; }
	srv=$CL_PID
	gated "$NSA" "$d/c1" connects "$B4:5016" --count 20 --parallel 20 --send 100 ||
		{ bail "client did not get ready"; return; }
	c1=$CL_PID
	gated "$NSA" "$d/c2" connects "$B4:5016" --count 20 --parallel 20 --send 100 ||
		{ bail "client did not get ready"; return; }
	c2=$CL_PID
	start_trace "$d/out" "$d/err" --tcp -p "$srv,$c1,$c2" --json "$d/r.json" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	ovf0=$(netstat "$NSB" ListenOverflows)
	drop0=$(netstat "$NSB" ListenDrops)
	srB0=$(netstat "$NSB" TCPSynRetrans)
	srA0=$(netstat "$NSA" TCPSynRetrans)
	kill -USR1 "$srv"
	wait_for "$d/srv" '^listening ' 5 || { bail "server did not listen"; return; }
	kill -USR1 "$c1" "$c2"
	# nobody accepts: the sixth handshake must overflow, however slow
	for ((i = 0; i < 600; i++)); do
		[ "$(netstat "$NSB" ListenOverflows)" -gt "$ovf0" ] && break
		sleep 0.1
	done
	# held a while longer, past the first SYN and SYN-ACK resends (1 s):
	# what is resent while it is full is counted too (not a bound)
	sleep 1.5
	kill -USR1 "$srv"
	wait_for "$d/srv" '^released ' 5 || { bail "server was not released"; return; }
	reap "$c1" 180
	reap "$c2" 180
	reap "$srv" 30
	ovf1=$(netstat "$NSB" ListenOverflows)
	drop1=$(netstat "$NSB" ListenDrops)
	srB1=$(netstat "$NSB" TCPSynRetrans)
	srA1=$(netstat "$NSA" TCPSynRetrans)
	stop_trace 20
	rc=$?
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	[ "$ovf1" -gt "$ovf0" ] || { fail "the queue never overflowed (ListenOverflows $ovf0 -> $ovf1)"; return; }
	# the clients' own outcomes, each connect counted once
	local ok ref tmo unr oth syn
	ok=$(sum ok "$d/c1" "$d/c2")
	ref=$(sum refused "$d/c1" "$d/c2")
	tmo=$(sum timedout "$d/c1" "$d/c2")
	unr=$(sum unreachable "$d/c1" "$d/c2")
	oth=$(sum other "$d/c1" "$d/c2")
	syn=$(sum syn_retrans "$d/c1" "$d/c2")
	[ $((ok + ref + tmo + unr + oth)) = "$n" ] ||
		{ fail "tcpload accounted for $((ok + ref + tmo + unr + oth)) of $n connects: $(cat "$d/c1" "$d/c2")"; return; }
	got="$(tsc "$f" connect "$B4:5016" established) $(tsc "$f" connect "$B4:5016" refused) $(tsc "$f" connect "$B4:5016" timed_out) $(tsc "$f" connect "$B4:5016" unreachable) $(tsc "$f" connect "$B4:5016" failed_other)"
	want="$ok $ref $tmo $unr $oth"
	[ "$got" = "$want" ] ||
		{ fail "established/refused/timed out/unreachable/other: slatrace $got, the clients $want ($(cat "$d/c1" "$d/c2" | tr '\n' ' '))"; return; }
	[ "$(ts "$f" connect "$B4:5016" .count)" = $((ok + ref + tmo + unr + oth)) ] ||
		{ fail "connect count $(ts "$f" connect "$B4:5016" .count), the clients attempted $((ok + ref + tmo + unr + oth)) ($(tsc "$f" connect "$B4:5016" established_untimed) untimed)"; return; }
	[ "$(tsc "$f" connect "$B4:5016" syn_retrans)" = "$syn" ] && [ "$syn" = $((srA1 - srA0)) ] ||
		{ fail "SYN retransmits: slatrace $(tsc "$f" connect "$B4:5016" syn_retrans), the clients' tcp_info $syn, the client namespace's TCPSynRetrans $((srA1 - srA0))"; return; }
	# the server's side
	[ "$(tsc "$f" accept :5016 accepted)" = "$(kv accepted "$(grep '^accepted=' "$d/srv")")" ] ||
		{ fail "accepted $(tsc "$f" accept :5016 accepted), the server $(grep '^accepted=' "$d/srv")"; return; }
	# exact but for one known gap: on rare loaded runs one tracepoint run is
	# not seen, with no skip counted (docs/tcp.md, "seen late"; 1 of 3
	# fresh-machine runs here showed it for a SYN-ACK resend): never more
	# than the kernel counted, at most one (plus counted skips) fewer
	local sa=$(tsc "$f" accept :5016 synack_retrans) sk=$((srB1 - srB0)) miss
	miss=$(counter "$f" tcp_tracepoint_misses)
	[ "$sa" -le "$sk" ] && [ "$((sk - sa))" -le $((1 + miss)) ] ||
		{ fail "SYN-ACK retransmits $sa, the server namespace's TCPSynRetrans $sk (tracepoint misses $miss)"; return; }
	[ "$(counter "$f" tcp_listen_overflows)" = $((ovf1 - ovf0)) ] && [ "$(counter "$f" tcp_listen_drops)" = $((drop1 - drop0)) ] ||
		{ fail "listen overflows/drops $(counter "$f" tcp_listen_overflows)/$(counter "$f" tcp_listen_drops), netstat $((ovf1 - ovf0))/$((drop1 - drop0))"; return; }
	# the queue the server found when it was let go (its listener's
	# tcp_info): full, so its first accept found it over the backlog
	q=$(kv queue "$(grep '^released ' "$d/srv")")
	bl=$(kv backlog "$(grep '^released ' "$d/srv")")
	[ "$bl" = 4 ] && [ "$q" -gt "$bl" ] || { fail "the server saw queue $q, backlog $bl: not full"; return; }
	[ "$(tsc "$f" accept :5016 backlog)" = "$bl" ] && [ "$(tsc "$f" accept :5016 queue_len_max)" -ge "$q" ] &&
		[ "$(tsc "$f" accept :5016 queue_full)" -ge 1 ] ||
		{ fail "queue: $(ts "$f" accept :5016 .counts), the server saw $q queued of backlog $bl"; return; }
	[ "$(jq -r '.lost.total' "$f")" = 0 ] || { fail "lost: $(jq -c .lost "$f")"; return; }
	pass "$ok established as the clients ($(tsc "$f" connect "$B4:5016" established_untimed) untimed), $syn SYN retransmits as their tcp_info and netstat, $(tsc "$f" accept :5016 synack_retrans) SYN-ACK retransmits and $((ovf1 - ovf0)) overflows as netstat, queue_full $(tsc "$f" accept :5016 queue_full); tracepoint misses $(counter "$f" tcp_tracepoint_misses)"
}

# ---- edge cases ----

t_connection_from_before_tracing_counts_the_run_only() {
	need_all || return
	local d=$TMP/pre f rc
	mkdir -p "$d"
	server "$NSB" "$d/srv" "$B4:5011" || { bail "server did not start"; return; }
	in_ns "$NSA" "$d/snd" send "$B4:5011" --bytes 3000000 --hold
	local snd=$BG_PID
	wait_for "$d/snd" '^connected' 5 || { bail "sender did not connect"; return; }
	start_trace "$d/out" "$d/err" --tcp -p "$snd" --json "$d/r.json" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	kill -USR1 "$snd"
	reap "$snd" 30
	grep -q '^sent=3000000' "$d/snd" || { bail "sender failed: $(cat "$d/snd" "$d/snd.err")"; return; }
	stop_trace 20
	rc=$?
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	[ "$(tsc "$f" conn "$B4:5011" preexisting)" = 1 ] && [ "$(tsc "$f" conn "$B4:5011" closed)" = 1 ] ||
		{ fail "$(ts "$f" conn "$B4:5011" .counts)"; return; }
	[ "$(tsc "$f" conn "$B4:5011" bytes_out)" = 3000000 ] ||
		{ fail "bytes_out $(tsc "$f" conn "$B4:5011" bytes_out), sent in the run 3000000"; return; }
	[ "$(ts "$f" connect "$B4:5011" .count)" = series-count-0 ] ||
		{ fail "a connect was reported for a connection made before the run"; return; }
	pass "seen as open before the run; 3000000 bytes out, as sent"
}

t_ipv6_connections_are_counted() {
	need_all || return
	local d=$TMP/v6 f rc
	mkdir -p "$d"
	server "$NSB" "$d/srv" "[$B6]:5012" || { bail "server did not start: $(cat "$d/srv.err")"; return; }
	gated "$NSA" "$d/cl" connects "[$B6]:5012" --count 100 --send 1000 ||
		{ bail "client did not get ready"; return; }
	local cl=$CL_PID
	start_trace "$d/out" "$d/err" --tcp -p "$cl,$SRV_PID" --json "$d/r.json" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	kill -USR1 "$cl"
	reap "$cl" 30
	sleep 0.3
	stop_trace 20
	rc=$?
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	[ "$(tsc "$f" connect "[$B6]:5012" established)" = 100 ] ||
		{ fail "established $(tsc "$f" connect "[$B6]:5012" established), tcpload: $(cat "$d/cl")"; return; }
	[ "$(tsc "$f" conn "[$B6]:5012" bytes_out)" = 100000 ] ||
		{ fail "client bytes_out $(tsc "$f" conn "[$B6]:5012" bytes_out), sent 100000"; return; }
	[ "$(tsc "$f" accept :5012 accepted)" = 100 ] && [ "$(tsc "$f" conn :5012 bytes_in)" = 100000 ] ||
		{ fail "server side: $(ts "$f" accept :5012 .counts) $(ts "$f" conn :5012 .counts)"; return; }
	pass "100 connections over IPv6, both ends; 100000 bytes each way as sent"
}

t_target_exiting_midrun_leaves_nothing_behind() {
	need_all || return
	local d=$TMP/exit f rc est left
	mkdir -p "$d"
	server "$NSB" "$d/srv" "$B4:5013" || { bail "server did not start"; return; }
	# 10 connections the client holds open until the server closes them,
	# which it does not: the client is killed with them open
	gated "$NSA" "$d/cl" connects "$B4:5013" --count 10 --parallel 10 --send 100 --hold ||
		{ bail "client did not get ready"; return; }
	local cl=$CL_PID
	start_trace "$d/out" "$d/err" --tcp -p "$cl" --keep-going --json "$d/r.json" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	kill -USR1 "$cl"
	wait_for "$d/cl" '^holding' 5 || { bail "client did not connect: $(cat "$d/cl.err")"; return; }
	est=$(ip netns exec "$NSA" ss -tnH state established dport = :5013 | wc -l)
	{
		kill -KILL "$cl"
		wait "$cl"
	} 2>/dev/null
	sleep 0.5
	left=$(map_entries)
	alive "$TR_PID" || { bail "slatrace died with its target"; return; }
	stop_trace 20
	rc=$?
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	[ "$est" = 10 ] || { fail "ss saw $est established connections, want 10"; return; }
	[ "$(tsc "$f" connect "$B4:5013" established)" = 10 ] && [ "$(tsc "$f" conn "$B4:5013" closed)" = 10 ] ||
		{ fail "$(ts "$f" connect "$B4:5013" .counts) $(ts "$f" conn "$B4:5013" .counts)"; return; }
	[ "$left" = 0 ] || { fail "tcp_socks holds $left entries after the target died"; return; }
	pass "10 connections closed by the exit, reported; map empty after ($(tsc "$f" conn "$B4:5013" resets_sent) resets sent)"
}

t_thousands_of_short_connections_leave_no_map_entries() {
	need_all || return
	local d=$TMP/many f rc base mid left claims n=5000 i
	mkdir -p "$d"
	gated "$NSB" "$d/srv" server "$B4:5014" || { bail "server did not get ready"; return; }
	local srv=$CL_PID
	gated "$NSA" "$d/cl" connects "$B4:5014" --count "$n" --send 100 ||
		{ bail "client did not get ready"; return; }
	local cl=$CL_PID
	start_trace "$d/out" "$d/err" --tcp -p "$srv,$cl" --json "$d/r.json" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	base=$(map_entries)
	kill -USR1 "$srv"
	wait_for "$d/srv" '^listening ' 5 || { bail "server did not listen"; return; }
	mid=$(map_entries)
	kill -USR1 "$cl"
	reap "$cl" 120
	grep -q '^ok=' "$d/cl" || { bail "client did not finish: $(cat "$d/cl" "$d/cl.err")"; return; }
	# the server has closed every connection it accepted (its children
	# are gone from the map) when it has read an EOF for each
	for ((i = 0; i < 300; i++)); do
		[ "$(map_entries)" = 1 ] && break
		sleep 0.1
	done
	left=$(map_entries)
	# the fallback's claims go with their connections' entries
	claims=$(map_len claims)
	kill -TERM "$srv"
	wait_for "$d/srv" '^accepted=' 10
	stop_trace 20
	rc=$?
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	f=$d/r.json
	[ "$base" = 0 ] && [ "$mid" = 1 ] && [ "$left" = 1 ] ||
		{ fail "tcp_socks entries: $base before, $mid with the listener, $left after $n connections (want 0, 1, 1)"; return; }
	[ "$claims" = 0 ] || { fail "claims holds $claims entries after $n connections closed"; return; }
	# the truth is each side's own count: how many connects the client
	# saw succeed and fail (a busy machine can overflow the backlog: a
	# resent SYN or final ACK still makes an established connection), and
	# how many the server accepted
	local ok ref tmo unr oth syn acc got want
	ok=$(kv ok "$(cat "$d/cl")")
	ref=$(kv refused "$(cat "$d/cl")")
	tmo=$(kv timedout "$(cat "$d/cl")")
	unr=$(kv unreachable "$(cat "$d/cl")")
	oth=$(kv other "$(cat "$d/cl")")
	syn=$(kv syn_retrans "$(cat "$d/cl")")
	acc=$(kv accepted "$(grep '^accepted=' "$d/srv")")
	[ $((ok + ref + tmo + unr + oth)) = "$n" ] || { fail "tcpload accounted for $((ok + ref + tmo + unr + oth)) of $n: $(cat "$d/cl")"; return; }
	got="$(tsc "$f" connect "$B4:5014" established) $(tsc "$f" connect "$B4:5014" refused) $(tsc "$f" connect "$B4:5014" timed_out) $(tsc "$f" connect "$B4:5014" unreachable) $(tsc "$f" connect "$B4:5014" failed_other) $(tsc "$f" connect "$B4:5014" syn_retrans)"
	want="$ok $ref $tmo $unr $oth $syn"
	[ "$got" = "$want" ] ||
		{ fail "established/refused/timed out/unreachable/other/SYN resends: slatrace $got, the client $want; $(ts "$f" accept :5014 .counts)"; return; }
	[ "$(ts "$f" connect "$B4:5014" .count)" = $((ok + ref + tmo + unr + oth)) ] ||
		{ fail "connect count $(ts "$f" connect "$B4:5014" .count), the client attempted $((ok + ref + tmo + unr + oth)) ($(tsc "$f" connect "$B4:5014" established_untimed) untimed)"; return; }
	[ "$(tsc "$f" accept :5014 accepted)" = "$acc" ] && [ "$(tsc "$f" conn :5014 closed)" = "$acc" ] &&
		[ "$(tsc "$f" conn "$B4:5014" closed)" = "$ok" ] ||
		{ fail "accepted $(tsc "$f" accept :5014 accepted) and closed $(tsc "$f" conn :5014 closed) (the server accepted $acc), client closed $(tsc "$f" conn "$B4:5014" closed) (established $ok)"; return; }
	[ "$(jq -r '.lost.total' "$f")" = 0 ] || { fail "lost: $(jq -c .lost "$f")"; return; }
	pass "$n connects: $ok established ($(tsc "$f" connect "$B4:5014" established_untimed) untimed), $((n - ok)) failed and $syn SYN resends, as the client; $acc accepted and closed, as the server; map back to the listener alone; queue_full $(tsc "$f" accept :5014 queue_full), tracepoint misses $(counter "$f" tcp_tracepoint_misses)"
}

# ---- kernels without BPF atomics (before 5.12: Debian 11's 5.10) ----

# The programs the fallback loads, every program of tcp.bpf.o but those
# with a _noatomics twin, hold no instruction a kernel before 5.12 refuses
# (tests/e2e/stx_reserved.awk), nor do the subprograms they reach: what
# that kernel's verifier looks at first, dead code included. A forced
# fallback loading here proves less: this kernel takes them all.
t_fallback_programs_hold_no_instruction_linux_5_10_refuses() {
	command -v llvm-objdump >/dev/null || { skip "needs llvm-objdump"; return; }
	local obj=$ROOT/$BUILD/tcp.bpf.o all p fb="" twins="" out n
	# a check of the build's object, which a kernel-matrix guest has no copy of
	[ -f "$obj" ] || { skip "no $obj to scan here (make test-build makes it)"; return; }
	llvm-objdump -t "$obj" >"$TMP/syms" && llvm-objdump -dr "$obj" >"$TMP/dis" ||
		{ fail "llvm-objdump cannot read $obj"; return; }
	all=$(awk '$3 == "F" && $4 != ".text" { print $6 }' "$TMP/syms")
	for p in $all; do
		if grep -qx "${p}_noatomics" <<<"$all"; then twins+=" $p"; else fb+=" $p"; fi
	done
	[ -n "$twins" ] || { fail "no program of $obj has a _noatomics twin"; return; }
	out=$(awk -v progs="$fb" -f "$ROOT/tests/e2e/stx_reserved.awk" "$TMP/syms" "$TMP/dis")
	grep -q '^missing\|^refused' <<<"$out" && { fail "the fallback's programs: $(grep '^missing\|^refused' <<<"$out" | head -5)"; return; }
	n=$(grep -c '^reached' <<<"$out")
	# the scan finds what it looks for: the twins' counterparts each hold
	# a fetch-and-add, in them or in what they reach
	for p in $twins; do
		out=$(awk -v progs="$p" -f "$ROOT/tests/e2e/stx_reserved.awk" "$TMP/syms" "$TMP/dis")
		grep -q '^refused ' <<<"$out" ||
			{ fail "no refused instruction found in $p, which has a fetch-and-add: $(head -c 300 <<<"$out")"; return; }
	done
	pass "none in the $n programs and subprograms of the fallback; one at least in each of$twins"
}

# "ID NAME" of each BPF program slatrace ($TR_PID) holds, from its fds
held_progs() {
	local id
	for id in $(grep -h '^prog_id:' /proc/"$TR_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un); do
		bpftool prog show id "$id" -j 2>/dev/null | jq -r '"\(.id) \(.name)"'
	done
}

# The fallback forced: the twins are what is loaded (and nothing slatrace
# holds has an atomic but add, as the kernel has them), and the counts are
# tcpload's exactly: the claim by hash insert reports every connection once,
# the end-of-run pass (5.14, so only a forced fallback has it) included.
t_fallback_without_atomics_loads_its_twins_and_counts_as_tcpload() {
	need_all || return
	local d=$TMP/noatom f p want ok ref tok tref
	# while traced: what slatrace holds, and any atomic but add in it
	NOATOM_PROGS="" NOATOM_BAD=""
	noatom_look() {
		local id
		NOATOM_PROGS=$(held_progs)
		for id in $(awk '{ print $1 }' <<<"$NOATOM_PROGS"); do
			bpftool prog dump xlated id "$id" 2>/dev/null | grep -qE 'atomic_|lock .*[|&^]=' &&
				NOATOM_BAD+=" $(grep "^$id " <<<"$NOATOM_PROGS")"
		done
	}
	AT_RUN=noatom_look connects_run "$d" 5018 300 5019 200 SLATRACE_FORCE_PATH=fallback ||
		{ bail "$RUN_WHY"; return; }
	local progs=$NOATOM_PROGS bad=$NOATOM_BAD
	[ "$RUN_RC" = 0 ] || { fail "slatrace exited $RUN_RC: $(head -c 500 "$d/err")"; return; }
	# the end-of-run pass is a syscall program (5.14): left out before
	want="handle_set_state_noatomics handle_destroy_sock_noatomics"
	bpftool feature probe kernel 2>/dev/null | grep -q "program_type syscall is available" &&
		want+=" flush_socks_noatomics"
	for p in $want; do
		grep -q " $p\$" <<<"$progs" || { fail "$p is not loaded; slatrace holds: $(tr '\n' ' ' <<<"$progs")"; return; }
	done
	grep -qE ' (handle_set_state|handle_destroy_sock|flush_socks)$' <<<"$progs" &&
		{ fail "a program with a fetch-and-add is loaded too: $(tr '\n' ' ' <<<"$progs")"; return; }
	[ -z "$bad" ] || { fail "atomics beyond add in:$bad"; return; }
	f=$d/r.json
	[ "$(jq -r .paths.tcp "$f")" = fallback ] || { fail "the report says path '$(jq -r .paths.tcp "$f")'"; return; }
	tok=$TOK tref=$TREF
	[ "$tok" = 300 ] && [ "$tref" = 200 ] || { fail "tcpload itself: ok=$tok refused=$tref"; return; }
	ok=$(tsc "$f" connect "$B4:5018" established)
	ref=$(tsc "$f" connect "$B4:5019" refused)
	[ "$ok" = 300 ] && [ "$ref" = 200 ] || { fail "established $ok, refused $ref; tcpload: 300 and 200"; return; }
	[ "$(tsc "$f" conn "$B4:5018" bytes_out)" = 30000 ] &&
		[ $(($(tsc "$f" conn "$B4:5018" closed) + $(tsc "$f" conn "$B4:5018" open_at_end))) = 300 ] &&
		[ "$(jq -r '.lost.total' "$f")" = 0 ] ||
		{ fail "bytes_out $(tsc "$f" conn "$B4:5018" bytes_out), tcpload sent 30000; $(conn_diag "$f" "$B4:5018")"; return; }
	pass "the _noatomics twins loaded, no atomic but add in the $(wc -l <<<"$progs") programs held; 300 established, 200 refused, 30000 bytes out, as tcpload; $(conn_diag "$f" "$B4:5018")"
}

# TCP_ONLY=word runs the tests whose names contain it
if [ -n "${TCP_ONLY:-}" ]; then
	for _f in $(declare -F | awk '{ print $3 }' | grep '^t_'); do
		[[ $_f == *"$TCP_ONLY"* ]] || unset -f "$_f"
	done
fi
run_tests
