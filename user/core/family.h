/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A probe family, as the generic rooms see it: what a report, the report
 * loader and the SLA parser need to know about a family's series, without
 * depending on the probe (its skeleton, its kernel paths). Reports also
 * print models read back from JSON files, with no probe loaded, so this
 * half of a family links on its own: user/probes/<fam>_report.c holds a
 * family's descriptor and its printers, user/probes/families.c the table
 * (both linked into the unit tests and fuzzers, see the Makefile's
 * LIB_SRCS). docs/families.md says how to add one.
 *
 * Generic code asks the descriptor; it never compares a family's name.
 */
#ifndef SLT_CORE_FAMILY_H
#define SLT_CORE_FAMILY_H

#include <stdio.h>
#include "core/model.h"

struct model;
struct series;
struct text_opts;
struct json_object;

/* the SLA selector with no family (route, port, process, class, none)
 * looks in this family's series */
#define SLT_FAMILY_SLA_DEFAULT 1u
/* its calls always return: its series have no "failed" ones, the JSON
 * writer omits the member and the loader refuses it */
#define SLT_FAMILY_NEVER_FAILS 2u
/* a report that does not list its families (older ones) prints this
 * family's section */
#define SLT_FAMILY_UNLISTED 4u

struct family_desc {
	const char *name;   /* the flag (--NAME) and the report's "families" entry */
	const char *series; /* the "family" of its series in the model and JSON */
	unsigned flags;	    /* SLT_FAMILY_* */
	/* the JSON member holding a series' counters; NULL: "status" */
	const char *counters_key;
	/* the parts of its series' latency (series_role) by the stem of their
	 * JSON members, "<stem>_ns" and "<stem>_buckets", written after
	 * "buckets" in role order; NULL: its series have no such part */
	const char *role_keys[SLT_ROLE_MAX];
	/* the JSON members of its series' byte sums (series.bytes[0], [1]),
	 * written after "failed"; NULL: not written */
	const char *bytes_keys[2];
	/* optional: its text section, printed when the family ran */
	void (*print_text)(FILE *f, const struct model *m, const struct text_opts *o);
	/* optional: members of its own for a series' JSON object, added after
	 * the counters, "failed", "untimed" and the byte sums, before "total_ns" */
	void (*json_series)(struct json_object *o, const struct series *s);
};

/* every family, in report order (the order of the text sections), NULL
 * terminated; the family table, user/probes/families.def, names them and
 * user/probes/families.c sorts them before main: read it, never write it */
extern const struct family_desc *slt_families[];

/* by the flag name / by the family its series carry; NULL when unknown
 * (a report written by a newer slatrace, a hand-made one) */
const struct family_desc *family_by_name(const char *name);
const struct family_desc *family_by_series(const char *series);
/* the family of the SLA selectors that name none ("" if no family is) */
const char *family_sla_default(void);

#endif
