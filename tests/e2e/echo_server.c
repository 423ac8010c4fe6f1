// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * echo_server: a server of a binary, length-prefixed protocol, the truth for
 * slatrace's "any other protocol" request classes (tcp:<port>, unix:<path>).
 *
 *   echo_server --listen 127.0.0.1:0     prints "listening 127.0.0.1:PORT"
 *   echo_server --unix PATH              prints "listening unix:PATH"
 *
 * A message is a 4-byte big-endian length and that many bytes (at most
 * 64 KiB). Each message is answered with the same frame, in one write, once
 * all of it has been read: one request/response turn per message. One thread
 * per connection. On SIGTERM/SIGINT it prints "turns=N" (messages answered)
 * and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define PROG	"echo_server"
#define MSG_MAX (64 * 1024)

static unsigned long turns;

static void die(const char *what, const char *subject)
{
	fprintf(stderr, PROG ": error: %s '%s': %s\n", what, subject, strerror(errno));
	exit(1);
}

/* 1: all len bytes read (or written); 0: EOF or an error first */
static int io_full(int fd, void *buf, size_t len, int writing)
{
	char *p = buf;

	while (len) {
		ssize_t n = writing ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

static void *conn_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *msg = malloc(4 + MSG_MAX);
	uint32_t len;

	while (msg && io_full(fd, msg, 4, 0)) {
		memcpy(&len, msg, 4);
		len = ntohl(len);
		if (len > MSG_MAX || !io_full(fd, msg + 4, len, 0))
			break;
		__atomic_add_fetch(&turns, 1, __ATOMIC_RELAXED);
		if (!io_full(fd, msg, 4 + (size_t)len, 1))
			break;
	}
	free(msg);
	close(fd);
	return NULL;
}

static int listen_inet(const char *spec, char *name, size_t name_len)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	const char *colon = strrchr(spec, ':');
	char host[INET_ADDRSTRLEN];
	int fd, one = 1;

	if (!colon || (size_t)(colon - spec) >= sizeof(host)) {
		fprintf(stderr, PROG ": error: invalid address '%s'\n", spec);
		exit(2);
	}
	memcpy(host, spec, colon - spec);
	host[colon - spec] = '\0';
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || (ntohl(a.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, PROG ": error: not a loopback address '%s'\n", spec);
		exit(2);
	}
	a.sin_port = htons((uint16_t)atoi(colon + 1));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("cannot create a socket for", spec);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, SOMAXCONN) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen))
		die("cannot listen on", spec);
	snprintf(name, name_len, "%s:%u", host, ntohs(a.sin_port));
	return fd;
}

static int listen_unix(const char *path, char *name, size_t name_len)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, PROG ": error: path too long '%s'\n", path);
		exit(2);
	}
	strcpy(a.sun_path, path);
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("cannot create a socket for", path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, SOMAXCONN))
		die("cannot listen on", path);
	snprintf(name, name_len, "unix:%s", path);
	return fd;
}

int main(int argc, char **argv)
{
	const char *unix_path = NULL;
	char name[256];
	struct pollfd pfds[2];
	pthread_attr_t attr;
	sigset_t sigs;
	int lfd, sfd;

	if (argc == 3 && !strcmp(argv[1], "--listen")) {
		lfd = listen_inet(argv[2], name, sizeof(name));
	} else if (argc == 3 && !strcmp(argv[1], "--unix")) {
		unix_path = argv[2];
		lfd = listen_unix(unix_path, name, sizeof(name));
	} else {
		fprintf(stderr, "usage: " PROG " --listen 127.0.0.1:PORT | --unix PATH\n");
		return 2;
	}
	/* SIG_DFL: a shell starts background jobs with SIGINT ignored */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0)
		die("cannot create a signalfd for", name);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	printf("listening %s\n", name);
	fflush(stdout);

	pfds[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
	pfds[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
	for (;;) {
		pthread_t tid;
		int fd;

		if (poll(pfds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("cannot poll", name);
		}
		if (pfds[1].revents)
			break;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (pthread_create(&tid, &attr, conn_thread, (void *)(intptr_t)fd))
			close(fd);
	}
	printf("turns=%lu\n", __atomic_load_n(&turns, __ATOMIC_RELAXED));
	if (unix_path)
		unlink(unix_path);
	return fflush(stdout) || ferror(stdout) ? 1 : 0;
}
