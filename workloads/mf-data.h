/*
 * Rating data sets for the matrix-factorization workload (docs/workload-mf.md): a seeded
 * synthetic generator with a Netflix-like shape (heavy-tailed item popularity and user
 * activity, ratings 1..5 from a low-rank truth plus noise), a loader for `user item rating
 * [timestamp]` files as exported by Netflix/MovieLens tools, and the partition of ratings over
 * the workers of a geo-distributed run.
 */
#ifndef GAIA_MF_DATA_H
#define GAIA_MF_DATA_H

#include <stddef.h>
#include <stdint.h>

/* One observed rating. 12 bytes; ratings are stored as float (exact for 0.5-step scales). */
struct mf_rating {
	uint32_t user; /* dense user index, 0..nusers-1 */
	uint32_t item; /* dense item index, 0..nitems-1 */
	float r;       /* the rating value */
};

struct mf_data {
	uint32_t nusers;            /* user rows (some may have no rating in synthetic data) */
	uint32_t nitems;            /* item rows */
	size_t n;                   /* number of ratings */
	struct mf_rating *ratings;  /* n ratings; synthetic data is grouped by user */
	double mean;                /* mean rating value */
	double *user_offset;        /* synthetic only: planted per-user offsets (nusers), else NULL */
	double *item_offset;        /* synthetic only: planted per-item offsets (nitems), else NULL */
};

/*
 * Parameters of the synthetic generator (config keys mf.users ... mf.round). A rating is
 * mean + user_offset[u] + item_offset[i] + <a_u, b_i> + noise * Z, then (if `round`) rounded to
 * whole stars and clamped to [1, 5].
 */
struct mf_synth_params {
	int64_t users;     /* user rows U, >= 1 */
	int64_t items;     /* item rows I, >= 1 */
	int64_t ratings;   /* ratings N, 1 <= N <= U * ceil(I/2) */
	int64_t true_rank; /* rank of the hidden truth, >= 0 (0: no interaction term) */
	double zipf;       /* item popularity exponent s: weight of the k-th most popular item k^-s */
	double user_sigma; /* user activity: weight exp(sigma * Z), Z standard normal (log-normal) */
	double noise;      /* standard deviation of the Gaussian noise added before rounding, stars */
	double mean;       /* planted global mean, stars (MF_SYNTH_MEAN by default) */
	double user_bias;  /* standard deviation of the planted per-user offsets, stars (0: none) */
	double item_bias;  /* standard deviation of the planted per-item offsets, stars (0: none) */
	int round;         /* 1: round to whole stars and clamp to [1, 5]; 0: keep the real value */
};

/* Netflix's mean rating, the default centre of synthetic ratings. */
#define MF_SYNTH_MEAN 3.6

/*
 * Generate a data set from stream rng_stream_id("mf-data", 0, 0) of `seed` (the planted offsets
 * from stream rng_stream_id("mf-offsets", 0, 0), so that data without offsets is unchanged by
 * them): the result depends only on the parameters and the seed. NULL with a message if the
 * parameters are infeasible.
 */
struct mf_data *mf_data_synthetic(const struct mf_synth_params *p, uint64_t seed);

/*
 * Load a rating file: lines `user item rating [timestamp]`, fields separated by tab, ',' or
 * '::' (detected from the first data line), '#' comments and blank lines skipped, an optional
 * header line (first data line with non-numeric user and rating) skipped. User and item ids are
 * arbitrary integers, renumbered densely in first-seen order. NULL after a "FILE:LINE: ..."
 * message on any bad line or an empty file.
 */
struct mf_data *mf_data_load(const char *path);

/*
 * Load a training file and a test file (same formats) with ONE id numbering: ids of the training
 * file are numbered as mf_data_load() does; ids that appear only in the test file get the next
 * numbers, so test->nusers >= train->nusers and a test user u >= train->nusers (item likewise)
 * never occurs in training. Returns the training set and stores the test set in *test; NULL
 * (nothing stored) after a "FILE:LINE: ..." message.
 */
struct mf_data *mf_data_load_pair(const char *train_path, const char *test_path,
				  struct mf_data **test);

/*
 * Hold out exactly round(fraction * d->n) ratings of d, chosen uniformly (a partial
 * Fisher-Yates shuffle of the indices with stream rng_stream_id("mf-split", 0, 0) of `seed`):
 * they are moved, in data order, into the returned set, which shares d's ids (nusers, nitems),
 * and d keeps the others in data order, its mean recomputed. 0 <= fraction <= 1.
 */
struct mf_data *mf_data_split(struct mf_data *d, double fraction, uint64_t seed);

void mf_data_free(struct mf_data *d);

/* How ratings are spread over workers. */
enum mf_partition {
	MF_PARTITION_RANDOM, /* each rating to a uniformly random worker */
	MF_PARTITION_SKEWED, /* each user has a home region that gets most of its ratings */
};

/*
 * Owner worker of every rating (array of d->n, caller frees), drawn from stream
 * rng_stream_id("mf-partition", 0, 0) of `seed`. Skewed: a rating goes to its user's home region
 * with probability `skew`, else to a uniformly random region (regions without workers never
 * receive ratings); a region's ratings are dealt to its workers round-robin in data order.
 */
uint32_t *mf_data_partition(const struct mf_data *d, enum mf_partition how, double skew,
			    int nworkers, const int *worker_region, int nregions, uint64_t seed);

/*
 * Owner worker of every rating (array of d->n, caller frees) such that all the ratings of a user
 * go to one worker (mf.placement = local: the user's factors live on that worker): the users,
 * in an order shuffled with stream rng_stream_id("mf-partition-users", 0, 0) of `seed`, are
 * dealt one at a time to the worker with the fewest ratings so far (the lowest id on a tie).
 * Users without a rating are dealt too (they add nothing). IterStore's MF likewise partitions
 * the rows of the rating matrix (the users) over its workers (docs GAIA.md).
 */
uint32_t *mf_data_partition_users(const struct mf_data *d, int nworkers, uint64_t seed);

#endif
