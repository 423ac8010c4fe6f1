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
#include "floor.bpf.h"

SLT_FLOOR_PROG("tp_btf/sock_recv_length", handle_recv)
SLT_FLOOR_PROG("tp_btf/sock_send_length", handle_send)
SLT_FLOOR_PROG("tp_btf/tcp_rcv_space_adjust", handle_rcv_space)
SLT_FLOOR_PROG("tp_btf/inet_sock_set_state", handle_set_state)
