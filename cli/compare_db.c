/* The comparison's own record in the results database (cli/compare_db.h). */
#include "cli/compare_db.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run.h"
#include "lib/diag.h"
#include "lib/runcfg.h"
#include "results/comparison.h"
#include "results/store.h"
#include "workloads/workload.h"

int compare_db_open(struct compare_db *d, const char *db, int resume, const char *models,
                    struct runcfg *cfg, double *target)
{
	memset(d, 0, sizeof *d);
	if (!db)
		return 0;
	if (run_check_config(cfg) < 0)
		return -1;
	d->config = runcfg_dump(cfg);
	if (!(d->st = store_open(db)))
		return -1;
	if (!resume)
		return 0;
	double t = NAN;
	int64_t id = comparison_find_unfinished(d->st, models, d->config, &t);
	if (id < 0)
		return -1;
	if (id > 0) {
		d->id = id;
		d->resumed = 1;
		*target = t;
		fprintf(stderr, "gaiasim: resuming comparison %lld\n", (long long)id);
	}
	return 0;
}

int compare_db_begin(struct compare_db *d, const char *models, double target)
{
	if (!d->st || d->resumed)
		return 0;
	d->id = comparison_begin(d->st, models, d->config, target);
	return d->id < 0 ? -1 : 0;
}

static double col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* Fill r from run run_id's runs and summary rows. 0 or -1. */
static int load_result(struct compare_db *d, int64_t run_id, struct run_result *r)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(store_db(d->st),
	                       "SELECT m.sync_model, m.end_status, m.target_objective,"
	                       " m.time_to_target_s, r.sim_end_s, m.clocks_completed,"
	                       " m.final_objective, m.final_metric, m.wan_bytes, m.lan_bytes,"
	                       " m.share_pushed_wan, m.cost_machine_usd,"
	                       " m.cost_transfer_usd, m.workload, m.final_test_metric,"
	                       " m.test_metric_name, m.share_filter_sent, m.share_below_1pct,"
	                       " r.topology_name, r.trace_name, r.seed"
	                       " FROM runs r JOIN summary m USING (run_id) WHERE run_id = ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return diag_error("results database: %s", sqlite3_errmsg(store_db(d->st)));
	sqlite3_bind_int64(st, 1, run_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return diag_error("results database: run %lld has no summary", (long long)run_id);
	}
	memset(r, 0, sizeof *r);
	snprintf(r->sync, sizeof r->sync, "%s", (const char *)sqlite3_column_text(st, 0));
	const char *status = (const char *)sqlite3_column_text(st, 1);
	for (int k = RUN_COMPLETED; k <= RUN_STALLED; k++)
		if (status && !strcmp(status, run_status_name((enum run_status)k)))
			r->status = (enum run_status)k;
	r->target = col_real(st, 2);
	r->time_to_target_s = col_real(st, 3);
	r->end_s = col_real(st, 4);
	r->clocks = sqlite3_column_int64(st, 5);
	r->final_objective = col_real(st, 6);
	r->final_metric = col_real(st, 7);
	r->wan_bytes = col_real(st, 8);
	r->lan_bytes = col_real(st, 9);
	r->share_pushed_wan = col_real(st, 10);
	r->share_filter_sent = col_real(st, 16);
	r->share_below_1pct = col_real(st, 17);
	for (int l = 0; l < RUN_SIG_LEVELS; l++) /* per-level shares are not in the summary row */
		r->share_below[l] = NAN;
	const char *topo = (const char *)sqlite3_column_text(st, 18);
	const char *trace = (const char *)sqlite3_column_text(st, 19);
	snprintf(r->topology, sizeof r->topology, "%s", topo ? topo : "");
	snprintf(r->trace, sizeof r->trace, "%s", trace ? trace : "");
	r->seed = sqlite3_column_int64(st, 20);
	r->cost_machine_usd = col_real(st, 11);
	r->cost_transfer_usd = col_real(st, 12);
	const struct workload_ops *wl = workload_find((const char *)sqlite3_column_text(st, 13));
	r->final_test_metric = col_real(st, 14);
	r->test_metric_name = wl && sqlite3_column_type(st, 15) != SQLITE_NULL
	                      ? wl->test_metric_name : NULL;
	sqlite3_finalize(st);
	return 0;
}

int compare_db_done(struct compare_db *d, const char *model, struct run_result *r)
{
	int64_t run_id;
	if (!d->st || !d->resumed || comparison_has_run(d->st, d->id, model, &run_id) != 1)
		return 0;
	if (load_result(d, run_id, r) < 0)
		return 0;
	fprintf(stderr, "gaiasim: %s: already complete in comparison %lld (run %lld): skipped\n",
	        model, (long long)d->id, (long long)run_id);
	return 1;
}

void compare_db_close(struct compare_db *d, const char *status)
{
	if (d->st && d->id > 0)
		comparison_finish(d->st, d->id, status);
	store_close(d->st);
	free(d->config);
	memset(d, 0, sizeof *d);
}
