/*
 * What a loaded LDA corpus must satisfy, for the corpus harnesses (fuzz_docword.c,
 * fuzz_ldac.c): at least one document, word and token; document offsets start at 0, never
 * decrease and end at the token count; every word id below the vocabulary size; no
 * synthetic truth attached to a loaded corpus.
 */
#ifndef GAIA_FUZZ_LDA_CHECK_H
#define GAIA_FUZZ_LDA_CHECK_H

#include "tests/fuzz/fuzz.h"
#include "workloads/lda-data.h"

static inline void lda_check_corpus(const struct lda_corpus *c)
{
	FUZZ_CHECK(c->ndocs >= 1 && c->nwords >= 1 && c->ntokens >= 1);
	FUZZ_CHECK(c->doc_start[0] == 0 && c->doc_start[c->ndocs] == c->ntokens);
	for (uint32_t d = 0; d < c->ndocs; d++)
		FUZZ_CHECK(c->doc_start[d] <= c->doc_start[d + 1]);
	for (size_t k = 0; k < c->ntokens; k++)
		FUZZ_CHECK(c->words[k] < c->nwords);
	FUZZ_CHECK(c->true_topics == 0 && !c->true_phi && !c->true_z);
}

#endif
