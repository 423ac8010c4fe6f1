// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* slatrace check: can this host run slatrace, and if not, why not. Every
 * "yes" comes from a program that loaded, attached and ran here
 * (core/features.c); nothing is read from the kernel config. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "cmd/cmd.h"
#include "core/features.h"
#include "core/log.h"
#include "probes/probe.h"

#define SLT_CAP_PERFMON 38
#define SLT_CAP_BPF 39
#define MAX_FAMILIES 32

enum {
	OPT_JSON = 256,
};

static const struct opt_help check_opts[] = {
	{ { "json", no_argument, NULL, OPT_JSON }, 0, NULL, "print the report as JSON on stdout" },
	{ { "verbose", no_argument, NULL, 'v' }, 'v', NULL,
	  "also say where each probe attached, and show libbpf's messages" },
	{ { "help", no_argument, NULL, 'h' }, 'h', NULL, "show this help" },
	{ { NULL, 0, NULL, 0 }, 0, NULL, NULL },
};

/* does RLIMIT_MEMLOCK limit BPF memory on this kernel? */
enum memlock_state {
	MEMLOCK_UNKNOWN,   /* could not create a map at all */
	MEMLOCK_IGNORED,   /* memory cgroup accounting (5.11+): the limit is not used */
	MEMLOCK_MATTERS,   /* maps and programs count against the limit */
};

struct family_verdict {
	const struct probe_ops *ops;
	unsigned missing; /* needs the kernel did not grant */
	const char *refused; /* refused otherwise (core/probe.h), or NULL */
	enum probe_path_kind path; /* the attach path it would take here */
	char why[256];		   /* why that one */
};

struct check_report {
	struct utsname uts;
	int uts_ok;
	uid_t euid;
	int cap_sys_admin, cap_bpf, cap_perfmon;
	int privileged;
	struct rlimit memlock;
	enum memlock_state memlock_state;
	char memlock_detail[128];
	unsigned probed; /* features actually probed (all, or BTF only without privileges) */
	unsigned have;
	struct feature_result feat[SLT_FEAT_COUNT];
	struct family_verdict fam[MAX_FAMILIES];
	int nfam;
	int can_run;
	int partial; /* can run, but some default-set family cannot: trace leaves it out */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: slatrace check [--json] [-v]\n\n"
		   "Tell whether this host can run slatrace, and why not. Each kind of hook is\n"
		   "probed for real: a tiny program is loaded, attached, triggered and must run.\n"
		   "Then each probe family is checked against what works. Needs root (or\n"
		   "CAP_BPF and CAP_PERFMON) to probe; mounts tracefs at /sys/kernel/tracing\n"
		   "when it is missing, as classic tracepoints need it.\n\n"
		   "options:\n");
	cmd_print_options(f, check_opts);
	fprintf(f, "\nexit status: 0 slatrace can run here, 1 it cannot (the reason is on\n"
		   "stderr), 2 usage error\n");
}

static void read_privileges(struct check_report *r)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};
	unsigned long long eff = 0;

	r->euid = geteuid();
	if (syscall(SYS_capget, &hdr, data) == 0)
		eff = ((unsigned long long)data[1].effective << 32) | data[0].effective;
	else if (r->euid == 0)
		eff = ~0ULL;
	r->cap_sys_admin = !!(eff & (1ULL << CAP_SYS_ADMIN));
	r->cap_bpf = !!(eff & (1ULL << SLT_CAP_BPF));
	r->cap_perfmon = !!(eff & (1ULL << SLT_CAP_PERFMON));
	r->privileged = r->cap_sys_admin || (r->cap_bpf && r->cap_perfmon);
}

static int try_map(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "slt_memlock", 4, 8, 1, NULL);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Ask the kernel, not its version: in a child (the limit must not stick),
 * create a map, drop RLIMIT_MEMLOCK to 0 and create another. If the second
 * works, BPF memory is charged to the memory cgroup and memlock is unused. */
static void probe_memlock(struct check_report *r)
{
	struct rlimit zero = { 0, 0 };
	int status;
	pid_t pid;

	r->memlock_state = MEMLOCK_UNKNOWN;
	if (getrlimit(RLIMIT_MEMLOCK, &r->memlock)) {
		snprintf(r->memlock_detail, sizeof(r->memlock_detail), "cannot read the limit: %s",
			 slt_strerror(-errno));
		return;
	}
	if (!r->privileged) {
		snprintf(r->memlock_detail, sizeof(r->memlock_detail),
			 "unknown: finding out needs root");
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(r->memlock_detail, sizeof(r->memlock_detail), "cannot fork: %s",
			 slt_strerror(-errno));
		return;
	}
	if (pid == 0) {
		if (try_map())
			_exit(2);
		if (setrlimit(RLIMIT_MEMLOCK, &zero))
			_exit(3);
		_exit(try_map() ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		snprintf(r->memlock_detail, sizeof(r->memlock_detail),
			 "unknown: the probe process died");
		return;
	}
	switch (WEXITSTATUS(status)) {
	case 0:
		r->memlock_state = MEMLOCK_IGNORED;
		snprintf(r->memlock_detail, sizeof(r->memlock_detail),
			 "does not matter: the kernel charges BPF memory to memory cgroups");
		break;
	case 1:
		r->memlock_state = MEMLOCK_MATTERS;
		snprintf(r->memlock_detail, sizeof(r->memlock_detail),
			 "matters: BPF memory counts against it; if loads fail, "
			 "run 'ulimit -l unlimited' first");
		break;
	default:
		snprintf(r->memlock_detail, sizeof(r->memlock_detail),
			 "unknown: cannot create a BPF map even with the limit as it is");
		break;
	}
}

static int family_ok(const struct check_report *r, const struct family_verdict *v)
{
	return r->privileged && !v->missing && !v->refused;
}

/* slatrace runs here when some family of the default set does: trace
 * leaves out the ones that cannot (and says so) */
static void judge_families(struct check_report *r)
{
	int defaults = 0, runnable = 0;

	for (int i = 0; slt_probes[i] && r->nfam < MAX_FAMILIES; i++) {
		struct family_verdict *v = &r->fam[r->nfam++];

		v->ops = slt_probes[i];
		v->missing = v->ops->needs & ~r->have;
		v->path = probe_choose_path(v->ops, r->have, v->why, sizeof(v->why));
		v->refused = probe_test_refused(v->ops);
		if (!v->ops->default_on)
			continue;
		defaults++;
		runnable += !v->missing && !v->refused;
	}
	r->can_run = r->privileged && runnable > 0;
	r->partial = r->can_run && runnable < defaults;
}

static void format_bytes(char *buf, size_t len, rlim_t v)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else if (v >= 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", (double)v / (1024 * 1024));
	else
		snprintf(buf, len, "%.1f KiB", (double)v / 1024);
}

static const char *privilege_text(const struct check_report *r, char *buf, size_t len)
{
	if (r->privileged && r->euid == 0)
		snprintf(buf, len, "yes (root)");
	else if (r->privileged)
		snprintf(buf, len, "yes (uid %u with %s)", (unsigned)r->euid,
			 r->cap_sys_admin ? "CAP_SYS_ADMIN" : "CAP_BPF and CAP_PERFMON");
	else if (r->euid == 0)
		snprintf(buf, len, "no (root, but without CAP_BPF and CAP_PERFMON: a "
				   "restricted container?)");
	else
		snprintf(buf, len, "no (uid %u, without CAP_BPF and CAP_PERFMON)",
			 (unsigned)r->euid);
	return buf;
}

static void missing_names(const struct feature_result *feat, unsigned missing, char *buf,
			  size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < SLT_FEAT_COUNT && n < len; i++)
		if (missing & feat[i].bit)
			n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "", feat[i].name);
}

/* why a family cannot run here, in words */
static const char *family_why(const struct check_report *r, const struct family_verdict *v,
			      char *buf, size_t len)
{
	char names[160];

	if (v->refused)
		return v->refused;
	missing_names(r->feat, v->missing, names, sizeof(names));
	snprintf(buf, len, "this kernel lacks %s", names);
	return buf;
}

/* the verdict when some families cannot run: which can, which cannot, why */
static void print_partial(const struct check_report *r)
{
	char why[200];
	int n = 0;

	printf("\nslatrace can run here, with:");
	for (int i = 0; i < r->nfam; i++)
		if (family_ok(r, &r->fam[i]))
			printf("%s %s", n++ ? "," : "", r->fam[i].ops->name);
	printf("\n");
	for (int i = 0; i < r->nfam; i++)
		if (!family_ok(r, &r->fam[i]))
			printf("  without %s: %s\n", r->fam[i].ops->name,
			       family_why(r, &r->fam[i], why, sizeof(why)));
}

static void print_check_plain(const struct check_report *r)
{
	char buf[160], lim[32];

	printf("kernel:      %s %s\n", r->uts_ok ? r->uts.release : "unknown",
	       r->uts_ok ? r->uts.machine : "");
	printf("btf:         %s\n", r->feat[0].ok ? "yes (/sys/kernel/btf/vmlinux)" : r->feat[0].detail);
	printf("privileges:  %s\n", privilege_text(r, buf, sizeof(buf)));
	format_bytes(lim, sizeof(lim), r->memlock.rlim_cur);
	printf("memlock:     %s, %s\n", lim, r->memlock_detail);

	printf("\nattach types:\n");
	if (!r->privileged)
		printf("  (only btf is probed without root, or CAP_BPF and CAP_PERFMON)\n");
	for (int i = 0; i < SLT_FEAT_COUNT; i++) {
		const struct feature_result *f = &r->feat[i];
		int probed = !!(r->probed & f->bit);

		printf("  %-13s %-4s %s\n", f->name, !probed ? "?" : f->ok ? "yes" : "no", f->what);
		if (probed && f->detail[0])
			printf("  %-13s %-4s %s\n", "", "", f->detail);
	}

	printf("\nprobe families:\n");
	for (int i = 0; i < r->nfam; i++) {
		const struct family_verdict *v = &r->fam[i];
		const char *ok = !r->privileged ? "?" : family_ok(r, v) ? "yes" : "no";

		printf("  %-13s %-4s %-8s %s\n", v->ops->name, ok,
		       v->ops->default_on ? "default" : "opt-in", v->ops->summary);
		if (r->privileged && v->missing) {
			missing_names(r->feat, v->missing, buf, sizeof(buf));
			printf("  %-13s %-4s %-8s needs %s\n", "", "", "", buf);
		} else if (r->privileged && v->refused) {
			printf("  %-13s %-4s %-8s %s\n", "", "", "", v->refused);
		}
		if (r->privileged && !v->missing && v->ops->prefers && v->ops->fallback) {
			const struct probe_path *pp = probe_path_of(v->ops, v->path);

			printf("  %-13s %-4s %-8s %s path: %s\n", "", "", "",
			       probe_path_name(v->path), v->why);
			printf("  %-13s %-4s %-8s   hooks: %s\n", "", "", "", pp->hooks);
			if (v->path != SLT_PATH_PREFERRED && pp->cannot)
				printf("  %-13s %-4s %-8s   does not see: %s\n", "", "", "",
				       pp->cannot);
		}
	}
	if (r->partial)
		print_partial(r);
	else
		printf("\n%s\n", r->can_run ? "slatrace can run here" : "slatrace cannot run here");
}

static int json_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	return json_object_object_add(o, key, v) ? -ENOMEM : 0;
}

/* a JSON null is a NULL json_object */
static int json_add_null(struct json_object *o, const char *key)
{
	return json_object_object_add(o, key, NULL) ? -ENOMEM : 0;
}

static int json_add_limit(struct json_object *o, const char *key, rlim_t v)
{
	if (v == RLIM_INFINITY)
		return json_add_null(o, key);
	return json_add(o, key, json_object_new_int64((int64_t)v));
}

static struct json_object *check_json(const struct check_report *r)
{
	struct json_object *root = json_object_new_object(), *o = NULL;
	int err = 0;

	if (!root)
		return NULL;
	o = json_object_new_object();
	err |= json_add(root, "kernel", o);
	if (o) {
		err |= json_add(o, "release", json_object_new_string(r->uts_ok ? r->uts.release : ""));
		err |= json_add(o, "machine", json_object_new_string(r->uts_ok ? r->uts.machine : ""));
	}
	err |= json_add(root, "btf", json_object_new_boolean(r->feat[0].ok));

	o = json_object_new_object();
	err |= json_add(root, "privileges", o);
	if (o) {
		err |= json_add(o, "ok", json_object_new_boolean(r->privileged));
		err |= json_add(o, "euid", json_object_new_int64(r->euid));
		err |= json_add(o, "cap_sys_admin", json_object_new_boolean(r->cap_sys_admin));
		err |= json_add(o, "cap_bpf", json_object_new_boolean(r->cap_bpf));
		err |= json_add(o, "cap_perfmon", json_object_new_boolean(r->cap_perfmon));
	}

	o = json_object_new_object();
	err |= json_add(root, "memlock", o);
	if (o) {
		/* null: unlimited */
		err |= json_add_limit(o, "soft_bytes", r->memlock.rlim_cur);
		err |= json_add_limit(o, "hard_bytes", r->memlock.rlim_max);
		/* null: unknown */
		if (r->memlock_state == MEMLOCK_UNKNOWN)
			err |= json_add_null(o, "matters");
		else
			err |= json_add(o, "matters", json_object_new_boolean(r->memlock_state ==
									     MEMLOCK_MATTERS));
		err |= json_add(o, "detail", json_object_new_string(r->memlock_detail));
	}

	o = json_object_new_object();
	err |= json_add(root, "features", o);
	for (int i = 0; o && i < SLT_FEAT_COUNT; i++) {
		const struct feature_result *f = &r->feat[i];
		struct json_object *fo = json_object_new_object();

		err |= json_add(o, f->name, fo);
		if (!fo)
			continue;
		err |= json_add(fo, "ok", json_object_new_boolean(f->ok));
		err |= json_add(fo, "probed", json_object_new_boolean(!!(r->probed & f->bit)));
		err |= json_add(fo, "what", json_object_new_string(f->what));
		err |= json_add(fo, "detail", json_object_new_string(f->detail));
	}

	o = json_object_new_object();
	err |= json_add(root, "families", o);
	for (int i = 0; o && i < r->nfam; i++) {
		const struct family_verdict *v = &r->fam[i];
		struct json_object *fo = json_object_new_object(), *miss;

		err |= json_add(o, v->ops->name, fo);
		if (!fo)
			continue;
		err |= json_add(fo, "ok", json_object_new_boolean(family_ok(r, v)));
		if (v->refused)
			err |= json_add(fo, "refused", json_object_new_string(v->refused));
		err |= json_add(fo, "default_on", json_object_new_boolean(v->ops->default_on));
		/* the attach path: null where it is not known (no privileges) or
		 * the family has one path */
		if (r->privileged && v->ops->prefers && v->ops->fallback) {
			const struct probe_path *pp = probe_path_of(v->ops, v->path);

			err |= json_add(fo, "path", json_object_new_string(probe_path_name(v->path)));
			err |= json_add(fo, "path_why", json_object_new_string(v->why));
			err |= json_add(fo, "hooks", json_object_new_string(pp->hooks));
			if (pp->cannot)
				err |= json_add(fo, "does_not_see", json_object_new_string(pp->cannot));
			else
				err |= json_add_null(fo, "does_not_see");
		} else {
			err |= json_add_null(fo, "path");
		}
		miss = json_object_new_array();
		err |= json_add(fo, "missing", miss);
		for (int k = 0; miss && k < SLT_FEAT_COUNT; k++) {
			struct json_object *name;

			if (!(v->missing & r->feat[k].bit))
				continue;
			name = json_object_new_string(r->feat[k].name);
			if (!name || json_object_array_add(miss, name)) {
				json_object_put(name);
				err |= -ENOMEM;
			}
		}
	}
	err |= json_add(root, "can_run", json_object_new_boolean(r->can_run));
	if (err) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

/* Why not, on stderr: a line per family that cannot run, then the fix for
 * each missing feature */
static void explain(const struct check_report *r)
{
	void (*say)(const char *fmt, ...) = r->can_run ? slt_warn : slt_error;
	unsigned missing = 0;
	char why[200];

	if (!r->privileged) {
		slt_error("slatrace needs root (or CAP_BPF and CAP_PERFMON) to trace: "
			  "run it with sudo");
		return;
	}
	for (int i = 0; i < r->nfam; i++) {
		const struct family_verdict *v = &r->fam[i];

		if (!v->ops->default_on || family_ok(r, v))
			continue;
		missing |= v->missing;
		say("the '%s' probe family cannot run here: %s", v->ops->name,
		    family_why(r, v, why, sizeof(why)));
	}
	for (int i = 0; i < SLT_FEAT_COUNT; i++) {
		const struct feature_result *f = &r->feat[i];

		if (!(missing & f->bit))
			continue;
		/* refused to a privileged caller: the config is not the problem */
		if (strstr(f->detail, slt_strerror(-EPERM)))
			fprintf(stderr, "hint: %s: the kernel refuses it even to root: look at "
					"kernel lockdown and BPF security policies\n",
				f->name);
		else
			fprintf(stderr, "hint: %s: %s\n", f->name, f->fix);
	}
}

int cmd_check(int argc, char **argv)
{
	struct check_report *r = NULL;
	struct json_object *root = NULL;
	struct option *longopts = NULL;
	char shortopts[32];
	int c, json = 0, rc = SLT_EXIT_FAIL;

	if (cmd_getopt_tables(check_opts, &longopts, shortopts, sizeof(shortopts))) {
		slt_error("out of memory");
		goto cleanup;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = 1;
			break;
		case 'v':
			slt_verbose = 1;
			break;
		case 'h':
			usage(stdout);
			rc = cmd_help_written();
			goto cleanup;
		default:
			rc = cmd_option_error("check", c, argc, argv, check_opts);
			goto cleanup;
		}
	}
	if (optind < argc) {
		rc = cmd_usage_error("check", "unexpected argument '%s'", argv[optind]);
		goto cleanup;
	}

	r = calloc(1, sizeof(*r));
	if (!r) {
		slt_error("out of memory");
		goto cleanup;
	}
	r->uts_ok = uname(&r->uts) == 0;
	read_privileges(r);
	probe_memlock(r);
	/* without privileges every load fails: say "unknown", not "no" */
	r->probed = r->privileged ? (1u << SLT_FEAT_COUNT) - 1 : SLT_FEAT_BTF;
	r->have = features_probe_mask(r->probed, r->feat);
	judge_families(r);

	if (json) {
		const char *text;

		root = check_json(r);
		if (!root) {
			slt_error("out of memory");
			goto cleanup;
		}
		text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
								    JSON_C_TO_STRING_NOSLASHESCAPE);
		if (!text) {
			slt_error("out of memory");
			goto cleanup;
		}
		printf("%s\n", text);
	} else {
		print_check_plain(r);
	}
	if (fflush(stdout) || ferror(stdout)) {
		slt_error("cannot write the report: %s", slt_strerror(-errno));
		goto cleanup;
	}
	if (!r->can_run || r->partial)
		explain(r);
	if (!r->can_run)
		goto cleanup;
	rc = SLT_EXIT_OK;
cleanup:
	json_object_put(root);
	free(r);
	free(longopts);
	return rc;
}
