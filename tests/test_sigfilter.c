/*
 * Tests of the significance filter (ps/sigfilter.h) on hand-made values: the significance
 * predicate (relative test, zero-valued parameters, empty accumulators, the strict '>'), the
 * accumulate-until-significant-then-reset cycle worked clock by clock, every threshold
 * schedule (constant, v/sqrt(t+1), learning-rate coupled, bandwidth-adaptive with its band and
 * floor) and the periodic flush.
 */
#include <math.h>

#include "ps/sigfilter.h"
#include "tests/testutil.h"

static struct sig_params params(enum sig_schedule s, double v)
{
	struct sig_params p;
	sigfilter_defaults(&p);
	p.schedule = s;
	p.v = v;
	return p;
}

static void test_defaults(void)
{
	struct sig_params p;
	sigfilter_defaults(&p);
	CU_ASSERT_EQUAL(p.schedule, SIG_LR);       /* the authors' code: follows the learning rate */
	CU_ASSERT_DOUBLE_EQUAL(p.v, 0.01, 1e-15);  /* 1%: code and paper */
	CU_ASSERT_EQUAL(p.flush_every, 0);
	CU_ASSERT_DOUBLE_EQUAL(p.budget_bps, 16.76e6, 1e-3);
	CU_ASSERT_DOUBLE_EQUAL(p.step, 0.005, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(p.band_lo, 0.9, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(p.band_hi, 1.1, 1e-15);
	CU_ASSERT_EQUAL(sigfilter_schedule_parse("constant"), SIG_CONSTANT);
	CU_ASSERT_EQUAL(sigfilter_schedule_parse("sqrt"), SIG_SQRT);
	CU_ASSERT_EQUAL(sigfilter_schedule_parse("lr"), SIG_LR);
	CU_ASSERT_EQUAL(sigfilter_schedule_parse("adaptive"), SIG_ADAPTIVE);
	CU_ASSERT_EQUAL(sigfilter_schedule_parse("sqrt_epoch"), SIG_SQRT_EPOCH);
	CU_ASSERT_EQUAL(sigfilter_schedule_parse("Constant"), -1);
	CU_ASSERT_EQUAL(sigfilter_schedule_parse(""), -1);
	CU_ASSERT_EQUAL(sigfilter_schedule_parse("sqrt "), -1);
}

static void test_significant(void)
{
	/* Relative test |acc / x| > threshold. */
	CU_ASSERT_TRUE(sigfilter_significant(0.02, 1.0, 0.01));    /* 2% > 1% */
	CU_ASSERT_FALSE(sigfilter_significant(0.005, 1.0, 0.01));  /* 0.5% */
	CU_ASSERT_TRUE(sigfilter_significant(-0.02, 1.0, 0.01));   /* sign of acc ignored */
	CU_ASSERT_TRUE(sigfilter_significant(0.02, -1.0, 0.01));   /* sign of x ignored */
	CU_ASSERT_TRUE(sigfilter_significant(-0.02, -1.0, 0.01));
	CU_ASSERT_FALSE(sigfilter_significant(-0.005, -1.0, 0.01));
	CU_ASSERT_TRUE(sigfilter_significant(3.0, 200.0, 0.01));   /* 1.5% of a large value */
	CU_ASSERT_FALSE(sigfilter_significant(1.0, 200.0, 0.01));  /* 0.5% of it */
	CU_ASSERT_TRUE(sigfilter_significant(1e-6, 1e-5, 0.01));   /* 10% of a tiny value */
	/* Strictly greater: exactly at the threshold (0.5 and 0.25 are exact binary) is held. */
	CU_ASSERT_FALSE(sigfilter_significant(0.5, 1.0, 0.5));
	CU_ASSERT_FALSE(sigfilter_significant(0.25, -0.5, 0.5));
	CU_ASSERT_TRUE(sigfilter_significant(0.5, 1.0, 0.25));
	/* A zero-valued parameter: any nonzero accumulated update is significant. */
	CU_ASSERT_TRUE(sigfilter_significant(1e-300, 0.0, 0.01));
	CU_ASSERT_TRUE(sigfilter_significant(-1e-9, 0.0, 1e6));
	CU_ASSERT_TRUE(sigfilter_significant(1e-9, -0.0, 0.5));
	/* An empty accumulator never is, whatever the value or the threshold. */
	CU_ASSERT_FALSE(sigfilter_significant(0.0, 0.0, 0.0));
	CU_ASSERT_FALSE(sigfilter_significant(0.0, 1.0, 0.0));
	CU_ASSERT_FALSE(sigfilter_significant(-0.0, 0.0, 0.01));
	CU_ASSERT_FALSE(sigfilter_significant(0.0, 5.0, 0.01));
	/* Threshold 0: everything nonzero goes. */
	CU_ASSERT_TRUE(sigfilter_significant(1e-12, 1e12, 0.0));
}

/*
 * Accumulate-until-significant, worked by hand. A parameter starts at 1 and receives +0.004
 * every clock; the local copy takes the update at once, the accumulator collects it; the
 * filter (threshold 1%) looks at acc / value after the update:
 *   clock 0: acc 0.004, x 1.004: 0.40% -> held
 *   clock 1: acc 0.008, x 1.008: 0.79% -> held
 *   clock 2: acc 0.012, x 1.012: 1.19% -> sent (0.012), acc reset to 0
 *   clock 3: acc 0.004, x 1.016: 0.39% -> held ... so every third clock sends 0.012.
 * Negative updates behave the same (|acc|), and a single large update goes at once.
 */
static void test_accumulate_reset(void)
{
	double x = 1, acc = 0, sent_total = 0;
	int sends = 0;
	for (int c = 0; c < 30; c++) {
		x += 0.004;
		acc += 0.004;
		int sig = sigfilter_significant(acc, x, 0.01);
		CU_ASSERT_EQUAL(sig, c % 3 == 2);
		if (sig) {
			CU_ASSERT_DOUBLE_EQUAL(acc, 0.012, 1e-15);
			sent_total += acc;
			acc = 0;
			sends++;
		}
	}
	CU_ASSERT_EQUAL(sends, 10);
	CU_ASSERT_DOUBLE_EQUAL(sent_total, 0.12, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(acc, 0, 0); /* clock 29 sent */

	/* Negative drift on a negative value: -0.3 per clock on -10 with threshold 5%. */
	x = -10;
	acc = 0;
	static const int expect[] = { 0, 1, 0, 1, 0, 1 }; /* 3%: held, 6%: sent, ... */
	for (int c = 0; c < 6; c++) {
		x -= 0.3;
		acc -= 0.3;
		int sig = sigfilter_significant(acc, x, 0.05);
		CU_ASSERT_EQUAL(sig, expect[c]);
		if (sig)
			acc = 0;
	}
	/* Mixed-sign updates cancel in the accumulator and are then never sent. */
	acc = 0.009 - 0.009;
	CU_ASSERT_FALSE(sigfilter_significant(acc, 1.0, 0.0));
	/* One update of 2% goes at once. */
	CU_ASSERT_TRUE(sigfilter_significant(0.02, 1.0, 0.01));
}

static void test_constant(void)
{
	struct sig_params p = params(SIG_CONSTANT, 0.02);
	struct sigfilter f;
	sigfilter_init(&f, &p);
	for (int64_t t = 0; t < 1000; t += 37)
		CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, t, 0.5 / (double)(t + 1), 0.5), 0.02, 0);
	/* Adaptation does nothing to a non-adaptive schedule. */
	sigfilter_adapt(&f, 1e12);
	sigfilter_adapt(&f, 0);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 5, 1, 1), 0.02, 0);
}

static void test_sqrt(void)
{
	struct sig_params p = params(SIG_SQRT, 0.03);
	struct sigfilter f;
	sigfilter_init(&f, &p);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 0, 1, 1), 0.03, 1e-17);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 3, 1, 1), 0.015, 1e-17);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 8, 1, 1), 0.01, 1e-17);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 99, 1, 1), 0.003, 1e-17);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 9999, 1, 1), 0.0003, 1e-17);
	/* Strictly decreasing. */
	double prev = INFINITY;
	for (int64_t t = 0; t < 50; t++) {
		double th = sigfilter_threshold(&f, t, 1, 1);
		CU_ASSERT_TRUE(th < prev);
		prev = th;
	}
}

/* v / sqrt(e + 1) with e the epoch: constant within an epoch of 20 clocks. */
static void test_sqrt_epoch(void)
{
	struct sig_params p = params(SIG_SQRT_EPOCH, 0.03);
	p.clocks_per_epoch = 20;
	struct sigfilter f;
	sigfilter_init(&f, &p);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 0, 1, 1), 0.03, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 19, 1, 1), 0.03, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 20, 1, 1), 0.03 / sqrt(2), 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 79, 1, 1), 0.03 / 2, 1e-15); /* epoch 3 */
	/* the per-clock sqrt schedule at clock 79 is 0.03 / sqrt(80) instead */
	p.schedule = SIG_SQRT;
	sigfilter_init(&f, &p);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 79, 1, 1), 0.03 / sqrt(80), 1e-15);
}

/*
 * The paper's statistic per level, on hand vectors: values x, single-clock updates u, ratios
 * |u / x| (levels 0.01%, 0.05%, 0.1%, 0.5%, 1%, 5%, 10%):
 *   u = 0.00005, x = 1    -> 0.005%: below all 7 levels
 *   u = -0.0003, x = 1    -> 0.03%:  below 6 (not 0.01%)
 *   u = 0.008,  x = -2    -> 0.4%:   below 4 (0.5%, 1%, 5%, 10%)
 *   u = 0.01,   x = 1     -> 1%:     exactly 1% is not below 1%: below 2 (5%, 10%)
 *   u = 0.5,    x = 1     -> 50%:    below none
 *   u = 1,      x = 0     -> value 0: below none, still an update
 *   u = 0,      x = 1     -> no update: not counted
 * updates 6; below per level: 1, 2, 2, 3, 3, 4, 4.
 */
static void test_count_levels(void)
{
	static const double u[] = { 0.00005, -0.0003, 0.008, 0.01, 0.5, 1, 0 };
	static const double x[] = { 1, 1, -2, 1, 1, 0, 1 };
	uint64_t below[SIG_NLEVELS] = { 0 }, updates = 0;
	sigfilter_count_levels(u, x, 7, below, &updates);
	static const uint64_t expect[SIG_NLEVELS] = { 1, 2, 2, 3, 3, 4, 4 };
	CU_ASSERT_EQUAL(updates, 6);
	for (int l = 0; l < SIG_NLEVELS; l++)
		CU_ASSERT_EQUAL(below[l], expect[l]);
	/* counts add up over calls */
	sigfilter_count_levels(u, x, 2, below, &updates);
	CU_ASSERT_EQUAL(updates, 8);
	CU_ASSERT_EQUAL(below[0], 2);
	CU_ASSERT_EQUAL(below[1], 4);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_levels[SIG_LEVEL_1PCT], 0.01, 0); /* the paper's 1% */
}

static void test_lr(void)
{
	struct sig_params p = params(SIG_LR, 0.01);
	struct sigfilter f;
	sigfilter_init(&f, &p);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 0, 0.1, 0.1), 0.01, 1e-17);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 10, 0.05, 0.1), 0.005, 1e-17);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 20, 0.025, 0.1), 0.0025, 1e-17);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 7, 0.2, 0.1), 0.02, 1e-17); /* lr may grow */
	/* The clock itself does not matter, only the learning rates. */
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 1000, 0.1, 0.1), 0.01, 1e-17);
	/* lr_0 == 0 (no schedule to follow): the initial threshold. */
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 3, 0.0, 0.0), 0.01, 0);
}

static void test_adaptive(void)
{
	struct sig_params p = params(SIG_ADAPTIVE, 0.01);
	p.budget_bps = 1e6;
	p.step = 0.005;
	struct sigfilter f;
	sigfilter_init(&f, &p);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 0, 1, 1), 0.01, 0);
	/* Above 1.1 x budget: up one step; the clock argument does not matter. */
	sigfilter_adapt(&f, 1.2e6);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 1, 1, 1), 0.015, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 50, 0.1, 1), 0.015, 1e-15);
	sigfilter_adapt(&f, 5e6);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 2, 1, 1), 0.020, 1e-15);
	/* Inside [0.9, 1.1] x budget (edges included): unchanged. */
	sigfilter_adapt(&f, 1.0e6);
	sigfilter_adapt(&f, 0.95e6);
	sigfilter_adapt(&f, 1.05e6);
	sigfilter_adapt(&f, 1.1e6);
	sigfilter_adapt(&f, 0.9e6);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 3, 1, 1), 0.020, 1e-15);
	/* Below 0.9 x budget: down one step at a time. */
	sigfilter_adapt(&f, 0.8e6);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 4, 1, 1), 0.015, 1e-15);
	sigfilter_adapt(&f, 0);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 5, 1, 1), 0.010, 1e-15);
	sigfilter_adapt(&f, 0);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 6, 1, 1), 0.005, 1e-15);
	/* Floor at 0: 0.005 - 0.005, then stays at 0 (never negative). */
	sigfilter_adapt(&f, 0);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 7, 1, 1), 0, 1e-15);
	CU_ASSERT_TRUE(sigfilter_threshold(&f, 7, 1, 1) >= 0);
	sigfilter_adapt(&f, 0);
	CU_ASSERT_EQUAL(sigfilter_threshold(&f, 8, 1, 1), 0);
	/* From 0.003 a down step floors at 0 rather than going to -0.002. */
	p.v = 0.003;
	sigfilter_init(&f, &p);
	sigfilter_adapt(&f, 0.5e6);
	CU_ASSERT_EQUAL(sigfilter_threshold(&f, 0, 1, 1), 0);
	/* And back up from 0. */
	sigfilter_adapt(&f, 2e6);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 1, 1, 1), 0.005, 1e-15);
	/* Re-initialising restarts from v. */
	p.v = 0.04;
	sigfilter_init(&f, &p);
	CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 9, 1, 1), 0.04, 0);
}

/* flush_every = k: clocks t with (t + 1) % k == 0 (every k-th clock) use threshold 0. */
static void test_flush(void)
{
	static const enum sig_schedule sch[] = { SIG_CONSTANT, SIG_SQRT, SIG_LR, SIG_ADAPTIVE };
	for (int i = 0; i < 4; i++) {
		struct sig_params p = params(sch[i], 0.04);
		p.flush_every = 3;
		struct sigfilter f;
		sigfilter_init(&f, &p);
		for (int64_t t = 0; t < 12; t++) {
			double th = sigfilter_threshold(&f, t, 0.5, 1.0);
			if (t == 2 || t == 5 || t == 8 || t == 11) {
				CU_ASSERT_EQUAL(th, 0);
			} else {
				CU_ASSERT_TRUE(th > 0);
			}
		}
		/* The unflushed clocks follow the schedule. */
		double expect4 = sch[i] == SIG_SQRT ? 0.04 / sqrt(5) : sch[i] == SIG_LR ? 0.02 : 0.04;
		CU_ASSERT_DOUBLE_EQUAL(sigfilter_threshold(&f, 4, 0.5, 1.0), expect4, 1e-15);
	}
	/* flush_every 1: every clock flushes. */
	struct sig_params p = params(SIG_CONSTANT, 0.5);
	p.flush_every = 1;
	struct sigfilter f;
	sigfilter_init(&f, &p);
	for (int64_t t = 0; t < 5; t++)
		CU_ASSERT_EQUAL(sigfilter_threshold(&f, t, 1, 1), 0);
	/* With threshold 0 any nonzero accumulator is sent. */
	CU_ASSERT_TRUE(sigfilter_significant(1e-9, 1.0, sigfilter_threshold(&f, 0, 1, 1)));
	/* flush_every 0: never. */
	p.flush_every = 0;
	sigfilter_init(&f, &p);
	for (int64_t t = 0; t < 50; t++)
		CU_ASSERT_EQUAL(sigfilter_threshold(&f, t, 1, 1), 0.5);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "defaults and schedule names", test_defaults },
		{ "significance predicate", test_significant },
		{ "accumulate until significant, then reset", test_accumulate_reset },
		{ "constant schedule", test_constant },
		{ "sqrt schedule", test_sqrt },
		{ "learning-rate schedule", test_lr },
		{ "sqrt per epoch schedule", test_sqrt_epoch },
		{ "significance levels on hand vectors", test_count_levels },
		{ "adaptive schedule", test_adaptive },
		{ "flush every k clocks", test_flush },
		{ NULL, NULL },
	};
	testutil_suite("sigfilter", cases);
	return testutil_run();
}
