/*
 * Tests of the consistency models through the parameter-server engine (ps/ps.c, ps/sync_ps.c,
 * ps/sync_gaia.c) on the simulated transport. A purpose-built "counting" workload makes
 * visibility observable: one row per worker, the model starts at all ones, worker w adds a
 * known delta to its own row every clock, and every step records the whole view it was given
 * and the simulated time it started. A row's value in a view then says exactly how many of its
 * owner's updates the view contains, and the expected counts follow from the models' rules:
 *  - clocks are counted as "clocks completed"; a worker about to compute with c clocks
 *    completed reads for clock c the rows its cache does not hold fresh enough (a copy served
 *    at shard clock k is used while k >= c - bound; bsp and gaia's local bsp refetch every
 *    row each clock); shards apply the pushes of clock c once every worker of the replica has
 *    pushed it (async: on receipt);
 *  - bsp: a view at clock c holds exactly c updates of every worker; ssp:S: at least c - S;
 *    async: whatever has arrived;
 *  - gaia: per-region replicas; a read(c) also needs every other region's mirror clock >= c -
 *    slack; the significance filter holds small updates back; the selective barrier holds reads
 *    of exactly the rows of a batch in flight.
 * Clusters are assembled by the cluster builder (cli/cluster.h), as `gaiasim run` does.
 * Topologies: tests/data/sync/ (round numbers so that times can be worked by hand). Reference
 * compute is 10 ms per clock (10 units of 1 ms); a node's speed factor multiplies it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cluster.h"
#include "ps/ps.h"
#include "ps/sync.h"
#include "lib/xmalloc.h"
#include "tests/testutil.h"
#include "topology/topology.h"
#include "lib/runcfg.h"
#include "workloads/workload.h"

#define MAXW 8                  /* most workers in a test */
#define MAXR 4                  /* most regions */
#define UNITS_PER_CLOCK 10      /* work units a step reports */
#define NS_PER_UNIT 1e6         /* 1 ms per unit: 10 ms per clock at speed 1 */
#define NS_PER_CLOCK INT64_C(10000000)

/* ---- the counting workload ---- */

struct workload {
	int nworkers;            /* workers; worker w owns row w */
	size_t nrows;            /* rows: one per worker, then any extra rows */
	size_t row_len;          /* values per row */
	size_t np;               /* nrows * row_len parameters */
	int64_t maxc;            /* clocks recorded per worker */
	double delta;            /* constant mode: added to each value of the worker's own row */
	int (*upd_row)(int w, int64_t c); /* row worker w updates at clock c, -1 none; NULL: w */
	int dynamic;             /* 1: the update depends on the view (a small dynamical system) */
	int (*reads)(int w, int64_t c, size_t row); /* rows a step reads; NULL: all */
	const struct cluster *cl; /* for timestamps */
	uint32_t *rowbuf;        /* nworkers * nrows: rows_needed buffers */
	double *views;           /* nworkers * maxc * np: the view of each (worker, clock) */
	uint8_t *seen;           /* nworkers * maxc: 1 once the step ran */
	sim_time_t *start;       /* nworkers * maxc: when the step ran, ns */
};

static size_t wl_nrows(const struct workload *w)
{
	return w->nrows;
}

static size_t wl_row_len(const struct workload *w)
{
	return w->row_len;
}

static void wl_init_model(const struct workload *w, double *p)
{
	for (size_t i = 0; i < w->np; i++)
		p[i] = 1.0;
}

static uint64_t wl_step(struct workload *w, int worker, int64_t clock, const double *model,
                        struct wl_update *out)
{
	CU_ASSERT_FATAL(clock >= 0 && clock < w->maxc);
	size_t k = (size_t)worker * (size_t)w->maxc + (size_t)clock;
	CU_ASSERT(!w->seen[k]); /* each (worker, clock) runs once */
	w->seen[k] = 1;
	w->start[k] = cluster_now(w->cl);
	memcpy(w->views + k * w->np, model, w->np * sizeof *model);
	out->nrows = 0;
	int row = w->upd_row ? w->upd_row(worker, clock) : worker;
	if (row < 0)
		return UNITS_PER_CLOCK;
	size_t rl = w->row_len;
	wl_update_reserve(out, 1, rl);
	out->nrows = 1;
	out->rows[0] = (uint32_t)row;
	const double *own = model + (size_t)row * rl;
	if (w->dynamic) {
		/* Pull toward the mean of everything read, plus a worker-specific nonlinear drive. */
		double mean = 0;
		for (size_t i = 0; i < w->np; i++)
			mean += model[i];
		mean /= (double)w->np;
		for (size_t j = 0; j < rl; j++)
			out->vals[j] = 0.3 * (mean - own[j]) + 0.05 * (worker + 1) * cos(own[j] + 0.1 * (double)j);
	} else {
		for (size_t j = 0; j < rl; j++)
			out->vals[j] = w->delta;
	}
	return UNITS_PER_CLOCK;
}

static size_t wl_rows_needed(struct workload *w, int worker, int64_t clock, const uint32_t **rows)
{
	uint32_t *buf = w->rowbuf + (size_t)worker * w->nrows;
	size_t n = 0;
	for (int r = 0; r < (int)w->nrows; r++)
		if (!w->reads || w->reads(worker, clock, (size_t)r))
			buf[n++] = (uint32_t)r;
	*rows = buf;
	return n;
}

/* Sum of squares of the parameters. */
static double wl_objective(const struct workload *w, const double *p)
{
	double s = 0;
	for (size_t i = 0; i < w->np; i++)
		s += p[i] * p[i];
	return s;
}

/* Sum of the parameters. */
static double wl_metric(const struct workload *w, const double *p)
{
	double s = 0;
	for (size_t i = 0; i < w->np; i++)
		s += p[i];
	return s;
}

static double wl_learning_rate(const struct workload *w, int64_t clock)
{
	(void)w;
	(void)clock;
	return 1.0;
}

static double wl_ns_per_unit(const struct workload *w)
{
	(void)w;
	return NS_PER_UNIT;
}

static uint64_t wl_units(const struct workload *w, int worker)
{
	(void)w;
	(void)worker;
	return UNITS_PER_CLOCK;
}

static const struct workload_ops count_ops = {
	.name = "count",
	.metric_name = "sum",
	.nrows = wl_nrows,
	.row_len = wl_row_len,
	.init_model = wl_init_model,
	.step = wl_step,
	.rows_needed = wl_rows_needed,
	.objective = wl_objective,
	.metric = wl_metric,
	.learning_rate = wl_learning_rate,
	.ns_per_unit = wl_ns_per_unit,
	.units = wl_units,
};

/* ---- assembling and running a cluster ---- */

struct setup {
	const char *topo;        /* file in tests/data/sync/ */
	int machines;            /* machines per region */
	const char *sync;        /* model spec: bsp, ssp:S, async, lan, gaia */
	const char *keys[10];    /* config assignments (gaia.*), NULL-terminated */
	double speed[MAXW];      /* per node compute factor (0: 1) */
	int64_t clocks;          /* clocks per worker */
	size_t row_len;          /* values per row (0: 1) */
	double delta;            /* constant update */
	size_t extra_rows;       /* rows beyond one per worker */
	int (*upd_row)(int w, int64_t c); /* see struct workload */
	int dynamic;             /* view-dependent updates */
	int (*reads)(int w, int64_t c, size_t row); /* rows read; NULL: all */
	int drain;               /* 1: run until every message is delivered; 0: stop at finish */
};

struct run {
	struct workload wl;      /* the workload and its records */
	struct topology *topo;   /* topology */
	struct runcfg *cfg;      /* model parameters' source */
	void *sp;                /* parsed model parameters */
	const struct sync_ops *sync; /* model */
	struct cluster *c;       /* cluster */
	struct ps *ps;           /* its parameter server */
	int nregions;            /* regions */
	int nnodes;              /* nodes = workers */
	int machines[MAXR];      /* per region (where the data is) */
	int node_region[MAXW];   /* region each node is placed in */
	int data_region[MAXW];   /* region of each worker's data */
	double speed[MAXW];      /* per node compute factor */
	sim_time_t end;          /* simulated time at the end */
};

static struct run *run_new(const struct setup *su)
{
	char rel[256];
	snprintf(rel, sizeof rel, "sync/%s", su->topo);
	struct topology *topo = topology_load(testutil_data(rel));
	CU_ASSERT_PTR_NOT_NULL_FATAL(topo);
	struct run *r = xcalloc(1, sizeof *r);
	r->topo = topo;
	r->nregions = r->topo->n;
	CU_ASSERT_FATAL(r->nregions <= MAXR && r->nregions * su->machines <= MAXW);
	const char *arg;
	r->sync = sync_find(su->sync, &arg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->sync);
	r->cfg = runcfg_new();
	for (int i = 0; su->keys[i]; i++)
		CU_ASSERT_FATAL(runcfg_set(r->cfg, su->keys[i]) == 0);
	r->sp = r->sync->parse(arg, r->cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->sp);
	CU_ASSERT_FATAL(runcfg_check_unused(r->cfg) == 0); /* every key was read */
	for (int q = 0, n = 0; q < r->nregions; q++) {
		r->machines[q] = su->machines;
		for (int m = 0; m < su->machines; m++, n++) {
			r->data_region[n] = q;
			r->speed[n] = su->speed[n] > 0 ? su->speed[n] : 1.0;
		}
	}
	r->nnodes = r->nregions * su->machines;

	struct workload *w = &r->wl;
	w->nworkers = r->nnodes;
	w->row_len = su->row_len ? su->row_len : 1;
	w->nrows = (size_t)w->nworkers + su->extra_rows;
	w->np = w->nrows * w->row_len;
	w->maxc = su->clocks;
	w->delta = su->delta;
	w->upd_row = su->upd_row;
	w->dynamic = su->dynamic;
	w->reads = su->reads;
	size_t nk = (size_t)w->nworkers * (size_t)w->maxc;
	w->rowbuf = xcalloc((size_t)w->nworkers * w->nrows, sizeof *w->rowbuf);
	w->views = xcalloc(nk * w->np, sizeof *w->views);
	w->seen = xcalloc(nk, 1);
	w->start = xcalloc(nk, sizeof *w->start);

	struct cluster_config cc = {
		.topo = r->topo,
		.machines = r->machines,
		.sync = r->sync,
		.sync_params = r->sp,
		.wl_ops = &count_ops,
		.wl = w,
		.speed = r->speed,
		.transport = "sim",
		.seed = 1,
		.max_clocks = su->clocks,
		.eval_every = 1,
		.target = NAN,
		.time_limit = SIMTIME_NEVER,
		.value_bytes = 4,
		.index_bytes = 4,
		.header_bytes = 64,
		.drain = su->drain,
	};
	r->c = cluster_new(&cc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->c);
	r->ps = cluster_ps(r->c);
	w->cl = r->c;
	for (int n = 0; n < r->nnodes; n++)
		r->node_region[n] = cluster_node_region(r->c, n);
	cluster_run(r->c, SIMTIME_NEVER);
	r->end = cluster_now(r->c);
	CU_ASSERT(cluster_finished(r->c));
	for (size_t k = 0; k < nk; k++)
		CU_ASSERT(w->seen[k]); /* every worker ran every clock */
	return r;
}

static void run_free(struct run *r)
{
	if (!r)
		return;
	cluster_free(r->c);
	free(r->sp);
	runcfg_free(r->cfg);
	topology_free(r->topo);
	free(r->wl.rowbuf);
	free(r->wl.views);
	free(r->wl.seen);
	free(r->wl.start);
	free(r);
}

/* ---- reading the records ---- */

static const double *view(const struct run *r, int w, int64_t c)
{
	return r->wl.views + ((size_t)w * (size_t)r->wl.maxc + (size_t)c) * r->wl.np;
}

static sim_time_t start_at(const struct run *r, int w, int64_t c)
{
	return r->wl.start[(size_t)w * (size_t)r->wl.maxc + (size_t)c];
}

/* When worker w finished computing clock c (its push leaves then). */
static sim_time_t end_at(const struct run *r, int w, int64_t c)
{
	return start_at(r, w, c) + (sim_time_t)llround((double)NS_PER_CLOCK * r->speed[w]);
}

/* Clocks worker w had completed by time t. */
static int64_t done_by(const struct run *r, int w, sim_time_t t)
{
	int64_t k = 0;
	while (k < r->wl.maxc && end_at(r, w, k) <= t)
		k++;
	return k;
}

/* Clocks every worker of data region q had completed by time t. */
static int64_t region_done_by(const struct run *r, int q, sim_time_t t)
{
	int64_t m = INT64_MAX;
	for (int w = 0; w < r->nnodes; w++)
		if (r->data_region[w] == q) {
			int64_t d = done_by(r, w, t);
			if (d < m)
				m = d;
		}
	return m;
}

/*
 * Number of updates of `row` in the view of (w, c), for constant-delta runs: the k such that
 * every value of the row is exactly 1 + k * delta; -1 if the row is not of that form.
 */
static int64_t count_in(const struct run *r, int w, int64_t c, int row)
{
	const double *v = view(r, w, c) + (size_t)row * r->wl.row_len;
	double d = r->wl.delta;
	double kf = nearbyint((v[0] - 1.0) / d);
	for (size_t j = 0; j < r->wl.row_len; j++)
		if (v[j] != 1.0 + kf * d)
			return -1;
	return (int64_t)kf;
}

static double wait_of(const struct run *r, int w, enum ps_wait k)
{
	return cluster_stats(r->c)->wait_s[(size_t)w * PS_WAIT_NKINDS + (size_t)k];
}

static double wan_msgs(const struct run *r, int a, int b, enum msg_kind k)
{
	return cluster_stats(r->c)->wan_msgs[((size_t)a * (size_t)r->nregions + (size_t)b) * MSG_NKINDS + k];
}

/* ---- baseline models: one global replica over 2 regions x 2 machines ---- */

/* Four workers, node 3 three times slower than the others. */
static struct setup baseline(const char *sync, int64_t clocks)
{
	struct setup su = {
		.topo = "two.topo", .machines = 2, .sync = sync, .clocks = clocks, .delta = 1,
	};
	su.speed[3] = 3;
	return su;
}

enum { SLOW = 3 };

static void test_bsp(void)
{
	struct setup su = baseline("bsp", 8);
	struct run *r = run_new(&su);
	for (int w = 0; w < r->nnodes; w++)
		for (int64_t c = 0; c < 8; c++) {
			/* Exactly c updates of every worker: all of clocks < c, none of clock c. */
			for (int row = 0; row < r->nnodes; row++)
				CU_ASSERT_EQUAL(count_in(r, w, c, row), c);
			/* The barrier in time: nobody starts clock c before everyone finished c - 1. */
			for (int v = 0; v < r->nnodes && c > 0; v++)
				CU_ASSERT(start_at(r, w, c) >= end_at(r, v, c - 1));
		}
	for (int w = 0; w < r->nnodes; w++) {
		if (w != SLOW)
			CU_ASSERT(wait_of(r, w, PS_WAIT_BSP) > 0.1); /* ~20 ms per clock for the slow one */
		CU_ASSERT_EQUAL(wait_of(r, w, PS_WAIT_SSP), 0);
		CU_ASSERT_EQUAL(wait_of(r, w, PS_WAIT_MIRROR), 0);
		CU_ASSERT_EQUAL(wait_of(r, w, PS_WAIT_BARRIER), 0);
		CU_ASSERT_EQUAL(cluster_stats(r->c)->clocks[w], 8);
		/* Compute time is exactly 8 clocks x 10 ms x speed. */
		CU_ASSERT_DOUBLE_EQUAL(cluster_stats(r->c)->compute_s[w], 0.08 * r->speed[w], 1e-12);
	}
	/* The objective trajectory: at replica clock k every one of the 4 rows is 1 + k. */
	size_t ne;
	const struct ps_eval *ev = cluster_evals(r->c, &ne);
	CU_ASSERT_EQUAL(ne, 9);
	for (size_t i = 0; i < ne; i++) {
		CU_ASSERT_EQUAL(ev[i].clock, (int64_t)i);
		CU_ASSERT_EQUAL(ev[i].objective, 4.0 * (1.0 + (double)i) * (1.0 + (double)i));
		CU_ASSERT_EQUAL(ev[i].metric, 4.0 * (1.0 + (double)i));
	}
	/* Clock 0 needs no read (the cache holds the initial model). Then each clock takes the
	 * slow worker's 30 ms plus a WAN round trip (its push reaches region a's shards 10 ms
	 * later, its next read is answered 10 ms after that); the run ends when its last push
	 * arrives: 8 x 30 + 7 x 20 + 10 = 390 ms, plus bytes (~6 us per 72-byte message). */
	CU_ASSERT(r->end >= INT64_C(390000000));
	CU_ASSERT(r->end <= INT64_C(391000000));
	run_free(r);
}

static void test_ssp(void)
{
	enum { S = 2, C = 12 };
	struct setup su = baseline("ssp:2", C);
	struct run *r = run_new(&su);
	int stale_to_bound = 0, ahead = 0, at_bound = 0;
	for (int w = 0; w < r->nnodes; w++)
		for (int64_t c = 0; c < C; c++) {
			for (int row = 0; row < r->nnodes; row++) {
				int64_t k = count_in(r, w, c, row);
				/* Whole clocks only, at least c - S of them, never more than c. */
				CU_ASSERT(k >= c - S && k <= c);
				/* Read-my-writes: its own row holds all c of its own updates, even
				 * when a refetched copy was served before the latest of them. */
				if (row == w)
					CU_ASSERT_EQUAL(k, c);
				if (w != SLOW && row != w && k == c - S)
					stale_to_bound = 1;
			}
			/* In time: clock c starts only after everyone finished clock c - S - 1. */
			for (int v = 0; v < r->nnodes && c > S; v++)
				CU_ASSERT(start_at(r, w, c) >= end_at(r, v, c - S - 1));
			if (w != SLOW && done_by(r, SLOW, start_at(r, w, c)) < c)
				ahead = 1;
			if (w != SLOW && c > S && done_by(r, SLOW, start_at(r, w, c)) == c - S)
				at_bound = 1;
		}
	CU_ASSERT(stale_to_bound); /* some fast view was S clocks stale */
	CU_ASSERT(ahead);          /* fast workers started clocks the slow one had not finished */
	CU_ASSERT(at_bound);       /* ... as far ahead as the bound allows */
	for (int w = 0; w < r->nnodes; w++) {
		if (w != SLOW)
			CU_ASSERT(wait_of(r, w, PS_WAIT_SSP) > 0); /* and then held by it */
		CU_ASSERT_EQUAL(wait_of(r, w, PS_WAIT_BSP), 0);
		CU_ASSERT_EQUAL(wait_of(r, w, PS_WAIT_MIRROR), 0);
		CU_ASSERT_EQUAL(wait_of(r, w, PS_WAIT_BARRIER), 0);
	}
	run_free(r);
}

/*
 * async: a worker computes at once with its cache and refreshes it in the background; shards
 * apply pushes on receipt. Nothing ever waits, so every clock starts exactly 10 ms (fast) or
 * 30 ms (slow) after the previous one, and views hold whatever replies had arrived.
 */
static void test_async(void)
{
	enum { C = 12 };
	struct setup su = baseline("async", C);
	struct run *r = run_new(&su);
	int beyond_ssp = 0;
	for (int w = 0; w < r->nnodes; w++) {
		for (int64_t c = 0; c < C; c++) {
			sim_time_t t = start_at(r, w, c);
			CU_ASSERT_EQUAL(t, c * (w == SLOW ? 3 : 1) * NS_PER_CLOCK);
			for (int row = 0; row < r->nnodes; row++) {
				int64_t k = count_in(r, w, c, row);
				if (row == w) {
					/* Its own row: the worker adds its update to its cache at once, and
					 * the row's shard is on its own node, so every refresh already holds
					 * all its earlier pushes. */
					CU_ASSERT_EQUAL(k, c);
				} else {
					/* Whatever arrived, but nothing not yet computed. */
					CU_ASSERT(k >= 0 && k <= done_by(r, row, t));
				}
				/* Another fast worker's row lags by at most a WAN round trip plus a clock:
				 * a refresh sent at clock j is served 10 ms later (j + 1 updates in) and is
				 * back just after clock j + 2 started, so it is used from clock j + 3. */
				if (row != w && row != SLOW && w != SLOW && c >= 4)
					CU_ASSERT(k >= c - 2);
				if (row == SLOW && k >= 0 && k < c - 2)
					beyond_ssp = 1;
			}
		}
		for (int k = 0; k < PS_WAIT_NKINDS; k++)
			CU_ASSERT_EQUAL(wait_of(r, w, (enum ps_wait)k), 0); /* not even for the network */
	}
	CU_ASSERT(beyond_ssp); /* views staler than ssp:2 would allow */
	run_free(r);
}

/* lan: the same four workers placed in one region: BSP views, no WAN traffic. */
static void test_lan(void)
{
	struct setup su = baseline("lan", 6);
	struct run *r = run_new(&su);
	for (int w = 0; w < r->nnodes; w++) {
		CU_ASSERT_EQUAL(r->node_region[w], 0);
		for (int64_t c = 0; c < 6; c++)
			for (int row = 0; row < r->nnodes; row++)
				CU_ASSERT_EQUAL(count_in(r, w, c, row), c);
	}
	for (int a = 0; a < r->nregions; a++)
		for (int b = 0; b < r->nregions; b++)
			for (int k = 0; k < MSG_NKINDS; k++)
				if (a != b)
					CU_ASSERT_EQUAL(cluster_stats(r->c)->wan_bytes[((size_t)a * (size_t)r->nregions + (size_t)b) * MSG_NKINDS + (size_t)k], 0);
	CU_ASSERT(cluster_stats(r->c)->updates_pushed_wan == 0);
	/* As for bsp with the LAN's 0.2 ms RTT: 6 x 30 + 5 x 0.2 + 0.1 = 181.1 ms, plus bytes. */
	CU_ASSERT(r->end >= INT64_C(181100000) && r->end <= INT64_C(181200000));
	run_free(r);
}

/* ---- Gaia ---- */

/*
 * Mirror clock: 3 regions x 2 machines, region c three times slower. A read(c) in a region
 * needs every other region's mirror clock >= c - slack, i.e. that region's workers completed
 * c - slack clocks (MIRROR_CLOCK(k) leaves a shard once all its region's workers pushed k - 1).
 * With threshold 0 every update is sent, so a remote row's value counts whole clocks received.
 */
static void gaia_mirror(int64_t slack)
{
	enum { C = 10, SLOWR = 2 };
	char sl[32];
	snprintf(sl, sizeof sl, "gaia.slack=%lld", (long long)slack);
	struct setup su = {
		.topo = "three.topo", .machines = 2, .sync = "gaia", .clocks = C, .delta = 1,
		.drain = 1,
		.keys = { "gaia.threshold=0", "gaia.schedule=constant", sl },
	};
	su.speed[4] = su.speed[5] = 3;
	struct run *r = run_new(&su);
	CU_ASSERT_EQUAL(ps_nreplicas(r->ps), 3);
	int tight = 0, ahead = 0;
	for (int w = 0; w < r->nnodes; w++) {
		int mine = r->data_region[w];
		for (int64_t c = 0; c < C; c++) {
			sim_time_t t = start_at(r, w, c);
			for (int q = 0; q < r->nregions; q++) {
				if (q == mine)
					continue;
				int64_t d = region_done_by(r, q, t);
				CU_ASSERT(d >= c - slack); /* the mirror-clock rule */
				if (q == SLOWR && c > slack && d == c - slack)
					tight = 1;
				if (q == SLOWR && d < c)
					ahead = 1;
			}
			for (int row = 0; row < r->nnodes; row++) {
				int q = r->data_region[row];
				int64_t k = count_in(r, w, c, row);
				if (q == mine) {
					CU_ASSERT_EQUAL(k, c); /* local BSP */
				} else {
					CU_ASSERT(k >= c - slack && k <= region_done_by(r, q, t));
				}
			}
		}
		if (mine != SLOWR)
			CU_ASSERT(wait_of(r, w, PS_WAIT_MIRROR) > 0);
		CU_ASSERT_EQUAL(wait_of(r, w, PS_WAIT_SSP), 0);
		CU_ASSERT_EQUAL(wait_of(r, w, PS_WAIT_BARRIER), 0);
	}
	CU_ASSERT(tight);                /* fast regions ran exactly as far ahead as allowed */
	CU_ASSERT_EQUAL(ahead, slack > 0); /* ... which with slack 0 is not at all */
	/* Threshold 0: one filter record per (region, clock), everything produced is sent. */
	size_t nf;
	const struct ps_filter_rec *fr = cluster_filter_recs(r->c, &nf);
	CU_ASSERT_EQUAL(nf, (size_t)(3 * C));
	int have[3][C];
	memset(have, 0, sizeof have);
	for (size_t i = 0; i < nf; i++) {
		CU_ASSERT_FATAL(fr[i].region >= 0 && fr[i].region < 3 && fr[i].clock >= 0 && fr[i].clock < C);
		have[fr[i].region][fr[i].clock]++;
		CU_ASSERT_EQUAL(fr[i].produced, 2);
		CU_ASSERT_EQUAL(fr[i].sent, 2);
		CU_ASSERT_EQUAL(fr[i].threshold, 0);
	}
	for (int q = 0; q < 3; q++)
		for (int c = 0; c < C; c++)
			CU_ASSERT_EQUAL(have[q][c], 1);
	CU_ASSERT_EQUAL(cluster_stats(r->c)->updates_produced, 6 * C);
	CU_ASSERT_EQUAL(cluster_stats(r->c)->updates_sent, 6 * C);
	/* Drained: every replica holds all 10 updates of every row. */
	for (int q = 0; q < 3; q++) {
		double obj, met;
		ps_replica_eval(r->ps, q, &obj, &met);
		CU_ASSERT_EQUAL(met, 6.0 * (1 + C));
	}
	run_free(r);
}

static void test_gaia_mirror_slack0(void)
{
	gaia_mirror(0);
}

static void test_gaia_mirror_slack2(void)
{
	gaia_mirror(2);
}

/* Local SSP inside a region: gaia.local=ssp:1 with one slow machine in region a. */
static void test_gaia_local_ssp(void)
{
	enum { C = 10 };
	struct setup su = {
		.topo = "two.topo", .machines = 2, .sync = "gaia", .clocks = C, .delta = 1,
		.drain = 1,
		.keys = { "gaia.threshold=0", "gaia.schedule=constant", "gaia.slack=100",
		          "gaia.local=ssp:1" },
	};
	su.speed[1] = 3;
	struct run *r = run_new(&su);
	int stale = 0;
	for (int64_t c = 0; c < C; c++)
		for (int row = 0; row < 2; row++) {
			int64_t k = count_in(r, 0, c, row);
			CU_ASSERT(k >= c - 1 && k <= c);
			stale |= k == c - 1;
			/* read-my-writes, never counted twice: its own row holds exactly c */
			if (row == 0)
				CU_ASSERT_EQUAL(k, c);
		}
	CU_ASSERT(stale);
	CU_ASSERT(wait_of(r, 0, PS_WAIT_SSP) > 0);
	CU_ASSERT_EQUAL(wait_of(r, 0, PS_WAIT_BSP), 0);
	CU_ASSERT_EQUAL(wait_of(r, 0, PS_WAIT_MIRROR), 0);
	run_free(r);
}

/*
 * Local SSP must not loosen the bound between data centers: with gaia.local=ssp:2 and slack 0,
 * (and a worker still sees every one of its own updates, although the local shard serving it
 * may be 2 clocks behind and the cache rule, min(2, 0) = 0, keeps no cached row),
 * a worker of region a at clock c may see its own region's rows up to 2 clocks stale, but the
 * other region's rows must hold all c of their updates (threshold 0 sends every one), however
 * long ago the row was cached. Region b has a slow machine, so a's workers do run ahead locally.
 */
static void test_gaia_local_ssp_slack0(void)
{
	enum { C = 10 };
	struct setup su = {
		.topo = "two.topo", .machines = 2, .sync = "gaia", .clocks = C, .delta = 1,
		.drain = 1,
		.keys = { "gaia.threshold=0", "gaia.schedule=constant", "gaia.slack=0",
		          "gaia.local=ssp:2" },
	};
	su.speed[3] = 3;
	struct run *r = run_new(&su);
	for (int w = 0; w < 2; w++)
		for (int64_t c = 0; c < C; c++) {
			for (int row = 2; row < 4; row++)
				CU_ASSERT(count_in(r, w, c, row) >= c);
			for (int row = 0; row < 2; row++)
				CU_ASSERT(count_in(r, w, c, row) >= c - 2);
			CU_ASSERT_EQUAL(count_in(r, w, c, w), c); /* own row: exactly its c updates */
		}
	run_free(r);
}

static struct setup equiv(const char *sync, const char *slack)
{
	struct setup su = {
		.topo = "two.topo", .machines = 2, .sync = sync, .clocks = 8, .dynamic = 1,
		.drain = 1,
		.keys = { "gaia.threshold=0", "gaia.schedule=constant", slack },
	};
	return su;
}

/*
 * Gaia with threshold 0 and slack 0 on two regions is "fully synchronous replication": every
 * view equals BSP's view, bit for bit. A region's read(c) needs its own clock c (all its
 * workers' clock c-1 updates applied) and the other region's MIRROR_CLOCK(c), which travels
 * after that region's batch of clock c-1 on the same ordered channel, so the view has all
 * updates of clocks < c. It cannot hold any update of clock c: the other region's batch of
 * clock c follows its MIRROR_CLOCK(c) on that channel, and is sent only after its workers
 * computed clock c, which needed THIS region's MIRROR_CLOCK(c), sent when this region reached
 * clock c, i.e. no earlier than the read was sent; one WAN round trip plus a compute later it
 * cannot beat a read that crosses the LAN. (With three regions that argument fails: region B
 * can receive C's MIRROR_CLOCK(c) sooner than A does, compute clock c and deliver its batch to
 * A before A's read is released.) Each row is updated by one worker only, so the sums are the
 * same additions in the same order: the views are identical, not merely close.
 */
static void test_gaia_equals_bsp(void)
{
	struct setup sb = equiv("bsp", "gaia.slack=0");
	sb.keys[0] = sb.keys[1] = sb.keys[2] = NULL;
	struct setup sg = equiv("gaia", "gaia.slack=0");
	struct setup s1 = equiv("gaia", "gaia.slack=1");
	struct run *b = run_new(&sb), *g = run_new(&sg), *g1 = run_new(&s1);
	size_t n = (size_t)b->nnodes * 8 * b->wl.np;
	int same = 1, moved = 0, same1 = 1;
	for (size_t i = 0; i < n; i++) {
		same &= b->wl.views[i] == g->wl.views[i];
		same1 &= b->wl.views[i] == g1->wl.views[i];
	}
	for (size_t i = 0; i < b->wl.np; i++)
		moved |= view(b, 0, 7)[i] != 1.0;
	CU_ASSERT(moved);   /* the dynamics do something */
	CU_ASSERT(same);    /* identical per-clock views */
	CU_ASSERT(!same1);  /* and the comparison is sensitive: slack 1 lets views go stale */
	/* After draining, both Gaia replicas hold exactly BSP's final model. */
	double ob, mb;
	ps_replica_eval(b->ps, 0, &ob, &mb);
	for (int q = 0; q < 2; q++) {
		double o, m;
		ps_replica_eval(g->ps, q, &o, &m);
		CU_ASSERT_EQUAL(o, ob);
		CU_ASSERT_EQUAL(m, mb);
	}
	/* The objective trajectory of BSP's views (worker 0's view at clock c is the model at
	 * clock c) is then Gaia's too, clock for clock. */
	for (int64_t c = 0; c < 8; c++)
		for (int w = 0; w < b->nnodes; w++)
			CU_ASSERT_EQUAL(wl_objective(&g->wl, view(g, w, c)), wl_objective(&b->wl, view(b, 0, c)));
	run_free(b);
	run_free(g);
	run_free(g1);
}

/*
 * ... and why two: on three regions the same setting is not BSP. skew.topo puts b 5 ms from
 * a and from c, but a and c 100 ms apart (one way), one machine each, equal speeds. All reach
 * clock c together; b hears both MIRROR_CLOCK(c) 5 ms later, computes clock c (10 ms) and its
 * batch of clock c reaches a 5 ms after that, while a's read(c) still waits 100 ms for c's
 * MIRROR_CLOCK(c). So from clock 1 on, a's and c's views hold c + 1 updates of b's row
 * (exactly: b's next batch needs a's next mirror clock), c of the far region's and their own.
 * BSP on the same topology sees exactly c of everyone.
 */
static void test_gaia_three_regions(void)
{
	enum { C = 6 };
	struct setup sg = {
		.topo = "skew.topo", .machines = 1, .sync = "gaia", .clocks = C, .delta = 1,
		.drain = 1, .keys = { "gaia.threshold=0", "gaia.schedule=constant", "gaia.slack=0" },
	};
	struct setup sb = { .topo = "skew.topo", .machines = 1, .sync = "bsp", .clocks = C, .delta = 1 };
	struct run *g = run_new(&sg), *b = run_new(&sb);
	for (int64_t c = 0; c < C; c++)
		for (int w = 0; w < 3; w++)
			for (int row = 0; row < 3; row++) {
				CU_ASSERT_EQUAL(count_in(b, w, c, row), c);
				int64_t expect = row == 1 && w != 1 && c >= 1 ? c + 1 : c;
				CU_ASSERT_EQUAL(count_in(g, w, c, row), expect);
			}
	run_free(g);
	run_free(b);
}

/*
 * Significance filter through the engine: two regions x 1 machine, each worker adds 0.004 to
 * its own row (value 1) every clock, constant threshold 1%. At the clock boundary the local
 * copy takes the update and the accumulator grows: 0.004/1.004, 0.008/1.008 held,
 * 0.012/1.012 = 1.19% sent; then again every third clock (2, 5, 8). The other region sees the
 * row move only by the batches sent: its view at clock c holds floor(c / 3) x 0.012.
 */
static void gaia_filter(const char *apply)
{
	enum { C = 9 };
	struct setup su = {
		.topo = "two.topo", .machines = 1, .sync = "gaia", .clocks = C, .delta = 0.004,
		.drain = 1,
		.keys = { "gaia.threshold=0.01", "gaia.schedule=constant", "gaia.slack=0", apply },
	};
	struct run *r = run_new(&su);
	int significant_local = !strcmp(apply, "gaia.apply=significant");
	size_t nf;
	const struct ps_filter_rec *fr = cluster_filter_recs(r->c, &nf);
	CU_ASSERT_EQUAL(nf, 2 * C);
	for (size_t i = 0; i < nf; i++) {
		CU_ASSERT_EQUAL(fr[i].produced, 1);
		CU_ASSERT_EQUAL(fr[i].sent, fr[i].clock % 3 == 2);
		CU_ASSERT_DOUBLE_EQUAL(fr[i].threshold, 0.01, 0);
	}
	CU_ASSERT_EQUAL(cluster_stats(r->c)->updates_produced, 2 * C);
	CU_ASSERT_EQUAL(cluster_stats(r->c)->updates_sent, 2 * 3);
	CU_ASSERT_EQUAL(wan_msgs(r, 0, 1, MSG_MIRROR), 3);
	CU_ASSERT_EQUAL(wan_msgs(r, 1, 0, MSG_MIRROR), 3);
	CU_ASSERT_EQUAL(wan_msgs(r, 0, 1, MSG_MCLOCK), C);
	for (int w = 0; w < 2; w++)
		for (int64_t c = 0; c < C; c++) {
			const double *v = view(r, w, c);
			double sent = 1.0 + 0.012 * (double)(c / 3);
			double own = significant_local ? sent : 1.0 + 0.004 * (double)c;
			CU_ASSERT_DOUBLE_EQUAL(v[w], own, 1e-12);
			CU_ASSERT_DOUBLE_EQUAL(v[1 - w], sent, 1e-12);
		}
	run_free(r);
}

static void test_gaia_filter(void)
{
	gaia_filter("gaia.apply=immediate");
}

static void test_gaia_filter_apply_significant(void)
{
	gaia_filter("gaia.apply=significant");
}

/*
 * The filter compares the accumulated update with the parameter's value AFTER the clock's
 * update is applied (GAIA.md: "after a clock's local updates are applied ... |acc / value|").
 * One worker per region adds 0.0101 to its row (value 1) each clock, threshold 1%, apply =
 * immediate. Clock 0: 0.0101 / 1.0101 = 0.9999% (held; against the pre-update value 1 it
 * would be 1.01%, sent). Clock 1: 0.0202 / 1.0202 = 1.98%, sent. So sends alternate, starting
 * held: 5 of 10 clocks per region.
 */
static void test_gaia_filter_post_update(void)
{
	enum { C = 10 };
	struct setup su = {
		.topo = "two.topo", .machines = 1, .sync = "gaia", .clocks = C, .delta = 0.0101,
		.drain = 1,
		.keys = { "gaia.threshold=0.01", "gaia.schedule=constant", "gaia.slack=0",
		          "gaia.apply=immediate" },
	};
	struct run *r = run_new(&su);
	size_t nf;
	const struct ps_filter_rec *fr = cluster_filter_recs(r->c, &nf);
	CU_ASSERT_EQUAL(nf, 2 * C);
	for (size_t i = 0; i < nf; i++)
		CU_ASSERT_EQUAL(fr[i].sent, fr[i].clock % 2 == 1);
	CU_ASSERT_EQUAL(cluster_stats(r->c)->updates_sent, 2 * C / 2);
	run_free(r);
}

/*
 * Selective barrier on a 1 Mb/s WAN (slow.topo, 10 ms one way), one machine per region, rows
 * of 5000 values: row 0 (worker 0's, region a), row 1 (worker 1's, region b) and an extra row
 * 2; slack 1000, so the mirror clock never holds a read. Worker 0 updates row 0 at clock 0 and
 * row 2 at clock 1, nothing after. Worker 1 updates nothing and reads only its own row 1,
 * except rows {1, 2} at clock 5 and rows {0, 1} at clock 6. Worked by hand:
 *  - batch sizes: 5000 elements as (index, value) pairs are 5000 x 8 = 40000 bytes, as a dense
 *    block of the shard's 3 x 5000 elements 60000 bytes: 64 + 40000 = 40064 bytes, 0.32 s at
 *    1 Mb/s, more than barrier_drain_s = 0.05. A barrier is 64 + 4 = 68 bytes (544 bits), a
 *    mirror clock 64 + 8 = 72 bytes (576 bits).
 *  - t = 10 ms: a's shard reaches clock 1: BARRIER{row 0} on the control lane, batch 1 on the
 *    data lane. They share the link (0.5 Mb/s each): the barrier's last bit leaves at
 *    11.088 ms, it arrives at 21.088 ms; batch 1 has moved 544 bits, then has the link alone.
 *  - t = 20 ms: batch 2 (row 2) queues behind batch 1 and MIRROR_CLOCK(1); its BARRIER{row 2}
 *    overtakes them on the control lane (batch 1 has moved 544 + 8912 bits; both at 0.5 Mb/s
 *    again for 1.088 ms), arriving at 31.088 ms. Batch 1 has moved 10000 of 320512 bits.
 *  - batch 1's last bit leaves at 21.088 + 310.512 = 331.600 ms (arrives 341.600 ms), then
 *    MIRROR_CLOCK(1) until 332.176 ms, then batch 2 until 652.688 ms: it arrives at 662.688 ms.
 *  - worker 1's read of row 1 at clock 4 (40 ms) comes while rows 0 and 2 are both blocked and
 *    is served at once; its read of rows {1, 2} at clock 5 (50 ms) is held until batch 2
 *    arrives at 662.688 ms and sees it: 612.688 ms of selective-barrier wait. Its read of rows
 *    {0, 1} at clock 6 (672.688 ms) comes after batch 1 arrived: not held, sees batch 1.
 * Had the barrier of batch 2 travelled behind batch 1 (no control lane), the read at 50 ms
 * would have been served at once with row 2 stale.
 */
static int barrier_reads(int w, int64_t c, size_t row)
{
	if (w == 1 && c == 5)
		return row == 1 || row == 2;
	if (w == 1 && c == 6)
		return row == 0 || row == 1;
	return row == (size_t)w;
}

static int barrier_updates(int w, int64_t c)
{
	if (w != 0 || c > 1)
		return -1;
	return c == 0 ? 0 : 2;
}

static struct run *barrier_run(const char *onoff, const char *drain)
{
	struct setup su = {
		.topo = "slow.topo", .machines = 1, .sync = "gaia", .clocks = 10, .row_len = 5000,
		.extra_rows = 1, .delta = 1, .upd_row = barrier_updates, .reads = barrier_reads,
		.drain = 1,
		.keys = { "gaia.threshold=0", "gaia.schedule=constant", "gaia.slack=1000", onoff,
		          drain },
	};
	return run_new(&su);
}

static void test_gaia_barrier(void)
{
	struct run *r = barrier_run("gaia.barrier=on", "gaia.barrier_drain_s=0.05");
	const double ms = 1e6;
	CU_ASSERT_EQUAL(wan_msgs(r, 0, 1, MSG_BARRIER), 2);
	CU_ASSERT_EQUAL(wan_msgs(r, 0, 1, MSG_MIRROR), 2);
	CU_ASSERT_EQUAL(wan_msgs(r, 1, 0, MSG_BARRIER), 0);
	CU_ASSERT_EQUAL(wan_msgs(r, 1, 0, MSG_MIRROR), 0);
	for (int64_t c = 0; c < 5; c++)
		CU_ASSERT_EQUAL(start_at(r, 1, c), c * NS_PER_CLOCK); /* never held */
	CU_ASSERT(llabs(start_at(r, 1, 5) - llround(662.688 * ms)) <= 2);
	for (int64_t c = 6; c < 10; c++)
		CU_ASSERT_EQUAL(start_at(r, 1, c), start_at(r, 1, 5) + (c - 5) * NS_PER_CLOCK);
	CU_ASSERT_DOUBLE_EQUAL(wait_of(r, 1, PS_WAIT_BARRIER), 0.612688, 3e-9);
	CU_ASSERT_EQUAL(wait_of(r, 1, PS_WAIT_NETWORK), 0);
	CU_ASSERT_EQUAL(wait_of(r, 1, PS_WAIT_MIRROR), 0);
	CU_ASSERT_EQUAL(wait_of(r, 1, PS_WAIT_BSP), 0);
	for (int k = 0; k < PS_WAIT_NKINDS; k++)
		CU_ASSERT_EQUAL(wait_of(r, 0, (enum ps_wait)k), 0);
	/* The held read saw batch 2; the later read of row 0 saw batch 1. */
	CU_ASSERT_EQUAL(count_in(r, 1, 5, 2), 1);
	CU_ASSERT_EQUAL(count_in(r, 1, 5, 1), 0);
	CU_ASSERT_EQUAL(count_in(r, 1, 6, 0), 1);
	/* Worker 0 was never held and finished its 10 clocks in 100 ms. */
	CU_ASSERT_EQUAL(start_at(r, 0, 9), 9 * NS_PER_CLOCK);
	run_free(r);

	/* Without the barrier (off, or a trigger longer than either batch's 0.32 s and 0.64 s
	 * drain) the same reads are served at once, with both rows stale. */
	static const char *const variants[][2] = {
		{ "gaia.barrier=off", "gaia.barrier_drain_s=0.05" },
		{ "gaia.barrier=on", "gaia.barrier_drain_s=1" },
	};
	for (int i = 0; i < 2; i++) {
		r = barrier_run(variants[i][0], variants[i][1]);
		CU_ASSERT_EQUAL(wan_msgs(r, 0, 1, MSG_BARRIER), 0);
		CU_ASSERT_EQUAL(wan_msgs(r, 0, 1, MSG_MIRROR), 2);
		for (int64_t c = 0; c < 10; c++)
			CU_ASSERT_EQUAL(start_at(r, 1, c), c * NS_PER_CLOCK);
		CU_ASSERT_EQUAL(count_in(r, 1, 5, 2), 0);
		CU_ASSERT_EQUAL(count_in(r, 1, 6, 0), 0);
		for (int k = 0; k < PS_WAIT_NKINDS; k++)
			CU_ASSERT_EQUAL(wait_of(r, 1, (enum ps_wait)k), 0);
		run_free(r);
	}
}

/*
 * The barrier's window (docs/sync-models.md): a barrier of the batch sent at clock boundary k
 * (updates of clock k - 1) holds READ(c) iff c - slack <= k - 1 < c. Worked from the
 * mirror-clock rule: READ(c) is admitted with every update of clocks < c - slack, may miss
 * those of c - slack .. c - 1, and never needs those of clock c or later.
 */
static void test_gaia_barrier_window_rule(void)
{
	/* slack 0: empty window */
	for (int64_t k = 0; k < 6; k++)
		CU_ASSERT_EQUAL(sync_gaia_barrier_window(k, 3, 0), 0);
	/* slack 2, read for clock 3: batches k = 2 and 3 (updates of clocks 1 and 2) */
	CU_ASSERT_EQUAL(sync_gaia_barrier_window(1, 3, 2), 0);
	CU_ASSERT_EQUAL(sync_gaia_barrier_window(2, 3, 2), 1);
	CU_ASSERT_EQUAL(sync_gaia_barrier_window(3, 3, 2), 1);
	CU_ASSERT_EQUAL(sync_gaia_barrier_window(4, 3, 2), 0);
}

/*
 * A fast region running ahead at slack 0 (slow.topo, 1 Mb/s, 10 ms one way; one machine per
 * region; rows of 5000 values; threshold 0, constant; trigger 0.05 s). Worker 0 (region a)
 * updates the extra row 2 at clocks 0 and 1; worker 1 (region b) updates nothing and reads rows
 * {1, 2} at clock 1, its own row otherwise. Worked by hand (sizes as in the test above: a batch
 * of row 2 is 40064 bytes, a barrier 68, a mirror clock 72):
 *  - t = 10 ms: a sends BARRIER(k=1) on the control lane and batch 1 then MIRROR_CLOCK(1) on the
 *    data lane; b sends MIRROR_CLOCK(1) (576 bits, arrives at a at 20.576 ms). The barrier and
 *    batch 1 share the link for 1.088 ms.
 *  - worker 0 may read for clock 1 once b's mirror clock is 1 (20.576 ms), computes until
 *    30.576 ms: a sends BARRIER(k=2) (batch 2 holds clock 1's update), again sharing the link
 *    with batch 1 for 1.088 ms; it reaches b at 41.664 ms.
 *  - batch 1 has moved 544 + 19488 + 544 bits by 31.664 ms; its last bit leaves at 331.600 ms,
 *    MIRROR_CLOCK(1) at 332.176 ms (arrives 342.176 ms), batch 2 at 652.688 ms (arrives
 *    662.688 ms).
 *  - worker 1's READ(1) (at 10 ms) needs a's mirror clock 1: held by the mirror clock until
 *    342.176 ms. Barrier k=2 is then pending on row 2, but clock 1's update is not part of
 *    READ(1)'s bound: the read is served at 342.176 ms and sees batch 1 (one update of row 2).
 *    (Holding it for barrier k=2 would delay it to 662.688 ms.)
 */
static int ahead_reads(int w, int64_t c, size_t row)
{
	if (w == 1 && c == 1)
		return row == 1 || row == 2;
	return row == (size_t)w;
}

static int ahead_updates(int w, int64_t c)
{
	return w == 0 && c <= 1 ? 2 : -1;
}

static void test_gaia_barrier_ahead_slack0(void)
{
	struct setup su = {
		.topo = "slow.topo", .machines = 1, .sync = "gaia", .clocks = 4, .row_len = 5000,
		.extra_rows = 1, .delta = 1, .upd_row = ahead_updates, .reads = ahead_reads,
		.drain = 1,
		.keys = { "gaia.threshold=0", "gaia.schedule=constant", "gaia.slack=0",
		          "gaia.barrier=on", "gaia.barrier_drain_s=0.05" },
	};
	struct run *r = run_new(&su);
	const double ms = 1e6;
	CU_ASSERT_EQUAL(wan_msgs(r, 0, 1, MSG_BARRIER), 2);
	CU_ASSERT(llabs(start_at(r, 0, 1) - llround(20.576 * ms)) <= 2);
	CU_ASSERT(llabs(start_at(r, 1, 1) - llround(342.176 * ms)) <= 2);
	CU_ASSERT_EQUAL(wait_of(r, 1, PS_WAIT_BARRIER), 0);
	/* mirror waits: READ(1) 10 -> 342.176 ms; READ(2) at 352.176 ms needs MIRROR_CLOCK(2),
	 * which leaves behind batch 2 at 653.264 ms and arrives at 663.264 ms; READ(3) at
	 * 673.264 ms finds MIRROR_CLOCK(3) in (a sent it at 372.752 ms, right behind). */
	CU_ASSERT_DOUBLE_EQUAL(wait_of(r, 1, PS_WAIT_MIRROR), 0.332176 + 0.311088, 3e-9);
	CU_ASSERT_EQUAL(count_in(r, 1, 1, 2), 1);
	run_free(r);
}

/*
 * Slack 2: the barrier holds exactly the reads whose window holds its clock. slow.topo as
 * above; worker 0 (region a, 10 ms per clock) updates row 2 at clock 1 only; worker 1 (region
 * b) is 4 times slower (40 ms per clock) and reads row 2 at the clocks `w1_row2` lists. Worked
 * by hand:
 *  - t = 20 ms: a's shard reaches clock 2 and sends BARRIER(k=2) (the update of clock 1) and
 *    batch 2 (nothing else on the link: a's earlier mirror clock left by 10.576 ms). The barrier
 *    arrives at 31.088 ms; batch 2's last bit leaves at 21.088 + 319.968 = 341.056 ms, it
 *    arrives at 351.056 ms.
 *  - worker 1 reads for clock c at 40c ms while not held. The mirror rule needs a's mirror
 *    clock >= c - 2 (a runs ahead: never binding here). Barrier k=2 holds READ(c) iff
 *    c - 2 <= 1 < c: c = 2 and c = 3, not c = 1 (whose read at 40 ms comes after the barrier).
 *  - reading row 2 at clocks 1 and 2: READ(1) at 40 ms is served at once without the update;
 *    READ(2) at 80 ms is held until 351.056 ms (0.271056 s of barrier wait) and sees it.
 *  - reading row 2 at clocks 1 and 3 (own row only at 2): READ(2) at 80 ms is served, READ(3)
 *    at 120 ms is held until 351.056 ms (0.231056 s) and sees it.
 */
static int64_t w1_row2[2];

static int window_reads(int w, int64_t c, size_t row)
{
	if (w == 1 && (c == w1_row2[0] || c == w1_row2[1]))
		return row == 1 || row == 2;
	return row == (size_t)w;
}

static int window_updates(int w, int64_t c)
{
	return w == 0 && c == 1 ? 2 : -1;
}

static struct run *window_run(int64_t c1, int64_t c2)
{
	w1_row2[0] = c1;
	w1_row2[1] = c2;
	struct setup su = {
		.topo = "slow.topo", .machines = 1, .sync = "gaia", .clocks = 5, .row_len = 5000,
		.extra_rows = 1, .delta = 1, .upd_row = window_updates, .reads = window_reads,
		.drain = 1,
		.keys = { "gaia.threshold=0", "gaia.schedule=constant", "gaia.slack=2",
		          "gaia.barrier=on", "gaia.barrier_drain_s=0.05" },
	};
	su.speed[1] = 4;
	return run_new(&su);
}

static void test_gaia_barrier_window_slack2(void)
{
	const double ms = 1e6;
	struct run *r = window_run(1, 2);
	CU_ASSERT_EQUAL(wan_msgs(r, 0, 1, MSG_BARRIER), 1);
	CU_ASSERT_EQUAL(start_at(r, 1, 1), 4 * NS_PER_CLOCK);
	CU_ASSERT_EQUAL(count_in(r, 1, 1, 2), 0);
	CU_ASSERT(llabs(start_at(r, 1, 2) - llround(351.056 * ms)) <= 2);
	CU_ASSERT_DOUBLE_EQUAL(wait_of(r, 1, PS_WAIT_BARRIER), 0.271056, 3e-9);
	CU_ASSERT_EQUAL(count_in(r, 1, 2, 2), 1);
	run_free(r);

	r = window_run(1, 3);
	CU_ASSERT_EQUAL(start_at(r, 1, 1), 4 * NS_PER_CLOCK);
	CU_ASSERT_EQUAL(start_at(r, 1, 2), 8 * NS_PER_CLOCK);
	CU_ASSERT(llabs(start_at(r, 1, 3) - llround(351.056 * ms)) <= 2);
	CU_ASSERT_DOUBLE_EQUAL(wait_of(r, 1, PS_WAIT_BARRIER), 0.231056, 3e-9);
	CU_ASSERT_EQUAL(count_in(r, 1, 3, 2), 1);
	run_free(r);
}

/*
 * The paper's significance statistic on known updates. Every worker adds `delta` to each of
 * the row_len values of its own row every clock; the model starts at all ones, so at its
 * clock boundary for clock c a shard sees, per value of each of its workers' rows, the update
 * delta and the value 1 + c x delta (every earlier update of that row applied: the worker's
 * own region under gaia, the one global model under bsp). So the ratio is
 * delta / (1 + c delta), within (delta / (1 + 9 delta), delta] over 10 clocks:
 *  - delta 0.003: 0.29% .. 0.3%: below 0.5%, 1%, 5%, 10%, not 0.01%, 0.05%, 0.1% (first level 3)
 *  - delta 0.0002: 0.0199% .. 0.02%: below every level from 0.05% (first level 1)
 * Per clock: 4 workers x row_len 3 = 12 updates in all; gaia: 6 per region (its 2 workers'
 * rows). async sums no clock and counts nothing.
 */
static void sig_case(const char *sync, double delta, int first)
{
	enum { C = 10, RL = 3 };
	struct setup su = {
		.topo = "two.topo", .machines = 2, .sync = sync, .clocks = C, .delta = delta,
		.row_len = RL, .drain = 1,
	};
	struct run *r = run_new(&su);
	size_t n;
	const struct ps_sig_rec *sr = cluster_sig_recs(r->c, &n);
	uint64_t upd[C] = { 0 }, below[C][SIG_NLEVELS] = { { 0 } };
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_FATAL(sr[i].clock >= 0 && sr[i].clock < C);
		if (!strcmp(sync, "gaia"))
			CU_ASSERT_EQUAL(sr[i].updates, 2 * RL); /* a region's 2 workers' rows */
		upd[sr[i].clock] += sr[i].updates;
		for (int l = 0; l < SIG_NLEVELS; l++)
			below[sr[i].clock][l] += sr[i].below[l];
	}
	for (int c = 0; c < C; c++) {
		CU_ASSERT_EQUAL(upd[c], 4 * RL);
		for (int l = 0; l < SIG_NLEVELS; l++)
			CU_ASSERT_EQUAL(below[c][l], l >= first ? 4 * RL : 0);
	}
	const struct ps_stats *st = cluster_stats(r->c);
	CU_ASSERT_EQUAL(st->sig_updates, (uint64_t)C * 4 * RL);
	CU_ASSERT_EQUAL(st->sig_below[SIG_LEVEL_1PCT], (uint64_t)C * 4 * RL);
	run_free(r);
}

static void test_significance_counts(void)
{
	sig_case("gaia", 0.003, 3);
	sig_case("bsp", 0.003, 3);
	sig_case("gaia", 0.0002, 1);
	sig_case("bsp", 0.0002, 1);
	/* async: pushes are applied on receipt, no clock sum: nothing counted */
	struct setup su = { .topo = "two.topo", .machines = 2, .sync = "async", .clocks = 5,
	                    .delta = 0.003, .drain = 1 };
	struct run *r = run_new(&su);
	size_t n;
	cluster_sig_recs(r->c, &n);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(cluster_stats(r->c)->sig_updates, 0);
	run_free(r);
}

/* ---- determinism ---- */

static void same_runs(const struct run *a, const struct run *b)
{
	size_t nk = (size_t)a->nnodes * (size_t)a->wl.maxc;
	CU_ASSERT(!memcmp(a->wl.views, b->wl.views, nk * a->wl.np * sizeof *a->wl.views));
	CU_ASSERT(!memcmp(a->wl.start, b->wl.start, nk * sizeof *a->wl.start));
	CU_ASSERT_EQUAL(a->end, b->end);
	const struct ps_stats *x = cluster_stats(a->c), *y = cluster_stats(b->c);
	size_t nw = (size_t)a->nnodes, nm = (size_t)a->nregions * (size_t)a->nregions * MSG_NKINDS;
	CU_ASSERT(!memcmp(x->wan_bytes, y->wan_bytes, nm * sizeof *x->wan_bytes));
	CU_ASSERT(!memcmp(x->wan_msgs, y->wan_msgs, nm * sizeof *x->wan_msgs));
	CU_ASSERT(!memcmp(x->wait_s, y->wait_s, nw * PS_WAIT_NKINDS * sizeof *x->wait_s));
	CU_ASSERT(!memcmp(x->compute_s, y->compute_s, nw * sizeof *x->compute_s));
	CU_ASSERT(!memcmp(x->clocks, y->clocks, nw * sizeof *x->clocks));
	CU_ASSERT_EQUAL(x->updates_produced, y->updates_produced);
	CU_ASSERT_EQUAL(x->updates_sent, y->updates_sent);
	CU_ASSERT_EQUAL(x->updates_pushed, y->updates_pushed);
	CU_ASSERT_EQUAL(x->updates_pushed_wan, y->updates_pushed_wan);
	size_t ne1, ne2, nf1, nf2;
	const struct ps_eval *e1 = cluster_evals(a->c, &ne1), *e2 = cluster_evals(b->c, &ne2);
	CU_ASSERT_EQUAL_FATAL(ne1, ne2);
	for (size_t i = 0; i < ne1; i++) {
		CU_ASSERT_EQUAL(e1[i].replica, e2[i].replica);
		CU_ASSERT_EQUAL(e1[i].clock, e2[i].clock);
		CU_ASSERT_EQUAL(e1[i].time, e2[i].time);
		CU_ASSERT_EQUAL(e1[i].objective, e2[i].objective);
	}
	const struct ps_filter_rec *f1 = cluster_filter_recs(a->c, &nf1), *f2 = cluster_filter_recs(b->c, &nf2);
	CU_ASSERT_EQUAL_FATAL(nf1, nf2);
	for (size_t i = 0; i < nf1; i++) {
		CU_ASSERT_EQUAL(f1[i].region, f2[i].region);
		CU_ASSERT_EQUAL(f1[i].clock, f2[i].clock);
		CU_ASSERT_EQUAL(f1[i].produced, f2[i].produced);
		CU_ASSERT_EQUAL(f1[i].sent, f2[i].sent);
	}
}

static void test_determinism(void)
{
	struct setup s1 = baseline("ssp:2", 10);
	s1.dynamic = 1;
	struct run *a = run_new(&s1), *b = run_new(&s1);
	same_runs(a, b);
	run_free(a);
	run_free(b);
	struct setup s2 = {
		.topo = "three.topo", .machines = 2, .sync = "gaia", .clocks = 8, .dynamic = 1,
		.keys = { "gaia.threshold=0.02", "gaia.schedule=sqrt", "gaia.slack=1" },
	};
	s2.speed[5] = 2.5;
	a = run_new(&s2);
	b = run_new(&s2);
	same_runs(a, b);
	/* The sqrt schedule as the filter applied it: the updates of clock t are filtered with
	 * 0.02 / sqrt(t + 1); one record per (region, clock), every clock of every region. */
	size_t nf;
	const struct ps_filter_rec *fr = cluster_filter_recs(a->c, &nf);
	CU_ASSERT_EQUAL(nf, 3 * 8);
	for (size_t i = 0; i < nf; i++) {
		CU_ASSERT_DOUBLE_EQUAL(fr[i].threshold, 0.02 / sqrt((double)fr[i].clock + 1), 1e-15);
		CU_ASSERT_EQUAL(fr[i].produced, 2);
		CU_ASSERT(fr[i].sent <= 2); /* only the region's own 2 rows accumulate */
	}
	run_free(a);
	run_free(b);
}

/*
 * The model table is the one place a model is registered: every entry is complete (name, spec
 * beginning with the name, summary, the hooks the engine calls), names are unique, sync_find
 * finds each by its spec, and the generated list names every model in table order.
 */
static void test_registry(void)
{
	const char *list = sync_list();
	const char *at = list;
	for (size_t i = 0; i < sync_nmodels; i++) {
		const struct sync_ops *m = sync_models[i];
		CU_ASSERT_PTR_NOT_NULL_FATAL(m->name);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m->spec);
		CU_ASSERT(m->summary && *m->summary);
		CU_ASSERT(m->parse && m->read_block && m->on_clock && m->cache_staleness && m->read_lag);
		CU_ASSERT_EQUAL(strncmp(m->spec, m->name, strlen(m->name)), 0);
		const char *arg;
		char spec[64];
		snprintf(spec, sizeof spec, "%s%s", m->name, strchr(m->spec, ':') ? ":1" : "");
		CU_ASSERT_PTR_EQUAL(sync_find(spec, &arg), m);
		for (size_t j = 0; j < i; j++)
			CU_ASSERT(strcmp(sync_models[j]->name, m->name) != 0);
		const char *found = strstr(at, m->spec);
		CU_ASSERT_PTR_NOT_NULL(found);
		if (found)
			at = found + strlen(m->spec);
	}
	CU_ASSERT_PTR_NULL(sync_find("nosuchmodel", &(const char *){ NULL }));
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "model table: complete entries, generated list", test_registry },
		{ "bsp: exactly c updates at clock c", test_bsp },
		{ "ssp:2: at least c-2, bound exercised", test_ssp },
		{ "async: never held, runs ahead", test_async },
		{ "lan: bsp in one region", test_lan },
		{ "gaia: mirror clock, slack 0", test_gaia_mirror_slack0 },
		{ "gaia: mirror clock, slack 2", test_gaia_mirror_slack2 },
		{ "gaia: local ssp", test_gaia_local_ssp },
		{ "gaia: local ssp with slack 0 keeps remote rows fresh", test_gaia_local_ssp_slack0 },
		{ "gaia: threshold 0 slack 0 = bsp on 2 regions", test_gaia_equals_bsp },
		{ "gaia: slack 0 on 3 regions is not bsp", test_gaia_three_regions },
		{ "gaia: significance filter", test_gaia_filter },
		{ "gaia: filter with apply=significant", test_gaia_filter_apply_significant },
		{ "gaia: filter measures the change after the update", test_gaia_filter_post_update },
		{ "gaia: selective barrier", test_gaia_barrier },
		{ "gaia: barrier window rule", test_gaia_barrier_window_rule },
		{ "gaia: barrier, fast region ahead, slack 0", test_gaia_barrier_ahead_slack0 },
		{ "gaia: barrier window, slack 2", test_gaia_barrier_window_slack2 },
		{ "significance counts on known updates (gaia, bsp, async)", test_significance_counts },
		{ "determinism", test_determinism },
		{ NULL, NULL },
	};
	testutil_suite("sync", cases);
	return testutil_run();
}
