/*
 * Gaia (docs/sync-models.md): one full model replica per data center, sharded over its
 * servers; BSP or SSP among the workers of a data center; Approximate Synchronous Parallel
 * between data centers:
 *  - significance filter: each shard accumulates its data center's updates per parameter and,
 *    at every clock, sends only the significant ones (|acc / value| > threshold, or value 0)
 *    to its mirror shards, as (index, value) pairs or a dense block, whichever is smaller;
 *  - mirror clock: after its updates of clock c-1, a shard sends MIRROR_CLOCK(c) on the same
 *    ordered channel; a worker about to compute with c clocks completed is served only when
 *    every other data center's mirror clock is >= c - slack;
 *  - selective barrier: when a batch would wait in the data channel longer than
 *    gaia.barrier_drain_s to drain at the path's current bandwidth, a short control message
 *    listing the batch's rows goes first on the control lane; the receiver holds reads of
 *    exactly those rows until the batch arrives, but only reads whose staleness window holds
 *    the batch's clock (barrier_window below): a read never waits for updates of its own clock
 *    or later, which a faster region may already be sending.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "ps/gaia_hubs.h"
#include "lib/lineio.h"
#include "ps/ps-internal.h"
#include "ps/sigfilter.h"
#include "lib/xmalloc.h"
#include "lib/runcfg.h"

enum gaia_apply {
	GAIA_APPLY_IMMEDIATE,   /* local updates enter the local copy at the clock boundary */
	GAIA_APPLY_SIGNIFICANT, /* local updates enter the local copy only once significant */
};

struct gaia_params {
	int64_t local_staleness;  /* 0: BSP inside a data center; S: SSP with bound S */
	int64_t slack;            /* mirror-clock slack (data-center staleness) */
	struct sig_params sig;    /* significance filter */
	int apply;                /* enum gaia_apply */
	int barrier;              /* selective barrier on */
	double barrier_drain_s;   /* trigger: expected drain time of the data channel, seconds */
	int hubs;                 /* aggregate through the topology's hub groups */
};

/* A barrier waiting for its batch. */
struct gaia_barrier {
	int from;                 /* sender replica */
	uint64_t batch;           /* batch id */
	int64_t clock;            /* clock boundary k of the batch: it holds updates of clocks < k */
	size_t n;                 /* rows (local indices) */
	uint32_t *rows;           /* rows held, ascending */
	struct gaia_barrier *next;
};

struct gaia_shard {
	double *acc;              /* owned*row_len accumulated updates not yet sent */
	uint8_t *dirty;           /* owned: row has a nonzero accumulator entry */
	uint32_t *dirty_rows;     /* local indices of dirty rows */
	size_t ndirty;            /* entries */
	int64_t *mirror_clock;    /* per replica: clocks whose significant updates arrived */
	uint64_t *last_batch;     /* per replica: last batch id received on the data lane */
	uint32_t *blocked;        /* owned: barriers holding the row */
	struct gaia_barrier *barriers; /* pending barriers */
	struct sigfilter filter;  /* threshold schedule state */
	double wan_bytes_clock;   /* bytes sent to mirrors since the last clock */
	sim_time_t last_clock_at; /* time of the last clock boundary */
	uint64_t batch_seq;       /* batches sent */
	struct gaia_hub *hub;     /* hub overlay state (gaia.hubs = on, ps/gaia_hubs.c), or NULL */
};

static void *parse(const char *arg, struct runcfg *cfg)
{
	struct gaia_params *p = xcalloc(1, sizeof *p);
	const char *local;
	static const char *const applies[] = { "immediate", "significant", NULL };
	static const char *const onoff[] = { "off", "on", NULL };
	static const char *const schedules[] = { "constant", "sqrt", "lr", "adaptive", "sqrt_epoch",
	                                          NULL };
	int sch;
	if (arg) {
		diag_error("sync model 'gaia' takes its parameters from gaia.* keys, not 'gaia:%s'", arg);
		goto fail;
	}
	sigfilter_defaults(&p->sig);
	if (runcfg_string(cfg, "gaia.local", "bsp", &local) < 0 ||
	    runcfg_int(cfg, "gaia.slack", 0, 0, 1000000, &p->slack) < 0 ||
	    runcfg_double(cfg, "gaia.threshold", 0.01, 0, 1e6, &p->sig.v) < 0 ||
	    runcfg_choice(cfg, "gaia.schedule", "lr", schedules, &sch) < 0 ||
	    runcfg_int(cfg, "gaia.clocks_per_epoch", 0, 0, INT64_MAX, &p->sig.clocks_per_epoch) < 0 ||
	    runcfg_int(cfg, "gaia.flush_every", 0, 0, INT64_MAX, &p->sig.flush_every) < 0 ||
	    runcfg_double(cfg, "gaia.budget_bps", p->sig.budget_bps, 0, 1e15, &p->sig.budget_bps) < 0 ||
	    runcfg_choice(cfg, "gaia.apply", "immediate", applies, &p->apply) < 0 ||
	    runcfg_choice(cfg, "gaia.barrier", "on", onoff, &p->barrier) < 0 ||
	    runcfg_double(cfg, "gaia.barrier_drain_s", 0.1, 0, 1e9, &p->barrier_drain_s) < 0 ||
	    runcfg_choice(cfg, "gaia.hubs", "off", onoff, &p->hubs) < 0)
		goto fail;
	p->sig.schedule = (enum sig_schedule)sigfilter_schedule_parse(schedules[sch]);
	if (p->sig.schedule == SIG_SQRT_EPOCH && p->sig.clocks_per_epoch < 1) {
		long line;
		const char *where = runcfg_where(cfg, "gaia.schedule", &line);
		diag_at(where, line, "gaia.schedule = sqrt_epoch needs gaia.clocks_per_epoch >= 1 "
		        "(the workload's clocks per epoch; MF: ceil(1 / mf.batch_fraction))");
		goto fail;
	}
	if (!strcmp(local, "bsp")) {
		p->local_staleness = 0;
	} else if (!strncmp(local, "ssp:", 4) && parse_int64(local + 4, &p->local_staleness) == 0 &&
	           p->local_staleness >= 0) {
		/* ok */
	} else {
		long line;
		const char *where = runcfg_where(cfg, "gaia.local", &line);
		diag_at(where, line, "gaia.local: bad value '%s' (expected bsp or ssp:S, S >= 0)", local);
		goto fail;
	}
	return p;
fail:
	free(p);
	return NULL;
}

static struct gaia_shard *G(struct ps_shard *s)
{
	return s->model;
}

static int init(struct ps *ps)
{
	const struct gaia_params *p = ps->sp;
	int S = ps->replicas[0].nshards;
	for (int r = 1; r < ps->nreplicas; r++)
		if (ps->replicas[r].nshards != S)
			return diag_error("gaia needs the same number of machines in every region "
			                  "(region %d has %d, region %d has %d)",
			                  ps->replicas[0].region, S, ps->replicas[r].region,
			                  ps->replicas[r].nshards);
	for (int i = 0; i < ps->nshards_total; i++) {
		struct ps_shard *s = &ps->shards[i];
		struct gaia_shard *g = xcalloc(1, sizeof *g);
		size_t owned = s->owned;
		g->acc = xcalloc(owned * ps->row_len + 1, sizeof *g->acc);
		g->dirty = xcalloc(owned + 1, 1);
		g->dirty_rows = xmalloc((owned + 1) * sizeof *g->dirty_rows);
		g->blocked = xcalloc(owned + 1, sizeof *g->blocked);
		g->mirror_clock = xcalloc((size_t)ps->nreplicas, sizeof *g->mirror_clock);
		g->last_batch = xcalloc((size_t)ps->nreplicas, sizeof *g->last_batch);
		sigfilter_init(&g->filter, &p->sig);
		s->model = g;
		/* hubs (ps/gaia_hubs.c): the hub logic reads and updates these fields of g */
		struct gaia_hub_link link = { g->mirror_clock, &g->batch_seq, &g->wan_bytes_clock,
		                              p->barrier, p->barrier_drain_s };
		if (p->hubs && !(g->hub = gaia_hub_new(ps, s, &link)))
			return -1;
	}
	return 0;
}

static void fini(struct ps *ps)
{
	for (int i = 0; i < ps->nshards_total; i++) {
		struct gaia_shard *g = ps->shards[i].model;
		if (!g)
			continue;
		for (struct gaia_barrier *b = g->barriers, *nx; b; b = nx) {
			nx = b->next;
			free(b->rows);
			free(b);
		}
		free(g->acc);
		free(g->dirty);
		free(g->dirty_rows);
		free(g->blocked);
		free(g->mirror_clock);
		free(g->last_batch);
		gaia_hub_free(g->hub);
		free(g);
	}
}

/*
 * A reply holds the local updates of clocks below the shard clock and the other regions'
 * significant updates of clocks below their mirror clocks: it is stamped with the smaller, and
 * a cached row may be reused only within the tighter of the two bounds.
 */
static int64_t cache_staleness(const struct ps *ps)
{
	const struct gaia_params *p = ps->sp;
	return p->local_staleness < p->slack ? p->local_staleness : p->slack;
}

static int64_t read_lag(const struct ps *ps)
{
	const struct gaia_params *p = ps->sp;
	return p->local_staleness;
}

static int64_t served_clock(const struct ps *ps, const struct ps_shard *s)
{
	const struct gaia_shard *g = s->model;
	int64_t k = s->clock;
	if (g->hub) {
		/* group members' mirror clocks and the inter-group clock */
		int64_t h = gaia_hub_seen(g->hub);
		return h < k ? h : k;
	}
	for (int q = 0; q < ps->nreplicas; q++)
		if (q != s->replica && g->mirror_clock[q] < k)
			k = g->mirror_clock[q];
	return k;
}

/*
 * Whether a barrier of the batch sent at clock boundary k (the sender's updates of clock k - 1)
 * may hold a read for clock c (a worker with c clocks completed). The mirror-clock rule admits
 * READ(c) once every other region's mirror clock is >= c - slack, which guarantees every
 * significant update of clocks < c - slack; the read may miss those of clocks c - slack .. c - 1
 * (its staleness window), and needs none of clock c or later (not even under BSP). A barrier
 * announces an update the window would otherwise let the read miss, so it holds READ(c) iff
 * the batch's update clock k - 1 lies in the window: c - slack <= k - 1 < c, i.e.
 * c - slack < k <= c. With slack 0 the window is empty: once the mirror clock admits a read
 * every update it needs is in, and a pending barrier belongs to a faster region's later clock.
 * (A barrier with k <= c - slack is never pending once the mirror clock admits the read: its
 * batch came before MIRROR_CLOCK(k) on the same ordered channel.)
 */
int sync_gaia_barrier_window(int64_t k, int64_t c, int64_t slack)
{
	return k <= c && k > c - slack;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* 1 if a pending barrier whose window holds read r lists one of its rows. */
static int barrier_holds(const struct ps *ps, const struct ps_shard *s, const struct ps_read *r)
{
	const struct gaia_params *p = ps->sp;
	const struct gaia_shard *g = s->model;
	size_t S = (size_t)ps->replicas[s->replica].nshards;
	int any = 0;
	for (const struct gaia_barrier *b = g->barriers; b && !any; b = b->next)
		any = sync_gaia_barrier_window(b->clock, r->clock, p->slack);
	if (!any)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		uint32_t local = (uint32_t)(r->rows[i] / S);
		if (!g->blocked[local])
			continue;
		for (const struct gaia_barrier *b = g->barriers; b; b = b->next)
			if (sync_gaia_barrier_window(b->clock, r->clock, p->slack) &&
			    bsearch(&local, b->rows, b->n, sizeof *b->rows, cmp_u32))
				return 1;
	}
	return 0;
}

static int read_block(struct ps *ps, struct ps_shard *s, const struct ps_read *r)
{
	const struct gaia_params *p = ps->sp;
	struct gaia_shard *g = G(s);
	if (s->clock < r->clock - p->local_staleness)
		return p->local_staleness == 0 ? PS_WAIT_BSP : PS_WAIT_SSP;
	if (g->hub) { /* hubs: the group's mirror clocks and the inter-group clock */
		if (gaia_hub_behind(g->hub, r->clock - p->slack))
			return PS_WAIT_MIRROR;
	} else {
		for (int q = 0; q < ps->nreplicas; q++)
			if (q != s->replica && g->mirror_clock[q] < r->clock - p->slack)
				return PS_WAIT_MIRROR;
	}
	if (g->barriers && barrier_holds(ps, s, r))
		return PS_WAIT_BARRIER;
	return 0;
}

/* Rows ahead that the per-row loops over a shard's scattered rows prefetch. */
#define ROWS_PREFETCH 4

/* Fold the clock's pushes into the accumulator (and the local copy, per the apply variant). */
static uint64_t accumulate(struct ps *ps, struct ps_shard *s, const struct ps_accum *acc)
{
	const struct gaia_params *p = ps->sp;
	struct gaia_shard *g = G(s);
	struct ps_replica *rep = &ps->replicas[s->replica];
	size_t rl = ps->row_len;
	uint64_t produced = 0;
	for (size_t i = 0; i < acc->nrows; i++) {
		size_t local = acc->rows[i];
		if (i + ROWS_PREFETCH < acc->nrows) { /* rows are scattered: fetch a few ahead */
			size_t ahead = acc->rows[i + ROWS_PREFETCH];
			__builtin_prefetch(acc->val + ahead * rl, 0);
			__builtin_prefetch(g->acc + ahead * rl, 1);
			__builtin_prefetch(rep->params +
			                   (size_t)ps_row_global(s, rep->nshards, ahead) * rl, 1);
		}
		const double *v = acc->val + local * rl;
		double *a = g->acc + local * rl;
		double *x = rep->params + (size_t)ps_row_global(s, rep->nshards, local) * rl;
		for (size_t k = 0; k < rl; k++) {
			produced += v[k] != 0;
			a[k] += v[k];
			if (p->apply == GAIA_APPLY_IMMEDIATE)
				x[k] += v[k];
		}
		if (!g->dirty[local]) {
			g->dirty[local] = 1;
			g->dirty_rows[g->ndirty++] = (uint32_t)local;
		}
	}
	return produced;
}

/* Run the significance filter over dirty rows; fills m (element ids and values). */
static void filter(struct ps *ps, struct ps_shard *s, double thr, struct msg *m, size_t *nrows_out,
                   uint32_t *rows_out)
{
	const struct gaia_params *p = ps->sp;
	struct gaia_shard *g = G(s);
	struct ps_replica *rep = &ps->replicas[s->replica];
	size_t rl = ps->row_len, keep = 0;
	*nrows_out = 0;
	for (size_t i = 0; i < g->ndirty; i++) {
		size_t local = g->dirty_rows[i];
		if (i + ROWS_PREFETCH < g->ndirty) { /* rows are scattered: fetch a few ahead */
			size_t ahead = g->dirty_rows[i + ROWS_PREFETCH];
			__builtin_prefetch(g->acc + ahead * rl, 1);
			__builtin_prefetch(rep->params +
			                   (size_t)ps_row_global(s, rep->nshards, ahead) * rl, 0);
		}
		uint32_t row = ps_row_global(s, rep->nshards, local);
		double *a = g->acc + local * rl;
		double *x = rep->params + (size_t)row * rl;
		int left = 0, sent = 0;
		for (size_t k = 0; k < rl; k++) {
			if (!sigfilter_significant(a[k], x[k], thr)) {
				left |= a[k] != 0;
				continue;
			}
			m->idx[m->n] = (uint32_t)((size_t)row * rl + k);
			m->val[m->n++] = a[k];
			if (p->apply == GAIA_APPLY_SIGNIFICANT)
				x[k] += a[k];
			a[k] = 0;
			sent = 1;
		}
		if (sent)
			rows_out[(*nrows_out)++] = (uint32_t)local;
		if (left)
			g->dirty_rows[keep++] = (uint32_t)local;
		else
			g->dirty[local] = 0;
	}
	g->ndirty = keep;
}

/* The significant updates of one clock boundary, ready to send to the mirrors. */
struct gaia_batch {
	struct msg *msg;          /* MIRROR payload (element ids and values), shared by every copy */
	uint32_t *rows;           /* local rows with at least one element in it (barrier list) */
	size_t nrows;             /* entries in rows */
	uint64_t produced;        /* nonzero updates the clock added to the accumulators */
	double threshold;         /* threshold in force */
};

/* Step 1: fold the clock's pushes in and run the significance filter over dirty rows. */
static void batch_build(struct ps *ps, struct ps_shard *s, int64_t c, const struct ps_accum *acc,
                        struct gaia_batch *b)
{
	struct gaia_shard *g = G(s);
	b->produced = acc ? accumulate(ps, s, acc) : 0;
	/* Threshold of the clock whose updates these are (c - 1). */
	b->threshold = sigfilter_threshold(&g->filter, c - 1, ps_learning_rate(ps, c - 1), ps->lr0);
	b->msg = msg_new(MSG_MIRROR, g->ndirty * ps->row_len, 1);
	b->msg->n = 0;
	b->rows = xmalloc((g->ndirty + 1) * sizeof *b->rows);
	filter(ps, s, b->threshold, b->msg, &b->nrows, b->rows);
	b->msg->wire_bytes = ps_wire_bytes(ps, s, b->msg);
	if (b->msg->n) { /* every mirror shares the batch's payload: trim it to size */
		b->msg->idx = xreallocarray(b->msg->idx, b->msg->n, sizeof *b->msg->idx);
		b->msg->val = xreallocarray(b->msg->val, b->msg->n, sizeof *b->msg->val);
	}
	g->batch_seq++;
}

/* The selective barrier's trigger: the batch would wait in the data channel to `to` longer
 * than gaia.barrier_drain_s at the path's current bandwidth. */
static int barrier_needed(struct ps *ps, const struct ps_shard *s, const struct ps_shard *to,
                          const struct gaia_batch *b)
{
	const struct gaia_params *p = ps->sp;
	struct transport *t = ps->t;
	if (!p->barrier || !b->msg->n)
		return 0;
	double queued = t->ops->queued_bytes(t, s->node, to->node) + b->msg->wire_bytes;
	double bps = t->ops->path_bps(t, s->node, to->node);
	return bps <= 0 || queued * 8 / bps > p->barrier_drain_s;
}

/* Step 2, per mirror: the barrier (control lane) if needed, the batch, then the mirror clock
 * on the same ordered data channel. */
static void batch_send(struct ps *ps, struct ps_shard *s, struct ps_shard *to, int64_t c,
                       const struct gaia_batch *b)
{
	struct gaia_shard *g = G(s);
	if (barrier_needed(ps, s, to, b)) {
		struct msg *m = ps_shard_msg(s, to, MSG_BARRIER, c);
		m->n = b->nrows;
		m->idx = xmalloc((b->nrows + 1) * sizeof *m->idx);
		memcpy(m->idx, b->rows, b->nrows * sizeof *b->rows);
		m->batch = g->batch_seq;
		m->lane = 1;
		m->wire_bytes = ps_wire_bytes(ps, s, m);
		ps_send(ps, m);
	}
	if (b->msg->n) {
		struct msg *d = ps_shard_msg(s, to, MSG_MIRROR, c);
		msg_share(d, b->msg);
		d->batch = g->batch_seq;
		d->wire_bytes = b->msg->wire_bytes;
		g->wan_bytes_clock += d->wire_bytes;
		ps_send(ps, d);
	}
	struct msg *mc = ps_shard_msg(s, to, MSG_MCLOCK, c);
	mc->batch = g->batch_seq;
	mc->wire_bytes = ps_wire_bytes(ps, s, mc);
	ps_send(ps, mc);
}

/* Step 3: report the filter's counts and let the bandwidth-adaptive schedule see the rate the
 * shard sent at since its last clock boundary. */
static void clock_account(struct ps *ps, struct ps_shard *s, int64_t c, const struct gaia_batch *b)
{
	struct gaia_shard *g = G(s);
	ps_filter_record(ps, ps->replicas[s->replica].region, c - 1, b->produced, b->msg->n,
	                 b->threshold);
	sim_time_t now = ps->t->ops->now(ps->t);
	if (now > g->last_clock_at)
		sigfilter_adapt(&g->filter, g->wan_bytes_clock * 8 / simtime_to_s(now - g->last_clock_at));
	g->last_clock_at = now;
	g->wan_bytes_clock = 0;
}

/* A clock boundary of shard s: build the batch, send it to every mirror (or, with hubs, to the
 * group only and into the hub's sum), account. */
static void on_clock(struct ps *ps, struct ps_shard *s, int64_t c, struct ps_accum *acc)
{
	struct gaia_shard *g = G(s);
	struct gaia_batch b;
	batch_build(ps, s, c, acc, &b);
	const int *dests = NULL; /* hubs: only the shard's group */
	int ndests = g->hub ? gaia_hub_dests(g->hub, &dests) : ps->nreplicas;
	for (int j = 0; j < ndests; j++) {
		int q = dests ? dests[j] : j;
		if (q != s->replica)
			batch_send(ps, s, ps->replicas[q].shards[s->index], c, &b);
	}
	if (g->hub) /* a hub sums its own batch into the group's and sends complete group clocks */
		gaia_hub_own_batch(ps, s, g->hub, c, b.msg);
	clock_account(ps, s, c, &b);
	msg_free(b.msg);
	free(b.rows);
}

static void release_barrier(struct ps *ps, struct ps_shard *s, int from, uint64_t batch)
{
	struct gaia_shard *g = G(s);
	for (struct gaia_barrier **pp = &g->barriers; *pp; pp = &(*pp)->next) {
		struct gaia_barrier *b = *pp;
		if (b->from != from || b->batch != batch)
			continue;
		for (size_t i = 0; i < b->n; i++)
			g->blocked[b->rows[i]]--;
		*pp = b->next;
		free(b->rows);
		free(b);
		return;
	}
	(void)ps;
}

/* Elements ahead whose parameter a mirror batch prefetches while applying (with
 * workloads/mf-ec2-11.conf under gaia, any of 64 to 512 cut the run's wall time by about 20 %). */
#define MIRROR_PREFETCH 256

static void on_message(struct ps *ps, struct ps_shard *s, struct msg *m)
{
	struct gaia_shard *g = G(s);
	struct ps_replica *rep = &ps->replicas[s->replica];
	switch (m->kind) {
	case MSG_MIRROR:
	case MSG_HUB: /* hubs: a group's summed updates, added like a mirror batch */
		for (size_t i = 0; i < m->n; i++) {
			/* a scatter over the replica: fetch a few rows ahead */
			if (i + MIRROR_PREFETCH < m->n)
				__builtin_prefetch(rep->params + m->idx[i + MIRROR_PREFETCH], 1);
			rep->params[m->idx[i]] += m->val[i];
		}
		g->last_batch[m->replica] = m->batch;
		release_barrier(ps, s, m->replica, m->batch);
		if (g->hub)
			gaia_hub_on_data(ps, s, g->hub, m);
		break;
	case MSG_MCLOCK:
		g->mirror_clock[m->replica] = m->clock;
		if (g->hub)
			gaia_hub_on_clock(ps, s, g->hub, m);
		break;
	case MSG_HCLOCK: /* hubs: a group clock or the inter-group clock */
		gaia_hub_on_clock(ps, s, g->hub, m);
		break;
	case MSG_BARRIER: {
		if (m->batch <= g->last_batch[m->replica])
			return; /* its batch already arrived */
		struct gaia_barrier *b = xmalloc(sizeof *b);
		b->from = m->replica;
		b->batch = m->batch;
		b->clock = m->clock;
		b->n = m->n;
		b->rows = m->idx;
		m->idx = NULL;
		qsort(b->rows, b->n, sizeof *b->rows, cmp_u32); /* for barrier_holds' search */
		for (size_t i = 0; i < b->n; i++)
			g->blocked[b->rows[i]]++;
		b->next = g->barriers;
		g->barriers = b;
		return; /* holds reads; serves none */
	}
	default:
		return;
	}
	ps_serve_reads(ps, s);
}

/* Hubs need the topology's groups; one replica per region needs equal machine counts. */
static int check_setup(const void *params, const struct sync_setup *su, struct runcfg *cfg)
{
	const struct gaia_params *p = params;
	long line = 0;
	const char *where;
	if (p->hubs && su->ngroups == 0) {
		where = runcfg_where(cfg, "gaia.hubs", &line);
		return diag_at(where ? where : "<config>", line, "gaia.hubs: 'on' needs a topology "
		               "with hub groups ('group' lines); topology '%s' has none", su->topology);
	}
	int first = -1;
	for (int r = 0; r < su->nregions; r++) {
		if (!su->machines[r])
			continue;
		if (first < 0)
			first = r;
		else if (su->machines[r] != su->machines[first]) {
			where = runcfg_where(cfg, "machines", &line);
			return diag_at(where ? where : su->topology, where ? line : 0,
			               "gaia needs the same number of machines in every region "
			               "(region %d has %d, region %d has %d)", first,
			               su->machines[first], r, su->machines[r]);
		}
	}
	return 0;
}

/* The gaia.* keys are validated whatever model a run uses. */
static int check_keys(struct runcfg *cfg)
{
	void *p = parse(NULL, cfg);
	free(p);
	return p ? 0 : -1;
}

/* Gaia's keys (docs/sync-models.md), read by parse() above. */
static const struct runcfg_keydoc gaia_keys[] = {
	{ "gaia.local", "bsp|ssp:S", "bsp", "", "consistency inside a data center: BSP, or SSP with staleness S clocks" },
	{ "gaia.slack", "integer >= 0", "0", "clocks", "mirror-clock slack: how many clocks a region may run ahead of another's updates" },
	{ "gaia.threshold", "number >= 0", "0.01", "fraction", "significance threshold v: an accumulated update is sent when |update/value| exceeds it" },
	{ "gaia.schedule", "choice: constant|sqrt|lr|adaptive|sqrt_epoch", "lr", "", "how the threshold changes over clocks (lr: with the learning rate, the authors' code)" },
	{ "gaia.clocks_per_epoch", "integer >= 0", "0", "clocks", "clocks in one pass over the data, for gaia.schedule = sqrt_epoch" },
	{ "gaia.flush_every", "integer >= 0", "0", "clocks", "every k-th clock sends every accumulated update (0: never)" },
	{ "gaia.budget_bps", "number >= 0", "16.76e6", "bits/s", "the adaptive schedule's WAN budget per shard" },
	{ "gaia.apply", "choice: immediate|significant", "immediate", "", "apply local updates at once, or only once significant (variant)" },
	{ "gaia.barrier", "choice: off|on", "on", "", "the selective barrier before large significant updates" },
	{ "gaia.barrier_drain_s", "number >= 0", "0.1", "s", "selective-barrier trigger: a batch whose drain time exceeds it is announced first" },
	{ "gaia.hubs", "choice: off|on", "off", "", "aggregate mirror traffic through the topology's hub groups" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct sync_ops sync_gaia = {
	.name = "gaia",
	.keys = gaia_keys,
	.spec = "gaia",
	.summary = "Gaia: a replica per data center, ASP between them (significance filter, "
	           "selective barrier, mirror clock)",
	.check_keys = check_keys,
	.check_setup = check_setup,
	.per_region = 1,
	.parse = parse,
	.init = init,
	.read_block = read_block,
	.on_clock = on_clock,
	.cache_staleness = cache_staleness,
	.served_clock = served_clock,
	.read_lag = read_lag,
	.reads_admit = 1,
	.on_message = on_message,
	.fini = fini,
};
