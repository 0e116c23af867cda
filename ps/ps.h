/*
 * The parameter-server cluster: workers that train on their own data and shards that hold the
 * model, exchanging real messages through a transport (ps/transport.h). What differs between
 * consistency models (BSP, SSP, asynchronous, Gaia's ASP across data centers) is a
 * `const struct sync_ops` table (ps/sync.h); the cluster engine here is shared.
 *
 * Nodes are machines, numbered region by region; every node runs one worker and one server
 * process. A replica is one full copy of the model sharded over a set of nodes: the baseline
 * models keep one replica over every node of every region; Gaia keeps one per region.
 */
#ifndef GAIA_PS_H
#define GAIA_PS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/simtime.h"
#include "ps/msg.h"
#include "ps/compute.h"
#include "ps/observer.h"
#include "ps/transport.h"
#include "workloads/workload.h"

struct sync_ops;
struct ps;

/* Why a worker waited (accounting categories, also the `blocked.reason` values stored). */
enum ps_wait {
	PS_WAIT_NETWORK,   /* data in flight: not blocked by any rule */
	PS_WAIT_BSP,       /* BSP barrier: some worker of the replica had not finished clock c-1 */
	PS_WAIT_SSP,       /* SSP bound: some worker was more than s clocks behind */
	PS_WAIT_MIRROR,    /* Gaia mirror clock: another data center was more than slack behind */
	PS_WAIT_BARRIER,   /* Gaia selective barrier: a row it reads awaited its significant update */
	PS_WAIT_NKINDS
};
extern const char *const ps_wait_names[PS_WAIT_NKINDS];


struct ps_config {
	int nregions;              /* regions */
	const int *machines;       /* machines (nodes) per region */
	const int *node_region;    /* region of each node, or NULL: nodes numbered region by region */
	const int *region_group;   /* hub group of each region (-1: none), or NULL (gaia.hubs) */
	const int *group_hub;      /* hub region of each group, or NULL (gaia.hubs) */
	int ngroups;               /* hub groups (0: none) */
	const struct sync_ops *sync; /* consistency model */
	const void *sync_params;   /* its parameters (type known to the model) */
	const struct workload_ops *wl_ops; /* workload */
	struct workload *wl;       /* workload instance (partitioned over the nodes' workers) */
	const double *speed;       /* per node compute slowdown factor (1 = reference), or NULL */
	const struct compute_ops *compute; /* compute-time policy (NULL: compute_modelled) */
	void *compute_arg;         /* its state */
	int64_t max_clocks;        /* stop after this many clocks per worker (> 0) */
	sim_time_t time_limit;     /* stop workers starting a clock after this time (SIMTIME_NEVER) */
	double value_bytes;        /* bytes per parameter value on the wire: 4 (float32) or 8 */
	double index_bytes;        /* bytes per index on the wire: 4 (the only width encoded) */
	double header_bytes;       /* bytes of header per message, whole and >= MSG_HEADER_BYTES
	                            * (docs/wire-format.md: the excess is framing overhead) */
	const unsigned char *hosted; /* per node: 1 if this process runs it, or NULL: every node
	                            * (an emulated run splits the nodes over processes: each builds
	                            * the whole cluster's state but starts only its own workers,
	                            * and the transport delivers only its own nodes' messages) */
	int dense_views;           /* 1: every worker caches the whole model (ps/rowcache.h dense
	                            * layout, as before sparse views); 0: only the rows it touches */
};

/*
 * Bytes ps_new will allocate, estimated from the shape (the allocations in ps_new and
 * replica_init, and the accumulators shards open while running): per node a view of the model
 * and its row stamps; per replica its parameters; per shard one open accumulator per clock in
 * flight (two counted) and a push counter per worker of its replica.
 */
double ps_memory_bytes(int nnodes, int nreplicas, size_t nrows, size_t row_len);
/* Create the cluster on transport t; NULL with a message if the sync model rejects the setup. */
struct ps *ps_new(const struct ps_config *cfg, struct transport *t);
void ps_free(struct ps *ps);
/*
 * Install the observer the nodes report their events to (ps/observer.h); before ps_start. Until
 * then (and for a cluster never given one) events go nowhere and no stop rule fires.
 */
void ps_set_observer(struct ps *ps, struct observer obs);
/*
 * NULL, or why the run had to stop before its end (e.g. a compute step that would end past
 * SIMTIME_HORIZON, naming the worker, the clock and the quantity); workers stop at their next
 * clock once it is set, and the run's results must not be stored.
 */
const char *ps_error(const struct ps *ps);
/* Start every hosted worker at clock 0 (each replica's initial model is reported first). */
void ps_start(struct ps *ps);
/* The wire format of messages about the shard on `node` (docs/wire-format.md): what a
 * transport encodes and decodes them with. READ and PUSH are about their destination's shard,
 * every other kind about its source's. */
void ps_node_format(const struct ps *ps, int node, struct msg_format *f);
int ps_nworkers(const struct ps *ps);
int ps_nodes_region(const struct ps *ps, int node);
/* Replicas: one global, or one per region with machines (Gaia). */
int ps_nreplicas(const struct ps *ps);
/* Region of a per-region replica, or -1 for the global one. */
int ps_replica_region(const struct ps *ps, int r);
/* Shards (= workers) of replica r. */
int ps_replica_nshards(const struct ps *ps, int r);
/* Node hosting shard `shard` of replica r (the shard owns the rows with row % nshards ==
 * shard). */
int ps_replica_shard_node(const struct ps *ps, int r, int shard);
/* Replica r's current parameters (nrows * row_len), read-only. */
const double *ps_replica_params(const struct ps *ps, int r);
/* Objective and metric of replica r's current parameters. */
void ps_replica_eval(const struct ps *ps, int r, double *objective, double *metric);
/* Rows worker w's view holds now (sparse views: the rows it has needed, received or updated). */
size_t ps_worker_view_rows(const struct ps *ps, int w);
/* Bytes worker w's view has allocated (values, stamps, index). */
size_t ps_worker_view_bytes(const struct ps *ps, int w);

#endif
