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

/* Per-run counters kept by the cluster (read after the run). */
struct ps_stats {
	double *wan_bytes;     /* nregions*nregions*MSG_NKINDS bytes sent, [src][dst][kind] */
	double *wan_msgs;      /* same shape: message counts */
	double *wait_s;        /* nworkers*PS_WAIT_NKINDS seconds waited, by reason */
	double *compute_s;     /* nworkers: seconds computing */
	int64_t *clocks;       /* nworkers: clocks completed */
	uint64_t updates_produced; /* Gaia: nonzero parameter updates reaching shards' filters */
	uint64_t updates_sent;     /* Gaia: of those, sent to other data centers */
	uint64_t updates_pushed;   /* parameter values pushed by workers to shards */
	uint64_t updates_pushed_wan; /* of those, pushed to a shard in another region */
};

/* One evaluation of a replica's objective. */
struct ps_eval {
	int replica;       /* replica index (region for Gaia; 0 for a single global model) */
	int64_t clock;     /* clocks completed by all of the replica's workers */
	sim_time_t time;   /* when, ns */
	double objective;  /* workload objective */
	double metric;     /* workload metric (e.g. RMSE) */
};

/* Per clock and region: filter counts (Gaia). */
struct ps_filter_rec {
	int region;            /* region */
	int64_t clock;         /* clock */
	uint64_t produced;     /* nonzero parameter updates accumulated this clock */
	uint64_t sent;         /* significant ones sent */
	double threshold;      /* threshold in force */
};

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
	int64_t max_clocks;        /* stop after this many clocks per worker (> 0) */
	double target;             /* stop once the objective is <= target (NAN: no target) */
	sim_time_t time_limit;     /* stop workers starting a clock after this time (SIMTIME_NEVER) */
	int64_t eval_every;        /* evaluate the objective every k clocks (and at the end) */
	double value_bytes;        /* bytes per parameter value on the wire: 4 (float32) or 8 */
	double index_bytes;        /* bytes per index on the wire: 4 (the only width encoded) */
	double header_bytes;       /* bytes of header per message, whole and >= MSG_HEADER_BYTES
	                            * (docs/wire-format.md: the excess is framing overhead) */
	/* Called after each evaluation (progress display, logging); may be NULL. */
	void (*on_eval)(void *arg, const struct ps_eval *e);
	void *on_eval_arg;         /* its argument */
};

/* Create the cluster on transport t; NULL with a message if the sync model rejects the setup. */
struct ps *ps_new(const struct ps_config *cfg, struct transport *t);
void ps_free(struct ps *ps);
/* Start every worker at clock 0. */
void ps_start(struct ps *ps);
/* 1 once every worker has stopped. */
int ps_finished(const struct ps *ps);
/* Set a callback run once when every worker has stopped. */
void ps_on_finish(struct ps *ps, void (*fn)(void *arg), void *arg);

const struct ps_stats *ps_stats(const struct ps *ps);
/* Objective evaluations in the order they happened. */
const struct ps_eval *ps_evals(const struct ps *ps, size_t *n);
const struct ps_filter_rec *ps_filter_recs(const struct ps *ps, size_t *n);
/* Time the target was reached (all replicas at or below it), or -1. */
sim_time_t ps_target_time(const struct ps *ps);
int ps_nworkers(const struct ps *ps);
int ps_nodes_region(const struct ps *ps, int node);
/* Replicas: one global, or one per region with machines (Gaia). */
int ps_nreplicas(const struct ps *ps);
/* Region of a per-region replica, or -1 for the global one. */
int ps_replica_region(const struct ps *ps, int r);
/* Objective and metric of replica r's current parameters. */
void ps_replica_eval(const struct ps *ps, int r, double *objective, double *metric);

#endif
