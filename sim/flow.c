/*
 * Flow-level network model: exact max-min fair sharing by progressive filling, recomputed
 * incrementally at the instants flows start or end or capacities change. Changes made at one
 * instant are batched: the first one schedules a single recompute event at the same instant.
 *
 * Which flows a change can affect. Max-min fairness has a classic characterisation
 * (Bertsekas & Gallager, Data Networks, 6.5): a feasible allocation is THE max-min fair one iff
 * every flow has a bottleneck, a resource it crosses that is saturated and on which no flow
 * has a larger rate. Progressive filling records one for every flow: the resource whose
 * popping from the filling heap fixed the flow's rate. Call a resource "tight" when the last
 * solve that covered all of its flows popped it; every active flow then crosses at least one
 * tight resource (the bottleneck recorded for it), and a tight resource's flows are always
 * solved together (below), so that record stays true until they are solved again.
 *
 * A recompute solves a component C of flows and keeps every other flow's rate:
 *  1. C starts with the changed flows (new ones, those on a resource whose capacity changed)
 *     and all flows of each tight resource that lost a flow.
 *  2. Closure: every tight resource crossed by a flow of C brings all its flows into C.
 *  3. Progressive filling over C, every resource crossed by C in the heap. A "mixing" resource
 *     (crossed by C and by flows outside C; never tight, by step 2) enters with its capacity
 *     less the rates of its outside flows.
 *  4. If the filling pops a mixing resource (some flow of C would have its bottleneck there,
 *     while outside flows on it keep rates that may exceed that level), or leaves one within
 *     1e-9 of saturation (rounding), that resource's flows join C: back to 2. C only grows, so
 *     this ends; typically it never happens.
 * Why the result is the max-min allocation of all flows: it is feasible (C fits in the
 * residual capacities; resources outside C's reach are unchanged or lost load). Each flow of C
 * has its popped bottleneck, which is not mixing, so all its flows are in C: it is saturated
 * and the flow is maximal on it. Each flow g outside C keeps its recorded bottleneck b: b is
 * tight, so if it were crossed by a flow of C, or had lost a flow, step 1 or 2 would have put
 * g in C; hence b's flows, rates and capacity are unchanged. Every flow has a bottleneck, so
 * the allocation is the max-min one. Slack resources (an egress far from full) therefore no
 * longer couple the links behind them: an all-to-all round with 91 flows per link re-solves
 * one link's flows, not all 10 010.
 */
#include "sim/flow.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/xmalloc.h"

/* Flow records are allocated this many at a time (flows_cap stays a multiple of it). */
#define FLOW_BLOCK 64
/* A mixing resource left with less than this fraction of its capacity counts as saturated. */
#define FLOW_SAT_EPS 1e-9

struct res {
	double cap;          /* capacity, bits/s */
	double load;         /* sum of current rates of the flows crossing it, bits/s */
	double bits;         /* bits carried from time 0 to t_acc */
	sim_time_t t_acc;    /* time up to which `bits` is integrated, ns */
	uint32_t *flows;     /* ids of the active flows crossing it */
	uint32_t nflows;     /* entries in flows */
	uint32_t flows_cap;  /* allocated entries */
	uint32_t nupd;       /* incremental changes to load since it was last summed exactly */
	int tight;           /* 1 if the last solve covering all its flows popped it (see top) */
	int touched;         /* 1 while on the touched list (all its flows join the next solve) */
	uint64_t mark;       /* stamp: on the current component's resource list */
	uint64_t pulled;     /* stamp: all its flows have joined the current component */
	uint32_t c_cnt;      /* flows of the current component crossing it */
	double c_old;        /* sum of their rates before this solve, bits/s */
	double wf_rem;       /* progressive filling: capacity not yet given out, bits/s */
	uint32_t wf_cnt;     /* progressive filling: flows not yet fixed */
	int wf_pos;          /* progressive filling: position in the heap, -1 if absent */
	int popped;          /* progressive filling: popped from the heap (a bottleneck) */
};

struct flow {
	struct flow_model *m;         /* owner (completion events carry only the flow) */
	uint32_t id;                  /* index in m->flows */
	int active;                   /* 1 between start and completion */
	int nres;                     /* resources crossed */
	int res[FLOW_MAX_RES];        /* resource ids */
	uint32_t slot[FLOW_MAX_RES];  /* position of this flow in each resource's flows[] */
	double rate;                  /* current rate, bits/s */
	double new_rate;              /* progressive filling: rate being computed */
	double bits_left;             /* bits still to move as of t_last */
	sim_time_t t_last;            /* time bits_left refers to, ns */
	uint64_t ev;                  /* pending completion event, 0 if none */
	flow_done_fn done;            /* completion callback */
	void *arg;                    /* its argument */
	uint64_t mark;                /* stamp: in the current component */
	int fixed;                    /* progressive filling: rate settled */
	int seeded;                   /* on the seed list */
};

struct flow_model {
	struct sim *sim;        /* simulator the model schedules on */
	struct res *res;        /* resources by id */
	int nres;               /* resources in use */
	int res_cap;            /* allocated */
	struct flow **flows;    /* flows by id (allocated once, reused) */
	uint32_t nflows;        /* ids handed out so far */
	uint32_t flows_cap;     /* allocated slots */
	uint32_t *free_ids;     /* ids free for reuse (stack) */
	uint32_t nfree;         /* entries in free_ids */
	size_t active;          /* active flows */
	uint32_t *seeds;        /* flows changed since the last recompute */
	uint32_t nseeds;        /* entries in seeds */
	uint32_t seeds_cap;     /* allocated entries */
	int *touched;           /* tight resources that lost a flow since the last recompute */
	int ntouched;           /* entries in touched */
	int touched_cap;        /* allocated entries */
	uint64_t recompute_ev;  /* pending recompute event, 0 if none */
	uint64_t stamp;         /* current component stamp */
	uint64_t recomputes;    /* recomputations run */
	/* Scratch for one recomputation (kept between runs: no allocation in steady state). */
	uint32_t *comp_flows;   /* flows of the component */
	uint32_t ncomp_flows;   /* entries in comp_flows */
	uint32_t comp_flows_cap; /* allocated entries */
	int *comp_res;          /* resources crossed by the component */
	int ncomp_res;          /* entries in comp_res */
	int comp_res_cap;       /* allocated entries */
	int *heap;              /* progressive filling: resources keyed by wf_rem / wf_cnt */
	int nheap;              /* entries in heap */
	int heap_cap;           /* allocated entries */
};

static void schedule_recompute(struct flow_model *m);

struct flow_model *flow_model_new(struct sim *sim)
{
	struct flow_model *m = xcalloc(1, sizeof *m);
	m->sim = sim;
	return m;
}

void flow_model_free(struct flow_model *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nres; i++)
		free(m->res[i].flows);
	free(m->res);
	for (uint32_t i = 0; i < m->nflows; i += FLOW_BLOCK)
		free(m->flows[i]);
	free(m->flows);
	free(m->free_ids);
	free(m->seeds);
	free(m->touched);
	free(m->comp_flows);
	free(m->comp_res);
	free(m->heap);
	free(m);
}

int flow_resource_new(struct flow_model *m, double cap_bps)
{
	assert(cap_bps >= 0 && isfinite(cap_bps));
	if (m->nres == m->res_cap) {
		m->res_cap = m->res_cap ? 2 * m->res_cap : 16;
		m->res = xreallocarray(m->res, (size_t)m->res_cap, sizeof *m->res);
	}
	struct res *r = &m->res[m->nres];
	memset(r, 0, sizeof *r);
	r->cap = cap_bps;
	r->t_acc = sim_now(m->sim);
	r->wf_pos = -1;
	return m->nres++;
}

double flow_resource_capacity(const struct flow_model *m, int res)
{
	return m->res[res].cap;
}

double flow_resource_load_bps(const struct flow_model *m, int res)
{
	return m->res[res].load;
}

/* Bring r->bits up to now at the current load. */
static void res_integrate(struct res *r, sim_time_t now)
{
	if (now > r->t_acc) {
		r->bits += r->load * (double)(now - r->t_acc) / 1e9;
		r->t_acc = now;
	}
}

double flow_resource_bits(struct flow_model *m, int res)
{
	res_integrate(&m->res[res], sim_now(m->sim));
	return m->res[res].bits;
}

static void touch(struct flow_model *m, int ri)
{
	struct res *r = &m->res[ri];
	if (r->touched)
		return;
	r->touched = 1;
	if (m->ntouched == m->touched_cap) {
		m->touched_cap = m->touched_cap ? 2 * m->touched_cap : 64;
		m->touched = xreallocarray(m->touched, (size_t)m->touched_cap, sizeof *m->touched);
	}
	m->touched[m->ntouched++] = ri;
}

static void seed(struct flow_model *m, struct flow *f)
{
	if (f->seeded)
		return;
	f->seeded = 1;
	if (m->nseeds == m->seeds_cap) {
		m->seeds_cap = m->seeds_cap ? 2 * m->seeds_cap : 64;
		m->seeds = xreallocarray(m->seeds, m->seeds_cap, sizeof *m->seeds);
	}
	m->seeds[m->nseeds++] = f->id;
}

/* Move the flow's accounting of bits left up to now at its current rate. */
static void flow_advance(struct flow *f, sim_time_t now)
{
	if (now > f->t_last) {
		f->bits_left -= f->rate * (double)(now - f->t_last) / 1e9;
		if (f->bits_left < 0)
			f->bits_left = 0;
		f->t_last = now;
	}
}

static void flow_complete(struct sim *sim, void *arg);

/* (Re)schedule the completion event of f from its current rate; now = the current time. */
static void flow_reschedule(struct flow_model *m, struct flow *f, sim_time_t now)
{
	if (f->ev)
		sim_cancel(m->sim, f->ev);
	f->ev = 0;
	if (f->rate <= 0)
		return;
	double ns = f->bits_left * 1e9 / f->rate;
	/* A finish beyond the last representable time never comes: leave it unscheduled, like
	 * a stalled flow (9.2e18 < 2^63 keeps llround in range). */
	if (!(ns < 9.2e18))
		return;
	sim_time_t d = ns > 0 ? (sim_time_t)llround(ns) : 0;
	if (d > SIMTIME_NEVER - 1 - now)
		return;
	f->ev = sim_at(m->sim, now + d, flow_complete, f);
}

static struct flow *flow_alloc(struct flow_model *m)
{
	uint32_t id;
	if (m->nfree) {
		id = m->free_ids[--m->nfree];
	} else {
		if (m->nflows == m->flows_cap) {
			m->flows_cap = m->flows_cap ? 2 * m->flows_cap : 64;
			m->flows = xreallocarray(m->flows, m->flows_cap, sizeof *m->flows);
			m->free_ids = xreallocarray(m->free_ids, m->flows_cap, sizeof *m->free_ids);
		}
		id = m->nflows++;
		/* Flows live in blocks of FLOW_BLOCK (fewer allocations, better locality); a
		 * block is owned by the slot of its first flow. */
		if (id % FLOW_BLOCK == 0)
			m->flows[id] = xcalloc(FLOW_BLOCK, sizeof **m->flows);
		else
			m->flows[id] = m->flows[id - 1] + 1;
	}
	struct flow *f = m->flows[id];
	memset(f, 0, sizeof *f);
	f->m = m;
	f->id = id;
	return f;
}

static void res_add_flow(struct res *r, struct flow *f, int k)
{
	if (r->nflows == r->flows_cap) {
		r->flows_cap = r->flows_cap ? 2 * r->flows_cap : 8;
		r->flows = xreallocarray(r->flows, r->flows_cap, sizeof *r->flows);
	}
	f->slot[k] = r->nflows;
	r->flows[r->nflows++] = f->id;
}

static void res_remove_flow(struct flow_model *m, struct res *r, struct flow *f, int k)
{
	uint32_t pos = f->slot[k];
	uint32_t last = r->flows[--r->nflows];
	if (last != f->id) {
		r->flows[pos] = last;
		struct flow *g = m->flows[last];
		int ri = (int)(r - m->res);
		for (int j = 0; j < g->nres; j++)
			if (g->res[j] == ri)
				g->slot[j] = pos;
	}
}

uint32_t flow_start(struct flow_model *m, const int *res, int nres, double bytes,
                    flow_done_fn done, void *arg)
{
	assert(nres >= 1 && nres <= FLOW_MAX_RES);
	assert(bytes >= 0 && isfinite(bytes));
	struct flow *f = flow_alloc(m);
	f->active = 1;
	f->done = done;
	f->arg = arg;
	f->bits_left = bytes * 8;
	sim_time_t now = sim_now(m->sim);
	f->t_last = now;
	m->active++;
	if (bytes == 0) {
		/* Nothing to move: completes now without occupying any resource. */
		f->ev = sim_at(m->sim, now, flow_complete, f);
		return f->id;
	}
	f->nres = nres;
	for (int k = 0; k < nres; k++) {
		assert(res[k] >= 0 && res[k] < m->nres);
		for (int j = 0; j < k; j++)
			assert(res[j] != res[k] && "flow crosses a resource twice");
		f->res[k] = res[k];
		res_add_flow(&m->res[res[k]], f, k);
	}
	/* The closure from f reaches every flow it can slow down (see the top of the file). */
	seed(m, f);
	schedule_recompute(m);
	return f->id;
}

/* Change a flow's rate at time now, keeping flow and resource accounting exact. */
static void flow_set_rate(struct flow_model *m, struct flow *f, double rate, sim_time_t now)
{
	flow_advance(f, now);
	for (int k = 0; k < f->nres; k++) {
		struct res *r = &m->res[f->res[k]];
		res_integrate(r, now);
		r->load += rate - f->rate;
		r->nupd++;
		if (r->load < 0)
			r->load = 0; /* rounding */
	}
	f->rate = rate;
}

static void flow_complete(struct sim *sim, void *arg)
{
	struct flow *f = arg;
	struct flow_model *m = f->m;
	f->ev = 0;
	flow_set_rate(m, f, 0, sim_now(sim));
	f->bits_left = 0;
	/* Only a tight resource's other flows may speed up: f was not the bottleneck of anyone
	 * on a resource that is not tight, and their bottlenecks elsewhere are unchanged. */
	for (int k = 0; k < f->nres; k++) {
		struct res *r = &m->res[f->res[k]];
		res_remove_flow(m, r, f, k);
		if (r->nflows == 0) {
			r->load = 0;
			r->nupd = 0;
			r->tight = 0;
		} else if (r->tight) {
			touch(m, f->res[k]);
		}
	}
	if (m->ntouched)
		schedule_recompute(m);
	f->active = 0;
	m->active--;
	m->free_ids[m->nfree++] = f->id;
	/* f stays allocated (ids are reused); the callback may start new flows. */
	f->done(m->sim, f->arg);
}

void flow_resource_set_capacity(struct flow_model *m, int ri, double cap_bps)
{
	assert(cap_bps >= 0 && isfinite(cap_bps));
	struct res *r = &m->res[ri];
	if (r->cap == cap_bps)
		return;
	r->cap = cap_bps;
	if (r->nflows == 0)
		return;
	/* All its flows are re-solved: their bottleneck records may be wrong now. */
	touch(m, ri);
	schedule_recompute(m);
}

/* ---- progressive filling over one component ---- */

static inline double wf_share(const struct res *r)
{
	return r->wf_rem / r->wf_cnt;
}

static void heap_swap(struct flow_model *m, int i, int j)
{
	int a = m->heap[i], b = m->heap[j];
	m->heap[i] = b;
	m->heap[j] = a;
	m->res[b].wf_pos = i;
	m->res[a].wf_pos = j;
}

/* Order: smaller share first, ties by resource id (deterministic). */
static inline int heap_less(const struct flow_model *m, int a, int b)
{
	double sa = wf_share(&m->res[a]), sb = wf_share(&m->res[b]);
	return sa < sb || (sa == sb && a < b);
}

static void heap_up(struct flow_model *m, int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;
		if (!heap_less(m, m->heap[i], m->heap[p]))
			break;
		heap_swap(m, i, p);
		i = p;
	}
}

static void heap_down(struct flow_model *m, int i)
{
	for (;;) {
		int l = 2 * i + 1, best = i;
		if (l < m->nheap && heap_less(m, m->heap[l], m->heap[best]))
			best = l;
		if (l + 1 < m->nheap && heap_less(m, m->heap[l + 1], m->heap[best]))
			best = l + 1;
		if (best == i)
			return;
		heap_swap(m, i, best);
		i = best;
	}
}

static void heap_remove(struct flow_model *m, int ri)
{
	int i = m->res[ri].wf_pos;
	assert(i >= 0);
	int last = --m->nheap;
	if (i != last) {
		heap_swap(m, i, last);
		heap_down(m, i);
		heap_up(m, i);
	}
	m->res[ri].wf_pos = -1;
}

static void comp_push(struct flow_model *m, struct flow *f)
{
	if (!f->active || f->mark == m->stamp || f->nres == 0)
		return;
	f->mark = m->stamp;
	if (m->ncomp_flows == m->comp_flows_cap) {
		m->comp_flows_cap = m->comp_flows_cap ? 2 * m->comp_flows_cap : 64;
		m->comp_flows = xreallocarray(m->comp_flows, m->comp_flows_cap, sizeof *m->comp_flows);
	}
	m->comp_flows[m->ncomp_flows++] = f->id;
}

/* All flows of resource ri join the component. */
static void comp_pull(struct flow_model *m, int ri)
{
	struct res *r = &m->res[ri];
	if (r->pulled == m->stamp)
		return;
	r->pulled = m->stamp;
	for (uint32_t i = 0; i < r->nflows; i++)
		comp_push(m, m->flows[r->flows[i]]);
}

/*
 * Closure (step 2): take the component's flows from index *done on; list the resources they
 * cross with the count and old rates of the component's flows on each; pull tight ones.
 */
static void comp_close(struct flow_model *m, uint32_t *done)
{
	for (; *done < m->ncomp_flows; (*done)++) {
		const struct flow *f = m->flows[m->comp_flows[*done]];
		for (int k = 0; k < f->nres; k++) {
			int ri = f->res[k];
			struct res *q = &m->res[ri];
			if (q->mark != m->stamp) {
				q->mark = m->stamp;
				q->c_cnt = 0;
				q->c_old = 0;
				if (m->ncomp_res == m->comp_res_cap) {
					m->comp_res_cap = m->comp_res_cap ? 2 * m->comp_res_cap : 64;
					m->comp_res = xreallocarray(m->comp_res, (size_t)m->comp_res_cap,
								    sizeof *m->comp_res);
				}
				m->comp_res[m->ncomp_res++] = ri;
			}
			q->c_cnt++;
			q->c_old += f->rate;
			if (q->tight)
				comp_pull(m, ri);
		}
	}
}

/* Fix flow f at `level`; its other resources still in the heap give that much away. */
static void wf_fix(struct flow_model *m, struct flow *f, double level)
{
	f->fixed = 1;
	f->new_rate = level;
	for (int k = 0; k < f->nres; k++) {
		struct res *q = &m->res[f->res[k]];
		if (q->wf_pos < 0)
			continue;
		q->wf_rem -= level;
		if (q->wf_rem < 0)
			q->wf_rem = 0;
		if (--q->wf_cnt == 0)
			heap_remove(m, f->res[k]);
		else
			heap_down(m, q->wf_pos);
	}
}

/* Sum r's load exactly from its flows' rates (drops the rounding of incremental updates). */
static void res_resum(struct flow_model *m, struct res *r, sim_time_t now)
{
	double load = 0;
	for (uint32_t j = 0; j < r->nflows; j++)
		load += m->flows[r->flows[j]]->rate;
	res_integrate(r, now);
	r->load = load;
	r->nupd = 0;
}

/* Put every resource crossed by the component in the filling heap (step 3). */
static void wf_init(struct flow_model *m)
{
	m->nheap = 0;
	if (m->ncomp_res > m->heap_cap) {
		m->heap_cap = m->ncomp_res;
		m->heap = xreallocarray(m->heap, (size_t)m->heap_cap, sizeof *m->heap);
	}
	for (int i = 0; i < m->ncomp_res; i++) {
		int ri = m->comp_res[i];
		struct res *q = &m->res[ri];
		q->wf_cnt = q->c_cnt;
		q->popped = 0;
		if (q->c_cnt == q->nflows) {
			q->wf_rem = q->cap;
		} else {
			/* Mixing: what the flows outside the component leave. Its load is summed
			 * afresh once it has taken more incremental updates than it has flows,
			 * which bounds the rounding at O(1) amortised cost per update. */
			if (q->nupd > q->nflows)
				res_resum(m, q, sim_now(m->sim));
			double others = q->load - q->c_old;
			q->wf_rem = others > 0 ? q->cap - others : q->cap;
			if (q->wf_rem < 0)
				q->wf_rem = 0;
		}
		q->wf_pos = m->nheap;
		m->heap[m->nheap++] = ri;
	}
	for (int i = m->nheap / 2 - 1; i >= 0; i--)
		heap_down(m, i);
	for (uint32_t i = 0; i < m->ncomp_flows; i++)
		m->flows[m->comp_flows[i]]->fixed = 0;
}

/*
 * Progressive filling over the component; sets new_rate of each of its flows. Returns -1 when
 * the result is valid, else a mixing resource whose flows must join the component (step 4).
 */
static int wf_solve(struct flow_model *m)
{
	wf_init(m);
	while (m->nheap > 0) {
		int ri = m->heap[0];
		struct res *r = &m->res[ri];
		if (r->c_cnt != r->nflows) {
			for (int i = 0; i < m->nheap; i++)
				m->res[m->heap[i]].wf_pos = -1;
			m->nheap = 0;
			return ri;
		}
		double level = wf_share(r);
		heap_remove(m, ri);
		r->popped = 1;
		/* Every flow on r is in the component (r is not mixing). */
		for (uint32_t i = 0; i < r->nflows; i++) {
			struct flow *f = m->flows[r->flows[i]];
			if (!f->fixed)
				wf_fix(m, f, level);
		}
	}
	for (int i = 0; i < m->ncomp_res; i++) {
		const struct res *q = &m->res[m->comp_res[i]];
		if (q->c_cnt != q->nflows && q->wf_rem <= FLOW_SAT_EPS * q->cap)
			return m->comp_res[i];
	}
	return -1;
}

/* Give the component's flows their new rates; settle the tight flags of its resources. */
static void comp_apply(struct flow_model *m)
{
	sim_time_t now = sim_now(m->sim);
	for (uint32_t i = 0; i < m->ncomp_flows; i++) {
		struct flow *f = m->flows[m->comp_flows[i]];
		assert(f->fixed && f->new_rate >= 0);
		if (f->new_rate != f->rate) {
			flow_set_rate(m, f, f->new_rate, now);
			flow_reschedule(m, f, now);
		}
	}
	for (int i = 0; i < m->ncomp_res; i++) {
		struct res *q = &m->res[m->comp_res[i]];
		if (q->c_cnt != q->nflows) {
			assert(!q->tight && !q->popped);
			continue;
		}
		q->tight = q->popped;
		/* All its rates were just set: drop the rounding its load accumulated. */
		res_resum(m, q, now);
	}
}

static void recompute(struct sim *sim, void *arg)
{
	struct flow_model *m = arg;
	(void)sim;
	m->recompute_ev = 0;
	m->recomputes++;
	m->stamp++;
	m->ncomp_flows = 0;
	m->ncomp_res = 0;
	/* Step 1. */
	for (uint32_t i = 0; i < m->nseeds; i++) {
		struct flow *f = m->flows[m->seeds[i]];
		f->seeded = 0;
		comp_push(m, f);
	}
	for (int i = 0; i < m->ntouched; i++) {
		m->res[m->touched[i]].touched = 0;
		comp_pull(m, m->touched[i]);
	}
	m->nseeds = 0;
	m->ntouched = 0;
	/* Steps 2-4. */
	uint32_t done = 0;
	for (;;) {
		comp_close(m, &done);
		int grow = wf_solve(m);
		if (grow < 0)
			break;
		comp_pull(m, grow);
	}
	comp_apply(m);
}

static void schedule_recompute(struct flow_model *m)
{
	if (!m->recompute_ev)
		m->recompute_ev = sim_after(m->sim, 0, recompute, m);
}

double flow_rate_bps(const struct flow_model *m, uint32_t id)
{
	assert(id < m->nflows && m->flows[id]->active);
	return m->flows[id]->rate;
}

double flow_bytes_left(struct flow_model *m, uint32_t id)
{
	assert(id < m->nflows && m->flows[id]->active);
	struct flow *f = m->flows[id];
	flow_advance(f, sim_now(m->sim));
	return f->bits_left / 8;
}

size_t flow_active(const struct flow_model *m)
{
	return m->active;
}

uint64_t flow_recomputes(const struct flow_model *m)
{
	return m->recomputes;
}
