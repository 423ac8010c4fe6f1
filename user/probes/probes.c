// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The probe table: every family named in families.def, in its order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/features.h"
#include "probes/probe.h"

#define SLT_FAMILY(name, order) extern const struct probe_ops name##_probe;
#include "probes/families.def"
#undef SLT_FAMILY

const struct probe_ops *const slt_probes[] = {
#define SLT_FAMILY(name, order) &name##_probe,
#include "probes/families.def"
#undef SLT_FAMILY
	NULL,
};

const struct probe_ops *probe_find(const char *name)
{
	for (int i = 0; slt_probes[i]; i++)
		if (!strcmp(slt_probes[i]->name, name))
			return slt_probes[i];
	return NULL;
}

const char *probe_path_name(enum probe_path_kind k)
{
	switch (k) {
	case SLT_PATH_FALLBACK:
		return "fallback";
	case SLT_PATH_INTERMEDIATE:
		return "intermediate";
	default:
		return "preferred";
	}
}

const struct probe_path *probe_path_of(const struct probe_ops *p, enum probe_path_kind k)
{
	switch (k) {
	case SLT_PATH_FALLBACK:
		return p->fallback;
	case SLT_PATH_INTERMEDIATE:
		return p->intermediate;
	default:
		return p->prefers;
	}
}

unsigned probe_path_features(const struct probe_ops *p)
{
	if (!p->prefers || !p->choose_path)
		return 0;
	return p->prefers->needs | (p->intermediate ? p->intermediate->needs : 0);
}

/* SLATRACE_FORCE_PATH: the path it names, or -1 (unset or not a path) */
static int forced_path(void)
{
	const char *force = getenv("SLATRACE_FORCE_PATH");

	if (force && !strcmp(force, "fallback"))
		return SLT_PATH_FALLBACK;
	if (force && !strcmp(force, "preferred"))
		return SLT_PATH_PREFERRED;
	if (force && !strcmp(force, "intermediate"))
		return SLT_PATH_INTERMEDIATE;
	return -1;
}

enum probe_path_kind probe_choose_path(const struct probe_ops *p, unsigned have, char *why,
				       unsigned long len)
{
	int force = forced_path();

	if (why && len)
		why[0] = 0;
	if (!p->prefers || !p->fallback || !p->choose_path)
		return SLT_PATH_PREFERRED;
	/* a family with two paths is not forced onto a third */
	if (force == SLT_PATH_INTERMEDIATE && !p->intermediate)
		force = -1;
	if (force >= 0) {
		if (why)
			snprintf(why, len, "forced by SLATRACE_FORCE_PATH=%s",
				 probe_path_name((enum probe_path_kind)force));
		return (enum probe_path_kind)force;
	}
	return p->choose_path(have, why, len);
}

enum probe_path_kind probe_path_here(const struct probe_ops *p, char *why, unsigned long len)
{
	struct feature_result res[SLT_FEAT_COUNT];
	unsigned want = probe_path_features(p), have = 0;

	if (want && forced_path() < 0)
		have = features_probe_mask(want, res);
	return probe_choose_path(p, have, why, len);
}

void probe_record_path(const struct probe_ops *p, enum probe_path_kind k, struct model *m)
{
	size_t n = strlen(m->meta.paths);

	if (!p->prefers || !p->fallback)
		return;
	snprintf(m->meta.paths + n, sizeof(m->meta.paths) - n, "%s%s=%s", n ? "," : "", p->name,
		 probe_path_name(k));
}
