// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* slatrace diff BEFORE.json AFTER.json: what got faster or slower between two
 * runs, decided by statistical tests on the histograms, and regression gates
 * (--fail-on) for CI and deploys. Needs no privileges. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "cmd/cmd.h"
#include "core/log.h"
#include "core/parse.h"
#include "analysis/diff.h"
#include "report/load.h"

enum {
	OPT_JSON = 256,
	OPT_FAIL_ON,
	OPT_ALPHA,
	OPT_MIN_EFFECT,
	OPT_TOP,
};

static const struct opt_help opts[] = {
	{ { "json", no_argument, NULL, OPT_JSON },
	  0,
	  NULL,
	  "print the comparison as JSON (schema slatrace.diff/1) instead of text" },
	{ { "fail-on", required_argument, NULL, OPT_FAIL_ON },
	  0,
	  "EXPR",
	  "exit 3 if a series changed beyond EXPR ('p99 +10%'), verdict agreeing; repeatable" },
	{ { "alpha", required_argument, NULL, OPT_ALPHA },
	  0,
	  "A",
	  "chance of flagging anything between equivalent runs (default 0.01)" },
	{ { "min-effect", required_argument, NULL, OPT_MIN_EFFECT },
	  0,
	  "PCT",
	  "smallest change worth a verdict, in percent (default 5)" },
	{ { "top", required_argument, NULL, OPT_TOP },
	  0,
	  "N",
	  "unchanged series shown in the text table (default 20, 0 = all)" },
	{ { "help", no_argument, NULL, 'h' }, 'h', NULL, "show this help" },
	{ { NULL, 0, NULL, 0 }, 0, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: slatrace diff BEFORE.json AFTER.json [options]\n"
		   "       slatrace diff BEFORE1.json BEFORE2.json ... -- AFTER1.json ... [options]\n\n"
		   "Compare JSON reports of slatrace trace: one run a side, or several runs a\n"
		   "side around '--'. For every series in both: the change in count, rate,\n"
		   "error rate and p50/p90/p99/p99.9, and a verdict, slower, faster or\n"
		   "unchanged. The verdict compares runs by their windows (every report holds\n"
		   "each series' p50, p90 and p99 of every ~100 ms), not by their requests,\n"
		   "because the requests of one run share the machine's state: Welch's t on\n"
		   "the log window p50s (runs as the replicates when a side has several),\n"
		   "Holm-corrected across series, and the typical request must move by\n"
		   "--min-effect or more. Each series shows the smallest shift it could have\n"
		   "seen (MDE); with several runs a side, the run-to-run noise is measured\n"
		   "and shown; with one, each run's level may drift as much as its windows\n"
		   "vary. When the target's CPU availability differed between the sides\n"
		   "(its own run-queue wait, or the host's CPU pressure), a series whose\n"
		   "typical request two of the target's waits for a CPU could move by\n"
		   "--min-effect gets no verdict: 'not comparable', and why. Reports without\n"
		   "windows (older ones) get the per-request rank test, marked as not\n"
		   "noise-robust, and no latency gate fires on them.\n\n"
		   "options:\n");
	cmd_print_options(f, opts);
	fprintf(f, "\nEXPR is METRIC +AMOUNT or METRIC -AMOUNT: METRIC is pN (p50, p99.9), mean,\n"
		   "max, error_rate or count; AMOUNT a percent (error_rate: percentage points)\n"
		   "or a duration (5ms) or a count. A latency gate fires only when the window\n"
		   "test of the nearest window statistic (p50 for p50 and the mean, p90, p99\n"
		   "for p99 and above) or of the median says slower ('faster' for a '-');\n"
		   "error_rate ones only on a significant change of the error rate; a count\n"
		   "is taken as it is.\n\n"
		   "examples:\n"
		   "  slatrace diff before.json after.json\n"
		   "  slatrace diff a1.json a2.json a3.json -- b1.json b2.json b3.json\n"
		   "  slatrace diff before.json after.json --fail-on 'p99 +10%%' --fail-on "
		   "'error_rate +1%%'\n"
		   "  slatrace diff before.json after.json --json | jq '.series[] | "
		   "select(.verdict != \"unchanged\")'\n\n"
		   "exit status: 0 ok, 1 runtime failure or latency gates given on series that\n"
		   "are not comparable (the target's CPU availability differed), 2 usage\n"
		   "error or unreadable report, 3 a --fail-on gate failed\n");
}

static int load_exit(int err)
{
	/* a report that cannot be read is the user's to fix, unless memory or
	 * the disk failed */
	return err == -ENOMEM || err == -EIO ? SLT_EXIT_FAIL : SLT_EXIT_USAGE;
}

/* the marker "--" becomes while getopt permutes the arguments: a
 * non-option no file name can be, so the two sides stay apart */
static char sep_mark[] = "\x01--";

/* a gate on latency (pN, mean, max): the ones an exposed series cannot judge */
static int latency_gates(const struct diff *d)
{
	for (int g = 0; g < d->ngates; g++)
		if (d->gates[g].metric != DIFF_M_COUNT && d->gates[g].metric != DIFF_M_ERROR_RATE)
			return 1;
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	struct model *runs[2][SLT_DIFF_MAX_RUNS] = { { NULL } };
	int nruns[2] = { 0, 0 }, side = 0, nsep = 0;
	char **args = NULL;
	struct json_object *sla_b = NULL, *sla_a = NULL, *root = NULL;
	struct diff_opts o = { .alpha = 0.01, .min_effect = 0.05 };
	struct diff *d = NULL;
	struct option *longopts = NULL;
	char shortopts[32], msg[512];
	int c, err, rc = SLT_EXIT_FAIL, as_json = 0;
	uint64_t top = 20;
	double v;

	d = calloc(1, sizeof(*d));
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (!d || !args || cmd_getopt_tables(opts, &longopts, shortopts, sizeof(shortopts))) {
		slt_error("out of memory");
		goto cleanup;
	}
	/* A1 A2 ... -- B1 B2 ...: getopt would end at "--" and take what
	 * follows as files, options too; marked, it is one more file name */
	for (int i = 0; i < argc; i++)
		args[i] = i && !strcmp(argv[i], "--") ? sep_mark : argv[i];
	argv = args;
	optind = 1;
	opterr = 0;
	/* options may follow the two files: no '+' here */
	memmove(shortopts, shortopts + 1, strlen(shortopts));
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			as_json = 1;
			break;
		case OPT_FAIL_ON:
			if (d->ngates == SLT_DIFF_MAX_GATES) {
				rc = cmd_usage_error("diff", "too many --fail-on (at most %d)",
						     SLT_DIFF_MAX_GATES);
				goto cleanup;
			}
			if (diff_parse_gate(optarg, &d->gates[d->ngates], msg, sizeof(msg))) {
				rc = cmd_usage_error("diff", "invalid --fail-on '%s': %s", optarg,
						     msg);
				goto cleanup;
			}
			d->ngates++;
			break;
		case OPT_ALPHA:
			if (slt_parse_decimal(optarg, 0, 0.5, &o.alpha) || o.alpha <= 0) {
				rc = cmd_usage_error(
				    "diff", "invalid --alpha '%s' (0 < alpha <= 0.5)", optarg);
				goto cleanup;
			}
			break;
		case OPT_MIN_EFFECT: {
			char buf[32];
			size_t n = strlen(optarg);

			snprintf(buf, sizeof(buf), "%s", optarg);
			if (n && n < sizeof(buf) && buf[n - 1] == '%')
				buf[n - 1] = '\0';
			if (n >= sizeof(buf) || slt_parse_decimal(buf, 0, 1000, &v)) {
				rc = cmd_usage_error(
				    "diff", "invalid --min-effect '%s' (a percent, 0 to 1000)",
				    optarg);
				goto cleanup;
			}
			o.min_effect = v / 100;
			break;
		}
		case OPT_TOP:
			if (slt_parse_u64(optarg, 0, 1000000, &top)) {
				rc = cmd_usage_error("diff", "invalid --top '%s'", optarg);
				goto cleanup;
			}
			break;
		case 'h':
			usage(stdout);
			rc = cmd_help_written();
			goto cleanup;
		default:
			rc = cmd_option_error("diff", c, argc, argv, opts);
			goto cleanup;
		}
	}
	for (int i = optind; i < argc; i++)
		nsep += argv[i] == sep_mark;
	if (nsep > 1) {
		rc = cmd_usage_error("diff", "more than one '--' (BEFORE... -- AFTER...)");
		goto cleanup;
	}
	if (!nsep && argc - optind < 2) {
		rc = cmd_usage_error("diff", "give two reports: BEFORE.json AFTER.json");
		goto cleanup;
	}
	if (!nsep && argc - optind > 2) {
		rc = cmd_usage_error("diff", "unexpected argument '%s' (several runs a side: "
					     "BEFORE1 BEFORE2 -- AFTER1 AFTER2)",
				     argv[optind + 2]);
		goto cleanup;
	}
	/* without "--": one before, one after */
	side = 0;
	for (int i = optind; i < argc; i++) {
		struct json_object **sla;

		if (argv[i] == sep_mark) {
			side = 1;
			continue;
		}
		if (!nsep && i > optind)
			side = 1;
		if (nruns[side] == SLT_DIFF_MAX_RUNS) {
			rc = cmd_usage_error("diff", "more than %d runs on one side",
					     SLT_DIFF_MAX_RUNS);
			goto cleanup;
		}
		/* the SLA verdicts shown are the first run's of each side */
		sla = nruns[side] ? NULL : side ? &sla_a : &sla_b;
		err = report_load_file_flags(argv[i], SLT_LOAD_LATENCY_ONLY,
					     &runs[side][nruns[side]], sla, msg, sizeof(msg));
		if (err) {
			slt_error("%s", msg);
			rc = load_exit(err);
			goto cleanup;
		}
		if (!nruns[side]++)
			(side ? &d->a_name : &d->b_name)[0] = argv[i];
	}
	if (!nruns[0] || !nruns[1]) {
		rc = cmd_usage_error("diff", "give reports on both sides of '--': BEFORE... -- "
					     "AFTER...");
		goto cleanup;
	}
	d->sla_b = sla_b;
	d->sla_a = sla_a;
	if (diff_run_runs(d, (const struct model *const *)runs[0], nruns[0],
			  (const struct model *const *)runs[1], nruns[1], &o)) {
		slt_error("out of memory");
		goto cleanup;
	}
	if (as_json) {
		root = diff_json(d);
		fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE),
		      stdout);
		fputc('\n', stdout);
	} else {
		print_diff_plain(stdout, d, (int)top);
	}
	rc = diff_gates_failed(d) ? SLT_EXIT_SLA : SLT_EXIT_OK;
	/* a gate that could not be judged must not read as passed */
	if (rc == SLT_EXIT_OK && d->not_comparable && d->ngates) {
		slt_error("cannot judge the gates: the runs are not comparable (%s)",
			  d->because_short);
		rc = SLT_EXIT_FAIL;
	} else if (rc == SLT_EXIT_OK && d->nexposed && latency_gates(d)) {
		slt_error("cannot judge the gates on %d series: their typical request could "
			  "have moved with the CPU availability (%s)",
			  d->nexposed, d->because_short);
		rc = SLT_EXIT_FAIL;
	}
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			slt_error("cannot write the comparison: %s", strerror(errno));
		rc = SLT_EXIT_FAIL;
	}
cleanup:
	json_object_put(root);
	json_object_put(sla_b);
	json_object_put(sla_a);
	diff_free(d);
	free(d);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < nruns[k]; i++)
			model_free(runs[k][i]);
	free(args);
	free(longopts);
	return rc;
}
