/*
 * Flow model: finish times in closed form and max-min fair shares worked out by hand, plus a
 * randomized comparison against a textbook progressive-filling solver written independently
 * here (raise every unfrozen flow's rate equally until some resource saturates).
 */
#include <math.h>

#include "sim/flow.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "tests/testutil.h"

#define MBIT 1e6

struct rec {
	sim_time_t done_at; /* when the completion callback ran, ns; -1 before */
};

static void on_done(struct sim *sim, void *arg)
{
	struct rec *r = arg;
	r->done_at = sim_now(sim);
}

static void assert_time(sim_time_t got, double want_s)
{
	CU_ASSERT(llabs(got - simtime_from_s(want_s)) <= 2);
	if (llabs(got - simtime_from_s(want_s)) > 2)
		printf("\n  finish %.9f s, expected %.9f s\n", simtime_to_s(got), want_s);
}

/* One flow: 1 MB (8 Mbit) over 100 Mb/s takes 0.08 s. */
static void test_single(void)
{
	struct sim *sim = sim_new(1);
	struct flow_model *m = flow_model_new(sim);
	int r = flow_resource_new(m, 100 * MBIT);
	struct rec a = { -1 };
	flow_start(m, &r, 1, 1e6, on_done, &a);
	sim_run(sim, SIMTIME_NEVER);
	assert_time(a.done_at, 0.08);
	CU_ASSERT_DOUBLE_EQUAL(flow_resource_bits(m, r), 8e6, 1e-3);
	flow_model_free(m);
	sim_free(sim);
}

/*
 * Shared source egress E (100 Mb/s) feeding links L1 (80) and L2 (30).
 * f2 is held to 30 by L2, so f1 gets min(80, 100 - 30) = 70. f2 (12 Mbit) ends at 0.4 s;
 * f1 (56 Mbit) has moved 28 by then and finishes the other 28 at min(80, 100) = 80:
 * 0.4 + 0.35 = 0.75 s.
 */
static void test_shared_egress(void)
{
	struct sim *sim = sim_new(1);
	struct flow_model *m = flow_model_new(sim);
	int E = flow_resource_new(m, 100 * MBIT);
	int L1 = flow_resource_new(m, 80 * MBIT);
	int L2 = flow_resource_new(m, 30 * MBIT);
	struct rec a = { -1 }, b = { -1 };
	uint32_t f1 = flow_start(m, (int[]){ E, L1 }, 2, 56e6 / 8, on_done, &a);
	uint32_t f2 = flow_start(m, (int[]){ E, L2 }, 2, 12e6 / 8, on_done, &b);
	sim_run(sim, simtime_from_s(0.1));
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f1), 70 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f2), 30 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_resource_load_bps(m, E), 100 * MBIT, 1e-6);
	sim_run(sim, SIMTIME_NEVER);
	assert_time(b.done_at, 0.4);
	assert_time(a.done_at, 0.75);
	flow_model_free(m);
	sim_free(sim);
}

/*
 * The bottleneck of f2 moves when f1 ends. X = 10 Mb/s carries f1, f2; Y = 12 carries f2, f3.
 * Until 1 s: X splits 5/5, f3 gets 12 - 5 = 7. f1 (5 Mbit) ends at 1 s; then Y limits f2:
 * 6/6. f2 (17 Mbit) has 12 left -> ends at 3 s. f3 (25 Mbit) has 7 + 12 = 19 by 3 s, then
 * the last 6 at 12 Mb/s -> 3.5 s.
 */
static void test_moving_bottleneck(void)
{
	struct sim *sim = sim_new(1);
	struct flow_model *m = flow_model_new(sim);
	int X = flow_resource_new(m, 10 * MBIT);
	int Y = flow_resource_new(m, 12 * MBIT);
	struct rec a = { -1 }, b = { -1 }, c = { -1 };
	flow_start(m, &X, 1, 5e6 / 8, on_done, &a);
	uint32_t f2 = flow_start(m, (int[]){ X, Y }, 2, 17e6 / 8, on_done, &b);
	uint32_t f3 = flow_start(m, &Y, 1, 25e6 / 8, on_done, &c);
	sim_run(sim, simtime_from_s(0.5));
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f2), 5 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f3), 7 * MBIT, 1e-6);
	sim_run(sim, simtime_from_s(2));
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f2), 6 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f3), 6 * MBIT, 1e-6);
	sim_run(sim, SIMTIME_NEVER);
	assert_time(a.done_at, 1.0);
	assert_time(b.done_at, 3.0);
	assert_time(c.done_at, 3.5);
	flow_model_free(m);
	sim_free(sim);
}

/*
 * Three levels of progressive filling. R1 = 12 carries a, b, c; R2 = 20 carries c, d;
 * R3 = 3 carries b. b is frozen at 3 first; R1's remaining 9 splits 4.5/4.5 between a and c;
 * d takes what c leaves of R2: 15.5.
 */
static void test_three_levels(void)
{
	struct sim *sim = sim_new(1);
	struct flow_model *m = flow_model_new(sim);
	int R1 = flow_resource_new(m, 12 * MBIT);
	int R2 = flow_resource_new(m, 20 * MBIT);
	int R3 = flow_resource_new(m, 3 * MBIT);
	struct rec x[4] = { { -1 }, { -1 }, { -1 }, { -1 } };
	uint32_t a = flow_start(m, &R1, 1, 1e9, on_done, &x[0]);
	uint32_t b = flow_start(m, (int[]){ R1, R3 }, 2, 1e9, on_done, &x[1]);
	uint32_t c = flow_start(m, (int[]){ R1, R2 }, 2, 1e9, on_done, &x[2]);
	uint32_t d = flow_start(m, &R2, 1, 1e9, on_done, &x[3]);
	sim_run(sim, simtime_from_s(1));
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, a), 4.5 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, b), 3 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, c), 4.5 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, d), 15.5 * MBIT, 1e-6);
	flow_model_free(m);
	sim_free(sim);
}

/*
 * A capacity change in flight: 80 Mbit over 100 Mb/s; at 0.4 s (40 Mbit moved) the capacity
 * drops to 50, so the last 40 Mbit take 0.8 s: finish at 1.2 s. A drop to 0 stalls the flow
 * until the capacity comes back.
 */
static void set_cap_half(struct sim *sim, void *arg)
{
	(void)sim;
	struct flow_model *m = arg;
	flow_resource_set_capacity(m, 0, 50 * MBIT);
}

static void set_cap_zero(struct sim *sim, void *arg)
{
	(void)sim;
	flow_resource_set_capacity(arg, 0, 0);
}

static void set_cap_back(struct sim *sim, void *arg)
{
	(void)sim;
	flow_resource_set_capacity(arg, 0, 100 * MBIT);
}

static void test_capacity_change(void)
{
	struct sim *sim = sim_new(1);
	struct flow_model *m = flow_model_new(sim);
	int r = flow_resource_new(m, 100 * MBIT);
	struct rec a = { -1 };
	flow_start(m, &r, 1, 80e6 / 8, on_done, &a);
	sim_at(sim, simtime_from_s(0.4), set_cap_half, m);
	sim_run(sim, SIMTIME_NEVER);
	assert_time(a.done_at, 1.2);

	/* Stall: 0.2 s at 100 (20 Mbit), 1 s at 0, back to 100 for the last 60: 0.2+1+0.6. */
	struct rec b = { -1 };
	flow_resource_set_capacity(m, r, 100 * MBIT);
	sim_time_t t0 = sim_now(sim);
	flow_start(m, &r, 1, 80e6 / 8, on_done, &b);
	sim_at(sim, t0 + simtime_from_s(0.2), set_cap_zero, m);
	sim_at(sim, t0 + simtime_from_s(1.2), set_cap_back, m);
	sim_run(sim, SIMTIME_NEVER);
	assert_time(b.done_at - t0, 1.8);
	flow_model_free(m);
	sim_free(sim);
}

/* Zero-byte flows complete at once; flows on a shared link split it equally. */
static void test_zero_and_equal(void)
{
	struct sim *sim = sim_new(1);
	struct flow_model *m = flow_model_new(sim);
	int r = flow_resource_new(m, 40 * MBIT);
	struct rec z = { -1 }, x[4];
	flow_start(m, &r, 1, 0, on_done, &z);
	for (int i = 0; i < 4; i++) {
		x[i].done_at = -1;
		flow_start(m, &r, 1, 10e6 / 8, on_done, &x[i]);
	}
	sim_run(sim, SIMTIME_NEVER);
	CU_ASSERT_EQUAL(z.done_at, 0);
	for (int i = 0; i < 4; i++)
		assert_time(x[i].done_at, 1.0); /* 4 x 10 Mbit over 40 Mb/s */
	CU_ASSERT_EQUAL(flow_active(m), 0);
	flow_model_free(m);
	sim_free(sim);
}

/* ---- randomized comparison against an independent solver ---- */

#define RN_RES 8
#define RN_FLOWS 24

/* Textbook progressive filling: all unfrozen flows grow together by the largest step that
 * keeps every resource within capacity; flows on a saturated resource freeze. */
static void reference_maxmin(int nres, const double *cap, int nflows, const int nr[],
                             int res[][3], const int *alive, double *rate)
{
	int frozen[RN_FLOWS] = { 0 };
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
			return;
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
}

static void test_random_vs_reference(void)
{
	struct rng rng;
	rng_init(&rng, 42, 0);
	for (int trial = 0; trial < 200; trial++) {
		struct sim *sim = sim_new(1);
		struct flow_model *m = flow_model_new(sim);
		double cap[RN_RES];
		for (int r = 0; r < RN_RES; r++) {
			cap[r] = (1 + (double)rng_below(&rng, 100)) * MBIT;
			flow_resource_new(m, cap[r]);
		}
		int nr[RN_FLOWS], res[RN_FLOWS][3], alive[RN_FLOWS];
		uint32_t id[RN_FLOWS];
		struct rec recs[RN_FLOWS];
		int nflows = 4 + (int)rng_below(&rng, RN_FLOWS - 4);
		for (int f = 0; f < nflows; f++) {
			nr[f] = 1 + (int)rng_below(&rng, 3);
			for (int k = 0; k < nr[f]; k++) {
				int r, dup;
				do {
					r = (int)rng_below(&rng, RN_RES);
					dup = 0;
					for (int j = 0; j < k; j++)
						dup |= res[f][j] == r;
				} while (dup);
				res[f][k] = r;
			}
			alive[f] = 1;
			recs[f].done_at = -1;
			id[f] = flow_start(m, res[f], nr[f], 1e12, on_done, &recs[f]);
		}
		/* Remove flows one by one (through a capacity change to force re-rating of
		 * survivors too) and compare after each step. */
		for (int step = 0; step < 4; step++) {
			sim_run(sim, sim_now(sim) + 1000);
			double want[RN_FLOWS];
			reference_maxmin(RN_RES, cap, nflows, nr, res, alive, want);
			for (int f = 0; f < nflows; f++)
				if (alive[f]) {
					double got = flow_rate_bps(m, id[f]);
					CU_ASSERT(fabs(got - want[f]) <= 1e-6 * want[f] + 1e-3);
					if (fabs(got - want[f]) > 1e-6 * want[f] + 1e-3)
						printf("\n  trial %d step %d flow %d: %g vs reference %g\n",
						       trial, step, f, got, want[f]);
				}
			int r = (int)rng_below(&rng, RN_RES);
			cap[r] = (1 + (double)rng_below(&rng, 100)) * MBIT;
			flow_resource_set_capacity(m, r, cap[r]);
		}
		flow_model_free(m);
		sim_free(sim);
	}
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "single flow closed form", test_single },
		{ "shared source egress", test_shared_egress },
		{ "bottleneck moves when a flow ends", test_moving_bottleneck },
		{ "three filling levels", test_three_levels },
		{ "capacity change in flight and stall", test_capacity_change },
		{ "zero bytes and equal split", test_zero_and_equal },
		{ "random instances vs reference solver", test_random_vs_reference },
		{ NULL, NULL },
	};
	testutil_suite("flow", cases);
	return testutil_run();
}
