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
 * Part 0, "random traffic" (run first, each measurement in a child process so that its CPU time
 * and peak memory are its own): the list of bench_random_traffic (benchutil.h: 50 000
 * transfers of 10 kB to 50 MB, random pairs, random starts over 300 s) on the ec2-11 topology
 * through sim/net.c (link + source egress + destination ingress per flow, latency first), as
 * `gaiasim net` runs a transfer list and as bench_simgrid_flows runs the same list; reports CPU
 * seconds (getrusage, whole child) and peak resident memory (ru_maxrss), and the CPU ratio to
 * SimGrid's when the peer has run. Then the cost at 10^3, 10^4 and 10^5 concurrent flows: a
 * closed loop that keeps N random flows in flight (each completion sends a new one) for
 * 20 000 completions; CPU microseconds per completion and resident bytes per flow in flight
 * (growth of the peak RSS over N).
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
#include <sys/wait.h>
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

/* ---- part 0: random traffic and the cost per concurrent flow ---- */

/* A random-traffic run: the ec2-11 network through sim/net.c. */
struct rt {
	struct sim *sim;           /* simulator */
	struct net *net;           /* network (link + egress + ingress per flow, latency) */
	uint64_t done;             /* flows completed */
	size_t peak;               /* most flows in flight, seen at completions */
	uint64_t refill;           /* closed loop: replacements still to start */
	uint64_t rng;              /* closed loop: random state */
};

/* One transfer of the list. */
struct rt_flow {
	struct rt *rt;             /* run */
	const struct bench_xfer *x; /* the transfer */
};

static void rt_platform(struct rt *rt, const struct topology *t)
{
	rt->sim = sim_new(1);
	rt->net = net_new(rt->sim, t, NULL);
}

static void rt_done(struct sim *sim, void *arg)
{
	struct rt *rt = arg;
	(void)sim;
	size_t act = flow_active(net_flows(rt->net)) + 1;
	if (act > rt->peak)
		rt->peak = act;
	rt->done++;
}

static void rt_send(struct sim *sim, void *arg)
{
	struct rt_flow *f = arg;
	(void)sim;
	net_send(f->rt->net, f->x->src, f->x->dst, (double)f->x->bytes, rt_done, f->rt);
}

/* What a child measured (sent back through a pipe). */
struct rt_result {
	double cpu_s;      /* CPU seconds of the child */
	double rss_mib;    /* its peak resident memory, MiB */
	double base_mib;   /* closed loop: peak resident memory before the flows, MiB */
	double sim_s;      /* simulated seconds */
	uint64_t done;     /* flows completed */
	uint64_t events;   /* simulator events */
	size_t peak;       /* most flows in flight */
};

static void rt_random_child(const struct topology *t, double scale, struct rt_result *out)
{
	double cpu0 = bench_cpu_s();
	long n;
	struct bench_xfer *list = bench_random_traffic(scale, &n);
	struct rt rt = { 0 };
	rt_platform(&rt, t);
	struct rt_flow *fl = xcalloc((size_t)n, sizeof *fl);
	for (long i = 0; i < n; i++) {
		fl[i] = (struct rt_flow){ &rt, &list[i] };
		sim_at(rt.sim, (sim_time_t)list[i].start_us * 1000, rt_send, &fl[i]);
	}
	sim_run(rt.sim, SIMTIME_NEVER);
	*out = (struct rt_result){ .cpu_s = bench_cpu_s() - cpu0, .rss_mib = bench_maxrss_mib(),
				   .sim_s = simtime_to_s(sim_now(rt.sim)), .done = rt.done,
				   .events = sim_events_run(rt.sim), .peak = rt.peak };
	if (rt.done != (uint64_t)n) {
		fprintf(stderr, "bench_flow: %" PRIu64 " of %ld random transfers finished\n", rt.done,
			n);
		exit(1);
	}
	net_free(rt.net);
	sim_free(rt.sim);
	free(fl);
	free(list);
}

/* Closed loop: a completion starts a replacement at once, while any are left. */
static void cl_done(struct sim *sim, void *arg)
{
	struct rt *rt = arg;
	(void)sim;
	rt->done++;
	if (rt->refill == 0)
		return;
	rt->refill--;
	struct bench_xfer x = bench_random_xfer(&rt->rng);
	net_send(rt->net, x.src, x.dst, (double)x.bytes, cl_done, rt);
}

static void rt_closed_child(const struct topology *t, long nflows, long completions,
			    struct rt_result *out)
{
	struct rt rt = { 0 };
	rt_platform(&rt, t);
	rt.rng = BENCH_RT_SEED;
	rt.refill = (uint64_t)completions;
	double base = bench_maxrss_mib();
	double cpu0 = bench_cpu_s();
	for (long i = 0; i < nflows; i++) {
		struct bench_xfer x = bench_random_xfer(&rt.rng);
		net_send(rt.net, x.src, x.dst, (double)x.bytes, cl_done, &rt);
	}
	rt.peak = (size_t)nflows;
	/* Stop after `completions` completions: the flows then in flight are left alone. */
	while (rt.done < (uint64_t)completions && sim_pending(rt.sim) > 0)
		sim_run(rt.sim, sim_now(rt.sim) + 1000000000);
	*out = (struct rt_result){ .cpu_s = bench_cpu_s() - cpu0, .rss_mib = bench_maxrss_mib(),
				   .base_mib = base, .sim_s = simtime_to_s(sim_now(rt.sim)),
				   .done = rt.done, .events = sim_events_run(rt.sim),
				   .peak = rt.peak };
	net_free(rt.net);
	sim_free(rt.sim);
}

/* Run one part-0 measurement in a child; nflows 0 = the random-traffic list. */
static struct rt_result rt_measure(const struct topology *t, double scale, long nflows,
				   long completions)
{
	struct rt_result r = { 0 };
	int fd[2];
	fflush(stdout);
	if (pipe(fd) != 0) {
		perror("bench_flow: pipe");
		exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench_flow: fork");
		exit(1);
	}
	if (pid == 0) {
		close(fd[0]);
		if (nflows == 0)
			rt_random_child(t, scale, &r);
		else
			rt_closed_child(t, nflows, completions, &r);
		_exit(write(fd[1], &r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
	}
	close(fd[1]);
	ssize_t got = read(fd[0], &r, sizeof r);
	close(fd[0]);
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    got != (ssize_t)sizeof r) {
		fprintf(stderr, "bench_flow: part-0 child failed\n");
		exit(1);
	}
	return r;
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
		/* The clock is read once per round (when host 0 ends one), not at every host's end
		 * of round: on this workload 11 clock reads per 110 flows were 2 % of the time
		 * (perf), overhead the SimGrid peer, which runs a fixed number of rounds, has not. */
		if (p->limit == LONG_MAX && h == 0 && bench_now_s() - p->t0 >= p->target_s)
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
 * flows per pair in sg[c], and its CPU seconds and peak MiB on random traffic in *rt_cpu and
 * *rt_rss (-1 when absent). Its output is echoed.
 */
static void run_simgrid(const char *argv0, double scale, const int *ks, int nk, double *sg,
			double *rt_cpu, double *rt_rss)
{
	for (int c = 0; c < nk; c++)
		sg[c] = -1;
	*rt_cpu = *rt_rss = -1;
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
		long nx;
		double v;
		if (sscanf(line, "simgrid random traffic: %ld transfers, CPU %lf s, peak RSS %lf MiB",
			   &nx, rt_cpu, rt_rss) == 3)
			continue;
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

	struct topology *t = topology_load("ec2-11");
	if (!t) {
		fprintf(stderr, "bench_flow: cannot load topology ec2-11 (set GAIASIM_TOPODIR)\n");
		return 1;
	}

	/* Part 0. */
	printf("# random traffic: bench_random_traffic (benchutil.h) on topology %s (sha256 "
	       "%.12s...) through sim/net.c, each measurement in a child process\n", t->name,
	       t->sha256);
	struct rt_result rr = rt_measure(t, scale, 0, 0);
	printf("gaiasim random traffic: %" PRIu64 " transfers, CPU %.3f s, peak RSS %.1f MiB; "
	       "peak %zu flows in flight; %.2f events per transfer; %.1f simulated s\n", rr.done,
	       rr.cpu_s, rr.rss_mib, rr.peak, (double)rr.events / (double)rr.done, rr.sim_s);
	static const long conc[] = { 1000, 10000, 100000 };
	long ncompl = (long)(20000 * (scale < 1 ? scale : 1));
	for (size_t c = 0; c < sizeof conc / sizeof conc[0]; c++) {
		struct rt_result cr = rt_measure(t, scale, conc[c], ncompl);
		printf("gaiasim %ld concurrent flows: %.2f us CPU per completion (%" PRIu64
		       " completions, CPU %.3f s); %.0f bytes resident per flow in flight "
		       "(peak RSS %.1f MiB, %.1f MiB before the flows)\n", conc[c],
		       cr.cpu_s * 1e6 / (double)cr.done, cr.done, cr.cpu_s,
		       (cr.rss_mib - cr.base_mib) * 1048576.0 / (double)conc[c], cr.rss_mib,
		       cr.base_mib);
	}

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
	double sg_cpu, sg_rss;
	run_simgrid(argv[0], scale, ks, NK, sg, &sg_cpu, &sg_rss);
	for (int c = 0; c < NK; c++)
		if (sg[c] > 0)
			printf("gaiasim/simgrid flows per wall second, %d per round: %.1fx "
			       "(%.3g vs %.3g; target >= 20x: %s)\n", ks[c] * NR * (NR - 1),
			       mine[c] / sg[c], mine[c], sg[c], mine[c] >= 20 * sg[c] ? "met" : "NOT met");
	if (sg_cpu > 0)
		printf("simgrid/gaiasim CPU on random traffic: %.1fx (%.3f s vs %.3f s; target >= 10x: "
		       "%s); peak RSS %.1f MiB vs %.1f MiB\n", sg_cpu / rr.cpu_s, sg_cpu, rr.cpu_s,
		       sg_cpu >= 10 * rr.cpu_s ? "met" : "NOT met", sg_rss, rr.rss_mib);

	/* Part 2. */
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
