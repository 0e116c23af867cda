/*
 * Tests for the image-classification workload (workloads/ic.c, ic-data.c, idx.c): the IDX reader
 * on hand-made files of every element type, gzipped and plain, and on every kind of bad input;
 * objective, metrics and row layout against hand-computed values; the back-propagated gradient
 * against central finite differences (logistic regression and MLPs); the label-skew partition
 * against its formula; determinism; and a short training run on Fashion-MNIST (registered only
 * when the Debian package dataset-fashion-mnist is installed).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rng.h"
#include "lib/runcfg.h"
#include "tests/testutil.h"
#include "workloads/ic-data.h"
#include "workloads/idx.h"
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

/* Path of tests/data/ic/NAME in one of four rotating static buffers. */
static const char *fix(const char *name)
{
	static char buf[4][4200];
	static int k;
	char rel[128];
	snprintf(rel, sizeof rel, "ic/%s", name);
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s", testutil_data(rel));
	return buf[k];
}

/* "KEY=<path of fixture NAME>" in one of eight rotating static buffers. */
static const char *fix_kv(const char *key, const char *name)
{
	static char buf[8][4300];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof buf[k], "%s=%s", key, fix(name));
	return buf[k];
}

/* 1 if s contains every NULL-terminated needle. */
static int has_all(const char *s, const char *const *needles)
{
	for (; *needles; needles++)
		if (!strstr(s, *needles)) {
			printf("\n  missing '%s' in: %s\n", *needles, s);
			return 0;
		}
	return 1;
}

/* ---- IDX reader ---- */

static void test_idx_ubyte(void)
{
	const char *names[] = { "train-images-idx3-ubyte", "train-images-idx3-ubyte.gz" };
	static const double px[16] = { 0, 0x33, 0x66, 0xff, 0xff, 0, 0, 0,
				       0, 0xff, 0, 0, 0, 0, 0xff, 0x33 };
	for (int f = 0; f < 2; f++) {
		struct idx *x = idx_load(fix(names[f]));
		CU_ASSERT_PTR_NOT_NULL_FATAL(x);
		CU_ASSERT_EQUAL(x->type, IDX_UBYTE);
		CU_ASSERT_EQUAL(x->ndims, 3);
		CU_ASSERT_EQUAL(x->dims[0], 4);
		CU_ASSERT_EQUAL(x->dims[1], 2);
		CU_ASSERT_EQUAL(x->dims[2], 2);
		CU_ASSERT_EQUAL(x->count, 16);
		CU_ASSERT_EQUAL(idx_item_size(x), 4);
		for (size_t i = 0; i < 16; i++)
			CU_ASSERT_EQUAL(idx_value(x, i), px[i]);
		idx_free(x);
	}
	struct idx *l = idx_load(fix("train-labels-idx1-ubyte.gz"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->ndims, 1);
	CU_ASSERT_EQUAL(idx_item_size(l), 1);
	CU_ASSERT_EQUAL(idx_value(l, 2), 2);
	idx_free(l);
}

/* Check a one-file IDX of the given type against hand-decoded values. */
static void check_typed(const char *name, enum idx_type type, int ndims, const double *v, size_t n)
{
	struct idx *x = idx_load(fix(name));
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(x->type, type);
	CU_ASSERT_EQUAL(x->ndims, ndims);
	CU_ASSERT_EQUAL(x->count, n);
	CU_ASSERT_EQUAL(x->elem_bytes, idx_type_size(type));
	for (size_t i = 0; i < n && i < x->count; i++)
		CU_ASSERT_EQUAL(idx_value(x, i), v[i]);
	idx_free(x);
}

static void test_idx_types(void)
{
	check_typed("int.idx", IDX_INT, 1, (const double[]){ 1, -2, 65536 }, 3);
	check_typed("short.idx", IDX_SHORT, 1, (const double[]){ -1, 258 }, 2);
	check_typed("float.idx", IDX_FLOAT, 2, (const double[]){ 1.5, -0.25 }, 2);
	check_typed("double.idx", IDX_DOUBLE, 1, (const double[]){ -3.0 }, 1);
	check_typed("sbyte.idx", IDX_SBYTE, 1, (const double[]){ -128, 127 }, 2);
	CU_ASSERT_EQUAL(idx_type_size(0x0A), 0);
	CU_ASSERT_EQUAL(idx_type_size(0x0E), 8);
}

/* idx_load(name) fails with a message naming the file and containing each needle. */
static void check_idx_bad(const char *name, const char *const *needles)
{
	diag_capture(msg, sizeof msg);
	struct idx *x = idx_load(fix(name));
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(x);
	idx_free(x);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, name));
	CU_ASSERT_TRUE(has_all(msg, needles));
}

static void test_idx_errors(void)
{
	check_idx_bad("bad-magic.idx", (const char *[]){ "byte 0:", "bad magic", NULL });
	check_idx_bad("bad-type.idx", (const char *[]){ "byte 2:", "unsupported", "0x0a", NULL });
	check_idx_bad("zero-dims.idx", (const char *[]){ "byte 3:", "0 dimensions", NULL });
	check_idx_bad("short-header.idx", (const char *[]){ "byte 10:", "dimension size",
							      "truncated", NULL });
	check_idx_bad("short-data.idx", (const char *[]){ "byte 28:", "12 of 16", "truncated",
							    NULL });
	/* a header claiming 2^31 - 1 bytes, 2 present: a truncation, not a 2 GB allocation */
	check_idx_bad("huge.idx", (const char *[]){ "byte 10:", "2 of 2147483647", "truncated",
						      NULL });
	check_idx_bad("trailing.idx", (const char *[]){ "byte 10:", "data after", NULL });
	check_idx_bad("truncated.gz", (const char *[]){ "byte 31:", "truncated gzip", NULL });
	check_idx_bad("truncated-trailer.gz", (const char *[]){ "byte 32:", "truncated gzip",
								 NULL });
	check_idx_bad("no-such-file", (const char *[]){ "cannot open", NULL });
}

/* ---- data loading errors (through the workload, as a run would see them) ---- */

/* The tiny data set's four keys, with optional replacements. */
static struct workload *make_tiny(const char *ti, const char *tl, const char *si,
				  const char *sl, const char *const *extra)
{
	const char *kv[24];
	int k = 0;
	kv[k++] = fix_kv("ic.train_images", ti);
	kv[k++] = fix_kv("ic.train_labels", tl);
	kv[k++] = fix_kv("ic.test_images", si);
	kv[k++] = fix_kv("ic.test_labels", sl);
	kv[k++] = "ic.classes=3";
	for (; extra && *extra; extra++)
		kv[k++] = *extra;
	kv[k] = NULL;
	struct runcfg *c = cfg_of(kv);
	int region = 0;
	struct workload *w = ic_ops.create(c, 1, &region, 1, 1);
	if (w)
		CU_ASSERT_EQUAL(runcfg_check_unused(c), 0);
	runcfg_free(c);
	return w;
}

static void check_load_bad(const char *ti, const char *tl, const char *si, const char *sl,
			   const char *file, const char *const *needles)
{
	diag_capture(msg, sizeof msg);
	struct workload *w = make_tiny(ti, tl, si, sl, NULL);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(w);
	ic_ops.destroy(w);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, file));
	CU_ASSERT_TRUE(has_all(msg, needles));
}

static void test_load_errors(void)
{
	const char *TI = "train-images-idx3-ubyte.gz", *TL = "train-labels-idx1-ubyte.gz";
	const char *SI = "test-images-idx3-ubyte", *SL = "test-labels-idx1-ubyte";
	check_load_bad(TI, "labels-3.idx", SI, SL, "labels-3.idx",
		       (const char *[]){ "3 labels for 4 images", TI, NULL });
	check_load_bad(TI, "labels-range.idx", SI, SL, "labels-range.idx",
		       (const char *[]){ "byte 10:", "label 10 of item 2", "out of range", NULL });
	check_load_bad(TI, TL, "test-3x3-images.idx", "test-3x3-labels.idx", "test-3x3-images.idx",
		       (const char *[]){ "3x3", "2x2", NULL });
	check_load_bad("int.idx", TL, SI, SL, "int.idx",
		       (const char *[]){ "expected images", "0x0c", NULL });
	check_load_bad(TI, "float.idx", SI, SL, "float.idx",
		       (const char *[]){ "expected labels", NULL });
	check_load_bad(TI, TL, "truncated.gz", SL, "truncated.gz",
		       (const char *[]){ "truncated gzip", NULL });
	check_load_bad("bad-magic.idx", TL, SI, SL, "bad-magic.idx",
		       (const char *[]){ "bad magic", NULL });
}

static void check_cfg_bad(const char *const *extra, const char *const *needles)
{
	diag_capture(msg, sizeof msg);
	struct workload *w = make_tiny("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
				       "test-images-idx3-ubyte", "test-labels-idx1-ubyte", extra);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(w);
	ic_ops.destroy(w);
	CU_ASSERT_TRUE(has_all(msg, needles));
}

static void test_config_errors(void)
{
	check_cfg_bad((const char *[]){ "ic.model=mlp", "ic.hidden=abc", NULL },
		      (const char *[]){ "ic.hidden", "'abc'", NULL });
	check_cfg_bad((const char *[]){ "ic.model=mlp", "ic.hidden=8,4,2", NULL },
		      (const char *[]){ "ic.hidden", "'8,4,2'", NULL });
	check_cfg_bad((const char *[]){ "ic.model=mlp", "ic.hidden=8,", NULL },
		      (const char *[]){ "ic.hidden", NULL });
	check_cfg_bad((const char *[]){ "ic.model=cnn", NULL }, (const char *[]){ "ic.model", NULL });
	check_cfg_bad((const char *[]){ "ic.label_skew=1.5", NULL },
		      (const char *[]){ "ic.label_skew", NULL });
	check_cfg_bad((const char *[]){ "ic.batch=0", NULL }, (const char *[]){ "ic.batch", NULL });
}

/* ---- hand-computed objective, metrics and layout ---- */

/*
 * Tiny data (README): training pixels /255, labels 0 1 2 1; logistic regression has 3 rows of
 * 4 weights + bias. With weight 5 on pixel 1 for class 0 and all else 0, the logits are
 * (5 x1, 0, 0): image 0 (x1 = 0x33/255 = 0.2) -> (1, 0, 0), label 0: CE log(1 + 2/e);
 * image 2 (x1 = 1) -> (5, 0, 0), label 2: CE log(e^5 + 2); images 1 and 3 (x1 = 0): log 3.
 * Predictions (ties to the lowest class): 0, 0, 0, 0: one right of four.
 */
static void test_hand_values(void)
{
	struct workload *w = make_tiny("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte",
				       "test-images-idx3-ubyte", "test-labels-idx1-ubyte", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(ic_ops.row_len(w), 5);
	CU_ASSERT_EQUAL(ic_ops.nrows(w), 3);
	CU_ASSERT_EQUAL(ic_ops.units(w, 0), 4);
	double model[15] = { 0 };
	CU_ASSERT_DOUBLE_EQUAL(ic_ops.objective(w, model), log(3.0), 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(ic_ops.metric(w, model), 0.25, 1e-12);
	/* test labels 2 0, every prediction 0 */
	CU_ASSERT_DOUBLE_EQUAL(ic_ops.test_metric(w, model), 0.5, 1e-12);
	model[0 * 5 + 1] = 5;
	double want = (log(1 + 2 / exp(1.0)) + log(exp(5.0) + 2) + 2 * log(3.0)) / 4;
	CU_ASSERT_DOUBLE_EQUAL(ic_ops.objective(w, model), want, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(ic_ops.metric(w, model), 0.25, 1e-12);
	/* class 2's bias 1: images 1 and 3 now predict 2 (label 1: wrong), image 2 still 0 */
	model[2 * 5 + 4] = 1;
	CU_ASSERT_DOUBLE_EQUAL(ic_ops.metric(w, model), 0.25, 1e-12);
	/* class 1's weight 10 on pixel 3 (0xff in image 0, 0x33 in image 3): image 3's logits
	 * (0, 2, 1) predict 1 (right), image 0's (1, 10, 1) predict 1 (now wrong): still 1/4 */
	model[1 * 5 + 3] = 10;
	CU_ASSERT_DOUBLE_EQUAL(ic_ops.metric(w, model), 0.25, 1e-12);
	/* class 0's bias 20 as well: every image predicts 0 except none: only image 0 right */
	model[0 * 5 + 4] = 20;
	CU_ASSERT_DOUBLE_EQUAL(ic_ops.metric(w, model), 0.25, 1e-12);
	/* and class 1's bias 30: all predict 1; labels 0 1 2 1: half right */
	model[1 * 5 + 4] = 30;
	CU_ASSERT_DOUBLE_EQUAL(ic_ops.metric(w, model), 0.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(ic_ops.test_metric(w, model), 0.0, 1e-12);
	ic_ops.destroy(w);

	/* MLP 4-2-3: 2 x 5 + 3 x 3 = 19 values in rows of 5: 4 rows */
	w = make_tiny("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
		      "test-images-idx3-ubyte", "test-labels-idx1-ubyte",
		      (const char *[]){ "ic.model=mlp", "ic.hidden=2", NULL });
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(ic_ops.nrows(w), 4);
	double init[20];
	ic_ops.init_model(w, init);
	/* layer 1: units at 0..4 and 5..9 (bias last); layer 2: units of 3 values at 10, 13, 16.
	 * Biases (values 4, 9, 12, 15, 18) and the padding (19) start at 0; weights do not. */
	for (int k = 0; k < 20; k++) {
		int zero = k == 4 || k == 9 || k == 12 || k == 15 || k == 18 || k == 19;
		CU_ASSERT_EQUAL(init[k] == 0, zero);
	}
	/* Glorot bound sqrt(6 / (4 + 2)) = 1 for the first layer */
	for (int k = 0; k < 4; k++)
		CU_ASSERT_TRUE(fabs(init[k]) < 1);
	ic_ops.destroy(w);
}

/* ---- gradient check ---- */

/*
 * With one worker, ic.batch >= the data and ic.batch_fraction = 1, clock 0 is ONE SGD step on
 * the whole training set: update = -lr * dF/dparams exactly, for F = mean cross-entropy +
 * (l2 / 2) |weights|^2 = objective() when the evaluation sample is all the data. Compare with
 * central differences of objective(); relative error of the whole gradient vector.
 */
static double gradient_error(const char *model_kv, const char *hidden_kv)
{
	const char *kv[] = { "ic.data=synthetic", "ic.features=6", "ic.classes=4",
			     "ic.synth_train=40", "ic.synth_test=1", "ic.synth_noise=1",
			     "ic.batch=1000", "ic.batch_fraction=1", "ic.lr=1", "ic.l2=0.1",
			     "ic.eval_sample=0", model_kv, hidden_kv, NULL };
	struct runcfg *c = cfg_of(kv);
	int region = 0;
	struct workload *w = ic_ops.create(c, 1, &region, 1, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	size_t n = ic_ops.nrows(w) * ic_ops.row_len(w);
	double *p = malloc(n * sizeof *p);
	ic_ops.init_model(w, p);
	/* Biases start at 0, so a unit whose inputs are all 0 (all ReLUs below it off) sits exactly
	 * on its kink, where the one-sided slopes differ: move every value off such points. */
	struct rng r;
	rng_init(&r, 11, 0);
	for (size_t k = 0; k < n; k++)
		p[k] += 0.1 * rng_normal(&r);
	struct wl_update u;
	wl_update_init(&u);
	CU_ASSERT_EQUAL(ic_ops.step(w, 0, 0, p, &u), 40);
	CU_ASSERT_EQUAL_FATAL(u.nrows, ic_ops.nrows(w));
	double num = 0, den = 0, h = 1e-6;
	for (size_t k = 0; k < n; k++) {
		double keep = p[k];
		p[k] = keep + h;
		double fp = ic_ops.objective(w, p);
		p[k] = keep - h;
		double fm = ic_ops.objective(w, p);
		p[k] = keep;
		double fd = (fp - fm) / (2 * h), bp = -u.vals[k];
		num += (fd - bp) * (fd - bp);
		den += fd * fd;
	}
	wl_update_free(&u);
	free(p);
	ic_ops.destroy(w);
	runcfg_free(c);
	CU_ASSERT_TRUE(den > 0);
	return sqrt(num / den);
}

static void test_gradient(void)
{
	double e1 = gradient_error("ic.model=logreg", "ic.lr_decay=0");
	double e2 = gradient_error("ic.model=mlp", "ic.hidden=5");
	double e3 = gradient_error("ic.model=mlp", "ic.hidden=5,4");
	printf("\n  relative gradient error: logreg %.2e, mlp 5 %.2e, mlp 5,4 %.2e\n", e1, e2, e3);
	CU_ASSERT_TRUE(e1 < 1e-6);
	CU_ASSERT_TRUE(e2 < 1e-6);
	CU_ASSERT_TRUE(e3 < 1e-6);
}

/* ---- partition ---- */

/*
 * n labels i mod C over `workers` workers with worker w in region region[w]; counts[r][c] =
 * examples of class c given to region r. Also checks that a region's workers differ by at most
 * one example.
 */
#define PN 200000
static void partition_counts(int C, double skew, int workers, const int *region, int R,
			     double counts[][16])
{
	static uint8_t label[PN];
	for (size_t i = 0; i < PN; i++)
		label[i] = (uint8_t)(i % (size_t)C);
	uint32_t *owner = ic_data_partition(label, PN, C, skew, workers, region, R, 7);
	size_t per[64] = { 0 };
	for (int r = 0; r < R; r++)
		for (int c = 0; c < C; c++)
			counts[r][c] = 0;
	for (size_t i = 0; i < PN; i++) {
		counts[region[owner[i]]][label[i]]++;
		per[owner[i]]++;
	}
	for (int a = 0; a < workers; a++)
		for (int b = 0; b < workers; b++)
			if (region[a] == region[b])
				CU_ASSERT_TRUE(per[a] <= per[b] + 1);
	free(owner);
}

/*
 * Expected count of class c in region r: n_c (P [r owns c] / k_c + (1 - P) / A), A active
 * regions, k_c owners of c; the count is binomial, so allow 5 standard deviations.
 */
static void check_formula(int C, double P, int workers, const int *region, int R,
			  const int *owns /* R x C: 1 if r owns c */, const int *active)
{
	double counts[16][16];
	partition_counts(C, P, workers, region, R, counts);
	int A = 0;
	for (int r = 0; r < R; r++)
		A += active[r];
	for (int c = 0; c < C; c++) {
		double nc = (double)(PN / C + (c < PN % C)); /* labels i mod C */
		int k = 0;
		for (int r = 0; r < R; r++)
			k += owns[r * C + c];
		for (int r = 0; r < R; r++) {
			double q = active[r] ? P * owns[r * C + c] / k + (1 - P) / A : 0;
			double mean = nc * q, sd = sqrt(nc * q * (1 - q));
			if (fabs(counts[r][c] - mean) > 5 * sd + 1e-9) {
				printf("\n  C=%d P=%g region %d class %d: %g, expected %g +- %g\n", C, P, r,
				       c, counts[r][c], mean, sd);
				CU_FAIL("partition count off its formula");
			}
		}
	}
}

static void test_partition(void)
{
	/* 10 classes over 4 regions of 2 workers: region r owns c with c mod 4 == r */
	int region[8] = { 0, 0, 1, 1, 2, 2, 3, 3 }, active[4] = { 1, 1, 1, 1 };
	int owns[4 * 10];
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 10; c++)
			owns[r * 10 + c] = c % 4 == r;
	for (double P = 0; P <= 1.0; P += 0.25)
		check_formula(10, P, 8, region, 4, owns, active);
	/* P = 1: nothing outside the own classes, exactly */
	double counts[16][16];
	partition_counts(10, 1.0, 8, region, 4, counts);
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 10; c++)
			if (c % 4 != r)
				CU_ASSERT_EQUAL(counts[r][c], 0);
	/* 3 classes over 5 regions, region 2 without workers (active: 0 1 3 4 = a 0..3): active
	 * region a owns class a mod 3, so class 0 has owners regions 0 and 4 */
	int region5[6] = { 0, 1, 1, 3, 4, 4 }, active5[5] = { 1, 1, 0, 1, 1 };
	int owns5[5 * 3] = { 1, 0, 0, /* r0 = a0 */ 0, 1, 0, /* r1 = a1 */ 0, 0, 0, /* r2 */
			     0, 0, 1, /* r3 = a2 */ 1, 0, 0 /* r4 = a3 */ };
	for (double P = 0; P <= 1.0; P += 0.5)
		check_formula(3, P, 6, region5, 5, owns5, active5);
}

/* ---- determinism ---- */

/* Sum of |update| over 3 clocks of each of 3 workers, and a copy of the last update. */
static double run_clocks(uint64_t seed, double *last, size_t n)
{
	const char *kv[] = { "ic.data=synthetic", "ic.features=8", "ic.classes=5",
			     "ic.synth_train=600", "ic.model=mlp", "ic.hidden=6,4",
			     "ic.batch_fraction=0.25", "ic.batch=7", "ic.label_skew=0.5", NULL };
	struct runcfg *c = cfg_of(kv);
	int region[3] = { 0, 1, 1 };
	struct workload *w = ic_ops.create(c, 3, region, 2, seed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	size_t total = ic_ops.nrows(w) * ic_ops.row_len(w);
	CU_ASSERT_EQUAL_FATAL(total, n);
	double *p = malloc(n * sizeof *p);
	ic_ops.init_model(w, p);
	struct wl_update u;
	wl_update_init(&u);
	double sum = 0;
	for (int64_t clock = 0; clock < 3; clock++)
		for (int k = 0; k < 3; k++) {
			const uint32_t *rows;
			size_t m = ic_ops.rows_needed(w, k, clock, &rows);
			CU_ASSERT_EQUAL(m, ic_ops.nrows(w));
			for (size_t r = 0; r < m; r++)
				CU_ASSERT_EQUAL(rows[r], r);
			ic_ops.step(w, k, clock, p, &u);
			for (size_t v = 0; v < n; v++)
				sum += fabs(u.vals[v]);
			for (size_t v = 0; v < n; v++)
				p[v] += u.vals[v];
		}
	memcpy(last, u.vals, n * sizeof *last);
	wl_update_free(&u);
	free(p);
	ic_ops.destroy(w);
	runcfg_free(c);
	return sum;
}

static void test_determinism(void)
{
	/* 8-6-4-5: 6 x 9 + 4 x 7 + 5 x 5 = 107 values in rows of 9: 12 rows, 108 slots */
	double a[108], b[108], d[108];
	double sa = run_clocks(5, a, 108), sb = run_clocks(5, b, 108), sd = run_clocks(6, d, 108);
	CU_ASSERT_TRUE(sa > 0);
	CU_ASSERT_NOT_EQUAL(sa, sd);
	CU_ASSERT_EQUAL(sa, sb);
	CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a, d, sizeof a), 0);
	CU_ASSERT_EQUAL(a[107], 0); /* padding never changes */
}

/* ---- synthetic data and a run on it ---- */

/*
 * Gaussian clusters with noise 0.5 around N(0, 1) means in 10 dimensions are nearly separable:
 * logistic regression from 4 workers in 2 regions, updates averaged, reaches > 90% test
 * accuracy in 10 epochs, and the objective falls.
 */
static void test_synthetic_training(void)
{
	const char *kv[] = { "ic.data=synthetic", "ic.features=10", "ic.classes=4",
			     "ic.synth_train=2000", "ic.synth_test=500", "ic.synth_noise=0.5",
			     "ic.lr=0.1", "ic.batch_fraction=0.5", NULL };
	struct runcfg *c = cfg_of(kv);
	int region[4] = { 0, 0, 1, 1 };
	struct workload *w = ic_ops.create(c, 4, region, 2, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	size_t n = ic_ops.nrows(w) * ic_ops.row_len(w);
	double *p = malloc(n * sizeof *p), *sum = malloc(n * sizeof *sum);
	ic_ops.init_model(w, p);
	double f0 = ic_ops.objective(w, p);
	struct wl_update u;
	wl_update_init(&u);
	for (int64_t clock = 0; clock < 20; clock++) {
		memset(sum, 0, n * sizeof *sum);
		for (int k = 0; k < 4; k++) {
			ic_ops.step(w, k, clock, p, &u);
			for (size_t v = 0; v < n; v++)
				sum[v] += u.vals[v];
		}
		for (size_t v = 0; v < n; v++)
			p[v] += sum[v];
	}
	double f1 = ic_ops.objective(w, p), acc = ic_ops.test_metric(w, p);
	printf("\n  synthetic: objective %.4f -> %.4f, test accuracy %.4f\n", f0, f1, acc);
	CU_ASSERT_TRUE(f1 < f0 / 2);
	CU_ASSERT_TRUE(acc > 0.9);
	wl_update_free(&u);
	free(p);
	free(sum);
	ic_ops.destroy(w);
	runcfg_free(c);
}

/* ---- Fashion-MNIST ---- */

#define FASHION "/usr/share/datasets/fashion-mnist/"

static int fashion_present(void)
{
	const char *f[] = { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
			    "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" };
	for (int k = 0; k < 4; k++) {
		char p[256];
		snprintf(p, sizeof p, FASHION "%s", f[k]);
		if (access(p, R_OK) != 0)
			return 0;
	}
	return 1;
}

/*
 * Logistic regression on the first 10,000 training images (default paths), one worker, one
 * epoch per clock, 5 epochs at the default lr 0.01 and batch 32: test accuracy on all 10,000
 * test images > 0.75 (the Fashion-MNIST benchmark's logistic regression on the full data
 * reaches about 0.84).
 */
static void test_fashion(void)
{
	const char *kv[] = { "ic.train_limit=10000", "ic.batch_fraction=1", "ic.eval_sample=2000",
			     NULL };
	struct runcfg *c = cfg_of(kv);
	int region = 0;
	struct workload *w = ic_ops.create(c, 1, &region, 1, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(ic_ops.units(w, 0), 10000);
	CU_ASSERT_EQUAL(ic_ops.row_len(w), 785);
	CU_ASSERT_EQUAL(ic_ops.nrows(w), 10);
	size_t n = ic_ops.nrows(w) * ic_ops.row_len(w);
	double *p = malloc(n * sizeof *p);
	ic_ops.init_model(w, p);
	double acc0 = ic_ops.test_metric(w, p);
	struct wl_update u;
	wl_update_init(&u);
	for (int64_t clock = 0; clock < 5; clock++) {
		ic_ops.step(w, 0, clock, p, &u);
		for (size_t v = 0; v < n; v++)
			p[v] += u.vals[v];
	}
	double acc = ic_ops.test_metric(w, p);
	printf("\n  fashion-mnist logreg 10k x 5 epochs: test accuracy %.4f -> %.4f, train "
	       "accuracy %.4f\n", acc0, acc, ic_ops.metric(w, p));
	CU_ASSERT_TRUE(acc > 0.75);
	wl_update_free(&u);
	free(p);
	ic_ops.destroy(w);
	runcfg_free(c);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "idx: unsigned bytes, plain and gzipped", test_idx_ubyte },
		{ "idx: other element types", test_idx_types },
		{ "idx: bad files", test_idx_errors },
		{ "data: bad files", test_load_errors },
		{ "config errors", test_config_errors },
		{ "hand-computed values and layout", test_hand_values },
		{ "gradient vs finite differences", test_gradient },
		{ "label-skew partition", test_partition },
		{ "determinism", test_determinism },
		{ "synthetic training", test_synthetic_training },
		{ NULL, NULL },
	};
	static const struct testutil_case fashion[] = {
		{ "fashion-mnist logreg run", test_fashion },
		{ NULL, NULL },
	};
	testutil_suite("ic", cases);
	if (fashion_present())
		testutil_suite("ic-fashion", fashion);
	else
		printf("fashion-mnist not installed (" FASHION "): its run is skipped\n");
	return testutil_run();
}
