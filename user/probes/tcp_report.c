// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The tcp family, as reports see it (core/family.h). Its text section:
 * outgoing connects per remote endpoint, accepts per local port, then every
 * endpoint's connections: RTT, retransmits, resets, lifetime, bytes, sending
 * rate and what limited it. In JSON a series' counters are its "counts"
 * (bytes, retransmits, limits). Series come from user/probes/tcp.c, named
 * "<metric> <process> <endpoint>". */
#include <stdlib.h>
#include <string.h>
#include "core/family.h"
#include "core/parse.h"
#include "report/report.h"

static uint64_t cnt(const struct series *s, const char *name)
{
	return s ? series_counter(s, name) : 0;
}

static const char *fmt_bytes(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, unit[u]);
	return buf;
}

static const char *fmt_rate(uint64_t bps, char *buf, size_t len)
{
	if (!bps)
		snprintf(buf, len, "-");
	else if (bps >= 1000000000ull)
		snprintf(buf, len, "%.2fGbit/s", bps / 1e9);
	else if (bps >= 1000000ull)
		snprintf(buf, len, "%.2fMbit/s", bps / 1e6);
	else
		snprintf(buf, len, "%.1fkbit/s", bps / 1e3);
	return buf;
}

static const char *dur(const struct hist *h, double p, char *buf, size_t len)
{
	if (!h || !h->count)
		return snprintf(buf, len, "-"), buf;
	return slt_fmt_duration(hist_percentile(h, p), buf, len);
}

/* series of one metric, busiest first, "other" last */
static struct series **of_metric(const struct model *m, const char *metric, int *n)
{
	struct series **v = calloc(m->nseries ? m->nseries : 1, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (int i = 0; i < m->nseries; i++)
		if (!strcmp(m->series[i]->family, "tcp") &&
		    !strcmp(series_label(m->series[i], "metric"), metric))
			v[(*n)++] = m->series[i];
	return v;
}

static int is_other(const struct series *s)
{
	const char *e = series_label(s, "remote");

	return !strcmp(e[0] ? e : series_label(s, "port"), "other");
}

static int by_count_desc(const void *a, const void *b)
{
	const struct series *x = *(struct series *const *)a, *y = *(struct series *const *)b;
	uint64_t cx = series_count(x), cy = series_count(y);

	if (is_other(x) != is_other(y))
		return is_other(x) - is_other(y);
	if (cx != cy)
		return cx < cy ? 1 : -1;
	return strcmp(x->name, y->name);
}

static const char *endpoint(const struct series *s)
{
	const char *r = series_label(s, "remote");
	static char buf[112];

	if (r[0])
		return r;
	snprintf(buf, sizeof(buf), "%s%s", strcmp(series_label(s, "port"), "other") ? ":" : "",
		 series_label(s, "port"));
	return buf;
}

static void print_connects(FILE *f, const struct model *m, const struct text_opts *o)
{
	char c[3][32];
	int n, shown;
	struct series **v = of_metric(m, "connect", &n);

	if (!v || !n) {
		free(v);
		return;
	}
	qsort(v, n, sizeof(*v), by_count_desc);
	shown = o->top && o->top < n ? o->top : n;
	fprintf(f, "\noutgoing connections, by remote endpoint (connect latency: SYN sent to "
		   "ESTABLISHED)\n");
	fprintf(f, "%-15s %-28s %8s %8s %8s %8s %6s %7s %9s %9s %9s\n", "PROCESS", "REMOTE",
		"ATTEMPTS", "OK", "REFUSED", "TIMEOUT", "OTHER", "SYN-RTX", "P50", "P99", "MAX");
	for (int i = 0; i < shown; i++) {
		const struct series *s = v[i];

		if (!series_count(s))
			continue; /* idle in this interval */
		fprintf(f, "%-15.15s %-28.28s %8llu %8llu %8llu %8llu %6llu %7llu %9s %9s %9s\n",
			series_label(s, "process"), endpoint(s),
			(unsigned long long)series_count(s),
			(unsigned long long)cnt(s, "established"),
			(unsigned long long)cnt(s, "refused"),
			(unsigned long long)cnt(s, "timed_out"),
			(unsigned long long)(cnt(s, "unreachable") + cnt(s, "failed_other")),
			(unsigned long long)cnt(s, "syn_retrans"), dur(&s->hist, 50, c[0], 32),
			dur(&s->hist, 99, c[1], 32), dur(&s->hist, 100, c[2], 32));
	}
	if (shown < n)
		fprintf(f, "(%d more; --top 0 shows all)\n", n - shown);
	free(v);
}

static void print_accepts(FILE *f, const struct model *m, const struct text_opts *o)
{
	char c[3][32], q[3][16];
	int n, shown;
	struct series **v = of_metric(m, "accept", &n);

	if (!v || !n) {
		free(v);
		return;
	}
	qsort(v, n, sizeof(*v), by_count_desc);
	shown = o->top && o->top < n ? o->top : n;
	fprintf(f, "\nincoming connections, by local port (accept wait: handshake done to "
		   "accept() returned; queue: length at accept() against the backlog)\n");
	fprintf(f, "%-15s %-8s %8s %8s %9s %9s %9s %7s %6s %7s %6s %10s\n", "PROCESS", "PORT",
		"ACCEPTED", "UNTAKEN", "WAIT P50", "P99", "MAX", "Q MEAN", "Q MAX", "BACKLOG",
		"FULL", "SYNACK-RTX");
	for (int i = 0; i < shown; i++) {
		const struct series *s = v[i];
		uint64_t acc = cnt(s, "accepted");

		if (!acc && !cnt(s, "not_accepted") && !cnt(s, "synack_retrans"))
			continue;

		/* gauges do not subtract: an interval shows them as "-" */
		snprintf(q[0], sizeof(q[0]), "%.1f",
			 acc ? (double)cnt(s, "queue_len_sum") / acc : 0);
		snprintf(q[1], sizeof(q[1]), "%llu", (unsigned long long)cnt(s, "queue_len_max"));
		snprintf(q[2], sizeof(q[2]), "%llu", (unsigned long long)cnt(s, "backlog"));
		fprintf(f, "%-15.15s %-8.8s %8llu %8llu %9s %9s %9s %7s %6s %7s %6llu %10llu\n",
			series_label(s, "process"), endpoint(s), (unsigned long long)acc,
			(unsigned long long)cnt(s, "not_accepted"), dur(&s->hist, 50, c[0], 32),
			dur(&s->hist, 99, c[1], 32), dur(&s->hist, 100, c[2], 32), q[0],
			o->interval ? "-" : q[1], o->interval ? "-" : q[2],
			(unsigned long long)cnt(s, "queue_full"),
			(unsigned long long)cnt(s, "synack_retrans"));
	}
	if (shown < n)
		fprintf(f, "(%d more; --top 0 shows all)\n", n - shown);
	free(v);
}

/* what limited sending: the largest share of the summed lifetimes */
static const char *limited_by(const struct series *s, char *buf, size_t len)
{
	static const char *const keys[4] = { "network_limited_us", "receiver_limited_us",
					     "sndbuf_limited_us", "application_limited_us" };
	static const char *const names[4] = { "network", "receiver", "sndbuf", "application" };
	uint64_t t[4], sum = 0;
	int best = 3;

	for (int i = 0; i < 4; i++) {
		t[i] = cnt(s, keys[i]);
		sum += t[i];
	}
	for (int i = 0; i < 3; i++)
		if (t[i] > t[best])
			best = i;
	if (!sum)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s %.0f%%", names[best], 100.0 * t[best] / sum);
	return buf;
}

static void print_conns(FILE *f, const struct model *m, const struct text_opts *o)
{
	char c[4][32], b[2][16], r[24], lim[32], name[160];
	int n, nr, shown;
	struct series **v = of_metric(m, "conn", &n), **rtt = of_metric(m, "srtt", &nr);

	if (!v || !rtt || (!n && !nr)) {
		free(v);
		free(rtt);
		return;
	}
	/* endpoints with RTT samples but no closed connection yet get a row */
	for (int i = 0; i < nr; i++) {
		snprintf(name, sizeof(name), "conn%s", rtt[i]->name + 4);
		if (!model_find(m, "tcp", name))
			v[n++] = rtt[i];
	}
	qsort(v, n, sizeof(*v), by_count_desc);
	shown = o->top && o->top < n ? o->top : n;
	fprintf(f, "\nconnections, by endpoint (closed, or open at the end; RTT: smoothed, "
		   "sampled while open)\n");
	fprintf(f, "%-15s %-28s %6s %5s %9s %9s %8s %9s %9s %9s %9s %12s %s\n", "PROCESS",
		"ENDPOINT", "CONNS", "OPEN", "SRTT P50", "P99", "RETRANS", "RST S/R", "LIFE P50",
		"OUT", "IN", "SEND RATE", "LIMITED BY");
	for (int i = 0; i < shown; i++) {
		const struct series *s = v[i], *sr;
		int conn = !strcmp(series_label(s, "metric"), "conn");
		char rst[24];

		snprintf(name, sizeof(name), "srtt%s", s->name + 4);
		sr = conn ? model_find(m, "tcp", name) : s;
		if (!(conn && series_count(s)) && !(sr && sr->hist.count))
			continue;
		snprintf(rst, sizeof(rst), "%llu/%llu", (unsigned long long)cnt(s, "resets_sent"),
			 (unsigned long long)cnt(s, "resets_received"));
		fprintf(f, "%-15.15s %-28.28s %6llu %5llu %9s %9s %8llu %9s %9s %9s %9s %12s %s\n",
			series_label(s, "process"), endpoint(s),
			(unsigned long long)(conn ? series_count(s) : 0),
			(unsigned long long)cnt(s, "open_at_end"),
			dur(sr ? &sr->hist : NULL, 50, c[0], 32),
			dur(sr ? &sr->hist : NULL, 99, c[1], 32),
			(unsigned long long)cnt(s, "retrans"), conn ? rst : "-",
			dur(conn ? &s->hist : NULL, 50, c[2], 32),
			conn ? fmt_bytes(cnt(s, "bytes_out"), b[0], sizeof(b[0])) : "-",
			conn ? fmt_bytes(cnt(s, "bytes_in"), b[1], sizeof(b[1])) : "-",
			fmt_rate(cnt(s, "rate_us")
				     ? cnt(s, "rate_bytes") * 8000000ull / cnt(s, "rate_us")
				     : 0,
				 r, sizeof(r)),
			conn ? limited_by(s, lim, sizeof(lim)) : "-");
	}
	if (shown < n)
		fprintf(f, "(%d more; --top 0 shows all)\n", n - shown);
	fprintf(f, "SEND RATE: bytes acked over the time the kernel had data to send "
		   "(connections sending 10+ jiffies)\n"
		   "LIMITED BY: the largest share of the connections' lifetimes, from the "
		   "kernel's own send-time\n"
		   "  accounting at close (tcp_sock chrono_stat): network = cwnd, receiver = "
		   "its window,\n"
		   "  sndbuf = the send buffer, application = nothing to send\n");
	free(v);
	free(rtt);
}

static void print_netstat(FILE *f, const struct model *m, const struct text_opts *o)
{
	uint64_t pid = model_stat(m, "tcp_netstat_pid"),
		 nns = model_stat(m, "tcp_netstat_namespaces");
	char src[192];
	int i;

	for (i = 0; i < m->nstats; i++)
		if (!strcmp(m->stats[i].name, "tcp_listen_overflows"))
			break;
	if (i == m->nstats)
		return;
	if (o->interval)
		snprintf(src, sizeof(src), "in the interval");
	else if (pid && nns > 1)
		snprintf(src, sizeof(src),
			 "from /proc/<pid>/net/netstat of the target's %llu net namespaces "
			 "(pid %llu's first), change over the run",
			 (unsigned long long)nns, (unsigned long long)pid);
	else if (pid)
		snprintf(
		    src, sizeof(src),
		    "from /proc/%llu/net/netstat, the target's net namespace, change over the run",
		    (unsigned long long)pid);
	else
		snprintf(
		    src, sizeof(src),
		    "from /proc/net/netstat, slatrace's own net namespace, change over the run");
	fprintf(f,
		"listen queue overflows %llu, listen drops %llu: the kernel's TcpExt "
		"ListenOverflows/ListenDrops\n  (whole namespace, every listener in it) %s\n",
		(unsigned long long)model_stat(m, "tcp_listen_overflows"),
		(unsigned long long)model_stat(m, "tcp_listen_drops"), src);
}

static void print_tcp_plain(FILE *f, const struct model *m, const struct text_opts *o)
{
	int any = 0;

	for (int i = 0; i < m->nseries && !any; i++)
		any = !strcmp(m->series[i]->family, "tcp");
	if (!any) {
		fprintf(f, "\nno TCP connections seen from the target\n");
		print_netstat(f, m, o);
		return;
	}
	print_connects(f, m, o);
	print_accepts(f, m, o);
	print_conns(f, m, o);
	print_netstat(f, m, o);
}

const struct family_desc tcp_family = {
	.name = "tcp",
	.series = "tcp",
	.counters_key = "counts",
	.print_text = print_tcp_plain,
};
