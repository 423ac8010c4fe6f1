#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# docs/bad-inputs.md says what slatrace does with every bad input we know
# of: regenerate it with the binary under test and hold it against the
# committed table, so the table is true today and no input crashes
# slatrace, prints more than one line of error, exits 0 or leaves a file.
. "$(dirname "$0")/lib.sh"

t_every_bad_input_gets_one_line_and_a_nonzero_exit_as_documented() {
	need_root || return
	local out=$TMP/bad-inputs.md flagged
	"$ROOT/tools/bad-inputs.sh" "$SLATRACE" >"$out" 2>"$TMP/bad.err" ||
		{ fail "tools/bad-inputs.sh failed: $(head -c 300 "$TMP/bad.err")"; return; }
	flagged=$(grep -F '**!**' "$out" | grep -v '^leaves\|^any input')
	[ -z "$flagged" ] || { fail "inputs flagged: $flagged"; return; }
	diff -u "$ROOT/docs/bad-inputs.md" "$out" >"$TMP/bad.diff" ||
		{ fail "docs/bad-inputs.md is not what slatrace does today (regenerate with tools/bad-inputs.sh): $(head -c 1500 "$TMP/bad.diff")"; return; }
	pass "$(grep -c '^| `slatrace' "$out") bad inputs, each as docs/bad-inputs.md says"
}

run_tests
