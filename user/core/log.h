/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One error printer, one voice: "error: cannot attach 'x': reason". */
#ifndef SLT_CORE_LOG_H
#define SLT_CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* exit codes */
#define SLT_EXIT_OK 0
#define SLT_EXIT_FAIL 1	 /* runtime or environment failure */
#define SLT_EXIT_USAGE 2 /* the command line is wrong */
#define SLT_EXIT_SLA 3	 /* an SLA objective or regression gate failed */

extern int slt_verbose;

void slt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void slt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void slt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Hold errors instead of printing them, for a failure that is not the
 * run's (a family left out): slt_error() keeps its first message, without
 * "error: ", in buf, and prints nothing until slt_capture_end(), which
 * returns how many messages were held. */
void slt_capture_begin(char *buf, size_t len);
int slt_capture_end(void);
/* text for a negative errno from libbpf or a syscall */
const char *slt_strerror(int err);
/* route libbpf's own messages: shown with -v, otherwise only warnings */
void slt_libbpf_log_setup(void);

#endif
