// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core/session.h"
#include "core/log.h"
#include "core/runq.h"
#include "core/skel.h"
#include "target.skel.h"

/* The maps every family shares (bpf/common.bpf.h), created here directly:
 * no BPF object (and its BTF parsing) is loaded for them. */
enum { MAP_TARGETS, MAP_TARGET_CGROUP, MAP_EVENTS, MAP_DROPS, NSHARED };
static const char *const shared_maps[NSHARED] = { "targets", "target_cgroup", "events",
						  "drops" };

static int create_shared_maps(struct session *s)
{
	struct {
		enum bpf_map_type type;
		__u32 key, value, entries;
	} spec[NSHARED] = {
		[MAP_TARGETS] = { BPF_MAP_TYPE_HASH, 4, 1, SLT_MAX_TARGETS },
		[MAP_TARGET_CGROUP] = { BPF_MAP_TYPE_CGROUP_ARRAY, 4, 4, 1 },
		[MAP_EVENTS] = { BPF_MAP_TYPE_RINGBUF, 0, 0, s->opts.ringbuf_bytes },
		[MAP_DROPS] = { BPF_MAP_TYPE_ARRAY, 4, 8, SLT_DROP_KERNEL_MAX },
	};

	for (int i = 0; i < NSHARED; i++) {
		s->map_fd[i] = bpf_map_create(spec[i].type, shared_maps[i], spec[i].key,
					      spec[i].value, spec[i].entries, NULL);
		if (s->map_fd[i] < 0) {
			int err = -errno;

			slt_error("cannot create map '%s': %s", shared_maps[i], slt_strerror(err));
			return err;
		}
	}
	return 0;
}

uint64_t slt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t slt_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void session_describe_target(const struct target_spec *t, char *buf, unsigned long len)
{
	int n = 0;

	buf[0] = 0;
	if (t->cmd) {
		n = snprintf(buf, len, "command '");
		for (int i = 0; t->cmd[i] && n < (int)len; i++)
			n += snprintf(buf + n, len - n, "%s%s", i ? " " : "", t->cmd[i]);
		if (n < (int)len)
			snprintf(buf + n, len - n, "' and its children");
	} else if (t->npids) {
		n = snprintf(buf, len, "pid ");
		for (int i = 0; i < t->npids && n < (int)len; i++)
			n += snprintf(buf + n, len - n, "%s%u", i ? "," : "", t->pids[i]);
	} else if (t->comm[0]) {
		snprintf(buf, len, "comm '%s'", t->comm);
	} else if (t->cgroup) {
		snprintf(buf, len, "cgroup '%s'", t->cgroup);
	} else {
		snprintf(buf, len, "all processes");
	}
}

static int dispatch_event(struct session *s, void *data, size_t len);

/* A flood of records must not hold the loop past its deadline (the end of
 * the run, the next interval): every 1024 records, look at the clock. The
 * record at hand is consumed either way. */
static int handle_event(void *ctx, void *data, size_t len)
{
	struct session *s = ctx;
	int err = dispatch_event(s, data, len);

	if (err)
		return err;
	if (++s->nevents % 1024 == 0 && s->poll_deadline && slt_now_ns() > s->poll_deadline)
		return -ETIME;
	return 0;
}

static int dispatch_event(struct session *s, void *data, size_t len)
{
	const struct slt_event_hdr *h = data;

	if (len < sizeof(*h)) {
		s->model->lost[SLT_LOSS_UNDECODABLE]++;
		return 0;
	}
	switch (h->kind) {
	case SLT_EV_PROC_FORK:
	case SLT_EV_PROC_EXIT:
		if (len < sizeof(struct slt_proc_event)) {
			s->model->lost[SLT_LOSS_UNDECODABLE]++;
			break;
		}
		if (h->kind == SLT_EV_PROC_FORK)
			s->model->meta.procs_forked++;
		else
			s->model->meta.procs_exited++;
		break;
	default:
		for (int i = 0; i < s->nhandlers; i++)
			if (s->handlers[i].kind == h->kind)
				return s->handlers[i].fn(s->handlers[i].ctx, data, len);
		s->model->lost[SLT_LOSS_UNDECODABLE]++;
		break;
	}
	return 0;
}

int session_on_event(struct session *s, uint32_t kind, slt_event_fn fn, void *ctx)
{
	if (s->nhandlers >= SLT_MAX_HANDLERS)
		return -E2BIG;
	s->handlers[s->nhandlers].kind = kind;
	s->handlers[s->nhandlers].fn = fn;
	s->handlers[s->nhandlers].ctx = ctx;
	s->nhandlers++;
	return 0;
}

void session_forget(struct session *s, const void *ctx)
{
	int k = 0;

	for (int i = 0; i < s->nhandlers; i++)
		if (s->handlers[i].ctx != ctx)
			s->handlers[k++] = s->handlers[i];
	s->nhandlers = k;
}

static int pid_exists(uint32_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%u", pid);
	return stat(path, &st) == 0;
}

#define SLT_PF_KTHREAD 0x00200000u /* include/linux/sched.h */

/* state, flags and start time from /proc/PID/stat; the comm field may hold
 * spaces and parentheses, so the fields are read after its last ')' */
static int read_proc_stat(uint32_t pid, char *state, unsigned *flags, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ESRCH;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1,
			 " %c %*d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d"
			 " %*d %llu",
			 state, flags, start) != 3)
		return -EINVAL;
	return 0;
}

int session_pid_is_kthread(uint32_t pid, char *comm, unsigned long len)
{
	unsigned long long start;
	unsigned flags;
	char state;

	if (read_proc_stat(pid, &state, &flags, &start) || !(flags & SLT_PF_KTHREAD))
		return 0;
	session_pid_comm(pid, comm, len);
	return 1;
}

int session_pid_comm(uint32_t pid, char *comm, unsigned long len)
{
	char path[64];
	FILE *f;
	int err = -1;

	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, (int)len, f)) {
			comm[strcspn(comm, "\n")] = 0;
			err = 0;
		}
		fclose(f);
	}
	return err;
}

/* A pidfd cannot be fooled by a reused PID; where the kernel gives none (a
 * thread ID before 6.9, no pidfd_open before 5.3, out of descriptors), the
 * start time in /proc/PID/stat tells a reused PID from the target. */
static int watch_pids(struct session *s, const struct target_spec *t)
{
	s->watch = calloc(t->npids, sizeof(*s->watch));
	s->watch_fd = calloc(t->npids, sizeof(*s->watch_fd));
	if (!s->watch || !s->watch_fd)
		return -ENOMEM;
	s->nwatch = t->npids;
	for (int i = 0; i < t->npids; i++) {
		unsigned flags;
		char state;
#ifdef SYS_pidfd_open
		long fd = syscall(SYS_pidfd_open, (pid_t)t->pids[i], 0);
#else
		long fd = -1;
#endif

		s->watch[i].pid = t->pids[i];
		s->watch_fd[i].fd = fd >= 0 ? (int)fd : -1;
		s->watch_fd[i].events = POLLIN;
		if (read_proc_stat(t->pids[i], &state, &flags,
				   (unsigned long long *)&s->watch[i].start_ticks))
			s->watch[i].gone = s->watch_fd[i].fd < 0;
	}
	return 0;
}

int session_targets_gone(struct session *s)
{
	uint64_t now;
	int left = 0;

	if (!s->nwatch)
		return 0;
	now = slt_now_ns();
	if (now < s->next_watch_ns)
		return 0;
	s->next_watch_ns = now + 100000000ull;
	/* a pidfd reads as ready once its process has exited (a zombie too) */
	if (poll(s->watch_fd, s->nwatch, 0) < 0)
		return 0;
	for (int i = 0; i < s->nwatch; i++) {
		struct pid_watch *w = &s->watch[i];
		unsigned long long start;
		unsigned flags;
		char state;

		if (w->gone)
			continue;
		if (s->watch_fd[i].fd >= 0) {
			w->gone = (s->watch_fd[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
		} else {
			w->gone = read_proc_stat(w->pid, &state, &flags, &start) || state == 'Z' ||
				  state == 'X' || start != w->start_ticks;
		}
		/* a long -p list matches by number in the kernel: forget the
		 * number once its process is gone, before it can be reused */
		if (w->gone && s->mode == SLT_TARGET_PIDMAP)
			bpf_map_delete_elem(s->map_fd[MAP_TARGETS], &w->pid);
		left += !w->gone;
	}
	return left == 0;
}

/* is path a file this process may execute? 0 or -errno, as execve would say */
static int executable(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return access(path, X_OK) ? -errno : 0;
}

int session_resolve_cmd(const char *cmd, char *buf, unsigned long len)
{
	const char *path = getenv("PATH"), *p, *end;
	char defpath[256];
	int err = -ENOENT;

	if (!*cmd)
		return -ENOENT;
	if (strchr(cmd, '/')) {
		if (strlen(cmd) >= len)
			return -ENAMETOOLONG;
		snprintf(buf, len, "%s", cmd);
		return executable(buf);
	}
	if (!path) {
		/* execvp's search path when PATH is unset */
		if (!confstr(_CS_PATH, defpath, sizeof(defpath)))
			snprintf(defpath, sizeof(defpath), "/bin:/usr/bin");
		path = defpath;
	}
	for (p = path;; p = end + 1) {
		int n, e;

		end = strchrnul(p, ':');
		/* an empty entry is the current directory */
		n = end == p ? snprintf(buf, len, "%s", cmd)
			     : snprintf(buf, len, "%.*s/%s", (int)(end - p), p, cmd);
		if (n >= 0 && (unsigned long)n < len) {
			e = executable(buf);
			if (!e)
				return 0;
			/* like execvp: a file found but refused is reported as
			 * such when nothing later on the path will do */
			if (e == -EACCES)
				err = e;
		}
		if (!*end)
			break;
	}
	return err;
}

static int open_cgroup(const char *path, int *usage)
{
	char buf[4096];
	int fd;

	if (path[0] == '/' && strncmp(path, "/sys/fs/cgroup", 14) != 0) {
		/* "/system.slice/x.service": relative to the cgroup2 mount */
		snprintf(buf, sizeof(buf), "/sys/fs/cgroup%s", path);
		if (access(buf, F_OK) == 0)
			path = buf;
	} else if (path[0] != '/') {
		snprintf(buf, sizeof(buf), "/sys/fs/cgroup/%s", path);
		path = buf;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		slt_error("cannot open cgroup '%s': %s", path, strerror(-err));
		*usage = 1;
		return err;
	}
	return fd;
}

/* Fork the command now, held at a gate (a pipe read) until every probe is
 * attached, so that tracing starts at its first instruction. */
static int spawn_cmd(struct session *s, char **argv)
{
	int gate[2], errp[2], err, n = 0;
	char **shargv;
	pid_t pid;

	/* the PATH search is done here, before the child is a target: its
	 * failed execve calls would otherwise be counted as the command's */
	err = session_resolve_cmd(argv[0], s->cmd_path, sizeof(s->cmd_path));
	if (err)
		return err;
	while (argv[n])
		n++;
	/* execvp runs a file the kernel cannot execute (no #!) with /bin/sh */
	shargv = calloc(n + 2, sizeof(*shargv));
	if (!shargv)
		return -ENOMEM;
	shargv[0] = "sh";
	shargv[1] = s->cmd_path;
	for (int i = 1; i < n; i++)
		shargv[i + 1] = argv[i];
	if (pipe2(gate, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		free(shargv);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		free(shargv);
		return err;
	}
	if (pid == 0) {
		char c;
		int e;

		close(gate[1]);
		close(errp[0]);
		if (read(gate[0], &c, 1) != 1)
			_exit(127); /* slatrace gave up before starting us */
		signal(SIGPIPE, SIG_DFL);
		execv(s->cmd_path, argv);
		e = errno;
		if (e == ENOEXEC) {
			execv("/bin/sh", shargv);
			e = errno;
		}
		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	free(shargv);
	close(gate[0]);
	close(errp[1]);
	s->cmd_pid = pid;
	s->cmd_name = argv[0];
	s->cmd_gate = gate[1];
	s->cmd_errpipe = errp[0];
	return 0;
}

/* the fork/exit programs that follow -- CMD's children */
static int target_configure(void *ctx, const struct session *s)
{
	struct target_bpf *tskel = ctx;

	SESSION_SET_TARGET_RODATA(tskel, s);
	return 0;
}

int session_open(struct session *s, const struct target_spec *t, const struct session_opts *o,
		 struct model *m, int *usage)
{
	int err = 0;
	__u8 one = 1;

	memset(s, 0, sizeof(*s));
	if (o)
		s->opts = *o;
	if (s->opts.ringbuf_bytes < SLT_RINGBUF_MIN)
		s->opts.ringbuf_bytes = SLT_RINGBUF_MIN;
	s->cgroup_fd = -1;
	s->cmd_gate = -1;
	s->cmd_errpipe = -1;
	for (int i = 0; i < NSHARED; i++)
		s->map_fd[i] = -1;
	s->model = m;
	s->self_tgid = getpid();
	*usage = 0;

	for (int i = 0; i < t->npids; i++) {
		if (!pid_exists(t->pids[i])) {
			slt_error("no process with PID %u", t->pids[i]);
			*usage = 1;
			return -ESRCH;
		}
	}
	if (t->npids && !t->cmd) {
		err = watch_pids(s, t);
		if (err) {
			slt_error("cannot watch the target processes: %s", strerror(-err));
			goto fail;
		}
	}
	if (t->cgroup) {
		s->cgroup_fd = open_cgroup(t->cgroup, usage);
		if (s->cgroup_fd < 0)
			return s->cgroup_fd;
	}

	if (t->cmd) {
		s->mode = SLT_TARGET_PIDMAP;
	} else if (t->npids && t->npids <= SLT_MAX_PIDLIST) {
		long hz = sysconf(_SC_CLK_TCK);

		s->mode = SLT_TARGET_PIDLIST;
		s->npids = t->npids;
		memcpy(s->pids, t->pids, t->npids * sizeof(t->pids[0]));
		/* /proc's start time is start_boottime in whole ticks: the
		 * range of nanoseconds a tick covers tells a later process
		 * with the same PID number apart */
		for (int i = 0; i < t->npids && hz > 0 && 1000000000L % hz == 0; i++) {
			unsigned long long ticks;
			uint64_t tick_ns = 1000000000ull / (uint64_t)hz;
			unsigned flags;
			char state;

			if (read_proc_stat(t->pids[i], &state, &flags, &ticks))
				continue;
			s->pid_start_lo_ns[i] = ticks * tick_ns;
			s->pid_start_hi_ns[i] = (ticks + 1) * tick_ns;
		}
	} else if (t->npids) {
		s->mode = SLT_TARGET_PIDMAP;
	} else if (t->comm[0]) {
		s->mode = SLT_TARGET_COMM;
		memcpy(s->comm, t->comm, SLT_COMM_LEN);
	} else if (t->cgroup) {
		s->mode = SLT_TARGET_CGROUP;
	} else {
		s->mode = SLT_TARGET_ALL;
	}

	err = create_shared_maps(s);
	if (err)
		goto fail;
	if (t->cmd) {
		/* following children: the fork/exit programs */
		s->tskel = target_bpf__open();
		err = slt_skel_load(s->tskel ? s->tskel->skeleton : NULL, s, "target",
				    target_configure, s->tskel);
		if (err)
			goto fail;
	}
	if (s->mode == SLT_TARGET_PIDMAP && !t->cmd) {
		for (int i = 0; i < t->npids; i++) {
			err = bpf_map_update_elem(s->map_fd[MAP_TARGETS], &t->pids[i],
						  &one, BPF_ANY);
			if (err) {
				err = -errno;
				slt_error("cannot add PID %u to the target set: %s", t->pids[i],
					  slt_strerror(err));
				goto fail;
			}
		}
	}
	if (s->mode == SLT_TARGET_CGROUP) {
		__u32 zero = 0;

		err = bpf_map_update_elem(s->map_fd[MAP_TARGET_CGROUP], &zero,
					  &s->cgroup_fd, BPF_ANY);
		if (err) {
			err = -errno;
			slt_error("cannot use cgroup '%s': %s", t->cgroup, slt_strerror(err));
			goto fail;
		}
	}
	s->rb = ring_buffer__new(s->map_fd[MAP_EVENTS], handle_event, s, NULL);
	if (!s->rb) {
		err = -errno;
		slt_error("cannot open the ring buffer: %s", slt_strerror(err));
		goto fail;
	}
	if (t->cmd) {
		err = spawn_cmd(s, t->cmd);
		if (err) {
			slt_error("cannot run '%s': %s", t->cmd[0], strerror(-err));
			goto fail;
		}
		err = bpf_map_update_elem(s->map_fd[MAP_TARGETS], &s->cmd_pid, &one,
					  BPF_ANY);
		if (err) {
			err = -errno;
			slt_error("cannot add the command to the target set: %s",
				  slt_strerror(err));
			goto fail;
		}
		s->model->meta.cmd_pid = s->cmd_pid;
	}
	s->runq = runq_open(s);
	return 0;
fail:
	session_close(s);
	return err;
}

int session_share_maps(struct session *s, struct bpf_object *obj)
{
	for (size_t i = 0; i < sizeof(shared_maps) / sizeof(shared_maps[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, shared_maps[i]);
		int err;

		if (!m)
			continue;
		err = bpf_map__reuse_fd(m, s->map_fd[i]);
		if (err) {
			slt_error("cannot share map '%s': %s", shared_maps[i], slt_strerror(err));
			return err;
		}
	}
	return 0;
}

int session_start(struct session *s)
{
	int err;

	/* first: its exit program must run before target.bpf.c's */
	err = runq_begin(s->runq);
	if (err)
		return err;
	if (s->tskel) {
		err = slt_skel_attach(s->tskel->skeleton, NULL);
		if (err)
			return err;
	}
	s->start_mono_ns = slt_now_ns();
	if (s->cmd_pid > 0) {
		int e = 0;
		ssize_t n;

		if (write(s->cmd_gate, "g", 1) != 1)
			return -errno;
		close(s->cmd_gate);
		s->cmd_gate = -1;
		/* the error pipe closes on a successful exec */
		n = read(s->cmd_errpipe, &e, sizeof(e));
		close(s->cmd_errpipe);
		s->cmd_errpipe = -1;
		if (n == sizeof(e)) {
			slt_error("cannot run '%s': %s", s->cmd_name, strerror(e));
			return -e;
		}
	}
	return 0;
}

int session_poll(struct session *s, int timeout_ms)
{
	int n;

	s->poll_deadline = slt_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	if (!s->rb) /* no family reads the ring buffer (the runner's unit tests) */
		return poll(NULL, 0, timeout_ms) < 0 && errno != EINTR ? -errno : 0;
	n = ring_buffer__poll(s->rb, timeout_ms);
	/* records submitted without a wakeup are not announced by epoll:
	 * drain whatever is there each time round */
	if (n >= 0 || n == -EINTR || n == -ETIME)
		n = ring_buffer__consume(s->rb);
	return n == -EINTR || n == -ETIME ? 0 : n;
}

void session_read_losses(struct session *s)
{
	int fd = s->map_fd[MAP_DROPS];

	for (__u32 i = 0; i < SLT_DROP_KERNEL_MAX; i++) {
		__u64 v = 0;

		if (!bpf_map_lookup_elem(fd, &i, &v))
			s->model->lost[i] = v;
	}
}

int session_cmd_done(struct session *s)
{
	int status;
	pid_t r;

	if (s->cmd_pid <= 0)
		return 0;
	if (s->model->meta.cmd_exited)
		return 1;
	r = waitpid(s->cmd_pid, &status, WNOHANG);
	if (r == s->cmd_pid) {
		s->model->meta.cmd_exited = 1;
		s->model->meta.cmd_status = status;
		return 1;
	}
	return 0;
}

void session_close(struct session *s)
{
	if (s->cmd_gate >= 0) {
		close(s->cmd_gate); /* the child reads EOF and exits 127 */
		s->cmd_gate = -1;
	}
	if (s->cmd_errpipe >= 0) {
		close(s->cmd_errpipe);
		s->cmd_errpipe = -1;
	}
	if (s->cmd_pid > 0 && !s->model->meta.cmd_exited) {
		int status;

		if (waitpid(s->cmd_pid, &status, WNOHANG) == 0) {
			/* a run cut short (Ctrl-C, -d) leaves the command running,
			 * as a tracer should; an unstarted one is reaped */
		} else {
			s->model->meta.cmd_exited = 1;
			s->model->meta.cmd_status = status;
		}
	}
	ring_buffer__free(s->rb);
	s->rb = NULL;
	runq_close(s->runq);
	s->runq = NULL;
	target_bpf__destroy(s->tskel);
	s->tskel = NULL;
	for (int i = 0; i < NSHARED; i++) {
		if (s->map_fd[i] >= 0)
			close(s->map_fd[i]);
		s->map_fd[i] = -1;
	}
	if (s->cgroup_fd >= 0)
		close(s->cgroup_fd);
	s->cgroup_fd = -1;
	for (int i = 0; i < s->nwatch; i++)
		if (s->watch_fd[i].fd >= 0)
			close(s->watch_fd[i].fd);
	free(s->watch);
	free(s->watch_fd);
	s->watch = NULL;
	s->watch_fd = NULL;
	s->nwatch = 0;
}
