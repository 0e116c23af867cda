/*
 * Comparisons in the results store (table `comparisons`, results/schema.sql): one row per
 * `gaiasim compare`, written and committed outside any run's transaction so that it survives
 * an interruption and says the comparison is incomplete. Its runs point to it by
 * runs.comparison_id (store_run_info.comparison_id).
 */
#ifndef GAIA_COMPARISON_H
#define GAIA_COMPARISON_H

#include <stdint.h>

struct store;

/* Record a new comparison (status 'running'); its id (> 0), or -1 with a message. */
int64_t comparison_begin(struct store *s, const char *models, const char *config_text,
                         double target_objective);
/*
 * The latest comparison of these models and configuration that is not complete, and its
 * target (NAN: none); 0 when there is none, -1 on error. Its status is set back to 'running'.
 */
int64_t comparison_find_unfinished(struct store *s, const char *models, const char *config_text,
                                   double *target_objective);
/* 1 if comparison `id` holds a complete run of sync model `model` (its run_id in *run_id). */
int comparison_has_run(struct store *s, int64_t id, const char *model, int64_t *run_id);
/* Set its status: "complete" or "failed". 0 or -1. */
int comparison_finish(struct store *s, int64_t id, const char *status);

#endif
