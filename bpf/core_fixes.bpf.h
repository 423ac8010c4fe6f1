/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What differs between the kernels slatrace runs on (5.8 and later), in one
 * place: each difference is detected here, with bpf_core_*_exists() against
 * the running kernel's BTF or a knob userspace sets from its feature probes
 * (core/features.c), and cites the kernel change that made it. The families
 * ask these helpers; they never compare kernel versions.
 */
#ifndef SLATRACE_CORE_FIXES_BPF_H
#define SLATRACE_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/*
 * The bpf_rdonly_cast() kfunc: a typed, read-only view of any kernel
 * pointer, so its fields are plain loads instead of one
 * bpf_probe_read_kernel() call each. Linux 6.2, commit a35b9af4ec2c ("bpf:
 * Add a kfunc for generic type cast"). Weak: an object that calls it still
 * loads where it is missing (libbpf leaves the call unresolved and the
 * verifier removes it as dead code, which 5.16+ allow), as long as every
 * call sits behind the targ_rdonly_cast knob, which userspace sets from
 * its own probe of the kfunc (SLT_FEAT_RDONLY_CAST). libbpf 1.1, Debian
 * 12's, has no bpf_ksym_exists() to ask in the program instead.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/*
 * BPF atomic operations beyond add: fetch-and-add (an add whose old value
 * is used), compare-and-swap, exchange and the bitwise and/or/xor. Linux
 * 5.12, Brendan Jackman's "Atomics for eBPF" series (BPF_ATOMIC with
 * BPF_FETCH, BPF_XCHG, BPF_CMPXCHG; clang emits them for __sync_* builtins
 * under -mcpu=v3). Before it the verifier knows only BPF_XADD, an add whose
 * result is unused, and its first pass refuses a program holding any other
 * atomic instruction ("BPF_STX uses reserved fields") even where a knob
 * makes the code dead. So no knob can remove them: a program that must run
 * on 5.8-5.11 contains none, and where a faster version needs them, the
 * family loads one of two programs, chosen by userspace from its probe
 * (SLT_FEAT_ATOMICS). common.bpf.h's slt_hist_record_cpu_max() keeps a
 * histogram's max without compare-and-swap.
 */

/*
 * bpf_get_current_task_btf(): the current task as a typed pointer, whose
 * fields are plain loads. Linux 5.11, KP Singh's "bpf: Add
 * bpf_get_current_task_btf helper". Before it, bpf_get_current_task() and
 * a probe read per field; the unused branch is dead code the verifier
 * skips, as for any helper the kernel lacks.
 */
static __always_inline int slt_have_task_btf(void)
{
	return bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf);
}

/*
 * bpf_task_pt_regs(): the registers the current syscall was entered with.
 * Linux 5.15, commit dd6e10fbd9fb ("bpf: Add bpf_task_pt_regs() helper").
 * Where it is missing, the caller goes without the payload.
 */
static __always_inline int slt_have_task_pt_regs(void)
{
	return bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs);
}

/*
 * Socket operations a family hooks with fexit where the socket tracepoints
 * are missing, which not every kernel has: inet6_recvmsg/inet6_sendmsg only with IPv6 (built
 * in, or its module loaded), inet_sendpage/unix_stream_sendpage only before
 * Linux 6.5, whose splice rework (David Howells' MSG_SPLICE_PAGES series)
 * removed ->sendpage, sendfile and splice going through sendmsg since. A
 * program's attach target cannot be relocated from here: userspace looks
 * each function up in the kernel's BTF and loads its program only where it
 * is (intermediate_present() of the family that hooks them).
 */

#endif
