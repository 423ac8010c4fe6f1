// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The requests decoder (user/probes/requests_decode.c), fed records made
 * here as the kernel makes them: every expected figure is computed by hand
 * from the record's timestamps and byte counts. */
#include <errno.h>
#include <stdlib.h>
#include "harness.h"
#include "core/model.h"
#include "probes/requests_decode.h"

#define AF_INET_ 2
#define AF_UNIX_ 1

static const struct req_decode_cfg defaults = {
	.segment_limit = 10,
	.max_classes = 200,
};

/* a turn of "srv" on port 8080: request bytes req (all of them read),
 * response prefix resp, arrival at 1000 ns, read at 1500 (queue 500), last
 * response byte at 4500 (service 3000) */
static void turn(struct slt_req_event *e, const char *req, const char *resp)
{
	memset(e, 0, sizeof(*e));
	e->hdr.kind = SLT_EV_REQUEST;
	e->arrive_ns = 1000;
	e->read_ns = 1500;
	e->first_write_ns = 4000;
	e->last_write_ns = 4500;
	e->tgid = 42;
	e->fd = 7;
	e->flags = SLT_REQ_F_QUEUE_KNOWN;
	e->family = AF_INET_;
	e->lport = 8080;
	memcpy(e->comm, "srv", 3);
	e->req_cap = (uint32_t)strlen(req);
	e->req_bytes = e->req_cap;
	memcpy(e->req, req, e->req_cap);
	e->resp_cap = (uint32_t)strlen(resp);
	e->resp_bytes = e->resp_cap;
	memcpy(e->resp, resp, e->resp_cap);
}

/* as the ring buffer hands it over: the record ends after req_cap bytes */
static int feed(struct req_decoder *d, const struct slt_req_event *e)
{
	return req_decode_event(d, e, SLT_REQ_EVENT_HEAD + e->req_cap);
}

static struct series *find(const struct model *m, const char *name)
{
	return model_find(m, "request", name);
}

TEST(request_get_200_lands_in_its_class_with_exact_times_and_bytes)
{
	struct model *m = model_new();
	struct req_decoder *d = m ? req_decoder_new(m, &defaults) : NULL;
	struct slt_req_event e;
	struct series *s;

	CHECK(d);
	turn(&e, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	e.resp_bytes = 1234; /* more than the prefix kept */
	CHECK_EQ_INT(feed(d, &e), 0);
	s = find(m, "srv :8080 GET /x");
	CHECK(s);
	CHECK_EQ_INT(m->nseries, 1);
	CHECK_STR(series_label(s, "process"), "srv");
	CHECK_STR(series_label(s, "port"), "8080");
	CHECK_STR(series_label(s, "method"), "GET");
	CHECK_STR(series_label(s, "route"), "/x");
	CHECK_EQ_U64(s->hist.count, 1);
	CHECK_EQ_U64(s->hist.sum, 3500); /* total = queue + service */
	CHECK(s->role[SLT_ROLE_QUEUE] && s->role[SLT_ROLE_SERVICE]);
	CHECK_EQ_U64(s->role[SLT_ROLE_QUEUE]->count, 1);
	CHECK_EQ_U64(s->role[SLT_ROLE_QUEUE]->sum, 500);
	CHECK_EQ_U64(s->role[SLT_ROLE_SERVICE]->sum, 3000);
	CHECK_EQ_U64(s->bytes[REQ_BYTES_IN], 28);
	CHECK_EQ_U64(s->bytes[REQ_BYTES_OUT], 1234);
	CHECK_EQ_U64(series_counter(s, "200"), 1);
	CHECK_EQ_INT(s->ncounters, 1);
	CHECK_EQ_INT(s->counters[0].code, 200); /* numbered, not just named */
	CHECK_EQ_U64(s->errors, 0);
	CHECK_EQ_U64(s->failed, 0);
	CHECK_EQ_U64(model_stat(m, "queue_time_unknown"), 0);
	CHECK_EQ_U64(model_lost_total(m), 0);
	req_decoder_free(d);
	model_free(m);
}

TEST(request_5xx_is_an_error_and_unknown_queue_time_is_counted)
{
	struct model *m = model_new();
	struct req_decoder *d = m ? req_decoder_new(m, &defaults) : NULL;
	struct slt_req_event e;
	struct series *s;

	CHECK(d);
	turn(&e, "POST /y HTTP/1.1\r\n\r\n", "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n");
	e.flags = 0; /* arrival not seen: queue 500 recorded all the same */
	CHECK_EQ_INT(feed(d, &e), 0);
	s = find(m, "srv :8080 POST /y");
	CHECK(s);
	CHECK_EQ_U64(series_counter(s, "503"), 1);
	CHECK_EQ_U64(s->errors, 1);
	CHECK_EQ_U64(s->failed, 0);
	CHECK_EQ_U64(model_stat(m, "queue_time_unknown"), 1);
	req_decoder_free(d);
	model_free(m);
}

TEST(request_reset_or_unanswered_counts_as_failed_without_a_latency)
{
	struct model *m = model_new();
	struct req_decoder *d = m ? req_decoder_new(m, &defaults) : NULL;
	struct slt_req_event e;
	struct series *s;

	CHECK(d);
	turn(&e, "GET /x HTTP/1.1\r\n\r\n", "");
	e.first_write_ns = e.last_write_ns = 0;
	e.flags |= SLT_REQ_F_NO_RESPONSE | SLT_REQ_F_RESET;
	CHECK_EQ_INT(feed(d, &e), 0);
	turn(&e, "GET /x HTTP/1.1\r\n\r\n", "");
	e.first_write_ns = e.last_write_ns = 0;
	e.flags |= SLT_REQ_F_NO_RESPONSE | SLT_REQ_F_CLOSED;
	CHECK_EQ_INT(feed(d, &e), 0);
	s = find(m, "srv :8080 GET /x");
	CHECK(s);
	CHECK_EQ_U64(s->failed, 2);
	CHECK_EQ_U64(s->errors, 2);
	CHECK_EQ_U64(series_counter(s, "reset"), 1);
	CHECK_EQ_U64(series_counter(s, "no_response"), 1);
	CHECK_EQ_U64(s->hist.count, 0);
	CHECK_EQ_U64(s->bytes[REQ_BYTES_IN], 2 * 19);
	req_decoder_free(d);
	model_free(m);
}

/* three requests in one read, answered in one write: each its own status,
 * the turn's timing, and a third of its bytes (the last the remainder) */
TEST(request_pipelined_batch_splits_statuses_and_bytes_by_request)
{
	struct model *m = model_new();
	struct req_decoder *d = m ? req_decoder_new(m, &defaults) : NULL;
	struct slt_req_event e;
	struct series *a, *b;

	CHECK(d);
	turn(&e, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /a HTTP/1.1\r\n\r\n",
	     "HTTP/1.1 204 A\r\n\r\nHTTP/1.1 304 B\r\n\r\nHTTP/1.1 204 C\r\n\r\n");
	CHECK_EQ_U64(e.req_bytes, 57);
	e.resp_bytes = 100; /* 33, 33, 34 */
	CHECK_EQ_INT(feed(d, &e), 0);
	a = find(m, "srv :8080 GET /a");
	b = find(m, "srv :8080 GET /b");
	CHECK(a && b);
	CHECK_EQ_INT(m->nseries, 2);
	CHECK_EQ_U64(a->hist.count, 2);
	CHECK_EQ_U64(a->hist.sum, 2 * 3500);
	CHECK_EQ_U64(b->hist.count, 1);
	CHECK_EQ_U64(b->hist.sum, 3500);
	CHECK_EQ_U64(series_counter(a, "204"), 2);
	CHECK_EQ_U64(series_counter(b, "304"), 1);
	CHECK_EQ_U64(a->bytes[REQ_BYTES_IN], 38);
	CHECK_EQ_U64(b->bytes[REQ_BYTES_IN], 19);
	CHECK_EQ_U64(a->bytes[REQ_BYTES_OUT], 33 + 34);
	CHECK_EQ_U64(b->bytes[REQ_BYTES_OUT], 33);
	CHECK_EQ_U64(model_stat(m, "pipelined_requests"), 2);
	CHECK_EQ_U64(model_stat(m, "uncounted_pipelined_turns"), 0);
	req_decoder_free(d);
	model_free(m);
}

/* a read that ends inside a request: the whole ones count now, the cut one
 * with the next read, where the rest of it comes */
TEST(request_cut_by_a_read_is_counted_once_with_the_next_turn)
{
	struct model *m = model_new();
	struct req_decoder *d = m ? req_decoder_new(m, &defaults) : NULL;
	struct slt_req_event e;
	struct series *a, *b;

	CHECK(d);
	turn(&e, "GET /a HTTP/1.1\r\n\r\nGET /b HT", "HTTP/1.1 204 A\r\n\r\n");
	CHECK_EQ_INT(feed(d, &e), 0);
	a = find(m, "srv :8080 GET /a");
	CHECK(a);
	CHECK(!find(m, "srv :8080 GET /b"));
	turn(&e, "TP/1.1\r\n\r\n", "HTTP/1.1 204 B\r\n\r\n");
	CHECK_EQ_INT(feed(d, &e), 0);
	b = find(m, "srv :8080 GET /b");
	CHECK(b);
	CHECK_EQ_U64(a->hist.count, 1);
	CHECK_EQ_U64(b->hist.count, 1);
	CHECK_EQ_U64(series_counter(b, "204"), 1);
	CHECK_EQ_INT(m->nseries, 2);
	CHECK_EQ_U64(model_stat(m, "uncounted_pipelined_turns"), 0);
	req_decoder_free(d);
	model_free(m);
}

/* request bytes past the capture arrive in more records before the turn's
 * own: the requests there are counted too */
TEST(request_bytes_followed_past_the_capture_are_decoded)
{
	static const char req[] = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
	struct model *m = model_new();
	struct req_decoder *d = m ? req_decoder_new(m, &defaults) : NULL;
	struct slt_req_event e;
	struct slt_req_more more;

	CHECK(d);
	turn(&e, req, "HTTP/1.1 204 A\r\n\r\nHTTP/1.1 204 B\r\n\r\n");
	e.req_cap = 10; /* "GET /a HTT" */
	memset(&more, 0, sizeof(more));
	more.hdr.kind = SLT_EV_REQ_MORE;
	more.read_ns = e.read_ns;
	more.tgid = e.tgid;
	more.fd = e.fd;
	more.off = 10;
	more.len = sizeof(req) - 1 - 10;
	memcpy(more.data, req + 10, more.len);
	CHECK_EQ_INT(req_decode_more(d, &more, sizeof(more)), 0);
	CHECK_EQ_INT(feed(d, &e), 0);
	CHECK(find(m, "srv :8080 GET /a"));
	CHECK(find(m, "srv :8080 GET /b"));
	CHECK_EQ_U64(model_stat(m, "uncounted_pipelined_turns"), 0);

	/* without the more record, the second request is missing: said so */
	turn(&e, req, "HTTP/1.1 204 A\r\n\r\n");
	e.tgid = 43;
	e.req_cap = 19; /* "GET /a HTTP/1.1\r\n\r\n" */
	CHECK_EQ_INT(feed(d, &e), 0);
	CHECK_EQ_U64(model_stat(m, "uncounted_pipelined_turns"), 1);
	req_decoder_free(d);
	model_free(m);
}

TEST(request_past_max_classes_goes_to_other_and_is_counted)
{
	static const char *const paths[] = { "/a", "/b", "/c", "/d", "/a" };
	struct req_decode_cfg cfg = defaults;
	struct model *m = model_new();
	struct req_decoder *d;
	struct slt_req_event e;
	struct series *o;
	char req[64];

	cfg.max_classes = 2;
	d = m ? req_decoder_new(m, &cfg) : NULL;
	CHECK(d);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n\r\n", paths[i]);
		turn(&e, req, "HTTP/1.1 204 A\r\n\r\n");
		CHECK_EQ_INT(feed(d, &e), 0);
	}
	CHECK_EQ_U64(find(m, "srv :8080 GET /a")->hist.count, 2);
	CHECK_EQ_U64(find(m, "srv :8080 GET /b")->hist.count, 1);
	CHECK(!find(m, "srv :8080 GET /c"));
	o = find(m, "srv :8080 * (other)");
	CHECK(o);
	CHECK_EQ_U64(o->hist.count, 2);
	CHECK_STR(series_label(o, "method"), "*");
	CHECK_STR(series_label(o, "route"), "(other)");
	CHECK_STR(series_label(o, "port"), "8080");
	CHECK_EQ_U64(model_stat(m, "classes_capped"), 2);
	CHECK_EQ_INT(m->nseries, 3);
	req_decoder_free(d);
	model_free(m);
}

/* the run holds at most 10 * max_classes classes over all its groups */
TEST(request_past_the_runs_class_total_goes_to_its_groups_other)
{
	struct req_decode_cfg cfg = defaults;
	struct model *m = model_new();
	struct req_decoder *d;
	struct slt_req_event e;

	cfg.max_classes = 1;
	d = m ? req_decoder_new(m, &cfg) : NULL;
	CHECK(d);
	for (int port = 1; port <= 11; port++) {
		turn(&e, "GET /x HTTP/1.1\r\n\r\n", "HTTP/1.1 204 A\r\n\r\n");
		e.lport = (uint16_t)port;
		CHECK_EQ_INT(feed(d, &e), 0);
	}
	CHECK(find(m, "srv :10 GET /x"));
	CHECK(!find(m, "srv :11 GET /x"));
	CHECK(find(m, "srv :11 * (other)"));
	CHECK_EQ_U64(model_stat(m, "classes_capped"), 1);
	req_decoder_free(d);
	model_free(m);
}

TEST(request_on_an_ignored_path_counts_only_as_ignored)
{
	static const char *const ignores[] = { "/health", "/static/*" };
	struct req_decode_cfg cfg = defaults;
	struct model *m = model_new();
	struct req_decoder *d;
	struct slt_req_event e;

	cfg.ignores = ignores;
	cfg.nignores = 2;
	d = m ? req_decoder_new(m, &cfg) : NULL;
	CHECK(d);
	turn(&e, "GET /health HTTP/1.1\r\n\r\n", "HTTP/1.1 204 A\r\n\r\n");
	CHECK_EQ_INT(feed(d, &e), 0);
	turn(&e, "GET /static/a.css?v=1 HTTP/1.1\r\n\r\n", "HTTP/1.1 204 A\r\n\r\n");
	CHECK_EQ_INT(feed(d, &e), 0);
	turn(&e, "GET /healthz HTTP/1.1\r\n\r\n", "HTTP/1.1 204 A\r\n\r\n");
	CHECK_EQ_INT(feed(d, &e), 0);
	CHECK_EQ_U64(model_stat(m, "ignored_requests"), 2);
	CHECK_EQ_INT(m->nseries, 1);
	CHECK(find(m, "srv :8080 GET /healthz"));
	req_decoder_free(d);
	model_free(m);
}

TEST(request_route_pattern_and_learned_limit_name_the_class)
{
	static const char *const routes[] = { "/users/{name}" };
	struct req_decode_cfg cfg = defaults;
	struct model *m = model_new();
	struct req_decoder *d;
	struct slt_req_event e;
	char req[64];

	cfg.routes = routes;
	cfg.nroutes = 1;
	cfg.segment_limit = 2;
	d = m ? req_decoder_new(m, &cfg) : NULL;
	CHECK(d);
	turn(&e, "GET /users/bob HTTP/1.1\r\n\r\n", "HTTP/1.1 204 A\r\n\r\n");
	CHECK_EQ_INT(feed(d, &e), 0);
	turn(&e, "GET /items/12345 HTTP/1.1\r\n\r\n", "HTTP/1.1 204 A\r\n\r\n");
	CHECK_EQ_INT(feed(d, &e), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(req, sizeof(req), "GET /scan%c HTTP/1.1\r\n\r\n", 'a' + i);
		turn(&e, req, "HTTP/1.1 204 A\r\n\r\n");
		CHECK_EQ_INT(feed(d, &e), 0);
	}
	CHECK(find(m, "srv :8080 GET /users/{name}"));
	CHECK(find(m, "srv :8080 GET /items/{id}"));
	/* the first two values of the first segment: /items, /scana; then "*" */
	CHECK(find(m, "srv :8080 GET /scana"));
	CHECK_EQ_U64(find(m, "srv :8080 GET /*")->hist.count, 2);
	CHECK_EQ_U64(model_stat(m, "segments_starred"), 2);
	req_decoder_free(d);
	model_free(m);
}

/* a payload that is not HTTP, or HTTP that cannot be read, is still a
 * request: counted in a class of its own, never lost */
TEST(request_undecodable_payload_is_counted_in_its_own_class)
{
	struct model *m = model_new();
	struct req_decoder *d = m ? req_decoder_new(m, &defaults) : NULL;
	struct slt_req_event e;
	struct series *s;

	CHECK(d);
	turn(&e, "GET \x01\x02 garbage", "HTTP/1.1 400 Bad\r\n\r\n");
	CHECK_EQ_INT(feed(d, &e), 0);
	CHECK_EQ_U64(model_stat(m, "unparsed_payloads"), 1);
	s = find(m, "srv :8080 ? (unparsed http)");
	CHECK(s);
	CHECK_EQ_U64(s->hist.count, 1);
	CHECK_EQ_U64(s->hist.sum, 3500);
	CHECK_EQ_U64(series_counter(s, "400"), 1);

	turn(&e, "", "\x4e"); /* a PostgreSQL SSLRequest, answered "N" */
	e.req_cap = e.req_bytes = 8;
	memcpy(e.req, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
	CHECK_EQ_INT(feed(d, &e), 0);
	s = find(m, "srv :8080 - tcp:8080");
	CHECK(s);
	CHECK_EQ_U64(s->hist.count, 1);
	CHECK_EQ_U64(s->bytes[REQ_BYTES_IN], 8);
	CHECK_STR(series_label(s, "method"), "-");

	turn(&e, "\x2a\x31\x0d\x0a", "+OK\r\n");
	e.family = AF_UNIX_;
	e.lport = 0;
	memcpy(e.unix_path, "/run/r.sock", 11);
	CHECK_EQ_INT(feed(d, &e), 0);
	s = find(m, "srv unix:/run/r.sock - unix:/run/r.sock");
	CHECK(s);
	CHECK_STR(series_label(s, "port"), "unix:/run/r.sock");
	CHECK_EQ_U64(model_lost_total(m), 0);
	req_decoder_free(d);
	model_free(m);
}

/* a record that cannot be read at all counts as lost, by stage */
TEST(request_record_too_short_or_overlong_counts_as_undecodable)
{
	struct model *m = model_new();
	struct req_decoder *d = m ? req_decoder_new(m, &defaults) : NULL;
	struct slt_req_event e;
	struct slt_req_more more;

	CHECK(d);
	turn(&e, "GET /x HTTP/1.1\r\n\r\n", "HTTP/1.1 204 A\r\n\r\n");
	CHECK_EQ_INT(req_decode_event(d, &e, SLT_REQ_EVENT_HEAD - 1), 0);
	/* req_cap says more bytes than the record holds */
	CHECK_EQ_INT(req_decode_event(d, &e, SLT_REQ_EVENT_HEAD + 4), 0);
	memset(&more, 0, sizeof(more));
	more.len = SLT_MORE_CAP + 1;
	CHECK_EQ_INT(req_decode_more(d, &more, sizeof(more)), 0);
	CHECK_EQ_INT(req_decode_more(d, &more, 8), 0);
	CHECK_EQ_U64(m->lost[SLT_LOSS_UNDECODABLE], 4);
	CHECK_EQ_INT(m->nseries, 0);
	req_decoder_free(d);
	model_free(m);
}

/* settled from userspace (idle, or still open at the end): the same class
 * as if its record had come on the ring buffer */
TEST(request_settled_from_the_kernels_map_decodes_like_a_record)
{
	struct model *m = model_new();
	struct req_decoder *d = m ? req_decoder_new(m, &defaults) : NULL;
	struct slt_req_event e;
	struct series *s;

	CHECK(d);
	turn(&e, "GET /x HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	CHECK_EQ_INT(req_decode_settle(d, &e, SLT_REQ_F_FLUSHED), 0);
	s = find(m, "srv :8080 GET /x");
	CHECK(s);
	CHECK_EQ_U64(s->hist.sum, 3500);
	CHECK_EQ_U64(series_counter(s, "200"), 1);
	req_decoder_free(d);
	model_free(m);
}
