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
trap 'rm -rf "$TMP"' EXIT

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

# field NAME from a "k=v k=v" line
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# series FILE SYSCALL JQ-EXPR: a field of one syscall's series
series() { jq -r --arg n "$2" ".series[] | select(.family==\"syscall\" and .name==\$n) | $3" "$1"; }

# wait_for FILE PATTERN SECONDS
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

run_tests() {
	local f
	for f in $(declare -F | awk '{print $3}' | grep '^t_'); do
		_cur=${f#t_}
		_done=0
		"$f"
		[ $_done = 1 ] || fail "test ended without a verdict"
	done
}
