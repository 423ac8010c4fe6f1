// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Syscalls family, userspace side: loads bpf/syscalls.bpf.c and turns its
 * mmapped per-syscall histograms and errno counts into model series. Two
 * paths: start times in task storage (5.11+), or in a hash map by thread
 * id where tracing programs have no task storage (5.8-5.10); both count the
 * syscalls a thread exited inside of (syscalls_unfinished_at_exit). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes/probe.h"
#include "core/features.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/session.h"
#include "core/skel.h"
#include "core/syscall_names.h"
#include "slatrace/syscalls.h"
#include "syscalls.skel.h"

_Static_assert(sizeof(struct slt_sys_stat) == 16 + 16 + 8 * SLT_HIST_NBUCKETS, "ABI");
_Static_assert(sizeof(struct slt_sys_err_key) == 8, "ABI");

extern const struct probe_ops syscalls_probe;

struct syscalls_state {
	struct syscalls_bpf *skel;
	const struct slt_sys_stat *stats; /* mmapped sys_stats */
	size_t stats_len;
	enum probe_path_kind path;
	uint64_t unfinished_pub; /* unfinished_at_exit published so far */
	int ncpus;		 /* possible CPUs: a per-CPU value's length */
	uint64_t *cpu_max;	 /* fallback: one sys_max value, per CPU */
};

static void syscalls_close(void *state)
{
	struct syscalls_state *st = state;

	if (!st)
		return;
	if (st->stats)
		munmap((void *)st->stats, st->stats_len);
	syscalls_bpf__destroy(st->skel);
	free(st->cpu_max);
	free(st);
}

static int syscalls_configure(void *ctx, const struct session *s)
{
	struct syscalls_state *st = ctx;
	int fb = st->path == SLT_PATH_FALLBACK;
	const char *test_inflight = getenv("SLATRACE_TEST_SYS_INFLIGHT");
	uint64_t n;

	SESSION_SET_TARGET_RODATA(st->skel, s);
	/* the programs and the start-time map of one path: a kernel without
	 * task storage cannot even create the preferred path's map */
	bpf_program__set_autoload(st->skel->progs.handle_sys_enter, !fb);
	bpf_program__set_autoload(st->skel->progs.handle_sys_exit, !fb);
	bpf_program__set_autoload(st->skel->progs.handle_sched_process_exit, !fb);
	bpf_map__set_autocreate(st->skel->maps.starts, !fb);
	bpf_program__set_autoload(st->skel->progs.handle_sys_enter_map, fb);
	bpf_program__set_autoload(st->skel->progs.handle_sys_exit_map, fb);
	bpf_program__set_autoload(st->skel->progs.handle_sched_process_exit_map, fb);
	bpf_program__set_autoload(st->skel->progs.handle_sched_process_exec, fb);
	bpf_map__set_autocreate(st->skel->maps.inflight, fb);
	bpf_map__set_autocreate(st->skel->maps.sys_max, fb);
	/* test only: a small map, so that the tests can fill it */
	if (fb && test_inflight && !slt_parse_u64(test_inflight, 1, SLT_SYS_INFLIGHT_MAX, &n))
		return bpf_map__set_max_entries(st->skel->maps.inflight, (__u32)n);
	return 0;
}

static int syscalls_open(struct session *s, const void *opts, void **state)
{
	struct syscalls_state *st;
	char why[128];
	void *mem;
	int err;

	(void)opts; /* no options of its own */
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->path = probe_path_here(&syscalls_probe, why, sizeof(why));
	slt_info("syscalls: %s path (%s)", probe_path_name(st->path), why);
	st->skel = syscalls_bpf__open();
	err = slt_skel_load(st->skel ? st->skel->skeleton : NULL, s, "syscalls", syscalls_configure,
			    st);
	if (err)
		goto cleanup;
	st->stats_len = (size_t)SLT_MAX_SYSCALLS * sizeof(struct slt_sys_stat);
	mem = mmap(NULL, st->stats_len, PROT_READ, MAP_SHARED,
		   bpf_map__fd(st->skel->maps.sys_stats), 0);
	if (mem == MAP_FAILED) {
		err = -errno;
		slt_error("cannot map 'sys_stats': %s", slt_strerror(err));
		goto cleanup;
	}
	st->stats = mem;
	if (st->path == SLT_PATH_FALLBACK) {
		st->ncpus = libbpf_num_possible_cpus();
		if (st->ncpus <= 0) {
			err = st->ncpus ? st->ncpus : -EINVAL;
			slt_error("cannot count the possible CPUs: %s", slt_strerror(err));
			goto cleanup;
		}
		st->cpu_max = calloc((size_t)st->ncpus, sizeof(*st->cpu_max));
		if (!st->cpu_max) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	probe_record_path(&syscalls_probe, st->path, s->model);
	*state = st;
	return 0;
cleanup:
	syscalls_close(st);
	return err;
}

static int syscalls_attach(void *state)
{
	struct syscalls_state *st = state;

	return slt_skel_attach(st->skel->skeleton, NULL);
}

static struct series *series_for(struct model *m, unsigned nr)
{
	char buf[32];
	const char *name = slt_syscall_name(nr, buf, sizeof(buf));
	struct series *s = model_series(m, "syscall", name);

	if (s && !s->nlabels)
		series_set_label(s, "syscall", name);
	return s;
}

/* The fallback keeps each syscall's max per CPU (no compare-and-swap before
 * Linux 5.12): the largest of them. */
static uint64_t fallback_max(struct syscalls_state *st, unsigned nr)
{
	__u32 key = nr;
	uint64_t best = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(st->skel->maps.sys_max), &key, st->cpu_max))
		return 0;
	for (int i = 0; i < st->ncpus; i++)
		if (st->cpu_max[i] > best)
			best = st->cpu_max[i];
	return best;
}

static int syscalls_drain(void *state, struct model *m)
{
	struct syscalls_state *st = state;
	struct slt_sys_err_key key, next, *prev = NULL;
	int fd = bpf_map__fd(st->skel->maps.sys_errors);
	struct series *s;
	uint64_t unfinished;
	char buf[32];

	for (unsigned nr = 0; nr < SLT_MAX_SYSCALLS; nr++) {
		const struct slt_sys_stat *k = &st->stats[nr];

		if (!k->hist.sum_ns && !k->hist.max_ns && !k->errors) {
			/* untouched: skip the 10 KiB scan unless a zero-length
			 * syscall was recorded (sum and max both 0) */
			int any = 0;

			for (unsigned i = 0; i < 4 && !any; i++)
				any = k->hist.slots[i] != 0;
			if (!any)
				continue;
		}
		s = series_for(m, nr);
		if (!s)
			return -ENOMEM;
		hist_from_kernel(&s->hist, &k->hist);
		if (st->path == SLT_PATH_FALLBACK)
			s->hist.max = fallback_max(st, nr);
		s->errors = k->errors;
	}
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		__u64 n = 0;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &n))
			continue;
		s = series_for(m, key.nr);
		if (!s || series_set_counter(s, slt_errno_name(key.err, buf, sizeof(buf)), n))
			return -ENOMEM;
	}
	/* shown when 0 too: no syscall table holds these */
	unfinished = st->skel->bss->unfinished_at_exit;
	if (unfinished > st->unfinished_pub || !model_stat(m, "syscalls_unfinished_at_exit"))
		model_stat_add(m, "syscalls_unfinished_at_exit", unfinished - st->unfinished_pub);
	if (unfinished > st->unfinished_pub)
		st->unfinished_pub = unfinished;
	return 0;
}

/* Task storage keeps a thread's start time with the thread itself; without
 * it (tracing programs have it from 5.11), a hash map by thread id that
 * holds the syscalls in flight (bpf/syscalls.bpf.c). */
static enum probe_path_kind syscalls_choose_path(unsigned have, char *why, unsigned long len)
{
	if ((have & SLT_FEAT_TASK_STORAGE) && (have & SLT_FEAT_ATOMICS)) {
		snprintf(why, len, "task storage works from tracing programs here");
		return SLT_PATH_PREFERRED;
	}
	if (!(have & SLT_FEAT_TASK_STORAGE))
		snprintf(why, len, "no task storage from tracing programs (Linux 5.11+)");
	else
		snprintf(why, len, "no BPF compare-and-swap for the histograms' max (Linux 5.12+)");
	return SLT_PATH_FALLBACK;
}

static const struct probe_path syscalls_prefers = {
	.hooks = "raw_syscalls:sys_enter, raw_syscalls:sys_exit, sched:sched_process_exit "
		 "(tp_btf); start times in task storage",
	.needs = SLT_FEAT_TASK_STORAGE | SLT_FEAT_ATOMICS,
};

static const struct probe_path syscalls_fallback = {
	.hooks = "raw_syscalls:sys_enter, raw_syscalls:sys_exit, sched:sched_process_exit, "
		 "sched:sched_process_exec (tp_btf); start times in a hash map by thread id, "
		 "deleted at the syscall's exit or the thread's; each syscall's max kept per CPU",
	/* the same syscalls: what differs is counted (map_full past 65536 in
	 * flight) */
	.cannot = NULL,
};

const struct probe_ops syscalls_probe = {
	.name = "syscalls",
	.summary = "per-syscall count, errors by errno, total time and latency histogram",
	.needs = SLT_FEAT_BTF | SLT_FEAT_TP_BTF,
	.default_on = 1,
	.prefers = &syscalls_prefers,
	.fallback = &syscalls_fallback,
	.choose_path = syscalls_choose_path,
	.open = syscalls_open,
	.attach = syscalls_attach,
	.drain = syscalls_drain,
	.close = syscalls_close,
};
