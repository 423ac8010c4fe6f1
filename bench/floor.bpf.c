// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor of bench/syscalls.sh: empty programs on the two hooks the
 * syscalls family uses. What they add per syscall is the price of being
 * attached at all (the tracepoint's call into the BPF run-time and an
 * empty program, twice), which no filter or aggregation can go below.
 *
 * Hooks: tp_btf/sys_enter, tp_btf/sys_exit. Cost: two empty program runs
 * per syscall, on every task. Needs: BTF, tp_btf (5.5+).
 */
#include "floor.bpf.h"

SLT_FLOOR_PROG("tp_btf/sys_enter", handle_sys_enter)
SLT_FLOOR_PROG("tp_btf/sys_exit", handle_sys_exit)
