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

#endif
