#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `make demo`: trace a bundled workload with slatrace and print the report.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: error: slatrace loads BPF programs: run 'make demo' as root" >&2
	exit 1
fi
out="$BUILD/demo-report.json"
echo "demo: tracing a workload that lists /usr, reads files and fails some opens"
"$BUILD/slatrace" trace --json "$out" -- sh -c '
	ls -R /usr >/dev/null
	cat /usr/share/common-licenses/* >/dev/null 2>&1
	for i in 1 2 3 4 5; do cat /nonexistent/$i 2>/dev/null; sleep 0.01; done
	true'
echo
echo "demo: the full report, every series with its buckets, is in $out"
