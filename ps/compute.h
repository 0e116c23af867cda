/*
 * Compute-time policies: how long a worker's step takes on the clock the run keeps. The
 * parameter server (ps/ps.c) asks its policy to run one step and report its duration, then
 * sets a timer of that length before the worker's push leaves. A policy is a `const struct
 * compute_ops` table:
 *  - compute_modelled: the workload's work units x its ns per unit x the node's speed factor
 *    (a simulated run; deterministic);
 *  - compute_measured: the real elapsed time of the step (lib/wallclock.h) x the speed factor
 *    (for runs in real time; not reproducible from run to run).
 * An emulated run will add a scaled policy here (real time times a factor) without touching
 * ps/ps.c.
 */
#ifndef GAIA_COMPUTE_H
#define GAIA_COMPUTE_H

#include <stdint.h>

#include "workloads/workload.h"

struct compute_ops {
	const char *name;  /* policy name, e.g. "modelled" */
	/*
	 * Run worker `worker`'s step for `clock` on `view` into *out and return its duration, ns
	 * (not rounded: the caller rounds it for its timer and accounts it as is). `speed` is the
	 * node's slowdown factor (1 = reference machine); arg is the policy's own state.
	 */
	double (*step)(void *arg, const struct workload_ops *ops, struct workload *wl, int worker,
	               int64_t clock, const double *view, struct wl_update *out, double speed);
};

extern const struct compute_ops compute_modelled;
extern const struct compute_ops compute_measured;

/* The policy of a name ("modelled", "measured"), or NULL. */
const struct compute_ops *compute_find(const char *name);

#endif
