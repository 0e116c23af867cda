/*
 * Biased matrix factorization by SGD (docs/workload-mf.md): ratings r(u,i) ~ mu + b_u + b_i +
 * <L_u, R_i> with L2 regularisation per rating; mu is the training data's mean rating, fixed.
 * Every row is rank + 1 doubles (the factors, then the bias). Where they live is mf.placement:
 *  - `ps` (default): users and items are all shared rows of the parameter server, users 0..U-1,
 *    items U..U+I-1;
 *  - `local` (IterStore's MF, docs/workload-mf.md "Placement"): only the items are shared rows,
 *    0..I-1; each user belongs to one worker (mf_data_partition_users) whose step() updates
 *    the user's row in place in `users`, never sent.
 * Internally a row id indexes every row, shared ones first: ps users 0..U-1 then items, local
 * items 0..I-1 then users I..I+U-1, so a minibatch's shared rows are a prefix of its ascending
 * row list. An optional held-out set (mf.test_data or mf.test_fraction) gives the test RMSE.
 *
 * Each worker keeps its ratings with LOCAL row ids (the rows its ratings touch, numbered densely
 * in ascending global order). At the first clock of an epoch it shuffles them and makes the
 * epoch's plan: for every minibatch, the ascending list of rows it touches (its "slots") and the
 * ratings rewritten with slot numbers. A clock then copies its minibatch's rows from `model`
 * into a small contiguous scratch array, runs plain sequential SGD on the scratch rows, and
 * reports scratch - model, already in ascending row order. Per clock the work is proportional
 * to the minibatch, and all accesses except the model reads are sequential; a worker touches
 * only its own state, so workers could step in parallel.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/rng.h"
#include "lib/xmalloc.h"
#include "lib/memlimit.h"
#include "lib/runcfg.h"
#include "workloads/mf-data.h"
#include "workloads/workload.h"

/*
 * Default cost of one rating on the reference machine, ns, as MF_NS_BASE + MF_NS_PER_RANK * rank:
 * a least-squares fit to the bare SGD inner loop timed by bench/bench_mf.c at ranks 8, 16, 32, 64
 * (15.0, 26.8, 46.8, 83.3 ns) on an AMD EPYC VM (2 vCPUs, 2 MiB L2, 32 MiB L3), gcc 12.2 -O2;
 * see docs/workload-mf.md. Overridden by mf.ns_per_rating.
 */
#define MF_NS_BASE 6.8
#define MF_NS_PER_RANK 1.21

/*
 * Standard deviation of the initial factor entries: 0.1, the default init_std_dev of the SVD
 * (biased MF) algorithm of the Surprise library (surprise.readthedocs.io, "Matrix
 * Factorization-based algorithms"). Small factors start every prediction near mu + biases.
 */
#define MF_INIT_SD 0.1

/* A rating: row ids are local rows in `base`, slot numbers within the minibatch in `plan`. */
struct mf_rec {
	uint32_t u; /* user row */
	uint32_t i; /* item row */
	float r;    /* rating */
};

/* A parameter row as a worker sees it. */
struct mf_row {
	uint32_t global; /* row id (internal: shared rows first, see the top of the file) */
	uint32_t count;  /* n_row: ratings of the row in the whole data set */
};

/* One worker's data, epoch plan and scratch state. */
struct mf_worker {
	size_t n;              /* local ratings */
	struct mf_rec *base;   /* local ratings in partition order, local row ids */
	uint32_t nrows;        /* local rows (rows touched by the local ratings) */
	struct mf_row *rows;   /* nrows local rows, ascending global id */
	int64_t epoch;         /* epoch the plan is for; -1 before the first */
	struct mf_rec *plan;   /* the epoch's shuffle of base, ids replaced by slot numbers */
	uint64_t *slot_start;  /* B + 1 offsets: minibatch b's slots are [start[b], start[b+1]) of: */
	uint32_t *slot_row;    /* per minibatch, the global rows it touches, ascending (<= 2n) */
	uint32_t *slot_count;  /* n_row of each slot_row entry */
	uint32_t *stamp;       /* per local row: planning generation that last listed it */
	uint32_t *slot_of;     /* per local row: its slot in that minibatch */
	uint32_t gen;          /* planning generation (one per minibatch planned), never 0 */
	uint32_t *list, *tmp;  /* planning scratch: rows of one minibatch, and radix-sort buffer */
	uint32_t max_slots;    /* most rows one minibatch can touch */
	double *scratch;       /* max_slots * rank: working copies of the clock's rows */
	double *srate;         /* per slot: learning-rate factor of its row */
};

/* A held-out rating with row ids; MF_UNSEEN for a user or item without training data. */
struct mf_test {
	uint32_t u; /* user row id, or MF_UNSEEN */
	uint32_t i; /* item row id, or MF_UNSEEN */
	float r;    /* rating */
};

#define MF_UNSEEN UINT32_MAX

struct workload {
	uint64_t seed;            /* run seed */
	uint32_t nusers;          /* user rows */
	uint32_t nitems;          /* item rows */
	size_t nratings;          /* ratings over all workers */
	size_t rank;              /* factor rank k */
	size_t row_len;           /* k + 1: the factors, then the bias */
	double mu;                /* global mean: mean training rating, fixed (not a parameter) */
	uint32_t *count;          /* per row: training ratings of the row (n_row) */
	double lambda;            /* regularisation weight per rating (mf.lambda) */
	double lr;                /* initial learning rate (mf.lr) */
	double lr_decay;          /* learning-rate decay per epoch (mf.lr_decay) */
	int lr_scaling;           /* MF_SCALE_CLOCK or MF_SCALE_NONE (mf.lr_scaling) */
	double batch_fraction;    /* mf.batch_fraction */
	int64_t clocks_per_epoch; /* ceil(1 / mf.batch_fraction) */
	double ns_per_rating;     /* simulated compute cost of one rating, ns */
	int nworkers;             /* workers */
	struct mf_worker *w;      /* nworkers workers */
	int placement;            /* mf.placement: MF_PLACE_PS or MF_PLACE_LOCAL */
	size_t nshared;           /* shared rows (the parameter server's): U + I, or I (local) */
	double *users;            /* local placement: U rows of user factors, user u at row u,
	                           * each updated only by its owner worker; NULL under ps */
	size_t ntest;             /* held-out ratings (0: no held-out set) */
	struct mf_test *test;     /* ntest held-out ratings */
	size_t nunseen;           /* held-out ratings whose user or item has no training rating */
};

/* ---- configuration ---- */

/* Parameters read from the configuration. */
struct mf_params {
	const char *data;             /* "synthetic" or a rating-file path */
	const char *test_data;        /* mf.test_data: a rating-file path, or "" for none */
	double test_fraction;         /* mf.test_fraction: share held out of the data when no file */
	struct mf_synth_params synth; /* generator parameters */
	int64_t rank;                 /* mf.rank */
	double lambda, lr, lr_decay;  /* mf.lambda, mf.lr, mf.lr_decay */
	int lr_scaling;               /* mf.lr_scaling: MF_SCALE_CLOCK or MF_SCALE_NONE */
	double batch_fraction;        /* mf.batch_fraction */
	int partition;                /* mf.partition as an enum mf_partition */
	int placement;                /* mf.placement: MF_PLACE_PS or MF_PLACE_LOCAL */
	double skew;                  /* mf.skew */
	double ns_per_rating;         /* mf.ns_per_rating */
};

enum { MF_SCALE_CLOCK, MF_SCALE_NONE };
enum { MF_PLACE_PS, MF_PLACE_LOCAL };

/* Row id of user u and of item i (see the top of the file). */
static inline uint32_t user_row(const struct workload *w, uint32_t u)
{
	return w->placement == MF_PLACE_LOCAL ? w->nitems + u : u;
}
static inline uint32_t item_row(const struct workload *w, uint32_t i)
{
	return w->placement == MF_PLACE_LOCAL ? i : w->nusers + i;
}

/* All rows, shared and local. */
static inline size_t all_rows(const struct workload *w)
{
	return (size_t)w->nusers + w->nitems;
}

/* Row g's values: in `model` for a shared row, in the local user store otherwise. */
static inline const double *row_at(const struct workload *w, const double *model, size_t g)
{
	return g < w->nshared ? model + g * w->row_len : w->users + (g - w->nshared) * w->row_len;
}

static int read_params(struct runcfg *cfg, struct mf_params *p)
{
	static const char *const partitions[] = { "random", "skewed", NULL };
	static const char *const scalings[] = { "clock", "none", NULL };
	static const char *const placements[] = { "ps", "local", NULL };
	int bad = 0;
	bad |= runcfg_string(cfg, "mf.data", "synthetic", &p->data);
	/* The generator's keys are read (so validated, and not reported unknown) when the data is
	 * synthetic or when the configuration gives them anyway. */
	int synthetic = !strcmp(p->data, "synthetic");
	if (synthetic || runcfg_has(cfg, "mf.users") || runcfg_has(cfg, "mf.items") ||
	    runcfg_has(cfg, "mf.ratings") || runcfg_has(cfg, "mf.true_rank") ||
	    runcfg_has(cfg, "mf.zipf") || runcfg_has(cfg, "mf.user_sigma") ||
	    runcfg_has(cfg, "mf.noise") || runcfg_has(cfg, "mf.true_mean") ||
	    runcfg_has(cfg, "mf.true_user_bias") || runcfg_has(cfg, "mf.true_item_bias") ||
	    runcfg_has(cfg, "mf.round")) {
		struct mf_synth_params *s = &p->synth;
		bad |= runcfg_int(cfg, "mf.users", 20000, 1, UINT32_MAX - 2, &s->users);
		bad |= runcfg_int(cfg, "mf.items", 2000, 1, UINT32_MAX - 2, &s->items);
		bad |= runcfg_int(cfg, "mf.ratings", 400000, 1, UINT32_MAX - 2, &s->ratings);
		bad |= runcfg_int(cfg, "mf.true_rank", 10, 0, 1000, &s->true_rank);
		bad |= runcfg_double(cfg, "mf.zipf", 1.0, 0, 4, &s->zipf);
		bad |= runcfg_double(cfg, "mf.user_sigma", 1.2, 0, 4, &s->user_sigma);
		bad |= runcfg_double(cfg, "mf.noise", 0.5, 0, 10, &s->noise);
		bad |= runcfg_double(cfg, "mf.true_mean", MF_SYNTH_MEAN, -1e6, 1e6, &s->mean);
		bad |= runcfg_double(cfg, "mf.true_user_bias", 0, 0, 10, &s->user_bias);
		bad |= runcfg_double(cfg, "mf.true_item_bias", 0, 0, 10, &s->item_bias);
		int64_t round_stars;
		bad |= runcfg_int(cfg, "mf.round", 1, 0, 1, &round_stars);
		s->round = (int)round_stars;
	}
	bad |= runcfg_string(cfg, "mf.test_data", "", &p->test_data);
	bad |= runcfg_double(cfg, "mf.test_fraction", 0, 0, 0.99, &p->test_fraction);
	bad |= runcfg_int(cfg, "mf.rank", 16, 1, 1024, &p->rank);
	/* lambda: measured (docs/workload-mf.md, "Choosing the defaults"): of 0.02 (Funk's and
	 * Surprise's per-rating value), 0.05 and 0.1, the smallest at which the test RMSE does not
	 * rise over the last half of training on either planted problem measured there. lr and
	 * lr_decay: the stability measurement of the unbiased model, kept (same section). */
	bad |= runcfg_double(cfg, "mf.lambda", 0.05, 0, 1e9, &p->lambda);
	bad |= runcfg_double(cfg, "mf.lr", 0.1, 0, 100, &p->lr);
	bad |= runcfg_double(cfg, "mf.lr_decay", 0.05, 0, 1e6, &p->lr_decay);
	bad |= runcfg_choice(cfg, "mf.lr_scaling", "clock", scalings, &p->lr_scaling);
	bad |= runcfg_double(cfg, "mf.batch_fraction", 0.05, 1e-6, 1, &p->batch_fraction);
	bad |= runcfg_choice(cfg, "mf.partition", "random", partitions, &p->partition);
	bad |= runcfg_choice(cfg, "mf.placement", "ps", placements, &p->placement);
	p->skew = 0;
	if (!bad && (p->partition == MF_PARTITION_SKEWED || runcfg_has(cfg, "mf.skew")))
		bad |= runcfg_double(cfg, "mf.skew", 0.8, 0, 1, &p->skew);
	if (p->partition != MF_PARTITION_SKEWED)
		p->skew = 0;
	if (!bad) {
		/* to 0.01 ns, so that the dumped default reads cleanly */
		double ns = round(100 * (MF_NS_BASE + MF_NS_PER_RANK * (double)p->rank)) / 100;
		bad |= runcfg_double(cfg, "mf.ns_per_rating", ns, 0, 1e9, &p->ns_per_rating);
	}
	return bad ? -1 : 0;
}

/* Check that the synthetic parameters are feasible, naming the key that is too large. */
static int check_synth(struct runcfg *cfg, const struct mf_synth_params *s)
{
	double cap = (double)((s->items + 1) / 2);
	if ((double)s->ratings <= (double)s->users * cap)
		return 0;
	long line;
	const char *where = runcfg_where(cfg, "mf.ratings", &line);
	return diag_at(where ? where : "<default>", line,
		       "mf.ratings: %lld ratings do not fit %lld users x %lld items (each user rates at "
		       "most ceil(items/2) items: at most %.0f ratings)", (long long)s->ratings,
		       (long long)s->users, (long long)s->items, (double)s->users * cap);
}

/* ---- building the workers ---- */

static void worker_free(struct mf_worker *k)
{
	free(k->base);
	free(k->rows);
	free(k->plan);
	free(k->slot_start);
	free(k->slot_row);
	free(k->slot_count);
	free(k->stamp);
	free(k->slot_of);
	free(k->list);
	free(k->tmp);
	free(k->scratch);
	free(k->srate);
}

/* Allocate n (at least 1) elements of size bytes. */
static void *alloc_n(size_t n, size_t size)
{
	return xreallocarray(NULL, n ? n : 1, size);
}

/*
 * Give worker k its n ratings d->ratings[mine[0..n)]: find the rows they touch, number them in
 * ascending global order, and rewrite the ratings with local ids. local[] (one entry per global
 * row) is UINT32_MAX everywhere on entry and on return.
 */
static void worker_build(struct workload *w, struct mf_worker *k, const struct mf_data *d,
			 const uint32_t *mine, size_t n, const uint32_t *count, uint32_t *local)
{
	size_t nrows = all_rows(w);
	k->n = n;
	for (size_t j = 0; j < n; j++) {
		const struct mf_rating *x = &d->ratings[mine[j]];
		local[user_row(w, x->user)] = 0;
		local[item_row(w, x->item)] = 0;
	}
	for (size_t g = 0; g < nrows; g++)
		if (local[g] == 0)
			k->nrows++;
	k->rows = alloc_n(k->nrows, sizeof *k->rows);
	uint32_t next = 0;
	for (size_t g = 0; g < nrows; g++)
		if (local[g] == 0) {
			k->rows[next] = (struct mf_row){ (uint32_t)g, count[g] };
			local[g] = next++;
		}
	k->base = alloc_n(k->n, sizeof *k->base);
	for (size_t j = 0; j < n; j++) {
		const struct mf_rating *x = &d->ratings[mine[j]];
		k->base[j] = (struct mf_rec){ local[user_row(w, x->user)], local[item_row(w, x->item)],
					      x->r };
	}
	for (uint32_t l = 0; l < k->nrows; l++)
		local[k->rows[l].global] = UINT32_MAX;

	size_t B = (size_t)w->clocks_per_epoch;
	/* A minibatch has at most ceil(n / B) ratings, each touching two rows. */
	uint64_t most = 2 * (((uint64_t)k->n + B - 1) / B);
	k->max_slots = (uint32_t)(most < k->nrows ? most : k->nrows);
	k->epoch = -1;
	k->plan = alloc_n(k->n, sizeof *k->plan);
	k->slot_start = alloc_n(B + 1, sizeof *k->slot_start);
	k->slot_row = alloc_n(2 * k->n, sizeof *k->slot_row);
	k->slot_count = alloc_n(2 * k->n, sizeof *k->slot_count);
	k->stamp = xcalloc(k->nrows ? k->nrows : 1, sizeof *k->stamp);
	k->slot_of = alloc_n(k->nrows, sizeof *k->slot_of);
	k->list = alloc_n(k->max_slots, sizeof *k->list);
	k->tmp = alloc_n(k->max_slots, sizeof *k->tmp);
	k->scratch = alloc_n((size_t)k->max_slots * w->row_len, sizeof *k->scratch);
	k->srate = alloc_n(k->max_slots, sizeof *k->srate);
}

/* diag_at() at the file and line where key was set. */
#define KEY_ERR(cfg, key, ...)                                                                \
	do {                                                                                   \
		long line_;                                                                    \
		const char *where_ = runcfg_where(cfg, key, &line_);                           \
		diag_at(where_ ? where_ : "<default>", line_, __VA_ARGS__);                    \
	} while (0)

/*
 * The training data (generated or loaded) and, in *test, the held-out set: the test file's
 * ratings, or a seeded share of the data, or NULL when there is none. NULL after a message.
 */
static int check_memory(struct runcfg *cfg, const struct mf_params *p);

static struct mf_data *get_data(struct runcfg *cfg, const struct mf_params *p, uint64_t seed,
				struct mf_data **test)
{
	int synthetic = !strcmp(p->data, "synthetic"), has_file = p->test_data[0] != '\0';
	*test = NULL;
	if (has_file && p->test_fraction > 0) {
		KEY_ERR(cfg, "mf.test_fraction", "mf.test_fraction: %g cannot be combined with "
			"mf.test_data (give a test file or a fraction, not both)", p->test_fraction);
		return NULL;
	}
	if (has_file && synthetic) {
		KEY_ERR(cfg, "mf.test_data", "mf.test_data: '%s' needs mf.data to be a rating file "
			"(with synthetic data, hold out a share with mf.test_fraction)", p->test_data);
		return NULL;
	}
	struct mf_data *d;
	if (synthetic) {
		if (check_synth(cfg, &p->synth) < 0 || check_memory(cfg, p) < 0)
			return NULL;
		d = mf_data_synthetic(&p->synth, seed);
	} else {
		d = mf_data_load_pair(p->data, has_file ? p->test_data : NULL, test);
	}
	if (!d || !(p->test_fraction > 0))
		return d;
	*test = mf_data_split(d, p->test_fraction, seed);
	if ((*test)->n == 0 || d->n == 0) {
		KEY_ERR(cfg, "mf.test_fraction", "mf.test_fraction: %g of %zu ratings holds out %zu "
			"(need at least one held-out and one training rating)", p->test_fraction,
			d->n + (*test)->n, (*test)->n);
		mf_data_free(d);
		mf_data_free(*test);
		*test = NULL;
		return NULL;
	}
	return d;
}

/*
 * Keep the held-out ratings t with global row ids; a user or item without a training rating
 * (new in the test file, or all its ratings held out) becomes MF_UNSEEN. Counts those and says
 * so once on stderr.
 */
static void build_test(struct workload *w, const struct mf_data *t, const char *key)
{
	w->ntest = t->n;
	w->test = alloc_n(t->n, sizeof *w->test);
	for (size_t j = 0; j < t->n; j++) {
		const struct mf_rating *x = &t->ratings[j];
		uint32_t u = x->user < w->nusers && w->count[user_row(w, x->user)]
			     ? user_row(w, x->user) : MF_UNSEEN;
		uint32_t i = x->item < w->nitems && w->count[item_row(w, x->item)]
			     ? item_row(w, x->item) : MF_UNSEEN;
		w->test[j] = (struct mf_test){ u, i, x->r };
		if (u == MF_UNSEEN || i == MF_UNSEEN)
			w->nunseen++;
	}
	if (w->nunseen)
		diag_error("note: %s: %zu of %zu test ratings have a user or item not in training "
			   "(predicted from the global mean plus the known bias)", key, w->nunseen,
			   w->ntest);
}

static void mf_reset_local(struct workload *w);

/*
 * Bytes mf_create asks for with synthetic data, from the shape: the ratings (struct
 * mf_rating, plus the test split's copy and the per-worker partition's indices), the
 * generator's planted factors and offsets (true_rank + 2 per user and item), and per model row
 * (users + items) the counts, local indices and row stamps of the partition.
 */
static double mf_memory_bytes(double users, double items, double ratings, double true_rank)
{
	double rows = users + items;
	return ratings * (2 * sizeof(struct mf_rating) + 8) + rows * (true_rank + 2) * 8 +
	       rows * (4 + 4 + 8);
}

static int check_memory(struct runcfg *cfg, const struct mf_params *p)
{
	const struct mf_synth_params *s = &p->synth;
	char why[160];
	snprintf(why, sizeof why, "%lld users, %lld items, %lld ratings", (long long)s->users,
	         (long long)s->items, (long long)s->ratings);
	return memlimit_check(cfg, "mf's synthetic data",
	                      mf_memory_bytes((double)s->users, (double)s->items,
	                                      (double)s->ratings, (double)s->true_rank), why);
}

static struct workload *mf_create(struct runcfg *cfg, int nworkers, const int *worker_region,
				  int nregions, uint64_t seed)
{
	struct mf_params p;
	if (nworkers < 1 || nregions < 1) {
		diag_error("mf: need at least one worker and one region");
		return NULL;
	}
	if (read_params(cfg, &p) < 0)
		return NULL;
	if (p.placement == MF_PLACE_LOCAL && p.partition == MF_PARTITION_SKEWED) {
		KEY_ERR(cfg, "mf.partition", "mf.partition: 'skewed' spreads a user's ratings over "
			"regions, but mf.placement = local keeps every user on one worker (use "
			"mf.partition = random, which then deals whole users)");
		return NULL;
	}
	struct mf_data *test;
	struct mf_data *d = get_data(cfg, &p, seed, &test);
	if (!d)
		return NULL;

	struct workload *w = xcalloc(1, sizeof *w);
	w->seed = seed;
	w->nusers = d->nusers;
	w->nitems = d->nitems;
	w->nratings = d->n;
	w->rank = (size_t)p.rank;
	w->row_len = w->rank + 1;
	w->mu = d->mean;
	w->lambda = p.lambda;
	w->lr = p.lr;
	w->lr_decay = p.lr_decay;
	w->lr_scaling = p.lr_scaling;
	w->batch_fraction = p.batch_fraction;
	w->clocks_per_epoch = (int64_t)ceil(1.0 / p.batch_fraction - 1e-9);
	w->ns_per_rating = p.ns_per_rating;
	w->nworkers = nworkers;
	w->placement = p.placement;
	w->nshared = p.placement == MF_PLACE_LOCAL ? d->nitems : (size_t)d->nusers + d->nitems;
	if (p.placement == MF_PLACE_LOCAL)
		w->users = alloc_n((size_t)d->nusers * w->row_len, sizeof *w->users);

	size_t nrows = all_rows(w);
	uint32_t *count = w->count = xcalloc(nrows, sizeof *count);
	for (size_t j = 0; j < d->n; j++) {
		count[user_row(w, d->ratings[j].user)]++;
		count[item_row(w, d->ratings[j].item)]++;
	}
	if (test)
		build_test(w, test, p.test_data[0] ? "mf.test_data" : "mf.test_fraction");
	uint32_t *owner = p.placement == MF_PLACE_LOCAL
		? mf_data_partition_users(d, nworkers, seed)
		: mf_data_partition(d, (enum mf_partition)p.partition, p.skew, nworkers,
				    worker_region, nregions, seed);
	/* Ratings grouped by owner, in data order within each worker (a counting sort). */
	size_t *start = xcalloc((size_t)nworkers + 1, sizeof *start);
	for (size_t j = 0; j < d->n; j++)
		start[owner[j] + 1]++;
	for (int k = 0; k < nworkers; k++)
		start[k + 1] += start[k];
	uint32_t *byowner = alloc_n(d->n, sizeof *byowner);
	size_t *fill = xmalloc((size_t)nworkers * sizeof *fill);
	memcpy(fill, start, (size_t)nworkers * sizeof *fill);
	for (size_t j = 0; j < d->n; j++)
		byowner[fill[owner[j]]++] = (uint32_t)j;
	uint32_t *local = xmalloc(nrows * sizeof *local);
	memset(local, 0xff, nrows * sizeof *local);
	w->w = xcalloc((size_t)nworkers, sizeof *w->w);
	for (int k = 0; k < nworkers; k++)
		worker_build(w, &w->w[k], d, byowner + start[k], start[k + 1] - start[k], count, local);
	free(local);
	free(fill);
	free(byowner);
	free(start);
	free(owner);
	mf_data_free(d);
	mf_data_free(test);
	mf_reset_local(w);
	return w;
}

static void mf_destroy(struct workload *w)
{
	if (!w)
		return;
	for (int k = 0; k < w->nworkers; k++)
		worker_free(&w->w[k]);
	free(w->w);
	free(w->count);
	free(w->users);
	free(w->test);
	free(w);
}

/* The shared rows: the parameter server's model. */
static size_t mf_nrows(const struct workload *w)
{
	return w->nshared;
}

static size_t mf_row_len(const struct workload *w)
{
	return w->row_len;
}

/*
 * Initial rows from stream rng_stream_id("mf-init", 0, 0): every factor entry drawn from
 * N(0, MF_INIT_SD^2), every bias 0, so a prediction starts near the global mean mu. The rows are
 * drawn in the order users then items whatever the placement (so a user or item starts from
 * the same values under both); users go to `users` (U rows) and items to `items` (I rows), each
 * skipped when NULL.
 */
static void init_rows(const struct workload *w, double *users, double *items)
{
	struct rng r;
	rng_init(&r, w->seed, rng_stream_id("mf-init", 0, 0));
	double *skip = xmalloc(w->row_len * sizeof *skip);
	for (size_t row = 0; row < all_rows(w); row++) {
		double *x = skip;
		if (row < w->nusers && users)
			x = users + row * w->row_len;
		else if (row >= w->nusers && items)
			x = items + (row - w->nusers) * w->row_len;
		for (size_t t = 0; t < w->rank; t++)
			x[t] = MF_INIT_SD * rng_normal(&r);
		x[w->rank] = 0;
	}
	free(skip);
}

/* The shared rows' initial values: users then items (ps), or the items (local). */
static void mf_init_model(const struct workload *w, double *params)
{
	if (w->placement == MF_PLACE_LOCAL)
		init_rows(w, NULL, params);
	else
		init_rows(w, params, params + (size_t)w->nusers * w->row_len);
}

/* Local placement: every worker's user rows back to their initial values. */
static void mf_reset_local(struct workload *w)
{
	if (w->placement == MF_PLACE_LOCAL)
		init_rows(w, w->users, NULL);
}

/* lr(clock) = mf.lr / (1 + mf.lr_decay * clock / clocks_per_epoch). */
static double mf_learning_rate(const struct workload *w, int64_t clock)
{
	return w->lr / (1.0 + w->lr_decay * (double)clock / (double)w->clocks_per_epoch);
}

/* ---- the epoch plan ---- */

/* Minibatch b of B over n ratings: positions [n*b/B, n*(b+1)/B) (n < 2^32, B <= 10^6). */
static size_t batch_start(size_t n, int64_t b, int64_t B)
{
	return (size_t)((uint64_t)n * (uint64_t)b / (uint64_t)B);
}

/*
 * Sort a[0..n) (distinct local rows < nrows) ascending: insertion sort when few, a scan of the
 * stamps when the rows are a large part of the local rows, else an LSD radix sort with 8-bit
 * digits. At most O(16 n) work.
 */
static void sort_rows(struct mf_worker *k, uint32_t *a, uint32_t n)
{
	if (n <= 32) {
		for (uint32_t i = 1; i < n; i++) {
			uint32_t x = a[i], j = i;
			for (; j > 0 && a[j - 1] > x; j--)
				a[j] = a[j - 1];
			a[j] = x;
		}
		return;
	}
	if ((uint64_t)k->nrows <= 16 * (uint64_t)n) {
		uint32_t m = 0;
		for (uint32_t l = 0; l < k->nrows; l++)
			if (k->stamp[l] == k->gen)
				a[m++] = l;
		assert(m == n);
		return;
	}
	uint32_t *src = a, *dst = k->tmp;
	for (int shift = 0; shift < 32 && (k->nrows - 1) >> shift; shift += 8) {
		uint32_t cnt[257] = { 0 };
		for (uint32_t i = 0; i < n; i++)
			cnt[((src[i] >> shift) & 0xff) + 1]++;
		for (int b = 0; b < 256; b++)
			cnt[b + 1] += cnt[b];
		for (uint32_t i = 0; i < n; i++)
			dst[cnt[(src[i] >> shift) & 0xff]++] = src[i];
		uint32_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
}

/* Start a planning generation (clearing the stamps when the counter wraps). */
static void next_generation(struct mf_worker *k)
{
	if (++k->gen == 0) {
		memset(k->stamp, 0, (k->nrows ? k->nrows : 1) * sizeof *k->stamp);
		k->gen = 1;
	}
}

static inline void list_row(struct mf_worker *k, uint32_t l, uint32_t *m)
{
	if (k->stamp[l] != k->gen) {
		k->stamp[l] = k->gen;
		k->list[(*m)++] = l;
	}
}

/* Plan minibatch [lo, hi) of the shuffled ratings, its slots starting at position pos. */
static uint32_t plan_batch(struct mf_worker *k, size_t lo, size_t hi, uint64_t pos)
{
	uint32_t m = 0;
	next_generation(k);
	for (size_t j = lo; j < hi; j++) {
		list_row(k, k->plan[j].u, &m);
		list_row(k, k->plan[j].i, &m);
	}
	assert(m <= k->max_slots);
	sort_rows(k, k->list, m);
	for (uint32_t s = 0; s < m; s++) {
		k->slot_of[k->list[s]] = s;
		k->slot_row[pos + s] = k->rows[k->list[s]].global;
		k->slot_count[pos + s] = k->rows[k->list[s]].count;
	}
	for (size_t j = lo; j < hi; j++) {
		k->plan[j].u = k->slot_of[k->plan[j].u];
		k->plan[j].i = k->slot_of[k->plan[j].i];
	}
	return m;
}

/* Shuffle base with stream ("mf-worker", worker, epoch) and plan every minibatch of the epoch. */
static void plan_epoch(const struct workload *w, struct mf_worker *k, int worker, int64_t epoch)
{
	struct rng r;
	rng_init(&r, w->seed, rng_stream_id("mf-worker", (uint64_t)worker, (uint64_t)epoch));
	memcpy(k->plan, k->base, k->n * sizeof *k->plan);
	for (size_t j = k->n - 1; j > 0; j--) {
		size_t t = rng_below(&r, j + 1);
		struct mf_rec x = k->plan[j];
		k->plan[j] = k->plan[t];
		k->plan[t] = x;
	}
	int64_t B = w->clocks_per_epoch;
	k->slot_start[0] = 0;
	for (int64_t b = 0; b < B; b++) {
		uint32_t m = plan_batch(k, batch_start(k->n, b, B), batch_start(k->n, b + 1, B),
					k->slot_start[b]);
		k->slot_start[b + 1] = k->slot_start[b] + m;
	}
	k->epoch = epoch;
}

/* ---- one clock ---- */

/* A clock's minibatch: its position in the epoch's plan and its rows. */
struct mf_batch {
	size_t lo, hi;          /* ratings plan[lo, hi) */
	uint32_t m;             /* rows touched */
	const uint32_t *row;    /* m global rows, ascending */
	const uint32_t *count;  /* their n_row */
};

/* The minibatch of (worker, clock), planning its epoch first if needed. */
static struct mf_batch batch_of(const struct workload *w, struct mf_worker *k, int worker,
				int64_t clock)
{
	int64_t B = w->clocks_per_epoch, epoch = clock / B, b = clock % B;
	if (epoch != k->epoch)
		plan_epoch(w, k, worker, epoch);
	uint64_t first = k->slot_start[b];
	return (struct mf_batch){ batch_start(k->n, b, B), batch_start(k->n, b + 1, B),
				  (uint32_t)(k->slot_start[b + 1] - first), k->slot_row + first,
				  k->slot_count + first };
}

/*
 * Copy the minibatch's rows in (shared rows from the model, local ones from the user store),
 * with their per-row coefficients. The `clock` scaling damps rows whose updates the parameter
 * server sums over workers; a local row is updated by its one worker only, sequentially, so
 * its factor is 1 (docs/workload-mf.md, "Placement").
 */
static void load_rows(const struct workload *w, struct mf_worker *k, const struct mf_batch *bt,
		      const double *model)
{
	size_t rl = w->row_len;
	for (uint32_t s = 0; s < bt->m; s++) {
		double per_clock = bt->count[s] * w->batch_fraction;
		k->srate[s] = w->lr_scaling == MF_SCALE_CLOCK && per_clock > 1 &&
			      bt->row[s] < w->nshared ? 1.0 / per_clock : 1.0;
		memcpy(k->scratch + (size_t)s * rl, row_at(w, model, bt->row[s]),
		       rl * sizeof *k->scratch);
	}
}

/* Slots of the minibatch that are shared rows: a prefix of its ascending rows. */
static uint32_t shared_slots(const struct workload *w, const struct mf_batch *bt)
{
	uint32_t lo = 0, hi = bt->m;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (bt->row[mid] < w->nshared)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Dot product with four independent partial sums (lanes t mod 4), added pairwise at the end: a
 * single running sum would chain every multiply-add on the previous one's latency.
 */
static inline double dot4(const double *restrict a, const double *restrict b, size_t n)
{
	double s[4] = { 0, 0, 0, 0 };
	size_t t = 0;
	for (; t + 4 <= n; t += 4)
		for (int v = 0; v < 4; v++)
			s[v] += a[t + v] * b[t + v];
	for (; t < n; t++)
		s[0] += a[t] * b[t];
	return (s[0] + s[1]) + (s[2] + s[3]);
}

/*
 * Sequential SGD over plan[lo, hi) with learning rate eta. Rows hold rank factors then the bias.
 * Per rating, with e = r - (mu + b_u + b_i + <L, R>), eu = eta * rate_u, ei = eta * rate_i:
 *   L += eu * (e * R - lambda * L),  b_u += eu * (e - lambda * b_u),
 *   R += ei * (e * L - lambda * R),  b_i += ei * (e - lambda * b_i)   (old values on the right)
 * i.e. -eu/2 and -ei/2 times the gradient of (r - pred)^2 + lambda (|L|^2 + b_u^2 + |R|^2 + b_i^2).
 */
static void sgd(const struct workload *w, struct mf_worker *k, size_t lo, size_t hi, double eta)
{
	size_t rank = w->rank, rl = w->row_len;
	double mu = w->mu, lambda = w->lambda;
	for (size_t j = lo; j < hi; j++) {
		const struct mf_rec *x = &k->plan[j];
		double *restrict L = k->scratch + (size_t)x->u * rl;
		double *restrict R = k->scratch + (size_t)x->i * rl;
		double e = (double)x->r - (mu + L[rank] + R[rank] + dot4(L, R, rank));
		double eu = eta * k->srate[x->u], ei = eta * k->srate[x->i];
		double cl = 1.0 - eu * lambda, cr = 1.0 - ei * lambda;
		double gl = eu * e, gr = ei * e;
		for (size_t t = 0; t < rank; t++) {
			double l = L[t], q = R[t];
			L[t] = cl * l + gl * q;
			R[t] = cr * q + gr * l;
		}
		L[rank] = cl * L[rank] + gl;
		R[rank] = cr * R[rank] + gr;
	}
}

/*
 * Write scratch - model for the minibatch's shared rows (ascending) into out, and store its
 * local rows (those after the shared prefix) back into the user store.
 */
static void emit_update(struct workload *w, const struct mf_worker *k, const struct mf_batch *bt,
			const double *model, struct wl_update *out)
{
	size_t rl = w->row_len;
	uint32_t ns = shared_slots(w, bt);
	for (uint32_t s = ns; s < bt->m; s++)
		memcpy(w->users + (bt->row[s] - w->nshared) * rl, k->scratch + (size_t)s * rl,
		       rl * sizeof *w->users);
	wl_update_reserve(out, ns, rl);
	for (uint32_t s = 0; s < ns; s++) {
		const double *a = k->scratch + (size_t)s * rl;
		const double *b = model + (size_t)bt->row[s] * rl;
		double *v = out->vals + (size_t)s * rl;
		out->rows[s] = bt->row[s];
		for (size_t t = 0; t < rl; t++)
			v[t] = a[t] - b[t];
	}
	out->nrows = ns;
}

/* Clock c is minibatch c mod B of epoch c / B (B = clocks per epoch). With local placement the
 * worker's user rows change in place: run once per clock, in clock order. */
static uint64_t mf_step(struct workload *w, int worker, int64_t clock, const double *model,
			struct wl_update *out)
{
	assert(worker >= 0 && worker < w->nworkers && clock >= 0);
	struct mf_worker *k = &w->w[worker];
	out->nrows = 0;
	if (k->n == 0)
		return 0;
	struct mf_batch bt = batch_of(w, k, worker, clock);
	load_rows(w, k, &bt, model);
	sgd(w, k, bt.lo, bt.hi, mf_learning_rate(w, clock));
	emit_update(w, k, &bt, model, out);
	return bt.hi - bt.lo;
}

/* The shared rows step() reads for (worker, clock): the minibatch's rows, ascending, in the plan
 * (with local placement the prefix of them that is shared: its items). */
static size_t mf_rows_needed(struct workload *w, int worker, int64_t clock, const uint32_t **rows)
{
	assert(worker >= 0 && worker < w->nworkers && clock >= 0);
	struct mf_worker *k = &w->w[worker];
	if (k->n == 0) {
		*rows = k->slot_row; /* an empty list, but a valid pointer */
		return 0;
	}
	struct mf_batch bt = batch_of(w, k, worker, clock);
	*rows = bt.row;
	return shared_slots(w, &bt);
}

/* ---- objective and metric ---- */

/* mu + b_u + b_i + <L_u, R_i> for row ids u, i; an MF_UNSEEN row adds nothing. */
static double predict(const struct workload *w, const double *model, uint32_t u, uint32_t i)
{
	size_t rank = w->rank;
	const double *L = u == MF_UNSEEN ? NULL : row_at(w, model, u);
	const double *R = i == MF_UNSEEN ? NULL : row_at(w, model, i);
	double p = w->mu + (L ? L[rank] : 0) + (R ? R[rank] : 0);
	if (L && R)
		for (size_t t = 0; t < rank; t++)
			p += L[t] * R[t];
	return p;
}

/* Sum of squared errors of the model over every training rating. */
static double sum_sq_error(const struct workload *w, const double *model)
{
	double sse = 0;
	for (int id = 0; id < w->nworkers; id++) {
		const struct mf_worker *k = &w->w[id];
		for (size_t j = 0; j < k->n; j++) {
			double e = (double)k->base[j].r - predict(w, model, k->rows[k->base[j].u].global,
								  k->rows[k->base[j].i].global);
			sse += e * e;
		}
	}
	return sse;
}

/*
 * F = (sum over training ratings of (r - pred)^2 + lambda * sum over rows of n_row * |row|^2)
 * / N: the per-rating penalty lambda (|L_u|^2 + b_u^2 + |R_i|^2 + b_i^2) summed over the
 * ratings counts each row once per rating of it (rows without a rating do not count).
 */
static double mf_objective(const struct workload *w, const double *model)
{
	double sq = 0;
	size_t nrows = all_rows(w), rl = w->row_len;
	for (size_t row = 0; row < nrows; row++) {
		if (!w->count[row])
			continue;
		const double *x = row_at(w, model, row);
		double s = 0;
		for (size_t t = 0; t < rl; t++)
			s += x[t] * x[t];
		sq += (double)w->count[row] * s;
	}
	return (sum_sq_error(w, model) + w->lambda * sq) / (double)w->nratings;
}

/* Training RMSE: sqrt(sum of squared errors / number of training ratings). */
static double mf_metric(const struct workload *w, const double *model)
{
	return sqrt(sum_sq_error(w, model) / (double)w->nratings);
}

/* Test RMSE over the held-out ratings; NAN when there is no held-out set. */
static double mf_test_metric(const struct workload *w, const double *model)
{
	if (w->ntest == 0)
		return NAN;
	double sse = 0;
	for (size_t j = 0; j < w->ntest; j++) {
		double e = (double)w->test[j].r - predict(w, model, w->test[j].u, w->test[j].i);
		sse += e * e;
	}
	return sqrt(sse / (double)w->ntest);
}

static double mf_ns_per_unit(const struct workload *w)
{
	return w->ns_per_rating;
}

static uint64_t mf_units(const struct workload *w, int worker)
{
	assert(worker >= 0 && worker < w->nworkers);
	return w->w[worker].n;
}

/* The keys mf_create reads (docs/workload-mf.md, "Keys"). */
static const struct runcfg_keydoc mf_keys[] = {
	{ "mf.data", "string", "synthetic", "", "data source: synthetic, or a MovieLens-format rating file" },
	{ "mf.users", "integer >= 1", "20000", "users", "synthetic: users U" },
	{ "mf.items", "integer >= 1", "2000", "items", "synthetic: items I" },
	{ "mf.ratings", "integer >= 1", "400000", "ratings", "synthetic: ratings N (at most U * ceil(I/2))" },
	{ "mf.true_rank", "integer 0..1000", "10", "", "synthetic: rank of the hidden truth (0: none)" },
	{ "mf.zipf", "number 0..4", "1", "", "synthetic: item popularity exponent s" },
	{ "mf.user_sigma", "number 0..4", "1.2", "", "synthetic: log-normal sigma of user activity" },
	{ "mf.noise", "number 0..10", "0.5", "stars", "synthetic: rating noise before rounding" },
	{ "mf.true_mean", "number", "3.6", "stars", "synthetic: planted global mean" },
	{ "mf.true_user_bias", "number 0..10", "0", "stars", "synthetic: sd of the planted per-user offsets" },
	{ "mf.true_item_bias", "number 0..10", "0", "stars", "synthetic: sd of the planted per-item offsets" },
	{ "mf.round", "integer 0..1", "1", "", "synthetic: 1 = whole stars clamped to 1..5, 0 = real values" },
	{ "mf.test_data", "string", "", "", "held-out rating file (needs mf.data to be a file)" },
	{ "mf.test_fraction", "number 0..0.99", "0", "fraction", "share of the data held out when no test file is given" },
	{ "mf.rank", "integer 1..1024", "16", "", "factor rank k (row length k + 1: the bias)" },
	{ "mf.lambda", "number >= 0", "0.05", "", "L2 weight per rating" },
	{ "mf.lr", "number 0..100", "0.1", "", "initial learning rate" },
	{ "mf.lr_decay", "number >= 0", "0.05", "1/epoch", "learning-rate decay per epoch" },
	{ "mf.lr_scaling", "choice: clock|none", "clock", "", "per-row learning-rate factor" },
	{ "mf.batch_fraction", "number 1e-6..1", "0.05", "fraction", "share of the local data per clock" },
	{ "mf.partition", "choice: random|skewed", "random", "", "how ratings are spread over workers" },
	{ "mf.placement", "choice: ps|local", "ps", "", "where user factors live: rows of the parameter server, or worker-local (IterStore, the paper's MF)" },
	{ "mf.skew", "number 0..1", "0.8", "probability", "skewed partition: probability a user's ratings stay in its home region" },
	{ "mf.ns_per_rating", "number >= 0", "6.8 + 1.21 * rank", "ns", "simulated compute per rating (measured, bench/bench_mf)" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct workload_ops mf_ops = {
	.name = "mf",
	.keys = mf_keys,
	.metric_name = "rmse",
	.create = mf_create,
	.destroy = mf_destroy,
	.nrows = mf_nrows,
	.row_len = mf_row_len,
	.init_model = mf_init_model,
	.reset_local = mf_reset_local,
	.step = mf_step,
	.rows_needed = mf_rows_needed,
	.objective = mf_objective,
	.metric = mf_metric,
	.test_metric_name = "test_rmse",
	.test_metric = mf_test_metric,
	.test_higher_better = 0,
	.learning_rate = mf_learning_rate,
	.ns_per_unit = mf_ns_per_unit,
	.units = mf_units,
};
