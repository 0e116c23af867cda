/*
 * Workloads: ML applications that compute real updates on real or realistic data. Each is a
 * `const struct workload_ops` table in its own file (matrix factorization: mf.c); adding one
 * is a new file plus an entry in workload_find().
 *
 * Model layout: the parameters are one array of nrows x row_len doubles (row-major). A worker
 * reads a model (its view: a replica, or the global model), runs one clock of training on its
 * own data, and produces an update: the sum of its parameter changes for that clock (learning
 * rate already applied), as a sparse set of touched rows.
 *
 * Shared parameters and worker-local state: the rows above are the SHARED parameters, the ones
 * a parameter server holds, replicates and sends. A workload may also keep part of its model
 * on the worker that owns it, never sent (IterStore's MF keeps each worker's user factors so,
 * docs/workload-mf.md "Placement"). It then keeps that state itself: nrows, row_len,
 * init_model, rows_needed and step see only the shared rows, step() updates the worker's local
 * state in place (so it must run once per (worker, clock), in clock order, as the engine runs
 * it), and objective, metric and test_metric combine the model they are given (the shared
 * rows of a replica) with the local state of every worker as it stands when they are called.
 * The engine and the sync models need no special case: they never see the local state.
 */
#ifndef GAIA_WORKLOAD_H
#define GAIA_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

struct runcfg;
struct runcfg_keydoc;
struct workload;

/* A worker's update for one clock: `nrows` touched rows, each row_len deltas. */
struct wl_update {
	size_t nrows;     /* touched rows in this update */
	size_t cap;       /* allocated rows */
	uint32_t *rows;   /* row ids, ascending */
	double *vals;     /* nrows * row_len deltas, row-major, in the order of rows[] */
};

struct workload_ops {
	const char *name;        /* config value of `workload`, e.g. "mf" */
	const char *metric_name; /* name of the reported metric, e.g. "rmse" */
	/* Documentation of every key create() reads (NULL-name ended), printed by `gaiasim help
	 * run` and checked against the getters (lib/runcfg.h). */
	const struct runcfg_keydoc *keys;
	/*
	 * Build the dataset (generated or loaded) and partition it over nworkers workers spread
	 * over nregions regions (worker w lives in region worker_region[w]). Reads its keys from
	 * cfg (errors name the config file and line). NULL on error.
	 */
	struct workload *(*create)(struct runcfg *cfg, int nworkers, const int *worker_region,
	                           int nregions, uint64_t seed);
	void (*destroy)(struct workload *w);
	size_t (*nrows)(const struct workload *w);
	size_t (*row_len)(const struct workload *w);
	/* Write the initial model (deterministic given the seed). */
	void (*init_model)(const struct workload *w, double *params);
	/*
	 * Reset the worker-local state (see the top of this file) to its initial value; the engine
	 * calls it when a run is built (ps_new), so one instance can serve runs one after the other
	 * (never two at once). NULL for a workload whose parameters are all shared.
	 */
	void (*reset_local)(struct workload *w);
	/*
	 * One clock of training for worker `worker` at clock `clock` (0-based) reading `model`.
	 * Fills *out (resetting it first). Returns the work done in the workload's unit (ratings
	 * processed for MF), which the caller turns into simulated compute time.
	 */
	uint64_t (*step)(struct workload *w, int worker, int64_t clock, const double *model,
	                 struct wl_update *out);
	/*
	 * The rows step() will read for (worker, clock), ascending and unique, in a buffer owned
	 * by the workload (valid until the next call for that worker). The parameter server
	 * fetches exactly these rows before the step (as IterStore does with known access
	 * patterns). step() must read no other rows of `model`.
	 */
	size_t (*rows_needed)(struct workload *w, int worker, int64_t clock, const uint32_t **rows);
	/* Objective (training loss) of a model over all data; lower is better. With worker-local
	 * state: of `model`'s shared rows together with every worker's current local state. */
	double (*objective)(const struct workload *w, const double *model);
	/* The reported metric (e.g. training RMSE). */
	double (*metric)(const struct workload *w, const double *model);
	/*
	 * Held-out quality, evaluated wherever the objective is (NULL when the workload has no
	 * held-out data): test RMSE for MF, perplexity for LDA, test accuracy for image
	 * classification. test_metric_name names it in every output (e.g. "test_rmse").
	 */
	const char *test_metric_name;
	double (*test_metric)(const struct workload *w, const double *model);
	/* 1 if a larger held-out metric is better (accuracy); 0 if smaller is (RMSE, perplexity). */
	int test_higher_better;
	/* Learning rate in force at a clock (for threshold schedules coupled to it). */
	double (*learning_rate)(const struct workload *w, int64_t clock);
	/* Simulated compute cost per unit of work on the reference machine, ns. */
	double (*ns_per_unit)(const struct workload *w);
	/* Work units in one worker's local data (one local epoch). */
	uint64_t (*units)(const struct workload *w, int worker);
};

/* The ops table for a workload name, or NULL. */
const struct workload_ops *workload_find(const char *name);
/* The table of workloads: how many, and the i-th. */
size_t workload_count(void);
const struct workload_ops *workload_at(size_t i);
/* "mf, lda, ic": every workload's name, for messages and usage lines. */
const char *workload_list(void);

/* Update buffer helpers. */
void wl_update_init(struct wl_update *u);
void wl_update_free(struct wl_update *u);
/* Make room for at least nrows rows of row_len values. */
void wl_update_reserve(struct wl_update *u, size_t nrows, size_t row_len);

extern const struct workload_ops mf_ops;
extern const struct workload_ops lda_ops;
extern const struct workload_ops ic_ops;

#endif
