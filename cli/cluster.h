/*
 * The cluster builder: one training run assembled from its parts and run. A cluster is built
 * from a topology (and optional bandwidth trace), a sync model with its parsed parameters, a
 * workload instance, a transport ("sim": the flow-level network in virtual time; an emulated
 * one will join the backend table in cluster.c) and a compute-time policy (ps/compute.h). It
 * places the nodes (every node in region 0 for a model that runs on one LAN), wires the
 * parameter server to the transport and installs the standard observer (ps/observer.h).
 *
 *   c = cluster_new(&cfg);  cluster_run(c, SIMTIME_NEVER);  ...accessors...;  cluster_free(c);
 *
 * The topology, trace, sync parameters and workload stay the caller's and must outlive the
 * cluster.
 */
#ifndef GAIA_CLUSTER_H
#define GAIA_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/simtime.h"
#include "ps/compute.h"
#include "ps/observer.h"
#include "workloads/workload.h"

struct ps;
struct sync_ops;
struct topology;
struct trace;
struct transport;
struct tsock_config;

struct cluster_config {
	const struct topology *topo;     /* topology (borrowed) */
	const struct trace *trace;       /* bandwidth trace, or NULL (borrowed) */
	const int *machines;             /* machines per region where the data is (topo->n) */
	int no_hub_groups;               /* 1: hide the topology's hub groups from the model */
	int dense_views;                 /* 1: workers cache the whole model (ps_config.dense_views;
	                                  * results are the same, memory is not) */
	const struct sync_ops *sync;     /* consistency model */
	const void *sync_params;         /* its parsed parameters (borrowed) */
	const struct workload_ops *wl_ops; /* workload */
	struct workload *wl;             /* its instance, partitioned over the nodes (borrowed) */
	const double *speed;             /* per node compute slowdown factor, or NULL (all 1) */
	const char *transport;           /* "sim" or "emu" (NULL: "sim") */
	const unsigned char *hosted;     /* "emu": per node, 1 if this process runs it (NULL: all) */
	const struct tsock_config *emu;  /* "emu": the socket transport's loop, listen address,
	                                  * time scale and connect timeout (emu/transport_sock.h;
	                                  * nodes, regions, hosted and path rates are filled in) */
	const struct compute_ops *compute; /* compute-time policy (NULL: compute_modelled) */
	void *compute_arg;               /* its state */
	uint64_t seed;                   /* simulator seed */
	int64_t max_clocks;              /* clocks per worker (> 0) */
	int64_t eval_every;              /* evaluate every k clocks (and at the last) */
	double target;                   /* stop once reached (NAN: no target) */
	enum observer_target_on target_on; /* what the target applies to */
	sim_time_t time_limit;           /* workers start no clock after it (SIMTIME_NEVER) */
	double value_bytes;              /* bytes per parameter value on the wire */
	double index_bytes;              /* bytes per index on the wire */
	double header_bytes;             /* bytes of header per message */
	int drain;                       /* 1: keep running after the finish until every
	                                  * message is delivered; 0: stop at the finish */
	/* Called after each evaluation (progress display, logging); may be NULL. */
	void (*on_eval)(void *arg, const struct ps_eval *e);
	void *on_eval_arg;               /* its argument */
	/*
	 * Optional: wrap the backend's transport in another one that forwards to it (a test
	 * checks every message through the wire codec this way). Called once, before the
	 * parameter server is built; the wrapper owns `inner` and destroys it; NULL on error.
	 */
	struct transport *(*wrap_transport)(struct transport *inner, void *arg);
	void *wrap_arg;                  /* its argument */
};

struct cluster;

/* Build the cluster; NULL with a message on a bad transport name or a setup the model or the
 * observer rejects. Nothing runs yet. */
struct cluster *cluster_new(const struct cluster_config *cfg);
void cluster_free(struct cluster *c);
/* Start (on the first call) and run until finished (or, with drain, until no event is left),
 * cluster_stop(), or time `until`, ns (SIMTIME_NEVER: no limit). */
void cluster_run(struct cluster *c, sim_time_t until);
/* Make cluster_run return after the current event. */
void cluster_stop(struct cluster *c);

/* ---- results ---- */
struct ps *cluster_ps(const struct cluster *c);
/* The standard observer as installed (ps_set_observer): for a wrapper that forwards to it and
 * is installed in its place before the run starts. */
struct observer cluster_observer(const struct cluster *c);
/* 1 once every worker has stopped. */
int cluster_finished(const struct cluster *c);
const struct ps_stats *cluster_stats(const struct cluster *c);
const struct ps_eval *cluster_evals(const struct cluster *c, size_t *n);
const struct ps_filter_rec *cluster_filter_recs(const struct cluster *c, size_t *n);
const struct ps_sig_rec *cluster_sig_recs(const struct cluster *c, size_t *n);
/* Time the target was reached, or -1. */
sim_time_t cluster_target_time(const struct cluster *c);
/* First clock with a non-finite objective (the run diverged and stopped), or -1. */
int64_t cluster_diverged_clock(const struct cluster *c);
/* Current time of the run, ns. */
sim_time_t cluster_now(const struct cluster *c);
/* Held-out metric of replica r's current model (NAN: the workload has none). */
double cluster_test_metric(const struct cluster *c, int r);
/* The socket transport of an "emu" cluster (emu/transport_sock.h), or NULL. */
struct transport *cluster_tsock(const struct cluster *c);
/* 1 once every hosted worker (every worker without cluster_config.hosted) has stopped. */
int cluster_hosted_stopped(const struct cluster *c);
/* Events run so far and still pending (simulated transport). */
uint64_t cluster_events(const struct cluster *c);
size_t cluster_pending(const struct cluster *c);
int cluster_nnodes(const struct cluster *c);
/* Region node n is placed in, and the region its data belongs to. */
int cluster_node_region(const struct cluster *c, int n);
int cluster_data_region(const struct cluster *c, int n);

#endif
