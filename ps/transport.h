/*
 * The transport seam between the sync logic (ps/ps.c and the sync models) and the world it
 * runs in. The logic only ever sends messages between nodes, is called back when one is
 * delivered, asks for the time and sets timers. The simulated transport (sim/transport_sim.c)
 * carries messages over the flow-level network in virtual time; an emulated transport can carry
 * the same messages over real sockets in real time without touching the logic.
 *
 * Delivery is ordered per channel (source node, destination node, lane), like one TCP
 * connection: a message is delivered only after every earlier message on its channel. Lane 1
 * is a second connection for small control messages that must not wait behind bulk data.
 */
#ifndef GAIA_TRANSPORT_H
#define GAIA_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/simtime.h"

struct msg;
struct transport;

/* Called when a message reaches node msg->dst; the receiver owns msg afterwards. */
typedef void (*transport_deliver_fn)(void *ctx, struct msg *m);
/* Timer callback. */
typedef void (*transport_timer_fn)(void *ctx, void *arg);

struct transport_ops {
	const char *name;
	/* Current time, ns (virtual or real). */
	sim_time_t (*now)(struct transport *t);
	/* Send m (m->src, m->dst, m->lane, m->wire_bytes set) on the ordered channel
	 * (src, dst, lane). Lanes of one node pair are independent connections. */
	void (*send)(struct transport *t, struct msg *m);
	/* Call fn(ctx, arg) `delay` ns from now. */
	void (*timer)(struct transport *t, sim_time_t delay, transport_timer_fn fn, void *arg);
	/* Bytes queued on the data lane src -> dst and not yet delivered. */
	double (*queued_bytes)(struct transport *t, int src, int dst);
	/* Current bandwidth of the path src -> dst, bits/s (for the selective-barrier rule). */
	double (*path_bps)(struct transport *t, int src, int dst);
	void (*destroy)(struct transport *t);
};

struct transport {
	const struct transport_ops *ops; /* implementation */
	transport_deliver_fn deliver;    /* receiver upcall, set by the logic */
	void *ctx;                       /* argument of deliver and timers */
};

#endif
