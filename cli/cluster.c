/*
 * The cluster builder (cli/cluster.h): node placement, the transport backend, the parameter
 * server and its standard observer. Backends are a table: "sim" (simulator + flow-level
 * network + simulated transport); an emulated backend is a new entry.
 */
#include "cli/cluster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "emu/transport_sock.h"
#include "lib/diag.h"
#include "lib/xmalloc.h"
#include "ps/ps.h"
#include "ps/sync.h"
#include "sim/net.h"
#include "sim/sim.h"
#include "sim/transport_sim.h"
#include "topology/topology.h"
#include "topology/trace.h"

struct cluster;

/* A transport backend: how messages move and time passes. */
struct cluster_backend {
	const char *name;                               /* transport name */
	/* Create the transport (c->t) and whatever it runs on; 0 or -1 with a message. */
	int (*open)(struct cluster *c);
	void (*close)(struct cluster *c);                /* free what open made (not c->t) */
	void (*run)(struct cluster *c, sim_time_t until); /* run until stopped or `until` */
	void (*stop)(struct cluster *c);                 /* make run return */
	uint64_t (*events)(const struct cluster *c);     /* events run */
	size_t (*pending)(const struct cluster *c);      /* events pending */
};

struct cluster {
	struct cluster_config cfg;        /* configuration (copied; arrays below are owned) */
	const struct cluster_backend *be; /* transport backend */
	int nregions;                     /* regions */
	int nnodes;                       /* nodes = workers */
	int *machines;                    /* machines per region (data) */
	int *data_region;                 /* region of each node's data */
	int *node_region;                 /* region each node is placed in */
	int *net_machines;                /* machines per region as placed */
	int *region_group;                /* hub group of each region */
	int *group_hub;                   /* hub region of each group */
	struct sim *sim;                  /* "sim": the simulator */
	struct net *net;                  /* "sim": the network */
	struct transport *t;              /* transport */
	struct transport *tsock;          /* "emu": the socket transport (under any wrapper) */
	struct ps *ps;                    /* parameter server */
	struct observer_std *obs;         /* standard observer */
	int started;                      /* ps_start done */
};

/* ---- the simulated backend ---- */

static int sim_open(struct cluster *c)
{
	c->sim = sim_new(c->cfg.seed);
	c->net = net_new(c->sim, c->cfg.topo, c->net_machines);
	if (c->cfg.trace)
		net_apply_trace(c->net, c->cfg.trace);
	c->t = transport_sim_new(c->sim, c->net, c->node_region, c->nnodes);
	return 0;
}

static void sim_close(struct cluster *c)
{
	net_free(c->net);
	sim_free(c->sim);
}

static void sim_run_until(struct cluster *c, sim_time_t until)
{
	sim_run(c->sim, until);
}

static void sim_stop_run(struct cluster *c)
{
	sim_stop(c->sim);
}

static uint64_t sim_events(const struct cluster *c)
{
	return sim_events_run(c->sim);
}

static size_t sim_left(const struct cluster *c)
{
	return sim_pending(c->sim);
}

/* ---- the emulated backend: real sockets in real time (emu/transport_sock.h) ---- */

/*
 * Configured rate of the path between two regions at emulated time `now`, bits/s: the last
 * trace change of the link at or before now, else the topology (the LAN rate inside a region).
 */
static double emu_path_bps(void *arg, int src, int dst, sim_time_t now)
{
	const struct cluster *c = arg;
	const struct topology *t = c->cfg.topo;
	double bps = src == dst ? t->regions[src].lan_bps : t->bw_bps[src * t->n + dst];
	const struct trace *tr = c->cfg.trace;
	for (size_t i = 0; tr && i < tr->n && tr->changes[i].time <= now; i++)
		if (tr->changes[i].src == src && tr->changes[i].dst == dst)
			bps = tr->changes[i].bw_bps;
	return bps;
}

static int emu_open(struct cluster *c)
{
	if (!c->cfg.emu) {
		diag_error("transport 'emu' needs its socket settings (cluster_config.emu)");
		return -1;
	}
	struct tsock_config tc = *c->cfg.emu;
	unsigned char *all = NULL;
	tc.nnodes = c->nnodes;
	tc.nregions = c->nregions;
	tc.node_region = c->node_region;
	if (!c->cfg.hosted)
		all = xmalloc((size_t)c->nnodes);
	if (all)
		memset(all, 1, (size_t)c->nnodes);
	tc.hosted = c->cfg.hosted ? c->cfg.hosted : all;
	tc.path_bps = emu_path_bps;
	tc.path_arg = c;
	c->t = c->tsock = tsock_new(&tc);
	free(all);
	return c->t ? 0 : -1;
}

static void emu_close(struct cluster *c)
{
	(void)c;
}

static void emu_run_until(struct cluster *c, sim_time_t until)
{
	(void)until; /* real time: the driver stops the loop */
	event_base_dispatch(c->cfg.emu->base);
}

static void emu_stop_run(struct cluster *c)
{
	event_base_loopbreak(c->cfg.emu->base);
}

static uint64_t emu_events(const struct cluster *c)
{
	(void)c;
	return 0;
}

static size_t emu_left(const struct cluster *c)
{
	(void)c;
	return 0;
}

/* The wire format of a node's shard, for the socket transport. */
static void emu_format(const void *arg, int node, struct msg_format *f)
{
	ps_node_format(arg, node, f);
}

static const struct cluster_backend backends[] = {
	{ "sim", sim_open, sim_close, sim_run_until, sim_stop_run, sim_events, sim_left },
	{ "emu", emu_open, emu_close, emu_run_until, emu_stop_run, emu_events, emu_left },
};

/* ---- assembly ---- */

/* Place the nodes: node n of data region r goes to r, or to region 0 for a one-LAN model. */
static void place(struct cluster *c)
{
	const struct topology *topo = c->cfg.topo;
	int R = c->nregions = topo->n;
	c->machines = xmalloc((size_t)R * sizeof *c->machines);
	for (int r = 0; r < R; r++) {
		c->machines[r] = c->cfg.machines[r];
		c->nnodes += c->machines[r];
	}
	c->data_region = xmalloc(((size_t)c->nnodes + 1) * sizeof *c->data_region);
	c->node_region = xmalloc(((size_t)c->nnodes + 1) * sizeof *c->node_region);
	c->net_machines = xcalloc((size_t)R, sizeof *c->net_machines);
	for (int r = 0, n = 0; r < R; r++)
		for (int m = 0; m < c->machines[r]; m++, n++) {
			c->data_region[n] = r;
			c->node_region[n] = c->cfg.sync->one_region ? 0 : r;
			c->net_machines[c->node_region[n]]++;
		}
	c->region_group = xmalloc((size_t)R * sizeof *c->region_group);
	c->group_hub = xmalloc(((size_t)topo->ngroups + 1) * sizeof *c->group_hub);
	for (int r = 0; r < R; r++)
		c->region_group[r] = topo->regions[r].group;
	for (int g = 0; g < topo->ngroups; g++)
		c->group_hub[g] = topo->groups[g].hub;
}

static struct ps *make_ps(struct cluster *c)
{
	const struct cluster_config *k = &c->cfg;
	struct ps_config pc = {
		.nregions = c->nregions,
		.machines = c->machines,
		.node_region = c->node_region,
		.region_group = k->no_hub_groups ? NULL : c->region_group,
		.group_hub = k->no_hub_groups ? NULL : c->group_hub,
		.ngroups = k->no_hub_groups ? 0 : k->topo->ngroups,
		.sync = k->sync,
		.sync_params = k->sync_params,
		.wl_ops = k->wl_ops,
		.wl = k->wl,
		.speed = k->speed,
		.compute = k->compute,
		.compute_arg = k->compute_arg,
		.max_clocks = k->max_clocks,
		.time_limit = k->time_limit,
		.value_bytes = k->value_bytes,
		.index_bytes = k->index_bytes,
		.header_bytes = k->header_bytes,
		.hosted = k->hosted,
		.dense_views = k->dense_views,
	};
	return ps_new(&pc, c->t);
}

static struct observer_std *make_observer(struct cluster *c)
{
	int nrep = ps_nreplicas(c->ps);
	int *shards = xmalloc(((size_t)nrep + 1) * sizeof *shards);
	for (int r = 0; r < nrep; r++)
		shards[r] = ps_replica_nshards(c->ps, r);
	struct observer_std_config oc = {
		.nregions = c->nregions,
		.nnodes = c->nnodes,
		.nreplicas = nrep,
		.replica_shards = shards,
		.wl_ops = c->cfg.wl_ops,
		.wl = c->cfg.wl,
		.max_clocks = c->cfg.max_clocks,
		.eval_every = c->cfg.eval_every,
		.target = c->cfg.target,
		.target_on = c->cfg.target_on,
		.on_eval = c->cfg.on_eval,
		.on_eval_arg = c->cfg.on_eval_arg,
		.hosted = c->cfg.hosted,
	};
	struct observer_std *o = observer_std_new(&oc);
	free(shards);
	return o;
}

static void finished(void *arg)
{
	cluster_stop(arg);
}

struct cluster *cluster_new(const struct cluster_config *cfg)
{
	const char *tname = cfg->transport ? cfg->transport : "sim";
	const struct cluster_backend *be = NULL;
	for (size_t i = 0; i < sizeof backends / sizeof *backends; i++)
		if (!strcmp(backends[i].name, tname))
			be = &backends[i];
	if (!be) {
		diag_error("unknown transport '%s' (available: sim, emu)", tname);
		return NULL;
	}
	struct cluster *c = xcalloc(1, sizeof *c);
	c->cfg = *cfg;
	c->be = be;
	place(c);
	if (be->open(c) < 0)
		goto fail;
	if (c->cfg.wrap_transport && !(c->t = c->cfg.wrap_transport(c->t, c->cfg.wrap_arg)))
		goto fail;
	if (!(c->ps = make_ps(c)))
		goto fail;
	if (c->tsock)
		tsock_set_format(c->tsock, emu_format, c->ps);
	if (!(c->obs = make_observer(c)))
		goto fail;
	ps_set_observer(c->ps, observer_std_as(c->obs));
	if (!cfg->drain)
		observer_std_on_finish(c->obs, finished, c);
	return c;
fail:
	cluster_free(c);
	return NULL;
}

void cluster_free(struct cluster *c)
{
	if (!c)
		return;
	ps_free(c->ps);
	observer_std_free(c->obs);
	if (c->t)
		c->t->ops->destroy(c->t);
	c->be->close(c);
	free(c->machines);
	free(c->data_region);
	free(c->node_region);
	free(c->net_machines);
	free(c->region_group);
	free(c->group_hub);
	free(c);
}

void cluster_run(struct cluster *c, sim_time_t until)
{
	if (!c->started) {
		c->started = 1;
		ps_start(c->ps);
	}
	c->be->run(c, until);
}

void cluster_stop(struct cluster *c)
{
	c->be->stop(c);
}

/* ---- results ---- */

struct observer cluster_observer(const struct cluster *c)
{
	return observer_std_as(c->obs);
}

struct ps *cluster_ps(const struct cluster *c)
{
	return c->ps;
}

int cluster_finished(const struct cluster *c)
{
	return observer_std_finished(c->obs);
}

const struct ps_stats *cluster_stats(const struct cluster *c)
{
	return observer_std_stats(c->obs);
}

const struct ps_eval *cluster_evals(const struct cluster *c, size_t *n)
{
	return observer_std_evals(c->obs, n);
}

const struct ps_sig_rec *cluster_sig_recs(const struct cluster *c, size_t *n)
{
	return observer_std_sig_recs(c->obs, n);
}

const struct ps_filter_rec *cluster_filter_recs(const struct cluster *c, size_t *n)
{
	return observer_std_filter_recs(c->obs, n);
}

int64_t cluster_diverged_clock(const struct cluster *c)
{
	return observer_std_diverged_clock(c->obs);
}

sim_time_t cluster_target_time(const struct cluster *c)
{
	return observer_std_target_time(c->obs);
}

sim_time_t cluster_now(const struct cluster *c)
{
	return c->t->ops->now(c->t);
}

double cluster_test_metric(const struct cluster *c, int r)
{
	const struct workload_ops *ops = c->cfg.wl_ops;
	return ops->test_metric ? ops->test_metric(c->cfg.wl, ps_replica_params(c->ps, r)) : NAN;
}

struct transport *cluster_tsock(const struct cluster *c)
{
	return c->tsock;
}

int cluster_hosted_stopped(const struct cluster *c)
{
	return observer_std_finished(c->obs);
}

uint64_t cluster_events(const struct cluster *c)
{
	return c->be->events(c);
}

size_t cluster_pending(const struct cluster *c)
{
	return c->be->pending(c);
}

int cluster_nnodes(const struct cluster *c)
{
	return c->nnodes;
}

int cluster_node_region(const struct cluster *c, int n)
{
	return c->node_region[n];
}

int cluster_data_region(const struct cluster *c, int n)
{
	return c->data_region[n];
}
