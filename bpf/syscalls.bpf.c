// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Syscalls family: per-syscall count, errors by errno, total time and a
 * latency histogram, for the target, aggregated entirely in the kernel.
 *
 * Hooks: tp_btf/sys_enter (remember start time and number in task storage),
 * tp_btf/sys_exit (record the latency into sys_stats[nr], count errors).
 * Cost: untargeted task: the target test only. Targeted: one task-storage
 * lookup on each side, a bucket computation and three atomic adds.
 * Needs: BTF, tp_btf (5.5+), task storage from tracing programs (5.11+),
 * mmapable arrays (5.5+).
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

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct slt_sys_stat *st;
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
	if (nr >= SLT_MAX_SYSCALLS) {
		slt_drop(SLT_DROP_OUT_OF_RANGE);
		return 0;
	}
	st = bpf_map_lookup_elem(&sys_stats, &nr);
	if (!st)
		return 0;
	slt_hist_record(&st->hist, now - start);
	if (ret < 0 && ret >= -(long)SLT_MAX_ERRNO) {
		__sync_fetch_and_add(&st->errors, 1);
		count_error(nr, (__u32)-ret);
	}
	return 0;
}
