// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/pressure.h"

int pressure_parse(const char *text, uint64_t *ns)
{
	const char *p = strstr(text, "some ");
	char *end;
	unsigned long long us;

	if (!p || (p != text && p[-1] != '\n'))
		return -EINVAL;
	p = strstr(p, "total=");
	if (!p)
		return -EINVAL;
	errno = 0;
	us = strtoull(p + 6, &end, 10);
	if (errno || end == p + 6 || (*end && *end != '\n' && *end != ' '))
		return -EINVAL;
	*ns = us * 1000ull;
	return 0;
}

int pressure_cpu_stall_ns(uint64_t *ns)
{
	char buf[256];
	size_t n;
	FILE *f = fopen("/proc/pressure/cpu", "re");

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return pressure_parse(buf, ns);
}
