/*
 * Writes the MovieLens-100k-format fixture tests/data/mf/ml-planted/u1.base and u1.test (see
 * docs/workload-mf.md, "Held-out data"): ratings from workloads/mf-data.c's planted model
 * (global mean, per-user and per-item offsets, a rank-3 interaction, Gaussian noise, whole
 * stars 1..5), held out 20% by mf_data_split() as ml-100k's u1..u5 splits are (80/20,
 * disjoint), written as `user<TAB>item<TAB>rating<TAB>timestamp` lines with 1-based ids like
 * u.data. Not run by `make check`; regenerate with
 *   make tests/mf_fixture && tests/mf_fixture $srcdir/tests/data/mf/ml-planted
 * The parameters below are the fixture's definition (the tests state what they rely on).
 */
#include <stdio.h>
#include <stdlib.h>

#include "workloads/mf-data.h"

/* Planted model of the fixture; mean 3.53 is ml-100k's mean rating. */
static const struct mf_synth_params fixture = {
	.users = 200, .items = 100, .ratings = 2500, .true_rank = 3, .zipf = 1.0,
	.user_sigma = 0.5, .noise = 0.5, .mean = 3.53, .user_bias = 0.3, .item_bias = 0.3,
	.round = 1,
};
#define FIXTURE_SEED 1
#define TEST_FRACTION 0.2
#define TIME0 880000000 /* timestamps: TIME0 + rating index (ignored by the loader) */

static int write_udata(const struct mf_data *d, const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	for (size_t k = 0; k < d->n; k++)
		fprintf(f, "%u\t%u\t%.0f\t%lu\n", d->ratings[k].user + 1, d->ratings[k].item + 1,
			(double)d->ratings[k].r, (unsigned long)(TIME0 + k));
	return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mf_fixture DIR\n");
		return 2;
	}
	struct mf_data *d = mf_data_synthetic(&fixture, FIXTURE_SEED);
	if (!d)
		return 1;
	struct mf_data *t = mf_data_split(d, TEST_FRACTION, FIXTURE_SEED);
	int rc = write_udata(d, argv[1], "u1.base") | write_udata(t, argv[1], "u1.test");
	mf_data_free(d);
	mf_data_free(t);
	return rc ? 1 : 0;
}
