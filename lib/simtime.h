/*
 * Simulated time: a signed 64-bit count of nanoseconds since the start of a run.
 * Every module stores and compares time in this type; doubles in seconds appear only at the
 * edges (parsing input, writing output) through the conversions below.
 */
#ifndef GAIA_SIMTIME_H
#define GAIA_SIMTIME_H

#include <math.h>
#include <stdint.h>

typedef int64_t sim_time_t; /* nanoseconds */

#define SIMTIME_NEVER INT64_MAX
#define SIMTIME_NS_PER_S INT64_C(1000000000)
/*
 * The latest time a run may schedule its own work (a compute step's end): 2^62 ns, about 146
 * years. The other half of the int64 range is headroom for what the network adds on top
 * (latencies, which topologies bound, and transfer times, which sim/flow.c saturates to
 * SIMTIME_NEVER), so no sum of times can overflow.
 */
#define SIMTIME_HORIZON (INT64_C(1) << 62)

/* Seconds (double) to nanoseconds, rounded to the nearest nanosecond. */
static inline sim_time_t simtime_from_s(double s)
{
	return (sim_time_t)llround(s * 1e9);
}

/* Milliseconds (double) to nanoseconds, rounded to the nearest nanosecond. */
static inline sim_time_t simtime_from_ms(double ms)
{
	return (sim_time_t)llround(ms * 1e6);
}

/* Nanoseconds to seconds. */
static inline double simtime_to_s(sim_time_t t)
{
	return (double)t / 1e9;
}

#endif
