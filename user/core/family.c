// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Lookups in the family table (core/family.h). */
#include <string.h>
#include "core/family.h"

const struct family_desc *family_by_name(const char *name)
{
	for (int i = 0; slt_families[i]; i++)
		if (!strcmp(slt_families[i]->name, name))
			return slt_families[i];
	return NULL;
}

const struct family_desc *family_by_series(const char *series)
{
	for (int i = 0; slt_families[i]; i++)
		if (!strcmp(slt_families[i]->series, series))
			return slt_families[i];
	return NULL;
}

const char *family_sla_default(void)
{
	for (int i = 0; slt_families[i]; i++)
		if (slt_families[i]->flags & SLT_FAMILY_SLA_DEFAULT)
			return slt_families[i]->series;
	return "";
}
