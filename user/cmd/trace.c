// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* slatrace trace: attach the selected probe families to a target, run until
 * the duration ends, the command or every -p process exits, or
 * Ctrl-C/SIGTERM/SIGHUP, then report. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ctype.h>
#include <sys/utsname.h>
#include "cmd/cmd.h"
#include "core/features.h"
#include "core/log.h"
#include "core/windows.h"
#include "core/pressure.h"
#include "core/runq.h"
#include "core/parse.h"
#include "core/session.h"
#include "probes/probe.h"
#include "report/report.h"
#include "slatrace/requests.h"
#include "proto/route.h"
#include "analysis/sla.h"
#include "core/hook.h"
#include <json-c/json.h>

#define MAX_FAMILIES 16

enum {
	OPT_CGROUP = 256,
	OPT_JSON,
	OPT_TOP,
	OPT_CAPTURE_BYTES,
	OPT_CAPTURE_QUERY,
	OPT_ROUTE,
	OPT_IGNORE_PATH,
	OPT_SEGMENT_LIMIT,
	OPT_MAX_CLASSES,
	OPT_PORT,
	OPT_SLA,
	OPT_SLA_FILE,
	OPT_WINDOW,
	OPT_ON_BREACH,
	OPT_BREACH_TIMEOUT,
	OPT_KEEP_GOING,
	OPT_FAMILY, /* --<family>: one per probe table entry, in order */
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
	{ { "port", required_argument, NULL, OPT_PORT }, 0, "PORT",
	  "requests: only connections on this local port" },
	{ { "capture-bytes", required_argument, NULL, OPT_CAPTURE_BYTES }, 0, "N",
	  "requests: bytes of each request kept for parsing (default 256, max 512)" },
	{ { "capture-query", no_argument, NULL, OPT_CAPTURE_QUERY }, 0, NULL,
	  "requests: keep the ?query part of HTTP paths (default: removed)" },
	{ { "route", required_argument, NULL, OPT_ROUTE }, 0, "PATTERN",
	  "requests: class matching paths as PATTERN ('/users/{id}', '/static/*'; repeatable)" },
	{ { "ignore-path", required_argument, NULL, OPT_IGNORE_PATH }, 0, "PATTERN",
	  "requests: count matching requests in ignored_requests, not in a class (repeatable)" },
	{ { "segment-limit", required_argument, NULL, OPT_SEGMENT_LIMIT }, 0, "N",
	  "requests: a path position past N distinct values becomes * (default 10, 0 = off)" },
	{ { "max-classes", required_argument, NULL, OPT_MAX_CLASSES }, 0, "N",
	  "requests: classes per process and port; the rest go to (other) (default 200)" },
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

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static struct opt_help *build_opts(void)
{
	size_t nbase = sizeof(base_opts) / sizeof(base_opts[0]) - 1, nfam = 0, k;
	struct opt_help *o;

	while (slt_probes[nfam])
		nfam++;
	o = calloc(nbase + nfam + 1, sizeof(*o));
	if (!o)
		return NULL;
	memcpy(o, base_opts, nbase * sizeof(*o));
	for (k = 0; k < nfam; k++) {
		o[nbase + k].opt.name = slt_probes[k]->name;
		o[nbase + k].opt.has_arg = no_argument;
		o[nbase + k].opt.val = OPT_FAMILY + (int)k;
		o[nbase + k].help = slt_probes[k]->summary;
	}
	return o;
}

static void usage(FILE *f, const struct opt_help *opts)
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
	cmd_print_options(f, opts);
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

static void fill_meta(struct run_meta *r, const struct target_spec *t, const char *fams)
{
	struct utsname u;

	if (gethostname(r->host, sizeof(r->host) - 1))
		snprintf(r->host, sizeof(r->host), "unknown");
	if (!uname(&u))
		snprintf(r->kernel, sizeof(r->kernel), "%s", u.release);
	session_describe_target(t, r->target, sizeof(r->target));
	snprintf(r->families, sizeof(r->families), "%s", fams);
}

/* On a failed load, say what the kernel lacks instead of a verifier dump. */
static void explain_missing(const struct probe_ops *p)
{
	struct feature_result res[SLT_FEAT_COUNT];
	unsigned have = features_probe_mask(p->needs, res);

	for (int i = 0; i < SLT_FEAT_COUNT; i++)
		if ((p->needs & res[i].bit) && !(have & res[i].bit))
			slt_error("the '%s' family needs %s, which this kernel refused: %s",
				  p->name, res[i].what, res[i].detail);
}

/* SLA objectives judged over the run and over fixed windows, and the hook
 * run once per breach episode */
struct sla_run {
	struct sla_set set;
	struct sla_tracker *tracker;
	struct hooks *hooks;
	const char *on_breach;
	uint64_t window_ns, breach_timeout_ns;
	uint64_t next_window;		/* CLOCK_MONOTONIC */
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

/* housekeeping of the families that want it, about once a second */
static int tick_all(const struct probe_ops **fam, void **state, int nfam, struct model *m,
		    uint64_t now)
{
	for (int i = 0; i < nfam; i++) {
		int err = fam[i]->tick ? fam[i]->tick(state[i], m, now) : 0;

		if (err) {
			slt_error("cannot settle the '%s' state: %s", fam[i]->name, slt_strerror(err));
			return err;
		}
	}
	return 0;
}

static int drain_all(const struct probe_ops **fam, void **state, int nfam, struct model *m)
{
	for (int i = 0; i < nfam; i++) {
		int err = fam[i]->drain(state[i], m);

		if (err) {
			slt_error("cannot read the '%s' maps: %s", fam[i]->name, slt_strerror(err));
			return err;
		}
	}
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	uint64_t t0 = slt_now_ns(), duration_ns = 0, interval_ns = 0, top = 20, v;
	const struct probe_ops *fam[MAX_FAMILIES];
	void *state[MAX_FAMILIES] = { 0 };
	int nfam = 0, want[MAX_FAMILIES] = { 0 }, any_want = 0;
	struct target_spec *t = NULL;
	struct session sess = { 0 };
	struct session_opts sopts = { .capture_bytes = 256,
				      .segment_limit = SLT_DEFAULT_SEGMENT_LIMIT,
				      .max_classes = SLT_DEFAULT_MAX_CLASSES };
	const char *routes[SLT_MAX_ROUTES], *ignores[SLT_MAX_ROUTES], *why;
	int session_opened = 0, usage_fault = 0;
	struct model *m = NULL, *prev = NULL;
	struct sla_run sla = { .breach_timeout_ns = 10000000000ull };
	struct windows_rec win = { .next_ns = UINT64_MAX };
	uint64_t stall0 = 0, stall1 = 0;
	int stall0_ok = 0;
	char slaerr[SLA_ERR_MAX];
	int window_given = 0, keep_going = 0, gone_said = 0;
	struct option *longopts = NULL;
	struct opt_help *opts = NULL;
	const char *json_path = NULL, *lastarg = NULL;
	char shortopts[64], fams[128] = "";
	struct sigaction sa = { 0 };
	int c, err = 0, rc = SLT_EXIT_FAIL, ntargets = 0;
	uint64_t next_interval = 0, end_at = 0, last_interval, next_tick = 0;

	opts = build_opts();
	t = calloc(1, sizeof(*t));
	if (!opts || !t || cmd_getopt_tables(opts, &longopts, shortopts, sizeof(shortopts))) {
		slt_error("out of memory");
		goto cleanup;
	}
	sopts.routes = routes;
	sopts.ignores = ignores;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		lastarg = optarg;
		switch (c) {
		case 'p':
			err = slt_parse_pid_list(optarg, t->pids,
						 (int)(sizeof(t->pids) / sizeof(t->pids[0])),
						 &t->npids);
			if (err) {
				rc = cmd_usage_error("trace", "invalid PID list '%s'", optarg);
				goto cleanup;
			}
			ntargets++;
			break;
		case 'c':
			if (!*optarg) {
				rc = cmd_usage_error("trace", "empty process name for -c");
				goto cleanup;
			}
			if (strlen(optarg) >= SLT_COMM_LEN)
				slt_warn("'%s' is longer than the kernel's 15-character comm: "
					 "matching its first 15 characters",
					 optarg);
			snprintf(t->comm, sizeof(t->comm), "%s", optarg);
			ntargets++;
			break;
		case OPT_CGROUP:
			t->cgroup = optarg;
			ntargets++;
			break;
		case 'd':
			if (slt_parse_duration(optarg, &duration_ns) || !duration_ns) {
				rc = cmd_usage_error("trace",
						     "invalid duration '%s' (examples: 500ms, 10s, 2m)",
						     optarg);
				goto cleanup;
			}
			break;
		case 'i':
			if (slt_parse_duration(optarg, &interval_ns) || interval_ns < 10000000) {
				rc = cmd_usage_error("trace",
						     "invalid interval '%s' (at least 10ms; examples: 1s, 500ms)",
						     optarg);
				goto cleanup;
			}
			break;
		case OPT_JSON:
			json_path = optarg;
			break;
		case OPT_PORT:
			if (slt_parse_u64(optarg, 1, 65535, &v)) {
				rc = cmd_usage_error("trace", "invalid port '%s' (1-65535)", optarg);
				goto cleanup;
			}
			sopts.port = (uint16_t)v;
			break;
		case OPT_CAPTURE_BYTES:
			if (slt_parse_u64(optarg, 0, SLT_REQ_CAP_MAX, &v)) {
				rc = cmd_usage_error("trace", "invalid --capture-bytes '%s' (0-%d)",
						     optarg, SLT_REQ_CAP_MAX);
				goto cleanup;
			}
			sopts.capture_bytes = (uint32_t)v;
			sopts.capture_set = 1;
			break;
		case OPT_CAPTURE_QUERY:
			sopts.capture_query = 1;
			break;
		case OPT_ROUTE:
		case OPT_IGNORE_PATH:
			if (route_pattern_check(optarg, &why)) {
				rc = cmd_usage_error("trace", "invalid --%s '%s': %s",
						     c == OPT_ROUTE ? "route" : "ignore-path", optarg,
						     why);
				goto cleanup;
			}
			if ((c == OPT_ROUTE ? sopts.nroutes : sopts.nignores) == SLT_MAX_ROUTES) {
				rc = cmd_usage_error("trace", "too many --%s patterns (at most %d)",
						     c == OPT_ROUTE ? "route" : "ignore-path",
						     SLT_MAX_ROUTES);
				goto cleanup;
			}
			if (c == OPT_ROUTE)
				routes[sopts.nroutes++] = optarg;
			else
				ignores[sopts.nignores++] = optarg;
			break;
		case OPT_SEGMENT_LIMIT:
			if (slt_parse_u64(optarg, 0, ROUTE_SEGMENT_LIMIT_MAX, &v)) {
				rc = cmd_usage_error("trace", "invalid --segment-limit '%s' (0-%d)",
						     optarg, ROUTE_SEGMENT_LIMIT_MAX);
				goto cleanup;
			}
			sopts.segment_limit = (uint32_t)v;
			break;
		case OPT_MAX_CLASSES:
			if (slt_parse_u64(optarg, 1, SLT_MAX_CLASSES_MAX, &v)) {
				rc = cmd_usage_error("trace", "invalid --max-classes '%s' (1-%d)",
						     optarg, SLT_MAX_CLASSES_MAX);
				goto cleanup;
			}
			sopts.max_classes = (uint32_t)v;
			break;
		case OPT_SLA:
			if (sla_set_add_expr(&sla.set, optarg, slaerr, sizeof(slaerr))) {
				fprintf(stderr, "error: %s\n", slaerr);
				rc = SLT_EXIT_USAGE;
				goto cleanup;
			}
			break;
		case OPT_SLA_FILE:
			if (sla_load_file(&sla.set, optarg, slaerr, sizeof(slaerr))) {
				fprintf(stderr, "error: %s\n", slaerr);
				rc = SLT_EXIT_USAGE;
				goto cleanup;
			}
			break;
		case OPT_WINDOW:
			if (slt_parse_duration(optarg, &sla.window_ns) || sla.window_ns < 100000000) {
				rc = cmd_usage_error("trace",
						     "invalid window '%s' (at least 100ms; examples: 10s, 1m)",
						     optarg);
				goto cleanup;
			}
			window_given = 1;
			break;
		case OPT_ON_BREACH:
			if (!*optarg) {
				rc = cmd_usage_error("trace", "empty --on-breach command");
				goto cleanup;
			}
			sla.on_breach = optarg;
			break;
		case OPT_BREACH_TIMEOUT:
			if (slt_parse_duration(optarg, &sla.breach_timeout_ns) ||
			    !sla.breach_timeout_ns) {
				rc = cmd_usage_error("trace", "invalid --breach-timeout '%s'", optarg);
				goto cleanup;
			}
			break;
		case OPT_TOP:
			if (slt_parse_u64(optarg, 0, 100000, &v)) {
				rc = cmd_usage_error("trace", "invalid --top '%s'", optarg);
				goto cleanup;
			}
			top = v;
			break;
		case OPT_KEEP_GOING:
			keep_going = 1;
			break;
		case 'v':
			slt_verbose = 1;
			break;
		case 'h':
			usage(stdout, opts);
			rc = cmd_help_written();
			goto cleanup;
		case ':':
		case '?':
			rc = cmd_option_error("trace", c, argc, argv, opts);
			goto cleanup;
		default:
			if (c >= OPT_FAMILY && c < OPT_FAMILY + MAX_FAMILIES) {
				want[c - OPT_FAMILY] = 1;
				any_want = 1;
			}
			break;
		}
	}
	/* "--" ends the options; nothing after it would trace the whole host */
	if (optind == argc && optind > 1 && !strcmp(argv[optind - 1], "--") &&
	    argv[optind - 1] != lastarg) {
		rc = cmd_usage_error("trace", "'--' needs a command after it (slatrace trace -- CMD "
					      "[ARGS...])");
		goto cleanup;
	}
	if (optind < argc) {
		const char *a = argv[optind];
		int digits = 1;

		for (const char *p = a; *p; p++)
			digits &= isdigit((unsigned char)*p) != 0;
		if (digits && strcmp(argv[optind - 1], "--")) {
			rc = cmd_usage_error("trace", "unexpected argument '%s' (a PID? use -p %s)",
					     a, a);
			goto cleanup;
		}
		t->cmd = &argv[optind];
		ntargets++;
	}
	if (ntargets > 1) {
		rc = cmd_usage_error("trace", "give one target: -p, -c, --cgroup or -- CMD");
		goto cleanup;
	}
	for (int i = 0; slt_probes[i] && nfam < MAX_FAMILIES; i++) {
		if (any_want ? !want[i] : !slt_probes[i]->default_on)
			continue;
		fam[nfam++] = slt_probes[i];
		if (slt_probes[i]->ringbuf_bytes > sopts.ringbuf_bytes)
			sopts.ringbuf_bytes = slt_probes[i]->ringbuf_bytes;
		snprintf(fams + strlen(fams), sizeof(fams) - strlen(fams), "%s%s",
			 strlen(fams) ? "," : "", slt_probes[i]->name);
	}

	if (!sla.set.n && (window_given || sla.on_breach)) {
		rc = cmd_usage_error("trace", "%s needs objectives (--sla or --sla-file)",
				     window_given ? "--window" : "--on-breach");
		goto cleanup;
	}
	if (sla.set.n) {
		if (!window_given)
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
	if (json_path && report_json_check_path(json_path)) {
		rc = SLT_EXIT_USAGE;
		goto cleanup;
	}
	if (keep_going && !t->npids) {
		rc = cmd_usage_error("trace", "--keep-going needs -p (the other targets never end "
					      "the run)");
		goto cleanup;
	}
	if (t->cmd) {
		char path[4096];

		err = session_resolve_cmd(t->cmd[0], path, sizeof(path));
		if (err) {
			slt_error("cannot run '%s': %s", t->cmd[0], strerror(-err));
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
	fill_meta(&m->meta, t, fams);
	err = session_open(&sess, t, &sopts, m, &usage_fault);
	if (err) {
		rc = usage_fault ? SLT_EXIT_USAGE : SLT_EXIT_FAIL;
		goto cleanup;
	}
	session_opened = 1;
	for (int i = 0; i < t->npids; i++) {
		char comm[32];

		if (session_pid_is_kthread(t->pids[i], comm, sizeof(comm)))
			slt_warn("PID %u (%s) is a kernel thread: it makes no system calls and "
				 "serves no requests, so the syscalls and requests families will "
				 "see nothing from it",
				 t->pids[i], comm);
	}
	for (int i = 0; i < nfam; i++) {
		err = fam[i]->open(&sess, &state[i]);
		if (err) {
			explain_missing(fam[i]);
			goto cleanup;
		}
	}
	for (int i = 0; i < nfam; i++) {
		err = fam[i]->attach(state[i]);
		if (err)
			goto cleanup;
	}

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* a dropped SSH session (SIGHUP) ends the run like Ctrl-C: with its report */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	m->meta.attach_ns = slt_now_ns() - t0;
	m->meta.start_realtime_ns = slt_realtime_ns();
	err = session_start(&sess);
	if (err)
		goto cleanup;
	fprintf(stderr, "slatrace: tracing %s (%s); Ctrl-C to end\n", m->meta.target, fams);

	last_interval = sess.start_mono_ns;
	/* per-window summaries, for the JSON report only (diff's replicates) */
	if (json_path)
		windows_start(&win, m, sess.start_mono_ns);
	stall0_ok = !pressure_cpu_stall_ns(&stall0);
	/* saturate: a duration of 2^64-1 ns means "as long as it takes" */
	if (duration_ns)
		end_at = duration_ns > UINT64_MAX - sess.start_mono_ns ? UINT64_MAX
								       : sess.start_mono_ns + duration_ns;
	if (interval_ns)
		next_interval = interval_ns > UINT64_MAX - sess.start_mono_ns
					? UINT64_MAX
					: sess.start_mono_ns + interval_ns;
	if (sla.set.n) {
		sla.window_start_mono = sess.start_mono_ns;
		sla.window_start_real = m->meta.start_realtime_ns;
		sla.next_window = sess.start_mono_ns + sla.window_ns;
		sla.window_prev = model_clone(m);
		if (!sla.window_prev)
			goto cleanup;
	}
	while (!stop_requested) {
		uint64_t now = slt_now_ns(), wake = now + 100000000ull;

		if (end_at && now >= end_at)
			break;
		if (session_cmd_done(&sess))
			break;
		if (!gone_said && session_targets_gone(&sess)) {
			gone_said = 1;
			if (!keep_going) {
				fprintf(stderr, "slatrace: every target process has exited; "
						"ending the run\n");
				break;
			}
			fprintf(stderr, "slatrace: every target process has exited; tracing on "
					"(--keep-going)\n");
		}
		if (sla.hooks)
			hooks_reap(sla.hooks);
		if (now >= next_tick) {
			if (tick_all(fam, state, nfam, m, now))
				goto cleanup;
			next_tick = now + 1000000000ull;
		}
		if (sla.set.n && now >= sla.next_window) {
			if (drain_all(fam, state, nfam, m))
				goto cleanup;
			if (sla_run_window(&sla, m, now))
				goto cleanup;
			sla.next_window += sla.window_ns;
		}
		if (sla.set.n && sla.next_window < wake)
			wake = sla.next_window;
		if (now >= windows_next(&win)) {
			if (drain_all(fam, state, nfam, m))
				goto cleanup;
			if (windows_tick(&win, m, now))
				slt_warn("out of memory: the report will have no windows");
		}
		if (windows_next(&win) < wake)
			wake = windows_next(&win);
		if (next_interval && now >= next_interval) {
			struct model *d;
			struct text_opts io = { .top = 10, .interval = 1 };

			if (drain_all(fam, state, nfam, m))
				goto cleanup;
			session_read_losses(&sess);
			d = model_delta(m, prev);
			if (d) {
				d->meta.duration_ns = now - last_interval;
				print_report_plain(stdout, d, &io);
				fflush(stdout);
				model_free(d);
			}
			model_free(prev);
			prev = model_clone(m);
			last_interval = now;
			next_interval = interval_ns > UINT64_MAX - next_interval
						? UINT64_MAX
						: next_interval + interval_ns;
		}
		if (end_at && end_at < wake)
			wake = end_at;
		if (next_interval && next_interval < wake)
			wake = next_interval;
		err = session_poll(&sess, (int)((wake > now ? wake - now : 0) / 1000000) + 1);
		if (err < 0) {
			slt_error("cannot read the ring buffer: %s", slt_strerror(err));
			goto cleanup;
		}
	}
	/* last words on the ring buffer, then the final figures */
	session_poll(&sess, 0);
	if (drain_all(fam, state, nfam, m))
		goto cleanup;
	for (int i = 0; i < nfam; i++)
		if (fam[i]->finish && fam[i]->finish(state[i], m))
			goto cleanup;
	session_poll(&sess, 0);
	session_read_losses(&sess);
	m->meta.end_realtime_ns = slt_realtime_ns();
	m->meta.duration_ns = slt_now_ns() - sess.start_mono_ns;
	session_cmd_done(&sess);
	if (windows_finish(&win, m, slt_now_ns()))
		slt_warn("out of memory: the report will have no windows");
	if (stall0_ok && !pressure_cpu_stall_ns(&stall1) && stall1 >= stall0 &&
	    m->meta.duration_ns) {
		m->meta.has_cpu_pressure = 1;
		m->meta.cpu_pressure_pct = (double)(stall1 - stall0) * 100 / m->meta.duration_ns;
	}
	runq_end(sess.runq, &m->meta);

	if (sla.set.n) {
		uint64_t now = slt_now_ns();

		/* the last, partial window counts when it holds anything */
		if (now > sla.window_start_mono + sla.window_ns / 10 && sla_run_window(&sla, m, now))
			goto cleanup;
		sla_evaluate_all(&sla.set, m, sla.results);
		for (int i = 0; i < sla.set.n; i++)
			if (sla.results[i].status == SLA_NO_DATA)
				slt_warn("objective '%s' matched no data: reported as NO DATA, which "
					 "is not a pass",
					 sla.set.obj[i].text);
		if (sla.hooks) {
			const struct hook_stats *hs;

			hooks_wait_all(sla.hooks);
			hs = hooks_stats(sla.hooks);
			model_stat_add(m, "breach_hooks_run", hs->started);
			model_stat_add(m, "breach_hooks_failed", hs->failed);
			model_stat_add(m, "breach_hooks_killed", hs->killed);
		}
	}
	{
		struct text_opts to = { .top = (int)top, .hist_top = 3 };

		if (sla.set.n) {
			to.after_header = print_sla_section;
			to.ctx = &sla;
		}
		/* with --json -, stdout carries the JSON alone */
		print_report_plain(json_path && !strcmp(json_path, "-") ? stderr : stdout, m, &to);
	}
	rc = SLT_EXIT_OK;
	if (sla.set.n && sla_verdict(&sla.set, sla.results) != SLA_PASS)
		rc = SLT_EXIT_SLA;
	if (json_path &&
	    report_json_write_with(m, "sla",
				   sla.set.n ? sla_json(&sla.set, sla.results, sla.tracker) : NULL,
				   json_path))
		rc = SLT_EXIT_FAIL;
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			slt_error("cannot write the report: %s", strerror(errno));
		rc = SLT_EXIT_FAIL;
	}
cleanup:
	for (int i = 0; i < nfam; i++)
		if (state[i])
			fam[i]->close(state[i]);
	if (session_opened)
		session_close(&sess);
	if (sla.hooks)
		hooks_wait_all(sla.hooks);
	sla_run_free(&sla);
	windows_free(&win);
	model_free(prev);
	model_free(m);
	free(longopts);
	free(opts);
	free(t);
	return rc;
}
