/*
 * Flow-level network model: exact max-min fair sharing by progressive filling, recomputed
 * incrementally at the instants flows start or end or capacities change.
 *
 * Each flow f has an upper bound ub(f) = the smallest capacity among its resources. A resource
 * is "binding" when the bounds of its flows sum above its capacity; a non-binding resource can
 * never limit anyone (its flows cannot exceed their bounds, whose sum fits), so the max-min
 * problem splits into independent components: flows connected through binding resources. A
 * change re-solves only the component(s) it touches. Changes made at one instant are batched:
 * the first one schedules a single recompute event at the same instant.
 */
#include "sim/flow.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/xmalloc.h"

struct res {
	double cap;          /* capacity, bits/s */
	double demand_ub;    /* sum of ub over the flows crossing it, bits/s */
	double load;         /* sum of current rates of the flows crossing it, bits/s */
	double bits;         /* bits carried from time 0 to t_acc */
	sim_time_t t_acc;    /* time up to which `bits` is integrated, ns */
	uint32_t *flows;     /* ids of the active flows crossing it */
	uint32_t nflows;     /* entries in flows */
	uint32_t flows_cap;  /* allocated entries */
	int binding;         /* 1 if demand_ub > cap (as of the last recompute) */
	int touched;         /* 1 while on the model's touched list */
	int was_binding;     /* binding flag when first touched since the last recompute */
	uint64_t mark;       /* component-search stamp */
	double wf_rem;       /* progressive filling: capacity not yet given out, bits/s */
	uint32_t wf_cnt;     /* progressive filling: flows not yet fixed */
	int wf_pos;          /* progressive filling: position in the heap, -1 if absent */
};

struct flow {
	struct flow_model *m;         /* owner (completion events carry only the flow) */
	uint32_t id;                  /* index in m->flows */
	int active;                   /* 1 between start and completion */
	int nres;                     /* resources crossed */
	int res[FLOW_MAX_RES];        /* resource ids */
	uint32_t slot[FLOW_MAX_RES];  /* position of this flow in each resource's flows[] */
	double ub;                    /* smallest capacity among its resources, bits/s */
	double rate;                  /* current rate, bits/s */
	double new_rate;              /* progressive filling: rate being computed */
	double bits_left;             /* bits still to move as of t_last */
	sim_time_t t_last;            /* time bits_left refers to, ns */
	uint64_t ev;                  /* pending completion event, 0 if none */
	flow_done_fn done;            /* completion callback */
	void *arg;                    /* its argument */
	uint64_t mark;                /* component-search stamp */
	int fixed;                    /* progressive filling: rate settled */
	int seeded;                   /* on the seed list */
};

struct ub_entry;

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
	uint32_t nseeds, seeds_cap;
	int *touched;           /* resources changed since the last recompute */
	int ntouched, touched_cap;
	uint64_t recompute_ev;  /* pending recompute event, 0 if none */
	uint64_t stamp;         /* current component-search stamp */
	uint64_t recomputes;    /* recomputations run */
	/* Scratch for one recomputation. */
	uint32_t *comp_flows;   /* flows of the component */
	uint32_t ncomp_flows, comp_flows_cap;
	int *heap;              /* binding resources keyed by wf_rem / wf_cnt */
	int nheap, heap_cap;
	struct ub_entry *order; /* component flows sorted by bound */
	uint32_t order_cap;     /* allocated entries */
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
	for (uint32_t i = 0; i < m->nflows; i++)
		free(m->flows[i]);
	free(m->flows);
	free(m->free_ids);
	free(m->seeds);
	free(m->touched);
	free(m->comp_flows);
	free(m->heap);
	free(m->order);
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
static void res_integrate(struct flow_model *m, struct res *r)
{
	sim_time_t now = sim_now(m->sim);
	if (now > r->t_acc) {
		r->bits += r->load * (double)(now - r->t_acc) / 1e9;
		r->t_acc = now;
	}
}

double flow_resource_bits(struct flow_model *m, int res)
{
	res_integrate(m, &m->res[res]);
	return m->res[res].bits;
}

static void touch(struct flow_model *m, int ri)
{
	struct res *r = &m->res[ri];
	if (r->touched)
		return;
	r->touched = 1;
	r->was_binding = r->binding;
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

static double flow_ub(const struct flow_model *m, const struct flow *f)
{
	double ub = INFINITY;
	for (int k = 0; k < f->nres; k++)
		if (m->res[f->res[k]].cap < ub)
			ub = m->res[f->res[k]].cap;
	return ub;
}

/* Move the flow's accounting of bits left up to now at its current rate. */
static void flow_advance(struct flow_model *m, struct flow *f)
{
	sim_time_t now = sim_now(m->sim);
	if (now > f->t_last) {
		f->bits_left -= f->rate * (double)(now - f->t_last) / 1e9;
		if (f->bits_left < 0)
			f->bits_left = 0;
		f->t_last = now;
	}
}

static void flow_complete(struct sim *sim, void *arg);

/* (Re)schedule the completion event of f from its current rate. */
static void flow_reschedule(struct flow_model *m, struct flow *f)
{
	if (f->ev)
		sim_cancel(m->sim, f->ev);
	f->ev = 0;
	if (f->rate <= 0)
		return;
	double ns = f->bits_left * 1e9 / f->rate;
	f->ev = sim_after(m->sim, ns > 0 ? (sim_time_t)llround(ns) : 0, flow_complete, f);
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
		m->flows[id] = xmalloc(sizeof **m->flows);
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
	f->t_last = sim_now(m->sim);
	m->active++;
	if (bytes == 0) {
		/* Nothing to move: completes now without occupying any resource. */
		f->ev = sim_after(m->sim, 0, flow_complete, f);
		return f->id;
	}
	f->nres = nres;
	for (int k = 0; k < nres; k++) {
		assert(res[k] >= 0 && res[k] < m->nres);
		for (int j = 0; j < k; j++)
			assert(res[j] != res[k] && "flow crosses a resource twice");
		f->res[k] = res[k];
	}
	f->ub = flow_ub(m, f);
	for (int k = 0; k < nres; k++) {
		struct res *r = &m->res[res[k]];
		touch(m, res[k]);
		res_add_flow(r, f, k);
		r->demand_ub += f->ub;
	}
	seed(m, f);
	schedule_recompute(m);
	return f->id;
}

/* Change a flow's rate now, keeping flow and resource accounting exact. */
static void flow_set_rate(struct flow_model *m, struct flow *f, double rate)
{
	flow_advance(m, f);
	for (int k = 0; k < f->nres; k++) {
		struct res *r = &m->res[f->res[k]];
		res_integrate(m, r);
		r->load += rate - f->rate;
		if (r->load < 0)
			r->load = 0; /* rounding */
	}
	f->rate = rate;
}

static void flow_complete(struct sim *sim, void *arg)
{
	struct flow *f = arg;
	struct flow_model *m = f->m;
	(void)sim;
	f->ev = 0;
	flow_set_rate(m, f, 0);
	f->bits_left = 0;
	for (int k = 0; k < f->nres; k++) {
		struct res *r = &m->res[f->res[k]];
		touch(m, f->res[k]);
		res_remove_flow(m, r, f, k);
		r->demand_ub -= f->ub;
		if (r->nflows == 0) {
			r->demand_ub = 0;
			r->load = 0;
		}
	}
	if (f->nres)
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
	touch(m, ri);
	r->cap = cap_bps;
	for (uint32_t i = 0; i < r->nflows; i++) {
		struct flow *f = m->flows[r->flows[i]];
		double ub = flow_ub(m, f);
		seed(m, f);
		if (ub == f->ub)
			continue;
		for (int k = 0; k < f->nres; k++) {
			touch(m, f->res[k]);
			m->res[f->res[k]].demand_ub += ub - f->ub;
		}
		f->ub = ub;
	}
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

/* Visit a resource: queue all its flows; binding ones also enter the filling heap. */
static void comp_visit(struct flow_model *m, int ri)
{
	struct res *r = &m->res[ri];
	if (r->mark == m->stamp)
		return;
	r->mark = m->stamp;
	if (r->binding) {
		if (m->nheap == m->heap_cap) {
			m->heap_cap = m->heap_cap ? 2 * m->heap_cap : 64;
			m->heap = xreallocarray(m->heap, (size_t)m->heap_cap, sizeof *m->heap);
		}
		r->wf_rem = r->cap;
		r->wf_cnt = r->nflows;
		r->wf_pos = m->nheap;
		m->heap[m->nheap++] = ri;
	}
	for (uint32_t i = 0; i < r->nflows; i++)
		comp_push(m, m->flows[r->flows[i]]);
}

/* A flow of the component with its bound, for sorting by bound. */
struct ub_entry {
	double ub;   /* the flow's bound, bits/s */
	uint32_t id; /* flow id */
};

static int cmp_ub(const void *a, const void *b)
{
	const struct ub_entry *x = a, *y = b;
	if (x->ub != y->ub)
		return x->ub < y->ub ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/* Fix flow f at `level`; its other binding resources give that much away. */
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

/* Progressive filling over the gathered component; sets new_rate of each of its flows. */
static void wf_solve(struct flow_model *m)
{
	uint32_t n = m->ncomp_flows;
	for (uint32_t i = 0; i < n; i++)
		m->flows[m->comp_flows[i]]->fixed = 0;
	if (m->nheap == 0) {
		/* No binding resource: every flow runs at its own bound. */
		for (uint32_t i = 0; i < n; i++) {
			struct flow *f = m->flows[m->comp_flows[i]];
			f->new_rate = f->ub;
		}
		return;
	}
	for (int i = m->nheap / 2 - 1; i >= 0; i--)
		heap_down(m, i);
	/* Flows in increasing order of their own bound. */
	if (n > m->order_cap) {
		m->order_cap = n;
		m->order = xreallocarray(m->order, n, sizeof *m->order);
	}
	for (uint32_t i = 0; i < n; i++)
		m->order[i] = (struct ub_entry){ m->flows[m->comp_flows[i]]->ub, m->comp_flows[i] };
	qsort(m->order, n, sizeof *m->order, cmp_ub);
	uint32_t next = 0, unfixed = n;
	while (unfixed > 0) {
		while (next < n && m->flows[m->order[next].id]->fixed)
			next++;
		double share_f = next < n ? m->order[next].ub : INFINITY;
		double share_r = m->nheap ? wf_share(&m->res[m->heap[0]]) : INFINITY;
		if (share_f <= share_r) {
			wf_fix(m, m->flows[m->order[next].id], share_f);
			unfixed--;
			continue;
		}
		int ri = m->heap[0];
		heap_remove(m, ri);
		struct res *r = &m->res[ri];
		double level = share_r < 0 ? 0 : share_r;
		for (uint32_t i = 0; i < r->nflows; i++) {
			struct flow *f = m->flows[r->flows[i]];
			if (!f->fixed) {
				wf_fix(m, f, level);
				unfixed--;
			}
		}
	}
	assert(m->nheap == 0);
}

static void recompute(struct sim *sim, void *arg)
{
	struct flow_model *m = arg;
	(void)sim;
	m->recompute_ev = 0;
	m->recomputes++;
	m->stamp++;
	m->ncomp_flows = 0;
	m->nheap = 0;
	/* Settle the binding status of every touched resource. */
	for (int i = 0; i < m->ntouched; i++) {
		struct res *r = &m->res[m->touched[i]];
		r->binding = r->nflows > 0 && r->demand_ub > r->cap;
	}
	for (uint32_t i = 0; i < m->nseeds; i++) {
		struct flow *f = m->flows[m->seeds[i]];
		f->seeded = 0;
		comp_push(m, f);
	}
	for (int i = 0; i < m->ntouched; i++) {
		struct res *r = &m->res[m->touched[i]];
		r->touched = 0;
		if (r->binding || r->was_binding)
			comp_visit(m, m->touched[i]);
	}
	m->nseeds = 0;
	m->ntouched = 0;
	/* Close the component over binding resources. */
	for (uint32_t i = 0; i < m->ncomp_flows; i++) {
		struct flow *f = m->flows[m->comp_flows[i]];
		for (int k = 0; k < f->nres; k++)
			if (m->res[f->res[k]].binding)
				comp_visit(m, f->res[k]);
	}
	wf_solve(m);
	for (uint32_t i = 0; i < m->ncomp_flows; i++) {
		struct flow *f = m->flows[m->comp_flows[i]];
		if (f->new_rate != f->rate) {
			flow_set_rate(m, f, f->new_rate);
			flow_reschedule(m, f);
		}
	}
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
	flow_advance(m, f);
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
