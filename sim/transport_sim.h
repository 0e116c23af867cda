/*
 * The simulated transport: messages between nodes travel over the flow-level network of
 * sim/net.h in virtual time. Each channel (source node, destination node, lane) is one
 * connection: it moves one message at a time as a flow across the regions' resources, and
 * delivers each message one one-way latency after its last byte left, never before the
 * previous message of the channel. Messages between two processes of the same node are
 * delivered at once (no network).
 */
#ifndef GAIA_TRANSPORT_SIM_H
#define GAIA_TRANSPORT_SIM_H

#include "sim/net.h"
#include "ps/transport.h"

/* node_region[n] gives the region of node n (copied). */
struct transport *transport_sim_new(struct sim *sim, struct net *net, const int *node_region,
                                    int nnodes);

#endif
