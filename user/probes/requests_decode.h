/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The requests family's decoder: from the bytes of its ring-buffer records
 * (struct slt_req_event, struct slt_req_more) to model series, one per
 * request class. Pure: no skeleton, no maps, no session; the probe
 * (requests.c) hands it records, the unit tests and the fuzzer hand it
 * bytes they made.
 */
#ifndef SLT_PROBES_REQUESTS_DECODE_H
#define SLT_PROBES_REQUESTS_DECODE_H

#include <stdint.h>
#include "slatrace/requests.h"

struct model;
struct req_decoder;

/* a request series' byte sums (series.bytes), as requests_report.c names
 * them in JSON */
enum { REQ_BYTES_IN, REQ_BYTES_OUT };

/* how paths become classes (README, "Classes, caps and routes"); the
 * pattern arrays are the caller's and must outlive the decoder */
struct req_decode_cfg {
	int capture_query;		/* keep ?query in routes */
	const char *const *routes;	/* --route PATTERN... */
	int nroutes;
	const char *const *ignores;	/* --ignore-path PATTERN... */
	int nignores;
	uint32_t segment_limit;		/* values per position, 0 = off */
	uint32_t max_classes;		/* per process and port (the caller's default
					 * applied; 0 sends every request to (other)) */
};

/* NULL with errno=ENOMEM */
struct req_decoder *req_decoder_new(struct model *m, const struct req_decode_cfg *cfg);
void req_decoder_free(struct req_decoder *d);
/* one SLT_EV_REQUEST record of len bytes: 0, or -ENOMEM; a record that
 * cannot be read counts as lost (SLT_LOSS_UNDECODABLE) */
int req_decode_event(struct req_decoder *d, const void *data, unsigned long len);
/* one SLT_EV_REQ_MORE record: 0, or -ENOMEM */
int req_decode_more(struct req_decoder *d, const void *data, unsigned long len);
/* a request the kernel still holds, settled from userspace with flags
 * added (SLT_REQ_F_IDLE, SLT_REQ_F_FLUSHED): 0, or -errno */
int req_decode_settle(struct req_decoder *d, const struct slt_req_event *e, uint32_t flags);

#endif
