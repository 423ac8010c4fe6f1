/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Requests family: one ring-buffer record per request/response turn on a
 * server connection of the target, and the per-connection state behind it. */
#ifndef SLATRACE_REQUESTS_H
#define SLATRACE_REQUESTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "common.h"

#define SLT_EV_REQUEST 16
#define SLT_EV_REQ_MORE 17	/* request bytes of a turn past the capture */

#define SLT_REQ_CAP_MAX 512	/* --capture-bytes upper bound (power of two) */
#define SLT_RESP_CAP 64	/* bytes of the first response write kept */
#define SLT_UNIX_PATH_MAX 64
#define SLT_MAX_CONNS 16384
/* Request bytes of one turn followed past --capture-bytes, on connections
 * that speak HTTP, so that every pipelined request is seen: sent in
 * SLT_MORE_CAP pieces as they are read, before the turn's own record. */
#define SLT_FOLLOW_MAX 16384
#define SLT_MORE_CAP 1024

/* flags */
#define SLT_REQ_F_NO_RESPONSE 1u	/* closed/EOF/reset before any response byte */
#define SLT_REQ_F_RESET 2u		/* a read or write failed with ECONNRESET/EPIPE */
#define SLT_REQ_F_CLOSED 4u		/* ended by close(), not by the next request */
#define SLT_REQ_F_FLUSHED 8u		/* still open at the end of the run */
#define SLT_REQ_F_QUEUE_KNOWN 16u	/* arrive_ns is the real arrival time */
#define SLT_REQ_F_IDLE 32u		/* settled after SLT_REQ_IDLE_NS without I/O */
#define SLT_REQ_F_INTERIM 64u		/* an interim answer (100 Continue) came first */
#define SLT_REQ_F_HTTP_CONN 128u	/* an earlier turn of the connection was HTTP */

/* a response followed by this long without a read or write is complete */
#define SLT_REQ_IDLE_NS 2000000000ull

struct slt_req_event {
	struct slt_event_hdr hdr;
	__u64 arrive_ns;	/* first request byte reached the receive queue */
	__u64 read_ns;		/* the application's first read of it returned */
	__u64 first_write_ns;	/* first response byte written (0: none) */
	__u64 last_write_ns;	/* last response byte written (0: none) */
	__u64 req_bytes;
	__u64 resp_bytes;
	__u32 tgid;
	__u32 fd;
	__u32 flags;
	__u32 req_cap;		/* bytes valid in req[] */
	__u32 resp_cap;		/* bytes valid in resp[] */
	__u32 more_bytes;	/* request bytes after req[], sent in more records */
	__u32 pad;
	__u16 family;		/* AF_INET, AF_INET6, AF_UNIX */
	__u16 lport;		/* local port, host order (0 for unix) */
	char comm[SLT_COMM_LEN];
	char unix_path[SLT_UNIX_PATH_MAX];
	__u8 resp[SLT_RESP_CAP];
	/* last: a record is only as long as the capture asked for, rounded up
	 * to 8 bytes (--capture-bytes); userspace reads req_cap bytes */
	__u8 req[SLT_REQ_CAP_MAX];
};

#define SLT_REQ_EVENT_HEAD (sizeof(struct slt_req_event) - SLT_REQ_CAP_MAX)

/* Request bytes [off, off + len) of the turn that began at read_ns on
 * (tgid, fd), read past what req[] holds; its record comes later. */
struct slt_req_more {
	struct slt_event_hdr hdr;
	__u64 read_ns;
	__u32 tgid;
	__u32 fd;
	__u32 off;
	__u32 len;
	__u8 data[SLT_MORE_CAP];
};

/* conn.state */
#define SLT_CONN_IDLE 0		/* no request in progress */
#define SLT_CONN_READING 1	/* request read, no response byte yet */
#define SLT_CONN_RESPONDING 2	/* response being written */

/* bits of the ports map (an array indexed by local port; 0: Unix sockets).
 * Each has a byte of its own (its lowest bit), so that the kernel side sets
 * one with a plain store of that byte, losing no other: an atomic or needs
 * Linux 5.12 (bpf/core_fixes.bpf.h). */
#define SLT_PORT_LISTEN 0x1u	/* byte 0: something on the host listens on it */
#define SLT_PORT_TARGET 0x100u	/* byte 1: the target serves connections on it */
#define SLT_NPORTS 65536

/* A server connection of the target, in the kernel's conns map (key: the
 * struct sock's address). The request in progress is built in place, as
 * the record it will be (ev), so finishing it is one copy of the bytes it
 * holds into the ring buffer. Userspace reads it to settle connections
 * still open at the end of the run, or idle after a response. */
struct slt_req_conn {
	/* first: the fields every event touches share the key's cache line */
	__u32 state;
	__u32 http;		/* a turn of it began with an HTTP request line */
	__u64 ino;		/* Unix: the socket's inode, to tell a reused sock */
	__u64 unix_arrive_ns;	/* Unix: the peer's last write since our last read */
	struct slt_req_event ev;
	/* room after ev.req: the verifier sees every offset + size in bounds */
	__u8 req_room[SLT_REQ_CAP_MAX];
};

#endif
