/*
 * Corpora for LDA: the UCI bag-of-words and LDA-C loaders (through zlib, so that a gzipped file
 * reads like a plain one), the vocabulary check, and the synthetic generator
 * (docs/workload-lda.md describes each format and check precisely).
 *
 * Every bad line is reported as "FILE:LINE: what is wrong" and the loader returns NULL; a
 * truncated or corrupt gzip stream is reported with the last line read before it.
 */
#include "workloads/lda-data.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/diag.h"
#include "lib/lineio.h"
#include "lib/rng.h"
#include "lib/xmalloc.h"

/* Longest accepted line, bytes: an LDA-C line holds a whole document. */
#define LDA_MAX_LINE (1 << 20)
/* Most tokens a corpus may hold (word ids of one corpus are kept in memory, 4 bytes each). */
#define LDA_MAX_TOKENS ((int64_t)UINT32_MAX)
/*
 * Most occurrences of one word in one document (one UCI entry or LDA-C id:count), 2^16 - 1. A
 * count becomes that many tokens in memory (4 bytes each), so without a bound a few bytes could
 * ask for gigabytes (`1 8:55555555` did: found by fuzz_ldac); with it a file costs at most about
 * 22 KB of tokens per byte of input. A design limit, not a measured one: a document repeating
 * one word 65,535 times is far outside what topic models are run on.
 */
#define LDA_MAX_COUNT ((int64_t)UINT16_MAX)

void lda_corpus_free(struct lda_corpus *c)
{
	if (!c)
		return;
	free(c->doc_start);
	free(c->words);
	free(c->true_phi);
	free(c->true_z);
	free(c);
}

/* ---- line reader over zlib ---- */

/* A file read line by line through gzgets (plain files pass through unchanged). */
struct gzlines {
	gzFile f;         /* the open file */
	const char *path; /* its name, for messages */
	long line;        /* 1-based number of the line last returned */
	char *buf;        /* LDA_MAX_LINE + 2 bytes */
};

static int gzl_open(struct gzlines *g, const char *path)
{
	g->path = path;
	g->line = 0;
	g->f = gzopen(path, "rb");
	if (!g->f)
		return diag_error("%s: %s", path, errno ? strerror(errno) : "cannot open");
	g->buf = xmalloc(LDA_MAX_LINE + 2);
	return 0;
}

static void gzl_close(struct gzlines *g)
{
	if (g->f)
		gzclose(g->f);
	free(g->buf);
	g->f = NULL;
	g->buf = NULL;
}

/* Next line (CR/LF stripped) in *line: 1; end of file: 0; -1 after a message. */
/* -1 after a message if zlib has met an error (a truncated or corrupt stream), else 0. */
static int gzl_check(struct gzlines *g)
{
	int err = Z_OK;
	const char *m = gzerror(g->f, &err);
	if (err != Z_OK && err != Z_STREAM_END)
		return diag_at(g->path, g->line, "truncated or corrupt gzip data after this line "
			       "(zlib: %s)", m);
	return 0;
}

static int gzl_next(struct gzlines *g, char **line)
{
	if (!gzgets(g->f, g->buf, LDA_MAX_LINE + 2))
		return gzl_check(g);
	size_t n = strlen(g->buf);
	/* a last line without its newline may be the part read before a decompression error */
	if ((n == 0 || g->buf[n - 1] != '\n') && gzl_check(g) < 0)
		return -1;
	g->line++;
	if (n == LDA_MAX_LINE + 1 && g->buf[n - 1] != '\n')
		return diag_at(g->path, g->line, "line longer than %d bytes", LDA_MAX_LINE);
	while (n > 0 && (g->buf[n - 1] == '\n' || g->buf[n - 1] == '\r'))
		g->buf[--n] = '\0';
	*line = g->buf;
	return 1;
}

/* Next non-blank line (as lineio_is_blank: '#' comments are blank too). */
static int gzl_next_data(struct gzlines *g, char **line)
{
	int rc;
	while ((rc = gzl_next(g, line)) > 0)
		if (!lineio_is_blank(*line))
			return 1;
	return rc;
}

/* ---- building a corpus ---- */

/* A growing corpus: token word ids and per-document token counts. */
struct builder {
	uint32_t *words;     /* tokens so far */
	size_t n, cap;       /* used / allocated tokens */
	size_t *len;         /* tokens per document */
	size_t ndocs, dcap;  /* documents / allocated */
};

static void b_add(struct builder *b, uint32_t word, size_t count)
{
	if (b->n + count > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 4096;
		while (cap < b->n + count)
			cap *= 2;
		b->words = xreallocarray(b->words, cap, sizeof *b->words);
		b->cap = cap;
	}
	for (size_t k = 0; k < count; k++)
		b->words[b->n++] = word;
}

static void b_doc(struct builder *b)
{
	if (b->ndocs == b->dcap) {
		b->dcap = b->dcap ? 2 * b->dcap : 1024;
		b->len = xreallocarray(b->len, b->dcap, sizeof *b->len);
	}
	b->len[b->ndocs++] = 0;
}

static void b_free(struct builder *b)
{
	free(b->words);
	free(b->len);
}

/* A corpus from a builder whose tokens are grouped by document (the builder is emptied). */
static struct lda_corpus *b_finish(struct builder *b, uint32_t nwords)
{
	struct lda_corpus *c = xcalloc(1, sizeof *c);
	c->ndocs = (uint32_t)b->ndocs;
	c->nwords = nwords;
	c->ntokens = b->n;
	c->doc_start = xmalloc((b->ndocs + 1) * sizeof *c->doc_start);
	c->doc_start[0] = 0;
	for (size_t d = 0; d < b->ndocs; d++)
		c->doc_start[d + 1] = c->doc_start[d] + b->len[d];
	c->words = b->words ? b->words : xmalloc(sizeof *c->words);
	b->words = NULL;
	b_free(b);
	return c;
}

/* ---- UCI bag of words ---- */

/* One `docID wordID count` entry, 0-based ids. */
struct uci_entry {
	uint32_t doc, word; /* 0-based ids */
	uint32_t count;     /* occurrences, >= 1 */
};

/* Read the header value `name` (a positive integer on a line of its own) into *v. */
static int uci_header(struct gzlines *g, const char *name, int64_t max, int64_t *v)
{
	char *line;
	int rc = gzl_next_data(g, &line);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return diag_at(g->path, g->line, "file ends before the header line %s (a UCI "
			       "docword file starts with D, W and NNZ, one per line)", name);
	char *t = lineio_trim(line);
	if (parse_int64(t, v) < 0 || *v < 1 || *v > max)
		return diag_at(g->path, g->line, "bad header %s '%s' (expected an integer 1..%lld)",
			       name, t, (long long)max);
	return 0;
}

/* Parse one body line into e (0-based ids), checking them against the header. */
static int uci_entry(struct gzlines *g, char *line, int64_t D, int64_t W, struct uci_entry *e)
{
	char *f[4];
	int nf = lineio_split_ws(lineio_trim(line), f, 4);
	if (nf != 3)
		return diag_at(g->path, g->line, "expected 3 fields (docID wordID count), got %d", nf);
	int64_t d, w, n;
	if (parse_int64(f[0], &d) < 0)
		return diag_at(g->path, g->line, "bad docID '%s' (expected an integer)", f[0]);
	if (parse_int64(f[1], &w) < 0)
		return diag_at(g->path, g->line, "bad wordID '%s' (expected an integer)", f[1]);
	if (parse_int64(f[2], &n) < 0)
		return diag_at(g->path, g->line, "bad count '%s' (expected a positive integer)", f[2]);
	if (d < 1 || d > D)
		return diag_at(g->path, g->line, "docID %lld out of range 1..%lld (D in the header)",
			       (long long)d, (long long)D);
	if (w < 1 || w > W)
		return diag_at(g->path, g->line, "wordID %lld out of range 1..%lld (W in the header)",
			       (long long)w, (long long)W);
	if (n < 1)
		return diag_at(g->path, g->line, "bad count %lld (expected a positive integer)",
			       (long long)n);
	if (n > LDA_MAX_COUNT)
		return diag_at(g->path, g->line, "count %lld above %lld (occurrences of one word in "
			       "one document)", (long long)n, (long long)LDA_MAX_COUNT);
	*e = (struct uci_entry){ (uint32_t)(d - 1), (uint32_t)(w - 1), (uint32_t)n };
	return 0;
}

/* Entries (in any order) into a corpus of D documents: a counting sort by document. */
static struct lda_corpus *uci_build(const struct uci_entry *e, size_t n, uint32_t D, uint32_t W)
{
	struct builder b = { 0 };
	for (uint32_t d = 0; d < D; d++)
		b_doc(&b);
	size_t total = 0;
	for (size_t k = 0; k < n; k++) {
		b.len[e[k].doc] += e[k].count;
		total += e[k].count;
	}
	size_t *pos = xmalloc(((size_t)D + 1) * sizeof *pos);
	pos[0] = 0;
	for (uint32_t d = 0; d < D; d++)
		pos[d + 1] = pos[d] + b.len[d];
	b.words = xmalloc((total ? total : 1) * sizeof *b.words);
	b.n = b.cap = total;
	for (size_t k = 0; k < n; k++)
		for (uint32_t j = 0; j < e[k].count; j++)
			b.words[pos[e[k].doc]++] = e[k].word;
	free(pos);
	return b_finish(&b, W);
}

static struct lda_corpus *load_uci(struct gzlines *g)
{
	int64_t D, W, NNZ;
	if (uci_header(g, "D (documents)", UINT32_MAX - 1, &D) < 0)
		return NULL;
	long d_line = g->line;
	if (uci_header(g, "W (vocabulary size)", UINT32_MAX - 1, &W) < 0 ||
	    uci_header(g, "NNZ (entries)", INT64_MAX / 2, &NNZ) < 0)
		return NULL;
	long nnz_line = g->line;
	struct uci_entry *e = NULL;
	size_t n = 0, cap = 0;
	int64_t tokens = 0;
	struct lda_corpus *c = NULL;
	char *line;
	int rc;
	while ((rc = gzl_next_data(g, &line)) > 0) {
		if ((int64_t)n == NNZ) {
			diag_at(g->path, g->line, "more entries than NNZ = %lld declared on line %ld",
				(long long)NNZ, nnz_line);
			goto done;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			e = xreallocarray(e, cap, sizeof *e);
		}
		if (uci_entry(g, line, D, W, &e[n]) < 0)
			goto done;
		if ((tokens += e[n].count) > LDA_MAX_TOKENS) {
			diag_at(g->path, g->line, "more than %lld tokens", (long long)LDA_MAX_TOKENS);
			goto done;
		}
		n++;
	}
	if (rc < 0)
		goto done;
	if ((int64_t)n != NNZ) {
		diag_at(g->path, nnz_line, "header declares NNZ = %lld entries but the body has %zu",
			(long long)NNZ, n);
		goto done;
	}
	/*
	 * Every non-empty document has at least one entry, so D > NNZ means more empty documents
	 * than entries. No real corpus looks like that (UCI's have hundreds of entries per
	 * document), and the corpus would cost memory per declared document that the file does
	 * not hold (a 9-digit D in a 20-byte file asked for gigabytes: found by fuzz_docword).
	 * Checked once the body has shown that NNZ is right.
	 */
	if (D > NNZ) {
		diag_at(g->path, d_line, "D = %lld documents but NNZ = %lld entries (line %ld): at "
			"most NNZ documents can hold a word", (long long)D, (long long)NNZ, nnz_line);
		goto done;
	}
	c = uci_build(e, n, (uint32_t)D, (uint32_t)W);
done:
	free(e);
	return c;
}

/* ---- LDA-C ---- */

/* Parse one `N id:count ...` line into the builder as a new document; *maxid tracks ids. */
static int ldac_line(struct gzlines *g, char *line, char **f, size_t fcap, struct builder *b,
                     int64_t *maxid)
{
	int nf = lineio_split_ws(lineio_trim(line), f, (int)fcap);
	int64_t N;
	if (parse_int64(f[0], &N) < 0 || N < 0)
		return diag_at(g->path, g->line, "bad term count '%s' (expected a non-negative "
			       "integer: `N id:count ...`)", f[0]);
	if (N != nf - 1)
		return diag_at(g->path, g->line, "line declares %lld terms but lists %d", (long long)N,
			       nf - 1);
	b_doc(b);
	for (int k = 1; k < nf; k++) {
		char *colon = strchr(f[k], ':');
		int64_t id, cnt;
		if (!colon)
			return diag_at(g->path, g->line, "term %d: '%s' is not id:count", k, f[k]);
		*colon = '\0';
		if (parse_int64(f[k], &id) < 0 || id < 0 || id >= UINT32_MAX - 1)
			return diag_at(g->path, g->line, "term %d: bad word id '%s' (expected an "
				       "integer 0..%u)", k, f[k], UINT32_MAX - 2);
		if (parse_int64(colon + 1, &cnt) < 0 || cnt < 1)
			return diag_at(g->path, g->line, "term %d: bad count '%s' (expected a positive "
				       "integer)", k, colon + 1);
		if (cnt > LDA_MAX_COUNT)
			return diag_at(g->path, g->line, "term %d: count %lld above %lld (occurrences "
				       "of one word in one document)", k, (long long)cnt,
				       (long long)LDA_MAX_COUNT);
		if ((int64_t)b->n + cnt > LDA_MAX_TOKENS)
			return diag_at(g->path, g->line, "more than %lld tokens",
				       (long long)LDA_MAX_TOKENS);
		if (id > *maxid)
			*maxid = id;
		b_add(b, (uint32_t)id, (size_t)cnt);
		b->len[b->ndocs - 1] += (size_t)cnt;
	}
	return 0;
}

static struct lda_corpus *load_ldac(struct gzlines *g)
{
	struct builder b = { 0 };
	/* Room for every field of the line (each is at least one byte plus a separator), grown
	 * with the longest line so far rather than sized for LDA_MAX_LINE up front. */
	char **f = NULL;
	size_t fcap = 0;
	int64_t maxid = -1;
	char *line;
	int rc;
	struct lda_corpus *c = NULL;
	while ((rc = gzl_next_data(g, &line)) > 0) {
		size_t need = strlen(line) / 2 + 2;
		if (need > fcap) {
			f = xreallocarray(f, need, sizeof *f);
			fcap = need;
		}
		if (ldac_line(g, line, f, fcap, &b, &maxid) < 0)
			goto done;
	}
	if (rc == 0)
		c = b_finish(&b, (uint32_t)(maxid + 1));
done:
	if (!c)
		b_free(&b);
	free(f);
	return c;
}

/* ---- entry points ---- */

/* LDA_FORMAT_UCI or LDA_FORMAT_LDAC from the first data line, -1 on error. */
static int detect_format(const char *path)
{
	struct gzlines g;
	if (gzl_open(&g, path) < 0)
		return -1;
	char *line;
	int rc = gzl_next_data(&g, &line), fmt = -1;
	if (rc == 0)
		diag_at(path, 0, "empty corpus (no data lines)");
	else if (rc > 0)
		fmt = strchr(line, ':') ? LDA_FORMAT_LDAC : LDA_FORMAT_UCI;
	gzl_close(&g);
	return fmt;
}

struct lda_corpus *lda_corpus_load(const char *path, enum lda_format fmt)
{
	if (fmt == LDA_FORMAT_AUTO) {
		int f = detect_format(path);
		if (f < 0)
			return NULL;
		fmt = (enum lda_format)f;
	}
	struct gzlines g;
	if (gzl_open(&g, path) < 0)
		return NULL;
	struct lda_corpus *c = fmt == LDA_FORMAT_UCI ? load_uci(&g) : load_ldac(&g);
	gzl_close(&g);
	if (c && c->ntokens == 0) {
		diag_at(path, 0, "empty corpus (no tokens)");
		lda_corpus_free(c);
		return NULL;
	}
	return c;
}

int lda_vocab_check(const char *path, uint32_t nwords)
{
	struct gzlines g;
	if (gzl_open(&g, path) < 0)
		return -1;
	char *line;
	int rc;
	uint64_t n = 0;
	while ((rc = gzl_next(&g, &line)) > 0)
		if (*lineio_trim(line))
			n++;
	gzl_close(&g);
	if (rc < 0)
		return -1;
	if (n != nwords)
		return diag_at(path, 0, "vocabulary has %llu words but the corpus has W = %u",
			       (unsigned long long)n, nwords);
	return 0;
}

/* ---- synthetic generator ---- */

double lda_gamma(struct rng *r, double shape)
{
	if (shape < 1) {
		double u = rng_uniform(r);
		return lda_gamma(r, shape + 1) * pow(u > 0 ? u : 1e-300, 1 / shape);
	}
	double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
	for (;;) {
		double x = rng_normal(r), v = 1 + c * x;
		if (v <= 0)
			continue;
		v = v * v * v;
		double u = rng_uniform(r);
		if (u > 0 && log(u) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v;
	}
}

/*
 * A symmetric Dirichlet(a) draw into p[0..n), computed from log-gammas so that tiny parameters
 * (a = 0.01, where x U^(1/a) underflows) still give a proper distribution.
 */
static void dirichlet(struct rng *r, double a, double *p, size_t n)
{
	double top = -INFINITY;
	for (size_t k = 0; k < n; k++) {
		double u = rng_uniform(r);
		double lg = a < 1 ? log(lda_gamma(r, a + 1)) + log(u > 0 ? u : 1e-300) / a
				  : log(lda_gamma(r, a));
		p[k] = lg;
		if (lg > top)
			top = lg;
	}
	double s = 0;
	for (size_t k = 0; k < n; k++)
		s += (p[k] = exp(p[k] - top));
	for (size_t k = 0; k < n; k++)
		p[k] /= s;
}

/* Poisson(mean) by counting unit-rate arrivals before `mean` (O(mean), no underflow). */
static size_t poisson(struct rng *r, double mean)
{
	size_t n = 0;
	for (double t = rng_exp(r, 1.0); t < mean; t += rng_exp(r, 1.0))
		n++;
	return n;
}

/* Index of the first cum[k] > x (cum ascending, x < cum[n-1]). */
static size_t search(const double *cum, size_t n, double x)
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

struct lda_corpus *lda_corpus_synthetic(const struct lda_synth_params *p, uint64_t seed)
{
	if (p->docs < 1 || p->docs >= UINT32_MAX || p->vocab < 1 || p->vocab >= UINT32_MAX ||
	    !(p->doc_length >= 1) || p->topics < 1 || p->topics > UINT16_MAX || !(p->alpha > 0) ||
	    !(p->beta > 0) || (double)p->docs * p->doc_length > 1e9) {
		diag_error("lda: bad synthetic corpus parameters");
		return NULL;
	}
	size_t D = (size_t)p->docs, W = (size_t)p->vocab, T = (size_t)p->topics;
	struct rng r;
	rng_init(&r, seed, rng_stream_id("lda-data", 0, 0));
	double *phi = xmalloc(T * W * sizeof *phi), *cum = xmalloc(T * W * sizeof *cum);
	for (size_t t = 0; t < T; t++) {
		dirichlet(&r, p->beta, phi + t * W, W);
		double s = 0;
		for (size_t w = 0; w < W; w++)
			cum[t * W + w] = (s += phi[t * W + w]);
	}
	double *theta = xmalloc(T * sizeof *theta);
	struct builder b = { 0 };
	uint16_t *z = NULL;
	size_t zcap = 0;
	for (size_t d = 0; d < D; d++) {
		dirichlet(&r, p->alpha, theta, T);
		size_t len = 1 + poisson(&r, p->doc_length - 1);
		b_doc(&b);
		for (size_t j = 0; j < len; j++) {
			double u = rng_uniform(&r), s = 0;
			size_t t = 0;
			while (t + 1 < T && (s += theta[t]) <= u)
				t++;
			const double *ct = cum + t * W;
			uint32_t w = (uint32_t)search(ct, W, rng_uniform(&r) * ct[W - 1]);
			b_add(&b, w, 1);
			if (b.n > zcap) {
				zcap = b.cap;
				z = xreallocarray(z, zcap, sizeof *z);
			}
			z[b.n - 1] = (uint16_t)t;
		}
		b.len[d] = len;
	}
	free(theta);
	free(cum);
	struct lda_corpus *c = b_finish(&b, (uint32_t)W);
	c->true_topics = (uint32_t)T;
	c->true_phi = phi;
	c->true_z = z;
	return c;
}
