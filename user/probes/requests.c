// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Requests family, userspace side: loads bpf/requests.bpf.c, decodes one
 * record per request turn, parses its payload (user/proto) into a request
 * class, and records total, queue and service time into the model. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include "probes/probe.h"
#include "core/features.h"
#include "core/log.h"
#include "core/session.h"
#include "core/listeners.h"
#include "proto/http.h"
#include "slatrace/requests.h"
#include "requests.skel.h"

_Static_assert(sizeof(struct slt_req_event) ==
		       16 + 6 * 8 + 5 * 4 + 2 * 2 + SLT_COMM_LEN + SLT_UNIX_PATH_MAX +
			       SLT_REQ_CAP_MAX + SLT_RESP_CAP,
	       "ABI");
_Static_assert(SLT_REQ_EVENT_HEAD % 8 == 0, "ABI: req[] starts 8-aligned");

#define MAX_PIPELINED 64

struct requests_state {
	struct requests_bpf *skel;
	struct model *model;
	int capture_query;
	uint64_t in_flight_at_end;
	struct slt_req_event *scratch;
};

static void requests_close(void *state)
{
	struct requests_state *st = state;

	if (!st)
		return;
	requests_bpf__destroy(st->skel);
	free(st->scratch);
	free(st);
}

/* one request of a class: record its timings and outcome */
static int record(struct requests_state *st, const struct slt_req_event *e, const char *method,
		  const char *route, int status)
{
	char where[96], name[384], sbuf[16];
	struct series *s;
	uint64_t total, queue, service;

	if (e->family == 1 /* AF_UNIX */)
		snprintf(where, sizeof(where), "unix:%s", e->unix_path[0] ? e->unix_path : "?");
	else
		snprintf(where, sizeof(where), ":%u", e->lport);
	snprintf(name, sizeof(name), "%.*s %s %s %s", SLT_COMM_LEN, e->comm, where, method, route);
	s = model_series(st->model, "request", name);
	if (!s)
		return -ENOMEM;
	if (!s->nlabels) {
		char comm[SLT_COMM_LEN + 1];

		snprintf(comm, sizeof(comm), "%.*s", SLT_COMM_LEN, e->comm);
		series_set_label(s, "process", comm);
		series_set_label(s, "port", e->family == 1 ? where : where + 1);
		series_set_label(s, "method", method);
		series_set_label(s, "route", route);
	}
	if (e->flags & SLT_REQ_F_NO_RESPONSE) {
		s->failed++;
		s->errors++;
		return series_add_counter(s, e->flags & SLT_REQ_F_RESET ? "reset" : "no_response", 1);
	}
	if (!series_queue(s) || !series_service(s))
		return -ENOMEM;
	service = e->last_write_ns > e->read_ns ? e->last_write_ns - e->read_ns : 0;
	queue = e->read_ns > e->arrive_ns ? e->read_ns - e->arrive_ns : 0;
	total = queue + service;
	hist_add(&s->hist, total);
	hist_add(s->queue, queue);
	hist_add(s->service, service);
	if (!(e->flags & SLT_REQ_F_QUEUE_KNOWN))
		model_stat_add(st->model, "queue_time_unknown", 1);
	if (status >= 100 && status < 600) {
		snprintf(sbuf, sizeof(sbuf), "%d", status);
		if (series_add_counter(s, sbuf, 1))
			return -ENOMEM;
		if (status >= 500)
			s->errors++;
	}
	return 0;
}

static int decode(struct requests_state *st, const struct slt_req_event *e)
{
	struct http_request reqs[MAX_PIPELINED];
	int codes[MAX_PIPELINED], ncodes, n;
	char cls[96];
	uint32_t cap = e->req_cap > SLT_REQ_CAP_MAX ? SLT_REQ_CAP_MAX : e->req_cap;
	uint32_t rcap = e->resp_cap > SLT_RESP_CAP ? SLT_RESP_CAP : e->resp_cap;

	n = cap ? http_parse_requests(e->req, cap, st->capture_query, reqs, MAX_PIPELINED)
		: HTTP_NOT_HTTP;
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
			int err = record(st, e, reqs[i].method, reqs[i].route, status);

			if (err)
				return err;
		}
		return 0;
	}
	if (n == HTTP_UNPARSED) {
		model_stat_add(st->model, "unparsed_payloads", 1);
		return record(st, e, "?", "(unparsed http)", http_parse_status(e->resp, rcap));
	}
	/* any other protocol: each request/response turn is one request */
	if (e->family == 1)
		snprintf(cls, sizeof(cls), "unix:%s", e->unix_path[0] ? e->unix_path : "?");
	else
		snprintf(cls, sizeof(cls), "tcp:%u", e->lport);
	return record(st, e, "-", cls, -1);
}

static int on_event(void *ctx, const void *data, unsigned long len)
{
	struct requests_state *st = ctx;

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

static int kernel_has_sk_data_ready(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int ok;

	if (!btf)
		return 0;
	ok = btf__find_by_name_kind(btf, "btf_trace_sk_data_ready", BTF_KIND_TYPEDEF) > 0;
	btf__free(btf);
	return ok;
}

/* The ports the target already listens on: arrivals on connections it has
 * not accepted yet are timed from the first one on. */
static void seed_ports(struct session *s, int fd)
{
	uint32_t pids[256];
	uint16_t ports[256];
	int npids = 0, n;
	__u8 one = 1;

	if (s->opts.port) {
		n = 1;
		ports[0] = s->opts.port;
	} else {
		if (s->mode == SLT_TARGET_PIDLIST) {
			npids = (int)s->npids;
			memcpy(pids, s->pids, npids * sizeof(pids[0]));
		} else if (s->mode == SLT_TARGET_COMM) {
			char comm[SLT_COMM_LEN + 1] = "";

			memcpy(comm, s->comm, SLT_COMM_LEN);
			npids = listeners_pids_by_comm(comm, pids, 256);
			if (!npids)
				return;
		} else if (s->mode != SLT_TARGET_ALL) {
			return; /* learned at the first accept() on each port */
		}
		n = listeners_ports(pids, npids, ports, 256);
	}
	for (int i = 0; i < n; i++) {
		__u16 p = ports[i];

		bpf_map_update_elem(fd, &p, &one, BPF_ANY);
	}
}

static int requests_open(struct session *s, void **state)
{
	struct requests_state *st;
	int err;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->model = s->model;
	st->scratch = calloc(1, sizeof(*st->scratch));
	if (!st->scratch) {
		free(st);
		return -ENOMEM;
	}
	st->capture_query = s->opts.capture_query;
	st->skel = requests_bpf__open();
	if (!st->skel) {
		err = -errno;
		slt_error("cannot open BPF object 'requests': %s", slt_strerror(err));
		goto cleanup;
	}
	SESSION_SET_TARGET_RODATA(st->skel, s);
	if (kernel_has_sk_data_ready())
		bpf_program__set_autoload(st->skel->progs.handle_sk_data_ready, true);
	else
		slt_warn("queue time is not measured: this kernel has no sock:sk_data_ready "
			 "tracepoint (Linux 6.7+); total time is service time alone");
	st->skel->rodata->targ_capture_bytes = s->opts.capture_bytes;
	st->skel->rodata->targ_port = s->opts.port;
	err = session_share_maps(s, st->skel->obj);
	if (err)
		goto cleanup;
	err = requests_bpf__load(st->skel);
	if (err) {
		slt_error("cannot load BPF object 'requests': %s", slt_strerror(err));
		goto cleanup;
	}
	seed_ports(s, bpf_map__fd(st->skel->maps.ports));
	err = session_on_event(s, SLT_EV_REQUEST, on_event, st);
	if (err)
		goto cleanup;
	*state = st;
	return 0;
cleanup:
	requests_close(st);
	return err;
}

static int requests_attach(void *state)
{
	struct requests_state *st = state;
	int err = requests_bpf__attach(st->skel);

	if (err)
		slt_error("cannot attach the 'requests' programs: %s", slt_strerror(err));
	return err;
}

static int requests_drain(void *state, struct model *m)
{
	(void)state;
	(void)m;
	return 0; /* requests arrive on the ring buffer */
}

/* At the end: requests whose response was written but whose connection is
 * still open (keep-alive) are complete; those still being read are not. */
static int requests_finish(void *state, struct model *m)
{
	struct requests_state *st = state;
	int fd = bpf_map__fd(st->skel->maps.conns);
	__u64 key, next, *prev = NULL;
	struct slt_req_event *e = calloc(1, sizeof(*e));
	/* the kernel's struct conn: only its head is read here */
	struct {
		__u64 sk, arrive_ns, read_ns, first_write_ns, last_write_ns, req_bytes, resp_bytes;
		__u32 state, role, flags, req_cap, resp_cap;
		__u16 family, lport;
		__u8 req[2 * SLT_REQ_CAP_MAX];
		__u8 resp[2 * SLT_RESP_CAP];
	} c;

	if (!e)
		return -ENOMEM;
	/* no more changes under our feet while we walk the map */
	requests_bpf__detach(st->skel);
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &c) || c.role != 0)
			continue;
		if (c.state == 1) {
			st->in_flight_at_end++;
			continue;
		}
		if (c.state != 2)
			continue;
		memset(e, 0, sizeof(*e));
		e->arrive_ns = c.arrive_ns;
		e->read_ns = c.read_ns;
		e->first_write_ns = c.first_write_ns;
		e->last_write_ns = c.last_write_ns;
		e->req_bytes = c.req_bytes;
		e->resp_bytes = c.resp_bytes;
		e->tgid = key >> 32;
		e->fd = (__u32)key;
		e->flags = c.flags | SLT_REQ_F_FLUSHED;
		e->req_cap = c.req_cap;
		e->resp_cap = c.resp_cap;
		e->family = c.family;
		e->lport = c.lport;
		memcpy(e->req, c.req, SLT_REQ_CAP_MAX);
		memcpy(e->resp, c.resp, SLT_RESP_CAP);
		{
			char path[64];
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%u/comm", e->tgid);
			f = fopen(path, "r");
			if (f) {
				if (fgets(e->comm, sizeof(e->comm), f))
					e->comm[strcspn(e->comm, "\n")] = 0;
				fclose(f);
			}
		}
		decode(st, e);
	}
	model_stat_add(m, "in_flight_at_end", st->in_flight_at_end);
	free(e);
	return 0;
}

const struct probe_ops requests_probe = {
	.name = "requests",
	.summary = "per-request latency of the target's server connections (HTTP/1.x classes, "
		   "any other protocol per port), split into queue and service time",
	.needs = SLT_FEAT_BTF | SLT_FEAT_TP_BTF | SLT_FEAT_TASK_STORAGE | SLT_FEAT_RINGBUF,
	.default_on = 1,
	.ringbuf_bytes = SLT_RINGBUF_BYTES,
	.open = requests_open,
	.attach = requests_attach,
	.drain = requests_drain,
	.finish = requests_finish,
	.close = requests_close,
};
