// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The hash index (core/htab.h): against a linear search over the same
 * entries, with hashes chosen to collide, across the growths. */
#include <stdlib.h>
#include "harness.h"
#include "core/htab.h"

struct keys {
	uint32_t key[5000];
	uint64_t (*hash)(uint32_t k);
};

static uint64_t hash_spread(uint32_t k)
{
	return htab_hash_bytes(HTAB_HASH_INIT, &k, sizeof(k));
}

/* every key in one of 4 chains: probing, not hashing, finds them */
static uint64_t hash_colliding(uint32_t k)
{
	return k % 4;
}

static uint64_t keys_hash_of(const void *ctx, uint32_t i)
{
	const struct keys *v = ctx;

	return v->hash(v->key[i]);
}

/* the entry of k, -1 when absent; *pos: where the probe ended */
static int find(const struct htab *t, const struct keys *v, uint32_t k, uint32_t *pos)
{
	int i;

	for (*pos = htab_pos(t, v->hash(k)); (i = htab_at(t, *pos)) >= 0; *pos = htab_next(t, *pos))
		if (v->key[i] == k)
			return i;
	return -1;
}

static int run(struct keys *v, int n)
{
	struct htab t = { 0 };
	uint32_t pos;

	/* empty: nothing found, no slots yet */
	if (find(&t, v, 7, &pos) != -1 || t.cap)
		return 0;
	for (int i = 0; i < n; i++) {
		uint32_t k = (uint32_t)i * 2654435761u;

		if (htab_reserve(&t, keys_hash_of, v) || t.cap <= 2 * t.n + 1)
			return 0;
		if (find(&t, v, k, &pos) != -1)
			return 0;
		v->key[t.n] = k;
		htab_put(&t, pos);
		/* the one just put and the first are found where they are */
		if (find(&t, v, k, &pos) != i || find(&t, v, v->key[0], &pos) != 0)
			return 0;
	}
	if ((int)t.n != n || (t.cap & (t.cap - 1)))
		return 0;
	for (int i = 0; i < n; i++)
		if (find(&t, v, v->key[i], &pos) != i || find(&t, v, v->key[i] + 1, &pos) != -1)
			return 0;
	htab_free(&t);
	return !t.slot && !t.cap && !t.n;
}

TEST(htab_finds_every_entry_across_growths_as_a_linear_search_does)
{
	struct keys *v = calloc(1, sizeof(*v));

	CHECK(v);
	v->hash = hash_spread;
	CHECK(run(v, 5000));
	v->hash = hash_colliding;
	CHECK(run(v, 300));
	free(v);
}

/* at most half full: 64 slots hold 31 entries, the 32nd doubles them */
TEST(htab_doubles_before_it_is_half_full)
{
	struct keys v = { .hash = hash_spread };
	struct htab t = { 0 };
	uint32_t pos;

	for (int i = 0; i < 32; i++) {
		CHECK(!htab_reserve(&t, keys_hash_of, &v));
		CHECK_EQ_INT((int)t.cap, i < 31 ? 64 : 128);
		v.key[t.n] = (uint32_t)i;
		find(&t, &v, (uint32_t)i, &pos);
		htab_put(&t, pos);
	}
	htab_free(&t);
}

/* FNV-1a's published values, and strings hash as their bytes */
TEST(htab_hash_is_fnv1a_64)
{
	CHECK_EQ_U64(htab_hash_bytes(HTAB_HASH_INIT, "", 0), 0xcbf29ce484222325ull);
	CHECK_EQ_U64(htab_hash_bytes(HTAB_HASH_INIT, "a", 1), 0xaf63dc4c8601ec8cull);
	CHECK_EQ_U64(htab_hash_str(HTAB_HASH_INIT, "foobar"), 0x85944171f73967e8ull);
	CHECK_EQ_U64(htab_hash_str(htab_hash_str(HTAB_HASH_INIT, "foo"), "bar"),
		     htab_hash_bytes(HTAB_HASH_INIT, "foobar", 6));
}
