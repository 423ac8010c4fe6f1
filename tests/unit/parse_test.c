// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one strict number parser (core/parse.c): every unit accepted, every
 * malformed or out-of-range input rejected, nothing written on failure. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "harness.h"
#include "core/parse.h"

#define POISON 0xdeadbeefcafef00dull

TEST(parse_duration_accepts_every_unit)
{
	static const struct {
		const char *in;
		uint64_t ns;
	} ok[] = {
	    {"250ms", 250000000ull},   {"10s", 10000000000ull},
	    {"1.5m", 90000000000ull},  {"2min", 120000000000ull},
	    {"2h", 7200000000000ull},  {"500us", 500000ull},
	    {"100ns", 100ull},	       {"10", 10000000000ull}, /* a bare number is seconds */
	    {"0.25", 250000000ull},    {"0", 0},
	    {"0.5ms", 500000ull},      {"1.000000001s", 1000000001ull},
	    {"0010s", 10000000000ull}, {"5000000h", 18000000000000000000ull},
	};

	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t ns = POISON;
		int err = slt_parse_duration(ok[i].in, &ns);

		CHECK_MSG(!err, "'%s' rejected: %d", ok[i].in, err);
		CHECK_MSG(ns == ok[i].ns, "'%s' = %llu, want %llu", ok[i].in,
			  (unsigned long long)ns, (unsigned long long)ok[i].ns);
	}
}

TEST(parse_duration_rejects_malformed)
{
	static const char *const bad[] = {
	    "",	     "-1s",  "10 s",  "10sx",  "abc",	 "1e3s",   "0x10s", "inf",
	    "infs",  "nan",  "NaN",   " 10s",  "10s ",	 "+1s",	   "s",	    ".",
	    "1..5s", "10S",  "10sec", "1,5s",  "10\ts",	 "10s\n",  "-0",    "--1s",
	    "1e3",   "0x10", "ms",    "10mss", "1.5.3s", "1_000s", "١s",
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t ns = POISON;
		int err = slt_parse_duration(bad[i], &ns);

		CHECK_MSG(err == -EINVAL, "'%s' gave %d, want -EINVAL", bad[i], err);
		CHECK_MSG(ns == POISON, "'%s' wrote %llu on failure", bad[i],
			  (unsigned long long)ns);
	}
	CHECK_EQ_INT(slt_parse_duration(NULL, &(uint64_t){0}), -EINVAL);
}

TEST(parse_duration_rejects_overflow)
{
	static const char *const big[] = {
	    "6000000h",		      /* 2.16e19 ns > 2^64 - 1 */
	    "18446744073709551616ns", /* 2^64 */
	    "99999999999999999999999999s",
	    /* 400 digits: strtod itself overflows */
	    "1000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	    "000000000000000000000000000000000000000000000000000000000000000000000000s",
	};

	for (unsigned i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		uint64_t ns = POISON;
		int err = slt_parse_duration(big[i], &ns);

		CHECK_MSG(err == -ERANGE, "'%.40s' gave %d, want -ERANGE", big[i], err);
		CHECK(ns == POISON);
	}
}

TEST(parse_size_accepts_every_unit)
{
	static const struct {
		const char *in;
		uint64_t bytes;
	} ok[] = {
	    {"4096", 4096},
	    {"4KiB", 4096},
	    {"1MiB", 1048576},
	    {"2GiB", 2147483648ull},
	    {"1k", 1000},
	    {"1K", 1000},
	    {"3KB", 3000},
	    {"5M", 5000000},
	    {"5MB", 5000000},
	    {"7G", 7000000000ull},
	    {"7GB", 7000000000ull},
	    {"12B", 12},
	    {"0", 0},
	    {"1024GiB", 1099511627776ull},
	};

	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t b = POISON;
		int err = slt_parse_size(ok[i].in, &b);

		CHECK_MSG(!err, "'%s' rejected: %d", ok[i].in, err);
		CHECK_MSG(b == ok[i].bytes, "'%s' = %llu, want %llu", ok[i].in,
			  (unsigned long long)b, (unsigned long long)ok[i].bytes);
	}
}

TEST(parse_size_rejects_malformed)
{
	static const char *const bad[] = {
	    "",	    "-1",  "1.5KiB", "4 KiB", "4KiB ", " 4KiB", "4kib", "4KiBs", "KiB",
	    "0x10", "1e3", "inf",    "nan",   "+4",    "4T",	"4Ki",	"abc",	 "4.",
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t b = POISON;
		int err = slt_parse_size(bad[i], &b);

		CHECK_MSG(err == -EINVAL, "'%s' gave %d, want -EINVAL", bad[i], err);
		CHECK(b == POISON);
	}
	CHECK_EQ_INT(slt_parse_size("17179869184GiB", &(uint64_t){0}), -ERANGE);
	CHECK_EQ_INT(slt_parse_size("99999999999999999999", &(uint64_t){0}), -ERANGE);
}

/* A strict integer parser returns the integer it was given. Sizes go through
 * a double, so above 2^53 bytes a value is silently rounded. */
TEST(parse_size_keeps_every_integer_exact)
{
	static const struct {
		const char *in;
		uint64_t bytes;
	} ok[] = {
	    {"9007199254740993", 9007199254740993ull},
	    {"18446744073709551615", 18446744073709551615ull},
	};

	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t b = POISON;
		int err = slt_parse_size(ok[i].in, &b);

		CHECK_MSG(!err ? b == ok[i].bytes : 1, "'%s' = %llu: silently rounded", ok[i].in,
			  (unsigned long long)b);
		CHECK_MSG(!err, "'%s' fits in 64 bits but was rejected: %d", ok[i].in, err);
	}
}

TEST(parse_u64_enforces_bounds)
{
	uint64_t v = POISON;

	CHECK_EQ_INT(slt_parse_u64("0", 0, 10, &v), 0);
	CHECK_EQ_U64(v, 0);
	CHECK_EQ_INT(slt_parse_u64("10", 0, 10, &v), 0);
	CHECK_EQ_U64(v, 10);
	CHECK_EQ_INT(slt_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	CHECK_EQ_U64(v, UINT64_MAX);

	v = POISON;
	CHECK_EQ_INT(slt_parse_u64("11", 0, 10, &v), -ERANGE);
	CHECK_EQ_INT(slt_parse_u64("4", 5, 10, &v), -ERANGE);
	CHECK_EQ_INT(slt_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	CHECK_EQ_INT(slt_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	CHECK_EQ_U64(v, POISON);

	static const char *const bad[] = {"",	  "-1",	 "+1",	" 1",  "1 ",  "1x",
					  "0x10", "1.0", "1e3", "abc", "\n1", "１"};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = slt_parse_u64(bad[i], 0, UINT64_MAX, &v);

		CHECK_MSG(err == -EINVAL, "'%s' gave %d, want -EINVAL", bad[i], err);
		CHECK(v == POISON);
	}
	CHECK_EQ_INT(slt_parse_u64(NULL, 0, 10, &v), -EINVAL);
}

TEST(parse_decimal_accepts_plain_decimals_within_bounds)
{
	static const struct {
		const char *in;
		double v;
	} ok[] = {
		{"0", 0},	{"12", 12},   {"0.05", 0.05}, {".5", 0.5},
		{"5.", 5},	{"99.9", 99.9}, {"1000", 1000}, {"0.000001", 0.000001},
	};
	double v;

	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int err;

		v = -1;
		err = slt_parse_decimal(ok[i].in, 0, 1000, &v);
		CHECK_MSG(!err && v == ok[i].v, "'%s' gave %d, %g", ok[i].in, err, v);
	}
}

TEST(parse_decimal_rejects_junk_signs_exponents_and_out_of_range)
{
	static const char *const bad[] = {"",	 ".",	"-1",  "+1",  " 1",  "1 ",  "1x",
					  "1..2", "1.2.3", "1e3", "0x10", "inf", "nan", "NaN",
					  "\n1", "1,5", "e"};
	double v = 42;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = slt_parse_decimal(bad[i], 0, 1e9, &v);

		CHECK_MSG(err == -EINVAL, "'%s' gave %d, want -EINVAL", bad[i], err);
	}
	CHECK_EQ_INT(slt_parse_decimal(NULL, 0, 1, &v), -EINVAL);
	CHECK_EQ_INT(slt_parse_decimal("0.6", 0, 0.5, &v), -ERANGE);
	CHECK_EQ_INT(slt_parse_decimal("0.5", 0.6, 1, &v), -ERANGE);
	/* more digits than a double holds: overflow, not infinity */
	char big[400];

	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK_EQ_INT(slt_parse_decimal(big, 0, HUGE_VAL, &v), -ERANGE);
	CHECK(v == 42);
	CHECK_EQ_INT(slt_parse_decimal("0.5", 0, 0.5, &v), 0);
	CHECK(v == 0.5);
}

TEST(parse_pid_list_accepts_lists)
{
	uint32_t pids[8];
	int n = -1;

	CHECK_EQ_INT(slt_parse_pid_list("1,2,3", pids, 8, &n), 0);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_U64(pids[0], 1);
	CHECK_EQ_U64(pids[1], 2);
	CHECK_EQ_U64(pids[2], 3);
	CHECK_EQ_INT(slt_parse_pid_list("4194303", pids, 8, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_U64(pids[0], 4194303);
	CHECK_EQ_INT(slt_parse_pid_list("1,2,3,4,5,6,7,8", pids, 8, &n), 0);
	CHECK_EQ_INT(n, 8);
	CHECK_EQ_U64(pids[7], 8);
}

TEST(parse_pid_list_rejects_malformed)
{
	static const char *const bad[] = {
	    "",
	    ",",
	    "1,,2",
	    "1,",
	    ",1",
	    "0",
	    "abc",
	    "1 2",
	    "1, 2",
	    "-1",
	    "1,-2",
	    "1;2",
	    "+1",
	    "1.0",
	    "0x10",
	    "1,0",
	    ",,",
	    "4194305",
	    "99999999999999999999",
	};
	uint32_t pids[8];
	int n;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = slt_parse_pid_list(bad[i], pids, 8, &n);

		CHECK_MSG(err < 0, "'%s' accepted (n=%d)", bad[i], n);
	}
	CHECK(slt_parse_pid_list(NULL, pids, 8, &n) < 0);
	/* more PIDs than room: an error, never a write past the array */
	pids[2] = 0xabcd;
	CHECK_EQ_INT(slt_parse_pid_list("1,2,3", pids, 2, &n), -E2BIG);
	CHECK_EQ_U64(pids[2], 0xabcd);
}

TEST(parse_pid_list_rejects_overlong_input)
{
	static char s[5000];
	uint32_t pids[4];
	int n;

	memset(s, '1', sizeof(s) - 1);
	s[sizeof(s) - 1] = 0;
	CHECK(slt_parse_pid_list(s, pids, 4, &n) < 0);
}

TEST(fmt_duration_picks_the_unit)
{
	static const struct {
		uint64_t ns;
		const char *out;
	} cases[] = {
	    {0, "0ns"},
	    {850, "850ns"},
	    {999, "999ns"},
	    {1000, "1.00us"},
	    {1500, "1.50us"},
	    {1230000, "1.23ms"},
	    {2000000000ull, "2.00s"},
	    {3600000000000ull, "3600.00s"},
	};
	char buf[32];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(slt_fmt_duration(cases[i].ns, buf, sizeof(buf)), cases[i].out);
	/* the returned pointer is the caller's buffer, and it is truncated safely */
	CHECK(slt_fmt_duration(1230000, buf, sizeof(buf)) == buf);
	CHECK_STR(slt_fmt_duration(1230000, buf, 4), "1.2");
}

/* Rounding must not print "1000.00us" for a value just under 1 ms: a human
 * reads the unit first. */
TEST(fmt_duration_never_shows_1000_of_a_unit)
{
	static const uint64_t edges[] = {999999, 999995, 999999999, 999995000};
	char buf[32];

	for (unsigned i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		const char *s = slt_fmt_duration(edges[i], buf, sizeof(buf));

		CHECK_MSG(strncmp(s, "1000.", 5), "%llu ns printed as '%s'",
			  (unsigned long long)edges[i], s);
	}
}

TEST(span_cstr_copies_a_token_and_refuses_empty_or_too_long)
{
	char buf[4];

	CHECK(slt_span_cstr("12ms and more", 3, buf, sizeof(buf)) == 0);
	CHECK(!strcmp(buf, "12m"));
	CHECK(slt_span_cstr("abc", 0, buf, sizeof(buf)) == -EINVAL);
	CHECK(slt_span_cstr("abcd", 4, buf, sizeof(buf)) == -EINVAL); /* no room for the NUL */
}
