// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * SLA objectives: the expression and file parsers, evaluation against a
 * model with error budgets, windows and breach episodes, and the SLA
 * section of the text and JSON reports (docs/sla.md).
 *
 * Percentiles and percentages are kept as integers (millionths of a
 * percent) so that verdicts and budgets are exact, not subject to binary
 * floating point: 2 errors of 1000 against 99.9% is exactly 200%.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "core/family.h"
#include "core/parse.h"
#include "analysis/sla.h"

#define PCT_SCALE 1000000ull /* millionths of a percent per percent */

/* ---------- errors ---------- */

/*
 * Where a component's error points: a column of the expression, or, for the
 * fields form of the file, the key holding the text.
 */
struct perr {
	char *buf;
	size_t len;
	const char *prefix; /* "sla: 'p99 < 2xs'", "sla file 'f': objective 2" */
	const char *field;  /* the file key; NULL: report columns */
};

static int fail_at(struct perr *pe, size_t off, const char *what, const char *tok, size_t toklen,
		   const char *hint)
{
	char where[48];

	if (!pe->buf || !pe->len)
		return -EINVAL;
	if (pe->field)
		snprintf(where, sizeof(where), "in \"%s\"", pe->field);
	else
		snprintf(where, sizeof(where), "at column %zu", off + 1);
	snprintf(pe->buf, pe->len, "%s: %s%s%.*s%s %s%s%s", pe->prefix, what, tok ? " '" : "",
		 tok ? (int)toklen : 0, tok ? tok : "", tok ? "'" : "", where, hint ? ": " : "",
		 hint ? hint : "");
	return -EINVAL;
}

static int fail_msg(char *buf, size_t len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_msg(char *buf, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (buf && len) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* ---------- lexing helpers ---------- */

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static int is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static void trim(const char *s, size_t *b, size_t *e)
{
	while (*b < *e && is_space(s[*b]))
		(*b)++;
	while (*e > *b && is_space(s[*e - 1]))
		(*e)--;
}

static int span_is(const char *s, size_t b, size_t e, const char *word)
{
	size_t n = strlen(word);

	return e - b == n && !memcmp(s + b, word, n);
}

/* the first byte outside printable ASCII (tab allowed), or -1 */
static long bad_byte(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c > 0x7e)
			return (long)i;
	}
	return -1;
}

/*
 * A plain decimal ("12", "99.9", "0.000001"): at most max_int integer digits
 * and 6 decimals, in millionths. No sign, exponent, or bare dot.
 * -EINVAL when malformed, -ERANGE when it has too many digits.
 */
static int parse_fixed6(const char *s, size_t len, int max_int, uint64_t *out)
{
	uint64_t ip = 0, fp = 0;
	int ni = 0, nf = 0;
	size_t i = 0;

	for (; i < len && is_digit(s[i]); i++) {
		if (++ni > max_int)
			return -ERANGE;
		ip = ip * 10 + (uint64_t)(s[i] - '0');
	}
	if (!ni)
		return -EINVAL;
	if (i < len && s[i] == '.') {
		for (i++; i < len && is_digit(s[i]); i++) {
			if (++nf > 6)
				return -ERANGE;
			fp = fp * 10 + (uint64_t)(s[i] - '0');
		}
		if (!nf)
			return -EINVAL;
	}
	if (i != len)
		return -EINVAL;
	for (; nf < 6; nf++)
		fp *= 10;
	*out = ip * PCT_SCALE + fp;
	return 0;
}

/* millionths as a decimal without trailing zeros: 99900000 -> "99.9" */
static void fmt_fixed6(uint64_t v, char *buf, size_t len)
{
	uint64_t f = v % PCT_SCALE;
	int n = 6;

	if (!f) {
		snprintf(buf, len, "%llu", (unsigned long long)(v / PCT_SCALE));
		return;
	}
	while (f % 10 == 0) {
		f /= 10;
		n--;
	}
	snprintf(buf, len, "%llu.%0*llu", (unsigned long long)(v / PCT_SCALE), n,
		 (unsigned long long)f);
}

/* ---------- the parts of an objective ---------- */

static const struct {
	const char *name;
	enum sla_metric metric;
	enum sla_unit unit;
} metric_names[] = {
	{ "mean", SLA_M_MEAN, SLA_UNIT_NS },
	{ "max", SLA_M_MAX, SLA_UNIT_NS },
	{ "error_rate", SLA_M_ERROR_RATE, SLA_UNIT_RATIO },
	{ "availability", SLA_M_AVAILABILITY, SLA_UNIT_RATIO },
	{ "throughput", SLA_M_THROUGHPUT, SLA_UNIT_PER_S },
	{ "count", SLA_M_COUNT, SLA_UNIT_COUNT },
};

const char *const sla_op_names[] = { "<", "<=", ">", ">=" };

#define METRIC_HINT                                                                                \
	"known metrics: pN (p50, p99.9), mean, max, error_rate, availability, "                    \
	"throughput, count"

/* whether the word reads as a metric, to tell "runq p99 < 2ms" from junk */
static int looks_like_metric(const char *s, size_t b, size_t e)
{
	if (e - b >= 2 && s[b] == 'p' && is_digit(s[b + 1]))
		return 1;
	for (size_t i = 0; i < sizeof(metric_names) / sizeof(metric_names[0]); i++)
		if (span_is(s, b, e, metric_names[i].name))
			return 1;
	return 0;
}

static int parse_metric(struct perr *pe, const char *s, size_t b, size_t e, struct sla_objective *o)
{
	uint64_t v;
	int err;

	if (b == e)
		return fail_at(pe, b, "missing metric", NULL, 0, METRIC_HINT);
	for (size_t i = 0; i < sizeof(metric_names) / sizeof(metric_names[0]); i++) {
		if (span_is(s, b, e, metric_names[i].name)) {
			o->metric = metric_names[i].metric;
			o->unit = metric_names[i].unit;
			return 0;
		}
	}
	if (s[b] != 'p' || e - b < 2 || !is_digit(s[b + 1]))
		return fail_at(pe, b, "unknown metric", s + b, e - b, METRIC_HINT);
	err = parse_fixed6(s + b + 1, e - b - 1, 3, &v);
	if (err == -EINVAL)
		return fail_at(pe, b, "unknown metric", s + b, e - b, METRIC_HINT);
	if (err || !v || v > SLA_PCT_ONE)
		return fail_at(pe, b, "bad percentile", s + b, e - b,
			       "pN needs 0 < N <= 100, at most 6 decimals");
	o->metric = SLA_M_PCT;
	o->unit = SLA_UNIT_NS;
	o->pct = v;
	return 0;
}

static int parse_op(struct perr *pe, const char *s, size_t b, size_t e, struct sla_objective *o)
{
	if (b == e)
		return fail_at(pe, b, "missing operator", NULL, 0, "use <, <=, > or >=");
	for (int i = 0; i < 4; i++) {
		if (span_is(s, b, e, sla_op_names[i])) {
			o->op = (enum sla_op)i;
			return 0;
		}
	}
	return fail_at(pe, b, "bad operator", s + b, e - b, "use <, <=, > or >=");
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* a rate: "100/s", "6000/min", "1/h", "100rps"; per second */
static int parse_rate(const char *s, size_t len, double *per_s)
{
	static const struct {
		const char *suffix;
		double seconds;
	} units[] = { { "/s", 1 }, { "rps", 1 }, { "/min", 60 }, { "/h", 3600 } };
	uint64_t v;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].suffix);

		if (!ends_with(s, len, units[i].suffix))
			continue;
		if (parse_fixed6(s, len - n, 12, &v))
			return -EINVAL;
		*per_s = (double)v / (double)PCT_SCALE / units[i].seconds;
		return 0;
	}
	return -EINVAL;
}

/* a percentage, 0..100%, in millionths of a percent */
static int parse_percent(const char *s, size_t len, uint64_t *v)
{
	if (!ends_with(s, len, "%"))
		return -EINVAL;
	if (parse_fixed6(s, len - 1, 12, v))
		return -EINVAL;
	return *v > SLA_PCT_ONE ? -ERANGE : 0;
}

static int parse_duration_span(const char *s, size_t len, uint64_t *ns)
{
	char buf[32];

	if (slt_span_cstr(s, len, buf, sizeof(buf)))
		return -EINVAL;
	return slt_parse_duration(buf, ns);
}

/* which kind of bound the text is, to say so when it suits another metric */
static const char *bound_kind(const char *s, size_t len)
{
	uint64_t v;
	double r;

	if (!parse_percent(s, len, &v))
		return "percentage";
	if (!parse_rate(s, len, &r))
		return "rate";
	if (!parse_fixed6(s, len, 12, &v))
		return "number";
	if (len && !is_digit(s[len - 1]) && !parse_duration_span(s, len, &v))
		return "duration";
	return NULL;
}

static int parse_bound(struct perr *pe, const char *s, size_t b, size_t e, struct sla_objective *o)
{
	const char *t = s + b, *kind;
	char metric[24], hint[96];
	size_t len = e - b;
	uint64_t v;
	int err;

	if (!len)
		return fail_at(pe, b, "missing bound", NULL, 0, NULL);
	if (len >= sizeof(o->bound_text))
		return fail_at(pe, b, "bad bound", t, len, "too long");
	kind = bound_kind(t, len);
	sla_metric_text(o, metric, sizeof(metric));
	switch (o->unit) {
	case SLA_UNIT_NS:
		snprintf(hint, sizeof(hint), "%s takes a duration, e.g. 200ms", metric);
		err = is_digit(t[len - 1]) ? -EINVAL : parse_duration_span(t, len, &v);
		if (err == -ERANGE)
			return fail_at(pe, b, "bad bound", t, len, "out of range");
		if (err && kind && !strcmp(kind, "number"))
			return fail_at(pe, b, "bad bound", t, len,
				       "a latency bound needs a unit, e.g. 200ms");
		if (err)
			return fail_at(pe, b, "bad bound", t, len, kind ? hint : NULL);
		o->bound_int = v;
		o->bound = (double)v;
		break;
	case SLA_UNIT_RATIO:
		snprintf(hint, sizeof(hint), "%s takes a percentage, e.g. %s", metric,
			 o->metric == SLA_M_AVAILABILITY ? "99.9%" : "1%");
		err = parse_percent(t, len, &v);
		if (err == -ERANGE)
			return fail_at(pe, b, "bad bound", t, len, "a percentage is 0% to 100%");
		if (err)
			return fail_at(pe, b, "bad bound", t, len, kind ? hint : NULL);
		o->bound_int = v;
		o->bound = (double)v / (double)SLA_PCT_ONE;
		break;
	case SLA_UNIT_PER_S:
		if (parse_rate(t, len, &o->bound))
			return fail_at(pe, b, "bad bound", t, len,
				       kind ? "throughput takes a rate, e.g. 100/s or 100rps"
					    : NULL);
		o->bound_int = 0;
		break;
	case SLA_UNIT_COUNT:
		for (size_t i = 0; i < len; i++)
			if (!is_digit(t[i]))
				return fail_at(pe, b, "bad bound", t, len,
					       kind ? "count takes a whole number, e.g. 1000"
						    : NULL);
		if (parse_fixed6(t, len, 12, &v))
			return fail_at(pe, b, "bad bound", t, len, "out of range");
		o->bound_int = v / PCT_SCALE;
		o->bound = (double)o->bound_int;
		break;
	}
	/* an objective that cannot pass is a typo, not an SLA */
	if (o->op == SLA_OP_LT && o->bound == 0)
		return fail_at(pe, b, "bad bound", t, len, "nothing is below 0");
	if (o->op == SLA_OP_GT && o->unit == SLA_UNIT_RATIO && o->bound_int == SLA_PCT_ONE)
		return fail_at(pe, b, "bad bound", t, len, "nothing is above 100%");
	memcpy(o->bound_text, t, len);
	o->bound_text[len] = '\0';
	return 0;
}

static int set_pattern(struct perr *pe, const char *s, size_t b, size_t e, struct sla_objective *o)
{
	if (e - b >= sizeof(o->pattern))
		return fail_at(pe, b, "selector too long", NULL, 0, "at most 127 bytes");
	memcpy(o->pattern, s + b, e - b);
	o->pattern[e - b] = '\0';
	return 0;
}

static int set_route(struct perr *pe, const char *s, size_t b, size_t e, struct sla_objective *o)
{
	for (size_t i = b; i < e; i++)
		if (is_space(s[i]))
			return fail_at(pe, b, "bad route", s + b, e - b,
				       "a route glob has no spaces");
	if (s[b] != '/')
		return fail_at(pe, b, "bad route", s + b, e - b,
			       "a route glob starts with '/', e.g. /api/*");
	o->sel = SLA_SEL_ROUTE;
	snprintf(o->family, sizeof(o->family), "%s", family_sla_default());
	return set_pattern(pe, s, b, e, o);
}

static int parse_selector(struct perr *pe, const char *s, size_t b, size_t e,
			  struct sla_objective *o)
{
	const struct family_desc *fd;
	size_t we, r;

	trim(s, &b, &e);
	if (b == e)
		return fail_at(pe, b, "empty selector", NULL, 0, NULL);
	if (s[b] == '/')
		return set_route(pe, s, b, e, o);
	for (we = b; we < e && !is_space(s[we]); we++)
		;
	for (r = we; r < e && is_space(s[r]); r++)
		;
	if (span_is(s, b, we, "port")) {
		uint64_t port = 0;
		int ok = r < e && e - r <= 5;

		if (r == e)
			return fail_at(pe, we, "missing port number after 'port'", NULL, 0, NULL);
		for (size_t i = r; ok && i < e; i++) {
			ok = is_digit(s[i]);
			port = port * 10 + (uint64_t)(s[i] - '0');
		}
		if (!ok || !port || port > 65535)
			return fail_at(pe, r, "bad port", s + r, e - r, "a number from 1 to 65535");
		o->sel = SLA_SEL_PORT;
		snprintf(o->family, sizeof(o->family), "%s", family_sla_default());
		snprintf(o->pattern, sizeof(o->pattern), "%u", (unsigned)port);
		return 0;
	}
	if (span_is(s, b, we, "process") || span_is(s, b, we, "class")) {
		if (r == e)
			return fail_at(pe, we,
				       s[b] == 'p' ? "missing process name after 'process'"
						   : "missing class glob after 'class'",
				       NULL, 0, NULL);
		o->sel = s[b] == 'p' ? SLA_SEL_PROCESS : SLA_SEL_CLASS;
		snprintf(o->family, sizeof(o->family), "%s", family_sla_default());
		return set_pattern(pe, s, r, e, o);
	}
	if (is_upper(s[b])) {
		for (size_t i = b; i < we; i++)
			if (!is_upper(s[i]))
				return fail_at(pe, b, "bad selector", s + b, we - b, NULL);
		if (we - b >= sizeof(o->method))
			return fail_at(pe, b, "bad method", s + b, we - b, NULL);
		if (r == e)
			return fail_at(pe, we, "missing route after the method", NULL, 0,
				       "e.g. 'GET /api/*'");
		memcpy(o->method, s + b, we - b);
		o->method[we - b] = '\0';
		return set_route(pe, s, r, e, o);
	}
	if (is_lower(s[b])) {
		for (size_t i = b; i < we; i++)
			if (!is_lower(s[i]) && !is_digit(s[i]) && s[i] != '_')
				return fail_at(pe, b, "bad selector", s + b, we - b, NULL);
		if (we - b >= sizeof(o->family))
			return fail_at(pe, b, "bad selector", s + b, we - b,
				       "family name too long");
		memcpy(o->family, s + b, we - b);
		o->family[we - b] = '\0';
		/* a family's flag name, as the report lists it, means its series */
		fd = family_by_name(o->family);
		if (fd)
			snprintf(o->family, sizeof(o->family), "%s", fd->series);
		o->sel = SLA_SEL_FAMILY;
		return set_pattern(pe, s, r, e, o);
	}
	return fail_at(pe, b, "bad selector", s + b, we - b, NULL);
}

void sla_selector_text(const struct sla_objective *o, char *buf, size_t len)
{
	switch (o->sel) {
	case SLA_SEL_ALL:
		snprintf(buf, len, "%s", "");
		break;
	case SLA_SEL_ROUTE:
		snprintf(buf, len, "%s%s%s", o->method, o->method[0] ? " " : "", o->pattern);
		break;
	case SLA_SEL_PORT:
		snprintf(buf, len, "port %s", o->pattern);
		break;
	case SLA_SEL_PROCESS:
		snprintf(buf, len, "process %s", o->pattern);
		break;
	case SLA_SEL_CLASS:
		snprintf(buf, len, "class %s", o->pattern);
		break;
	case SLA_SEL_FAMILY:
		snprintf(buf, len, "%s%s%s", o->family, o->pattern[0] ? " " : "", o->pattern);
		break;
	}
}

/* after the parts: the canonical text, and the name when none was given */
static void finish(struct sla_objective *o, const char *name)
{
	char sel[sizeof(o->pattern) + sizeof(o->family) + 16], metric[24];

	sla_selector_text(o, sel, sizeof(sel));
	sla_metric_text(o, metric, sizeof(metric));
	snprintf(o->text, sizeof(o->text), "%s%s%s %s %s", sel, sel[0] ? ": " : "", metric,
		 sla_op_names[o->op], o->bound_text);
	snprintf(o->name, sizeof(o->name), "%s", name && *name ? name : o->text);
}

/* "METRIC OP BOUND" in s[b, e) */
static int parse_condition(struct perr *pe, const char *s, size_t b, size_t e,
			   struct sla_objective *o)
{
	size_t me, ob, oe;
	int err;

	trim(s, &b, &e);
	for (me = b; me < e && !is_space(s[me]) && !strchr("<>=!", s[me]); me++)
		;
	err = parse_metric(pe, s, b, me, o);
	if (err)
		return err;
	for (ob = me; ob < e && is_space(s[ob]); ob++)
		;
	for (oe = ob; oe < e && strchr("<>=!", s[oe]); oe++)
		;
	err = parse_op(pe, s, ob, oe, o);
	if (err)
		return err;
	for (; oe < e && is_space(s[oe]); oe++)
		;
	return parse_bound(pe, s, oe, e, o);
}

/* the expression form; prefix is what errors begin with */
static int parse_expr(const char *expr, const char *prefix, struct sla_objective *out, char *err,
		      size_t errlen)
{
	struct perr pe = { err, errlen, prefix, NULL };
	struct sla_objective o;
	const char *colon;
	size_t len, b, e, we, nb, ne;
	long bad;
	int rc;

	memset(&o, 0, sizeof(o));
	len = strlen(expr);
	b = 0;
	e = len;
	trim(expr, &b, &e);
	if (b == e)
		return fail_msg(err, errlen, -EINVAL, "%s: empty objective", prefix);
	bad = bad_byte(expr, len);
	if (bad >= 0)
		return fail_msg(err, errlen, -EINVAL, "%s: unexpected byte 0x%02x at column %ld",
				prefix, (unsigned char)expr[bad], bad + 1);
	/* METRIC OP BOUND never holds a ':', selectors may ("class nginx :8080 *") */
	colon = strrchr(expr, ':');
	if (colon) {
		rc = parse_selector(&pe, expr, b, (size_t)(colon - expr), &o);
		if (rc)
			return rc;
		b = (size_t)(colon - expr) + 1;
	} else {
		for (we = b; we < e && !is_space(expr[we]) && !strchr("<>=!", expr[we]); we++)
			;
		for (nb = we; nb < e && is_space(expr[nb]); nb++)
			;
		for (ne = nb; ne < e && !is_space(expr[ne]) && !strchr("<>=!", expr[ne]); ne++)
			;
		if (!looks_like_metric(expr, b, we) && ne > nb) {
			/* a bare family word: "runq p99 < 2ms"; else a selector without ':' */
			if (!is_lower(expr[b]) || !looks_like_metric(expr, nb, ne))
				return fail_at(&pe, b, "unknown metric", expr + b, we - b,
					       "a selector ends with ':', e.g. 'GET /api/*: p99 < "
					       "200ms'");
			rc = parse_selector(&pe, expr, b, we, &o);
			if (rc)
				return rc;
			b = nb;
		} else {
			o.sel = SLA_SEL_ALL;
			snprintf(o.family, sizeof(o.family), "%s", family_sla_default());
		}
	}
	rc = parse_condition(&pe, expr, b, e, &o);
	if (rc)
		return rc;
	finish(&o, NULL);
	*out = o;
	return 0;
}

static void quoted_prefix(char *buf, size_t len, const char *head, const char *expr)
{
	size_t n;

	snprintf(buf, len, "%s'%.*s'", head, SLA_EXPR_MAX - 1, expr);
	/* never echo control bytes into a one-line message */
	n = strlen(head) + 1;
	for (size_t i = n; buf[i] && buf[i + 1]; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
			buf[i] = '?';
}

int sla_parse_expr(const char *expr, struct sla_objective *o, char *err, size_t errlen)
{
	char prefix[SLA_EXPR_MAX + 16];
	size_t len;

	if (!expr)
		return fail_msg(err, errlen, -EINVAL, "sla: no objective");
	len = strlen(expr);
	if (len >= SLA_EXPR_MAX)
		return fail_msg(err, errlen, -EINVAL,
				"sla: objective too long (%zu bytes, at most %d)", len,
				SLA_EXPR_MAX - 1);
	quoted_prefix(prefix, sizeof(prefix), "sla: ", expr);
	return parse_expr(expr, prefix, o, err, errlen);
}

/* ---------- the set and the file ---------- */

static int set_append(struct sla_set *set, const struct sla_objective *v, int n, char *err,
		      size_t errlen)
{
	struct sla_objective *a;

	if (set->n + n > SLA_MAX_OBJECTIVES)
		return fail_msg(err, errlen, -EINVAL, "sla: too many objectives (at most %d)",
				SLA_MAX_OBJECTIVES);
	a = realloc(set->obj, (size_t)(set->n + n) * sizeof(*a) + 1);
	if (!a)
		return fail_msg(err, errlen, -ENOMEM, "sla: out of memory");
	memcpy(a + set->n, v, (size_t)n * sizeof(*a));
	set->obj = a;
	set->n += n;
	return 0;
}

int sla_set_add_expr(struct sla_set *set, const char *expr, char *err, size_t errlen)
{
	struct sla_objective o;
	int rc = sla_parse_expr(expr, &o, err, errlen);

	return rc ? rc : set_append(set, &o, 1, err, errlen);
}

void sla_set_clear(struct sla_set *set)
{
	if (!set)
		return;
	free(set->obj);
	set->obj = NULL;
	set->n = 0;
}

static void line_col(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* a string member, checked for type, embedded NULs and control bytes */
static int get_str(struct json_object *v, const char *key, const char *prefix, const char **out,
		   char *err, size_t errlen)
{
	const char *s;

	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if ((size_t)json_object_get_string_len(v) != strlen(s))
			return fail_msg(err, errlen, -EINVAL, "%s: NUL character in \"%s\"", prefix,
					key);
	} else if (!strcmp(key, "bound") && (json_object_is_type(v, json_type_int) ||
					     json_object_is_type(v, json_type_double))) {
		/* the number as written: 1000 for a count; "200" still wants a unit */
		s = json_object_get_string(v);
	} else {
		return fail_msg(err, errlen, -EINVAL, "%s: \"%s\" must be a %s", prefix, key,
				strcmp(key, "bound") ? "string" : "string or a number");
	}
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return fail_msg(err, errlen, -EINVAL, "%s: control character in \"%s\"",
					prefix, key);
	*out = s;
	return 0;
}

/* a key from the file, fit to quote in a one-line message */
static const char *key_text(const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "%s", key);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return buf;
}

static int parse_field(const char *prefix, const char *key, const char *val,
		       int (*fn)(struct perr *, const char *, size_t, size_t,
				 struct sla_objective *),
		       struct sla_objective *o, char *err, size_t errlen)
{
	struct perr pe = { err, errlen, prefix, key };
	size_t b = 0, e = strlen(val);
	long bad = bad_byte(val, e);

	if (bad >= 0)
		return fail_msg(err, errlen, -EINVAL, "%s: unexpected byte 0x%02x in \"%s\"",
				prefix, (unsigned char)val[bad], key);
	if (e >= SLA_EXPR_MAX)
		return fail_msg(err, errlen, -EINVAL, "%s: \"%s\" too long", prefix, key);
	trim(val, &b, &e);
	return fn(&pe, val, b, e, o);
}

static int parse_metric_field(struct perr *pe, const char *s, size_t b, size_t e,
			      struct sla_objective *o)
{
	return parse_metric(pe, s, b, e, o);
}

static int parse_op_field(struct perr *pe, const char *s, size_t b, size_t e,
			  struct sla_objective *o)
{
	return parse_op(pe, s, b, e, o);
}

static int parse_bound_field(struct perr *pe, const char *s, size_t b, size_t e,
			     struct sla_objective *o)
{
	return parse_bound(pe, s, b, e, o);
}

static int parse_selector_field(struct perr *pe, const char *s, size_t b, size_t e,
				struct sla_objective *o)
{
	if (e > b && s[e - 1] == ':')
		return fail_at(pe, b, "bad selector", s + b, e - b,
			       "the selector field takes no ':'");
	if (b == e) {
		o->sel = SLA_SEL_ALL;
		snprintf(o->family, sizeof(o->family), "%s", family_sla_default());
		return 0;
	}
	return parse_selector(pe, s, b, e, o);
}

static int parse_objective(struct json_object *jo, int idx, const char *file,
			   struct sla_objective *o, char *err, size_t errlen)
{
	static const char *const keys[] = { "name", "expr", "selector", "metric", "op", "bound" };
	const char *val[6] = { NULL }, *name;
	char prefix[SLA_EXPR_MAX + 512];
	int rc;

	snprintf(prefix, sizeof(prefix), "%s: objective %d", file, idx + 1);
	if (!json_object_is_type(jo, json_type_object))
		return fail_msg(err, errlen, -EINVAL, "%s: must be an object", prefix);
	json_object_object_foreach(jo, key, v)
	{
		char kbuf[65];
		size_t k = 0;

		while (k < 6 && strcmp(key, keys[k]))
			k++;
		if (k == 6)
			return fail_msg(err, errlen, -EINVAL,
					"%s: unknown key '%s' (known: name, expr, selector, "
					"metric, op, bound)",
					prefix, key_text(key, kbuf, sizeof(kbuf)));
		rc = get_str(v, keys[k], prefix, &val[k], err, errlen);
		if (rc)
			return rc;
	}
	name = val[0];
	if (name) {
		if (!*name || strlen(name) >= sizeof(o->name))
			return fail_msg(err, errlen, -EINVAL,
					"%s: \"name\" must have 1 to %zu bytes", prefix,
					sizeof(o->name) - 1);
		snprintf(prefix, sizeof(prefix), "%s: objective %d (\"%s\")", file, idx + 1, name);
	}
	if (val[1]) {
		char head[sizeof(prefix) + 4];

		for (int k = 2; k < 6; k++)
			if (val[k])
				return fail_msg(err, errlen, -EINVAL,
						"%s: \"expr\" and \"%s\" both given (use one form)",
						prefix, keys[k]);
		if (strlen(val[1]) >= SLA_EXPR_MAX)
			return fail_msg(err, errlen, -EINVAL, "%s: \"expr\" too long", prefix);
		snprintf(head, sizeof(head), "%s: ", prefix);
		quoted_prefix(prefix, sizeof(prefix), head, val[1]);
		rc = parse_expr(val[1], prefix, o, err, errlen);
		if (rc)
			return rc;
		snprintf(o->name, sizeof(o->name), "%s", name ? name : o->text);
		return 0;
	}
	for (int k = 3; k < 6; k++)
		if (!val[k])
			return fail_msg(err, errlen, -EINVAL,
					"%s: missing \"%s\" (or give the objective as \"expr\")",
					prefix, keys[k]);
	memset(o, 0, sizeof(*o));
	rc = parse_field(prefix, "selector", val[2] ? val[2] : "", parse_selector_field, o, err,
			 errlen);
	if (!rc)
		rc = parse_field(prefix, "metric", val[3], parse_metric_field, o, err, errlen);
	if (!rc)
		rc = parse_field(prefix, "op", val[4], parse_op_field, o, err, errlen);
	if (!rc)
		rc = parse_field(prefix, "bound", val[5], parse_bound_field, o, err, errlen);
	if (rc)
		return rc;
	finish(o, name);
	return 0;
}

int sla_parse_json_text(struct sla_set *set, const char *text, size_t len, const char *origin,
			char *err, size_t errlen)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *arr = NULL;
	struct sla_objective *v = NULL;
	char file[320];
	int line, col, n = 0, rc = 0;
	const char *nul;

	if (origin)
		snprintf(file, sizeof(file), "sla file '%.300s'", origin);
	else
		snprintf(file, sizeof(file), "sla file");
	if (len > SLA_FILE_MAX)
		return fail_msg(err, errlen, -EINVAL, "%s: too large (%zu bytes, at most %d)", file,
				len, SLA_FILE_MAX);
	nul = memchr(text, '\0', len);
	if (nul) {
		line_col(text, (size_t)(nul - text), &line, &col);
		return fail_msg(err, errlen, -EINVAL, "%s: NUL byte at line %d, column %d", file,
				line, col);
	}
	tok = json_tokener_new_ex(16);
	if (!tok)
		return fail_msg(err, errlen, -ENOMEM, "%s: out of memory", file);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root) {
		enum json_tokener_error je = json_tokener_get_error(tok);
		size_t end = json_tokener_get_parse_end(tok);
		size_t b = 0;

		while (b < len && strchr(" \t\r\n", text[b]))
			b++;
		if (b == len) {
			rc = fail_msg(err, errlen, -EINVAL,
				      "%s: empty (want {\"objectives\": [...]})", file);
			goto cleanup;
		}
		if (je == json_tokener_continue)
			end = len;
		line_col(text, end > len ? len : end, &line, &col);
		rc = fail_msg(err, errlen, -EINVAL, "%s: syntax error at line %d, column %d: %s",
			      file, line, col,
			      je == json_tokener_continue ? "unexpected end of file"
							  : json_tokener_error_desc(je));
		goto cleanup;
	}
	if (!json_object_is_type(root, json_type_object)) {
		rc = fail_msg(err, errlen, -EINVAL,
			      "%s: the top level must be an object: {\"objectives\": [...]}", file);
		goto cleanup;
	}
	json_object_object_foreach(root, key, val)
	{
		char kbuf[65];

		if (strcmp(key, "objectives")) {
			rc = fail_msg(err, errlen, -EINVAL,
				      "%s: unknown key '%s' (known: objectives)", file,
				      key_text(key, kbuf, sizeof(kbuf)));
			goto cleanup;
		}
		arr = val;
	}
	if (!arr || !json_object_is_type(arr, json_type_array) || !json_object_array_length(arr)) {
		rc = fail_msg(err, errlen, -EINVAL, "%s: \"objectives\" must be a non-empty array",
			      file);
		goto cleanup;
	}
	if (json_object_array_length(arr) > (size_t)(SLA_MAX_OBJECTIVES - set->n)) {
		rc = fail_msg(err, errlen, -EINVAL, "%s: too many objectives (at most %d)", file,
			      SLA_MAX_OBJECTIVES);
		goto cleanup;
	}
	n = (int)json_object_array_length(arr);
	v = calloc((size_t)n, sizeof(*v));
	if (!v) {
		rc = fail_msg(err, errlen, -ENOMEM, "%s: out of memory", file);
		goto cleanup;
	}
	for (int i = 0; i < n; i++) {
		rc = parse_objective(json_object_array_get_idx(arr, (size_t)i), i, file, &v[i], err,
				     errlen);
		if (rc)
			goto cleanup;
	}
	rc = set_append(set, v, n, err, errlen);
cleanup:
	free(v);
	json_object_put(root);
	json_tokener_free(tok);
	return rc;
}

int sla_load_file(struct sla_set *set, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		return fail_msg(err, errlen, rc, "cannot read SLA file '%s': %s", path,
				strerror(-rc));
	}
	buf = malloc(SLA_FILE_MAX + 1);
	if (!buf) {
		rc = fail_msg(err, errlen, -ENOMEM, "cannot read SLA file '%s': %s", path,
			      strerror(ENOMEM));
		goto cleanup;
	}
	while (len <= SLA_FILE_MAX) {
		r = read(fd, buf + len, SLA_FILE_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			fail_msg(err, errlen, rc, "cannot read SLA file '%s': %s", path,
				 strerror(-rc));
			goto cleanup;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	rc = sla_parse_json_text(set, buf, len, path, err, errlen);
cleanup:
	free(buf);
	close(fd);
	return rc;
}

/* ---------- evaluation ---------- */

int sla_glob_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p && (*p == '?' || *p == *s)) {
			p++;
			s++;
		} else if (star) {
			/* let the last '*' swallow one more character */
			p = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}

int sla_matches(const struct sla_objective *o, const struct series *s)
{
	if (strcmp(s->family, o->family))
		return 0;
	switch (o->sel) {
	case SLA_SEL_ALL:
		return 1;
	case SLA_SEL_ROUTE:
		return (!o->method[0] || !strcmp(series_label(s, "method"), o->method)) &&
		       sla_glob_match(o->pattern, series_label(s, "route"));
	case SLA_SEL_PORT:
		return !strcmp(series_label(s, "port"), o->pattern);
	case SLA_SEL_PROCESS:
		return sla_glob_match(o->pattern, series_label(s, "process"));
	case SLA_SEL_CLASS:
		return sla_glob_match(o->pattern, s->name);
	case SLA_SEL_FAMILY:
		return !o->pattern[0] || sla_glob_match(o->pattern, s->name);
	}
	return 0;
}

static int top_slot(const struct hist *h)
{
	for (int i = SLT_HIST_NBUCKETS - 1; i >= 0; i--)
		if (h->slots[i])
			return i;
	return -1;
}

/*
 * The value hist_percentile() reports for a rank that falls in slot i: its
 * midpoint, clamped to max; the top slot holding one sample holds the max.
 * Budgets count each request at this value so that "pXX < B passes" and
 * "budget consumed <= 100%" always agree.
 */
static uint64_t slot_value(const struct hist *h, int i, int top)
{
	uint64_t lo = slt_hist_slot_lo((uint32_t)i), hi = slt_hist_slot_hi((uint32_t)i), mid;

	if (i == SLT_HIST_NBUCKETS - 1)
		return h->max;
	if (i == top && h->slots[i] == 1 && h->max >= lo)
		return h->max;
	mid = lo + (hi - 1 - lo) / 2;
	return mid > h->max && h->max >= lo ? h->max : mid;
}

static int over(enum sla_op op, uint64_t v, uint64_t bound)
{
	return op == SLA_OP_LE ? v > bound : v >= bound;
}

/* requests at or over (op <) or over (op <=) the bound */
static uint64_t latency_bad(const struct hist *h, const struct sla_objective *o)
{
	int top = top_slot(h);
	uint64_t bad = 0;

	for (int i = 0; i <= top; i++) {
		uint64_t n = h->slots[i];

		if (!n)
			continue;
		/* p100 is the max itself: the top slot's max sample counts as the max */
		if (o->pct == SLA_PCT_ONE && i == top) {
			bad += over(o->op, h->max, o->bound_int);
			n--;
		}
		if (n && over(o->op, slot_value(h, i, top), o->bound_int))
			bad += n;
	}
	return bad;
}

/* -1, 0, 1 as a is below, at, above b; a/b and c/d compared exactly */
static int cmp_frac(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	unsigned __int128 x = (unsigned __int128)a * d, y = (unsigned __int128)c * b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_double(double a, double b)
{
	return a < b ? -1 : a > b;
}

static int holds(enum sla_op op, int c)
{
	switch (op) {
	case SLA_OP_LT:
		return c < 0;
	case SLA_OP_LE:
		return c <= 0;
	case SLA_OP_GT:
		return c > 0;
	case SLA_OP_GE:
		return c >= 0;
	}
	return 0;
}

static void set_budget(struct sla_result *r, uint64_t bad, uint64_t allowed_num, uint64_t n)
{
	/* allowed = allowed_num / 100% * n, computed as one exact product */
	unsigned __int128 num = (unsigned __int128)allowed_num * n;

	r->has_budget = 1;
	r->bad = bad;
	r->allowed = (double)num / (double)SLA_PCT_ONE;
	if (num)
		r->consumed = (double)bad / r->allowed;
	else
		r->consumed = bad ? INFINITY : 0;
}

static void eval(const struct sla_objective *o, const struct model *m, uint64_t dur_ns,
		 struct sla_result *r)
{
	struct hist h;
	uint64_t errors = 0, good, v;
	int c = 0, top;

	memset(r, 0, sizeof(*r));
	hist_reset(&h);
	for (int i = 0; i < m->nseries; i++) {
		const struct series *s = m->series[i];

		if (!sla_matches(o, s))
			continue;
		hist_merge(&h, &s->hist);
		errors += s->errors;
		r->count += series_count(s);
		r->matched++;
	}
	if (errors > r->count)
		errors = r->count;
	/*
	 * A window's histogram carries the run's max so far (the kernel keeps no
	 * per-window max): bring it within the window's highest bucket.
	 */
	top = top_slot(&h);
	if (top >= 0 && top < (int)SLT_HIST_NBUCKETS - 1 &&
	    h.max >= slt_hist_slot_hi((uint32_t)top))
		h.max = slt_hist_slot_hi((uint32_t)top) - 1;
	r->status = SLA_NO_DATA;
	if (!r->matched)
		return;
	switch (o->metric) {
	case SLA_M_PCT:
		if (!h.count)
			return;
		v = hist_percentile(&h, (double)o->pct / (double)PCT_SCALE);
		r->value = (double)v;
		c = cmp_u64(v, o->bound_int);
		if (o->op == SLA_OP_LT || o->op == SLA_OP_LE)
			set_budget(r, latency_bad(&h, o), SLA_PCT_ONE - o->pct, h.count);
		break;
	case SLA_M_MEAN:
		if (!h.count)
			return;
		r->value = hist_mean(&h);
		c = cmp_double(r->value, (double)o->bound_int);
		break;
	case SLA_M_MAX:
		if (!h.count)
			return;
		r->value = (double)h.max;
		c = cmp_u64(h.max, o->bound_int);
		break;
	case SLA_M_ERROR_RATE:
	case SLA_M_AVAILABILITY:
		if (!r->count)
			return;
		good = r->count - errors;
		if (o->metric == SLA_M_ERROR_RATE) {
			r->value = (double)errors / (double)r->count;
			c = cmp_frac(errors, r->count, o->bound_int, SLA_PCT_ONE);
			if (o->op == SLA_OP_LT || o->op == SLA_OP_LE)
				set_budget(r, errors, o->bound_int, r->count);
		} else {
			r->value = (double)good / (double)r->count;
			c = cmp_frac(good, r->count, o->bound_int, SLA_PCT_ONE);
			if (o->op == SLA_OP_GT || o->op == SLA_OP_GE)
				set_budget(r, errors, SLA_PCT_ONE - o->bound_int, r->count);
		}
		break;
	case SLA_M_THROUGHPUT:
		/* zero requests in a known period is a measurement: 0/s */
		if (!dur_ns)
			return;
		r->value = (double)r->count / ((double)dur_ns / 1e9);
		c = cmp_double(r->value, o->bound);
		break;
	case SLA_M_COUNT:
		r->value = (double)r->count;
		c = cmp_u64(r->count, o->bound_int);
		break;
	}
	r->status = holds(o->op, c) ? SLA_PASS : SLA_FAIL;
}

void sla_evaluate(const struct sla_objective *o, const struct model *m, struct sla_result *r)
{
	eval(o, m, m->meta.duration_ns, r);
}

void sla_evaluate_all(const struct sla_set *set, const struct model *m, struct sla_result *r)
{
	for (int i = 0; i < set->n; i++)
		sla_evaluate(&set->obj[i], m, &r[i]);
}

enum sla_status sla_verdict(const struct sla_set *set, const struct sla_result *r)
{
	enum sla_status v = SLA_PASS;

	for (int i = 0; i < set->n; i++) {
		if (r[i].status == SLA_FAIL)
			return SLA_FAIL;
		if (r[i].status == SLA_NO_DATA)
			v = SLA_NO_DATA;
	}
	return v;
}

const char *sla_status_name(enum sla_status s)
{
	return s == SLA_PASS ? "pass" : s == SLA_FAIL ? "fail" : "no_data";
}

const char *sla_metric_text(const struct sla_objective *o, char *buf, size_t len)
{
	char num[32];

	if (o->metric == SLA_M_PCT) {
		fmt_fixed6(o->pct, num, sizeof(num));
		snprintf(buf, len, "p%s", num);
		return buf;
	}
	for (size_t i = 0; i < sizeof(metric_names) / sizeof(metric_names[0]); i++)
		if (metric_names[i].metric == o->metric)
			snprintf(buf, len, "%s", metric_names[i].name);
	return buf;
}

/* decimals a percentage needs to show the bound's precision and one more */
static int pct_decimals(const struct sla_objective *o)
{
	uint64_t f = o->bound_int % PCT_SCALE;
	int d = 6;

	if (!f)
		return 2;
	while (f % 10 == 0) {
		f /= 10;
		d--;
	}
	return d + 1 < 2 ? 2 : d + 1;
}

/* a non-negative double as uint64, saturating */
uint64_t sla_u64_of(double v)
{
	if (!(v > 0))
		return 0;
	return v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)(v + 0.5);
}

const char *sla_fmt_value(const struct sla_objective *o, double v, char *buf, size_t len)
{
	switch (o->unit) {
	case SLA_UNIT_NS:
		return slt_fmt_duration(sla_u64_of(v), buf, len);
	case SLA_UNIT_RATIO:
		snprintf(buf, len, "%.*f%%", pct_decimals(o), v * 100);
		break;
	case SLA_UNIT_PER_S:
		snprintf(buf, len, "%.1f/s", v);
		break;
	case SLA_UNIT_COUNT:
		snprintf(buf, len, "%.0f", v);
		break;
	}
	return buf;
}

const char *sla_unit_name(enum sla_unit u)
{
	static const char *const names[] = { "ns", "ratio", "per_s", "count" };

	return names[u];
}

/* ---------- windows ---------- */

struct sla_tracker {
	const struct sla_set *set;
	int n;
	uint64_t windows;
	struct sla_window_stats st[];
};

struct sla_tracker *sla_tracker_new(const struct sla_set *set)
{
	struct sla_tracker *t = calloc(1, sizeof(*t) + (size_t)set->n * sizeof(t->st[0]));

	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->set = set;
	t->n = set->n;
	return t;
}

void sla_tracker_free(struct sla_tracker *t)
{
	free(t);
}

int sla_tracker_window(struct sla_tracker *t, const struct model *w, uint64_t start_ns,
		       uint64_t end_ns, struct sla_breach *out, int max)
{
	int nb = 0;

	t->windows++;
	for (int i = 0; i < t->n; i++) {
		const struct sla_objective *o = &t->set->obj[i];
		struct sla_window_stats *st = &t->st[i];
		struct sla_result r;

		eval(o, w, end_ns > start_ns ? end_ns - start_ns : 0, &r);
		st->windows++;
		st->last_status = r.status;
		st->last_start_ns = start_ns;
		st->last_end_ns = end_ns;
		st->last_burn_valid = r.has_budget;
		st->last_burn = r.has_budget ? r.consumed : 0;
		switch (r.status) {
		case SLA_PASS:
			st->met++;
			st->in_breach = 0;
			break;
		case SLA_NO_DATA:
			st->no_data++;
			break;
		case SLA_FAIL:
			st->failed++;
			if (st->in_breach)
				break;
			st->in_breach = 1;
			st->breaches++;
			if (nb < max && out) {
				out[nb].index = i;
				out[nb].obj = o;
				out[nb].result = r;
				out[nb].window_start_ns = start_ns;
				out[nb].window_end_ns = end_ns;
				out[nb].episode = st->breaches;
				nb++;
			}
			break;
		}
	}
	return nb;
}

uint64_t sla_tracker_windows(const struct sla_tracker *t)
{
	return t->windows;
}

const struct sla_window_stats *sla_tracker_stats(const struct sla_tracker *t, int i)
{
	return i >= 0 && i < t->n ? &t->st[i] : NULL;
}

