// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The tcp family's aggregation (user/probes/tcp_decode.c), fed records made
 * here as the kernel makes them: every counter and histogram figure the
 * published series carry is computed by hand from the records. */
#include <errno.h>
#include <stdlib.h>
#include "harness.h"
#include "core/model.h"
#include "probes/tcp_decode.h"

#define AF_INET_ 2

static struct slt_tcp_event client(uint32_t what, uint16_t rport)
{
	struct slt_tcp_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.kind = SLT_EV_TCP;
	e.what = what;
	e.family = AF_INET_;
	e.lport = 40000;
	e.rport = rport;
	e.raddr[0] = 10;
	e.raddr[3] = 2;
	e.hz = 1000;
	memcpy(e.comm, "cli", 3);
	return e;
}

static struct slt_tcp_event server(uint32_t what)
{
	struct slt_tcp_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.kind = SLT_EV_TCP;
	e.what = what;
	e.flags = SLT_TCP_F_SERVER | SLT_TCP_F_ACCEPTED;
	e.family = AF_INET_;
	e.lport = 8080;
	e.rport = 50000;
	memcpy(e.comm, "srv", 3);
	return e;
}

static int feed(struct tcp_aggs *t, const struct slt_tcp_event *e)
{
	return tcp_aggs_event(t, e, sizeof(*e));
}

/* connects (one timed, one refused, one untimed), an RTT sample, the close
 * and the reset sent after it, of one remote endpoint */
TEST(tcp_client_connection_sequence_gives_exact_counters_and_histograms)
{
	struct model *m = model_new();
	struct tcp_aggs *t = m ? tcp_aggs_new(m) : NULL;
	struct slt_tcp_event e;
	struct series *s;

	CHECK(t);
	e = client(SLT_TCP_REC_CONNECT, 5432);
	e.lat_ns = 2000000;
	e.retrans[SLT_TCP_RS_SYN] = 1;
	CHECK_EQ_INT(feed(t, &e), 0);
	e = client(SLT_TCP_REC_CONNECT, 5432);
	e.err = ECONNREFUSED;
	CHECK_EQ_INT(feed(t, &e), 0);
	e = client(SLT_TCP_REC_CONNECT, 5432);
	e.flags = SLT_TCP_F_UNTIMED;
	e.lat_ns = 999;
	CHECK_EQ_INT(feed(t, &e), 0);
	e = client(SLT_TCP_REC_RTT, 5432);
	e.lat_ns = 300000;
	CHECK_EQ_INT(feed(t, &e), 0);
	/* 100 jiffies of life at HZ=1000: 50 busy (cwnd), 10 receiver-limited,
	 * the other 40 the application's */
	e = client(SLT_TCP_REC_CLOSE, 5432);
	e.flags = SLT_TCP_F_ESTABLISHED;
	e.lat_ns = 100000000;
	e.life_j = 100;
	e.chrono_j[SLT_TCP_CHRONO_BUSY] = 50;
	e.chrono_j[SLT_TCP_CHRONO_RWND] = 10;
	e.bytes_in = 1000;
	e.bytes_out = 600000;
	e.retrans[SLT_TCP_RS_EST] = 3;
	e.retrans[SLT_TCP_RS_CLOSING] = 1;
	e.retrans[SLT_TCP_RS_OTHER] = 2;
	e.srtt_us = 250;
	e.rst_sent = 1;
	e.buf_limit = 2;
	e.rcvq_full = 1;
	CHECK_EQ_INT(feed(t, &e), 0);
	e = client(SLT_TCP_REC_RESET, 5432);
	e.rst_sent = 1;
	CHECK_EQ_INT(feed(t, &e), 0);
	CHECK_EQ_INT(tcp_aggs_publish(t, m), 0);

	s = model_find(m, "tcp", "connect cli 10.0.0.2:5432");
	CHECK(s);
	CHECK_STR(series_label(s, "metric"), "connect");
	CHECK_STR(series_label(s, "process"), "cli");
	CHECK_STR(series_label(s, "remote"), "10.0.0.2:5432");
	CHECK_EQ_U64(s->hist.count, 1);
	CHECK_EQ_U64(s->hist.sum, 2000000);
	CHECK_EQ_U64(s->failed, 1);
	CHECK_EQ_U64(s->errors, 1);
	/* count is attempts: the untimed one too */
	CHECK_EQ_U64(s->untimed, 1);
	CHECK_EQ_U64(series_count(s), 3);
	CHECK_EQ_U64(series_counter(s, "established"), 2);
	CHECK_EQ_U64(series_counter(s, "established_untimed"), 1);
	CHECK_EQ_U64(series_counter(s, "refused"), 1);
	CHECK_EQ_U64(series_counter(s, "timed_out"), 0);
	CHECK_EQ_U64(series_counter(s, "syn_retrans"), 1);

	s = model_find(m, "tcp", "srtt cli 10.0.0.2:5432");
	CHECK(s);
	CHECK_EQ_U64(s->hist.count, 2);
	CHECK_EQ_U64(s->hist.sum, 300000 + 250000);

	s = model_find(m, "tcp", "conn cli 10.0.0.2:5432");
	CHECK(s);
	CHECK_EQ_U64(s->hist.count, 1);
	CHECK_EQ_U64(s->hist.sum, 100000000);
	CHECK_EQ_U64(s->errors, 2); /* resets sent */
	CHECK_EQ_U64(series_counter(s, "closed"), 1);
	CHECK_EQ_U64(series_counter(s, "open_at_end"), 0);
	CHECK_EQ_U64(series_counter(s, "bytes_in"), 1000);
	CHECK_EQ_U64(series_counter(s, "bytes_out"), 600000);
	CHECK_EQ_U64(series_counter(s, "retrans"), 6);
	CHECK_EQ_U64(series_counter(s, "retrans_established"), 3);
	CHECK_EQ_U64(series_counter(s, "retrans_closing"), 1);
	CHECK_EQ_U64(series_counter(s, "resets_sent"), 2);
	CHECK_EQ_U64(series_counter(s, "resets_received"), 0);
	CHECK_EQ_U64(series_counter(s, "buf_limit_events"), 2);
	CHECK_EQ_U64(series_counter(s, "rcvqueue_full_events"), 1);
	CHECK_EQ_U64(series_counter(s, "limited_network"), 1);
	CHECK_EQ_U64(series_counter(s, "limited_application"), 0);
	CHECK_EQ_U64(series_counter(s, "network_limited_us"), 50000);
	CHECK_EQ_U64(series_counter(s, "receiver_limited_us"), 10000);
	CHECK_EQ_U64(series_counter(s, "sndbuf_limited_us"), 0);
	CHECK_EQ_U64(series_counter(s, "application_limited_us"), 40000);
	CHECK_EQ_U64(series_counter(s, "rate_bytes"), 600000);
	CHECK_EQ_U64(series_counter(s, "rate_us"), 60000);
	/* 600000 bytes in 60 ms of sending */
	CHECK_EQ_U64(series_counter(s, "send_rate_bps"), 80000000);
	CHECK_EQ_INT(m->nseries, 3);
	CHECK_EQ_U64(model_lost_total(m), 0);
	tcp_aggs_free(t);
	model_free(m);
}

/* accepts on a listener (one over its backlog, one whose handshake was
 * not seen), a connection closed in the accept queue, and the listener's
 * SYN-ACK retransmits as read from the kernel on each drain */
TEST(tcp_accept_queue_and_synack_counts_are_exact)
{
	struct model *m = model_new();
	struct tcp_aggs *t = m ? tcp_aggs_new(m) : NULL;
	struct slt_tcp_event e;
	struct series *s;
	char comm[SLT_COMM_LEN] = "srv";

	CHECK(t);
	e = server(SLT_TCP_REC_ACCEPT);
	e.lat_ns = 100000;
	e.queue_len = 3;
	e.backlog = 2;
	CHECK_EQ_INT(feed(t, &e), 0);
	e = server(SLT_TCP_REC_ACCEPT);
	e.flags |= SLT_TCP_F_WAIT_UNKNOWN;
	e.queue_len = 1;
	e.backlog = 2;
	CHECK_EQ_INT(feed(t, &e), 0);
	e = server(SLT_TCP_REC_CLOSE);
	e.flags = SLT_TCP_F_SERVER; /* never accepted */
	e.lat_ns = 5000;
	CHECK_EQ_INT(feed(t, &e), 0);
	CHECK_EQ_INT(tcp_aggs_synack_add(t, 8080, comm, 4), 0);
	CHECK_EQ_INT(tcp_aggs_publish(t, m), 0);

	s = model_find(m, "tcp", "accept srv :8080");
	CHECK(s);
	CHECK_STR(series_label(s, "port"), "8080");
	CHECK_EQ_U64(s->hist.count, 1);
	CHECK_EQ_U64(s->hist.sum, 100000);
	CHECK_EQ_U64(s->failed, 1);  /* wait unknown */
	CHECK_EQ_U64(s->errors, 1);  /* queue full */
	CHECK_EQ_U64(series_counter(s, "accepted"), 2);
	CHECK_EQ_U64(series_counter(s, "wait_unknown"), 1);
	CHECK_EQ_U64(series_counter(s, "queue_len_max"), 3);
	CHECK_EQ_U64(series_counter(s, "queue_len_sum"), 4);
	CHECK_EQ_U64(series_counter(s, "backlog"), 2);
	CHECK_EQ_U64(series_counter(s, "queue_full"), 1);
	CHECK_EQ_U64(series_counter(s, "synack_retrans"), 4);
	CHECK_EQ_U64(series_counter(s, "not_accepted"), 1);
	s = model_find(m, "tcp", "conn srv :8080");
	CHECK(s);
	CHECK_EQ_U64(series_counter(s, "closed"), 1);
	/* sent nothing: the application's to the end */
	CHECK_EQ_U64(series_counter(s, "limited_application"), 1);
	CHECK(!model_find(m, "tcp", "connect srv :8080"));

	/* the kernel's count is a total: read again, it replaces */
	tcp_aggs_synack_clear(t);
	CHECK_EQ_INT(tcp_aggs_synack_add(t, 8080, comm, 5), 0);
	CHECK_EQ_INT(tcp_aggs_publish(t, m), 0);
	s = model_find(m, "tcp", "accept srv :8080");
	CHECK_EQ_U64(series_counter(s, "synack_retrans"), 5);
	CHECK_EQ_U64(series_counter(s, "accepted"), 2);
	tcp_aggs_free(t);
	model_free(m);
}

TEST(tcp_record_unknown_or_short_counts_as_undecodable)
{
	struct model *m = model_new();
	struct tcp_aggs *t = m ? tcp_aggs_new(m) : NULL;
	struct slt_tcp_event e;

	CHECK(t);
	e = client(99, 80);
	CHECK_EQ_INT(feed(t, &e), 0);
	e = client(SLT_TCP_REC_CONNECT, 80);
	CHECK_EQ_INT(tcp_aggs_event(t, &e, sizeof(e) - 1), 0);
	CHECK_EQ_U64(m->lost[SLT_LOSS_UNDECODABLE], 2);
	tcp_aggs_free(t);
	model_free(m);
}

/* More endpoints than SLT_TCP_MAX_AGGS: the later ones fold into "other"
 * with the endpoints past the top SLT_TCP_TOP, and every connect is in
 * exactly one published series. */
TEST(tcp_endpoints_past_the_aggregate_cap_go_to_other_and_are_counted)
{
	const int n = SLT_TCP_MAX_AGGS + 5;
	struct model *m = model_new();
	struct tcp_aggs *t = m ? tcp_aggs_new(m) : NULL;
	struct slt_tcp_event e;
	struct series *o;
	uint64_t sum = 0;
	int nconnect = 0;

	CHECK(t);
	for (int i = 0; i < n; i++) {
		e = client(SLT_TCP_REC_CONNECT, (uint16_t)(1000 + i));
		e.lat_ns = 1000;
		/* the last endpoints, past the cap, are the busiest */
		for (int k = 0; k < (i >= SLT_TCP_MAX_AGGS ? 3 : 1); k++)
			CHECK_EQ_INT(feed(t, &e), 0);
	}
	CHECK_EQ_INT(tcp_aggs_publish(t, m), 0);
	for (int i = 0; i < m->nseries; i++) {
		if (strcmp(series_label(m->series[i], "metric"), "connect"))
			continue;
		nconnect++;
		sum += series_counter(m->series[i], "established");
	}
	CHECK_EQ_INT(nconnect, SLT_TCP_TOP + 1);
	CHECK_EQ_U64(sum, SLT_TCP_MAX_AGGS + 5 * 3);
	o = model_find(m, "tcp", "connect * other");
	CHECK(o);
	CHECK_EQ_U64(series_counter(o, "established"), SLT_TCP_MAX_AGGS - SLT_TCP_TOP + 5 * 3);
	CHECK_EQ_U64(o->hist.count, SLT_TCP_MAX_AGGS - SLT_TCP_TOP + 5 * 3);
	/* the endpoints past the cap have no series of their own, busy or not */
	CHECK(!model_find(m, "tcp", "connect cli 10.0.0.2:2024"));
	CHECK(model_find(m, "tcp", "connect cli 10.0.0.2:1000"));
	tcp_aggs_free(t);
	model_free(m);
}
