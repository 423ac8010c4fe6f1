// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The signals family, as reports see it (core/family.h): one row per
 * (signal, sender) with how many were delivered and how long they waited
 * between being raised and being delivered (a blocked signal waits until
 * it is unblocked), then the ones that merged into a pending one or were
 * ignored. A delivery is always an outcome, so no series "fails". In JSON
 * the counters are "counts" (merged, ignored). Series come from
 * user/probes/signals.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/family.h"
#include "core/parse.h"
#include "report/report.h"

static void print_signals_plain(FILE *f, const struct model *m, const struct text_opts *o)
{
	struct series **v;
	char c[4][32];
	int n, shown;

	v = report_rows(f, m, "signal", "no signals delivered to the target", o, &n, &shown);
	if (!v)
		return;
	fprintf(f, "\n%-40s %-16s %8s %8s %8s %8s %9s %9s %9s %9s\n", "SIGNAL (sender)", "SENDER",
		"COUNT", "UNTIMED", "MERGED", "IGNORED", "PEND P50", "P90", "P99", "MAX");
	for (int i = 0; i < shown; i++) {
		const struct series *s = v[i];

		for (int k = 0; k < 4; k++)
			slt_fmt_duration(hist_percentile(&s->hist, k == 3 ? 100 : slt_report_pcts[k]),
					 c[k], sizeof(c[k]));
		fprintf(f, "%-40.40s %-16.16s %8llu %8llu %8llu %8llu %9s %9s %9s %9s\n", s->name,
			series_label(s, "sender"), (unsigned long long)series_count(s),
			(unsigned long long)s->untimed,
			(unsigned long long)series_counter(s, "merged"),
			(unsigned long long)series_counter(s, "ignored"), c[0], c[1], c[2], c[3]);
	}
	if (shown < n)
		fprintf(f, "(%d more; --top 0 shows all)\n", n - shown);
	fprintf(f, "PEND = raised -> delivered; UNTIMED: delivered, raised before the run or "
		   "not remembered; MERGED/IGNORED: raised, not delivered on their own\n");
	for (int i = 0; i < o->hist_top && i < n; i++)
		if (v[i]->hist.count)
			print_hist_plain(f, v[i]);
	free(v);
}

const struct family_desc signals_family = {
	.name = "signals",
	.series = "signal",
	.flags = SLT_FAMILY_NEVER_FAILS,
	.counters_key = "counts",
	.print_text = print_signals_plain,
};
