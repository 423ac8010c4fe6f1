// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "core/hook.h"
#include "core/log.h"

#define MAX_RUNNING 16

struct run {
	pid_t pid;
	uint64_t deadline;
};

struct hooks {
	char *cmd;
	uint64_t timeout_ns;
	struct run running[MAX_RUNNING];
	int nrunning;
	struct hook_stats stats;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct hooks *hooks_new(const char *cmd, uint64_t timeout_ns)
{
	struct hooks *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->cmd = strdup(cmd);
	if (!h->cmd) {
		free(h);
		return NULL;
	}
	h->timeout_ns = timeout_ns;
	return h;
}

void hooks_free(struct hooks *h)
{
	if (!h)
		return;
	free(h->cmd);
	free(h);
}

static void account(struct hooks *h, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		h->stats.succeeded++;
	else
		h->stats.failed++;
}

void hooks_reap(struct hooks *h)
{
	uint64_t now = mono_ns();

	for (int i = 0; i < h->nrunning; i++) {
		struct run *r = &h->running[i];
		int status;

		if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
			account(h, status);
		} else if (now >= r->deadline) {
			/* the hook and everything it started */
			kill(-r->pid, SIGKILL);
			kill(r->pid, SIGKILL);
			waitpid(r->pid, &status, 0);
			h->stats.killed++;
			slt_warn("breach hook killed after its timeout: %s", h->cmd);
		} else {
			continue;
		}
		h->running[i--] = h->running[--h->nrunning];
	}
}

int hooks_run(struct hooks *h, const char *input, char (*env)[320], int nenv)
{
	int in[2];
	pid_t pid;
	size_t len = input ? strlen(input) : 0, off = 0;

	hooks_reap(h);
	if (h->nrunning >= MAX_RUNNING) {
		h->stats.failed++;
		slt_warn("breach hook not run: %d runs of it still going", MAX_RUNNING);
		return -EBUSY;
	}
	if (pipe2(in, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(in[0]);
		close(in[1]);
		h->stats.failed++;
		return err;
	}
	if (pid == 0) {
		setpgid(0, 0);
		dup2(in[0], STDIN_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO); /* keep the report on stdout clean */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		for (int i = 0; i < nenv; i++)
			putenv(env[i]);
		execl("/bin/sh", "sh", "-c", h->cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	close(in[0]);
	/* the breach is a few hundred bytes: it fits the pipe, so this never
	 * blocks; a hook that does not read its stdin just loses it */
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	while (off < len) {
		ssize_t w = write(in[1], input + off, len - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(in[1]);
	h->running[h->nrunning].pid = pid;
	h->running[h->nrunning].deadline = mono_ns() + h->timeout_ns;
	h->nrunning++;
	h->stats.started++;
	return 0;
}

void hooks_wait_all(struct hooks *h)
{
	while (h->nrunning) {
		struct timespec ts = { 0, 20000000 };

		hooks_reap(h);
		if (h->nrunning)
			nanosleep(&ts, NULL);
	}
}

const struct hook_stats *hooks_stats(const struct hooks *h)
{
	return &h->stats;
}
