// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target for user/proto/http.c: every parser on every input, checking
 * the invariants callers rely on (return ranges, NUL-terminated printable
 * strings, routes no longer than their path allows, answers that agree
 * with each other). Out-of-bounds reads are left to ASan: each input lives
 * in its own allocation of exactly its size.
 *
 * Two ways to run it:
 *   libFuzzer:  clang -DSLT_LIBFUZZER -fsanitize=fuzzer,address,undefined ...
 *   standalone: http_fuzz [--seconds N] [--seed N] [--runs N] [FILE...]
 * Standalone, it is a deterministic mutation fuzzer with its own PRNG and a
 * seed corpus, growing its pool with inputs whose parse results look new.
 * The same seed gives the same sequence of inputs; --runs N makes a run
 * exactly reproducible. FILE arguments are replayed once each instead.
 * libFuzzer's -max_total_time=N, -seed=N and -runs=N are accepted too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proto/http.h"

#define NREQ 8

#define FUZZ_NAME "http_fuzz"
#include "check.h"

/* length of s, which must end inside its array */
static size_t str_in(const char *s, size_t cap)
{
	const char *z = memchr(s, '\0', cap);

	FUZZ_CHECK(z != NULL);
	return (size_t)(z - s);
}

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static int known_method(const char *m)
{
	static const char *const methods[] = {"GET",   "HEAD",	  "POST",    "PUT",  "DELETE",
					      "PATCH", "OPTIONS", "CONNECT", "TRACE"};

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(m, methods[i]))
			return 1;
	return 0;
}

static void check_request(const struct http_request *r, int parsed)
{
	char route[HTTP_PATH_MAX];
	size_t pl, rl;

	str_in(r->method, sizeof(r->method));
	pl = str_in(r->path, sizeof(r->path));
	rl = str_in(r->route, sizeof(r->route));
	FUZZ_CHECK(parsed ? known_method(r->method) : !r->method[0] || known_method(r->method));
	FUZZ_CHECK(printable(r->path));
	FUZZ_CHECK(printable(r->route));
	/* each segment grows by at most "{id}" minus one byte */
	FUZZ_CHECK(rl <= pl + 3 * (count_char(r->path, '/') + 1));
	http_normalize_route(r->path, route, sizeof(route));
	FUZZ_CHECK(!strcmp(route, r->route));
	if (!parsed)
		return;
	FUZZ_CHECK(r->head_complete == 0 || r->head_complete == 1);
	FUZZ_CHECK(r->chunked == 0 || r->chunked == 1);
	FUZZ_CHECK(r->conn_close == 0 || r->conn_close == 1);
	FUZZ_CHECK(r->minor_version == 0 || r->minor_version == 1);
	FUZZ_CHECK(r->content_length >= -1);
}

static int same_request(const struct http_request *a, const struct http_request *b)
{
	return !strcmp(a->method, b->method) && !strcmp(a->path, b->path) &&
	       !strcmp(a->route, b->route) && a->head_complete == b->head_complete &&
	       a->content_length == b->content_length && a->chunked == b->chunked &&
	       a->conn_close == b->conn_close && a->minor_version == b->minor_version;
}

/* the results, folded into a number that tells the standalone fuzzer what is new */
static uint64_t signature;

static void check_requests(const uint8_t *data, size_t size)
{
	static struct http_request out[2][NREQ], one;
	int rc[2], rc1;

	for (int kq = 0; kq < 2; kq++) {
		memset(out[kq], 0xa5, sizeof(out[kq]));
		rc[kq] = http_parse_requests(data, size, kq, out[kq], NREQ);
		FUZZ_CHECK(rc[kq] == HTTP_NOT_HTTP || rc[kq] == HTTP_UNPARSED ||
			   (rc[kq] >= 1 && rc[kq] <= NREQ));
		for (int i = 0; i < rc[kq]; i++)
			check_request(&out[kq][i], 1);
		if (rc[kq] == HTTP_UNPARSED)
			check_request(&out[kq][0], 0);
		if (rc[kq] == HTTP_NOT_HTTP)
			FUZZ_CHECK(!out[kq][0].method[0] && !out[kq][0].path[0]);
	}
	/* the query changes paths, never what was found */
	FUZZ_CHECK(rc[0] == rc[1]);
	for (int i = 0; i < rc[0]; i++) {
		const struct http_request *a = &out[0][i], *b = &out[1][i];

		FUZZ_CHECK(!strcmp(a->method, b->method) && a->head_complete == b->head_complete &&
			   a->content_length == b->content_length && a->chunked == b->chunked &&
			   a->conn_close == b->conn_close && a->minor_version == b->minor_version);
		FUZZ_CHECK(strlen(a->path) <= strlen(b->path));
		if (strlen(b->path) < HTTP_PATH_MAX - 4)
			FUZZ_CHECK(!strcmp(a->route, b->route));
	}
	/* asking for fewer gives the same first answer */
	memset(&one, 0x5a, sizeof(one));
	rc1 = http_parse_requests(data, size, 0, &one, 1);
	FUZZ_CHECK(rc1 == (rc[0] > 1 ? 1 : rc[0]));
	if (rc1 == 1)
		FUZZ_CHECK(same_request(&one, &out[0][0]));

	signature = (uint64_t)(rc[0] + 3);
	for (int i = 0; i < rc[0] && i < 3; i++) {
		const struct http_request *r = &out[0][i];

		signature = signature * 31 +
			    (uint64_t)(r->head_complete | r->chunked << 1 | r->conn_close << 2 |
				       r->minor_version << 3 | (r->content_length >= 0) << 4 |
				       (strlen(r->path) >= HTTP_PATH_MAX - 1) << 5 |
				       (strcmp(r->path, r->route) != 0) << 6);
	}
}

static void check_responses(const uint8_t *data, size_t size)
{
	int codes[NREQ], code, n, n1, c1;

	code = http_parse_status(data, size);
	FUZZ_CHECK(code == -1 || (code >= 100 && code <= 599));
	for (int i = 0; i < NREQ; i++)
		codes[i] = -7;
	n = http_parse_statuses(data, size, codes, NREQ);
	FUZZ_CHECK(n >= 0 && n <= NREQ);
	FUZZ_CHECK((n > 0) == (code != -1));
	if (n > 0)
		FUZZ_CHECK(codes[0] == code);
	for (int i = 0; i < NREQ; i++)
		FUZZ_CHECK(i < n ? codes[i] >= 100 && codes[i] <= 599 : codes[i] == -7);
	c1 = -7;
	n1 = http_parse_statuses(data, size, &c1, 1);
	FUZZ_CHECK(n1 == (n > 0));
	FUZZ_CHECK(n1 ? c1 == code : c1 == -7);
	FUZZ_CHECK(http_parse_statuses(data, size, codes, 0) == 0);
	signature = signature * 131 + (uint64_t)(n * 10 + (code + 1) / 100);
}

/* the input as a C string: the route normaliser sees paths from anywhere */
static void check_route(const uint8_t *data, size_t size)
{
	static const size_t lens[] = {0, 1, 2, 3, 4, 5, 8, 17, HTTP_PATH_MAX};
	char *path = malloc(size + 1), out[HTTP_PATH_MAX + 16], again[HTTP_PATH_MAX];
	size_t pl, rl;

	if (!path)
		return;
	memcpy(path, data, size);
	path[size] = '\0';
	pl = strlen(path);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t len = lens[k];

		memset(out, 0xa5, sizeof(out));
		http_normalize_route(path, out, len);
		for (size_t i = len; i < sizeof(out); i++)
			FUZZ_CHECK((unsigned char)out[i] == 0xa5);
		if (!len)
			continue;
		rl = str_in(out, len);
		FUZZ_CHECK(rl <= pl + 3 * (count_char(path, '/') + 1));
		FUZZ_CHECK(!memchr(out, '?', rl) && !memchr(out, '#', rl));
		if (len == HTTP_PATH_MAX) {
			/* a route is its own route */
			http_normalize_route(out, again, sizeof(again));
			FUZZ_CHECK(!strcmp(out, again));
		}
	}
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cur_data = data;
	cur_size = size;
	check_requests(data, size);
	check_responses(data, size);
	check_route(data, size);
	return 0;
}

#ifndef SLT_LIBFUZZER

#define FUZZ_MAX_INPUT	  4096 /* 8x the largest capture */
#define POOL_MAX      1024
#define FUZZ_DEFAULT_RUNS 350000
#define FUZZ_RUN_REPS 600
#define FUZZ_MUTATIONS                                                                             \
	FUZZ_FLIP, FUZZ_INTERESTING, FUZZ_RANDOM, FUZZ_ERASE, FUZZ_DUPLICATE, FUZZ_SPLICE,         \
	    FUZZ_TRUNCATE, FUZZ_TOKEN, FUZZ_TOKEN, FUZZ_LINE, FUZZ_NUMBER, FUZZ_LONG_RUN,          \
	    FUZZ_PRINTABLE

static const uint8_t fuzz_interesting[] = {0,	0xff, 0x7f, 0x80, ' ', '\t', '\r', '\n', ':',
					   '/', '?',  '#',  '%',  '0', '9',  'a',  'f',	 '-'};

static const char *const fuzz_tokens[] = {
    "GET ",
    "POST ",
    "HEAD ",
    "CONNECT ",
    " HTTP/1.1\r\n",
    " HTTP/1.0\r\n",
    "HTTP/1.1 200 OK\r\n",
    "HTTP/1.1 100 Continue\r\n\r\n",
    "\r\n",
    "\r\n\r\n",
    "\n",
    "\r",
    "Content-Length: ",
    "content-length: 0\r\n",
    "Content-Length: 5\r\n\r\nhello",
    "Transfer-Encoding: chunked\r\n",
    "transfer-encoding: gzip\r\n",
    "Connection: close\r\n",
    "Connection: keep-alive\r\n",
    "99999999999999999999",
    "18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "-1",
    "0\r\n\r\n",
    "ffffffffffffffff\r\n",
    "7fffffffffffffff\r\n",
    "?",
    "#",
    "/",
    "//",
    "%",
    "*",
    "http://",
    "https://h:1",
    "550e8400-e29b-41d4-a716-446655440000",
    "9f86d081884c7d65",
    "/123",
    "/{id}",
    "...",
    ": ",
    " ",
    "\t",
    ";ext=1",
    "\0",
    "\xff",
};

static const char *const fuzz_numbers[] = {"18446744073709551615",
					   "9223372036854775807",
					   "4294967296",
					   "0",
					   "-1",
					   "65536",
					   "00000000000000000000001"};

/* long paths: many letters, or many short numeric segments */
static const char *const fuzz_runs[] = {"a", "/1", "/%", "\xc3\xa9", "/deadbeef"};

#include "driver.h"

static const struct fuzz_seed seeds[] = {
    SEED("GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.88.1\r\n"
	 "Accept: */*\r\n\r\n"),
    SEED("GET /users/123/orders/9f86d081884c7d65?expand=items&page=2#top HTTP/1.1\r\n"
	 "Host: api\r\nConnection: keep-alive\r\n\r\n"),
    SEED("GET / HTTP/1.0\r\n\r\n"),
    SEED("GET /u/550e8400-e29b-41d4-a716-446655440000 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"),
    SEED("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"
	 "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
    SEED("POST /api/orders HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 13\r\n"
	 "\r\n{\"qty\": 1234}GET /api/orders/77 HTTP/1.1\r\n\r\n"),
    SEED("PUT /objects/42 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
	 "GET /next HTTP/1.1\r\n\r\n"),
    SEED("GET http://example.com:8080/p/1?x=2 HTTP/1.1\r\n\r\n"),
    SEED("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
    SEED("OPTIONS * HTTP/1.1\r\n\r\n"),
    SEED("DELETE /sessions/abcdef0123456789 HTTP/1.1\nHost: x\n\n"
	 "PATCH /x HTTP/1.1\nContent-Length: 0\n\nHEAD /h HTTP/1.1\n\nTRACE / HTTP/1.1\n\n"),
    SEED("GET /users/99 HTTP/1.1\r\nHost: example.com\r\nAccept: te"),
    SEED("POST /up HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
    SEED("\r\n\r\nGET /after-blank-lines HTTP/1.1\r\nX-Folded: a\r\n b\r\n\r\n"),
    SEED("*1\r\n$4\r\nPING\r\n"),
    SEED("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\x00"),
    SEED("\x00\x00\x00\x08\x04\xd2\x16\x2f"),
    SEED("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    SEED("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"),
    SEED("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\n"
	 "Trailer: 1\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
    SEED("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
	 "HTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.1 500 Internal Server Error\r\n"
	 "Content-Length: 2\r\nConnection: close\r\n\r\nno"),
    SEED("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\nHTTP/1.1 201 OK\n\n"),
    SEED("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody until close"),
    SEED("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"),
};

static uint64_t fuzz_add_seeds(uint8_t *buf)
{
	uint64_t execs = seeds_add(seeds, FUZZ_NELEM(seeds));
	size_t len = 0;

	/* a path longer than any buffer */
	buf_insert(buf, &len, 0, (const uint8_t *)"GET /", 5);
	while (len < 700) {
		buf[len] = (uint8_t)('a' + len % 26);
		len++;
	}
	buf_insert(buf, &len, len, (const uint8_t *)" HTTP/1.1\r\n\r\n", 13);
	pool_add(buf, len);
	return execs;
}

#endif /* SLT_LIBFUZZER */
