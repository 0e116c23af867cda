/*
 * Topic modeling (LDA by collapsed Gibbs sampling, docs/workload-lda.md): the workload's ops
 * table is lda_ops (workload.h); this header adds what tests need to check the sampler's
 * worker-local state against a model.
 */
#ifndef GAIA_LDA_H
#define GAIA_LDA_H

#include "workloads/workload.h"

/*
 * The count table implied by the workers' current topic assignments: nrows x K doubles (word
 * rows, then the topic totals row), the exact model a lossless synchronisation would hold.
 */
void lda_counts(const struct workload *w, double *counts);

/* Training tokens over all workers (held-out documents excluded). */
size_t lda_train_tokens(const struct workload *w);

#endif
