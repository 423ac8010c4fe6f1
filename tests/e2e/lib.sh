# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared by the end-to-end tests. A test file defines functions named
# t_<what_it_proves> and ends with `run_tests`; each function calls pass,
# fail or skip (a skip always says why). Results go to $RESULTS.
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SLATRACE=${SLATRACE:-$ROOT/$BUILD/slatrace}
SYSLOAD=$ROOT/$BUILD/tests/sysload
RESULTS=${RESULTS:-/dev/null}
TMP=$(mktemp -d /tmp/slatrace-e2e.XXXXXX)
. "$ROOT/tests/e2e/shared.bash"

# Every process started in the background goes into _bg, so a failing test
# (or the end of the file) can kill what it left behind, by PID. A file that
# has more to undo sets its own trap, and calls kill_bg from it.
_bg=()
trap 'kill_bg; rm -rf "$TMP"' EXIT

_cur=""
_done=0
pass() { echo "ok    ${_cur}${1:+: $1}"; echo "pass $_cur" >>"$RESULTS"; _done=1; }
fail() { echo "FAIL  ${_cur}: $*"; echo "fail $_cur" >>"$RESULTS"; _done=1; }
skip() { echo "skip  ${_cur}: $*"; echo "skip $_cur" >>"$RESULTS"; _done=1; }

# need_root || return: skip (with the reason) unless root
need_root() {
	[ "$(id -u)" = 0 ] && return 0
	skip "needs root to load BPF programs"
	return 1
}

# within VALUE TRUTH PCT SLACK_NS: |VALUE-TRUTH| <= TRUTH*PCT/100 + SLACK
within() {
	awk -v v="$1" -v t="$2" -v p="$3" -v s="$4" \
		'BEGIN { d = v - t; if (d < 0) d = -d; exit !(d <= t * p / 100 + s) }'
}

# between VALUE LO HI PCT SLACK_NS: LO*(1-PCT/100)-SLACK <= VALUE <= HI*(1+PCT/100)+SLACK
between() {
	awk -v v="$1" -v l="$2" -v h="$3" -v p="$4" -v s="$5" \
		'BEGIN { exit !(l != "" && h != "" && v >= l * (1 - p / 100) - s && v <= h * (1 + p / 100) + s) }'
}

# field NAME from a "k=v k=v" line
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# series FILE SYSCALL JQ-EXPR: a field of one syscall's series
series() { jq -r --arg n "$2" ".series[] | select(.family==\"syscall\" and .name==\$n) | $3" "$1"; }


# alive PID: the process exists and is not a zombie
alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ]
}

# reap PID SECONDS: wait for a background child at most SECONDS, SIGKILL it
# after that; returns its exit status (137 when it had to be killed)
reap() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		alive "$1" || break
		sleep 0.1
	done
	alive "$1" && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# kill_bg: SIGKILL and reap every process in _bg
kill_bg() {
	local p
	for p in "${_bg[@]}"; do
		# a stopped process still dies of SIGKILL; SIGCONT is for tidiness
		alive "$p" && kill -KILL "$p" 2>/dev/null && kill -CONT "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	_bg=()
}

# bail MESSAGE: fail the test and clean up its background processes
bail() {
	kill_bg
	fail "$*"
}

# start_listener OUT CMD ARGS...: start a server that prints "listening
# ADDR" (stdout to OUT, stderr to OUT.err) and wait for it; sets SRV_PID and
# SRV_ADDR
start_listener() {
	local out=$1
	shift
	"$@" >"$out" 2>"$out.err" &
	SRV_PID=$!
	_bg+=("$SRV_PID")
	wait_for "$out" '^listening ' 5 || return 1
	SRV_ADDR=$(awk '/^listening /{ print $2; exit }' "$out")
}

# start_trace OUT ERR ARGS...: start `slatrace trace ARGS` and wait until it
# says it is tracing (15 s at most; a slatrace that exits without tracing,
# a program the kernel refused, fails at once); sets TR_PID
start_trace() {
	local out=$1 err=$2 i
	shift 2
	"$SLATRACE" trace "$@" >"$out" 2>"$err" &
	TR_PID=$!
	_bg+=("$TR_PID")
	for ((i = 0; i < 150; i++)); do
		grep -q '^slatrace: tracing' "$err" 2>/dev/null && return 0
		alive "$TR_PID" || break
		sleep 0.1
	done
	grep -q '^slatrace: tracing' "$err" 2>/dev/null
}

# stop_trace [SECONDS]: SIGINT slatrace, wait at most SECONDS (15); returns
# its exit status
stop_trace() {
	kill -INT "$TR_PID" 2>/dev/null
	reap "$TR_PID" "${1:-15}"
}

# pct_err VALUE TRUTH [DECIMALS]: signed relative error in % (2 decimals)
pct_err() { awk -v v="$1" -v t="$2" -v d="${3:-2}" 'BEGIN { printf "%+." d "f", (v - t) * 100 / t }'; }

# counter FILE NAME: a run-wide counter, 0 when absent
counter() { jq -r --arg k "$2" '.counters[$k] // 0' "$1"; }

# map_len NAME: entries in slatrace's ($TR_PID) BPF map NAME, found through
# its own fds; "none" when it holds no such map
map_len() {
	local id
	for id in $(grep -h '^map_id:' /proc/"$TR_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u); do
		if bpftool map show id "$id" 2>/dev/null | grep -q "name $1 "; then
			bpftool map dump id "$id" -j 2>/dev/null | jq length
			return
		fi
	done
	echo none
}

# a free loopback TCP port, for servers that cannot be told to pick one
free_port() {
	local i p
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 40000))
		[ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return 0; }
	done
	return 1
}

# start_nginx_on DIR NGINX [DIRECTIVE...]: nginx (one worker, nginx_conf's
# config with DIRECTIVEs in its http block) on a free loopback port serving
# DIR/www, which must hold index.html; sets NGX_PORT, NGX_MASTER, NGX_WORKER;
# returns 1 when it did not start
start_nginx_on() {
	local d=$1 ngx=$2 i k
	shift 2
	for ((i = 0; i < 5; i++)); do
		NGX_PORT=$(free_port) || return 1
		nginx_conf "$d/nginx.conf" "$d" "$NGX_PORT" "$@"
		"$ngx" -p "$d" -e "$d/error.log" -c "$d/nginx.conf" >"$d/nginx.out" 2>&1 &
		NGX_MASTER=$!
		_bg+=("$NGX_MASTER")
		for ((k = 0; k < 50; k++)); do
			curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$NGX_PORT/index.html" 2>/dev/null && break
			alive "$NGX_MASTER" || break
			sleep 0.1
		done
		alive "$NGX_MASTER" && break
	done
	alive "$NGX_MASTER" || return 1
	NGX_WORKER=$(pgrep -P "$NGX_MASTER" | head -1)
	[ -n "$NGX_WORKER" ] || return 1
	# a worker outlives a master killed with SIGKILL: it is killed by PID too
	_bg+=("$NGX_WORKER")
}

# E2E_ONLY="t_a t_b": run only those tests of the file (the kernel matrix
# runs a reduced set in its guests, fallback.sh borrows others' tests); unset or empty runs every test
run_tests() {
	local f
	for f in $(declare -F | awk '{print $3}' | grep '^t_'); do
		[ -n "${E2E_ONLY:-}" ] && [[ " $E2E_ONLY " != *" $f "* ]] && continue
		_cur=${f#t_}
		_done=0
		"$f"
		[ $_done = 1 ] || fail "test ended without a verdict"
	done
}
