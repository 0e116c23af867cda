/*
 * Wall-clock seconds, for what the commands report about themselves (progress, wall_s in the
 * results store). Model code never calls this: simulated time comes from sim_now() only.
 */
#ifndef GAIA_WALLCLOCK_H
#define GAIA_WALLCLOCK_H

#include <time.h>

/* Seconds on the monotonic clock (arbitrary origin). */
static inline double wallclock_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
