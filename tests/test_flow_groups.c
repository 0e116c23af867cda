/*
 * Bottleneck groups of the flow model (sim/flow.c): flows whose rate one resource sets share
 * one pending event. Finish times worked by hand for flows joining and leaving a shared
 * bottleneck, a bottleneck moving between resources, a group emptied and formed again and a
 * capacity change in flight; then random dynamic instances whose completion times are compared
 * with an independent slow event-by-event simulation over tests/maxmin_ref.h. Every model here
 * runs with flow_model_check_always (whole-model sanity check after each recompute), and the
 * tests call flow_model_check between events too.
 *
 * The flows cross a second, wide resource (an "egress") so that their link is shared and takes
 * the general path with groups, not the processor-sharing path of a resource used alone.
 */
#include <math.h>
#include <stdio.h>

#include "lib/rng.h"
#include "sim/flow.h"
#include "sim/sim.h"
#include "tests/maxmin_ref.h"
#include "tests/testutil.h"

#define MBIT 1e6

/* A flow of a test: when its completion ran. */
struct rec {
	struct flow_model *m; /* model, checked when the completion runs */
	sim_time_t done_at;   /* ns; -1 before */
};

static void on_done(struct sim *sim, void *arg)
{
	struct rec *r = arg;
	r->done_at = sim_now(sim);
	CU_ASSERT(flow_model_check(r->m));
}

static void assert_time(sim_time_t got, double want_s)
{
	CU_ASSERT(llabs(got - simtime_from_s(want_s)) <= 2);
	if (llabs(got - simtime_from_s(want_s)) > 2)
		printf("\n  finish %.9f s, expected %.9f s\n", simtime_to_s(got), want_s);
}

static void noop(struct sim *sim, void *arg)
{
	(void)sim;
	(void)arg;
}

/* Run to time t_s seconds and leave the clock there. */
static void run_to(struct sim *sim, double t_s)
{
	sim_at(sim, simtime_from_s(t_s), noop, NULL);
	sim_run(sim, simtime_from_s(t_s));
}

static struct flow_model *new_model(struct sim *sim)
{
	struct flow_model *m = flow_model_new(sim);
	flow_model_check_always(m, 1);
	return m;
}

/* Start a flow of `mbit` megabits over the resources given. */
static uint32_t start(struct flow_model *m, struct rec *r, double mbit, int a, int b)
{
	int res[2] = { a, b };
	r->m = m;
	r->done_at = -1;
	return flow_start(m, res, b < 0 ? 1 : 2, mbit * MBIT / 8, on_done, r);
}

/*
 * Link L = 100 Mb/s behind egress E = 1 Gb/s. A (200 Mbit) starts at 0 and has L alone: 100.
 * B (200 Mbit) joins at 1 s, when A has 100 left: 50 each, A ends at 1 + 100/50 = 3 s, when B
 * has moved 100; B alone again ends at 3 + 100/100 = 4 s.
 */
static void test_join_leave(void)
{
	struct sim *sim = sim_new(1);
	struct flow_model *m = new_model(sim);
	int L = flow_resource_new(m, 100 * MBIT), E = flow_resource_new(m, 1000 * MBIT);
	struct rec a, b;
	uint32_t ia = start(m, &a, 200, L, E);
	run_to(sim, 1.0);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, ia), 100 * MBIT, 1e-6);
	uint32_t ib = start(m, &b, 200, L, E);
	run_to(sim, 2.0);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, ia), 50 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, ib), 50 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_bytes_left(m, ia), 50e6 / 8, 1e-3);
	CU_ASSERT(flow_model_check(m));
	sim_run(sim, SIMTIME_NEVER);
	assert_time(a.done_at, 3.0);
	assert_time(b.done_at, 4.0);
	CU_ASSERT_DOUBLE_EQUAL(flow_resource_bits(m, L), 400 * MBIT, 1e-3);
	flow_model_free(m);
	sim_free(sim);
}

/*
 * The bottleneck moves E -> L1 -> E -> L1. Egress E = 150 Mb/s; A crosses L1 (100) and E,
 * B crosses L2 (100) and E: E's fair share 75 < 100, both held by E. B (75 Mbit) ends at 1 s;
 * A (300 Mbit) has 225 left and is held by L1 at 100. C (37.5 Mbit, L3 = 100 and E) joins at
 * 2 s when A has 125 left: E again, 75 each; C ends at 2.5 s, A has 87.5 left and runs at 100
 * (L1) to 2.5 + 0.875 = 3.375 s.
 */
static void test_moving_bottleneck(void)
{
	struct sim *sim = sim_new(1);
	struct flow_model *m = new_model(sim);
	int E = flow_resource_new(m, 150 * MBIT);
	int L1 = flow_resource_new(m, 100 * MBIT), L2 = flow_resource_new(m, 100 * MBIT);
	int L3 = flow_resource_new(m, 100 * MBIT);
	struct rec a, b, c;
	uint32_t ia = start(m, &a, 300, L1, E);
	start(m, &b, 75, L2, E);
	run_to(sim, 0.5);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, ia), 75 * MBIT, 1e-6);
	run_to(sim, 1.5);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, ia), 100 * MBIT, 1e-6);
	run_to(sim, 2.0);
	start(m, &c, 37.5, L3, E);
	run_to(sim, 2.25);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, ia), 75 * MBIT, 1e-6);
	sim_run(sim, SIMTIME_NEVER);
	assert_time(b.done_at, 1.0);
	assert_time(c.done_at, 2.5);
	assert_time(a.done_at, 3.375);
	flow_model_free(m);
	sim_free(sim);
}

/*
 * A group emptied and formed again. L = 100 Mb/s behind E = 1 Gb/s: A (100 Mbit) alone ends
 * at 1 s and leaves L's group empty. At 2 s B and C (50 Mbit each) start together: 50 each,
 * both end at 3 s. D (100 Mbit) joins at 2.5 s when B and C have 25 left: 100/3 each; B and C
 * end at 2.5 + 25 / (100/3) = 3.25 s, when D has 75 left, which it moves alone by 4 s.
 */
static void test_group_reformed(void)
{
	struct sim *sim = sim_new(1);
	struct flow_model *m = new_model(sim);
	int L = flow_resource_new(m, 100 * MBIT), E = flow_resource_new(m, 1000 * MBIT);
	struct rec a, b, c, d;
	start(m, &a, 100, L, E);
	run_to(sim, 2.0);
	assert_time(a.done_at, 1.0);
	CU_ASSERT_EQUAL(flow_active(m), 0);
	CU_ASSERT(flow_model_check(m));
	start(m, &b, 50, L, E);
	start(m, &c, 50, L, E);
	run_to(sim, 2.5);
	start(m, &d, 100, L, E);
	sim_run(sim, SIMTIME_NEVER);
	assert_time(b.done_at, 3.25);
	assert_time(c.done_at, 3.25);
	assert_time(d.done_at, 4.0);
	flow_model_free(m);
	sim_free(sim);
}

static void cap_to_50(struct sim *sim, void *arg)
{
	(void)sim;
	flow_resource_set_capacity(arg, 0, 50 * MBIT);
}

static void cap_to_200(struct sim *sim, void *arg)
{
	(void)sim;
	flow_resource_set_capacity(arg, 0, 200 * MBIT);
}

/*
 * A trace-like capacity change in flight. L (resource 0) = 100 Mb/s behind E = 1 Gb/s; A and
 * B, 150 Mbit each, get 50: 100 left each at 1 s, when L drops to 50 (25 each): 50 left each
 * at 3 s, when L rises to 200 (100 each): both end at 3.5 s.
 */
static void test_capacity_change(void)
{
	struct sim *sim = sim_new(1);
	struct flow_model *m = new_model(sim);
	int L = flow_resource_new(m, 100 * MBIT), E = flow_resource_new(m, 1000 * MBIT);
	CU_ASSERT_EQUAL(L, 0);
	struct rec a, b;
	start(m, &a, 150, L, E);
	uint32_t ib = start(m, &b, 150, L, E);
	sim_at(sim, simtime_from_s(1.0), cap_to_50, m);
	sim_at(sim, simtime_from_s(3.0), cap_to_200, m);
	run_to(sim, 2.0);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(m, ib), 25 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(flow_bytes_left(m, ib), 75e6 / 8, 1e-3);
	sim_run(sim, SIMTIME_NEVER);
	assert_time(a.done_at, 3.5);
	assert_time(b.done_at, 3.5);
	flow_model_free(m);
	sim_free(sim);
}

/* ---- random dynamic instances vs an independent event-by-event simulation ---- */

#define RD_RES 8     /* resources */
#define RD_FLOWS 60  /* flows per trial */
#define RD_CAPS 6    /* capacity changes per trial */

/* One scheduled capacity change. */
struct capchg {
	struct flow_model *m; /* model */
	int res;              /* resource */
	double t_s;           /* when, s */
	double bps;           /* new capacity, bits/s */
};

static void do_capchg(struct sim *sim, void *arg)
{
	struct capchg *c = arg;
	(void)sim;
	flow_resource_set_capacity(c->m, c->res, c->bps);
}

/* A flow of the random instance, with its start event. */
struct rflow {
	struct flow_model *m; /* model */
	struct rec rec;       /* completion */
	double t_s;           /* start time, s */
	double bits;          /* size, bits */
	int nr;               /* resources */
	int res[3];           /* resource ids */
};

static void do_start(struct sim *sim, void *arg)
{
	struct rflow *f = arg;
	(void)sim;
	f->rec.m = f->m;
	flow_start(f->m, f->res, f->nr, f->bits / 8, on_done, &f->rec);
}

/*
 * The reference: from event to event (a start, a capacity change, the earliest finish),
 * rates from reference_maxmin, bits moved in doubles. Fills done_s[f].
 */
static void reference_run(const struct rflow *fl, int nflows, const double *cap0,
			  const struct capchg *cc, int ncc, double *done_s)
{
	double cap[RD_RES], left[RD_FLOWS], rate[RD_FLOWS];
	int alive[RD_FLOWS], nr[RD_FLOWS], res[RD_FLOWS][3], started[RD_FLOWS] = { 0 };
	int applied[RD_CAPS] = { 0 };
	for (int r = 0; r < RD_RES; r++)
		cap[r] = cap0[r];
	for (int f = 0; f < nflows; f++) {
		left[f] = fl[f].bits;
		alive[f] = 0;
		nr[f] = fl[f].nr;
		for (int k = 0; k < nr[f]; k++)
			res[f][k] = fl[f].res[k];
		done_s[f] = -1;
	}
	double t = 0;
	for (;;) {
		for (int i = 0; i < ncc; i++)
			if (!applied[i] && cc[i].t_s <= t) {
				applied[i] = 1;
				cap[cc[i].res] = cc[i].bps;
			}
		for (int f = 0; f < nflows; f++)
			if (!started[f] && fl[f].t_s <= t)
				started[f] = alive[f] = 1;
		reference_maxmin(RD_RES, cap, nflows, nr, res, alive, rate);
		double next = INFINITY;
		for (int f = 0; f < nflows; f++) {
			if (!started[f] && fl[f].t_s < next)
				next = fl[f].t_s;
			if (alive[f] && rate[f] > 0 && t + left[f] / rate[f] < next)
				next = t + left[f] / rate[f];
		}
		for (int i = 0; i < ncc; i++)
			if (!applied[i] && cc[i].t_s < next)
				next = cc[i].t_s;
		if (next == INFINITY)
			return;
		for (int f = 0; f < nflows; f++) {
			if (!alive[f])
				continue;
			left[f] -= rate[f] * (next - t);
			if (left[f] <= 1e-6 * fl[f].bits) {
				alive[f] = 0;
				done_s[f] = next;
			}
		}
		t = next;
	}
}

static void test_random_vs_reference_sim(void)
{
	struct rng rng;
	rng_init(&rng, 2024, 7);
	int worst_trial = -1;
	double worst = 0;
	for (int trial = 0; trial < 40; trial++) {
		struct sim *sim = sim_new(1);
		struct flow_model *m = new_model(sim);
		double cap[RD_RES];
		for (int r = 0; r < RD_RES; r++) {
			cap[r] = (10 + (double)rng_below(&rng, 91)) * MBIT;
			flow_resource_new(m, cap[r]);
		}
		static struct rflow fl[RD_FLOWS];
		for (int f = 0; f < RD_FLOWS; f++) {
			fl[f].m = m;
			fl[f].rec.done_at = -1;
			/* Starts on a 10 ms grid over 2 s: many flows start together. */
			fl[f].t_s = 0.01 * (double)rng_below(&rng, 200);
			fl[f].bits = (1 + (double)rng_below(&rng, 40)) * MBIT;
			fl[f].nr = 1 + (int)rng_below(&rng, 3);
			for (int k = 0; k < fl[f].nr; k++) {
				int r, dup;
				do {
					r = (int)rng_below(&rng, RD_RES);
					dup = 0;
					for (int j = 0; j < k; j++)
						dup |= fl[f].res[j] == r;
				} while (dup);
				fl[f].res[k] = r;
			}
			sim_at(sim, simtime_from_s(fl[f].t_s), do_start, &fl[f]);
		}
		static struct capchg cc[RD_CAPS];
		for (int i = 0; i < RD_CAPS; i++) {
			cc[i] = (struct capchg){ m, (int)rng_below(&rng, RD_RES),
						 0.001 * (double)(1 + rng_below(&rng, 3000)),
						 (10 + (double)rng_below(&rng, 91)) * MBIT };
			sim_at(sim, simtime_from_s(cc[i].t_s), do_capchg, &cc[i]);
		}
		sim_run(sim, SIMTIME_NEVER);
		CU_ASSERT_EQUAL(flow_active(m), 0);
		CU_ASSERT(flow_model_check(m));
		double want[RD_FLOWS];
		reference_run(fl, RD_FLOWS, cap, cc, RD_CAPS, want);
		for (int f = 0; f < RD_FLOWS; f++) {
			double got = simtime_to_s(fl[f].rec.done_at);
			double err = fabs(got - want[f]);
			/* Rounding to the ns at each of at most ~130 events, plus the reference's
			 * own floating-point error: a microsecond is far above both. */
			CU_ASSERT(want[f] > 0 && err <= 1e-6);
			if (err > worst) {
				worst = err;
				worst_trial = trial;
			}
		}
		flow_model_free(m);
		sim_free(sim);
	}
	if (worst > 1e-6)
		printf("\n  worst finish-time error %.3g s (trial %d)\n", worst, worst_trial);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "two flows join and leave one bottleneck", test_join_leave },
		{ "bottleneck moves between resources", test_moving_bottleneck },
		{ "group emptied and formed again", test_group_reformed },
		{ "capacity change in flight", test_capacity_change },
		{ "random dynamic instances vs reference simulation", test_random_vs_reference_sim },
		{ NULL, NULL },
	};
	testutil_suite("flow_groups", cases);
	return testutil_run();
}
