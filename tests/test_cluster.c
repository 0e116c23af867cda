/*
 * Tests of the cluster builder (cli/cluster.h), the standard observer's held-out metric and
 * target rule (ps/observer.c) and the compute-time policies (ps/compute.c), with a tiny fake
 * workload that has a held-out metric.
 *
 * The workload: one row of one value per worker, starting at 0; every clock each worker adds 1
 * to its own row. Under BSP on one global replica, the model at replica clock k is therefore
 * exactly k in every row, so with W workers:
 *   objective   = 1 / (1 + sum)     -> 1 / (1 + W k)
 *   metric      = sum               -> W k
 *   test_metric = sum ("accuracy"-like, higher is better) or 100 - sum (lower is better).
 * A step is 10 units of 1 ms at speed 1 (modelled compute time: 10 ms per clock).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cluster.h"
#include "ps/compute.h"
#include "ps/ps.h"
#include "ps/sync.h"
#include "lib/xmalloc.h"
#include "tests/testutil.h"
#include "topology/topology.h"
#include "lib/runcfg.h"
#include "workloads/workload.h"

#define W 2                 /* workers: two.topo, one machine per region */
#define UNITS 10            /* work units per step */
#define NS_PER_UNIT 1e6     /* 1 ms per unit */

struct workload {
	uint32_t rows[W];   /* rows_needed buffer: every row */
};

static size_t f_nrows(const struct workload *w)
{
	(void)w;
	return W;
}

static size_t f_row_len(const struct workload *w)
{
	(void)w;
	return 1;
}

static void f_init(const struct workload *w, double *p)
{
	(void)w;
	for (int i = 0; i < W; i++)
		p[i] = 0;
}

static uint64_t f_step(struct workload *w, int worker, int64_t clock, const double *model,
                       struct wl_update *out)
{
	(void)w, (void)clock, (void)model;
	wl_update_reserve(out, 1, 1);
	out->nrows = 1;
	out->rows[0] = (uint32_t)worker;
	out->vals[0] = 1;
	return UNITS;
}

static size_t f_rows(struct workload *w, int worker, int64_t clock, const uint32_t **rows)
{
	(void)worker, (void)clock;
	for (int i = 0; i < W; i++)
		w->rows[i] = (uint32_t)i;
	*rows = w->rows;
	return W;
}

static double sum(const double *p)
{
	double s = 0;
	for (int i = 0; i < W; i++)
		s += p[i];
	return s;
}

static double f_objective(const struct workload *w, const double *p)
{
	(void)w;
	return 1 / (1 + sum(p));
}

static double f_metric(const struct workload *w, const double *p)
{
	(void)w;
	return sum(p);
}

static double f_test_lower(const struct workload *w, const double *p)
{
	(void)w;
	return 100 - sum(p);
}

static double f_lr(const struct workload *w, int64_t clock)
{
	(void)w, (void)clock;
	return 1;
}

static double f_ns(const struct workload *w)
{
	(void)w;
	return NS_PER_UNIT;
}

static uint64_t f_units(const struct workload *w, int worker)
{
	(void)w, (void)worker;
	return UNITS;
}

/* Held-out metric higher-better (the sum itself). */
static const struct workload_ops fake_up = {
	.name = "fake", .metric_name = "sum", .nrows = f_nrows, .row_len = f_row_len,
	.init_model = f_init, .step = f_step, .rows_needed = f_rows, .objective = f_objective,
	.metric = f_metric, .test_metric_name = "test_sum", .test_metric = f_metric,
	.test_higher_better = 1, .learning_rate = f_lr, .ns_per_unit = f_ns, .units = f_units,
};

/* Held-out metric lower-better (100 - sum). */
static const struct workload_ops fake_down = {
	.name = "fake", .metric_name = "sum", .nrows = f_nrows, .row_len = f_row_len,
	.init_model = f_init, .step = f_step, .rows_needed = f_rows, .objective = f_objective,
	.metric = f_metric, .test_metric_name = "test_gap", .test_metric = f_test_lower,
	.test_higher_better = 0, .learning_rate = f_lr, .ns_per_unit = f_ns, .units = f_units,
};

/* No held-out metric. */
static const struct workload_ops fake_none = {
	.name = "fake", .metric_name = "sum", .nrows = f_nrows, .row_len = f_row_len,
	.init_model = f_init, .step = f_step, .rows_needed = f_rows, .objective = f_objective,
	.metric = f_metric, .learning_rate = f_lr, .ns_per_unit = f_ns, .units = f_units,
};

/* A BSP cluster over tests/data/sync/two.topo, one machine per region, 20 clocks. */
struct fixture {
	struct topology *topo;
	void *sp;
	struct workload wl;
	int machines[2];
	struct cluster *c;
};

static struct cluster *build(struct fixture *f, const struct workload_ops *ops, double target,
                             enum observer_target_on on, const struct compute_ops *compute)
{
	memset(f, 0, sizeof *f);
	f->topo = topology_load(testutil_data("sync/two.topo"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->topo);
	CU_ASSERT_EQUAL_FATAL(f->topo->n, 2);
	const char *arg;
	const struct sync_ops *bsp = sync_find("bsp", &arg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bsp);
	struct runcfg *cfg = runcfg_new();
	f->sp = bsp->parse(arg, cfg);
	runcfg_free(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->sp);
	f->machines[0] = f->machines[1] = 1;
	struct cluster_config cc = {
		.topo = f->topo, .machines = f->machines, .sync = bsp, .sync_params = f->sp,
		.wl_ops = ops, .wl = &f->wl, .transport = "sim", .compute = compute, .seed = 1,
		.max_clocks = 20, .eval_every = 1, .target = target, .target_on = on,
		.time_limit = SIMTIME_NEVER, .value_bytes = 4, .index_bytes = 4, .header_bytes = 64,
	};
	f->c = cluster_new(&cc);
	return f->c;
}

static void fixture_free(struct fixture *f)
{
	cluster_free(f->c);
	free(f->sp);
	topology_free(f->topo);
}

/* Every evaluation carries the held-out metric in closed form; no target: all 20 clocks. */
static void test_eval_rows(void)
{
	struct fixture f;
	CU_ASSERT_PTR_NOT_NULL_FATAL(build(&f, &fake_up, NAN, OBSERVER_TARGET_OBJECTIVE, NULL));
	cluster_run(f.c, SIMTIME_NEVER);
	CU_ASSERT(cluster_finished(f.c));
	size_t ne;
	const struct ps_eval *ev = cluster_evals(f.c, &ne);
	CU_ASSERT_EQUAL(ne, 21);
	for (size_t i = 0; i < ne; i++) {
		double k = (double)ev[i].clock;
		CU_ASSERT_EQUAL(ev[i].clock, (int64_t)i);
		CU_ASSERT_EQUAL(ev[i].metric, W * k);
		CU_ASSERT_EQUAL(ev[i].test_metric, W * k);
		CU_ASSERT_EQUAL(ev[i].objective, 1 / (1 + W * k));
	}
	CU_ASSERT_EQUAL(cluster_target_time(f.c), -1);
	/* Modelled compute: 20 clocks x 10 units x 1 ms. */
	for (int w = 0; w < W; w++)
		CU_ASSERT_DOUBLE_EQUAL(cluster_stats(f.c)->compute_s[w], 0.2, 1e-12);
	fixture_free(&f);
}

/* The evaluation at which every replica first reached `target` in the metric's direction. */
static const struct ps_eval *first_reached(const struct cluster *c, double target, int up)
{
	size_t ne;
	const struct ps_eval *ev = cluster_evals(c, &ne);
	for (size_t i = 0; i < ne; i++)
		if (up ? ev[i].test_metric >= target : ev[i].test_metric <= target)
			return &ev[i];
	return NULL;
}

/* target_on = test, higher is better: sum reaches 2 W at clock 2; workers stop early. */
static void test_target_test_up(void)
{
	struct fixture f;
	CU_ASSERT_PTR_NOT_NULL_FATAL(build(&f, &fake_up, 2.0 * W, OBSERVER_TARGET_TEST, NULL));
	cluster_run(f.c, SIMTIME_NEVER);
	const struct ps_eval *e = first_reached(f.c, 2.0 * W, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->clock, 2);
	CU_ASSERT_EQUAL(cluster_target_time(f.c), e->time);
	/* Workers stop at their next clock: far fewer than the 20 planned. */
	for (int w = 0; w < W; w++)
		CU_ASSERT(cluster_stats(f.c)->clocks[w] <= 4);
	fixture_free(&f);
}

/* Lower is better: 100 - sum reaches 100 - 3 W at clock 3. The objective (1 / (1 + W k),
 * falling) would have reached the same number at once: the rule must follow the test metric. */
static void test_target_test_down(void)
{
	struct fixture f;
	double target = 100 - 3.0 * W;
	CU_ASSERT_PTR_NOT_NULL_FATAL(build(&f, &fake_down, target, OBSERVER_TARGET_TEST, NULL));
	cluster_run(f.c, SIMTIME_NEVER);
	const struct ps_eval *e = first_reached(f.c, target, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->clock, 3);
	CU_ASSERT_EQUAL(e->test_metric, target);
	CU_ASSERT_EQUAL(cluster_target_time(f.c), e->time);
	fixture_free(&f);
}

/* target_on = objective (the default) ignores the held-out metric: 1 / (1 + W k) <= 0.2 first
 * at k = 2 (W = 2: 1/5). */
static void test_target_objective(void)
{
	struct fixture f;
	CU_ASSERT_PTR_NOT_NULL_FATAL(build(&f, &fake_up, 0.2, OBSERVER_TARGET_OBJECTIVE, NULL));
	cluster_run(f.c, SIMTIME_NEVER);
	size_t ne;
	const struct ps_eval *ev = cluster_evals(f.c, &ne);
	sim_time_t want = -1;
	for (size_t i = 0; i < ne && want < 0; i++)
		if (ev[i].objective <= 0.2) {
			CU_ASSERT_EQUAL(ev[i].clock, 2);
			want = ev[i].time;
		}
	CU_ASSERT(want > 0);
	CU_ASSERT_EQUAL(cluster_target_time(f.c), want);
	fixture_free(&f);
}

/* A target on a held-out metric the workload does not have is refused; without one the
 * evaluations carry NAN. */
static void test_no_test_metric(void)
{
	struct fixture f;
	CU_ASSERT_PTR_NULL(build(&f, &fake_none, 1.0, OBSERVER_TARGET_TEST, NULL));
	fixture_free(&f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(build(&f, &fake_none, NAN, OBSERVER_TARGET_OBJECTIVE, NULL));
	cluster_run(f.c, SIMTIME_NEVER);
	size_t ne;
	const struct ps_eval *ev = cluster_evals(f.c, &ne);
	CU_ASSERT_EQUAL(ne, 21);
	for (size_t i = 0; i < ne; i++)
		CU_ASSERT(isnan(ev[i].test_metric));
	fixture_free(&f);
}

/* The builder refuses a transport it does not have. */
static void test_bad_transport(void)
{
	struct cluster_config cc = { .transport = "carrier-pigeon" };
	CU_ASSERT_PTR_NULL(cluster_new(&cc));
}

/*
 * The measured policy: same model trajectory as the modelled one (the policy only times the
 * step) and a non-negative compute time (its value is the machine's, so nothing more is said).
 */
static void test_measured(void)
{
	CU_ASSERT_PTR_EQUAL(compute_find("modelled"), &compute_modelled);
	CU_ASSERT_PTR_EQUAL(compute_find("measured"), &compute_measured);
	CU_ASSERT_PTR_NULL(compute_find("scaled"));
	struct fixture f;
	CU_ASSERT_PTR_NOT_NULL_FATAL(build(&f, &fake_up, NAN, OBSERVER_TARGET_OBJECTIVE,
	                                   &compute_measured));
	cluster_run(f.c, SIMTIME_NEVER);
	size_t ne;
	const struct ps_eval *ev = cluster_evals(f.c, &ne);
	CU_ASSERT_EQUAL(ne, 21);
	for (size_t i = 0; i < ne; i++)
		CU_ASSERT_EQUAL(ev[i].metric, W * (double)ev[i].clock);
	for (int w = 0; w < W; w++) {
		double cs = cluster_stats(f.c)->compute_s[w];
		CU_ASSERT(cs >= 0);
	}
	fixture_free(&f);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "evaluations carry the held-out metric", test_eval_rows },
		{ "target on the test metric, higher better", test_target_test_up },
		{ "target on the test metric, lower better", test_target_test_down },
		{ "target on the objective", test_target_objective },
		{ "workload without a held-out metric", test_no_test_metric },
		{ "unknown transport", test_bad_transport },
		{ "measured compute time", test_measured },
		{ NULL, NULL },
	};
	testutil_suite("cluster", cases);
	return testutil_run();
}
