/* Token bucket in exact integer arithmetic (see tbucket.h). */
#include <assert.h>

#include "emu/tbucket.h"

#define UNITS_PER_BYTE INT64_C(8000000000) /* bit-ns per byte: 8 bits x 1e9 ns/s */

/* Depth of the bucket now, bit-ns: one burst, or TBUCKET_CATCHUP while a sender waits. */
static int64_t depth(const struct tbucket *tb)
{
	return tb->burst_bytes * UNITS_PER_BYTE * (tb->waiting ? TBUCKET_CATCHUP : 1);
}

/* Credit at time now (>= last) without modifying the bucket. */
static int64_t credit_at(const struct tbucket *tb, sim_time_t now)
{
	int64_t cap = depth(tb);
	if (now <= tb->last || tb->rate_bps == 0)
		return tb->credit;
	int64_t room = cap - tb->credit;
	int64_t dt = now - tb->last;
	/* Full once dt * rate >= room; compare by division so the product cannot overflow. */
	if (dt >= (room + tb->rate_bps - 1) / tb->rate_bps)
		return cap;
	return tb->credit + dt * tb->rate_bps;
}

static void refill(struct tbucket *tb, sim_time_t now)
{
	assert(now >= tb->last); /* time never goes backwards */
	tb->credit = credit_at(tb, now);
	tb->last = now;
}

void tbucket_init(struct tbucket *tb, int64_t rate_bps, int64_t burst_bytes, sim_time_t now)
{
	assert(rate_bps >= 0 && rate_bps <= TBUCKET_MAX_RATE_BPS);
	assert(burst_bytes >= 1 && burst_bytes <= TBUCKET_MAX_BURST_BYTES);
	tb->rate_bps = rate_bps;
	tb->burst_bytes = burst_bytes;
	tb->credit = burst_bytes * UNITS_PER_BYTE;
	tb->last = now;
	tb->waiting = 0;
}

int64_t tbucket_take(struct tbucket *tb, sim_time_t now, int64_t want)
{
	assert(want >= 0);
	refill(tb, now);
	int64_t avail = tb->credit / UNITS_PER_BYTE;
	int64_t n = want < avail ? want : avail;
	tb->credit -= n * UNITS_PER_BYTE;
	tb->waiting = n < want;
	if (tb->credit > depth(tb)) /* served in full: back to one burst */
		tb->credit = depth(tb);
	return n;
}

sim_time_t tbucket_next_ready(const struct tbucket *tb, sim_time_t now, int64_t want)
{
	assert(want >= 0);
	if (now < tb->last)
		now = tb->last;
	if (want > tb->burst_bytes)
		want = tb->burst_bytes;
	int64_t need = want * UNITS_PER_BYTE - credit_at(tb, now);
	if (need <= 0)
		return now;
	if (tb->rate_bps == 0)
		return SIMTIME_NEVER;
	return now + (need + tb->rate_bps - 1) / tb->rate_bps;
}

void tbucket_set_rate(struct tbucket *tb, sim_time_t now, int64_t rate_bps, int64_t burst_bytes)
{
	assert(rate_bps >= 0 && rate_bps <= TBUCKET_MAX_RATE_BPS);
	assert(burst_bytes >= 1 && burst_bytes <= TBUCKET_MAX_BURST_BYTES);
	refill(tb, now);
	tb->rate_bps = rate_bps;
	tb->burst_bytes = burst_bytes;
	if (tb->credit > depth(tb))
		tb->credit = depth(tb);
}
