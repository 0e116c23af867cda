/*
 * Flow model: finish times in closed form and max-min fair shares worked out by hand, plus a
 * randomized comparison against a textbook progressive-filling solver written independently
 * here (raise every unfrozen flow's rate equally until some resource saturates).
 */
#include <math.h>

#include "sim/flow.h"
#include "lib/rng.h"
#include "sim/sim.h"
#include "tests/maxmin_ref.h"
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
	flow_model_check_always(m, 1);
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
	flow_model_check_always(m, 1);
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
	flow_model_check_always(m, 1);
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
	flow_model_check_always(m, 1);
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
	flow_model_check_always(m, 1);
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
	flow_model_check_always(m, 1);
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

/* reference_maxmin: tests/maxmin_ref.h (shared with test_flow_groups). */

static void test_random_vs_reference(void)
{
	struct rng rng;
	rng_init(&rng, 42, 0);
	for (int trial = 0; trial < 200; trial++) {
		struct sim *sim = sim_new(1);
		struct flow_model *m = flow_model_new(sim);
		flow_model_check_always(m, 1);
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

/* ---- instances shaped like the all-to-all benchmark: links behind shared egress/ingress ---- */

static void noop(struct sim *sim, void *arg)
{
	(void)sim;
	(void)arg;
}

/* Run to time t (ns) and leave the clock there (sim_run alone stops at the last event). */
static void run_to(struct sim *sim, sim_time_t t)
{
	sim_at(sim, t, noop, NULL);
	sim_run(sim, t);
}

/*
 * A slack egress must not couple the links behind it, and must couple them as soon as it
 * saturates. E = 100 Mb/s feeds L1 = 60 (f1) and L2 = 30 (f2): 60 + 30 < 100, E is slack.
 * f3 arrives on L3 = 50 through E: alone it would take 50, 140 in all. Max-min: E's fair share
 * 100/3 exceeds f2's 30, so f2 stays at 30 and f1, f3 split the other 70: 35 each (f1 drops
 * although nothing on its own link changed). When f3 leaves, f1 returns to 60.
 */
static void test_egress_saturates(void)
{
	struct sim *sim = sim_new(1);
	struct flow_model *m = flow_model_new(sim);
	flow_model_check_always(m, 1);
	int E = flow_resource_new(m, 100 * MBIT);
	int L1 = flow_resource_new(m, 60 * MBIT);
	int L2 = flow_resource_new(m, 30 * MBIT);
	int L3 = flow_resource_new(m, 50 * MBIT);
	struct rec x[3] = { { -1 }, { -1 }, { -1 } };
	uint32_t f1 = flow_start(m, (int[]){ E, L1 }, 2, 1e9, on_done, &x[0]);
	uint32_t f2 = flow_start(m, (int[]){ L2, E }, 2, 1e9, on_done, &x[1]);
	run_to(sim, simtime_from_s(1));
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f1), 60 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f2), 30 * MBIT, 1e-6);
	/* f3: 35 Mbit at 35 Mb/s: from 1 s to 2 s. */
	uint32_t f3 = flow_start(m, (int[]){ L3, E }, 2, 35e6 / 8, on_done, &x[2]);
	run_to(sim, simtime_from_s(1.5));
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f1), 35 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f2), 30 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f3), 35 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_resource_load_bps(m, E), 100 * MBIT, 1e-6);
	run_to(sim, simtime_from_s(2.5));
	assert_time(x[2].done_at, 2.0);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f1), 60 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, f2), 30 * MBIT, 1e-6);
	flow_model_free(m);
	sim_free(sim);
}

/*
 * k flows per link behind a slack egress: E = 1000 carries L1 = 90 (3 flows) and L2 = 40
 * (4 flows): 30 and 10 each. A 4th flow on L1 makes it 22.5 each and leaves L2's at 10; when
 * L2's flows (10 Mbit each, started at 0) end at 1 s, L1's are unaffected.
 */
static void test_flows_per_link(void)
{
	struct sim *sim = sim_new(1);
	struct flow_model *m = flow_model_new(sim);
	flow_model_check_always(m, 1);
	int E = flow_resource_new(m, 1000 * MBIT);
	int L1 = flow_resource_new(m, 90 * MBIT);
	int L2 = flow_resource_new(m, 40 * MBIT);
	struct rec x[8];
	uint32_t id[8];
	for (int i = 0; i < 8; i++)
		x[i].done_at = -1;
	for (int i = 0; i < 3; i++)
		id[i] = flow_start(m, (int[]){ E, L1 }, 2, 1e9, on_done, &x[i]);
	for (int i = 3; i < 7; i++)
		id[i] = flow_start(m, (int[]){ L2, E }, 2, 10e6 / 8, on_done, &x[i]);
	run_to(sim, simtime_from_s(0.25));
	for (int i = 0; i < 3; i++)
		CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, id[i]), 30 * MBIT, 1e-6);
	for (int i = 3; i < 7; i++)
		CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, id[i]), 10 * MBIT, 1e-6);
	id[7] = flow_start(m, (int[]){ E, L1 }, 2, 1e9, on_done, &x[7]);
	run_to(sim, simtime_from_s(0.5));
	for (int i = 0; i < 8; i++)
		if (i < 3 || i == 7)
			CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, id[i]), 22.5 * MBIT, 1e-6);
	for (int i = 3; i < 7; i++)
		CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, id[i]), 10 * MBIT, 1e-6);
	run_to(sim, simtime_from_s(1.5));
	for (int i = 3; i < 7; i++)
		assert_time(x[i].done_at, 1.0);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, id[0]), 22.5 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_resource_load_bps(m, E), 90 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_resource_load_bps(m, L2), 0, 1e-9);
	flow_model_free(m);
	sim_free(sim);
}

#define BN_REG 4                           /* regions */
#define BN_RES (BN_REG * BN_REG + 2 * BN_REG) /* links (diagonal unused), egress, ingress */
#define BN_FLOWS 400                       /* flow slots per trial */

/*
 * Independent oracle: the bottleneck characterisation of max-min fairness (Bertsekas and
 * Gallager): the rates are feasible and every flow crosses a saturated resource on which no
 * flow is faster. Returns the number of violations (each printed).
 */
static int check_bottlenecks(int nres, const double *cap, int nflows, const int nr[],
                             int res[][3], const int *alive, const double *rate)
{
	double load[BN_RES] = { 0 }, top[BN_RES] = { 0 };
	int bad = 0;
	for (int f = 0; f < nflows; f++)
		for (int k = 0; alive[f] && k < nr[f]; k++) {
			load[res[f][k]] += rate[f];
			if (rate[f] > top[res[f][k]])
				top[res[f][k]] = rate[f];
		}
	for (int r = 0; r < nres; r++)
		if (load[r] > cap[r] * (1 + 1e-9) + 1e-3) {
			printf("\n  resource %d overloaded: %.9g > %.9g\n", r, load[r], cap[r]);
			bad++;
		}
	for (int f = 0; f < nflows; f++) {
		if (!alive[f])
			continue;
		int ok = 0;
		for (int k = 0; k < nr[f]; k++) {
			int r = res[f][k];
			ok |= load[r] >= cap[r] * (1 - 1e-9) - 1e-3 && rate[f] >= top[r] * (1 - 1e-9);
		}
		if (!ok) {
			printf("\n  flow %d (rate %.9g) has no bottleneck\n", f, rate[f]);
			bad++;
		}
	}
	return bad;
}

/* A flow of the benchmark-shaped test. */
struct bn_flow {
	struct rec rec; /* completion record */
	uint32_t id;    /* flow id while active */
	int started;    /* 1 once started */
};

/*
 * Random dynamic instances shaped like the benchmark: BN_REG regions; a flow s -> d crosses
 * link(s,d), egress(s), ingress(d); bursts of up to 12 flows on one pair start together; flows
 * end by themselves (random sizes); egress/ingress capacities are drawn around the sum of the
 * links behind them so that they saturate and relax as flows come and go; now and then a
 * capacity changes (sometimes to 0). After every step all rates are checked with the
 * bottleneck oracle, and against the reference solver when few enough flows are active.
 */
static void test_random_benchmark_shape(void)
{
	struct rng rng;
	rng_init(&rng, 7, 1);
	int checks = 0, ref_checks = 0, failures = 0;
	for (int trial = 0; trial < 150 && failures < 5; trial++) {
		struct sim *sim = sim_new(1);
		struct flow_model *m = flow_model_new(sim);
		flow_model_check_always(m, 1);
		double cap[BN_RES];
		for (int r = 0; r < BN_REG * BN_REG; r++)
			cap[r] = (1 + (double)rng_below(&rng, 100)) * MBIT;
		for (int s = 0; s < BN_REG; s++) {
			double out = 0, in = 0;
			for (int d = 0; d < BN_REG; d++)
				if (d != s) {
					out += cap[s * BN_REG + d];
					in += cap[d * BN_REG + s];
				}
			/* 0.3x .. 1.3x the links behind it, whole Mb/s: ties happen. */
			cap[BN_REG * BN_REG + s] = round(out / MBIT * (0.3 + rng_uniform(&rng))) * MBIT;
			cap[BN_REG * BN_REG + BN_REG + s] = round(in / MBIT * (0.3 + rng_uniform(&rng))) * MBIT;
		}
		for (int r = 0; r < BN_RES; r++)
			flow_resource_new(m, cap[r]);
		static struct bn_flow fl[BN_FLOWS];
		static int nr[BN_FLOWS], res[BN_FLOWS][3], alive[BN_FLOWS];
		int nflows = 0;
		for (int step = 0; step < 60 && failures < 5; step++) {
			/* Arrivals: a burst on one pair, or a few on random pairs. */
			int burst = rng_below(&rng, 3) == 0;
			int n = 1 + (int)rng_below(&rng, burst ? 12 : 4);
			int s0 = (int)rng_below(&rng, BN_REG);
			int d0 = (s0 + 1 + (int)rng_below(&rng, BN_REG - 1)) % BN_REG;
			for (int i = 0; i < n && nflows < BN_FLOWS; i++) {
				int s = s0, d = d0;
				if (!burst) {
					s = (int)rng_below(&rng, BN_REG);
					d = (s + 1 + (int)rng_below(&rng, BN_REG - 1)) % BN_REG;
				}
				int f = nflows++;
				nr[f] = 3;
				res[f][0] = s * BN_REG + d;
				res[f][1] = BN_REG * BN_REG + s;
				res[f][2] = BN_REG * BN_REG + BN_REG + d;
				fl[f].rec.done_at = -1;
				fl[f].started = 1;
				double bytes = (1 + (double)rng_below(&rng, 40)) * 1e6 / 8;
				fl[f].id = flow_start(m, res[f], 3, bytes, on_done, &fl[f].rec);
			}
			if (rng_below(&rng, 6) == 0) {
				int r = (int)rng_below(&rng, BN_RES);
				double c = rng_below(&rng, 8) == 0 ? 0 : cap[r] * (0.5 + rng_uniform(&rng));
				cap[r] = round(c / MBIT) * MBIT;
				flow_resource_set_capacity(m, r, cap[r]);
			}
			/* Settle this instant, check, then let time run. */
			sim_run(sim, sim_now(sim));
			double rate[BN_FLOWS];
			int nalive = 0;
			for (int f = 0; f < nflows; f++) {
				alive[f] = fl[f].rec.done_at < 0;
				rate[f] = alive[f] ? flow_rate_bps(m, fl[f].id) : 0;
				nalive += alive[f];
			}
			int bad = check_bottlenecks(BN_RES, cap, nflows, nr, res, alive, rate);
			checks++;
			if (nalive <= RN_FLOWS) {
				/* The reference solver, on the active flows packed. */
				int pnr[RN_FLOWS], pres[RN_FLOWS][3], palive[RN_FLOWS], map[RN_FLOWS];
				double want[RN_FLOWS];
				int np = 0;
				for (int f = 0; f < nflows; f++)
					if (alive[f]) {
						map[np] = f;
						pnr[np] = 3;
						for (int k = 0; k < 3; k++)
							pres[np][k] = res[f][k];
						palive[np++] = 1;
					}
				reference_maxmin(BN_RES, cap, np, pnr, pres, palive, want);
				for (int i = 0; i < np; i++)
					if (fabs(rate[map[i]] - want[i]) > 1e-6 * want[i] + 1e-3) {
						printf("\n  flow %d: %.9g vs reference %.9g\n", map[i],
						       rate[map[i]], want[i]);
						bad++;
					}
				ref_checks++;
			}
			CU_ASSERT_EQUAL(bad, 0);
			if (bad)
				printf("  (trial %d step %d, %d active)\n", trial, step, nalive);
			failures += bad != 0;
			run_to(sim, sim_now(sim) + (sim_time_t)rng_below(&rng, 400000000));
		}
		/* Every flow ends (links at capacity 0 come back first). */
		for (int r = 0; r < BN_RES; r++)
			if (cap[r] == 0)
				flow_resource_set_capacity(m, r, MBIT);
		sim_run(sim, SIMTIME_NEVER);
		CU_ASSERT_EQUAL(flow_active(m), 0);
		flow_model_free(m);
		sim_free(sim);
	}
	/* The instances must really exercise both oracles. */
	CU_ASSERT(checks >= 9000);
	CU_ASSERT(ref_checks >= 1000);
}

/*
 * General random dynamic instances: 1..3 random resources per flow out of 10, arrivals and
 * departures over time, capacity changes; checked with the bottleneck oracle.
 */
static void test_random_dynamic(void)
{
	struct rng rng;
	rng_init(&rng, 11, 2);
	int failures = 0;
	for (int trial = 0; trial < 150 && failures < 5; trial++) {
		struct sim *sim = sim_new(1);
		struct flow_model *m = flow_model_new(sim);
		flow_model_check_always(m, 1);
		enum { NRES = 10 };
		double cap[BN_RES];
		for (int r = 0; r < NRES; r++) {
			cap[r] = (1 + (double)rng_below(&rng, 50)) * MBIT;
			flow_resource_new(m, cap[r]);
		}
		static struct bn_flow fl[BN_FLOWS];
		static int nr[BN_FLOWS], res[BN_FLOWS][3], alive[BN_FLOWS];
		int nflows = 0;
		for (int step = 0; step < 60 && failures < 5; step++) {
			int n = (int)rng_below(&rng, 5);
			for (int i = 0; i < n && nflows < BN_FLOWS; i++) {
				int f = nflows++;
				nr[f] = 1 + (int)rng_below(&rng, 3);
				for (int k = 0; k < nr[f]; k++) {
					int r, dup;
					do {
						r = (int)rng_below(&rng, NRES);
						dup = 0;
						for (int j = 0; j < k; j++)
							dup |= res[f][j] == r;
					} while (dup);
					res[f][k] = r;
				}
				fl[f].rec.done_at = -1;
				double bytes = (1 + (double)rng_below(&rng, 20)) * 1e6 / 8;
				fl[f].id = flow_start(m, res[f], nr[f], bytes, on_done, &fl[f].rec);
			}
			if (rng_below(&rng, 4) == 0) {
				int r = (int)rng_below(&rng, NRES);
				cap[r] = (1 + (double)rng_below(&rng, 50)) * MBIT;
				flow_resource_set_capacity(m, r, cap[r]);
			}
			sim_run(sim, sim_now(sim));
			double rate[BN_FLOWS];
			for (int f = 0; f < nflows; f++) {
				alive[f] = fl[f].rec.done_at < 0;
				rate[f] = alive[f] ? flow_rate_bps(m, fl[f].id) : 0;
			}
			int bad = check_bottlenecks(NRES, cap, nflows, nr, res, alive, rate);
			CU_ASSERT_EQUAL(bad, 0);
			if (bad)
				printf("  (trial %d step %d)\n", trial, step);
			failures += bad != 0;
			run_to(sim, sim_now(sim) + (sim_time_t)rng_below(&rng, 300000000));
		}
		sim_run(sim, SIMTIME_NEVER);
		CU_ASSERT_EQUAL(flow_active(m), 0);
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
		{ "slack egress saturates and relaxes", test_egress_saturates },
		{ "k flows per link behind a slack egress", test_flows_per_link },
		{ "random all-to-all shaped instances vs two oracles", test_random_benchmark_shape },
		{ "random dynamic instances vs bottleneck oracle", test_random_dynamic },
		{ NULL, NULL },
	};
	testutil_suite("flow", cases);
	return testutil_run();
}
