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
/*
 * Bytes the transport holds for nnodes nodes of which `pairs` (worker, shard) pairs talk: the
 * channel table (nnodes^2 x lanes pointers, transport_sim_new) and, per talking pair and lane,
 * a channel with one message and its flow in flight (TSIM_PAIR_BYTES, measured: peak RSS of
 * 8.8 GB for 11264 machines on ec2-11 with a 1800-row model, /usr/bin/time -f %M).
 */
double transport_sim_memory_bytes(int nnodes, double pairs);
#define TSIM_PAIR_BYTES 256.0
struct transport *transport_sim_new(struct sim *sim, struct net *net, const int *node_region,
                                    int nnodes);

#endif
