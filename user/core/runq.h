/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The target's own run-queue wait and CPU time over a run: how long its
 * threads were runnable but had no CPU, against how long they ran
 * (/proc/PID/task/TID/schedstat at both ends, plus bpf/runq.bpf.c for the
 * threads that exit in between; include/slatrace/runq.h). Host-wide CPU
 * pressure (core/pressure.h) can stay low while a CPU hog delays every
 * request of the target, because a waking request preempts the hog quickly
 * but still waits for it each time; the target's own wait share shows
 * exactly that, and `slatrace diff` uses it to refuse runs that are not
 * comparable (docs/diff.md). Owned by the session; not a probe family.
 */
#ifndef SLT_CORE_RUNQ_H
#define SLT_CORE_RUNQ_H

#include <stdint.h>
#include "core/model.h"

struct session;
struct runq;

/* sums over threads */
struct runq_sum {
	uint64_t cpu_ns, wait_ns;
	uint64_t sched_ins; /* times put on a CPU (schedstat's third field) */
	uint64_t threads;
};

/* Load the exit program (after the session's maps and targets exist).
 * NULL when the target is the whole host (nothing of its own to measure)
 * or the program cannot load (a warning says so): the run then has no
 * figures. */
struct runq *runq_open(struct session *s);
/* attach the exit program, then read the start figures; call before the
 * session attaches target.bpf.c (see bpf/runq.bpf.c, Hook). r may be NULL */
int runq_begin(struct runq *r);
/* read the end figures and fill meta's target_* fields (has_target_runq
 * stays 0 when they could not be read); r may be NULL */
void runq_end(struct runq *r, struct run_meta *meta);
void runq_close(struct runq *r);

/* the pure parts, for tests */
/* "CPU_NS WAIT_NS TIMESLICES\n" (/proc/.../schedstat): 0 or -EINVAL;
 * *sched_ins (TIMESLICES: how many times the thread was put on a CPU) is 0
 * when the field is missing */
int runq_parse_schedstat(const char *text, uint64_t *cpu_ns, uint64_t *wait_ns,
			 uint64_t *sched_ins);
/* the run's figures from the three sums: end + exited - start, each
 * clamped at 0 (a thread that exited between the reads can be counted in
 * both or neither) */
void runq_combine(const struct runq_sum *start, const struct runq_sum *end,
		  const struct runq_sum *exited, struct runq_sum *run);
/* wait / (wait + cpu), percent; 0 when both are 0 */
double runq_wait_pct(uint64_t wait_ns, uint64_t cpu_ns);

#endif
