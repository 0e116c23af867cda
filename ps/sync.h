/*
 * Consistency models. Each is a `const struct sync_ops` in its own file: the baseline
 * parameter server (bsp, ssp, async) and the LAN reference in ps/sync_ps.c, Gaia in
 * ps/sync_gaia.c. Adding a model is a new file plus an entry in sync_find() (ps/sync.c).
 *
 * The cluster engine (ps/ps.c) does the common work: workers read rows, compute, push;
 * shards sum the pushes of each clock and advance their clock when every worker of their
 * replica has pushed. The hooks decide the layout, when a read may be served, what happens at a
 * clock boundary and what other messages mean.
 */
#ifndef GAIA_SYNC_H
#define GAIA_SYNC_H

#include <stdint.h>

#include "ps/ps.h"

struct runcfg;
struct runcfg_keydoc;
struct ps_shard;
struct ps_read;
struct ps_accum;

/* What a model may check before a cluster is built (sync_ops.check_setup). */
struct sync_setup {
	const char *topology;  /* topology name (for messages) */
	int nregions;          /* regions */
	const int *machines;   /* machines per region */
	int ngroups;           /* hub groups the topology defines */
};

struct sync_ops {
	const char *name;     /* "bsp", "ssp", "async", "gaia", "lan" */
	const char *spec;     /* how a spec names it, e.g. "ssp:S" (usage lines, lists) */
	const char *summary;  /* one line: what the model does */
	/*
	 * Validate the model's own configuration keys (e.g. gaia.*), with FILE:LINE errors; 0 or
	 * -1. Called for every registered model whatever model a run uses, so a mistyped key of
	 * another model never passes silently. NULL: the model reads no keys.
	 */
	int (*check_keys)(struct runcfg *cfg);
	/*
	 * Check the parsed parameters against the cluster they will run on, before it is built,
	 * naming the config key at fault (FILE:LINE); 0 or -1. NULL: any setup will do.
	 */
	int (*check_setup)(const void *params, const struct sync_setup *setup, struct runcfg *cfg);
	/* Documentation of every key the model reads (NULL-name ended; NULL: it reads none),
	 * printed by `gaiasim help run` and checked against the getters (lib/runcfg.h). */
	const struct runcfg_keydoc *keys;
	int per_region;       /* 1: one replica per region (Gaia); 0: one global replica */
	int one_region;       /* 1: every node is placed in the first region (the LAN reference) */
	/*
	 * Parse the model's parameters: `arg` is the text after "name:" in a spec such as
	 * "ssp:3" (NULL if none); cfg supplies further keys (with file:line errors). Returns an
	 * allocated parameter block, or NULL with a message.
	 */
	void *(*parse)(const char *arg, struct runcfg *cfg);
	/* Set up per-shard state after the cluster is built (may be NULL). */
	int (*init)(struct ps *ps);
	/* 0 if the shard may serve read r now, else the enum ps_wait that holds it. */
	int (*read_block)(struct ps *ps, struct ps_shard *s, const struct ps_read *r);
	/*
	 * Every worker of the replica has pushed clock c - 1: the shard's clock becomes c.
	 * acc holds the sum of those pushes (the model applies it however it applies updates).
	 */
	void (*on_clock)(struct ps *ps, struct ps_shard *s, int64_t c, struct ps_accum *acc);
	/* 1: apply each push at once instead of summing it into the clock's accumulator. */
	int apply_on_receipt;
	/*
	 * Worker cache rule: a cached row served when its shard's clock was k may be used at
	 * clock c when k >= c - cache_staleness(ps); other needed rows are fetched.
	 */
	int64_t (*cache_staleness)(const struct ps *ps);
	/*
	 * The clock a reply of shard s is stamped with: the reply holds every update of clocks
	 * below it that the model guarantees. NULL: the shard's clock.
	 */
	int64_t (*served_clock)(const struct ps *ps, const struct ps_shard *s);
	/* How many clocks a shard's own clock may lag a reader it serves (the reader re-adds its
	 * own updates of those clocks to what it reads). */
	int64_t (*read_lag)(const struct ps *ps);
	/* 1: send a READ to every shard each clock even with no row to fetch (admission). */
	int reads_admit;
	/* 1: do not wait for replies: compute at once with the cache, refresh in the background. */
	int async_reads;
	/* A message that is not READ or PUSH arrived at shard s (may be NULL). */
	void (*on_message)(struct ps *ps, struct ps_shard *s, struct msg *m);
	/* Free per-shard state (may be NULL). */
	void (*fini)(struct ps *ps);
};

/*
 * The table of models (ps/sync.c): adding a model is its own file with a `const struct
 * sync_ops` plus one entry there (docs/architecture.md lists the steps).
 */
extern const struct sync_ops *const sync_models[];
extern const size_t sync_nmodels;

/* The model for a spec such as "bsp", "ssp:3", "gaia"; *arg gets the text after ':'. */
const struct sync_ops *sync_find(const char *spec, const char **arg);
/* "bsp, ssp:S, async, gaia, lan": every model's spec, for messages and usage lines. */
const char *sync_list(void);
/* Every model's check_keys on cfg; 0, or -1 at the first failure. */
int sync_check_keys(struct runcfg *cfg);

extern const struct sync_ops sync_bsp, sync_ssp, sync_async, sync_lan, sync_gaia;

/*
 * Gaia's selective-barrier window (ps/sync_gaia.c, docs/sync-models.md): 1 if a barrier of the
 * batch sent at clock boundary k (updates of clocks < k) holds a read for clock c under
 * mirror-clock slack `slack`, i.e. c - slack < k <= c.
 */
int sync_gaia_barrier_window(int64_t k, int64_t c, int64_t slack);

#endif
