// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A workload for the signals tests that counts and times its own signals,
 * the truth slatrace's figures are held against. One mode per run:
 *   sigsend rt N          sigqueue N SIGRTMIN+1 to itself; prints received=N
 *   sigsend blocked MS    block SIGUSR2, raise it, wait MS, unblock; prints
 *                         lo_ns/hi_ns, the bounds of its time pending
 *   sigsend blocked2 LONG SHORT
 *                         the same twice, LONG ms on the last CPU it may
 *                         run on, then SHORT ms on the first: the longest
 *                         pending time is not the last CPU's; prints the
 *                         long one's lo_ns/hi_ns, short_hi_ns, cpus=A,B
 *   sigsend alarm N K     an interval timer (5 ms) until N SIGALRM were
 *                         handled, then K children that exit at once;
 *                         prints alarms=, chld=
 *   sigsend senders N     N children each sigqueue one SIGRTMIN+2 to it;
 *                         prints received=, and SIGCHLD left at its default
 *                         (ignored)
 *   sigsend preblocked    block SIGUSR1, raise it, print "ready PID", wait
 *                         for a line on stdin, unblock: raised before a
 *                         tracer started with -p, delivered after
 * Run the others as slatrace trace ... -- sigsend ...: slatrace starts it
 * once attached.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t received;
static volatile long long handled_at;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_signal(int sig)
{
	(void)sig;
	if (!handled_at)
		handled_at = now_ns();
	received++;
}

static void handle(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL)) {
		perror("sigaction");
		exit(1);
	}
}

static int rt(long n)
{
	union sigval v = { 0 };

	handle(SIGRTMIN + 1);
	for (long i = 0; i < n; i++)
		if (sigqueue(getpid(), SIGRTMIN + 1, v)) {
			perror("sigqueue");
			return 1;
		}
	printf("received=%d\n", (int)received);
	return 0;
}

/* Run on cpu only (unless it is -1); the CPU the thread is on after */
static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu >= 0) {
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("sched_setaffinity");
	}
	return sched_getcpu();
}

/* one blocked SIGUSR2, pending ms: its bounds in *lo, *hi */
static void blocked_round(long ms, long long *lo, long long *hi)
{
	struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
	long long t0, t1, tu;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	handled_at = 0;
	t0 = now_ns();
	raise(SIGUSR2);
	t1 = now_ns();
	while (nanosleep(&d, &d) && errno == EINTR)
		;
	tu = now_ns();
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	/* raised in [t0, t1]; delivered after tu, before the handler ran */
	*lo = tu - t1;
	*hi = handled_at - t0;
}

static int blocked(long ms)
{
	long long lo, hi;

	handle(SIGUSR2);
	blocked_round(ms, &lo, &hi);
	printf("received=%d lo_ns=%lld hi_ns=%lld\n", (int)received, lo, hi);
	return received == 1 ? 0 : 1;
}

static int blocked2(long long_ms, long short_ms)
{
	long long lo, hi, slo, shi;
	int first = -1, last = -1, a, b;
	cpu_set_t set;

	handle(SIGUSR2);
	if (!sched_getaffinity(0, sizeof(set), &set))
		for (int i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set)) {
				if (first < 0)
					first = i;
				last = i;
			}
	a = pin(last);
	blocked_round(long_ms, &lo, &hi);
	b = pin(first);
	blocked_round(short_ms, &slo, &shi);
	printf("received=%d lo_ns=%lld hi_ns=%lld short_hi_ns=%lld cpus=%d,%d\n", (int)received, lo,
	       hi, shi, a, b);
	return received == 2 ? 0 : 1;
}

static int alarm_mode(long n, long k)
{
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } }, off = { { 0, 0 }, { 0, 0 } };
	sigset_t set, old;
	int chld = 0;

	handle(SIGALRM);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	while (received < n)
		sigsuspend(&old);
	setitimer(ITIMER_REAL, &off, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* a timer that fired between the last wake and the disarm was handled
	 * on the unblock above, and counted */
	printf("alarms=%d\n", (int)received);
	received = 0;
	handle(SIGCHLD);
	for (long i = 0; i < k; i++) {
		pid_t p = fork();

		if (p < 0)
			return 1;
		if (!p)
			_exit(0);
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
		chld++;
	}
	printf("children=%d chld_handled=%d\n", chld, (int)received);
	return 0;
}

static int senders(long n)
{
	pid_t parent = getpid();
	sigset_t set, old;

	handle(SIGRTMIN + 2);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (long i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0)
			return 1;
		if (!p) {
			union sigval v = { 0 };

			_exit(sigqueue(parent, SIGRTMIN + 2, v) ? 1 : 0);
		}
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
		/* deliver as we go: the queue of pending signals is bounded */
		sigprocmask(SIG_SETMASK, &old, NULL);
		sigprocmask(SIG_BLOCK, &set, NULL);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("received=%d children=%ld\n", (int)received, n);
	return 0;
}

static int preblocked(void)
{
	char line[16];
	sigset_t set;

	handle(SIGUSR1);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	printf("ready %d\n", (int)getpid());
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("received=%d\n", (int)received);
	return received == 1 ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "rt"))
		return rt(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "blocked"))
		return blocked(atol(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "blocked2"))
		return blocked2(atol(argv[2]), atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "alarm"))
		return alarm_mode(atol(argv[2]), atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "senders"))
		return senders(atol(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "preblocked"))
		return preblocked();
	fprintf(stderr, "usage: sigsend rt N | blocked MS | blocked2 LONG SHORT | alarm N K | "
			"senders N | preblocked\n");
	return 2;
}
