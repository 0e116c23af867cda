/* Compute-time policies (ps/compute.h). */
#include "ps/compute.h"

#include <string.h>

#include "lib/wallclock.h"

static double modelled_step(void *arg, const struct workload_ops *ops, struct workload *wl,
                            int worker, int64_t clock, const double *view,
                            struct wl_update *out, double speed)
{
	(void)arg;
	uint64_t units = ops->step(wl, worker, clock, view, out);
	return (double)units * ops->ns_per_unit(wl) * speed;
}

const struct compute_ops compute_modelled = { "modelled", modelled_step };

static double measured_step(void *arg, const struct workload_ops *ops, struct workload *wl,
                            int worker, int64_t clock, const double *view,
                            struct wl_update *out, double speed)
{
	(void)arg;
	double t0 = wallclock_s();
	ops->step(wl, worker, clock, view, out);
	return (wallclock_s() - t0) * 1e9 * speed;
}

const struct compute_ops compute_measured = { "measured", measured_step };

const struct compute_ops *compute_find(const char *name)
{
	static const struct compute_ops *const all[] = { &compute_modelled, &compute_measured };
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}
