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
 *
 * Processor sharing. A resource that only ever carried flows crossing nothing else (a LAN) is
 * its own component: all its n flows get rate cap / n, and every start or end changes the
 * rate of all n. Re-rating and rescheduling them one by one costs O(n) per event (O(n^2) per
 * run; 75 % of a 22-machine LAN run). Such a resource keeps instead:
 *  - a share s (the rate of each of its flows) and a virtual clock V (bits each flow has moved;
 *    advanced at each change of s). A flow joining at virtual time V with b bits finishes at
 *    virtual time F = V + b, and F never changes: flows are kept in a min-heap on F and only
 *    the earliest needs a scheduled completion event (O(log n) per start or end);
 *  - a log of the instants s changed ("merges"). The per-flow path advanced every flow's bits
 *    at each merge, b -= s * dt / 1e9 with rounding; a flow here replays those same steps from
 *    the log when its exact bits are needed (its completion time, a query), so bits, finish
 *    times (rounded to the ns exactly as before) and resource loads are bit-identical to the
 *    per-flow path. F orders flows only up to rounding: the next completion is chosen among all
 *    flows within 2 ns (plus a bound on the rounding) of the smallest F, by exact time.
 *  - the order of events at one nanosecond. The per-flow path scheduled the completions of one
 *    recompute in component order, and a flow whose rate did not change kept its event. Each
 *    recompute here reserves one handle per component position (sim_reserve); a flow's
 *    completion is scheduled under the handle of its position in the last recompute that
 *    changed its rate (sim_at_handle), so it runs exactly where it ran before. The flows of a
 *    resource that a recompute pulls sit there in slot order; a slot that a removal changes
 *    later is remembered as it was (snap_slot).
 * The first flow that crosses such a resource and another one turns it into an ordinary
 * resource for good: every flow gets its exact bits, rate and event (O(n), once).
 * A resource that carries one flow at a time (rounds of single transfers, bench_flow's peer
 * workload) takes a straight-line path for both ends of each flow: psq_solo_recompute, when
 * every change since the last recompute is a new flow alone on an idle such resource, and
 * psq_solo_complete; each does what the general path does there, store for store.
 *
 * Bottleneck groups (the general path). Every flow of a component is fixed by the popped
 * resource r whose level it gets, its bottleneck; the flows fixed by r share one rate and, r
 * being tight, are always re-solved together. They form r's group: a small heap of their
 * pending completions (time, handle), of which only the top is in the simulator's queue. A
 * recompute still re-rates each flow of the component exactly as before (flow_set_rate: the
 * same subtraction of bits at each change of its rate, the same finish time rounded to the ns,
 * the same handle base + position), so times, bits and the order of events at one ns are
 * those of one event per flow; what changes is where the events wait. Re-rating k flows used
 * to cancel k events (left in the global heap as dead entries until they surfaced) and push k
 * new ones into a heap of every pending event; now it costs k sifts in the groups' small
 * heaps and, per group whose top changed, one cancel and one push (grp_flush). A flow that
 * changes bottleneck moves to the new group with its pending completion unchanged. The same
 * handle can then be queued again after a cancel (its group's top went and came back), always
 * with the same time and flow: evq allows exactly that. Any partition of the flows into
 * groups would give the same order (the queue's minimum is the minimum of the groups'
 * minima); grouping by bottleneck makes a re-rated set of flows land in few groups.
 * Unlike the processor-sharing queue, the per-flow arithmetic stays O(1) per re-rated flow,
 * not O(1) per group: keeping results bit-identical needs each flow's bits advanced exactly
 * as the per-flow path does at each change of its rate, and a flow here, unlike on a LAN, can
 * change rate without its group (it moves between groups), so there is no single log to
 * replay; the solve is O(k log k) in the component's flows anyway.
 *
 * Whole groups at once (grp_fast). A recompute of the all-to-all shape (bsp: links L whose
 * flows all have their L as bottleneck, each also crossing its source machine's egress and its
 * destination's ingress, slack; at the end of its clock a worker starts flows on several links
 * and on its LAN at one instant) solves a component made of those links' flows and the new
 * ones: every flow of L gets cap_L / n_L. grp_fast gets there without building the component
 * or running the filling. It gives every flow the component position the full path gives
 * (seeds first, then touched resources, then the seeds' resources in seed order; a LAN keeps
 * its block of positions), and takes the filling's decisions exactly from counts per
 * neighbour q (E or I; none may be tight, else the full path runs) and link: q's filling
 * capacity is wf_init's, to the bit (its c_old is the component's equal rates summed from 0 in
 * component order, fsum_repeat per link; a mixing q is re-summed when wf_init would); the
 * links pop first, in the heap's (level, id) order, iff every q stays behind every link not
 * yet popped (checked at the start and, with a bound that rounding cannot undercut, as each
 * link pops); a link's pop costs q that level once per flow, clamped at 0
 * (fsum_repeat_clamp), which decides step 4's saturation test. Any check failing sends the
 * recompute down the full path, with nothing changed that the full path would not change the
 * same way. Then q's load takes its equal steps per link (the new flows' +level first, one by
 * one, then level - r0 per member, in component order) by fsum_repeat_clamp, in O(log k),
 * instead of one addition per flow, and each link's members are re-rated in place.
 *
 * The counts per (neighbour, link) come from the link's neighbour table (struct nbt: flows in
 * flight per resource they also cross, kept as flows start and end, built the first time the
 * link has 32 flows in such a recompute) when it is smaller than the link's flow list, so a
 * recompute walks each link's distinct neighbours and the seeds, not every flow.
 *
 * What still costs O(n) per event there, and what removing it would need (not done;
 * docs/benchmarks.md): each member's bits step, finish time (rounded to the ns), handle (its
 * slot) and entry in its group heap (re-heaped once), and the exact re-sum of a neighbour
 * whose flows the recompute covers whole (their rates differ from link to link). The first
 * four are the processor-sharing queue's machinery (a log of L's level changes replayed per
 * flow when its exact bits are needed, a tolerance scan for the earliest completion, handles
 * by slot with snapshots), generalised to flows that can leave the group: a flow must be
 * brought up to date (replayed) before any path other than grp_fast reads or changes its
 * bits, rate or event, and joins with its exact bits. tests/test_flow_solve checks any such
 * shortcut against a full solve, rate for rate, and against the model without grp_fast, load
 * for load, bits for bits (long runs, bits read mid-run) and in the same order of
 * completions. The lazy replay was built and measured when grp_fast took one link at a time
 * (branch grouplazy, reverted; docs/benchmarks.md): exact, but not faster. A member's bits
 * stay a chain of one rounding per change of L's level, replayed rather than stepped;
 * equal-sized flows of a round tie within the scan's tolerance, so each event re-derives all
 * their finish times; full solves made the group exact and grp_fast made it lazy again.
 */
#include "sim/flow.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fsum.h"
#include "lib/xmalloc.h"

/* Flow records are allocated this many at a time (flows_cap stays a multiple of it). */
#define FLOW_BLOCK 64
/* Blocks of flow records start at a multiple of this (a cache line), and a record's size is
 * a multiple of it by the static assertion below struct flow, so that a record's first
 * fields share one line. */
#define FLOW_ALIGN 64
/* res_resum sums equal rates with fsum_repeat from this many flows on (below, the plain loop
 * costs no more: fsum_repeat does two additions and a few integer steps per binade of the sum,
 * about 2 log2(n) rounds; a first version with frexp/fmod calls and no threshold took 6 % of
 * a closed loop of 10^4 flows in flight). */
#define FLOW_FSUM_MIN 64
/* Loops over a resource's flows ask for the record this many flows ahead (flow_prefetch): at
 * hundreds of machines per region a link's flows no longer fit in the caches, and each record
 * read is a miss otherwise. */
#define FLOW_PREFETCH 8
/* A mixing resource's load (kept by incremental updates, one rounding each) is summed afresh
 * from its flows' rates once it has taken more than this many updates per flow. Its drift is
 * then below FLOW_RESUM_UPD * n roundings of the load (n flows), each at most an ulp: with
 * n = 10^5, a relative 1.8e-10, under the saturation test's FLOW_SAT_EPS. It was 1 (a re-sum
 * after n updates) until a 91-machines-per-region run showed 647 million flow reads in these
 * re-sums, a tenth of its time (docs/benchmarks.md); 8 makes them 86 million, and the
 * regression outputs are identical either way. */
#define FLOW_RESUM_UPD 8
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
	uint32_t c_seeds;    /* grp_fast: how many of them are seeds (new flows) */
	uint32_t gf_ent;     /* grp_fast, a neighbour q: its entry for the link being counted */
	uint32_t gf_lo;      /* grp_fast, a link L: its entries are gf_ent[gf_lo..gf_hi) */
	uint32_t gf_hi;      /* (see gf_lo) */
	uint64_t gf_pos;     /* grp_fast, a link L: component position of its first member */
	double c_old;        /* sum of their rates before this solve, bits/s */
	double wf_rem;       /* progressive filling: capacity not yet given out, bits/s */
	uint32_t wf_cnt;     /* progressive filling: flows not yet fixed */
	double wf_lvl;       /* progressive filling: wf_rem / wf_cnt, its heap key, bits/s */
	int wf_pos;          /* progressive filling: position in the heap, -1 if absent */
	int popped;          /* progressive filling: popped from the heap (a bottleneck) */
	int shared;          /* 1 once a flow crossing other resources too crossed it */
	struct psq *psq;      /* processor-sharing state while !shared (NULL before any flow) */
	struct grp *grp;      /* flows whose bottleneck it is (NULL before the first) */
	struct nbt *nb;       /* neighbour table (NULL until grp_fast first needs one) */
	int gf_tab;          /* grp_fast, a link L: 1 if counted from its neighbour table */
};

/* A member of a bottleneck group: a flow's pending completion, (time, handle). */
struct gent {
	sim_time_t t; /* completion time, ns; SIMTIME_NEVER if none (stalled or unscheduled) */
	uint64_t h;   /* handle it runs under (orders completions at one ns) */
	uint32_t id;  /* flow id */
};

/*
 * Bottleneck group of a resource r: the general-path flows whose rate the last solve covering
 * them fixed at r's level (so all have one rate), in a min-heap on (t, h). Only the heap's top
 * has an event in the simulator's queue; a recompute that re-rates k of the group's flows
 * costs k sifts in this small heap (entries in one array) and at most one cancel and one push
 * in the global queue, instead of k cancels and k pushes there.
 */
struct grp {
	struct gent *h;      /* heap on (t, h) */
	uint32_t n;          /* entries */
	uint32_t cap;        /* allocated entries */
	int ri;              /* its resource */
	int dirty;           /* 1 while on the model's dirty list (its top may have changed) */
	uint32_t armed_id;   /* flow whose completion is in the queue, if armed_h */
	uint64_t armed_h;    /* handle of that event, 0 if none */
	sim_time_t armed_t;  /* its time, ns */
};

/*
 * Neighbour table of a resource r (kept once grp_fast has counted r's flows as a link, and
 * from then on as flows start and end): for each other resource q ever crossed by a flow of r,
 * the number of r's flows in flight crossing q. Entries are never removed (a count may be 0):
 * there are at most as many as the resources that share flows with r, so grp_fast walks them
 * instead of r's flows. Open addressing on q, linear probing.
 */
struct nbt {
	int *q;          /* entry i: the neighbour */
	uint32_t *k;     /* entry i: r's flows in flight crossing it */
	uint32_t n;      /* entries */
	uint32_t cap;    /* allocated entries */
	uint32_t *slot;  /* hash slots: entry index + 1, 0 if empty */
	uint32_t mask;   /* slots - 1 (a power of 2 minus 1) */
};

/* grp_fast's count of the flows of one link L that cross one neighbour resource q. */
struct gf_ent {
	int q;       /* the neighbour */
	uint32_t li; /* L's index in the model's gf_L (pull order) */
	uint32_t k;  /* flows of L crossing q */
	uint32_t ks; /* seeds among them */
};

/* A flow completing at the earliest time of its resource, with its handle. */
struct psq_tie {
	uint64_t q;  /* completion handle */
	uint32_t id; /* flow id */
};

/* Processor-sharing state of a resource whose flows cross nothing else (see the top). */
struct psq {
	double share;          /* rate of every joined flow, bits/s */
	double V;              /* virtual clock: bits each joined flow moved, reset to t_merge */
	sim_time_t t_merge;    /* time of the last merge (change of share), ns */
	uint64_t merge_id;     /* merges so far; keys and cached times refer to one */
	uint64_t block_base;   /* handle of slot 0 in the last merge's recompute */
	uint64_t nstep;        /* roundings since reset that F - V may carry (for the tolerance) */
	sim_time_t *lt;        /* merge log, entry i: its time, ns */
	double *ls;            /* entry i: share from then on, bits/s */
	double *ld;            /* entry i: bits a flow moved from entry i-1 to entry i */
	uint64_t log_off;      /* absolute index of entry 0 (older ones were trimmed) */
	uint32_t nlog;         /* entries held */
	uint32_t log_cap;      /* allocated entries */
	uint32_t log_trim;     /* try to trim when nlog reaches this */
	uint32_t *heap;        /* joined flows, min-heap on F */
	uint32_t nheap;        /* entries in heap */
	uint32_t heap_cap;     /* allocated entries */
	uint32_t *evs;         /* flows with a completion event scheduled */
	uint32_t nevs;         /* entries in evs */
	uint32_t evs_cap;      /* allocated entries */
	double *sums;          /* sums[n]: n copies of cap / n added in turn; NAN = not yet */
	uint32_t nsums;        /* allocated entries */
	double sums_for;       /* capacity that sums[] holds values for, bits/s */
	uint64_t block_pos;    /* recompute: component position of its slot 0 */
	int merged;            /* recompute: the share changed in this one */
	struct psq_tie *tie;    /* flows completing at the earliest time, by handle (see psq_arm) */
	uint32_t ntie;         /* entries in tie */
	uint32_t tie_head;     /* next entry of tie to complete */
	uint32_t tie_cap;      /* allocated entries */
	int tie_ok;            /* tie[tie_head..] are still the next completions, in order */
};

struct flow {
	/* First, in one cache line (records are 64-byte aligned, FLOW_ALIGN): what re-rating a
	 * group's members reads and writes (grp_fast's loop, re-heaping, exact re-sums). */
	_Alignas(FLOW_ALIGN) double rate; /* current rate, bits/s */
	double bits_left;             /* bits still to move as of t_last */
	sim_time_t t_last;            /* time bits_left refers to, ns */
	uint64_t ev;                  /* own completion event (not through a group), 0 if none */
	int grp;                      /* bottleneck group it is in (resource id), -1 if none */
	uint32_t gpos;                /* its position in that group's heap */
	int new_grp;                  /* progressive filling: resource that fixed its rate (not
				       * cleared when a record is reused: set before it is read) */
	uint8_t active;               /* 1 between start and completion */
	uint8_t fixed;                /* progressive filling: rate settled */
	uint8_t seeded;               /* on the seed list */
	uint8_t psq;                  /* 1: crosses one processor-sharing resource alone */
	uint8_t joined;               /* ps: has the share (0 from start to the recompute) */
	double new_rate;              /* progressive filling: rate being computed */
	/* The rest. */
	struct flow_model *m;         /* owner (completion events carry only the flow) */
	uint32_t id;                  /* its id (flow_of(m, id) is this record) */
	int nres;                     /* resources crossed */
	int res[FLOW_MAX_RES];        /* resource ids */
	uint32_t slot[FLOW_MAX_RES];  /* position of this flow in each resource's flows[] */
	flow_done_fn done;            /* completion callback */
	void *arg;                    /* its argument */
	uint64_t mark;                /* stamp: in the current component */
	/* Not cleared when a record is reused (flow_alloc): set before it is read. */
	uint64_t pos;                 /* position in the current component (handle offset) */
};

/* 160 bytes of fields padded to 192 by the alignment: every record's first line aligned. */
_Static_assert(sizeof(struct flow) % FLOW_ALIGN == 0 && offsetof(struct flow, new_rate) < 64,
	       "struct flow: size a multiple of FLOW_ALIGN, hot fields in its first line");

/* What a flow on a processor-sharing resource adds (m->psf[id]); set when it joins. */
struct psq_flow {
	double F;           /* virtual finish: V at joining + bits, bits */
	uint64_t q;         /* completion handle while q_id is the current merge */
	uint64_t q_id;      /* merge that q belongs to */
	uint64_t snap_id;   /* merge at which snap_slot was recorded */
	uint64_t e_id;      /* merge for which e_at holds */
	sim_time_t e_at;    /* completion time, ns; SIMTIME_NEVER if none */
	uint64_t k;         /* absolute log index of the next merge to replay */
	uint32_t snap_slot; /* slot in the resource at merge snap_id */
	int hpos;           /* position in the resource's heap */
};

struct flow_model {
	struct sim *sim;        /* simulator the model schedules on */
	struct res *res;        /* resources by id */
	int nres;               /* resources in use */
	int res_cap;            /* allocated */
	struct flow **blk;      /* flow records by id / FLOW_BLOCK (flow_of; allocated once, reused):
				 * a block table 64 times smaller than a pointer per id stays in the
				 * caches, so reaching a record costs one miss, not two */
	struct psq_flow *psf;     /* processor-sharing part of each flow, by id */
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
	uint64_t npos;          /* component positions handed out (pulled resources count whole) */
	int *psq_list;           /* processor-sharing resources in the current recompute */
	int nps_list;           /* entries in psq_list */
	int psq_list_cap;        /* allocated entries */
	uint32_t *stack;        /* scratch: heap positions to visit when choosing a completion */
	uint32_t stack_cap;     /* allocated entries */
	int *dirty;             /* groups whose top may have changed since they were armed */
	int ndirty;             /* entries in dirty */
	int dirty_cap;          /* allocated entries */
	int check_full;         /* 1: check the whole model after each recompute (tests) */
	int solve_all;          /* 1: every recompute re-solves every active flow (tests) */
	int no_fast;            /* 1: never take grp_fast (tests) */
	int *gf_L;              /* grp_fast: the links pulled whole, in pull order */
	int gf_nL;              /* entries in gf_L */
	int gf_L_cap;           /* allocated entries */
	int *gf_pop;            /* grp_fast: the same links in pop order, (level, id) */
	int gf_pop_cap;         /* allocated entries */
	struct gf_ent *gf_ent;  /* grp_fast: (neighbour, link) counts, in pull order of links */
	uint32_t gf_nent;       /* entries in gf_ent */
	uint32_t gf_ent_cap;    /* allocated entries */
	uint64_t gf_runs[4];    /* grp_fast taken: in all, over >= 2 links, with processor sharing,
				 * links counted from neighbour tables */
};

/* The record of flow id. */
static inline struct flow *flow_of(const struct flow_model *m, uint32_t id)
{
	return m->blk[id / FLOW_BLOCK] + id % FLOW_BLOCK;
}

static void schedule_recompute(struct flow_model *m);
#ifndef NDEBUG
static int check_recompute(const struct flow_model *m);
#endif
static void flow_complete(struct sim *sim, void *arg);
static void nb_flow(struct flow_model *m, const struct flow *f, int d);

/* A hint that the memory at p is read soon (no effect on results). */
static inline void prefetch(const void *p)
{
#if defined(__GNUC__)
	__builtin_prefetch(p);
#else
	(void)p;
#endif
}

/* The same for the part of f's record that a re-rating reads and writes (its first line). */
static inline void flow_prefetch(const struct flow *f)
{
	prefetch(f);
}

static inline struct psq_flow *psf_of(const struct flow_model *m, const struct flow *f)
{
	return &m->psf[f->id];
}

static void psq_free(struct psq *p)
{
	if (!p)
		return;
	free(p->lt);
	free(p->ls);
	free(p->ld);
	free(p->heap);
	free(p->evs);
	free(p->sums);
	free(p->tie);
	free(p);
}

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
	for (int i = 0; i < m->nres; i++) {
		free(m->res[i].flows);
		psq_free(m->res[i].psq);
		if (m->res[i].grp)
			free(m->res[i].grp->h);
		free(m->res[i].grp);
		if (m->res[i].nb) {
			free(m->res[i].nb->q);
			free(m->res[i].nb->k);
			free(m->res[i].nb->slot);
			free(m->res[i].nb);
		}
	}
	free(m->res);
	for (uint32_t i = 0; i < m->nflows; i += FLOW_BLOCK)
		free(m->blk[i / FLOW_BLOCK]);
	free(m->blk);
	free(m->psf);
	free(m->free_ids);
	free(m->seeds);
	free(m->touched);
	free(m->comp_flows);
	free(m->comp_res);
	free(m->heap);
	free(m->psq_list);
	free(m->stack);
	free(m->dirty);
	free(m->gf_L);
	free(m->gf_pop);
	free(m->gf_ent);
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
		/* An idle resource (load 0; loads are never negative) adds +0 * a finite value, which
		 * leaves bits as they are: skipped (a multiplication and a division). */
		if (r->load != 0)
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

/*
 * When a flow with `bits` left at time now, moving at `rate`, completes: now + the time to
 * move them rounded to the ns, or SIMTIME_NEVER for a stalled flow or a finish beyond the last
 * representable time (9.2e18 < 2^63 keeps llround in range).
 */
static sim_time_t finish_time(sim_time_t now, double bits, double rate)
{
	if (rate <= 0)
		return SIMTIME_NEVER;
	double ns = bits * 1e9 / rate;
	if (!(ns < 9.2e18))
		return SIMTIME_NEVER;
	/* llround (half away from zero) without the library call: ns is in (0, 9.2e18), so the
	 * truncation fits, and ns - d is exact (below 2^53 both are doubles 1 apart at most;
	 * from there on ns is an integer and the difference is 0). */
	sim_time_t d = 0;
	if (ns > 0) {
		d = (sim_time_t)ns;
		d += ns - (double)d >= 0.5; /* no branch: the fraction is as likely above as below */
	}
	if (d > SIMTIME_NEVER - 1 - now)
		return SIMTIME_NEVER;
	return now + d;
}

/* ---- bottleneck groups (see struct grp) ---- */

static inline int gent_before(const struct gent *a, const struct gent *b)
{
	return a->t < b->t || (a->t == b->t && a->h < b->h);
}

static struct grp *grp_of(struct flow_model *m, int ri)
{
	struct res *r = &m->res[ri];
	if (!r->grp) {
		r->grp = xcalloc(1, sizeof *r->grp);
		r->grp->ri = ri;
	}
	return r->grp;
}

static inline void grp_set(struct flow_model *m, struct grp *g, uint32_t i, struct gent e)
{
	g->h[i] = e;
	flow_of(m, e.id)->gpos = i;
}

static void grp_up(struct flow_model *m, struct grp *g, uint32_t i)
{
	struct gent e = g->h[i];
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!gent_before(&e, &g->h[parent]))
			break;
		grp_set(m, g, i, g->h[parent]);
		i = parent;
	}
	grp_set(m, g, i, e);
}

static void grp_down(struct flow_model *m, struct grp *g, uint32_t i)
{
	struct gent e = g->h[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= g->n)
			break;
		if (c + 1 < g->n && gent_before(&g->h[c + 1], &g->h[c]))
			c++;
		if (!gent_before(&g->h[c], &e))
			break;
		grp_set(m, g, i, g->h[c]);
		i = c;
	}
	grp_set(m, g, i, e);
}

/* Group ri's top may have changed: arm it at the next recompute's end. */
static void grp_mark(struct flow_model *m, struct grp *g)
{
	if (g->dirty)
		return;
	g->dirty = 1;
	if (m->ndirty == m->dirty_cap) {
		m->dirty_cap = m->dirty_cap ? 2 * m->dirty_cap : 64;
		m->dirty = xreallocarray(m->dirty, (size_t)m->dirty_cap, sizeof *m->dirty);
	}
	m->dirty[m->ndirty++] = g->ri;
}

/* Put f, with pending completion e, into the group of resource ri. */
static void grp_insert(struct flow_model *m, int ri, struct flow *f, struct gent e)
{
	struct grp *g = grp_of(m, ri);
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 8;
		g->h = xreallocarray(g->h, g->cap, sizeof *g->h);
	}
	f->grp = ri;
	g->h[g->n] = e;
	grp_up(m, g, g->n++);
}

/* Take f out of its group; returns its entry. */
static struct gent grp_remove(struct flow_model *m, struct flow *f)
{
	struct grp *g = m->res[f->grp].grp;
	uint32_t i = f->gpos;
	assert(i < g->n && g->h[i].id == f->id);
	struct gent e = g->h[i];
	f->grp = -1;
	struct gent last = g->h[--g->n];
	if (i < g->n) {
		grp_set(m, g, i, last);
		grp_down(m, g, i);
		grp_up(m, g, flow_of(m, last.id)->gpos);
	}
	return e;
}

/* Move f into the group of resource ri, keeping its pending completion. */
static void grp_move(struct flow_model *m, struct flow *f, int ri)
{
	struct gent e = { SIMTIME_NEVER, 0, f->id };
	if (f->grp >= 0) {
		grp_mark(m, m->res[f->grp].grp);
		e = grp_remove(m, f);
	}
	grp_insert(m, ri, f, e);
	grp_mark(m, m->res[ri].grp);
}

static void grp_fire(struct sim *sim, void *arg);

/* Make the queue hold exactly the completion of g's top (none if it has none). */
static void grp_arm(struct flow_model *m, struct grp *g)
{
	const struct gent *top = g->n ? &g->h[0] : NULL;
	int want = top && top->t != SIMTIME_NEVER;
	if (g->armed_h) {
		if (want && g->armed_h == top->h && g->armed_t == top->t && g->armed_id == top->id)
			return;
		sim_cancel(m->sim, g->armed_h);
		g->armed_h = 0;
	}
	if (!want)
		return;
	/* The handle may have been pushed and cancelled before, always with this time and
	 * flow (a flow's handle changes whenever its time does): the queue allows that. */
	sim_at_handle(m->sim, top->t, top->h, grp_fire, flow_of(m, top->id));
	g->armed_h = top->h;
	g->armed_t = top->t;
	g->armed_id = top->id;
}

/* Arm every group marked since the last flush. */
static void grp_flush(struct flow_model *m)
{
	for (int i = 0; i < m->ndirty; i++) {
		struct grp *g = m->res[m->dirty[i]].grp;
		g->dirty = 0;
		grp_arm(m, g);
	}
	m->ndirty = 0;
}

/* The completion of a group's top is due. */
static void grp_fire(struct sim *sim, void *arg)
{
	struct flow *f = arg;
	struct grp *g = f->m->res[f->grp].grp;
	assert(g->armed_h && g->armed_id == f->id && g->h[0].id == f->id);
	g->armed_h = 0;
	flow_complete(sim, f);
}

/* (Re)schedule the completion of f (in a group) from its current rate under a reserved handle. */
static void flow_reschedule(struct flow_model *m, struct flow *f, sim_time_t now,
			    uint64_t handle)
{
	if (f->ev)
		sim_cancel(m->sim, f->ev); /* its own event from processor-sharing days */
	f->ev = 0;
	sim_time_t t = finish_time(now, f->bits_left, f->rate);
	struct grp *g = m->res[f->grp].grp;
	uint32_t i = f->gpos;
	struct gent old = g->h[i];
	g->h[i] = (struct gent){ t, t != SIMTIME_NEVER ? handle : 0, f->id };
	if (gent_before(&g->h[i], &old))
		grp_up(m, g, i);
	else
		grp_down(m, g, i);
	grp_mark(m, g);
}

/* ---- processor-sharing resources (see the top of the file) ---- */

static void psq_log_append(struct psq *p, sim_time_t t, double share, double d)
{
	if (p->nlog == p->log_cap) {
		p->log_cap = p->log_cap ? 2 * p->log_cap : 64;
		p->lt = xreallocarray(p->lt, p->log_cap, sizeof *p->lt);
		p->ls = xreallocarray(p->ls, p->log_cap, sizeof *p->ls);
		p->ld = xreallocarray(p->ld, p->log_cap, sizeof *p->ld);
	}
	p->lt[p->nlog] = t;
	p->ls[p->nlog] = share;
	p->ld[p->nlog] = d;
	p->nlog++;
}

/*
 * Apply to f the merges it has not seen: exactly the steps flow_advance took on the per-flow
 * path at each change of rate (same operands in the same order). Clamping at 0 only at the
 * end gives the same result: the steps only subtract, so once below 0 the value stays there.
 */
static void psq_replay(struct psq *p, struct flow *f, struct psq_flow *pf)
{
	uint64_t end = p->log_off + p->nlog;
	uint64_t j = pf->k;
	pf->k = end;
	/* Merges at t_last (it was advanced there already) change nothing. */
	while (j < end && p->lt[j - p->log_off] <= f->t_last)
		j++;
	if (j == end)
		return;
	uint32_t i = (uint32_t)(j - p->log_off);
	assert(i > 0);
	/* From t_last to merge i the flow moved at the share set by merge i - 1; from then on,
	 * merge to merge, ld[] holds each step (0 between two merges at one instant, where the
	 * per-flow path did nothing: subtracting +0 changes nothing either). */
	double b = f->bits_left - (f->t_last == p->lt[i - 1]
					   ? p->ld[i]
					   : p->ls[i - 1] * (double)(p->lt[i] - f->t_last) / 1e9);
	for (i++; i < p->nlog; i++)
		b -= p->ld[i];
	f->bits_left = b < 0 ? 0 : b;
	f->t_last = p->lt[p->nlog - 1];
}

/* Drop log entries no joined flow of r needs any more (amortised O(1) per merge). */
static void psq_trim(struct flow_model *m, struct res *r)
{
	struct psq *p = r->psq;
	if (p->nlog < p->log_trim)
		return;
	uint64_t kmin = p->log_off + p->nlog;
	for (uint32_t i = 0; i < r->nflows; i++) {
		const struct flow *f = flow_of(m, r->flows[i]);
		if (f->joined && psf_of(m, f)->k < kmin)
			kmin = psf_of(m, f)->k;
	}
	/* Replaying entry kmin reads entry kmin - 1. */
	uint64_t keep = kmin > p->log_off ? kmin - 1 : p->log_off;
	uint32_t drop = (uint32_t)(keep - p->log_off);
	if (drop) {
		uint32_t n = p->nlog - drop;
		memmove(p->lt, p->lt + drop, n * sizeof *p->lt);
		memmove(p->ls, p->ls + drop, n * sizeof *p->ls);
		memmove(p->ld, p->ld + drop, n * sizeof *p->ld);
		p->nlog = n;
		p->log_off += drop;
	}
	p->log_trim = 2 * p->nlog > r->nflows ? 2 * p->nlog : r->nflows;
	if (p->log_trim < 64)
		p->log_trim = 64;
}

/* Completion time of joined flow f under its current key (computed at most once per merge). */
static sim_time_t psq_event_time(struct psq *p, struct flow *f, struct psq_flow *pf)
{
	if (pf->e_id != p->merge_id) {
		/* Rescheduled at the last merge, from its bits then. */
		psq_replay(p, f, pf);
		assert(f->t_last == p->t_merge);
		pf->e_at = finish_time(p->t_merge, f->bits_left, p->share);
		pf->e_id = p->merge_id;
	}
	return pf->e_at;
}

/* Handle f's completion is (or would be) scheduled under. */
static uint64_t psq_key(const struct psq *p, const struct flow *f, const struct psq_flow *pf)
{
	if (pf->q_id == p->merge_id)
		return pf->q;
	uint32_t slot = pf->snap_id == p->merge_id ? pf->snap_slot : f->slot[0];
	return p->block_base + slot;
}

/* Move t[i] down the max-heap t[0..n) on q. */
static void psq_tie_sift(struct psq_tie *t, uint32_t n, uint32_t i)
{
	struct psq_tie x = t[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && t[c + 1].q > t[c].q)
			c++;
		if (t[c].q <= x.q)
			break;
		t[i] = t[c];
		i = c;
	}
	t[i] = x;
}

/* Sort by handle (the order of completions at one time), in place: insertion sort for a few,
 * heapsort beyond (no allocation, O(n log n)). */
static void psq_tie_sort(struct psq_tie *t, uint32_t n)
{
	if (n <= 16) {
		for (uint32_t i = 1; i < n; i++) {
			struct psq_tie x = t[i];
			uint32_t j = i;
			for (; j > 0 && t[j - 1].q > x.q; j--)
				t[j] = t[j - 1];
			t[j] = x;
		}
		return;
	}
	for (uint32_t i = n / 2; i-- > 0;)
		psq_tie_sift(t, n, i);
	for (uint32_t end = n - 1; end > 0; end--) {
		struct psq_tie top = t[0];
		t[0] = t[end];
		t[end] = top;
		psq_tie_sift(t, end, 0);
	}
}

static inline int psq_less(const struct flow_model *m, uint32_t a, uint32_t b)
{
	double fa = m->psf[a].F, fb = m->psf[b].F;
	return fa < fb || (fa == fb && a < b);
}

static void psq_heap_set(struct flow_model *m, struct psq *p, uint32_t i, uint32_t id)
{
	p->heap[i] = id;
	m->psf[id].hpos = (int)i;
}

static void psq_heap_up(struct flow_model *m, struct psq *p, uint32_t i)
{
	uint32_t id = p->heap[i];
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!psq_less(m, id, p->heap[parent]))
			break;
		psq_heap_set(m, p, i, p->heap[parent]);
		i = parent;
	}
	psq_heap_set(m, p, i, id);
}

static void psq_heap_down(struct flow_model *m, struct psq *p, uint32_t i)
{
	uint32_t id = p->heap[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= p->nheap)
			break;
		if (c + 1 < p->nheap && psq_less(m, p->heap[c + 1], p->heap[c]))
			c++;
		if (!psq_less(m, p->heap[c], id))
			break;
		psq_heap_set(m, p, i, p->heap[c]);
		i = c;
	}
	psq_heap_set(m, p, i, id);
}

static void psq_heap_insert(struct flow_model *m, struct psq *p, struct flow *f)
{
	if (p->nheap == p->heap_cap) {
		p->heap_cap = p->heap_cap ? 2 * p->heap_cap : 16;
		p->heap = xreallocarray(p->heap, p->heap_cap, sizeof *p->heap);
	}
	p->heap[p->nheap] = f->id;
	psq_heap_up(m, p, p->nheap++);
}

static void psq_heap_remove(struct flow_model *m, struct psq *p, struct flow *f)
{
	uint32_t i = (uint32_t)psf_of(m, f)->hpos;
	assert(psf_of(m, f)->hpos >= 0 && p->heap[i] == f->id);
	psf_of(m, f)->hpos = -1;
	uint32_t last = p->heap[--p->nheap];
	if (i == p->nheap)
		return;
	psq_heap_set(m, p, i, last);
	psq_heap_down(m, p, i);
	psq_heap_up(m, p, (uint32_t)m->psf[last].hpos);
}

static void psq_evs_remove(struct psq *p, const struct flow *f)
{
	for (uint32_t i = 0; i < p->nevs; i++)
		if (p->evs[i] == f->id) {
			p->evs[i] = p->evs[--p->nevs];
			return;
		}
	assert(0 && "flow without a recorded event");
}

/* Append (handle q, flow id) to p's tie list. */
static void psq_tie_push(struct psq *p, uint64_t q, uint32_t id)
{
	if (p->ntie == p->tie_cap) {
		p->tie_cap = p->tie_cap ? 2 * p->tie_cap : 16;
		p->tie = xreallocarray(p->tie, p->tie_cap, sizeof *p->tie);
	}
	p->tie[p->ntie++] = (struct psq_tie){ q, id };
}

/*
 * Find the earliest completion of p's flows by (time, handle) and gather into p->tie all flows
 * completing at that time, in handle order. Flows are ordered by F only up to rounding, so the
 * exact times of all flows within 2 ns (plus a bound on the difference between F - V and the
 * per-flow path's bits) of the smallest F decide; any other flow completes >= 1 ns later.
 */
static void psq_scan(struct flow_model *m, struct psq *p)
{
	p->tie_head = 0;
	if (p->nheap == 1) {
		/* One flow (a link in a round of single transfers): it is the candidate. */
		struct flow *f = flow_of(m, p->heap[0]);
		p->ntie = 0;
		if (psq_event_time(p, f, psf_of(m, f)) != SIMTIME_NEVER)
			psq_tie_push(p, psq_key(p, f, psf_of(m, f)), f->id);
		p->tie_ok = 1;
		return;
	}
	double fmin = m->psf[p->heap[0]].F;
	double tol = (double)(p->nstep + 16) * 0x1p-50 * (fabs(fmin) + fabs(p->V));
	double lim = fmin + p->share * 2e-9 + 4 * tol;
	if (m->stack_cap < p->nheap) {
		m->stack_cap = p->nheap;
		m->stack = xreallocarray(m->stack, m->stack_cap, sizeof *m->stack);
	}
	sim_time_t best_t = SIMTIME_NEVER;
	p->ntie = 0;
	uint32_t nst = 0;
	m->stack[nst++] = 0;
	while (nst) {
		uint32_t i = m->stack[--nst];
		struct flow *f = flow_of(m, p->heap[i]);
		if (psf_of(m, f)->F > lim)
			continue;
		for (uint32_t c = 2 * i + 1; c <= 2 * i + 2 && c < p->nheap; c++)
			m->stack[nst++] = c;
		sim_time_t t = psq_event_time(p, f, psf_of(m, f));
		if (t == SIMTIME_NEVER || t > best_t)
			continue;
		if (t < best_t) {
			best_t = t;
			p->ntie = 0;
		}
		psq_tie_push(p, psq_key(p, f, psf_of(m, f)), f->id);
	}
	psq_tie_sort(p->tie, p->ntie);
	p->tie_ok = 1;
}

/*
 * Make sure the earliest completion of resource ri, by (time, handle), is scheduled. The tie
 * list holds the flows completing at the earliest time in handle order; it stays right while
 * they complete one by one (each the earliest of those left, any other flow being later) and
 * is rebuilt after the list runs out or a recompute touches the resource.
 */
static void psq_arm(struct flow_model *m, int ri)
{
	struct psq *p = m->res[ri].psq;
	if (p->nheap == 0 || !(p->share > 0))
		return;
	if (!p->tie_ok || p->tie_head == p->ntie)
		psq_scan(m, p);
	if (p->tie_head == p->ntie)
		return; /* nothing completes in representable time */
	const struct psq_tie *next = &p->tie[p->tie_head];
	struct flow *best = flow_of(m, next->id);
	if (best->ev)
		return;
	best->ev = sim_at_handle(m->sim, psf_of(m, best)->e_at, next->q, flow_complete, best);
	if (p->nevs == p->evs_cap) {
		p->evs_cap = p->evs_cap ? 2 * p->evs_cap : 8;
		p->evs = xreallocarray(p->evs, p->evs_cap, sizeof *p->evs);
	}
	p->evs[p->nevs++] = best->id;
}

/* Load of r after a recompute: its n equal rates summed in turn, as res_resum does. */
static double psq_load(struct res *r)
{
	struct psq *p = r->psq;
	uint32_t n = r->nflows;
	if (p->sums_for != r->cap || n >= p->nsums) {
		uint32_t cap = p->sums_for != r->cap ? 0 : p->nsums;
		uint32_t want = n >= p->nsums ? 2 * n + 16 : p->nsums;
		if (want > p->nsums)
			p->sums = xreallocarray(p->sums, want, sizeof *p->sums);
		for (uint32_t i = cap; i < want; i++)
			p->sums[i] = NAN;
		p->nsums = want;
		p->sums_for = r->cap;
	}
	if (isnan(p->sums[n])) {
		double load = 0;
		for (uint32_t j = 0; j < n; j++)
			load += p->share;
		p->sums[n] = load;
	}
	return p->sums[n];
}

/*
 * Recompute, before the flows' new rates are given out: settle r's share and, if it changed
 * (a merge), its log, virtual clock and keys; base = the recompute's first handle.
 */
static void psq_begin(struct flow_model *m, int ri, uint64_t base, sim_time_t now)
{
	struct res *r = &m->res[ri];
	struct psq *p = r->psq;
	res_integrate(r, now);
	assert(r->nflows > 0);
	/* The level progressive filling gives (x / 1 is x exactly: one flow skips the division). */
	double share = r->nflows == 1 ? r->cap : r->cap / r->nflows;
	p->merged = 0;
	p->tie_ok = 0; /* joins and merges change the order */
	if (p->nheap == 0) {
		/* No flow has the share yet: start afresh. */
		assert(p->nevs == 0);
		p->nlog = 0;
		p->log_off = 0;
		p->log_trim = 64;
		p->V = 0;
		p->nstep = 0;
		psq_log_append(p, now, share, 0);
	} else if (share != p->share) {
		assert(r->pulled == m->stamp);
		double d = p->share * (double)(now - p->t_merge) / 1e9;
		p->V += d;
		p->nstep++;
		psq_log_append(p, now, share, d);
		p->block_base = base + p->block_pos;
		for (uint32_t i = 0; i < p->nevs; i++) {
			struct flow *f = flow_of(m, p->evs[i]);
			sim_cancel(m->sim, f->ev);
			f->ev = 0;
		}
		p->nevs = 0;
	} else {
		return;
	}
	p->merge_id++;
	p->share = share;
	p->t_merge = now;
	p->merged = 1;
	psq_trim(m, r);
}

/* Recompute: seed f of a processor-sharing resource takes the share. */
static void psq_join(struct flow_model *m, struct flow *f, uint64_t base, sim_time_t now)
{
	struct psq *p = m->res[f->res[0]].psq;
	double v = p->merged ? p->V : p->V + p->share * (double)(now - p->t_merge) / 1e9;
	p->nstep += !p->merged;
	assert(f->t_last == now);
	psf_of(m, f)->F = v + f->bits_left;
	psf_of(m, f)->q = base + f->pos;
	psf_of(m, f)->q_id = p->merge_id;
	psf_of(m, f)->k = p->log_off + p->nlog;
	psf_of(m, f)->e_at = finish_time(now, f->bits_left, p->share);
	psf_of(m, f)->e_id = p->merge_id;
	f->joined = 1;
	psq_heap_insert(m, p, f);
}

/* Recompute, after: r's load as the per-flow path sums it; schedule its next completion. */
static void psq_end(struct flow_model *m, int ri)
{
	struct res *r = &m->res[ri];
	r->load = psq_load(r);
	r->nupd = 0;
	r->tight = 1; /* progressive filling pops it */
	psq_arm(m, ri);
}

/*
 * psq_begin, psq_join, psq_end for a flow f alone on its processor-sharing resource r, which
 * no flow held the share of (r->psq->nheap == 0), f's completion going under handle q: the
 * same stores, in a straight line. psq_begin starts r afresh (its log holds one merge, at
 * now, of share cap / 1 = cap), psq_join gives f the share (F = V + bits with V = 0), psq_end
 * sums the load (psq_load), marks r tight and arms f's completion (psq_arm, which would also
 * build a tie list of one entry: left marked stale instead, which only makes a later
 * psq_arm rebuild it).
 */
static void psq_solo(struct flow_model *m, struct flow *f, uint64_t q, sim_time_t now)
{
	struct res *r = &m->res[f->res[0]];
	struct psq *p = r->psq;
	struct psq_flow *pf = psf_of(m, f);
	res_integrate(r, now);
	assert(r->nflows == 1 && p->nheap == 0 && p->nevs == 0);
	p->tie_ok = 0;
	p->nlog = 0;
	p->log_off = 0;
	p->log_trim = 64;
	p->V = 0;
	p->nstep = 0;
	if (p->log_cap) {
		/* psq_log_append into the empty log, which has room. */
		p->lt[0] = now;
		p->ls[0] = r->cap;
		p->ld[0] = 0;
		p->nlog = 1;
	} else {
		psq_log_append(p, now, r->cap, 0);
	}
	p->merge_id++;
	p->share = r->cap;
	p->t_merge = now;
	p->merged = 1;
	assert(f->t_last == now);
	pf->F = p->V + f->bits_left;
	pf->q = q;
	pf->q_id = p->merge_id;
	pf->k = 1;
	pf->e_at = finish_time(now, f->bits_left, p->share);
	pf->e_id = p->merge_id;
	f->joined = 1;
	if (p->heap_cap == 0) {
		p->heap_cap = 16;
		p->heap = xreallocarray(p->heap, p->heap_cap, sizeof *p->heap);
	}
	p->heap[0] = f->id;
	pf->hpos = 0;
	p->nheap = 1;
	/* psq_load: its table's entry for one flow when it holds one for this capacity. */
	r->load = p->sums_for == r->cap && p->nsums > 1 && !isnan(p->sums[1]) ? p->sums[1]
									     : psq_load(r);
	r->nupd = 0;
	r->tight = 1;
	/* psq_arm would build the tie list (f alone); it is left stale (tie_ok = 0) instead, one
	 * cache line less per flow: only psq_arm and flow_complete read it, and neither does
	 * before psq_begin or psq_solo has reset it, except psq_solo_complete, which does not. */
	if (!(p->share > 0) || pf->e_at == SIMTIME_NEVER)
		return;
	assert(!f->ev);
	f->ev = sim_at_handle(m->sim, pf->e_at, q, flow_complete, f);
	if (p->nevs == p->evs_cap) {
		p->evs_cap = p->evs_cap ? 2 * p->evs_cap : 8;
		p->evs = xreallocarray(p->evs, p->evs_cap, sizeof *p->evs);
	}
	p->evs[p->nevs++] = f->id;
}

/*
 * Recompute of a round of single transfers (the peer workload: every link carries one flow at
 * a time), without the component machinery: every change since the last recompute is a new
 * flow alone on a processor-sharing resource that no flow holds the share of (nothing
 * touched). The full path would make each seed a component position of its own (in seed
 * order), pull nothing (an idle resource is not tight), solve nothing, and run psq_begin for
 * each seed's resource, then psq_join for each seed, then psq_end for each resource, in seed
 * order. The resources are distinct (each holds one flow), so doing the three per seed in turn
 * changes, and schedules, exactly the same. Returns 0, having changed nothing, otherwise.
 */
static int psq_solo_recompute(struct flow_model *m)
{
	if (m->ntouched || m->nseeds == 0 || m->solve_all)
		return 0;
	for (uint32_t i = 0; i < m->nseeds; i++) {
		const struct flow *f = flow_of(m, m->seeds[i]);
		if (!f->psq || !f->active)
			return 0;
		const struct res *r = &m->res[f->res[0]];
		if (r->nflows != 1 || r->tight || r->psq->nheap != 0)
			return 0;
	}
	sim_time_t now = sim_now(m->sim);
	uint64_t base = sim_reserve(m->sim, m->nseeds);
	for (uint32_t i = 0; i < m->nseeds; i++) {
		struct flow *f = flow_of(m, m->seeds[i]);
		f->seeded = 0;
		f->mark = m->stamp;
		f->pos = i;
		psq_solo(m, f, base + i, now);
	}
	m->nseeds = 0;
	return 1;
}

/* A flow crossing ri and another resource arrives: give ri's flows their own state for good. */
static void psq_convert(struct flow_model *m, int ri)
{
	struct res *r = &m->res[ri];
	struct psq *p = r->psq;
	r->shared = 1;
	if (!p)
		return;
	for (uint32_t i = 0; i < r->nflows; i++) {
		struct flow *f = flow_of(m, r->flows[i]);
		f->psq = 0;
		psf_of(m, f)->hpos = -1;
		if (!f->joined)
			continue; /* still a seed: the recompute will rate it */
		sim_time_t t = psq_event_time(p, f, psf_of(m, f));
		uint64_t q = psq_key(p, f, psf_of(m, f));
		psq_replay(p, f, psf_of(m, f));
		f->rate = p->share;
		if (!f->ev && t != SIMTIME_NEVER)
			f->ev = sim_at_handle(m->sim, t, q, flow_complete, f);
	}
	psq_free(p);
	r->psq = NULL;
}

static struct flow *flow_alloc(struct flow_model *m)
{
	uint32_t id;
	if (m->nfree) {
		id = m->free_ids[--m->nfree];
	} else {
		if (m->nflows == m->flows_cap) {
			m->flows_cap = m->flows_cap ? 2 * m->flows_cap : FLOW_BLOCK;
			m->blk = xreallocarray(m->blk, m->flows_cap / FLOW_BLOCK, sizeof *m->blk);
			m->psf = xreallocarray(m->psf, m->flows_cap, sizeof *m->psf);
			m->free_ids = xreallocarray(m->free_ids, m->flows_cap, sizeof *m->free_ids);
		}
		id = m->nflows++;
		/* Flows live in blocks of FLOW_BLOCK (fewer allocations, better locality). */
		if (id % FLOW_BLOCK == 0)
			m->blk[id / FLOW_BLOCK] =
				xcalloc_aligned(FLOW_ALIGN, FLOW_BLOCK, sizeof **m->blk);
	}
	struct flow *f = flow_of(m, id);
	/* Field by field rather than memset: a memset of the record compiles to `rep stosq`,
	 * whose start-up cost was 8 % of a start + completion on the peer workload (perf).
	 * res[] and slot[] are read only below nres and written by flow_start first. */
	f->m = m;
	f->id = id;
	f->nres = 0;
	f->rate = 0;
	f->new_rate = 0;
	f->bits_left = 0;
	f->t_last = 0;
	f->ev = 0;
	f->done = NULL;
	f->arg = NULL;
	f->mark = 0;
	f->active = 0;
	f->fixed = 0;
	f->seeded = 0;
	f->psq = 0;
	f->joined = 0;
	f->grp = -1;
	f->gpos = 0;
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
		struct flow *g = flow_of(m, last);
		if (g->psq) {
			/* Its completion handle may depend on the slot it had at the last merge. */
			if (psf_of(m, g)->snap_id != r->psq->merge_id) {
				psf_of(m, g)->snap_slot = g->slot[0];
				psf_of(m, g)->snap_id = r->psq->merge_id;
			}
			g->slot[0] = pos;
			return;
		}
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
	psf_of(m, f)->hpos = -1;
	for (int k = 0; k < nres; k++) {
		assert(res[k] >= 0 && res[k] < m->nres);
		for (int j = 0; j < k; j++)
			assert(res[j] != res[k] && "flow crosses a resource twice");
		if (nres > 1 && !m->res[res[k]].shared)
			psq_convert(m, res[k]);
	}
	if (nres == 1 && !m->res[res[0]].shared) {
		struct res *r = &m->res[res[0]];
		if (!r->psq)
			r->psq = xcalloc(1, sizeof *r->psq);
		f->psq = 1;
		psf_of(m, f)->snap_id = UINT64_MAX; /* no slot recorded (merge ids never get there) */
		psf_of(m, f)->e_id = UINT64_MAX;
		psf_of(m, f)->q_id = UINT64_MAX;
	}
	for (int k = 0; k < nres; k++) {
		f->res[k] = res[k];
		res_add_flow(&m->res[res[k]], f, k);
	}
	if (nres > 1)
		nb_flow(m, f, 1);
	/* The closure from f reaches every flow it can slow down (see the top of the file). */
	seed(m, f);
	schedule_recompute(m);
	return f->id;
}

/* The resources' part of flow_set_rate: their bits up to now, then their loads. */
static inline void res_rerate(struct flow_model *m, struct flow *f, double rate, sim_time_t now)
{
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

/* Change a flow's rate at time now, keeping flow and resource accounting exact. */
static void flow_set_rate(struct flow_model *m, struct flow *f, double rate, sim_time_t now)
{
	flow_advance(f, now);
	res_rerate(m, f, rate, now);
}

/*
 * flow_complete of a flow alone on its processor-sharing resource r (a link of a round of
 * single transfers), in a straight line: its event is r's only one, it is r's heap, and r is
 * left idle (load and update count reset, not tight), so the load step the general path takes
 * before resetting it, and the flow's own bits, which end at 0, are skipped; the tie list is
 * marked stale (psq_solo). The same stores otherwise, in the same order, then the callback.
 */
static void psq_solo_complete(struct flow_model *m, struct flow *f, sim_time_t now)
{
	struct res *r = &m->res[f->res[0]];
	struct psq *p = r->psq;
	/* r's one flow is f, so its one event and heap entry are f's (the checks of what is
	 * read stay light: they ran on every completion of bench_flow's rounds). */
	assert(f->nres == 1 && f->grp < 0 && p->nevs == 1 && p->nheap == 1);
	p->nevs = 0;
	p->nheap = 0;
	psf_of(m, f)->hpos = -1;
	p->tie_ok = 0; /* f was its tie list, if any: now empty (see psq_solo) */
	f->psq = 0;
	f->ev = 0;
	if (now > f->t_last)
		f->t_last = now;
	res_integrate(r, now);
	f->rate = 0;
	f->bits_left = 0;
	r->nflows = 0;
	r->load = 0;
	r->nupd = 0;
	r->tight = 0;
	if (m->ntouched)
		schedule_recompute(m);
	f->active = 0;
	m->active--;
	m->free_ids[m->nfree++] = f->id;
	f->done(m->sim, f->arg);
}

static void flow_complete(struct sim *sim, void *arg)
{
	struct flow *f = arg;
	struct flow_model *m = f->m;
	int psq_res = -1;
	if (f->psq && m->res[f->res[0]].nflows == 1) {
		psq_solo_complete(m, f, sim_now(sim));
		return;
	}
	if (f->psq) {
		psq_res = f->res[0];
		struct psq *p = m->res[psq_res].psq;
		psq_evs_remove(p, f);
		psq_heap_remove(m, p, f);
		/* Completions run in (time, handle) order: f is the head of the tie list. */
		if (p->tie_ok && p->tie_head < p->ntie && p->tie[p->tie_head].id == f->id)
			p->tie_head++;
		else
			p->tie_ok = 0;
		f->rate = p->share;
		f->psq = 0;
	}
	f->ev = 0;
	int gri = f->grp;
	if (gri >= 0)
		grp_remove(m, f);
	/* flow_set_rate(m, f, 0, now) but for the flow's own bits, which end at 0 anyway (a
	 * multiplication and a division saved per completion). */
	sim_time_t now = sim_now(sim);
	if (now > f->t_last)
		f->t_last = now;
	res_rerate(m, f, 0, now);
	f->bits_left = 0;
	if (f->nres > 1)
		nb_flow(m, f, -1);
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
	/* The next completion on a processor-sharing resource (it may be at this instant, before
	 * the recompute this one triggers). */
	if (psq_res >= 0 && m->res[psq_res].nflows)
		psq_arm(m, psq_res);
	/* Likewise the next completion of its group. */
	if (gri >= 0)
		grp_arm(m, m->res[gri].grp);
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

/* The level r would give its unfixed flows: its heap key, computed once per change of wf_rem
 * or wf_cnt (a division each; heap comparisons only read it). */
static inline void wf_share(struct res *r)
{
	r->wf_lvl = r->wf_rem / r->wf_cnt;
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
	double sa = m->res[a].wf_lvl, sb = m->res[b].wf_lvl;
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
	f->pos = m->npos++;
	if (m->ncomp_flows == m->comp_flows_cap) {
		m->comp_flows_cap = m->comp_flows_cap ? 2 * m->comp_flows_cap : 64;
		m->comp_flows = xreallocarray(m->comp_flows, m->comp_flows_cap, sizeof *m->comp_flows);
	}
	m->comp_flows[m->ncomp_flows++] = f->id;
}

/* Processor-sharing resource ri takes part in the current recompute. */
static void psq_list_add(struct flow_model *m, int ri)
{
	struct res *r = &m->res[ri];
	if (r->mark == m->stamp)
		return;
	r->mark = m->stamp;
	if (m->nps_list == m->psq_list_cap) {
		m->psq_list_cap = m->psq_list_cap ? 2 * m->psq_list_cap : 16;
		m->psq_list = xreallocarray(m->psq_list, (size_t)m->psq_list_cap, sizeof *m->psq_list);
	}
	m->psq_list[m->nps_list++] = ri;
}

/* All flows of resource ri join the component. */
static void comp_pull(struct flow_model *m, int ri)
{
	struct res *r = &m->res[ri];
	if (r->pulled == m->stamp)
		return;
	r->pulled = m->stamp;
	if (r->psq) {
		/* Its flows need no solving (each gets cap / n): they only take their positions,
		 * in slot order (the seeds among them keep theirs). A touched resource may have
		 * lost all its flows since. */
		if (r->nflows == 0)
			return;
		psq_list_add(m, ri);
		r->psq->block_pos = m->npos;
		m->npos += r->nflows;
		return;
	}
	for (uint32_t i = 0; i < r->nflows; i++)
		comp_push(m, flow_of(m, r->flows[i]));
}

/* Append resource ri to the current component's resource list. */
static void comp_res_push(struct flow_model *m, int ri)
{
	if (m->ncomp_res == m->comp_res_cap) {
		m->comp_res_cap = m->comp_res_cap ? 2 * m->comp_res_cap : 64;
		m->comp_res = xreallocarray(m->comp_res, (size_t)m->comp_res_cap, sizeof *m->comp_res);
	}
	m->comp_res[m->ncomp_res++] = ri;
}

/*
 * Closure (step 2): take the component's flows from index *done on; list the resources they
 * cross with the count and old rates of the component's flows on each; pull tight ones.
 */
static void comp_close(struct flow_model *m, uint32_t *done)
{
	for (; *done < m->ncomp_flows; (*done)++) {
		const struct flow *f = flow_of(m, m->comp_flows[*done]);
		if (f->psq) {
			psq_list_add(m, f->res[0]);
			if (m->res[f->res[0]].tight)
				comp_pull(m, f->res[0]);
			continue;
		}
		for (int k = 0; k < f->nres; k++) {
			int ri = f->res[k];
			struct res *q = &m->res[ri];
			if (q->mark != m->stamp) {
				q->mark = m->stamp;
				q->c_cnt = 0;
				q->c_old = 0;
				comp_res_push(m, ri);
			}
			q->c_cnt++;
			q->c_old += f->rate;
			if (q->tight)
				comp_pull(m, ri);
		}
	}
}

/* Fix flow f at `level`; its other resources still in the heap give that much away. */
static void wf_fix(struct flow_model *m, struct flow *f, double level, int by)
{
	f->fixed = 1;
	f->new_grp = by;
	f->new_rate = level;
	for (int k = 0; k < f->nres; k++) {
		struct res *q = &m->res[f->res[k]];
		if (q->wf_pos < 0)
			continue;
		q->wf_rem -= level;
		if (q->wf_rem < 0)
			q->wf_rem = 0;
		if (--q->wf_cnt == 0) {
			heap_remove(m, f->res[k]);
		} else {
			wf_share(q);
			heap_down(m, q->wf_pos);
		}
	}
}

/*
 * Sum r's load exactly from its flows' rates (drops the rounding of incremental updates), in
 * slot order. When all its (many) flows are in its group they have one rate, and the n
 * additions are done in O(log n) by fsum_repeat, to the same bit (check_res compares it with
 * the loop).
 */
static void res_resum(struct flow_model *m, struct res *r, sim_time_t now)
{
	double load = 0;
	if (r->nflows >= FLOW_FSUM_MIN && r->grp && r->grp->n == r->nflows)
		load = fsum_repeat(0, flow_of(m, r->grp->h[0].id)->rate, r->nflows);
	else
		for (uint32_t j = 0; j < r->nflows; j++) {
			if (j + FLOW_PREFETCH < r->nflows)
				prefetch(&flow_of(m, r->flows[j + FLOW_PREFETCH])->rate);
			load += flow_of(m, r->flows[j])->rate;
		}
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
			 * afresh once it has taken more than FLOW_RESUM_UPD incremental updates per
			 * flow, which bounds the rounding at 1 / FLOW_RESUM_UPD flow read per
			 * update, amortised. */
			if (q->nupd > FLOW_RESUM_UPD * (uint64_t)q->nflows)
				res_resum(m, q, sim_now(m->sim));
			double others = q->load - q->c_old;
			q->wf_rem = others > 0 ? q->cap - others : q->cap;
			if (q->wf_rem < 0)
				q->wf_rem = 0;
		}
		wf_share(q);
		q->wf_pos = m->nheap;
		m->heap[m->nheap++] = ri;
	}
	for (int i = m->nheap / 2 - 1; i >= 0; i--)
		heap_down(m, i);
	for (uint32_t i = 0; i < m->ncomp_flows; i++)
		flow_of(m, m->comp_flows[i])->fixed = 0;
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
		double level = r->wf_lvl;
		heap_remove(m, ri);
		r->popped = 1;
		/* Every flow on r is in the component (r is not mixing). */
		for (uint32_t i = 0; i < r->nflows; i++) {
			struct flow *f = flow_of(m, r->flows[i]);
			if (!f->fixed)
				wf_fix(m, f, level, ri);
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
	/* One handle per component position: completions are scheduled in component order. */
	uint64_t base = m->npos ? sim_reserve(m->sim, m->npos) : 0;
	for (int i = 0; i < m->nps_list; i++)
		psq_begin(m, m->psq_list[i], base, now);
	for (uint32_t i = 0; i < m->ncomp_flows; i++) {
		struct flow *f = flow_of(m, m->comp_flows[i]);
		if (f->psq) {
			psq_join(m, f, base, now);
			continue;
		}
		assert(f->fixed && f->new_rate >= 0);
		if (f->grp != f->new_grp)
			grp_move(m, f, f->new_grp);
		if (f->new_rate != f->rate) {
			flow_set_rate(m, f, f->new_rate, now);
			flow_reschedule(m, f, now, base + f->pos);
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
	for (int i = 0; i < m->nps_list; i++)
		psq_end(m, m->psq_list[i]);
	grp_flush(m);
}

/* ---- whole groups re-rated without progressive filling (grp_fast) ---- */

/* Neighbour tables are built for a link with at least this many flows (below, counting its
 * flows costs no more than walking a table). */
#define FLOW_NB_MIN 32

/* The slot where the probe for neighbour q starts (multiplicative hashing). */
static inline uint32_t nb_home(const struct nbt *t, int q)
{
	return ((uint32_t)q * 2654435761u) & t->mask;
}

/* Put entry i into the first free slot of its probe sequence. */
static void nb_place(struct nbt *t, uint32_t i)
{
	uint32_t h = nb_home(t, t->q[i]);
	while (t->slot[h])
		h = (h + 1) & t->mask;
	t->slot[h] = i + 1;
}

/* Index of neighbour q in table t, or UINT32_MAX. */
static uint32_t nb_find(const struct nbt *t, int q)
{
	for (uint32_t h = nb_home(t, q);; h = (h + 1) & t->mask) {
		uint32_t e = t->slot[h];
		if (e == 0)
			return UINT32_MAX;
		if (t->q[e - 1] == q)
			return e - 1;
	}
}

/* Slot array of t rebuilt with `slots` slots (a power of 2, more than twice the entries). */
static void nb_rehash(struct nbt *t, uint32_t slots)
{
	free(t->slot);
	t->slot = xcalloc(slots, sizeof *t->slot);
	t->mask = slots - 1;
	for (uint32_t i = 0; i < t->n; i++)
		nb_place(t, i);
}

/* Add d (+1 or -1) to the count of neighbour q in table t (a new entry for a first +1). */
static void nb_add(struct nbt *t, int q, int d)
{
	uint32_t i = nb_find(t, q);
	if (i == UINT32_MAX) {
		assert(d > 0);
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 16;
			t->q = xreallocarray(t->q, t->cap, sizeof *t->q);
			t->k = xreallocarray(t->k, t->cap, sizeof *t->k);
		}
		i = t->n++;
		t->q[i] = q;
		t->k[i] = 0;
		if (2 * t->n > t->mask)
			nb_rehash(t, 2 * (t->mask + 1));
		else
			nb_place(t, i);
	}
	assert(d > 0 || t->k[i] > 0);
	t->k[i] += (uint32_t)d;
}

/* Count r's flows per neighbour into a new table (kept up to date by nb_flow from now on). */
static void nb_build(struct flow_model *m, int ri)
{
	struct res *r = &m->res[ri];
	struct nbt *t = xcalloc(1, sizeof *t);
	nb_rehash(t, 32);
	for (uint32_t i = 0; i < r->nflows; i++) {
		const struct flow *f = flow_of(m, r->flows[i]);
		for (int k = 0; k < f->nres; k++)
			if (f->res[k] != ri)
				nb_add(t, f->res[k], 1);
	}
	r->nb = t;
}

/* Flow f starts (d = 1) or ends (d = -1): the neighbour tables of the resources it crosses. */
static void nb_flow(struct flow_model *m, const struct flow *f, int d)
{
	for (int k = 0; k < f->nres; k++) {
		struct nbt *t = m->res[f->res[k]].nb;
		if (!t)
			continue;
		for (int j = 0; j < f->nres; j++)
			if (j != k)
				nb_add(t, f->res[j], d);
	}
}

/* Push a new (neighbour, link) entry for grp_fast's counting pass. */
static uint32_t gf_ent_new(struct flow_model *m, int qi, uint32_t li)
{
	if (m->gf_nent == m->gf_ent_cap) {
		m->gf_ent_cap = m->gf_ent_cap ? 2 * m->gf_ent_cap : 64;
		m->gf_ent = xreallocarray(m->gf_ent, m->gf_ent_cap, sizeof *m->gf_ent);
	}
	m->gf_ent[m->gf_nent] = (struct gf_ent){ qi, li, 0, 0 };
	return m->gf_nent++;
}

/*
 * The full path's pull of link L (comp_pull of a tight resource that is not processor
 * sharing), when grp_fast can take it whole: L is tight, has a group, and every flow of L
 * that is not a seed is in it (so has L's level as its rate); L's seeds (counted in c_seeds)
 * need not be. Gives L its block of positions (its non-seed flows, in slot order, from gf_pos)
 * as comp_pull would give them. Returns 0 if L does not qualify.
 */
static int gf_pull_link(struct flow_model *m, int L)
{
	struct res *r = &m->res[L];
	if (r->pulled == m->stamp)
		return 1;
	uint32_t seeds = r->mark == m->stamp ? r->c_seeds : 0;
	if (!r->tight || r->psq || !r->grp || r->nflows == 0 || r->grp->n + seeds != r->nflows)
		return 0;
	r->pulled = m->stamp;
	r->c_seeds = seeds;
	r->gf_pos = m->npos;
	m->npos += r->nflows - seeds;
	r->wf_lvl = r->cap / (double)r->nflows; /* the filling's level of L: c_cnt = nflows */
	r->c_old = r->grp->n ? flow_of(m, r->grp->h[0].id)->rate : 0; /* its members' rate, r0 */
	if (m->gf_nL == m->gf_L_cap) {
		m->gf_L_cap = m->gf_L_cap ? 2 * m->gf_L_cap : 16;
		m->gf_L = xreallocarray(m->gf_L, (size_t)m->gf_L_cap, sizeof *m->gf_L);
	}
	m->gf_L[m->gf_nL++] = L;
	return 1;
}

/* Neighbour qi of a link in gf_plan: NULL if it is tight (the full path's closure would pull
 * it); else it, listed in the component's resources with its counts zeroed on first sight. */
static struct res *gf_neighbour(struct flow_model *m, int qi)
{
	struct res *q = &m->res[qi];
	if (q->tight)
		return NULL;
	if (q->mark != m->stamp) {
		q->mark = m->stamp;
		q->c_cnt = 0;
		q->c_seeds = 0;
		q->c_old = 0;
		q->gf_ent = UINT32_MAX;
		comp_res_push(m, qi);
	}
	return q;
}

/* (level, id) of resource a comes strictly after that of b in the filling heap's order. */
static inline int gf_after(double la, int a, double lb, int b)
{
	return la > lb || (la == lb && a > b);
}

/*
 * Steps 1 and 2 of the full path, for a recompute of the all-to-all shape, without walking
 * flows one resource at a time: every seed is a new flow of a processor-sharing resource, or
 * crosses exactly one tight resource (its link L, in new_grp); every touched resource is
 * processor sharing or such an L; each L qualifies (gf_pull_link); no flow of an L crosses a
 * tight resource other than its L. Seeds take positions 0.. (comp_push), touched resources
 * are pulled in turn, then the seeds' resources in seed order (comp_close: a seed's
 * processor-sharing resource joins the list and, if tight, is pulled; a seed's L is pulled),
 * so every position is the one the full path gives. Then one pass over each L's flows lists
 * its neighbours q (the other resources they cross) with, per (q, L), the count of flows and
 * of seeds (m->gf_ent, in pull order), and each q's totals (c_cnt, c_seeds) and old rates
 * (c_old, summed in component order). Returns 0 when the shape does not hold.
 */
static int gf_plan(struct flow_model *m)
{
	m->gf_nL = 0;
	m->gf_nent = 0;
	for (uint32_t i = 0; i < m->nseeds; i++) {
		struct flow *f = flow_of(m, m->seeds[i]);
		if (!f->active || f->nres == 0)
			return 0;
		comp_push(m, f);
		if (f->psq)
			continue;
		if (f->grp >= 0)
			return 0;
		int L = -1;
		for (int k = 0; k < f->nres; k++)
			if (m->res[f->res[k]].tight) {
				if (L >= 0)
					return 0;
				L = f->res[k];
			}
		if (L < 0)
			return 0;
		f->new_grp = L;
		struct res *r = &m->res[L];
		if (r->mark != m->stamp) {
			r->mark = m->stamp;
			r->c_seeds = 0;
		}
		r->c_seeds++;
	}
	for (int i = 0; i < m->ntouched; i++) {
		int ri = m->touched[i];
		if (m->res[ri].psq)
			comp_pull(m, ri);
		else if (!gf_pull_link(m, ri))
			return 0;
	}
	for (uint32_t i = 0; i < m->nseeds; i++) {
		const struct flow *f = flow_of(m, m->seeds[i]);
		if (f->psq) {
			psq_list_add(m, f->res[0]);
			if (m->res[f->res[0]].tight)
				comp_pull(m, f->res[0]);
		} else if (!gf_pull_link(m, f->new_grp)) {
			return 0;
		}
	}
	if (m->gf_nL == 0)
		return 0; /* processor sharing alone: the full path's work is small */
	for (int li = 0; li < m->gf_nL; li++) {
		int L = m->gf_L[li];
		struct res *r = &m->res[L];
		r->gf_lo = m->gf_nent;
		if (!r->nb && r->nflows >= FLOW_NB_MIN)
			nb_build(m, L);
		r->gf_tab = r->nb && r->nb->n <= r->nflows;
		if (r->gf_tab) {
			/* One entry per table entry (index gf_lo + i), zero counts included; the
			 * seeds are counted below. */
			const struct nbt *t = r->nb;
			for (uint32_t i = 0; i < t->n; i++) {
				uint32_t e = gf_ent_new(m, t->q[i], (uint32_t)li); /* may move gf_ent */
				m->gf_ent[e].k = t->k[i];
				if (t->k[i] == 0)
					continue;
				struct res *q = gf_neighbour(m, t->q[i]);
				if (!q)
					return 0; /* tight: the closure would pull it */
				q->c_cnt += t->k[i];
			}
			r->gf_hi = m->gf_nent;
			continue;
		}
		for (uint32_t i = 0; i < r->nflows; i++) {
			const struct flow *f = flow_of(m, r->flows[i]);
			for (int k = 0; k < f->nres; k++) {
				int qi = f->res[k];
				if (qi == L)
					continue;
				struct res *q = gf_neighbour(m, qi);
				if (!q)
					return 0; /* tight: the closure would pull it */
				if (q->gf_ent == UINT32_MAX || m->gf_ent[q->gf_ent].li != (uint32_t)li)
					q->gf_ent = gf_ent_new(m, qi, (uint32_t)li);
				struct gf_ent *e = &m->gf_ent[q->gf_ent];
				e->k++;
				e->ks += f->seeded;
				q->c_cnt++;
				q->c_seeds += f->seeded;
			}
		}
		r->gf_hi = m->gf_nent;
	}
	/* The seeds of links counted from their tables. */
	for (uint32_t i = 0; i < m->nseeds; i++) {
		const struct flow *f = flow_of(m, m->seeds[i]);
		if (f->psq || !m->res[f->new_grp].gf_tab)
			continue;
		const struct res *r = &m->res[f->new_grp];
		for (int k = 0; k < f->nres; k++) {
			if (f->res[k] == f->new_grp)
				continue;
			uint32_t j = nb_find(r->nb, f->res[k]);
			assert(j != UINT32_MAX && r->gf_lo + j < r->gf_hi);
			m->gf_ent[r->gf_lo + j].ks++;
			m->res[f->res[k]].c_seeds++;
		}
	}
	/* comp_close's sums of the old rates: per q, the seeds' zeros first, then each L's
	 * members (rate r0 of L) in pull order. */
	for (uint32_t i = 0; i < m->gf_nent; i++) {
		const struct gf_ent *e = &m->gf_ent[i];
		const struct res *r = &m->res[m->gf_L[e->li]];
		if (e->k > e->ks)
			m->res[e->q].c_old = fsum_repeat(m->res[e->q].c_old, r->c_old, e->k - e->ks);
	}
	return 1;
}

/*
 * Steps 3 and 4 of the full path over the planned component, to the bit, without the heap.
 * Each q enters the filling as wf_init enters it (wf_rem, wf_cnt; a mixing q re-summed when
 * wf_init would). The links L are popped in the heap's order, (level, id), if every q stays
 * behind every L not yet popped: then L's flows take L's level, each q crossed by k of them
 * loses that level k times, clamped at 0 (wf_fix; fsum_repeat_clamp), and leaves the heap
 * when its count reaches 0. Sufficient for that, checked here: q's key comes after the
 * last L's, at the start and, while an L before the last pops, at every step; its key at a
 * step is at least fl(rem after the step / count before the pop) (rem only falls, the count
 * only falls, and rounding is monotone), so that bound is what is compared. (In exact
 * arithmetic a q above every link only rises as a lower link pops, (rem - k l) / (cnt - k) >
 * rem / cnt when l < rem / cnt, so these checks guard against rounding.) Then step 4: a
 * mixing q left within FLOW_SAT_EPS of saturation fails, as do the checks. On success, the
 * L's are in m->gf_pop in pop order. Changes nothing the full path would not change alike.
 */
static int gf_fill(struct flow_model *m)
{
	sim_time_t now = sim_now(m->sim);
	int nL = m->gf_nL;
	if (nL > m->gf_pop_cap) {
		m->gf_pop_cap = nL;
		m->gf_pop = xreallocarray(m->gf_pop, (size_t)nL, sizeof *m->gf_pop);
	}
	for (int i = 0; i < nL; i++) {
		/* Insertion sort on (level, id): a handful of links. */
		int L = m->gf_L[i], j = i;
		while (j > 0 && gf_after(m->res[m->gf_pop[j - 1]].wf_lvl, m->gf_pop[j - 1],
					 m->res[L].wf_lvl, L)) {
			m->gf_pop[j] = m->gf_pop[j - 1];
			j--;
		}
		m->gf_pop[j] = L;
	}
	int Lmax = m->gf_pop[nL - 1];
	double lmax = m->res[Lmax].wf_lvl;
	for (int i = 0; i < m->ncomp_res; i++) {
		int qi = m->comp_res[i];
		struct res *q = &m->res[qi];
		double rem = q->cap;
		if (q->c_cnt != q->nflows) {
			if (q->nupd > FLOW_RESUM_UPD * (uint64_t)q->nflows)
				res_resum(m, q, now);
			double others = q->load - q->c_old;
			rem = others > 0 ? q->cap - others : q->cap;
			if (rem < 0)
				rem = 0;
		}
		q->wf_rem = rem;
		q->wf_cnt = q->c_cnt;
		if (!gf_after(rem / q->c_cnt, qi, lmax, Lmax))
			return 0; /* q would pop before an L, or tie it */
	}
	for (int j = 0; j < nL; j++) {
		const struct res *r = &m->res[m->gf_pop[j]];
		double level = r->wf_lvl;
		for (uint32_t i = r->gf_lo; i < r->gf_hi; i++) {
			const struct gf_ent *e = &m->gf_ent[i];
			if (e->k == 0)
				continue; /* a neighbour table's idle entry */
			struct res *q = &m->res[e->q];
			double rem_b = q->wf_rem;
			uint32_t cnt_b = q->wf_cnt;
			q->wf_rem = fsum_repeat_clamp(rem_b, -level, e->k);
			q->wf_cnt -= e->k;
			if (j == nL - 1)
				continue; /* no L left to pop before q */
			double low = q->wf_cnt > 0 ? q->wf_rem
				     : e->k > 1 ? fsum_repeat_clamp(rem_b, -level, e->k - 1) : rem_b;
			if (!gf_after(low / cnt_b, e->q, lmax, Lmax))
				return 0;
		}
	}
	for (int i = 0; i < m->ncomp_res; i++) {
		const struct res *q = &m->res[m->comp_res[i]];
		if (q->c_cnt != q->nflows && q->wf_rem <= FLOW_SAT_EPS * q->cap)
			return 0; /* step 4 would grow the component */
	}
	return 1;
}

/*
 * A recompute of the all-to-all shape (bsp: each worker starts a flow to every other machine
 * at one instant, over several links and its LAN; or a flow ends on a link) without building
 * the component or running progressive filling, to the same bits: gf_plan, gf_fill, then what
 * comp_apply does in the same order: processor-sharing resources begin, seeds join theirs or
 * take their L's level (flow_set_rate: the loads of the resources they cross step one by one,
 * as in comp_apply), then each L's members take its level in place (their group re-heaped
 * once) while each q's load takes its equal steps per (q, L), in pull order, by
 * fsum_repeat_clamp; tight flags and exact sums as comp_apply leaves them. Returns 0, having
 * changed nothing the full path would not change alike, when the shape does not hold. Still
 * O(n) in the L's flows: their bits, finish times and group heaps are per flow.
 */
static int grp_fast(struct flow_model *m)
{
	if (m->solve_all || m->no_fast || (m->ntouched == 0 && m->nseeds == 0))
		return 0;
	if (!gf_plan(m) || !gf_fill(m))
		return 0;
	sim_time_t now = sim_now(m->sim);
	uint64_t base = sim_reserve(m->sim, m->npos);
	for (int i = 0; i < m->nps_list; i++)
		psq_begin(m, m->psq_list[i], base, now);
	for (uint32_t i = 0; i < m->nseeds; i++) {
		struct flow *f = flow_of(m, m->seeds[i]);
		if (f->psq) {
			psq_join(m, f, base, now);
			continue;
		}
		int L = f->new_grp;
		grp_move(m, f, L);
		if (m->res[L].wf_lvl != f->rate) {
			flow_set_rate(m, f, m->res[L].wf_lvl, now);
			flow_reschedule(m, f, now, base + f->pos);
		}
	}
	/* Each q's load: the members' equal steps, per (q, L) in pull order. */
	for (uint32_t i = 0; i < m->gf_nent; i++) {
		const struct gf_ent *e = &m->gf_ent[i];
		const struct res *r = &m->res[m->gf_L[e->li]];
		uint32_t km = e->k - e->ks;
		if (r->wf_lvl == r->c_old || km == 0)
			continue;
		struct res *q = &m->res[e->q];
		res_integrate(q, now);
		q->load = fsum_repeat_clamp(q->load, r->wf_lvl - r->c_old, km);
		q->nupd += km;
	}
	for (int li = 0; li < m->gf_nL; li++) {
		int L = m->gf_L[li];
		struct res *r = &m->res[L];
		struct grp *gw = r->grp;
		double level = r->wf_lvl;
		if (r->nflows == r->c_seeds || r->c_old == level)
			continue; /* no member, or their rate stays */
		/* Every member's entry changes: write them in place and re-heap once (O(n)) rather
		 * than sift each (any valid heap has the same top: entries differ by handle). */
		uint64_t pos = r->gf_pos;
		for (uint32_t i = 0; i < r->nflows; i++) {
			/* The records lie scattered (ids are reused): ask for one a few ahead. */
			if (i + FLOW_PREFETCH < r->nflows)
				flow_prefetch(flow_of(m, r->flows[i + FLOW_PREFETCH]));
			struct flow *f = flow_of(m, r->flows[i]);
			if (f->seeded)
				continue;
			f->new_grp = L;
			flow_advance(f, now);
			f->rate = level;
			if (f->ev)
				sim_cancel(m->sim, f->ev); /* its own event from processor-sharing days */
			f->ev = 0;
			sim_time_t t = finish_time(now, f->bits_left, level);
			uint64_t h = base + pos++;
			gw->h[f->gpos] = (struct gent){ t, t != SIMTIME_NEVER ? h : 0, f->id };
		}
		for (uint32_t i = gw->n / 2; i-- > 0;)
			grp_down(m, gw, i);
		grp_mark(m, gw);
	}
	for (uint32_t i = 0; i < m->nseeds; i++)
		flow_of(m, m->seeds[i])->seeded = 0;
	m->nseeds = 0;
	for (int i = 0; i < m->ntouched; i++)
		m->res[m->touched[i]].touched = 0;
	m->ntouched = 0;
	/* Tight flags and exact loads, as comp_apply leaves them. */
	for (int i = 0; i < m->ncomp_res; i++) {
		struct res *q = &m->res[m->comp_res[i]];
		if (q->c_cnt == q->nflows) {
			q->tight = 0;
			res_resum(m, q, now);
		}
	}
	for (int li = 0; li < m->gf_nL; li++) {
		int L = m->gf_L[li];
		struct res *r = &m->res[L];
		r->tight = 1;
		res_resum(m, r, now);
		/* For check_recompute: L is covered whole. */
		r->c_cnt = r->nflows;
		comp_res_push(m, L);
	}
	for (int i = 0; i < m->nps_list; i++)
		psq_end(m, m->psq_list[i]);
	grp_flush(m);
	m->gf_runs[0]++;
	m->gf_runs[1] += m->gf_nL > 1;
	m->gf_runs[2] += m->nps_list > 0;
	for (int li = 0; li < m->gf_nL; li++)
		m->gf_runs[3] += m->res[m->gf_L[li]].gf_tab;
	return 1;
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
	m->npos = 0;
	m->nps_list = 0;
	if (psq_solo_recompute(m)) {
		assert(check_recompute(m));
		return;
	}
	if (grp_fast(m)) {
		assert(check_recompute(m));
		return;
	}
	/* What it marked and listed is void: the full path starts from a fresh stamp. */
	m->stamp++;
	m->ncomp_flows = 0;
	m->ncomp_res = 0;
	m->npos = 0;
	m->nps_list = 0;
	/* Step 1. */
	for (uint32_t i = 0; i < m->nseeds; i++) {
		struct flow *f = flow_of(m, m->seeds[i]);
		f->seeded = 0;
		comp_push(m, f);
	}
	for (int i = 0; i < m->ntouched; i++) {
		m->res[m->touched[i]].touched = 0;
		comp_pull(m, m->touched[i]);
	}
	m->nseeds = 0;
	m->ntouched = 0;
	if (m->solve_all)
		for (int ri = 0; ri < m->nres; ri++)
			comp_pull(m, ri);
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
	assert(check_recompute(m));
}


/* ---- sanity checks (for assert() only; see flow_model_check in flow.h) ---- */

/* Rate of active flow f as the model stands (a processor-sharing flow has its resource's). */
static double check_rate(const struct flow_model *m, const struct flow *f)
{
	if (f->psq)
		return f->joined ? m->res[f->res[0]].psq->share : 0;
	return f->rate;
}

/* Resource ri: its flow list, its rates against its capacity, its group. */
static int check_res(const struct flow_model *m, int ri)
{
	const struct res *r = &m->res[ri];
	double sum = 0;
	for (uint32_t i = 0; i < r->nflows; i++) {
		uint32_t id = r->flows[i];
		if (id >= m->nflows || !flow_of(m, id)->active)
			return 0;
		const struct flow *f = flow_of(m, id);
		int k = 0;
		while (k < f->nres && f->res[k] != ri)
			k++;
		if (k == f->nres || f->slot[k] != i)
			return 0;
		double rate = check_rate(m, f);
		if (!(rate >= 0) || !isfinite(rate))
			return 0;
		sum += rate;
	}
	/* Feasible, up to the rounding of n additions. */
	if (sum > r->cap * (1 + 1e-9) + 1e-6)
		return 0;
	/* A load summed afresh (res_resum, psq_load) and not updated since is that sum, in
	 * slot order, to the bit. */
	if (r->nupd == 0 && memcmp(&sum, &r->load, sizeof sum) != 0 && !(sum == 0 && r->load == 0))
		return 0;
	if (r->nflows == 0 && r->load != 0)
		return 0;
	const struct grp *g = r->grp;
	if (!g)
		return 1;
	if (g->ri != ri || g->n > r->nflows || (g->n && r->psq && !r->shared))
		return 0;
	for (uint32_t i = 0; i < g->n; i++) {
		const struct gent *e = &g->h[i];
		if (e->id >= m->nflows)
			return 0;
		const struct flow *f = flow_of(m, e->id);
		/* A member crosses r, points back here, and has the group's one rate. */
		if (!f->active || f->psq || f->grp != ri || f->gpos != i || f->rate != flow_of(m, g->h[0].id)->rate)
			return 0;
		if (i > 0 && gent_before(e, &g->h[(i - 1) / 2]))
			return 0;
		if ((e->t == SIMTIME_NEVER) != (e->h == 0) || (e->t != SIMTIME_NEVER && f->ev))
			return 0;
	}
	/* The queue holds the top's completion unless the group waits to be re-armed. */
	if (!g->dirty) {
		int want = g->n && g->h[0].t != SIMTIME_NEVER;
		if (want != (g->armed_h != 0))
			return 0;
		if (want && (g->armed_h != g->h[0].h || g->armed_t != g->h[0].t ||
			     g->armed_id != g->h[0].id))
			return 0;
	}
	return 1;
}

/* Every flow in a group, the groups covering all solved general-path flows; the queue. */
static int check_all(const struct flow_model *m)
{
	size_t active = 0, grouped = 0, members = 0;
	for (uint32_t id = 0; id < m->nflows; id++) {
		const struct flow *f = flow_of(m, id);
		if (!f->active)
			continue;
		active++;
		if (f->grp >= 0)
			grouped++;
		if (f->grp >= 0 && (f->psq || f->grp >= m->nres))
			return 0;
	}
	if (active != m->active)
		return 0;
	for (int ri = 0; ri < m->nres; ri++) {
		if (!check_res(m, ri))
			return 0;
		if (m->res[ri].grp)
			members += m->res[ri].grp->n;
	}
	return members == grouped && sim_check(m->sim);
}

#ifndef NDEBUG
/* At the end of a recompute: the resources it solved (all of them when check_full). */
static int check_recompute(const struct flow_model *m)
{
	if (m->ndirty || m->nseeds || m->ntouched)
		return 0;
	if (m->check_full)
		return check_all(m);
	/* Resources the component covered whole: all of it. A mixing one (crossed by flows the
	 * recompute kept; never tight, so no group) may carry far more flows than the recompute
	 * touched: its load against its capacity only, to keep the check within the work done. */
	for (int i = 0; i < m->ncomp_res; i++) {
		const struct res *r = &m->res[m->comp_res[i]];
		if (r->c_cnt == r->nflows ? !check_res(m, m->comp_res[i])
					  : !(r->load <= r->cap * (1 + 1e-9) + 1e-6) ||
					    r->tight || (r->grp && r->grp->n))
			return 0;
	}
	for (uint32_t i = 0; i < m->ncomp_flows; i++) {
		const struct flow *f = flow_of(m, m->comp_flows[i]);
		if (f->active && !f->psq && f->grp != f->new_grp)
			return 0;
	}
	return 1;
}
#endif

int flow_model_check(const struct flow_model *m)
{
	return check_all(m);
}

void flow_model_check_always(struct flow_model *m, int on)
{
	m->check_full = on;
}

void flow_model_solve_all(struct flow_model *m, int on)
{
	m->solve_all = on;
}

void flow_model_fast_counts(const struct flow_model *m, uint64_t counts[4])
{
	memcpy(counts, m->gf_runs, sizeof m->gf_runs);
}

void flow_model_fast_groups(struct flow_model *m, int on)
{
	m->no_fast = !on;
}

static void schedule_recompute(struct flow_model *m)
{
	if (!m->recompute_ev)
		m->recompute_ev = sim_after(m->sim, 0, recompute, m);
}

double flow_rate_bps(const struct flow_model *m, uint32_t id)
{
	assert(id < m->nflows && flow_of(m, id)->active);
	const struct flow *f = flow_of(m, id);
	if (f->psq)
		return f->joined ? m->res[f->res[0]].psq->share : 0;
	return f->rate;
}

double flow_bytes_left(struct flow_model *m, uint32_t id)
{
	assert(id < m->nflows && flow_of(m, id)->active);
	struct flow *f = flow_of(m, id);
	if (f->psq && f->joined) {
		struct psq *p = m->res[f->res[0]].psq;
		(void)psq_event_time(p, f, psf_of(m, f)); /* needs the bits at the last merge: keep it first */
		psq_replay(p, f, psf_of(m, f));
		f->rate = p->share;
		p->nstep++;
	}
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
