// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor of bench/tcp.sh: empty programs on the tcp family's busy hooks
 * (every received segment, every state change, every syscall exit, every
 * socket destroyed). What they cost is the price of being attached at all,
 * which no filtering in the programs goes below. Loaded by build/bench/floor.
 *
 * Hooks: tp_btf/tcp_probe, tp_btf/inet_sock_set_state, tp_btf/sys_exit,
 * tp_btf/tcp_destroy_sock. Needs: BTF, tp_btf (5.5+).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/tcp_probe")
int handle_tcp_probe(void *ctx)
{
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int handle_set_state(void *ctx)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int handle_sys_exit(void *ctx)
{
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int handle_destroy_sock(void *ctx)
{
	return 0;
}
