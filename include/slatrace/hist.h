/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one histogram layout kernel and userspace share.
 *
 * Log-linear: values below 32 get a bucket each; from 32 on, every power of
 * two is split into 32 equal sub-buckets. A bucket's width is at most 1/32 of
 * its lower bound, so reporting its midpoint is within 1/64 (1.6%) of any
 * value that fell in it. Values are nanoseconds; the top bucket holds
 * everything from 63 * 2^38 ns (~4.8 h) up, so 1 us .. 1 h is covered with
 * that precision. 1280 buckets, 10 KiB per histogram.
 *
 * slt_hist_slot() is compiled into the BPF programs and into the unit tests,
 * so the tests check the exact code the kernel runs.
 */
#ifndef SLATRACE_HIST_H
#define SLATRACE_HIST_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SLT_HIST_SUB_BITS 5
#define SLT_HIST_SUB (1u << SLT_HIST_SUB_BITS)
#define SLT_HIST_MAX_MSB 43
#define SLT_HIST_NBUCKETS (SLT_HIST_SUB + (SLT_HIST_MAX_MSB - SLT_HIST_SUB_BITS + 1) * SLT_HIST_SUB)

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Kernel-side histogram: the count is the sum of the slots. */
struct slt_hist {
	__u64 sum_ns;
	__u64 max_ns;
	__u64 slots[SLT_HIST_NBUCKETS];
};

/* Index of the highest set bit of v (v > 0); BPF has no clz instruction. */
static __always_inline __u32 slt_msb64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

static __always_inline __u32 slt_hist_slot(__u64 v)
{
	__u32 msb, shift;

	if (v < SLT_HIST_SUB)
		return (__u32)v;
	msb = slt_msb64(v);
	if (msb > SLT_HIST_MAX_MSB)
		return SLT_HIST_NBUCKETS - 1;
	shift = msb - SLT_HIST_SUB_BITS;
	return SLT_HIST_SUB + shift * SLT_HIST_SUB + (__u32)((v >> shift) & (SLT_HIST_SUB - 1));
}

/* Smallest value that lands in slot s. */
static __always_inline __u64 slt_hist_slot_lo(__u32 s)
{
	__u32 shift;

	if (s < SLT_HIST_SUB)
		return s;
	shift = (s - SLT_HIST_SUB) / SLT_HIST_SUB;
	return (__u64)(SLT_HIST_SUB + (s - SLT_HIST_SUB) % SLT_HIST_SUB) << shift;
}

/* One past the largest value of slot s (the top slot is open-ended: ~0). */
static __always_inline __u64 slt_hist_slot_hi(__u32 s)
{
	if (s >= SLT_HIST_NBUCKETS - 1)
		return ~0ULL;
	return slt_hist_slot_lo(s + 1);
}

#endif
