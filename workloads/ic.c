/*
 * Image classification by mini-batch SGD (docs/workload-ic.md): multinomial logistic regression
 * or a multilayer perceptron with one or two ReLU hidden layers, softmax cross-entropy loss, on
 * Fashion-MNIST-style IDX data or on synthetic Gaussian clusters.
 *
 * Layout: the parameters form one flat vector, layer after layer; within a layer, one block of
 * (fan_in + 1) values per output unit (its fan_in weights, then its bias). The vector is cut
 * into rows of row_len = input features + 1 values (the last row zero-padded): with this
 * choice each row of the first layer is exactly one unit (logistic regression: one row per
 * class); the smaller later layers are packed after it. The model is dense: every clock reads
 * and updates every row.
 *
 * A clock of a worker: copy the model, run sequential mini-batch SGD over the clock's slice of
 * the worker's shuffled local data, and report (local result - model), scaled by 1 / workers
 * when ic.lr_scaling = average (so the parameter server's sum of a clock's updates is the
 * average of the workers' local results: model averaging).
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/rng.h"
#include "lib/runcfg.h"
#include "lib/xmalloc.h"
#include "workloads/ic-data.h"
#include "workloads/workload.h"

/* Most weight layers: two hidden layers and the output layer. */
#define IC_MAX_LAYERS 3

/*
 * Default simulated compute cost, ns per floating-point operation of training (flops counted as
 * in ic_flops_per_example()), by model: `nice bench/bench_ic` on this project's machine (AMD EPYC
 * VM, 2 vCPUs, gcc 12.2 -O2, first 6,000 Fashion-MNIST images, batch 32): logistic regression
 * 7,960 ns per example = 0.248 ns/flop; MLP 784-128-10 0.115 and 784-128-64-10 0.103, mean
 * 0.109 (docs/workload-ic.md). The MLP's rate is lower because back-propagation skips the
 * inactive ReLUs that the flop count includes. Overridden by ic.ns_per_flop.
 */
#define IC_NS_PER_FLOP_LOGREG 0.248
#define IC_NS_PER_FLOP_MLP 0.109

/* The network's shape and where each layer lives in the flat parameter vector. */
struct ic_net {
	int nlayers;                          /* weight layers (1 = logistic regression) */
	size_t width[IC_MAX_LAYERS + 1];      /* width[0] = input features, width[nlayers] = classes */
	size_t off[IC_MAX_LAYERS];            /* first value of layer l in the flat vector */
	size_t nparams;                       /* values in the flat vector (weights and biases) */
	size_t max_width;                     /* widest layer, input included */
};

/* Activations and back-propagated errors of one example. */
struct ic_scratch {
	double *act[IC_MAX_LAYERS + 1]; /* act[0] = input, act[l] = output of layer l (post-ReLU;
					   logits, then probabilities, for the last) */
	double *delta, *delta2;         /* dLoss/d(pre-activation) of a layer, and of the one below */
};

/* One worker's data and training state. */
struct ic_worker {
	size_t n;          /* local training examples */
	uint32_t *base;    /* their indices in the training set, data order */
	uint32_t *order;   /* the current epoch's shuffle of base */
	int64_t epoch;     /* epoch `order` is for; -1 before the first */
	double *params;    /* nrows * row_len: the worker's working copy of the model */
	double *grad;      /* nparams: a minibatch's summed gradient */
	struct ic_scratch s; /* per-example buffers */
};

/* Cached training-sample evaluation: objective() and metric() are called on the same model. */
struct ic_eval_cache {
	int valid;     /* 1 once filled */
	uint64_t hash; /* hash of the parameters evaluated */
	double loss;   /* mean cross-entropy over the sample */
	double acc;    /* accuracy over the sample */
};

struct workload {
	uint64_t seed;          /* run seed */
	struct ic_data *data;   /* training and test sets */
	struct ic_net net;      /* model shape */
	size_t row_len;         /* values per parameter row: input features + 1 */
	size_t nrows;           /* parameter rows: ceil(nparams / row_len) */
	uint32_t *all_rows;     /* 0 .. nrows-1: what rows_needed() returns */
	double lr;              /* ic.lr */
	double lr_decay;        /* ic.lr_decay, per epoch */
	int64_t batch;          /* ic.batch: examples per minibatch */
	double l2;              /* ic.l2: weight decay coefficient (weights only, not biases) */
	int average;            /* 1 if updates are divided by the number of workers */
	int64_t clocks_per_epoch; /* ceil(1 / ic.batch_fraction) */
	double ns_per_flop;     /* ic.ns_per_flop */
	size_t nsample;         /* training examples in the evaluation sample */
	uint32_t *sample;       /* their indices, ascending */
	struct ic_eval_cache *cache; /* last training-sample evaluation (mutable through const) */
	int nworkers;           /* workers */
	struct ic_worker *w;    /* nworkers workers */
};

/* ---- the network ---- */

/* Lay out a network of the given widths (nlayers + 1 entries). */
static void net_init(struct ic_net *n, int nlayers, const size_t *width)
{
	memset(n, 0, sizeof *n);
	n->nlayers = nlayers;
	for (int l = 0; l <= nlayers; l++) {
		n->width[l] = width[l];
		if (width[l] > n->max_width)
			n->max_width = width[l];
	}
	for (int l = 0; l < nlayers; l++) {
		n->off[l] = n->nparams;
		n->nparams += n->width[l + 1] * (n->width[l] + 1);
	}
}

/* Dot product with four independent partial sums (see mf.c's dot4 for why). */
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

/* Forward pass from s->act[0]; the last layer's outputs become softmax probabilities. */
static void forward(const struct ic_net *n, const double *p, struct ic_scratch *s)
{
	for (int l = 0; l < n->nlayers; l++) {
		size_t in = n->width[l], out = n->width[l + 1];
		const double *W = p + n->off[l];
		double *a = s->act[l + 1];
		int last = l == n->nlayers - 1;
		for (size_t j = 0; j < out; j++) {
			const double *row = W + j * (in + 1);
			double z = row[in] + dot4(row, s->act[l], in);
			a[j] = last || z > 0 ? z : 0;
		}
	}
	double *z = s->act[n->nlayers];
	size_t C = n->width[n->nlayers];
	double m = z[0], sum = 0;
	for (size_t c = 1; c < C; c++)
		if (z[c] > m)
			m = z[c];
	for (size_t c = 0; c < C; c++)
		sum += (z[c] = exp(z[c] - m));
	/* Probabilities below 1e-200 become 0: their products in back-propagation would be
	 * subnormal numbers, which cost about a hundred cycles each on x86, for a change of the
	 * gradient far below double precision. */
	for (size_t c = 0; c < C; c++)
		z[c] = z[c] / sum >= 1e-200 ? z[c] / sum : 0;
}

/* Cross-entropy -log p_y of probabilities from forward(), floored to avoid log(0). */
static double xent(const struct ic_net *n, const struct ic_scratch *s, int y)
{
	double py = s->act[n->nlayers][y];
	return -log(py > 1e-300 ? py : 1e-300);
}

/* Predicted class: the most probable (lowest index on ties). */
static int predict(const struct ic_net *n, const struct ic_scratch *s)
{
	const double *pr = s->act[n->nlayers];
	int best = 0;
	for (size_t c = 1; c < n->width[n->nlayers]; c++)
		if (pr[c] > pr[best])
			best = (int)c;
	return best;
}

/* Add the gradient of -log p_y (after forward()) to g. */
static void backward(const struct ic_net *n, const double *p, struct ic_scratch *s, int y,
		     double *g)
{
	size_t C = n->width[n->nlayers];
	double *delta = s->delta, *below = s->delta2;
	for (size_t c = 0; c < C; c++)
		delta[c] = s->act[n->nlayers][c] - (c == (size_t)y);
	for (int l = n->nlayers - 1; l >= 0; l--) {
		size_t in = n->width[l], out = n->width[l + 1];
		const double *a = s->act[l];
		double *G = g + n->off[l];
		const double *W = p + n->off[l];
		if (l > 0)
			memset(below, 0, in * sizeof *below);
		for (size_t j = 0; j < out; j++) {
			double d = delta[j];
			if (d == 0)
				continue;
			double *restrict gr = G + j * (in + 1);
			for (size_t i = 0; i < in; i++)
				gr[i] += d * a[i];
			gr[in] += d;
			if (l > 0) {
				const double *restrict wr = W + j * (in + 1);
				for (size_t i = 0; i < in; i++)
					below[i] += d * wr[i];
			}
		}
		if (l > 0) {
			for (size_t i = 0; i < in; i++)
				if (a[i] <= 0)
					below[i] = 0; /* ReLU: a = max(z, 0) */
			double *t = delta;
			delta = below;
			below = t;
		}
	}
}

static void scratch_init(struct ic_scratch *s, const struct ic_net *n)
{
	memset(s, 0, sizeof *s);
	for (int l = 0; l <= n->nlayers; l++)
		s->act[l] = xmalloc(n->width[l] * sizeof *s->act[l]);
	s->delta = xmalloc(n->max_width * sizeof *s->delta);
	s->delta2 = xmalloc(n->max_width * sizeof *s->delta2);
}

static void scratch_free(struct ic_scratch *s)
{
	for (int l = 0; l <= IC_MAX_LAYERS; l++)
		free(s->act[l]);
	free(s->delta);
	free(s->delta2);
	memset(s, 0, sizeof *s);
}

/*
 * Floating-point operations of training on one example: forward 2 per parameter, weight
 * gradient 2 per parameter, error propagation 2 per parameter above the first layer, and the
 * minibatch's SGD update (3 per parameter) shared by `batch` examples.
 */
static double ic_flops_per_example(const struct ic_net *n, int64_t batch)
{
	double P = (double)n->nparams;
	double first = (double)(n->width[1] * (n->width[0] + 1));
	return 4 * P + 2 * (P - first) + 3 * P / (double)batch;
}

/* ---- configuration ---- */

/* Default Debian paths (package dataset-fashion-mnist). */
#define IC_DIR "/usr/share/datasets/fashion-mnist/"

/* Parameters read from the configuration. */
struct ic_params {
	int synthetic;                /* ic.data = synthetic */
	struct ic_files files;        /* IDX paths and limits */
	struct ic_synth_params synth; /* generator parameters (synthetic only) */
	int64_t classes;              /* ic.classes */
	int mlp;                      /* ic.model = mlp */
	int nhidden;                  /* hidden layers (0 for logreg) */
	size_t hidden[2];             /* their widths (ic.hidden) */
	double lr, lr_decay, l2;      /* ic.lr, ic.lr_decay, ic.l2 */
	int64_t batch;                /* ic.batch */
	double batch_fraction;        /* ic.batch_fraction */
	int average;                  /* ic.lr_scaling = average */
	double label_skew;            /* ic.label_skew */
	int64_t eval_sample;          /* ic.eval_sample (0 = all) */
	double ns_per_flop;           /* ic.ns_per_flop */
};

/* Parse ic.hidden: one or two positive widths separated by a comma. */
static int parse_hidden(struct runcfg *cfg, struct ic_params *p)
{
	const char *v;
	runcfg_string(cfg, "ic.hidden", "128", &v);
	const char *s = v;
	p->nhidden = 0;
	for (;;) {
		char *end;
		long x = strtol(s, &end, 10);
		if (end == s || x < 1 || x > 65536 || p->nhidden == 2)
			goto bad;
		p->hidden[p->nhidden++] = (size_t)x;
		while (*end == ' ')
			end++;
		if (*end == '\0')
			return 0;
		if (*end != ',')
			goto bad;
		s = end + 1;
	}
bad:;
	long line;
	const char *where = runcfg_where(cfg, "ic.hidden", &line);
	return diag_at(where ? where : "<default>", line, "ic.hidden: bad value '%s' (expected one "
		       "or two layer widths in 1..65536, e.g. 128 or 128,64)", v);
}

static int read_data_params(struct runcfg *cfg, struct ic_params *p)
{
	static const char *const kinds[] = { "idx", "synthetic", NULL };
	int kind, bad = 0;
	bad |= runcfg_choice(cfg, "ic.data", "idx", kinds, &kind);
	p->synthetic = kind == 1;
	bad |= runcfg_int(cfg, "ic.classes", 10, 2, 256, &p->classes);
	if (p->synthetic) {
		struct ic_synth_params *s = &p->synth;
		s->classes = p->classes;
		bad |= runcfg_int(cfg, "ic.features", 20, 1, 100000, &s->features);
		bad |= runcfg_int(cfg, "ic.synth_train", 5000, 1, 10000000, &s->train);
		bad |= runcfg_int(cfg, "ic.synth_test", 1000, 0, 10000000, &s->test);
		bad |= runcfg_double(cfg, "ic.synth_noise", 2.0, 0, 1e6, &s->noise);
		return bad;
	}
	struct ic_files *f = &p->files;
	bad |= runcfg_string(cfg, "ic.train_images", IC_DIR "train-images-idx3-ubyte.gz",
			     &f->train_images);
	bad |= runcfg_string(cfg, "ic.train_labels", IC_DIR "train-labels-idx1-ubyte.gz",
			     &f->train_labels);
	bad |= runcfg_string(cfg, "ic.test_images", IC_DIR "t10k-images-idx3-ubyte.gz",
			     &f->test_images);
	bad |= runcfg_string(cfg, "ic.test_labels", IC_DIR "t10k-labels-idx1-ubyte.gz",
			     &f->test_labels);
	bad |= runcfg_int(cfg, "ic.train_limit", 0, 0, INT32_MAX, &f->train_limit);
	bad |= runcfg_int(cfg, "ic.test_limit", 0, 0, INT32_MAX, &f->test_limit);
	return bad;
}

static int read_params(struct runcfg *cfg, struct ic_params *p)
{
	static const char *const models[] = { "logreg", "mlp", NULL };
	static const char *const scalings[] = { "average", "none", NULL };
	memset(p, 0, sizeof *p);
	int bad = read_data_params(cfg, p), scaling;
	bad |= runcfg_choice(cfg, "ic.model", "logreg", models, &p->mlp);
	if (!bad && (p->mlp || runcfg_has(cfg, "ic.hidden")))
		bad |= parse_hidden(cfg, p);
	if (!p->mlp)
		p->nhidden = 0;
	bad |= runcfg_double(cfg, "ic.lr", 0.01, 0, 1e6, &p->lr);
	bad |= runcfg_double(cfg, "ic.lr_decay", 0, 0, 1e6, &p->lr_decay);
	bad |= runcfg_int(cfg, "ic.batch", 32, 1, 1 << 20, &p->batch);
	bad |= runcfg_double(cfg, "ic.l2", 0, 0, 1e6, &p->l2);
	bad |= runcfg_double(cfg, "ic.batch_fraction", 0.05, 1e-6, 1, &p->batch_fraction);
	bad |= runcfg_choice(cfg, "ic.lr_scaling", "average", scalings, &scaling);
	p->average = scaling == 0;
	bad |= runcfg_double(cfg, "ic.label_skew", 0, 0, 1, &p->label_skew);
	bad |= runcfg_int(cfg, "ic.eval_sample", 10000, 0, INT32_MAX, &p->eval_sample);
	bad |= runcfg_double(cfg, "ic.ns_per_flop", p->mlp ? IC_NS_PER_FLOP_MLP : IC_NS_PER_FLOP_LOGREG,
			     0, 1e6, &p->ns_per_flop);
	return bad ? -1 : 0;
}

/* ---- construction ---- */

/*
 * Evaluation sample: the whole training set if it has at most `want` examples (or want is 0),
 * else `want` distinct indices drawn with stream ("ic-eval", 0, 0) (Floyd's algorithm),
 * ascending.
 */
static void pick_sample(struct workload *w, int64_t want)
{
	size_t n = w->data->train.n;
	size_t k = want == 0 || (uint64_t)want >= n ? n : (size_t)want;
	w->nsample = k;
	w->sample = xmalloc((k ? k : 1) * sizeof *w->sample);
	if (k == n) {
		for (size_t i = 0; i < n; i++)
			w->sample[i] = (uint32_t)i;
		return;
	}
	uint8_t *taken = xcalloc(n, 1);
	struct rng r;
	rng_init(&r, w->seed, rng_stream_id("ic-eval", 0, 0));
	for (size_t j = n - k; j < n; j++) {
		size_t t = rng_below(&r, j + 1);
		taken[taken[t] ? j : t] = 1;
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (taken[i])
			w->sample[m++] = (uint32_t)i;
	assert(m == k);
	free(taken);
}

/* Give each worker its examples (owner[] from the partition) and its buffers. */
static void build_workers(struct workload *w, const uint32_t *owner)
{
	size_t n = w->data->train.n;
	w->w = xcalloc((size_t)w->nworkers, sizeof *w->w);
	for (size_t i = 0; i < n; i++)
		w->w[owner[i]].n++;
	for (int k = 0; k < w->nworkers; k++) {
		struct ic_worker *x = &w->w[k];
		x->base = xmalloc((x->n ? x->n : 1) * sizeof *x->base);
		x->order = xmalloc((x->n ? x->n : 1) * sizeof *x->order);
		x->n = 0;
		x->epoch = -1;
		x->params = xmalloc(w->nrows * w->row_len * sizeof *x->params);
		x->grad = xmalloc(w->net.nparams * sizeof *x->grad);
		scratch_init(&x->s, &w->net);
	}
	for (size_t i = 0; i < n; i++) {
		struct ic_worker *x = &w->w[owner[i]];
		x->base[x->n++] = (uint32_t)i;
	}
}

static struct workload *ic_create(struct runcfg *cfg, int nworkers, const int *worker_region,
				  int nregions, uint64_t seed)
{
	struct ic_params p;
	if (nworkers < 1 || nregions < 1) {
		diag_error("ic: need at least one worker and one region");
		return NULL;
	}
	if (read_params(cfg, &p) < 0)
		return NULL;
	struct ic_data *d = p.synthetic ? ic_data_synthetic(&p.synth, seed)
					: ic_data_load(&p.files, (int)p.classes);
	if (!d)
		return NULL;
	struct workload *w = xcalloc(1, sizeof *w);
	w->seed = seed;
	w->data = d;
	size_t width[IC_MAX_LAYERS + 1];
	width[0] = d->train.dim;
	for (int h = 0; h < p.nhidden; h++)
		width[h + 1] = p.hidden[h];
	width[p.nhidden + 1] = (size_t)d->classes;
	net_init(&w->net, p.nhidden + 1, width);
	w->row_len = d->train.dim + 1;
	w->nrows = (w->net.nparams + w->row_len - 1) / w->row_len;
	w->all_rows = xmalloc(w->nrows * sizeof *w->all_rows);
	for (size_t r = 0; r < w->nrows; r++)
		w->all_rows[r] = (uint32_t)r;
	w->lr = p.lr;
	w->lr_decay = p.lr_decay;
	w->batch = p.batch;
	w->l2 = p.l2;
	w->average = p.average;
	w->clocks_per_epoch = (int64_t)ceil(1.0 / p.batch_fraction - 1e-9);
	w->ns_per_flop = p.ns_per_flop;
	w->cache = xcalloc(1, sizeof *w->cache);
	w->nworkers = nworkers;
	pick_sample(w, p.eval_sample);
	uint32_t *owner = ic_data_partition(d->train.label, d->train.n, d->classes, p.label_skew,
					    nworkers, worker_region, nregions, seed);
	build_workers(w, owner);
	free(owner);
	return w;
}

static void ic_destroy(struct workload *w)
{
	if (!w)
		return;
	for (int k = 0; k < w->nworkers; k++) {
		struct ic_worker *x = &w->w[k];
		free(x->base);
		free(x->order);
		free(x->params);
		free(x->grad);
		scratch_free(&x->s);
	}
	free(w->w);
	free(w->all_rows);
	free(w->sample);
	free(w->cache);
	ic_data_free(w->data);
	free(w);
}

static size_t ic_nrows(const struct workload *w)
{
	return w->nrows;
}

static size_t ic_row_len(const struct workload *w)
{
	return w->row_len;
}

/*
 * Glorot-uniform weights (Glorot and Bengio 2010; the Keras Dense default): U(-s, s) with
 * s = sqrt(6 / (fan_in + fan_out)), from stream ("ic-init", 0, 0); biases and padding 0.
 */
static void ic_init_model(const struct workload *w, double *params)
{
	struct rng r;
	rng_init(&r, w->seed, rng_stream_id("ic-init", 0, 0));
	memset(params, 0, w->nrows * w->row_len * sizeof *params);
	const struct ic_net *n = &w->net;
	for (int l = 0; l < n->nlayers; l++) {
		size_t in = n->width[l], out = n->width[l + 1];
		double s = sqrt(6.0 / (double)(in + out));
		for (size_t j = 0; j < out; j++)
			for (size_t i = 0; i < in; i++)
				params[n->off[l] + j * (in + 1) + i] = s * (2 * rng_uniform(&r) - 1);
	}
}

/* lr(clock) = ic.lr / (1 + ic.lr_decay * clock / clocks_per_epoch). */
static double ic_learning_rate(const struct workload *w, int64_t clock)
{
	return w->lr / (1.0 + w->lr_decay * (double)clock / (double)w->clocks_per_epoch);
}

/* ---- one clock ---- */

/* Shuffle the worker's examples for `epoch` with stream ("ic-worker", worker, epoch). */
static void plan_epoch(const struct workload *w, struct ic_worker *x, int worker, int64_t epoch)
{
	struct rng r;
	rng_init(&r, w->seed, rng_stream_id("ic-worker", (uint64_t)worker, (uint64_t)epoch));
	memcpy(x->order, x->base, x->n * sizeof *x->order);
	for (size_t j = x->n - 1; j > 0; j--) {
		size_t t = rng_below(&r, j + 1);
		uint32_t v = x->order[j];
		x->order[j] = x->order[t];
		x->order[t] = v;
	}
	x->epoch = epoch;
}

/* One SGD step on examples order[lo, hi) of the worker's working copy, learning rate eta. */
static void sgd_batch(const struct workload *w, struct ic_worker *x, size_t lo, size_t hi,
		      double eta)
{
	const struct ic_net *n = &w->net;
	const struct ic_set *tr = &w->data->train;
	memset(x->grad, 0, n->nparams * sizeof *x->grad);
	for (size_t j = lo; j < hi; j++) {
		uint32_t i = x->order[j];
		ic_set_row(tr, i, x->s.act[0]);
		forward(n, x->params, &x->s);
		backward(n, x->params, &x->s, tr->label[i], x->grad);
	}
	double g = eta / (double)(hi - lo), decay = eta * w->l2;
	for (int l = 0; l < n->nlayers; l++) {
		size_t in = n->width[l], out = n->width[l + 1];
		double *P = x->params + n->off[l];
		const double *G = x->grad + n->off[l];
		for (size_t j = 0; j < out; j++) {
			double *p = P + j * (in + 1);
			const double *q = G + j * (in + 1);
			for (size_t i = 0; i < in; i++)
				p[i] -= g * q[i] + decay * p[i];
			p[in] -= g * q[in];
		}
	}
}

/* Slice b of B over n examples: positions [n*b/B, n*(b+1)/B). */
static size_t slice_start(size_t n, int64_t b, int64_t B)
{
	return (size_t)((uint64_t)n * (uint64_t)b / (uint64_t)B);
}

/*
 * Clock c is slice c mod B of epoch c / B (B = clocks per epoch), run as consecutive
 * minibatches of ic.batch examples (the last one of a slice may be smaller).
 */
static uint64_t ic_step(struct workload *w, int worker, int64_t clock, const double *model,
			struct wl_update *out)
{
	assert(worker >= 0 && worker < w->nworkers && clock >= 0);
	struct ic_worker *x = &w->w[worker];
	out->nrows = 0;
	if (x->n == 0)
		return 0;
	int64_t B = w->clocks_per_epoch, epoch = clock / B, b = clock % B;
	if (epoch != x->epoch)
		plan_epoch(w, x, worker, epoch);
	size_t total = w->nrows * w->row_len;
	memcpy(x->params, model, total * sizeof *x->params);
	size_t lo = slice_start(x->n, b, B), hi = slice_start(x->n, b + 1, B);
	double eta = ic_learning_rate(w, clock);
	for (size_t s = lo; s < hi; s += (size_t)w->batch) {
		size_t e = s + (size_t)w->batch < hi ? s + (size_t)w->batch : hi;
		sgd_batch(w, x, s, e, eta);
	}
	wl_update_reserve(out, w->nrows, w->row_len);
	memcpy(out->rows, w->all_rows, w->nrows * sizeof *out->rows);
	double scale = w->average ? 1.0 / w->nworkers : 1.0;
	for (size_t k = 0; k < total; k++)
		out->vals[k] = (x->params[k] - model[k]) * scale;
	out->nrows = w->nrows;
	return hi - lo;
}

/* Every row, every clock: the model is dense. */
static size_t ic_rows_needed(struct workload *w, int worker, int64_t clock, const uint32_t **rows)
{
	assert(worker >= 0 && worker < w->nworkers && clock >= 0);
	(void)worker;
	(void)clock;
	*rows = w->all_rows;
	return w->nrows;
}

/* ---- objective and metrics ---- */

/* Mean cross-entropy and accuracy of a model over examples idx[0..k) of a set (all if NULL). */
static void evaluate(const struct workload *w, const struct ic_set *set, const uint32_t *idx,
		     size_t k, const double *model, double *loss, double *acc)
{
	struct ic_scratch s;
	scratch_init(&s, &w->net);
	double sum = 0;
	size_t right = 0;
	for (size_t j = 0; j < k; j++) {
		size_t i = idx ? idx[j] : j;
		ic_set_row(set, i, s.act[0]);
		forward(&w->net, model, &s);
		sum += xent(&w->net, &s, set->label[i]);
		right += predict(&w->net, &s) == set->label[i];
	}
	scratch_free(&s);
	*loss = k ? sum / (double)k : 0;
	*acc = k ? (double)right / (double)k : 0;
}

/* 64-bit FNV-1a-style hash of the parameter words. */
static uint64_t params_hash(const double *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t k = 0; k < n; k++) {
		uint64_t v;
		memcpy(&v, &p[k], sizeof v);
		h = (h ^ v) * 1099511628211ULL;
		h ^= h >> 29;
	}
	return h;
}

/* The training-sample evaluation of `model`, computed once per distinct model. */
static const struct ic_eval_cache *train_eval(const struct workload *w, const double *model)
{
	struct ic_eval_cache *c = w->cache;
	uint64_t h = params_hash(model, w->net.nparams);
	if (!c->valid || c->hash != h) {
		evaluate(w, &w->data->train, w->sample, w->nsample, model, &c->loss, &c->acc);
		c->hash = h;
		c->valid = 1;
	}
	return c;
}

/* Mean cross-entropy over the evaluation sample + (ic.l2 / 2) * squared weights (no biases). */
static double ic_objective(const struct workload *w, const double *model)
{
	double sq = 0;
	const struct ic_net *n = &w->net;
	for (int l = 0; l < n->nlayers && w->l2 > 0; l++) {
		size_t in = n->width[l], out = n->width[l + 1];
		for (size_t j = 0; j < out; j++)
			for (size_t i = 0; i < in; i++) {
				double v = model[n->off[l] + j * (in + 1) + i];
				sq += v * v;
			}
	}
	return train_eval(w, model)->loss + 0.5 * w->l2 * sq;
}

/* Training accuracy over the evaluation sample. */
static double ic_metric(const struct workload *w, const double *model)
{
	return train_eval(w, model)->acc;
}

/* Accuracy over the whole (possibly limited) test set; 0 without test examples. */
static double ic_test_metric(const struct workload *w, const double *model)
{
	double loss, acc;
	evaluate(w, &w->data->test, NULL, w->data->test.n, model, &loss, &acc);
	return acc;
}

static double ic_ns_per_unit(const struct workload *w)
{
	return w->ns_per_flop * ic_flops_per_example(&w->net, w->batch);
}

static uint64_t ic_units(const struct workload *w, int worker)
{
	assert(worker >= 0 && worker < w->nworkers);
	return w->w[worker].n;
}

/* The keys ic_create reads (docs/workload-ic.md). */
static const struct runcfg_keydoc ic_keys[] = {
	{ "ic.data", "choice: idx|synthetic", "idx", "", "IDX image files, or a synthetic generator" },
	{ "ic.train_images", "string", IC_DIR "train-images-idx3-ubyte.gz", "", "training images (IDX, gzipped or plain)" },
	{ "ic.train_labels", "string", IC_DIR "train-labels-idx1-ubyte.gz", "", "training labels (IDX)" },
	{ "ic.test_images", "string", IC_DIR "t10k-images-idx3-ubyte.gz", "", "test images (IDX)" },
	{ "ic.test_labels", "string", IC_DIR "t10k-labels-idx1-ubyte.gz", "", "test labels (IDX)" },
	{ "ic.train_limit", "integer >= 0", "0", "examples", "use the first N training examples (0: all)" },
	{ "ic.test_limit", "integer >= 0", "0", "examples", "use the first N test examples (0: all)" },
	{ "ic.classes", "integer 2..256", "10", "classes", "number of classes (labels must be below)" },
	{ "ic.features", "integer >= 1", "20", "features", "synthetic: input features" },
	{ "ic.synth_train", "integer >= 1", "5000", "examples", "synthetic: training examples" },
	{ "ic.synth_test", "integer >= 0", "1000", "examples", "synthetic: test examples" },
	{ "ic.synth_noise", "number >= 0", "2", "", "synthetic: noise around the class centres" },
	{ "ic.model", "choice: logreg|mlp", "logreg", "", "logistic regression or a multi-layer perceptron" },
	{ "ic.hidden", "list", "128", "units", "mlp: one or two hidden widths, 128 or 128,64" },
	{ "ic.lr", "number >= 0", "0.01", "", "learning rate (Keras SGD default)" },
	{ "ic.lr_decay", "number >= 0", "0", "1/epoch", "lr(c) = lr / (1 + decay * epoch)" },
	{ "ic.batch", "integer >= 1", "32", "examples", "minibatch size" },
	{ "ic.l2", "number >= 0", "0", "", "weight decay on the weights" },
	{ "ic.batch_fraction", "number 1e-6..1", "0.05", "fraction", "share of the local data per clock" },
	{ "ic.lr_scaling", "choice: average|none", "average", "", "average the updates over workers, or sum them" },
	{ "ic.label_skew", "number 0..1", "0", "probability", "probability an example stays in its class's home region" },
	{ "ic.eval_sample", "integer >= 0", "10000", "examples", "training examples in the objective's fixed sample (0: all)" },
	{ "ic.ns_per_flop", "number >= 0", "0.248 (logreg), 0.109 (mlp)", "ns", "simulated compute per flop (measured, bench/bench_ic)" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct workload_ops ic_ops = {
	.name = "ic",
	.keys = ic_keys,
	.metric_name = "train_accuracy",
	.create = ic_create,
	.destroy = ic_destroy,
	.nrows = ic_nrows,
	.row_len = ic_row_len,
	.init_model = ic_init_model,
	.step = ic_step,
	.rows_needed = ic_rows_needed,
	.objective = ic_objective,
	.metric = ic_metric,
	.test_metric_name = "test_accuracy",
	.test_metric = ic_test_metric,
	.test_higher_better = 1,
	.learning_rate = ic_learning_rate,
	.ns_per_unit = ic_ns_per_unit,
	.units = ic_units,
};
