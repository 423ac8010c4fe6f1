// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TCP family, userspace side: loads bpf/tcp.bpf.c, finds the target's
 * connections and listeners from before the run (iter/task_file), decodes
 * one record per connect, accept, close and RTT sample into aggregates per
 * (process, endpoint) (tcp_decode.c), and publishes the busiest of them as
 * model series:
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes/probe.h"
#include "core/features.h"
#include "core/listeners.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/session.h"
#include "core/skel.h"
#include "probes/tcp_decode.h"
#include "slatrace/tcp.h"
#include "tcp.skel.h"

_Static_assert(sizeof(struct slt_tcp_event) == 16 + 3 * 8 + 20 * 4 + 4 * 2 + 16 + SLT_COMM_LEN,
	       "ABI");
_Static_assert(sizeof(struct slt_tcp_port_key) == 8, "ABI");
_Static_assert(sizeof(struct slt_tcp_port) == 16 + SLT_COMM_LEN, "ABI");

extern const struct probe_ops tcp_probe;

struct tcp_state {
	struct tcp_bpf *skel;
	struct session *sess;
	struct model *model;
	struct tcp_aggs *aggs;
	/* /proc/<pid>/net/netstat of each net namespace the target is in */
	int netstat_fd[SLT_MAX_PIDLIST];
	uint64_t netstat0[SLT_MAX_PIDLIST][2];
	int nnetstat;
	uint32_t netstat_pid; /* the first of them (0: slatrace's own namespace) */
	uint64_t netstat_pub[2];
	uint64_t unsettled;
	uint64_t misses_pub; /* tracepoint runs the kernel skipped, published so far */
	int seeded;
	int can_flush; /* the end-of-run pass loads here */
	enum probe_path_kind path;
	/* the programs that claim a connection's close record, as loaded: with
	 * a fetch-and-add, or their _noatomics twins (the fallback) */
	struct bpf_program *set_state, *destroy_sock, *flush;
};

static void tcp_close(void *state)
{
	struct tcp_state *st = state;

	if (!st)
		return;
	tcp_aggs_free(st->aggs);
	for (int i = 0; i < st->nnetstat; i++)
		close(st->netstat_fd[i]);
	tcp_bpf__destroy(st->skel);
	free(st);
}

static int on_event(void *ctx, const void *data, unsigned long len)
{
	struct tcp_state *st = ctx;

	return tcp_aggs_event(st->aggs, data, len);
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

	tcp_aggs_synack_clear(st->aggs);
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || !v.synack_retrans)
			continue;
		if (tcp_aggs_synack_add(st->aggs, key.port, v.comm, v.synack_retrans))
			return -ENOMEM;
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
	int err;

	if (read_ports(st))
		return -ENOMEM;
	err = tcp_aggs_publish(st->aggs, m);
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

/* The kernel config for the programs' CONFIG_HZ extern, or NULL to let
 * libbpf read it: libbpf (1.1, Debian 12's) fails the whole object, weak
 * extern or not, where neither /boot/config-RELEASE nor /proc/config.gz
 * exists (a container, a minimal image). There CONFIG_HZ is given as 0,
 * unknown, which the programs and the report already handle (rates from
 * each connection's own clock). */
static const char *tcp_kconfig(void)
{
	struct utsname u;
	char path[300];

	if (uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		if (!access(path, R_OK))
			return NULL;
	} else {
		snprintf(u.release, sizeof(u.release), "?");
	}
	if (!access("/proc/config.gz", R_OK))
		return NULL;
	slt_info("tcp: no kernel config (/boot/config-%s, /proc/config.gz): CONFIG_HZ unknown",
		 u.release);
	return "CONFIG_HZ=0\n";
}

/* One of a pair of programs loads: the one with fetch-and-add claims, or,
 * on the fallback, its _noatomics twin (declared SEC("?...")): a kernel
 * without BPF atomics (before 5.12) refuses a program that holds any. */
static struct bpf_program *pick(struct bpf_program *atomics, struct bpf_program *noatomics,
				int fallback)
{
	bpf_program__set_autoload(atomics, !fallback);
	bpf_program__set_autoload(noatomics, fallback);
	return fallback ? noatomics : atomics;
}

/* the seed iterator and the end-of-run pass run on demand, not attached to
 * a hook */
static int tcp_configure(void *ctx, const struct session *s)
{
	struct tcp_state *st = ctx;
	struct tcp_bpf *skel = st->skel;
	int fallback = st->path == SLT_PATH_FALLBACK, err;
	const char *test_unseen = getenv("SLATRACE_TEST_TCP_UNSEEN_EVERY");
	uint64_t n;

	SESSION_SET_TARGET_RODATA(skel, s);
	skel->rodata->targ_rdonly_cast = st->path == SLT_PATH_PREFERRED;
	/* test only: connects whose ESTABLISHED goes unseen (bpf/tcp.bpf.c) */
	if (test_unseen && !slt_parse_u64(test_unseen, 1, UINT32_MAX, &n))
		skel->rodata->targ_test_unseen_every = (__u32)n;
	st->set_state =
	    pick(skel->progs.handle_set_state, skel->progs.handle_set_state_noatomics, fallback);
	st->destroy_sock = pick(skel->progs.handle_destroy_sock,
				skel->progs.handle_destroy_sock_noatomics, fallback);
	st->flush = pick(skel->progs.flush_socks, skel->progs.flush_socks_noatomics, fallback);
	/* only the fallback's claims use it */
	if (!fallback) {
		err = bpf_map__set_max_entries(skel->maps.claims, 1);
		if (err)
			return err;
	}
	bpf_program__set_autoattach(skel->progs.seed_socks, false);
	bpf_program__set_autoattach(st->flush, false);
	/* syscall programs (5.14) and bpf_for_each_map_elem (5.13): without
	 * them the rest loads, and what the pass would have reported is
	 * counted in tcp_conns_not_flushed */
	st->can_flush =
	    libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SYSCALL, NULL) == 1 &&
	    libbpf_probe_bpf_helper(BPF_PROG_TYPE_SYSCALL, BPF_FUNC_for_each_map_elem, NULL) == 1;
	if (!st->can_flush) {
		slt_info("tcp: no syscall programs or bpf_for_each_map_elem (Linux 5.14): "
			 "connections open at the end are counted, not reported");
		bpf_program__set_autoload(st->flush, false);
	}
	return 0;
}

static int tcp_open(struct session *s, const void *opts, void **state)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	char why[128];
	struct tcp_state *st;
	int err;

	(void)opts; /* no options of its own */
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->sess = s;
	st->model = s->model;
	st->aggs = tcp_aggs_new(s->model);
	if (!st->aggs) {
		free(st);
		return -ENOMEM;
	}
	st->path = probe_path_here(&tcp_probe, why, sizeof(why));
	slt_info("tcp: %s path (%s)", probe_path_name(st->path), why);
	oo.kconfig = tcp_kconfig();
	st->skel = tcp_bpf__open_opts(&oo);
	err = slt_skel_load(st->skel ? st->skel->skeleton : NULL, s, "tcp", tcp_configure, st);
	if (err)
		goto cleanup;
	err = session_on_event(s, SLT_EV_TCP, on_event, st);
	if (err) {
		slt_error("cannot route the 'tcp' records: %s", slt_strerror(err));
		goto cleanup;
	}
	open_netstat(st, s);
	probe_record_path(&tcp_probe, st->path, s->model);
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

/* The end-of-run pass (flush_socks), in runs of at most a batch of records
 * each, the ring buffer drained after each; as many runs as a full map
 * needs, and two more. */
static void flush_conns(struct tcp_state *st)
{
	LIBBPF_OPTS(bpf_test_run_opts, ro);
	int fd = bpf_program__fd(st->flush), err;

	if (!st->can_flush)
		return;
	for (int i = 0; i < SLT_TCP_MAX_SOCKS / SLT_TCP_FLUSH_BATCH + 2; i++) {
		ro.retval = 0;
		if (bpf_prog_test_run_opts(fd, &ro)) {
			err = -errno;
			slt_warn("cannot report the connections open at the end: %s",
				 slt_strerror(err));
			return;
		}
		session_poll(st->sess, 0);
		if (ro.retval < SLT_TCP_FLUSH_BATCH)
			return;
	}
}

static void detach(struct bpf_link **links[], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bpf_link__destroy(*links[i]);
		*links[i] = NULL;
	}
}

static int tcp_finish(void *state, struct model *m)
{
	struct tcp_state *st = state;
	struct bpf_link **links[] = {
		&st->skel->links.handle_tcp_probe,	   &st->skel->links.handle_retransmit_skb,
		&st->skel->links.handle_retransmit_synack, &st->skel->links.handle_send_reset,
		&st->skel->links.handle_receive_reset,	   &st->skel->links.handle_exceed_buf_limit,
		&st->skel->links.handle_rcvqueue_full,	   &st->skel->links.handle_sys_exit,
	};
	/* kept through the end-of-run pass: a connection closed or destroyed
	 * meanwhile is reported once, by whichever claims it first (of each
	 * pair, the one not loaded has no link) */
	struct bpf_link **last[] = {
		&st->skel->links.handle_set_state,
		&st->skel->links.handle_set_state_noatomics,
		&st->skel->links.handle_destroy_sock,
		&st->skel->links.handle_destroy_sock_noatomics,
	};
	int fd = bpf_map__fd(st->skel->maps.tcp_socks);
	__u64 key, next, *prev = NULL;

	/* a record for every established connection not yet reported,
	 * whoever holds it, and then no more events */
	detach(links, sizeof(links) / sizeof(links[0]));
	flush_conns(st);
	detach(last, sizeof(last) / sizeof(last[0]));
	session_poll(st->sess, 0);
	/* what is left: listeners, and connections the pass did not report:
	 * connects still in progress, entries of sockets whose destroy run the
	 * kernel skipped, and connections made during the pass */
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

/* The kfunc that makes socket fields plain loads: without it, the same
 * fields are CO-RE reads. BPF atomics: without them, the programs that claim
 * a connection's close record are their _noatomics twins, which claim with
 * a hash insert (bpf/core_fixes.bpf.h; conn_claim in bpf/tcp.bpf.c). */
static enum probe_path_kind tcp_choose_path(unsigned have, char *why, unsigned long len)
{
	int cast = !!(have & SLT_FEAT_RDONLY_CAST), atomics = !!(have & SLT_FEAT_ATOMICS);

	if (cast && atomics) {
		snprintf(why, len, "the bpf_rdonly_cast kfunc and BPF atomics work here");
		return SLT_PATH_PREFERRED;
	}
	if (atomics) {
		snprintf(why, len, "no bpf_rdonly_cast kfunc (Linux 6.2+); BPF atomics work here");
		return SLT_PATH_INTERMEDIATE;
	}
	snprintf(why, len, "%sno BPF atomics (Linux 5.12+): claims by hash insert",
		 cast ? "" : "no bpf_rdonly_cast kfunc (Linux 6.2+), ");
	return SLT_PATH_FALLBACK;
}

static const struct probe_path tcp_prefers = {
	.hooks = "socket and TCP tracepoints (tp_btf); socket fields loaded through "
		 "bpf_rdonly_cast; a connection's close record claimed with an atomic "
		 "fetch-and-add",
	.needs = SLT_FEAT_RDONLY_CAST | SLT_FEAT_ATOMICS,
};

static const struct probe_path tcp_intermediate = {
	.hooks = "the same tracepoints and fetch-and-add claims; socket fields read with "
		 "CO-RE probe reads",
	.needs = SLT_FEAT_ATOMICS,
	.cannot = NULL, /* everything; it costs more per event */
};

static const struct probe_path tcp_fallback = {
	.hooks = "the same tracepoints and CO-RE probe reads; the state change, destroy and "
		 "end-of-run programs as their _noatomics twins, which claim a connection's "
		 "close record with a hash insert (no atomic fetch-and-add: Linux 5.8+)",
	.cannot = NULL, /* everything; it costs more per connection */
};

const struct probe_ops tcp_probe = {
	.name = "tcp",
	.summary = "the target's TCP connections: connect latency and failures, accept-queue "
		   "wait, RTT, retransmits, resets, bytes, and what limited sending",
	.needs = SLT_FEAT_BTF | SLT_FEAT_TP_BTF | SLT_FEAT_RINGBUF,
	.default_on = 0,
	/* ~4 records of 160 bytes per connection: 1 MiB holds a 100 ms poll
	 * period at 15,000 connections/s */
	.ringbuf_bytes = 1u << 20,
	.prefers = &tcp_prefers,
	.intermediate = &tcp_intermediate,
	.fallback = &tcp_fallback,
	.choose_path = tcp_choose_path,
	.open = tcp_open,
	.attach = tcp_attach,
	.drain = tcp_drain,
	.finish = tcp_finish,
	.close = tcp_close,
};
