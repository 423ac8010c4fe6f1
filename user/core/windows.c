// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/windows.h"

void windows_start(struct windows_rec *w, struct model *m, uint64_t now)
{
	memset(w, 0, sizeof(*w));
	w->start_ns = now;
	w->next_ns = now + SLT_WINDOW_BASE_NS;
	m->meta.window_ns = SLT_WINDOW_BASE_NS;
}

void windows_halve(struct series_windows *sw)
{
	int k = 0;

	for (int i = 0; i + 1 < sw->n; i += 2, k++) {
		uint64_t c0 = sw->count[i], c1 = sw->count[i + 1], c = c0 + c1;
		uint64_t *f[3] = { sw->p50, sw->p90, sw->p99 };

		for (int j = 0; j < 3; j++)
			f[j][k] = c ? (uint64_t)(((long double)f[j][i] * c0 +
						  (long double)f[j][i + 1] * c1) /
						     c +
						 0.5L)
				    : 0;
		sw->count[k] = c;
	}
	/* an odd last window stays as it is: the next one pairs with it */
	if (sw->n % 2) {
		sw->count[k] = sw->count[sw->n - 1];
		sw->p50[k] = sw->p50[sw->n - 1];
		sw->p90[k] = sw->p90[sw->n - 1];
		sw->p99[k] = sw->p99[sw->n - 1];
		k++;
	}
	sw->n = k;
}

int windows_push(struct series_windows *sw, const struct hist *h)
{
	if (sw->n == SLT_WINDOWS_MAX)
		windows_halve(sw);
	sw->count[sw->n] = h->count;
	sw->p50[sw->n] = hist_percentile(h, 50);
	sw->p90[sw->n] = hist_percentile(h, 90);
	sw->p99[sw->n] = hist_percentile(h, 99);
	return ++sw->n;
}

static int close_window(struct windows_rec *w, struct model *m)
{
	struct hist *d;

	if (m->nseries > w->nsnap) {
		struct hist **v = realloc(w->snap, (size_t)m->nseries * sizeof(*v));

		if (!v)
			return -ENOMEM;
		memset(v + w->nsnap, 0, (size_t)(m->nseries - w->nsnap) * sizeof(*v));
		w->snap = v;
		w->nsnap = m->nseries;
	}
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	/* one halving for all series at once: window i spans the same time in each */
	if (w->n == SLT_WINDOWS_MAX) {
		for (int i = 0; i < m->nseries; i++)
			if (m->series[i]->win)
				windows_halve(m->series[i]->win);
		w->n = (w->n + 1) / 2;
		m->meta.window_ns *= 2;
	}
	for (int i = 0; i < m->nseries; i++) {
		struct series *s = m->series[i];

		if (!w->snap[i] && !(w->snap[i] = calloc(1, sizeof(struct hist))))
			goto nomem;
		if (!s->win) {
			/* a series born in this window: empty windows before it */
			if (!(s->win = calloc(1, sizeof(*s->win))))
				goto nomem;
			s->win->n = w->n;
		}
		hist_delta(d, &s->hist, w->snap[i]);
		windows_push(s->win, d);
		*w->snap[i] = s->hist;
	}
	w->n++;
	free(d);
	return 0;
nomem:
	free(d);
	return -ENOMEM;
}

static void drop_all(struct windows_rec *w, struct model *m)
{
	for (int i = 0; i < m->nseries; i++) {
		free(m->series[i]->win);
		m->series[i]->win = NULL;
	}
	m->meta.window_ns = 0;
	windows_free(w);
	w->next_ns = UINT64_MAX;
}

int windows_tick(struct windows_rec *w, struct model *m, uint64_t now)
{
	/* a loop that woke late closes one window with what arrived meanwhile
	 * and starts the next from now: the windows stay about a base long */
	if (!m->meta.window_ns || now < w->next_ns)
		return 0;
	if (close_window(w, m)) {
		drop_all(w, m);
		return -ENOMEM;
	}
	w->start_ns = now;
	w->next_ns = now + m->meta.window_ns;
	return 0;
}

int windows_finish(struct windows_rec *w, struct model *m, uint64_t now)
{
	if (!m->meta.window_ns)
		return 0;
	if (now - w->start_ns >= m->meta.window_ns / 2 && close_window(w, m)) {
		drop_all(w, m);
		return -ENOMEM;
	}
	w->next_ns = UINT64_MAX;
	/* series that never closed a window have no summaries to give */
	return 0;
}

void windows_free(struct windows_rec *w)
{
	for (int i = 0; i < w->nsnap; i++)
		free(w->snap[i]);
	free(w->snap);
	w->snap = NULL;
	w->nsnap = 0;
}
