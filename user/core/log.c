// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "core/log.h"

int slt_verbose;

/* while on, errors go here (the first one kept), not to stderr */
static struct {
	char *buf;
	size_t len;
	int held;
} capture;

static void vsay(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void slt_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!capture.buf)
		vsay("error: ", fmt, ap);
	else if (!capture.held++)
		vsnprintf(capture.buf, capture.len, fmt, ap);
	va_end(ap);
}

void slt_capture_begin(char *buf, size_t len)
{
	capture.buf = len ? buf : NULL;
	capture.len = len;
	capture.held = 0;
	if (len)
		buf[0] = 0;
}

int slt_capture_end(void)
{
	int held = capture.held;

	capture.buf = NULL;
	capture.held = 0;
	return held;
}

void slt_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("warning: ", fmt, ap);
	va_end(ap);
}

void slt_info(const char *fmt, ...)
{
	va_list ap;

	if (!slt_verbose)
		return;
	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

const char *slt_strerror(int err)
{
	static __thread char buf[128];

	if (err < 0)
		err = -err;
	libbpf_strerror(err, buf, sizeof(buf));
	return buf;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !slt_verbose))
		return 0;
	if (level == LIBBPF_WARN && !slt_verbose)
		return 0; /* we report failures ourselves, in one line */
	return vfprintf(stderr, fmt, ap);
}

void slt_libbpf_log_setup(void)
{
	libbpf_set_print(libbpf_print);
}
