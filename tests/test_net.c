/*
 * The network layer (sim/net.c) and the transfer-list replay behind `gaiasim net`
 * (sim/netrun.c), over the hand-written topology tests/data/net/three.topo:
 *
 *   regions a, b, c; egress(a) = ingress(a) = 2 machines x 60 Mb/s = 120 Mb/s, b and c 10 Gb/s;
 *   LAN: a, c 1 Gb/s RTT 0.2 ms; b 50 Mb/s RTT 10 ms;
 *   a->b 100 Mb/s RTT 100 ms; b->a 20 Mb/s RTT 100 ms; a->c 40 Mb/s RTT 60 ms;
 *   c->a 100 Mb/s RTT 60 ms; b->c, c->b 100 Mb/s RTT 200 ms.
 *
 * Every expected value is worked out by hand in the comment beside it from those numbers
 * (finish = start + RTT/2 + 8 bytes / bottleneck on an idle path; max-min shares by
 * progressive filling). tests/test_flow.c covers the flow model alone; this file checks what
 * the net layer adds: the resources a transfer crosses, latency, traces, and the replay.
 */
#include <math.h>
#include <sys/wait.h>

#include "sim/flow.h"
#include "sim/net.h"
#include "sim/netrun.h"
#include "sim/sim.h"
#include "tests/testutil.h"
#include "topology/topology.h"
#include "topology/trace.h"

#define MBIT 1e6
#define A 0
#define B 1
#define C 2

/* Completion time of one transfer. */
struct rec {
	sim_time_t done_at; /* when the done callback ran, ns; -1 before */
};

static void on_done(struct sim *sim, void *arg)
{
	((struct rec *)arg)->done_at = sim_now(sim);
}

/* Times are whole nanoseconds; a closed form may round by a nanosecond or two. */
static int near_time(sim_time_t got, double want_s)
{
	if (llabs(got - simtime_from_s(want_s)) <= 2)
		return 1;
	printf("\n  time %.9f s, expected %.9f s\n", simtime_to_s(got), want_s);
	return 0;
}

static int near_rel(double got, double want)
{
	if (fabs(got - want) <= 1e-9 * fabs(want) + 1e-6)
		return 1;
	printf("\n  got %.9g, expected %.9g\n", got, want);
	return 0;
}

static void nothing(struct sim *sim, void *arg)
{
	(void)sim;
	(void)arg;
}

/* Run until t_s seconds with the clock ending exactly there (sim_run alone leaves it at the
 * last event run), so that bits integrated "now" are the bits at t_s. */
static void run_to(struct sim *sim, double t_s)
{
	sim_at(sim, simtime_from_s(t_s), nothing, NULL);
	sim_run(sim, simtime_from_s(t_s));
	CU_ASSERT_EQUAL(sim_now(sim), simtime_from_s(t_s));
}

static struct topology *load_topo(void)
{
	struct topology *t = topology_load_file(testutil_data("net/three.topo"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

/* The topology is what the comments above assume (so the closed forms below mean something). */
static void test_topology_facts(void)
{
	struct topology *t = load_topo();
	CU_ASSERT_EQUAL(t->n, 3);
	CU_ASSERT_EQUAL(topology_region(t, "a"), A);
	CU_ASSERT_EQUAL(topology_region(t, "zone-b"), B);
	CU_ASSERT_EQUAL(topology_region(t, "c"), C);
	struct sim *sim = sim_new(1);
	struct net *n = net_new(sim, t, NULL);
	CU_ASSERT_EQUAL(net_latency(n, A, B), 50000000);  /* RTT 100 ms / 2 */
	CU_ASSERT_EQUAL(net_latency(n, B, A), 50000000);
	CU_ASSERT_EQUAL(net_latency(n, A, C), 30000000);  /* 60 ms / 2 */
	CU_ASSERT_EQUAL(net_latency(n, B, C), 100000000); /* 200 ms / 2 */
	CU_ASSERT_EQUAL(net_latency(n, A, A), 100000);    /* LAN 0.2 ms / 2 */
	CU_ASSERT_EQUAL(net_latency(n, B, B), 5000000);   /* LAN 10 ms / 2 */
	CU_ASSERT_DOUBLE_EQUAL(net_link_capacity(n, A, B), 100 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(net_link_capacity(n, B, A), 20 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(net_link_capacity(n, B, B), 50 * MBIT, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(net_link_capacity(n, A, A), 1000 * MBIT, 1e-6);
	CU_ASSERT_PTR_EQUAL(net_topology(n), t);
	net_free(n);
	sim_free(sim);
	topology_free(t);
}

/* Send from s to d at t_s seconds (an event), recording the finish in r. */
struct delayed {
	struct net *n;   /* network */
	int src, dst;    /* regions */
	double bytes;    /* size */
	struct rec *r;   /* where the finish goes */
};

static void delayed_send(struct sim *sim, void *arg)
{
	(void)sim;
	struct delayed *d = arg;
	net_send(d->n, d->src, d->dst, d->bytes, on_done, d->r);
	free(d);
}

static void send_at(struct sim *sim, struct net *n, double t_s, int s, int d, double bytes,
                    struct rec *r)
{
	struct delayed *x = malloc(sizeof *x);
	*x = (struct delayed){ n, s, d, bytes, r };
	r->done_at = -1;
	sim_at(sim, simtime_from_s(t_s), delayed_send, x);
}

/*
 * One WAN transfer at a time on an idle network: finish = t0 + RTT/2 + 8B/C.
 *   a->b 1.25 MB = 10 Mbit at 100 Mb/s: 0.05 + 0.1 = 0.15 s.
 *   b->a 1 MB = 8 Mbit at 20 Mb/s, sent at 1 s: 1 + 0.05 + 0.4 = 1.45 s.
 *   a->c 1 MB = 8 Mbit at 40 Mb/s, sent at 2 s: 2 + 0.03 + 0.2 = 2.23 s.
 *   c->b 12.5 MB = 100 Mbit at 100 Mb/s, sent at 3 s: 3 + 0.1 + 1 = 4.1 s.
 * The links carry exactly the bits sent.
 */
static void test_wan_closed_form(void)
{
	struct topology *t = load_topo();
	struct sim *sim = sim_new(1);
	struct net *n = net_new(sim, t, NULL);
	struct rec r[4];
	send_at(sim, n, 0, A, B, 1.25e6, &r[0]);
	send_at(sim, n, 1, B, A, 1e6, &r[1]);
	send_at(sim, n, 2, A, C, 1e6, &r[2]);
	send_at(sim, n, 3, C, B, 12.5e6, &r[3]);
	sim_run(sim, SIMTIME_NEVER);
	CU_ASSERT(near_time(r[0].done_at, 0.15));
	CU_ASSERT(near_time(r[1].done_at, 1.45));
	CU_ASSERT(near_time(r[2].done_at, 2.23));
	CU_ASSERT(near_time(r[3].done_at, 4.1));
	CU_ASSERT(near_rel(net_link_bits(n, A, B), 10 * MBIT));
	CU_ASSERT(near_rel(net_link_bits(n, B, A), 8 * MBIT));
	CU_ASSERT(near_rel(net_link_bits(n, A, C), 8 * MBIT));
	CU_ASSERT(near_rel(net_link_bits(n, C, B), 100 * MBIT));
	CU_ASSERT_DOUBLE_EQUAL(net_link_bits(n, C, A), 0, 1e-9);
	CU_ASSERT_EQUAL(flow_active(net_flows(n)), 0);
	net_free(n);
	sim_free(sim);
	topology_free(t);
}

/*
 * LAN transfers use the LAN's bandwidth and RTT/2, and no WAN resource:
 *   b->b 1 MB = 8 Mbit at 50 Mb/s: 0.005 + 0.16 = 0.165 s;
 *   a->a 1.25 MB = 10 Mbit at 1 Gb/s: 0.0001 + 0.01 = 0.0101 s, although a's egress is only
 *   120 Mb/s; a->b 10 Mbit at the same time still gets its 100 Mb/s: 0.15 s.
 *   A zero-byte transfer ends after the latency alone: c->a 0.03 s.
 */
static void test_lan_closed_form(void)
{
	struct topology *t = load_topo();
	struct sim *sim = sim_new(1);
	struct net *n = net_new(sim, t, NULL);
	struct rec r[4];
	send_at(sim, n, 0, B, B, 1e6, &r[0]);
	send_at(sim, n, 0, A, A, 1.25e6, &r[1]);
	send_at(sim, n, 0, A, B, 1.25e6, &r[2]);
	send_at(sim, n, 0, C, A, 0, &r[3]);
	sim_run(sim, SIMTIME_NEVER);
	CU_ASSERT(near_time(r[0].done_at, 0.165));
	CU_ASSERT(near_time(r[1].done_at, 0.0101));
	CU_ASSERT(near_time(r[2].done_at, 0.15));
	CU_ASSERT_EQUAL(r[3].done_at, 30000000);
	CU_ASSERT(near_rel(net_link_bits(n, B, B), 8 * MBIT));
	CU_ASSERT(near_rel(net_link_bits(n, A, A), 10 * MBIT));
	net_free(n);
	sim_free(sim);
	topology_free(t);
}

/*
 * Shared source egress. a->b (80 Mbit, sent at 0) and a->c (16 Mbit, sent at 0.02) both
 * start moving at 0.05 s. Links allow 100 and 40, egress(a) 120 < 140. Progressive filling:
 * both rise to 40, link a->c is full; a->b rises alone until egress(a) is full at
 * 120 - 40 = 80. So a->c = 40, a->b = 80 (not its link's 100).
 *   a->c: 16 / 40 = 0.4 s -> ends 0.45 s.
 *   a->b: 80 x 0.4 = 32 Mbit by 0.45; the other 48 at min(100, 120) = 100 -> 0.93 s.
 * Bits by 0.25 s: a->b 80 x 0.2 = 16 Mbit, a->c 40 x 0.2 = 8 Mbit.
 */
static void test_shared_egress(void)
{
	struct topology *t = load_topo();
	struct sim *sim = sim_new(1);
	struct net *n = net_new(sim, t, NULL);
	struct rec r[2];
	send_at(sim, n, 0, A, B, 10e6, &r[0]);
	send_at(sim, n, 0.02, A, C, 2e6, &r[1]);
	run_to(sim, 0.25);
	CU_ASSERT(near_rel(net_link_bits(n, A, B), 16 * MBIT));
	CU_ASSERT(near_rel(net_link_bits(n, A, C), 8 * MBIT));
	sim_run(sim, SIMTIME_NEVER);
	CU_ASSERT(near_time(r[1].done_at, 0.45));
	CU_ASSERT(near_time(r[0].done_at, 0.93));
	net_free(n);
	sim_free(sim);
	topology_free(t);
}

/*
 * Directions are separate links; rates read directly with net_transmit (no latency).
 *   a->b alone: 100 (link; egress(a) 120). b->a alone: 20.
 *   Both at once: 100 and 20: they share nothing (a->b crosses egress(a), ingress(b);
 *   b->a crosses egress(b), ingress(a)).
 *   A second a->b: the link splits 50/50; b->a keeps 20.
 */
static void test_asymmetric(void)
{
	struct topology *t = load_topo();
	struct sim *sim = sim_new(1);
	struct net *n = net_new(sim, t, NULL);
	struct flow_model *fm = net_flows(n);
	struct rec r[3] = { { -1 }, { -1 }, { -1 } };
	uint32_t ab1 = net_transmit(n, A, B, 1e9, on_done, &r[0]);
	uint32_t ba = net_transmit(n, B, A, 1e9, on_done, &r[1]);
	sim_run(sim, 1000);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(fm, ab1), 100 * MBIT, 1e-3);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(fm, ba), 20 * MBIT, 1e-3);
	uint32_t ab2 = net_transmit(n, A, B, 1e9, on_done, &r[2]);
	sim_run(sim, 2000);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(fm, ab1), 50 * MBIT, 1e-3);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(fm, ab2), 50 * MBIT, 1e-3);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(fm, ba), 20 * MBIT, 1e-3);
	net_free(n);
	sim_free(sim);
	topology_free(t);
}

/*
 * The same with finish times (xfers-asym.csv): a->b 5 Mbit and 10 Mbit, b->a 8 Mbit, all
 * sent at 0, moving from 0.05. a->b: 50 each; the 5 Mbit one ends at 0.05 + 0.1 = 0.15 s,
 * the other has 5 left at 100: 0.2 s. b->a: 20 all along: 0.05 + 0.4 = 0.45 s.
 */
static void test_asymmetric_finish(void)
{
	struct topology *t = load_topo();
	struct sim *sim = sim_new(1);
	struct net *n = net_new(sim, t, NULL);
	struct rec r[3];
	send_at(sim, n, 0, A, B, 625000, &r[0]);
	send_at(sim, n, 0, A, B, 1250000, &r[1]);
	send_at(sim, n, 0, B, A, 1e6, &r[2]);
	sim_run(sim, SIMTIME_NEVER);
	CU_ASSERT(near_time(r[0].done_at, 0.15));
	CU_ASSERT(near_time(r[1].done_at, 0.2));
	CU_ASSERT(near_time(r[2].done_at, 0.45));
	net_free(n);
	sim_free(sim);
	topology_free(t);
}

/*
 * Machine counts override the topology's: with one machine in a, egress(a) = ingress(a) =
 * 60 Mb/s. a->b alone gets 60 (not 100). Into a: b->a is held to 20 by its link, c->a gets
 * 60 - 20 = 40 of the ingress (its link allows 100). With the topology's 2 machines
 * (ingress 120) c->a gets its full 100.
 */
static void test_machines_and_ingress(void)
{
	struct topology *t = load_topo();
	int one[3] = { 1, 1, 1 };
	struct rec r[3] = { { -1 }, { -1 }, { -1 } };

	struct sim *sim = sim_new(1);
	struct net *n = net_new(sim, t, one);
	struct flow_model *fm = net_flows(n);
	uint32_t ab = net_transmit(n, A, B, 1e9, on_done, &r[0]);
	sim_run(sim, 1000);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(fm, ab), 60 * MBIT, 1e-3);
	net_free(n);
	sim_free(sim);

	sim = sim_new(1);
	n = net_new(sim, t, one);
	fm = net_flows(n);
	uint32_t ba = net_transmit(n, B, A, 1e9, on_done, &r[1]);
	uint32_t ca = net_transmit(n, C, A, 1e9, on_done, &r[2]);
	sim_run(sim, 1000);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(fm, ba), 20 * MBIT, 1e-3);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(fm, ca), 40 * MBIT, 1e-3);
	net_free(n);
	sim_free(sim);

	sim = sim_new(1);
	n = net_new(sim, t, NULL);
	fm = net_flows(n);
	ba = net_transmit(n, B, A, 1e9, on_done, &r[1]);
	ca = net_transmit(n, C, A, 1e9, on_done, &r[2]);
	sim_run(sim, 1000);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(fm, ba), 20 * MBIT, 1e-3);
	CU_ASSERT_DOUBLE_EQUAL(flow_rate_bps(fm, ca), 100 * MBIT, 1e-3);
	net_free(n);
	sim_free(sim);
	topology_free(t);
}

static struct trace *load_trace(const struct topology *t, const char *rel)
{
	struct trace *tr = trace_load(testutil_data(rel), t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
	return tr;
}

/*
 * A trace step in the middle of a transfer: 80 Mbit a->b sent at 0 moves from 0.05 s at
 * 100 Mb/s; at 0.45 s (40 Mbit moved) the link drops to 50 Mb/s; the other 40 Mbit take
 * 0.8 s: finish 1.25 s.
 */
static void test_trace_step(void)
{
	struct topology *t = load_topo();
	struct trace *tr = load_trace(t, "net/trace-step.csv");
	struct sim *sim = sim_new(1);
	struct net *n = net_new(sim, t, NULL);
	net_apply_trace(n, tr);
	struct rec r;
	send_at(sim, n, 0, A, B, 10e6, &r);
	run_to(sim, 0.45);
	CU_ASSERT(near_rel(net_link_bits(n, A, B), 40 * MBIT));
	CU_ASSERT_DOUBLE_EQUAL(net_link_capacity(n, A, B), 50 * MBIT, 1e-6);
	sim_run(sim, SIMTIME_NEVER);
	CU_ASSERT(near_time(r.done_at, 1.25));
	CU_ASSERT(near_rel(net_link_bits(n, A, B), 80 * MBIT));
	net_free(n);
	sim_free(sim);
	trace_free(tr);
	topology_free(t);
}

/*
 * A link down and back up (trace-stall.csv): the same 80 Mbit moves 0.05..0.25 s (20 Mbit),
 * stalls until 1.25 s, then the other 60 Mbit at 100: finish 1.85 s.
 */
static void test_trace_stall(void)
{
	struct topology *t = load_topo();
	struct trace *tr = load_trace(t, "net/trace-stall.csv");
	struct sim *sim = sim_new(1);
	struct net *n = net_new(sim, t, NULL);
	net_apply_trace(n, tr);
	struct rec r;
	send_at(sim, n, 0, A, B, 10e6, &r);
	run_to(sim, 1);
	CU_ASSERT(near_rel(net_link_bits(n, A, B), 20 * MBIT));
	CU_ASSERT_EQUAL(r.done_at, -1);
	sim_run(sim, SIMTIME_NEVER);
	CU_ASSERT(near_time(r.done_at, 1.85));
	net_free(n);
	sim_free(sim);
	trace_free(tr);
	topology_free(t);
}

/*
 * RTT changes apply to transfers sent afterwards (trace-rtt.csv): a->b RTT 100 -> 300 ms at
 * 1 s. 10 Mbit sent at 0.9: first byte 0.95, finish 1.05 (it keeps 50 ms although it is
 * still moving at 1 s). Sent at 2: latency 150 ms -> 2.25 s. b's LAN is 25 Mb/s from 0 and
 * its RTT 20 ms from 3 s: 8 Mbit over it at 0: 0.005 + 0.32 = 0.325 s; at 3.5: 3.51 + 0.32
 * = 3.83 s.
 */
static void test_trace_rtt(void)
{
	struct topology *t = load_topo();
	struct trace *tr = load_trace(t, "net/trace-rtt.csv");
	struct sim *sim = sim_new(1);
	struct net *n = net_new(sim, t, NULL);
	net_apply_trace(n, tr);
	struct rec r[4];
	send_at(sim, n, 0.9, A, B, 1.25e6, &r[0]);
	send_at(sim, n, 2, A, B, 1.25e6, &r[1]);
	send_at(sim, n, 0, B, B, 1e6, &r[2]);
	send_at(sim, n, 3.5, B, B, 1e6, &r[3]);
	run_to(sim, 0.95);
	CU_ASSERT_EQUAL(net_latency(n, A, B), 50000000);
	run_to(sim, 1.5);
	CU_ASSERT_EQUAL(net_latency(n, A, B), 150000000);
	CU_ASSERT_EQUAL(net_latency(n, B, A), 50000000); /* the other direction is untouched */
	sim_run(sim, SIMTIME_NEVER);
	CU_ASSERT(near_time(r[0].done_at, 1.05));
	CU_ASSERT(near_time(r[1].done_at, 2.25));
	CU_ASSERT(near_time(r[2].done_at, 0.325));
	CU_ASSERT(near_time(r[3].done_at, 3.83));
	CU_ASSERT_EQUAL(net_latency(n, B, B), 10000000);
	net_free(n);
	sim_free(sim);
	trace_free(tr);
	topology_free(t);
}

/* ---- netrun: the replay behind `gaiasim net` ---- */

static int load_run(struct netrun *r, const struct topology *t, const char *rel)
{
	int rc = netrun_load(r, testutil_data(rel), t);
	CU_ASSERT_EQUAL(rc, 0);
	return rc;
}

/* Transfer i (file order) started at want_first and finished at want_finish. */
static void check_xfer(const struct netrun *r, size_t i, double want_first, double want_finish)
{
	CU_ASSERT_FATAL(i < r->n);
	CU_ASSERT(near_time(r->xfers[i].first_byte, want_first));
	CU_ASSERT(near_time(r->xfers[i].finish, want_finish));
}

/* Bytes over all bins of the directed link s->d. */
static double bin_total(const struct netrun *r, int s, int d)
{
	double sum = 0;
	for (size_t i = 0; i < r->nbins; i++)
		if (r->bins[i].src == s && r->bins[i].dst == d)
			sum += r->bins[i].bytes;
	return sum;
}

/* Bytes of the transfers s->d. */
static double xfer_total(const struct netrun *r, int s, int d)
{
	double sum = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->xfers[i].src == s && r->xfers[i].dst == d)
			sum += r->xfers[i].bytes;
	return sum;
}

/*
 * xfers-basic.csv: one transfer at a time (see the file); finish = start + RTT/2 + 8B/C:
 *   1 a->b 10 Mbit/100 at 0: 0.05, 0.15      2 b->a 8 Mbit/20 at 1: 1.05, 1.45
 *   3 a->c 8/40 at 2: 2.03, 2.23             4 b->b 8/50 at 3: 3.005, 3.165
 *   5 a->a 10/1000 at 4: 4.0001, 4.0101      6 c->a 0 bytes at 5: 5.03, 5.03
 *   7 c->b (by EC2 codes) 100/100 at 6: 6.1, 7.1
 * Per-link bin totals equal the bytes sent on the link.
 */
static void test_netrun_basic(void)
{
	struct topology *t = load_topo();
	struct netrun r;
	if (load_run(&r, t, "net/xfers-basic.csv") < 0)
		goto out;
	CU_ASSERT_EQUAL(r.n, 7);
	CU_ASSERT_EQUAL(r.xfers[6].src, C);
	CU_ASSERT_EQUAL(r.xfers[6].dst, B);
	CU_ASSERT_EQUAL(r.xfers[0].line, 4); /* two comment lines and the header first */
	CU_ASSERT_EQUAL(netrun_simulate(&r, t, NULL, 1.0, 0), 0);
	check_xfer(&r, 0, 0.05, 0.15);
	check_xfer(&r, 1, 1.05, 1.45);
	check_xfer(&r, 2, 2.03, 2.23);
	check_xfer(&r, 3, 3.005, 3.165);
	check_xfer(&r, 4, 4.0001, 4.0101);
	CU_ASSERT_EQUAL(r.xfers[5].first_byte, simtime_from_s(5.03));
	CU_ASSERT_EQUAL(r.xfers[5].finish, simtime_from_s(5.03));
	check_xfer(&r, 6, 6.1, 7.1);
	CU_ASSERT(near_time(r.end, 7.1));
	for (int s = 0; s < 3; s++)
		for (int d = 0; d < 3; d++)
			CU_ASSERT(near_rel(bin_total(&r, s, d), xfer_total(&r, s, d)));
	for (size_t i = 0; i < r.nbins; i++) {
		const struct netrun_bin *b = &r.bins[i];
		CU_ASSERT(b->t1 > b->t0 && b->t1 - b->t0 <= SIMTIME_NS_PER_S);
		CU_ASSERT(b->bytes > 0);
	}
out:
	netrun_free(&r);
	topology_free(t);
}

/*
 * xfers-share.csv: the shared egress case of test_shared_egress (a->c 0.45 s, a->b 0.93 s)
 * plus b->a 8 Mbit at 20, untouched by the a traffic: 0.05 + 0.4 = 0.45 s.
 */
static void test_netrun_share(void)
{
	struct topology *t = load_topo();
	struct netrun r;
	if (load_run(&r, t, "net/xfers-share.csv") < 0)
		goto out;
	CU_ASSERT_EQUAL(netrun_simulate(&r, t, NULL, 0.1, 0), 0);
	check_xfer(&r, 0, 0.05, 0.93);
	check_xfer(&r, 1, 0.05, 0.45);
	check_xfer(&r, 2, 0.05, 0.45);
out:
	netrun_free(&r);
	topology_free(t);
}

/*
 * The trace step of test_trace_step through the replay, with 0.1 s bins of link a->b:
 *   [0, 0.1): moving 0.05 s at 100 = 5 Mbit = 625 000 B
 *   [0.1, 0.2), [0.2, 0.3), [0.3, 0.4): 10 Mbit = 1 250 000 B each
 *   [0.4, 0.5): 0.05 s at 100 + 0.05 s at 50 = 7.5 Mbit = 937 500 B
 *   [0.5, 0.6) ... [1.1, 1.2): 5 Mbit = 625 000 B each (7 bins)
 *   [1.2, 1.25): 2.5 Mbit = 312 500 B (the last bin ends with the run)
 * Total 10 000 000 B.
 */
static void test_netrun_trace_bins(void)
{
	struct topology *t = load_topo();
	struct trace *tr = load_trace(t, "net/trace-step.csv");
	struct netrun r;
	if (load_run(&r, t, "net/xfers-step.csv") < 0)
		goto out;
	CU_ASSERT_EQUAL(netrun_simulate(&r, t, tr, 0.1, 0), 0);
	check_xfer(&r, 0, 0.05, 1.25);
	static const double want[13] = { 625000, 1250000, 1250000, 1250000, 937500, 625000,
	                                 625000, 625000, 625000, 625000, 625000, 625000, 312500 };
	CU_ASSERT_EQUAL(r.nbins, 13);
	for (size_t i = 0; i < r.nbins && i < 13; i++) {
		const struct netrun_bin *b = &r.bins[i];
		CU_ASSERT(b->src == A && b->dst == B);
		CU_ASSERT(near_time(b->t0, 0.1 * (double)i));
		CU_ASSERT(near_time(b->t1, i == 12 ? 1.25 : 0.1 * (double)(i + 1)));
		CU_ASSERT(fabs(b->bytes - want[i]) < 1e-3);
	}
	CU_ASSERT(near_rel(bin_total(&r, A, B), 10e6));
out:
	netrun_free(&r);
	trace_free(tr);
	topology_free(t);
}

/* The RTT trace through the replay: the finish times of test_trace_rtt, in file order. */
static void test_netrun_trace_rtt(void)
{
	struct topology *t = load_topo();
	struct trace *tr = load_trace(t, "net/trace-rtt.csv");
	struct netrun r;
	if (load_run(&r, t, "net/xfers-rtt.csv") < 0)
		goto out;
	CU_ASSERT_EQUAL(netrun_simulate(&r, t, tr, 1.0, 0), 0);
	check_xfer(&r, 0, 0.95, 1.05);
	check_xfer(&r, 1, 2.15, 2.25);
	check_xfer(&r, 2, 0.005, 0.325);
	check_xfer(&r, 3, 3.51, 3.83);
out:
	netrun_free(&r);
	trace_free(tr);
	topology_free(t);
}

/*
 * A link left at zero bandwidth: the run fails (-1) naming the transfer, the stalled
 * transfer keeps finish = -1, and one on another link still finishes (b->a 8 Mbit: 0.45 s).
 */
static void test_netrun_stalled(void)
{
	struct topology *t = load_topo();
	struct trace *tr = load_trace(t, "net/trace-down.csv");
	char *path = testutil_tmpfile("id,start_s,src,dst,bytes\n7,0,a,b,10000000\n8,0,b,a,1000000\n");
	struct netrun r;
	CU_ASSERT_EQUAL_FATAL(netrun_load(&r, path, t), 0);
	char msg[512];
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(netrun_simulate(&r, t, tr, 1.0, 0), -1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "transfer 7 (line 2"));
	CU_ASSERT_EQUAL(r.xfers[0].finish, -1);
	CU_ASSERT(near_time(r.xfers[1].finish, 0.45));
	netrun_free(&r);
	unlink(path);
	free(path);
	trace_free(tr);
	topology_free(t);
}

/* What a replay run in a child process reports back. */
struct outcome {
	int rc;                  /* netrun_simulate's return */
	sim_time_t first[2];     /* first_byte of the first two transfers, ns */
	sim_time_t finish[2];    /* finish of the first two transfers, ns (-1: never) */
	uint64_t events;         /* simulator events run */
	size_t nbins;            /* link bins written */
	double ab_bytes;         /* bytes over all bins of link a->b */
};

/*
 * Load and replay a transfer list (1 or 2 transfers) in a child process with a 10 s alarm, so
 * that a crash (an assertion on clock overflow) or a hang (a bin tick every ns, or billions
 * of idle ticks) fails this one case instead of killing or stalling the whole program.
 * Returns 0 with *o filled, or -1 (printed) if the child did not report.
 */
static int replay_in_child(const char *text, double bin_s, struct outcome *o)
{
	int fds[2];
	if (pipe(fds) < 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		alarm(10);
		struct topology *t = topology_load_file(testutil_data("net/three.topo"));
		char *path = testutil_tmpfile(text);
		struct netrun r;
		struct outcome out = { .rc = -2, .first = { -1, -1 }, .finish = { -1, -1 } };
		if (t && netrun_load(&r, path, t) == 0) {
			char msg[512];
			diag_capture(msg, sizeof msg);
			out.rc = netrun_simulate(&r, t, NULL, bin_s, 0);
			diag_capture(NULL, 0);
			for (size_t i = 0; i < r.n && i < 2; i++) {
				out.first[i] = r.xfers[i].first_byte;
				out.finish[i] = r.xfers[i].finish;
			}
			out.events = r.events;
			out.nbins = r.nbins;
			out.ab_bytes = bin_total(&r, A, B);
			netrun_free(&r);
		}
		unlink(path);
		free(path);
		topology_free(t);
		ssize_t w = write(fds[1], &out, sizeof out);
		_exit(w == (ssize_t)sizeof out ? 0 : 1);
	}
	close(fds[1]);
	ssize_t got = read(fds[0], o, sizeof *o);
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	if (got != (ssize_t)sizeof *o || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("\n  replay child %s %d\n", WIFSIGNALED(status) ? "killed by signal" : "exited",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		return -1;
	}
	return 0;
}

/*
 * A transfer whose finish lies beyond the last representable time (1e18 bytes at 20 Mb/s:
 * 4e11 s > 9.2e9 s) fails cleanly (-1, never finished) instead of overflowing the clock.
 */
static void test_netrun_beyond_horizon(void)
{
	struct outcome o;
	CU_ASSERT_EQUAL_FATAL(replay_in_child("id,start_s,src,dst,bytes\n1,0,b,a,1e18\n", 1.0, &o), 0);
	CU_ASSERT_EQUAL(o.rc, -1);
	CU_ASSERT_EQUAL(o.first[0], 50000000);
	CU_ASSERT_EQUAL(o.finish[0], -1);
}

/*
 * Long idle gaps cost no bin events: a transfer sent at 9e9 s (the largest start accepted)
 * with 1 ms bins runs in a few hundred events, not 9e12; its times are exact in nanoseconds:
 * first byte 9e18 + 5e7 ns, finish 0.1 s later (10 Mbit at 100).
 */
static void test_netrun_idle_gap(void)
{
	struct outcome o;
	CU_ASSERT_EQUAL_FATAL(replay_in_child("id,start_s,src,dst,bytes\n1,0,a,b,1250000\n"
	                                      "2,9e9,a,b,1250000\n", 1e-3, &o), 0);
	CU_ASSERT_EQUAL(o.rc, 0);
	CU_ASSERT_EQUAL(o.finish[0], 150000000);
	CU_ASSERT_EQUAL(o.first[1], INT64_C(9000000000050000000));
	CU_ASSERT_EQUAL(o.finish[1], INT64_C(9000000000150000000));
	CU_ASSERT(o.events < 1000);
	/* 0.1 s of moving in 1 ms bins, twice: 100 + 100 bins of 12 500 B. */
	CU_ASSERT_EQUAL(o.nbins, 200);
	CU_ASSERT(near_rel(o.ab_bytes, 2.5e6));
}

/* Two replays of the same input give the same results, field by field. */
static void test_netrun_deterministic(void)
{
	struct topology *t = load_topo();
	struct trace *tr = load_trace(t, "net/trace-stall.csv");
	struct netrun r1, r2;
	CU_ASSERT_EQUAL_FATAL(netrun_load(&r1, testutil_data("net/xfers-share.csv"), t), 0);
	CU_ASSERT_EQUAL_FATAL(netrun_load(&r2, testutil_data("net/xfers-share.csv"), t), 0);
	CU_ASSERT_EQUAL(netrun_simulate(&r1, t, tr, 0.01, 0), 0);
	CU_ASSERT_EQUAL(netrun_simulate(&r2, t, tr, 0.01, 0), 0);
	CU_ASSERT_EQUAL_FATAL(r1.n, r2.n);
	CU_ASSERT_EQUAL_FATAL(r1.nbins, r2.nbins);
	for (size_t i = 0; i < r1.n; i++) {
		CU_ASSERT_EQUAL(r1.xfers[i].first_byte, r2.xfers[i].first_byte);
		CU_ASSERT_EQUAL(r1.xfers[i].finish, r2.xfers[i].finish);
	}
	for (size_t i = 0; i < r1.nbins; i++) {
		CU_ASSERT(r1.bins[i].src == r2.bins[i].src && r1.bins[i].dst == r2.bins[i].dst);
		CU_ASSERT(r1.bins[i].t0 == r2.bins[i].t0 && r1.bins[i].t1 == r2.bins[i].t1);
		CU_ASSERT(r1.bins[i].bytes == r2.bins[i].bytes);
	}
	CU_ASSERT_EQUAL(r1.end, r2.end);
	CU_ASSERT_EQUAL(r1.events, r2.events);
	netrun_free(&r1);
	netrun_free(&r2);
	trace_free(tr);
	topology_free(t);
}

/* ---- transfer-list parser errors: FILE:LINE and the value ---- */

struct bad_case {
	const char *text;  /* file contents */
	long line;         /* line the message must name (0: none) */
	const char *want;  /* substring of the message */
};

static void test_load_errors(void)
{
	static const struct bad_case cases[] = {
		{ "id,start_s,src,dst\n1,0,a,b\n", 1, "header has 4 columns" },
		{ "id,start,src,dst,bytes\n", 1, "'start'" },
		{ "# c\nid,start_s,src,dst,bytes\n1,0,a,mars,5\n", 3, "unknown region 'mars'" },
		{ "id,start_s,src,dst,bytes\n1,0,venus,b,5\n", 2, "unknown region 'venus'" },
		{ "id,start_s,src,dst,bytes\n1,0,a,b,-5\n", 2, "'-5'" },
		{ "id,start_s,src,dst,bytes\n1,0,a,b,lots\n", 2, "'lots'" },
		{ "id,start_s,src,dst,bytes\n1,0,a,b,\n", 2, "bytes ''" },
		{ "id,start_s,src,dst,bytes\n1,0,a,b,nan\n", 2, "'nan'" },
		{ "id,start_s,src,dst,bytes\n1,-0.5,a,b,5\n", 2, "'-0.5'" },
		{ "id,start_s,src,dst,bytes\n1,soon,a,b,5\n", 2, "'soon'" },
		{ "id,start_s,src,dst,bytes\n1,1e10,a,b,5\n", 2, "'1e10'" },
		{ "id,start_s,src,dst,bytes\n1,0,a,b,2e18\n", 2, "'2e18'" },
		{ "id,start_s,src,dst,bytes\nx,0,a,b,5\n", 2, "id 'x'" },
		{ "id,start_s,src,dst,bytes\n1,0,a,b\n", 2, "4 fields" },
		{ "id,start_s,src,dst,bytes\n1,0,a,b,5,6\n", 2, "6 fields" },
		{ "id,start_s,src,dst,bytes\n1,0,a,b,5\n2,0,a,b,5\n\n1,1,b,a,5\n", 5,
		  "duplicate id 1 (first on line 2)" },
		{ "", 1, "empty file" },
		{ "# only a comment\n\n", 3, "no header" },
	};
	struct topology *t = load_topo();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *path = testutil_tmpfile(cases[i].text);
		char msg[1024], where[600];
		struct netrun r;
		diag_capture(msg, sizeof msg);
		int rc = netrun_load(&r, path, t);
		diag_capture(NULL, 0);
		snprintf(where, sizeof where, "%s:%ld: ", path, cases[i].line);
		int ok = rc == -1 && r.n == 0 && r.xfers == NULL && strstr(msg, where) &&
		         strstr(msg, cases[i].want);
		CU_ASSERT(ok);
		if (!ok)
			printf("\n  case %zu: rc %d, message '%s'; want '%s' and '%s'\n", i, rc, msg,
			       where, cases[i].want);
		unlink(path);
		free(path);
	}
	/* A line of 10 MB (the reader's limit is 64 KiB) and a file that does not exist. */
	size_t big = 10000000;
	char *text = malloc(big + 64);
	strcpy(text, "id,start_s,src,dst,bytes\n1,0,a,b,");
	size_t len = strlen(text);
	memset(text + len, '7', big);
	strcpy(text + len + big, "\n");
	char *path = testutil_tmpfile(text);
	free(text);
	char msg[1024], where[600];
	struct netrun r;
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(netrun_load(&r, path, t), -1);
	snprintf(where, sizeof where, "%s:2: ", path);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, where));
	unlink(path);
	CU_ASSERT_EQUAL(netrun_load(&r, path, t), -1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, path));
	free(path);
	topology_free(t);
}

int main(void)
{
	static const struct testutil_case net_cases[] = {
		{ "topology facts the tests rely on", test_topology_facts },
		{ "WAN transfers: start + RTT/2 + 8B/C", test_wan_closed_form },
		{ "LAN transfers: LAN bandwidth and RTT/2", test_lan_closed_form },
		{ "shared source egress", test_shared_egress },
		{ "asymmetric directions: rates", test_asymmetric },
		{ "asymmetric directions: finish times", test_asymmetric_finish },
		{ "machine override and shared ingress", test_machines_and_ingress },
		{ "trace bandwidth step in flight", test_trace_step },
		{ "trace link down and back up", test_trace_stall },
		{ "trace RTT change applies to later sends", test_trace_rtt },
		{ NULL, NULL },
	};
	static const struct testutil_case run_cases[] = {
		{ "replay: one transfer at a time", test_netrun_basic },
		{ "replay: shared egress and reverse direction", test_netrun_share },
		{ "replay: trace step and link bins", test_netrun_trace_bins },
		{ "replay: trace RTT changes", test_netrun_trace_rtt },
		{ "replay: link down for good fails", test_netrun_stalled },
		{ "replay: finish beyond the time horizon fails", test_netrun_beyond_horizon },
		{ "replay: idle gaps cost no events", test_netrun_idle_gap },
		{ "replay: deterministic", test_netrun_deterministic },
		{ "transfer list errors name FILE:LINE", test_load_errors },
		{ NULL, NULL },
	};
	testutil_suite("net", net_cases);
	testutil_suite("netrun", run_cases);
	return testutil_run();
}
