/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one strict parser for numbers on the command line: rejects empty
 * input, trailing junk, negative values and overflow. */
#ifndef SLT_CORE_PARSE_H
#define SLT_CORE_PARSE_H

#include <stdint.h>

/* "250ms", "10s", "1.5m", "2h", "500us", "100ns"; a bare number is seconds.
 * Returns 0 and *ns, or -EINVAL / -ERANGE. */
int slt_parse_duration(const char *s, uint64_t *ns);
/* "4096", "4KiB", "1MiB", "2GiB", "1k" (=1000). Returns 0 or -EINVAL/-ERANGE. */
int slt_parse_size(const char *s, uint64_t *bytes);
/* decimal integer in [min, max] */
int slt_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* a plain decimal ("0.05", "99.9", ".5", "12") in [min, max]: no sign,
 * exponent, hex, inf or nan, nothing after it. Returns 0 and *v (left
 * alone on error), -EINVAL when malformed, -ERANGE when outside [min, max]
 * or a double. */
int slt_parse_decimal(const char *s, double min, double max, double *v);
/* the len bytes at s, NUL-terminated, into buf (of cap bytes): 0, or
 * -EINVAL when empty or too long; for parsing a token inside a longer text */
int slt_span_cstr(const char *s, unsigned long len, char *buf, unsigned long cap);
/* comma-separated PIDs, each > 0; at most max of them */
int slt_parse_pid_list(const char *s, uint32_t *pids, int max, int *n);
/* format a duration in ns for humans: "1.23ms", "850ns", "2.00s" */
const char *slt_fmt_duration(uint64_t ns, char *buf, unsigned long len);

#endif
