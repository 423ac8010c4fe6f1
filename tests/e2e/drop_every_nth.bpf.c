// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The tcp e2e tests' loss: a tc classifier (direct action) that drops every
 * EVERY-th TCP packet carrying data, and, with SYN_PORT set, every SYN to
 * that port (connects that time out). It counts what it dropped in its own
 * map, in TCP segments (a GSO packet is gso_segs of them), so the test's
 * truth does not come from slatrace or from TCP.
 *
 * Built by tests/e2e/tcp.sh, not by the Makefile:
 *   clang -O2 -g -target bpf -DEVERY=50 -DSYN_PORT=0 -c drop_every_nth.bpf.c
 * and attached with: tc filter add dev DEV ingress bpf da obj FILE sec tc
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef EVERY
#define EVERY 50
#endif
#ifndef SYN_PORT
#define SYN_PORT 0
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* 0: data packets seen, 1: packets dropped, 2: segments dropped, 3: SYNs dropped */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} nth_drops SEC(".maps");

static __always_inline void bump(__u32 i, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&nth_drops, &i);

	if (v)
		__sync_fetch_and_add(v, n);
}

SEC("tc")
int drop_every_nth(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u32 l3len, hlen, payload;
	__u64 *seen;
	__u32 zero = 0;

	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP)
			return TC_ACT_OK;
		hlen = ip->ihl * 4;
		if (hlen < sizeof(*ip))
			return TC_ACT_OK;
		th = (void *)ip + hlen;
		l3len = bpf_ntohs(ip->tot_len) - hlen;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_TCP)
			return TC_ACT_OK;
		th = (void *)(ip6 + 1);
		l3len = bpf_ntohs(ip6->payload_len);
	} else {
		return TC_ACT_OK;
	}
	if ((void *)(th + 1) > end)
		return TC_ACT_OK;
	if (SYN_PORT && th->syn && !th->ack && th->dest == bpf_htons(SYN_PORT)) {
		bump(3, 1);
		return TC_ACT_SHOT;
	}
	/* GSO packets carry the length of the whole in skb->len, not in the
	 * header: use whichever says there is data */
	payload = l3len > th->doff * 4u ? l3len - th->doff * 4u : 0;
	if (!payload && skb->len <= (__u32)((void *)th - data) + th->doff * 4u)
		return TC_ACT_OK;
	seen = bpf_map_lookup_elem(&nth_drops, &zero);
	if (!seen)
		return TC_ACT_OK;
	if (__sync_fetch_and_add(seen, 1) % EVERY != EVERY - 1)
		return TC_ACT_OK;
	bump(1, 1);
	bump(2, skb->gso_segs > 1 ? skb->gso_segs : 1);
	return TC_ACT_SHOT;
}
