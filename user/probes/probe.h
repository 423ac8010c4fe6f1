/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A probe family, as an interface. The session holds an array of these and
 * never special-cases a family. Adding a family: bpf/<fam>.bpf.c,
 * include/slatrace/<fam>.h, user/probes/<fam>.c and one line in probes.c,
 * and its report half (core/family.h), user/probes/<fam>_report.c and one
 * line in families.c: docs/families.md.
 */
#ifndef SLT_PROBES_PROBE_H
#define SLT_PROBES_PROBE_H

#include <stdint.h>
#include "core/model.h"

struct session;

/* Which of its attach paths a family takes on this kernel. */
enum probe_path_kind {
	SLT_PATH_PREFERRED = 0,
	SLT_PATH_FALLBACK = 1,
};

/* One way a family attaches: told in check, the report, README. */
struct probe_path {
	const char *hooks;  /* what it attaches to, in a few words */
	unsigned needs;	    /* SLT_FEAT_* beyond the family's own .needs */
	const char *cannot; /* what it does not see that the preferred path does */
};

struct probe_ops {
	const char *name;	/* "syscalls": also the flag, --syscalls */
	const char *summary;	/* one line for --help and check */
	unsigned needs;		/* SLT_FEAT_* mask the family cannot run without */
	int default_on;		/* part of the default set (cheap enough to leave on) */
	unsigned ringbuf_bytes;	/* ring buffer it needs (power of two), 0: none */
	/* its attach paths; NULL prefers: one path, always taken */
	const struct probe_path *prefers;
	const struct probe_path *fallback;
	/* the path this kernel takes, from the SLT_FEAT_* it has (only the
	 * bits in prefers->needs are probed), and why, in a few words */
	enum probe_path_kind (*choose_path)(unsigned have, char *why, unsigned long len);
	/* open the skeleton, configure target and sizes, share the session's
	 * maps, load (core/skel.h does all but the configuring); *state is
	 * the family's own */
	int (*open)(struct session *s, void **state);
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

extern const struct probe_ops *const slt_probes[];
const struct probe_ops *probe_find(const char *name);

/* "preferred", "fallback" */
const char *probe_path_name(enum probe_path_kind k);
/* The features a family's path choice looks at (NULL-safe: 0 for a family
 * with one path). */
unsigned probe_path_features(const struct probe_ops *p);
/* The path p takes given have (the SLT_FEAT_* mask probed), and why:
 * SLATRACE_FORCE_PATH=fallback or =preferred in the environment overrides
 * the family's choice (tests run the fallback paths on new kernels). */
enum probe_path_kind probe_choose_path(const struct probe_ops *p, unsigned have, char *why,
				       unsigned long len);
/* The same, probing the features it looks at first (what open does). */
enum probe_path_kind probe_path_here(const struct probe_ops *p, char *why, unsigned long len);
/* Say in the report's meta which path p took (families with two). */
void probe_record_path(const struct probe_ops *p, enum probe_path_kind k, struct model *m);

#endif
