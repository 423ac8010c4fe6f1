# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A valid slatrace.report/1 with many request series, for measuring what
# reading large reports costs (tests/e2e/diff_limits.sh):
#   awk -v n=50000 -v seed=1 -f tests/e2e/synth_report.awk >r.json
# n series, each with its latency, queue and service histograms of a few
# buckets on the shared layout (slatrace/hist.h: below 32 a bucket per value,
# then 32 sub-buckets per power of two), pretty-printed as `trace --json`
# writes them, about 2.3 KB each. seed changes the counts, not the names,
# so two seeds make a comparable before and after.

# smallest value of bucket s
function lo(s) {
	if (s < 32)
		return s
	return (32 + (s - 32) % 32) * 2 ^ int((s - 32) / 32)
}

# "NAME_buckets" of k buckets from slot first, counts c0 + j; sets tot, sum, mx
function buckets(name, first, k, c0,    j, c, out) {
	tot = 0; sum = 0; mx = 0
	out = "    \"" name "\":[\n"
	for (j = 0; j < k; j++) {
		c = c0 + j
		tot += c; sum += c * lo(first + j); mx = lo(first + j + 1) - 1
		out = out sprintf("      [\n        %d,\n        %d,\n        %d\n      ]%s\n",
				  lo(first + j), lo(first + j + 1), c, j + 1 < k ? "," : "")
	}
	return out "    ]"
}

BEGIN {
	if (n == "")
		n = 1000
	srand(seed + 0)
	printf "{\n  \"schema\":\"slatrace.report/1\",\n"
	printf "  \"tool\":{\n    \"name\":\"slatrace\",\n    \"version\":\"0.1.0\"\n  },\n"
	printf "  \"host\":\"synth\",\n  \"kernel\":\"6.1.0\",\n  \"target\":\"pid 1\",\n"
	printf "  \"families\":[\n    \"requests\"\n  ],\n"
	printf "  \"start_unix_ns\":1700000000000000000,\n  \"end_unix_ns\":1700000060000000000,\n"
	printf "  \"duration_s\":60,\n  \"attach_s\":0.1,\n"
	printf "  \"lost\":{\n    \"total\":0\n  },\n  \"counters\":{\n    \"in_flight_at_end\":0\n  },\n"
	printf "  \"series\":[\n"
	for (i = 0; i < n; i++) {
		first = 500 + i % 300
		k = 4 + i % 5
		c0 = 1 + int(rand() * 20)
		b = buckets("buckets", first, k, c0); count = tot; total = sum; max = mx
		q = buckets("queue_buckets", first - 64, 3, c0); qmax = mx
		sv = buckets("service_buckets", first, 3, c0); smax = mx
		printf "  {\n    \"family\":\"request\",\n    \"name\":\"svc :8080 GET /r%d\",\n", i
		printf "    \"labels\":{\n      \"process\":\"svc\",\n      \"port\":\"8080\",\n"
		printf "      \"method\":\"GET\",\n      \"route\":\"/r%d\"\n    },\n", i
		printf "    \"count\":%d,\n    \"errors\":0,\n    \"failed\":0,\n", count
		printf "    \"status\":{\n      \"200\":%d\n    },\n", count
		printf "    \"total_ns\":%d,\n    \"latency_ns\":{\n      \"max\":%d\n    },\n", total, max
		printf "%s,\n", b
		printf "    \"queue_ns\":{\n      \"max\":%d\n    },\n%s,\n", qmax, q
		printf "    \"service_ns\":{\n      \"max\":%d\n    },\n%s\n", smax, sv
		printf "  }%s\n", i + 1 < n ? "," : ""
	}
	printf "  ]\n}\n"
}
