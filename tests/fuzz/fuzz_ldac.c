/*
 * Fuzz harness: LDA-C corpora (`N id:count ...` per document) of the topic-modeling workload
 * (workloads/lda-data.h, lda_corpus_load with LDA_FORMAT_LDAC). An accepted corpus is checked
 * as a CSR corpus (tests/fuzz/lda-check.h).
 */
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/lda-check.h"
#include "workloads/lda-data.h"

static int run(const char *path)
{
	struct lda_corpus *c = lda_corpus_load(path, LDA_FORMAT_LDAC);
	if (!c)
		return -1;
	lda_check_corpus(c);
	lda_corpus_free(c);
	return 0;
}

FUZZ_TARGET(ldac, "tests/data/lda/*.ldac*", run)
