// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench/req_hooks.sh: the requests family's fallback hooks as they filter,
 * without the work. Two programs on raw_syscalls:sys_exit (tp_btf), one for
 * the reads and one for the writes, each rejecting a syscall that is not a
 * socket read or write with a compare of its number and then a task that
 * is not the target, as handle_sys_exit_read/_write do (bpf/requests.bpf.c).
 *
 * Cost: two runs per syscall exit of every task on the host, and every
 * syscall sent through the kernel's slower exit path while attached.
 * Needs: BTF, tp_btf (5.5+).
 */
#include "req_hook.bpf.h"

SEC("tp_btf/sys_exit")
int BPF_PROG(sx_read, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;

	/* read, readv, recvfrom, recvmsg */
	if (nr != 0 && nr != 19 && nr != 45 && nr != 47)
		return 0;
	if (slt_bench_target())
		__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sx_write, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;

	/* write, writev, sendto, sendmsg */
	if (nr != 1 && nr != 20 && nr != 44 && nr != 46)
		return 0;
	if (slt_bench_target())
		__sync_fetch_and_add(&hits, 1);
	return 0;
}
