// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* JSON report (schema slatrace.report/1, docs/report-schema.md). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include "core/family.h"
#include "core/log.h"
#include "report/report.h"
#include "core/version.h"

const double slt_report_pcts[5] = { 50, 90, 99, 99.9, 100 };
const char *const slt_report_pct_names[5] = { "p50", "p90", "p99", "p99_9", "max" };

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_double(struct json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static void add_time(struct json_object *o, const char *k, uint64_t ns)
{
	char buf[64];
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%03lluZ",
		 (unsigned long long)(ns % 1000000000ull / 1000000));
	add_str(o, k, buf);
}

static int bucket_cb(uint64_t lo, uint64_t hi, uint64_t count, void *ctx)
{
	struct json_object *b = json_object_new_array_ext(3);

	json_object_array_add(b, json_object_new_uint64(lo));
	json_object_array_add(b, json_object_new_uint64(hi));
	json_object_array_add(b, json_object_new_uint64(count));
	json_object_array_add(ctx, b);
	return 0;
}

static struct json_object *pcts_json(const struct hist *h)
{
	struct json_object *lat = json_object_new_object();

	for (int i = 0; i < 5; i++)
		add_u64(lat, slt_report_pct_names[i], hist_percentile(h, slt_report_pcts[i]));
	return lat;
}

static struct json_object *buckets_json(const struct hist *h)
{
	struct json_object *b = json_object_new_array();

	hist_for_each_bucket(h, bucket_cb, b);
	return b;
}

static struct json_object *u64_array(const uint64_t *v, int n)
{
	struct json_object *a = json_object_new_array_ext(n);

	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_uint64(v[i]));
	return a;
}

/* columns, not one object per window: 64 windows stay under 2 KiB */
static struct json_object *windows_json(const struct series_windows *w)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "count", u64_array(w->count, w->n));
	json_object_object_add(o, "p50_ns", u64_array(w->p50, w->n));
	json_object_object_add(o, "p90_ns", u64_array(w->p90, w->n));
	json_object_object_add(o, "p99_ns", u64_array(w->p99, w->n));
	return o;
}

static struct json_object *series_json(const struct series *s, double dur_s)
{
	struct json_object *o = json_object_new_object(), *labels, *lat, *errs, *buckets;
	const struct family_desc *fd = family_by_series(s->family);
	uint64_t count = series_count(s);

	add_str(o, "family", s->family);
	add_str(o, "name", s->name);
	labels = json_object_new_object();
	for (int i = 0; i < s->nlabels; i++)
		add_str(labels, s->labels[i].key, s->labels[i].val);
	json_object_object_add(o, "labels", labels);
	add_u64(o, "count", count);
	add_double(o, "rate_per_s", dur_s > 0 ? count / dur_s : 0);
	add_u64(o, "errors", s->errors);
	add_double(o, "error_rate", count ? (double)s->errors / count : 0);
	errs = json_object_new_object();
	for (int i = 0; i < s->ncounters; i++)
		add_u64(errs, s->counters[i].name, s->counters[i].value);
	/* the family names its counters (errno, status, counts) and adds its
	 * own members; a family this binary does not know keeps "status" */
	json_object_object_add(o, fd && fd->counters_key ? fd->counters_key : "status", errs);
	if (!fd || !(fd->flags & SLT_FAMILY_NEVER_FAILS))
		add_u64(o, "failed", s->failed);
	if (s->untimed)
		add_u64(o, "untimed", s->untimed);
	for (int k = 0; fd && k < 2; k++)
		if (fd->bytes_keys[k])
			add_u64(o, fd->bytes_keys[k], s->bytes[k]);
	if (fd && fd->json_series)
		fd->json_series(o, s);
	add_u64(o, "total_ns", s->hist.sum);
	add_double(o, "mean_ns", hist_mean(&s->hist));
	lat = pcts_json(&s->hist);
	json_object_object_add(o, "latency_ns", lat);
	buckets = buckets_json(&s->hist);
	json_object_object_add(o, "buckets", buckets);
	for (int r = 0; fd && r < SLT_ROLE_MAX; r++) {
		char key[64];

		if (!s->role[r] || !fd->role_keys[r])
			continue;
		snprintf(key, sizeof(key), "%s_ns", fd->role_keys[r]);
		json_object_object_add(o, key, pcts_json(s->role[r]));
		snprintf(key, sizeof(key), "%s_buckets", fd->role_keys[r]);
		json_object_object_add(o, key, buckets_json(s->role[r]));
	}
	if (s->win && s->win->n)
		json_object_object_add(o, "windows", windows_json(s->win));
	return o;
}

struct json_object *report_json(const struct model *m)
{
	struct json_object *root = json_object_new_object(), *o, *arr;
	const struct run_meta *r = &m->meta;
	double dur_s = r->duration_ns / 1e9;
	struct series **v;
	int n;

	add_str(root, "schema", SLT_REPORT_SCHEMA);
	o = json_object_new_object();
	add_str(o, "name", "slatrace");
	add_str(o, "version", SLT_VERSION);
	json_object_object_add(root, "tool", o);
	add_str(root, "host", r->host);
	add_str(root, "kernel", r->kernel);
	add_str(root, "target", r->target);
	arr = json_object_new_array();
	for (int i = 0; i < r->nfamilies; i++)
		json_object_array_add(arr, json_object_new_string(r->families[i]));
	json_object_object_add(root, "families", arr);
	if (r->nskipped) {
		/* default-set families that could not run here, and why */
		arr = json_object_new_array();
		for (int i = 0; i < r->nskipped && i < SLT_SKIPPED_MAX; i++) {
			o = json_object_new_object();
			add_str(o, "name", r->skipped[i].name);
			add_str(o, "why", r->skipped[i].why);
			json_object_array_add(arr, o);
		}
		json_object_object_add(root, "families_skipped", arr);
	}
	if (r->paths[0]) {
		/* "FAM=PATH,FAM=PATH" -> { FAM: PATH, ... } */
		char paths[sizeof(r->paths)], *save = NULL, *eq;

		o = json_object_new_object();
		snprintf(paths, sizeof(paths), "%s", r->paths);
		for (char *t = strtok_r(paths, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if ((eq = strchr(t, '='))) {
				*eq = 0;
				add_str(o, t, eq + 1);
			}
		json_object_object_add(root, "paths", o);
	}
	add_time(root, "start", r->start_realtime_ns);
	add_time(root, "end", r->end_realtime_ns);
	add_u64(root, "start_unix_ns", r->start_realtime_ns);
	add_u64(root, "end_unix_ns", r->end_realtime_ns);
	add_double(root, "duration_s", dur_s);
	add_double(root, "attach_s", r->attach_ns / 1e9);
	if (r->window_ns)
		add_double(root, "window_s", r->window_ns / 1e9);
	if (r->has_cpu_pressure)
		add_double(root, "cpu_pressure_pct", r->cpu_pressure_pct);
	if (r->has_target_runq) {
		add_u64(root, "target_runq_wait_ns", r->target_runq_wait_ns);
		add_u64(root, "target_cpu_ns", r->target_cpu_ns);
		add_double(root, "target_runq_wait_pct", r->target_runq_wait_pct);
		if (r->target_sched_ins)
			add_u64(root, "target_sched_ins", r->target_sched_ins);
	}

	if (r->cmd_pid) {
		o = json_object_new_object();
		add_u64(o, "pid", (uint64_t)r->cmd_pid);
		json_object_object_add(o, "exited", json_object_new_boolean(r->cmd_exited));
		if (r->cmd_exited && WIFEXITED(r->cmd_status))
			json_object_object_add(o, "exit_code",
					       json_object_new_int(WEXITSTATUS(r->cmd_status)));
		if (r->cmd_exited && WIFSIGNALED(r->cmd_status))
			json_object_object_add(o, "signal",
					       json_object_new_int(WTERMSIG(r->cmd_status)));
		json_object_object_add(root, "command", o);
		o = json_object_new_object();
		add_u64(o, "forked", r->procs_forked);
		add_u64(o, "exited", r->procs_exited);
		json_object_object_add(root, "processes", o);
	}
	o = json_object_new_object();
	for (int i = 0; i < SLT_LOSS_MAX; i++)
		add_u64(o, model_loss_name(i), m->lost[i]);
	add_u64(o, "total", model_lost_total(m));
	json_object_object_add(root, "lost", o);
	o = json_object_new_object();
	for (int i = 0; i < m->nstats; i++)
		add_u64(o, m->stats[i].name, m->stats[i].value);
	json_object_object_add(root, "counters", o);

	arr = json_object_new_array();
	v = model_sorted(m, NULL, &n);
	for (int i = 0; v && i < n; i++)
		json_object_array_add(arr, series_json(v[i], dur_s));
	free(v);
	json_object_object_add(root, "series", arr);
	return root;
}

static int temp_path(const char *path, char *tmp, size_t len)
{
	int n = snprintf(tmp, len, "%s.tmp.%d", path, (int)getpid());

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/*
 * The report replaces only a regular file, or makes a new one: a rename over
 * a device node, a FIFO or a symbolic link (to /proc/self/fd/1, say) would
 * replace the special file itself, as root even /dev/null. "-" is stdout.
 */
static int check_target(const char *path)
{
	struct stat st;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		slt_error("cannot write '%s': %s", path, strerror(errno));
		return -errno;
	}
	if (S_ISREG(st.st_mode))
		return 0;
	slt_error("cannot write '%s': it is %s; give a regular file, a new path, or - for stdout",
		  path, file_kind(st.st_mode));
	return S_ISDIR(st.st_mode) ? -EISDIR : -EEXIST;
}

int report_json_check_path(const char *path)
{
	char tmp[PATH_MAX];
	int fd, err;

	if (!*path) {
		slt_error("empty JSON path");
		return -EINVAL;
	}
	if (!strcmp(path, "-"))
		return 0;
	err = check_target(path);
	if (err)
		return err;
	err = temp_path(path, tmp, sizeof(tmp));
	if (err) {
		slt_error("cannot write '%s': %s", path, strerror(-err));
		return err;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		slt_error("cannot write '%s': %s", path, strerror(-err));
		return err;
	}
	close(fd);
	unlink(tmp);
	return 0;
}

int report_json_write(const struct model *m, const char *path)
{
	return report_json_write_with(m, NULL, NULL, path);
}

int report_json_write_with(const struct model *m, const char *key, struct json_object *extra,
			   const char *path)
{
	struct json_object *root = report_json(m);
	char tmp[PATH_MAX];
	const char *text;
	size_t len, off = 0;
	int fd = -1, err = 0;

	if (key && extra)
		json_object_object_add(root, key, extra);
	else
		json_object_put(extra);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	if (!strcmp(path, "-")) {
		errno = 0;
		if (fputs(text, stdout) == EOF || putchar('\n') == EOF || fflush(stdout)) {
			err = errno ? -errno : -EIO;
			if (err != -EPIPE)
				slt_error("cannot write the JSON report to stdout: %s",
					  strerror(-err));
		}
		json_object_put(root);
		return err;
	}
	/* already said why */
	err = check_target(path);
	if (err) {
		json_object_put(root);
		return err;
	}
	err = temp_path(path, tmp, sizeof(tmp));
	if (err)
		goto cleanup;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto cleanup;
		}
		off += (size_t)w;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd)) {
		err = -errno;
		goto cleanup;
	}
	if (close(fd)) {
		fd = -1;
		err = -errno;
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp, path)) {
		err = -errno;
		goto cleanup;
	}
cleanup:
	if (fd >= 0)
		close(fd);
	if (err) {
		unlink(tmp);
		slt_error("cannot write '%s': %s", path, strerror(-err));
	}
	json_object_put(root);
	return err;
}
