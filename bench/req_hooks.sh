#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Which hook should the requests family read and write on where the 6.3
# socket tracepoints are missing: what each candidate hook itself costs,
# side by side in one run, priced in ns of BPF CPU per request
# (kernel.bpf_stats_enabled: run_time_ns and run_cnt of each program).
#
#   sysexit         the fallback's two raw_syscalls:sys_exit programs (tp_btf),
#                   bench/req_hook_sysexit.bpf.c
#   fexit_sock      fexit on sock_recvmsg, sock_sendmsg
#   fexit_tcp       fexit on tcp_recvmsg, tcp_sendmsg, tcp_sendpage,
#                   unix_stream_recvmsg, unix_stream_sendmsg
#   fexit_sockops   fexit on inet_, inet6_, unix_stream_ recvmsg and sendmsg,
#                   inet_ and unix_stream_sendpage: the requests family's
#                   intermediate path
#   kretprobe_sock  kretprobes on sock_recvmsg, sock_sendmsg
#
# each a near-empty program with the family's target test (the comm
# "nginx", read in place), loaded alone by bench/floor, against "none"; and
# the requests family itself on those two paths, every program of it
# counted (tcp_rcv_space_adjust and inet_sock_set_state too, the same on
# both), its count of the nginx requests held to wrk's:
#
#   slatrace_intermediate  slatrace trace --requests -c nginx, forced to
#                          its intermediate path (SLATRACE_FORCE_PATH)
#   slatrace_fallback      the same on its syscall fallback
# Each round runs every configuration once, in an order rotated every round;
# in each: (A) wrk on nginx (one worker, a 1 KiB file): BPF ns per request,
# runs per request, req/s; (B) the same with a background syscall load that
# is not the target (dd, 512-byte reads and writes of /dev/zero and
# /dev/null): what the hook costs the host as a whole, per request, and the
# background's own throughput; (C) a getppid() loop (bench/getppid_loop):
# ns per call, what every other syscall on the host pays for the hook, BPF
# or not (a sys_exit program sends every syscall through the kernel's
# slower exit path, which bpf_stats does not see). The figures kept are
# medians over the rounds, and for req/s and getppid the paired median of
# each round's difference against that round's "none".
#
# bpf_stats adds its own two clock reads to each program run, in every
# configuration alike. A hook this kernel lacks (fentry on 6.18 here, where
# the kernel refuses trampolines) is reported unavailable with the reason,
# and the rest measured. Meant to run in the kernel matrix's 6.1 guest,
# where all eight configurations take about 15 minutes of qemu TCG, past
# the matrix's default bound on a guest (MATRIX_TIMEOUT, 900 s):
#   MATRIX_TESTS=none MATRIX_TIMEOUT=2400 MATRIX_RUN=bench/req_hooks.sh make test-kernels
# Needs root, nginx, wrk, bpftool, jq. Environment: BUILD (build), ROUNDS
# (5), DURATION (3, seconds of load per run), CONNS (8), THREADS (2),
# CALLS (getppid calls timed per run, 300000), CONFIGS (all of the above).
set -u
export LC_ALL=C

BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-3}
CONNS=${CONNS:-8}
THREADS=${THREADS:-2}
CALLS=${CALLS:-300000}
CONFIGS=${CONFIGS:-none sysexit fexit_sockops fexit_sock fexit_tcp kretprobe_sock slatrace_intermediate slatrace_fallback}
SLATRACE=${SLATRACE:-$BUILD/slatrace}
NGINX=/usr/sbin/nginx

cd "$(dirname "$0")/.." || exit 1
. bench/lib.bash
. tests/e2e/shared.bash

[ "$(id -u)" = 0 ] || die "cannot run the hook benchmark: it needs root"
for t in wrk jq bpftool timeout dd; do
	command -v "$t" >/dev/null 2>&1 || die "cannot find '$t': run 'make deps'"
done
[ -x "$NGINX" ] || die "cannot find '$NGINX': install nginx-light (make deps)"

TMP=$(mktemp -d /tmp/slatrace-reqhooks.XXXXXX) || die "cannot create a temporary directory"
chmod 755 "$TMP"
NGINX_PID= FLOOR_PID= LOOP_PID= STATS_OLD=
cleanup() {
	[ -n "$FLOOR_PID" ] && kill -INT "$FLOOR_PID" 2>/dev/null && wait "$FLOOR_PID" 2>/dev/null
	[ -n "$LOOP_PID" ] && kill "$LOOP_PID" 2>/dev/null && wait "$LOOP_PID" 2>/dev/null
	[ -n "$NGINX_PID" ] && kill -TERM "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
	[ -n "$STATS_OLD" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# local copies: in the kernel matrix's guest the root is 9p, ~100x slower
for f in floor getppid_loop req_hook_sysexit.bpf.o req_hook_fexit_sock.bpf.o \
	req_hook_fexit_tcp.bpf.o req_hook_kretprobe_sock.bpf.o req_hook_fexit_sockops.bpf.o; do
	cp "$BUILD/bench/$f" "$TMP/" || die "cannot find '$BUILD/bench/$f': run 'make $BUILD/bench/$f'"
done
cp "$SLATRACE" "$TMP/slatrace" || die "cannot find '$SLATRACE': run 'make'"
SLT_IDS="[]"	# the ids of the BPF programs the running slatrace holds

progs_of() {
	case $1 in
	sysexit) echo "sx_read sx_write" ;;
	fexit_sock) echo "fx_sock_recv fx_sock_send" ;;
	fexit_tcp) echo "fx_tcp_recv fx_tcp_send fx_tcp_sendpg fx_unix_recv fx_unix_send" ;;
	kretprobe_sock) echo "kr_sock_recv kr_sock_send" ;;
	fexit_sockops) echo "fo_inet_recv fo_inet6_recv fo_unix_recv fo_inet_send fo_inet6_send fo_unix_send fo_inet_sendpg fo_unix_sendpg" ;;
	slatrace_*) echo "(all of slatrace's)" ;;
	none) echo "" ;;
	*) die "unknown configuration '$1'" ;;
	esac
}

# --- nginx, the getppid loop ------------------------------------------------

mkdir -p "$TMP/www" "$TMP/tmp"
head -c 1024 /dev/zero | tr '\0' 'x' >"$TMP/www/index.html"
PORT=$((20000 + RANDOM % 40000))
nginx_conf "$TMP/nginx.conf" "$TMP" "$PORT" "access_log off" "keepalive_requests 1000000"
"$NGINX" -p "$TMP/" -c "$TMP/nginx.conf" -e "$TMP/error.log" </dev/null >"$TMP/nginx.out" 2>&1 &
NGINX_PID=$!
for ((i = 0; i < 300; i++)); do
	curl -sf -o /dev/null "http://127.0.0.1:$PORT/index.html" && break
	sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/index.html" ||
	die "nginx does not answer on $PORT: $(tail -n 3 "$TMP/error.log" "$TMP/nginx.out" 2>/dev/null | tr '\n' ' ')"

coproc LOOP { exec "$TMP/getppid_loop"; }
LOOP_PID=$LOOP_PID
read -r _ _ <&"${LOOP[0]}"

STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled) || die "cannot read kernel.bpf_stats_enabled"
sysctl -qw kernel.bpf_stats_enabled=1 || die "cannot set kernel.bpf_stats_enabled"

# --- one configuration --------------------------------------------------------

# held_prog_ids PID: the ids of the BPF programs PID's child (slatrace,
# under timeout and env) holds open, as a JSON array
held_prog_ids() {
	local c
	c=$(cat "/proc/$1/task/$1/children" 2>/dev/null)
	c=${c%% *}
	[ -n "$c" ] || { echo "[]"; return; }
	cat /proc/"$c"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $2 }' | jq -sc .
}

# floor_start CFG: attach its object; 1 with the reason on stderr when it cannot
floor_start() {
	local i

	[ "$1" = none ] && return 0
	: >"$TMP/floor.err"
	case $1 in
	slatrace_*)
		timeout -s INT -k 5 600 env SLATRACE_FORCE_PATH="${1#slatrace_}" "$TMP/slatrace" \
			trace --requests -c nginx --json "$TMP/slatrace.json" >/dev/null 2>"$TMP/floor.err" &
		;;
	*) timeout -s INT -k 5 600 "$TMP/floor" "$TMP/req_hook_$1.bpf.o" 2>"$TMP/floor.err" & ;;
	esac
	FLOOR_PID=$!
	for ((i = 0; i < 600; i++)); do
		if grep -qE '^floor: attached|^slatrace: tracing' "$TMP/floor.err"; then
			[[ $1 == slatrace_* ]] && SLT_IDS=$(held_prog_ids "$FLOOR_PID")
			return 0
		fi
		kill -0 "$FLOOR_PID" 2>/dev/null || break
		sleep 0.1
	done
	floor_stop
	grep -m1 'error' "$TMP/floor.err" >&2
	return 1
}

floor_stop() {
	[ -n "$FLOOR_PID" ] || return 0
	kill -INT "$FLOOR_PID" 2>/dev/null
	wait "$FLOOR_PID" 2>/dev/null
	FLOOR_PID=
}

# stats CFG: "name run_time_ns run_cnt" for each of its programs
stats() {
	local names

	names=$(progs_of "$1")
	[ -n "$names" ] || return 0
	case $1 in
	slatrace_*)
		# one line a name: the session's programs of one name are summed
		bpftool prog show -j | jq -r --argjson ids "$SLT_IDS" '[.[] | select(.id as $i | $ids | index($i))]
			| group_by(.name)[] | "\(.[0].name) \(map(.run_time_ns // 0) | add) \(map(.run_cnt // 0) | add)"'
		return
		;;
	esac
	bpftool prog show -j | jq -r --arg n "$names" '($n | split(" ")) as $want
		| .[] | select(.name as $x | $want | index($x)) | "\(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"'
}

# wrk_run: the request count and req/s of one run
wrk_run() {
	timeout -k 5 $((DURATION + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" \
		"http://127.0.0.1:$PORT/index.html" >"$TMP/wrk.out" 2>&1 || return 1
	awk '/requests in/ { n = $1 } /^Requests\/sec/ { r = $2 } END { if (n) print n, r; else exit 1 }' \
		"$TMP/wrk.out"
}

# sum_delta BEFORE AFTER: "ns runs" over every program, AFTER minus BEFORE
sum_delta() {
	awk 'NR == FNR { t[$1] = $2; c[$1] = $3; next } { ns += $2 - t[$1]; n += $3 - c[$1] }
		END { printf "%d %d\n", ns, n }' <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

RES=$TMP/results	# cfg round key value
: >"$RES"
rec() { echo "$1 $2 $3 $4" >>"$RES"; }

measure() {
	local cfg=$1 r=$2 s0 s1 s2 s3 reqs rps d bgpid bg p

	floor_start "$cfg" || return 1
	s0=$(stats "$cfg")
	# (A) the target alone
	read -r reqs rps < <(wrk_run) || { floor_stop; return 1; }
	WRK_TOTAL=$reqs
	s1=$(stats "$cfg")
	read -r ns runs <<<"$(sum_delta "$s0" "$s1")"
	rec "$cfg" "$r" rps_a "$rps"
	rec "$cfg" "$r" ns_req_a "$(awk -v a="$ns" -v b="$reqs" 'BEGIN { printf "%.1f", a / b }')"
	rec "$cfg" "$r" runs_req_a "$(awk -v a="$runs" -v b="$reqs" 'BEGIN { printf "%.2f", a / b }')"
	# each program's ns per run and runs per request, in (A)
	while read -r p t c; do
		[ -n "$p" ] || continue
		read -r t0 c0 < <(awk -v p="$p" '$1 == p { print $2, $3 }' <<<"$s0")
		rec "$cfg" "$r" "ns_run:$p" "$(awk -v a="$t" -v b="$t0" -v c="$c" -v d="$c0" 'BEGIN { printf "%.0f", (c > d ? (a - b) / (c - d) : 0) }')"
		rec "$cfg" "$r" "runs_req:$p" "$(awk -v c="$c" -v d="$c0" -v n="$reqs" 'BEGIN { printf "%.2f", (c - d) / n }')"
	done <<<"$s1"
	# (B) the same with a busy neighbour making read and write syscalls
	timeout -s INT $((DURATION + 1)) dd if=/dev/zero of=/dev/null bs=512 2>"$TMP/dd.err" &
	bgpid=$!
	read -r reqs rps < <(wrk_run) || { kill -INT "$bgpid"; wait "$bgpid"; floor_stop; return 1; }
	WRK_TOTAL=$((WRK_TOTAL + reqs))
	wait "$bgpid"
	s2=$(stats "$cfg")
	read -r ns runs <<<"$(sum_delta "$s1" "$s2")"
	bg=$(awk '/bytes/ && /copied/ { for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) s = $(i - 1); printf "%.1f", $1 / 1e6 / s }' "$TMP/dd.err")
	rec "$cfg" "$r" rps_b "$rps"
	# dd's own figure, when it printed one
	[ -n "$bg" ] && [ "$bg" != 0.0 ] && rec "$cfg" "$r" bg_mbs "$bg"
	rec "$cfg" "$r" ns_req_b "$(awk -v a="$ns" -v b="$reqs" 'BEGIN { printf "%.1f", a / b }')"
	# (C) an unrelated syscall, timed
	echo "run $CALLS" >&"${LOOP[1]}"
	read -r d _ <&"${LOOP[0]}"
	s3=$(stats "$cfg")
	read -r ns runs <<<"$(sum_delta "$s2" "$s3")"
	rec "$cfg" "$r" getppid_ns "$d"
	rec "$cfg" "$r" bpf_ns_getppid "$(awk -v a="$ns" -v b="$CALLS" 'BEGIN { printf "%.1f", a / b }')"
	floor_stop
	# slatrace's count of the requests, against wrk's two runs (each may
	# leave up to CONNS in flight)
	if [[ $cfg == slatrace_* ]]; then
		local n
		n=$(jq '[.series[] | select(.family == "request") | .count] | add // 0' "$TMP/slatrace.json" 2>/dev/null)
		rec "$cfg" "$r" counted_minus_wrk "$((${n:-0} - WRK_TOTAL))"
	fi
	return 0
}

# --- the rounds ---------------------------------------------------------------

echo "req_hooks: kernel $(uname -r), nginx on :$PORT, $ROUNDS rounds of $DURATION s, wrk -t$THREADS -c$CONNS"
avail=
for cfg in $CONFIGS; do
	progs_of "$cfg" >/dev/null
	if floor_start "$cfg"; then
		floor_stop
		avail="$avail $cfg"
	else
		echo "req_hooks: $cfg: unavailable on this kernel"
	fi
done
read -ra list <<<"$avail"
n=${#list[@]}
for ((r = 1; r <= ROUNDS; r++)); do
	for ((k = 0; k < n; k++)); do
		cfg=${list[$(((k + r - 1) % n))]}
		if measure "$cfg" "$r"; then
			echo "round $r $cfg: $(awk -v c="$cfg" -v r="$r" '$1 == c && $2 == r && $3 !~ /:/ { printf "%s %s  ", $3, $4 }' "$RES")"
		else
			echo "round $r $cfg: did not measure"
		fi
	done
done

# --- medians ---------------------------------------------------------------------

med() { stat_median "$(awk -v c="$1" -v k="$2" '$1 == c && $3 == k { print $4 }' "$RES")"; }
# paired: the median over rounds of CFG's value minus none's, same round
paired() {
	stat_median "$(awk -v c="$1" -v k="$2" '$3 == k && $1 == "none" { b[$2] = $4 } $3 == k && $1 == c { v[$2] = $4 }
		END { for (r in v) if (r in b) print v[r] - b[r] }' "$RES")"
}
echo
echo "medians over $ROUNDS rounds (kernel $(uname -r)):"
printf '%-15s %10s %9s %10s %9s %10s %8s %11s %10s %10s\n' config "ns/req A" "runs/req" "req/s A" "paired" \
	"ns/req B" "bg MB/s" "getppid ns" paired "bpf ns/gp"
for cfg in "${list[@]}"; do
	printf '%-15s %10s %9s %10s %9s %10s %8s %11s %10s %10s\n' "$cfg" "$(med "$cfg" ns_req_a)" \
		"$(med "$cfg" runs_req_a)" "$(med "$cfg" rps_a)" "$(paired "$cfg" rps_a)" \
		"$(med "$cfg" ns_req_b)" "$(med "$cfg" bg_mbs)" "$(med "$cfg" getppid_ns)" \
		"$(paired "$cfg" getppid_ns)" "$(med "$cfg" bpf_ns_getppid)"
done
echo
echo "each program, in (A): median ns per run, runs per request"
for key in $(awk '$3 ~ /^ns_run:/ { print $1 ":" substr($3, 8) }' "$RES" | sort -u); do
	cfg=${key%%:*} p=${key#*:}
	printf '%-15s %-15s %6s ns x %s\n' "$cfg" "$p" "$(med "$cfg" "ns_run:$p")" "$(med "$cfg" "runs_req:$p")"
done
for cfg in "${list[@]}"; do
	[[ $cfg == slatrace_* ]] || continue
	echo "$cfg: requests counted minus wrk's, by round (0..$((2 * CONNS)): in flight when wrk stopped): $(awk -v c="$cfg" '$1 == c && $3 == "counted_minus_wrk" { printf "%s ", $4 }' "$RES")"
done
echo "raw:"
sort -k1,1 -k2,2n "$RES" | grep -v ':' | awk '{ printf "%s r%s %s=%s\n", $1, $2, $3, $4 }' | paste -sd' ' | fold -w 200
