/*
 * The socket transport: the transport seam (ps/transport.h) over real TCP connections in real
 * time, on a libevent loop. An endpoint hosts some of a run's nodes (an emulated run has one
 * endpoint per region process); it listens on one TCP port for every message addressed to its
 * nodes and opens one outgoing connection per channel (source node, destination node, lane)
 * the first time the channel is used, so delivery is ordered per channel and lane 1 (control)
 * overtakes lane 0 (data) as the seam promises. Each message is one frame of the wire codec
 * (ps/msg.h, docs/wire-format.md): the receiver reads the frame's length from its header,
 * decodes it with the shard's format and hands the message to the logic. A frame the codec
 * rejects on a connection that has delivered frames, a connection lost in the middle of the
 * run or a peer that never accepts are fatal: the endpoint prints a message naming the peer
 * and the fault, and tsock_failed() turns 1. A connection whose very first bytes are not a
 * frame (a stray client, a port scanner) is only closed, with a message naming its address.
 *
 * Time: now() is the monotonic clock in ns since the run's origin times the time-scale factor
 * X (emulated time runs X times faster than real time), and a timer of d emulated ns is a
 * libevent timer of d / X real ns. queued_bytes(src, dst) is the bytes of encoded frames
 * written on the data channel and not yet handed to the kernel (the libevent output buffer
 * plus what waits for the connection); bytes inside the kernel's socket buffers or a relay are
 * not counted. path_bps() is the configured rate of the path (the caller's function: the
 * topology, or the trace at the current emulated time).
 */
#ifndef GAIA_EMU_TRANSPORT_SOCK_H
#define GAIA_EMU_TRANSPORT_SOCK_H

#include <stdint.h>
#include <sys/socket.h>

#include "lib/simtime.h"
#include "ps/msg.h"
#include "ps/transport.h"

struct event_base;

struct tsock_config {
	struct event_base *base;       /* the loop everything runs on (borrowed) */
	int nnodes;                    /* nodes of the run */
	int nregions;                  /* regions of the run */
	const int *node_region;        /* region of each node (copied) */
	const unsigned char *hosted;   /* 1 for the nodes this endpoint runs (copied) */
	const char *listen_addr;       /* numeric address to listen on, e.g. "127.0.0.1" */
	int listen_port;               /* port to listen on (0: any free port) */
	double time_scale;             /* emulated ns per real ns (> 0; 1: real time) */
	double connect_timeout_s;      /* real seconds a peer may refuse connections before the
	                                * run stops naming it */
	/* Configured rate of the path between two regions at emulated time `now`, bits/s. */
	double (*path_bps)(void *arg, int src_region, int dst_region, sim_time_t now);
	void *path_arg;                /* its argument */
	const char *const *region_name; /* name of each region for messages, or NULL (borrowed) */
};

/* Create the endpoint and open its listener; NULL with a message (naming the address). */
struct transport *tsock_new(const struct tsock_config *cfg);
/* The port the endpoint listens on. */
int tsock_port(const struct transport *t);
/* Where the channels from nodes of region src to nodes of region dst connect (a relay of the
 * mesh for a WAN path, the peer's listener inside a region). Set before the first send. */
void tsock_set_route(struct transport *t, int src_region, int dst_region,
                     const struct sockaddr_storage *addr, socklen_t len);
/* The wire format of messages about the shard on a node (ps_node_format); set before the first
 * send or receive. */
void tsock_set_format(struct transport *t,
                      void (*format)(const void *arg, int node, struct msg_format *f),
                      const void *arg);
/* Time origin: the CLOCK_MONOTONIC reading, ns, that is emulated time 0 (default: creation). */
void tsock_set_origin(struct transport *t, int64_t mono_ns);
/* The run is over: from now on a connection that closes is not a fault. */
void tsock_set_closing(struct transport *t);
/* The run is over for this endpoint (as tsock_set_closing) and its outgoing streams end once
 * their buffered frames are written: peers see a clean end of stream. */
void tsock_close_outgoing(struct transport *t);
/* Incoming connections still open. */
int tsock_inbound(const struct transport *t);
/* 1 once a fatal fault has been reported (the loop has been told to stop). */
int tsock_failed(const struct transport *t);
/* Messages sent by hosted nodes and delivered to them so far. */
void tsock_counts(const struct transport *t, uint64_t *sent, uint64_t *delivered);
/* Emulated time of the last delivery of a message of `kind` to a hosted node, ns (0: none). */
sim_time_t tsock_last_delivery(const struct transport *t, int kind);
/* The CLOCK_MONOTONIC reading, ns. */
int64_t tsock_mono_ns(void);

#endif
