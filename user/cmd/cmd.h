/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Subcommands. Each gets argv starting at its own name (argv[0] = "trace")
 * and returns an exit code (SLT_EXIT_*). */
#ifndef SLT_CMD_CMD_H
#define SLT_CMD_CMD_H

#include <getopt.h>

#include "core/version.h"

int cmd_trace(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* Print an option table as usage text, so --help cannot drift from the
 * parser: each option's help comes from the same array getopt_long reads. */
struct opt_help {
	struct option opt;
	int short_name;		/* 0 if none */
	const char *arg;	/* "PID[,PID...]" or NULL */
	const char *help;
};
void cmd_print_options(FILE *f, const struct opt_help *opts);
/* build getopt_long's arrays from an opt_help table; caller frees *longopts */
int cmd_getopt_tables(const struct opt_help *opts, struct option **longopts, char *shortopts,
		      int shortlen);
/* "unknown option", "missing argument" in one line, for getopt's '?' */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* the end of every option switch: ':' (a missing value) and anything
 * unknown, as one usage line; returns SLT_EXIT_USAGE */
int cmd_option_error(const char *cmd, int c, int argc, char **argv, const struct opt_help *opts);
/* after printing --help to stdout: 0, or 1 when stdout could not be written */
int cmd_help_written(void);
/* one line for getopt's '?': an unknown long or short option, or a long
 * option given a value it does not take; returns SLT_EXIT_USAGE */
int cmd_bad_option(const char *cmd, int argc, char **argv, const struct opt_help *opts);
/* 0 when root or CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN); else prints the
 * one-line reason and returns SLT_EXIT_FAIL */
int cmd_need_privileges(const char *cmd);

#endif
