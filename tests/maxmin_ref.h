/*
 * An independent, deliberately simple max-min fair solver for the flow-model tests (textbook
 * progressive filling: all unfrozen flows grow together by the largest step that keeps every
 * resource within capacity; flows on a saturated resource freeze). O(steps * flows * res):
 * slow, and sharing no code with sim/flow.c. Flow f crosses the nr[f] resources res[f][0..).
 */
#ifndef GAIA_TESTS_MAXMIN_REF_H
#define GAIA_TESTS_MAXMIN_REF_H

#include <math.h>
#include <stdlib.h>

static inline void reference_maxmin(int nres, const double *cap, int nflows, const int nr[],
                                    int res[][3], const int *alive, double *rate)
{
	int *frozen = calloc((size_t)nflows + 1, sizeof *frozen);
	if (!frozen)
		abort();
	for (int f = 0; f < nflows; f++) {
		rate[f] = 0;
		frozen[f] = !alive[f];
	}
	for (;;) {
		double step = INFINITY;
		int any = 0;
		for (int r = 0; r < nres; r++) {
			double used = 0;
			int n = 0;
			for (int f = 0; f < nflows; f++)
				for (int k = 0; k < nr[f]; k++)
					if (alive[f] && res[f][k] == r) {
						used += rate[f];
						n += !frozen[f];
					}
			if (n > 0 && (cap[r] - used) / n < step)
				step = (cap[r] - used) / n;
		}
		for (int f = 0; f < nflows; f++)
			if (!frozen[f]) {
				rate[f] += step;
				any = 1;
			}
		if (!any)
			break;
		for (int r = 0; r < nres; r++) {
			double used = 0;
			for (int f = 0; f < nflows; f++)
				for (int k = 0; k < nr[f]; k++)
					if (alive[f] && res[f][k] == r)
						used += rate[f];
			if (used >= cap[r] * (1 - 1e-12))
				for (int f = 0; f < nflows; f++)
					for (int k = 0; k < nr[f]; k++)
						if (alive[f] && res[f][k] == r)
							frozen[f] = 1;
		}
	}
	free(frozen);
}

#endif
