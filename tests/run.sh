#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs every test: the unit tests (no privileges), the end-to-end tests
# (root, real BPF, real workloads) and the fuzz targets (their committed
# corpus, then a fixed number of mutated inputs from a fixed seed: the same
# inputs on every machine). Ends with the line "N passed, N failed, N skipped".
#
# Every test is accounted for: the tests each step should run are listed
# before it starts (unit-tests --list, the t_* functions of an e2e script,
# the fuzz targets in tests/fuzz/), and one that has no result when its step
# ends failed, whether the binary crashed, the script died midway or the
# target was never built. A step that exits non-zero with every test passed
# (a leak report at exit, an error after the last test) fails as a step.
#
# TESTS=word selects the e2e scripts whose names contain it; E2E_ONLY="t_a
# t_b" runs only those test functions (tests/e2e/lib.sh).
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
ALL=$(mktemp /tmp/slatrace-results.XXXXXX)
STEP=$ALL.step
PLAN=$ALL.plan
trap 'rm -f "$ALL" "$STEP" "$PLAN" "$ALL.out" "$ALL.tree"' EXIT
# what the work tree holds now: a test may write only where it was told to
git status --porcelain --untracked-files=all >"$ALL.tree" 2>/dev/null

# settle STEP-NAME RC: every planned test without a result fails; a non-zero
# RC with no failure recorded fails the step; the step's results join ALL
settle() {
	local step=$1 rc=$2 name
	while read -r name; do
		[ -n "$name" ] || continue
		grep -qE "^(pass|fail|skip) ${name}\$" "$STEP" && continue
		echo "FAIL  $name: no result: $step stopped before it (exit $rc)"
		echo "fail $name" >>"$STEP"
	done <"$PLAN"
	if [ "$rc" != 0 ] && ! grep -q '^fail ' "$STEP"; then
		echo "FAIL  $step: exited $rc after its tests passed"
		echo "fail $step" >>"$STEP"
	fi
	cat "$STEP" >>"$ALL"
	: >"$STEP"
}

: >"$STEP"
echo "== unit"
unit=$BUILD/tests/unit-tests
if [ -x "$unit" ] && "$unit" --list >"$PLAN" && [ -s "$PLAN" ]; then
	"$unit" --results "$STEP"
	settle unit-tests $?
else
	echo "FAIL  unit-tests: $unit was not built or cannot list its tests"
	echo "fail unit-tests" >>"$ALL"
fi

for t in tests/e2e/*.sh; do
	name=$(basename "$t" .sh)
	[ "$name" = lib ] && continue
	[ -n "${TESTS:-}" ] && ! grep -q "$name" <<<"$TESTS" && continue
	echo "== $name"
	grep -oE '^t_[A-Za-z0-9_]+\(\)' "$t" | sed 's/()$//' |
		while read -r f; do
			[ -n "${E2E_ONLY:-}" ] && [[ " $E2E_ONLY " != *" $f "* ]] && continue
			echo "${f#t_}"
		done >"$PLAN"
	RESULTS=$STEP bash "$t"
	settle "e2e-$name" $?
done

for src in tests/fuzz/*.c; do
	name=$(basename "$src" .c)
	bin=$BUILD/fuzz/$name
	corpus=tests/fuzz/corpus/$name
	echo "== fuzz $name"
	echo "fuzz_$name" >"$PLAN"
	if [ ! -x "$bin" ]; then
		echo "FAIL  fuzz_$name: $bin was not built"
		echo "fail fuzz_$name" >>"$STEP"
	elif [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
		echo "FAIL  fuzz_$name: no corpus in $corpus"
		echo "fail fuzz_$name" >>"$STEP"
	# the timeout only catches a hang: a run takes seconds
	elif timeout 1800 "$bin" --corpus "$corpus" >"$ALL.out" 2>&1; then
		tail -1 "$ALL.out" | sed 's/^/      /'
		echo "ok    fuzz_$name"
		echo "pass fuzz_$name" >>"$STEP"
	else
		tail -20 "$ALL.out"
		echo "FAIL  fuzz_$name"
		echo "fail fuzz_$name" >>"$STEP"
	fi
	settle "fuzz-$name" 0
done

if git rev-parse --git-dir >/dev/null 2>&1; then
	left=$(git status --porcelain --untracked-files=all | grep -vxF -f "$ALL.tree")
	if [ -n "$left" ]; then
		echo "FAIL  work_tree_left_as_it_was: the tests wrote or changed: $(head -5 <<<"$left" | tr '\n' ' ')"
		echo "fail work_tree_left_as_it_was" >>"$ALL"
	else
		echo "pass work_tree_left_as_it_was" >>"$ALL"
	fi
fi

p=$(grep -c '^pass' "$ALL")
f=$(grep -c '^fail' "$ALL")
s=$(grep -c '^skip' "$ALL")
echo
[ "$f" -eq 0 ] || echo "failed: $(sed -n 's/^fail //p' "$ALL" | tr '\n' ' ')"
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
