/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Before/after comparison of two models (usually two JSON reports read back
 * with report/load.h): per series the change in count, rate, error rate and
 * percentiles, and a verdict (faster, slower, unchanged) from statistical
 * tests on the two histograms; then the regression gates (--fail-on).
 *
 * Which tests, and why they suit bucketed latency: see the top of diff.c.
 */
#ifndef SLT_ANALYSIS_DIFF_H
#define SLT_ANALYSIS_DIFF_H

#include <stdint.h>
#include <stdio.h>
#include "core/model.h"

struct json_object;

#define SLT_DIFF_SCHEMA "slatrace.diff/1"
/* fewer latency samples on either side than this: no verdict */
#define SLT_DIFF_MIN_SAMPLES 10
#define SLT_DIFF_MAX_GATES   16
/* runs a side: slatrace diff A1 A2 ... -- B1 B2 ... */
#define SLT_DIFF_MAX_RUNS 32
/* a window with fewer latencies than this is not a replicate (its p50 is
 * one or two requests) */
#define SLT_DIFF_MIN_WINDOW_COUNT 5
/* batch means: a run's windows in this many consecutive batches */
#define SLT_DIFF_BATCHES 4
/* fewer usable windows a side than this: no window test */
#define SLT_DIFF_MIN_WINDOWS 4
/* One run a side measures no run-to-run variation, yet on a shared host a
 * run's level drifts as a whole (placement, frequency, neighbours): a
 * microsecond route's typical request moved by up to 40% between
 * identical runs here, with the same CPU availability. So with one run a
 * side, each side's mean is taken to vary between runs by this many times
 * its windows' own variance (not divided by their number): a shift must
 * stand out of what the windows of each run vary by (docs/diff.md) */
#define SLT_DIFF_ONE_RUN_DRIFT 1.0

/* the host's CPU pressure (PSI "some", percent of the run) differs between
 * the sides by more than this many points: the runs are not comparable */
#define SLT_DIFF_MAX_PRESSURE_GAP 20.0
/* the target's own run-queue wait per CPU time, w (core/runq.h): the sides'
 * (1 + w) differ by more than this factor: not comparable. 1 + w is how
 * much longer the target's CPU work took than its CPU time, so 1.5 is a
 * CPU-bound request taking 50% longer for want of a CPU alone */
#define SLT_DIFF_MAX_RUNQ_RATIO 1.5
/* a run whose target ran less than this has no usable wait share */
#define SLT_DIFF_MIN_RUNQ_CPU_NS 10000000ull
/* When the runs' CPU availability differs (either rule above), a series
 * is exposed to it, and gets no verdict, when this many of the target's
 * mean waits for a CPU (run-queue wait per time put on a CPU, the larger
 * side's) move its typical request by --min-effect or more: a request
 * waits at least once, to be served, and usually once more (a sleep, a
 * downstream reply). Series longer than that judge the build, not the
 * host (docs/diff.md, "Runs that are not comparable") */
#define SLT_DIFF_EXPOSURE_WAITS 2.0

/* the window statistics tested (core/model.h, struct series_windows) */
enum { DIFF_W_P50, DIFF_W_P90, DIFF_W_P99, DIFF_W_NSTATS };

/* Welch's t on log window statistics (diff_windows.c) */
struct diff_wtest {
	int tested;		 /* enough windows on both sides */
	int by_runs;		 /* the run-to-run variance was the larger */
	int by_drift;		 /* one run a side: the drift allowance was the larger */
	int nwin_b, nwin_a;	 /* usable windows */
	int nruns_b, nruns_a;	 /* runs with two or more usable windows */
	double shift;		 /* ratio of the sides' geometric means, minus 1 */
	double se, df, t;	 /* of the log ratio */
	double p, p_adj;	 /* two-sided; Holm-adjusted within its statistic */
	double mde;		 /* smallest shift found 80% of the time, ratio - 1 */
	double noise;		 /* run-to-run sd of a run's figure, ratio - 1; < 0: not measured */
	double r1_b, r1_a;	 /* lag-1 autocorrelation of the windows, clipped to [0, 0.5] */
};

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
	/* the verdict's test: windows (and runs), per statistic; windowed when
	 * the typical request's test ran, else the verdict is the per-request
	 * test's and no gate fires on it */
	struct diff_wtest w[DIFF_W_NSTATS];
	int windowed;
	int has_windows; /* both sides have windows, usable or not */
	int exposed;	 /* the CPU availability differs and could move it: no verdict */
	enum diff_verdict verdict;
	char why[160];	       /* the reason, for people */
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
	const struct model *b, *a; /* one run a side, or the runs of a side merged */
	const struct model *const *runs_b, *const *runs_a;
	int nruns_b, nruns_a;
	struct model *own_b, *own_a; /* the merged models, when several runs */
	double noise_floor;	     /* median run-to-run noise of the p50s; < 0: not measured */
	int nunwindowed;	     /* series compared without windows */
	double pressure_b, pressure_a; /* CPU pressure of each side, mean of its runs; < 0: unknown */
	/* the target's run-queue wait per CPU time, mean of a side's runs; < 0: unknown */
	double runq_w_b, runq_w_a;
	/* its mean wait each time it was put on a CPU, ns, a side's runs
	 * pooled; < 0: unknown (older reports) */
	double wait_in_b, wait_in_a;
	int cpu_differs;	     /* pressures or waits differ */
	/* ... and no wait per time on a CPU to tell the exposed series from
	 * the others: no verdicts, no latency gates at all */
	int not_comparable;
	int nexposed;		     /* series exposed to the difference (no verdict) */
	double exposed_below_ns;     /* typical requests shorter than this are exposed */
	char because[320];	     /* why the CPU availability differs, for people */
	char because_short[96];	     /* the same in brief (each series' why, the gate error) */
	const char *b_name, *a_name; /* the first run of each side */
	struct diff_opts opts;
	struct series_diff *v; /* in both; sorted: slower, faster, unchanged; by impact */
	int n;
	const struct series **appeared, **vanished;
	int nappeared, nvanished;
	int ntests;  /* hypotheses in the per-request Holm family */
	int nwtests; /* in the windows' (typical request) family */
	char warnings[4][256];
	int nwarnings;
	struct diff_gate gates[SLT_DIFF_MAX_GATES];
	int ngates;
	struct json_object *sla_b, *sla_a; /* borrowed; either may be NULL */
};

/* the statistics, on their own for tests */
/* the comparability rules (d->pressure_*, d->runq_w_*, d->wait_in_* and
 * d->opts set): fills cpu_differs, not_comparable, exposed_below_ns and
 * the reasons; returns cpu_differs */
int diff_judge_comparable(struct diff *d);
/* with cpu_differs: is a series whose typical request is p50_ns (the
 * smaller side's) exposed to it */
int diff_exposed(const struct diff *d, double p50_ns);
void diff_mann_whitney(const struct hist *before, const struct hist *after, struct diff_mwu *r);
/* Hodges-Lehmann: the median over all pairs of log(after / before), as a
 * ratio minus 1; 0 when either side is empty */
double diff_hl_shift(const struct hist *before, const struct hist *after);
/* Holm's step-down adjustment: adj[i] is the smallest family-wise level at
 * which p[i] is rejected */
void diff_holm(const double *p, int n, double *adj);
/* Student's t: P(|T| > t) with df degrees of freedom (df real, > 0) */
double diff_t_p2(double t, double df);
/* the q-quantile of Student's t */
double diff_t_quantile(double q, double df);
/* compare the windows of kb runs before with ka runs after (NULL entries:
 * a run without that series) on one statistic (DIFF_W_*); returns
 * r->tested */
int diff_window_test(const struct series_windows *const *b, int kb,
		     const struct series_windows *const *a, int ka, int stat, uint64_t min_count,
		     struct diff_wtest *r);
/* r->mde at family-wise alpha over ntests tests, power 0.8 */
void diff_wtest_mde(struct diff_wtest *r, double alpha, int ntests);

/* Compare; d->gates may be filled first (diff_parse_gate). 0 or -ENOMEM. */
int diff_run(struct diff *d, const struct model *before, const struct model *after,
	     const struct diff_opts *o);
/* the same with several runs a side (each of nb, na >= 1, at most
 * SLT_DIFF_MAX_RUNS): their series merged for the figures, their windows
 * kept apart as replicates */
int diff_run_runs(struct diff *d, const struct model *const *b, int nb,
		  const struct model *const *a, int na, const struct diff_opts *o);
void diff_free(struct diff *d);
/* parse a --fail-on expression; 0 or -EINVAL with the reason in err */
int diff_parse_gate(const char *s, struct diff_gate *g, char *err, size_t errlen);
/* number of (gate, series) failures; 0 means every gate passed */
int diff_gates_failed(const struct diff *d);

void print_diff_plain(FILE *f, const struct diff *d, int top);
struct json_object *diff_json(const struct diff *d);

/* shared with the writers (report/diff_out.c) */
/* in, made printable (control bytes as '?'), into out */
const char *diff_safe(const char *in, char *out, size_t len);
/* (a - b) / b; with b 0: 0 when a is 0 too, else infinity */
double diff_rel_change(double b, double a);
double diff_error_rate(const struct series *s);
/* the change a gate measures on a series' pair */
double diff_gate_change(const struct diff_gate *g, const struct series_diff *sd);
/* verdicts by how much they matter, for sorting */
int diff_verdict_rank(enum diff_verdict v);

#endif
