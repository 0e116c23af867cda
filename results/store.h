/*
 * The results store: one SQLite database (schema in results/schema.sql, documented there)
 * holding runs and their measurements. Every column carries its unit in its name.
 *
 * A run is written inside one transaction: store_run_begin() opens it, the row writers add to
 * it through prepared statements, store_run_commit() commits it. store_run_abort(), an error,
 * or the process dying before commit leaves no trace of the run. The database is in WAL mode.
 */
#ifndef GAIA_STORE_H
#define GAIA_STORE_H

#include <stdint.h>

struct store;

/* Open or create the database at path and apply the schema; NULL with a message on error. */
struct store *store_open(const char *path);
/* Close; a run still open is rolled back. */
void store_close(struct store *s);

struct store_run_info {
	const char *kind;             /* "net", "run" or "compare" */
	const char *label;            /* free text, e.g. the sync model name; may be NULL */
	const char *config;           /* the full effective configuration, text */
	uint64_t seed;                /* run seed */
	const char *program_version;  /* e.g. "gaiasim 0.1.0" */
	const char *topology_name;    /* topology name */
	const char *topology_sha256;  /* hex SHA-256 of the topology file */
	const char *trace_name;       /* NULL when no trace */
	const char *trace_sha256;     /* NULL when no trace */
	const char *comparison_id;    /* the `gaiasim compare` that made the run, or NULL */
};

/* Begin the run's transaction and insert its `runs` row; returns run_id (> 0) or -1. */
int64_t store_run_begin(struct store *s, const struct store_run_info *info);

/* One simulated transfer (gaiasim net). Times in seconds of simulated time. */
int store_transfer(struct store *s, int64_t run_id, int64_t transfer_id, const char *src,
                   const char *dst, double bytes, double start_s, double first_byte_s,
                   double finish_s);

/* Bytes carried by the directed link src->dst (src == dst: the LAN) in [t0_s, t1_s). */
int store_link_bytes(struct store *s, int64_t run_id, const char *src, const char *dst,
                     double t0_s, double t1_s, double bytes);

/* Mark the run finished (simulated end time, wall time spent) and commit. 0 or -1. */
int store_run_commit(struct store *s, int64_t run_id, double sim_end_s, double wall_s);
/* Roll the open run back. */
void store_run_abort(struct store *s);

/* The underlying handle, for modules that add their own tables and statements. */
struct sqlite3 *store_db(struct store *s);

/*
 * Sync-model measurements (tables clocks, blocked, wan_bytes, filter_updates, summary; every
 * column is documented in results/schema.sql). Like the writers above they add to the open
 * run and return 0, or -1 with a message. Any writer, or store_run_commit(), that returns -1
 * has already rolled the open run back: the caller only reports the failure.
 */

/* Region `region`'s model after `clock` clocks: simulated time, objective, workload metric,
 * held-out metric (NAN: the workload has none; stored as NULL). */
int store_clock(struct store *s, int64_t run_id, const char *region, int64_t clock,
                double sim_time_s, double objective, double metric, double test_metric);

/*
 * One blocking episode: adds blocked_s to (worker, reason)'s total and counts the episode.
 * reason is the wait reason's name as the sync models define it (ps/ps.h ps_wait_names, e.g.
 * "ssp_bound"); the store takes any non-empty name.
 */
int store_blocked(struct store *s, int64_t run_id, int worker, const char *region,
                  const char *reason, double blocked_s);

/* WAN messages src->dst (src != dst) of a kind: adds bytes and the message count. */
int store_wan_bytes(struct store *s, int64_t run_id, const char *src, const char *dst,
                    const char *kind, double bytes, uint64_t messages);

/* Significance filter of `region` during `clock`: adds produced and sent update counts; the
 * threshold in force is the first one given for the pair (NAN: stored as NULL). */
int store_filter(struct store *s, int64_t run_id, const char *region, int64_t clock,
                 uint64_t updates_produced, uint64_t updates_sent, double threshold);

/* The run's summary row; reached_target, share_updates_sent and cost_total_usd are derived. */
struct store_summary {
	const char *sync_model;     /* e.g. "gaia" */
	const char *workload;       /* e.g. "mf" */
	const char *metric_name;    /* e.g. "rmse" */
	double target_objective;    /* objective counted as converged; NAN: no target */
	double time_to_target_s;    /* simulated time the target was first reached, s; NAN: never */
	int64_t clocks_completed;   /* clocks completed by every worker */
	double final_objective;     /* objective of the final model */
	double final_metric;        /* metric of the final model */
	const char *test_metric_name; /* held-out metric's name, NULL when the workload has none */
	double final_test_metric;   /* held-out metric of the final model (NAN: none) */
	double wan_bytes;           /* bytes sent between regions */
	double lan_bytes;           /* bytes sent within regions */
	uint64_t updates_produced;  /* parameter values updated by all workers */
	uint64_t updates_sent;      /* parameter values sent over the WAN after the filter */
	double cost_machine_usd;    /* machine cost, USD */
	double cost_transfer_usd;   /* WAN transfer cost, USD */
};
int store_summary(struct store *s, int64_t run_id, const struct store_summary *sum);

/* The schema (results/schema.sql as compiled in) and its version (its PRAGMA user_version). */
const char *store_schema_sql(void);
int store_schema_version(void);

#endif
