// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Signals family, userspace side: loads bpf/signals.bpf.c and turns its
 * per-(signal, sender) histograms of pending time into model series, one
 * per pair: "SIGUSR1 from pid 4242", "SIGALRM from the kernel". Each max
 * comes from its per-CPU slots (sig_max, sig_other_max): the one BPF
 * program loads without compare-and-swap, on every kernel from 5.8. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes/probe.h"
#include "core/features.h"
#include "core/log.h"
#include "core/session.h"
#include "core/skel.h"
#include "slatrace/signals.h"
#include "signals.skel.h"

_Static_assert(sizeof(struct slt_sig_key) == 16, "ABI");
_Static_assert(sizeof(struct slt_sig_stat) == 40 + 16 + 8 * SLT_HIST_NBUCKETS, "ABI");

struct signals_state {
	struct signals_bpf *skel;
	struct slt_sig_stat *buf; /* one value, read from the maps */
	uint64_t *cpu_max;	  /* one sig_max value: a max per CPU */
	int ncpus;
};

static void signals_close(void *state)
{
	struct signals_state *st = state;

	if (!st)
		return;
	signals_bpf__destroy(st->skel);
	free(st->cpu_max);
	free(st->buf);
	free(st);
}

static int signals_configure(void *ctx, const struct session *s)
{
	struct signals_state *st = ctx;

	SESSION_SET_TARGET_RODATA(st->skel, s);
	return 0;
}

static int signals_open(struct session *s, const void *opts, void **state)
{
	struct signals_state *st;
	int err;

	(void)opts; /* no options */
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->ncpus = libbpf_num_possible_cpus();
	if (st->ncpus <= 0) {
		err = st->ncpus ? st->ncpus : -EINVAL;
		slt_error("cannot count the possible CPUs: %s", slt_strerror(err));
		goto cleanup;
	}
	st->buf = malloc(sizeof(*st->buf));
	st->cpu_max = calloc((size_t)st->ncpus, sizeof(*st->cpu_max));
	if (!st->buf || !st->cpu_max) {
		err = -ENOMEM;
		goto cleanup;
	}
	st->skel = signals_bpf__open();
	err = slt_skel_load(st->skel ? st->skel->skeleton : NULL, s, "signals", signals_configure,
			    st);
	if (err)
		goto cleanup;
	*state = st;
	return 0;
cleanup:
	signals_close(st);
	return err;
}

static int signals_attach(void *state)
{
	struct signals_state *st = state;

	return slt_skel_attach(st->skel->skeleton, NULL);
}

/* "SIGUSR1", "SIGRTMIN+3", "SIG70" */
static void sig_name(unsigned sig, char *buf, size_t len)
{
	const char *abbrev = sig < 32 ? sigabbrev_np((int)sig) : NULL;

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else if (sig >= 34 && sig <= SLT_SIG_MAX)
		snprintf(buf, len, "SIGRTMIN+%u", sig - 34);
	else
		snprintf(buf, len, "SIG%u", sig);
}

/* a sender's name as the kernel saw it, or its comm now */
static void sender_comm(const struct slt_sig_stat *v, uint32_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int)sizeof(v->sender_comm), v->sender_comm);
	if (!buf[0] && pid)
		session_pid_comm(pid, buf, len);
}

/* sender: a pid; kernel: raised by the kernel; other: the senders past the cap */
static int add_series(struct model *m, unsigned sig, uint32_t sender, int kernel, int other,
		      const struct slt_sig_stat *v)
{
	char sname[24], name[96], comm[32], pid[16];
	struct series *s;

	sig_name(sig, sname, sizeof(sname));
	if (other)
		snprintf(name, sizeof(name), "%s from other senders", sname);
	else if (kernel)
		snprintf(name, sizeof(name), "%s from the kernel", sname);
	else
		snprintf(name, sizeof(name), "%s from pid %u", sname, sender);
	s = model_series(m, "signal", name);
	if (!s)
		return -ENOMEM;
	if (!s->nlabels) {
		if (other)
			snprintf(comm, sizeof(comm), "other");
		else if (kernel)
			snprintf(comm, sizeof(comm), "kernel");
		else
			sender_comm(v, sender, comm, sizeof(comm));
		snprintf(pid, sizeof(pid), "%u", sender);
		if (series_set_label(s, "signal", sname) || series_set_label(s, "sender", comm) ||
		    (!kernel && !other && series_set_label(s, "sender_pid", pid)))
			return -ENOMEM;
	}
	hist_from_kernel(&s->hist, &v->hist);
	s->untimed = v->untimed;
	if ((v->merged && series_set_counter(s, "merged", v->merged)) ||
	    (v->ignored && series_set_counter(s, "ignored", v->ignored)))
		return -ENOMEM;
	return 0;
}

/* The largest of key's per-CPU maxes in map (sig_max or sig_other_max) */
static int merged_max(struct signals_state *st, const struct bpf_map *map, const void *key,
		      __u64 *max)
{
	*max = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(map), key, st->cpu_max))
		return -errno;
	for (int i = 0; i < st->ncpus; i++)
		if (st->cpu_max[i] > *max)
			*max = st->cpu_max[i];
	return 0;
}

static int signals_drain(void *state, struct model *m)
{
	struct signals_state *st = state;
	int fd = bpf_map__fd(st->skel->maps.sig_stats);
	struct slt_sig_key key, next, *prev = NULL;
	int err;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, st->buf))
			continue;
		/* a pair enters sig_max before sig_stats, and neither loses one */
		err = merged_max(st, st->skel->maps.sig_max, &key, &st->buf->hist.max_ns);
		if (err) {
			slt_error("cannot read 'sig_max': %s", slt_strerror(err));
			return err;
		}
		err = add_series(m, key.sig, key.sender_tgid, key.from_kernel, 0, st->buf);
		if (err)
			return err;
	}
	fd = bpf_map__fd(st->skel->maps.sig_other);
	for (uint32_t sig = 1; sig <= SLT_SIG_MAX; sig++) {
		const struct slt_sig_stat *v = st->buf;
		int any = 0;

		if (bpf_map_lookup_elem(fd, &sig, st->buf) ||
		    merged_max(st, st->skel->maps.sig_other_max, &sig, &st->buf->hist.max_ns))
			continue;
		any = v->untimed || v->merged || v->ignored || v->hist.sum_ns || v->hist.max_ns;
		for (unsigned i = 0; i < 4 && !any; i++)
			any = v->hist.slots[i] != 0;
		if (any && (err = add_series(m, sig, 0, 0, 1, v)))
			return err;
	}
	return 0;
}

const struct probe_ops signals_probe = {
	.name = "signals",
	.summary = "signals delivered to the target, by signal and sender, with time pending",
	.needs = SLT_FEAT_BTF | SLT_FEAT_TP_BTF,
	.open = signals_open,
	.attach = signals_attach,
	.drain = signals_drain,
	.close = signals_close,
};
