// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Target bookkeeping, owned by the session.
 *
 * Measures: nothing itself. Its object creates the maps every family shares
 * (targets, target_cgroup, events, drops; see common.bpf.h). When slatrace
 * follows a command's children (`-- CMD`), it adds each forked child of a
 * traced process to the targets set and removes exited ones, and reports both
 * on the ring buffer. A process has exited when its last thread has, not
 * when its leader has: a leader may end first (pthread_exit), and an execve
 * by another thread kills the old leader (de_thread) and the exec'ing thread
 * carries on under the process's pid.
 * Hooks: tp_btf/sched_process_fork, tp_btf/sched_process_exit.
 * Cost: one hash lookup per fork and per process exit on the host, one load
 * per thread exit.
 * Needs: BTF, tp_btf, ring buffer (5.8+).
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void emit_proc(__u32 kind, __u32 pid, __u32 ppid, __s32 code)
{
	struct slt_proc_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		slt_drop(SLT_DROP_RINGBUF);
		return;
	}
	e->hdr.ts_ns = bpf_ktime_get_ns();
	e->hdr.kind = kind;
	e->hdr.cpu = bpf_get_smp_processor_id();
	e->pid = pid;
	e->ppid = ppid;
	e->exit_code = code;
	e->__pad = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, slt_rb_flags());
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (ptgid == ctgid) /* a new thread: filtered by tgid already */
		return 0;
	if (!bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	if (bpf_map_update_elem(&targets, &ctgid, &one, BPF_ANY)) {
		slt_drop(SLT_DROP_MAP_FULL);
		return 0;
	}
	emit_proc(SLT_EV_PROC_FORK, ctgid, ptgid, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid;

	/* only the last thread's exit ends the process: do_exit counts the
	 * thread out of signal->live before this tracepoint */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	if (bpf_map_delete_elem(&targets, &tgid))
		return 0;
	emit_proc(SLT_EV_PROC_EXIT, tgid, 0, p->exit_code);
	return 0;
}
