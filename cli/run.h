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

/* Levels of the significance distribution a run reports (SIG_NLEVELS of ps/sigfilter.h). */
#define RUN_SIG_LEVELS 7

struct cluster_config;
struct ps_eval;
struct ps_filter_rec;
struct ps_stats;
struct runcfg;
struct store;
struct topology;
struct trace;

/*
 * How a run ended (docs/results-schema.md, summary.end_status). completed, target_reached and
 * time_limit are successful ends (exit 0); diverged and stalled are failed ones (exit 1),
 * stored all the same so that the database says what happened.
 */
enum run_status {
	RUN_COMPLETED,      /* every worker ran stop.clocks clocks */
	RUN_TARGET_REACHED, /* every replica reached the target objective */
	RUN_TIME_LIMIT,     /* stop.time_s passed before the clocks were done */
	RUN_DIVERGED,       /* a replica's objective was not finite: stopped at once */
	RUN_STALLED,        /* nothing could make progress any more (e.g. a link down for good) */
};
/* Its name as printed and stored ("completed", ...). */
const char *run_status_name(enum run_status st);
/* 1 for the statuses that make `run` and `compare` exit 1 (diverged, stalled). */
int run_status_failed(enum run_status st);

struct run_result {
	enum run_status status;    /* how the run ended */
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
	double share_below[RUN_SIG_LEVELS]; /* the same below each of ps/sigfilter.h's levels
	                            * (0.01% .. 10%; NAN when nothing was counted) */
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
	char topology[64];         /* topology name */
	char trace[128];           /* trace name, "" when none */
	int64_t seed;              /* run seed */
};

struct run_opts {
	const char *db;            /* results database, or NULL */
	const char *kind;          /* "run" or "compare" (stored in runs.kind) */
	const char *label;         /* runs.label; NULL: the sync model spec */
	int progress;              /* show progress on stderr */
	double target;             /* target objective (NAN: the config's stop.target, if any) */
	int64_t max_clocks;        /* > 0: overrides stop.clocks */
	int64_t comparison_id;     /* > 0: runs.comparison_id of the stored run (compare) */
	/* When non-NULL, the objective trajectory (clock -> mean objective at that clock over
	 * replicas, with its time; the held-out metric instead with stop.target_on = test) is
	 * returned here; caller frees. */
	double **traj_objective;
	double **traj_time_s;
	int64_t **traj_clock;
	size_t *traj_n;
	/* When non-NULL: bytes sent per directed region pair and message kind,
	 * [src][dst][kind] as ps_stats.wan_bytes (nregions^2 * MSG_NKINDS); caller frees. */
	double **wan_bytes;
};

/*
 * Run workload training under sync model `sync` (NULL: the config's `sync` key). Reads every
 * key it needs from cfg, reporting bad values with file:line. Returns 0 and fills *out, or -1
 * with a message (nothing is written to the database then).
 */
int run_model(struct runcfg *cfg, const char *sync, const struct run_opts *opts,
              struct run_result *out);

/*
 * What a finished run reports, from wherever it ran: the simulated cluster, or the node
 * processes of an emulated run (cli/emu_results.c) merged. Arrays are borrowed.
 */
struct run_parts {
	const struct ps_eval *evals;   /* evaluations, in time order */
	size_t nevals;                 /* their number */
	int nreplicas;                 /* replicas */
	const int *replica_region;     /* region of each replica (-1: the global one) */
	const double *final_objective; /* per replica: objective of its final model */
	const double *final_metric;    /* per replica: metric of its final model */
	const double *final_test;      /* per replica: held-out metric (NAN: none) */
	const struct ps_stats *stats;  /* counters */
	const struct ps_filter_rec *frecs; /* filter records, sorted by (clock, region) */
	size_t nfrecs;                 /* their number */
	const struct ps_sig_rec *sigs; /* significance counts per (region, clock), or NULL */
	size_t nsigs;                  /* their number (0 for an emulated run: not collected) */
	int64_t target_time;           /* ns the target was reached, or -1 */
	int64_t diverged_clock;        /* first clock evaluated to a non-finite objective, or -1 */
	int finished;                  /* 1: every worker stopped (0: the run stalled) */
	double end_s;                  /* time the run ended, s (simulated or emulated) */
	uint64_t events;               /* simulator events (0 for an emulated run) */
};

/* ---- the pieces an emulated run is assembled from (cli/emu_run.c, emu_node.c, emu_results.c) */
struct run_setup;

/* Read and check the configuration as run_model does; NULL with a message. */
struct run_setup *run_setup_new(struct runcfg *cfg);
void run_setup_free(struct run_setup *s);
/* The cluster configuration a simulated run would use (transport "sim", modelled compute);
 * the caller changes what differs. Pointers into s stay valid while s lives. */
void run_setup_cluster(const struct run_setup *s, struct cluster_config *cc);
const struct topology *run_setup_topology(const struct run_setup *s);
const struct trace *run_setup_trace(const struct run_setup *s); /* NULL: none */
/* The `emu.compute` key: "sleep" (default) or "measured". */
const char *run_setup_emu_compute(const struct run_setup *s);
int run_setup_nnodes(const struct run_setup *s);
/* Region node n is placed in (0 for every node of a one-LAN model). */
int run_setup_place(const struct run_setup *s, int n);
/* stop.clocks. */
double run_setup_max_clocks(const struct run_setup *s);
/* Target (NAN: none), whether it applies to the held-out metric, and the direction. */
double run_setup_target(const struct run_setup *s, int *on_test, int *higher_better);
/*
 * Summarize the parts of a finished run into *out and, with opts->db, store it (kind
 * opts->kind) in one transaction. 0, or -1 with a message (nothing stored).
 */
int run_report_parts(struct runcfg *cfg, const struct run_setup *s, const struct run_opts *opts,
                     const struct run_parts *p, double wall_s, struct run_result *out);

/*
 * Every key documentation table (lib/runcfg.h): the run's, compare's, each sync model's and
 * each workload's, in that order. *out gets the array; returns its length.
 */
struct runcfg_keydoc;
size_t run_key_tables(const struct runcfg_keydoc *const **out);

/* Validate every key of cfg a run could read, without running (config errors surface early). */
int run_check_config(struct runcfg *cfg);

#endif
