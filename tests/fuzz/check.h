/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Invariant checks of a fuzz target: FUZZ_CHECK(cond) aborts with the
 * input that broke it (bytes outside printable ASCII as \x escapes), so it
 * can be replayed. A target
 * defines FUZZ_NAME and sets cur_data/cur_size before its checks.
 */
#ifndef SLT_FUZZ_CHECK_H
#define SLT_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static const uint8_t *cur_data;
static size_t cur_size;

static void fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "%s: invariant broken at line %d: %s\ninput (%zu bytes): \"", FUZZ_NAME,
		line, what, cur_size);
	/* printable bytes as themselves, the rest (and " and \\) escaped */
	for (size_t i = 0; i < cur_size; i++)
		fprintf(stderr,
			(cur_data[i] >= 0x20 && cur_data[i] < 0x7f && cur_data[i] != '"' &&
			 cur_data[i] != '\\')
			    ? "%c"
			    : "\\x%02x",
			cur_data[i]);
	fprintf(stderr, "\"\n");
	abort();
}

#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond))                                                               \
			fuzz_fail(#cond, __LINE__);                                        \
	} while (0)

#endif
