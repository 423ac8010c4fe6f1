/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The requests family's options: its blob (struct probe_ops .opts_size),
 * filled by the parsers of its option table (requests.c) and read by its
 * open. How paths become classes: README, "Classes, caps and routes".
 */
#ifndef SLT_PROBES_REQUESTS_OPTS_H
#define SLT_PROBES_REQUESTS_OPTS_H

#include <stdint.h>

#define SLT_DEFAULT_CAPTURE_BYTES 256
#define SLT_DEFAULT_SEGMENT_LIMIT 10
#define SLT_DEFAULT_MAX_CLASSES	  200
#define SLT_MAX_CLASSES_MAX	  1000000
#define SLT_MAX_ROUTES		  64 /* --route and --ignore-path, each */

struct requests_opts {
	uint32_t capture_bytes;		/* --capture-bytes: payload prefix kept */
	int capture_set;		/* capture_bytes was given (0 is allowed) */
	int capture_query;		/* --capture-query: keep ?query in routes */
	uint16_t port;			/* --port: only this local port */
	const char *routes[SLT_MAX_ROUTES]; /* --route PATTERN..., checked by the parser */
	int nroutes;
	const char *ignores[SLT_MAX_ROUTES]; /* --ignore-path PATTERN... */
	int nignores;
	uint32_t segment_limit;		/* --segment-limit: values per position, 0 = off */
	uint32_t max_classes;		/* --max-classes: per process and port */
};

#endif
