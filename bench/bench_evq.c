/*
 * Event-queue benchmark: the classic hold model. The queue is filled with N pending events at
 * random times; then each hold operation pops the minimum and pushes it back at its time plus
 * an exponentially distributed increment, so the queue size stays N. Reports hold operations
 * (one pop + one push) per wall second for several N, for sim/evq.c and, in the same run, for
 * a plain binary heap of the same 32-byte entries ordered by the same (time, seq) key, written
 * below as the baseline. Both see the identical push sequence, so their pop sequences must be
 * identical too: the program checks that with a checksum.
 *
 * A third line per N measures the simulator loop itself (sim_run with N self-rescheduling
 * events), i.e. the queue plus the callback dispatch and clock update.
 *
 * Each figure is the best of REPS runs, the implementations interleaved, so that a burst of
 * activity from another process on the machine does not decide a ratio.
 *
 * Usage: bench_evq [scale]   (scale multiplies the operation counts; default 1)
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/benchutil.h"
#include "sim/evq.h"
#include "lib/rng.h"
#include "sim/sim.h"
#include "lib/xmalloc.h"

/* Mean increment of the hold model, ns (1 ms: ties are rare but possible). */
#define HOLD_MEAN_NS 1e6
/* Repetitions of each measurement; the best is reported. */
#define REPS 3
/* Number of precomputed increments, cycled (keeps the RNG out of the timed loop). */
#define INCR_N (1u << 16)

/* --- Baseline: a textbook binary min-heap on (time, seq), with the same entries. --- */

struct bheap {
	struct evq_item *h; /* h[0] is the minimum */
	size_t n;           /* entries */
	size_t cap;         /* allocated entries */
	uint64_t next_seq;  /* next sequence number */
};

static inline int bh_before(const struct evq_item *a, const struct evq_item *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void bh_push(struct bheap *b, sim_time_t t, evq_fn fn, void *arg)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->h = xreallocarray(b->h, b->cap, sizeof *b->h);
	}
	struct evq_item x = { .time = t, .seq = b->next_seq++, .fn = fn, .arg = arg };
	size_t i = b->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!bh_before(&x, &b->h[p]))
			break;
		b->h[i] = b->h[p];
		i = p;
	}
	b->h[i] = x;
}

static int bh_pop(struct bheap *b, struct evq_item *out)
{
	if (!b->n)
		return 0;
	*out = b->h[0];
	struct evq_item x = b->h[--b->n];
	size_t n = b->n, i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && bh_before(&b->h[c + 1], &b->h[c]))
			c++;
		if (!bh_before(&b->h[c], &x))
			break;
		b->h[i] = b->h[c];
		i = c;
	}
	if (n)
		b->h[i] = x;
	return 1;
}

/* --- The workload --- */

static void noop(struct sim *sim, void *arg)
{
	(void)sim;
	(void)arg;
}

/* Result of one hold run. */
struct hold_result {
	double ops_per_s; /* hold operations per wall second */
	uint64_t check;   /* checksum of the popped (time, seq) sequence */
};

static uint64_t mix(uint64_t h, const struct evq_item *it)
{
	return (h ^ (uint64_t)it->time) * UINT64_C(0x100000001B3) + it->seq;
}

/* Initial times and increments for one N, identical for every implementation. */
struct hold_input {
	sim_time_t *init; /* N initial times, ns */
	sim_time_t *incr; /* INCR_N increments, ns */
};

static struct hold_input make_input(size_t n)
{
	struct rng r;
	rng_init(&r, 20170327, n);
	struct hold_input in = { xmalloc(n * sizeof *in.init), xmalloc(INCR_N * sizeof *in.incr) };
	for (size_t i = 0; i < n; i++)
		in.init[i] = (sim_time_t)rng_exp(&r, HOLD_MEAN_NS);
	for (size_t i = 0; i < INCR_N; i++)
		in.incr[i] = (sim_time_t)rng_exp(&r, HOLD_MEAN_NS);
	return in;
}

static struct hold_result hold_evq(const struct hold_input *in, size_t n, uint64_t warm,
				   uint64_t ops)
{
	struct evq *q = evq_new();
	for (size_t i = 0; i < n; i++)
		evq_push(q, in->init[i], noop, NULL);
	struct evq_item it = { 0 };
	uint64_t check = 0;
	size_t k = 0;
	double t0 = 0;
	for (uint64_t op = 0; op < warm + ops; op++) {
		if (op == warm)
			t0 = bench_now_s();
		evq_pop(q, &it);
		check = mix(check, &it);
		evq_push(q, it.time + in->incr[k], it.fn, it.arg);
		k = (k + 1) & (INCR_N - 1);
	}
	double dt = bench_now_s() - t0;
	evq_free(q);
	return (struct hold_result){ (double)ops / dt, check };
}

static struct hold_result hold_bheap(const struct hold_input *in, size_t n, uint64_t warm,
				     uint64_t ops)
{
	struct bheap b = { .next_seq = 1 };
	for (size_t i = 0; i < n; i++)
		bh_push(&b, in->init[i], noop, NULL);
	struct evq_item it = { 0 };
	uint64_t check = 0;
	size_t k = 0;
	double t0 = 0;
	for (uint64_t op = 0; op < warm + ops; op++) {
		if (op == warm)
			t0 = bench_now_s();
		bh_pop(&b, &it);
		check = mix(check, &it);
		bh_push(&b, it.time + in->incr[k], it.fn, it.arg);
		k = (k + 1) & (INCR_N - 1);
	}
	double dt = bench_now_s() - t0;
	free(b.h);
	return (struct hold_result){ (double)ops / dt, check };
}

/* The simulator loop: each event reschedules itself after the next increment. */
struct sim_hold {
	const sim_time_t *incr; /* increments, ns */
	size_t k;               /* next increment */
	uint64_t left;          /* events still to schedule */
};

static void sim_hold_event(struct sim *sim, void *arg)
{
	struct sim_hold *h = arg;
	if (!h->left)
		return;
	h->left--;
	sim_after(sim, h->incr[h->k], sim_hold_event, h);
	h->k = (h->k + 1) & (INCR_N - 1);
}

static double hold_sim(const struct hold_input *in, size_t n, uint64_t ops)
{
	struct sim *sim = sim_new(1);
	struct sim_hold h = { .incr = in->incr, .k = 0, .left = ops };
	for (size_t i = 0; i < n; i++)
		sim_at(sim, in->init[i], sim_hold_event, &h);
	double t0 = bench_now_s();
	uint64_t ran = sim_run(sim, SIMTIME_NEVER);
	double dt = bench_now_s() - t0;
	sim_free(sim);
	return (double)ran / dt;
}

/* One size: operation counts chosen so that each timed loop takes roughly 0.3 to 1 s. */
struct hold_case {
	size_t n;            /* queue size */
	uint64_t ops;        /* timed hold operations at scale 1 */
	double target_mops;  /* target from the issue, M ops/s (0: none) */
};

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1.0;
	if (!(scale > 0)) {
		fprintf(stderr, "usage: bench_evq [scale > 0]\n");
		return 2;
	}
	static const struct hold_case cases[] = {
		{ 1000, 20000000, 20 },
		{ 100000, 10000000, 0 },
		{ 1000000, 5000000, 4 },
	};
	bench_print_machine("bench_evq");
	printf("# hold model: pop the minimum, push it back at time + Exp(mean %.0f ns); "
	       "baseline = binary heap in this file, same entries and key; best of %d runs\n",
	       HOLD_MEAN_NS, REPS);
	int ok = 1;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		size_t n = cases[c].n;
		uint64_t ops = (uint64_t)((double)cases[c].ops * scale);
		uint64_t warm = n > ops / 4 ? ops / 4 : n;
		struct hold_input in = make_input(n);
		/* Best of REPS interleaved runs each, to damp interference from other processes. */
		struct hold_result base = { 0, 0 }, mine = { 0, 0 };
		double simrate = 0;
		int same = 1;
		for (int rep = 0; rep < REPS; rep++) {
			struct hold_result b = hold_bheap(&in, n, warm, ops);
			struct hold_result m = hold_evq(&in, n, warm, ops);
			double s = hold_sim(&in, n, ops);
			same &= b.check == m.check && (rep == 0 || m.check == mine.check);
			base.check = b.check;
			mine.check = m.check;
			base.ops_per_s = b.ops_per_s > base.ops_per_s ? b.ops_per_s : base.ops_per_s;
			mine.ops_per_s = m.ops_per_s > mine.ops_per_s ? m.ops_per_s : mine.ops_per_s;
			simrate = s > simrate ? s : simrate;
		}
		ok &= same;
		printf("evq hold N=%zu: %.2f M ops/s (%.1f ns/op)", n, mine.ops_per_s / 1e6,
		       1e9 / mine.ops_per_s);
		if (cases[c].target_mops > 0)
			printf(", target >= %.0f M ops/s: %s", cases[c].target_mops,
			       mine.ops_per_s >= cases[c].target_mops * 1e6 ? "met" : "MISSED");
		printf("\n");
		printf("binary-heap hold N=%zu: %.2f M ops/s (%.1f ns/op); evq/binary-heap ratio %.2f; "
		       "pop sequences %s\n",
		       n, base.ops_per_s / 1e6, 1e9 / base.ops_per_s, mine.ops_per_s / base.ops_per_s,
		       same ? "identical" : "DIFFER");
		printf("sim_run hold N=%zu: %.2f M events/s (%.1f ns/event)\n", n, simrate / 1e6,
		       1e9 / simrate);
		fflush(stdout);
		free(in.init);
		free(in.incr);
	}
	return ok ? 0 : 1;
}
