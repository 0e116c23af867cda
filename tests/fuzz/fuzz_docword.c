/*
 * Fuzz harness: UCI bag-of-words corpora (`docword.*.txt`) of the topic-modeling workload
 * (workloads/lda-data.h, lda_corpus_load with LDA_FORMAT_UCI). An accepted corpus is checked
 * as a CSR corpus (tests/fuzz/lda-check.h).
 */
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/lda-check.h"
#include "workloads/lda-data.h"

static int run(const char *path)
{
	struct lda_corpus *c = lda_corpus_load(path, LDA_FORMAT_UCI);
	if (!c)
		return -1;
	lda_check_corpus(c);
	lda_corpus_free(c);
	return 0;
}

FUZZ_TARGET(docword, "tests/data/lda/*.docword.txt*", run)
