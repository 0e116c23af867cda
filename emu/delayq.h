/*
 * Delay queue: the propagation delay of one direction of an emulated link, as a pure function
 * of the time passed in. It counts bytes only (the relay keeps the bytes themselves in order in
 * a buffer beside it): bytes pushed at time t with latency L become ready at t + L. A byte
 * stream is never reordered, so when the latency drops mid-stream a later push is held until
 * the earlier ones are ready (release times never decrease).
 *
 * Memory: one 16-byte entry per push with a distinct release time (pushes with the same
 * release time merge); push and pop are amortized O(1).
 */
#ifndef GAIA_DELAYQ_H
#define GAIA_DELAYQ_H

#include <stddef.h>
#include <stdint.h>

#include "lib/simtime.h"

struct delayq_entry {
	sim_time_t release; /* time the bytes become ready, ns */
	int64_t bytes;      /* bytes in this entry, > 0 */
};

struct delayq {
	struct delayq_entry *ring; /* circular array of cap entries */
	size_t cap;                /* allocated entries (power of two, or 0) */
	size_t head;               /* index of the oldest entry */
	size_t len;                /* entries in use */
	int64_t bytes;             /* total bytes queued */
};

void delayq_init(struct delayq *q);
void delayq_free(struct delayq *q);

/* Queue `bytes` (> 0) at time now to be ready at max(now + latency, last release). */
void delayq_push(struct delayq *q, sim_time_t now, sim_time_t latency, int64_t bytes);

/* Remove and return the number of bytes whose release time is <= now. */
int64_t delayq_pop_ready(struct delayq *q, sim_time_t now);

/* Release time of the oldest entry, or SIMTIME_NEVER when empty. */
sim_time_t delayq_next(const struct delayq *q);

#endif
