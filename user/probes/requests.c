// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Requests family, userspace side: loads bpf/requests.bpf.c, hands its
 * records to the decoder (requests_decode.c: one record per request turn,
 * its payload parsed into a request class, total, queue and service time
 * recorded into the model), and settles the requests the kernel still holds
 * (idle connections, the end of the run). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "probes/probe.h"
#include "core/features.h"
#include "core/log.h"
#include "core/session.h"
#include "core/skel.h"
#include "core/listeners.h"
#include "core/parse.h"
#include "probes/requests_decode.h"
#include "probes/requests_opts.h"
#include "proto/route.h"
#include "slatrace/requests.h"
#include "requests.skel.h"

_Static_assert(sizeof(struct slt_req_event) ==
		       16 + 6 * 8 + 7 * 4 + 2 * 2 + SLT_COMM_LEN + SLT_UNIX_PATH_MAX +
			       SLT_REQ_CAP_MAX + SLT_RESP_CAP,
	       "ABI");
_Static_assert(SLT_REQ_EVENT_HEAD % 8 == 0, "ABI: req[] starts 8-aligned");

#define SWEEP_BATCH 128	/* connections read per syscall when settling idle ones */

extern const struct probe_ops requests_probe;

struct requests_state {
	struct requests_bpf *skel;
	const struct requests_opts *opts;
	struct req_decoder *dec;
	uint64_t in_flight_at_end;
	uint64_t settled_idle;
	struct slt_req_conn *conn;	/* one map value, read by tick and finish */
	__u64 *keys;			/* SWEEP_BATCH keys and values: tick */
	struct slt_req_conn *vals;
	enum probe_path_kind path;
	unsigned intermediate_present; /* the functions its programs hook, a bit each */
};

static void requests_close(void *state)
{
	struct requests_state *st = state;

	if (!st)
		return;
	requests_bpf__destroy(st->skel);
	req_decoder_free(st->dec);
	free(st->conn);
	free(st->keys);
	free(st->vals);
	free(st);
}

static int on_more(void *ctx, const void *data, unsigned long len)
{
	struct requests_state *st = ctx;

	return req_decode_more(st->dec, data, len);
}

static int on_event(void *ctx, const void *data, unsigned long len)
{
	struct requests_state *st = ctx;

	return req_decode_event(st->dec, data, len);
}

static void port_set(int fd, uint16_t port, __u32 bits)
{
	__u32 key = port, v = 0;

	if (bpf_map_lookup_elem(fd, &key, &v))
		v = 0;
	v |= bits;
	bpf_map_update_elem(fd, &key, &v, BPF_ANY);
}

/* Every port something listens on: a TCP connection on one is a server
 * connection. Listens after this are seen by the kernel side
 * (inet_sock_set_state); the target's ports are marked at its first read.
 * PIDs given with -p may live in other network namespaces: theirs too. */
static void seed_ports(struct session *s, uint16_t port, int fd)
{
	uint16_t *ports = calloc(SLT_NPORTS, sizeof(*ports));
	int n;

	if (!ports)
		return;
	n = listeners_ports(NULL, 0, ports, SLT_NPORTS);
	if (s->mode == SLT_TARGET_PIDLIST)
		for (unsigned i = 0; i < s->npids; i++)
			n = listeners_ports_netns(s->pids[i], ports, n, SLT_NPORTS);
	for (int i = 0; i < n; i++)
		port_set(fd, ports[i], SLT_PORT_LISTEN);
	if (port)
		port_set(fd, port, SLT_PORT_LISTEN);
	free(ports);
}

#define N_INTERMEDIATE 8
#define INTERMEDIATE_REQUIRED (1u << 0 | 1u << 2 | 1u << 3 | 1u << 5)

/* The kernel functions the intermediate path's programs hook, in the order
 * of intermediate_prog(): inet6_ ones are missing from a kernel built
 * without IPv6 (or with it as a module not loaded), the sendpage ones from
 * 6.5 on. */
static const char *const intermediate_fns[N_INTERMEDIATE] = {
	"inet_recvmsg",	 "inet6_recvmsg",	"unix_stream_recvmsg", "inet_sendmsg",
	"inet6_sendmsg", "unix_stream_sendmsg", "inet_sendpage",       "unix_stream_sendpage",
};

static struct bpf_program *intermediate_prog(struct requests_bpf *skel, int i)
{
	struct bpf_program *p[N_INTERMEDIATE] = {
		skel->progs.handle_inet_recvmsg,  skel->progs.handle_inet6_recvmsg,
		skel->progs.handle_unix_recvmsg,  skel->progs.handle_inet_sendmsg,
		skel->progs.handle_inet6_sendmsg, skel->progs.handle_unix_sendmsg,
		skel->progs.handle_inet_sendpage, skel->progs.handle_unix_sendpage,
	};

	return p[i];
}

/* Which of them this kernel has: a bit each. The kernel's BTF names them
 * (and libbpf finds a module's, ipv6's, the same way). */
static unsigned intermediate_present(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf(), *ipv6 = NULL;
	unsigned present = 0;

	if (!vmlinux)
		return 0;
	if (access("/sys/kernel/btf/ipv6", R_OK) == 0)
		ipv6 = btf__load_module_btf("ipv6", vmlinux);
	for (int i = 0; i < N_INTERMEDIATE; i++) {
		const char *fn = intermediate_fns[i];

		if (btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC) > 0 ||
		    (ipv6 && btf__find_by_name_kind(ipv6, fn, BTF_KIND_FUNC) > 0))
			present |= 1u << i;
	}
	btf__free(ipv6);
	btf__free(vmlinux);
	return present;
}

static int requests_configure(void *ctx, const struct session *s)
{
	struct requests_state *st = ctx;

	SESSION_SET_TARGET_RODATA(st->skel, s);
	st->skel->rodata->targ_capture_bytes = st->opts->capture_bytes;
	st->skel->rodata->targ_port = st->opts->port;
	/* the reads and writes of one path: the others' hooks may not even
	 * exist on this kernel */
	bpf_program__set_autoload(st->skel->progs.handle_recv, st->path == SLT_PATH_PREFERRED);
	bpf_program__set_autoload(st->skel->progs.handle_send, st->path == SLT_PATH_PREFERRED);
	for (int i = 0; i < N_INTERMEDIATE; i++) {
		struct bpf_program *p = intermediate_prog(st->skel, i);

		bpf_program__set_autoload(p, st->path == SLT_PATH_INTERMEDIATE &&
						 (st->intermediate_present & (1u << i)));
	}
	bpf_program__set_autoload(st->skel->progs.handle_sys_exit_read,
				  st->path == SLT_PATH_FALLBACK);
	bpf_program__set_autoload(st->skel->progs.handle_sys_exit_write,
				  st->path == SLT_PATH_FALLBACK);
	return 0;
}

static int requests_open(struct session *s, const void *opts, void **state)
{
	const struct requests_opts *o = opts;
	struct req_decode_cfg cfg = {
		.capture_query = o->capture_query,
		.routes = o->routes,
		.nroutes = o->nroutes,
		.ignores = o->ignores,
		.nignores = o->nignores,
		.segment_limit = o->segment_limit,
		.max_classes = o->max_classes ? o->max_classes : SLT_DEFAULT_MAX_CLASSES,
	};
	struct requests_state *st;
	char why[256];
	int err;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->opts = o;
	st->dec = req_decoder_new(s->model, &cfg);
	st->conn = calloc(1, sizeof(*st->conn));
	st->keys = calloc(SWEEP_BATCH, sizeof(*st->keys));
	st->vals = calloc(SWEEP_BATCH, sizeof(*st->vals));
	if (!st->dec || !st->conn || !st->keys || !st->vals) {
		requests_close(st);
		return -ENOMEM;
	}
	st->path = probe_path_here(&requests_probe, why, sizeof(why));
	slt_info("requests: %s path (%s)", probe_path_name(st->path), why);
	/* the inet6_ and sendpage hooks where the kernel has them; the others
	 * always, so that a kernel without one fails to load, not goes blind */
	if (st->path == SLT_PATH_INTERMEDIATE)
		st->intermediate_present = intermediate_present() | INTERMEDIATE_REQUIRED;
	st->skel = requests_bpf__open();
	err = slt_skel_load(st->skel ? st->skel->skeleton : NULL, s, "requests",
			    requests_configure, st);
	if (err)
		goto cleanup;
	seed_ports(s, o->port, bpf_map__fd(st->skel->maps.ports));
	err = session_on_event(s, SLT_EV_REQUEST, on_event, st);
	if (!err)
		err = session_on_event(s, SLT_EV_REQ_MORE, on_more, st);
	if (err)
		goto cleanup;
	probe_record_path(&requests_probe, st->path, s->model);
	*state = st;
	return 0;
cleanup:
	requests_close(st);
	return err;
}

/* The read program goes live last: a turn it starts must have its writes
 * seen, or the response is missed and the connection's next request joins
 * the turn as if pipelined (two requests timed as one). Attached in the
 * skeleton's order, a connection busy between the read and the write
 * programs did that, once per live connection. */
static int requests_attach(void *state)
{
	struct requests_state *st = state;
	static const char *const order[] = { "handle_send", "handle_set_state",
					     "handle_rcv_space", "handle_recv", NULL };
	static const char *const fallback_order[] = { "handle_sys_exit_write", "handle_set_state",
						      "handle_rcv_space", "handle_sys_exit_read",
						      NULL };
	/* the writes, then the same two, then the reads; of those this kernel
	 * has (intermediate_present) */
	static const int intermediate_order[N_INTERMEDIATE] = { 3, 4, 5, 6, 7, 0, 1, 2 };
	const char *names[N_INTERMEDIATE + 3];
	int n = 0;

	if (st->path == SLT_PATH_FALLBACK)
		return slt_skel_attach(st->skel->skeleton, fallback_order);
	if (st->path != SLT_PATH_INTERMEDIATE)
		return slt_skel_attach(st->skel->skeleton, order);
	for (int k = 0; k < N_INTERMEDIATE; k++) {
		int i = intermediate_order[k];

		if (i == 0) {
			names[n++] = "handle_set_state";
			names[n++] = "handle_rcv_space";
		}
		if (st->intermediate_present & (1u << i))
			names[n++] = bpf_program__name(intermediate_prog(st->skel, i));
	}
	names[n] = NULL;
	return slt_skel_attach(st->skel->skeleton, names);
}

static int requests_drain(void *state, struct model *m)
{
	(void)state;
	(void)m;
	return 0; /* requests arrive on the ring buffer */
}

/* A request the kernel still holds, settled from userspace: decode it as
 * if its record had come on the ring buffer. */
static int settle(struct requests_state *st, const struct slt_req_conn *c, uint32_t flags)
{
	return req_decode_settle(st->dec, &c->ev, flags);
}

/* Housekeeping, about once a second: a response written and then nothing
 * on its connection for SLT_REQ_IDLE_NS is complete. Settle it now, not at
 * the next request (a keep-alive connection may stay quiet for minutes),
 * and forget the connection (a Unix one may be gone: no tracepoint says).
 * The map is read in batches (one syscall per SWEEP_BATCH connections);
 * lookup-and-delete is atomic against the kernel, and what the kernel did
 * in between is put back. */
static int sweep_one(struct requests_state *st, int fd, __u64 key, const struct slt_req_conn *v,
		     uint64_t now_ns)
{
	struct slt_req_conn *c = st->conn;

	if (v->state != SLT_CONN_RESPONDING || v->ev.last_write_ns + SLT_REQ_IDLE_NS > now_ns)
		return 0;
	if (bpf_map_lookup_and_delete_elem(fd, &key, c))
		return 0;
	if (c->state != SLT_CONN_RESPONDING) {
		bpf_map_update_elem(fd, &key, c, BPF_NOEXIST);
		return 0;
	}
	st->settled_idle++;
	return settle(st, c, SLT_REQ_F_IDLE);
}

static int requests_tick(void *state, struct model *m, uint64_t now_ns)
{
	struct requests_state *st = state;
	int fd = bpf_map__fd(st->skel->maps.conns), err = 0, last = 0;
	__u32 batch = 0, count;
	void *in = NULL;

	(void)m;
	while (!last && !err) {
		count = SWEEP_BATCH;
		err = bpf_map_lookup_batch(fd, in, &batch, st->keys, st->vals, &count, NULL);
		if (err == -ENOENT) { /* the last batch, possibly empty */
			last = 1;
			err = 0;
		} else if (err) {
			break;
		}
		for (__u32 i = 0; i < count && !err; i++)
			err = sweep_one(st, fd, st->keys[i], &st->vals[i], now_ns);
		in = &batch;
	}
	/* a batch read error (an old kernel) only delays settling to the
	 * next request or the end of the run */
	return err == -ENOMEM ? err : 0;
}

/* At the end: requests whose response was written but whose connection is
 * still open (keep-alive) are complete; those still being read are not. */
static int requests_finish(void *state, struct model *m)
{
	struct requests_state *st = state;
	int fd = bpf_map__fd(st->skel->maps.conns);
	__u64 key, next, *prev = NULL;
	struct slt_req_conn *c = st->conn;

	/* no more changes under our feet while we walk the map */
	requests_bpf__detach(st->skel);
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, c))
			continue;
		if (c->state == SLT_CONN_READING)
			st->in_flight_at_end++;
		else if (c->state == SLT_CONN_RESPONDING && settle(st, c, SLT_REQ_F_FLUSHED) == -ENOMEM)
			return -ENOMEM;
	}
	model_stat_add(m, "in_flight_at_end", st->in_flight_at_end);
	model_stat_add(m, "settled_after_idle", st->settled_idle);
	model_stat_add(m, "uncounted_pipelined_turns", 0); /* shown when 0 too */
	return 0;
}

static void requests_opts_init(void *opts)
{
	struct requests_opts *o = opts;

	*o = (struct requests_opts){ .capture_bytes = SLT_DEFAULT_CAPTURE_BYTES,
				     .segment_limit = SLT_DEFAULT_SEGMENT_LIMIT,
				     .max_classes = SLT_DEFAULT_MAX_CLASSES };
}

static int parse_port(void *opts, const char *arg, char *err, size_t len)
{
	uint64_t v;

	if (slt_parse_u64(arg, 1, 65535, &v)) {
		snprintf(err, len, "invalid port '%s' (1-65535)", arg);
		return -EINVAL;
	}
	((struct requests_opts *)opts)->port = (uint16_t)v;
	return 0;
}

static int parse_capture_bytes(void *opts, const char *arg, char *err, size_t len)
{
	struct requests_opts *o = opts;
	uint64_t v;

	if (slt_parse_u64(arg, 0, SLT_REQ_CAP_MAX, &v)) {
		snprintf(err, len, "invalid --capture-bytes '%s' (0-%d)", arg, SLT_REQ_CAP_MAX);
		return -EINVAL;
	}
	o->capture_bytes = (uint32_t)v;
	o->capture_set = 1;
	return 0;
}

static int parse_capture_query(void *opts, const char *arg, char *err, size_t len)
{
	(void)arg;
	(void)err;
	(void)len;
	((struct requests_opts *)opts)->capture_query = 1;
	return 0;
}

static int add_pattern(const char *opt, const char **list, int *n, const char *arg, char *err,
		       size_t len)
{
	const char *why;

	if (route_pattern_check(arg, &why)) {
		snprintf(err, len, "invalid --%s '%s': %s", opt, arg, why);
		return -EINVAL;
	}
	if (*n == SLT_MAX_ROUTES) {
		snprintf(err, len, "too many --%s patterns (at most %d)", opt, SLT_MAX_ROUTES);
		return -EINVAL;
	}
	list[(*n)++] = arg;
	return 0;
}

static int parse_route(void *opts, const char *arg, char *err, size_t len)
{
	struct requests_opts *o = opts;

	return add_pattern("route", o->routes, &o->nroutes, arg, err, len);
}

static int parse_ignore_path(void *opts, const char *arg, char *err, size_t len)
{
	struct requests_opts *o = opts;

	return add_pattern("ignore-path", o->ignores, &o->nignores, arg, err, len);
}

static int parse_segment_limit(void *opts, const char *arg, char *err, size_t len)
{
	uint64_t v;

	if (slt_parse_u64(arg, 0, ROUTE_SEGMENT_LIMIT_MAX, &v)) {
		snprintf(err, len, "invalid --segment-limit '%s' (0-%d)", arg,
			 ROUTE_SEGMENT_LIMIT_MAX);
		return -EINVAL;
	}
	((struct requests_opts *)opts)->segment_limit = (uint32_t)v;
	return 0;
}

static int parse_max_classes(void *opts, const char *arg, char *err, size_t len)
{
	uint64_t v;

	if (slt_parse_u64(arg, 1, SLT_MAX_CLASSES_MAX, &v)) {
		snprintf(err, len, "invalid --max-classes '%s' (1-%d)", arg, SLT_MAX_CLASSES_MAX);
		return -EINVAL;
	}
	((struct requests_opts *)opts)->max_classes = (uint32_t)v;
	return 0;
}

static const struct probe_opt requests_options[] = {
	{ "port", required_argument, "PORT", "only connections on this local port", parse_port },
	{ "capture-bytes", required_argument, "N",
	  "bytes of each request kept for parsing (default 256, max 512)", parse_capture_bytes },
	{ "capture-query", no_argument, NULL,
	  "keep the ?query part of HTTP paths (default: removed)", parse_capture_query },
	{ "route", required_argument, "PATTERN",
	  "class matching paths as PATTERN ('/users/{id}', '/static/*'; repeatable)", parse_route },
	{ "ignore-path", required_argument, "PATTERN",
	  "count matching requests in ignored_requests, not in a class (repeatable)",
	  parse_ignore_path },
	{ "segment-limit", required_argument, "N",
	  "a path position past N distinct values becomes * (default 10, 0 = off)",
	  parse_segment_limit },
	{ "max-classes", required_argument, "N",
	  "classes per process and port; the rest go to (other) (default 200)", parse_max_classes },
	{ NULL, 0, NULL, NULL, NULL },
};

/* The socket tracepoints that see every socket read and write and nothing
 * else; without them, fexit on the socket operations, which see the same
 * (bench/req_hooks.sh: a few runs per request where the syscall exit has
 * ~30, and the host's other syscalls pay nothing); without fexit, the
 * syscall exits (bpf/requests.bpf.c). */
static enum probe_path_kind requests_choose_path(unsigned have, char *why, unsigned long len)
{
	if (have & SLT_FEAT_SOCK_TP) {
		snprintf(why, len, "the sock_recv_length and sock_send_length tracepoints work here");
		return SLT_PATH_PREFERRED;
	}
	if ((have & SLT_FEAT_SOCKOPS_FEXIT) && (have & SLT_FEAT_TASK_PT_REGS)) {
		snprintf(why, len,
			 "no sock_recv_length/sock_send_length tracepoints (Linux 6.3+); fexit on "
			 "the socket operations works here");
		return SLT_PATH_INTERMEDIATE;
	}
	/* fexit alone sees the operations but not the bytes the classes are
	 * read from: the syscall's registers (bpf_task_pt_regs) say where */
	if (have & SLT_FEAT_SOCKOPS_FEXIT)
		snprintf(why, len,
			 "no sock_recv_length/sock_send_length tracepoints (Linux 6.3+); fexit on "
			 "the socket operations works, but without bpf_task_pt_regs (Linux 5.15+) "
			 "it cannot read the requests");
	else
		snprintf(why, len,
			 "no sock_recv_length/sock_send_length tracepoints (Linux 6.3+), no fexit on "
			 "the socket operations");
	return SLT_PATH_FALLBACK;
}

static const struct probe_path requests_prefers = {
	.hooks = "sock:sock_recv_length, sock:sock_send_length, tcp:tcp_rcv_space_adjust, "
		 "sock:inet_sock_set_state (tp_btf)",
	.needs = SLT_FEAT_SOCK_TP,
};

static const struct probe_path requests_intermediate = {
	.hooks = "fexit on inet_recvmsg, inet6_recvmsg, unix_stream_recvmsg, inet_sendmsg, "
		 "inet6_sendmsg, unix_stream_sendmsg, and inet_sendpage, unix_stream_sendpage "
		 "before 6.5; tcp:tcp_rcv_space_adjust, sock:inet_sock_set_state (tp_btf)",
	.needs = SLT_FEAT_SOCKOPS_FEXIT | SLT_FEAT_TASK_PT_REGS,
};

static const struct probe_path requests_fallback = {
	.hooks = "raw_syscalls:sys_exit (reads and writes; every syscall exit on the host "
		 "pays a compare), tcp:tcp_rcv_space_adjust, sock:inet_sock_set_state (tp_btf)",
	.cannot = "responses sent with sendfile or splice; recvmmsg and sendmmsg",
};

const struct probe_ops requests_probe = {
	.name = "requests",
	.summary = "per-request latency of the target's server connections (HTTP/1.x classes, "
		   "any other protocol per port), split into queue and service time",
	.needs = SLT_FEAT_BTF | SLT_FEAT_TP_BTF | SLT_FEAT_RINGBUF,
	.default_on = 1,
	.ringbuf_bytes = SLT_RINGBUF_BYTES,
	.options = requests_options,
	.opts_size = sizeof(struct requests_opts),
	.opts_init = requests_opts_init,
	.prefers = &requests_prefers,
	.fallback = &requests_fallback,
	.intermediate = &requests_intermediate,
	.choose_path = requests_choose_path,
	.open = requests_open,
	.attach = requests_attach,
	.drain = requests_drain,
	.tick = requests_tick,
	.finish = requests_finish,
	.close = requests_close,
};
