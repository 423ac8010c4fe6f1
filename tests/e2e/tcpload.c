// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TCP workloads that count and time for themselves, so the tcp e2e tests
 * and bench/tcp.sh can hold slatrace's figures against the truth.
 *
 *   tcpload [--gate] server ADDR:PORT [--backlog N] [--accept-delay MS]
 *           [--read-size N] [--read-delay MS] [--rcvbuf N] [--echo] [--conns N]
 *           [--abort] [--hold]
 *       Listen; serve connections (poll loop) until --conns were served or
 *       SIGTERM. --accept-delay: sleep before each accept(). --read-delay:
 *       sleep between reads of --read-size bytes (a slow reader). --echo:
 *       write back what was read. --rcvbuf: SO_RCVBUF of the connections (a
 *       window that cannot grow past it). --abort: reset each connection as
 *       soon as it is accepted (SO_LINGER 0, close). --hold: listen, print
 *       "listening", accept nothing until SIGUSR1, then print "released
 *       queue=Q backlog=B" (the listener's tcp_info). A client that sends a timestamp first
 *       (connects --stamp) gets its accept wait measured.
 *       Prints "listening ADDR:PORT", at the end "accepted=N bytes=B
 *       rate_bps=R wait_n=N wait_p50_ns=.. wait_max_ns=..", where rate is
 *       bytes over first to last byte received, measured by the reader.
 *   tcpload [--gate] send ADDR:PORT --bytes N [--write-size N]
 *           [--write-delay MS] [--hold]
 *       Connect, write N bytes (a slow writer with --write-delay), shut down
 *       the write side, wait for the server's EOF. --hold: connect, print
 *       "connected", then wait for SIGUSR1 before writing (a connection
 *       older than the tracer). Prints "sent=N elapsed_ns=.. connect_ns=..
 *       busy_us=.. rwnd_limited_us=.. sndbuf_limited_us=.." (tcp_info after the
 *       peer acknowledged everything, just before close).
 *   tcpload [--gate] connects ADDR:PORT --count N [--rate PER_S]
 *           [--parallel P] [--stamp] [--syncnt N] [--send N] [--hold]
 *       N short connections: connect, (--stamp: write the CLOCK_MONOTONIC
 *       time connect() returned; --send: write N bytes), close; --parallel:
 *       P at a time, closed only after the server closes. --hold: keep the
 *       first batch open, print "holding", wait for SIGUSR1. Prints
 *       "ok=N refused=N timedout=N unreachable=N other=N reset=N syn_retrans=N
 *       other_errno=E" (reset: connections whose write, or wait for the
 *       server's EOF, ended in ECONNRESET; syn_retrans: the SYNs each socket
 *       resent, its tcp_info total_retrans when connect() returned; other_errno:
 *       the last errno counted in other).
 *   tcpload [--gate] rr ADDR:PORT --count N [--interval-ms MS]
 *       Request/response of one byte against an --echo server; prints
 *       "count=N rtt_p50_ns=..".
 *
 * ADDR is IPv4 or [IPv6]. --gate: print "ready PID" and wait for SIGUSR1
 * before starting. Exits 0 when the workload ran as asked, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* the kernel's whole tcp_info, not glibc's older copy */
#include <sys/socket.h>

#define MAX_CONNS 4096
#define MAX_WAITS 65536

static volatile sig_atomic_t got_usr1, got_term;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR && !got_term)
		;
}

static void wait_usr1(void)
{
	sigset_t none;

	sigemptyset(&none);
	while (!got_usr1 && !got_term)
		sigsuspend(&none);
}

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	size_t hl;
	int port;

	if (!colon)
		return -1;
	port = atoi(colon + 1);
	hl = colon - s;
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = 0;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = 0;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		*len = sizeof(*a);
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
	}
	{
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		*len = sizeof(*a);
		return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
	}
}

static void fmt_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, ntohs(a->sin_port));
	}
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static unsigned long long pct(unsigned long long *v, long n, double p)
{
	long rank = (long)(p / 100.0 * n + 0.999999999);

	if (!n)
		return 0;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

struct opts {
	const char *addr;
	long backlog, accept_delay, read_size, read_delay, conns, bytes, write_size, write_delay;
	long count, rate, parallel, syncnt, send, interval_ms, rcvbuf;
	int echo, hold, stamp, abort;
};

/* ---- server ---- */

struct sconn {
	int fd;
	int stamp_got;
	unsigned char stamp[8];
	unsigned long long accepted_ns;
};

static int server(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct pollfd pf[MAX_CONNS + 1];
	struct sconn *c = calloc(MAX_CONNS, sizeof(*c));
	unsigned long long *waits = calloc(MAX_WAITS, sizeof(*waits));
	unsigned long long bytes = 0, first = 0, last = 0;
	long nconn = 0, accepted = 0, served = 0, nwaits = 0;
	char *buf, name[160];
	int lfd, one = 1;

	buf = malloc(o->read_size > 65536 ? o->read_size : 65536);
	if (!c || !waits || !buf || parse_addr(o->addr, &ss, &len))
		return 1;
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return perror("socket"), 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (o->rcvbuf) {
		int v = (int)o->rcvbuf;

		setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	}
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, (int)o->backlog))
		return perror("bind/listen"), 1;
	len = sizeof(ss);
	getsockname(lfd, (struct sockaddr *)&ss, &len);
	fmt_addr(&ss, name, sizeof(name));
	printf("listening %s\n", name);
	fflush(stdout);
	if (o->hold) {
		/* the queue fills while nobody accepts; its length as the
		 * kernel reports it (tcp_info of a listener) when let go */
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);

		wait_usr1();
		memset(&ti, 0, sizeof(ti));
		getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &tl);
		printf("released queue=%u backlog=%u\n", ti.tcpi_unacked, ti.tcpi_sacked);
		fflush(stdout);
	}
	while (!got_term && (!o->conns || served < o->conns)) {
		int n, np = 0;

		if (nconn < MAX_CONNS) {
			pf[np].fd = lfd;
			pf[np++].events = POLLIN;
		}
		for (int i = 0; i < nconn; i++) {
			pf[np].fd = c[i].fd;
			pf[np++].events = POLLIN;
		}
		int off = nconn < MAX_CONNS ? 1 : 0, polled = nconn;

		n = poll(pf, np, 200);
		if (n <= 0)
			continue;
		if (nconn < MAX_CONNS && (pf[0].revents & POLLIN)) {
			int fd;

			if (o->accept_delay)
				sleep_ms(o->accept_delay);
			fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0 && o->abort) {
				struct linger lg = { 1, 0 };

				setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
				close(fd);
				accepted++;
				served++;
				fd = -1;
			}
			if (fd >= 0) {
				c[nconn].fd = fd;
				c[nconn].stamp_got = 0;
				c[nconn].accepted_ns = now_ns();
				nconn++;
				accepted++;
			}
		}
		for (int i = 0, p = off; i < polled; i++, p++) {
			ssize_t r;

			if (!(pf[p].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (o->read_delay)
				sleep_ms(o->read_delay);
			r = read(c[i].fd, buf, o->read_size);
			if (r > 0) {
				unsigned long long t = now_ns();

				if (!first)
					first = t;
				last = t;
				bytes += r;
				if (o->echo && write(c[i].fd, buf, r) != r)
					r = 0;
				/* a stamp: the first 8 bytes of a connection */
				for (ssize_t k = 0; k < r && c[i].stamp_got < 8; k++)
					c[i].stamp[c[i].stamp_got++] = buf[k];
				if (c[i].stamp_got == 8) {
					unsigned long long st;

					memcpy(&st, c[i].stamp, 8);
					c[i].stamp_got = 9;
					if (st && st < c[i].accepted_ns && nwaits < MAX_WAITS)
						waits[nwaits++] = c[i].accepted_ns - st;
				}
			}
			if (r <= 0) {
				close(c[i].fd);
				c[i] = c[--nconn];
				served++;
				/* the poll slots shifted: finish this round */
				break;
			}
		}
	}
	qsort(waits, nwaits, sizeof(*waits), cmp_u64);
	printf("accepted=%ld bytes=%llu rate_bps=%llu wait_n=%ld wait_p50_ns=%llu "
	       "wait_max_ns=%llu\n",
	       accepted, bytes, last > first ? bytes * 8000000000ull / (last - first) : 0, nwaits,
	       pct(waits, nwaits, 50), nwaits ? waits[nwaits - 1] : 0);
	return 0;
}

/* ---- clients ---- */

/* the kernel's retransmit count of a socket (tcp_info), 0 when unreadable */
static unsigned int total_retrans(int fd)
{
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl))
		return 0;
	return ti.tcpi_total_retrans;
}

static long syn_retrans; /* connects: SYNs resent, from each socket's own tcp_info */

static int do_connect(const struct sockaddr_storage *ss, socklen_t len, long syncnt, int *err)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*err = 0;
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (syncnt) {
		int v = (int)syncnt;

		setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &v, sizeof(v));
	}
	/* nothing but SYNs left before connect() returns: all its retransmits
	 * are SYNs */
	if (connect(fd, (const struct sockaddr *)ss, len)) {
		*err = errno;
		syn_retrans += total_retrans(fd);
		close(fd);
		return -1;
	}
	syn_retrans += total_retrans(fd);
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= w;
	}
	return 0;
}

/* wait for the peer's EOF (it has read everything); 0 or the errno */
static int drain_eof(int fd)
{
	char b[4096];
	ssize_t n;

	while ((n = read(fd, b, sizeof(b))) > 0)
		;
	return n < 0 ? errno : 0;
}

static int sender(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned long long t0, t1, t2;
	long ws = o->write_size ? o->write_size : 65536, left = o->bytes;
	char *buf = calloc(1, ws);
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	int fd, err;

	if (!buf || parse_addr(o->addr, &ss, &len))
		return 1;
	t0 = now_ns();
	fd = do_connect(&ss, len, 0, &err);
	if (fd < 0) {
		fprintf(stderr, "connect: %s\n", strerror(err));
		return 1;
	}
	t1 = now_ns();
	if (o->hold) {
		printf("connected\n");
		fflush(stdout);
		wait_usr1();
	}
	t1 = now_ns();
	while (left > 0 && !got_term) {
		long n = left < ws ? left : ws;

		if (write_all(fd, buf, n))
			return perror("write"), 1;
		left -= n;
		if (o->write_delay && left > 0)
			sleep_ms(o->write_delay);
	}
	shutdown(fd, SHUT_WR);
	drain_eof(fd);
	t2 = now_ns();
	/* the kernel's send-time accounting, after the peer acknowledged
	 * everything: busy (all of it), and of that rwnd- and sndbuf-limited */
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl))
		memset(&ti, 0, sizeof(ti));
	close(fd);
	printf("sent=%ld elapsed_ns=%llu connect_ns=%llu busy_us=%llu rwnd_limited_us=%llu "
	       "sndbuf_limited_us=%llu\n",
	       o->bytes - left, t2 - t1, o->hold ? 0 : t1 - t0,
	       (unsigned long long)ti.tcpi_busy_time, (unsigned long long)ti.tcpi_rwnd_limited,
	       (unsigned long long)ti.tcpi_sndbuf_limited);
	return left ? 1 : 0;
}

static int connects(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long ok = 0, refused = 0, timedout = 0, unreach = 0, other = 0, reset = 0;
	int other_errno = 0;
	long par = o->parallel ? o->parallel : 1;
	int *fds = calloc(par, sizeof(*fds));
	char *payload = calloc(1, o->send > 8 ? o->send : 8);
	unsigned long long start = now_ns();

	if (!fds || !payload || parse_addr(o->addr, &ss, &len))
		return 1;
	for (long i = 0; i < o->count && !got_term;) {
		long batch = 0;

		for (; batch < par && i < o->count; batch++, i++) {
			int err;

			if (o->rate) {
				unsigned long long due =
				    start + (unsigned long long)i * 1000000000ull / o->rate;
				unsigned long long t = now_ns();

				if (due > t) {
					struct timespec ts = { (due - t) / 1000000000ull,
							       (due - t) % 1000000000ull };

					nanosleep(&ts, NULL);
				}
			}
			fds[batch] = do_connect(&ss, len, o->syncnt, &err);
			if (fds[batch] < 0) {
				if (err == ECONNREFUSED)
					refused++;
				else if (err == ETIMEDOUT)
					timedout++;
				else if (err == EHOSTUNREACH || err == ENETUNREACH)
					unreach++;
				else {
					other++;
					other_errno = err;
				}
				continue;
			}
			ok++;
			if (o->stamp) {
				unsigned long long t = now_ns();

				memcpy(payload, &t, 8);
			}
			if ((o->stamp || o->send) &&
			    write_all(fds[batch], payload, o->send > 8 ? o->send : 8)) {
				/* reset already: the write got the error */
				if (errno == ECONNRESET)
					reset++;
				else
					other++;
				close(fds[batch]);
				fds[batch] = -1;
			}
		}
		if (o->hold) {
			printf("holding\n");
			fflush(stdout);
			wait_usr1();
		}
		for (long k = 0; k < batch; k++) {
			if (fds[k] < 0)
				continue;
			if (par > 1 || o->stamp) {
				shutdown(fds[k], SHUT_WR);
				reset += drain_eof(fds[k]) == ECONNRESET;
			}
			close(fds[k]);
		}
	}
	printf("ok=%ld refused=%ld timedout=%ld unreachable=%ld other=%ld reset=%ld "
	       "syn_retrans=%ld other_errno=%d\n",
	       ok, refused, timedout, unreach, other, reset, syn_retrans, other_errno);
	return 0;
}

static int rr(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned long long *v = calloc(o->count ? o->count : 1, sizeof(*v));
	long n = 0;
	int fd, err;
	char b = 'x';

	if (!v || parse_addr(o->addr, &ss, &len))
		return 1;
	fd = do_connect(&ss, len, 0, &err);
	if (fd < 0)
		return fprintf(stderr, "connect: %s\n", strerror(err)), 1;
	for (long i = 0; i < o->count && !got_term; i++) {
		unsigned long long t = now_ns();

		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1)
			return 1;
		v[n++] = now_ns() - t;
		if (o->interval_ms)
			sleep_ms(o->interval_ms);
	}
	shutdown(fd, SHUT_WR);
	drain_eof(fd);
	close(fd);
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("count=%ld rtt_p50_ns=%llu\n", n, pct(v, n, 50));
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: tcpload [--gate] server|send|connects|rr ADDR:PORT [options]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = { .backlog = 128, .read_size = 65536 };
	struct sigaction sa = { 0 };
	const char *mode;
	int i = 1, gate = 0;

	if (i < argc && !strcmp(argv[i], "--gate")) {
		gate = 1;
		i++;
	}
	if (argc - i < 2)
		return usage();
	mode = argv[i++];
	o.addr = argv[i++];
	for (; i < argc; i++) {
		const char *a = argv[i];
		long *dst = NULL;

		if (!strcmp(a, "--echo")) {
			o.echo = 1;
			continue;
		}
		if (!strcmp(a, "--hold")) {
			o.hold = 1;
			continue;
		}
		if (!strcmp(a, "--stamp")) {
			o.stamp = 1;
			continue;
		}
		if (!strcmp(a, "--abort")) {
			o.abort = 1;
			continue;
		}
		if (!strcmp(a, "--backlog"))
			dst = &o.backlog;
		else if (!strcmp(a, "--accept-delay"))
			dst = &o.accept_delay;
		else if (!strcmp(a, "--read-size"))
			dst = &o.read_size;
		else if (!strcmp(a, "--read-delay"))
			dst = &o.read_delay;
		else if (!strcmp(a, "--conns"))
			dst = &o.conns;
		else if (!strcmp(a, "--bytes"))
			dst = &o.bytes;
		else if (!strcmp(a, "--write-size"))
			dst = &o.write_size;
		else if (!strcmp(a, "--write-delay"))
			dst = &o.write_delay;
		else if (!strcmp(a, "--count"))
			dst = &o.count;
		else if (!strcmp(a, "--rate"))
			dst = &o.rate;
		else if (!strcmp(a, "--parallel"))
			dst = &o.parallel;
		else if (!strcmp(a, "--syncnt"))
			dst = &o.syncnt;
		else if (!strcmp(a, "--send"))
			dst = &o.send;
		else if (!strcmp(a, "--rcvbuf"))
			dst = &o.rcvbuf;
		else if (!strcmp(a, "--interval-ms"))
			dst = &o.interval_ms;
		if (!dst || i + 1 >= argc)
			return usage();
		*dst = atol(argv[++i]);
	}
	if (o.read_size <= 0 || o.parallel > MAX_CONNS)
		return usage();
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (gate) {
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		wait_usr1();
		got_usr1 = 0;
	}
	if (!strcmp(mode, "server"))
		return server(&o);
	if (!strcmp(mode, "send"))
		return sender(&o);
	if (!strcmp(mode, "connects"))
		return connects(&o);
	if (!strcmp(mode, "rr"))
		return rr(&o);
	return usage();
}
