/*
 * gaiasim corpus convert: turn a folder of plain-text files (one document per file) into the
 * UCI bag-of-words format the LDA workload reads (PREFIX.docword.txt and PREFIX.vocab.txt,
 * docs/workload-lda.md). Tokens are maximal runs of ASCII letters, lower-cased; one-letter
 * tokens and the stop words below are dropped; words seen fewer than --min-count times in the
 * whole folder are dropped. Documents are the folder's regular files in byte order of their
 * names (hidden files skipped); the vocabulary is sorted, so the output depends only on the
 * folder's contents.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "lib/diag.h"
#include "lib/lineio.h"
#include "lib/xmalloc.h"

#define CORPUS_USAGE "gaiasim corpus convert DIR --out PREFIX [--min-count N]"

/*
 * Default minimum count: the UCI Bag of Words data sets (KOS, NIPS, Enron, NYTimes, PubMed)
 * kept "only words that occurred more than ten times" after stop-word removal
 * (archive.ics.uci.edu/ml/datasets/Bag+of+Words), i.e. at least 11.
 */
#define CORPUS_MIN_COUNT 11
/* Longest token kept, bytes; longer runs of letters are cut (never a real word). */
#define CORPUS_MAX_WORD 64

/*
 * Stop words: the 127-word English list of NLTK's stopwords corpus (nltk_data
 * corpora/stopwords/english, as in NLTK 3.0-3.4), without its one-letter entries (which the
 * tokenizer drops anyway).
 */
static const char *const stop_words[] = {
	"me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours", "yourself",
	"yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its",
	"itself", "they", "them", "their", "theirs", "themselves", "what", "which", "who", "whom",
	"this", "that", "these", "those", "am", "is", "are", "was", "were", "be", "been", "being",
	"have", "has", "had", "having", "do", "does", "did", "doing", "an", "the", "and", "but",
	"if", "or", "because", "as", "until", "while", "of", "at", "by", "for", "with", "about",
	"against", "between", "into", "through", "during", "before", "after", "above", "below",
	"to", "from", "up", "down", "in", "out", "on", "off", "over", "under", "again", "further",
	"then", "once", "here", "there", "when", "where", "why", "how", "all", "any", "both",
	"each", "few", "more", "most", "other", "some", "such", "no", "nor", "not", "only", "own",
	"same", "so", "than", "too", "very", "can", "will", "just", "don", "should", "now",
};

static int is_stop_word(const char *w)
{
	for (size_t i = 0; i < sizeof stop_words / sizeof stop_words[0]; i++)
		if (!strcmp(stop_words[i], w))
			return 1;
	return 0;
}

/* ---- vocabulary: open-addressing map word -> id ---- */

struct vocab {
	size_t cap;       /* slots, a power of two */
	size_t n;         /* words */
	char **key;       /* cap slots: word or NULL */
	uint32_t *id;     /* cap slots: its id */
	char **word;      /* n words by id */
	uint64_t *count;  /* n total occurrences by id */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

static void vocab_grow(struct vocab *v)
{
	size_t cap = v->cap ? 2 * v->cap : 4096;
	char **key = xcalloc(cap, sizeof *key);
	uint32_t *id = xmalloc(cap * sizeof *id);
	for (size_t i = 0; i < v->cap; i++) {
		if (!v->key[i])
			continue;
		size_t h = hash_str(v->key[i]) & (cap - 1);
		while (key[h])
			h = (h + 1) & (cap - 1);
		key[h] = v->key[i];
		id[h] = v->id[i];
	}
	free(v->key);
	free(v->id);
	v->key = key;
	v->id = id;
	v->cap = cap;
	v->word = xreallocarray(v->word, cap / 2, sizeof *v->word);
	v->count = xreallocarray(v->count, cap / 2, sizeof *v->count);
}

static uint32_t vocab_get(struct vocab *v, const char *w)
{
	if (2 * (v->n + 1) > v->cap)
		vocab_grow(v);
	size_t h = hash_str(w) & (v->cap - 1);
	while (v->key[h]) {
		if (!strcmp(v->key[h], w))
			return v->id[h];
		h = (h + 1) & (v->cap - 1);
	}
	v->key[h] = xstrdup(w);
	v->id[h] = (uint32_t)v->n;
	v->word[v->n] = v->key[h];
	v->count[v->n] = 0;
	return (uint32_t)v->n++;
}

static void vocab_free(struct vocab *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->word[i]);
	free(v->key);
	free(v->id);
	free(v->word);
	free(v->count);
}

/* ---- reading the folder ---- */

/* Tokens of every document, as vocabulary ids. */
struct docs {
	size_t ndocs;       /* documents */
	size_t *start;      /* ndocs + 1 offsets into tok */
	uint32_t *tok;      /* token ids */
	size_t n, cap;      /* tokens / allocated */
};

static void add_token(struct docs *d, struct vocab *v, const char *w)
{
	if (w[1] == '\0' || is_stop_word(w))
		return;
	uint32_t id = vocab_get(v, w);
	v->count[id]++;
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 65536;
		d->tok = xreallocarray(d->tok, d->cap, sizeof *d->tok);
	}
	d->tok[d->n++] = id;
}

/* Tokenize one file into the next document. */
static int read_doc(const char *path, struct docs *d, struct vocab *v)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return diag_error("%s: %s", path, strerror(errno));
	char w[CORPUS_MAX_WORD + 1];
	size_t len = 0;
	int c;
	while ((c = getc(f)) != EOF) {
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			if (len < CORPUS_MAX_WORD)
				w[len++] = (char)(c | 0x20);
			continue;
		}
		if (len) {
			w[len] = '\0';
			add_token(d, v, w);
			len = 0;
		}
	}
	if (len) {
		w[len] = '\0';
		add_token(d, v, w);
	}
	int err = ferror(f);
	fclose(f);
	if (err)
		return diag_error("%s: read error", path);
	d->start = xreallocarray(d->start, d->ndocs + 2, sizeof *d->start);
	d->start[++d->ndocs] = d->n;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular, non-hidden files of dir, sorted by name; NULL after a message. */
static char **list_files(const char *dir, size_t *n)
{
	DIR *dp = opendir(dir);
	if (!dp) {
		diag_error("%s: %s", dir, strerror(errno));
		return NULL;
	}
	char **names = NULL;
	size_t cap = 0;
	*n = 0;
	struct dirent *e;
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			names = xreallocarray(names, cap, sizeof *names);
		}
		names[(*n)++] = p;
	}
	closedir(dp);
	if (*n)
		qsort(names, *n, sizeof *names, cmp_str);
	return names ? names : xcalloc(1, sizeof *names);
}

/* ---- writing ---- */

/* A kept word and its id in the vocabulary. */
struct kept {
	const char *word; /* the word */
	uint32_t id;      /* its vocabulary id */
};

static int cmp_kept(const void *a, const void *b)
{
	return strcmp(((const struct kept *)a)->word, ((const struct kept *)b)->word);
}

/* Kept words in sorted order into *sorted; newid[old id] = 1-based new id, or 0 if dropped. */
static uint32_t renumber(const struct vocab *v, uint64_t min_count, uint32_t *newid,
			 const char ***sorted)
{
	struct kept *keep = xmalloc((v->n ? v->n : 1) * sizeof *keep);
	uint32_t W = 0;
	for (size_t i = 0; i < v->n; i++) {
		newid[i] = 0;
		if (v->count[i] >= min_count)
			keep[W++] = (struct kept){ v->word[i], (uint32_t)i };
	}
	if (W)
		qsort(keep, W, sizeof *keep, cmp_kept);
	const char **words = xmalloc((W ? W : 1) * sizeof *words);
	for (uint32_t k = 0; k < W; k++) {
		newid[keep[k].id] = k + 1;
		words[k] = keep[k].word;
	}
	free(keep);
	*sorted = words;
	return W;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Per document, its kept ids sorted (in place in tok) and the number of distinct ones. */
static uint64_t sort_docs(struct docs *d, const uint32_t *newid)
{
	uint64_t nnz = 0;
	for (size_t k = 0; k < d->ndocs; k++) {
		uint32_t *t = d->tok + d->start[k];
		size_t n = d->start[k + 1] - d->start[k];
		for (size_t i = 0; i < n; i++)
			t[i] = newid[t[i]];
		if (n)
			qsort(t, n, sizeof *t, cmp_u32);
		for (size_t i = 0; i < n; i++)
			nnz += t[i] && (i == 0 || t[i] != t[i - 1]);
	}
	return nnz;
}

static int write_docword(const char *path, const struct docs *d, uint32_t W, uint64_t nnz)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return diag_error("%s: %s", path, strerror(errno));
	fprintf(f, "%zu\n%u\n%llu\n", d->ndocs, W, (unsigned long long)nnz);
	for (size_t k = 0; k < d->ndocs; k++) {
		const uint32_t *t = d->tok + d->start[k];
		size_t n = d->start[k + 1] - d->start[k];
		for (size_t i = 0; i < n;) {
			size_t j = i;
			while (j < n && t[j] == t[i])
				j++;
			if (t[i])
				fprintf(f, "%zu %u %zu\n", k + 1, t[i], j - i);
			i = j;
		}
	}
	if (fclose(f) != 0)
		return diag_error("%s: write error", path);
	return 0;
}

static int write_vocab(const char *path, const char *const *words, uint32_t W)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return diag_error("%s: %s", path, strerror(errno));
	for (uint32_t k = 0; k < W; k++)
		fprintf(f, "%s\n", words[k]);
	if (fclose(f) != 0)
		return diag_error("%s: write error", path);
	return 0;
}

/* ---- the command ---- */

static int convert(const char *dir, const char *prefix, uint64_t min_count)
{
	size_t nfiles;
	char **files = list_files(dir, &nfiles);
	if (!files)
		return 1;
	int rc = 1;
	struct vocab v = { 0 };
	struct docs d = { 0 };
	d.start = xcalloc(1, sizeof *d.start);
	uint32_t *newid = NULL;
	const char **sorted = NULL;
	char *dw = xasprintf("%s.docword.txt", prefix), *vo = xasprintf("%s.vocab.txt", prefix);
	if (nfiles == 0) {
		diag_error("%s: no regular files (one document per file expected)", dir);
		goto done;
	}
	for (size_t i = 0; i < nfiles; i++)
		if (read_doc(files[i], &d, &v) < 0)
			goto done;
	newid = xmalloc((v.n ? v.n : 1) * sizeof *newid);
	uint32_t W = renumber(&v, min_count, newid, &sorted);
	uint64_t nnz = sort_docs(&d, newid);
	if (W == 0 || nnz == 0) {
		diag_error("%s: empty corpus: no word occurs at least %llu times (after dropping stop "
			   "words and one-letter tokens); try a smaller --min-count", dir,
			   (unsigned long long)min_count);
		goto done;
	}
	if (write_docword(dw, &d, W, nnz) < 0 || write_vocab(vo, sorted, W) < 0) {
		remove(dw);
		remove(vo);
		goto done;
	}
	uint64_t ntok = 0;
	for (size_t i = 0; i < d.n; i++)
		ntok += d.tok[i] != 0;
	printf("%s: %zu documents, %u words, %llu entries, %llu tokens -> %s, %s\n", dir, d.ndocs,
	       W, (unsigned long long)nnz, (unsigned long long)ntok, dw, vo);
	rc = 0;
done:
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	free(newid);
	free((void *)sorted);
	free(d.start);
	free(d.tok);
	vocab_free(&v);
	free(dw);
	free(vo);
	return rc;
}

static const struct cli_opt corpus_opts[] = {
	{ "out", 256, "PREFIX", "output prefix: PREFIX.docword.txt and PREFIX.vocab.txt (required)" },
	{ "min-count", 257, "N", "keep words occurring at least N times in the folder (default 10, the UCI sets' \"more than ten times\")" },
	{ NULL, 0, NULL, NULL },
};

const struct cli_help cmd_corpus_help = {
	.cmd = "corpus convert",
	.usage = "corpus convert DIR --out PREFIX [--min-count N]",
	.about = "Convert a folder of plain-text files (one document each) into the UCI bag-of-words\n"
	         "format: PREFIX.docword.txt (D, W, NNZ, then `docID wordID count`) and\n"
	         "PREFIX.vocab.txt (word i on line i). Tokens: runs of ASCII letters, lower-cased;\n"
	         "one-letter tokens and English stop words (NLTK's list) dropped. See\n"
	         "docs/workload-lda.md.",
	.opts = corpus_opts,
};

int cmd_corpus(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_print_help(stdout, &cmd_corpus_help);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "convert"))
		return cmd_usage_error(CORPUS_USAGE, "corpus: expected the subcommand 'convert'");
	const char *dir = NULL, *prefix = NULL, *v;
	int64_t min_count = CORPUS_MIN_COUNT;
	struct cli_parser P;
	cli_parser_init(&P, &cmd_corpus_help, argc - 1, argv + 1);
	int ch;
	while ((ch = cli_next(&P, &v)) != CLI_END) {
		if (ch == CLI_HELP)
			return 0;
		if (ch == CLI_ERROR)
			return 2;
		if (ch == 256)
			prefix = v;
		else if (parse_int64(v, &min_count) < 0 || min_count < 1)
			return cmd_usage_error(CORPUS_USAGE, "--min-count: bad value '%s' (expected "
			                       "an integer >= 1)", v);
	}
	if (argc - 1 - optind > 1)
		return cmd_usage_error(CORPUS_USAGE, "corpus convert: unexpected argument '%s'",
		                       argv[1 + optind + 1]);
	if (optind < argc - 1)
		dir = argv[1 + optind];
	if (!dir || !prefix)
		return cmd_usage_error(CORPUS_USAGE, "corpus convert: need DIR and --out PREFIX");
	return convert(dir, prefix, (uint64_t)min_count);
}
