/*
 * LDA by collapsed Gibbs sampling (Griffiths & Steyvers 2004) as a parameter-server workload
 * (docs/workload-lda.md). The shared model is the word-topic count table: row w (0..W-1) holds
 * n_wk for the K topics, row W the topic totals n_k. Updates are integer count deltas (stored
 * as doubles). Each worker keeps its documents' topic assignments z and doc-topic counts n_dk
 * locally; these never leave the worker.
 *
 * A clock samples one batch of the worker's documents (lda.batch_fraction of them, in a fixed
 * order: batch b = clock mod B). The batches' word lists are planned once at creation: per
 * batch the ascending list of its distinct words plus the totals row (its "slots"), and every
 * token's slot. A step copies those rows from the worker's (possibly stale) view into a scratch
 * table, samples every token of the batch against the scratch table, which therefore holds the
 * view plus the worker's own changes of this clock, and reports scratch - view for the rows
 * that changed. Counts that staleness has driven below zero are read as 0 in the sampling
 * distribution (the distribution then stays proper; the stored count is left as is).
 */
#include "workloads/lda.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/rng.h"
#include "lib/runcfg.h"
#include "lib/xmalloc.h"
#include "workloads/lda-data.h"

/*
 * Default cost of one token on the reference machine, ns, as LDA_NS_BASE + LDA_NS_PER_TOPIC * K:
 * a least-squares fit to lda_ops.step() timed by bench/bench_lda.c at K = 10, 20, 50, 100
 * (66.9, 91.0, 219.7, 354.4 ns) on an AMD EPYC VM (2 vCPUs, 2 MiB L2, 32 MiB L3), gcc 12.2 -O2,
 * with `nice ./bench/bench_lda`; docs/workload-lda.md. Overridden by lda.ns_per_token.
 */
#define LDA_NS_BASE 36.3
#define LDA_NS_PER_TOPIC 3.26

/* Largest K: topic ids are stored in 16 bits. */
#define LDA_MAX_TOPICS 4096

/* One worker's documents, sampler state and batch plan. */
struct lda_worker {
	uint32_t ndocs;         /* local documents */
	size_t ntok;            /* local tokens */
	size_t *doc_start;      /* ndocs + 1 offsets into word/z/slot */
	uint32_t *word;         /* ntok global word ids */
	uint16_t *z;            /* ntok current topic assignments */
	int32_t *ndk;           /* ndocs x K doc-topic counts */
	uint32_t *slot;         /* ntok: the token's slot within its batch */
	uint64_t *slot_start;   /* B + 1 offsets: batch b's slots are [start[b], start[b+1]) of: */
	uint32_t *slot_row;     /* per batch, its distinct words ascending, then the totals row */
	uint32_t max_slots;     /* most slots of one batch */
	double *scratch;        /* max_slots x K: the batch's rows during a step */
	double *inv;            /* K: 1 / (max(n_k, 0) + W beta) during a step */
	double *cum;            /* K: cumulative sampling weights */
};

/* Held-out documents for the perplexity (document completion). */
struct lda_test {
	uint32_t ndocs;      /* held-out documents */
	size_t *start;       /* ndocs + 1 offsets into words */
	size_t *half;        /* ndocs: observed tokens are [start, start + half), the rest evaluated */
	uint32_t *words;     /* tokens, each document's in a seeded random order */
	size_t neval;        /* evaluated tokens over all documents */
	int64_t sweeps;      /* Gibbs sweeps over the observed half (lda.test_sweeps) */
};

struct workload {
	uint64_t seed;            /* run seed */
	uint32_t W;               /* vocabulary size; row W is the totals row */
	uint32_t K;               /* topics = row_len */
	double alpha, beta;       /* symmetric Dirichlet priors (lda.alpha, lda.beta) */
	size_t ntrain;            /* training tokens over all workers */
	int64_t clocks_per_epoch; /* B = ceil(1 / lda.batch_fraction) */
	double ns_per_token;      /* simulated compute cost of one token, ns */
	int nworkers;             /* workers */
	struct lda_worker *w;     /* nworkers workers */
	struct lda_test test;     /* held-out documents (ndocs 0: none) */
};

/* ---- configuration ---- */

/* Parameters read from the configuration. */
struct lda_params {
	const char *data;              /* "synthetic" or a corpus path (lda.data) */
	int format;                    /* lda.format as an enum lda_format */
	const char *vocab_file;        /* lda.vocab_file or "" */
	const char *test_data;         /* lda.test_data or "" */
	double test_fraction;          /* lda.test_fraction */
	int64_t test_sweeps;           /* lda.test_sweeps */
	struct lda_synth_params synth; /* generator parameters */
	int64_t topics;                /* lda.topics */
	double alpha, beta;            /* lda.alpha, lda.beta */
	double batch_fraction;         /* lda.batch_fraction */
	double ns_per_token;           /* lda.ns_per_token */
};

static int read_synth(struct runcfg *cfg, int64_t topics, struct lda_synth_params *s)
{
	int bad = 0;
	bad |= runcfg_int(cfg, "lda.docs", 2000, 1, UINT32_MAX - 2, &s->docs);
	bad |= runcfg_int(cfg, "lda.vocab", 1000, 1, UINT32_MAX - 2, &s->vocab);
	bad |= runcfg_double(cfg, "lda.doc_length", 100, 1, 1e6, &s->doc_length);
	bad |= runcfg_int(cfg, "lda.true_topics", topics, 1, LDA_MAX_TOPICS, &s->topics);
	bad |= runcfg_double(cfg, "lda.gen_alpha", 0.1, 1e-3, 1e3, &s->alpha);
	bad |= runcfg_double(cfg, "lda.gen_beta", 0.01, 1e-3, 1e3, &s->beta);
	return bad;
}

static int read_params(struct runcfg *cfg, struct lda_params *p)
{
	static const char *const formats[] = { "auto", "uci", "ldac", NULL };
	static const char *const synth_keys[] = { "lda.docs", "lda.vocab", "lda.doc_length",
		"lda.true_topics", "lda.gen_alpha", "lda.gen_beta", NULL };
	int bad = 0;
	bad |= runcfg_string(cfg, "lda.data", "synthetic", &p->data);
	bad |= runcfg_choice(cfg, "lda.format", "auto", formats, &p->format);
	bad |= runcfg_string(cfg, "lda.vocab_file", "", &p->vocab_file);
	bad |= runcfg_string(cfg, "lda.test_data", "", &p->test_data);
	bad |= runcfg_double(cfg, "lda.test_fraction", *p->test_data ? 0 : 0.1, 0, 0.9,
			     &p->test_fraction);
	bad |= runcfg_int(cfg, "lda.test_sweeps", 10, 1, 10000, &p->test_sweeps);
	bad |= runcfg_int(cfg, "lda.topics", 20, 1, LDA_MAX_TOPICS, &p->topics);
	if (bad)
		return -1;
	int synthetic = !strcmp(p->data, "synthetic");
	for (int k = 0; synth_keys[k] && !synthetic; k++)
		synthetic = runcfg_has(cfg, synth_keys[k]);
	if (synthetic)
		bad |= read_synth(cfg, p->topics, &p->synth);
	/* Griffiths & Steyvers 2004 ("Finding scientific topics", PNAS): alpha = 50/K, beta = 0.1;
	 * beta = 0.01 is the common choice for large vocabularies (e.g. NYTimes). */
	bad |= runcfg_double(cfg, "lda.alpha", 50.0 / (double)p->topics, 1e-9, 1e6, &p->alpha);
	bad |= runcfg_double(cfg, "lda.beta", 0.01, 1e-9, 1e6, &p->beta);
	bad |= runcfg_double(cfg, "lda.batch_fraction", 1.0, 1e-6, 1, &p->batch_fraction);
	if (!bad) {
		double ns = round(100 * (LDA_NS_BASE + LDA_NS_PER_TOPIC * (double)p->topics)) / 100;
		bad |= runcfg_double(cfg, "lda.ns_per_token", ns, 0, 1e9, &p->ns_per_token);
	}
	if (!bad && *p->test_data && runcfg_has(cfg, "lda.test_fraction") && p->test_fraction > 0) {
		long line;
		const char *where = runcfg_where(cfg, "lda.test_fraction", &line);
		return diag_at(where, line, "lda.test_fraction: give either lda.test_data or "
			       "lda.test_fraction, not both");
	}
	return bad ? -1 : 0;
}

/* ---- building ---- */

static void *alloc_n(size_t n, size_t size)
{
	return xreallocarray(NULL, n ? n : 1, size);
}

static void shuffle_u32(struct rng *r, uint32_t *a, size_t n)
{
	for (size_t j = n; j > 1; j--) {
		size_t t = rng_below(r, j);
		uint32_t x = a[j - 1];
		a[j - 1] = a[t];
		a[t] = x;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Batch b of B over n documents: documents [n*b/B, n*(b+1)/B). */
static uint32_t batch_start(uint32_t n, int64_t b, int64_t B)
{
	return (uint32_t)((uint64_t)n * (uint64_t)b / (uint64_t)B);
}

/*
 * Plan worker k's batches: the slots (distinct words ascending, then the totals row) of each
 * and every token's slot. slot_of (W entries) is scratch, UINT32_MAX on entry and on return.
 */
static void plan_batches(const struct workload *w, struct lda_worker *k, uint32_t *slot_of)
{
	int64_t B = w->clocks_per_epoch;
	k->slot_start = alloc_n((size_t)B + 1, sizeof *k->slot_start);
	k->slot_row = alloc_n(k->ntok + (size_t)B, sizeof *k->slot_row);
	k->slot = alloc_n(k->ntok, sizeof *k->slot);
	k->slot_start[0] = 0;
	k->max_slots = 1;
	for (int64_t b = 0; b < B; b++) {
		size_t lo = k->doc_start[batch_start(k->ndocs, b, B)];
		size_t hi = k->doc_start[batch_start(k->ndocs, b + 1, B)];
		uint32_t *list = k->slot_row + k->slot_start[b];
		uint32_t m = 0;
		for (size_t i = lo; i < hi; i++)
			if (slot_of[k->word[i]] == UINT32_MAX) {
				slot_of[k->word[i]] = 0;
				list[m++] = k->word[i];
			}
		qsort(list, m, sizeof *list, cmp_u32);
		for (uint32_t s = 0; s < m; s++)
			slot_of[list[s]] = s;
		for (size_t i = lo; i < hi; i++)
			k->slot[i] = slot_of[k->word[i]];
		for (uint32_t s = 0; s < m; s++)
			slot_of[list[s]] = UINT32_MAX;
		list[m++] = w->W; /* the totals row, always read and last */
		k->slot_start[b + 1] = k->slot_start[b] + m;
		if (m > k->max_slots)
			k->max_slots = m;
	}
	k->scratch = alloc_n((size_t)k->max_slots * w->K, sizeof *k->scratch);
	k->inv = alloc_n(w->K, sizeof *k->inv);
	k->cum = alloc_n(w->K, sizeof *k->cum);
}

/* Initial topic of each token of worker `id`, in token order: stream ("lda-init", id, 0). */
static void init_topics(const struct workload *w, int id, uint16_t *z, size_t n)
{
	struct rng r;
	rng_init(&r, w->seed, rng_stream_id("lda-init", (uint64_t)id, 0));
	for (size_t i = 0; i < n; i++)
		z[i] = (uint16_t)rng_below(&r, w->K);
}

/* Give worker `id` the documents docs[0..n) of corpus c, with random initial topics. */
static void worker_build(struct workload *w, int id, const struct lda_corpus *c,
			 const uint32_t *docs, uint32_t n, uint32_t *slot_of)
{
	struct lda_worker *k = &w->w[id];
	k->ndocs = n;
	k->doc_start = alloc_n((size_t)n + 1, sizeof *k->doc_start);
	k->doc_start[0] = 0;
	for (uint32_t d = 0; d < n; d++)
		k->doc_start[d + 1] = k->doc_start[d] + (c->doc_start[docs[d] + 1] - c->doc_start[docs[d]]);
	k->ntok = k->doc_start[n];
	k->word = alloc_n(k->ntok, sizeof *k->word);
	for (uint32_t d = 0; d < n; d++)
		memcpy(k->word + k->doc_start[d], c->words + c->doc_start[docs[d]],
		       (k->doc_start[d + 1] - k->doc_start[d]) * sizeof *k->word);
	k->z = alloc_n(k->ntok, sizeof *k->z);
	init_topics(w, id, k->z, k->ntok);
	k->ndk = xcalloc(n ? (size_t)n * w->K : 1, sizeof *k->ndk);
	for (uint32_t d = 0; d < n; d++)
		for (size_t i = k->doc_start[d]; i < k->doc_start[d + 1]; i++)
			k->ndk[(size_t)d * w->K + k->z[i]]++;
	plan_batches(w, k, slot_of);
	w->ntrain += k->ntok;
}

static void worker_free(struct lda_worker *k)
{
	free(k->doc_start);
	free(k->word);
	free(k->z);
	free(k->ndk);
	free(k->slot);
	free(k->slot_start);
	free(k->slot_row);
	free(k->scratch);
	free(k->inv);
	free(k->cum);
}

/*
 * Held-out documents docs[0..n) of c: each document's tokens in a random order from stream
 * ("lda-test-order", 0, 0); the first floor(len/2) are observed, the rest evaluated.
 */
static void test_build(struct workload *w, const struct lda_corpus *c, const uint32_t *docs,
		       uint32_t n, int64_t sweeps)
{
	struct lda_test *t = &w->test;
	struct rng r;
	rng_init(&r, w->seed, rng_stream_id("lda-test-order", 0, 0));
	t->ndocs = n;
	t->sweeps = sweeps;
	t->start = alloc_n((size_t)n + 1, sizeof *t->start);
	t->half = alloc_n(n, sizeof *t->half);
	t->start[0] = 0;
	for (uint32_t d = 0; d < n; d++)
		t->start[d + 1] = t->start[d] + (c->doc_start[docs[d] + 1] - c->doc_start[docs[d]]);
	t->words = alloc_n(t->start[n], sizeof *t->words);
	t->neval = 0;
	for (uint32_t d = 0; d < n; d++) {
		size_t len = t->start[d + 1] - t->start[d];
		uint32_t *dst = t->words + t->start[d];
		memcpy(dst, c->words + c->doc_start[docs[d]], len * sizeof *dst);
		shuffle_u32(&r, dst, len);
		t->half[d] = len / 2;
		t->neval += len - len / 2;
	}
}

/* The corpus named by lda.data (or generated). */
static struct lda_corpus *get_corpus(struct runcfg *cfg, const struct lda_params *p,
				     uint64_t seed)
{
	struct lda_corpus *c = !strcmp(p->data, "synthetic")
		? lda_corpus_synthetic(&p->synth, seed)
		: lda_corpus_load(p->data, (enum lda_format)p->format);
	if (c && *p->vocab_file && lda_vocab_check(p->vocab_file, c->nwords) < 0) {
		lda_corpus_free(c);
		return NULL;
	}
	(void)cfg;
	return c;
}

/* The held-out corpus of lda.test_data, checked against the training vocabulary. */
static struct lda_corpus *get_test(const struct lda_params *p, uint32_t W)
{
	struct lda_corpus *t = lda_corpus_load(p->test_data, (enum lda_format)p->format);
	if (t && t->nwords > W) {
		diag_at(p->test_data, 0, "vocabulary of %u words exceeds the training vocabulary "
			"(W = %u)", t->nwords, W);
		lda_corpus_free(t);
		return NULL;
	}
	return t;
}

/* Split c's documents (seeded) into held-out and training, build test set and workers. */
static void distribute(struct workload *w, const struct lda_corpus *c, double test_fraction,
		       int64_t sweeps, int has_test_file)
{
	uint32_t D = c->ndocs;
	uint32_t *perm = alloc_n(D, sizeof *perm);
	for (uint32_t d = 0; d < D; d++)
		perm[d] = d;
	struct rng r;
	rng_init(&r, w->seed, rng_stream_id("lda-split", 0, 0));
	shuffle_u32(&r, perm, D);
	uint32_t ntest = has_test_file ? 0 : (uint32_t)floor(test_fraction * D + 0.5);
	if (ntest && !has_test_file)
		test_build(w, c, perm, ntest, sweeps);
	/* Training documents: dealt round-robin in the shuffled order (balanced document counts). */
	uint32_t ntrain = D - ntest;
	const uint32_t *train = perm + ntest;
	uint32_t *mine = alloc_n(ntrain, sizeof *mine);
	uint32_t *slot_of = alloc_n(c->nwords, sizeof *slot_of);
	memset(slot_of, 0xff, (size_t)c->nwords * sizeof *slot_of);
	for (int k = 0; k < w->nworkers; k++) {
		uint32_t n = 0;
		for (uint32_t j = (uint32_t)k; j < ntrain; j += (uint32_t)w->nworkers)
			mine[n++] = train[j];
		worker_build(w, k, c, mine, n, slot_of);
	}
	free(slot_of);
	free(mine);
	free(perm);
}

static struct workload *lda_create(struct runcfg *cfg, int nworkers, const int *worker_region,
				   int nregions, uint64_t seed)
{
	(void)worker_region;
	struct lda_params p;
	if (nworkers < 1 || nregions < 1) {
		diag_error("lda: need at least one worker and one region");
		return NULL;
	}
	if (read_params(cfg, &p) < 0)
		return NULL;
	struct lda_corpus *c = get_corpus(cfg, &p, seed);
	if (!c)
		return NULL;
	struct lda_corpus *tc = NULL;
	if (*p.test_data && !(tc = get_test(&p, c->nwords))) {
		lda_corpus_free(c);
		return NULL;
	}
	struct workload *w = xcalloc(1, sizeof *w);
	w->seed = seed;
	w->W = c->nwords;
	w->K = (uint32_t)p.topics;
	w->alpha = p.alpha;
	w->beta = p.beta;
	w->clocks_per_epoch = (int64_t)ceil(1.0 / p.batch_fraction - 1e-9);
	w->ns_per_token = p.ns_per_token;
	w->nworkers = nworkers;
	w->w = xcalloc((size_t)nworkers, sizeof *w->w);
	distribute(w, c, p.test_fraction, p.test_sweeps, tc != NULL);
	if (tc) {
		uint32_t *all = alloc_n(tc->ndocs, sizeof *all);
		for (uint32_t d = 0; d < tc->ndocs; d++)
			all[d] = d;
		test_build(w, tc, all, tc->ndocs, p.test_sweeps);
		free(all);
		lda_corpus_free(tc);
	}
	lda_corpus_free(c);
	if (w->ntrain == 0) {
		diag_error("lda: no training tokens left after holding out test documents");
		lda_ops.destroy(w);
		return NULL;
	}
	return w;
}

static void lda_destroy(struct workload *w)
{
	if (!w)
		return;
	for (int k = 0; k < w->nworkers; k++)
		worker_free(&w->w[k]);
	free(w->w);
	free(w->test.start);
	free(w->test.half);
	free(w->test.words);
	free(w);
}

static size_t lda_nrows(const struct workload *w)
{
	return (size_t)w->W + 1;
}

static size_t lda_row_len(const struct workload *w)
{
	return w->K;
}

size_t lda_train_tokens(const struct workload *w)
{
	return w->ntrain;
}

/* Add worker k's assignments z to a count table. */
static void add_counts(const struct workload *w, const struct lda_worker *k, const uint16_t *z,
		       double *counts)
{
	double *tot = counts + (size_t)w->W * w->K;
	for (size_t i = 0; i < k->ntok; i++) {
		counts[(size_t)k->word[i] * w->K + z[i]] += 1;
		tot[z[i]] += 1;
	}
}

void lda_counts(const struct workload *w, double *counts)
{
	memset(counts, 0, lda_nrows(w) * w->K * sizeof *counts);
	for (int id = 0; id < w->nworkers; id++)
		add_counts(w, &w->w[id], w->w[id].z, counts);
}

/* The counts of the initial assignments (redrawn from their streams, so any time). */
static void lda_init_model(const struct workload *w, double *params)
{
	memset(params, 0, lda_nrows(w) * w->K * sizeof *params);
	for (int id = 0; id < w->nworkers; id++) {
		const struct lda_worker *k = &w->w[id];
		uint16_t *z = alloc_n(k->ntok, sizeof *z);
		init_topics(w, id, z, k->ntok);
		add_counts(w, k, z, params);
		free(z);
	}
}

/* Gibbs sampling has no learning rate: 1 at every clock (an "lr" threshold stays constant). */
static double lda_learning_rate(const struct workload *w, int64_t clock)
{
	(void)w;
	(void)clock;
	return 1.0;
}

/* ---- one clock ---- */

static inline double pos(double x)
{
	return x > 0 ? x : 0;
}

/*
 * Resample token i of document row nd (K counts) whose word's row is `row` and the totals `tot`
 * (both scratch rows), drawing from
 *   p(z = k) ~ (n_dk + alpha) (max(n_wk, 0) + beta) / (max(n_k, 0) + W beta)
 * with the token's own assignment removed (Griffiths & Steyvers 2004, eq. 5, the document
 * length factor dropped as it does not depend on k).
 */
static void sample_token(const struct workload *w, struct lda_worker *k, struct rng *r, size_t i,
			 int32_t *nd, double *row, double *tot)
{
	uint32_t K = w->K;
	double wb = w->W * w->beta;
	uint16_t t = k->z[i];
	nd[t]--;
	row[t] -= 1;
	tot[t] -= 1;
	k->inv[t] = 1.0 / (pos(tot[t]) + wb);
	double s = 0;
	for (uint32_t j = 0; j < K; j++) {
		s += ((double)nd[j] + w->alpha) * (pos(row[j]) + w->beta) * k->inv[j];
		k->cum[j] = s;
	}
	double u = rng_uniform(r) * s;
	uint32_t n = 0;
	while (n + 1 < K && k->cum[n] <= u)
		n++;
	t = (uint16_t)n;
	k->z[i] = t;
	nd[t]++;
	row[t] += 1;
	tot[t] += 1;
	k->inv[t] = 1.0 / (pos(tot[t]) + wb);
}

/* Write scratch - model for the slots whose counts changed (ascending rows) into out. */
static void emit_update(const struct workload *w, const struct lda_worker *k,
			const uint32_t *rows, uint32_t m, const double *model, struct wl_update *out)
{
	size_t K = w->K;
	wl_update_reserve(out, m, K);
	size_t n = 0;
	for (uint32_t s = 0; s < m; s++) {
		const double *a = k->scratch + (size_t)s * K, *b = model + (size_t)rows[s] * K;
		double *v = out->vals + n * K;
		int changed = 0;
		for (size_t t = 0; t < K; t++)
			changed |= (v[t] = a[t] - b[t]) != 0;
		if (changed)
			out->rows[n++] = rows[s];
	}
	out->nrows = n;
}

/* Clock c samples batch c mod B of the worker's documents once. */
static uint64_t lda_step(struct workload *w, int worker, int64_t clock, const double *model,
			 struct wl_update *out)
{
	assert(worker >= 0 && worker < w->nworkers && clock >= 0);
	struct lda_worker *k = &w->w[worker];
	int64_t B = w->clocks_per_epoch, b = clock % B;
	const uint32_t *rows = k->slot_row + k->slot_start[b];
	uint32_t m = (uint32_t)(k->slot_start[b + 1] - k->slot_start[b]);
	size_t K = w->K;
	for (uint32_t s = 0; s < m; s++)
		memcpy(k->scratch + s * K, model + (size_t)rows[s] * K, K * sizeof *k->scratch);
	double *tot = k->scratch + (size_t)(m - 1) * K;
	for (size_t t = 0; t < K; t++)
		k->inv[t] = 1.0 / (pos(tot[t]) + w->W * w->beta);
	struct rng r;
	rng_init(&r, w->seed, rng_stream_id("lda-sample", (uint64_t)worker, (uint64_t)clock));
	uint32_t d0 = batch_start(k->ndocs, b, B), d1 = batch_start(k->ndocs, b + 1, B);
	for (uint32_t d = d0; d < d1; d++) {
		int32_t *nd = k->ndk + (size_t)d * K;
		for (size_t i = k->doc_start[d]; i < k->doc_start[d + 1]; i++)
			sample_token(w, k, &r, i, nd, k->scratch + (size_t)k->slot[i] * K, tot);
	}
	emit_update(w, k, rows, m, model, out);
	return k->doc_start[d1] - k->doc_start[d0];
}

static size_t lda_rows_needed(struct workload *w, int worker, int64_t clock, const uint32_t **rows)
{
	assert(worker >= 0 && worker < w->nworkers && clock >= 0);
	struct lda_worker *k = &w->w[worker];
	int64_t b = clock % w->clocks_per_epoch;
	*rows = k->slot_row + k->slot_start[b];
	return (size_t)(k->slot_start[b + 1] - k->slot_start[b]);
}

/* ---- objective and metrics ---- */

/*
 * -log p(w | z) / N from the model's word rows (negative counts read as 0; the totals are the
 * column sums of the word rows, so that the value is the likelihood of one count table):
 *   log p(w|z) = K [lgamma(W beta) - W lgamma(beta)]
 *              + sum_k [ sum_w lgamma(n_wk + beta) - lgamma(n_k + W beta) ]
 * (Griffiths & Steyvers 2004, eq. 2).
 */
static double lda_objective(const struct workload *w, const double *model)
{
	size_t K = w->K;
	double *nk = xcalloc(K, sizeof *nk);
	double ll = (double)K * lgamma(w->W * w->beta);
	for (size_t v = 0; v < w->W; v++)
		for (size_t t = 0; t < K; t++) {
			double n = pos(model[v * K + t]);
			nk[t] += n;
			if (n > 0)
				ll += lgamma(n + w->beta) - lgamma(w->beta);
		}
	/* the constant's -W K lgamma(beta) is spread over the entries: a zero count adds
	 * lgamma(0 + beta) - lgamma(beta) = 0, so only non-zero counts are visited */
	for (size_t t = 0; t < K; t++)
		ll -= lgamma(nk[t] + w->W * w->beta);
	free(nk);
	return -ll / (double)w->ntrain;
}

/* phi[v * K + k] = (max(n_vk, 0) + beta) / (max(n_k, 0) + W beta) from the model. */
static double *topic_word(const struct workload *w, const double *model)
{
	size_t K = w->K;
	double *phi = xmalloc((size_t)w->W * K * sizeof *phi);
	const double *tot = model + (size_t)w->W * K;
	for (size_t v = 0; v < w->W; v++)
		for (size_t t = 0; t < K; t++)
			phi[v * K + t] = (pos(model[v * K + t]) + w->beta) / (pos(tot[t]) + w->W * w->beta);
	return phi;
}

/* log sum_k theta_k phi[v, k]. */
static double log_word_prob(const double *theta, const double *phi_v, size_t K)
{
	double s = 0;
	for (size_t t = 0; t < K; t++)
		s += theta[t] * phi_v[t];
	return log(s);
}

/*
 * Training perplexity exp(-(1/N) sum over tokens of log sum_k theta_dk phi_wk), with
 * theta_dk = (n_dk + alpha) / (n_d + K alpha) from the workers' current assignments.
 */
static double lda_metric(const struct workload *w, const double *model)
{
	size_t K = w->K;
	double *phi = topic_word(w, model), *theta = xmalloc(K * sizeof *theta), ll = 0;
	for (int id = 0; id < w->nworkers; id++) {
		const struct lda_worker *k = &w->w[id];
		for (uint32_t d = 0; d < k->ndocs; d++) {
			size_t a = k->doc_start[d], b = k->doc_start[d + 1];
			for (size_t t = 0; t < K; t++)
				theta[t] = (k->ndk[d * K + t] + w->alpha) / ((double)(b - a) + K * w->alpha);
			for (size_t i = a; i < b; i++)
				ll += log_word_prob(theta, phi + (size_t)k->word[i] * K, K);
		}
	}
	free(phi);
	free(theta);
	return exp(-ll / (double)w->ntrain);
}

/*
 * Document completion for held-out document d: `sweeps` Gibbs sweeps over its observed half with
 * the model fixed (p(z = k) ~ (n_dk + alpha) phi_wk, initial topics from stream
 * ("lda-test", d, 0)), theta averaged over the sweeps of the second half of them, then the
 * log-probability of the evaluated half. Returns that sum of log-probabilities.
 */
static double complete_doc(const struct workload *w, uint32_t d, const double *phi, double *nd,
			   double *theta, double *cum, uint16_t *z)
{
	const struct lda_test *t = &w->test;
	size_t K = w->K, a = t->start[d], h = t->half[d], e = t->start[d + 1];
	const uint32_t *words = t->words + a;
	struct rng r;
	rng_init(&r, w->seed, rng_stream_id("lda-test", d, 0));
	memset(nd, 0, K * sizeof *nd);
	memset(theta, 0, K * sizeof *theta);
	for (size_t i = 0; i < h; i++)
		nd[z[i] = (uint16_t)rng_below(&r, K)] += 1;
	int64_t kept = 0;
	for (int64_t s = 0; s < t->sweeps; s++) {
		for (size_t i = 0; i < h; i++) {
			nd[z[i]] -= 1;
			const double *pv = phi + (size_t)words[i] * K;
			double sum = 0;
			for (size_t k = 0; k < K; k++)
				cum[k] = (sum += (nd[k] + w->alpha) * pv[k]);
			double u = rng_uniform(&r) * sum;
			size_t n = 0;
			while (n + 1 < K && cum[n] <= u)
				n++;
			z[i] = (uint16_t)n;
			nd[n] += 1;
		}
		if (2 * s >= t->sweeps - 1) {
			for (size_t k = 0; k < K; k++)
				theta[k] += (nd[k] + w->alpha) / ((double)h + K * w->alpha);
			kept++;
		}
	}
	for (size_t k = 0; k < K; k++)
		theta[k] = kept ? theta[k] / (double)kept : 1.0 / (double)K;
	double ll = 0;
	for (size_t i = h; i < e - a; i++)
		ll += log_word_prob(theta, phi + (size_t)words[i] * K, K);
	return ll;
}

/* Held-out perplexity exp(-(sum of log p(evaluated tokens)) / evaluated tokens); NAN if none. */
static double lda_test_metric(const struct workload *w, const double *model)
{
	const struct lda_test *t = &w->test;
	if (t->ndocs == 0 || t->neval == 0)
		return NAN;
	size_t K = w->K, most = 1;
	for (uint32_t d = 0; d < t->ndocs; d++)
		if (t->half[d] > most)
			most = t->half[d];
	double *phi = topic_word(w, model);
	double *nd = xmalloc(3 * K * sizeof *nd);
	uint16_t *z = xmalloc(most * sizeof *z);
	double ll = 0;
	for (uint32_t d = 0; d < t->ndocs; d++)
		ll += complete_doc(w, d, phi, nd, nd + K, nd + 2 * K, z);
	free(z);
	free(nd);
	free(phi);
	return exp(-ll / (double)t->neval);
}

static double lda_ns_per_unit(const struct workload *w)
{
	return w->ns_per_token;
}

static uint64_t lda_units(const struct workload *w, int worker)
{
	assert(worker >= 0 && worker < w->nworkers);
	return w->w[worker].ntok;
}

/* The keys lda_create reads (docs/workload-lda.md). */
static const struct runcfg_keydoc lda_keys[] = {
	{ "lda.data", "string", "synthetic", "", "data source: synthetic, or a corpus file" },
	{ "lda.format", "choice: auto|uci|ldac", "auto", "", "corpus file format" },
	{ "lda.vocab_file", "string", "", "", "vocabulary file checked against the corpus" },
	{ "lda.test_data", "string", "", "", "held-out corpus file" },
	{ "lda.test_fraction", "number 0..0.9", "0.1 (0 with lda.test_data)", "fraction", "share of documents held out" },
	{ "lda.test_sweeps", "integer 1..10000", "10", "sweeps", "Gibbs sweeps of held-out document completion" },
	{ "lda.topics", "integer >= 1", "20", "topics", "topics K" },
	{ "lda.alpha", "number > 0", "50 / K", "", "document-topic prior (Griffiths & Steyvers 2004)" },
	{ "lda.beta", "number > 0", "0.01", "", "topic-word prior" },
	{ "lda.batch_fraction", "number 1e-6..1", "1", "fraction", "share of a worker's documents sampled per clock" },
	{ "lda.docs", "integer >= 1", "2000", "documents", "synthetic: documents" },
	{ "lda.vocab", "integer >= 1", "1000", "words", "synthetic: vocabulary size W" },
	{ "lda.doc_length", "number >= 1", "100", "tokens", "synthetic: mean document length" },
	{ "lda.true_topics", "integer >= 1", "K", "topics", "synthetic: topics of the generator" },
	{ "lda.gen_alpha", "number 1e-3..1e3", "0.1", "", "synthetic: generator's document-topic prior" },
	{ "lda.gen_beta", "number 1e-3..1e3", "0.01", "", "synthetic: generator's topic-word prior" },
	{ "lda.ns_per_token", "number >= 0", "36.3 + 3.26 * K", "ns", "simulated compute per token (measured, bench/bench_lda)" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct workload_ops lda_ops = {
	.name = "lda",
	.keys = lda_keys,
	.metric_name = "train_perplexity",
	.create = lda_create,
	.destroy = lda_destroy,
	.nrows = lda_nrows,
	.row_len = lda_row_len,
	.init_model = lda_init_model,
	.step = lda_step,
	.rows_needed = lda_rows_needed,
	.objective = lda_objective,
	.metric = lda_metric,
	.test_metric_name = "perplexity",
	.test_metric = lda_test_metric,
	.test_higher_better = 0,
	.learning_rate = lda_learning_rate,
	.ns_per_unit = lda_ns_per_unit,
	.units = lda_units,
};
