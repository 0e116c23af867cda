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
 * A third model C runs the recompute with its all-to-all shortcut (grp_fast) off: A and C must
 * agree on every rate, every resource's load and carried bits (incremental sums included, which
 * the full solve does not share) and every completion.
 * Sizes and start instants are drawn partly from small sets so that many flows tie (equal
 * rates, equal finish times at one nanosecond); egress and ingress capacities range from
 * scarce (they bind, coupling links) to ample (slack, so links decouple).
 *
 * A second family has the shape of a bsp all-to-all round (run_link_instance): one watched
 * link carrying up to m * m flows, each also crossing its source machine's egress and its
 * destination machine's ingress, mostly slack (the link is the one bottleneck of a large
 * group: the case an O(log n) shortcut for a whole group would serve), some scarce so that
 * flows leave the group and return. The test asserts that the case occurred (many flows on the
 * link, probes seeing its flows at more than one rate). Checked sensitive: lowering by one ulp
 * the rate of the flows of resources with >= 50 flows in the incremental model only, or
 * delaying their completion by 1 ns, fails it.
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

/* Models run side by side: A, B, C. */
#define NMOD 3

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
	uint32_t id[NMOD];          /* flow id in model A, B, C */
	int live[NMOD];             /* 1 while in flight in model A, B, C */
	sim_time_t done_at[NMOD];   /* completion time in A, B, C, ns; -1 before */
	long done_seq[NMOD];        /* its rank among the completions of A, B, C (from 1) */
};

/* The completion callback's argument: which flow, which model. */
struct tdone {
	struct tflow *f; /* the flow */
	int which;       /* 0 = A, 1 = B, 2 = C */
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
	struct flow_model *m[NMOD]; /* A (incremental), B (solve all), C (no grp_fast) */
	int nres;                  /* resources (same ids in every model) */
	struct tflow *fl;          /* flows */
	struct tdone *dn;          /* 2 per flow */
	int nfl;                   /* flows */
	long compared;             /* rate pairs compared */
	long mismatches;           /* rate pairs that differed */
	long probes;               /* probes run */
	int watch;                 /* link whose flows probes survey (-1: none; for coverage) */
	int watch_max;             /* most flows in flight on it at one probe */
	long watch_split;          /* probes at which its flows had more than one rate */
	long ndone[NMOD];          /* completions so far in A, B, C */
	int query_bits;            /* 1: probes also compare every flow's bytes left (A, B, C) */
	double *lvl_seen;          /* per flow: its watched link's top rate when it had it, or 0 */
	long leavers;              /* probes finding a flow below a level it had before */
};

static void on_done(struct sim *sim, void *arg)
{
	struct tdone *d = arg;
	d->f->done_at[d->which] = sim_now(sim);
	d->f->done_seq[d->which] = ++d->f->in->ndone[d->which];
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
	/* A against C (the same recompute without grp_fast): every rate, load and carried bits,
	 * to the bit (loads summed incrementally are not the full solve's, so not against B). */
	for (int k = 0; k < in->nfl; k++) {
		struct tflow *f = &in->fl[k];
		if (!f->live[0] || !f->live[2])
			continue;
		double a = flow_rate_bps(in->m[0], f->id[0]), c = flow_rate_bps(in->m[2], f->id[2]);
		in->compared++;
		if (memcmp(&a, &c, sizeof a) != 0)
			in->mismatches++;
	}
	for (int ri = 0; ri < in->nres; ri++) {
		double la = flow_resource_load_bps(in->m[0], ri), lc = flow_resource_load_bps(in->m[2], ri);
		double ba = flow_resource_bits(in->m[0], ri), bc = flow_resource_bits(in->m[2], ri);
		in->compared++;
		if (memcmp(&la, &lc, sizeof la) != 0 || memcmp(&ba, &bc, sizeof ba) != 0) {
			if (in->mismatches < 5)
				printf("\n  resource %d at %lld ns: load %a, bits %a (A) vs %a, %a (C)\n", ri,
				       (long long)sim_now(in->sim), la, ba, lc, bc);
			in->mismatches++;
		}
	}
	if (in->query_bits) {
		/* Every path that reads a flow's bits (a lazy shortcut must bring the flow up to
		 * date first). The query itself splits the flow's next bits step in two, so it is
		 * made in all three models alike. */
		for (int k = 0; k < in->nfl; k++) {
			struct tflow *f = &in->fl[k];
			if (!f->live[0] || !f->live[1] || !f->live[2])
				continue;
			double a = flow_bytes_left(in->m[0], f->id[0]);
			double b = flow_bytes_left(in->m[1], f->id[1]);
			double c = flow_bytes_left(in->m[2], f->id[2]);
			in->compared += 2;
			if (memcmp(&a, &b, sizeof a) != 0 || memcmp(&a, &c, sizeof a) != 0) {
				if (in->mismatches < 5)
					printf("\n  flow %d at %lld ns: bytes left %a (A) vs %a (B), %a (C)\n",
					       k, (long long)sim_now(in->sim), a, b, c);
				in->mismatches++;
			}
		}
	}
	if (in->watch < 0)
		return;
	/* Coverage of the watched link: how many flows, and whether some left its group. */
	int n = 0;
	double lo = INFINITY, hi = 0;
	for (int k = 0; k < in->nfl; k++) {
		struct tflow *f = &in->fl[k];
		if (!f->live[1] || f->res[0] != in->watch)
			continue;
		double b = flow_rate_bps(in->m[1], f->id[1]);
		if (!(b > 0))
			continue; /* started this instant, not rated yet */
		n++;
		lo = b < lo ? b : lo;
		hi = b > hi ? b : hi;
	}
	if (n > in->watch_max)
		in->watch_max = n;
	if (n > 1 && lo < hi)
		in->watch_split++;
	if (!in->lvl_seen)
		return;
	/* Flows that had the link's top rate at an earlier probe and are now below the top
	 * rate they had: they left the group while its other flows went on. */
	for (int k = 0; k < in->nfl; k++) {
		struct tflow *f = &in->fl[k];
		if (!f->live[1] || f->res[0] != in->watch)
			continue;
		double b = flow_rate_bps(in->m[1], f->id[1]);
		if (!(b > 0))
			continue;
		if (n > 1 && b == hi) {
			in->lvl_seen[k] = hi;
		} else if (in->lvl_seen[k] > 0 && b < hi) {
			in->leavers++;
			in->lvl_seen[k] = 0;
		}
	}
}

static void on_start(struct sim *sim, void *arg)
{
	struct tflow *f = arg;
	struct inst *in = f->in;
	for (int w = 0; w < NMOD; w++) {
		struct tdone *d = &in->dn[NMOD * (f - in->fl) + w];
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
	for (int w = 0; w < NMOD; w++)
		flow_resource_set_capacity(c->in->m[w], c->res, c->cap_bps);
}

/* The simulator and the three models of an instance: A as in production, B solving every flow
 * at every recompute, C without grp_fast; all check themselves after every recompute. */
static void inst_models(struct inst *in, uint64_t seed)
{
	in->sim = sim_new(seed);
	for (int w = 0; w < NMOD; w++) {
		in->m[w] = flow_model_new(in->sim);
		flow_model_check_always(in->m[w], 1);
	}
	flow_model_solve_all(in->m[1], 1);
	flow_model_fast_groups(in->m[2], 0);
}

/* A capacity in bits/s, log-uniform in [lo, hi]. */
static double draw_cap(struct rng *r, double lo, double hi)
{
	return lo * pow(hi / lo, rng_uniform(r));
}

/*
 * Run instance `in` to its end; assert that no rate pair differed, that every flow completed
 * at the same ns in both models and that both models are empty and consistent; free it.
 * Returns the number of rate pairs compared.
 */
static long finish_instance(struct inst *in, uint64_t seed)
{
	sim_run(in->sim, SIMTIME_NEVER);
	CU_ASSERT_EQUAL(in->mismatches, 0);
	long diff = 0;
	for (int k = 0; k < in->nfl; k++) {
		const struct tflow *f = &in->fl[k];
		if (f->done_at[0] < 0 || f->done_at[0] != f->done_at[1] ||
		    f->done_at[0] != f->done_at[2]) {
			if (diff++ < 5)
				printf("\n  seed %llu flow %d: done at %lld ns (incremental) vs %lld (full)\n",
				       (unsigned long long)seed, k, (long long)f->done_at[0],
				       (long long)f->done_at[1]);
		}
	}
	CU_ASSERT_EQUAL(diff, 0);
	/* A and C (the same recompute with and without grp_fast) also run completions at one
	 * nanosecond in the same order: the handles a shortcut gives must order them as the
	 * positions of the full path do. (B re-solves every flow, so its positions differ.) */
	long order = 0;
	for (int k = 0; k < in->nfl; k++)
		if (in->fl[k].done_seq[0] != in->fl[k].done_seq[2] && order++ < 3)
			printf("\n  seed %llu flow %d: completion %ld in A, %ld in C\n",
			       (unsigned long long)seed, k, in->fl[k].done_seq[0], in->fl[k].done_seq[2]);
	CU_ASSERT_EQUAL(order, 0);
	CU_ASSERT(in->probes >= 200); /* the probes scheduled at random instants all ran */
	for (int w = 0; w < NMOD; w++) {
		CU_ASSERT(flow_model_check(in->m[w]));
		CU_ASSERT_EQUAL(flow_active(in->m[w]), 0);
		flow_model_free(in->m[w]);
	}
	sim_free(in->sim);
	free(in->fl);
	free(in->dn);
	free(in->lvl_seen);
	return in->compared;
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
	in.watch = -1;
	inst_models(&in, seed);
	int nr = 2 + (int)rng_below(&r, MAXR - 1);
	/* Egress/ingress scarce or ample per instance and region. */
	int eg[MAXR], ing[MAXR], lan[MAXR], link[MAXR][MAXR];
	double scarce = rng_uniform(&r);
	for (int i = 0; i < nr; i++) {
		double lo = rng_uniform(&r) < scarce ? 20e6 : 2e9;
		eg[i] = ing[i] = lan[i] = -1;
		double ce = draw_cap(&r, lo, 4 * lo), ci = draw_cap(&r, lo, 4 * lo);
		double cl = draw_cap(&r, 100e6, 1e9);
		for (int w = 0; w < NMOD; w++) {
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
			for (int w = 0; w < NMOD; w++)
				link[i][j] = flow_resource_new(in.m[w], c);
		}
	in.nres = link[nr - 1][nr - 2] + 1; /* the last one created */
	in.nfl = nflows;
	in.fl = xcalloc((size_t)nflows, sizeof *in.fl);
	in.dn = xcalloc(NMOD * (size_t)nflows, sizeof *in.dn);
	/* Start instants: a few shared ones (bursts), the rest uniform over 20 s. */
	sim_time_t burst[4];
	for (int b = 0; b < 4; b++)
		burst[b] = (sim_time_t)rng_below(&r, 20000000000ULL);
	static const double sizes[3] = { 1e5, 1e6, 4e6 };
	for (int k = 0; k < nflows; k++) {
		struct tflow *f = &in.fl[k];
		f->in = &in;
		f->done_at[0] = f->done_at[1] = f->done_at[2] = -1;
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
	long compared = finish_instance(&in, seed);
	free(caps);
	return compared;
}

/* A flow of instance `in` from resource list res (3: link, egress, ingress), queued at t. */
static void add_flow(struct inst *in, struct rng *r, const int res[3], sim_time_t t)
{
	static const double sizes[3] = { 1e5, 1e6, 4e6 };
	struct tflow *f = &in->fl[in->nfl++];
	f->in = in;
	f->done_at[0] = f->done_at[1] = f->done_at[2] = -1;
	memcpy(f->res, res, sizeof f->res);
	f->nres = 3;
	f->bytes = rng_below(r, 2) ? sizes[rng_below(r, 3)] : 1e3 + rng_uniform(r) * 5e6;
	f->start = t;
	sim_at(in->sim, t, on_start, f);
}

/*
 * One random instance of the bsp all-to-all shape: regions a, b, c of m machines, each with
 * its own egress and ingress; links a->b (watched: up to m * m flows at once), b->a, a->c
 * (shares a's egresses) and c->b (shares b's ingresses). Every flow crosses its link, its
 * source machine's egress and its destination machine's ingress. Rounds start a flow between
 * most pairs at one instant (many equal sizes: equal finish times); single flows arrive at
 * random instants in between. Machine capacities are mostly ample (the link is the bottleneck
 * of all its flows, the egresses and ingresses slack) and some scarce, between a 1/(2m) share
 * and twice a whole machine's share of the link, so that some egresses saturate and their
 * flows leave the link's group, and come back when capacity changes or flows end.
 * *max gets the most flows seen on the watched link at a probe, *split the probes where
 * they had more than one rate.
 */
static long run_link_instance(uint64_t seed, int *max, long *split)
{
	struct rng r;
	rng_init(&r, seed, 11);
	struct inst in = { 0 };
	inst_models(&in, seed);
	int m = 6 + (int)rng_below(&r, 7);
	double link_cap[4];
	for (int l = 0; l < 4; l++)
		link_cap[l] = draw_cap(&r, 100e6, 1e9);
	double scarce_lo = link_cap[0] / (2.0 * m * m), scarce_hi = 2 * link_cap[0] / m;
	double p_scarce = 0.1 + 0.3 * rng_uniform(&r);
	int eg[3][12], ing[3][12], link[4];
	for (int g = 0; g < 3; g++)
		for (int x = 0; x < m; x++) {
			double ce = rng_uniform(&r) < p_scarce ? draw_cap(&r, scarce_lo, scarce_hi)
							       : draw_cap(&r, 2e9, 8e9);
			double ci = rng_uniform(&r) < p_scarce ? draw_cap(&r, scarce_lo, scarce_hi)
							       : draw_cap(&r, 2e9, 8e9);
			for (int w = 0; w < NMOD; w++) {
				eg[g][x] = flow_resource_new(in.m[w], ce);
				ing[g][x] = flow_resource_new(in.m[w], ci);
			}
		}
	for (int l = 0; l < 4; l++)
		for (int w = 0; w < NMOD; w++)
			link[l] = flow_resource_new(in.m[w], link_cap[l]);
	in.watch = link[0];
	in.nres = link[3] + 1;
	/* Link l goes from region src[l] to dst[l]. */
	static const int src[4] = { 0, 1, 0, 2 }, dst[4] = { 1, 0, 2, 1 };
	static const double p_pair[4] = { 0.9, 0.3, 0.3, 0.3 };
	int nrounds = 3, nsingle = 150;
	in.fl = xcalloc((size_t)(nrounds * 4 * m * m + nsingle), sizeof *in.fl);
	in.dn = xcalloc(NMOD * (size_t)(nrounds * 4 * m * m + nsingle), sizeof *in.dn);
	for (int k = 0; k < nrounds; k++) {
		sim_time_t t = (sim_time_t)rng_below(&r, 10000000000ULL);
		for (int l = 0; l < 4; l++)
			for (int x = 0; x < m; x++)
				for (int y = 0; y < m; y++) {
					if (rng_uniform(&r) >= p_pair[l])
						continue;
					int res[3] = { link[l], eg[src[l]][x], ing[dst[l]][y] };
					add_flow(&in, &r, res, t);
				}
	}
	for (int k = 0; k < nsingle; k++) {
		int l = rng_below(&r, 3) ? 0 : 1 + (int)rng_below(&r, 3);
		int x = (int)rng_below(&r, (uint64_t)m), y = (int)rng_below(&r, (uint64_t)m);
		int res[3] = { link[l], eg[src[l]][x], ing[dst[l]][y] };
		add_flow(&in, &r, res, (sim_time_t)rng_below(&r, 12000000000ULL));
	}
	/* Egresses of a and ingresses of b turning scarce or ample, and the watched link's
	 * capacity changing, at random instants. */
	int ncap = 10;
	struct tcap *caps = xcalloc((size_t)ncap, sizeof *caps);
	for (int c = 0; c < ncap; c++) {
		int x = (int)rng_below(&r, (uint64_t)m);
		int res = c == 0 ? link[0] : c % 2 ? eg[0][x] : ing[1][x];
		double cap = c == 0 ? draw_cap(&r, 100e6, 1e9)
			     : rng_below(&r, 2) ? draw_cap(&r, scarce_lo, scarce_hi)
						: draw_cap(&r, 2e9, 8e9);
		caps[c] = (struct tcap){ &in, res, cap };
		sim_at(in.sim, (sim_time_t)rng_below(&r, 15000000000ULL), on_cap, &caps[c]);
	}
	for (int p = 0; p < 200; p++)
		sim_at(in.sim, (sim_time_t)rng_below(&r, 30000000000ULL), probe, &in);
	long compared = finish_instance(&in, seed);
	if (in.watch_max > *max)
		*max = in.watch_max;
	*split += in.watch_split;
	free(caps);
	return compared;
}

/*
 * A long run on one watched link, for a shortcut that would keep a log of its group's rate
 * changes and bring a flow up to date only when needed: rounds of m * m * 0.9 flows every
 * 1.5 s on link a->b (each then ends on its own: one event on the link per flow, a long log
 * per group), single arrivals on all four links in between, and 30 capacity changes of a's
 * egresses and b's ingresses between scarce and ample, so that flows leave the link's group
 * in the middle of its log and come back. With `query`, every probe also reads every flow's
 * bytes left in all three models (a path that reads bits mid-log) and compares them. *cov
 * gets: [0] most flows on the link at a probe, [1] probes with a split group, [2] flows found
 * below the link's top rate after having had it.
 */
static long run_long_instance(uint64_t seed, int query, long cov[3])
{
	struct rng r;
	rng_init(&r, seed, 13);
	struct inst in = { 0 };
	in.query_bits = query;
	inst_models(&in, seed);
	int m = 8 + (int)rng_below(&r, 5);
	double link_cap[4];
	for (int l = 0; l < 4; l++)
		link_cap[l] = draw_cap(&r, 1e9, 2e9);
	double scarce_lo = link_cap[0] / (2.0 * m * m), scarce_hi = 2 * link_cap[0] / m;
	int eg[3][12], ing[3][12], link[4];
	for (int g = 0; g < 3; g++)
		for (int x = 0; x < m; x++) {
			double ce = draw_cap(&r, 4e9, 8e9), ci = draw_cap(&r, 4e9, 8e9);
			for (int w = 0; w < NMOD; w++) {
				eg[g][x] = flow_resource_new(in.m[w], ce);
				ing[g][x] = flow_resource_new(in.m[w], ci);
			}
		}
	for (int l = 0; l < 4; l++)
		for (int w = 0; w < NMOD; w++)
			link[l] = flow_resource_new(in.m[w], link_cap[l]);
	in.watch = link[0];
	in.nres = link[3] + 1;
	static const int src[4] = { 0, 1, 0, 2 }, dst[4] = { 1, 0, 2, 1 };
	int nrounds = 16, nsingle = 600;
	size_t most = (size_t)(nrounds * m * m + nsingle);
	in.fl = xcalloc(most, sizeof *in.fl);
	in.dn = xcalloc(NMOD * most, sizeof *in.dn);
	in.lvl_seen = xcalloc(most, sizeof *in.lvl_seen);
	for (int k = 0; k < nrounds; k++) {
		sim_time_t t = (sim_time_t)k * 1500000000 + (sim_time_t)rng_below(&r, 1000000);
		for (int x = 0; x < m; x++)
			for (int y = 0; y < m; y++) {
				if (rng_uniform(&r) >= 0.9)
					continue;
				int res[3] = { link[0], eg[0][x], ing[1][y] };
				add_flow(&in, &r, res, t);
			}
	}
	for (int k = 0; k < nsingle; k++) {
		int l = rng_below(&r, 2) ? 0 : 1 + (int)rng_below(&r, 3);
		int x = (int)rng_below(&r, (uint64_t)m), y = (int)rng_below(&r, (uint64_t)m);
		int res[3] = { link[l], eg[src[l]][x], ing[dst[l]][y] };
		add_flow(&in, &r, res, (sim_time_t)rng_below(&r, (uint64_t)nrounds * 1500000000ULL));
	}
	/* Scarce episodes: a machine's egress (or ingress) drops for 0.1 to 0.4 s, then is
	 * ample again (the link's group is whole again: long logs between episodes). */
	int ncap = 30;
	struct tcap *caps = xcalloc((size_t)ncap, sizeof *caps);
	for (int c = 0; c < ncap; c += 2) {
		int x = (int)rng_below(&r, (uint64_t)m);
		int res = c % 4 ? eg[0][x] : ing[1][x];
		sim_time_t t = (sim_time_t)rng_below(&r, (uint64_t)nrounds * 1500000000ULL);
		caps[c] = (struct tcap){ &in, res, draw_cap(&r, scarce_lo, scarce_hi) };
		caps[c + 1] = (struct tcap){ &in, res, draw_cap(&r, 4e9, 8e9) };
		sim_at(in.sim, t, on_cap, &caps[c]);
		sim_at(in.sim, t + 100000000 + (sim_time_t)rng_below(&r, 300000000), on_cap,
		       &caps[c + 1]);
	}
	for (int p = 0; p < 400; p++)
		sim_at(in.sim, (sim_time_t)rng_below(&r, (uint64_t)nrounds * 1600000000ULL), probe,
		       &in);
	long compared = finish_instance(&in, seed);
	if (in.watch_max > cov[0])
		cov[0] = in.watch_max;
	cov[1] += in.watch_split;
	cov[2] += in.leavers;
	free(caps);
	return compared;
}

/*
 * One link whose flows each cross an egress and an ingress of their own (a fan-in from many
 * machines), arriving one at a time, 1 ms apart, each big enough to stay in flight: every
 * arrival after the first is a recompute of the all-to-all shape over a growing set of
 * distinct neighbours (2 per flow, up to 400), so the component's resource list passes its
 * first allocation (64 entries) and every doubling with the link itself still to be added.
 * Rates, loads, bits and completions as in the other families.
 */
static long run_fanin_instance(uint64_t seed)
{
	enum { NF = 200 };
	struct inst in = { 0 };
	in.watch = -1;
	inst_models(&in, seed);
	int link = 0, eg[NF], ing[NF];
	for (int w = 0; w < NMOD; w++) {
		link = flow_resource_new(in.m[w], 100e6);
		for (int k = 0; k < NF; k++) {
			eg[k] = flow_resource_new(in.m[w], 5e9);
			ing[k] = flow_resource_new(in.m[w], 5e9);
		}
	}
	in.nres = ing[NF - 1] + 1;
	in.fl = xcalloc(NF, sizeof *in.fl);
	in.dn = xcalloc(NMOD * (size_t)NF, sizeof *in.dn);
	for (int k = 0; k < NF; k++) {
		struct tflow *f = &in.fl[in.nfl++];
		f->in = &in;
		f->done_at[0] = f->done_at[1] = f->done_at[2] = -1;
		f->res[0] = link;
		f->res[1] = eg[k];
		f->res[2] = ing[k];
		f->nres = 3;
		f->bytes = 1e7;
		f->start = (sim_time_t)k * 1000000;
		sim_at(in.sim, f->start, on_start, f);
	}
	for (int p = 0; p < 200; p++)
		sim_at(in.sim, (sim_time_t)p * 2000000, probe, &in);
	return finish_instance(&in, seed);
}

/*
 * Clocks of a bsp run across regions: r regions of m machines, each machine with an egress and
 * an ingress, each region a LAN (processor sharing), a link between every ordered pair of
 * regions. At the end of its clock each worker starts, at one instant, a flow to every other
 * machine: over its LAN to its own region's machines, over link + its egress + the other
 * machine's ingress elsewhere. A recompute then has new flows on several links at once and on
 * a LAN, while earlier clocks' flows are still in flight (the shape grp_fast takes over several
 * links, with processor sharing in the same recompute). Workers' clock ends are spread so that
 * clocks overlap; sizes come from a small set (ties); some machines' egresses or ingresses are
 * scarce now and then (the shortcut must decline), and link capacities change. *cov gets
 * model A's grp_fast counts (flow_model_fast_counts).
 */
static long run_clock_instance(uint64_t seed, uint64_t cov[4])
{
	struct rng r;
	rng_init(&r, seed, 17);
	struct inst in = { 0 };
	in.watch = -1;
	inst_models(&in, seed);
	enum { MAXM = 6 };
	int nr = 3 + (int)rng_below(&r, 2), m = 3 + (int)rng_below(&r, MAXM - 2);
	int eg[4][MAXM], ing[4][MAXM], lan[4], link[4][4];
	double p_scarce = rng_below(&r, 3) ? 0 : 0.1;
	for (int g = 0; g < nr; g++) {
		double cl = draw_cap(&r, 1e9, 1e10);
		for (int w = 0; w < NMOD; w++)
			lan[g] = flow_resource_new(in.m[w], cl);
		for (int x = 0; x < m; x++) {
			double ce = rng_uniform(&r) < p_scarce ? draw_cap(&r, 1e6, 2e7) : draw_cap(&r, 2e9, 8e9);
			double ci = rng_uniform(&r) < p_scarce ? draw_cap(&r, 1e6, 2e7) : draw_cap(&r, 2e9, 8e9);
			for (int w = 0; w < NMOD; w++) {
				eg[g][x] = flow_resource_new(in.m[w], ce);
				ing[g][x] = flow_resource_new(in.m[w], ci);
			}
		}
	}
	for (int a = 0; a < nr; a++)
		for (int b = 0; b < nr; b++) {
			if (a == b)
				continue;
			/* Some links equal: equal levels, popped by id. */
			double c = rng_below(&r, 3) == 0 ? 100e6 : draw_cap(&r, 20e6, 500e6);
			for (int w = 0; w < NMOD; w++)
				link[a][b] = flow_resource_new(in.m[w], c);
		}
	in.nres = link[nr - 1][nr - 2] + 1;
	int nclocks = 6, nw = nr * m;
	size_t most = (size_t)nclocks * (size_t)nw * (size_t)nw;
	in.fl = xcalloc(most, sizeof *in.fl);
	in.dn = xcalloc(NMOD * most, sizeof *in.dn);
	static const double sizes[3] = { 2e5, 1e6, 3e6 };
	for (int c = 0; c < nclocks; c++) {
		double bytes = sizes[rng_below(&r, 3)];
		for (int g = 0; g < nr; g++)
			for (int x = 0; x < m; x++) {
				/* This worker's clock ends: a few instants shared by several workers. */
				sim_time_t t = (sim_time_t)c * 200000000 +
					       (rng_below(&r, 2) ? (sim_time_t)rng_below(&r, 4) * 50000000
								 : (sim_time_t)rng_below(&r, 200000000));
				for (int h = 0; h < nr; h++)
					for (int y = 0; y < m; y++) {
						if (h == g && y == x)
							continue;
						struct tflow *f = &in.fl[in.nfl++];
						f->in = &in;
						f->done_at[0] = f->done_at[1] = f->done_at[2] = -1;
						if (h == g) {
							f->res[0] = lan[g];
							f->nres = 1;
						} else {
							f->res[0] = link[g][h];
							f->res[1] = eg[g][x];
							f->res[2] = ing[h][y];
							f->nres = 3;
						}
						f->bytes = rng_below(&r, 4) ? bytes : sizes[rng_below(&r, 3)];
						f->start = t;
						sim_at(in.sim, t, on_start, f);
					}
			}
	}
	/* Machines turning scarce and ample again, and links changing capacity. */
	int ncap = 24;
	struct tcap *caps = xcalloc((size_t)ncap, sizeof *caps);
	for (int c = 0; c < ncap; c++) {
		int g = (int)rng_below(&r, (uint64_t)nr), x = (int)rng_below(&r, (uint64_t)m);
		int h = (int)rng_below(&r, (uint64_t)nr - 1);
		if (h >= g)
			h++;
		int res = c % 3 == 0 ? link[g][h] : c % 3 == 1 ? eg[g][x] : ing[g][x];
		double cap = c % 3 == 0 ? draw_cap(&r, 20e6, 500e6)
			     : rng_below(&r, 2) ? draw_cap(&r, 1e6, 2e7) : draw_cap(&r, 2e9, 8e9);
		caps[c] = (struct tcap){ &in, res, cap };
		/* Half of them at an instant where workers' clocks end: a touched link and new
		 * flows in one recompute. */
		sim_time_t t = rng_below(&r, 2) ? (sim_time_t)rng_below(&r, (uint64_t)nclocks) * 200000000 +
						  (sim_time_t)rng_below(&r, 4) * 50000000
						: (sim_time_t)rng_below(&r, (uint64_t)nclocks * 200000000ULL);
		sim_at(in.sim, t, on_cap, &caps[c]);
	}
	for (int p = 0; p < 200; p++)
		sim_at(in.sim, (sim_time_t)rng_below(&r, (uint64_t)nclocks * 800000000ULL), probe, &in);
	uint64_t counts[4];
	sim_run(in.sim, SIMTIME_NEVER);
	flow_model_fast_counts(in.m[0], counts);
	for (int i = 0; i < 4; i++)
		cov[i] += counts[i];

	/* B and C never take it. */
	flow_model_fast_counts(in.m[1], counts);
	CU_ASSERT_EQUAL(counts[0], 0);
	flow_model_fast_counts(in.m[2], counts);
	CU_ASSERT_EQUAL(counts[0], 0);
	long compared = finish_instance(&in, seed);
	free(caps);
	return compared;
}

static void test_clock_instances(void)
{
	long compared = 0;
	uint64_t cov[4] = { 0, 0, 0, 0 };
	for (uint64_t seed = 501; seed <= 512; seed++)
		compared += run_clock_instance(seed, cov);
	CU_ASSERT(compared > 100000);
	/* The shortcut ran, over several links at once and beside LANs. */
	CU_ASSERT(cov[1] >= 100);
	CU_ASSERT(cov[2] >= 100);
	CU_ASSERT(cov[3] >= 100);
	printf(" [%ld pairs; shortcut taken %llu times, %llu over >= 2 links, %llu with a LAN, "
	       "%llu links counted from tables] ",
	       compared, (unsigned long long)cov[0], (unsigned long long)cov[1],
	       (unsigned long long)cov[2], (unsigned long long)cov[3]);
}

static void test_fanin_instance(void)
{
	long compared = run_fanin_instance(401);
	/* Every flow was compared at the probe after its start, most of them many times. */
	CU_ASSERT(compared > 200 * 50);
	printf(" [%ld rate pairs] ", compared);
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

static void test_link_instances(void)
{
	long compared = 0, split = 0;
	int max = 0;
	for (uint64_t seed = 201; seed <= 208; seed++)
		compared += run_link_instance(seed, &max, &split);
	CU_ASSERT(compared > 10000);
	/* The case was exercised: a link with many flows at once, and flows of it held below
	 * its level by a saturated egress or ingress. */
	CU_ASSERT(max >= 60);
	CU_ASSERT(split > 0);
	printf(" [%ld rate pairs, up to %d flows on one link, %ld probes with a split group] ",
	       compared, max, split);
}

static void test_long_instances(void)
{
	long compared = 0, cov[3] = { 0, 0, 0 };
	for (uint64_t seed = 301; seed <= 306; seed++)
		compared += run_long_instance(seed, seed % 2, cov);
	CU_ASSERT(compared > 100000);
	/* Large groups, split groups, and flows that left the group while it went on. */
	CU_ASSERT(cov[0] >= 60);
	CU_ASSERT(cov[1] > 0);
	CU_ASSERT(cov[2] > 0);
	printf(" [%ld pairs, up to %ld flows on one link, %ld split probes, %ld leavers] ", compared,
	       cov[0], cov[1], cov[2]);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "incremental = full solve, 60 small random instances", test_small_instances },
		{ "incremental = full solve, 6 random instances of 400 flows", test_large_instances },
		{ "incremental = full solve, 8 all-to-all instances (one link, per-machine egress/ingress)",
		  test_link_instances },
		{ "incremental = full solve = no shortcut, 6 long runs on one link (bits read mid-run)",
		  test_long_instances },
		{ "incremental = full solve = no shortcut, one link fed by 200 machines one at a time",
		  test_fanin_instance },
		{ "incremental = full solve = no shortcut, 12 runs of bsp clocks (several links and LANs)",
		  test_clock_instances },
		{ NULL, NULL },
	};
	testutil_suite("flow_solve", cases);
	return testutil_run();
}
