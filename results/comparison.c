/* Comparisons in the results store (results/comparison.h). */
#include "results/comparison.h"

#include <math.h>
#include <sqlite3.h>

#include "lib/diag.h"
#include "results/store.h"

/* Prepare sql on s's database; NULL with a message. */
static sqlite3_stmt *prep(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
		diag_error("results database: %s", sqlite3_errmsg(store_db(s)));
		return NULL;
	}
	return st;
}

int64_t comparison_begin(struct store *s, const char *models, const char *config_text,
                         double target_objective)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO comparisons (started_at_utc, models, config_text,"
	                           " target_objective, status) VALUES"
	                           " (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?1, ?2, ?3, 'running')");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, models, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, config_text, -1, SQLITE_STATIC);
	if (isnan(target_objective))
		sqlite3_bind_null(st, 3);
	else
		sqlite3_bind_double(st, 3, target_objective);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return diag_error("results database: cannot record the comparison: %s",
		                  sqlite3_errmsg(store_db(s)));
	return sqlite3_last_insert_rowid(store_db(s));
}

int64_t comparison_find_unfinished(struct store *s, const char *models, const char *config_text,
                                   double *target_objective)
{
	sqlite3_stmt *st = prep(s, "SELECT comparison_id, target_objective FROM comparisons"
	                           " WHERE models = ?1 AND config_text = ?2 AND status <> 'complete'"
	                           " ORDER BY comparison_id DESC LIMIT 1");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, models, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, config_text, -1, SQLITE_STATIC);
	int64_t id = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		*target_objective = sqlite3_column_type(st, 1) == SQLITE_NULL
		                    ? NAN : sqlite3_column_double(st, 1);
	} else if (rc != SQLITE_DONE) {
		id = diag_error("results database: %s", sqlite3_errmsg(store_db(s)));
	}
	sqlite3_finalize(st);
	if (id > 0 && comparison_finish(s, id, "running") < 0)
		return -1;
	return id;
}

int comparison_has_run(struct store *s, int64_t id, const char *model, int64_t *run_id)
{
	sqlite3_stmt *st = prep(s, "SELECT r.run_id FROM runs r JOIN summary m USING (run_id)"
	                           " WHERE r.comparison_id = ?1 AND r.status = 'complete'"
	                           " AND m.sync_model = ?2 ORDER BY r.run_id DESC LIMIT 1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
	int found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		*run_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return found;
}

int comparison_finish(struct store *s, int64_t id, const char *status)
{
	sqlite3_stmt *st = prep(s, "UPDATE comparisons SET status = ?2 WHERE comparison_id = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return diag_error("results database: cannot mark comparison %lld %s: %s", (long long)id,
		                  status, sqlite3_errmsg(store_db(s)));
	return 0;
}
