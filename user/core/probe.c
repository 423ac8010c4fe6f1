// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "core/probe.h"

const char *probe_test_refused(const struct probe_ops *p)
{
	const char *refuse = getenv("SLATRACE_TEST_REFUSE");

	if (!refuse || strcmp(refuse, p->name))
		return NULL;
	return "refused by SLATRACE_TEST_REFUSE, a test setting";
}
