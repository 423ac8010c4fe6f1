// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TCP family, userspace side: loads bpf/tcp.bpf.c, finds the target's
 * connections and listeners from before the run (iter/task_file), decodes
 * one record per connect, accept, close and RTT sample into aggregates per
 * (process, endpoint), and publishes the busiest of them as model series:
 *
 *   connect <process> <addr:port>   connect latency; established/refused/...
 *   accept  <process> :<port>       handshake-to-accept wait; queue vs backlog
 *   srtt    <process> <endpoint>    smoothed-RTT samples
 *   conn    <process> <endpoint>    lifetime; bytes, retransmits, resets,
 *                                   what limited sending, and its times
 *
 * Outgoing connections are grouped by remote address:port, accepted ones by
 * local port. The SLT_TCP_TOP endpoints with the most connections (per
 * direction) get series of their own, the rest fold into "other". */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes/probe.h"
#include "core/features.h"
#include "core/listeners.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/session.h"
#include "core/skel.h"
#include "slatrace/tcp.h"
#include "tcp.skel.h"

_Static_assert(sizeof(struct slt_tcp_event) == 16 + 3 * 8 + 20 * 4 + 4 * 2 + 16 + SLT_COMM_LEN,
	       "ABI");
_Static_assert(sizeof(struct slt_tcp_port_key) == 8, "ABI");
_Static_assert(sizeof(struct slt_tcp_port) == 16 + SLT_COMM_LEN, "ABI");

#define SLT_TCP_TOP	   20	/* endpoints with series of their own, per direction */
#define SLT_TCP_MAX_AGGS   1024 /* endpoints aggregated apart; later ones go to "other" */
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

struct tcp_state {
	struct tcp_bpf *skel;
	struct session *sess;
	struct model *model;
	struct agg **aggs; /* open addressing on agg_key */
	int naggs, cap;
	struct agg other[2];	/* per role: the endpoints without series */
	struct agg overflow[2]; /* per role: endpoints past SLT_TCP_MAX_AGGS */
	/* /proc/<pid>/net/netstat of each net namespace the target is in */
	int netstat_fd[SLT_MAX_PIDLIST];
	uint64_t netstat0[SLT_MAX_PIDLIST][2];
	int nnetstat;
	uint32_t netstat_pid; /* the first of them (0: slatrace's own namespace) */
	uint64_t netstat_pub[2];
	uint64_t unsettled;
	uint64_t misses_pub; /* tracepoint runs the kernel skipped, published so far */
	int seeded;
};

static uint64_t hash_key(const struct agg_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static void agg_free(struct agg *a)
{
	free(a->connect);
	free(a->accept);
	free(a->srtt);
	free(a->life);
}

static void tcp_close(void *state)
{
	struct tcp_state *st = state;

	if (!st)
		return;
	for (int i = 0; i < st->cap; i++) {
		if (st->aggs && st->aggs[i]) {
			agg_free(st->aggs[i]);
			free(st->aggs[i]);
		}
	}
	free(st->aggs);
	for (int r = 0; r < 2; r++) {
		agg_free(&st->other[r]);
		agg_free(&st->overflow[r]);
	}
	for (int i = 0; i < st->nnetstat; i++)
		close(st->netstat_fd[i]);
	tcp_bpf__destroy(st->skel);
	free(st);
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

static int aggs_grow(struct tcp_state *st)
{
	int cap = st->cap ? st->cap * 2 : 64;
	struct agg **v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (int i = 0; i < st->cap; i++) {
		struct agg *a = st->aggs[i];
		uint64_t h;

		if (!a)
			continue;
		h = hash_key(&a->key);
		while (v[h & (cap - 1)])
			h++;
		v[h & (cap - 1)] = a;
	}
	free(st->aggs);
	st->aggs = v;
	st->cap = cap;
	return 0;
}

static struct agg *agg_get(struct tcp_state *st, const struct slt_tcp_event *e)
{
	struct agg_key k;
	struct agg *a;
	uint64_t h;

	key_of(e, &k);
	if (st->cap) {
		for (h = hash_key(&k);; h++) {
			a = st->aggs[h & (st->cap - 1)];
			if (!a)
				break;
			if (!memcmp(&a->key, &k, sizeof(k)))
				return a;
		}
	}
	if (st->naggs >= SLT_TCP_MAX_AGGS)
		return &st->overflow[k.role];
	if (2 * (st->naggs + 1) > st->cap && aggs_grow(st))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->key = k;
	fmt_endpoint(&k, a->endpoint, sizeof(a->endpoint));
	memcpy(a->comm, k.comm, SLT_COMM_LEN);
	for (h = hash_key(&k); st->aggs[h & (st->cap - 1)]; h++)
		;
	st->aggs[h & (st->cap - 1)] = a;
	st->naggs++;
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

static int decode(struct tcp_state *st, const struct slt_tcp_event *e)
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

static int on_event(void *ctx, const void *data, unsigned long len)
{
	struct tcp_state *st = ctx;

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
		s->hist = a->connect ? *a->connect : empty;
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

static int read_netstat(int fd, uint64_t v[2])
{
	static const char *const want[2] = { "ListenOverflows", "ListenDrops" };
	char buf[16384], *names = NULL, *vals = NULL, *save1, *save2;
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	/* pairs of lines: "TcpExt: name name ..." then "TcpExt: value value ..." */
	for (char *line = strtok_r(buf, "\n", &save1); line; line = strtok_r(NULL, "\n", &save1)) {
		if (strncmp(line, "TcpExt:", 7))
			continue;
		if (!names) {
			names = line;
			continue;
		}
		vals = line;
		break;
	}
	if (!names || !vals)
		return -EINVAL;
	v[0] = v[1] = 0;
	{
		char *np = names + 7, *vp = vals + 7, *nt, *vt;

		for (nt = strtok_r(np, " ", &save1), vt = strtok_r(vp, " ", &save2); nt && vt;
		     nt = strtok_r(NULL, " ", &save1), vt = strtok_r(NULL, " ", &save2))
			for (int i = 0; i < 2; i++)
				if (!strcmp(nt, want[i]))
					slt_parse_u64(vt, 0, UINT64_MAX, &v[i]);
	}
	return 0;
}

static void publish_netstat(struct tcp_state *st, struct model *m)
{
	static const char *const names[2] = { "tcp_listen_overflows", "tcp_listen_drops" };
	uint64_t v[2], sum[2] = { 0, 0 };

	if (!st->nnetstat)
		return;
	for (int k = 0; k < st->nnetstat; k++) {
		if (read_netstat(st->netstat_fd[k], v))
			return;
		for (int i = 0; i < 2; i++)
			sum[i] += v[i] > st->netstat0[k][i] ? v[i] - st->netstat0[k][i] : 0;
	}
	for (int i = 0; i < 2; i++) {
		uint64_t d = sum[i];

		if (d > st->netstat_pub[i] || !model_stat(m, names[i]))
			model_stat_add(m, names[i], d - st->netstat_pub[i]);
		if (d > st->netstat_pub[i])
			st->netstat_pub[i] = d;
	}
}

/* listeners' SYN-ACK retransmits, from tcp_ports */
static int read_ports(struct tcp_state *st)
{
	int fd = bpf_map__fd(st->skel->maps.tcp_ports);
	struct slt_tcp_port_key key, next, *prev = NULL;
	struct slt_tcp_port v;

	for (int i = 0; i < st->cap; i++)
		if (st->aggs[i] && st->aggs[i]->key.role == ROLE_SERVER)
			st->aggs[i]->c[C_SYNACK_RETRANS] = 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct slt_tcp_event e = { .flags = SLT_TCP_F_SERVER };
		struct agg *a;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || !v.synack_retrans)
			continue;
		e.lport = key.port;
		memcpy(e.comm, v.comm, SLT_COMM_LEN);
		a = agg_get(st, &e);
		if (!a)
			return -ENOMEM;
		a->c[C_SYNACK_RETRANS] += v.synack_retrans;
	}
	return 0;
}

/* Runs of our programs the kernel skipped because they would have nested in
 * another run of the same program on that CPU (bpf_prog_info
 * recursion_misses). A skipped state change is made up for at the next one
 * (a connect seen established late is "established_untimed"); the rest
 * (an RTT sample, a retransmit attributed late) are small. Shown so that
 * none goes unseen. */
static void publish_misses(struct tcp_state *st, struct model *m)
{
	struct bpf_program *p;
	uint64_t sum = 0;

	bpf_object__for_each_program(p, st->skel->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	if (sum > st->misses_pub || !model_stat(m, "tcp_tracepoint_misses"))
		model_stat_add(m, "tcp_tracepoint_misses", sum - st->misses_pub);
	if (sum > st->misses_pub)
		st->misses_pub = sum;
}

static int tcp_drain(void *state, struct model *m)
{
	struct tcp_state *st = state;
	struct agg **v;
	int n = 0, top[2] = { 0, 0 }, err = 0;

	if (read_ports(st))
		return -ENOMEM;
	v = calloc(st->naggs ? st->naggs : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < st->cap; i++)
		if (st->aggs[i])
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
	publish_netstat(st, m);
	publish_misses(st, m);
	return err;
}

/* ---- finding sockets from before the run, and flushing at the end ---- */

static int add_pid(int fd, uint32_t pid)
{
	__u8 one = 1;

	return bpf_map_update_elem(fd, &pid, &one, BPF_ANY) ? -errno : 0;
}

static void add_cgroup_pids(int fd, int dirfd, int depth)
{
	char line[32];
	DIR *d;
	struct dirent *de;
	FILE *f;
	int pfd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);

	if (pfd >= 0) {
		f = fdopen(pfd, "r");
		if (f) {
			while (fgets(line, sizeof(line), f)) {
				uint64_t pid;

				line[strcspn(line, "\n")] = 0;
				if (!slt_parse_u64(line, 1, UINT32_MAX, &pid))
					add_pid(fd, (uint32_t)pid);
			}
			fclose(f);
		} else {
			close(pfd);
		}
	}
	if (depth > 16)
		return;
	pfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return;
	d = fdopendir(pfd);
	if (!d) {
		close(pfd);
		return;
	}
	while ((de = readdir(d))) {
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub < 0)
			continue;
		add_cgroup_pids(fd, sub, depth + 1);
		close(sub);
	}
	closedir(d);
}

/* the processes the iterators look at, now */
static void fill_seed_pids(struct tcp_state *st)
{
	struct session *s = st->sess;
	int fd = bpf_map__fd(st->skel->maps.seed_pids);

	switch (s->mode) {
	case SLT_TARGET_PIDLIST:
		for (uint32_t i = 0; i < s->npids; i++)
			add_pid(fd, s->pids[i]);
		break;
	case SLT_TARGET_PIDMAP: {
		int tfd = bpf_map__fd(st->skel->maps.targets); /* shared */
		__u32 key, next, *prev = NULL;

		while (bpf_map_get_next_key(tfd, prev, &next) == 0) {
			key = next;
			prev = &key;
			add_pid(fd, key);
		}
		break;
	}
	case SLT_TARGET_COMM: {
		char comm[SLT_COMM_LEN + 1] = "";
		uint32_t *pids = calloc(SLT_TCP_MAX_SEED_PIDS, sizeof(*pids));
		int n;

		if (!pids)
			break;
		memcpy(comm, s->comm, SLT_COMM_LEN);
		n = listeners_pids_by_comm(comm, pids, SLT_TCP_MAX_SEED_PIDS);
		for (int i = 0; i < n; i++)
			add_pid(fd, pids[i]);
		free(pids);
		break;
	}
	case SLT_TARGET_CGROUP:
		if (s->cgroup_fd >= 0)
			add_cgroup_pids(fd, s->cgroup_fd, 0);
		break;
	default:
		break; /* all: the iterators test the pid themselves */
	}
}

static int run_iter(struct bpf_program *prog, const char *what)
{
	struct bpf_link *link;
	char buf[256];
	int fd, err = 0;

	link = bpf_program__attach_iter(prog, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = -errno;
			break;
		}
	}
	close(fd);
out:
	if (err)
		slt_warn("cannot walk the target's sockets (%s): %s", what, slt_strerror(err));
	bpf_link__destroy(link);
	return err;
}

/* The kernel's listen overflow counters are per net namespace: read those
 * of every namespace a listed target process is in (slatrace's own for the
 * other target kinds). An open file keeps its namespace after the process
 * exits. */
static void open_netstat(struct tcp_state *st, struct session *s)
{
	unsigned long long seen[SLT_MAX_PIDLIST];
	uint32_t pids[SLT_MAX_PIDLIST];
	int npids = 0;

	if (s->mode == SLT_TARGET_PIDLIST)
		for (uint32_t i = 0; i < s->npids && i < SLT_MAX_PIDLIST; i++)
			pids[npids++] = s->pids[i];
	else if (s->cmd_pid > 0)
		pids[npids++] = (uint32_t)s->cmd_pid;
	if (!npids)
		pids[npids++] = 0;
	for (int i = 0; i < npids && st->nnetstat < SLT_MAX_PIDLIST; i++) {
		char path[64];
		struct stat sb;
		int fd, dup = 0;

		snprintf(path, sizeof(path), pids[i] ? "/proc/%u/ns/net" : "/proc/self/ns/net",
			 pids[i]);
		if (stat(path, &sb))
			continue;
		for (int k = 0; k < st->nnetstat; k++)
			dup |= seen[k] == (unsigned long long)sb.st_ino;
		if (dup)
			continue;
		snprintf(path, sizeof(path),
			 pids[i] ? "/proc/%u/net/netstat" : "/proc/self/net/netstat", pids[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (read_netstat(fd, st->netstat0[st->nnetstat])) {
			close(fd);
			continue;
		}
		if (!st->nnetstat)
			st->netstat_pid = pids[i];
		seen[st->nnetstat] = sb.st_ino;
		st->netstat_fd[st->nnetstat++] = fd;
	}
}

/* the iterators run on demand, not attached to a hook */
static int tcp_configure(void *ctx, const struct session *s)
{
	struct tcp_state *st = ctx;

	SESSION_SET_TARGET_RODATA(st->skel, s);
	bpf_program__set_autoattach(st->skel->progs.seed_socks, false);
	bpf_program__set_autoattach(st->skel->progs.flush_socks, false);
	return 0;
}

static int tcp_open(struct session *s, void **state)
{
	struct tcp_state *st;
	int err;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->sess = s;
	st->model = s->model;
	st->skel = tcp_bpf__open();
	err = slt_skel_load(st->skel ? st->skel->skeleton : NULL, s, "tcp", tcp_configure, st);
	if (err)
		goto cleanup;
	err = session_on_event(s, SLT_EV_TCP, on_event, st);
	if (err) {
		slt_error("cannot route the 'tcp' records: %s", slt_strerror(err));
		goto cleanup;
	}
	open_netstat(st, s);
	*state = st;
	return 0;
cleanup:
	tcp_close(st);
	return err;
}

static int tcp_attach(void *state)
{
	struct tcp_state *st = state;
	int err = slt_skel_attach(st->skel->skeleton, NULL);

	if (err)
		return err;
	/* after the tracepoints: a socket made in between is seen by both,
	 * and the seed does not overwrite */
	fill_seed_pids(st);
	st->seeded = !run_iter(st->skel->progs.seed_socks, "connections open before the run");
	return 0;
}

static int tcp_finish(void *state, struct model *m)
{
	struct tcp_state *st = state;
	struct bpf_link **links[] = {
		&st->skel->links.handle_set_state,	  &st->skel->links.handle_tcp_probe,
		&st->skel->links.handle_retransmit_skb,	  &st->skel->links.handle_retransmit_synack,
		&st->skel->links.handle_send_reset,	  &st->skel->links.handle_receive_reset,
		&st->skel->links.handle_exceed_buf_limit, &st->skel->links.handle_rcvqueue_full,
		&st->skel->links.handle_destroy_sock,	  &st->skel->links.handle_sys_exit,
	};
	int fd = bpf_map__fd(st->skel->maps.tcp_socks);
	__u64 key, next, *prev = NULL;

	/* stop the world, then one record per connection the target holds */
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		bpf_link__destroy(*links[i]);
		*links[i] = NULL;
	}
	fill_seed_pids(st);
	run_iter(st->skel->progs.flush_socks, "connections open at the end");
	session_poll(st->sess, 0);
	/* what is left: listeners, and connections no target process holds
	 * (in an accept queue, or closing after the process let go) */
	st->unsettled = 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		st->unsettled++;
	}
	{
		int pfd = bpf_map__fd(st->skel->maps.tcp_ports);
		struct slt_tcp_port_key pk, pn, *pp = NULL;
		struct slt_tcp_port v;

		while (bpf_map_get_next_key(pfd, pp, &pn) == 0) {
			pk = pn;
			pp = &pk;
			if (!bpf_map_lookup_elem(pfd, &pk, &v))
				st->unsettled -=
				    v.nsocks < st->unsettled ? v.nsocks : st->unsettled;
		}
	}
	if (st->unsettled)
		model_stat_add(m, "tcp_conns_not_flushed", st->unsettled);
	if (st->netstat_pid)
		model_stat_add(m, "tcp_netstat_pid", st->netstat_pid);
	if (st->nnetstat)
		model_stat_add(m, "tcp_netstat_namespaces", st->nnetstat);
	return tcp_drain(st, m);
}

const struct probe_ops tcp_probe = {
	.name = "tcp",
	.summary = "the target's TCP connections: connect latency and failures, accept-queue "
		   "wait, RTT, retransmits, resets, bytes, and what limited sending",
	.needs = SLT_FEAT_BTF | SLT_FEAT_TP_BTF | SLT_FEAT_RINGBUF | SLT_FEAT_RDONLY_CAST,
	.default_on = 0,
	/* ~4 records of 160 bytes per connection: 1 MiB holds a 100 ms poll
	 * period at 15,000 connections/s */
	.ringbuf_bytes = 1u << 20,
	.open = tcp_open,
	.attach = tcp_attach,
	.drain = tcp_drain,
	.finish = tcp_finish,
	.close = tcp_close,
};
