/*
 * The baseline: an ordinary parameter server deployed across data centers as if they were one
 * cluster. One global model is sharded over the servers of every region; workers read and push
 * remote shards over the WAN. bsp waits at every clock for every worker; ssp:S lets a worker run
 * up to S clocks ahead of the slowest; async never waits (updates applied on receipt). lan is
 * the reference: the same machines, BSP, all placed in one region on its LAN.
 *
 * `ps.refetch` (docs/sync-models.md, "The baseline's reads"): `stale` (default) reuses a cached
 * row while it is within the staleness bound, the initial model counting as served at clock 0;
 * `always` fetches every row a clock needs from its shard, clock 0 included, as a client whose
 * cache starts empty and that keeps no row across clocks (IterStore with slack 0 refetches
 * every row each clock; its first clock reads the initial model from the servers).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/lineio.h"
#include "lib/runcfg.h"
#include "ps/ps-internal.h"
#include "lib/xmalloc.h"

enum { PS_REFETCH_STALE, PS_REFETCH_ALWAYS };

struct ps_params {
	int64_t staleness; /* clocks a worker may run ahead of the slowest; -1: unbounded (async) */
	int refetch;       /* ps.refetch: PS_REFETCH_STALE or PS_REFETCH_ALWAYS */
};

/* Read (so validate) the baseline models' keys: ps.refetch into *refetch (may be NULL). */
static int read_keys(struct runcfg *cfg, int *refetch)
{
	static const char *const modes[] = { "stale", "always", NULL };
	int r = PS_REFETCH_STALE;
	if (cfg && runcfg_choice(cfg, "ps.refetch", "stale", modes, &r) < 0)
		return -1;
	if (refetch)
		*refetch = r;
	return 0;
}

/* Documentation of the baseline models' keys (shared by bsp, ssp, async and lan). */
static const struct runcfg_keydoc ps_keys[] = {
	{ "ps.refetch", "choice: stale|always", "stale", "", "baselines: reuse cached rows within the staleness bound, or fetch every needed row each clock (IterStore, slack 0)" },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* The baseline's keys are checked whatever the model (a key check hook for the model table). */
static int sync_ps_check_keys(struct runcfg *cfg)
{
	return read_keys(cfg, NULL);
}

/* The parameters, with ps.refetch read from cfg (NULL: the default, `stale`). */
static void *params_new(int64_t staleness, struct runcfg *cfg)
{
	int refetch;
	if (read_keys(cfg, &refetch) < 0)
		return NULL;
	struct ps_params *p = xmalloc(sizeof *p);
	p->staleness = staleness;
	p->refetch = refetch;
	return p;
}

static void *parse_none(const char *name, const char *arg, int64_t staleness, struct runcfg *cfg)
{
	if (arg) {
		diag_error("sync model '%s' takes no parameter (got '%s:%s')", name, name, arg);
		return NULL;
	}
	return params_new(staleness, cfg);
}

static void *parse_bsp(const char *arg, struct runcfg *cfg)
{
	return parse_none("bsp", arg, 0, cfg);
}

static void *parse_async(const char *arg, struct runcfg *cfg)
{
	return parse_none("async", arg, -1, cfg);
}

static void *parse_lan(const char *arg, struct runcfg *cfg)
{
	return parse_none("lan", arg, 0, cfg);
}

static void *parse_ssp(const char *arg, struct runcfg *cfg)
{
	int64_t s;
	if (!arg || parse_int64(arg, &s) < 0 || s < 0 || s > 1000000) {
		diag_error("sync model 'ssp' needs a staleness bound 'ssp:S' with S an integer in "
		           "[0, 1000000] (got '%s')", arg ? arg : "ssp");
		return NULL;
	}
	return params_new(s, cfg);
}

static int read_block(struct ps *ps, struct ps_shard *s, const struct ps_read *r)
{
	const struct ps_params *p = ps->sp;
	if (p->staleness < 0 || s->clock >= r->clock - p->staleness)
		return 0;
	return p->staleness == 0 ? PS_WAIT_BSP : PS_WAIT_SSP;
}

/* How many clocks a shard may lag a read it serves: the staleness bound (async: none kept, its
 * reads do not wait). */
static int64_t read_lag(const struct ps *ps)
{
	const struct ps_params *p = ps->sp;
	return p->staleness < 0 ? 0 : p->staleness;
}

/* A cached row may lag the worker's clock by the staleness bound (async: refreshed each clock
 * in the background); with ps.refetch = always no cached row is ever reused (-1: the engine's
 * "never fresh enough", ps/ps.c worker_begin). */
static int64_t cache_staleness(const struct ps *ps)
{
	const struct ps_params *p = ps->sp;
	return p->refetch == PS_REFETCH_ALWAYS ? -1 : read_lag(ps);
}

/* Apply the sum of a clock's pushes to the shard's rows. */
static void on_clock(struct ps *ps, struct ps_shard *s, int64_t c, struct ps_accum *acc)
{
	(void)c;
	if (!acc)
		return;
	struct ps_replica *rep = &ps->replicas[s->replica];
	size_t rl = ps->row_len;
	for (size_t i = 0; i < acc->nrows; i++) {
		size_t local = acc->rows[i];
		double *p = rep->params + (size_t)ps_row_global(s, rep->nshards, local) * rl;
		const double *v = acc->val + local * rl;
		for (size_t k = 0; k < rl; k++)
			p[k] += v[k];
	}
}

const struct sync_ops sync_bsp = {
	.name = "bsp", .spec = "bsp",
	.summary = "baseline parameter server, bulk synchronous: every worker waits for all at each clock",
	.check_keys = sync_ps_check_keys, /* ps.* keys, shared by the four baselines */
	.keys = ps_keys,
	.parse = parse_bsp, .read_block = read_block, .on_clock = on_clock,
	.cache_staleness = cache_staleness, .read_lag = read_lag,
};

const struct sync_ops sync_ssp = {
	.name = "ssp", .spec = "ssp:S",
	.summary = "baseline parameter server, stale synchronous: a worker runs at most S clocks ahead",
	.parse = parse_ssp, .read_block = read_block, .on_clock = on_clock,
	.cache_staleness = cache_staleness, .read_lag = read_lag,
};

const struct sync_ops sync_async = {
	.name = "async", .spec = "async",
	.summary = "baseline parameter server, fully asynchronous: no worker ever waits",
	.parse = parse_async, .read_block = read_block, .on_clock = on_clock,
	.apply_on_receipt = 1, .cache_staleness = cache_staleness, .read_lag = read_lag, .async_reads = 1,
};

const struct sync_ops sync_lan = {
	.name = "lan", .spec = "lan",
	.summary = "the LAN reference: the same machines, BSP, all in one region",
	.one_region = 1, .parse = parse_lan, .read_block = read_block,
	.on_clock = on_clock, .cache_staleness = cache_staleness, .read_lag = read_lag,
};
