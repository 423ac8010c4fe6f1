// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The family table, as reports see it: every descriptor named in
 * families.def, in the order the text report prints their sections. Each
 * descriptor lives in user/probes/<fam>_report.c, which links without the
 * probe (the report loader, diff, the unit tests). */
#include <stddef.h>
#include "core/family.h"

#define SLT_FAMILY(name, order) extern const struct family_desc name##_family;
#include "probes/families.def"
#undef SLT_FAMILY

/* a name given twice is an enumerator defined twice */
enum {
#define SLT_FAMILY(name, order) slt_family_name_##name,
#include "probes/families.def"
#undef SLT_FAMILY
	SLT_NFAMILIES
};

/* an order given twice is a duplicate case value */
static inline void families_orders_are_unique(int o)
{
	switch (o) {
#define SLT_FAMILY(name, order) case order:
#include "probes/families.def"
#undef SLT_FAMILY
		break;
	}
}

static const struct {
	const struct family_desc *desc;
	int order;
} table[SLT_NFAMILIES] = {
#define SLT_FAMILY(name, order) { &name##_family, order },
#include "probes/families.def"
#undef SLT_FAMILY
};

const struct family_desc *slt_families[SLT_NFAMILIES + 1];

/* before main, so every reader sees the table sorted */
__attribute__((constructor)) static void families_sort(void)
{
	int order[SLT_NFAMILIES];

	(void)families_orders_are_unique;
	for (int i = 0; i < SLT_NFAMILIES; i++) {
		int j = i;

		for (; j > 0 && order[j - 1] > table[i].order; j--) {
			order[j] = order[j - 1];
			slt_families[j] = slt_families[j - 1];
		}
		order[j] = table[i].order;
		slt_families[j] = table[i].desc;
	}
	slt_families[SLT_NFAMILIES] = NULL;
}
