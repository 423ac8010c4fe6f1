/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The TCP ports processes are listening on, from /proc: so a server's
 * first connections already have a known port when tracing starts. */
#ifndef SLT_CORE_LISTENERS_H
#define SLT_CORE_LISTENERS_H

#include <stdint.h>

/* Ports in LISTEN state owned by the given processes (npids == 0: every
 * listening port on the host). Returns how many were written (<= max). */
int listeners_ports(const uint32_t *pids, int npids, uint16_t *ports, int max);
/* Adds (deduplicated) to ports[0..n) the ports in LISTEN state in the
 * network namespace of pid; returns the new count (<= max). */
int listeners_ports_netns(uint32_t pid, uint16_t *ports, int n, int max);
/* PIDs whose comm equals comm; returns how many (<= max). */
int listeners_pids_by_comm(const char *comm, uint32_t *pids, int max);

#endif
