/*
 * The results store: a SQLite database in WAL mode whose schema (results/schema.sql, compiled
 * in as store_schema_sql_text by results/local.am) is applied on open. Each run is one
 * transaction (BEGIN IMMEDIATE ... COMMIT), so a run that fails, is aborted or is killed
 * leaves nothing behind; every row goes through a statement prepared once per store and
 * reset/re-bound per row. Any failing writer rolls the open run back before returning -1.
 */
#include "results/store.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/xmalloc.h"

/* How long a writer waits for another connection's write lock (a whole run), ms. */
#define STORE_BUSY_TIMEOUT_MS 60000

/* Generated from results/schema.sql at build time (results/schema.c). */
extern const char store_schema_sql_text[];

/* The cached statements, prepared on first use. */
enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_RUN_INSERT,
	ST_RUN_FINISH,
	ST_TRANSFER,
	ST_LINK_BYTES,
	ST_CLOCK,
	ST_BLOCKED,
	ST_WAN_BYTES,
	ST_FILTER,
	ST_SUMMARY,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_RUN_INSERT] =
		"INSERT INTO runs (kind, label, started_at_utc, program_version, seed, config_text,"
		" topology_name, topology_sha256, trace_name, trace_sha256, comparison_id, status)"
		" VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		" ?10, 'running')",
	[ST_RUN_FINISH] =
		"UPDATE runs SET sim_end_s = ?2, wall_s = ?3, status = 'complete'"
		" WHERE run_id = ?1 AND status = 'running'",
	[ST_TRANSFER] =
		"INSERT INTO transfers (run_id, transfer_id, src_region, dst_region, size_bytes,"
		" start_s, first_byte_s, finish_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_LINK_BYTES] =
		"INSERT INTO link_bytes (run_id, src_region, dst_region, t0_s, t1_s, carried_bytes)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_CLOCK] =
		"INSERT INTO clocks (run_id, region, clock, sim_time_s, objective, metric,"
		" test_metric) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_BLOCKED] =
		"INSERT INTO blocked (run_id, worker, region, reason, blocked_s, episodes)"
		" VALUES (?1, ?2, ?3, ?4, ?5, 1)"
		" ON CONFLICT (run_id, worker, reason) DO UPDATE SET"
		" blocked_s = blocked_s + excluded.blocked_s, episodes = episodes + 1"
		" WHERE region = excluded.region",
	[ST_WAN_BYTES] =
		"INSERT INTO wan_bytes (run_id, src_region, dst_region, kind, sent_bytes, messages)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (run_id, src_region, dst_region, kind) DO UPDATE SET"
		" sent_bytes = sent_bytes + excluded.sent_bytes,"
		" messages = messages + excluded.messages",
	[ST_FILTER] =
		"INSERT INTO filter_updates (run_id, region, clock, updates_produced, updates_sent,"
		" threshold) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (run_id, region, clock) DO UPDATE SET"
		" updates_produced = updates_produced + excluded.updates_produced,"
		" updates_sent = updates_sent + excluded.updates_sent",
	[ST_SUMMARY] =
		"INSERT INTO summary (run_id, sync_model, workload, metric_name, target_objective,"
		" time_to_target_s, clocks_completed, final_objective, final_metric, wan_bytes,"
		" lan_bytes, updates_produced, updates_sent, cost_machine_usd, cost_transfer_usd,"
		" test_metric_name, final_test_metric)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
};

struct store {
	sqlite3 *db;                  /* the connection */
	char *path;                   /* database path, for messages */
	sqlite3_stmt *stmt[ST_COUNT]; /* cached statements, NULL until first used */
	int64_t open_run;             /* run_id of the run whose transaction is open, 0: none */
};

const char *store_schema_sql(void)
{
	return store_schema_sql_text;
}

int store_schema_version(void)
{
	static const char key[] = "PRAGMA user_version = ";
	const char *p = strstr(store_schema_sql_text, key);
	assert(p && "results/schema.sql sets PRAGMA user_version");
	return (int)strtol(p + sizeof key - 1, NULL, 10);
}

struct sqlite3 *store_db(struct store *s)
{
	return s->db;
}

/* "PATH: what: sqlite's message"; returns -1. */
static int db_error(const struct store *s, const char *what)
{
	return diag_error("%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* The cached statement, prepared on first use and ready to bind; NULL with a message. */
static sqlite3_stmt *stmt_get(struct store *s, enum stmt_id id)
{
	if (!s->stmt[id] && sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
	                                       &s->stmt[id], NULL) != SQLITE_OK) {
		db_error(s, "cannot prepare statement");
		return NULL;
	}
	return s->stmt[id];
}

/* Step a statement that returns no rows, then reset it; SQLite result code. */
static int stmt_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

/* Run a cached statement without parameters (BEGIN, COMMIT, ROLLBACK): 0 or SQLite's code. */
static int exec_cached(struct store *s, enum stmt_id id)
{
	sqlite3_stmt *st = stmt_get(s, id);
	if (!st)
		return SQLITE_ERROR;
	int rc = stmt_run(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* Roll the open run's transaction back (if SQLite has not already done so) and forget it. */
static void rollback_run(struct store *s)
{
	if (!s->open_run)
		return;
	if (!sqlite3_get_autocommit(s->db) && exec_cached(s, ST_ROLLBACK) != 0)
		db_error(s, "cannot roll back");
	s->open_run = 0;
}

/* bind_count()'s result for a count beyond SQLite's integers (not a SQLite result code). */
#define BIND_COUNT_TOO_BIG (-1)

/*
 * A writer failed: report "PATH: run N: cannot store ROW: REASON" and roll the run back;
 * returns -1. rc says where REASON comes from: 0 the message itself, BIND_COUNT_TOO_BIG a
 * count out of range, else SQLite's message for the failed call.
 */
static int row_failed(struct store *s, int64_t run_id, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int row_failed(struct store *s, int64_t run_id, int rc, const char *fmt, ...)
{
	char row[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(row, sizeof row, fmt, ap);
	va_end(ap);
	const char *reason = rc == BIND_COUNT_TOO_BIG ? "a count exceeds 2^63 - 1"
	                     : rc ? sqlite3_errmsg(s->db) : NULL;
	if (reason)
		diag_error("%s: run %" PRId64 ": cannot store %s: %s (run rolled back)", s->path,
		           run_id, row, reason);
	else
		diag_error("%s: run %" PRId64 ": cannot store %s (run rolled back)", s->path, run_id,
		           row);
	rollback_run(s);
	return -1;
}

/* Check that run_id is the open run; on mismatch report, roll back and return -1. */
static int check_run(struct store *s, int64_t run_id, const char *what)
{
	if (s->open_run && run_id == s->open_run)
		return 0;
	if (!s->open_run)
		return diag_error("%s: run %" PRId64 ": cannot store %s: no run is open", s->path,
		                  run_id, what);
	return row_failed(s, run_id, 0, "%s: the open run is %" PRId64, what, s->open_run);
}

/* Bind text, or NULL when str is NULL. */
static int bind_text(sqlite3_stmt *st, int i, const char *str)
{
	return str ? sqlite3_bind_text(st, i, str, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* Bind a double, or NULL when it is NaN (the store's "absent"). */
static int bind_real(sqlite3_stmt *st, int i, double v)
{
	return isnan(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

/* Bind a count that must fit SQLite's signed 64-bit integer (else BIND_COUNT_TOO_BIG). */
static int bind_count(sqlite3_stmt *st, int i, uint64_t v)
{
	return v > INT64_MAX ? BIND_COUNT_TOO_BIG : sqlite3_bind_int64(st, i, (int64_t)v);
}

/*
 * Run an INSERT whose parameters are bound; bind_rc is the OR of the bind results (any
 * failure makes it non-zero). Returns 0, or non-zero with the statement reset: bind_rc if a
 * bind failed, else SQLite's result code.
 */
static int insert_row(sqlite3_stmt *st, int bind_rc)
{
	if (bind_rc != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return bind_rc;
	}
	int rc = stmt_run(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* ---- opening ---------------------------------------------------------------------------- */

/* Run a single-value query (a PRAGMA or a count) into *out; SQLite result code. */
static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Switch to WAL (in-memory databases cannot, and need not); 0 or -1 with a message. */
static int set_wal(struct store *s)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
		return db_error(s, "cannot open results database");
	int rc = sqlite3_step(st);
	char mode[16] = "";
	if (rc == SQLITE_ROW)
		snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_error(s, "cannot open results database");
	if (strcmp(mode, "wal") && strcmp(mode, "memory"))
		return diag_error("%s: cannot switch the results database to WAL mode (journal mode "
		                  "stays '%s')", s->path, mode);
	return 0;
}

/*
 * Inside the opening transaction: check the database's schema version against ours (0 with
 * no objects: a fresh database) and apply the schema (CREATE ... IF NOT EXISTS, so a
 * database another process initialized meanwhile is left as it is). 0 or -1 with a message.
 */
static int apply_schema(struct store *s)
{
	int64_t version = 0, objects = 0;
	if (query_int(s->db, "PRAGMA user_version", &version) != SQLITE_OK ||
	    query_int(s->db, "SELECT count(*) FROM sqlite_master", &objects) != SQLITE_OK)
		return db_error(s, "cannot read the schema version");
	int want = store_schema_version();
	if (version == 0 && objects > 0)
		return diag_error("%s: not a gaiasim results database (schema version 0 but it "
		                  "already holds %" PRId64 " tables or indexes)", s->path, objects);
	if (version != 0 && version != want)
		return diag_error("%s: results database has schema version %" PRId64 ", this "
		                  "program writes version %d (%s); use a new database file",
		                  s->path, version, want, version > want ? "it is newer" : "it is older");
	char *err = NULL;
	if (sqlite3_exec(s->db, store_schema_sql_text, NULL, NULL, &err) != SQLITE_OK) {
		diag_error("%s: cannot apply the results schema: %s", s->path, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

struct store *store_open(const char *path)
{
	struct store *s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		if (s->db)
			db_error(s, "cannot open results database");
		else
			diag_error("%s: cannot open results database: %s", path, sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* Another process may hold the write lock for a whole run; wait for it a while. */
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	if (set_wal(s) != 0)
		goto fail;
	if (sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(s, "cannot enable foreign keys");
		goto fail;
	}
	/*
	 * A database already at our version needs nothing (and must not wait for the write lock,
	 * which a run in another process may hold); otherwise check and apply under the lock.
	 */
	int64_t version = 0;
	if (query_int(s->db, "PRAGMA user_version", &version) != SQLITE_OK) {
		db_error(s, "cannot read the schema version");
		goto fail;
	}
	if (version == store_schema_version())
		return s;
	if (exec_cached(s, ST_BEGIN) != 0) {
		db_error(s, "cannot lock the results database");
		goto fail;
	}
	if (apply_schema(s) != 0) {
		exec_cached(s, ST_ROLLBACK);
		goto fail;
	}
	if (exec_cached(s, ST_COMMIT) != 0) {
		db_error(s, "cannot commit the results schema");
		exec_cached(s, ST_ROLLBACK);
		goto fail;
	}
	return s;
fail:
	store_close(s);
	return NULL;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->db) {
		rollback_run(s);
		for (int i = 0; i < ST_COUNT; i++)
			sqlite3_finalize(s->stmt[i]);
		if (sqlite3_close(s->db) != SQLITE_OK)
			db_error(s, "cannot close results database");
	}
	free(s->path);
	free(s);
}

/* ---- runs ------------------------------------------------------------------------------- */

/* NULL, or the name of the first required field of info that is missing. */
static const char *run_info_missing(const struct store_run_info *info)
{
	if (!info->kind)
		return "kind";
	if (!info->config)
		return "config";
	if (!info->program_version)
		return "program_version";
	if (!info->topology_name)
		return "topology_name";
	if (!info->topology_sha256)
		return "topology_sha256";
	return NULL;
}

int64_t store_run_begin(struct store *s, const struct store_run_info *info)
{
	if (s->open_run)
		return diag_error("%s: cannot begin a run: run %" PRId64 " is still open", s->path,
		                  s->open_run);
	const char *missing = run_info_missing(info);
	if (missing)
		return diag_error("%s: cannot begin a run: no %s given", s->path, missing);
	if (exec_cached(s, ST_BEGIN) != 0)
		return db_error(s, "cannot begin a run");
	sqlite3_stmt *st = stmt_get(s, ST_RUN_INSERT);
	if (!st)
		goto fail;
	int64_t seed;
	memcpy(&seed, &info->seed, sizeof seed); /* two's complement, as schema.sql documents */
	int brc = bind_text(st, 1, info->kind) | bind_text(st, 2, info->label) |
	          bind_text(st, 3, info->program_version) | sqlite3_bind_int64(st, 4, seed) |
	          bind_text(st, 5, info->config) | bind_text(st, 6, info->topology_name) |
	          bind_text(st, 7, info->topology_sha256) | bind_text(st, 8, info->trace_name) |
	          bind_text(st, 9, info->trace_sha256) | bind_text(st, 10, info->comparison_id);
	if (insert_row(st, brc) != 0) {
		diag_error("%s: cannot begin a %s run (topology %s, trace %s): %s", s->path,
		           info->kind, info->topology_name, info->trace_name ? info->trace_name : "none",
		           sqlite3_errmsg(s->db));
		goto fail;
	}
	s->open_run = sqlite3_last_insert_rowid(s->db);
	assert(s->open_run > 0);
	return s->open_run;
fail:
	if (!sqlite3_get_autocommit(s->db))
		exec_cached(s, ST_ROLLBACK);
	return -1;
}

int store_run_commit(struct store *s, int64_t run_id, double sim_end_s, double wall_s)
{
	if (check_run(s, run_id, "the run's end") != 0)
		return -1;
	sqlite3_stmt *st = stmt_get(s, ST_RUN_FINISH);
	if (!st)
		return row_failed(s, run_id, 0, "the run's end");
	int brc = sqlite3_bind_int64(st, 1, run_id) | bind_real(st, 2, sim_end_s) |
	          bind_real(st, 3, wall_s);
	int rc = insert_row(st, brc);
	if (rc != 0)
		return row_failed(s, run_id, rc, "the run's end (sim_end_s %g, wall_s %g)", sim_end_s,
		                  wall_s);
	if (sqlite3_changes(s->db) != 1)
		return row_failed(s, run_id, 0, "the run's end: its runs row is missing");
	if (exec_cached(s, ST_COMMIT) != 0)
		return row_failed(s, run_id, SQLITE_ERROR, "the run: commit failed");
	s->open_run = 0;
	return 0;
}

void store_run_abort(struct store *s)
{
	rollback_run(s);
}

/* ---- measurement rows ------------------------------------------------------------------- */

int store_transfer(struct store *s, int64_t run_id, int64_t transfer_id, const char *src,
                   const char *dst, double bytes, double start_s, double first_byte_s,
                   double finish_s)
{
	if (check_run(s, run_id, "a transfer") != 0)
		return -1;
	sqlite3_stmt *st = stmt_get(s, ST_TRANSFER);
	if (!st)
		return row_failed(s, run_id, 0, "transfer %" PRId64, transfer_id);
	int brc = sqlite3_bind_int64(st, 1, run_id) | sqlite3_bind_int64(st, 2, transfer_id) |
	          bind_text(st, 3, src) | bind_text(st, 4, dst) | bind_real(st, 5, bytes) |
	          bind_real(st, 6, start_s) | bind_real(st, 7, first_byte_s) |
	          bind_real(st, 8, finish_s);
	int rc = insert_row(st, brc);
	if (rc != 0)
		return row_failed(s, run_id, rc,
		                  "transfer %" PRId64 " %s->%s (%g bytes, start %g s, first byte %g s, "
		                  "finish %g s)", transfer_id, src ? src : "(null)",
		                  dst ? dst : "(null)", bytes, start_s, first_byte_s, finish_s);
	return 0;
}

int store_link_bytes(struct store *s, int64_t run_id, const char *src, const char *dst,
                     double t0_s, double t1_s, double bytes)
{
	if (check_run(s, run_id, "link bytes") != 0)
		return -1;
	sqlite3_stmt *st = stmt_get(s, ST_LINK_BYTES);
	if (!st)
		return row_failed(s, run_id, 0, "link bytes");
	int brc = sqlite3_bind_int64(st, 1, run_id) | bind_text(st, 2, src) |
	          bind_text(st, 3, dst) | bind_real(st, 4, t0_s) | bind_real(st, 5, t1_s) |
	          bind_real(st, 6, bytes);
	int rc = insert_row(st, brc);
	if (rc != 0)
		return row_failed(s, run_id, rc, "link bytes %s->%s [%g s, %g s) = %g bytes",
		                  src ? src : "(null)", dst ? dst : "(null)", t0_s, t1_s, bytes);
	return 0;
}

int store_clock(struct store *s, int64_t run_id, const char *region, int64_t clock,
                double sim_time_s, double objective, double metric, double test_metric)
{
	if (check_run(s, run_id, "a clock") != 0)
		return -1;
	sqlite3_stmt *st = stmt_get(s, ST_CLOCK);
	if (!st)
		return row_failed(s, run_id, 0, "a clock");
	int brc = sqlite3_bind_int64(st, 1, run_id) | bind_text(st, 2, region) |
	          sqlite3_bind_int64(st, 3, clock) | bind_real(st, 4, sim_time_s) |
	          bind_real(st, 5, objective) | bind_real(st, 6, metric) |
	          bind_real(st, 7, test_metric);
	int rc = insert_row(st, brc);
	if (rc != 0)
		return row_failed(s, run_id, rc, "clock %" PRId64 " of region %s (time %g s, "
		                  "objective %g, metric %g)", clock, region ? region : "(null)",
		                  sim_time_s, objective, metric);
	return 0;
}

int store_blocked(struct store *s, int64_t run_id, int worker, const char *region,
                  const char *reason, double blocked_s)
{
	if (check_run(s, run_id, "blocked time") != 0)
		return -1;
	sqlite3_stmt *st = stmt_get(s, ST_BLOCKED);
	if (!st)
		return row_failed(s, run_id, 0, "blocked time");
	const char *why = reason;
	int brc = sqlite3_bind_int64(st, 1, run_id) | sqlite3_bind_int(st, 2, worker) |
	          bind_text(st, 3, region) | bind_text(st, 4, why) | bind_real(st, 5, blocked_s);
	int rc = insert_row(st, brc);
	if (rc != 0)
		return row_failed(s, run_id, rc, "blocked time of worker %d (%s, %s): %g s", worker,
		                  region ? region : "(null)", why, blocked_s);
	/* The upsert's WHERE skips the update when the worker changed region. */
	if (sqlite3_changes(s->db) != 1)
		return row_failed(s, run_id, 0, "blocked time of worker %d (%s, %s): the worker was "
		                  "recorded in another region before", worker,
		                  region ? region : "(null)", why);
	return 0;
}

int store_wan_bytes(struct store *s, int64_t run_id, const char *src, const char *dst,
                    const char *kind, double bytes, uint64_t messages)
{
	if (check_run(s, run_id, "WAN bytes") != 0)
		return -1;
	sqlite3_stmt *st = stmt_get(s, ST_WAN_BYTES);
	if (!st)
		return row_failed(s, run_id, 0, "WAN bytes");
	int brc = sqlite3_bind_int64(st, 1, run_id) | bind_text(st, 2, src) |
	          bind_text(st, 3, dst) | bind_text(st, 4, kind) | bind_real(st, 5, bytes) |
	          bind_count(st, 6, messages);
	int rc = insert_row(st, brc);
	if (rc != 0)
		return row_failed(s, run_id, rc, "WAN bytes %s->%s kind %s: %g bytes in %" PRIu64
		                  " messages", src ? src : "(null)", dst ? dst : "(null)",
		                  kind ? kind : "(null)", bytes, messages);
	return 0;
}

int store_filter(struct store *s, int64_t run_id, const char *region, int64_t clock,
                 uint64_t updates_produced, uint64_t updates_sent, double threshold)
{
	if (check_run(s, run_id, "filter counts") != 0)
		return -1;
	sqlite3_stmt *st = stmt_get(s, ST_FILTER);
	if (!st)
		return row_failed(s, run_id, 0, "filter counts");
	int brc = sqlite3_bind_int64(st, 1, run_id) | bind_text(st, 2, region) |
	          sqlite3_bind_int64(st, 3, clock) | bind_count(st, 4, updates_produced) |
	          bind_count(st, 5, updates_sent) | bind_real(st, 6, threshold);
	int rc = insert_row(st, brc);
	if (rc != 0)
		return row_failed(s, run_id, rc, "filter counts of region %s clock %" PRId64 " (%"
		                  PRIu64 " produced, %" PRIu64 " sent)", region ? region : "(null)",
		                  clock, updates_produced, updates_sent);
	return 0;
}

int store_summary(struct store *s, int64_t run_id, const struct store_summary *sum)
{
	if (check_run(s, run_id, "the summary") != 0)
		return -1;
	sqlite3_stmt *st = stmt_get(s, ST_SUMMARY);
	if (!st)
		return row_failed(s, run_id, 0, "the summary");
	int brc = sqlite3_bind_int64(st, 1, run_id) | bind_text(st, 2, sum->sync_model) |
	          bind_text(st, 3, sum->workload) | bind_text(st, 4, sum->metric_name) |
	          bind_real(st, 5, sum->target_objective) | bind_real(st, 6, sum->time_to_target_s) |
	          sqlite3_bind_int64(st, 7, sum->clocks_completed) |
	          bind_real(st, 8, sum->final_objective) | bind_real(st, 9, sum->final_metric) |
	          bind_real(st, 10, sum->wan_bytes) | bind_real(st, 11, sum->lan_bytes) |
	          bind_count(st, 12, sum->updates_produced) | bind_count(st, 13, sum->updates_sent) |
	          bind_real(st, 14, sum->cost_machine_usd) | bind_real(st, 15, sum->cost_transfer_usd) |
	          bind_text(st, 16, sum->test_metric_name) | bind_real(st, 17, sum->final_test_metric);
	int rc = insert_row(st, brc);
	if (rc != 0)
		return row_failed(s, run_id, rc, "the summary (sync model %s, workload %s)",
		                  sum->sync_model ? sum->sync_model : "(null)",
		                  sum->workload ? sum->workload : "(null)");
	return 0;
}
