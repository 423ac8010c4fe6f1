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

/* drop the histograms of a latency's parts (series.role) once they are
 * checked: a reader that compares latencies only (diff) keeps a third of
 * the model */
#define SLT_LOAD_LATENCY_ONLY 1u

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
/* The same, fed to the parser in pieces of `chunk` bytes, as a file is read:
 * the result never depends on where the pieces end (tests and fuzzing). */
int report_load_chunks(const char *text, size_t len, size_t chunk, const char *name, unsigned flags,
		       struct model **out, struct json_object **sla, char *err, size_t errlen);
/*
 * The same for a file: a regular file, or a stream (pipe, socket,
 * /dev/stdin), read 64 KiB at a time; -errno from open/read as well
 * (-ENOENT, -EISDIR). Refused before reading it all: a regular file larger
 * than SLT_LOAD_MAX_BYTES (by its size), a stream as soon as it passes that,
 * and anything whose first byte other than white space is not '{'
 * (/dev/zero, a binary, a text file). flags: SLT_LOAD_*.
 *
 * Memory: the text is never whole in memory, nor its JSON tree (one series'
 * tree at a time). What remains is the model: some 11 KiB per series (a
 * histogram has 1280 buckets, 10 KiB, however few the report lists), plus
 * 10 KiB for each part of its latency (a role: a request series has two)
 * unless SLT_LOAD_LATENCY_ONLY. A series in a report takes 0.3 to 3 KiB of text,
 * so the model is some 4 to 35 times its report; measured on reports of
 * request series with 4 to 8 buckets each (1.3 KiB of text a series), with
 * SLT_LOAD_LATENCY_ONLY: see README, `diff`.
 */
int report_load_file_flags(const char *path, unsigned flags, struct model **out,
			   struct json_object **sla, char *err, size_t errlen);
int report_load_file(const char *path, struct model **out, struct json_object **sla, char *err,
		     size_t errlen);

#endif
