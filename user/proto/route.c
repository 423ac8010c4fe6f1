// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Route patterns and the learned segment limit (route.h).
 *
 * Why a limit per segment position and not only a cap on classes: a cap
 * alone keeps the first N paths a scanner sends as classes and folds the
 * real routes that come later into "other"; the limit sees that /a<letters>
 * takes a new value every time and folds only that position into a "*"
 * segment, so /users/{id} and the scanned position both stay readable.
 * Values are kept as 64-bit FNV-1a hashes, not strings, so a position costs
 * 8 bytes per value whatever the clients send; two values sharing a hash
 * (odds about n^2 / 2^65) would only share a class, never lose a count.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "proto/route.h"

#define INDEX_SLOTS (2 * ROUTE_LEARN_POSITIONS) /* a power of two */

struct position {
	uint64_t key; /* 0: unused */
	uint32_t n;   /* values learned */
};

struct route_learner {
	unsigned limit;
	unsigned npos;
	uint64_t positions_full;
	uint16_t index[INDEX_SLOTS]; /* position + 1, 0: empty */
	struct position pos[ROUTE_LEARN_POSITIONS];
	uint64_t vals[]; /* ROUTE_LEARN_POSITIONS * limit */
};

static uint64_t fnv_step(uint64_t h, uint8_t c)
{
	return (h ^ c) * 1099511628211ull;
}

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = fnv_step(h, (uint8_t)s[i]);
	return h;
}

#define FNV_BASIS 14695981039346656037ull

int route_pattern_check(const char *pat, const char **why)
{
	const char *dummy;
	size_t i, n;

	if (!why)
		why = &dummy;
	if (!pat || pat[0] != '/') {
		*why = "a pattern starts with '/'";
		return -EINVAL;
	}
	n = strlen(pat);
	if (n >= ROUTE_PATTERN_MAX) {
		*why = "longer than 255 bytes";
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)pat[i];

		if (c <= ' ' || c >= 0x7f) {
			*why = "spaces, control and non-ASCII bytes cannot be in a path";
			return -EINVAL;
		}
		if (c == '?' || c == '#') {
			*why = "a pattern matches the path: no '?' or '#'";
			return -EINVAL;
		}
		if (c == '*' && i != n - 1) {
			*why = "'*' only at the end";
			return -EINVAL;
		}
		if (c == '}') {
			*why = "'}' without '{'";
			return -EINVAL;
		}
		if (c == '{') {
			size_t j = i + 1;

			if (pat[i - 1] != '/') {
				*why = "'{name}' must be a whole segment";
				return -EINVAL;
			}
			while (j < n && pat[j] != '}' && pat[j] != '/' && pat[j] != '{' &&
			       pat[j] != '*')
				j++;
			if (j == n || pat[j] != '}') {
				*why = "'{' without its '}'";
				return -EINVAL;
			}
			if (j == i + 1) {
				*why = "'{}' needs a name";
				return -EINVAL;
			}
			if (pat[j + 1] && pat[j + 1] != '/') {
				*why = "'{name}' must be a whole segment";
				return -EINVAL;
			}
			i = j;
		}
	}
	return 0;
}

int route_match(const char *pat, const char *path)
{
	size_t end, i = 0, j = 0;

	if (!pat || !path)
		return 0;
	end = strcspn(path, "?#");
	for (;;) {
		if (pat[i] == '*' && !pat[i + 1])
			return 1;
		if (!pat[i])
			return j == end;
		if (pat[i] == '{') {
			size_t k = j;

			while (k < end && path[k] != '/')
				k++;
			if (k == j)
				return 0; /* {name} needs a non-empty segment */
			while (pat[i] != '}')
				i++;
			i++;
			j = k;
			continue;
		}
		if (j == end || pat[i] != path[j])
			return 0;
		i++;
		j++;
	}
}

struct route_learner *route_learner_new(unsigned limit)
{
	struct route_learner *l;

	if (!limit || limit > ROUTE_SEGMENT_LIMIT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l) + (size_t)ROUTE_LEARN_POSITIONS * limit * sizeof(uint64_t));
	if (!l)
		return NULL;
	l->limit = limit;
	return l;
}

void route_learner_free(struct route_learner *l)
{
	free(l);
}

uint64_t route_learner_positions_full(const struct route_learner *l)
{
	return l ? l->positions_full : 0;
}

/* the position of key, made when new; -1 when every position is taken */
static int position(struct route_learner *l, uint64_t key)
{
	uint32_t s = (uint32_t)(key ^ (key >> 32)) & (INDEX_SLOTS - 1);

	for (;; s = (s + 1) & (INDEX_SLOTS - 1)) {
		unsigned p = l->index[s];

		if (!p)
			break;
		if (l->pos[p - 1].key == key)
			return (int)p - 1;
	}
	if (l->npos == ROUTE_LEARN_POSITIONS)
		return -1; /* the index is never more than half full */
	l->pos[l->npos].key = key;
	l->index[s] = (uint16_t)(l->npos + 1);
	return (int)l->npos++;
}

/* value v at position p is one of its first `limit`: 1; else 0 */
static int admit(struct route_learner *l, int p, uint64_t v)
{
	uint64_t *vals = l->vals + (size_t)p * l->limit;
	struct position *ps = &l->pos[p];

	for (uint32_t i = 0; i < ps->n; i++)
		if (vals[i] == v)
			return 1;
	if (ps->n == l->limit)
		return 0;
	vals[ps->n++] = v;
	return 1;
}

struct out {
	char *buf;
	size_t len, o;
	int trunc;
	uint64_t h; /* hash of the scope and everything written */
};

static void emit(struct out *w, const char *s, size_t n)
{
	for (size_t k = 0; k < n && !w->trunc; k++) {
		if (w->o + 1 >= w->len) {
			w->trunc = 1;
			break;
		}
		w->buf[w->o++] = s[k];
		w->h = fnv_step(w->h, (uint8_t)s[k]);
	}
}

int route_learn(struct route_learner *l, const char *scope, const char *route, char *out,
		size_t len)
{
	struct out w = { .buf = out, .len = len };
	size_t end, i = 0, j;
	int stars = 0;

	if (!out || !len)
		return 0;
	out[0] = '\0';
	if (!route)
		return 0;
	/* the scope, then a byte no path holds, then the route so far */
	w.h = fnv_step(fnv(FNV_BASIS, scope ? scope : "", scope ? strlen(scope) : 0), 0xff);
	end = strcspn(route, "?#");
	while (i < end && !w.trunc) {
		uint64_t key;
		int p, keep = 1;

		if (route[i] == '/') {
			emit(&w, "/", 1);
			i++;
			continue;
		}
		for (j = i; j < end && route[j] != '/'; j++)
			;
		if (l) {
			key = w.h ? w.h : 1;
			p = position(l, key);
			if (p < 0)
				l->positions_full++;
			keep = p >= 0 && admit(l, p, fnv(FNV_BASIS, route + i, j - i));
		}
		if (keep) {
			emit(&w, route + i, j - i);
		} else {
			emit(&w, "*", 1);
			stars++;
		}
		i = j;
	}
	if (w.trunc && len >= 4) {
		if (w.o > len - 4)
			w.o = len - 4;
		memcpy(out + w.o, "...", 3);
		w.o += 3;
	}
	out[w.o] = '\0';
	return stars;
}
