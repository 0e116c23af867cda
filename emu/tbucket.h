/*
 * Token bucket: the bandwidth of one emulated link as a pure function of the time passed in.
 * Credit accrues at rate_bps up to a burst of burst_bytes; a sender takes whole bytes from it.
 * Catch-up: a sender whose last take was cut short is waiting for credit; while it waits,
 * credit may grow to TBUCKET_CATCHUP x burst, so a poll that comes late (a relay descheduled on
 * a loaded machine) sends what the link would have carried meanwhile instead of losing it.
 * Once a take is fully served the credit is clamped back to one burst, so an idle link sends
 * at most one burst at once. Bound: in any window of T ns at most
 * TBUCKET_CATCHUP x burst + rate x T bytes leave (one burst when polls come within burst/rate).
 * Arithmetic is exact integer: credit is kept in bit-nanoseconds (1 byte = 8e9 units), so
 * rate_bps bits/s times elapsed ns adds exactly rate_bps * dt units, with no rounding drift
 * over any window. The relay (emu/mesh.c) passes the monotonic clock; the tests pass
 * hand-chosen times.
 */
#ifndef GAIA_TBUCKET_H
#define GAIA_TBUCKET_H

#include <stdint.h>

#include "lib/simtime.h"

/* Most credit a waiting sender can build up, in bursts (see above). */
#define TBUCKET_CATCHUP 4
/* Largest accepted rate (bits/s) and burst (bytes): keep credit arithmetic inside int64. */
#define TBUCKET_MAX_RATE_BPS INT64_C(1000000000000000) /* 1e15 bits/s */
#define TBUCKET_MAX_BURST_BYTES INT64_C(250000000)     /* x4 x 8e9 = 8e18 units */

struct tbucket {
	int64_t rate_bps;    /* refill rate, bits/s, >= 0 (0: link down, no refill) */
	int64_t burst_bytes; /* bucket depth, bytes, >= 1: the most that can leave at once */
	int64_t credit;      /* current credit, bit-ns (8e9 per byte), 0..depth*8e9 */
	sim_time_t last;     /* time credit was last brought up to date, ns */
	int waiting;         /* last take got less than asked: depth is CATCHUP x burst */
};

/* A full bucket at time now. rate_bps in [0, TBUCKET_MAX_RATE_BPS], burst in [1, MAX]. */
void tbucket_init(struct tbucket *tb, int64_t rate_bps, int64_t burst_bytes, sim_time_t now);

/*
 * Take up to want bytes at time now (now never before the last call's); returns how many
 * were granted (0..want), which are removed from the credit. Granting less than want starts
 * a wait (catch-up, above); granting all of it ends one.
 */
int64_t tbucket_take(struct tbucket *tb, sim_time_t now, int64_t want);

/*
 * Earliest time >= now at which min(want, burst) bytes could be taken, if nothing else is
 * taken meanwhile; SIMTIME_NEVER when the rate is 0 and the credit is short. Does not modify
 * the bucket.
 */
sim_time_t tbucket_next_ready(const struct tbucket *tb, sim_time_t now, int64_t want);

/*
 * Change rate and burst at time now: credit earned until now accrues at the old rate, later
 * credit at the new one; the credit is clamped to the new depth.
 */
void tbucket_set_rate(struct tbucket *tb, sim_time_t now, int64_t rate_bps, int64_t burst_bytes);

#endif
