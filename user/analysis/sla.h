/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * SLA objectives ("GET /users/{id}: p99 < 200ms"): parsed from expressions or a
 * JSON file, evaluated against a model (the whole run, or one window's
 * delta), with error budgets, burn rates and breach episodes, and printed as
 * the SLA section of the text and JSON reports. Pure: no I/O but reading
 * the SLA file and writing to the FILE a caller passes. docs/sla.md is the
 * user's reference for the grammar, the file and the arithmetic.
 */
#ifndef SLT_ANALYSIS_SLA_H
#define SLT_ANALYSIS_SLA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/model.h"

struct json_object;

#define SLA_MAX_OBJECTIVES 64
#define SLA_EXPR_MAX	   256		/* longest expression, NUL included */
#define SLA_FILE_MAX	   (1 << 20)	/* largest SLA file */
#define SLA_ERR_MAX	   640		/* room for any error message */
#define SLA_PCT_ONE	   100000000ull /* 100%, in millionths of a percent */

enum sla_selector {
	SLA_SEL_ALL,	 /* no selector: every series of the SLA default family */
	SLA_SEL_ROUTE,	 /* "[METHOD ]ROUTE-GLOB", the glob starting with / */
	SLA_SEL_PORT,	 /* "port N" */
	SLA_SEL_PROCESS, /* "process NAME-GLOB" */
	SLA_SEL_CLASS,	 /* "class NAME-GLOB": request series names */
	SLA_SEL_FAMILY,	 /* "FAMILY [NAME-GLOB]": "runq", "syscall read" */
};

enum sla_metric {
	SLA_M_PCT, /* pN */
	SLA_M_MEAN,
	SLA_M_MAX,
	SLA_M_ERROR_RATE,
	SLA_M_AVAILABILITY,
	SLA_M_THROUGHPUT,
	SLA_M_COUNT,
};

enum sla_op { SLA_OP_LT, SLA_OP_LE, SLA_OP_GT, SLA_OP_GE };

/* what value and bound are measured in */
enum sla_unit {
	SLA_UNIT_NS,	/* pN, mean, max */
	SLA_UNIT_RATIO, /* error_rate, availability: a fraction, 0..1 */
	SLA_UNIT_PER_S, /* throughput */
	SLA_UNIT_COUNT, /* count */
};

enum sla_status { SLA_NO_DATA, SLA_PASS, SLA_FAIL };

struct sla_objective {
	char name[SLA_EXPR_MAX]; /* from the file, else the canonical text */
	char text[SLA_EXPR_MAX]; /* canonical "port 80: p99 < 200ms", parses back the same */
	enum sla_selector sel;
	char family[16];   /* the series family the selector looks in (core/family.h) */
	char method[16];   /* SLA_SEL_ROUTE: "" is any method */
	char pattern[128]; /* the route, class, process or name glob, or the port; "" is all */
	enum sla_metric metric;
	uint64_t pct; /* SLA_M_PCT: millionths of a percent (p99.9 = 99900000) */
	enum sla_op op;
	enum sla_unit unit;
	char bound_text[32]; /* as written: "200ms", "99.9%", "100/s" */
	double bound;	     /* in the unit: ns, a fraction, per second, a count */
	uint64_t bound_int;  /* exact: ns; millionths of a percent; count; 0 for rates */
};

struct sla_result {
	enum sla_status status;
	int matched;	/* series the selector matched */
	uint64_t count; /* requests (calls), failed ones included */
	double value;	/* measured, in the objective's unit; 0 with no data */
	/* error budget: pN < or <=, error_rate < or <=, availability > or >=;
	 * only with data */
	int has_budget;
	uint64_t bad;	 /* requests at or over the latency bound, or errors */
	double allowed;	 /* bad requests the objective allows */
	double consumed; /* bad / allowed, 1.0 = all of it; INFINITY if allowed is 0 < bad.
			  * For a window this is its burn rate. */
};

/* Objectives in order. Start from { 0 }; sla_set_clear() frees. */
struct sla_set {
	struct sla_objective *obj;
	int n;
};

/*
 * Parsers return 0, or -EINVAL (-ENOMEM, -errno for the file) with a one-line
 * message in err (may be NULL): "sla: 'p99 < 2xs': bad bound '2xs' at column 7",
 * "sla file 'sla.json': syntax error at line 3, column 5: unexpected character".
 * On failure nothing is written to *o and the set is unchanged.
 */
int sla_parse_expr(const char *expr, struct sla_objective *o, char *err, size_t errlen);
int sla_set_add_expr(struct sla_set *set, const char *expr, char *err, size_t errlen);
/* {"objectives": [{"expr": "..."} or {"name", "selector", "metric", "op",
 * "bound"}]}; origin names the text in messages ("sla.json"), NULL for none */
int sla_parse_json_text(struct sla_set *set, const char *text, size_t len, const char *origin,
			char *err, size_t errlen);
int sla_load_file(struct sla_set *set, const char *path, char *err, size_t errlen);
void sla_set_clear(struct sla_set *set);

/* '*' is any run of characters ('/' included), '?' any one; the rest literal */
int sla_glob_match(const char *pattern, const char *s);
int sla_matches(const struct sla_objective *o, const struct series *s);
/* the whole model, throughput over m->meta.duration_ns */
void sla_evaluate(const struct sla_objective *o, const struct model *m, struct sla_result *r);
void sla_evaluate_all(const struct sla_set *set, const struct model *m, struct sla_result *r);
/* PASS when every objective passed; FAIL when any failed; else NO_DATA
 * (nothing failed, something had no data: not a pass either). PASS for none. */
enum sla_status sla_verdict(const struct sla_set *set, const struct sla_result *r);
/* "pass", "fail", "no_data" */
const char *sla_status_name(enum sla_status s);
/* the metric as written: "p99.9", "error_rate" */
const char *sla_metric_text(const struct sla_objective *o, char *buf, size_t len);
/* a measured value for humans: "182ms", "99.80%", "120.5/s", "1000" */
const char *sla_fmt_value(const struct sla_objective *o, double v, char *buf, size_t len);

/*
 * Windows. At every window boundary the caller passes a model holding just
 * that window (model_delta) and the window's bounds (CLOCK_REALTIME ns is
 * what the hook and JSON show; throughput divides by end - start). A breach
 * is the start of an episode: the objective fails after passing, or after
 * only no-data windows. It is reported again only after a window passes; a
 * window with no data neither ends nor starts an episode.
 */
struct sla_window_stats {
	uint64_t windows, met, failed, no_data;
	uint64_t breaches; /* episodes so far */
	int in_breach;
	enum sla_status last_status;
	int last_burn_valid; /* the last window had a budget and data */
	double last_burn;    /* its burn rate: bad fraction / allowed fraction */
	uint64_t last_start_ns, last_end_ns;
};

struct sla_breach {
	int index; /* of the objective in the set */
	const struct sla_objective *obj;
	struct sla_result result; /* the window's: value, count, burn rate (consumed) */
	uint64_t window_start_ns, window_end_ns;
	uint64_t episode; /* 1 for the objective's first breach */
};

/* the set must outlive the tracker and not change; NULL, errno = ENOMEM */
struct sla_tracker *sla_tracker_new(const struct sla_set *set);
void sla_tracker_free(struct sla_tracker *t);
/* records one window; returns how many new breaches it wrote to out (give
 * room for set->n; any beyond max are counted but not returned) */
int sla_tracker_window(struct sla_tracker *t, const struct model *window, uint64_t start_ns,
		       uint64_t end_ns, struct sla_breach *out, int max);
uint64_t sla_tracker_windows(const struct sla_tracker *t);
const struct sla_window_stats *sla_tracker_stats(const struct sla_tracker *t, int i);

/* the breach as the --on-breach hook reads it on stdin; caller puts it */
struct json_object *sla_breach_json(const struct sla_breach *b);
/* "NAME=value" strings for the hook's environment: SLATRACE_OBJECTIVE,
 * _NAME, _METRIC, _OP, _VALUE, _VALUE_TEXT, _BOUND, _BOUND_TEXT, _UNIT,
 * _COUNT, _BURN_RATE, _WINDOW_START, _WINDOW_END, _EPISODE; returns how
 * many were written (at most max, SLA_ENV_N fit all) */
#define SLA_ENV_N   14
#define SLA_ENV_LEN 320
int sla_breach_env(const struct sla_breach *b, char vars[][SLA_ENV_LEN], int max);

/* the SLA section for the top of the text report; t may be NULL */
void print_sla_plain(FILE *f, const struct sla_set *set, const struct sla_result *run,
		     const struct sla_tracker *t);
/* the report's "sla" object; t may be NULL; caller puts it */
struct json_object *sla_json(const struct sla_set *set, const struct sla_result *run,
			     const struct sla_tracker *t);

/* shared with the writers (report/sla_out.c) */
extern const char *const sla_op_names[]; /* by enum sla_op: "<", "<=", ... */
uint64_t sla_u64_of(double v);		  /* v clamped into uint64_t */
void sla_selector_text(const struct sla_objective *o, char *buf, size_t len);
const char *sla_unit_name(enum sla_unit u);

#endif
