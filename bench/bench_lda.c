/*
 * LDA compute cost: the measurement behind the default lda.ns_per_token (docs/workload-lda.md).
 * For K = 10, 20, 50, 100 topics, on a synthetic corpus (5,000 documents of ~100 tokens,
 * W = 5,000, seed 1, 10 true topics), one worker holding all the data runs lda_ops.step() over
 * whole sweeps (lda.batch_fraction = 1, the default): copying its rows in from the model,
 * sampling every token, writing the update. The model is updated after each sweep, as a
 * lossless synchronisation would. The first two sweeps are a warm-up (the initial random
 * assignments are not typical); each figure is the best of REPS later sweeps, in ns per token.
 * The line at the end fits ns = a + b * K by least squares: lda.c's LDA_NS_BASE and
 * LDA_NS_PER_TOPIC.
 *
 * Usage: bench_lda [scale]   (scale multiplies the repetitions; default 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/benchutil.h"
#include "lib/runcfg.h"
#include "lib/wallclock.h"
#include "lib/xmalloc.h"
#include "workloads/workload.h"

#define REPS 5
#define WARMUP 2

static const int topics[] = { 10, 20, 50, 100 };
#define NK (int)(sizeof topics / sizeof topics[0])

/* Best-of-reps ns per token of one sweep with K topics. */
static double time_sweep(int K, int reps)
{
	struct runcfg *c = runcfg_new();
	char k[64];
	snprintf(k, sizeof k, "lda.topics=%d", K);
	const char *kv[] = { "lda.docs=5000", "lda.vocab=5000", "lda.doc_length=100",
			     "lda.true_topics=10", "lda.test_fraction=0", k };
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
		if (runcfg_set(c, kv[i]) < 0)
			exit(1);
	int region = 0;
	struct workload *w = lda_ops.create(c, 1, &region, 1, 1);
	if (!w)
		exit(1);
	size_t rl = lda_ops.row_len(w), n = lda_ops.nrows(w) * rl;
	double *model = xmalloc(n * sizeof *model);
	lda_ops.init_model(w, model);
	struct wl_update u;
	wl_update_init(&u);
	double best = 1e300;
	for (int r = 0; r < WARMUP + reps; r++) {
		double t0 = wallclock_s();
		uint64_t tok = lda_ops.step(w, 0, r, model, &u);
		double ns = (wallclock_s() - t0) * 1e9 / (double)tok;
		for (size_t i = 0; i < u.nrows; i++)
			for (size_t j = 0; j < rl; j++)
				model[(size_t)u.rows[i] * rl + j] += u.vals[i * rl + j];
		if (r >= WARMUP && ns < best)
			best = ns;
	}
	wl_update_free(&u);
	free(model);
	lda_ops.destroy(w);
	runcfg_free(c);
	return best;
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1;
	int reps = (int)(REPS * scale) < 1 ? 1 : (int)(REPS * scale);
	double x[NK], y[NK];
	printf("%-8s %12s\n", "topics", "ns/token");
	for (int i = 0; i < NK; i++) {
		x[i] = topics[i];
		y[i] = time_sweep(topics[i], reps);
		printf("%-8d %12.1f\n", topics[i], y[i]);
	}
	double sx = 0, sy = 0, sxx = 0, sxy = 0;
	for (int i = 0; i < NK; i++) {
		sx += x[i];
		sy += y[i];
		sxx += x[i] * x[i];
		sxy += x[i] * y[i];
	}
	double b = (NK * sxy - sx * sy) / (NK * sxx - sx * sx), a = (sy - b * sx) / NK;
	printf("fit: ns_per_token = %.2f + %.3f * K\n", a, b);
	return 0;
}
