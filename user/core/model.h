/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The model: what a run measured, as labelled series of histograms and
 * counters, plus the loss counters and the run's metadata. Probes write it;
 * reports only read it.
 */
#ifndef SLT_CORE_MODEL_H
#define SLT_CORE_MODEL_H

#include <stdint.h>
#include "core/hist.h"
#include "slatrace/common.h"

#define SLT_MAX_LABELS 4

/* loss stages: the kernel's (SLT_DROP_*) first, then userspace's */
#define SLT_LOSS_UNDECODABLE SLT_DROP_KERNEL_MAX
#define SLT_LOSS_MAX (SLT_DROP_KERNEL_MAX + 1)

/*
 * Per-window summaries of a series (core/windows.h records them, the JSON
 * report carries them, diff uses them as its replicates). Window i of every
 * series of a model covers the same span, run start + i * window_ns; a
 * series that began later has empty windows first. At most
 * SLT_WINDOWS_MAX: past that, adjacent windows are merged pairwise and the
 * length doubles, so a run of any length keeps 32 to 64 windows once it has
 * passed 32 base windows.
 */
#define SLT_WINDOWS_MAX 64

struct series_windows {
	int n;
	uint64_t count[SLT_WINDOWS_MAX];
	/* nearest-rank percentiles of the window's latencies (bucket
	 * midpoints); 0 when count is 0. A merged window holds the
	 * count-weighted mean of its halves' figures. */
	uint64_t p50[SLT_WINDOWS_MAX], p90[SLT_WINDOWS_MAX], p99[SLT_WINDOWS_MAX];
};

struct label {
	char key[24];
	char val[104];
};

struct counter {
	char name[32];
	uint64_t value;
};

struct series {
	char family[16];		/* its family, as its series are named (core/family.h) */
	char name[128];			/* display key, unique within the family */
	struct label labels[SLT_MAX_LABELS];
	int nlabels;
	struct hist hist;		/* latency, ns */
	uint64_t errors;
	struct counter *counters;	/* breakdown: errno -> n, or status -> n */
	int ncounters;
	/* requests: the total latency is hist; its two parts, on demand */
	struct hist *queue;		/* arrival in the receive queue -> read */
	struct hist *service;		/* read -> last response byte written */
	uint64_t failed;		/* ended without a response (reset, closed) */
	uint64_t bytes_in, bytes_out;	/* requests: bytes read (requests), written (responses) */
	struct series_windows *win;	/* NULL: none recorded (or an older report) */
};

struct run_meta {
	char host[256];
	char kernel[256];
	char target[512];		/* human description of the target */
	char families[128];		/* the families that ran, by flag name, comma separated */
	uint64_t start_realtime_ns;
	uint64_t end_realtime_ns;
	uint64_t duration_ns;
	uint64_t attach_ns;		/* start to all probes attached */
	int cmd_pid;			/* -- CMD: its pid, or 0 */
	int cmd_status;			/* wait status when cmd_exited */
	int cmd_exited;
	uint64_t procs_forked;		/* children followed (-- CMD) */
	uint64_t procs_exited;
	uint64_t window_ns;		/* length of a series' windows; 0: none */
	int has_cpu_pressure;		/* PSI was readable at both ends of the run */
	double cpu_pressure_pct;	/* share of the run some task waited for a CPU */
	/* the target's own threads over the run (core/runq.h) */
	int has_target_runq;		/* measured */
	uint64_t target_runq_wait_ns;	/* runnable, waiting for a CPU */
	uint64_t target_cpu_ns;		/* running */
	double target_runq_wait_pct;	/* wait / (wait + cpu), percent */
};

struct model {
	struct series **series;
	int nseries, cap;
	int *index;			/* open-addressing hash of series, by family+name */
	int index_cap;			/* a power of two, > 2 * nseries */
	uint64_t lost[SLT_LOSS_MAX];
	struct counter *stats;		/* run-wide named counts ("unparsed_payloads") */
	int nstats;
	struct run_meta meta;
};

struct model *model_new(void);
void model_free(struct model *m);
/* find or create; NULL with errno=ENOMEM */
struct series *model_series(struct model *m, const char *family, const char *name);
/* find without creating; NULL when absent */
struct series *model_find(const struct model *m, const char *family, const char *name);
int series_set_label(struct series *s, const char *key, const char *val);
/* a label's value, "" when the series has none by that key */
const char *series_label(const struct series *s, const char *key);
/* set (not add) a named counter */
int series_set_counter(struct series *s, const char *name, uint64_t value);
uint64_t series_counter(const struct series *s, const char *name);
int series_add_counter(struct series *s, const char *name, uint64_t n);
/* the queue/service histograms, allocated on first use; NULL on ENOMEM */
struct hist *series_queue(struct series *s);
struct hist *series_service(struct series *s);
int model_stat_add(struct model *m, const char *name, uint64_t n);
uint64_t model_stat(const struct model *m, const char *name);
/* series of a family sorted by total time, descending; caller frees */
struct series **model_sorted(const struct model *m, const char *family, int *n);
/* a deep copy; NULL on ENOMEM */
struct model *model_clone(const struct model *m);
/* a model holding now - before for every series and counter (intervals) */
struct model *model_delta(const struct model *now, const struct model *before);
/* name of loss stage i for reports and JSON ("ringbuf_reserve_failed") */
const char *model_loss_name(int i);
uint64_t model_lost_total(const struct model *m);

#endif
