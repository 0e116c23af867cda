/*
 * Matrix-factorization compute cost: the measurement behind the default mf.ns_per_rating
 * (docs/workload-mf.md). For several factor ranks, on the default synthetic data set (20,000
 * users, 2,000 items, 400,000 ratings, seed 1):
 *
 *   inner  the bare SGD inner loop over one shuffled epoch: per rating, a dot product, the
 *          two row updates and the two bias updates of workloads/mf.c's sgd() (rows of rank + 1
 *          doubles, the bias last), on rows of one contiguous parameter array (replicated
 *          here, 20 lines, so that it can be timed alone);
 *   step   mf_ops.step() for every clock of one epoch by ONE worker holding all the data
 *          (includes planning the epoch, copying rows in from the model and writing the update);
 *   step44 the same for worker 0 of 44 (its 1/44 share: the per-worker working set of an
 *          11-region x 4-worker run).
 *
 * Each figure is the best of REPS epochs, in ns per rating. The line at the end fits
 * inner = a + b * rank by least squares: mf.c's MF_NS_BASE and MF_NS_PER_RANK.
 *
 * Usage: bench_mf [scale]   (scale multiplies the repetitions; default 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/benchutil.h"
#include "lib/rng.h"
#include "lib/xmalloc.h"
#include "lib/runcfg.h"
#include "workloads/mf-data.h"
#include "workloads/workload.h"

#define REPS 5
/* Clocks per epoch in the step timings (mf.batch_fraction = 1 / EPOCH_CLOCKS, the default). */
#define EPOCH_CLOCKS 20

static const int ranks[] = { 8, 16, 32, 64 };
#define NRANKS (int)(sizeof ranks / sizeof ranks[0])

/* A rating with global row ids. */
struct rec {
	uint32_t u, i; /* user row, item row (global) */
	float r;       /* rating */
};

/* Best-of-REPS time of the bare inner loop over one epoch, ns per rating. */
static double time_inner(const struct mf_data *d, int rank, int reps)
{
	size_t nrows = (size_t)d->nusers + d->nitems, rl = (size_t)rank + 1;
	double *P = xmalloc(nrows * rl * sizeof *P);
	double *rate = xmalloc(nrows * sizeof *rate);
	uint32_t *cnt = xcalloc(nrows, sizeof *cnt);
	struct rec *x = xmalloc(d->n * sizeof *x);
	struct rng r;
	rng_init(&r, 1, 7);
	for (size_t k = 0; k < d->n; k++) {
		x[k] = (struct rec){ d->ratings[k].user, d->nusers + d->ratings[k].item, d->ratings[k].r };
		cnt[x[k].u]++;
		cnt[x[k].i]++;
	}
	for (size_t k = d->n - 1; k > 0; k--) {
		size_t j = rng_below(&r, k + 1);
		struct rec t = x[k];
		x[k] = x[j];
		x[j] = t;
	}
	for (size_t g = 0; g < nrows; g++) {
		double pc = cnt[g] * 0.1;
		rate[g] = pc > 1 ? 1 / pc : 1;
	}
	const double mu = d->mean, lambda = 0.05;
	double best = 1e30;
	for (int rep = 0; rep < reps; rep++) {
		for (size_t k = 0; k < nrows * rl; k++)
			P[k] = k % rl == (size_t)rank ? 0 : 0.1 * rng_normal(&r);
		double eta = 0.15, t0 = bench_now_s();
		for (size_t j = 0; j < d->n; j++) {
			double *restrict L = P + (size_t)x[j].u * rl;
			double *restrict R = P + (size_t)x[j].i * rl;
			double d4[4] = { 0, 0, 0, 0 };
			int c = 0;
			for (; c + 4 <= rank; c += 4)
				for (int v = 0; v < 4; v++)
					d4[v] += L[c + v] * R[c + v];
			for (; c < rank; c++)
				d4[0] += L[c] * R[c];
			double e = (double)x[j].r -
				   (mu + L[rank] + R[rank] + ((d4[0] + d4[1]) + (d4[2] + d4[3])));
			double eu = eta * rate[x[j].u], ei = eta * rate[x[j].i];
			double cl = 1.0 - eu * lambda, cr = 1.0 - ei * lambda;
			double gl = eu * e, gr = ei * e;
			for (int t = 0; t < rank; t++) {
				double l = L[t], q = R[t];
				L[t] = cl * l + gl * q;
				R[t] = cr * q + gr * l;
			}
			L[rank] = cl * L[rank] + gl;
			R[rank] = cr * R[rank] + gr;
		}
		double dt = bench_now_s() - t0;
		if (dt < best)
			best = dt;
	}
	double sink = 0;
	for (size_t k = 0; k < nrows * rl; k++)
		sink += P[k];
	if (sink != sink)
		printf("# (diverged)\n");
	free(P);
	free(rate);
	free(cnt);
	free(x);
	return best * 1e9 / (double)d->n;
}

/* Best-of-reps time of step() over one epoch for `worker` of `nworkers`, ns per rating. */
static double time_step(int rank, int nworkers, int worker, int reps)
{
	struct runcfg *c = runcfg_new();
	char buf[64];
	snprintf(buf, sizeof buf, "mf.rank=%d", rank);
	runcfg_set(c, buf);
	snprintf(buf, sizeof buf, "mf.batch_fraction=%.17g", 1.0 / EPOCH_CLOCKS);
	runcfg_set(c, buf);
	int *region = xmalloc((size_t)nworkers * sizeof *region);
	for (int w = 0; w < nworkers; w++)
		region[w] = w % 11;
	struct workload *w = mf_ops.create(c, nworkers, region, 11, 1);
	if (!w) {
		fprintf(stderr, "bench_mf: cannot create the workload\n");
		exit(1);
	}
	size_t n = mf_ops.nrows(w) * mf_ops.row_len(w);
	double *model = xmalloc(n * sizeof *model);
	mf_ops.init_model(w, model);
	struct wl_update u;
	wl_update_init(&u);
	double best = 1e30;
	uint64_t units = 0;
	for (int rep = 0; rep < reps; rep++) {
		uint64_t done = 0;
		double t0 = bench_now_s();
		for (int64_t clock = rep * EPOCH_CLOCKS; clock < (rep + 1) * EPOCH_CLOCKS; clock++)
			done += mf_ops.step(w, worker, clock, model, &u);
		double dt = bench_now_s() - t0;
		if (dt < best)
			best = dt;
		units = done;
	}
	wl_update_free(&u);
	free(model);
	free(region);
	mf_ops.destroy(w);
	runcfg_free(c);
	return best * 1e9 / (double)units;
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1;
	int reps = (int)(REPS * scale + 0.5);
	if (reps < 1)
		reps = 1;
	bench_print_machine("bench_mf");
	struct mf_synth_params p = { 20000, 2000, 400000, 10, 1.0, 1.2, 0.5, MF_SYNTH_MEAN, 0, 0, 1 };
	struct mf_data *d = mf_data_synthetic(&p, 1);
	printf("# ns per rating, best of %d epochs; data: %u users, %u items, %zu ratings\n", reps,
	       d->nusers, d->nitems, d->n);
	printf("%6s %10s %10s %10s\n", "rank", "inner", "step", "step44");
	double sx = 0, sy = 0, sxx = 0, sxy = 0;
	for (int k = 0; k < NRANKS; k++) {
		double inner = time_inner(d, ranks[k], reps);
		double step = time_step(ranks[k], 1, 0, reps);
		double step44 = time_step(ranks[k], 44, 0, reps);
		printf("%6d %10.1f %10.1f %10.1f\n", ranks[k], inner, step, step44);
		sx += ranks[k];
		sy += inner;
		sxx += (double)ranks[k] * ranks[k];
		sxy += ranks[k] * inner;
	}
	double b = (NRANKS * sxy - sx * sy) / (NRANKS * sxx - sx * sx);
	double a = (sy - b * sx) / NRANKS;
	printf("# fit inner = %.2f + %.3f * rank ns per rating (MF_NS_BASE, MF_NS_PER_RANK in mf.c)\n",
	       a, b);
	mf_data_free(d);
	return 0;
}
