// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* slatrace trace: attach the selected probe families to a target, run until
 * the duration ends, the command or every -p process exits, or
 * Ctrl-C/SIGTERM/SIGHUP, then report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ctype.h>
#include <sys/utsname.h>
#include "cmd/cmd.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/runner.h"
#include "core/session.h"
#include "probes/probe.h"
#include "report/report.h"
#include "analysis/sla.h"
#include "core/hook.h"
#include <json-c/json.h>

#define MAX_FAMILIES 16
#define MAX_FAMILY_OPTS 64

enum {
	OPT_CGROUP = 256,
	OPT_JSON,
	OPT_TOP,
	OPT_SLA,
	OPT_SLA_FILE,
	OPT_WINDOW,
	OPT_ON_BREACH,
	OPT_BREACH_TIMEOUT,
	OPT_KEEP_GOING,
	OPT_FAMILY, /* --<family>: one per probe table entry, in order */
	OPT_FAMILY_OPT = OPT_FAMILY + MAX_FAMILIES, /* a family's own options, in order */
};

static const struct opt_help base_opts[] = {
	{ { "pid", required_argument, NULL, 'p' }, 'p', "PID[,PID...]",
	  "trace these processes (all their threads)" },
	{ { "comm", required_argument, NULL, 'c' }, 'c', "COMM",
	  "trace every process whose name (comm, 15 chars) is COMM" },
	{ { "cgroup", required_argument, NULL, OPT_CGROUP }, 0, "PATH",
	  "trace the processes in a cgroup v2 and its descendants" },
	{ { "duration", required_argument, NULL, 'd' }, 'd', "DURATION",
	  "stop after DURATION (250ms, 10s, 5m); default: until Ctrl-C or CMD exits" },
	{ { "keep-going", no_argument, NULL, OPT_KEEP_GOING }, 0, NULL,
	  "with -p: keep tracing after every target has exited (default: the run ends)" },
	{ { "interval", required_argument, NULL, 'i' }, 'i', "INTERVAL",
	  "also print a report of each INTERVAL while tracing" },
	{ { "json", required_argument, NULL, OPT_JSON }, 0, "FILE",
	  "write the report as JSON to FILE, atomically (a regular file or a new path; - is stdout)" },
	{ { "top", required_argument, NULL, OPT_TOP }, 0, "N",
	  "rows in the text table (default 20, 0 = all)" },
	{ { "sla", required_argument, NULL, OPT_SLA }, 0, "'[SEL:] METRIC OP BOUND'",
	  "an objective, e.g. 'GET /api/*: p99 < 200ms', 'availability >= 99.9%' (repeatable)" },
	{ { "sla-file", required_argument, NULL, OPT_SLA_FILE }, 0, "FILE",
	  "objectives from a JSON file (docs/sla.md)" },
	{ { "window", required_argument, NULL, OPT_WINDOW }, 0, "DURATION",
	  "also judge objectives over windows of DURATION (default 10s with --sla)" },
	{ { "on-breach", required_argument, NULL, OPT_ON_BREACH }, 0, "CMD",
	  "run CMD (sh -c) once per breach, the breach as JSON on stdin and in SLATRACE_*" },
	{ { "breach-timeout", required_argument, NULL, OPT_BREACH_TIMEOUT }, 0, "DURATION",
	  "kill a breach hook still running after DURATION (default 10s)" },
	{ { "verbose", no_argument, NULL, 'v' }, 'v', NULL, "show libbpf's messages" },
	{ { "help", no_argument, NULL, 'h' }, 'h', NULL, "show this help" },
	{ { NULL, 0, NULL, 0 }, 0, NULL, NULL },
};

/* a family's own option, by its getopt value less OPT_FAMILY_OPT */
struct family_opt {
	int fam; /* index in slt_probes */
	const struct probe_opt *o;
};

/* The option table: the generic options, a --<family> flag per family,
 * then every family's own options (core/probe.h), so getopt_long, --help
 * and the one-line errors all read the same table. */
static struct opt_help *build_opts(struct family_opt *fo, int *nfo)
{
	size_t nbase = sizeof(base_opts) / sizeof(base_opts[0]) - 1, nfam = 0, k, n;
	struct opt_help *o;

	*nfo = 0;
	while (slt_probes[nfam] && nfam < MAX_FAMILIES)
		nfam++;
	for (k = 0; k < nfam; k++)
		for (const struct probe_opt *p = slt_probes[k]->options; p && p->name; p++)
			if (*nfo < MAX_FAMILY_OPTS)
				fo[(*nfo)++] = (struct family_opt){ (int)k, p };
	o = calloc(nbase + nfam + *nfo + 1, sizeof(*o));
	if (!o)
		return NULL;
	memcpy(o, base_opts, nbase * sizeof(*o));
	for (k = 0; k < nfam; k++) {
		o[nbase + k].opt.name = slt_probes[k]->name;
		o[nbase + k].opt.has_arg = no_argument;
		o[nbase + k].opt.val = OPT_FAMILY + (int)k;
		o[nbase + k].help = slt_probes[k]->summary;
	}
	for (n = nbase + nfam, k = 0; k < (size_t)*nfo; k++, n++) {
		o[n].opt.name = fo[k].o->name;
		o[n].opt.has_arg = fo[k].o->has_arg;
		o[n].opt.val = OPT_FAMILY_OPT + (int)k;
		o[n].arg = fo[k].o->metavar;
		o[n].help = fo[k].o->help;
	}
	return o;
}

static void print_option(FILE *f, const struct opt_help *o)
{
	struct opt_help one[2];

	memset(one, 0, sizeof(one));
	one[0] = *o;
	cmd_print_options(f, one);
}

static void usage(FILE *f, const struct opt_help *opts, const struct family_opt *fo)
{
	fprintf(f, "usage: slatrace trace [-p PID[,PID...] | -c COMM | --cgroup PATH] [options]\n"
		   "       slatrace trace [options] -- CMD [ARGS...]\n\n"
		   "Attach eBPF probes to a target and report, per probe family, how long its\n"
		   "work takes: counts, errors, total time and latency percentiles from\n"
		   "histograms kept in the kernel. With no target, every process on the host\n"
		   "except slatrace itself is traced. With -- CMD, slatrace starts CMD, traces it\n"
		   "and all its children from its first instruction, and stops when it exits;\n"
		   "with -p, the run ends when every process listed has exited.\n"
		   "Ctrl-C, SIGTERM or SIGHUP ends a run early; the full report is still\n"
		   "printed and the JSON file still written.\n\n"
		   "options:\n");
	while (opts->opt.name && opts->opt.val < OPT_FAMILY_OPT)
		print_option(f, opts++);
	/* each family's own options, under its name */
	for (int i = 0; slt_probes[i] && i < MAX_FAMILIES; i++) {
		int said = 0;

		for (const struct opt_help *o = opts; o->opt.name; o++) {
			if (fo[o->opt.val - OPT_FAMILY_OPT].fam != i)
				continue;
			if (!said++)
				fprintf(f, "\n%s options:\n", slt_probes[i]->name);
			print_option(f, o);
		}
	}
	fprintf(f, "\nprobe families (none given: ");
	for (int i = 0, first = 1; slt_probes[i]; i++)
		if (slt_probes[i]->default_on) {
			fprintf(f, "%s--%s", first ? "" : " ", slt_probes[i]->name);
			first = 0;
		}
	fprintf(f, ", the cheap default set)\n\n"
		   "examples:\n"
		   "  slatrace trace -- ls -R /usr\n"
		   "  slatrace trace -p 1234 -d 30s --json before.json\n"
		   "  slatrace trace -c nginx -i 1s\n\n"
		   "  slatrace trace -p 1234 --sla 'GET /api/*: p99 < 200ms' --sla 'availability >= 99.9%%'\n"
		   "      --window 10s --on-breach 'logger -t slo' -d 5m\n\n"
		   "exit status: 0 ok (every objective passed), 1 the kernel or environment refused,\n"
		   "2 usage error, 3 an objective failed or had no data\n");
}

static void fill_meta(struct run_meta *r, const struct target_spec *t)
{
	struct utsname u;

	if (gethostname(r->host, sizeof(r->host) - 1))
		snprintf(r->host, sizeof(r->host), "unknown");
	if (!uname(&u))
		snprintf(r->kernel, sizeof(r->kernel), "%s", u.release);
	session_describe_target(t, r->target, sizeof(r->target));
}

/* SLA objectives judged over the run and over fixed windows, and the hook
 * run once per breach episode */
struct sla_run {
	struct sla_set set;
	struct sla_tracker *tracker;
	struct hooks *hooks;
	const char *on_breach;
	uint64_t window_ns, breach_timeout_ns;
	uint64_t window_start_real;	/* CLOCK_REALTIME, for hooks and JSON */
	uint64_t window_start_mono;
	struct model *window_prev;	/* the model at the window's start */
	struct sla_result *results;	/* the whole run's */
};

static void sla_run_free(struct sla_run *r)
{
	sla_tracker_free(r->tracker);
	hooks_free(r->hooks);
	model_free(r->window_prev);
	free(r->results);
	sla_set_clear(&r->set);
}

static void run_breach_hooks(struct sla_run *r, struct sla_breach *b, int n)
{
	char env[SLA_ENV_N][SLA_ENV_LEN];

	for (int i = 0; i < n; i++) {
		struct json_object *j = sla_breach_json(&b[i]);
		int nenv = sla_breach_env(&b[i], env, SLA_ENV_N);
		const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
		char v[64];

		fprintf(stderr, "slatrace: breach: %s: %s in the window just ended\n", b[i].obj->text,
			sla_fmt_value(b[i].obj, b[i].result.value, v, sizeof(v)));
		if (r->hooks) {
			int err = hooks_run(r->hooks, text, env, nenv);

			if (err)
				slt_warn("cannot run the breach hook: %s", strerror(-err));
		}
		json_object_put(j);
	}
}

/* close the window that ends now: judge it, fire hooks on new breaches */
static int sla_run_window(struct sla_run *r, struct model *m, uint64_t now_mono)
{
	struct sla_breach *b;
	struct model *d;
	uint64_t now_real = slt_realtime_ns();
	int n;

	d = model_delta(m, r->window_prev);
	b = calloc(r->set.n ? r->set.n : 1, sizeof(*b));
	if (!d || !b) {
		model_free(d);
		free(b);
		return -ENOMEM;
	}
	d->meta.duration_ns = now_mono - r->window_start_mono;
	n = sla_tracker_window(r->tracker, d, r->window_start_real, now_real, b, r->set.n);
	run_breach_hooks(r, b, n);
	free(b);
	model_free(d);
	model_free(r->window_prev);
	r->window_prev = model_clone(m);
	r->window_start_real = now_real;
	r->window_start_mono = now_mono;
	return r->window_prev ? 0 : -ENOMEM;
}

static void print_sla_section(FILE *f, void *ctx)
{
	struct sla_run *r = ctx;

	print_sla_plain(f, &r->set, r->results, r->tracker);
}

/* everything the command line says */
struct trace_args {
	struct target_spec t;
	int ntargets;
	uint64_t duration_ns, interval_ns, top;
	const char *json_path;
	int keep_going, window_given;
	struct sla_run *sla;
	int want[MAX_FAMILIES], any_want;
	const char *opt_given[MAX_FAMILIES]; /* a family option given: its name */
	void *fopts[MAX_FAMILIES]; /* each family's options blob, by slt_probes index */
	struct family_opt fo[MAX_FAMILY_OPTS];
	int nfo;
	struct opt_help *opts;
	struct option *longopts;
	char shortopts[64];
};

static void trace_args_free(struct trace_args *a)
{
	for (int i = 0; i < MAX_FAMILIES; i++)
		free(a->fopts[i]);
	free(a->longopts);
	free(a->opts);
}

/* -1 when the run goes on, else the exit code (the error said) */
static int parse_args(struct trace_args *a, int argc, char **argv)
{
	char famerr[SLT_PROBE_ERR_MAX], slaerr[SLA_ERR_MAX];
	const char *lastarg = NULL;
	uint64_t v;
	int c, err;

	a->top = 20;
	a->opts = build_opts(a->fo, &a->nfo);
	if (!a->opts ||
	    cmd_getopt_tables(a->opts, &a->longopts, a->shortopts, sizeof(a->shortopts))) {
		slt_error("out of memory");
		return SLT_EXIT_FAIL;
	}
	for (int i = 0; slt_probes[i] && i < MAX_FAMILIES; i++) {
		if (!slt_probes[i]->opts_size)
			continue;
		a->fopts[i] = calloc(1, slt_probes[i]->opts_size);
		if (!a->fopts[i]) {
			slt_error("out of memory");
			return SLT_EXIT_FAIL;
		}
		if (slt_probes[i]->opts_init)
			slt_probes[i]->opts_init(a->fopts[i]);
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, a->shortopts, a->longopts, NULL)) != -1) {
		lastarg = optarg;
		switch (c) {
		case 'p':
			err = slt_parse_pid_list(optarg, a->t.pids,
						 (int)(sizeof(a->t.pids) / sizeof(a->t.pids[0])),
						 &a->t.npids);
			if (err)
				return cmd_usage_error("trace", "invalid PID list '%s'", optarg);
			a->ntargets++;
			break;
		case 'c':
			if (!*optarg)
				return cmd_usage_error("trace", "empty process name for -c");
			if (strlen(optarg) >= SLT_COMM_LEN)
				slt_warn("'%s' is longer than the kernel's 15-character comm: "
					 "matching its first 15 characters",
					 optarg);
			snprintf(a->t.comm, sizeof(a->t.comm), "%s", optarg);
			a->ntargets++;
			break;
		case OPT_CGROUP:
			a->t.cgroup = optarg;
			a->ntargets++;
			break;
		case 'd':
			if (slt_parse_duration(optarg, &a->duration_ns) || !a->duration_ns)
				return cmd_usage_error("trace",
						       "invalid duration '%s' (examples: 500ms, 10s, 2m)",
						       optarg);
			break;
		case 'i':
			if (slt_parse_duration(optarg, &a->interval_ns) || a->interval_ns < 10000000)
				return cmd_usage_error(
					"trace", "invalid interval '%s' (at least 10ms; examples: 1s, 500ms)",
					optarg);
			break;
		case OPT_JSON:
			a->json_path = optarg;
			break;
		case OPT_SLA:
			if (sla_set_add_expr(&a->sla->set, optarg, slaerr, sizeof(slaerr))) {
				fprintf(stderr, "error: %s\n", slaerr);
				return SLT_EXIT_USAGE;
			}
			break;
		case OPT_SLA_FILE:
			if (sla_load_file(&a->sla->set, optarg, slaerr, sizeof(slaerr))) {
				fprintf(stderr, "error: %s\n", slaerr);
				return SLT_EXIT_USAGE;
			}
			break;
		case OPT_WINDOW:
			if (slt_parse_duration(optarg, &a->sla->window_ns) ||
			    a->sla->window_ns < 100000000)
				return cmd_usage_error(
					"trace", "invalid window '%s' (at least 100ms; examples: 10s, 1m)",
					optarg);
			a->window_given = 1;
			break;
		case OPT_ON_BREACH:
			if (!*optarg)
				return cmd_usage_error("trace", "empty --on-breach command");
			a->sla->on_breach = optarg;
			break;
		case OPT_BREACH_TIMEOUT:
			if (slt_parse_duration(optarg, &a->sla->breach_timeout_ns) ||
			    !a->sla->breach_timeout_ns)
				return cmd_usage_error("trace", "invalid --breach-timeout '%s'", optarg);
			break;
		case OPT_TOP:
			if (slt_parse_u64(optarg, 0, 100000, &v))
				return cmd_usage_error("trace", "invalid --top '%s'", optarg);
			a->top = v;
			break;
		case OPT_KEEP_GOING:
			a->keep_going = 1;
			break;
		case 'v':
			slt_verbose = 1;
			break;
		case 'h':
			usage(stdout, a->opts, a->fo);
			return cmd_help_written();
		case ':':
		case '?':
			return cmd_option_error("trace", c, argc, argv, a->opts);
		default:
			if (c >= OPT_FAMILY_OPT && c < OPT_FAMILY_OPT + a->nfo) {
				const struct family_opt *f = &a->fo[c - OPT_FAMILY_OPT];

				if (f->o->parse(a->fopts[f->fam], optarg, famerr, sizeof(famerr)))
					return cmd_usage_error("trace", "%s", famerr);
				a->opt_given[f->fam] = f->o->name;
			} else if (c >= OPT_FAMILY && c < OPT_FAMILY + MAX_FAMILIES) {
				a->want[c - OPT_FAMILY] = 1;
				a->any_want = 1;
			}
			break;
		}
	}
	/* "--" ends the options; nothing after it would trace the whole host */
	if (optind == argc && optind > 1 && !strcmp(argv[optind - 1], "--") &&
	    argv[optind - 1] != lastarg)
		return cmd_usage_error("trace", "'--' needs a command after it (slatrace trace -- CMD "
						"[ARGS...])");
	if (optind < argc) {
		const char *arg = argv[optind];
		int digits = 1;

		for (const char *p = arg; *p; p++)
			digits &= isdigit((unsigned char)*p) != 0;
		if (digits && strcmp(argv[optind - 1], "--"))
			return cmd_usage_error("trace", "unexpected argument '%s' (a PID? use -p %s)",
					       arg, arg);
		a->t.cmd = &argv[optind];
		a->ntargets++;
	}
	if (a->ntargets > 1)
		return cmd_usage_error("trace", "give one target: -p, -c, --cgroup or -- CMD");
	/* an option of a family this run does not trace would be ignored */
	for (int i = 0; slt_probes[i] && i < MAX_FAMILIES; i++)
		if (a->opt_given[i] &&
		    (a->any_want ? !a->want[i] : !slt_probes[i]->default_on))
			return cmd_usage_error("trace",
					       "--%s is an option of the %s family, which this run "
					       "does not trace (add --%s)",
					       a->opt_given[i], slt_probes[i]->name,
					       slt_probes[i]->name);
	return -1;
}

/* what the command does at the runner's cuts (core/runner.h) */
struct trace_run {
	struct sla_run *sla;
	struct model *prev;	/* the model at the last interval's end */
	uint64_t last_interval;
};

static int on_start(void *ctx, struct model *m, uint64_t start)
{
	struct trace_run *tr = ctx;
	struct sla_run *sla = tr->sla;
	char fams[SLT_META_FAMILIES_MAX * 32];

	fprintf(stderr, "slatrace: tracing %s (%s); Ctrl-C to end\n", m->meta.target,
		run_meta_families_joined(&m->meta, fams, sizeof(fams)));
	tr->last_interval = start;
	if (!sla->set.n)
		return 0;
	sla->window_start_mono = start;
	sla->window_start_real = m->meta.start_realtime_ns;
	sla->window_prev = model_clone(m);
	return sla->window_prev ? 0 : -ENOMEM;
}

/* with -i: what the interval just ended measured */
static int on_interval(void *ctx, struct model *m, uint64_t now)
{
	struct trace_run *tr = ctx;
	struct text_opts io = { .top = 10, .interval = 1 };
	struct model *d = model_delta(m, tr->prev);

	if (d) {
		d->meta.duration_ns = now - tr->last_interval;
		print_report_plain(stdout, d, &io);
		fflush(stdout);
		model_free(d);
	}
	model_free(tr->prev);
	tr->prev = model_clone(m);
	tr->last_interval = now;
	return 0;
}

static int on_window(void *ctx, struct model *m, uint64_t now)
{
	struct trace_run *tr = ctx;

	return sla_run_window(tr->sla, m, now);
}

static void on_loop(void *ctx, uint64_t now)
{
	struct trace_run *tr = ctx;

	(void)now;
	if (tr->sla->hooks)
		hooks_reap(tr->sla->hooks);
}

/* the run is over: the last window, the verdicts, the hooks' counts */
static int sla_finish(struct sla_run *sla, struct model *m)
{
	uint64_t now = slt_now_ns();

	/* the last, partial window counts when it holds anything */
	if (now > sla->window_start_mono + sla->window_ns / 10 && sla_run_window(sla, m, now))
		return -ENOMEM;
	sla_evaluate_all(&sla->set, m, sla->results);
	for (int i = 0; i < sla->set.n; i++)
		if (sla->results[i].status == SLA_NO_DATA)
			slt_warn("objective '%s' matched no data: reported as NO DATA, which "
				 "is not a pass",
				 sla->set.obj[i].text);
	if (sla->hooks) {
		const struct hook_stats *hs;

		hooks_wait_all(sla->hooks);
		hs = hooks_stats(sla->hooks);
		model_stat_add(m, "breach_hooks_run", hs->started);
		model_stat_add(m, "breach_hooks_failed", hs->failed);
		model_stat_add(m, "breach_hooks_killed", hs->killed);
	}
	return 0;
}

/* the families that run: the ones named, or the default set (each of which
 * may be left out when it cannot run here) */
static void choose_families(struct runner *r, const struct trace_args *a,
			    struct session_opts *sopts)
{
	for (int i = 0; slt_probes[i] && r->nfam < SLT_RUNNER_MAX_FAMILIES; i++) {
		if (a->any_want ? !a->want[i] : !slt_probes[i]->default_on)
			continue;
		r->fam[r->nfam++] = (struct runner_family){ .ops = slt_probes[i],
							    .opts = a->fopts[i],
							    .optional = !a->any_want };
		if (slt_probes[i]->ringbuf_bytes > sopts->ringbuf_bytes)
			sopts->ringbuf_bytes = slt_probes[i]->ringbuf_bytes;
	}
}

int cmd_trace(int argc, char **argv)
{
	struct sla_run sla = { .breach_timeout_ns = 10000000000ull };
	struct trace_run tr = { .sla = &sla };
	struct runner run = { .t0 = slt_now_ns(), .ctx = &tr };
	struct trace_args *a = NULL;
	struct session sess = { 0 };
	struct session_opts sopts = { 0 };
	int session_opened = 0, usage_fault = 0;
	struct model *m = NULL;
	int err = 0, rc = SLT_EXIT_FAIL;

	a = calloc(1, sizeof(*a));
	if (!a) {
		slt_error("out of memory");
		goto cleanup;
	}
	a->sla = &sla;
	rc = parse_args(a, argc, argv);
	if (rc >= 0)
		goto cleanup;
	rc = SLT_EXIT_FAIL;
	choose_families(&run, a, &sopts);

	if (!sla.set.n && (a->window_given || sla.on_breach)) {
		rc = cmd_usage_error("trace", "%s needs objectives (--sla or --sla-file)",
				     a->window_given ? "--window" : "--on-breach");
		goto cleanup;
	}
	if (sla.set.n) {
		if (!a->window_given)
			sla.window_ns = 10000000000ull;
		sla.tracker = sla_tracker_new(&sla.set);
		sla.results = calloc(sla.set.n, sizeof(*sla.results));
		if (sla.on_breach)
			sla.hooks = hooks_new(sla.on_breach, sla.breach_timeout_ns);
		if (!sla.tracker || !sla.results || (sla.on_breach && !sla.hooks)) {
			slt_error("out of memory");
			goto cleanup;
		}
	}
	/* everything the user can get wrong is checked before tracing */
	if (a->json_path && report_json_check_path(a->json_path)) {
		rc = SLT_EXIT_USAGE;
		goto cleanup;
	}
	if (a->keep_going && !a->t.npids) {
		rc = cmd_usage_error("trace", "--keep-going needs -p (the other targets never end "
					      "the run)");
		goto cleanup;
	}
	if (a->t.cmd) {
		char path[4096];

		err = session_resolve_cmd(a->t.cmd[0], path, sizeof(path));
		if (err) {
			slt_error("cannot run '%s': %s", a->t.cmd[0], strerror(-err));
			goto cleanup;
		}
	}
	rc = cmd_need_privileges("trace");
	if (rc)
		goto cleanup;
	rc = SLT_EXIT_FAIL;

	m = model_new();
	if (!m) {
		slt_error("out of memory");
		goto cleanup;
	}
	err = session_open(&sess, &a->t, &sopts, m, &usage_fault);
	if (err) {
		rc = usage_fault ? SLT_EXIT_USAGE : SLT_EXIT_FAIL;
		goto cleanup;
	}
	session_opened = 1;
	for (int i = 0; i < a->t.npids; i++) {
		char comm[32];

		if (session_pid_is_kthread(a->t.pids[i], comm, sizeof(comm)))
			slt_warn("PID %u (%s) is a kernel thread: it makes no system calls and "
				 "serves no requests, so the syscalls and requests families will "
				 "see nothing from it",
				 a->t.pids[i], comm);
	}
	run.sess = &sess;
	run.m = m;
	if (runner_open(&run))
		goto cleanup;
	fill_meta(&m->meta, &a->t);
	for (int i = 0; i < run.nfam; i++)
		run_meta_add_family(&m->meta, run.fam[i].ops->name);

	run.duration_ns = a->duration_ns;
	run.interval_ns = a->interval_ns;
	run.window_ns = sla.set.n ? sla.window_ns : 0;
	run.keep_going = a->keep_going;
	run.windows = a->json_path != NULL;
	run.on_start = on_start;
	run.on_interval = on_interval;
	run.on_window = on_window;
	run.on_loop = on_loop;
	if (runner_run(&run))
		goto cleanup;
	if (sla.set.n && sla_finish(&sla, m))
		goto cleanup;
	{
		struct text_opts to = { .top = (int)a->top, .hist_top = 3 };

		if (sla.set.n) {
			to.after_header = print_sla_section;
			to.ctx = &sla;
		}
		/* with --json -, stdout carries the JSON alone */
		print_report_plain(a->json_path && !strcmp(a->json_path, "-") ? stderr : stdout, m,
				   &to);
	}
	rc = SLT_EXIT_OK;
	if (sla.set.n && sla_verdict(&sla.set, sla.results) != SLA_PASS)
		rc = SLT_EXIT_SLA;
	if (a->json_path &&
	    report_json_write_with(m, "sla",
				   sla.set.n ? sla_json(&sla.set, sla.results, sla.tracker) : NULL,
				   a->json_path))
		rc = SLT_EXIT_FAIL;
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			slt_error("cannot write the report: %s", strerror(errno));
		rc = SLT_EXIT_FAIL;
	}
cleanup:
	runner_close(&run);
	if (session_opened)
		session_close(&sess);
	if (sla.hooks)
		hooks_wait_all(sla.hooks);
	sla_run_free(&sla);
	model_free(tr.prev);
	model_free(m);
	if (a)
		trace_args_free(a);
	free(a);
	return rc;
}
