// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reports (report/json.c, report/text.c) on a synthetic model: the JSON
 * shape of schema slatrace.report/1, atomic writes that never leave a
 * partial or temp file, and the text report's content and order. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include "harness.h"
#include "core/model.h"
#include "report/load.h"
#include "report/report.h"

static struct series *add(struct model *m, const char *fam, const char *name, uint64_t v,
			  uint64_t n)
{
	struct series *s = model_series(m, fam, name);

	if (s)
		hist_add_n(&s->hist, v, n);
	return s;
}

/* read: most calls, openat: most time, close: little of either */
static struct model *sample_model(void)
{
	struct model *m = model_new();
	struct series *s;

	if (!m)
		return NULL;
	s = add(m, "syscall", "read", 4000, 1000);
	if (!s)
		goto fail;
	hist_add_n(&s->hist, 90000, 10);
	if (series_set_label(s, "syscall", "read") || series_set_counter(s, "EAGAIN", 7))
		goto fail;
	s->errors = 7;
	s = add(m, "syscall", "openat", 2000000, 50);
	if (!s)
		goto fail;
	hist_add(&s->hist, 3600000000000ull);
	if (series_set_label(s, "syscall", "openat") || series_set_counter(s, "ENOENT", 10) ||
	    series_set_counter(s, "EACCES", 2))
		goto fail;
	s->errors = 12;
	if (!add(m, "syscall", "close", 800, 5))
		goto fail;
	snprintf(m->meta.host, sizeof(m->meta.host), "testhost");
	snprintf(m->meta.kernel, sizeof(m->meta.kernel), "6.1.0-test");
	snprintf(m->meta.target, sizeof(m->meta.target), "pid 42");
	run_meta_add_family(&m->meta, "syscalls");
	m->meta.start_realtime_ns = 1700000000123456789ull;
	m->meta.end_realtime_ns = 1700000002123456789ull;
	m->meta.duration_ns = 2000000000ull;
	m->meta.attach_ns = 150000000ull;
	return m;
fail:
	model_free(m);
	return NULL;
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int is_type(struct json_object *o, const char *key, json_type t)
{
	struct json_object *v = get(o, key);

	/* json-c keeps uint64 and int64 both as json_type_int */
	return v && (json_object_get_type(v) == t ||
		     (t == json_type_double && json_object_get_type(v) == json_type_int));
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static uint64_t u64(struct json_object *o, const char *key)
{
	return json_object_get_uint64(get(o, key));
}

TEST(report_json_has_schema_and_every_top_level_key)
{
	static const struct {
		const char *key;
		json_type type;
	} keys[] = {
	    {"schema", json_type_string},     {"tool", json_type_object},
	    {"host", json_type_string},	      {"kernel", json_type_string},
	    {"target", json_type_string},     {"families", json_type_array},
	    {"start", json_type_string},      {"end", json_type_string},
	    {"start_unix_ns", json_type_int}, {"end_unix_ns", json_type_int},
	    {"duration_s", json_type_double}, {"attach_s", json_type_double},
	    {"lost", json_type_object},	      {"counters", json_type_object},
	    {"series", json_type_array},
	};
	struct model *m = sample_model();
	struct json_object *root, *lost;
	char why[200] = "";

	CHECK(m);
	root = report_json(m);
	for (unsigned i = 0; !*why && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!is_type(root, keys[i].key, keys[i].type))
			snprintf(why, sizeof(why), "top-level '%s' missing or not %s", keys[i].key,
				 json_type_to_name(keys[i].type));
	if (!*why && strcmp(str(root, "schema"), "slatrace.report/1"))
		snprintf(why, sizeof(why), "schema is '%s'", str(root, "schema"));
	if (!*why && (strcmp(str(get(root, "tool"), "name"), "slatrace") ||
		      !*str(get(root, "tool"), "version")))
		snprintf(why, sizeof(why), "tool is not {name: slatrace, version}");
	if (!*why &&
	    (strcmp(str(root, "host"), "testhost") || strcmp(str(root, "kernel"), "6.1.0-test") ||
	     strcmp(str(root, "target"), "pid 42")))
		snprintf(why, sizeof(why), "host/kernel/target not copied from the model");
	if (!*why &&
	    (json_object_array_length(get(root, "families")) != 1 ||
	     strcmp(json_object_get_string(json_object_array_get_idx(get(root, "families"), 0)),
		    "syscalls")))
		snprintf(why, sizeof(why), "families is not [\"syscalls\"]");
	if (!*why && (strcmp(str(root, "start"), "2023-11-14T22:13:20.123Z") ||
		      strcmp(str(root, "end"), "2023-11-14T22:13:22.123Z")))
		snprintf(why, sizeof(why), "start/end '%s' '%s'", str(root, "start"),
			 str(root, "end"));
	if (!*why && (u64(root, "start_unix_ns") != m->meta.start_realtime_ns ||
		      u64(root, "end_unix_ns") != m->meta.end_realtime_ns ||
		      json_object_get_double(get(root, "duration_s")) != 2.0 ||
		      json_object_get_double(get(root, "attach_s")) != 0.15))
		snprintf(why, sizeof(why), "times not copied from the model");
	/* lost: one key per stage plus the total */
	lost = get(root, "lost");
	for (int i = 0; !*why && i < SLT_LOSS_MAX; i++)
		if (!is_type(lost, model_loss_name(i), json_type_int) ||
		    u64(lost, model_loss_name(i)) != 0)
			snprintf(why, sizeof(why), "lost.%s missing or not 0", model_loss_name(i));
	if (!*why && (!is_type(lost, "total", json_type_int) || u64(lost, "total") != 0 ||
		      json_object_object_length(lost) != SLT_LOSS_MAX + 1))
		snprintf(why, sizeof(why), "lost.total missing or extra keys in lost");
	/* no command: no command block */
	if (!*why && (get(root, "command") || get(root, "processes")))
		snprintf(why, sizeof(why), "command/processes present without a command");
	if (!*why && json_object_array_length(get(root, "series")) != 3)
		snprintf(why, sizeof(why), "%zu series, want 3",
			 json_object_array_length(get(root, "series")));
	json_object_put(root);
	model_free(m);
	CHECK_MSG(!*why, "%s", why);
}

TEST(report_json_lost_counts_every_stage_and_the_total_apart_from_counters)
{
	struct model *m = sample_model();
	struct json_object *root, *lost;
	int ok = 1;

	CHECK(m);
	for (int i = 0; i < SLT_LOSS_MAX; i++)
		m->lost[i] = 10 + i;
	ok = !model_stat_add(m, "unparsed_payloads", 3) &&
	     !model_stat_add(m, "unparsed_payloads", 1);
	root = report_json(m);
	lost = get(root, "lost");
	for (int i = 0; i < SLT_LOSS_MAX; i++)
		ok &= u64(lost, model_loss_name(i)) == 10ull + i;
	ok &= u64(lost, "total") == 10 * SLT_LOSS_MAX + SLT_LOSS_MAX * (SLT_LOSS_MAX - 1) / 2;
	/* run-wide counts are not losses: they have their own object */
	ok &= u64(get(root, "counters"), "unparsed_payloads") == 4 &&
	      json_object_object_length(get(root, "counters")) == 1 &&
	      !get(lost, "unparsed_payloads");
	json_object_put(root);
	model_free(m);
	CHECK(ok);
}

struct bucket_sum {
	uint64_t count;
	int bad;
};

static const char *check_series(struct json_object *o, const struct series *s, double dur_s)
{
	static const char *const keys[] = {"family",	 "name",       "labels",     "count",
					   "rate_per_s", "errors",     "error_rate", "total_ns",
					   "mean_ns",	 "latency_ns", "buckets"};
	static char why[200];
	struct json_object *lat = get(o, "latency_ns"), *b = get(o, "buckets"), *breakdown;
	int syscall = !strcmp(s->family, "syscall");
	uint64_t sum = 0, prev_hi = 0, count = s->hist.count + s->failed;

	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!get(o, keys[i]))
			return snprintf(why, sizeof(why), "%s: no '%s'", s->name, keys[i]), why;
	/* syscalls break errors down by errno; requests by status, plus failed */
	breakdown = get(o, syscall ? "error_breakdown" : "status");
	if (!breakdown || get(o, syscall ? "status" : "error_breakdown") ||
	    (get(o, "failed") != NULL) == syscall)
		return snprintf(why, sizeof(why), "%s: error_breakdown/status/failed", s->name),
		       why;
	if (!syscall && u64(o, "failed") != s->failed)
		return snprintf(why, sizeof(why), "%s: failed", s->name), why;
	if (strcmp(str(o, "family"), s->family) || u64(o, "count") != count ||
	    u64(o, "errors") != s->errors || u64(o, "total_ns") != s->hist.sum)
		return snprintf(why, sizeof(why), "%s: family/count/errors/total", s->name), why;
	if (json_object_get_double(get(o, "mean_ns")) != hist_mean(&s->hist) ||
	    json_object_get_double(get(o, "rate_per_s")) != count / dur_s ||
	    json_object_get_double(get(o, "error_rate")) != (count ? (double)s->errors / count : 0))
		return snprintf(why, sizeof(why), "%s: mean_ns, rate_per_s or error_rate", s->name),
		       why;
	if (!json_object_is_type(get(o, "labels"), json_type_object) ||
	    json_object_object_length(get(o, "labels")) != s->nlabels)
		return snprintf(why, sizeof(why), "%s: labels", s->name), why;
	for (int i = 0; i < s->nlabels; i++)
		if (strcmp(str(get(o, "labels"), s->labels[i].key), s->labels[i].val))
			return snprintf(why, sizeof(why), "%s: label %s", s->name,
					s->labels[i].key),
			       why;
	if (!json_object_is_type(breakdown, json_type_object) ||
	    json_object_object_length(breakdown) != s->ncounters)
		return snprintf(why, sizeof(why), "%s: breakdown has not %d keys", s->name,
				s->ncounters),
		       why;
	for (int i = 0; i < s->ncounters; i++)
		if (u64(breakdown, s->counters[i].name) != s->counters[i].value)
			return snprintf(why, sizeof(why), "%s: breakdown.%s", s->name,
					s->counters[i].name),
			       why;
	/* requests: the queue and service parts, only when measured */
	{
		const struct hist *q = s->role[SLT_ROLE_QUEUE], *sv = s->role[SLT_ROLE_SERVICE];

		if (!!get(o, "queue_ns") != !!q || !!get(o, "queue_buckets") != !!q ||
		    !!get(o, "service_ns") != !!sv || !!get(o, "service_buckets") != !!sv)
			return snprintf(why, sizeof(why), "%s: queue/service keys", s->name), why;
		if (q && u64(get(o, "queue_ns"), "p99") != hist_percentile(q, 99))
			return snprintf(why, sizeof(why), "%s: queue_ns.p99", s->name), why;
		if (sv && (u64(get(o, "service_ns"), "max") != sv->max ||
			   json_object_array_length(get(o, "service_buckets")) != 1))
			return snprintf(why, sizeof(why), "%s: service_ns", s->name), why;
	}
	if (!json_object_is_type(lat, json_type_object) || json_object_object_length(lat) != 5)
		return snprintf(why, sizeof(why), "%s: latency_ns has not 5 keys", s->name), why;
	for (int i = 0; i < 5; i++) {
		static const char *const names[] = {"p50", "p90", "p99", "p99_9", "max"};
		static const double pcts[] = {50, 90, 99, 99.9, 100};

		if (!is_type(lat, names[i], json_type_int) ||
		    u64(lat, names[i]) != hist_percentile(&s->hist, pcts[i]))
			return snprintf(why, sizeof(why), "%s: latency_ns.%s", s->name, names[i]),
			       why;
	}
	if (u64(lat, "max") != s->hist.max)
		return snprintf(why, sizeof(why), "%s: latency_ns.max", s->name), why;
	if (!json_object_is_type(b, json_type_array) || !json_object_array_length(b))
		return snprintf(why, sizeof(why), "%s: buckets", s->name), why;
	for (size_t i = 0; i < json_object_array_length(b); i++) {
		struct json_object *t = json_object_array_get_idx(b, i);
		uint64_t lo, hi, n;

		if (!json_object_is_type(t, json_type_array) || json_object_array_length(t) != 3)
			return snprintf(why, sizeof(why), "%s: bucket %zu not [lo,hi,count]",
					s->name, i),
			       why;
		lo = json_object_get_uint64(json_object_array_get_idx(t, 0));
		hi = json_object_get_uint64(json_object_array_get_idx(t, 1));
		n = json_object_get_uint64(json_object_array_get_idx(t, 2));
		if (lo >= hi || !n || lo < prev_hi || s->hist.slots[slt_hist_slot(lo)] != n ||
		    slt_hist_slot_hi(slt_hist_slot(lo)) != hi)
			return snprintf(why, sizeof(why), "%s: bucket %zu [%llu,%llu,%llu]",
					s->name, i, (unsigned long long)lo, (unsigned long long)hi,
					(unsigned long long)n),
			       why;
		prev_hi = hi;
		sum += n;
	}
	if (sum != s->hist.count)
		return snprintf(why, sizeof(why), "%s: buckets sum to %llu, count %llu", s->name,
				(unsigned long long)sum, (unsigned long long)s->hist.count),
		       why;
	return NULL;
}

TEST(report_json_series_have_every_key_and_buckets_sum_to_count)
{
	struct model *m = sample_model();
	struct json_object *root, *arr;
	const char *why = NULL;
	static const char *const order[] = {"openat", "read", "close", "srv :8080 GET /"};
	struct series *s;

	CHECK(m);
	/* a series of the requests family is reported too, with its own keys */
	s = add(m, "request", "srv :8080 GET /", 1000, 1);
	if (!s || !series_role(s, SLT_ROLE_QUEUE) || !series_role(s, SLT_ROLE_SERVICE) ||
	    series_set_counter(s, "200", 1) || series_set_counter(s, "reset", 2)) {
		model_free(m);
		CHECK_MSG(0, "setup");
	}
	s->failed = 2;
	s->errors = 2;
	hist_add(series_role(s, SLT_ROLE_QUEUE), 300);
	hist_add(series_role(s, SLT_ROLE_SERVICE), 700);
	root = report_json(m);
	arr = get(root, "series");
	if (json_object_array_length(arr) != 4)
		why = "not 4 series";
	for (size_t i = 0; !why && i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		s = model_series(m, str(o, "family"), str(o, "name"));
		/* sorted by total time, every family together */
		if (strcmp(str(o, "name"), order[i]))
			why = "series not sorted by total time";
		if (!why)
			why = check_series(o, s, 2.0);
	}
	json_object_put(root);
	model_free(m);
	CHECK_MSG(!why, "%s", why);
}

TEST(report_json_describes_the_command)
{
	struct model *m = sample_model();
	struct json_object *root, *cmd, *procs;
	int ok;

	CHECK(m);
	m->meta.cmd_pid = 4321;
	m->meta.cmd_exited = 1;
	m->meta.cmd_status = 3 << 8; /* exited 3 */
	m->meta.procs_forked = 12;
	m->meta.procs_exited = 11;
	root = report_json(m);
	cmd = get(root, "command");
	procs = get(root, "processes");
	ok = cmd && u64(cmd, "pid") == 4321 && json_object_get_boolean(get(cmd, "exited")) &&
	     json_object_get_int(get(cmd, "exit_code")) == 3 && !get(cmd, "signal") && procs &&
	     u64(procs, "forked") == 12 && u64(procs, "exited") == 11;
	json_object_put(root);
	m->meta.cmd_status = 9; /* killed by SIGKILL */
	root = report_json(m);
	cmd = get(root, "command");
	ok = ok && cmd && json_object_get_int(get(cmd, "signal")) == 9 && !get(cmd, "exit_code");
	json_object_put(root);
	model_free(m);
	CHECK(ok);
}

TEST(report_json_of_an_empty_model)
{
	struct model *m = model_new();
	struct json_object *root;
	int ok;

	CHECK(m);
	root = report_json(m);
	ok = root && !strcmp(str(root, "schema"), SLT_REPORT_SCHEMA) &&
	     json_object_array_length(get(root, "series")) == 0 &&
	     json_object_array_length(get(root, "families")) == 0 &&
	     u64(get(root, "lost"), "total") == 0 &&
	     json_object_get_double(get(root, "duration_s")) == 0;
	json_object_put(root);
	model_free(m);
	CHECK(ok);
}

/* --- files ------------------------------------------------------------- */

static char tmpdir[64];

static int make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/slt-unit.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

/* Remove tmpdir and whatever is in it (one level of subdirectories). */
static void remove_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
		if (unlink(p))
			rmdir(p);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
}

/* Names in dir, sorted and joined with spaces, to compare in one go. */
static const char *listing(const char *dir)
{
	static char out[1024];
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	out[0] = 0;
	if (n < 0)
		return "(cannot list)";
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
				 *out ? " " : "", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return out;
}

/* The writers print their one-line error on stderr: catch it in a file so
 * the test output stays clean and the message can be checked. */
static int saved_stderr = -1;
static char errfile[128];

static void stderr_capture(void)
{
	int fd;

	snprintf(errfile, sizeof(errfile), "/tmp/slt-unit-err.XXXXXX");
	fd = mkstemp(errfile);
	fflush(stderr);
	saved_stderr = dup(2);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
}

/* Restores stderr; returns the number of lines written, first one in line. */
static int stderr_release(char *line, size_t len)
{
	FILE *f;
	char buf[512];
	int n = 0;

	fflush(stderr);
	if (saved_stderr >= 0) {
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
	line[0] = 0;
	f = fopen(errfile, "r");
	while (f && fgets(buf, sizeof(buf), f)) {
		if (!n++)
			snprintf(line, len, "%s", buf);
	}
	if (f)
		fclose(f);
	unlink(errfile);
	return n;
}

static int no_temp_beside(const char *path)
{
	char pattern[4200], dir[4096];
	const char *slash = strrchr(path, '/');
	DIR *d;
	struct dirent *e;
	int found = 0;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	snprintf(pattern, sizeof(pattern), "%s.tmp", slash ? slash + 1 : path);
	d = opendir(dir);
	while (d && (e = readdir(d)))
		found |= !strncmp(e->d_name, pattern, strlen(pattern));
	if (d)
		closedir(d);
	return !found;
}

TEST(report_json_write_round_trips_through_json_c)
{
	struct model *m = sample_model();
	struct json_object *want = NULL, *got = NULL;
	char path[128];
	int err = -1, equal = 0;
	const char *ls = "";

	CHECK(m);
	if (make_tmpdir()) {
		model_free(m);
		CHECK_MSG(0, "mkdtemp: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/r.json", tmpdir);
	err = report_json_write(m, path);
	if (!err) {
		want = report_json(m);
		got = json_object_from_file(path);
		equal = got && json_object_equal(want, got);
		ls = listing(tmpdir);
	}
	json_object_put(want);
	json_object_put(got);
	model_free(m);
	CHECK_EQ_INT(err, 0);
	CHECK_MSG(equal, "the file does not parse back to the same JSON");
	CHECK_STR(ls, "r.json");
	remove_tmpdir();
}

TEST(report_json_write_replaces_an_existing_file)
{
	struct model *m = sample_model();
	struct json_object *got = NULL;
	char path[128];
	FILE *f;
	int err, ok;

	CHECK(m);
	if (make_tmpdir()) {
		model_free(m);
		CHECK_MSG(0, "mkdtemp: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/r.json", tmpdir);
	f = fopen(path, "w");
	if (f) {
		/* longer than the report would be if it were not truncated */
		for (int i = 0; i < 200000; i++)
			fputs("old old old\n", f);
		fclose(f);
	}
	err = report_json_write(m, path);
	got = json_object_from_file(path);
	ok = !err && got && !strcmp(str(got, "schema"), SLT_REPORT_SCHEMA) &&
	     !strcmp(listing(tmpdir), "r.json");
	json_object_put(got);
	model_free(m);
	remove_tmpdir();
	CHECK(ok);
}

TEST(report_json_write_to_an_unwritable_path_fails_cleanly)
{
	static const char *const paths[] = {
	    "/nonexistent/dir/r.json",
	    "/proc/x",
	    "/proc/self/no/such/r.json",
	    "/dev/null/r.json",
	};
	struct model *m = sample_model();
	char line[512], why[600] = "";
	struct stat st;

	CHECK(m);
	for (unsigned i = 0; !*why && i < sizeof(paths) / sizeof(paths[0]); i++) {
		int err, lines;

		stderr_capture();
		err = report_json_write(m, paths[i]);
		lines = stderr_release(line, sizeof(line));
		if (err >= 0)
			snprintf(why, sizeof(why), "'%s': returned %d", paths[i], err);
		else if (!stat(paths[i], &st))
			snprintf(why, sizeof(why), "'%s' exists after a failed write", paths[i]);
		else if (!no_temp_beside(paths[i]))
			snprintf(why, sizeof(why), "'%s': a temp file was left", paths[i]);
		else if (lines != 1 || !strstr(line, paths[i]) || strncmp(line, "error: ", 7))
			snprintf(why, sizeof(why), "'%s': %d lines on stderr, first '%s'", paths[i],
				 lines, line);
	}
	model_free(m);
	CHECK_MSG(!*why, "%s", why);
}

TEST(report_json_write_into_missing_subdir_leaves_nothing)
{
	struct model *m = sample_model();
	char path[128], line[512];
	int err;
	const char *ls;

	CHECK(m);
	if (make_tmpdir()) {
		model_free(m);
		CHECK_MSG(0, "mkdtemp: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/missing/r.json", tmpdir);
	stderr_capture();
	err = report_json_write(m, path);
	stderr_release(line, sizeof(line));
	ls = listing(tmpdir);
	model_free(m);
	remove_tmpdir();
	CHECK(err < 0);
	CHECK_STR(ls, "");
}

/* The target path is a directory: rename fails after the temp file was
 * written; the temp file must go. */
TEST(report_json_write_onto_a_directory_fails_and_cleans_up)
{
	struct model *m = sample_model();
	char path[128], line[512], ls[1024];
	int err;

	CHECK(m);
	if (make_tmpdir()) {
		model_free(m);
		CHECK_MSG(0, "mkdtemp: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/out", tmpdir);
	mkdir(path, 0755);
	stderr_capture();
	err = report_json_write(m, path);
	stderr_release(line, sizeof(line));
	snprintf(ls, sizeof(ls), "%s|", listing(tmpdir));
	snprintf(ls + strlen(ls), sizeof(ls) - strlen(ls), "%s", listing(path));
	model_free(m);
	remove_tmpdir();
	CHECK(err < 0);
	CHECK_STR(ls, "out|");
}

/*
 * Only a regular file is ever replaced: a FIFO, a symbolic link (here to a
 * file whose content must not change) and a device node (root only: a
 * private copy of /dev/null, never the real one) are refused, each with one
 * line naming what it is, and each is left as it was, with no temp file.
 */
TEST(report_json_write_refuses_special_files_and_leaves_them)
{
	static const char *const names[] = { "fifo", "link", "null" };
	static const char *const kinds[] = { "a FIFO", "a symbolic link", "a device" };
	static const mode_t types[] = { S_IFIFO, S_IFLNK, S_IFCHR };
	struct model *m = sample_model();
	char path[128], target[128], line[512], buf[64] = "";
	int nlines, fd, have_dev;
	struct stat st;

	CHECK(m);
	if (make_tmpdir()) {
		model_free(m);
		CHECK_MSG(0, "mkdtemp: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	mkfifo(path, 0644);
	snprintf(target, sizeof(target), "%s/target", tmpdir);
	fd = open(target, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0) {
		(void)!write(fd, "kept\n", 5);
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/link", tmpdir);
	(void)!symlink(target, path);
	snprintf(path, sizeof(path), "%s/null", tmpdir);
	have_dev = !mknod(path, S_IFCHR | 0666, makedev(1, 3));
	for (int i = 0; i < 3; i++) {
		int err_check, err_write;

		if (i == 2 && !have_dev)
			break; /* not root: no device node to try */
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		stderr_capture();
		err_check = report_json_check_path(path);
		err_write = report_json_write(m, path);
		nlines = stderr_release(line, sizeof(line));
		if (err_check >= 0 || err_write >= 0 || nlines != 2 || !strstr(line, kinds[i]) ||
		    lstat(path, &st) || (st.st_mode & S_IFMT) != types[i]) {
			remove_tmpdir();
			model_free(m);
			CHECK_MSG(0, "%s: check %d, write %d, %d lines ('%s'), now mode %o", names[i],
				  err_check, err_write, nlines, line, (unsigned)st.st_mode);
		}
	}
	fd = open(target, O_RDONLY);
	if (fd >= 0) {
		(void)!read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	snprintf(line, sizeof(line), "%s", listing(tmpdir));
	remove_tmpdir();
	model_free(m);
	CHECK_STR(buf, "kept\n");
	CHECK_STR(line, have_dev ? "fifo link null target" : "fifo link target");
}


/* A write that fails half-way (here: the file-size limit, EFBIG) must leave
 * the previous report exactly as it was, and no temp file. */
TEST(report_json_write_failure_leaves_existing_file_untouched)
{
	static const char old[] = "{ \"previous\": true }\n";
	struct model *m = sample_model();
	struct rlimit saved, small;
	struct sigaction ign = {.sa_handler = SIG_IGN}, prev;
	char path[128], buf[256] = "", line[512];
	const char *ls = "";
	int err, fd;
	ssize_t n = -1;

	CHECK(m);
	if (make_tmpdir()) {
		model_free(m);
		CHECK_MSG(0, "mkdtemp: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/r.json", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		n = write(fd, old, sizeof(old) - 1);
		close(fd);
	}
	if (n != (ssize_t)sizeof(old) - 1 || getrlimit(RLIMIT_FSIZE, &saved)) {
		model_free(m);
		remove_tmpdir();
		CHECK_MSG(0, "setup failed");
	}
	small = saved;
	small.rlim_cur = 100;
	sigaction(SIGXFSZ, &ign, &prev);
	setrlimit(RLIMIT_FSIZE, &small);
	stderr_capture();
	err = report_json_write(m, path);
	stderr_release(line, sizeof(line));
	setrlimit(RLIMIT_FSIZE, &saved);
	sigaction(SIGXFSZ, &prev, NULL);

	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		close(fd);
	}
	ls = listing(tmpdir);
	model_free(m);
	CHECK_MSG(err < 0, "write succeeded under a 100-byte file-size limit");
	CHECK_STR(buf, old);
	CHECK_STR(ls, "r.json");
	CHECK_MSG(strstr(line, "File too large"), "stderr: '%s'", line);
	remove_tmpdir();
}

TEST(report_json_check_path_accepts_a_writable_path_and_leaves_nothing)
{
	char path[128], line[512];
	const char *ls;
	int err, lines;

	if (make_tmpdir())
		CHECK_MSG(0, "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/r.json", tmpdir);
	stderr_capture();
	err = report_json_check_path(path);
	lines = stderr_release(line, sizeof(line));
	ls = listing(tmpdir);
	remove_tmpdir();
	CHECK_EQ_INT(err, 0);
	CHECK_EQ_INT(lines, 0);
	CHECK_STR(ls, "");
}

TEST(report_json_check_path_keeps_an_existing_file)
{
	char path[128], line[512], buf[16] = "";
	int err, fd;
	ssize_t n;

	if (make_tmpdir())
		CHECK_MSG(0, "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/r.json", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	n = fd >= 0 ? write(fd, "keep", 4) : -1;
	if (fd >= 0)
		close(fd);
	stderr_capture();
	err = report_json_check_path(path);
	stderr_release(line, sizeof(line));
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		close(fd);
	}
	CHECK_EQ_INT(err, 0);
	CHECK_STR(buf, "keep");
	CHECK_STR(listing(tmpdir), "r.json");
	remove_tmpdir();
}

TEST(report_json_check_path_rejects_unwritable_paths)
{
	static const char *const paths[] = {"/nonexistent/dir/r.json", "/proc/x",
					    "/dev/null/r.json", ""};
	char line[512], why[600] = "";
	struct stat st;

	for (unsigned i = 0; !*why && i < sizeof(paths) / sizeof(paths[0]); i++) {
		int err, lines;

		stderr_capture();
		err = report_json_check_path(paths[i]);
		lines = stderr_release(line, sizeof(line));
		if (err >= 0)
			snprintf(why, sizeof(why), "'%s' accepted", paths[i]);
		else if (*paths[i] && (!stat(paths[i], &st) || !no_temp_beside(paths[i])))
			snprintf(why, sizeof(why), "'%s': a file was left behind", paths[i]);
		else if (lines != 1 || strncmp(line, "error: ", 7))
			snprintf(why, sizeof(why), "'%s': %d lines on stderr, first '%s'", paths[i],
				 lines, line);
	}
	CHECK_MSG(!*why, "%s", why);
}

/* "Fail early, before tracing, if path cannot be written": a directory can
 * never be replaced by the report, so the check must refuse it rather than
 * let a whole run end in "cannot write". */
TEST(report_json_check_path_rejects_a_directory)
{
	char path[128], line[512];
	const char *ls;
	int err;

	if (make_tmpdir())
		CHECK_MSG(0, "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/out", tmpdir);
	mkdir(path, 0755);
	stderr_capture();
	err = report_json_check_path(path);
	stderr_release(line, sizeof(line));
	ls = listing(tmpdir);
	remove_tmpdir();
	CHECK_STR(ls, "out");
	CHECK_MSG(err < 0, "check_path accepted a directory; the run would fail only at the end");
}

/* --- text -------------------------------------------------------------- */

/* The text report of m, in a malloc'd string. */
static char *plain(const struct model *m, const struct text_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	print_report_plain(f, m, o);
	fclose(f);
	return buf;
}

/* The line of the table that starts with name, or NULL. */
static const char *row(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return p;
	return NULL;
}

TEST(report_plain_has_header_table_and_errno_breakdown)
{
	struct model *m = sample_model();
	struct text_opts o = {.top = 20};
	char *t;
	const char *why = NULL, *r_open, *r_read, *r_close;
	unsigned long long count, errors;

	CHECK(m);
	t = plain(m, &o);
	model_free(m);
	CHECK(t);
	r_open = row(t, "openat");
	r_read = row(t, "read");
	r_close = row(t, "close");
	if (!strstr(t, "slatrace syscalls: pid 42 for 2.00s\n"))
		why = "no header line";
	else if (!strstr(t, "host testhost, kernel 6.1.0-test, probes attached in 150.00ms\n"))
		why = "no host line";
	else if (!strstr(t, "lost: none\n"))
		why = "no 'lost: none'";
	else if (!strstr(t, "SYSCALL") || !strstr(t, "P99.9") || !strstr(t, "MAX"))
		why = "no table header";
	else if (!r_open || !r_read || !r_close)
		why = "a row is missing";
	else if (!(r_open < r_read && r_read < r_close))
		why = "rows not sorted by total time";
	else if (sscanf(r_read, "read %llu %llu", &count, &errors) != 2 || count != 1010 ||
		 errors != 7)
		why = "read row: count or errors wrong";
	else if (!strstr(t, "errors by errno:\n"))
		why = "no errno breakdown";
	else if (!strstr(t, "openat") || !strstr(t, " ENOENT=10 EACCES=2\n") ||
		 !strstr(t, " EAGAIN=7\n"))
		why = "errno counts missing";
	else if (strstr(t, "latency distribution"))
		why = "histograms printed with hist_top 0";
	else if (strstr(t, "more syscalls"))
		why = "'more syscalls' with every row shown";
	if (why)
		printf("%s", t);
	free(t);
	CHECK_MSG(!why, "%s", why);
}

TEST(report_plain_names_every_loss)
{
	struct model *m = sample_model();
	struct text_opts o = {0};
	char *t;
	int ok;

	CHECK(m);
	m->lost[SLT_DROP_RINGBUF] = 3;
	m->lost[SLT_LOSS_UNDECODABLE] = 2;
	t = plain(m, &o);
	ok = t && !strstr(t, "lost: none") &&
	     strstr(t, "lost: 5 (ringbuf_reserve_failed 3, undecodable_records 2)") &&
	     !strstr(t, "map_full");
	if (!ok && t)
		printf("%s", t);
	free(t);
	for (int i = 0; ok && i < SLT_LOSS_MAX; i++) {
		memset(m->lost, 0, sizeof(m->lost));
		m->lost[i] = 1;
		t = plain(m, &o);
		ok = t && strstr(t, model_loss_name(i)) && strstr(t, "lost: 1 (");
		free(t);
	}
	model_free(m);
	CHECK(ok);
}

TEST(report_plain_top_limits_rows)
{
	struct model *m = sample_model();
	struct text_opts o = {.top = 1};
	char *t;
	int ok;

	CHECK(m);
	t = plain(m, &o);
	model_free(m);
	ok = t && row(t, "openat") && !row(t, "read") && !row(t, "close") &&
	     strstr(t, "(2 more syscalls") && !strstr(t, "EAGAIN");
	if (!ok && t)
		printf("%s", t);
	free(t);
	CHECK(ok);
}

TEST(report_plain_histograms_of_the_top_series)
{
	struct model *m = sample_model();
	struct text_opts o = {.top = 0, .hist_top = 2};
	char *t;
	int ok;

	CHECK(m);
	t = plain(m, &o);
	model_free(m);
	ok = t && strstr(t, "syscall openat: 51") && strstr(t, "syscall read: 1010") &&
	     !strstr(t, "syscall close: 5") && strstr(t, "latency distribution");
	if (!ok && t)
		printf("%s", t);
	free(t);
	CHECK(ok);
}

TEST(report_plain_interval_and_empty_and_command)
{
	struct model *m = model_new();
	struct text_opts o = {.interval = 1};
	char *t;
	int ok;

	CHECK(m);
	m->meta.duration_ns = 1000000000;
	t = plain(m, &o);
	ok = t && !strncmp(t, "--- interval 1.00s ---\n", 23) &&
	     strstr(t, "no syscalls seen from the target") && !strstr(t, "host ");
	free(t);
	o.interval = 0;
	m->meta.cmd_pid = 77;
	m->meta.cmd_exited = 1;
	m->meta.cmd_status = 3 << 8;
	m->meta.procs_forked = 4;
	t = plain(m, &o);
	ok = ok && t && strstr(t, "command pid 77 exited 3, 4 child processes followed\n") &&
	     strstr(t, "lost: none\n");
	free(t);
	model_free(m);
	CHECK(ok);
}

/* --- histogram rows ---------------------------------------------------- */

/* a printed duration ("19.92ms", "33ns", "1.07s") in ns; -1 when it is not */
static double dur_ns(const char *t)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 } };
	char *end;
	double v = strtod(t, &end);

	if (end == t)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit))
			return v * units[i].ns;
	return -1;
}

struct hist_text {
	int rows, lines;     /* rows with bounds; every line, "..." included */
	double lo[64], hi[64];
	unsigned long long count[64], sum;
	int contiguous;      /* each row starts where the one before ended */
};

/* parse the one histogram of a report printed with hist_top 1 */
static int read_hist(const char *text, struct hist_text *h)
{
	const char *p = strstr(text, "latency distribution");
	int gap = 0;

	memset(h, 0, sizeof(*h));
	h->contiguous = 1;
	if (!p)
		return -1;
	for (p = strchr(p, '\n'); p && p[1] == ' ' && h->rows < 64; p = strchr(p + 1, '\n')) {
		char a[32], b[32];
		unsigned long long n;

		h->lines++;
		if (sscanf(p + 1, " %31s .. %31s |%*[# ]| %llu", a, b, &n) != 3) {
			if (strncmp(p + 1, "        ...", 11))
				return -1;
			gap = 1;
			continue;
		}
		h->lo[h->rows] = dur_ns(a);
		h->hi[h->rows] = dur_ns(b);
		if (h->lo[h->rows] < 0 || h->hi[h->rows] <= h->lo[h->rows])
			return -1;
		/* bounds are printed to 3-4 digits: equal within 0.5% */
		if (h->rows && !gap && fabs(h->lo[h->rows] - h->hi[h->rows - 1]) >
					       0.005 * h->hi[h->rows - 1])
			h->contiguous = 0;
		h->count[h->rows] = n;
		h->sum += n;
		h->rows++;
		gap = 0;
	}
	return 0;
}

static char *one_hist(uint64_t *v, int n)
{
	struct model *m = model_new();
	struct text_opts o = { .top = 0, .hist_top = 1 };
	struct series *s;
	char *t;

	if (!m)
		return NULL;
	run_meta_add_family(&m->meta, "syscalls");
	s = model_series(m, "syscall", "read");
	for (int i = 0; s && i < n; i++)
		hist_add(&s->hist, v[i]);
	t = s ? plain(m, &o) : NULL;
	model_free(m);
	return t;
}

/* A route that takes 20.2 ms (the case) is printed in a row whose
 * bounds hold 20.2 ms and lie within 3% of it (the buckets' own width), not
 * in "16.78ms .. 33.55ms"; the rows' counts sum to the samples given. */
TEST(report_plain_histogram_row_holds_the_value_within_3_percent)
{
	uint64_t v[500];
	struct hist_text h;
	char *t;
	int hit = -1;

	for (int i = 0; i < 500; i++)
		v[i] = 20200000;
	t = one_hist(v, 500);
	CHECK(t);
	CHECK_MSG(!read_hist(t, &h), "cannot read the histogram:\n%s", t);
	for (int i = 0; i < h.rows; i++)
		if (h.lo[i] <= 20.2e6 && 20.2e6 < h.hi[i])
			hit = i;
	CHECK_MSG(hit >= 0 && h.count[hit] == 500 && h.lo[hit] >= 20.2e6 * 0.97 &&
			  h.hi[hit] <= 20.2e6 * 1.03,
		  "no row within 3%% of 20.2ms holds the 500 samples:\n%s", t);
	CHECK_MSG(h.sum == 500, "rows sum to %llu, want 500:\n%s", h.sum, t);
	free(t);
}

/* Samples spread evenly over 18..24 ms: every row is at most 1/32 of a
 * power of two wide (+ printing's rounding), there are enough of them to see
 * the spread, and they count every sample. */
TEST(report_plain_histogram_rows_follow_a_narrow_spread)
{
	uint64_t v[600];
	struct hist_text h;
	char *t;

	for (int i = 0; i < 600; i++)
		v[i] = 18000000 + (uint64_t)i * 10000;
	t = one_hist(v, 600);
	CHECK(t);
	CHECK_MSG(!read_hist(t, &h), "cannot read the histogram:\n%s", t);
	CHECK_MSG(h.rows >= 8 && h.lines <= 24 && h.sum == 600 && h.contiguous,
		  "%d rows in %d lines summing to %llu (contiguous %d); want >= 8 rows, <= 24 "
		  "lines, 600:\n%s",
		  h.rows, h.lines, h.sum, h.contiguous, t);
	for (int i = 0; i < h.rows; i++)
		CHECK_MSG(h.hi[i] / h.lo[i] <= 1.0 + 1.0 / 32 + 0.005,
			  "row %d is %.2f..%.2f ms, wider than a bucket:\n%s", i, h.lo[i] / 1e6,
			  h.hi[i] / 1e6, t);
	free(t);
}

/* Samples spread log-evenly over 1 us .. 10 s (23 powers of two), with a
 * gap: at most 24 lines, rows contiguous but for the "...", every sample
 * counted, and each row within a power of two. */
TEST(report_plain_histogram_of_a_wide_spread_fits_24_lines)
{
	static uint64_t v[2300];
	struct hist_text h;
	int n = 0;
	char *t;

	for (int i = 0; i < 2300; i++) {
		double x = 1000.0 * pow(1e7, i / 2299.0);

		if (x > 1e6 && x < 1e8) /* nothing between 1 ms and 100 ms */
			continue;
		v[n++] = (uint64_t)x;
	}
	t = one_hist(v, n);
	CHECK(t);
	CHECK_MSG(!read_hist(t, &h), "cannot read the histogram:\n%s", t);
	CHECK_MSG(h.lines <= 24 && h.sum == (unsigned long long)n && h.contiguous &&
			  strstr(t, "   ...\n"),
		  "%d lines, rows sum to %llu of %d, contiguous %d, want <= 24 lines, every "
		  "sample, a '...' for the gap:\n%s",
		  h.lines, h.sum, n, h.contiguous, t);
	for (int i = 0; i < h.rows; i++)
		CHECK_MSG(h.hi[i] / h.lo[i] <= 2.01, "row %d is wider than a power of two:\n%s",
			  i, t);
	free(t);
}

/* issue 14: a default-set family left out is said in both reports, and
 * nothing is added when none was */
TEST(report_names_the_families_left_out_and_only_when_some_were)
{
	struct model *m = model_new();
	struct json_object *root, *arr, *e;
	struct text_opts to = { .top = 20 };
	char *text;
	int ok;

	CHECK(m);
	root = report_json(m);
	text = plain(m, &to);
	ok = root && !get(root, "families_skipped") && text && !strstr(text, "left out");
	json_object_put(root);
	free(text);
	CHECK_MSG(ok, "families_skipped or 'left out' without any family left out");

	snprintf(m->meta.skipped[0].name, sizeof(m->meta.skipped[0].name), "requests");
	snprintf(m->meta.skipped[0].why, sizeof(m->meta.skipped[0].why), "needs sock_tp");
	m->meta.nskipped = 1;
	root = report_json(m);
	arr = get(root, "families_skipped");
	e = arr ? json_object_array_get_idx(arr, 0) : NULL;
	ok = e && json_object_array_length(arr) == 1 && !strcmp(str(e, "name"), "requests") &&
	     !strcmp(str(e, "why"), "needs sock_tp");
	/* read back: a report loaded again still says what was left out */
	if (ok) {
		const char *js = json_object_to_json_string(root);
		struct model *back = NULL;
		char err[256];

		ok = !report_load_buf(js, strlen(js), "r.json", &back, NULL, err, sizeof(err)) &&
		     back->meta.nskipped == 1 && !strcmp(back->meta.skipped[0].name, "requests") &&
		     !strcmp(back->meta.skipped[0].why, "needs sock_tp");
		model_free(back);
		back = NULL;
		/* and a malformed entry is refused, naming the member */
		json_object_object_add(e, "why", json_object_new_int(3));
		js = json_object_to_json_string(root);
		ok = ok && report_load_buf(js, strlen(js), "r.json", &back, NULL, err, sizeof(err)) &&
		     strstr(err, "\"families_skipped\" must hold objects");
		model_free(back);
	}
	json_object_put(root);
	text = plain(m, &to);
	ok = ok && text && strstr(text, "\nleft out: requests (needs sock_tp)\n");
	free(text);
	model_free(m);
	CHECK(ok);
}
