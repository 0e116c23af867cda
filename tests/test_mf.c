/*
 * Tests for the matrix-factorization workload (workloads/mf.c, workloads/mf-data.c): a hand-worked
 * SGD step, a finite-difference gradient check of the update direction, convergence of one and
 * of several workers, the synthetic generator's shape, the rating-file loader (three separators,
 * every bad-line case), determinism, and the partitions.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rng.h"
#include "tests/testutil.h"
#include "lib/runcfg.h"
#include "workloads/mf-data.h"
#include "workloads/workload.h"

static char msg[2048]; /* captured diagnostic */

/* A configuration from NULL-terminated "key=value" overrides. */
static struct runcfg *cfg_of(const char *const *kv)
{
	struct runcfg *c = runcfg_new();
	for (; *kv; kv++)
		if (runcfg_set(c, *kv) < 0)
			abort();
	return c;
}

/* Create the workload with nworkers workers, worker w in region w % nregions. */
static struct workload *make(struct runcfg *c, int nworkers, int nregions, uint64_t seed)
{
	int region[64];
	for (int w = 0; w < nworkers; w++)
		region[w] = w % nregions;
	return mf_ops.create(c, nworkers, region, nregions, seed);
}

/* "mf.data=<path of tests/data/mf/NAME>" in a static buffer. */
static const char *data_kv(const char *name)
{
	static char buf[4200];
	char rel[64];
	snprintf(rel, sizeof rel, "mf/%s", name);
	snprintf(buf, sizeof buf, "mf.data=%s", testutil_data(rel));
	return buf;
}

/* ---- hand-worked step ---- */

/*
 * One rating r = 3 of user 7 on item 9, rank 1 (rows [L, b_u] and [R, b_i]), lr 0.1, lambda
 * 0.2, both rows rated once. mu = 3 (the mean of the one training rating). With L = 1,
 * b_u = 0.5, R = 2, b_i = -1.5: prediction 3 + 0.5 - 1.5 + 1*2 = 4, e = -1;
 *   L'   = 1    + 0.1 * (-1 * 2 - 0.2 * 1)      = 0.78
 *   b_u' = 0.5  + 0.1 * (-1     - 0.2 * 0.5)    = 0.39
 *   R'   = 2    + 0.1 * (-1 * 1 - 0.2 * 2)      = 1.86
 *   b_i' = -1.5 + 0.1 * (-1     - 0.2 * (-1.5)) = -1.57
 * Objective (1/N)(e^2 + lambda (L^2 + b_u^2 + R^2 + b_i^2)) = 1 + 0.2 * 7.5 = 2.5; RMSE |e| = 1.
 */
static void check_hand_step(const char *scaling)
{
	char sc[64];
	snprintf(sc, sizeof sc, "mf.lr_scaling=%s", scaling);
	const char *kv[] = { data_kv("one.tsv"), "mf.rank=1", "mf.lr=0.1", "mf.lambda=0.2",
			     "mf.lr_decay=0", "mf.batch_fraction=1", sc, NULL };
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 1, 1, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(runcfg_check_unused(c), 0);
	CU_ASSERT_EQUAL(mf_ops.nrows(w), 2);
	CU_ASSERT_EQUAL_FATAL(mf_ops.row_len(w), 2);
	CU_ASSERT_EQUAL(mf_ops.units(w, 0), 1);
	double model[4] = { 1, 0.5, 2, -1.5 };
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.objective(w, model), 2.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.metric(w, model), 1.0, 1e-12);
	/* no held-out set: the test metric is NAN ("none") */
	CU_ASSERT(isnan(mf_ops.test_metric(w, model)));
	struct wl_update u;
	wl_update_init(&u);
	CU_ASSERT_EQUAL(mf_ops.step(w, 0, 0, model, &u), 1);
	CU_ASSERT_EQUAL_FATAL(u.nrows, 2);
	CU_ASSERT_EQUAL(u.rows[0], 0);
	CU_ASSERT_EQUAL(u.rows[1], 1);
	CU_ASSERT_DOUBLE_EQUAL(u.vals[0], -0.22, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(u.vals[1], -0.11, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(u.vals[2], -0.14, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(u.vals[3], -0.07, 1e-12);
	/* the model passed in is only read */
	CU_ASSERT_EQUAL(model[0], 1);
	CU_ASSERT_EQUAL(model[2], 2);
	/* applying the update: e = 3 - (3 + 0.39 - 1.57 + 0.78 * 1.86) */
	for (int k = 0; k < 4; k++)
		model[k] += u.vals[k];
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.metric(w, model), fabs(-(0.39 - 1.57 + 0.78 * 1.86)), 1e-12);
	wl_update_free(&u);
	mf_ops.destroy(w);
	runcfg_free(c);
}

static void test_hand_step(void)
{
	check_hand_step("none");
	/* batch_fraction 1 and one rating per row: one update per clock, so no scaling either */
	check_hand_step("clock");
}

/*
 * Schedule lr(c) = lr / (1 + decay * c / B), B = ceil(1 / batch_fraction) = 4 here. With one
 * rating and 4 minibatches the rating sits in minibatch 3 (positions [n*b/B, n*(b+1)/B)), so
 * clocks 0..2 do nothing and clock 3 applies lr(3) = 0.1 / 1.75. Model L = 1, b_u = 0, R = -1,
 * b_i = 0, mu = 3: e = 3 - (3 - 1) = 1, so the steps are lr(3) times (1 * -1 - 0.2 * 1) = -1.2
 * for L, (1 - 0) = 1 for b_u, (1 * 1 - 0.2 * -1) = 1.2 for R and 1 for b_i.
 */
static void test_schedule(void)
{
	const char *kv[] = { data_kv("one.tsv"), "mf.rank=1", "mf.lr=0.1", "mf.lambda=0.2",
			     "mf.lr_decay=1", "mf.batch_fraction=0.25", NULL };
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 1, 1, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.learning_rate(w, 0), 0.1, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.learning_rate(w, 4), 0.05, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.learning_rate(w, 8), 0.1 / 3, 1e-15);
	double model[4] = { 1, 0, -1, 0 };
	struct wl_update u;
	wl_update_init(&u);
	for (int clock = 0; clock < 3; clock++) {
		CU_ASSERT_EQUAL(mf_ops.step(w, 0, clock, model, &u), 0);
		CU_ASSERT_EQUAL(u.nrows, 0);
	}
	CU_ASSERT_EQUAL(mf_ops.step(w, 0, 3, model, &u), 1);
	CU_ASSERT_EQUAL_FATAL(u.nrows, 2);
	CU_ASSERT_DOUBLE_EQUAL(u.vals[0], 0.1 / 1.75 * -1.2, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(u.vals[1], 0.1 / 1.75 * 1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(u.vals[2], 0.1 / 1.75 * 1.2, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(u.vals[3], 0.1 / 1.75 * 1.0, 1e-12);
	wl_update_free(&u);
	mf_ops.destroy(w);
	runcfg_free(c);
}

/* ---- gradient check ---- */

/*
 * small.csv: 9 ratings, users 0..3 (rows 0..3), items 0..2 (rows 4..6). Rating counts, from
 * the file: users 2, 2, 2, 3; items 3, 3, 3.
 */
static const int small_count[7] = { 2, 2, 2, 3, 3, 3, 3 };

/*
 * With a tiny learning rate eta, one clock over all the data moves each row (factors and bias)
 * by eta * rate_row * sum over its ratings of (e * other - lambda * row) + O(eta^2) ("other" is
 * the other row's factors for a factor entry, 1 for the bias), which is
 * -eta * rate_row * (N / 2) * dF/drow for F = (sum e^2 + lambda sum n_row |row|^2) / N. Compare
 * with central finite differences of F.
 */
static void check_gradient(const char *scaling, int scaled)
{
	char sc[64];
	snprintf(sc, sizeof sc, "mf.lr_scaling=%s", scaling);
	const double eta = 1e-7, lambda = 0.3;
	const char *kv[] = { data_kv("small.csv"), "mf.rank=3", "mf.lr=1e-7", "mf.lambda=0.3",
			     "mf.lr_decay=0", "mf.batch_fraction=1", sc, NULL };
	(void)lambda;
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 1, 1, 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL_FATAL(mf_ops.nrows(w), 7);
	CU_ASSERT_EQUAL_FATAL(mf_ops.row_len(w), 4);
	size_t n = 7 * 4;
	double model[28];
	struct rng r;
	rng_init(&r, 99, 1);
	for (size_t k = 0; k < n; k++)
		model[k] = 0.2 + 0.8 * rng_uniform(&r);
	struct wl_update u;
	wl_update_init(&u);
	CU_ASSERT_EQUAL(mf_ops.step(w, 0, 0, model, &u), 9);
	CU_ASSERT_EQUAL_FATAL(u.nrows, 7);
	const double N = 9, h = 1e-6;
	double worst = 0;
	for (size_t j = 0; j < 7; j++) {
		CU_ASSERT_EQUAL(u.rows[j], j);
		for (size_t t = 0; t < 4; t++) {
			size_t k = j * 4 + t;
			double keep = model[k];
			model[k] = keep + h;
			double fp = mf_ops.objective(w, model);
			model[k] = keep - h;
			double fm = mf_ops.objective(w, model);
			model[k] = keep;
			double grad = (fp - fm) / (2 * h);
			double rate = scaled ? 1.0 / small_count[j] : 1.0;
			double want = -rate * (N / 2) * grad;
			double got = u.vals[j * 4 + t] / eta;
			double err = fabs(got - want) / (1 + fabs(want));
			if (err > worst)
				worst = err;
		}
	}
	CU_ASSERT(worst < 1e-4);
	if (!(worst < 1e-4))
		fprintf(stderr, "\n  gradient check (%s): worst relative error %g\n", scaling, worst);
	wl_update_free(&u);
	mf_ops.destroy(w);
	runcfg_free(c);
}

static void test_gradient(void)
{
	check_gradient("none", 0);
	/* batch_fraction 1: every row is expected n_row > 1 times per clock, rate = 1 / n_row */
	check_gradient("clock", 1);
}

/* ---- convergence ---- */

/* Parameters of the small synthetic problem used below (mirrors the config keys). */
static const struct mf_synth_params small_synth = { 500, 100, 10000, 4, 1.0, 1.2, 0.5, MF_SYNTH_MEAN, 0, 0, 1 };
#define SMALL_SYNTH_KV "mf.users=500", "mf.items=100", "mf.ratings=10000", "mf.true_rank=4"

/* Standard deviation of the ratings: the RMSE of always predicting the mean. */
static double rating_sd(const struct mf_data *d)
{
	double s = 0;
	for (size_t k = 0; k < d->n; k++)
		s += (d->ratings[k].r - d->mean) * (d->ratings[k].r - d->mean);
	return sqrt(s / (double)d->n);
}

/*
 * BSP by hand: every clock, each worker steps on the same model, and the sum of their updates
 * is added to it. Returns the final RMSE; *obj0 / *obj1 get the first and last objective.
 */
static double run_bsp(struct workload *w, int nworkers, int clocks, double *obj0, double *obj1)
{
	size_t rl = mf_ops.row_len(w), n = mf_ops.nrows(w) * rl;
	double *model = malloc(n * sizeof *model), *sum = calloc(n, sizeof *sum);
	mf_ops.init_model(w, model);
	*obj0 = mf_ops.objective(w, model);
	struct wl_update u;
	wl_update_init(&u);
	for (int clock = 0; clock < clocks; clock++) {
		for (int k = 0; k < nworkers; k++) {
			mf_ops.step(w, k, clock, model, &u);
			for (size_t j = 0; j < u.nrows; j++)
				for (size_t t = 0; t < rl; t++)
					sum[u.rows[j] * rl + t] += u.vals[j * rl + t];
		}
		for (size_t k = 0; k < n; k++) {
			model[k] += sum[k];
			sum[k] = 0;
		}
	}
	*obj1 = mf_ops.objective(w, model);
	double rmse = mf_ops.metric(w, model);
	wl_update_free(&u);
	free(model);
	free(sum);
	return rmse;
}

static void test_convergence(void)
{
	struct mf_data *d = mf_data_synthetic(&small_synth, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	double sd = rating_sd(d);
	mf_data_free(d);
	const char *kv[] = { SMALL_SYNTH_KV, "mf.rank=8", "mf.lr=0.1", "mf.lr_decay=0.05",
			     "mf.batch_fraction=0.1", NULL };
	for (int nw = 1; nw <= 8; nw += 7) {
		struct runcfg *c = cfg_of(kv);
		struct workload *w = make(c, nw, 4, 3);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		double o0, o1;
		/* 30 epochs of 10 clocks */
		double rmse = run_bsp(w, nw, 300, &o0, &o1);
		CU_ASSERT(o1 < 0.5 * o0);
		CU_ASSERT(rmse < 0.7 * sd);
		if (!(rmse < 0.7 * sd) || !(o1 < 0.5 * o0))
			fprintf(stderr, "\n  %d workers: objective %g -> %g, rmse %g, sd %g\n", nw, o0,
				o1, rmse, sd);
		mf_ops.destroy(w);
		runcfg_free(c);
	}
}

/* ---- synthetic data ---- */

static int cmp_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x < y) - (x > y);
}

/* Share of the ratings held by the top 10% of items. */
static double top_item_share(const struct mf_data *d)
{
	uint32_t *cnt = calloc(d->nitems, sizeof *cnt);
	for (size_t k = 0; k < d->n; k++)
		cnt[d->ratings[k].item]++;
	qsort(cnt, d->nitems, sizeof *cnt, cmp_desc);
	double top = 0;
	for (uint32_t i = 0; i < d->nitems / 10; i++)
		top += cnt[i];
	free(cnt);
	return top / (double)d->n;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct mf_rating *x = a, *y = b;
	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	return (x->item > y->item) - (x->item < y->item);
}

static void test_synthetic_shape(void)
{
	/* sparse enough that the most popular item (expected N / H_500 = 2,945 ratings) stays
	 * below the number of users: the popularity law shows nearly unsaturated */
	struct mf_synth_params p = { 20000, 500, 20000, 5, 1.0, 1.2, 0.5, MF_SYNTH_MEAN, 0, 0, 1 };
	struct mf_data *d = mf_data_synthetic(&p, 11);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->nusers, 20000);
	CU_ASSERT_EQUAL(d->nitems, 500);
	CU_ASSERT_EQUAL(d->n, 20000);
	size_t hist[6] = { 0 };
	double sum = 0;
	int bad = 0;
	for (size_t k = 0; k < d->n; k++) {
		float r = d->ratings[k].r;
		bad += r < 1 || r > 5 || r != floorf(r) || d->ratings[k].user >= 20000 ||
		       d->ratings[k].item >= 500;
		if (r >= 1 && r <= 5)
			hist[(int)r]++;
		sum += r;
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (int v = 1; v <= 5; v++)
		CU_ASSERT(hist[v] > 0);
	CU_ASSERT_DOUBLE_EQUAL(d->mean, sum / (double)d->n, 1e-9);
	/* centred on 3.6 with unit-variance signal: the clamped mean stays near it */
	CU_ASSERT(fabs(d->mean - 3.6) < 0.2);
	/*
	 * Zipf(1) over 500 items: the top 10% (50 items) carry H_50 / H_500 = 4.499 / 6.793 = 66%
	 * of the weight; uniform popularity gives them 10%.
	 */
	double share = top_item_share(d);
	CU_ASSERT(share > 0.60 && share < 0.72);
	if (!(share > 0.60 && share < 0.72))
		fprintf(stderr, "\n  top-10%% share %g\n", share);
	mf_data_free(d);
	p.zipf = 0;
	d = mf_data_synthetic(&p, 11);
	share = top_item_share(d);
	CU_ASSERT(share > 0.10 && share < 0.15);
	mf_data_free(d);

	/* users: log-normal activity, sigma 1.2 => mean / median = exp(sigma^2 / 2) = 2.05; no
	 * user above ceil(I/2) ratings; every (user, item) pair at most once */
	struct mf_synth_params q = { 1000, 2000, 60000, 5, 0.0, 1.2, 0.5, MF_SYNTH_MEAN, 0, 0, 1 };
	d = mf_data_synthetic(&q, 12);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	uint32_t *uc = calloc(d->nusers, sizeof *uc);
	for (size_t k = 0; k < d->n; k++)
		uc[d->ratings[k].user]++;
	qsort(uc, d->nusers, sizeof *uc, cmp_desc);
	CU_ASSERT(uc[0] <= 1000);
	double mean = (double)d->n / d->nusers, median = uc[d->nusers / 2];
	CU_ASSERT(mean / median > 1.6 && mean / median < 2.6);
	CU_ASSERT(uc[0] > 5 * mean);
	free(uc);
	struct mf_rating *s = malloc(d->n * sizeof *s);
	memcpy(s, d->ratings, d->n * sizeof *s);
	qsort(s, d->n, sizeof *s, cmp_pair);
	int dup = 0;
	for (size_t k = 1; k < d->n; k++)
		dup += s[k].user == s[k - 1].user && s[k].item == s[k - 1].item;
	CU_ASSERT_EQUAL(dup, 0);
	free(s);
	mf_data_free(d);

	/* dense corner: every user rates exactly ceil(I/2) items */
	struct mf_synth_params full = { 30, 9, 150, 2, 2.0, 1.0, 0.1, MF_SYNTH_MEAN, 0, 0, 1 };
	d = mf_data_synthetic(&full, 13);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->n, 150);
	mf_data_free(d);
	full.ratings = 151;
	diag_capture(msg, sizeof msg);
	CU_ASSERT_PTR_NULL(mf_data_synthetic(&full, 13));
	diag_capture(NULL, 0);
}

static void test_synthetic_determinism(void)
{
	struct mf_data *a = mf_data_synthetic(&small_synth, 21);
	struct mf_data *b = mf_data_synthetic(&small_synth, 21);
	struct mf_data *c = mf_data_synthetic(&small_synth, 22);
	CU_ASSERT_EQUAL_FATAL(a->n, b->n);
	CU_ASSERT_EQUAL(memcmp(a->ratings, b->ratings, a->n * sizeof *a->ratings), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a->ratings, c->ratings, a->n * sizeof *a->ratings), 0);
	mf_data_free(a);
	mf_data_free(b);
	mf_data_free(c);
}

/* ---- loader ---- */

struct want_rating {
	uint32_t user, item; /* dense ids */
	float r;             /* value */
};

static void check_file(const char *name, size_t n, uint32_t nusers, uint32_t nitems,
		       const struct want_rating *want, double mean)
{
	char rel[64];
	snprintf(rel, sizeof rel, "mf/%s", name);
	struct mf_data *d = mf_data_load(testutil_data(rel));
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->n, n);
	CU_ASSERT_EQUAL(d->nusers, nusers);
	CU_ASSERT_EQUAL(d->nitems, nitems);
	for (size_t k = 0; k < n && k < d->n; k++) {
		CU_ASSERT_EQUAL(d->ratings[k].user, want[k].user);
		CU_ASSERT_EQUAL(d->ratings[k].item, want[k].item);
		CU_ASSERT_EQUAL(d->ratings[k].r, want[k].r);
	}
	CU_ASSERT_DOUBLE_EQUAL(d->mean, mean, 1e-12);
	mf_data_free(d);
}

static void test_loader_formats(void)
{
	/* tab, comments, blank line, timestamps optional; users 100,5,42 -> 0,1,2; items
	 * 31,7,1029 -> 0,1,2 in first-seen order */
	static const struct want_rating tsv[] = {
		{ 0, 0, 4 }, { 1, 0, 3 }, { 0, 1, 1 }, { 2, 1, 5 }, { 1, 2, 2 } };
	check_file("ratings.tsv", 5, 3, 3, tsv, 15.0 / 5);
	/* comma with a MovieLens header line and half-star ratings */
	static const struct want_rating csv[] = {
		{ 0, 0, 5 }, { 0, 1, 3.5f }, { 1, 0, 0.5f }, { 2, 2, 4 } };
	check_file("ratings.csv", 4, 3, 3, csv, 13.0 / 4);
	/* '::' (MovieLens 1M), negative ids allowed */
	static const struct want_rating dat[] = { { 0, 0, 5 }, { 0, 1, 3 }, { 1, 0, 4 } };
	check_file("ratings.dat", 3, 2, 2, dat, 4.0);
}

/* Load text expecting failure with message "gaiasim: PATH" + tail. */
static void expect_load_error(const char *text, const char *tail)
{
	char *path = testutil_tmpfile(text);
	diag_capture(msg, sizeof msg);
	struct mf_data *d = mf_data_load(path);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(d);
	char want[2048];
	snprintf(want, sizeof want, "gaiasim: %s%s", path, tail);
	CU_ASSERT_STRING_EQUAL(msg, want);
	if (strcmp(msg, want))
		fprintf(stderr, "\n  got:  %s\n  want: %s\n", msg, want);
	mf_data_free(d);
	unlink(path);
	free(path);
}

static void test_loader_errors(void)
{
	expect_load_error("1\t2\t3\n4\t5\n",
			  ":2: expected 3 or 4 fields (user item rating [timestamp]) separated by "
			  "tab, got 2 in '4\t5'");
	expect_load_error("1,2,3\n# c\n1,3,abc\n", ":3: bad rating 'abc' (expected a finite number)");
	expect_load_error("1,2,3\n1,3,nan\n", ":2: bad rating 'nan' (expected a finite number)");
	expect_load_error("1,2,3\n1,3,\n", ":2: bad rating '' (expected a finite number)");
	expect_load_error("1::2::3\nx1::2::3\n", ":2: bad user id 'x1' (expected an integer)");
	expect_load_error("1::2::3\n1::2.5::3\n", ":2: bad item id '2.5' (expected an integer)");
	expect_load_error("1,2,3,4,5\n",
			  ":1: expected 3 or 4 fields (user item rating [timestamp]) separated by "
			  "',', got 5 in '1,2,3,4,5'");
	expect_load_error("1\t2\t3\n1,2,3\n",
			  ":2: expected 3 or 4 fields (user item rating [timestamp]) separated by "
			  "tab, got 1 in '1,2,3'");
	expect_load_error("1 2 3\n",
			  ":1: cannot tell the field separator of '1 2 3' (expected user, item and "
			  "rating separated by tab, ',' or '::')");
	expect_load_error("1,2,1e39\n", ":1: bad rating '1e39' (magnitude above 3.40282e+38 cannot be stored)");
	expect_load_error("", ": no ratings (the file is empty or holds only comments)");
	expect_load_error("# only\n\n   \n", ": no ratings (the file is empty or holds only comments)");
	expect_load_error("user,item,rating\n", ": no ratings (the file is empty or holds only comments)");

	/* a 10 MB line */
	size_t n = 10u << 20;
	char *text = malloc(n + 16);
	strcpy(text, "1,2,3\n");
	memset(text + 6, '7', n);
	strcpy(text + 6 + n, "\n");
	expect_load_error(text, ":2: line longer than 65536 bytes");
	free(text);

	diag_capture(msg, sizeof msg);
	CU_ASSERT_PTR_NULL(mf_data_load("/nonexistent/ratings.csv"));
	diag_capture(NULL, 0);
	CU_ASSERT_STRING_EQUAL(msg, "gaiasim: /nonexistent/ratings.csv: cannot open: No such file or directory");
}

/* ---- workload-level checks ---- */

static void test_config_errors(void)
{
	const char *bad_rank[] = { "mf.rank=0", NULL };
	struct runcfg *c = cfg_of(bad_rank);
	diag_capture(msg, sizeof msg);
	CU_ASSERT_PTR_NULL(make(c, 1, 1, 1));
	diag_capture(NULL, 0);
	CU_ASSERT_STRING_EQUAL(msg, "gaiasim: <command line>: mf.rank: bad value '0' (expected an integer in [1, 1024])");
	runcfg_free(c);

	const char *too_many[] = { "mf.users=10", "mf.items=4", "mf.ratings=21", NULL };
	c = cfg_of(too_many);
	diag_capture(msg, sizeof msg);
	CU_ASSERT_PTR_NULL(make(c, 1, 1, 1));
	diag_capture(NULL, 0);
	CU_ASSERT_STRING_EQUAL(msg, "gaiasim: <command line>: mf.ratings: 21 ratings do not fit 10 users x 4 "
			       "items (each user rates at most ceil(items/2) items: at most 20 ratings)");
	runcfg_free(c);

	const char *missing[] = { "mf.data=/nonexistent/r.csv", NULL };
	c = cfg_of(missing);
	diag_capture(msg, sizeof msg);
	CU_ASSERT_PTR_NULL(make(c, 1, 1, 1));
	diag_capture(NULL, 0);
	CU_ASSERT_STRING_EQUAL(msg, "gaiasim: /nonexistent/r.csv: cannot open: No such file or directory");
	runcfg_free(c);

	/* Keys that do not apply (mf.skew with a random partition, generator keys with a rating
	 * file) are accepted when given, so one config can switch data or partition, but still
	 * validated, so a bad value is an error. */
	const char *unused[] = { data_kv("small.csv"), "mf.skew=0.5", "mf.users=100", NULL };
	c = cfg_of(unused);
	struct workload *w = make(c, 1, 1, 1);
	CU_ASSERT_PTR_NOT_NULL(w);
	CU_ASSERT_EQUAL(runcfg_check_unused(c), 0);
	mf_ops.destroy(w);
	runcfg_free(c);
	const char *bad_unused[] = { data_kv("small.csv"), "mf.skew=2", NULL };
	c = cfg_of(bad_unused);
	diag_capture(msg, sizeof msg);
	CU_ASSERT_PTR_NULL(make(c, 1, 1, 1));
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "mf.skew: bad value '2'"));
	runcfg_free(c);
}

/* Step a fresh workload's worker through `clocks`, returning a copy of the last update. */
static void last_update(struct workload *w, int worker, const int64_t *clocks, int nclocks,
			const double *model, struct wl_update *out)
{
	for (int k = 0; k < nclocks; k++)
		mf_ops.step(w, worker, clocks[k], model, out);
}

static int same_update(const struct wl_update *a, const struct wl_update *b, size_t rl)
{
	return a->nrows == b->nrows && !memcmp(a->rows, b->rows, a->nrows * sizeof *a->rows) &&
	       !memcmp(a->vals, b->vals, a->nrows * rl * sizeof *a->vals);
}

static void test_determinism(void)
{
	const char *kv[] = { SMALL_SYNTH_KV, "mf.rank=4", NULL };
	struct runcfg *c1 = cfg_of(kv), *c2 = cfg_of(kv), *c3 = cfg_of(kv);
	struct workload *a = make(c1, 3, 2, 7), *b = make(c2, 3, 2, 7), *o = make(c3, 3, 2, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	size_t rl = mf_ops.row_len(a), n = mf_ops.nrows(a) * rl;
	CU_ASSERT_EQUAL(rl, 5); /* rank 4 + the bias */
	double *ma = malloc(n * sizeof *ma), *mb = malloc(n * sizeof *mb);
	mf_ops.init_model(a, ma);
	mf_ops.init_model(b, mb);
	CU_ASSERT_EQUAL(memcmp(ma, mb, n * sizeof *ma), 0);
	CU_ASSERT_EQUAL(mf_ops.objective(a, ma), mf_ops.objective(b, mb));
	/* a different seed gives different data */
	CU_ASSERT_NOT_EQUAL(mf_ops.objective(a, ma), mf_ops.objective(o, ma));
	struct wl_update ua, ub;
	wl_update_init(&ua);
	wl_update_init(&ub);
	/* same calls, same updates */
	int64_t seq[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
	last_update(a, 1, seq, 14, ma, &ua);
	last_update(b, 1, seq, 14, ma, &ub);
	CU_ASSERT_TRUE(same_update(&ua, &ub, rl));
	/* a step is a function of (seed, worker, clock, model): jumping straight to clock 13 on
	 * another instance gives the same update, and so does repeating it */
	struct runcfg *c4 = cfg_of(kv);
	struct workload *f = make(c4, 3, 2, 7);
	int64_t jump[] = { 13 };
	last_update(f, 1, jump, 1, ma, &ub);
	CU_ASSERT_TRUE(same_update(&ua, &ub, rl));
	last_update(f, 1, seq, 14, ma, &ub);
	CU_ASSERT_TRUE(same_update(&ua, &ub, rl));
	/* other workers and other clocks differ */
	last_update(f, 0, jump, 1, ma, &ub);
	CU_ASSERT_FALSE(same_update(&ua, &ub, rl));
	wl_update_free(&ua);
	wl_update_free(&ub);
	free(ma);
	free(mb);
	mf_ops.destroy(a);
	mf_ops.destroy(b);
	mf_ops.destroy(o);
	mf_ops.destroy(f);
	runcfg_free(c1);
	runcfg_free(c2);
	runcfg_free(c3);
	runcfg_free(c4);
}

/*
 * One worker, one epoch: updates list rows strictly ascending, the clocks' units add up to the
 * worker's data, and the union of rows touched is exactly the set of rows with a rating.
 */
static void test_update_rows(void)
{
	const char *kv[] = { SMALL_SYNTH_KV, "mf.rank=2", "mf.batch_fraction=0.3", NULL };
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 1, 1, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	struct mf_data *d = mf_data_synthetic(&small_synth, 3);
	size_t nrows = mf_ops.nrows(w);
	enum { RL = 3 }; /* rank 2 + the bias */
	CU_ASSERT_EQUAL_FATAL(mf_ops.row_len(w), RL);
	CU_ASSERT_EQUAL(nrows, 600);
	CU_ASSERT_EQUAL(mf_ops.units(w, 0), d->n);
	char *rated = calloc(nrows, 1), *seen = calloc(nrows, 1);
	for (size_t k = 0; k < d->n; k++) {
		rated[d->ratings[k].user] = 1;
		rated[500 + d->ratings[k].item] = 1;
	}
	double *model = malloc(nrows * RL * sizeof *model);
	mf_ops.init_model(w, model);
	struct wl_update u;
	wl_update_init(&u);
	uint64_t units = 0;
	int ascending = 1;
	/* batch_fraction 0.3 => B = ceil(3.33) = 4 clocks per epoch */
	for (int clock = 0; clock < 4; clock++) {
		/* step() reads only the rows announced by rows_needed(): poison all the others */
		const uint32_t *need;
		size_t nneed = mf_ops.rows_needed(w, 0, clock, &need);
		uint32_t *keep = malloc((nneed + 1) * sizeof *keep);
		memcpy(keep, need, nneed * sizeof *keep);
		double *view = malloc(nrows * RL * sizeof *view);
		for (size_t k = 0; k < nrows * RL; k++)
			view[k] = NAN;
		for (size_t j = 0; j < nneed; j++)
			memcpy(view + keep[j] * RL, model + keep[j] * RL, RL * sizeof *view);
		uint64_t got = mf_ops.step(w, 0, clock, view, &u);
		/* the update covers exactly the announced rows, with finite values */
		CU_ASSERT_EQUAL(u.nrows, nneed);
		CU_ASSERT(u.nrows == nneed && !memcmp(u.rows, keep, nneed * sizeof *keep));
		int finite = 1;
		for (size_t k = 0; k < u.nrows * RL; k++)
			finite &= isfinite(u.vals[k]);
		CU_ASSERT(finite);
		free(view);
		free(keep);
		CU_ASSERT(got == d->n / 4 || got == d->n / 4 + 1);
		units += got;
		CU_ASSERT(u.nrows <= 2 * got);
		for (size_t j = 0; j < u.nrows; j++) {
			if (j > 0 && u.rows[j] <= u.rows[j - 1])
				ascending = 0;
			if (u.rows[j] < nrows)
				seen[u.rows[j]] = 1;
		}
	}
	CU_ASSERT(ascending);
	CU_ASSERT_EQUAL(units, d->n);
	CU_ASSERT_EQUAL(memcmp(rated, seen, nrows), 0);
	wl_update_free(&u);
	free(model);
	free(rated);
	free(seen);
	mf_data_free(d);
	mf_ops.destroy(w);
	runcfg_free(c);
}

/* ---- held-out data ---- */

/* "KEY=<path of tests/data/mf/NAME>" into buf. */
static const char *kv_path(char *buf, size_t size, const char *key, const char *name)
{
	char rel[64];
	snprintf(rel, sizeof rel, "mf/%s", name);
	snprintf(buf, size, "%s=%s", key, testutil_data(rel));
	return buf;
}

static int cmp_rating(const void *a, const void *b)
{
	const struct mf_rating *x = a, *y = b;
	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	return (x->item > y->item) - (x->item < y->item);
}

/*
 * mf_data_split: the held-out part has round(F * n) ratings, training and held-out are disjoint
 * and together are the data (the generator makes every (user, item) pair unique, so pairs
 * identify ratings), the same seed gives the same split and another seed another.
 */
static void test_split(void)
{
	static const double fractions[] = { 0.1, 0.25, 1.0 / 3 };
	for (int f = 0; f < 3; f++) {
		struct mf_data *d = mf_data_synthetic(&small_synth, 3);
		struct mf_data *all = mf_data_synthetic(&small_synth, 3);
		struct mf_data *d2 = mf_data_synthetic(&small_synth, 3);
		struct mf_data *d3 = mf_data_synthetic(&small_synth, 3);
		CU_ASSERT_PTR_NOT_NULL_FATAL(d3);
		size_t n = d->n, want = (size_t)floor(fractions[f] * (double)n + 0.5);
		struct mf_data *t = mf_data_split(d, fractions[f], 11);
		struct mf_data *t2 = mf_data_split(d2, fractions[f], 11);
		struct mf_data *t3 = mf_data_split(d3, fractions[f], 12);
		CU_ASSERT_EQUAL(t->n, want);
		CU_ASSERT_EQUAL(d->n + t->n, n);
		CU_ASSERT_EQUAL(t->nusers, all->nusers);
		CU_ASSERT_EQUAL(t->nitems, all->nitems);
		/* disjoint, and the union is the data: sort all three by pair and merge */
		qsort(d->ratings, d->n, sizeof *d->ratings, cmp_rating);
		qsort(t->ratings, t->n, sizeof *t->ratings, cmp_rating);
		qsort(all->ratings, all->n, sizeof *all->ratings, cmp_rating);
		size_t a = 0, b = 0, bad = 0;
		for (size_t k = 0; k < all->n; k++) {
			const struct mf_rating *x = &all->ratings[k];
			int in_d = a < d->n && !cmp_rating(&d->ratings[a], x);
			int in_t = b < t->n && !cmp_rating(&t->ratings[b], x);
			if (in_d + in_t != 1 || (in_d && d->ratings[a].r != x->r) ||
			    (in_t && t->ratings[b].r != x->r))
				bad++;
			a += (size_t)in_d;
			b += (size_t)in_t;
		}
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT(a == d->n && b == t->n);
		/* training mean recomputed */
		double s = 0;
		for (size_t k = 0; k < d->n; k++)
			s += d->ratings[k].r;
		CU_ASSERT_DOUBLE_EQUAL(d->mean, s / (double)d->n, 1e-12);
		/* same seed: same held-out ratings in the same order; another seed: another set */
		CU_ASSERT_EQUAL(t2->n, want);
		int same = t2->n == t->n, other = t3->n == want;
		qsort(t2->ratings, t2->n, sizeof *t2->ratings, cmp_rating);
		qsort(t3->ratings, t3->n, sizeof *t3->ratings, cmp_rating);
		same = same && !memcmp(t->ratings, t2->ratings, t->n * sizeof *t->ratings);
		other = other && memcmp(t->ratings, t3->ratings, t->n * sizeof *t->ratings) != 0;
		CU_ASSERT(same);
		CU_ASSERT(other);
		mf_data_free(d);
		mf_data_free(d2);
		mf_data_free(d3);
		mf_data_free(all);
		mf_data_free(t);
		mf_data_free(t2);
		mf_data_free(t3);
	}
	/* through the workload: no held-out set by default (NAN), one with mf.test_fraction */
	const char *none[] = { SMALL_SYNTH_KV, "mf.rank=2", NULL };
	const char *some[] = { SMALL_SYNTH_KV, "mf.rank=2", "mf.test_fraction=0.2", NULL };
	struct runcfg *c1 = cfg_of(none), *c2 = cfg_of(some);
	diag_capture(msg, sizeof msg); /* (a note if a user lost all its ratings to the split) */
	struct workload *w1 = make(c1, 2, 2, 3), *w2 = make(c2, 2, 2, 3);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w2);
	CU_ASSERT_EQUAL(mf_ops.units(w1, 0) + mf_ops.units(w1, 1), 10000);
	CU_ASSERT_EQUAL(mf_ops.units(w2, 0) + mf_ops.units(w2, 1), 8000);
	size_t n = mf_ops.nrows(w2) * mf_ops.row_len(w2);
	double *model = calloc(n, sizeof *model);
	CU_ASSERT(isnan(mf_ops.test_metric(w1, model)));
	double tr = mf_ops.test_metric(w2, model);
	CU_ASSERT(isfinite(tr) && tr > 0);
	free(model);
	mf_ops.destroy(w1);
	mf_ops.destroy(w2);
	runcfg_free(c1);
	runcfg_free(c2);
}

/*
 * heldout-train.tsv: (1,10,4) (2,20,2) (3,10,3), so mu = 3; rows: users 1, 2, 3 -> 0, 1, 2,
 * items 10, 20 -> 3, 4 (first-seen order). heldout-test.tsv: (1,10,5) (4,10,3) (1,30,4)
 * (5,40,2) (2,20,2): user 4, item 30 and user 5 with item 40 are not in training, so 3 of 5
 * ratings are unseen. Rank 1, model rows [L, b]: user 1 = [1, 0.5], user 2 = [0, -0.5],
 * user 3 = [0, 0], item 10 = [0.5, 0.25], item 20 = [0, -0.25]. Predictions:
 *   (1,10): 3 + 0.5 + 0.25 + 1 * 0.5 = 4.25, e = 0.75
 *   (4,10): 3 + 0.25 (no user bias, no factor term) = 3.25, e = -0.25
 *   (1,30): 3 + 0.5 = 3.5, e = 0.5
 *   (5,40): 3 (the global mean alone), e = -1
 *   (2,20): 3 - 0.5 - 0.25 + 0 = 2.25, e = -0.25
 * test RMSE = sqrt((0.5625 + 0.0625 + 0.25 + 1 + 0.0625) / 5) = sqrt(0.3875).
 */
static void test_heldout_file(void)
{
	char a[4200], b[4200];
	const char *kv[] = { kv_path(a, sizeof a, "mf.data", "heldout-train.tsv"),
			     kv_path(b, sizeof b, "mf.test_data", "heldout-test.tsv"), "mf.rank=1",
			     NULL };
	struct runcfg *c = cfg_of(kv);
	diag_capture(msg, sizeof msg);
	struct workload *w = make(c, 1, 1, 1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_STRING_EQUAL(msg, "gaiasim: note: mf.test_data: 3 of 5 test ratings have a user "
			       "or item not in training (predicted from the global mean plus the "
			       "known bias)");
	CU_ASSERT_EQUAL(runcfg_check_unused(c), 0);
	CU_ASSERT_EQUAL(mf_ops.nrows(w), 5); /* training rows only */
	CU_ASSERT_EQUAL(mf_ops.units(w, 0), 3);
	double model[10] = { 1, 0.5, 0, -0.5, 0, 0, 0.5, 0.25, 0, -0.25 };
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.test_metric(w, model), sqrt(0.3875), 1e-12);
	/* training RMSE on the training file: (1,10,4): 4.25; (2,20,2): 2.25; (3,10,3): 3.25 */
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.metric(w, model), sqrt((0.0625 * 3) / 3), 1e-12);
	mf_ops.destroy(w);
	runcfg_free(c);

	/* a bad test file is rejected with its FILE:LINE and nothing is created */
	const char *bad[] = { kv_path(a, sizeof a, "mf.data", "heldout-train.tsv"),
			      kv_path(b, sizeof b, "mf.test_data", "heldout-bad.tsv"), NULL };
	c = cfg_of(bad);
	diag_capture(msg, sizeof msg);
	CU_ASSERT_PTR_NULL(make(c, 1, 1, 1));
	diag_capture(NULL, 0);
	char want[4400];
	snprintf(want, sizeof want, "gaiasim: %s:2: bad rating 'five' (expected a finite number)",
		 testutil_data("mf/heldout-bad.tsv"));
	CU_ASSERT_STRING_EQUAL(msg, want);
	runcfg_free(c);
}

/* Bad held-out settings name the key's FILE:LINE (here the command line) and the value. */
static void test_heldout_errors(void)
{
	static const struct {
		const char *kv[4]; /* overrides */
		const char *want;  /* expected message (a substring) */
	} cases[] = {
		{ { "mf.test_fraction=1.5", NULL },
		  "<command line>: mf.test_fraction: bad value '1.5' (expected a number in [0, 0.99])" },
		{ { "mf.test_fraction=-0.1", NULL }, "mf.test_fraction: bad value '-0.1'" },
		{ { "mf.test_data=x.tsv", NULL },
		  "<command line>: mf.test_data: 'x.tsv' needs mf.data to be a rating file" },
		{ { "mf.data=y.tsv", "mf.test_data=x.tsv", "mf.test_fraction=0.1", NULL },
		  "<command line>: mf.test_fraction: 0.1 cannot be combined with mf.test_data" },
		{ { "mf.users=10", "mf.items=4", "mf.ratings=20", "mf.test_fraction=0.01" },
		  "<command line>: mf.test_fraction: 0.01 of 20 ratings holds out 0" },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		const char *kv[5] = { cases[k].kv[0], cases[k].kv[1], cases[k].kv[2], cases[k].kv[3],
				      NULL };
		struct runcfg *c = cfg_of(kv);
		msg[0] = '\0';
		diag_capture(msg, sizeof msg);
		CU_ASSERT_PTR_NULL(make(c, 1, 1, 1));
		diag_capture(NULL, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, cases[k].want));
		if (!strstr(msg, cases[k].want))
			fprintf(stderr, "\n  got:  %s\n  want: %s\n", msg, cases[k].want);
		runcfg_free(c);
	}
	/* the missing test file is reported as such */
	char a[4200];
	const char *kv[] = { kv_path(a, sizeof a, "mf.data", "heldout-train.tsv"),
			     "mf.test_data=/nonexistent/t.tsv", NULL };
	struct runcfg *c = cfg_of(kv);
	diag_capture(msg, sizeof msg);
	CU_ASSERT_PTR_NULL(make(c, 1, 1, 1));
	diag_capture(NULL, 0);
	CU_ASSERT_STRING_EQUAL(msg, "gaiasim: /nonexistent/t.tsv: cannot open: No such file or directory");
	runcfg_free(c);
}

/* ---- quality on planted problems ---- */

/*
 * BSP by hand (as run_bsp) for `epochs` epochs of B clocks from the initial model; returns the
 * model (caller frees) and stores the test RMSE after every epoch in test[0..epochs) if given.
 */
static double *train_bsp(struct workload *w, int nworkers, int epochs, int B, double *test)
{
	size_t rl = mf_ops.row_len(w), n = mf_ops.nrows(w) * rl;
	double *model = malloc(n * sizeof *model), *sum = calloc(n, sizeof *sum);
	mf_ops.init_model(w, model);
	struct wl_update u;
	wl_update_init(&u);
	for (int clock = 0; clock < epochs * B; clock++) {
		for (int k = 0; k < nworkers; k++) {
			mf_ops.step(w, k, clock, model, &u);
			for (size_t j = 0; j < u.nrows; j++)
				for (size_t t = 0; t < rl; t++)
					sum[u.rows[j] * rl + t] += u.vals[j * rl + t];
		}
		for (size_t k = 0; k < n; k++) {
			model[k] += sum[k];
			sum[k] = 0;
		}
		if (test && (clock + 1) % B == 0)
			test[clock / B] = mf_ops.test_metric(w, model);
	}
	wl_update_free(&u);
	free(sum);
	return model;
}

/* Mean of x[0..n) over the entries with use[k] != 0. */
static double mean_where(const double *x, const uint32_t *use, size_t n)
{
	double s = 0;
	size_t m = 0;
	for (size_t k = 0; k < n; k++)
		if (use[k]) {
			s += x[k];
			m++;
		}
	return m ? s / (double)m : 0;
}

/*
 * Planted biases, no interaction, no noise, real-valued ratings: r = 3.53 + o_u + o_i.
 * (1) The global mean is the training mean exactly: with an all-zero model the training RMSE^2 is
 * (1/N) sum (r - mu)^2 = var + (mu - mean)^2, so it equals the variance about the mean (computed
 * here from the generator's output) only if mu = mean (to ~1e-6 at tolerance 1e-12).
 * (2) Offsets are recovered: with lambda 0 the data are fitted exactly by b_u = o_u + c,
 * b_i = o_i + (3.53 - mu) - c for any c (the only freedom of mu + b_u + b_i on a connected
 * rating graph), so after centring, b_u - mean(b) must equal o_u - mean(o) for every user.
 * Tolerance 0.02 stars (offsets have sd 0.3): SGD converges geometrically on a consistent
 * noise-free system, and the rank-1 factors start at N(0, 0.1^2), so their product can leave
 * an error of order 0.01 in the biases.
 */
static void test_bias_recovery(void)
{
	const char *kv[] = { "mf.users=300", "mf.items=100", "mf.ratings=12000", "mf.zipf=0",
			     "mf.user_sigma=0", "mf.true_rank=0", "mf.noise=0", "mf.round=0",
			     "mf.true_mean=3.53", "mf.true_user_bias=0.3", "mf.true_item_bias=0.3",
			     "mf.rank=1", "mf.lambda=0", NULL };
	const struct mf_synth_params sp = { 300, 100, 12000, 0, 0, 0, 0, 3.53, 0.3, 0.3, 0 };
	struct mf_data *d = mf_data_synthetic(&sp, 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 4, 2, 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(runcfg_check_unused(c), 0);
	size_t rl = mf_ops.row_len(w), nrows = mf_ops.nrows(w);
	CU_ASSERT_EQUAL_FATAL(rl, 2);
	double *zero = calloc(nrows * rl, sizeof *zero);
	double var = 0;
	for (size_t k = 0; k < d->n; k++)
		var += (d->ratings[k].r - d->mean) * (d->ratings[k].r - d->mean);
	var /= (double)d->n;
	double m0 = mf_ops.metric(w, zero);
	CU_ASSERT_DOUBLE_EQUAL(m0 * m0, var, 1e-12);
	free(zero);

	double *model = train_bsp(w, 4, 40, 20, NULL);
	uint32_t *rated = calloc(d->nusers, sizeof *rated);
	for (size_t k = 0; k < d->n; k++)
		rated[d->ratings[k].user] = 1;
	double *bu = malloc(d->nusers * sizeof *bu);
	for (size_t u = 0; u < d->nusers; u++)
		bu[u] = model[u * rl + 1];
	double cb = mean_where(bu, rated, d->nusers), co = mean_where(d->user_offset, rated, d->nusers);
	double worst = 0;
	for (size_t u = 0; u < d->nusers; u++)
		if (rated[u] && fabs((bu[u] - cb) - (d->user_offset[u] - co)) > worst)
			worst = fabs((bu[u] - cb) - (d->user_offset[u] - co));
	CU_ASSERT(worst < 0.02);
	if (!(worst < 0.02))
		fprintf(stderr, "\n  bias recovery: worst user offset error %g\n", worst);
	free(bu);
	free(rated);
	free(model);
	mf_data_free(d);
	mf_ops.destroy(w);
	runcfg_free(c);
}

/*
 * A planted problem with Gaussian noise sigma = 0.3 and real-valued ratings (so sigma is the
 * noise floor: the best possible test RMSE), dense enough to learn: 400 users x 200 items,
 * 30,000 ratings (37.5% of the pairs), uniform popularity and activity, rank-3 truth, offsets of
 * sd 0.3; 20% held out.
 */
#define PLANTED_KV "mf.users=400", "mf.items=200", "mf.ratings=30000", "mf.zipf=0", \
	"mf.user_sigma=0", "mf.true_rank=3", "mf.noise=0.3", "mf.round=0", \
	"mf.true_user_bias=0.3", "mf.true_item_bias=0.3", "mf.test_fraction=0.2"
#define PLANTED_SIGMA 0.3

/*
 * With the model rank matching the truth, the test RMSE after 40 epochs is within 15% of sigma.
 * The margin: a least-squares fit of p = (400 + 200) * 4 parameters to n = 24,000 ratings has
 * expected test RMSE sigma * sqrt(1 + p/n) = 1.05 sigma; the default lambda adds a small
 * shrinkage bias. It must also beat predicting the global mean (the zero model's test RMSE),
 * which is about sqrt(sigma^2 + 0.3^2 + 0.3^2 + 1) = 1.12 here.
 */
static void test_noise_floor(void)
{
	const char *kv[] = { PLANTED_KV, "mf.rank=3", NULL };
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 8, 4, 9);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	size_t n = mf_ops.nrows(w) * mf_ops.row_len(w);
	double *zero = calloc(n, sizeof *zero);
	double base = mf_ops.test_metric(w, zero);
	double test[40];
	double *model = train_bsp(w, 8, 40, 20, test);
	CU_ASSERT(test[39] < 1.15 * PLANTED_SIGMA);
	CU_ASSERT(test[39] > 0.9 * PLANTED_SIGMA); /* nothing beats the noise by much */
	CU_ASSERT(test[39] < base);
	if (!(test[39] < 1.15 * PLANTED_SIGMA && test[39] < base && test[39] > 0.9 * PLANTED_SIGMA))
		fprintf(stderr, "\n  noise floor: test RMSE %g (sigma %g, mean predictor %g)\n",
			test[39], PLANTED_SIGMA, base);
	free(zero);
	free(model);
	mf_ops.destroy(w);
	runcfg_free(c);
}

/*
 * With every training default (rank 16 > true rank 3, so the model can fit noise), the test
 * RMSE does not rise over the last half of 40 epochs: the value after the last epoch is not
 * above the value after epoch 20, and no epoch in between exceeds it by more than 0.5% (SGD's
 * epoch-to-epoch jitter; overfitting shows as a steady climb).
 */
static void test_no_overfit(void)
{
	const char *kv[] = { PLANTED_KV, NULL };
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 8, 4, 9);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	double test[40];
	double *model = train_bsp(w, 8, 40, 20, test);
	double mid = test[19], worst = 0;
	for (int e = 20; e < 40; e++)
		if (test[e] > worst)
			worst = test[e];
	CU_ASSERT(test[39] <= mid);
	CU_ASSERT(worst <= 1.005 * mid);
	if (!(test[39] <= mid) || !(worst <= 1.005 * mid))
		fprintf(stderr, "\n  overfit: test RMSE %g at epoch 20, %g at 40, max %g\n", mid,
			test[39], worst);
	free(model);
	mf_ops.destroy(w);
	runcfg_free(c);
}

/*
 * The MovieLens-100k-format fixture (tests/mf_fixture.c: 2,000 + 500 ratings of a planted model,
 * noise 0.5, whole stars) loads as u1.base / u1.test would, and training lowers the test RMSE
 * below that of predicting the training mean.
 */
static void test_movielens_fixture(void)
{
	char a[4200], b[4200];
	const char *kv[] = { kv_path(a, sizeof a, "mf.data", "ml-planted/u1.base"),
			     kv_path(b, sizeof b, "mf.test_data", "ml-planted/u1.test"), NULL };
	struct runcfg *c = cfg_of(kv);
	diag_capture(msg, sizeof msg); /* (the note on unseen rows, if any) */
	struct workload *w = make(c, 2, 2, 1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(mf_ops.units(w, 0) + mf_ops.units(w, 1), 2000);
	size_t n = mf_ops.nrows(w) * mf_ops.row_len(w);
	double *zero = calloc(n, sizeof *zero);
	double base = mf_ops.test_metric(w, zero);
	double test[40];
	double *model = train_bsp(w, 2, 40, 20, test);
	CU_ASSERT(test[39] < base);
	if (!(test[39] < base))
		fprintf(stderr, "\n  fixture: test RMSE %g, mean predictor %g\n", test[39], base);
	free(zero);
	free(model);
	mf_ops.destroy(w);
	runcfg_free(c);
}

/* ---- partitions ---- */

static void test_partition_random(void)
{
	const char *kv[] = { SMALL_SYNTH_KV, "mf.ratings=40000", "mf.users=5000", NULL };
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 8, 4, 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	uint64_t total = 0;
	for (int k = 0; k < 8; k++) {
		uint64_t n = mf_ops.units(w, k);
		total += n;
		/* binomial(40000, 1/8): mean 5000, sd 66; 6% = 4.5 sd */
		CU_ASSERT(n > 4700 && n < 5300);
	}
	CU_ASSERT_EQUAL(total, 40000);
	mf_ops.destroy(w);
	runcfg_free(c);
}

/* Sum over users of the ratings in the user's most frequent region, over all ratings. */
static double user_locality(const struct mf_data *d, const uint32_t *owner, const int *region,
			    int nregions)
{
	uint32_t *cnt = calloc((size_t)d->nusers * nregions, sizeof *cnt);
	for (size_t k = 0; k < d->n; k++)
		cnt[d->ratings[k].user * nregions + region[owner[k]]]++;
	double top = 0;
	for (uint32_t u = 0; u < d->nusers; u++) {
		uint32_t m = 0;
		for (int g = 0; g < nregions; g++)
			if (cnt[u * nregions + g] > m)
				m = cnt[u * nregions + g];
		top += m;
	}
	free(cnt);
	return top / (double)d->n;
}

static void test_partition_skewed(void)
{
	/* 200 ratings per user; regions 0..3 with 3, 1, 0 and 2 workers */
	struct mf_synth_params p = { 200, 2000, 40000, 3, 1.0, 0.5, 0.5, MF_SYNTH_MEAN, 0, 0, 1 };
	struct mf_data *d = mf_data_synthetic(&p, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	const int region[6] = { 0, 0, 0, 1, 3, 3 };
	uint32_t *owner = mf_data_partition(d, MF_PARTITION_SKEWED, 0.8, 6, region, 4, 4);
	/* a user's home region gets skew + (1 - skew) / 3 = 0.867 of its ratings on average */
	double loc = user_locality(d, owner, region, 4);
	CU_ASSERT(loc > 0.83 && loc < 0.90);
	uint32_t per_worker[6] = { 0 };
	for (size_t k = 0; k < d->n; k++)
		per_worker[owner[k]]++;
	/* a region's ratings are dealt evenly to its workers; region 2 has none and gets none */
	CU_ASSERT(per_worker[0] - per_worker[2] <= 1 && per_worker[0] >= per_worker[2]);
	CU_ASSERT(per_worker[4] - per_worker[5] <= 1 && per_worker[4] >= per_worker[5]);
	CU_ASSERT_EQUAL(per_worker[0] + per_worker[1] + per_worker[2] + per_worker[3] +
			per_worker[4] + per_worker[5], d->n);
	free(owner);
	/* skew 0: regions drawn uniformly, like a random split over regions */
	owner = mf_data_partition(d, MF_PARTITION_SKEWED, 0.0, 6, region, 4, 4);
	double loc0 = user_locality(d, owner, region, 4);
	CU_ASSERT(loc0 < 0.45);
	free(owner);
	/* random: workers uniformly, so region 0 (3 of 6 workers) gets about half */
	owner = mf_data_partition(d, MF_PARTITION_RANDOM, 0, 6, region, 4, 4);
	double locr = user_locality(d, owner, region, 4);
	CU_ASSERT(locr > 0.45 && locr < 0.6);
	free(owner);
	mf_data_free(d);
}

/* ---- table and update helpers ---- */

static void test_table_and_buffers(void)
{
	CU_ASSERT_PTR_EQUAL(workload_find("mf"), &mf_ops);
	CU_ASSERT_PTR_NULL(workload_find("no-such-workload"));
	CU_ASSERT_STRING_EQUAL(mf_ops.metric_name, "rmse");
	CU_ASSERT_STRING_EQUAL(mf_ops.test_metric_name, "test_rmse");
	CU_ASSERT_PTR_NOT_NULL(mf_ops.test_metric);
	CU_ASSERT_EQUAL(mf_ops.test_higher_better, 0);
	struct wl_update u;
	wl_update_init(&u);
	CU_ASSERT_EQUAL(u.nrows, 0);
	CU_ASSERT_PTR_NULL(u.rows);
	wl_update_reserve(&u, 5, 3);
	CU_ASSERT(u.cap >= 5);
	u.rows[4] = 1;
	u.vals[14] = 1;
	wl_update_reserve(&u, 1000, 3);
	CU_ASSERT(u.cap >= 1000);
	u.rows[999] = 1;
	u.vals[2999] = 1;
	wl_update_free(&u);
	CU_ASSERT_PTR_NULL(u.rows);
	CU_ASSERT_EQUAL(u.cap, 0);

	const char *kv[] = { data_kv("one.tsv"), "mf.ns_per_rating=123.5", NULL };
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 2, 1, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(mf_ops.ns_per_unit(w), 123.5);
	/* one rating, two workers: one of them has nothing to do */
	CU_ASSERT_EQUAL(mf_ops.units(w, 0) + mf_ops.units(w, 1), 1);
	double model[2 * 17]; /* two rows of the default rank 16 + the bias */
	CU_ASSERT_EQUAL_FATAL(mf_ops.row_len(w), 17);
	mf_ops.init_model(w, model);
	struct wl_update e;
	wl_update_init(&e);
	int idle = mf_ops.units(w, 0) == 0 ? 0 : 1;
	CU_ASSERT_EQUAL(mf_ops.step(w, idle, 0, model, &e), 0);
	CU_ASSERT_EQUAL(e.nrows, 0);
	wl_update_free(&e);
	mf_ops.destroy(w);
	runcfg_free(c);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "hand-worked step", test_hand_step },
		{ "learning-rate schedule", test_schedule },
		{ "gradient check", test_gradient },
		{ "convergence (1 and 8 workers)", test_convergence },
		{ "synthetic shape", test_synthetic_shape },
		{ "synthetic determinism", test_synthetic_determinism },
		{ "loader formats", test_loader_formats },
		{ "loader errors", test_loader_errors },
		{ "config errors", test_config_errors },
		{ "determinism", test_determinism },
		{ "update rows", test_update_rows },
		{ "random partition", test_partition_random },
		{ "skewed partition", test_partition_skewed },
		{ "table and buffers", test_table_and_buffers },
		{ "held-out split", test_split },
		{ "held-out file and unseen rows", test_heldout_file },
		{ "held-out errors", test_heldout_errors },
		{ "bias recovery", test_bias_recovery },
		{ "noise floor", test_noise_floor },
		{ "no overfitting with the defaults", test_no_overfit },
		{ "MovieLens-format fixture", test_movielens_fixture },
		{ NULL, NULL },
	};
	testutil_suite("mf", cases);
	return testutil_run();
}
