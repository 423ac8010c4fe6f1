// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The report reader (report/load.c): a model written by report_json() reads
 * back to the same model and the same JSON; every malformed, truncated or
 * foreign input is refused with one line that names the problem. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "harness.h"
#include "core/model.h"
#include "report/load.h"
#include "report/report.h"

/* syscalls and requests, with every optional part of the schema in use */
static struct model *full_model(void)
{
	struct model *m = model_new();
	struct series *s;

	if (!m)
		return NULL;
	snprintf(m->meta.host, sizeof(m->meta.host), "web-1");
	snprintf(m->meta.kernel, sizeof(m->meta.kernel), "6.1.0-test");
	snprintf(m->meta.target, sizeof(m->meta.target), "command 'x' and its children");
	snprintf(m->meta.families, sizeof(m->meta.families), "syscalls,requests");
	m->meta.start_realtime_ns = 1700000000123456789ull;
	m->meta.end_realtime_ns = 1700000002358024691ull;
	m->meta.duration_ns = 2234567891ull;
	m->meta.attach_ns = 150000123ull;
	m->meta.cmd_pid = 4242;
	m->meta.cmd_exited = 1;
	m->meta.cmd_status = 3 << 8;
	m->meta.procs_forked = 7;
	m->meta.procs_exited = 6;
	m->lost[0] = 11;
	m->lost[SLT_LOSS_UNDECODABLE] = 2;
	if (model_stat_add(m, "unparsed_payloads", 5) || model_stat_add(m, "in_flight_at_end", 1))
		goto fail;

	s = model_series(m, "syscall", "openat");
	if (!s || series_set_label(s, "syscall", "openat") || series_set_counter(s, "ENOENT", 49) ||
	    series_set_counter(s, "EACCES", 1))
		goto fail;
	for (uint64_t v = 1; v < 5000000; v = v * 3 + 1)
		hist_add_n(&s->hist, v, v % 7 + 1);
	hist_add(&s->hist, 1ull << 50); /* the open-ended top bucket */
	s->errors = 50;

	s = model_series(m, "request", "nginx :8080 GET /users/{id}");
	if (!s || series_set_label(s, "process", "nginx") || series_set_label(s, "port", "8080") ||
	    series_set_label(s, "method", "GET") || series_set_label(s, "route", "/users/{id}") ||
	    series_set_counter(s, "200", 900) || series_set_counter(s, "500", 30) ||
	    series_set_counter(s, "reset", 2) || !series_queue(s) || !series_service(s))
		goto fail;
	for (uint64_t i = 0; i < 930; i++) {
		hist_add(&s->hist, 1000000 + i * 1733);
		hist_add(s->queue, 20000 + i * 13);
		hist_add(s->service, 980000 + i * 1720);
	}
	s->failed = 2;
	s->errors = 32;

	/* a series with no latency at all: every request failed */
	s = model_series(m, "request", "nginx :8080 POST /upload");
	if (!s || series_set_counter(s, "no_response", 3))
		goto fail;
	s->failed = 3;
	s->errors = 3;
	return m;
fail:
	model_free(m);
	return NULL;
}

static char *to_json(const struct model *m)
{
	struct json_object *o = report_json(m);
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

static int load_str(const char *text, struct model **m, char *err, size_t len)
{
	return report_load_buf(text, strlen(text), "r.json", m, NULL, err, len);
}

TEST(load_round_trips_a_report_json_model)
{
	struct model *m = full_model(), *back = NULL;
	char *a = NULL, *b = NULL, err[512];
	const struct series *s, *t;
	int rc;

	CHECK(m);
	a = to_json(m);
	CHECK(a);
	rc = load_str(a, &back, err, sizeof(err));
	CHECK_MSG(rc == 0, "load failed: %s", err);
	CHECK_EQ_INT(back->nseries, 3);
	CHECK_STR(back->meta.host, "web-1");
	CHECK_STR(back->meta.families, "syscalls,requests");
	CHECK_EQ_U64(back->meta.duration_ns, m->meta.duration_ns);
	CHECK_EQ_U64(back->meta.start_realtime_ns, m->meta.start_realtime_ns);
	CHECK_EQ_INT(back->meta.cmd_status, m->meta.cmd_status);
	CHECK_EQ_U64(back->lost[SLT_LOSS_UNDECODABLE], 2);
	CHECK_EQ_U64(model_stat(back, "unparsed_payloads"), 5);
	for (int i = 0; i < m->nseries; i++) {
		s = m->series[i];
		t = model_series(back, s->family, s->name);
		CHECK(t && back->nseries == 3);
		CHECK_EQ_U64(t->hist.count, s->hist.count);
		CHECK_EQ_U64(t->hist.sum, s->hist.sum);
		CHECK_EQ_U64(t->hist.max, s->hist.max);
		CHECK(!memcmp(t->hist.slots, s->hist.slots, sizeof(s->hist.slots)));
		CHECK_EQ_U64(t->errors, s->errors);
		CHECK_EQ_U64(t->failed, s->failed);
		CHECK_EQ_INT(t->ncounters, s->ncounters);
		CHECK_EQ_INT(t->nlabels, s->nlabels);
		CHECK_EQ_INT(!t->queue, !s->queue);
		if (s->queue)
			CHECK(!memcmp(t->queue->slots, s->queue->slots, sizeof(s->queue->slots)) &&
			      t->queue->max == s->queue->max);
	}
	/* and the strongest form: it writes back byte for byte */
	b = to_json(back);
	CHECK(b);
	CHECK_MSG(!strcmp(a, b), "the re-written JSON differs");
	free(a);
	free(b);
	model_free(m);
	model_free(back);
}

TEST(load_returns_the_sla_object_when_present)
{
	const char *text = "{\"schema\":\"slatrace.report/1\",\"host\":\"h\",\"duration_s\":1,"
			   "\"series\":[],\"sla\":{\"pass\":false,\"objectives\":[]}}";
	struct json_object *sla = NULL;
	struct model *m = NULL;
	char err[256];

	CHECK_EQ_INT(report_load_buf(text, strlen(text), "s.json", &m, &sla, err, sizeof(err)), 0);
	CHECK(m && sla && json_object_is_type(sla, json_type_object));
	json_object_put(sla);
	model_free(m);
}

static const char *good_head = "{\"schema\":\"slatrace.report/1\",\"host\":\"h\",\"duration_s\":2,";

/* a report whose one series is S (a JSON object body) */
static char *with_series(const char *s)
{
	char *t = NULL;

	if (asprintf(&t, "%s\"series\":[{\"family\":\"syscall\",\"name\":\"read\",%s}]}", good_head,
		     s) < 0)
		return NULL;
	return t;
}

TEST(load_refuses_bad_input_with_one_line_naming_it)
{
	static const struct {
		const char *text; /* NULL: with_series(series) */
		const char *series;
		const char *want;
	} cases[] = {
		{ "", NULL, "'r.json' is empty" },
		{ " \n\t ", NULL, "'r.json' is empty" },
		{ "{", NULL, "'r.json' is truncated: the JSON ends at line 1, column 2" },
		{ "{\"schema\": \"slatrace.report/1\",\n  \"series\": [", NULL,
		  "is truncated: the JSON ends at line 2, column 14" },
		{ "{]", NULL, "'r.json' is not JSON: " },
		{ "{\n  \"a\": nope\n}", NULL, "is not JSON: null expected at line 2, column 9" },
		{ "{\"a\": 'x'}", NULL, "is not JSON" },
		{ "{} {}", NULL, "more data after the report at line 1, column 4" },
		{ "42", NULL, "is not a slatrace report: not a JSON object" },
		{ "[]", NULL, "is not a slatrace report: not a JSON object" },
		{ "{}", NULL, "is not a slatrace report: no \"schema\"" },
		{ "{\"schema\":\"slatrace.report/2\"}", NULL,
		  "'r.json' has schema 'slatrace.report/2'; this slatrace reads "
		  "'slatrace.report/1'" },
		{ "{\"schema\":\"slatrace.diff/1\"}", NULL, "has schema 'slatrace.diff/1'" },
		{ "{\"schema\":\"slatrace.report/1\",\"duration_s\":1,\"series\":[]}", NULL,
		  "invalid report 'r.json': \"host\" is missing" },
		{ "{\"schema\":\"slatrace.report/"
		  "1\",\"host\":\"h\",\"duration_s\":-1,\"series\":[]}",
		  NULL, "\"duration_s\" must be a number in 0..1e+09" },
		{ "{\"schema\":\"slatrace.report/1\",\"host\":\"h\",\"duration_s\":1}", NULL,
		  "\"series\" must be an array" },
		{ NULL,
		  "\"count\":1,\"errors\":0,\"total_ns\":5,\"latency_ns\":{\"max\":5},"
		  "\"buckets\":[[5,6,1]]",
		  NULL },
		{ NULL, "\"count\":-1,\"errors\":0,\"total_ns\":5,\"latency_ns\":{},\"buckets\":[]",
		  "series 1 ('read'): \"count\" must be an integer >= 0" },
		{ NULL,
		  "\"count\":1.5,\"errors\":0,\"total_ns\":5,\"latency_ns\":{},\"buckets\":[]",
		  "\"count\" must be an integer >= 0" },
		{ NULL, "\"errors\":0,\"total_ns\":5,\"latency_ns\":{},\"buckets\":[]",
		  "\"count\" is missing" },
		{ NULL,
		  "\"count\":1,\"errors\":2,\"total_ns\":5,\"latency_ns\":{\"max\":5},"
		  "\"buckets\":[[5,6,1]]",
		  "more errors or failures than calls" },
		{ NULL,
		  "\"count\":2,\"errors\":0,\"total_ns\":5,\"latency_ns\":{\"max\":5},"
		  "\"buckets\":[[5,6,1]]",
		  "the buckets hold 1 values, \"count\" - \"failed\" is 2" },
		{ NULL,
		  "\"count\":3,\"errors\":0,\"total_ns\":5,\"latency_ns\":{\"max\":105},"
		  "\"buckets\":[[100,110,3]]",
		  "\"buckets\"[0] [100, 110) is not a bucket of the histogram layout" },
		{ NULL,
		  "\"count\":2,\"errors\":0,\"total_ns\":5,\"latency_ns\":{\"max\":5},"
		  "\"buckets\":[[5,6,1],[4,5,1]]",
		  "\"buckets\"[1] is out of order or repeated" },
		{ NULL,
		  "\"count\":2,\"errors\":0,\"total_ns\":5,\"latency_ns\":{\"max\":5},"
		  "\"buckets\":[[5,6]]",
		  "\"buckets\"[0] is not [lo, hi, count]" },
		{ NULL, "\"count\":0,\"errors\":0,\"total_ns\":0,\"latency_ns\":{},\"buckets\":{}",
		  "\"buckets\" must be an array" },
		{ NULL, "\"count\":0,\"errors\":0,\"total_ns\":0,\"buckets\":[]",
		  "\"latency_ns\" is missing" },
		{ NULL,
		  "\"count\":0,\"errors\":0,\"total_ns\":0,\"latency_ns\":{},\"buckets\":[],"
		  "\"labels\":{\"syscall\":1}",
		  "label \"syscall\" must be a string" },
		{ NULL,
		  "\"count\":2,\"errors\":0,\"total_ns\":0,\"latency_ns\":{\"max\":1},"
		  "\"buckets\":[[1,2,18446744073709551615],[2,3,2]]",
		  "\"buckets\" counts overflow" },
	};
	char err[512], *text;
	struct model *m;
	int rc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text = cases[i].text ? strdup(cases[i].text) : with_series(cases[i].series);
		CHECK(text);
		m = NULL;
		memset(err, 'x', sizeof(err));
		rc = load_str(text, &m, err, sizeof(err));
		if (!cases[i].want) {
			CHECK_MSG(rc == 0 && m, "case %zu: a good report refused: %s", i, err);
		} else {
			CHECK_MSG(rc == -EINVAL && !m, "case %zu: accepted, want '%s'", i,
				  cases[i].want);
			CHECK_MSG(strstr(err, cases[i].want), "case %zu: '%s' does not say '%s'", i,
				  err, cases[i].want);
			CHECK_MSG(!strchr(err, '\n'), "case %zu: more than one line: '%s'", i, err);
		}
		model_free(m);
		free(text);
	}
}

TEST(load_refuses_a_duplicate_series_and_a_nul_byte)
{
	char err[512], *text = NULL;
	struct model *m = NULL;
	const char *one = "{\"family\":\"syscall\",\"name\":\"read\",\"count\":0,\"errors\":0,"
			  "\"total_ns\":0,\"latency_ns\":{},\"buckets\":[]}";
	char nul[] = "{\"schema\":\"slatrace.report/1\",\n\"x\0\":1}";

	CHECK(asprintf(&text, "%s\"series\":[%s,%s]}", good_head, one, one) > 0);
	CHECK_EQ_INT(load_str(text, &m, err, sizeof(err)), -EINVAL);
	CHECK_MSG(strstr(err, "series 2 ('read'): a second syscall series of that name"), "%s",
		  err);
	free(text);
	CHECK_EQ_INT(report_load_buf(nul, sizeof(nul) - 1, "r.json", &m, NULL, err, sizeof(err)),
		     -EINVAL);
	CHECK_MSG(strstr(err, "a NUL byte at line 2, column 3"), "%s", err);
}

/* captures and copies end anywhere: no prefix of a report is one */
TEST(load_refuses_every_truncation_of_a_report)
{
	struct model *m = full_model(), *back;
	char *a = to_json(m), err[512];
	size_t len;

	CHECK(m && a);
	len = strlen(a);
	for (size_t n = 0; n < len; n++) {
		back = NULL;
		CHECK_MSG(report_load_buf(a, n, "t.json", &back, NULL, err, sizeof(err)) ==
				  -EINVAL &&
			      !back,
			  "a prefix of %zu of %zu bytes was accepted", n, len);
		CHECK_MSG(strstr(err, "truncated") || strstr(err, "is empty"),
			  "prefix %zu: '%s' does not say truncated", n, err);
	}
	free(a);
	model_free(m);
}

TEST(load_file_errors_name_the_file_and_the_cause)
{
	char dir[] = "/tmp/slt-load-XXXXXX", path[64], err[512];
	struct model *m = NULL;
	FILE *f;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/none.json", dir);
	CHECK_EQ_INT(report_load_file(path, &m, NULL, err, sizeof(err)), -ENOENT);
	CHECK_MSG(strstr(err, "cannot open '") && strstr(err, "No such file or directory"), "%s",
		  err);
	CHECK_EQ_INT(report_load_file(dir, &m, NULL, err, sizeof(err)), -EISDIR);
	CHECK_MSG(strstr(err, "cannot read '") && strstr(err, "Is a directory"), "%s", err);
	f = fopen(path, "w");
	CHECK(f);
	fputs("{\"schema\":\"slatrace.report/1\",\"host\":\"h\",\"duration_s\":1,\"seri", f);
	fclose(f);
	CHECK_EQ_INT(report_load_file(path, &m, NULL, err, sizeof(err)), -EINVAL);
	CHECK_MSG(strstr(err, "none.json' is truncated"), "%s", err);
	unlink(path);
	rmdir(dir);
}

TEST(load_ignores_fields_it_does_not_know)
{
	const char *text = "{\"schema\":\"slatrace.report/1\",\"host\":\"h\",\"duration_s\":1,"
			   "\"future\":{\"x\":[1,2]},\"series\":[{\"family\":\"syscall\",\"name\":"
			   "\"read\",\"count\":1,\"errors\":0,\"total_ns\":40,\"new_field\":\"y\","
			   "\"latency_ns\":{\"max\":40},\"buckets\":[[40,41,1]]}]}";
	struct model *m = NULL;
	char err[256];

	CHECK_MSG(load_str(text, &m, err, sizeof(err)) == 0, "%s", err);
	CHECK_EQ_U64(m->series[0]->hist.slots[slt_hist_slot(40)], 1);
	CHECK_EQ_U64(m->series[0]->hist.max, 40);
	model_free(m);
}
