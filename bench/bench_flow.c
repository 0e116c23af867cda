/*
 * Flow-model benchmark: completed flows per wall second of gaiasim's flow model (sim/flow.c)
 * under round-structured all-to-all traffic between 11 regions, 1 MB (10^6 bytes) per flow,
 * k = 1, 9 and 91 flows per ordered pair and round (110, 990 and 10 010 flows per round).
 *
 * Part 1, "peer": the workload and platform of bench_simgrid_flows, run on gaiasim's flow
 * model: 11 hosts, one directed link per ordered pair (bench_pair_bw_bps, latency
 * bench_pair_latency_s from benchutil.h); every host sends k flows of 1 MB to each of the 10
 * others; the k transfers i -> j of round r start (after the link latency) once both i and j
 * have entered round r, and a host enters round r + 1 when its 20 k transfers of round r
 * (10 k out, 10 k in) are done, as SimGrid's put_async/get_async/wait_all does. If the SimGrid
 * peer program has been built next to this one, it is run here too and the ratio of the two
 * rates is printed: that ratio is the headline figure.
 *
 * Part 2, "ec2-11": the ec2-11 topology through sim/net.c (each inter-region flow crosses the
 * directed link, the source's egress and the destination's ingress; net_send adds the one-way
 * latency), k flows per ordered pair per round; the next round starts when every flow of the
 * round has finished. Here egress and ingress couple the links, which is what makes the flow
 * model's incremental recomputation work.
 *
 * Each line reports flows/s, wall microseconds per flow, rate recomputations
 * (flow_recomputes) and simulator events per flow, the peak number of flows moving bytes at
 * once, and the simulated time per round (which depends only on the model's semantics, so it
 * must not change when sim/flow.c is optimised). Each figure is the median of REPS runs, each
 * running whole rounds until at least scale / REPS wall seconds have passed (so a burst of
 * activity from another process on the machine does not decide it).
 *
 * Usage: bench_flow [scale]   (default 1; `make bench BENCH_ARGS=0.2` shortens every run)
 * Environment: GAIASIM_BENCH_SIMGRID=PATH runs that SimGrid peer program instead of the one
 * next to this program; GAIASIM_BENCH_SIMGRID=none skips it.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/benchutil.h"
#include "sim/flow.h"
#include "sim/net.h"
#include "sim/sim.h"
#include "lib/xmalloc.h"
#include "topology/topology.h"

/* Bytes per flow. */
#define FLOW_BYTES 1e6
/* Regions of the peer platform. */
#define NR BENCH_REGIONS
/* Runs per figure; the median (by flows per wall second) is reported. */
#define REPS 3

/* What one measurement produced. */
struct result {
	uint64_t flows;        /* flows completed */
	uint64_t rounds;       /* rounds completed (per host for the peer workload) */
	double wall_s;         /* wall seconds of the measured runs */
	double sim_s;          /* simulated seconds covered */
	uint64_t recomputes;   /* flow_recomputes() over the measurement */
	uint64_t events;       /* simulator events run over the measurement */
	size_t peak_active;    /* most flows moving bytes at once */
};

static void print_result(const char *name, size_t per_round, const struct result *r)
{
	printf("%s: %.3g completed flows per wall second (%.3f us per flow); %zu flows per round, "
	       "peak %zu moving at once; %.3f rate recomputations and %.2f events per flow; "
	       "%" PRIu64 " flows in %.3f s; %.6f simulated s per round\n",
	       name, (double)r->flows / r->wall_s, r->wall_s * 1e6 / (double)r->flows, per_round,
	       r->peak_active, (double)r->recomputes / (double)r->flows,
	       (double)r->events / (double)r->flows, r->flows, r->wall_s,
	       r->sim_s / (double)r->rounds);
}

/* ---- part 1: the SimGrid peer's workload on the flow model ---- */

struct peer;

/* One directed transfer of the peer workload, i -> j. */
struct peer_pair {
	struct peer *p;   /* benchmark state */
	int src, dst;     /* hosts */
	int ready;        /* sides (sender, receiver) that have posted the next k transfers */
};

struct peer {
	struct sim *sim;                 /* simulator */
	int k;                           /* flows per ordered pair per round */
	struct flow_model *fm;           /* flow model */
	int link[NR][NR];                /* resource id of each directed link */
	sim_time_t lat[NR][NR];          /* one-way latency, ns */
	struct peer_pair pair[NR][NR];   /* per ordered pair */
	long round[NR];                  /* round each host is in */
	int left[NR];                    /* transfers of its round each host still waits for */
	long limit;                      /* rounds every host runs (shrunk when time is up) */
	long max_round;                  /* highest round any host has entered */
	double t0, target_s;             /* wall start, wall seconds wanted */
	uint64_t done;                   /* flows completed */
	size_t peak;                     /* most active flows seen */
};

static void peer_enter(struct peer *p, int h);

static void peer_flow_done(struct sim *sim, void *arg)
{
	struct peer_pair *q = arg;
	struct peer *p = q->p;
	(void)sim;
	size_t act = flow_active(p->fm) + 1;
	if (act > p->peak)
		p->peak = act;
	p->done++;
	int hs[2] = { q->src, q->dst };
	for (int k = 0; k < 2; k++) {
		int h = hs[k];
		if (--p->left[h] > 0)
			continue;
		p->round[h]++;
		if (p->limit == LONG_MAX && bench_now_s() - p->t0 >= p->target_s)
			p->limit = p->max_round + 1;
		if (p->round[h] < p->limit)
			peer_enter(p, h);
	}
}

static void peer_flow_start(struct sim *sim, void *arg)
{
	struct peer_pair *q = arg;
	(void)sim;
	flow_start(q->p->fm, &q->p->link[q->src][q->dst], 1, FLOW_BYTES, peer_flow_done, q);
}

/* One side of pair q is ready; when both are, the transfer is sent (latency first). */
static void peer_ready(struct peer *p, struct peer_pair *q)
{
	if (++q->ready < 2)
		return;
	q->ready = 0;
	for (int i = 0; i < p->k; i++)
		sim_after(p->sim, p->lat[q->src][q->dst], peer_flow_start, q);
}

/* Host h enters its round p->round[h]: posts 10 k sends and 10 k receives. */
static void peer_enter(struct peer *p, int h)
{
	if (p->round[h] > p->max_round)
		p->max_round = p->round[h];
	p->left[h] = 2 * (NR - 1) * p->k;
	for (int j = 0; j < NR; j++) {
		if (j == h)
			continue;
		peer_ready(p, &p->pair[h][j]);
		peer_ready(p, &p->pair[j][h]);
	}
}

static struct result run_peer(int k, double target_s)
{
	struct peer *p = xcalloc(1, sizeof *p);
	p->k = k;
	p->sim = sim_new(1);
	p->fm = flow_model_new(p->sim);
	for (int i = 0; i < NR; i++)
		for (int j = 0; j < NR; j++) {
			p->pair[i][j] = (struct peer_pair){ p, i, j, 0 };
			if (i == j)
				continue;
			p->link[i][j] = flow_resource_new(p->fm, bench_pair_bw_bps(i, j));
			p->lat[i][j] = simtime_from_s(bench_pair_latency_s(i, j));
		}
	p->limit = LONG_MAX;
	p->target_s = target_s;
	p->t0 = bench_now_s();
	for (int h = 0; h < NR; h++)
		peer_enter(p, h);
	sim_run(p->sim, SIMTIME_NEVER);
	double t1 = bench_now_s();
	struct result r = {
		.flows = p->done,
		.rounds = (uint64_t)p->limit,
		.wall_s = t1 - p->t0,
		.sim_s = simtime_to_s(sim_now(p->sim)),
		.recomputes = flow_recomputes(p->fm),
		.events = sim_events_run(p->sim),
		.peak_active = p->peak,
	};
	for (int h = 0; h < NR; h++)
		if (p->round[h] != p->limit) {
			fprintf(stderr, "bench_flow: host %d ran %ld rounds, expected %ld\n", h,
				p->round[h], p->limit);
			exit(1);
		}
	flow_model_free(p->fm);
	sim_free(p->sim);
	free(p);
	return r;
}

/*
 * Run the SimGrid peer program (if present); store its flows per wall second for k = ks[c]
 * flows per pair in sg[c] (-1 when absent). Its output is echoed.
 */
static void run_simgrid(const char *argv0, double scale, const int *ks, int nk, double *sg)
{
	for (int c = 0; c < nk; c++)
		sg[c] = -1;
	char path[4096];
	const char *env = getenv("GAIASIM_BENCH_SIMGRID");
	if (env && strcmp(env, "none") == 0)
		return;
	if (env && *env) {
		snprintf(path, sizeof path, "%s", env);
	} else {
		const char *slash = strrchr(argv0, '/');
		int dirlen = slash ? (int)(slash - argv0) : 1;
		snprintf(path, sizeof path, "%.*s/bench_simgrid_flows", dirlen, slash ? argv0 : ".");
	}
	if (access(path, X_OK) != 0) {
		printf("# bench_flow: no SimGrid peer at %s (built by `make bench` when "
		       "libsimgrid-dev is installed); ratio not measured\n", path);
		return;
	}
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "'%s' %g", path, scale);
	fflush(stdout);
	FILE *fp = popen(cmd, "r");
	if (!fp)
		return;
	char line[1024];
	while (fgets(line, sizeof line, fp)) {
		printf("  | %s", line);
		int conc;
		double v;
		if (sscanf(line, "simgrid flows, %d concurrent: %lf completed flows per wall second",
			   &conc, &v) != 2)
			continue;
		for (int c = 0; c < nk; c++)
			if (conc == ks[c] * NR * (NR - 1))
				sg[c] = v;
	}
	if (pclose(fp) != 0)
		printf("# bench_flow: %s failed\n", path);
}

/* ---- part 2: the ec2-11 topology through sim/net.c ---- */

struct ec2 {
	struct sim *sim;        /* simulator */
	struct net *net;        /* network of the topology */
	int nreg;               /* regions */
	int k;                  /* flows per ordered pair per round */
	uint64_t left;          /* flows of the current round not yet finished */
	uint64_t done;          /* flows completed */
	size_t peak;            /* most active flows seen */
};

static void ec2_done(struct sim *sim, void *arg)
{
	struct ec2 *e = arg;
	(void)sim;
	size_t act = flow_active(net_flows(e->net)) + 1;
	if (act > e->peak)
		e->peak = act;
	e->left--;
	e->done++;
}

static struct result run_ec2(const struct topology *t, int k, double target_s)
{
	struct ec2 e = { 0 };
	e.sim = sim_new(1);
	e.net = net_new(e.sim, t, NULL);
	e.nreg = t->n;
	e.k = k;
	struct result r = { 0 };
	double t0 = bench_now_s(), t1;
	do {
		for (int s = 0; s < e.nreg; s++)
			for (int d = 0; d < e.nreg; d++)
				for (int i = 0; s != d && i < k; i++) {
					net_send(e.net, s, d, FLOW_BYTES, ec2_done, &e);
					e.left++;
				}
		sim_run(e.sim, SIMTIME_NEVER);
		if (e.left != 0) {
			fprintf(stderr, "bench_flow: %" PRIu64 " flows never finished\n", e.left);
			exit(1);
		}
		r.rounds++;
		t1 = bench_now_s();
	} while (t1 - t0 < target_s);
	r.flows = e.done;
	r.wall_s = t1 - t0;
	r.sim_s = simtime_to_s(sim_now(e.sim));
	r.recomputes = flow_recomputes(net_flows(e.net));
	r.events = sim_events_run(e.sim);
	r.peak_active = e.peak;
	net_free(e.net);
	sim_free(e.sim);
	return r;
}

/* The median of REPS runs of one measurement, by flows per wall second. */
static struct result median(struct result *r)
{
	for (int i = 1; i < REPS; i++)
		for (int j = i; j > 0 && r[j].flows / r[j].wall_s < r[j - 1].flows / r[j - 1].wall_s;
		     j--) {
			struct result x = r[j];
			r[j] = r[j - 1];
			r[j - 1] = x;
		}
	return r[REPS / 2];
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1.0;
	if (argc > 2 || !(scale > 0)) {
		fprintf(stderr, "usage: bench_flow [scale > 0]\n");
		return 2;
	}
	static const int ks[] = { 1, 9, 91 };
	enum { NK = sizeof ks / sizeof ks[0] };
	bench_print_machine("bench_flow");
	printf("# bench_flow: 1 MB (10^6 B) per flow; each figure is the median of %d runs of "
	       "whole rounds for >= %.2f wall s each\n", REPS, scale / REPS);

	/* Part 1. */
	printf("# peer workload: %d hosts, %d single-link routes (benchutil.h), k flows per "
	       "ordered pair, per-host rounds as in bench_simgrid_flows\n", NR, NR * (NR - 1));
	double mine[NK], sg[NK];
	for (int c = 0; c < NK; c++) {
		struct result runs[REPS];
		for (int i = 0; i < REPS; i++)
			runs[i] = run_peer(ks[c], scale / REPS);
		struct result r = median(runs);
		char name[64];
		snprintf(name, sizeof name, "gaiasim flows (peer workload, k=%d)", ks[c]);
		print_result(name, (size_t)ks[c] * NR * (NR - 1), &r);
		mine[c] = (double)r.flows / r.wall_s;
	}
	run_simgrid(argv[0], scale, ks, NK, sg);
	for (int c = 0; c < NK; c++)
		if (sg[c] > 0)
			printf("gaiasim/simgrid flows per wall second, %d per round: %.1fx "
			       "(%.3g vs %.3g; target >= 10x: %s)\n", ks[c] * NR * (NR - 1),
			       mine[c] / sg[c], mine[c], sg[c], mine[c] >= 10 * sg[c] ? "met" : "NOT met");

	/* Part 2. */
	struct topology *t = topology_load("ec2-11");
	if (!t) {
		fprintf(stderr, "bench_flow: cannot load topology ec2-11 (set GAIASIM_TOPODIR)\n");
		return 1;
	}
	printf("# ec2-11 workload: topology %s (%d regions, sha256 %.12s...), link + egress + "
	       "ingress per flow, latency via net_send, global barrier between rounds\n",
	       t->name, t->n, t->sha256);
	double us[NK];
	for (int c = 0; c < NK; c++) {
		struct result runs[REPS];
		for (int i = 0; i < REPS; i++)
			runs[i] = run_ec2(t, ks[c], scale / REPS);
		struct result r = median(runs);
		char name[64];
		snprintf(name, sizeof name, "gaiasim flows (ec2-11, k=%d)", ks[c]);
		print_result(name, (size_t)ks[c] * (size_t)(t->n * (t->n - 1)), &r);
		us[c] = r.wall_s * 1e6 / (double)r.flows;
	}
	printf("ec2-11 cost growth: us per flow at %d / %d / %d flows per round: "
	       "%.3f / %.3f / %.3f (x%.2f, x%.2f relative to the first)\n",
	       ks[0] * t->n * (t->n - 1), ks[1] * t->n * (t->n - 1), ks[2] * t->n * (t->n - 1),
	       us[0], us[1], us[2], us[1] / us[0], us[2] / us[0]);
	topology_free(t);
	return 0;
}
