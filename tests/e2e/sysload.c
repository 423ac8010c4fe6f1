// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A workload that makes a known number of known syscalls with known
 * durations, and prints its own measurements, so the end-to-end tests can
 * hold slatrace's figures against the truth.
 *
 *   sysload [--gate] nanosleep N MS   N raw nanosleep(2) calls of MS ms
 *   sysload [--gate] enoent N         N openat(2) calls failing with ENOENT
 *   sysload [--gate] getppid N        N getppid(2) calls
 *   sysload [--gate] children K N     K forked children, N getppid(2) each
 *   sysload [--gate] spin SECONDS     getppid(2) in a loop for SECONDS
 *   sysload [--gate] stuck K          K threads inside a 60 s nanosleep(2),
 *                                     then exit_group(2) with them inside
 *   sysload [--gate] threadexec N     a thread other than the leader execs
 *                                     `sysload getppid N` while the leader
 *                                     is inside pause(2)
 *   sysload [--gate] exits K          K threads that end (each in exit(2)),
 *                                     then exit_group(2): K + 1 syscalls
 *                                     that never return
 *
 * --gate: wait for SIGUSR1 before starting (so a tracer can attach first).
 * Prints "count=<calls made> p50_ns=<..> p99_ns=<..> max_ns=<..>" (exact,
 * from every sample it timed itself) on stdout at the end.
 *
 * Those are userspace intervals, clock read to clock read, so they bound a
 * kernel-side duration only from above: under load the thread can also be
 * preempted between the first read and the syscall, or after the syscall
 * returns, and then the interval is far longer than the call. nanosleep
 * therefore also prints a lower bound of each call's kernel duration, as
 * "clean=<calls> overhead_p50_ns=<..> lo_p50_ns=<..> lo_p99_ns=<..>
 * lo_max_ns=<..>". A call is clean when the thread had no involuntary context
 * switch and at most one voluntary one (the sleep) around it: it was then
 * off its CPU only asleep in the call or waiting for a CPU after the wakeup,
 * both inside the kernel's duration (sys_exit fires once the thread runs
 * again), so outside the call it spent nothing but CPU time, and the call
 * took at least its interval minus the thread's CPU time over it. That CPU
 * time (the overhead, microseconds) also covers interrupts, and a vCPU the
 * hypervisor took away, when the kernel charges them to the running thread
 * (no IRQ_TIME_ACCOUNTING, no steal time from the hypervisor). A preemption
 * counts as involuntary wherever it happens, so a call with one may have
 * spent it outside the syscall: its bound is the requested sleep, which
 * nanosleep guarantees. Run delay (/proc/PID/schedstat) would not separate
 * the two: it also grows with the wait for a CPU after the wakeup, inside
 * the call.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* nearest-rank percentile of sorted samples */
static unsigned long long pct(const unsigned long long *v, long n, double p)
{
	long rank = (long)(p / 100.0 * n + 0.999999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static void report(unsigned long long *v, long n, long count)
{
	if (n > 0) {
		qsort(v, n, sizeof(*v), cmp_u64);
		printf("count=%ld p50_ns=%llu p99_ns=%llu max_ns=%llu\n", count, pct(v, n, 50),
		       pct(v, n, 99), v[n - 1]);
	} else {
		printf("count=%ld\n", count);
	}
	fflush(stdout);
}

/* how many times the calling thread was switched out: preempted, and
 * blocked */
static void switches(long *inv, long *vol)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru)) {
		perror("getrusage");
		exit(1);
	}
	*inv = ru.ru_nivcsw;
	*vol = ru.ru_nvcsw;
}

static unsigned long long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: sysload [--gate] nanosleep N MS | enoent N | getppid N |"
			" children K N | spin SECONDS | stuck K | threadexec N | exits K\n");
	exit(2);
}

static int inside;

/* stuck: one thread, into a nanosleep it is still in when the process exits */
static void *stuck_thread(void *a)
{
	struct timespec req = { 60, 0 };

	(void)a;
	__atomic_add_fetch(&inside, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_nanosleep, &req, NULL);
	return NULL;
}

/* exits: a thread that ends at once; glibc ends it with exit(2) */
static void *exit_thread(void *a)
{
	return a;
}

static const char *exec_n;
static char self_path[4096];

/* threadexec: the exec of a thread that is not the leader */
static void *exec_thread(void *a)
{
	char *args[] = { "sysload", "getppid", (char *)exec_n, NULL };

	(void)a;
	execv(self_path, args);
	perror("sysload: execv");
	_exit(1);
}

static long arg(char **argv, int i, int argc)
{
	char *end;
	long v;

	if (i >= argc)
		usage();
	v = strtol(argv[i], &end, 10);
	if (*end || v < 0)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	int i = 1;

	if (argc > 1 && !strcmp(argv[1], "--gate")) {
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		printf("ready %d\n", getpid());
		fflush(stdout);
		sigwait(&set, &sig);
		i++;
	}
	if (i >= argc)
		usage();
	if (!strcmp(argv[i], "nanosleep")) {
		long n = arg(argv, i + 1, argc), ms = arg(argv, i + 2, argc);
		unsigned long long *v = calloc(n ? n : 1, sizeof(*v));
		unsigned long long *lo = calloc(n ? n : 1, sizeof(*lo));
		unsigned long long *ovh = calloc(n ? n : 1, sizeof(*ovh));
		unsigned long long sleep_ns = ms * 1000000ull;
		struct timespec req = { ms / 1000, (ms % 1000) * 1000000L };
		long clean = 0;

		for (long k = 0; k < n; k++) {
			unsigned long long t, c;
			long inv0, vol0, inv1, vol1;

			switches(&inv0, &vol0);
			c = cpu_ns();
			t = now_ns();
			syscall(SYS_nanosleep, &req, NULL);
			v[k] = now_ns() - t;
			c = cpu_ns() - c;
			switches(&inv1, &vol1);
			lo[k] = sleep_ns;
			if (inv1 == inv0 && vol1 - vol0 <= 1) {
				ovh[clean++] = c;
				if (v[k] > c && v[k] - c > sleep_ns)
					lo[k] = v[k] - c;
			}
		}
		if (n > 0) {
			qsort(lo, n, sizeof(*lo), cmp_u64);
			qsort(ovh, clean, sizeof(*ovh), cmp_u64);
			printf("clean=%ld overhead_p50_ns=%llu lo_p50_ns=%llu lo_p99_ns=%llu "
			       "lo_max_ns=%llu\n",
			       clean, clean ? pct(ovh, clean, 50) : 0, pct(lo, n, 50),
			       pct(lo, n, 99), lo[n - 1]);
		}
		report(v, n, n);
		free(ovh);
		free(lo);
		free(v);
	} else if (!strcmp(argv[i], "enoent")) {
		long n = arg(argv, i + 1, argc), bad = 0;
		unsigned long long *v = calloc(n ? n : 1, sizeof(*v));

		for (long k = 0; k < n; k++) {
			unsigned long long t = now_ns();
			long r = syscall(SYS_openat, AT_FDCWD, "/nonexistent/slatrace-sysload", O_RDONLY);

			v[k] = now_ns() - t;
			if (r >= 0 || errno != ENOENT)
				bad++;
		}
		report(v, n, n - bad);
		free(v);
	} else if (!strcmp(argv[i], "getppid")) {
		long n = arg(argv, i + 1, argc);

		for (long k = 0; k < n; k++)
			syscall(SYS_getppid);
		report(NULL, 0, n);
	} else if (!strcmp(argv[i], "children")) {
		long kids = arg(argv, i + 1, argc), n = arg(argv, i + 2, argc);

		for (long c = 0; c < kids; c++) {
			pid_t p = fork();

			if (p == 0) {
				for (long k = 0; k < n; k++)
					syscall(SYS_getppid);
				_exit(0);
			}
			if (p < 0)
				return 1;
		}
		while (wait(NULL) > 0)
			;
		report(NULL, 0, kids * n);
	} else if (!strcmp(argv[i], "spin")) {
		long secs = arg(argv, i + 1, argc), n = 0;
		unsigned long long end = now_ns() + secs * 1000000000ull;

		while (now_ns() < end) {
			syscall(SYS_getppid);
			n++;
		}
		report(NULL, 0, n);
	} else if (!strcmp(argv[i], "stuck")) {
		long k = arg(argv, i + 1, argc);
		struct timespec settle = { 0, 200000000L };
		pthread_t t;

		for (long c = 0; c < k; c++)
			if (pthread_create(&t, NULL, stuck_thread, NULL))
				return 1;
		while (__atomic_load_n(&inside, __ATOMIC_SEQ_CST) < k)
			sched_yield();
		/* they are in, or about to be: let them get there */
		syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &settle, NULL);
		report(NULL, 0, k);
		syscall(SYS_exit_group, 0);
	} else if (!strcmp(argv[i], "threadexec")) {
		pthread_t t;

		ssize_t len = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);

		arg(argv, i + 1, argc);
		exec_n = argv[i + 1];
		/* its own path, not /proc/self/exe: the comm stays "sysload" */
		if (len <= 0)
			return 1;
		self_path[len] = 0;
		if (pthread_create(&t, NULL, exec_thread, NULL))
			return 1;
		for (;;)
			syscall(SYS_pause);
	} else if (!strcmp(argv[i], "exits")) {
		long k = arg(argv, i + 1, argc);

		for (long c = 0; c < k; c++) {
			pthread_t t;

			/* joined: it has called exit(2) */
			if (pthread_create(&t, NULL, exit_thread, NULL) || pthread_join(t, NULL))
				return 1;
		}
		report(NULL, 0, k);
		syscall(SYS_exit_group, 0);
	} else {
		usage();
	}
	return 0;
}
