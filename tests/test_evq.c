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
		{ NULL, NULL },
	};
	testutil_suite("evq", cases);
	return testutil_run();
}
