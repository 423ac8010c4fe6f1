#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What measuring per-request latency costs a saturated web server: Debian's
# nginx (one worker process, a small static file, access_log off, sendfile
# on as in Debian's stock config) on 127.0.0.1, driven by wrk at saturation,
# untraced, traced by `slatrace trace --requests -c nginx`, by the bpftrace
# peer script nginx-reqlat.bt (run from ../shared/peers, never copied),
# by libbpf-tools' `syscount -L`, and by empty programs on the two hooks
# slatrace's requests family uses (bench/req_floor.bpf.c: the price of
# hooking every socket read, write and data arrival on the host at all,
# which no work in the programs goes below), and, as a yardstick, by a
# known CPU cost in nginx's own request path: bench/spin_preload.c,
# preloaded into nginx, spins KNOWN_NS (2000) in each response's writev()
# in that configuration only. What a known 2 us per request costs in
# throughput on the machine at hand turns every other row's loss into
# "as if it added N us of CPU per request", a figure that travels between
# machines better than a percentage: on a virtual machine with expensive
# wakeups, a cost in the server's path slows wrk's wakeups too and shows
# amplified.
#
# The requests family's fallback path (what a kernel without the socket
# length tracepoints, before 6.3, gets: raw_syscalls:sys_exit) runs in the
# same rounds, forced with SLATRACE_FORCE_PATH=fallback, beside its own
# floor (bench/req_fallback_floor.bpf.c: empty programs on its hooks), so
# both paths are priced by the same yardstick in one run. Its goal is its
# own: the syscall exit hook costs every syscall on the host, not only
# socket I/O, and no work in the programs goes below that floor.
#
# Method: every tracer is started and has said it is attached before wrk
# starts, and is stopped with SIGINT and waited for after wrk ends. Each
# round runs every configuration once, in an order rotated every round; the
# figures kept are medians over the rounds. The loss is that of the median
# req/s against the untraced median; "paired" is the median of each round's
# loss against the same round's untraced run, a cross-check less sensitive
# to drift on this noisy machine. Then one extra slatrace round with
# kernel.bpf_stats_enabled=1 (its old value restored) gives the ns per run
# of each of slatrace's BPF programs; it is not part of the medians, as the
# statistics add their own cost to every BPF program on the host.
#
# Everything runs at niceness -10 (NICE), so that other jobs on this shared
# machine disturb the rounds less; all configurations alike, tracers too.
#
# One nginx worker: on two CPUs it leaves the other CPU to wrk's two
# threads, so nginx's worker is the bottleneck and what a tracer adds to it
# shows in req/s (the tracers' own userspace shares the two CPUs too).
#
# Every slatrace round (the stats round too) is checked against wrk's own
# count: slatrace must exit 0, lose no record, and count between wrk's
# completed requests and that plus CONNS plus wrk's read and write errors.
# The only slack is requests nginx answered that wrk did not count: wrk
# keeps at most one request in flight per connection (no pipelining), so at
# most CONNS are in flight when it stops, and a connection it drops on a
# read or write error can leave one more answered but uncounted (timeouts
# drop nothing: wrk still counts the late answer). None of it goes the other
# way: every response wrk counted was to a request nginx read while slatrace
# was attached. A goal line says PASS only when every slatrace round passed
# that check (lib.bash), MISSED when measured and not met, FAIL when not
# measured.
#
# Needs root, nginx, wrk, jq and bpftool; bpftrace and libbpf-tools rows are
# skipped, with the reason printed, when those are missing. About 5 minutes
# with the defaults; every process is bounded by timeout(1) and waited for.
# Environment: BUILD (default build), ROUNDS (10), DURATION (5, seconds of
# load per run), THREADS (2), CONNS (32), NICE (-10), KNOWN_NS (2000), PEER_BT
# (../shared/peers/nginx-reqlat.bt, from the repository root), SLATRACE (the
# slatrace to measure, default BUILD/slatrace), QUICK=1 (a check of the
# verdicts in about a minute: ROUNDS 2 and DURATION 2 unless given).
# Exit status: 0 when every goal was met and every slatrace round measured;
# 1 when a goal was missed or not measured, a round did not measure, or the
# benchmark could not run. The last line says which.

set -u
export LC_ALL=C

BUILD=${BUILD:-build}
if [ "${QUICK:-0}" = 1 ]; then
	ROUNDS=${ROUNDS:-2}
	DURATION=${DURATION:-2}
fi
ROUNDS=${ROUNDS:-10}
DURATION=${DURATION:-5}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
PEER_BT=${PEER_BT:-../shared/peers/nginx-reqlat.bt}
NICE=${NICE:--10}
KNOWN_NS=${KNOWN_NS:-2000}
NGINX=/usr/sbin/nginx
READY_TIMEOUT_S=60	# a tracer that has not attached by then is broken
STOP_TIMEOUT_S=15	# nginx, when it has not exited that long after SIGTERM, is killed
KILL_AFTER_S=5		# so is a tracer that long after SIGINT
TRACER_LIMIT_S=$((DURATION + 120))	# hard bound on any tracer's life (timeout(1))
WRK_LIMIT_S=$((DURATION + 30))
GOAL_LOSS_PCT=3
# the fallback path's: the same 3%, and 5% for the syscall exit hook itself
# (every syscall on the host through the kernel's slower exit path): half
# the 9.5% the first design's floor, on syscall entry and exit, cost
GOAL_FALLBACK_LOSS_PCT=${GOAL_FALLBACK_LOSS_PCT:-8}
GOAL_RSS_MIB=32

cd "$(dirname "$0")/.." || exit 1
. bench/lib.bash
. tests/e2e/shared.bash

[ "$(id -u)" = 0 ] || die "cannot run the requests benchmark: it needs root"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "invalid ROUNDS '$ROUNDS': expected a positive integer"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "invalid DURATION '$DURATION': expected whole seconds"
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "invalid THREADS '$THREADS'"
[[ $CONNS =~ ^[1-9][0-9]*$ ]] || die "invalid CONNS '$CONNS'"
SLATRACE_SRC=${SLATRACE:-$BUILD/slatrace}
[ -x "$SLATRACE_SRC" ] || die "cannot find '$SLATRACE_SRC': run 'make bench'"
[ -x "$NGINX" ] || die "cannot find '$NGINX': install nginx-light (make deps)"
for t in wrk jq bpftool timeout; do
	command -v "$t" >/dev/null 2>&1 || die "cannot find '$t': run 'make deps'"
done
[[ $KNOWN_NS =~ ^[1-9][0-9]{0,8}$ ]] || die "invalid KNOWN_NS '$KNOWN_NS': expected nanoseconds, 1..999999999"
[[ $NICE =~ ^-?[0-9]+$ ]] || die "invalid NICE '$NICE': expected a niceness, -20..19"
# everything started from here on (nginx, wrk, the tracers) inherits it
renice -n "$NICE" -p $$ >/dev/null || die "cannot set the niceness to $NICE"

SYSCOUNT=
if command -v dpkg >/dev/null 2>&1; then
	SYSCOUNT=$(dpkg -L libbpf-tools 2>/dev/null | grep -E '/s?bin/syscount$' | head -n1)
fi
[ -n "$SYSCOUNT" ] || SYSCOUNT=$(command -v syscount 2>/dev/null || true)
BPFTRACE=$(command -v bpftrace 2>/dev/null || true)

TMP=$(mktemp -d /tmp/slatrace-bench.XXXXXX) || die "cannot create a temporary directory"
# nginx's worker drops root (to nobody) and must reach its files
chmod 755 "$TMP"
# a copy, so that a rebuild during the run cannot mix two builds in the medians
SLATRACE=$TMP/slatrace
cp -p "$SLATRACE_SRC" "$SLATRACE" || die "cannot copy '$SLATRACE_SRC' to '$TMP'"
NGINX_PID=	# the timeout(1) wrapping nginx's master
SPIN_SO=$BUILD/bench/spin_preload.so
SPIN_FILE=$TMP/spin	# the known cost's control file: ns, 16 digits, rewritten in place
STATS_OLD=	# kernel.bpf_stats_enabled before we set it

stop_tracer() {
	local rc

	[ -n "$TRACER_PID" ] || return 0
	tracer_stop
	rc=$?
	((rc == 128 + 9)) && echo "warning: the tracer ignored SIGINT for ${KILL_AFTER_S}s and was killed" >&2
	return $rc
}

stop_nginx() {
	local i

	[ -n "$NGINX_PID" ] || return 0
	# SIGTERM: nginx's fast shutdown; timeout(1) forwards it to the master
	kill -TERM "$NGINX_PID" 2>/dev/null
	for ((i = 0; i < STOP_TIMEOUT_S * 20; i++)); do
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$NGINX_PID" 2>/dev/null; then
		echo "warning: nginx ignored SIGTERM for ${STOP_TIMEOUT_S}s: killing it" >&2
		[ -r "$TMP/nginx.pid" ] && kill -KILL "$(cat "$TMP/nginx.pid")" 2>/dev/null
		kill -KILL "$NGINX_PID" 2>/dev/null
	fi
	wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=
}

restore_stats() {
	[ -n "$STATS_OLD" ] || return 0
	sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD" >/dev/null ||
		echo "warning: cannot restore kernel.bpf_stats_enabled to $STATS_OLD" >&2
	STATS_OLD=
}

cleanup() {
	stop_tracer
	stop_nginx
	restore_stats
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- nginx -------------------------------------------------------------------

mkdir -p "$TMP/www" "$TMP/tmp" || die "cannot populate '$TMP'"
# a small static page: 1 KiB
{
	echo "<html><body><pre>"
	for ((i = 0; i < 15; i++)); do
		printf 'slatrace requests benchmark, line %02d: nothing to see here %s\n' "$i" "......"
	done
	echo "</pre></body></html>"
} | head -c 1024 >"$TMP/www/index.html"
chmod -R a+rX "$TMP/www"

write_nginx_conf() {
	nginx_conf "$TMP/nginx.conf" "$TMP" "$1" "access_log off" "tcp_nopush on" \
		"keepalive_requests 1000000"
}

# one GET over bash's /dev/tcp: does nginx answer 200 on $PORT?
http_ok() {
	local fd line

	{ exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null || return 1
	printf 'GET /index.html HTTP/1.0\r\nHost: localhost\r\n\r\n' >&"$fd"
	read -r -t 2 line <&"$fd"
	exec {fd}>&-
	[[ $line == HTTP/1.?" 200"* ]]
}

# set_spin NS: the known cost nginx's writev() spins from now on (0: none);
# written in place, never truncated: nginx has the file mapped
set_spin() {
	printf '%016d' "$1" 1<>"$SPIN_FILE"
}

# pick a port nothing listens on, start nginx there; retry on a bind race
start_nginx() {
	local try i

	for ((try = 0; try < 5; try++)); do
		PORT=$((20000 + RANDOM % 40000))
		[ -n "$(ss -Htln "sport = :$PORT" 2>/dev/null)" ] && continue
		write_nginx_conf "$PORT"
		: >"$TMP/error.log"
		set_spin 0 || return 1
		timeout -s TERM -k 10 "$NGINX_LIMIT_S" env ${PRELOAD:+LD_PRELOAD="$PRELOAD"} \
			SLT_SPIN_FILE="$SPIN_FILE" "$NGINX" -p "$TMP/" -c "$TMP/nginx.conf" \
			-e "$TMP/error.log" </dev/null >>"$TMP/nginx.out" 2>&1 &
		NGINX_PID=$!
		for ((i = 0; i < 100; i++)); do
			http_ok && return 0
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.1
		done
		stop_nginx
	done
	echo "error: cannot start nginx on 127.0.0.1: $(tail -n 3 "$TMP/error.log" "$TMP/nginx.out" 2>/dev/null | tr '\n' ' ')" >&2
	return 1
}

# --- the load --------------------------------------------------------------

WRK_REQS='' WRK_RPS='' WRK_P99_US='' WRK_ERRS='' WRK_RWERRS=''

# run_wrk OUT: one run at saturation; req/s, p99 (us), the request count,
# socket errors (timeouts: no response within wrk's 2s) and of them the
# read and write errors into WRK_RPS, WRK_P99_US, WRK_REQS, WRK_ERRS and
# WRK_RWERRS. Fails on a non-2xx answer.
run_wrk() {
	local out=$1 v

	WRK_REQS='' WRK_RPS='' WRK_P99_US='' WRK_ERRS='' WRK_RWERRS=''
	timeout -k 5 "$WRK_LIMIT_S" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency \
		"http://127.0.0.1:$PORT/index.html" >"$out" 2>&1 || return 1
	v=$(awk '
		function us(s) {
			if (s ~ /us$/) return substr(s, 1, length(s) - 2) + 0
			if (s ~ /ms$/) return substr(s, 1, length(s) - 2) * 1000
			if (s ~ /m$/) return substr(s, 1, length(s) - 1) * 60e6
			if (s ~ /s$/) return substr(s, 1, length(s) - 1) * 1e6
			return -1
		}
		$1 == "99%" { p99 = us($2) }
		$2 == "requests" && $3 == "in" { n = $1 }
		$1 == "Requests/sec:" { rps = $2 }
		/Non-2xx/ { bad = 1 }
		$1 == "Socket" && $2 == "errors:" { gsub(/,/, ""); err = $4 + $6 + $8 + $10; rw = $6 + $8 }
		END { if (rps == "" || p99 == "" || n == "" || bad) exit 1; print rps, p99, n, err + 0, rw + 0 }' "$out") ||
		return 1
	read -r WRK_RPS WRK_P99_US WRK_REQS WRK_ERRS WRK_RWERRS <<<"$v"
}

# --- tracers -----------------------------------------------------------------

CONFIGS=(untraced slatrace fallback bpftrace syscount floor fallback_floor known)
declare -A LABEL=(
	[untraced]="untraced"
	[slatrace]="slatrace trace --requests -c nginx"
	[bpftrace]="bpftrace nginx-reqlat.bt (peer)"
	[syscount]="syscount -L (libbpf-tools)"
	[fallback]="slatrace, fallback path (sys_exit)"
	[floor]="floor: empty programs, same hooks"
	[fallback_floor]="fallback floor: empty, its hooks"
	[known]="known: +$(awk -v n="$KNOWN_NS" 'BEGIN { printf "%g", n / 1000 }') us CPU/request in nginx"
)
declare -A RPS P99 LOSS HWM_KB SKIP ERRS IWI CPU_NS
COUNT_LINES=()

[ -n "$BPFTRACE" ] || SKIP[bpftrace]="bpftrace is not installed"
[ -r "$PEER_BT" ] || SKIP[bpftrace]="the peer script '$PEER_BT' is missing"
[ -n "$SYSCOUNT" ] || SKIP[syscount]="syscount (Debian package libbpf-tools) is not installed"
[ -x "$BUILD/bench/floor" ] && [ -e "$BUILD/bench/req_floor.bpf.o" ] ||
	SKIP[floor]="'$BUILD/bench/floor' is not built: run 'make bench'"
[ -x "$BUILD/bench/floor" ] && [ -e "$BUILD/bench/req_fallback_floor.bpf.o" ] ||
	SKIP[fallback_floor]="'$BUILD/bench/req_fallback_floor.bpf.o' is not built: run 'make bench'"
PRELOAD=
if [ -e "$SPIN_SO" ]; then
	PRELOAD=$(realpath "$SPIN_SO")
else
	SKIP[known]="'$SPIN_SO' is not built: run 'make bench'"
fi

# bpftrace prints "Attaching N probes..." before it attaches anything, and
# the peer script has no BEGIN to print from once it has: count the tracer's
# perf-event attachments until all N are there but BEGIN/END's
BT_SPECIAL=0
[ -r "$PEER_BT" ] && BT_SPECIAL=$(grep -cE '^[[:space:]]*(BEGIN|END)([[:space:]{]|$)' "$PEER_BT")

perf_links() {
	timeout 10 bpftool perf show --json 2>/dev/null |
		jq --argjson p "$1" '[.[] | select(.pid == $p)] | length' 2>/dev/null
}

# tracer_setup CONFIG ROUND: the command (CMD) and the line that means it
# is attached (READY), or for bpftrace that it is attaching (then polled)
tracer_setup() {
	POLL=
	case $1 in
	slatrace)
		CMD=("$SLATRACE" trace --requests -c nginx --json "$TMP/slatrace.$2.json")
		READY='^slatrace: tracing' ;;
	fallback)
		CMD=(env SLATRACE_FORCE_PATH=fallback "$SLATRACE" trace --requests -c nginx --json
			"$TMP/fallback.$2.json")
		READY='^slatrace: tracing' ;;
	bpftrace)
		CMD=("$BPFTRACE" "$PEER_BT")
		READY='^Attaching [0-9]+ probes'
		POLL=1 ;;
	syscount)
		# its banner goes to a block-buffered stdout when piped
		CMD=(stdbuf -oL "$SYSCOUNT" -L)
		READY='^Tracing syscalls' ;;
	floor)
		CMD=("$BUILD/bench/floor" "$BUILD/bench/req_floor.bpf.o")
		READY='^floor: attached' ;;
	fallback_floor)
		CMD=("$BUILD/bench/floor" "$BUILD/bench/req_fallback_floor.bpf.o")
		READY='^floor: attached' ;;
	esac
}

# start_tracer CONFIG ROUND LOG: start it, return once it is attached
start_tracer() {
	local want n pid

	tracer_setup "$1" "$2"
	tracer_start "$3" || return 1
	[ -n "$POLL" ] || return 0
	[[ $READY_LINE =~ ([0-9]+) ]] && want=$((BASH_REMATCH[1] - BT_SPECIAL))
	pid=$(tracer_child)
	while (($(now_us) < TRACER_DEADLINE_US)); do
		n=$(perf_links "${pid:-0}")
		[ -n "$n" ] && ((n >= want)) && return 0
		kill -0 "$TRACER_PID" 2>/dev/null || break
		sleep 0.05
	done
	stop_tracer
	return 1
}

record_memory() {
	local cfg=$1 pid k v _

	pid=$(tracer_child)
	[ -n "$pid" ] && [ -r "/proc/$pid/status" ] || return 0
	while read -r k v _; do
		[ "$k" = VmHWM: ] && HWM_KB[$cfg]+="$v "
	done <"/proc/$pid/status"
}

# slatrace's count of requests on our port, and its losses, from its JSON
slatrace_count() {
	jq -r --arg port "$PORT" '[([.series[] | select(.family == "request" and
		.labels.port == $port) | .count] | add // 0), .lost.total] | @tsv' "$1" 2>/dev/null
}

# slatrace_check RC JSON: why slatrace's round, which exited with RC and
# wrote JSON, did not measure the requests wrk made (nothing when it did):
# the bounds are those of the opening comment
slatrace_check() {
	local rc=$1 n lost

	((rc == 0)) || { echo "slatrace exited with status $rc"; return; }
	read -r n lost <<<"$(slatrace_count "$2")"
	[ -n "$n" ] || { echo "no JSON report from slatrace"; return; }
	[ "$lost" = 0 ] || echo "slatrace lost ${lost:-an unknown number of} records"
	((n >= WRK_REQS && n <= WRK_REQS + CONNS + WRK_RWERRS)) ||
		echo "slatrace counted $n requests, wrk $WRK_REQS (expected $WRK_REQS..$((WRK_REQS + CONNS + WRK_RWERRS)))"
}

# IRQ-work interrupts so far, all CPUs: a BPF ring buffer's wakeup of its
# reader is one, a self-IPI that costs a VM exit on a virtual machine
irq_work_count() {
	awk '$1 == "IWI:" { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' \
		/proc/interrupts 2>/dev/null
}

# ns a process has been on a CPU so far, all its threads (schedstat)
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

# one measured run of CONFIG in ROUND
measure() {
	local cfg=$1 r=$2 log="$TMP/$1.log" rc n lost iwi pid c0

	if [ "$cfg" = known ]; then
		set_spin "$KNOWN_NS" || die "cannot write '$SPIN_FILE'"
	elif [ "$cfg" != untraced ] && ! start_tracer "$cfg" "$r" "$log"; then
		SKIP[$cfg]="it did not attach within ${READY_TIMEOUT_S}s; its output: $(tail -n 3 "$log" 2>/dev/null | tr '\n' ' ')"
		[[ $cfg == slatrace || $cfg == fallback ]] && round_record "$cfg" $((r + 1)) "${SKIP[$cfg]}"
		return 0
	fi
	if [ -n "$TRACER_PID" ]; then
		pid=$(tracer_child)
		c0=$(cpu_ns "$pid")
	fi
	iwi=$(irq_work_count)
	if ! run_wrk "$TMP/wrk.$cfg.$r.out"; then
		[ "$cfg" = known ] && set_spin 0
		stop_tracer
		die "wrk failed while '$cfg' ran: $(tail -n 5 "$TMP/wrk.$cfg.$r.out" | tr '\n' ' ')"
	fi
	if [ "$cfg" = known ]; then
		set_spin 0 || die "cannot write '$SPIN_FILE'"
	fi
	IWI[$cfg]+="$(awk -v a="$iwi" -v b="$(irq_work_count)" -v n="$WRK_REQS" 'BEGIN { print n ? (b - a) / n : 0 }') "
	RPS[$cfg]+="$WRK_RPS "
	P99[$cfg]+="$WRK_P99_US "
	ERRS[$cfg]=$((${ERRS[$cfg]:-0} + WRK_ERRS))
	ROUND_RPS[$cfg]=$WRK_RPS
	[[ $cfg == untraced || $cfg == known ]] && return 0
	CPU_NS[$cfg]+="$(awk -v a="$c0" -v b="$(cpu_ns "$pid")" -v n="$WRK_REQS" 'BEGIN { print n ? (b - a) / n : 0 }') "
	record_memory "$cfg"
	stop_tracer
	rc=$?
	((rc != 0)) && echo "warning: '$cfg' exited with status $rc after SIGINT" >&2
	if [ "$cfg" = slatrace ]; then
		round_record slatrace $((r + 1)) "$(slatrace_check "$rc" "$TMP/slatrace.$r.json")"
		read -r n lost <<<"$(slatrace_count "$TMP/slatrace.$r.json")"
		COUNT_LINES+=("$r ${n:--1} $WRK_REQS ${lost:--1} $WRK_ERRS $WRK_RWERRS")
	elif [ "$cfg" = fallback ]; then
		# the same check: the fallback path must count what wrk counted
		round_record fallback $((r + 1)) "$(slatrace_check "$rc" "$TMP/fallback.$r.json")"
	fi
}

# --- run -------------------------------------------------------------------------

# nginx lives through every round plus the stats round
NGINX_LIMIT_S=$((ROUNDS * ${#CONFIGS[@]} * (DURATION + 30) + 300))
start_nginx || exit 1

echo "slatrace bench: nginx $("$NGINX" -v 2>&1 | sed 's|.*/||') (1 worker, 1 KiB static file, access_log off) on 127.0.0.1:$PORT"
echo "load: wrk -t$THREADS -c$CONNS -d${DURATION}s, $ROUNDS rounds, configurations rotated every round"
echo "kernel $(uname -r), $(nproc) CPUs, niceness $(ps -o ni= -p $$ | tr -d ' ')"
echo "slatrace: a copy of $BUILD/slatrace built $(date -r "$SLATRACE" '+%F %T'), sha256 $(sha256sum "$SLATRACE" | cut -c1-12)"

# warm up nginx and the page cache; not measured
run_wrk "$TMP/wrk.warmup.out" || die "wrk failed against nginx: $(tail -n 5 "$TMP/wrk.warmup.out" | tr '\n' ' ')"

start_s=$SECONDS
n=${#CONFIGS[@]}
for ((r = 0; r < ROUNDS; r++)); do
	declare -A ROUND_RPS=()
	line=
	for ((i = 0; i < n; i++)); do
		cfg=${CONFIGS[(i + r) % n]}
		[ -n "${SKIP[$cfg]:-}" ] && continue
		measure "$cfg" "$r"
		[ -n "${ROUND_RPS[$cfg]:-}" ] && line+=" $cfg ${ROUND_RPS[$cfg]%.*}"
	done
	for cfg in "${CONFIGS[@]}"; do
		[ "$cfg" != untraced ] && [ -n "${ROUND_RPS[$cfg]:-}" ] && [ -n "${ROUND_RPS[untraced]:-}" ] &&
			LOSS[$cfg]+="$(awk -v a="${ROUND_RPS[$cfg]}" -v b="${ROUND_RPS[untraced]}" 'BEGIN { print (1 - a / b) * 100 }') "
	done
	printf '  round %d/%d done (%ds):%s req/s\n' $((r + 1)) "$ROUNDS" $((SECONDS - start_s)) "$line"
done
echo

base_rps=$(stat_median "${RPS[untraced]}")
base_p99=$(stat_median "${P99[untraced]}")
declare -A MED_LOSS
fmt='%-36s %8s %17s %8s %8s %9s %10s %7s %8s\n'
printf "$fmt" "configuration" "req/s" "(min..max)" "loss" "paired" "p99" "added p99" "errors" "IWI/req"
for cfg in "${CONFIGS[@]}"; do
	if [ -z "${RPS[$cfg]:-}" ]; then
		printf "$fmt" "${LABEL[$cfg]}" "n/a" "" "n/a" "n/a" "n/a" "n/a" "n/a" "n/a"
		continue
	fi
	rps=$(stat_median "${RPS[$cfg]}")
	MED_LOSS[$cfg]=$(awk -v a="$rps" -v b="$base_rps" 'BEGIN { printf "%.2f", (1 - a / b) * 100 }')
	awk -v label="${LABEL[$cfg]}" -v rps="$rps" -v lo="$(stat_min "${RPS[$cfg]}")" \
		-v hi="$(stat_max "${RPS[$cfg]}")" -v loss="${MED_LOSS[$cfg]}" \
		-v paired="$(stat_median "${LOSS[$cfg]:-}")" -v p99="$(stat_median "${P99[$cfg]}")" \
		-v base="$base_p99" -v self="$cfg" -v fmt="$fmt" -v errs="${ERRS[$cfg]:-0}" \
		-v iwi="$(stat_median "${IWI[$cfg]:-}")" 'BEGIN {
		iwi = sprintf("%.2f", iwi)
		range = sprintf("(%.0f..%.0f)", lo, hi)
		if (self == "untraced")
			printf fmt, label, sprintf("%.0f", rps), range, "-", "-",
				sprintf("%.2fms", p99 / 1000), "-", errs, iwi
		else
			printf fmt, label, sprintf("%.0f", rps), range, sprintf("%.2f%%", loss),
				sprintf("%.2f%%", paired), sprintf("%.2fms", p99 / 1000),
				sprintf("%+.0fus", p99 - base), errs, iwi
	}'
done
for cfg in "${CONFIGS[@]}"; do
	[ -n "${SKIP[$cfg]:-}" ] && echo "  ${LABEL[$cfg]}: skipped: ${SKIP[$cfg]}"
done
echo "  (medians over $ROUNDS rounds; loss = 1 - median/untraced median; paired = median of"
echo "   each round's loss against that round's untraced run; p99 = wrk's, median over rounds;"
echo "   errors = wrk's socket errors over all rounds, mostly timeouts: no answer within 2s;"
echo "   IWI/req = IRQ-work interrupts (/proc/interrupts) per request, median: ring-buffer wakeups)"
echo

# --- the yardstick: each loss as CPU added per request -------------------------

# from the paired losses: the rounds' drift moves the medians of req/s by
# more than a known 2 us does
if [ -n "${LOSS[known]:-}" ]; then
	known_loss=$(stat_median "${LOSS[known]}")
	awk -v k="$known_loss" -v ns="$KNOWN_NS" -v rps="$base_rps" -v g="$GOAL_LOSS_PCT" 'BEGIN {
		us = ns / 1000
		printf "yardstick: %g us of CPU per request, known, in nginx'"'"'s worker cost %.2f%% of the throughput (paired);\n", us, k
		printf "  were the worker alone the bottleneck, it would cost %.2f%% (%g us x %.0f req/s)\n", 100 * us * rps / 1e6, us, rps
		if (k <= 0) { print "  (no measurable loss: no per-request equivalents)"; exit }
		printf "  by that yardstick, %g%% of throughput is %.2f us per request on this machine\n", g, g * us / k
	}'
	for cfg in slatrace fallback bpftrace syscount floor fallback_floor; do
		[ -n "${LOSS[$cfg]:-}" ] || continue
		awk -v label="${LABEL[$cfg]}" -v l="$(stat_median "${LOSS[$cfg]}")" -v k="$known_loss" -v ns="$KNOWN_NS" 'BEGIN {
			if (k > 0) printf "  %-36s %6.2f%% ~ %5.2f us per request\n", label, l, l * ns / 1000 / k }'
	done
	echo
fi

# --- slatrace's request count against wrk's -------------------------------

if ((${#COUNT_LINES[@]})); then
	# the first round wrk had no socket errors in, if any
	line=${COUNT_LINES[0]}
	for l in "${COUNT_LINES[@]}"; do
		read -r _ _ _ _ e _ <<<"$l"
		[ "$e" = 0 ] && { line=$l; break; }
	done
	read -r r n w lost e rw <<<"$line"
	echo "request count, round $((r + 1)): slatrace $n, wrk $w (difference $((n - w)); 0..$((CONNS + rw)) expected:"
	echo "  requests in flight when wrk stops are answered but not counted by wrk); slatrace lost $lost records, wrk had $e socket errors"
	awk -v c="$CONNS" '{ d = $2 - $3; if (d < 0 || d > c + $6) { bad++; if ($5 > 0) werr++ }
		if (d < 0) d = -d; if (d > m) m = d; lost += $4 }
		END { printf "  over all %d slatrace rounds: largest difference %d, %d outside 0..%d + read/write errors (%d of them with wrk socket errors), %d records lost\n",
			NR, m, bad, c, werr, lost }' < <(printf '%s\n' "${COUNT_LINES[@]}")
	echo
fi

# --- the BPF programs' own cost: one more slatrace round, bpf_stats on -------

# prog_stats IDS: "id name run_time_ns run_cnt" of the handle_* programs
# among IDS (a JSON array of program ids)
prog_stats() {
	timeout 10 bpftool prog show --json 2>/dev/null | jq -r --argjson ids "$1" '
		.[] | select(.id as $i | $ids | index($i)) | select(.name | startswith("handle_")) |
		"\(.id) \(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"'
}

STATS_LINES=
# stats_round CONFIG: slatrace or fallback
stats_round() {
	local cfg=$1 log="$TMP/$1.stats.log" pid ids before after old rc

	STATS_LINES=
	[ -z "${SKIP[$cfg]:-}" ] || return 1
	old=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null) || return 1
	STATS_OLD=$old
	sysctl -qw kernel.bpf_stats_enabled=1 >/dev/null || return 1
	if ! start_tracer "$cfg" stats "$log"; then
		round_record "$cfg" stats "it did not attach within ${READY_TIMEOUT_S}s"
		return 1
	fi
	pid=$(tracer_child)
	# our slatrace's programs, not another one's: the prog ids it holds fds of
	ids=$(grep -h '^prog_id:' /proc/"$pid"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u |
		jq -sc .)
	before=$(prog_stats "${ids:-[]}")
	run_wrk "$TMP/wrk.stats.out" || { stop_tracer; return 1; }
	after=$(prog_stats "${ids:-[]}")
	record_memory "$cfg"
	stop_tracer
	rc=$?
	round_record "$cfg" stats "$(slatrace_check "$rc" "$TMP/$cfg.stats.json")"
	restore_stats
	STATS_LINES=$(awk -v reqs="$WRK_REQS" -v budget="$(awk -v n="$(nproc)" -v r="$base_rps" 'BEGIN { print n * 1e9 / r }')" 'NR == FNR { t[$1] = $3; c[$1] = $4; next }
		{ dt = $3 - t[$1]; dc = $4 - c[$1]
		  printf "  %-24s %12d runs %8.1f ns/run %8.2f runs/request %8.0f ns/request\n",
			$2, dc, dc ? dt / dc : 0, reqs ? dc / reqs : 0, reqs ? dt / reqs : 0
		  tot += dt }
		END { printf "  %-24s %12s %21s %23s %8.0f ns/request\n", "all", "", "", "", reqs ? tot / reqs : 0
		      printf "  (%.1f%% of the untraced CPU budget per request, %.1f us)\n", reqs ? 100 * tot / reqs / budget : 0, budget / 1000 }' \
		<(echo "$before") <(echo "$after"))
	STATS_RPS=$WRK_RPS
}

for cfg in slatrace fallback; do
	echo "${LABEL[$cfg]}: its BPF programs (one more traced round, kernel.bpf_stats_enabled=1):"
	if stats_round "$cfg" && [ -n "$STATS_LINES" ]; then
		echo "$STATS_LINES"
		awk -v a="$STATS_RPS" -v b="$base_rps" -v cfg="$cfg" 'BEGIN {
			printf "  (that round: %.0f req/s, %.2f%% below the untraced median, the statistics'"'"' own cost included;\n", a, (1 - a / b) * 100
			if (cfg == "fallback")
				printf "   runs count every syscall exit on the host: the syscall test and the target filter run in the programs)\n"
			else
				printf "   runs count every process'"'"' socket I/O: the target filter runs in the programs)\n" }'
	else
		restore_stats
		echo "  n/a: the stats round did not run (no slatrace, no bpf_stats sysctl, or no programs found)"
	fi
	echo
done

echo "the tracer process itself (VmHWM: max over the rounds; CPU: its on-CPU time during the load"
echo "per request, median; the untraced budget is $(nproc) CPUs / the untraced median req/s):"
for cfg in slatrace fallback bpftrace syscount; do
	[ -n "${HWM_KB[$cfg]:-}" ] || continue
	awk -v what="${LABEL[$cfg]}" -v hwm="$(stat_max "${HWM_KB[$cfg]}")" \
		-v cpu="$(stat_median "${CPU_NS[$cfg]:-}")" -v budget="$(awk -v n="$(nproc)" -v r="$base_rps" 'BEGIN { print n * 1e9 / r }')" \
		'BEGIN { printf "  %-36s VmHWM %6.1f MiB   CPU %6.2f us/request (%4.1f%% of the budget)\n",
			what, hwm / 1024, cpu / 1000, 100 * cpu / budget }'
done
echo

# --- goals -----------------------------------------------------------------------

# every goal stands on every slatrace round (the stats round included: the
# memory figure comes from it too) having counted wrk's requests
why=$(rounds_why slatrace)
[ -n "${SKIP[slatrace]:-}" ] && why="skipped: ${SKIP[slatrace]}${why:+; $why}"
name="slatrace throughput loss < ${GOAL_LOSS_PCT}%"
if [ -n "${MED_LOSS[slatrace]:-}" ]; then
	v=$(awk -v l="${MED_LOSS[slatrace]}" -v g="$GOAL_LOSS_PCT" 'BEGIN { printf "%d measured %.2f%%", l < g, l }')
	goal_verdict "$name" "$why" "${v%% *}" "${v#* }"
else
	goal_verdict "$name" "${why:-no throughput figure}" 0 ""
fi
name="slatrace throughput loss < the bpftrace peer's"
if [ -n "${MED_LOSS[slatrace]:-}" ] && [ -n "${MED_LOSS[bpftrace]:-}" ]; then
	v=$(awk -v l="${MED_LOSS[slatrace]}" -v p="${MED_LOSS[bpftrace]}" 'BEGIN { printf "%d %.2f%% vs %.2f%%", l < p, l, p }')
	goal_verdict "$name" "$why" "${v%% *}" "${v#* }"
elif [ -n "${SKIP[bpftrace]:-}" ] && [ -n "${MED_LOSS[slatrace]:-}" ]; then
	# the peer is missing here: a comparison not made, said so, not a miss
	echo "SKIP $name: ${SKIP[bpftrace]}"
else
	goal_verdict "$name" "${why:-no throughput figure}" 0 ""
fi
# the fallback path: its own rounds' evidence, its own goal
fwhy=$(rounds_why fallback)
[ -n "${SKIP[fallback]:-}" ] && fwhy="skipped: ${SKIP[fallback]}${fwhy:+; $fwhy}"
name="slatrace fallback path throughput loss < ${GOAL_FALLBACK_LOSS_PCT}%"
if [ -n "${MED_LOSS[fallback]:-}" ]; then
	v=$(awk -v l="${MED_LOSS[fallback]}" -v g="$GOAL_FALLBACK_LOSS_PCT" 'BEGIN { printf "%d measured %.2f%%", l < g, l }')
	[ -n "${MED_LOSS[fallback_floor]:-}" ] && v+=" (its floor ${MED_LOSS[fallback_floor]}%)"
	goal_verdict "$name" "$fwhy" "${v%% *}" "${v#* }"
else
	goal_verdict "$name" "${fwhy:-no throughput figure}" 0 ""
fi
name="slatrace RSS < ${GOAL_RSS_MIB} MiB"
if [ -n "${HWM_KB[slatrace]:-}" ]; then
	v=$(awk -v k="$(stat_max "${HWM_KB[slatrace]}")" -v g="$GOAL_RSS_MIB" 'BEGIN { printf "%d VmHWM %.1f MiB", k < g * 1024, k / 1024 }')
	goal_verdict "$name" "$why" "${v%% *}" "${v#* }"
else
	goal_verdict "$name" "${why:-no memory figure}" 0 ""
fi
echo
echo "bench/requests.sh: done in $((SECONDS - start_s))s"
bench_summary requests || exit 1
exit 0
