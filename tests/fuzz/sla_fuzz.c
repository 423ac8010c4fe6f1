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
#include "report/sla.h"

static const uint8_t *cur_data;
static size_t cur_size;

static void fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "sla_fuzz: invariant broken at %s:%d: %s\ninput (%zu bytes): \"", __FILE__,
		line, what, cur_size);
	for (size_t i = 0; i < cur_size; i++)
		fprintf(stderr, "\\x%02x", cur_data[i]);
	fprintf(stderr, "\"\n");
	abort();
}

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(#cond, __LINE__);                                                \
	} while (0)

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

/* a small model with every family and label an objective can name */
static struct model *fixed_model(void)
{
	static struct model *m;
	static const struct {
		const char *fam, *name, *proc, *port, *method, *route;
		uint64_t v, n, failed, errors;
	} rows[] = {
		{ "request", "nginx :8080 GET /api/users", "nginx", "8080", "GET", "/api/users",
		  12000000, 900, 2, 5 },
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

	if (m)
		return m;
	m = model_new();
	FUZZ_CHECK(m);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct series *s = model_series(m, rows[i].fam, rows[i].name);

		FUZZ_CHECK(s);
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
	/* the verdict and the budget tell the same story */
	if (o->metric == SLA_M_PCT || o->op == SLA_OP_LE || o->op == SLA_OP_GE)
		FUZZ_CHECK((r->status == SLA_PASS) == (r->consumed <= 1.0));
	else
		FUZZ_CHECK((r->status == SLA_PASS) == (r->consumed < 1.0));
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

#include <time.h>
#include "core/log.h"
#include "core/parse.h"

#define MAX_INPUT 4096
#define POOL_MAX  1024
#define SIG_SLOTS 8192

struct input {
	uint8_t *data;
	size_t len;
};

static struct input pool[POOL_MAX];
static int npool, nseeds;
static uint64_t sigs[SIG_SLOTS];
static int nsigs;
static uint64_t rng;

/* splitmix64: small, fast, and the same everywhere */
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

#define SEED(lit)                                                                                  \
	{                                                                                          \
		(const uint8_t *)(lit), sizeof(lit) - 1                                            \
	}

static const struct {
	const uint8_t *data;
	size_t len;
} seeds[] = {
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

static const char *const tokens[] = {
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

static void pool_add(const uint8_t *data, size_t len)
{
	struct input *in;
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return;
	memcpy(copy, data, len);
	if (npool < POOL_MAX) {
		in = &pool[npool++];
	} else {
		/* seeds stay; a random grown entry makes room */
		in = &pool[nseeds + (int)below((size_t)(POOL_MAX - nseeds))];
		free(in->data);
	}
	in->data = copy;
	in->len = len;
}

/* whether this result signature is new; remembers it */
static int sig_new(uint64_t s)
{
	size_t i = (size_t)(s % SIG_SLOTS);

	s |= 1; /* 0 marks an empty slot */
	if (nsigs >= SIG_SLOTS * 3 / 4)
		return 0;
	for (; sigs[i]; i = (i + 1) % SIG_SLOTS)
		if (sigs[i] == s)
			return 0;
	sigs[i] = s;
	nsigs++;
	return 1;
}

/* run one input from an allocation of exactly its size */
static void run_one(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy) {
		slt_error("cannot allocate %zu bytes: %s", len, strerror(errno));
		exit(SLT_EXIT_FAIL);
	}
	memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

static void buf_insert(uint8_t *b, size_t *len, size_t pos, const uint8_t *src, size_t n)
{
	if (n > MAX_INPUT - *len)
		n = MAX_INPUT - *len;
	memmove(b + pos + n, b + pos, *len - pos);
	memcpy(b + pos, src, n);
	*len += n;
}

static void buf_erase(uint8_t *b, size_t *len, size_t pos, size_t n)
{
	if (n > *len - pos)
		n = *len - pos;
	memmove(b + pos, b + pos + n, *len - pos - n);
	*len -= n;
}

static void mutate(uint8_t *b, size_t *len)
{
	static const uint8_t interesting[] = { 0,   0xff, 0x7f, ' ', '\t', '\n', ':', '/', '*',
					       '?', '%',  '.',	'<', '>',  '=',	 '0', '9', 'p',
					       '"', '{',  '}',	'[', ']',  ',',	 '\\' };
	uint8_t tmp[MAX_INPUT];
	size_t pos = below(*len + 1), n, i;
	const struct input *other;
	const char *tok;

	switch (below(12)) {
	case 0: /* bit flip */
		if (*len)
			b[below(*len)] ^= (uint8_t)(1u << below(8));
		break;
	case 1: /* interesting byte */
		if (*len)
			b[below(*len)] = interesting[below(sizeof(interesting))];
		break;
	case 2: /* random bytes inserted */
		n = 1 + below(8);
		for (i = 0; i < n; i++)
			tmp[i] = (uint8_t)rnd();
		buf_insert(b, len, pos, tmp, n);
		break;
	case 3: /* a range deleted */
		buf_erase(b, len, pos, 1 + below(16));
		break;
	case 4: /* a range duplicated elsewhere */
		if (!*len)
			break;
		i = below(*len);
		n = 1 + below(*len - i);
		memcpy(tmp, b + i, n);
		buf_insert(b, len, below(*len + 1), tmp, n);
		break;
	case 5: /* splice: our head, another input's tail */
		other = &pool[below((size_t)npool)];
		i = below(other->len + 1);
		*len = pos;
		buf_insert(b, len, pos, other->data + i, other->len - i);
		break;
	case 6: /* truncation */
		*len = pos;
		break;
	case 7:
	case 8: /* a token of the grammar or the file */
		tok = tokens[below(sizeof(tokens) / sizeof(tokens[0]))];
		buf_insert(b, len, pos, (const uint8_t *)tok, tok[0] ? strlen(tok) : 1);
		break;
	case 9: { /* a number made huge, zero, or fractional */
		static const char *const nums[] = { "18446744073709551615",
						    "99999999999999",
						    "0",
						    "100.0000001",
						    "0.0000001",
						    "65536",
						    "00000000000000000000001" };
		size_t s = pos;

		while (s < *len && (b[s] < '0' || b[s] > '9'))
			s++;
		if (s == *len)
			break;
		for (i = s; i < *len && b[i] >= '0' && b[i] <= '9'; i++)
			;
		buf_erase(b, len, s, i - s);
		tok = nums[below(sizeof(nums) / sizeof(nums[0]))];
		buf_insert(b, len, s, (const uint8_t *)tok, strlen(tok));
		break;
	}
	case 10: { /* a long run: deep nesting, many objectives, long names */
		static const char *const runs[] = { "a",  "*", "[", "{\"expr\": \"p99 < 1ms\"},",
						    "/x", " " };
		size_t reps = 1 + below(300);

		tok = runs[below(sizeof(runs) / sizeof(runs[0]))];
		n = strlen(tok);
		for (i = 0; i < reps && (i + 1) * n <= sizeof(tmp); i++)
			memcpy(tmp + i * n, tok, n);
		buf_insert(b, len, pos, tmp, i * n);
		break;
	}
	default: /* a printable byte */
		if (*len)
			b[below(*len)] = (uint8_t)(0x20 + below(0x5f));
		break;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int replay(const char *file)
{
	static uint8_t data[SLA_FILE_MAX + 1];
	FILE *f = fopen(file, "rb");
	size_t len;

	if (!f) {
		slt_error("cannot open '%s': %s", file, strerror(errno));
		return -1;
	}
	len = fread(data, 1, sizeof(data), f);
	fclose(f);
	run_one(data, len);
	printf("sla_fuzz: '%s' (%zu bytes) ok\n", file, len);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sla_fuzz [--seconds N] [--seed N] [--runs N] [FILE...]\n"
		   "  --seconds N  fuzz for N seconds (default 10; also -max_total_time=N)\n"
		   "  --seed N     PRNG seed (default 1; also -seed=N)\n"
		   "  --runs N     stop after N mutated inputs, whatever the time (also -runs=N)\n"
		   "  FILE...      run these inputs once each instead of fuzzing\n");
}

/* "--name N", "--name=N" or libFuzzer's "-alias=N": 1 when arg is this option */
static int num_opt(int argc, char **argv, int *i, const char *name, const char *alias, uint64_t max,
		   uint64_t *v)
{
	size_t nl = strlen(name), al = strlen(alias);
	const char *a = argv[*i], *val;

	if (!strcmp(a, name)) {
		if (*i + 1 >= argc) {
			slt_error("option '%s' needs a value", name);
			usage(stderr);
			exit(SLT_EXIT_USAGE);
		}
		val = argv[++*i];
	} else if (!strncmp(a, name, nl) && a[nl] == '=') {
		val = a + nl + 1;
	} else if (!strncmp(a, alias, al) && a[al] == '=') {
		val = a + al + 1;
	} else {
		return 0;
	}
	if (slt_parse_u64(val, 0, max, v)) {
		slt_error("invalid value '%s' for '%s'", val, name);
		usage(stderr);
		exit(SLT_EXIT_USAGE);
	}
	return 1;
}

int main(int argc, char **argv)
{
	static uint8_t buf[MAX_INPUT];
	uint64_t seconds = 10, seed = 1, runs = 0, execs = 0, bytes = 0;
	int nfiles = 0, err = 0;
	double start, end;
	size_t len;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return SLT_EXIT_OK;
		}
		if (num_opt(argc, argv, &i, "--seconds", "-max_total_time", 86400 * 365,
			    &seconds) ||
		    num_opt(argc, argv, &i, "--seed", "-seed", UINT64_MAX, &seed) ||
		    num_opt(argc, argv, &i, "--runs", "-runs", UINT64_MAX, &runs))
			continue;
		if (argv[i][0] == '-') {
			slt_error("unknown option '%s'", argv[i]);
			usage(stderr);
			return SLT_EXIT_USAGE;
		}
		nfiles++;
	}
	if (nfiles) {
		for (int i = 1; i < argc; i++) {
			if (argv[i][0] == '-') {
				/* options with a separate value skip it */
				i += !strchr(argv[i], '=') && i + 1 < argc;
				continue;
			}
			err |= replay(argv[i]);
		}
		return err ? SLT_EXIT_FAIL : SLT_EXIT_OK;
	}

	rng = seed;
	/* every seed, and every prefix of it */
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		pool_add(seeds[s].data, seeds[s].len);
		for (len = 0; len <= seeds[s].len; len++) {
			run_one(seeds[s].data, len);
			sig_new(signature);
			execs++;
		}
	}
	/* more objectives than a set holds, and an expression longer than allowed */
	len = 0;
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
	nseeds = npool;

	start = now_s();
	end = start + (double)seconds;
	for (uint64_t r = 0; !runs || r < runs; r++) {
		const struct input *in = &pool[below((size_t)npool)];
		int stack = 1 + (int)below(4);

		if (!(r & 63) && now_s() >= end && !runs)
			break;
		len = in->len;
		memcpy(buf, in->data, len);
		while (stack--)
			mutate(buf, &len);
		run_one(buf, len);
		execs++;
		bytes += len;
		if (sig_new(signature))
			pool_add(buf, len);
	}
	printf("sla_fuzz: %llu executions in %.1fs (seed %llu, mean input %llu bytes, pool %d, "
	       "%d result signatures)\n",
	       (unsigned long long)execs, now_s() - start, (unsigned long long)seed,
	       (unsigned long long)(bytes / (execs ? execs : 1)), npool, nsigs);
	for (int i = 0; i < npool; i++)
		free(pool[i].data);
	return fflush(stdout) || ferror(stdout) ? SLT_EXIT_FAIL : SLT_EXIT_OK;
}

#endif /* SLT_LIBFUZZER */
