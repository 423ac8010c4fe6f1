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
#include "floor.bpf.h"

SLT_FLOOR_PROG("tp_btf/tcp_probe", handle_tcp_probe)
SLT_FLOOR_PROG("tp_btf/inet_sock_set_state", handle_set_state)
SLT_FLOOR_PROG("tp_btf/sys_exit", handle_sys_exit)
SLT_FLOOR_PROG("tp_btf/tcp_destroy_sock", handle_destroy_sock)
