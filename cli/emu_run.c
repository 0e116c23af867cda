/*
 * Emulated training runs (cli/emu_run.h): the node process, the parent that starts and watches
 * the node and mesh processes, the control protocol between them and the results files.
 *
 * Control protocol (one text line per message; parent -> node on the node's stdin, node ->
 * parent on its stdout; docs/emulation.md):
 *   node:   listen PORT                 its listener is open
 *   parent: route SRC DST HOST PORT     channels from region SRC to region DST connect there
 *   parent: start                       the run's time origin is now; start the workers
 *   parent: query                       node: qstatus STOPPED SENT DELIVERED
 *   parent: finish                      node: write the results file, then `written`
 *   parent: (closes stdin)              node exits 0
 * The parent queries every node every 50 ms once started; the run is finished when two
 * consecutive rounds find every worker stopped, the sums of messages sent and delivered equal,
 * and every node's counts unchanged (counts only grow, so no message was in flight).
 */
#include "cli/emu_run.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>

#include "cli/cluster.h"
#include "cli/emu_global.h"
#include "cli/cmd.h"
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
#include "ps/msg.h"
#include "ps/ps.h"
#include "topology/topology.h"

#define RESULTS_MAGIC "gaiasim-emu-results 2" /* 2: global-model shard snapshots */
#define CONNECT_TIMEOUT_S 10.0  /* real s a peer may refuse connections (docs/emulation.md) */
#define START_TIMEOUT_S 30.0    /* real s for a process to report its port (--start-timeout) */
#define START_S(p) ((p)->o->start_timeout_s > 0 ? (p)->o->start_timeout_s : START_TIMEOUT_S)
#define QUERY_EVERY_MS 50       /* finish-detection round period, real ms */

/* ---- line input on a raw descriptor ---- */

struct lbuf {
	char buf[8192];          /* bytes read and not yet consumed */
	size_t n;                /* their number */
	int eof;                 /* the writer closed */
};

/* Take one complete line (without its newline) into out; 1, or 0 if none is complete. */
static int lbuf_line(struct lbuf *b, char *out, size_t cap)
{
	char *nl = memchr(b->buf, '\n', b->n);
	if (!nl)
		return 0;
	size_t len = (size_t)(nl - b->buf);
	snprintf(out, cap, "%.*s", (int)(len < cap ? len : cap - 1), b->buf);
	memmove(b->buf, nl + 1, b->n - len - 1);
	b->n -= len + 1;
	return 1;
}

/* Read what is available (one read(2), which blocks on a blocking descriptor); -1 on a read
 * error or a full buffer. */
static int lbuf_fill(struct lbuf *b, int fd)
{
	if (b->n == sizeof b->buf)
		return -1;
	ssize_t r = read(fd, b->buf + b->n, sizeof b->buf - b->n);
	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (r == 0)
		b->eof = 1;
	b->n += (size_t)r;
	return 0;
}

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	for (const char *p = line; n > 0;) {
		ssize_t w = write(fd, p, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (int)w;
	}
}

/* ================================ the node process ================================ */

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
	struct lbuf in;              /* control input */
	struct event *ctl;           /* control read event */
	int finished;                /* `finish` done */
	int status;                  /* exit status */
};

static int write_results(struct node *nd);

/* Act on every complete control line read so far. */
static void node_lines(struct node *nd)
{
	char line[256];
	while (lbuf_line(&nd->in, line, sizeof line)) {
		if (!strcmp(line, "query")) {
			uint64_t s, d;
			tsock_counts(nd->t, &s, &d);
			say(1, "qstatus %d %" PRIu64 " %" PRIu64 "\n", cluster_hosted_stopped(nd->c), s, d);
		} else if (!strcmp(line, "finish")) {
			tsock_set_closing(nd->t);
			if (write_results(nd) < 0) {
				nd->status = 1;
				event_base_loopbreak(nd->base);
				return;
			}
			nd->finished = 1;
			say(1, "written\n");
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
	if (lbuf_fill(&nd->in, (int)fd) < 0)
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
		while (!lbuf_line(&nd->in, line, sizeof line)) {
			if (nd->in.eof || lbuf_fill(&nd->in, 0) < 0)
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
	if (!(nd.rs = run_setup_new(nd.cfg)) || run_setup_check_emu(nd.rs) < 0)
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
		say(1, "listen %d\n", tsock_port(nd.t));
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

/* ---- the results file (one per node process) ---- */

static int write_results(struct node *nd)
{
	char *tmp = xasprintf("%s.tmp", nd->results);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		diag_error("emu node (region %d): cannot write %s: %s", nd->region, tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	const struct topology *topo = run_setup_topology(nd->rs);
	int R = topo->n, N = nd->nnodes;
	struct ps *ps = cluster_ps(nd->c);
	fprintf(f, "%s\nregion %d\nend_ns %" PRId64 "\n", RESULTS_MAGIC, nd->region,
	        (int64_t)tsock_last_delivery(nd->t, MSG_PUSH));
	int nrep = ps_nreplicas(ps);
	unsigned char *held = xcalloc((size_t)nrep + 1, 1);
	int all = 1;
	for (int n = 0; n < N; n++)
		all &= nd->hosted[n];
	for (int r = 0; r < nrep; r++) {
		int reg = ps_replica_region(ps, r);
		held[r] = reg == nd->region || (reg < 0 && all);
		if (!held[r])
			continue;
		double o, m;
		ps_replica_eval(ps, r, &o, &m);
		fprintf(f, "replica %d %d\nfinal %d %.17g %.17g %.17g\n", r, reg, r, o, m,
		        cluster_test_metric(nd->c, r));
	}
	size_t ne, nf;
	const struct ps_eval *ev = cluster_evals(nd->c, &ne);
	for (size_t i = 0; i < ne; i++)
		if (held[ev[i].replica])
			fprintf(f, "eval %d %" PRId64 " %" PRId64 " %.17g %.17g %.17g\n", ev[i].replica,
			        ev[i].clock, (int64_t)ev[i].time, ev[i].objective, ev[i].metric,
			        ev[i].test_metric);
	const struct ps_stats *st = cluster_stats(nd->c);
	for (int w = 0; w < N; w++) {
		if (!nd->hosted[w])
			continue;
		fprintf(f, "worker %d %" PRId64 " %.17g", w, st->clocks[w], st->compute_s[w]);
		for (int k = 0; k < PS_WAIT_NKINDS; k++)
			fprintf(f, " %.17g", st->wait_s[(size_t)w * PS_WAIT_NKINDS + (size_t)k]);
		fputc('\n', f);
	}
	for (int a = 0; a < R; a++)
		for (int b = 0; b < R; b++)
			for (int k = 0; k < MSG_NKINDS; k++) {
				size_t i = ((size_t)a * (size_t)R + (size_t)b) * MSG_NKINDS + (size_t)k;
				if (st->wan_msgs[i] > 0)
					fprintf(f, "wan %d %d %d %.17g %.17g\n", a, b, k, st->wan_bytes[i],
					        st->wan_msgs[i]);
			}
	const struct ps_filter_rec *fr = cluster_filter_recs(nd->c, &nf);
	for (size_t i = 0; i < nf; i++)
		fprintf(f, "filter %d %" PRId64 " %" PRIu64 " %" PRIu64 " %.17g\n", fr[i].region,
		        fr[i].clock, fr[i].produced, fr[i].sent, fr[i].threshold);
	emu_global_write(nd->glob, f);
	fprintf(f, "counters %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\nend\n",
	        st->updates_produced, st->updates_sent, st->updates_pushed, st->updates_pushed_wan);
	free(held);
	int bad = ferror(f);
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, nd->results) < 0) {
		diag_error("emu node (region %d): cannot write %s", nd->region, nd->results);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* ================================ the parent ================================ */

/* A child process: a node or a mesh. */
struct proc {
	pid_t pid;                   /* process id (0: not running) */
	int in_fd;                   /* its stdin (nodes), or -1 */
	int out_fd;                  /* its stdout */
	struct lbuf out;             /* lines read from it */
	char what[128];              /* description for messages */
	int region;                  /* its region (a node's own, a mesh's destination) */
	int port;                    /* a node's listener port */
	int *relay;                  /* a mesh: relay port per source region (to `region`) */
	int qdone;                   /* query round: replied */
	int stopped;                 /* query round: every hosted worker stopped */
	uint64_t sent, deliv;        /* query round: messages sent and delivered */
	int written;                 /* `written` received */
};

struct parent {
	const struct emu_run_opts *o; /* options */
	struct run_setup *rs;        /* the setup */
	const struct topology *topo; /* its topology */
	char self[4096];             /* this program */
	char tmpdir[4096];           /* node results files ($TMPDIR or /tmp) */
	struct proc *node;           /* per region (pid 0: no node there) */
	struct proc *mesh;           /* per destination region */
	int R;                       /* regions */
	double t0;                   /* real start, s */
};

static pid_t spawn(struct parent *p, char **argv, struct proc *pr, int with_stdin)
{
	int in[2] = { -1, -1 }, out[2];
	if ((with_stdin && pipe(in) < 0) || pipe(out) < 0) {
		diag_error("emu run: pipe: %s", strerror(errno));
		return -1;
	}
	/* the parent's ends must not leak into other children (a node would never see EOF) */
	if (with_stdin)
		fcntl(in[1], F_SETFD, FD_CLOEXEC);
	fcntl(out[0], F_SETFD, FD_CLOEXEC);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		diag_error("emu run: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (with_stdin) {
			dup2(in[0], 0);
			close(in[0]);
			close(in[1]);
		} else {
			int nul = open("/dev/null", O_RDONLY);
			dup2(nul, 0);
			close(nul);
		}
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execv(p->self, argv);
		fprintf(stderr, "gaiasim: emu run: cannot run %s: %s\n", p->self, strerror(errno));
		_exit(127);
	}
	if (with_stdin)
		close(in[0]);
	close(out[1]);
	pr->pid = pid;
	pr->in_fd = in[1];
	pr->out_fd = out[0];
	return pid;
}

/* Why a process ended, for messages. */
static void exit_reason(int st, char *out, size_t n)
{
	if (WIFSIGNALED(st))
		snprintf(out, n, "was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (WIFEXITED(st))
		snprintf(out, n, "exited with status %d%s", WEXITSTATUS(st),
		         WEXITSTATUS(st) ? " (its message is above)" : "");
	else
		snprintf(out, n, "ended");
}

/*
 * A child ended. Others often follow within milliseconds (a node whose peer died reports the
 * dropped connection and exits 1), so wait a moment, reap every child that has ended, and
 * name first the ones killed by a signal (the cause), then the rest. Always returns 1.
 */
static int report_deaths(struct parent *p, struct proc *first, int first_st)
{
	struct { struct proc *pr; int st; } dead[512];
	int n = 0;
	if (first) {
		first->pid = 0;
		dead[n].pr = first;
		dead[n++].st = first_st;
	}
	poll(NULL, 0, 300);
	for (int pass = 0; pass < 2; pass++)
		for (int r = 0; r < p->R && n < 512; r++) {
			struct proc *pr = pass ? &p->mesh[r] : &p->node[r];
			int st;
			if (pr->pid && waitpid(pr->pid, &st, WNOHANG) == pr->pid) {
				pr->pid = 0;
				dead[n].pr = pr;
				dead[n++].st = st;
			}
		}
	for (int sig = 1; sig >= 0; sig--)
		for (int i = 0; i < n; i++) {
			if ((WIFSIGNALED(dead[i].st) ? 1 : 0) != sig)
				continue;
			char why[128];
			exit_reason(dead[i].st, why, sizeof why);
			diag_error("emu run: the %s %s; stopping the run", dead[i].pr->what, why);
		}
	return 1;
}

/* 1 if some child has ended (reported with a message naming it). */
static int reap(struct parent *p)
{
	if (emu_stop_signal())
		return 1; /* interrupted: the command reports it once everything is stopped */
	for (int pass = 0; pass < 2; pass++)
		for (int r = 0; r < p->R; r++) {
			struct proc *pr = pass ? &p->mesh[r] : &p->node[r];
			int st;
			if (pr->pid && waitpid(pr->pid, &st, WNOHANG) == pr->pid)
				return report_deaths(p, pr, st);
		}
	return 0;
}

static void stop_all(struct parent *p)
{
	/* interrupted: the nodes are killed outright (they hold nothing but their results files
	 * in the folder that goes; a SIGTERM would let one report the other's closed sockets) */
	int node_sig = emu_stop_signal() ? SIGKILL : SIGTERM;
	for (int pass = 0; pass < 2; pass++)
		for (int r = 0; r < p->R; r++) {
			struct proc *pr = pass ? &p->mesh[r] : &p->node[r];
			if (pr->pid > 0)
				kill(pr->pid, pass ? SIGTERM : node_sig);
		}
	for (int pass = 0; pass < 2; pass++)
		for (int r = 0; r < p->R; r++) {
			struct proc *pr = pass ? &p->mesh[r] : &p->node[r];
			while (pr->pid > 0 && waitpid(pr->pid, NULL, 0) < 0 && errno == EINTR)
				continue; /* a second signal: keep reaping */
			pr->pid = 0;
			if (pr->in_fd >= 0)
				close(pr->in_fd);
			if (pr->out_fd >= 0)
				close(pr->out_fd);
			pr->in_fd = pr->out_fd = -1;
			free(pr->relay);
			pr->relay = NULL;
		}
}

/*
 * Wait up to timeout_s for a line from any process with out_fd >= 0 in the list; calls fn for
 * each line. Returns 0 when fn returned 1 (done), -1 on a death, EOF or timeout (reported).
 */
static int pump(struct parent *p, double timeout_s, int (*fn)(struct parent *, struct proc *,
                                                             const char *))
{
	double end = wallclock_s() + timeout_s;
	for (;;) {
		struct pollfd fds[256];
		struct proc *who[256];
		int n = 0;
		for (int pass = 0; pass < 2; pass++)
			for (int r = 0; r < p->R && n < 256; r++) {
				struct proc *pr = pass ? &p->mesh[r] : &p->node[r];
				if (pr->pid && pr->out_fd >= 0) {
					fds[n] = (struct pollfd){ .fd = pr->out_fd, .events = POLLIN };
					who[n++] = pr;
				}
			}
		double left = end - wallclock_s();
		if (left <= 0)
			return 1; /* timeout: the caller decides */
		int rc = poll(fds, (nfds_t)n, (int)ceil(left * 1000 < 50 ? left * 1000 : 50));
		if (rc < 0 && errno != EINTR)
			return diag_error("emu run: poll: %s", strerror(errno));
		for (int i = 0; i < n && rc > 0; i++) {
			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			struct proc *pr = who[i];
			lbuf_fill(&pr->out, pr->out_fd);
			char line[256];
			while (lbuf_line(&pr->out, line, sizeof line))
				if (fn(p, pr, line))
					return 0;
			if (pr->out.eof) {
				if (emu_stop_signal())
					return -1;
				/* a process closing its output is ending: wait for its status */
				int st;
				waitpid(pr->pid, &st, 0);
				report_deaths(p, pr, st);
				return -1;
			}
		}
		if (reap(p))
			return -1;
		if (p->o->timeout_s > 0 && wallclock_s() - p->t0 > p->o->timeout_s)
			return diag_error("emu run: no finish after --timeout %g s; stopping the run",
			                  p->o->timeout_s);
	}
}

/* ---- start-up ---- */

static int all_listening(struct parent *p)
{
	for (int r = 0; r < p->R; r++)
		if (p->node[r].pid && !p->node[r].port)
			return 0;
	return 1;
}

static int on_listen(struct parent *p, struct proc *pr, const char *line)
{
	int port;
	if (sscanf(line, "listen %d", &port) == 1 && port > 0)
		pr->port = port;
	else
		diag_error("emu run: unexpected line from the %s: '%s'", pr->what, line);
	return all_listening(p);
}

static char **node_argv(struct parent *p, int r)
{
	const struct emu_run_opts *o = p->o;
	char **a = xcalloc((size_t)o->nsets * 2 + 16, sizeof *a);
	int n = 0;
	a[n++] = xstrdup(p->self);
	a[n++] = xstrdup("emu");
	a[n++] = xstrdup("node");
	a[n++] = xstrdup(o->config);
	for (int i = 0; i < o->nsets; i++) {
		a[n++] = xstrdup("--set");
		a[n++] = xstrdup(o->sets[i]);
	}
	a[n++] = xasprintf("--region=%d", r);
	a[n++] = xasprintf("--results=%s/node-%d.txt", p->tmpdir, r);
	a[n++] = xasprintf("--time-scale=%.17g", o->time_scale);
	return a;
}

static void argv_free(char **a)
{
	for (char **x = a; *x; x++)
		free(*x);
	free(a);
}

static int start_nodes(struct parent *p)
{
	int N = run_setup_nnodes(p->rs);
	for (int r = 0; r < p->R; r++) {
		int lo = -1, hi = -1;
		for (int n = 0; n < N; n++)
			if (run_setup_place(p->rs, n) == r) {
				if (lo < 0)
					lo = n;
				hi = n;
			}
		if (lo < 0)
			continue;
		struct proc *pr = &p->node[r];
		pr->region = r;
		snprintf(pr->what, sizeof pr->what, "node process of region %s (nodes %d-%d)",
		         p->topo->regions[r].name, lo, hi);
		char **a = node_argv(p, r);
		pid_t pid = spawn(p, a, pr, 1);
		argv_free(a);
		if (pid < 0)
			return -1;
		snprintf(pr->what + strlen(pr->what), sizeof pr->what - strlen(pr->what), " pid %d",
		         (int)pid);
	}
	int rc = pump(p, START_S(p), on_listen);
	if (rc > 0) {
		for (int r = 0; r < p->R; r++)
			if (p->node[r].pid && !p->node[r].port)
				return diag_error("emu run: the %s did not open its listener within %g s "
				                  "(--start-timeout); stopping the run", p->node[r].what,
				                  START_S(p));
	}
	return rc;
}

/* Mesh port list: "src,dst,port" lines after a header; done once every pair is in. */
static int on_mesh_line(struct parent *p, struct proc *pr, const char *line)
{
	char a[64], b[64];
	int port;
	if (!strcmp(line, "src,dst,port"))
		return 0;
	if (sscanf(line, "%63[^,],%63[^,],%d", a, b, &port) == 3) {
		int s = topology_region(p->topo, a), d = topology_region(p->topo, b);
		if (s >= 0 && d == pr->region)
			pr->relay[s] = port;
	}
	for (int s = 0; s < p->R; s++)
		if (s != pr->region && !pr->relay[s])
			return 0;
	return 1;
}

/* One mesh per destination region q relays to q's listener (emu mesh has one --to). */
static int start_mesh(struct parent *p, int q, int base)
{
	struct proc *pr = &p->mesh[q];
	const struct trace *tr = run_setup_trace(p->rs);
	pr->region = q;
	pr->relay = xcalloc((size_t)p->R, sizeof *pr->relay);
	char **a = xcalloc(16, sizeof *a);
	int n = 0;
	a[n++] = xstrdup(p->self);
	a[n++] = xstrdup("emu");
	a[n++] = xstrdup("mesh");
	a[n++] = xasprintf("--topology=%s", p->topo->path);
	if (tr)
		a[n++] = xasprintf("--trace=%s", tr->path);
	a[n++] = xasprintf("--base-port=%d", base);
	a[n++] = xasprintf("--to=127.0.0.1:%d", p->node[q].port);
	a[n++] = xasprintf("--time-scale=%.17g", p->o->time_scale);
	if (p->o->mesh_drop) /* only the mesh of DST carries pair SRC->DST */
		a[n++] = xasprintf("--drop=%s", p->o->mesh_drop);
	snprintf(pr->what, sizeof pr->what, "mesh relaying to region %s (ports %d-%d)",
	         p->topo->regions[q].name, base, base + p->R * (p->R - 1) - 1);
	pid_t pid = spawn(p, a, pr, 0);
	argv_free(a);
	if (pid < 0)
		return -1;
	/* only this mesh is pumped: the nodes are quiet until `start` */
	struct proc *saved = p->node;
	p->node = xcalloc((size_t)p->R, sizeof *p->node);
	struct proc *others = p->mesh;
	p->mesh = xcalloc((size_t)p->R, sizeof *p->mesh);
	p->mesh[q] = *pr;
	int rc = pump(p, START_S(p), on_mesh_line);
	*pr = p->mesh[q];
	free(p->node);
	free(p->mesh);
	p->node = saved;
	p->mesh = others;
	if (rc > 0)
		return diag_error("emu run: the %s did not list its ports within %g s "
		                  "(--start-timeout); stopping the run", pr->what, START_S(p));
	return rc;
}

static int start_meshes(struct parent *p)
{
	int nproc = 0;
	for (int r = 0; r < p->R; r++)
		nproc += p->node[r].pid != 0;
	if (nproc < 2)
		return 0;
	int span = p->R * (p->R - 1);
	int base = p->o->base_port ? p->o->base_port
	                           : 20000 + (int)(getpid() % 500) * 2 * p->R * span;
	for (int q = 0; q < p->R; q++) {
		if (!p->node[q].pid)
			continue;
		int ok = -1;
		/* a port in use makes the mesh exit 1 naming it: try the next block, 4 times */
		for (int attempt = 0; attempt < 5 && ok < 0; attempt++) {
			int b = base + (q + attempt * p->R) * span;
			if (b + span > 65535)
				b = 20000 + (b % 40000);
			ok = start_mesh(p, q, b);
			if (ok < 0 && reap(p))
				return -1;
		}
		if (ok < 0)
			return -1;
	}
	return 0;
}

static void send_routes(struct parent *p)
{
	for (int s = 0; s < p->R; s++) {
		struct proc *pr = &p->node[s];
		if (!pr->pid)
			continue;
		for (int d = 0; d < p->R; d++) {
			if (!p->node[d].pid)
				continue;
			int port = d == s ? p->node[d].port : p->mesh[d].relay[s];
			say(pr->in_fd, "route %d %d 127.0.0.1 %d\n", s, d, port);
		}
	}
	for (int s = 0; s < p->R; s++)
		if (p->node[s].pid)
			say(p->node[s].in_fd, "start\n");
}

/* ---- finish detection ---- */

static int on_qstatus(struct parent *p, struct proc *pr, const char *line)
{
	uint64_t s, d;
	int st;
	if (sscanf(line, "qstatus %d %" SCNu64 " %" SCNu64, &st, &s, &d) == 3) {
		pr->qdone = 1;
		pr->stopped = st;
		pr->sent = s;
		pr->deliv = d;
	} else {
		diag_error("emu run: unexpected line from the %s: '%s'", pr->what, line);
	}
	for (int r = 0; r < p->R; r++)
		if (p->node[r].pid && !p->node[r].qdone)
			return 0;
	return 1;
}

static int on_written(struct parent *p, struct proc *pr, const char *line)
{
	if (!strcmp(line, "written"))
		pr->written = 1;
	for (int r = 0; r < p->R; r++)
		if (p->node[r].pid && !p->node[r].written)
			return 0;
	return 1;
}

/* Rounds of queries until two in a row find the same quiescent counts; 0 or -1. */
static int wait_finish(struct parent *p)
{
	uint64_t *prev = xcalloc((size_t)p->R * 2, sizeof *prev);
	int have_prev = 0;
	for (;;) {
		for (int r = 0; r < p->R; r++)
			if (p->node[r].pid) {
				p->node[r].qdone = 0;
				say(p->node[r].in_fd, "query\n");
			}
		if (pump(p, 1e9, on_qstatus) < 0) {
			free(prev);
			return -1;
		}
		uint64_t s = 0, d = 0;
		int stopped = 1, same = have_prev;
		for (int r = 0; r < p->R; r++) {
			struct proc *pr = &p->node[r];
			if (!pr->pid)
				continue;
			stopped &= pr->stopped;
			s += pr->sent;
			d += pr->deliv;
			same &= prev[2 * r] == pr->sent && prev[2 * r + 1] == pr->deliv;
			prev[2 * r] = pr->sent;
			prev[2 * r + 1] = pr->deliv;
		}
		int quiet = stopped && s == d;
		if (quiet && same)
			break;
		have_prev = quiet;
		/* wait a round period, watching for deaths */
		double until = wallclock_s() + QUERY_EVERY_MS / 1e3;
		while (wallclock_s() < until) {
			poll(NULL, 0, 10);
			if (reap(p)) {
				free(prev);
				return -1;
			}
		}
		if (p->o->timeout_s > 0 && wallclock_s() - p->t0 > p->o->timeout_s) {
			free(prev);
			return diag_error("emu run: no finish after --timeout %g s; stopping the run",
			                  p->o->timeout_s);
		}
	}
	free(prev);
	for (int r = 0; r < p->R; r++)
		if (p->node[r].pid)
			say(p->node[r].in_fd, "finish\n");
	if (pump(p, 60, on_written) != 0)
		return emu_stop_signal() ? -1 : diag_error("emu run: the nodes did not write their results");
	/* close the control pipes: nodes exit 0 */
	for (int r = 0; r < p->R; r++) {
		struct proc *pr = &p->node[r];
		if (!pr->pid)
			continue;
		close(pr->in_fd);
		pr->in_fd = -1;
	}
	for (int r = 0; r < p->R; r++) {
		struct proc *pr = &p->node[r];
		if (!pr->pid)
			continue;
		int st = 0;
		double until = wallclock_s() + 10;
		while (waitpid(pr->pid, &st, WNOHANG) == 0) {
			if (wallclock_s() > until) {
				kill(pr->pid, SIGKILL);
				waitpid(pr->pid, &st, 0);
				break;
			}
			poll(NULL, 0, 5);
		}
		pr->pid = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			char why[128];
			exit_reason(st, why, sizeof why);
			return diag_error("emu run: the %s %s after writing its results", pr->what, why);
		}
	}
	return 0;
}

/* ---- results: the node files merged into the parts of one run ---- */

struct agg {
	struct ps_stats st;          /* counters summed over nodes */
	struct ps_eval *ev;          /* evaluations of every replica */
	size_t nev, evcap;           /* their number, room */
	struct ps_filter_rec *fr;    /* filter records */
	size_t nfr, frcap;           /* their number, room */
	int nrep;                    /* replicas (highest index + 1) */
	int reg[256];                /* region of each replica */
	double fo[256], fm[256], ft[256]; /* final objective, metric, held-out metric per replica */
	int64_t end_ns;              /* latest PUSH delivery, emulated ns */
	struct emu_global_set *gs;   /* shard snapshots of a global model (emu_global.h) */
};

static void agg_init(struct agg *g, int R, int N)
{
	memset(g, 0, sizeof *g);
	size_t nk = (size_t)R * (size_t)R * MSG_NKINDS;
	g->st.wan_bytes = xcalloc(nk, sizeof *g->st.wan_bytes);
	g->st.wan_msgs = xcalloc(nk, sizeof *g->st.wan_msgs);
	g->st.wait_s = xcalloc((size_t)N * PS_WAIT_NKINDS, sizeof *g->st.wait_s);
	g->st.compute_s = xcalloc((size_t)N, sizeof *g->st.compute_s);
	g->st.clocks = xcalloc((size_t)N, sizeof *g->st.clocks);
	g->gs = emu_global_set_new();
}

static void agg_free(struct agg *g)
{
	free(g->st.wan_bytes);
	free(g->st.wan_msgs);
	free(g->st.wait_s);
	free(g->st.compute_s);
	free(g->st.clocks);
	free(g->ev);
	free(g->fr);
	emu_global_set_free(g->gs);
}

static void add_filter(struct agg *g, int region, int64_t clock, uint64_t pr, uint64_t se,
                       double thr)
{
	for (size_t i = 0; i < g->nfr; i++)
		if (g->fr[i].region == region && g->fr[i].clock == clock) {
			g->fr[i].produced += pr;
			g->fr[i].sent += se;
			return;
		}
	if (g->nfr == g->frcap) {
		g->frcap = g->frcap ? 2 * g->frcap : 64;
		g->fr = xreallocarray(g->fr, g->frcap, sizeof *g->fr);
	}
	g->fr[g->nfr++] = (struct ps_filter_rec){ region, clock, pr, se, thr };
}

/* Line 1 of a results file: this program's format version; 0 or -1 naming file and line. */
static int check_magic(const char *path, const char *line)
{
	size_t n = strcspn(line, "\n");
	static const char word[] = "gaiasim-emu-results ";
	if (strncmp(line, word, sizeof word - 1))
		return diag_at(path, 1, "not a node results file (no '%s' line)", RESULTS_MAGIC);
	if (n != strlen(RESULTS_MAGIC) || strncmp(line, RESULTS_MAGIC, n))
		return diag_at(path, 1, "results file format '%.*s', but this gaiasim reads '%s' "
		               "(written by another gaiasim version; rerun the node with this one)",
		               (int)n, line, RESULTS_MAGIC);
	return 0;
}

/* The global model's evaluations and final quality, assembled from the shard snapshots of
 * every file (cli/emu_global.h), added to g; 0 or -1 with a message. */
static int agg_global(struct agg *g, const struct run_setup *rs)
{
	struct cluster_config cc;
	run_setup_cluster(rs, &cc);
	struct emu_global_result gr;
	if (emu_global_set_eval(g->gs, cc.wl_ops, cc.wl, &gr) < 0)
		return -1;
	for (size_t i = 0; i < gr.nevals; i++) {
		if (g->nev == g->evcap) {
			g->evcap = g->evcap ? 2 * g->evcap : 64;
			g->ev = xreallocarray(g->ev, g->evcap, sizeof *g->ev);
		}
		g->ev[g->nev++] = gr.evals[i];
	}
	for (int f = 0; f < gr.nfinal; f++) {
		int r = gr.final_replica[f];
		if (r >= 0 && r < 256) {
			g->fo[r] = gr.final_objective[f];
			g->fm[r] = gr.final_metric[f];
			g->ft[r] = gr.final_test[f];
		}
	}
	free(gr.evals);
	return 0;
}

/* Read one node's results file into g; 0 or -1 with a message naming the file and line. */
static int read_results(const char *path, struct agg *g, int R, int N, int *region)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return diag_error("emu run: cannot read %s: %s", path, strerror(errno));
	char line[1024];
	long ln = 0;
	int ended = 0, rc = 0;
	while (!ended && fgets(line, sizeof line, f)) {
		ln++;
		int a, b, k, w;
		int64_t c, t, e;
		double x, y, z;
		uint64_t u1, u2, u3, u4;
		if (ln == 1) {
			rc = check_magic(path, line);
			if (rc < 0)
				break;
		} else if (sscanf(line, "region %d", &a) == 1) {
			*region = a;
		} else if (sscanf(line, "end_ns %" SCNd64, &e) == 1) {
			if (e > g->end_ns)
				g->end_ns = e;
		} else if (sscanf(line, "replica %d %d", &a, &b) == 2 && a >= 0 && a < 256) {
			g->reg[a] = b;
			if (a + 1 > g->nrep)
				g->nrep = a + 1;
		} else if (sscanf(line, "final %d %lf %lf %lf", &a, &x, &y, &z) == 4 && a >= 0 &&
		           a < 256) {
			g->fo[a] = x;
			g->fm[a] = y;
			g->ft[a] = z;
		} else if (sscanf(line, "eval %d %" SCNd64 " %" SCNd64 " %lf %lf %lf", &a, &c, &t, &x,
		                  &y, &z) == 6) {
			if (g->nev == g->evcap) {
				g->evcap = g->evcap ? 2 * g->evcap : 64;
				g->ev = xreallocarray(g->ev, g->evcap, sizeof *g->ev);
			}
			g->ev[g->nev++] = (struct ps_eval){ a, c, t, x, y, z };
		} else if (!strncmp(line, "worker ", 7)) {
			char *p = line + 7, *q;
			w = (int)strtol(p, &q, 10);
			if (w < 0 || w >= N) {
				rc = diag_at(path, ln, "worker %d out of range", w);
				break;
			}
			g->st.clocks[w] = strtoll(q, &p, 10);
			g->st.compute_s[w] = strtod(p, &q);
			for (k = 0; k < PS_WAIT_NKINDS; k++, q = p)
				g->st.wait_s[(size_t)w * PS_WAIT_NKINDS + (size_t)k] = strtod(q, &p);
		} else if (sscanf(line, "wan %d %d %d %lf %lf", &a, &b, &k, &x, &y) == 5 && a >= 0 &&
		           a < R && b >= 0 && b < R && k >= 0 && k < MSG_NKINDS) {
			size_t i = ((size_t)a * (size_t)R + (size_t)b) * MSG_NKINDS + (size_t)k;
			g->st.wan_bytes[i] += x;
			g->st.wan_msgs[i] += y;
		} else if (sscanf(line, "filter %d %" SCNd64 " %" SCNu64 " %" SCNu64 " %lf", &a, &c,
		                  &u1, &u2, &x) == 5) {
			add_filter(g, a, c, u1, u2, x);
		} else if (sscanf(line, "counters %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
		                  &u1, &u2, &u3, &u4) == 4) {
			g->st.updates_produced += u1;
			g->st.updates_sent += u2;
			g->st.updates_pushed += u3;
			g->st.updates_pushed_wan += u4;
		} else if ((k = emu_global_set_line(g->gs, path, ln, line)) != 0) {
			if (k < 0) {
				rc = -1;
				break;
			}
		} else if (!strcmp(line, "end\n")) {
			ended = 1;
		} else {
			rc = diag_at(path, ln, "unreadable line");
			break;
		}
	}
	if (!rc)
		rc = emu_global_set_end(g->gs, path, ln);
	if (!rc && !ended)
		rc = diag_at(path, ln, "truncated (no 'end' line)");
	fclose(f);
	return rc;
}

static int cmp_eval(const void *x, const void *y)
{
	const struct ps_eval *a = x, *b = y;
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	if (a->clock != b->clock)
		return a->clock < b->clock ? -1 : 1;
	return a->replica - b->replica;
}

static int cmp_frec(const void *x, const void *y)
{
	const struct ps_filter_rec *a = x, *b = y;
	if (a->clock != b->clock)
		return a->clock < b->clock ? -1 : 1;
	return a->region - b->region;
}

/*
 * The target rule of the standard observer (ps/observer.c) over the merged evaluations: the
 * first time every replica's evaluation at one clock is at or past the target.
 */
static int64_t target_time(const struct agg *g, double target, int on_test, int higher)
{
	if (isnan(target))
		return -1;
	double sign = higher ? -1 : 1;
	for (size_t i = 0; i < g->nev; i++) {
		int count = 0;
		double worst = -INFINITY;
		for (size_t j = 0; j <= i; j++) {
			if (g->ev[j].clock != g->ev[i].clock)
				continue;
			double v = on_test ? g->ev[j].test_metric : g->ev[j].objective;
			count++;
			if (sign * v > worst)
				worst = sign * v;
		}
		if (count == g->nrep && worst <= sign * target)
			return g->ev[i].time;
	}
	return -1;
}

/*
 * Merge the results files paths[0..n-1] (one per region process) into one run: summarized
 * into *res and, with o->db, stored as runs.kind 'emu'. Every region that runs nodes must have
 * exactly one file. 0, or -1 with a message naming the file (nothing stored).
 */
static int collect_files(struct run_setup *rs, struct runcfg *cfg, const char *const *paths,
                         int n, const struct emu_run_opts *o, double t0, struct run_result *res)
{
	const struct topology *topo = run_setup_topology(rs);
	int N = run_setup_nnodes(rs), R = topo->n;
	struct agg g;
	agg_init(&g, R, N);
	int rc = -1;
	int *seen = xcalloc((size_t)R, sizeof *seen);
	for (int i = 0; i < n; i++) {
		int region = -1;
		if (read_results(paths[i], &g, R, N, &region) < 0)
			goto out;
		if (region < 0 || region >= R || seen[region]++) {
			diag_error("emu: %s: region %d %s", paths[i], region,
			           region < 0 || region >= R ? "is not in the topology"
			                                     : "already has a results file");
			goto out;
		}
	}
	for (int v = 0; v < N; v++) {
		int r = run_setup_place(rs, v);
		if (!seen[r]) {
			diag_error("emu: no results file for region %s (node %d)", topo->regions[r].name, v);
			goto out;
		}
	}
	if (agg_global(&g, rs) < 0)
		goto out;
	if (g.nev) /* qsort's array may not be NULL, even empty */
		qsort(g.ev, g.nev, sizeof *g.ev, cmp_eval);
	if (g.nfr) /* none without a significance filter (every model but gaia) */
		qsort(g.fr, g.nfr, sizeof *g.fr, cmp_frec);
	int on_test, higher;
	double target = run_setup_target(rs, &on_test, &higher);
	int64_t diverged = -1; /* the first evaluation to a non-finite objective, in time order */
	for (size_t i = 0; i < g.nev && diverged < 0; i++)
		if (!isfinite(g.ev[i].objective))
			diverged = g.ev[i].clock;
	struct run_parts parts = {
		.diverged_clock = diverged, .finished = 1,
		.evals = g.ev, .nevals = g.nev, .nreplicas = g.nrep, .replica_region = g.reg,
		.final_objective = g.fo, .final_metric = g.fm, .final_test = g.ft, .stats = &g.st,
		.frecs = g.fr, .nfrecs = g.nfr,
		.target_time = target_time(&g, target, on_test, higher),
		.end_s = simtime_to_s(g.end_ns),
	};
	struct run_opts ro = {
		.db = o->db, .kind = "emu", .label = o->label, .target = NAN,
		.traj_objective = o->traj_objective, .traj_time_s = o->traj_time_s,
		.traj_clock = o->traj_clock, .traj_n = o->traj_n, .wan_bytes = o->wan_bytes,
	};
	rc = run_report_parts(cfg, rs, &ro, &parts, wallclock_s() - t0, res);
out:
	free(seen);
	agg_free(&g);
	return rc;
}

static int collect_results(struct parent *p, struct runcfg *cfg, struct run_result *res)
{
	char *paths[256] = { NULL };
	int n = 0;
	for (int r = 0; r < p->R && n < 256; r++)
		if (p->node[r].port)
			paths[n++] = xasprintf("%s/node-%d.txt", p->tmpdir, r);
	int rc = collect_files(p->rs, cfg, (const char *const *)paths, n, p->o, p->t0, res);
	for (int i = 0; i < n; i++)
		free(paths[i]);
	return rc;
}

int emu_collect(const struct emu_run_opts *o, const char *const *paths, int n,
                struct run_result *res)
{
	struct runcfg *cfg = runcfg_load(o->config);
	struct run_setup *rs = NULL;
	int rc = -1;
	if (!cfg)
		return -1;
	for (int i = 0; i < o->nsets; i++)
		if (runcfg_set(cfg, o->sets[i]) < 0)
			goto out;
	if (!(rs = run_setup_new(cfg)))
		goto out;
	rc = collect_files(rs, cfg, paths, n, o, wallclock_s(), res);
out:
	run_setup_free(rs);
	runcfg_free(cfg);
	return rc;
}

/* ---- the run ---- */

int emu_run(const struct emu_run_opts *o, struct run_result *res)
{
	struct parent p = { .o = o, .t0 = wallclock_s() };
	struct runcfg *cfg = NULL;
	int rc = -1;
	signal(SIGPIPE, SIG_IGN);
	emu_stop_defer(); /* from here a signal stops the children and the folder goes */
	ssize_t n = readlink("/proc/self/exe", p.self, sizeof p.self - 1);
	if (n <= 0)
		return diag_error("emu run: cannot find this program (/proc/self/exe): %s",
		                  strerror(errno));
	p.self[n] = '\0';
	if (!(cfg = runcfg_load(o->config)))
		return -1;
	for (int i = 0; i < o->nsets; i++)
		if (runcfg_set(cfg, o->sets[i]) < 0)
			goto out;
	if (!(p.rs = run_setup_new(cfg)) || run_setup_check_emu(p.rs) < 0)
		goto out;
	if (!strcmp(run_setup_emu_compute(p.rs), "measured") && o->time_scale != 1) {
		diag_error("emu run: emu.compute = measured cannot be compressed (--time-scale %g)",
		           o->time_scale);
		goto out;
	}
	p.topo = run_setup_topology(p.rs);
	p.R = p.topo->n;
	struct emu_mesh_config drop;
	if (o->mesh_drop &&
	    emu_mesh_parse_drop("emu run: --mesh-drop", o->mesh_drop, p.topo, &drop) < 0)
		goto out; /* checked here, before any process starts */
	const char *tmp = getenv("TMPDIR");
	snprintf(p.tmpdir, sizeof p.tmpdir, "%s/gaiasim-emu-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(p.tmpdir)) {
		diag_error("emu run: cannot make a temporary folder: %s", strerror(errno));
		p.tmpdir[0] = '\0';
		goto out;
	}
	p.node = xcalloc((size_t)p.R, sizeof *p.node);
	p.mesh = xcalloc((size_t)p.R, sizeof *p.mesh);
	for (int r = 0; r < p.R; r++)
		p.node[r].in_fd = p.node[r].out_fd = p.mesh[r].in_fd = p.mesh[r].out_fd = -1;
	if (start_nodes(&p) < 0 || start_meshes(&p) < 0)
		goto out;
	send_routes(&p);
	if (wait_finish(&p) < 0)
		goto out;
	stop_all(&p); /* the meshes */
	if (emu_stop_signal())
		goto out; /* interrupted before anything was stored */
	rc = collect_results(&p, cfg, res);
out:
	if (p.node)
		stop_all(&p);
	if (p.tmpdir[0]) {
		for (int r = 0; r < p.R; r++) {
			char *path = xasprintf("%s/node-%d.txt", p.tmpdir, r);
			unlink(path);
			free(path);
			path = xasprintf("%s/node-%d.txt.tmp", p.tmpdir, r);
			unlink(path);
			free(path);
		}
		rmdir(p.tmpdir);
	}
	free(p.node);
	free(p.mesh);
	run_setup_free(p.rs);
	runcfg_free(cfg);
	return rc;
}
