/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* TCP family: one ring-buffer record kind, SLT_EV_TCP, whose `what` says
 * which moment of a connection of the target it describes. */
#ifndef SLATRACE_TCP_H
#define SLATRACE_TCP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "common.h"

#define SLT_EV_TCP 48

#define SLT_TCP_MAX_SOCKS     32768 /* connections and listeners tracked at once */
#define SLT_TCP_MAX_PORTS     1024  /* listening ports of the target */
#define SLT_TCP_MAX_SEED_PIDS 4096  /* processes searched for sockets opened before the run */
#define SLT_TCP_FLUSH_BATCH   1024  /* records per run of the end-of-run pass (160 KiB) */

/* what */
#define SLT_TCP_REC_CONNECT 1 /* an outgoing connect ended: established, or failed (err) */
#define SLT_TCP_REC_ACCEPT  2 /* the target accept()ed a connection */
#define SLT_TCP_REC_CLOSE   3 /* a connection closed (or was still open at the end) */
#define SLT_TCP_REC_RTT	    4 /* a smoothed-RTT sample of an open connection */
#define SLT_TCP_REC_RESET   5 /* a reset sent as a connection closed (after its CLOSE) */

/* flags */
#define SLT_TCP_F_SERVER       1u  /* accepted on a listening port of the target */
#define SLT_TCP_F_PREEXISTING  2u  /* open before the run: figures cover the run only */
#define SLT_TCP_F_OPEN_AT_END  4u  /* still open when the run ended */
#define SLT_TCP_F_ACCEPTED     8u  /* the target accept()ed it (servers) */
#define SLT_TCP_F_WAIT_UNKNOWN 16u /* accepted before its handshake was seen */
#define SLT_TCP_F_ESTABLISHED  32u /* reached ESTABLISHED (a CLOSE of a failed connect has not) */
/* CONNECT: established, but its change to ESTABLISHED was not seen (a
 * skipped tracepoint run): no latency */
#define SLT_TCP_F_UNTIMED 64u

/* retransmitted segments, by the state of the connection when they left */
#define SLT_TCP_RS_SYN	   0 /* SYN_SENT: connect attempts */
#define SLT_TCP_RS_EST	   1 /* ESTABLISHED */
#define SLT_TCP_RS_CLOSING 2 /* FIN_WAIT1, CLOSE_WAIT, LAST_ACK, CLOSING */
#define SLT_TCP_RS_OTHER   3 /* SYN_RECV and the rest */
#define SLT_TCP_RS_MAX	   4

/* the kernel's send-time accounting (enum tcp_chrono), minus "unspecified" */
#define SLT_TCP_CHRONO_BUSY   0 /* data waiting, not limited by the peer or buffer: cwnd */
#define SLT_TCP_CHRONO_RWND   1 /* the receiver's window was full */
#define SLT_TCP_CHRONO_SNDBUF 2 /* the send buffer was the limit */
#define SLT_TCP_CHRONO_MAX    3

/* tcp_ports: the target's listening ports, per net namespace */
struct slt_tcp_port_key {
	__u32 netns; /* net namespace inode number */
	__u16 port;
	__u16 __pad;
};

struct slt_tcp_port {
	__u64 synack_retrans; /* SYN-ACKs the listener retransmitted */
	__u32 nsocks;	      /* listening sockets of the target on it (0: all closed) */
	__u32 tgid;	      /* the process that listens, for the port's label */
	char comm[SLT_COMM_LEN];
};

struct slt_tcp_event {
	struct slt_event_hdr hdr;
	__u64 lat_ns;	 /* CONNECT: connect() to the outcome; ACCEPT: handshake done to
			  * accept() returning; CLOSE: lifetime from ESTABLISHED (or from
			  * the start of the run); RTT: the smoothed RTT */
	__u64 bytes_in;	 /* CLOSE: bytes received (tcp_sock bytes_received) */
	__u64 bytes_out; /* CLOSE: bytes the peer acknowledged (bytes_acked) */
	__u32 life_j;	 /* CLOSE: lifetime in jiffies, the unit of chrono_j */
	__u32 chrono_j[SLT_TCP_CHRONO_MAX]; /* CLOSE: jiffies sending was busy, rwnd-
					     * limited, sndbuf-limited */
	__u32 retrans[SLT_TCP_RS_MAX];	    /* CONNECT, CLOSE: segments retransmitted */
	__u32 srtt_us;			    /* CLOSE, RTT: smoothed RTT (tcp_sock srtt_us >> 3) */
	__u32 err;	 /* CONNECT: errno of a failed connect, 0 when established */
	__u32 queue_len; /* ACCEPT: connections queued on the listener, this one included */
	__u32 backlog;	 /* ACCEPT: the listener's backlog (sk_max_ack_backlog) */
	__u32 rst_sent;	 /* CLOSE: resets sent on the connection */
	__u32 rst_recv;	 /* CLOSE: resets received */
	__u32 buf_limit; /* CLOSE: sock_exceed_buf_limit events (memory pressure) */
	__u32 rcvq_full; /* CLOSE: sock_rcvqueue_full events (receive queue dropped) */
	__u32 tgid;	 /* owner: the connecting/accepting process, or the listener's */
	__u32 flags;
	__u32 hz; /* CONFIG_HZ, to turn jiffies into time (0: unknown) */
	__u32 what;
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 lport;  /* host order */
	__u16 rport;
	__u16 __pad;
	__u8 raddr[16]; /* remote address; IPv4 in the first 4 bytes */
	char comm[SLT_COMM_LEN];
};

#endif
