/*
 * Tests of Gaia's hub overlay (`gaia.hubs = on`, ps/gaia_hubs.c, docs/sync-models.md "Hubs")
 * on the shipped ec2-11 topology, whose three groups are americas (hub virginia: california,
 * oregon, saopaulo), asia (hub tokyo: seoul, singapore, sydney) and europe (hub frankfurt:
 * ireland, mumbai).
 *
 * A purpose-built workload makes every update known in advance (it does not depend on the
 * view): worker w adds own(w, c, j) to element j of its own row w at clock c, and share(w) to
 * the shared row W (W = number of workers); the workers of california add +0.25 and those of
 * oregon -0.25 to the "cancel" row W + 1, so the americas hub's group sum of that row is exactly
 * zero every clock and must not be sent. The model starts at all ones, so the final value of
 * every parameter is a closed form, and the view a step was given says exactly how many of each
 * worker's updates it holds. Compute is 10 ms per clock at speed 1 (10 units of 1 ms).
 *
 * Every run also passes each message the protocol sends through the wire codec (ps/msg.h): it
 * must encode to exactly the bytes the simulator charged and decode back to the same message.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cluster.h"
#include "ps/ps-internal.h"
#include "ps/ps.h"
#include "ps/sync.h"
#include "lib/xmalloc.h"
#include "tests/testutil.h"
#include "topology/topology.h"
#include "lib/runcfg.h"
#include "workloads/workload.h"

#define ROW_LEN 2
#define UNITS_PER_CLOCK 10
#define NS_PER_UNIT 1e6
#define NS_PER_CLOCK INT64_C(10000000)
#define HDR 64.0       /* wire.header_bytes used here */

/* ---- the workload ---- */

struct workload {
	int nworkers;            /* workers W */
	const int *region;       /* region of each worker */
	int cal, ore;            /* california's and oregon's region indices */
	size_t nrows, np;        /* W + 2 rows; parameters */
	int64_t maxc;            /* clocks recorded */
	const struct cluster *cl; /* for timestamps */
	uint32_t *rowbuf;        /* rows_needed buffer: every row */
	double *views;           /* nworkers * maxc * np: the view of each step */
	sim_time_t *start;       /* nworkers * maxc: when each step ran, ns */
	uint8_t *seen;           /* nworkers * maxc: step ran */
	double *probe;           /* np: the last model objective() was called with */
};

static double own(int w, int64_t c, size_t j)
{
	return (w + 1) * 1e-3 + (double)(c + 1) * 1e-4 + (double)j * 1e-5;
}

static double share(int w)
{
	return 1e-3 * (1 + w % 3);
}

static double cancel(const struct workload *wl, int w)
{
	return wl->region[w] == wl->cal ? 0.25 : wl->region[w] == wl->ore ? -0.25 : 0;
}

static size_t wl_nrows(const struct workload *w) { return w->nrows; }
static size_t wl_row_len(const struct workload *w) { (void)w; return ROW_LEN; }

static void wl_init_model(const struct workload *w, double *p)
{
	for (size_t i = 0; i < w->np; i++)
		p[i] = 1.0;
}

static uint64_t wl_step(struct workload *wl, int w, int64_t c, const double *model,
                        struct wl_update *out)
{
	CU_ASSERT_FATAL(c >= 0 && c < wl->maxc);
	size_t k = (size_t)w * (size_t)wl->maxc + (size_t)c;
	CU_ASSERT(!wl->seen[k]);
	wl->seen[k] = 1;
	wl->start[k] = cluster_now(wl->cl);
	memcpy(wl->views + k * wl->np, model, wl->np * sizeof *model);
	size_t n = cancel(wl, w) != 0 ? 3 : 2;
	wl_update_reserve(out, n, ROW_LEN);
	out->nrows = n;
	out->rows[0] = (uint32_t)w;
	out->rows[1] = (uint32_t)wl->nworkers;
	if (n == 3)
		out->rows[2] = (uint32_t)wl->nworkers + 1;
	for (size_t j = 0; j < ROW_LEN; j++) {
		out->vals[j] = own(w, c, j);
		out->vals[ROW_LEN + j] = share(w);
		if (n == 3)
			out->vals[2 * ROW_LEN + j] = cancel(wl, w);
	}
	return UNITS_PER_CLOCK;
}

static size_t wl_rows_needed(struct workload *wl, int w, int64_t c, const uint32_t **rows)
{
	(void)w;
	(void)c;
	*rows = wl->rowbuf;
	return wl->nrows;
}

/* Sum of squares; keeps a copy of the parameters it was given (the test's window on them). */
static double wl_objective(const struct workload *wl, const double *p)
{
	double s = 0;
	memcpy(wl->probe, p, wl->np * sizeof *p);
	for (size_t i = 0; i < wl->np; i++)
		s += p[i] * p[i];
	return s;
}

static double wl_metric(const struct workload *wl, const double *p)
{
	(void)wl;
	(void)p;
	return 0;
}

static double wl_lr(const struct workload *w, int64_t c) { (void)w; (void)c; return 1.0; }
static double wl_ns_per_unit(const struct workload *w) { (void)w; return NS_PER_UNIT; }
static uint64_t wl_units(const struct workload *w, int k) { (void)w; (void)k; return UNITS_PER_CLOCK; }

static const struct workload_ops hub_ops = {
	.name = "hubcount",
	.metric_name = "none",
	.nrows = wl_nrows,
	.row_len = wl_row_len,
	.init_model = wl_init_model,
	.step = wl_step,
	.rows_needed = wl_rows_needed,
	.objective = wl_objective,
	.metric = wl_metric,
	.learning_rate = wl_lr,
	.ns_per_unit = wl_ns_per_unit,
	.units = wl_units,
};

/* ---- assembling a run like cli/run.c does ---- */

struct opts {
	int machines;            /* per region */
	int hubs;                /* gaia.hubs */
	int slack;               /* gaia.slack */
	int64_t clocks;          /* clocks per worker */
	const char *extra[4];    /* more config assignments, NULL-terminated */
	const char *slow;        /* region whose machines are slowed, or NULL */
	double factor;           /* by this factor */
	int no_groups;           /* pass the topology without its groups */
};

struct run {
	struct topology *topo;
	struct runcfg *cfg;
	void *sp;
	struct cluster *c;       /* the cluster (cli/cluster.h) */
	struct ps *ps;           /* its parameter server */
	struct workload wl;
	int R, N;                /* regions, workers */
	int *machines, *node_region;
	double *speed;
};

/* ---- wire check: a transport that encodes and decodes every message, then forwards it ---- */

struct wire_check {
	struct transport base;   /* must be first */
	struct transport *inner; /* the simulated transport */
};
static uint64_t wire_seen[MSG_NKINDS]; /* messages checked, by kind, over every run */
static uint64_t wire_bad;              /* of those, not sent exactly as charged */

static struct wire_check *wc(struct transport *t)
{
	return (struct wire_check *)t;
}

/* The inner transport, with the upcall the parameter server set on the wrapper (ps_new sets
 * it after the cluster builder wrapped the transport): deliveries and timers come from it. */
static struct transport *inner(struct transport *t)
{
	wc(t)->inner->deliver = t->deliver;
	wc(t)->inner->ctx = t->ctx;
	return wc(t)->inner;
}

/* The decoded message carries the same fields and entries (values as float32 rounds them). */
static int wire_same(const struct msg *m, const struct msg *d, size_t rl)
{
	if (d->kind != m->kind || d->src != m->src || d->dst != m->dst || d->clock != m->clock ||
	    d->shard != m->shard || d->replica != m->replica || d->lane != m->lane ||
	    d->n != m->n || (m->kind != MSG_READ && m->kind != MSG_REPLY && m->kind != MSG_PUSH &&
	                     d->batch != m->batch))
		return 0;
	if (m->kind == MSG_REPLY && (d->wait != m->wait || d->held != m->held ||
	                             d->served_clock != m->served_clock ||
	                             d->local_clock != m->local_clock || d->worker != m->worker))
		return 0;
	size_t v = m->kind == MSG_REPLY || m->kind == MSG_PUSH ? rl
	         : m->kind == MSG_MIRROR || m->kind == MSG_HUB ? 1 : 0;
	for (size_t i = 0; i < d->n; i++) { /* dense blocks come back sorted: look each one up */
		size_t j = 0;
		while (j < m->n && m->idx[j] != d->idx[i])
			j++;
		if (j == m->n)
			return 0;
		for (size_t k = 0; k < v; k++)
			if (d->val[i * v + k] != (double)(float)m->val[j * v + k])
				return 0;
	}
	return 1;
}

static void wire_check_send(struct transport *t, struct msg *m)
{
	const struct ps *ps = t->ctx; /* the upcall's context is the parameter server */
	int node = m->kind == MSG_READ || m->kind == MSG_PUSH ? m->dst : m->src;
	const struct ps_shard *s = ps->shard_at[node];
	struct msg_format f;
	ps_msg_format(ps, s, &f);
	size_t cap = msg_encoded_bytes(m, &f), len = 0, used = 0;
	uint8_t *buf = xmalloc(cap + 1);
	struct msg *d = NULL;
	int ok = msg_encode(m, &f, buf, cap, &len) == MSG_OK && (double)len == m->wire_bytes &&
	         msg_decode(buf, len, &f, &d, &used) == MSG_OK && used == len &&
	         wire_same(m, d, f.row_len);
	wire_seen[m->kind]++;
	wire_bad += !ok;
	msg_free(d);
	free(buf);
	inner(t)->ops->send(inner(t), m);
}

static sim_time_t wire_check_now(struct transport *t)
{
	return wc(t)->inner->ops->now(wc(t)->inner);
}

static void wire_check_timer(struct transport *t, sim_time_t delay, transport_timer_fn fn,
                             void *arg)
{
	inner(t)->ops->timer(inner(t), delay, fn, arg);
}

static double wire_check_queued(struct transport *t, int src, int dst)
{
	return wc(t)->inner->ops->queued_bytes(wc(t)->inner, src, dst);
}

static double wire_check_bps(struct transport *t, int src, int dst)
{
	return wc(t)->inner->ops->path_bps(wc(t)->inner, src, dst);
}

static void wire_check_destroy(struct transport *t)
{
	wc(t)->inner->ops->destroy(wc(t)->inner);
	free(t);
}

static const struct transport_ops wire_check_ops = {
	.name = "wire-check",
	.now = wire_check_now,
	.send = wire_check_send,
	.timer = wire_check_timer,
	.queued_bytes = wire_check_queued,
	.path_bps = wire_check_bps,
	.destroy = wire_check_destroy,
};

static struct transport *wire_check_new(struct transport *in, void *arg)
{
	(void)arg;
	struct wire_check *w = xcalloc(1, sizeof *w);
	w->base.ops = &wire_check_ops;
	w->inner = in;
	return &w->base;
}

static void run_free(struct run *r)
{
	if (!r)
		return;
	cluster_free(r->c);
	free(r->sp);
	runcfg_free(r->cfg);
	topology_free(r->topo);
	free(r->machines);
	free(r->node_region);
	free(r->speed);
	free(r->wl.rowbuf);
	free(r->wl.views);
	free(r->wl.start);
	free(r->wl.seen);
	free(r->wl.probe);
	free(r);
}

/* Build and run to the end: every message delivered (the simulation runs until no event). */
static struct run *run_new(const struct opts *o)
{
	struct run *r = xcalloc(1, sizeof *r);
	r->topo = topology_load("ec2-11");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->topo);
	CU_ASSERT_EQUAL_FATAL(r->topo->ngroups, 3);
	r->cfg = runcfg_new();
	char buf[64];
	snprintf(buf, sizeof buf, "gaia.hubs = %s", o->hubs ? "on" : "off");
	CU_ASSERT_FATAL(runcfg_set(r->cfg, buf) == 0);
	snprintf(buf, sizeof buf, "gaia.slack = %d", o->slack);
	CU_ASSERT_FATAL(runcfg_set(r->cfg, buf) == 0);
	for (int i = 0; o->extra[i]; i++)
		CU_ASSERT_FATAL(runcfg_set(r->cfg, o->extra[i]) == 0);
	r->sp = sync_gaia.parse(NULL, r->cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->sp);
	CU_ASSERT_FATAL(runcfg_check_unused(r->cfg) == 0);

	int R = r->R = r->topo->n;
	r->N = R * o->machines;
	r->machines = xmalloc((size_t)R * sizeof *r->machines);
	r->node_region = xmalloc((size_t)r->N * sizeof *r->node_region);
	r->speed = xmalloc((size_t)r->N * sizeof *r->speed);
	int slow = o->slow ? topology_region(r->topo, o->slow) : -1;
	for (int q = 0, n = 0; q < R; q++) {
		r->machines[q] = o->machines;
		for (int m = 0; m < o->machines; m++, n++) {
			r->node_region[n] = q;
			r->speed[n] = q == slow ? o->factor : 1.0;
		}
	}

	struct workload *w = &r->wl;
	w->nworkers = r->N;
	w->region = r->node_region;
	w->cal = topology_region(r->topo, "california");
	w->ore = topology_region(r->topo, "oregon");
	w->nrows = (size_t)r->N + 2;
	w->np = w->nrows * ROW_LEN;
	w->maxc = o->clocks;
	w->rowbuf = xmalloc(w->nrows * sizeof *w->rowbuf);
	for (size_t i = 0; i < w->nrows; i++)
		w->rowbuf[i] = (uint32_t)i;
	size_t nk = (size_t)r->N * (size_t)w->maxc;
	w->views = xcalloc(nk * w->np, sizeof *w->views);
	w->start = xcalloc(nk, sizeof *w->start);
	w->seen = xcalloc(nk, 1);
	w->probe = xcalloc(w->np, sizeof *w->probe);

	struct cluster_config cc = {
		.topo = r->topo,
		.wrap_transport = wire_check_new,
		.machines = r->machines,
		.no_hub_groups = o->no_groups,
		.sync = &sync_gaia,
		.sync_params = r->sp,
		.wl_ops = &hub_ops,
		.wl = w,
		.speed = r->speed,
		.transport = "sim",
		.seed = 1,
		.max_clocks = o->clocks,
		.eval_every = 1000000,
		.target = NAN,
		.time_limit = SIMTIME_NEVER,
		.value_bytes = 4,
		.index_bytes = 4,
		.header_bytes = HDR,
		.drain = 1,
	};
	r->c = cluster_new(&cc);
	if (!r->c)
		return r; /* the caller checks */
	r->ps = cluster_ps(r->c);
	w->cl = r->c;
	cluster_run(r->c, SIMTIME_NEVER);
	CU_ASSERT(cluster_finished(r->c));
	CU_ASSERT_EQUAL(cluster_pending(r->c), 0);
	for (size_t k = 0; k < nk; k++)
		CU_ASSERT(w->seen[k]);
	return r;
}

static int region(const struct run *r, const char *name)
{
	int q = topology_region(r->topo, name);
	CU_ASSERT_FATAL(q >= 0);
	return q;
}

static int group_of(const struct run *r, int q)
{
	return r->topo->regions[q].group;
}

static int is_hub(const struct run *r, int q)
{
	return r->topo->groups[group_of(r, q)].hub == q;
}

static double msgs(const struct run *r, int a, int b, int k)
{
	return cluster_stats(r->c)->wan_msgs[((size_t)a * (size_t)r->R + (size_t)b) * MSG_NKINDS + (size_t)k];
}

static double bytes(const struct run *r, int a, int b, int k)
{
	return cluster_stats(r->c)->wan_bytes[((size_t)a * (size_t)r->R + (size_t)b) * MSG_NKINDS + (size_t)k];
}

/* Parameters of replica q (through the workload's objective, which copies them). */
static const double *params(struct run *r, int q)
{
	double obj, met;
	ps_replica_eval(r->ps, q, &obj, &met);
	return r->wl.probe;
}

/* The closed-form final model after T clocks of every worker. */
static void expected_final(const struct run *r, int64_t T, double *x)
{
	const struct workload *w = &r->wl;
	for (size_t i = 0; i < w->np; i++)
		x[i] = 1.0;
	for (int k = 0; k < r->N; k++)
		for (int64_t c = 0; c < T; c++)
			for (size_t j = 0; j < ROW_LEN; j++) {
				x[(size_t)k * ROW_LEN + j] += own(k, c, j);
				x[(size_t)r->N * ROW_LEN + j] += share(k);
				x[((size_t)r->N + 1) * ROW_LEN + j] += cancel(w, k);
			}
}

static int close_rel(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* ---- (1) conservation ---- */

/* Every replica ends with exactly the closed form, hubs on and off (threshold 0, slack 0). */
static void check_conservation(int machines, const char *apply)
{
	const int64_t T = 6;
	double *x = NULL;
	double *first = NULL;
	for (int hubs = 0; hubs <= 1; hubs++) {
		struct opts o = { .machines = machines, .hubs = hubs, .slack = 0, .clocks = T,
		                  .extra = { "gaia.threshold = 0", "gaia.schedule = constant", apply,
		                             NULL } };
		struct run *r = run_new(&o);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r->ps);
		if (!x) {
			x = xmalloc(r->wl.np * sizeof *x);
			first = xmalloc((size_t)r->R * r->wl.np * sizeof *first);
			expected_final(r, T, x);
		}
		CU_ASSERT_EQUAL(ps_nreplicas(r->ps), r->R);
		for (int q = 0; q < ps_nreplicas(r->ps); q++) {
			const double *p = params(r, q);
			int bad = 0;
			for (size_t i = 0; i < r->wl.np; i++) {
				bad += !close_rel(p[i], x[i]);
				if (hubs)
					bad += !close_rel(p[i], first[(size_t)q * r->wl.np + i]);
				else
					first[(size_t)q * r->wl.np + i] = p[i];
			}
			CU_ASSERT_EQUAL(bad, 0);
			/* the cancel row is untouched where its updates cancel */
			CU_ASSERT_DOUBLE_EQUAL(p[((size_t)r->N + 1) * ROW_LEN], 1.0, 1e-12);
		}
		run_free(r);
	}
	free(x);
	free(first);
}

static void test_conservation_one_machine(void)
{
	check_conservation(1, "gaia.apply = immediate");
}

static void test_conservation_two_machines(void)
{
	check_conservation(2, "gaia.apply = immediate");
}

static void test_conservation_apply_significant(void)
{
	check_conservation(1, "gaia.apply = significant");
}

/* ---- (2) traffic ---- */

/*
 * Message counts and bytes by region pair and kind, worked by hand for machines = 1 (one shard
 * per region, 13 rows of 2 values: 26 elements, a dense block of 104 bytes; (index, value)
 * entries of 8 bytes; header 64). A region's batch each clock: its own row and the shared row
 * (4 entries, 96 bytes); california and oregon also the cancel row (6 entries, 112 bytes).
 */
static void test_traffic(void)
{
	const int64_t T = 5;
	struct opts o = { .machines = 1, .slack = 0, .clocks = T,
	                  .extra = { "gaia.threshold = 0", "gaia.schedule = constant", NULL } };
	o.hubs = 0;
	struct run *off = run_new(&o);
	o.hubs = 1;
	struct run *on = run_new(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(off->ps);
	CU_ASSERT_PTR_NOT_NULL_FATAL(on->ps);
	int R = on->R;
	int cal = region(on, "california"), ore = region(on, "oregon");
	int vir = region(on, "virginia"), tok = region(on, "tokyo"), fra = region(on, "frankfurt");
	double off_inter_msgs = 0, on_inter_msgs = 0, off_inter_bytes = 0, on_inter_bytes = 0;
	double off_mclock = 0, on_mclock = 0, on_hclock_hubs = 0, on_hclock_members = 0;
	for (int a = 0; a < R; a++)
		for (int b = 0; b < R; b++) {
			if (a == b)
				continue;
			int same = group_of(on, a) == group_of(on, b);
			double batch = HDR + (a == cal || a == ore ? 48 : 32);
			/* hubs off: every region sends its batch and mirror clock to every other */
			CU_ASSERT_EQUAL(msgs(off, a, b, MSG_MIRROR), T);
			CU_ASSERT_DOUBLE_EQUAL(bytes(off, a, b, MSG_MIRROR), T * batch, 1e-9);
			CU_ASSERT_EQUAL(msgs(off, a, b, MSG_HUB) + msgs(off, a, b, MSG_HCLOCK), 0);
			off_mclock += msgs(off, a, b, MSG_MCLOCK);
			/* hubs on: batches and mirror clocks stay in the group */
			CU_ASSERT_EQUAL(msgs(on, a, b, MSG_MIRROR), same ? T : 0);
			CU_ASSERT_EQUAL(msgs(on, a, b, MSG_MCLOCK), same ? T : 0);
			CU_ASSERT_EQUAL(msgs(on, a, b, MSG_BARRIER), 0);
			if (same)
				CU_ASSERT_DOUBLE_EQUAL(bytes(on, a, b, MSG_MIRROR), T * batch, 1e-9);
			on_mclock += msgs(on, a, b, MSG_MCLOCK);
			/* hub kinds: hub -> other hub, hub -> its members; nothing else */
			int hub_pair = is_hub(on, a) && is_hub(on, b) && !same;
			int hub_member = is_hub(on, a) && same;
			CU_ASSERT_EQUAL(msgs(on, a, b, MSG_HUB), hub_pair || hub_member ? T : 0);
			CU_ASSERT_EQUAL(msgs(on, a, b, MSG_HCLOCK), hub_pair || hub_member ? T : 0);
			if (hub_pair)
				on_hclock_hubs += msgs(on, a, b, MSG_HCLOCK);
			if (hub_member)
				on_hclock_members += msgs(on, a, b, MSG_HCLOCK);
			if (!same) {
				off_inter_msgs += msgs(off, a, b, MSG_MIRROR) + msgs(off, a, b, MSG_HUB);
				off_inter_bytes += bytes(off, a, b, MSG_MIRROR) + bytes(off, a, b, MSG_HUB);
				on_inter_msgs += msgs(on, a, b, MSG_MIRROR) + msgs(on, a, b, MSG_HUB);
				on_inter_bytes += bytes(on, a, b, MSG_MIRROR) + bytes(on, a, b, MSG_HUB);
			}
		}
	/* 110 ordered pairs, 30 inside groups (4*3 + 4*3 + 3*2), 80 across */
	CU_ASSERT_EQUAL(off_mclock, 110 * T);
	CU_ASSERT_EQUAL(on_mclock, 30 * T);
	CU_ASSERT_EQUAL(on_hclock_hubs, 6 * T);
	CU_ASSERT_EQUAL(on_hclock_members, (3 + 3 + 2) * T);
	CU_ASSERT_EQUAL(off_inter_msgs, 80 * T);
	CU_ASSERT_EQUAL(on_inter_msgs, 6 * T);
	/* off: americas 4 regions x 7 receivers (two of them with the cancel row), asia 4 x 7,
	 * europe 3 x 8 */
	CU_ASSERT_DOUBLE_EQUAL(off_inter_bytes, T * ((96 + 112 + 112 + 96) * 7 + 4 * 96 * 7 + 3 * 96 * 8), 1e-6);
	/* on: a group sum holds its members' own rows and the shared row, never the cancelled row:
	 * americas and asia 4 + 1 rows (10 entries, 144 bytes), europe 3 + 1 (8 entries, 128) */
	CU_ASSERT_DOUBLE_EQUAL(bytes(on, vir, tok, MSG_HUB), T * 144, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(bytes(on, vir, fra, MSG_HUB), T * 144, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(bytes(on, tok, vir, MSG_HUB), T * 144, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(bytes(on, fra, tok, MSG_HUB), T * 128, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(on_inter_bytes, T * (2 * 144 + 2 * 144 + 2 * 128), 1e-6);
	/* forwarded inter-group sums hold 7 or 8 own rows and the shared row: 16 or 18 entries,
	 * more than the dense block, so 64 + 104 bytes */
	for (int b = 0; b < R; b++)
		if (b != vir && group_of(on, b) == group_of(on, vir))
			CU_ASSERT_DOUBLE_EQUAL(bytes(on, vir, b, MSG_HUB), T * (HDR + 104), 1e-9);
	CU_ASSERT(on_inter_msgs < off_inter_msgs);
	CU_ASSERT(on_inter_bytes < off_inter_bytes);
	run_free(off);
	run_free(on);
}

/* ---- (3) the slack bound and what a read sees ---- */

static sim_time_t start_at(const struct run *r, int w, int64_t c)
{
	return r->wl.start[(size_t)w * (size_t)r->wl.maxc + (size_t)c];
}

static sim_time_t end_at(const struct run *r, int w, int64_t c)
{
	return start_at(r, w, c) + (sim_time_t)llround((double)NS_PER_CLOCK * r->speed[w]);
}

static const double *view(const struct run *r, int w, int64_t c)
{
	return r->wl.views + ((size_t)w * (size_t)r->wl.maxc + (size_t)c) * r->wl.np;
}

/*
 * No worker starts clock c (c clocks completed) before every other worker has finished clock
 * c - slack - 1 (hubs add no clocks to the bound), and its view holds every other worker's
 * updates of clocks < c - slack, and no update that had not been computed yet (so none twice).
 */
static void check_bound(int slack, int machines, const char *slow, double factor)
{
	const int64_t T = 7;
	struct opts o = { .machines = machines, .hubs = 1, .slack = slack, .clocks = T, .slow = slow,
	                  .factor = factor,
	                  .extra = { "gaia.threshold = 0", "gaia.schedule = constant", NULL } };
	struct run *r = run_new(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->ps);
	int N = r->N, bad_time = 0, bad_low = 0, bad_high = 0;
	for (int x = 0; x < N; x++)
		for (int64_t c = 0; c < T; c++) {
			sim_time_t t0 = start_at(r, x, c);
			const double *v = view(r, x, c);
			double sh_lo = 1, sh_hi = 1;
			for (int y = 0; y < N; y++) {
				int64_t need = c - slack; /* clocks of y that must be in */
				if (y != x && need >= 1 && t0 < end_at(r, y, need - 1))
					bad_time++;
				int64_t done = 0; /* clocks y had computed by t0 */
				while (done < T && end_at(r, y, done) <= t0)
					done++;
				int64_t lo = y == x ? c : need > 0 ? need : 0;
				for (size_t j = 0; j < ROW_LEN; j++) {
					double l = 1, h = 1;
					for (int64_t k = 0; k < lo; k++)
						l += own(y, k, j);
					for (int64_t k = 0; k < done; k++)
						h += own(y, k, j);
					bad_low += v[(size_t)y * ROW_LEN + j] < l - 1e-12;
					bad_high += v[(size_t)y * ROW_LEN + j] > h + 1e-12;
				}
				sh_lo += (double)lo * share(y);
				sh_hi += (double)done * share(y);
			}
			bad_low += v[(size_t)N * ROW_LEN] < sh_lo - 1e-12;
			bad_high += v[(size_t)N * ROW_LEN] > sh_hi + 1e-12;
		}
	CU_ASSERT_EQUAL(bad_time, 0);
	CU_ASSERT_EQUAL(bad_low, 0);
	CU_ASSERT_EQUAL(bad_high, 0);
	/* with a straggler the bound is what paces the others: they finish within slack + 1
	 * clocks of it, not T clocks ahead */
	if (slow) {
		int s = region(r, slow) * machines;
		for (int x = 0; x < N; x++)
			if (r->node_region[x] != region(r, slow))
				CU_ASSERT(start_at(r, x, T - 1) >= end_at(r, s, T - 2 - slack));
	}
	run_free(r);
}

static void test_bound_slack0(void)
{
	check_bound(0, 1, NULL, 1);
	check_bound(0, 1, "sydney", 4);
}

static void test_bound_slack1(void)
{
	check_bound(1, 1, "mumbai", 5);
	check_bound(1, 2, "saopaulo", 3);
}

static void test_bound_slack2(void)
{
	check_bound(2, 1, "virginia", 6); /* a slow hub */
}

/* ---- barriers, configuration ---- */

/* A barrier before every batch (drain time 0): every HUB batch is announced, the run ends and
 * every replica still ends at the closed form. */
static void test_barrier_every_batch(void)
{
	const int64_t T = 5;
	struct opts o = { .machines = 1, .hubs = 1, .slack = 1, .clocks = T,
	                  .extra = { "gaia.threshold = 0", "gaia.schedule = constant",
	                             "gaia.barrier_drain_s = 0", NULL } };
	struct run *r = run_new(&o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->ps);
	for (int a = 0; a < r->R; a++)
		for (int b = 0; b < r->R; b++)
			if (a != b)
				CU_ASSERT_EQUAL(msgs(r, a, b, MSG_BARRIER),
				                msgs(r, a, b, MSG_MIRROR) + msgs(r, a, b, MSG_HUB));
	double *x = xmalloc(r->wl.np * sizeof *x);
	expected_final(r, T, x);
	for (int q = 0; q < r->R; q++) {
		const double *p = params(r, q);
		int bad = 0;
		for (size_t i = 0; i < r->wl.np; i++)
			bad += !close_rel(p[i], x[i]);
		CU_ASSERT_EQUAL(bad, 0);
	}
	free(x);
	run_free(r);
}

static void test_no_groups(void)
{
	char msg[512] = "";
	struct opts o = { .machines = 1, .hubs = 1, .clocks = 2, .no_groups = 1, .extra = { NULL } };
	diag_capture(msg, sizeof msg);
	struct run *r = run_new(&o);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(r->ps);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "gaia.hubs"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "hub groups"));
	run_free(r);
	/* without hubs the groups are not needed */
	o.hubs = 0;
	r = run_new(&o);
	CU_ASSERT_PTR_NOT_NULL(r->ps);
	run_free(r);
}

static void test_parse_accepts_on(void)
{
	struct runcfg *cfg = runcfg_new();
	CU_ASSERT_FATAL(runcfg_set(cfg, "gaia.hubs = on") == 0);
	void *p = sync_gaia.parse(NULL, cfg);
	CU_ASSERT_PTR_NOT_NULL(p);
	free(p);
	runcfg_free(cfg);
	cfg = runcfg_new();
	CU_ASSERT_FATAL(runcfg_set(cfg, "gaia.hubs = maybe") == 0);
	char msg[256] = "";
	diag_capture(msg, sizeof msg);
	p = sync_gaia.parse(NULL, cfg);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "gaia.hubs"));
	free(p);
	runcfg_free(cfg);
}

/* Every message of every run above went on the wire exactly as charged; every kind was seen. */
static void test_wire_codec(void)
{
	CU_ASSERT_EQUAL(wire_bad, 0);
	for (int k = 0; k < MSG_NKINDS; k++)
		CU_ASSERT(wire_seen[k] > 0);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "conservation, 1 machine per region", test_conservation_one_machine },
		{ "conservation, 2 machines per region", test_conservation_two_machines },
		{ "conservation, gaia.apply = significant", test_conservation_apply_significant },
		{ "traffic by region pair and kind", test_traffic },
		{ "slack 0 bound and visibility", test_bound_slack0 },
		{ "slack 1 bound and visibility", test_bound_slack1 },
		{ "slack 2 bound with a slow hub", test_bound_slack2 },
		{ "selective barrier before every batch", test_barrier_every_batch },
		{ "topology without groups", test_no_groups },
		{ "gaia.hubs parses on", test_parse_accepts_on },
		{ "every message encodes to the bytes charged", test_wire_codec },
		{ NULL, NULL },
	};
	testutil_suite("hubs", cases);
	return testutil_run();
}
