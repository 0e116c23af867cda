/*
 * The flow-level network model. Resources (a directed WAN link, a region's egress or ingress,
 * a LAN, a NIC) have capacities in bits/s; a flow moves a number of bytes across a set of
 * resources. At every instant the active flows share the resources max-min fairly
 * (progressive filling): no flow can get more without taking from a flow that has no more
 * than it. Rates are recomputed exactly at the simulated instant a flow starts or ends or a
 * capacity changes, so finish times are exact to the nanosecond, not time-stepped.
 *
 * What the model leaves out (docs/network-model.md): TCP slow start, loss and retransmission,
 * per-connection windows, packet-level queueing; latency is added by the caller (sim/net.c)
 * before a flow starts moving bytes.
 *
 * Cost: a start or end re-solves only the flows coupled to it through resources that are
 * bottlenecks of the current allocation (or that the change saturates; see sim/flow.c), in
 * O(k log k) for k such flows and resources: a resource with spare capacity (an egress that
 * is not full) does not couple the flows behind it. The flows whose rate one bottleneck sets
 * form a group holding their completions in a small heap (g flows): re-rating them costs
 * O(log g) each there and one event-queue update per group whose earliest completion changed,
 * not a cancelled and a new event per flow. A resource whose flows never cross another
 * resource (a LAN) is served as one processor-sharing queue: a start or end there costs
 * O(log n) for its n flows, plus an exact replay of the rate changes a flow lived through (a
 * subtraction each) when it completes. Results are identical to one event per flow. A
 * re-solved bottleneck whose flows are all in its group has its load summed in O(log n)
 * (lib/fsum.h: the n equal rates added in turn, to the bit) instead of walking them. A
 * recompute of the all-to-all shape (new flows and departures on links whose flows all have
 * their link as bottleneck, egresses and ingresses slack; several links and LANs at once, as
 * when a bsp worker ends its clock) skips the solve: its decisions and the egresses' and
 * ingresses' loads are settled per (neighbour, link) from counts each link keeps as its flows
 * start and end, exactly; each flow's bits, finish time and group entry are still updated
 * one by one, so such an event costs O(n) in the links' n flows (what is left of the scaling
 * gap of training runs, docs/benchmarks.md).
 *
 * Memory per flow in flight: its record (192 bytes: 160 of fields, padded so that the fields
 * a re-rating touches share one cache line), its processor-sharing part (64, kept for every
 * flow), 12 in the model's id and scratch arrays, 4 per resource crossed, and 24 for its entry
 * in its bottleneck group: about 300 bytes for a WAN flow (3 resources), up to twice that in
 * arrays that have just doubled. The event queue holds one 32-byte event per group
 * instead of one per flow (plus the caller's own events, such as sim/net.c's latency). Measured
 * by bench_flow (resident memory growth over flows in flight, closed loop through sim/net.c,
 * events included): see docs/benchmarks.md; the target is <= 1 KiB per flow. Per resource: 136
 * bytes plus 4 per flow crossing it, and a 48-byte group once it has been a bottleneck; a
 * processor-sharing resource adds 4 bytes per flow and 24 bytes per change of its flows' rate
 * since its oldest flow started. A resource that has carried 32 flows at once as a link of
 * that shortcut keeps a neighbour table: 8 bytes per resource its flows have ever crossed
 * (at most the resources that share flows with it) and 8 to 16 in hash slots.
 */
#ifndef GAIA_FLOW_H
#define GAIA_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

/* Most resources one flow may cross. */
#define FLOW_MAX_RES 6

struct flow_model;
typedef void (*flow_done_fn)(struct sim *sim, void *arg);

struct flow_model *flow_model_new(struct sim *sim);
void flow_model_free(struct flow_model *m);

/* Add a resource with capacity cap_bps (>= 0); returns its id (0, 1, 2, ...). */
int flow_resource_new(struct flow_model *m, double cap_bps);
/* Change a capacity at the current simulated time; flows in flight are re-rated. */
void flow_resource_set_capacity(struct flow_model *m, int res, double cap_bps);
double flow_resource_capacity(const struct flow_model *m, int res);
/* Bits carried by the resource from time 0 up to now (exact integral of its rates). */
double flow_resource_bits(struct flow_model *m, int res);
/* Sum of the current rates of the flows crossing the resource, bits/s. */
double flow_resource_load_bps(const struct flow_model *m, int res);

/*
 * Start moving `bytes` (>= 0) across the nres (1..FLOW_MAX_RES, distinct) resources now.
 * done(sim, arg) is called when the last byte has moved. Returns the flow id, valid until
 * done is called (ids are reused afterwards).
 */
uint32_t flow_start(struct flow_model *m, const int *res, int nres, double bytes,
                    flow_done_fn done, void *arg);

/* Current rate of an active flow, bits/s (0 until the rates of this instant are settled). */
double flow_rate_bps(const struct flow_model *m, uint32_t id);
/* Bytes an active flow still has to move, as of now. */
double flow_bytes_left(struct flow_model *m, uint32_t id);
/* Number of active flows. */
size_t flow_active(const struct flow_model *m);
/* Number of rate recomputations run (for benchmarks). */
uint64_t flow_recomputes(const struct flow_model *m);

/*
 * Sanity check of the whole model, for assert() only (SQLite's and libevent's check style):
 * every rate non-negative and finite; on every resource the flows' rates sum to at most its
 * capacity (up to rounding) and its flow list matches the flows' records; every bottleneck
 * group's heap ordered, its members crossing its resource with one common rate, and its top's
 * completion (only it) in the event queue; the event queue's own check (sim_check). Returns 1
 * if all hold. O(flows + resources + queue). At the end of every recompute, debug builds
 * assert the same checks on the resources that recompute solved (O(its work)), or on the
 * whole model after flow_model_check_always(m, 1) (tests).
 */
int flow_model_check(const struct flow_model *m);
void flow_model_check_always(struct flow_model *m, int on);

/*
 * Tests only: on = 1 makes every recompute re-solve all active flows (progressive filling over
 * the whole model, no resource "mixing"), the reference the incremental recompute must match
 * rate for rate (tests/test_flow_solve.c runs a model each way on one event sequence).
 */
void flow_model_solve_all(struct flow_model *m, int on);

/*
 * Tests only: on = 0 turns off the recompute's shortcut for a bottleneck re-rating its whole
 * group (sim/flow.c, grp_fast); on by default. Results are the same to the bit either way.
 */
void flow_model_fast_groups(struct flow_model *m, int on);

/*
 * Tests and benchmarks: how often that shortcut was taken: counts[0] in all, counts[1] over
 * two or more links at once, counts[2] with processor-sharing resources (LANs) in the same
 * recompute; counts[3]: links it counted from their neighbour tables rather than their flows.
 */
void flow_model_fast_counts(const struct flow_model *m, uint64_t counts[4]);

#endif
