// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The report reader (report/load.c): a model written by report_json() reads
 * back to the same model and the same JSON; every malformed, truncated or
 * foreign input is refused with one line that names the problem. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include "harness.h"
#include "core/family.h"
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
	run_meta_add_family(&m->meta, "syscalls");
	run_meta_add_family(&m->meta, "requests");
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
	    series_set_code(s, "200", 200, 900) || series_set_code(s, "500", 500, 30) ||
	    series_set_counter(s, "reset", 2) || !series_role(s, SLT_ROLE_QUEUE) ||
	    !series_role(s, SLT_ROLE_SERVICE))
		goto fail;
	for (uint64_t i = 0; i < 930; i++) {
		hist_add(&s->hist, 1000000 + i * 1733);
		hist_add(s->role[SLT_ROLE_QUEUE], 20000 + i * 13);
		hist_add(s->role[SLT_ROLE_SERVICE], 980000 + i * 1720);
	}
	s->failed = 2;
	s->errors = 32;
	s->bytes[0] = 930 * 120;
	s->bytes[1] = 930 * 4096;

	/* a series with no latency at all: every request failed */
	s = model_series(m, "request", "nginx :8080 POST /upload");
	if (!s || series_set_counter(s, "no_response", 3))
		goto fail;
	s->failed = 3;
	s->errors = 3;
	s->untimed = 1;
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
	CHECK_EQ_INT(back->meta.nfamilies, 2);
	CHECK_STR(back->meta.families[0], "syscalls");
	CHECK_STR(back->meta.families[1], "requests");
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
		CHECK_EQ_U64(t->untimed, s->untimed);
		CHECK(!memcmp(t->bytes, s->bytes, sizeof(s->bytes)));
		for (int k = 0; k < s->ncounters && k < t->ncounters; k++)
			CHECK_EQ_INT(t->counters[k].code, s->counters[k].code);
		for (int r = 0; r < SLT_ROLE_MAX; r++) {
			const struct hist *hs = s->role[r], *ht = t->role[r];

			CHECK_EQ_INT(!ht, !hs);
			if (hs && ht)
				CHECK(!memcmp(ht->slots, hs->slots, sizeof(hs->slots)) &&
				      ht->max == hs->max);
		}
	}
	/* and the strongest form: it writes back byte for byte, however the
	 * text is cut into pieces on its way in */
	b = to_json(back);
	CHECK(b);
	CHECK_MSG(!strcmp(a, b), "the re-written JSON differs");
	for (size_t chunk = 1; chunk < 40; chunk += 2) {
		struct model *again = NULL;
		char *c;

		rc = report_load_chunks(a, strlen(a), chunk, "r.json", 0, &again, NULL, err,
					sizeof(err));
		CHECK_MSG(rc == 0, "pieces of %zu: %s", chunk, err);
		c = to_json(again);
		CHECK(c);
		CHECK_MSG(!strcmp(a, c), "pieces of %zu: the re-written JSON differs", chunk);
		free(c);
		model_free(again);
	}
	free(a);
	free(b);
	model_free(m);
	model_free(back);
}

/* The JSON keeps a counter's name only: the loader numbers the counters
 * named by a decimal number (an HTTP status) and leaves the rest named. */
TEST(load_numbers_the_counters_named_by_a_number)
{
	static const char *const names[] = { "200", "404", "reset", "2x", "0", "1234567890" };
	static const int32_t codes[] = { 200, 404, SLT_NO_CODE, SLT_NO_CODE, 0, SLT_NO_CODE };
	struct model *m = model_new(), *back = NULL;
	const struct series *t;
	struct series *s;
	char *a = NULL, err[512];

	CHECK(m);
	s = model_series(m, "request", "srv :80 GET /");
	CHECK(s);
	for (int i = 0; i < 6; i++)
		CHECK(!series_set_counter(s, names[i], 1));
	s->errors = 0;
	hist_add_n(&s->hist, 1000, 6);
	a = to_json(m);
	CHECK(a);
	CHECK_MSG(load_str(a, &back, err, sizeof(err)) == 0, "load failed: %s", err);
	t = model_find(back, "request", "srv :80 GET /");
	CHECK(t);
	for (int i = 0; i < 6; i++) {
		int k = 0;

		while (k < t->ncounters && strcmp(t->counters[k].name, names[i]))
			k++;
		CHECK_MSG(k < t->ncounters, "counter %s lost", names[i]);
		CHECK_EQ_INT(t->counters[k].code, codes[i]);
	}
	free(a);
	model_free(m);
	model_free(back);
}

/* "untimed" is written only when a series has untimed events, and read
 * back into the count */
TEST(load_reads_untimed_back_and_json_omits_it_when_zero)
{
	struct model *m = model_new(), *back = NULL;
	struct series *s;
	char *a = NULL, *b = NULL, err[512];

	CHECK(m);
	s = model_series(m, "x", "a");
	CHECK(s);
	hist_add_n(&s->hist, 1000, 3);
	a = to_json(m);
	CHECK(a && !strstr(a, "\"untimed\""));
	s->untimed = 4;
	b = to_json(m);
	CHECK(b && strstr(b, "\"untimed\":4"));
	CHECK(strstr(b, "\"count\":7"));
	CHECK_MSG(load_str(b, &back, err, sizeof(err)) == 0, "load failed: %s", err);
	CHECK_EQ_U64(model_find(back, "x", "a")->untimed, 4);
	CHECK_EQ_U64(series_count(model_find(back, "x", "a")), 7);
	free(a);
	free(b);
	model_free(m);
	model_free(back);
}

/* Every family's counters come back, from the member its descriptor
 * names ("status", "error_breakdown", "counts"), and an unknown family's
 * from "status", where the writer puts them. */
TEST(load_reads_each_familys_counters_from_the_member_it_names)
{
	struct model *m = model_new(), *back = NULL;
	struct series *s;
	char *a = NULL, err[512];
	int n = 0;

	CHECK(m);
	for (int i = 0; slt_families[i]; i++, n++) {
		s = model_series(m, slt_families[i]->series, "x");
		CHECK(s && !series_set_counter(s, "c", 10 + i));
	}
	s = model_series(m, "zz-unknown", "x");
	CHECK(s && !series_set_counter(s, "c", 99));
	a = to_json(m);
	CHECK(a);
	CHECK_MSG(load_str(a, &back, err, sizeof(err)) == 0, "load failed: %s", err);
	for (int i = 0; i < n; i++)
		CHECK_MSG(series_counter(model_find(back, slt_families[i]->series, "x"), "c") ==
			      (uint64_t)(10 + i),
			  "'%s' lost its counters", slt_families[i]->name);
	CHECK_EQ_U64(series_counter(model_find(back, "zz-unknown", "x"), "c"), 99);
	free(a);
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
		{ "42", NULL, "'r.json' is not a slatrace report: it does not begin with '{'" },
		{ " []", NULL, "'r.json' is not a slatrace report: it does not begin with '{'" },
		{ "{\"a\":1,}", NULL, "is not JSON: unexpected character at line 1, column 8" },
		{ "{\"a\" 1}", NULL, "is not JSON: ':' expected at line 1, column 6" },
		{ "{\"a\":1 \"b\":2}", NULL,
		  "is not JSON: ',' or '}' expected at line 1, column 8" },
		{ "{\"series\":[,]}", NULL,
		  "is not JSON: unexpected character at line 1, column 12" },
		{ "{\"series\":[{\"family\":\"syscall\",\"name\":\"read\",\"count\":0,\"errors\":0,"
		  "\"total_ns\":0,\"latency_ns\":{},\"buckets\":[]}\n x]}",
		  NULL, "',' or ']' expected at line 2, column 2" },
		{ "{\"schema\":\"slatrace.report/1\",\"series\":[],\"series\":[]}", NULL,
		  "\"series\" appears twice" },
		{ "{\"schema\":\"slatrace.report/1\",\"host\":\"h\",\"duration_s\":1,"
		  "\"series\":{}}",
		  NULL, "\"series\" must be an array" },
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
	/* the file reader's pieces may end anywhere: between every pair of bytes,
	 * at odd places, and not at all */
	static const size_t chunks[] = { 1, 3, 64 << 10 };
	char err[512], *text;
	struct model *m;
	int rc;

	for (size_t j = 0; j < sizeof(cases) / sizeof(cases[0]) * 3; j++) {
		size_t i = j / 3;

		text = cases[i].text ? strdup(cases[i].text) : with_series(cases[i].series);
		CHECK(text);
		m = NULL;
		memset(err, 'x', sizeof(err));
		rc = report_load_chunks(text, strlen(text), chunks[j % 3], "r.json", 0, &m, NULL,
					err, sizeof(err));
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

/*
 * What a refusal cost, measured from outside: the loader runs in a child,
 * which sends back its return code and message; the kernel's account of the
 * child's peak resident memory (wait4) shows whether it read the input
 * before refusing it, which no timing could show on a loaded machine.
 */
struct child_load {
	int rc;
	char err[512];
	long maxrss_kb; /* the child's peak above what it inherited */
};

/* this process's resident memory, KiB: the child starts with it (and under
 * ASan it is hundreds of MiB) */
static long rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int load_in_child(const char *path, struct child_load *r)
{
	struct rusage ru;
	int p[2], status;
	ssize_t n;
	pid_t pid;

	long before;

	memset(r, 0, sizeof(*r));
	if (pipe(p))
		return -1;
	before = rss_kb();
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct model *m = NULL;
		struct child_load out = { 0 };

		close(p[0]);
		out.rc = report_load_file(path, &m, NULL, out.err, sizeof(out.err));
		model_free(m);
		_exit(write(p[1], &out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 1);
	}
	close(p[1]);
	n = read(p[0], r, sizeof(*r));
	close(p[0]);
	if (wait4(pid, &status, 0, &ru) != pid || n != (ssize_t)sizeof(*r))
		return -1;
	r->maxrss_kb = ru.ru_maxrss - before;
	return 0;
}

/* far below the 512 MiB the old reader took in before it refused /dev/zero */
#define REFUSAL_MAX_RSS_KB (64 * 1024)

TEST(load_refuses_dev_zero_by_its_first_byte_without_reading_it)
{
	struct child_load r;

	CHECK(load_in_child("/dev/zero", &r) == 0);
	CHECK_EQ_INT(r.rc, -EINVAL);
	CHECK_STR(r.err, "'/dev/zero' is not a slatrace report: it does not begin with '{'");
	CHECK_MSG(r.maxrss_kb < REFUSAL_MAX_RSS_KB,
		  "peak RSS %ld KiB above the start: it read the input", r.maxrss_kb);
}

TEST(load_refuses_a_file_that_begins_with_garbage_or_zeros)
{
	static const struct {
		const char *text;
		size_t len;
	} cases[] = {
#define LEN(s) s, sizeof(s) - 1
		{ LEN("\n  hello {\"schema\":\"slatrace.report/1\"}") },
		{ LEN("[{\"schema\":\"slatrace.report/1\"}]") },
		{ LEN("\0\0\0\0\0\0\0\0") },
		{ LEN("\xef\xbb\xbf{}") }, /* a byte-order mark is not JSON either */
#undef LEN
	};
	char dir[] = "/tmp/slt-load-XXXXXX", path[64];
	struct child_load r;
	FILE *f;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/g.json", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f = fopen(path, "w");
		CHECK(f);
		CHECK(fwrite(cases[i].text, 1, cases[i].len, f) == cases[i].len);
		CHECK(fclose(f) == 0);
		CHECK(load_in_child(path, &r) == 0);
		CHECK_MSG(r.rc == -EINVAL && strstr(r.err, "g.json' is not a slatrace report: it "
							   "does not begin with '{'"),
			  "case %zu: %d '%s'", i, r.rc, r.err);
		CHECK_MSG(!strchr(r.err, '\n'), "case %zu: more than one line", i);
	}
	unlink(path);
	rmdir(dir);
}

TEST(load_refuses_an_oversized_sparse_file_by_its_size)
{
	char dir[] = "/tmp/slt-load-XXXXXX", path[64];
	struct child_load r;
	int fd;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	/* a report's first byte, then a hole past the limit */
	CHECK(write(fd, "{", 1) == 1);
	CHECK(ftruncate(fd, (off_t)SLT_LOAD_MAX_BYTES + 4096) == 0);
	close(fd);
	CHECK(load_in_child(path, &r) == 0);
	unlink(path);
	rmdir(dir);
	CHECK_EQ_INT(r.rc, -EINVAL);
	CHECK_MSG(strstr(r.err, "big.json' is too large for a report (over 512 MiB)"), "%s", r.err);
	CHECK_MSG(r.maxrss_kb < REFUSAL_MAX_RSS_KB,
		  "peak RSS %ld KiB above the start: it read the file", r.maxrss_kb);
}

/* A FIFO is read as the stream it is, and refused on its first bytes: the
 * writer, which offers far more than that, is cut off (EPIPE) long before
 * it has written everything. */
TEST(load_refuses_garbage_from_a_fifo_without_draining_it)
{
	char dir[] = "/tmp/slt-load-XXXXXX", path[64], zeros[4096] = { 0 };
	const size_t offer = 16u << 20;
	struct child_load r;
	size_t written = 0;
	int p[2], fd, status;
	pid_t pid;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK(mkfifo(path, 0600) == 0);
	CHECK(pipe(p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		close(p[0]);
		fd = open(path, O_WRONLY);
		while (fd >= 0 && written < offer) {
			ssize_t n = write(fd, zeros, sizeof(zeros));

			if (n <= 0)
				break;
			written += (size_t)n;
		}
		_exit(write(p[1], &written, sizeof(written)) == (ssize_t)sizeof(written) ? 0 : 1);
	}
	close(p[1]);
	CHECK(load_in_child(path, &r) == 0);
	CHECK(read(p[0], &written, sizeof(written)) == (ssize_t)sizeof(written));
	close(p[0]);
	waitpid(pid, &status, 0);
	unlink(path);
	rmdir(dir);
	CHECK_EQ_INT(r.rc, -EINVAL);
	CHECK_MSG(strstr(r.err, "fifo' is not a slatrace report: it does not begin with '{'"), "%s",
		  r.err);
	CHECK_MSG(written < offer, "the loader drained all %zu bytes before refusing", written);
}

/* windows and the CPU pressure go out with the report and come back the
 * same; columns of unequal length, more than 64 windows, more values than
 * the buckets, or p50 > p99 are refused; a report without them loads */
TEST(windows_round_trip_and_are_checked)
{
	static const char *const bad[] = {
		"\"windows\": {\"count\": [1, 1], \"p50_ns\": [5], \"p90_ns\": [5, 5], \"p99_ns\": [5, 5]}",
		"\"windows\": {\"count\": [30], \"p50_ns\": [5], \"p90_ns\": [5], \"p99_ns\": [5]}",
		"\"windows\": {\"count\": [1], \"p50_ns\": [9], \"p90_ns\": [5], \"p99_ns\": [5]}",
		"\"windows\": {\"count\": [-1], \"p50_ns\": [5], \"p90_ns\": [5], \"p99_ns\": [5]}",
		"\"windows\": [1, 2]",
	};
	struct model *m = model_new(), *back = NULL;
	struct json_object *root;
	struct series *s;
	const struct series *t;
	char err[256], text[1024];

	CHECK(m);
	snprintf(m->meta.host, sizeof(m->meta.host), "h");
	m->meta.window_ns = 200000000;
	m->meta.has_cpu_pressure = 1;
	m->meta.cpu_pressure_pct = 12.5;
	s = model_series(m, "request", "x");
	CHECK(s && (s->win = calloc(1, sizeof(*s->win))));
	hist_add_n(&s->hist, 1000, 20);
	s->win->n = 2;
	s->win->count[0] = 12;
	s->win->count[1] = 8;
	s->win->p50[0] = s->win->p90[0] = s->win->p99[0] = 1000;
	s->win->p50[1] = 900;
	s->win->p90[1] = 1000;
	s->win->p99[1] = 1100;
	root = report_json(m);
	snprintf(text, sizeof(text), "%s", json_object_to_json_string(root));
	json_object_put(root);
	CHECK_EQ_INT(report_load_buf(text, strlen(text), "w.json", &back, NULL, err, sizeof(err)), 0);
	t = back ? model_find(back, "request", "x") : NULL;
	CHECK(t && t->win && t->win->n == 2);
	CHECK(t && t->win && !memcmp(t->win, s->win, sizeof(*t->win)));
	CHECK(back && back->meta.window_ns == 200000000 && back->meta.has_cpu_pressure &&
	      back->meta.cpu_pressure_pct == 12.5);
	model_free(back);
	model_free(m);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "{\"schema\": \"slatrace.report/1\", \"host\": \"h\", \"duration_s\": 1, "
			 "\"series\": [{\"family\": \"request\", \"name\": \"x\", \"count\": 20, "
			 "\"errors\": 0, \"total_ns\": 20000, \"latency_ns\": {\"max\": 1000}, "
			 "\"buckets\": [[992, 1008, 20]], %s}]}",
			 bad[i]);
		back = NULL;
		CHECK_MSG(report_load_buf(text, strlen(text), "w.json", &back, NULL, err,
					  sizeof(err)) == -EINVAL,
			  "accepted: %s", bad[i]);
		model_free(back);
	}
	/* no windows at all: loads, with none */
	snprintf(text, sizeof(text),
		 "{\"schema\": \"slatrace.report/1\", \"host\": \"h\", \"duration_s\": 1, "
		 "\"series\": [{\"family\": \"request\", \"name\": \"x\", \"count\": 20, "
		 "\"errors\": 0, \"total_ns\": 20000, \"latency_ns\": {\"max\": 1000}, "
		 "\"buckets\": [[992, 1008, 20]]}]}");
	back = NULL;
	CHECK_EQ_INT(report_load_buf(text, strlen(text), "w.json", &back, NULL, err, sizeof(err)), 0);
	CHECK(back && back->nseries == 1 && !back->series[0]->win && !back->meta.window_ns);
	model_free(back);
}
