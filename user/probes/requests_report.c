// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The requests family, as reports see it (core/family.h): its text
 * section, one row per request class with rate, errors and the queue and
 * service parts of its latency, then histograms of the slowest classes; in
 * JSON a series' counters are its "status" counts, and it carries the bytes
 * of requests and responses. SLA selectors that name no family (a route, a
 * port, a process) mean requests. Series come from user/probes/requests.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/family.h"
#include "core/parse.h"
#include "report/report.h"

/* the responses of status class 1xx-5xx (the counters numbered by their
 * HTTP status; "reset" and "no_response" are named only) */
static uint64_t status_class(const struct series *s, int hundreds)
{
	uint64_t n = 0;

	for (int i = 0; i < s->ncounters; i++)
		if (s->counters[i].code != SLT_NO_CODE && s->counters[i].code / 100 == hundreds)
			n += s->counters[i].value;
	return n;
}

static int by_p99_desc(const void *a, const void *b)
{
	uint64_t x = hist_percentile(&(*(struct series *const *)a)->hist, 99);
	uint64_t y = hist_percentile(&(*(struct series *const *)b)->hist, 99);

	return x < y ? 1 : x > y ? -1 : 0;
}

static void print_requests_plain(FILE *f, const struct model *m, const struct text_opts *o)
{
	double dur = m->meta.duration_ns / 1e9;
	struct series **v;
	char c[8][32];
	int n, shown;

	v = report_rows(f, m, "request", "no requests seen on the target's server connections", o, &n, &shown);
	if (!v)
		return;
	fprintf(f, "\n%-44s %8s %9s %6s %6s %9s %9s %9s %9s %9s | %9s %9s | %9s %9s\n",
		"REQUEST CLASS (process port method route)", "COUNT", "RATE/s", "ERR%", "4XX",
		"P50", "P90", "P99", "P99.9", "MAX", "QUEUE P50", "P99", "SERV P50", "P99");
	for (int i = 0; i < shown; i++) {
		const struct series *s = v[i];
		uint64_t count = series_count(s);
		static const struct hist empty;
		const struct hist *q = s->role[SLT_ROLE_QUEUE] ? s->role[SLT_ROLE_QUEUE] : &empty;
		const struct hist *sv =
		    s->role[SLT_ROLE_SERVICE] ? s->role[SLT_ROLE_SERVICE] : &empty;

		for (int k = 0; k < 5; k++)
			slt_fmt_duration(hist_percentile(&s->hist, slt_report_pcts[k]), c[k],
					 sizeof(c[k]));
		fprintf(f, "%-44.44s %8llu %9.1f %6.2f %6llu %9s %9s %9s %9s %9s", s->name,
			(unsigned long long)count, dur > 0 ? count / dur : 0,
			count ? 100.0 * s->errors / count : 0,
			(unsigned long long)status_class(s, 4), c[0], c[1], c[2], c[3], c[4]);
		fprintf(f, " | %9s %9s | %9s %9s\n",
			slt_fmt_duration(hist_percentile(q, 50), c[5], sizeof(c[5])),
			slt_fmt_duration(hist_percentile(q, 99), c[6], sizeof(c[6])),
			slt_fmt_duration(hist_percentile(sv, 50), c[7], sizeof(c[7])),
			slt_fmt_duration(hist_percentile(sv, 99), c[0], sizeof(c[0])));
	}
	if (shown < n)
		fprintf(f, "(%d more classes; --top 0 shows all)\n", n - shown);
	fprintf(f, "ERR%% = 5xx and requests that got no response (reset, closed); "
		   "total = queue + service\n");
	qsort(v, n, sizeof(*v), by_p99_desc);
	for (int i = 0; i < o->hist_top && i < n; i++)
		if (v[i]->hist.count)
			print_hist_plain(f, v[i]);
	free(v);
}

const struct family_desc requests_family = {
	.name = "requests",
	.series = "request",
	.flags = SLT_FAMILY_SLA_DEFAULT,
	.counters_key = "status",
	/* arrival in the receive queue -> read; read -> last response byte */
	.role_keys = { [SLT_ROLE_QUEUE] = "queue", [SLT_ROLE_SERVICE] = "service" },
	/* bytes read (requests), written (responses) */
	.bytes_keys = { "request_bytes", "response_bytes" },
	.print_text = print_requests_plain,
};
