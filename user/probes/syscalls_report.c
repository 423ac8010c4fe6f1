// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The syscalls family, as reports see it (core/family.h): its text
 * section, a table sorted by total time, errors by errno and histograms of
 * the top calls; in JSON its counters are an "error_breakdown" by errno,
 * and a syscall always returns, so it has no "failed". Series come from
 * user/probes/syscalls.c, one per syscall. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/family.h"
#include "core/parse.h"
#include "report/report.h"

static void print_syscalls_plain(FILE *f, const struct model *m, const struct text_opts *o)
{
	struct series **v;
	int n, shown, any_err = 0;
	char c[5][32], t[32], mean[32];

	v = report_rows(f, m, "syscall", "no syscalls seen from the target", o, &n, &shown);
	if (!v)
		return;
	fprintf(f, "\n%-20s %10s %8s %10s %9s %9s %9s %9s %9s %9s\n", "SYSCALL", "COUNT", "ERRORS",
		"TOTAL", "MEAN", "P50", "P90", "P99", "P99.9", "MAX");
	for (int i = 0; i < shown; i++) {
		const struct series *s = v[i];

		for (int k = 0; k < 5; k++)
			slt_fmt_duration(hist_percentile(&s->hist, slt_report_pcts[k]), c[k],
					 sizeof(c[k]));
		fprintf(f, "%-20s %10llu %8llu %10s %9s %9s %9s %9s %9s %9s\n", s->name,
			(unsigned long long)series_count(s), (unsigned long long)s->errors,
			slt_fmt_duration(s->hist.sum, t, sizeof(t)),
			slt_fmt_duration((uint64_t)hist_mean(&s->hist), mean, sizeof(mean)), c[0],
			c[1], c[2], c[3], c[4]);
		any_err |= s->ncounters > 0;
	}
	if (shown < n)
		fprintf(f, "(%d more syscalls; --top 0 shows all, the JSON report has every one)\n",
			n - shown);
	if (any_err) {
		fprintf(f, "\nerrors by errno:\n");
		for (int i = 0; i < shown; i++) {
			const struct series *s = v[i];

			if (!s->ncounters)
				continue;
			fprintf(f, "  %-20s", s->name);
			for (int k = 0; k < s->ncounters; k++)
				fprintf(f, " %s=%llu", s->counters[k].name,
					(unsigned long long)s->counters[k].value);
			fputc('\n', f);
		}
	}
	for (int i = 0; i < o->hist_top && i < n; i++)
		print_hist_plain(f, v[i]);
	free(v);
}

const struct family_desc syscalls_family = {
	.name = "syscalls",
	.series = "syscall",
	.flags = SLT_FAMILY_NEVER_FAILS | SLT_FAMILY_UNLISTED,
	.counters_key = "error_breakdown",
	.print_text = print_syscalls_plain,
};
