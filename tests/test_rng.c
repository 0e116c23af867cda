/*
 * Tests for the random streams (lib/rng.c): the generator matches xoshiro256** on a
 * hand-computed state; a (seed, stream) pair always gives the same sequence and different
 * pairs give different ones; rng_below stays in range and is uniform (chi-square); the
 * uniform, normal and exponential deviates have the right moments. All with fixed seeds and
 * bounds several standard deviations wide, so the tests are deterministic and not flaky.
 */
#include <math.h>
#include <stdint.h>

#include "lib/rng.h"
#include "tests/testutil.h"

/*
 * xoshiro256** from state {1, 2, 3, 4}, worked by hand from the published algorithm:
 *   out1 = rotl(2 * 5, 7) * 9 = 1280 * 9 = 11520;
 *   state -> {7, 0, 262146, 6 << 45}; out2 = rotl(0 * 5, 7) * 9 = 0;
 *   state -> {7 ^ (6 << 45), 262149, 262149, rotl(6 << 45, 45) = 6 << 26};
 *   out3 = rotl(262149 * 5, 7) * 9 = 1310745 * 128 * 9 = 1509978240.
 * rng_uniform takes the top 53 bits: 11520 >> 11 = 5, so 5 * 2^-53.
 */
static void test_known_answer(void)
{
	struct rng r = { .s = { 1, 2, 3, 4 } };
	CU_ASSERT_EQUAL(rng_u64(&r), UINT64_C(11520));
	CU_ASSERT_EQUAL(rng_u64(&r), UINT64_C(0));
	CU_ASSERT_EQUAL(r.s[0], UINT64_C(7) ^ (UINT64_C(6) << 45));
	CU_ASSERT_EQUAL(r.s[1], UINT64_C(262149));
	CU_ASSERT_EQUAL(r.s[2], UINT64_C(262149));
	CU_ASSERT_EQUAL(r.s[3], UINT64_C(6) << 26);
	CU_ASSERT_EQUAL(rng_u64(&r), UINT64_C(1509978240));
	struct rng u = { .s = { 1, 2, 3, 4 } };
	CU_ASSERT_DOUBLE_EQUAL(rng_uniform(&u), 5.0 * 0x1.0p-53, 0.0);
}

static void test_same_seed_same_sequence(void)
{
	struct rng a, b;
	rng_init(&a, 99, 5);
	rng_init(&b, 99, 5);
	int same = 1;
	for (int i = 0; i < 10000; i++)
		same &= rng_u64(&a) == rng_u64(&b);
	CU_ASSERT(same);
	/* Re-initialising restarts the sequence. */
	rng_init(&a, 99, 5);
	rng_init(&b, 99, 5);
	rng_u64(&a);
	rng_init(&a, 99, 5);
	CU_ASSERT_EQUAL(rng_u64(&a), rng_u64(&b));
}

/* Number of equal outputs among the first n of two streams (0 expected for 64-bit outputs). */
static int overlap(uint64_t seed1, uint64_t stream1, uint64_t seed2, uint64_t stream2, int n)
{
	struct rng a, b;
	rng_init(&a, seed1, stream1);
	rng_init(&b, seed2, stream2);
	int eq = 0;
	for (int i = 0; i < n; i++)
		eq += rng_u64(&a) == rng_u64(&b);
	return eq;
}

static void test_streams_differ(void)
{
	CU_ASSERT_EQUAL(overlap(1, 0, 1, 1, 1000), 0);
	CU_ASSERT_EQUAL(overlap(1, 1, 1, 2, 1000), 0);
	CU_ASSERT_EQUAL(overlap(1, 0, 2, 0, 1000), 0);
	CU_ASSERT_EQUAL(overlap(0, 0, 0, 1, 1000), 0);
	/* Swapping seed and stream must not give the same stream. */
	CU_ASSERT_EQUAL(overlap(3, 4, 4, 3, 1000), 0);
	/* The state is never all zero, whatever the inputs. */
	struct rng r;
	rng_init(&r, 0, 0);
	CU_ASSERT((r.s[0] | r.s[1] | r.s[2] | r.s[3]) != 0);
}

static void test_stream_id(void)
{
	uint64_t a = rng_stream_id("trace", 1, 2);
	CU_ASSERT_EQUAL(a, rng_stream_id("trace", 1, 2));
	CU_ASSERT_NOT_EQUAL(a, rng_stream_id("trace", 2, 1));
	CU_ASSERT_NOT_EQUAL(a, rng_stream_id("trace", 1, 3));
	CU_ASSERT_NOT_EQUAL(a, rng_stream_id("tracf", 1, 2));
	CU_ASSERT_NOT_EQUAL(a, rng_stream_id("", 1, 2));
	/* Distinct ids over a small grid. */
	uint64_t ids[64];
	int k = 0, dup = 0;
	for (uint64_t i = 0; i < 8; i++)
		for (uint64_t j = 0; j < 8; j++)
			ids[k++] = rng_stream_id("worker", i, j);
	for (int x = 0; x < 64; x++)
		for (int y = x + 1; y < 64; y++)
			dup += ids[x] == ids[y];
	CU_ASSERT_EQUAL(dup, 0);
}

static void test_below_range(void)
{
	struct rng r;
	rng_init(&r, 5, 6);
	const uint64_t ns[] = { 1, 2, 3, 7, 10, 1000, UINT64_C(1) << 32, (UINT64_C(1) << 63) + 1,
		UINT64_MAX };
	for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
		int bad = 0;
		for (int i = 0; i < 20000; i++)
			bad += rng_below(&r, ns[k]) >= ns[k];
		CU_ASSERT_EQUAL(bad, 0);
	}
	/* n = 1 always gives 0. */
	int nonzero = 0;
	for (int i = 0; i < 1000; i++)
		nonzero += rng_below(&r, 1) != 0;
	CU_ASSERT_EQUAL(nonzero, 0);
	/*
	 * n = 2^63 + 1 is the worst case for rejection (about half of the draws are rejected);
	 * the results must still cover the range evenly: about half at or above 2^62.
	 */
	int high = 0;
	const int draws = 20000;
	for (int i = 0; i < draws; i++)
		high += rng_below(&r, (UINT64_C(1) << 63) + 1) >= (UINT64_C(1) << 62);
	/* Binomial(20000, 0.5): sd ~ 71; allow 6 sd. */
	CU_ASSERT(abs(high - draws / 2) < 430);
}

/*
 * Chi-square over K buckets: with K - 1 degrees of freedom the statistic has mean K - 1 and
 * sd sqrt(2 (K - 1)). The bound K - 1 + 8 sd is generous: a fixed seed makes it exact anyway,
 * and a broken generator (bias, stuck bits, modulo bias) exceeds it by orders of magnitude.
 */
static double chi_square_below(uint64_t seed, uint64_t n, int draws)
{
	struct rng r;
	rng_init(&r, seed, 17);
	long counts[64] = { 0 };
	for (int i = 0; i < draws; i++)
		counts[rng_below(&r, n)]++;
	double expect = (double)draws / (double)n, chi = 0;
	for (uint64_t k = 0; k < n; k++)
		chi += (counts[k] - expect) * (counts[k] - expect) / expect;
	return chi;
}

static void test_below_uniform(void)
{
	const uint64_t ns[] = { 2, 6, 10, 37, 64 };
	for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
		double dof = (double)(ns[k] - 1);
		double chi = chi_square_below(1234 + k, ns[k], 200000);
		CU_ASSERT(chi < dof + 8 * sqrt(2 * dof));
		/* Also not suspiciously perfect (a counter, not a random source). */
		CU_ASSERT(ns[k] < 6 || chi > 0.05 * dof);
	}
}

static void test_uniform(void)
{
	struct rng r;
	rng_init(&r, 8, 9);
	const int n = 200000;
	double sum = 0, sumsq = 0;
	int out = 0;
	for (int i = 0; i < n; i++) {
		double u = rng_uniform(&r);
		out += !(u >= 0.0 && u < 1.0);
		sum += u;
		sumsq += u * u;
	}
	CU_ASSERT_EQUAL(out, 0);
	double mean = sum / n, var = sumsq / n - mean * mean;
	/* Mean 1/2 (sd of the estimate 0.00065), variance 1/12 = 0.08333. */
	CU_ASSERT_DOUBLE_EQUAL(mean, 0.5, 0.005);
	CU_ASSERT_DOUBLE_EQUAL(var, 1.0 / 12.0, 0.002);
}

static void test_normal(void)
{
	struct rng r;
	rng_init(&r, 10, 11);
	const int n = 200000;
	double sum = 0, sumsq = 0;
	int within1 = 0, finite = 1;
	for (int i = 0; i < n; i++) {
		double z = rng_normal(&r);
		finite &= isfinite(z) != 0;
		sum += z;
		sumsq += z * z;
		within1 += fabs(z) < 1.0;
	}
	CU_ASSERT(finite);
	double mean = sum / n, var = sumsq / n - mean * mean;
	/* sd of the mean estimate: 1/sqrt(n) = 0.0022; of the variance: sqrt(2/n) = 0.0032. */
	CU_ASSERT_DOUBLE_EQUAL(mean, 0.0, 0.015);
	CU_ASSERT_DOUBLE_EQUAL(var, 1.0, 0.02);
	/* P(|Z| < 1) = erf(1/sqrt 2) = 0.682689; sd of the fraction ~0.001. */
	CU_ASSERT_DOUBLE_EQUAL((double)within1 / n, erf(1.0 / sqrt(2.0)), 0.006);
}

static void test_exp(void)
{
	struct rng r;
	rng_init(&r, 12, 13);
	const int n = 200000;
	const double mean_want = 2.5;
	double sum = 0;
	int above = 0, negative = 0;
	for (int i = 0; i < n; i++) {
		double x = rng_exp(&r, mean_want);
		negative += !(x >= 0.0);
		sum += x;
		above += x > mean_want;
	}
	CU_ASSERT_EQUAL(negative, 0);
	/* sd of the mean estimate: 2.5 / sqrt(n) = 0.0056. */
	CU_ASSERT_DOUBLE_EQUAL(sum / n, mean_want, 0.04);
	/* P(X > mean) = e^-1 = 0.3679; sd ~0.0011. */
	CU_ASSERT_DOUBLE_EQUAL((double)above / n, exp(-1.0), 0.007);
}

/* Draw counts per call are fixed: a stream advanced by k normals equals one advanced by 2k u64s. */
static void test_normal_stream_position(void)
{
	struct rng a, b;
	rng_init(&a, 77, 1);
	rng_init(&b, 77, 1);
	for (int i = 0; i < 100; i++)
		rng_normal(&a);
	for (int i = 0; i < 200; i++)
		rng_u64(&b);
	CU_ASSERT_EQUAL(rng_u64(&a), rng_u64(&b));
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "xoshiro256** known answer", test_known_answer },
		{ "same (seed, stream), same sequence", test_same_seed_same_sequence },
		{ "different streams differ", test_streams_differ },
		{ "stream ids", test_stream_id },
		{ "rng_below range", test_below_range },
		{ "rng_below chi-square", test_below_uniform },
		{ "rng_uniform moments", test_uniform },
		{ "rng_normal moments", test_normal },
		{ "rng_exp moments", test_exp },
		{ "rng_normal stream position", test_normal_stream_position },
		{ NULL, NULL },
	};
	testutil_suite("rng", cases);
	return testutil_run();
}
