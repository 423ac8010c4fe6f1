// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The target's run-queue wait, for threads that exit during the run.
 *
 * Measures: for every target thread that exits, the CPU time it had
 * (se.sum_exec_runtime) and the time it spent runnable but waiting for a
 * CPU (sched_info.run_delay, the second field of /proc/PID/schedstat), added
 * into one shared entry (include/slatrace/runq.h). Userspace reads the live
 * threads' figures from /proc at both ends of the run; this program covers
 * the ones /proc can no longer show at the end. Session-level like
 * target.bpf.c, not a family: `slatrace diff` uses the share of the
 * target's time spent waiting to tell a run during which something else
 * took the CPUs from one during which the build got slower (docs/diff.md).
 * Hook: tp_btf/sched_process_exit, once per thread exit (do_exit). The
 * session attaches it before target.bpf.c's program on the same hook, which
 * removes an exiting process from the targets map: attached first, it runs
 * first and still sees the group leader as a target.
 * Cost: the target filter per thread exit on the host; three atomic adds
 * per target thread exit.
 * Precision: an exiting thread's sum_exec_runtime was last brought up to date
 * at its last tick or switch, so it may miss up to a tick of CPU.
 * Needs: BTF, tp_btf (5.5+). run_delay needs CONFIG_SCHED_INFO (schedstats
 * or delay accounting; every distribution kernel has it): without it the
 * thread is counted in no_delay and its wait is taken as 0.
 */
#include "common.bpf.h"
#include "slatrace/runq.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slt_runq_totals);
} exited_totals SEC(".maps");

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *p)
{
	struct slt_runq_totals *t;
	__u32 zero = 0;
	__u64 wait = 0, ins = 0;

	if (!slt_target_match())
		return 0;
	t = bpf_map_lookup_elem(&exited_totals, &zero);
	if (!t)
		return 0;
	if (bpf_core_field_exists(p->sched_info))
	{
		wait = BPF_CORE_READ(p, sched_info.run_delay);
		ins = BPF_CORE_READ(p, sched_info.pcount);
	} else
		__sync_fetch_and_add(&t->no_delay, 1);
	__sync_fetch_and_add(&t->cpu_ns, BPF_CORE_READ(p, se.sum_exec_runtime));
	__sync_fetch_and_add(&t->wait_ns, wait);
	__sync_fetch_and_add(&t->sched_ins, ins);
	__sync_fetch_and_add(&t->threads, 1);
	return 0;
}
