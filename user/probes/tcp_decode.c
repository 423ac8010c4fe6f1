// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TCP family, the aggregation: one record per connect, accept, close and
 * RTT sample (bpf/tcp.bpf.c) folded into aggregates per (process,
 * endpoint), and the busiest of them published as model series (tcp.c
 * says which). Pure, so that the unit tests run it without BPF. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "probes/tcp_decode.h"
#include "core/model.h"
#include "slatrace/tcp.h"

#define SLT_TCP_RATE_MIN_J 10	/* a connection's sending rate counts from 10 jiffies on */

#define ROLE_CLIENT 0
#define ROLE_SERVER 1

/* per-endpoint counters, by index: names are the JSON keys */
enum {
	C_ESTABLISHED,	/* connect: handshakes completed */
	C_REFUSED,	/* connect: ECONNREFUSED (a reset answered the SYN) */
	C_TIMED_OUT,	/* connect: ETIMEDOUT (no answer to any SYN) */
	C_UNREACHABLE,	/* connect: EHOSTUNREACH/ENETUNREACH (ICMP) */
	C_FAILED_OTHER, /* connect: any other errno, or closed before the answer */
	C_SYN_RETRANS,	/* connect: SYNs retransmitted */
	C_UNTIMED,	/* connect: established, its ESTABLISHED change unseen: no latency */
	C_ACCEPTED,
	C_WAIT_UNKNOWN, /* accepted before the handshake was seen: no wait */
	C_QUEUE_MAX,	/* gauge: longest accept queue seen at accept() */
	C_QUEUE_SUM,	/* for the mean queue length */
	C_BACKLOG,	/* gauge: the listener's backlog */
	C_QUEUE_FULL,	/* accepts that found the queue over its backlog */
	C_SYNACK_RETRANS,
	C_CLOSED,
	C_OPEN_AT_END,
	C_PREEXISTING,
	C_NOT_ACCEPTED, /* closed while waiting in the accept queue */
	C_BYTES_IN,
	C_BYTES_OUT,
	C_RETRANS, /* segments retransmitted once established */
	C_RETRANS_EST,
	C_RETRANS_CLOSING,
	C_RST_SENT,
	C_RST_RECV,
	C_BUF_LIMIT,
	C_RCVQ_FULL,
	C_LIM_NETWORK, /* connections by what limited their sending */
	C_LIM_RECEIVER,
	C_LIM_SNDBUF,
	C_LIM_APP,
	C_BUSY_US,    /* summed time: sending, limited by cwnd (the network) */
	C_RWND_US,    /* ... by the receiver's window */
	C_SNDBUF_US,  /* ... by the send buffer */
	C_APP_US,     /* ... the rest of the lifetime: by the application */
	C_RATE_BYTES, /* bytes and sending time of connections that sent for */
	C_RATE_US,    /* at least SLT_TCP_RATE_MIN_J: the rate while sending */
	C_MAX
};

static const char *const counter_names[C_MAX] = {
	[C_ESTABLISHED] = "established",
	[C_REFUSED] = "refused",
	[C_TIMED_OUT] = "timed_out",
	[C_UNREACHABLE] = "unreachable",
	[C_FAILED_OTHER] = "failed_other",
	[C_SYN_RETRANS] = "syn_retrans",
	[C_UNTIMED] = "established_untimed",
	[C_ACCEPTED] = "accepted",
	[C_WAIT_UNKNOWN] = "wait_unknown",
	[C_QUEUE_MAX] = "queue_len_max",
	[C_QUEUE_SUM] = "queue_len_sum",
	[C_BACKLOG] = "backlog",
	[C_QUEUE_FULL] = "queue_full",
	[C_SYNACK_RETRANS] = "synack_retrans",
	[C_CLOSED] = "closed",
	[C_OPEN_AT_END] = "open_at_end",
	[C_PREEXISTING] = "preexisting",
	[C_NOT_ACCEPTED] = "not_accepted",
	[C_BYTES_IN] = "bytes_in",
	[C_BYTES_OUT] = "bytes_out",
	[C_RETRANS] = "retrans",
	[C_RETRANS_EST] = "retrans_established",
	[C_RETRANS_CLOSING] = "retrans_closing",
	[C_RST_SENT] = "resets_sent",
	[C_RST_RECV] = "resets_received",
	[C_BUF_LIMIT] = "buf_limit_events",
	[C_RCVQ_FULL] = "rcvqueue_full_events",
	[C_LIM_NETWORK] = "limited_network",
	[C_LIM_RECEIVER] = "limited_receiver",
	[C_LIM_SNDBUF] = "limited_sndbuf",
	[C_LIM_APP] = "limited_application",
	[C_BUSY_US] = "network_limited_us",
	[C_RWND_US] = "receiver_limited_us",
	[C_SNDBUF_US] = "sndbuf_limited_us",
	[C_APP_US] = "application_limited_us",
	[C_RATE_BYTES] = "rate_bytes",
	[C_RATE_US] = "rate_us",
};

/* which counters belong to which series */
static const unsigned char connect_counters[] = { C_ESTABLISHED, C_REFUSED,	 C_TIMED_OUT,
						  C_UNREACHABLE, C_FAILED_OTHER, C_SYN_RETRANS,
						  C_UNTIMED };
static const unsigned char accept_counters[] = { C_ACCEPTED,	   C_WAIT_UNKNOWN, C_QUEUE_MAX,
						 C_QUEUE_SUM,	   C_BACKLOG,	   C_QUEUE_FULL,
						 C_SYNACK_RETRANS, C_NOT_ACCEPTED };

struct agg_key {
	uint8_t role;
	uint8_t family;	  /* 4 or 6; 0 for servers (keyed by port alone) */
	uint16_t port;	  /* servers: the local port; clients: the remote one */
	uint8_t addr[16]; /* clients: the remote address */
	char comm[SLT_COMM_LEN];
};

struct agg {
	struct agg_key key;
	char endpoint[64]; /* ":8080", "10.0.0.2:5432", "[fd00::2]:443" */
	char comm[SLT_COMM_LEN + 1];
	uint64_t weight; /* connections seen: the ranking */
	int promoted;	 /* has series of its own (sticky) */
	struct hist *connect, *accept, *srtt, *life;
	uint64_t c[C_MAX];
};

struct tcp_aggs {
	struct model *model;
	struct agg **aggs; /* in the order first seen */
	int naggs, cap;
	struct htab index;	/* aggs by agg_key */
	struct agg other[2];	/* per role: the endpoints without series */
	struct agg overflow[2]; /* per role: endpoints past SLT_TCP_MAX_AGGS */
};

static uint64_t hash_key(const struct agg_key *k)
{
	return htab_hash_bytes(HTAB_HASH_INIT, k, sizeof(*k));
}

static uint64_t agg_hash_of(const void *ctx, uint32_t i)
{
	return hash_key(&((const struct tcp_aggs *)ctx)->aggs[i]->key);
}

static void agg_free(struct agg *a)
{
	free(a->connect);
	free(a->accept);
	free(a->srtt);
	free(a->life);
}

void tcp_aggs_free(struct tcp_aggs *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->naggs; i++) {
		agg_free(st->aggs[i]);
		free(st->aggs[i]);
	}
	free(st->aggs);
	htab_free(&st->index);
	for (int r = 0; r < 2; r++) {
		agg_free(&st->other[r]);
		agg_free(&st->overflow[r]);
	}
	free(st);
}

struct tcp_aggs *tcp_aggs_new(struct model *m)
{
	struct tcp_aggs *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->model = m;
	return st;
}

static void fmt_endpoint(const struct agg_key *k, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (k->role == ROLE_SERVER) {
		snprintf(buf, len, ":%u", k->port);
		return;
	}
	if (k->family == 6) {
		inet_ntop(AF_INET6, k->addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, k->port);
	} else {
		inet_ntop(AF_INET, k->addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, k->port);
	}
}

static void key_of(const struct slt_tcp_event *e, struct agg_key *k)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(k, 0, sizeof(*k));
	k->role = e->flags & SLT_TCP_F_SERVER ? ROLE_SERVER : ROLE_CLIENT;
	memcpy(k->comm, e->comm, SLT_COMM_LEN);
	if (k->role == ROLE_SERVER) {
		k->port = e->lport;
		return;
	}
	k->port = e->rport;
	if (e->family == AF_INET6 && memcmp(e->raddr, v4mapped, sizeof(v4mapped))) {
		k->family = 6;
		memcpy(k->addr, e->raddr, 16);
	} else {
		k->family = 4;
		memcpy(k->addr, e->family == AF_INET6 ? e->raddr + 12 : e->raddr, 4);
	}
}

static struct agg *agg_get(struct tcp_aggs *st, const struct slt_tcp_event *e)
{
	struct agg_key k;
	struct agg *a;
	uint32_t pos;
	int i;

	key_of(e, &k);
	for (pos = htab_pos(&st->index, hash_key(&k)); (i = htab_at(&st->index, pos)) >= 0;
	     pos = htab_next(&st->index, pos))
		if (!memcmp(&st->aggs[i]->key, &k, sizeof(k)))
			return st->aggs[i];
	if (st->naggs >= SLT_TCP_MAX_AGGS)
		return &st->overflow[k.role];
	if (st->naggs == st->cap) {
		int cap = st->cap ? st->cap * 2 : 64;
		struct agg **v = realloc(st->aggs, cap * sizeof(*v));

		if (!v)
			return NULL;
		st->aggs = v;
		st->cap = cap;
	}
	if (htab_reserve(&st->index, agg_hash_of, st))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->key = k;
	fmt_endpoint(&k, a->endpoint, sizeof(a->endpoint));
	memcpy(a->comm, k.comm, SLT_COMM_LEN);
	/* the reserve may have moved every slot: probe again for the empty one */
	for (pos = htab_pos(&st->index, hash_key(&k)); htab_at(&st->index, pos) >= 0;
	     pos = htab_next(&st->index, pos))
		;
	st->aggs[st->naggs++] = a;
	htab_put(&st->index, pos);
	return a;
}

static struct hist *hist_of(struct hist **h)
{
	if (!*h)
		*h = calloc(1, sizeof(**h));
	return *h;
}

static uint64_t j_to_us(uint64_t j, const struct slt_tcp_event *e)
{
	if (e->hz)
		return j * 1000000ull / e->hz;
	/* no CONFIG_HZ: this connection's own clock ratio */
	return e->life_j ? j * (e->lat_ns / 1000) / e->life_j : 0;
}

/* what limited a closed connection's sending: the largest of the kernel's
 * busy (cwnd), rwnd-limited and sndbuf-limited times and the rest of its
 * life, when it had nothing to send */
static int verdict_of(const struct slt_tcp_event *e, uint64_t t[4])
{
	uint64_t sum = 0;
	int best = 3;

	/* a connection that sent no data only ever waited on its FIN: it had
	 * nothing to send */
	for (int i = 0; i < SLT_TCP_CHRONO_MAX; i++) {
		t[i] = e->bytes_out ? e->chrono_j[i] : 0;
		sum += t[i];
	}
	t[3] = e->life_j > sum ? e->life_j - sum : 0;
	for (int i = 0; i < 3; i++)
		if (t[i] > t[best])
			best = i;
	return best;
}

static int on_close(struct agg *a, const struct slt_tcp_event *e)
{
	static const int lim[4] = { C_LIM_NETWORK, C_LIM_RECEIVER, C_LIM_SNDBUF, C_LIM_APP };
	static const int tus[4] = { C_BUSY_US, C_RWND_US, C_SNDBUF_US, C_APP_US };
	uint64_t t[4], send_j;
	int v;

	if (!hist_of(&a->life) || !hist_of(&a->srtt))
		return -ENOMEM;
	a->c[e->flags & SLT_TCP_F_OPEN_AT_END ? C_OPEN_AT_END : C_CLOSED]++;
	if (e->flags & SLT_TCP_F_PREEXISTING)
		a->c[C_PREEXISTING]++;
	if ((e->flags & SLT_TCP_F_SERVER) && !(e->flags & SLT_TCP_F_ACCEPTED) &&
	    !(e->flags & SLT_TCP_F_PREEXISTING))
		a->c[C_NOT_ACCEPTED]++;
	hist_add(a->life, e->lat_ns);
	if (e->srtt_us)
		hist_add(a->srtt, (uint64_t)e->srtt_us * 1000);
	a->c[C_BYTES_IN] += e->bytes_in;
	a->c[C_BYTES_OUT] += e->bytes_out;
	a->c[C_RETRANS_EST] += e->retrans[SLT_TCP_RS_EST];
	a->c[C_RETRANS_CLOSING] += e->retrans[SLT_TCP_RS_CLOSING];
	a->c[C_RETRANS] += e->retrans[SLT_TCP_RS_EST] + e->retrans[SLT_TCP_RS_CLOSING] +
			   e->retrans[SLT_TCP_RS_OTHER];
	a->c[C_RST_SENT] += e->rst_sent;
	a->c[C_RST_RECV] += e->rst_recv;
	a->c[C_BUF_LIMIT] += e->buf_limit;
	a->c[C_RCVQ_FULL] += e->rcvq_full;
	v = verdict_of(e, t);
	a->c[lim[v]]++;
	for (int i = 0; i < 4; i++)
		a->c[tus[i]] += j_to_us(t[i], e);
	send_j = t[0] + t[1] + t[2];
	if (send_j >= SLT_TCP_RATE_MIN_J) {
		a->c[C_RATE_BYTES] += e->bytes_out;
		a->c[C_RATE_US] += j_to_us(send_j, e);
	}
	return 0;
}

static int decode(struct tcp_aggs *st, const struct slt_tcp_event *e)
{
	struct agg *a = agg_get(st, e);

	if (!a)
		return -ENOMEM;
	switch (e->what) {
	case SLT_TCP_REC_CONNECT:
		a->weight++;
		a->c[C_SYN_RETRANS] += e->retrans[SLT_TCP_RS_SYN];
		switch (e->err) {
		case 0:
			if (!hist_of(&a->connect))
				return -ENOMEM;
			if (e->flags & SLT_TCP_F_UNTIMED)
				a->c[C_UNTIMED]++;
			else
				hist_add(a->connect, e->lat_ns);
			a->c[C_ESTABLISHED]++;
			break;
		case ECONNREFUSED:
			a->c[C_REFUSED]++;
			break;
		case ETIMEDOUT:
			a->c[C_TIMED_OUT]++;
			break;
		case EHOSTUNREACH:
		case ENETUNREACH:
			a->c[C_UNREACHABLE]++;
			break;
		default:
			a->c[C_FAILED_OTHER]++;
			break;
		}
		return 0;
	case SLT_TCP_REC_ACCEPT:
		a->weight++;
		a->c[C_ACCEPTED]++;
		if (e->flags & SLT_TCP_F_WAIT_UNKNOWN) {
			a->c[C_WAIT_UNKNOWN]++;
		} else {
			if (!hist_of(&a->accept))
				return -ENOMEM;
			hist_add(a->accept, e->lat_ns);
		}
		if (e->queue_len > a->c[C_QUEUE_MAX])
			a->c[C_QUEUE_MAX] = e->queue_len;
		a->c[C_QUEUE_SUM] += e->queue_len;
		if (e->backlog > a->c[C_BACKLOG])
			a->c[C_BACKLOG] = e->backlog;
		if (e->backlog && e->queue_len > e->backlog)
			a->c[C_QUEUE_FULL]++;
		return 0;
	case SLT_TCP_REC_CLOSE:
		if (e->flags & SLT_TCP_F_PREEXISTING)
			a->weight++;
		return on_close(a, e);
	case SLT_TCP_REC_RTT:
		if (!hist_of(&a->srtt))
			return -ENOMEM;
		hist_add(a->srtt, e->lat_ns);
		return 0;
	case SLT_TCP_REC_RESET:
		a->c[C_RST_SENT] += e->rst_sent;
		return 0;
	}
	st->model->lost[SLT_LOSS_UNDECODABLE]++;
	return 0;
}

int tcp_aggs_event(struct tcp_aggs *st, const void *data, unsigned long len)
{
	if (len < sizeof(struct slt_tcp_event)) {
		st->model->lost[SLT_LOSS_UNDECODABLE]++;
		return 0;
	}
	return decode(st, data) == -ENOMEM ? -ENOMEM : 0;
}

/* ---- publishing into the model ---- */

static int hist_merge_into(struct hist **dst, const struct hist *src)
{
	if (!src)
		return 0;
	if (!hist_of(dst))
		return -ENOMEM;
	hist_merge(*dst, src);
	return 0;
}

static int agg_merge(struct agg *dst, const struct agg *src)
{
	if (hist_merge_into(&dst->connect, src->connect) ||
	    hist_merge_into(&dst->accept, src->accept) || hist_merge_into(&dst->srtt, src->srtt) ||
	    hist_merge_into(&dst->life, src->life))
		return -ENOMEM;
	dst->weight += src->weight;
	for (int i = 0; i < C_MAX; i++) {
		if (i == C_QUEUE_MAX || i == C_BACKLOG)
			dst->c[i] = src->c[i] > dst->c[i] ? src->c[i] : dst->c[i];
		else
			dst->c[i] += src->c[i];
	}
	return 0;
}

static void agg_reset(struct agg *a)
{
	struct hist *h[4] = { a->connect, a->accept, a->srtt, a->life };

	for (int i = 0; i < 4; i++)
		if (h[i])
			hist_reset(h[i]);
	a->weight = 0;
	memset(a->c, 0, sizeof(a->c));
}

static struct series *series_for(struct model *m, const struct agg *a, const char *metric)
{
	char name[160];
	struct series *s;

	snprintf(name, sizeof(name), "%s %s %s", metric, a->comm, a->endpoint);
	s = model_series(m, "tcp", name);
	if (s && !s->nlabels) {
		series_set_label(s, "metric", metric);
		series_set_label(s, "process", a->comm);
		if (a->key.role == ROLE_SERVER)
			series_set_label(s, "port",
					 a->endpoint[0] == ':' ? a->endpoint + 1 : a->endpoint);
		else
			series_set_label(s, "remote", a->endpoint);
	}
	return s;
}

static int set_counters(struct series *s, const struct agg *a, const unsigned char *idx, int n)
{
	for (int i = 0; i < n; i++)
		if (series_set_counter(s, counter_names[idx[i]], a->c[idx[i]]))
			return -ENOMEM;
	return 0;
}

static int publish_agg(struct model *m, const struct agg *a)
{
	static const struct hist empty;
	struct series *s;

	if (a->connect ||
	    a->c[C_REFUSED] + a->c[C_TIMED_OUT] + a->c[C_UNREACHABLE] + a->c[C_FAILED_OTHER]) {
		uint64_t failed = a->c[C_REFUSED] + a->c[C_TIMED_OUT] + a->c[C_UNREACHABLE] +
				  a->c[C_FAILED_OTHER];

		s = series_for(m, a, "connect");
		if (!s)
			return -ENOMEM;
		/* count = attempts: timed, untimed (established, unseen
		 * handshake: no latency) and failed */
		s->hist = a->connect ? *a->connect : empty;
		s->untimed = a->c[C_UNTIMED];
		s->failed = failed;
		s->errors = failed;
		if (set_counters(s, a, connect_counters, sizeof(connect_counters)))
			return -ENOMEM;
	}
	if (a->c[C_ACCEPTED] || a->c[C_SYNACK_RETRANS] || a->c[C_NOT_ACCEPTED]) {
		s = series_for(m, a, "accept");
		if (!s)
			return -ENOMEM;
		s->hist = a->accept ? *a->accept : empty;
		s->failed = a->c[C_WAIT_UNKNOWN];
		s->errors = a->c[C_QUEUE_FULL];
		if (set_counters(s, a, accept_counters, sizeof(accept_counters)))
			return -ENOMEM;
	}
	if (a->srtt && a->srtt->count) {
		s = series_for(m, a, "srtt");
		if (!s)
			return -ENOMEM;
		s->hist = *a->srtt;
	}
	if (a->c[C_CLOSED] + a->c[C_OPEN_AT_END]) {
		uint64_t rate =
		    a->c[C_RATE_US] ? a->c[C_RATE_BYTES] * 8000000ull / a->c[C_RATE_US] : 0;

		s = series_for(m, a, "conn");
		if (!s)
			return -ENOMEM;
		s->hist = a->life ? *a->life : empty;
		s->errors = a->c[C_RST_SENT] + a->c[C_RST_RECV];
		for (int i = C_CLOSED; i < C_MAX; i++)
			if (i != C_NOT_ACCEPTED && series_set_counter(s, counter_names[i], a->c[i]))
				return -ENOMEM;
		if (series_set_counter(s, "send_rate_bps", rate))
			return -ENOMEM;
	}
	return 0;
}

static int by_weight_desc(const void *x, const void *y)
{
	const struct agg *a = *(struct agg *const *)x, *b = *(struct agg *const *)y;

	if (a->weight != b->weight)
		return a->weight < b->weight ? 1 : -1;
	return strcmp(a->endpoint, b->endpoint);
}

void tcp_aggs_synack_clear(struct tcp_aggs *st)
{
	for (int i = 0; i < st->naggs; i++)
		if (st->aggs[i]->key.role == ROLE_SERVER)
			st->aggs[i]->c[C_SYNACK_RETRANS] = 0;
}

int tcp_aggs_synack_add(struct tcp_aggs *st, uint16_t port, const char comm[SLT_COMM_LEN],
			uint64_t n)
{
	struct slt_tcp_event e = { .flags = SLT_TCP_F_SERVER };
	struct agg *a;

	e.lport = port;
	memcpy(e.comm, comm, SLT_COMM_LEN);
	a = agg_get(st, &e);
	if (!a)
		return -ENOMEM;
	a->c[C_SYNACK_RETRANS] += n;
	return 0;
}

int tcp_aggs_publish(struct tcp_aggs *st, struct model *m)
{
	struct agg **v;
	int n = 0, top[2] = { 0, 0 }, err = 0;

	v = calloc(st->naggs ? st->naggs : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < st->naggs; i++)
		v[n++] = st->aggs[i];
	qsort(v, n, sizeof(*v), by_weight_desc);
	for (int i = 0; i < n; i++) {
		int r = v[i]->key.role;

		if (!v[i]->promoted && top[r] < SLT_TCP_TOP)
			v[i]->promoted = 1;
		top[r] += v[i]->promoted;
	}
	for (int r = 0; r < 2; r++) {
		agg_reset(&st->other[r]);
		st->other[r].key.role = r;
		snprintf(st->other[r].comm, sizeof(st->other[r].comm), "*");
		/* distinct names: "conn * other" (remotes), "conn * :other" (ports) */
		snprintf(st->other[r].endpoint, sizeof(st->other[r].endpoint),
			 r == ROLE_SERVER ? ":other" : "other");
		if (agg_merge(&st->other[r], &st->overflow[r]))
			err = -ENOMEM;
	}
	for (int i = 0; i < n && !err; i++)
		err = v[i]->promoted ? publish_agg(m, v[i])
				     : agg_merge(&st->other[v[i]->key.role], v[i]);
	for (int r = 0; r < 2 && !err; r++)
		if (st->other[r].weight || st->other[r].c[C_CLOSED] || st->other[r].srtt)
			err = publish_agg(m, &st->other[r]);
	free(v);
	return err;
}
