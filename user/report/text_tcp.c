// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Text section of the tcp family (placeholder until the family lands). */
#include "report/report.h"

void print_tcp_plain(FILE *f, const struct model *m, const struct text_opts *o)
{
	(void)m;
	(void)o;
	fprintf(f, "\ntcp: no data\n");
}
