#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Pipelined HTTP against Debian's nginx: every request of a batch sent in
# one write is counted and classed, however long the batch is next to
# --capture-bytes, as the client and nginx's own access log count them; and
# a client that never pipelines, traced from the middle of its keep-alive
# connections, shows no pipelining and no extra requests.
. "$(dirname "$0")/lib.sh"

NGINX=/usr/sbin/nginx
PY=$(command -v python3 || true)

# The client: plain sockets, every response read whole (status line,
# headers, Content-Length body), so what it prints is what nginx answered.
cat >"$TMP/client.py" <<'EOF'
import os, socket, sys, threading, time

def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

class Reader:
    def __init__(self, s):
        self.s, self.buf = s, b""
    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise SystemExit("eof from nginx")
        self.buf += d
    def response(self):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = int(head.split(b" ", 2)[1])
        n = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                n = int(v)
        while len(self.buf) < n:
            self.fill()
        self.buf = self.buf[n:]
        return status

def batches(port, sizes, repeat):
    # one connection; each batch of N GETs to /bN.html goes out in one write
    s, sent = connect(port), {}
    r = Reader(s)
    for _ in range(repeat):
        for n in sizes:
            path = "/b%d.html" % n
            s.sendall(b"".join(b"GET %s?i=%d HTTP/1.1\r\nHost: localhost\r\n"
                               b"User-Agent: slatrace-pipelining-test\r\n\r\n"
                               % (path.encode(), i) for i in range(n)))
            for _ in range(n):
                st = r.response()
                if st != 200:
                    raise SystemExit("status %d on %s" % (st, path))
            sent[path] = sent.get(path, 0) + n
    s.close()
    print(" ".join("%s=%d" % kv for kv in sorted(sent.items())))

def steady(port, conns, go, n):
    # conns keep-alive connections, one request at a time each: /warm.html
    # until the file go exists, then exactly n of /index.html each
    counts = {"warm": 0, "index": 0}
    lock = threading.Lock()
    errs = []
    def run():
        try:
            s = connect(port)
            r = Reader(s)
            w = i = 0
            while not os.path.exists(go):
                s.sendall(b"GET /warm.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
                if r.response() != 200:
                    raise SystemExit("warm status")
                w += 1
            for _ in range(n):
                s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
                if r.response() != 200:
                    raise SystemExit("index status")
                i += 1
            s.close()
            with lock:
                counts["warm"] += w
                counts["index"] += i
        except BaseException as e:
            errs.append(repr(e))
    ts = [threading.Thread(target=run) for _ in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise SystemExit("client: " + errs[0])
    print("warm=%d index=%d" % (counts["warm"], counts["index"]))

if sys.argv[1] == "batches":
    batches(int(sys.argv[2]), [int(x) for x in sys.argv[3].split(",")], int(sys.argv[4]))
else:
    steady(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
EOF

need_all() {
	local t
	for t in jq curl; do
		command -v "$t" >/dev/null || { skip "needs $t"; return 1; }
	done
	[ -n "$PY" ] || { skip "needs python3 for the pipelining client"; return 1; }
	[ -x "$NGINX" ] || { skip "needs nginx ($NGINX; apt-get install nginx-light)"; return 1; }
	[ -x "$SLATRACE" ] || { fail "not built: make"; return 1; }
}

# start_nginx DIR: nginx (one worker) on a free loopback port, serving
# DIR/www, logging every request to DIR/access.log; sets NGX_PORT,
# NGX_MASTER, NGX_WORKER
start_nginx() {
	local d=$1 i k page
	mkdir -p "$d/www" "$d/tmp"
	for page in index warm b10 b20 b50; do echo "<html>$page</html>" >"$d/www/$page.html"; done
	start_nginx_on "$d" "$NGINX" "access_log $d/access.log" "keepalive_requests 100000" \
		"default_type text/html" || return 1
	: >"$d/access.log" # the curl probe above is not part of any test
}

stop_nginx() {
	kill -TERM "$NGX_MASTER" 2>/dev/null
	reap "$NGX_MASTER" 5
}

# rq FILE ROUTE EXPR: a field of the one request series of ROUTE
rq() {
	jq -r --arg r "$2" "[.series[] | select(.family==\"request\" and .labels.route==\$r)] |
		if length == 1 then .[0] | $3 else \"series-count-\" + (length | tostring) end" "$1"
}

# classes FILE: every request class and its count, one line
classes() { jq -r '[.series[] | select(.family=="request") | "\(.labels.route)=\(.count)"] | join(" ")' "$1"; }

# access COUNT-OF ROUTE in nginx's access log
access() { grep -c "\"GET $2[? ]" "$1/access.log"; }

# end_nginx_run ERR: let the last records land, stop slatrace, nginx and
# what is left; fails the test (returns 1) unless slatrace exited 0
end_nginx_run() {
	local rc
	sleep 0.3
	stop_trace
	rc=$?
	stop_nginx
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$1")"; return 1; }
}

t_pipelined_batches_counted_as_client_and_nginx_log() {
	need_root || return
	need_all || return
	local d=$TMP/batches f=$TMP/batches/r.json rc out b want n a p u
	start_nginx "$d" || { bail "nginx did not start: $(tail -3 "$d/error.log" "$d/nginx.out" 2>/dev/null)"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$NGX_WORKER" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	# default options: --capture-bytes 256 holds 3 of these 65-byte GETs
	out=$(timeout -s KILL 60 "$PY" "$TMP/client.py" batches "$NGX_PORT" 10,20,50 20 2>&1) ||
		{ bail "pipelining client: $out"; return; }
	[ "$out" = "/b10.html=200 /b20.html=400 /b50.html=1000" ] || { bail "pipelining client: $out"; return; }
	end_nginx_run "$d/err" || return
	for b in 10 20 50; do
		want=$((b * 20))
		n=$(rq "$f" "/b$b.html" .count)
		a=$(access "$d" "/b$b.html")
		[ "$a" = "$want" ] || { fail "nginx logged $a of /b$b.html, the client sent $want"; return; }
		[ "$n" = "$want" ] || { fail "/b$b.html: slatrace counted $n, client and nginx $want; classes: $(classes "$f"); counters: $(jq -c .counters "$f"); lost: $(jq -c .lost "$f")"; return; }
		n=$(rq "$f" "/b$b.html" '.status["200"] // 0')
		[ "$n" = "$want" ] || { fail "/b$b.html: $n under status 200, want $want"; return; }
	done
	n=$(jq '[.series[] | select(.family=="request") | .count] | add' "$f")
	[ "$n" = 1600 ] || { fail "$n requests in all classes, want 1600: $(classes "$f")"; return; }
	u=$(jq -r '.counters.uncounted_pipelined_turns // 0' "$f")
	[ "$u" = 0 ] || { fail "counters.uncounted_pipelined_turns is $u, want 0: every batch fits what is followed"; return; }
	p=$(jq -r '.counters.pipelined_requests // 0' "$f")
	# every request but the first of each read is pipelined: nginx reads
	# 1 KiB, then the rest of a cut request and what follows into 8 KiB,
	# so a batch (650, 1300, 3250 bytes) takes 1 to 3 reads: 60 batches,
	# at most 4 reads each whatever the load
	[ "$p" -ge $((1600 - 60 * 4)) ] && [ "$p" -lt 1600 ] ||
		{ fail "counters.pipelined_requests is $p, want $((1600 - 60 * 4))..1599"; return; }
	jq -e '.lost.total == 0' "$f" >/dev/null || { fail "lost: $(jq -c .lost "$f")"; return; }
	grep -q 'uncounted_pipelined_turns 0' "$d/out" ||
		{ fail "the text report does not show uncounted_pipelined_turns: $(grep counted: "$d/out")"; return; }
	pass "10, 20 and 50 per write, 20 times each: 200, 400, 1000 counted as sent and logged; pipelined_requests $p"
}

t_non_pipelining_client_traced_mid_connection_shows_no_pipelining() {
	need_root || return
	need_all || return
	local d=$TMP/steady f=$TMP/steady/r.json rc out cpid warm idx n w p i
	start_nginx "$d" || { bail "nginx did not start: $(tail -3 "$d/error.log" "$d/nginx.out" 2>/dev/null)"; return; }
	# 6 keep-alive connections busy with one request at a time while
	# slatrace attaches: its programs go live on connections in mid-turn
	"$PY" "$TMP/client.py" steady "$NGX_PORT" 6 "$d/go" 200 >"$d/client.out" 2>&1 &
	cpid=$!
	_bg+=("$cpid")
	wait_for "$d/access.log" warm 10 || { bail "the client sent nothing: $(cat "$d/client.out")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$NGX_WORKER" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	sleep 0.5
	touch "$d/go"
	reap "$cpid" 60 || { bail "client: $(cat "$d/client.out")"; return; }
	out=$(cat "$d/client.out")
	end_nginx_run "$d/err" || return
	warm=$(kv warm "$out")
	idx=$(kv index "$out")
	[ "$idx" = 1200 ] || { fail "client: $out"; return; }
	n=$(rq "$f" /index.html .count)
	[ "$n" = 1200 ] || { fail "/index.html: slatrace counted $n, the client sent 1200 after slatrace was tracing: $(classes "$f")"; return; }
	w=$(rq "$f" /warm.html .count)
	# /warm.html: only those sent after the attach are seen, never more
	# than the client sent in all
	[ "$w" -gt 0 ] && [ "$w" -le "$warm" ] || { fail "/warm.html: slatrace counted $w, the client sent $warm in all"; return; }
	p=$(jq -r '.counters.pipelined_requests // 0' "$f")
	[ "$p" = 0 ] || { fail "counters.pipelined_requests is $p for a client that never pipelines"; return; }
	i=$(jq '[.series[] | select(.family=="request" and .labels.route != "/index.html" and .labels.route != "/warm.html")] | length' "$f")
	[ "$i" = 0 ] || { fail "unexpected classes: $(classes "$f")"; return; }
	pass "index.html 1200 of 1200, warm.html $w of $warm, pipelined_requests 0"
}

# A server that reads everything in one recv: a batch past the 16 KiB a
# turn is followed cannot all be seen, and the report must say so.
cat >"$TMP/bigread.py" <<'EOF2'
import socket, sys
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
print("listening 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
c, _ = ls.accept()
want, buf = int(sys.argv[1]), b""
while buf.count(b"\r\n\r\n") < want:
    buf += c.recv(1 << 20)
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" * want)
c.recv(1)
EOF2

t_batch_past_what_is_followed_is_reported_uncounted() {
	need_root || return
	need_all || return
	local d=$TMP/big f=$TMP/big/r.json rc n u
	mkdir -p "$d"
	start_listener "$d/srv" "$PY" "$TMP/bigread.py" 400 || { bail "server did not start: $(cat "$d/srv.err")"; return; }
	start_trace "$d/out" "$d/err" --requests -p "$SRV_PID" --json "$f" ||
		{ bail "slatrace did not start: $(head -c 500 "$d/err")"; return; }
	# 400 GETs of 65 bytes: 26 000 bytes in one write, read at once
	"$PY" - "${SRV_ADDR##*:}" <<-'EOF2' || { bail "client failed"; return; }
		import socket, sys
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
		s.sendall(b"".join(b"GET /big?i=%03d HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slatrace-test\r\n\r\n" % i for i in range(400)))
		got = b""
		while got.count(b"HTTP/1.1 200") < 400:
		    got += s.recv(65536)
		s.close()
	EOF2
	reap "$SRV_PID" 10
	sleep 0.3
	stop_trace
	rc=$?
	kill_bg
	[ "$rc" = 0 ] || { fail "slatrace exited $rc: $(head -c 500 "$d/err")"; return; }
	n=$(rq "$f" /big .count)
	u=$(jq -r '.counters.uncounted_pipelined_turns // 0' "$f")
	[ "$n" -lt 400 ] && [ "$n" -ge 200 ] || { fail "/big counted $n of 400 (want what 16 KiB holds, 200..399)"; return; }
	[ "$u" = 1 ] || { fail "counters.uncounted_pipelined_turns is $u, want 1 (one read of 26 000 bytes)"; return; }
	grep -q 'uncounted_pipelined_turns 1' "$d/out" || { fail "not on the text report: $(grep counted: "$d/out")"; return; }
	pass "$n of 400 counted from the 16 KiB followed, uncounted_pipelined_turns 1"
}

run_tests
