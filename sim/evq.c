/*
 * Event queue: 4-ary min-heap on (time, seq) with lazy cancellation through a hash set.
 *
 * Hot-path choices (measured with bench/bench_evq, see docs/benchmarks.md):
 * - The (time, seq) pair is stored as one 128-bit unsigned key (time with its sign bit
 *   flipped in the high half, seq in the low half) where the compiler has such integers, so
 *   every comparison is one integer compare; elsewhere a two-field compare does the same.
 * - The minimum of four children is found by a tournament on keys held in registers, which
 *   the compiler turns into conditional moves (random keys make branches mispredict).
 * - A pop leaves a hole at the root instead of moving the last leaf there at once; a push
 *   that follows (the usual pattern: a handler schedules its successor) drops the new entry
 *   into the hole and sifts it down once. A pop or peek that finds the hole fills it the
 *   ordinary way. The sift-down is inlined into its callers (push, refill): called as a
 *   function it took its 32-byte entry through the stack, which cost about 6 % of a round of
 *   110 single flows (bench_flow; docs/benchmarks.md).
 * - The simulator's loop runs here (evq_run): per event it reads the root in place and calls
 *   the callback, with no call to a pop function and no copy of the entry (about 5 % of a round
 *   of 110 single flows, docs/benchmarks.md).
 * - The array is placed so that the four children of a node share one 128-byte block (two
 *   cache lines), and large heaps prefetch the grandchildren during each step of a
 *   sift-down (see EVQ_PREFETCH_MIN): both matter once the heap outgrows the caches.
 */
#include "sim/evq.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

/* Entries before heap[0] in the allocation, so that children 4i+1..4i+4 are 128-byte aligned. */
#define EVQ_PAD 3
/* Alignment of the children blocks, bytes. */
#define EVQ_ALIGN 128
/*
 * Heaps larger than this many entries (512 KiB, about what stays in a core's L2 cache)
 * prefetch, at each level of a sift-down, the 16 grandchildren (8 cache lines, contiguous)
 * while the 4 children are compared, so the next level's loads are already under way.
 * Smaller heaps are faster without.
 */
#define EVQ_PREFETCH_MIN 16384
/* Added to a time (mod 2^64) so that unsigned order matches signed order. */
#define EVQ_TIME_BIAS (UINT64_C(1) << 63)

#if defined(__SIZEOF_INT128__)
typedef unsigned __int128 evq_key; /* biased time << 64 | seq */

static inline evq_key key_make(sim_time_t t, uint64_t seq)
{
	return (evq_key)((uint64_t)t ^ EVQ_TIME_BIAS) << 64 | seq;
}

static inline uint64_t key_hi(evq_key k)
{
	return (uint64_t)(k >> 64);
}

static inline uint64_t key_seq(evq_key k)
{
	return (uint64_t)k;
}

static inline int key_before(evq_key a, evq_key b)
{
	return a < b;
}
#else
typedef struct {
	uint64_t hi; /* biased time */
	uint64_t lo; /* seq */
} evq_key;

static inline evq_key key_make(sim_time_t t, uint64_t seq)
{
	return (evq_key){ (uint64_t)t ^ EVQ_TIME_BIAS, seq };
}

static inline uint64_t key_hi(evq_key k)
{
	return k.hi;
}

static inline uint64_t key_seq(evq_key k)
{
	return k.lo;
}

static inline int key_before(evq_key a, evq_key b)
{
	return (a.hi < b.hi) | ((a.hi == b.hi) & (a.lo < b.lo));
}
#endif

/* The time half of a key, unbiased without relying on implementation-defined conversions. */
static inline sim_time_t key_time(evq_key k)
{
	uint64_t u = key_hi(k);
	return u >= EVQ_TIME_BIAS ? (sim_time_t)(u - EVQ_TIME_BIAS)
				  : (sim_time_t)u - INT64_MAX - 1;
}

/* A heap slot: 32 bytes, like struct evq_item, but with the order key in one field. */
struct evq_ent {
	evq_key key; /* (time, seq) */
	evq_fn fn;   /* callback */
	void *arg;   /* callback argument */
};

_Static_assert(sizeof(struct evq_ent) == 32, "the children-block alignment assumes 32-byte slots");

struct evq {
	struct evq_ent *heap; /* heap[0] is the minimum (unless hole) */
	void *mem;            /* the allocation that holds heap */
	size_t n;             /* slots in use: live and cancelled entries, and the hole */
	size_t cap;           /* allocated entries */
	int hole;             /* 1: heap[0] was popped and not refilled yet (then n >= 1) */
	uint64_t next_seq;    /* next handle to hand out */
	uint64_t *dead;       /* open-addressing set of cancelled handles; 0 = empty slot */
	size_t dead_n;        /* handles in the set */
	size_t dead_cap;      /* slots, a power of two (0 before first cancel) */
};

/* Allocate room for cap entries with the alignment described above; copy the n old ones. */
static void evq_resize(struct evq *q, size_t cap)
{
	assert(cap > 0 && cap < ((size_t)-1 - EVQ_ALIGN) / sizeof *q->heap - EVQ_PAD);
	void *mem = xmalloc((cap + EVQ_PAD) * sizeof *q->heap + EVQ_ALIGN);
	uintptr_t base = ((uintptr_t)mem + EVQ_ALIGN - 1) & ~(uintptr_t)(EVQ_ALIGN - 1);
	struct evq_ent *heap = (struct evq_ent *)base + EVQ_PAD;
	if (q->n)
		memcpy(heap, q->heap, q->n * sizeof *heap);
	free(q->mem);
	q->mem = mem;
	q->heap = heap;
	q->cap = cap;
}

struct evq *evq_new(void)
{
	struct evq *q = xcalloc(1, sizeof *q);
	evq_resize(q, 64);
	q->next_seq = 1;
	return q;
}

void evq_free(struct evq *q)
{
	if (!q)
		return;
	free(q->mem);
	free(q->dead);
	free(q);
}

/* Forced inlining where the compiler has it (two callers would otherwise get a call each). */
#ifdef __GNUC__
#define EVQ_INLINE static inline __attribute__((always_inline))
#else
#define EVQ_INLINE static inline
#endif

/* Move x up from slot i (a free slot) to its place. */
EVQ_INLINE void sift_up(struct evq_ent *h, size_t i, struct evq_ent x)
{
	while (i > 0) {
		size_t parent = (i - 1) / 4;
		if (!key_before(x.key, h[parent].key))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = x;
}

/*
 * Move x down from slot i (a free slot whose subtrees are heaps) to its place; n slots in use.
 * Full families of four children take the branch-free tournament.
 */
EVQ_INLINE void sift_down(struct evq_ent *h, size_t n, size_t i, struct evq_ent x)
{
	int big = n > EVQ_PREFETCH_MIN;
	(void)big;
	for (;;) {
		size_t c = 4 * i + 1;
		size_t best;
		evq_key kbest;
		if (c + 4 <= n) {
#ifdef __GNUC__
			size_t g = 4 * c + 1;
			if (big && g < n) {
				/* Two entries per cache line; stay inside the slots in use. */
				size_t lines = (n - g + 1) / 2 < 8 ? (n - g + 1) / 2 : 8;
				const char *gp = (const char *)&h[g];
				for (size_t line = 0; line < lines; line++)
					__builtin_prefetch(gp + 64 * line);
			}
#endif
			evq_key k0 = h[c].key, k1 = h[c + 1].key, k2 = h[c + 2].key, k3 = h[c + 3].key;
			int b01 = key_before(k1, k0), b23 = key_before(k3, k2);
			size_t i01 = c + (size_t)b01, i23 = c + 2 + (size_t)b23;
			evq_key k01 = b01 ? k1 : k0, k23 = b23 ? k3 : k2;
			int right = key_before(k23, k01);
			best = right ? i23 : i01;
			kbest = right ? k23 : k01;
		} else if (c < n) {
			best = c;
			for (size_t k = c + 1; k < n; k++)
				if (key_before(h[k].key, h[best].key))
					best = k;
			kbest = h[best].key;
		} else {
			break;
		}
		if (!key_before(kbest, x.key))
			break;
		h[i] = h[best];
		i = best;
	}
	h[i] = x;
}

/* Refill a hole at the root with the last entry. */
EVQ_INLINE void fill_hole(struct evq *q)
{
	q->hole = 0;
	if (--q->n)
		sift_down(q->heap, q->n, 0, q->heap[q->n]);
}

EVQ_INLINE uint64_t push_key(struct evq *q, sim_time_t t, uint64_t seq, evq_fn fn, void *arg)
{
	struct evq_ent x = { .key = key_make(t, seq), .fn = fn, .arg = arg };
	if (q->hole) {
		q->hole = 0;
		sift_down(q->heap, q->n, 0, x);
		return seq;
	}
	if (q->n == q->cap)
		evq_resize(q, q->cap * 2);
	sift_up(q->heap, q->n++, x);
	return seq;
}

uint64_t evq_push(struct evq *q, sim_time_t t, evq_fn fn, void *arg)
{
	return push_key(q, t, q->next_seq++, fn, arg);
}

uint64_t evq_reserve(struct evq *q, uint64_t n)
{
	uint64_t first = q->next_seq;
	q->next_seq += n;
	return first;
}

uint64_t evq_push_handle(struct evq *q, sim_time_t t, uint64_t handle, evq_fn fn, void *arg)
{
	assert(handle > 0 && handle < q->next_seq);
	return push_key(q, t, handle, fn, arg);
}

static inline size_t dead_slot(uint64_t h, size_t cap)
{
	return (size_t)((h * UINT64_C(0x9E3779B97F4A7C15)) >> 17) & (cap - 1);
}

static void dead_insert(struct evq *q, uint64_t h);

static void dead_grow(struct evq *q)
{
	uint64_t *old = q->dead;
	size_t oldcap = q->dead_cap;
	q->dead_cap = oldcap ? oldcap * 2 : 64;
	q->dead = xcalloc(q->dead_cap, sizeof *q->dead);
	q->dead_n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			dead_insert(q, old[i]);
	free(old);
}

static void dead_insert(struct evq *q, uint64_t h)
{
	if ((q->dead_n + 1) * 2 > q->dead_cap)
		dead_grow(q);
	size_t i = dead_slot(h, q->dead_cap);
	while (q->dead[i])
		i = (i + 1) & (q->dead_cap - 1);
	q->dead[i] = h;
	q->dead_n++;
}

/* Remove h from the set if present (backward-shift deletion); returns 1 if it was there. */
static int dead_take(struct evq *q, uint64_t h)
{
	size_t mask = q->dead_cap - 1;
	size_t i = dead_slot(h, q->dead_cap);
	while (q->dead[i] != h) {
		if (!q->dead[i])
			return 0;
		i = (i + 1) & mask;
	}
	q->dead_n--;
	for (;;) {
		q->dead[i] = 0;
		size_t j = i;
		for (;;) {
			j = (j + 1) & mask;
			if (!q->dead[j])
				return 1;
			size_t home = dead_slot(q->dead[j], q->dead_cap);
			/* Move j back to i unless its home lies cyclically in (i, j]. */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		q->dead[i] = q->dead[j];
		i = j;
	}
}

void evq_cancel(struct evq *q, uint64_t handle)
{
	assert(handle > 0 && handle < q->next_seq);
	dead_insert(q, handle);
}

/* Fill any hole and drop cancelled entries from the top; then heap[0], if any, is live. */
EVQ_INLINE void settle_top(struct evq *q)
{
	if (q->hole)
		fill_hole(q);
	while (q->dead_n && q->n && dead_take(q, key_seq(q->heap[0].key))) {
		q->hole = 1;
		fill_hole(q);
	}
}

/* Copy a heap slot out in the public layout. */
static inline void ent_out(const struct evq_ent *e, struct evq_item *out)
{
	*out = (struct evq_item){ .time = key_time(e->key), .seq = key_seq(e->key), .fn = e->fn,
				  .arg = e->arg };
}

int evq_pop(struct evq *q, struct evq_item *out)
{
	settle_top(q);
	if (!q->n)
		return 0;
	ent_out(&q->heap[0], out);
	q->hole = 1;
	return 1;
}

int evq_pop_until(struct evq *q, sim_time_t until, struct evq_item *out)
{
	settle_top(q);
	if (!q->n || key_time(q->heap[0].key) > until)
		return 0;
	ent_out(&q->heap[0], out);
	q->hole = 1;
	return 1;
}

uint64_t evq_run(struct evq *q, sim_time_t until, struct sim *sim, sim_time_t *now,
		 const int *stop, uint64_t *events_run)
{
	uint64_t ran = 0;
	while (!*stop) {
		settle_top(q);
		if (!q->n || key_time(q->heap[0].key) > until)
			break;
		/* Read the root before the callback: its pushes may land in the hole. */
		evq_fn fn = q->heap[0].fn;
		void *arg = q->heap[0].arg;
		sim_time_t t = key_time(q->heap[0].key);
		q->hole = 1;
		assert(t >= *now && "simulated time went backwards");
		*now = t;
		fn(sim, arg);
		ran++;
		++*events_run; /* counted as they run, so progress reports can read it */
	}
	return ran;
}

int evq_peek(struct evq *q, struct evq_item *out)
{
	settle_top(q);
	if (!q->n)
		return 0;
	ent_out(&q->heap[0], out);
	return 1;
}

size_t evq_size(const struct evq *q)
{
	return q->n - (size_t)q->hole - q->dead_n;
}

int evq_check(const struct evq *q)
{
	if (q->n > q->cap || (q->hole && q->n == 0) || q->next_seq == 0)
		return 0;
	/* Every cancellation still has an entry to discard. */
	if (q->dead_n > q->n - (size_t)q->hole || (q->dead_cap && q->dead_n * 2 > q->dead_cap))
		return 0;
	size_t dead_seen = 0;
	for (size_t i = 0; i < q->dead_cap; i++)
		if (q->dead[i]) {
			dead_seen++;
			if (q->dead[i] >= q->next_seq)
				return 0;
		}
	if (dead_seen != q->dead_n)
		return 0;
	for (size_t i = (size_t)q->hole; i < q->n; i++) {
		uint64_t seq = key_seq(q->heap[i].key);
		if (seq == 0 || seq >= q->next_seq || !q->heap[i].fn)
			return 0;
		/* Heap order: no entry before its parent (the hole's children head subheaps). */
		size_t parent = (i - 1) / 4;
		if (i > 0 && !(q->hole && parent == 0) &&
		    key_before(q->heap[i].key, q->heap[parent].key))
			return 0;
	}
	return 1;
}
