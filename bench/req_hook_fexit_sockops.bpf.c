// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench/req_hooks.sh: fexit on the socket operations the requests family's
 * intermediate path hooks (bpf/requests.bpf.c): inet_recvmsg,
 * inet6_recvmsg, unix_stream_recvmsg, inet_sendmsg, inet6_sendmsg,
 * unix_stream_sendmsg, called through sock->ops by every read and write of
 * a TCP or Unix stream socket, and inet_sendpage, unix_stream_sendpage,
 * where sendfile and splice go before 6.5 (so this floor loads only on a
 * kernel before 6.5, which is what it is for). Each program tests the
 * target only.
 *
 * Cost: one run per socket read or write of every task; other syscalls pay
 * nothing. Needs: BTF, fentry/fexit (5.5+).
 */
#include "req_hook.bpf.h"

#define HOOK(fn, name)                                                                             \
	SEC("fexit/" #fn)                                                                          \
	int name(void *ctx)                                                                        \
	{                                                                                          \
		if (slt_bench_target())                                                            \
			__sync_fetch_and_add(&hits, 1);                                            \
		return 0;                                                                          \
	}

HOOK(inet_recvmsg, fo_inet_recv)
HOOK(inet6_recvmsg, fo_inet6_recv)
HOOK(unix_stream_recvmsg, fo_unix_recv)
HOOK(inet_sendmsg, fo_inet_send)
HOOK(inet6_sendmsg, fo_inet6_send)
HOOK(unix_stream_sendmsg, fo_unix_send)
HOOK(inet_sendpage, fo_inet_sendpg)
HOOK(unix_stream_sendpage, fo_unix_sendpg)
