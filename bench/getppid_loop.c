// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The workload of bench/syscalls.sh: one thread calling getppid(), the
 * cheapest syscall there is, so what a tracer adds per syscall dominates.
 *
 * It stays alive across every configuration of the benchmark, so one pid can
 * be traced with -p, and runs only when told to: the driver starts a tracer,
 * waits until the tracer says it is attached, then writes a command on stdin:
 *
 *   run N    a short warm-up, then N calls timed with CLOCK_MONOTONIC;
 *            answers "<ns per call> <getppid calls made>" on one line,
 *            the count warm-up included: the truth a tracer's count of
 *            getppid for this run must equal
 *   quit     exit (so does end of input)
 *
 * The first line written is "pid <pid>". An alarm bounds the whole life of
 * the process in case the driver dies without closing the pipe.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WARMUP_CALLS 50000
#define MAX_LIFE_S   900

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* volatile sink: the calls must happen even if the compiler knew getppid */
static volatile pid_t sink;

static double run_calls(unsigned long n)
{
	uint64_t t0, t1;

	for (unsigned long i = 0; i < WARMUP_CALLS; i++)
		sink = getppid();
	t0 = mono_ns();
	for (unsigned long i = 0; i < n; i++)
		sink = getppid();
	t1 = mono_ns();
	return (double)(t1 - t0) / (double)n;
}

int main(void)
{
	char line[128];
	unsigned long n;
	char *end;

	alarm(MAX_LIFE_S);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("pid %d\n", (int)getpid());
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "quit"))
			break;
		if (strncmp(line, "run ", 4)) {
			fprintf(stderr, "error: unknown command '%s'\n", line);
			return 2;
		}
		errno = 0;
		n = strtoul(line + 4, &end, 10);
		if (errno || *end || !n || n > 1000000000ul) {
			fprintf(stderr, "error: invalid call count '%s'\n", line + 4);
			return 2;
		}
		printf("%.2f %lu\n", run_calls(n), WARMUP_CALLS + n);
	}
	if (fflush(stdout) || ferror(stdout))
		return 1;
	return 0;
}
