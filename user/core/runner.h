/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The session runner: brings up the chosen probe families on an open
 * session, runs the loop (ticks, ring-buffer polling, drains at every cut,
 * interval and SLA-window cuts, the stop conditions) and settles the end,
 * so a command says what it does per cut through callbacks and never
 * writes a loop of its own.
 *
 * The run ends at the duration, when -- CMD exits, when every -p target has
 * exited (unless keep_going), or at SIGINT, SIGTERM or SIGHUP; in every case
 * the families are drained and finished and the model is complete, so the
 * report is still written.
 *
 * A family marked optional (one of the default set, not asked for by name)
 * that cannot open or attach is left out rather than failing the run: one
 * warning, and the model's meta.skipped says which and why.
 */
#ifndef SLT_CORE_RUNNER_H
#define SLT_CORE_RUNNER_H

#include <stdint.h>
#include "core/model.h"
#include "core/probe.h"
#include "core/windows.h"

struct session;

#define SLT_RUNNER_MAX_FAMILIES 16

struct runner_family {
	const struct probe_ops *ops;
	const void *opts;	/* its options blob (core/probe.h), or NULL */
	int optional;		/* may be left out when it cannot run here */
	void *state;		/* the family's own, from open */
};

struct runner {
	/* set by the caller */
	struct session *sess;		/* open (session_open), not started */
	struct model *m;
	struct runner_family fam[SLT_RUNNER_MAX_FAMILIES];
	int nfam;
	uint64_t t0;			/* the command's start, for meta.attach_ns */
	uint64_t duration_ns;		/* 0: no limit */
	uint64_t interval_ns;		/* 0: no on_interval */
	uint64_t window_ns;		/* 0: no on_window */
	int keep_going;			/* with -p: run on once every target has exited */
	int windows;			/* keep per-window summaries in the model (core/windows.h) */
	void *ctx;
	/* optional callbacks, each with ctx; a non-zero return ends the run
	 * as a failure (the callback has said why) */
	int (*on_start)(void *ctx, struct model *m, uint64_t start_ns); /* tracing from now */
	/* an interval ended at now: the model is drained, losses read */
	int (*on_interval)(void *ctx, struct model *m, uint64_t now);
	/* an SLA window ended at now: the model is drained */
	int (*on_window)(void *ctx, struct model *m, uint64_t now);
	/* every turn of the loop, before it waits */
	void (*on_loop)(void *ctx, uint64_t now);

	/* the runner's own */
	struct windows_rec win;
};

/* Open then attach every family, in order. An optional family that fails
 * is closed, dropped from fam[] and recorded in m->meta.skipped, with a
 * warning; any other failure returns -errno (said already), as does a
 * run with no family left. */
int runner_open(struct runner *r);
/* Start the session and run until a stop condition, then drain, finish and
 * fill the run's meta. 0, or -errno (said already). */
int runner_run(struct runner *r);
/* Close every family (the session is the caller's). */
void runner_close(struct runner *r);

#endif
