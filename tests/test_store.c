/*
 * Tests of the results store (results/store.c): values written come back through plain SQLite
 * queries on a second connection; an aborted, failed or killed run leaves no row in any
 * table; WAL mode; the schema version check; bad paths and non-database files; the compiled-in
 * schema is byte for byte results/schema.sql; every column has a unit or is declared
 * dimensionless, and is documented.
 */
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "results/store.h"
#include "testutil.h"

#define TOPO_SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define TRACE_SHA "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

/* The measurement tables: each holds run_id, and a run's rows must vanish with it. */
static const char *const child_tables[] = {
	"transfers", "link_bytes", "clocks", "blocked", "wan_bytes", "filter_updates",
	"significance", "summary",
};
#define NCHILD (sizeof child_tables / sizeof child_tables[0])

/* ---- helpers ---------------------------------------------------------------------------- */

/* A fresh temporary directory with a database path inside. */
struct tmpdb {
	char dir[64];   /* the directory */
	char path[96];  /* dir/results.db (not created) */
};

static void tmpdb_make(struct tmpdb *t)
{
	snprintf(t->dir, sizeof t->dir, "/tmp/gaiasim-store-XXXXXX");
	if (!mkdtemp(t->dir))
		abort();
	snprintf(t->path, sizeof t->path, "%s/results.db", t->dir);
}

static void tmpdb_remove(struct tmpdb *t)
{
	char p[128];
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s%s", t->path, suffix[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

/* A second, independent connection, as another program reading the results would use. */
static sqlite3 *peer_open(const char *path)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		abort();
	return db;
}

/* First column of the first row of sql as int64 (-999999 if no row or an error). */
static int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -999999;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
		return v;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* First column of the first row as double (NAN if no row, NULL or error). */
static double q_real(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	double v = NAN;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
		return v;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* First column of the first row as text into buf ("<null>" / "<none>" when absent). */
static const char *q_text(sqlite3 *db, const char *sql, char *buf, size_t n)
{
	sqlite3_stmt *st;
	snprintf(buf, n, "<none>");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
		return buf;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(buf, n, "%s", t ? (const char *)t : "<null>");
	}
	sqlite3_finalize(st);
	return buf;
}

/* Rows of table belonging to run_id. */
static int64_t count_rows(sqlite3 *db, const char *table, int64_t run_id)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE run_id = %lld", table,
	         (long long)run_id);
	return q_int(db, sql);
}

/* Rows in every table together (runs and measurements). */
static int64_t count_all(sqlite3 *db)
{
	int64_t n = q_int(db, "SELECT count(*) FROM runs");
	for (size_t i = 0; i < NCHILD; i++) {
		char sql[96];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", child_tables[i]);
		n += q_int(db, sql);
	}
	return n;
}

static struct store_run_info net_info(void)
{
	struct store_run_info info = {
		.kind = "net",
		.label = "three transfers",
		.config = "topology = ec2-11\nseed = 7\n",
		.seed = 7,
		.program_version = "gaiasim 0.1.0",
		.topology_name = "ec2-11",
		.topology_sha256 = TOPO_SHA,
		.trace_name = NULL,
		.trace_sha256 = NULL,
	};
	return info;
}

static struct store_summary a_summary(void)
{
	struct store_summary sum = {
		.sync_model = "gaia",
		.workload = "mf",
		.metric_name = "rmse",
		.target_objective = 0.5,
		.time_to_target_s = 120.0,
		.clocks_completed = 40,
		.final_objective = 0.45,
		.final_metric = 0.8,
		.wan_bytes = 1e9,
		.lan_bytes = 4e9,
		.values_pushed = 4000,
		.values_pushed_wan = 1000,
		.has_filter = 1,
		.filter_produced = 1000,
		.filter_sent = 250,
		.sig_updates = 800,
		.sig_below_1pct = 760,
		.cost_machine_usd = 3.25,
		.cost_transfer_usd = 0.5,
		.final_test_metric = NAN, /* no held-out metric (test_metric_name NULL) */
	};
	return sum;
}

/* Write one row into every table for run id (0 on success of all). */
static int write_every_table(struct store *s, int64_t id)
{
	struct store_summary sum = a_summary();
	int rc = 0;
	rc |= store_transfer(s, id, 1, "virginia", "tokyo", 1e6, 0.0, 0.1, 0.2);
	rc |= store_link_bytes(s, id, "virginia", "tokyo", 0.0, 1.0, 1e6);
	rc |= store_clock(s, id, "virginia", 1, 2.0, 0.9, 1.1, NAN);
	rc |= store_blocked(s, id, 0, "virginia", "ssp_bound", 0.3);
	rc |= store_wan_bytes(s, id, "virginia", "tokyo", "update", 5e5, 3);
	rc |= store_filter(s, id, "virginia", 1, 100, 10, NAN);
	rc |= store_significance(s, id, "virginia", 1, 0.01, 90, 100);
	rc |= store_summary(s, id, &sum);
	return rc;
}

/* ---- tests ------------------------------------------------------------------------------ */

/* A run with transfers and link bytes reads back exactly through another connection. */
static void test_roundtrip(void)
{
	struct tmpdb t;
	tmpdb_make(&t);
	struct store *s = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct store_run_info info = net_info();
	info.trace_name = "diurnal";
	info.trace_sha256 = TRACE_SHA;
	info.seed = UINT64_MAX; /* beyond int64: stored as its two's complement, -1 */
	int64_t id = store_run_begin(s, &info);
	CU_ASSERT_FATAL(id > 0);
	/* Three transfers; link a->b carries 1e6 + 3e6 bytes in two intervals, b->b 5e5. */
	CU_ASSERT_EQUAL(store_transfer(s, id, 1, "virginia", "tokyo", 1e6, 0.0, 0.0675, 0.2675), 0);
	CU_ASSERT_EQUAL(store_transfer(s, id, 2, "virginia", "tokyo", 3e6, 0.5, 0.5675, 1.25), 0);
	CU_ASSERT_EQUAL(store_transfer(s, id, 3, "tokyo", "tokyo", 5e5, 1.0, 1.0001, 1.0041), 0);
	CU_ASSERT_EQUAL(store_link_bytes(s, id, "virginia", "tokyo", 0.0, 0.5, 1e6), 0);
	CU_ASSERT_EQUAL(store_link_bytes(s, id, "virginia", "tokyo", 0.5, 1.25, 3e6), 0);
	CU_ASSERT_EQUAL(store_link_bytes(s, id, "tokyo", "tokyo", 1.0, 1.0041, 5e5), 0);
	CU_ASSERT_EQUAL(store_run_commit(s, id, 1.25, 0.031), 0);

	sqlite3 *db = peer_open(t.path);
	char buf[256], sql[256];
	CU_ASSERT_EQUAL(q_int(db, "SELECT count(*) FROM runs"), 1);
	CU_ASSERT_EQUAL(q_int(db, "SELECT run_id FROM runs"), id);
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT kind FROM runs", buf, sizeof buf), "net");
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT label FROM runs", buf, sizeof buf),
	                       "three transfers");
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT status FROM runs", buf, sizeof buf), "complete");
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT program_version FROM runs", buf, sizeof buf),
	                       "gaiasim 0.1.0");
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT config_text FROM runs", buf, sizeof buf),
	                       "topology = ec2-11\nseed = 7\n");
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT topology_name FROM runs", buf, sizeof buf),
	                       "ec2-11");
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT topology_sha256 FROM runs", buf, sizeof buf),
	                       TOPO_SHA);
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT trace_name FROM runs", buf, sizeof buf),
	                       "diurnal");
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT trace_sha256 FROM runs", buf, sizeof buf),
	                       TRACE_SHA);
	CU_ASSERT_EQUAL(q_int(db, "SELECT seed FROM runs"), -1);
	CU_ASSERT_EQUAL((uint64_t)q_int(db, "SELECT seed FROM runs"), UINT64_MAX);
	CU_ASSERT_EQUAL(q_real(db, "SELECT sim_end_s FROM runs"), 1.25);
	CU_ASSERT_EQUAL(q_real(db, "SELECT wall_s FROM runs"), 0.031);
	/* ISO-8601 UTC, within a day of now (the test's own clock, not the store's). */
	q_text(db, "SELECT started_at_utc FROM runs", buf, sizeof buf);
	CU_ASSERT_EQUAL(strlen(buf), 20);
	CU_ASSERT_EQUAL(q_int(db, "SELECT started_at_utc GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-"
	                          "[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z' FROM runs"), 1);
	snprintf(sql, sizeof sql,
	         "SELECT abs(strftime('%%s', started_at_utc) - %lld) < 86400 FROM runs",
	         (long long)time(NULL));
	CU_ASSERT_EQUAL(q_int(db, sql), 1);

	CU_ASSERT_EQUAL(count_rows(db, "transfers", id), 3);
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT src_region || '>' || dst_region FROM transfers "
	                                  "WHERE transfer_id = 2", buf, sizeof buf),
	                       "virginia>tokyo");
	CU_ASSERT_EQUAL(q_real(db, "SELECT size_bytes FROM transfers WHERE transfer_id = 2"), 3e6);
	CU_ASSERT_EQUAL(q_real(db, "SELECT start_s FROM transfers WHERE transfer_id = 2"), 0.5);
	CU_ASSERT_EQUAL(q_real(db, "SELECT first_byte_s FROM transfers WHERE transfer_id = 2"),
	                0.5675);
	CU_ASSERT_EQUAL(q_real(db, "SELECT finish_s FROM transfers WHERE transfer_id = 2"), 1.25);
	CU_ASSERT_EQUAL(q_real(db, "SELECT sum(size_bytes) FROM transfers"), 4.5e6);
	CU_ASSERT_EQUAL(count_rows(db, "link_bytes", id), 3);
	CU_ASSERT_EQUAL(q_real(db, "SELECT sum(carried_bytes) FROM link_bytes WHERE "
	                           "src_region = 'virginia' AND dst_region = 'tokyo'"), 4e6);
	CU_ASSERT_EQUAL(q_real(db, "SELECT carried_bytes FROM link_bytes WHERE "
	                           "src_region = 'tokyo' AND dst_region = 'tokyo'"), 5e5);
	CU_ASSERT_EQUAL(q_real(db, "SELECT t1_s FROM link_bytes WHERE t0_s = 0.5"), 1.25);
	sqlite3_close(db);
	store_close(s);
	tmpdb_remove(&t);
}

/* The sync-model tables: accumulation, reason names, derived summary columns. */
static void test_sync_tables(void)
{
	struct tmpdb t;
	tmpdb_make(&t);
	struct store *s = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct store_run_info info = net_info();
	info.kind = "run";
	info.label = "gaia";
	int64_t id = store_run_begin(s, &info);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(store_clock(s, id, "virginia", 0, 0.0, 2.0, 1.5, NAN), 0);
	CU_ASSERT_EQUAL(store_clock(s, id, "virginia", 1, 3.5, 1.25, 1.1, NAN), 0);
	CU_ASSERT_EQUAL(store_clock(s, id, "tokyo", 1, 3.75, 1.5, 1.2, 0.875), 0);
	/* Two SSP episodes of worker 3 (1.5 + 2.25 s) and one mirror-clock wait. */
	CU_ASSERT_EQUAL(store_blocked(s, id, 3, "tokyo", "ssp_bound", 1.5), 0);
	CU_ASSERT_EQUAL(store_blocked(s, id, 3, "tokyo", "ssp_bound", 2.25), 0);
	CU_ASSERT_EQUAL(store_blocked(s, id, 3, "tokyo", "mirror_clock", 0.5), 0);
	/* WAN: 2 + 3 update messages virginia->tokyo, 1 clock message back. */
	CU_ASSERT_EQUAL(store_wan_bytes(s, id, "virginia", "tokyo", "update", 2000, 2), 0);
	CU_ASSERT_EQUAL(store_wan_bytes(s, id, "virginia", "tokyo", "update", 3500, 3), 0);
	CU_ASSERT_EQUAL(store_wan_bytes(s, id, "tokyo", "virginia", "clock", 64, 1), 0);
	/* Filter counts reported by two workers of virginia in clock 1. */
	CU_ASSERT_EQUAL(store_filter(s, id, "virginia", 1, 600, 40, 0.01), 0);
	CU_ASSERT_EQUAL(store_filter(s, id, "virginia", 1, 400, 60, 0.02), 0);
	/* two shards' significance counts of one (region, clock, level) add up */
	CU_ASSERT_EQUAL(store_significance(s, id, "virginia", 1, 0.01, 30, 50), 0);
	CU_ASSERT_EQUAL(store_significance(s, id, "virginia", 1, 0.01, 45, 50), 0);
	CU_ASSERT_EQUAL(store_significance(s, id, "virginia", 1, 0.1, 50, 50), 0);
	struct store_summary sum = a_summary();
	sum.test_metric_name = "test_rmse";
	sum.final_test_metric = 0.5;
	CU_ASSERT_EQUAL(store_summary(s, id, &sum), 0);
	CU_ASSERT_EQUAL(id, 1); /* AUTOINCREMENT starts at 1 in a fresh database */
	CU_ASSERT_EQUAL(store_run_commit(s, id, 300.0, 2.0), 0);

	/* A second run that never reached its target, and had no updates at all. */
	int64_t id2 = store_run_begin(s, &info);
	CU_ASSERT_FATAL(id2 > id);
	sum.time_to_target_s = NAN;
	sum.test_metric_name = NULL;
	sum.final_test_metric = NAN;
	sum.values_pushed = 0;
	sum.values_pushed_wan = 0;
	sum.has_filter = 0; /* a model without Gaia's filter: its counts are NULL */
	sum.sig_updates = 0;
	sum.sig_below_1pct = 0;
	CU_ASSERT_EQUAL(store_summary(s, id2, &sum), 0);
	CU_ASSERT_EQUAL(store_run_commit(s, id2, 600.0, 2.0), 0);

	sqlite3 *db = peer_open(t.path);
	char buf[128];
	CU_ASSERT_EQUAL(count_rows(db, "clocks", id), 3);
	CU_ASSERT_EQUAL(q_real(db, "SELECT objective FROM clocks WHERE region = 'virginia' AND "
	                           "clock = 1"), 1.25);
	CU_ASSERT_EQUAL(q_real(db, "SELECT sim_time_s FROM clocks WHERE region = 'tokyo'"), 3.75);
	CU_ASSERT_EQUAL(q_real(db, "SELECT metric FROM clocks WHERE clock = 0"), 1.5);
	CU_ASSERT_EQUAL(count_rows(db, "blocked", id), 2);
	CU_ASSERT_EQUAL(q_real(db, "SELECT blocked_s FROM blocked WHERE reason = 'ssp_bound'"),
	                3.75);
	CU_ASSERT_EQUAL(q_int(db, "SELECT episodes FROM blocked WHERE reason = 'ssp_bound'"), 2);
	CU_ASSERT_EQUAL(q_real(db, "SELECT blocked_s FROM blocked WHERE reason = 'mirror_clock'"),
	                0.5);
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT region FROM blocked WHERE worker = 3", buf,
	                              sizeof buf), "tokyo");
	CU_ASSERT_EQUAL(count_rows(db, "wan_bytes", id), 2);
	CU_ASSERT_EQUAL(q_real(db, "SELECT sent_bytes FROM wan_bytes WHERE kind = 'update'"), 5500);
	CU_ASSERT_EQUAL(q_int(db, "SELECT messages FROM wan_bytes WHERE kind = 'update'"), 5);
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT src_region FROM wan_bytes WHERE kind = 'clock'",
	                              buf, sizeof buf), "tokyo");
	CU_ASSERT_EQUAL(q_int(db, "SELECT updates_produced FROM filter_updates"), 1000);
	CU_ASSERT_EQUAL(q_int(db, "SELECT updates_sent FROM filter_updates"), 100);
	/* The held-out metric: NULL where not given; the first threshold of a (region, clock). */
	CU_ASSERT_EQUAL(q_real(db, "SELECT test_metric FROM clocks WHERE region = 'tokyo'"), 0.875);
	CU_ASSERT_EQUAL(q_int(db, "SELECT count(*) FROM clocks WHERE test_metric IS NULL"), 2);
	CU_ASSERT_EQUAL(q_real(db, "SELECT threshold FROM filter_updates"), 0.01);
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT test_metric_name FROM summary WHERE run_id = 1",
	                              buf, sizeof buf), "test_rmse");
	CU_ASSERT_EQUAL(q_real(db, "SELECT final_test_metric FROM summary WHERE run_id = 1"), 0.5);
	CU_ASSERT_EQUAL(q_int(db, "SELECT test_metric_name IS NULL AND final_test_metric IS NULL "
	                          "FROM summary WHERE run_id = 2"), 1);
	/* Summary: derived columns from the inputs (250 / 1000; 3.25 + 0.5). */
	CU_ASSERT_EQUAL(q_int(db, "SELECT reached_target FROM summary WHERE run_id = 1"), 1);
	CU_ASSERT_EQUAL(q_real(db, "SELECT share_filter_sent FROM summary WHERE run_id = 1"), 0.25);
	CU_ASSERT_EQUAL(q_real(db, "SELECT share_pushed_wan FROM summary WHERE run_id = 1"), 0.25);
	CU_ASSERT_EQUAL(q_real(db, "SELECT share_below_1pct FROM summary WHERE run_id = 1"), 0.95);
	CU_ASSERT_EQUAL(q_int(db, "SELECT updates_below FROM significance WHERE level = 0.01"), 75);
	CU_ASSERT_EQUAL(q_int(db, "SELECT updates FROM significance WHERE level = 0.01"), 100);
	CU_ASSERT_EQUAL(q_real(db, "SELECT share_below FROM plot_significance WHERE level = 0.01"),
	                0.75);
	CU_ASSERT_EQUAL(q_real(db, "SELECT cost_total_usd FROM summary WHERE run_id = 1"), 3.75);
	CU_ASSERT_EQUAL(q_real(db, "SELECT time_to_target_s FROM summary WHERE run_id = 1"), 120.0);
	CU_ASSERT_EQUAL(q_int(db, "SELECT clocks_completed FROM summary WHERE run_id = 1"), 40);
	CU_ASSERT_STRING_EQUAL(q_text(db, "SELECT sync_model || '/' || workload || '/' || "
	                                  "metric_name FROM summary WHERE run_id = 1",
	                              buf, sizeof buf), "gaia/mf/rmse");
	CU_ASSERT_EQUAL(q_int(db, "SELECT reached_target FROM summary WHERE run_id = 2"), 0);
	CU_ASSERT_EQUAL(q_int(db, "SELECT time_to_target_s IS NULL AND share_filter_sent IS NULL "
	                          "AND share_pushed_wan IS NULL AND share_below_1pct IS NULL "
	                          "AND filter_produced IS NULL AND filter_sent IS NULL "
	                          "FROM summary WHERE run_id = 2"), 1);
	sqlite3_close(db);
	store_close(s);
	tmpdb_remove(&t);
}

/* store_run_abort leaves zero rows for the run in every table; the store stays usable. */
static void test_abort(void)
{
	struct tmpdb t;
	tmpdb_make(&t);
	struct store *s = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct store_run_info info = net_info();
	int64_t id = store_run_begin(s, &info);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(write_every_table(s, id), 0);
	/* Inside the transaction the rows exist (one in each table)... */
	sqlite3 *self = store_db(s);
	for (size_t i = 0; i < NCHILD; i++)
		CU_ASSERT_EQUAL(count_rows(self, child_tables[i], id), 1);
	/* ...but another connection sees none of them before the commit. */
	sqlite3 *db = peer_open(t.path);
	CU_ASSERT_EQUAL(count_all(db), 0);
	store_run_abort(s);
	CU_ASSERT_EQUAL(count_rows(db, "runs", id), 0);
	for (size_t i = 0; i < NCHILD; i++)
		CU_ASSERT_EQUAL(count_rows(db, child_tables[i], id), 0);
	CU_ASSERT_EQUAL(count_all(db), 0);
	/* The aborted run cannot be written to or committed any more. */
	char msg[512];
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(store_run_commit(s, id, 1.0, 1.0), -1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "no run is open"));
	/* A new run after the abort commits normally. */
	int64_t id2 = store_run_begin(s, &info);
	CU_ASSERT_FATAL(id2 > 0);
	CU_ASSERT_EQUAL(write_every_table(s, id2), 0);
	CU_ASSERT_EQUAL(store_run_commit(s, id2, 1.0, 1.0), 0);
	CU_ASSERT_EQUAL(count_all(db), 1 + (int64_t)NCHILD);
	sqlite3_close(db);
	store_close(s);
	tmpdb_remove(&t);
}

/* A writer error rolls the whole run back; closing with a run open does too. */
static void test_error_rolls_back(void)
{
	struct tmpdb t;
	tmpdb_make(&t);
	struct store *s = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct store_run_info info = net_info();
	char msg[512];

	int64_t id = store_run_begin(s, &info);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(store_transfer(s, id, 1, "virginia", "tokyo", 1e6, 0.0, 0.1, 0.2), 0);
	diag_capture(msg, sizeof msg);
	/* finish before first byte violates the schema's CHECK. */
	CU_ASSERT_EQUAL(store_transfer(s, id, 2, "virginia", "tokyo", 1e6, 0.0, 0.5, 0.25), -1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, t.path));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "transfer 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "CHECK constraint failed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "rolled back"));
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(store_run_commit(s, id, 1.0, 1.0), -1);
	diag_capture(NULL, 0);

	/* Duplicate transfer id, NaN time, negative bytes, and a stray run id all fail whole. */
	struct {
		int which;
	} cases[] = { { 0 }, { 1 }, { 2 }, { 3 }, { 4 } };
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		int64_t r = store_run_begin(s, &info);
		CU_ASSERT_FATAL(r > 0);
		CU_ASSERT_EQUAL(store_transfer(s, r, 1, "a", "b", 1, 0, 0, 0), 0);
		diag_capture(msg, sizeof msg);
		int rc = 0;
		switch (cases[c].which) {
		case 0:
			rc = store_transfer(s, r, 1, "a", "b", 1, 0, 0, 0);
			break;
		case 1:
			rc = store_clock(s, r, "a", 0, NAN, 1, 1, NAN);
			break;
		case 2:
			rc = store_link_bytes(s, r, "a", "b", 0, 1, -5);
			break;
		case 3:
			rc = store_wan_bytes(s, r + 1, "a", "b", "update", 1, 1);
			break;
		case 4:
			rc = store_wan_bytes(s, r, "a", "a", "update", 1, 1); /* not WAN */
			break;
		}
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, "rolled back"));
		CU_ASSERT_EQUAL(store_run_commit(s, r, 1.0, 1.0), -1);
		diag_capture(NULL, 0);
	}
	/* store_close with a run open discards it. */
	int64_t r = store_run_begin(s, &info);
	CU_ASSERT_FATAL(r > 0);
	CU_ASSERT_EQUAL(write_every_table(s, r), 0);
	store_close(s);

	sqlite3 *db = peer_open(t.path);
	CU_ASSERT_EQUAL(count_all(db), 0);
	sqlite3_close(db);
	tmpdb_remove(&t);
}

/* A second begin while a run is open fails and leaves the open run intact. */
static void test_nested_begin(void)
{
	struct tmpdb t;
	tmpdb_make(&t);
	struct store *s = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct store_run_info info = net_info();
	int64_t id = store_run_begin(s, &info);
	CU_ASSERT_FATAL(id > 0);
	char msg[512];
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(store_run_begin(s, &info), -1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "still open"));
	CU_ASSERT_EQUAL(store_transfer(s, id, 1, "a", "b", 1, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(store_run_commit(s, id, 1.0, 1.0), 0);
	/* Missing required fields are refused before anything is written. */
	info.topology_sha256 = NULL;
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(store_run_begin(s, &info), -1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "topology_sha256"));
	/* A malformed digest is refused by the schema. */
	info.topology_sha256 = "ABC";
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(store_run_begin(s, &info), -1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "CHECK constraint failed"));
	/* A trace name without its digest is refused too. */
	info.topology_sha256 = TOPO_SHA;
	info.trace_name = "diurnal";
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(store_run_begin(s, &info), -1);
	diag_capture(NULL, 0);
	info.trace_name = NULL;
	/* And the store is still usable. */
	int64_t id2 = store_run_begin(s, &info);
	CU_ASSERT(id2 > id);
	CU_ASSERT_EQUAL(store_run_commit(s, id2, 1.0, 1.0), 0);
	sqlite3 *db = peer_open(t.path);
	CU_ASSERT_EQUAL(q_int(db, "SELECT count(*) FROM runs"), 2);
	CU_ASSERT_EQUAL(q_int(db, "SELECT count(*) FROM transfers"), 1);
	sqlite3_close(db);
	store_close(s);
	tmpdb_remove(&t);
}

/* Child: begin a run, write many rows, then die as told (never committing). */
static void child_run_and_die(const char *path, int notify_fd, int die_by_exit)
{
	struct store *s = store_open(path);
	if (!s)
		_exit(3);
	struct store_run_info info = net_info();
	int64_t id = store_run_begin(s, &info);
	if (id <= 0)
		_exit(4);
	for (int i = 10; i < 2010; i++) /* ids and times after write_every_table's */
		if (store_transfer(s, id, i, "virginia", "tokyo", 1e6, i, i + 0.1, i + 0.5) != 0 ||
		    store_link_bytes(s, id, "virginia", "tokyo", i, i + 1, 1e6) != 0)
			_exit(5);
	if (write_every_table(s, id) != 0)
		_exit(6);
	if (die_by_exit)
		_exit(0);
	char c = 'r';
	if (write(notify_fd, &c, 1) != 1)
		_exit(7);
	for (;;)
		pause();
}

/* Fork a child that writes a run and dies before committing; returns its wait status. */
static int crash_child(const char *path, int die_by_exit)
{
	int fds[2];
	if (pipe(fds) != 0)
		abort();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		close(fds[0]);
		child_run_and_die(path, fds[1], die_by_exit);
	}
	close(fds[1]);
	if (!die_by_exit) {
		char c;
		if (read(fds[0], &c, 1) == 1) /* else the child failed: its status says how */
			kill(pid, SIGKILL);
	}
	close(fds[0]);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		abort();
	return status;
}

/* A process that exits or is killed mid-run leaves no run behind; the file stays usable. */
static void test_crash(void)
{
	struct tmpdb t;
	tmpdb_make(&t);
	/* One committed run first, which must survive the crashes. */
	struct store *s = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct store_run_info info = net_info();
	int64_t id = store_run_begin(s, &info);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(write_every_table(s, id), 0);
	CU_ASSERT_EQUAL(store_run_commit(s, id, 1.0, 1.0), 0);
	store_close(s);

	int status = crash_child(t.path, 1);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	status = crash_child(t.path, 0);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	s = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	sqlite3 *db = peer_open(t.path);
	CU_ASSERT_EQUAL(q_int(db, "SELECT count(*) FROM runs"), 1);
	CU_ASSERT_EQUAL(q_int(db, "SELECT run_id FROM runs"), id);
	CU_ASSERT_EQUAL(count_all(db), 1 + (int64_t)NCHILD);
	CU_ASSERT_STRING_EQUAL(q_text(db, "PRAGMA integrity_check", (char[64]){ 0 }, 64), "ok");
	/* The lock died with the child: a new run commits. */
	int64_t id2 = store_run_begin(s, &info);
	CU_ASSERT(id2 > id);
	CU_ASSERT_EQUAL(store_run_commit(s, id2, 1.0, 1.0), 0);
	CU_ASSERT_EQUAL(q_int(db, "SELECT count(*) FROM runs"), 2);
	sqlite3_close(db);
	store_close(s);
	tmpdb_remove(&t);
}

/* Run ids are distinct, increase, are never reused after a delete; deletes cascade. */
static void test_distinct_ids(void)
{
	struct tmpdb t;
	tmpdb_make(&t);
	struct store *s = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct store_run_info info = net_info();
	int64_t a = store_run_begin(s, &info);
	CU_ASSERT_FATAL(a > 0);
	CU_ASSERT_EQUAL(write_every_table(s, a), 0);
	CU_ASSERT_EQUAL(store_run_commit(s, a, 1.0, 1.0), 0);
	int64_t b = store_run_begin(s, &info);
	CU_ASSERT_FATAL(b > 0);
	CU_ASSERT_EQUAL(write_every_table(s, b), 0);
	CU_ASSERT_EQUAL(store_run_commit(s, b, 1.0, 1.0), 0);
	CU_ASSERT(b > a);
	store_close(s);

	/* Deleting run b (as a user would, foreign keys on) removes its rows, not a's. */
	sqlite3 *db = peer_open(t.path);
	CU_ASSERT_EQUAL(sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
	char sql[96];
	snprintf(sql, sizeof sql, "DELETE FROM runs WHERE run_id = %lld", (long long)b);
	CU_ASSERT_EQUAL(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	for (size_t i = 0; i < NCHILD; i++) {
		CU_ASSERT_EQUAL(count_rows(db, child_tables[i], b), 0);
		CU_ASSERT_EQUAL(count_rows(db, child_tables[i], a), 1);
	}
	/* A measurement row for a run that does not exist is refused (foreign key). */
	CU_ASSERT_NOT_EQUAL(sqlite3_exec(db, "INSERT INTO clocks VALUES (999, 'x', 0, 0, 0, 0)",
	                                 NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	s = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	int64_t c = store_run_begin(s, &info);
	CU_ASSERT(c > b);
	CU_ASSERT_EQUAL(store_run_commit(s, c, 1.0, 1.0), 0);
	store_close(s);
	tmpdb_remove(&t);
}

/* The database is in WAL mode, persistently, and foreign keys are on for the store. */
static void test_wal(void)
{
	struct tmpdb t;
	tmpdb_make(&t);
	struct store *s = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	char buf[32];
	CU_ASSERT_STRING_EQUAL(q_text(store_db(s), "PRAGMA journal_mode", buf, sizeof buf), "wal");
	CU_ASSERT_EQUAL(q_int(store_db(s), "PRAGMA foreign_keys"), 1);
	sqlite3 *db = peer_open(t.path);
	CU_ASSERT_STRING_EQUAL(q_text(db, "PRAGMA journal_mode", buf, sizeof buf), "wal");
	sqlite3_close(db);
	/* The file header says WAL: bytes 18 and 19 (read/write format versions) are 2. */
	FILE *f = fopen(t.path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	unsigned char hdr[20];
	CU_ASSERT_EQUAL(fread(hdr, 1, sizeof hdr, f), sizeof hdr);
	fclose(f);
	CU_ASSERT_EQUAL(memcmp(hdr, "SQLite format 3", 16), 0);
	CU_ASSERT_EQUAL(hdr[18], 2);
	CU_ASSERT_EQUAL(hdr[19], 2);
	store_close(s);
	tmpdb_remove(&t);
}

/* Paths that cannot be opened give NULL and a message naming the path and SQLite's error. */
static void test_bad_path(void)
{
	char msg[512];
	const char *path = "/nonexistent-gaiasim-dir/sub/results.db";
	diag_capture(msg, sizeof msg);
	struct store *s = store_open(path);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "unable to open database file"));

	/* A directory is not a database file either. */
	struct tmpdb t;
	tmpdb_make(&t);
	diag_capture(msg, sizeof msg);
	s = store_open(t.dir);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, t.dir));
	tmpdb_remove(&t);
}

/* A text file is refused without being modified. */
static void test_not_a_db(void)
{
	static const char garbage[] =
		"this is not a database\nbut a text file that is long enough to cover the\n"
		"100-byte SQLite header, so SQLite reads it and rejects the magic string\n";
	char *path = testutil_tmpfile(garbage);
	char msg[512];
	diag_capture(msg, sizeof msg);
	struct store *s = store_open(path);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "not a database"));
	/* Unchanged, and no WAL file left behind. */
	char buf[sizeof garbage + 16] = { 0 };
	FILE *f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	CU_ASSERT_EQUAL(n, sizeof garbage - 1);
	CU_ASSERT_EQUAL(memcmp(buf, garbage, sizeof garbage - 1), 0);
	char wal[64];
	snprintf(wal, sizeof wal, "%s-wal", path);
	CU_ASSERT_NOT_EQUAL(access(wal, F_OK), 0);
	unlink(path);
	free(path);
}

/* Set user_version (and optionally create a foreign table) in a fresh database. */
static void make_db(const char *path, int user_version, int foreign_table)
{
	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		abort();
	char sql[96];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", user_version);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		abort();
	if (foreign_table && sqlite3_exec(db, "CREATE TABLE notes (x TEXT)", NULL, NULL, NULL))
		abort();
	sqlite3_close(db);
}

/* The schema version is recorded, and other versions or foreign databases are refused. */
static void test_schema_version(void)
{
	int v = store_schema_version();
	CU_ASSERT(v >= 1);
	struct tmpdb t;
	tmpdb_make(&t);
	struct store *s = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(q_int(store_db(s), "PRAGMA user_version"), v);
	struct store_run_info info = net_info();
	int64_t id = store_run_begin(s, &info);
	CU_ASSERT_EQUAL(store_run_commit(s, id, 1.0, 1.0), 0);
	store_close(s);
	/* Reopening keeps the data. */
	s = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(q_int(store_db(s), "SELECT count(*) FROM runs"), 1);
	store_close(s);
	tmpdb_remove(&t);

	char msg[512], want[64];
	/* Newer version. */
	tmpdb_make(&t);
	make_db(t.path, v + 1, 0);
	diag_capture(msg, sizeof msg);
	CU_ASSERT_PTR_NULL(store_open(t.path));
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, t.path));
	snprintf(want, sizeof want, "schema version %d", v + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
	snprintf(want, sizeof want, "writes version %d", v);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "newer"));
	/* The refused database was not touched: still only the version, no tables. */
	sqlite3 *db = peer_open(t.path);
	CU_ASSERT_EQUAL(q_int(db, "PRAGMA user_version"), v + 1);
	CU_ASSERT_EQUAL(q_int(db, "SELECT count(*) FROM sqlite_master"), 0);
	sqlite3_close(db);
	tmpdb_remove(&t);

	/* A different (here: unrelated, large) version. */
	tmpdb_make(&t);
	make_db(t.path, v + 1000, 1);
	diag_capture(msg, sizeof msg);
	CU_ASSERT_PTR_NULL(store_open(t.path));
	diag_capture(NULL, 0);
	snprintf(want, sizeof want, "schema version %d", v + 1000);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
	tmpdb_remove(&t);

	/* Version 0 but already holding tables: somebody else's database. */
	tmpdb_make(&t);
	make_db(t.path, 0, 1);
	diag_capture(msg, sizeof msg);
	CU_ASSERT_PTR_NULL(store_open(t.path));
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "not a gaiasim results database"));
	tmpdb_remove(&t);
}

/* Opening the store again while another store holds a run open neither waits nor fails. */
static void test_open_while_run_open(void)
{
	struct tmpdb t;
	tmpdb_make(&t);
	struct store *a = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	struct store_run_info info = net_info();
	int64_t id = store_run_begin(a, &info);
	CU_ASSERT_FATAL(id > 0);
	time_t t0 = time(NULL);
	struct store *b = store_open(t.path);
	CU_ASSERT_PTR_NOT_NULL(b);
	CU_ASSERT(time(NULL) - t0 < 2);
	CU_ASSERT_EQUAL(q_int(store_db(b), "SELECT count(*) FROM runs"), 0);
	store_close(b);
	CU_ASSERT_EQUAL(store_run_commit(a, id, 1.0, 1.0), 0);
	store_close(a);
	tmpdb_remove(&t);
}

/* The compiled-in schema is byte for byte results/schema.sql (the generator's escaping). */
static void test_schema_embedded(void)
{
	const char *path = testutil_data("../../results/schema.sql");
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot read %s; skipping the comparison\n", path);
		return;
	}
	size_t cap = 1 << 20;
	char *text = malloc(cap);
	size_t n = fread(text, 1, cap - 1, f);
	fclose(f);
	text[n] = '\0';
	CU_ASSERT(n > 0);
	CU_ASSERT_STRING_EQUAL(store_schema_sql(), text);
	/* And the version the store checks is the one the file sets. */
	char want[64];
	snprintf(want, sizeof want, "\nPRAGMA user_version = %d;\n", store_schema_version());
	CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
	free(text);
}

/* Does name end with one of the unit suffixes? */
static int has_unit(const char *name)
{
	static const char *const units[] = { "_s", "_bytes", "_bps", "_usd", "_sha256", "_utc" };
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		size_t u = strlen(units[i]);
		if (n > u && !strcmp(name + n - u, units[i]))
			return 1;
	}
	return 0;
}

/* Is this REAL column one that the schema documents as dimensionless? */
static int dimensionless(const char *name)
{
	static const char *const ok[] = { "objective", "metric", "target_objective",
		                           "final_objective", "final_metric", "share_pushed_wan",
		                           "share_filter_sent", "share_below_1pct", "level",
		                           "test_metric", "final_test_metric", "threshold" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (!strcmp(name, ok[i]))
			return 1;
	return 0;
}

/*
 * Is column `col` of `table` documented in the schema text: its defining line inside the
 * table's CREATE TABLE carries a "-- " comment, or the comment lines just above it begin
 * with "-- col:"?
 */
static int documented(const char *schema, const char *table, const char *col)
{
	char key[128], lead[160];
	snprintf(key, sizeof key, "CREATE TABLE IF NOT EXISTS %s (", table);
	snprintf(lead, sizeof lead, "-- %s:", col);
	const char *p = strstr(schema, key);
	if (!p)
		return 0;
	const char *end = strstr(p, "\n);");
	int lead_above = 0; /* the comment block just above begins with lead */
	int in_block = 0;   /* the previous line was a comment line */
	for (const char *line = strchr(p, '\n') + 1; line && line < end;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512];
		snprintf(buf, sizeof buf, "%.*s", (int)(len < 511 ? len : 511), line);
		const char *w = buf + strspn(buf, "\t ");
		size_t cl = strlen(col);
		if (!strncmp(w, "--", 2)) {
			if (!in_block)
				lead_above = !strncmp(w, lead, strlen(lead));
			in_block = 1;
		} else {
			if (!strncmp(w, col, cl) && w[cl] == ' ')
				return strstr(buf, "-- ") != NULL || (in_block && lead_above);
			in_block = 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* Every REAL column names its unit or is listed dimensionless; every column is documented. */
static void test_units_and_docs(void)
{
	sqlite3 *db = NULL;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(":memory:", &db), SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_exec(db, store_schema_sql(), NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	CU_ASSERT_EQUAL_FATAL(
		sqlite3_prepare_v2(db, "SELECT m.name, c.name, c.type FROM sqlite_master m, "
		                       "pragma_table_xinfo(m.name) c WHERE m.type = 'table' AND "
		                       "m.name NOT LIKE 'sqlite_%'", -1, &st, NULL), SQLITE_OK);
	int columns = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(st, 0);
		const char *col = (const char *)sqlite3_column_text(st, 1);
		const char *type = (const char *)sqlite3_column_text(st, 2);
		columns++;
		if (!strcmp(type, "REAL") && !has_unit(col) && !dimensionless(col)) {
			fprintf(stderr, "%s.%s: REAL column without a unit suffix\n", table, col);
			CU_FAIL("REAL column without a unit");
		}
		if (!documented(store_schema_sql(), table, col)) {
			fprintf(stderr, "%s.%s: not documented in schema.sql\n", table, col);
			CU_FAIL("undocumented column");
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	CU_ASSERT(columns >= 60);
}

/* Wait reasons are names the sync models define: a new one is stored as it is, an empty one
 * is refused (and, like any failed writer, rolls the run back). */
static void test_reason_names(void)
{
	struct store *s = store_open(":memory:");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct store_run_info info = net_info();
	int64_t id = store_run_begin(s, &info);
	CU_ASSERT_EQUAL(store_blocked(s, id, 0, "virginia", "a_new_models_wait", 0.25), 0);
	CU_ASSERT_EQUAL(q_int(store_db(s), "SELECT count(*) FROM blocked WHERE reason = "
	                                   "'a_new_models_wait' AND blocked_s = 0.25"), 1);
	char msg[512];
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(store_blocked(s, id, 1, "virginia", "", 0.5), -1);
	diag_capture(NULL, 0);
	CU_ASSERT_EQUAL(q_int(store_db(s), "SELECT count(*) FROM runs"), 0);
	store_close(s);
}

/* An in-memory store works (no WAL possible there) for tools that want a scratch store. */
static void test_memory(void)
{
	struct store *s = store_open(":memory:");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct store_run_info info = net_info();
	int64_t id = store_run_begin(s, &info);
	CU_ASSERT_EQUAL(write_every_table(s, id), 0);
	CU_ASSERT_EQUAL(store_run_commit(s, id, 1.0, 1.0), 0);
	CU_ASSERT_EQUAL(q_int(store_db(s), "SELECT count(*) FROM summary"), 1);
	store_close(s);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "roundtrip", test_roundtrip },
		{ "sync_tables", test_sync_tables },
		{ "abort", test_abort },
		{ "error_rolls_back", test_error_rolls_back },
		{ "nested_begin", test_nested_begin },
		{ "crash", test_crash },
		{ "distinct_ids", test_distinct_ids },
		{ "wal", test_wal },
		{ "bad_path", test_bad_path },
		{ "not_a_db", test_not_a_db },
		{ "schema_version", test_schema_version },
		{ "open_while_run_open", test_open_while_run_open },
		{ "schema_embedded", test_schema_embedded },
		{ "units_and_docs", test_units_and_docs },
		{ "memory", test_memory },
		{ "reason_names", test_reason_names },
		{ NULL, NULL },
	};
	testutil_suite("store", cases);
	return testutil_run();
}
