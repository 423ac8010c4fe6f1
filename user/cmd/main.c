// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* slatrace <command> [options]: the dispatch table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "cmd/cmd.h"
#include "core/log.h"

#define NEEDS_BPF 1

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	unsigned flags;
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "trace", cmd_trace, NEEDS_BPF,
	  "trace a process, a command, a cgroup or the whole host and report latency" },
	{ "check", cmd_check, 0, "tell whether this host can run slatrace, and why not" },
	{ "diff", cmd_diff, 0, "compare two JSON reports: what got slower or faster" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: slatrace <command> [options]\n"
		   "       slatrace <command> --help\n"
		   "       slatrace --version\n\n"
		   "slatrace measures, from the kernel, how long the work of a process takes\n"
		   "and where that time goes, with eBPF programs on tracepoints.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nexamples:\n"
		   "  slatrace check                      can this host run slatrace?\n"
		   "  slatrace trace -- ls -R /usr        syscalls of a command and its children\n"
		   "  slatrace trace -p 1234 -d 10s       one process for ten seconds\n"
		   "  slatrace trace -c nginx --json r.json   every process named nginx\n\n"
		   "exit status: 0 ok, 1 runtime or environment failure, 2 usage error,\n"
		   "3 an SLA objective or regression gate failed\n");
}

void cmd_print_options(FILE *f, const struct opt_help *o)
{
	char lhs[64];

	for (; o->opt.name; o++) {
		int n = 0;

		if (o->short_name)
			n = snprintf(lhs, sizeof(lhs), "-%c, ", o->short_name);
		else
			n = snprintf(lhs, sizeof(lhs), "    ");
		snprintf(lhs + n, sizeof(lhs) - n, "--%s%s%s", o->opt.name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(f, "  %-30s %s\n", lhs, o->help);
	}
}

int cmd_getopt_tables(const struct opt_help *opts, struct option **longopts, char *shortopts,
		      int shortlen)
{
	int n = 0, k = 0;

	while (opts[n].opt.name)
		n++;
	*longopts = calloc(n + 1, sizeof(struct option));
	if (!*longopts)
		return -1;
	/* '+': stop at the first non-option so "-- CMD -x" reaches the command;
	 * ':': report a missing argument apart from an unknown option */
	shortopts[k++] = '+';
	shortopts[k++] = ':';
	for (int i = 0; i < n; i++) {
		(*longopts)[i] = opts[i].opt;
		if (opts[i].short_name && k < shortlen - 3) {
			shortopts[k++] = (char)opts[i].short_name;
			if (opts[i].opt.has_arg == required_argument)
				shortopts[k++] = ':';
		}
	}
	shortopts[k] = 0;
	return 0;
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'slatrace %s --help')\n", cmd);
	return SLT_EXIT_USAGE;
}

int cmd_bad_option(const char *cmd, int argc, char **argv, const struct opt_help *opts)
{
	const char *arg = optind - 1 < argc ? argv[optind - 1] : "";

	/* getopt leaves optopt at the option's value when a long option got a
	 * value it does not take, at the letter for an unknown short option,
	 * and at 0 for an unknown long option */
	if (optopt) {
		for (const struct opt_help *o = opts; o->opt.name; o++) {
			if (o->opt.val == optopt && o->opt.has_arg == no_argument &&
			    !strncmp(arg, "--", 2) && strchr(arg, '='))
				return cmd_usage_error(cmd, "option '--%s' takes no value",
						       o->opt.name);
		}
		if (optopt < 256)
			return cmd_usage_error(cmd, "unknown option '-%c'", optopt);
	}
	return cmd_usage_error(cmd, "unknown option '%.*s'", (int)strcspn(arg, "="), arg);
}

int cmd_option_error(const char *cmd, int c, int argc, char **argv, const struct opt_help *opts)
{
	if (c == ':')
		return cmd_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
	return cmd_bad_option(cmd, argc, argv, opts);
}

int cmd_help_written(void)
{
	return fflush(stdout) || ferror(stdout) ? SLT_EXIT_FAIL : SLT_EXIT_OK;
}

int cmd_need_privileges(const char *cmd)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};
	unsigned long long eff;

	if (geteuid() == 0)
		return 0;
	if (syscall(SYS_capget, &hdr, data) == 0) {
		eff = ((unsigned long long)data[1].effective << 32) | data[0].effective;
		if (eff & (1ULL << CAP_SYS_ADMIN))
			return 0;
		if ((eff & (1ULL << 39 /* CAP_BPF */)) && (eff & (1ULL << 38 /* CAP_PERFMON */)))
			return 0;
	}
	slt_error("'slatrace %s' needs root (or CAP_BPF and CAP_PERFMON): run it with sudo", cmd);
	return SLT_EXIT_FAIL;
}

int main(int argc, char **argv)
{
	const char *name;

	slt_libbpf_log_setup();
	if (argc < 2) {
		usage(stderr);
		return SLT_EXIT_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		if (argc > 2 && strcmp(name, "help") == 0) {
			char *args[] = { argv[2], "--help", NULL };

			for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
				if (!strcmp(cmds[i].name, argv[2]))
					return cmds[i].fn(2, args);
			slt_error("unknown command '%s' (see 'slatrace --help')", argv[2]);
			return SLT_EXIT_USAGE;
		}
		usage(stdout);
		return cmd_help_written();
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("slatrace %s\n", SLT_VERSION);
		return cmd_help_written();
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmds[i].name, name))
			continue;
		return cmds[i].fn(argc - 1, argv + 1);
	}
	if (name[0] == '-')
		slt_error("unknown option '%s' before the command (see 'slatrace --help')", name);
	else
		slt_error("unknown command '%s' (see 'slatrace --help')", name);
	return SLT_EXIT_USAGE;
}
