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
#include "floor.bpf.h"

SLT_FLOOR_PROG("tp_btf/sys_exit", handle_sys_exit_read)
SLT_FLOOR_PROG("tp_btf/sys_exit", handle_sys_exit_write)
SLT_FLOOR_PROG("tp_btf/tcp_rcv_space_adjust", handle_rcv_space)
SLT_FLOOR_PROG("tp_btf/inet_sock_set_state", handle_set_state)
