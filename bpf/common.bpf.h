/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by every probe family's BPF object: the target filter, histogram
 * recording and loss accounting. The maps declared here are created once by
 * the session (from bpf/target.bpf.c) and shared with every family through
 * bpf_map__reuse_fd(), so one run has one target set, one ring buffer and
 * one set of loss counters.
 */
#ifndef SLATRACE_COMMON_BPF_H
#define SLATRACE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core_fixes.bpf.h"
#include "slatrace/common.h"
#include "slatrace/hist.h"

/* Set by userspace before load; constant to the verifier, so the branches
 * of other modes are removed and an untargeted task pays for one test. */
const volatile __u32 targ_mode = SLT_TARGET_ALL;
const volatile __u32 targ_self_tgid = 0;
const volatile __u32 targ_npids = 0;
const volatile __u32 targ_pids[SLT_MAX_PIDLIST] = {};
const volatile __u64 targ_comm[SLT_COMM_LEN / 8] = {};
const volatile __u64 targ_rb_wake_bytes = SLT_RINGBUF_BYTES / 8;
/*
 * The -p targets' start times, as /proc/PID/stat gives them (clock ticks
 * since boot), as the range of start_boottime nanoseconds they cover: a
 * process that later gets a target's PID number started later, so it is
 * not the target. 0/0 when unknown: the PID alone decides.
 */
const volatile __u64 targ_pid_start_lo_ns[SLT_MAX_PIDLIST] = {};
const volatile __u64 targ_pid_start_hi_ns[SLT_MAX_PIDLIST] = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLT_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target_cgroup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SLT_RINGBUF_MIN); /* resized by userspace */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLT_DROP_KERNEL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void slt_drop(__u32 stage)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &stage);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* submit flags: wake the reader only when a good part of the ring is full */
static __always_inline __u64 slt_rb_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= targ_rb_wake_bytes
		       ? BPF_RB_FORCE_WAKEUP
		       : BPF_RB_NO_WAKEUP;
}

/* The current task, for CO-RE reads only: bpf_get_current_task_btf(), whose
 * pointer also allows direct loads, is Linux 5.11 (commit 3ca1032ab7ab,
 * "bpf: Add bpf_get_current_task_btf helper"), and 5.10 refuses a program
 * that reaches it; probe reads take the untyped pointer as well. */
static __always_inline struct task_struct *slt_current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/* Is the current task's process the one that had PID slot i's number when
 * the run began? Two loads, paid only by the target's own events. */
static __always_inline int slt_same_start(int i)
{
	struct task_struct *t;
	__u64 st;

	if (!targ_pid_start_hi_ns[i])
		return 1;
	t = slt_current_task();
	st = BPF_CORE_READ(t, group_leader, start_boottime);
	return st >= targ_pid_start_lo_ns[i] && st < targ_pid_start_hi_ns[i];
}

/* tgid must be the current task's (slt_same_start reads the current task) */
static __always_inline int slt_target_match_tgid(__u32 tgid)
{
	if (targ_mode == SLT_TARGET_ALL)
		return tgid != targ_self_tgid;
	if (targ_mode == SLT_TARGET_PIDLIST) {
		for (int i = 0; i < SLT_MAX_PIDLIST; i++) {
			if (i >= targ_npids)
				break;
			if (targ_pids[i] == tgid)
				return slt_same_start(i);
		}
		return 0;
	}
	if (targ_mode == SLT_TARGET_PIDMAP)
		return bpf_map_lookup_elem(&targets, &tgid) != NULL;
	if (targ_mode == SLT_TARGET_COMM) {
		/* the task's comm read in place: bpf_get_current_comm() copies
		 * it with strscpy, several times the cost on hot hooks; before
		 * 5.11, one probe read */
		__u64 c[2] = {};

		if (tgid == targ_self_tgid)
			return 0;
		if (slt_have_task_btf()) {
			const __u64 *comm = (const __u64 *)bpf_get_current_task_btf()->comm;

			return comm[0] == targ_comm[0] && comm[1] == targ_comm[1];
		}
		bpf_core_read(c, sizeof(c), &slt_current_task()->comm);
		return c[0] == targ_comm[0] && c[1] == targ_comm[1];
	}
	if (targ_mode == SLT_TARGET_CGROUP)
		return bpf_current_task_under_cgroup(&target_cgroup, 0) == 1;
	return 0;
}

/* Is the current task one we trace? Called first in every program. */
static __always_inline int slt_target_match(void)
{
	return slt_target_match_tgid(bpf_get_current_pid_tgid() >> 32);
}

#define SLT_S_IFMT 0170000
#define SLT_S_IFSOCK 0140000

/* The socket behind a file, or NULL (CO-RE reads: any kernel with BTF). */
static __always_inline struct sock *slt_file_sock(const struct file *f)
{
	struct socket *sock;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & SLT_S_IFMT) != SLT_S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

/* The current task's socket at fd, or NULL: one probe read into the fd
 * array. */
static __always_inline struct sock *slt_fd_sock(__u32 fd)
{
	struct task_struct *task = slt_current_task();
	struct file **fds, *f = NULL;
	struct fdtable *fdt;

	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return slt_file_sock(f);
}

/* v into h's bucket and sum: atomic adds only, which every kernel has */
static __always_inline void slt_hist_add(struct slt_hist *h, __u64 v)
{
	__u32 s = slt_hist_slot(v);

	if (s >= SLT_HIST_NBUCKETS)
		s = SLT_HIST_NBUCKETS - 1;
	__sync_fetch_and_add(&h->slots[s], 1);
	__sync_fetch_and_add(&h->sum_ns, v);
}

/* Record v into a histogram shared by all CPUs. Its max by compare-and-swap
 * (Linux 5.12: core_fixes.bpf.h); a program that must load without it
 * uses slt_hist_record_cpu_max. */
static __always_inline void slt_hist_record(struct slt_hist *h, __u64 v)
{
	__u64 old;

	slt_hist_add(h, v);
	/* max: a few compare-and-swap rounds; losing all of them needs three
	 * concurrent larger values on one series, and then one of those wins */
	for (int i = 0; i < 3; i++) {
		old = h->max_ns;
		if (v <= old)
			break;
		if (__sync_val_compare_and_swap(&h->max_ns, old, v) == old)
			break;
	}
}

/* The same without compare-and-swap: the max kept in this CPU's own slot
 * (cpu_max, a value of a per-CPU map), which userspace merges over CPUs
 * into h's max. Exact: a tracing program runs with preemption off, so no
 * other writer of this CPU's slot runs between the test and the store. */
static __always_inline void slt_hist_record_cpu_max(struct slt_hist *h, __u64 v, __u64 *cpu_max)
{
	slt_hist_add(h, v);
	if (cpu_max && v > *cpu_max)
		*cpu_max = v;
}

#endif
