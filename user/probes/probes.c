// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The probe table: one line per family. */
#include <string.h>
#include "probes/probe.h"

extern const struct probe_ops syscalls_probe;
extern const struct probe_ops requests_probe;
extern const struct probe_ops tcp_probe;

const struct probe_ops *const slt_probes[] = {
	&syscalls_probe,
	&requests_probe,
	&tcp_probe,
	NULL,
};

const struct probe_ops *probe_find(const char *name)
{
	for (int i = 0; slt_probes[i]; i++)
		if (!strcmp(slt_probes[i]->name, name))
			return slt_probes[i];
	return NULL;
}
