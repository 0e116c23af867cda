/*
 * What `gaiasim compare --db` records about the comparison itself (results/comparison.h): the
 * comparison row, the link of each run to it, its final status, and --resume, which reloads
 * the stored result of each model already run in an unfinished comparison.
 */
#ifndef GAIA_COMPARE_DB_H
#define GAIA_COMPARE_DB_H

#include <stdint.h>

struct runcfg;
struct run_result;
struct store;

struct compare_db {
	struct store *st;      /* the results database, or NULL (no --db) */
	int64_t id;            /* comparisons.comparison_id, 0 before compare_db_begin */
	int resumed;           /* 1 if id is an unfinished comparison being resumed */
	char *config;          /* the configuration's text (the comparison's identity) */
};

/*
 * Open the database (db NULL: nothing is recorded). With resume, find the latest unfinished
 * comparison of `models` and cfg (every key a run reads is read first) and return its target
 * in *target. 0 or -1 with a message.
 */
int compare_db_open(struct compare_db *d, const char *db, int resume, const char *models,
                    struct runcfg *cfg, double *target);
/* Record a new comparison with its target unless one is being resumed. 0 or -1. */
int compare_db_begin(struct compare_db *d, const char *models, double target);
/* 1 and *r filled from the database if the resumed comparison has a complete run of model. */
int compare_db_done(struct compare_db *d, const char *model, struct run_result *r);
/* Mark the comparison "complete" or "failed" and close. */
void compare_db_close(struct compare_db *d, const char *status);

#endif
