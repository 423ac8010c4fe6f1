// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The session runner (core/runner.h): families up, the loop, the end. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "core/runner.h"
#include "core/features.h"
#include "core/log.h"
#include "core/pressure.h"
#include "core/runq.h"
#include "core/session.h"

#define TICK_NS 1000000000ull	/* families' housekeeping, about once a second */
#define WAKE_NS 100000000ull	/* the longest wait between stop checks */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* now + step, saturated: 2^64-1 ns means "never" */
static uint64_t later(uint64_t now, uint64_t step)
{
	return step > UINT64_MAX - now ? UINT64_MAX : now + step;
}

/* How many kernel features the family needs and this kernel refused: each
 * said as an error (say), or the first one put in words into buf. */
static int missing_feature(const struct probe_ops *p, char *buf, size_t len, int say)
{
	struct feature_result res[SLT_FEAT_COUNT];
	unsigned have;
	int n = 0;

	if (!p->needs)
		return 0;
	have = features_probe_mask(p->needs, res);
	for (int i = 0; i < SLT_FEAT_COUNT; i++) {
		if (!(p->needs & res[i].bit) || (have & res[i].bit))
			continue;
		/* on a failed load, say what the kernel lacks instead of a verifier dump */
		if (say)
			slt_error("the '%s' family needs %s, which this kernel refused: %s",
				  p->name, res[i].what, res[i].detail);
		else if (!n)
			snprintf(buf, len, "needs %s, which this kernel refused: %s", res[i].what,
				 res[i].detail);
		n++;
	}
	return n;
}

/* the family that cannot run: left out when optional, else the run fails */
static void leave_out(struct runner *r, int i, const char *why)
{
	struct run_meta *meta = &r->m->meta;
	const char *name = r->fam[i].ops->name;

	slt_warn("left out the '%s' family: %s", name, why);
	if (meta->nskipped < SLT_SKIPPED_MAX) {
		snprintf(meta->skipped[meta->nskipped].name, sizeof(meta->skipped[0].name), "%s",
			 name);
		snprintf(meta->skipped[meta->nskipped].why, sizeof(meta->skipped[0].why), "%s", why);
		meta->nskipped++;
	}
	memmove(&r->fam[i], &r->fam[i + 1], (size_t)(r->nfam - i - 1) * sizeof(r->fam[0]));
	r->nfam--;
}

/* one step (open, or attach) of family i: 0, 1 when it was left out, or
 * -errno when the run fails */
static int step(struct runner *r, int i, int attach)
{
	struct runner_family *f = &r->fam[i];
	char why[sizeof(r->m->meta.skipped[0].why)];
	const char *refused = attach ? NULL : probe_test_refused(f->ops);
	int err;

	if (refused && f->optional) {
		leave_out(r, i, refused);
		return 1;
	}
	if (refused) {
		slt_error("cannot open the '%s' family: %s", f->ops->name, refused);
		return -EPERM;
	}
	if (f->optional)
		slt_capture_begin(why, sizeof(why));
	err = attach ? f->ops->attach(f->state) : f->ops->open(r->sess, f->opts, &f->state);
	if (f->optional)
		slt_capture_end();
	if (!err)
		return 0;
	if (attach) {
		session_forget(r->sess, f->state);
		f->ops->close(f->state);
	}
	f->state = NULL;
	if (!f->optional) {
		if (!attach)
			missing_feature(f->ops, NULL, 0, 1);
		return err;
	}
	if (!missing_feature(f->ops, why, sizeof(why), 0) && !why[0])
		snprintf(why, sizeof(why), "%s", slt_strerror(err));
	leave_out(r, i, why);
	return 1;
}

int runner_open(struct runner *r)
{
	int tried = r->nfam;

	/* every family opened, then every one attached, as trace always has */
	for (int attach = 0; attach <= 1; attach++)
		for (int i = 0; i < r->nfam;) {
			int err = step(r, i, attach);

			if (err < 0)
				return err;
			i += !err;
		}
	if (!r->nfam && tried) {
		slt_error("no probe family can run here (slatrace check says why)");
		return -ENOENT;
	}
	return 0;
}

static int tick_all(struct runner *r, uint64_t now)
{
	for (int i = 0; i < r->nfam; i++) {
		const struct probe_ops *p = r->fam[i].ops;
		int err = p->tick ? p->tick(r->fam[i].state, r->m, now) : 0;

		if (err) {
			slt_error("cannot settle the '%s' state: %s", p->name, slt_strerror(err));
			return err;
		}
	}
	return 0;
}

static int drain_all(struct runner *r)
{
	for (int i = 0; i < r->nfam; i++) {
		const struct probe_ops *p = r->fam[i].ops;
		int err = p->drain(r->fam[i].state, r->m);

		if (err) {
			slt_error("cannot read the '%s' maps: %s", p->name, slt_strerror(err));
			return err;
		}
	}
	return 0;
}

/* the stop conditions: 1 to end the run */
static int should_stop(struct runner *r, uint64_t now, uint64_t end_at, int *gone_said)
{
	if (end_at && now >= end_at)
		return 1;
	if (session_cmd_done(r->sess))
		return 1;
	if (!*gone_said && session_targets_gone(r->sess)) {
		*gone_said = 1;
		if (!r->keep_going) {
			fprintf(stderr, "slatrace: every target process has exited; ending the run\n");
			return 1;
		}
		fprintf(stderr, "slatrace: every target process has exited; tracing on "
				"(--keep-going)\n");
	}
	return 0;
}

static int loop(struct runner *r)
{
	struct session *s = r->sess;
	uint64_t start = s->start_mono_ns, next_tick = 0, end_at = 0;
	uint64_t next_interval = 0, next_window = UINT64_MAX;
	int gone_said = 0, err;

	if (r->duration_ns)
		end_at = later(start, r->duration_ns);
	if (r->interval_ns)
		next_interval = later(start, r->interval_ns);
	if (r->window_ns)
		next_window = later(start, r->window_ns);
	while (!stop_requested) {
		uint64_t now = slt_now_ns(), wake = now + WAKE_NS;

		if (should_stop(r, now, end_at, &gone_said))
			break;
		if (r->on_loop)
			r->on_loop(r->ctx, now);
		if (now >= next_tick) {
			err = tick_all(r, now);
			if (err)
				return err;
			next_tick = now + TICK_NS;
		}
		if (now >= next_window) {
			err = drain_all(r);
			if (!err && r->on_window)
				err = r->on_window(r->ctx, r->m, now);
			if (err)
				return err;
			next_window = later(next_window, r->window_ns);
		}
		if (next_window < wake)
			wake = next_window;
		if (now >= windows_next(&r->win)) {
			err = drain_all(r);
			if (err)
				return err;
			if (windows_tick(&r->win, r->m, now))
				slt_warn("out of memory: the report will have no windows");
		}
		if (windows_next(&r->win) < wake)
			wake = windows_next(&r->win);
		if (next_interval && now >= next_interval) {
			err = drain_all(r);
			if (err)
				return err;
			session_read_losses(s);
			if (r->on_interval) {
				err = r->on_interval(r->ctx, r->m, now);
				if (err)
					return err;
			}
			next_interval = later(next_interval, r->interval_ns);
		}
		if (end_at && end_at < wake)
			wake = end_at;
		if (next_interval && next_interval < wake)
			wake = next_interval;
		err = session_poll(s, (int)((wake > now ? wake - now : 0) / 1000000) + 1);
		if (err < 0) {
			slt_error("cannot read the ring buffer: %s", slt_strerror(err));
			return err;
		}
	}
	return 0;
}

/* the end: last words on the ring buffer, the final figures, then what
 * the families still hold */
static int settle(struct runner *r)
{
	struct run_meta *meta = &r->m->meta;
	int err;

	session_poll(r->sess, 0);
	err = drain_all(r);
	if (err)
		return err;
	for (int i = 0; i < r->nfam; i++) {
		const struct probe_ops *p = r->fam[i].ops;

		if (p->finish) {
			err = p->finish(r->fam[i].state, r->m);
			if (err)
				return err;
		}
	}
	session_poll(r->sess, 0);
	session_read_losses(r->sess);
	meta->end_realtime_ns = slt_realtime_ns();
	meta->duration_ns = slt_now_ns() - r->sess->start_mono_ns;
	session_cmd_done(r->sess);
	if (windows_finish(&r->win, r->m, slt_now_ns()))
		slt_warn("out of memory: the report will have no windows");
	return 0;
}

int runner_run(struct runner *r)
{
	struct sigaction sa = { 0 };
	uint64_t stall0 = 0, stall1 = 0;
	int stall0_ok, err;

	r->win = (struct windows_rec){ .next_ns = UINT64_MAX };
	stop_requested = 0;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* a dropped SSH session (SIGHUP) ends the run like Ctrl-C: with its report */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	r->m->meta.attach_ns = slt_now_ns() - r->t0;
	r->m->meta.start_realtime_ns = slt_realtime_ns();
	err = session_start(r->sess);
	if (err)
		return err;
	if (r->on_start) {
		err = r->on_start(r->ctx, r->m, r->sess->start_mono_ns);
		if (err)
			return err;
	}
	/* per-window summaries, for the JSON report only (diff's replicates) */
	if (r->windows)
		windows_start(&r->win, r->m, r->sess->start_mono_ns);
	stall0_ok = !pressure_cpu_stall_ns(&stall0);
	err = loop(r);
	if (!err)
		err = settle(r);
	if (err)
		return err;
	if (stall0_ok && !pressure_cpu_stall_ns(&stall1) && stall1 >= stall0 &&
	    r->m->meta.duration_ns) {
		r->m->meta.has_cpu_pressure = 1;
		r->m->meta.cpu_pressure_pct =
			(double)(stall1 - stall0) * 100 / r->m->meta.duration_ns;
	}
	runq_end(r->sess->runq, &r->m->meta);
	return 0;
}

void runner_close(struct runner *r)
{
	for (int i = 0; i < r->nfam; i++)
		if (r->fam[i].state) {
			r->fam[i].ops->close(r->fam[i].state);
			r->fam[i].state = NULL;
		}
	windows_free(&r->win);
}
