/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A probe family, as an interface. The session runner (core/runner.h) holds
 * an array of these and never special-cases a family; the families
 * (user/probes/<fam>.c) implement it, and the probe table lists them
 * (probes/probe.h). Adding a family: docs/families.md.
 */
#ifndef SLT_CORE_PROBE_H
#define SLT_CORE_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include "core/model.h"

struct session;

/* what a family's option parser may say in its one usage line */
#define SLT_PROBE_ERR_MAX 256

/* One command-line option of a family: `trace` builds its long options,
 * its --help section and its parser from these. */
struct probe_opt {
	const char *name;	/* the long option, without "--" */
	int has_arg;		/* no_argument or required_argument (getopt.h) */
	const char *metavar;	/* "PORT", or NULL */
	const char *help;	/* one line, for --help under the family's name */
	/* parse arg (NULL without one) into opts, the family's own blob; 0, or
	 * -EINVAL with the usage line in err (no "error: ", no full stop) */
	int (*parse)(void *opts, const char *arg, char *err, size_t errlen);
};

/* Which of its attach paths a family takes on this kernel: the best, the
 * one that works from 5.8 on, and for a family with three, one between. */
enum probe_path_kind {
	SLT_PATH_PREFERRED = 0,
	SLT_PATH_FALLBACK = 1,
	SLT_PATH_INTERMEDIATE = 2,
};

/* One way a family attaches: told in check, the report, README. */
struct probe_path {
	const char *hooks;  /* what it attaches to, in a few words */
	unsigned needs;	    /* SLT_FEAT_* beyond the family's own .needs */
	const char *cannot; /* what it does not see that the preferred path does */
};

struct probe_ops {
	const char *name;	/* the family's name: also its flag, --NAME */
	const char *summary;	/* one line for --help and check */
	unsigned needs;		/* SLT_FEAT_* mask the family cannot run without */
	int default_on;		/* part of the default set (cheap enough to leave on) */
	unsigned ringbuf_bytes;	/* ring buffer it needs (power of two), 0: none */
	/* its options (ended by a NULL name), or NULL; they fill a blob of
	 * opts_size bytes, set to its defaults by opts_init first */
	const struct probe_opt *options;
	size_t opts_size;
	void (*opts_init)(void *opts);
	/* its attach paths; NULL prefers: one path, always taken */
	const struct probe_path *prefers;
	const struct probe_path *fallback;
	/* optional: a third path, better than the fallback and needing less
	 * than the preferred one; NULL: two paths */
	const struct probe_path *intermediate;
	/* the path this kernel takes, from the SLT_FEAT_* it has (only the
	 * bits in prefers->needs and intermediate->needs are probed), and
	 * why, in a few words */
	enum probe_path_kind (*choose_path)(unsigned have, char *why, unsigned long len);
	/* open the skeleton, configure target and sizes, share the session's
	 * maps, load (core/skel.h does all but the configuring); opts is the
	 * blob above (NULL when opts_size is 0), *state is the family's own */
	int (*open)(struct session *s, const void *opts, void **state);
	int (*attach)(void *state);
	/* copy what the kernel aggregated so far into the model */
	int (*drain)(void *state, struct model *m);
	/* optional: housekeeping, about once a second (now_ns: CLOCK_MONOTONIC,
	 * the clock of bpf_ktime_get_ns) */
	int (*tick)(void *state, struct model *m, uint64_t now_ns);
	/* optional: the run is over; settle what is still in flight */
	int (*finish)(void *state, struct model *m);
	void (*close)(void *state);
};

/* The test-only refusal (docs/families.md): when SLATRACE_TEST_REFUSE names
 * this family, the reason it cannot run; else NULL. */
const char *probe_test_refused(const struct probe_ops *p);

#endif
