// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "core/model.h"

struct model *model_new(void)
{
	return calloc(1, sizeof(struct model));
}

static void series_free(struct series *s)
{
	if (!s)
		return;
	free(s->counters);
	for (int r = 0; r < SLT_ROLE_MAX; r++)
		free(s->role[r]);
	free(s->win);
	free(s);
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nseries; i++)
		series_free(m->series[i]);
	free(m->series);
	htab_free(&m->index);
	free(m->stats);
	free(m);
}

/* strlcpy: the hot path of every record (no printf machinery) */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = src ? strnlen(src, len - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = 0;
}

static uint64_t series_hash(const char *family, const char *name)
{
	static const unsigned char sep = 0xff; /* in no name: "ab"+"c" is not "a"+"bc" */

	return htab_hash_str(htab_hash_bytes(htab_hash_str(HTAB_HASH_INIT, family), &sep, 1), name);
}

static uint64_t series_hash_of(const void *ctx, uint32_t i)
{
	const struct series *s = ((const struct model *)ctx)->series[i];

	return series_hash(s->family, s->name);
}

/* the probe position of family+name: where it is, or the empty slot
 * that ends its probe */
static uint32_t series_probe(const struct model *m, const char *family, const char *name,
			     struct series **found)
{
	uint32_t pos = htab_pos(&m->index, series_hash(family, name));
	int i;

	*found = NULL;
	for (; (i = htab_at(&m->index, pos)) >= 0; pos = htab_next(&m->index, pos)) {
		if (!strcmp(m->series[i]->family, family) && !strcmp(m->series[i]->name, name)) {
			*found = m->series[i];
			break;
		}
	}
	return pos;
}

struct series *model_find(const struct model *m, const char *family, const char *name)
{
	struct series *s;

	series_probe(m, family, name, &s);
	return s;
}

struct series *model_series(struct model *m, const char *family, const char *full_name)
{
	char name[sizeof(((struct series *)0)->name)];
	char fam[sizeof(((struct series *)0)->family)];
	struct series *s;
	uint32_t pos;

	/* compare as stored: a name longer than the field is kept truncated */
	copy_str(name, sizeof(name), full_name);
	copy_str(fam, sizeof(fam), family);
	if (htab_reserve(&m->index, series_hash_of, m))
		return NULL;
	pos = series_probe(m, fam, name, &s);
	if (s)
		return s;
	if (m->nseries == m->cap) {
		int cap = m->cap ? m->cap * 2 : 64;
		struct series **n = realloc(m->series, cap * sizeof(*n));

		if (!n)
			return NULL;
		m->series = n;
		m->cap = cap;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	copy_str(s->family, sizeof(s->family), fam);
	copy_str(s->name, sizeof(s->name), name);
	m->series[m->nseries++] = s;
	htab_put(&m->index, pos);
	return s;
}

int series_set_label(struct series *s, const char *full_key, const char *val)
{
	char key[sizeof(s->labels[0].key)];

	copy_str(key, sizeof(key), full_key);
	for (int i = 0; i < s->nlabels; i++) {
		if (!strcmp(s->labels[i].key, key)) {
			copy_str(s->labels[i].val, sizeof(s->labels[i].val), val);
			return 0;
		}
	}
	if (s->nlabels >= SLT_MAX_LABELS)
		return -E2BIG;
	copy_str(s->labels[s->nlabels].key, sizeof(s->labels[0].key), key);
	copy_str(s->labels[s->nlabels].val, sizeof(s->labels[0].val), val);
	s->nlabels++;
	return 0;
}

const char *series_label(const struct series *s, const char *key)
{
	for (int i = 0; i < s->nlabels; i++)
		if (!strcmp(s->labels[i].key, key))
			return s->labels[i].val;
	return "";
}

static struct counter *counter_get(struct series *s, const char *full_name)
{
	char name[sizeof(s->counters[0].name)];
	struct counter *c;

	copy_str(name, sizeof(name), full_name);
	for (int i = 0; i < s->ncounters; i++)
		if (!strcmp(s->counters[i].name, name))
			return &s->counters[i];
	c = realloc(s->counters, (s->ncounters + 1) * sizeof(*c));
	if (!c)
		return NULL;
	s->counters = c;
	c += s->ncounters++;
	copy_str(c->name, sizeof(c->name), name);
	c->code = SLT_NO_CODE;
	c->value = 0;
	return c;
}

int series_set_counter(struct series *s, const char *name, uint64_t value)
{
	struct counter *c = counter_get(s, name);

	if (!c)
		return -ENOMEM;
	c->value = value;
	return 0;
}

int series_set_code(struct series *s, const char *name, int32_t code, uint64_t value)
{
	struct counter *c = counter_get(s, name);

	if (!c)
		return -ENOMEM;
	c->code = code;
	c->value = value;
	return 0;
}

int series_add_code(struct series *s, const char *name, int32_t code, uint64_t n)
{
	struct counter *c = counter_get(s, name);

	if (!c)
		return -ENOMEM;
	c->code = code;
	c->value += n;
	return 0;
}

uint64_t series_counter(const struct series *s, const char *full_name)
{
	char name[sizeof(s->counters[0].name)];

	copy_str(name, sizeof(name), full_name);
	for (int i = 0; i < s->ncounters; i++)
		if (!strcmp(s->counters[i].name, name))
			return s->counters[i].value;
	return 0;
}

int series_add_counter(struct series *s, const char *name, uint64_t n)
{
	return series_set_counter(s, name, series_counter(s, name) + n);
}

static struct hist *hist_on_demand(struct hist **h)
{
	if (!*h)
		*h = calloc(1, sizeof(**h));
	return *h;
}

struct hist *series_role(struct series *s, enum slt_role r)
{
	if ((unsigned)r >= SLT_ROLE_MAX)
		return NULL;
	return hist_on_demand(&s->role[r]);
}

uint64_t series_count(const struct series *s)
{
	return s->hist.count + s->failed + s->untimed;
}

static int counters_set(struct counter **v, int *n, const char *full_name, uint64_t value)
{
	char name[sizeof((*v)->name)];
	struct counter *c;

	copy_str(name, sizeof(name), full_name);
	for (int i = 0; i < *n; i++) {
		if (!strcmp((*v)[i].name, name)) {
			(*v)[i].value = value;
			return 0;
		}
	}
	c = realloc(*v, (*n + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	*v = c;
	copy_str(c[*n].name, sizeof(c->name), name);
	c[*n].code = SLT_NO_CODE;
	c[*n].value = value;
	(*n)++;
	return 0;
}

uint64_t model_stat(const struct model *m, const char *full_name)
{
	char name[sizeof(m->stats[0].name)];

	copy_str(name, sizeof(name), full_name);
	for (int i = 0; i < m->nstats; i++)
		if (!strcmp(m->stats[i].name, name))
			return m->stats[i].value;
	return 0;
}

int model_stat_add(struct model *m, const char *name, uint64_t n)
{
	return counters_set(&m->stats, &m->nstats, name, model_stat(m, name) + n);
}

static int by_total_desc(const void *a, const void *b)
{
	const struct series *x = *(struct series *const *)a, *y = *(struct series *const *)b;

	if (x->hist.sum != y->hist.sum)
		return x->hist.sum < y->hist.sum ? 1 : -1;
	if (x->hist.count != y->hist.count)
		return x->hist.count < y->hist.count ? 1 : -1;
	return strcmp(x->name, y->name);
}

struct series **model_sorted(const struct model *m, const char *family, int *n)
{
	struct series **v = calloc(m->nseries ? m->nseries : 1, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (int i = 0; i < m->nseries; i++)
		if (!family || !strcmp(m->series[i]->family, family))
			v[(*n)++] = m->series[i];
	qsort(v, *n, sizeof(*v), by_total_desc);
	return v;
}

static struct series *series_clone_into(struct model *dst, const struct series *s)
{
	struct series *c = model_series(dst, s->family, s->name);

	if (!c)
		return NULL;
	memcpy(c->labels, s->labels, sizeof(s->labels));
	c->nlabels = s->nlabels;
	c->hist = s->hist;
	c->errors = s->errors;
	c->failed = s->failed;
	c->untimed = s->untimed;
	memcpy(c->bytes, s->bytes, sizeof(s->bytes));
	for (int r = 0; r < SLT_ROLE_MAX; r++)
		if (s->role[r] &&
		    (!series_role(c, r) || !memcpy(c->role[r], s->role[r], sizeof(*s->role[r]))))
			return NULL;
	if (s->win && (!(c->win = malloc(sizeof(*c->win))) || !memcpy(c->win, s->win, sizeof(*c->win))))
		return NULL;
	for (int i = 0; i < s->ncounters; i++)
		if (series_set_code(c, s->counters[i].name, s->counters[i].code,
				    s->counters[i].value))
			return NULL;
	return c;
}

struct model *model_clone(const struct model *m)
{
	struct model *c = model_new();

	if (!c)
		return NULL;
	memcpy(c->lost, m->lost, sizeof(m->lost));
	c->meta = m->meta;
	for (int i = 0; i < m->nstats; i++) {
		if (model_stat_add(c, m->stats[i].name, m->stats[i].value)) {
			model_free(c);
			return NULL;
		}
	}
	for (int i = 0; i < m->nseries; i++) {
		if (!series_clone_into(c, m->series[i])) {
			model_free(c);
			return NULL;
		}
	}
	return c;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

struct model *model_delta(const struct model *now, const struct model *before)
{
	struct model *d = model_clone(now);

	if (!d)
		return NULL;
	for (int i = 0; i < SLT_LOSS_MAX; i++)
		d->lost[i] = sub0(now->lost[i], before ? before->lost[i] : 0);
	if (!before)
		return d;
	for (int i = 0; i < d->nstats; i++)
		d->stats[i].value = sub0(d->stats[i].value, model_stat(before, d->stats[i].name));
	for (int i = 0; i < d->nseries; i++) {
		struct series *s = d->series[i];
		const struct series *b = model_find(before, s->family, s->name);

		if (!b)
			continue;
		hist_delta(&s->hist, &now->series[i]->hist, &b->hist);
		for (int r = 0; r < SLT_ROLE_MAX; r++)
			if (s->role[r] && b->role[r])
				hist_delta(s->role[r], now->series[i]->role[r], b->role[r]);
		s->errors = sub0(s->errors, b->errors);
		s->failed = sub0(s->failed, b->failed);
		s->untimed = sub0(s->untimed, b->untimed);
		for (int k = 0; k < 2; k++)
			s->bytes[k] = sub0(s->bytes[k], b->bytes[k]);
		for (int k = 0; k < s->ncounters; k++)
			s->counters[k].value = sub0(s->counters[k].value,
						    series_counter(b, s->counters[k].name));
	}
	return d;
}

int run_meta_add_family(struct run_meta *r, const char *name)
{
	if (!name || !*name)
		return -EINVAL;
	if (r->nfamilies >= SLT_META_FAMILIES_MAX)
		return -E2BIG;
	copy_str(r->families[r->nfamilies++], sizeof(r->families[0]), name);
	return 0;
}

int run_meta_has_family(const struct run_meta *r, const char *full_name)
{
	char name[sizeof(r->families[0])];

	copy_str(name, sizeof(name), full_name);
	for (int i = 0; i < r->nfamilies; i++)
		if (!strcmp(r->families[i], name))
			return 1;
	return 0;
}

const char *run_meta_families_joined(const struct run_meta *r, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (int i = 0; i < r->nfamilies && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "", r->families[i]);
	return buf;
}

const char *model_loss_name(int i)
{
	static const char *const names[SLT_LOSS_MAX] = {
		[SLT_DROP_RINGBUF] = "ringbuf_reserve_failed",
		[SLT_DROP_MAP_FULL] = "map_full",
		[SLT_DROP_OUT_OF_RANGE] = "out_of_range",
		[SLT_DROP_NO_STORAGE] = "no_task_storage",
		[SLT_LOSS_UNDECODABLE] = "undecodable_records",
	};

	return i >= 0 && i < SLT_LOSS_MAX ? names[i] : "unknown";
}

uint64_t model_lost_total(const struct model *m)
{
	uint64_t t = 0;

	for (int i = 0; i < SLT_LOSS_MAX; i++)
		t += m->lost[i];
	return t;
}
