// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The family table: one line per family, in the order reports print their
 * sections. Each descriptor lives in user/probes/<fam>_report.c, which
 * links without the probe (the report loader, diff, the unit tests). */
#include <stddef.h>
#include "core/family.h"

extern const struct family_desc syscalls_family;
extern const struct family_desc requests_family;
extern const struct family_desc tcp_family;

const struct family_desc *const slt_families[] = {
	&requests_family,
	&tcp_family,
	&syscalls_family,
	NULL,
};
