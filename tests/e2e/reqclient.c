// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * reqclient: the clients slatrace's request tests need and that curl and wrk
 * cannot be made to be. ADDR is 127.0.0.1:PORT or unix:PATH.
 *
 *   reqclient echo ADDR N SIZE [GAP_MS]
 *       N turns of echo_server's protocol on one connection: send a SIZE-byte
 *       binary message (one write), read the whole echo, check it, wait
 *       GAP_MS (default 0); then close. Prints "turns=N".
 *   reqclient pipeline ADDR N PATH
 *       N "GET PATH HTTP/1.1" requests in ONE write on one connection, then
 *       read the N responses (by Content-Length); then close. Prints
 *       "responses=N statuses=S,S,...".
 *   reqclient raw ADDR
 *       stdin (at most 1 MiB) in one write, then shutdown(SHUT_WR), then read
 *       until EOF. Prints "sent=N received=M".
 *
 * Every read and write times out after 5 s; exit status 1 on any failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#define PROG	"reqclient"
#define RAW_MAX (1024 * 1024)

static void fail(const char *what)
{
	fprintf(stderr, PROG ": error: %s: %s\n", what,
		errno ? strerror(errno) : "unexpected data");
	exit(1);
}

static int dial(const char *addr)
{
	struct timeval tv = {.tv_sec = 5};
	int fd;

	if (!strncmp(addr, "unix:", 5)) {
		struct sockaddr_un a = {.sun_family = AF_UNIX};

		if (strlen(addr + 5) >= sizeof(a.sun_path))
			fail("unix path too long");
		strcpy(a.sun_path, addr + 5);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
			fail("cannot connect");
	} else {
		struct sockaddr_in a = {.sin_family = AF_INET};
		const char *colon = strrchr(addr, ':');
		char host[INET_ADDRSTRLEN];

		if (!colon || (size_t)(colon - addr) >= sizeof(host))
			fail("bad address");
		memcpy(host, addr, colon - addr);
		host[colon - addr] = '\0';
		if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
			fail("bad address");
		a.sin_port = htons((uint16_t)atoi(colon + 1));
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
			fail("cannot connect");
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* exactly one write(2) for the whole buffer: what the tests rely on */
static void write_once(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		fail("write");
	if ((size_t)n != len) {
		errno = 0;
		fail("short write");
	}
}

static void read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ECONNRESET;
		if (n <= 0)
			fail("read");
		p += n;
		len -= (size_t)n;
	}
}

static int cmd_echo(const char *addr, long turns, long size, long gap_ms)
{
	struct timespec gap = {gap_ms / 1000, (gap_ms % 1000) * 1000000L};
	char *out = malloc(4 + size), *in = malloc(4 + size);
	uint32_t len = htonl((uint32_t)size);
	int fd;

	if (!out || !in || size < 1 || size > 65536 || turns < 1 || gap_ms < 0 || gap_ms > 60000)
		fail("bad arguments");
	fd = dial(addr);
	memcpy(out, &len, 4);
	for (long t = 0; t < turns; t++) {
		/* binary, every byte value, no HTTP in sight */
		for (long i = 0; i < size; i++)
			out[4 + i] = (char)((i * 7 + t) & 0xff);
		write_once(fd, out, 4 + size);
		read_full(fd, in, 4 + size);
		if (memcmp(in, out, 4 + size)) {
			errno = 0;
			fail("echo differs");
		}
		if (gap_ms && t + 1 < turns)
			nanosleep(&gap, NULL);
	}
	close(fd);
	printf("turns=%ld\n", turns);
	free(out);
	free(in);
	return 0;
}

static int cmd_pipeline(const char *addr, long n, const char *path)
{
	char req[512], *buf, *in;
	size_t len = 0, have = 0, cap = 1 << 20;
	int fd, rlen;

	if (n < 1 || n > 100 || strlen(path) > 256)
		fail("bad arguments");
	rlen = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
	buf = malloc(n * rlen);
	in = malloc(cap + 1);
	if (!buf || !in)
		fail("malloc");
	for (long i = 0; i < n; i++) {
		memcpy(buf + len, req, rlen);
		len += rlen;
	}
	fd = dial(addr);
	write_once(fd, buf, len);
	printf("responses=%ld statuses=", n);
	for (long i = 0; i < n; i++) {
		char *end, *cl;
		size_t head, body;

		/* read until this response's head and body are in */
		for (;;) {
			in[have] = '\0';
			end = strstr(in, "\r\n\r\n");
			if (end) {
				head = end + 4 - in;
				cl = strcasestr(in, "\r\nContent-Length:");
				if (!cl || cl > end) {
					errno = 0;
					fail("response without Content-Length");
				}
				body = strtoul(cl + 17, NULL, 10);
				if (have >= head + body)
					break;
			}
			if (have == cap) {
				errno = 0;
				fail("response too big");
			}
			ssize_t r = read(fd, in + have, cap - have);

			if (r == 0)
				errno = ECONNRESET;
			if (r <= 0)
				fail("read");
			have += (size_t)r;
		}
		if (strncmp(in, "HTTP/1.", 7)) {
			errno = 0;
			fail("not an HTTP response");
		}
		printf("%s%d", i ? "," : "", atoi(in + 9));
		memmove(in, in + head + body, have - head - body);
		have -= head + body;
	}
	printf("\n");
	close(fd);
	free(buf);
	free(in);
	return 0;
}

static int cmd_raw(const char *addr)
{
	char *buf = malloc(RAW_MAX), tmp[65536];
	size_t len = 0, got = 0;
	ssize_t n;
	int fd;

	if (!buf)
		fail("malloc");
	while (len < RAW_MAX && (n = read(0, buf + len, RAW_MAX - len)) > 0)
		len += (size_t)n;
	fd = dial(addr);
	if (len)
		write_once(fd, buf, len);
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		got += (size_t)n;
	/* a reset or a timeout after the data went out is an answer too */
	close(fd);
	printf("sent=%zu received=%zu\n", len, got);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "echo"))
		return cmd_echo(argv[2], atol(argv[3]), atol(argv[4]), argc == 6 ? atol(argv[5]) : 0);
	if (argc == 5 && !strcmp(argv[1], "pipeline"))
		return cmd_pipeline(argv[2], atol(argv[3]), argv[4]);
	if (argc == 3 && !strcmp(argv[1], "raw"))
		return cmd_raw(argv[2]);
	fprintf(stderr, "usage: " PROG " echo ADDR N SIZE [GAP_MS] | pipeline ADDR N PATH | raw ADDR\n");
	return 2;
}
