/*
 * The event queue: pending events ordered by (time, sequence number), so that events at the
 * same time run in the order they were scheduled and every run is bit-reproducible.
 *
 * Implementation: an implicit 4-ary min-heap of 32-byte entries in one array.
 *   push, pop: O(log n) comparisons; peek, size: O(1); cancel: O(1) expected.
 *   Memory: 32 bytes per pending entry (array grows by doubling), plus 8 bytes per
 *   cancelled-but-not-yet-popped entry in a hash set.
 * Cancellation is lazy: a cancelled entry stays in the heap, marked, and is discarded when it
 * reaches the top. evq_size() counts live entries only.
 */
#ifndef GAIA_EVQ_H
#define GAIA_EVQ_H

#include <stddef.h>
#include <stdint.h>

#include "lib/simtime.h"

struct sim;
typedef void (*evq_fn)(struct sim *sim, void *arg);

struct evq_item {
	sim_time_t time; /* when the event fires, ns */
	uint64_t seq;    /* scheduling order; also the event's handle for evq_cancel */
	evq_fn fn;       /* callback */
	void *arg;       /* callback argument */
};

struct evq;

struct evq *evq_new(void);
void evq_free(struct evq *q);

/* Schedule fn(arg) at time t; returns a handle (never 0) for evq_cancel. */
uint64_t evq_push(struct evq *q, sim_time_t t, evq_fn fn, void *arg);

/*
 * Hand out n consecutive handles (n >= 0) without scheduling anything; returns the first.
 * An event later pushed with one of them (evq_push_handle) is ordered as if it had been pushed
 * at the time of the reservation: among events at the same time, after those scheduled before
 * the reservation and before those scheduled after it. O(1).
 */
uint64_t evq_reserve(struct evq *q, uint64_t n);

/*
 * Schedule fn(arg) at time t under a handle from evq_reserve; returns the handle. A handle
 * is live in at most one entry at a time. It may be pushed again after being cancelled, but
 * only with the same t, fn and arg: the cancelled set then holds it once per cancellation and
 * each cancellation discards one of the identical entries, whichever reaches the top first.
 */
uint64_t evq_push_handle(struct evq *q, sim_time_t t, uint64_t handle, evq_fn fn, void *arg);

/* Remove the earliest live entry into *out; returns 1, or 0 when the queue is empty. */
int evq_pop(struct evq *q, struct evq_item *out);

/*
 * Remove the earliest live entry into *out if its time is <= until; returns 1, or 0 (nothing
 * removed) when the queue is empty or its earliest entry lies later. One call does what
 * evq_peek then evq_pop do.
 */
int evq_pop_until(struct evq *q, sim_time_t until, struct evq_item *out);

/*
 * The simulator's loop (sim_run): while *stop is 0, remove the earliest live entry if its time
 * is <= until, set *now to its time, run fn(sim, arg), then add 1 to *events_run. Returns the
 * number of entries run. Equivalent to calling evq_pop_until and the callback in a loop, but
 * without a call and a copy of the entry per event (about 5 % of a round of 110 single flows,
 * docs/benchmarks.md).
 */
uint64_t evq_run(struct evq *q, sim_time_t until, struct sim *sim, sim_time_t *now,
		 const int *stop, uint64_t *events_run);

/* Copy the earliest live entry into *out without removing it; 1, or 0 when empty. */
int evq_peek(struct evq *q, struct evq_item *out);

/*
 * Cancel a pending entry by handle. Cancelling an entry that already ran, or cancelling a
 * handle more often than it was pushed, is a programmer error (evq_check detects a cancelled
 * handle with no entry left in the heap).
 */
void evq_cancel(struct evq *q, uint64_t handle);

/* Number of live (not cancelled) pending entries. */
size_t evq_size(const struct evq *q);

/*
 * Sanity check, for assert() only: heap order, sizes and handles in range, the cancelled set
 * consistent and no larger than the entries it can discard. Returns 1 if all hold. O(n).
 */
int evq_check(const struct evq *q);

#endif
