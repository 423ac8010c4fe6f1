// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor of the requests family's fallback path in bench/requests.sh:
 * empty programs on the hooks that path uses (bpf/requests.bpf.c, for
 * kernels without the socket length tracepoints). Two on the syscall exit,
 * as the fallback has (one for reads, one for writes), so that the price of
 * running there at all is counted as often as the fallback pays it.
 *
 * Hooks: tp_btf/sys_exit (twice), tcp_rcv_space_adjust, inet_sock_set_state.
 * Cost: two empty program runs per syscall of every task on the host (and
 * every syscall takes the kernel's slower exit path while a sys_exit
 * program is attached), one per TCP read that returns data. Needs: BTF,
 * tp_btf.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_exit")
int handle_sys_exit_read(void *ctx)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int handle_sys_exit_write(void *ctx)
{
	return 0;
}

SEC("tp_btf/tcp_rcv_space_adjust")
int handle_rcv_space(void *ctx)
{
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int handle_set_state(void *ctx)
{
	return 0;
}
