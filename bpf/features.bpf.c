// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Feature probes for `slatrace check` and for trace before it loads a family.
 *
 * Measures: nothing about the workload. Each program proves that one kind of
 * hook loads, attaches and actually runs on this kernel: it counts the hits
 * of the checking process itself (targ_tgid) in its own .bss counter, which
 * userspace reads after triggering the hook (getppid(), a short sleep, a
 * call to a function of its own, a busy loop).
 * Hooks: tp/syscalls/sys_enter_getppid, tp_btf/sys_enter, raw_tp/sys_enter,
 * a uprobe and a uretprobe on a function of the slatrace binary, a kprobe
 * and an fentry on a kernel function chosen at run time, a software
 * CPU-clock perf_event, a ring-buffer record (raw_tp/sys_enter) and task
 * local storage (tp_btf/sys_enter), the socket length tracepoints and fexit
 * on unix_stream_sendmsg/recvmsg (a socketpair's write and read).
 * Cost: every program is optional (SEC("?...")) and userspace enables one
 * probe at a time for a few milliseconds: the sys_enter ones cost every task
 * on the host one tgid compare per syscall while they are attached.
 * Needs: global data (5.2+) and whatever each probe tests: BTF and 5.5+ for
 * tp_btf and fentry, 5.8+ for the ring buffer, 5.11+ for task storage.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 targ_tgid = 0;

/* one hit counter per program, read by userspace through the skeleton */
__u64 tp_hits = 0;
__u64 tp_btf_hits = 0;
__u64 raw_tp_hits = 0;
__u64 uprobe_hits = 0;
__u64 uretprobe_hits = 0;
__u64 kprobe_hits = 0;
__u64 fentry_hits = 0;
__u64 perf_event_hits = 0;
__u64 ringbuf_hits = 0;
__u64 task_storage_hits = 0;
__u64 sock_send_hits = 0;
__u64 sock_recv_hits = 0;
__u64 rdonly_cast_hits = 0;
__u64 sockops_fexit_send_hits = 0;
__u64 sockops_fexit_recv_hits = 0;
__u64 atomics_hits = 0;
__u64 task_pt_regs_hits = 0;
/* what the atomics probe works on */
__u64 atomics_word = 0;

/* weak: a kernel without it (before 6.2) fails only the program using it */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* a ring-buffer record: userspace checks it sees the tgid it set */
struct feature_rec {
	__u32 tgid;
	__u32 __pad;
	__u64 ts_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* one page; userspace sets the real page size */
} records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} task_counts SEC(".maps");

static __always_inline int is_self(void)
{
	return (__u32)(bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

static __always_inline void hit(__u64 *counter)
{
	if (is_self())
		__sync_fetch_and_add(counter, 1);
}

SEC("?tp/syscalls/sys_enter_getppid")
int handle_tp_getppid(void *ctx)
{
	hit(&tp_hits);
	return 0;
}

SEC("?tp_btf/sys_enter")
int BPF_PROG(handle_tp_btf_sys_enter, struct pt_regs *regs, long id)
{
	hit(&tp_btf_hits);
	return 0;
}

SEC("?raw_tp/sys_enter")
int handle_raw_tp_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	hit(&raw_tp_hits);
	return 0;
}

/* attached by userspace to a function of its own binary */
SEC("?uprobe")
int handle_uprobe(struct pt_regs *ctx)
{
	hit(&uprobe_hits);
	return 0;
}

SEC("?uretprobe")
int handle_uretprobe(struct pt_regs *ctx)
{
	hit(&uretprobe_hits);
	return 0;
}

/* the kernel function is chosen by userspace (it differs per architecture) */
SEC("?kprobe")
int handle_kprobe(struct pt_regs *ctx)
{
	hit(&kprobe_hits);
	return 0;
}

/* attach target set by userspace with bpf_program__set_attach_target() */
SEC("?fentry")
int BPF_PROG(handle_fentry)
{
	hit(&fentry_hits);
	return 0;
}

SEC("?perf_event")
int handle_perf_event(struct bpf_perf_event_data *ctx)
{
	hit(&perf_event_hits);
	return 0;
}

SEC("?raw_tp/sys_enter")
int handle_ringbuf_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct feature_rec *r;

	if (!is_self())
		return 0;
	r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
	if (!r)
		return 0;
	r->tgid = targ_tgid;
	r->__pad = 0;
	r->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(r, 0);
	/* no fetching atomics (5.12+): this probe must not need more than a
	 * ring buffer does */
	__sync_fetch_and_add(&ringbuf_hits, 1);
	return 0;
}

SEC("?tp_btf/sys_enter")
int BPF_PROG(handle_task_storage_sys_enter, struct pt_regs *regs, long id)
{
	__u64 *n;

	if (!is_self())
		return 0;
	n = bpf_task_storage_get(&task_counts, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!n)
		return 0;
	/* count through the storage, so a hit proves it was created and kept */
	*n += 1;
	if (*n > 1)
		__sync_fetch_and_add(&task_storage_hits, 1);
	return 0;
}

/* the socket layer's own tracepoints (Linux 6.3+), which the requests
 * family hooks: userspace writes to and reads from a socketpair */
SEC("?tp_btf/sock_send_length")
int BPF_PROG(handle_sock_send_length, struct sock *sk, int ret, int flags)
{
	hit(&sock_send_hits);
	return 0;
}

SEC("?tp_btf/sock_recv_length")
int BPF_PROG(handle_sock_recv_length, struct sock *sk, int ret, int flags)
{
	hit(&sock_recv_hits);
	return 0;
}

/* fexit on the socket operations a stream socket's write and read call
 * (through sock->ops, so never inlined), which a family hooks where the
 * socket tracepoints are missing: userspace writes to and reads from a
 * Unix socketpair */
SEC("?fexit/unix_stream_sendmsg")
int BPF_PROG(handle_sockops_fexit_send, struct socket *sock, struct msghdr *msg, size_t len,
	     int ret)
{
	hit(&sockops_fexit_send_hits);
	return 0;
}

SEC("?fexit/unix_stream_recvmsg")
int BPF_PROG(handle_sockops_fexit_recv, struct socket *sock, struct msghdr *msg, size_t size,
	     int flags, int ret)
{
	hit(&sockops_fexit_recv_hits);
	return 0;
}

/* the bpf_rdonly_cast kfunc (6.2+), which the tcp family reads sockets
 * through: a load through its view must see this task's own tgid */
SEC("?tp_btf/sys_enter")
int BPF_PROG(handle_rdonly_cast_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *t;

	if (!is_self())
		return 0;
	t = bpf_rdonly_cast(bpf_get_current_task_btf(),
			    bpf_core_type_id_kernel(struct task_struct));
	if (t->tgid == (int)targ_tgid)
		__sync_fetch_and_add(&rdonly_cast_hits, 1);
	return 0;
}

/* atomic operations beyond add (5.12): a compare-and-swap, a fetch-and-add
 * and an or on one word must each give what they promise; this task's own
 * syscalls only, so one run at a time in practice, and the checks are on
 * values this run wrote */
SEC("?tp_btf/sys_enter")
int BPF_PROG(handle_atomics_sys_enter, struct pt_regs *regs, long id)
{
	__u64 old;

	if (!is_self())
		return 0;
	old = __sync_fetch_and_add(&atomics_word, 0);
	if (__sync_val_compare_and_swap(&atomics_word, old, old | 1) != old)
		return 0;
	__sync_fetch_and_or(&atomics_word, 2);
	if ((atomics_word & 3) == 3)
		__sync_fetch_and_add(&atomics_hits, 1);
	return 0;
}

/* bpf_task_pt_regs() (5.15): the registers this task's syscall was entered
 * with must name the syscall the tracepoint reports */
SEC("?tp_btf/sys_enter")
int BPF_PROG(handle_task_pt_regs_sys_enter, struct pt_regs *regs, long id)
{
	struct pt_regs *r;

	if (!is_self())
		return 0;
	r = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (BPF_CORE_READ(r, orig_ax) == id)
		__sync_fetch_and_add(&task_pt_regs_hits, 1);
	return 0;
}
