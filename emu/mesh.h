/*
 * The emulation mesh: shaped WAN links in user space. For every directed pair of regions
 * (src, dst) of a topology it listens on one TCP port and relays each connection it accepts to
 * one server address: the client is taken to be in region src and the server in region dst.
 * Bytes from client to server cross the emulated link src->dst, bytes back cross dst->src. A
 * link delays each byte by its one-way latency (RTT/2, emu/delayq.h), then lets it out at its
 * bandwidth (emu/tbucket.h) shared by every connection crossing it; a trace changes bandwidth
 * and RTT at its times. Runs on a libevent loop until SIGINT or SIGTERM. docs/emulation.md
 * describes the design, what is and is not emulated, and measured accuracy.
 */
#ifndef GAIA_EMU_MESH_H
#define GAIA_EMU_MESH_H

#include <stdio.h>
#include <sys/socket.h>

#include "topology/topology.h"
#include "topology/trace.h"

#define EMU_DEFAULT_BASE_PORT 20000      /* first listening port */
#define EMU_DEFAULT_LISTEN "127.0.0.1"   /* listening address */

struct emu_mesh_config {
	const struct topology *topo;   /* regions and links; must outlive the mesh */
	const struct trace *trace;     /* bandwidth/RTT changes, or NULL; must outlive the mesh */
	const char *listen_addr;       /* numeric IPv4 or IPv6 address to listen on */
	int base_port;                 /* port of pair index 0 (see emu_mesh_pair_index) */
	struct sockaddr_storage to;    /* the server every connection is relayed to */
	socklen_t to_len;              /* its length, bytes */
	/* Fault injection (`emu mesh --drop SRC,DST,BYTES`): the first connection of pair
	 * (drop_src, drop_dst) whose client has sent drop_after_bytes is closed (both sockets;
	 * bytes still in its delay line are lost), once. 0 bytes: no fault. */
	int drop_src, drop_dst;        /* region indices of the pair */
	long long drop_after_bytes;    /* bytes from the client before the drop (0: none) */
};

struct emu_mesh;

/*
 * Index of the directed pair (src, dst), src != dst, among the n*(n-1) pairs in src-major
 * order: src*(n-1) + (dst < src ? dst : dst - 1). The pair listens on base_port + index.
 */
int emu_mesh_pair_index(int n, int src, int dst);

/*
 * Parse "HOST:PORT" ("[V6ADDR]:PORT" for IPv6; HOST may be a name) into an address. Returns 0,
 * or -1 after printing a message naming the value.
 */
int emu_mesh_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/*
 * Parse a --drop fault "SRC,DST,BYTES" (regions by name or index of t, SRC != DST, BYTES a
 * positive integer) into cfg's drop fields. Returns 0, or -1 after a message that starts with
 * opt (the option as the user typed it) and names the value.
 */
int emu_mesh_parse_drop(const char *opt, const char *s, const struct topology *t,
                        struct emu_mesh_config *cfg);

/*
 * Open every listener. Returns NULL after printing a message (a port in use names the port
 * and the pair) when any cannot be opened.
 */
struct emu_mesh *emu_mesh_new(const struct emu_mesh_config *cfg);

/* Write the CSV `src,dst,port` header and one line per pair, in pair-index order; 0 or -1. */
int emu_mesh_print_ports(const struct emu_mesh *m, FILE *out);

/* Serve until SIGINT or SIGTERM; returns 0, or -1 if the event loop failed. */
int emu_mesh_run(struct emu_mesh *m);

/* Close every connection and listener and free everything. NULL is allowed. */
void emu_mesh_free(struct emu_mesh *m);

#endif
