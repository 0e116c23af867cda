/*
 * The standard observer of a training run (ps/observer.h): evaluations of every replica when
 * its clock advances, the target rule over replicas, finish detection, per-run statistics and
 * the significance filter's records. It sees only the events the nodes report.
 */
#include "ps/observer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/xmalloc.h"
#include "ps/ps.h"

/* Evaluations of one clock across replicas, for the target rule. */
struct tally {
	int64_t clock;         /* clock evaluated */
	int count;             /* replicas evaluated at it */
	double worst;          /* worst value among them, signed so that lower is better */
};

/* What the observer knows of one replica. */
struct replica_view {
	int nshards;           /* shards */
	int64_t *shard_clock;  /* clock each shard reported last */
	int64_t clock;         /* min over its shards */
};

struct observer_std {
	struct observer_std_config cfg;  /* configuration (copied; replica_shards not kept) */
	size_t row_len;                  /* values per model row */
	double sign;                     /* +1: lower target quantity is better; -1: higher */
	struct replica_view *reps;       /* per replica */
	struct ps_stats stats;           /* counters */
	struct ps_eval *evals;           /* evaluations */
	size_t nevals, evals_cap;        /* used / allocated */
	struct ps_filter_rec *frecs;     /* filter records, sorted by (clock, region) */
	size_t nfrecs, frecs_cap;        /* used / allocated */
	struct ps_sig_rec *srecs;        /* significance records, sorted by (clock, region) */
	size_t nsrecs, srecs_cap;        /* used / allocated */
	struct tally *tallies;           /* per evaluated clock */
	size_t ntallies;                 /* entries */
	int stopping;                    /* target reached: workers stop at their next clock */
	sim_time_t target_time;          /* when the target was reached, or -1 */
	int64_t diverged_clock;          /* first clock evaluated to a non-finite objective, or -1 */
	int nactive;                     /* workers not yet stopped */
	uint64_t pushes_sent;            /* PUSH messages sent */
	uint64_t pushes_delivered;       /* PUSH messages delivered */
	void (*finish_fn)(void *);       /* finish callback, cleared once called */
	void *finish_arg;                /* its argument */
};

struct observer_std *observer_std_new(const struct observer_std_config *cfg)
{
	if (cfg->target_on == OBSERVER_TARGET_TEST && !cfg->wl_ops->test_metric) {
		diag_error("stop.target_on = test: workload '%s' has no held-out metric",
		           cfg->wl_ops->name);
		return NULL;
	}
	struct observer_std *o = xcalloc(1, sizeof *o);
	o->cfg = *cfg;
	o->cfg.replica_shards = NULL;
	o->cfg.hosted = NULL;
	o->row_len = cfg->wl_ops->row_len(cfg->wl);
	o->sign = cfg->target_on == OBSERVER_TARGET_TEST && cfg->wl_ops->test_higher_better ? -1 : 1;
	o->target_time = -1;
	o->diverged_clock = -1;
	o->nactive = 0;
	for (int n = 0; n < cfg->nnodes; n++)
		o->nactive += !cfg->hosted || cfg->hosted[n];
	o->reps = xcalloc((size_t)cfg->nreplicas + 1, sizeof *o->reps);
	for (int r = 0; r < cfg->nreplicas; r++) {
		o->reps[r].nshards = cfg->replica_shards[r];
		o->reps[r].shard_clock = xcalloc((size_t)cfg->replica_shards[r] + 1,
		                                 sizeof *o->reps[r].shard_clock);
	}
	size_t nk = (size_t)cfg->nregions * (size_t)cfg->nregions * MSG_NKINDS;
	o->stats.wan_bytes = xcalloc(nk, sizeof *o->stats.wan_bytes);
	o->stats.wan_msgs = xcalloc(nk, sizeof *o->stats.wan_msgs);
	o->stats.wait_s = xcalloc((size_t)cfg->nnodes * PS_WAIT_NKINDS, sizeof *o->stats.wait_s);
	o->stats.compute_s = xcalloc((size_t)cfg->nnodes, sizeof *o->stats.compute_s);
	o->stats.clocks = xcalloc((size_t)cfg->nnodes, sizeof *o->stats.clocks);
	return o;
}

void observer_std_free(struct observer_std *o)
{
	if (!o)
		return;
	for (int r = 0; r < o->cfg.nreplicas; r++)
		free(o->reps[r].shard_clock);
	free(o->reps);
	free(o->stats.wan_bytes);
	free(o->stats.wan_msgs);
	free(o->stats.wait_s);
	free(o->stats.compute_s);
	free(o->stats.clocks);
	free(o->evals);
	free(o->frecs);
	free(o->srecs);
	free(o->tallies);
	free(o);
}

/* ---- evaluation and the target ---- */

/* The tally of `clock`, created if new (recent clocks are at the end). */
static struct tally *tally_of(struct observer_std *o, int64_t clock)
{
	for (size_t i = o->ntallies; i-- > 0;)
		if (o->tallies[i].clock == clock)
			return &o->tallies[i];
	o->tallies = xreallocarray(o->tallies, o->ntallies + 1, sizeof *o->tallies);
	struct tally *t = &o->tallies[o->ntallies++];
	*t = (struct tally){ clock, 0, -INFINITY };
	return t;
}

/* Target: every replica's evaluation at this clock is at or past it (in its direction). */
static void target_rule(struct observer_std *o, const struct ps_eval *e)
{
	if (isnan(o->cfg.target) || o->target_time >= 0)
		return;
	double v = o->cfg.target_on == OBSERVER_TARGET_TEST ? e->test_metric : e->objective;
	struct tally *t = tally_of(o, e->clock);
	t->count++;
	if (isnan(v)) /* a NaN never reaches a target: it is the worst value there is */
		t->worst = INFINITY;
	else if (o->sign * v > t->worst)
		t->worst = o->sign * v;
	if (t->count == o->cfg.nreplicas && t->worst <= o->sign * o->cfg.target) {
		o->target_time = e->time;
		o->stopping = 1;
	}
}

/* Divergence: a non-finite objective stops the run at once (workers stop at their next clock). */
static void divergence_rule(struct observer_std *o, const struct ps_eval *e)
{
	if (isfinite(e->objective) || o->diverged_clock >= 0)
		return;
	o->diverged_clock = e->clock;
	o->stopping = 1;
}

static void record_eval(struct observer_std *o, int r, int64_t clock, const double *params,
                        sim_time_t now)
{
	const struct workload_ops *ops = o->cfg.wl_ops;
	if (o->nevals == o->evals_cap) {
		o->evals_cap = o->evals_cap ? 2 * o->evals_cap : 256;
		o->evals = xreallocarray(o->evals, o->evals_cap, sizeof *o->evals);
	}
	struct ps_eval *e = &o->evals[o->nevals++];
	e->replica = r;
	e->clock = clock;
	e->time = now;
	e->objective = ops->objective(o->cfg.wl, params);
	e->metric = ops->metric(o->cfg.wl, params);
	e->test_metric = ops->test_metric ? ops->test_metric(o->cfg.wl, params) : NAN;
	if (o->cfg.on_eval)
		o->cfg.on_eval(o->cfg.on_eval_arg, e);
	divergence_rule(o, e);
	target_rule(o, e);
}

static void std_replica_start(void *ctx, int r, const double *params, sim_time_t now)
{
	record_eval(ctx, r, 0, params, now);
}

/* A shard's clock advanced: advance its replica's clock and evaluate when due. */
static void std_shard_clock(void *ctx, int r, int shard, int64_t clock, const double *params,
                            sim_time_t now)
{
	struct observer_std *o = ctx;
	struct replica_view *rep = &o->reps[r];
	rep->shard_clock[shard] = clock;
	int64_t c = INT64_MAX;
	for (int i = 0; i < rep->nshards; i++)
		if (rep->shard_clock[i] < c)
			c = rep->shard_clock[i];
	while (rep->clock < c) {
		rep->clock++;
		if (rep->clock % o->cfg.eval_every == 0 || rep->clock == o->cfg.max_clocks)
			record_eval(o, r, rep->clock, params, now);
	}
}

/* ---- finish ---- */

/*
 * The run is finished once every worker has stopped AND every push sent has reached its shard,
 * so that the final clock's updates are in the model and its evaluation is recorded (stopping
 * at the last worker's stop would drop the pushes still on the wire). Checked when a worker
 * stops and after each push delivered; fires the callback exactly once.
 */
static void check_finish(struct observer_std *o)
{
	if (o->nactive == 0 && o->finish_fn && o->pushes_delivered == o->pushes_sent) {
		void (*fn)(void *) = o->finish_fn;
		o->finish_fn = NULL;
		fn(o->finish_arg);
	}
}

static void std_worker_stop(void *ctx, int w, sim_time_t now)
{
	struct observer_std *o = ctx;
	(void)w;
	(void)now;
	--o->nactive;
	check_finish(o);
}

/* ---- statistics ---- */

static void std_clock_done(void *ctx, int w, int64_t clock, sim_time_t now)
{
	struct observer_std *o = ctx;
	(void)now;
	o->stats.clocks[w] = clock;
}

static void std_wait_end(void *ctx, int w, int reason, sim_time_t waited_ns, sim_time_t now)
{
	struct observer_std *o = ctx;
	(void)now;
	o->stats.wait_s[(size_t)w * PS_WAIT_NKINDS + (size_t)reason] += simtime_to_s(waited_ns);
}

static void std_compute(void *ctx, int w, double ns)
{
	struct observer_std *o = ctx;
	o->stats.compute_s[w] += ns / 1e9;
}

static void std_msg_sent(void *ctx, const struct observer_msg *m, sim_time_t now)
{
	struct observer_std *o = ctx;
	(void)now;
	size_t k = ((size_t)m->src_region * (size_t)o->cfg.nregions + (size_t)m->dst_region) *
	           MSG_NKINDS + (size_t)m->kind;
	if (m->src != m->dst) {
		o->stats.wan_bytes[k] += m->wire_bytes;
		o->stats.wan_msgs[k] += 1;
	}
	if (m->kind == MSG_PUSH) {
		o->pushes_sent++;
		o->stats.updates_pushed += m->entries * o->row_len;
		if (m->src_region != m->dst_region)
			o->stats.updates_pushed_wan += m->entries * o->row_len;
	}
}

static void std_msg_delivered(void *ctx, const struct observer_msg *m, sim_time_t now)
{
	struct observer_std *o = ctx;
	(void)now;
	if (m->kind == MSG_PUSH) {
		o->pushes_delivered++;
		check_finish(o);
	}
}

/*
 * One record per (region, clock): every shard of a region reports its own part of a clock, and
 * the parts are summed (the results store keys filter counts by run, region and clock). The
 * threshold kept is the one of the first shard to report. Records are kept sorted by (clock,
 * region); they arrive almost in that order, so the insertion point is at or near the end.
 */
static void std_filter(void *ctx, int region, int64_t clock, uint64_t produced, uint64_t sent,
                       double threshold)
{
	struct observer_std *o = ctx;
	size_t lo = 0, hi = o->nfrecs; /* first record after (clock, region) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ps_filter_rec *f = &o->frecs[mid];
		if (f->clock < clock || (f->clock == clock && f->region <= region))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && o->frecs[lo - 1].clock == clock && o->frecs[lo - 1].region == region) {
		o->frecs[lo - 1].produced += produced;
		o->frecs[lo - 1].sent += sent;
	} else {
		if (o->nfrecs == o->frecs_cap) {
			o->frecs_cap = o->frecs_cap ? 2 * o->frecs_cap : 256;
			o->frecs = xreallocarray(o->frecs, o->frecs_cap, sizeof *o->frecs);
		}
		memmove(o->frecs + lo + 1, o->frecs + lo, (o->nfrecs - lo) * sizeof *o->frecs);
		o->frecs[lo] = (struct ps_filter_rec){ region, clock, produced, sent, threshold };
		o->nfrecs++;
	}
	o->stats.updates_produced += produced;
	o->stats.updates_sent += sent;
}

/* Like std_filter: one record per (region, clock), the shards' parts summed. */
static void std_significance(void *ctx, int region, int64_t clock, const uint64_t *below,
                             uint64_t updates)
{
	struct observer_std *o = ctx;
	size_t lo = 0, hi = o->nsrecs; /* first record after (clock, region) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ps_sig_rec *f = &o->srecs[mid];
		if (f->clock < clock || (f->clock == clock && f->region <= region))
			lo = mid + 1;
		else
			hi = mid;
	}
	struct ps_sig_rec *r;
	if (lo > 0 && o->srecs[lo - 1].clock == clock && o->srecs[lo - 1].region == region) {
		r = &o->srecs[lo - 1];
	} else {
		if (o->nsrecs == o->srecs_cap) {
			o->srecs_cap = o->srecs_cap ? 2 * o->srecs_cap : 256;
			o->srecs = xreallocarray(o->srecs, o->srecs_cap, sizeof *o->srecs);
		}
		memmove(o->srecs + lo + 1, o->srecs + lo, (o->nsrecs - lo) * sizeof *o->srecs);
		r = &o->srecs[lo];
		*r = (struct ps_sig_rec){ .region = region, .clock = clock };
		o->nsrecs++;
	}
	r->updates += updates;
	o->stats.sig_updates += updates;
	for (int l = 0; l < SIG_NLEVELS; l++) {
		r->below[l] += below[l];
		o->stats.sig_below[l] += below[l];
	}
}

static int std_stopping(void *ctx)
{
	const struct observer_std *o = ctx;
	return o->stopping;
}

static const struct observer_ops std_ops = {
	.replica_start = std_replica_start,
	.shard_clock = std_shard_clock,
	.clock_done = std_clock_done,
	.worker_stop = std_worker_stop,
	.wait_end = std_wait_end,
	.compute = std_compute,
	.msg_sent = std_msg_sent,
	.msg_delivered = std_msg_delivered,
	.filter = std_filter,
	.stopping = std_stopping,
	.significance = std_significance,
};

struct observer observer_std_as(struct observer_std *o)
{
	return (struct observer){ &std_ops, o };
}

void observer_std_on_finish(struct observer_std *o, void (*fn)(void *arg), void *arg)
{
	o->finish_fn = fn;
	o->finish_arg = arg;
}

int observer_std_finished(const struct observer_std *o)
{
	return o->nactive == 0;
}

const struct ps_stats *observer_std_stats(const struct observer_std *o)
{
	return &o->stats;
}

const struct ps_eval *observer_std_evals(const struct observer_std *o, size_t *n)
{
	*n = o->nevals;
	return o->evals;
}

const struct ps_sig_rec *observer_std_sig_recs(const struct observer_std *o, size_t *n)
{
	*n = o->nsrecs;
	return o->srecs;
}

const struct ps_filter_rec *observer_std_filter_recs(const struct observer_std *o, size_t *n)
{
	*n = o->nfrecs;
	return o->frecs;
}

sim_time_t observer_std_target_time(const struct observer_std *o)
{
	return o->target_time;
}

int64_t observer_std_diverged_clock(const struct observer_std *o)
{
	return o->diverged_clock;
}
