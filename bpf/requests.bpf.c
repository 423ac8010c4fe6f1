// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Requests family: per-request latency of the target's server connections,
 * split into queue time (request bytes waiting in the socket receive queue)
 * and service time (first read of them to the last response byte written).
 *
 * Hooks at the socket layer, not at the syscalls: sock:sock_recv_length and
 * sock:sock_send_length run once per socket read or write (read, readv,
 * recvfrom, recvmsg, recvmmsg, write, writev, sendto, sendmsg, sendmmsg,
 * sendfile and splice to a socket all end there), so the host's other
 * syscalls pay nothing at all; the raw syscall tracepoints would put every
 * syscall of every task through the kernel's slow syscall path and a BPF
 * program (bench/requests.sh measured ~10% of nginx's throughput for empty
 * programs there). tcp:tcp_rcv_space_adjust, inside a TCP read, gives the
 * arrival time of the data read (TCP's own clock of the last packet, us),
 * sock:inet_sock_set_state TCP closes and listening ports. No program
 * runs per packet, and none writes memory another CPU's program uses.
 *
 * A connection is one struct sock, tracked from the target's first read on
 * it: a TCP socket whose local port something listens on (accepted, or
 * inherited, or open before the run), or a Unix stream socket that has the
 * listener's address (accepted); the target's own outgoing connections
 * have neither and are left alone. A request starts at the first read that
 * returns data after the previous response and ends with its last write:
 * at the next request's read, at close, EOF or reset, after an idle time
 * (userspace settles those), or at the end of the run. Each request becomes
 * one ring-buffer record with the first --capture-bytes of the request and
 * the first bytes of the response, copied from the syscall's user buffer
 * (its address from the task's saved registers; the data is already there
 * when the tracepoints run); userspace parses them.
 *
 * Intermediate path, where those two tracepoints are missing (before 6.3)
 * and fexit works (most distribution kernels): the same work at fexit of
 * the socket operations a TCP or Unix stream read or write calls through
 * sock->ops (inet_, inet6_, unix_stream_ recvmsg and sendmsg; sendpage,
 * where sendfile and splice go before 6.5). They run once per socket read
 * or write, as the tracepoints do, and see what they see; the host's other
 * syscalls pay nothing. bench/req_hooks.sh, on 6.1: ~5 runs per nginx
 * request against the syscall exit's ~33, and a getppid() of an unrelated
 * process +0 ns against ~+1 us under qemu.
 *
 * Fallback path, where neither is there:
 * the same work at raw_syscalls:sys_exit (tp_btf), in two programs, one for
 * the reads (read, readv, recvfrom, recvmsg) and one for the writes (write,
 * writev, sendto, sendmsg), each small enough for a 6.1 verifier; the
 * socket is found from the fd. Every syscall exit on the host pays a
 * compare of the syscall number, and the target's reads and writes an fd
 * lookup. It does not see sendfile, splice, recvmmsg and sendmmsg (a
 * response sent with sendfile is not seen past the headers written before
 * it). The TCP arrival time is the same (tcp_rcv_space_adjust runs inside
 * the read either way); a Unix client's write is found from its fd.
 *
 * Needs: BTF, tp_btf, a ring buffer; the preferred path the
 * sock_recv_length/sock_send_length tracepoints (Linux 6.3+). Unix sockets have no receive-queue clock:
 * their arrival is the client's write (sock_send_length of the peer),
 * kept for connections not read yet when the socket has the address of a
 * listener the target was seen serving; so only the first connection to
 * each of its Unix listeners counts as queue_time_unknown.
 * Syscall numbers (to find the payload) are x86_64's.
 */
#include "common.bpf.h"
#include "core_fixes.bpf.h"
#include "slatrace/requests.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SLT_NR_READ 0
#define SLT_NR_WRITE 1
#define SLT_NR_READV 19
#define SLT_NR_WRITEV 20
#define SLT_NR_SENDTO 44
#define SLT_NR_RECVFROM 45
#define SLT_NR_SENDMSG 46
#define SLT_NR_RECVMSG 47

#define SLT_SOCK_STREAM 1
#define SLT_AF_UNIX 1
#define SLT_AF_INET 2
#define SLT_AF_INET6 10
#define SLT_IPPROTO_TCP 6
#define SLT_MSG_PEEK 2
#define SLT_ECONNRESET 104
#define SLT_EPIPE 32
#define SLT_PF_IO_WORKER 0x10
#define SLT_PF_KTHREAD 0x00200000

#define SLT_TCP_FIN_WAIT1 4
#define SLT_TCP_CLOSE 7
#define SLT_TCP_LAST_ACK 9
#define SLT_TCP_LISTEN 10

const volatile __u32 targ_capture_bytes = 256;
const volatile __u16 targ_port = 0; /* only connections on this local port */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLT_MAX_CONNS);
	__type(key, __u64); /* struct sock * */
	__type(value, struct slt_req_conn);
} conns SEC(".maps");

/* The time the data a TCP read is about to return arrived, taken inside
 * the read (tcp:tcp_rcv_space_adjust, before TCP refreshes its clock) and
 * used by sock_recv_length right after, on the same CPU: no lookup, and
 * nothing written to memory another CPU owns. */
struct arrival {
	__u64 sk;
	__u64 ns;
	__u32 pid;
	__u32 valid;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct arrival);
} arrival_slot SEC(".maps");

/* SLT_PORT_* bits by local port (index 0: Unix sockets). An array: the
 * test every TCP state change on the host pays is one inlined load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLT_NPORTS);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

/* Set flag (one SLT_PORT_* bit) in a ports value: a store of the one byte
 * that holds it, which no store of another flag's byte can undo. */
static __always_inline void port_mark(__u32 *pf, __u32 flag)
{
	__u32 k = flag >= 0x100u ? 1 : 0;

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	k = 3 - k;
#endif
	((volatile __u8 *)pf)[k] = (__u8)(flag >> (flag >= 0x100u ? 8 : 0));
}

/* Unix: the addresses (struct unix_address *) of the target's listeners,
 * learnt from the connections it reads: its accepted sockets share their
 * listener's. Writes to a socket with one of them are requests on their
 * way to the target, on connections it has not read yet. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u32);
} unix_listeners SEC(".maps");

/* Unix: when data last arrived on a server socket of the target that is
 * not tracked yet (accepted and not read, or not even accepted: the wait
 * in the listen backlog is queue time too), by struct sock. Taken by the
 * connection's first read. Every write overwrites it, so a sock reused
 * after an entry was left behind is timed by its own first write. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, __u64);
} unix_early SEC(".maps");

/* scratch for building a conn (too big for the stack) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slt_req_conn);
} conn_scratch SEC(".maps");

/* The registers the current syscall was entered with, or NULL where they
 * say nothing about this socket operation (kernel threads, io_uring). */
static __always_inline struct pt_regs *syscall_regs(void)
{
	struct task_struct *t;

	/* first: a kernel without bpf_task_pt_regs (5.15) may lack
	 * bpf_get_current_task_btf (5.11) too */
	if (!slt_have_task_pt_regs())
		return NULL;
	t = bpf_get_current_task_btf();
	if (t->flags & (SLT_PF_IO_WORKER | SLT_PF_KTHREAD))
		return NULL;
	return (struct pt_regs *)bpf_task_pt_regs(t);
}

/* User address and length of the data a read/write moved, by syscall; 0
 * when it has no user buffer (sendfile, splice) or several (mmsg). */
static __always_inline __u64 data_ptr(struct pt_regs *regs, __u32 *len)
{
	struct iovec *iov = NULL;
	struct user_msghdr *msg;
	struct iovec v = {};
	__u64 nr, buf;

	if (!regs)
		return 0;
	nr = regs->orig_ax;
	buf = regs->si;
	*len = (__u32)regs->dx;
	if (!buf)
		return 0;
	switch (nr) {
	case SLT_NR_READ: case SLT_NR_WRITE: case SLT_NR_RECVFROM: case SLT_NR_SENDTO:
		return buf;
	case SLT_NR_READV: case SLT_NR_WRITEV:
		iov = (struct iovec *)buf;
		break;
	case SLT_NR_RECVMSG: case SLT_NR_SENDMSG:
		msg = (struct user_msghdr *)buf;
		if (bpf_probe_read_user(&iov, sizeof(iov), &msg->msg_iov))
			return 0;
		break;
	default:
		return 0;
	}
	if (!iov || bpf_probe_read_user(&v, sizeof(v), iov))
		return 0;
	*len = v.iov_len > 0xffffffffu ? 0xffffffffu : (__u32)v.iov_len;
	return (__u64)v.iov_base;
}

static __always_inline __u32 syscall_fd(struct pt_regs *regs)
{
	return regs ? (__u32)regs->di : ~0u;
}

/* Copy n (<= room, a constant <= SLT_CHUNK) bytes of user memory at p
 * into dst, a map value with room bytes of room, through the stack: with hardened usercopy
 * (CONFIG_HARDENED_USERCOPY) the kernel checks every probe-read
 * destination, and a heap object (a map value) costs it a slab walk; a
 * stack one a compare. The whole chunk is stored (zeros past n): no branch
 * per word, so the verifier has one path to walk, not sixteen. */
#define SLT_CHUNK 128
static __always_inline int read_user_chunk(__u8 *dst, const __u32 room, __u32 len, __u64 p)
{
	__u64 buf[SLT_CHUNK / 8] = {}, n = len;

	/* a 64-bit bound the verifier can see, whatever clang makes of len */
	asm volatile("" : "+r"(n));
	if (!n || n > room || n > SLT_CHUNK || bpf_probe_read_user(buf, n, (void *)p))
		return -1;
#pragma unroll
	for (int i = 0; i < room / 8 && i < SLT_CHUNK / 8; i++)
		((__u64 *)dst)[i] = buf[i];
	return 0;
}

/* The inode number of the socket behind sk: tells a reused struct sock
 * from the connection we knew (Unix sockets have no close tracepoint). */
static __always_inline __u64 sock_ino(const struct sock *sk)
{
	struct socket *sock = BPF_CORE_READ(sk, sk_socket);
	struct socket_alloc *sa;

	if (!sock)
		return 0;
	sa = container_of(sock, struct socket_alloc, socket);
	return BPF_CORE_READ(sa, vfs_inode.i_ino);
}

/* The request in progress is complete: send it (only the bytes it holds)
 * and start over. */
static __always_inline void finalize(struct slt_req_conn *c, __u32 why, __u64 now)
{
	struct slt_req_event *e = &c->ev;
	__u32 n = e->req_cap;

	if (c->state == SLT_CONN_IDLE)
		return;
	e->hdr.ts_ns = now;
	e->hdr.cpu = bpf_get_smp_processor_id();
	e->flags |= why | (c->state == SLT_CONN_READING ? SLT_REQ_F_NO_RESPONSE : 0);
	if (n > SLT_REQ_CAP_MAX)
		n = SLT_REQ_CAP_MAX;
	if (bpf_ringbuf_output(&events, e, SLT_REQ_EVENT_HEAD + ((n + 7) & ~7u), slt_rb_flags()))
		slt_drop(SLT_DROP_RINGBUF);
	c->state = SLT_CONN_IDLE;
	e->flags = 0;
	e->req_bytes = 0;
	e->resp_bytes = 0;
	e->req_cap = 0;
	e->more_bytes = 0;
	e->resp_cap = 0;
	e->first_write_ns = 0;
	e->last_write_ns = 0;
}

static __always_inline void conn_end(struct slt_req_conn *c, __u64 key, __u32 why)
{
	finalize(c, why, bpf_ktime_get_ns());
	bpf_map_delete_elem(&conns, &key);
}

/* Start tracking sk if it is a server connection of the target. */
static __always_inline struct slt_req_conn *conn_new(struct sock *sk, __u64 key)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family), lport = 0;
	struct slt_req_conn *c;
	struct unix_address *ua = NULL;
	__u32 zero = 0, one = 1, idx, *pf;
	__u64 uaddr, *early;

	/* CO-RE reads: on the fallback path sk comes out of the fd table,
	 * not from a tracepoint's typed argument */
	if (BPF_CORE_READ(sk, sk_type) != SLT_SOCK_STREAM)
		return NULL;
	if (family == SLT_AF_INET || family == SLT_AF_INET6) {
		if (BPF_CORE_READ(sk, sk_protocol) != SLT_IPPROTO_TCP)
			return NULL;
		lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		if (targ_port && lport != targ_port)
			return NULL;
	} else if (family == SLT_AF_UNIX) {
		if (targ_port)
			return NULL;
		/* an accepted Unix socket carries its listener's address; the
		 * target's own client sockets have none */
		ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
		if (!ua)
			return NULL;
	} else {
		return NULL;
	}
	idx = lport;
	pf = bpf_map_lookup_elem(&ports, &idx);
	if (!pf)
		return NULL;
	/* TCP: a port something listens on, not one of the target's own
	 * outgoing connections */
	if (family != SLT_AF_UNIX && !(*pf & (SLT_PORT_LISTEN | SLT_PORT_TARGET)))
		return NULL;
	if (!(*pf & SLT_PORT_TARGET))
		port_mark(pf, SLT_PORT_TARGET);

	c = bpf_map_lookup_elem(&conn_scratch, &zero);
	if (!c)
		return NULL;
	__builtin_memset(c, 0, offsetof(struct slt_req_conn, ev.resp));
	c->ev.hdr.kind = SLT_EV_REQUEST;
	c->ev.family = family;
	c->ev.lport = lport;
	c->ev.fd = ~0u;
	bpf_get_current_comm(c->ev.comm, sizeof(c->ev.comm));
	if (ua) {
		bpf_probe_read_kernel_str(c->ev.unix_path, sizeof(c->ev.unix_path),
					  &ua->name[0].sun_path);
		c->ino = sock_ino(sk);
		uaddr = (__u64)ua;
		bpf_map_update_elem(&unix_listeners, &uaddr, &one, BPF_ANY);
		early = bpf_map_lookup_elem(&unix_early, &key);
		if (early) {
			c->unix_arrive_ns = *early;
			bpf_map_delete_elem(&unix_early, &key);
		}
	}
	c->state = SLT_CONN_IDLE;
	if (bpf_map_update_elem(&conns, &key, c, BPF_NOEXIST)) {
		slt_drop(SLT_DROP_MAP_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&conns, &key);
}

/* when the data of this read arrived (0: unknown), from the slot the
 * tcp_rcv_space_adjust program filled inside the same read */
static __always_inline __u64 arrival_of(__u64 key)
{
	struct arrival *a;
	__u32 zero = 0;
	__u64 ns = 0;

	a = bpf_map_lookup_elem(&arrival_slot, &zero);
	if (!a)
		return 0;
	if (a->valid && a->sk == key && a->pid == (__u32)bpf_get_current_pid_tgid())
		ns = a->ns;
	a->valid = 0;
	return ns;
}

/* Unix: when the client's data arrived, as its write returned (the data
 * is in our receive queue then); consumed by every read, so a write that
 * comes while a request is being read belongs to the read after it */
static __always_inline __u64 unix_arrival(struct slt_req_conn *c)
{
	__u64 t = c->unix_arrive_ns;

	if (t)
		c->unix_arrive_ns = 0;
	return t;
}

/* The request line of a known method starts r (4 bytes valid): GET, HEAD,
 * POST, PUT, DELETE, PATCH, OPTIONS, CONNECT, TRACE. */
static __always_inline int http_method4(const __u8 *r)
{
	__u32 w = r[0] | r[1] << 8 | r[2] << 16 | (__u32)r[3] << 24;

#define SLT_W(a, b, c, d) ((__u32)(a) | (b) << 8 | (c) << 16 | (__u32)(d) << 24)
	return w == SLT_W('G', 'E', 'T', ' ') || w == SLT_W('H', 'E', 'A', 'D') ||
	       w == SLT_W('P', 'O', 'S', 'T') || w == SLT_W('P', 'U', 'T', ' ') ||
	       w == SLT_W('D', 'E', 'L', 'E') || w == SLT_W('P', 'A', 'T', 'C') ||
	       w == SLT_W('O', 'P', 'T', 'I') || w == SLT_W('C', 'O', 'N', 'N') ||
	       w == SLT_W('T', 'R', 'A', 'C');
#undef SLT_W
}

/*
 * Follow the turn: the bytes of this read (at user address p, turn offsets
 * [before, before + ret)) that req[] could not hold go to userspace as
 * they are, in more records, up to SLT_FOLLOW_MAX bytes a turn, so that
 * pipelined requests past the capture are counted and classed. Only on
 * HTTP connections; only contiguous with what was already sent (after a
 * gap, userspace sees fewer bytes than req_bytes and says so). Costs one
 * record per SLT_MORE_CAP bytes on reads longer than the capture.
 */
static __always_inline void follow(struct slt_req_conn *c, __u64 p, __u64 before, long ret,
				   __u32 len)
{
	struct slt_req_event *e = &c->ev;
	__u64 from, end = before + ret;
	struct slt_req_more *m;

	if (len < ret)
		end = before + len; /* the rest went to other iovecs: not seen */
	/* Where this piece starts is read back from e on every round, not
	 * carried in a register: each round then ends in the same state
	 * whichever way it went (a whole piece or the last, shorter one), and
	 * the verifier walks the loop once per round instead of once per
	 * combination of ways, up to 2^16: carried, the read program took
	 * 0.7-0.9 million of the verifier's million instructions on 6.18
	 * (the E2BIG a 6.1 verifier gave), read back 15,000-26,000. */
	for (int k = 0; k < SLT_FOLLOW_MAX / SLT_MORE_CAP; k++) {
		__u32 n;

		from = (__u64)e->req_cap + e->more_bytes;
		if (from < before || from >= end || e->more_bytes >= SLT_FOLLOW_MAX)
			break;
		n = end - from > SLT_MORE_CAP ? SLT_MORE_CAP : end - from;
		asm volatile("" : "+r"(n));
		if (!n || n > SLT_MORE_CAP)
			break;
		m = bpf_ringbuf_reserve(&events, sizeof(*m), 0);
		if (!m) {
			slt_drop(SLT_DROP_RINGBUF);
			break;
		}
		if (bpf_probe_read_user(m->data, n, (void *)(p + (from - before)))) {
			bpf_ringbuf_discard(m, 0);
			break;
		}
		m->hdr.kind = SLT_EV_REQ_MORE;
		m->hdr.cpu = bpf_get_smp_processor_id();
		m->hdr.ts_ns = bpf_ktime_get_ns();
		m->read_ns = e->read_ns;
		m->tgid = e->tgid;
		m->fd = e->fd;
		m->off = from;
		m->len = n;
		bpf_ringbuf_submit(m, slt_rb_flags());
		e->more_bytes += n;
	}
}

static __always_inline void on_read(struct slt_req_conn *c, __u64 key, long ret,
				    struct pt_regs *regs)
{
	__u64 arrive = c->ev.family == SLT_AF_UNIX ? unix_arrival(c) : arrival_of(key);
	__u64 now = bpf_ktime_get_ns(), p, p0;
	struct slt_req_event *e = &c->ev;
	__u32 off, sz, len = 0;
	__u64 before;

	if (c->state == SLT_CONN_RESPONDING)
		finalize(c, 0, now);
	if (c->state == SLT_CONN_IDLE) {
		c->state = SLT_CONN_READING;
		e->read_ns = now;
		e->arrive_ns = arrive && arrive <= now ? arrive : now;
		e->flags = arrive && arrive <= now ? SLT_REQ_F_QUEUE_KNOWN : 0;
		e->tgid = bpf_get_current_pid_tgid() >> 32;
		e->fd = syscall_fd(regs);
		e->more_bytes = 0;
		if (c->http)
			e->flags |= SLT_REQ_F_HTTP_CONN;
	}
	before = e->req_bytes;
	e->req_bytes += ret;
	p0 = p = data_ptr(regs, &len);
	off = e->req_cap;
	if (!p || off >= targ_capture_bytes || off >= SLT_REQ_CAP_MAX)
		goto follow;
	sz = targ_capture_bytes - off;
	if (sz > ret)
		sz = ret;
	if (sz > len)
		sz = len;
	for (int k = 0; k < SLT_REQ_CAP_MAX / SLT_CHUNK; k++) {
		__u32 n = sz > SLT_CHUNK ? SLT_CHUNK : sz;

		/* keep the compiler from folding the bounds the verifier needs */
		asm volatile("" : "+r"(n), "+r"(off));
		if (!n || off >= SLT_REQ_CAP_MAX || read_user_chunk(&e->req[off], SLT_CHUNK, n, p))
			break;
		off += n;
		sz -= n;
		p += n;
		e->req_cap = off;
	}
follow:
	if (before == 0 && e->req_cap >= 4 && http_method4(e->req))
		c->http = 1;
	if (c->http && p0)
		follow(c, p0, before, ret, len);
}

/* Is the write of n bytes in r (all of it) an interim HTTP answer, such as
 * "100 Continue" or "103 Early Hints"? Then the request goes on: its body
 * is still to come, and its response after it. Not 101: that one is final
 * (the connection switches protocols). */
static __always_inline int http_interim(const __u8 *r, __u32 n, long ret)
{
	__u32 end = n - 4;

	if (n < 12 || n != ret || n > SLT_RESP_CAP)
		return 0;
	if (r[0] != 'H' || r[1] != 'T' || r[2] != 'T' || r[3] != 'P' || r[4] != '/' || r[5] != '1' ||
	    r[6] != '.' || r[8] != ' ' || r[9] != '1' || (r[10] == '0' && r[11] == '1'))
		return 0;
	/* one whole head, nothing after it */
	end &= SLT_RESP_CAP - 1;
	return r[end] == '\r' && r[(end + 1) & (SLT_RESP_CAP - 1)] == '\n' &&
	       r[(end + 2) & (SLT_RESP_CAP - 1)] == '\r' && r[(end + 3) & (SLT_RESP_CAP - 1)] == '\n';
}

static __always_inline void on_write(struct slt_req_conn *c, long ret, struct pt_regs *regs)
{
	struct slt_req_event *e = &c->ev;
	__u64 now = bpf_ktime_get_ns(), p;
	__u32 sz, len = 0;

	if (c->state == SLT_CONN_IDLE)
		return; /* a greeting, or unsolicited data: not a response */
	if (c->state == SLT_CONN_READING) {
		p = data_ptr(regs, &len);
		sz = ret > SLT_RESP_CAP ? SLT_RESP_CAP : ret;
		if (sz > len)
			sz = len;
		if (p && !read_user_chunk(e->resp, SLT_RESP_CAP, sz, p)) {
			if (http_interim(e->resp, sz, ret)) {
				e->flags |= SLT_REQ_F_INTERIM;
				return;
			}
			e->resp_cap = sz;
		}
		c->state = SLT_CONN_RESPONDING;
		e->first_write_ns = now;
	}
	e->resp_bytes += ret;
	e->last_write_ns = now;
}

/* EAGAIN and the like: nothing happened */
static __always_inline int read_failed(long ret)
{
	return ret < 0 && ret != -SLT_ECONNRESET && ret != -SLT_EPIPE;
}

/* A read by the target on sk returned ret (its syscall's registers: regs,
 * or NULL), both paths. */
static __always_inline void recv_done(struct sock *sk, long ret, struct pt_regs *regs)
{
	struct slt_req_conn *c;
	__u64 key = (__u64)sk;

	c = bpf_map_lookup_elem(&conns, &key);
	if (c && c->ino && c->ino != sock_ino(sk)) {
		/* a Unix connection closed unseen and its sock reused */
		conn_end(c, key, SLT_REQ_F_CLOSED);
		c = NULL;
	}
	if (!c) {
		if (ret <= 0)
			return;
		c = conn_new(sk, key);
		if (!c)
			return;
	}
	if (ret > 0) {
		on_read(c, key, ret, regs);
	} else {
		if (ret < 0)
			c->ev.flags |= SLT_REQ_F_RESET;
		conn_end(c, key, 0); /* EOF or reset: the client is gone */
	}
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(handle_recv, struct sock *sk, int ret, int flags)
{
	/* a peek leaves the data for the read that follows */
	if (read_failed(ret) || (flags & SLT_MSG_PEEK) || !slt_target_match())
		return 0;
	recv_done(sk, ret, syscall_regs());
	return 0;
}

/* Any process's write to a Unix stream socket puts the data in its peer's
 * receive queue at once: if the peer is a server socket of the target,
 * that is its next request's arrival (the last write before the server's
 * read, as TCP's is the last segment's). Unix sockets have no
 * receive-queue clock of their own. */
static __always_inline void unix_write_arrives(struct sock *sk)
{
	struct unix_sock *u;
	struct slt_req_conn *c;
	__u64 key, uaddr, now;
	__u32 zero = 0, *pf;

	/* nothing to stamp until the target has served a Unix connection:
	 * other processes' Unix traffic (D-Bus, journald) pays one load */
	pf = bpf_map_lookup_elem(&ports, &zero);
	if (!pf || !(*pf & SLT_PORT_TARGET))
		return;
	/* CO-RE reads (not bpf_skc_to_unix_sock): on the fallback path sk
	 * comes out of the fd table; the caller saw AF_UNIX */
	u = (struct unix_sock *)sk;
	if (BPF_CORE_READ(sk, sk_type) != SLT_SOCK_STREAM)
		return;
	key = (__u64)BPF_CORE_READ(u, peer);
	if (!key)
		return;
	now = bpf_ktime_get_ns();
	c = bpf_map_lookup_elem(&conns, &key);
	if (c) {
		c->unix_arrive_ns = now;
		return;
	}
	/* not read by the target yet: is it one of its listeners' sockets? */
	uaddr = (__u64)BPF_CORE_READ((struct unix_sock *)key, addr);
	if (uaddr && bpf_map_lookup_elem(&unix_listeners, &uaddr))
		bpf_map_update_elem(&unix_early, &key, &now, BPF_ANY);
}

/* A write by the target on sk returned ret, both paths. */
static __always_inline void send_done(struct sock *sk, long ret, struct pt_regs *regs)
{
	struct slt_req_conn *c;
	__u64 key = (__u64)sk;

	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return; /* not a server connection of the target */
	if (ret > 0) {
		on_write(c, ret, regs);
	} else if (ret == -SLT_ECONNRESET || ret == -SLT_EPIPE) {
		c->ev.flags |= SLT_REQ_F_RESET;
		conn_end(c, key, 0);
	}
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(handle_send, struct sock *sk, int ret, int flags)
{
	/* the writer is the client: before the target test */
	if (ret > 0 && sk->__sk_common.skc_family == SLT_AF_UNIX)
		unix_write_arrives(sk);
	if (!slt_target_match())
		return 0;
	send_done(sk, ret, syscall_regs());
	return 0;
}

/* TCP: ports that start listening, and connections the server closes or
 * that are reset or torn down (Unix sockets have no such tracepoint: their
 * closes are seen as EOF, an idle time, or a reused sock) */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 idx = sk->__sk_common.skc_num, *pf;
	struct slt_req_conn *c;
	__u64 key = (__u64)sk;

	pf = bpf_map_lookup_elem(&ports, &idx);
	if (!pf)
		return 0;
	if (newstate == SLT_TCP_LISTEN) {
		if (!(*pf & SLT_PORT_LISTEN))
			port_mark(pf, SLT_PORT_LISTEN);
		return 0;
	}
	if (!(*pf & SLT_PORT_TARGET) ||
	    (newstate != SLT_TCP_FIN_WAIT1 && newstate != SLT_TCP_LAST_ACK &&
	     newstate != SLT_TCP_CLOSE))
		return 0;
	c = bpf_map_lookup_elem(&conns, &key);
	if (c)
		conn_end(c, key, SLT_REQ_F_CLOSED);
	return 0;
}

/* Inside a TCP read, after the first data is copied and before TCP
 * refreshes its clock: tcp_mstamp is still the time (us) of the last
 * packet received (or sent) on the socket, which for a request waiting in
 * the receive queue is when its last segment arrived. */
SEC("tp_btf/tcp_rcv_space_adjust")
int BPF_PROG(handle_rcv_space, struct sock *sk)
{
	struct tcp_sock *tp;
	struct arrival *a;
	__u32 zero = 0;

	if (!slt_target_match())
		return 0;
	a = bpf_map_lookup_elem(&arrival_slot, &zero);
	/* a read that spans several packets: the first call is the one */
	if (!a || (a->valid && a->sk == (__u64)sk))
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return 0;
	a->sk = (__u64)sk;
	a->ns = tp->tcp_mstamp * 1000;
	a->pid = (__u32)bpf_get_current_pid_tgid();
	a->valid = 1;
	return 0;
}

/* ---- the intermediate path: fexit on the socket operations, before 6.3 ---- */

/*
 * The functions a socket's file operations and the socket syscalls call
 * through sock->ops for a TCP (IPv4, IPv6) or Unix stream socket, once per
 * read or write, with what the length tracepoints pass: the socket, the
 * result and the read's flags; and sendpage, where sendfile and splice to
 * a socket go on kernels before 6.5 (userspace loads those two only where
 * the kernel has them). Not sock_recvmsg/sock_sendmsg: the compiler
 * inlined sock_sendmsg into its callers on 6.1, and write and writev never
 * reached its out-of-line copy (bench/req_hooks.sh, in the kernel matrix).
 */
static __always_inline void fexit_recv(struct socket *sock, int flags, int ret)
{
	struct sock *sk;

	if (read_failed(ret) || (flags & SLT_MSG_PEEK) || !slt_target_match())
		return;
	sk = BPF_CORE_READ(sock, sk);
	if (sk)
		recv_done(sk, ret, syscall_regs());
}

static __always_inline void fexit_send(struct socket *sock, long ret)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);

	if (!sk)
		return;
	/* the writer is the client: before the target test */
	if (ret > 0 && BPF_CORE_READ(sk, __sk_common.skc_family) == SLT_AF_UNIX)
		unix_write_arrives(sk);
	if (!slt_target_match())
		return;
	send_done(sk, ret, syscall_regs());
}

SEC("?fexit/inet_recvmsg")
int BPF_PROG(handle_inet_recvmsg, struct socket *sock, struct msghdr *msg, size_t size, int flags,
	     int ret)
{
	fexit_recv(sock, flags, ret);
	return 0;
}

SEC("?fexit/inet6_recvmsg")
int BPF_PROG(handle_inet6_recvmsg, struct socket *sock, struct msghdr *msg, size_t size, int flags,
	     int ret)
{
	fexit_recv(sock, flags, ret);
	return 0;
}

SEC("?fexit/unix_stream_recvmsg")
int BPF_PROG(handle_unix_recvmsg, struct socket *sock, struct msghdr *msg, size_t size, int flags,
	     int ret)
{
	fexit_recv(sock, flags, ret);
	return 0;
}

SEC("?fexit/inet_sendmsg")
int BPF_PROG(handle_inet_sendmsg, struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
	fexit_send(sock, ret);
	return 0;
}

SEC("?fexit/inet6_sendmsg")
int BPF_PROG(handle_inet6_sendmsg, struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
	fexit_send(sock, ret);
	return 0;
}

SEC("?fexit/unix_stream_sendmsg")
int BPF_PROG(handle_unix_sendmsg, struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
	fexit_send(sock, ret);
	return 0;
}

SEC("?fexit/inet_sendpage")
int BPF_PROG(handle_inet_sendpage, struct socket *sock, struct page *page, int offset, size_t size,
	     int flags, long ret)
{
	fexit_send(sock, ret);
	return 0;
}

SEC("?fexit/unix_stream_sendpage")
int BPF_PROG(handle_unix_sendpage, struct socket *sock, struct page *page, int offset, size_t size,
	     int flags, long ret)
{
	fexit_send(sock, ret);
	return 0;
}

/* ---- the fallback path: raw_syscalls:sys_exit, for kernels before 6.3 ---- */

static __always_inline int is_read_nr(long nr)
{
	return nr == SLT_NR_READ || nr == SLT_NR_READV || nr == SLT_NR_RECVFROM ||
	       nr == SLT_NR_RECVMSG;
}

static __always_inline int is_write_nr(long nr)
{
	return nr == SLT_NR_WRITE || nr == SLT_NR_WRITEV || nr == SLT_NR_SENDTO ||
	       nr == SLT_NR_SENDMSG;
}

/* The reads: regs are the syscall's (its arguments are still in them). */
SEC("?tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit_read, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	struct sock *sk;

	if (!is_read_nr(nr) || read_failed(ret) || !slt_target_match())
		return 0;
	/* recvfrom's flags are its fourth argument, recvmsg's its third */
	if ((nr == SLT_NR_RECVFROM && (regs->r10 & SLT_MSG_PEEK)) ||
	    (nr == SLT_NR_RECVMSG && (regs->dx & SLT_MSG_PEEK)))
		return 0;
	sk = slt_fd_sock((__u32)regs->di);
	if (sk)
		recv_done(sk, ret, regs);
	return 0;
}

/* Has the target served a Unix connection yet? Until then a Unix write of
 * another process is nothing to us, and costs it one load. */
static __always_inline int unix_served(void)
{
	__u32 zero = 0, *pf = bpf_map_lookup_elem(&ports, &zero);

	return pf && (*pf & SLT_PORT_TARGET);
}

/* The writes: the target's responses, and other processes' writes to the
 * target's Unix connections (their arrival). */
SEC("?tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit_write, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	struct sock *sk = NULL;
	int looked = 0;

	if (!is_write_nr(nr))
		return 0;
	/* the writer is the client: before the target test */
	if (ret > 0 && unix_served()) {
		sk = slt_fd_sock((__u32)regs->di);
		looked = 1;
		if (sk && BPF_CORE_READ(sk, __sk_common.skc_family) == SLT_AF_UNIX)
			unix_write_arrives(sk);
	}
	if (!slt_target_match())
		return 0;
	if (!looked)
		sk = slt_fd_sock((__u32)regs->di);
	if (sk)
		send_done(sk, ret, regs);
	return 0;
}
