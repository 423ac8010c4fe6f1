// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Text report: header, losses, run-wide counts, then each family's section
 * (core/family.h), which may draw compact histograms with print_hist_plain. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "core/family.h"
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
	char d[32], fams[sizeof(r->families)];

	if (o->interval) {
		fprintf(f, "--- interval %s ---\n", slt_fmt_duration(r->duration_ns, d, sizeof(d)));
		return;
	}
	fprintf(f, "slatrace %s: %s for %s\n", run_meta_families_joined(r, fams, sizeof(fams)),
		r->target, slt_fmt_duration(r->duration_ns, d, sizeof(d)));
	fprintf(f, "host %s, kernel %s, probes attached in %s\n", r->host, r->kernel,
		slt_fmt_duration(r->attach_ns, d, sizeof(d)));
	for (int i = 0; i < r->nskipped && i < SLT_SKIPPED_MAX; i++)
		fprintf(f, "left out: %s (%s)\n", r->skipped[i].name, r->skipped[i].why);
	if (strstr(r->paths, "=fallback") || strstr(r->paths, "=intermediate"))
		fprintf(f, "kernel paths: %s\n", r->paths);
	if (r->has_target_runq) {
		char w[32];

		slt_fmt_duration(r->target_cpu_ns, d, sizeof(d));
		slt_fmt_duration(r->target_runq_wait_ns, w, sizeof(w));
		fprintf(f, "target ran %s, waited %s for a CPU (%.1f%% of its runnable time)", d, w,
			r->target_runq_wait_pct);
		if (r->has_cpu_pressure)
			fprintf(f, "; host CPU pressure %.1f%%", r->cpu_pressure_pct);
		fputc('\n', f);
	}
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

/*
 * The histogram as text. Its buckets are log-linear (slatrace/hist.h: each
 * power of two split into 32), so rows of a power of two each would throw
 * away most of what was measured: a route at 20.2 ms would read only
 * "16.78ms .. 33.55ms". Rows are instead 1/2^k of a power of two wide, k
 * the largest (finest) in 5..0 that prints in at most HIST_LINES_MAX lines,
 * a run of empty rows folding into one "..." line. So a tight cluster is
 * shown at the buckets' own width (1/32, ~3%) and a spread over many powers
 * of two is shown coarser, never more than a screenful. Because 2^k divides
 * 32, a row is a whole number of native buckets: its count is exact.
 */
#define HIST_LINES_MAX 24

/* row of value v with 2^k rows per power of two (0 has a row of its own) */
static int64_t hist_row(uint64_t v, int k)
{
	int p;

	if (!v)
		return -1;
	p = 63 - __builtin_clzll(v);
	return ((int64_t)p << k) + (int64_t)(((v - (1ull << p)) << k) >> p);
}

struct hist_row {
	uint64_t lo, hi, count;
};

/* fold the non-empty span of s's buckets into rows; returns their number */
static int hist_rows(const struct series *s, int k, struct hist_row *rows)
{
	unsigned first = SLT_HIST_NBUCKETS, last = 0;
	int n = 0;
	int64_t cur = INT64_MIN;

	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++)
		if (s->hist.slots[i]) {
			if (first == SLT_HIST_NBUCKETS)
				first = i;
			last = i;
		}
	if (first == SLT_HIST_NBUCKETS)
		return 0;
	/* the end rows whole: "512ns .. 1.02us", not "992ns .. 1.02us" */
	while (first > 0 &&
	       hist_row(slt_hist_slot_lo(first - 1), k) == hist_row(slt_hist_slot_lo(first), k))
		first--;
	while (last + 1 < SLT_HIST_NBUCKETS &&
	       hist_row(slt_hist_slot_lo(last + 1), k) == hist_row(slt_hist_slot_lo(last), k))
		last++;
	for (unsigned i = first; i <= last; i++) {
		int64_t r = hist_row(slt_hist_slot_lo(i), k);

		if (r != cur) {
			rows[n].lo = slt_hist_slot_lo(i);
			rows[n].count = 0;
			n++;
			cur = r;
		}
		rows[n - 1].hi = slt_hist_slot_hi(i);
		rows[n - 1].count += s->hist.slots[i];
	}
	return n;
}

/* lines printed for these rows: a run of two or more empty rows is one */
static int hist_lines(const struct hist_row *rows, int n)
{
	int lines = 0;

	for (int i = 0; i < n; i++)
		if (rows[i].count || i == 0 || rows[i - 1].count)
			lines++;
	return lines;
}

void print_hist_plain(FILE *f, const struct series *s)
{
	static struct hist_row rows[SLT_HIST_NBUCKETS];
	uint64_t peak = 0;
	int n = 0, k;
	char a[32], b[32], width[40];

	for (k = SLT_HIST_SUB_BITS; k >= 0; k--) {
		n = hist_rows(s, k, rows);
		if (hist_lines(rows, n) <= HIST_LINES_MAX || k == 0)
			break;
	}
	for (int i = 0; i < n; i++)
		if (rows[i].count > peak)
			peak = rows[i].count;
	if (k)
		snprintf(width, sizeof(width), "rows 1/%d of a power of two", 1 << k);
	else
		snprintf(width, sizeof(width), "rows a power of two");
	fprintf(f, "\n%s %s: %llu, latency distribution (%s)\n", s->family, s->name,
		(unsigned long long)s->hist.count, width);
	for (int i = 0; i < n && peak; i++) {
		int w = (int)((rows[i].count * 40 + peak - 1) / peak);

		/* a run of empty rows folds into one "..." line */
		if (!rows[i].count && i > 0 && !rows[i - 1].count)
			continue;
		if (!rows[i].count && i + 1 < n && !rows[i + 1].count) {
			fprintf(f, "  %9s\n", "...");
			continue;
		}
		if (rows[i].hi == ~0ull)
			snprintf(b, sizeof(b), "inf");
		else
			slt_fmt_duration(rows[i].hi, b, sizeof(b));
		fprintf(f, "  %9s .. %-9s |%-40.*s| %llu\n",
			slt_fmt_duration(rows[i].lo, a, sizeof(a)), b, w,
			"########################################",
			(unsigned long long)rows[i].count);
	}
}

static void print_stats(FILE *f, const struct model *m)
{
	if (!m->nstats)
		return;
	fprintf(f, "counted:");
	for (int i = 0; i < m->nstats; i++)
		fprintf(f, "%s %s %llu", i ? "," : "", m->stats[i].name,
			(unsigned long long)m->stats[i].value);
	fputc('\n', f);
}

void print_report_plain(FILE *f, const struct model *m, const struct text_opts *o)
{
	print_header(f, m, o);
	if (o->after_header)
		o->after_header(f, o->ctx);
	print_stats(f, m);
	/* one section per family, in the family table's order; a family that
	 * ran prints its section even when it saw nothing, so "nothing" is
	 * said, not implied */
	for (int i = 0; slt_families[i]; i++) {
		const struct family_desc *fd = slt_families[i];

		if (fd->print_text && (run_meta_has_family(&m->meta, fd->name) ||
				       (!m->meta.nfamilies && (fd->flags & SLT_FAMILY_UNLISTED))))
			fd->print_text(f, m, o);
	}
}

struct series **report_rows(FILE *f, const struct model *m, const char *series,
			    const char *none, const struct text_opts *o, int *n, int *shown)
{
	struct series **v = model_sorted(m, series, n);

	if (v && !*n) {
		fprintf(f, "\n%s\n", none);
		free(v);
		return NULL;
	}
	*shown = o->top && o->top < *n ? o->top : *n;
	return v;
}
