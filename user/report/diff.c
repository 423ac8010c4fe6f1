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
#include "report/diff.h"
#include "report/report.h"

/* a name from a report, fit for a terminal: control bytes shown as '?' */
static const char *safe(const char *in, char *out, size_t len)
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

static uint64_t s_count(const struct series *s)
{
	return s->hist.count + s->failed;
}

static double s_error_rate(const struct series *s)
{
	return s_count(s) ? (double)s->errors / (double)s_count(s) : 0;
}

static double rel_change(double b, double a)
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

static int verdict_rank(enum diff_verdict v)
{
	return v == DIFF_SLOWER ? 0 : v == DIFF_FASTER ? 1 : 2;
}

static int by_impact(const void *x, const void *y)
{
	const struct series_diff *a = x, *b = y;
	int c = verdict_rank(a->verdict) - verdict_rank(b->verdict);

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
		return s_error_rate(s);
	case DIFF_M_COUNT:
		return (double)s_count(s);
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
static double gate_change(const struct diff_gate *g, const struct series_diff *sd)
{
	double b = gate_value(g, sd->b), a = gate_value(g, sd->a);

	if (!g->relative)
		return a - b;
	if (g->metric == DIFF_M_ERROR_RATE)
		return (a - b) * 100;
	return rel_change(b, a) * 100;
}

static int gate_fires(const struct diff *d, const struct diff_gate *g, const struct series_diff *sd)
{
	double c = gate_change(g, sd);
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
	char x[100], y[100];

	if (strcmp(b->host, a->host))
		warn(d, "the reports come from different hosts: '%s' (before) and '%s' (after)",
		     safe(b->host, x, sizeof(x)), safe(a->host, y, sizeof(y)));
	if (strcmp(b->families, a->families))
		warn(d, "the runs traced different probe families: '%s' (before), '%s' (after)",
		     safe(b->families, x, sizeof(x)), safe(a->families, y, sizeof(y)));
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

		p[k] = sd->err_p =
		    proportion_p(sd->b->errors, s_count(sd->b), sd->a->errors, s_count(sd->a));
	}
	diff_holm(p, d->n, adj);
	for (int k = 0; k < d->n; k++)
		d->v[k].err_p_adj = adj[k];

	window_tests(d, p, adj);
	d->pressure_b = side_pressure(runs_b, nrb);
	d->pressure_a = side_pressure(runs_a, nra);
	d->not_comparable = d->pressure_b >= 0 && d->pressure_a >= 0 &&
			    fabs(d->pressure_a - d->pressure_b) > SLT_DIFF_MAX_PRESSURE_GAP;
	for (int k = 0; k < d->n; k++) {
		struct series_diff *sd = &d->v[k];

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
		if (d->not_comparable && sd->tested) {
			/* a verdict would judge the host, not the build */
			sd->verdict = DIFF_UNCHANGED;
			sd->windowed = 0;
			snprintf(sd->why, sizeof(sd->why),
				 "not comparable: CPU pressure %.0f%% before, %.0f%% after",
				 d->pressure_b, d->pressure_a);
		}
		sd->impact_ns = fabs(hist_mean(&sd->a->hist) - hist_mean(&sd->b->hist)) *
				(double)s_count(sd->a);
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

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
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

/* ------------------------------------------------------------- printing */

/* "request nginx :80 GET /x", sanitized */
static const char *who(const struct series *s, char *buf, size_t len)
{
	char raw[sizeof(s->family) + sizeof(s->name) + 1];

	snprintf(raw, sizeof(raw), "%s %s", s->family, s->name);
	return safe(raw, buf, len);
}

static const char *verdict_name(enum diff_verdict v)
{
	return v == DIFF_SLOWER ? "slower" : v == DIFF_FASTER ? "faster" : "unchanged";
}

static const char *fmt_ns(double ns, char *buf, size_t len)
{
	return slt_fmt_duration(ns > 0 ? (uint64_t)llround(ns) : 0, buf, len);
}

static const char *fmt_pct(double b, double a, char *buf, size_t len)
{
	double c = rel_change(b, a);

	if (isinf(c))
		snprintf(buf, len, "new");
	else
		snprintf(buf, len, "%+.1f%%", c * 100);
	return buf;
}

/* "10.09ms -> 12.11ms +20.0%" */
static const char *fmt_lat(uint64_t b, uint64_t a, char *buf, size_t len)
{
	char x[24], y[24], z[24];

	snprintf(buf, len, "%s -> %s %s", slt_fmt_duration(b, x, sizeof(x)),
		 slt_fmt_duration(a, y, sizeof(y)), fmt_pct((double)b, (double)a, z, sizeof(z)));
	return buf;
}

static void fmt_when(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (!ns) {
		snprintf(buf, len, "?");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static void print_side(FILE *f, const char *label, const char *name, const struct model *m)
{
	char when[40], host[sizeof(m->meta.host)], fams[sizeof(m->meta.families)],
	    kernel[sizeof(m->meta.kernel)];

	fmt_when(m->meta.start_realtime_ns, when, sizeof(when));
	fprintf(f, "  %-7s %s: host %s, kernel %s, %s, %.2fs, %s\n", label, name,
		safe(m->meta.host, host, sizeof(host)),
		m->meta.kernel[0] ? safe(m->meta.kernel, kernel, sizeof(kernel)) : "?", when,
		m->meta.duration_ns / 1e9,
		m->meta.families[0] ? safe(m->meta.families, fams, sizeof(fams)) : "-");
}

static double rate(const struct model *m, const struct series *s)
{
	return m->meta.duration_ns ? (double)s_count(s) / (m->meta.duration_ns / 1e9) : 0;
}

static void print_row(FILE *f, const struct diff *d, const struct series_diff *sd)
{
	char typ[16], mde[16], p50[48], p99[48], cnt[48], err[32], x[16], name[160];
	const struct hist *hb = &sd->b->hist, *ha = &sd->a->hist;

	(void)d;
	if (sd->windowed)
		snprintf(typ, sizeof(typ), "%+.1f%%", sd->w[DIFF_W_P50].shift * 100);
	else if (sd->tested)
		snprintf(typ, sizeof(typ), "%+.1f%%*", sd->shift * 100);
	else
		snprintf(typ, sizeof(typ), "-");
	if (sd->windowed)
		snprintf(mde, sizeof(mde), "%.1f%%", sd->w[DIFF_W_P50].mde * 100);
	else
		snprintf(mde, sizeof(mde), "-");
	fmt_lat(hist_percentile(hb, 50), hist_percentile(ha, 50), p50, sizeof(p50));
	fmt_lat(hist_percentile(hb, 99), hist_percentile(ha, 99), p99, sizeof(p99));
	snprintf(cnt, sizeof(cnt), "%llu %s", (unsigned long long)s_count(sd->a),
		 fmt_pct((double)s_count(sd->b), (double)s_count(sd->a), x, sizeof(x)));
	snprintf(err, sizeof(err), "%.2f->%.2f", s_error_rate(sd->b) * 100,
		 s_error_rate(sd->a) * 100);
	fprintf(f, "%-9s %8s %7s  %-28s %-28s %-16s %-12s %s\n", verdict_name(sd->verdict), typ, mde,
		p50, p99, cnt, err, who(sd->b, name, sizeof(name)));
}

static void print_details(FILE *f, const struct diff *d, const struct series_diff *sd)
{
	char buf[64], x[24], y[24], name[160];
	const struct hist *hb = &sd->b->hist, *ha = &sd->a->hist;

	fprintf(f, "%s  %s\n", verdict_name(sd->verdict), who(sd->b, name, sizeof(name)));
	fprintf(f, "    %s\n", sd->why);
	for (int st = 0; st < DIFF_W_NSTATS; st++) {
		static const char *const nm[DIFF_W_NSTATS] = { "p50", "p90", "p99" };
		const struct diff_wtest *w = &sd->w[st];

		if (!w->tested)
			continue;
		fprintf(f,
			"    windows %s %+.1f%%, p %.2g (Holm), could see %.1f%%; %d+%d windows, "
			"%d+%d runs",
			nm[st], w->shift * 100, w->p_adj, w->mde * 100, w->nwin_b, w->nwin_a,
			w->nruns_b, w->nruns_a);
		if (w->noise >= 0)
			fprintf(f, ", run-to-run +-%.1f%%", w->noise * 100);
		fputc('\n', f);
	}
	fprintf(f,
		"    per request: typical %+.1f%% (Hodges-Lehmann), P(after slower) %.3f, p %.2g "
		"(Holm-adjusted; raw %.2g; not the verdict)\n",
		sd->shift * 100, sd->mwu.prob_slower, sd->p_adj, sd->mwu.p);
	fprintf(f, "    count %llu -> %llu %s, rate %.1f/s -> %.1f/s, errors %.2f%% -> %.2f%%\n",
		(unsigned long long)s_count(sd->b), (unsigned long long)s_count(sd->a),
		fmt_pct((double)s_count(sd->b), (double)s_count(sd->a), x, sizeof(x)),
		rate(d->b, sd->b), rate(d->a, sd->a), s_error_rate(sd->b) * 100,
		s_error_rate(sd->a) * 100);
	fprintf(f, "   ");
	for (int i = 0; i < 5; i++)
		fprintf(f, " %s %s |", slt_report_pct_names[i],
			fmt_lat(hist_percentile(hb, slt_report_pcts[i]),
				hist_percentile(ha, slt_report_pcts[i]), buf, sizeof(buf)));
	fprintf(f, " mean %s -> %s\n", fmt_ns(hist_mean(hb), x, sizeof(x)),
		fmt_ns(hist_mean(ha), y, sizeof(y)));
}

static void print_lonely(FILE *f, const char *title, const struct series *const *v, int n)
{
	char x[24], y[24], name[160];

	if (!n)
		return;
	fprintf(f, "\n%s (%d):\n", title, n);
	for (int i = 0; i < n; i++)
		fprintf(f, "  %s: count %llu, p50 %s, p99 %s\n", who(v[i], name, sizeof(name)),
			(unsigned long long)s_count(v[i]),
			slt_fmt_duration(hist_percentile(&v[i]->hist, 50), x, sizeof(x)),
			slt_fmt_duration(hist_percentile(&v[i]->hist, 99), y, sizeof(y)));
}

/* --- SLA verdicts side by side, from each report's "sla" object as
 * docs/sla.md describes it: objectives matched by name --- */

static struct json_object *jget(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, k, &v)
		   ? v
		   : NULL;
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v = jget(o, k);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* "pass", "fail", "no_data" (or what a newer writer says) */
static const char *sla_status(struct json_object *o)
{
	const char *s = jstr(o, "status");
	struct json_object *v;

	if (!s)
		s = jstr(o, "verdict");
	if (s)
		return s;
	v = jget(o, "passed");
	if (v && json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? "pass" : "fail";
	return "unknown";
}

static const char *sla_name(struct json_object *o)
{
	const char *s = jstr(o, "name");

	return s ? s : jstr(o, "objective");
}

static struct json_object *sla_objectives(struct json_object *sla)
{
	struct json_object *v = jget(sla, "objectives");

	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

static struct json_object *sla_find(struct json_object *arr, const char *name)
{
	for (size_t i = 0, n = arr ? json_object_array_length(arr) : 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *k = sla_name(o);

		if (k && !strcmp(k, name))
			return o;
	}
	return NULL;
}

/* calls cb for every objective in either report, before's order first */
static void sla_walk(const struct diff *d,
		     void (*cb)(const char *name, struct json_object *b, struct json_object *a,
				void *ctx),
		     void *ctx)
{
	struct json_object *ob = sla_objectives(d->sla_b), *oa = sla_objectives(d->sla_a);

	for (size_t i = 0, n = ob ? json_object_array_length(ob) : 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(ob, i);
		const char *k = sla_name(o);

		if (k)
			cb(k, o, sla_find(oa, k), ctx);
	}
	for (size_t i = 0, n = oa ? json_object_array_length(oa) : 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(oa, i);
		const char *k = sla_name(o);

		if (k && !sla_find(ob, k))
			cb(k, NULL, o, ctx);
	}
}

/* "FAIL 12.45ms", "PASS 99.95%", "NO DATA", "-" when absent */
static const char *sla_cell(struct json_object *o, char *buf, size_t len)
{
	struct json_object *v = jget(o, "value");
	const char *unit = jstr(o, "unit"), *st;
	char word[16], val[32] = "";
	size_t i;

	if (!o)
		return "-";
	st = sla_status(o);
	for (i = 0; st[i] && i < sizeof(word) - 1; i++)
		word[i] = st[i] == '_' ? ' ' : (st[i] >= 'a' && st[i] <= 'z' ? st[i] - 32 : st[i]);
	word[i] = '\0';
	if (v &&
	    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))) {
		double x = json_object_get_double(v);

		if (unit && !strcmp(unit, "ns"))
			fmt_ns(x, val, sizeof(val));
		else if (unit && !strcmp(unit, "ratio"))
			snprintf(val, sizeof(val), "%.3f%%", x * 100);
		else if (unit && !strcmp(unit, "per_s"))
			snprintf(val, sizeof(val), "%.1f/s", x);
		else
			snprintf(val, sizeof(val), "%.6g", x);
	}
	snprintf(buf, len, "%s%s%s", word, *val ? " " : "", val);
	return safe(buf, buf, len);
}

static void sla_print_cb(const char *name, struct json_object *b, struct json_object *a, void *ctx)
{
	char x[64], y[64], n[128];

	fprintf(ctx, "  %-20s %-20s %s\n", sla_cell(b, x, sizeof(x)), sla_cell(a, y, sizeof(y)),
		safe(name, n, sizeof(n)));
}

static void print_sla(FILE *f, const struct diff *d)
{
	char x[64], y[64];

	if (!d->sla_b || !d->sla_a)
		return;
	fprintf(f, "\nSLA: %s -> %s\n  %-20s %-20s %s\n", safe(sla_status(d->sla_b), x, sizeof(x)),
		safe(sla_status(d->sla_a), y, sizeof(y)), "BEFORE", "AFTER", "OBJECTIVE");
	sla_walk(d, sla_print_cb, f);
}

static void print_gates(FILE *f, const struct diff *d)
{
	for (int g = 0; g < d->ngates; g++) {
		const struct diff_gate *gt = &d->gates[g];
		char name[160];
		int shown = 0;

		fprintf(f, "%s--fail-on '%s': %s", g ? "" : "\n", gt->expr,
			gt->nfailed ? "FAILED" : "passed");
		for (int k = 0; k < d->n; k++) {
			const struct series_diff *sd = &d->v[k];
			double c;

			if (!(sd->gates_failed & (1u << g)))
				continue;
			c = gate_change(gt, sd);
			if (shown++ == 5) {
				fprintf(f, " and %d more", gt->nfailed - 5);
				break;
			}
			fprintf(f, "%s %s (", shown > 1 ? "," : ":",
				who(sd->b, name, sizeof(name)));
			if (gt->relative && isinf(c))
				fprintf(f, "new");
			else if (gt->relative)
				fprintf(f, "%+.1f%s", c,
					gt->metric == DIFF_M_ERROR_RATE ? " points" : "%");
			else if (gt->metric == DIFF_M_COUNT)
				fprintf(f, "%+.0f", c);
			else
				fprintf(f, "%s%.3fms", c < 0 ? "-" : "+", fabs(c) / 1e6);
			fprintf(f, ", %s)", verdict_name(sd->verdict));
		}
		fputc('\n', f);
	}
}

void print_diff_plain(FILE *f, const struct diff *d, int top)
{
	int counts[3] = { 0 }, shown = 0;

	for (int k = 0; k < d->n; k++)
		counts[verdict_rank(d->v[k].verdict)]++;
	fprintf(f, "slatrace diff\n");
	print_side(f, "before", d->b_name, d->b);
	print_side(f, "after", d->a_name, d->a);
	for (int w = 0; w < d->nwarnings; w++)
		fprintf(f, "warning: %s\n", d->warnings[w]);
	fprintf(f, "\n%d slower, %d faster, %d unchanged; %d appeared, %d vanished\n", counts[0],
		counts[1], counts[2], d->nappeared, d->nvanished);
	fprintf(f,
		"(Welch's t on the log p50 of each run's windows, %s; Holm-corrected over %d "
		"series to alpha %g; the typical request must move %g%% or more)\n",
		d->nruns_b > 1 || d->nruns_a > 1 ? "runs as replicates where they vary more"
						 : "windows as replicates",
		d->nwtests, d->opts.alpha, d->opts.min_effect * 100);
	if (d->noise_floor >= 0)
		fprintf(f, "noise floor on this host: +-%.1f%% on the typical request (sd of a run's "
			   "p50 between runs; %d run%s before, %d after)\n",
			d->noise_floor * 100, d->nruns_b, d->nruns_b > 1 ? "s" : "", d->nruns_a);
	else
		fprintf(f, "run-to-run noise not measured: one run a side; several runs a side "
			   "(A1 A2 -- B1 B2) measure it\n");
	if (d->not_comparable)
		fprintf(f,
			"NOT COMPARABLE: the host's CPU pressure was %.0f%% before and %.0f%% after "
			"(PSI, time some task waited for a CPU; more than %.0f points apart): another "
			"load ran during one side, so no verdicts and no latency gates\n",
			d->pressure_b, d->pressure_a, SLT_DIFF_MAX_PRESSURE_GAP);
	if (d->nunwindowed)
		fprintf(f, "no windows: %d series compared by the per-request test only, not "
			   "noise-robust; no latency gate fires on them\n",
			d->nunwindowed);
	if (d->n) {
		fprintf(f, "\n%-9s %8s %7s  %-28s %-28s %-16s %-12s %s\n", "VERDICT", "TYPICAL", "MDE",
			"P50", "P99", "COUNT", "ERR% B->A", "SERIES");
		for (int k = 0; k < d->n; k++) {
			if (d->v[k].verdict == DIFF_UNCHANGED && top && shown >= top) {
				fprintf(f, "... and %d more unchanged (--top 0 shows all)\n",
					d->n - k);
				break;
			}
			print_row(f, d, &d->v[k]);
			shown += d->v[k].verdict == DIFF_UNCHANGED;
		}
	}
	if (counts[0] + counts[1])
		fputc('\n', f);
	for (int k = 0; k < d->n && d->v[k].verdict != DIFF_UNCHANGED; k++)
		print_details(f, d, &d->v[k]);
	print_lonely(f, "appeared in after", d->appeared, d->nappeared);
	print_lonely(f, "vanished from after", d->vanished, d->nvanished);
	print_sla(f, d);
	print_gates(f, d);
}

/* ------------------------------------------------------------------ JSON */

static void jadd(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static struct json_object *jnum(double v)
{
	/* JSON has no infinity: a change from nothing is null */
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

static struct json_object *pair_u64(uint64_t b, uint64_t a)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "before", json_object_new_uint64(b));
	jadd(o, "after", json_object_new_uint64(a));
	jadd(o, "change", json_object_new_int64((int64_t)(a - b)));
	jadd(o, "change_pct", jnum(rel_change((double)b, (double)a) * 100));
	return o;
}

static struct json_object *pair_double(double b, double a, int pct)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "before", json_object_new_double(b));
	jadd(o, "after", json_object_new_double(a));
	jadd(o, "change", json_object_new_double(a - b));
	if (pct)
		jadd(o, "change_pct", jnum(rel_change(b, a) * 100));
	return o;
}

static struct json_object *series_ref(const struct series *s)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "family", json_object_new_string(s->family));
	jadd(o, "name", json_object_new_string(s->name));
	return o;
}

static struct json_object *series_diff_json(const struct diff *d, const struct series_diff *sd)
{
	struct json_object *o = series_ref(sd->b), *lat = json_object_new_object(), *t, *g;
	const struct hist *hb = &sd->b->hist, *ha = &sd->a->hist;

	jadd(o, "verdict", json_object_new_string(verdict_name(sd->verdict)));
	jadd(o, "why", json_object_new_string(sd->why));
	jadd(o, "impact_ns", json_object_new_double(sd->impact_ns));
	jadd(o, "count", pair_u64(s_count(sd->b), s_count(sd->a)));
	jadd(o, "rate_per_s", pair_double(rate(d->b, sd->b), rate(d->a, sd->a), 1));
	t = pair_double(s_error_rate(sd->b), s_error_rate(sd->a), 0);
	jadd(t, "p", json_object_new_double(sd->err_p));
	jadd(t, "p_adjusted", json_object_new_double(sd->err_p_adj));
	jadd(o, "error_rate", t);
	for (int i = 0; i < 5; i++)
		jadd(lat, slt_report_pct_names[i],
		     pair_u64(hist_percentile(hb, slt_report_pcts[i]),
			      hist_percentile(ha, slt_report_pcts[i])));
	jadd(o, "latency_ns", lat);
	jadd(o, "mean_ns", pair_double(hist_mean(hb), hist_mean(ha), 1));
	t = json_object_new_object();
	jadd(t, "tested", json_object_new_boolean(sd->tested));
	jadd(t, "typical_change_pct", json_object_new_double(sd->shift * 100));
	jadd(t, "prob_slower", json_object_new_double(sd->mwu.prob_slower));
	jadd(t, "u", json_object_new_double(sd->mwu.u));
	jadd(t, "z", json_object_new_double(sd->mwu.z));
	jadd(t, "p", json_object_new_double(sd->mwu.p));
	jadd(t, "p_adjusted", json_object_new_double(sd->p_adj));
	jadd(o, "test", t);
	jadd(o, "basis", json_object_new_string(sd->windowed ? "windows" : "per_request"));
	jadd(o, "mde_pct", sd->windowed ? json_object_new_double(sd->w[DIFF_W_P50].mde * 100) : NULL);
	t = json_object_new_object();
	for (int st = 0; st < DIFF_W_NSTATS; st++) {
		static const char *const nm[DIFF_W_NSTATS] = { "p50", "p90", "p99" };
		const struct diff_wtest *w = &sd->w[st];
		struct json_object *x = json_object_new_object();

		jadd(x, "tested", json_object_new_boolean(w->tested));
		jadd(x, "change_pct", jnum(w->shift * 100));
		jadd(x, "p", jnum(w->p));
		jadd(x, "p_adjusted", jnum(w->p_adj));
		jadd(x, "mde_pct", w->tested ? jnum(w->mde * 100) : NULL);
		jadd(x, "t", jnum(w->t));
		jadd(x, "df", jnum(w->df));
		jadd(x, "variance_from", json_object_new_string(w->by_runs ? "runs" : "windows"));
		jadd(x, "windows_before", json_object_new_int(w->nwin_b));
		jadd(x, "windows_after", json_object_new_int(w->nwin_a));
		jadd(x, "runs_before", json_object_new_int(w->nruns_b));
		jadd(x, "runs_after", json_object_new_int(w->nruns_a));
		jadd(x, "run_noise_pct", w->noise >= 0 ? jnum(w->noise * 100) : NULL);
		jadd(t, nm[st], x);
	}
	jadd(o, "windows", t);
	g = json_object_new_array();
	for (int i = 0; i < d->ngates; i++)
		if (sd->gates_failed & (1u << i))
			json_object_array_add(g, json_object_new_string(d->gates[i].expr));
	jadd(o, "failed_gates", g);
	return o;
}

static struct json_object *side_json(const char *name, const struct model *m)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "file", json_object_new_string(name));
	jadd(o, "host", json_object_new_string(m->meta.host));
	jadd(o, "kernel", json_object_new_string(m->meta.kernel));
	jadd(o, "target", json_object_new_string(m->meta.target));
	jadd(o, "start_unix_ns", json_object_new_uint64(m->meta.start_realtime_ns));
	jadd(o, "duration_s", json_object_new_double(m->meta.duration_ns / 1e9));
	return o;
}

static struct json_object *lonely_json(const struct series *const *v, int n)
{
	struct json_object *arr = json_object_new_array();

	for (int i = 0; i < n; i++) {
		struct json_object *o = series_ref(v[i]);

		jadd(o, "count", json_object_new_uint64(s_count(v[i])));
		jadd(o, "p50_ns", json_object_new_uint64(hist_percentile(&v[i]->hist, 50)));
		jadd(o, "p99_ns", json_object_new_uint64(hist_percentile(&v[i]->hist, 99)));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *sla_side_json(struct json_object *o)
{
	struct json_object *r, *v;

	if (!o)
		return NULL;
	r = json_object_new_object();
	jadd(r, "status", json_object_new_string(sla_status(o)));
	v = jget(o, "value");
	jadd(r, "value", v ? json_object_get(v) : NULL);
	return r;
}

static void sla_json_cb(const char *name, struct json_object *b, struct json_object *a, void *ctx)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "name", json_object_new_string(name));
	jadd(o, "before", sla_side_json(b));
	jadd(o, "after", sla_side_json(a));
	json_object_array_add(ctx, o);
}

struct json_object *diff_json(const struct diff *d)
{
	struct json_object *root = json_object_new_object(), *o, *arr;

	jadd(root, "schema", json_object_new_string(SLT_DIFF_SCHEMA));
	jadd(root, "before", side_json(d->b_name, d->b));
	jadd(root, "after", side_json(d->a_name, d->a));
	arr = json_object_new_array();
	for (int w = 0; w < d->nwarnings; w++)
		json_object_array_add(arr, json_object_new_string(d->warnings[w]));
	jadd(root, "warnings", arr);
	o = json_object_new_object();
	jadd(o, "name", json_object_new_string("welch-t-log-window-statistics"));
	jadd(o, "per_request", json_object_new_string("mann-whitney-u"));
	jadd(o, "effect", json_object_new_string("ratio-of-geometric-means-of-window-p50"));
	jadd(o, "runs_before", json_object_new_int(d->nruns_b));
	jadd(o, "runs_after", json_object_new_int(d->nruns_a));
	jadd(o, "noise_floor_pct", d->noise_floor >= 0 ? jnum(d->noise_floor * 100) : NULL);
	jadd(o, "series_without_windows", json_object_new_int(d->nunwindowed));
	jadd(o, "cpu_pressure_pct_before", d->pressure_b >= 0 ? jnum(d->pressure_b) : NULL);
	jadd(o, "cpu_pressure_pct_after", d->pressure_a >= 0 ? jnum(d->pressure_a) : NULL);
	jadd(o, "comparable", json_object_new_boolean(!d->not_comparable));
	jadd(o, "mde_power", json_object_new_double(0.8));
	jadd(o, "correction", json_object_new_string("holm"));
	jadd(o, "alpha", json_object_new_double(d->opts.alpha));
	jadd(o, "min_effect_pct", json_object_new_double(d->opts.min_effect * 100));
	jadd(o, "tests", json_object_new_int(d->nwtests));
	jadd(o, "per_request_tests", json_object_new_int(d->ntests));
	jadd(root, "test", o);
	arr = json_object_new_array();
	for (int k = 0; k < d->n; k++)
		json_object_array_add(arr, series_diff_json(d, &d->v[k]));
	jadd(root, "series", arr);
	jadd(root, "appeared", lonely_json(d->appeared, d->nappeared));
	jadd(root, "vanished", lonely_json(d->vanished, d->nvanished));
	if (d->sla_b && d->sla_a) {
		o = json_object_new_object();
		jadd(o, "before", json_object_new_string(sla_status(d->sla_b)));
		jadd(o, "after", json_object_new_string(sla_status(d->sla_a)));
		arr = json_object_new_array();
		sla_walk(d, sla_json_cb, arr);
		jadd(o, "objectives", arr);
		jadd(root, "sla", o);
	}
	arr = json_object_new_array();
	for (int g = 0; g < d->ngates; g++) {
		o = json_object_new_object();
		jadd(o, "expr", json_object_new_string(d->gates[g].expr));
		jadd(o, "failed", json_object_new_int(d->gates[g].nfailed));
		json_object_array_add(arr, o);
	}
	jadd(root, "gates", arr);
	jadd(root, "regression", json_object_new_boolean(diff_gates_failed(d) > 0));
	return root;
}
