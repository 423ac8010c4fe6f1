// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The probe table: every family named in families.def, in its order. */
#include <string.h>
#include "probes/probe.h"

#define SLT_FAMILY(name, order) extern const struct probe_ops name##_probe;
#include "probes/families.def"
#undef SLT_FAMILY

const struct probe_ops *const slt_probes[] = {
#define SLT_FAMILY(name, order) &name##_probe,
#include "probes/families.def"
#undef SLT_FAMILY
	NULL,
};

const struct probe_ops *probe_find(const char *name)
{
	for (int i = 0; slt_probes[i]; i++)
		if (!strcmp(slt_probes[i]->name, name))
			return slt_probes[i];
	return NULL;
}
