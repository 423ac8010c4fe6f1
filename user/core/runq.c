// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core/runq.h"
#include "core/log.h"
#include "core/session.h"
#include "core/skel.h"
#include "slatrace/runq.h"
#include "runq.skel.h"

/* a cgroup's subtree is walked this deep at most */
#define RUNQ_CGROUP_DEPTH 16

struct runq {
	struct runq_bpf *skel;
	const struct session *s;
	struct runq_sum start;
	int started; /* the start figures were read */
};

int runq_parse_schedstat(const char *text, uint64_t *cpu_ns, uint64_t *wait_ns,
			 uint64_t *sched_ins)
{
	unsigned long long cpu, wait, ins = 0;
	char *end;

	errno = 0;
	cpu = strtoull(text, &end, 10);
	if (errno || end == text || *end != ' ')
		return -EINVAL;
	text = end + 1;
	wait = strtoull(text, &end, 10);
	if (errno || end == text || (*end != ' ' && *end != '\n' && *end))
		return -EINVAL;
	if (*end == ' ') {
		text = end + 1;
		ins = strtoull(text, &end, 10);
		if (errno || end == text || (*end != '\n' && *end))
			return -EINVAL;
	}
	*cpu_ns = cpu;
	*wait_ns = wait;
	*sched_ins = ins;
	return 0;
}

static uint64_t clamp_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

void runq_combine(const struct runq_sum *start, const struct runq_sum *end,
		  const struct runq_sum *exited, struct runq_sum *run)
{
	run->cpu_ns = clamp_sub(end->cpu_ns + exited->cpu_ns, start->cpu_ns);
	run->wait_ns = clamp_sub(end->wait_ns + exited->wait_ns, start->wait_ns);
	run->sched_ins = clamp_sub(end->sched_ins + exited->sched_ins, start->sched_ins);
	run->threads = end->threads + exited->threads;
}

double runq_wait_pct(uint64_t wait_ns, uint64_t cpu_ns)
{
	double t = (double)wait_ns + (double)cpu_ns;

	return t > 0 ? (double)wait_ns * 100 / t : 0;
}

/* one thread's figures, from a schedstat file under dfd (or a path) */
static void add_schedstat(int dfd, const char *path, struct runq_sum *sum)
{
	char buf[128];
	uint64_t cpu, wait, ins;
	ssize_t n;
	int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return; /* gone since it was listed: the exit program has it */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (runq_parse_schedstat(buf, &cpu, &wait, &ins))
		return;
	sum->cpu_ns += cpu;
	sum->wait_ns += wait;
	sum->sched_ins += ins;
	sum->threads++;
}

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* every thread of process pid; with comm, only the threads of that name
 * (the kernel side compares each thread's own comm too) */
static void add_process(uint32_t pid, const char *comm, struct runq_sum *sum)
{
	char path[64];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%u/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char file[300];

		if (!is_number(e->d_name))
			continue;
		if (comm) {
			char name[SLT_COMM_LEN + 2] = "";
			FILE *f;
			int fd;

			snprintf(file, sizeof(file), "%s/comm", e->d_name);
			fd = openat(dirfd(d), file, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			f = fdopen(fd, "r");
			if (!f) {
				close(fd);
				continue;
			}
			if (!fgets(name, sizeof(name), f))
				name[0] = '\0';
			fclose(f);
			name[strcspn(name, "\n")] = '\0';
			if (strncmp(name, comm, SLT_COMM_LEN))
				continue;
		}
		snprintf(file, sizeof(file), "%s/schedstat", e->d_name);
		add_schedstat(dirfd(d), file, sum);
	}
	closedir(d);
}

/* every thread named comm on the host, slatrace's own excepted */
static void add_comm(const char *comm, uint32_t self, struct runq_sum *sum)
{
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!is_number(e->d_name) || (uint32_t)atol(e->d_name) == self)
			continue;
		add_process((uint32_t)atol(e->d_name), comm, sum);
	}
	closedir(d);
}

/* every thread of a cgroup and of the cgroups below it (the kernel side's
 * bpf_current_task_under_cgroup counts descendants too); dfd is consumed */
static void add_cgroup(int dfd, int depth, struct runq_sum *sum)
{
	const char *lists[] = { "cgroup.threads", "tasks" }; /* v2, v1: thread ids */
	struct dirent *e;
	DIR *d;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		int fd = openat(dfd, lists[i], O_RDONLY | O_CLOEXEC);
		unsigned tid;
		FILE *f;

		if (fd < 0)
			continue;
		f = fdopen(fd, "r");
		if (!f) {
			close(fd);
			break;
		}
		while (fscanf(f, "%u", &tid) == 1) {
			char path[64];

			snprintf(path, sizeof(path), "/proc/%u/schedstat", tid);
			add_schedstat(AT_FDCWD, path, sum);
		}
		fclose(f);
		break;
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while (depth < RUNQ_CGROUP_DEPTH && (e = readdir(d))) {
		int sub;

		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0)
			add_cgroup(sub, depth + 1, sum);
	}
	closedir(d);
}

/* the target's live threads now */
static void read_targets(const struct runq *r, struct runq_sum *sum)
{
	const struct session *s = r->s;

	memset(sum, 0, sizeof(*sum));
	if (s->mode == SLT_TARGET_PIDLIST) {
		for (uint32_t i = 0; i < s->npids; i++)
			add_process(s->pids[i], NULL, sum);
	} else if (s->mode == SLT_TARGET_PIDMAP) {
		int fd = bpf_map__fd(r->skel->maps.targets);
		__u32 key, next;
		__u32 *prev = NULL;

		while (!bpf_map_get_next_key(fd, prev, &next)) {
			add_process(next, NULL, sum);
			key = next;
			prev = &key;
		}
	} else if (s->mode == SLT_TARGET_COMM) {
		char comm[SLT_COMM_LEN + 1] = "";

		memcpy(comm, s->comm, SLT_COMM_LEN);
		add_comm(comm, s->self_tgid, sum);
	} else if (s->mode == SLT_TARGET_CGROUP && s->cgroup_fd >= 0) {
		int fd = dup(s->cgroup_fd);

		if (fd >= 0)
			add_cgroup(fd, 0, sum);
	}
}

struct runq *runq_open(struct session *s)
{
	struct runq *r;
	int err;

	if (s->mode == SLT_TARGET_ALL)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->s = s;
	r->skel = runq_bpf__open();
	if (!r->skel) {
		err = -errno;
		goto fail;
	}
	SESSION_SET_TARGET_RODATA(r->skel, s);
	err = session_share_maps(s, r->skel->obj);
	if (err)
		goto fail;
	err = runq_bpf__load(r->skel);
	if (err)
		goto fail;
	return r;
fail:
	slt_warn("no run-queue figures for the target: cannot load 'runq': %s", slt_strerror(err));
	runq_close(r);
	return NULL;
}

int runq_begin(struct runq *r)
{
	int err;

	if (!r)
		return 0;
	err = slt_skel_attach(r->skel->skeleton, NULL);
	if (err)
		return err;
	read_targets(r, &r->start);
	r->started = 1;
	return 0;
}

/* the exited threads' sums; -ENODATA on a kernel without run_delay (no
 * CONFIG_SCHED_INFO: no schedstat files either, the figures would be the
 * exits' alone) */
static int read_exited(const struct runq *r, struct runq_sum *exited)
{
	struct slt_runq_totals t = { 0 };
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.exited_totals), &zero, &t))
		return -errno;
	if (t.no_delay)
		return -ENODATA;
	exited->cpu_ns = t.cpu_ns;
	exited->wait_ns = t.wait_ns;
	exited->threads = t.threads;
	exited->sched_ins = t.sched_ins;
	return 0;
}

void runq_end(struct runq *r, struct run_meta *meta)
{
	struct runq_sum end, exited = { 0 }, run;

	if (!r || !r->started)
		return;
	read_targets(r, &end);
	if (read_exited(r, &exited))
		return;
	/* no thread at either end and none exited: nothing was measured */
	if (!r->start.threads && !end.threads && !exited.threads)
		return;
	runq_combine(&r->start, &end, &exited, &run);
	meta->target_cpu_ns = run.cpu_ns;
	meta->target_runq_wait_ns = run.wait_ns;
	meta->target_sched_ins = run.sched_ins;
	meta->target_runq_wait_pct = runq_wait_pct(meta->target_runq_wait_ns, meta->target_cpu_ns);
	meta->has_target_runq = 1;
}

void runq_close(struct runq *r)
{
	if (!r)
		return;
	runq_bpf__destroy(r->skel);
	free(r);
}
