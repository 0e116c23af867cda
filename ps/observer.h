/*
 * The run's observer: everything about a training run that is not one node's own business.
 * The per-node code (ps/ps.c and the sync models) reports events through a `const struct
 * observer_ops` table: a worker finished a clock or stopped, a shard's clock advanced, a
 * message was sent or delivered, a wait ended with its reason, compute time was spent, a
 * filter record was made, a shard counted a clock's updates by significance. The observer turns them into the run's bookkeeping and answers one
 * question back: whether the run's stop rule has fired (workers then stop at their next clock).
 *
 * The standard observer (observer_std_new) keeps what a simulated run reports: objective (and
 * held-out metric) evaluations of every replica, the target rule, finish detection (every
 * worker stopped and every push delivered), per-run statistics, the filter records and the
 * significance records. A
 * simulated run installs one for the whole cluster; the processes of an emulated run can each
 * install their own for the nodes they host.
 */
#ifndef GAIA_OBSERVER_H
#define GAIA_OBSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/simtime.h"
#include "ps/sigfilter.h"
#include "workloads/workload.h"

/* Per-run counters (read after the run). */
struct ps_stats {
	double *wan_bytes;     /* nregions*nregions*MSG_NKINDS bytes sent, [src][dst][kind] */
	double *wan_msgs;      /* same shape: message counts */
	double *wait_s;        /* nworkers*PS_WAIT_NKINDS seconds waited, by reason */
	double *compute_s;     /* nworkers: seconds computing */
	int64_t *clocks;       /* nworkers: clocks completed */
	uint64_t updates_produced; /* Gaia: nonzero single-clock updates entering the shards'
	                            * filters (one per parameter and clock per region) */
	uint64_t updates_sent;     /* Gaia: accumulated updates the filters sent to other data
	                            * centers (one per parameter and batch, not per destination) */
	uint64_t updates_pushed;   /* parameter values pushed by workers to shards */
	uint64_t updates_pushed_wan; /* of those, pushed to a shard in another region */
	uint64_t sig_updates;      /* nonzero single-clock updates counted for significance */
	uint64_t sig_below[SIG_NLEVELS]; /* of those, |update / value| below each level
	                                  * (sigfilter_levels) */
};

/* One evaluation of a replica's objective. */
struct ps_eval {
	int replica;       /* replica index (region for Gaia; 0 for a single global model) */
	int64_t clock;     /* clocks completed by all of the replica's workers */
	sim_time_t time;   /* when, ns */
	double objective;  /* workload objective */
	double metric;     /* workload metric (e.g. RMSE) */
	double test_metric; /* held-out metric (workload_ops.test_metric), NAN when it has none */
};

/* Per clock and region: filter counts (Gaia). */
struct ps_filter_rec {
	int region;            /* region */
	int64_t clock;         /* clock */
	uint64_t produced;     /* nonzero parameter updates accumulated this clock */
	uint64_t sent;         /* significant ones sent */
	double threshold;      /* threshold in force (of the first shard to report) */
};

/*
 * Per clock and region: the paper's significance statistic (ps/sigfilter.h). A shard, at its
 * clock boundary, counts the nonzero parameter updates of the clock (its workers' pushes
 * summed) and how many change their parameter's value (before the update) by less than each
 * level; the shards of a region are summed.
 */
struct ps_sig_rec {
	int region;            /* region of the shards' machines */
	int64_t clock;         /* clock whose updates these are */
	uint64_t updates;      /* nonzero single-clock parameter updates */
	uint64_t below[SIG_NLEVELS]; /* of those, |update / value| < sigfilter_levels[l] */
};

/* What a message event says about the message (not the message: its payload stays private). */
struct observer_msg {
	int kind;              /* enum msg_kind */
	int src, dst;          /* nodes */
	int src_region, dst_region; /* their regions */
	double wire_bytes;     /* size on the wire, bytes */
	size_t entries;        /* payload entries (rows for PUSH) */
};

/* Which quantity the target applies to (stop.target_on). */
enum observer_target_on {
	OBSERVER_TARGET_OBJECTIVE, /* the training objective, lower is better (the paper) */
	OBSERVER_TARGET_TEST,      /* the held-out metric, in the workload's direction */
};

struct observer_ops {
	/* Replica r starts from `params` (its clock-0 model). */
	void (*replica_start)(void *ctx, int r, const double *params, sim_time_t now);
	/* Shard `shard` of replica r completed `clock` clocks; params is the replica's model. */
	void (*shard_clock)(void *ctx, int r, int shard, int64_t clock, const double *params,
	                    sim_time_t now);
	/* Worker w completed `clock` clocks (clock >= 1). */
	void (*clock_done)(void *ctx, int w, int64_t clock, sim_time_t now);
	/* Worker w stopped (it starts no more clocks). */
	void (*worker_stop)(void *ctx, int w, sim_time_t now);
	/* Worker w finished waiting for a clock's reads; `waited_ns` of it were due to `reason`
	 * (enum ps_wait). Reported once per reason that held it, network last. */
	void (*wait_end)(void *ctx, int w, int reason, sim_time_t waited_ns, sim_time_t now);
	/* Worker w computes for `ns` (unrounded) before its push leaves. */
	void (*compute)(void *ctx, int w, double ns);
	/* A message left its source / reached its destination (after the receiver handled it). */
	void (*msg_sent)(void *ctx, const struct observer_msg *m, sim_time_t now);
	void (*msg_delivered)(void *ctx, const struct observer_msg *m, sim_time_t now);
	/* A shard's part of a region's filter counts for a clock. */
	void (*filter)(void *ctx, int region, int64_t clock, uint64_t produced, uint64_t sent,
	               double threshold);
	/* 1 once the run's stop rule fired: workers stop at their next clock. */
	int (*stopping)(void *ctx);
	/* A shard's significance counts of a clock (below: SIG_NLEVELS entries); may be NULL
	 * (nothing is counted then). */
	void (*significance)(void *ctx, int region, int64_t clock, const uint64_t *below,
	                     uint64_t updates);
};

/* An observer: its table and context. */
struct observer {
	const struct observer_ops *ops; /* implementation */
	void *ctx;                      /* its state */
};

/* ---- the standard observer ---- */

struct observer_std_config {
	int nregions;              /* regions */
	int nnodes;                /* nodes = workers */
	int nreplicas;             /* replicas */
	const int *replica_shards; /* shards per replica (nreplicas entries, copied) */
	const struct workload_ops *wl_ops; /* workload (evaluation) */
	const struct workload *wl; /* its instance */
	int64_t max_clocks;        /* clocks per worker (an evaluation at the last one) */
	int64_t eval_every;        /* evaluate every k clocks */
	double target;             /* stop once every replica reaches it (NAN: no target) */
	enum observer_target_on target_on; /* objective or held-out metric */
	/* Called after each evaluation (progress display, logging); may be NULL. */
	void (*on_eval)(void *arg, const struct ps_eval *e);
	void *on_eval_arg;         /* its argument */
	const unsigned char *hosted; /* per node: 1 if this observer's process runs it, or NULL:
	                            * every node (the finish waits for hosted workers only) */
};

struct observer_std;

/* NULL with a message when the target is on a held-out metric the workload does not have. */
struct observer_std *observer_std_new(const struct observer_std_config *cfg);
void observer_std_free(struct observer_std *o);
/* The observer to install in the cluster (ps_config.obs). */
struct observer observer_std_as(struct observer_std *o);
/* Call fn(arg) once, when every worker has stopped and every push has been delivered. */
void observer_std_on_finish(struct observer_std *o, void (*fn)(void *arg), void *arg);
/* 1 once every (hosted) worker has stopped. */
int observer_std_finished(const struct observer_std *o);

const struct ps_stats *observer_std_stats(const struct observer_std *o);
/* Evaluations in the order they happened. */
const struct ps_eval *observer_std_evals(const struct observer_std *o, size_t *n);
/* Filter records, sorted by (clock, region), one per pair (shards' parts summed). */
const struct ps_filter_rec *observer_std_filter_recs(const struct observer_std *o, size_t *n);
/* Significance records, sorted by (clock, region), one per pair (shards' parts summed). */
const struct ps_sig_rec *observer_std_sig_recs(const struct observer_std *o, size_t *n);
/* Time the target was reached (every replica at or past it at one clock), or -1. */
sim_time_t observer_std_target_time(const struct observer_std *o);
/* First clock at which a replica's objective was not finite (the run stopped there), or -1. */
int64_t observer_std_diverged_clock(const struct observer_std *o);

#endif
