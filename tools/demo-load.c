// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * demo-load: a bounded HTTP/1.1 load generator with a deterministic mix of
 * routes, the client side of demo-server. wrk measures throughput; this
 * sends an exact number of requests, so its counts are a truth to compare.
 *
 *   demo-load --connect 127.0.0.1:PORT --requests N --connections C
 *             [--mix /fast=50,/slow=10] [--keepalive|--close] [--timeout S]
 *
 * Request i (0 <= i < N, handed out by one atomic counter to C threads, each
 * with its own connection) goes to schedule[i % W], where the schedule
 * interleaves the routes in proportion to their weights (smooth weighted
 * round robin), so the count per route depends on N and the mix only.
 * A request is sent at most once: a connection that fails mid-request costs
 * that request, never a retry. Everything waits on poll() against one
 * deadline, so the run ends by --timeout whatever the server does.
 *
 * Prints per route "route=/slow count=.. status_200=.. p50_ms=.. p99_ms=..
 * max_ms=.." (exact percentiles of its own samples, timed from the first byte
 * sent to the last byte received), then a "total=" line. Exits 0 when every
 * request got a response, 1 otherwise, 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#define PROG	      "demo-load"
#define MAX_ROUTES    64
#define MAX_ROUTE_LEN 256
#define MAX_WEIGHT    1000000UL
#define BUF_SIZE      65536

#include "demo-common.h"

struct route {
	char path[MAX_ROUTE_LEN];
	unsigned long weight;
};

static struct {
	const char *connect;
	unsigned long requests;
	unsigned long connections;
	unsigned long timeout_s;
	bool close;
	const char *mix;
} cfg = {
    .requests = 1000,
    .connections = 1,
    .timeout_s = 60,
    .mix = "/fast=50,/slow=10,/tail=20,/error=5,/disk=5,/lock=10",
};

static struct sockaddr_storage peer;
static socklen_t peer_len;
static char host_hdr[128];

static struct route routes[MAX_ROUTES];
static int nr_routes;
static unsigned char *schedule; /* route index of request i is schedule[i % sched_len] */
static unsigned long sched_len;

enum { S_UNSENT, S_OK, S_FAILED };

struct sample {
	uint64_t lat_ns;
	uint16_t status;
	uint8_t route;
	uint8_t state; /* written last, with release order */
};

static struct sample *samples;
static unsigned long next_req;
static uint64_t deadline_ns;
static bool error_said;

struct client {
	pthread_t tid;
	size_t len; /* bytes buffered after the last response */
	char buf[BUF_SIZE];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * "127.0.0.1:PORT", "[::1]:PORT", "unix:PATH" or "/PATH". Only loopback and
 * Unix sockets: this tool is for local demos and tests, not for load on
 * other people's servers.
 */
static int parse_addr(const char *s)
{
	int err;

	memset(&peer, 0, sizeof(peer));
	if (!strncmp(s, "unix:", 5) || s[0] == '/') {
		struct sockaddr_un *a = (struct sockaddr_un *)&peer;
		const char *path = s[0] == '/' ? s : s + 5;

		if (!*path || strlen(path) >= sizeof(a->sun_path))
			return -EINVAL;
		a->sun_family = AF_UNIX;
		strcpy(a->sun_path, path);
		peer_len = sizeof(*a);
		snprintf(host_hdr, sizeof(host_hdr), "localhost");
		return 0;
	}
	err = parse_inet(s, 1, &peer, &peer_len);
	if (err)
		return err;
	snprintf(host_hdr, sizeof(host_hdr), "%s", s);
	return 0;
}

/* "/fast=50,/slow=10": paths start with '/', weights are positive */
static void parse_mix(const char *mix)
{
	const char *p = mix;

	while (*p) {
		size_t len = strcspn(p, ","), plen;
		const char *eq = memchr(p, '=', len);
		struct route *r;

		if (!eq || eq == p || p[0] != '/')
			usage_error("invalid entry in '--mix': '%.*s' (expected /PATH=WEIGHT)",
				    (int)len, p);
		plen = eq - p;
		for (size_t i = 0; i < plen; i++)
			if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
				usage_error("invalid path in '--mix': '%.*s'", (int)plen, p);
		if (plen >= MAX_ROUTE_LEN)
			usage_error("path too long in '--mix': '%.*s'", (int)plen, p);
		for (int i = 0; i < nr_routes; i++)
			if (strlen(routes[i].path) == plen && !strncmp(routes[i].path, p, plen))
				usage_error("path given twice in '--mix': '%.*s'", (int)plen, p);
		if (nr_routes == MAX_ROUTES)
			usage_error("too many paths in '--mix' (at most %d)", MAX_ROUTES);
		r = &routes[nr_routes++];
		memcpy(r->path, p, plen);
		r->path[plen] = '\0';
		if (parse_ulong(eq + 1, len - plen - 1, 1, MAX_WEIGHT, &r->weight))
			usage_error("invalid weight in '--mix': '%.*s' (expected 1..%lu)", (int)len,
				    p, MAX_WEIGHT);
		p += len;
		if (*p == ',' && !*++p)
			usage_error("invalid value for '--mix': '%s' (trailing comma)", mix);
	}
	if (!nr_routes)
		usage_error("invalid value for '--mix': '%s' (no paths)", mix);
}

/*
 * Smooth weighted round robin: each step every route gains its weight and
 * the richest one is picked and pays the total. Over sched_len steps each
 * route is picked exactly weight times, spread out rather than in runs.
 */
static int build_schedule(void)
{
	long long credit[MAX_ROUTES] = {0};

	sched_len = 0;
	for (int i = 0; i < nr_routes; i++)
		sched_len += routes[i].weight;
	schedule = malloc(sched_len);
	if (!schedule)
		return -ENOMEM;
	for (unsigned long k = 0; k < sched_len; k++) {
		int best = 0;

		for (int i = 0; i < nr_routes; i++) {
			credit[i] += (long long)routes[i].weight;
			if (credit[i] > credit[best])
				best = i;
		}
		credit[best] -= (long long)sched_len;
		schedule[k] = (unsigned char)best;
	}
	return 0;
}

/* waits for events on fd until the run's deadline */
static int wait_fd(int fd, short events)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		uint64_t now = now_ns();
		int n;

		if (now >= deadline_ns)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)((deadline_ns - now + 999999) / 1000000));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int dial(int *out)
{
	int fd, one = 1, err, soerr;
	socklen_t len = sizeof(soerr);

	fd = socket(peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (peer.ss_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (connect(fd, (struct sockaddr *)&peer, peer_len) < 0) {
		if (errno == EINTR)
			continue;
		/* a Unix listener with a full backlog: try again until the deadline */
		if (errno == EAGAIN && peer.ss_family == AF_UNIX) {
			struct timespec ms = {0, 1000000};

			if (now_ns() >= deadline_ns) {
				err = -ETIMEDOUT;
				goto fail;
			}
			nanosleep(&ms, NULL);
			continue;
		}
		if (errno != EINPROGRESS) {
			err = -errno;
			goto fail;
		}
		err = wait_fd(fd, POLLOUT);
		if (err)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
			err = -errno;
			goto fail;
		}
		if (soerr) {
			err = -soerr;
			goto fail;
		}
		break;
	}
	*out = fd;
	return 0;
fail:
	close(fd);
	return err;
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		int err;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			err = wait_fd(fd, POLLOUT);
			if (err)
				return err;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* appends to cl->buf; 0 on EOF, -errno on error or at the deadline */
static ssize_t fill(struct client *cl, int fd)
{
	for (;;) {
		ssize_t n = read(fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len);
		int err;

		if (n >= 0) {
			cl->len += (size_t)n;
			return n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		err = wait_fd(fd, POLLIN);
		if (err)
			return err;
	}
}

static bool header_is(const char *line, size_t len, const char *name, const char **val)
{
	size_t nlen = strlen(name);

	if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen))
		return false;
	*val = line + nlen + 1;
	while (**val == ' ' || **val == '\t')
		(*val)++;
	return true;
}

/* reads one response: its status, and whether the server closes after it */
static int read_response(struct client *cl, int fd, int *status, bool *closing)
{
	unsigned long long left;
	unsigned long v, body_len = 0;
	bool have_len = false, http10;
	char *head_end, *line;
	ssize_t n;

	for (;;) {
		head_end = memmem(cl->buf, cl->len, "\r\n\r\n", 4);
		if (head_end)
			break;
		if (cl->len == sizeof(cl->buf))
			return -EPROTO;
		n = fill(cl, fd);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return cl->len ? -EPROTO : -ECONNRESET;
	}
	head_end += 4;
	if (cl->len < 12 || strncmp(cl->buf, "HTTP/1.", 7) || cl->buf[8] != ' ' ||
	    parse_ulong(cl->buf + 9, 3, 100, 599, &v))
		return -EPROTO;
	*status = (int)v;
	http10 = cl->buf[7] == '0';
	*closing = http10;
	for (line = (char *)memchr(cl->buf, '\n', head_end - cl->buf) + 1; line < head_end - 2;) {
		char *nl = memchr(line, '\n', head_end - line);
		char *eol = nl > line && nl[-1] == '\r' ? nl - 1 : nl;
		size_t len = eol - line;
		const char *val;

		if (header_is(line, len, "Content-Length", &val)) {
			size_t vlen = eol - val;

			while (vlen && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
				vlen--;
			if (parse_ulong(val, vlen, 0, ULONG_MAX, &body_len))
				return -EPROTO;
			have_len = true;
		} else if (header_is(line, len, "Connection", &val)) {
			if (!strncasecmp(val, "close", 5))
				*closing = true;
			else if (http10 && !strncasecmp(val, "keep-alive", 10))
				*closing = false;
		}
		line = nl + 1;
	}

	/* the body: without Content-Length it runs to the end of the connection */
	left = have_len ? body_len : ULLONG_MAX;
	cl->len -= head_end - cl->buf;
	memmove(cl->buf, head_end, cl->len);
	for (;;) {
		size_t take = cl->len < left ? cl->len : (size_t)left;

		memmove(cl->buf, cl->buf + take, cl->len - take);
		cl->len -= take;
		left -= take;
		if (!left)
			return 0;
		n = fill(cl, fd);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			if (have_len)
				return -EPROTO;
			*closing = true;
			return 0;
		}
	}
}

static void say_failure(unsigned long i, int err)
{
	if (__atomic_exchange_n(&error_said, true, __ATOMIC_RELAXED))
		return;
	error_msg("request %lu to '%s' failed: %s%s", i, routes[schedule[i % sched_len]].path,
		  err == -EPROTO ? "malformed response" : strerror(-err),
		  err == -ETIMEDOUT ? " (--timeout reached)" : "");
}

static void *client_loop(void *arg)
{
	struct client *cl = arg;
	int fd = -1;

	for (;;) {
		unsigned long i = __atomic_fetch_add(&next_req, 1, __ATOMIC_RELAXED);
		char req[MAX_ROUTE_LEN + 256];
		bool closing = false;
		int err, status = 0, len;
		struct sample *s;
		uint64_t t0;

		if (i >= cfg.requests || now_ns() >= deadline_ns)
			break;
		s = &samples[i];
		s->route = schedule[i % sched_len];
		if (fd < 0) {
			cl->len = 0;
			err = dial(&fd);
			if (err) {
				say_failure(i, err);
				__atomic_store_n(&s->state, S_FAILED, __ATOMIC_RELEASE);
				continue;
			}
		}
		len = snprintf(req, sizeof(req),
			       "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: " PROG "\r\n%s\r\n",
			       routes[s->route].path, host_hdr,
			       cfg.close ? "Connection: close\r\n" : "");
		t0 = now_ns();
		err = send_all(fd, req, (size_t)len);
		if (!err)
			err = read_response(cl, fd, &status, &closing);
		if (err) {
			say_failure(i, err);
			__atomic_store_n(&s->state, S_FAILED, __ATOMIC_RELEASE);
			close(fd);
			fd = -1;
			continue;
		}
		s->lat_ns = now_ns() - t0;
		s->status = (uint16_t)status;
		__atomic_store_n(&s->state, S_OK, __ATOMIC_RELEASE);
		if (cfg.close || closing) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* nearest rank */
static uint64_t pct(const uint64_t *v, unsigned long n, unsigned long p)
{
	unsigned long rank = (n * p + 99) / 100;

	return v[(rank ? rank : 1) - 1];
}

static void report(uint64_t elapsed_ns, unsigned long *answered, unsigned long *failed)
{
	uint64_t *lat = malloc((cfg.requests ? cfg.requests : 1) * sizeof(*lat));
	unsigned long unsent = 0;

	*answered = *failed = 0;
	for (int r = 0; r < nr_routes; r++) {
		unsigned long status[600] = {0}, n = 0, bad = 0;

		for (unsigned long i = 0; i < cfg.requests; i++) {
			const struct sample *s = &samples[i];
			int state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

			if (state == S_UNSENT || s->route != r)
				continue;
			if (state == S_FAILED) {
				bad++;
				continue;
			}
			status[s->status]++;
			if (lat)
				lat[n] = s->lat_ns;
			n++;
		}
		*answered += n;
		*failed += bad;
		if (!n && !bad)
			continue;
		printf("route=%s count=%lu", routes[r].path, n);
		for (int st = 0; st < 600; st++)
			if (status[st])
				printf(" status_%d=%lu", st, status[st]);
		if (bad)
			printf(" failed=%lu", bad);
		if (n && lat) {
			qsort(lat, n, sizeof(*lat), cmp_u64);
			printf(" p50_ms=%.3f p99_ms=%.3f max_ms=%.3f", pct(lat, n, 50) / 1e6,
			       pct(lat, n, 99) / 1e6, lat[n - 1] / 1e6);
		}
		putchar('\n');
	}
	unsent = cfg.requests - *answered - *failed;
	printf("total=%lu answered=%lu failed=%lu unsent=%lu elapsed_s=%.3f\n", cfg.requests,
	       *answered, *failed, unsent, elapsed_ns / 1e9);
	free(lat);
}

static const struct opt opts[] = {
    {"connect", "ADDR", 'c', "127.0.0.0/8:PORT, [::1]:PORT, unix:PATH or /PATH (required)"},
    {"requests", "N", 'n', "requests to send, exactly (default 1000)"},
    {"connections", "C", 'C', "connections, one thread each (default 1)"},
    {"mix", "/P=W,...", 'm',
     "paths and weights (default /fast=50,/slow=10,/tail=20,/error=5,/disk=5,/lock=10)"},
    {"keepalive", NULL, 'k', "reuse each connection (the default)"},
    {"close", NULL, 'x', "one connection per request (Connection: close)"},
    {"timeout", "SECONDS", 't', "stop after this long whatever happens (default 60)"},
    {"help", NULL, 'h', "show this help"},
};

#define NR_OPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(FILE *f)
{
	opts_usage(f, " --connect ADDR [options]", opts, NR_OPTS, 22);
}

static void parse_args(int argc, char **argv)
{
	struct option long_opts[NR_OPTS + 1];
	int c, err;

	opts_long(long_opts, opts, NR_OPTS);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg.connect = optarg;
			break;
		case 'n':
			cfg.requests = opt_ulong("requests", optarg, 1, 10000000);
			break;
		case 'C':
			cfg.connections = opt_ulong("connections", optarg, 1, 1024);
			break;
		case 'm':
			cfg.mix = optarg;
			break;
		case 'k':
			cfg.close = false;
			break;
		case 'x':
			cfg.close = true;
			break;
		case 't':
			cfg.timeout_s = opt_ulong("timeout", optarg, 1, 86400);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			bad_option(argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!cfg.connect)
		usage_error("'--connect' is required (see --help)");
	err = parse_addr(cfg.connect);
	if (err == -EPERM)
		usage_error("refusing to connect to '%s': only 127.0.0.0/8, [::1] and Unix sockets",
			    cfg.connect);
	if (err)
		usage_error("invalid value for '--connect': '%s' (expected 127.0.0.1:PORT, "
			    "[::1]:PORT or unix:PATH)",
			    cfg.connect);
	parse_mix(cfg.mix);
}

int main(int argc, char **argv)
{
	struct client **clients;
	unsigned long nthreads, started = 0, answered, failed;
	struct timespec join_by;
	uint64_t t0;
	int err = 0;

	parse_args(argc, argv);
	if (build_schedule()) {
		error_msg("cannot build the schedule: %s", strerror(ENOMEM));
		return 1;
	}
	samples = calloc(cfg.requests, sizeof(*samples));
	nthreads = cfg.connections < cfg.requests ? cfg.connections : cfg.requests;
	clients = calloc(nthreads, sizeof(*clients));
	if (!samples || !clients) {
		error_msg("cannot allocate %lu samples: %s", cfg.requests, strerror(ENOMEM));
		return 1;
	}

	t0 = now_ns();
	deadline_ns = t0 + cfg.timeout_s * 1000000000ull;
	/* a last resort if a thread is stuck outside poll(): join until 2 s past the deadline */
	clock_gettime(CLOCK_REALTIME, &join_by);
	join_by.tv_sec += (time_t)cfg.timeout_s + 2;
	for (unsigned long i = 0; i < nthreads; i++) {
		clients[i] = malloc(sizeof(*clients[i]));
		if (!clients[i]) {
			err = -ENOMEM;
			break;
		}
		err = -pthread_create(&clients[i]->tid, NULL, client_loop, clients[i]);
		if (err) {
			free(clients[i]);
			break;
		}
		started++;
	}
	if (err) {
		error_msg("cannot start connection %lu: %s", started, strerror(-err));
		/* no new requests; those in flight finish */
		__atomic_store_n(&next_req, cfg.requests, __ATOMIC_RELAXED);
	}
	for (unsigned long i = 0; i < started; i++) {
		int jerr = pthread_timedjoin_np(clients[i]->tid, NULL, &join_by);

		if (jerr) {
			error_msg("connection %lu did not stop: %s", i, strerror(jerr));
			report(now_ns() - t0, &answered, &failed);
			fflush(stdout);
			_exit(1);
		}
		free(clients[i]);
	}
	report(now_ns() - t0, &answered, &failed);
	if (answered < cfg.requests && !err) {
		if (now_ns() >= deadline_ns)
			error_msg("timed out after %lu s with %lu of %lu requests answered",
				  cfg.timeout_s, answered, cfg.requests);
		else
			error_msg("%lu of %lu requests answered", answered, cfg.requests);
	}
	if (fflush(stdout) || ferror(stdout)) {
		error_msg("cannot write the report to stdout");
		return 1;
	}
	free(clients);
	free(samples);
	free(schedule);
	return answered == cfg.requests ? 0 : 1;
}
