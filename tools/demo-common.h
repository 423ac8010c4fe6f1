/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What demo-server and demo-load share: one error voice, strict numbers,
 * loopback-only addresses, and the option table that both --help and
 * getopt_long are built from. Each tool defines PROG before including it.
 */
#ifndef SLT_DEMO_COMMON_H
#define SLT_DEMO_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void error_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define usage_error(...)                                                                           \
	do {                                                                                       \
		error_msg(__VA_ARGS__);                                                            \
		exit(2);                                                                           \
	} while (0)

/* strict: decimal digits only, no sign, no junk, within [min, max] */
static int parse_ulong(const char *s, size_t len, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	unsigned long v = 0;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (ULONG_MAX - (unsigned long)(s[i] - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static unsigned long opt_ulong(const char *opt, const char *s, unsigned long min, unsigned long max)
{
	unsigned long v;

	if (parse_ulong(s, strlen(s), min, max, &v))
		usage_error("invalid value for '--%s': '%s' (expected an integer in %lu..%lu)", opt,
			    s, min, max);
	return v;
}

/*
 * "127.0.0.1:PORT" or "[::1]:PORT", the port at least min_port. Only
 * loopback addresses (-EPERM for others): these tools are for local demos
 * and tests, not something to offer a network or to aim at other people's
 * servers.
 */
static int parse_inet(const char *s, unsigned long min_port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	bool v6 = s[0] == '[';
	const char *colon, *h = s;
	unsigned long port;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		colon = rb + 1;
		h = s + 1;
		hlen = rb - h;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hlen = colon - s;
	}
	if (!hlen || hlen >= sizeof(host) ||
	    parse_ulong(colon + 1, strlen(colon + 1), min_port, 65535, &port))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		if (!IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
			return -EPERM;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		if ((ntohl(a->sin_addr.s_addr) >> 24) != 127)
			return -EPERM;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		*len = sizeof(*a);
	}
	return 0;
}

struct opt {
	const char *name;
	const char *arg;
	int val;
	const char *help;
};

/* the usage line, then one line per option, its help at column width + 3 */
static void opts_usage(FILE *f, const char *synopsis, const struct opt *opts, size_t n, int width)
{
	fprintf(f, "usage: " PROG "%s\n", synopsis);
	for (size_t i = 0; i < n; i++) {
		char left[40];

		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-*s %s\n", width, left, opts[i].help);
	}
}

/* getopt_long's table from ours: long_opts holds n + 1 entries */
static void opts_long(struct option *long_opts, const struct opt *opts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		long_opts[i] =
		    (struct option){ opts[i].name, opts[i].arg ? required_argument : no_argument,
				     NULL, opts[i].val };
	memset(&long_opts[n], 0, sizeof(long_opts[n]));
}

static void bad_option(const char *arg)
{
	/* getopt_long's optopt is the option's val for a long option missing its value */
	if (optopt && !strncmp(arg, "--", 2) && strchr(arg, '='))
		usage_error("option '%.*s' takes no value", (int)strcspn(arg, "="), arg);
	if (optopt && !strncmp(arg, "--", 2))
		usage_error("option '%s' needs a value", arg);
	usage_error("unknown option '%s' (see --help)", arg);
}

#endif /* SLT_DEMO_COMMON_H */
