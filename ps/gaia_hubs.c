/*
 * Gaia's hub overlay (docs/sync-models.md "Hubs"; interface in ps/gaia_hubs.h). Every shard
 * index runs the protocol on its own: shard i of a region talks only to shard i of the others.
 *
 * Per clock boundary c (the shard's updates of clock c - 1 filtered):
 *  - every shard sends its batch and MCLOCK(c) to the shards of its group (not to itself);
 *  - a hub sums, per c, its own batch and its members' MIRROR(c) batches. When the group clock
 *    (the hub's own clock and every member's mirror clock) reaches c, it sends the non-zero
 *    sums to each other hub in one HUB(c) message, then HCLOCK(c);
 *  - a hub adds other hubs' HUB(c) to its copy on receipt (as any batch) and sums them per c.
 *    When the inter-group clock (the least group clock received from the other hubs) reaches c,
 *    it forwards the non-zero sums to its members in one HUB(c), then HCLOCK(c);
 *  - a member adds its hub's HUB(c) to its copy and records HCLOCK(c) as its inter-group clock.
 * Channels are ordered, so a clock message says every batch of that clock or before has come.
 */
#include "ps/gaia_hubs.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "ps/ps-internal.h"
#include "lib/xmalloc.h"

/* Sum of batches of one clock over the shard's parameters (dense by local element). */
struct hub_sum {
	int64_t clock;            /* clock c the batches belong to (updates of clock c - 1) */
	double *val;              /* owned * row_len sums, by local element */
	uint8_t *touched;         /* owned * row_len flags */
	uint32_t *elems;          /* local elements touched, in first-touch order */
	size_t n;                 /* entries in elems */
	struct hub_sum *next;     /* list link (ascending clock), or free-list link */
};

struct gaia_hub {
	struct gaia_hub_link link; /* the owning Gaia shard's fields */
	int is_hub;               /* 1: this shard's region is its group's hub */
	int nmembers;             /* other replicas of the group */
	int *members;             /* their replica indices */
	int nhubs;                /* hubs of the other groups that have a replica (hub only) */
	int *hubs;                /* their replica indices */
	int64_t *hub_clock;       /* hub: per entry of hubs, group clock received */
	int64_t inter_clock;      /* member: inter-group clock forwarded by the hub */
	int other_groups;         /* 1 if any other group exists (else no inter-group rule) */
	int64_t group_sent;       /* hub: last group clock sent to the other hubs */
	int64_t inter_sent;       /* hub: last inter-group clock forwarded to the members */
	struct hub_sum *group;    /* hub: open sums of the group's batches, ascending clock */
	struct hub_sum *inter;    /* hub: open sums of the other hubs' batches, ascending clock */
	struct hub_sum *spare;    /* cleared sums for reuse */
	size_t nelems;            /* owned * row_len: local elements of the shard */
	size_t row_len;           /* values per row */
	size_t nshards;           /* shards per replica */
	int index;                /* shard index */
};

/* Replica of region r, or -1 if the region has no machines. */
static int replica_of(const struct ps *ps, int region)
{
	for (int q = 0; q < ps->nreplicas; q++)
		if (ps->replicas[q].region == region)
			return q;
	return -1;
}

struct gaia_hub *gaia_hub_new(const struct ps *ps, const struct ps_shard *s,
                              const struct gaia_hub_link *link)
{
	const struct ps_config *cfg = &ps->cfg;
	if (!cfg->region_group || !cfg->group_hub || cfg->ngroups <= 0) {
		diag_error("gaia.hubs = on needs a topology with hub groups ('group' lines); "
		           "this one has none");
		return NULL;
	}
	for (int q = 0; q < ps->nreplicas; q++) {
		int r = ps->replicas[q].region, g = cfg->region_group[r];
		if (g < 0 || g >= cfg->ngroups) {
			diag_error("gaia.hubs = on: region %d has machines but is in no hub group", r);
			return NULL;
		}
		if (replica_of(ps, cfg->group_hub[g]) < 0) {
			diag_error("gaia.hubs = on: the hub of group %d (region %d) has no machines", g,
			           cfg->group_hub[g]);
			return NULL;
		}
	}
	struct gaia_hub *h = xcalloc(1, sizeof *h);
	int me = s->replica, region = ps->replicas[me].region, grp = cfg->region_group[region];
	h->link = *link;
	h->is_hub = cfg->group_hub[grp] == region;
	h->members = xmalloc((size_t)ps->nreplicas * sizeof *h->members);
	h->hubs = xmalloc((size_t)ps->nreplicas * sizeof *h->hubs);
	h->hub_clock = xcalloc((size_t)ps->nreplicas, sizeof *h->hub_clock);
	for (int q = 0; q < ps->nreplicas; q++) {
		int rq = ps->replicas[q].region, gq = cfg->region_group[rq];
		if (gq == grp && q != me)
			h->members[h->nmembers++] = q;
		if (gq != grp) {
			h->other_groups = 1;
			if (h->is_hub && cfg->group_hub[gq] == rq)
				h->hubs[h->nhubs++] = q;
		}
	}
	h->row_len = ps->row_len;
	h->nelems = s->owned * ps->row_len;
	h->nshards = (size_t)ps->replicas[me].nshards;
	h->index = s->index;
	return h;
}

static void sums_free(struct hub_sum *u)
{
	for (struct hub_sum *nx; u; u = nx) {
		nx = u->next;
		free(u->val);
		free(u->touched);
		free(u->elems);
		free(u);
	}
}

void gaia_hub_free(struct gaia_hub *h)
{
	if (!h)
		return;
	sums_free(h->group);
	sums_free(h->inter);
	sums_free(h->spare);
	free(h->members);
	free(h->hubs);
	free(h->hub_clock);
	free(h);
}

int gaia_hub_dests(const struct gaia_hub *h, const int **replicas)
{
	*replicas = h->members;
	return h->nmembers;
}

/* The open sum of clock c in *list (created in ascending place if absent). */
static struct hub_sum *sum_get(struct gaia_hub *h, struct hub_sum **list, int64_t c)
{
	while (*list && (*list)->clock < c)
		list = &(*list)->next;
	if (*list && (*list)->clock == c)
		return *list;
	struct hub_sum *u = h->spare;
	if (u) {
		h->spare = u->next;
	} else {
		u = xmalloc(sizeof *u);
		u->val = xcalloc(h->nelems + 1, sizeof *u->val);
		u->touched = xcalloc(h->nelems + 1, 1);
		u->elems = xmalloc((h->nelems + 1) * sizeof *u->elems);
		u->n = 0;
	}
	u->clock = c;
	u->next = *list;
	*list = u;
	return u;
}

/* Detach the sum of clock c from the front of *list, or NULL if there is none. */
static struct hub_sum *sum_take(struct hub_sum **list, int64_t c)
{
	struct hub_sum *u = *list;
	assert(!u || u->clock >= c); /* earlier clocks were all sent */
	if (!u || u->clock != c)
		return NULL;
	*list = u->next;
	return u;
}

/* Clear a sum and keep it for reuse. */
static void sum_recycle(struct gaia_hub *h, struct hub_sum *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++) {
		u->val[u->elems[i]] = 0;
		u->touched[u->elems[i]] = 0;
	}
	u->n = 0;
	u->next = h->spare;
	h->spare = u;
}

/* Add a batch (global element ids) to a sum. */
static void sum_add(struct gaia_hub *h, struct hub_sum *u, const struct msg *m)
{
	size_t rl = h->row_len, S = h->nshards;
	for (size_t i = 0; i < m->n; i++) {
		size_t row = m->idx[i] / rl, k = m->idx[i] % rl;
		assert(row % S == (size_t)h->index);
		size_t e = (row / S) * rl + k;
		if (!u->touched[e]) {
			u->touched[e] = 1;
			u->elems[u->n++] = (uint32_t)e;
		}
		u->val[e] += m->val[i];
	}
}

/* Non-zero entries of a sum as a HUB message's payload (global element ids, first-touch order). */
static struct msg *sum_msg(const struct ps *ps, const struct ps_shard *s, const struct gaia_hub *h,
                           const struct hub_sum *u)
{
	size_t rl = h->row_len, S = h->nshards, n = 0;
	struct msg *m = msg_new(MSG_HUB, u ? u->n : 0, 1);
	for (size_t i = 0; u && i < u->n; i++) {
		size_t e = u->elems[i];
		if (u->val[e] == 0)
			continue;
		size_t local = e / rl, k = e % rl;
		m->idx[n] = (uint32_t)((local * S + (size_t)h->index) * rl + k);
		m->val[n++] = u->val[e];
	}
	m->n = n;
	m->wire_bytes = ps_wire_bytes(ps, s, m);
	return m;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* The distinct local rows of a HUB payload (for a selective barrier), ascending. */
static uint32_t *sum_rows(const struct gaia_hub *h, const struct msg *sum, size_t *nrows)
{
	size_t rl = h->row_len, S = h->nshards, n = 0;
	uint32_t *rows = xmalloc((sum->n + 1) * sizeof *rows);
	for (size_t i = 0; i < sum->n; i++)
		rows[i] = (uint32_t)(sum->idx[i] / rl / S);
	qsort(rows, sum->n, sizeof *rows, cmp_u32);
	for (size_t i = 0; i < sum->n; i++)
		if (n == 0 || rows[n - 1] != rows[i])
			rows[n++] = rows[i];
	*nrows = n;
	return rows;
}

/*
 * Send a sum of clock c to the shard of replica q: a selective barrier first if the data channel
 * is slow to drain (the rule of ps/sync_gaia.c), then HUB(c) if it has entries, then HCLOCK(c).
 */
static void send_sum(struct ps *ps, struct ps_shard *s, struct gaia_hub *h, int q,
                     const struct msg *sum, uint32_t **rows, size_t *nrows, int64_t c)
{
	struct ps_shard *to = ps->replicas[q].shards[s->index];
	struct transport *t = ps->t;
	uint64_t batch = *h->link.batch_seq;
	if (sum->n) {
		if (h->link.barrier) {
			double queued = t->ops->queued_bytes(t, s->node, to->node) + sum->wire_bytes;
			double bps = t->ops->path_bps(t, s->node, to->node);
			if (bps <= 0 || queued * 8 / bps > h->link.barrier_drain_s) {
				if (!*rows)
					*rows = sum_rows(h, sum, nrows);
				struct msg *b = ps_shard_msg(s, to, MSG_BARRIER, c);
				b->n = *nrows;
				b->idx = xmalloc((*nrows + 1) * sizeof *b->idx);
				memcpy(b->idx, *rows, *nrows * sizeof **rows);
				b->batch = batch;
				b->lane = 1;
				b->wire_bytes = ps_wire_bytes(ps, s, b);
				ps_send(ps, b);
			}
		}
		struct msg *d = ps_shard_msg(s, to, MSG_HUB, c);
		d->n = sum->n;
		d->idx = xmalloc(sum->n * sizeof *d->idx);
		d->val = xmalloc(sum->n * sizeof *d->val);
		memcpy(d->idx, sum->idx, sum->n * sizeof *d->idx);
		memcpy(d->val, sum->val, sum->n * sizeof *d->val);
		d->batch = batch;
		d->wire_bytes = sum->wire_bytes;
		*h->link.wan_bytes += d->wire_bytes;
		ps_send(ps, d);
	}
	struct msg *k = ps_shard_msg(s, to, MSG_HCLOCK, c);
	k->batch = batch;
	k->wire_bytes = ps_wire_bytes(ps, s, k);
	ps_send(ps, k);
}

/* Send the sums of clock c (taken from *list) to the replicas dst[0..n). */
static void send_clock(struct ps *ps, struct ps_shard *s, struct gaia_hub *h,
                       struct hub_sum **list, int64_t c, const int *dst, int n)
{
	struct hub_sum *u = sum_take(list, c);
	uint32_t *rows = NULL; /* built on first need */
	size_t nrows = 0;
	struct msg *sum = sum_msg(ps, s, h, u);
	if (sum->n)
		++*h->link.batch_seq; /* one id per sum, shared with the MIRROR batches */
	for (int j = 0; j < n; j++)
		send_sum(ps, s, h, dst[j], sum, &rows, &nrows, c);
	msg_free(sum);
	free(rows);
	sum_recycle(h, u);
}

/* Hub: send every group clock that is complete (own clock and every member's mirror clock). */
static void flush_group(struct ps *ps, struct ps_shard *s, struct gaia_hub *h)
{
	int64_t gc = s->clock;
	for (int j = 0; j < h->nmembers; j++)
		if (h->link.mirror_clock[h->members[j]] < gc)
			gc = h->link.mirror_clock[h->members[j]];
	while (h->group_sent < gc) {
		int64_t c = ++h->group_sent;
		send_clock(ps, s, h, &h->group, c, h->hubs, h->nhubs);
	}
}

/* Least group clock received from the other hubs (INT64_MAX if there are none). */
static int64_t hubs_min(const struct gaia_hub *h)
{
	int64_t ic = INT64_MAX;
	for (int j = 0; j < h->nhubs; j++)
		if (h->hub_clock[j] < ic)
			ic = h->hub_clock[j];
	return ic;
}

/* Hub: forward every inter-group clock that is complete to the group. */
static void flush_inter(struct ps *ps, struct ps_shard *s, struct gaia_hub *h)
{
	int64_t ic = hubs_min(h);
	if (ic == INT64_MAX)
		return;
	while (h->inter_sent < ic) {
		int64_t c = ++h->inter_sent;
		send_clock(ps, s, h, &h->inter, c, h->members, h->nmembers);
	}
}

void gaia_hub_own_batch(struct ps *ps, struct ps_shard *s, struct gaia_hub *h, int64_t c,
                        const struct msg *batch)
{
	if (!h->is_hub)
		return;
	assert(c > h->group_sent);
	if (batch->n)
		sum_add(h, sum_get(h, &h->group, c), batch);
	flush_group(ps, s, h);
}

/* Position of replica q in the hub's list of other hubs, or -1. */
static int hub_slot(const struct gaia_hub *h, int q)
{
	for (int j = 0; j < h->nhubs; j++)
		if (h->hubs[j] == q)
			return j;
	return -1;
}

void gaia_hub_on_data(struct ps *ps, struct ps_shard *s, struct gaia_hub *h, const struct msg *m)
{
	(void)ps;
	(void)s;
	if (!h->is_hub)
		return; /* a member only adds batches to its copy */
	if (m->kind == MSG_MIRROR) {
		assert(m->clock > h->group_sent); /* its MCLOCK follows it on the channel */
		sum_add(h, sum_get(h, &h->group, m->clock), m);
	} else if (m->kind == MSG_HUB && hub_slot(h, m->replica) >= 0) {
		assert(m->clock > h->inter_sent); /* its HCLOCK follows it on the channel */
		sum_add(h, sum_get(h, &h->inter, m->clock), m);
	}
}

void gaia_hub_on_clock(struct ps *ps, struct ps_shard *s, struct gaia_hub *h, const struct msg *m)
{
	if (m->kind == MSG_MCLOCK) {
		if (h->is_hub)
			flush_group(ps, s, h);
		return;
	}
	assert(m->kind == MSG_HCLOCK);
	if (!h->is_hub) {
		h->inter_clock = m->clock; /* from the group's hub */
		return;
	}
	int j = hub_slot(h, m->replica);
	assert(j >= 0);
	h->hub_clock[j] = m->clock;
	flush_inter(ps, s, h);
}

int64_t gaia_hub_seen(const struct gaia_hub *h)
{
	int64_t k = h->other_groups ? (h->is_hub ? hubs_min(h) : h->inter_clock) : INT64_MAX;
	for (int j = 0; j < h->nmembers; j++)
		if (h->link.mirror_clock[h->members[j]] < k)
			k = h->link.mirror_clock[h->members[j]];
	return k;
}

int gaia_hub_behind(const struct gaia_hub *h, int64_t need)
{
	return gaia_hub_seen(h) < need;
}
