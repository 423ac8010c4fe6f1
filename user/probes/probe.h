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

struct probe_ops {
	const char *name;	/* "syscalls": also the flag, --syscalls */
	const char *summary;	/* one line for --help and check */
	unsigned needs;		/* SLT_FEAT_* mask the family cannot run without */
	int default_on;		/* part of the default set (cheap enough to leave on) */
	unsigned ringbuf_bytes;	/* ring buffer it needs (power of two), 0: none */
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

#endif
