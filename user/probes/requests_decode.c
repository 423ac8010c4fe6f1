// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Requests family, the decoder: one record per request turn (and the
 * request bytes followed past its capture), its payload parsed (user/proto)
 * into a request class, and total, queue and service time recorded into the
 * model. Pure, so that the unit tests and the fuzzer run it without BPF:
 * requests.c hands it the records the kernel sends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probes/requests_decode.h"
#include "core/model.h"
#include "proto/http.h"
#include "proto/route.h"
#include "slatrace/requests.h"

/* requests parsed from one turn: 16 KiB followed holds at most ~900 of
 * the shortest; past this many the rest is counted as not counted */
#define MAX_PIPELINED 1024
/* Connections whose turn is being followed, or whose last turn ended
 * inside a request (carried to the next), at once: direct-mapped by
 * (tgid, fd), each with a buffer allocated only while in use. */
#define FOLLOW_SLOTS 256
#define CARRY_MAX 8192	/* bytes of a cut request carried to the next turn */
#define ASM_MAX (CARRY_MAX + SLT_REQ_CAP_MAX + SLT_FOLLOW_MAX)
#define SERIES_CACHE 64	/* class names remembered (direct-mapped) */

/* Groups of classes, one per process and port (or Unix path): GROUPS_MAX of
 * them, then one shared overflow group. Each holds at most max_classes
 * classes and, across groups, at most TOTAL_CLASSES_PER_CAP * max_classes;
 * past either, a request goes to its group's "(other)" class. */
#define GROUPS_MAX 256
#define TOTAL_CLASSES_PER_CAP 10

struct class_group {
	char key[SLT_COMM_LEN + 128]; /* "COMM WHERE": the start of each class's name */
	char comm[SLT_COMM_LEN + 1];
	char port[112];		      /* its "port" label: "8080" or "unix:PATH" */
	uint32_t hash;
	unsigned nclasses;
	struct route_learner *learn;  /* NULL until its first HTTP request, or off */
	struct series *other;	      /* made on first use */
};

struct series_cache_ent {
	struct series *s;
	size_t len;
	char name[128];
};

/* one connection's bytes waiting for its turn's record */
struct follow_slot {
	uint32_t tgid, fd;
	uint64_t read_ns;	/* the turn the more bytes belong to */
	uint32_t more_off;	/* turn offset of more[0] */
	uint32_t more_len;	/* contiguous bytes in more[] */
	uint32_t carry_len;	/* a cut request of the turn before */
	uint8_t *carry;		/* CARRY_MAX */
	uint8_t *more;		/* SLT_FOLLOW_MAX */
};

struct req_decoder {
	struct model *model;
	struct req_decode_cfg cfg;
	struct slt_req_event *scratch;
	struct follow_slot slots[FOLLOW_SLOTS];
	uint8_t *assembled;		/* ASM_MAX: carry + req[] + more */
	struct http_request *reqs;	/* MAX_PIPELINED */
	int *codes;
	struct series_cache_ent cache[SERIES_CACHE];
	struct class_group *groups;	/* GROUPS_MAX + 1, the last the overflow */
	struct htab group_index;	/* groups by key */
	int ngroups;
	unsigned nclasses;		/* across groups */
};

void req_decoder_free(struct req_decoder *st)
{
	if (!st)
		return;
	for (int i = 0; st->groups && i <= GROUPS_MAX; i++)
		route_learner_free(st->groups[i].learn);
	free(st->groups);
	htab_free(&st->group_index);
	for (int i = 0; i < FOLLOW_SLOTS; i++) {
		free(st->slots[i].carry);
		free(st->slots[i].more);
	}
	free(st->assembled);
	free(st->reqs);
	free(st->codes);
	free(st->scratch);
	free(st);
}

struct req_decoder *req_decoder_new(struct model *m, const struct req_decode_cfg *cfg)
{
	struct req_decoder *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->model = m;
	st->cfg = *cfg;
	st->scratch = calloc(1, sizeof(*st->scratch));
	st->assembled = malloc(ASM_MAX);
	st->reqs = calloc(MAX_PIPELINED, sizeof(*st->reqs));
	st->codes = calloc(MAX_PIPELINED, sizeof(*st->codes));
	st->groups = calloc(GROUPS_MAX + 1, sizeof(*st->groups));
	if (!st->scratch || !st->assembled || !st->reqs || !st->codes || !st->groups) {
		req_decoder_free(st);
		errno = ENOMEM;
		return NULL;
	}
	return st;
}

/* append src (at most max bytes of it) at *pos in dst[len]; NUL-terminated */
static void put(char *dst, size_t len, size_t *pos, const char *src, size_t max)
{
	size_t n = strnlen(src, max);

	if (*pos + 1 >= len)
		return;
	if (n > len - 1 - *pos)
		n = len - 1 - *pos;
	memcpy(dst + *pos, src, n);
	*pos += n;
	dst[*pos] = 0;
}

/* the decimal digits of v in buf (no printf on the per-request path) */
static const char *utoa(unsigned v, char buf[12])
{
	char *p = buf + 11;

	*p = 0;
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return p;
}

static uint32_t fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static uint64_t group_hash_of(const void *ctx, uint32_t i)
{
	return ((const struct req_decoder *)ctx)->groups[i].hash;
}

/* The group of key "COMM WHERE" (made when new; the overflow group when
 * GROUPS_MAX are taken, counted in groups_capped per request). NULL on
 * ENOMEM. */
static struct class_group *class_group(struct req_decoder *st, const char *key, size_t n,
				       const char *comm, const char *port)
{
	uint32_t h = fnv1a(key, n), pos;
	struct class_group *g;
	int i;

	if (st->ngroups < GROUPS_MAX && htab_reserve(&st->group_index, group_hash_of, st))
		return NULL;
	for (pos = htab_pos(&st->group_index, h); (i = htab_at(&st->group_index, pos)) >= 0;
	     pos = htab_next(&st->group_index, pos)) {
		g = &st->groups[i];
		if (g->hash == h && !strcmp(g->key, key))
			return g;
	}
	if (st->ngroups == GROUPS_MAX || n >= sizeof(g->key)) {
		model_stat_add(st->model, "groups_capped", 1);
		g = &st->groups[GROUPS_MAX];
		if (!g->key[0]) {
			snprintf(g->key, sizeof(g->key), "(other) (other)");
			snprintf(g->comm, sizeof(g->comm), "(other)");
			snprintf(g->port, sizeof(g->port), "(other)");
		}
		return g;
	}
	g = &st->groups[st->ngroups++];
	memcpy(g->key, key, n + 1);
	snprintf(g->comm, sizeof(g->comm), "%s", comm);
	snprintf(g->port, sizeof(g->port), "%s", port);
	g->hash = h;
	htab_put(&st->group_index, pos);
	return g;
}

static int is_http_method(const char *m)
{
	return m[0] != '-' && m[0] != '?'; /* "-": not HTTP; "?": unparsed */
}

/* The route of an HTTP request's path: the first --route pattern that
 * matches it, else its normalised route ({id}) after the learned segment
 * limit. NULL when the learner could not be made (ENOMEM). */
static const char *class_route(struct req_decoder *st, struct class_group *g,
			       const char *method, const char *path, char *buf, size_t len)
{
	char norm[HTTP_PATH_MAX];
	int stars;

	for (int i = 0; i < st->cfg.nroutes; i++)
		if (route_match(st->cfg.routes[i], path))
			return st->cfg.routes[i];
	http_normalize_route(path, norm, sizeof(norm));
	if (!st->cfg.segment_limit) {
		snprintf(buf, len, "%s", norm);
		return buf;
	}
	if (!g->learn) {
		g->learn = route_learner_new(st->cfg.segment_limit);
		if (!g->learn)
			return NULL;
	}
	stars = route_learn(g->learn, method, norm, buf, len);
	if (stars)
		model_stat_add(st->model, "segments_starred", 1);
	return buf;
}

static void class_labels(struct series *s, const struct class_group *g, const char *method,
			 const char *route)
{
	series_set_label(s, "process", g->comm);
	series_set_label(s, "port", g->port);
	series_set_label(s, "method", method);
	series_set_label(s, "route", route);
}

/* The series of a class name, made while its group and the run have room
 * for one more class; past that, the group's "(other)" class, and the
 * request counts in classes_capped. Most requests belong to a few classes,
 * so a small direct-mapped cache in front of the model's index saves its
 * string copies and compares on nearly every record. Series live as long
 * as the model, so the pointers stay good. */
static struct series *class_series(struct req_decoder *st, struct class_group *g,
				   const char *name, size_t n, const char *method,
				   const char *route)
{
	struct series_cache_ent *c = &st->cache[fnv1a(name, n) % SERIES_CACHE];
	unsigned cap = st->cfg.max_classes;
	struct series *s;
	char oname[sizeof(g->key) + 16];

	if (c->s && c->len == n && !memcmp(c->name, name, n))
		return c->s;
	s = model_find(st->model, "request", name);
	if (!s && (g->nclasses >= cap || st->nclasses >= (uint64_t)cap * TOTAL_CLASSES_PER_CAP)) {
		if (model_stat_add(st->model, "classes_capped", 1))
			return NULL;
		if (!g->other) {
			snprintf(oname, sizeof(oname), "%s * (other)", g->key);
			g->other = model_series(st->model, "request", oname);
			if (!g->other)
				return NULL;
			if (!g->other->nlabels)
				class_labels(g->other, g, "*", "(other)");
		}
		return g->other;
	}
	if (!s) {
		s = model_series(st->model, "request", name);
		if (!s)
			return NULL;
		class_labels(s, g, method, route);
		g->nclasses++;
		st->nclasses++;
	}
	if (n < sizeof(c->name)) {
		c->s = s;
		memcpy(c->name, name, n);
		c->len = n;
	}
	return s;
}

/* one request of a class: record its timings, outcome and bytes (its
 * share of the turn's). For HTTP, route is the request's path, made into
 * its class's route here; for the rest, the class's route as it is. */
static int record(struct req_decoder *st, const struct slt_req_event *e, const char *method,
		  const char *route, int status, uint64_t req_b, uint64_t resp_b)
{
	char where[96], name[384], nbuf[12], rbuf[HTTP_PATH_MAX], comm[SLT_COMM_LEN + 1];
	size_t wl = 0, nl = 0;
	struct class_group *g;
	struct series *s;
	uint64_t total, queue, service;

	/* "unix:PATH" or ":PORT"; the name: "COMM WHERE METHOD ROUTE" */
	if (e->family == 1 /* AF_UNIX */) {
		put(where, sizeof(where), &wl, "unix:", 5);
		if (e->unix_path[0])
			put(where, sizeof(where), &wl, e->unix_path, sizeof(e->unix_path));
		else
			put(where, sizeof(where), &wl, "?", 1);
	} else {
		put(where, sizeof(where), &wl, ":", 1);
		put(where, sizeof(where), &wl, utoa(e->lport, nbuf), 11);
	}
	snprintf(comm, sizeof(comm), "%.*s", SLT_COMM_LEN, e->comm);
	put(name, sizeof(name), &nl, comm, sizeof(comm));
	put(name, sizeof(name), &nl, " ", 1);
	put(name, sizeof(name), &nl, where, sizeof(where));
	g = class_group(st, name, nl, comm, e->family == 1 ? where : where + 1);
	if (!g)
		return -ENOMEM;
	nl = strlen(g->key);
	memcpy(name, g->key, nl + 1);
	if (is_http_method(method)) {
		/* for HTTP, route is the request's path */
		for (int i = 0; i < st->cfg.nignores; i++)
			if (route_match(st->cfg.ignores[i], route))
				return model_stat_add(st->model, "ignored_requests", 1);
		route = class_route(st, g, method, route, rbuf, sizeof(rbuf));
		if (!route)
			return -ENOMEM;
	}
	put(name, sizeof(name), &nl, " ", 1);
	put(name, sizeof(name), &nl, method, sizeof(name));
	put(name, sizeof(name), &nl, " ", 1);
	put(name, sizeof(name), &nl, route, sizeof(name));
	s = class_series(st, g, name, nl, method, route);
	if (!s)
		return -ENOMEM;
	s->bytes[REQ_BYTES_IN] += req_b;
	s->bytes[REQ_BYTES_OUT] += resp_b;
	if (e->flags & SLT_REQ_F_NO_RESPONSE) {
		s->failed++;
		s->errors++;
		return series_add_counter(s, e->flags & SLT_REQ_F_RESET ? "reset" : "no_response", 1);
	}
	if (!series_role(s, SLT_ROLE_QUEUE) || !series_role(s, SLT_ROLE_SERVICE))
		return -ENOMEM;
	service = e->last_write_ns > e->read_ns ? e->last_write_ns - e->read_ns : 0;
	queue = e->read_ns > e->arrive_ns ? e->read_ns - e->arrive_ns : 0;
	total = queue + service;
	hist_add(&s->hist, total);
	hist_add(s->role[SLT_ROLE_QUEUE], queue);
	hist_add(s->role[SLT_ROLE_SERVICE], service);
	if (!(e->flags & SLT_REQ_F_QUEUE_KNOWN))
		model_stat_add(st->model, "queue_time_unknown", 1);
	if (status >= 100 && status < 600) {
		if (series_add_code(s, utoa((unsigned)status, nbuf), status, 1))
			return -ENOMEM;
		if (status >= 500)
			s->errors++;
	}
	return 0;
}

/* request i of n answered in one turn gets 1/n of its bytes; the last,
 * the rest, so that the classes add up to the turn */
static uint64_t share(uint64_t bytes, int n, int i)
{
	return bytes / (uint64_t)n + (i == n - 1 ? bytes % (uint64_t)n : 0);
}

static struct follow_slot *slot_of(struct req_decoder *st, uint32_t tgid, uint32_t fd)
{
	return &st->slots[(tgid * 2654435761u ^ fd * 40503u) % FOLLOW_SLOTS];
}

static int slot_is(const struct follow_slot *f, uint32_t tgid, uint32_t fd)
{
	return (f->carry_len || f->more_len) && f->tgid == tgid && f->fd == fd;
}

/* A slot taken by another connection: what it held is lost, and its turn
 * will show it (fewer bytes than it read, or a cut request never ended). */
static void slot_take(struct req_decoder *st, struct follow_slot *f, uint32_t tgid, uint32_t fd)
{
	if ((f->carry_len || f->more_len) && (f->tgid != tgid || f->fd != fd)) {
		if (f->carry_len)
			model_stat_add(st->model, "uncounted_pipelined_turns", 1);
		f->carry_len = 0;
		f->more_len = 0;
	}
	f->tgid = tgid;
	f->fd = fd;
}

/* Request bytes of a turn past its capture, before the turn's record. */
int req_decode_more(struct req_decoder *st, const void *data, unsigned long len)
{
	const struct slt_req_more *m = data;
	struct follow_slot *f;

	if (len < sizeof(*m) || m->len > SLT_MORE_CAP || m->off > SLT_FOLLOW_MAX + SLT_REQ_CAP_MAX) {
		st->model->lost[SLT_LOSS_UNDECODABLE]++;
		return 0;
	}
	f = slot_of(st, m->tgid, m->fd);
	slot_take(st, f, m->tgid, m->fd);
	if (!f->more && !(f->more = malloc(SLT_FOLLOW_MAX)))
		return -ENOMEM;
	if (!f->more_len || f->read_ns != m->read_ns) {
		f->read_ns = m->read_ns; /* a turn of its own: what was there is stale */
		f->more_off = m->off;
		f->more_len = 0;
	}
	/* only what continues the bytes held: a gap ends them */
	if (f->more_off + f->more_len != m->off || f->more_len + m->len > SLT_FOLLOW_MAX)
		return 0;
	memcpy(f->more + f->more_len, m->data, m->len);
	f->more_len += m->len;
	return 0;
}

/*
 * The request bytes of a turn as one buffer: a cut request carried from
 * the turn before, what req[] holds, and what was followed past it. *all
 * says whether that is every byte the turn read.
 */
static size_t assemble(struct req_decoder *st, const struct slt_req_event *e, uint32_t cap,
		       struct follow_slot *f, int *all)
{
	size_t n = 0;
	uint64_t seen = cap;

	if (slot_is(f, e->tgid, e->fd) && f->carry_len) {
		memcpy(st->assembled, f->carry, f->carry_len);
		n = f->carry_len;
	}
	f->carry_len = 0;
	memcpy(st->assembled + n, e->req, cap);
	n += cap;
	if (slot_is(f, e->tgid, e->fd) && f->more_len && f->read_ns == e->read_ns &&
	    f->more_off == cap) {
		memcpy(st->assembled + n, f->more, f->more_len);
		n += f->more_len;
		seen += f->more_len;
	}
	if (slot_is(f, e->tgid, e->fd) && f->read_ns == e->read_ns)
		f->more_len = 0;
	*all = seen == e->req_bytes;
	return n;
}

static int decode(struct req_decoder *st, const struct slt_req_event *e)
{
	struct http_request *reqs = st->reqs;
	int *codes = st->codes, ncodes, n, all = 0;
	struct http_split split;
	struct follow_slot *f;
	char cls[96];
	uint32_t cap = e->req_cap > SLT_REQ_CAP_MAX ? SLT_REQ_CAP_MAX : e->req_cap;
	uint32_t rcap = e->resp_cap > SLT_RESP_CAP ? SLT_RESP_CAP : e->resp_cap;
	const uint8_t *buf = e->req;
	size_t len = cap, carried = 0;

	/* once per turn, answered in the end or not */
	if (e->flags & SLT_REQ_F_INTERIM)
		model_stat_add(st->model, "interim_answered", 1);
	f = slot_of(st, e->tgid, e->fd);
	if (slot_is(f, e->tgid, e->fd)) {
		carried = f->carry_len;
		buf = st->assembled;
		len = assemble(st, e, cap, f, &all);
	} else {
		all = cap == e->req_bytes;
	}
	n = len ? http_parse_requests_whole(buf, len, st->cfg.capture_query, reqs, MAX_PIPELINED, &split)
		: HTTP_NOT_HTTP;
	if (n > 0 && all && split.whole_end < len && len - split.whole_end <= CARRY_MAX &&
	    !(e->flags & (SLT_REQ_F_NO_RESPONSE | SLT_REQ_F_RESET | SLT_REQ_F_CLOSED |
			  SLT_REQ_F_FLUSHED))) {
		/* the turn read the start of a request, the rest comes with
		 * the next read: counted there, with its request line */
		slot_take(st, f, e->tgid, e->fd);
		if (!f->carry && !(f->carry = malloc(CARRY_MAX)))
			return -ENOMEM;
		memcpy(f->carry, buf + split.whole_end, len - split.whole_end);
		f->carry_len = len - split.whole_end;
		n = split.nwhole;
		if (!n)
			return 0; /* nothing whole yet: the next turn counts it */
	} else if (n > 0 && !all && split.whole_end - carried < e->req_bytes &&
		   !(split.nwhole < n && reqs[n - 1].head_complete &&
		     reqs[n - 1].content_length > 0)) {
		/* bytes the turn read were not all seen (past what is
		 * followed), and not as a body: requests there are missing */
		model_stat_add(st->model, "uncounted_pipelined_turns", 1);
	}
	if (n > 0) {
		ncodes = http_parse_statuses(e->resp, rcap, codes, MAX_PIPELINED);
		/* interim responses (100 Continue) are not answers of their own */
		for (int i = 0; i < ncodes; i++) {
			if (codes[i] < 200) {
				memmove(&codes[i], &codes[i + 1], (ncodes - i - 1) * sizeof(codes[0]));
				ncodes--;
				i--;
			}
		}
		if (n > 1)
			model_stat_add(st->model, "pipelined_requests", n - 1);
		for (int i = 0; i < n; i++) {
			int status = i < ncodes ? codes[i] : (ncodes > 0 ? codes[ncodes - 1] : -1);
			int err = record(st, e, reqs[i].method, reqs[i].path, status,
					 share(e->req_bytes, n, i), share(e->resp_bytes, n, i));

			if (err)
				return err;
		}
		return 0;
	}
	if (n == HTTP_UNPARSED) {
		model_stat_add(st->model, "unparsed_payloads", 1);
		return record(st, e, "?", "(unparsed http)", http_parse_status(e->resp, rcap),
			      e->req_bytes, e->resp_bytes);
	}
	/* any other protocol: each request/response turn is one request */
	if (e->family == 1)
		snprintf(cls, sizeof(cls), "unix:%s", e->unix_path[0] ? e->unix_path : "?");
	else
		snprintf(cls, sizeof(cls), "tcp:%u", e->lport);
	return record(st, e, "-", cls, -1, e->req_bytes, e->resp_bytes);
}

int req_decode_event(struct req_decoder *st, const void *data, unsigned long len)
{
	const struct slt_req_event *e = data;

	/* records end after the bytes captured: copy into a full-size one */
	if (len < SLT_REQ_EVENT_HEAD || len > sizeof(struct slt_req_event) ||
	    e->req_cap > len - SLT_REQ_EVENT_HEAD) {
		st->model->lost[SLT_LOSS_UNDECODABLE]++;
		return 0;
	}
	memcpy(st->scratch, data, len);
	return decode(st, st->scratch) == -ENOMEM ? -ENOMEM : 0;
}

int req_decode_settle(struct req_decoder *st, const struct slt_req_event *e, uint32_t flags)
{
	memcpy(st->scratch, e, sizeof(*st->scratch));
	st->scratch->flags |= flags;
	return decode(st, st->scratch);
}
