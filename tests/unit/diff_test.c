// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* slatrace diff's statistics and verdicts (report/diff.c) on synthetic
 * histograms: the Mann-Whitney p-value against a hand computation, the
 * Hodges-Lehmann shift, Holm's adjustment, the verdicts (a 20% shift of one
 * series is slower, its unshifted neighbours unchanged, a huge sample's
 * 1% shift unchanged), calibration under "no change", and the gates. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <json-c/json.h>
#include "harness.h"
#include "core/model.h"
#include "core/pressure.h"
#include "core/windows.h"
#include "analysis/diff.h"

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double unif(void)
{
	return ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0;
}

/* n latencies, log-normal around median_ns: latency's usual shape */
static void sample(struct hist *h, uint64_t n, double median_ns, double sigma)
{
	for (uint64_t i = 0; i < n; i++) {
		double z = sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());

		hist_add(h, (uint64_t)(median_ns * exp(sigma * z)));
	}
}

/* n latencies over 20 windows, as a trace records them */
static int fixture_windows = 1;

static void sample_windows(struct series *s, uint64_t n, double median_ns, double sigma)
{
	struct hist w;

	if (!fixture_windows) {
		sample(&s->hist, n, median_ns, sigma);
		return;
	}
	s->win = calloc(1, sizeof(*s->win));
	for (int i = 0; i < 20; i++) {
		hist_reset(&w);
		sample(&w, n / 20 + (i < (int)(n % 20)), median_ns, sigma);
		hist_merge(&s->hist, &w);
		if (s->win)
			windows_push(s->win, &w);
	}
}

/* two runs of three request classes and two syscalls; /slow's latency is
 * multiplied by slow_factor in the second */
static void two_runs(struct model **b, struct model **a, double slow_factor, uint64_t seed)
{
	static const struct {
		const char *family, *name;
		double median, sigma;
		uint64_t n;
	} classes[] = {
		{ "request", "demo :80 GET /fast", 60e3, 0.4, 5000 },
		{ "request", "demo :80 GET /slow", 10e6, 0.05, 800 },
		{ "request", "demo :80 GET /users/{id}", 250e3, 0.8, 3000 },
		{ "syscall", "read", 2e3, 1.0, 20000 },
		{ "syscall", "epoll_wait", 1e6, 2.0, 2000 },
	};
	struct model *m[2] = { model_new(), model_new() };

	rng = seed;
	for (int r = 0; r < 2; r++) {
		if (!m[r])
			continue;
		snprintf(m[r]->meta.host, sizeof(m[r]->meta.host), "testhost");
		m[r]->meta.duration_ns = 10000000000ull;
		for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
			struct series *s = model_series(m[r], classes[i].family, classes[i].name);
			double f = r == 1 && strstr(classes[i].name, "/slow") ? slow_factor : 1;

			if (s)
				sample_windows(s, classes[i].n, classes[i].median * f,
					       classes[i].sigma);
		}
	}
	*b = m[0];
	*a = m[1];
}

static const struct series_diff *find(const struct diff *d, const char *name)
{
	for (int i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].b->name, name))
			return &d->v[i];
	return NULL;
}

static const struct diff_opts defaults = { .alpha = 0.01, .min_effect = 0.05 };

/*
 * before {1, 2, 2, 3}, after {2, 3, 3, 4, 5}: values under 32 ns have a
 * bucket each, so this is the textbook case with ties.
 *   U (after over before, ties 1/2): y=2: 1 + 2*0.5 = 2; y=3 (twice):
 *   2 * (1 + 2 + 0.5) = 7; y=4: 4; y=5: 4; U = 17, E[U] = 4*5/2 = 10.
 *   Ties: value 2 three times, value 3 three times: sum(t^3 - t) = 48.
 *   Var = n1 n2 / 12 * (N + 1 - 48 / (N (N - 1))) = 20/12 * (10 - 48/72)
 *       = 15.5556
 *   z = (17 - 10 - 0.5) / sqrt(15.5556) = 1.64805
 *   p = erfc(z / sqrt 2) = 0.099342
 */
TEST(mann_whitney_p_matches_a_hand_computation)
{
	static const uint64_t x[] = { 1, 2, 2, 3 }, y[] = { 2, 3, 3, 4, 5 };
	struct hist b = { 0 }, a = { 0 };
	struct diff_mwu r;

	for (size_t i = 0; i < 4; i++)
		hist_add(&b, x[i]);
	for (size_t i = 0; i < 5; i++)
		hist_add(&a, y[i]);
	diff_mann_whitney(&b, &a, &r);
	CHECK_EQ_U64(r.n_before, 4);
	CHECK_EQ_U64(r.n_after, 5);
	CHECK_MSG(r.u == 17.0, "U = %g, want 17", r.u);
	CHECK_MSG(fabs(r.z - 1.64805) < 1e-5, "z = %.6f, want 1.64805", r.z);
	CHECK_MSG(fabs(r.p - 0.099342) < 1e-6, "p = %.7f, want 0.099342", r.p);
	CHECK_MSG(fabs(r.prob_slower - 17.0 / 20) < 1e-12, "P = %g", r.prob_slower);
	/* the same data the other way round: the same p, the opposite sign */
	diff_mann_whitney(&a, &b, &r);
	CHECK_MSG(r.u == 3.0 && fabs(r.z + 1.64805) < 1e-5 && fabs(r.p - 0.099342) < 1e-6,
		  "reversed: U %g z %g p %g", r.u, r.z, r.p);
}

TEST(mann_whitney_gives_no_evidence_when_everything_ties)
{
	struct hist b = { 0 }, a = { 0 };
	struct diff_mwu r;

	hist_add_n(&b, 5000, 1000000);
	hist_add_n(&a, 5001, 3000000); /* the same bucket */
	diff_mann_whitney(&b, &a, &r);
	CHECK(r.p == 1.0 && r.z == 0);
	hist_reset(&a);
	diff_mann_whitney(&b, &a, &r);
	CHECK(r.p == 1.0 && r.n_after == 0);
}

TEST(hodges_lehmann_is_the_ratio_of_shifted_buckets)
{
	struct hist b = { 0 }, a = { 0 };
	double s;

	/* one bucket each: the ratio of their midpoints, exactly */
	hist_add_n(&b, 1000000, 50);
	hist_add_n(&a, 1200000, 70);
	s = diff_hl_shift(&b, &a);
	CHECK_MSG(fabs(s - (1196031.5 / 1007615.5 - 1)) < 1e-9, "shift %.6f", s);
	CHECK_MSG(diff_hl_shift(&b, &b) == 0.0, "identical: %g", diff_hl_shift(&b, &b));
	hist_reset(&a);
	CHECK(diff_hl_shift(&b, &a) == 0.0);
	/* a sampled 20% shift is estimated within a bucket's width */
	rng = 7;
	hist_reset(&b);
	sample(&b, 4000, 1e6, 0.5);
	hist_reset(&a);
	sample(&a, 4000, 1.2e6, 0.5);
	s = diff_hl_shift(&b, &a);
	CHECK_MSG(fabs(s - 0.2) < 0.04, "shift %.4f, want 0.20", s);
}

TEST(holm_adjusts_step_down)
{
	static const double p[] = { 0.01, 0.04, 0.03, 0.005 };
	/* sorted: .005*4 = .02, .01*3 = .03, .03*2 = .06, .04*1 = .04 -> .06 */
	static const double want[] = { 0.03, 0.06, 0.06, 0.02 };
	double adj[4];

	diff_holm(p, 4, adj);
	for (int i = 0; i < 4; i++)
		CHECK_MSG(fabs(adj[i] - want[i]) < 1e-12, "adj[%d] = %g, want %g", i, adj[i],
			  want[i]);
	diff_holm(p, 0, adj);
}

/*
 * The truth: both runs are drawn from one distribution (slow_factor 1), as
 * independent samples, so any verdict but "unchanged" is a false alarm;
 * over 20 seeds and 5 series at alpha 0.01 and a 5% minimum effect, none is
 * expected. A model diffed against itself is the exact edge: U is n^2/2, so
 * p is 1 and the shift 0.
 */
TEST(diff_of_two_samples_of_one_distribution_is_unchanged)
{
	struct model *b, *a;
	struct diff d = { 0 };

	for (uint64_t seed = 1; seed <= 20; seed++) {
		two_runs(&b, &a, 1.0, seed);
		CHECK(b && a);
		CHECK_EQ_INT(diff_run(&d, b, a, &defaults), 0);
		CHECK_EQ_INT(d.n, 5);
		CHECK_EQ_INT(d.ntests, 5);
		for (int i = 0; i < d.n; i++)
			CHECK_MSG(d.v[i].verdict == DIFF_UNCHANGED,
				  "seed %llu: %s: verdict %d, shift %.4f, p %g",
				  (unsigned long long)seed, d.v[i].b->name, d.v[i].verdict,
				  d.v[i].shift, d.v[i].mwu.p);
		CHECK_EQ_INT(d.nappeared + d.nvanished + d.nwarnings, 0);
		diff_free(&d);
		if (seed == 1) {
			CHECK_EQ_INT(diff_run(&d, b, b, &defaults), 0);
			for (int i = 0; i < d.n; i++)
				CHECK_MSG(d.v[i].verdict == DIFF_UNCHANGED && d.v[i].mwu.p == 1.0 &&
					      d.v[i].shift == 0.0,
					  "itself: %s: verdict %d p %g", d.v[i].b->name,
					  d.v[i].verdict, d.v[i].mwu.p);
			diff_free(&d);
		}
		model_free(b);
		model_free(a);
	}
}

TEST(diff_flags_a_20_percent_shift_of_one_series_only)
{
	struct diff d = { 0 };
	struct model *b, *a;
	const struct series_diff *sd;

	for (uint64_t seed = 1; seed <= 10; seed++) {
		two_runs(&b, &a, 1.2, seed);
		CHECK(b && a);
		CHECK_EQ_INT(diff_run(&d, b, a, &defaults), 0);
		sd = find(&d, "demo :80 GET /slow");
		CHECK(sd);
		CHECK_MSG(sd->verdict == DIFF_SLOWER, "seed %llu: /slow not slower: %s",
			  (unsigned long long)seed, sd->why);
		CHECK_MSG(fabs(sd->shift - 0.2) < 0.04, "shift %.3f", sd->shift);
		/* sorted first: the only verdict other than unchanged */
		CHECK(d.v[0].b == sd->b);
		for (int i = 0; i < d.n; i++)
			CHECK_MSG(&d.v[i] == sd || d.v[i].verdict == DIFF_UNCHANGED,
				  "seed %llu: %s flagged: %s", (unsigned long long)seed,
				  d.v[i].b->name, d.v[i].why);
		diff_free(&d);
		model_free(b);
		model_free(a);
	}
	two_runs(&b, &a, 1 / 1.2, 3);
	CHECK_EQ_INT(diff_run(&d, b, a, &defaults), 0);
	CHECK(find(&d, "demo :80 GET /slow")->verdict == DIFF_FASTER);
	diff_free(&d);
	model_free(b);
	model_free(a);
}

/* many samples make a 1% shift significant; it is still not a verdict */
TEST(diff_ignores_a_significant_but_small_shift)
{
	struct model *b = model_new(), *a = model_new();
	struct series *sb, *sa;
	struct diff d = { 0 };

	CHECK(b && a);
	sb = model_series(b, "syscall", "read");
	sa = model_series(a, "syscall", "read");
	CHECK(sb && sa);
	rng = 11;
	sample(&sb->hist, 400000, 1e6, 0.3);
	sample(&sa->hist, 400000, 1.01e6, 0.3);
	CHECK_EQ_INT(diff_run(&d, b, a, &defaults), 0);
	CHECK_MSG(d.v[0].p_adj < 1e-6, "p %g: a 1%% shift of 400000 samples is significant",
		  d.v[0].p_adj);
	CHECK_MSG(d.v[0].verdict == DIFF_UNCHANGED, "%s", d.v[0].why);
	CHECK(strstr(d.v[0].why, "significant"));
	diff_free(&d);
	model_free(b);
	model_free(a);
}

/* Under "no change" a valid test's p-values are uniform: on 400 pairs of
 * samples of one distribution, binned, p < 0.05 in about 5% of them. The
 * tie correction is what keeps this true of bucketed data. */
TEST(mann_whitney_is_calibrated_on_binned_data)
{
	struct hist b, a;
	struct diff_mwu r;
	int below05 = 0, below01 = 0;

	rng = 99;
	for (int i = 0; i < 400; i++) {
		hist_reset(&b);
		hist_reset(&a);
		/* 40 us +- a few buckets: heavy ties */
		sample(&b, 300, 40000, 0.05);
		sample(&a, 300, 40000, 0.05);
		diff_mann_whitney(&b, &a, &r);
		below05 += r.p < 0.05;
		below01 += r.p < 0.01;
	}
	/* binomial(400, 0.05): mean 20, sd 4.4 */
	CHECK_MSG(below05 >= 8 && below05 <= 34, "%d of 400 below 0.05", below05);
	CHECK_MSG(below01 <= 11, "%d of 400 below 0.01", below01);
}

TEST(diff_needs_enough_samples_for_a_verdict)
{
	struct model *b = model_new(), *a = model_new();
	struct series *sb, *sa;
	struct diff d = { 0 };

	CHECK(b && a);
	sb = model_series(b, "syscall", "read");
	sa = model_series(a, "syscall", "read");
	CHECK(sb && sa);
	hist_add_n(&sb->hist, 1000, SLT_DIFF_MIN_SAMPLES - 1);
	hist_add_n(&sa->hist, 100000, 50);
	CHECK_EQ_INT(diff_run(&d, b, a, &defaults), 0);
	CHECK(!d.v[0].tested && d.v[0].verdict == DIFF_UNCHANGED);
	CHECK_MSG(strstr(d.v[0].why, "too few samples"), "%s", d.v[0].why);
	CHECK_EQ_INT(d.ntests, 0);
	diff_free(&d);
	model_free(b);
	model_free(a);
}

TEST(diff_lists_appeared_and_vanished_series_and_warns_of_hosts)
{
	struct model *b = model_new(), *a = model_new();
	struct diff d = { 0 };

	CHECK(b && a);
	snprintf(b->meta.host, sizeof(b->meta.host), "web-1");
	snprintf(a->meta.host, sizeof(a->meta.host), "web-2");
	CHECK(model_series(b, "syscall", "read") && model_series(b, "syscall", "gone"));
	CHECK(model_series(a, "syscall", "read") && model_series(a, "syscall", "new") &&
	      model_series(a, "request", "read"));
	CHECK_EQ_INT(diff_run(&d, b, a, &defaults), 0);
	CHECK_EQ_INT(d.n, 1);
	CHECK_EQ_INT(d.nappeared, 2);
	CHECK_EQ_INT(d.nvanished, 1);
	CHECK_STR(d.vanished[0]->name, "gone");
	CHECK_EQ_INT(d.nwarnings, 1);
	CHECK_MSG(strstr(d.warnings[0], "different hosts: 'web-1' (before) and 'web-2' (after)"),
		  "%s", d.warnings[0]);
	diff_free(&d);
	model_free(b);
	model_free(a);
}

TEST(gate_expressions_parse_or_say_why_not)
{
	static const struct {
		const char *expr, *err;
		enum diff_metric metric;
		double pct, bound;
		int sign, relative;
	} cases[] = {
		{ "p99 +10%", NULL, DIFF_M_PCT, 99, 10, 1, 1 },
		{ "p99.9 +5ms", NULL, DIFF_M_PCT, 99.9, 5e6, 1, 0 },
		{ "p99_9+2.5%", NULL, DIFF_M_PCT, 99.9, 2.5, 1, 1 },
		{ "  p50 - 250us ", NULL, DIFF_M_PCT, 50, 250e3, -1, 0 },
		{ "mean +0%", NULL, DIFF_M_MEAN, 0, 0, 1, 1 },
		{ "max +1s", NULL, DIFF_M_MAX, 0, 1e9, 1, 0 },
		{ "error_rate +1%", NULL, DIFF_M_ERROR_RATE, 0, 1, 1, 1 },
		{ "count -20%", NULL, DIFF_M_COUNT, 0, 20, -1, 1 },
		{ "count -1000", NULL, DIFF_M_COUNT, 0, 1000, -1, 0 },
		{ "", "no metric", 0, 0, 0, 0, 0 },
		{ "p99 10%", "needs a direction", 0, 0, 0, 0, 0 },
		{ "p99 +", "no amount", 0, 0, 0, 0, 0 },
		{ "p99 +10", "invalid amount '10'", 0, 0, 0, 0, 0 },
		{ "p99 +10x%", "invalid percent", 0, 0, 0, 0, 0 },
		{ "p99 +-10%", "invalid percent", 0, 0, 0, 0, 0 },
		{ "p0 +1%", "a percentile is", 0, 0, 0, 0, 0 },
		{ "p101 +1%", "a percentile is", 0, 0, 0, 0, 0 },
		{ "latency +1%", "unknown metric 'latency'", 0, 0, 0, 0, 0 },
		{ "error_rate +0.01", "percentage points", 0, 0, 0, 0, 0 },
		{ "count +1.5", "invalid count", 0, 0, 0, 0, 0 },
		{ "p99 +5 ms", "invalid amount", 0, 0, 0, 0, 0 },
	};
	struct diff_gate g;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = diff_parse_gate(cases[i].expr, &g, err, sizeof(err));

		if (cases[i].err) {
			CHECK_MSG(rc == -EINVAL, "'%s' accepted", cases[i].expr);
			CHECK_MSG(strstr(err, cases[i].err), "'%s': '%s' does not say '%s'",
				  cases[i].expr, err, cases[i].err);
			continue;
		}
		CHECK_MSG(rc == 0, "'%s' refused: %s", cases[i].expr, err);
		CHECK_MSG(g.metric == cases[i].metric && g.sign == cases[i].sign &&
			      g.relative == cases[i].relative &&
			      fabs(g.bound - cases[i].bound) < 1e-9 &&
			      fabs(g.pct - cases[i].pct) < 1e-9,
			  "'%s': metric %d sign %d rel %d bound %g pct %g", cases[i].expr, g.metric,
			  g.sign, g.relative, g.bound, g.pct);
	}
}

static int gates_on(struct model *b, struct model *a, const char *const *exprs, int n,
		    int *failed_each)
{
	struct diff d = { 0 };
	char err[256];
	int total;

	for (int i = 0; i < n; i++)
		if (diff_parse_gate(exprs[i], &d.gates[d.ngates++], err, sizeof(err)))
			return -1;
	if (diff_run(&d, b, a, &defaults))
		return -1;
	for (int i = 0; i < n; i++)
		failed_each[i] = d.gates[i].nfailed;
	total = diff_gates_failed(&d);
	diff_free(&d);
	return total;
}

TEST(gates_fire_only_beyond_the_bound_and_with_the_verdict)
{
	static const char *const exprs[] = {
		"p99 +10%", /* /slow: p99 +20%, slower: fires */
		"p50 +30%", /* not that much */
		"p50 +1ms", /* /slow's p50 rose by 2 ms: fires */
		"p50 -10%", /* nothing got faster */
		"p50 +0%",  /* any slower verdict */
	};
	struct model *b, *a;
	int each[5];

	two_runs(&b, &a, 1.2, 5);
	CHECK(b && a);
	CHECK_EQ_INT(gates_on(b, a, exprs, 5, each), 3);
	CHECK_EQ_INT(each[0], 1);
	CHECK_EQ_INT(each[1], 0);
	CHECK_EQ_INT(each[2], 1);
	CHECK_EQ_INT(each[3], 0);
	CHECK_EQ_INT(each[4], 1);
	model_free(b);
	model_free(a);
	/* no change: whatever p99 does by chance, no verdict, no failure */
	two_runs(&b, &a, 1.0, 5);
	CHECK_EQ_INT(gates_on(b, a, exprs, 5, each), 0);
	model_free(b);
	model_free(a);
}

/* one series of 20 windows: 50 requests around median_ns, and in every other
 * window two outliers 30x to 90x slower, so that each window's p99 (its max)
 * swings between the median and the outliers */
static struct model *tail_run(double median_ns)
{
	struct model *m = model_new();
	struct series *s = m ? model_series(m, "request", "demo :80 GET /t") : NULL;
	struct hist w;

	if (!s)
		return m;
	s->win = calloc(1, sizeof(*s->win));
	for (int i = 0; i < 20 && s->win; i++) {
		hist_reset(&w);
		sample(&w, 50, median_ns, 0.05);
		if (i % 2)
			for (int k = 0; k < 2; k++)
				hist_add(&w, (uint64_t)(median_ns * (30 + 60 * unif())));
		hist_merge(&s->hist, &w);
		windows_push(s->win, &w);
	}
	m->meta.duration_ns = 2000000000ull;
	return m;
}

/*
 * The truth: every request is twice as slow after (the median and the
 * outliers alike), so the p99 rose by about 100%. Tail windows alone are
 * too noisy to say so (the max of 52 swings 30x between windows); the
 * median's windows say it plainly, and a p99 gate whose own statistic moved
 * beyond its amount fires on them. Without any shift it does not.
 */
TEST(a_tail_gate_fires_when_the_whole_distribution_moved)
{
	static const char *const exprs[] = { "p99 +10%" };
	struct model *b, *a;
	int each[1];

	rng = 11;
	b = tail_run(1e6);
	a = tail_run(2e6);
	CHECK(b && a);
	CHECK_EQ_INT(gates_on(b, a, exprs, 1, each), 1);
	model_free(b);
	model_free(a);
	rng = 12;
	b = tail_run(1e6);
	a = tail_run(1e6);
	CHECK(b && a);
	CHECK_EQ_INT(gates_on(b, a, exprs, 1, each), 0);
	model_free(b);
	model_free(a);
}

TEST(error_rate_and_count_gates)
{
	static const char *const exprs[] = { "error_rate +1%", "error_rate +5%", "count -20%",
					     "count +10" };
	struct model *b, *a;
	struct series *s;
	int each[4];

	two_runs(&b, &a, 1.0, 8);
	CHECK(b && a);
	/* /fast: 0.1% errors -> 3%, significant on 5000 requests */
	s = model_series(b, "request", "demo :80 GET /fast");
	s->errors = 5;
	s = model_series(a, "request", "demo :80 GET /fast");
	s->errors = 150;
	/* read: 20000 -> 15000 calls */
	s = model_series(a, "syscall", "read");
	hist_reset(&s->hist);
	sample(&s->hist, 15000, 2e3, 1.0);
	CHECK_EQ_INT(gates_on(b, a, exprs, 4, each), 2);
	CHECK_EQ_INT(each[0], 1);
	CHECK_EQ_INT(each[1], 0);
	CHECK_EQ_INT(each[2], 1);
	CHECK_EQ_INT(each[3], 0);
	model_free(b);
	model_free(a);
}

TEST(diff_json_has_the_schema_verdicts_and_gates)
{
	struct model *b, *a;
	struct diff d = { 0 };
	struct json_object *o, *v, *s0;
	char err[128];

	two_runs(&b, &a, 1.2, 2);
	CHECK(b && a);
	CHECK_EQ_INT(diff_parse_gate("p99 +10%", &d.gates[0], err, sizeof(err)), 0);
	d.ngates = 1;
	d.b_name = "b.json";
	d.a_name = "a.json";
	CHECK_EQ_INT(diff_run(&d, b, a, &defaults), 0);
	o = diff_json(&d);
	CHECK(json_object_object_get_ex(o, "schema", &v));
	CHECK_STR(json_object_get_string(v), SLT_DIFF_SCHEMA);
	CHECK(json_object_object_get_ex(o, "series", &v) && json_object_array_length(v) == 5);
	s0 = json_object_array_get_idx(v, 0);
	CHECK(json_object_object_get_ex(s0, "verdict", &v));
	CHECK_STR(json_object_get_string(v), "slower");
	CHECK(json_object_object_get_ex(s0, "name", &v));
	CHECK_STR(json_object_get_string(v), "demo :80 GET /slow");
	CHECK(json_object_object_get_ex(s0, "failed_gates", &v) &&
	      json_object_array_length(v) == 1);
	CHECK(json_object_object_get_ex(o, "regression", &v) && json_object_get_boolean(v));
	CHECK(!json_object_object_get_ex(o, "sla", &v));
	json_object_put(o);
	diff_free(&d);
	model_free(b);
	model_free(a);
}

/* the text at a glance: the verdict leads, flagged series first, then the
 * details, then SLA verdicts side by side and the gates */
TEST(diff_text_puts_verdicts_first_and_sla_side_by_side)
{
	const char *sla_b =
	    "{\"passed\":true,\"verdict\":\"pass\",\"objectives\":["
	    "{\"name\":\"slow p99\",\"objective\":\"GET /slow: p99 < 11ms\","
	    "\"unit\":\"ns\",\"status\":\"pass\",\"passed\":true,\"value\":10400000},"
	    "{\"name\":\"gone\",\"status\":\"no_data\",\"passed\":false,\"value\":null}]}";
	const char *sla_a =
	    "{\"passed\":false,\"verdict\":\"fail\",\"objectives\":["
	    "{\"name\":\"slow p99\",\"objective\":\"GET /slow: p99 < 11ms\","
	    "\"unit\":\"ns\",\"status\":\"fail\",\"passed\":false,\"value\":12500000},"
	    "{\"name\":\"errors\",\"unit\":\"ratio\",\"status\":\"pass\",\"value\":0.001}]}";
	struct model *b, *a;
	struct diff d = { 0 };
	struct json_object *jb = json_tokener_parse(sla_b), *ja = json_tokener_parse(sla_a), *o, *v;
	char *text = NULL, err[64];
	size_t len = 0;
	FILE *f;

	CHECK(jb && ja);
	two_runs(&b, &a, 1.2, 4);
	CHECK(b && a);
	CHECK_EQ_INT(diff_parse_gate("p99 +10%", &d.gates[0], err, sizeof(err)), 0);
	d.ngates = 1;
	d.b_name = "before.json";
	d.a_name = "after.json";
	d.sla_b = jb;
	d.sla_a = ja;
	CHECK_EQ_INT(diff_run(&d, b, a, &defaults), 0);
	f = open_memstream(&text, &len);
	CHECK(f);
	print_diff_plain(f, &d, 2);
	fclose(f);
	CHECK_MSG(strstr(text, "\n1 slower, 0 faster, 4 unchanged; 0 appeared, 0 vanished\n"), "%s",
		  text);
	/* the table: the slower series first, the verdict in the first column */
	CHECK_MSG(strstr(text, "SERIES\nslower "), "%s", text);
	CHECK_MSG(strstr(text, "... and 2 more unchanged (--top 0 shows all)"), "%s", text);
	CHECK_MSG(strstr(text, "\nslower  request demo :80 GET /slow\n    typical request +"), "%s",
		  text);
	CHECK_MSG(strstr(text, "\nSLA: pass -> fail\n"), "%s", text);
	CHECK_MSG(strstr(text, "  PASS 10.40ms         FAIL 12.50ms         slow p99\n"), "%s",
		  text);
	CHECK_MSG(strstr(text, "  NO DATA              -                    gone\n"), "%s", text);
	CHECK_MSG(strstr(text, "  -                    PASS 0.100%          errors\n"), "%s", text);
	CHECK_MSG(strstr(text, "--fail-on 'p99 +10%': FAILED: request demo :80 GET /slow (+"), "%s",
		  text);
	o = diff_json(&d);
	CHECK(json_object_object_get_ex(o, "sla", &v));
	CHECK(json_object_object_get_ex(v, "objectives", &v) && json_object_array_length(v) == 3);
	json_object_put(o);
	free(text);
	json_object_put(jb);
	json_object_put(ja);
	diff_free(&d);
	model_free(b);
	model_free(a);
}

/* ---- the window test (diff_windows.c) ---- */

/* Student's t against closed forms (df 1 is Cauchy: P(|T| > t) = 1 - 2
 * atan(t) / pi; df 2: 1 - t / sqrt(t^2 + 2)) and the table value
 * t(0.975, 10) = 2.228138852 */
TEST(student_t_matches_closed_forms_and_the_table)
{
	for (double t = 0.25; t < 40; t *= 2) {
		CHECK(fabs(diff_t_p2(t, 1) - (1 - 2 * atan(t) / M_PI)) < 1e-9);
		CHECK(fabs(diff_t_p2(t, 2) - (1 - t / sqrt(t * t + 2))) < 1e-9);
	}
	CHECK(fabs(diff_t_p2(2.228138852, 10) - 0.05) < 1e-8);
	CHECK(fabs(diff_t_quantile(0.975, 10) - 2.228138852) < 1e-6);
	CHECK(fabs(diff_t_quantile(0.8, 1) - tan(0.3 * M_PI)) < 1e-6);
	CHECK(fabs(diff_t_quantile(0.025, 10) + 2.228138852) < 1e-6);
	/* a huge df is the normal: 1.959964 */
	CHECK(fabs(diff_t_quantile(0.975, 1e7) - 1.959964) < 1e-4);
}

static struct series_windows *mkwin(const uint64_t *v, int n, uint64_t count)
{
	struct series_windows *w = calloc(1, sizeof(*w));

	for (int i = 0; w && i < n; i++) {
		w->count[i] = count;
		w->p50[i] = w->p90[i] = w->p99[i] = v[i];
	}
	if (w)
		w->n = n;
	return w;
}

/*
 * One run a side, four windows each, p50s before {1000, 1105, 1000, 1105}
 * ns and after {1200, 1300, 1200, 1300}: on logs, means 6.957678 and
 * 7.130098, sums of squares 0.0099691 and 0.0064068, lag-1 products
 * negative (so r = 0, no discount); variance of each mean SS / 3 / 4, Welch
 * df (vb + va)^2 / (vb^2 / 3 + va^2 / 3) = 5.72891, t = 4.66741, shift
 * e^0.172420 - 1 = +18.818%. But one run a side measures no run-to-run
 * drift, so each side's level may drift by its windows' own spread
 * (SLT_DIFF_ONE_RUN_DRIFT 1), robustly: (1.4826 MAD)^2 of the logs, the
 * MAD being half of log(1105 / 1000) = 0.0498960 before and half of
 * log(1300 / 1200) = 0.0400215 after, 0.00547827 + 0.00352072 =
 * 0.00899899, larger than the windows' 0.00136466, so t = 0.172420 /
 * 0.0948630 = 1.81757 with 6 df and p = 0.119020; both p by integrating
 * Student's density numerically
 * (Simpson, 200,000 steps), not by this code's method. The same windows
 * as two runs a side (each run twice) measure the runs' spread instead.
 */
TEST(window_test_matches_a_hand_computation)
{
	static const uint64_t vb[] = { 1000, 1105, 1000, 1105 }, va[] = { 1200, 1300, 1200, 1300 };
	struct series_windows *b = mkwin(vb, 4, 100), *a = mkwin(va, 4, 100);
	const struct series_windows *B[1] = { b }, *A[1] = { a };
	struct diff_wtest r;

	CHECK(b && a);
	CHECK_EQ_INT(diff_window_test(B, 1, A, 1, DIFF_W_P50, 5, &r), 1);
	CHECK(fabs(r.shift - 0.1881770516) < 1e-9);
	CHECK_MSG(fabs(r.t - 1.817570729) < 1e-6, "t %.9f", r.t);
	CHECK(fabs(r.df - 6) < 1e-9);
	CHECK_MSG(fabs(r.p - 0.1190202089) < 1e-7, "p %.10f", r.p);
	CHECK(!r.by_runs && r.by_drift && r.noise < 0);
	/* windows under 5 requests are not replicates: too few remain */
	b->count[0] = b->count[1] = 4;
	CHECK_EQ_INT(diff_window_test(B, 1, A, 1, DIFF_W_P50, 5, &r), 0);
	free(b);
	free(a);
}

TEST(windows_merge_pairwise_weighted_by_count)
{
	struct series_windows w = { 0 };
	struct hist h;

	/* 65 windows of 10 values at 100 ns, except window 1 has 30 at 200 */
	for (int i = 0; i < 65; i++) {
		hist_reset(&h);
		hist_add_n(&h, i == 1 ? 200 : 100, i == 1 ? 30 : 10);
		windows_push(&w, &h);
	}
	CHECK_EQ_INT(w.n, 33);
	CHECK_EQ_U64(w.count[0], 40);
	/* p50s 100 and 200 (a percentile is clamped to the max): the first
	 * merged window is (100 * 10 + 200 * 30) / 40 = 175, not their
	 * midpoint 150 */
	CHECK_EQ_U64(w.p50[0], 175);
	CHECK_EQ_U64(w.p50[1], 100);
	CHECK_EQ_U64(w.count[32], 10);
}

static double gauss(void)
{
	return sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());
}

/* k runs of n windows of 50 requests: p50 = median * e^(run effect +
 * window noise) */
static void sim_runs(struct series_windows **w, int k, int n, double median, double sd_run,
		     double sd_win)
{
	for (int r = 0; r < k; r++) {
		double e = sd_run * gauss();

		memset(w[r], 0, sizeof(*w[r]));
		w[r]->n = n;
		for (int i = 0; i < n; i++) {
			w[r]->count[i] = 50;
			w[r]->p50[i] = (uint64_t)(median * exp(e + sd_win * gauss()));
		}
	}
}

/*
 * The failure, simulated from known distributions: every run has
 * its own level (sd 5%), its windows scatter 2% around it. With three runs
 * a side the test measures the run-to-run spread and stays at its alpha
 * (0.01) over 400 unchanged pairs; a test that takes the windows of one
 * run each as independent (what a per-request test does, one level up)
 * flags most of the same pairs.
 */
TEST(window_test_with_runs_holds_alpha_under_run_to_run_noise)
{
	struct series_windows *wb[3], *wa[3];
	int fp_runs = 0, fp_one = 0;

	rng = 13;
	for (int i = 0; i < 3; i++) {
		wb[i] = calloc(1, sizeof(*wb[i]));
		wa[i] = calloc(1, sizeof(*wa[i]));
		CHECK(wb[i] && wa[i]);
	}
	for (int t = 0; t < 400; t++) {
		struct diff_wtest r;

		sim_runs(wb, 3, 20, 1e6, 0.05, 0.02);
		sim_runs(wa, 3, 20, 1e6, 0.05, 0.02);
		diff_window_test((const struct series_windows *const *)wb, 3,
				 (const struct series_windows *const *)wa, 3, DIFF_W_P50, 5, &r);
		fp_runs += r.p < 0.01;
		CHECK(r.by_runs);
		diff_window_test((const struct series_windows *const *)wb, 1,
				 (const struct series_windows *const *)wa, 1, DIFF_W_P50, 5, &r);
		fp_one += r.p < 0.01;
	}
	printf("      unchanged, sd 5%% between runs: %d/400 flagged with 3 runs a side, %d/400 "
	       "with one\n",
	       fp_runs, fp_one);
	/* binomial(400, 0.01): mean 4, P(X > 12) < 1e-3 */
	CHECK(fp_runs <= 12);
	/* one run a side allows a drift as large as the windows' spread
	 * (2%), not 2.5 times it: too few to hold alpha */
	CHECK(fp_one > 40);
	for (int i = 0; i < 3; i++) {
		free(wb[i]);
		free(wa[i]);
	}
}

/*
 * One run a side, a host whose runs drift (sd 3%) less than their windows
 * scatter (sd 5%), as sleep- and I/O-bound routes do here: the drift
 * allowance holds alpha (0.01) over 400 unchanged pairs, where the windows
 * alone, as independent replicates (se 5% / sqrt(20) a side), would flag
 * about a third of them.
 */
TEST(window_test_one_run_a_side_holds_alpha_when_runs_drift_less_than_windows)
{
	struct series_windows *wb = calloc(1, sizeof(*wb)), *wa = calloc(1, sizeof(*wa));
	int fp = 0, drift = 0;

	CHECK(wb && wa);
	rng = 29;
	for (int t = 0; t < 400; t++) {
		struct diff_wtest r;

		sim_runs(&wb, 1, 20, 1e6, 0.03, 0.05);
		sim_runs(&wa, 1, 20, 1e6, 0.03, 0.05);
		diff_window_test((const struct series_windows *const *)&wb, 1,
				 (const struct series_windows *const *)&wa, 1, DIFF_W_P50, 5, &r);
		fp += r.p < 0.01;
		drift += r.by_drift;
	}
	printf("      one run a side, runs drift 3%%, windows 5%%: %d/400 flagged; the drift "
	       "allowance set the variance in %d\n",
	       fp, drift);
	CHECK(fp <= 12);
	CHECK(drift == 400);
	free(wb);
	free(wa);
}

/*
 * The minimum detectable effect means about what it says: with one run a
 * side of 20 independent windows (sd 5%) around a level that drifts from
 * run to run as much (sd 5%: what the one-run drift allowance assumes), a
 * shift equal to the median MDE the test reports over 200 unchanged pairs
 * is found in 60-90% of 400 trials (80% is the target), half of it far
 * less often, twice it almost always. (Without any drift the same MDE is
 * found in 396 of 400: the allowance costs power where runs do not drift.)
 */
static int by_dbl(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

TEST(window_test_finds_its_mde_four_times_in_five)
{
	struct series_windows *wb = calloc(1, sizeof(*wb)), *wa = calloc(1, sizeof(*wa));
	struct diff_wtest r;
	double mdes[200], mde;
	int hit[3] = { 0 };

	CHECK(wb && wa);
	rng = 17;
	for (int t = 0; t < 200; t++) {
		sim_runs(&wb, 1, 20, 1e6, 0.05, 0.05);
		sim_runs(&wa, 1, 20, 1e6, 0.05, 0.05);
		diff_window_test((const struct series_windows *const *)&wb, 1,
				 (const struct series_windows *const *)&wa, 1, DIFF_W_P50, 5, &r);
		diff_wtest_mde(&r, 0.01, 1);
		mdes[t] = r.mde;
	}
	qsort(mdes, 200, sizeof(mdes[0]), by_dbl);
	/* by hand: one run a side, so the drift allowance, se = 0.05 sqrt(2)
	 * = 0.0707 (the windows alone would give 0.05 sqrt(2 / 20) = 0.0158);
	 * (t(0.995, 38) 2.712 + t(0.8, 38) 0.851) * 0.0707 = 0.252: +28.7%
	 * (the MAD of 20 windows is a rougher estimate of the 5% than their
	 * sd: the MDE scatters more) */
	CHECK_MSG(mdes[100] > 0.22 && mdes[100] < 0.34, "median MDE %g", mdes[100]);
	mde = log1p(mdes[100]);
	for (int t = 0; t < 400; t++) {
		for (int m = 0; m < 3; m++) {
			double f = m == 0 ? 0.5 : m == 1 ? 1 : 2;

			sim_runs(&wb, 1, 20, 1e6, 0.05, 0.05);
			sim_runs(&wa, 1, 20, 1e6 * exp(f * mde), 0.05, 0.05);
			diff_window_test((const struct series_windows *const *)&wb, 1,
					 (const struct series_windows *const *)&wa, 1, DIFF_W_P50,
					 5, &r);
			hit[m] += r.p < 0.01 && r.t > 0;
		}
	}
	printf("      median MDE %.1f%% (from %.1f%% to %.1f%%); found: %d/400 at half of it, "
	       "%d/400 at it, %d/400 at twice\n",
	       mdes[100] * 100, mdes[0] * 100, mdes[199] * 100, hit[0], hit[1], hit[2]);
	CHECK(hit[1] >= 240 && hit[1] <= 360);
	CHECK(hit[0] < 160);
	CHECK(hit[2] >= 390);
	free(wb);
	free(wa);
}

TEST(gates_do_not_fire_without_windows)
{
	static const char *const exprs[] = { "p99 +10%", "p50 +0%" };
	struct model *b, *a;
	struct diff d = { 0 };
	int each[2];

	fixture_windows = 0;
	two_runs(&b, &a, 1.5, 5);
	fixture_windows = 1;
	CHECK(b && a);
	CHECK_EQ_INT(gates_on(b, a, exprs, 2, each), 0);
	CHECK_EQ_INT(diff_run(&d, b, a, &defaults), 0);
	/* the verdict is still given, from the requests, and says so */
	CHECK(find(&d, "demo :80 GET /slow")->verdict == DIFF_SLOWER);
	CHECK(strstr(find(&d, "demo :80 GET /slow")->why, "no windows: per-request test only"));
	CHECK_EQ_INT(d.nunwindowed, 5);
	diff_free(&d);
	model_free(b);
	model_free(a);
}

/* a burst inside one or two windows has windows but no replicates: no
 * verdict, rather than the per-request test's (which would say slower) */
TEST(a_burst_in_too_few_windows_gets_no_verdict)
{
	struct model *b, *a;
	struct diff d = { 0 };
	const struct series_diff *sd;

	two_runs(&b, &a, 1.5, 5);
	CHECK(b && a);
	for (int r = 0; r < 2; r++) {
		struct series *s = model_find(r ? a : b, "request", "demo :80 GET /slow");

		CHECK(s && s->win);
		for (int i = 2; s && s->win && i < s->win->n; i++)
			s->win->count[i] = 0;
	}
	CHECK_EQ_INT(diff_run(&d, b, a, &defaults), 0);
	sd = find(&d, "demo :80 GET /slow");
	CHECK(sd && sd->tested && sd->mwu.p < 1e-10 && !sd->windowed);
	CHECK(sd && sd->verdict == DIFF_UNCHANGED);
	CHECK(sd && strstr(sd->why, "too few windows to tell (2 before, 2 after"));
	CHECK_EQ_INT(d.nunwindowed, 0);
	diff_free(&d);
	model_free(b);
	model_free(a);
}

TEST(cpu_pressure_is_read_from_the_psi_some_line)
{
	uint64_t ns = 0;

	CHECK_EQ_INT(pressure_parse("some avg10=4.65 avg60=12.02 avg300=32.56 total=1744729606\n"
				    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
				    &ns),
		     0);
	CHECK_EQ_U64(ns, 1744729606000ull);
	CHECK(pressure_parse("full avg10=0.00 total=5\n", &ns) < 0);
	CHECK(pressure_parse("some avg10=1 total=x\n", &ns) < 0);
	CHECK(pressure_parse("", &ns) < 0);
}

/* a CPU hog during one side (pressure 5% -> 60%): no verdict, no gate, the
 * reason given; 5% -> 15% is an ordinary busy host and is judged */
TEST(runs_whose_cpu_pressure_differs_are_not_compared)
{
	static const char *const exprs[] = { "p50 +10%" };
	struct model *b, *a;
	struct diff d = { 0 };
	int each[1];

	two_runs(&b, &a, 1.5, 5);
	CHECK(b && a);
	b->meta.has_cpu_pressure = a->meta.has_cpu_pressure = 1;
	b->meta.cpu_pressure_pct = 5;
	a->meta.cpu_pressure_pct = 60;
	CHECK_EQ_INT(diff_run(&d, b, a, &defaults), 0);
	CHECK(d.not_comparable);
	CHECK(find(&d, "demo :80 GET /slow")->verdict == DIFF_UNCHANGED);
	CHECK(strstr(find(&d, "demo :80 GET /slow")->why,
		     "not comparable: CPU pressure 5% before, 60% after"));
	diff_free(&d);
	CHECK_EQ_INT(gates_on(b, a, exprs, 1, each), 0);
	a->meta.cpu_pressure_pct = 15;
	CHECK_EQ_INT(gates_on(b, a, exprs, 1, each), 1);
	model_free(b);
	model_free(a);
}

/* The run-queue rule by hand: w = wait / CPU time a side, not comparable
 * when (1 + w_after) / (1 + w_before) leaves [1/1.5, 1.5].
 *   w 0.2 -> 0.8:  1.8 / 1.2  = 1.5 exactly: comparable (the bound is >)
 *   w 0.2 -> 0.81: 1.81 / 1.2 = 1.508: not; shares 0.2/1.2 = 17% and
 *                  0.81/1.81 = 45% of the runnable time
 *   w 1.0 -> 0.3:  1.3 / 2.0  = 0.65 < 0.667: not (a hog in before)
 *   w 1.0 -> 0.35: 1.35 / 2.0 = 0.675: comparable
 * and with both rules firing, both reasons. */
TEST(runq_wait_ratio_over_1_5_makes_runs_not_comparable)
{
	struct diff d = { .pressure_b = -1, .pressure_a = -1 };

	d.runq_w_b = 0.2, d.runq_w_a = 0.8;
	CHECK(!diff_judge_comparable(&d));
	CHECK(!d.because[0]);
	d.runq_w_a = 0.81;
	CHECK(diff_judge_comparable(&d));
	CHECK_MSG(strstr(d.because, "the target waited for a CPU 17% of its runnable time before "
				    "and 45% after (its CPU work took 1.51x as long after"),
		  "%s", d.because);
	CHECK_STR(d.because_short, "target's run-queue wait 17% before, 45% after");
	d.runq_w_b = 1.0, d.runq_w_a = 0.3;
	CHECK(diff_judge_comparable(&d));
	CHECK_MSG(strstr(d.because, "took 0.65x as long after"), "%s", d.because);
	d.runq_w_a = 0.35;
	CHECK(!diff_judge_comparable(&d));
	/* unknown on a side (older report, whole-host target): only PSI decides */
	d.runq_w_b = -1, d.runq_w_a = 5;
	CHECK(!diff_judge_comparable(&d));
	d.pressure_b = 5, d.pressure_a = 60;
	CHECK(diff_judge_comparable(&d));
	CHECK_STR(d.because_short, "CPU pressure 5% before, 60% after");
	d.runq_w_b = 0.1, d.runq_w_a = 1.0; /* 2.0 / 1.1 = 1.82 */
	CHECK(diff_judge_comparable(&d));
	CHECK_STR(d.because_short,
		  "target's run-queue wait 9% before, 50% after; CPU pressure 5% before, 60% after");
	CHECK(strstr(d.because, "1.82x") && strstr(d.because, "; and the host's CPU pressure"));
}

static void set_runq(struct model *m, uint64_t wait_ms, uint64_t cpu_ms)
{
	m->meta.has_target_runq = 1;
	m->meta.target_runq_wait_ns = wait_ms * 1000000;
	m->meta.target_cpu_ns = cpu_ms * 1000000;
	m->meta.target_runq_wait_pct = 100.0 * (double)wait_ms / (double)(wait_ms + cpu_ms);
}

/* With PSI low on both sides (a hog PSI missed), two runs a side: before w
 * 0.1 and 0.3 (mean 0.2), after 0.5 and 1.2 (mean 0.85): 1.85 / 1.2 =
 * 1.54, not comparable: no verdict on a /slow 50% slower, no gate, the
 * reason in the JSON. After 0.5 and 0.9 (mean 0.7): 1.7 / 1.2 = 1.42, judged,
 * and the gate fires. A run whose target ran under 10 ms has no share. */
/* The target waited 10 us for a CPU each time it was put on one before and
 * 100 us after, and its wait share differs (w 0.1 -> 2.0): two such waits
 * of the larger are 5% (--min-effect) of 4 ms, so typical requests under
 * 4 ms are exposed to the difference and get no verdict; /slow (10 ms,
 * 50% slower) is judged, and its gate fires. By hand: 2 * 100e3 / 0.05 =
 * 4e6 ns. */
TEST(only_series_a_few_cpu_waits_long_lose_their_verdict_when_cpu_availability_differs)
{
	static const char *const exprs[] = { "p50 +10%" };
	struct diff d = { .pressure_b = -1, .pressure_a = -1, .opts = { .min_effect = 0.05 } };
	struct model *b, *a;
	struct json_object *o, *t, *v, *arr;
	const struct series_diff *sd;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	d.runq_w_b = 0.1, d.runq_w_a = 2.0;
	d.wait_in_b = 10e3, d.wait_in_a = 100e3;
	CHECK(diff_judge_comparable(&d));
	CHECK(!d.not_comparable);
	CHECK(fabs(d.exposed_below_ns - 4e6) < 1e-3);
	CHECK(diff_exposed(&d, 3.99e6) && !diff_exposed(&d, 4.01e6));
	/* the same runs without the waits: nothing tells the series apart */
	d.wait_in_a = -1;
	CHECK(diff_judge_comparable(&d) && d.not_comparable && diff_exposed(&d, 1e12));
	/* comparable runs expose nothing */
	d.runq_w_a = 0.2, d.wait_in_a = 100e3;
	CHECK(!diff_judge_comparable(&d) && !diff_exposed(&d, 1));
	/* host pressure apart, but a target that never waited: nothing exposed */
	d.pressure_b = 5, d.pressure_a = 60, d.runq_w_b = d.runq_w_a = 0;
	d.wait_in_b = d.wait_in_a = 0;
	CHECK(diff_judge_comparable(&d) && !d.not_comparable && !diff_exposed(&d, 1));
	/* --min-effect 0: any wait moves a series by that much: all exposed */
	d.opts.min_effect = 0;
	CHECK(diff_judge_comparable(&d) && d.not_comparable && diff_exposed(&d, 1e12));
	d.pressure_b = d.pressure_a = -1, d.opts.min_effect = 0.05;

	two_runs(&b, &a, 1.5, 9);
	CHECK(b && a);
	set_runq(b, 10, 100);
	set_runq(a, 200, 100);
	b->meta.target_sched_ins = 1000;
	a->meta.target_sched_ins = 2000;
	memset(&d, 0, sizeof(d));
	d.b_name = "b.json";
	d.a_name = "a.json";
	CHECK(!diff_parse_gate(exprs[0], &d.gates[d.ngates++], (char[128]){ 0 }, 128));
	CHECK_EQ_INT(diff_run(&d, b, a, &defaults), 0);
	CHECK(d.cpu_differs && !d.not_comparable);
	CHECK(fabs(d.wait_in_b - 10e3) < 1e-6 && fabs(d.wait_in_a - 100e3) < 1e-6);
	CHECK_EQ_INT(d.nexposed, 4);
	sd = find(&d, "demo :80 GET /slow");
	CHECK(sd && !sd->exposed && sd->verdict == DIFF_SLOWER && sd->gates_failed == 1);
	sd = find(&d, "demo :80 GET /fast");
	CHECK(sd && sd->exposed && sd->verdict == DIFF_UNCHANGED && !sd->gates_failed);
	CHECK_MSG(strstr(sd->why, "not comparable: typical request") &&
			  strstr(sd->why, "under 4.00ms of CPU waits"),
		  "%s", sd->why);
	o = diff_json(&d);
	CHECK(json_object_object_get_ex(o, "test", &t));
	CHECK(json_object_object_get_ex(t, "comparable", &v) && json_object_get_boolean(v));
	CHECK(json_object_object_get_ex(t, "cpu_availability_differs", &v) &&
	      json_object_get_boolean(v));
	CHECK(json_object_object_get_ex(t, "series_not_comparable", &v) &&
	      json_object_get_int(v) == 4);
	CHECK(json_object_object_get_ex(t, "exposed_below_ns", &v) &&
	      fabs(json_object_get_double(v) - 4e6) < 1);
	CHECK(json_object_object_get_ex(o, "series", &arr));
	for (size_t k = 0; k < json_object_array_length(arr); k++) {
		struct json_object *x = json_object_array_get_idx(arr, k), *name, *c;

		CHECK(json_object_object_get_ex(x, "name", &name) &&
		      json_object_object_get_ex(x, "comparable", &c));
		CHECK(json_object_get_boolean(c) ==
		      !!strstr(json_object_get_string(name), "/slow"));
	}
	json_object_put(o);
	f = open_memstream(&text, &len);
	CHECK(f);
	print_diff_plain(f, &d, 0);
	fclose(f);
	CHECK_MSG(strstr(text, "CPU AVAILABILITY DIFFERED") &&
			  strstr(text, "so 4 series get no verdict and no latency gate"),
		  "%s", text);
	free(text);
	diff_free(&d);
	model_free(b);
	model_free(a);
}

TEST(runs_whose_target_waited_for_a_cpu_much_longer_are_not_compared)
{
	static const char *const exprs[] = { "p50 +10%" };
	struct model *b[2], *a[2];
	struct diff d = { 0 };
	struct json_object *o, *t, *v;
	const struct series_diff *sd;
	int each[1];

	two_runs(&b[0], &a[0], 1.5, 7);
	two_runs(&b[1], &a[1], 1.5, 8);
	CHECK(b[0] && a[0] && b[1] && a[1]);
	for (int i = 0; i < 2; i++)
		b[i]->meta.has_cpu_pressure = a[i]->meta.has_cpu_pressure = 1,
		b[i]->meta.cpu_pressure_pct = a[i]->meta.cpu_pressure_pct = 4;
	set_runq(b[0], 10, 100);
	set_runq(b[1], 60, 200);
	set_runq(a[0], 50, 100);
	set_runq(a[1], 240, 200);
	d.b_name = "b.json";
	d.a_name = "a.json";
	CHECK_EQ_INT(diff_run_runs(&d, (const struct model *const *)b, 2,
				   (const struct model *const *)a, 2, &defaults),
		     0);
	CHECK(d.not_comparable);
	CHECK(fabs(d.runq_w_b - 0.2) < 1e-12 && fabs(d.runq_w_a - 0.85) < 1e-12);
	sd = find(&d, "demo :80 GET /slow");
	CHECK(sd && sd->verdict == DIFF_UNCHANGED);
	CHECK_MSG(strstr(sd->why, "not comparable: target's run-queue wait 17% before, 46% after"),
		  "%s", sd->why);
	o = diff_json(&d);
	CHECK(json_object_object_get_ex(o, "test", &t));
	CHECK(json_object_object_get_ex(t, "comparable", &v) && !json_object_get_boolean(v));
	CHECK(json_object_object_get_ex(t, "not_comparable_because", &v) &&
	      strstr(json_object_get_string(v), "took 1.54x as long after"));
	CHECK(json_object_object_get_ex(t, "target_runq_wait_pct_after", &v) &&
	      fabs(json_object_get_double(v) - 85.0 / 1.85) < 1e-9);
	json_object_put(o);
	diff_free(&d);
	memset(&d, 0, sizeof(d));
	set_runq(a[1], 180, 200);
	d.b_name = "b.json";
	d.a_name = "a.json";
	CHECK_EQ_INT(diff_run_runs(&d, (const struct model *const *)b, 2,
				   (const struct model *const *)a, 2, &defaults),
		     0);
	CHECK(!d.not_comparable);
	CHECK(find(&d, "demo :80 GET /slow")->verdict == DIFF_SLOWER);
	o = diff_json(&d);
	CHECK(json_object_object_get_ex(o, "test", &t));
	CHECK(json_object_object_get_ex(t, "not_comparable_because", &v) && !v);
	json_object_put(o);
	diff_free(&d);
	/* one run a side: a hog PSI missed, w 0.1 -> 2.0 (the gate would fire) */
	set_runq(a[0], 200, 100);
	CHECK_EQ_INT(gates_on(b[0], a[0], exprs, 1, each), 0);
	/* too little CPU after to tell: judged on PSI alone, and the gate fires */
	set_runq(a[0], 5, 5);
	CHECK_EQ_INT(gates_on(b[0], a[0], exprs, 1, each), 1);
	for (int i = 0; i < 2; i++)
		model_free(b[i]), model_free(a[i]);
}
