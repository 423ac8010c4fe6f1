// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the running kernel can do, found by doing it: each feature loads one
 * program of bpf/features.bpf.c, attaches it, triggers its hook from this
 * process and checks that the program's counter moved. A feature that loads
 * and attaches but never runs is a "no" too: that is what a user would see.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/perf_event.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "core/features.h"
#include "core/log.h"
#include "features.skel.h"

#define TRACEFS_DIR "/sys/kernel/tracing"
#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"
#define NEED_PRIV "needs root, or CAP_BPF and CAP_PERFMON"

/* the kernel function kprobe and fentry hook: every nanosleep goes through
 * it on every architecture, and being called from two places it is kept out
 * of line, so it is in kallsyms and BTF */
#define KFUNC_TARGET "do_nanosleep"

/* The uprobe target: a function of this binary, kept out of line and
 * unmergeable so its address is a real entry point. Found by address, not
 * by symbol, so a stripped slatrace probes the same. */
__attribute__((noinline, used)) int slt_features_uprobe_target(int x);
__attribute__((noinline, used)) int slt_features_uprobe_target(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

struct run {
	struct features_bpf *skel;
	struct bpf_link *links[2];
	int perf_fd;
	struct ring_buffer *rb;
	__u64 records_seen;
	__u32 tgid;
	char note[96]; /* where it attached, for the detail */
};

struct probe_def {
	unsigned bit;
	const char *name;
	const char *what;
	/* the fix, in words, for a kernel that refused it (slatrace check) */
	const char *fix;
	/* programs to enable (NULL: none) and their counters (bss offsets);
	 * every listed counter must move */
	const char *progs[2];
	size_t hits[2];
	/* why it may fail when privileged, by stage; NULL: no guess */
	const char *prepare_hint;
	const char *load_hint;
	const char *attach_hint;
	const char *run_hint;
	int (*prepare)(struct run *run); /* before load; NULL: nothing */
	int (*attach)(struct run *run);	 /* NULL: bpf_program__attach each */
	void (*trigger)(struct run *run);
	int (*verify)(struct run *run, struct feature_result *r); /* extra, after counters */
};

#define HITS(field) offsetof(struct features_bpf__bss, field)

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int privileged(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};
	unsigned long long eff;

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	eff = ((unsigned long long)data[1].effective << 32) | data[0].effective;
	if (eff & (1ULL << CAP_SYS_ADMIN))
		return 1;
	return (eff & (1ULL << 39 /* CAP_BPF */)) && (eff & (1ULL << 38 /* CAP_PERFMON */));
}

/* the kernel lockdown mode, "integrity" or "confidentiality"; NULL when
 * not locked down, or unknown (no securityfs) */
static const char *lockdown_mode(void)
{
	static char mode[32];
	char buf[128], *open, *close;
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	open = strchr(buf, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!close || !strncmp(open, "[none]", 6))
		return NULL;
	snprintf(mode, sizeof(mode), "%.*s", (int)(close - open - 1), open + 1);
	return mode;
}

static void set_fail(struct feature_result *r, const char *stage, int err, const char *hint)
{
	char why[96];

	if (err == -EPERM || err == -EACCES) {
		const char *mode = privileged() ? lockdown_mode() : NULL;

		if (!privileged()) {
			hint = NEED_PRIV;
		} else if (mode && !strcmp(mode, "confidentiality")) {
			/* the level that forbids BPF reading kernel memory */
			snprintf(why, sizeof(why), "kernel lockdown is '%s'", mode);
			hint = why;
		} else {
			hint = "refused even to root: kernel lockdown or a security module?";
		}
	}
	if (hint)
		snprintf(r->detail, sizeof(r->detail), "%s failed: %s (%s)", stage,
			 slt_strerror(err), hint);
	else
		snprintf(r->detail, sizeof(r->detail), "%s failed: %s", stage, slt_strerror(err));
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* enter the kernel through getppid (and the hooks on it) a few times */
static void trigger_syscalls(struct run *run)
{
	(void)run;
	for (int i = 0; i < 4; i++)
		syscall(SYS_getppid);
}

/* one write and one read through a Unix socketpair: socket-layer I/O */
static void trigger_socket_io(struct run *run)
{
	char c = 'x';
	int sv[2];

	(void)run;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return;
	if (write(sv[0], &c, 1) == 1 && read(sv[1], &c, 1) != 1)
		c = 0;
	close(sv[0]);
	close(sv[1]);
}

static void trigger_sleep(struct run *run)
{
	(void)run;
	for (int i = 0; i < 2; i++)
		sleep_us(1);
}

static int prepare_fentry(struct run *run)
{
	return bpf_program__set_attach_target(run->skel->progs.handle_fentry, 0, KFUNC_TARGET);
}

static int attach_kprobe(struct run *run)
{
	run->links[0] = bpf_program__attach_kprobe(run->skel->progs.handle_kprobe, false,
						   KFUNC_TARGET);
	snprintf(run->note, sizeof(run->note), "on %s", KFUNC_TARGET);
	return run->links[0] ? 0 : -errno;
}

/* the file and file offset of fn, from our own mappings: what the kernel's
 * uprobe wants, found without symbols */
static int self_file_offset(const void *fn, char *path, size_t pathlen, size_t *off)
{
	unsigned long addr = (unsigned long)fn, start, end, pgoff;
	char line[4096 + 128], perms[8], file[4096];
	int err = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		file[0] = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %4095s", &start, &end, perms, &pgoff,
			   file) < 4)
			continue;
		if (addr < start || addr >= end)
			continue;
		if (perms[2] != 'x' || file[0] != '/') {
			err = -ENOEXEC;
			break;
		}
		snprintf(path, pathlen, "%s", file);
		*off = addr - start + pgoff;
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static int attach_uprobes(struct run *run)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	char path[4096];
	size_t off = 0;
	int err;

	err = self_file_offset((const void *)slt_features_uprobe_target, path, sizeof(path), &off);
	if (err)
		return err;
	snprintf(run->note, sizeof(run->note), "on slt_features_uprobe_target+0x%zx", off);
	/* pid 0: this process only, so nothing else running slatrace pays */
	opts.retprobe = false;
	run->links[0] = bpf_program__attach_uprobe_opts(run->skel->progs.handle_uprobe, 0, path,
							off, &opts);
	if (!run->links[0])
		return -errno;
	opts.retprobe = true;
	run->links[1] = bpf_program__attach_uprobe_opts(run->skel->progs.handle_uretprobe, 0, path,
							off, &opts);
	return run->links[1] ? 0 : -errno;
}

static void trigger_uprobes(struct run *run)
{
	int (*volatile fn)(int) = slt_features_uprobe_target;

	(void)run;
	for (int i = 0; i < 4; i++)
		fn(i);
}

static int attach_perf_event(struct run *run)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 100000, /* ns of CPU time: 10 kHz while we spin */
	};

	/* this process on any CPU: sampling every CPU is what trace does, but
	 * proving the program runs needs only our own samples */
	run->perf_fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (run->perf_fd < 0)
		return -errno;
	run->links[0] = bpf_program__attach_perf_event(run->skel->progs.handle_perf_event,
						       run->perf_fd);
	return run->links[0] ? 0 : -errno;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* burn CPU until a sample arrives, at most 200 ms */
static void trigger_perf_event(struct run *run)
{
	volatile __u64 *hits = &run->skel->bss->perf_event_hits;
	__u64 deadline = now_ns() + 200000000ull;
	volatile unsigned long spin = 0;

	while (!*hits && now_ns() < deadline)
		for (int i = 0; i < 100000; i++)
			spin++;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct run *run = ctx;
	const __u32 *tgid = data;

	if (size >= sizeof(*tgid) && *tgid == run->tgid)
		run->records_seen++;
	return 0;
}

static int prepare_ringbuf(struct run *run)
{
	long page = sysconf(_SC_PAGESIZE);

	bpf_map__set_autocreate(run->skel->maps.records, true);
	return bpf_map__set_max_entries(run->skel->maps.records, page > 0 ? page : 4096);
}

static int attach_ringbuf(struct run *run)
{
	run->rb = ring_buffer__new(bpf_map__fd(run->skel->maps.records), on_record, run, NULL);
	if (!run->rb)
		return -errno;
	run->links[0] = bpf_program__attach(run->skel->progs.handle_ringbuf_sys_enter);
	return run->links[0] ? 0 : -errno;
}

static int verify_ringbuf(struct run *run, struct feature_result *r)
{
	int n = ring_buffer__consume(run->rb);

	if (n < 0) {
		set_fail(r, "consume", n, NULL);
		return n;
	}
	if (!run->records_seen) {
		snprintf(r->detail, sizeof(r->detail),
			 "records were written but none reached userspace");
		return -ENODATA;
	}
	return 0;
}

static int prepare_task_storage(struct run *run)
{
	return bpf_map__set_autocreate(run->skel->maps.task_counts, true);
}

/* in bit order: probes[i].bit == 1u << i, and res[] follows it */
static const struct probe_def probes[SLT_FEAT_COUNT] = {
	{
		.bit = SLT_FEAT_BTF,
		.name = "btf",
		.what = "kernel BTF (" BTF_VMLINUX ")",
		.fix = "the kernel needs CONFIG_DEBUG_INFO_BTF=y (it exposes "
		       "/sys/kernel/btf/vmlinux)",
	},
	{
		.bit = SLT_FEAT_TRACEPOINT,
		.name = "tracepoint",
		.what = "classic tracepoints (tp/)",
		.fix = "tracefs must be mountable at /sys/kernel/tracing; the kernel needs "
		       "CONFIG_FTRACE_SYSCALLS=y",
		.progs = { "handle_tp_getppid" },
		.hits = { HITS(tp_hits) },
		.attach_hint = "is tracefs mounted at " TRACEFS_DIR "? kernel needs "
			       "CONFIG_FTRACE_SYSCALLS",
		.trigger = trigger_syscalls,
	},
	{
		.bit = SLT_FEAT_TP_BTF,
		.name = "tp_btf",
		.what = "BTF tracepoints (tp_btf/)",
		.fix = "the kernel needs BTF and Linux 5.5 or later",
		.progs = { "handle_tp_btf_sys_enter" },
		.hits = { HITS(tp_btf_hits) },
		.load_hint = "kernel needs BTF and 5.5 or later",
		.trigger = trigger_syscalls,
	},
	{
		.bit = SLT_FEAT_RAW_TP,
		.name = "raw_tp",
		.what = "raw tracepoints (raw_tp/)",
		.fix = "the kernel needs Linux 4.17 or later",
		.progs = { "handle_raw_tp_sys_enter" },
		.hits = { HITS(raw_tp_hits) },
		.load_hint = "kernel needs 4.17 or later",
		.trigger = trigger_syscalls,
	},
	{
		.bit = SLT_FEAT_UPROBE,
		.name = "uprobe",
		.what = "uprobes and uretprobes",
		.fix = "the kernel needs CONFIG_UPROBE_EVENTS=y",
		.progs = { "handle_uprobe", "handle_uretprobe" },
		.hits = { HITS(uprobe_hits), HITS(uretprobe_hits) },
		.attach_hint = "kernel built without CONFIG_UPROBE_EVENTS?",
		.attach = attach_uprobes,
		.trigger = trigger_uprobes,
	},
	{
		.bit = SLT_FEAT_KPROBE,
		.name = "kprobe",
		.what = "kprobes",
		.fix = "the kernel needs CONFIG_KPROBES=y and CONFIG_KPROBE_EVENTS=y",
		.progs = { "handle_kprobe" },
		.hits = { HITS(kprobe_hits) },
		.attach_hint = "kernel built without CONFIG_KPROBES?",
		.attach = attach_kprobe,
		.trigger = trigger_sleep,
	},
	{
		.bit = SLT_FEAT_FENTRY,
		.name = "fentry",
		.what = "fentry/fexit (BPF trampolines)",
		.fix = "the kernel needs BTF and CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS=y",
		.progs = { "handle_fentry" },
		.hits = { HITS(fentry_hits) },
		.prepare_hint = KFUNC_TARGET " not found in the kernel's BTF",
		.load_hint = "kernel needs BTF, CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS and BPF "
			     "trampolines for this architecture",
		.attach_hint = "kernel cannot patch " KFUNC_TARGET " (no ftrace direct calls?)",
		.prepare = prepare_fentry,
		.trigger = trigger_sleep,
	},
	{
		.bit = SLT_FEAT_PERF_EVENT,
		.name = "perf_event",
		.what = "CPU sampling (software perf_event)",
		.fix = "the kernel needs CONFIG_PERF_EVENTS=y",
		.progs = { "handle_perf_event" },
		.hits = { HITS(perf_event_hits) },
		.attach_hint = "kernel built without CONFIG_PERF_EVENTS? see "
			       "/proc/sys/kernel/perf_event_paranoid",
		.run_hint = "no CPU-clock sample in 200 ms",
		.attach = attach_perf_event,
		.trigger = trigger_perf_event,
	},
	{
		.bit = SLT_FEAT_RINGBUF,
		.name = "ringbuf",
		.what = "BPF ring buffer",
		.fix = "the kernel needs Linux 5.8 or later (BPF ring buffer)",
		.progs = { "handle_ringbuf_sys_enter" },
		.hits = { HITS(ringbuf_hits) },
		.load_hint = "kernel needs 5.8 or later",
		.prepare = prepare_ringbuf,
		.attach = attach_ringbuf,
		.trigger = trigger_syscalls,
		.verify = verify_ringbuf,
	},
	{
		.bit = SLT_FEAT_TASK_STORAGE,
		.name = "task_storage",
		.what = "task local storage (tracing programs)",
		.fix = "the kernel needs BTF and Linux 5.11 or later (task local storage)",
		.progs = { "handle_task_storage_sys_enter" },
		.hits = { HITS(task_storage_hits) },
		.load_hint = "kernel needs BTF, tp_btf and 5.11 or later",
		.prepare = prepare_task_storage,
		.trigger = trigger_syscalls,
	},
	{
		.bit = SLT_FEAT_SOCK_TP,
		.name = "sock_tp",
		.what = "socket I/O tracepoints (sock_send_length, sock_recv_length)",
		.fix = "the kernel needs Linux 6.3 or later (sock:sock_send_length and "
		       "sock:sock_recv_length)",
		.progs = { "handle_sock_send_length", "handle_sock_recv_length" },
		.hits = { HITS(sock_send_hits), HITS(sock_recv_hits) },
		.load_hint = "kernel needs BTF, tp_btf and the sock:sock_send_length and "
			     "sock:sock_recv_length tracepoints (Linux 6.3+)",
		.trigger = trigger_socket_io,
	},
	{
		.bit = SLT_FEAT_RDONLY_CAST,
		.name = "rdonly_cast",
		.what = "the bpf_rdonly_cast kfunc (typed reads of kernel objects)",
		.fix = "the kernel needs BTF and Linux 6.2 or later (the bpf_rdonly_cast kfunc)",
		.progs = { "handle_rdonly_cast_sys_enter" },
		.hits = { HITS(rdonly_cast_hits) },
		.load_hint = "kernel needs BTF and Linux 6.2 or later",
		.trigger = trigger_syscalls,
	},
	{
		.bit = SLT_FEAT_SOCKOPS_FEXIT,
		.name = "sockops_fexit",
		.what = "fexit on socket operations (unix_stream_sendmsg, unix_stream_recvmsg)",
		.fix = "the kernel needs BTF and fentry/fexit (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS=y)",
		.progs = { "handle_sockops_fexit_send", "handle_sockops_fexit_recv" },
		.hits = { HITS(sockops_fexit_send_hits), HITS(sockops_fexit_recv_hits) },
		.load_hint = "kernel needs BTF, fentry/fexit and unix_stream_sendmsg/recvmsg in its BTF",
		.attach_hint = "kernel cannot patch unix_stream_sendmsg/recvmsg (no ftrace direct calls?)",
		.run_hint = "a socketpair's write or read did not reach unix_stream_sendmsg/recvmsg",
		.trigger = trigger_socket_io,
	},
	{
		.bit = SLT_FEAT_ATOMICS,
		.name = "atomics",
		.what = "BPF atomic operations beyond add (fetch-and-add, compare-and-swap, or)",
		.fix = "the kernel needs Linux 5.12 or later (BPF atomic instructions)",
		.progs = { "handle_atomics_sys_enter" },
		.hits = { HITS(atomics_hits) },
		.load_hint = "kernel needs BTF, tp_btf and 5.12 or later",
		.trigger = trigger_syscalls,
	},
	{
		.bit = SLT_FEAT_TASK_PT_REGS,
		.name = "task_pt_regs",
		.what = "a task's syscall registers from tracing programs (bpf_task_pt_regs)",
		.fix = "the kernel needs BTF and Linux 5.15 or later (bpf_task_pt_regs)",
		.progs = { "handle_task_pt_regs_sys_enter" },
		.hits = { HITS(task_pt_regs_hits) },
		.load_hint = "kernel needs BTF, tp_btf and 5.15 or later",
		.run_hint = "the registers did not name the getppid the tracepoint saw",
		.trigger = trigger_syscalls,
	},
};

static int probe_btf(struct feature_result *r)
{
	struct btf *btf;
	int err;

	if (access(BTF_VMLINUX, R_OK)) {
		err = -errno;
		if (err == -ENOENT)
			snprintf(r->detail, sizeof(r->detail),
				 "no " BTF_VMLINUX " (kernel needs CONFIG_DEBUG_INFO_BTF=y)");
		else
			snprintf(r->detail, sizeof(r->detail), "cannot read " BTF_VMLINUX ": %s",
				 slt_strerror(err));
		return err;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		err = -errno;
		snprintf(r->detail, sizeof(r->detail), "cannot parse " BTF_VMLINUX ": %s",
			 slt_strerror(err));
		return err;
	}
	btf__free(btf);
	return 0;
}

static int run_probe(const struct probe_def *d, struct feature_result *r)
{
	struct run run = { .perf_fd = -1 };
	struct bpf_program *prog;
	int err = 0;

	run.tgid = (__u32)getpid();
	run.skel = features_bpf__open();
	if (!run.skel) {
		err = -errno;
		set_fail(r, "open", err, NULL);
		goto cleanup;
	}
	run.skel->rodata->targ_tgid = run.tgid;
	/* only this probe's maps: a kernel without ring buffers must still be
	 * able to say yes to kprobes */
	bpf_map__set_autocreate(run.skel->maps.records, false);
	bpf_map__set_autocreate(run.skel->maps.task_counts, false);
	for (int i = 0; i < 2 && d->progs[i]; i++) {
		prog = bpf_object__find_program_by_name(run.skel->obj, d->progs[i]);
		if (!prog) {
			err = -ENOENT;
			set_fail(r, "open", err, "program missing from features.bpf.o");
			goto cleanup;
		}
		bpf_program__set_autoload(prog, true);
	}
	if (d->prepare) {
		err = d->prepare(&run);
		if (err) {
			set_fail(r, "setup", err, d->prepare_hint);
			goto cleanup;
		}
	}
	err = features_bpf__load(run.skel);
	if (err) {
		set_fail(r, "load", err, d->load_hint);
		goto cleanup;
	}
	if (d->attach) {
		err = d->attach(&run);
	} else {
		for (int i = 0; i < 2 && d->progs[i]; i++) {
			prog = bpf_object__find_program_by_name(run.skel->obj, d->progs[i]);
			run.links[i] = bpf_program__attach(prog);
			if (!run.links[i]) {
				err = -errno;
				break;
			}
		}
	}
	if (err) {
		set_fail(r, "attach", err, d->attach_hint);
		goto cleanup;
	}
	d->trigger(&run);
	for (int i = 0; i < 2 && d->progs[i]; i++) {
		__u64 n = *(volatile __u64 *)((char *)run.skel->bss + d->hits[i]);

		if (!n) {
			err = -ENODATA;
			snprintf(r->detail, sizeof(r->detail),
				 "attached, but '%s' never ran%s%s", d->progs[i],
				 d->run_hint ? ": " : "", d->run_hint ? d->run_hint : "");
			goto cleanup;
		}
	}
	if (d->verify) {
		err = d->verify(&run, r);
		if (err)
			goto cleanup;
	}
	if (slt_verbose && run.note[0])
		snprintf(r->detail, sizeof(r->detail), "%s", run.note);
cleanup:
	ring_buffer__free(run.rb);
	for (int i = 0; i < 2; i++)
		bpf_link__destroy(run.links[i]);
	if (run.perf_fd >= 0)
		close(run.perf_fd);
	features_bpf__destroy(run.skel);
	return err;
}

int features_ensure_tracefs(void)
{
	struct statfs st;

	if (statfs(TRACEFS_DIR, &st) == 0 && st.f_type == TRACEFS_MAGIC)
		return 0;
	/* a missing directory means a kernel without tracefs: nothing to mount on */
	if (mount("nodev", TRACEFS_DIR, "tracefs", 0, NULL))
		return -errno;
	return 1;
}

unsigned features_probe_mask(unsigned want, struct feature_result *res)
{
	libbpf_print_fn_t prev = NULL;
	unsigned mask = 0;
	int mounted = 0;

	/* libbpf explains each failure at length; we say it in one line, and
	 * -v shows libbpf's words too */
	if (!slt_verbose)
		prev = libbpf_set_print(silent_print);
	if (want & SLT_FEAT_TRACEPOINT)
		mounted = features_ensure_tracefs();
	for (int i = 0; i < SLT_FEAT_COUNT; i++) {
		const struct probe_def *d = &probes[i];
		struct feature_result *r = &res[i];
		int err;

		memset(r, 0, sizeof(*r));
		r->bit = d->bit;
		r->name = d->name;
		r->what = d->what;
		r->fix = d->fix;
		if (!(want & d->bit)) {
			snprintf(r->detail, sizeof(r->detail), "not probed");
			continue;
		}
		err = d->bit == SLT_FEAT_BTF ? probe_btf(r) : run_probe(d, r);
		if (err) {
			if (d->bit == SLT_FEAT_TRACEPOINT && mounted < 0 && privileged()) {
				size_t n = strlen(r->detail);

				snprintf(r->detail + n, sizeof(r->detail) - n,
					 "; cannot mount tracefs: %s", slt_strerror(mounted));
			}
			continue;
		}
		r->ok = 1;
		mask |= d->bit;
		if (d->bit == SLT_FEAT_TRACEPOINT && mounted == 1)
			snprintf(r->detail, sizeof(r->detail),
				 "tracefs mounted by slatrace at " TRACEFS_DIR);
	}
	if (!slt_verbose)
		libbpf_set_print(prev);
	return mask;
}

unsigned features_probe(struct feature_result *res)
{
	return features_probe_mask((1u << SLT_FEAT_COUNT) - 1, res);
}
