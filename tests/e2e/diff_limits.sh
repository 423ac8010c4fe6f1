#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# What `slatrace diff` costs and refuses, with nothing to trace (no root
# needed). The truths: the kernel's account of the process's peak resident
# memory (/usr/bin/time -v), against the bound README states (about 11 KiB
# per series in the two reports, and a few MiB besides); the number of
# series the synthetic reports were written with (tests/e2e/synth_report.awk);
# and for refusals, one line and an exit status of 2, whatever the input.
. "$(dirname "$0")/lib.sh"

SYNTH=$ROOT/tests/e2e/synth_report.awk
N=${DIFF_LIMITS_SERIES:-4000}
# README, `diff`: 11 KiB a series in the two reports, plus some MiB for the
# program itself; the bound is stated with a margin of 1 KiB a series
BOUND_KIB_PER_SERIES=12
BOUND_BASE_KIB=$((32 * 1024))

have() {
	[ -x "$SLATRACE" ] || { skip "$SLATRACE is not built (make all)"; return 1; }
	[ -x /usr/bin/time ] || { skip "/usr/bin/time is not installed (Debian: time)"; return 1; }
	return 0
}

small_report() {
	[ -s "$TMP/small.json" ] || awk -v n=3 -v seed=1 -f "$SYNTH" >"$TMP/small.json"
}

# refused FILE...: diff exits 2 with exactly one line on stderr, and nothing
# on stdout; $msg is that line
msg=""
refused() {
	local rc
	"$SLATRACE" diff "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	msg=$(cat "$TMP/err")
	[ $rc = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && [ ! -s "$TMP/out" ]
}

t_dev_zero_is_refused_by_its_first_byte_in_one_line() {
	have || return
	small_report
	/usr/bin/time -v -o "$TMP/time" "$SLATRACE" diff /dev/zero "$TMP/small.json" \
		>/dev/null 2>"$TMP/err"
	refused /dev/zero "$TMP/small.json" ||
		{ fail "want exit 2 and one line, got: $msg"; return; }
	grep -qF "'/dev/zero' is not a slatrace report: it does not begin with '{'" <<<"$msg" ||
		{ fail "$msg"; return; }
	local rss
	rss=$(awk -F': ' '/Maximum resident/ { print $2 }' "$TMP/time")
	# reading /dev/zero to the limit took 512 MiB
	[ "$rss" -lt $((64 * 1024)) ] || { fail "peak RSS $rss KiB: it read /dev/zero"; return; }
	pass "$msg; peak RSS $rss KiB"
}

t_garbage_a_block_device_and_an_endless_stream_are_refused_in_one_line() {
	have || return
	small_report
	printf 'GET / HTTP/1.1\r\n\r\n' >"$TMP/garbage.json"
	refused "$TMP/garbage.json" "$TMP/small.json" && grep -q "does not begin with '{'" <<<"$msg" ||
		{ fail "garbage: $msg"; return; }
	local dev rc
	dev=$(find /dev -maxdepth 1 -type b -print -quit 2>/dev/null)
	if [ -n "$dev" ]; then
		refused "$dev" "$TMP/small.json" && grep -q "not a file or a pipe" <<<"$msg" ||
			{ fail "$dev: $msg"; return; }
	fi
	# '{' then white space without end, through a pipe: refused when it
	# passes the limit, not when it ends (it never does)
	(printf '{'; exec tr '\0' ' ' </dev/zero) 2>/dev/null |
		"$SLATRACE" diff /dev/stdin "$TMP/small.json" >"$TMP/out" 2>"$TMP/err"
	rc=${PIPESTATUS[1]}
	msg=$(cat "$TMP/err")
	[ "$rc" = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "is too large for a report" <<<"$msg" ||
		{ fail "endless stream: exit $rc: $msg"; return; }
	pass "${dev:-no block device here}; $msg"
}

t_large_reports_diff_within_the_stated_memory_bound() {
	have || return
	awk -v n="$N" -v seed=1 -f "$SYNTH" >"$TMP/before.json"
	awk -v n="$N" -v seed=2 -f "$SYNTH" >"$TMP/after.json"
	/usr/bin/time -v -o "$TMP/time" "$SLATRACE" diff --top 0 "$TMP/before.json" \
		"$TMP/after.json" >"$TMP/diff.txt" 2>"$TMP/err" ||
		{ fail "diff failed: $(head -c 300 "$TMP/err")"; return; }
	local compared rss bound kib
	# "0 slower, 2 faster, 3998 unchanged; 0 appeared, 0 vanished"
	compared=$(awk '/ slower, .* faster, .* unchanged; / { print $1 + $3 + $5 }' "$TMP/diff.txt")
	[ "$compared" = "$N" ] || { fail "compared '$compared' series of $N"; return; }
	rss=$(awk -F': ' '/Maximum resident/ { print $2 }' "$TMP/time")
	bound=$((2 * N * BOUND_KIB_PER_SERIES + BOUND_BASE_KIB))
	kib=$((($(stat -c %s "$TMP/before.json") + $(stat -c %s "$TMP/after.json")) / 1024))
	# AddressSanitizer's shadow memory and quarantine hold freed memory:
	# the bound is the plain build's; a sanitizer build is held to 4x it
	[ "${SAN:-0}" = 1 ] && bound=$((4 * bound))
	[ "$rss" -le "$bound" ] ||
		{ fail "peak RSS $rss KiB > bound $bound KiB ($kib KiB of reports)"; return; }
	local ratio
	ratio=$(awk -v r="$rss" -v k="$kib" 'BEGIN { printf "%.1f", r / k }')
	pass "2 x $N series, $kib KiB of reports: peak RSS $rss KiB (bound $bound KiB, ${ratio}x the inputs)"
}

run_tests
