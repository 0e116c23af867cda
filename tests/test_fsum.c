/*
 * fsum_repeat (lib/fsum.h) against the loop it replaces: n sequential additions s = s + d,
 * compared bit for bit. Cases: equal rates of the flow model (capacity / n summed n times from
 * 0, as sim/flow.c sums a bottleneck's load), random magnitudes and starting values, steps
 * built to be exact ties (d = q + 1/2 units of s's binade, q even and odd), d below half a
 * unit (s stops changing), d >= s (every addition crosses a binade), and the slow cases
 * (negative, zero, infinite, NaN, tiny) that it hands to the loop. fsum_repeat_clamp against
 * the loop with the flow model's clamp at 0: equal rate steps down and up, random, ties,
 * runs that reach 0.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/fsum.h"
#include "lib/rng.h"
#include "tests/testutil.h"

/* The reference: n additions, one by one. */
static double loop_sum(double s, double d, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		s = s + d;
	return s;
}

static long failures;

static void check(double s, double d, uint64_t n)
{
	double want = loop_sum(s, d, n), got = fsum_repeat(s, d, n);
	if (memcmp(&want, &got, sizeof want) != 0 && !(isnan(want) && isnan(got))) {
		if (failures < 5)
			printf("\n  s=%a d=%a n=%llu: loop %a, fsum_repeat %a\n", s, d,
			       (unsigned long long)n, want, got);
		failures++;
	}
}

/* The reference for fsum_repeat_clamp: n additions with the clamp at 0, one by one. */
static double loop_clamp(double s, double d, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		s = s + d;
		if (s < 0)
			s = 0;
	}
	return s;
}

static void check_clamp(double s, double d, uint64_t n)
{
	double want = loop_clamp(s, d, n), got = fsum_repeat_clamp(s, d, n);
	if (memcmp(&want, &got, sizeof want) != 0 && !(isnan(want) && isnan(got))) {
		if (failures < 5)
			printf("\n  s=%a d=%a n=%llu: loop %a, fsum_repeat_clamp %a\n", s, d,
			       (unsigned long long)n, want, got);
		failures++;
	}
}

static void test_equal_rates(void)
{
	failures = 0;
	static const double caps[] = { 1e9, 100e6, 622e6, 10e9, 54.3e6, 1.25e8 };
	for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++)
		for (uint64_t n = 1; n <= 3000; n++)
			check(0, caps[c] / (double)n, n);
	CU_ASSERT_EQUAL(failures, 0);
}

static void test_random(void)
{
	failures = 0;
	struct rng r;
	rng_init(&r, 42, 1);
	for (int i = 0; i < 20000; i++) {
		double d = ldexp(1 + rng_uniform(&r), (int)rng_below(&r, 80) - 40);
		double s = rng_below(&r, 3) == 0 ? 0 : ldexp(1 + rng_uniform(&r), (int)rng_below(&r, 100) - 40);
		uint64_t n = rng_below(&r, 5000);
		check(s, d, n);
	}
	CU_ASSERT_EQUAL(failures, 0);
}

static void test_ties(void)
{
	failures = 0;
	struct rng r;
	rng_init(&r, 43, 1);
	for (int i = 0; i < 4000; i++) {
		/* s in [2^52, 2^53) units u = 2^-10; d = (q + 1/2) u, q small, even or odd. */
		double u = 0x1p-10;
		double S = 0x1p52 + (double)rng_below(&r, 1ULL << 52);
		if (rng_below(&r, 2))
			S = 0x1p53 - (double)rng_below(&r, 100000); /* near the binade's top */
		double q = (double)rng_below(&r, 64);
		check(S * u, (q + 0.5) * u, rng_below(&r, 200000));
		check(S * u, (q + 0.25) * u, rng_below(&r, 200000));
		check(S * u, (q + 0.75) * u, rng_below(&r, 200000));
	}
	CU_ASSERT_EQUAL(failures, 0);
}

static void test_edges(void)
{
	failures = 0;
	check(1.0, 0x1p-60, 1000000);   /* below half a unit: 1.0 stays */
	check(1.0, 0x1p-53, 1000);      /* exactly half a unit of 1.0, 1.0 even: stays */
	check(1.0 + 0x1p-52, 0x1p-53, 1000); /* odd start: the first tie goes up, then even */
	check(3.0, 5.0, 100);           /* d >= s */
	check(0, 1.0, 0);               /* n = 0 */
	check(0, 0x1p-1070, 100);       /* subnormal */
	check(1e300, 1e300, 10);        /* overflow to infinity */
	check(5.0, -0.1, 100);          /* negative d: the loop */
	check(-5.0, 0.1, 100);          /* negative s: the loop */
	check(1.0, 0.0, 10);
	check(1.0, INFINITY, 3);
	check(1.0, NAN, 3);
	CU_ASSERT_EQUAL(failures, 0);
	/* Not vacuous: the result is not merely s + n d. */
	CU_ASSERT(fsum_repeat(0, 0.1, 10) != 1.0);
	CU_ASSERT(fsum_repeat(0, 0.1, 10) == loop_sum(0, 0.1, 10));
}

/* Subtractions: a load losing n equal rate steps (the rates of n flows dropping by one delta),
 * random magnitudes, ties, and runs that reach 0 and stay clamped there. */
static void test_clamp(void)
{
	failures = 0;
	static const double caps[] = { 1e9, 100e6, 622e6, 54.3e6 };
	for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++)
		for (uint64_t n = 2; n <= 1500; n++) {
			/* n flows at cap / n, one arrives: each loses cap / n - cap / (n + 1). */
			double load = loop_sum(0, caps[c] / (double)n, n);
			check_clamp(load, caps[c] / (double)(n + 1) - caps[c] / (double)n, n);
			/* ... one leaves: each gains. */
			check_clamp(load, caps[c] / (double)(n - 1) - caps[c] / (double)n, n - 1);
			/* all of them stop: down to 0 (or a rounding residue). */
			check_clamp(load, -caps[c] / (double)n, n);
		}
	struct rng r;
	rng_init(&r, 44, 1);
	for (int i = 0; i < 20000; i++) {
		double d = -ldexp(1 + rng_uniform(&r), (int)rng_below(&r, 80) - 40);
		double s = rng_below(&r, 5) == 0 ? 0 : ldexp(1 + rng_uniform(&r), (int)rng_below(&r, 100) - 40);
		check_clamp(s, d, rng_below(&r, 5000));
		check_clamp(s, -d, rng_below(&r, 5000));
	}
	for (int i = 0; i < 4000; i++) {
		/* Exact ties: d = -(q + 1/2) u in s's binade, from even and odd S, near the bottom. */
		double u = 0x1p-10;
		double S = 0x1p52 + (double)rng_below(&r, 1ULL << 52);
		if (rng_below(&r, 2))
			S = 0x1p52 + (double)rng_below(&r, 100000);
		double q = (double)rng_below(&r, 64);
		check_clamp(S * u, -(q + 0.5) * u, rng_below(&r, 200000));
		check_clamp(S * u, -(q + 0.25) * u, rng_below(&r, 200000));
		check_clamp(S * u, -(q + 0.75) * u, rng_below(&r, 200000));
	}
	check_clamp(1.0, -0x1p-60, 1000000); /* below half a unit: stays */
	check_clamp(1.0 + 0x1p-52, -0x1p-53, 1000); /* odd start: the tie goes down to even 1.0 */
	check_clamp(3.0, -1.0, 10);  /* exactly 0, then clamped */
	check_clamp(3.0, -5.0, 4);   /* below 0 at once */
	check_clamp(-0.0, -1.0, 3);
	check_clamp(-2.0, 1.0, 5);   /* negative start: the loop */
	check_clamp(1.0, -INFINITY, 2);
	check_clamp(1.0, NAN, 2);
	check_clamp(5.0, 0.0, 3);
	CU_ASSERT_EQUAL(failures, 0);
	/* Not vacuous: the clamp acts, and the result is not merely s + n d. */
	CU_ASSERT(fsum_repeat_clamp(3.0, -1.0, 5) == 0.0);
	CU_ASSERT(fsum_repeat_clamp(1.0, -0.1, 5) != 0.5);
	CU_ASSERT(fsum_repeat_clamp(1.0, -0.1, 5) == loop_clamp(1.0, -0.1, 5));
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "capacity / n summed n times from 0", test_equal_rates },
		{ "random magnitudes and starts", test_random },
		{ "exact ties and near ties", test_ties },
		{ "edges and the loop's cases", test_edges },
		{ "with the clamp at 0: subtractions, ties, reaching 0", test_clamp },
		{ NULL, NULL },
	};
	testutil_suite("fsum", cases);
	return testutil_run();
}
