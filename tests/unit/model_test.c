// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The model (core/model.c): series find-or-create, labels, counters, the
 * report order, deep copies and interval deltas, loss-stage names. */
#include <errno.h>
#include <stdlib.h>
#include "harness.h"
#include "core/model.h"

static struct series *add(struct model *m, const char *name, uint64_t v, uint64_t n)
{
	struct series *s = model_series(m, "syscall", name);

	if (s)
		hist_add_n(&s->hist, v, n);
	return s;
}

TEST(model_series_finds_or_creates)
{
	struct model *m = model_new();
	struct series *a, *b, *c, *d;
	int n;

	CHECK(m);
	a = model_series(m, "syscall", "read");
	b = model_series(m, "syscall", "write");
	c = model_series(m, "syscall", "read");
	/* the same name in another family is another series */
	d = model_series(m, "sched", "read");
	n = m->nseries;
	if (!a || !b || !d || a != c || a == b || a == d || n != 3) {
		model_free(m);
		CHECK_MSG(0, "find-or-create: a=%p b=%p c=%p d=%p n=%d", (void *)a, (void *)b,
			  (void *)c, (void *)d, n);
	}
	CHECK_STR(a->family, "syscall");
	CHECK_STR(a->name, "read");
	CHECK_STR(d->family, "sched");
	CHECK_EQ_U64(a->hist.count, 0);
	CHECK_EQ_INT(a->nlabels, 0);
	CHECK_EQ_INT(a->ncounters, 0);
	model_free(m);
}

TEST(model_series_grows_past_its_first_allocation)
{
	struct model *m = model_new();
	struct series *first;
	char name[32];
	int ok = 1;

	CHECK(m);
	first = model_series(m, "syscall", "s0");
	for (int i = 1; i < 1000 && ok; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		ok = model_series(m, "syscall", name) != NULL;
	}
	ok = ok && m->nseries == 1000 && model_series(m, "syscall", "s0") == first &&
	     model_series(m, "syscall", "s999") == m->series[999] && m->nseries == 1000;
	model_free(m);
	CHECK(ok);
}

/* Names are stored in fixed arrays; a name longer than the array must still
 * find its own series again instead of creating one per call. */
TEST(model_series_long_name_is_found_again)
{
	struct model *m = model_new();
	char name[200];
	struct series *a, *b;
	int n;

	CHECK(m);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	a = model_series(m, "syscall", name);
	b = model_series(m, "syscall", name);
	n = m->nseries;
	model_free(m);
	CHECK_MSG(a && a == b && n == 1,
		  "a 199-char name gave %d series (the second lookup missed the first)", n);
}

/* The same for label keys and counter names: setting one twice must not
 * add it twice. */
TEST(model_long_label_key_and_counter_name_are_found_again)
{
	struct model *m = model_new();
	struct series *s;
	char key[64];
	int nlabels, ncounters;

	CHECK(m);
	s = model_series(m, "syscall", "read");
	if (!s)
		model_free(m);
	CHECK(s);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = 0;
	series_set_label(s, key, "1");
	series_set_label(s, key, "2");
	series_set_counter(s, key, 1);
	series_set_counter(s, key, 2);
	nlabels = s->nlabels;
	ncounters = s->ncounters;
	model_free(m);
	CHECK_MSG(nlabels == 1, "a 63-char label key set twice gave %d labels", nlabels);
	CHECK_MSG(ncounters == 1, "a 63-char counter name set twice gave %d counters", ncounters);
}

TEST(model_labels_set_and_replace)
{
	struct model *m = model_new();
	struct series *s;

	CHECK(m);
	s = model_series(m, "syscall", "read");
	if (!s)
		model_free(m);
	CHECK(s);
	CHECK_EQ_INT(series_set_label(s, "syscall", "read"), 0);
	CHECK_EQ_INT(series_set_label(s, "comm", "nginx"), 0);
	CHECK_EQ_INT(series_set_label(s, "comm", "redis"), 0);
	CHECK_EQ_INT(s->nlabels, 2);
	CHECK_STR(s->labels[0].key, "syscall");
	CHECK_STR(s->labels[0].val, "read");
	CHECK_STR(s->labels[1].key, "comm");
	CHECK_STR(s->labels[1].val, "redis");
	CHECK_EQ_INT(series_set_label(s, "a", "1"), 0);
	CHECK_EQ_INT(series_set_label(s, "b", "2"), 0);
	CHECK_EQ_INT(s->nlabels, SLT_MAX_LABELS);
	CHECK_EQ_INT(series_set_label(s, "c", "3"), -E2BIG);
	/* replacing an existing key still works when full */
	CHECK_EQ_INT(series_set_label(s, "a", "9"), 0);
	CHECK_STR(s->labels[2].val, "9");
	/* read back by key: the one reader reports and family printers use */
	CHECK_STR(series_label(s, "comm"), "redis");
	CHECK_STR(series_label(s, "a"), "9");
	CHECK_STR(series_label(s, "c"), "");
	CHECK_EQ_INT(s->nlabels, SLT_MAX_LABELS);
	model_free(m);
}

TEST(model_counters_set_and_get)
{
	struct model *m = model_new();
	struct series *s;

	CHECK(m);
	s = model_series(m, "syscall", "openat");
	if (!s)
		model_free(m);
	CHECK(s);
	CHECK_EQ_U64(series_counter(s, "ENOENT"), 0);
	CHECK_EQ_INT(series_set_counter(s, "ENOENT", 5), 0);
	CHECK_EQ_INT(series_set_counter(s, "EACCES", 2), 0);
	CHECK_EQ_U64(series_counter(s, "ENOENT"), 5);
	CHECK_EQ_U64(series_counter(s, "EACCES"), 2);
	/* set, not add */
	CHECK_EQ_INT(series_set_counter(s, "ENOENT", 7), 0);
	CHECK_EQ_U64(series_counter(s, "ENOENT"), 7);
	CHECK_EQ_INT(s->ncounters, 2);
	CHECK_EQ_U64(series_counter(s, "EPERM"), 0);
	for (int i = 0; i < 200; i++) {
		char name[16];

		snprintf(name, sizeof(name), "E%d", i);
		CHECK_EQ_INT(series_set_counter(s, name, (uint64_t)i), 0);
	}
	CHECK_EQ_INT(s->ncounters, 202);
	CHECK_EQ_U64(series_counter(s, "E199"), 199);
	CHECK_EQ_U64(series_counter(s, "ENOENT"), 7);
	model_free(m);
}

TEST(model_sorted_by_total_then_count_then_name)
{
	struct model *m = model_new();
	struct series **v;
	int n = -1;
	const char *want[] = {"big", "tie_many", "tie_a", "tie_b", "small", "empty"};
	int ok = 1;

	CHECK(m);
	add(m, "small", 10, 1);
	add(m, "tie_b", 100, 10);
	add(m, "empty", 0, 0);
	add(m, "tie_many", 50, 20);
	add(m, "big", 1000000, 3);
	add(m, "tie_a", 100, 10);
	model_series(m, "other", "huge");
	hist_add(&model_series(m, "other", "huge")->hist, 1ull << 40);
	v = model_sorted(m, "syscall", &n);
	if (!v) {
		model_free(m);
		CHECK(v);
	}
	ok = n == 6;
	for (int i = 0; ok && i < 6; i++)
		ok = !strcmp(v[i]->name, want[i]);
	if (!ok) {
		for (int i = 0; i < n; i++)
			printf("      [%d] %s sum=%llu count=%llu\n", i, v[i]->name,
			       (unsigned long long)v[i]->hist.sum,
			       (unsigned long long)v[i]->hist.count);
	}
	free(v);
	/* NULL: every family */
	v = model_sorted(m, NULL, &n);
	ok = ok && v && n == 7 && !strcmp(v[0]->name, "huge");
	free(v);
	/* a family with no series: an empty, freeable array */
	v = model_sorted(m, "nope", &n);
	ok = ok && v && n == 0;
	free(v);
	model_free(m);
	CHECK(ok);
}

TEST(model_sorted_on_an_empty_model)
{
	struct model *m = model_new();
	struct series **v;
	int n = -1;

	CHECK(m);
	v = model_sorted(m, NULL, &n);
	model_free(m);
	CHECK(v);
	free(v);
	CHECK_EQ_INT(n, 0);
}

static struct model *sample_model(void)
{
	struct model *m = model_new();
	struct series *s;

	if (!m)
		return NULL;
	s = add(m, "read", 5000, 100);
	if (!s || series_set_label(s, "syscall", "read") || series_set_counter(s, "EAGAIN", 4)) {
		model_free(m);
		return NULL;
	}
	s->errors = 4;
	s = add(m, "openat", 20000, 50);
	if (!s || series_set_counter(s, "ENOENT", 10) || series_set_counter(s, "EACCES", 1)) {
		model_free(m);
		return NULL;
	}
	s->errors = 11;
	m->lost[SLT_DROP_RINGBUF] = 3;
	m->lost[SLT_LOSS_UNDECODABLE] = 2;
	snprintf(m->meta.host, sizeof(m->meta.host), "box");
	run_meta_add_family(&m->meta, "syscalls");
	m->meta.duration_ns = 2000000000ull;
	return m;
}

TEST(model_clone_is_a_deep_copy)
{
	struct model *m = sample_model(), *c;
	struct series *sm, *sc;
	int ok;

	CHECK(m);
	c = model_clone(m);
	if (!c) {
		model_free(m);
		CHECK(c);
	}
	sm = model_series(m, "syscall", "openat");
	sc = model_series(c, "syscall", "openat");
	ok = c->nseries == m->nseries && sc && sc != sm && sc->counters != sm->counters &&
	     sc->ncounters == 2 && series_counter(sc, "ENOENT") == 10 && sc->errors == 11 &&
	     !memcmp(&sc->hist, &sm->hist, sizeof(sc->hist)) &&
	     !memcmp(c->lost, m->lost, sizeof(c->lost)) && !strcmp(c->meta.host, "box") &&
	     c->meta.duration_ns == m->meta.duration_ns &&
	     model_series(c, "syscall", "read")->nlabels == 1 &&
	     !strcmp(model_series(c, "syscall", "read")->labels[0].val, "read");
	/* changing the original leaves the copy alone, and the other way round */
	if (ok) {
		series_set_counter(sm, "ENOENT", 99);
		series_set_counter(sm, "EBADF", 1);
		hist_add(&sm->hist, 1);
		series_set_label(sm, "k", "v");
		m->lost[0] = 100;
		snprintf(m->meta.host, sizeof(m->meta.host), "changed");
		model_series(m, "syscall", "new");
		series_set_counter(sc, "EACCES", 42);
		ok = series_counter(sc, "ENOENT") == 10 && sc->ncounters == 2 &&
		     sc->hist.count == 50 && sc->nlabels == 0 && c->lost[0] == 3 &&
		     !strcmp(c->meta.host, "box") && c->nseries == 2 &&
		     series_counter(sm, "EACCES") == 1;
	}
	model_free(m);
	model_free(c);
	CHECK(ok);
}

TEST(model_delta_subtracts_hists_counters_and_losses)
{
	struct model *before = sample_model(), *now = NULL, *d = NULL;
	struct series *s, *b;
	static struct hist extra;
	int ok = 0;

	CHECK(before);
	now = model_clone(before);
	if (!now)
		goto out;
	s = model_series(now, "syscall", "openat");
	hist_reset(&extra);
	hist_add_n(&s->hist, 300000, 7);
	hist_add_n(&extra, 300000, 7);
	s->errors += 5;
	series_set_counter(s, "ENOENT", 14);
	series_set_counter(s, "EPERM", 1); /* new in the interval */
	now->lost[SLT_DROP_RINGBUF] = 10;
	now->lost[SLT_DROP_MAP_FULL] = 1;
	b = model_series(now, "syscall", "brand_new");
	hist_add_n(&b->hist, 100, 2);

	d = model_delta(now, before);
	if (!d)
		goto out;
	s = model_series(d, "syscall", "openat");
	b = model_series(d, "syscall", "read");
	ok = s->hist.count == 7 && s->hist.sum == 7 * 300000ull &&
	     !memcmp(s->hist.slots, extra.slots, sizeof(extra.slots)) && s->errors == 5 &&
	     series_counter(s, "ENOENT") == 4 && series_counter(s, "EACCES") == 0 &&
	     series_counter(s, "EPERM") == 1 && b->hist.count == 0 && b->errors == 0 &&
	     series_counter(b, "EAGAIN") == 0 && d->lost[SLT_DROP_RINGBUF] == 7 &&
	     d->lost[SLT_DROP_MAP_FULL] == 1 && d->lost[SLT_LOSS_UNDECODABLE] == 0 &&
	     model_lost_total(d) == 8 && model_series(d, "syscall", "brand_new")->hist.count == 2;
	/* the inputs are untouched */
	ok = ok && model_series(now, "syscall", "openat")->hist.count == 57 &&
	     before->lost[SLT_DROP_RINGBUF] == 3;
	if (!ok)
		printf("      openat count=%llu errors=%llu ENOENT=%llu lost=%llu\n",
		       (unsigned long long)s->hist.count, (unsigned long long)s->errors,
		       (unsigned long long)series_counter(s, "ENOENT"),
		       (unsigned long long)model_lost_total(d));
out:
	model_free(before);
	model_free(now);
	model_free(d);
	CHECK(ok);
}

TEST(model_delta_from_nothing_is_a_copy)
{
	struct model *now = sample_model(), *d;
	int ok;

	CHECK(now);
	d = model_delta(now, NULL);
	ok = d && d->nseries == now->nseries && model_lost_total(d) == 5 &&
	     model_series(d, "syscall", "read")->hist.count == 100 &&
	     series_counter(model_series(d, "syscall", "openat"), "ENOENT") == 10;
	model_free(now);
	model_free(d);
	CHECK(ok);
}

TEST(model_delta_never_goes_negative)
{
	struct model *before = sample_model(), *now = NULL, *d = NULL;
	int ok = 0;

	CHECK(before);
	now = model_new();
	if (!now)
		goto out;
	/* a series that shrank (the kernel map was reset) */
	hist_add(&model_series(now, "syscall", "read")->hist, 5000);
	series_set_counter(model_series(now, "syscall", "read"), "EAGAIN", 1);
	d = model_delta(now, before);
	if (!d)
		goto out;
	ok = model_series(d, "syscall", "read")->hist.count == 0 &&
	     model_series(d, "syscall", "read")->hist.sum == 0 &&
	     series_counter(model_series(d, "syscall", "read"), "EAGAIN") == 0 &&
	     model_lost_total(d) == 0 && d->nseries == 1;
out:
	model_free(before);
	model_free(now);
	model_free(d);
	CHECK(ok);
}

TEST(model_loss_name_for_every_stage)
{
	static const char *const want[SLT_LOSS_MAX] = {
	    [SLT_DROP_RINGBUF] = "ringbuf_reserve_failed",
	    [SLT_DROP_MAP_FULL] = "map_full",
	    [SLT_DROP_OUT_OF_RANGE] = "out_of_range",
	    [SLT_DROP_NO_STORAGE] = "no_task_storage",
	    [SLT_LOSS_UNDECODABLE] = "undecodable_records",
	};

	CHECK_EQ_INT(SLT_LOSS_MAX, 5);
	for (int i = 0; i < SLT_LOSS_MAX; i++) {
		CHECK_MSG(want[i], "stage %d has no expected name: update this test", i);
		CHECK_STR(model_loss_name(i), want[i]);
		/* names are unique: they are JSON keys */
		for (int j = 0; j < i; j++)
			CHECK(strcmp(model_loss_name(i), model_loss_name(j)));
	}
	CHECK_STR(model_loss_name(-1), "unknown");
	CHECK_STR(model_loss_name(SLT_LOSS_MAX), "unknown");
}

TEST(model_lost_total_sums_every_stage)
{
	struct model *m = model_new();
	uint64_t t;

	CHECK(m);
	for (int i = 0; i < SLT_LOSS_MAX; i++)
		m->lost[i] = 1ull << i;
	t = model_lost_total(m);
	model_free(m);
	CHECK_EQ_U64(t, (1ull << SLT_LOSS_MAX) - 1);
	model_free(NULL);
}

TEST(model_add_counter_and_stats_accumulate)
{
	struct model *m = model_new();
	struct series *s;
	int ok;

	CHECK(m);
	s = model_series(m, "request", "srv :80 GET /");
	ok = s && !series_add_counter(s, "200", 3) && !series_add_counter(s, "200", 4) &&
	     series_counter(s, "200") == 7 && s->ncounters == 1 &&
	     !model_stat_add(m, "pipelined_requests", 2) &&
	     !model_stat_add(m, "pipelined_requests", 5) &&
	     model_stat(m, "pipelined_requests") == 7 && model_stat(m, "nope") == 0 &&
	     m->nstats == 1;
	model_free(m);
	CHECK(ok);
}

/* The parts of a latency (roles): allocated on demand, once, copied (not
 * shared) by clone, and subtracted by delta, as are failed calls and
 * run-wide stats. */
TEST(model_clone_and_delta_cover_roles_failed_and_stats)
{
	struct model *before = model_new(), *now = NULL, *d = NULL;
	struct series *s = NULL, *c, *ds;
	int ok = 0;

	CHECK(before);
	s = model_series(before, "request", "srv :80 GET /");
	if (!s || !series_role(s, SLT_ROLE_QUEUE) || !series_role(s, SLT_ROLE_SERVICE))
		goto out;
	if (series_role(s, SLT_ROLE_QUEUE) != s->role[SLT_ROLE_QUEUE])
		goto out; /* on demand means once */
	hist_add_n(&s->hist, 1000000, 10);
	hist_add_n(s->role[SLT_ROLE_QUEUE], 100000, 10);
	hist_add_n(s->role[SLT_ROLE_SERVICE], 900000, 10);
	s->failed = 1;
	if (model_stat_add(before, "in_flight_at_end", 2))
		goto out;
	now = model_clone(before);
	if (!now)
		goto out;
	c = model_series(now, "request", "srv :80 GET /");
	for (int r = 0; r < SLT_ROLE_MAX; r++)
		if (!c->role[r] || c->role[r] == s->role[r] ||
		    memcmp(c->role[r], s->role[r], sizeof(*c->role[r])))
			goto out;
	if (c->failed != 1 || model_stat(now, "in_flight_at_end") != 2)
		goto out;
	hist_add_n(&c->hist, 2000000, 5);
	hist_add_n(c->role[SLT_ROLE_QUEUE], 300000, 5);
	hist_add_n(c->role[SLT_ROLE_SERVICE], 1700000, 5);
	c->failed = 4;
	model_stat_add(now, "in_flight_at_end", 1);
	/* the copy is its own: the original did not move */
	if (s->role[SLT_ROLE_QUEUE]->count != 10 || s->role[SLT_ROLE_SERVICE]->count != 10)
		goto out;
	d = model_delta(now, before);
	if (!d)
		goto out;
	ds = model_series(d, "request", "srv :80 GET /");
	ok = ds->hist.count == 5 && ds->role[SLT_ROLE_QUEUE] &&
	     ds->role[SLT_ROLE_QUEUE]->count == 5 && ds->role[SLT_ROLE_QUEUE]->sum == 1500000 &&
	     ds->role[SLT_ROLE_SERVICE] && ds->role[SLT_ROLE_SERVICE]->count == 5 &&
	     ds->role[SLT_ROLE_SERVICE]->sum == 8500000 && ds->failed == 3 &&
	     model_stat(d, "in_flight_at_end") == 1 && c->role[SLT_ROLE_QUEUE]->count == 15;
out:
	model_free(before);
	model_free(now);
	model_free(d);
	CHECK(ok);
}

/* A role outside the enum has no histogram, and asking makes none. */
TEST(series_role_refuses_a_role_out_of_range)
{
	struct model *m = model_new();
	struct series *s = m ? model_series(m, "x", "a") : NULL;

	CHECK(s);
	CHECK(!series_role(s, SLT_ROLE_MAX));
	CHECK(!series_role(s, (enum slt_role)-1));
	for (int r = 0; r < SLT_ROLE_MAX; r++)
		CHECK(!s->role[r]);
	model_free(m);
}

/* A series counts its timed events, its failed calls and its untimed
 * events, each once. */
TEST(series_count_is_timed_plus_failed_plus_untimed)
{
	struct model *m = model_new();
	struct series *s = m ? model_series(m, "x", "a") : NULL;

	CHECK(s);
	CHECK_EQ_U64(series_count(s), 0);
	hist_add_n(&s->hist, 1000, 7);
	s->failed = 2;
	s->untimed = 5;
	CHECK_EQ_U64(series_count(s), 14);
	/* a role is a part of the timed events, not more of them */
	hist_add_n(series_role(s, SLT_ROLE_QUEUE), 10, 7);
	CHECK_EQ_U64(series_count(s), 14);
	model_free(m);
}

/* Interval and SLA-window models are clones and deltas: the byte sums
 * must come along, as exact differences of the run's sums. */
TEST(model_clone_and_delta_carry_the_byte_sums)
{
	struct model *before = model_new(), *now = NULL, *d = NULL;
	struct series *s, *c, *ds;
	int ok = 0;

	CHECK(before);
	s = model_series(before, "request", "srv :80 GET /");
	if (!s)
		goto out;
	s->bytes[0] = 415;
	s->bytes[1] = 5243230;
	now = model_clone(before);
	if (!now)
		goto out;
	c = model_series(now, "request", "srv :80 GET /");
	if (c->bytes[0] != 415 || c->bytes[1] != 5243230)
		goto out;
	c->bytes[0] += 83;
	c->bytes[1] += 1000;
	d = model_delta(now, before);
	if (!d)
		goto out;
	ds = model_series(d, "request", "srv :80 GET /");
	ok = ds->bytes[0] == 83 && ds->bytes[1] == 1000;
out:
	model_free(before);
	model_free(now);
	model_free(d);
	CHECK(ok);
}

/* The untimed events of a series: cloned, and subtracted by delta. */
TEST(model_clone_and_delta_carry_untimed)
{
	struct model *before = model_new(), *now = NULL, *d = NULL;
	struct series *s, *c;
	int ok = 0;

	CHECK(before);
	s = model_series(before, "x", "a");
	if (!s)
		goto out;
	s->untimed = 9;
	now = model_clone(before);
	if (!now)
		goto out;
	c = model_find(now, "x", "a");
	if (!c || c->untimed != 9)
		goto out;
	c->untimed = 13;
	d = model_delta(now, before);
	ok = d && model_find(d, "x", "a")->untimed == 4 &&
	     series_count(model_find(d, "x", "a")) == 4;
out:
	model_free(before);
	model_free(now);
	model_free(d);
	CHECK(ok);
}

/* Counters with a number keep it through clone and delta; a named one
 * has none. */
TEST(model_clone_and_delta_carry_counter_codes)
{
	struct model *before = model_new(), *now = NULL, *d = NULL;
	struct series *s, *c;
	const struct series *ds;
	int ok = 0;

	CHECK(before);
	s = model_series(before, "x", "a");
	if (!s || series_set_code(s, "503", 503, 2) || series_add_counter(s, "reset", 1))
		goto out;
	now = model_clone(before);
	if (!now)
		goto out;
	c = model_find(now, "x", "a");
	if (!c || c->ncounters != 2 || c->counters[0].code != 503 ||
	    c->counters[1].code != SLT_NO_CODE || series_add_code(c, "503", 503, 5))
		goto out;
	d = model_delta(now, before);
	ds = d ? model_find(d, "x", "a") : NULL;
	ok = ds && ds->ncounters == 2 && ds->counters[0].code == 503 &&
	     ds->counters[0].value == 5 && ds->counters[1].code == SLT_NO_CODE &&
	     ds->counters[1].value == 0;
out:
	model_free(before);
	model_free(now);
	model_free(d);
	CHECK(ok);
}

/* set_code sets, add_code adds; both name the counter and number it, and
 * series_counter reads either kind by name. */
TEST(series_codes_set_add_and_read_by_name)
{
	struct model *m = model_new();
	struct series *s = m ? model_series(m, "x", "a") : NULL;

	CHECK(s);
	CHECK(!series_add_code(s, "404", 404, 2));
	CHECK(!series_add_code(s, "404", 404, 3));
	CHECK(!series_set_code(s, "EAGAIN", 11, 7));
	CHECK(!series_set_counter(s, "reset", 1));
	CHECK_EQ_INT(s->ncounters, 3);
	CHECK_EQ_U64(series_counter(s, "404"), 5);
	CHECK_EQ_INT(s->counters[0].code, 404);
	CHECK_EQ_INT(s->counters[1].code, 11);
	CHECK_EQ_U64(s->counters[1].value, 7);
	CHECK_EQ_INT(s->counters[2].code, SLT_NO_CODE);
	/* setting by name keeps the number it had */
	CHECK(!series_set_counter(s, "404", 1));
	CHECK_EQ_INT(s->counters[0].code, 404);
	model_free(m);
}

/* The families of a run: kept in order, asked for by name, joined with
 * commas for text; empty names are refused and the 17th family has no
 * room. */
TEST(run_meta_families_add_has_and_join)
{
	struct run_meta r;
	char buf[64], small[8], name[16];

	memset(&r, 0, sizeof(r));
	CHECK_STR(run_meta_families_joined(&r, buf, sizeof(buf)), "");
	CHECK(!run_meta_has_family(&r, "tcp"));
	CHECK_EQ_INT(run_meta_add_family(&r, ""), -EINVAL);
	CHECK_EQ_INT(run_meta_add_family(&r, NULL), -EINVAL);
	CHECK_EQ_INT(run_meta_add_family(&r, "syscalls"), 0);
	CHECK_EQ_INT(run_meta_add_family(&r, "tcp"), 0);
	CHECK(run_meta_has_family(&r, "tcp") && run_meta_has_family(&r, "syscalls"));
	CHECK(!run_meta_has_family(&r, "sys") && !run_meta_has_family(&r, "requests"));
	CHECK_STR(run_meta_families_joined(&r, buf, sizeof(buf)), "syscalls,tcp");
	/* cut to fit, still a string */
	CHECK_STR(run_meta_families_joined(&r, small, sizeof(small)), "syscall");
	for (int i = r.nfamilies; i < SLT_META_FAMILIES_MAX; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		CHECK_EQ_INT(run_meta_add_family(&r, name), 0);
	}
	CHECK_EQ_INT(run_meta_add_family(&r, "one-more"), -E2BIG);
	CHECK_EQ_INT(r.nfamilies, SLT_META_FAMILIES_MAX);
	CHECK(run_meta_has_family(&r, "f15") && !run_meta_has_family(&r, "one-more"));
}
