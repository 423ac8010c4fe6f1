/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the running kernel can do, found by loading and attaching tiny
 * programs (bpf/features.bpf.c), never by reading the kernel config.
 * Probe families declare what they need as a mask of these bits; `check`
 * and `trace` ask features_probe() and compare.
 */
#ifndef SLT_CORE_FEATURES_H
#define SLT_CORE_FEATURES_H

#define SLT_FEAT_BTF (1u << 0)		/* /sys/kernel/btf/vmlinux readable */
#define SLT_FEAT_TRACEPOINT (1u << 1)	/* tp/ classic tracepoints (tracefs) */
#define SLT_FEAT_TP_BTF (1u << 2)	/* tp_btf/ BTF-typed raw tracepoints */
#define SLT_FEAT_RAW_TP (1u << 3)	/* raw_tp/ */
#define SLT_FEAT_UPROBE (1u << 4)	/* uprobe + uretprobe */
#define SLT_FEAT_KPROBE (1u << 5)
#define SLT_FEAT_FENTRY (1u << 6)	/* fentry/fexit */
#define SLT_FEAT_PERF_EVENT (1u << 7)	/* software perf_event sampling */
#define SLT_FEAT_RINGBUF (1u << 8)
#define SLT_FEAT_TASK_STORAGE (1u << 9) /* task local storage from tracing progs */
#define SLT_FEAT_SOCK_TP (1u << 10)	/* sock:sock_send_length/sock_recv_length (6.3+) */
#define SLT_FEAT_RDONLY_CAST (1u << 11) /* the bpf_rdonly_cast kfunc (6.2+) */
#define SLT_FEAT_SOCKOPS_FEXIT (1u << 12) /* fexit on a socket's sendmsg/recvmsg operations */
#define SLT_FEAT_ATOMICS (1u << 13)	/* BPF atomics beyond add: fetch, cmpxchg, or (5.12+) */
#define SLT_FEAT_TASK_PT_REGS (1u << 14) /* bpf_task_pt_regs (5.15+) */
#define SLT_FEAT_COUNT	       15

struct feature_result {
	unsigned bit;
	const char *name;	/* "tp_btf" */
	const char *what;	/* "BTF tracepoints (tp_btf/)" */
	const char *fix;	/* in words, for a kernel that refused it */
	int ok;
	char detail[160];	/* why not, or a note ("tracefs mounted by slatrace") */
};

/* Probe every feature; fills res[SLT_FEAT_COUNT]; returns the mask of what
 * works. Needs privileges to say anything but "no". */
unsigned features_probe(struct feature_result *res);
/* Probe only the bits in want (cheaper, used by trace before loading). */
unsigned features_probe_mask(unsigned want, struct feature_result *res);
/* Make sure tracefs is mounted at /sys/kernel/tracing (classic tp/ attach
 * needs it); returns 0 (already there), 1 (mounted now) or -errno. */
int features_ensure_tracefs(void);

#endif
