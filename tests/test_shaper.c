/*
 * Tests of the emulator's pure shaping cores on hand-worked sequences: the token bucket
 * (emu/tbucket.h: burst bound, catch-up of a waiting sender, exact long-run rate, fractional credit carried over, next-ready
 * times, rate changes and a downed link mid-stream, no overflow at the extremes) and the delay
 * queue (emu/delayq.h: exact release times, FIFO when the latency drops, growth past its first
 * allocation). Rates are chosen so that bytes per nanosecond are round: 8e6 bits/s is exactly
 * 1 byte per 1000 ns, 16e6 bits/s 1 byte per 500 ns, 20e6 bits/s 2.5 bytes per microsecond.
 */
#include "emu/delayq.h"
#include "emu/tbucket.h"
#include "lib/rng.h"
#include "tests/testutil.h"

#define US INT64_C(1000)       /* ns per microsecond */
#define MS INT64_C(1000000)    /* ns per millisecond */
#define SEC INT64_C(1000000000) /* ns per second */

static void test_tb_burst(void)
{
	struct tbucket tb;
	tbucket_init(&tb, 8000000, 1000, 0);          /* 1 byte/us, 1000-byte burst */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 0, 5000), 1000); /* starts full: one burst */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 0, 1), 0);
	/* That sender was cut short, so it is waiting: an hour later it gets the catch-up
	 * bound, 4 bursts, not an hour of credit. */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 3600 * SEC, INT64_C(1) << 40), 4 * 1000);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 3600 * SEC, 1), 0);
	/* Asking for less leaves the rest. */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 3600 * SEC + 300 * US, 100), 100);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 3600 * SEC + 300 * US, 1000), 200);
	/* Served in full at +400 us (100 B earned, 50 asked): no longer waiting, so after an
	 * hour idle the bucket holds one burst. */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 3600 * SEC + 400 * US, 50), 50);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 7200 * SEC, INT64_C(1) << 40), 1000);
}

static void test_tb_catchup(void)
{
	struct tbucket tb;
	tbucket_init(&tb, 8000000, 1000, 0);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 0, 1000), 1000); /* served in full: not waiting */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 0, 1), 0);       /* cut short: waiting from t = 0 */
	/* A poll 3 ms late gets the 3000 bytes the link would have carried, not one burst. */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 3 * MS, INT64_C(1) << 40), 3000);
	/* 7 ms later: 7000 earned, capped at 4 bursts. */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 10 * MS, INT64_C(1) << 40), 4000);
	/* Served in full at 11 ms (1000 earned, 10 asked): wait over, depth one burst. */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 11 * MS, 10), 10);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 13 * MS, INT64_C(1) << 40), 1000); /* 990 + 2000 -> 1000 */
	/* Waiting since 13 ms; at 16 ms 3000 earned; a full serve of 500 clamps the rest. */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 16 * MS, 500), 500);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 16 * MS, INT64_C(1) << 40), 1000);
}

static void test_tb_sequence(void)
{
	struct tbucket tb;
	tbucket_init(&tb, 8000000, 1000, 0);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 0, 1000), 1000);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 500 * US, 5000), 500);   /* 500 us x 1 B/us */
	CU_ASSERT_EQUAL(tbucket_next_ready(&tb, 500 * US, 100), 600 * US);
	CU_ASSERT_EQUAL(tbucket_next_ready(&tb, 500 * US, 0), 500 * US);
	/* A request above the burst waits only for a full bucket. */
	CU_ASSERT_EQUAL(tbucket_next_ready(&tb, 500 * US, 5000), 1500 * US);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 600 * US, 100), 100);
	/* 999 ns is 0.999 byte: nothing yet, but the fraction is kept... */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 600 * US + 999, 10), 0);
	CU_ASSERT_EQUAL(tbucket_next_ready(&tb, 600 * US + 999, 1), 601 * US);
	/* ...so one more ns makes exactly one byte. */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 601 * US, 10), 1);
	/* next_ready does not change the bucket. */
	CU_ASSERT_EQUAL(tbucket_next_ready(&tb, 700 * US, 99), 700 * US);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 700 * US, 1000), 99);
}

/* Greedy sender polling every `step` ns for T: takes burst + rate*T/8e9 bytes exactly. */
static int64_t greedy_total(int64_t rate_bps, int64_t burst, sim_time_t step, sim_time_t T)
{
	struct tbucket tb;
	tbucket_init(&tb, rate_bps, burst, 0);
	int64_t total = 0;
	for (sim_time_t t = 0; t < T; t += step)
		total += tbucket_take(&tb, t, INT64_C(1) << 40);
	total += tbucket_take(&tb, T, INT64_C(1) << 40);
	return total;
}

static void test_tb_long_rate(void)
{
	/* 10 s at 1 B/us polled every 7919 ns (prime, so no poll lands on a byte boundary
	 * pattern): 1000 + 10 000 000 bytes, exactly (integer credit, nothing lost). */
	CU_ASSERT_EQUAL(greedy_total(8000000, 1000, 7919, 10 * SEC), 1000 + 10000000);
	/* 20 Mb/s = 2.5 B/us for 2 s polled every 333 us (832.5 B per poll < burst):
	 * 5 000 000 + 4096. */
	CU_ASSERT_EQUAL(greedy_total(20000000, 4096, 333 * US, 2 * SEC), 5000000 + 4096);
	/* 1 Gb/s = 125 B/us for 1 s polled every 1 ms with a 250 000-byte (2 ms) burst. */
	CU_ASSERT_EQUAL(greedy_total(1000000000, 250000, MS, SEC), 125000000 + 250000);
	/* Polled more slowly than burst/rate (2 ms with a 1 ms burst): the waiting sender
	 * catches up (2000 B per poll <= 4 bursts), so nothing is lost. */
	CU_ASSERT_EQUAL(greedy_total(8000000, 1000, 2 * MS, SEC), 1000 + 1000000);
	/* Polled every 5 ms: 5000 B earned per poll, 4000 kept: 1000 + 200 polls x 4000. */
	CU_ASSERT_EQUAL(greedy_total(8000000, 1000, 5 * MS, SEC), 1000 + 200 * 4000);
}

static void test_tb_window_bound(void)
{
	/* Random take times and sizes: in every window [a, b] of the sequence the bytes taken
	 * are <= burst + rate * (b - a) (the token-bucket bound); and since gaps (< 1000 us)
	 * are shorter than burst / rate (1200 us), no credit is lost and the sender always wants
	 * more than the credit, so the total is within one burst of rate * T. */
	struct rng r;
	rng_init(&r, 42, 0);
	enum { N = 2000 };
	static sim_time_t ts[N];
	static int64_t got[N];
	struct tbucket tb;
	const int64_t rate = 20000000, burst = 3000; /* 2.5 B/us */
	tbucket_init(&tb, rate, burst, 0);
	sim_time_t t = 0;
	int64_t total = 0;
	for (int i = 0; i < N; i++) {
		t += (sim_time_t)(rng_uniform(&r) * 1000 * US);
		ts[i] = t;
		got[i] = tbucket_take(&tb, t, 100000);
		total += got[i];
	}
	int ok = 1;
	for (int a = 0; a < N && ok; a += 37) {
		int64_t sum = 0;
		for (int b = a; b < N; b++) {
			sum += got[b];
			/* bytes*8e9 <= burst*8e9 + rate*(tb - ta) in exact integers */
			if (sum * 8000000000 > burst * 8000000000 + rate * (ts[b] - ts[a]))
				ok = 0;
		}
	}
	CU_ASSERT_TRUE(ok);
	double expect = rate / 8e9 * (double)t;
	CU_ASSERT_TRUE(total <= expect + burst + 1);
	CU_ASSERT_TRUE(total >= expect - burst - 1);
}

static void test_tb_rate_change(void)
{
	struct tbucket tb;
	tbucket_init(&tb, 8000000, 10000, 0);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 0, 10000), 10000);      /* empty at t = 0 */
	tbucket_set_rate(&tb, MS, 16000000, 10000);                /* 1000 B earned at 1 B/us */
	/* 1 ms more at 2 B/us: 1000 + 2000. */
	CU_ASSERT_EQUAL(tbucket_next_ready(&tb, MS, 3000), 2 * MS);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 2 * MS, 100000), 3000);
	/* Link down at 3 ms: what was earned until then stays, then nothing. */
	tbucket_set_rate(&tb, 3 * MS, 0, 10000);                   /* +2000 B */
	CU_ASSERT_EQUAL(tbucket_next_ready(&tb, 3 * MS, 2000), 3 * MS);
	CU_ASSERT_EQUAL(tbucket_next_ready(&tb, 3 * MS, 2001), SIMTIME_NEVER);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 10 * SEC, 100000), 2000);
	CU_ASSERT_EQUAL(tbucket_next_ready(&tb, 10 * SEC, 1), SIMTIME_NEVER);
	/* Up again at 10 s with 1 B/us: 500 bytes 500 us later. */
	tbucket_set_rate(&tb, 10 * SEC, 8000000, 10000);
	CU_ASSERT_EQUAL(tbucket_next_ready(&tb, 10 * SEC, 500), 10 * SEC + 500 * US);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 10 * SEC + 500 * US, 100000), 500);
	/* A smaller burst clamps the credit held. */
	CU_ASSERT_EQUAL(tbucket_take(&tb, 10 * SEC + 900 * US, 0), 0); /* 400 B held */
	tbucket_set_rate(&tb, 10 * SEC + 900 * US, 8000000, 100);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 10 * SEC + 900 * US, 100000), 100);
}

static void test_tb_extremes(void)
{
	/* The largest rate and burst over a day idle: no overflow, one burst. */
	struct tbucket tb;
	tbucket_init(&tb, TBUCKET_MAX_RATE_BPS, TBUCKET_MAX_BURST_BYTES, 0);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 0, TBUCKET_MAX_BURST_BYTES), TBUCKET_MAX_BURST_BYTES);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 86400 * SEC, INT64_MAX / 2), TBUCKET_MAX_BURST_BYTES);
	/* 1 bit/s: one byte per 8 s. */
	tbucket_init(&tb, 1, 1, 0);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 0, 10), 1);
	CU_ASSERT_EQUAL(tbucket_next_ready(&tb, 0, 1), 8 * SEC);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 8 * SEC - 1, 10), 0);
	CU_ASSERT_EQUAL(tbucket_take(&tb, 8 * SEC, 10), 1);
}

static void test_dq_exact(void)
{
	struct delayq q;
	delayq_init(&q);
	CU_ASSERT_EQUAL(delayq_next(&q), SIMTIME_NEVER);
	CU_ASSERT_EQUAL(delayq_pop_ready(&q, 0), 0);
	delayq_push(&q, 0, 20 * MS, 100);
	delayq_push(&q, 5 * MS, 20 * MS, 50);
	CU_ASSERT_EQUAL(delayq_next(&q), 20 * MS);
	CU_ASSERT_EQUAL(delayq_pop_ready(&q, 20 * MS - 1), 0);
	CU_ASSERT_EQUAL(delayq_pop_ready(&q, 20 * MS), 100);
	CU_ASSERT_EQUAL(delayq_next(&q), 25 * MS);
	CU_ASSERT_EQUAL(delayq_pop_ready(&q, 25 * MS - 1), 0);
	CU_ASSERT_EQUAL(q.bytes, 50);
	/* Late polling releases everything due at once. */
	delayq_push(&q, 6 * MS, 20 * MS, 7);
	CU_ASSERT_EQUAL(delayq_pop_ready(&q, SEC), 57);
	CU_ASSERT_EQUAL(q.bytes, 0);
	CU_ASSERT_EQUAL(delayq_next(&q), SIMTIME_NEVER);
	/* Zero latency: ready at once. */
	delayq_push(&q, 2 * SEC, 0, 9);
	CU_ASSERT_EQUAL(delayq_pop_ready(&q, 2 * SEC), 9);
	delayq_free(&q);
}

static void test_dq_fifo(void)
{
	struct delayq q;
	delayq_init(&q);
	/* Latency drops from 20 ms to 5 ms mid-stream: the byte pushed at 1 ms would be due at
	 * 6 ms but waits for the earlier bytes (20 ms); a push at 16 ms is due at 21 ms. */
	delayq_push(&q, 0, 20 * MS, 10);
	delayq_push(&q, 1 * MS, 5 * MS, 10);
	delayq_push(&q, 16 * MS, 5 * MS, 3);
	CU_ASSERT_EQUAL(delayq_pop_ready(&q, 6 * MS), 0);
	CU_ASSERT_EQUAL(delayq_pop_ready(&q, 20 * MS), 20);
	CU_ASSERT_EQUAL(delayq_next(&q), 21 * MS);
	CU_ASSERT_EQUAL(delayq_pop_ready(&q, 21 * MS), 3);
	/* Latency rises: later bytes simply come later. */
	delayq_push(&q, 30 * MS, 5 * MS, 1);
	delayq_push(&q, 31 * MS, 50 * MS, 2);
	CU_ASSERT_EQUAL(delayq_pop_ready(&q, 35 * MS), 1);
	CU_ASSERT_EQUAL(delayq_pop_ready(&q, 81 * MS - 1), 0);
	CU_ASSERT_EQUAL(delayq_pop_ready(&q, 81 * MS), 2);
	delayq_free(&q);
}

static void test_dq_many(void)
{
	/* 10 000 pushes 1 us apart with 1 ms latency, popped every 100 us while pushing (so
	 * the ring wraps and grows): at each pop exactly the pushes made >= 1 ms earlier are
	 * out. Push i (at i us, i+1 bytes) is due at i + 1000 us. */
	struct delayq q;
	delayq_init(&q);
	int64_t out = 0, ok = 1;
	for (int64_t i = 0; i < 10000; i++) {
		delayq_push(&q, i * US, MS, i + 1);
		if (i % 100 == 99) {
			out += delayq_pop_ready(&q, i * US);
			int64_t due = i - 1000; /* pushes 0..due are out */
			int64_t expect = due >= 0 ? (due + 1) * (due + 2) / 2 : 0;
			if (out != expect)
				ok = 0;
		}
	}
	CU_ASSERT_TRUE(ok);
	out += delayq_pop_ready(&q, SEC);
	CU_ASSERT_EQUAL(out, INT64_C(10000) * 10001 / 2);
	CU_ASSERT_EQUAL(q.len, 0);
	delayq_free(&q);
}

int main(void)
{
	static const struct testutil_case tb_cases[] = {
		{ "burst bound", test_tb_burst },
		{ "catch-up while waiting", test_tb_catchup },
		{ "hand-worked sequence", test_tb_sequence },
		{ "long-run rate exact", test_tb_long_rate },
		{ "window bound, random takes", test_tb_window_bound },
		{ "rate change and link down", test_tb_rate_change },
		{ "extremes", test_tb_extremes },
		{ NULL, NULL },
	};
	static const struct testutil_case dq_cases[] = {
		{ "exact release", test_dq_exact },
		{ "fifo on latency drop", test_dq_fifo },
		{ "many pushes, ring growth", test_dq_many },
		{ NULL, NULL },
	};
	testutil_suite("tbucket", tb_cases);
	testutil_suite("delayq", dq_cases);
	return testutil_run();
}
