/*
 * One region's node process of an emulated run (`gaiasim emu node`, emu_node_main in
 * cli/emu_run.h): the region's nodes of the cluster over the socket transport, in real time.
 * Started by `emu run`, it reports its listener, takes its routes, `start`, queries and
 * `finish` on the control channel (cli/emu_ctl.h); started by hand (`--peers`), it reads its
 * routes from a peers file and finishes after a quiet linger. Either way it writes a results
 * file (cli/emu_results.h) for the parent or `emu collect` to merge.
 */
#include "cli/emu_run.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cli/cluster.h"
#include "cli/cmd.h"
#include "cli/emu_ctl.h"
#include "cli/emu_global.h"
#include "cli/emu_results.h"
#include "cli/emu_stop.h"
#include "cli/opt.h"
#include "emu/mesh.h"
#include "emu/transport_sock.h"
#include "lib/diag.h"
#include "lib/lineio.h"
#include "lib/runcfg.h"
#include "lib/simtime.h"
#include "lib/wallclock.h"
#include "lib/xmalloc.h"
#include "ps/ps.h"
#include "topology/topology.h"

#define CONNECT_TIMEOUT_S 10.0  /* real s a peer may refuse connections (docs/emulation.md) */

struct node {
	struct runcfg *cfg;          /* configuration */
	struct run_setup *rs;        /* its setup */
	struct event_base *base;     /* loop */
	struct cluster *c;           /* the cluster (hosting this region's nodes) */
	struct transport *t;         /* its socket transport */
	struct emu_global *glob;     /* snapshots of its shards of a global model (emu_global.h) */
	int region;                  /* region this process runs */
	int nnodes;                  /* nodes of the run */
	unsigned char *hosted;       /* nodes this process runs */
	const char *results;         /* results file path */
	struct emu_ctl_buf in;       /* control input */
	struct event *ctl;           /* control read event */
	int finished;                /* `finish` done */
	int status;                  /* exit status */
};

/* This node's results file (cli/emu_results.h); 0 or -1 with a message. */
static int write_results(struct node *nd)
{
	struct emu_results_node out = {
		.results = nd->results, .region = nd->region, .nnodes = nd->nnodes,
		.hosted = nd->hosted, .rs = nd->rs, .c = nd->c, .t = nd->t, .glob = nd->glob,
	};
	return emu_results_write(&out);
}

/* Act on every complete control line read so far. */
static void node_lines(struct node *nd)
{
	char line[256];
	while (emu_ctl_line(&nd->in, line, sizeof line)) {
		if (!strcmp(line, "query")) {
			uint64_t s, d;
			tsock_counts(nd->t, &s, &d);
			emu_ctl_say(1, "qstatus %d %" PRIu64 " %" PRIu64 "\n", cluster_hosted_stopped(nd->c),
			            s, d);
		} else if (!strcmp(line, "finish")) {
			tsock_set_closing(nd->t);
			if (write_results(nd) < 0) {
				nd->status = 1;
				event_base_loopbreak(nd->base);
				return;
			}
			nd->finished = 1;
			emu_ctl_say(1, "written\n");
		} else {
			diag_error("emu node %d: unknown control line '%s'", nd->region, line);
		}
	}
	if (nd->in.eof) {
		if (!nd->finished) {
			diag_error("emu node (region %d): the control pipe closed before the run "
			           "finished; stopping", nd->region);
			nd->status = 1;
		}
		event_base_loopbreak(nd->base);
	}
}

static void node_control(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct node *nd = arg;
	if (emu_ctl_fill(&nd->in, (int)fd) < 0)
		nd->in.eof = 1;
	node_lines(nd);
}

/* Lines that came in with `start` (a query may follow it in the same read). */
static void node_pending(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	node_lines(arg);
}

/* Read control lines until `start`: routes; 0 or -1. */
static int node_setup(struct node *nd, const struct topology *topo)
{
	char line[256];
	for (;;) {
		while (!emu_ctl_line(&nd->in, line, sizeof line)) {
			if (nd->in.eof || emu_ctl_fill(&nd->in, 0) < 0)
				return diag_error("emu node (region %d): control pipe closed before start",
				                  nd->region);
		}
		if (!strcmp(line, "start"))
			return 0;
		int a, b;
		char host[128], port[16];
		if (sscanf(line, "route %d %d %127s %15s", &a, &b, host, port) != 4 || a < 0 ||
		    b < 0 || a >= topo->n || b >= topo->n)
			return diag_error("emu node (region %d): bad control line '%s'", nd->region, line);
		char hp[160];
		snprintf(hp, sizeof hp, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
		struct sockaddr_storage ss;
		socklen_t len;
		if (emu_mesh_parse_hostport(hp, &ss, &len) < 0)
			return -1;
		tsock_set_route(nd->t, a, b, &ss, len);
	}
}

static void node_free(struct node *nd)
{
	if (nd->ctl)
		event_free(nd->ctl);
	emu_global_free(nd->glob);
	cluster_free(nd->c);
	run_setup_free(nd->rs);
	runcfg_free(nd->cfg);
	free(nd->hosted);
	if (nd->base)
		event_base_free(nd->base);
}

static struct event_base *precise_base(void)
{
	struct event_config *ec = event_config_new();
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	struct event_base *b = event_base_new_with_config(ec);
	event_config_free(ec);
	return b;
}

static const char NODE_USAGE[] =
	"gaiasim emu node CONFIG [--set K=V ...] --region R --results FILE [--time-scale X]\n"
	"                        [--listen ADDR] [--port P]   (started by emu run: control on\n"
	"                        stdin/stdout)\n"
	"       gaiasim emu node CONFIG [--set K=V ...] --id R --peers FILE [--results FILE]\n"
	"                        [--listen ADDR] [--linger S] [--connect-timeout S]  (by hand)";

/* ---- by hand: the peers file and the linger finish ---- */

/*
 * The peers file: one line per region process, `REGION HOST PORT` (REGION a name or index of
 * the topology; `#` starts a comment): where the other processes reach it (its listener, or a
 * relay in front of it). The line of the node's own region gives the port it listens on.
 * Sets every route of region `self`; returns the own port, or -1 with a FILE:LINE message.
 */
static int read_peers(const char *path, const struct topology *topo, int self,
                      struct transport *t, int *own_port)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return diag_error("emu node: cannot read %s: %s", path, strerror(errno));
	char line[512];
	long ln = 0;
	int rc = 0, *seen = xcalloc((size_t)topo->n, sizeof *seen);
	*own_port = -1;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		ln++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char reg[64], host[256], port[16], extra[2];
		int k = sscanf(line, "%63s %255s %15s %1s", reg, host, port, extra);
		if (k <= 0)
			continue;
		int64_t pn, ri;
		int r = topology_region(topo, reg);
		if (r < 0 && parse_int64(reg, &ri) == 0 && ri >= 0 && ri < topo->n)
			r = (int)ri;
		if (k != 3 || r < 0 || parse_int64(port, &pn) < 0 || pn < 1 || pn > 65535 ||
		    seen[r]++) {
			rc = diag_at(path, ln, "want 'REGION HOST PORT' with a region of topology '%s', "
			             "once each, and a port in 1..65535", topo->name);
			break;
		}
		char hp[300];
		snprintf(hp, sizeof hp, strchr(host, ':') ? "[%s]:%s" : "%s:%s",
		         r == self ? "127.0.0.1" : host, port);
		struct sockaddr_storage ss;
		socklen_t len;
		if (emu_mesh_parse_hostport(hp, &ss, &len) < 0) {
			rc = diag_at(path, ln, "bad address '%s'", hp);
			break;
		}
		tsock_set_route(t, self, r, &ss, len);
		if (r == self)
			*own_port = (int)pn;
	}
	fclose(f);
	free(seen);
	if (rc == 0 && *own_port < 0)
		rc = diag_error("emu node: %s has no line for this node's region %s", path,
		                topo->regions[self].name);
	return rc;
}

/* The port of the line of region `self` in the peers file (it is what this node listens on);
 * 0 or -1 with a message. The file is checked in full by read_peers. */
static int peers_own_port(const char *path, const struct topology *topo, int self, int *port)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return diag_error("emu node: cannot read %s: %s", path, strerror(errno));
	char line[512], reg[64], host[256];
	int p, ri;
	*port = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%63s %255s %d", reg, host, &p) == 3 &&
		    (topology_region(topo, reg) == self ||
		     (sscanf(reg, "%d", &ri) == 1 && ri == self && topology_region(topo, reg) < 0)))
			*port = p;
	fclose(f);
	if (*port < 1 || *port > 65535)
		return diag_error("emu node: %s has no line 'REGION HOST PORT' for this node's "
		                  "region %s", path, topo->regions[self].name);
	return 0;
}

struct quiet {
	struct node *nd;       /* the node */
	struct event *ev;      /* 100 ms check */
	double linger_s;       /* quiet real seconds before finishing */
	double quiet_since;    /* real s since when the counts have not changed */
	uint64_t sent, deliv;  /* counts at the last check */
	int done;              /* results written, outgoing streams ended */
};

/* Finish once every hosted worker stopped and no message came or went for linger_s. */
static void linger_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct quiet *l = arg;
	struct node *nd = l->nd;
	uint64_t s, d;
	tsock_counts(nd->t, &s, &d);
	double now = wallclock_s();
	if (!l->done && (!cluster_hosted_stopped(nd->c) || s != l->sent || d != l->deliv)) {
		l->sent = s;
		l->deliv = d;
		l->quiet_since = now;
		return;
	}
	if (l->done) {
		/* results written: serve until every peer has ended its streams to this node */
		if (tsock_inbound(nd->t) == 0)
			event_base_loopbreak(nd->base);
		return;
	}
	if (now - l->quiet_since < l->linger_s)
		return;
	if (write_results(nd) < 0) {
		nd->status = 1;
		event_base_loopbreak(nd->base);
		return;
	}
	fprintf(stderr, "gaiasim: emu node %d: finished (quiet for %g s); results in %s; waiting "
	        "for the peers to finish\n", nd->region, l->linger_s, nd->results);
	l->done = 1;
	tsock_close_outgoing(nd->t);
}

/* A signal stopped the node: exit status 128 + sig. By hand (`loud`), one line saying so and
 * that no results file was written; under emu run the parent reports (it sent the signal). */
static int node_interrupted(const struct node *nd, int sig, int loud)
{
	if (loud)
		diag_error("emu node %d (%s): interrupted by signal %d (%s); no results file written "
		           "(%s)", nd->region, run_setup_topology(nd->rs)->regions[nd->region].name,
		           sig, strsignal(sig), nd->results);
	return 128 + sig;
}

struct node_opts {
	int64_t region;              /* --region / --id as an index, or -1 */
	const char *region_arg;      /* --region / --id as given (an index or a region name) */
	const char *peers;           /* --peers FILE (by hand) */
	double scale;                /* --time-scale */
	const char *listen;          /* --listen */
	int64_t port;                /* --port */
	double linger_s;             /* --linger */
	double connect_s;            /* --connect-timeout */
};

static const struct cli_opt node_opts_table[] = {
	{ "set", 's', "KEY=VALUE", "override a configuration key (any number; the last wins)" },
	{ "region", 256, "R", "the region this node runs: a name or an index (required)" },
	{ "id", 257, "R", "the same as --region" },
	{ "results", 258, "FILE", "write this node's results here (required without --peers)" },
	{ "time-scale", 259, "X", "compress time: rates x X, latencies and compute / X" },
	{ "listen", 260, "ADDR", "address to listen on (default 127.0.0.1; 0.0.0.0 with --peers)" },
	{ "port", 261, "P", "port to listen on" },
	{ "peers", 262, "FILE", "address list of every region's node (by hand, across machines)" },
	{ "linger", 263, "S", "seconds of quiet after which the node finishes (default 5)" },
	{ "connect-timeout", 264, "S", "give up on a peer after S seconds" },
	{ NULL, 0, NULL, NULL },
};

const struct cli_help cmd_emu_node_help = {
	.cmd = "emu node",
	.usage = "emu node CONFIG [--set K=V ...] --region R [--results FILE | --peers FILE]\n"
	         "                [--time-scale X] [--listen ADDR] [--port P] [--linger S]\n"
	         "                [--connect-timeout S]",
	.about = "Run one region's node of an emulated run, started by `emu run` or by hand from an\n"
	         "address list (docs/emulation.md, the two-host walk-through).",
	.opts = node_opts_table,
};

static int node_args(int argc, char **argv, struct node *nd, char **sets, int *nsets,
                     struct node_opts *no)
{
	struct cli_parser P;
	cli_parser_init(&P, &cmd_emu_node_help, argc, argv);
	int ch;
	const char *v;
	while ((ch = cli_next(&P, &v)) != CLI_END) {
		const char *bad = NULL;
		switch (ch) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case 's': sets[(*nsets)++] = (char *)v; break;
		case 256: case 257: no->region_arg = v; break;
		case 258: nd->results = v; break;
		case 259: if (parse_double(v, &no->scale) < 0 || !(no->scale > 0) || no->scale > 1e6) bad = "--time-scale"; break;
		case 260: no->listen = v; break;
		case 261: if (parse_int64(v, &no->port) < 0 || no->port < 0 || no->port > 65535) bad = "--port"; break;
		case 262: no->peers = v; break;
		case 263: if (parse_double(v, &no->linger_s) < 0 || !(no->linger_s >= 0)) bad = "--linger"; break;
		case 264: if (parse_double(v, &no->connect_s) < 0 || !(no->connect_s > 0)) bad = "--connect-timeout"; break;
		}
		if (bad)
			return cmd_usage_error(NODE_USAGE, "emu node: bad %s '%s'", bad, v);
	}
	if (optind != argc - 1 || !no->region_arg || (!nd->results && !no->peers))
		return cmd_usage_error(NODE_USAGE, "emu node: CONFIG and --region (or --id) are "
		                       "required, and --results unless --peers is given");
	return -1;
}

int emu_node_main(int argc, char **argv)
{
	struct node nd = { .region = -1, .status = 1 };
	struct node_opts no = { .region = -1, .scale = 1, .linger_s = 5, .connect_s = 0 };
	char **sets = xcalloc((size_t)argc + 1, sizeof *sets);
	char *results = NULL;
	const char **names = NULL;
	struct quiet lg = { .nd = &nd };
	int nsets = 0;
	int rc = node_args(argc, argv, &nd, sets, &nsets, &no);
	if (rc >= 0) {
		free(sets);
		return rc;
	}
	if (!no.listen)
		no.listen = no.peers ? "0.0.0.0" : "127.0.0.1";
	if (!no.connect_s)
		no.connect_s = no.peers ? 60 : CONNECT_TIMEOUT_S;
	signal(SIGPIPE, SIG_IGN);
	if (!(nd.cfg = runcfg_load(argv[optind])))
		goto out;
	for (int i = 0; i < nsets; i++)
		if (runcfg_set(nd.cfg, sets[i]) < 0)
			goto out;
	if (!(nd.rs = run_setup_new(nd.cfg)))
		goto out;
	const struct topology *topo = run_setup_topology(nd.rs);
	nd.region = topology_region(topo, no.region_arg);
	if (nd.region < 0 && (parse_int64(no.region_arg, &no.region) < 0 || no.region < 0 ||
	                      no.region >= topo->n)) {
		diag_error("emu node: region '%s' is not a region name or index of topology '%s'",
		           no.region_arg, topo->name);
		goto out;
	}
	if (nd.region < 0)
		nd.region = (int)no.region;
	if (!nd.results)
		nd.results = results = xasprintf("emu-node-%s.txt", topo->regions[nd.region].name);
	nd.nnodes = run_setup_nnodes(nd.rs);
	nd.hosted = xcalloc((size_t)nd.nnodes, 1);
	int any = 0;
	for (int n = 0; n < nd.nnodes; n++)
		any |= nd.hosted[n] = run_setup_place(nd.rs, n) == nd.region;
	if (!any) {
		diag_error("emu node: region %d (%s) runs no node", nd.region,
		           topo->regions[nd.region].name);
		goto out;
	}
	const char *comp = run_setup_emu_compute(nd.rs);
	if (!strcmp(comp, "measured") && no.scale != 1) {
		diag_error("emu node: emu.compute = measured cannot be compressed (--time-scale %g): "
		           "the step's real run time is what it measures", no.scale);
		goto out;
	}
	int own_port = (int)no.port;
	nd.base = precise_base();
	names = xcalloc((size_t)topo->n, sizeof *names); /* regions named in the faults */
	for (int r = 0; r < topo->n; r++)
		names[r] = topo->regions[r].name;
	struct tsock_config tc = {
		.base = nd.base, .listen_addr = no.listen, .listen_port = own_port,
		.time_scale = no.scale, .connect_timeout_s = no.connect_s, .region_name = names,
	};
	if (no.peers && peers_own_port(no.peers, topo, nd.region, &tc.listen_port) < 0)
		goto out;
	struct cluster_config cc;
	run_setup_cluster(nd.rs, &cc);
	cc.transport = "emu";
	cc.emu = &tc;
	cc.hosted = nd.hosted;
	cc.compute = !strcmp(comp, "measured") ? &compute_measured : &compute_modelled;
	cc.target = NAN;  /* no stop at the target: computed when the results are merged */
	cc.drain = 1;     /* the finish is decided by the control protocol or the linger */
	if (!(nd.c = cluster_new(&cc)))
		goto out;
	nd.t = cluster_tsock(nd.c);
	/* a global model's shards are snapshotted at evaluation clocks (cli/emu_global.h) */
	nd.glob = emu_global_new(cluster_ps(nd.c), cluster_observer(nd.c), &cc);
	ps_set_observer(cluster_ps(nd.c), emu_global_as(nd.glob));
	if (no.peers) {
		if (read_peers(no.peers, topo, nd.region, nd.t, &own_port) < 0)
			goto out;
		fprintf(stderr, "gaiasim: emu node %d (%s): listening on %s port %d\n", nd.region,
		        topo->regions[nd.region].name, no.listen, tsock_port(nd.t));
		lg.linger_s = no.linger_s;
		lg.quiet_since = wallclock_s();
		lg.ev = event_new(nd.base, -1, EV_PERSIST, linger_check, &lg);
		struct timeval tv = { 0, 100000 };
		event_add(lg.ev, &tv);
	} else {
		emu_ctl_say(1, "listen %d\n", tsock_port(nd.t));
		if (node_setup(&nd, topo) < 0)
			goto out;
		nd.ctl = event_new(nd.base, 0, EV_READ | EV_PERSIST, node_control, &nd);
		event_add(nd.ctl, NULL);
		event_base_once(nd.base, -1, EV_TIMEOUT, node_pending, &nd, NULL);
	}
	tsock_set_origin(nd.t, tsock_mono_ns());
	nd.status = 0;
	int sig = 0; /* a stopping signal (before this, during the setup, they kill at once) */
	struct emu_stop_watch *sw = emu_stop_watch(nd.base, &sig);
	cluster_run(nd.c, SIMTIME_NEVER);
	emu_stop_unwatch(sw);
	if (tsock_failed(nd.t))
		nd.status = 1;
	if (sig)
		nd.status = node_interrupted(&nd, sig, no.peers && !lg.done);
out:
	if (lg.ev)
		event_free(lg.ev);
	node_free(&nd);
	free(names);
	free(sets);
	free(results);
	libevent_global_shutdown();
	return nd.status;
}
