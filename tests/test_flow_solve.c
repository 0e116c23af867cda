/*
 * The incremental recompute of the flow model (sim/flow.c) against a full re-solve, bit for
 * bit. Two models run on one simulator with the same resources, the same flows started at the
 * same instants and the same capacity changes: model A as in production (a recompute solves
 * only the flows coupled to the change through tight resources), model B with
 * flow_model_solve_all (every recompute runs progressive filling over every active flow). At
 * probes spread over the run, and just after every start, every flow in flight in both models
 * must have the same rate to the last bit; at the end every flow must have completed at the
 * same nanosecond in both. Any shortcut in the recompute (a smaller component, a fast path
 * that derives a rate without solving) must keep this test passing.
 *
 * The instances are random (seeded): regions with an egress, an ingress and a LAN, directed
 * links between them; WAN flows cross link + egress + ingress (sim/net.c's route), LAN flows
 * their LAN alone (the processor-sharing path), a few flows a link alone (processor sharing
 * until a WAN flow arrives and converts it) or a LAN and the egress (converting the LAN).
 * Sizes and start instants are drawn partly from small sets so that many flows tie (equal
 * rates, equal finish times at one nanosecond); egress and ingress capacities range from
 * scarce (they bind, coupling links) to ample (slack, so links decouple).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rng.h"
#include "lib/xmalloc.h"
#include "sim/flow.h"
#include "sim/sim.h"
#include "tests/testutil.h"

/* Most regions of an instance. */
#define MAXR 5

struct inst;

/* One flow of an instance, started in both models. */
struct tflow {
	struct inst *in;            /* its instance */
	int res[3];                 /* resource indices (same in both models) */
	int nres;                   /* resources crossed */
	double bytes;               /* size */
	sim_time_t start;           /* start time, ns */
	uint32_t id[2];             /* flow id in model A, B */
	int live[2];                /* 1 while in flight in model A, B */
	sim_time_t done_at[2];      /* completion time in A, B, ns; -1 before */
};

/* The completion callback's argument: which flow, which model. */
struct tdone {
	struct tflow *f; /* the flow */
	int which;       /* 0 = A, 1 = B */
};

/* A capacity change, applied to both models. */
struct tcap {
	struct inst *in; /* its instance */
	int res;         /* resource */
	double cap_bps;  /* new capacity */
};

/* An instance being run. */
struct inst {
	struct sim *sim;           /* the one simulator */
	struct flow_model *m[2];   /* A (incremental), B (solve all) */
	struct tflow *fl;          /* flows */
	struct tdone *dn;          /* 2 per flow */
	int nfl;                   /* flows */
	long compared;             /* rate pairs compared */
	long mismatches;           /* rate pairs that differed */
	long probes;               /* probes run */
};

static void on_done(struct sim *sim, void *arg)
{
	struct tdone *d = arg;
	d->f->done_at[d->which] = sim_now(sim);
	d->f->live[d->which] = 0;
}

/* Compare the rates of every flow in flight in both models. */
static void probe(struct sim *sim, void *arg)
{
	struct inst *in = arg;
	(void)sim;
	in->probes++;
	for (int k = 0; k < in->nfl; k++) {
		struct tflow *f = &in->fl[k];
		if (!f->live[0] || !f->live[1])
			continue;
		double a = flow_rate_bps(in->m[0], f->id[0]);
		double b = flow_rate_bps(in->m[1], f->id[1]);
		in->compared++;
		if (memcmp(&a, &b, sizeof a) != 0) {
			if (in->mismatches < 5)
				printf("\n  flow %d at %lld ns: rate %a (incremental) vs %a (full)\n", k,
				       (long long)sim_now(in->sim), a, b);
			in->mismatches++;
		}
	}
}

static void on_start(struct sim *sim, void *arg)
{
	struct tflow *f = arg;
	struct inst *in = f->in;
	for (int w = 0; w < 2; w++) {
		struct tdone *d = &in->dn[2 * (f - in->fl) + w];
		*d = (struct tdone){ f, w };
		f->live[w] = 1;
		f->id[w] = flow_start(in->m[w], f->res, f->nres, f->bytes, on_done, d);
	}
	/* After this instant's recompute (it was scheduled by the first start, so it runs
	 * before anything scheduled now at a later time). */
	sim_after(sim, 1, probe, in);
}

static void on_cap(struct sim *sim, void *arg)
{
	struct tcap *c = arg;
	(void)sim;
	for (int w = 0; w < 2; w++)
		flow_resource_set_capacity(c->in->m[w], c->res, c->cap_bps);
}

/* A capacity in bits/s, log-uniform in [lo, hi]. */
static double draw_cap(struct rng *r, double lo, double hi)
{
	return lo * pow(hi / lo, rng_uniform(r));
}

/*
 * Run one random instance; returns the number of rate pairs compared. Mismatches and
 * completion differences are asserted.
 */
static long run_instance(uint64_t seed, int nflows)
{
	struct rng r;
	rng_init(&r, seed, 7);
	struct inst in = { 0 };
	in.sim = sim_new(seed);
	for (int w = 0; w < 2; w++) {
		in.m[w] = flow_model_new(in.sim);
		flow_model_check_always(in.m[w], 1);
	}
	flow_model_solve_all(in.m[1], 1);
	int nr = 2 + (int)rng_below(&r, MAXR - 1);
	/* Egress/ingress scarce or ample per instance and region. */
	int eg[MAXR], ing[MAXR], lan[MAXR], link[MAXR][MAXR];
	double scarce = rng_uniform(&r);
	for (int i = 0; i < nr; i++) {
		double lo = rng_uniform(&r) < scarce ? 20e6 : 2e9;
		eg[i] = ing[i] = lan[i] = -1;
		double ce = draw_cap(&r, lo, 4 * lo), ci = draw_cap(&r, lo, 4 * lo);
		double cl = draw_cap(&r, 100e6, 1e9);
		for (int w = 0; w < 2; w++) {
			eg[i] = flow_resource_new(in.m[w], ce);
			ing[i] = flow_resource_new(in.m[w], ci);
			lan[i] = flow_resource_new(in.m[w], cl);
		}
	}
	for (int i = 0; i < nr; i++)
		for (int j = 0; j < nr; j++) {
			if (i == j)
				continue;
			/* A few equal capacities: equal levels on different resources. */
			double c = rng_below(&r, 3) == 0 ? 50e6 : draw_cap(&r, 5e6, 300e6);
			for (int w = 0; w < 2; w++)
				link[i][j] = flow_resource_new(in.m[w], c);
		}
	in.nfl = nflows;
	in.fl = xcalloc((size_t)nflows, sizeof *in.fl);
	in.dn = xcalloc(2 * (size_t)nflows, sizeof *in.dn);
	/* Start instants: a few shared ones (bursts), the rest uniform over 20 s. */
	sim_time_t burst[4];
	for (int b = 0; b < 4; b++)
		burst[b] = (sim_time_t)rng_below(&r, 20000000000ULL);
	static const double sizes[3] = { 1e5, 1e6, 4e6 };
	for (int k = 0; k < nflows; k++) {
		struct tflow *f = &in.fl[k];
		f->in = &in;
		f->done_at[0] = f->done_at[1] = -1;
		int i = (int)rng_below(&r, (uint64_t)nr);
		int j = (int)rng_below(&r, (uint64_t)nr - 1);
		if (j >= i)
			j++;
		uint64_t kind = rng_below(&r, 20);
		if (kind < 12) { /* WAN, as sim/net.c routes it */
			f->res[0] = link[i][j];
			f->res[1] = eg[i];
			f->res[2] = ing[j];
			f->nres = 3;
		} else if (kind < 17) { /* LAN */
			f->res[0] = lan[i];
			f->nres = 1;
		} else if (kind < 19) { /* a link alone */
			f->res[0] = link[i][j];
			f->nres = 1;
		} else { /* LAN and egress: the LAN stops being processor sharing */
			f->res[0] = lan[i];
			f->res[1] = eg[i];
			f->nres = 2;
		}
		f->bytes = rng_below(&r, 2) ? sizes[rng_below(&r, 3)]
					    : 1e3 + rng_uniform(&r) * 5e6;
		f->start = rng_below(&r, 3) == 0 ? burst[rng_below(&r, 4)]
						 : (sim_time_t)rng_below(&r, 20000000000ULL);
		sim_at(in.sim, f->start, on_start, f);
	}
	/* Capacity changes of random links and egresses, and probes between events. */
	int ncap = 8;
	struct tcap *caps = xcalloc((size_t)ncap, sizeof *caps);
	for (int c = 0; c < ncap; c++) {
		int i = (int)rng_below(&r, (uint64_t)nr);
		int j = (int)rng_below(&r, (uint64_t)nr - 1);
		if (j >= i)
			j++;
		caps[c] = (struct tcap){ &in, c % 2 ? eg[i] : link[i][j],
					 draw_cap(&r, 5e6, 300e6) };
		sim_at(in.sim, (sim_time_t)rng_below(&r, 30000000000ULL), on_cap, &caps[c]);
	}
	for (int p = 0; p < 200; p++)
		sim_at(in.sim, (sim_time_t)rng_below(&r, 60000000000ULL), probe, &in);
	sim_run(in.sim, SIMTIME_NEVER);
	CU_ASSERT_EQUAL(in.mismatches, 0);
	long diff = 0;
	for (int k = 0; k < nflows; k++) {
		const struct tflow *f = &in.fl[k];
		if (f->done_at[0] < 0 || f->done_at[0] != f->done_at[1]) {
			if (diff++ < 5)
				printf("\n  seed %llu flow %d: done at %lld ns (incremental) vs %lld (full)\n",
				       (unsigned long long)seed, k, (long long)f->done_at[0],
				       (long long)f->done_at[1]);
		}
	}
	CU_ASSERT_EQUAL(diff, 0);
	CU_ASSERT(in.probes >= 200);
	for (int w = 0; w < 2; w++) {
		CU_ASSERT(flow_model_check(in.m[w]));
		CU_ASSERT_EQUAL(flow_active(in.m[w]), 0);
		flow_model_free(in.m[w]);
	}
	sim_free(in.sim);
	free(caps);
	free(in.fl);
	free(in.dn);
	return in.compared;
}

static void test_small_instances(void)
{
	long compared = 0;
	for (uint64_t seed = 1; seed <= 60; seed++)
		compared += run_instance(seed, 40);
	/* The probes did see flows in flight (the comparison is not vacuous). */
	CU_ASSERT(compared > 1000);
	printf(" [%ld rate pairs] ", compared);
}

static void test_large_instances(void)
{
	long compared = 0;
	for (uint64_t seed = 101; seed <= 106; seed++)
		compared += run_instance(seed, 400);
	CU_ASSERT(compared > 10000);
	printf(" [%ld rate pairs] ", compared);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "incremental = full solve, 60 small random instances", test_small_instances },
		{ "incremental = full solve, 6 random instances of 400 flows", test_large_instances },
		{ NULL, NULL },
	};
	testutil_suite("flow_solve", cases);
	return testutil_run();
}
