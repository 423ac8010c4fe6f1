// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "core/skel.h"
#include "core/log.h"
#include "core/session.h"

int slt_skel_load(struct bpf_object_skeleton *sk, struct session *s, const char *name,
		  slt_skel_configure_fn configure, void *ctx)
{
	int err;

	if (!sk) {
		err = errno ? -errno : -ENOMEM;
		slt_error("cannot open BPF object '%s': %s", name, slt_strerror(err));
		return err;
	}
	if (configure) {
		err = configure(ctx, s);
		if (err)
			return err;
	}
	err = session_share_maps(s, *sk->obj);
	if (err)
		return err;
	err = bpf_object__load_skeleton(sk);
	if (err)
		slt_error("cannot load BPF object '%s': %s", name, slt_strerror(err));
	return err;
}

static struct bpf_prog_skeleton *prog_at(struct bpf_object_skeleton *sk, int i)
{
	return (struct bpf_prog_skeleton *)((char *)sk->progs + (size_t)i * sk->prog_skel_sz);
}

static int attach_one(struct bpf_prog_skeleton *p)
{
	int err;

	if (*p->link)
		return 0;
	*p->link = bpf_program__attach(*p->prog);
	if (!*p->link) {
		err = -errno;
		slt_error("cannot attach '%s': %s", p->name, slt_strerror(err));
		return err;
	}
	return 0;
}

int slt_skel_attach(struct bpf_object_skeleton *sk, const char *const *first)
{
	int err;

	for (; first && *first; first++) {
		int i;

		for (i = 0; i < sk->prog_cnt; i++)
			if (!strcmp(prog_at(sk, i)->name, *first))
				break;
		if (i == sk->prog_cnt) {
			slt_error("cannot attach '%s': no such program in '%s'", *first, sk->name);
			return -ENOENT;
		}
		err = attach_one(prog_at(sk, i));
		if (err)
			return err;
	}
	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_prog_skeleton *p = prog_at(sk, i);

		if (!bpf_program__autoload(*p->prog) || !bpf_program__autoattach(*p->prog))
			continue;
		err = attach_one(p);
		if (err)
			return err;
	}
	return 0;
}
