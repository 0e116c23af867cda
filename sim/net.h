/*
 * The network of a topology on the flow model: one resource per directed WAN link, per
 * region egress and ingress (machines x NIC bandwidth) and per region LAN. A transfer between
 * two regions crosses {link(src,dst), egress(src), ingress(dst)}; a transfer inside a region
 * crosses {lan(region)}. Latency (RTT/2, the LAN's inside a region) comes first: a transfer
 * starts moving bytes one one-way latency after it is sent (docs/network-model.md).
 * Trace changes update link capacities (and RTTs for transfers sent afterwards) at exact times.
 */
#ifndef GAIA_NET_H
#define GAIA_NET_H

#include <stdint.h>

#include "sim/flow.h"
#include "sim/sim.h"
#include "topology/topology.h"
#include "topology/trace.h"

struct net;

/* Callback when the last byte of a transfer has arrived. */
typedef void (*net_done_fn)(struct sim *sim, void *arg);

/*
 * Build the network of topology t on sim. machines[r] overrides the machine count of region r
 * (NULL: the topology's). The topology must outlive the net.
 */
struct net *net_new(struct sim *sim, const struct topology *t, const int *machines);
void net_free(struct net *n);

/* Schedule every change of trace tr (validated against the same topology). */
void net_apply_trace(struct net *n, const struct trace *tr);

/* Send `bytes` from region src to region dst now: latency first, then the flow. */
void net_send(struct net *n, int src, int dst, double bytes, net_done_fn done, void *arg);

/*
 * Start moving bytes now, without the latency (for ordered channels that add the latency at
 * the receiving end; see ps/transport.h). Returns the flow id.
 */
uint32_t net_transmit(struct net *n, int src, int dst, double bytes, net_done_fn done, void *arg);

/* Current one-way latency src -> dst, ns (trace RTT changes included). */
sim_time_t net_latency(const struct net *n, int src, int dst);

/* Bits carried so far by the directed link src->dst (src == dst: the LAN of src). */
double net_link_bits(struct net *n, int src, int dst);
/* Rate the link src->dst carries now, bits/s (0: nothing moves on it until the next event). */
double net_link_load_bps(const struct net *n, int src, int dst);

/* Current capacity of the directed link (src == dst: LAN), bits/s. */
double net_link_capacity(const struct net *n, int src, int dst);

struct flow_model *net_flows(struct net *n);
const struct topology *net_topology(const struct net *n);

#endif
