// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The hash index (core/htab.h). */
#include <errno.h>
#include <stdlib.h>
#include "core/htab.h"

uint64_t htab_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

uint64_t htab_hash_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

int htab_reserve(struct htab *t, uint64_t (*hash_of)(const void *ctx, uint32_t i), const void *ctx)
{
	uint64_t need = 2 * ((uint64_t)t->n + 1);
	uint32_t cap = t->cap ? t->cap : 64;
	int *slot;

	if (t->cap > need)
		return 0;
	while (cap <= need) {
		if (cap > UINT32_MAX / 4 || t->n >= INT32_MAX)
			return -ENOMEM;
		cap *= 2;
	}
	slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t pos = (uint32_t)hash_of(ctx, i) & (cap - 1);

		while (slot[pos])
			pos = (pos + 1) & (cap - 1);
		slot[pos] = (int)i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

void htab_free(struct htab *t)
{
	free(t->slot);
	t->slot = NULL;
	t->cap = t->n = 0;
}
