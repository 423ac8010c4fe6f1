// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* slatrace trace: attach the selected probe families to a target, run until
 * the duration ends, the command exits, or Ctrl-C/SIGTERM, then report. */
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
#include "core/parse.h"
#include "core/session.h"
#include "probes/probe.h"
#include "report/report.h"
#include "slatrace/requests.h"

#define MAX_FAMILIES 16

enum {
	OPT_CGROUP = 256,
	OPT_JSON,
	OPT_TOP,
	OPT_CAPTURE_BYTES,
	OPT_CAPTURE_QUERY,
	OPT_PORT,
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
	{ { "interval", required_argument, NULL, 'i' }, 'i', "INTERVAL",
	  "also print a report of each INTERVAL while tracing" },
	{ { "json", required_argument, NULL, OPT_JSON }, 0, "FILE",
	  "write the full report as JSON to FILE (atomically)" },
	{ { "top", required_argument, NULL, OPT_TOP }, 0, "N",
	  "rows in the text table (default 20, 0 = all)" },
	{ { "port", required_argument, NULL, OPT_PORT }, 0, "PORT",
	  "requests: only connections on this local port" },
	{ { "capture-bytes", required_argument, NULL, OPT_CAPTURE_BYTES }, 0, "N",
	  "requests: bytes of each request kept for parsing (default 256, max 512)" },
	{ { "capture-query", no_argument, NULL, OPT_CAPTURE_QUERY }, 0, NULL,
	  "requests: keep the ?query part of HTTP paths (default: removed)" },
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
		   "and all its children from its first instruction, and stops when it exits.\n"
		   "Ctrl-C or SIGTERM ends a run early; the full report is still printed and\n"
		   "the JSON file still written.\n\n"
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
		   "exit status: 0 ok, 1 the kernel or environment refused, 2 usage error\n");
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
	struct session_opts sopts = { .capture_bytes = 256 };
	int session_opened = 0, usage_fault = 0;
	struct model *m = NULL, *prev = NULL;
	struct option *longopts = NULL;
	struct opt_help *opts = NULL;
	const char *json_path = NULL;
	char shortopts[64], fams[128] = "";
	struct sigaction sa = { 0 };
	int c, err = 0, rc = SLT_EXIT_FAIL, ntargets = 0;
	uint64_t next_interval = 0, end_at = 0, last_interval;

	opts = build_opts();
	t = calloc(1, sizeof(*t));
	if (!opts || !t || cmd_getopt_tables(opts, &longopts, shortopts, sizeof(shortopts))) {
		slt_error("out of memory");
		goto cleanup;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
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
		case OPT_TOP:
			if (slt_parse_u64(optarg, 0, 100000, &v)) {
				rc = cmd_usage_error("trace", "invalid --top '%s'", optarg);
				goto cleanup;
			}
			top = v;
			break;
		case 'v':
			slt_verbose = 1;
			break;
		case 'h':
			usage(stdout, opts);
			rc = fflush(stdout) || ferror(stdout) ? SLT_EXIT_FAIL : SLT_EXIT_OK;
			goto cleanup;
		case ':':
			rc = cmd_usage_error("trace", "option '%s' needs a value", argv[optind - 1]);
			goto cleanup;
		case '?':
			rc = cmd_bad_option("trace", argc, argv, opts);
			goto cleanup;
		default:
			if (c >= OPT_FAMILY && c < OPT_FAMILY + MAX_FAMILIES) {
				want[c - OPT_FAMILY] = 1;
				any_want = 1;
			}
			break;
		}
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
		snprintf(fams + strlen(fams), sizeof(fams) - strlen(fams), "%s%s",
			 strlen(fams) ? "," : "", slt_probes[i]->name);
	}

	/* everything the user can get wrong is checked before tracing */
	if (json_path && report_json_check_path(json_path)) {
		rc = SLT_EXIT_USAGE;
		goto cleanup;
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
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	m->meta.attach_ns = slt_now_ns() - t0;
	m->meta.start_realtime_ns = slt_realtime_ns();
	err = session_start(&sess);
	if (err)
		goto cleanup;
	fprintf(stderr, "slatrace: tracing %s (%s); Ctrl-C to end\n", m->meta.target, fams);

	last_interval = sess.start_mono_ns;
	/* saturate: a duration of 2^64-1 ns means "as long as it takes" */
	if (duration_ns)
		end_at = duration_ns > UINT64_MAX - sess.start_mono_ns ? UINT64_MAX
								       : sess.start_mono_ns + duration_ns;
	if (interval_ns)
		next_interval = interval_ns > UINT64_MAX - sess.start_mono_ns
					? UINT64_MAX
					: sess.start_mono_ns + interval_ns;
	while (!stop_requested) {
		uint64_t now = slt_now_ns(), wake = now + 100000000ull;

		if (end_at && now >= end_at)
			break;
		if (session_cmd_done(&sess))
			break;
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

	{
		struct text_opts to = { .top = (int)top, .hist_top = 3 };

		print_report_plain(stdout, m, &to);
	}
	rc = SLT_EXIT_OK;
	if (json_path && report_json_write(m, json_path))
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
	model_free(prev);
	model_free(m);
	free(longopts);
	free(opts);
	free(t);
	return rc;
}
