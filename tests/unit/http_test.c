// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "harness.h"
#include "proto/http.h"

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static struct http_request reqs[8];

static int parse(const uint8_t *buf, size_t len)
{
	return http_parse_requests(buf, len, 0, reqs, 8);
}

TEST(http_simple_get_is_one_complete_request)
{
	CHECK_EQ_INT(parse(S("GET /index.html HTTP/1.1\r\nHost: example.com\r\n"
			     "User-Agent: curl/7.88\r\nAccept: */*\r\n\r\n")),
		     1);
	CHECK_STR(reqs[0].method, "GET");
	CHECK_STR(reqs[0].path, "/index.html");
	CHECK_STR(reqs[0].route, "/index.html");
	CHECK_EQ_INT(reqs[0].head_complete, 1);
	CHECK_EQ_INT(reqs[0].content_length, -1);
	CHECK_EQ_INT(reqs[0].chunked, 0);
	CHECK_EQ_INT(reqs[0].conn_close, 0);
	CHECK_EQ_INT(reqs[0].minor_version, 1);
}

TEST(http_every_known_method_parses)
{
	static const char *const m[] = {"GET",	 "HEAD",    "POST",    "PUT",  "DELETE",
					"PATCH", "OPTIONS", "CONNECT", "TRACE"};
	char buf[64];

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		int n = snprintf(buf, sizeof(buf), "%s /x HTTP/1.1\r\n\r\n", m[i]);

		CHECK_EQ_INT(parse((const uint8_t *)buf, (size_t)n), 1);
		CHECK_STR(reqs[0].method, m[i]);
	}
}

TEST(http_query_removed_unless_keep_query)
{
	static const char req[] = "GET /search/42?q=bpf&page=2#top HTTP/1.1\r\n\r\n";

	CHECK_EQ_INT(http_parse_requests(S(req), 0, reqs, 8), 1);
	CHECK_STR(reqs[0].path, "/search/42");
	CHECK_STR(reqs[0].route, "/search/{id}");
	CHECK_EQ_INT(http_parse_requests(S(req), 1, reqs, 8), 1);
	CHECK_STR(reqs[0].path, "/search/42?q=bpf&page=2");
	CHECK_STR(reqs[0].route, "/search/{id}");
}

TEST(http_1_0_closes_unless_keep_alive)
{
	CHECK_EQ_INT(parse(S("GET / HTTP/1.0\r\nHost: a\r\n\r\n")), 1);
	CHECK_EQ_INT(reqs[0].minor_version, 0);
	CHECK_EQ_INT(reqs[0].conn_close, 1);
	CHECK_EQ_INT(parse(S("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")), 1);
	CHECK_EQ_INT(reqs[0].minor_version, 0);
	CHECK_EQ_INT(reqs[0].conn_close, 0);
}

TEST(http_1_1_keep_alive_and_connection_close)
{
	CHECK_EQ_INT(parse(S("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n")), 1);
	CHECK_EQ_INT(reqs[0].conn_close, 0);
	CHECK_EQ_INT(parse(S("GET / HTTP/1.1\r\nconnection:   Close  \r\n\r\n")), 1);
	CHECK_EQ_INT(reqs[0].conn_close, 1);
	CHECK_EQ_INT(parse(S("GET / HTTP/1.1\r\nCONNECTION: Upgrade, close\r\n\r\n")), 1);
	CHECK_EQ_INT(reqs[0].conn_close, 1);
	/* a header that merely contains the word is not Connection */
	CHECK_EQ_INT(parse(S("GET / HTTP/1.1\r\nX-Connection: close\r\n\r\n")), 1);
	CHECK_EQ_INT(reqs[0].conn_close, 0);
}

TEST(http_pipelined_three_gets_are_three_requests)
{
	CHECK_EQ_INT(parse(S("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
			     "GET /b/7 HTTP/1.1\r\nHost: h\r\n\r\n"
			     "GET /c HTTP/1.1\r\nHost: h\r\n\r\n")),
		     3);
	CHECK_STR(reqs[0].path, "/a");
	CHECK_STR(reqs[1].route, "/b/{id}");
	CHECK_STR(reqs[2].path, "/c");
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(reqs[i].head_complete, 1);
}

TEST(http_pipelined_requests_stop_at_max)
{
	CHECK_EQ_INT(http_parse_requests(S("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"
					   "GET /c HTTP/1.1\r\n\r\n"),
					 0, reqs, 2),
		     2);
	CHECK_STR(reqs[1].path, "/b");
}

TEST(http_post_body_is_skipped_to_reach_the_next_get)
{
	/* the body looks like a request line: only Content-Length says it is not */
	CHECK_EQ_INT(parse(S("POST /api/orders HTTP/1.1\r\nContent-Length: 20\r\n\r\n"
			     "GET /fake HTTP/1.1\r\n"
			     "GET /next HTTP/1.1\r\n\r\n")),
		     2);
	CHECK_STR(reqs[0].method, "POST");
	CHECK_EQ_INT(reqs[0].content_length, 20);
	CHECK_STR(reqs[1].method, "GET");
	CHECK_STR(reqs[1].path, "/next");
}

TEST(http_body_beyond_the_capture_ends_the_parse)
{
	CHECK_EQ_INT(parse(S("POST /up HTTP/1.1\r\nContent-Length: 100000\r\n\r\nabc")), 1);
	CHECK_EQ_INT(reqs[0].content_length, 100000);
	CHECK_EQ_INT(reqs[0].head_complete, 1);
}

TEST(http_chunked_request_stops_after_the_first)
{
	CHECK_EQ_INT(parse(S("POST /stream HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "5\r\nhello\r\n0\r\n\r\n"
			     "GET /next HTTP/1.1\r\n\r\n")),
		     1);
	CHECK_EQ_INT(reqs[0].chunked, 1);
	CHECK_EQ_INT(reqs[0].content_length, -1);
	CHECK_EQ_INT(parse(S("POST / HTTP/1.1\r\ntransfer-encoding: gzip, Chunked\r\n\r\n")), 1);
	CHECK_EQ_INT(reqs[0].chunked, 1);
}

TEST(http_truncated_request_line_is_unparsed)
{
	CHECK_EQ_INT(parse(S("GET /api/users/12")), HTTP_UNPARSED);
	/* what arrived is still there for a best-effort label */
	CHECK_STR(reqs[0].method, "GET");
	CHECK_STR(reqs[0].path, "/api/users/12...");
	CHECK_EQ_INT(parse(S("GET /search?q=long")), HTTP_UNPARSED);
	CHECK_STR(reqs[0].path, "/search");
	CHECK_EQ_INT(parse(S("GET /x HTTP/1.")), HTTP_UNPARSED);
	CHECK_EQ_INT(parse(S("GET /x HTTP")), HTTP_UNPARSED);
	CHECK_EQ_INT(parse(S("GET ")), HTTP_UNPARSED);
	CHECK_EQ_INT(parse(S("GET")), HTTP_UNPARSED);
	CHECK_EQ_INT(parse(S("DELE")), HTTP_UNPARSED);
	CHECK_STR(reqs[0].method, "");
}

TEST(http_garbled_request_line_is_unparsed)
{
	CHECK_EQ_INT(parse(S("GET  / HTTP/1.1\r\n\r\n")), HTTP_UNPARSED);
	CHECK_EQ_INT(parse(S("GET / HTTP/2.0\r\n\r\n")), HTTP_UNPARSED);
	CHECK_EQ_INT(parse(S("GET / HTTP/1.1 extra\r\n\r\n")), HTTP_UNPARSED);
	CHECK_EQ_INT(parse(S("GET /a\x01"
			     "b HTTP/1.1\r\n\r\n")),
		     HTTP_UNPARSED);
	CHECK_EQ_INT(parse(S("GET\r\n\r\n")), HTTP_UNPARSED);
	CHECK_EQ_INT(parse(S("POST /\0 HTTP/1.1\r\n\r\n")), HTTP_UNPARSED);
}

TEST(http_other_tokens_are_not_http)
{
	CHECK_EQ_INT(parse(S("GETX / HTTP/1.1\r\n\r\n")), HTTP_NOT_HTTP);
	CHECK_EQ_INT(parse(S("get / HTTP/1.1\r\n\r\n")), HTTP_NOT_HTTP);
	/* HTTP/2 prior knowledge */
	CHECK_EQ_INT(parse(S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")), HTTP_NOT_HTTP);
	CHECK_EQ_INT(parse(S("")), HTTP_NOT_HTTP);
	CHECK_EQ_INT(parse(S("\r\n\r\n")), HTTP_NOT_HTTP);
}

TEST(http_binary_is_not_http)
{
	/* a TLS ClientHello, as a client on port 80 might send by mistake */
	CHECK_EQ_INT(parse(S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")), HTTP_NOT_HTTP);
	CHECK_EQ_INT(parse(S("\0\0\0\0GET / HTTP/1.1\r\n\r\n")), HTTP_NOT_HTTP);
	CHECK_EQ_INT(parse(S("\xff\xfe\x80\x00")), HTTP_NOT_HTTP);
}

TEST(http_redis_resp_is_not_http)
{
	CHECK_EQ_INT(parse(S("*1\r\n$4\r\nPING\r\n")), HTTP_NOT_HTTP);
	CHECK_EQ_INT(parse(S("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")), HTTP_NOT_HTTP);
}

TEST(http_headers_cut_off_still_parse_with_head_incomplete)
{
	CHECK_EQ_INT(parse(S("GET /users/99 HTTP/1.1\r\nHost: example.com\r\nAccept: te")), 1);
	CHECK_EQ_INT(reqs[0].head_complete, 0);
	CHECK_STR(reqs[0].route, "/users/{id}");
	CHECK_EQ_INT(parse(S("GET /users/99 HTTP/1.1\r\n")), 1);
	CHECK_EQ_INT(reqs[0].head_complete, 0);
	/* cut between the version and its CRLF */
	CHECK_EQ_INT(parse(S("GET /users/99 HTTP/1.1")), 1);
	CHECK_EQ_INT(reqs[0].head_complete, 0);
	CHECK_EQ_INT(parse(S("GET /users/99 HTTP/1.1\r")), 1);
	CHECK_EQ_INT(reqs[0].head_complete, 0);
	/* the next request of a pipeline, cut inside its headers, counts too */
	CHECK_EQ_INT(parse(S("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nHo")), 2);
	CHECK_EQ_INT(reqs[0].head_complete, 1);
	CHECK_EQ_INT(reqs[1].head_complete, 0);
}

TEST(http_bare_lf_line_endings_are_accepted)
{
	CHECK_EQ_INT(parse(S("GET /a HTTP/1.1\nHost: x\nConnection: close\n\n"
			     "GET /b HTTP/1.1\n\n")),
		     2);
	CHECK_EQ_INT(reqs[0].conn_close, 1);
	CHECK_STR(reqs[1].path, "/b");
}

TEST(http_empty_lines_before_a_request_are_skipped)
{
	CHECK_EQ_INT(parse(S("POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi\r\n"
			     "GET /b HTTP/1.1\r\n\r\n")),
		     2);
	CHECK_STR(reqs[1].path, "/b");
}

TEST(http_bad_content_length_ends_the_pipeline)
{
	CHECK_EQ_INT(parse(S("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"
			     "GET /b HTTP/1.1\r\n\r\n")),
		     1);
	CHECK_EQ_INT(reqs[0].content_length, -1);
	CHECK_EQ_INT(
	    parse(S("POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\nGET /b HTTP/1.1\r\n\r\n")), 1);
	CHECK_EQ_INT(parse(S("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"
			     "abGET /b HTTP/1.1\r\n\r\n")),
		     1);
	CHECK_EQ_INT(reqs[0].content_length, -1);
	/* a repeated identical Content-Length is fine */
	CHECK_EQ_INT(parse(S("POST / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\n"
			     "abGET /b HTTP/1.1\r\n\r\n")),
		     2);
	CHECK_EQ_INT(reqs[0].content_length, 2);
}

TEST(http_nul_and_junk_header_lines_are_ignored)
{
	CHECK_EQ_INT(parse(S("GET /a HTTP/1.1\r\nX: \0\0\0\r\n\x01\x02 junk\r\n folded\r\n"
			     "Content-Length: 0\r\n\r\n")),
		     1);
	CHECK_EQ_INT(reqs[0].head_complete, 1);
	CHECK_EQ_INT(reqs[0].content_length, 0);
}

TEST(http_long_path_is_truncated_with_ellipsis)
{
	static uint8_t buf[1024];
	size_t n = 0, plen;

	memcpy(buf, "GET /", 5);
	n = 5;
	while (n < 5 + 400)
		buf[n++] = 'a';
	memcpy(buf + n, " HTTP/1.1\r\n\r\n", 13);
	n += 13;
	CHECK_EQ_INT(parse(buf, n), 1);
	plen = strlen(reqs[0].path);
	CHECK_EQ_INT(plen, HTTP_PATH_MAX - 1);
	CHECK_STR(reqs[0].path + plen - 3, "...");
	CHECK(!strncmp(reqs[0].path, "/aaaa", 5));
	CHECK_EQ_INT(strlen(reqs[0].route), HTTP_PATH_MAX - 1);
}

TEST(http_path_of_exactly_the_limit_is_not_truncated)
{
	static uint8_t buf[512];
	size_t n = 4;

	memcpy(buf, "GET ", 4);
	buf[n++] = '/';
	while (n < 4 + HTTP_PATH_MAX - 1)
		buf[n++] = 'b';
	memcpy(buf + n, " HTTP/1.1\r\n\r\n", 13);
	n += 13;
	CHECK_EQ_INT(parse(buf, n), 1);
	CHECK_EQ_INT(strlen(reqs[0].path), HTTP_PATH_MAX - 1);
	CHECK_EQ_INT(reqs[0].path[HTTP_PATH_MAX - 2], 'b');
}

/*
 * The minimal form of the fuzz repro: "/" + 249 letters, then a byte
 * escaped as %80 and one more letter. Without its query the path fits (254
 * bytes); with it, it must be truncated, and %80 would cross the limit. The
 * truth is the counting: a path that did not fit fills the buffer, so it
 * can never be shorter than one that did.
 */
TEST(http_path_with_its_query_is_never_shorter_than_without)
{
	static uint8_t buf[512];
	static struct http_request with[1], without[1];
	size_t n = 0, wl, ol;

	memcpy(buf, "GET /", 5);
	n = 5;
	while (n < 5 + 249)
		buf[n++] = 'a';
	buf[n++] = 0x80;
	memcpy(buf + n, "b?q HTTP/1.1\r\n\r\n", 17);
	n += 17;
	CHECK_EQ_INT(http_parse_requests(buf, n, 0, without, 1), 1);
	CHECK_EQ_INT(http_parse_requests(buf, n, 1, with, 1), 1);
	ol = strlen(without[0].path);
	wl = strlen(with[0].path);
	CHECK_EQ_INT(ol, 1 + 249 + 3 + 1);
	CHECK_STR(without[0].path + ol - 4, "%80b");
	CHECK(wl >= ol);
	CHECK_EQ_INT(wl, HTTP_PATH_MAX - 1);
	/* the escape is dropped whole, never split, and the dots take its room */
	CHECK(!strncmp(with[0].path, without[0].path, 250));
	CHECK_STR(with[0].path + 250, ".....");
}

TEST(http_high_bytes_in_the_path_are_percent_encoded)
{
	CHECK_EQ_INT(parse(S("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n")), 1);
	CHECK_STR(reqs[0].path, "/caf%C3%A9");
}

TEST(http_absolute_form_target_keeps_the_path)
{
	CHECK_EQ_INT(parse(S("GET http://example.com:8080/users/5?x=1 HTTP/1.1\r\n\r\n")), 1);
	CHECK_STR(reqs[0].path, "/users/5");
	CHECK_STR(reqs[0].route, "/users/{id}");
	CHECK_EQ_INT(parse(S("GET http://example.com HTTP/1.1\r\n\r\n")), 1);
	CHECK_STR(reqs[0].path, "/");
	CHECK_EQ_INT(parse(S("CONNECT example.com:443 HTTP/1.1\r\n\r\n")), 1);
	CHECK_STR(reqs[0].path, "example.com:443");
	CHECK_EQ_INT(parse(S("OPTIONS * HTTP/1.1\r\n\r\n")), 1);
	CHECK_STR(reqs[0].path, "*");
	CHECK_STR(reqs[0].route, "*");
}

TEST(http_bad_arguments_are_refused)
{
	CHECK_EQ_INT(http_parse_requests(S("GET / HTTP/1.1\r\n\r\n"), 0, reqs, 0), HTTP_UNPARSED);
	CHECK_EQ_INT(http_parse_requests(S("GET / HTTP/1.1\r\n\r\n"), 0, NULL, 4), HTTP_UNPARSED);
	CHECK_EQ_INT(http_parse_requests(NULL, 10, 0, reqs, 4), HTTP_NOT_HTTP);
	CHECK_EQ_INT(http_parse_status(NULL, 10), -1);
	CHECK_EQ_INT(http_parse_statuses(NULL, 10, NULL, 4), 0);
}

TEST(http_status_codes_are_read_from_the_status_line)
{
	CHECK_EQ_INT(http_parse_status(S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")), 200);
	CHECK_EQ_INT(http_parse_status(S("HTTP/1.1 404 Not Found\r\n")), 404);
	CHECK_EQ_INT(http_parse_status(S("HTTP/1.0 500 Internal Server Error\r\n")), 500);
	CHECK_EQ_INT(http_parse_status(S("HTTP/1.1 204\r\n\r\n")), 204);
	CHECK_EQ_INT(http_parse_status(S("HTTP/1.1 302")), 302);
	CHECK_EQ_INT(http_parse_status(S("HTTP/1.1 20")), -1);
	CHECK_EQ_INT(http_parse_status(S("HTTP/1.1 2000 OK\r\n")), -1);
	CHECK_EQ_INT(http_parse_status(S("HTTP/1.1 099 x\r\n")), -1);
	CHECK_EQ_INT(http_parse_status(S("HTTP/2 200\r\n")), -1);
	CHECK_EQ_INT(http_parse_status(S("\x00\x01garbage\xff")), -1);
	CHECK_EQ_INT(http_parse_status(S("+OK\r\n")), -1);
	CHECK_EQ_INT(http_parse_status(S("")), -1);
}

TEST(http_pipelined_responses_are_counted)
{
	int codes[8];

	CHECK_EQ_INT(http_parse_statuses(S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
					   "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
					 codes, 8),
		     2);
	CHECK_EQ_INT(codes[0], 200);
	CHECK_EQ_INT(codes[1], 404);
	CHECK_EQ_INT(http_parse_statuses(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					   "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"
					   "HTTP/1.1 204 No Content\r\n\r\n"
					   "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
					   "HTTP/1.1 500 Oops\r\nContent-Length: 10\r\n\r\n"),
					 codes, 8),
		     4);
	CHECK_EQ_INT(codes[1], 204);
	CHECK_EQ_INT(codes[2], 304);
	CHECK_EQ_INT(codes[3], 500);
	/* an interim response and its final one, in one write */
	CHECK_EQ_INT(http_parse_statuses(S("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
					   "Content-Length: 0\r\n\r\n"),
					 codes, 8),
		     2);
	CHECK_EQ_INT(codes[1], 201);
	CHECK_EQ_INT(http_parse_statuses(S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
					   "HTTP/1.1 200 OK\r\n\r\n"),
					 codes, 1),
		     1);
}

TEST(http_responses_without_a_known_end_stop_the_count)
{
	int codes[8];

	/* body until close, a cut chunk, a cut head, a protocol switch */
	CHECK_EQ_INT(
	    http_parse_statuses(S("HTTP/1.0 200 OK\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"), codes, 8), 1);
	CHECK_EQ_INT(http_parse_statuses(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					   "ff\r\nabc"),
					 codes, 8),
		     1);
	CHECK_EQ_INT(http_parse_statuses(S("HTTP/1.1 200 OK\r\nServ"), codes, 8), 1);
	CHECK_EQ_INT(http_parse_statuses(S("HTTP/1.1 101 Switching Protocols\r\n\r\n"
					   "HTTP/1.1 200 OK\r\n\r\n"),
					 codes, 8),
		     1);
	CHECK_EQ_INT(http_parse_statuses(S("not a response"), codes, 8), 0);
}

TEST(http_routes_replace_ids_with_placeholders)
{
	static const char *const cases[][2] = {
	    {"/users/123", "/users/{id}"},
	    {"/orders/9f86d081884c7d65/items", "/orders/{id}/items"},
	    {"/u/550e8400-e29b-41d4-a716-446655440000", "/u/{id}"},
	    {"/U/550E8400-E29B-41D4-A716-446655440000/x", "/U/{id}/x"},
	    {"/static/app.js", "/static/app.js"},
	    {"/", "/"},
	    {"", ""},
	    {"/api/v2/x", "/api/v2/x"},
	    {"/a/1/b/22/c/333", "/a/{id}/b/{id}/c/{id}"},
	    {"/hex/deadbeef", "/hex/{id}"},
	    {"/short/abc123", "/short/abc123"},
	    {"/notuuid/550e8400-e29b-41d4-a716-44665544000z",
	     "/notuuid/550e8400-e29b-41d4-a716-44665544000z"},
	    {"/users/123/", "/users/{id}/"},
	    {"/users//123", "/users//{id}"},
	    {"/users/123?x=1", "/users/{id}"},
	    {"/p/1#frag", "/p/{id}"},
	    {"*", "*"},
	};
	char out[HTTP_PATH_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		http_normalize_route(cases[i][0], out, sizeof(out));
		CHECK_STR(out, cases[i][1]);
	}
}

TEST(http_route_that_does_not_fit_ends_in_ellipsis)
{
	char out[16];

	memset(out, 'Z', sizeof(out));
	http_normalize_route("/1/2/3/4/5/6/7/8", out, 12);
	CHECK_STR(out, "/{id}/{i...");
	CHECK_EQ_INT(out[12], 'Z');
	http_normalize_route("/users/123", out, 3);
	CHECK_STR(out, "/u");
	http_normalize_route("/users/123", out, 1);
	CHECK_STR(out, "");
	out[0] = 'Z';
	http_normalize_route("/users/123", out, 0);
	CHECK_EQ_INT(out[0], 'Z');
	http_normalize_route(NULL, out, sizeof(out));
	CHECK_STR(out, "");
}

/* truth: the byte offsets of the requests, counted by hand in the literal */
TEST(http_split_whole_requests_end_where_a_cut_request_starts)
{
	static const char two_and_cut[] = "GET /a HTTP/1.1\r\n\r\n"	 /* 0..19 */
					  "GET /b HTTP/1.1\r\nHost: x\r\n\r\n" /* 19..47 */
					  "GET /c HTTP/1.1\r\nHo";	 /* cut */
	static const char cut_line[] = "GET /a HTTP/1.1\r\n\r\nGET /lo";
	static const char whole[] = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
	static const char body_cut[] = "GET /a HTTP/1.1\r\n\r\nPOST /p HTTP/1.1\r\n"
				       "Content-Length: 10\r\n\r\n12345";
	struct http_split sp;

	CHECK_EQ_INT(http_parse_requests_whole(S(two_and_cut), 0, reqs, 8, &sp), 3);
	CHECK_EQ_INT(sp.nwhole, 2);
	CHECK_EQ_INT((int)sp.whole_end, 47);
	CHECK_EQ_INT(reqs[2].head_complete, 0);
	CHECK_EQ_INT(http_parse_requests_whole(S(cut_line), 0, reqs, 8, &sp), 1);
	CHECK_EQ_INT(sp.nwhole, 1);
	CHECK_EQ_INT((int)sp.whole_end, 19);
	CHECK_EQ_INT(http_parse_requests_whole(S(whole), 0, reqs, 8, &sp), 2);
	CHECK_EQ_INT(sp.nwhole, 2);
	CHECK_EQ_INT((int)sp.whole_end, (int)sizeof(whole) - 1);
	CHECK_EQ_INT(http_parse_requests_whole(S(body_cut), 0, reqs, 8, &sp), 2);
	CHECK_EQ_INT(sp.nwhole, 1);
	CHECK_EQ_INT((int)sp.whole_end, 19);
}

/* truth: two requests cut at every byte: the whole requests before the
 * cut and those of the rest joined after the carried bytes are the two */
TEST(http_split_at_every_byte_then_joined_counts_each_request_once)
{
	static const char two[] = "GET /x/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /y HTTP/1.1\r\n\r\n";
	const size_t len = sizeof(two) - 1;
	struct http_split a, b;
	uint8_t joined[128];

	for (size_t cut = 1; cut < len; cut++) {
		size_t rest;

		if (http_parse_requests_whole((const uint8_t *)two, cut, 0, reqs, 8, &a) < 0)
			a.nwhole = 0;
		CHECK(a.whole_end <= cut);
		rest = cut - a.whole_end;
		memcpy(joined, two + a.whole_end, rest);
		memcpy(joined + rest, two + cut, len - cut);
		CHECK(http_parse_requests_whole(joined, rest + len - cut, 0, reqs, 8, &b) > 0);
		CHECK_EQ_INT(a.nwhole + b.nwhole, 2);
		CHECK_STR(reqs[b.nwhole - 1].route, "/y");
	}
}
