// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Text report: header, losses, a table sorted by total time, errno
 * breakdown, and compact histograms of the top series. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "core/parse.h"
#include "report/report.h"

static void print_losses(FILE *f, const struct model *m)
{
	uint64_t total = model_lost_total(m);
	int first = 1;

	if (!total) {
		fprintf(f, "lost: none\n");
		return;
	}
	fprintf(f, "lost: %llu (", (unsigned long long)total);
	for (int i = 0; i < SLT_LOSS_MAX; i++) {
		if (!m->lost[i])
			continue;
		fprintf(f, "%s%s %llu", first ? "" : ", ", model_loss_name(i),
			(unsigned long long)m->lost[i]);
		first = 0;
	}
	fprintf(f, "): figures below undercount by at most that many events\n");
}

static void print_header(FILE *f, const struct model *m, const struct text_opts *o)
{
	const struct run_meta *r = &m->meta;
	char d[32];

	if (o->interval) {
		fprintf(f, "--- interval %s ---\n", slt_fmt_duration(r->duration_ns, d, sizeof(d)));
		return;
	}
	fprintf(f, "slatrace %s: %s for %s\n", r->families, r->target,
		slt_fmt_duration(r->duration_ns, d, sizeof(d)));
	fprintf(f, "host %s, kernel %s, probes attached in %s\n", r->host, r->kernel,
		slt_fmt_duration(r->attach_ns, d, sizeof(d)));
	if (r->cmd_pid) {
		fprintf(f, "command pid %d ", r->cmd_pid);
		if (!r->cmd_exited)
			fprintf(f, "still running");
		else if (WIFEXITED(r->cmd_status))
			fprintf(f, "exited %d", WEXITSTATUS(r->cmd_status));
		else if (WIFSIGNALED(r->cmd_status))
			fprintf(f, "killed by signal %d", WTERMSIG(r->cmd_status));
		fprintf(f, ", %llu child processes followed\n",
			(unsigned long long)r->procs_forked);
	}
	print_losses(f, m);
}

static void print_hist(FILE *f, const struct series *s)
{
	uint64_t rows[64] = { 0 }, peak = 0;
	int lo = 64, hi = -1;
	char a[32], b[32];

	/* fold the fine buckets into powers of two for display */
	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++) {
		uint64_t v = slt_hist_slot_lo(i);
		int p = v ? 63 - __builtin_clzll(v) : 0;

		if (!s->hist.slots[i])
			continue;
		rows[p] += s->hist.slots[i];
		if (p < lo)
			lo = p;
		if (p > hi)
			hi = p;
	}
	for (int p = lo; p <= hi; p++)
		if (rows[p] > peak)
			peak = rows[p];
	fprintf(f, "\n%s %s: %llu calls, latency distribution\n", s->family, s->name,
		(unsigned long long)s->hist.count);
	for (int p = lo; p <= hi && peak; p++) {
		int w = (int)((rows[p] * 40 + peak - 1) / peak);

		/* a run of empty rows folds into one "..." line */
		if (!rows[p] && p > lo && !rows[p - 1])
			continue;
		if (!rows[p] && p + 1 <= hi && !rows[p + 1]) {
			fprintf(f, "  %9s\n", "...");
			continue;
		}

		fprintf(f, "  %9s .. %-9s |%-40.*s| %llu\n",
			slt_fmt_duration(p ? 1ull << p : 0, a, sizeof(a)),
			slt_fmt_duration(1ull << (p + 1), b, sizeof(b)), w,
			"########################################", (unsigned long long)rows[p]);
	}
}

void print_report_plain(FILE *f, const struct model *m, const struct text_opts *o)
{
	struct series **v;
	int n, shown, any_err = 0;
	char c[5][32], t[32], mean[32];

	print_header(f, m, o);
	v = model_sorted(m, "syscall", &n);
	if (!v)
		return;
	if (!n) {
		fprintf(f, "\nno syscalls seen from the target\n");
		free(v);
		return;
	}
	shown = o->top && o->top < n ? o->top : n;
	fprintf(f, "\n%-20s %10s %8s %10s %9s %9s %9s %9s %9s %9s\n", "SYSCALL", "COUNT", "ERRORS",
		"TOTAL", "MEAN", "P50", "P90", "P99", "P99.9", "MAX");
	for (int i = 0; i < shown; i++) {
		const struct series *s = v[i];

		for (int k = 0; k < 5; k++)
			slt_fmt_duration(hist_percentile(&s->hist, slt_report_pcts[k]), c[k],
					 sizeof(c[k]));
		fprintf(f, "%-20s %10llu %8llu %10s %9s %9s %9s %9s %9s %9s\n", s->name,
			(unsigned long long)s->hist.count, (unsigned long long)s->errors,
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
		print_hist(f, v[i]);
	free(v);
}
