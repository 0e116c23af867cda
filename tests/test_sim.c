/*
 * Tests for the simulator loop (sim/sim.c): events run in (time, seq) order and see sim_now()
 * equal to their scheduled time; sim_after/sim_at compute absolute times from the current
 * clock; sim_stop returns after the current event; `until` runs events at or before the limit
 * and leaves later ones pending; cancelled events never run. Expected logs are worked out by
 * hand in the comments of each test.
 */
#include <stdint.h>

#include "sim/sim.h"
#include "tests/testutil.h"

/* A log of (event id, time it ran) shared by the callbacks of one test. */
struct log {
	int id[64];         /* event ids in run order */
	sim_time_t at[64];  /* sim_now() when each ran, ns */
	int n;              /* entries used */
};

/* One scheduled event: its id, the log, and what it does when it runs. */
struct ev {
	int id;               /* written to the log */
	struct log *log;      /* where to write */
	sim_time_t after_ns;  /* if >= 0: schedule `child` this many ns after now */
	struct ev *child;     /* event to schedule, or NULL */
	int stop;             /* call sim_stop() when run */
	uint64_t cancel;      /* if nonzero: sim_cancel this handle when run */
};

static void record(struct sim *sim, void *arg)
{
	struct ev *e = arg;
	struct log *l = e->log;
	if (l->n < 64) {
		l->id[l->n] = e->id;
		l->at[l->n] = sim_now(sim);
		l->n++;
	}
	if (e->child && e->after_ns >= 0)
		sim_after(sim, e->after_ns, record, e->child);
	if (e->cancel)
		sim_cancel(sim, e->cancel);
	if (e->stop)
		sim_stop(sim);
}

static void test_new(void)
{
	struct sim *sim = sim_new(12345);
	CU_ASSERT_EQUAL(sim_now(sim), 0);
	CU_ASSERT_EQUAL(sim_seed(sim), 12345);
	CU_ASSERT_EQUAL(sim_pending(sim), 0);
	CU_ASSERT_EQUAL(sim_events_run(sim), 0);
	CU_ASSERT_EQUAL(sim_run(sim, SIMTIME_NEVER), 0);
	CU_ASSERT_EQUAL(sim_now(sim), 0);
	sim_free(sim);
	sim_free(NULL);
}

/*
 * Scheduled at t=0: A@30, B@10, C@20, D@10, E@30 (ids 0..4).
 * Expected run order: B(10) D(10) C(20) A(30) E(30): ties in scheduling order.
 */
static void test_order(void)
{
	struct sim *sim = sim_new(1);
	struct log log = { .n = 0 };
	struct ev e[5];
	const sim_time_t t[5] = { 30, 10, 20, 10, 30 };
	for (int i = 0; i < 5; i++) {
		e[i] = (struct ev){ .id = i, .log = &log, .after_ns = -1 };
		sim_at(sim, t[i], record, &e[i]);
	}
	CU_ASSERT_EQUAL(sim_pending(sim), 5);
	CU_ASSERT_EQUAL(sim_run(sim, SIMTIME_NEVER), 5);
	const int want_id[5] = { 1, 3, 2, 0, 4 };
	const sim_time_t want_at[5] = { 10, 10, 20, 30, 30 };
	CU_ASSERT_EQUAL_FATAL(log.n, 5);
	for (int k = 0; k < 5; k++) {
		CU_ASSERT_EQUAL(log.id[k], want_id[k]);
		CU_ASSERT_EQUAL(log.at[k], want_at[k]);
	}
	CU_ASSERT_EQUAL(sim_now(sim), 30);
	CU_ASSERT_EQUAL(sim_pending(sim), 0);
	CU_ASSERT_EQUAL(sim_events_run(sim), 5);
	sim_free(sim);
}

/*
 * Chains: X@100 schedules Y after 50 ns (-> 150); Y schedules Z after 0 ns (-> 150). W was
 * scheduled at 150 before the run began, so it has a lower seq than Y and runs first.
 * Expected: X@100, W@150, Y@150, Z@150.
 */
static void test_after_and_ties(void)
{
	struct sim *sim = sim_new(1);
	struct log log = { .n = 0 };
	struct ev z = { .id = 3, .log = &log, .after_ns = -1 };
	struct ev y = { .id = 1, .log = &log, .after_ns = 0, .child = &z };
	struct ev x = { .id = 0, .log = &log, .after_ns = 50, .child = &y };
	struct ev w = { .id = 2, .log = &log, .after_ns = -1 };
	sim_at(sim, 100, record, &x);
	sim_at(sim, 150, record, &w);
	CU_ASSERT_EQUAL(sim_run(sim, SIMTIME_NEVER), 4);
	const int want_id[4] = { 0, 2, 1, 3 };
	const sim_time_t want_at[4] = { 100, 150, 150, 150 };
	CU_ASSERT_EQUAL_FATAL(log.n, 4);
	for (int k = 0; k < 4; k++)
		CU_ASSERT_EQUAL(log.at[k], want_at[k]);
	/*
	 * W (seq 2) was pushed before Y (seq 3, pushed while X ran at 100), so W runs first at
	 * 150; Z (seq 4) is pushed by Y and runs last.
	 */
	for (int k = 0; k < 4; k++)
		CU_ASSERT_EQUAL(log.id[k], want_id[k]);
	sim_free(sim);
}

/* sim_after from a later clock: after running to t=1000, sim_after(5) fires at 1005. */
static void test_after_from_now(void)
{
	struct sim *sim = sim_new(1);
	struct log log = { .n = 0 };
	struct ev a = { .id = 0, .log = &log, .after_ns = -1 };
	struct ev b = { .id = 1, .log = &log, .after_ns = -1 };
	sim_after(sim, 1000, record, &a);
	sim_run(sim, SIMTIME_NEVER);
	CU_ASSERT_EQUAL(sim_now(sim), 1000);
	sim_after(sim, 5, record, &b);
	sim_at(sim, 1000, record, &a); /* at == now is allowed */
	CU_ASSERT_EQUAL(sim_run(sim, SIMTIME_NEVER), 2);
	CU_ASSERT_EQUAL_FATAL(log.n, 3);
	CU_ASSERT_EQUAL(log.id[1], 0);
	CU_ASSERT_EQUAL(log.at[1], 1000);
	CU_ASSERT_EQUAL(log.id[2], 1);
	CU_ASSERT_EQUAL(log.at[2], 1005);
	CU_ASSERT_EQUAL(sim_events_run(sim), 3);
	sim_free(sim);
}

/* Events at 10, 20, 30, 40; the one at 20 calls sim_stop(). */
static void test_stop(void)
{
	struct sim *sim = sim_new(1);
	struct log log = { .n = 0 };
	struct ev e[4];
	for (int i = 0; i < 4; i++) {
		e[i] = (struct ev){ .id = i, .log = &log, .after_ns = -1, .stop = (i == 1) };
		sim_at(sim, 10 * (i + 1), record, &e[i]);
	}
	CU_ASSERT_EQUAL(sim_run(sim, SIMTIME_NEVER), 2);
	CU_ASSERT_EQUAL(sim_now(sim), 20);
	CU_ASSERT_EQUAL(sim_pending(sim), 2);
	/* A later run resumes where it stopped (the stop flag does not stick). */
	CU_ASSERT_EQUAL(sim_run(sim, SIMTIME_NEVER), 2);
	CU_ASSERT_EQUAL(sim_now(sim), 40);
	CU_ASSERT_EQUAL(log.n, 4);
	CU_ASSERT_EQUAL(sim_events_run(sim), 4);
	sim_free(sim);
}

/* Events at 10, 20, 20, 30: until=20 runs three (the limit is inclusive), until=25 none. */
static void test_until(void)
{
	struct sim *sim = sim_new(1);
	struct log log = { .n = 0 };
	struct ev e[4];
	const sim_time_t t[4] = { 10, 20, 20, 30 };
	for (int i = 0; i < 4; i++) {
		e[i] = (struct ev){ .id = i, .log = &log, .after_ns = -1 };
		sim_at(sim, t[i], record, &e[i]);
	}
	CU_ASSERT_EQUAL(sim_run(sim, 5), 0);
	CU_ASSERT_EQUAL(sim_now(sim), 0);
	CU_ASSERT_EQUAL(sim_run(sim, 20), 3);
	CU_ASSERT_EQUAL(sim_now(sim), 20);
	CU_ASSERT_EQUAL(sim_pending(sim), 1);
	/* Nothing between 20 and 25: the clock stays at the last event run. */
	CU_ASSERT_EQUAL(sim_run(sim, 25), 0);
	CU_ASSERT_EQUAL(sim_now(sim), 20);
	CU_ASSERT_EQUAL(sim_run(sim, SIMTIME_NEVER), 1);
	CU_ASSERT_EQUAL(sim_now(sim), 30);
	CU_ASSERT_EQUAL(log.n, 4);
	sim_free(sim);
}

/* A cancelled event never runs, whether cancelled before the run or by an earlier event. */
static void test_cancel(void)
{
	struct sim *sim = sim_new(1);
	struct log log = { .n = 0 };
	struct ev a = { .id = 0, .log = &log, .after_ns = -1 };
	struct ev b = { .id = 1, .log = &log, .after_ns = -1 };
	struct ev c = { .id = 2, .log = &log, .after_ns = -1 };
	struct ev d = { .id = 3, .log = &log, .after_ns = -1 };
	sim_at(sim, 10, record, &a);
	uint64_t hb = sim_at(sim, 20, record, &b);
	uint64_t hc = sim_at(sim, 30, record, &c);
	sim_at(sim, 40, record, &d);
	a.cancel = hc; /* A, at 10, cancels C */
	sim_cancel(sim, hb);
	CU_ASSERT_EQUAL(sim_pending(sim), 3);
	CU_ASSERT_EQUAL(sim_run(sim, SIMTIME_NEVER), 2);
	CU_ASSERT_EQUAL_FATAL(log.n, 2);
	CU_ASSERT_EQUAL(log.id[0], 0);
	CU_ASSERT_EQUAL(log.id[1], 3);
	CU_ASSERT_EQUAL(sim_now(sim), 40);
	CU_ASSERT_EQUAL(sim_pending(sim), 0);
	sim_free(sim);
}

/* A self-rescheduling timer: period 7 ns, run until 100 -> fires at 7, 14, ..., 98 (14 times). */
struct ticker {
	int fired;           /* times run */
	sim_time_t period;   /* ns */
};

static void tick(struct sim *sim, void *arg)
{
	struct ticker *t = arg;
	t->fired++;
	CU_ASSERT_EQUAL(sim_now(sim), t->fired * t->period);
	sim_after(sim, t->period, tick, t);
}

static void test_periodic(void)
{
	struct sim *sim = sim_new(1);
	struct ticker t = { .fired = 0, .period = 7 };
	sim_after(sim, 7, tick, &t);
	CU_ASSERT_EQUAL(sim_run(sim, 100), 14);
	CU_ASSERT_EQUAL(t.fired, 14);
	CU_ASSERT_EQUAL(sim_now(sim), 98);
	CU_ASSERT_EQUAL(sim_pending(sim), 1);
	sim_free(sim);
}

/*
 * sim_after with a delay that would overflow the clock saturates at SIMTIME_NEVER: at now=10,
 * a delay of SIMTIME_NEVER lands at SIMTIME_NEVER, after an event at SIMTIME_NEVER - 1.
 */
static void test_after_saturates(void)
{
	struct sim *sim = sim_new(1);
	struct log log = { .n = 0 };
	struct ev a = { .id = 0, .log = &log, .after_ns = -1 };
	struct ev b = { .id = 1, .log = &log, .after_ns = -1 };
	struct ev c = { .id = 2, .log = &log, .after_ns = -1 };
	sim_at(sim, 10, record, &a);
	sim_run(sim, SIMTIME_NEVER);
	sim_after(sim, SIMTIME_NEVER, record, &b);
	sim_at(sim, SIMTIME_NEVER - 1, record, &c);
	CU_ASSERT_EQUAL(sim_run(sim, SIMTIME_NEVER), 2);
	CU_ASSERT_EQUAL_FATAL(log.n, 3);
	CU_ASSERT_EQUAL(log.id[1], 2);
	CU_ASSERT_EQUAL(log.at[1], SIMTIME_NEVER - 1);
	CU_ASSERT_EQUAL(log.id[2], 1);
	CU_ASSERT_EQUAL(log.at[2], SIMTIME_NEVER);
	sim_free(sim);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "new simulator", test_new },
		{ "run order with ties", test_order },
		{ "sim_after chains and ties", test_after_and_ties },
		{ "sim_after from a later clock", test_after_from_now },
		{ "sim_stop", test_stop },
		{ "until limit", test_until },
		{ "cancel", test_cancel },
		{ "periodic timer", test_periodic },
		{ "sim_after saturates", test_after_saturates },
		{ NULL, NULL },
	};
	testutil_suite("sim", cases);
	return testutil_run();
}
