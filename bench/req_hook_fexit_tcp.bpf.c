// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench/req_hooks.sh: fexit on the protocols' own read and write functions,
 * tcp_recvmsg, tcp_sendmsg, unix_stream_recvmsg and unix_stream_sendmsg
 * (plus tcp_sendpage, where sendfile to a TCP socket goes on kernels before
 * 6.5), each testing the target only. Only the programs' names are used:
 * their arguments differ between kernels (tcp_recvmsg lost its nonblock in
 * 5.19).
 *
 * Cost: one run per TCP or Unix stream read or write of every task (two
 * for a sendmsg whose protocol function calls another). Needs: BTF,
 * fentry/fexit (5.5+).
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

HOOK(tcp_recvmsg, fx_tcp_recv)
HOOK(tcp_sendmsg, fx_tcp_send)
HOOK(tcp_sendpage, fx_tcp_sendpg)
HOOK(unix_stream_recvmsg, fx_unix_recv)
HOOK(unix_stream_sendmsg, fx_unix_send)
