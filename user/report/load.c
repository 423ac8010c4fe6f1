// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* JSON report (slatrace.report/1) -> model. See load.h for the contract. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "report/load.h"
#include "report/report.h"

struct ld {
	const char *name; /* the file, for messages */
	char *err;
	size_t errlen;
	char where[200]; /* "series 3 ('GET /x'): " while reading a series */
};

static int ld_fail(struct ld *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ld_fail(struct ld *c, int code, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->errlen)
		snprintf(c->err, c->errlen, "%s", msg);
	return code;
}

/* a refusal of the content: "invalid report 'a.json': series 2 ('x'): why" */
static int bad(struct ld *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct ld *c, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return ld_fail(c, -EINVAL, "invalid report '%s': %s%s", c->name, c->where, why);
}

/* text from the report, fit for a one-line message: control bytes shown as
 * '?', at most len - 1 bytes */
static const char *clean(const char *in, char *out, size_t len)
{
	size_t i = 0;

	for (; in[i] && i + 1 < len; i++)
		out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
	out[i] = '\0';
	return out;
}

/* 1-based line and column of byte off, as an editor shows them */
static void line_col(const char *text, size_t off, int *line, int *col)
{
	size_t bol = 0;

	*line = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			bol = i + 1;
		}
	}
	*col = (int)(off - bol) + 1;
}

static struct json_object *field(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A non-negative integer. Returns 0, 1 when absent and optional, or the
 * error. json-c keeps integers above INT64_MAX as unsigned, and
 * json_object_get_int64() clamps them to INT64_MAX, so a negative value is
 * exactly one whose int64 reading is negative. */
static int get_u64(struct ld *c, struct json_object *o, const char *key, int required, uint64_t *v)
{
	struct json_object *f = field(o, key);

	if (!f) {
		if (required)
			return bad(c, "\"%s\" is missing", key);
		return 1;
	}
	if (!json_object_is_type(f, json_type_int) || json_object_get_int64(f) < 0)
		return bad(c, "\"%s\" must be an integer >= 0", key);
	*v = json_object_get_uint64(f);
	return 0;
}

static int get_num(struct ld *c, struct json_object *o, const char *key, int required, double max,
		   double *v)
{
	struct json_object *f = field(o, key);

	if (!f) {
		if (required)
			return bad(c, "\"%s\" is missing", key);
		return 1;
	}
	if (!json_object_is_type(f, json_type_int) && !json_object_is_type(f, json_type_double))
		return bad(c, "\"%s\" must be a number", key);
	*v = json_object_get_double(f);
	if (!isfinite(*v) || *v < 0 || *v > max)
		return bad(c, "\"%s\" must be a number in 0..%g", key, max);
	return 0;
}

static int get_str(struct ld *c, struct json_object *o, const char *key, int required, char *buf,
		   size_t size)
{
	struct json_object *f = field(o, key);

	if (!f) {
		if (required)
			return bad(c, "\"%s\" is missing", key);
		return 1;
	}
	if (!json_object_is_type(f, json_type_string))
		return bad(c, "\"%s\" must be a string", key);
	snprintf(buf, size, "%s", json_object_get_string(f));
	return 0;
}

static int get_obj(struct ld *c, struct json_object *o, const char *key, struct json_object **v)
{
	*v = field(o, key);
	if (*v && !json_object_is_type(*v, json_type_object))
		return bad(c, "\"%s\" must be an object", key);
	return 0;
}

/* "buckets": [[lo, hi, count], ...] onto the shared layout, in order */
static int read_buckets(struct ld *c, struct json_object *arr, const char *key, struct hist *h)
{
	size_t n = json_object_array_length(arr);
	int64_t prev = -1;

	hist_reset(h);
	for (size_t i = 0; i < n; i++) {
		struct json_object *b = json_object_array_get_idx(arr, i), *e[3];
		uint64_t v[3];
		uint32_t slot;

		if (!json_object_is_type(b, json_type_array) || json_object_array_length(b) != 3)
			return bad(c, "\"%s\"[%zu] is not [lo, hi, count]", key, i);
		for (int k = 0; k < 3; k++) {
			e[k] = json_object_array_get_idx(b, (size_t)k);
			if (!json_object_is_type(e[k], json_type_int) ||
			    json_object_get_int64(e[k]) < 0)
				return bad(c, "\"%s\"[%zu] is not [lo, hi, count] of integers >= 0",
					   key, i);
			v[k] = json_object_get_uint64(e[k]);
		}
		slot = slt_hist_slot(v[0]);
		if (slt_hist_slot_lo(slot) != v[0] || slt_hist_slot_hi(slot) != v[1])
			return bad(
			    c, "\"%s\"[%zu] [%llu, %llu) is not a bucket of the histogram layout",
			    key, i, (unsigned long long)v[0], (unsigned long long)v[1]);
		if ((int64_t)slot <= prev)
			return bad(c, "\"%s\"[%zu] is out of order or repeated", key, i);
		prev = slot;
		if (__builtin_add_overflow(h->count, v[2], &h->count))
			return bad(c, "\"%s\" counts overflow", key);
		h->slots[slot] = v[2];
	}
	return 0;
}

/* "xxx_ns": {..., "max": N} and "xxx_buckets" of a queue or service part */
static int read_part(struct ld *c, struct json_object *s, const char *pcts, const char *bkey,
		     struct hist *(*get)(struct series *), struct series *dst)
{
	struct json_object *p, *b = field(s, bkey);
	struct hist *h;
	int err;

	if (!b)
		return 0;
	if (!json_object_is_type(b, json_type_array))
		return bad(c, "\"%s\" must be an array", bkey);
	h = get(dst);
	if (!h)
		return ld_fail(c, -ENOMEM, "cannot read '%s': %s", c->name, strerror(ENOMEM));
	err = read_buckets(c, b, bkey, h);
	if (err)
		return err;
	err = get_obj(c, s, pcts, &p);
	if (err)
		return err;
	if (p && get_u64(c, p, "max", 0, &h->max) < 0)
		return -EINVAL;
	if (!h->count)
		h->max = 0;
	return 0;
}

static int read_counters(struct ld *c, struct json_object *o, const char *key, struct series *s)
{
	char tmp[64];

	json_object_object_foreach(o, k, v)
	{
		int64_t n = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || n < 0)
			return bad(c, "\"%s\".\"%s\" must be an integer >= 0", key,
				   clean(k, tmp, sizeof(tmp)));
		if (series_set_counter(s, k, json_object_get_uint64(v)))
			return ld_fail(c, -ENOMEM, "cannot read '%s': %s", c->name,
				       strerror(ENOMEM));
	}
	return 0;
}

static int read_series(struct ld *c, struct model *m, struct json_object *o, size_t idx)
{
	char family[sizeof(((struct series *)0)->family)], name[sizeof(((struct series *)0)->name)];
	struct json_object *labels, *lat, *buckets, *counters;
	uint64_t count, failed = 0, sum;
	char tmp[120];
	struct series *s;
	int n0, err;

	snprintf(c->where, sizeof(c->where), "series %zu: ", idx + 1);
	if (!json_object_is_type(o, json_type_object))
		return bad(c, "not an object");
	if ((err = get_str(c, o, "family", 1, family, sizeof(family))) ||
	    (err = get_str(c, o, "name", 1, name, sizeof(name))))
		return err;
	if (!*family || !*name)
		return bad(c, "empty \"family\" or \"name\"");
	snprintf(c->where, sizeof(c->where), "series %zu ('%s'): ", idx + 1,
		 clean(name, tmp, sizeof(tmp)));
	n0 = m->nseries;
	s = model_series(m, family, name);
	if (!s)
		return ld_fail(c, -ENOMEM, "cannot read '%s': %s", c->name, strerror(ENOMEM));
	if (m->nseries == n0)
		return bad(c, "a second %s series of that name", family);

	if ((err = get_obj(c, o, "labels", &labels)))
		return err;
	if (labels) {
		json_object_object_foreach(labels, k, v)
		{
			if (!json_object_is_type(v, json_type_string))
				return bad(c, "label \"%s\" must be a string",
					   clean(k, tmp, sizeof(tmp)));
			/* more labels than the model holds: keep the first ones, as
			 * a newer writer's additions are not ours to judge */
			if (series_set_label(s, k, json_object_get_string(v)) == -E2BIG)
				break;
		}
	}
	if ((err = get_u64(c, o, "count", 1, &count)) ||
	    (err = get_u64(c, o, "errors", 1, &s->errors)) ||
	    get_u64(c, o, "failed", 0, &failed) < 0 || (err = get_u64(c, o, "total_ns", 1, &sum)))
		return err ? err : -EINVAL;
	if (s->errors > count || failed > count)
		return bad(c, "more errors or failures than calls");
	/* a syscall always returns: the writer has no "failed" for them */
	if (failed && !strcmp(family, "syscall"))
		return bad(c, "a syscall series cannot have \"failed\" calls");
	if ((err = get_obj(c, o, "latency_ns", &lat)))
		return err;
	if (!lat)
		return bad(c, "\"latency_ns\" is missing");
	buckets = field(o, "buckets");
	if (!buckets || !json_object_is_type(buckets, json_type_array))
		return bad(c, "\"buckets\" must be an array");
	if ((err = read_buckets(c, buckets, "buckets", &s->hist)))
		return err;
	if (get_u64(c, lat, "max", s->hist.count > 0, &s->hist.max) < 0)
		return -EINVAL;
	if (!s->hist.count)
		s->hist.max = 0; /* an empty histogram has no max to report */
	/* "count" includes requests that ended without a response, which have
	 * no latency and so no bucket */
	if (s->hist.count + failed != count || s->hist.count > count)
		return bad(c, "the buckets hold %llu values, \"count\" - \"failed\" is %llu",
			   (unsigned long long)s->hist.count, (unsigned long long)(count - failed));
	s->hist.sum = sum;
	s->failed = failed;
	/* requests' bytes: absent from reports older than these fields */
	if (get_u64(c, o, "request_bytes", 0, &s->bytes_in) < 0 ||
	    get_u64(c, o, "response_bytes", 0, &s->bytes_out) < 0)
		return -EINVAL;
	if ((err = get_obj(c, o, "error_breakdown", &counters)) ||
	    (counters && (err = read_counters(c, counters, "error_breakdown", s))) ||
	    (err = get_obj(c, o, "status", &counters)) ||
	    (counters && (err = read_counters(c, counters, "status", s))))
		return err;
	if ((err = read_part(c, o, "queue_ns", "queue_buckets", series_queue, s)) ||
	    (err = read_part(c, o, "service_ns", "service_buckets", series_service, s)))
		return err;
	c->where[0] = '\0';
	return 0;
}

static int read_meta(struct ld *c, struct model *m, struct json_object *root)
{
	struct run_meta *r = &m->meta;
	struct json_object *o, *fams;
	char tmp[64];
	double d;
	int err;

	if ((err = get_str(c, root, "host", 1, r->host, sizeof(r->host))) ||
	    get_str(c, root, "kernel", 0, r->kernel, sizeof(r->kernel)) < 0 ||
	    get_str(c, root, "target", 0, r->target, sizeof(r->target)) < 0 ||
	    get_u64(c, root, "start_unix_ns", 0, &r->start_realtime_ns) < 0 ||
	    get_u64(c, root, "end_unix_ns", 0, &r->end_realtime_ns) < 0)
		return err ? err : -EINVAL;
	/* 1e9 s keeps the nanoseconds inside 64 bits */
	if ((err = get_num(c, root, "duration_s", 1, 1e9, &d)))
		return err;
	r->duration_ns = (uint64_t)llround(d * 1e9);
	err = get_num(c, root, "attach_s", 0, 1e9, &d);
	if (err < 0)
		return err;
	if (!err)
		r->attach_ns = (uint64_t)llround(d * 1e9);

	fams = field(root, "families");
	if (fams) {
		size_t n, len = 0;

		if (!json_object_is_type(fams, json_type_array))
			return bad(c, "\"families\" must be an array of strings");
		n = json_object_array_length(fams);
		for (size_t i = 0; i < n; i++) {
			struct json_object *f = json_object_array_get_idx(fams, i);

			if (!json_object_is_type(f, json_type_string))
				return bad(c, "\"families\" must be an array of strings");
			if (len < sizeof(r->families))
				len += (size_t)snprintf(r->families + len,
							sizeof(r->families) - len, "%s%s",
							i ? "," : "", json_object_get_string(f));
		}
	}

	if ((err = get_obj(c, root, "command", &o)))
		return err;
	if (o) {
		uint64_t pid = 0, code = 0, sig = 0;
		struct json_object *ex = field(o, "exited");

		if (get_u64(c, o, "pid", 1, &pid) || get_u64(c, o, "exit_code", 0, &code) < 0 ||
		    get_u64(c, o, "signal", 0, &sig) < 0)
			return -EINVAL;
		if (!pid || pid > INT32_MAX || code > 255 || sig > 127)
			return bad(c, "\"command\" has an impossible pid, exit code or signal");
		if (ex && !json_object_is_type(ex, json_type_boolean))
			return bad(c, "\"command\".\"exited\" must be true or false");
		r->cmd_pid = (int)pid;
		r->cmd_exited = ex && json_object_get_boolean(ex);
		/* the wait status the writer decoded */
		r->cmd_status = field(o, "signal") ? (int)sig : (int)(code << 8);
	}
	if ((err = get_obj(c, root, "processes", &o)))
		return err;
	if (o && (get_u64(c, o, "forked", 0, &r->procs_forked) < 0 ||
		  get_u64(c, o, "exited", 0, &r->procs_exited) < 0))
		return -EINVAL;

	if ((err = get_obj(c, root, "lost", &o)))
		return err;
	for (int i = 0; o && i < SLT_LOSS_MAX; i++)
		if (get_u64(c, o, model_loss_name(i), 0, &m->lost[i]) < 0)
			return -EINVAL;
	if ((err = get_obj(c, root, "counters", &o)))
		return err;
	if (o) {
		json_object_object_foreach(o, k, v)
		{
			if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
				return bad(c, "\"counters\".\"%s\" must be an integer >= 0",
					   clean(k, tmp, sizeof(tmp)));
			if (model_stat(m, k))
				return bad(c, "\"counters\".\"%s\" appears twice",
					   clean(k, tmp, sizeof(tmp)));
			if (model_stat_add(m, k, json_object_get_uint64(v)))
				return ld_fail(c, -ENOMEM, "cannot read '%s': %s", c->name,
					       strerror(ENOMEM));
		}
	}
	return 0;
}

static int read_report(struct ld *c, struct json_object *root, struct model *m,
		       struct json_object **sla)
{
	struct json_object *schema, *series, *o;
	const char *sv;
	char tmp[100];
	int err;

	if (!json_object_is_type(root, json_type_object))
		return ld_fail(c, -EINVAL, "'%s' is not a slatrace report: not a JSON object",
			       c->name);
	schema = field(root, "schema");
	if (!schema || !json_object_is_type(schema, json_type_string))
		return ld_fail(c, -EINVAL, "'%s' is not a slatrace report: no \"schema\"", c->name);
	sv = json_object_get_string(schema);
	if (strcmp(sv, SLT_REPORT_SCHEMA))
		return ld_fail(c, -EINVAL, "'%s' has schema '%s'; this slatrace reads '%s'",
			       c->name, clean(sv, tmp, sizeof(tmp)), SLT_REPORT_SCHEMA);
	if ((err = read_meta(c, m, root)))
		return err;
	series = field(root, "series");
	if (!series || !json_object_is_type(series, json_type_array))
		return bad(c, "\"series\" must be an array");
	for (size_t i = 0, n = json_object_array_length(series); i < n; i++)
		if ((err = read_series(c, m, json_object_array_get_idx(series, i), i)))
			return err;
	if ((err = get_obj(c, root, "sla", &o)))
		return err;
	if (sla)
		*sla = o ? json_object_get(o) : NULL;
	return 0;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

int report_load_buf(const char *text, size_t len, const char *name, struct model **out,
		    struct json_object **sla, char *err, size_t errlen)
{
	struct ld c = { .name = name, .err = err, .errlen = errlen };
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL;
	enum json_tokener_error jerr;
	struct model *m = NULL;
	const char *nul;
	size_t end, k;
	int line, col, rc;

	*out = NULL;
	if (sla)
		*sla = NULL;
	if (errlen)
		err[0] = '\0';
	for (k = 0; k < len && is_space(text[k]); k++)
		;
	if (k == len) {
		rc = ld_fail(&c, -EINVAL, "'%s' is empty", name);
		goto cleanup;
	}
	if (len > SLT_LOAD_MAX_BYTES || len > INT32_MAX) {
		rc = ld_fail(&c, -EINVAL, "'%s' is too large for a report (over %u MiB)", name,
			     SLT_LOAD_MAX_BYTES >> 20);
		goto cleanup;
	}
	/* JSON text never holds a raw NUL; json-c would stop at it silently */
	nul = memchr(text, '\0', len);
	if (nul) {
		line_col(text, (size_t)(nul - text), &line, &col);
		rc = ld_fail(&c, -EINVAL, "'%s' is not JSON: a NUL byte at line %d, column %d",
			     name, line, col);
		goto cleanup;
	}
	tok = json_tokener_new();
	if (!tok) {
		rc = ld_fail(&c, -ENOMEM, "cannot read '%s': %s", name, strerror(ENOMEM));
		goto cleanup;
	}
#ifdef JSON_TOKENER_ALLOW_TRAILING_CHARS
	/* strict, but let us name what follows the report ourselves */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
#else
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
#endif
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!root && jerr == json_tokener_continue) {
		/* a bare number is only complete once something follows it */
		root = json_tokener_parse_ex(tok, "", 1);
		/* everything before the end was well-formed: whatever the
		 * tokener says about the end, the input stopped too early */
		if (!root) {
			line_col(text, len, &line, &col);
			rc =
			    ld_fail(&c, -EINVAL,
				    "'%s' is truncated: the JSON ends at line %d, column %d before "
				    "the report does",
				    name, line, col);
			goto cleanup;
		}
		end = len;
	}
	if (!root) {
		line_col(text, end < len ? end : len, &line, &col);
		rc = ld_fail(&c, -EINVAL, "'%s' is not JSON: %s at line %d, column %d", name,
			     json_tokener_error_desc(jerr), line, col);
		goto cleanup;
	}
	for (k = end; k < len && is_space(text[k]); k++)
		;
	if (k < len) {
		line_col(text, k, &line, &col);
		rc = ld_fail(&c, -EINVAL,
			     "'%s' is not JSON: more data after the report at line %d, "
			     "column %d",
			     name, line, col);
		goto cleanup;
	}
	m = model_new();
	if (!m) {
		rc = ld_fail(&c, -ENOMEM, "cannot read '%s': %s", name, strerror(ENOMEM));
		goto cleanup;
	}
	rc = read_report(&c, root, m, sla);
	if (!rc) {
		*out = m;
		m = NULL;
	}
cleanup:
	model_free(m);
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

int report_load_file(const char *path, struct model **out, struct json_object **sla, char *err,
		     size_t errlen)
{
	struct ld c = { .name = path, .err = err, .errlen = errlen };
	size_t len = 0, cap = 0;
	char *buf = NULL, *nb;
	struct stat st;
	int fd, rc;

	*out = NULL;
	if (sla)
		*sla = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		return ld_fail(&c, rc, "cannot open '%s': %s", path, strerror(-rc));
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = ld_fail(&c, -EISDIR, "cannot read '%s': %s", path, strerror(EISDIR));
		goto cleanup;
	}
	for (;;) {
		ssize_t r;

		if (len == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			if (cap > (size_t)SLT_LOAD_MAX_BYTES + 1)
				cap = (size_t)SLT_LOAD_MAX_BYTES + 1;
			if (len == cap) {
				rc = ld_fail(&c, -EINVAL,
					     "'%s' is too large for a report (over %u MiB)", path,
					     SLT_LOAD_MAX_BYTES >> 20);
				goto cleanup;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				rc = ld_fail(&c, -ENOMEM, "cannot read '%s': %s", path,
					     strerror(ENOMEM));
				goto cleanup;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			ld_fail(&c, rc, "cannot read '%s': %s", path, strerror(-rc));
			goto cleanup;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	rc = report_load_buf(buf ? buf : "", len, path, out, sla, err, errlen);
cleanup:
	free(buf);
	close(fd);
	return rc;
}
