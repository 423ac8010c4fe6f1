// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Route patterns and the learned segment limit, against routes worked out
 * by hand and against exact counts of distinct values fed in. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "harness.h"
#include "proto/route.h"

TEST(route_pattern_check_accepts_names_and_a_trailing_star)
{
	const char *why = NULL;

	CHECK(route_pattern_check("/users/{id}", &why) == 0);
	CHECK(route_pattern_check("/users/{id}/orders/{order}", &why) == 0);
	CHECK(route_pattern_check("/static/*", &why) == 0);
	CHECK(route_pattern_check("/", &why) == 0);
	CHECK(route_pattern_check("/api*", &why) == 0);
}

TEST(route_pattern_check_refuses_each_malformed_pattern_with_a_reason)
{
	static const char *const bad[] = {
		"users/{id}", "",     "/a/*/b", "/a/{id", "/a/{}",    "/a/x{id}", "/a/{id}x",
		"/a/id}",     "/a b", "/a?x=1", "/a#f",	  "/a/{i/d}", "/a/{i*}",
	};
	const char *why;
	char longpat[300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK_MSG(route_pattern_check(bad[i], &why) == -EINVAL, "accepted '%s'", bad[i]);
		CHECK_MSG(why && *why, "no reason for '%s'", bad[i]);
	}
	CHECK(route_pattern_check(NULL, &why) == -EINVAL);
	memset(longpat, 'a', sizeof(longpat));
	longpat[0] = '/';
	longpat[sizeof(longpat) - 1] = '\0';
	CHECK(route_pattern_check(longpat, &why) == -EINVAL);
}

TEST(route_match_names_match_one_nonempty_segment)
{
	CHECK(route_match("/users/{id}", "/users/42"));
	CHECK(route_match("/users/{id}", "/users/alice?x=1"));
	CHECK(route_match("/users/{id}", "/users/alice#top"));
	CHECK(!route_match("/users/{id}", "/users/"));
	CHECK(!route_match("/users/{id}", "/users"));
	CHECK(!route_match("/users/{id}", "/users/42/orders"));
	CHECK(route_match("/users/{id}/orders/{o}", "/users/42/orders/7"));
	CHECK(!route_match("/users/{id}/orders/{o}", "/users/42/items/7"));
	CHECK(!route_match("/users/{id}", "/user/42"));
	CHECK(route_match("/", "/"));
	CHECK(!route_match("/", "/a"));
}

TEST(route_match_trailing_star_matches_any_rest)
{
	CHECK(route_match("/static/*", "/static/"));
	CHECK(route_match("/static/*", "/static/css/a.css"));
	CHECK(!route_match("/static/*", "/static"));
	CHECK(!route_match("/static/*", "/stat"));
	CHECK(route_match("/api*", "/api"));
	CHECK(route_match("/api*", "/apiv2/x"));
	CHECK(route_match("/*", "/anything/at/all"));
	CHECK(route_match("/u/{id}/*", "/u/1/"));
	CHECK(!route_match(NULL, "/"));
	CHECK(!route_match("/", NULL));
}

/* the learned route of one path */
static int learn(struct route_learner *l, const char *scope, const char *route, char *out)
{
	return route_learn(l, scope, route, out, 256);
}

TEST(route_learn_keeps_the_first_n_values_and_stars_the_rest)
{
	struct route_learner *l = route_learner_new(10);
	char path[64], out[256];
	int stars = 0;

	CHECK(l);
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "/a%d", i);
		stars += learn(l, "GET", path, out);
		if (i < 10)
			CHECK_MSG(!strcmp(out, path), "value %d: '%s'", i, out);
		else
			CHECK_MSG(!strcmp(out, "/*"), "value %d: '%s'", i, out);
	}
	CHECK_MSG(stars == 990, "%d segments starred, want 990", stars);
	/* the first values keep their class after the limit was reached */
	CHECK(learn(l, "GET", "/a3", out) == 0 && !strcmp(out, "/a3"));
	CHECK(route_learner_positions_full(l) == 0);
	route_learner_free(l);
}

TEST(route_learn_limits_each_position_under_its_own_parent)
{
	struct route_learner *l = route_learner_new(2);
	char out[256];

	CHECK(l);
	CHECK(learn(l, "GET", "/users/{id}/x", out) == 0 && !strcmp(out, "/users/{id}/x"));
	CHECK(learn(l, "GET", "/users/{id}/y", out) == 0 && !strcmp(out, "/users/{id}/y"));
	CHECK(learn(l, "GET", "/users/{id}/z", out) == 1 && !strcmp(out, "/users/{id}/*"));
	/* the same depth under another parent has its own values */
	CHECK(learn(l, "GET", "/items/q", out) == 0 && !strcmp(out, "/items/q"));
	CHECK(learn(l, "GET", "/items/r", out) == 0 && !strcmp(out, "/items/r"));
	/* depth 1 is full (users, items): a third first segment is starred,
	 * and what follows it is learned under the starred parent */
	CHECK(learn(l, "GET", "/orders/1a", out) == 1 && !strcmp(out, "/*/1a"));
	/* another scope (method) learns on its own */
	CHECK(learn(l, "POST", "/orders/1a", out) == 0 && !strcmp(out, "/orders/1a"));
	/* slashes are kept as they are: empty segments, trailing slash */
	CHECK(learn(l, "PUT", "/", out) == 0 && !strcmp(out, "/"));
	CHECK(learn(l, "PUT", "/a//b/", out) == 0 && !strcmp(out, "/a//b/"));
	route_learner_free(l);
}

TEST(route_learn_distinct_routes_stay_within_the_bound_whatever_is_sent)
{
	/* 20,000 random three-segment paths: the learned routes number at most
	 * (limit + 1)^3 and the position table never overflows its bound */
	struct route_learner *l = route_learner_new(3);
	static char seen[64][256];
	int nseen = 0;
	uint64_t x = 88172645463325252ull;
	char path[96], out[256];

	CHECK(l);
	for (int i = 0; i < 20000; i++) {
		int k;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		snprintf(path, sizeof(path), "/%llx/%llx/%llx", (unsigned long long)(x & 0xfff),
			 (unsigned long long)(x >> 20 & 0xf), (unsigned long long)(x >> 40));
		learn(l, "GET", path, out);
		for (k = 0; k < nseen && strcmp(seen[k], out); k++)
			;
		if (k == nseen) {
			CHECK_MSG(nseen < 64, "more than 4^3 learned routes: '%s'", out);
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", out);
		}
	}
	CHECK(nseen <= 64);
	CHECK(route_learner_positions_full(l) == 0);
	route_learner_free(l);
}

TEST(route_learn_stars_new_positions_once_the_table_is_full)
{
	struct route_learner *l = route_learner_new(ROUTE_SEGMENT_LIMIT_MAX);
	char path[64], out[256];

	CHECK(l);
	/* each path opens a new position at depth 2 under its own parent */
	for (int i = 0; i < ROUTE_LEARN_POSITIONS + 10; i++) {
		snprintf(path, sizeof(path), "/p%d/x", i);
		learn(l, "GET", path, out);
	}
	/* 1 position for depth 1, then one per parent until the table is full */
	CHECK_MSG(route_learner_positions_full(l) == 11, "%llu",
		  (unsigned long long)route_learner_positions_full(l));
	CHECK(learn(l, "GET", "/p0/x", out) == 0 && !strcmp(out, "/p0/x"));
	CHECK(learn(l, "GET", "/p300/x", out) == 1 && !strcmp(out, "/p300/*"));
	route_learner_free(l);
}

TEST(route_learn_without_a_learner_copies_and_cuts_like_normalize)
{
	char out[8];

	CHECK(route_learn(NULL, "GET", "/abc/def?q", out, sizeof(out)) == 0);
	CHECK_MSG(!strcmp(out, "/abc..."), "'%s'", out);
	CHECK(route_learn(NULL, "GET", "/ab", out, sizeof(out)) == 0 && !strcmp(out, "/ab"));
	CHECK(route_learner_new(0) == NULL && errno == EINVAL);
	CHECK(route_learner_new(ROUTE_SEGMENT_LIMIT_MAX + 1) == NULL);
}
