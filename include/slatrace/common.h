/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What every probe family and the session agree on: target filter modes,
 * the ring-buffer record header, and the loss counters. */
#ifndef SLATRACE_COMMON_H
#define SLATRACE_COMMON_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SLT_COMM_LEN 16
#define SLT_MAX_PIDLIST 8	/* -p lists up to this size are compared inline */
#define SLT_MAX_TARGETS 65536	/* tgids in the follow/large-list hash */
/* The ring buffer is sized for the families that run (probe_ops.ringbuf_bytes;
 * its pages are mapped twice, so it counts double in slatrace's RSS). Records
 * are submitted without waking the reader until an eighth of it is pending:
 * the reader polls at least every 100 ms anyway, and one wakeup per record
 * would cost more than the record. */
#define SLT_RINGBUF_MIN (64u << 10)
#define SLT_RINGBUF_BYTES (4u << 20)

/* targ_mode: how the kernel decides whether the current task is traced */
#define SLT_TARGET_ALL 0	/* every process */
#define SLT_TARGET_PIDLIST 1	/* tgid in targ_pids[] (rodata, no map lookup) */
#define SLT_TARGET_PIDMAP 2	/* tgid in the targets hash (follows children) */
#define SLT_TARGET_COMM 3	/* comm equals targ_comm */
#define SLT_TARGET_CGROUP 4	/* task under the cgroup in target_cgroup */

/* Kernel-side loss counters, one per stage where a record can be lost.
 * Userspace adds its own (undecodable records) after these. */
#define SLT_DROP_RINGBUF 0	/* bpf_ringbuf_reserve() failed: buffer full */
#define SLT_DROP_MAP_FULL 1	/* a map had no room for a new key */
#define SLT_DROP_OUT_OF_RANGE 2	/* an id beyond a fixed table (syscall nr) */
#define SLT_DROP_NO_STORAGE 3	/* per-task storage could not be allocated */
#define SLT_DROP_KERNEL_MAX 4

/* Ring-buffer records: every one starts with this header. */
#define SLT_EV_PROC_FORK 1
#define SLT_EV_PROC_EXIT 2

struct slt_event_hdr {
	__u64 ts_ns;
	__u32 kind;
	__u32 cpu;
};

struct slt_proc_event {
	struct slt_event_hdr hdr;
	__u32 pid;	/* tgid of the process forked or exited */
	__u32 ppid;	/* parent tgid (fork) */
	__s32 exit_code;
	__u32 __pad;
	char comm[SLT_COMM_LEN];
};

#endif
