/*
 * Image-classification data (ic-data.h): IDX loading with the checks between images, labels,
 * and the training and test sets; the Gaussian-cluster generator; the label-skewed partition.
 */
#include "workloads/ic-data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/rng.h"
#include "lib/xmalloc.h"
#include "workloads/idx.h"

/* Bytes before the first element of an IDX file with ndims dimensions. */
static uint64_t idx_header_bytes(const struct idx *x)
{
	return 4 + 4 * (uint64_t)x->ndims;
}

/* Load one images + labels pair into s (first `limit` examples, 0 = all); -1 after a message. */
static int load_set(const char *img_path, const char *lab_path, int64_t limit, int classes,
		    struct ic_set *s, struct idx **img_out)
{
	struct idx *img = idx_load(img_path), *lab = NULL;
	if (!img)
		return -1;
	if (img->type != IDX_UBYTE || img->ndims < 2) {
		diag_at(img_path, 0, "byte 2: expected images: unsigned bytes (type 0x08) in at least "
			"2 dimensions, found type 0x%02x in %d", (unsigned)img->type, img->ndims);
		goto fail;
	}
	if (!(lab = idx_load(lab_path)))
		goto fail;
	if (lab->type != IDX_UBYTE || lab->ndims != 1) {
		diag_at(lab_path, 0, "byte 2: expected labels: unsigned bytes (type 0x08) in 1 "
			"dimension, found type 0x%02x in %d", (unsigned)lab->type, lab->ndims);
		goto fail;
	}
	if (lab->dims[0] != img->dims[0]) {
		diag_at(lab_path, 0, "byte 4: %u labels for %u images in %s", lab->dims[0],
			img->dims[0], img_path);
		goto fail;
	}
	for (size_t i = 0; i < lab->count; i++)
		if (lab->data[i] >= classes) {
			diag_at(lab_path, 0, "byte %llu: label %u of item %zu is out of range (classes "
				"0..%d; ic.classes = %d)",
				(unsigned long long)(idx_header_bytes(lab) + i), lab->data[i], i,
				classes - 1, classes);
			goto fail;
		}
	size_t n = img->dims[0];
	if (limit > 0 && (uint64_t)limit < n)
		n = (size_t)limit;
	s->n = n;
	s->dim = idx_item_size(img);
	s->pix = xmalloc(n * s->dim > 0 ? n * s->dim : 1);
	memcpy(s->pix, img->data, n * s->dim);
	s->label = xmalloc(n ? n : 1);
	memcpy(s->label, lab->data, n);
	idx_free(lab);
	*img_out = img;
	return 0;
fail:
	idx_free(img);
	idx_free(lab);
	return -1;
}

/* Shape of an image file's items, "28x28". */
static void shape_str(const struct idx *x, char *buf, size_t size)
{
	size_t k = 0;
	buf[0] = '\0';
	for (int d = 1; d < x->ndims && k < size; d++)
		k += (size_t)snprintf(buf + k, size - k, d > 1 ? "x%u" : "%u", x->dims[d]);
}

struct ic_data *ic_data_load(const struct ic_files *f, int classes)
{
	struct ic_data *d = xcalloc(1, sizeof *d);
	struct idx *tr = NULL, *te = NULL;
	d->classes = classes;
	if (load_set(f->train_images, f->train_labels, f->train_limit, classes, &d->train, &tr) < 0 ||
	    load_set(f->test_images, f->test_labels, f->test_limit, classes, &d->test, &te) < 0)
		goto fail;
	int same = tr->ndims == te->ndims;
	for (int k = 1; same && k < tr->ndims; k++)
		same = tr->dims[k] == te->dims[k];
	if (!same) {
		char a[128], b[128];
		shape_str(tr, a, sizeof a);
		shape_str(te, b, sizeof b);
		diag_at(f->test_images, 0, "byte 3: test images are %s, training images (%s) are %s",
			b, f->train_images, a);
		goto fail;
	}
	if (d->train.n == 0) {
		diag_at(f->train_images, 0, "byte 4: no training images");
		goto fail;
	}
	idx_free(tr);
	idx_free(te);
	return d;
fail:
	idx_free(tr);
	idx_free(te);
	ic_data_free(d);
	return NULL;
}

/* Fill a synthetic set of n examples around the class means mu (classes x dim). */
static void synth_set(struct ic_set *s, size_t n, size_t dim, const double *mu, int classes,
		      double noise, struct rng *r)
{
	s->n = n;
	s->dim = dim;
	s->feat = xmalloc((n * dim > 0 ? n * dim : 1) * sizeof *s->feat);
	s->label = xmalloc(n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		int c = (int)rng_below(r, (uint64_t)classes);
		s->label[i] = (uint8_t)c;
		for (size_t k = 0; k < dim; k++)
			s->feat[i * dim + k] = (float)(mu[(size_t)c * dim + k] + noise * rng_normal(r));
	}
}

struct ic_data *ic_data_synthetic(const struct ic_synth_params *p, uint64_t seed)
{
	struct rng r;
	rng_init(&r, seed, rng_stream_id("ic-data", 0, 0));
	size_t dim = (size_t)p->features;
	int classes = (int)p->classes;
	double *mu = xmalloc((size_t)classes * dim * sizeof *mu);
	for (size_t k = 0; k < (size_t)classes * dim; k++)
		mu[k] = rng_normal(&r);
	struct ic_data *d = xcalloc(1, sizeof *d);
	d->classes = classes;
	synth_set(&d->train, (size_t)p->train, dim, mu, classes, p->noise, &r);
	synth_set(&d->test, (size_t)p->test, dim, mu, classes, p->noise, &r);
	free(mu);
	return d;
}

static void set_free(struct ic_set *s)
{
	free(s->pix);
	free(s->feat);
	free(s->label);
}

void ic_data_free(struct ic_data *d)
{
	if (!d)
		return;
	set_free(&d->train);
	set_free(&d->test);
	free(d);
}

void ic_set_row(const struct ic_set *s, size_t i, double *out)
{
	if (s->pix) {
		const uint8_t *p = s->pix + i * s->dim;
		for (size_t k = 0; k < s->dim; k++)
			out[k] = p[k] * (1.0 / 255.0);
	} else {
		const float *p = s->feat + i * s->dim;
		for (size_t k = 0; k < s->dim; k++)
			out[k] = p[k];
	}
}

uint32_t *ic_data_partition(const uint8_t *label, size_t n, int classes, double skew,
			    int nworkers, const int *worker_region, int nregions, uint64_t seed)
{
	/* Active regions, their workers, and each class's owners. */
	int *nw = xcalloc((size_t)nregions, sizeof *nw);
	for (int w = 0; w < nworkers; w++)
		nw[worker_region[w]]++;
	int *active = xmalloc((size_t)nregions * sizeof *active), A = 0;
	for (int r = 0; r < nregions; r++)
		if (nw[r] > 0)
			active[A++] = r;
	/* owners of class c: owner[c * A + 0 .. nown[c]) (active indices) */
	int *owner = xmalloc((size_t)classes * (size_t)A * sizeof *owner);
	int *nown = xcalloc((size_t)classes, sizeof *nown);
	for (int a = 0; a < A; a++)
		for (int c = 0; c < classes; c++)
			if (classes >= A ? c % A == a : a % classes == c)
				owner[c * A + nown[c]++] = a;
	/* Each region's workers in order, and a round-robin cursor per region. */
	int *first = xcalloc((size_t)nregions + 1, sizeof *first);
	int *list = xmalloc((size_t)nworkers * sizeof *list);
	for (int r = 0; r < nregions; r++)
		first[r + 1] = first[r] + nw[r];
	int *fill = xmalloc((size_t)nregions * sizeof *fill);
	memcpy(fill, first, (size_t)nregions * sizeof *fill);
	for (int w = 0; w < nworkers; w++)
		list[fill[worker_region[w]]++] = w;
	int *next = xcalloc((size_t)nregions, sizeof *next);
	struct rng r;
	rng_init(&r, seed, rng_stream_id("ic-partition", 0, 0));
	uint32_t *out = xmalloc((n ? n : 1) * sizeof *out);
	for (size_t i = 0; i < n; i++) {
		int c = label[i], a;
		/* both draws always, so the stream stays aligned across skews */
		double u = rng_uniform(&r);
		uint64_t pick = rng_u64(&r);
		if (u < skew && nown[c] > 0)
			a = owner[c * A + (int)(pick % (uint64_t)nown[c])];
		else
			a = (int)(pick % (uint64_t)A);
		int reg = active[a];
		out[i] = (uint32_t)list[first[reg] + next[reg]];
		next[reg] = (next[reg] + 1) % nw[reg];
	}
	free(nw);
	free(active);
	free(owner);
	free(nown);
	free(first);
	free(list);
	free(fill);
	free(next);
	return out;
}
