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
#include "core/family.h"
#include "report/load.h"
#include "report/report.h"

struct ld {
	const char *name; /* the file, for messages */
	char *err;
	size_t errlen;
	char where[200];      /* "series 3 ('GET /x'): " while reading a series */
	unsigned flags;	      /* SLT_LOAD_* */
	struct hist *scratch; /* checked but not kept (SLT_LOAD_LATENCY_ONLY) */
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

/* "buckets": [[lo, hi, count], ...] onto the shared layout, in order, into
 * a zeroed h: a new one from calloc is left untouched where the report has
 * no bucket, so those pages of the model need not become resident */
static int read_buckets(struct ld *c, struct json_object *arr, const char *key, struct hist *h)
{
	size_t n = json_object_array_length(arr);
	int64_t prev = -1;

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

/* "<stem>_ns": {..., "max": N} and "<stem>_buckets" of a part of the
 * latency (a role), as its family names them */
static int read_part(struct ld *c, struct json_object *s, const char *stem, enum slt_role r,
		     struct series *dst)
{
	char pcts[64], bkey[64];
	struct json_object *p, *b;
	struct hist *h;
	int err;

	snprintf(pcts, sizeof(pcts), "%s_ns", stem);
	snprintf(bkey, sizeof(bkey), "%s_buckets", stem);
	b = field(s, bkey);
	if (!b)
		return 0;
	if (!json_object_is_type(b, json_type_array))
		return bad(c, "\"%s\" must be an array", bkey);
	if (c->flags & SLT_LOAD_LATENCY_ONLY) {
		h = c->scratch;
		hist_reset(h);
	} else {
		h = series_role(dst, r);
	}
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

/* a counter named by a number (an HTTP status) has that number as its
 * code: the JSON keeps the name only */
static int32_t code_of(const char *name)
{
	int32_t v = 0;

	if (!*name || strlen(name) > 9)
		return SLT_NO_CODE;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9')
			return SLT_NO_CODE;
		v = v * 10 + (*p - '0');
	}
	return v;
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
		if (series_set_code(s, k, code_of(k), json_object_get_uint64(v)))
			return ld_fail(c, -ENOMEM, "cannot read '%s': %s", c->name,
				       strerror(ENOMEM));
	}
	return 0;
}

/* "windows": {"count": [..], "p50_ns": [..], "p90_ns": [..], "p99_ns": [..]},
 * columns of one length, at most SLT_WINDOWS_MAX; optional (reports written
 * before windows existed have none, and diff says so) */
static int read_windows(struct ld *c, struct json_object *o, struct series *s)
{
	static const char *const keys[4] = { "count", "p50_ns", "p90_ns", "p99_ns" };
	struct series_windows *w;
	struct json_object *col[4];
	uint64_t total = 0;
	size_t n = 0;

	for (int k = 0; k < 4; k++) {
		col[k] = field(o, keys[k]);
		if (!col[k] || !json_object_is_type(col[k], json_type_array))
			return bad(c, "\"windows\".\"%s\" must be an array", keys[k]);
		if (k && json_object_array_length(col[k]) != n)
			return bad(c, "the \"windows\" columns differ in length");
		n = json_object_array_length(col[k]);
	}
	if (n > SLT_WINDOWS_MAX)
		return bad(c, "more than %d \"windows\"", SLT_WINDOWS_MAX);
	w = calloc(1, sizeof(*w));
	if (!w)
		return ld_fail(c, -ENOMEM, "cannot read '%s': %s", c->name, strerror(ENOMEM));
	s->win = w;
	w->n = (int)n;
	for (int k = 0; k < 4; k++) {
		uint64_t *dst = k == 0 ? w->count : k == 1 ? w->p50 : k == 2 ? w->p90 : w->p99;

		for (size_t i = 0; i < n; i++) {
			struct json_object *v = json_object_array_get_idx(col[k], i);

			if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
				return bad(c, "\"windows\".\"%s\" must hold integers >= 0",
					   keys[k]);
			dst[i] = json_object_get_uint64(v);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (w->count[i] > s->hist.count - total)
			return bad(c, "the \"windows\" hold more values than the buckets");
		total += w->count[i];
		if (w->p50[i] > w->p90[i] || w->p90[i] > w->p99[i])
			return bad(c, "window %zu has p50 > p90 or p90 > p99", i + 1);
	}
	return 0;
}

static int read_series(struct ld *c, struct model *m, struct json_object *o, size_t idx)
{
	char family[sizeof(((struct series *)0)->family)], name[sizeof(((struct series *)0)->name)];
	struct json_object *labels, *lat, *buckets, *counters;
	const struct family_desc *fd;
	uint64_t count, failed = 0, untimed = 0, sum;
	const char *ckey;
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
	    get_u64(c, o, "failed", 0, &failed) < 0 || get_u64(c, o, "untimed", 0, &untimed) < 0 ||
	    (err = get_u64(c, o, "total_ns", 1, &sum)))
		return err ? err : -EINVAL;
	if (s->errors > count || failed > count || untimed > count - failed)
		return bad(c, "more errors or failures than calls");
	/* a family whose calls always return has no "failed" in the writer */
	fd = family_by_series(family);
	if (failed && fd && (fd->flags & SLT_FAMILY_NEVER_FAILS))
		return bad(c, "a %s series cannot have \"failed\" calls", family);
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
	/* "count" includes calls that ended without an answer and events
	 * counted untimed, which have no latency and so no bucket */
	if (s->hist.count != count - failed - untimed)
		return bad(c, "the buckets hold %llu values, \"count\" - \"failed\" is %llu",
			   (unsigned long long)s->hist.count,
			   (unsigned long long)(count - failed - untimed));
	s->hist.sum = sum;
	s->failed = failed;
	s->untimed = untimed;
	/* byte sums: absent from reports older than these fields */
	for (int k = 0; fd && k < 2; k++)
		if (fd->bytes_keys[k] && get_u64(c, o, fd->bytes_keys[k], 0, &s->bytes[k]) < 0)
			return -EINVAL;
	/* the counters, under the member the family names (a family this
	 * binary does not know: "status", as the writer does) */
	ckey = fd && fd->counters_key ? fd->counters_key : "status";
	if ((err = get_obj(c, o, ckey, &counters)) ||
	    (counters && (err = read_counters(c, counters, ckey, s))))
		return err;
	for (int r = 0; fd && r < SLT_ROLE_MAX; r++)
		if (fd->role_keys[r] && (err = read_part(c, o, fd->role_keys[r], r, s)))
			return err;
	if ((err = get_obj(c, o, "windows", &counters)) ||
	    (counters && (err = read_windows(c, counters, s))))
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
	err = get_num(c, root, "cpu_pressure_pct", 0, 1e6, &d);
	if (err < 0)
		return err;
	if (!err) {
		r->has_cpu_pressure = 1;
		r->cpu_pressure_pct = d;
	}
	/* the target's run-queue figures: all three or none */
	if (field(root, "target_cpu_ns")) {
		if ((err = get_u64(c, root, "target_runq_wait_ns", 1, &r->target_runq_wait_ns)) ||
		    (err = get_u64(c, root, "target_cpu_ns", 1, &r->target_cpu_ns)) ||
		    (err = get_num(c, root, "target_runq_wait_pct", 1, 100, &d)))
			return err;
		r->has_target_runq = 1;
		r->target_runq_wait_pct = d;
		if ((err = get_u64(c, root, "target_sched_ins", 0, &r->target_sched_ins)) < 0)
			return err;
		err = 0;
	}
	err = get_num(c, root, "window_s", 0, 1e9, &d);
	if (err < 0)
		return err;
	if (!err)
		r->window_ns = (uint64_t)llround(d * 1e9);
	err = get_num(c, root, "attach_s", 0, 1e9, &d);
	if (err < 0)
		return err;
	if (!err)
		r->attach_ns = (uint64_t)llround(d * 1e9);

	fams = field(root, "families");
	if (fams) {
		size_t n;

		if (!json_object_is_type(fams, json_type_array))
			return bad(c, "\"families\" must be an array of strings");
		n = json_object_array_length(fams);
		for (size_t i = 0; i < n; i++) {
			struct json_object *f = json_object_array_get_idx(fams, i);

			if (!json_object_is_type(f, json_type_string))
				return bad(c, "\"families\" must be an array of strings");
			/* past the model's room, or empty: not ours to judge */
			run_meta_add_family(r, json_object_get_string(f));
		}
	}

	/* "families_skipped": [{"name": .., "why": ..}]: kept so that a diff or
	 * a reprint of the report still says what did not run */
	fams = field(root, "families_skipped");
	if (fams) {
		size_t n;

		if (!json_object_is_type(fams, json_type_array))
			return bad(c, "\"families_skipped\" must be an array of objects");
		n = json_object_array_length(fams);
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(fams, i), *nm, *why;

			if (!json_object_is_type(e, json_type_object) ||
			    !(nm = field(e, "name")) || !json_object_is_type(nm, json_type_string) ||
			    !(why = field(e, "why")) || !json_object_is_type(why, json_type_string))
				return bad(c, "\"families_skipped\" must hold objects with a "
					      "\"name\" and a \"why\" string");
			/* past the model's room: the writer never puts more */
			if (r->nskipped >= SLT_SKIPPED_MAX)
				continue;
			snprintf(r->skipped[r->nskipped].name, sizeof(r->skipped[0].name), "%s",
				 json_object_get_string(nm));
			snprintf(r->skipped[r->nskipped].why, sizeof(r->skipped[0].why), "%s",
				 json_object_get_string(why));
			r->nskipped++;
		}
	}

	if ((err = get_obj(c, root, "paths", &o)))
		return err;
	if (o) {
		size_t len = 0;

		json_object_object_foreach(o, name, v)
		{
			if (!json_object_is_type(v, json_type_string))
				return bad(c, "\"paths\" must map family names to strings");
			if (len < sizeof(r->paths))
				len += (size_t)snprintf(r->paths + len, sizeof(r->paths) - len,
							"%s%s=%s", len ? "," : "", name,
							json_object_get_string(v));
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

/*
 * The reader streams. The raw text is never whole in memory, and neither is
 * its JSON tree: json-c spends some 10x the text on a tree (an object per
 * number, an array per bucket), and a report is nearly all "series". So a
 * small scanner walks the top-level object itself, hands every member's
 * value but one to json_tokener (they are small: metadata, "sla"), and
 * hands "series" to it one element at a time: each element's tree is read
 * into the model and freed before the next is parsed. json_tokener parses
 * incrementally, so a value may span any number of reads; the scanner's
 * own states are per byte for the same reason. What is left is the model
 * (see load.h for the bound).
 */
enum scan_state {
	ST_START,      /* before the '{' */
	ST_FIRST_KEY,  /* after '{': a key or '}' */
	ST_KEY,	       /* after ',': a key */
	ST_COLON,      /* after a key */
	ST_VALUE,      /* after ':' */
	ST_NEXT,       /* after a value: ',' or '}' */
	ST_FIRST_ELEM, /* after "series": [ : an element or ']' */
	ST_ELEM,       /* after ',' in "series": an element */
	ST_NEXT_ELEM,  /* after an element: ',' or ']' */
	ST_DONE,       /* after the final '}': only white space */
};

enum tok_use { TOK_NONE, TOK_KEY, TOK_VALUE, TOK_ELEM };

struct scan {
	struct ld *c;
	struct model *m;
	struct json_tokener *tok;
	enum tok_use tok_use; /* what the tokener is in the middle of */
	enum scan_state st;
	struct json_object *root; /* every member but "series" */
	char *key;		  /* of the member being read */
	size_t nseries;
	int seen_series;
	uint64_t total;	   /* bytes seen */
	int line;	   /* of the next byte, 1-based */
	uint64_t line_off; /* offset of the first byte of that line */
};

/* position of byte p[k], where p[0] is the next byte not yet accounted */
static void scan_pos(const struct scan *s, const char *p, size_t k, int *line, int *col)
{
	uint64_t bol = s->line_off;

	*line = s->line;
	for (size_t i = 0; i < k; i++) {
		if (p[i] == '\n') {
			(*line)++;
			bol = s->total + i + 1;
		}
	}
	*col = (int)(s->total + k - bol) + 1;
}

static void scan_advance(struct scan *s, const char *p, size_t k)
{
	const char *nl, *end = p + k;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		s->line++;
		s->line_off = s->total + (uint64_t)(nl - p) + 1;
		k -= (size_t)(nl - p) + 1;
		s->total += (uint64_t)(nl - p) + 1;
		p = nl + 1;
	}
	s->total += k;
}

static int scan_syntax(struct scan *s, const char *p, size_t k, const char *what)
{
	int line, col;

	scan_pos(s, p, k, &line, &col);
	return ld_fail(s->c, -EINVAL, "'%s' is not JSON: %s at line %d, column %d", s->c->name,
		       what, line, col);
}

/* a value is complete: file it where it belongs */
static int scan_took(struct scan *s, struct json_object *v)
{
	struct ld *c = s->c;
	const char *sv;
	char tmp[100];
	int err = 0;

	switch (s->tok_use) {
	case TOK_KEY:
		free(s->key);
		s->key = strdup(json_object_get_string(v));
		json_object_put(v);
		if (!s->key)
			return ld_fail(c, -ENOMEM, "cannot read '%s': %s", c->name,
				       strerror(ENOMEM));
		s->st = ST_COLON;
		break;
	case TOK_VALUE:
		/* a foreign or future report is refused before its series */
		if (!strcmp(s->key, "schema")) {
			if (!json_object_is_type(v, json_type_string))
				err = ld_fail(c, -EINVAL,
					      "'%s' is not a slatrace report: no \"schema\"",
					      c->name);
			else if (strcmp((sv = json_object_get_string(v)), SLT_REPORT_SCHEMA))
				err = ld_fail(
				    c, -EINVAL, "'%s' has schema '%s'; this slatrace reads '%s'",
				    c->name, clean(sv, tmp, sizeof(tmp)), SLT_REPORT_SCHEMA);
		}
		if (err) {
			json_object_put(v);
			return err;
		}
		if (json_object_object_add(s->root, s->key, v)) {
			json_object_put(v);
			return ld_fail(c, -ENOMEM, "cannot read '%s': %s", c->name,
				       strerror(ENOMEM));
		}
		s->st = ST_NEXT;
		break;
	case TOK_ELEM:
		err = read_series(c, s->m, v, s->nseries++);
		json_object_put(v);
		if (err)
			return err;
		s->st = ST_NEXT_ELEM;
		break;
	case TOK_NONE:
		break;
	}
	s->tok_use = TOK_NONE;
	return 0;
}

/* feed the tokener from p[0]; *used: bytes it took */
static int scan_tok(struct scan *s, const char *p, size_t n, size_t *used)
{
	struct json_object *v = json_tokener_parse_ex(s->tok, p, (int)n);
	enum json_tokener_error jerr = json_tokener_get_error(s->tok);
	size_t end = json_tokener_get_parse_end(s->tok);

	if (jerr == json_tokener_continue) {
		*used = n;
		return 0;
	}
	if (jerr != json_tokener_success) {
		json_object_put(v);
		return scan_syntax(s, p, end < n ? end : n, json_tokener_error_desc(jerr));
	}
	json_tokener_reset(s->tok);
	*used = end;
	return scan_took(s, v);
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* the next n bytes of the report */
static int scan_feed(struct scan *s, const char *p, size_t n)
{
	const char *nul;
	size_t i = 0, used = 0;
	int err = 0;

	/* the first byte decides whether this is worth reading at all: /dev/zero
	 * or a binary file is refused here, not after hundreds of MiB */
	while (s->st == ST_START && i < n) {
		if (is_space(p[i])) {
			i++;
			continue;
		}
		if (p[i] != '{')
			return ld_fail(s->c, -EINVAL,
				       "'%s' is not a slatrace report: it does not begin with '{'",
				       s->c->name);
		s->st = ST_FIRST_KEY;
		i++;
	}
	/* JSON text never holds a raw NUL; json-c would stop at it silently */
	nul = memchr(p, '\0', n);
	if (nul)
		return scan_syntax(s, p, (size_t)(nul - p), "a NUL byte");
	scan_advance(s, p, i);
	while (i < n) {
		const char ch = p[i];

		if (s->tok_use != TOK_NONE) {
			if ((err = scan_tok(s, p + i, n - i, &used)))
				break;
			scan_advance(s, p + i, used);
			i += used;
			continue;
		}
		if (is_space(ch)) {
			scan_advance(s, p + i, 1);
			i++;
			continue;
		}
		switch (s->st) {
		case ST_START: /* left above */
		case ST_FIRST_KEY:
		case ST_KEY:
			if (ch == '}' && s->st != ST_KEY) {
				s->st = ST_DONE;
				break;
			}
			if (ch != '"')
				return scan_syntax(s, p + i, 0, "unexpected character");
			s->tok_use = TOK_KEY;
			continue; /* the tokener reads the key from its quote */
		case ST_COLON:
			if (ch != ':')
				return scan_syntax(s, p + i, 0, "':' expected");
			s->st = ST_VALUE;
			break;
		case ST_VALUE:
			if (!strcmp(s->key, "series")) {
				if (s->seen_series)
					return bad(s->c, "\"series\" appears twice");
				s->seen_series = 1;
				if (ch == '[') {
					s->st = ST_FIRST_ELEM;
					break;
				}
			}
			s->tok_use = TOK_VALUE;
			continue;
		case ST_NEXT:
			if (ch != ',' && ch != '}')
				return scan_syntax(s, p + i, 0, "',' or '}' expected");
			s->st = ch == ',' ? ST_KEY : ST_DONE;
			break;
		case ST_FIRST_ELEM:
			if (ch == ']') {
				s->st = ST_NEXT;
				break;
			}
			/* fall through */
		case ST_ELEM:
			s->tok_use = TOK_ELEM;
			continue;
		case ST_NEXT_ELEM:
			if (ch != ',' && ch != ']')
				return scan_syntax(s, p + i, 0, "',' or ']' expected");
			s->st = ch == ',' ? ST_ELEM : ST_NEXT;
			break;
		case ST_DONE:
			return scan_syntax(s, p + i, 0, "more data after the report");
		}
		scan_advance(s, p + i, 1);
		i++;
	}
	return err;
}

/* the input has ended: is it a whole report? */
static int scan_end(struct scan *s, struct json_object **sla)
{
	struct ld *c = s->c;
	struct json_object *o;
	int line, col, err;

	if (s->st == ST_START)
		return ld_fail(c, -EINVAL, "'%s' is empty", c->name);
	if (s->st != ST_DONE) {
		scan_pos(s, "", 0, &line, &col);
		return ld_fail(c, -EINVAL,
			       "'%s' is truncated: the JSON ends at line %d, column %d before the "
			       "report does",
			       c->name, line, col);
	}
	o = field(s->root, "schema");
	if (!o || !json_object_is_type(o, json_type_string))
		return ld_fail(c, -EINVAL, "'%s' is not a slatrace report: no \"schema\"", c->name);
	if ((err = read_meta(c, s->m, s->root)))
		return err;
	if (!s->seen_series || field(s->root, "series"))
		return bad(c, "\"series\" must be an array");
	if ((err = get_obj(c, s->root, "sla", &o)))
		return err;
	if (sla)
		*sla = o ? json_object_get(o) : NULL;
	return 0;
}

/* read_more(ctx, buf, size): bytes read into buf, 0 at the end, or -errno
 * with the message written */
typedef ssize_t (*read_fn)(void *ctx, struct ld *c, char *buf, size_t size);

#define LOAD_CHUNK (64u << 10)

static int load_stream(struct ld *c, read_fn more, void *ctx, size_t chunk, struct model **out,
		       struct json_object **sla)
{
	struct scan s = { .c = c, .line = 1 };
	char *buf = NULL;
	ssize_t n;
	int rc;

	*out = NULL;
	if (sla)
		*sla = NULL;
	if (c->errlen)
		c->err[0] = '\0';
	buf = malloc(chunk);
	s.tok = json_tokener_new();
	s.root = json_object_new_object();
	s.m = model_new();
	if ((c->flags & SLT_LOAD_LATENCY_ONLY) && !c->scratch)
		c->scratch = malloc(sizeof(*c->scratch));
	if (!buf || !s.tok || !s.root || !s.m ||
	    ((c->flags & SLT_LOAD_LATENCY_ONLY) && !c->scratch)) {
		rc = ld_fail(c, -ENOMEM, "cannot read '%s': %s", c->name, strerror(ENOMEM));
		goto cleanup;
	}
#ifdef JSON_TOKENER_ALLOW_TRAILING_CHARS
	/* strict, and each value ends where its text does: the scanner reads on */
	json_tokener_set_flags(s.tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
#else
	json_tokener_set_flags(s.tok, JSON_TOKENER_STRICT);
#endif
	for (;;) {
		n = more(ctx, c, buf, chunk);
		if (n < 0) {
			rc = (int)n;
			goto cleanup;
		}
		if (n == 0)
			break;
		if (s.total + (uint64_t)n > SLT_LOAD_MAX_BYTES) {
			rc = ld_fail(c, -EINVAL, "'%s' is too large for a report (over %u MiB)",
				     c->name, SLT_LOAD_MAX_BYTES >> 20);
			goto cleanup;
		}
		if ((rc = scan_feed(&s, buf, (size_t)n)))
			goto cleanup;
	}
	rc = scan_end(&s, sla);
	if (!rc) {
		*out = s.m;
		s.m = NULL;
	}
cleanup:
	free(buf);
	free(s.key);
	free(c->scratch);
	c->scratch = NULL;
	model_free(s.m);
	json_object_put(s.root);
	if (s.tok)
		json_tokener_free(s.tok);
	return rc;
}

struct mem_src {
	const char *text;
	size_t len, pos;
};

static ssize_t mem_read(void *ctx, struct ld *c, char *buf, size_t size)
{
	struct mem_src *m = ctx;
	size_t n = m->len - m->pos < size ? m->len - m->pos : size;

	(void)c;
	memcpy(buf, m->text + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

int report_load_chunks(const char *text, size_t len, size_t chunk, const char *name, unsigned flags,
		       struct model **out, struct json_object **sla, char *err, size_t errlen)
{
	struct ld c = { .name = name, .err = err, .errlen = errlen, .flags = flags };
	struct mem_src src = { .text = text, .len = len };

	if (len > SLT_LOAD_MAX_BYTES) {
		*out = NULL;
		if (sla)
			*sla = NULL;
		return ld_fail(&c, -EINVAL, "'%s' is too large for a report (over %u MiB)", name,
			       SLT_LOAD_MAX_BYTES >> 20);
	}
	return load_stream(&c, mem_read, &src, chunk ? chunk : 1, out, sla);
}

int report_load_buf(const char *text, size_t len, const char *name, struct model **out,
		    struct json_object **sla, char *err, size_t errlen)
{
	return report_load_chunks(text, len, LOAD_CHUNK, name, 0, out, sla, err, errlen);
}

static ssize_t fd_read(void *ctx, struct ld *c, char *buf, size_t size)
{
	int fd = *(int *)ctx;
	ssize_t n;

	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		n = -errno;
		ld_fail(c, (int)n, "cannot read '%s': %s", c->name, strerror((int)-n));
	}
	return n;
}

int report_load_file_flags(const char *path, unsigned flags, struct model **out,
			   struct json_object **sla, char *err, size_t errlen)
{
	struct ld c = { .name = path, .err = err, .errlen = errlen, .flags = flags };
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
	if (fstat(fd, &st)) {
		rc = -errno;
		ld_fail(&c, rc, "cannot read '%s': %s", path, strerror(-rc));
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = ld_fail(&c, -EISDIR, "cannot read '%s': %s", path, strerror(EISDIR));
		goto cleanup;
	}
	/* a stream (pipe, socket, terminal, /dev/stdin) is read as one, its
	 * size checked as it comes; a disk or anything else is not a report */
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) &&
	    !S_ISCHR(st.st_mode)) {
		rc = ld_fail(&c, -EINVAL, "'%s' is not a slatrace report: not a file or a pipe",
			     path);
		goto cleanup;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > SLT_LOAD_MAX_BYTES) {
		rc = ld_fail(&c, -EINVAL, "'%s' is too large for a report (over %u MiB)", path,
			     SLT_LOAD_MAX_BYTES >> 20);
		goto cleanup;
	}
	rc = load_stream(&c, fd_read, &fd, LOAD_CHUNK, out, sla);
cleanup:
	close(fd);
	return rc;
}

int report_load_file(const char *path, struct model **out, struct json_object **sla, char *err,
		     size_t errlen)
{
	return report_load_file_flags(path, 0, out, sla, err, errlen);
}
