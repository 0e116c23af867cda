/*
 * Rating data for matrix factorization: the synthetic generator, the rating-file loader and the
 * partition over workers (docs/workload-mf.md describes each precisely).
 *
 * Generator outline: items get Zipf popularity weights (in a random id order), users get
 * log-normal activity weights; the N ratings are first dealt to users by weight (each user at
 * most ceil(I/2) ratings), then each user picks that many DISTINCT items by popularity
 * (sequential weighted sampling without replacement), and each (user, item) is rated
 * clamp(round(mean + o_u + o_i + <a_u, b_i> + noise), 1, 5) from a hidden rank-k truth whose
 * inner products have unit variance and planted offsets o_u, o_i (0 unless asked for).
 */
#include "workloads/mf-data.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/lineio.h"
#include "lib/rng.h"
#include "lib/xmalloc.h"

#define MF_RATING_MIN 1.0 /* synthetic ratings are clamped to [1, 5], like Netflix stars */
#define MF_RATING_MAX 5.0
#define MF_SHOWN 80       /* bytes of a bad line quoted in a message */

void mf_data_free(struct mf_data *d)
{
	if (!d)
		return;
	free(d->ratings);
	free(d->user_offset);
	free(d->item_offset);
	free(d);
}

static void compute_mean(struct mf_data *d)
{
	double s = 0;
	for (size_t k = 0; k < d->n; k++)
		s += d->ratings[k].r;
	d->mean = d->n ? s / (double)d->n : 0;
}

/* ---- synthetic generator ---- */

/* Index k of the first cum[k] > x, for x in [0, cum[n-1]): inverse-CDF sampling. */
static size_t search_cdf(const double *cum, size_t n, double x)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cum[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static size_t draw_cdf(struct rng *r, const double *cum, size_t n)
{
	return search_cdf(cum, n, rng_uniform(r) * cum[n - 1]);
}

/* Cumulative sums of w[0..n-1] into cum. */
static void build_cdf(const double *w, double *cum, size_t n)
{
	double s = 0;
	for (size_t k = 0; k < n; k++)
		cum[k] = (s += w[k]);
}

/*
 * Deal N ratings to users by activity weight: each rating picks a user by weight; a user that
 * already has `cap` ratings is redrawn. After 64 redraws in a row the capped users' weights are
 * zeroed and the CDF rebuilt, so the loop ends even when most weight sits on capped users.
 */
static void deal_users(struct rng *r, double *w, size_t nusers, uint64_t n, uint32_t cap,
		       uint32_t *count)
{
	double *cum = xmalloc(nusers * sizeof *cum);
	build_cdf(w, cum, nusers);
	int misses = 0;
	for (uint64_t k = 0; k < n;) {
		size_t u = draw_cdf(r, cum, nusers);
		if (count[u] < cap) {
			count[u]++;
			k++;
			misses = 0;
			continue;
		}
		if (++misses == 64) {
			for (size_t v = 0; v < nusers; v++)
				if (count[v] >= cap)
					w[v] = 0;
			build_cdf(w, cum, nusers);
			misses = 0;
		}
	}
	free(cum);
}

/* An item candidate for the exact fallback: exponential key divided by weight (smallest wins). */
struct es_key {
	double key;    /* Exp(1) / weight */
	uint32_t item; /* item id */
};

static int cmp_es(const void *a, const void *b)
{
	double x = ((const struct es_key *)a)->key, y = ((const struct es_key *)b)->key;
	return (x > y) - (x < y);
}

/* Generator state shared by the per-user item picks. */
struct synth {
	struct rng rng;        /* the "mf-data" stream */
	size_t nitems;         /* I */
	const uint32_t *perm;  /* popularity rank -> item id */
	const double *iw;      /* popularity rank -> weight */
	const double *icum;    /* cumulative item weights by rank */
	uint32_t *mark;        /* per item id: 1 + last user that picked it */
	struct es_key *es;     /* scratch for the fallback, nitems entries */
};

/*
 * Pick `need` distinct items for user u into out[]: weighted draws with rejection of repeats;
 * if that needs more than 16*need+64 draws (a heavy user who has taken most of the popular
 * items) the rest is drawn exactly by Efraimidis-Spirakis keys over the items not yet taken,
 * which continues the same without-replacement distribution.
 */
static void pick_items(struct synth *s, uint32_t u, uint32_t need, uint32_t *out)
{
	uint32_t got = 0;
	uint64_t limit = 16 * (uint64_t)need + 64;
	for (uint64_t tries = 0; got < need && tries < limit; tries++) {
		uint32_t it = s->perm[draw_cdf(&s->rng, s->icum, s->nitems)];
		if (s->mark[it] == u + 1)
			continue;
		s->mark[it] = u + 1;
		out[got++] = it;
	}
	if (got == need)
		return;
	size_t m = 0;
	for (size_t k = 0; k < s->nitems; k++) {
		uint32_t it = s->perm[k];
		if (s->mark[it] == u + 1)
			continue;
		s->es[m].key = rng_exp(&s->rng, 1.0) / s->iw[k];
		s->es[m].item = it;
		m++;
	}
	assert(m >= need - got);
	qsort(s->es, m, sizeof *s->es, cmp_es);
	for (size_t k = 0; got < need; k++) {
		s->mark[s->es[k].item] = u + 1;
		out[got++] = s->es[k].item;
	}
}

static void fill_normal(struct rng *r, double *v, size_t n, double sd)
{
	for (size_t k = 0; k < n; k++)
		v[k] = sd * rng_normal(r);
}

/* Planted offsets N(0, user_bias^2) per user, then N(0, item_bias^2) per item (0 if sd 0). */
static void plant_offsets(struct mf_data *d, const struct mf_synth_params *p, uint64_t seed)
{
	struct rng r;
	rng_init(&r, seed, rng_stream_id("mf-offsets", 0, 0));
	d->user_offset = xcalloc(d->nusers, sizeof *d->user_offset);
	d->item_offset = xcalloc(d->nitems, sizeof *d->item_offset);
	if (p->user_bias > 0)
		fill_normal(&r, d->user_offset, d->nusers, p->user_bias);
	if (p->item_bias > 0)
		fill_normal(&r, d->item_offset, d->nitems, p->item_bias);
}

struct mf_data *mf_data_synthetic(const struct mf_synth_params *p, uint64_t seed)
{
	if (p->users < 1 || p->users >= UINT32_MAX || p->items < 1 || p->items >= UINT32_MAX ||
	    p->true_rank < 0 || p->ratings < 1 || !(p->zipf >= 0) || !(p->user_sigma >= 0) ||
	    !(p->noise >= 0) || !isfinite(p->mean) || !(p->user_bias >= 0) ||
	    !(p->item_bias >= 0)) {
		diag_error("mf: bad synthetic data parameters");
		return NULL;
	}
	uint32_t cap = (uint32_t)((p->items + 1) / 2);
	if ((double)p->ratings > (double)p->users * cap || (uint64_t)p->ratings >= UINT32_MAX) {
		diag_error("mf: %lld ratings do not fit %lld users x %lld items (each user rates at "
			   "most ceil(items/2) = %u items)", (long long)p->ratings,
			   (long long)p->users, (long long)p->items, cap);
		return NULL;
	}
	size_t nu = (size_t)p->users, ni = (size_t)p->items, n = (size_t)p->ratings;
	size_t k_true = (size_t)p->true_rank;
	struct synth s = { .nitems = ni };
	rng_init(&s.rng, seed, rng_stream_id("mf-data", 0, 0));

	/* 1. Item popularity: weight (rank+1)^-zipf, ranks assigned to ids in random order. */
	uint32_t *perm = xmalloc(ni * sizeof *perm);
	double *iw = xmalloc(ni * sizeof *iw), *icum = xmalloc(ni * sizeof *icum);
	for (size_t k = 0; k < ni; k++)
		perm[k] = (uint32_t)k;
	for (size_t k = ni - 1; k > 0; k--) {
		size_t j = rng_below(&s.rng, k + 1);
		uint32_t t = perm[k];
		perm[k] = perm[j];
		perm[j] = t;
	}
	for (size_t k = 0; k < ni; k++)
		iw[k] = pow((double)(k + 1), -p->zipf);
	build_cdf(iw, icum, ni);

	/* 2. Hidden truth: entries N(0, k^-1/2) so that <a_u, b_i> has variance 1. */
	double sd = k_true ? pow((double)k_true, -0.25) : 0;
	double *ta = xmalloc((nu * k_true + 1) * sizeof *ta);
	double *tb = xmalloc((ni * k_true + 1) * sizeof *tb);
	fill_normal(&s.rng, ta, nu * k_true, sd);
	fill_normal(&s.rng, tb, ni * k_true, sd);

	/* 3. User activity: log-normal weights; deal the N ratings to users. */
	double *uw = xmalloc(nu * sizeof *uw);
	for (size_t u = 0; u < nu; u++)
		uw[u] = exp(p->user_sigma * rng_normal(&s.rng));
	uint32_t *count = xcalloc(nu, sizeof *count);
	deal_users(&s.rng, uw, nu, n, cap, count);

	/* 4. Each user's distinct items and their ratings. */
	struct mf_data *d = xcalloc(1, sizeof *d);
	d->nusers = (uint32_t)nu;
	d->nitems = (uint32_t)ni;
	d->n = n;
	d->ratings = xmalloc(n * sizeof *d->ratings);
	plant_offsets(d, p, seed);
	s.perm = perm;
	s.iw = iw;
	s.icum = icum;
	s.mark = xcalloc(ni, sizeof *s.mark);
	s.es = xmalloc(ni * sizeof *s.es);
	uint32_t *items = xmalloc(cap * sizeof *items);
	size_t k = 0;
	for (size_t u = 0; u < nu; u++) {
		pick_items(&s, (uint32_t)u, count[u], items);
		const double *a = ta + u * k_true;
		for (uint32_t j = 0; j < count[u]; j++) {
			const double *b = tb + (size_t)items[j] * k_true;
			double dot = 0;
			for (size_t t = 0; t < k_true; t++)
				dot += a[t] * b[t];
			double v = p->mean + d->user_offset[u] + d->item_offset[items[j]] + dot;
			v += p->noise * rng_normal(&s.rng);
			if (p->round) {
				v = round(v);
				v = v < MF_RATING_MIN ? MF_RATING_MIN : v > MF_RATING_MAX ? MF_RATING_MAX : v;
			}
			d->ratings[k++] = (struct mf_rating){ (uint32_t)u, items[j], (float)v };
		}
	}
	assert(k == n);
	compute_mean(d);
	free(items);
	free(s.mark);
	free(s.es);
	free(count);
	free(uw);
	free(ta);
	free(tb);
	free(perm);
	free(iw);
	free(icum);
	return d;
}

/* ---- rating-file loader ---- */

/* Open-addressing map from an external integer id to its dense index. */
struct idmap {
	size_t cap;      /* slots, a power of two */
	size_t n;        /* ids stored */
	int64_t *keys;   /* external ids */
	uint32_t *vals;  /* dense index + 1; 0 = empty slot */
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	return x ^ (x >> 33);
}

static void idmap_grow(struct idmap *m)
{
	size_t old_cap = m->cap;
	int64_t *old_keys = m->keys;
	uint32_t *old_vals = m->vals;
	m->cap = old_cap ? 2 * old_cap : 1024;
	m->keys = xmalloc(m->cap * sizeof *m->keys);
	m->vals = xcalloc(m->cap, sizeof *m->vals);
	for (size_t i = 0; i < old_cap; i++) {
		if (!old_vals[i])
			continue;
		size_t h = mix64((uint64_t)old_keys[i]) & (m->cap - 1);
		while (m->vals[h])
			h = (h + 1) & (m->cap - 1);
		m->keys[h] = old_keys[i];
		m->vals[h] = old_vals[i];
	}
	free(old_keys);
	free(old_vals);
}

/* Dense index of id, assigning the next one if id is new; UINT32_MAX if the map is full. */
static uint32_t idmap_get(struct idmap *m, int64_t id)
{
	if (2 * (m->n + 1) > m->cap)
		idmap_grow(m);
	size_t h = mix64((uint64_t)id) & (m->cap - 1);
	while (m->vals[h]) {
		if (m->keys[h] == id)
			return m->vals[h] - 1;
		h = (h + 1) & (m->cap - 1);
	}
	if (m->n >= UINT32_MAX - 1)
		return UINT32_MAX;
	m->keys[h] = id;
	m->vals[h] = (uint32_t)++m->n;
	return m->vals[h] - 1;
}

static void idmap_free(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
}

/* Field separators found in rating exports. */
static const char *const separators[] = { "::", "\t", ",", NULL };
static const char *const separator_names[] = { "'::'", "tab", "','" };

/* The first separator present in line (in the order of separators[]), or -1. */
static int detect_separator(const char *line)
{
	for (int k = 0; separators[k]; k++)
		if (strstr(line, separators[k]))
			return k;
	return -1;
}

/* Split in place at each occurrence of sep (a string); same contract as lineio_split. */
static int split_str(char *line, const char *sep, char **f, int max)
{
	size_t len = strlen(sep);
	int n = 0;
	for (char *p = line;;) {
		char *end = strstr(p, sep);
		if (end)
			*end = '\0';
		if (n < max)
			f[n] = p;
		n++;
		if (!end)
			break;
		p = end + len;
	}
	for (int k = 0; k < n && k < max; k++)
		f[k] = lineio_trim(f[k]);
	return n;
}

/* Loader state. */
struct loader {
	const char *path;     /* file name for messages */
	long line;            /* current line number */
	int sep;              /* index into separators[], -1 until the first data line */
	struct idmap users;   /* external user id -> dense index */
	struct idmap items;   /* external item id -> dense index */
	struct mf_rating *r;  /* ratings read */
	size_t n, cap;        /* used / allocated ratings */
};

#define LERR(L, ...) diag_at((L)->path, (L)->line, __VA_ARGS__)

/* Parse one data line; returns 0, 1 if it was a header, or -1 after a message. */
static int load_line(struct loader *L, char *line)
{
	char shown[MF_SHOWN + 4];
	snprintf(shown, sizeof shown, "%.*s%s", MF_SHOWN, line, strlen(line) > MF_SHOWN ? "..." : "");
	int first = L->sep < 0;
	if (first && (L->sep = detect_separator(line)) < 0)
		return LERR(L, "cannot tell the field separator of '%s' (expected user, item and "
			    "rating separated by tab, ',' or '::')", shown);
	char *f[5];
	int nf = split_str(line, separators[L->sep], f, 5);
	int64_t user, item;
	double r;
	int user_ok = nf >= 1 && parse_int64(f[0], &user) == 0;
	int rating_ok = nf >= 3 && parse_double(f[2], &r) == 0;
	if (first && !user_ok && !rating_ok)
		return 1; /* a header such as "userId,movieId,rating,timestamp" */
	if (nf < 3 || nf > 4)
		return LERR(L, "expected 3 or 4 fields (user item rating [timestamp]) separated by %s, "
			    "got %d in '%s'", separator_names[L->sep], nf, shown);
	if (!user_ok)
		return LERR(L, "bad user id '%s' (expected an integer)", f[0]);
	if (parse_int64(f[1], &item) < 0)
		return LERR(L, "bad item id '%s' (expected an integer)", f[1]);
	if (!rating_ok)
		return LERR(L, "bad rating '%s' (expected a finite number)", f[2]);
	if (fabs(r) > FLT_MAX)
		return LERR(L, "bad rating '%s' (magnitude above %g cannot be stored)", f[2], FLT_MAX);
	uint32_t du = idmap_get(&L->users, user), di = idmap_get(&L->items, item);
	if (du == UINT32_MAX || di == UINT32_MAX || L->n >= UINT32_MAX - 1)
		return LERR(L, "too many users, items or ratings (at most %u)", UINT32_MAX - 2);
	if (L->n == L->cap) {
		L->cap = L->cap ? 2 * L->cap : 4096;
		L->r = xreallocarray(L->r, L->cap, sizeof *L->r);
	}
	L->r[L->n++] = (struct mf_rating){ du, di, (float)r };
	return 0;
}

/* Read every line of path into L (L->r, L->n: this file's ratings); 0, or -1 after a message. */
static int load_file(struct loader *L, const char *path)
{
	struct lineio *in = lineio_open(path);
	if (!in)
		return -1;
	L->path = path;
	L->sep = -1;
	char *line;
	int rc;
	while ((rc = lineio_next(in, &line)) > 0) {
		L->line = lineio_lineno(in);
		if (lineio_is_blank(line))
			continue;
		if (load_line(L, line) < 0) {
			rc = -1;
			break;
		}
	}
	lineio_close(in);
	if (rc < 0)
		return -1;
	if (L->n == 0)
		return diag_at(path, 0, "no ratings (the file is empty or holds only comments)");
	return 0;
}

/* The ratings L holds as a data set with the ids numbered so far; L->r is taken over. */
static struct mf_data *take_data(struct loader *L)
{
	struct mf_data *d = xcalloc(1, sizeof *d);
	d->nusers = (uint32_t)L->users.n;
	d->nitems = (uint32_t)L->items.n;
	d->n = L->n;
	d->ratings = xreallocarray(L->r, L->n, sizeof *L->r);
	L->r = NULL;
	L->n = L->cap = 0;
	compute_mean(d);
	return d;
}

struct mf_data *mf_data_load_pair(const char *train_path, const char *test_path,
				  struct mf_data **test)
{
	struct loader L = { .sep = -1 };
	struct mf_data *d = NULL;
	if (load_file(&L, train_path) == 0) {
		d = take_data(&L);
		if (test_path && load_file(&L, test_path) == 0) {
			*test = take_data(&L);
		} else if (test_path) {
			mf_data_free(d);
			d = NULL;
		}
	}
	free(L.r);
	idmap_free(&L.users);
	idmap_free(&L.items);
	return d;
}

struct mf_data *mf_data_load(const char *path)
{
	return mf_data_load_pair(path, NULL, NULL);
}

/* ---- held-out split ---- */

struct mf_data *mf_data_split(struct mf_data *d, double fraction, uint64_t seed)
{
	assert(fraction >= 0 && fraction <= 1);
	size_t m = (size_t)llround(fraction * (double)d->n);
	if (m > d->n)
		m = d->n;
	struct rng r;
	rng_init(&r, seed, rng_stream_id("mf-split", 0, 0));
	/* The first m entries of a partial Fisher-Yates shuffle of 0..n-1 are a uniform m-subset. */
	uint32_t *idx = xmalloc((d->n + 1) * sizeof *idx);
	for (size_t k = 0; k < d->n; k++)
		idx[k] = (uint32_t)k;
	for (size_t k = 0; k < m; k++) {
		size_t j = k + rng_below(&r, d->n - k);
		uint32_t t = idx[k];
		idx[k] = idx[j];
		idx[j] = t;
	}
	unsigned char *held = xcalloc(d->n + 1, 1);
	for (size_t k = 0; k < m; k++)
		held[idx[k]] = 1;
	struct mf_data *t = xcalloc(1, sizeof *t);
	t->nusers = d->nusers;
	t->nitems = d->nitems;
	t->ratings = xmalloc((m + 1) * sizeof *t->ratings);
	size_t kept = 0;
	for (size_t k = 0; k < d->n; k++) {
		if (held[k])
			t->ratings[t->n++] = d->ratings[k];
		else
			d->ratings[kept++] = d->ratings[k];
	}
	assert(t->n == m && kept == d->n - m);
	d->n = kept;
	compute_mean(d);
	compute_mean(t);
	free(held);
	free(idx);
	return t;
}

/* ---- partition ---- */

uint32_t *mf_data_partition(const struct mf_data *d, enum mf_partition how, double skew,
			    int nworkers, const int *worker_region, int nregions, uint64_t seed)
{
	assert(nworkers > 0 && nregions > 0);
	uint32_t *owner = xmalloc((d->n ? d->n : 1) * sizeof *owner);
	struct rng r;
	rng_init(&r, seed, rng_stream_id("mf-partition", 0, 0));
	if (how == MF_PARTITION_RANDOM) {
		for (size_t k = 0; k < d->n; k++)
			owner[k] = (uint32_t)rng_below(&r, (uint64_t)nworkers);
		return owner;
	}
	/* Workers of each region, in worker order; regions that have workers. */
	int *nw = xcalloc((size_t)nregions, sizeof *nw);
	int *first = xmalloc((size_t)nregions * sizeof *first);
	int *list = xmalloc((size_t)nworkers * sizeof *list);
	int *active = xmalloc((size_t)nregions * sizeof *active);
	uint64_t *dealt = xcalloc((size_t)nregions, sizeof *dealt);
	for (int w = 0; w < nworkers; w++) {
		assert(worker_region[w] >= 0 && worker_region[w] < nregions);
		nw[worker_region[w]]++;
	}
	int nactive = 0, pos = 0;
	for (int g = 0; g < nregions; g++) {
		first[g] = pos;
		pos += nw[g];
		if (nw[g])
			active[nactive++] = g;
	}
	int *fill = xcalloc((size_t)nregions, sizeof *fill);
	for (int w = 0; w < nworkers; w++) {
		int g = worker_region[w];
		list[first[g] + fill[g]++] = w;
	}
	for (size_t k = 0; k < d->n; k++) {
		uint64_t h = rng_stream_id("mf-home", d->ratings[k].user, seed);
		int home = active[h % (uint64_t)nactive];
		int g = home;
		double x = rng_uniform(&r);
		if (!(x < skew))
			g = active[rng_below(&r, (uint64_t)nactive)];
		owner[k] = (uint32_t)list[first[g] + (int)(dealt[g]++ % (uint64_t)nw[g])];
	}
	free(fill);
	free(nw);
	free(first);
	free(list);
	free(active);
	free(dealt);
	return owner;
}

/* Sift heap entry i (workers ordered by load, then id) down. */
static void load_sift(uint32_t *heap, size_t n, const uint64_t *load, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && (load[heap[l]] < load[heap[m]] ||
			      (load[heap[l]] == load[heap[m]] && heap[l] < heap[m])))
			m = l;
		if (r < n && (load[heap[r]] < load[heap[m]] ||
			      (load[heap[r]] == load[heap[m]] && heap[r] < heap[m])))
			m = r;
		if (m == i)
			return;
		uint32_t t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

uint32_t *mf_data_partition_users(const struct mf_data *d, int nworkers, uint64_t seed)
{
	assert(nworkers > 0);
	size_t U = d->nusers;
	uint64_t *per_user = xcalloc(U ? U : 1, sizeof *per_user);
	for (size_t k = 0; k < d->n; k++)
		per_user[d->ratings[k].user]++;
	uint32_t *order = xmalloc((U ? U : 1) * sizeof *order);
	for (size_t u = 0; u < U; u++)
		order[u] = (uint32_t)u;
	struct rng r;
	rng_init(&r, seed, rng_stream_id("mf-partition-users", 0, 0));
	for (size_t j = U; j > 1; j--) {
		size_t t = rng_below(&r, j);
		uint32_t x = order[j - 1];
		order[j - 1] = order[t];
		order[t] = x;
	}
	/* A min-heap of workers by (ratings so far, id); ids ascending is already a heap. */
	size_t W = (size_t)nworkers;
	uint64_t *load = xcalloc(W, sizeof *load);
	uint32_t *heap = xmalloc(W * sizeof *heap);
	for (size_t k = 0; k < W; k++)
		heap[k] = (uint32_t)k;
	uint32_t *user_owner = xmalloc((U ? U : 1) * sizeof *user_owner);
	for (size_t j = 0; j < U; j++) {
		uint32_t u = order[j], wk = heap[0];
		user_owner[u] = wk;
		load[wk] += per_user[u];
		load_sift(heap, W, load, 0);
	}
	uint32_t *owner = xmalloc((d->n ? d->n : 1) * sizeof *owner);
	for (size_t k = 0; k < d->n; k++)
		owner[k] = user_owner[d->ratings[k].user];
	free(user_owner);
	free(heap);
	free(load);
	free(order);
	free(per_user);
	return owner;
}
