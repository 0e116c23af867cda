/*
 * Tests of the workers' sparse views (ps/rowcache.c and its use in ps/ps.c):
 *   - the row cache alone: a row enters with its initial value and stamp 0, every row keeps its
 *     own values through the index's growth, the dense layout holds every row;
 *   - sparse views change nothing: the same MF run (bsp, ssp:2, async, gaia) with sparse views
 *     and with dense ones (cluster_config.dense_views) gives the same evaluations and the same
 *     statistics, bit for bit;
 *   - memory follows the rows touched: a tiny workload whose worker w reads rows {w, R + c mod
 *     3} at clock c and updates rows {w, U} of a model of NROWS rows; after 6 clocks each view
 *     holds exactly those 5 rows (and a dense one all NROWS), and a step sees the values those
 *     rows must have in closed form.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cluster.h"
#include "lib/runcfg.h"
#include "lib/xmalloc.h"
#include "ps/ps.h"
#include "ps/rowcache.h"
#include "ps/sync.h"
#include "tests/testutil.h"
#include "topology/topology.h"
#include "workloads/workload.h"

/* ---- the row cache alone ---- */

static void test_rowcache_sparse(void)
{
	enum { N = 5000, RL = 3 };
	double *init = xmalloc(N * RL * sizeof *init);
	for (size_t i = 0; i < N * RL; i++)
		init[i] = (double)i;
	struct rowcache *c = rowcache_new(N, RL, init, 0);
	CU_ASSERT_EQUAL(rowcache_nrows(c), 0);
	CU_ASSERT_PTR_NULL(rowcache_dense(c));
	CU_ASSERT_EQUAL(rowcache_find(c, 7), -1);
	/* Every third row, in a scrambled order (7 is coprime with N / 3 + 1 = 1667 steps). */
	size_t inserted = 0;
	for (size_t k = 0; k < N; k += 3) {
		uint32_t row = (uint32_t)((k * 7) % N);
		if (rowcache_find(c, row) >= 0)
			continue;
		size_t s = rowcache_get(c, row);
		inserted++;
		CU_ASSERT_EQUAL(rowcache_row(c, s), row);
		CU_ASSERT_EQUAL(*rowcache_stamp(c, s), 0);
		CU_ASSERT_EQUAL(rowcache_vals(c, s)[1], (double)(row * RL + 1));
		/* Mark it: value + 0.5, stamp = row. */
		for (int j = 0; j < RL; j++)
			rowcache_vals(c, s)[j] += 0.5;
		*rowcache_stamp(c, s) = row;
	}
	CU_ASSERT_EQUAL(rowcache_nrows(c), inserted);
	/* After all the index's growth, every row still finds its own slot and marks. */
	size_t found = 0;
	for (uint32_t row = 0; row < N; row++) {
		long s = rowcache_find(c, row);
		if (s < 0)
			continue;
		found++;
		CU_ASSERT_EQUAL(rowcache_get(c, row), (size_t)s);
		CU_ASSERT_EQUAL(*rowcache_stamp(c, (size_t)s), row);
		for (int j = 0; j < RL; j++)
			CU_ASSERT_EQUAL(rowcache_vals(c, (size_t)s)[j], (double)(row * RL + j) + 0.5);
	}
	CU_ASSERT_EQUAL(found, inserted);
	/* Memory follows the rows held: well below a dense copy (N x (RL x 8 + 8) bytes). */
	CU_ASSERT(rowcache_bytes(c) < (size_t)N * (RL * 8 + 8));
	rowcache_free(c);
	free(init);
}

/* Densify keeps the rows held (values, stamps); the others come from the initial model. */
static void test_rowcache_densify(void)
{
	enum { N = 300, RL = 2 };
	double init[N * RL];
	for (size_t i = 0; i < N * RL; i++)
		init[i] = (double)i;
	struct rowcache *c = rowcache_new(N, RL, init, 0);
	for (uint32_t row = 5; row < N; row += 7) {
		size_t s = rowcache_get(c, row);
		rowcache_vals(c, s)[0] = -1.0 * row;
		*rowcache_stamp(c, s) = 3;
	}
	rowcache_densify(c);
	CU_ASSERT_EQUAL(rowcache_nrows(c), N);
	const double *d = rowcache_dense(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (uint32_t row = 0; row < N; row++) {
		int held = row >= 5 && (row - 5) % 7 == 0;
		CU_ASSERT_EQUAL(rowcache_find(c, row), (long)row);
		CU_ASSERT_EQUAL(d[row * RL], held ? -1.0 * row : (double)(row * RL));
		CU_ASSERT_EQUAL(d[row * RL + 1], (double)(row * RL + 1));
		CU_ASSERT_EQUAL(*rowcache_stamp(c, row), held ? 3 : 0);
	}
	rowcache_free(c);
}

static void test_rowcache_dense(void)
{
	enum { N = 100, RL = 2 };
	double init[N * RL];
	for (size_t i = 0; i < N * RL; i++)
		init[i] = -(double)i;
	struct rowcache *c = rowcache_new(N, RL, init, 1);
	CU_ASSERT_EQUAL(rowcache_nrows(c), N);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rowcache_dense(c));
	CU_ASSERT_EQUAL(memcmp(rowcache_dense(c), init, sizeof init), 0);
	CU_ASSERT_EQUAL(rowcache_get(c, 42), 42);
	CU_ASSERT_EQUAL(rowcache_find(c, 99), 99);
	CU_ASSERT_EQUAL(rowcache_find(c, 100), -1);
	rowcache_free(c);
}

/* ---- a run with sparse views and with dense ones ---- */

/* One MF run on sync/two.topo, 2 machines per region. */
struct run {
	struct topology *topo;
	struct runcfg *cfg;
	void *sp;
	struct workload *wl;
	struct cluster *c;
	int machines[2];
};

static void run_do(struct run *r, const char *sync, int dense)
{
	static const char *const keys[] = {
		"mf.users = 400", "mf.items = 120", "mf.ratings = 6000", "mf.rank = 4", NULL,
	};
	memset(r, 0, sizeof *r);
	r->topo = topology_load(testutil_data("sync/two.topo"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->topo);
	r->cfg = runcfg_new();
	for (int i = 0; keys[i]; i++)
		CU_ASSERT_FATAL(runcfg_set(r->cfg, keys[i]) == 0);
	r->machines[0] = r->machines[1] = 2;
	int region[4] = { 0, 0, 1, 1 };
	r->wl = mf_ops.create(r->cfg, 4, region, 2, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->wl);
	const char *arg;
	const struct sync_ops *so = sync_find(sync, &arg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(so);
	r->sp = so->parse(arg, r->cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->sp);
	struct cluster_config cc = {
		.topo = r->topo, .machines = r->machines, .sync = so, .sync_params = r->sp,
		.wl_ops = &mf_ops, .wl = r->wl, .transport = "sim", .seed = 1, .max_clocks = 12,
		.eval_every = 1, .target = NAN, .time_limit = SIMTIME_NEVER, .value_bytes = 4,
		.index_bytes = 4, .header_bytes = 64, .drain = 1, .dense_views = dense,
	};
	r->c = cluster_new(&cc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->c);
	cluster_run(r->c, SIMTIME_NEVER);
	CU_ASSERT(cluster_finished(r->c));
}

static void run_free(struct run *r)
{
	cluster_free(r->c);
	mf_ops.destroy(r->wl);
	free(r->sp);
	runcfg_free(r->cfg);
	topology_free(r->topo);
}

/* Two runs' evaluations, statistics and end time are equal bit for bit. */
static void same_run(const struct run *a, const struct run *b)
{
	size_t na, nb;
	const struct ps_eval *ea = cluster_evals(a->c, &na), *eb = cluster_evals(b->c, &nb);
	CU_ASSERT_EQUAL_FATAL(na, nb);
	CU_ASSERT(na > 12);
	for (size_t i = 0; i < na; i++) {
		CU_ASSERT_EQUAL(ea[i].replica, eb[i].replica);
		CU_ASSERT_EQUAL(ea[i].clock, eb[i].clock);
		CU_ASSERT_EQUAL(ea[i].time, eb[i].time);
		CU_ASSERT_EQUAL(memcmp(&ea[i].objective, &eb[i].objective, sizeof(double)), 0);
		CU_ASSERT_EQUAL(memcmp(&ea[i].metric, &eb[i].metric, sizeof(double)), 0);
	}
	const struct ps_stats *sa = cluster_stats(a->c), *sb = cluster_stats(b->c);
	size_t nk = 2 * 2 * MSG_NKINDS, nw = 4;
	CU_ASSERT_EQUAL(memcmp(sa->wan_bytes, sb->wan_bytes, nk * sizeof *sa->wan_bytes), 0);
	CU_ASSERT_EQUAL(memcmp(sa->wan_msgs, sb->wan_msgs, nk * sizeof *sa->wan_msgs), 0);
	CU_ASSERT_EQUAL(memcmp(sa->wait_s, sb->wait_s, nw * PS_WAIT_NKINDS * sizeof *sa->wait_s), 0);
	CU_ASSERT_EQUAL(memcmp(sa->compute_s, sb->compute_s, nw * sizeof *sa->compute_s), 0);
	CU_ASSERT_EQUAL(memcmp(sa->clocks, sb->clocks, nw * sizeof *sa->clocks), 0);
	CU_ASSERT_EQUAL(sa->updates_pushed, sb->updates_pushed);
	CU_ASSERT_EQUAL(sa->updates_sent, sb->updates_sent);
	CU_ASSERT_EQUAL(sa->sig_updates, sb->sig_updates);
	CU_ASSERT_EQUAL(cluster_now(a->c), cluster_now(b->c));
	CU_ASSERT_EQUAL(cluster_events(a->c), cluster_events(b->c));
}

static void sparse_vs_dense(const char *sync)
{
	struct run s, d;
	run_do(&s, sync, 0);
	run_do(&d, sync, 1);
	same_run(&s, &d);
	/* The sparse views hold fewer rows than the model (each worker's quarter of the ratings
	 * misses some users and items); the dense ones hold every row. (In bytes, at this size,
	 * the sparse views' index and doubling may cost more: the touch test bounds bytes.) */
	struct ps *ps = cluster_ps(s.c), *pd = cluster_ps(d.c);
	for (int w = 0; w < 4; w++) {
		CU_ASSERT(ps_worker_view_rows(ps, w) < ps_worker_view_rows(pd, w));
	}
	run_free(&s);
	run_free(&d);
}

static void test_same_bsp(void) { sparse_vs_dense("bsp"); }
static void test_same_ssp(void) { sparse_vs_dense("ssp:2"); }
static void test_same_async(void) { sparse_vs_dense("async"); }
static void test_same_gaia(void) { sparse_vs_dense("gaia"); }

/* ---- memory per worker bounded by the rows it touches ---- */

#define NW 4        /* workers: two.topo, 2 machines per region */
#define NROWS 1000  /* model rows */
#define ROW_R 500   /* rows ROW_R .. ROW_R + 2: read in turn, never updated */
#define ROW_U 900   /* updated by every worker, never read */
#define CLOCKS 6

struct workload {
	uint32_t rows[NW][2];  /* rows_needed buffer per worker */
	int bad;               /* steps that saw a value other than the closed form */
};

static size_t t_nrows(const struct workload *w) { (void)w; return NROWS; }
static size_t t_row_len(const struct workload *w) { (void)w; return 2; }

/* Row i starts at (i, -i). */
static void t_init(const struct workload *w, double *p)
{
	(void)w;
	for (size_t i = 0; i < NROWS; i++) {
		p[2 * i] = (double)i;
		p[2 * i + 1] = -(double)i;
	}
}

static size_t t_rows(struct workload *w, int k, int64_t c, const uint32_t **rows)
{
	w->rows[k][0] = (uint32_t)k;
	w->rows[k][1] = (uint32_t)(ROW_R + c % 3);
	*rows = w->rows[k];
	return 2;
}

/*
 * Worker k adds (1, 1) to its own row k and to row ROW_U. At clock c under BSP its row k holds
 * (k + c, -k + c): only k writes it, and its c own updates are in what it reads. Row ROW_R +
 * c mod 3 is never written: its initial value.
 */
static uint64_t t_step(struct workload *w, int k, int64_t c, const double *model,
                       struct wl_update *out)
{
	uint32_t r = (uint32_t)(ROW_R + c % 3);
	if (model[2 * k] != k + (double)c || model[2 * k + 1] != -k + (double)c ||
	    model[2 * r] != r || model[2 * r + 1] != -(double)r)
		w->bad++;
	wl_update_reserve(out, 2, 2);
	out->nrows = 2;
	out->rows[0] = (uint32_t)k;
	out->rows[1] = ROW_U;
	for (int j = 0; j < 4; j++)
		out->vals[j] = 1;
	return 1;
}

static double t_zero(const struct workload *w, const double *p) { (void)w, (void)p; return 0; }
static double t_lr(const struct workload *w, int64_t c) { (void)w, (void)c; return 1; }
static double t_ns(const struct workload *w) { (void)w; return 1e6; }
static uint64_t t_units(const struct workload *w, int k) { (void)w, (void)k; return 1; }

static const struct workload_ops touch_ops = {
	.name = "touch", .metric_name = "zero", .nrows = t_nrows, .row_len = t_row_len,
	.init_model = t_init, .step = t_step, .rows_needed = t_rows, .objective = t_zero,
	.metric = t_zero, .learning_rate = t_lr, .ns_per_unit = t_ns, .units = t_units,
};

static void touch_run(int dense)
{
	struct topology *topo = topology_load(testutil_data("sync/two.topo"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(topo);
	const char *arg;
	const struct sync_ops *bsp = sync_find("bsp", &arg);
	struct runcfg *cfg = runcfg_new();
	void *sp = bsp->parse(arg, cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
	struct workload wl = { .bad = 0 };
	int machines[2] = { 2, 2 };
	struct cluster_config cc = {
		.topo = topo, .machines = machines, .sync = bsp, .sync_params = sp,
		.wl_ops = &touch_ops, .wl = &wl, .transport = "sim", .seed = 1, .max_clocks = CLOCKS,
		.eval_every = 1, .target = NAN, .time_limit = SIMTIME_NEVER, .value_bytes = 8,
		.index_bytes = 4, .header_bytes = 64, .drain = 1, .dense_views = dense,
	};
	struct cluster *c = cluster_new(&cc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	cluster_run(c, SIMTIME_NEVER);
	CU_ASSERT(cluster_finished(c));
	CU_ASSERT_EQUAL(wl.bad, 0);
	struct ps *ps = cluster_ps(c);
	for (int k = 0; k < NW; k++) {
		CU_ASSERT_EQUAL(cluster_stats(c)->clocks[k], CLOCKS);
		/* Sparse: rows k, ROW_R .. ROW_R + 2 and ROW_U; dense: all. */
		CU_ASSERT_EQUAL(ps_worker_view_rows(ps, k), dense ? NROWS : 5);
		if (!dense) /* 5 rows of 2 values: a few hundred bytes, not NROWS x 24 */
			CU_ASSERT(ps_worker_view_bytes(ps, k) < 2048);
	}
	cluster_free(c);
	free(sp);
	runcfg_free(cfg);
	topology_free(topo);
}

static void test_touched_sparse(void) { touch_run(0); }
static void test_touched_dense(void) { touch_run(1); }

int main(void)
{
	static const struct testutil_case cache[] = {
		{ "sparse cache: insert, find, growth, values and stamps", test_rowcache_sparse },
		{ "dense cache: every row, slot = row", test_rowcache_dense },
		{ "densify keeps the rows held", test_rowcache_densify },
		{ NULL, NULL },
	};
	static const struct testutil_case same[] = {
		{ "bsp: sparse views = dense views, bit for bit", test_same_bsp },
		{ "ssp:2 (read-my-writes ring, stale reads)", test_same_ssp },
		{ "async (background refresh)", test_same_async },
		{ "gaia (per-region replicas)", test_same_gaia },
		{ NULL, NULL },
	};
	static const struct testutil_case touched[] = {
		{ "sparse view holds exactly the rows touched", test_touched_sparse },
		{ "dense view holds every row", test_touched_dense },
		{ NULL, NULL },
	};
	testutil_suite("rowcache", cache);
	testutil_suite("sparse_vs_dense", same);
	testutil_suite("touched_rows", touched);
	return testutil_run();
}
