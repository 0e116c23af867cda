/*
 * The results file of a node process of an emulated run, and the merge of every region's file
 * into one stored run (cli/emu_results.h). The format's lines and its version are all here.
 */
#include "cli/emu_results.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cluster.h"
#include "cli/emu_global.h"
#include "emu/transport_sock.h"
#include "lib/diag.h"
#include "lib/runcfg.h"
#include "lib/simtime.h"
#include "lib/wallclock.h"
#include "lib/xmalloc.h"
#include "ps/msg.h"
#include "ps/ps.h"
#include "topology/topology.h"

#define RESULTS_MAGIC "gaiasim-emu-results 2" /* 2: global-model shard snapshots */

/* ---- writing (the node process) ---- */

int emu_results_write(const struct emu_results_node *nd)
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

static void agg_init(struct agg *g, int R, int N, size_t model_values)
{
	memset(g, 0, sizeof *g);
	size_t nk = (size_t)R * (size_t)R * MSG_NKINDS;
	g->st.wan_bytes = xcalloc(nk, sizeof *g->st.wan_bytes);
	g->st.wan_msgs = xcalloc(nk, sizeof *g->st.wan_msgs);
	g->st.wait_s = xcalloc((size_t)N * PS_WAIT_NKINDS, sizeof *g->st.wait_s);
	g->st.compute_s = xcalloc((size_t)N, sizeof *g->st.compute_s);
	g->st.clocks = xcalloc((size_t)N, sizeof *g->st.clocks);
	g->gs = emu_global_set_new(model_values);
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
int emu_results_collect(struct run_setup *rs, struct runcfg *cfg, const char *const *paths,
                        int n, const struct emu_run_opts *o, double t0, struct run_result *res)
{
	const struct topology *topo = run_setup_topology(rs);
	int N = run_setup_nnodes(rs), R = topo->n;
	struct cluster_config cc;
	run_setup_cluster(rs, &cc);
	struct agg g;
	agg_init(&g, R, N, cc.wl_ops->nrows(cc.wl) * cc.wl_ops->row_len(cc.wl));
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
	rc = emu_results_collect(rs, cfg, paths, n, o, wallclock_s(), res);
out:
	run_setup_free(rs);
	runcfg_free(cfg);
	return rc;
}
