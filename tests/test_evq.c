/*
 * Tests for the event queue (sim/evq.c). The queue must pop entries in (time, seq) order, with
 * ties in push order; cancelled entries never pop and are not counted by evq_size(); peek
 * returns what the next pop returns. Each property is checked against an independent
 * reference: a stable sort of the pushed times, or a brute-force list that scans for the
 * minimum, driven by fixed-seed random operation sequences.
 */
#include <stdint.h>
#include <stdlib.h>

#include "sim/evq.h"
#include "lib/rng.h"
#include "tests/testutil.h"

/* Two distinct callbacks so that the fn field is checked too; never called. */
static void fn_a(struct sim *sim, void *arg)
{
	(void)sim;
	(void)arg;
}

static void fn_b(struct sim *sim, void *arg)
{
	(void)sim;
	(void)arg;
}

/* Encode a small integer as the callback argument. */
static void *tag(size_t i)
{
	return (void *)(uintptr_t)(i + 1);
}

static size_t untag(void *p)
{
	return (size_t)(uintptr_t)p - 1;
}

/* One pushed entry in the reference model. */
struct ref_item {
	sim_time_t time; /* ns */
	size_t order;    /* push order, 0-based: the tie-breaker */
	uint64_t handle; /* what evq_push returned */
	int live;        /* 0 once popped or cancelled */
};

/* Stable insertion sort of indices by time; O(n^2) but independent of the heap. */
static void stable_sort_by_time(const sim_time_t *t, size_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t i = 1; i < n; i++) {
		size_t x = idx[i], j = i;
		while (j > 0 && t[idx[j - 1]] > t[x]) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = x;
	}
}

static void test_empty(void)
{
	struct evq *q = evq_new();
	struct evq_item it;
	CU_ASSERT_EQUAL(evq_size(q), 0);
	CU_ASSERT_EQUAL(evq_pop(q, &it), 0);
	CU_ASSERT_EQUAL(evq_peek(q, &it), 0);
	evq_free(q);
	evq_free(NULL);
}

/* Hand-worked case: times 30, 10, 20, 10, 30 pop as 10(#1) 10(#3) 20 30(#0) 30(#4). */
static void test_small_ties(void)
{
	struct evq *q = evq_new();
	const sim_time_t t[] = { 30, 10, 20, 10, 30 };
	const size_t want[] = { 1, 3, 2, 0, 4 };
	uint64_t h[5];
	for (size_t i = 0; i < 5; i++) {
		h[i] = evq_push(q, t[i], i % 2 ? fn_b : fn_a, tag(i));
		CU_ASSERT_NOT_EQUAL(h[i], 0);
		for (size_t j = 0; j < i; j++)
			CU_ASSERT_NOT_EQUAL(h[i], h[j]);
	}
	CU_ASSERT_EQUAL(evq_size(q), 5);
	for (size_t k = 0; k < 5; k++) {
		struct evq_item it;
		CU_ASSERT_EQUAL_FATAL(evq_pop(q, &it), 1);
		size_t i = untag(it.arg);
		CU_ASSERT_EQUAL(i, want[k]);
		CU_ASSERT_EQUAL(it.time, t[i]);
		CU_ASSERT_EQUAL(it.seq, h[i]);
		CU_ASSERT(it.fn == (i % 2 ? fn_b : fn_a));
		CU_ASSERT_EQUAL(evq_size(q), 4 - k);
	}
	evq_free(q);
}

/* Many random pushes with frequent ties must pop in stable-sorted order. */
static void check_against_stable_sort(size_t n, uint64_t range, uint64_t stream)
{
	struct rng r;
	rng_init(&r, 42, stream);
	sim_time_t *t = malloc(n * sizeof *t);
	size_t *idx = malloc(n * sizeof *idx);
	CU_ASSERT_FATAL(t != NULL && idx != NULL);
	struct evq *q = evq_new();
	for (size_t i = 0; i < n; i++) {
		t[i] = (sim_time_t)rng_below(&r, range);
		evq_push(q, t[i], fn_a, tag(i));
	}
	stable_sort_by_time(t, idx, n);
	size_t bad = 0;
	struct evq_item it;
	for (size_t k = 0; k < n; k++) {
		if (evq_pop(q, &it) != 1 || untag(it.arg) != idx[k] || it.time != t[idx[k]])
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(evq_pop(q, &it), 0);
	evq_free(q);
	free(t);
	free(idx);
}

static void test_stable_order_random(void)
{
	check_against_stable_sort(5000, 50, 1);      /* ~100 entries per distinct time */
	check_against_stable_sort(5000, 1000000, 2); /* mostly distinct times */
	check_against_stable_sort(3, 2, 3);
	check_against_stable_sort(1, 1, 4);
}

/* Extreme times, including negative and SIMTIME_NEVER, order correctly. */
static void test_extreme_times(void)
{
	struct evq *q = evq_new();
	const sim_time_t t[] = { SIMTIME_NEVER, 0, INT64_MIN, -1, SIMTIME_NEVER, 1 };
	const size_t want[] = { 2, 3, 1, 5, 0, 4 };
	for (size_t i = 0; i < 6; i++)
		evq_push(q, t[i], fn_a, tag(i));
	for (size_t k = 0; k < 6; k++) {
		struct evq_item it;
		CU_ASSERT_EQUAL_FATAL(evq_pop(q, &it), 1);
		CU_ASSERT_EQUAL(untag(it.arg), want[k]);
	}
	evq_free(q);
}

/* Index of the earliest live reference entry, or n if none. */
static size_t ref_min(const struct ref_item *ref, size_t n)
{
	size_t best = n;
	for (size_t i = 0; i < n; i++) {
		if (!ref[i].live)
			continue;
		if (best == n || ref[i].time < ref[best].time ||
		    (ref[i].time == ref[best].time && ref[i].order < ref[best].order))
			best = i;
	}
	return best;
}

static size_t ref_live(const struct ref_item *ref, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ref[i].live;
	return c;
}

/* Cancel many random entries, always including whatever is at the top at that moment. */
static void test_cancel_many(void)
{
	enum { N = 4000 };
	struct rng r;
	rng_init(&r, 7, 11);
	struct ref_item *ref = calloc(N, sizeof *ref);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	struct evq *q = evq_new();
	for (size_t i = 0; i < N; i++) {
		ref[i].time = (sim_time_t)rng_below(&r, 500);
		ref[i].order = i;
		ref[i].live = 1;
		ref[i].handle = evq_push(q, ref[i].time, fn_a, tag(i));
	}
	/* Cancel the top 20 times in a row: peek must move on each time. */
	for (int k = 0; k < 20; k++) {
		struct evq_item top;
		CU_ASSERT_EQUAL_FATAL(evq_peek(q, &top), 1);
		size_t m = ref_min(ref, N);
		CU_ASSERT_EQUAL(untag(top.arg), m);
		CU_ASSERT_EQUAL(top.seq, ref[m].handle);
		evq_cancel(q, top.seq);
		ref[m].live = 0;
		CU_ASSERT_EQUAL(evq_size(q), ref_live(ref, N));
	}
	/* Cancel about half of the rest at random. */
	for (size_t i = 0; i < N; i++) {
		if (ref[i].live && rng_below(&r, 2)) {
			evq_cancel(q, ref[i].handle);
			ref[i].live = 0;
		}
	}
	CU_ASSERT_EQUAL(evq_size(q), ref_live(ref, N));
	/* Every pop is the reference minimum; no cancelled entry ever comes out. */
	size_t bad = 0, popped = 0;
	struct evq_item it, pk;
	while (evq_peek(q, &pk)) {
		CU_ASSERT_EQUAL_FATAL(evq_pop(q, &it), 1);
		if (pk.seq != it.seq || pk.time != it.time || pk.arg != it.arg)
			bad++;
		size_t m = ref_min(ref, N);
		if (m == N || untag(it.arg) != m || it.seq != ref[m].handle)
			bad++;
		if (m < N)
			ref[m].live = 0;
		popped++;
		if (evq_size(q) != ref_live(ref, N))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(ref_live(ref, N), 0);
	CU_ASSERT(popped > N / 4 && popped < N * 3 / 4);
	CU_ASSERT_EQUAL(evq_size(q), 0);
	CU_ASSERT_EQUAL(evq_pop(q, &it), 0);
	evq_free(q);
	free(ref);
}

/* Cancelling everything leaves an empty queue. */
static void test_cancel_all(void)
{
	struct evq *q = evq_new();
	uint64_t h[100];
	for (int i = 0; i < 100; i++)
		h[i] = evq_push(q, 1000 - i, fn_a, NULL);
	for (int i = 99; i >= 0; i--)
		evq_cancel(q, h[i]);
	CU_ASSERT_EQUAL(evq_size(q), 0);
	struct evq_item it;
	CU_ASSERT_EQUAL(evq_peek(q, &it), 0);
	CU_ASSERT_EQUAL(evq_pop(q, &it), 0);
	/* The queue is still usable afterwards. */
	uint64_t h2 = evq_push(q, 5, fn_b, tag(3));
	CU_ASSERT_EQUAL(evq_size(q), 1);
	CU_ASSERT_EQUAL_FATAL(evq_pop(q, &it), 1);
	CU_ASSERT_EQUAL(it.seq, h2);
	CU_ASSERT_EQUAL(untag(it.arg), 3);
	evq_free(q);
}

/*
 * Interleaved push / pop / cancel / peek against the brute-force reference, with a fixed
 * seed. Pushes never go before the last popped time (as in a simulator) in one run, and go
 * anywhere in the other.
 */
static void interleaved(uint64_t stream, int monotone)
{
	enum { OPS = 30000 };
	struct rng r;
	rng_init(&r, 2024, stream);
	struct ref_item *ref = calloc(OPS, sizeof *ref);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	size_t n = 0, bad = 0, pops = 0, cancels = 0;
	sim_time_t now = 0;
	struct evq *q = evq_new();
	for (int op = 0; op < OPS; op++) {
		uint64_t dice = rng_below(&r, 100);
		/* Bias towards pushes early so the queue grows to a few thousand entries. */
		uint64_t push_pct = op < OPS / 3 ? 70 : 45;
		if (dice < push_pct) {
			sim_time_t t = (sim_time_t)rng_below(&r, 200);
			t += monotone ? now : 0;
			ref[n] = (struct ref_item){ .time = t, .order = n, .live = 1 };
			ref[n].handle = evq_push(q, t, (n % 3) ? fn_a : fn_b, tag(n));
			n++;
		} else if (dice < push_pct + 15) {
			/* Cancel a random live entry, if any (probe a few random slots). */
			for (int tries = 0; tries < 8 && n > 0; tries++) {
				size_t i = (size_t)rng_below(&r, n);
				if (ref[i].live) {
					evq_cancel(q, ref[i].handle);
					ref[i].live = 0;
					cancels++;
					break;
				}
			}
		} else {
			struct evq_item it, pk;
			int has_pk = evq_peek(q, &pk);
			int got = evq_pop(q, &it);
			size_t m = ref_min(ref, n);
			if (got != (m < n) || has_pk != got)
				bad++;
			if (got) {
				if (untag(it.arg) != m || it.time != ref[m].time || it.seq != ref[m].handle ||
				    it.fn != ((m % 3) ? fn_a : fn_b))
					bad++;
				if (pk.seq != it.seq || pk.time != it.time || pk.arg != it.arg)
					bad++;
				if (m < n) {
					ref[m].live = 0;
					if (monotone && ref[m].time < now)
						bad++;
					now = ref[m].time;
				}
				pops++;
			}
		}
		if (evq_size(q) != ref_live(ref, n))
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(pops > 1000);
	CU_ASSERT(cancels > 1000);
	evq_free(q);
	free(ref);
}

static void test_interleaved_monotone(void)
{
	interleaved(100, 1);
}

static void test_interleaved_any(void)
{
	interleaved(101, 0);
}

/* Growth well past the initial capacity keeps every entry. */
static void test_growth(void)
{
	enum { N = 200000 };
	struct evq *q = evq_new();
	for (size_t i = 0; i < N; i++)
		evq_push(q, (sim_time_t)((i * 7919) % N), fn_a, tag(i));
	CU_ASSERT_EQUAL(evq_size(q), N);
	/* (i * 7919) mod N is a permutation of 0..N-1 (gcd(7919, N) = 1): pops give 0, 1, 2 ... */
	struct evq_item it;
	size_t bad = 0;
	for (size_t k = 0; k < N; k++)
		if (!evq_pop(q, &it) || it.time != (sim_time_t)k)
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
	evq_free(q);
}

/*
 * A reserved handle pushed, cancelled and pushed again with the same time, fn and arg (as the
 * flow model's bottleneck groups do): each cancellation discards one identical entry, so the
 * event pops exactly once per push not cancelled, in its place among the others.
 */
static void test_repush_cancelled(void)
{
	struct evq *q = evq_new();
	int x = 0;
	uint64_t h = evq_reserve(q, 1);
	evq_push(q, 5, fn_a, NULL); /* handle h + 1: after h among events at time 5 */
	evq_push_handle(q, 5, h, fn_a, &x);
	evq_cancel(q, h);
	evq_push_handle(q, 5, h, fn_a, &x);
	evq_cancel(q, h);
	evq_push_handle(q, 5, h, fn_a, &x);
	CU_ASSERT(evq_check(q));
	CU_ASSERT_EQUAL(evq_size(q), 2);
	struct evq_item it;
	CU_ASSERT(evq_pop(q, &it));
	CU_ASSERT(it.seq == h && it.arg == &x && it.time == 5);
	CU_ASSERT(evq_check(q));
	CU_ASSERT(evq_pop(q, &it));
	CU_ASSERT(it.seq == h + 1 && it.arg == NULL);
	CU_ASSERT(!evq_pop(q, &it));
	CU_ASSERT(evq_check(q));
	evq_free(q);
}

/*
 * evq_run against a reference: callbacks that run, in turn, push (often at the current time),
 * reserve handles and push them later (so a handle smaller than entries already pushed lands
 * among events at the current time), cancel, push a cancelled reserved handle again, and ask
 * the loop to stop; runs alternate between no limit and a random `until`. The reference is the
 * list of live entries ordered by (time, scheduling order), where a reserved handle's order is
 * that of its reservation (evq.h); each callback checks that it is the reference's earliest
 * live entry and that *now is its time.
 */

/* Life of a reference entry in the evq_run test. */
enum run_state { RUN_RESERVED, RUN_LIVE, RUN_CANCELLED, RUN_DONE };

struct run_ctx;

/* One entry (one handle) of the evq_run reference. */
struct run_item {
	struct run_ctx *c;   /* the test */
	sim_time_t time;     /* ns; set when first pushed */
	uint64_t order;      /* scheduling order (reservation order for reserved handles) */
	uint64_t handle;     /* the queue's handle */
	int reserved;        /* 1: from evq_reserve */
	enum run_state st;   /* where it is */
	size_t pos;          /* index in c->live (RUN_LIVE), c->res (RUN_RESERVED) or c->dead */
};

/* State of the evq_run test. */
struct run_ctx {
	struct evq *q;           /* queue under test */
	struct rng r;            /* operation dice */
	struct run_item *items;  /* every entry, in creation order */
	size_t n, cap;           /* entries created, capacity */
	uint64_t next_order;     /* reference scheduling counter */
	size_t *live, nlive;     /* live entries (indices into items) */
	size_t *res, nres;       /* reserved handles not pushed yet */
	size_t *dead, ndead;     /* cancelled reserved entries that may be pushed again */
	sim_time_t now;          /* the clock evq_run maintains, ns */
	int stop;                /* evq_run's stop flag */
	uint64_t events;         /* evq_run's event counter */
	uint64_t ran;            /* callbacks run */
	size_t bad;              /* mismatches */
	size_t same_time, handle_pushes, repushes, cancels, stops; /* coverage counts */
};

static void set_add(size_t *set, size_t *n, struct run_item *it, size_t id)
{
	it->pos = *n;
	set[(*n)++] = id;
}

static void set_del(struct run_ctx *c, size_t *set, size_t *n, struct run_item *it)
{
	size_t last = set[--*n];
	set[it->pos] = last;
	c->items[last].pos = it->pos;
}

static void run_fn(struct sim *sim, void *arg);

/* A delay: 0 (the current time) two times in five, else up to 49 ns. */
static sim_time_t run_delay(struct run_ctx *c)
{
	return rng_below(&c->r, 5) < 2 ? 0 : (sim_time_t)rng_below(&c->r, 50);
}

static struct run_item *run_new(struct run_ctx *c)
{
	if (c->n == c->cap)
		return NULL;
	struct run_item *it = &c->items[c->n++];
	*it = (struct run_item){ .c = c, .order = c->next_order++ };
	return it;
}

static void run_push(struct run_ctx *c, sim_time_t t)
{
	struct run_item *it = run_new(c);
	if (!it)
		return;
	it->time = t;
	it->st = RUN_LIVE;
	it->handle = evq_push(c->q, t, run_fn, it);
	set_add(c->live, &c->nlive, it, (size_t)(it - c->items));
}

static void run_reserve(struct run_ctx *c, uint64_t m)
{
	uint64_t first = evq_reserve(c->q, m);
	for (uint64_t j = 0; j < m; j++) {
		struct run_item *it = run_new(c);
		if (!it)
			return;
		it->handle = first + j;
		it->reserved = 1;
		it->st = RUN_RESERVED;
		set_add(c->res, &c->nres, it, (size_t)(it - c->items));
	}
}

static void run_push_reserved(struct run_ctx *c, sim_time_t t)
{
	if (!c->nres)
		return;
	struct run_item *it = &c->items[c->res[rng_below(&c->r, c->nres)]];
	set_del(c, c->res, &c->nres, it);
	it->time = t;
	it->st = RUN_LIVE;
	CU_ASSERT_EQUAL(evq_push_handle(c->q, t, it->handle, run_fn, it), it->handle);
	set_add(c->live, &c->nlive, it, (size_t)(it - c->items));
	c->handle_pushes++;
	c->same_time += t == c->now;
}

static void run_cancel(struct run_ctx *c)
{
	if (!c->nlive)
		return;
	struct run_item *it = &c->items[c->live[rng_below(&c->r, c->nlive)]];
	set_del(c, c->live, &c->nlive, it);
	evq_cancel(c->q, it->handle);
	it->st = RUN_CANCELLED;
	if (it->reserved)
		set_add(c->dead, &c->ndead, it, (size_t)(it - c->items));
	c->cancels++;
}

/* Push a cancelled reserved handle again, with its time, fn and arg (evq.h), if not past. */
static void run_repush(struct run_ctx *c)
{
	if (!c->ndead)
		return;
	struct run_item *it = &c->items[c->dead[rng_below(&c->r, c->ndead)]];
	set_del(c, c->dead, &c->ndead, it);
	if (it->time < c->now)
		return; /* its time has passed: it stays cancelled */
	evq_push_handle(c->q, it->time, it->handle, run_fn, it);
	it->st = RUN_LIVE;
	set_add(c->live, &c->nlive, it, (size_t)(it - c->items));
	c->repushes++;
}

/* Index of the reference's earliest live entry; c->nlive > 0. */
static size_t run_ref_min(const struct run_ctx *c)
{
	size_t best = c->live[0];
	for (size_t k = 1; k < c->nlive; k++) {
		const struct run_item *a = &c->items[c->live[k]], *b = &c->items[best];
		if (a->time < b->time || (a->time == b->time && a->order < b->order))
			best = c->live[k];
	}
	return best;
}

static void run_fn(struct sim *sim, void *arg)
{
	struct run_item *it = arg;
	struct run_ctx *c = it->c;
	(void)sim;
	if (it->st != RUN_LIVE || !c->nlive || &c->items[run_ref_min(c)] != it ||
	    c->now != it->time) {
		c->bad++;
		if (it->st != RUN_LIVE)
			return;
	}
	set_del(c, c->live, &c->nlive, it);
	it->st = RUN_DONE;
	c->ran++;
	for (uint64_t ops = rng_below(&c->r, 5); ops > 0; ops--) {
		uint64_t dice = rng_below(&c->r, 100);
		if (dice < 35)
			run_push(c, c->now + run_delay(c));
		else if (dice < 50)
			run_reserve(c, 1 + rng_below(&c->r, 4));
		else if (dice < 75)
			run_push_reserved(c, c->now + run_delay(c));
		else if (dice < 88)
			run_cancel(c);
		else if (dice < 96)
			run_repush(c);
		else if (dice < 97) {
			c->stop = 1;
			c->stops++;
		}
	}
}

static void test_run_vs_reference(void)
{
	struct run_ctx c = { .cap = 60000 };
	rng_init(&c.r, 2026, 7);
	c.q = evq_new();
	c.items = calloc(c.cap, sizeof *c.items);
	c.live = calloc(c.cap, sizeof *c.live);
	c.res = calloc(c.cap, sizeof *c.res);
	c.dead = calloc(c.cap, sizeof *c.dead);
	CU_ASSERT_FATAL(c.items && c.live && c.res && c.dead);
	for (int i = 0; i < 300; i++)
		run_push(&c, (sim_time_t)rng_below(&c.r, 400));
	size_t limited = 0;
	for (;;) {
		sim_time_t until = SIMTIME_NEVER;
		if (rng_below(&c.r, 2)) {
			until = c.now + (sim_time_t)rng_below(&c.r, 60);
			limited++;
		}
		uint64_t ran0 = c.ran;
		c.stop = 0;
		uint64_t got = evq_run(c.q, until, NULL, &c.now, &c.stop, &c.events);
		if (got != c.ran - ran0 || c.events != c.ran || evq_size(c.q) != c.nlive ||
		    !evq_check(c.q))
			c.bad++;
		/* Unless stopped, every entry left lies after `until`. */
		if (!c.stop && c.nlive && c.items[run_ref_min(&c)].time <= until)
			c.bad++;
		if (!c.nlive && !c.stop)
			break;
	}
	CU_ASSERT_EQUAL(c.bad, 0);
	CU_ASSERT_EQUAL(evq_size(c.q), 0);
	CU_ASSERT_EQUAL(c.ran + c.cancels, c.n - c.nres + c.repushes);
	/* The run covered what it is meant to. */
	CU_ASSERT(c.ran > 20000);
	CU_ASSERT(c.same_time > 1000 && c.handle_pushes > 5000 && c.repushes > 500);
	CU_ASSERT(c.cancels > 2000 && c.stops > 100 && limited > 100);
	evq_free(c.q);
	free(c.items);
	free(c.live);
	free(c.res);
	free(c.dead);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "empty queue", test_empty },
		{ "hand-worked ties", test_small_ties },
		{ "random pushes vs stable sort", test_stable_order_random },
		{ "extreme times", test_extreme_times },
		{ "cancel many incl. top", test_cancel_many },
		{ "cancel all", test_cancel_all },
		{ "interleaved vs reference (monotone)", test_interleaved_monotone },
		{ "interleaved vs reference (any time)", test_interleaved_any },
		{ "growth", test_growth },
		{ "cancelled handle pushed again", test_repush_cancelled },
		{ "evq_run vs reference (reserve, cancel, re-push, stop)", test_run_vs_reference },
		{ NULL, NULL },
	};
	testutil_suite("evq", cases);
	return testutil_run();
}
