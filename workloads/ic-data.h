/*
 * Data for the image-classification workload (docs/workload-ic.md): labelled examples loaded
 * from IDX files (Fashion-MNIST, MNIST) or generated (Gaussian class clusters, for tests that
 * must not depend on an installed data set), and the label-skewed partition of the training
 * examples over the regions and workers of a geo-distributed run.
 */
#ifndef GAIA_IC_DATA_H
#define GAIA_IC_DATA_H

#include <stddef.h>
#include <stdint.h>

/* One set of labelled examples (training or test). Exactly one of pix and feat is non-NULL. */
struct ic_set {
	size_t n;        /* examples */
	size_t dim;      /* features per example (pixels per image) */
	uint8_t *pix;    /* n * dim pixel bytes; feature = pixel / 255, in [0, 1] */
	float *feat;     /* n * dim features (synthetic data) */
	uint8_t *label;  /* n labels, each < classes */
};

struct ic_data {
	int classes;        /* number of classes; labels are 0..classes-1 */
	struct ic_set train; /* training examples */
	struct ic_set test;  /* held-out examples */
};

/* The four IDX files of a data set and the prefixes used. */
struct ic_files {
	const char *train_images, *train_labels; /* training images and labels */
	const char *test_images, *test_labels;   /* test images and labels */
	int64_t train_limit, test_limit;         /* use the first N examples; 0 = all */
};

/*
 * Load a data set. Images must be unsigned bytes (type 0x08) with at least 2 dimensions, labels
 * unsigned bytes with 1; NULL after a message naming the file on any IDX error (idx.h), a label
 * count that differs from the image count, a label >= classes (with its byte offset), or test
 * images whose shape differs from the training images.
 */
struct ic_data *ic_data_load(const struct ic_files *f, int classes);

/* Parameters of the synthetic generator (keys ic.classes, ic.features, ic.synth_*). */
struct ic_synth_params {
	int64_t classes;  /* number of classes, >= 2 */
	int64_t features; /* features per example */
	int64_t train;    /* training examples */
	int64_t test;     /* test examples */
	double noise;     /* standard deviation of the Gaussian noise around a class mean */
};

/*
 * Gaussian class clusters from stream rng_stream_id("ic-data", 0, 0) of `seed`: class c has a
 * mean vector with N(0, 1) entries; an example's label is uniform over the classes and its
 * features are the mean plus N(0, noise^2) noise in each coordinate.
 */
struct ic_data *ic_data_synthetic(const struct ic_synth_params *p, uint64_t seed);

void ic_data_free(struct ic_data *d);

/* Example i of a set as doubles (out holds s->dim values). */
void ic_set_row(const struct ic_set *s, size_t i, double *out);

/*
 * Owner worker of each of the n training examples (array of n, caller frees), from stream
 * rng_stream_id("ic-partition", 0, 0) of `seed`. Only regions with at least one worker take
 * part; call them active regions 0..A-1 in region order. Class ownership: if classes >= A,
 * active region a owns the classes c with c mod A == a (dealt round-robin); otherwise active
 * region a owns class a mod classes. Each example, with probability `skew`, goes to a region
 * owning its class (uniformly among the owners), otherwise to a uniformly random active region.
 * A region's examples are dealt to its workers round-robin in data order.
 */
uint32_t *ic_data_partition(const uint8_t *label, size_t n, int classes, double skew,
			    int nworkers, const int *worker_region, int nregions, uint64_t seed);

#endif
