// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Syscalls family: per-syscall count, errors by errno, total time and a
 * latency histogram, for the target, aggregated entirely in the kernel.
 *
 * Preferred path: tp_btf/sys_enter (remember start time and number in task
 * storage), tp_btf/sys_exit (record the latency into sys_stats[nr], count
 * errors). A thread that exits inside a syscall (its exit or exit_group,
 * or one whose return the target test no longer matched) never reaches
 * sys_exit: tp_btf/sched_process_exit finds its start time still set and
 * counts it in unfinished_at_exit, as the fallback does. Cost: untargeted
 * task: the target test only. Targeted: one task-storage lookup on each
 * side, a bucket computation and three atomic adds; one task-storage lookup
 * per thread exit on the host. Needs: BTF, tp_btf (5.5+), task storage from
 * tracing programs (5.11+), compare-and-swap for the max (5.12+), mmapable
 * arrays (5.5+).
 *
 * Fallback path, for 5.8-5.11 (no task storage for tracing programs, or no
 * compare-and-swap): the
 * same two tracepoints, the start time and number in a preallocated hash
 * map keyed by thread id, inserted at sys_enter and deleted at sys_exit, so
 * it holds only the target's syscalls in flight (a thread in a syscall at
 * once); an insert the full map refuses is counted as lost (map_full). A
 * thread that exits inside a syscall (its exit or exit_group, or a syscall
 * it was killed in by another thread's exit_group or execve) never reaches
 * sys_exit: tp_btf/sched_process_exit deletes its entry, for every thread
 * of the host (the target test could have changed its answer since the
 * entry: an execve into another comm), and counts the ones it found in
 * unfinished_at_exit. A thread other than the leader that calls execve
 * returns from it with the leader's thread id (de_thread): on success
 * tp_btf/sched_process_exec moves its entry to the new id. Cost: a hash
 * insert and a lookup and delete per targeted syscall in place of the two
 * task-storage lookups; one hash delete per thread exit on the host, a
 * compare per exec; the max kept per CPU (sys_max), a per-CPU array lookup.
 * Needs: BTF, tp_btf (5.5+), mmapable arrays (5.5+).
 */
#include "common.bpf.h"
#include "slatrace/syscalls.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct sys_start {
	__u64 ts_ns;
	__u64 nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sys_start);
} starts SEC(".maps");

/* Read by userspace through mmap, without a syscall per drain. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, SLT_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct slt_sys_stat);
} sys_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct slt_sys_err_key);
	__type(value, __u64);
} sys_errors SEC(".maps");

/* The fallback's syscalls in flight, by thread id; userspace creates only
 * the map of the path it takes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLT_SYS_INFLIGHT_MAX);
	__type(key, __u32);
	__type(value, struct sys_start);
} inflight SEC(".maps");

/* The fallback's latency maxima, by syscall number, per CPU: its programs
 * hold no compare-and-swap (5.12, bpf/core_fixes.bpf.h); userspace takes
 * the largest over CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLT_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u64);
} sys_max SEC(".maps");

/* both paths: syscalls a target thread entered and was still inside when
 * it exited; read by userspace through the mmapped .bss */
__u64 unfinished_at_exit = 0;

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	struct sys_start *s;

	if (!slt_target_match())
		return 0;
	s = bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		slt_drop(SLT_DROP_NO_STORAGE);
		return 0;
	}
	s->nr = id;
	s->ts_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline void count_error(__u32 nr, __u32 err)
{
	struct slt_sys_err_key key = { .nr = nr, .err = err };
	__u64 one = 1, *n;

	n = bpf_map_lookup_elem(&sys_errors, &key);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	if (bpf_map_update_elem(&sys_errors, &key, &one, BPF_NOEXIST)) {
		/* lost the race to insert: the key now exists */
		n = bpf_map_lookup_elem(&sys_errors, &key);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			slt_drop(SLT_DROP_MAP_FULL);
	}
}

/* a syscall of the target's, nr, done after lat_ns with ret: into its
 * histogram and error counts (both paths; cas: the preferred path's max by
 * compare-and-swap, else the fallback's per CPU) */
static __always_inline void record_syscall(__u32 nr, __u64 lat_ns, long ret, const int cas)
{
	struct slt_sys_stat *st;

	if (nr >= SLT_MAX_SYSCALLS) {
		slt_drop(SLT_DROP_OUT_OF_RANGE);
		return;
	}
	st = bpf_map_lookup_elem(&sys_stats, &nr);
	if (!st)
		return;
	if (cas)
		slt_hist_record(&st->hist, lat_ns);
	else
		slt_hist_record_cpu_max(&st->hist, lat_ns, bpf_map_lookup_elem(&sys_max, &nr));
	if (ret < 0 && ret >= -(long)SLT_MAX_ERRNO) {
		__sync_fetch_and_add(&st->errors, 1);
		count_error(nr, (__u32)-ret);
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct sys_start *s;
	__u64 now, start;
	__u32 nr;

	if (!slt_target_match())
		return 0;
	s = bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->ts_ns) /* entered before we attached */
		return 0;
	now = bpf_ktime_get_ns();
	start = s->ts_ns;
	nr = s->nr;
	s->ts_ns = 0;
	record_syscall(nr, now - start, ret, 1);
	return 0;
}

/* Every thread of the host: only a thread that entered a syscall as a
 * target has storage, and its start time is set while it is inside one. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *p)
{
	struct sys_start *s;

	s = bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0, 0);
	if (s && s->ts_ns) {
		s->ts_ns = 0;
		__sync_fetch_and_add(&unfinished_at_exit, 1);
	}
	return 0;
}

/* ---- the fallback path: a hash map by thread id ---- */

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter_map, struct pt_regs *regs, long id)
{
	struct sys_start s;
	__u32 tid;

	if (!slt_target_match())
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	s.nr = id;
	s.ts_ns = bpf_ktime_get_ns();
	/* BPF_ANY: an entry left by a syscall that never returned to this
	 * thread id is overwritten; a new one the full map refuses is lost,
	 * and counted */
	if (bpf_map_update_elem(&inflight, &tid, &s, BPF_ANY))
		slt_drop(SLT_DROP_MAP_FULL);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit_map, struct pt_regs *regs, long ret)
{
	struct sys_start *s;
	__u64 now, start;
	__u32 tid, nr;

	if (!slt_target_match())
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	s = bpf_map_lookup_elem(&inflight, &tid);
	if (!s) /* entered before we attached, or the map was full */
		return 0;
	now = bpf_ktime_get_ns();
	/* read before the delete: a preallocated element is reused at once */
	start = s->ts_ns;
	nr = s->nr;
	bpf_map_delete_elem(&inflight, &tid);
	record_syscall(nr, now - start, ret, 0);
	return 0;
}

/* Every thread of the host, target or not: an entry exists only if the
 * target test held at its sys_enter, and it may not hold now. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit_map, struct task_struct *p)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!bpf_map_delete_elem(&inflight, &tid))
		__sync_fetch_and_add(&unfinished_at_exit, 1);
	return 0;
}

/* An execve by a thread other than the leader returns with the leader's
 * thread id: its entry follows it (old_pid is the id it entered with). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *p, pid_t old_pid)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), old = (__u32)old_pid;
	struct sys_start *s, v;

	if (old == tid)
		return 0;
	s = bpf_map_lookup_elem(&inflight, &old);
	if (!s)
		return 0;
	v = *s;
	bpf_map_delete_elem(&inflight, &old);
	if (bpf_map_update_elem(&inflight, &tid, &v, BPF_ANY))
		slt_drop(SLT_DROP_MAP_FULL);
	return 0;
}
