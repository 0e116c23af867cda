/*
 * gaiasim summary DB [--format table|csv|md]: the paper-style table of a results database.
 * One row per setting (workload, topology, trace, target objective) with the time to target
 * of the baseline (bsp), Gaia and LAN, Gaia's speedup over the baseline and its ratio to LAN,
 * the held-out metric each run reached and the WAN bytes. Every number comes from the view
 * summary_table of results/schema.sql (created here as a TEMP view from the compiled schema,
 * so a database written before the view existed reads the same); this file only formats.
 * Cells: '-' no run of that model for the setting; 'n/r' the run (one of the two runs of a
 * ratio) did not reach the target, or had none; 'n/a' the workload has no held-out metric, or
 * a ratio divides by a time of 0.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "lib/diag.h"
#include "lib/xmalloc.h"
#include "results/store.h"

static const char SUMMARY_USAGE[] = "gaiasim summary DB [--format table|csv|md]";

enum sum_format { SUM_TABLE, SUM_CSV, SUM_MD };

/* Columns of summary_table in the order the query below selects them. */
enum {
	C_WORKLOAD, C_TOPO, C_TRACE, C_TARGET, C_TMNAME, C_BSP_RUN, C_GAIA_RUN, C_LAN_RUN,
	C_BSP_T, C_GAIA_T, C_LAN_T, C_SPEEDUP, C_RATIO, C_BSP_Q, C_GAIA_Q, C_LAN_Q,
	C_BSP_WAN, C_GAIA_WAN, C_LAN_WAN, C_NCOLS
};

static const char SUMMARY_SQL[] =
	"SELECT workload, topology_name, trace_name, target_objective, test_metric_name, "
	"bsp_run_id, gaia_run_id, lan_run_id, bsp_time_s, gaia_time_s, lan_time_s, "
	"gaia_speedup, gaia_lan_ratio, bsp_test_metric, gaia_test_metric, lan_test_metric, "
	"bsp_wan_bytes, gaia_wan_bytes, lan_wan_bytes FROM summary_table "
	"ORDER BY workload, topology_name, coalesce(trace_name, ''), coalesce(target_objective, 0)";

/* One output column: its header (a "%s" is replaced by the held-out metric's name), the
 * value column, the run columns that must exist for a value (-1: none), what a NULL value
 * of present runs prints, and the printf format of table/md. */
struct sum_col {
	const char *header;   /* header text; "%s" = test_metric_name */
	int col;              /* value column (C_*) */
	int run_a, run_b;     /* run-id columns the value needs, -1 if none */
	int time_a, time_b;   /* ratios: the time columns divided (-1 if none) */
	const char *if_null;  /* text of a NULL value when the runs exist (a ratio of two
	                       * times that are there: 'n/a', a division by zero) */
	const char *fmt;      /* table/md number format */
};

static const struct sum_col COLS[] = {
	{ "bsp_time_to_target_s", C_BSP_T, C_BSP_RUN, -1, -1, -1, "n/r", "%.4g" },
	{ "gaia_time_to_target_s", C_GAIA_T, C_GAIA_RUN, -1, -1, -1, "n/r", "%.4g" },
	{ "lan_time_to_target_s", C_LAN_T, C_LAN_RUN, -1, -1, -1, "n/r", "%.4g" },
	{ "gaia_speedup_vs_bsp", C_SPEEDUP, C_BSP_RUN, C_GAIA_RUN, C_BSP_T, C_GAIA_T, "n/a", "%.2f" },
	{ "gaia_ratio_to_lan", C_RATIO, C_GAIA_RUN, C_LAN_RUN, C_GAIA_T, C_LAN_T, "n/a", "%.2f" },
	{ "bsp_%s", C_BSP_Q, C_BSP_RUN, -1, -1, -1, "n/a", "%.4g" },
	{ "gaia_%s", C_GAIA_Q, C_GAIA_RUN, -1, -1, -1, "n/a", "%.4g" },
	{ "lan_%s", C_LAN_Q, C_LAN_RUN, -1, -1, -1, "n/a", "%.4g" },
	{ "bsp_wan_bytes", C_BSP_WAN, C_BSP_RUN, -1, -1, -1, "n/a", "%.4g" },
	{ "gaia_wan_bytes", C_GAIA_WAN, C_GAIA_RUN, -1, -1, -1, "n/a", "%.4g" },
	{ "lan_wan_bytes", C_LAN_WAN, C_LAN_RUN, -1, -1, -1, "n/a", "%.4g" },
};
#define NCOLS_OUT (sizeof COLS / sizeof COLS[0])
#define SUM_KEYS 4 /* leading key columns: workload, topology, trace, target */

/* The text of one cell of row st for output column c (caller frees). */
static char *cell_text(sqlite3_stmt *st, const struct sum_col *c, int csv)
{
	if ((c->run_a >= 0 && sqlite3_column_type(st, c->run_a) == SQLITE_NULL) ||
	    (c->run_b >= 0 && sqlite3_column_type(st, c->run_b) == SQLITE_NULL))
		return xstrdup("-");
	if ((c->time_a >= 0 && sqlite3_column_type(st, c->time_a) == SQLITE_NULL) ||
	    (c->time_b >= 0 && sqlite3_column_type(st, c->time_b) == SQLITE_NULL))
		return xstrdup("n/r");
	if (sqlite3_column_type(st, c->col) == SQLITE_NULL)
		return xstrdup(c->if_null);
	double v = sqlite3_column_double(st, c->col);
	return xasprintf(csv ? "%.9g" : c->fmt, v);
}

/* The key cells: workload, topology, trace ('-' none), target ('-' none). */
static char *key_text(sqlite3_stmt *st, int k, int csv)
{
	int col = k == 0 ? C_WORKLOAD : k == 1 ? C_TOPO : k == 2 ? C_TRACE : C_TARGET;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return xstrdup("-");
	if (col == C_TARGET)
		return xasprintf(csv ? "%.9g" : "%.6g", sqlite3_column_double(st, col));
	return xstrdup((const char *)sqlite3_column_text(st, col));
}

static const char *KEY_HEADERS[SUM_KEYS] = { "workload", "topology", "trace", "target_objective" };

/* A buffered block of rows of one workload (table and md print per workload). */
struct sum_block {
	char *workload;     /* the workload of the block */
	char *metric;       /* its held-out metric's name, or NULL */
	char ***cells;      /* rows x (SUM_KEYS + NCOLS_OUT) texts */
	size_t nrows, cap;  /* rows held / allocated */
};

static void block_print(struct sum_block *b, enum sum_format fmt)
{
	size_t ncol = SUM_KEYS + NCOLS_OUT;
	char **hdr = xcalloc(ncol, sizeof *hdr);
	for (size_t k = 0; k < ncol; k++)
		hdr[k] = k < SUM_KEYS ? xstrdup(KEY_HEADERS[k])
		                      : xasprintf(COLS[k - SUM_KEYS].header, b->metric ? b->metric : "test_metric");
	size_t *w = xcalloc(ncol, sizeof *w);
	for (size_t k = 0; k < ncol; k++) {
		w[k] = strlen(hdr[k]);
		for (size_t r = 0; r < b->nrows; r++)
			if (strlen(b->cells[r][k]) > w[k])
				w[k] = strlen(b->cells[r][k]);
	}
	if (fmt == SUM_MD) {
		printf("### %s (held-out metric: %s)\n\n", b->workload, b->metric ? b->metric : "none");
		for (size_t k = 0; k < ncol; k++)
			printf("| %s ", hdr[k]);
		printf("|\n");
		for (size_t k = 0; k < ncol; k++)
			printf(k < SUM_KEYS ? "|---" : "|--:");
		printf("|\n");
		for (size_t r = 0; r < b->nrows; r++) {
			for (size_t k = 0; k < ncol; k++)
				printf("| %s ", b->cells[r][k]);
			printf("|\n");
		}
	} else {
		printf("== %s (held-out metric: %s)\n", b->workload, b->metric ? b->metric : "none");
		for (size_t k = 0; k < ncol; k++)
			printf(k < SUM_KEYS ? "%-*s%s" : "%*s%s", (int)w[k], hdr[k], k + 1 < ncol ? "  " : "\n");
		for (size_t r = 0; r < b->nrows; r++)
			for (size_t k = 0; k < ncol; k++)
				printf(k < SUM_KEYS ? "%-*s%s" : "%*s%s", (int)w[k], b->cells[r][k],
				       k + 1 < ncol ? "  " : "\n");
	}
	printf("\n");
	for (size_t k = 0; k < ncol; k++)
		free(hdr[k]);
	free(hdr);
	free(w);
}

static void block_clear(struct sum_block *b)
{
	for (size_t r = 0; r < b->nrows; r++) {
		for (size_t k = 0; k < SUM_KEYS + NCOLS_OUT; k++)
			free(b->cells[r][k]);
		free(b->cells[r]);
	}
	free(b->cells);
	free(b->workload);
	free(b->metric);
	memset(b, 0, sizeof *b);
}

/* Open path read-only, check it is a gaiasim results database, and (re)create summary_table
 * as a TEMP view from the compiled schema. NULL after a message naming the file. */
static sqlite3 *open_db(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		diag_error("%s: no such results database", path);
		return NULL;
	}
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		diag_error("%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	sqlite3_stmt *st = NULL;
	int tables = -1, version = 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*), (SELECT user_version FROM pragma_user_version) "
	                       "FROM sqlite_master WHERE type = 'table' AND name IN ('runs', 'summary')",
	                       -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		tables = sqlite3_column_int(st, 0);
		version = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	if (tables != 2 || version < 1) {
		if (tables < 0)
			diag_error("%s: not an SQLite database (%s)", path, sqlite3_errmsg(db));
		else
			diag_error("%s: not a gaiasim results database (no runs/summary tables or "
			           "user_version %d)", path, version);
		sqlite3_close(db);
		return NULL;
	}
	static const char key[] = "CREATE VIEW IF NOT EXISTS summary_table AS";
	const char *p = strstr(store_schema_sql(), key);
	const char *end = p ? strchr(p, ';') : NULL;
	char *sql = end ? xasprintf("CREATE TEMP VIEW summary_table AS%.*s",
	                            (int)(end - p - (sizeof key - 1)), p + sizeof key - 1) : NULL;
	char *err = NULL;
	if (!sql || sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		diag_error("%s: not a gaiasim results database this version can read (%s)", path,
		           err ? err : "no summary_table view in the compiled schema");
		sqlite3_free(err);
		free(sql);
		sqlite3_close(db);
		return NULL;
	}
	free(sql);
	return db;
}

/* Print the table of db in format fmt. 0 or -1 (after a message). */
static int print_summary(sqlite3 *db, const char *path, enum sum_format fmt)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, SUMMARY_SQL, -1, &st, NULL) != SQLITE_OK)
		return diag_error("%s: cannot read summary_table: %s", path, sqlite3_errmsg(db));
	if (fmt == SUM_CSV) {
		for (size_t k = 0; k < SUM_KEYS; k++)
			printf("%s,", KEY_HEADERS[k]);
		printf("test_metric_name");
		for (size_t k = 0; k < NCOLS_OUT; k++) {
			char *h = xasprintf(COLS[k].header, "test_metric");
			printf(",%s", h);
			free(h);
		}
		printf("\n");
	}
	struct sum_block b = { 0 };
	int rows = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows++;
		int csv = fmt == SUM_CSV;
		char *cells[SUM_KEYS + NCOLS_OUT];
		for (size_t k = 0; k < SUM_KEYS; k++)
			cells[k] = key_text(st, (int)k, csv);
		for (size_t k = 0; k < NCOLS_OUT; k++)
			cells[SUM_KEYS + k] = cell_text(st, &COLS[k], csv);
		const unsigned char *tm = sqlite3_column_text(st, C_TMNAME);
		if (csv) {
			for (size_t k = 0; k < SUM_KEYS; k++)
				printf("%s,", cells[k]);
			printf("%s", tm ? (const char *)tm : "-");
			for (size_t k = 0; k < NCOLS_OUT; k++)
				printf(",%s", cells[SUM_KEYS + k]);
			printf("\n");
			for (size_t k = 0; k < SUM_KEYS + NCOLS_OUT; k++)
				free(cells[k]);
			continue;
		}
		if (b.workload && (strcmp(b.workload, cells[0]) ||
		                   (tm && (!b.metric || strcmp(b.metric, (const char *)tm))))) {
			block_print(&b, fmt);
			block_clear(&b);
		}
		if (!b.workload) {
			b.workload = xstrdup(cells[0]);
			b.metric = tm ? xstrdup((const char *)tm) : NULL;
		}
		if (b.nrows == b.cap) {
			b.cap = b.cap ? 2 * b.cap : 8;
			b.cells = xrealloc(b.cells, b.cap * sizeof *b.cells);
		}
		b.cells[b.nrows] = xmalloc(sizeof cells);
		memcpy(b.cells[b.nrows++], cells, sizeof cells);
	}
	if (rc != SQLITE_DONE) {
		block_clear(&b);
		sqlite3_finalize(st);
		return diag_error("%s: cannot read summary_table: %s", path, sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	if (b.workload)
		block_print(&b, fmt);
	block_clear(&b);
	if (!rows && fmt != SUM_CSV)
		printf("(no bsp, gaia or lan training runs in %s)\n", path);
	return 0;
}

enum { OPT_FORMAT = 256 };
static const struct cli_opt summary_opts[] = {
	{ "format", OPT_FORMAT, "table|csv|md", "output format (default table)" },
	{ NULL, 0, NULL, NULL },
};

const struct cli_help cmd_summary_help = {
	.cmd = "summary",
	.usage = "summary DB [--format table|csv|md]",
	.about = "Per workload and setting: time to target of the baseline (bsp), Gaia and LAN, Gaia's\n"
	         "speedup and ratio to LAN, the held-out quality each reached and WAN bytes, from\n"
	         "the results database (view summary_table). Combine databases with gaiasim merge.",
	.opts = summary_opts,
};

int cmd_summary(int argc, char **argv)
{
	const char *db_path = NULL;
	enum sum_format fmt = SUM_TABLE;
	struct cli_parser P;
	cli_parser_init(&P, &cmd_summary_help, argc, argv);
	int ch;
	const char *v;
	while ((ch = cli_next(&P, &v)) != CLI_END) {
		switch (ch) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case OPT_FORMAT:
			if (!strcmp(v, "table"))
				fmt = SUM_TABLE;
			else if (!strcmp(v, "csv"))
				fmt = SUM_CSV;
			else if (!strcmp(v, "md"))
				fmt = SUM_MD;
			else
				return cmd_usage_error(SUMMARY_USAGE, "summary: unknown format '%s' "
				                       "(want table, csv or md)", v);
			break;
		}
	}
	if (optind < argc)
		db_path = argv[optind++];
	if (optind < argc)
		return cmd_usage_error(SUMMARY_USAGE, "summary: one DB only ('%s' and '%s'; "
		                       "combine databases with gaiasim merge)", db_path, argv[optind]);
	if (!db_path)
		return cmd_usage_error(SUMMARY_USAGE, "summary: want a results database DB");
	sqlite3 *db = open_db(db_path);
	if (!db)
		return 1;
	int rc = print_summary(db, db_path, fmt);
	sqlite3_close(db);
	return rc < 0 ? 1 : 0;
}
