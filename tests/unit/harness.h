/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The unit-test harness: TEST(name) { ... } registers a test; CHECK* fail
 * the current test and return from it, guarding the rest of the test.
 * Test names say what they prove: TEST(percentile_within_1_6_percent).
 */
#ifndef SLT_TESTS_HARNESS_H
#define SLT_TESTS_HARNESS_H

#include <stdio.h>
#include <string.h>

void unit_register(const char *name, void (*fn)(void));
void unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define TEST(name)                                                                    \
	static void name(void);                                                       \
	__attribute__((constructor)) static void register_##name(void)                \
	{                                                                             \
		unit_register(#name, name);                                           \
	}                                                                             \
	static void name(void)

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			unit_fail(__FILE__, __LINE__, "%s", #cond);                   \
			return;                                                       \
		}                                                                     \
	} while (0)

#define CHECK_MSG(cond, ...)                                                          \
	do {                                                                          \
		if (!(cond)) {                                                        \
			unit_fail(__FILE__, __LINE__, __VA_ARGS__);                   \
			return;                                                       \
		}                                                                     \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                            \
	do {                                                                          \
		unsigned long long _a = (a), _b = (b);                                \
		if (_a != _b) {                                                       \
			unit_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, _a, \
				  _b);                                                \
			return;                                                       \
		}                                                                     \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                            \
	do {                                                                          \
		long long _a = (a), _b = (b);                                         \
		if (_a != _b) {                                                       \
			unit_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, _a, \
				  _b);                                                \
			return;                                                       \
		}                                                                     \
	} while (0)

#define CHECK_STR(a, b)                                                               \
	do {                                                                          \
		const char *_a = (a), *_b = (b);                                      \
		if (!_a || !_b || strcmp(_a, _b)) {                                   \
			unit_fail(__FILE__, __LINE__, "%s == %s: '%s' != '%s'", #a, #b,     \
				  _a ? _a : "(null)", _b ? _b : "(null)");            \
			return;                                                       \
		}                                                                     \
	} while (0)

#endif
