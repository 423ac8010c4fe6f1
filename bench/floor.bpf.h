/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The floors of the benchmarks: empty programs on a family's hooks, whose
 * cost is the price of being attached at all. One line a program.
 */
#ifndef SLT_BENCH_FLOOR_BPF_H
#define SLT_BENCH_FLOOR_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* an empty program named NAME at SECTION ("tp_btf/sys_exit") */
#define SLT_FLOOR_PROG(section, name)                                                        \
	SEC(section)                                                                         \
	int name(void *ctx)                                                                  \
	{                                                                                    \
		return 0;                                                                    \
	}

#endif
