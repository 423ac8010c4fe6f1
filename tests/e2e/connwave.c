// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * connwave: open connections in waves, all of a wave at once, one HTTP
 * request on each, then close the wave: the load of a reliability test that
 * many connections leave nothing behind in a tracer's connection table.
 *
 *   connwave --connect 127.0.0.1:PORT --conns N --waves W [--src 127.0.1.]
 *
 * Wave w binds its sockets to SRC<w+1> (127.0.1.1, 127.0.1.2, ...), so
 * TIME_WAIT from one wave never exhausts the ports of the next. Each
 * connection sends "GET /fast" (keep-alive), reads one whole response (head
 * and Content-Length body), and stays open until the whole wave has its
 * answers; then the wave is closed. Prints, per wave and in total:
 *   wave=W opened=N answered=N failed=N
 *   total opened=N answered=N failed=N
 * Exits 0 when every request was answered. Bounded: --timeout seconds (60)
 * per wave.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd, sent, done;
	size_t got, need; /* bytes read; total the response needs, 0 until the head is whole */
	char head[1024];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: connwave --connect IP:PORT --conns N --waves W [--src PREFIX] "
			"[--timeout S]\n");
	exit(2);
}

/* 1 when the response is complete */
static int on_data(struct conn *c, const char *buf, size_t n)
{
	if (!c->need) {
		size_t room = sizeof(c->head) - 1 - c->got;
		const char *end, *cl;

		memcpy(c->head + c->got, buf, n < room ? n : room);
		c->got += n;
		c->head[c->got < sizeof(c->head) ? c->got : sizeof(c->head) - 1] = 0;
		end = strstr(c->head, "\r\n\r\n");
		if (!end)
			return 0;
		cl = strcasestr(c->head, "\r\nContent-Length:");
		c->need = (size_t)(end - c->head) + 4 + (cl ? strtoul(cl + 17, NULL, 10) : 0);
	} else {
		c->got += n;
	}
	return c->got >= c->need;
}

int main(int argc, char **argv)
{
	const char *connect_to = NULL, *src = "127.0.1.";
	int conns = 0, waves = 0, timeout = 60;
	unsigned long t_open = 0, t_ans = 0, t_fail = 0;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	static const char req[] = "GET /fast HTTP/1.1\r\nHost: connwave\r\n\r\n";
	struct rlimit rl;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--connect"))
			connect_to = argv[++i];
		else if (!strcmp(argv[i], "--conns"))
			conns = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--waves"))
			waves = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--src"))
			src = argv[++i];
		else if (!strcmp(argv[i], "--timeout"))
			timeout = atoi(argv[++i]);
		else
			usage();
	}
	if (!connect_to || conns <= 0 || waves <= 0 || waves > 250 || timeout <= 0)
		usage();
	{
		char ip[64];
		const char *colon = strrchr(connect_to, ':');

		if (!colon || (size_t)(colon - connect_to) >= sizeof(ip))
			usage();
		memcpy(ip, connect_to, (size_t)(colon - connect_to));
		ip[colon - connect_to] = 0;
		if (inet_pton(AF_INET, ip, &dst.sin_addr) != 1)
			usage();
		dst.sin_port = htons((uint16_t)atoi(colon + 1));
	}
	rl.rlim_cur = rl.rlim_max = (rlim_t)conns + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		perror("connwave: setrlimit");
		return 1;
	}
	for (int w = 0; w < waves; w++) {
		struct conn *c = calloc((size_t)conns, sizeof(*c));
		struct epoll_event *evs = calloc(1024, sizeof(*evs));
		struct sockaddr_in me = { .sin_family = AF_INET };
		unsigned long opened = 0, answered = 0, failed = 0, pending = 0;
		int ep = epoll_create1(0);
		char ip[64];
		double end = now_s() + timeout;

		snprintf(ip, sizeof(ip), "%s%d", src, w + 1);
		if (!c || !evs || ep < 0 || inet_pton(AF_INET, ip, &me.sin_addr) != 1) {
			fprintf(stderr, "connwave: cannot set up wave %d\n", w);
			return 1;
		}
		for (int i = 0; i < conns; i++) {
			struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i };

			c[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (c[i].fd < 0 || bind(c[i].fd, (struct sockaddr *)&me, sizeof(me)) ||
			    (connect(c[i].fd, (struct sockaddr *)&dst, sizeof(dst)) &&
			     errno != EINPROGRESS) ||
			    epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev)) {
				c[i].done = 1;
				failed++;
				continue;
			}
			opened++;
			pending++;
		}
		while (pending && now_s() < end) {
			int n = epoll_wait(ep, evs, 1024, 200);

			for (int k = 0; k < n; k++) {
				struct conn *x = &c[evs[k].data.u32];
				char buf[4096];
				ssize_t r;

				if (x->done)
					continue;
				if (evs[k].events & (EPOLLERR | EPOLLHUP) && !(evs[k].events & EPOLLIN)) {
					x->done = 1;
					failed++;
					pending--;
					continue;
				}
				if (!x->sent && evs[k].events & EPOLLOUT) {
					struct epoll_event ev = { .events = EPOLLIN, .data = evs[k].data };

					if (write(x->fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
						x->done = 1;
						failed++;
						pending--;
						continue;
					}
					x->sent = 1;
					epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
				}
				if (!(evs[k].events & EPOLLIN))
					continue;
				r = read(x->fd, buf, sizeof(buf));
				if (r > 0 && on_data(x, buf, (size_t)r)) {
					x->done = 1;
					answered++;
					pending--;
				} else if (r == 0 || (r < 0 && errno != EAGAIN)) {
					x->done = 1;
					failed++;
					pending--;
				}
			}
		}
		failed += pending;
		for (int i = 0; i < conns; i++)
			if (c[i].fd >= 0)
				close(c[i].fd);
		close(ep);
		free(c);
		free(evs);
		printf("wave=%d opened=%lu answered=%lu failed=%lu\n", w + 1, opened, answered, failed);
		fflush(stdout);
		t_open += opened;
		t_ans += answered;
		t_fail += failed;
	}
	printf("total opened=%lu answered=%lu failed=%lu\n", t_open, t_ans, t_fail);
	return t_fail ? 1 : 0;
}
