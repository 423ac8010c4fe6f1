/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A tracing session: the target, the maps every family shares, the ring
 * buffer, the clock, and an optional command slatrace starts itself.
 */
#ifndef SLT_CORE_SESSION_H
#define SLT_CORE_SESSION_H

#include <stdint.h>
#include <sys/types.h>
#include "core/model.h"
#include "slatrace/common.h"

struct bpf_object;
struct target_bpf;
struct runq;
struct ring_buffer;
struct pollfd;

struct target_spec {
	uint32_t pids[SLT_MAX_TARGETS > 4096 ? 4096 : SLT_MAX_TARGETS];
	int npids;
	char comm[SLT_COMM_LEN];	/* -c: empty when unused */
	const char *cgroup;		/* --cgroup PATH, or NULL */
	char **cmd;			/* -- CMD ARGS..., or NULL */
};

/* a -p target slatrace watches for its exit */
struct pid_watch {
	uint32_t pid;
	int gone;
	uint64_t start_ticks;		/* /proc/PID/stat's starttime, against reuse */
};

typedef int (*slt_event_fn)(void *ctx, const void *data, unsigned long len);

/* what the session needs from the command line; a family's own options
 * are its own (core/probe.h, struct probe_opt) */
struct session_opts {
	uint32_t ringbuf_bytes;		/* a power of two >= SLT_RINGBUF_MIN */
};

#define SLT_MAX_HANDLERS 8

struct session {
	struct session_opts opts;
	struct {
		uint32_t kind;
		slt_event_fn fn;
		void *ctx;
	} handlers[SLT_MAX_HANDLERS];
	int nhandlers;
	/* the kernel's view of the target, copied into every family's rodata */
	uint32_t mode;
	uint32_t self_tgid;
	uint32_t npids;
	uint32_t pids[SLT_MAX_PIDLIST];
	uint64_t pid_start_lo_ns[SLT_MAX_PIDLIST]; /* see bpf/common.bpf.h */
	uint64_t pid_start_hi_ns[SLT_MAX_PIDLIST];
	uint64_t comm[SLT_COMM_LEN / 8];

	struct target_bpf *tskel;	/* only to follow -- CMD's children */
	struct runq *runq;		/* the target's run-queue wait (core/runq.h) */
	int map_fd[4];			/* the shared maps (session.c) */
	struct ring_buffer *rb;
	int cgroup_fd;
	pid_t cmd_pid;			/* started, waiting on cmd_gate */
	int cmd_gate;			/* write end of the pipe the child waits on */
	int cmd_errpipe;		/* read end: child's exec errno */
	const char *cmd_name;		/* argv[0] of -- CMD, for messages */
	char cmd_path[4096];		/* CMD found on PATH, before it is traced */
	struct pid_watch *watch;	/* -p targets, to see them exit */
	struct pollfd *watch_fd;	/* a pidfd each where the kernel has one */
	int nwatch;
	uint64_t next_watch_ns;
	struct model *model;
	uint64_t start_mono_ns;
	uint64_t poll_deadline;		/* ns: stop consuming records after this */
	uint64_t nevents;
};

/* The rodata every family's BPF object declares (bpf/common.bpf.h). */
#define SESSION_SET_TARGET_RODATA(skel, s)                                             \
	do {                                                                           \
		(skel)->rodata->targ_mode = (s)->mode;                                 \
		(skel)->rodata->targ_self_tgid = (s)->self_tgid;                       \
		(skel)->rodata->targ_npids = (s)->npids;                               \
		for (unsigned _i = 0; _i < SLT_MAX_PIDLIST; _i++) {                    \
			(skel)->rodata->targ_pids[_i] = (s)->pids[_i];                 \
			(skel)->rodata->targ_pid_start_lo_ns[_i] = (s)->pid_start_lo_ns[_i]; \
			(skel)->rodata->targ_pid_start_hi_ns[_i] = (s)->pid_start_hi_ns[_i]; \
		}                                                                      \
		for (unsigned _i = 0; _i < SLT_COMM_LEN / 8; _i++)                     \
			(skel)->rodata->targ_comm[_i] = (s)->comm[_i];                 \
		(skel)->rodata->targ_rb_wake_bytes = (s)->opts.ringbuf_bytes / 8;      \
	} while (0)

uint64_t slt_now_ns(void);	 /* CLOCK_MONOTONIC, the BPF clock */
uint64_t slt_realtime_ns(void);

/* Check the spec (PIDs exist, cgroup opens), load the shared maps, start
 * -- CMD stopped at its gate. Returns 0, -errno; prints the one-line error.
 * *usage is set when the fault is the command line's. */
int session_open(struct session *s, const struct target_spec *t, const struct session_opts *o,
		 struct model *m, int *usage);
/* Route ring-buffer records of this kind to fn (a family's decoder). */
int session_on_event(struct session *s, uint32_t kind, slt_event_fn fn, void *ctx);
/* Drop every handler registered with ctx (a family being closed). */
void session_forget(struct session *s, const void *ctx);
/* Make obj use the session's shared maps; call between open and load. */
int session_share_maps(struct session *s, struct bpf_object *obj);
/* Everything attached: let -- CMD exec. */
int session_start(struct session *s);
/* Poll the ring buffer for up to timeout_ms; returns events or -errno. */
int session_poll(struct session *s, int timeout_ms);
/* Read the kernel's loss counters into the model. */
void session_read_losses(struct session *s);
/* Reap -- CMD without blocking: 1 when it has exited. */
int session_cmd_done(struct session *s);
/* With -p: 1 once every target process has exited (checked at most every
 * 100 ms), else 0. */
int session_targets_gone(struct session *s);
/* Find CMD as execvp would (PATH, or as given when it holds a '/') into
 * buf, so that the search is not the traced command's own syscalls.
 * Returns 0 or -errno (-ENOENT, -EACCES, -ENAMETOOLONG). */
int session_resolve_cmd(const char *cmd, char *buf, unsigned long len);
/* 1 when pid is a kernel thread (PF_KTHREAD), its comm in comm; 0 when it is
 * not, or cannot be read */
int session_pid_is_kthread(uint32_t pid, char *comm, unsigned long len);
/* the name (comm) of pid now into comm: 0, or -1 with "?" when unreadable */
int session_pid_comm(uint32_t pid, char *comm, unsigned long len);
void session_close(struct session *s);
/* describe the target for reports: "pid 1234", "command 'ls -R /usr'" */
void session_describe_target(const struct target_spec *t, char *buf, unsigned long len);

#endif
