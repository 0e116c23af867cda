/*
 * The memory limit of a run (config key `limits.memory_gb`, default MEMLIMIT_DEFAULT_GB,
 * docs/config-format.md). Modules that allocate in proportion to a user's numbers estimate
 * what they will ask for, from the shape, before allocating, and refuse a run past the limit
 * with a message saying how much and why, instead of an allocation failure (an abort) later.
 */
#ifndef GAIA_MEMLIMIT_H
#define GAIA_MEMLIMIT_H

struct runcfg;

/* Default limit, GiB: a generous share of a workstation, far above every shipped config. */
#define MEMLIMIT_DEFAULT_GB 16.0

/*
 * 0 if `bytes` (the estimate for `what`, whose size is explained by `why`) fits in the
 * config's limits.memory_gb; otherwise -1 with a message naming the key's FILE:LINE when the
 * key was given, the estimate in GB and how to raise the limit.
 */
int memlimit_check(struct runcfg *cfg, const char *what, double bytes, const char *why);

#endif
