// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The SLA section of the text and JSON reports, and a breach as the hook
 * sees it (JSON on stdin, SLATRACE_* variables): the writers for what
 * analysis/sla.c judged. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "analysis/sla.h"

/* ---------- JSON and hook ---------- */

static const char *status_upper(enum sla_status s)
{
	return s == SLA_PASS ? "PASS" : s == SLA_FAIL ? "FAIL" : "NO DATA";
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

/* JSON has no infinity or NaN: those are null */
static void add_num(struct json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, isfinite(v) ? json_object_new_double(v) : NULL);
}

/* a value in its unit: integers stay integers */
static void add_value(struct json_object *o, const char *k, const struct sla_objective *obj,
		      double v)
{
	if ((obj->unit == SLA_UNIT_NS && obj->metric != SLA_M_MEAN) || obj->unit == SLA_UNIT_COUNT)
		add_u64(o, k, sla_u64_of(v));
	else
		add_num(o, k, v);
}

static void add_objective_def(struct json_object *jo, const struct sla_objective *o)
{
	char buf[sizeof(o->pattern) + 40];

	add_str(jo, "name", o->name);
	add_str(jo, "objective", o->text);
	sla_selector_text(o, buf, sizeof(buf));
	add_str(jo, "selector", buf);
	add_str(jo, "family", o->family);
	add_str(jo, "metric", sla_metric_text(o, buf, sizeof(buf)));
	add_str(jo, "op", sla_op_names[o->op]);
	add_str(jo, "bound", o->bound_text);
	add_value(jo, "bound_value", o, o->bound);
	add_str(jo, "unit", sla_unit_name(o->unit));
}

struct json_object *sla_breach_json(const struct sla_breach *b)
{
	struct json_object *jo = json_object_new_object();
	char buf[64];

	add_str(jo, "event", "sla_breach");
	add_objective_def(jo, b->obj);
	add_value(jo, "value", b->obj, b->result.value);
	add_str(jo, "value_text", sla_fmt_value(b->obj, b->result.value, buf, sizeof(buf)));
	add_u64(jo, "count", b->result.count);
	if (b->result.has_budget)
		add_num(jo, "burn_rate", b->result.consumed);
	else
		json_object_object_add(jo, "burn_rate", NULL);
	add_u64(jo, "window_start_ns", b->window_start_ns);
	add_u64(jo, "window_end_ns", b->window_end_ns);
	add_u64(jo, "episode", b->episode);
	return jo;
}

/* a number in its unit, exactly enough for a script */
static void raw_value(const struct sla_objective *o, double v, char *buf, size_t len)
{
	if (o->unit == SLA_UNIT_NS || o->unit == SLA_UNIT_COUNT)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.9g", v);
}

int sla_breach_env(const struct sla_breach *b, char vars[][SLA_ENV_LEN], int max)
{
	const struct sla_objective *o = b->obj;
	char v[SLA_ENV_N][SLA_EXPR_MAX];
	static const char *const names[SLA_ENV_N] = {
		"OBJECTIVE",  "NAME",	      "METRIC",	    "OP",      "VALUE",
		"VALUE_TEXT", "BOUND",	      "BOUND_TEXT", "UNIT",    "COUNT",
		"BURN_RATE",  "WINDOW_START", "WINDOW_END", "EPISODE",
	};
	int n = 0;

	snprintf(v[0], sizeof(v[0]), "%s", o->text);
	snprintf(v[1], sizeof(v[1]), "%s", o->name);
	sla_metric_text(o, v[2], sizeof(v[2]));
	snprintf(v[3], sizeof(v[3]), "%s", sla_op_names[o->op]);
	raw_value(o, b->result.value, v[4], sizeof(v[4]));
	sla_fmt_value(o, b->result.value, v[5], sizeof(v[5]));
	raw_value(o, o->bound, v[6], sizeof(v[6]));
	snprintf(v[7], sizeof(v[7]), "%s", o->bound_text);
	snprintf(v[8], sizeof(v[8]), "%s", sla_unit_name(o->unit));
	snprintf(v[9], sizeof(v[9]), "%llu", (unsigned long long)b->result.count);
	if (b->result.has_budget && isfinite(b->result.consumed))
		snprintf(v[10], sizeof(v[10]), "%.4f", b->result.consumed);
	else
		snprintf(v[10], sizeof(v[10]), "%s", b->result.has_budget ? "inf" : "");
	snprintf(v[11], sizeof(v[11]), "%llu", (unsigned long long)b->window_start_ns);
	snprintf(v[12], sizeof(v[12]), "%llu", (unsigned long long)b->window_end_ns);
	snprintf(v[13], sizeof(v[13]), "%llu", (unsigned long long)b->episode);
	for (; n < SLA_ENV_N && n < max; n++)
		snprintf(vars[n], SLA_ENV_LEN, "SLATRACE_%s=%.*s", names[n], SLA_EXPR_MAX - 1,
			 v[n]);
	return n;
}

static void fmt_budget(const struct sla_result *r, char *buf, size_t len)
{
	if (!r->has_budget)
		snprintf(buf, len, "-");
	else if (!isfinite(r->consumed))
		snprintf(buf, len, "exhausted");
	else
		snprintf(buf, len, "%.1f%%", r->consumed * 100);
}

void print_sla_plain(FILE *f, const struct sla_set *set, const struct sla_result *run,
		     const struct sla_tracker *t)
{
	int npass = 0, nfail = 0, nnone = 0, w = 9;
	enum sla_status v = sla_verdict(set, run);

	if (!set->n)
		return;
	for (int i = 0; i < set->n; i++) {
		int l = (int)strlen(set->obj[i].text);

		npass += run[i].status == SLA_PASS;
		nfail += run[i].status == SLA_FAIL;
		nnone += run[i].status == SLA_NO_DATA;
		if (l > w)
			w = l > 60 ? 60 : l;
	}
	if (v == SLA_PASS)
		fprintf(f, "SLA: PASS, %d of %d objectives met\n", npass, set->n);
	else if (v == SLA_FAIL && nnone)
		fprintf(f, "SLA: FAIL, %d of %d objectives failed, %d had no data\n", nfail,
			set->n, nnone);
	else if (v == SLA_FAIL)
		fprintf(f, "SLA: FAIL, %d of %d objectives failed\n", nfail, set->n);
	else
		fprintf(f, "SLA: NO DATA, %d of %d objectives had no data (not a pass)\n", nnone,
			set->n);
	fprintf(f, "  %-7s  %-*s %10s %11s", "STATUS", w, "OBJECTIVE", "MEASURED", "BUDGET USED");
	if (t)
		fprintf(f, " %11s %9s", "WINDOWS MET", "LAST BURN");
	fputc('\n', f);
	for (int i = 0; i < set->n; i++) {
		const struct sla_objective *o = &set->obj[i];
		const struct sla_result *r = &run[i];
		char val[40], budget[24], win[48], burn[24];

		if (r->status == SLA_NO_DATA)
			snprintf(val, sizeof(val), "-");
		else
			sla_fmt_value(o, r->value, val, sizeof(val));
		fmt_budget(r, budget, sizeof(budget));
		fprintf(f, "  %-7s  %-*s %10s %11s", status_upper(r->status), w, o->text, val,
			budget);
		if (t) {
			const struct sla_window_stats *st = sla_tracker_stats(t, i);

			snprintf(win, sizeof(win), "%llu/%llu", (unsigned long long)st->met,
				 (unsigned long long)(st->met + st->failed));
			if (!st->last_burn_valid)
				snprintf(burn, sizeof(burn), "-");
			else if (!isfinite(st->last_burn))
				snprintf(burn, sizeof(burn), "inf");
			else
				snprintf(burn, sizeof(burn), "%.2f", st->last_burn);
			fprintf(f, " %11s %9s", st->met + st->failed ? win : "-", burn);
		}
		if (r->status == SLA_NO_DATA)
			fprintf(f, "  (%s)", r->matched ? "nothing measured" : "no series matched");
		if (strcmp(o->name, o->text))
			fprintf(f, "  %s", o->name);
		fputc('\n', f);
	}
	if (t)
		fprintf(f, "  windows met: of the windows with data; burn: the last window's bad "
			   "fraction / the allowed fraction\n");
}

struct json_object *sla_json(const struct sla_set *set, const struct sla_result *run,
			     const struct sla_tracker *t)
{
	struct json_object *root = json_object_new_object(), *arr = json_object_new_array();
	enum sla_status v = sla_verdict(set, run);
	int npass = 0, nfail = 0, nnone = 0;

	for (int i = 0; i < set->n; i++) {
		const struct sla_objective *o = &set->obj[i];
		const struct sla_result *r = &run[i];
		struct json_object *jo = json_object_new_object(), *b;

		npass += r->status == SLA_PASS;
		nfail += r->status == SLA_FAIL;
		nnone += r->status == SLA_NO_DATA;
		add_objective_def(jo, o);
		add_str(jo, "status", sla_status_name(r->status));
		json_object_object_add(jo, "passed",
				       json_object_new_boolean(r->status == SLA_PASS));
		if (r->status == SLA_NO_DATA)
			json_object_object_add(jo, "value", NULL);
		else
			add_value(jo, "value", o, r->value);
		json_object_object_add(jo, "series_matched", json_object_new_int(r->matched));
		add_u64(jo, "count", r->count);
		if (r->has_budget) {
			b = json_object_new_object();
			add_u64(b, "bad", r->bad);
			add_num(b, "allowed", r->allowed);
			add_num(b, "consumed", r->consumed);
			json_object_object_add(jo, "budget", b);
		} else {
			json_object_object_add(jo, "budget", NULL);
		}
		if (t) {
			const struct sla_window_stats *st = sla_tracker_stats(t, i);
			uint64_t with_data = st->met + st->failed;

			b = json_object_new_object();
			add_u64(b, "total", st->windows);
			add_u64(b, "met", st->met);
			add_u64(b, "failed", st->failed);
			add_u64(b, "no_data", st->no_data);
			if (with_data)
				add_num(b, "met_share", (double)st->met / (double)with_data);
			else
				json_object_object_add(b, "met_share", NULL);
			add_u64(b, "breaches", st->breaches);
			add_str(b, "last_status", sla_status_name(st->last_status));
			if (st->last_burn_valid)
				add_num(b, "last_burn_rate", st->last_burn);
			else
				json_object_object_add(b, "last_burn_rate", NULL);
			json_object_object_add(jo, "windows", b);
		}
		json_object_array_add(arr, jo);
	}
	json_object_object_add(root, "passed", json_object_new_boolean(v == SLA_PASS));
	add_str(root, "verdict", sla_status_name(v));
	json_object_object_add(root, "objectives_passed", json_object_new_int(npass));
	json_object_object_add(root, "objectives_failed", json_object_new_int(nfail));
	json_object_object_add(root, "objectives_no_data", json_object_new_int(nnone));
	if (t)
		add_u64(root, "windows", sla_tracker_windows(t));
	json_object_object_add(root, "objectives", arr);
	return root;
}
