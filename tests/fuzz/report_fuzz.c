// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target for the JSON report reader (user/report/load.c), the diff it
 * feeds (user/report/diff.c) and the --fail-on expression parser. For every
 * input it checks what callers rely on:
 *  - the reader accepts or refuses: a refusal leaves no model and says why
 *    in one printable line; an accepted model is consistent (every
 *    histogram's count is the sum of its buckets, failures within counts);
 *  - an accepted model written back with report_json() reads back to the
 *    same series, bucket for bucket;
 *  - diff against the same model with every sample doubled (built bucket
 *    by bucket here, not by diff.c) finds U equal to the pair-by-pair
 *    count, after never faster and a shift >= 0; diff against a fixed
 *    report finds the pair-by-pair U too, and runs and prints (text and
 *    JSON) whatever the numbers are;
 *  - the start of the input, as a --fail-on expression, parses to a sane
 *    gate or is refused with one line.
 * Out-of-bounds reads are left to ASan: each input lives in its own
 * allocation of exactly its size, with no NUL after it.
 *
 * Two ways to run it:
 *   libFuzzer:  clang -DSLT_LIBFUZZER -fsanitize=fuzzer,address,undefined ...
 *   standalone: report_fuzz [--seconds N] [--seed N] [--runs N] [FILE...]
 * Standalone, it is a deterministic mutation fuzzer with its own PRNG and a
 * seed corpus of real reports, growing its pool with inputs whose results
 * look new. The same seed gives the same inputs; FILE arguments are
 * replayed once each instead. libFuzzer's -max_total_time=N, -seed=N and
 * -runs=N are accepted too.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "core/model.h"
#include "analysis/diff.h"
#include "report/load.h"
#include "report/report.h"

#define FUZZ_NAME "report_fuzz"
#include "check.h"

static uint64_t signature;
static struct model *fixed; /* a real report to diff against */
static FILE *sink;

/* a message: NUL-terminated inside its buffer, non-empty, one printable line */
static void check_message(const char *msg, size_t cap)
{
	const char *z = memchr(msg, '\0', cap);

	FUZZ_CHECK(z != NULL && z > msg);
	for (const char *p = msg; p < z; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static uint64_t slot_sum(const struct hist *h)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++)
		n += h->slots[i];
	return n;
}

static void check_model(const struct model *m)
{
	for (int i = 0; i < m->nseries; i++) {
		const struct series *s = m->series[i];

		FUZZ_CHECK(memchr(s->family, '\0', sizeof(s->family)) && s->family[0]);
		FUZZ_CHECK(memchr(s->name, '\0', sizeof(s->name)) && s->name[0]);
		FUZZ_CHECK(s->nlabels >= 0 && s->nlabels <= SLT_MAX_LABELS);
		FUZZ_CHECK(slot_sum(&s->hist) == s->hist.count);
		FUZZ_CHECK(series_count(s) >= s->hist.count);
		FUZZ_CHECK(s->errors <= series_count(s));
		for (int r = 0; r < SLT_ROLE_MAX; r++)
			if (s->role[r])
				FUZZ_CHECK(slot_sum(s->role[r]) == s->role[r]->count);
	}
}

static int same_hist(const struct hist *a, const struct hist *b)
{
	if (!a || !b)
		return !a && !b;
	return a->count == b->count && a->max == b->max &&
	       !memcmp(a->slots, b->slots, sizeof(a->slots));
}

static void check_round_trip(const struct model *m)
{
	struct json_object *o = report_json(m);
	const char *text = json_object_to_json_string(o);
	struct model *back = NULL;
	char err[512];
	int rc;

	rc = report_load_buf(text, strlen(text), "again.json", &back, NULL, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "report_fuzz: written back, refused: %s\n", err);
		FUZZ_CHECK(rc == 0);
	}
	FUZZ_CHECK(back->nseries == m->nseries);
	FUZZ_CHECK(!strcmp(back->meta.host, m->meta.host));
	for (int i = 0; i < m->nseries; i++) {
		const struct series *s = m->series[i];
		const struct series *t = model_series(back, s->family, s->name);

		FUZZ_CHECK(t && back->nseries == m->nseries);
		FUZZ_CHECK(same_hist(&s->hist, &t->hist) && s->hist.sum == t->hist.sum);
		for (int r = 0; r < SLT_ROLE_MAX; r++)
			FUZZ_CHECK(same_hist(s->role[r], t->role[r]));
		FUZZ_CHECK(s->errors == t->errors && s->failed == t->failed &&
			   s->untimed == t->untimed);
		FUZZ_CHECK(s->ncounters == t->ncounters && s->nlabels == t->nlabels);
		for (int k = 0; k < s->ncounters; k++)
			FUZZ_CHECK(series_counter(t, s->counters[k].name) == s->counters[k].value);
	}
	model_free(back);
	json_object_put(o);
}

static void show(struct diff *d)
{
	struct json_object *o = diff_json(d);

	FUZZ_CHECK(o != NULL);
	fputs(json_object_to_json_string(o), sink);
	json_object_put(o);
	print_diff_plain(sink, d, 0);
}

/*
 * Mann-Whitney's U by its definition, pair by pair: every (before, after)
 * pair of samples in which after lies in a higher bucket counts 1, in the
 * same bucket 1/2. diff.c gets U from a running sum of ranks; this is the
 * quadratic count it stands for, over the non-empty buckets.
 */
static void check_mwu(const struct series_diff *sd)
{
	static unsigned nzb[SLT_HIST_NBUCKETS], nza[SLT_HIST_NBUCKETS];
	const struct hist *b = &sd->b->hist, *a = &sd->a->hist;
	long double u = 0, nb = 0, na = 0;
	int kb = 0, ka = 0;

	for (unsigned i = 0; i < SLT_HIST_NBUCKETS; i++) {
		if (b->slots[i])
			nzb[kb++] = i;
		if (a->slots[i])
			nza[ka++] = i;
		nb += b->slots[i];
		na += a->slots[i];
	}
	for (int i = 0; i < kb; i++)
		for (int j = 0; j < ka; j++)
			if (nza[j] >= nzb[i])
				u += (long double)b->slots[nzb[i]] * a->slots[nza[j]] *
				     (nza[j] > nzb[i] ? 1 : 0.5L);
	FUZZ_CHECK((long double)sd->mwu.n_before == nb && (long double)sd->mwu.n_after == na);
	FUZZ_CHECK(fabsl(sd->mwu.u - u) <= u * 1e-9L);
	if (nb > 0 && na > 0)
		FUZZ_CHECK(fabsl(sd->mwu.prob_slower - u / (nb * na)) <= 1e-9L);
}

/*
 * m with every latency sample doubled, bucket for bucket: from 32 ns on a
 * bucket [lo, hi) doubles into exactly the bucket [2lo, 2hi) 32 slots up
 * (below 32 every value has its own bucket), so it is a known slowdown
 * built without diff.c. 0 stays 0 and the top bucket stays the top.
 */
static struct model *doubled(const struct model *m)
{
	struct model *t = model_clone(m);

	FUZZ_CHECK(t && t->nseries == m->nseries);
	for (int i = 0; i < t->nseries; i++) {
		const struct series *s = model_find(m, t->series[i]->family, t->series[i]->name);
		struct hist *h = &t->series[i]->hist;

		FUZZ_CHECK(s);
		hist_reset(h);
		for (unsigned k = 0; k < SLT_HIST_NBUCKETS; k++)
			hist_add_n(h, 2 * slt_hist_slot_lo(k), s->hist.slots[k]);
	}
	return t;
}

static void check_diff(struct model *m, struct json_object *sla)
{
	struct diff d = { 0 };
	struct diff_opts o = { .alpha = 0.01, .min_effect = 0.05 };
	struct model *slow = doubled(m);
	char err[128];

	FUZZ_CHECK(diff_parse_gate("p99 +10%", &d.gates[0], err, sizeof(err)) == 0);
	d.ngates = 1;
	d.b_name = d.a_name = "fuzz.json";
	d.sla_b = d.sla_a = sla;
	FUZZ_CHECK(diff_run(&d, m, slow, &o) == 0);
	FUZZ_CHECK(d.n == m->nseries && !d.nappeared && !d.nvanished);
	for (int i = 0; i < d.n; i++) {
		const struct series_diff *sd = &d.v[i];

		check_mwu(sd);
		/* every sample moved to the same or a higher bucket: after is
		 * never the faster side, and the pairs' median ratio is >= 1 */
		FUZZ_CHECK(sd->mwu.n_before == 0 || sd->mwu.prob_slower >= 0.5 - 1e-12);
		FUZZ_CHECK(sd->verdict != DIFF_FASTER);
		FUZZ_CHECK(!sd->tested || sd->shift >= -1e-12);
		FUZZ_CHECK(sd->p_adj >= 0 && sd->p_adj <= 1);
	}
	show(&d);
	diff_free(&d);
	model_free(slow);

	memset(&d, 0, sizeof(d));
	d.b_name = d.a_name = "fuzz.json";
	FUZZ_CHECK(diff_run(&d, fixed, m, &o) == 0);
	FUZZ_CHECK(d.n + d.nvanished == fixed->nseries && d.n + d.nappeared == m->nseries);
	for (int i = 0; i < d.n; i++) {
		const struct series_diff *sd = &d.v[i];

		FUZZ_CHECK(sd->mwu.p >= 0 && sd->mwu.p <= 1 && !isnan(sd->mwu.z));
		FUZZ_CHECK(sd->p_adj >= sd->mwu.p && sd->p_adj <= 1);
		FUZZ_CHECK(sd->mwu.prob_slower >= 0 && sd->mwu.prob_slower <= 1);
		FUZZ_CHECK(!isnan(sd->shift) && sd->shift > -1);
		check_mwu(sd);
		signature = signature * 3 + sd->verdict;
	}
	show(&d);
	diff_free(&d);
}

/* the input's first line as a --fail-on expression */
static void check_gate(const uint8_t *data, size_t size)
{
	char expr[80], err[256];
	struct diff_gate g;
	size_t n = 0;
	int rc;

	while (n < size && n < sizeof(expr) - 1 && data[n] && data[n] != '\n')
		n++;
	memcpy(expr, data, n);
	expr[n] = '\0';
	memset(err, 0xa5, sizeof(err));
	rc = diff_parse_gate(expr, &g, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc) {
		check_message(err, sizeof(err));
		signature = signature * 7 + 1;
		return;
	}
	FUZZ_CHECK(g.sign == 1 || g.sign == -1);
	FUZZ_CHECK(isfinite(g.bound) && g.bound >= 0);
	FUZZ_CHECK(g.metric <= DIFF_M_COUNT);
	FUZZ_CHECK(g.metric != DIFF_M_PCT || (g.pct > 0 && g.pct <= 100));
	FUZZ_CHECK(g.metric != DIFF_M_ERROR_RATE || g.relative);
	signature = signature * 7 + 2 + g.metric;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *sla = (struct json_object *)1;
	struct model *m = (struct model *)1;
	char err[512];
	int rc;

	cur_data = data;
	cur_size = size;
	signature = 0;
	memset(err, 0xa5, sizeof(err));
	rc = report_load_buf((const char *)data, size, "fuzz.json", &m, &sla, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc) {
		FUZZ_CHECK(m == NULL && sla == NULL);
		check_message(err, sizeof(err));
		/* the kind of refusal: the message without its numbers and
		 * without what it quotes from the input */
		for (const char *p = err, *q; *p; p++) {
			if (*p == '\'' && (q = strchr(p + 1, '\''))) {
				p = q;
				continue;
			}
			if (*p < '0' || *p > '9')
				signature = signature * 31 + (uint8_t)*p;
		}
	} else {
		FUZZ_CHECK(m != NULL);
		check_model(m);
		check_round_trip(m);
		check_diff(m, sla);
		signature = signature * 131 + (uint64_t)m->nseries * 4 + (sla != NULL) * 2 + 1;
		for (int i = 0; i < m->nseries; i++) {
			const struct series *s = m->series[i];

			signature = signature * 17 + (uint64_t)s->nlabels * 4 +
				    (uint64_t)(s->ncounters > 0) * 2 + !!s->role[SLT_ROLE_QUEUE] +
				    !!s->failed * 8 +
				    (uint64_t)(64 - __builtin_clzll(s->hist.count | 1)) * 16;
		}
		json_object_put(sla);
		model_free(m);
	}
	check_gate(data, size);
	return 0;
}

/* the fixed side of the diffs: built once, as a real run would have it */
static struct model *make_fixed(void)
{
	struct model *m = model_new();
	struct series *s;

	if (!m)
		return NULL;
	snprintf(m->meta.host, sizeof(m->meta.host), "fixed");
	run_meta_add_family(&m->meta, "syscalls");
	run_meta_add_family(&m->meta, "requests");
	m->meta.duration_ns = 2000000000ull;
	s = model_series(m, "syscall", "read");
	if (s) {
		for (uint64_t v = 1; v < 3000000; v = v * 2 + 3)
			hist_add_n(&s->hist, v, 40);
		s->errors = 3;
	}
	s = model_series(m, "request", "demo :80 GET /slow");
	if (s) {
		hist_add_n(&s->hist, 10100000, 500);
		hist_add_n(&s->hist, 10400000, 100);
		s->failed = 2;
	}
	return m;
}

static void __attribute__((constructor)) fuzz_init(void)
{
	fixed = make_fixed();
	sink = fopen("/dev/null", "w");
	if (!fixed || !sink) {
		fprintf(stderr, "report_fuzz: cannot set up\n");
		exit(1);
	}
}

static void __attribute__((destructor)) fuzz_fini(void)
{
	model_free(fixed);
	if (sink)
		fclose(sink);
}

#ifndef SLT_LIBFUZZER

#define FUZZ_MAX_INPUT	  32768
#define POOL_MAX	  512
#define FUZZ_DEFAULT_RUNS 3500000
#define FUZZ_ERASE_MAX	  32
#define FUZZ_CLOCK_MASK	  15
#define FUZZ_REPLAY_MAX	  (1 << 22)
/* duplicated ranges repeat series, buckets and keys; truncation is a full disk */
#define FUZZ_MUTATIONS                                                                             \
	FUZZ_FLIP, FUZZ_INTERESTING, FUZZ_ERASE, FUZZ_DUPLICATE, FUZZ_SPLICE, FUZZ_TRUNCATE,       \
	    FUZZ_TOKEN, FUZZ_TOKEN, FUZZ_NUMBER, FUZZ_NUMBER, FUZZ_NUDGE, FUZZ_PRINTABLE

static const uint8_t fuzz_interesting[] = { 0,	 0xff, '{', '}', '[', ']', '"',	 ',',  ':',
					    '0', '9',  '-', '.', 'e', ' ', '\\', '\n', 'u' };

static const char *const fuzz_tokens[] = {
	"{",
	"}",
	"[",
	"]",
	",",
	":",
	"\"",
	"\"schema\":\"slatrace.report/1\",",
	"\"schema\":\"slatrace.report/2\",",
	"\"series\":",
	"\"buckets\":",
	"\"count\":",
	"\"failed\":",
	"\"latency_ns\":{\"max\":0}",
	"\"queue_buckets\":[]",
	"[0,1,1]",
	"[31,32,5]",
	"[32,33,1]",
	"[8796093022208,18446744073709551615,1]",
	"[1024,1056,18446744073709551615]",
	"{\"family\":\"syscall\",\"name\":\"read\",\"count\":1,\"errors\":0,\"total_ns\":1,"
	"\"latency_ns\":{\"max\":1},\"buckets\":[[1,2,1]]}",
	"18446744073709551615",
	"18446744073709551616",
	"9223372036854775808",
	"-1",
	"-0",
	"0.5",
	"1e400",
	"1e9",
	"null",
	"true",
	"\"\\u0000\"",
	"\"\\n\\u001b[31m\"",
	"\"\\ud800\"",
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
	"\xff",
	" ",
	"\n",
	"p50 +",
	"%",
	"ms",
};

static const char *const fuzz_numbers[] = { "18446744073709551615",
					    "9223372036854775807",
					    "4294967296",
					    "0",
					    "-1",
					    "1.5",
					    "1e308",
					    "32",
					    "31",
					    "1024",
					    "1056",
					    "100000000000000000000" };

#include "driver.h"

static const char *const seeds[] = {
	"{\"schema\":\"slatrace.report/1\",\"host\":\"h\",\"duration_s\":1,\"series\":[]}",
	"{\"schema\":\"slatrace.report/"
	"1\",\"host\":\"h\",\"duration_s\":2.5,\"families\":[\"syscalls\"],"
	"\"lost\":{\"map_full\":3,\"total\":3},\"counters\":{\"unparsed_payloads\":1},"
	"\"command\":{\"pid\":12,\"exited\":true,\"signal\":9},\"processes\":{\"forked\":1},"
	"\"series\":[{\"family\":\"syscall\",\"name\":\"openat\",\"labels\":{\"syscall\":"
	"\"openat\"},"
	"\"count\":12,\"errors\":2,\"error_breakdown\":{\"ENOENT\":2},\"total_ns\":50000,"
	"\"latency_ns\":{\"p50\":3000,\"max\":9000},\"buckets\":[[2944,3008,10],[8960,9216,2]]}],"
	"\"sla\":{\"passed\":true,\"verdict\":\"pass\",\"objectives\":[{\"name\":\"open\","
	"\"objective\":\"syscall openat: p99 < 1ms\",\"unit\":\"ns\",\"status\":\"pass\","
	"\"passed\":true,\"value\":9000}]}}",
	"{\"schema\":\"slatrace.report/1\",\"host\":\"h\",\"duration_s\":1,\"series\":[{\"family\":"
	"\"request\",\"name\":\"x :80 GET /\",\"count\":3,\"errors\":1,\"failed\":1,\"status\":{"
	"\"200\":2,\"reset\":1},\"total_ns\":2000,\"latency_ns\":{\"max\":1500},\"buckets\":[[496,"
	"504,1],[1472,1504,1]],\"queue_ns\":{\"max\":7},\"queue_buckets\":[[7,8,2]],\"service_ns\":"
	"{\"max\":1400},\"service_buckets\":[[480,488,1],[1376,1408,1]]}]}",
	"p99 +10%",
	"p99.9 -250us",
	"error_rate +1%",
	"count -20%",
};

/* a real report of a synthetic run, as report_json() writes it */
static void add_written_seed(int pretty)
{
	struct model *m = make_fixed();
	struct series *s;
	struct json_object *o;
	const char *text;

	if (!m)
		return;
	s = model_series(m, "request", "demo :80 GET /slow");
	if (s && series_role(s, SLT_ROLE_QUEUE) && series_role(s, SLT_ROLE_SERVICE)) {
		hist_add_n(s->role[SLT_ROLE_QUEUE], 20000, 600);
		hist_add_n(s->role[SLT_ROLE_SERVICE], 10080000, 600);
		series_set_label(s, "route", "/slow");
		series_set_counter(s, "200", 600);
		series_set_counter(s, "reset", 2);
	}
	model_stat_add(m, "pipelined_requests", 4);
	o = report_json(m);
	text = json_object_to_json_string_ext(o, pretty ? JSON_C_TO_STRING_PRETTY
							: JSON_C_TO_STRING_PLAIN);
	if (strlen(text) <= FUZZ_MAX_INPUT)
		pool_add((const uint8_t *)text, strlen(text));
	json_object_put(o);
	model_free(m);
}

static uint64_t fuzz_add_seeds(uint8_t *buf)
{
	uint64_t execs = 0;

	(void)buf;
	for (size_t s = 0; s < FUZZ_NELEM(seeds); s++)
		pool_add((const uint8_t *)seeds[s], strlen(seeds[s]));
	add_written_seed(0);
	add_written_seed(1);
	/* every seed, and a spread of its prefixes: files end anywhere */
	for (int s = 0; s < npool; s++) {
		execs += seed_prefixes(pool[s].data, pool[s].len, pool[s].len / 200 + 1);
		run_one(pool[s].data, pool[s].len);
	}
	return execs;
}

#endif /* SLT_LIBFUZZER */
