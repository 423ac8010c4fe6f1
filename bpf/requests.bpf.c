// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Requests family: per-request latency of the target's server connections,
 * split into queue time (request bytes waiting in the socket receive queue)
 * and service time (first read of them to the last response byte written).
 *
 * A connection is tracked from accept()/accept4(), or from the first read
 * of an already open stream socket (connections accepted before the run, or
 * inherited). A request starts at the first read that returns data after
 * the previous response, and ends with its last write: when the next request
 * is read, at close(), at EOF/reset, or at the end of the run. Each request
 * becomes one ring-buffer record with the first --capture-bytes of the
 * request and the first bytes of the response; userspace parses them.
 *
 * Hooks: tp_btf/sys_enter and sys_exit (a switch on the syscall number:
 * accept, accept4, connect, read, readv, recvfrom, recvmsg, recvmmsg, write,
 * writev, sendto, sendmsg, sendmmsg, sendfile, splice, close),
 * tp_btf/sk_data_ready (arrival times).
 * Cost: other syscalls: the switch (~130 ns a program run with bpf_stats on,
 * most of it the tracepoint's own dispatch); socket I/O of the target: a
 * task storage access and a hash lookup per syscall, one record per request;
 * sk_data_ready: one hash lookup per data arrival on the host (~220 ns).
 * Needs: BTF, tp_btf, task storage (5.11+), ring buffer, the sk_data_ready
 * tracepoint (6.7+; without it queue time is not measured).
 * Syscall numbers are x86_64's.
 */
#include "common.bpf.h"
#include "slatrace/requests.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SLT_NR_READ 0
#define SLT_NR_WRITE 1
#define SLT_NR_CLOSE 3
#define SLT_NR_READV 19
#define SLT_NR_WRITEV 20
#define SLT_NR_SENDFILE 40
#define SLT_NR_CONNECT 42
#define SLT_NR_ACCEPT 43
#define SLT_NR_SENDTO 44
#define SLT_NR_RECVFROM 45
#define SLT_NR_SENDMSG 46
#define SLT_NR_RECVMSG 47
#define SLT_NR_SPLICE 275
#define SLT_NR_ACCEPT4 288
#define SLT_NR_RECVMMSG 299
#define SLT_NR_SENDMMSG 307

#define SLT_SOCK_STREAM 1
#define SLT_AF_UNIX 1
#define SLT_AF_INET 2
#define SLT_AF_INET6 10
#define SLT_ECONNRESET 104
#define SLT_EPIPE 32
#define SLT_EINPROGRESS 115

#define ST_IDLE 0
#define ST_READING 1
#define ST_RESPONDING 2

#define ROLE_SERVER 0
#define ROLE_CLIENT 1 /* the target's own outgoing connections: not ours */

const volatile __u32 targ_capture_bytes = 256;
const volatile __u16 targ_port = 0; /* only connections on this local port */

struct conn {
	__u64 sk;
	__u64 arrive_ns;
	__u64 read_ns;
	__u64 first_write_ns;
	__u64 last_write_ns;
	__u64 req_bytes;
	__u64 resp_bytes;
	__u32 state;
	__u32 role;
	__u32 flags;
	__u32 req_cap;
	__u32 resp_cap;
	__u16 family;
	__u16 lport;
	__u8 req[2 * SLT_REQ_CAP_MAX]; /* twice the cap: the verifier sees room */
	__u8 resp[2 * SLT_RESP_CAP];
};

struct args {
	__u64 nr;
	__u64 fd;
	__u64 buf;	/* buffer, iovec array or msghdr, by nr */
	__u64 fd2;	/* splice: the other fd */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct args);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLT_MAX_CONNS);
	__type(key, __u64); /* tgid << 32 | fd */
	__type(value, struct conn);
} conns SEC(".maps");

/* fds of the target that are not stream sockets, so they are looked at once */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SLT_MAX_CONNS);
	__type(key, __u64);
	__type(value, __u8);
} notconns SEC(".maps");

/* first data arrival since the last read, per socket */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SLT_MAX_CONNS);
	__type(key, __u64); /* struct sock * */
	__type(value, __u64);
} arrivals SEC(".maps");

/* local ports the target accepts on: arrivals on new connections there are
 * recorded before accept() returns, so a connection's first request has a
 * queue time too */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u16);
	__type(value, __u8);
} ports SEC(".maps");

/* scratch for building a conn (too big for the stack) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct conn);
} conn_scratch SEC(".maps");

static __always_inline int relevant(long nr)
{
	switch (nr) {
	case SLT_NR_READ: case SLT_NR_WRITE: case SLT_NR_CLOSE: case SLT_NR_READV:
	case SLT_NR_WRITEV: case SLT_NR_SENDFILE: case SLT_NR_CONNECT: case SLT_NR_ACCEPT:
	case SLT_NR_SENDTO: case SLT_NR_RECVFROM: case SLT_NR_SENDMSG: case SLT_NR_RECVMSG:
	case SLT_NR_SPLICE: case SLT_NR_ACCEPT4: case SLT_NR_RECVMMSG: case SLT_NR_SENDMMSG:
		return 1;
	}
	return 0;
}

/* Start tracking (tgid, fd) if it is a stream socket we care about. */
static __always_inline struct conn *conn_new(__u64 key, __u32 fd, __u32 role, int accepted)
{
	struct sock *sk = slt_fd_sock(fd);
	__u32 zero = 0;
	__u8 one = 1;
	struct conn *c;
	__u16 family, type, lport;
	__u64 sk_key, *arr;

	if (!sk)
		goto not_ours;
	type = BPF_CORE_READ(sk, sk_type);
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (type != SLT_SOCK_STREAM ||
	    (family != SLT_AF_INET && family != SLT_AF_INET6 && family != SLT_AF_UNIX))
		goto not_ours;
	lport = family == SLT_AF_UNIX ? 0 : BPF_CORE_READ(sk, __sk_common.skc_num);
	if (targ_port && lport != targ_port)
		goto not_ours;
	c = bpf_map_lookup_elem(&conn_scratch, &zero);
	if (!c)
		return NULL;
	__builtin_memset(c, 0, sizeof(struct conn) - sizeof(c->req) - sizeof(c->resp));
	sk_key = (__u64)sk;
	c->sk = sk_key;
	c->role = role;
	c->family = family;
	c->lport = lport;
	if (bpf_map_update_elem(&conns, &key, c, BPF_ANY)) {
		slt_drop(SLT_DROP_MAP_FULL);
		return NULL;
	}
	if (role == ROLE_SERVER) {
		if (accepted && lport)
			bpf_map_update_elem(&ports, &lport, &one, BPF_ANY);
		arr = bpf_map_lookup_elem(&arrivals, &sk_key);
		if (!arr) {
			__u64 z = 0;

			bpf_map_update_elem(&arrivals, &sk_key, &z, BPF_NOEXIST);
		}
	}
	return bpf_map_lookup_elem(&conns, &key);
not_ours:
	bpf_map_update_elem(&notconns, &key, &one, BPF_ANY);
	return NULL;
}

static __always_inline void finalize(struct conn *c, __u32 tgid, __u32 fd, __u32 why)
{
	struct slt_req_event *e;
	if (c->state == ST_IDLE)
		return;
	e = bpf_ringbuf_reserve(&events, SLT_REQ_EVENT_HEAD + ((targ_capture_bytes + 7) & ~7u), 0);
	if (!e) {
		slt_drop(SLT_DROP_RINGBUF);
		goto reset;
	}
	e->hdr.ts_ns = bpf_ktime_get_ns();
	e->hdr.kind = SLT_EV_REQUEST;
	e->hdr.cpu = bpf_get_smp_processor_id();
	e->arrive_ns = c->arrive_ns;
	e->read_ns = c->read_ns;
	e->first_write_ns = c->first_write_ns;
	e->last_write_ns = c->last_write_ns;
	e->req_bytes = c->req_bytes;
	e->resp_bytes = c->resp_bytes;
	e->tgid = tgid;
	e->fd = fd;
	e->flags = c->flags | why | (c->state == ST_READING ? SLT_REQ_F_NO_RESPONSE : 0);
	e->req_cap = c->req_cap;
	e->resp_cap = c->resp_cap;
	e->family = c->family;
	e->lport = c->lport;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->unix_path[0] = 0;
	if (c->family == SLT_AF_UNIX) {
		struct unix_sock *u = (struct unix_sock *)c->sk;
		struct unix_address *a = BPF_CORE_READ(u, addr);

		if (a)
			bpf_probe_read_kernel_str(e->unix_path, sizeof(e->unix_path),
						  &a->name[0].sun_path);
	}
	if ((targ_capture_bytes + 7) & ~7u)
		bpf_probe_read_kernel(e->req, (targ_capture_bytes + 7) & ~7u, c->req);
	bpf_probe_read_kernel(e->resp, SLT_RESP_CAP, c->resp);
	bpf_ringbuf_submit(e, slt_rb_flags());
reset:
	c->state = ST_IDLE;
	c->flags = 0;
	c->req_bytes = 0;
	c->resp_bytes = 0;
	c->req_cap = 0;
	c->resp_cap = 0;
	c->first_write_ns = 0;
	c->last_write_ns = 0;
}

/* user address of the data a read/write moved, by syscall */
static __always_inline __u64 data_ptr(__u64 nr, __u64 buf)
{
	struct iovec *iov = NULL;
	struct user_msghdr *msg;
	void *base = NULL;

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
	if (!iov || bpf_probe_read_user(&base, sizeof(base), &iov->iov_base))
		return 0;
	return (__u64)base;
}

static __always_inline void on_read(struct conn *c, __u64 nr, __u64 buf, long ret, __u32 tgid,
				    __u32 fd, __u64 now)
{
	__u64 *arr, arrive = 0;
	__u32 off, sz;
	__u64 p;

	if (c->state == ST_RESPONDING)
		finalize(c, tgid, fd, 0);
	arr = bpf_map_lookup_elem(&arrivals, &c->sk);
	if (arr) {
		arrive = *arr;
		*arr = 0;
	}
	if (c->state == ST_IDLE) {
		c->state = ST_READING;
		c->read_ns = now;
		c->arrive_ns = arrive && arrive <= now ? arrive : now;
		c->flags = arrive && arrive <= now ? SLT_REQ_F_QUEUE_KNOWN : 0;
	}
	c->req_bytes += ret;
	off = c->req_cap;
	if (off >= targ_capture_bytes || off >= SLT_REQ_CAP_MAX)
		return;
	p = data_ptr(nr, buf);
	if (!p)
		return;
	sz = targ_capture_bytes - off;
	if (sz > ret)
		sz = ret;
	if (sz > SLT_REQ_CAP_MAX)
		sz = SLT_REQ_CAP_MAX;
	asm volatile("" : "+r"(sz), "+r"(off));
	if (off >= SLT_REQ_CAP_MAX || sz > SLT_REQ_CAP_MAX || !sz)
		return;
	if (!bpf_probe_read_user(&c->req[off], sz, (void *)p))
		c->req_cap = off + sz;
}

static __always_inline void on_write(struct conn *c, __u64 nr, __u64 buf, long ret, __u64 now)
{
	__u32 sz;
	__u64 p;

	if (c->state == ST_IDLE)
		return; /* a greeting, or unsolicited data: not a response */
	if (c->state == ST_READING) {
		c->state = ST_RESPONDING;
		c->first_write_ns = now;
		p = data_ptr(nr, buf);
		sz = ret > SLT_RESP_CAP ? SLT_RESP_CAP : ret;
		/* keep the compiler from folding the bound the verifier needs */
		asm volatile("" : "+r"(sz));
		if (p && sz && sz <= SLT_RESP_CAP && !bpf_probe_read_user(c->resp, sz, (void *)p))
			c->resp_cap = sz;
	}
	c->resp_bytes += ret;
	c->last_write_ns = now;
}

static __always_inline int on_sys_enter(long id, __u64 arg0, __u64 arg1, __u64 arg2)
{
	struct args *a;

	if (!slt_target_match())
		return 0;
	a = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a) {
		slt_drop(SLT_DROP_NO_STORAGE);
		return 0;
	}
	a->nr = id;
	a->fd = arg0;
	a->buf = arg1;
	a->fd2 = arg2;
	if (id == SLT_NR_CLOSE) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;
		__u64 key = (__u64)tgid << 32 | (__u32)a->fd;
		struct conn *c = bpf_map_lookup_elem(&conns, &key);

		a->nr = ~0ULL;
		if (c) {
			if (c->role == ROLE_SERVER)
				finalize(c, tgid, (__u32)key, SLT_REQ_F_CLOSED);
			bpf_map_delete_elem(&arrivals, &c->sk);
			bpf_map_delete_elem(&conns, &key);
		} else {
			bpf_map_delete_elem(&notconns, &key);
		}
	}
	return 0;
}

static __always_inline int on_sys_exit(long ret)
{
	__u32 tgid, fd;
	struct conn *c;
	struct args *a;
	__u64 key, nr, now;
	int is_read = 0;

	if (!slt_target_match())
		return 0;
	a = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (!a || a->nr == ~0ULL)
		return 0;
	nr = a->nr;
	a->nr = ~0ULL;
	tgid = bpf_get_current_pid_tgid() >> 32;
	now = bpf_ktime_get_ns();

	switch (nr) {
	case SLT_NR_ACCEPT: case SLT_NR_ACCEPT4:
		if (ret < 0)
			return 0;
		key = (__u64)tgid << 32 | (__u32)ret;
		bpf_map_delete_elem(&notconns, &key);
		conn_new(key, (__u32)ret, ROLE_SERVER, 1);
		return 0;
	case SLT_NR_CONNECT:
		if (ret < 0 && ret != -SLT_EINPROGRESS)
			return 0;
		key = (__u64)tgid << 32 | (__u32)a->fd;
		bpf_map_delete_elem(&notconns, &key);
		conn_new(key, (__u32)a->fd, ROLE_CLIENT, 0);
		return 0;
	case SLT_NR_READ: case SLT_NR_READV: case SLT_NR_RECVFROM: case SLT_NR_RECVMSG:
	case SLT_NR_RECVMMSG:
		is_read = 1;
		fd = (__u32)a->fd;
		break;
	case SLT_NR_SPLICE:
		/* splice(fd_in, off_in, fd_out, ...): a socket on either side */
		fd = (__u32)a->fd;
		key = (__u64)tgid << 32 | fd;
		if (bpf_map_lookup_elem(&conns, &key)) {
			is_read = 1;
		} else {
			fd = (__u32)a->fd2;
		}
		a->buf = 0;
		break;
	default:
		fd = (__u32)a->fd;
		if (nr == SLT_NR_SENDFILE || nr == SLT_NR_SENDMMSG)
			a->buf = 0; /* no payload to capture */
		break;
	}
	if (nr == SLT_NR_RECVMMSG)
		a->buf = 0;
	key = (__u64)tgid << 32 | fd;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c) {
		if (ret <= 0 || bpf_map_lookup_elem(&notconns, &key))
			return 0;
		/* an open socket we have not seen: a server connection if it is
		 * read first, the target's own client connection otherwise */
		c = conn_new(key, fd, is_read ? ROLE_SERVER : ROLE_CLIENT, 0);
		if (!c)
			return 0;
	}
	if (c->role != ROLE_SERVER)
		return 0;
	if (ret <= 0) {
		if (ret == -SLT_ECONNRESET || ret == -SLT_EPIPE)
			c->flags |= SLT_REQ_F_RESET;
		/* EOF or a reset ends the request in flight */
		if (ret == 0 && is_read)
			finalize(c, tgid, fd, 0);
		else if (c->flags & SLT_REQ_F_RESET)
			finalize(c, tgid, fd, 0);
		return 0;
	}
	if (is_read)
		on_read(c, nr, a->buf, ret, tgid, fd, now);
	else
		on_write(c, nr, a->buf, ret, now);
	return 0;
}

/*
 * The raw syscall tracepoints, with a switch on the number. The per-syscall
 * tracepoints (syscalls:sys_enter_read, ...) would run programs only for
 * socket syscalls, but they need 32 perf-event attachments, and the kernel
 * takes ~70 ms to detach each one (an RCU grace period apiece): 2.3 s to
 * stop, for no throughput gain measurable here (bench/requests.sh).
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	if (!relevant(id))
		return 0;
	/* regs is a trusted BTF pointer here: plain loads, no helper call */
	return on_sys_enter(id, regs->di, regs->si, regs->dx);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	/* the number first: a task-storage lookup costs more */
	if (!relevant(regs->orig_ax))
		return 0;
	return on_sys_exit(ret);
}

SEC("?tp_btf/sk_data_ready")
int BPF_PROG(handle_sk_data_ready, const struct sock *sk)
{
	__u64 key = (__u64)sk, *arr, now;
	__u16 lport;

	arr = bpf_map_lookup_elem(&arrivals, &key);
	if (arr) {
		if (!*arr)
			*arr = bpf_ktime_get_ns();
		return 0;
	}
	/* a connection not accepted yet, on a port the target serves */
	lport = sk->__sk_common.skc_num;
	if (!lport || !bpf_map_lookup_elem(&ports, &lport))
		return 0;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&arrivals, &key, &now, BPF_NOEXIST);
	return 0;
}
