// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench/req_hooks.sh: fexit on sock_recvmsg and sock_sendmsg, the socket
 * layer's entries every read and write of a socket passes (read, readv,
 * recv*, recvmmsg; write, writev, send*, sendmmsg; TCP and Unix alike),
 * where the family could read and write without the 6.3 tracepoints. Each
 * program tests the target only.
 *
 * Cost: one run per socket read or write of every task; other syscalls pay
 * nothing. Needs: BTF, fentry/fexit (BPF trampolines, 5.5+).
 */
#include "req_hook.bpf.h"

SEC("fexit/sock_recvmsg")
int BPF_PROG(fx_sock_recv, struct socket *sock, struct msghdr *msg, int flags, int ret)
{
	if (slt_bench_target())
		__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("fexit/sock_sendmsg")
int BPF_PROG(fx_sock_send, struct socket *sock, struct msghdr *msg, int ret)
{
	if (slt_bench_target())
		__sync_fetch_and_add(&hits, 1);
	return 0;
}
