/*
 * Tests of the MF workload's placement (mf.placement = ps | local: user factors as shared rows
 * or kept on their worker) and of the baseline's full-pass clocks and reads (mf.batch_fraction
 * = 1, ps.refetch = stale | always), docs/workload-mf.md "Placement" and docs/sync-models.md
 * "The baseline's reads". Expected values are worked by hand from tiny hand-made rating files;
 * runs are assembled by the cluster builder (cli/cluster.h) on the simulated transport, with a
 * transport wrapper that records every message's rows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cluster.h"
#include "lib/diag.h"
#include "lib/runcfg.h"
#include "lib/xmalloc.h"
#include "ps/msg.h"
#include "ps/ps.h"
#include "ps/sync.h"
#include "tests/testutil.h"
#include "topology/topology.h"
#include "workloads/mf-data.h"
#include "workloads/workload.h"

#define MAXW 4      /* most workers in a run here */
#define MAXC 4      /* most clocks recorded */
#define MAXROWS 256 /* most shared rows recorded */

/*
 * Hand-made data: user 1 rates items 10, 20, 30 and user 2 rates item 40 (rows in first-seen
 * order: users 1, 2 -> 0, 1; items 10, 20, 30, 40 -> 0, 1, 2, 3). The test file's user 3 has no
 * training rating: it gets no row.
 */
static const char TINY_TRAIN[] = "1\t10\t5\n1\t20\t3\n1\t30\t4\n2\t40\t1\n";
static const char TINY_TEST[] = "3\t40\t3\n1\t40\t4\n";

/* Diagnostics captured while a call runs (diag_capture). */
static char CAPTURED[4096];

static void capture_begin(void)
{
	CAPTURED[0] = '\0';
	diag_capture(CAPTURED, sizeof CAPTURED);
}

static const char *capture_end(void)
{
	diag_capture(NULL, 0);
	return CAPTURED;
}

/* A workload built from `keys` (runcfg assignments, NULL-terminated) over nworkers workers. */
struct wl_handle {
	struct runcfg *cfg;    /* its configuration (kept for the workload's lifetime) */
	struct workload *wl;   /* the instance */
};

static struct wl_handle wl_make(const char *const *keys, int nworkers, const int *region,
                                int nregions)
{
	struct wl_handle h = { runcfg_new(), NULL };
	for (int i = 0; keys[i]; i++)
		CU_ASSERT_FATAL(runcfg_set(h.cfg, keys[i]) == 0);
	h.wl = mf_ops.create(h.cfg, nworkers, region, nregions, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h.wl);
	return h;
}

static void wl_drop(struct wl_handle *h)
{
	mf_ops.destroy(h->wl);
	runcfg_free(h->cfg);
}

/* ---- the objective with local placement, by hand ---- */

/*
 * Two ratings, one per user and item: (user 1, item 10, 5) and (user 2, item 20, 3); mu = 4.
 * Rank 1, lambda 0, rate 0.5 without per-row scaling, one worker, a full pass. With every
 * shared (item) row zero, each rating's error is r - mu = +-1 (order does not matter: no row is
 * touched twice), so the pass sets b_u = 0 + 0.5 * e = +-0.5 and b_i = +-0.5, moves R_i by
 * 0.5 * e * L_u and leaves L_u unchanged (R_i was 0, lambda 0). Evaluated on all-zero items the
 * predictions are mu + b_u = 4.5 and 3.5, so F = ((5 - 4.5)^2 + (3 - 3.5)^2) / 2 = 0.25 and the
 * RMSE 0.5; under ps placement the same step leaves the users in the shared rows, so the
 * all-zero shared model still gives F = 1.
 */
static void test_objective_local_by_hand(void)
{
	char *data = testutil_tmpfile("1\t10\t5\n2\t20\t3\n");
	char kd[300];
	snprintf(kd, sizeof kd, "mf.data = %s", data);
	const char *keys[] = { kd, "mf.rank = 1", "mf.lambda = 0", "mf.lr = 0.5",
	                       "mf.lr_decay = 0", "mf.lr_scaling = none", "mf.batch_fraction = 1",
	                       "mf.placement = local", NULL };
	int region[1] = { 0 };
	struct wl_handle h = wl_make(keys, 1, region, 1);
	CU_ASSERT_EQUAL(mf_ops.nrows(h.wl), 2); /* the two items only */
	CU_ASSERT_EQUAL(mf_ops.row_len(h.wl), 2);
	double zero[4] = { 0, 0, 0, 0 };
	/* Before training: user biases 0, item rows 0: every error is +-1. */
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.objective(h.wl, zero), 1.0, 1e-12);
	const uint32_t *rows;
	CU_ASSERT_EQUAL(mf_ops.rows_needed(h.wl, 0, 0, &rows), 2);
	CU_ASSERT(rows[0] == 0 && rows[1] == 1);
	struct wl_update u;
	wl_update_init(&u);
	CU_ASSERT_EQUAL(mf_ops.step(h.wl, 0, 0, zero, &u), 2);
	/* The update holds the two item rows only; their bias deltas are +-0.5. */
	CU_ASSERT_EQUAL_FATAL(u.nrows, 2);
	CU_ASSERT(u.rows[0] == 0 && u.rows[1] == 1);
	CU_ASSERT_DOUBLE_EQUAL(u.vals[1], 0.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(u.vals[3], -0.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.objective(h.wl, zero), 0.25, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.metric(h.wl, zero), 0.5, 1e-12);
	/* With the update applied to the items too: predictions mu + b_u + b_i + L_u * R_i, where
	 * R_i = 0.5 e L_u: errors e - e (0.5 + 0.5 + 0.5 L_u^2) = -0.5 e L_u^2 (e = +-1). */
	double items[4];
	for (int k = 0; k < 4; k++)
		items[k] = zero[k] + u.vals[k];
	double l0 = u.vals[0] / 0.5, l1 = -u.vals[2] / 0.5; /* L_u = R_i delta / (0.5 e) */
	double want = (0.25 * pow(l0, 4) + 0.25 * pow(l1, 4)) / 2;
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.objective(h.wl, items), want, 1e-12);
	/* reset_local puts the user rows back: the all-zero items give F = 1 again. */
	mf_ops.reset_local(h.wl);
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.objective(h.wl, zero), 1.0, 1e-12);
	wl_update_free(&u);
	wl_drop(&h);

	/* The contrast: ps placement keeps the users in the shared rows (4 rows, users first). */
	const char *keys_ps[] = { kd, "mf.rank = 1", "mf.lambda = 0", "mf.lr = 0.5",
	                          "mf.lr_decay = 0", "mf.lr_scaling = none",
	                          "mf.batch_fraction = 1", NULL };
	h = wl_make(keys_ps, 1, region, 1);
	CU_ASSERT_EQUAL(mf_ops.nrows(h.wl), 4);
	double zero4[8] = { 0 };
	wl_update_init(&u);
	mf_ops.step(h.wl, 0, 0, zero4, &u);
	CU_ASSERT_EQUAL(u.nrows, 4);
	CU_ASSERT_DOUBLE_EQUAL(mf_ops.objective(h.wl, zero4), 1.0, 1e-12);
	wl_update_free(&u);
	wl_drop(&h);
	unlink(data);
	free(data);
}

/*
 * The objective sees the whole model under both placements: the initial model is drawn users
 * then items from one stream whatever the placement, so F of the initial shared rows (ps: users
 * and items; local: items plus the workers' user rows) is the same function value (summed in
 * another order: the partitions differ).
 */
static void test_objective_same_initial_model(void)
{
	const char *common[] = { "mf.users = 300", "mf.items = 80", "mf.ratings = 3000",
	                         "mf.rank = 4", NULL };
	const char *ps_keys[5], *local_keys[6];
	for (int i = 0; i < 4; i++)
		ps_keys[i] = local_keys[i] = common[i];
	ps_keys[4] = NULL;
	local_keys[4] = "mf.placement = local";
	local_keys[5] = NULL;
	int region[4] = { 0, 0, 1, 1 };
	struct wl_handle a = wl_make(ps_keys, 4, region, 2), b = wl_make(local_keys, 4, region, 2);
	CU_ASSERT_EQUAL(mf_ops.nrows(a.wl), 380);
	CU_ASSERT_EQUAL(mf_ops.nrows(b.wl), 80);
	double *pa = xmalloc(380 * 5 * sizeof *pa), *pb = xmalloc(80 * 5 * sizeof *pb);
	mf_ops.init_model(a.wl, pa);
	mf_ops.init_model(b.wl, pb);
	/* The items are the last 80 rows under ps, all of them under local: the same values. */
	CU_ASSERT(memcmp(pa + 300 * 5, pb, 80 * 5 * sizeof *pb) == 0);
	double fa = mf_ops.objective(a.wl, pa), fb = mf_ops.objective(b.wl, pb);
	CU_ASSERT(fa > 0);
	CU_ASSERT_DOUBLE_EQUAL(fb, fa, 1e-12 * fa);
	free(pa);
	free(pb);
	wl_drop(&a);
	wl_drop(&b);
}

/* Local placement partitions whole users: every user's ratings on one worker, loads balanced. */
static void test_partition_users(void)
{
	struct mf_synth_params sp = { .users = 500, .items = 100, .ratings = 6000, .true_rank = 2,
	                              .zipf = 1, .user_sigma = 1.2, .noise = 0.5,
	                              .mean = MF_SYNTH_MEAN, .round = 1 };
	struct mf_data *d = mf_data_synthetic(&sp, 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	uint32_t *owner = mf_data_partition_users(d, 3, 7);
	int64_t *user_owner = xmalloc(d->nusers * sizeof *user_owner);
	uint64_t load[3] = { 0, 0, 0 }, *per_user = xcalloc(d->nusers, sizeof *per_user);
	for (uint32_t u = 0; u < d->nusers; u++)
		user_owner[u] = -1;
	int split = 0;
	for (size_t k = 0; k < d->n; k++) {
		uint32_t u = d->ratings[k].user;
		CU_ASSERT_FATAL(owner[k] < 3);
		if (user_owner[u] >= 0 && user_owner[u] != owner[k])
			split = 1;
		user_owner[u] = owner[k];
		load[owner[k]]++;
		per_user[u]++;
	}
	CU_ASSERT(!split);
	/* Greedy dealing to the least-loaded worker: loads differ by at most the largest user. */
	uint64_t most = 0;
	for (uint32_t u = 0; u < d->nusers; u++)
		most = per_user[u] > most ? per_user[u] : most;
	uint64_t lo = load[0], hi = load[0];
	for (int k = 1; k < 3; k++) {
		lo = load[k] < lo ? load[k] : lo;
		hi = load[k] > hi ? load[k] : hi;
	}
	CU_ASSERT(hi - lo <= most);
	CU_ASSERT_EQUAL(load[0] + load[1] + load[2], d->n);
	free(per_user);
	free(user_owner);
	free(owner);
	mf_data_free(d);
}

/* Bad combination: skewed partition splits users, local placement cannot. */
static void test_local_refuses_skewed(void)
{
	struct runcfg *cfg = runcfg_new();
	CU_ASSERT_FATAL(runcfg_set(cfg, "mf.placement = local") == 0);
	CU_ASSERT_FATAL(runcfg_set(cfg, "mf.partition = skewed") == 0);
	CU_ASSERT_FATAL(runcfg_set(cfg, "mf.users = 10") == 0);
	CU_ASSERT_FATAL(runcfg_set(cfg, "mf.items = 10") == 0);
	CU_ASSERT_FATAL(runcfg_set(cfg, "mf.ratings = 20") == 0);
	int region[2] = { 0, 1 };
	capture_begin();
	struct workload *w = mf_ops.create(cfg, 2, region, 2, 1);
	const char *msg = capture_end();
	CU_ASSERT_PTR_NULL(w);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "mf.partition"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "mf.placement = local"));
	runcfg_free(cfg);
}

/* ---- runs through the cluster builder, every message recorded ---- */

/* What the recording transport saw. */
struct rec {
	const struct cluster *cl;   /* the run (for the shards per replica) */
	size_t row_len;             /* values per shared row */
	/* READ and PUSH rows per (worker, clock), as flags per shared row */
	uint8_t read[MAXW][MAXC][MAXROWS];
	uint8_t push[MAXW][MAXC][MAXROWS];
	int nread[MAXW][MAXC];      /* READ messages per (worker, clock) */
	uint32_t max_row;           /* largest shared row in any message between two nodes */
	uint64_t rows_remote;       /* row references in messages between two nodes */
	uint8_t crossed[MAXROWS];   /* rows seen in a message between two regions */
};

static struct rec REC;

struct rec_transport {
	struct transport base;   /* the wrapper */
	struct transport *inner; /* the simulated transport */
};

/* The inner transport, given the upcall the parameter server set on the wrapper (ps_new sets
 * it after the cluster builder wrapped the transport): deliveries and timers come from it. */
static struct transport *rec_inner(struct transport *t)
{
	struct transport *in = ((struct rec_transport *)t)->inner;
	in->deliver = t->deliver;
	in->ctx = t->ctx;
	return in;
}

/* The shared row an entry of m refers to (its kind decides the index's meaning, ps/msg.h). */
static uint32_t entry_row(const struct msg *m, size_t i)
{
	switch (m->kind) {
	case MSG_MIRROR:
	case MSG_HUB:
		return (uint32_t)(m->idx[i] / REC.row_len);
	case MSG_BARRIER: {
		int S = ps_replica_nshards(cluster_ps(REC.cl), m->replica);
		return (uint32_t)((size_t)m->idx[i] * (size_t)S + (size_t)m->shard);
	}
	default:
		return m->idx[i];
	}
}

static void rec_send(struct transport *t, struct msg *m)
{
	struct ps *ps = cluster_ps(REC.cl);
	if (m->kind == MSG_READ || m->kind == MSG_PUSH) {
		CU_ASSERT_FATAL(m->worker < MAXW && m->clock < MAXC);
		if (m->kind == MSG_READ)
			REC.nread[m->worker][m->clock]++;
		uint8_t *set = m->kind == MSG_READ ? REC.read[m->worker][m->clock]
		                                   : REC.push[m->worker][m->clock];
		for (size_t i = 0; i < m->n; i++) {
			CU_ASSERT_FATAL(m->idx[i] < MAXROWS);
			set[m->idx[i]] = 1;
		}
	}
	if (m->src != m->dst && m->idx) {
		int cross = ps_nodes_region(ps, m->src) != ps_nodes_region(ps, m->dst);
		for (size_t i = 0; i < m->n; i++) {
			uint32_t row = entry_row(m, i);
			REC.rows_remote++;
			if (row > REC.max_row)
				REC.max_row = row;
			if (cross && row < MAXROWS)
				REC.crossed[row] = 1;
		}
	}
	rec_inner(t)->ops->send(rec_inner(t), m);
}

static sim_time_t rec_now(struct transport *t)
{
	return rec_inner(t)->ops->now(rec_inner(t));
}

static void rec_timer(struct transport *t, sim_time_t d, transport_timer_fn fn, void *arg)
{
	rec_inner(t)->ops->timer(rec_inner(t), d, fn, arg);
}

static double rec_queued(struct transport *t, int src, int dst)
{
	return rec_inner(t)->ops->queued_bytes(rec_inner(t), src, dst);
}

static double rec_bps(struct transport *t, int src, int dst)
{
	return rec_inner(t)->ops->path_bps(rec_inner(t), src, dst);
}

static void rec_destroy(struct transport *t)
{
	rec_inner(t)->ops->destroy(rec_inner(t));
	free(t);
}

static const struct transport_ops rec_ops = {
	.name = "record", .now = rec_now, .send = rec_send, .timer = rec_timer,
	.queued_bytes = rec_queued, .path_bps = rec_bps, .destroy = rec_destroy,
};

static struct transport *rec_new(struct transport *inner, void *arg)
{
	(void)arg;
	struct rec_transport *r = xcalloc(1, sizeof *r);
	r->base.ops = &rec_ops;
	r->inner = inner;
	return &r->base;
}

/* One recorded run. */
struct run {
	struct topology *topo;   /* sync/two.topo */
	struct runcfg *cfg;      /* sync model keys */
	void *sp;                /* its parameters */
	struct cluster *c;       /* the run */
	int machines[2];         /* per region */
	double wan_bytes;        /* bytes between the two regions */
	double final_objective;  /* objective of replica 0 at its last evaluation */
	double first_objective;  /* at clock 0 */
};

/* Run `sync` (with `keys`) for `clocks` clocks on sync/two.topo, `per_region` machines each. */
static void run_do(struct run *r, const char *sync, const char *const *keys, int per_region,
                   struct workload *wl, int64_t clocks)
{
	memset(&REC, 0, sizeof REC);
	REC.row_len = mf_ops.row_len(wl);
	r->topo = topology_load(testutil_data("sync/two.topo"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->topo);
	r->cfg = runcfg_new();
	for (int i = 0; keys && keys[i]; i++)
		CU_ASSERT_FATAL(runcfg_set(r->cfg, keys[i]) == 0);
	const char *arg;
	const struct sync_ops *so = sync_find(sync, &arg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(so);
	r->sp = so->parse(arg, r->cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->sp);
	CU_ASSERT_FATAL(runcfg_check_unused(r->cfg) == 0);
	r->machines[0] = r->machines[1] = per_region;
	struct cluster_config cc = {
		.topo = r->topo, .machines = r->machines, .sync = so, .sync_params = r->sp,
		.wl_ops = &mf_ops, .wl = wl, .transport = "sim", .seed = 1, .max_clocks = clocks,
		.eval_every = 1, .target = NAN, .time_limit = SIMTIME_NEVER, .value_bytes = 4,
		.index_bytes = 4, .header_bytes = 64, .drain = 1, .wrap_transport = rec_new,
	};
	r->c = cluster_new(&cc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->c);
	REC.cl = r->c;
	cluster_run(r->c, SIMTIME_NEVER);
	CU_ASSERT(cluster_finished(r->c));
	const struct ps_stats *st = cluster_stats(r->c);
	r->wan_bytes = 0;
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++)
			for (int k = 0; k < MSG_NKINDS && a != b; k++)
				r->wan_bytes += st->wan_bytes[(a * 2 + b) * MSG_NKINDS + k];
	size_t ne;
	const struct ps_eval *ev = cluster_evals(r->c, &ne);
	r->first_objective = r->final_objective = NAN;
	for (size_t i = 0; i < ne; i++)
		if (ev[i].replica == 0) {
			if (ev[i].clock == 0)
				r->first_objective = ev[i].objective;
			r->final_objective = ev[i].objective;
		}
}

static void run_free(struct run *r)
{
	cluster_free(r->c);
	free(r->sp);
	runcfg_free(r->cfg);
	topology_free(r->topo);
}

/* The tiny hand-made data as a workload over `nw` workers (the first half in region a). */
static struct wl_handle tiny_workload(const char *placement, int nw, char **files)
{
	files[0] = testutil_tmpfile(TINY_TRAIN);
	files[1] = testutil_tmpfile(TINY_TEST);
	static char kd[300], kt[300], kp[64];
	snprintf(kd, sizeof kd, "mf.data = %s", files[0]);
	snprintf(kt, sizeof kt, "mf.test_data = %s", files[1]);
	snprintf(kp, sizeof kp, "mf.placement = %s", placement);
	const char *keys[] = { kd, kt, kp, "mf.rank = 2", "mf.batch_fraction = 1", NULL };
	int region[MAXW];
	for (int k = 0; k < nw; k++)
		region[k] = k < nw / 2 ? 0 : 1;
	capture_begin(); /* the note about test users without training ratings */
	struct wl_handle h = wl_make(keys, nw, region, 2);
	capture_end();
	return h;
}

static void files_drop(char **files)
{
	for (int i = 0; i < 2; i++) {
		unlink(files[i]);
		free(files[i]);
	}
}

/*
 * A full-pass clock (mf.batch_fraction = 1) reads and writes exactly the rows of the whole pass.
 * Each worker's rows are those of its own ratings, and it pushes every row it reads (every
 * touched row changes), the same rows every pass; over the two workers that is every row
 * (ps placement: users 0, 1 and items 2..5, row U + item; local placement: items 0..3). Under
 * local placement the partition deals whole users to the least-loaded worker, so whichever
 * user comes first, one worker holds user 1's 3 ratings and reads exactly items 0, 1, 2, the
 * other holds user 2's rating and reads exactly item 3. With bsp a worker refetches every row
 * each clock (its cached copy was served at the previous clock); with ps.refetch = stale the
 * initial model counts as cached at clock 0 (no read at all), with `always` clock 0 reads too.
 */
static void check_full_pass(const char *placement, const char *refetch)
{
	int local = !strcmp(placement, "local"), always = !strcmp(refetch, "always");
	size_t nshared = local ? 4 : 6;
	char *files[2];
	struct wl_handle h = tiny_workload(placement, 2, files);
	CU_ASSERT_EQUAL(mf_ops.nrows(h.wl), nshared);
	char kr[64];
	snprintf(kr, sizeof kr, "ps.refetch = %s", refetch);
	const char *keys[] = { kr, NULL };
	struct run r;
	run_do(&r, "bsp", keys, 1, h.wl, 3);
	for (int64_t c = 0; c < 3; c++) {
		uint8_t rd[MAXROWS] = { 0 }, pu[MAXROWS] = { 0 };
		for (int k = 0; k < 2; k++) {
			for (size_t row = 0; row < nshared; row++) {
				/* every row a worker pushes it read (at clock 0 only if refetching) */
				if (c > 0 || always)
					CU_ASSERT_EQUAL(REC.read[k][c][row], REC.push[k][c][row]);
				rd[row] |= REC.read[k][c][row];
				pu[row] |= REC.push[k][c][row];
			}
			/* the worker's rows are the same every pass */
			CU_ASSERT(memcmp(REC.push[k][c], REC.push[k][0], MAXROWS) == 0);
			if (local) {
				static const uint8_t heavy[MAXROWS] = { 1, 1, 1 }, light[MAXROWS] = { 0, 0, 0, 1 };
				uint64_t n = mf_ops.units(h.wl, k);
				CU_ASSERT_FATAL(n == 3 || n == 1);
				CU_ASSERT(memcmp(REC.push[k][c], n == 3 ? heavy : light, MAXROWS) == 0);
			}
		}
		for (size_t row = 0; row < MAXROWS; row++) {
			int expect = row < nshared;
			CU_ASSERT_EQUAL(pu[row], expect);
			CU_ASSERT_EQUAL(rd[row], (c > 0 || always) ? expect : 0);
		}
		if (c == 0 && !always)
			CU_ASSERT_EQUAL(REC.nread[0][0] + REC.nread[1][0], 0);
	}
	run_free(&r);
	wl_drop(&h);
	files_drop(files);
}

static void test_full_pass_ps_stale(void)
{
	check_full_pass("ps", "stale");
}

static void test_full_pass_ps_always(void)
{
	check_full_pass("ps", "always");
}

static void test_full_pass_local_always(void)
{
	check_full_pass("local", "always");
}

/*
 * With local placement no user row ever travels: the shared rows are the I items (0..I-1) and
 * every row in every message between two nodes (reads, replies, pushes, Gaia's mirror batches)
 * is one of them. The ps placement is the control: there user rows (0..U-1) cross between the
 * regions. Training still happens (the objective falls), and the WAN carries fewer bytes.
 */
static void check_no_user_rows(const char *sync)
{
	const char *base[] = { "mf.users = 60", "mf.items = 30", "mf.ratings = 600", "mf.rank = 4",
	                       "mf.batch_fraction = 1", NULL, NULL };
	int region[4] = { 0, 0, 1, 1 };
	struct wl_handle ps = wl_make(base, 4, region, 2);
	base[5] = "mf.placement = local";
	struct wl_handle lo = wl_make(base, 4, region, 2);
	CU_ASSERT_EQUAL(mf_ops.nrows(ps.wl), 90);
	CU_ASSERT_EQUAL(mf_ops.nrows(lo.wl), 30);
	struct run r;
	run_do(&r, sync, NULL, 2, ps.wl, 3);
	int users_crossed = 0;
	for (int row = 0; row < 60; row++)
		users_crossed += REC.crossed[row];
	CU_ASSERT(users_crossed > 0); /* the control: the test can see user rows */
	double wan_ps = r.wan_bytes;
	run_free(&r);
	run_do(&r, sync, NULL, 2, lo.wl, 3);
	CU_ASSERT(REC.rows_remote > 0);
	CU_ASSERT(REC.max_row < 30); /* items only */
	CU_ASSERT(r.final_objective < r.first_objective);
	CU_ASSERT(r.wan_bytes < wan_ps);
	run_free(&r);
	wl_drop(&ps);
	wl_drop(&lo);
}

static void test_no_user_rows_bsp(void)
{
	check_no_user_rows("bsp");
}

static void test_no_user_rows_gaia(void)
{
	check_no_user_rows("gaia");
}

/*
 * The engine resets the worker-local state when it builds a run: the same workload instance
 * run twice gives the same result bit for bit (without the reset the second run would start
 * from the first one's trained users).
 */
static void test_local_state_reset_per_run(void)
{
	const char *keys[] = { "mf.users = 60", "mf.items = 30", "mf.ratings = 600", "mf.rank = 4",
	                       "mf.batch_fraction = 1", "mf.placement = local", NULL };
	int region[4] = { 0, 0, 1, 1 };
	struct wl_handle h = wl_make(keys, 4, region, 2);
	struct run r;
	run_do(&r, "bsp", NULL, 2, h.wl, 3);
	double f1 = r.final_objective;
	run_free(&r);
	run_do(&r, "bsp", NULL, 2, h.wl, 3);
	CU_ASSERT(f1 == r.final_objective);
	run_free(&r);
	wl_drop(&h);
}

/* ps.refetch takes `stale` or `always`; anything else is an error naming the key. */
static void test_refetch_key(void)
{
	struct runcfg *cfg = runcfg_new();
	CU_ASSERT_FATAL(runcfg_set(cfg, "ps.refetch = sometimes") == 0);
	capture_begin();
	void *p = sync_bsp.parse(NULL, cfg);
	const char *msg = capture_end();
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "ps.refetch"));
	runcfg_free(cfg);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "objective with local placement, by hand", test_objective_local_by_hand },
		{ "initial objective equal under both placements", test_objective_same_initial_model },
		{ "local placement partitions whole users", test_partition_users },
		{ "local placement refuses the skewed partition", test_local_refuses_skewed },
		{ "full-pass clock rows, ps placement, refetch stale", test_full_pass_ps_stale },
		{ "full-pass clock rows, ps placement, refetch always", test_full_pass_ps_always },
		{ "full-pass clock rows, local placement", test_full_pass_local_always },
		{ "no user row crosses the network (bsp)", test_no_user_rows_bsp },
		{ "no user row crosses the network (gaia)", test_no_user_rows_gaia },
		{ "local state reset for every run", test_local_state_reset_per_run },
		{ "ps.refetch values", test_refetch_key },
		{ NULL, NULL },
	};
	testutil_suite("mfplace", cases);
	return testutil_run();
}
