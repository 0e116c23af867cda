/*
 * Fuzz harness: the rating-file loader of the matrix-factorization workload
 * (workloads/mf-data.h, mf_data_load). An accepted data set is checked: at least one rating,
 * dense user and item indices below nusers / nitems, finite ratings, and a mean inside the
 * range of the ratings.
 */
#include <math.h>

#include "tests/fuzz/fuzz.h"
#include "workloads/mf-data.h"

static int run(const char *path)
{
	struct mf_data *d = mf_data_load(path);
	if (!d)
		return -1;
	FUZZ_CHECK(d->n >= 1 && d->nusers >= 1 && d->nitems >= 1);
	float lo = d->ratings[0].r, hi = lo;
	for (size_t k = 0; k < d->n; k++) {
		const struct mf_rating *r = &d->ratings[k];
		FUZZ_CHECK(r->user < d->nusers && r->item < d->nitems && isfinite(r->r));
		lo = fminf(lo, r->r);
		hi = fmaxf(hi, r->r);
	}
	/* The mean of values in [lo, hi] lies in [lo, hi] (up to rounding of the sum). */
	double slack = 1e-9 * fmax(fabs(lo), fabs(hi));
	FUZZ_CHECK(isfinite(d->mean) && d->mean >= lo - slack && d->mean <= hi + slack);
	mf_data_free(d);
	return 0;
}

FUZZ_TARGET(ratings, "tests/data/mf/*", run)
