/*
 * Corpora for the topic-modeling workload (docs/workload-lda.md): loaders for the UCI
 * bag-of-words format (`docword.*.txt`, plain or gzipped) and the LDA-C format, a check of a
 * `vocab.*.txt` file against a corpus, and a seeded generator of synthetic corpora drawn from
 * LDA's own generative process with known topics. A corpus is a list of documents, each a list
 * of tokens (word ids), in CSR form.
 */
#ifndef GAIA_LDA_DATA_H
#define GAIA_LDA_DATA_H

#include <stddef.h>
#include <stdint.h>

struct lda_corpus {
	uint32_t ndocs;       /* documents D (some may be empty) */
	uint32_t nwords;      /* vocabulary size W; word ids are 0..W-1 */
	size_t ntokens;       /* tokens N over all documents */
	size_t *doc_start;    /* ndocs + 1 offsets: document d's tokens are [start[d], start[d+1]) */
	uint32_t *words;      /* ntokens word ids, grouped by document */
	/* Synthetic corpora only (NULL / 0 for loaded ones): the truth that generated them. */
	uint32_t true_topics; /* topics T of the generator */
	double *true_phi;     /* T x W topic-word distributions, row-major */
	uint16_t *true_z;     /* ntokens: the topic that generated each token */
};

/* Parameters of the synthetic generator (config keys lda.docs ... lda.gen_beta). */
struct lda_synth_params {
	int64_t docs;       /* documents D >= 1 */
	int64_t vocab;      /* vocabulary W >= 1 */
	double doc_length;  /* mean document length: lengths are 1 + Poisson(doc_length - 1) */
	int64_t topics;     /* true topics T, 1..65535 */
	double alpha;       /* symmetric Dirichlet parameter of the document mixtures theta_d */
	double beta;        /* symmetric Dirichlet parameter of the topics phi_t */
};

/*
 * Generate a corpus from stream rng_stream_id("lda-data", 0, 0) of `seed`: phi_t ~ Dir(beta)
 * for each topic, then per document theta_d ~ Dir(alpha), a length, and per token
 * z ~ Mult(theta_d), w ~ Mult(phi_z). NULL with a message if a parameter is out of range.
 */
struct lda_corpus *lda_corpus_synthetic(const struct lda_synth_params *p, uint64_t seed);

/* Corpus file formats. */
enum lda_format {
	LDA_FORMAT_AUTO, /* UCI if the first non-blank line is one integer, else LDA-C */
	LDA_FORMAT_UCI,  /* D, W, NNZ header lines, then `docID wordID count` (1-based ids) */
	LDA_FORMAT_LDAC, /* per document `N id:count ...` (0-based word ids) */
};

/*
 * Load a corpus file (gzip-compressed or not: zlib reads both). NULL after a
 * "FILE:LINE: ..." message on a bad line, a header that disagrees with the body, a truncated
 * or corrupt gzip stream, or a corpus without tokens.
 */
struct lda_corpus *lda_corpus_load(const char *path, enum lda_format fmt);

/* Check a vocabulary file (one word per line) has exactly nwords lines; -1 after a message. */
int lda_vocab_check(const char *path, uint32_t nwords);

void lda_corpus_free(struct lda_corpus *c);

/* Gamma(shape, 1) deviate (Marsaglia & Tsang 2000; shape < 1 by the x U^(1/shape) boost). */
struct rng;
double lda_gamma(struct rng *r, double shape);

#endif
