// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include <math.h>
#include "core/hist.h"

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_add_n(struct hist *h, uint64_t v, uint64_t n)
{
	if (!n)
		return;
	h->slots[slt_hist_slot(v)] += n;
	h->count += n;
	h->sum += v * n;
	if (v > h->max)
		h->max = v;
}

void hist_add(struct hist *h, uint64_t v)
{
	hist_add_n(h, v, 1);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++)
		dst->slots[i] += src->slots[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
}

void hist_from_kernel(struct hist *h, const struct slt_hist *k)
{
	h->count = 0;
	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++) {
		h->slots[i] = k->slots[i];
		h->count += k->slots[i];
	}
	h->sum = k->sum_ns;
	h->max = k->max_ns;
}

void hist_delta(struct hist *d, const struct hist *now, const struct hist *before)
{
	d->count = 0;
	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++) {
		uint64_t a = now->slots[i], b = before->slots[i];

		d->slots[i] = a > b ? a - b : 0;
		d->count += d->slots[i];
	}
	d->sum = now->sum > before->sum ? now->sum - before->sum : 0;
	/* the kernel keeps no per-interval max: the run's, unless it lies
	 * beyond this interval's top bucket, whose upper edge then bounds it */
	d->max = 0;
	for (int i = SLT_HIST_NBUCKETS - 1; i >= 0 && d->count; i--) {
		if (d->slots[i]) {
			uint64_t hi = slt_hist_slot_hi(i);

			d->max = now->max < hi ? now->max : hi - 1;
			break;
		}
	}
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (!h->count || p <= 0)
		return 0;
	if (p >= 100)
		return h->max;
	/* nearest rank, in integers: p in thousandths of a percent, so that
	 * 99.9% of 1000 is rank 999 exactly, however large the count */
	{
		unsigned __int128 pm = (unsigned __int128)llround(p * 1000.0);

		rank = (uint64_t)((pm * h->count + 99999) / 100000);
	}
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++) {
		seen += h->slots[i];
		if (seen >= rank) {
			uint64_t lo = slt_hist_slot_lo(i), hi = slt_hist_slot_hi(i);
			uint64_t mid;

			if (i == SLT_HIST_NBUCKETS - 1)
				return h->max;
			/* the top bucket holding one sample holds exactly the max */
			if (seen == h->count && h->slots[i] == 1 && h->max >= lo)
				return h->max;
			mid = lo + (hi - 1 - lo) / 2;
			return mid > h->max && h->max >= lo ? h->max : mid;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

int hist_for_each_bucket(const struct hist *h,
			 int (*cb)(uint64_t lo, uint64_t hi, uint64_t count, void *ctx), void *ctx)
{
	int r;

	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++) {
		if (!h->slots[i])
			continue;
		r = cb(slt_hist_slot_lo(i), slt_hist_slot_hi(i), h->slots[i], ctx);
		if (r)
			return r;
	}
	return 0;
}
