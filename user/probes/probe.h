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

#endif
