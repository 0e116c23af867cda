/* Simulated transport: ordered channels over the flow-level network, in virtual time. */
#include "sim/transport_sim.h"

#include <assert.h>
#include <stdlib.h>

#include "lib/xmalloc.h"
#include "ps/msg.h"

#define LANES 2

struct channel {
	struct tsim *ts;          /* owner */
	int src, dst;             /* nodes */
	struct msg *head, *tail;  /* queued messages; head is moving when busy */
	int busy;                 /* a flow is moving the head message */
	double queued_bytes;      /* bytes of queued messages (incl. the moving one) */
	sim_time_t last_delivery; /* latest delivery time scheduled, ns */
};

struct tsim {
	struct transport base;    /* must be first */
	struct sim *sim;          /* simulator */
	struct net *net;          /* network */
	int nnodes;               /* nodes */
	int *node_region;         /* region of each node */
	struct channel **ch;      /* nnodes*nnodes*LANES, created on first use */
	struct pending *pending;  /* timers and deliveries not yet fired (freed by destroy) */
};

/* A timer or a delivery waiting in the event queue. */
struct pending {
	struct tsim *ts;          /* transport */
	transport_timer_fn fn;    /* timer: callback (NULL for a delivery) */
	void *arg;                /* timer argument, or the message */
	struct pending *prev, *next; /* list of unfired entries */
};

static struct tsim *TS(struct transport *t)
{
	return (struct tsim *)t;
}

static sim_time_t tsim_now(struct transport *t)
{
	return sim_now(TS(t)->sim);
}

static void fire(struct sim *sim, void *arg)
{
	struct pending *p = arg;
	struct tsim *ts = p->ts;
	(void)sim;
	if (p->prev)
		p->prev->next = p->next;
	else
		ts->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	transport_timer_fn fn = p->fn;
	void *a = p->arg;
	free(p);
	if (fn)
		fn(ts->base.ctx, a);
	else
		ts->base.deliver(ts->base.ctx, a);
}

static void at(struct tsim *ts, sim_time_t when, transport_timer_fn fn, void *arg)
{
	struct pending *p = xmalloc(sizeof *p);
	p->ts = ts;
	p->fn = fn;
	p->arg = arg;
	p->prev = NULL;
	p->next = ts->pending;
	if (ts->pending)
		ts->pending->prev = p;
	ts->pending = p;
	sim_at(ts->sim, when, fire, p);
}

static void tsim_timer(struct transport *t, sim_time_t delay, transport_timer_fn fn, void *arg)
{
	at(TS(t), sim_now(TS(t)->sim) + delay, fn, arg);
}

static void channel_next(struct channel *c);

static void moved(struct sim *sim, void *arg)
{
	struct channel *c = arg;
	struct tsim *ts = c->ts;
	struct msg *m = c->head;
	c->head = m->next;
	if (!c->head)
		c->tail = NULL;
	m->next = NULL;
	c->busy = 0;
	c->queued_bytes -= m->wire_bytes;
	if (c->queued_bytes < 0 || !c->head)
		c->queued_bytes = 0; /* rounding, or the queue is empty */
	int a = ts->node_region[c->src], b = ts->node_region[c->dst];
	sim_time_t when = sim_now(sim) + net_latency(ts->net, a, b);
	if (when < c->last_delivery)
		when = c->last_delivery;
	c->last_delivery = when;
	at(ts, when, NULL, m);
	channel_next(c);
}

static void channel_next(struct channel *c)
{
	if (c->busy || !c->head)
		return;
	struct tsim *ts = c->ts;
	c->busy = 1;
	int a = ts->node_region[c->src], b = ts->node_region[c->dst];
	net_transmit(ts->net, a, b, c->head->wire_bytes, moved, c);
}

static struct channel *channel_get(struct tsim *ts, int src, int dst, int lane)
{
	size_t k = ((size_t)src * (size_t)ts->nnodes + (size_t)dst) * LANES + (size_t)lane;
	if (!ts->ch[k]) {
		struct channel *c = xcalloc(1, sizeof *c);
		c->ts = ts;
		c->src = src;
		c->dst = dst;
		ts->ch[k] = c;
	}
	return ts->ch[k];
}

static void tsim_send(struct transport *t, struct msg *m)
{
	struct tsim *ts = TS(t);
	assert(m->src >= 0 && m->src < ts->nnodes && m->dst >= 0 && m->dst < ts->nnodes);
	assert(m->lane >= 0 && m->lane < LANES);
	if (m->src == m->dst) {
		at(ts, sim_now(ts->sim), NULL, m); /* same machine: no network */
		return;
	}
	struct channel *c = channel_get(ts, m->src, m->dst, m->lane);
	m->next = NULL;
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->queued_bytes += m->wire_bytes;
	channel_next(c);
}

static double tsim_queued(struct transport *t, int src, int dst)
{
	struct tsim *ts = TS(t);
	struct channel *c = ts->ch[((size_t)src * (size_t)ts->nnodes + (size_t)dst) * LANES];
	return c ? c->queued_bytes : 0;
}

static double tsim_path_bps(struct transport *t, int src, int dst)
{
	struct tsim *ts = TS(t);
	return net_link_capacity(ts->net, ts->node_region[src], ts->node_region[dst]);
}

static void tsim_destroy(struct transport *t)
{
	struct tsim *ts = TS(t);
	size_t n = (size_t)ts->nnodes * (size_t)ts->nnodes * LANES;
	for (size_t i = 0; i < n; i++) {
		struct channel *c = ts->ch[i];
		if (!c)
			continue;
		for (struct msg *m = c->head, *nx; m; m = nx) {
			nx = m->next;
			msg_free(m);
		}
		free(c);
	}
	for (struct pending *p = ts->pending, *nx; p; p = nx) {
		nx = p->next;
		if (!p->fn)
			msg_free(p->arg);
		free(p);
	}
	free(ts->ch);
	free(ts->node_region);
	free(ts);
}

static const struct transport_ops tsim_ops = {
	.name = "sim",
	.now = tsim_now,
	.send = tsim_send,
	.timer = tsim_timer,
	.queued_bytes = tsim_queued,
	.path_bps = tsim_path_bps,
	.destroy = tsim_destroy,
};

double transport_sim_memory_bytes(int nnodes, double pairs)
{
	return (double)nnodes * (double)nnodes * LANES * sizeof(struct channel *) +
	       pairs * LANES * TSIM_PAIR_BYTES;
}

struct transport *transport_sim_new(struct sim *sim, struct net *net, const int *node_region,
                                    int nnodes)
{
	struct tsim *ts = xcalloc(1, sizeof *ts);
	ts->base.ops = &tsim_ops;
	ts->sim = sim;
	ts->net = net;
	ts->nnodes = nnodes;
	ts->node_region = xmalloc((size_t)nnodes * sizeof *ts->node_region);
	for (int i = 0; i < nnodes; i++)
		ts->node_region[i] = node_region[i];
	ts->ch = xcalloc((size_t)nnodes * (size_t)nnodes * LANES, sizeof *ts->ch);
	return &ts->base;
}
