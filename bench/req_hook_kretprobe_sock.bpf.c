// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench/req_hooks.sh: the same functions as req_hook_fexit_sock.bpf.c,
 * sock_recvmsg and sock_sendmsg, through kretprobes instead of BPF
 * trampolines, for kernels with kprobes and no fentry. Each program tests
 * the target only.
 *
 * Cost: one kretprobe (a probe at entry that plants the return hook, and
 * the return hook) per socket read or write of every task. Needs: kprobes.
 */
#include "req_hook.bpf.h"

SEC("kretprobe/sock_recvmsg")
int kr_sock_recv(struct pt_regs *ctx)
{
	if (slt_bench_target())
		__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("kretprobe/sock_sendmsg")
int kr_sock_send(struct pt_regs *ctx)
{
	if (slt_bench_target())
		__sync_fetch_and_add(&hits, 1);
	return 0;
}
