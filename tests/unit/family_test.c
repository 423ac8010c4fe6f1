// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The family table (core/family.h, user/probes/families.c): every family
 * once, found by both of its names, one SLA default; and the JSON writer
 * takes a series' family members from its descriptor, with the generic
 * members for a family this binary does not know. */
#include <json-c/json.h>
#include "harness.h"
#include "core/family.h"
#include "core/model.h"
#include "report/report.h"

TEST(family_table_lists_each_family_once_with_one_sla_default)
{
	int sla_default = 0, n = 0;

	for (int i = 0; slt_families[i]; i++, n++) {
		const struct family_desc *d = slt_families[i];

		CHECK_MSG(d->name && d->name[0] && d->series && d->series[0],
			  "family %d has no name", i);
		CHECK_MSG(strlen(d->series) < sizeof(((struct series *)0)->family),
			  "'%s': series family too long for the model", d->name);
		CHECK_MSG(d->print_text, "'%s' has no text section", d->name);
		CHECK_MSG(family_by_name(d->name) == d, "'%s' found twice", d->name);
		CHECK_MSG(family_by_series(d->series) == d, "'%s' series found twice", d->series);
		sla_default += !!(d->flags & SLT_FAMILY_SLA_DEFAULT);
	}
	CHECK(n > 0);
	CHECK_EQ_INT(sla_default, 1);
	CHECK(family_sla_default()[0]);
	CHECK(family_by_series(family_sla_default()));
	CHECK(!family_by_name("no-such-family") && !family_by_series("no-such-family"));
}

/* families.def names each family once; the table holds each of them, by
 * the name the line gives, sorted by the line's order (the text report's) */
#define SLT_FAMILY(name, order) extern const struct family_desc name##_family;
#include "probes/families.def"
#undef SLT_FAMILY

TEST(family_table_is_families_def_sorted_by_report_order)
{
	static const struct {
		const struct family_desc *d;
		const char *name;
		int order;
	} def[] = {
#define SLT_FAMILY(name, order) { &name##_family, #name, order },
#include "probes/families.def"
#undef SLT_FAMILY
	};
	int n = 0, last = -1;

	for (; slt_families[n]; n++)
		;
	CHECK_EQ_INT(n, (int)(sizeof(def) / sizeof(def[0])));
	for (size_t k = 0; k < sizeof(def) / sizeof(def[0]); k++) {
		int at = -1;

		/* the line's name is the flag: --NAME and the report's entry */
		CHECK_STR(def[k].d->name, def[k].name);
		for (int i = 0; i < n; i++)
			if (slt_families[i] == def[k].d)
				at = i;
		CHECK_MSG(at >= 0, "'%s' is not in the table", def[k].name);
		/* as many lines of lower order come before it */
		for (size_t j = 0; j < sizeof(def) / sizeof(def[0]); j++)
			at -= def[j].order < def[k].order;
		CHECK_MSG(at == 0, "'%s' is out of report order", def[k].name);
	}
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(def) / sizeof(def[0]); k++)
			if (def[k].d == slt_families[i]) {
				CHECK(def[k].order > last);
				last = def[k].order;
			}
	}
}

/* the members a series' JSON object has between "error_rate" and "total_ns" */
static const char *members_after_error_rate(struct json_object *o, char *buf, size_t len)
{
	int on = 0;
	size_t n = 0;

	buf[0] = '\0';
	json_object_object_foreach(o, k, v)
	{
		(void)v;
		if (!strcmp(k, "total_ns"))
			break;
		if (on)
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? " " : "", k);
		if (!strcmp(k, "error_rate"))
			on = 1;
	}
	return buf;
}

TEST(report_json_series_members_come_from_the_family_descriptor)
{
	struct model *m = model_new();
	struct json_object *root = NULL, *arr;
	char got[256], want[256];
	const char *why = NULL;

	CHECK(m);
	for (int i = 0; slt_families[i]; i++)
		if (!model_series(m, slt_families[i]->series, "x")) {
			model_free(m);
			CHECK_MSG(0, "setup");
		}
	if (!model_series(m, "zz-unknown", "x")) {
		model_free(m);
		CHECK_MSG(0, "setup");
	}
	root = report_json(m);
	arr = json_object_object_get(root, "series");
	for (size_t i = 0; !why && i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *fam = json_object_get_string(json_object_object_get(o, "family"));
		const struct family_desc *d = family_by_series(fam);
		int n;

		members_after_error_rate(o, got, sizeof(got));
		/* counters, then "failed" unless its calls always return */
		n = snprintf(want, sizeof(want), "%s",
			     d && d->counters_key ? d->counters_key : "status");
		if (!d || !(d->flags & SLT_FAMILY_NEVER_FAILS))
			n += snprintf(want + n, sizeof(want) - n, " failed");
		/* its byte sums, by the names it gives them */
		for (int k = 0; d && k < 2; k++)
			if (d->bytes_keys[k])
				n += snprintf(want + n, sizeof(want) - n, " %s", d->bytes_keys[k]);
		/* a family with members of its own adds them after those */
		if (d && d->json_series ? strncmp(got, want, strlen(want)) : strcmp(got, want))
			why = fam;
	}
	json_object_put(root);
	model_free(m);
	CHECK_MSG(!why, "series of '%s': members '%s', want '%s'", why, got, want);
}
