/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The probe table: every family's struct probe_ops (core/probe.h), in the
 * order --help lists them. Adding a family: bpf/<fam>.bpf.c,
 * include/slatrace/<fam>.h, user/probes/<fam>.c and one line in probes.c,
 * and its report half (core/family.h), user/probes/<fam>_report.c and one
 * line in families.c: docs/families.md.
 */
#ifndef SLT_PROBES_PROBE_H
#define SLT_PROBES_PROBE_H

#include "core/probe.h"

extern const struct probe_ops *const slt_probes[];
const struct probe_ops *probe_find(const char *name);

/* "preferred", "intermediate", "fallback" */
const char *probe_path_name(enum probe_path_kind k);
/* The description of p's path k (NULL: p has no such path). */
const struct probe_path *probe_path_of(const struct probe_ops *p, enum probe_path_kind k);
/* The features a family's path choice looks at (NULL-safe: 0 for a family
 * with one path). */
unsigned probe_path_features(const struct probe_ops *p);
/* The path p takes given have (the SLT_FEAT_* mask probed), and why:
 * SLATRACE_FORCE_PATH=fallback, =intermediate or =preferred in the
 * environment overrides the family's choice (tests run the fallback paths
 * on new kernels); =intermediate only that of a family that has one. */
enum probe_path_kind probe_choose_path(const struct probe_ops *p, unsigned have, char *why,
				       unsigned long len);
/* The same, probing the features it looks at first (what open does). */
enum probe_path_kind probe_path_here(const struct probe_ops *p, char *why, unsigned long len);
/* Say in the report's meta which path p took (families with two). */
void probe_record_path(const struct probe_ops *p, enum probe_path_kind k, struct model *m);

#endif
