/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The model: what a run measured, as labelled series of histograms and
 * counters, plus the loss counters and the run's metadata. Probes write it;
 * reports only read it.
 */
#ifndef SLT_CORE_MODEL_H
#define SLT_CORE_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "core/hist.h"
#include "core/htab.h"
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

/* a counter's number when it has one (an HTTP status, an errno), so
 * readers need not parse it back from the name */
#define SLT_NO_CODE INT32_MIN

struct counter {
	char name[32];
	int32_t code;			/* SLT_NO_CODE: named, not numbered */
	uint64_t value;
};

/*
 * The parts of a series' latency, each a histogram of its own beside the
 * total (hist): the wait before the work started, and the work. A family
 * says which parts its series have and what the JSON calls them
 * (core/family.h); the model only keeps them.
 */
enum slt_role {
	SLT_ROLE_QUEUE,
	SLT_ROLE_SERVICE,
	SLT_ROLE_MAX
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
	struct hist *role[SLT_ROLE_MAX];	/* parts of hist, on demand (series_role) */
	uint64_t failed;		/* calls that ended without an answer: no latency */
	uint64_t untimed;		/* events counted with no latency sample */
	uint64_t bytes[2];		/* byte sums, named by the family (bytes_keys) */
	struct series_windows *win;	/* NULL: none recorded (or an older report) */
};

#define SLT_META_FAMILIES_MAX 16
#define SLT_SKIPPED_MAX 8

struct run_meta {
	char host[256];
	char kernel[256];
	char target[512];		/* human description of the target */
	char families[SLT_META_FAMILIES_MAX][32]; /* the families that ran, by flag name */
	int nfamilies;
	char paths[128];		/* their attach paths, where they have two: "requests=fallback,..." */
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
	/* default-set families left out because they could not run here */
	struct {
		char name[32];
		char why[224];
	} skipped[SLT_SKIPPED_MAX];
	int nskipped;
	/* the target's own threads over the run (core/runq.h) */
	int has_target_runq;		/* measured */
	uint64_t target_runq_wait_ns;	/* runnable, waiting for a CPU */
	uint64_t target_cpu_ns;		/* running */
	uint64_t target_sched_ins;	/* times put on a CPU; 0: not known */
	double target_runq_wait_pct;	/* wait / (wait + cpu), percent */
};

struct model {
	struct series **series;
	int nseries, cap;
	struct htab index;		/* series by family and name */
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
/* set (not add) a named counter; a new one has no code */
int series_set_counter(struct series *s, const char *name, uint64_t value);
uint64_t series_counter(const struct series *s, const char *name);
int series_add_counter(struct series *s, const char *name, uint64_t n);
/* a counter with a number (code != SLT_NO_CODE), named name */
int series_set_code(struct series *s, const char *name, int32_t code, uint64_t value);
int series_add_code(struct series *s, const char *name, int32_t code, uint64_t n);
/* a latency part's histogram, allocated on first use; NULL on ENOMEM or a
 * role out of range */
struct hist *series_role(struct series *s, enum slt_role r);
/* how many events the series counted: timed, failed and untimed */
uint64_t series_count(const struct series *s);
int model_stat_add(struct model *m, const char *name, uint64_t n);
uint64_t model_stat(const struct model *m, const char *name);
/* series of a family sorted by total time, descending; caller frees */
struct series **model_sorted(const struct model *m, const char *family, int *n);
/* a deep copy; NULL on ENOMEM */
struct model *model_clone(const struct model *m);
/* a model holding now - before for every series and counter (intervals) */
struct model *model_delta(const struct model *now, const struct model *before);
/* the families that ran: add one (0; -EINVAL for an empty name, -E2BIG
 * past SLT_META_FAMILIES_MAX), ask for one, or all as "a,b" for text
 * ("" when none; cut to fit len) */
int run_meta_add_family(struct run_meta *r, const char *name);
int run_meta_has_family(const struct run_meta *r, const char *name);
const char *run_meta_families_joined(const struct run_meta *r, char *buf, size_t len);
/* name of loss stage i for reports and JSON ("ringbuf_reserve_failed") */
const char *model_loss_name(int i);
uint64_t model_lost_total(const struct model *m);

#endif
