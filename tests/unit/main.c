// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Runs every registered unit test: "unit-tests [--results FILE] [NAME...]",
 * or "unit-tests --list" for the names. Each result reaches FILE before the
 * next test starts, so a crash loses nothing that ran; tests/run.sh counts
 * every listed test without a result as failed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define MAX_TESTS 1024

static struct {
	const char *name;
	void (*fn)(void);
} tests[MAX_TESTS];
static int ntests, failed_current;

void unit_register(const char *name, void (*fn)(void))
{
	if (ntests >= MAX_TESTS) {
		fprintf(stderr, "error: more than %d unit tests: raise MAX_TESTS\n", MAX_TESTS);
		abort();
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	failed_current = 1;
	printf("      %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int main(int argc, char **argv)
{
	FILE *results = NULL;
	int passed = 0, failed = 0, i = 1;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (int t = 0; t < ntests; t++)
			printf("%s\n", tests[t].name);
		return fflush(stdout) || ferror(stdout) ? 1 : 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--results")) {
		results = fopen(argv[2], "a");
		if (!results) {
			fprintf(stderr, "error: cannot open '%s': %s\n", argv[2], strerror(errno));
			return 1;
		}
		i = 3;
	}
	for (int t = 0; t < ntests; t++) {
		int selected = i >= argc;

		for (int k = i; k < argc; k++)
			selected |= !strcmp(argv[k], tests[t].name);
		if (!selected)
			continue;
		failed_current = 0;
		tests[t].fn();
		printf("%s  %s\n", failed_current ? "FAIL" : "ok  ", tests[t].name);
		if (results) {
			fprintf(results, "%s %s\n", failed_current ? "fail" : "pass", tests[t].name);
			fflush(results);
		}
		failed_current ? failed++ : passed++;
		fflush(stdout);
	}
	if (results)
		fclose(results);
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
