/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Cutting a live run into windows: at every window's end, the count, p50,
 * p90 and p99 of what each series measured in that window go into the
 * series' struct series_windows (core/model.h). These are the replicates
 * `slatrace diff` compares runs with: the requests of one window share the
 * machine's state of that moment, so the unit that varies is the window,
 * not the request (docs/diff.md).
 *
 * Cost: one snapshot histogram per series (10 KiB) and one pass over its
 * buckets per window; 2 KiB of summaries per series, whatever the run's
 * length (SLT_WINDOWS_MAX, pairwise merging).
 */
#ifndef SLT_CORE_WINDOWS_H
#define SLT_CORE_WINDOWS_H

#include <stdint.h>
#include "core/model.h"

/* base window: short enough that a 2 s run has 20 of them */
#define SLT_WINDOW_BASE_NS 100000000ull

struct windows_rec {
	uint64_t start_ns, next_ns; /* monotonic: the current window's start and end */
	struct hist **snap;	    /* per series index: its histogram at start_ns */
	int nsnap;
	int n; /* windows closed so far (the same in every series) */
};

/* start at now (monotonic ns); sets m->meta.window_ns */
void windows_start(struct windows_rec *w, struct model *m, uint64_t now);
/* when the current window ends: the run loop wakes by then */
static inline uint64_t windows_next(const struct windows_rec *w)
{
	return w->next_ns;
}
/* close every window that ended by now (the model drained first); 0 or
 * -ENOMEM (then the summaries are dropped, the run goes on) */
int windows_tick(struct windows_rec *w, struct model *m, uint64_t now);
/* at the run's end: close the last window if it is at least half a
 * window long, so no window is much shorter than the others */
int windows_finish(struct windows_rec *w, struct model *m, uint64_t now);
void windows_free(struct windows_rec *w);

/* for tests: append one window's summary of hist h to s, merging pairwise
 * when full; returns the window count after */
int windows_push(struct series_windows *sw, const struct hist *h);
void windows_halve(struct series_windows *sw);

#endif
