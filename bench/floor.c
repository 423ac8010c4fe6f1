// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * floor: load build/bench/floor.bpf.o (empty programs on tp_btf/sys_enter and
 * tp_btf/sys_exit), attach every program in it, say so on stderr, then wait
 * for SIGINT or SIGTERM. bench/syscalls.sh uses it to measure the least any
 * tracer on those hooks can cost.
 *
 * usage: floor [-v] [OBJECT]   (default OBJECT: floor.bpf.o beside this binary)
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#define MAX_LINKS 8

static volatile sig_atomic_t stop_requested;
static int verbose;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static const char *errstr(int err)
{
	static char buf[128];

	if (libbpf_strerror(err, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "%s", strerror(-err));
	return buf;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* floor.bpf.o next to our own binary, so it runs from any directory */
static int default_object(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		return -errno;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	if ((size_t)snprintf(buf, len, "%s/floor.bpf.o", self) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS] = { 0 };
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct sigaction sa = { 0 };
	char path[PATH_MAX];
	const char *obj_path;
	int c, err = 0, nlinks = 0, rc = 1;
	sigset_t block, old;

	while ((c = getopt(argc, argv, "vh")) != -1) {
		switch (c) {
		case 'v':
			verbose = 1;
			break;
		case 'h':
			printf("usage: floor [-v] [OBJECT]\n");
			return 0;
		default:
			fprintf(stderr, "usage: floor [-v] [OBJECT]\n");
			return 2;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "usage: floor [-v] [OBJECT]\n");
		return 2;
	}
	if (optind < argc) {
		obj_path = argv[optind];
	} else {
		err = default_object(path, sizeof(path));
		if (err) {
			error("cannot find 'floor.bpf.o': %s", strerror(-err));
			return 1;
		}
		obj_path = path;
	}
	libbpf_set_print(print_libbpf);

	/* block the stop signals until we wait for them: no lost wake-up */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj) {
		err = -errno;
		error("cannot open '%s': %s", obj_path, errstr(err));
		goto cleanup;
	}
	err = bpf_object__load(obj);
	if (err) {
		error("cannot load '%s': %s", obj_path, errstr(err));
		goto cleanup;
	}
	for (prog = bpf_object__next_program(obj, NULL); prog;
	     prog = bpf_object__next_program(obj, prog)) {
		if (nlinks == MAX_LINKS) {
			err = -E2BIG;
			error("cannot attach '%s': more than %d programs", bpf_program__name(prog),
			      MAX_LINKS);
			goto cleanup;
		}
		links[nlinks] = bpf_program__attach(prog);
		if (!links[nlinks]) {
			err = -errno;
			error("cannot attach '%s': %s", bpf_program__name(prog), errstr(err));
			goto cleanup;
		}
		nlinks++;
	}
	fprintf(stderr, "floor: attached %d programs; SIGINT or SIGTERM to end\n", nlinks);

	while (!stop_requested)
		sigsuspend(&old);
	rc = 0;
cleanup:
	for (int i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return rc;
}
