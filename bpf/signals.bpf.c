// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Signals family: every signal delivered to the target, by signal number
 * and sender (a process, or the kernel), with the time it spent pending:
 * from its generation (kill, tgkill, sigqueue, a timer, a child's exit, a
 * fault) to its delivery to a thread of the target.
 *
 * Hooks: tp_btf/signal_generate remembers each generation in a small FIFO
 * per (receiving process, signal); tp_btf/signal_deliver, run by the
 * receiving thread, takes the oldest and records the pending time under
 * (signal, sender). Both run under the receiver's siglock, so a FIFO is
 * never raced. A delivery whose generation was not seen (generated before
 * the run, the FIFO full or evicted) is counted "untimed" from the sender
 * its siginfo names. A generation that merged into one already pending
 * (standard signals queue once) or that the receiver ignores is counted,
 * not timed: it has no delivery of its own.
 * Cost: signals are rare; each costs a hash lookup or three.
 * Needs: BTF, tp_btf (5.5+); no atomic but the plain add, so it loads on
 * every kernel from 5.8 (core_fixes.bpf.h): a pending time's max is kept
 * per CPU (sig_max, sig_other_max) and merged by userspace.
 */
#include "common.bpf.h"
#include "slatrace/signals.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* include/linux/sched/signal.h, include/uapi/asm-generic/siginfo.h */
#define SEND_SIG_PRIV 1UL
#define SI_USER 0
#define SI_QUEUE (-1)
#define SI_TKILL (-6)
/* include/trace/events/signal.h: enum trace_signal_result */
#define TRACE_SIGNAL_IGNORED 1
#define TRACE_SIGNAL_ALREADY_PENDING 2

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SLT_SIG_PENDING_KEYS);
	__type(key, struct slt_sig_pending_key);
	__type(value, struct slt_sig_pending);
} sig_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLT_SIG_MAX_SENDERS);
	__type(key, struct slt_sig_key);
	__type(value, struct slt_sig_stat);
} sig_stats SEC(".maps");

/* what did not fit in sig_stats, by signal number: "other senders" */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLT_SIG_MAX + 1);
	__type(key, __u32);
	__type(value, struct slt_sig_stat);
} sig_other SEC(".maps");

/*
 * The max pending time of each sig_stats pair, per CPU (no compare-and-swap
 * before Linux 5.12); userspace takes the largest. Same keys and size as
 * sig_stats, and a key enters it first: a pair with a sig_stats entry has
 * one here. Preallocated, so an insert fails only when it is full; its
 * values start zeroed and no entry is ever deleted.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SLT_SIG_MAX_SENDERS);
	__type(key, struct slt_sig_key);
	__type(value, __u64);
} sig_max SEC(".maps");

/* the same for sig_other, by signal number */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLT_SIG_MAX + 1);
	__type(key, __u32);
	__type(value, __u64);
} sig_other_max SEC(".maps");

/* a scratch value to insert from (too large for the BPF stack) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slt_sig_stat);
} sig_zero SEC(".maps");

/*
 * Could the receiving process be the target? signal_generate runs in the
 * sender's context, so the target filter (which reads the current task)
 * cannot answer; this asks the receiver where the mode allows. Under
 * --cgroup it lets everything through: the delivery side decides.
 */
static __always_inline int receiver_may_match(struct task_struct *task, __u32 tgid)
{
	if (targ_mode == SLT_TARGET_ALL)
		return tgid != targ_self_tgid;
	if (targ_mode == SLT_TARGET_PIDLIST) {
		for (int i = 0; i < SLT_MAX_PIDLIST; i++) {
			if (i >= targ_npids)
				break;
			if (targ_pids[i] == tgid)
				return 1;
		}
		return 0;
	}
	if (targ_mode == SLT_TARGET_PIDMAP)
		return bpf_map_lookup_elem(&targets, &tgid) != NULL;
	if (targ_mode == SLT_TARGET_COMM) {
		const __u64 *comm = (const __u64 *)task->comm;

		return tgid != targ_self_tgid && comm[0] == targ_comm[0] && comm[1] == targ_comm[1];
	}
	return 1;
}

/* the receiver filter above is exact in every mode but --cgroup */
static __always_inline int receiver_filter_exact(void)
{
	return targ_mode != SLT_TARGET_CGROUP;
}

static __always_inline int code_is_user(int code)
{
	return code == SI_USER || code == SI_QUEUE || code == SI_TKILL;
}

/*
 * The stats of (sig, sender) and, in *max, this CPU's slot for their max
 * pending time. A pair that cannot have both an entry in sig_max and one in
 * sig_stats is counted, with its max, under the signal's "other senders":
 * so every recorded value has its max recorded too.
 */
static __always_inline struct slt_sig_stat *stat_for(__u32 sig, __u32 sender, __u32 kernel,
						     const char *comm, __u64 **max)
{
	struct slt_sig_key key = {
		.sig = sig,
		.sender_tgid = kernel ? SLT_SIG_SENDER_KERNEL : sender,
		.from_kernel = kernel,
	};
	struct slt_sig_stat *st;
	__u64 zero_max = 0;
	__u32 zero = 0;

	*max = bpf_map_lookup_elem(&sig_max, &key);
	if (!*max) {
		bpf_map_update_elem(&sig_max, &key, &zero_max, BPF_NOEXIST);
		*max = bpf_map_lookup_elem(&sig_max, &key);
		if (!*max)
			goto other;
	}
	st = bpf_map_lookup_elem(&sig_stats, &key);
	if (st)
		return st;
	st = bpf_map_lookup_elem(&sig_zero, &zero);
	if (!st)
		goto other;
	__builtin_memset(st, 0, sizeof(*st) - sizeof(st->hist));
	if (!kernel)
		__builtin_memcpy(st->sender_comm, comm, sizeof(st->sender_comm));
	/* the hist of the scratch value is never written: it stays zero */
	bpf_map_update_elem(&sig_stats, &key, st, BPF_NOEXIST);
	st = bpf_map_lookup_elem(&sig_stats, &key);
	if (st)
		return st;
other:
	/* full: counted under the signal's "other senders" */
	*max = bpf_map_lookup_elem(&sig_other_max, &sig);
	st = bpf_map_lookup_elem(&sig_other, &sig);
	return *max ? st : NULL;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	struct slt_sig_pending_key pk;
	struct slt_sig_pending *p, fresh = {};
	struct slt_sig_stat *st;
	struct slt_sig_gen *g;
	__u32 kernel, sender, slot;
	char comm[16];
	__u64 *max;

	if (sig <= 0 || sig > SLT_SIG_MAX)
		return 0;
	pk.tgid = task->tgid;
	pk.sig = sig;
	if (!receiver_may_match(task, pk.tgid))
		return 0;
	/* SEND_SIG_NOINFO (NULL): a process's kill; SEND_SIG_PRIV: the kernel */
	if ((unsigned long)info == SEND_SIG_PRIV)
		kernel = 1;
	else if (!info)
		kernel = 0;
	else {
		int code = 0;

		/* the comparisons above leave info a plain number to the
		 * verifier: read through the helper */
		bpf_probe_read_kernel(&code, sizeof(code), &info->si_code);
		kernel = !code_is_user(code);
	}
	sender = kernel ? 0 : bpf_get_current_pid_tgid() >> 32;
	__builtin_memset(comm, 0, sizeof(comm));
	if (!kernel)
		bpf_get_current_comm(comm, sizeof(comm));

	if (result == TRACE_SIGNAL_IGNORED || result == TRACE_SIGNAL_ALREADY_PENDING) {
		if (!receiver_filter_exact())
			return 0;
		st = stat_for(sig, sender, kernel, comm, &max);
		if (!st) {
			slt_drop(SLT_DROP_MAP_FULL);
			return 0;
		}
		if (result == TRACE_SIGNAL_IGNORED)
			__sync_fetch_and_add(&st->ignored, 1);
		else
			__sync_fetch_and_add(&st->merged, 1);
		return 0;
	}
	p = bpf_map_lookup_elem(&sig_pending, &pk);
	if (!p) {
		bpf_map_update_elem(&sig_pending, &pk, &fresh, BPF_NOEXIST);
		p = bpf_map_lookup_elem(&sig_pending, &pk);
		if (!p)
			return 0; /* its delivery will be counted untimed */
	}
	if (p->tail - p->head >= SLT_SIG_FIFO)
		return 0; /* FIFO full: this one's delivery is counted untimed */
	slot = p->tail % SLT_SIG_FIFO;
	g = &p->gen[slot & (SLT_SIG_FIFO - 1)];
	g->ts_ns = bpf_ktime_get_ns();
	g->sender_tgid = sender;
	g->from_kernel = kernel;
	__builtin_memcpy(g->comm, comm, sizeof(comm));
	p->tail++;
	return 0;
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(handle_signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	struct slt_sig_pending_key pk;
	struct slt_sig_pending *p;
	struct slt_sig_stat *st;
	struct slt_sig_gen *g;
	char comm[16];
	__u64 now, *max;

	if (sig <= 0 || sig > SLT_SIG_MAX)
		return 0;
	if (!slt_target_match())
		return 0;
	now = bpf_ktime_get_ns();
	pk.tgid = bpf_get_current_pid_tgid() >> 32;
	pk.sig = sig;
	p = bpf_map_lookup_elem(&sig_pending, &pk);
	if (p && p->tail != p->head) {
		g = &p->gen[(p->head % SLT_SIG_FIFO) & (SLT_SIG_FIFO - 1)];
		p->head++;
		st = stat_for(sig, g->sender_tgid, g->from_kernel, g->comm, &max);
		if (!st) {
			slt_drop(SLT_DROP_MAP_FULL);
			return 0;
		}
		slt_hist_record_cpu_max(&st->hist, now > g->ts_ns ? now - g->ts_ns : 0, max);
		return 0;
	}
	/* generated before the run began, or not remembered: the siginfo
	 * still names its sender */
	__builtin_memset(comm, 0, sizeof(comm));
	{
		int code = 0, pid = 0;
		__u32 kernel;

		bpf_probe_read_kernel(&code, sizeof(code), &info->si_code);
		kernel = !code_is_user(code);
		if (!kernel)
			bpf_probe_read_kernel(&pid, sizeof(pid), &info->_sifields._kill._pid);
		st = stat_for(sig, (__u32)pid, kernel, comm, &max);
	}
	if (!st) {
		slt_drop(SLT_DROP_MAP_FULL);
		return 0;
	}
	__sync_fetch_and_add(&st->untimed, 1);
	return 0;
}
