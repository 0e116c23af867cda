/*
 * Emulated training runs, the parent (`gaiasim emu run`, cli/emu_run.h): starts one node
 * process per region that runs nodes (cli/emu_node.c) and one mesh per destination region,
 * sends every node its routes and `start` on the control channel (cli/emu_ctl.h), detects the
 * finish, and merges the nodes' results files into one stored run (cli/emu_results.h).
 *
 * Finish detection: the parent queries every node every 50 ms once started; the run is
 * finished when two consecutive rounds find every worker stopped, the sums of messages sent
 * and delivered equal, and every node's counts unchanged (counts only grow, so no message was
 * in flight).
 */
#include "cli/emu_run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/emu_ctl.h"
#include "cli/emu_results.h"
#include "cli/emu_stop.h"
#include "emu/mesh.h"
#include "lib/diag.h"
#include "lib/runcfg.h"
#include "lib/wallclock.h"
#include "lib/xmalloc.h"
#include "topology/topology.h"

#define START_TIMEOUT_S 30.0    /* real s for a process to report its port (--start-timeout) */
#define START_S(p) ((p)->o->start_timeout_s > 0 ? (p)->o->start_timeout_s : START_TIMEOUT_S)
#define QUERY_EVERY_MS 50       /* finish-detection round period, real ms */

/* A child process: a node or a mesh. */
struct proc {
	pid_t pid;                   /* process id (0: not running) */
	int in_fd;                   /* its stdin (nodes), or -1 */
	int out_fd;                  /* its stdout */
	struct emu_ctl_buf out;      /* lines read from it */
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
	 * in the folder that goes; a SIGTERM would let one report the other's closed sockets).
	 * Every node is sent SIGSTOP before any is killed: a pending stop is acted on before a
	 * process next runs its own code, so no node can see a killed peer's sockets close and
	 * print about it (killing them one by one left that window open under load). */
	int node_sig = emu_stop_signal() ? SIGKILL : SIGTERM;
	if (node_sig == SIGKILL)
		for (int r = 0; r < p->R; r++)
			if (p->node[r].pid > 0)
				kill(p->node[r].pid, SIGSTOP);
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
			if (emu_ctl_fill(&pr->out, pr->out_fd) < 0)
				return diag_error("emu run: cannot read the control output of the %s: %s",
				                  pr->what, pr->out.n == sizeof pr->out.buf
				                  ? "a line longer than the control buffer"
				                  : strerror(errno));
			char line[256];
			while (emu_ctl_line(&pr->out, line, sizeof line))
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
	if (rc > 0) { /* timeout: name every node still without a listener */
		int missing = 0;
		for (int r = 0; r < p->R; r++)
			if (p->node[r].pid && !p->node[r].port)
				missing = diag_error("emu run: the %s did not open its listener within %g s "
				                     "(--start-timeout); stopping the run", p->node[r].what,
				                     START_S(p));
		return missing;
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
			emu_ctl_say(pr->in_fd, "route %d %d 127.0.0.1 %d\n", s, d, port);
		}
	}
	for (int s = 0; s < p->R; s++)
		if (p->node[s].pid)
			emu_ctl_say(p->node[s].in_fd, "start\n");
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
				emu_ctl_say(p->node[r].in_fd, "query\n");
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
			emu_ctl_say(p->node[r].in_fd, "finish\n");
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

/* ---- results ---- */

static int collect_results(struct parent *p, struct runcfg *cfg, struct run_result *res)
{
	char *paths[256] = { NULL };
	int n = 0;
	for (int r = 0; r < p->R && n < 256; r++)
		if (p->node[r].port)
			paths[n++] = xasprintf("%s/node-%d.txt", p->tmpdir, r);
	int rc = emu_results_collect(p->rs, cfg, (const char *const *)paths, n, p->o, p->t0, res);
	for (int i = 0; i < n; i++)
		free(paths[i]);
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
	if (!(p.rs = run_setup_new(cfg)))
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
