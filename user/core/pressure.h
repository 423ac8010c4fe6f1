/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The host's CPU pressure over a run (PSI, /proc/pressure/cpu, Linux 4.20
 * with CONFIG_PSI): the share of the run's time in which some runnable task
 * waited for a CPU. Two runs compared by `slatrace diff` are only
 * comparable when the host was about as busy in both; a CPU hog during one
 * of them shows here as a jump of tens of points, where the load a test
 * itself brings moves it by a few (docs/diff.md).
 */
#ifndef SLT_CORE_PRESSURE_H
#define SLT_CORE_PRESSURE_H

#include <stdint.h>

/* the "some" line's total stall time in ns; -ENOENT etc. when PSI is off */
int pressure_cpu_stall_ns(uint64_t *ns);
/* parse the text of /proc/pressure/cpu (for tests) */
int pressure_parse(const char *text, uint64_t *ns);

#endif
