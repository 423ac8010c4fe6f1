// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TCP family: the target's connections, from the TCP and socket
 * tracepoints. What it measures, per connection: connect latency (SYN sent
 * to ESTABLISHED) and why a connect failed (sk_err: refused, timed out,
 * unreachable); for accepted connections, the time they waited in the
 * accept queue and the queue's length against its backlog; smoothed-RTT
 * samples; retransmitted segments by state; resets sent and received;
 * lifetime, bytes in and out, and, at close, the kernel's own send-time
 * accounting (tcp_sock chrono_stat: busy, rwnd-limited, sndbuf-limited), from
 * which userspace names what limited the connection's sending.
 *
 * Which connections: a connect() by a targeted task (CLOSE -> SYN_SENT runs
 * in its context), a child of a listening port of the target (LISTEN in the
 * target's context registers the port, in its net namespace), and sockets
 * the target held before the run (an iter/task_file pass at attach). After
 * that, softirq-context events find the connection by its struct sock
 * address in tcp_socks. A connection is reported when it reaches CLOSE and
 * its entry deleted when the socket is destroyed (an abortive close sends
 * its reset in between), so the map holds existing sockets only.
 *
 * Hooks (all tp_btf): sock/inet_sock_set_state, tcp/tcp_probe,
 * tcp/tcp_retransmit_skb, tcp/tcp_retransmit_synack, tcp/tcp_send_reset,
 * tcp/tcp_receive_reset, tcp/tcp_destroy_sock, sock/sock_exceed_buf_limit,
 * sock/sock_rcvqueue_full, raw_syscalls/sys_exit (accept and accept4 only),
 * and two programs run by userspace: an iter/task_file at the start (seed),
 * and a syscall program at the end (flush: every connection not yet
 * reported, from tcp_socks, with bpf_for_each_map_elem).
 * Cost: every syscall exit on the host: a compare of the syscall number;
 * every received segment on the host (tcp_probe) and every state change:
 * one hash lookup (for the target's connections, and a jiffies compare); the
 * target's connections: one record at connect/accept, one at close, and an
 * RTT sample at most every targ_rtt_sample_ns (rounded up to jiffies).
 * Three paths, one object: where the bpf_rdonly_cast kfunc exists (6.2+),
 * socket fields are loaded directly through its read-only view (preferred);
 * elsewhere (targ_rdonly_cast 0) the same fields are CO-RE reads, one
 * bpf_probe_read_kernel() call each (intermediate, 5.12+). Where BPF atomics
 * are missing too (before 5.12: the fallback), the three programs that claim
 * a connection's close record (conn_claim) are loaded as their _noatomics
 * twins, which claim it with a hash insert instead of a fetch-and-add. Same
 * hooks, same records.
 * Needs: BTF, tp_btf, ring buffer; task_file iterators for connections
 * older than the run; syscall programs and bpf_for_each_map_elem (5.14) for
 * the end of the run; CONFIG_HZ from kconfig for rates. Syscall numbers
 * are x86_64's.
 */
#include "common.bpf.h"
#include "core_fixes.bpf.h"
#include "slatrace/tcp.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SLT_NR_ACCEPT  43
#define SLT_NR_ACCEPT4 288

#define SLT_AF_INET	 2
#define SLT_AF_INET6	 10
#define SLT_IPPROTO_TCP	 6
#define SLT_SOCK_STREAM	 1
#define SLT_ECONNABORTED 103

/* include/net/tcp_states.h */
#define SLT_TCP_ESTABLISHED 1
#define SLT_TCP_SYN_SENT    2
#define SLT_TCP_SYN_RECV    3
#define SLT_TCP_FIN_WAIT1   4
#define SLT_TCP_FIN_WAIT2   5
#define SLT_TCP_CLOSE	    7
#define SLT_TCP_CLOSE_WAIT  8
#define SLT_TCP_LAST_ACK    9
#define SLT_TCP_LISTEN	    10
#define SLT_TCP_CLOSING	    11

#define ROLE_CLIENT   0
#define ROLE_SERVER   1
#define ROLE_LISTENER 2
#define ROLE_UNKNOWN  3 /* seeded: a server if its port turns out to be listened on */

/* conn flags of our own, above the record's SLT_TCP_F_* */
#define CF_FIN_SENT (1u << 16) /* we passed FIN_WAIT1 or LAST_ACK: our FIN is queued */
#define CF_FIN_IN0  (1u << 17) /* the peer's FIN was in the baseline already */
#define CF_FIN_OUT0 (1u << 18) /* our acked FIN was in the baseline already */
/* reported at CLOSE, kept until the socket is destroyed: an abortive close
 * sends its reset after the state change (tcp_disconnect, __tcp_close) */
#define CF_CLOSED      (1u << 19)
#define CF_RECORD_MASK 0xffffu

const volatile __u64 targ_rtt_sample_ns = 10000000;
/* 1: bpf_rdonly_cast() works here (userspace probed it): direct loads */
const volatile __u32 targ_rdonly_cast = 1;
/* Test only (SLATRACE_TEST_TCP_UNSEEN_EVERY): every Nth connect's change to
 * ESTABLISHED is left unseen, as a skipped tracepoint run leaves it, so the
 * tests can hold what follows (connect_unseen) against a client's counts.
 * 0 in a real run: the verifier drops the branch. A plain increment, not a
 * fetch-and-add (5.12, core_fixes.bpf.h): two connects established at once
 * may share a number, which moves the hidden ones, no more. */
const volatile __u32 targ_test_unseen_every = 0;
__u32 test_unseen_n = 0;

extern unsigned int CONFIG_HZ __kconfig __weak;

struct conn {
	__u64 start_ns;	  /* connect(): the SYN; others: when tracking began */
	__u64 est_ns;	  /* ESTABLISHED, or the start of the run (0: not yet) */
	__u64 rtt_next_j; /* next RTT sample due, in jiffies (cheaper than a clock read) */
	__u64 bytes_in0;  /* baselines at est_ns: the run's share only */
	__u64 bytes_out0;
	__u32 est_j;
	__u32 chrono0[SLT_TCP_CHRONO_MAX];
	__u32 retrans[SLT_TCP_RS_MAX];
	__u32 retrans_seen; /* tcp_sock total_retrans already attributed */
	__u32 rs_bucket;    /* state of the last retransmit, for the next delta */
	__u32 rst_sent;
	__u32 rst_recv;
	__u32 buf_limit;
	__u32 rcvq_full;
	__u32 tgid;
	__u32 flags;
	__u32 role;
	/* its close record is written once: by CLOSE, by tcp_destroy_sock or by
	 * the end-of-run pass, whichever takes it first (conn_claim): a
	 * fetch-and-add, apart from flags, which are updated with plain stores;
	 * on the fallback only a mark of the claim, which is in claims */
	__u32 claimed;
	/* who the peer is, kept: the kernel clears the local port
	 * (inet_put_port) before the CLOSE tracepoint runs */
	__u16 family;
	__u16 rport;
	struct slt_tcp_port_key pk;
	__u8 raddr[16];
	char comm[SLT_COMM_LEN];
};

/* preallocated: a delete is a free-list push, half the cost of a free */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLT_TCP_MAX_SOCKS);
	__type(key, __u64); /* struct sock * */
	__type(value, struct conn);
} tcp_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLT_TCP_MAX_PORTS);
	__type(key, struct slt_tcp_port_key);
	__type(value, struct slt_tcp_port);
} tcp_ports SEC(".maps");

/* The fallback's claims (conn_claim without atomics): a connection's close
 * record is written by whoever inserts its key first. At most one entry per
 * entry of tcp_socks, deleted with it (conn_delete), and a few more for a
 * moment between the two deletes; userspace sizes it to 1 on the other
 * paths, which do not use it. */
struct claim_key {
	__u64 sk;
	__u64 start_ns; /* the connection's, so that a socket's next one is another key */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLT_TCP_MAX_SOCKS + 1024);
	__type(key, struct claim_key);
	__type(value, __u8);
} claims SEC(".maps");

/* processes the seed/flush iterators look at (not used for "all") */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLT_TCP_MAX_SEED_PIDS);
	__type(key, __u32);
	__type(value, __u8);
} seed_pids SEC(".maps");

/* A read-only view of a socket the verifier lets us load from directly,
 * whatever the pointer's origin (a tracepoint argument, or a value read out
 * of a file table). The struct sock is the tcp_sock's first member. On the
 * fallback path the pointer is only cast: every field goes through TP(). */
static __always_inline const struct tcp_sock *tcp_view(const void *sk)
{
	if (targ_rdonly_cast)
		return bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
	return (const struct tcp_sock *)sk;
}

/* a field of the tcp_sock: a load through the view, or a CO-RE read (the
 * branch not taken is removed by the verifier: targ_rdonly_cast is rodata) */
#define TP(tp, f)  (targ_rdonly_cast ? (tp)->f : BPF_CORE_READ(tp, f))
#define SK(tp, f)  TP(tp, inet_conn.icsk_inet.sk.f)
#define SKC(tp, f) TP(tp, inet_conn.icsk_inet.sk.__sk_common.f)

static __always_inline __u32 jiffies32(void)
{
	return (__u32)bpf_jiffies64();
}

/* targ_rtt_sample_ns in jiffies, rounded up (3 when CONFIG_HZ is unknown) */
static __always_inline __u64 rtt_interval_j(void)
{
	__u64 hz = CONFIG_HZ, j;

	if (!hz)
		return 3;
	j = (targ_rtt_sample_ns * hz + 999999999) / 1000000000;
	return j ? j : 1;
}

static __always_inline int is_tcp(const struct tcp_sock *tp)
{
	__u16 family = SKC(tp, skc_family);

	if (family != SLT_AF_INET && family != SLT_AF_INET6)
		return 0;
	return SK(tp, sk_protocol) == SLT_IPPROTO_TCP && SK(tp, sk_type) == SLT_SOCK_STREAM;
}

static __always_inline void port_key_of(const struct tcp_sock *tp, struct slt_tcp_port_key *k)
{
	k->netns = targ_rdonly_cast
		       ? SKC(tp, skc_net.net)->ns.inum
		       : BPF_CORE_READ(tp, inet_conn.icsk_inet.sk.__sk_common.skc_net.net, ns.inum);
	k->port = SKC(tp, skc_num);
	k->__pad = 0;
}

/* bytes_received and bytes_acked count the FIN's sequence number too
 * (tcp_rcv_nxt_update, tcp_snd_una_update): is there one in them? */
static __always_inline int fin_in(const struct tcp_sock *tp)
{
	unsigned long flags = SKC(tp, skc_flags);

	return (flags >> bpf_core_enum_value(enum sock_flags, SOCK_DONE)) & 1;
}

static __always_inline int fin_out(const struct tcp_sock *tp, __u32 cflags)
{
	__u32 state = SKC(tp, skc_state);

	if (!(cflags & CF_FIN_SENT) && state != SLT_TCP_FIN_WAIT1 && state != SLT_TCP_FIN_WAIT2 &&
	    state != SLT_TCP_CLOSING && state != SLT_TCP_LAST_ACK)
		return 0;
	return TP(tp, snd_una) == TP(tp, write_seq);
}

/* send-time accounting now, in jiffies, the running period included (as
 * tcp_get_info_chrono_stats() computes it) */
static __always_inline void chrono_now(const struct tcp_sock *tp, __u32 now_j,
				       __u32 out[SLT_TCP_CHRONO_MAX])
{
	__u32 type = targ_rdonly_cast ? BPF_CORE_READ_BITFIELD(tp, chrono_type)
				      : BPF_CORE_READ_BITFIELD_PROBED(tp, chrono_type);
	__u32 start = TP(tp, chrono_start);

	out[0] = TP(tp, chrono_stat[0]);
	out[1] = TP(tp, chrono_stat[1]);
	out[2] = TP(tp, chrono_stat[2]);
	if (type == 1)
		out[0] += now_j - start;
	else if (type == 2)
		out[1] += now_j - start;
	else if (type == 3)
		out[2] += now_j - start;
}

static __always_inline __u32 rs_bucket_of(__u32 state)
{
	switch (state) {
	case SLT_TCP_SYN_SENT:
		return SLT_TCP_RS_SYN;
	case SLT_TCP_ESTABLISHED:
		return SLT_TCP_RS_EST;
	case SLT_TCP_FIN_WAIT1:
	case SLT_TCP_CLOSE_WAIT:
	case SLT_TCP_LAST_ACK:
	case SLT_TCP_CLOSING:
		return SLT_TCP_RS_CLOSING;
	}
	return SLT_TCP_RS_OTHER;
}

/* The kernel adds a retransmit to total_retrans after the tracepoint, and
 * counts segments, not skbs: attribute what it added since the last look to
 * the state that retransmit was sent in. */
static __always_inline void retrans_settle(const struct tcp_sock *tp, struct conn *c)
{
	__u32 t = TP(tp, total_retrans);
	__u32 b = c->rs_bucket;

	if (b < SLT_TCP_RS_MAX)
		c->retrans[b] += t - c->retrans_seen;
	c->retrans_seen = t;
}

/* A connect()'s baselines, in case its ESTABLISHED goes unseen
 * (connect_unseen): what the socket has counted so far, and the SYN, which
 * bytes_acked counts once it is acknowledged. conn_mark_established takes
 * them again when the handshake is seen (a SYN's data, TCP Fast Open, is
 * then left out, as for every connection). */
static __always_inline void conn_start_client(const struct tcp_sock *tp, struct conn *c)
{
	c->est_j = jiffies32();
	c->bytes_in0 = TP(tp, bytes_received);
	c->bytes_out0 = TP(tp, bytes_acked) + 1;
	chrono_now(tp, c->est_j, c->chrono0);
}

/* the connection's baselines, taken when it becomes ours to measure */
static __always_inline void conn_mark_established(const struct tcp_sock *tp, struct conn *c,
						  __u64 now)
{
	__u32 now_j = jiffies32();

	c->est_ns = now;
	c->est_j = now_j;
	c->rtt_next_j = bpf_jiffies64() + rtt_interval_j();
	c->bytes_in0 = TP(tp, bytes_received);
	c->bytes_out0 = TP(tp, bytes_acked);
	chrono_now(tp, now_j, c->chrono0);
	c->flags |= SLT_TCP_F_ESTABLISHED;
	if (fin_in(tp))
		c->flags |= CF_FIN_IN0;
	if (fin_out(tp, c->flags))
		c->flags |= CF_FIN_OUT0;
	if (!c->pk.port) /* a connect()'s port is picked after SYN_SENT */
		port_key_of(tp, &c->pk);
}

static __always_inline struct conn *conn_new(const struct tcp_sock *tp, __u64 key, struct conn *c,
					     __u64 flags)
{
	long err;

	c->retrans_seen = TP(tp, total_retrans);
	port_key_of(tp, &c->pk);
	c->family = SKC(tp, skc_family);
	c->rport = __builtin_bswap16(SKC(tp, skc_dport));
	if (c->family == SLT_AF_INET6) {
		const struct sock_common *skc = &tp->inet_conn.icsk_inet.sk.__sk_common;

		if (targ_rdonly_cast)
			__builtin_memcpy(c->raddr, skc->skc_v6_daddr.in6_u.u6_addr8, 16);
		else
			bpf_core_read(c->raddr, 16, &skc->skc_v6_daddr);
	} else {
		*(__u32 *)c->raddr = SKC(tp, skc_daddr);
	}
	err = bpf_map_update_elem(&tcp_socks, &key, c, flags);
	if (err) {
		if (err != -17 /* EEXIST */)
			slt_drop(SLT_DROP_MAP_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&tcp_socks, &key);
}

static __always_inline struct slt_tcp_event *event_new(const struct conn *c, __u32 what)
{
	struct slt_tcp_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u32 flags = c->flags & CF_RECORD_MASK;

	if (!e) {
		slt_drop(SLT_DROP_RINGBUF);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->hdr.ts_ns = bpf_ktime_get_ns();
	e->hdr.kind = SLT_EV_TCP;
	e->hdr.cpu = bpf_get_smp_processor_id();
	e->what = what;
	e->tgid = c->tgid;
	e->hz = CONFIG_HZ;
	__builtin_memcpy(e->comm, c->comm, sizeof(e->comm));
	e->family = c->family;
	e->lport = c->pk.port;
	e->rport = c->rport;
	__builtin_memcpy(e->raddr, c->raddr, sizeof(e->raddr));
	if (c->role == ROLE_SERVER)
		flags |= SLT_TCP_F_SERVER;
	else if (c->role == ROLE_UNKNOWN && bpf_map_lookup_elem(&tcp_ports, &c->pk))
		flags |= SLT_TCP_F_SERVER;
	e->flags = flags;
	return e;
}

/* 1 for the one caller that is to write the close record of the
 * connection start_ns at key (c): the state change to CLOSE, tcp_destroy_sock
 * (for a CLOSE it did not see) or the end-of-run pass, whichever comes first.
 * The first two run with the socket locked (bh_lock_sock, or owned by a task,
 * whose lock defers softirq and timer work on the socket until it is
 * released), destroy only after CLOSE (inet_csk_destroy_sock() wants
 * TCP_CLOSE), so between them the order is given; contention is only at the
 * end of a run, when the end-of-run pass, which holds no lock, runs beside
 * them.
 *
 * atomics is a compile-time constant: the three programs that claim are
 * built once with each value (bpf/core_fixes.bpf.h, "BPF atomics"). 1: a
 * fetch-and-add on c->claimed (Linux 5.12). 0, for kernels without it: the
 * program may not hold such an instruction at all, not even behind a rodata
 * knob, since their verifier refuses any BPF_STX but MEM and XADD before it
 * finds dead code. A plain test-and-set would do between CLOSE and destroy
 * (they are ordered, above) but not against the end-of-run pass, which those
 * kernels lack (5.14) and a forced fallback runs. So the claim is an insert,
 * BPF_NOEXIST, of (socket, start_ns) into claims, which the bucket lock gives
 * to one caller, who must then still find the connection in tcp_socks:
 * conn_delete deletes the claim after the entry, so a claim made after
 * another's was deleted finds the entry gone. start_ns tells the socket's
 * next connection from this one (the pass may hold an entry since deleted,
 * its memory reused). A full map or a busy bucket counts as a drop: that
 * record is lost, and counted. */
static __always_inline int conn_claim(__u64 key, __u64 start_ns, struct conn *c, const int atomics)
{
	struct claim_key ck = { .sk = key, .start_ns = start_ns };
	struct conn *cur;
	__u8 one = 1;
	long err;

	if (atomics)
		return __sync_fetch_and_add(&c->claimed, 1) == 0;
	err = bpf_map_update_elem(&claims, &ck, &one, BPF_NOEXIST);
	if (err) {
		if (err != -17 /* EEXIST: claimed already */)
			slt_drop(SLT_DROP_MAP_FULL);
		return 0;
	}
	cur = bpf_map_lookup_elem(&tcp_socks, &key);
	if (!cur || cur->start_ns != start_ns) {
		bpf_map_delete_elem(&claims, &ck);
		return 0;
	}
	cur->claimed = 1; /* what the end-of-run pass looks at first */
	return 1;
}

/* the connection's entry goes; on the fallback, its claim after it */
static __always_inline void conn_delete(__u64 key, const struct conn *c, const int atomics)
{
	struct claim_key ck = { .sk = key, .start_ns = c->start_ns };

	bpf_map_delete_elem(&tcp_socks, &key);
	if (!atomics)
		bpf_map_delete_elem(&claims, &ck);
}

/* the connection's record at close (or at the end of the run), filled in
 * and not yet submitted */
static __always_inline struct slt_tcp_event *close_record(const struct tcp_sock *tp, struct conn *c,
							  __u32 extra)
{
	struct slt_tcp_event *e;
	__u32 now_j, cur[SLT_TCP_CHRONO_MAX];

	retrans_settle(tp, c);
	e = event_new(c, SLT_TCP_REC_CLOSE);
	if (!e)
		return NULL;
	e->flags |= extra;
	if (c->est_ns) {
		now_j = jiffies32();
		e->lat_ns = e->hdr.ts_ns - c->est_ns;
		e->life_j = now_j - c->est_j;
		e->bytes_in = TP(tp, bytes_received) - c->bytes_in0;
		e->bytes_out = TP(tp, bytes_acked) - c->bytes_out0;
		if (fin_in(tp) && !(c->flags & CF_FIN_IN0) && e->bytes_in)
			e->bytes_in--;
		if (fin_out(tp, c->flags) && !(c->flags & CF_FIN_OUT0) && e->bytes_out)
			e->bytes_out--;
		chrono_now(tp, now_j, cur);
		for (int i = 0; i < SLT_TCP_CHRONO_MAX; i++)
			e->chrono_j[i] = cur[i] - c->chrono0[i];
	}
	for (int i = 0; i < SLT_TCP_RS_MAX; i++)
		e->retrans[i] = c->retrans[i];
	e->srtt_us = TP(tp, srtt_us) >> 3;
	e->rst_sent = c->rst_sent;
	e->rst_recv = c->rst_recv;
	e->buf_limit = c->buf_limit;
	e->rcvq_full = c->rcvq_full;
	return e;
}

static __always_inline void emit_close(const struct tcp_sock *tp, __u64 key, struct conn *c,
				       __u32 extra, const int atomics)
{
	struct slt_tcp_event *e;

	if (!conn_claim(key, c->start_ns, c, atomics))
		return;
	e = close_record(tp, c, extra);
	if (e)
		bpf_ringbuf_submit(e, slt_rb_flags());
}

static __always_inline void emit_connect(const struct tcp_sock *tp, struct conn *c, __u64 now,
					 __u32 err)
{
	struct slt_tcp_event *e;

	retrans_settle(tp, c);
	e = event_new(c, SLT_TCP_REC_CONNECT);
	if (!e)
		return;
	e->lat_ns = now - c->start_ns;
	e->err = err;
	for (int i = 0; i < SLT_TCP_RS_MAX; i++)
		e->retrans[i] = c->retrans[i];
	bpf_ringbuf_submit(e, slt_rb_flags());
}

/* A connect whose ESTABLISHED state change this program did not see. One
 * known way: a tracepoint run is skipped when it would nest in another run
 * of the same program on that CPU (a softirq that completes a handshake,
 * after a timer retransmitted its SYN, interrupting a state change in
 * process context); under load with the accept queue overflowing it has
 * also happened with no skipped run counted (cause not known yet). The
 * later state proves the handshake completed; when is unknown, so it counts
 * as established without a latency. Its other figures are whole all the
 * same: bytes and send times count from the baselines taken at connect()
 * (conn_start_client), its lifetime from connect(). Taken here instead,
 * they would leave out what the connection did before now: a short
 * connection's whole payload, acknowledged before its close is seen. */
static __always_inline void connect_unseen(const struct tcp_sock *tp, struct conn *c, __u64 now)
{
	c->est_ns = c->start_ns;
	c->rtt_next_j = bpf_jiffies64() + rtt_interval_j();
	c->flags |= SLT_TCP_F_ESTABLISHED | SLT_TCP_F_UNTIMED;
	if (!c->pk.port)
		port_key_of(tp, &c->pk);
	emit_connect(tp, c, now, 0);
}

static __always_inline void conn_forget(__u64 key, struct conn *c, const int atomics)
{
	if (c->role == ROLE_LISTENER) {
		struct slt_tcp_port *p = bpf_map_lookup_elem(&tcp_ports, &c->pk);

		if (p && p->nsocks)
			__sync_fetch_and_add(&p->nsocks, -1);
	}
	conn_delete(key, c, atomics);
}

/* A listening socket of the target: its port's children become ours. */
static __always_inline void listener_add(const struct tcp_sock *tp, __u64 key, __u32 tgid,
					 const char *comm)
{
	struct slt_tcp_port *p, np = {};
	struct conn c = {};

	c.role = ROLE_LISTENER;
	c.tgid = tgid;
	__builtin_memcpy(c.comm, comm, SLT_COMM_LEN);
	if (!conn_new(tp, key, &c, BPF_NOEXIST))
		return;
	p = bpf_map_lookup_elem(&tcp_ports, &c.pk);
	if (p) {
		__sync_fetch_and_add(&p->nsocks, 1);
		p->tgid = tgid;
		__builtin_memcpy(p->comm, comm, SLT_COMM_LEN);
		return;
	}
	np.nsocks = 1;
	np.tgid = tgid;
	__builtin_memcpy(np.comm, comm, SLT_COMM_LEN);
	if (bpf_map_update_elem(&tcp_ports, &c.pk, &np, BPF_NOEXIST)) {
		p = bpf_map_lookup_elem(&tcp_ports, &c.pk);
		if (p)
			__sync_fetch_and_add(&p->nsocks, 1);
		else
			slt_drop(SLT_DROP_MAP_FULL);
	}
}

static __always_inline int set_state(const struct sock *sk, const int oldstate, const int newstate,
				     const int atomics)
{
	__u64 key = (__u64)sk, now;
	const struct tcp_sock *tp;
	struct slt_tcp_port_key k;
	struct slt_tcp_port *p;
	struct conn *c, nc = {};
	char comm[SLT_COMM_LEN];

	c = bpf_map_lookup_elem(&tcp_socks, &key);
	if (c && (c->flags & CF_CLOSED)) {
		/* reported already; a connect() again on the same socket is a
		 * new connection */
		if (newstate == SLT_TCP_CLOSE)
			return 0;
		conn_delete(key, c, atomics);
		c = NULL;
	}
	if (c) {
		if (c->role == ROLE_LISTENER) {
			if (newstate == SLT_TCP_CLOSE)
				conn_forget(key, c, atomics);
			return 0;
		}
		if (newstate == SLT_TCP_FIN_WAIT1 || newstate == SLT_TCP_LAST_ACK)
			c->flags |= CF_FIN_SENT;
		tp = tcp_view(sk);
		now = bpf_ktime_get_ns();
		/* a connect whose ESTABLISHED we did not see, leaving a state
		 * only an established connection has: it got through */
		if (c->role == ROLE_CLIENT && !c->est_ns && oldstate != SLT_TCP_SYN_SENT &&
		    oldstate != SLT_TCP_SYN_RECV && oldstate != SLT_TCP_CLOSE)
			connect_unseen(tp, c, now);
		if (newstate != SLT_TCP_ESTABLISHED && newstate != SLT_TCP_CLOSE)
			return 0;
		if (newstate == SLT_TCP_ESTABLISHED) {
			if (c->est_ns)
				return 0;
			if (targ_test_unseen_every && c->role == ROLE_CLIENT &&
			    test_unseen_n++ % targ_test_unseen_every == 0)
				return 0;
			conn_mark_established(tp, c, now);
			if (c->role == ROLE_CLIENT && c->start_ns)
				emit_connect(tp, c, now, 0);
			return 0;
		}
		if (c->est_ns) {
			emit_close(tp, key, c, 0, atomics);
		} else if (c->role == ROLE_CLIENT) {
			/* a connect that never got through: tcp_done_with_error()
			 * stored why in sk_err before the state change */
			__u32 err = SK(tp, sk_err);

			emit_connect(tp, c, now, err ? err : SLT_ECONNABORTED);
		}
		c->flags |= CF_CLOSED;
		return 0;
	}

	switch (newstate) {
	case SLT_TCP_SYN_SENT:
		/* connect(): the caller's context */
		if (oldstate != SLT_TCP_CLOSE || !slt_target_match())
			return 0;
		tp = tcp_view(sk);
		if (!is_tcp(tp))
			return 0;
		nc.role = ROLE_CLIENT;
		nc.start_ns = bpf_ktime_get_ns();
		conn_start_client(tp, &nc);
		nc.tgid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(nc.comm, sizeof(nc.comm));
		conn_new(tp, key, &nc, BPF_ANY);
		return 0;
	case SLT_TCP_ESTABLISHED:
		/* a child of a listener: softirq, found by its port */
		if (oldstate != SLT_TCP_SYN_RECV)
			return 0;
		tp = tcp_view(sk);
		port_key_of(tp, &k);
		p = bpf_map_lookup_elem(&tcp_ports, &k);
		if (!p || !p->nsocks)
			return 0;
		nc.role = ROLE_SERVER;
		nc.tgid = p->tgid;
		__builtin_memcpy(nc.comm, p->comm, SLT_COMM_LEN);
		now = bpf_ktime_get_ns();
		nc.start_ns = now;
		c = conn_new(tp, key, &nc, BPF_NOEXIST);
		if (c)
			conn_mark_established(tp, c, now);
		return 0;
	case SLT_TCP_LISTEN:
		/* listen(): the caller's context */
		if (!slt_target_match())
			return 0;
		tp = tcp_view(sk);
		if (!is_tcp(tp))
			return 0;
		bpf_get_current_comm(comm, sizeof(comm));
		listener_add(tp, key, bpf_get_current_pid_tgid() >> 32, comm);
		return 0;
	}
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	return set_state(sk, oldstate, newstate, 1);
}

/* the fallback's (no BPF atomics): the same, claiming with a hash insert */
SEC("?tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state_noatomics, const struct sock *sk, const int oldstate,
	     const int newstate)
{
	return set_state(sk, oldstate, newstate, 0);
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(handle_tcp_probe, struct sock *sk, const struct sk_buff *skb)
{
	__u64 key = (__u64)sk, now;
	struct slt_tcp_event *e;
	struct conn *c;

	c = bpf_map_lookup_elem(&tcp_socks, &key);
	if (!c || !c->est_ns)
		return 0;
	now = bpf_jiffies64();
	if (now < c->rtt_next_j)
		return 0;
	c->rtt_next_j = now + rtt_interval_j();
	e = event_new(c, SLT_TCP_REC_RTT);
	if (!e)
		return 0;
	e->srtt_us = TP(tcp_view(sk), srtt_us) >> 3;
	e->lat_ns = (__u64)e->srtt_us * 1000;
	bpf_ringbuf_submit(e, slt_rb_flags());
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(handle_retransmit_skb, const struct sock *sk, const struct sk_buff *skb)
{
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&tcp_socks, &key);
	const struct tcp_sock *tp;

	if (!c)
		return 0;
	tp = tcp_view(sk);
	retrans_settle(tp, c);
	c->rs_bucket = rs_bucket_of(SKC(tp, skc_state));
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(handle_retransmit_synack, const struct sock *sk, const struct request_sock *req)
{
	struct slt_tcp_port_key k;
	struct slt_tcp_port *p;

	port_key_of(tcp_view(sk), &k);
	p = bpf_map_lookup_elem(&tcp_ports, &k);
	if (p)
		__sync_fetch_and_add(&p->synack_retrans, 1);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(handle_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	__u64 key = (__u64)sk;
	struct slt_tcp_event *e;
	struct conn *c;

	if (!sk)
		return 0;
	c = bpf_map_lookup_elem(&tcp_socks, &key);
	if (!c)
		return 0;
	if (!(c->flags & CF_CLOSED)) {
		c->rst_sent++;
		return 0;
	}
	/* the abortive close of a connection reported a moment ago */
	e = event_new(c, SLT_TCP_REC_RESET);
	if (!e)
		return 0;
	e->rst_sent = 1;
	bpf_ringbuf_submit(e, slt_rb_flags());
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(handle_receive_reset, struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&tcp_socks, &key);

	if (c)
		c->rst_recv++;
	return 0;
}

SEC("tp_btf/sock_exceed_buf_limit")
int BPF_PROG(handle_exceed_buf_limit, struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&tcp_socks, &key);

	if (c)
		c->buf_limit++;
	return 0;
}

SEC("tp_btf/sock_rcvqueue_full")
int BPF_PROG(handle_rcvqueue_full, struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&tcp_socks, &key);

	if (c)
		c->rcvq_full++;
	return 0;
}

/* the end of every tracked socket: the entry goes (and a connection that
 * somehow skipped CLOSE is reported) */
static __always_inline int destroy_sock(struct sock *sk, const int atomics)
{
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&tcp_socks, &key);
	const struct tcp_sock *tp;

	if (!c)
		return 0;
	tp = tcp_view(sk);
	/* its CLOSE went unseen too: settle the connect from the socket, whose
	 * SYN was acknowledged (bytes_acked counts it) only if it got through */
	if (c->role == ROLE_CLIENT && !c->est_ns && !(c->flags & CF_CLOSED)) {
		if (TP(tp, bytes_acked))
			connect_unseen(tp, c, bpf_ktime_get_ns());
		else
			emit_connect(tp, c, bpf_ktime_get_ns(),
				     SK(tp, sk_err) ? SK(tp, sk_err) : SLT_ECONNABORTED);
	}
	if (c->role != ROLE_LISTENER && c->est_ns && !(c->flags & CF_CLOSED))
		emit_close(tp, key, c, 0, atomics);
	conn_forget(key, c, atomics);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(handle_destroy_sock, struct sock *sk)
{
	return destroy_sock(sk, 1);
}

/* the fallback's (no BPF atomics) */
SEC("?tp_btf/tcp_destroy_sock")
int BPF_PROG(handle_destroy_sock_noatomics, struct sock *sk)
{
	return destroy_sock(sk, 0);
}

/* the socket behind a file, or the current task's fd, as a tcp_sock view */
static __always_inline const struct tcp_sock *file_sock(const struct file *f)
{
	struct sock *sk = slt_file_sock(f);

	return sk ? tcp_view(sk) : NULL;
}

static __always_inline const struct tcp_sock *fd_sock(__u32 fd)
{
	struct sock *sk = slt_fd_sock(fd);

	return sk ? tcp_view(sk) : NULL;
}

/* accept()/accept4() by the target: the wait in the accept queue ends */
SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	const struct tcp_sock *child, *listener;
	struct slt_tcp_event *e;
	struct conn *c, nc = {};
	__u64 key, lkey, now;
	long nr;

	if (ret < 0)
		return 0;
	nr = regs->orig_ax;
	if (nr != SLT_NR_ACCEPT && nr != SLT_NR_ACCEPT4)
		return 0;
	if (!slt_target_match())
		return 0;
	child = fd_sock((__u32)ret);
	if (!child)
		return 0;
	now = bpf_ktime_get_ns();
	key = (__u64)child;
	c = bpf_map_lookup_elem(&tcp_socks, &key);
	if (!c) {
		/* its handshake finished before we knew the port (or on
		 * another CPU a moment ago): track it from here */
		if (!is_tcp(child))
			return 0;
		nc.role = ROLE_SERVER;
		nc.start_ns = now;
		nc.flags = SLT_TCP_F_WAIT_UNKNOWN;
		c = conn_new(child, key, &nc, BPF_NOEXIST);
		if (!c)
			return 0;
		conn_mark_established(child, c, now);
	}
	if (c->role != ROLE_SERVER || (c->flags & (SLT_TCP_F_ACCEPTED | CF_CLOSED)))
		return 0;
	c->flags |= SLT_TCP_F_ACCEPTED;
	c->tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(c->comm, sizeof(c->comm));
	listener = fd_sock((__u32)regs->di);
	if (listener) {
		/* a listener the target did not open itself (inherited, passed):
		 * its next children are timed from their handshake */
		lkey = (__u64)listener;
		if (!bpf_map_lookup_elem(&tcp_socks, &lkey))
			listener_add(listener, lkey, c->tgid, c->comm);
	}
	e = event_new(c, SLT_TCP_REC_ACCEPT);
	if (!e)
		return 0;
	e->lat_ns = now > c->est_ns ? now - c->est_ns : 0;
	if (listener) {
		e->queue_len = SK(listener, sk_ack_backlog) + 1;
		e->backlog = SK(listener, sk_max_ack_backlog);
	}
	bpf_ringbuf_submit(e, slt_rb_flags());
	return 0;
}

static __always_inline int seed_match(__u32 tgid)
{
	if (targ_mode == SLT_TARGET_ALL)
		return tgid != targ_self_tgid;
	return bpf_map_lookup_elem(&seed_pids, &tgid) != NULL;
}

/* Run once at attach: the target's listeners and connections from before
 * the run. Their figures start now: lifetime, bytes and send times are
 * measured from here (SLT_TCP_F_PREEXISTING). */
SEC("iter/task_file")
int seed_socks(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	const struct tcp_sock *tp;
	struct conn nc = {}, *c;
	__u32 tgid, state;
	__u64 key;

	if (!task || !ctx->file)
		return 0;
	tgid = task->tgid;
	if (!seed_match(tgid))
		return 0;
	tp = file_sock(ctx->file);
	if (!tp || !is_tcp(tp))
		return 0;
	key = (__u64)tp;
	state = SKC(tp, skc_state);
	if (state == SLT_TCP_LISTEN) {
		listener_add(tp, key, tgid, task->comm);
		return 0;
	}
	if (state == SLT_TCP_CLOSE || state == SLT_TCP_SYN_RECV)
		return 0;
	nc.role = ROLE_UNKNOWN;
	nc.tgid = tgid;
	nc.flags = SLT_TCP_F_PREEXISTING;
	__builtin_memcpy(nc.comm, task->comm, SLT_COMM_LEN);
	nc.start_ns = bpf_ktime_get_ns();
	c = conn_new(tp, key, &nc, BPF_NOEXIST);
	if (c && state != SLT_TCP_SYN_SENT)
		conn_mark_established(tp, c, nc.start_ns);
	return 0;
}

/* The end-of-run pass, run by userspace (BPF_PROG_RUN) while the state
 * change and destroy programs are still attached (the rest are detached):
 * a record, flagged open at the end, for every established connection not
 * yet reported, whoever holds it. That includes connections no process
 * holds any more: closed by the application and still in FIN_WAIT1 (its
 * FIN not yet acknowledged; the peer may delay that ACK up to 200 ms),
 * FIN_WAIT2, CLOSING or LAST_ACK, and children waiting in an accept queue.
 * The key is the socket's address: the socket exists as long as its entry
 * does (tcp_destroy_sock deletes it, and runs before the socket is freed),
 * but it may be destroyed while this reads it. So the record is filled
 * first and claimed after (conn_claim): if CLOSE or destroy claimed the
 * connection in between, they reported it, from the live socket, and this
 * record is discarded; if not, the socket was alive for every read. An
 * entry whose destroy run the kernel skipped (tcp_tracepoint_misses) points
 * at freed memory: its state, family and remote port must still make
 * sense. At most SLT_TCP_FLUSH_BATCH records a run, so that userspace
 * drains the ring buffer in between; a reported entry is deleted, and the
 * run returns how many it reported (less than the batch: done). What it
 * leaves is counted as not flushed: connects still waiting for their
 * handshake and entries that failed the checks. */
static __always_inline long flush_visit(__u64 *kp, struct conn *c, __u32 *n, const int atomics)
{
	__u64 key = *kp, start_ns = c->start_ns;
	const struct tcp_sock *tp;
	struct slt_tcp_event *e;
	__u32 state;

	if (c->role == ROLE_LISTENER)
		return 0;
	/* reported at CLOSE, its socket not yet destroyed (the application
	 * still has it): nothing left to report, and nothing lost */
	if ((c->flags & CF_CLOSED) || c->claimed) {
		conn_delete(key, c, atomics);
		return 0;
	}
	if (!c->est_ns)
		return 0;
	tp = tcp_view((const void *)key);
	state = SKC(tp, skc_state);
	if (state == SLT_TCP_CLOSE || state == SLT_TCP_LISTEN || SKC(tp, skc_family) != c->family ||
	    __builtin_bswap16(SKC(tp, skc_dport)) != c->rport)
		return 0;
	/* the ring nearly full (other families write to it too): stop here,
	 * and have userspace drain it and run this again */
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + 4 * sizeof(*e) >
	    bpf_ringbuf_query(&events, BPF_RB_RING_SIZE)) {
		*n = SLT_TCP_FLUSH_BATCH;
		return 1;
	}
	e = close_record(tp, c, SLT_TCP_F_OPEN_AT_END);
	if (!e)
		return 0;
	if (!conn_claim(key, start_ns, c, atomics)) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	conn_delete(key, c, atomics);
	return ++*n >= SLT_TCP_FLUSH_BATCH;
}

static long flush_one(struct bpf_map *map, __u64 *kp, struct conn *c, __u32 *n)
{
	return flush_visit(kp, c, n, 1);
}

static long flush_one_noatomics(struct bpf_map *map, __u64 *kp, struct conn *c, __u32 *n)
{
	return flush_visit(kp, c, n, 0);
}

SEC("syscall")
int flush_socks(void *ctx)
{
	__u32 n = 0;

	bpf_for_each_map_elem(&tcp_socks, flush_one, &n, 0);
	return n;
}

/* the fallback's (no BPF atomics): only a forced fallback has both it and
 * the fallback's claims, since syscall programs came in 5.14 */
SEC("?syscall")
int flush_socks_noatomics(void *ctx)
{
	__u32 n = 0;

	bpf_for_each_map_elem(&tcp_socks, flush_one_noatomics, &n, 0);
	return n;
}
