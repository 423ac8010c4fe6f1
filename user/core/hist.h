/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Userspace side of the shared log-linear histogram (slatrace/hist.h):
 * merge, percentiles, mean, max, bucket export. */
#ifndef SLT_CORE_HIST_H
#define SLT_CORE_HIST_H

#include <stdint.h>
#include "slatrace/hist.h"

struct hist {
	uint64_t count;
	uint64_t sum;
	uint64_t max;
	uint64_t slots[SLT_HIST_NBUCKETS];
};

void hist_reset(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
void hist_add_n(struct hist *h, uint64_t v, uint64_t n);
/* dst += src */
void hist_merge(struct hist *dst, const struct hist *src);
/* load a kernel-side histogram (count = sum of slots) */
void hist_from_kernel(struct hist *h, const struct slt_hist *k);
/* d = now - before (interval deltas); max is now's max when anything
 * arrived in the interval (the kernel keeps no per-interval max) */
void hist_delta(struct hist *d, const struct hist *now, const struct hist *before);
/* value at percentile p (0 < p <= 100), nearest-rank, reported as the
 * midpoint of the bucket holding that rank, clamped to max; 0 when empty */
uint64_t hist_percentile(const struct hist *h, double p);
double hist_mean(const struct hist *h);
/* walk non-empty buckets: [lo, hi) and count; stop when cb returns non-zero */
int hist_for_each_bucket(const struct hist *h,
			 int (*cb)(uint64_t lo, uint64_t hi, uint64_t count, void *ctx), void *ctx);

#endif
