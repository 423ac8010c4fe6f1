// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* SLA objectives (report/sla.c): every expression form and every error, the
 * JSON file reader, evaluation and error budgets on synthetic models with
 * hand-computed values, windows and breach episodes, and the SLA sections
 * of the text and JSON reports. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include <json-c/json.h>
#include "harness.h"
#include "core/model.h"
#include "analysis/sla.h"

#define MS	 1000000ull
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------- synthetic models ---------- */

static struct series *req(struct model *m, const char *proc, const char *port, const char *method,
			  const char *route)
{
	char name[256];
	struct series *s;

	snprintf(name, sizeof(name), "%s :%s %s %s", proc, port, method, route);
	s = model_series(m, "request", name);
	if (!s || series_set_label(s, "process", proc) || series_set_label(s, "port", port) ||
	    series_set_label(s, "method", method) || series_set_label(s, "route", route))
		return NULL;
	return s;
}

static struct series *sys(struct model *m, const char *name)
{
	struct series *s = model_series(m, "syscall", name);

	if (!s || series_set_label(s, "syscall", name))
		return NULL;
	return s;
}

/* one request series: ok requests at each latency, then failed ones */
static struct model *one_series(uint64_t n1, uint64_t v1, uint64_t n2, uint64_t v2, uint64_t failed)
{
	struct model *m = model_new();
	struct series *s = m ? req(m, "api", "8080", "GET", "/x") : NULL;

	if (!s) {
		model_free(m);
		return NULL;
	}
	hist_add_n(&s->hist, v1, n1);
	hist_add_n(&s->hist, v2, n2);
	s->failed = failed;
	s->errors = failed;
	m->meta.duration_ns = 10000 * MS;
	return m;
}

/*
 * nginx :8080 GET /api/users    100 x 10ms
 * nginx :8080 POST /api/orders  100 x 50ms
 * nginx :8080 GET /health       100 x 1ms
 * pgb :5432 GET /q               50 x 3ms
 * syscall read 1000 x 4us, write 10 x 100us; 10 s
 */
static struct model *shop(void)
{
	struct model *m = model_new();
	struct series *s;

	if (!m)
		return NULL;
	if (!(s = req(m, "nginx", "8080", "GET", "/api/users")))
		goto fail;
	hist_add_n(&s->hist, 10 * MS, 100);
	if (!(s = req(m, "nginx", "8080", "POST", "/api/orders")))
		goto fail;
	hist_add_n(&s->hist, 50 * MS, 100);
	if (!(s = req(m, "nginx", "8080", "GET", "/health")))
		goto fail;
	hist_add_n(&s->hist, 1 * MS, 100);
	if (!(s = req(m, "pgb", "5432", "GET", "/q")))
		goto fail;
	hist_add_n(&s->hist, 3 * MS, 50);
	if (!(s = sys(m, "read")))
		goto fail;
	hist_add_n(&s->hist, 4000, 1000);
	if (!(s = sys(m, "write")))
		goto fail;
	hist_add_n(&s->hist, 100000, 10);
	m->meta.duration_ns = 10000 * MS;
	return m;
fail:
	model_free(m);
	return NULL;
}

static int parse(const char *expr, struct sla_objective *o)
{
	char err[SLA_ERR_MAX] = "";
	int rc = sla_parse_expr(expr, o, err, sizeof(err));

	if (rc)
		printf("      parse '%s': %s\n", expr, err);
	return rc;
}

static int evaluate(const char *expr, const struct model *m, struct sla_result *r)
{
	struct sla_objective o;

	if (parse(expr, &o))
		return -1;
	sla_evaluate(&o, m, r);
	return 0;
}

/* sla_parse_json_text on a C string */
static int parse_text(struct sla_set *set, const char *text, size_t len, const char *origin,
		      char *err, size_t errlen)
{
	return sla_parse_json_text(set, text, len == (size_t)-1 ? strlen(text) : len, origin, err,
				   errlen);
}

static int near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

/* ---------- the expression parser ---------- */

TEST(sla_expr_accepts_every_form)
{
	static const struct {
		const char *in, *canon;
		enum sla_selector sel;
		const char *family, *method, *pattern;
		enum sla_metric metric;
		uint64_t pct;
		enum sla_op op;
		enum sla_unit unit;
		double bound;
		uint64_t bound_int;
	} ok[] = {
		{ "GET /api/*: p99 < 200ms", "GET /api/*: p99 < 200ms", SLA_SEL_ROUTE, "request",
		  "GET", "/api/*", SLA_M_PCT, 99000000, SLA_OP_LT, SLA_UNIT_NS, 2e8, 200 * MS },
		{ "availability >= 99.9%", "availability >= 99.9%", SLA_SEL_ALL, "request", "", "",
		  SLA_M_AVAILABILITY, 0, SLA_OP_GE, SLA_UNIT_RATIO, 0.999, 99900000 },
		{ "port 5432: p95 < 5ms", "port 5432: p95 < 5ms", SLA_SEL_PORT, "request", "",
		  "5432", SLA_M_PCT, 95000000, SLA_OP_LT, SLA_UNIT_NS, 5e6, 5 * MS },
		{ "runq p99 < 2ms", "runq: p99 < 2ms", SLA_SEL_FAMILY, "runq", "", "", SLA_M_PCT,
		  99000000, SLA_OP_LT, SLA_UNIT_NS, 2e6, 2 * MS },
		{ "/users/{id}: error_rate < 1%", "/users/{id}: error_rate < 1%", SLA_SEL_ROUTE,
		  "request", "", "/users/{id}", SLA_M_ERROR_RATE, 0, SLA_OP_LT, SLA_UNIT_RATIO,
		  0.01, 1000000 },
		{ "process nginx: throughput >= 100/s", "process nginx: throughput >= 100/s",
		  SLA_SEL_PROCESS, "request", "", "nginx", SLA_M_THROUGHPUT, 0, SLA_OP_GE,
		  SLA_UNIT_PER_S, 100, 0 },
		{ "syscall read: max < 10ms", "syscall read: max < 10ms", SLA_SEL_FAMILY, "syscall",
		  "", "read", SLA_M_MAX, 0, SLA_OP_LT, SLA_UNIT_NS, 1e7, 10 * MS },
		{ "mean < 50ms", "mean < 50ms", SLA_SEL_ALL, "request", "", "", SLA_M_MEAN, 0,
		  SLA_OP_LT, SLA_UNIT_NS, 5e7, 50 * MS },
		{ "p99.9<=1s", "p99.9 <= 1s", SLA_SEL_ALL, "request", "", "", SLA_M_PCT, 99900000,
		  SLA_OP_LE, SLA_UNIT_NS, 1e9, 1000 * MS },
		{ "  GET\t /x  :  p50 >  1.5ms  ", "GET /x: p50 > 1.5ms", SLA_SEL_ROUTE, "request",
		  "GET", "/x", SLA_M_PCT, 50000000, SLA_OP_GT, SLA_UNIT_NS, 1.5e6, 1500000 },
		{ "throughput > 5rps", "throughput > 5rps", SLA_SEL_ALL, "request", "", "",
		  SLA_M_THROUGHPUT, 0, SLA_OP_GT, SLA_UNIT_PER_S, 5, 0 },
		{ "throughput >= 60/min", "throughput >= 60/min", SLA_SEL_ALL, "request", "", "",
		  SLA_M_THROUGHPUT, 0, SLA_OP_GE, SLA_UNIT_PER_S, 1, 0 },
		{ "throughput >= 0.5/s", "throughput >= 0.5/s", SLA_SEL_ALL, "request", "", "",
		  SLA_M_THROUGHPUT, 0, SLA_OP_GE, SLA_UNIT_PER_S, 0.5, 0 },
		{ "throughput >= 7200/h", "throughput >= 7200/h", SLA_SEL_ALL, "request", "", "",
		  SLA_M_THROUGHPUT, 0, SLA_OP_GE, SLA_UNIT_PER_S, 2, 0 },
		{ "count >= 1000", "count >= 1000", SLA_SEL_ALL, "request", "", "", SLA_M_COUNT, 0,
		  SLA_OP_GE, SLA_UNIT_COUNT, 1000, 1000 },
		{ "class nginx :8080 GET /*: p90 < 20ms", "class nginx :8080 GET /*: p90 < 20ms",
		  SLA_SEL_CLASS, "request", "", "nginx :8080 GET /*", SLA_M_PCT, 90000000,
		  SLA_OP_LT, SLA_UNIT_NS, 2e7, 20 * MS },
		{ "syscalls: p99 < 1ms", "syscall: p99 < 1ms", SLA_SEL_FAMILY, "syscall", "", "",
		  SLA_M_PCT, 99000000, SLA_OP_LT, SLA_UNIT_NS, 1e6, MS },
		{ "p100 < 1s", "p100 < 1s", SLA_SEL_ALL, "request", "", "", SLA_M_PCT, 100000000,
		  SLA_OP_LT, SLA_UNIT_NS, 1e9, 1000 * MS },
		{ "p0.000001 > 0ns", "p0.000001 > 0ns", SLA_SEL_ALL, "request", "", "", SLA_M_PCT,
		  1, SLA_OP_GT, SLA_UNIT_NS, 0, 0 },
		{ "error_rate <= 0.5%", "error_rate <= 0.5%", SLA_SEL_ALL, "request", "", "",
		  SLA_M_ERROR_RATE, 0, SLA_OP_LE, SLA_UNIT_RATIO, 0.005, 500000 },
		{ "availability > 99.99%", "availability > 99.99%", SLA_SEL_ALL, "request", "", "",
		  SLA_M_AVAILABILITY, 0, SLA_OP_GT, SLA_UNIT_RATIO, 0.9999, 99990000 },
		{ "availability >= 100%", "availability >= 100%", SLA_SEL_ALL, "request", "", "",
		  SLA_M_AVAILABILITY, 0, SLA_OP_GE, SLA_UNIT_RATIO, 1, 100000000 },
		{ "request: count > 0", "request: count > 0", SLA_SEL_FAMILY, "request", "", "",
		  SLA_M_COUNT, 0, SLA_OP_GT, SLA_UNIT_COUNT, 0, 0 },
		{ "port 08080: p99 < 1ms", "port 8080: p99 < 1ms", SLA_SEL_PORT, "request", "",
		  "8080", SLA_M_PCT, 99000000, SLA_OP_LT, SLA_UNIT_NS, 1e6, MS },
		{ "DELETE /items/*: max <= 2s", "DELETE /items/*: max <= 2s", SLA_SEL_ROUTE,
		  "request", "DELETE", "/items/*", SLA_M_MAX, 0, SLA_OP_LE, SLA_UNIT_NS, 2e9,
		  2000 * MS },
		{ "block sda*: p99 < 10ms", "block sda*: p99 < 10ms", SLA_SEL_FAMILY, "block", "",
		  "sda*", SLA_M_PCT, 99000000, SLA_OP_LT, SLA_UNIT_NS, 1e7, 10 * MS },
		{ "process my worker: p50 < 1us", "process my worker: p50 < 1us", SLA_SEL_PROCESS,
		  "request", "", "my worker", SLA_M_PCT, 50000000, SLA_OP_LT, SLA_UNIT_NS, 1000,
		  1000 },
	};

	for (unsigned i = 0; i < NELEM(ok); i++) {
		struct sla_objective o, again;

		CHECK_MSG(!parse(ok[i].in, &o), "'%s' rejected", ok[i].in);
		CHECK_STR(o.text, ok[i].canon);
		CHECK_STR(o.name, ok[i].canon);
		CHECK_MSG(o.sel == ok[i].sel, "'%s': selector %d", ok[i].in, o.sel);
		CHECK_STR(o.family, ok[i].family);
		CHECK_STR(o.method, ok[i].method);
		CHECK_STR(o.pattern, ok[i].pattern);
		CHECK_MSG(o.metric == ok[i].metric, "'%s': metric %d", ok[i].in, o.metric);
		CHECK_EQ_U64(o.pct, ok[i].pct);
		CHECK_MSG(o.op == ok[i].op, "'%s': op %d", ok[i].in, o.op);
		CHECK_MSG(o.unit == ok[i].unit, "'%s': unit %d", ok[i].in, o.unit);
		CHECK_MSG(near(o.bound, ok[i].bound), "'%s': bound %g", ok[i].in, o.bound);
		CHECK_EQ_U64(o.bound_int, ok[i].bound_int);
		/* the canonical text is a fixed point */
		CHECK(!parse(o.text, &again));
		CHECK_STR(again.text, o.text);
		CHECK(again.sel == o.sel && again.metric == o.metric && again.op == o.op &&
		      again.pct == o.pct && again.bound_int == o.bound_int &&
		      !strcmp(again.pattern, o.pattern) && !strcmp(again.method, o.method));
	}
}

TEST(sla_expr_rejects_every_error_with_its_column)
{
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{ "p99 < 2xs", "sla: 'p99 < 2xs': bad bound '2xs' at column 7" },
		{ "", "sla: '': empty objective" },
		{ "   ", "sla: '   ': empty objective" },
		{ "p99 < 99%", "sla: 'p99 < 99%': bad bound '99%' at column 7: p99 takes a "
			       "duration, e.g. 200ms" },
		{ "p99.9 < 10/s",
		  "sla: 'p99.9 < 10/s': bad bound '10/s' at column 9: p99.9 takes a "
		  "duration, e.g. 200ms" },
		{ "p99 < 200", "sla: 'p99 < 200': bad bound '200' at column 7: a latency bound "
			       "needs a unit, e.g. 200ms" },
		{ "p99 < 99999999999h", "sla: 'p99 < 99999999999h': bad bound '99999999999h' at "
					"column 7: out of range" },
		{ "mean < 1e3ms", "sla: 'mean < 1e3ms': bad bound '1e3ms' at column 8" },
		{ "p99 <= -1ms", "sla: 'p99 <= -1ms': bad bound '-1ms' at column 8" },
		{ "p99 < 200ms junk",
		  "sla: 'p99 < 200ms junk': bad bound '200ms junk' at column 7" },
		{ "p99 < 100000000000000000000000000000000ms",
		  "sla: 'p99 < 100000000000000000000000000000000ms': bad bound "
		  "'100000000000000000000000000000000ms' at column 7: too long" },
		{ "p0 < 1ms", "sla: 'p0 < 1ms': bad percentile 'p0' at column 1: pN needs 0 < N <= "
			      "100, at most 6 decimals" },
		{ "p100.5 < 1ms", "sla: 'p100.5 < 1ms': bad percentile 'p100.5' at column 1: pN "
				  "needs 0 < N <= 100, at most 6 decimals" },
		{ "p99.1234567 < 1ms", "sla: 'p99.1234567 < 1ms': bad percentile 'p99.1234567' at "
				       "column 1: pN needs 0 < N <= 100, at most 6 decimals" },
		{ "p1000 < 1ms", "sla: 'p1000 < 1ms': bad percentile 'p1000' at column 1: pN needs "
				 "0 < N <= 100, at most 6 decimals" },
		{ "p99. < 1ms", "sla: 'p99. < 1ms': unknown metric 'p99.' at column 1: known "
				"metrics: pN (p50, p99.9), mean, max, error_rate, availability, "
				"throughput, count" },
		{ "latency < 1ms", "sla: 'latency < 1ms': unknown metric 'latency' at column 1: "
				   "known metrics: pN (p50, p99.9), mean, max, error_rate, "
				   "availability, throughput, count" },
		{ "x: P99 < 1ms", "sla: 'x: P99 < 1ms': unknown metric 'P99' at column 4: known "
				  "metrics: pN (p50, p99.9), mean, max, error_rate, availability, "
				  "throughput, count" },
		{ "x: < 1ms",
		  "sla: 'x: < 1ms': missing metric at column 4: known metrics: pN (p50, "
		  "p99.9), mean, max, error_rate, availability, throughput, count" },
		{ "GET /api/* p99 < 200ms",
		  "sla: 'GET /api/* p99 < 200ms': unknown metric 'GET' at "
		  "column 1: a selector ends with ':', e.g. 'GET /api/*: "
		  "p99 < 200ms'" },
		{ "runq nginx p99 < 2ms", "sla: 'runq nginx p99 < 2ms': unknown metric 'runq' at "
					  "column 1: a selector ends with ':', e.g. 'GET /api/*: "
					  "p99 < 200ms'" },
		{ "p99 = 1ms",
		  "sla: 'p99 = 1ms': bad operator '=' at column 5: use <, <=, > or >=" },
		{ "syscall read: p99 !< 1ms",
		  "sla: 'syscall read: p99 !< 1ms': bad operator '!<' at "
		  "column 19: use <, <=, > or >=" },
		{ "p99 =< 1ms",
		  "sla: 'p99 =< 1ms': bad operator '=<' at column 5: use <, <=, > or >=" },
		{ "p99 1ms", "sla: 'p99 1ms': missing operator at column 5: use <, <=, > or >=" },
		{ "p99 <", "sla: 'p99 <': missing bound at column 6" },
		{ ": p99 < 1ms", "sla: ': p99 < 1ms': empty selector at column 1" },
		{ "GET: p99 < 1ms",
		  "sla: 'GET: p99 < 1ms': missing route after the method at column "
		  "4: e.g. 'GET /api/*'" },
		{ "GET api: p99 < 1ms", "sla: 'GET api: p99 < 1ms': bad route 'api' at column 5: a "
					"route glob starts with '/', e.g. /api/*" },
		{ "GET /a b: p99 < 1ms",
		  "sla: 'GET /a b: p99 < 1ms': bad route '/a b' at column 5: "
		  "a route glob has no spaces" },
		{ "Get /a: p99 < 1ms", "sla: 'Get /a: p99 < 1ms': bad selector 'Get' at column 1" },
		{ "port http: p99 < 1ms",
		  "sla: 'port http: p99 < 1ms': bad port 'http' at column 6: "
		  "a number from 1 to 65535" },
		{ "port 70000: p99 < 1ms",
		  "sla: 'port 70000: p99 < 1ms': bad port '70000' at column "
		  "6: a number from 1 to 65535" },
		{ "port 0: p99 < 1ms",
		  "sla: 'port 0: p99 < 1ms': bad port '0' at column 6: a number "
		  "from 1 to 65535" },
		{ "port: p99 < 1ms", "sla: 'port: p99 < 1ms': missing port number after 'port' at "
				     "column 5" },
		{ "process: p99 < 1ms", "sla: 'process: p99 < 1ms': missing process name after "
					"'process' at column 8" },
		{ "class: p99 < 1ms",
		  "sla: 'class: p99 < 1ms': missing class glob after 'class' at "
		  "column 6" },
		{ "Foo bar: p99 < 1ms",
		  "sla: 'Foo bar: p99 < 1ms': bad selector 'Foo' at column 1" },
		{ "9x: p99 < 1ms", "sla: '9x: p99 < 1ms': bad selector '9x' at column 1" },
		{ "run-q: p99 < 1ms", "sla: 'run-q: p99 < 1ms': bad selector 'run-q' at column 1" },
		{ "verylongfamilyname: p99 < 1ms", "sla: 'verylongfamilyname: p99 < 1ms': bad "
						   "selector 'verylongfamilyname' at column 1: "
						   "family name too long" },
		{ "error_rate < 1", "sla: 'error_rate < 1': bad bound '1' at column 14: error_rate "
				    "takes a percentage, e.g. 1%" },
		{ "availability >= 0.999", "sla: 'availability >= 0.999': bad bound '0.999' at "
					   "column 17: availability takes a percentage, e.g. "
					   "99.9%" },
		{ "availability >= 101%", "sla: 'availability >= 101%': bad bound '101%' at column "
					  "17: a percentage is 0% to 100%" },
		{ "error_rate < 1ms", "sla: 'error_rate < 1ms': bad bound '1ms' at column 14: "
				      "error_rate takes a percentage, e.g. 1%" },
		{ "throughput >= 100", "sla: 'throughput >= 100': bad bound '100' at column 15: "
				       "throughput takes a rate, e.g. 100/s or 100rps" },
		{ "throughput >= 100/d",
		  "sla: 'throughput >= 100/d': bad bound '100/d' at column 15" },
		{ "count >= 1.5",
		  "sla: 'count >= 1.5': bad bound '1.5' at column 10: count takes a "
		  "whole number, e.g. 1000" },
		{ "count >= 5%", "sla: 'count >= 5%': bad bound '5%' at column 10: count takes a "
				 "whole number, e.g. 1000" },
		{ "error_rate < 0%",
		  "sla: 'error_rate < 0%': bad bound '0%' at column 14: nothing is below 0" },
		{ "p99 < 0ms",
		  "sla: 'p99 < 0ms': bad bound '0ms' at column 7: nothing is below 0" },
		{ "count < 0", "sla: 'count < 0': bad bound '0' at column 9: nothing is below 0" },
		{ "throughput < 0.0/s",
		  "sla: 'throughput < 0.0/s': bad bound '0.0/s' at column 14: nothing is below 0" },
		{ "availability > 100%",
		  "sla: 'availability > 100%': bad bound '100%' at column 16: "
		  "nothing is above 100%" },
		{ "p99 <\x01 1ms", "sla: 'p99 <? 1ms': unexpected byte 0x01 at column 6" },
		{ "p99 < 1ms\n", "sla: 'p99 < 1ms?': unexpected byte 0x0a at column 10" },
		{ "GET /caf\xc3\xa9: p99 < 1ms",
		  "sla: 'GET /caf??: p99 < 1ms': unexpected byte 0xc3 at column 9" },
	};

	for (unsigned i = 0; i < NELEM(bad); i++) {
		struct sla_objective o;
		char err[SLA_ERR_MAX] = "";

		memset(&o, 0x5a, sizeof(o));
		CHECK_MSG(sla_parse_expr(bad[i].in, &o, err, sizeof(err)) == -EINVAL,
			  "'%s' accepted", bad[i].in);
		CHECK_STR(err, bad[i].msg);
		CHECK_MSG(o.text[0] == 0x5a, "'%s' wrote the objective on failure", bad[i].in);
	}
}

TEST(sla_expr_rejects_overlong_input)
{
	char expr[400], err[SLA_ERR_MAX] = "";
	struct sla_objective o;

	memset(expr, 'a', 300);
	strcpy(expr + 300, " < 1ms");
	CHECK_EQ_INT(sla_parse_expr(expr, &o, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "sla: objective too long (306 bytes, at most 255)");
	/* a selector longer than its field */
	snprintf(expr, sizeof(expr), "process %0130d: p99 < 1ms", 0);
	CHECK_EQ_INT(sla_parse_expr(expr, &o, err, sizeof(err)), -EINVAL);
	CHECK_MSG(strstr(err, "selector too long at column 9: at most 127 bytes"), "%s", err);
	CHECK_EQ_INT(sla_parse_expr(NULL, &o, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "sla: no objective");
	/* no room for a message is fine too */
	CHECK_EQ_INT(sla_parse_expr("p99 < 2xs", &o, NULL, 0), -EINVAL);
}

TEST(sla_glob_matches_stars_and_questions)
{
	CHECK(sla_glob_match("/api/*", "/api/users/{id}"));
	CHECK(sla_glob_match("/api/*", "/api/"));
	CHECK(!sla_glob_match("/api/*", "/api"));
	CHECK(sla_glob_match("*", ""));
	CHECK(sla_glob_match("/users/{id}", "/users/{id}"));
	CHECK(!sla_glob_match("/users/{id}", "/users/{id}/x"));
	CHECK(sla_glob_match("/*/orders/?", "/v1/orders/7"));
	CHECK(!sla_glob_match("/*/orders/?", "/v1/orders/77"));
	CHECK(sla_glob_match("a*b*c", "axxbyybzzc"));
	CHECK(!sla_glob_match("a*b*c", "axxbyybzz"));
	CHECK(sla_glob_match("**x", "yyx"));
	CHECK(!sla_glob_match("", "x"));
	CHECK(sla_glob_match("[a]", "[a]")); /* no classes: brackets are literal */
}

/* ---------- the file ---------- */

static const char good_file[] =
    "{\n"
    "  \"objectives\": [\n"
    "    { \"name\": \"api latency\", \"selector\": \"GET /api/*\", \"metric\": \"p99\",\n"
    "      \"op\": \"<\", \"bound\": \"200ms\" },\n"
    "    { \"expr\": \"availability >= 99.9%\" },\n"
    "    { \"name\": \"enough traffic\", \"metric\": \"count\", \"op\": \">=\", \"bound\": 1000 "
    "},\n"
    "    { \"name\": \"reads\", \"expr\": \"syscall read: max < 10ms\" },\n"
    "    { \"selector\": \"runq\", \"metric\": \"p99.9\", \"op\": \"<=\", \"bound\": \"2ms\" }\n"
    "  ]\n"
    "}\n";

TEST(sla_file_reads_both_forms)
{
	struct sla_set set = { 0 };
	char err[SLA_ERR_MAX] = "";

	CHECK_MSG(
	    !sla_parse_json_text(&set, good_file, strlen(good_file), "sla.json", err, sizeof(err)),
	    "%s", err);
	CHECK_EQ_INT(set.n, 5);
	CHECK_STR(set.obj[0].name, "api latency");
	CHECK_STR(set.obj[0].text, "GET /api/*: p99 < 200ms");
	CHECK_EQ_U64(set.obj[0].bound_int, 200 * MS);
	CHECK_STR(set.obj[1].name, "availability >= 99.9%");
	CHECK_STR(set.obj[1].text, "availability >= 99.9%");
	CHECK_STR(set.obj[2].text, "count >= 1000");
	CHECK(set.obj[2].sel == SLA_SEL_ALL);
	CHECK_EQ_U64(set.obj[2].bound_int, 1000);
	CHECK_STR(set.obj[3].name, "reads");
	CHECK_STR(set.obj[3].text, "syscall read: max < 10ms");
	CHECK_STR(set.obj[4].text, "runq: p99.9 <= 2ms");
	CHECK(set.obj[4].sel == SLA_SEL_FAMILY);
	/* a second source appends */
	CHECK(!sla_set_add_expr(&set, "mean < 50ms", err, sizeof(err)));
	CHECK_EQ_INT(set.n, 6);
	CHECK_STR(set.obj[5].text, "mean < 50ms");
	sla_set_clear(&set);
	CHECK(!set.obj && !set.n);
}

TEST(sla_file_syntax_error_has_line_and_column)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "{\n  \"objectives\": [\n    {\"expr\": \"p99 < 1ms\"},\n  ]\n}\n",
		  "sla file 'sla.json': syntax error at line 4, column 3: unexpected character" },
		{ "{\"objectives\": [{\"expr\": 'p99 < 1ms'}]}",
		  "sla file 'sla.json': syntax error at line 1, column 26: unexpected character" },
		{ "{\"objectives\": [\n", "sla file 'sla.json': syntax error at line 2, column 1: "
					  "unexpected end of file" },
		{ "{\"objectives\": [{\"expr\": \"p99 < 1ms\"}]} x",
		  "sla file 'sla.json': syntax error at line 1, column 41: unexpected character" },
		{ "{\"objectives\": [{\"expr\": \"p99 < 1ms\"}]}\n// note\n",
		  "sla file 'sla.json': syntax error at line 2, column 1: unexpected character" },
		{ "\n\n  {\"objectives\": tru}",
		  "sla file 'sla.json': syntax error at line 3, column 21: boolean expected" },
		{ "{\"objectives\": [{\"expr\": \"\xff\"}]}",
		  "sla file 'sla.json': syntax error at line 1, column 27: invalid utf-8 string" },
		{ "", "sla file 'sla.json': empty (want {\"objectives\": [...]})" },
		{ " \n\t", "sla file 'sla.json': empty (want {\"objectives\": [...]})" },
	};
	struct sla_set set = { 0 };

	for (unsigned i = 0; i < NELEM(bad); i++) {
		char err[SLA_ERR_MAX] = "";

		CHECK_MSG(sla_parse_json_text(&set, bad[i].text, strlen(bad[i].text), "sla.json",
					      err, sizeof(err)) == -EINVAL,
			  "'%s' accepted", bad[i].text);
		CHECK_STR(err, bad[i].msg);
		CHECK_EQ_INT(set.n, 0);
	}
	{
		static const char nul[] = "{\n \"objectives\"\0: []}";
		char err[SLA_ERR_MAX] = "";

		CHECK_EQ_INT(
		    sla_parse_json_text(&set, nul, sizeof(nul) - 1, NULL, err, sizeof(err)),
		    -EINVAL);
		CHECK_STR(err, "sla file: NUL byte at line 2, column 14");
	}
}

TEST(sla_file_rejects_unknown_keys_and_bad_objectives)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "{\"objectives\": [], \"window\": \"10s\"}",
		  "sla file 'f': unknown key 'window' (known: objectives)" },
		{ "{\"objective\": [{\"expr\": \"p99 < 1ms\"}]}",
		  "sla file 'f': unknown key 'objective' (known: objectives)" },
		{ "{\"objectives\": [{\"expr\": \"p99 < 1ms\", \"bund\": \"1ms\"}]}",
		  "sla file 'f': objective 1: unknown key 'bund' (known: name, expr, selector, "
		  "metric, op, bound)" },
		{ "[]", "sla file 'f': the top level must be an object: {\"objectives\": [...]}" },
		{ "{}", "sla file 'f': \"objectives\" must be a non-empty array" },
		{ "{\"objectives\": []}",
		  "sla file 'f': \"objectives\" must be a non-empty array" },
		{ "{\"objectives\": {}}",
		  "sla file 'f': \"objectives\" must be a non-empty array" },
		{ "{\"objectives\": [1]}", "sla file 'f': objective 1: must be an object" },
		{ "{\"objectives\": [{\"expr\": \"p99 < 1ms\"}, {\"metric\": \"p99\", \"op\": "
		  "\"<\"}]}",
		  "sla file 'f': objective 2: missing \"bound\" (or give the objective as "
		  "\"expr\")" },
		{ "{\"objectives\": [{\"expr\": \"p99 < 1ms\", \"metric\": \"p99\"}]}",
		  "sla file 'f': objective 1: \"expr\" and \"metric\" both given (use one form)" },
		{ "{\"objectives\": [{\"expr\": 5}]}",
		  "sla file 'f': objective 1: \"expr\" must be a string" },
		{ "{\"objectives\": [{\"metric\": \"p99\", \"op\": \"<\", \"bound\": true}]}",
		  "sla file 'f': objective 1: \"bound\" must be a string or a number" },
		{ "{\"objectives\": [{\"metric\": \"p99\", \"op\": \"<\", \"bound\": 200}]}",
		  "sla file 'f': objective 1: bad bound '200' in \"bound\": a latency bound needs "
		  "a "
		  "unit, e.g. 200ms" },
		{ "{\"objectives\": [{\"name\": \"api\", \"metric\": \"p99\", \"op\": \"<\", "
		  "\"bound\": \"2xs\"}]}",
		  "sla file 'f': objective 1 (\"api\"): bad bound '2xs' in \"bound\"" },
		{ "{\"objectives\": [{\"metric\": \"p99\", \"op\": \"=\", \"bound\": \"2ms\"}]}",
		  "sla file 'f': objective 1: bad operator '=' in \"op\": use <, <=, > or >=" },
		{ "{\"objectives\": [{\"metric\": \"latency\", \"op\": \"<\", \"bound\": "
		  "\"2ms\"}]}",
		  "sla file 'f': objective 1: unknown metric 'latency' in \"metric\": known "
		  "metrics: "
		  "pN (p50, p99.9), mean, max, error_rate, availability, throughput, count" },
		{ "{\"objectives\": [{\"selector\": \"port x\", \"metric\": \"p99\", \"op\": "
		  "\"<\", "
		  "\"bound\": \"2ms\"}]}",
		  "sla file 'f': objective 1: bad port 'x' in \"selector\": a number from 1 to "
		  "65535" },
		{ "{\"objectives\": [{\"selector\": \"GET /x:\", \"metric\": \"p99\", \"op\": "
		  "\"<\", "
		  "\"bound\": \"2ms\"}]}",
		  "sla file 'f': objective 1: bad selector 'GET /x:' in \"selector\": the selector "
		  "field takes no ':'" },
		{ "{\"objectives\": [{\"expr\": \"p99 < 1ms\"}, {\"expr\": \"p99 < 2xs\"}]}",
		  "sla file 'f': objective 2: 'p99 < 2xs': bad bound '2xs' at column 7" },
		{ "{\"objectives\": [{\"name\": \"x\", \"expr\": \"p99 < 2xs\"}]}",
		  "sla file 'f': objective 1 (\"x\"): 'p99 < 2xs': bad bound '2xs' at column 7" },
		{ "{\"objectives\": [{\"name\": \"\", \"expr\": \"p99 < 1ms\"}]}",
		  "sla file 'f': objective 1: \"name\" must have 1 to 255 bytes" },
		{ "{\"objectives\": [{\"name\": \"a\\nb\", \"expr\": \"p99 < 1ms\"}]}",
		  "sla file 'f': objective 1: control character in \"name\"" },
		{ "{\"objectives\": [{\"expr\": \"p99 < 1ms\\u0000\"}]}",
		  "sla file 'f': objective 1: NUL character in \"expr\"" },
		{ "{\"objectives\": [{\"metric\": \"p99\", \"op\": \"<\", \"bound\": "
		  "\"1m\\u00e9\"}]}",
		  "sla file 'f': objective 1: unexpected byte 0xc3 in \"bound\"" },
	};

	for (unsigned i = 0; i < NELEM(bad); i++) {
		struct sla_set set = { 0 };
		char err[SLA_ERR_MAX] = "";

		CHECK(!sla_set_add_expr(&set, "mean < 1s", err, sizeof(err)));
		CHECK_MSG(sla_parse_json_text(&set, bad[i].text, strlen(bad[i].text), "f", err,
					      sizeof(err)) == -EINVAL,
			  "'%s' accepted", bad[i].text);
		CHECK_STR(err, bad[i].msg);
		/* all or nothing: the set is as it was */
		CHECK_EQ_INT(set.n, 1);
		sla_set_clear(&set);
	}
}

TEST(sla_file_limits_objectives)
{
	struct sla_set set = { 0 };
	char err[SLA_ERR_MAX] = "", *text = malloc(65536);
	size_t len = 0;

	CHECK(text);
	len += (size_t)sprintf(text + len, "{\"objectives\": [");
	for (int i = 0; i < SLA_MAX_OBJECTIVES + 1; i++)
		len += (size_t)sprintf(text + len, "%s{\"expr\": \"p%d < 1ms\"}", i ? "," : "",
				       i % 100 + 1);
	len += (size_t)sprintf(text + len, "]}");
	CHECK_EQ_INT(sla_parse_json_text(&set, text, len, "f", err, sizeof(err)), -EINVAL);
	free(text);
	CHECK_STR(err, "sla file 'f': too many objectives (at most 64)");
	for (int i = 0; i < SLA_MAX_OBJECTIVES; i++)
		CHECK(!sla_set_add_expr(&set, "p99 < 1ms", err, sizeof(err)));
	CHECK_EQ_INT(sla_set_add_expr(&set, "p99 < 1ms", err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "sla: too many objectives (at most 64)");
	CHECK_EQ_INT(set.n, SLA_MAX_OBJECTIVES);
	sla_set_clear(&set);
}

TEST(sla_load_file_reads_a_file_and_names_a_missing_one)
{
	char path[] = "/tmp/slatrace-sla-test.XXXXXX", err[SLA_ERR_MAX] = "";
	struct sla_set set = { 0 };
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(write(fd, good_file, strlen(good_file)) == (ssize_t)strlen(good_file));
	close(fd);
	CHECK_MSG(!sla_load_file(&set, path, err, sizeof(err)), "%s", err);
	unlink(path);
	CHECK_EQ_INT(set.n, 5);
	sla_set_clear(&set);
	CHECK_EQ_INT(sla_load_file(&set, path, err, sizeof(err)), -ENOENT);
	CHECK_MSG(!strncmp(err, "cannot read SLA file '/tmp/slatrace-sla-test.", 45) &&
		      strstr(err, "': No such file or directory"),
		  "%s", err);
	CHECK_EQ_INT(sla_load_file(&set, "/tmp", err, sizeof(err)), -EISDIR);
	CHECK_STR(err, "cannot read SLA file '/tmp': Is a directory");
}

/* ---------- evaluation ---------- */

TEST(sla_p99_fails_with_150_percent_of_budget)
{
	/* 1000 requests, 15 of them at 250 ms: 1% = 10 may be >= 200 ms */
	struct model *m = one_series(985, 100 * MS, 15, 250 * MS, 0);
	struct sla_result r;

	CHECK(m);
	CHECK(!evaluate("p99 < 200ms", m, &r));
	CHECK(r.status == SLA_FAIL);
	CHECK_EQ_INT(r.matched, 1);
	CHECK_EQ_U64(r.count, 1000);
	CHECK_MSG(fabs(r.value - 250e6) <= 250e6 * 0.016, "p99 %g", r.value);
	CHECK(r.has_budget);
	CHECK_EQ_U64(r.bad, 15);
	CHECK(r.allowed == 10.0);
	CHECK(r.consumed == 1.5);
	model_free(m);
}

TEST(sla_p99_passes_at_exactly_its_budget)
{
	struct model *m = one_series(990, 100 * MS, 10, 250 * MS, 0);
	struct sla_result r;

	CHECK(m);
	CHECK(!evaluate("p99 < 200ms", m, &r));
	CHECK(r.status == SLA_PASS);
	CHECK_EQ_U64(r.bad, 10);
	CHECK(r.consumed == 1.0);
	/* p99.9 of the same: 1 may be over, 10 are */
	CHECK(!evaluate("p99.9 < 200ms", m, &r));
	CHECK(r.status == SLA_FAIL);
	CHECK(r.allowed == 1.0);
	CHECK(r.consumed == 10.0);
	/* a floor has no budget */
	CHECK(!evaluate("p50 > 1ms", m, &r));
	CHECK(r.status == SLA_PASS && !r.has_budget);
	model_free(m);
}

TEST(sla_availability_fails_with_200_percent_of_budget)
{
	/* 2 failed of 1000 against 99.9%: 1 may fail */
	struct model *m = one_series(998, 1 * MS, 0, 0, 2);
	struct sla_result r;

	CHECK(m);
	CHECK(!evaluate("availability >= 99.9%", m, &r));
	CHECK(r.status == SLA_FAIL);
	CHECK_EQ_U64(r.count, 1000);
	CHECK(r.value == 0.998);
	CHECK_EQ_U64(r.bad, 2);
	CHECK(r.allowed == 1.0);
	CHECK(r.consumed == 2.0);
	CHECK(!evaluate("availability >= 99.8%", m, &r));
	CHECK(r.status == SLA_PASS && r.consumed == 1.0);
	CHECK(!evaluate("availability > 99.8%", m, &r));
	CHECK(r.status == SLA_FAIL);
	CHECK(!evaluate("error_rate <= 0.2%", m, &r));
	CHECK(r.status == SLA_PASS && r.value == 0.002 && r.allowed == 2.0 && r.consumed == 1.0);
	CHECK(!evaluate("error_rate < 0.2%", m, &r));
	CHECK(r.status == SLA_FAIL);
	CHECK(!evaluate("error_rate < 1%", m, &r));
	CHECK(r.status == SLA_PASS && r.allowed == 10.0 && r.consumed == 0.2);
	/* no budget at all: any error exhausts it */
	CHECK(!evaluate("availability >= 100%", m, &r));
	CHECK(r.status == SLA_FAIL && r.allowed == 0 && isinf(r.consumed));
	model_free(m);
}

TEST(sla_error_rate_counts_5xx_and_failed)
{
	struct model *m = one_series(1000, 1 * MS, 0, 0, 0);
	struct sla_result r;

	CHECK(m);
	/* 5 answered with 500 (in the histogram), 5 failed (not) */
	m->series[0]->errors = 5;
	m->series[0]->failed = 5;
	m->series[0]->errors += 5;
	CHECK(!evaluate("error_rate < 1%", m, &r));
	CHECK_EQ_U64(r.count, 1005);
	CHECK(r.value == 10.0 / 1005);
	CHECK(r.status == SLA_PASS);
	CHECK_EQ_U64(r.bad, 10);
	CHECK(near(r.allowed, 10.05));
	model_free(m);
}

TEST(sla_budget_counts_a_straddling_bucket_by_its_midpoint)
{
	/* 200 ms sits in the bucket [197132288, 201326592) whose midpoint,
	 * 199229439 ns, is what p99 reports: under 200 ms, so these pass */
	struct model *m = one_series(1000, 200 * MS, 0, 0, 0);
	struct sla_result r;

	CHECK(m);
	CHECK(!evaluate("p99 < 200ms", m, &r));
	CHECK_EQ_U64((uint64_t)r.value, 199229439);
	CHECK(r.status == SLA_PASS);
	CHECK_EQ_U64(r.bad, 0);
	CHECK(!evaluate("p99 < 199ms", m, &r));
	CHECK(r.status == SLA_FAIL);
	CHECK_EQ_U64(r.bad, 1000);
	CHECK(r.consumed == 100.0);
	/* <= and < differ only at the reported value itself */
	CHECK(!evaluate("p99 <= 199229439ns", m, &r));
	CHECK(r.status == SLA_PASS && r.bad == 0);
	CHECK(!evaluate("p99 < 199229439ns", m, &r));
	CHECK(r.status == SLA_FAIL && r.bad == 1000);
	model_free(m);
}

static uint64_t rng = 42;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * The truth here is the raw samples themselves: the nearest-rank percentile
 * and the number of requests over the bound, computed from the values put
 * into the histogram, not from anything sla_evaluate() returns. Where the
 * bound shares a bucket with a sample the histogram cannot tell which side
 * that sample is on: such draws are skipped and counted, and most are not.
 */
struct raw_sample {
	uint64_t v, n;
};

static int raw_cmp(const void *a, const void *b)
{
	const struct raw_sample *x = a, *y = b;

	return x->v < y->v ? -1 : x->v > y->v;
}

TEST(sla_latency_verdict_and_budget_match_the_raw_samples)
{
	struct model *m = one_series(0, 0, 0, 0, 0);
	int checked = 0, ambiguous = 0;

	CHECK(m);
	for (int iter = 0; iter < 3000; iter++) {
		struct series *s = m->series[0];
		struct raw_sample raw[6];
		struct sla_objective o;
		struct sla_result r;
		uint64_t pct, bound, total = 0, rank, seen = 0, pv = 0, bad = 0;
		int nraw = 1 + (int)(rnd() % 6), le = (int)(rnd() % 2), shared = 0;
		char expr[96];

		hist_reset(&s->hist);
		for (int k = 0; k < nraw; k++) {
			raw[k].v = rnd() % 4 ? 1000 + rnd() % 300000000 : rnd() % 50;
			raw[k].n = 1 + rnd() % (rnd() % 3 ? 50 : 5000);
			hist_add_n(&s->hist, raw[k].v, raw[k].n);
			total += raw[k].n;
		}
		/* percentiles in thousandths of a percent, as objectives are written */
		switch (rnd() % 4) {
		case 0:
			pct = 100000000;
			break;
		case 1:
			pct = (1 + rnd() % 100) * 1000000;
			break;
		default:
			pct = 90000000 + rnd() % 10000 * 1000;
			break;
		}
		/* near a sample (one below, at, one above) or anywhere */
		bound = rnd() % 2 ? raw[rnd() % (uint64_t)nraw].v + rnd() % 3 : 2 + rnd() % 320000000;
		bound = bound > 1 ? bound - 1 : 1;
		for (int k = 0; k < nraw; k++)
			shared |= slt_hist_slot(raw[k].v) == slt_hist_slot(bound);
		/* p100 is the max itself, exact whatever the buckets */
		if (shared && pct != 100000000) {
			ambiguous++;
			continue;
		}
		qsort(raw, (size_t)nraw, sizeof(raw[0]), raw_cmp);
		rank = (uint64_t)(((unsigned __int128)pct * total + 99999999) / 100000000);
		for (int k = 0; k < nraw; k++) {
			seen += raw[k].n;
			if (!pv && seen >= rank)
				pv = raw[k].v;
			if (le ? raw[k].v > bound : raw[k].v >= bound)
				bad += raw[k].n;
		}
		if (pct == 100000000 && shared) {
			/* only the max is exact: the budget of its bucket-mates is not */
			bad = le ? raw[nraw - 1].v > bound : raw[nraw - 1].v >= bound;
		}
		snprintf(expr, sizeof(expr), "p%llu.%06llu %s %lluns",
			 (unsigned long long)(pct / 1000000), (unsigned long long)(pct % 1000000),
			 le ? "<=" : "<", (unsigned long long)bound);
		CHECK(!parse(expr, &o));
		sla_evaluate(&o, m, &r);
		CHECK(r.status != SLA_NO_DATA && r.has_budget);
		CHECK_EQ_U64(r.count, total);
		CHECK_MSG((r.status == SLA_PASS) == (le ? pv <= bound : pv < bound),
			  "'%s': %s, but the raw p is %llu ns", expr, sla_status_name(r.status),
			  (unsigned long long)pv);
		if (pct == 100000000 && shared) {
			CHECK_MSG((r.bad > 0) == (bad > 0), "'%s': %llu bad, the raw max says %llu",
				  expr, (unsigned long long)r.bad, (unsigned long long)bad);
		} else {
			CHECK_MSG(r.bad == bad, "'%s': %llu bad, the raw samples have %llu", expr,
				  (unsigned long long)r.bad, (unsigned long long)bad);
		}
		/* and the two readings of one objective agree, as documented */
		CHECK((r.status == SLA_PASS) == (r.consumed <= 1.0));
		checked++;
	}
	CHECK_MSG(checked >= 1500, "only %d of 3000 draws were unambiguous (%d shared a bucket)",
		  checked, ambiguous);
	model_free(m);
}

TEST(sla_selectors_pick_their_series)
{
	static const struct {
		const char *expr;
		int matched;
		uint64_t count;
	} sel[] = {
		{ "GET /api/*: count > 0", 1, 100 },
		{ "/api/*: count > 0", 2, 200 },
		{ "POST /api/*: count > 0", 1, 100 },
		{ "GET /*: count > 0", 3, 250 },
		{ "port 8080: count > 0", 3, 300 },
		{ "port 5432: count > 0", 1, 50 },
		{ "process nginx: count > 0", 3, 300 },
		{ "process ng*: count > 0", 3, 300 },
		{ "class *:8080 GET*: count > 0", 2, 200 },
		{ "syscall read: count > 0", 1, 1000 },
		{ "syscall: count > 0", 2, 1010 },
		{ "syscall *e*: count > 0", 2, 1010 },
		{ "count > 0", 4, 350 },
		{ "request: count > 0", 4, 350 },
		{ "runq: count > 0", 0, 0 },
		{ "/nothing: count > 0", 0, 0 },
		{ "port 80: count > 0", 0, 0 },
	};
	struct model *m = shop();

	CHECK(m);
	for (unsigned i = 0; i < NELEM(sel); i++) {
		struct sla_result r;

		CHECK(!evaluate(sel[i].expr, m, &r));
		CHECK_MSG(r.matched == sel[i].matched, "'%s' matched %d, want %d", sel[i].expr,
			  r.matched, sel[i].matched);
		CHECK_MSG(r.count == sel[i].count, "'%s' counted %llu", sel[i].expr,
			  (unsigned long long)r.count);
		CHECK(r.status == (sel[i].matched ? SLA_PASS : SLA_NO_DATA));
	}
	model_free(m);
}

TEST(sla_metrics_measure_what_they_say)
{
	static const struct {
		const char *expr;
		enum sla_status status;
		double value;
	} cases[] = {
		{ "GET /health: mean < 2ms", SLA_PASS, 1e6 },
		{ "mean < 10ms", SLA_FAIL, (100 * 10e6 + 100 * 50e6 + 100 * 1e6 + 50 * 3e6) / 350 },
		{ "syscall write: max < 100us", SLA_FAIL, 100000 },
		{ "syscall write: max <= 100us", SLA_PASS, 100000 },
		{ "throughput >= 35/s", SLA_PASS, 35 },
		{ "throughput > 35/s", SLA_FAIL, 35 },
		{ "throughput >= 2100/min", SLA_PASS, 35 },
		{ "port 5432: throughput < 5rps", SLA_FAIL, 5 },
		{ "count >= 350", SLA_PASS, 350 },
		{ "count > 350", SLA_FAIL, 350 },
		{ "syscall: count < 1011", SLA_PASS, 1010 },
		{ "availability >= 100%", SLA_PASS, 1 },
		{ "error_rate <= 0%", SLA_PASS, 0 },
	};
	struct model *m = shop();

	CHECK(m);
	for (unsigned i = 0; i < NELEM(cases); i++) {
		struct sla_result r;

		CHECK(!evaluate(cases[i].expr, m, &r));
		CHECK_MSG(r.status == cases[i].status, "'%s': %s", cases[i].expr,
			  sla_status_name(r.status));
		CHECK_MSG(near(r.value, cases[i].value), "'%s': %.17g, want %.17g", cases[i].expr,
			  r.value, cases[i].value);
	}
	model_free(m);
}

TEST(sla_no_data_is_not_a_pass)
{
	struct model *m = model_new();
	struct sla_set set = { 0 };
	struct sla_result r[3];
	struct series *s;

	CHECK(m);
	m->meta.duration_ns = 1000 * MS;
	/* nothing matched */
	CHECK(!evaluate("runq p99 < 2ms", m, &r[0]));
	CHECK(r[0].status == SLA_NO_DATA && r[0].matched == 0 && !r[0].has_budget);
	CHECK(!evaluate("throughput >= 1/s", m, &r[0]));
	CHECK(r[0].status == SLA_NO_DATA);
	/* a series that saw no requests */
	s = req(m, "api", "80", "GET", "/");
	CHECK(s);
	CHECK(!evaluate("p99 < 2ms", m, &r[0]));
	CHECK(r[0].status == SLA_NO_DATA && r[0].matched == 1);
	CHECK(!evaluate("availability >= 99%", m, &r[0]));
	CHECK(r[0].status == SLA_NO_DATA);
	/* ... but its throughput and count were measured: zero */
	CHECK(!evaluate("throughput >= 1/s", m, &r[0]));
	CHECK(r[0].status == SLA_FAIL && r[0].value == 0);
	CHECK(!evaluate("count < 1", m, &r[0]));
	CHECK(r[0].status == SLA_PASS);
	/* only failed requests: no latency, availability 0 */
	s->failed = s->errors = 3;
	CHECK(!evaluate("p99 < 2ms", m, &r[0]));
	CHECK(r[0].status == SLA_NO_DATA);
	CHECK(!evaluate("availability >= 99%", m, &r[0]));
	CHECK(r[0].status == SLA_FAIL && r[0].value == 0 && r[0].consumed == 100.0);
	/* throughput needs a period */
	m->meta.duration_ns = 0;
	CHECK(!evaluate("throughput >= 1/s", m, &r[0]));
	CHECK(r[0].status == SLA_NO_DATA);

	/* the verdict */
	m->meta.duration_ns = 1000 * MS;
	CHECK(!sla_set_add_expr(&set, "count > 0", NULL, 0));
	CHECK(!sla_set_add_expr(&set, "runq p99 < 2ms", NULL, 0));
	sla_evaluate_all(&set, m, r);
	CHECK(r[0].status == SLA_PASS && r[1].status == SLA_NO_DATA);
	CHECK(sla_verdict(&set, r) == SLA_NO_DATA);
	CHECK(!sla_set_add_expr(&set, "count > 5", NULL, 0));
	sla_evaluate_all(&set, m, r);
	CHECK(sla_verdict(&set, r) == SLA_FAIL);
	set.n = 1;
	CHECK(sla_verdict(&set, r) == SLA_PASS);
	set.n = 0;
	CHECK(sla_verdict(&set, r) == SLA_PASS);
	sla_set_clear(&set);
	model_free(m);
}

/* ---------- windows ---------- */

/* one window of 1000 requests, `slow` of them at 500 ms; none when n == 0 */
static struct model *window_model(uint64_t n, uint64_t slow)
{
	struct model *m = model_new();
	struct series *s = m ? req(m, "api", "8080", "GET", "/x") : NULL;

	if (!s) {
		model_free(m);
		return NULL;
	}
	hist_add_n(&s->hist, 10 * MS, n - slow);
	hist_add_n(&s->hist, 500 * MS, slow);
	return m;
}

TEST(sla_windows_report_each_breach_episode_once)
{
	/* pass, fail, fail, pass, fail: two episodes */
	static const uint64_t slow[] = { 0, 20, 30, 5, 100 };
	struct sla_set set = { 0 };
	struct sla_tracker *t;
	struct sla_breach b[2];
	const struct sla_window_stats *st;
	uint64_t episodes = 0, breach_windows[5] = { 0 };

	CHECK(!sla_set_add_expr(&set, "p99 < 100ms", NULL, 0));
	CHECK(!sla_set_add_expr(&set, "count >= 1", NULL, 0));
	t = sla_tracker_new(&set);
	CHECK(t);
	for (int w = 0; w < 5; w++) {
		struct model *m = window_model(1000, slow[w]);
		int n;

		CHECK(m);
		n = sla_tracker_window(t, m, w * 10000 * MS, (w + 1) * 10000 * MS, b, 2);
		model_free(m);
		CHECK(n >= 0 && n <= 1);
		if (n) {
			CHECK_EQ_INT(b[0].index, 0);
			CHECK(b[0].obj == &set.obj[0]);
			CHECK_EQ_U64(b[0].episode, episodes + 1);
			CHECK_EQ_U64(b[0].window_start_ns, w * 10000 * MS);
			CHECK_EQ_U64(b[0].window_end_ns, (w + 1) * 10000 * MS);
			CHECK(b[0].result.status == SLA_FAIL);
			/* burn rate: slow / 1000 of the 1% allowed */
			CHECK(b[0].result.consumed == (double)slow[w] / 10);
			breach_windows[episodes++] = (uint64_t)w;
		}
	}
	CHECK_EQ_U64(episodes, 2);
	CHECK_EQ_U64(breach_windows[0], 1);
	CHECK_EQ_U64(breach_windows[1], 4);
	CHECK_EQ_U64(sla_tracker_windows(t), 5);
	st = sla_tracker_stats(t, 0);
	CHECK(st);
	CHECK_EQ_U64(st->windows, 5);
	CHECK_EQ_U64(st->met, 2);
	CHECK_EQ_U64(st->failed, 3);
	CHECK_EQ_U64(st->no_data, 0);
	CHECK_EQ_U64(st->breaches, 2);
	CHECK(st->in_breach && st->last_status == SLA_FAIL);
	CHECK(st->last_burn_valid && st->last_burn == 10.0);
	st = sla_tracker_stats(t, 1);
	CHECK(st->met == 5 && st->breaches == 0 && !st->last_burn_valid);
	CHECK(!sla_tracker_stats(t, 2) && !sla_tracker_stats(t, -1));
	sla_tracker_free(t);
	sla_set_clear(&set);
}

TEST(sla_windows_without_data_neither_end_nor_start_an_episode)
{
	/* no data, fail, no data, fail, pass, no data, fail */
	static const int kind[] = { 0, 2, 0, 2, 1, 0, 2 };
	static const int want[] = { 0, 1, 0, 0, 0, 0, 1 };
	struct sla_set set = { 0 };
	struct sla_tracker *t;
	struct sla_breach b[1];
	const struct sla_window_stats *st;

	CHECK(!sla_set_add_expr(&set, "p99 < 100ms", NULL, 0));
	t = sla_tracker_new(&set);
	CHECK(t);
	for (unsigned w = 0; w < NELEM(kind); w++) {
		struct model *m = kind[w] ? window_model(100, kind[w] == 2 ? 50 : 0) : model_new();
		int n;

		CHECK(m);
		n = sla_tracker_window(t, m, w, w + 1, b, 1);
		model_free(m);
		CHECK_MSG(n == want[w], "window %u: %d breaches", w, n);
	}
	st = sla_tracker_stats(t, 0);
	CHECK_EQ_U64(st->windows, 7);
	CHECK_EQ_U64(st->met, 1);
	CHECK_EQ_U64(st->failed, 3);
	CHECK_EQ_U64(st->no_data, 3);
	CHECK_EQ_U64(st->breaches, 2);
	sla_tracker_free(t);
	sla_set_clear(&set);
}

TEST(sla_window_of_a_delta_ignores_the_runs_earlier_max)
{
	/* window 1: one request of 2 s; window 2: one of 5 ms. The delta's
	 * max is bounded by its own top bucket, not the run's 2 s; window 2
	 * must pass. */
	struct model *now = one_series(1, 2000 * MS, 0, 0, 0), *before, *d;
	struct sla_set set = { 0 };
	struct sla_tracker *t;
	struct sla_breach b[2];
	const struct sla_window_stats *st;

	CHECK(now);
	CHECK(!sla_set_add_expr(&set, "p99 < 100ms", NULL, 0));
	CHECK(!sla_set_add_expr(&set, "max < 100ms", NULL, 0));
	t = sla_tracker_new(&set);
	CHECK(t);
	CHECK_EQ_INT(sla_tracker_window(t, now, 0, 1000 * MS, b, 2), 2);
	before = model_clone(now);
	CHECK(before);
	hist_add(&now->series[0]->hist, 5 * MS);
	d = model_delta(now, before);
	CHECK(d);
	CHECK(d->series[0]->hist.max >= 5 * MS && d->series[0]->hist.max < 5 * MS * 33 / 32);
	CHECK_EQ_INT(sla_tracker_window(t, d, 1000 * MS, 2000 * MS, b, 2), 0);
	for (int i = 0; i < 2; i++) {
		st = sla_tracker_stats(t, i);
		CHECK_MSG(st->last_status == SLA_PASS, "objective %d: %s", i,
			  sla_status_name(st->last_status));
	}
	model_free(d);
	model_free(before);
	model_free(now);
	sla_tracker_free(t);
	sla_set_clear(&set);
}

/* ---------- output ---------- */

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* p99 fails (150%), availability passes, runq has no data; two windows */
static int sample_run(struct sla_set *set, struct sla_result *r, struct sla_tracker **t)
{
	struct model *m = one_series(985, 100 * MS, 15, 250 * MS, 0), *w;
	struct sla_breach b[3];

	if (!m || sla_set_add_expr(set, "p99 < 200ms", NULL, 0) ||
	    parse_text(set,
		       "{\"objectives\": [{\"name\": \"uptime\", \"expr\": \"availability "
		       ">= 99.9%\"}]}",
		       (size_t)-1, NULL, NULL, 0) ||
	    sla_set_add_expr(set, "runq p99 < 2ms", NULL, 0)) {
		model_free(m);
		return -1;
	}
	sla_evaluate_all(set, m, r);
	*t = sla_tracker_new(set);
	w = one_series(995, 100 * MS, 5, 250 * MS, 0);
	if (!*t || !w) {
		model_free(m);
		model_free(w);
		return -1;
	}
	sla_tracker_window(*t, m, 0, 5000 * MS, b, 3);
	sla_tracker_window(*t, w, 5000 * MS, 10000 * MS, b, 3);
	model_free(w);
	model_free(m);
	return 0;
}

TEST(sla_text_section_has_one_line_per_objective)
{
	struct sla_set set = { 0 };
	struct sla_result r[3];
	struct sla_tracker *t = NULL;
	char *text = NULL, *line;
	size_t len = 0;
	FILE *f;

	CHECK(!parse_text(&set, "{\"objectives\": [{\"expr\": \"p99 < 200ms\"}]}", (size_t)-1, NULL,
			  NULL, 0));
	sla_set_clear(&set);
	CHECK(!sample_run(&set, r, &t));
	f = open_memstream(&text, &len);
	CHECK(f);
	print_sla_plain(f, &set, r, t);
	fclose(f);
	line = strtok(text, "\n");
	CHECK_STR(line, "SLA: FAIL, 1 of 3 objectives failed, 1 had no data");
	line = strtok(NULL, "\n");
	CHECK(line && strstr(line, "STATUS") && strstr(line, "OBJECTIVE") &&
	      strstr(line, "BUDGET USED") && strstr(line, "WINDOWS MET") &&
	      strstr(line, "LAST BURN"));
	line = strtok(NULL, "\n");
	CHECK_MSG(line && !strncmp(line, "  FAIL     p99 < 200ms", 22) &&
		      strstr(line, "249.56ms") && strstr(line, " 150.0% ") &&
		      strstr(line, " 1/2 ") && strstr(line, " 0.50"),
		  "%s", line);
	line = strtok(NULL, "\n");
	CHECK_MSG(line && !strncmp(line, "  PASS     availability >= 99.9%", 32) &&
		      strstr(line, "100.00%") && strstr(line, " 0.0% ") && strstr(line, " 2/2 ") &&
		      strstr(line, "  uptime"),
		  "%s", line);
	line = strtok(NULL, "\n");
	CHECK_MSG(line && !strncmp(line, "  NO DATA  runq: p99 < 2ms", 26) &&
		      strstr(line, "(no series matched)"),
		  "%s", line);
	line = strtok(NULL, "\n");
	CHECK(line && strstr(line, "windows met"));
	CHECK(!strtok(NULL, "\n"));
	free(text);

	/* without windows, and all passing */
	text = NULL;
	f = open_memstream(&text, &len);
	CHECK(f);
	set.n = 2;
	r[0].status = SLA_PASS;
	print_sla_plain(f, &set, r, NULL);
	fclose(f);
	CHECK_MSG(!strncmp(text, "SLA: PASS, 2 of 2 objectives met\n", 33), "%s", text);
	CHECK(!strstr(text, "WINDOWS"));
	free(text);
	sla_tracker_free(t);
	sla_set_clear(&set);
}

TEST(sla_json_object_has_every_field)
{
	struct sla_set set = { 0 };
	struct sla_result r[3];
	struct sla_tracker *t = NULL;
	struct json_object *root, *objs, *o, *b, *w;

	CHECK(!sample_run(&set, r, &t));
	root = sla_json(&set, r, t);
	CHECK(json_object_is_type(get(root, "passed"), json_type_boolean));
	CHECK(!json_object_get_boolean(get(root, "passed")));
	CHECK_STR(str(root, "verdict"), "fail");
	CHECK_EQ_INT(json_object_get_int(get(root, "objectives_failed")), 1);
	CHECK_EQ_INT(json_object_get_int(get(root, "objectives_no_data")), 1);
	CHECK_EQ_INT(json_object_get_int(get(root, "objectives_passed")), 1);
	CHECK_EQ_U64(json_object_get_uint64(get(root, "windows")), 2);
	objs = get(root, "objectives");
	CHECK(json_object_is_type(objs, json_type_array) && json_object_array_length(objs) == 3);

	o = json_object_array_get_idx(objs, 0);
	CHECK_STR(str(o, "name"), "p99 < 200ms");
	CHECK_STR(str(o, "objective"), "p99 < 200ms");
	CHECK_STR(str(o, "selector"), "");
	CHECK_STR(str(o, "family"), "request");
	CHECK_STR(str(o, "metric"), "p99");
	CHECK_STR(str(o, "op"), "<");
	CHECK_STR(str(o, "bound"), "200ms");
	CHECK_EQ_U64(json_object_get_uint64(get(o, "bound_value")), 200 * MS);
	CHECK_STR(str(o, "unit"), "ns");
	CHECK_STR(str(o, "status"), "fail");
	CHECK(!json_object_get_boolean(get(o, "passed")));
	CHECK(json_object_is_type(get(o, "value"), json_type_int));
	CHECK_EQ_U64(json_object_get_uint64(get(o, "value")), (uint64_t)r[0].value);
	CHECK_EQ_INT(json_object_get_int(get(o, "series_matched")), 1);
	CHECK_EQ_U64(json_object_get_uint64(get(o, "count")), 1000);
	b = get(o, "budget");
	CHECK_EQ_U64(json_object_get_uint64(get(b, "bad")), 15);
	CHECK(json_object_get_double(get(b, "allowed")) == 10.0);
	CHECK(json_object_get_double(get(b, "consumed")) == 1.5);
	w = get(o, "windows");
	CHECK_EQ_U64(json_object_get_uint64(get(w, "total")), 2);
	CHECK_EQ_U64(json_object_get_uint64(get(w, "met")), 1);
	CHECK_EQ_U64(json_object_get_uint64(get(w, "failed")), 1);
	CHECK_EQ_U64(json_object_get_uint64(get(w, "no_data")), 0);
	CHECK(json_object_get_double(get(w, "met_share")) == 0.5);
	CHECK_EQ_U64(json_object_get_uint64(get(w, "breaches")), 1);
	CHECK_STR(str(w, "last_status"), "pass");
	CHECK(json_object_get_double(get(w, "last_burn_rate")) == 0.5);

	o = json_object_array_get_idx(objs, 1);
	CHECK_STR(str(o, "name"), "uptime");
	CHECK_STR(str(o, "unit"), "ratio");
	CHECK(json_object_get_double(get(o, "bound_value")) == 0.999);
	CHECK(json_object_get_double(get(o, "value")) == 1.0);
	CHECK_STR(str(o, "status"), "pass");

	o = json_object_array_get_idx(objs, 2);
	CHECK_STR(str(o, "status"), "no_data");
	CHECK_STR(str(o, "selector"), "runq");
	CHECK_STR(str(o, "family"), "runq");
	CHECK(json_object_object_get_ex(o, "value", NULL) && !get(o, "value"));
	CHECK(json_object_object_get_ex(o, "budget", NULL) && !get(o, "budget"));
	w = get(o, "windows");
	CHECK(json_object_object_get_ex(w, "met_share", NULL) && !get(w, "met_share"));
	CHECK(json_object_object_get_ex(w, "last_burn_rate", NULL) && !get(w, "last_burn_rate"));
	/* what it prints is JSON: no Infinity, no NaN */
	b = json_tokener_parse(json_object_to_json_string(root));
	CHECK(b);
	json_object_put(b);
	json_object_put(root);

	/* without windows: no window fields */
	root = sla_json(&set, r, NULL);
	CHECK(!json_object_object_get_ex(root, "windows", NULL));
	CHECK(!json_object_object_get_ex(json_object_array_get_idx(get(root, "objectives"), 0),
					 "windows", NULL));
	json_object_put(root);
	sla_tracker_free(t);
	sla_set_clear(&set);
}

TEST(sla_breach_goes_to_the_hook_as_json_and_environment)
{
	struct sla_set set = { 0 };
	struct sla_tracker *t;
	struct sla_breach b[1];
	struct model *m = window_model(1000, 20);
	struct json_object *j, *parsed;
	char vars[SLA_ENV_N][SLA_ENV_LEN];
	static const char *const want[SLA_ENV_N] = {
		"SLATRACE_OBJECTIVE=GET /x: p99 < 100ms",
		"SLATRACE_NAME=checkout",
		"SLATRACE_METRIC=p99",
		"SLATRACE_OP=<",
		"SLATRACE_VALUE=499122175",
		"SLATRACE_VALUE_TEXT=499.12ms",
		"SLATRACE_BOUND=100000000",
		"SLATRACE_BOUND_TEXT=100ms",
		"SLATRACE_UNIT=ns",
		"SLATRACE_COUNT=1000",
		"SLATRACE_BURN_RATE=2.0000",
		"SLATRACE_WINDOW_START=1700000000000000000",
		"SLATRACE_WINDOW_END=1700000010000000000",
		"SLATRACE_EPISODE=1",
	};

	CHECK(m);
	CHECK(!parse_text(&set,
			  "{\"objectives\": [{\"name\": \"checkout\", \"selector\": \"GET "
			  "/x\", \"metric\": \"p99\", \"op\": \"<\", \"bound\": \"100ms\"}]}",
			  (size_t)-1, NULL, NULL, 0));
	t = sla_tracker_new(&set);
	CHECK(t);
	CHECK_EQ_INT(sla_tracker_window(t, m, 1700000000000000000ull, 1700000010000000000ull, b, 1),
		     1);
	model_free(m);

	j = sla_breach_json(&b[0]);
	parsed = json_tokener_parse(json_object_to_json_string(j));
	CHECK(parsed);
	CHECK_STR(str(parsed, "event"), "sla_breach");
	CHECK_STR(str(parsed, "objective"), "GET /x: p99 < 100ms");
	CHECK_STR(str(parsed, "name"), "checkout");
	CHECK_STR(str(parsed, "selector"), "GET /x");
	CHECK_STR(str(parsed, "metric"), "p99");
	CHECK_STR(str(parsed, "bound"), "100ms");
	CHECK_EQ_U64(json_object_get_uint64(get(parsed, "bound_value")), 100 * MS);
	CHECK_EQ_U64(json_object_get_uint64(get(parsed, "value")), 499122175);
	CHECK_STR(str(parsed, "value_text"), "499.12ms");
	CHECK_EQ_U64(json_object_get_uint64(get(parsed, "count")), 1000);
	CHECK(json_object_get_double(get(parsed, "burn_rate")) == 2.0);
	CHECK_EQ_U64(json_object_get_uint64(get(parsed, "window_start_ns")),
		     1700000000000000000ull);
	CHECK_EQ_U64(json_object_get_uint64(get(parsed, "window_end_ns")), 1700000010000000000ull);
	CHECK_EQ_U64(json_object_get_uint64(get(parsed, "episode")), 1);
	json_object_put(parsed);
	json_object_put(j);

	CHECK_EQ_INT(sla_breach_env(&b[0], vars, SLA_ENV_N), SLA_ENV_N);
	for (int i = 0; i < SLA_ENV_N; i++)
		CHECK_STR(vars[i], want[i]);
	/* a short array gets a prefix */
	memset(vars, 0, sizeof(vars));
	CHECK_EQ_INT(sla_breach_env(&b[0], vars, 3), 3);
	CHECK(!vars[3][0]);
	sla_tracker_free(t);
	sla_set_clear(&set);
}

/* The verdict line is written from the statuses alone: each combination of
 * pass, fail and no data gets exactly one "SLA:" line, and its counts are
 * the statuses counted here, not a stray line for a case that did not occur
 * (a passing run once also said "NO DATA, 0 of 3 objectives had no data"). */
TEST(sla_verdict_line_counts_each_status_combination)
{
	static const struct {
		enum sla_status st[3];
		const char *want;
	} cases[] = {
		{ { SLA_PASS, SLA_PASS, SLA_PASS }, "SLA: PASS, 3 of 3 objectives met" },
		{ { SLA_PASS, SLA_PASS, SLA_FAIL }, "SLA: FAIL, 1 of 3 objectives failed" },
		{ { SLA_FAIL, SLA_FAIL, SLA_NO_DATA },
		  "SLA: FAIL, 2 of 3 objectives failed, 1 had no data" },
		{ { SLA_PASS, SLA_NO_DATA, SLA_PASS },
		  "SLA: NO DATA, 1 of 3 objectives had no data (not a pass)" },
		{ { SLA_NO_DATA, SLA_NO_DATA, SLA_NO_DATA },
		  "SLA: NO DATA, 3 of 3 objectives had no data (not a pass)" },
	};
	struct sla_set set = { 0 };
	char err[SLA_ERR_MAX];

	CHECK(!sla_set_add_expr(&set, "p99 < 200ms", err, sizeof(err)));
	CHECK(!sla_set_add_expr(&set, "availability >= 99.9%", err, sizeof(err)));
	CHECK(!sla_set_add_expr(&set, "runq: p99 < 2ms", err, sizeof(err)));
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct sla_result r[3];
		char *text = NULL, *nl, *p;
		size_t len = 0;
		int nsla = 0;
		FILE *f;

		memset(r, 0, sizeof(r));
		for (int i = 0; i < 3; i++)
			r[i].status = cases[c].st[i];
		f = open_memstream(&text, &len);
		CHECK(f);
		print_sla_plain(f, &set, r, NULL);
		fclose(f);
		for (p = text; (p = strstr(p, "SLA:")); p++)
			nsla++;
		nl = strchr(text, '\n');
		if (nl)
			*nl = 0;
		CHECK_MSG(nsla == 1 && !strcmp(text, cases[c].want),
			  "case %zu: %d 'SLA:' lines, the first '%s', want one, '%s'", c, nsla,
			  text, cases[c].want);
		free(text);
	}
	sla_set_clear(&set);
}
