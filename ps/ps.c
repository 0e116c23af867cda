/*
 * The parameter-server cluster engine: workers' read-compute-push loop, shards' clocks and
 * per-clock accumulation, held reads. Everything a consistency model decides is delegated to
 * its sync_ops (ps/sync.h); each node touches only its own state and its messages, and reports
 * what the run's bookkeeping needs (evaluations, statistics, finish) as events to the observer
 * (ps/observer.h). A step's duration comes from the compute-time policy (ps/compute.h).
 *
 * Memory (what a memory estimate before allocating can follow; rl = values per row, 8-byte
 * values, W = workers of the node's replica, S = its shards (= W), nrows = model rows):
 *   per node, worker (worker_view_new, worker_need):
 *     view      sparse (default): T x (rl x 8 + 28) bytes, T = distinct rows the worker has
 *               needed, received or updated (ps/rowcache.h; ~16 of the 28 are the hash index,
 *               and the arrays grow by doubling, so up to twice that);
 *               dense (ps_config.dense_views): nrows x (rl x 8 + 8) bytes
 *     need      4 bytes x the most rows one of its steps reads
 *     updates   (nhist + 1) x U x (rl x 8 + 4) bytes, U = rows one step updates, nhist = the
 *               read-my-writes ring (the cache staleness bound, 0 for bsp)
 *   per node, shard (replica_init, accum_new):
 *     pushed    8 x W bytes
 *     accums    owned x (rl x 8 + 5) bytes each, owned = ceil(nrows / S); one per clock in
 *               progress plus one spare (2 in a bsp run)
 *   per run (ps_new): the initial model and, with sparse views, the step buffer a step's rows
 *     are copied into: 2 x nrows x rl x 8 bytes; per replica its parameters, nrows x rl x 8.
 *   Messages in flight are the transport's (a message holds its rows' values and indices).
 */
#include "ps/ps-internal.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/xmalloc.h"
#include "ps/sigfilter.h"

const char *const ps_wait_names[PS_WAIT_NKINDS] = {
	"network", "bsp_barrier", "ssp_bound", "mirror_clock", "selective_barrier",
};
_Static_assert(PS_WAIT_NKINDS == MSG_NWAIT, "the wire's REPLY wait byte takes enum ps_wait");

static void deliver(void *ctx, struct msg *m);
static void worker_begin(struct ps *ps, struct ps_worker *w);

static inline sim_time_t now(const struct ps *ps)
{
	return ps->t->ops->now(ps->t);
}

/* ---- the observer when none is installed: events go nowhere ---- */

static void null_replica_start(void *c, int r, const double *p, sim_time_t t)
{
	(void)c, (void)r, (void)p, (void)t;
}
static void null_shard_clock(void *c, int r, int s, int64_t k, const double *p, sim_time_t t)
{
	(void)c, (void)r, (void)s, (void)k, (void)p, (void)t;
}
static void null_clock_done(void *c, int w, int64_t k, sim_time_t t)
{
	(void)c, (void)w, (void)k, (void)t;
}
static void null_worker_stop(void *c, int w, sim_time_t t)
{
	(void)c, (void)w, (void)t;
}
static void null_wait_end(void *c, int w, int why, sim_time_t d, sim_time_t t)
{
	(void)c, (void)w, (void)why, (void)d, (void)t;
}
static void null_compute(void *c, int w, double ns)
{
	(void)c, (void)w, (void)ns;
}
static void null_msg(void *c, const struct observer_msg *m, sim_time_t t)
{
	(void)c, (void)m, (void)t;
}
static void null_filter(void *c, int q, int64_t k, uint64_t p, uint64_t s, double thr)
{
	(void)c, (void)q, (void)k, (void)p, (void)s, (void)thr;
}
static int null_stopping(void *c)
{
	(void)c;
	return 0;
}
static const struct observer_ops null_observer = {
	null_replica_start, null_shard_clock, null_clock_done, null_worker_stop, null_wait_end,
	null_compute, null_msg, null_msg, null_filter, null_stopping, NULL, /* nothing counted */
};

/* What the observer is told about message m. */
static struct observer_msg obs_msg(const struct ps *ps, const struct msg *m)
{
	return (struct observer_msg){
		.kind = (int)m->kind, .src = m->src, .dst = m->dst,
		.src_region = ps->node_region[m->src], .dst_region = ps->node_region[m->dst],
		.wire_bytes = m->wire_bytes, .entries = m->n,
	};
}

struct msg *ps_shard_msg(const struct ps_shard *s, const struct ps_shard *to, enum msg_kind kind,
                         int64_t c)
{
	struct msg *m = msg_new(kind, 0, 0);
	m->src = s->node;
	m->dst = to->node;
	m->clock = c;
	m->shard = s->index;
	m->replica = s->replica;
	return m;
}

/* The wire format of messages about shard s (docs/wire-format.md). */
void ps_msg_format(const struct ps *ps, const struct ps_shard *s, struct msg_format *f)
{
	*f = (struct msg_format){
		.value_bytes = (int)ps->cfg.value_bytes,
		.header_bytes = (size_t)ps->cfg.header_bytes,
		.row_len = ps->row_len,
		.owned = s->owned,
		.nshards = (size_t)ps->replicas[s->replica].nshards,
		.shard = (size_t)s->index,
		.nodes = (size_t)ps->nnodes,
	};
}

double ps_wire_bytes(const struct ps *ps, const struct ps_shard *s, const struct msg *m)
{
	struct msg_format f;
	ps_msg_format(ps, s, &f);
	return msg_wire_bytes(m, &f);
}

void ps_send(struct ps *ps, struct msg *m)
{
	m->sent = now(ps);
	struct observer_msg om = obs_msg(ps, m);
	ps->obs.ops->msg_sent(ps->obs.ctx, &om, m->sent);
	ps->t->ops->send(ps->t, m);
}

double ps_learning_rate(const struct ps *ps, int64_t c)
{
	return ps->cfg.wl_ops->learning_rate(ps->cfg.wl, c);
}

void ps_filter_record(struct ps *ps, int region, int64_t clock, uint64_t produced,
                      uint64_t sent, double threshold)
{
	ps->obs.ops->filter(ps->obs.ctx, region, clock, produced, sent, threshold);
}

/* ---- construction ---- */

static void replica_init(struct ps *ps, struct ps_replica *rep, int region, const int *nodes,
                         int nnodes, const double *init)
{
	rep->region = region;
	rep->params = xmalloc(ps->nrows * ps->row_len * sizeof *rep->params);
	memcpy(rep->params, init, ps->nrows * ps->row_len * sizeof *rep->params);
	rep->nshards = nnodes;
	rep->shards = xcalloc((size_t)nnodes, sizeof *rep->shards);
	rep->nworkers = nnodes;
	rep->workers = xmalloc((size_t)nnodes * sizeof *rep->workers);
	for (int i = 0; i < nnodes; i++) {
		struct ps_shard *s = &ps->shards[ps->nshards_total++];
		s->replica = (int)(rep - ps->replicas);
		s->index = i;
		s->node = nodes[i];
		s->owned = ps->nrows > (size_t)i ? (ps->nrows - (size_t)i + (size_t)nnodes - 1) / (size_t)nnodes : 0;
		s->pushed = xcalloc((size_t)nnodes, sizeof *s->pushed);
		s->reads_tail = &s->reads;
		rep->shards[i] = s;
		ps->shard_at[nodes[i]] = s;
		rep->workers[i] = nodes[i];
		ps->workers[nodes[i]].replica = s->replica;
		ps->workers[nodes[i]].local = i;
	}
}

double ps_memory_bytes(int nnodes, int nreplicas, size_t nrows, size_t row_len)
{
	double np = (double)nrows * (double)row_len, n = nnodes, r = nreplicas > 0 ? nreplicas : 1;
	/* views as if dense (ps_config.dense_views): an upper bound, sparse views hold less */
	double views = n * (np + (double)nrows + 1) * 8;          /* w->view, w->stamp */
	double params = r * np * 8 + np * 8;                      /* rep->params, the init copy */
	double accums = 2 * r * (np * 8 + (double)nrows * 5);     /* val, touched, rows */
	double pushed = n * (n / r) * 8;                          /* s->pushed */
	return views + params + accums + pushed;
}

/* A worker's view: the rows it touches (sparse) or the whole model (ps_config.dense_views). */
static void worker_view_new(struct ps *ps, struct ps_worker *w)
{
	w->view = rowcache_new(ps->nrows, ps->row_len, ps->init, ps->cfg.dense_views);
}

/* Room for the slots of n rows a step reads. */
static void worker_need(struct ps_worker *w, size_t n)
{
	if (n > w->need_cap) {
		w->need_cap = n > 2 * w->need_cap ? n : 2 * w->need_cap;
		free(w->need_slot);
		w->need_slot = xmalloc(w->need_cap * sizeof *w->need_slot);
	}
	w->nneed = n;
}

struct ps *ps_new(const struct ps_config *cfg, struct transport *t)
{
	struct ps *ps = xcalloc(1, sizeof *ps);
	ps->cfg = *cfg;
	ps->t = t;
	ps->sync = cfg->sync;
	ps->sp = cfg->sync_params;
	ps->nregions = cfg->nregions;
	/* Widths the wire format encodes (cli/run.c rejects others with FILE:LINE). */
	assert(cfg->value_bytes == 4 || cfg->value_bytes == 8);
	assert(cfg->index_bytes == MSG_INDEX_BYTES && cfg->header_bytes >= MSG_HEADER_BYTES &&
	       cfg->header_bytes == floor(cfg->header_bytes));
	ps->obs = (struct observer){ &null_observer, NULL };
	ps->compute = cfg->compute ? cfg->compute : &compute_modelled;
	for (int r = 0; r < cfg->nregions; r++)
		ps->nnodes += cfg->machines[r];
	ps->node_region = xmalloc((size_t)ps->nnodes * sizeof *ps->node_region);
	for (int r = 0, n = 0; r < cfg->nregions; r++)
		for (int m = 0; m < cfg->machines[r]; m++, n++)
			ps->node_region[n] = cfg->node_region ? cfg->node_region[n] : r;
	ps->nrows = cfg->wl_ops->nrows(cfg->wl);
	ps->row_len = cfg->wl_ops->row_len(cfg->wl);
	ps->lr0 = ps_learning_rate(ps, 0);
	size_t np = ps->nrows * ps->row_len;
	/* The initial model is deterministic: compute it once, copy it into every replica; views
	 * copy a row of it when they first touch the row. */
	double *init = ps->init = xmalloc((np + 1) * sizeof *init);
	/* A workload with worker-local state (workloads/workload.h) starts it afresh for this run,
	 * so a workload instance may serve several runs one after the other. */
	if (cfg->wl_ops->reset_local)
		cfg->wl_ops->reset_local(cfg->wl);
	cfg->wl_ops->init_model(cfg->wl, init);
	if (!cfg->dense_views) {
		ps->step_model = xmalloc((np + 1) * sizeof *ps->step_model);
		memcpy(ps->step_model, init, np * sizeof *ps->step_model);
	}

	ps->workers = xcalloc((size_t)ps->nnodes, sizeof *ps->workers);
	for (int n = 0; n < ps->nnodes; n++) {
		struct ps_worker *w = &ps->workers[n];
		w->id = w->node = n;
		w->region = ps->node_region[n];
		worker_view_new(ps, w);
		w->speed = cfg->speed ? cfg->speed[n] : 1.0;
		wl_update_init(&w->upd);
		/* Own updates a serving shard has not applied yet are re-applied to what the worker
		 * reads (read-my-writes); they are at most `read_lag` clocks old. */
		int64_t h = ps->sync->async_reads ? 0 : ps->sync->read_lag(ps);
		w->nhist = h > 0 && h < 1024 ? (int)h : 0;
		if (w->nhist) {
			w->hist = xcalloc((size_t)w->nhist, sizeof *w->hist);
			w->hist_clock = xmalloc((size_t)w->nhist * sizeof *w->hist_clock);
			for (int i = 0; i < w->nhist; i++) {
				wl_update_init(&w->hist[i]);
				w->hist_clock[i] = -1;
			}
		}
	}
	ps->shards = xcalloc((size_t)ps->nnodes, sizeof *ps->shards);
	ps->shard_at = xcalloc((size_t)ps->nnodes, sizeof *ps->shard_at);
	int *nodes = xmalloc((size_t)ps->nnodes * sizeof *nodes);
	if (ps->sync->per_region) {
		ps->replicas = xcalloc((size_t)ps->nregions, sizeof *ps->replicas);
		for (int r = 0; r < ps->nregions; r++) {
			int k = 0;
			for (int n = 0; n < ps->nnodes; n++)
				if (ps->node_region[n] == r)
					nodes[k++] = n;
			if (k)
				replica_init(ps, &ps->replicas[ps->nreplicas++], r, nodes, k, init);
		}
	} else {
		ps->replicas = xcalloc(1, sizeof *ps->replicas);
		for (int n = 0; n < ps->nnodes; n++)
			nodes[n] = n;
		replica_init(ps, &ps->replicas[ps->nreplicas++], -1, nodes, ps->nnodes, init);
	}
	free(nodes);

	t->deliver = deliver;
	t->ctx = ps;
	if (ps->sync->init && ps->sync->init(ps) < 0) {
		ps_free(ps);
		return NULL;
	}
	return ps;
}

static void accum_free(struct ps_accum *a)
{
	free(a->val);
	free(a->touched);
	free(a->rows);
	free(a);
}

void ps_free(struct ps *ps)
{
	if (!ps)
		return;
	if (ps->sync->fini)
		ps->sync->fini(ps);
	for (int i = 0; i < ps->nshards_total; i++) {
		struct ps_shard *s = &ps->shards[i];
		free(s->pushed);
		for (struct ps_read *r = s->reads, *nx; r; r = nx) {
			nx = r->next;
			free(r->rows);
			free(r);
		}
		for (struct ps_accum *a = s->accs, *nx; a; a = nx) {
			nx = a->next;
			accum_free(a);
		}
		if (s->spare)
			accum_free(s->spare);
	}
	for (int r = 0; r < ps->nreplicas; r++) {
		free(ps->replicas[r].params);
		free(ps->replicas[r].shards);
		free(ps->replicas[r].workers);
	}
	for (int n = 0; n < ps->nnodes; n++) {
		rowcache_free(ps->workers[n].view);
		free(ps->workers[n].need_slot);
		for (int i = 0; i < ps->workers[n].nhist; i++)
			wl_update_free(&ps->workers[n].hist[i]);
		free(ps->workers[n].hist);
		free(ps->workers[n].hist_clock);
		wl_update_free(&ps->workers[n].upd);
	}
	free(ps->replicas);
	free(ps->shards);
	free(ps->shard_at);
	free(ps->workers);
	free(ps->node_region);
	free(ps->error);
	free(ps->init);
	free(ps->step_model);
	free(ps);
}

/* ---- replicas ---- */

int ps_nreplicas(const struct ps *ps)
{
	return ps->nreplicas;
}

int ps_replica_region(const struct ps *ps, int r)
{
	return ps->replicas[r].region;
}

const double *ps_replica_params(const struct ps *ps, int r)
{
	return ps->replicas[r].params;
}

int ps_replica_nshards(const struct ps *ps, int r)
{
	return ps->replicas[r].nshards;
}

int ps_replica_shard_node(const struct ps *ps, int r, int shard)
{
	assert(shard >= 0 && shard < ps->replicas[r].nshards);
	return ps->replicas[r].shards[shard]->node;
}

void ps_replica_eval(const struct ps *ps, int r, double *objective, double *metric)
{
	*objective = ps->cfg.wl_ops->objective(ps->cfg.wl, ps->replicas[r].params);
	*metric = ps->cfg.wl_ops->metric(ps->cfg.wl, ps->replicas[r].params);
}

static void worker_stop(struct ps *ps, struct ps_worker *w)
{
	w->done = 1;
	ps->obs.ops->worker_stop(ps->obs.ctx, w->id, now(ps));
}

/* ---- shards ---- */

/* A zeroed accumulator over the rows shard s owns (dense by local row). */
static struct ps_accum *accum_new(const struct ps *ps, const struct ps_shard *s)
{
	struct ps_accum *a = xcalloc(1, sizeof *a);
	a->val = xcalloc(s->owned * ps->row_len + 1, sizeof *a->val);
	a->touched = xcalloc(s->owned + 1, 1);
	a->rows = xmalloc((s->owned + 1) * sizeof *a->rows);
	return a;
}

static struct ps_accum *accum_get(struct ps *ps, struct ps_shard *s, int64_t clock)
{
	struct ps_accum **pp = &s->accs;
	while (*pp && (*pp)->clock < clock)
		pp = &(*pp)->next;
	if (*pp && (*pp)->clock == clock)
		return *pp;
	struct ps_accum *a = s->spare;
	if (a)
		s->spare = NULL;
	else
		a = accum_new(ps, s);
	a->clock = clock;
	a->next = *pp;
	*pp = a;
	return a;
}

/*
 * An accumulator whose clock is done: cleared (only its touched rows are nonzero) and kept as
 * the shard's spare, so that a shard does not allocate and zero owned_rows x row_len values per
 * clock. A second one, if the spare is taken, is freed.
 */
static void accum_recycle(struct ps *ps, struct ps_shard *s, struct ps_accum *a)
{
	if (s->spare) {
		accum_free(a);
		return;
	}
	size_t rl = ps->row_len;
	for (size_t i = 0; i < a->nrows; i++) {
		memset(a->val + (size_t)a->rows[i] * rl, 0, rl * sizeof *a->val);
		a->touched[a->rows[i]] = 0;
	}
	a->nrows = 0;
	a->pushes = 0;
	a->next = NULL;
	s->spare = a;
}

static void apply_rows(struct ps *ps, double *params, const struct msg *m)
{
	size_t rl = ps->row_len;
	for (size_t i = 0; i < m->n; i++) {
		double *p = params + (size_t)m->idx[i] * rl;
		const double *v = m->val + i * rl;
		for (size_t k = 0; k < rl; k++)
			p[k] += v[k];
	}
}

/*
 * The paper's significance statistic for a clock's summed update a, taken at the clock boundary
 * where both the update and the value it changes (the shard's copy, before the update) are
 * known; reported per region of the shard's machine (ps/observer.h, struct ps_sig_rec).
 */
static void significance_count(struct ps *ps, struct ps_shard *s, const struct ps_accum *a)
{
	const struct ps_replica *rep = &ps->replicas[s->replica];
	size_t rl = ps->row_len;
	uint64_t below[SIG_NLEVELS] = { 0 }, updates = 0;
	for (size_t i = 0; i < a->nrows; i++) {
		size_t local = a->rows[i];
		const double *x = rep->params + (size_t)ps_row_global(s, rep->nshards, local) * rl;
		sigfilter_count_levels(a->val + local * rl, x, rl, below, &updates);
	}
	ps->obs.ops->significance(ps->obs.ctx, ps->node_region[s->node], a->clock, below, updates);
}

/* Workers whose pushes received are past the shard's clock: O(W), once per clock advance. */
static int workers_ahead(const struct ps_shard *s, int nworkers)
{
	int n = 0;
	for (int i = 0; i < nworkers; i++)
		n += s->pushed[i] > s->clock;
	return n;
}

/*
 * A push: summed into its clock's accumulator (or applied at once). The shard's clock advances
 * when every worker of the replica has pushed it; s->ahead counts the workers already past the
 * clock, so a push costs O(rows) and only an advance scans the workers.
 */
static void shard_push(struct ps *ps, struct ps_shard *s, struct msg *m)
{
	struct ps_replica *rep = &ps->replicas[s->replica];
	size_t rl = ps->row_len, S = (size_t)rep->nshards;
	if (ps->sync->apply_on_receipt) {
		apply_rows(ps, rep->params, m);
	} else {
		struct ps_accum *a = accum_get(ps, s, m->clock);
		for (size_t i = 0; i < m->n; i++) {
			size_t local = m->idx[i] / S;
			assert(m->idx[i] % S == (size_t)s->index);
			if (!a->touched[local]) {
				a->touched[local] = 1;
				a->rows[a->nrows++] = (uint32_t)local;
			}
			double *dst = a->val + local * rl;
			const double *v = m->val + i * rl;
			for (size_t k = 0; k < rl; k++)
				dst[k] += v[k];
		}
		a->pushes++;
	}
	int l = ps->workers[m->worker].local;
	if (++s->pushed[l] == s->clock + 1)
		s->ahead++;
	int advanced = 0;
	while (s->ahead == rep->nworkers) {
		s->clock++;
		advanced = 1;
		s->ahead = workers_ahead(s, rep->nworkers);
		struct ps_accum *a = NULL;
		if (s->accs && s->accs->clock == s->clock - 1) {
			a = s->accs;
			s->accs = a->next;
		}
		if (a && ps->obs.ops->significance)
			significance_count(ps, s, a);
		ps->sync->on_clock(ps, s, s->clock, a);
		if (a)
			accum_recycle(ps, s, a);
	}
	if (advanced) {
		ps->obs.ops->shard_clock(ps->obs.ctx, s->replica, s->index, s->clock, rep->params,
		                         now(ps));
		ps_serve_reads(ps, s);
	}
}

static void serve(struct ps *ps, struct ps_shard *s, struct ps_read *r)
{
	struct ps_replica *rep = &ps->replicas[s->replica];
	size_t rl = ps->row_len;
	struct msg *m = msg_new(MSG_REPLY, r->n, rl);
	m->src = s->node;
	m->dst = ps->workers[r->worker].node;
	m->clock = r->clock;
	m->worker = r->worker;
	m->shard = s->index;
	m->replica = s->replica;
	for (size_t i = 0; i < r->n; i++) {
		m->idx[i] = r->rows[i];
		memcpy(m->val + i * rl, rep->params + (size_t)r->rows[i] * rl, rl * sizeof *m->val);
	}
	m->wire_bytes = ps_wire_bytes(ps, s, m);
	m->wait = r->wait;
	m->held = now(ps) - r->arrived;
	m->served_clock = ps->sync->served_clock ? ps->sync->served_clock(ps, s) : s->clock;
	m->local_clock = s->clock;
	ps_send(ps, m);
}

void ps_serve_reads(struct ps *ps, struct ps_shard *s)
{
	struct ps_read **pp = &s->reads;
	while (*pp) {
		struct ps_read *r = *pp;
		int why = ps->sync->read_block(ps, s, r);
		if (why) {
			r->wait = why;
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		if (!r->next)
			s->reads_tail = pp; /* r was the last: the link before it is the tail now */
		serve(ps, s, r);
		free(r->rows);
		free(r);
	}
}

static void shard_read(struct ps *ps, struct ps_shard *s, struct msg *m)
{
	struct ps_read *r = xcalloc(1, sizeof *r);
	r->worker = m->worker;
	r->clock = m->clock;
	r->n = m->n;
	r->rows = m->idx;
	m->idx = NULL;
	r->arrived = m->arrived;
	r->wait = PS_WAIT_NETWORK;
	int why = ps->sync->read_block(ps, s, r);
	if (!why) {
		serve(ps, s, r);
		free(r->rows);
		free(r);
		return;
	}
	r->wait = why;
	*s->reads_tail = r;
	s->reads_tail = &r->next;
}

/* ---- workers ---- */

/* Address a worker's message for clock w->clock to shard sh. */
static void worker_address(struct msg *m, const struct ps_worker *w, const struct ps_shard *sh)
{
	m->src = w->node;
	m->dst = sh->node;
	m->clock = w->clock;
	m->worker = w->id;
	m->shard = sh->index;
	m->replica = w->replica;
}

static void worker_end(void *ctx, void *arg)
{
	struct ps *ps = ctx;
	struct ps_worker *w = arg;
	struct ps_replica *rep = &ps->replicas[w->replica];
	size_t S = (size_t)rep->nshards, rl = ps->row_len;
	const struct wl_update *u = &w->upd;
	if (w->nhist) {
		int slot = (int)(w->clock % w->nhist);
		struct wl_update *h = &w->hist[slot];
		wl_update_reserve(h, u->nrows, rl);
		memcpy(h->rows, u->rows, u->nrows * sizeof *h->rows);
		memcpy(h->vals, u->vals, u->nrows * rl * sizeof *h->vals);
		h->nrows = u->nrows;
		w->hist_clock[slot] = w->clock;
	}
	size_t *count = xcalloc(2 * S, sizeof *count), *fill = count + S;
	for (size_t i = 0; i < u->nrows; i++) {
		count[u->rows[i] % S]++;
		/* read-my-writes: the worker's cache holds its own update at once */
		double *v = rowcache_vals(w->view, rowcache_get(w->view, u->rows[i]));
		const double *d = u->vals + i * rl;
		for (size_t k = 0; k < rl; k++)
			v[k] += d[k];
	}
	/* One pass deals the rows to their shards' messages (each keeps ascending row order). */
	struct msg **out = xmalloc(S * sizeof *out);
	for (size_t s = 0; s < S; s++)
		out[s] = msg_new(MSG_PUSH, count[s], rl);
	for (size_t i = 0; i < u->nrows; i++) {
		size_t s = u->rows[i] % S, k = fill[s]++;
		out[s]->idx[k] = u->rows[i];
		memcpy(out[s]->val + k * rl, u->vals + i * rl, rl * sizeof *out[s]->val);
	}
	for (size_t s = 0; s < S; s++) {
		struct ps_shard *sh = rep->shards[s];
		struct msg *m = out[s];
		worker_address(m, w, sh);
		m->wire_bytes = ps_wire_bytes(ps, sh, m);
		ps_send(ps, m);
	}
	free(out);
	free(count);
	w->clock++;
	ps->obs.ops->clock_done(ps->obs.ctx, w->id, w->clock, now(ps));
	worker_begin(ps, w);
}

/*
 * 1 (and ps->error set, the first time) if a step of `ns` starting now would end past
 * SIMTIME_HORIZON, or its duration is not a number: llround of it would be undefined.
 */
static int compute_past_horizon(struct ps *ps, struct ps_worker *w, double ns)
{
	sim_time_t t = now(ps);
	if (ns >= 0 && ns < (double)(SIMTIME_HORIZON - t))
		return 0;
	if (!ps->error)
		ps->error = xasprintf("simulated time overflow: worker %d (region %d) at clock %lld "
		                      "would compute for %g s (the workload's cost x the node's speed "
		                      "factor %g) from t = %.3f s, past the end of simulated time "
		                      "(%.4g s = 2^62 ns); lower the compute cost (straggler factor, "
		                      "ns per unit, batch size) or the clocks",
		                      w->id, w->region, (long long)w->clock, ns / 1e9, w->speed,
		                      simtime_to_s(t), simtime_to_s(SIMTIME_HORIZON));
	return 1;
}

const char *ps_error(const struct ps *ps)
{
	return ps->error;
}

/*
 * The model a step reads: the dense view itself, or (sparse views) the shared step buffer with
 * the rows the step reads copied in from the view. A step reads no other rows (workloads/
 * workload.h, rows_needed), so what it sees is what a dense view would show it.
 */
static const double *step_model(struct ps *ps, struct ps_worker *w)
{
	const double *dense = rowcache_dense(w->view);
	if (dense)
		return dense;
	size_t rl = ps->row_len;
	for (size_t i = 0; i < w->nneed; i++) {
		size_t slot = w->need_slot[i];
		memcpy(ps->step_model + (size_t)rowcache_row(w->view, slot) * rl,
		       rowcache_vals(w->view, slot), rl * sizeof *ps->step_model);
	}
	return ps->step_model;
}

static void worker_compute(struct ps *ps, struct ps_worker *w)
{
	sim_time_t t = now(ps), waited = t - w->read_sent;
	/* The longest hold of a read by a rule is blamed on that rule, the rest on the network. */
	ps->obs.ops->wait_end(ps->obs.ctx, w->id, w->worst_wait, w->worst_held, t);
	ps->obs.ops->wait_end(ps->obs.ctx, w->id, PS_WAIT_NETWORK, waited - w->worst_held, t);
	double ns = ps->compute->step(ps->cfg.compute_arg, ps->cfg.wl_ops, ps->cfg.wl, w->id,
	                              w->clock, step_model(ps, w), &w->upd, w->speed);
	if (compute_past_horizon(ps, w, ns)) {
		worker_stop(ps, w);
		return;
	}
	ps->obs.ops->compute(ps->obs.ctx, w->id, ns);
	/* The step's own run time counts toward its duration: in virtual time it is 0; in real
	 * time (an emulated run) the policy's time is measured from the step's start. */
	sim_time_t left = (sim_time_t)llround(ns) - (now(ps) - t);
	ps->t->ops->timer(ps->t, left > 0 ? left : 0, worker_end, w);
}

/* Index of row in the ascending rows of u, or -1. */
static long find_row(const struct wl_update *u, uint32_t row)
{
	size_t lo = 0, hi = u->nrows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (u->rows[mid] < row)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < u->nrows && u->rows[lo] == row ? (long)lo : -1;
}

/* A reply from a shard at clock k lacks this worker's own updates of clocks k .. clock-1
 * (the shard applies a clock's pushes only once every worker has pushed it): add them back. */
static void reapply_own(struct ps *ps, struct ps_worker *w, const struct msg *m)
{
	size_t rl = ps->row_len;
	int64_t from = m->local_clock > w->clock - w->nhist ? m->local_clock : w->clock - w->nhist;
	for (int64_t j = from; j < w->clock; j++) {
		int slot = (int)(j % w->nhist);
		if (w->hist_clock[slot] != j)
			continue;
		const struct wl_update *h = &w->hist[slot];
		for (size_t i = 0; i < m->n; i++) {
			long at = find_row(h, m->idx[i]);
			if (at < 0)
				continue;
			double *v = rowcache_vals(w->view, rowcache_get(w->view, m->idx[i]));
			const double *d = h->vals + (size_t)at * rl;
			for (size_t k = 0; k < rl; k++)
				v[k] += d[k];
		}
	}
}

static void worker_reply(struct ps *ps, struct ps_worker *w, struct msg *m)
{
	size_t rl = ps->row_len;
	for (size_t i = 0; i < m->n; i++) {
		size_t slot = rowcache_get(w->view, m->idx[i]);
		memcpy(rowcache_vals(w->view, slot), m->val + i * rl, rl * sizeof *m->val);
		*rowcache_stamp(w->view, slot) = m->served_clock;
	}
	if (w->nhist)
		reapply_own(ps, w, m);
	if (!w->waiting)
		return; /* a background refresh (async) */
	if (m->held > w->worst_held || (m->held == w->worst_held && m->wait > w->worst_wait)) {
		w->worst_held = m->held;
		w->worst_wait = m->held > 0 ? m->wait : PS_WAIT_NETWORK;
	}
	if (--w->pending == 0) {
		w->waiting = 0;
		worker_compute(ps, w);
	}
}

static void worker_begin(struct ps *ps, struct ps_worker *w)
{
	if (ps->error || ps->obs.ops->stopping(ps->obs.ctx) || w->clock >= ps->cfg.max_clocks ||
	    now(ps) >= ps->cfg.time_limit) {
		worker_stop(ps, w);
		return;
	}
	const uint32_t *rows;
	size_t n = ps->cfg.wl_ops->rows_needed(ps->cfg.wl, w->id, w->clock, &rows);
	struct ps_replica *rep = &ps->replicas[w->replica];
	size_t S = (size_t)rep->nshards;
	/* A cached row is reused when its stamp is >= fresh; a negative cache bound means never
	 * (the model refetches every row each clock, the first included: ps.refetch = always). */
	int64_t bound = ps->sync->cache_staleness(ps);
	int64_t fresh = bound < 0 ? INT64_MAX : w->clock - bound;
	/* Every row the step reads enters the view (a row never served holds the initial model);
	 * a step that reads every row gets the dense layout: no index, no copy before the step. */
	if (n == ps->nrows)
		rowcache_densify(w->view);
	worker_need(w, n);
	for (size_t i = 0; i < n; i++)
		w->need_slot[i] = (uint32_t)rowcache_get(w->view, rows[i]);
	size_t *count = xcalloc(2 * S, sizeof *count), *fill = count + S;
	for (size_t i = 0; i < n; i++)
		if (*rowcache_stamp(w->view, w->need_slot[i]) < fresh)
			count[rows[i] % S]++;
	w->pending = 0;
	w->read_sent = now(ps);
	w->worst_held = 0;
	w->worst_wait = PS_WAIT_NETWORK;
	/* One pass deals the rows to fetch to their shards' messages (ascending in each). */
	struct msg **out = xcalloc(S, sizeof *out);
	for (size_t s = 0; s < S; s++)
		if (count[s] || ps->sync->reads_admit)
			out[s] = msg_new(MSG_READ, count[s], 0);
	for (size_t i = 0; i < n; i++)
		if (*rowcache_stamp(w->view, w->need_slot[i]) < fresh) {
			size_t s = rows[i] % S;
			out[s]->idx[fill[s]++] = rows[i];
		}
	for (size_t s = 0; s < S; s++) {
		struct msg *m = out[s];
		if (!m)
			continue;
		struct ps_shard *sh = rep->shards[s];
		worker_address(m, w, sh);
		m->wire_bytes = ps_wire_bytes(ps, sh, m);
		w->pending++;
		ps_send(ps, m);
	}
	free(out);
	free(count);
	if (ps->sync->async_reads)
		w->pending = 0;
	if (w->pending == 0) {
		worker_compute(ps, w);
		return;
	}
	w->waiting = 1;
}

/* ---- delivery ---- */

static void deliver(void *ctx, struct msg *m)
{
	struct ps *ps = ctx;
	m->arrived = now(ps);
	struct observer_msg om = obs_msg(ps, m);
	switch (m->kind) {
	case MSG_READ:
		shard_read(ps, ps->shard_at[m->dst], m);
		break;
	case MSG_PUSH:
		shard_push(ps, ps->shard_at[m->dst], m);
		break;
	case MSG_REPLY:
		worker_reply(ps, &ps->workers[m->worker], m);
		break;
	default:
		assert(ps->sync->on_message);
		ps->sync->on_message(ps, ps->shard_at[m->dst], m);
		break;
	}
	ps->obs.ops->msg_delivered(ps->obs.ctx, &om, m->arrived);
	msg_free(m);
}

static void start_worker(void *ctx, void *arg)
{
	worker_begin(ctx, arg);
}

void ps_set_observer(struct ps *ps, struct observer obs)
{
	ps->obs = obs;
}

void ps_start(struct ps *ps)
{
	for (int r = 0; r < ps->nreplicas; r++)
		ps->obs.ops->replica_start(ps->obs.ctx, r, ps->replicas[r].params, now(ps));
	for (int n = 0; n < ps->nnodes; n++)
		if (!ps->cfg.hosted || ps->cfg.hosted[n])
			ps->t->ops->timer(ps->t, 0, start_worker, &ps->workers[n]);
}

void ps_node_format(const struct ps *ps, int node, struct msg_format *f)
{
	assert(node >= 0 && node < ps->nnodes);
	ps_msg_format(ps, ps->shard_at[node], f);
}

int ps_nworkers(const struct ps *ps)
{
	return ps->nnodes;
}

int ps_nodes_region(const struct ps *ps, int node)
{
	return ps->node_region[node];
}

size_t ps_worker_view_rows(const struct ps *ps, int w)
{
	return rowcache_nrows(ps->workers[w].view);
}

size_t ps_worker_view_bytes(const struct ps *ps, int w)
{
	return rowcache_bytes(ps->workers[w].view);
}
