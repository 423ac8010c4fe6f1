/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * HTTP/1.x request and response heads, read from the prefix of one
 * connection turn that the kernel captured: cut anywhere, pipelined, or not
 * HTTP at all. Pure functions over bytes: no I/O, no allocation, never a
 * read past len. Fuzzed by tests/fuzz/http_fuzz.c.
 */
#ifndef SLT_PROTO_HTTP_H
#define SLT_PROTO_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_METHOD_MAX 16
#define HTTP_PATH_MAX	256

struct http_request {
	char method[HTTP_METHOD_MAX]; /* "GET" */
	/* as sent, query removed unless keep_query, fragment always removed;
	 * truncated paths end in "..."; bytes >= 0x80 are percent-encoded, so
	 * this is always printable ASCII. A path too long for the buffer fills
	 * it (HTTP_PATH_MAX - 1 bytes), with more dots where an escape would
	 * have been split, so keeping the query never shortens a path. The
	 * path of an absolute-form target ("http://host/p" -> "/p"); the
	 * authority of CONNECT; "*" as is. */
	char path[HTTP_PATH_MAX];
	/* normalised: numeric, hex (>= 8 hex digits) and UUID segments become
	 * {id}; never holds the query */
	char route[HTTP_PATH_MAX];
	int head_complete;	/* the blank line ending the head was captured */
	int64_t content_length; /* -1 when absent (or unparsable) */
	int chunked;		/* Transfer-Encoding: chunked */
	int conn_close;		/* Connection: close (or HTTP/1.0 without keep-alive) */
	int minor_version;	/* 0 or 1 */
};

#define HTTP_NOT_HTTP (-1) /* does not start like an HTTP/1.x request: some other protocol */
/* starts like HTTP (a known method token) but the request line is garbled or
 * truncated before the version */
#define HTTP_UNPARSED (-2)

/*
 * Parse request heads from the first len bytes of a connection turn (several
 * when pipelined; a request with a body of content_length bytes is skipped
 * over to reach the next head; chunked bodies: stop after the first
 * request). Returns how many were parsed into out (1..max), or HTTP_NOT_HTTP
 * / HTTP_UNPARSED. A request whose request line is complete but whose
 * headers are cut off by the capture limit counts as parsed
 * (head_complete = 0); parsing stops after it.
 *
 * Empty lines before a request line are skipped (RFC 9112 2.2); an empty
 * buffer is HTTP_NOT_HTTP. On HTTP_UNPARSED, out[0] holds what could be
 * read, best effort: the method when it was complete, and the path when the
 * request line was cut by the capture inside the target (ending in "..."
 * unless the query had already started). Needs out != NULL and max >= 1
 * (otherwise HTTP_UNPARSED). Never reads past len; never crashes on any input.
 */
int http_parse_requests(const uint8_t *buf, size_t len, int keep_query, struct http_request *out,
			int max);

/* Where the whole requests of a buffer end: the first nwhole requests a
 * parse returned (head and Content-Length body) lie in [0, whole_end); what
 * follows is the start of a request the buffer cut short (the last one
 * returned, or a request line with no end yet). whole_end == len when no
 * request was cut short, or when what follows cannot be measured (a chunked
 * or garbled body, a garbled request line): nothing there to continue. */
struct http_split {
	int nwhole;
	size_t whole_end;
};

/*
 * http_parse_requests, and where its whole requests end (split): the rest
 * of the buffer is to be read again with the bytes that follow it on the
 * connection (a pipelined request split between two reads).
 */
int http_parse_requests_whole(const uint8_t *buf, size_t len, int keep_query,
			      struct http_request *out, int max, struct http_split *split);

/* Status code (100..599) of a response prefix "HTTP/1.x NNN ...", or -1. */
int http_parse_status(const uint8_t *buf, size_t len);

/*
 * How many responses a response prefix holds (for pipelined responses in one
 * write), at most max; their statuses are written to codes. Bodies are
 * skipped by Content-Length or by walking chunks; 1xx, 204 and 304 have
 * none. Counting stops at a response whose end cannot be found in the
 * buffer (cut off, or delimited by the connection closing) and after a 101.
 * Interim 1xx responses count: callers pairing them with requests skip
 * them. 0 when the buffer does not start with a status line.
 */
int http_parse_statuses(const uint8_t *buf, size_t len, int *codes, int max);

/*
 * Route of a path, written to out (len bytes, always NUL-terminated when
 * len > 0): the query and fragment are dropped, and each segment that is all
 * digits, >= 8 hex digits, or a UUID becomes {id}. "/users/123" ->
 * "/users/{id}"; "/api/v2/x" unchanged. A route that does not fit ends in
 * "..." (when len >= 4).
 */
void http_normalize_route(const char *path, char *out, size_t len);

#endif
