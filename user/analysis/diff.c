// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Before/after comparison: which series got slower or faster, and is it
 * more than noise.
 *
 * The data. A series is a histogram on the one log-linear layout
 * (slatrace/hist.h), identical in both runs: each latency is known only up
 * to its bucket, so the values are ordered but heavily tied, and latency is
 * skewed with long tails. That rules out t-tests (they assume normality, and
 * one 30 s outlier moves a mean), and fits a chi-square or G-test badly:
 * those say that the shapes differ, not which way, and need sparse buckets
 * pooled, which on a log histogram is most of them. Kolmogorov-Smirnov on
 * binned data needs a correction for the ties and is weak at the tails.
 *
 * The test: two-sample Mann-Whitney U (Wilcoxon rank-sum). It asks whether a
 * request taken at random from after is slower than one from before more
 * often than the reverse, which is what "slower" means. It uses only the
 * order of the values, so buckets merely create ties: ties get midranks and
 * the variance its tie correction, which makes it the exact rank test for
 * ordered categories, in one pass over the buckets. At 10 or more samples a
 * side (below that there is no verdict) the normal approximation with a
 * continuity correction is close, and conservative for small samples.
 * Every series' p-value enters one Holm step-down correction, so the chance
 * that anything at all is flagged between two equivalent runs stays under
 * alpha however many series the reports hold (Holm needs no independence
 * and never rejects less than Bonferroni).
 *
 * Significance is not importance. With thousands of samples U detects
 * shifts far below a bucket's width, and two runs of the same build differ
 * systematically by a little (CPU frequency, cache state, neighbours), which
 * no test inside one run can see: on identical pairs of demo-server runs U
 * alone gave p < 1e-4 in half of them for a route whose buckets moved by
 * under one bucket. So a verdict also needs the typical request to have
 * moved by at least min_effect (default 5%): the Hodges-Lehmann estimate of
 * the ratio after/before, the median of all pairwise ratios, which is the
 * estimator that belongs to U and, unlike a difference of medians, does not
 * jump with one quantile crossing a bucket edge. A bucket is up to 1/32 of
 * its value (3.1%), so 5% is more than a bucket's move.
 *
 * What one pair of runs cannot tell: a change confined to the slowest
 * percent barely moves U (the tail of a run depends on what else the machine
 * did, and varied by 3x between identical runs in our tests, so a tail test
 * on one pair mostly flags the machine), and run-to-run drift larger than
 * min_effect, which shows as a real difference because it is one. For
 * either, compare several runs a side.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "core/parse.h"
#include "analysis/diff.h"
#include "report/report.h"

/* a name from a report, fit for a terminal: control bytes shown as '?' */
const char *diff_safe(const char *in, char *out, size_t len)
{
	size_t i = 0;

	for (; in[i] && i + 1 < len; i++)
		out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
	out[i] = '\0';
	return out;
}

/* ------------------------------------------------------------------ tests */

void diff_mann_whitney(const struct hist *b, const struct hist *a, struct diff_mwu *r)
{
	long double n1, n2, below = 0, u = 0, ties = 0, n, mean, var, d;
	uint64_t c1 = 0, c2 = 0;

	/* the reader guarantees a histogram's slots add up without overflow */
	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++) {
		c1 += b->slots[i];
		c2 += a->slots[i];
	}
	n1 = c1;
	n2 = c2;
	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++) {
		long double bi = b->slots[i], ai = a->slots[i], t = ai + bi;

		if (t == 0)
			continue;
		/* after-values in bucket i beat every before-value below it and
		 * tie with the ones in it */
		u += ai * (below + bi / 2);
		ties += t * t * t - t;
		below += bi;
	}
	memset(r, 0, sizeof(*r));
	r->n_before = c1;
	r->n_after = c2;
	r->u = (double)u;
	r->p = 1;
	if (n1 == 0 || n2 == 0)
		return;
	r->prob_slower = (double)(u / (n1 * n2));
	n = n1 + n2;
	mean = n1 * n2 / 2;
	var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)));
	d = u - mean;
	if (var <= 0 || fabsl(d) <= 0.5L)
		return;
	r->z = (double)((d > 0 ? d - 0.5L : d + 0.5L) / sqrtl(var));
	r->p = erfc(fabs(r->z) / M_SQRT2);
}

struct wbin {
	double l; /* log of the bucket's value */
	double w;
};

/* a bucket's value: its midpoint, as percentiles report it; the same on
 * both sides, so a pair in one bucket has a ratio of exactly 1 */
static double bucket_log(unsigned i)
{
	uint64_t lo = slt_hist_slot_lo(i);
	double v = i == SLT_HIST_NBUCKETS - 1
		       ? (double)lo
		       : (double)lo + (double)(slt_hist_slot_hi(i) - 1 - lo) / 2;

	return log(v > 0.5 ? v : 0.5);
}

static int nonempty(const struct hist *h, struct wbin *v, double *total)
{
	int n = 0;

	*total = 0;
	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++) {
		if (!h->slots[i])
			continue;
		v[n].l = bucket_log(i);
		v[n].w = (double)h->slots[i];
		*total += v[n].w;
		n++;
	}
	return n;
}

/* weight of the pairs (b, a) with log a - log b <= d; b and a ascending */
static long double pairs_le(const struct wbin *b, int nb, const struct wbin *a, int na, double d)
{
	long double c = 0, acum = 0;
	int j = 0;

	for (int i = 0; i < nb; i++) {
		while (j < na && a[j].l <= b[i].l + d)
			acum += a[j++].w;
		c += (long double)b[i].w * acum;
	}
	return c;
}

double diff_hl_shift(const struct hist *before, const struct hist *after)
{
	static __thread struct wbin b[SLT_HIST_NBUCKETS], a[SLT_HIST_NBUCKETS];
	double wb, wa, lo, hi, ends[2];
	long double half;
	int nb = nonempty(before, b, &wb), na = nonempty(after, a, &wa);

	if (!nb || !na)
		return 0;
	half = (long double)wb * wa / 2;
	/* the weighted median of the pairwise differences: the first d where
	 * the pairs at or below it reach half, and the first where they pass
	 * it; their midpoint when the median falls between two values */
	for (int strict = 0; strict < 2; strict++) {
		lo = a[0].l - b[nb - 1].l - 1;
		hi = a[na - 1].l - b[0].l + 1;
		for (int it = 0; it < 100 && hi - lo > 1e-12; it++) {
			double mid = lo + (hi - lo) / 2;
			long double c = pairs_le(b, nb, a, na, mid);

			if (strict ? c > half : c >= half)
				hi = mid;
			else
				lo = mid;
		}
		ends[strict] = hi;
	}
	return expm1((ends[0] + ends[1]) / 2);
}

void diff_holm(const double *p, int n, double *adj)
{
	int *idx = n > 0 ? malloc((size_t)n * sizeof(*idx)) : NULL;
	double run = 0;

	if (!idx) {
		/* no room to sort: Bonferroni, which Holm only ever improves on */
		for (int i = 0; i < n; i++)
			adj[i] = p[i] * n < 1 ? p[i] * n : 1;
		return;
	}
	for (int i = 0; i < n; i++) {
		int j = i;

		/* insertion sort by p: a report has hundreds of series, not millions */
		while (j > 0 && p[idx[j - 1]] > p[i]) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	for (int r = 0; r < n; r++) {
		double v = p[idx[r]] * (n - r);

		if (v > 1)
			v = 1;
		if (v > run)
			run = v;
		adj[idx[r]] = run;
	}
	free(idx);
}

/* two-proportion z-test, pooled, continuity-corrected; two-sided p */
static double proportion_p(uint64_t e1, uint64_t n1, uint64_t e2, uint64_t n2)
{
	double p, se, d;

	if (!n1 || !n2)
		return 1;
	p = (double)(e1 + e2) / (double)(n1 + n2);
	se = sqrt(p * (1 - p) * (1.0 / n1 + 1.0 / n2));
	d = fabs((double)e2 / n2 - (double)e1 / n1) - 0.5 * (1.0 / n1 + 1.0 / n2);
	if (se <= 0 || d <= 0)
		return 1;
	return erfc(d / se / M_SQRT2);
}

/* -------------------------------------------------------------- comparing */

double diff_error_rate(const struct series *s)
{
	return series_count(s) ? (double)s->errors / (double)series_count(s) : 0;
}

double diff_rel_change(double b, double a)
{
	if (b == 0)
		return a == 0 ? 0 : INFINITY;
	return (a - b) / b;
}

static int by_key(const void *x, const void *y)
{
	const struct series *a = *(const struct series *const *)x,
			    *b = *(const struct series *const *)y;
	int c = strcmp(a->family, b->family);

	return c ? c : strcmp(a->name, b->name);
}

static const struct series **sorted_series(const struct model *m)
{
	const struct series **v = malloc((size_t)(m->nseries ? m->nseries : 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (int i = 0; i < m->nseries; i++)
		v[i] = m->series[i];
	qsort(v, (size_t)m->nseries, sizeof(*v), by_key);
	return v;
}

int diff_verdict_rank(enum diff_verdict v)
{
	return v == DIFF_SLOWER ? 0 : v == DIFF_FASTER ? 1 : 2;
}

static int by_impact(const void *x, const void *y)
{
	const struct series_diff *a = x, *b = y;
	int c = diff_verdict_rank(a->verdict) - diff_verdict_rank(b->verdict);

	if (c)
		return c;
	if (a->impact_ns != b->impact_ns)
		return a->impact_ns < b->impact_ns ? 1 : -1;
	return by_key(&a->b, &b->b);
}

/* the verdict of a statistic's window test: +1 slower, -1 faster, 0 */
static int wverdict(const struct diff_wtest *w, const struct diff_opts *o)
{
	if (!w->tested || w->p_adj >= o->alpha)
		return 0;
	if (w->t > 0 && w->shift >= o->min_effect)
		return 1;
	if (w->t < 0 && w->shift <= -o->min_effect)
		return -1;
	return 0;
}

static void judge_windows(struct series_diff *sd, const struct diff_opts *o)
{
	const struct diff_wtest *w = &sd->w[DIFF_W_P50];
	int v = wverdict(w, o);

	sd->verdict = v > 0 ? DIFF_SLOWER : v < 0 ? DIFF_FASTER : DIFF_UNCHANGED;
	if (v)
		snprintf(sd->why, sizeof(sd->why),
			 "typical request %+.1f%% (windows: p %.1e; could see %.1f%%)", w->shift * 100,
			 w->p_adj, w->mde * 100);
	else if (w->p_adj < o->alpha)
		snprintf(sd->why, sizeof(sd->why),
			 "significant (windows: p %.1e) but the typical request moved %+.1f%%, "
			 "under %g%%",
			 w->p_adj, w->shift * 100, o->min_effect * 100);
	else
		snprintf(sd->why, sizeof(sd->why),
			 "no shift larger than %.1f%% (typical request %+.1f%%, windows: p %.2g)",
			 (w->mde > o->min_effect ? w->mde : o->min_effect) * 100, w->shift * 100,
			 w->p_adj);
}

static void judge(struct series_diff *sd, const struct diff_opts *o)
{
	int sig = sd->p_adj < o->alpha;
	char tmp[sizeof(sd->why) + 64];

	sd->verdict = DIFF_UNCHANGED;
	if (sig && sd->mwu.z > 0 && sd->shift >= o->min_effect)
		sd->verdict = DIFF_SLOWER;
	else if (sig && sd->mwu.z < 0 && sd->shift <= -o->min_effect)
		sd->verdict = DIFF_FASTER;
	if (sd->verdict != DIFF_UNCHANGED)
		snprintf(sd->why, sizeof(sd->why), "typical request %+.1f%%, p %.1e",
			 sd->shift * 100, sd->p_adj);
	else if (sig)
		snprintf(sd->why, sizeof(sd->why),
			 "significant (p %.1e) but the typical request moved %+.1f%%, under %g%%",
			 sd->p_adj, sd->shift * 100, o->min_effect * 100);
	else
		snprintf(sd->why, sizeof(sd->why), "no significant change (p %.2g)", sd->p_adj);
	/* an older report, or a run too short for windows */
	snprintf(tmp, sizeof(tmp), "no windows: per-request test only, not noise-robust; %s",
		 sd->why);
	memcpy(sd->why, tmp, sizeof(sd->why) - 1);
	sd->why[sizeof(sd->why) - 1] = '\0';
}

static void warn(struct diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct diff *d, const char *fmt, ...)
{
	va_list ap;

	if (d->nwarnings >= (int)(sizeof(d->warnings) / sizeof(d->warnings[0])))
		return;
	va_start(ap, fmt);
	vsnprintf(d->warnings[d->nwarnings++], sizeof(d->warnings[0]), fmt, ap);
	va_end(ap);
}

static double gate_value(const struct diff_gate *g, const struct series *s)
{
	switch (g->metric) {
	case DIFF_M_PCT:
		return (double)hist_percentile(&s->hist, g->pct);
	case DIFF_M_MEAN:
		return hist_mean(&s->hist);
	case DIFF_M_MAX:
		return (double)s->hist.max;
	case DIFF_M_ERROR_RATE:
		return diff_error_rate(s);
	case DIFF_M_COUNT:
		return (double)series_count(s);
	}
	return 0;
}

/* the window statistic a latency gate is judged by: p50 for the middle and
 * the mean, p90, p99 for p99 and beyond (windows keep no p99.9 or max) */
static int gate_stat(const struct diff_gate *g)
{
	if (g->metric == DIFF_M_MAX)
		return DIFF_W_P99;
	if (g->metric != DIFF_M_PCT || g->pct <= 70)
		return DIFF_W_P50;
	return g->pct <= 95 ? DIFF_W_P90 : DIFF_W_P99;
}

/* the change a gate measures: percent (error rate: points), ns or count */
double diff_gate_change(const struct diff_gate *g, const struct series_diff *sd)
{
	double b = gate_value(g, sd->b), a = gate_value(g, sd->a);

	if (!g->relative)
		return a - b;
	if (g->metric == DIFF_M_ERROR_RATE)
		return (a - b) * 100;
	return diff_rel_change(b, a) * 100;
}

static int gate_fires(const struct diff *d, const struct diff_gate *g, const struct series_diff *sd)
{
	double c = diff_gate_change(g, sd);
	int beyond = g->sign > 0 ? c > g->bound : c < -g->bound;

	if (!beyond)
		return 0;
	switch (g->metric) {
	case DIFF_M_COUNT:
		/* a count is not a sample of anything: taken as it is */
		return 1;
	case DIFF_M_ERROR_RATE:
		return sd->err_p_adj < d->opts.alpha;
	default:
		/* only the noise-robust test fires a latency gate: on the
		 * window statistic nearest the gate's, or on the median's (the
		 * series' verdict) when the gate's own statistic moved beyond
		 * the amount; tail windows hold few requests each, so alone
		 * they missed a +170% p99 whose median had plainly moved */
		if (!sd->windowed)
			return 0;
		return wverdict(&sd->w[gate_stat(g)], &d->opts) == g->sign ||
		       wverdict(&sd->w[DIFF_W_P50], &d->opts) == g->sign;
	}
}

static void families_warning(struct diff *d)
{
	const struct run_meta *b = &d->b->meta, *a = &d->a->meta;
	char x[100], y[100], fb[sizeof(b->families)], fa[sizeof(a->families)];

	if (strcmp(b->host, a->host))
		warn(d, "the reports come from different hosts: '%s' (before) and '%s' (after)",
		     diff_safe(b->host, x, sizeof(x)), diff_safe(a->host, y, sizeof(y)));
	run_meta_families_joined(b, fb, sizeof(fb));
	run_meta_families_joined(a, fa, sizeof(fa));
	if (strcmp(fb, fa))
		warn(d, "the runs traced different probe families: '%s' (before), '%s' (after)",
		     diff_safe(fb, x, sizeof(x)), diff_safe(fa, y, sizeof(y)));
	if (model_lost_total(d->b) || model_lost_total(d->a))
		warn(d,
		     "events were lost (%llu before, %llu after): counts may be short by as many",
		     (unsigned long long)model_lost_total(d->b),
		     (unsigned long long)model_lost_total(d->a));
}

/* the runs of a side as one model: histograms, counts and losses added,
 * durations too (so a rate is the runs' mean rate); windows left out */
static struct model *merge_runs(const struct model *const *v, int n)
{
	struct model *m = model_clone(v[0]);

	if (!m)
		return NULL;
	for (int i = 0; i < m->nseries; i++) {
		free(m->series[i]->win);
		m->series[i]->win = NULL;
	}
	for (int r = 1; r < n; r++) {
		for (int l = 0; l < SLT_LOSS_MAX; l++)
			m->lost[l] += v[r]->lost[l];
		m->meta.duration_ns += v[r]->meta.duration_ns;
		for (int i = 0; i < v[r]->nseries; i++) {
			const struct series *src = v[r]->series[i];
			struct series *dst = model_series(m, src->family, src->name);

			if (!dst) {
				model_free(m);
				return NULL;
			}
			if (!dst->nlabels) {
				memcpy(dst->labels, src->labels, sizeof(src->labels));
				dst->nlabels = src->nlabels;
			}
			hist_merge(&dst->hist, &src->hist);
			dst->errors += src->errors;
			dst->failed += src->failed;
			dst->untimed += src->untimed;
		}
	}
	return m;
}

static int by_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static int any_windows(const struct series_windows *const *w, int n)
{
	for (int i = 0; i < n; i++)
		if (w[i] && w[i]->n)
			return 1;
	return 0;
}

/* the window tests of every series, each statistic its own Holm family */
static int window_tests(struct diff *d, double *p, double *adj)
{
	const struct series_windows *wb[SLT_DIFF_MAX_RUNS], *wa[SLT_DIFF_MAX_RUNS];
	int nnoise = 0;

	for (int k = 0; k < d->n; k++) {
		struct series_diff *sd = &d->v[k];

		for (int r = 0; r < d->nruns_b; r++) {
			const struct series *s = model_find(d->runs_b[r], sd->b->family, sd->b->name);

			wb[r] = s ? s->win : NULL;
		}
		for (int r = 0; r < d->nruns_a; r++) {
			const struct series *s = model_find(d->runs_a[r], sd->b->family, sd->b->name);

			wa[r] = s ? s->win : NULL;
		}
		for (int st = 0; st < DIFF_W_NSTATS; st++)
			diff_window_test(wb, d->nruns_b, wa, d->nruns_a, st,
					 SLT_DIFF_MIN_WINDOW_COUNT, &sd->w[st]);
		sd->windowed = sd->w[DIFF_W_P50].tested;
		sd->has_windows = any_windows(wb, d->nruns_b) && any_windows(wa, d->nruns_a);
		d->nunwindowed += !sd->has_windows && sd->tested;
	}
	for (int st = 0; st < DIFF_W_NSTATS; st++) {
		int np = 0;

		for (int k = 0; k < d->n; k++)
			if (d->v[k].w[st].tested)
				p[np++] = d->v[k].w[st].p;
		diff_holm(p, np, adj);
		if (st == DIFF_W_P50)
			d->nwtests = np;
		for (int k = 0, i = 0; k < d->n; k++) {
			if (!d->v[k].w[st].tested)
				continue;
			d->v[k].w[st].p_adj = adj[i++];
			diff_wtest_mde(&d->v[k].w[st], d->opts.alpha, np);
		}
	}
	/* the host's noise floor: the middle of the series' run-to-run noise */
	for (int k = 0; k < d->n; k++)
		if (d->v[k].w[DIFF_W_P50].noise >= 0)
			p[nnoise++] = d->v[k].w[DIFF_W_P50].noise;
	qsort(p, (size_t)nnoise, sizeof(*p), by_double);
	d->noise_floor = !nnoise	? -1
			 : nnoise % 2 ? p[nnoise / 2]
				      : (p[nnoise / 2 - 1] + p[nnoise / 2]) / 2;
	return 0;
}

/* the mean CPU pressure of a side's runs; -1 when any run lacks it */
static double side_pressure(const struct model *const *v, int n)
{
	double sum = 0;

	for (int i = 0; i < n; i++) {
		if (!v[i]->meta.has_cpu_pressure)
			return -1;
		sum += v[i]->meta.cpu_pressure_pct;
	}
	return sum / n;
}

/* the mean over a side's runs of the target's run-queue wait per CPU
 * time; -1 when any run lacks it or ran too little to tell */
static double side_runq(const struct model *const *v, int n)
{
	double sum = 0;

	for (int i = 0; i < n; i++) {
		const struct run_meta *r = &v[i]->meta;

		if (!r->has_target_runq || r->target_cpu_ns < SLT_DIFF_MIN_RUNQ_CPU_NS)
			return -1;
		sum += (double)r->target_runq_wait_ns / (double)r->target_cpu_ns;
	}
	return sum / n;
}

/* the target's mean wait for a CPU each time it was put on one, ns, over
 * a side's runs pooled; -1 when any run lacks the figures */
static double side_wait_in(const struct model *const *v, int n)
{
	double wait = 0, ins = 0;

	for (int i = 0; i < n; i++) {
		const struct run_meta *r = &v[i]->meta;

		if (!r->has_target_runq || !r->target_sched_ins)
			return -1;
		wait += (double)r->target_runq_wait_ns;
		ins += (double)r->target_sched_ins;
	}
	return wait / ins;
}

/* w as the share of runnable time spent waiting, percent */
static double w_pct(double w)
{
	return w * 100 / (1 + w);
}

int diff_judge_comparable(struct diff *d)
{
	int psi = d->pressure_b >= 0 && d->pressure_a >= 0 &&
		  fabs(d->pressure_a - d->pressure_b) > SLT_DIFF_MAX_PRESSURE_GAP;
	double ratio =
	    d->runq_w_b >= 0 && d->runq_w_a >= 0 ? (1 + d->runq_w_a) / (1 + d->runq_w_b) : 1;
	int runq = ratio > SLT_DIFF_MAX_RUNQ_RATIO || ratio < 1 / SLT_DIFF_MAX_RUNQ_RATIO, known;
	size_t n = 0, m = 0;

	d->because[0] = d->because_short[0] = '\0';
	d->cpu_differs = psi || runq;
	d->exposed_below_ns = 0;
	known = d->wait_in_b >= 0 && d->wait_in_a >= 0 && d->opts.min_effect > 0;
	if (d->cpu_differs && known)
		d->exposed_below_ns = SLT_DIFF_EXPOSURE_WAITS *
				      (d->wait_in_b > d->wait_in_a ? d->wait_in_b : d->wait_in_a) /
				      d->opts.min_effect;
	/* without the waits (or with --min-effect 0, which any wait would
	 * pass), nothing tells the series apart; a target that never waited
	 * on either side exposes none */
	d->not_comparable = d->cpu_differs && !known;
	if (runq) {
		n += (size_t)snprintf(d->because, sizeof(d->because),
				      "the target waited for a CPU %.0f%% of its runnable time "
				      "before and %.0f%% after (its CPU work took %.2fx as long "
				      "after, more than %.1fx apart)",
				      w_pct(d->runq_w_b), w_pct(d->runq_w_a), ratio,
				      SLT_DIFF_MAX_RUNQ_RATIO);
		m += (size_t)snprintf(d->because_short, sizeof(d->because_short),
				      "target's run-queue wait %.0f%% before, %.0f%% after",
				      w_pct(d->runq_w_b), w_pct(d->runq_w_a));
	}
	if (psi && n < sizeof(d->because) && m < sizeof(d->because_short)) {
		snprintf(d->because + n, sizeof(d->because) - n,
			 "%sthe host's CPU pressure was %.0f%% before and %.0f%% after (PSI, time "
			 "some task waited for a CPU; more than %.0f points apart)",
			 n ? "; and " : "", d->pressure_b, d->pressure_a,
			 SLT_DIFF_MAX_PRESSURE_GAP);
		snprintf(d->because_short + m, sizeof(d->because_short) - m,
			 "%sCPU pressure %.0f%% before, %.0f%% after", m ? "; " : "", d->pressure_b,
			 d->pressure_a);
	}
	return d->cpu_differs;
}

int diff_exposed(const struct diff *d, double p50_ns)
{
	return d->cpu_differs && (d->not_comparable || p50_ns < d->exposed_below_ns);
}

int diff_run(struct diff *d, const struct model *before, const struct model *after,
	     const struct diff_opts *o)
{
	return diff_run_runs(d, &before, 1, &after, 1, o);
}

int diff_run_runs(struct diff *d, const struct model *const *runs_b, int nrb,
		  const struct model *const *runs_a, int nra, const struct diff_opts *o)
{
	const struct series **vb = NULL, **va = NULL;
	const struct model *before, *after;
	double *p = NULL, *adj = NULL;
	int i = 0, j = 0, np = 0, err = -ENOMEM, nb, na;

	if (nrb < 1 || nra < 1 || nrb > SLT_DIFF_MAX_RUNS || nra > SLT_DIFF_MAX_RUNS)
		return -EINVAL;
	d->runs_b = runs_b;
	d->runs_a = runs_a;
	d->nruns_b = nrb;
	d->nruns_a = nra;
	if (nrb > 1 && !(d->own_b = merge_runs(runs_b, nrb)))
		return -ENOMEM;
	if (nra > 1 && !(d->own_a = merge_runs(runs_a, nra)))
		return -ENOMEM;
	before = d->b = nrb > 1 ? d->own_b : runs_b[0];
	after = d->a = nra > 1 ? d->own_a : runs_a[0];
	nb = before->nseries;
	na = after->nseries;
	d->opts = *o;
	vb = sorted_series(before);
	va = sorted_series(after);
	d->v = calloc((size_t)(nb < na ? nb : na) + 1, sizeof(*d->v));
	d->appeared = calloc((size_t)na + 1, sizeof(*d->appeared));
	d->vanished = calloc((size_t)nb + 1, sizeof(*d->vanished));
	p = calloc(2 * (size_t)(nb + 1), sizeof(*p));
	adj = calloc(2 * (size_t)(nb + 1), sizeof(*adj));
	if (!vb || !va || !d->v || !d->appeared || !d->vanished || !p || !adj)
		goto cleanup;

	while (i < nb || j < na) {
		int c = i == nb ? 1 : j == na ? -1 : by_key(&vb[i], &va[j]);

		if (c < 0) {
			d->vanished[d->nvanished++] = vb[i++];
		} else if (c > 0) {
			d->appeared[d->nappeared++] = va[j++];
		} else {
			struct series_diff *sd = &d->v[d->n++];

			sd->b = vb[i++];
			sd->a = va[j++];
		}
	}

	/* the latency tests, then one Holm correction over all of them */
	for (int k = 0; k < d->n; k++) {
		struct series_diff *sd = &d->v[k];
		const struct hist *hb = &sd->b->hist, *ha = &sd->a->hist;

		diff_mann_whitney(hb, ha, &sd->mwu);
		sd->p_adj = 1;
		if (sd->mwu.n_before < SLT_DIFF_MIN_SAMPLES ||
		    sd->mwu.n_after < SLT_DIFF_MIN_SAMPLES)
			continue;
		sd->tested = 1;
		sd->shift = diff_hl_shift(hb, ha);
		p[np++] = sd->mwu.p;
	}
	d->ntests = np;
	diff_holm(p, np, adj);
	np = 0;
	for (int k = 0; k < d->n; k++)
		if (d->v[k].tested)
			d->v[k].p_adj = adj[np++];

	/* error rates: a family of their own, used by 'error_rate' gates */
	for (int k = 0; k < d->n; k++) {
		struct series_diff *sd = &d->v[k];

		p[k] = sd->err_p = proportion_p(sd->b->errors, series_count(sd->b), sd->a->errors,
						series_count(sd->a));
	}
	diff_holm(p, d->n, adj);
	for (int k = 0; k < d->n; k++)
		d->v[k].err_p_adj = adj[k];

	window_tests(d, p, adj);
	d->pressure_b = side_pressure(runs_b, nrb);
	d->pressure_a = side_pressure(runs_a, nra);
	d->runq_w_b = side_runq(runs_b, nrb);
	d->runq_w_a = side_runq(runs_a, nra);
	d->wait_in_b = side_wait_in(runs_b, nrb);
	d->wait_in_a = side_wait_in(runs_a, nra);
	diff_judge_comparable(d);
	for (int k = 0; k < d->n; k++) {
		struct series_diff *sd = &d->v[k];
		uint64_t pb, pa;

		if (sd->windowed) {
			judge_windows(sd, o);
		} else if (sd->has_windows) {
			/* a burst shorter than a few windows: no replicates, no verdict */
			sd->verdict = DIFF_UNCHANGED;
			snprintf(sd->why, sizeof(sd->why),
				 "too few windows to tell (%d before, %d after with %d+ requests; "
				 "%d needed)",
				 sd->w[DIFF_W_P50].nwin_b, sd->w[DIFF_W_P50].nwin_a,
				 SLT_DIFF_MIN_WINDOW_COUNT, SLT_DIFF_MIN_WINDOWS);
		} else if (sd->tested) {
			judge(sd, o);
		} else {
			snprintf(sd->why, sizeof(sd->why),
				 "too few samples to tell (%llu before, %llu after)",
				 (unsigned long long)sd->mwu.n_before,
				 (unsigned long long)sd->mwu.n_after);
		}
		pb = hist_percentile(&sd->b->hist, 50);
		pa = hist_percentile(&sd->a->hist, 50);
		if (pa < pb)
			pb = pa;
		sd->exposed = sd->tested && diff_exposed(d, (double)pb);
		if (sd->exposed) {
			/* a verdict would judge the host, not the build */
			char t[32], x[32];

			sd->verdict = DIFF_UNCHANGED;
			sd->windowed = 0;
			d->nexposed++;
			if (d->not_comparable)
				snprintf(sd->why, sizeof(sd->why), "not comparable: %s",
					 d->because_short);
			else
				snprintf(sd->why, sizeof(sd->why),
					 "not comparable: typical request %s, under %s of CPU waits "
					 "(%s)",
					 slt_fmt_duration(pb, t, sizeof(t)),
					 slt_fmt_duration((uint64_t)d->exposed_below_ns, x, sizeof(x)),
					 d->because_short);
		}
		sd->impact_ns = fabs(hist_mean(&sd->a->hist) - hist_mean(&sd->b->hist)) *
				(double)series_count(sd->a);
	}
	qsort(d->v, (size_t)d->n, sizeof(*d->v), by_impact);

	for (int g = 0; g < d->ngates; g++) {
		d->gates[g].nfailed = 0;
		for (int k = 0; k < d->n; k++) {
			if (gate_fires(d, &d->gates[g], &d->v[k])) {
				d->v[k].gates_failed |= 1u << g;
				d->gates[g].nfailed++;
			}
		}
	}
	families_warning(d);
	err = 0;
cleanup:
	free(vb);
	free(va);
	free(p);
	free(adj);
	return err;
}

void diff_free(struct diff *d)
{
	if (!d)
		return;
	free(d->v);
	free(d->appeared);
	free(d->vanished);
	model_free(d->own_b);
	model_free(d->own_a);
	d->own_b = d->own_a = NULL;
	d->v = NULL;
	d->appeared = d->vanished = NULL;
	d->n = d->nappeared = d->nvanished = 0;
}

int diff_gates_failed(const struct diff *d)
{
	int n = 0;

	for (int g = 0; g < d->ngates; g++)
		n += d->gates[g].nfailed;
	return n;
}

/* ----------------------------------------------------------------- gates */

static int gate_err(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int gate_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	/* the expression is quoted back: keep the message one printable line */
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -EINVAL;
}

/* a decimal number with nothing after it, finite and >= 0 */
static int strict_double(const char *s, size_t len, double *v)
{
	char buf[32];

	if (slt_span_cstr(s, len, buf, sizeof(buf)))
		return -EINVAL;
	return slt_parse_decimal(buf, 0, INFINITY, v);
}

int diff_parse_gate(const char *s, struct diff_gate *g, char *err, size_t errlen)
{
	const char *p = s, *m, *val;
	size_t mlen, vlen;
	int latency;

	memset(g, 0, sizeof(*g));
	snprintf(g->expr, sizeof(g->expr), "%s", s);
	if (strlen(s) >= sizeof(g->expr))
		return gate_err(err, errlen, "too long");
	while (*p == ' ')
		p++;
	m = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.')
		p++;
	mlen = (size_t)(p - m);
	if (!mlen)
		return gate_err(err, errlen, "no metric (pN, mean, max, error_rate or count)");
	if (mlen == 4 && !strncmp(m, "mean", 4)) {
		g->metric = DIFF_M_MEAN;
	} else if (mlen == 3 && !strncmp(m, "max", 3)) {
		g->metric = DIFF_M_MAX;
	} else if (mlen == 10 && !strncmp(m, "error_rate", 10)) {
		g->metric = DIFF_M_ERROR_RATE;
	} else if (mlen == 5 && !strncmp(m, "count", 5)) {
		g->metric = DIFF_M_COUNT;
	} else if (m[0] == 'p' && mlen > 1) {
		char num[16];
		size_t k;

		/* p99_9 as the report names it, p99.9 as people write it */
		if (mlen - 1 >= sizeof(num))
			return gate_err(err, errlen, "unknown metric '%.*s'", (int)mlen, m);
		for (k = 0; k < mlen - 1; k++)
			num[k] = m[k + 1] == '_' ? '.' : m[k + 1];
		if (strict_double(num, mlen - 1, &g->pct) || g->pct <= 0 || g->pct > 100)
			return gate_err(err, errlen,
					"unknown metric '%.*s' (a percentile is p0.1 .. p100)",
					(int)mlen, m);
		g->metric = DIFF_M_PCT;
	} else {
		return gate_err(err, errlen,
				"unknown metric '%.*s' (pN, mean, max, error_rate or count)",
				(int)mlen, m);
	}
	while (*p == ' ')
		p++;
	if (*p != '+' && *p != '-')
		return gate_err(err, errlen,
				"the change needs a direction: '+' for a rise, '-' for a fall "
				"(example: 'p99 +10%%')");
	g->sign = *p++ == '+' ? 1 : -1;
	while (*p == ' ')
		p++;
	val = p;
	vlen = strlen(val);
	while (vlen && val[vlen - 1] == ' ')
		vlen--;
	if (!vlen)
		return gate_err(err, errlen, "no amount after the sign (example: 'p99 +10%%')");
	latency = g->metric == DIFF_M_PCT || g->metric == DIFF_M_MEAN || g->metric == DIFF_M_MAX;
	if (val[vlen - 1] == '%') {
		g->relative = 1;
		if (strict_double(val, vlen - 1, &g->bound))
			return gate_err(err, errlen, "invalid percent '%.*s'", (int)vlen, val);
		return 0;
	}
	if (g->metric == DIFF_M_ERROR_RATE)
		return gate_err(err, errlen,
				"an error rate changes by percentage points: write '+1%%'");
	if (g->metric == DIFF_M_COUNT) {
		uint64_t n;
		char num[32];

		if (vlen >= sizeof(num))
			return gate_err(err, errlen, "invalid count '%.*s'", (int)vlen, val);
		memcpy(num, val, vlen);
		num[vlen] = '\0';
		if (slt_parse_u64(num, 0, UINT64_MAX, &n))
			return gate_err(err, errlen, "invalid count '%s' (a number or a percent)",
					num);
		g->bound = (double)n;
		return 0;
	}
	if (latency) {
		char dur[32];
		uint64_t ns;

		if (vlen >= sizeof(dur))
			return gate_err(err, errlen, "invalid duration '%.*s'", (int)vlen, val);
		memcpy(dur, val, vlen);
		dur[vlen] = '\0';
		/* a bare number would be seconds: too easy to misread here */
		if (!strpbrk(dur, "smhun") || slt_parse_duration(dur, &ns))
			return gate_err(err, errlen,
					"invalid amount '%s' (a percent like 10%% or a duration "
					"like 5ms)",
					dur);
		g->bound = (double)ns;
	}
	return 0;
}

