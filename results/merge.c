/*
 * Merging results databases (merge.h). Each input is opened read-only on its own connection
 * and checked; then, inside one BEGIN IMMEDIATE transaction on the output's connection, every
 * complete run is checked against the identities already present, its `runs` row is inserted
 * (the output assigns the new run_id) and the rows of every other table with a `run_id` column
 * are copied with run_id replaced. Any failure rolls the whole merge back.
 */
#include "results/merge.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/diag.h"
#include "lib/xmalloc.h"
#include "results/store.h"

/* The columns that make a run's identity (merge.h); all in table runs. */
static const char *const identity_cols[] = {
	"kind", "label", "config_text", "seed", "program_version", "topology_sha256",
	"trace_sha256",
};
#define NIDENT (sizeof identity_cols / sizeof identity_cols[0])

/* One table of the output: its name and the columns that hold data (generated ones excluded). */
struct mtable {
	char *name;     /* table name */
	char **cols;    /* column names, in table order (PRAGMA table_info: no generated columns) */
	int ncols;      /* number of columns */
	int run_col;    /* index of the run_id column, or -1 */
};

/* The output's tables, `runs` first. */
struct mschema {
	struct mtable *t; /* tables */
	int n;            /* number of tables */
};

static void schema_free(struct mschema *s)
{
	for (int i = 0; i < s->n; i++) {
		for (int c = 0; c < s->t[i].ncols; c++)
			free(s->t[i].cols[c]);
		free(s->t[i].cols);
		free(s->t[i].name);
	}
	free(s->t);
	memset(s, 0, sizeof *s);
}

/* Columns of table `name` in db (schema "main"); fills t; -1 on an SQLite error. */
static int read_columns(sqlite3 *db, const char *name, struct mtable *t)
{
	char *sql = sqlite3_mprintf("PRAGMA main.table_info(\"%w\")", name);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return -1;
	t->name = xstrdup(name);
	t->run_col = -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t->cols = xrealloc(t->cols, (size_t)(t->ncols + 1) * sizeof *t->cols);
		const char *col = (const char *)sqlite3_column_text(st, 1);
		if (!strcmp(col, "run_id"))
			t->run_col = t->ncols;
		t->cols[t->ncols++] = xstrdup(col);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The tables of db, `runs` first; -1 with a message naming path. */
static int read_schema(sqlite3 *db, const char *path, struct mschema *s)
{
	memset(s, 0, sizeof *s);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
	                       "SELECT name FROM main.sqlite_master WHERE type = 'table'"
	                       " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
	                       " ORDER BY name <> 'runs', name",
	                       -1, &st, NULL) != SQLITE_OK)
		return diag_error("%s: cannot read the schema: %s", path, sqlite3_errmsg(db));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->t = xrealloc(s->t, (size_t)(s->n + 1) * sizeof *s->t);
		memset(&s->t[s->n], 0, sizeof s->t[s->n]);
		s->n++;
		if (read_columns(db, (const char *)sqlite3_column_text(st, 0), &s->t[s->n - 1]) < 0) {
			rc = SQLITE_ERROR;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || s->n == 0 || strcmp(s->t[0].name, "runs") || s->t[0].run_col < 0) {
		if (rc == SQLITE_DONE)
			diag_error("%s: no table 'runs' with a run_id column: not a gaiasim results database", path);
		else
			diag_error("%s: cannot read the schema: %s", path, sqlite3_errmsg(db));
		schema_free(s);
		return -1;
	}
	return 0;
}

/* Index of the table named name in s, or -1. */
static int find_table(const struct mschema *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->t[i].name, name))
			return i;
	return -1;
}

/* Single integer of a query; SQLite result code. */
static int query_int(sqlite3 *db, const char *sql, long long *out)
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

/* Open path read-only (it must exist); NULL with a message. */
static sqlite3 *open_input(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return diag_error("%s: no such results database", path), NULL;
	if (!S_ISREG(sb.st_mode))
		return diag_error("%s: not a regular file", path), NULL;
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		diag_error("%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 60000);
	return db;
}

/* Checks of merge_check_input on an open connection. */
static int check_open_input(sqlite3 *db, const char *path)
{
	long long version;
	int rc = query_int(db, "PRAGMA user_version", &version);
	if (rc != SQLITE_OK)
		return diag_error("%s: not a results database: %s", path, sqlite3_errmsg(db));
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
		return diag_error("%s: cannot check: %s", path, sqlite3_errmsg(db));
	rc = sqlite3_step(st);
	int ok = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
	if (!ok)
		diag_error("%s: damaged database: %s", path,
		           rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (!ok)
		return -1;
	if (version == 0)
		return diag_error("%s: not a gaiasim results database (PRAGMA user_version is 0)", path);
	if (version != store_schema_version())
		return diag_error("%s: schema version %lld, but this program writes version %d"
		                  " (no migrations: merge files of one version)", path, version,
		                  store_schema_version());
	struct mschema s;
	if (read_schema(db, path, &s) < 0)
		return -1;
	schema_free(&s);
	return 0;
}

int merge_check_input(const char *path)
{
	sqlite3 *db = open_input(path);
	if (!db)
		return -1;
	int rc = check_open_input(db, path);
	sqlite3_close(db);
	return rc;
}

/* "SELECT cols FROM table" (cols double-quoted), with " WHERE run_id = ?1" when asked. */
static char *select_sql(const struct mtable *t, int by_run)
{
	size_t len = strlen(t->name) * 2 + 64;
	for (int c = 0; c < t->ncols; c++)
		len += strlen(t->cols[c]) * 2 + 4;
	char *sql = xmalloc(len), *p = sql;
	p += sprintf(p, "SELECT ");
	for (int c = 0; c < t->ncols; c++) {
		char *q = sqlite3_mprintf("%s\"%w\"", c ? ", " : "", t->cols[c]);
		p += sprintf(p, "%s", q);
		sqlite3_free(q);
	}
	char *q = sqlite3_mprintf(" FROM \"%w\"%s", t->name, by_run ? " WHERE run_id = ?1" : "");
	sprintf(p, "%s", q);
	sqlite3_free(q);
	return sql;
}

/* "INSERT INTO main.table (cols) VALUES (?1, ...)", leaving out column `skip` (or -1: none). */
static char *insert_sql(const struct mtable *t, int skip)
{
	size_t len = strlen(t->name) * 2 + 64;
	for (int c = 0; c < t->ncols; c++)
		len += strlen(t->cols[c]) * 2 + 16;
	char *sql = xmalloc(len), *p = sql;
	char *q = sqlite3_mprintf("INSERT INTO main.\"%w\" (", t->name);
	p += sprintf(p, "%s", q);
	sqlite3_free(q);
	int k = 0;
	for (int c = 0; c < t->ncols; c++) {
		if (c == skip)
			continue;
		q = sqlite3_mprintf("%s\"%w\"", k++ ? ", " : "", t->cols[c]);
		p += sprintf(p, "%s", q);
		sqlite3_free(q);
	}
	p += sprintf(p, ") VALUES (");
	for (int c = 0; c < k; c++)
		p += sprintf(p, "%s?%d", c ? ", " : "", c + 1);
	sprintf(p, ")");
	return sql;
}

/* State of one merge. */
struct merge {
	sqlite3 *out;            /* output connection (the store's) */
	const char *out_path;    /* output file, for messages */
	struct mschema schema;   /* output's tables */
	sqlite3_stmt *dup;       /* finds a run by identity in the output */
	struct merge_stats *st;  /* counts */
	long long cmp_offset;    /* added to the current input's comparison ids in the output */
};

/*
 * Copy the input's comparisons (results/comparison.h) with their ids shifted past the
 * output's; runs.comparison_id is shifted the same way by copy_run_row. 0 or -1.
 */
static int copy_comparisons(struct merge *m, sqlite3 *in, const char *path)
{
	m->cmp_offset = 0;
	if (query_int(m->out, "SELECT coalesce(max(comparison_id), 0) FROM main.comparisons",
	              &m->cmp_offset) != SQLITE_OK)
		return diag_error("%s: %s", m->out_path, sqlite3_errmsg(m->out));
	sqlite3_stmt *sel = NULL, *ins = NULL;
	int rc = -1, s;
	if (sqlite3_prepare_v2(in, "SELECT comparison_id, started_at_utc, models, config_text,"
	                       " target_objective, status FROM comparisons", -1, &sel,
	                       NULL) != SQLITE_OK) {
		diag_error("%s: cannot read table 'comparisons': %s", path, sqlite3_errmsg(in));
		goto out;
	}
	if (sqlite3_prepare_v2(m->out, "INSERT INTO main.comparisons (comparison_id,"
	                       " started_at_utc, models, config_text, target_objective, status)"
	                       " VALUES (?1 + ?7, ?2, ?3, ?4, ?5, ?6)", -1, &ins, NULL) != SQLITE_OK)
		goto outerr;
	while ((s = sqlite3_step(sel)) == SQLITE_ROW) {
		for (int c = 0; c < 6; c++)
			sqlite3_bind_value(ins, c + 1, sqlite3_column_value(sel, c));
		sqlite3_bind_int64(ins, 7, m->cmp_offset);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto outerr;
		sqlite3_reset(ins);
	}
	if (s != SQLITE_DONE) {
		diag_error("%s: cannot read table 'comparisons': %s", path, sqlite3_errmsg(in));
		goto out;
	}
	rc = 0;
	goto out;
outerr:
	diag_error("%s: cannot copy comparisons from %s: %s", m->out_path, path,
	           sqlite3_errmsg(m->out));
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	return rc;
}

/* Is every table/column of the output in the input, and every non-empty input table in the output? */
static int check_compatible(struct merge *m, sqlite3 *in, const char *path, struct mschema *ins)
{
	for (int i = 0; i < m->schema.n; i++) {
		const struct mtable *t = &m->schema.t[i];
		int j = find_table(ins, t->name);
		if (j < 0)
			continue; /* an input without the table has no rows for it */
		for (int c = 0; c < t->ncols; c++) {
			int found = 0;
			for (int d = 0; d < ins->t[j].ncols && !found; d++)
				found = !strcmp(ins->t[j].cols[d], t->cols[c]);
			if (!found)
				return diag_error("%s: table '%s' has no column '%s' (the output's has)", path,
				                  t->name, t->cols[c]);
		}
	}
	for (int j = 0; j < ins->n; j++) {
		int i = find_table(&m->schema, ins->t[j].name);
		if (i >= 0 && (m->schema.t[i].run_col >= 0 || i == 0 ||
		               !strcmp(ins->t[j].name, "comparisons")))
			continue;
		char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", ins->t[j].name);
		long long rows = 0;
		int rc = query_int(in, sql, &rows);
		sqlite3_free(sql);
		if (rc != SQLITE_OK)
			return diag_error("%s: cannot count table '%s': %s", path, ins->t[j].name,
			                  sqlite3_errmsg(in));
		if (rows > 0)
			return diag_error("%s: table '%s' holds %lld rows that belong to no run (%s):"
			                  " merge cannot place them", path, ins->t[j].name, rows,
			                  i < 0 ? "not in the output" : "no run_id column");
	}
	return 0;
}

/* Copy the rows of table t of input run old_id to the output as run new_id. */
static int copy_rows(struct merge *m, sqlite3 *in, const char *path, const struct mtable *t,
                     long long old_id, long long new_id)
{
	char *ssql = select_sql(t, 1), *isql = insert_sql(t, -1);
	sqlite3_stmt *sel = NULL, *ins = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(in, ssql, -1, &sel, NULL) != SQLITE_OK) {
		diag_error("%s: cannot read table '%s': %s", path, t->name, sqlite3_errmsg(in));
		goto out;
	}
	if (sqlite3_prepare_v2(m->out, isql, -1, &ins, NULL) != SQLITE_OK) {
		diag_error("%s: cannot write table '%s': %s", m->out_path, t->name, sqlite3_errmsg(m->out));
		goto out;
	}
	sqlite3_bind_int64(sel, 1, old_id);
	int s;
	while ((s = sqlite3_step(sel)) == SQLITE_ROW) {
		for (int c = 0; c < t->ncols; c++)
			if (c == t->run_col)
				sqlite3_bind_int64(ins, c + 1, new_id);
			else
				sqlite3_bind_value(ins, c + 1, sqlite3_column_value(sel, c));
		if (sqlite3_step(ins) != SQLITE_DONE) {
			diag_error("%s: run %lld from %s: cannot copy a row of '%s': %s", m->out_path,
			           old_id, path, t->name, sqlite3_errmsg(m->out));
			goto out;
		}
		sqlite3_reset(ins);
		m->st->rows_copied++;
	}
	if (s != SQLITE_DONE) {
		diag_error("%s: cannot read table '%s': %s", path, t->name, sqlite3_errmsg(in));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	free(ssql);
	free(isql);
	return rc;
}

/* Column index of name in t, or -1. */
static int col_index(const struct mtable *t, const char *name)
{
	for (int c = 0; c < t->ncols; c++)
		if (!strcmp(t->cols[c], name))
			return c;
	return -1;
}

/*
 * Insert the runs row the statement `sel` (SELECT of all runs columns) is on, if complete and
 * new: *new_id the output's run_id, 0 when skipped. 0 or -1.
 */
static int copy_run_row(struct merge *m, const char *path, sqlite3_stmt *sel, long long *new_id)
{
	const struct mtable *runs = &m->schema.t[0];
	long long old_id = sqlite3_column_int64(sel, runs->run_col);
	int status_col = col_index(runs, "status");
	const char *status = status_col >= 0 ? (const char *)sqlite3_column_text(sel, status_col) : "complete";
	*new_id = 0;
	if (!status || strcmp(status, "complete")) {
		fprintf(stderr, "gaiasim: note: %s: run %lld is not complete (status '%s'): skipped\n",
		        path, old_id, status ? status : "NULL");
		m->st->runs_skipped++;
		return 0;
	}
	sqlite3_reset(m->dup);
	for (size_t k = 0; k < NIDENT; k++)
		sqlite3_bind_value(m->dup, (int)k + 1,
		                   sqlite3_column_value(sel, col_index(runs, identity_cols[k])));
	int rc = sqlite3_step(m->dup);
	if (rc == SQLITE_ROW)
		return diag_error("%s: run %lld is already in %s as run %lld (same kind, label,"
		                  " config, seed, program version, topology and trace): nothing merged",
		                  path, old_id, m->out_path, (long long)sqlite3_column_int64(m->dup, 0));
	if (rc != SQLITE_DONE)
		return diag_error("%s: %s", m->out_path, sqlite3_errmsg(m->out));
	char *isql = insert_sql(runs, runs->run_col);
	sqlite3_stmt *ins;
	rc = sqlite3_prepare_v2(m->out, isql, -1, &ins, NULL);
	free(isql);
	if (rc != SQLITE_OK)
		return diag_error("%s: cannot write table 'runs': %s", m->out_path, sqlite3_errmsg(m->out));
	int cmp_col = col_index(runs, "comparison_id");
	for (int c = 0, k = 1; c < runs->ncols; c++)
		if (c == cmp_col && sqlite3_column_type(sel, c) != SQLITE_NULL)
			sqlite3_bind_int64(ins, k++, sqlite3_column_int64(sel, c) + m->cmp_offset);
		else if (c != runs->run_col)
			sqlite3_bind_value(ins, k++, sqlite3_column_value(sel, c));
	rc = sqlite3_step(ins);
	sqlite3_finalize(ins);
	if (rc != SQLITE_DONE)
		return diag_error("%s: run %lld from %s: cannot copy its runs row: %s", m->out_path,
		                  old_id, path, sqlite3_errmsg(m->out));
	*new_id = sqlite3_last_insert_rowid(m->out);
	m->st->rows_copied++;
	return 0;
}

/* Copy every complete run of one input, with its rows in every table. */
static int merge_one(struct merge *m, const char *path)
{
	sqlite3 *in = open_input(path);
	if (!in)
		return -1;
	struct mschema ins = { 0 };
	char *rsql = NULL;
	sqlite3_stmt *sel = NULL;
	int rc = -1;
	if (check_open_input(in, path) < 0 || read_schema(in, path, &ins) < 0 ||
	    check_compatible(m, in, path, &ins) < 0)
		goto out;
	/* a consistent snapshot of the input while it is read */
	if (sqlite3_exec(in, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto sqlerr;
	if (find_table(&ins, "comparisons") >= 0 && copy_comparisons(m, in, path) < 0)
		goto out;
	rsql = select_sql(&m->schema.t[0], 0);
	if (sqlite3_prepare_v2(in, rsql, -1, &sel, NULL) != SQLITE_OK)
		goto sqlerr;
	int s;
	while ((s = sqlite3_step(sel)) == SQLITE_ROW) {
		long long old_id = sqlite3_column_int64(sel, m->schema.t[0].run_col), new_id;
		if (copy_run_row(m, path, sel, &new_id) < 0)
			goto out;
		if (!new_id)
			continue;
		for (int i = 1; i < m->schema.n; i++)
			if (m->schema.t[i].run_col >= 0 && find_table(&ins, m->schema.t[i].name) >= 0 &&
			    copy_rows(m, in, path, &m->schema.t[i], old_id, new_id) < 0)
				goto out;
		m->st->runs_copied++;
	}
	if (s != SQLITE_DONE)
		goto sqlerr;
	rc = 0;
	goto out;
sqlerr:
	diag_error("%s: cannot read: %s", path, sqlite3_errmsg(in));
out:
	sqlite3_finalize(sel);
	free(rsql);
	schema_free(&ins);
	sqlite3_close(in); /* ends the read transaction */
	return rc;
}

/* Same file as the output (also through another name)? */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int merge_runs(struct store *out, const char *out_path, const char *const *inputs, int n,
               struct merge_stats *stats)
{
	memset(stats, 0, sizeof *stats);
	for (int i = 0; i < n; i++) {
		if (same_file(inputs[i], out_path))
			return diag_error("%s: is the output itself: nothing merged", inputs[i]);
		if (merge_check_input(inputs[i]) < 0)
			return diag_error("nothing merged into %s", out_path);
	}
	struct merge m = { .out = store_db(out), .out_path = out_path, .st = stats };
	if (read_schema(m.out, out_path, &m.schema) < 0)
		return -1;
	for (size_t k = 0; k < NIDENT; k++)
		if (col_index(&m.schema.t[0], identity_cols[k]) < 0) {
			schema_free(&m.schema);
			return diag_error("%s: table runs has no column '%s' (merge's run identity)",
			                  out_path, identity_cols[k]);
		}
	int rc = -1;
	if (sqlite3_prepare_v2(m.out,
	                       "SELECT run_id FROM main.runs WHERE kind IS ?1 AND label IS ?2"
	                       " AND config_text IS ?3 AND seed IS ?4 AND program_version IS ?5"
	                       " AND topology_sha256 IS ?6 AND trace_sha256 IS ?7 LIMIT 1",
	                       -1, &m.dup, NULL) != SQLITE_OK ||
	    sqlite3_exec(m.out, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		diag_error("%s: %s", out_path, sqlite3_errmsg(m.out));
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (merge_one(&m, inputs[i]) < 0)
			goto rollback;
	sqlite3_finalize(m.dup);
	m.dup = NULL;
	if (sqlite3_exec(m.out, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		diag_error("%s: cannot commit: %s", out_path, sqlite3_errmsg(m.out));
		goto rollback;
	}
	rc = 0;
	goto out;
rollback:
	if (!sqlite3_get_autocommit(m.out))
		sqlite3_exec(m.out, "ROLLBACK", NULL, NULL, NULL);
	diag_error("nothing merged into %s", out_path);
	memset(stats, 0, sizeof *stats);
out:
	sqlite3_finalize(m.dup);
	schema_free(&m.schema);
	return rc;
}
