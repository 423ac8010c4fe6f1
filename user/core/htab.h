/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A hash index over an array the caller owns: open addressing with linear
 * probing, storing entry numbers (0 .. n - 1, in the order they were put),
 * not keys, so the caller keeps its entries dense and in insertion order
 * and compares keys itself. At most half full, so a probe always ends on
 * an empty slot. One index serves the model's series (by family and name)
 * and the probes' own aggregates (tcp's endpoints, requests' class
 * groups), instead of a copy of the probing per user.
 *
 *	if (htab_reserve(&t, hash_of, ctx))		// room for one more
 *		return -ENOMEM;
 *	for (pos = htab_pos(&t, h); (i = htab_at(&t, pos)) >= 0; pos = htab_next(&t, pos))
 *		if (same_key(&v[i], key))
 *			return &v[i];
 *	v[t.n] = new entry;				// entry number t.n
 *	htab_put(&t, pos);
 */
#ifndef SLT_CORE_HTAB_H
#define SLT_CORE_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct htab {
	int *slot;    /* entry + 1; 0: empty */
	uint32_t cap; /* slots: a power of two, 0 before the first reserve */
	uint32_t n;   /* entries indexed: 0 .. n - 1 */
};

#define HTAB_HASH_INIT 0xcbf29ce484222325ull /* FNV-1a, 64-bit: its offset basis */

/* FNV-1a of n bytes, continuing from h (HTAB_HASH_INIT to start) */
uint64_t htab_hash_bytes(uint64_t h, const void *p, size_t n);
/* ... of a string, without its NUL */
uint64_t htab_hash_str(uint64_t h, const char *s);

/* room for entry n: when the index would pass half full, double it (64
 * slots first) and put entries 0 .. n - 1 back by hash_of(ctx, i). 0, or
 * -ENOMEM with the index as it was. Probe positions do not survive it. */
int htab_reserve(struct htab *t, uint64_t (*hash_of)(const void *ctx, uint32_t i), const void *ctx);
void htab_free(struct htab *t);

/* where hash h starts probing */
static inline uint32_t htab_pos(const struct htab *t, uint64_t h)
{
	return (uint32_t)h & (t->cap - 1);
}

/* the entry at pos, -1 when the slot is empty (or there is no index) */
static inline int htab_at(const struct htab *t, uint32_t pos)
{
	return t->cap ? t->slot[pos] - 1 : -1;
}

static inline uint32_t htab_next(const struct htab *t, uint32_t pos)
{
	return (pos + 1) & (t->cap - 1);
}

/* index entry t->n at pos, the empty slot its probe ended on; needs room
 * (htab_reserve since the probe) */
static inline void htab_put(struct htab *t, uint32_t pos)
{
	t->slot[pos] = (int)++t->n;
}

#endif
