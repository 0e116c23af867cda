/* Event queue: 4-ary min-heap on (time, seq) with lazy cancellation through a hash set. */
#include "sim/evq.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sim/xmalloc.h"

struct evq {
	struct evq_item *heap; /* heap[0] is the minimum */
	size_t n;              /* entries in heap, live and cancelled */
	size_t cap;            /* allocated entries */
	uint64_t next_seq;     /* next handle to hand out */
	uint64_t *dead;        /* open-addressing set of cancelled handles; 0 = empty slot */
	size_t dead_n;         /* handles in the set */
	size_t dead_cap;       /* slots, a power of two (0 before first cancel) */
};

static inline int before(const struct evq_item *a, const struct evq_item *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

struct evq *evq_new(void)
{
	struct evq *q = xcalloc(1, sizeof *q);
	q->cap = 64;
	q->heap = xmalloc(q->cap * sizeof *q->heap);
	q->next_seq = 1;
	return q;
}

void evq_free(struct evq *q)
{
	if (!q)
		return;
	free(q->heap);
	free(q->dead);
	free(q);
}

static void sift_up(struct evq_item *h, size_t i)
{
	struct evq_item x = h[i];
	while (i > 0) {
		size_t parent = (i - 1) / 4;
		if (!before(&x, &h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = x;
}

static void sift_down(struct evq_item *h, size_t n, size_t i)
{
	struct evq_item x = h[i];
	for (;;) {
		size_t c = 4 * i + 1;
		if (c >= n)
			break;
		size_t best = c;
		size_t end = c + 4 < n ? c + 4 : n;
		for (size_t k = c + 1; k < end; k++)
			if (before(&h[k], &h[best]))
				best = k;
		if (!before(&h[best], &x))
			break;
		h[i] = h[best];
		i = best;
	}
	h[i] = x;
}

uint64_t evq_push(struct evq *q, sim_time_t t, evq_fn fn, void *arg)
{
	if (q->n == q->cap) {
		q->cap *= 2;
		q->heap = xreallocarray(q->heap, q->cap, sizeof *q->heap);
	}
	uint64_t seq = q->next_seq++;
	q->heap[q->n] = (struct evq_item){ .time = t, .seq = seq, .fn = fn, .arg = arg };
	sift_up(q->heap, q->n);
	q->n++;
	return seq;
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
	while (q->dead[i]) {
		assert(q->dead[i] != h && "event cancelled twice");
		i = (i + 1) & (q->dead_cap - 1);
	}
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

/* Drop cancelled entries from the top; afterwards heap[0], if any, is live. */
static void skip_dead(struct evq *q)
{
	while (q->dead_n && q->n && dead_take(q, q->heap[0].seq)) {
		q->heap[0] = q->heap[--q->n];
		if (q->n)
			sift_down(q->heap, q->n, 0);
	}
}

int evq_pop(struct evq *q, struct evq_item *out)
{
	skip_dead(q);
	if (!q->n)
		return 0;
	*out = q->heap[0];
	q->heap[0] = q->heap[--q->n];
	if (q->n)
		sift_down(q->heap, q->n, 0);
	return 1;
}

int evq_peek(struct evq *q, struct evq_item *out)
{
	skip_dead(q);
	if (!q->n)
		return 0;
	*out = q->heap[0];
	return 1;
}

size_t evq_size(const struct evq *q)
{
	return q->n - q->dead_n;
}
