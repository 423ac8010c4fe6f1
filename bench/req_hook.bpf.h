/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The hook floors of bench/req_hooks.sh: near-empty programs on each hook
 * the requests family could read and write on, each with the test every
 * program of the family runs first, the target's comm read in place
 * (slt_target_match's -c mode, for the target "nginx"), so that what the
 * hook costs a task that is not the target is measured as the family would
 * pay it.
 */
#ifndef SLT_BENCH_REQ_HOOK_BPF_H
#define SLT_BENCH_REQ_HOOK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* "nginx" as the two words of a task's comm */
#define SLT_BENCH_COMM0 0x000000786e69676eull
#define SLT_BENCH_COMM1 0ull

static __always_inline int slt_bench_target(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	const __u64 *comm = (const __u64 *)t->comm;

	return comm[0] == SLT_BENCH_COMM0 && comm[1] == SLT_BENCH_COMM1;
}

/* what the programs that pass the filter counted: keeps the test from
 * being compiled away */
__u64 hits = 0;

#endif
