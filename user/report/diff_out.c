// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A diff as text and JSON: the writers for what analysis/diff.c judged. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "core/parse.h"
#include "analysis/diff.h"
#include "report/report.h"

/* ------------------------------------------------------------- printing */

/* "request nginx :80 GET /x", sanitized */
static const char *who(const struct series *s, char *buf, size_t len)
{
	char raw[sizeof(s->family) + sizeof(s->name) + 1];

	snprintf(raw, sizeof(raw), "%s %s", s->family, s->name);
	return diff_safe(raw, buf, len);
}

static const char *verdict_name(enum diff_verdict v)
{
	return v == DIFF_SLOWER ? "slower" : v == DIFF_FASTER ? "faster" : "unchanged";
}

static const char *fmt_ns(double ns, char *buf, size_t len)
{
	return slt_fmt_duration(ns > 0 ? (uint64_t)llround(ns) : 0, buf, len);
}

static const char *fmt_pct(double b, double a, char *buf, size_t len)
{
	double c = diff_rel_change(b, a);

	if (isinf(c))
		snprintf(buf, len, "new");
	else
		snprintf(buf, len, "%+.1f%%", c * 100);
	return buf;
}

/* "10.09ms -> 12.11ms +20.0%" */
static const char *fmt_lat(uint64_t b, uint64_t a, char *buf, size_t len)
{
	char x[24], y[24], z[24];

	snprintf(buf, len, "%s -> %s %s", slt_fmt_duration(b, x, sizeof(x)),
		 slt_fmt_duration(a, y, sizeof(y)), fmt_pct((double)b, (double)a, z, sizeof(z)));
	return buf;
}

static void fmt_when(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (!ns) {
		snprintf(buf, len, "?");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static void print_side(FILE *f, const char *label, const char *name, const struct model *m)
{
	char when[40], host[sizeof(m->meta.host)], fams[sizeof(m->meta.families)],
	    joined[sizeof(m->meta.families)], kernel[sizeof(m->meta.kernel)];

	fmt_when(m->meta.start_realtime_ns, when, sizeof(when));
	fprintf(f, "  %-7s %s: host %s, kernel %s, %s, %.2fs, %s\n", label, name,
		diff_safe(m->meta.host, host, sizeof(host)),
		m->meta.kernel[0] ? diff_safe(m->meta.kernel, kernel, sizeof(kernel)) : "?", when,
		m->meta.duration_ns / 1e9,
		m->meta.nfamilies
		    ? diff_safe(run_meta_families_joined(&m->meta, joined, sizeof(joined)), fams,
				sizeof(fams))
		    : "-");
}

static double rate(const struct model *m, const struct series *s)
{
	return m->meta.duration_ns ? (double)series_count(s) / (m->meta.duration_ns / 1e9) : 0;
}

static void print_row(FILE *f, const struct diff *d, const struct series_diff *sd)
{
	char typ[16], mde[16], p50[48], p99[48], cnt[48], err[32], x[16], name[160];
	const struct hist *hb = &sd->b->hist, *ha = &sd->a->hist;

	(void)d;
	if (sd->windowed)
		snprintf(typ, sizeof(typ), "%+.1f%%", sd->w[DIFF_W_P50].shift * 100);
	else if (sd->tested)
		snprintf(typ, sizeof(typ), "%+.1f%%*", sd->shift * 100);
	else
		snprintf(typ, sizeof(typ), "-");
	if (sd->windowed)
		snprintf(mde, sizeof(mde), "%.1f%%", sd->w[DIFF_W_P50].mde * 100);
	else
		snprintf(mde, sizeof(mde), "-");
	fmt_lat(hist_percentile(hb, 50), hist_percentile(ha, 50), p50, sizeof(p50));
	fmt_lat(hist_percentile(hb, 99), hist_percentile(ha, 99), p99, sizeof(p99));
	snprintf(cnt, sizeof(cnt), "%llu %s", (unsigned long long)series_count(sd->a),
		 fmt_pct((double)series_count(sd->b), (double)series_count(sd->a), x, sizeof(x)));
	snprintf(err, sizeof(err), "%.2f->%.2f", diff_error_rate(sd->b) * 100,
		 diff_error_rate(sd->a) * 100);
	fprintf(f, "%-9s %8s %7s  %-28s %-28s %-16s %-12s %s\n", verdict_name(sd->verdict), typ, mde,
		p50, p99, cnt, err, who(sd->b, name, sizeof(name)));
}

static void print_details(FILE *f, const struct diff *d, const struct series_diff *sd)
{
	char buf[64], x[24], y[24], name[160];
	const struct hist *hb = &sd->b->hist, *ha = &sd->a->hist;

	fprintf(f, "%s  %s\n", verdict_name(sd->verdict), who(sd->b, name, sizeof(name)));
	fprintf(f, "    %s\n", sd->why);
	for (int st = 0; st < DIFF_W_NSTATS; st++) {
		static const char *const nm[DIFF_W_NSTATS] = { "p50", "p90", "p99" };
		const struct diff_wtest *w = &sd->w[st];

		if (!w->tested)
			continue;
		fprintf(f,
			"    windows %s %+.1f%%, p %.2g (Holm), could see %.1f%%; %d+%d windows, "
			"%d+%d runs",
			nm[st], w->shift * 100, w->p_adj, w->mde * 100, w->nwin_b, w->nwin_a,
			w->nruns_b, w->nruns_a);
		if (w->noise >= 0)
			fprintf(f, ", run-to-run +-%.1f%%", w->noise * 100);
		fputc('\n', f);
	}
	fprintf(f,
		"    per request: typical %+.1f%% (Hodges-Lehmann), P(after slower) %.3f, p %.2g "
		"(Holm-adjusted; raw %.2g; not the verdict)\n",
		sd->shift * 100, sd->mwu.prob_slower, sd->p_adj, sd->mwu.p);
	fprintf(f, "    count %llu -> %llu %s, rate %.1f/s -> %.1f/s, errors %.2f%% -> %.2f%%\n",
		(unsigned long long)series_count(sd->b), (unsigned long long)series_count(sd->a),
		fmt_pct((double)series_count(sd->b), (double)series_count(sd->a), x, sizeof(x)),
		rate(d->b, sd->b), rate(d->a, sd->a), diff_error_rate(sd->b) * 100,
		diff_error_rate(sd->a) * 100);
	fprintf(f, "   ");
	for (int i = 0; i < 5; i++)
		fprintf(f, " %s %s |", slt_report_pct_names[i],
			fmt_lat(hist_percentile(hb, slt_report_pcts[i]),
				hist_percentile(ha, slt_report_pcts[i]), buf, sizeof(buf)));
	fprintf(f, " mean %s -> %s\n", fmt_ns(hist_mean(hb), x, sizeof(x)),
		fmt_ns(hist_mean(ha), y, sizeof(y)));
}

static void print_lonely(FILE *f, const char *title, const struct series *const *v, int n)
{
	char x[24], y[24], name[160];

	if (!n)
		return;
	fprintf(f, "\n%s (%d):\n", title, n);
	for (int i = 0; i < n; i++)
		fprintf(f, "  %s: count %llu, p50 %s, p99 %s\n", who(v[i], name, sizeof(name)),
			(unsigned long long)series_count(v[i]),
			slt_fmt_duration(hist_percentile(&v[i]->hist, 50), x, sizeof(x)),
			slt_fmt_duration(hist_percentile(&v[i]->hist, 99), y, sizeof(y)));
}

/* --- SLA verdicts side by side, from each report's "sla" object as
 * docs/sla.md describes it: objectives matched by name --- */

static struct json_object *jget(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, k, &v)
		   ? v
		   : NULL;
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v = jget(o, k);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* "pass", "fail", "no_data" (or what a newer writer says) */
static const char *sla_status(struct json_object *o)
{
	const char *s = jstr(o, "status");
	struct json_object *v;

	if (!s)
		s = jstr(o, "verdict");
	if (s)
		return s;
	v = jget(o, "passed");
	if (v && json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? "pass" : "fail";
	return "unknown";
}

static const char *sla_name(struct json_object *o)
{
	const char *s = jstr(o, "name");

	return s ? s : jstr(o, "objective");
}

static struct json_object *sla_objectives(struct json_object *sla)
{
	struct json_object *v = jget(sla, "objectives");

	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

static struct json_object *sla_find(struct json_object *arr, const char *name)
{
	for (size_t i = 0, n = arr ? json_object_array_length(arr) : 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *k = sla_name(o);

		if (k && !strcmp(k, name))
			return o;
	}
	return NULL;
}

/* calls cb for every objective in either report, before's order first */
static void sla_walk(const struct diff *d,
		     void (*cb)(const char *name, struct json_object *b, struct json_object *a,
				void *ctx),
		     void *ctx)
{
	struct json_object *ob = sla_objectives(d->sla_b), *oa = sla_objectives(d->sla_a);

	for (size_t i = 0, n = ob ? json_object_array_length(ob) : 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(ob, i);
		const char *k = sla_name(o);

		if (k)
			cb(k, o, sla_find(oa, k), ctx);
	}
	for (size_t i = 0, n = oa ? json_object_array_length(oa) : 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(oa, i);
		const char *k = sla_name(o);

		if (k && !sla_find(ob, k))
			cb(k, NULL, o, ctx);
	}
}

/* "FAIL 12.45ms", "PASS 99.95%", "NO DATA", "-" when absent */
static const char *sla_cell(struct json_object *o, char *buf, size_t len)
{
	struct json_object *v = jget(o, "value");
	const char *unit = jstr(o, "unit"), *st;
	char word[16], val[32] = "";
	size_t i;

	if (!o)
		return "-";
	st = sla_status(o);
	for (i = 0; st[i] && i < sizeof(word) - 1; i++)
		word[i] = st[i] == '_' ? ' ' : (st[i] >= 'a' && st[i] <= 'z' ? st[i] - 32 : st[i]);
	word[i] = '\0';
	if (v &&
	    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))) {
		double x = json_object_get_double(v);

		if (unit && !strcmp(unit, "ns"))
			fmt_ns(x, val, sizeof(val));
		else if (unit && !strcmp(unit, "ratio"))
			snprintf(val, sizeof(val), "%.3f%%", x * 100);
		else if (unit && !strcmp(unit, "per_s"))
			snprintf(val, sizeof(val), "%.1f/s", x);
		else
			snprintf(val, sizeof(val), "%.6g", x);
	}
	snprintf(buf, len, "%s%s%s", word, *val ? " " : "", val);
	return diff_safe(buf, buf, len);
}

static void sla_print_cb(const char *name, struct json_object *b, struct json_object *a, void *ctx)
{
	char x[64], y[64], n[128];

	fprintf(ctx, "  %-20s %-20s %s\n", sla_cell(b, x, sizeof(x)), sla_cell(a, y, sizeof(y)),
		diff_safe(name, n, sizeof(n)));
}

static void print_sla(FILE *f, const struct diff *d)
{
	char x[64], y[64];

	if (!d->sla_b || !d->sla_a)
		return;
	fprintf(f, "\nSLA: %s -> %s\n  %-20s %-20s %s\n", diff_safe(sla_status(d->sla_b), x, sizeof(x)),
		diff_safe(sla_status(d->sla_a), y, sizeof(y)), "BEFORE", "AFTER", "OBJECTIVE");
	sla_walk(d, sla_print_cb, f);
}

static void print_gates(FILE *f, const struct diff *d)
{
	for (int g = 0; g < d->ngates; g++) {
		const struct diff_gate *gt = &d->gates[g];
		char name[160];
		int shown = 0;

		fprintf(f, "%s--fail-on '%s': %s", g ? "" : "\n", gt->expr,
			gt->nfailed ? "FAILED" : "passed");
		for (int k = 0; k < d->n; k++) {
			const struct series_diff *sd = &d->v[k];
			double c;

			if (!(sd->gates_failed & (1u << g)))
				continue;
			c = diff_gate_change(gt, sd);
			if (shown++ == 5) {
				fprintf(f, " and %d more", gt->nfailed - 5);
				break;
			}
			fprintf(f, "%s %s (", shown > 1 ? "," : ":",
				who(sd->b, name, sizeof(name)));
			if (gt->relative && isinf(c))
				fprintf(f, "new");
			else if (gt->relative)
				fprintf(f, "%+.1f%s", c,
					gt->metric == DIFF_M_ERROR_RATE ? " points" : "%");
			else if (gt->metric == DIFF_M_COUNT)
				fprintf(f, "%+.0f", c);
			else
				fprintf(f, "%s%.3fms", c < 0 ? "-" : "+", fabs(c) / 1e6);
			fprintf(f, ", %s)", verdict_name(sd->verdict));
		}
		fputc('\n', f);
	}
}

void print_diff_plain(FILE *f, const struct diff *d, int top)
{
	int counts[3] = { 0 }, shown = 0;

	for (int k = 0; k < d->n; k++)
		counts[diff_verdict_rank(d->v[k].verdict)]++;
	fprintf(f, "slatrace diff\n");
	print_side(f, "before", d->b_name, d->b);
	print_side(f, "after", d->a_name, d->a);
	for (int w = 0; w < d->nwarnings; w++)
		fprintf(f, "warning: %s\n", d->warnings[w]);
	fprintf(f, "\n%d slower, %d faster, %d unchanged; %d appeared, %d vanished\n", counts[0],
		counts[1], counts[2], d->nappeared, d->nvanished);
	fprintf(f,
		"(Welch's t on the log p50 of each run's windows, %s; Holm-corrected over %d "
		"series to alpha %g; the typical request must move %g%% or more)\n",
		d->nruns_b > 1 || d->nruns_a > 1 ? "runs as replicates where they vary more"
						 : "windows as replicates",
		d->nwtests, d->opts.alpha, d->opts.min_effect * 100);
	if (d->noise_floor >= 0)
		fprintf(f, "noise floor on this host: +-%.1f%% on the typical request (sd of a run's "
			   "p50 between runs; %d run%s before, %d after)\n",
			d->noise_floor * 100, d->nruns_b, d->nruns_b > 1 ? "s" : "", d->nruns_a);
	else
		fprintf(f, "run-to-run noise not measured: one run a side; several runs a side "
			   "(A1 A2 -- B1 B2) measure it\n");
	if (d->not_comparable) {
		fprintf(f,
			"NOT COMPARABLE because %s: another load ran during one side, so no "
			"verdicts and no latency gates\n",
			d->because);
	} else if (d->cpu_differs) {
		char x[32], wb[32], wa[32];

		fprintf(f,
			"CPU AVAILABILITY DIFFERED: %s. The target waited %s for a CPU each "
			"time it was put on one before, %s after: a typical request shorter "
			"than %s (%.0f such waits for %g%%) could have moved by the host's "
			"doing, so %d series %s no verdict and no latency gate\n",
			d->because, slt_fmt_duration((uint64_t)d->wait_in_b, wb, sizeof(wb)),
			slt_fmt_duration((uint64_t)d->wait_in_a, wa, sizeof(wa)),
			slt_fmt_duration((uint64_t)d->exposed_below_ns, x, sizeof(x)),
			SLT_DIFF_EXPOSURE_WAITS, d->opts.min_effect * 100, d->nexposed,
			d->nexposed == 1 ? "gets" : "get");
	}
	if (d->nunwindowed)
		fprintf(f, "no windows: %d series compared by the per-request test only, not "
			   "noise-robust; no latency gate fires on them\n",
			d->nunwindowed);
	if (d->n) {
		fprintf(f, "\n%-9s %8s %7s  %-28s %-28s %-16s %-12s %s\n", "VERDICT", "TYPICAL", "MDE",
			"P50", "P99", "COUNT", "ERR% B->A", "SERIES");
		for (int k = 0; k < d->n; k++) {
			if (d->v[k].verdict == DIFF_UNCHANGED && top && shown >= top) {
				fprintf(f, "... and %d more unchanged (--top 0 shows all)\n",
					d->n - k);
				break;
			}
			print_row(f, d, &d->v[k]);
			shown += d->v[k].verdict == DIFF_UNCHANGED;
		}
	}
	if (counts[0] + counts[1])
		fputc('\n', f);
	for (int k = 0; k < d->n && d->v[k].verdict != DIFF_UNCHANGED; k++)
		print_details(f, d, &d->v[k]);
	print_lonely(f, "appeared in after", d->appeared, d->nappeared);
	print_lonely(f, "vanished from after", d->vanished, d->nvanished);
	print_sla(f, d);
	print_gates(f, d);
}

/* ------------------------------------------------------------------ JSON */

static void jadd(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static struct json_object *jnum(double v)
{
	/* JSON has no infinity: a change from nothing is null */
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

static struct json_object *pair_u64(uint64_t b, uint64_t a)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "before", json_object_new_uint64(b));
	jadd(o, "after", json_object_new_uint64(a));
	jadd(o, "change", json_object_new_int64((int64_t)(a - b)));
	jadd(o, "change_pct", jnum(diff_rel_change((double)b, (double)a) * 100));
	return o;
}

static struct json_object *pair_double(double b, double a, int pct)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "before", json_object_new_double(b));
	jadd(o, "after", json_object_new_double(a));
	jadd(o, "change", json_object_new_double(a - b));
	if (pct)
		jadd(o, "change_pct", jnum(diff_rel_change(b, a) * 100));
	return o;
}

static struct json_object *series_ref(const struct series *s)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "family", json_object_new_string(s->family));
	jadd(o, "name", json_object_new_string(s->name));
	return o;
}

static struct json_object *series_diff_json(const struct diff *d, const struct series_diff *sd)
{
	struct json_object *o = series_ref(sd->b), *lat = json_object_new_object(), *t, *g;
	const struct hist *hb = &sd->b->hist, *ha = &sd->a->hist;

	jadd(o, "verdict", json_object_new_string(verdict_name(sd->verdict)));
	jadd(o, "why", json_object_new_string(sd->why));
	jadd(o, "comparable", json_object_new_boolean(!sd->exposed));
	jadd(o, "impact_ns", json_object_new_double(sd->impact_ns));
	jadd(o, "count", pair_u64(series_count(sd->b), series_count(sd->a)));
	jadd(o, "rate_per_s", pair_double(rate(d->b, sd->b), rate(d->a, sd->a), 1));
	t = pair_double(diff_error_rate(sd->b), diff_error_rate(sd->a), 0);
	jadd(t, "p", json_object_new_double(sd->err_p));
	jadd(t, "p_adjusted", json_object_new_double(sd->err_p_adj));
	jadd(o, "error_rate", t);
	for (int i = 0; i < 5; i++)
		jadd(lat, slt_report_pct_names[i],
		     pair_u64(hist_percentile(hb, slt_report_pcts[i]),
			      hist_percentile(ha, slt_report_pcts[i])));
	jadd(o, "latency_ns", lat);
	jadd(o, "mean_ns", pair_double(hist_mean(hb), hist_mean(ha), 1));
	t = json_object_new_object();
	jadd(t, "tested", json_object_new_boolean(sd->tested));
	jadd(t, "typical_change_pct", json_object_new_double(sd->shift * 100));
	jadd(t, "prob_slower", json_object_new_double(sd->mwu.prob_slower));
	jadd(t, "u", json_object_new_double(sd->mwu.u));
	jadd(t, "z", json_object_new_double(sd->mwu.z));
	jadd(t, "p", json_object_new_double(sd->mwu.p));
	jadd(t, "p_adjusted", json_object_new_double(sd->p_adj));
	jadd(o, "test", t);
	jadd(o, "basis", json_object_new_string(sd->windowed ? "windows" : "per_request"));
	jadd(o, "mde_pct", sd->windowed ? json_object_new_double(sd->w[DIFF_W_P50].mde * 100) : NULL);
	t = json_object_new_object();
	for (int st = 0; st < DIFF_W_NSTATS; st++) {
		static const char *const nm[DIFF_W_NSTATS] = { "p50", "p90", "p99" };
		const struct diff_wtest *w = &sd->w[st];
		struct json_object *x = json_object_new_object();

		jadd(x, "tested", json_object_new_boolean(w->tested));
		jadd(x, "change_pct", jnum(w->shift * 100));
		jadd(x, "p", jnum(w->p));
		jadd(x, "p_adjusted", jnum(w->p_adj));
		jadd(x, "mde_pct", w->tested ? jnum(w->mde * 100) : NULL);
		jadd(x, "t", jnum(w->t));
		jadd(x, "df", jnum(w->df));
		jadd(x, "variance_from",
		     json_object_new_string(w->by_runs    ? "runs"
					    : w->by_drift ? "one_run_drift"
							  : "windows"));
		jadd(x, "windows_before", json_object_new_int(w->nwin_b));
		jadd(x, "windows_after", json_object_new_int(w->nwin_a));
		jadd(x, "runs_before", json_object_new_int(w->nruns_b));
		jadd(x, "runs_after", json_object_new_int(w->nruns_a));
		jadd(x, "run_noise_pct", w->noise >= 0 ? jnum(w->noise * 100) : NULL);
		jadd(t, nm[st], x);
	}
	jadd(o, "windows", t);
	g = json_object_new_array();
	for (int i = 0; i < d->ngates; i++)
		if (sd->gates_failed & (1u << i))
			json_object_array_add(g, json_object_new_string(d->gates[i].expr));
	jadd(o, "failed_gates", g);
	return o;
}

static struct json_object *side_json(const char *name, const struct model *m)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "file", json_object_new_string(name));
	jadd(o, "host", json_object_new_string(m->meta.host));
	jadd(o, "kernel", json_object_new_string(m->meta.kernel));
	jadd(o, "target", json_object_new_string(m->meta.target));
	jadd(o, "start_unix_ns", json_object_new_uint64(m->meta.start_realtime_ns));
	jadd(o, "duration_s", json_object_new_double(m->meta.duration_ns / 1e9));
	return o;
}

static struct json_object *lonely_json(const struct series *const *v, int n)
{
	struct json_object *arr = json_object_new_array();

	for (int i = 0; i < n; i++) {
		struct json_object *o = series_ref(v[i]);

		jadd(o, "count", json_object_new_uint64(series_count(v[i])));
		jadd(o, "p50_ns", json_object_new_uint64(hist_percentile(&v[i]->hist, 50)));
		jadd(o, "p99_ns", json_object_new_uint64(hist_percentile(&v[i]->hist, 99)));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *sla_side_json(struct json_object *o)
{
	struct json_object *r, *v;

	if (!o)
		return NULL;
	r = json_object_new_object();
	jadd(r, "status", json_object_new_string(sla_status(o)));
	v = jget(o, "value");
	jadd(r, "value", v ? json_object_get(v) : NULL);
	return r;
}

static void sla_json_cb(const char *name, struct json_object *b, struct json_object *a, void *ctx)
{
	struct json_object *o = json_object_new_object();

	jadd(o, "name", json_object_new_string(name));
	jadd(o, "before", sla_side_json(b));
	jadd(o, "after", sla_side_json(a));
	json_object_array_add(ctx, o);
}

struct json_object *diff_json(const struct diff *d)
{
	struct json_object *root = json_object_new_object(), *o, *arr;

	jadd(root, "schema", json_object_new_string(SLT_DIFF_SCHEMA));
	jadd(root, "before", side_json(d->b_name, d->b));
	jadd(root, "after", side_json(d->a_name, d->a));
	arr = json_object_new_array();
	for (int w = 0; w < d->nwarnings; w++)
		json_object_array_add(arr, json_object_new_string(d->warnings[w]));
	jadd(root, "warnings", arr);
	o = json_object_new_object();
	jadd(o, "name", json_object_new_string("welch-t-log-window-statistics"));
	jadd(o, "per_request", json_object_new_string("mann-whitney-u"));
	jadd(o, "effect", json_object_new_string("ratio-of-geometric-means-of-window-p50"));
	jadd(o, "runs_before", json_object_new_int(d->nruns_b));
	jadd(o, "runs_after", json_object_new_int(d->nruns_a));
	jadd(o, "noise_floor_pct", d->noise_floor >= 0 ? jnum(d->noise_floor * 100) : NULL);
	jadd(o, "series_without_windows", json_object_new_int(d->nunwindowed));
	jadd(o, "cpu_pressure_pct_before", d->pressure_b >= 0 ? jnum(d->pressure_b) : NULL);
	jadd(o, "cpu_pressure_pct_after", d->pressure_a >= 0 ? jnum(d->pressure_a) : NULL);
	jadd(o, "target_runq_wait_pct_before",
	     d->runq_w_b >= 0 ? jnum(d->runq_w_b * 100 / (1 + d->runq_w_b)) : NULL);
	jadd(o, "target_runq_wait_pct_after",
	     d->runq_w_a >= 0 ? jnum(d->runq_w_a * 100 / (1 + d->runq_w_a)) : NULL);
	jadd(o, "target_wait_per_sched_in_ns_before", d->wait_in_b >= 0 ? jnum(d->wait_in_b) : NULL);
	jadd(o, "target_wait_per_sched_in_ns_after", d->wait_in_a >= 0 ? jnum(d->wait_in_a) : NULL);
	jadd(o, "comparable", json_object_new_boolean(!d->not_comparable));
	jadd(o, "not_comparable_because",
	     d->not_comparable ? json_object_new_string(d->because) : NULL);
	jadd(o, "cpu_availability_differs", json_object_new_boolean(d->cpu_differs));
	jadd(o, "cpu_availability_because",
	     d->cpu_differs ? json_object_new_string(d->because) : NULL);
	jadd(o, "exposed_below_ns",
	     d->cpu_differs && !d->not_comparable ? jnum(d->exposed_below_ns) : NULL);
	jadd(o, "series_not_comparable", json_object_new_int(d->nexposed));
	jadd(o, "mde_power", json_object_new_double(0.8));
	jadd(o, "correction", json_object_new_string("holm"));
	jadd(o, "alpha", json_object_new_double(d->opts.alpha));
	jadd(o, "min_effect_pct", json_object_new_double(d->opts.min_effect * 100));
	jadd(o, "tests", json_object_new_int(d->nwtests));
	jadd(o, "per_request_tests", json_object_new_int(d->ntests));
	jadd(root, "test", o);
	arr = json_object_new_array();
	for (int k = 0; k < d->n; k++)
		json_object_array_add(arr, series_diff_json(d, &d->v[k]));
	jadd(root, "series", arr);
	jadd(root, "appeared", lonely_json(d->appeared, d->nappeared));
	jadd(root, "vanished", lonely_json(d->vanished, d->nvanished));
	if (d->sla_b && d->sla_a) {
		o = json_object_new_object();
		jadd(o, "before", json_object_new_string(sla_status(d->sla_b)));
		jadd(o, "after", json_object_new_string(sla_status(d->sla_a)));
		arr = json_object_new_array();
		sla_walk(d, sla_json_cb, arr);
		jadd(o, "objectives", arr);
		jadd(root, "sla", o);
	}
	arr = json_object_new_array();
	for (int g = 0; g < d->ngates; g++) {
		o = json_object_new_object();
		jadd(o, "expr", json_object_new_string(d->gates[g].expr));
		jadd(o, "failed", json_object_new_int(d->gates[g].nfailed));
		json_object_array_add(arr, o);
	}
	jadd(root, "gates", arr);
	jadd(root, "regression", json_object_new_boolean(diff_gates_failed(d) > 0));
	return root;
}
