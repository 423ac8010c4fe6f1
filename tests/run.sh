#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs every test: unit tests (no privileges), the end-to-end tests (root,
# real BPF, real workloads) and the fuzz targets for a bounded time. Ends
# with the line "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
export RESULTS=$(mktemp /tmp/slatrace-results.XXXXXX)
trap 'rm -f "$RESULTS"' EXIT

echo "== unit"
if [ -x "$BUILD/tests/unit-tests" ]; then
	"$BUILD/tests/unit-tests" --results "$RESULTS"
else
	echo "FAIL  unit: $BUILD/tests/unit-tests was not built"
	echo "fail unit-build" >>"$RESULTS"
fi

for t in tests/e2e/*.sh; do
	[ "$(basename "$t")" = lib.sh ] && continue
	[ -n "${TESTS:-}" ] && ! grep -q "$(basename "$t" .sh)" <<<"$TESTS" && continue
	echo "== $(basename "$t" .sh)"
	bash "$t"
done

for f in "$BUILD"/fuzz/*; do
	[ -x "$f" ] || continue
	echo "== fuzz $(basename "$f")"
	if timeout $((${FUZZ_SECONDS:-15} + 60)) "$f" --seconds "${FUZZ_SECONDS:-15}" >"$RESULTS.fuzz" 2>&1; then
		tail -1 "$RESULTS.fuzz" | sed 's/^/      /'
		echo "ok    fuzz_$(basename "$f")"
		echo "pass fuzz_$(basename "$f")" >>"$RESULTS"
	else
		tail -20 "$RESULTS.fuzz"
		echo "FAIL  fuzz_$(basename "$f")"
		echo "fail fuzz_$(basename "$f")" >>"$RESULTS"
	fi
	rm -f "$RESULTS.fuzz"
done

p=$(grep -c '^pass' "$RESULTS")
f=$(grep -c '^fail' "$RESULTS")
s=$(grep -c '^skip' "$RESULTS")
echo
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
