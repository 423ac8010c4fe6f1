// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * demo-server: an HTTP/1.1 server whose routes have known costs, the truth
 * that slatrace's end-to-end tests hold its figures against.
 *
 *   /fast        200 at once             /error       500 at once
 *   /slow        200 after SLOW ms       /disk        200 after 64 KiB + fdatasync
 *   /tail        200 after 1 ms; every TAIL_EVERY-th request after TAIL ms
 *   /lock        200 after holding one global mutex for LOCK ms
 *   /users/<n>   200 at once             /big         200, 1 MiB body in 16 writes
 *   anything else: 404
 *
 * Sleeps are nanosleep(2) calls, so a tracer sees them as off-CPU time in a
 * known syscall. By default every connection gets its own thread; with
 * --workers N a fixed pool of N threads each runs an epoll loop over its
 * connections, so a slow request delays the others on the same worker (the
 * queueing that event-loop servers show). Keep-alive, "Connection: close",
 * HTTP/1.0 and pipelining are handled; responses always carry Content-Length.
 * An HTTP/1.1 request with "Expect: 100-continue" whose body has not arrived
 * yet gets the interim "100 Continue" first, as real servers send it; that
 * interim answer is not counted as a response.
 *
 * It counts the requests it answers per route and status. A request is
 * counted just before its response is written, so a client that has read a
 * response can rely on it being in the counts. On SIGTERM/SIGINT, or once
 * --max-requests have been answered, it prints
 *   route=/slow status=200 count=123   (one line per route and status)
 *   total=N
 * to stdout (and to --stats FILE, atomically) and exits 0.
 *
 * With --workers it also times each request it answers, on CLOCK_MONOTONIC
 * (the clock BPF programs read), and prints per route
 *   service route=/slow timed=123 inner_p50_ns=.. inner_p99_ns=..
 *           outer_p50_ns=.. outer_p99_ns=..   (one line)
 * (nearest-rank percentiles). The outer time runs from just before the read
 * that returned the request's first bytes (epoll said they were there, so
 * the read does not wait) to just after its response's last write
 * returned; the inner time from just after that read to just before the
 * first write. Whatever happens inside those syscalls, a tracer's "first
 * read of the request to last write of the response" lies between the two,
 * on a loaded host too; time the request waited in the socket before the
 * read is in neither. A request whose bytes were already buffered when the
 * previous response ended (pipelined) is answered but not timed. With a
 * thread per connection the read blocks, so nothing is timed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#define PROG	   "demo-server"
#define IN_MAX	   16384 /* request head limit: larger heads get 431 */
#define DISK_BYTES (64 * 1024)
#define BIG_CHUNK  (64 * 1024)
#define BIG_CHUNKS 16 /* 1 MiB */
#define MAX_MS	   3600000UL
#define LINGER_MS  2000

#include "demo-common.h"

enum route { R_FAST, R_SLOW, R_TAIL, R_ERROR, R_DISK, R_LOCK, R_USERS, R_BIG, R_OTHER, R_NR };

/* also the names --delay takes */
static const char *const route_names[R_NR] = {
    "/fast", "/slow", "/tail", "/error", "/disk", "/lock", "/users/:id", "/big", "other",
};

static struct {
	unsigned long delay_ms[R_NR];
	unsigned long tail_ms;
	unsigned long tail_every;
	unsigned long max_requests;
	unsigned long workers;
	const char *listen;
	const char *unix_path;
	const char *disk_dir;
	const char *stats_path;
} cfg = {
    .delay_ms = {[R_SLOW] = 20, [R_TAIL] = 1, [R_LOCK] = 5},
    .tail_ms = 50,
    .tail_every = 100,
    .listen = "127.0.0.1:8080",
    .disk_dir = "/tmp",
};

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long counts[R_NR][600];
static unsigned long total;
static bool max_reached;

/* --workers: per-route handler times, under stats_lock */
static struct {
	uint64_t *inner, *outer;
	size_t n, cap;
} svc[R_NR];

#define SVC_UNTIMED UINT64_MAX /* conn.t_start: a request began in buffered input */

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static pthread_mutex_t route_lock = PTHREAD_MUTEX_INITIALIZER; /* /lock */
static unsigned long tail_seq;
static int notify_fd = -1; /* eventfd: --max-requests reached */
static char disk_block[DISK_BYTES];
static char big_chunk[BIG_CHUNK];

struct request {
	enum route route;
	int status; /* nonzero: answered without running the route (400, 431, ...) */
	bool head;
	bool keepalive;
	bool http10;
	bool expect_continue; /* "Expect: 100-continue" */
};

struct conn {
	int fd;
	bool nonblock; /* epoll worker mode: output may have to wait in out */
	bool eof;
	bool close_after; /* close once the output has drained */
	bool broken;
	bool notify_max;
	bool lingering;
	uint32_t events; /* current epoll interest */
	bool pending;	 /* req parsed, its body still being read */
	/* --workers timing: t_start before, t_read after the read that began
	 * the request (t_start 0: none yet); t_write before the response's first
	 * write, of route t_route, whose end waits for the output to drain */
	uint64_t t_start, t_read, t_write;
	enum route t_route;
	bool t_end_pending;
	unsigned long long body_left;
	struct request req;
	size_t in_off, in_len;
	char *out;
	size_t out_off, out_len, out_cap;
	char in[IN_MAX];
};

struct worker {
	pthread_t tid;
	int epfd;
};

static void set_delay(const char *spec)
{
	const char *eq = strchr(spec, '=');

	if (!eq)
		usage_error("invalid value for '--delay': '%s' (expected ROUTE=MS)", spec);
	for (int r = 0; r < R_NR; r++) {
		if (strlen(route_names[r]) == (size_t)(eq - spec) &&
		    !strncmp(spec, route_names[r], eq - spec)) {
			if (parse_ulong(eq + 1, strlen(eq + 1), 0, MAX_MS, &cfg.delay_ms[r]))
				usage_error("invalid value for '--delay': '%s' (expected ROUTE=MS, "
					    "MS in 0..%lu)",
					    spec, MAX_MS);
			return;
		}
	}
	usage_error("unknown route in '--delay': '%.*s'", (int)(eq - spec), spec);
}

static void sleep_ms(unsigned long ms)
{
	struct timespec req = {ms / 1000, (long)(ms % 1000) * 1000000L}, rem;

	if (!ms)
		return;
	/* the raw syscall, so tracers see nanosleep(2) and not clock_nanosleep(2) */
	while (syscall(SYS_nanosleep, &req, &rem) < 0 && errno == EINTR)
		req = rem;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int disk_write(void)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (snprintf(path, sizeof(path), "%s/demo-server.XXXXXX", cfg.disk_dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* unlinked at once: nothing is left behind if we are killed */
	unlink(path);
	err = write_all(fd, disk_block, sizeof(disk_block));
	if (!err && fdatasync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* does the route's work; returns the status to answer with */
static int run_route(enum route r)
{
	static bool disk_warned;
	unsigned long ms = cfg.delay_ms[r];
	int err;

	switch (r) {
	case R_TAIL:
		if (__atomic_add_fetch(&tail_seq, 1, __ATOMIC_RELAXED) % cfg.tail_every == 0)
			ms = cfg.tail_ms;
		sleep_ms(ms);
		return 200;
	case R_DISK:
		err = disk_write();
		sleep_ms(ms);
		if (err) {
			if (!__atomic_exchange_n(&disk_warned, true, __ATOMIC_RELAXED))
				error_msg("cannot write a file in '%s': %s", cfg.disk_dir,
					  strerror(-err));
			return 500;
		}
		return 200;
	case R_LOCK:
		pthread_mutex_lock(&route_lock);
		sleep_ms(ms);
		pthread_mutex_unlock(&route_lock);
		return 200;
	case R_ERROR:
		sleep_ms(ms);
		return 500;
	case R_OTHER:
		sleep_ms(ms);
		return 404;
	default:
		sleep_ms(ms);
		return 200;
	}
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

/* false once --max-requests have been answered: the caller drops the request */
static bool count_request(enum route r, int status, bool *last)
{
	bool ok;

	pthread_mutex_lock(&stats_lock);
	ok = !max_reached;
	if (ok) {
		counts[r][status]++;
		total++;
		if (cfg.max_requests && total >= cfg.max_requests)
			max_reached = *last = true;
	}
	pthread_mutex_unlock(&stats_lock);
	return ok;
}

/* the response of c's request has been written: record its times */
static void svc_done(struct conn *c)
{
	uint64_t end = now_ns();
	enum route r = c->t_route;

	c->t_end_pending = false;
	if (c->t_start && c->t_start != SVC_UNTIMED) {
		pthread_mutex_lock(&stats_lock);
		if (svc[r].n == svc[r].cap) {
			size_t cap = svc[r].cap ? svc[r].cap * 2 : 1024;
			uint64_t *in = realloc(svc[r].inner, cap * sizeof(*in));
			uint64_t *out = in ? realloc(svc[r].outer, cap * sizeof(*out)) : NULL;

			if (in)
				svc[r].inner = in;
			if (out) {
				svc[r].outer = out;
				svc[r].cap = cap;
			}
		}
		if (svc[r].n < svc[r].cap) {
			svc[r].inner[svc[r].n] = c->t_write - c->t_read;
			svc[r].outer[svc[r].n] = end - c->t_start;
			svc[r].n++;
		}
		pthread_mutex_unlock(&stats_lock);
	}
	/* bytes already here belong to a request no read will begin */
	c->t_start = c->in_len > c->in_off ? SVC_UNTIMED : 0;
}

static void notify_main(struct conn *c)
{
	uint64_t one = 1;

	c->notify_max = false;
	if (write(notify_fd, &one, sizeof(one)) < 0)
		error_msg("cannot notify the main thread: %s", strerror(errno));
}

static void out_append(struct conn *c, const char *buf, size_t len)
{
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p) {
			c->broken = true;
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
}

/* nonblocking mode: true once nothing is left to send */
static bool conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->broken = true;
			return false;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	if (c->t_end_pending)
		svc_done(c);
	if (c->notify_max)
		notify_main(c);
	return true;
}

static void conn_out(struct conn *c, const char *buf, size_t len)
{
	if (c->broken)
		return;
	if (!c->nonblock) {
		if (write_all(c->fd, buf, len))
			c->broken = true;
		return;
	}
	if (c->out_off == c->out_len) {
		while (len) {
			ssize_t n = write(c->fd, buf, len);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN)
					c->broken = true;
				break;
			}
			buf += n;
			len -= (size_t)n;
		}
	}
	if (len && !c->broken)
		out_append(c, buf, len);
}

static bool out_pending(const struct conn *c)
{
	return c->out_off < c->out_len;
}

static void respond(struct conn *c, const struct request *rq)
{
	char msg[IN_MAX];
	int status = rq->status ? rq->status : run_route(rq->route);
	bool keepalive = rq->keepalive && !rq->status, last = false;
	const char *conn_hdr = "";
	size_t body_len;
	char body[64];
	int n;

	if (!count_request(rq->route, status, &last)) {
		c->broken = true;
		return;
	}
	if (last)
		keepalive = false;
	c->t_write = now_ns();
	c->t_route = rq->route;
	if (rq->route == R_BIG && status == 200)
		body_len = (size_t)BIG_CHUNK * BIG_CHUNKS;
	else
		body_len = (size_t)snprintf(body, sizeof(body), "%d %s %s\n", status,
					    reason(status), route_names[rq->route]);
	if (!keepalive)
		conn_hdr = "Connection: close\r\n";
	else if (rq->http10)
		conn_hdr = "Connection: keep-alive\r\n";
	n = snprintf(msg, sizeof(msg),
		     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n",
		     status, reason(status), body_len, conn_hdr);
	if (rq->route == R_BIG && status == 200) {
		conn_out(c, msg, (size_t)n);
		for (int i = 0; i < BIG_CHUNKS && !rq->head; i++)
			conn_out(c, big_chunk, sizeof(big_chunk));
	} else {
		if (!rq->head) {
			memcpy(msg + n, body, body_len);
			n += (int)body_len;
		}
		conn_out(c, msg, (size_t)n);
	}
	if (!keepalive)
		c->close_after = true;
	if (last)
		c->notify_max = true;
	if (c->nonblock) {
		c->t_end_pending = true;
		if (!out_pending(c))
			svc_done(c);
	}
}

static bool token_in_list(const char *list, const char *token)
{
	size_t tlen = strlen(token);

	while (*list) {
		size_t len;

		while (*list == ' ' || *list == '\t' || *list == ',')
			list++;
		len = strcspn(list, ",");
		while (len && (list[len - 1] == ' ' || list[len - 1] == '\t'))
			len--;
		if (len == tlen && !strncasecmp(list, token, tlen))
			return true;
		list += strcspn(list, ",");
	}
	return false;
}

static enum route route_of(const char *path)
{
	static const enum route exact[] = {R_FAST, R_SLOW, R_TAIL, R_ERROR, R_DISK, R_LOCK, R_BIG};

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(path, route_names[exact[i]]))
			return exact[i];
	if (!strncmp(path, "/users/", 7) && path[7]) {
		for (const char *p = path + 7; *p; p++)
			if (*p < '0' || *p > '9')
				return R_OTHER;
		return R_USERS;
	}
	return R_OTHER;
}

/* parses the request line; on a bad one sets rq->status */
static void parse_request_line(char *line, struct request *rq)
{
	char *target, *version, *q;

	target = strchr(line, ' ');
	if (!target || target == line)
		goto bad;
	*target++ = '\0';
	version = strchr(target, ' ');
	if (!version || version == target)
		goto bad;
	*version++ = '\0';
	if (!strcmp(version, "HTTP/1.1")) {
		rq->keepalive = true;
	} else if (!strcmp(version, "HTTP/1.0")) {
		rq->http10 = true;
	} else if (!strncmp(version, "HTTP/", 5)) {
		rq->status = 505;
		return;
	} else {
		goto bad;
	}
	rq->head = !strcmp(line, "HEAD");
	/* absolute-form, as sent to proxies */
	if (!strncasecmp(target, "http://", 7)) {
		target = strchr(target + 7, '/');
		if (!target)
			target = "/";
	}
	if (target[0] != '/')
		goto bad;
	q = target + strcspn(target, "?#");
	*q = '\0';
	rq->route = route_of(target);
	return;
bad:
	rq->status = 400;
}

/*
 * Parses one request head from c->in. Returns 0 when more input is needed,
 * 1 with *rq and *body_len filled in (rq->status set for a bad request).
 */
static int parse_head(struct conn *c, struct request *rq, unsigned long long *body_len)
{
	char *p = c->in + c->in_off, *end = c->in + c->in_len, *line, *head_end = NULL;
	bool have_len = false, conn_close = false, conn_ka = false, first = true;

	/* RFC 9112 2.2: empty lines before a request line are ignored */
	while (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')))
		p += *p == '\r' ? 2 : 1;
	c->in_off = p - c->in;
	for (char *l = p; l < end;) {
		char *nl = memchr(l, '\n', end - l);

		if (!nl)
			break;
		if (nl == l || (nl == l + 1 && *l == '\r')) {
			head_end = nl + 1;
			break;
		}
		l = nl + 1;
	}
	if (!head_end)
		return 0;

	memset(rq, 0, sizeof(*rq));
	rq->route = R_OTHER;
	*body_len = 0;
	for (line = p; line < head_end;) {
		char *nl = memchr(line, '\n', head_end - line), *colon, *val, *vend;

		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (!*line)
			break;
		if (first) {
			first = false;
			parse_request_line(line, rq);
			if (rq->status)
				break;
			line = nl + 1;
			continue;
		}
		colon = strchr(line, ':');
		/* no name, obsolete line folding, or space before the colon */
		if (!colon || colon == line || line[0] == ' ' || line[0] == '\t' ||
		    colon[-1] == ' ' || colon[-1] == '\t') {
			rq->status = 400;
			break;
		}
		*colon = '\0';
		for (val = colon + 1; *val == ' ' || *val == '\t'; val++)
			;
		for (vend = val + strlen(val); vend > val && (vend[-1] == ' ' || vend[-1] == '\t');)
			*--vend = '\0';
		if (!strcasecmp(line, "Content-Length")) {
			unsigned long v;

			if (parse_ulong(val, strlen(val), 0, 1UL << 40, &v) || (have_len && v != *body_len)) {
				rq->status = 400;
				break;
			}
			have_len = true;
			*body_len = v;
		} else if (!strcasecmp(line, "Transfer-Encoding")) {
			rq->status = 501;
			break;
		} else if (!strcasecmp(line, "Expect")) {
			rq->expect_continue = !strcasecmp(val, "100-continue");
		} else if (!strcasecmp(line, "Connection")) {
			conn_close |= token_in_list(val, "close");
			conn_ka |= token_in_list(val, "keep-alive");
		}
		line = nl + 1;
	}
	if (!rq->status) {
		if (conn_close)
			rq->keepalive = false;
		else if (rq->http10 && conn_ka)
			rq->keepalive = true;
	} else {
		/* the connection closes after the answer: nothing more to read */
		rq->route = R_OTHER;
		*body_len = 0;
		head_end = end;
	}
	c->in_off = head_end - c->in;
	return 1;
}

static void compact_input(struct conn *c)
{
	if (!c->in_off)
		return;
	memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
	c->in_len -= c->in_off;
	c->in_off = 0;
}

/*
 * Answers the complete requests buffered in c->in, in order. Stops when
 * more input is needed, the connection is to close, or (nonblocking mode)
 * output has to wait for the socket.
 */
static void conn_process(struct conn *c)
{
	while (!c->broken && !c->close_after && !out_pending(c)) {
		if (c->pending) {
			size_t avail = c->in_len - c->in_off;
			size_t n = avail < c->body_left ? avail : (size_t)c->body_left;

			c->in_off += n;
			c->body_left -= n;
			if (c->body_left)
				break;
			c->pending = false;
			respond(c, &c->req);
			continue;
		}
		if (!parse_head(c, &c->req, &c->body_left)) {
			compact_input(c);
			if (c->in_len == IN_MAX) {
				c->req = (struct request){.route = R_OTHER, .status = 431};
				c->in_off = c->in_len;
				respond(c, &c->req);
			}
			break;
		}
		c->pending = true;
		/* the client waits for this before it sends the body */
		if (c->req.expect_continue && !c->req.http10 && c->body_left > c->in_len - c->in_off) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

			conn_out(c, cont, sizeof(cont) - 1);
		}
	}
	compact_input(c);
}

static struct conn *conn_new(int fd, bool nonblock)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->nonblock = nonblock;
	return c;
}

static void conn_free(struct conn *c)
{
	close(c->fd);
	free(c->out);
	free(c);
}

/*
 * Close after "Connection: close" without resetting: closing a socket with
 * unread input sends RST, which can destroy the response in flight.
 */
static void linger_close(struct conn *c)
{
	struct timespec t0, t;
	char buf[4096];

	shutdown(c->fd, SHUT_WR);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = LINGER_MS -
		       ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0 ||
		    read(c->fd, buf, sizeof(buf)) <= 0)
			break;
	}
	conn_free(c);
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;

	for (;;) {
		ssize_t n;

		conn_process(c);
		if (c->notify_max && !c->broken)
			notify_main(c);
		if (c->broken || c->close_after || c->eof || c->in_len == IN_MAX)
			break;
		n = read(c->fd, c->in + c->in_len, IN_MAX - c->in_len);
		if (n > 0)
			c->in_len += (size_t)n;
		else if (n == 0)
			c->eof = true;
		else if (errno != EINTR)
			break;
	}
	if (c->close_after && !c->broken && !c->eof)
		linger_close(c);
	else
		conn_free(c);
	return NULL;
}

static void conn_watch(struct worker *w, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};

	if (c->events == events)
		return;
	c->events = events;
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		c->broken = true;
}

static void conn_event(struct worker *w, struct conn *c)
{
	if (c->lingering) {
		char buf[4096];
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_free(c);
		return;
	}
	if (out_pending(c) && !conn_flush(c)) {
		if (c->broken)
			conn_free(c);
		return;
	}
	if (!c->eof && c->in_len < IN_MAX && !c->close_after) {
		uint64_t t0 = now_ns();
		ssize_t n = read(c->fd, c->in + c->in_len, IN_MAX - c->in_len);

		if (n > 0 && !c->t_start) {
			c->t_start = t0;
			c->t_read = now_ns();
		}
		if (n > 0)
			c->in_len += (size_t)n;
		else if (n == 0)
			c->eof = true;
		else if (errno != EAGAIN && errno != EINTR)
			c->broken = true;
	}
	conn_process(c);
	if (c->notify_max && !out_pending(c) && !c->broken)
		notify_main(c);
	if (c->broken) {
		conn_free(c);
		return;
	}
	if (out_pending(c)) {
		conn_watch(w, c, EPOLLOUT);
		return;
	}
	if (c->close_after) {
		shutdown(c->fd, SHUT_WR);
		if (c->eof) {
			conn_free(c);
			return;
		}
		c->lingering = true;
	} else if (c->eof) {
		conn_free(c);
		return;
	}
	conn_watch(w, c, EPOLLIN);
	if (c->broken)
		conn_free(c);
}

static void *worker_loop(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];

	for (;;) {
		int n = epoll_wait(w->epfd, evs, 64, -1);

		if (n < 0 && errno != EINTR) {
			error_msg("epoll_wait failed: %s", strerror(errno));
			exit(1);
		}
		for (int i = 0; i < n; i++)
			conn_event(w, evs[i].data.ptr);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* nearest rank of percentile p among n values, 1-based */
static size_t rank(size_t n, unsigned p)
{
	size_t k = (n * p + 99) / 100;

	return k ? k : 1;
}

static void print_stats(FILE *f)
{
	for (int r = 0; r < R_NR; r++)
		for (int s = 0; s < 600; s++)
			if (counts[r][s])
				fprintf(f, "route=%s status=%d count=%lu\n", route_names[r], s,
					counts[r][s]);
	fprintf(f, "total=%lu\n", total);
	for (int r = 0; r < R_NR; r++) {
		size_t n = svc[r].n;

		if (!n)
			continue;
		qsort(svc[r].inner, n, sizeof(uint64_t), cmp_u64);
		qsort(svc[r].outer, n, sizeof(uint64_t), cmp_u64);
		fprintf(f,
			"service route=%s timed=%zu inner_p50_ns=%llu inner_p99_ns=%llu "
			"outer_p50_ns=%llu outer_p99_ns=%llu\n",
			route_names[r], n, (unsigned long long)svc[r].inner[rank(n, 50) - 1],
			(unsigned long long)svc[r].inner[rank(n, 99) - 1],
			(unsigned long long)svc[r].outer[rank(n, 50) - 1],
			(unsigned long long)svc[r].outer[rank(n, 99) - 1]);
	}
}

static int write_stats_file(const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	print_stats(f);
	if (fflush(f) || ferror(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static const struct opt opts[] = {
    {"listen", "ADDR:PORT", 'l',
     "loopback address to listen on (default 127.0.0.1:8080, [::1]:PORT for IPv6; port 0 picks a "
     "free one)"},
    {"unix", "PATH", 'u', "listen on a Unix stream socket instead"},
    {"slow-ms", "MS", 's', "sleep of /slow (default 20)"},
    {"tail-ms", "MS", 't', "sleep of the slow /tail requests (default 50)"},
    {"tail-every", "N", 'e', "one /tail request in N is slow; the others sleep 1 ms (default 100)"},
    {"lock-ms", "MS", 'k', "time /lock holds the global mutex (default 5)"},
    {"delay", "ROUTE=MS", 'd',
     "sleep MS ms in ROUTE (/lock: holding the mutex; /tail: the common case; /disk: after the "
     "write); routes: /fast /slow /tail /error /disk /lock /users/:id /big other"},
    {"disk-dir", "DIR", 'D', "directory of /disk's temporary files (default /tmp)"},
    {"workers", "N", 'w', "N threads running epoll loops instead of a thread per connection"},
    {"max-requests", "N", 'm', "print the counts and exit after answering N requests"},
    {"stats", "FILE", 'S', "also write the counts to FILE (temporary file + rename)"},
    {"help", NULL, 'h', "show this help"},
};

#define NR_OPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(FILE *f)
{
	opts_usage(f, " [options]", opts, NR_OPTS, 24);
}

static void parse_args(int argc, char **argv)
{
	struct option long_opts[NR_OPTS + 1];
	bool have_listen = false;
	int c;

	opts_long(long_opts, opts, NR_OPTS);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			cfg.listen = optarg;
			have_listen = true;
			break;
		case 'u':
			cfg.unix_path = optarg;
			break;
		case 's':
			cfg.delay_ms[R_SLOW] = opt_ulong("slow-ms", optarg, 0, MAX_MS);
			break;
		case 't':
			cfg.tail_ms = opt_ulong("tail-ms", optarg, 0, MAX_MS);
			break;
		case 'e':
			cfg.tail_every = opt_ulong("tail-every", optarg, 1, 1000000000);
			break;
		case 'k':
			cfg.delay_ms[R_LOCK] = opt_ulong("lock-ms", optarg, 0, MAX_MS);
			break;
		case 'd':
			set_delay(optarg);
			break;
		case 'D':
			cfg.disk_dir = optarg;
			break;
		case 'w':
			cfg.workers = opt_ulong("workers", optarg, 1, 1024);
			break;
		case 'm':
			cfg.max_requests = opt_ulong("max-requests", optarg, 1, 1000000000000UL);
			break;
		case 'S':
			cfg.stats_path = optarg;
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
	if (have_listen && cfg.unix_path)
		usage_error("'--listen' and '--unix' cannot be used together");
	if (!cfg.unix_path) {
		struct sockaddr_storage ss;
		socklen_t len;
		int err = parse_inet(cfg.listen, 0, &ss, &len);

		if (err == -EPERM)
			usage_error("refusing to listen on '%s': not a loopback address",
				    cfg.listen);
		if (err)
			usage_error("invalid value for '--listen': '%s' (expected 127.0.0.1:PORT "
				    "or [::1]:PORT)",
				    cfg.listen);
	} else if (!*cfg.unix_path ||
		   strlen(cfg.unix_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		usage_error("invalid value for '--unix': '%s' (empty or too long)", cfg.unix_path);
	}
	{
		struct stat st;

		if (stat(cfg.disk_dir, &st) || !S_ISDIR(st.st_mode))
			usage_error("invalid value for '--disk-dir': '%s' is not a directory",
				    cfg.disk_dir);
	}
}

/* returns the listening socket, or -errno; *name is what "listening" prints */
static int open_listener(char *name, size_t name_len)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, err;

	if (cfg.unix_path) {
		struct sockaddr_un *a = (struct sockaddr_un *)&ss;
		struct stat st;

		memset(a, 0, sizeof(*a));
		a->sun_family = AF_UNIX;
		strcpy(a->sun_path, cfg.unix_path);
		len = sizeof(*a);
		/* a socket left by an earlier run; anything else is not ours to remove */
		if (!lstat(cfg.unix_path, &st) && S_ISSOCK(st.st_mode))
			unlink(cfg.unix_path);
		snprintf(name, name_len, "unix:%s", cfg.unix_path);
	} else {
		parse_inet(cfg.listen, 0, &ss, &len);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (ss.ss_family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, SOMAXCONN) < 0)
		goto fail;
	if (ss.ss_family != AF_UNIX) {
		char host[INET6_ADDRSTRLEN];

		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
			goto fail;
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
			snprintf(name, name_len, "%s:%u", host, ntohs(a->sin_port));
		} else {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			snprintf(name, name_len, "[%s]:%u", host, ntohs(a->sin6_port));
		}
	}
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

static int start_thread(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t detached;
	int err;

	/* tid == NULL: a detached thread */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_attr_setdetachstate(&attr, tid ? PTHREAD_CREATE_JOINABLE : PTHREAD_CREATE_DETACHED);
	err = -pthread_create(tid ? tid : &detached, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return err;
}

static void accept_one(int lfd, struct worker *workers, bool is_tcp)
{
	static unsigned long next_worker;
	static bool fd_warned;
	struct conn *c;
	int fd, one = 1, err;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | (workers ? SOCK_NONBLOCK : 0));
	if (fd < 0) {
		if ((errno == EMFILE || errno == ENFILE) && !fd_warned) {
			fd_warned = true;
			error_msg("cannot accept a connection: %s", strerror(errno));
		}
		if (errno == EMFILE || errno == ENFILE)
			sleep_ms(10);
		return;
	}
	if (is_tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = conn_new(fd, workers != NULL);
	if (!c) {
		close(fd);
		return;
	}
	if (workers) {
		struct worker *w = &workers[next_worker++ % cfg.workers];
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

		c->events = EPOLLIN;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			error_msg("cannot watch a connection: %s", strerror(errno));
			conn_free(c);
		}
		return;
	}
	err = start_thread(NULL, conn_thread, c);
	if (err) {
		error_msg("cannot start a connection thread: %s", strerror(-err));
		conn_free(c);
	}
}

int main(int argc, char **argv)
{
	struct worker *workers = NULL;
	struct pollfd pfds[3];
	char name[PATH_MAX + 8] = "";
	sigset_t sigs;
	int lfd, sfd, err;

	parse_args(argc, argv);
	memset(disk_block, 'd', sizeof(disk_block));
	memset(big_chunk, 'b', sizeof(big_chunk));

	/*
	 * Threads inherit the mask, so only the signalfd sees SIGINT/SIGTERM.
	 * SIG_DFL matters: a shell starts background jobs with SIGINT ignored,
	 * and an ignored signal is never queued for the signalfd.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	notify_fd = eventfd(0, EFD_CLOEXEC);
	if (sfd < 0 || notify_fd < 0) {
		error_msg("cannot create a signalfd or eventfd: %s", strerror(errno));
		return 1;
	}

	lfd = open_listener(name, sizeof(name));
	if (lfd < 0) {
		error_msg("cannot listen on '%s': %s", cfg.unix_path ? cfg.unix_path : cfg.listen,
			  strerror(-lfd));
		return 1;
	}
	if (cfg.workers) {
		workers = calloc(cfg.workers, sizeof(*workers));
		if (!workers) {
			error_msg("cannot allocate %lu workers: %s", cfg.workers, strerror(errno));
			return 1;
		}
		for (unsigned long i = 0; i < cfg.workers; i++) {
			workers[i].epfd = epoll_create1(EPOLL_CLOEXEC);
			if (workers[i].epfd < 0) {
				error_msg("cannot create an epoll instance: %s", strerror(errno));
				return 1;
			}
			err = start_thread(&workers[i].tid, worker_loop, &workers[i]);
			if (err) {
				error_msg("cannot start worker %lu: %s", i, strerror(-err));
				return 1;
			}
		}
	}
	printf("listening %s\n", name);
	fflush(stdout);

	pfds[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
	pfds[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
	pfds[2] = (struct pollfd){.fd = notify_fd, .events = POLLIN};
	for (;;) {
		if (poll(pfds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			error_msg("poll failed: %s", strerror(errno));
			return 1;
		}
		if (pfds[1].revents || pfds[2].revents)
			break;
		if (pfds[0].revents)
			accept_one(lfd, workers, !cfg.unix_path);
	}

	/* workers may still run: the lock makes the counts one snapshot */
	pthread_mutex_lock(&stats_lock);
	max_reached = true;
	print_stats(stdout);
	err = cfg.stats_path ? write_stats_file(cfg.stats_path) : 0;
	pthread_mutex_unlock(&stats_lock);
	if (cfg.unix_path)
		unlink(cfg.unix_path);
	if (err) {
		error_msg("cannot write '%s': %s", cfg.stats_path, strerror(-err));
		return 1;
	}
	if (fflush(stdout) || ferror(stdout)) {
		error_msg("cannot write the counts to stdout");
		return 1;
	}
	return 0;
}
