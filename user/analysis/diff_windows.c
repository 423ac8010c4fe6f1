// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The verdict's test: runs compared by their windows, not by their requests.
 *
 * Why not the requests. Two runs of one build on a busy host differ by more
 * than their requests' spread predicts: the requests of one run share the
 * machine's state of that minute (frequency, cache, neighbours), so they
 * are not independent samples of "the build". A rank test over 100,000
 * requests takes each as one, and on pairs of identical demo-server runs
 * flagged shifts of 7-31% with p down to 1e-135 (issue 13). The unit that
 * varies is the stretch of time, so the replicates here are the windows
 * each trace cuts its run into (core/windows.h: count, p50, p90 and p99 of
 * every 100 ms or so), and, given several runs a side, the runs.
 *
 * The test: Welch's t on the log of a window statistic (p50 for the
 * typical request, p90 and p99 for the tail). Each side's estimate is the
 * mean over its runs of each run's mean log window statistic; its variance
 * is the larger of two:
 *  - the windows' spread: the pooled within-run variance over the windows,
 *    divided by the windows' effective number, which is their count
 *    discounted for the lag-1 autocorrelation r as n (1 - r) / (1 + r), r
 *    taken in [0, 0.5]
 *    (a slow drift inside a run makes neighbouring windows alike, and so
 *    fewer independent ones); never below the rounding of a bucket, whose
 *    width h gives a variance of h^2 / 12 per window;
 *  - the batches' spread: a run's windows (8 or more) in 4 consecutive
 *    batches, the variance of the run's mean from its batch means (3 df a
 *    run); a drift slower than a window or two (a neighbour's build that
 *    starts halfway) shows here and not in r. It is the batch-means method
 *    of simulation output analysis, and it makes the test conservative
 *    when the windows are in fact independent (docs/diff.md: the MDE is
 *    found 68% of the time rather than 80%);
 *  - the runs' spread, when a side has two or more runs: the variance of a
 *    run's mean between runs of one side, pooled over the sides that have
 *    it (degrees of freedom: runs - 1 a side). This is the run-to-run noise
 *    measured directly: the "noise floor on this host".
 * Degrees of freedom by Welch-Satterthwaite for the windows or batches,
 * runs - 1 for the runs; p from Student's t.
 *
 * Alternatives, and why they lost. A rank test (Mann-Whitney) on the
 * windows is robust to outliers but has no place for the autocorrelation
 * or the run-to-run variance, and with two or three runs a side a rank test
 * on runs can never reach alpha 0.01 (its smallest p is 1/C(6,3) = 0.05). A
 * permutation test on windows has the same blind spot (it permutes
 * exchangeable windows, but windows of one run are not exchangeable with
 * the other run's once the runs differ). A hierarchical bootstrap (runs,
 * then windows, then requests) models both levels but needs the requests
 * of each window (a histogram per window, 64 x 10 KiB a series), thousands
 * of resamples per series, and its p-values below 1/B are not available to
 * Holm's correction over dozens of series. The log makes the window
 * statistics near normal (a median of dozens of requests, on a ratio scale)
 * and turns the shift into a ratio, which is what "+15%" means.
 *
 * What it can see: the minimum detectable effect is the shift the test
 * finds 80% of the time at the level of Holm's first step (alpha / tests),
 * (t(1 - alpha / 2 tests) + t(0.8)) * standard error, as a ratio; an
 * 'unchanged' verdict means no shift larger than that.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/diff.h"

/* regularized incomplete beta I_x(a, b), by its continued fraction
 * evaluated with the modified Lentz method; x < (a + 1) / (a + b + 2) */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1, d = 1 - (a + b) * x / (a + 1), f;

	d = fabs(d) < tiny ? tiny : d;
	d = 1 / d;
	f = d;
	for (int m = 1; m <= 300; m++) {
		double num, delta;

		/* even step: m (b - m) x / ((a + 2m - 1)(a + 2m)) */
		num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		d = 1 + num * d;
		c = 1 + num / c;
		d = fabs(d) < tiny ? tiny : d;
		c = fabs(c) < tiny ? tiny : c;
		d = 1 / d;
		f *= d * c;
		/* odd step: -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) */
		num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
		d = 1 + num * d;
		c = 1 + num / c;
		d = fabs(d) < tiny ? tiny : d;
		c = fabs(c) < tiny ? tiny : c;
		d = 1 / d;
		delta = d * c;
		f *= delta;
		if (fabs(delta - 1) < 1e-15)
			break;
	}
	return f;
}

static double inc_beta(double a, double b, double x)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, 1 - x) / b;
}

double diff_t_p2(double t, double df)
{
	if (!isfinite(t))
		return isnan(t) ? 1 : 0;
	if (df <= 0)
		return 1;
	/* P(|T| > t) = I_{df / (df + t^2)}(df / 2, 1 / 2) */
	return inc_beta(df / 2, 0.5, df / (df + t * t));
}

double diff_t_quantile(double q, double df)
{
	double lo = 0, hi = 1, want;

	if (q == 0.5)
		return 0;
	if (q < 0.5)
		return -diff_t_quantile(1 - q, df);
	want = 2 * (1 - q);
	while (diff_t_p2(hi, df) > want && hi < 1e12)
		hi *= 2;
	for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
		double mid = lo + (hi - lo) / 2;

		if (diff_t_p2(mid, df) > want)
			lo = mid;
		else
			hi = mid;
	}
	return lo + (hi - lo) / 2;
}

static const uint64_t *stat_col(const struct series_windows *w, int stat)
{
	return stat == DIFF_W_P50 ? w->p50 : stat == DIFF_W_P90 ? w->p90 : w->p99;
}

/* log width of the bucket holding v: what one window's figure is known to */
static double bucket_width_log(double v)
{
	uint64_t x = v < 1 ? 1 : v > 1e18 ? (uint64_t)1e18 : (uint64_t)v;
	unsigned i = slt_hist_slot(x);
	uint64_t lo = slt_hist_slot_lo(i), hi = slt_hist_slot_hi(i);

	if (i == SLT_HIST_NBUCKETS - 1 || lo == 0 || hi <= lo + 1)
		return 0;
	return log((double)hi / (double)lo);
}

struct side {
	int k;	    /* runs with at least two usable windows */
	int n;	    /* usable windows */
	double ss;  /* within-run sum of squares */
	double lag; /* within-run lag-1 cross products */
	double mean, run_ss, var, df, r1;
	double sw2; /* the windows' within-run variance (at least the rounding's) */
	double mad2; /* a robust one: (1.4826 MAD)^2 of the last run's windows */
	double inv_n_sum; /* sum over runs of 1 / n_i */
	/* batch means: each run's windows in SLT_DIFF_BATCHES consecutive
	 * batches; the variance of a run's mean from its batches' spread */
	double bm_var; /* sum over runs of var(batch means) / batches */
	int bm_runs;   /* runs with enough windows for batches */
	int by_batches;
};

static int by_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* (1.4826 x the median absolute deviation from the median)^2: the
 * windows' variance, were they normal, that one window far off does not
 * inflate */
static double mad_var(const double *y, int n)
{
	double v[SLT_WINDOWS_MAX], med, mad;

	memcpy(v, y, (size_t)n * sizeof(*v));
	qsort(v, (size_t)n, sizeof(*v), by_double);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	for (int i = 0; i < n; i++)
		v[i] = fabs(y[i] - med);
	qsort(v, (size_t)n, sizeof(*v), by_double);
	mad = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return 1.4826 * mad * 1.4826 * mad;
}

static void side_stats(const struct series_windows *const *runs, int nruns, int stat,
		       uint64_t min_count, struct side *s)
{
	double sum_means = 0, means[SLT_DIFF_MAX_RUNS];

	memset(s, 0, sizeof(*s));
	for (int r = 0; r < nruns && r < SLT_DIFF_MAX_RUNS; r++) {
		const struct series_windows *w = runs[r];
		double y[SLT_WINDOWS_MAX], m = 0;
		int n = 0;

		if (!w)
			continue;
		for (int i = 0; i < w->n; i++)
			if (w->count[i] >= min_count && stat_col(w, stat)[i] > 0)
				y[n++] = log((double)stat_col(w, stat)[i]);
		if (n < 2)
			continue;
		for (int i = 0; i < n; i++)
			m += y[i];
		m /= n;
		for (int i = 0; i < n; i++) {
			s->ss += (y[i] - m) * (y[i] - m);
			if (i + 1 < n)
				s->lag += (y[i] - m) * (y[i + 1] - m);
		}
		if (n >= 2 * SLT_DIFF_BATCHES) {
			double bm[SLT_DIFF_BATCHES], bmm = 0, v = 0;

			for (int j = 0; j < SLT_DIFF_BATCHES; j++) {
				int from = j * n / SLT_DIFF_BATCHES, to = (j + 1) * n / SLT_DIFF_BATCHES;

				bm[j] = 0;
				for (int i = from; i < to; i++)
					bm[j] += y[i];
				bm[j] /= to - from;
				bmm += bm[j] / SLT_DIFF_BATCHES;
			}
			for (int j = 0; j < SLT_DIFF_BATCHES; j++)
				v += (bm[j] - bmm) * (bm[j] - bmm);
			s->bm_var += v / (SLT_DIFF_BATCHES - 1) / SLT_DIFF_BATCHES;
			s->bm_runs++;
		}
		s->mad2 = mad_var(y, n);
		means[s->k++] = m;
		sum_means += m;
		s->n += n;
		s->inv_n_sum += 1.0 / n;
	}
	if (!s->k)
		return;
	s->mean = sum_means / s->k;
	for (int i = 0; i < s->k; i++)
		s->run_ss += (means[i] - s->mean) * (means[i] - s->mean);
}

/* the windows' variance of one side's mean, and its degrees of freedom */
static void side_window_var(struct side *s)
{
	double sw2 = s->n > s->k ? s->ss / (s->n - s->k) : 0, q = bucket_width_log(exp(s->mean)), f;

	s->r1 = s->ss > 0 ? s->lag / s->ss : 0;
	if (s->r1 < 0)
		s->r1 = 0; /* alternation is not independence gained: count as r = 0 */
	/* from 20 windows r is a rough estimate, and one window a bucket off
	 * beside another makes it large: at most 0.5, a third of the windows */
	if (s->r1 > 0.5)
		s->r1 = 0.5;
	if (sw2 < q * q / 12) {
		/* the windows differ by less than a bucket: what remains is
		 * rounding, which is independent from window to window */
		sw2 = q * q / 12;
		s->r1 = 0;
	}
	s->sw2 = s->mad2 > q * q / 12 ? s->mad2 : q * q / 12;
	f = (1 - s->r1) / (1 + s->r1);
	/* mean of k run means, run i from n_i windows worth n_i f each */
	s->var = sw2 * s->inv_n_sum / f / ((double)s->k * s->k);
	s->df = s->n * f - s->k;
	if (s->df < 1)
		s->df = 1;
	/* a drift slower than a window or two shows in the batches, not in r */
	if (s->bm_runs == s->k && s->bm_var / ((double)s->k * s->k) > s->var) {
		s->var = s->bm_var / ((double)s->k * s->k);
		s->df = (double)s->k * (SLT_DIFF_BATCHES - 1);
		s->by_batches = 1;
	}
}

int diff_window_test(const struct series_windows *const *b, int kb,
		     const struct series_windows *const *a, int ka, int stat, uint64_t min_count,
		     struct diff_wtest *r)
{
	struct side sb, sa;
	double vw, dfw, vr = 0, dfr = 0;

	memset(r, 0, sizeof(*r));
	r->noise = -1;
	side_stats(b, kb, stat, min_count, &sb);
	side_stats(a, ka, stat, min_count, &sa);
	r->nwin_b = sb.n;
	r->nwin_a = sa.n;
	r->nruns_b = sb.k;
	r->nruns_a = sa.k;
	r->p = r->p_adj = 1;
	if (sb.n < SLT_DIFF_MIN_WINDOWS || sa.n < SLT_DIFF_MIN_WINDOWS)
		return 0;
	side_window_var(&sb);
	side_window_var(&sa);
	r->r1_b = sb.r1;
	r->r1_a = sa.r1;
	vw = sb.var + sa.var;
	dfw = vw * vw / (sb.var * sb.var / sb.df + sa.var * sa.var / sa.df);
	if (sb.k > 1 || sa.k > 1) {
		double s2;

		dfr = (sb.k > 1 ? sb.k - 1 : 0) + (sa.k > 1 ? sa.k - 1 : 0);
		s2 = ((sb.k > 1 ? sb.run_ss : 0) + (sa.k > 1 ? sa.run_ss : 0)) / dfr;
		vr = s2 * (1.0 / sb.k + 1.0 / sa.k);
		r->noise = expm1(sqrt(s2));
	}
	r->tested = 1;
	r->by_runs = vr > vw;
	r->se = sqrt(r->by_runs ? vr : vw);
	r->df = r->by_runs ? dfr : dfw;
	if (sb.k == 1 && sa.k == 1) {
		/* no run-to-run figure: allow a run's level to drift as much as
		 * its windows typically vary (SLT_DIFF_ONE_RUN_DRIFT; a robust
		 * spread, so that one window far off, which the windows' own
		 * variance above counts, does not blind the test) */
		double vd = SLT_DIFF_ONE_RUN_DRIFT * (sb.sw2 + sa.sw2);

		if (vd > vw) {
			r->by_drift = 1;
			r->se = sqrt(vd);
			r->df = sb.n + sa.n - 2;
		}
	}
	r->shift = expm1(sa.mean - sb.mean);
	r->t = (sa.mean - sb.mean) / r->se;
	r->p = r->p_adj = diff_t_p2(r->t, r->df);
	return 1;
}

void diff_wtest_mde(struct diff_wtest *r, double alpha, int ntests)
{
	double z;

	if (!r->tested)
		return;
	z = diff_t_quantile(1 - alpha / 2 / (ntests > 0 ? ntests : 1), r->df) +
	    diff_t_quantile(0.8, r->df);
	r->mde = expm1(z * r->se);
}
