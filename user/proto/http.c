// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * HTTP/1.x heads as the kernel captured them (RFC 9112). The input is
 * untrusted and cut at an arbitrary byte, so every index is compared with
 * len before the byte is read, lengths are compared by subtraction (never
 * pos + n > len, which can wrap), and every copy is bounded by its
 * destination.
 */
#include <string.h>
#include "proto/http.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const methods[] = {"GET",   "HEAD",	  "POST",    "PUT",  "DELETE",
				      "PATCH", "OPTIONS", "CONNECT", "TRACE"};

/* what a head says about the body and the connection */
struct head {
	int64_t content_length; /* -1: absent */
	int cl_bad;		/* unparsable or conflicting Content-Length */
	int te_seen;
	int te_chunked_last; /* the last coding of the last Transfer-Encoding */
	int conn_close;
	int keep_alive;
	int complete; /* the blank line was seen */
	size_t end;   /* just past the blank line */
};

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int hex_val(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 9110 tchar */
static int is_tchar(uint8_t c)
{
	return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static uint8_t to_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* s[0..n) equals the lowercase word w, ignoring case */
static int word_eq(const uint8_t *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!w[i] || to_lower(s[i]) != (uint8_t)w[i])
			return 0;
	return !w[i];
}

/*
 * The line starting at pos: its content ends at *eol (a CR before the LF is
 * not content) and the next line starts at *next. 0 when no LF arrived.
 */
static int next_line(const uint8_t *b, size_t len, size_t pos, size_t *eol, size_t *next)
{
	const uint8_t *lf;
	size_t e;

	if (pos >= len)
		return 0;
	lf = memchr(b + pos, '\n', len - pos);
	if (!lf)
		return 0;
	e = (size_t)(lf - b);
	*next = e + 1;
	if (e > pos && b[e - 1] == '\r')
		e--;
	*eol = e;
	return 1;
}

/*
 * Whether the comma-separated list v[0..n) holds word w (any case); *last
 * says whether its last element is w. Empty elements do not count.
 */
static int list_has(const uint8_t *v, size_t n, const char *w, int *last)
{
	size_t i = 0, s, e;
	int any = 0;

	*last = 0;
	while (i < n) {
		for (s = i; s < n && v[s] != ','; s++)
			;
		e = s;
		while (i < e && is_ows(v[i]))
			i++;
		while (e > i && is_ows(v[e - 1]))
			e--;
		if (e > i) {
			*last = word_eq(v + i, e - i, w);
			any |= *last;
		}
		i = s + 1;
	}
	return any;
}

/* decimal, no sign, no list; -1 when not one or beyond int64 */
static int64_t parse_content_length(const uint8_t *v, size_t n)
{
	int64_t x = 0;

	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(v[i]) || x > (INT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

/* header lines from pos up to the blank line or the end of the capture */
static void parse_headers(const uint8_t *b, size_t len, size_t pos, struct head *h)
{
	size_t eol, next, colon, vs, ve, nlen;
	int last;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	while (next_line(b, len, pos, &eol, &next)) {
		if (eol == pos) {
			h->complete = 1;
			h->end = next;
			break;
		}
		for (colon = pos; colon < eol && is_tchar(b[colon]); colon++)
			;
		nlen = colon - pos;
		/* obs-fold continuations and junk lines carry nothing we use */
		if (!nlen || colon == eol || b[colon] != ':') {
			pos = next;
			continue;
		}
		vs = colon + 1;
		ve = eol;
		while (vs < ve && is_ows(b[vs]))
			vs++;
		while (ve > vs && is_ows(b[ve - 1]))
			ve--;
		if (word_eq(b + pos, nlen, "content-length")) {
			int64_t v = parse_content_length(b + vs, ve - vs);

			if (v < 0 || (h->content_length >= 0 && h->content_length != v))
				h->cl_bad = 1;
			else
				h->content_length = v;
		} else if (word_eq(b + pos, nlen, "transfer-encoding")) {
			list_has(b + vs, ve - vs, "chunked", &last);
			h->te_seen = 1;
			h->te_chunked_last = last;
		} else if (word_eq(b + pos, nlen, "connection")) {
			h->conn_close |= list_has(b + vs, ve - vs, "close", &last);
			h->keep_alive |= list_has(b + vs, ve - vs, "keep-alive", &last);
		}
		pos = next;
	}
	if (h->cl_bad)
		h->content_length = -1;
}

/* length of a leading "scheme://", or 0 */
static size_t scheme_len(const uint8_t *t, size_t n)
{
	size_t i;

	if (!n || !is_alpha(t[0]))
		return 0;
	for (i = 1; i < n &&
		    (is_alpha(t[i]) || is_digit(t[i]) || t[i] == '+' || t[i] == '-' || t[i] == '.');
	     i++)
		;
	if (n - i < 3 || memcmp(t + i, "://", 3))
		return 0;
	return i + 3;
}

/*
 * Write [slash] s[0..n) into dst (cap bytes), bytes >= 0x80 as %XX. When it
 * does not fit, or cut says the capture ended inside it, it ends in "...".
 * A path that does not fit always fills the buffer: an escape is never split,
 * so when one would cross the limit the dots take its room ("....."), and a
 * longer target never gives a shorter path than its own prefix would (the
 * path with its query is never shorter than the path without it).
 */
static void put_path(char *dst, size_t cap, int slash, const uint8_t *s, size_t n, int cut)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t need = slash, o = 0, limit, i;
	int trunc;

	for (i = 0; i < n; i++)
		need += s[i] >= 0x80 ? 3 : 1;
	trunc = cut || need > cap - 1;
	limit = trunc ? cap - 4 : cap - 1;
	if (slash)
		dst[o++] = '/';
	for (i = 0; i < n; i++) {
		if (s[i] < 0x80) {
			if (o + 1 > limit)
				break;
			dst[o++] = (char)s[i];
		} else {
			if (o + 3 > limit)
				break;
			dst[o++] = '%';
			dst[o++] = hex[s[i] >> 4];
			dst[o++] = hex[s[i] & 15];
		}
	}
	if (trunc) {
		memcpy(dst + o, "...", 3);
		o += 3;
		/* stopped early: pad the dots over what a whole escape could not use */
		while (i < n && o < cap - 1)
			dst[o++] = '.';
	}
	dst[o] = '\0';
}

/* path and route from the request target t[0..n); cut: the capture ended in it */
static void set_path(struct http_request *r, const uint8_t *t, size_t n, int keep_query, int cut)
{
	size_t i, s, q;
	int slash = 0;

	if (strcmp(r->method, "CONNECT") && n && t[0] != '/') {
		s = scheme_len(t, n);
		if (s) {
			/* absolute-form: the path follows the authority */
			for (i = s; i < n && t[i] != '/' && t[i] != '?' && t[i] != '#'; i++)
				;
			if (i == n && cut)
				return; /* the path never arrived */
			t += i;
			n -= i;
			slash = !n || t[0] != '/';
		}
	}
	q = n;
	for (i = 0; i < n; i++) {
		if (t[i] == '#' || (!keep_query && t[i] == '?')) {
			q = i;
			cut = 0; /* what we keep arrived whole */
			break;
		}
	}
	if (!slash && !q)
		return;
	put_path(r->path, sizeof(r->path), slash, t, q, cut);
	http_normalize_route(r->path, r->route, sizeof(r->route));
}

/*
 * "METHOD SP target SP HTTP/1.x (CR)LF" at the start of b. 0 with *next just
 * past it (or len when the capture ended right after the version), else
 * HTTP_NOT_HTTP or HTTP_UNPARSED; r is filled as far as it could be read.
 */
static int parse_request_line(const uint8_t *b, size_t len, int keep_query, struct http_request *r,
			      size_t *next)
{
	size_t m, ml = 0, t0, t, v, e;

	if (!len)
		return HTTP_NOT_HTTP;
	for (m = 0; m < ARRAY_SIZE(methods); m++) {
		ml = strlen(methods[m]);
		if (memcmp(b, methods[m], len < ml ? len : ml))
			continue;
		if (len < ml)
			return HTTP_UNPARSED; /* cut inside the method */
		if (len == ml || b[ml] == ' ' || !is_tchar(b[ml]))
			break;
		/* a longer token ("GETX", "POSTMAN"): not one of ours */
	}
	if (m == ARRAY_SIZE(methods))
		return HTTP_NOT_HTTP;
	memcpy(r->method, methods[m], ml + 1);
	if (len == ml || b[ml] != ' ')
		return HTTP_UNPARSED;

	t0 = ml + 1;
	for (t = t0; t < len && b[t] > ' ' && b[t] != 0x7f; t++)
		;
	if (t == len) {
		set_path(r, b + t0, t - t0, keep_query, 1);
		return HTTP_UNPARSED;
	}
	if (t == t0 || b[t] != ' ')
		return HTTP_UNPARSED;
	set_path(r, b + t0, t - t0, keep_query, 0);

	v = t + 1;
	if (len - v < 8 || memcmp(b + v, "HTTP/1.", 7) || !is_digit(b[v + 7]))
		return HTTP_UNPARSED;
	/* a higher minor version is answered as the highest we know (RFC 9110 6.2) */
	r->minor_version = b[v + 7] != '0';
	e = v + 8;
	if (e == len || (b[e] == '\r' && e + 1 == len)) {
		*next = len;
		return 0;
	}
	if (b[e] == '\n') {
		*next = e + 1;
		return 0;
	}
	if (b[e] == '\r' && b[e + 1] == '\n') {
		*next = e + 2;
		return 0;
	}
	return HTTP_UNPARSED;
}

static size_t skip_empty_lines(const uint8_t *b, size_t len, size_t pos)
{
	for (;;) {
		if (pos < len && b[pos] == '\n')
			pos++;
		else if (len - pos >= 2 && b[pos] == '\r' && b[pos + 1] == '\n')
			pos += 2;
		else
			return pos;
	}
}

int http_parse_requests_whole(const uint8_t *buf, size_t len, int keep_query,
			      struct http_request *out, int max, struct http_split *split)
{
	size_t pos = 0, next;
	struct head h;
	int n = 0, rc;

	if (split) {
		split->nwhole = 0;
		split->whole_end = 0;
	}
	if (!out || max < 1)
		return HTTP_UNPARSED;
	if (!buf)
		len = 0;
	while (n < max) {
		struct http_request *r = &out[n];

		pos = skip_empty_lines(buf, len, pos);
		memset(r, 0, sizeof(*r));
		r->content_length = -1;
		if (split && pos >= len) {
			/* nothing but whole requests (and blank lines) */
			split->whole_end = len;
		}
		if (pos >= len)
			break;
		rc = parse_request_line(buf + pos, len - pos, keep_query, r, &next);
		if (rc < 0) {
			if (!n)
				return rc;
			/* a request line cut by the end of the buffer is the
			 * start of the next request; a garbled one ends it all */
			if (split && memchr(buf + pos, '\n', len - pos))
				split->whole_end = len;
			break;
		}
		n++;
		parse_headers(buf, len, pos + next, &h);
		r->head_complete = h.complete;
		r->content_length = h.content_length;
		r->chunked = h.te_seen && h.te_chunked_last;
		r->conn_close = h.conn_close || (!r->minor_version && !h.keep_alive);
		/* past a body we cannot measure, nothing is a head we can find */
		if (h.complete && (h.te_seen || h.cl_bad)) {
			if (split) {
				split->nwhole = n;
				split->whole_end = len;
			}
			break;
		}
		if (!h.complete)
			break;
		pos = h.end;
		if (h.content_length > 0) {
			if ((uint64_t)h.content_length > len - pos)
				break;
			pos += (size_t)h.content_length;
		}
		if (split) {
			split->nwhole = n;
			split->whole_end = pos;
		}
	}
	return n ? n : HTTP_NOT_HTTP;
}

int http_parse_requests(const uint8_t *buf, size_t len, int keep_query, struct http_request *out,
			int max)
{
	return http_parse_requests_whole(buf, len, keep_query, out, max, NULL);
}

/* "HTTP/1.x NNN[ reason](CR)LF": the code, *next just past the line (or len) */
static int parse_status_line(const uint8_t *b, size_t len, size_t *next)
{
	const uint8_t *lf;
	int code;

	if (len < 12 || memcmp(b, "HTTP/1.", 7) || !is_digit(b[7]) || b[8] != ' ' ||
	    !is_digit(b[9]) || !is_digit(b[10]) || !is_digit(b[11]))
		return -1;
	code = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
	if (code < 100 || code > 599)
		return -1;
	if (len > 12 && b[12] != ' ' && b[12] != '\r' && b[12] != '\n')
		return -1;
	lf = len > 12 ? memchr(b + 12, '\n', len - 12) : NULL;
	*next = lf ? (size_t)(lf - b) + 1 : len;
	return code;
}

int http_parse_status(const uint8_t *buf, size_t len)
{
	size_t next;

	if (!buf)
		return -1;
	return parse_status_line(buf, len, &next);
}

/* past a chunked body starting at *pos; -1 when its end is not in the buffer */
static int skip_chunked(const uint8_t *b, size_t len, size_t *pos)
{
	size_t p = *pos, eol, next, digits;
	uint64_t size;
	int d;

	for (;;) {
		size = 0;
		for (digits = 0; p < len && (d = hex_val(b[p])) >= 0; digits++, p++) {
			if (digits == 15)
				return -1;
			size = size * 16 + (uint64_t)d;
		}
		if (!digits || !next_line(b, len, p, &eol, &next))
			return -1;
		if (eol > p && b[p] != ';' && !is_ows(b[p]))
			return -1;
		p = next;
		if (!size)
			break;
		if (size > len - p)
			return -1;
		p += (size_t)size;
		if (p < len && b[p] == '\n')
			p++;
		else if (len - p >= 2 && b[p] == '\r' && b[p + 1] == '\n')
			p += 2;
		else
			return -1;
	}
	/* trailer fields, then the blank line */
	while (next_line(b, len, p, &eol, &next)) {
		if (eol == p) {
			*pos = next;
			return 0;
		}
		p = next;
	}
	return -1;
}

int http_parse_statuses(const uint8_t *buf, size_t len, int *codes, int max)
{
	size_t pos = 0, next;
	struct head h;
	int n = 0, code;

	if (!buf || !codes)
		return 0;
	while (n < max && pos < len) {
		code = parse_status_line(buf + pos, len - pos, &next);
		if (code < 0)
			break;
		codes[n++] = code;
		parse_headers(buf, len, pos + next, &h);
		if (!h.complete || code == 101)
			break;
		pos = h.end;
		if (code < 200 || code == 204 || code == 304)
			continue;
		if (h.te_seen) {
			if (!h.te_chunked_last || skip_chunked(buf, len, &pos))
				break;
			continue;
		}
		/* no length: the body runs until the connection closes */
		if (h.content_length < 0 || (uint64_t)h.content_length > len - pos)
			break;
		pos += (size_t)h.content_length;
	}
	return n;
}

/* a segment that names one thing among many: 123, 9f86d081884c7d65, a UUID */
static int is_id_segment(const char *s, size_t n)
{
	size_t i, digits = 0, hex = 0;

	for (i = 0; i < n; i++) {
		digits += is_digit((uint8_t)s[i]);
		hex += hex_val((uint8_t)s[i]) >= 0;
	}
	if (n && digits == n)
		return 1;
	if (n >= 8 && hex == n)
		return 1;
	if (n != 36 || hex != 32)
		return 0;
	return s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-';
}

void http_normalize_route(const char *path, char *out, size_t len)
{
	size_t end, i = 0, j, o = 0, k, n;
	const char *src;
	int trunc = 0;

	if (!out || !len)
		return;
	out[0] = '\0';
	if (!path)
		return;
	end = strcspn(path, "?#");
	while (i < end && !trunc) {
		if (path[i] == '/') {
			src = "/";
			n = 1;
			j = i + 1;
		} else {
			for (j = i; j < end && path[j] != '/'; j++)
				;
			src = is_id_segment(path + i, j - i) ? "{id}" : path + i;
			n = src == path + i ? j - i : 4;
		}
		for (k = 0; k < n; k++) {
			if (o + 1 >= len) {
				trunc = 1;
				break;
			}
			out[o++] = src[k];
		}
		i = j;
	}
	if (trunc && len >= 4) {
		if (o > len - 4)
			o = len - 4;
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}
