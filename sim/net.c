/* The network of a topology: resources on the flow model, latency, and trace replay. */
#include "sim/net.h"

#include <assert.h>
#include <stdlib.h>

#include "lib/xmalloc.h"

struct net {
	struct sim *sim;               /* simulator */
	const struct topology *t;      /* topology (not owned) */
	struct flow_model *fm;         /* flow model holding every resource */
	int nreg;                      /* regions */
	int *link;                     /* nreg*nreg resource ids; diagonal = the region's LAN */
	int *egress;                   /* per region: resource id of its outbound capacity */
	int *ingress;                  /* per region: resource id of its inbound capacity */
	sim_time_t *latency;           /* nreg*nreg one-way latency, ns */
	const struct trace *trace;     /* trace being replayed, or NULL */
	struct change_ev *changes;     /* one event argument per trace change */
	struct pending *free_pending;  /* recycled pending-transfer records */
	struct pending **blocks;       /* every block of pending records allocated */
	size_t nblocks;                /* entries in blocks */
};

/* A transfer waiting out its latency. */
struct pending {
	struct net *n;      /* network */
	int src, dst;       /* regions */
	double bytes;       /* size */
	net_done_fn done;   /* completion callback */
	void *arg;          /* its argument */
	struct pending *next; /* free-list link */
};

/* A trace change waiting for its time. */
struct change_ev {
	struct net *n;                       /* network */
	const struct trace_change *c;        /* the change */
};

struct net *net_new(struct sim *sim, const struct topology *t, const int *machines)
{
	struct net *n = xcalloc(1, sizeof *n);
	int R = t->n;
	n->sim = sim;
	n->t = t;
	n->nreg = R;
	n->fm = flow_model_new(sim);
	n->link = xmalloc((size_t)R * R * sizeof *n->link);
	n->latency = xmalloc((size_t)R * R * sizeof *n->latency);
	n->egress = xmalloc((size_t)R * sizeof *n->egress);
	n->ingress = xmalloc((size_t)R * sizeof *n->ingress);
	for (int s = 0; s < R; s++) {
		const struct topo_region *reg = &t->regions[s];
		int mach = machines ? machines[s] : reg->machines;
		n->egress[s] = flow_resource_new(n->fm, mach * reg->nic_bps);
		n->ingress[s] = flow_resource_new(n->fm, mach * reg->nic_bps);
		for (int d = 0; d < R; d++) {
			double cap = s == d ? reg->lan_bps : t->bw_bps[s * R + d];
			n->link[s * R + d] = flow_resource_new(n->fm, cap);
			n->latency[s * R + d] = simtime_from_s(topology_one_way_s(t, s, d));
		}
	}
	return n;
}

void net_free(struct net *n)
{
	if (!n)
		return;
	flow_model_free(n->fm);
	for (size_t i = 0; i < n->nblocks; i++)
		free(n->blocks[i]);
	free(n->blocks);
	free(n->changes);
	free(n->link);
	free(n->latency);
	free(n->egress);
	free(n->ingress);
	free(n);
}

static void apply_change(struct sim *sim, void *arg)
{
	struct change_ev *ce = arg;
	struct net *n = ce->n;
	const struct trace_change *c = ce->c;
	(void)sim;
	flow_resource_set_capacity(n->fm, n->link[c->src * n->nreg + c->dst], c->bw_bps);
	if (c->rtt_s >= 0)
		n->latency[c->src * n->nreg + c->dst] = simtime_from_s(c->rtt_s / 2);
}

void net_apply_trace(struct net *n, const struct trace *tr)
{
	assert(!n->trace && "one trace per net");
	n->trace = tr;
	n->changes = xcalloc(tr->n, sizeof *n->changes);
	for (size_t i = 0; i < tr->n; i++) {
		struct change_ev *ce = &n->changes[i];
		ce->n = n;
		ce->c = &tr->changes[i];
		sim_at(n->sim, tr->changes[i].time < sim_now(n->sim) ? sim_now(n->sim) : tr->changes[i].time,
		       apply_change, ce);
	}
}

uint32_t net_transmit(struct net *n, int src, int dst, double bytes, net_done_fn done, void *arg)
{
	assert(src >= 0 && src < n->nreg && dst >= 0 && dst < n->nreg);
	if (src == dst)
		return flow_start(n->fm, &n->link[src * n->nreg + src], 1, bytes, done, arg);
	int res[3] = { n->link[src * n->nreg + dst], n->egress[src], n->ingress[dst] };
	return flow_start(n->fm, res, 3, bytes, done, arg);
}

static void pending_start(struct sim *sim, void *arg)
{
	struct pending *p = arg;
	(void)sim;
	struct net *n = p->n;
	net_transmit(n, p->src, p->dst, p->bytes, p->done, p->arg);
	p->next = n->free_pending;
	n->free_pending = p;
}

#define PENDING_BLOCK 256

static struct pending *pending_alloc(struct net *n)
{
	if (!n->free_pending) {
		struct pending *b = xcalloc(PENDING_BLOCK, sizeof *b);
		n->blocks = xreallocarray(n->blocks, n->nblocks + 1, sizeof *n->blocks);
		n->blocks[n->nblocks++] = b;
		for (int i = 0; i < PENDING_BLOCK; i++) {
			b[i].next = n->free_pending;
			n->free_pending = &b[i];
		}
	}
	struct pending *p = n->free_pending;
	n->free_pending = p->next;
	return p;
}

void net_send(struct net *n, int src, int dst, double bytes, net_done_fn done, void *arg)
{
	struct pending *p = pending_alloc(n);
	*p = (struct pending){ n, src, dst, bytes, done, arg, NULL };
	sim_after(n->sim, n->latency[src * n->nreg + dst], pending_start, p);
}

sim_time_t net_latency(const struct net *n, int src, int dst)
{
	return n->latency[src * n->nreg + dst];
}

double net_link_bits(struct net *n, int src, int dst)
{
	return flow_resource_bits(n->fm, n->link[src * n->nreg + dst]);
}

double net_link_capacity(const struct net *n, int src, int dst)
{
	return flow_resource_capacity(n->fm, n->link[src * n->nreg + dst]);
}

struct flow_model *net_flows(struct net *n)
{
	return n->fm;
}

const struct topology *net_topology(const struct net *n)
{
	return n->t;
}

double net_link_load_bps(const struct net *n, int src, int dst)
{
	return flow_resource_load_bps(n->fm, n->link[src * n->nreg + dst]);
}
