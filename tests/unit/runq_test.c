// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The target's run-queue figures (core/runq.c): the schedstat parser, the
 * start/end/exited arithmetic against sums done by hand, and their trip
 * through the JSON report and back. */
#include <math.h>
#include <stdlib.h>
#include <json-c/json.h>
#include "harness.h"
#include "core/model.h"
#include "core/runq.h"
#include "report/load.h"
#include "report/report.h"

static int fabs_ok(double a, double b)
{
	return fabs(a - b) < 1e-9 * (fabs(b) + 1);
}

TEST(runq_schedstat_line_gives_cpu_wait_and_sched_ins)
{
	uint64_t cpu = 0, wait = 0, ins = 0;

	CHECK_EQ_INT(runq_parse_schedstat("288154521 391381789 173\n", &cpu, &wait, &ins), 0);
	CHECK_EQ_U64(cpu, 288154521ull);
	CHECK_EQ_U64(wait, 391381789ull);
	CHECK_EQ_U64(ins, 173);
	/* a kernel that wrote two fields: no count of sched-ins */
	CHECK_EQ_INT(runq_parse_schedstat("5 7", &cpu, &wait, &ins), 0);
	CHECK_EQ_U64(wait, 7);
	CHECK_EQ_U64(ins, 0);
	CHECK(runq_parse_schedstat("", &cpu, &wait, &ins) < 0);
	CHECK(runq_parse_schedstat("12\n", &cpu, &wait, &ins) < 0);
	CHECK(runq_parse_schedstat("12 x 3\n", &cpu, &wait, &ins) < 0);
	CHECK(runq_parse_schedstat("12 3 y\n", &cpu, &wait, &ins) < 0);
	CHECK(runq_parse_schedstat("-", &cpu, &wait, &ins) < 0);
}

/* Three threads: A lived across the run (cpu 100 -> 160 ms, wait 10 ->
 * 40 ms, put on a CPU 50 -> 80 times), B was there at the start and
 * exited (cpu 50 -> 70, wait 5 -> 25, 20 -> 26 times), C was born and died
 * inside the run (cpu 30, wait 12, 9 times). By hand: cpu 60 + 20 + 30 =
 * 110 ms, wait 30 + 20 + 12 = 62 ms, 30 + 6 + 9 = 45 sched-ins; the share
 * of waiting 62 / 172 = 36.05%. */
TEST(runq_run_figures_are_end_plus_exited_minus_start)
{
	const uint64_t ms = 1000000;
	struct runq_sum start = { .cpu_ns = 150 * ms, .wait_ns = 15 * ms, .sched_ins = 70, .threads = 2 },
			end = { .cpu_ns = 160 * ms, .wait_ns = 40 * ms, .sched_ins = 80, .threads = 1 },
			exited = { .cpu_ns = 100 * ms, .wait_ns = 37 * ms, .sched_ins = 35, .threads = 2 },
			none = { 0 }, run;

	runq_combine(&start, &end, &exited, &run);
	CHECK_EQ_U64(run.cpu_ns, 110 * ms);
	CHECK_EQ_U64(run.wait_ns, 62 * ms);
	CHECK_EQ_U64(run.sched_ins, 45);
	CHECK_MSG(fabs_ok(runq_wait_pct(run.wait_ns, run.cpu_ns), 100.0 * 62 / 172), "pct %g",
		  runq_wait_pct(run.wait_ns, run.cpu_ns));
	/* a thread read at the start that exited before the exit program saw
	 * it cannot make the figures negative */
	runq_combine(&start, &none, &none, &run);
	CHECK_EQ_U64(run.cpu_ns, 0);
	CHECK_EQ_U64(run.wait_ns, 0);
	CHECK_EQ_U64(run.sched_ins, 0);
	CHECK(runq_wait_pct(0, 0) == 0);
	CHECK(runq_wait_pct(1, 3) == 25);
}

TEST(runq_figures_round_trip_through_the_json_report)
{
	struct model *m = model_new(), *back = NULL;
	struct json_object *o;
	const char *text;
	char err[256];

	CHECK(m);
	snprintf(m->meta.host, sizeof(m->meta.host), "h");
	m->meta.duration_ns = 2000000000ull;
	m->meta.has_target_runq = 1;
	m->meta.target_runq_wait_ns = 62000000;
	m->meta.target_cpu_ns = 110000000;
	m->meta.target_runq_wait_pct = 100.0 * 62 / 172;
	m->meta.target_sched_ins = 45;
	o = report_json(m);
	text = json_object_to_json_string(o);
	CHECK(strstr(text, "\"target_runq_wait_ns\""));
	if (report_load_buf(text, strlen(text), "r.json", &back, NULL, err, sizeof(err))) {
		json_object_put(o);
		model_free(m);
		CHECK_MSG(0, "load: %s", err);
	}
	json_object_put(o);
	CHECK(back->meta.has_target_runq);
	CHECK_EQ_U64(back->meta.target_runq_wait_ns, 62000000);
	CHECK_EQ_U64(back->meta.target_cpu_ns, 110000000);
	CHECK(fabs_ok(back->meta.target_runq_wait_pct, m->meta.target_runq_wait_pct));
	CHECK_EQ_U64(back->meta.target_sched_ins, 45);
	model_free(back);
	/* without them (every process traced, or an older report): none */
	m->meta.has_target_runq = 0;
	o = report_json(m);
	text = json_object_to_json_string(o);
	CHECK(!strstr(text, "target_runq"));
	CHECK_EQ_INT(report_load_buf(text, strlen(text), "r.json", &back, NULL, err, sizeof(err)),
		     0);
	json_object_put(o);
	CHECK(!back->meta.has_target_runq);
	model_free(back);
	model_free(m);
}
