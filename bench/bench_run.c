/*
 * Training-run benchmarks: what a whole simulated run costs, measured against the SGD work it
 * contains.
 *
 *   overhead  For each sync model (bsp, gaia, lan) on ec2-11 with 2 machines per region and
 *             workloads/mf-ec2-11.conf's workload (MF, 20,000 users, 2,000 items, 400,000
 *             ratings, rank 16, 100 clocks), the wall time of run_model() (cli/run.h:
 *             topology, data, sim, net, simulated transport, parameter servers) divided by the
 *             wall time of the same SGD work done alone: the same workload instance (same seed,
 *             same partition over the same 22 workers) created in this process, every worker's
 *             step() for every clock applied to ONE model array, no parameter server, network or
 *             simulator. Objective evaluations: eval.every is set above stop.clocks, so a run
 *             still evaluates every replica at clock 0, at the last clock and once more at the
 *             end (run_model's final figures); the bare run does the same number of objective +
 *             metric evaluations (3 per replica), so both sides include them. The ratio with the
 *             workload creation (data generation, partition) and the evaluations, as measured
 *             in the bare run, subtracted from both sides is printed too.
 *   events    Simulator events run per wall second in those 11-region runs.
 *   scaling   Wall time of a run (fewer clocks) as regions grow (2 = vc, 11 = ec2-11, 44 = a
 *             synthetic topology of 4 copies of the ec2-11 regions written to /tmp at bench
 *             time), as machines per region grow (1, 2, 4), and as the model grows (rank 8, 16,
 *             32); each point with its bare SGD time and the ratio, all measured in this run.
 *   workloads The overhead of each workload (mf, lda, ic) on small configs (set_workload), on
 *             ec2-11 with 2 machines per region, for bsp, gaia and lan, and the samples (work
 *             units: ratings, tokens, examples; the sum of step()'s returns) per wall second
 *             of the simulated run and of the bare run. Both sides evaluate the held-out metric
 *             as often as the objective when the workload has one.
 *
 * Usage: bench_run [scale]   (scale multiplies the clocks of every run; default 1)
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/benchutil.h"
#include "lib/xmalloc.h"
#include "topology/topology.h"
#include "lib/runcfg.h"
#include "cli/run.h"
#include "workloads/workload.h"

/* The overhead target of the issue: simulated run wall / bare SGD wall. */
#define TARGET_RATIO 1.15
/* Copies of ec2-11's regions in the synthetic topology (4 x 11 = 44 regions). */
#define SYNTH_COPIES 4

/* One benchmark point: a run configuration. */
struct point {
	const char *topo;   /* topology name or path */
	int nregions;       /* regions in it */
	int machines;       /* machines per region */
	int rank;           /* mf.rank (mf only) */
	const char *sync;   /* sync model spec */
	int64_t clocks;     /* stop.clocks */
	const char *wl;     /* workload: "mf", "lda" or "ic" (set_workload) */
};

/* What was measured for a point. */
struct figures {
	double sim_s;        /* wall time of run_model, s */
	double bare_s;       /* wall time of the bare SGD (create + steps + evaluations), s */
	double create_s;     /* of bare_s: workload creation (data generation, partition), s */
	double eval_s;       /* of bare_s: objective + metric evaluations, s */
	int evals;           /* objective + metric evaluation pairs on each side */
	uint64_t events;     /* simulator events */
	double simulated_s;  /* simulated time at the end of the run, s */
	double final_obj;    /* final objective of the simulated run */
	double bare_obj;     /* final objective of the bare model */
	double samples;      /* work units of all steps of the bare run (ratings, tokens,
	                      * examples): the same units the simulated run processes */
	int workers;         /* workers (machines) */
};

static void set(struct runcfg *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set(struct runcfg *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (runcfg_set(c, buf) < 0) {
		fprintf(stderr, "bench_run: bad setting '%s'\n", buf);
		exit(1);
	}
}

/*
 * The workload keys. mf: those of workloads/mf-ec2-11.conf with the point's rank. lda: the
 * generator's defaults (2,000 documents of ~100 tokens, W = 1,000) with K = 20, a fifth of the
 * documents of workloads/lda-ec2-11.conf. ic: the MLP 784-128-10 of workloads/ic-ec2-11.conf on
 * synthetic data of Fashion-MNIST's shape (784 features, 10 classes; 20,000 training and 2,000
 * test examples), so that the benchmark needs no data package.
 */
static void set_workload(struct runcfg *c, const struct point *p)
{
	set(c, "seed=1");
	if (!strcmp(p->wl, "lda")) {
		set(c, "workload=lda");
		set(c, "lda.docs=2000");
		set(c, "lda.topics=20");
	} else if (!strcmp(p->wl, "ic")) {
		set(c, "workload=ic");
		set(c, "ic.data=synthetic");
		set(c, "ic.features=784");
		set(c, "ic.classes=10");
		set(c, "ic.synth_train=20000");
		set(c, "ic.synth_test=2000");
		set(c, "ic.model=mlp");
		set(c, "ic.hidden=128");
		set(c, "ic.lr=0.1");
		set(c, "ic.eval_sample=2000");
	} else {
		set(c, "workload=mf");
		set(c, "mf.users=20000");
		set(c, "mf.items=2000");
		set(c, "mf.ratings=400000");
		set(c, "mf.rank=%d", p->rank);
	}
}

/* A run configuration for p (what `gaiasim run` would read from a file). */
static struct runcfg *run_config(const struct point *p)
{
	struct runcfg *c = runcfg_new();
	set(c, "topology=%s", p->topo);
	set(c, "machines=%d", p->machines);
	set(c, "sync=%s", p->sync);
	set(c, "stop.clocks=%lld", (long long)p->clocks);
	set(c, "eval.every=%lld", (long long)(p->clocks + 1000000));
	set_workload(c, p);
	return c;
}

/* Replicas the sync model keeps: one per region for Gaia, one global model otherwise. */
static int replicas(const struct point *p)
{
	return strncmp(p->sync, "gaia", 4) == 0 ? p->nregions : 1;
}

/* The simulated run. Exits on error. */
static void time_sim(const struct point *p, struct figures *f)
{
	struct runcfg *c = run_config(p);
	double *obj = NULL, *tm = NULL;
	int64_t *ck = NULL;
	size_t n = 0;
	struct run_opts o = { .kind = "run", .target = NAN, .traj_objective = &obj,
	                      .traj_time_s = &tm, .traj_clock = &ck, .traj_n = &n };
	struct run_result r;
	double t0 = bench_now_s();
	if (run_model(c, NULL, &o, &r) < 0) {
		fprintf(stderr, "bench_run: run_model failed (%s on %s)\n", p->sync, p->topo);
		exit(1);
	}
	f->sim_s = bench_now_s() - t0;
	/* Evaluated clocks: 0 and the last one (eval.every > stop.clocks), then the final figures. */
	if (n != 2 || r.clocks != p->clocks) {
		fprintf(stderr, "bench_run: expected evaluations at clocks 0 and %lld, got %zu (%lld "
		        "clocks run)\n", (long long)p->clocks, n, (long long)r.clocks);
		exit(1);
	}
	f->evals = replicas(p) * (int)(n + 1);
	f->events = r.events;
	f->simulated_s = r.end_s;
	f->final_obj = r.final_objective;
	f->workers = r.machines;
	free(obj);
	free(tm);
	free(ck);
	runcfg_free(c);
}

/*
 * The same SGD work alone: the workload created as run_model creates it (same workers, same
 * regions, same seed), every worker's step() for every clock applied to one model, and the same
 * number of evaluations. Best of `reps`.
 */
static void time_bare(const struct point *p, int reps, struct figures *f)
{
	f->bare_s = f->create_s = f->eval_s = 1e300;
	for (int rep = 0; rep < reps; rep++) {
		struct runcfg *c = runcfg_new();
		set_workload(c, p);
		int nw = p->nregions * p->machines;
		int *region = xmalloc((size_t)nw * sizeof *region);
		for (int w = 0; w < nw; w++)
			region[w] = w / p->machines;
		const struct workload_ops *ops = workload_find(p->wl);
		double t0 = bench_now_s();
		struct workload *w = ops->create(c, nw, region, p->nregions, 1);
		if (!w) {
			fprintf(stderr, "bench_run: cannot create the workload\n");
			exit(1);
		}
		double t1 = bench_now_s();
		size_t rl = ops->row_len(w), np = ops->nrows(w) * rl;
		double *model = xmalloc(np * sizeof *model);
		ops->init_model(w, model);
		if (ops->reset_local)
			ops->reset_local(w);
		struct wl_update u;
		wl_update_init(&u);
		double samples = 0;
		for (int64_t ck = 0; ck < p->clocks; ck++)
			for (int k = 0; k < nw; k++) {
				samples += (double)ops->step(w, k, ck, model, &u);
				for (size_t i = 0; i < u.nrows; i++) {
					double *x = model + (size_t)u.rows[i] * rl;
					const double *d = u.vals + i * rl;
					for (size_t t = 0; t < rl; t++)
						x[t] += d[t];
				}
			}
		double t2 = bench_now_s(), obj = 0;
		for (int e = 0; e < f->evals; e++) {
			obj = ops->objective(w, model);
			obj += 0 * ops->metric(w, model);
			if (ops->test_metric)
				obj += 0 * ops->test_metric(w, model);
		}
		double t3 = bench_now_s();
		if (t3 - t0 < f->bare_s) {
			f->bare_s = t3 - t0;
			f->create_s = t1 - t0;
			f->eval_s = t3 - t2;
		}
		f->bare_obj = obj;
		f->samples = samples;
		wl_update_free(&u);
		free(model);
		ops->destroy(w);
		free(region);
		runcfg_free(c);
	}
}

/* Ratio of the whole run to the whole bare run. */
static double ratio_full(const struct figures *f)
{
	return f->sim_s / f->bare_s;
}

/* Ratio with the workload creation and the evaluations (bare-run times) taken off both sides. */
static double ratio_core(const struct figures *f)
{
	double fixed = f->create_s + f->eval_s;
	return (f->sim_s - fixed) / (f->bare_s - fixed);
}

/*
 * Write the synthetic 44-region topology: SYNTH_COPIES copies of every ec2-11 region (copy k of
 * "tokyo" is "tokyo-k", code "ap-northeast-1-k"). Between copies of different regions a and b:
 * ec2-11's link a -> b (bandwidth, RTT) and price. Between two copies of the same region a: the
 * bandwidth of a's fastest outgoing ec2-11 link and the RTT of its shortest, priced as a's
 * cheapest destination (two nearby data centers of one geography). Machines and LAN as ec2-11.
 * Returns 0, or -1 with a message.
 */
static int write_synth(const char *path)
{
	struct topology *t = topology_load("ec2-11");
	if (!t)
		return -1;
	FILE *fp = fopen(path, "w");
	if (!fp) {
		perror(path);
		topology_free(t);
		return -1;
	}
	int n = t->n;
	fprintf(fp, "# Written by bench/bench_run.c: %d copies of the regions of ec2-11 (%s).\n",
	        SYNTH_COPIES, t->sha256);
	fprintf(fp, "topology ec2-%d-synthetic\n", n * SYNTH_COPIES);
	for (int k = 0; k < SYNTH_COPIES; k++)
		for (int a = 0; a < n; a++)
			fprintf(fp, "region %s-%d %s-%d %s copy %d\n", t->regions[a].name, k,
			        t->regions[a].code, k, t->regions[a].city, k);
	fprintf(fp, "machines * %d %.17g\n", t->regions[0].machines, t->regions[0].nic_bps);
	fprintf(fp, "lan * %.17g %.17g\n", t->regions[0].lan_bps, t->regions[0].lan_rtt_s * 1e3);
	for (int k = 0; k < SYNTH_COPIES; k++)
		for (int a = 0; a < n; a++)
			for (int j = 0; j < SYNTH_COPIES; j++)
				for (int b = 0; b < n; b++) {
					if (a == b && k == j)
						continue;
					double bw = 0, rtt = 1e300, usd = 1e300;
					if (a != b) {
						bw = t->bw_bps[a * n + b];
						rtt = t->rtt_s[a * n + b];
						usd = t->usd_per_gb[a * n + b];
					} else {
						for (int c = 0; c < n; c++) {
							if (c == a)
								continue;
							bw = fmax(bw, t->bw_bps[a * n + c]);
							rtt = fmin(rtt, t->rtt_s[a * n + c]);
							usd = fmin(usd, t->usd_per_gb[a * n + c]);
						}
					}
					fprintf(fp, "link %s-%d %s-%d %.17g %.17g\n", t->regions[a].name, k,
					        t->regions[b].name, j, bw, rtt * 1e3);
					fprintf(fp, "price %s-%d %s-%d %.17g\n", t->regions[a].name, k,
					        t->regions[b].name, j, usd);
				}
	int rc = fclose(fp) == 0 ? 0 : -1;
	if (rc < 0)
		perror(path);
	topology_free(t);
	return rc;
}

static void measure(const struct point *p, int reps, struct figures *f)
{
	memset(f, 0, sizeof *f);
	time_sim(p, f);
	time_bare(p, reps, f);
}

static void overhead(double scale)
{
	static const char *const syncs[] = { "bsp", "gaia", "lan" };
	int64_t clocks = (int64_t)llround(100 * scale);
	if (clocks < 1)
		clocks = 1;
	printf("\n# overhead: ec2-11, 2 machines per region (22 workers), mf rank 16, %lld clocks;\n"
	       "# sim = run_model wall; bare = the same workload's steps on one model (best of 3);\n"
	       "# both include workload creation and the same objective+metric evaluations\n"
	       "# (3 per replica); 'core' takes creation and evaluations (bare times) off both\n",
	       (long long)clocks);
	printf("%-6s %8s %8s %8s %8s %6s %9s %9s %11s %12s %10s\n", "sync", "sim_s", "bare_s",
	       "create_s", "eval_s", "evals", "ratio", "core", "events", "events/s", "simul_s");
	for (size_t i = 0; i < sizeof syncs / sizeof *syncs; i++) {
		struct point p = { "ec2-11", 11, 2, 16, syncs[i], clocks, "mf" };
		struct figures f;
		measure(&p, 3, &f);
		printf("%-6s %8.3f %8.3f %8.3f %8.3f %6d %9.2f %9.2f %11llu %12.4g %10.3f\n", p.sync,
		       f.sim_s, f.bare_s, f.create_s, f.eval_s, f.evals, ratio_full(&f), ratio_core(&f),
		       (unsigned long long)f.events, (double)f.events / f.sim_s, f.simulated_s);
		printf("overhead %s: sim/bare %.2f (core %.2f), target <= %.2f: %s; "
		       "%.4g events per wall second\n", p.sync, ratio_full(&f), ratio_core(&f),
		       TARGET_RATIO, ratio_full(&f) <= TARGET_RATIO ? "met" : "MISSED",
		       (double)f.events / f.sim_s);
		fflush(stdout);
	}
}

static void scaling(double scale)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/gaiasim-bench-44-%ld.topo", (long)getpid());
	if (write_synth(path) < 0) {
		fprintf(stderr, "bench_run: cannot write the synthetic topology %s\n", path);
		exit(1);
	}
	int64_t clocks = (int64_t)llround(40 * scale);
	if (clocks < 1)
		clocks = 1;
	static const char *const syncs[] = { "bsp", "gaia" };
	/* grid[REF] is the point the others are compared with (the "x ref" column). */
	enum { REF = 1 };
	const struct point grid[] = {
		/* regions */
		{ "vc", 2, 1, 16, NULL, clocks, "mf" },
		{ "ec2-11", 11, 1, 16, NULL, clocks, "mf" },
		{ path, 44, 1, 16, NULL, clocks, "mf" },
		/* machines per region */
		{ "ec2-11", 11, 2, 16, NULL, clocks, "mf" },
		{ "ec2-11", 11, 4, 16, NULL, clocks, "mf" },
		/* model size */
		{ "ec2-11", 11, 1, 8, NULL, clocks, "mf" },
		{ "ec2-11", 11, 1, 32, NULL, clocks, "mf" },
	};
	printf("\n# scaling: %lld clocks, same data (400,000 ratings) whatever the workers; bare = "
	       "the same steps on one model\n# (best of 2); ratio, core as above; x ref = sim_s / sim_s of the 11-region, "
	       "1-machine, rank-16 run of the same sync model;\n# synthetic 44-region topology: %s\n",
	       (long long)clocks, path);
	printf("%-6s %7s %8s %5s %7s %8s %8s %7s %7s %7s %10s %11s %9s\n", "sync", "regions",
	       "machines", "rank", "workers", "sim_s", "bare_s", "ratio", "core", "x ref", "events",
	       "events/s", "simul_s");
	enum { NGRID = sizeof grid / sizeof *grid };
	for (size_t s = 0; s < sizeof syncs / sizeof *syncs; s++) {
		struct figures f[NGRID];
		for (size_t i = 0; i < NGRID; i++) {
			struct point p = grid[i];
			p.sync = syncs[s];
			measure(&p, 2, &f[i]);
		}
		for (size_t i = 0; i < NGRID; i++)
			printf("%-6s %7d %8d %5d %7d %8.3f %8.3f %7.2f %7.2f %7.2f %10llu %11.4g %9.3f\n",
			       syncs[s], grid[i].nregions, grid[i].machines, grid[i].rank, f[i].workers,
			       f[i].sim_s, f[i].bare_s, ratio_full(&f[i]), ratio_core(&f[i]),
			       f[i].sim_s / f[REF].sim_s,
			       (unsigned long long)f[i].events, (double)f[i].events / f[i].sim_s,
			       f[i].simulated_s);
		fflush(stdout);
	}
	unlink(path);
}

/* Part 3: every workload's overhead and samples per wall second on its small config. */
static void workloads(double scale)
{
	static const char *const wls[] = { "mf", "lda", "ic" };
	static const int base_clocks[] = { 20, 10, 20 }; /* mf, lda, ic */
	static const char *const syncs[] = { "bsp", "gaia", "lan" };
	printf("\n# workloads: ec2-11, 2 machines per region (22 workers); small configs (bench_run.c\n"
	       "# set_workload): mf 400,000 ratings rank 16, 20 clocks; lda 2,000 docs W 1,000 K 20,\n"
	       "# 10 clocks (sweeps); ic synthetic 784x10, 20,000 examples, MLP 128, 20 clocks.\n"
	       "# samples = work units of all steps (ratings, tokens, examples); samples/s = samples /\n"
	       "# wall s of the simulated run (sim) and of the bare steps (bare, best of 2)\n");
	printf("%-4s %-5s %8s %8s %8s %8s %8s %12s %12s %12s\n", "wl", "sync", "sim_s", "bare_s",
	       "ratio", "core", "evals", "samples", "sim_smp/s", "bare_smp/s");
	for (size_t w = 0; w < sizeof wls / sizeof *wls; w++)
		for (size_t i = 0; i < sizeof syncs / sizeof *syncs; i++) {
			int64_t clocks = (int64_t)llround(base_clocks[w] * scale);
			struct point p = { "ec2-11", 11, 2, 16, syncs[i], clocks < 1 ? 1 : clocks, wls[w] };
			struct figures f;
			measure(&p, 2, &f);
			printf("%-4s %-5s %8.3f %8.3f %8.2f %8.2f %8d %12.0f %12.4g %12.4g\n", p.wl, p.sync,
			       f.sim_s, f.bare_s, ratio_full(&f), ratio_core(&f), f.evals, f.samples,
			       f.samples / f.sim_s, f.samples / (f.bare_s - f.create_s - f.eval_s));
			printf("workload %s %s: sim/bare %.2f (core %.2f); %.4g samples per wall second "
			       "simulated\n", p.wl, p.sync, ratio_full(&f), ratio_core(&f),
			       f.samples / f.sim_s);
			fflush(stdout);
		}
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1;
	if (!(scale > 0)) {
		fprintf(stderr, "usage: bench_run [scale > 0]\n");
		return 2;
	}
	bench_print_machine("bench_run");
	double t0 = bench_now_s();
	overhead(scale);
	scaling(scale);
	workloads(scale);
	printf("# bench_run: %.1f s in all\n", bench_now_s() - t0);
	return 0;
}
