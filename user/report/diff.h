/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Before/after comparison of two models (usually two JSON reports read back
 * with report/load.h): per series the change in count, rate, error rate and
 * percentiles, and a verdict (faster, slower, unchanged) from statistical
 * tests on the two histograms; then the regression gates (--fail-on).
 *
 * Which tests, and why they suit bucketed latency: see the top of diff.c.
 */
#ifndef SLT_REPORT_DIFF_H
#define SLT_REPORT_DIFF_H

#include <stdint.h>
#include <stdio.h>
#include "core/model.h"

struct json_object;

#define SLT_DIFF_SCHEMA "slatrace.diff/1"
/* fewer latency samples on either side than this: no verdict */
#define SLT_DIFF_MIN_SAMPLES 10
#define SLT_DIFF_MAX_GATES   16

enum diff_verdict {
	DIFF_UNCHANGED,
	DIFF_FASTER,
	DIFF_SLOWER,
};

/* Mann-Whitney U of "after" against "before" on binned data, ties by
 * midranks, normal approximation with tie-corrected variance and a
 * continuity correction. */
struct diff_mwu {
	uint64_t n_before, n_after;
	double u;	    /* pairs (b, a) with a > b, plus half the ties */
	double z;	    /* > 0: after tends to be slower */
	double p;	    /* two-sided */
	double prob_slower; /* u / (n_before * n_after) */
};

struct series_diff {
	const struct series *b, *a; /* before, after */
	struct diff_mwu mwu;
	double shift;		 /* Hodges-Lehmann ratio after/before, minus 1 */
	double p_adj;		 /* Holm-adjusted across every series compared */
	double err_p, err_p_adj; /* error rates, two-proportion z-test, Holm */
	int tested;		 /* enough samples on both sides */
	enum diff_verdict verdict;
	char why[96];	       /* the reason, for people */
	double impact_ns;      /* |mean after - mean before| * count after */
	unsigned gates_failed; /* bit g: --fail-on number g fired on this series */
};

struct diff_opts {
	double alpha;	   /* family-wise error rate, default 0.01 */
	double min_effect; /* smallest change that matters, fraction (0.05) */
};

enum diff_metric {
	DIFF_M_PCT, /* pN */
	DIFF_M_MEAN,
	DIFF_M_MAX,
	DIFF_M_ERROR_RATE,
	DIFF_M_COUNT,
};

/* one --fail-on expression: 'p99 +10%', 'p50 +5ms', 'count -20%' */
struct diff_gate {
	char expr[64];
	enum diff_metric metric;
	double pct;   /* DIFF_M_PCT: the percentile */
	int sign;     /* +1: an increase beyond bound fails; -1: a decrease */
	int relative; /* bound is a percent (error_rate: percentage points) */
	double bound; /* percent, ns or count; > 0 */
	int nfailed;  /* series that failed it */
};

struct diff {
	const struct model *b, *a;
	const char *b_name, *a_name;
	struct diff_opts opts;
	struct series_diff *v; /* in both; sorted: slower, faster, unchanged; by impact */
	int n;
	const struct series **appeared, **vanished;
	int nappeared, nvanished;
	int ntests; /* hypotheses in the Holm family */
	char warnings[4][256];
	int nwarnings;
	struct diff_gate gates[SLT_DIFF_MAX_GATES];
	int ngates;
	struct json_object *sla_b, *sla_a; /* borrowed; either may be NULL */
};

/* the statistics, on their own for tests */
void diff_mann_whitney(const struct hist *before, const struct hist *after, struct diff_mwu *r);
/* Hodges-Lehmann: the median over all pairs of log(after / before), as a
 * ratio minus 1; 0 when either side is empty */
double diff_hl_shift(const struct hist *before, const struct hist *after);
/* Holm's step-down adjustment: adj[i] is the smallest family-wise level at
 * which p[i] is rejected */
void diff_holm(const double *p, int n, double *adj);

/* Compare; d->gates may be filled first (diff_parse_gate). 0 or -ENOMEM. */
int diff_run(struct diff *d, const struct model *before, const struct model *after,
	     const struct diff_opts *o);
void diff_free(struct diff *d);
/* parse a --fail-on expression; 0 or -EINVAL with the reason in err */
int diff_parse_gate(const char *s, struct diff_gate *g, char *err, size_t errlen);
/* number of (gate, series) failures; 0 means every gate passed */
int diff_gates_failed(const struct diff *d);

void print_diff_plain(FILE *f, const struct diff *d, int top);
struct json_object *diff_json(const struct diff *d);

#endif
