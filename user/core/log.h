/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One error printer, one voice: "error: cannot attach 'x': reason". */
#ifndef SLT_CORE_LOG_H
#define SLT_CORE_LOG_H

#include <stdarg.h>

/* exit codes */
#define SLT_EXIT_OK 0
#define SLT_EXIT_FAIL 1	 /* runtime or environment failure */
#define SLT_EXIT_USAGE 2 /* the command line is wrong */
#define SLT_EXIT_SLA 3	 /* an SLA objective or regression gate failed */

extern int slt_verbose;

void slt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void slt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void slt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* text for a negative errno from libbpf or a syscall */
const char *slt_strerror(int err);
/* route libbpf's own messages: shown with -v, otherwise only warnings */
void slt_libbpf_log_setup(void);

#endif
