/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Signals family: signals delivered to the target, by signal number and
 * sender, with the time each spent pending (generated -> delivered).
 */
#ifndef SLATRACE_SIGNALS_H
#define SLATRACE_SIGNALS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "hist.h"

#define SLT_SIG_MAX 64		/* signal numbers 1..64 */
#define SLT_SIG_FIFO 8		/* generations remembered per (process, signal) */
#define SLT_SIG_PENDING_KEYS 4096
#define SLT_SIG_MAX_SENDERS 256	/* (signal, sender) pairs; the rest: "other" */
#define SLT_SIG_SENDER_KERNEL 0	/* sender_tgid of a signal the kernel raised */

/* one (signal, sender) pair */
struct slt_sig_key {
	__u32 sig;
	__u32 sender_tgid;	/* SLT_SIG_SENDER_KERNEL with from_kernel */
	__u32 from_kernel;
	__u32 __pad;
};

struct slt_sig_stat {
	__u64 untimed;		/* delivered, its generation unseen */
	__u64 merged;		/* generated while one was pending: no delivery of its own */
	__u64 ignored;		/* generated, discarded: ignored by the receiver */
	char sender_comm[16];
	struct slt_hist hist;	/* generated -> delivered, ns */
};

/* the generations of one signal to one process, not yet delivered */
struct slt_sig_pending_key {
	__u32 tgid;
	__u32 sig;
};

struct slt_sig_gen {
	__u64 ts_ns;
	__u32 sender_tgid;
	__u32 from_kernel;
	char comm[16];
};

struct slt_sig_pending {
	__u32 head, tail;	/* tail - head generations queued */
	struct slt_sig_gen gen[SLT_SIG_FIFO];
};

#endif
