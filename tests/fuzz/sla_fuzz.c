// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target for user/report/sla.c: every input goes to the objective
 * expression parser (as a C string) and to the SLA file reader (as bytes,
 * through json_tokener, with no file). Checked: return codes, one-line
 * messages whose columns and lines lie inside the input, nothing written
 * on failure, canonical texts that parse back to the same objective, and,
 * for what parses, evaluation, windows, budgets that agree with verdicts,
 * and report/hook output that is valid JSON. Out-of-bounds reads are left
 * to ASan: each input lives in its own allocation of exactly its size.
 *
 * Two ways to run it:
 *   libFuzzer:  clang -DSLT_LIBFUZZER -fsanitize=fuzzer,address,undefined ...
 *   standalone: sla_fuzz [--seconds N] [--seed N] [--runs N] [FILE...]
 * Standalone, it is a deterministic mutation fuzzer with its own PRNG and a
 * seed corpus of expressions and SLA files, growing its pool with inputs
 * whose results look new. The same seed gives the same sequence of inputs;
 * --runs N makes a run exactly reproducible. FILE arguments are replayed
 * once each instead. libFuzzer's -max_total_time=N, -seed=N and -runs=N are
 * accepted too.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "core/model.h"
#include "analysis/sla.h"

#define FUZZ_NAME "sla_fuzz"
#include "check.h"

/* the results, folded into a number that tells the standalone fuzzer what is new */
static uint64_t signature;

static void sig_add(uint64_t v)
{
	signature = signature * 1000003 + v + 1;
}

/* the message's words, without numbers or quoted text: its kind */
static void sig_message(const char *m)
{
	int quoted = 0;

	for (; *m; m++) {
		if (*m == '\'')
			quoted = !quoted;
		else if (!quoted && ((*m >= 'a' && *m <= 'z') || *m == ' '))
			sig_add((uint64_t)(unsigned char)*m);
	}
}

/* length of s, which must end inside its array */
static size_t str_in(const char *s, size_t cap)
{
	const char *z = memchr(s, '\0', cap);

	FUZZ_CHECK(z != NULL);
	return (size_t)(z - s);
}

static void check_message(const char *err, const char *head)
{
	size_t len = str_in(err, SLA_ERR_MAX);

	FUZZ_CHECK(len > strlen(head) && !strncmp(err, head, strlen(head)));
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)err[i] >= 0x20 || err[i] == '\t' ||
			   (signed char)err[i] < 0);
	FUZZ_CHECK(!strchr(err, '\n'));
}

/* the number after the last occurrence of key in err, or -1 */
static long number_after(const char *err, const char *key)
{
	const char *p = NULL, *q = err;

	while ((q = strstr(q, key))) {
		p = q;
		q++;
	}
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static int same_objective(const struct sla_objective *a, const struct sla_objective *b)
{
	return !strcmp(a->text, b->text) && a->sel == b->sel && !strcmp(a->family, b->family) &&
	       !strcmp(a->method, b->method) && !strcmp(a->pattern, b->pattern) &&
	       a->metric == b->metric && a->pct == b->pct && a->op == b->op && a->unit == b->unit &&
	       !strcmp(a->bound_text, b->bound_text) && a->bound_int == b->bound_int &&
	       (a->bound == b->bound || (isnan(a->bound) && isnan(b->bound)));
}

static void check_objective(const struct sla_objective *o)
{
	struct sla_objective again;
	char err[SLA_ERR_MAX];
	int rc;

	str_in(o->name, sizeof(o->name));
	str_in(o->text, sizeof(o->text));
	str_in(o->family, sizeof(o->family));
	str_in(o->method, sizeof(o->method));
	str_in(o->pattern, sizeof(o->pattern));
	str_in(o->bound_text, sizeof(o->bound_text));
	FUZZ_CHECK(o->sel >= SLA_SEL_ALL && o->sel <= SLA_SEL_FAMILY);
	FUZZ_CHECK(o->metric >= SLA_M_PCT && o->metric <= SLA_M_COUNT);
	FUZZ_CHECK(o->op >= SLA_OP_LT && o->op <= SLA_OP_GE);
	FUZZ_CHECK(o->family[0] && o->bound_text[0]);
	FUZZ_CHECK(o->metric == SLA_M_PCT ? o->pct > 0 && o->pct <= SLA_PCT_ONE : !o->pct);
	FUZZ_CHECK(o->unit == (o->metric <= SLA_M_MAX		 ? SLA_UNIT_NS
			       : o->metric <= SLA_M_AVAILABILITY ? SLA_UNIT_RATIO
			       : o->metric == SLA_M_THROUGHPUT	 ? SLA_UNIT_PER_S
								 : SLA_UNIT_COUNT));
	FUZZ_CHECK(o->bound >= 0 && isfinite(o->bound));
	if (o->unit == SLA_UNIT_RATIO)
		FUZZ_CHECK(o->bound_int <= SLA_PCT_ONE && o->bound <= 1.0);
	if (o->unit == SLA_UNIT_NS || o->unit == SLA_UNIT_COUNT)
		FUZZ_CHECK(o->bound == (double)o->bound_int);
	if (o->sel != SLA_SEL_FAMILY)
		FUZZ_CHECK(!strcmp(o->family, "request"));
	if (o->sel == SLA_SEL_ALL)
		FUZZ_CHECK(!o->pattern[0] && !o->method[0]);
	/* the canonical text is a fixed point */
	memset(&again, 0x5a, sizeof(again));
	rc = sla_parse_expr(o->text, &again, err, sizeof(err));
	if (rc)
		fprintf(stderr, "sla_fuzz: '%s' does not parse back: %s\n", o->text, err);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(same_objective(o, &again));
	sig_add((uint64_t)o->sel * 64 + (uint64_t)o->metric * 8 + (uint64_t)o->op);
}

/*
 * A small model with every family and label an objective can name. Each row
 * holds n samples of v ns and n / 2 samples of v / 3 + 1 ns: the raw truth
 * expected_result() recomputes every metric from, without the histogram.
 */
static const struct {
	const char *fam, *name, *proc, *port, *method, *route;
	uint64_t v, n, failed, errors;
} rows[] = {
	{ "request", "nginx :8080 GET /api/users", "nginx", "8080", "GET", "/api/users", 12000000,
	  900, 2, 5 },
	{ "request", "nginx :8080 POST /api/orders", "nginx", "8080", "POST", "/api/orders",
	  250000000, 10, 0, 1 },
	{ "request", "nginx :8080 GET /users/{id}", "nginx", "8080", "GET", "/users/{id}",
	  199229439, 1, 0, 0 },
	{ "request", "pgb :5432 GET /q", "pgb", "5432", "GET", "/q", 0, 0, 3, 3 },
	{ "request", "app unix:/s GET /", "app", "unix:/s", "GET", "/", 40, 7, 0, 0 },
	{ "syscall", "read", NULL, NULL, NULL, NULL, 4000, 1000, 0, 7 },
	{ "syscall", "write", NULL, NULL, NULL, NULL, 1ull << 50, 1, 0, 0 },
	{ "runq", "nginx", NULL, NULL, NULL, NULL, 30000, 50, 0, 0 },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))
static struct series *row_series[NROWS];

static struct model *fixed_model(void)
{
	static struct model *m;

	if (m)
		return m;
	m = model_new();
	FUZZ_CHECK(m);
	for (size_t i = 0; i < NROWS; i++) {
		struct series *s = model_series(m, rows[i].fam, rows[i].name);

		FUZZ_CHECK(s);
		row_series[i] = s;
		if (rows[i].proc)
			FUZZ_CHECK(!series_set_label(s, "process", rows[i].proc) &&
				   !series_set_label(s, "port", rows[i].port) &&
				   !series_set_label(s, "method", rows[i].method) &&
				   !series_set_label(s, "route", rows[i].route));
		hist_add_n(&s->hist, rows[i].v, rows[i].n);
		hist_add_n(&s->hist, rows[i].v / 3 + 1, rows[i].n / 2);
		s->failed = rows[i].failed;
		s->errors = rows[i].errors;
	}
	m->meta.duration_ns = 10000000000ull;
	return m;
}

static void check_result(const struct sla_objective *o, const struct sla_result *r)
{
	FUZZ_CHECK(r->status == SLA_NO_DATA || r->status == SLA_PASS || r->status == SLA_FAIL);
	FUZZ_CHECK(r->matched >= 0);
	if (r->status != SLA_NO_DATA)
		FUZZ_CHECK(r->matched > 0 && isfinite(r->value) && r->value >= 0);
	else
		FUZZ_CHECK(!r->has_budget && r->value == 0);
	if (o->unit == SLA_UNIT_RATIO)
		FUZZ_CHECK(r->value <= 1.0);
	if (!r->has_budget)
		return;
	FUZZ_CHECK(r->allowed >= 0 && r->consumed >= 0 && !isnan(r->consumed));
	FUZZ_CHECK(r->bad <= r->count);
}

/* -1, 0, 1: a below, at, above b */
static int cmp3(long double a, long double b)
{
	return a < b ? -1 : a > b;
}

/* whether "c op 0" holds, c a comparison of measured with bound */
static int op_holds(enum sla_op op, int c)
{
	return op == SLA_OP_LT	 ? c < 0
	       : op == SLA_OP_LE ? c <= 0
	       : op == SLA_OP_GT ? c > 0
				 : c >= 0;
}

/* the verdict for any measured value in [lo, hi]: PASS, FAIL, or -1 when it depends */
static int verdict_over(enum sla_op op, long double lo, long double hi, long double bound)
{
	int a = op_holds(op, cmp3(lo, bound)), b = op_holds(op, cmp3(hi, bound));

	return a == b ? (a ? SLA_PASS : SLA_FAIL) : -1;
}

static int by_value(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/*
 * The whole-model result of o recomputed from the rows' raw samples, not
 * from the histogram: which rows the selector takes (sla_matches() on each
 * row's series alone; the sum must equal r->matched), then counts, errors,
 * exact sums, the exact max, an exact nearest-rank percentile of the sorted
 * samples, and the verdict by plain comparison. Where the histogram's
 * 1/64 precision (include/slatrace/hist.h) makes the verdict depend on the
 * bucket, only the value's band is checked.
 */
static void check_against_rows(const struct sla_objective *o, const struct sla_result *r)
{
	/* each row's two values, weighted */
	uint64_t vals[2 * NROWS], wts[2 * NROWS], count = 0, nlat = 0, errors = 0, max = 0;
	long double sum = 0, lo, hi, bound = o->unit == SLA_UNIT_PER_S ? o->bound : o->bound_int;
	int matched = 0, nv = 0, expect = -1;

	for (size_t i = 0; i < NROWS; i++) {
		uint64_t v2 = rows[i].v / 3 + 1, n2 = rows[i].n / 2;

		if (!sla_matches(o, row_series[i]))
			continue;
		matched++;
		count += rows[i].n + n2 + rows[i].failed;
		nlat += rows[i].n + n2;
		errors += rows[i].errors;
		sum += (long double)rows[i].v * rows[i].n + (long double)v2 * n2;
		if (rows[i].n) {
			vals[nv] = rows[i].v;
			wts[nv++] = rows[i].n;
			max = rows[i].v > max ? rows[i].v : max;
		}
		if (n2) {
			vals[nv] = v2;
			wts[nv++] = n2;
			max = v2 > max ? v2 : max;
		}
	}
	FUZZ_CHECK(r->matched == matched);
	if (!matched) {
		FUZZ_CHECK(r->status == SLA_NO_DATA);
		return;
	}
	FUZZ_CHECK(r->count == count);
	if (errors > count)
		errors = count;
	switch (o->metric) {
	case SLA_M_PCT: {
		/* nearest rank ceil(p * n), with p read to the 0.001% the histogram
		 * uses: the exact value lies between the ranks either side */
		long double p = (long double)o->pct / SLA_PCT_ONE, slack = 0.00001L;
		uint64_t rlo, rhi, seen = 0;
		long double vlo = -1, vhi = -1;

		if (!nlat) {
			FUZZ_CHECK(r->status == SLA_NO_DATA);
			return;
		}
		/* sort the (value, weight) pairs by value */
		for (int i = 0; i < nv; i++)
			for (int j = i + 1; j < nv; j++)
				if (by_value(&vals[j], &vals[i]) < 0) {
					uint64_t t = vals[i], w = wts[i];

					vals[i] = vals[j];
					wts[i] = wts[j];
					vals[j] = t;
					wts[j] = w;
				}
		rlo = (uint64_t)ceill((p - slack > 0 ? p - slack : 0) * nlat);
		rhi = (uint64_t)ceill((p + slack < 1 ? p + slack : 1) * nlat);
		rlo = rlo < 1 ? 1 : rlo;
		rhi = rhi < 1 ? 1 : rhi > nlat ? nlat : rhi;
		for (int i = 0; i < nv; i++) {
			seen += wts[i];
			if (vlo < 0 && seen >= rlo)
				vlo = vals[i];
			if (vhi < 0 && seen >= rhi)
				vhi = vals[i];
		}
		if (o->pct == SLA_PCT_ONE)
			vlo = vhi = max;
		/* a bucket's midpoint is within 1/64 of what fell in it (and the
		 * top bucket reports the max) */
		lo = vlo - vlo / 64 - 1;
		hi = vhi + vhi / 64 + 1;
		FUZZ_CHECK(r->value >= lo && r->value <= hi);
		expect = verdict_over(o->op, lo, hi, bound);
		break;
	}
	case SLA_M_MEAN:
		if (!nlat) {
			FUZZ_CHECK(r->status == SLA_NO_DATA);
			return;
		}
		lo = hi = sum / nlat;
		FUZZ_CHECK(fabsl(r->value - lo) <= lo * 1e-12L);
		expect = verdict_over(o->op, lo * (1 - 1e-12L), hi * (1 + 1e-12L), bound);
		break;
	case SLA_M_MAX:
		if (!nlat) {
			FUZZ_CHECK(r->status == SLA_NO_DATA);
			return;
		}
		FUZZ_CHECK(r->value == (double)max);
		expect = verdict_over(o->op, max, max, bound);
		break;
	case SLA_M_ERROR_RATE:
	case SLA_M_AVAILABILITY: {
		uint64_t num = o->metric == SLA_M_ERROR_RATE ? errors : count - errors;

		if (!count) {
			FUZZ_CHECK(r->status == SLA_NO_DATA);
			return;
		}
		FUZZ_CHECK(fabs(r->value - (double)num / (double)count) <= 1e-12);
		/* num / count against bound_int / 100%, in integers */
		expect = op_holds(o->op, cmp3((long double)num * SLA_PCT_ONE,
					      (long double)o->bound_int * count))
			     ? SLA_PASS
			     : SLA_FAIL;
		if (r->has_budget) {
			long double allowed = (long double)(o->metric == SLA_M_ERROR_RATE
								? o->bound_int
								: SLA_PCT_ONE - o->bound_int) *
					      count / SLA_PCT_ONE;

			FUZZ_CHECK(r->bad == errors);
			FUZZ_CHECK(fabsl(r->allowed - allowed) <= allowed * 1e-12L);
			if (allowed > 0)
				FUZZ_CHECK(fabsl(r->consumed - errors / allowed) <=
					   errors / allowed * 1e-9L);
		}
		break;
	}
	case SLA_M_THROUGHPUT:
		lo = (long double)count / 10; /* the model's 10 s */
		FUZZ_CHECK(fabsl(r->value - lo) <= lo * 1e-12L);
		expect = verdict_over(o->op, lo * (1 - 1e-12L), lo * (1 + 1e-12L), bound);
		break;
	case SLA_M_COUNT:
		FUZZ_CHECK(r->value == (double)count);
		expect = verdict_over(o->op, count, count, bound);
		break;
	}
	if (expect >= 0)
		FUZZ_CHECK(r->status == (enum sla_status)expect);
	else
		FUZZ_CHECK(r->status == SLA_PASS || r->status == SLA_FAIL);
	sig_add((uint64_t)(expect + 1));
}

static void check_output(const struct sla_set *set, const struct sla_result *r,
			 const struct sla_tracker *t)
{
	static FILE *devnull;
	struct json_object *j, *back;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	FUZZ_CHECK(devnull);
	print_sla_plain(devnull, set, r, t);
	j = sla_json(set, r, t);
	FUZZ_CHECK(j);
	/* JSON has no Infinity or NaN: what is printed must parse */
	back = json_tokener_parse(json_object_to_json_string(j));
	FUZZ_CHECK(back);
	json_object_put(back);
	json_object_put(j);
}

static void check_breach(const struct sla_breach *b)
{
	char vars[SLA_ENV_N][SLA_ENV_LEN];
	struct json_object *j = sla_breach_json(b), *back;
	int n;

	FUZZ_CHECK(j);
	back = json_tokener_parse(json_object_to_json_string(j));
	FUZZ_CHECK(back);
	json_object_put(back);
	json_object_put(j);
	n = sla_breach_env(b, vars, SLA_ENV_N);
	FUZZ_CHECK(n == SLA_ENV_N);
	for (int i = 0; i < n; i++) {
		size_t len = str_in(vars[i], SLA_ENV_LEN);

		FUZZ_CHECK(!strncmp(vars[i], "SLATRACE_", 9) && strchr(vars[i], '='));
		for (size_t k = 0; k < len; k++)
			FUZZ_CHECK((unsigned char)vars[i][k] >= 0x20 || vars[i][k] == '\t' ||
				   (signed char)vars[i][k] < 0);
	}
}

/* evaluate the set on the whole model, then on windows: full, empty, full */
static void check_set(const struct sla_set *set)
{
	struct sla_result r[SLA_MAX_OBJECTIVES];
	struct sla_breach b[SLA_MAX_OBJECTIVES];
	struct model *m = fixed_model(), *empty = model_new();
	struct sla_tracker *t = sla_tracker_new(set);
	enum sla_status v;
	int n;

	FUZZ_CHECK(empty && t);
	sla_evaluate_all(set, m, r);
	for (int i = 0; i < set->n; i++) {
		check_result(&set->obj[i], &r[i]);
		check_against_rows(&set->obj[i], &r[i]);
		sig_add((uint64_t)r[i].status * 2 + (uint64_t)r[i].has_budget);
	}
	v = sla_verdict(set, r);
	for (int i = 0; i < set->n; i++)
		FUZZ_CHECK(r[i].status == SLA_PASS || v != SLA_PASS);
	/* windows as long as the run, so a full window measures what the run did */
	for (int w = 0; w < 3; w++) {
		n = sla_tracker_window(t, w == 1 ? empty : m, (uint64_t)w * m->meta.duration_ns,
				       (uint64_t)(w + 1) * m->meta.duration_ns, b, set->n);
		FUZZ_CHECK(n >= 0 && n <= set->n);
		/* the failures begin an episode in window 0; the empty window between
		 * does not end it, so window 2 starts none */
		FUZZ_CHECK(w == 0 || n == 0);
		for (int i = 0; i < n; i++) {
			FUZZ_CHECK(b[i].index >= 0 && b[i].index < set->n);
			FUZZ_CHECK(b[i].obj == &set->obj[b[i].index]);
			FUZZ_CHECK(r[b[i].index].status == SLA_FAIL);
			FUZZ_CHECK(b[i].result.status == SLA_FAIL && b[i].episode == 1);
			FUZZ_CHECK(b[i].result.value == r[b[i].index].value);
			check_breach(&b[i]);
		}
		if (!w) {
			int failed = 0;

			for (int i = 0; i < set->n; i++)
				failed += r[i].status == SLA_FAIL;
			FUZZ_CHECK(n == failed);
		}
	}
	FUZZ_CHECK(sla_tracker_windows(t) == 3);
	for (int i = 0; i < set->n; i++) {
		const struct sla_window_stats *st = sla_tracker_stats(t, i);

		FUZZ_CHECK(st && st->windows == 3 && st->met + st->failed + st->no_data == 3);
		FUZZ_CHECK(st->breaches == (r[i].status == SLA_FAIL));
		FUZZ_CHECK(st->no_data >= 1);
	}
	check_output(set, r, t);
	sla_tracker_free(t);
	model_free(empty);
}

static void check_expr(const uint8_t *data, size_t size)
{
	char *expr = malloc(size + 1), err[SLA_ERR_MAX];
	struct sla_objective o;
	struct sla_set set = { 0 };
	size_t len;
	long col;
	int rc;

	if (!expr)
		return;
	memcpy(expr, data, size);
	expr[size] = '\0';
	len = strlen(expr);
	memset(&o, 0x5a, sizeof(o));
	memset(err, 0x5a, sizeof(err));
	rc = sla_parse_expr(expr, &o, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	sig_add((uint64_t)-rc);
	if (rc) {
		check_message(err, "sla: ");
		sig_message(err);
		/* after the quoted expression, the last " at column " is the message's */
		col = strlen(err) > len + 6 ? number_after(err + 6 + len, " at column ") : -1;
		FUZZ_CHECK(col == -1 || (col >= 1 && (size_t)col <= len + 1));
		/* nothing written on failure */
		FUZZ_CHECK(o.text[0] == 0x5a && o.name[0] == 0x5a);
		free(expr);
		return;
	}
	check_objective(&o);
	FUZZ_CHECK(!strcmp(o.name, o.text));
	FUZZ_CHECK(len < SLA_EXPR_MAX);
	FUZZ_CHECK(!sla_set_add_expr(&set, expr, err, sizeof(err)) && set.n == 1);
	FUZZ_CHECK(same_objective(&set.obj[0], &o));
	check_set(&set);
	sla_set_clear(&set);
	free(expr);
}

static void check_file(const uint8_t *data, size_t size)
{
	struct sla_set set = { 0 };
	char err[SLA_ERR_MAX];
	size_t lines = 1;
	long line, col;
	int rc;

	memset(err, 0x5a, sizeof(err));
	rc = sla_parse_json_text(&set, (const char *)data, size, "fuzz", err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	sig_add((uint64_t)-rc + 7);
	if (rc) {
		FUZZ_CHECK(set.n == 0 && !set.obj);
		check_message(err, "sla file 'fuzz': ");
		sig_message(err);
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		/* only syntax errors point into the text; others quote objectives */
		if (strncmp(err, "sla file 'fuzz': syntax error at line ", 38) &&
		    strncmp(err, "sla file 'fuzz': NUL byte at line ", 34))
			return;
		line = number_after(err, " at line ");
		col = number_after(err, ", column ");
		FUZZ_CHECK(line >= 1 && (size_t)line <= lines);
		FUZZ_CHECK(col >= 1 && (size_t)col <= size + 1);
		return;
	}
	FUZZ_CHECK(set.n >= 1 && set.n <= SLA_MAX_OBJECTIVES);
	for (int i = 0; i < set.n; i++) {
		check_objective(&set.obj[i]);
		FUZZ_CHECK(set.obj[i].name[0]);
	}
	sig_add((uint64_t)set.n);
	check_set(&set);
	sla_set_clear(&set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cur_data = data;
	cur_size = size;
	signature = 0;
	check_expr(data, size);
	check_file(data, size);
	return 0;
}

#ifndef SLT_LIBFUZZER

#define FUZZ_MAX_INPUT	  4096
#define POOL_MAX	  1024
#define FUZZ_DEFAULT_RUNS 4000000
#define FUZZ_REPLAY_MAX	  (SLA_FILE_MAX + 1)
#define FUZZ_RUN_REPS	  300
#define FUZZ_MUTATIONS                                                                             \
	FUZZ_FLIP, FUZZ_INTERESTING, FUZZ_RANDOM, FUZZ_ERASE, FUZZ_DUPLICATE, FUZZ_SPLICE,         \
	    FUZZ_TRUNCATE, FUZZ_TOKEN, FUZZ_TOKEN, FUZZ_NUMBER, FUZZ_LONG_RUN, FUZZ_PRINTABLE

static const uint8_t fuzz_interesting[] = { 0,	 0xff, 0x7f, ' ', '\t', '\n', ':', '/', '*',
					    '?', '%',  '.',  '<', '>',	'=',  '0', '9', 'p',
					    '"', '{',  '}',  '[', ']',	',',  '\\' };

static const char *const fuzz_tokens[] = {
	"p99",
	"p99.9",
	"p100",
	"p0",
	"p50",
	"mean",
	"max",
	"error_rate",
	"availability",
	"throughput",
	"count",
	" < ",
	"<=",
	">",
	">=",
	"=",
	"!",
	"200ms",
	"1s",
	"5m",
	"99.9%",
	"100%",
	"0.000001%",
	"100/s",
	"5rps",
	"60/min",
	"1/h",
	"1000",
	": ",
	":",
	"GET ",
	"POST ",
	"/api/*",
	"/users/{id}",
	"/*",
	"port ",
	"5432",
	"process ",
	"nginx",
	"class ",
	"syscall ",
	"runq ",
	"request",
	"syscalls",
	"*",
	"?",
	"\t",
	" ",
	".",
	"{",
	"}",
	"[",
	"]",
	",",
	"\"",
	"\"objectives\": [",
	"{\"expr\": \"",
	"\"name\": ",
	"\"selector\": ",
	"\"metric\": ",
	"\"op\": ",
	"\"bound\": ",
	"\\u0000",
	"\\u00e9",
	"\\n",
	"\\\"",
	"\n",
	"\0",
	"\xff",
	"\xc3\xa9",
	"18446744073709551615",
	"18446744073709551616",
	"1e3",
	"-1",
	"NaN",
	"Infinity",
	"true",
	"null",
};

/* numbers made huge, zero, or fractional */
static const char *const fuzz_numbers[] = {
	"18446744073709551615",	  "99999999999999", "0", "100.0000001", "0.0000001", "65536",
	"00000000000000000000001"
};

/* long runs: deep nesting, many objectives, long names */
static const char *const fuzz_runs[] = { "a", "*", "[", "{\"expr\": \"p99 < 1ms\"},", "/x", " " };

#include "driver.h"

static const struct fuzz_seed seeds[] = {
	SEED("GET /api/*: p99 < 200ms"),
	SEED("availability >= 99.9%"),
	SEED("port 5432: p95 < 5ms"),
	SEED("runq p99 < 2ms"),
	SEED("/users/{id}: error_rate < 1%"),
	SEED("process nginx: throughput >= 100/s"),
	SEED("syscall read: max < 10ms"),
	SEED("mean < 50ms"),
	SEED("p99.9<=1s"),
	SEED("  GET\t /x  :  p50 >  1.5ms  "),
	SEED("throughput > 5rps"),
	SEED("throughput >= 60/min"),
	SEED("count >= 1000"),
	SEED("class nginx :8080 GET /*: p90 < 20ms"),
	SEED("syscalls: p99 < 1ms"),
	SEED("p100 < 1s"),
	SEED("p0.000001 > 0ns"),
	SEED("availability >= 100%"),
	SEED("error_rate <= 0.5%"),
	SEED("request: count > 0"),
	SEED("runq nginx: p99.99 < 250us"),
	SEED("p99 < 2xs"),
	SEED("GET /api/* p99 < 200ms"),
	SEED("{\"objectives\": [{\"expr\": \"p99 < 1ms\"}]}"),
	SEED("{\n  \"objectives\": [\n"
	     "    { \"name\": \"api latency\", \"selector\": \"GET /api/*\", \"metric\": \"p99\",\n"
	     "      \"op\": \"<\", \"bound\": \"200ms\" },\n"
	     "    { \"expr\": \"availability >= 99.9%\" },\n"
	     "    { \"name\": \"enough\", \"metric\": \"count\", \"op\": \">=\", \"bound\": 1000 "
	     "},\n"
	     "    { \"selector\": \"runq\", \"metric\": \"p99.9\", \"op\": \"<=\", \"bound\": "
	     "\"2ms\" }\n"
	     "  ]\n}\n"),
	SEED("{\"objectives\": [{\"selector\": \"port 8080\", \"metric\": \"error_rate\", "
	     "\"op\": \"<\", \"bound\": \"1%\"}, {\"selector\": \"syscall write\", \"metric\": "
	     "\"max\", \"op\": \"<\", \"bound\": \"1s\"}]}"),
	SEED("{\"objectives\": [{\"name\": \"x\", \"expr\": \"process app: throughput >= 0.5/s\"},"
	     " {\"metric\": \"mean\", \"op\": \">\", \"bound\": 12.5}]}"),
	SEED("{\"objectives\": [{\"expr\": \"p99 < 1ms\"},]}"),
	SEED("{\"objectives\": [{\"expr\": 5}, 1, {\"metric\": \"p99\", \"op\": \"<\", "
	     "\"bound\": true}]}"),
	SEED("{\"objectives\": [{\"selector\": \"GET /a\\t\", \"metric\": \"p99\", \"op\": "
	     "\"<\", \"bound\": \"1\u00b5s\"}]}"),
	SEED("{\"objectives\": [], \"window\": \"10s\"}"),
	SEED("{\"objectives\": [{\"expr\": \"p99 < 1ms\\u0000\", \"bund\": 1}]}"),
};

static uint64_t fuzz_add_seeds(uint8_t *buf)
{
	uint64_t execs = seeds_add(seeds, FUZZ_NELEM(seeds));
	size_t len = 0;

	/* more objectives than a set holds, and an expression longer than allowed */
	buf_insert(buf, &len, 0, (const uint8_t *)"{\"objectives\": [", 16);
	for (int i = 0; i <= SLA_MAX_OBJECTIVES; i++)
		buf_insert(buf, &len, len, (const uint8_t *)"{\"expr\": \"p99 < 1ms\"},", 22);
	buf[len - 1] = ']';
	buf_insert(buf, &len, len, (const uint8_t *)"}", 1);
	run_one(buf, len);
	pool_add(buf, len);
	len = 0;
	while (len < SLA_EXPR_MAX + 8)
		buf[len++] = 'a';
	buf_insert(buf, &len, len, (const uint8_t *)": p99 < 1ms", 11);
	run_one(buf, len);
	pool_add(buf, len);
	return execs;
}

#endif /* SLT_LIBFUZZER */
