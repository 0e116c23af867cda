/*
 * Tests for the LDA workload (workloads/lda.c, workloads/lda-data.c): the loaders on hand-written
 * files (plain and gzipped) and every bad-input case; the objective on a case worked by hand
 * (a Polya urn); the sampler's count invariants, also with several workers sampling from one
 * stale view and their updates applied afterwards (what a synchronisation with threshold 0
 * does), and through the parameter server on the simulated network (bsp, and gaia with
 * threshold 0: every replica ends equal to the counts); recovery of a synthetic corpus's known
 * topics; improvement of the log-likelihood and of the held-out perplexity; determinism.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cluster.h"
#include "lib/rng.h"
#include "lib/runcfg.h"
#include "lib/xmalloc.h"
#include "ps/ps.h"
#include "ps/sync.h"
#include "tests/testutil.h"
#include "topology/topology.h"
#include "workloads/lda-data.h"
#include "workloads/lda.h"
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

static struct workload *make(struct runcfg *c, int nworkers, uint64_t seed)
{
	int region[16] = { 0 };
	return lda_ops.create(c, nworkers, region, 1, seed);
}

static const char *fixture(const char *name)
{
	char rel[128];
	snprintf(rel, sizeof rel, "lda/%s", name);
	return testutil_data(rel);
}

/* ---- loaders ---- */

/*
 * small.docword.txt (D=3, W=4, NNZ=5): doc 1 = word 1 x2, word 3 x1; doc 2 = word 2 x3;
 * doc 3 = word 4, word 1. 0-based tokens: [0 0 2] [1 1 1] [3 0]. small.ldac is the same corpus.
 */
static void check_small(const struct lda_corpus *c)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->ndocs, 3);
	CU_ASSERT_EQUAL(c->nwords, 4);
	CU_ASSERT_EQUAL_FATAL(c->ntokens, 8);
	static const size_t start[] = { 0, 3, 6, 8 };
	static const uint32_t words[] = { 0, 0, 2, 1, 1, 1, 3, 0 };
	for (int d = 0; d <= 3; d++)
		CU_ASSERT_EQUAL(c->doc_start[d], start[d]);
	for (int i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(c->words[i], words[i]);
	CU_ASSERT_PTR_NULL(c->true_z);
}

static void test_load_uci(void)
{
	struct lda_corpus *c = lda_corpus_load(fixture("small.docword.txt"), LDA_FORMAT_AUTO);
	check_small(c);
	lda_corpus_free(c);
	c = lda_corpus_load(fixture("small.docword.txt"), LDA_FORMAT_UCI);
	check_small(c);
	lda_corpus_free(c);
	c = lda_corpus_load(fixture("small.docword.txt.gz"), LDA_FORMAT_AUTO);
	check_small(c);
	lda_corpus_free(c);
}

static void test_load_ldac(void)
{
	struct lda_corpus *c = lda_corpus_load(fixture("small.ldac"), LDA_FORMAT_AUTO);
	check_small(c);
	lda_corpus_free(c);
	c = lda_corpus_load(fixture("small.ldac.gz"), LDA_FORMAT_LDAC);
	check_small(c);
	lda_corpus_free(c);
}

static void test_vocab(void)
{
	CU_ASSERT_EQUAL(lda_vocab_check(fixture("small.vocab.txt"), 4), 0);
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(lda_vocab_check(fixture("small.vocab.txt"), 5), -1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "small.vocab.txt"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "4 words"));
}

/* Loading `text` (format fmt) fails with a message holding ":LINE:" (if line > 0) and `what`. */
static void bad(const char *text, enum lda_format fmt, int line, const char *what)
{
	char *path = testutil_tmpfile(text);
	diag_capture(msg, sizeof msg);
	struct lda_corpus *c = lda_corpus_load(path, fmt);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(c);
	lda_corpus_free(c);
	char want[4200];
	snprintf(want, sizeof want, "%s:%d:", path, line);
	if (line > 0 && !strstr(msg, want))
		fprintf(stderr, "\nexpected '%s' in: %s", want, msg);
	CU_ASSERT(line <= 0 || strstr(msg, want) != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, path));
	if (!strstr(msg, what))
		fprintf(stderr, "\nexpected '%s' in: %s", what, msg);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, what));
	unlink(path);
	free(path);
}

static void test_bad_uci(void)
{
	const enum lda_format U = LDA_FORMAT_UCI;
	bad("2\n3\n1\n3 1 1\n", U, 4, "docID 3 out of range 1..2");
	bad("2\n3\n1\n0 1 1\n", U, 4, "docID 0 out of range");
	bad("2\n3\n1\n1 4 1\n", U, 4, "wordID 4 out of range 1..3");
	bad("2\n3\n1\n1 0 1\n", U, 4, "wordID 0 out of range");
	bad("2\n3\n1\n1 1 -2\n", U, 4, "bad count -2");
	bad("2\n3\n1\n1 1 0\n", U, 4, "bad count 0");
	bad("2\n3\n1\n1 1 two\n", U, 4, "bad count 'two'");
	bad("2\n3\n1\n1 x 1\n", U, 4, "bad wordID 'x'");
	bad("2\n3\n1\n1 1\n", U, 4, "expected 3 fields");
	bad("2\n3\n3\n1 1 1\n2 2 1\n", U, 3, "NNZ = 3 entries but the body has 2");
	bad("2\n3\n1\n1 1 1\n2 2 1\n", U, 5, "more entries than NNZ = 1");
	bad("2\nthree\n1\n1 1 1\n", U, 2, "bad header W");
	bad("2\n3\n", U, 2, "file ends before the header line NNZ");
	bad("", LDA_FORMAT_AUTO, 0, "empty corpus");
	bad("# nothing\n\n", LDA_FORMAT_AUTO, 0, "empty corpus");
	bad("", U, 0, "file ends before the header line D");
}

static void test_bad_ldac(void)
{
	const enum lda_format L = LDA_FORMAT_LDAC;
	bad("2 0:1 1:1\n2 0:1\n", L, 2, "declares 2 terms but lists 1");
	bad("1 0:-1\n", L, 1, "bad count '-1'");
	bad("1 0:x\n", L, 1, "bad count 'x'");
	bad("1 a:1\n", L, 1, "bad word id 'a'");
	bad("1 -3:1\n", L, 1, "bad word id '-3'");
	bad("1 0:1\n1 5\n", L, 2, "'5' is not id:count");
	bad("x 0:1\n", L, 1, "bad term count 'x'");
	bad("0\n0\n", L, 0, "empty corpus (no tokens)");
}

static void test_truncated_gzip(void)
{
	const char *p = fixture("truncated.docword.txt.gz");
	diag_capture(msg, sizeof msg);
	struct lda_corpus *c = lda_corpus_load(p, LDA_FORMAT_AUTO);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, p));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "truncated or corrupt gzip"));
	diag_capture(msg, sizeof msg);
	c = lda_corpus_load("/nonexistent/docword.x.txt", LDA_FORMAT_AUTO);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "/nonexistent/docword.x.txt"));
}

/* ---- the objective by hand ---- */

/*
 * urn.docword.txt: one document, word 1 twice and word 2 once; K = 1, beta = 0.5. With a single
 * topic p(w | z) is the Polya urn: (0.5/1)(1.5/2)(0.5/3) = 1/16 in any order, so the objective
 * is ln(16)/3 per token, for every seed.
 */
static void test_objective_by_hand(void)
{
	char kv0[4200];
	snprintf(kv0, sizeof kv0, "lda.data=%s", fixture("urn.docword.txt"));
	const char *kv[] = { kv0, "lda.topics=1", "lda.beta=0.5", "lda.test_fraction=0", NULL };
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 1, 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(runcfg_check_unused(c), 0);
	CU_ASSERT_EQUAL(lda_ops.nrows(w), 3);
	CU_ASSERT_EQUAL(lda_ops.row_len(w), 1);
	CU_ASSERT_EQUAL(lda_ops.units(w, 0), 3);
	double model[3];
	lda_ops.init_model(w, model);
	CU_ASSERT_EQUAL(model[0], 2);
	CU_ASSERT_EQUAL(model[1], 1);
	CU_ASSERT_EQUAL(model[2], 3);
	CU_ASSERT_DOUBLE_EQUAL(lda_ops.objective(w, model), log(16.0) / 3, 1e-12);
	CU_ASSERT(isnan(lda_ops.test_metric(w, model)));
	/* with one topic nothing can move: the update is empty */
	struct wl_update u;
	wl_update_init(&u);
	CU_ASSERT_EQUAL(lda_ops.step(w, 0, 0, model, &u), 3);
	CU_ASSERT_EQUAL(u.nrows, 0);
	const uint32_t *rows;
	CU_ASSERT_EQUAL_FATAL(lda_ops.rows_needed(w, 0, 0, &rows), 3);
	CU_ASSERT(rows[0] == 0 && rows[1] == 1 && rows[2] == 2);
	wl_update_free(&u);
	lda_ops.destroy(w);
	runcfg_free(c);
}

/* ---- invariants ---- */

/* Apply an update to a model. */
static void apply(double *model, const struct wl_update *u, size_t K)
{
	for (size_t i = 0; i < u->nrows; i++)
		for (size_t t = 0; t < K; t++)
			model[(size_t)u->rows[i] * K + t] += u->vals[i * K + t];
}

/*
 * The count invariants of a model of nrows x K: every count a non-negative integer, every topic
 * total the column sum of the word rows, the grand total the training token count, and the
 * table equal to the counts of the workers' current assignments.
 */
static void check_counts(const struct workload *w, const double *model, double *scratch)
{
	size_t K = lda_ops.row_len(w), W = lda_ops.nrows(w) - 1;
	double all = 0;
	int ok = 1;
	for (size_t t = 0; t < K; t++) {
		double col = 0;
		for (size_t v = 0; v < W; v++) {
			double n = model[v * K + t];
			ok &= n >= 0 && n == floor(n);
			col += n;
		}
		ok &= col == model[W * K + t];
		all += col;
	}
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(all, (double)lda_train_tokens(w));
	lda_counts(w, scratch);
	CU_ASSERT_EQUAL(memcmp(scratch, model, (W + 1) * K * sizeof *model), 0);
}

static const char *const synth_kv[] = { "lda.docs=300", "lda.vocab=200", "lda.doc_length=40",
					 "lda.topics=8", "lda.test_fraction=0.1", NULL };

/* One worker applying its own updates at once, then 3 workers per "sweep". */
static void test_invariants_sequential(void)
{
	struct runcfg *c = cfg_of(synth_kv);
	struct workload *w = make(c, 3, 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	size_t n = lda_ops.nrows(w) * lda_ops.row_len(w), K = lda_ops.row_len(w);
	double *model = xmalloc(n * sizeof *model), *s = xmalloc(n * sizeof *s);
	lda_ops.init_model(w, model);
	check_counts(w, model, s);
	uint64_t units = 0;
	for (int k = 0; k < 3; k++)
		units += lda_ops.units(w, k);
	CU_ASSERT_EQUAL(units, lda_train_tokens(w));
	struct wl_update u;
	wl_update_init(&u);
	for (int64_t clock = 0; clock < 5; clock++) {
		for (int k = 0; k < 3; k++) {
			CU_ASSERT_EQUAL(lda_ops.step(w, k, clock, model, &u), lda_ops.units(w, k));
			apply(model, &u, K);
		}
		check_counts(w, model, s);
	}
	wl_update_free(&u);
	free(model);
	free(s);
	lda_ops.destroy(w);
	runcfg_free(c);
}

/*
 * Workers sample from one stale snapshot (and half a sweep per clock), and their updates are
 * applied only after all of them stepped, as a bsp clock or a gaia clock with threshold 0 does:
 * every replica that received every update holds exactly the counts of the assignments. Each
 * update lists only rows among rows_needed().
 */
static void test_invariants_stale(void)
{
	const char *kv[] = { "lda.docs=300", "lda.vocab=200", "lda.doc_length=40", "lda.topics=8",
			     "lda.batch_fraction=0.5", NULL };
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 4, 9);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	size_t n = lda_ops.nrows(w) * lda_ops.row_len(w), K = lda_ops.row_len(w);
	double *model = xmalloc(n * sizeof *model), *snap = xmalloc(n * sizeof *snap);
	double *s = xmalloc(n * sizeof *s);
	lda_ops.init_model(w, model);
	struct wl_update u[4];
	for (int k = 0; k < 4; k++)
		wl_update_init(&u[k]);
	int subset = 1;
	for (int64_t clock = 0; clock < 6; clock++) {
		memcpy(snap, model, n * sizeof *snap);
		for (int k = 0; k < 4; k++) {
			const uint32_t *rows;
			size_t m = lda_ops.rows_needed(w, k, clock, &rows);
			lda_ops.step(w, k, clock, snap, &u[k]);
			size_t j = 0;
			for (size_t i = 0; i < u[k].nrows; i++) {
				while (j < m && rows[j] < u[k].rows[i])
					j++;
				subset &= j < m && rows[j] == u[k].rows[i];
			}
		}
		for (int k = 0; k < 4; k++)
			apply(model, &u[k], K);
		check_counts(w, model, s);
	}
	CU_ASSERT(subset);
	for (int k = 0; k < 4; k++)
		wl_update_free(&u[k]);
	free(model);
	free(snap);
	free(s);
	lda_ops.destroy(w);
	runcfg_free(c);
}

/*
 * Through the parameter server on the simulated network (tests/data/sync/three.topo, 3 regions x
 * 2 machines): after 6 clocks and every message delivered, each replica's objective equals the
 * objective of the counts of the workers' final assignments, bit for bit, under bsp (one global
 * model) and under gaia with threshold 0 (every count delta is significant, so every replica
 * receives every update).
 */
static void run_cluster(const char *model, const char *const *keys)
{
	struct topology *topo = topology_load(testutil_data("sync/three.topo"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(topo);
	const char *arg;
	const struct sync_ops *sync = sync_find(model, &arg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sync);
	struct runcfg *cfg = cfg_of(keys);
	void *sp = sync->parse(arg, cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
	int R = topo->n, machines[8], data_region[16];
	CU_ASSERT_FATAL(R <= 8);
	for (int q = 0, n = 0; q < R; q++) {
		machines[q] = 2;
		for (int m = 0; m < 2; m++, n++)
			data_region[n] = q;
	}
	struct workload *w = lda_ops.create(cfg, 2 * R, data_region, R, 21);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	struct cluster_config cc = {
		.topo = topo, .machines = machines, .sync = sync, .sync_params = sp,
		.wl_ops = &lda_ops, .wl = w, .transport = "sim", .seed = 1, .max_clocks = 6,
		.eval_every = 3, .target = NAN, .time_limit = SIMTIME_NEVER, .value_bytes = 4,
		.index_bytes = 4, .header_bytes = 64,
		.drain = 1, /* every mirror batch delivered before the replicas are compared */
	};
	struct cluster *c = cluster_new(&cc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	cluster_run(c, SIMTIME_NEVER);
	CU_ASSERT(cluster_finished(c));
	struct ps *ps = cluster_ps(c);
	size_t n = lda_ops.nrows(w) * lda_ops.row_len(w);
	double *counts = xmalloc(n * sizeof *counts);
	lda_counts(w, counts);
	double want = lda_ops.objective(w, counts);
	CU_ASSERT(ps_nreplicas(ps) == (sync->per_region ? R : 1));
	for (int r = 0; r < ps_nreplicas(ps); r++) {
		double obj, met;
		ps_replica_eval(ps, r, &obj, &met);
		CU_ASSERT_EQUAL(obj, want);
	}
	free(counts);
	cluster_free(c);
	free(sp);
	lda_ops.destroy(w);
	runcfg_free(cfg);
	topology_free(topo);
}

static void test_cluster(void)
{
	const char *base[] = { "lda.docs=200", "lda.vocab=150", "lda.doc_length=30", "lda.topics=6",
			       NULL };
	run_cluster("bsp", base);
	const char *gaia[] = { "lda.docs=200", "lda.vocab=150", "lda.doc_length=30", "lda.topics=6",
			       "gaia.threshold=0", "gaia.schedule=constant", "gaia.slack=0", NULL };
	run_cluster("gaia", gaia);
}

/* ---- convergence and topic recovery ---- */

/* Total-variation distance between two distributions over n outcomes. */
static double tv(const double *p, const double *q, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += fabs(p[i] - q[i]);
	return s / 2;
}

/*
 * Mean TV distance of a greedy matching of the K rows of a (K x W) to the K rows of b: the
 * closest unmatched pair first.
 */
static double greedy_match(const double *a, const double *b, size_t K, size_t W)
{
	double *d = xmalloc(K * K * sizeof *d);
	int *ua = xcalloc(K, sizeof *ua), *ub = xcalloc(K, sizeof *ub);
	for (size_t i = 0; i < K; i++)
		for (size_t j = 0; j < K; j++)
			d[i * K + j] = tv(a + i * W, b + j * W, W);
	double sum = 0;
	for (size_t r = 0; r < K; r++) {
		size_t bi = 0, bj = 0;
		double best = INFINITY;
		for (size_t i = 0; i < K; i++)
			for (size_t j = 0; j < K; j++)
				if (!ua[i] && !ub[j] && d[i * K + j] < best) {
					best = d[i * K + j];
					bi = i;
					bj = j;
				}
		ua[bi] = ub[bj] = 1;
		sum += best;
	}
	free(d);
	free(ua);
	free(ub);
	return sum / (double)K;
}

/*
 * Train one worker on a synthetic corpus (1000 documents of ~100 tokens, W = 500, T = K = 10,
 * sparse documents gen_alpha = 0.1, topics gen_beta = 0.01) for 150 sweeps. Bound: even a
 * topic estimated from its TRUE tokens (n_t of them) is off by the sampling noise of a
 * multinomial, E TV <= (1/2) sum_w sqrt(phi_tw (1 - phi_tw) / n_t) (Jensen on each |error|);
 * the learned topics must come within twice the mean of that bound plus 0.05 (assignment noise
 * of the sampler on top of the sampling noise), and random Dir(0.01) topics must be far off.
 * Also: the log-likelihood per token and the held-out perplexity improve.
 */
static void test_recovery(void)
{
	const char *kv[] = { "lda.docs=1000", "lda.vocab=500", "lda.doc_length=100", "lda.topics=10",
			     "lda.gen_alpha=0.1", "lda.gen_beta=0.01", "lda.test_fraction=0",
			     NULL };
	const size_t K = 10, W = 500;
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 1, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	struct lda_synth_params sp = { 1000, 500, 100, 10, 0.1, 0.01 };
	struct lda_corpus *truth = lda_corpus_synthetic(&sp, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(truth);
	CU_ASSERT_EQUAL(truth->ntokens, lda_train_tokens(w));
	size_t n = (W + 1) * K;
	double *model = xmalloc(n * sizeof *model);
	lda_ops.init_model(w, model);
	double obj0 = lda_ops.objective(w, model);
	struct wl_update u;
	wl_update_init(&u);
	double obj10 = 0;
	for (int64_t clock = 0; clock < 150; clock++) {
		lda_ops.step(w, 0, clock, model, &u);
		apply(model, &u, K);
		if (clock == 9)
			obj10 = lda_ops.objective(w, model);
	}
	double obj150 = lda_ops.objective(w, model);
	CU_ASSERT(obj10 < obj0);
	CU_ASSERT(obj150 < obj10);

	/* learned topics (K x W) and the oracle bound from the true assignments */
	double *learned = xmalloc(K * W * sizeof *learned), *rnd = xmalloc(K * W * sizeof *rnd);
	for (size_t t = 0; t < K; t++)
		for (size_t v = 0; v < W; v++)
			learned[t * W + v] = (model[v * K + t] + 0.01) / (model[W * K + t] + W * 0.01);
	double *nt = xcalloc(K, sizeof *nt), bound = 0;
	for (size_t i = 0; i < truth->ntokens; i++)
		nt[truth->true_z[i]] += 1;
	for (size_t t = 0; t < K; t++) {
		double b = 0;
		for (size_t v = 0; v < W; v++) {
			double p = truth->true_phi[t * W + v];
			b += sqrt(p * (1 - p) / (nt[t] > 0 ? nt[t] : 1));
		}
		bound += b / 2 / (double)K;
	}
	struct rng r;
	rng_init(&r, 99, 1);
	for (size_t t = 0; t < K; t++) {
		double s = 0;
		for (size_t v = 0; v < W; v++)
			s += (rnd[t * W + v] = lda_gamma(&r, 0.01) + 1e-300);
		for (size_t v = 0; v < W; v++)
			rnd[t * W + v] /= s;
	}
	double tv_learned = greedy_match(learned, truth->true_phi, K, W);
	double tv_random = greedy_match(rnd, truth->true_phi, K, W);
	printf("\n  objective %.4f -> %.4f -> %.4f; mean TV learned %.4f, oracle bound %.4f, "
	       "random %.4f\n", obj0, obj10, obj150, tv_learned, bound, tv_random);
	CU_ASSERT(tv_learned < 2 * bound + 0.05);
	CU_ASSERT(tv_random > 0.8);
	free(nt);
	free(learned);
	free(rnd);
	lda_corpus_free(truth);
	wl_update_free(&u);
	free(model);
	lda_ops.destroy(w);
	runcfg_free(c);
}

/* Held-out perplexity (document completion) falls with training and stays below W. */
static void test_perplexity(void)
{
	const char *kv[] = { "lda.docs=400", "lda.vocab=300", "lda.doc_length=60", "lda.topics=8",
			     "lda.test_fraction=0.2", NULL };
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 2, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(runcfg_check_unused(c), 0);
	size_t K = 8, n = 301 * K;
	double *model = xmalloc(n * sizeof *model);
	lda_ops.init_model(w, model);
	double p0 = lda_ops.test_metric(w, model), m0 = lda_ops.metric(w, model);
	CU_ASSERT(isfinite(p0));
	/* the same model gives the same value (the estimator is seeded) */
	CU_ASSERT_EQUAL(lda_ops.test_metric(w, model), p0);
	struct wl_update u;
	wl_update_init(&u);
	for (int64_t clock = 0; clock < 40; clock++)
		for (int k = 0; k < 2; k++) {
			lda_ops.step(w, k, clock, model, &u);
			apply(model, &u, K);
		}
	double p1 = lda_ops.test_metric(w, model), m1 = lda_ops.metric(w, model);
	printf("\n  held-out perplexity %.2f -> %.2f, training %.2f -> %.2f (W = 300)\n", p0, p1,
	       m0, m1);
	CU_ASSERT(p1 < p0);
	CU_ASSERT(p1 < 300);
	CU_ASSERT(m1 < m0);
	CU_ASSERT(m1 < p1);
	wl_update_free(&u);
	free(model);
	lda_ops.destroy(w);
	runcfg_free(c);
}

/* lda.test_data: a held-out file with the training vocabulary; a larger vocabulary fails. */
static void test_test_data(void)
{
	char d[4200], t[4200];
	snprintf(d, sizeof d, "lda.data=%s", fixture("small.docword.txt"));
	snprintf(t, sizeof t, "lda.test_data=%s", fixture("small.ldac.gz"));
	const char *kv[] = { d, t, "lda.topics=2", NULL };
	struct runcfg *c = cfg_of(kv);
	struct workload *w = make(c, 2, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(lda_train_tokens(w), 8);
	double model[10];
	lda_ops.init_model(w, model);
	double p = lda_ops.test_metric(w, model);
	CU_ASSERT(isfinite(p) && p > 1);
	lda_ops.destroy(w);
	runcfg_free(c);

	char *big = testutil_tmpfile("1 7:1\n");
	snprintf(t, sizeof t, "lda.test_data=%s", big);
	const char *kv2[] = { d, t, NULL };
	c = cfg_of(kv2);
	diag_capture(msg, sizeof msg);
	w = make(c, 1, 1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(w);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, big));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "exceeds the training vocabulary"));
	runcfg_free(c);
	unlink(big);
	free(big);
}

/* ---- determinism ---- */

/* Counts after 4 clocks of 3 workers with seed `seed`, into out (n values). */
static void run_counts(uint64_t seed, double *out, size_t n)
{
	struct runcfg *c = cfg_of(synth_kv);
	struct workload *w = make(c, 3, seed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL_FATAL(lda_ops.nrows(w) * lda_ops.row_len(w), n);
	lda_ops.init_model(w, out);
	struct wl_update u;
	wl_update_init(&u);
	for (int64_t clock = 0; clock < 4; clock++)
		for (int k = 0; k < 3; k++) {
			lda_ops.step(w, k, clock, out, &u);
			apply(out, &u, 8);
		}
	wl_update_free(&u);
	lda_ops.destroy(w);
	runcfg_free(c);
}

static void test_determinism(void)
{
	size_t n = 201 * 8;
	double *a = xmalloc(n * sizeof *a), *b = xmalloc(n * sizeof *b);
	double *o = xmalloc(n * sizeof *o);
	run_counts(11, a, n);
	run_counts(11, b, n);
	run_counts(12, o, n);
	CU_ASSERT_EQUAL(memcmp(a, b, n * sizeof *a), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a, o, n * sizeof *a), 0);
	free(a);
	free(b);
	free(o);
}

/* Bad configuration values name the key. */
static void test_bad_config(void)
{
	const char *kv[] = { "lda.topics=0", NULL };
	struct runcfg *c = cfg_of(kv);
	diag_capture(msg, sizeof msg);
	struct workload *w = make(c, 1, 1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(w);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "lda.topics"));
	runcfg_free(c);
	const char *kv2[] = { "lda.data=/nonexistent/docword.y.txt", NULL };
	c = cfg_of(kv2);
	diag_capture(msg, sizeof msg);
	w = make(c, 1, 1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(w);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "/nonexistent/docword.y.txt"));
	runcfg_free(c);
	CU_ASSERT_PTR_EQUAL(workload_find("lda"), &lda_ops);
	CU_ASSERT_STRING_EQUAL(lda_ops.test_metric_name, "perplexity");
	CU_ASSERT_EQUAL(lda_ops.test_higher_better, 0);
}

int main(void)
{
	static const struct testutil_case loaders[] = {
		{ "uci (plain, gzip)", test_load_uci },
		{ "lda-c (plain, gzip)", test_load_ldac },
		{ "vocabulary check", test_vocab },
		{ "bad uci input", test_bad_uci },
		{ "bad lda-c input", test_bad_ldac },
		{ "truncated gzip, missing file", test_truncated_gzip },
		{ NULL, NULL },
	};
	static const struct testutil_case sampler[] = {
		{ "objective by hand (polya urn)", test_objective_by_hand },
		{ "invariants, updates applied at once", test_invariants_sequential },
		{ "invariants, stale view, updates applied per clock", test_invariants_stale },
		{ "replicas = counts after bsp and gaia (threshold 0) runs", test_cluster },
		{ "topic recovery and log-likelihood", test_recovery },
		{ "held-out perplexity", test_perplexity },
		{ "lda.test_data", test_test_data },
		{ "determinism", test_determinism },
		{ "bad configuration", test_bad_config },
		{ NULL, NULL },
	};
	testutil_suite("lda loaders", loaders);
	testutil_suite("lda sampler", sampler);
	return testutil_run();
}
