/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reports read the model and never change it. */
#ifndef SLT_REPORT_REPORT_H
#define SLT_REPORT_REPORT_H

#include <stdio.h>
#include "core/model.h"

#define SLT_REPORT_SCHEMA "slatrace.report/1"

struct json_object;

struct text_opts {
	int top;	 /* rows in the table, 0 = all */
	int hist_top;	 /* series that get a histogram */
	int interval;	 /* an interval report: shorter header */
	/* printed right after the header, before every table (the SLA section) */
	void (*after_header)(FILE *f, void *ctx);
	void *ctx;
};

void print_report_plain(FILE *f, const struct model *m, const struct text_opts *o);
/* a family section's rows: the series of that family sorted by total
 * time, *shown of them within o->top; NULL when it has none (after
 * printing "\n<none>\n", so nothing is implied) or on ENOMEM */
struct series **report_rows(FILE *f, const struct model *m, const char *series,
			    const char *none, const struct text_opts *o, int *n, int *shown);
/* a series' latency histogram, for the families' sections */
void print_hist_plain(FILE *f, const struct series *s);
/* the root object of the JSON report; caller puts it */
struct json_object *report_json(const struct model *m);
/* Fail early, before tracing, if path cannot be written: refuses anything
 * but a regular file or a new path ("-" is stdout), then creates and removes
 * a temp file beside it. 0 or -errno (message printed). */
int report_json_check_path(const char *path);
/* Write atomically: temp file in the same directory, fsync, rename. An
 * existing file is only ever replaced by a complete one, and only a regular
 * file: a symlink, device, FIFO or socket is refused. "-" writes to stdout.
 * 0 or -errno (message printed). */
int report_json_write(const struct model *m, const char *path);
/* the same, with extra top-level members (the "sla" object); takes them */
int report_json_write_with(const struct model *m, const char *key, struct json_object *extra,
			   const char *path);
/* the percentiles every report shows, in order */
extern const double slt_report_pcts[5];
extern const char *const slt_report_pct_names[5];

#endif
