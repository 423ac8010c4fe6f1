/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Syscalls family: per-syscall histograms aggregated in the kernel. */
#ifndef SLATRACE_SYSCALLS_H
#define SLATRACE_SYSCALLS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "hist.h"

#define SLT_MAX_SYSCALLS 512
#define SLT_MAX_ERRNO 4096	/* errno values above this count as one bucket */
/* The fallback path's syscalls in flight at once (one per thread in a
 * syscall): past it, a syscall is not timed and counts as lost (map_full). */
#define SLT_SYS_INFLIGHT_MAX 65536

/* One element of the mmapped sys_stats array, indexed by syscall number. */
struct slt_sys_stat {
	__u64 errors;
	__u64 __pad;
	struct slt_hist hist;
};

/* Key of the errors hash: one count per (syscall, errno). */
struct slt_sys_err_key {
	__u32 nr;
	__u32 err;
};

#endif
