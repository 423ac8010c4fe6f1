// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include "core/parse.h"

struct unit {
	const char *name;
	double mult;
};

/* A plain decimal at the start of s: digits with at most one '.', and a
 * digit on at least one side of it ("12", "0.5", ".5", "5."). No sign,
 * space, exponent, hex, "inf" or "nan", which strtod alone would take.
 * *end: the first byte after it. -EINVAL when there is none, -ERANGE when
 * it does not fit a double. */
static int decimal_prefix(const char *s, double *v, const char **end)
{
	const char *p = s;
	char *e;
	int digits = 0;

	if (!s)
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++)
		digits++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
	if (!digits)
		return -EINVAL;
	errno = 0;
	*v = strtod(s, &e);
	if (e != p)
		return -EINVAL;
	if (errno == ERANGE || !isfinite(*v))
		return -ERANGE;
	*end = p;
	return 0;
}

int slt_parse_decimal(const char *s, double min, double max, double *v)
{
	const char *end;
	double d;
	int err = decimal_prefix(s, &d, &end);

	if (err)
		return err;
	if (*end)
		return -EINVAL;
	if (d < min || d > max)
		return -ERANGE;
	*v = d;
	return 0;
}

/* parse "<number><unit>" where unit is one of units (or none: def_mult) */
static int parse_scaled(const char *s, const struct unit *units, double def_mult,
			int allow_frac, uint64_t *out)
{
	const char *end;
	double v, m = -1;
	int err;

	if (!allow_frac) {
		for (const char *p = s; p && *p && !isalpha((unsigned char)*p); p++)
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
	}
	err = decimal_prefix(s, &v, &end);
	if (err)
		return err;
	if (!*end) {
		m = def_mult;
	} else {
		for (const struct unit *u = units; u->name; u++) {
			if (!strcmp(end, u->name)) {
				m = u->mult;
				break;
			}
		}
	}
	if (m < 0)
		return -EINVAL;
	if (!memchr(s, '.', (size_t)(end - s)) && m == (double)(uint64_t)m) {
		/* whole numbers stay exact: integer arithmetic, overflow checked */
		unsigned long long iv, im = (unsigned long long)m;

		errno = 0;
		iv = strtoull(s, NULL, 10);
		if (errno == ERANGE || (im && iv > UINT64_MAX / im))
			return -ERANGE;
		*out = iv * im;
		return 0;
	}
	v *= m;
	if (v >= 18446744073709551615.0)
		return -ERANGE;
	*out = (uint64_t)(v + 0.5);
	return 0;
}

int slt_parse_duration(const char *s, uint64_t *ns)
{
	static const struct unit units[] = {
		{ "ns", 1 },	   { "us", 1e3 },   { "ms", 1e6 }, { "s", 1e9 },
		{ "m", 60e9 },	   { "min", 60e9 }, { "h", 3600e9 }, { NULL, 0 },
	};

	return parse_scaled(s, units, 1e9, 1, ns);
}

int slt_parse_size(const char *s, uint64_t *bytes)
{
	static const struct unit units[] = {
		{ "B", 1 },	       { "k", 1e3 },	      { "K", 1e3 },
		{ "KB", 1e3 },	       { "KiB", 1024.0 },     { "M", 1e6 },
		{ "MB", 1e6 },	       { "MiB", 1048576.0 },  { "G", 1e9 },
		{ "GB", 1e9 },	       { "GiB", 1073741824.0 }, { NULL, 0 },
	};

	return parse_scaled(s, units, 1, 0, bytes);
}

int slt_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int slt_parse_pid_list(const char *s, uint32_t *pids, int max, int *n)
{
	char buf[4096], *save = NULL, *tok;
	uint64_t v;
	int err;

	if (!s || !*s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		err = slt_parse_u64(tok, 1, 4194304, &v);
		if (err)
			return err;
		if (*n >= max)
			return -E2BIG;
		pids[(*n)++] = (uint32_t)v;
	}
	/* "1,,2" and a trailing comma are mistakes, not empty entries */
	if (!*n || s[strlen(s) - 1] == ',' || strstr(s, ",,") || s[0] == ',')
		return -EINVAL;
	return 0;
}

const char *slt_fmt_duration(uint64_t ns, char *buf, unsigned long len)
{
	/* pick the unit after rounding, so 999999 ns is 1.00ms, not 1000.00us */
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 999995)
		snprintf(buf, len, "%.2fus", ns / 1e3);
	else if (ns < 999995000)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}

int slt_span_cstr(const char *s, unsigned long len, char *buf, unsigned long cap)
{
	if (!len || len >= cap)
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}
