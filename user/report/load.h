/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Read a JSON report (schema slatrace.report/1, docs/report-schema.md) back
 * into a model, so `diff` (and anything else that compares or merges runs)
 * works on the same structures a live trace fills. Histograms are rebuilt
 * from their "buckets"; every bucket must sit exactly on the shared layout
 * (slatrace/hist.h), so the rebuilt histogram is the one the writer had.
 *
 * Fields the reader does not know are ignored (within /1 fields are only
 * ever added); fields it needs are checked for presence, type and range,
 * and a report that contradicts itself (bucket counts that do not add up
 * to the series' count) is refused rather than half-read.
 */
#ifndef SLT_REPORT_LOAD_H
#define SLT_REPORT_LOAD_H

#include <stddef.h>
#include "core/model.h"

struct json_object;

/* largest report the reader accepts */
#define SLT_LOAD_MAX_BYTES (512u << 20)

/*
 * Parse text[0..len) (no NUL terminator needed), named `name` in messages.
 * On success returns 0, *out holds a new model and, when sla is not NULL,
 * *sla the report's "sla" object (a new reference, or NULL when absent).
 * On failure returns -EINVAL (the content is wrong) or -ENOMEM, *out is
 * NULL and err holds one line, without "error: " or a newline:
 *   'a.json' is not JSON: unexpected character at line 3, column 7
 */
int report_load_buf(const char *text, size_t len, const char *name, struct model **out,
		    struct json_object **sla, char *err, size_t errlen);
/* The same for a file; -errno from open/read as well (-ENOENT, -EISDIR). */
int report_load_file(const char *path, struct model **out, struct json_object **sla, char *err,
		     size_t errlen);

#endif
