/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Commands slatrace runs on an event (--on-breach): started without
 * waiting, given their input on stdin and in the environment, and killed
 * (their whole process group) when they outlive their timeout. Tracing
 * never blocks on them.
 */
#ifndef SLT_CORE_HOOK_H
#define SLT_CORE_HOOK_H

#include <stdint.h>

struct hooks;

struct hook_stats {
	uint64_t started;
	uint64_t succeeded;	/* exited 0 */
	uint64_t failed;	/* exited non-zero, or could not start */
	uint64_t killed;	/* outlived the timeout */
};

/* cmd runs as `/bin/sh -c cmd`; NULL on ENOMEM */
struct hooks *hooks_new(const char *cmd, uint64_t timeout_ns);
void hooks_free(struct hooks *h);
/* start one run: input on its stdin, "NAME=value" strings added to its
 * environment; 0 or -errno */
int hooks_run(struct hooks *h, const char *input, char (*env)[320], int nenv);
/* reap finished runs and kill those past their deadline; call often */
void hooks_reap(struct hooks *h);
/* at the end: wait for the runs still going, each up to its deadline */
void hooks_wait_all(struct hooks *h);
const struct hook_stats *hooks_stats(const struct hooks *h);

#endif
