/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Request routes with bounded cardinality: user-given route patterns, and a
 * learned per-segment limit that turns a path position with too many
 * distinct values into "*". A remote client chooses the paths it sends; these
 * keep the number of request classes (and so slatrace's memory) independent
 * of what it sends. Pure functions over strings: no I/O; the learner's
 * memory is allocated once per learner and bounded by its two limits.
 */
#ifndef SLT_PROTO_ROUTE_H
#define SLT_PROTO_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#define ROUTE_PATTERN_MAX	256  /* bytes of a pattern, NUL included */
#define ROUTE_SEGMENT_LIMIT_MAX 1000 /* --segment-limit upper bound */
#define ROUTE_LEARN_POSITIONS	256  /* segment positions one learner tracks */

/*
 * A route pattern: starts with '/'; a segment "{name}" matches exactly one
 * non-empty path segment; a '*' at the very end matches any rest, empty
 * included ("/static/" then '*' matches "/static/" and "/static/a/b", not
 * "/static"); every other byte matches itself. '*' elsewhere, a '{' that
 * is not a whole "{name}" segment, and empty names are refused.
 * 0, or -EINVAL with *why set to a short reason.
 */
int route_pattern_check(const char *pat, const char **why);

/* 1 when path (its query and fragment ignored) matches the checked pattern */
int route_match(const char *pat, const char *path);

/*
 * The learned segment limit. Within one scope (the caller's: a process,
 * port and method), a segment position is the depth of a segment and the
 * learned route before it. Each position admits its first `limit` distinct
 * values; any value after those becomes "*" (the segment "/a7" becomes
 * "/" then "*" after the limit, while the first values keep their own
 * route). Values are remembered by a
 * 64-bit hash, positions up to ROUTE_LEARN_POSITIONS; a segment at a new
 * position when all are taken becomes "*" too (positions_full counts
 * those). Memory: ROUTE_LEARN_POSITIONS * (16 + 8 * limit) bytes plus a
 * 1 KiB index, allocated once (26 KiB for the default limit of 10).
 */
struct route_learner;

/* limit: 1..ROUTE_SEGMENT_LIMIT_MAX; NULL with errno set */
struct route_learner *route_learner_new(unsigned limit);
void route_learner_free(struct route_learner *l);
/* segments that became "*" because the position table was full */
uint64_t route_learner_positions_full(const struct route_learner *l);

/*
 * Learn route (a path without query, as http_normalize_route makes it) in
 * scope and write the learned route to out (len bytes, NUL-terminated when
 * len > 0; cut like http_normalize_route when it does not fit). Returns how
 * many segments became "*".
 */
int route_learn(struct route_learner *l, const char *scope, const char *route, char *out,
		size_t len);

#endif
