/*
 * Training runs: build a cluster from a configuration (docs/config-format.md), train a
 * workload under one consistency model on the simulated WAN, and report and store the result.
 * `gaiasim run` runs one model; `gaiasim compare` runs several on the same data, topology and
 * seed and derives the common target objective from the LAN run when none is given.
 */
#ifndef GAIA_RUN_H
#define GAIA_RUN_H

#include <stddef.h>
#include <stdint.h>

struct runcfg;
struct store;

struct run_result {
	char sync[64];             /* sync model spec, e.g. "ssp:3" */
	double target;             /* target objective used (NAN: none) */
	double time_to_target_s;   /* simulated time the target was reached, s (NAN: never) */
	double end_s;              /* simulated time the run ended, s */
	int64_t clocks;            /* clocks completed by every worker */
	double initial_objective;  /* objective of the initial model */
	double final_objective;    /* mean objective over replicas at the end */
	double final_metric;       /* mean metric (e.g. RMSE) over replicas at the end */
	const char *test_metric_name; /* the workload's held-out metric, NULL when it has none */
	double final_test_metric;  /* its mean over replicas at the end (NAN: none) */
	int test_higher_better;    /* 1 if a larger held-out metric is better */
	double wan_bytes;          /* bytes sent between regions */
	double lan_bytes;          /* bytes sent inside regions (between machines) */
	/* The three shares (docs/sync-models.md, "What the shares count"), NAN where undefined: */
	double share_pushed_wan;   /* values pushed to a shard in another region / values pushed */
	double share_filter_sent;  /* Gaia: updates its filters sent / nonzero single-clock
	                            * updates entering them (NAN for other models) */
	double share_below_1pct;   /* single-clock updates with |update / value| < 1% / all of them
	                            * (the paper's statistic) */
	double cost_machine_usd;   /* machine-hours x hourly price, USD */
	double cost_transfer_usd;  /* inter-region bytes x the topology's prices, USD */
	/* Compute-to-communication ratio (docs/workload-*.md, "Compute and communication"): */
	double compute_s_per_clock;   /* simulated compute seconds per clock per worker: each
	                               * worker's compute time over its clocks, mean over workers */
	double wan_bytes_per_clock;   /* wan_bytes over the mean clocks completed per worker */
	double wan_bytes_per_s_needed; /* wan_bytes_per_clock / compute_s_per_clock: the WAN
	                                * bytes/s a worker's clock of compute must be matched by
	                                * for communication to keep up (NAN without compute) */
	int machines;              /* machines in the run */
	uint64_t events;           /* simulator events run */
};

struct run_opts {
	const char *db;            /* results database, or NULL */
	const char *kind;          /* "run" or "compare" (stored in runs.kind) */
	const char *label;         /* runs.label; NULL: the sync model spec */
	int progress;              /* show progress on stderr */
	double target;             /* target objective (NAN: the config's stop.target, if any) */
	int64_t max_clocks;        /* > 0: overrides stop.clocks */
	/* When non-NULL, the objective trajectory (clock -> mean objective at that clock over
	 * replicas, with its time; the held-out metric instead with stop.target_on = test) is
	 * returned here; caller frees. */
	double **traj_objective;
	double **traj_time_s;
	int64_t **traj_clock;
	size_t *traj_n;
};

/*
 * Run workload training under sync model `sync` (NULL: the config's `sync` key). Reads every
 * key it needs from cfg, reporting bad values with file:line. Returns 0 and fills *out, or -1
 * with a message (nothing is written to the database then).
 */
int run_model(struct runcfg *cfg, const char *sync, const struct run_opts *opts,
              struct run_result *out);

/* Validate every key of cfg a run could read, without running (config errors surface early). */
int run_check_config(struct runcfg *cfg);

#endif
