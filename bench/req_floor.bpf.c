// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor of bench/requests.sh: empty programs on the four hooks the
 * requests family uses. What they cost is the price of being attached at
 * all (each tracepoint's call into the BPF run-time and an empty program),
 * which no filter or capture in the programs can go below.
 *
 * Hooks: tp_btf/sock_recv_length, sock_send_length, tcp_rcv_space_adjust,
 * inet_sock_set_state. Cost: one empty program run per socket read and
 * write (two per TCP read that returns data), on every task. Needs: BTF,
 * tp_btf, Linux 6.3+.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sock_recv_length")
int handle_recv(void *ctx)
{
	return 0;
}

SEC("tp_btf/sock_send_length")
int handle_send(void *ctx)
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
