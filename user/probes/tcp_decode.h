/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The tcp family's aggregation: its ring-buffer records (struct
 * slt_tcp_event) folded into aggregates per (process, endpoint), and the
 * busiest of them published as model series. Pure: no skeleton, no maps;
 * the probe (tcp.c) hands it records and what it reads from its maps, the
 * unit tests hand it records they made.
 */
#ifndef SLT_PROBES_TCP_DECODE_H
#define SLT_PROBES_TCP_DECODE_H

#include <stdint.h>
#include "slatrace/tcp.h"

#define SLT_TCP_TOP	 20   /* endpoints with series of their own, per direction */
#define SLT_TCP_MAX_AGGS 1024 /* endpoints aggregated apart; later ones go to "other" */

struct model;
struct tcp_aggs;

/* m counts the records that cannot be read (SLT_LOSS_UNDECODABLE); NULL
 * with errno=ENOMEM */
struct tcp_aggs *tcp_aggs_new(struct model *m);
void tcp_aggs_free(struct tcp_aggs *t);
/* one SLT_EV_TCP record of len bytes: 0, or -ENOMEM */
int tcp_aggs_event(struct tcp_aggs *t, const void *data, unsigned long len);
/* listeners' SYN-ACK retransmits, read whole from the kernel each time:
 * clear, then add the count of each (port, comm) */
void tcp_aggs_synack_clear(struct tcp_aggs *t);
int tcp_aggs_synack_add(struct tcp_aggs *t, uint16_t port, const char comm[SLT_COMM_LEN],
			uint64_t n);
/* the SLT_TCP_TOP endpoints with the most connections per direction as
 * series of their own, the rest as "other": 0, or -ENOMEM */
int tcp_aggs_publish(struct tcp_aggs *t, struct model *m);

#endif
