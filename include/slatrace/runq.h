/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The target's own run-queue wait and CPU time over a run, kept by the
 * session (bpf/runq.bpf.c, user/core/runq.c), not by a probe family.
 * Userspace reads every target thread's /proc/PID/task/TID/schedstat at the
 * start and the end of the run; a thread that exits in between takes its
 * figures with it, so the kernel side adds each exiting target thread's
 * totals here. The run's figures are then
 *   (end, live threads) + (exited, this struct) - (start, threads then)
 * which counts a thread born and dead inside the run whole, and one that
 * lived across it for the run's part only. One entry, shared by all CPUs
 * (an atomic add per target thread exit).
 */
#ifndef SLATRACE_RUNQ_H
#define SLATRACE_RUNQ_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

struct slt_runq_totals {
	__u64 cpu_ns;	/* se.sum_exec_runtime of the target threads that exited */
	__u64 wait_ns;	/* their sched_info.run_delay: runnable, not running */
	__u64 threads;	/* how many exited */
	__u64 sched_ins; /* their sched_info.pcount: times they were put on a CPU */
	__u64 no_delay;	/* of which the kernel kept no run_delay (!CONFIG_SCHED_INFO) */
};

#endif
