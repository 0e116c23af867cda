/* Delay queue of byte counts in a growable ring (see delayq.h). */
#include <assert.h>
#include <stdlib.h>

#include "emu/delayq.h"
#include "lib/xmalloc.h"

void delayq_init(struct delayq *q)
{
	q->ring = NULL;
	q->cap = q->head = q->len = 0;
	q->bytes = 0;
}

void delayq_free(struct delayq *q)
{
	free(q->ring);
	delayq_init(q);
}

static struct delayq_entry *at(const struct delayq *q, size_t i)
{
	return &q->ring[(q->head + i) & (q->cap - 1)];
}

static void grow(struct delayq *q)
{
	size_t ncap = q->cap ? 2 * q->cap : 16;
	struct delayq_entry *r = xreallocarray(NULL, ncap, sizeof *r);
	for (size_t i = 0; i < q->len; i++)
		r[i] = *at(q, i);
	free(q->ring);
	q->ring = r;
	q->cap = ncap;
	q->head = 0;
}

void delayq_push(struct delayq *q, sim_time_t now, sim_time_t latency, int64_t bytes)
{
	assert(bytes > 0 && latency >= 0);
	sim_time_t rel = now + latency;
	if (q->len) {
		struct delayq_entry *tail = at(q, q->len - 1);
		if (rel <= tail->release) { /* FIFO: never ahead of earlier bytes */
			tail->bytes += bytes;
			q->bytes += bytes;
			return;
		}
	}
	if (q->len == q->cap)
		grow(q);
	*at(q, q->len) = (struct delayq_entry){ .release = rel, .bytes = bytes };
	q->len++;
	q->bytes += bytes;
}

int64_t delayq_pop_ready(struct delayq *q, sim_time_t now)
{
	int64_t n = 0;
	while (q->len && at(q, 0)->release <= now) {
		n += at(q, 0)->bytes;
		q->head = (q->head + 1) & (q->cap - 1);
		q->len--;
	}
	q->bytes -= n;
	assert(q->bytes >= 0);
	return n;
}

sim_time_t delayq_next(const struct delayq *q)
{
	return q->len ? at(q, 0)->release : SIMTIME_NEVER;
}
