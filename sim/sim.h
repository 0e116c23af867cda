/*
 * The simulator: virtual clock, event queue and run seed. There is no global simulator state;
 * every model receives a struct sim * and reads time only through sim_now(), so the same
 * model code can later be driven in real time by another implementation of its transport.
 */
#ifndef GAIA_SIM_H
#define GAIA_SIM_H

#include <stdint.h>

#include "sim/evq.h"
#include "lib/simtime.h"

struct sim;

struct sim *sim_new(uint64_t seed);
void sim_free(struct sim *sim);

/* Current simulated time, ns. */
sim_time_t sim_now(const struct sim *sim);
/* The run seed that per-entity random streams derive from. */
uint64_t sim_seed(const struct sim *sim);

/* Schedule fn(sim, arg) at absolute time `at` (>= now); returns a handle for sim_cancel. */
uint64_t sim_at(struct sim *sim, sim_time_t at, evq_fn fn, void *arg);
/* Schedule fn(sim, arg) `delay` ns from now (delay >= 0). */
uint64_t sim_after(struct sim *sim, sim_time_t delay, evq_fn fn, void *arg);
/*
 * Reserve n consecutive handles now (returns the first) for sim_at_handle: an event scheduled
 * later under one of them runs, among events at its time, where an event scheduled at the
 * moment of the reservation would have run. A handle is pending at most once at a time; it
 * may be scheduled again after sim_cancel only with the same time, fn and arg (evq.h).
 */
uint64_t sim_reserve(struct sim *sim, uint64_t n);
/* Schedule fn(sim, arg) at absolute time `at` (>= now) under a reserved handle; returns it. */
uint64_t sim_at_handle(struct sim *sim, sim_time_t at, uint64_t handle, evq_fn fn, void *arg);
/* Cancel a pending event (lazily). */
void sim_cancel(struct sim *sim, uint64_t handle);

/*
 * Run events in (time, seq) order until the queue is empty, sim_stop() is called, or the next
 * event lies beyond `until` (SIMTIME_NEVER for no limit; the clock then stays at the last
 * event run). Returns the number of events run.
 */
uint64_t sim_run(struct sim *sim, sim_time_t until);
/* Make sim_run return after the current event. */
void sim_stop(struct sim *sim);
/* Number of live pending events. */
size_t sim_pending(const struct sim *sim);
/* Time of the earliest pending event, ns, or SIMTIME_NEVER when none is pending. */
sim_time_t sim_next_time(const struct sim *sim);
/* Total events run since creation. */
uint64_t sim_events_run(const struct sim *sim);

/* Sanity check of the event queue, for assert() only (evq_check). */
int sim_check(const struct sim *sim);

#endif
