// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The session runner (core/runner.c) against fake families: no BPF, a
 * session with no ring buffer (session_poll then only waits). What each
 * fake was called with goes into one log, so the order is checked too. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "core/log.h"
#include "core/model.h"
#include "core/runner.h"
#include "core/session.h"

#define LOG_MAX 4096

static struct {
	char ev[LOG_MAX]; /* o open, a attach, d drain, t tick, f finish, c close, i interval, w window */
	int n;
	int fail_open, fail_attach; /* which fake fails: 1 (a) or 2 (b), 0 none */
	int loops, stop_at_loop;
} lg;

static void note(char c)
{
	if (lg.n < LOG_MAX - 1)
		lg.ev[lg.n++] = c;
}

static int count(char c)
{
	int n = 0;

	for (int i = 0; i < lg.n; i++)
		n += lg.ev[i] == c;
	return n;
}

static int last(char c)
{
	for (int i = lg.n - 1; i >= 0; i--)
		if (lg.ev[i] == c)
			return i;
	return -1;
}

static int fake_open(struct session *s, const void *opts, void **state)
{
	int which = *(const int *)opts;

	(void)s;
	note('o');
	if (lg.fail_open == which) {
		slt_error("cannot load BPF object 'fake': Operation not permitted");
		return -EPERM;
	}
	*state = (void *)(long)which;
	return 0;
}

static int fake_attach(void *state)
{
	note('a');
	if (lg.fail_attach == (int)(long)state) {
		slt_error("cannot attach 'handle_fake': No such file or directory");
		return -ENOENT;
	}
	return 0;
}

static int fake_drain(void *state, struct model *m)
{
	(void)state;
	(void)m;
	note('d');
	return 0;
}

static int fake_tick(void *state, struct model *m, uint64_t now)
{
	(void)state;
	(void)m;
	(void)now;
	note('t');
	return 0;
}

static int fake_finish(void *state, struct model *m)
{
	(void)state;
	(void)m;
	note('f');
	return 0;
}

static void fake_close(void *state)
{
	(void)state;
	note('c');
}

static const struct probe_ops fake_a = { .name = "fake_a", .open = fake_open,
					 .attach = fake_attach, .drain = fake_drain,
					 .tick = fake_tick, .finish = fake_finish,
					 .close = fake_close };
static const struct probe_ops fake_b = { .name = "fake_b", .open = fake_open,
					 .attach = fake_attach, .drain = fake_drain,
					 .close = fake_close };
static const int one = 1, two = 2;

static int on_interval(void *ctx, struct model *m, uint64_t now)
{
	(void)ctx;
	(void)m;
	(void)now;
	note('i');
	return 0;
}

static int on_window(void *ctx, struct model *m, uint64_t now)
{
	(void)ctx;
	(void)m;
	(void)now;
	note('w');
	return 0;
}

static void on_loop(void *ctx, uint64_t now)
{
	(void)ctx;
	(void)now;
	if (++lg.loops == lg.stop_at_loop)
		raise(SIGTERM);
}

/* a session with nothing behind it, and a runner with both fakes */
static void setup(struct session *s, struct runner *r, struct model *m, int optional)
{
	memset(&lg, 0, sizeof(lg));
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 4; i++)
		s->map_fd[i] = -1;
	s->cgroup_fd = s->cmd_gate = s->cmd_errpipe = -1;
	s->model = m;
	memset(r, 0, sizeof(*r));
	r->sess = s;
	r->m = m;
	r->t0 = slt_now_ns();
	r->fam[0] = (struct runner_family){ .ops = &fake_a, .opts = &one, .optional = optional };
	r->fam[1] = (struct runner_family){ .ops = &fake_b, .opts = &two, .optional = optional };
	r->nfam = 2;
	r->on_interval = on_interval;
	r->on_window = on_window;
	r->on_loop = on_loop;
}

/* Run the fake families for duration_ns with intervals or windows of
 * interval_ns / window_ns, again (3 times at most) until the event want
 * was logged: a loaded host (or a sanitizer build on one) can keep the
 * loop asleep past every cut of a short run, and a cut it misses is not
 * made late, so the order the tests check is seen whatever the machine's
 * speed. lg holds the last run's events. */
static void run_until(uint64_t duration_ns, uint64_t interval_ns, uint64_t window_ns, char want)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		struct model *m = model_new();
		struct session s;
		struct runner r;

		CHECK(m);
		setup(&s, &r, m, 0);
		r.duration_ns = duration_ns;
		r.interval_ns = interval_ns;
		r.window_ns = window_ns;
		CHECK_EQ_INT(runner_open(&r), 0);
		CHECK_EQ_INT(runner_run(&r), 0);
		runner_close(&r);
		model_free(m);
		lg.ev[lg.n] = 0;
		if (count(want) >= 1)
			return;
	}
}

TEST(runner_drains_at_every_interval_cut_and_finishes_after_the_last_drain)
{
	int intervals, fin;

	run_until(350000000ull, 100000000ull, 0, 'i');
	intervals = count('i');
	fin = last('f');
	CHECK_MSG(!strncmp(lg.ev, "ooaat", 5), "open each, attach each, then a tick: %s", lg.ev);
	/* a loaded host may wake late and miss the last cut before the end */
	CHECK_MSG(intervals >= 1 && intervals <= 3, "%d intervals in 350 ms of 100: %s", intervals,
		  lg.ev);
	/* both families drained before each interval, and once more at the end */
	CHECK_EQ_INT(count('d'), 2 * (intervals + 1));
	CHECK_EQ_INT(count('f'), 1); /* only fake_a has a finish */
	CHECK_MSG(last('d') < fin && fin < last('c'), "drain, finish, close: %s", lg.ev);
	CHECK_EQ_INT(count('c'), 2);
	CHECK_EQ_INT(count('w'), 0);
}

/* 600 ms of 100 ms windows: at most 6 judged, each after both drains */
TEST(runner_judges_windows_after_draining)
{
	run_until(600000000ull, 0, 100000000ull, 'w');
	CHECK_MSG(count('w') >= 1 && count('w') <= 6, "windows: %s", lg.ev);
	for (int i = 0; i < lg.n; i++)
		if (lg.ev[i] == 'w')
			CHECK_MSG(i >= 2 && lg.ev[i - 1] == 'd' && lg.ev[i - 2] == 'd',
				  "a window without both drains before it: %s", lg.ev);
}

TEST(runner_ends_on_sigterm_with_the_families_settled)
{
	struct model *m = model_new();
	struct session s;
	struct runner r;
	uint64_t dur;

	CHECK(m);
	setup(&s, &r, m, 0);
	lg.stop_at_loop = 2; /* no duration: only the signal ends it */
	CHECK_EQ_INT(runner_open(&r), 0);
	lg.stop_at_loop = 2;
	CHECK_EQ_INT(runner_run(&r), 0);
	runner_close(&r);
	dur = m->meta.duration_ns;
	model_free(m);
	CHECK_EQ_INT(lg.loops, 2);
	CHECK_EQ_INT(count('f'), 1);
	CHECK(last('d') < last('f'));
	CHECK_MSG(dur > 0 && dur < 5000000000ull, "duration %llu ns", (unsigned long long)dur);
}

TEST(runner_leaves_out_a_default_family_that_fails_open_or_attach)
{
	struct model *m = model_new();
	struct session s;
	struct runner r;

	CHECK(m);
	setup(&s, &r, m, 1);
	lg.fail_open = 2;
	CHECK_EQ_INT(runner_open(&r), 0);
	CHECK_EQ_INT(r.nfam, 1);
	CHECK(r.fam[0].ops == &fake_a);
	CHECK_EQ_INT(m->meta.nskipped, 1);
	CHECK(!strcmp(m->meta.skipped[0].name, "fake_b"));
	CHECK_MSG(strstr(m->meta.skipped[0].why, "Operation not permitted"), "why: %s",
		  m->meta.skipped[0].why);
	runner_close(&r);
	CHECK_EQ_INT(count('c'), 1);

	/* attach failing: the opened family is closed again */
	setup(&s, &r, m, 1);
	m->meta.nskipped = 0;
	lg.fail_attach = 1;
	CHECK_EQ_INT(runner_open(&r), 0);
	CHECK_EQ_INT(r.nfam, 1);
	CHECK(r.fam[0].ops == &fake_b);
	CHECK_EQ_INT(count('c'), 1); /* fake_a, at once */
	CHECK(!strcmp(m->meta.skipped[0].name, "fake_a"));
	CHECK(strstr(m->meta.skipped[0].why, "handle_fake"));
	runner_close(&r);
	CHECK_EQ_INT(count('c'), 2);
	model_free(m);
}

TEST(runner_fails_when_a_family_asked_for_by_name_fails_or_none_is_left)
{
	struct model *m = model_new();
	struct session s;
	struct runner r;

	CHECK(m);
	setup(&s, &r, m, 0);
	lg.fail_open = 2;
	CHECK(runner_open(&r) < 0);
	CHECK_EQ_INT(m->meta.nskipped, 0);
	runner_close(&r);
	CHECK_EQ_INT(count('c'), 1); /* fake_a, opened before */

	/* the default set, each failing: nothing left to run */
	setup(&s, &r, m, 1);
	r.nfam = 1;
	lg.fail_open = 1;
	CHECK(runner_open(&r) < 0);
	CHECK_EQ_INT(r.nfam, 0);
	model_free(m);
}

TEST(runner_test_refusal_leaves_out_the_named_family)
{
	struct model *m = model_new();
	struct session s;
	struct runner r;

	CHECK(m);
	setup(&s, &r, m, 1);
	setenv("SLATRACE_TEST_REFUSE", "fake_a", 1);
	CHECK_EQ_INT(runner_open(&r), 0);
	unsetenv("SLATRACE_TEST_REFUSE");
	CHECK_EQ_INT(r.nfam, 1);
	CHECK(r.fam[0].ops == &fake_b);
	CHECK(!strcmp(m->meta.skipped[0].name, "fake_a"));
	CHECK(strstr(m->meta.skipped[0].why, "SLATRACE_TEST_REFUSE"));
	CHECK_EQ_INT(count('o'), 1); /* fake_a was never opened */
	runner_close(&r);
	model_free(m);
}
