// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The shared histogram layout (slatrace/hist.h, the code the kernel runs)
 * and its userspace side (core/hist.c): bucketing, percentiles, merge,
 * delta, bucket export. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include "harness.h"
#include "core/hist.h"

#define NS_PER_US   1000ull
#define NS_PER_HOUR 3600000000000ull

/* A PRNG of our own (splitmix64) so every run sees the same samples. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* uniform in (0, 1) */
static double rng_unit(uint64_t *state)
{
	return ((double)(rng_next(state) >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(uint64_t *state)
{
	double u1 = rng_unit(state), u2 = rng_unit(state);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static uint64_t clamp_range(double v)
{
	if (v < NS_PER_US)
		return NS_PER_US;
	if (v > (double)NS_PER_HOUR)
		return NS_PER_HOUR;
	return (uint64_t)v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Exact nearest-rank percentile of sorted samples; per-mille so the rank
 * is computed in integers: rank = ceil(pm / 1000 * n). */
static uint64_t exact_percentile(const uint64_t *sorted, uint64_t n, uint64_t pm)
{
	uint64_t rank = (pm * n + 999) / 1000;

	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

TEST(hist_small_values_are_exact)
{
	static struct hist h;

	hist_reset(&h);
	for (unsigned v = 0; v < 64; v++)
		CHECK_EQ_U64(slt_hist_slot_lo(slt_hist_slot(v)), v);
	hist_add(&h, 7);
	CHECK_EQ_U64(hist_percentile(&h, 50), 7);
}

TEST(hist_values_below_32_have_a_bucket_each)
{
	static struct hist h;

	for (unsigned v = 0; v < SLT_HIST_SUB; v++) {
		CHECK_EQ_U64(slt_hist_slot(v), v);
		CHECK_EQ_U64(slt_hist_slot_lo(v), v);
		CHECK_EQ_U64(slt_hist_slot_hi(v), v + 1);
		hist_reset(&h);
		hist_add_n(&h, v, 3);
		hist_add(&h, v);
		CHECK_EQ_U64(hist_percentile(&h, 50), v);
		CHECK_EQ_U64(hist_percentile(&h, 99.9), v);
		CHECK_EQ_U64(hist_percentile(&h, 100), v);
	}
}

TEST(hist_slots_are_contiguous_and_monotonic)
{
	CHECK_EQ_U64(SLT_HIST_NBUCKETS, 1280);
	CHECK_EQ_U64(slt_hist_slot_lo(0), 0);
	for (unsigned s = 0; s < SLT_HIST_NBUCKETS; s++) {
		uint64_t lo = slt_hist_slot_lo(s), hi = slt_hist_slot_hi(s);

		CHECK_MSG(lo < hi, "slot %u: lo %llu >= hi %llu", s, (unsigned long long)lo,
			  (unsigned long long)hi);
		CHECK_MSG(slt_hist_slot(lo) == s, "slot(lo(%u)) = %u", s, slt_hist_slot(lo));
		CHECK_MSG(slt_hist_slot(hi - 1) == s, "slot(hi(%u) - 1) = %u", s,
			  slt_hist_slot(hi - 1));
		if (s + 1 < SLT_HIST_NBUCKETS) {
			CHECK_MSG(hi == slt_hist_slot_lo(s + 1), "gap after slot %u", s);
			CHECK_MSG(slt_hist_slot(hi) == s + 1, "slot(hi(%u)) = %u", s,
				  slt_hist_slot(hi));
		}
		/* the precision claim: a bucket is at most 1/32 of its lower bound */
		if (s >= SLT_HIST_SUB && s + 1 < SLT_HIST_NBUCKETS)
			CHECK_MSG((hi - lo) * SLT_HIST_SUB <= lo, "slot %u too wide: [%llu, %llu)",
				  s, (unsigned long long)lo, (unsigned long long)hi);
	}
	CHECK_EQ_U64(slt_hist_slot_hi(SLT_HIST_NBUCKETS - 1), ~0ULL);
}

/* lo(slot(v)) <= v < hi(slot(v)) for every power of two, its neighbours and
 * a million random values of every magnitude. */
TEST(hist_every_value_lies_in_its_slot)
{
	uint64_t st = 42;

	for (unsigned b = 0; b < 64; b++) {
		for (int d = -2; d <= 2; d++) {
			uint64_t v = (1ull << b) + (uint64_t)(int64_t)d;
			unsigned s = slt_hist_slot(v);

			CHECK_MSG(s < SLT_HIST_NBUCKETS, "slot(%llu) = %u", (unsigned long long)v,
				  s);
			CHECK_MSG(slt_hist_slot_lo(s) <= v, "lo(slot(%llu)) > v",
				  (unsigned long long)v);
			CHECK_MSG(s == SLT_HIST_NBUCKETS - 1 || v < slt_hist_slot_hi(s),
				  "hi(slot(%llu)) <= v", (unsigned long long)v);
		}
	}
	for (int i = 0; i < 1000000; i++) {
		uint64_t v = rng_next(&st) >> (rng_next(&st) % 64);
		unsigned s = slt_hist_slot(v);

		CHECK_MSG(s < SLT_HIST_NBUCKETS, "slot(%llu) = %u", (unsigned long long)v, s);
		CHECK_MSG(slt_hist_slot_lo(s) <= v && v < slt_hist_slot_hi(s),
			  "%llu outside slot %u", (unsigned long long)v, s);
		if (v)
			CHECK_MSG(slt_hist_slot(v - 1) <= s, "slot not monotonic at %llu",
				  (unsigned long long)v);
	}
}

TEST(hist_msb_matches_the_compiler)
{
	uint64_t st = 7;

	for (unsigned b = 0; b < 64; b++) {
		CHECK_EQ_U64(slt_msb64(1ull << b), b);
		CHECK_EQ_U64(slt_msb64((1ull << b) | ((1ull << b) - 1)), b);
	}
	for (int i = 0; i < 100000; i++) {
		uint64_t v = rng_next(&st) >> (i % 64);

		if (v)
			CHECK_EQ_U64(slt_msb64(v), 63 - __builtin_clzll(v));
	}
}

TEST(hist_top_bucket_clamps)
{
	static struct hist h;
	const unsigned top = SLT_HIST_NBUCKETS - 1;
	const uint64_t top_lo = slt_hist_slot_lo(top);

	CHECK_EQ_U64(slt_hist_slot(~0ULL), top);
	CHECK_EQ_U64(slt_hist_slot(1ull << 63), top);
	CHECK_EQ_U64(slt_hist_slot(1ull << (SLT_HIST_MAX_MSB + 1)), top);
	CHECK_EQ_U64(slt_hist_slot(top_lo), top);
	CHECK_EQ_U64(slt_hist_slot(top_lo - 1), top - 1);
	/* one hour is well below the top bucket: it keeps full precision */
	CHECK(slt_hist_slot(NS_PER_HOUR) < top);

	hist_reset(&h);
	hist_add(&h, 1ull << 50);
	hist_add(&h, ~0ULL);
	CHECK_EQ_U64(h.slots[top], 2);
	CHECK_EQ_U64(h.max, ~0ULL);
	/* a percentile landing in the open-ended bucket reports the max */
	CHECK_EQ_U64(hist_percentile(&h, 99), ~0ULL);
	CHECK_EQ_U64(hist_percentile(&h, 100), ~0ULL);
}

enum dist { DIST_UNIFORM, DIST_LOGNORMAL, DIST_BIMODAL, DIST_CONSTANT, DIST_LOGUNIFORM, DIST_NR };
static const char *const dist_names[DIST_NR] = {"uniform", "lognormal", "bimodal", "constant",
						"loguniform"};

static void fill(uint64_t *v, uint64_t n, enum dist d, uint64_t *st)
{
	/* per-distribution parameters drawn once, so each trial has its own shape */
	double a = exp(log(1000.0) + rng_unit(st) * (log((double)NS_PER_HOUR) - log(1000.0)));
	double b = exp(log(1000.0) + rng_unit(st) * (log((double)NS_PER_HOUR) - log(1000.0)));
	double sigma = 0.1 + 2.5 * rng_unit(st), w = 0.5 + 0.49 * rng_unit(st);

	for (uint64_t i = 0; i < n; i++) {
		switch (d) {
		case DIST_UNIFORM:
			v[i] = clamp_range(a < b ? a + (b - a) * rng_unit(st)
						 : b + (a - b) * rng_unit(st));
			break;
		case DIST_LOGNORMAL:
			v[i] = clamp_range(a * exp(sigma * rng_normal(st)));
			break;
		case DIST_BIMODAL:
			v[i] = clamp_range((rng_unit(st) < w ? a : b) * exp(0.05 * rng_normal(st)));
			break;
		case DIST_CONSTANT:
			v[i] = clamp_range(a);
			break;
		default:
			v[i] = clamp_range(exp(
			    log(1000.0) + rng_unit(st) * (log((double)NS_PER_HOUR) - log(1000.0))));
			break;
		}
	}
}

/* The README's precision claim, against the exact percentiles of the raw
 * samples: within 3% (1.6% by design) for 1 us .. 1 h; max and mean exact. */
TEST(hist_percentiles_within_3_percent_of_exact)
{
	static const uint64_t pms[] = {500, 900, 990, 999};
	static const double pcts[] = {50, 90, 99, 99.9};
	static struct hist h;
	uint64_t st = 20240601, *v = malloc(200000 * sizeof(*v));
	double worst = 0;
	char where[160] = "";

	CHECK(v);
	for (int trial = 0; trial < 500; trial++) {
		enum dist d = (enum dist)(trial % DIST_NR);
		/* 1 .. 200000 samples, log-uniform */
		uint64_t n = (uint64_t)exp(rng_unit(&st) * log(200000.0)), sum = 0;

		fill(v, n, d, &st);
		hist_reset(&h);
		for (uint64_t i = 0; i < n; i++) {
			hist_add(&h, v[i]);
			sum += v[i];
		}
		qsort(v, n, sizeof(*v), cmp_u64);
		if (h.count != n || hist_percentile(&h, 100) != v[n - 1] || h.max != v[n - 1] ||
		    h.sum != sum || hist_mean(&h) != (double)sum / (double)n) {
			free(v);
			CHECK_MSG(0, "trial %d (%s, n=%llu): count/max/sum/mean not exact", trial,
				  dist_names[d], (unsigned long long)n);
		}
		for (int k = 0; k < 4; k++) {
			uint64_t want = exact_percentile(v, n, pms[k]);
			uint64_t got = hist_percentile(&h, pcts[k]);
			double err = fabs((double)got - (double)want) / (double)want;

			if (err > worst) {
				worst = err;
				snprintf(where, sizeof(where),
					 "trial %d (%s, n=%llu) p%g: got %llu, exact %llu", trial,
					 dist_names[d], (unsigned long long)n, pcts[k],
					 (unsigned long long)got, (unsigned long long)want);
			}
		}
	}
	free(v);
	printf("      worst percentile error %.3f%%: %s\n", worst * 100, where);
	CHECK_MSG(worst <= 0.03, "worst error %.3f%% > 3%%: %s", worst * 100, where);
}

/* For n samples and percentile p (pm per mille): put the exact nearest
 * rank at the edge between 1 ms samples and 1 h samples, on either side,
 * so a rank off by one shows as a 3600x error. 0 when exact, else -1 with
 * the reason in why. */
static int rank_is_exact(uint64_t n, double p, uint64_t pm, char *why, size_t len)
{
	static struct hist h;
	uint64_t rank = (pm * n + 999) / 1000, got;

	hist_reset(&h);
	hist_add_n(&h, 1000000, rank);
	hist_add_n(&h, NS_PER_HOUR, n - rank);
	got = hist_percentile(&h, p);
	if (got >= 1100000) {
		snprintf(
		    why, len, "n=%llu p%g: rank %llu holds 1 ms, got %llu ns (one rank too high)",
		    (unsigned long long)n, p, (unsigned long long)rank, (unsigned long long)got);
		return -1;
	}
	if (rank < n) {
		hist_reset(&h);
		hist_add_n(&h, 1000000, rank - 1);
		hist_add_n(&h, NS_PER_HOUR, n - rank + 1);
		got = hist_percentile(&h, p);
		if (got <= NS_PER_HOUR / 2) {
			snprintf(why, len, "n=%llu p%g: rank %llu holds 1 h, got %llu ns",
				 (unsigned long long)n, p, (unsigned long long)rank,
				 (unsigned long long)got);
			return -1;
		}
	}
	return 0;
}

/* Nearest rank is ceil(p/100 * n), computed exactly. 999 fast calls and one
 * of an hour: p99.9 is the 999th value, 1 ms; reporting the hour is off by
 * one rank. Every n up to 20000, then multiples of 1000 (where p/100 * n is
 * an integer and floating-point error shows) up to 10^11 samples. */
TEST(hist_percentile_rank_is_nearest_rank)
{
	static const uint64_t pms[] = {500, 900, 990, 999};
	static const double pcts[] = {50, 90, 99, 99.9};
	char why[200];

	for (uint64_t n = 1; n <= 20000; n++)
		for (int k = 0; k < 4; k++)
			CHECK_MSG(!rank_is_exact(n, pcts[k], pms[k], why, sizeof(why)), "%s", why);
}

TEST(hist_percentile_rank_is_nearest_rank_for_large_counts)
{
	static const uint64_t pms[] = {500, 900, 990, 999};
	static const double pcts[] = {50, 90, 99, 99.9};
	char why[200];
	int bad = 0;

	for (uint64_t base = 20000; base <= 100000000000ull; base = base * 5 / 4) {
		for (uint64_t n = base / 1000 * 1000; n < base / 1000 * 1000 + 20000; n += 1000) {
			for (int k = 0; k < 4; k++) {
				if (rank_is_exact(n, pcts[k], pms[k], why, sizeof(why)) && !bad++)
					printf("      first: %s\n", why);
			}
		}
	}
	CHECK_MSG(!bad, "%d (n, p) pairs off by one rank", bad);
}

/* Every sample equal: percentiles are that bucket's midpoint (within 1/64),
 * max and mean exact. */
TEST(hist_constant_distribution_within_bucket_precision)
{
	static struct hist h;
	static const uint64_t vals[] = {1000, 1234567, 999999999, 3600000000000ull, 33, 31};
	static const double pcts[] = {50, 90, 99, 99.9};

	for (unsigned i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		hist_reset(&h);
		hist_add_n(&h, vals[i], 12345);
		for (unsigned k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
			uint64_t got = hist_percentile(&h, pcts[k]);
			double err = fabs((double)got - (double)vals[i]) / (double)vals[i];

			CHECK_MSG(err <= 1.0 / 64, "%llu p%g: got %llu",
				  (unsigned long long)vals[i], pcts[k], (unsigned long long)got);
			CHECK(got <= vals[i]);
		}
		CHECK_EQ_U64(hist_percentile(&h, 100), vals[i]);
		CHECK(hist_mean(&h) == (double)vals[i]);
	}
}

TEST(hist_empty_returns_zero)
{
	static struct hist h;
	static const double pcts[] = {0, 1, 50, 90, 99, 99.9, 100};

	hist_reset(&h);
	for (unsigned i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		CHECK_EQ_U64(hist_percentile(&h, pcts[i]), 0);
	CHECK(hist_mean(&h) == 0.0);
	CHECK_EQ_U64(h.count, 0);
	CHECK_EQ_U64(h.max, 0);
}

TEST(hist_add_n_zero_adds_nothing)
{
	static struct hist h;

	hist_reset(&h);
	hist_add_n(&h, 5000, 0);
	CHECK_EQ_U64(h.count, 0);
	CHECK_EQ_U64(h.max, 0);
	CHECK_EQ_U64(h.sum, 0);
	hist_add_n(&h, 5000, 4);
	CHECK_EQ_U64(h.count, 4);
	CHECK_EQ_U64(h.sum, 20000);
	CHECK_EQ_U64(h.slots[slt_hist_slot(5000)], 4);
}

static void add_random(struct hist *h, uint64_t *st, int n)
{
	for (int i = 0; i < n; i++)
		hist_add(h, clamp_range(exp(log(1000.0) + rng_unit(st) * 28.9)));
}

TEST(hist_merge_equals_hist_of_union)
{
	static struct hist a, b, u;
	uint64_t sa = 1, sb = 2, su1 = 1, su2 = 2;

	hist_reset(&a);
	hist_reset(&b);
	hist_reset(&u);
	add_random(&a, &sa, 5000);
	add_random(&b, &sb, 7000);
	add_random(&u, &su1, 5000);
	add_random(&u, &su2, 7000);
	hist_merge(&a, &b);
	CHECK_EQ_U64(a.count, u.count);
	CHECK_EQ_U64(a.sum, u.sum);
	CHECK_EQ_U64(a.max, u.max);
	CHECK(!memcmp(a.slots, u.slots, sizeof(a.slots)));

	/* merging into or from an empty histogram is the identity */
	hist_reset(&b);
	hist_merge(&b, &u);
	CHECK(!memcmp(&b, &u, sizeof(b)));
	hist_reset(&b);
	hist_merge(&u, &b);
	CHECK(!memcmp(&a, &u, sizeof(a)));
}

TEST(hist_delta_is_what_arrived_since)
{
	static struct hist before, now, extra, d;
	uint64_t s1 = 11, s2 = 12, s3 = 12;

	hist_reset(&before);
	add_random(&before, &s1, 3000);
	now = before;
	add_random(&now, &s2, 2000);
	hist_reset(&extra);
	add_random(&extra, &s3, 2000);

	hist_delta(&d, &now, &before);
	CHECK_EQ_U64(d.count, extra.count);
	CHECK_EQ_U64(d.sum, extra.sum);
	CHECK(!memcmp(d.slots, extra.slots, sizeof(d.slots)));
	/* the kernel keeps no per-interval max: the delta carries now's */
	CHECK_EQ_U64(d.max, now.max);

	/* nothing arrived: empty, max 0 */
	hist_delta(&d, &now, &now);
	CHECK_EQ_U64(d.count, 0);
	CHECK_EQ_U64(d.sum, 0);
	CHECK_EQ_U64(d.max, 0);
	CHECK_EQ_U64(hist_percentile(&d, 99), 0);

	/* a counter reset (before > now) never goes negative */
	hist_delta(&d, &before, &now);
	CHECK_EQ_U64(d.count, 0);
	CHECK_EQ_U64(d.sum, 0);
	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++)
		CHECK_EQ_U64(d.slots[i], 0);
}

TEST(hist_from_kernel_counts_the_slots)
{
	static struct slt_hist k;
	static struct hist h;

	memset(&k, 0, sizeof(k));
	k.slots[3] = 2;
	k.slots[100] = 5;
	k.slots[SLT_HIST_NBUCKETS - 1] = 1;
	k.sum_ns = 123456;
	k.max_ns = 999;
	hist_from_kernel(&h, &k);
	CHECK_EQ_U64(h.count, 8);
	CHECK_EQ_U64(h.sum, 123456);
	CHECK_EQ_U64(h.max, 999);
	CHECK_EQ_U64(h.slots[100], 5);
	CHECK(!memcmp(h.slots, k.slots, sizeof(h.slots)));
}

struct walk {
	const struct hist *h;
	uint64_t total, visits, last_lo;
	int bad, stop_after;
};

static int walk_cb(uint64_t lo, uint64_t hi, uint64_t count, void *ctx)
{
	struct walk *w = ctx;
	unsigned s = slt_hist_slot(lo);

	if (!count || lo >= hi || slt_hist_slot_lo(s) != lo || slt_hist_slot_hi(s) != hi ||
	    w->h->slots[s] != count || (w->visits && lo <= w->last_lo))
		w->bad = 1;
	w->total += count;
	w->visits++;
	w->last_lo = lo;
	return w->stop_after && w->visits == (uint64_t)w->stop_after ? 77 : 0;
}

TEST(hist_for_each_bucket_visits_exactly_the_non_empty)
{
	static struct hist h;
	struct walk w = {.h = &h};
	uint64_t st = 5, nonempty = 0;

	hist_reset(&h);
	CHECK_EQ_INT(hist_for_each_bucket(&h, walk_cb, &w), 0);
	CHECK_EQ_U64(w.visits, 0);

	add_random(&h, &st, 20000);
	hist_add(&h, 0);
	hist_add(&h, ~0ULL);
	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++)
		nonempty += h.slots[i] != 0;
	CHECK_EQ_INT(hist_for_each_bucket(&h, walk_cb, &w), 0);
	CHECK(!w.bad);
	CHECK_EQ_U64(w.visits, nonempty);
	CHECK_EQ_U64(w.total, h.count);

	/* a non-zero return stops the walk and is passed back */
	memset(&w, 0, sizeof(w));
	w.h = &h;
	w.stop_after = 3;
	CHECK_EQ_INT(hist_for_each_bucket(&h, walk_cb, &w), 77);
	CHECK_EQ_U64(w.visits, 3);
}
