/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One way to bring up a BPF skeleton, for every family and the session's
 * own target object: <fam>_bpf__open() -> configure (rodata, map sizes,
 * which programs load and attach) -> the session's shared maps -> load,
 * and later attach. Each step that fails prints one line naming the object
 * (or the program) and libbpf's reason, and returns -errno; the caller's
 * <fam>_bpf__destroy() frees whatever was made, links included.
 *
 * The target rodata (SESSION_SET_TARGET_RODATA) stays in each configure
 * step rather than being found here through the object's BTF: the macro
 * writes the typed skeleton's fields, so a BPF object that lost a targ_*
 * knob fails to build instead of failing to find it at run time.
 */
#ifndef SLT_CORE_SKEL_H
#define SLT_CORE_SKEL_H

struct bpf_object_skeleton;
struct session;

/* a family's step between open and load, ctx its own; returns 0 or
 * -errno (and has said why) */
typedef int (*slt_skel_configure_fn)(void *ctx, const struct session *s);

/* sk: the opened skeleton's ->skeleton, or NULL when <fam>_bpf__open()
 * failed (errno still says why). name: the object, for messages. */
int slt_skel_load(struct bpf_object_skeleton *sk, struct session *s, const char *name,
		  slt_skel_configure_fn configure, void *ctx);

/* Attach the programs named in first (NULL-terminated, or NULL), in that
 * order, then every other program that loads and auto-attaches, in the
 * skeleton's order. The links go in the skeleton's slots. */
int slt_skel_attach(struct bpf_object_skeleton *sk, const char *const *first);

#endif
