/* The simulator core: the loop that pops events in (time, seq) order and runs them. */
#include "sim/sim.h"

#include <assert.h>
#include <stdlib.h>

#include "lib/xmalloc.h"

struct sim {
	struct evq *q;       /* pending events */
	sim_time_t now;      /* current simulated time, ns */
	uint64_t seed;       /* run seed */
	uint64_t events_run; /* events run so far */
	int stop;            /* set by sim_stop */
};

struct sim *sim_new(uint64_t seed)
{
	struct sim *sim = xcalloc(1, sizeof *sim);
	sim->q = evq_new();
	sim->seed = seed;
	return sim;
}

void sim_free(struct sim *sim)
{
	if (!sim)
		return;
	evq_free(sim->q);
	free(sim);
}

sim_time_t sim_now(const struct sim *sim)
{
	return sim->now;
}

uint64_t sim_seed(const struct sim *sim)
{
	return sim->seed;
}

uint64_t sim_at(struct sim *sim, sim_time_t at, evq_fn fn, void *arg)
{
	assert(at >= sim->now && "event scheduled in the past");
	return evq_push(sim->q, at, fn, arg);
}

uint64_t sim_after(struct sim *sim, sim_time_t delay, evq_fn fn, void *arg)
{
	assert(delay >= 0);
	/* Saturate instead of overflowing: a delay past the end of time means "never". */
	sim_time_t at = delay > SIMTIME_NEVER - sim->now ? SIMTIME_NEVER : sim->now + delay;
	return evq_push(sim->q, at, fn, arg);
}

uint64_t sim_reserve(struct sim *sim, uint64_t n)
{
	return evq_reserve(sim->q, n);
}

uint64_t sim_at_handle(struct sim *sim, sim_time_t at, uint64_t handle, evq_fn fn, void *arg)
{
	assert(at >= sim->now && "event scheduled in the past");
	return evq_push_handle(sim->q, at, handle, fn, arg);
}

void sim_cancel(struct sim *sim, uint64_t handle)
{
	evq_cancel(sim->q, handle);
}

uint64_t sim_run(struct sim *sim, sim_time_t until)
{
	sim->stop = 0;
	return evq_run(sim->q, until, sim, &sim->now, &sim->stop, &sim->events_run);
}

void sim_stop(struct sim *sim)
{
	sim->stop = 1;
}

size_t sim_pending(const struct sim *sim)
{
	return evq_size(sim->q);
}

int sim_check(const struct sim *sim)
{
	return evq_check(sim->q);
}

uint64_t sim_events_run(const struct sim *sim)
{
	return sim->events_run;
}

sim_time_t sim_next_time(const struct sim *sim)
{
	struct evq_item it;
	return evq_peek(sim->q, &it) ? it.time : SIMTIME_NEVER;
}
