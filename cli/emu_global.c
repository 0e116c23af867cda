/*
 * Evaluating a global model in an emulated run (cli/emu_global.h): a recording observer in
 * each node process that snapshots its shards' rows at evaluation clocks, and the assembly of
 * every process's snapshots into evaluations of the whole model when the results are merged.
 */
#include "cli/emu_global.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cluster.h"
#include "lib/diag.h"
#include "lib/xmalloc.h"
#include "ps/ps.h"

/* One shard's rows at one evaluation clock (or its final rows). */
struct gsnap {
	int replica;             /* replica index */
	int nshards;             /* shards of the replica */
	int shard;               /* shard index: owns rows with row % nshards == shard */
	int64_t clock;           /* clock completed, or -1: the final rows */
	sim_time_t time;         /* when the shard completed it, emulated ns */
	size_t n;                /* values: rows owned x row length */
	double *val;             /* the values, rows in local order (row = local * nshards + shard) */
	const char *path;        /* collect side: the file it came from (borrowed), else NULL */
	long line_no;            /* collect side: its header line */
};

/* Rows a shard owns out of nrows (the rule of ps/ps.c replica_init). */
static size_t owned_rows(size_t nrows, int nshards, int shard)
{
	size_t S = (size_t)nshards, i = (size_t)shard;
	return nrows > i ? (nrows - i + S - 1) / S : 0;
}

static void snap_push(struct gsnap **v, size_t *n, size_t *cap, const struct gsnap *x)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 32;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[(*n)++] = *x;
}

/* ================================ node side ================================ */

struct emu_global {
	struct observer inner;   /* the observer every event is forwarded to */
	const struct ps *ps;     /* the cluster */
	size_t nrows, row_len;   /* model shape */
	int64_t max_clocks;      /* clocks per worker (evaluated at the last) */
	int64_t eval_every;      /* evaluate every k clocks */
	int nrep;                /* replicas */
	unsigned char *split;    /* per replica: global and not wholly hosted here (recorded) */
	unsigned char **mine;    /* per replica and shard: hosted here */
	int64_t **last;          /* per replica and shard: the last clock reported */
	struct gsnap *snaps;     /* snapshots, in the order taken */
	size_t nsnaps, cap;      /* used / allocated */
};

static int eval_due(const struct emu_global *g, int64_t c)
{
	return c % g->eval_every == 0 || c == g->max_clocks;
}

/* Shard `shard` of replica r's rows out of params (allocated). */
static struct gsnap gather(const struct emu_global *g, int r, int shard, int64_t clock,
                           const double *params, sim_time_t now)
{
	int S = ps_replica_nshards(g->ps, r);
	size_t own = owned_rows(g->nrows, S, shard), rl = g->row_len;
	struct gsnap s = { r, S, shard, clock, now, own * rl, xmalloc(own * rl * sizeof(double) + 1),
	                   NULL, 0 };
	for (size_t local = 0; local < own; local++)
		memcpy(s.val + local * rl, params + (local * (size_t)S + (size_t)shard) * rl,
		       rl * sizeof(double));
	return s;
}

static void take(struct emu_global *g, int r, int shard, int64_t clock, const double *params,
                 sim_time_t now)
{
	struct gsnap s = gather(g, r, shard, clock, params, now);
	snap_push(&g->snaps, &g->nsnaps, &g->cap, &s);
}

static void g_replica_start(void *ctx, int r, const double *params, sim_time_t now)
{
	struct emu_global *g = ctx;
	g->inner.ops->replica_start(g->inner.ctx, r, params, now);
	if (!g->split[r])
		return;
	for (int i = 0; i < ps_replica_nshards(g->ps, r); i++)
		if (g->mine[r][i])
			take(g, r, i, 0, params, now);
}

/*
 * A shard's clock advanced (possibly by several clocks at once, with one model): snapshot it
 * for every evaluation clock passed, as the standard observer evaluates every clock passed.
 */
static void g_shard_clock(void *ctx, int r, int shard, int64_t clock, const double *params,
                          sim_time_t now)
{
	struct emu_global *g = ctx;
	g->inner.ops->shard_clock(g->inner.ctx, r, shard, clock, params, now);
	if (!g->split[r])
		return;
	for (int64_t c = g->last[r][shard] + 1; c <= clock; c++)
		if (eval_due(g, c))
			take(g, r, shard, c, params, now);
	if (clock > g->last[r][shard])
		g->last[r][shard] = clock;
}

/* ---- the other events, forwarded unchanged ---- */

static void g_clock_done(void *ctx, int w, int64_t clock, sim_time_t now)
{
	struct emu_global *g = ctx;
	g->inner.ops->clock_done(g->inner.ctx, w, clock, now);
}

static void g_worker_stop(void *ctx, int w, sim_time_t now)
{
	struct emu_global *g = ctx;
	g->inner.ops->worker_stop(g->inner.ctx, w, now);
}

static void g_wait_end(void *ctx, int w, int reason, sim_time_t waited_ns, sim_time_t now)
{
	struct emu_global *g = ctx;
	g->inner.ops->wait_end(g->inner.ctx, w, reason, waited_ns, now);
}

static void g_compute(void *ctx, int w, double ns)
{
	struct emu_global *g = ctx;
	g->inner.ops->compute(g->inner.ctx, w, ns);
}

static void g_msg_sent(void *ctx, const struct observer_msg *m, sim_time_t now)
{
	struct emu_global *g = ctx;
	g->inner.ops->msg_sent(g->inner.ctx, m, now);
}

static void g_msg_delivered(void *ctx, const struct observer_msg *m, sim_time_t now)
{
	struct emu_global *g = ctx;
	g->inner.ops->msg_delivered(g->inner.ctx, m, now);
}

static void g_filter(void *ctx, int region, int64_t clock, uint64_t produced, uint64_t sent,
                     double threshold)
{
	struct emu_global *g = ctx;
	g->inner.ops->filter(g->inner.ctx, region, clock, produced, sent, threshold);
}

static int g_stopping(void *ctx)
{
	struct emu_global *g = ctx;
	return g->inner.ops->stopping(g->inner.ctx);
}

static void g_significance(void *ctx, int region, int64_t clock, const uint64_t *below,
                           uint64_t updates)
{
	struct emu_global *g = ctx;
	g->inner.ops->significance(g->inner.ctx, region, clock, below, updates);
}

static const struct observer_ops g_ops = {
	.replica_start = g_replica_start,
	.shard_clock = g_shard_clock,
	.clock_done = g_clock_done,
	.worker_stop = g_worker_stop,
	.wait_end = g_wait_end,
	.compute = g_compute,
	.msg_sent = g_msg_sent,
	.msg_delivered = g_msg_delivered,
	.filter = g_filter,
	.stopping = g_stopping,
	.significance = g_significance,
};

/* The same table without significance, for an inner observer that has none (ps/ps.c then
 * counts nothing, as it would for the inner one). */
static const struct observer_ops g_ops_nosig = {
	.replica_start = g_replica_start,
	.shard_clock = g_shard_clock,
	.clock_done = g_clock_done,
	.worker_stop = g_worker_stop,
	.wait_end = g_wait_end,
	.compute = g_compute,
	.msg_sent = g_msg_sent,
	.msg_delivered = g_msg_delivered,
	.filter = g_filter,
	.stopping = g_stopping,
};

struct emu_global *emu_global_new(const struct ps *ps, struct observer inner,
                                  const struct cluster_config *cc)
{
	struct emu_global *g = xcalloc(1, sizeof *g);
	g->inner = inner;
	g->ps = ps;
	g->nrows = cc->wl_ops->nrows(cc->wl);
	g->row_len = cc->wl_ops->row_len(cc->wl);
	g->max_clocks = cc->max_clocks;
	g->eval_every = cc->eval_every > 0 ? cc->eval_every : 1;
	g->nrep = ps_nreplicas(ps);
	g->split = xcalloc((size_t)g->nrep + 1, 1);
	g->mine = xcalloc((size_t)g->nrep + 1, sizeof *g->mine);
	g->last = xcalloc((size_t)g->nrep + 1, sizeof *g->last);
	for (int r = 0; r < g->nrep; r++) {
		int S = ps_replica_nshards(ps, r), held = 0;
		g->mine[r] = xcalloc((size_t)S + 1, 1);
		g->last[r] = xcalloc((size_t)S + 1, sizeof **g->last);
		for (int i = 0; i < S; i++) {
			int node = ps_replica_shard_node(ps, r, i);
			held += g->mine[r][i] = !cc->hosted || cc->hosted[node];
		}
		g->split[r] = ps_replica_region(ps, r) < 0 && held < S;
	}
	return g;
}

void emu_global_free(struct emu_global *g)
{
	if (!g)
		return;
	for (int r = 0; r < g->nrep; r++) {
		free(g->mine[r]);
		free(g->last[r]);
	}
	for (size_t i = 0; i < g->nsnaps; i++)
		free(g->snaps[i].val);
	free(g->snaps);
	free(g->split);
	free(g->mine);
	free(g->last);
	free(g);
}

struct observer emu_global_as(struct emu_global *g)
{
	return (struct observer){ g->inner.ops->significance ? &g_ops : &g_ops_nosig, g };
}

static void write_snap(FILE *f, const struct gsnap *s)
{
	fprintf(f, "gsnap %d %d %d %" PRId64 " %" PRId64 " %zu\n", s->replica, s->nshards, s->shard,
	        s->clock, (int64_t)s->time, s->n);
	for (size_t i = 0; i < s->n; i += EMU_GLOBAL_PER_LINE) {
		fputs("gv", f);
		for (size_t k = i; k < s->n && k < i + EMU_GLOBAL_PER_LINE; k++)
			fprintf(f, " %.17g", s->val[k]);
		fputc('\n', f);
	}
}

void emu_global_write(const struct emu_global *g, FILE *f)
{
	for (int r = 0; r < g->nrep; r++)
		if (g->split[r])
			fprintf(f, "replica %d -1\n", r);
	for (size_t i = 0; i < g->nsnaps; i++)
		write_snap(f, &g->snaps[i]);
	/* the final rows: the shards' current values */
	for (int r = 0; r < g->nrep; r++) {
		if (!g->split[r])
			continue;
		for (int i = 0; i < ps_replica_nshards(g->ps, r); i++) {
			if (!g->mine[r][i])
				continue;
			struct gsnap s = gather(g, r, i, -1, ps_replica_params(g->ps, r), 0);
			write_snap(f, &s);
			free(s.val);
		}
	}
}

/* ================================ collect side ================================ */

struct emu_global_set {
	struct gsnap *b;         /* snapshots read, from every file */
	size_t n, cap;           /* used / allocated */
	size_t filled;           /* values read so far into the last snapshot */
	int open;                /* the last snapshot still expects values */
	char **paths;            /* file names seen (owned; snapshots point into them) */
	size_t npaths;           /* their number */
	size_t max_values;       /* the model's values: no snapshot holds more */
};

struct emu_global_set *emu_global_set_new(size_t max_values)
{
	struct emu_global_set *s = xcalloc(1, sizeof *s);
	s->max_values = max_values;
	return s;
}

void emu_global_set_free(struct emu_global_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->b[i].val);
	for (size_t i = 0; i < s->npaths; i++)
		free(s->paths[i]);
	free(s->b);
	free(s->paths);
	free(s);
}

static const char *keep_path(struct emu_global_set *s, const char *path)
{
	if (s->npaths && !strcmp(s->paths[s->npaths - 1], path))
		return s->paths[s->npaths - 1];
	s->paths = xreallocarray(s->paths, s->npaths + 1, sizeof *s->paths);
	s->paths[s->npaths] = xstrdup(path);
	return s->paths[s->npaths++];
}

/* A `gv` line: its values appended to the open snapshot. */
static int values_line(struct emu_global_set *s, const char *path, long ln, const char *line)
{
	if (!s->open)
		return diag_at(path, ln, "values ('gv') without a 'gsnap' header before them");
	struct gsnap *g = &s->b[s->n - 1];
	const char *p = line + 2;
	for (;;) {
		char *end;
		while (*p == ' ')
			p++;
		if (*p == '\n' || *p == '\0')
			break;
		double v = strtod(p, &end);
		if (end == p)
			return diag_at(path, ln, "unreadable value '%.20s'", p);
		if (s->filled == g->n)
			return diag_at(path, ln, "more values than the header's %zu", g->n);
		g->val[s->filled++] = v;
		p = end;
	}
	s->open = s->filled < g->n;
	return 1;
}

int emu_global_set_line(struct emu_global_set *s, const char *path, long ln, const char *line)
{
	if (!strncmp(line, "gv ", 3) || !strcmp(line, "gv\n"))
		return values_line(s, path, ln, line);
	if (strncmp(line, "gsnap ", 6))
		return 0;
	if (s->open)
		return diag_at(path, ln, "a new snapshot before the last one's %zu values were read",
		               s->b[s->n - 1].n);
	struct gsnap g = { 0 };
	int64_t t;
	size_t n;
	if (sscanf(line, "gsnap %d %d %d %" SCNd64 " %" SCNd64 " %zu", &g.replica, &g.nshards,
	           &g.shard, &g.clock, &t, &n) != 6 || g.replica < 0 || g.nshards < 1 ||
	    g.shard < 0 || g.shard >= g.nshards || g.clock < -1)
		return diag_at(path, ln, "want 'gsnap REPLICA NSHARDS SHARD CLOCK TIME_NS NVALUES' "
		               "with 0 <= SHARD < NSHARDS and CLOCK >= -1");
	if (n > s->max_values)
		return diag_at(path, ln, "snapshot of %zu values, but the model has %zu", n,
		               s->max_values);
	g.time = t;
	g.n = n;
	g.val = xmalloc(n * sizeof(double) + 1);
	g.path = keep_path(s, path);
	g.line_no = ln;
	snap_push(&s->b, &s->n, &s->cap, &g);
	s->filled = 0;
	s->open = n > 0;
	return 1;
}

int emu_global_set_end(struct emu_global_set *s, const char *path, long ln)
{
	if (!s->open)
		return 0;
	s->open = 0;
	return diag_at(path, ln, "the snapshot of line %ld ends after %zu of its %zu values",
	               s->b[s->n - 1].line_no, s->filled, s->b[s->n - 1].n);
}

static int cmp_snap(const void *x, const void *y)
{
	const struct gsnap *a = *(const struct gsnap *const *)x, *b = *(const struct gsnap *const *)y;
	if (a->replica != b->replica)
		return a->replica < b->replica ? -1 : 1;
	if (a->clock != b->clock)
		return a->clock < b->clock ? -1 : 1;
	return a->shard - b->shard;
}

/* Check one (replica, clock) group g[0..k-1] (sorted by shard) and assemble it into params;
 * 1 if complete, 0 if some shard is missing, -1 on a bad snapshot. */
static int assemble(struct gsnap *const *g, size_t k, size_t nrows, size_t rl, double *params)
{
	int S = g[0]->nshards;
	for (size_t i = 0; i < k; i++) {
		const struct gsnap *x = g[i];
		if (x->nshards != S)
			return diag_at(x->path, x->line_no, "replica %d has %d shards here but %d in "
			               "another snapshot", x->replica, x->nshards, S);
		if (i > 0 && g[i - 1]->shard == x->shard)
			return diag_at(x->path, x->line_no, "shard %d of replica %d at clock %" PRId64
			               " is also in %s line %ld", x->shard, x->replica, x->clock,
			               g[i - 1]->path, g[i - 1]->line_no);
		if (x->n != owned_rows(nrows, S, x->shard) * rl)
			return diag_at(x->path, x->line_no, "%zu values, but shard %d of %d owns %zu "
			               "rows of %zu values", x->n, x->shard, S,
			               owned_rows(nrows, S, x->shard), rl);
	}
	if (k != (size_t)S)
		return 0;
	for (size_t i = 0; i < k; i++)
		for (size_t local = 0; local * rl < g[i]->n; local++)
			memcpy(params + (local * (size_t)S + (size_t)g[i]->shard) * rl,
			       g[i]->val + local * rl, rl * sizeof(double));
	return 1;
}

int emu_global_set_eval(const struct emu_global_set *s, const struct workload_ops *ops,
                        const struct workload *wl, struct emu_global_result *res)
{
	memset(res, 0, sizeof *res);
	size_t nrows = ops->nrows(wl), rl = ops->row_len(wl), cap = 0;
	double *params = xmalloc(nrows * rl * sizeof *params + 1);
	struct gsnap **idx = xmalloc((s->n + 1) * sizeof *idx);
	for (size_t i = 0; i < s->n; i++)
		idx[i] = &s->b[i];
	qsort(idx, s->n, sizeof *idx, cmp_snap);
	int rc = 0;
	for (size_t i = 0, j; i < s->n && rc == 0; i = j) {
		for (j = i; j < s->n && idx[j]->replica == idx[i]->replica &&
		            idx[j]->clock == idx[i]->clock; j++)
			;
		const struct gsnap *h = idx[i];
		int ok = assemble(idx + i, j - i, nrows, rl, params);
		if (ok < 0) {
			rc = -1;
			break;
		}
		if (!ok && h->clock < 0) {
			rc = diag_at(h->path, h->line_no, "replica %d: the final rows of %zu of its %d "
			             "shards are in the results files; every region's file is needed",
			             h->replica, j - i, h->nshards);
			break;
		}
		if (!ok) /* some shard never completed this clock: not evaluated, as simulated */
			continue;
		double o = ops->objective(wl, params), m = ops->metric(wl, params);
		double t = ops->test_metric ? ops->test_metric(wl, params) : NAN;
		if (h->clock < 0) {
			if (res->nfinal == 8) {
				rc = diag_at(h->path, h->line_no, "more than 8 global replicas");
				break;
			}
			int f = res->nfinal++;
			res->final_replica[f] = h->replica;
			res->final_objective[f] = o;
			res->final_metric[f] = m;
			res->final_test[f] = t;
			continue;
		}
		sim_time_t latest = 0;
		for (size_t k = i; k < j; k++)
			if (idx[k]->time > latest)
				latest = idx[k]->time;
		if (res->nevals == cap) {
			cap = cap ? 2 * cap : 32;
			res->evals = xreallocarray(res->evals, cap, sizeof *res->evals);
		}
		res->evals[res->nevals++] = (struct ps_eval){ h->replica, h->clock, latest, o, m, t };
	}
	free(idx);
	free(params);
	if (rc < 0) {
		free(res->evals);
		res->evals = NULL;
		res->nevals = 0;
	}
	return rc;
}
