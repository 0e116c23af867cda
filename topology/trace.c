/*
 * Bandwidth traces. trace_load() reads a CSV of piecewise-constant link changes
 * (`time_s,src,dst,bandwidth_bps[,rtt_ms]`, docs/trace-format.md), checking every field against
 * a topology and naming file, line and value in each error. trace_generate() writes a seeded
 * synthetic trace following the stationary-plus-excursions model: per directed pair, a noisy
 * stationary level resampled every step, and rare excursions (downtimes) during which the
 * bandwidth drops to a fraction of it. Each pair draws from its own RNG streams, so a pair's
 * rows do not change when regions are appended to the topology.
 */
#include "topology/trace.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "lib/datadir.h"
#include "lib/diag.h"
#include "lib/lineio.h"
#include "lib/rng.h"
#include "lib/xmalloc.h"

#define TRACE_MAX_FIELDS 8           /* fields kept by the splitter; more is an error anyway */
#define TRACE_MAX_TIME_S 9.0e9       /* largest time_s: ns since start still fits sim_time_t */
#define TRACE_HEADER "time_s,src,dst,bandwidth_bps"
#define TRACE_HEADER_RTT "time_s,src,dst,bandwidth_bps,rtt_ms"

/* ------------------------------------------------------------------------------------------ */
/* Parser                                                                                      */

/* State while loading one file. */
struct loader {
	struct lineio *in;            /* the input */
	const char *path;             /* file name for messages */
	const struct topology *t;     /* topology the regions are resolved in */
	struct trace *tr;             /* the trace being built */
	size_t cap;                   /* allocated entries in tr->changes */
	int ncols;                    /* 4 or 5 once the header is read; 0 before */
	double prev_time_s;           /* time_s of the previous row, seconds */
	char prev_time_text[48];      /* ... as written in the file (truncated), for messages */
	long prev_line;               /* line of the previous row, 0 if none */
};

#define LERR(L, ...) diag_at((L)->path, lineio_lineno((L)->in), __VA_ARGS__)

/* File base name without a trailing ".csv". */
static char *trace_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *name = xstrdup(slash ? slash + 1 : path);
	size_t n = strlen(name);
	if (n > 4 && !strcmp(name + n - 4, ".csv"))
		name[n - 4] = '\0';
	return name;
}

static int load_header(struct loader *L, char *line)
{
	char *f[TRACE_MAX_FIELDS];
	char copy[128];
	snprintf(copy, sizeof copy, "%s", line);
	int nf = lineio_split(line, ',', f, TRACE_MAX_FIELDS);
	static const char *const cols[] = { "time_s", "src", "dst", "bandwidth_bps", "rtt_ms" };
	int ok = nf == 4 || nf == 5;
	for (int k = 0; ok && k < nf; k++)
		ok = !strcmp(f[k], cols[k]);
	if (!ok)
		return LERR(L, "bad header '%.80s': want `" TRACE_HEADER "` or `" TRACE_HEADER_RTT "`", copy);
	L->ncols = nf;
	return 0;
}

static int load_region(struct loader *L, const char *col, const char *s, int *out)
{
	*out = topology_region(L->t, s);
	if (*out < 0)
		return LERR(L, "unknown region '%s' in column %s (topology '%s' has no region or EC2 code of that name)",
			    s, col, L->t->name);
	return 0;
}

static int load_time(struct loader *L, const char *s, double *out)
{
	if (parse_double(s, out) < 0 || *out < 0)
		return LERR(L, "bad time_s '%s': want seconds as a number >= 0", s);
	if (*out > TRACE_MAX_TIME_S)
		return LERR(L, "time_s '%s' too large: at most %.0f s", s, TRACE_MAX_TIME_S);
	if (L->prev_line && *out < L->prev_time_s)
		return LERR(L, "time_s %s goes backwards: the row on line %ld has time_s %s (times must never decrease)",
			    s, L->prev_line, L->prev_time_text);
	return 0;
}

static int load_bandwidth(struct loader *L, const char *s, double *out)
{
	if (parse_double(s, out) < 0)
		return LERR(L, "bad bandwidth_bps '%s': want bits/s as a plain number >= 0 (0 = link down)", s);
	if (*out < 0)
		return LERR(L, "negative bandwidth_bps '%s': want >= 0 (0 = link down)", s);
	if (*out > TOPO_MAX_BPS)
		return LERR(L, "bandwidth_bps '%s' too large: at most %g bits/s (1 Pbit/s)", s, TOPO_MAX_BPS);
	*out += 0.0; /* -0 becomes +0 */
	return 0;
}

static int load_rtt(struct loader *L, const char *s, double *out_s)
{
	if (!*s) {
		*out_s = -1;
		return 0;
	}
	double ms;
	if (parse_double(s, &ms) < 0 || ms < 0)
		return LERR(L, "bad rtt_ms '%s': want milliseconds as a number >= 0, or an empty field", s);
	if (ms > TOPO_MAX_RTT_MS)
		return LERR(L, "rtt_ms '%s' too large: at most %g ms (one day)", s, TOPO_MAX_RTT_MS);
	*out_s = ms / 1e3;
	return 0;
}

static int load_row(struct loader *L, char *line)
{
	char *f[TRACE_MAX_FIELDS];
	int nf = lineio_split(line, ',', f, TRACE_MAX_FIELDS);
	if (nf != L->ncols)
		return LERR(L, "row has %d field%s, want %d: `%s`", nf, nf == 1 ? "" : "s", L->ncols,
			    L->ncols == 5 ? TRACE_HEADER_RTT : TRACE_HEADER);
	struct trace_change c = { .line = lineio_lineno(L->in), .rtt_s = -1 };
	double time_s;
	if (load_time(L, f[0], &time_s) < 0 || load_region(L, "src", f[1], &c.src) < 0 ||
	    load_region(L, "dst", f[2], &c.dst) < 0 || load_bandwidth(L, f[3], &c.bw_bps) < 0 ||
	    (L->ncols == 5 && load_rtt(L, f[4], &c.rtt_s) < 0))
		return -1;
	c.time = simtime_from_s(time_s);
	L->prev_time_s = time_s;
	snprintf(L->prev_time_text, sizeof L->prev_time_text, "%s", f[0]);
	L->prev_line = c.line;
	struct trace *tr = L->tr;
	if (tr->n == L->cap) {
		L->cap = L->cap ? 2 * L->cap : 256;
		tr->changes = xreallocarray(tr->changes, L->cap, sizeof *tr->changes);
	}
	tr->changes[tr->n++] = c;
	return 0;
}

static int load_lines(struct loader *L)
{
	char *line;
	int rc;
	while ((rc = lineio_next(L->in, &line)) > 0) {
		if (lineio_is_blank(line))
			continue;
		if ((L->ncols ? load_row(L, line) : load_header(L, line)) < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	if (!L->ncols)
		return diag_at(L->path, lineio_lineno(L->in) + 1,
			       "no header line%s: want `" TRACE_HEADER "` or `" TRACE_HEADER_RTT "`",
			       lineio_lineno(L->in) == 0 ? " (empty file)" : "");
	return 0;
}

/* A trace argument is a path when it is "-", holds a '/', ends in .csv or names a file here. */
static int trace_is_path(const char *s)
{
	size_t n = strlen(s);
	struct stat st;
	return !strcmp(s, "-") || strchr(s, '/') || (n >= 4 && !strcmp(s + n - 4, ".csv")) ||
	       stat(s, &st) == 0;
}

struct trace *trace_load(const char *arg, const struct topology *t)
{
	char *found = NULL;
	if (!trace_is_path(arg)) {
		char searched[2048];
		found = datadir_find("GAIASIM_TRACEDIR", "traces", "topology/traces", arg, ".csv",
		                     searched, sizeof searched);
		if (!found) {
			diag_error("unknown trace '%s': no %s.csv in %s (a file path must contain '/' "
			           "or end in .csv)", arg, arg, searched);
			return NULL;
		}
	}
	struct trace *tr = trace_load_file(found ? found : arg, t);
	free(found);
	return tr;
}

struct trace *trace_load_file(const char *path, const struct topology *t)
{
	struct loader L = { .path = path, .t = t };
	L.in = lineio_open(path);
	if (!L.in)
		return NULL;
	L.tr = xcalloc(1, sizeof *L.tr);
	L.tr->path = xstrdup(path);
	L.tr->name = trace_base_name(path);
	if (load_lines(&L) < 0)
		goto fail;
	lineio_sha256(L.in, L.tr->sha256);
	lineio_close(L.in);
	return L.tr;
fail:
	lineio_close(L.in);
	trace_free(L.tr);
	return NULL;
}

void trace_free(struct trace *tr)
{
	if (!tr)
		return;
	free(tr->name);
	free(tr->path);
	free(tr->changes);
	free(tr);
}

/* ------------------------------------------------------------------------------------------ */
/* Generator                                                                                   */

#define GEN_NEVER INT64_MAX          /* "no such event" time, µs */
#define GEN_MAX_DURATION_S 1.0e9     /* longest trace, seconds */
#define GEN_MAX_STEPS 1.0e9          /* most stationary samples per pair */
#define GEN_FLOOR 0.05               /* stationary factor never below this share of base */

void tracegen_defaults(struct tracegen_params *p)
{
	*p = (struct tracegen_params){
		.duration_s = 3600,
		.step_s = 10,
		.sigma = 0.031,
		.excursion_rate_per_h = 0.5,
		.excursion_mean_s = 60,
		.excursion_depth_min = 0.1,
		.excursion_depth_max = 0.5,
		.correlated_share = 0.10,
		.seed = 1,
	};
}

int tracegen_check(const struct tracegen_params *p, char *why, size_t why_size)
{
#define BAD(...) (snprintf(why, why_size, __VA_ARGS__), -1)
	if (!(p->duration_s > 0 && p->duration_s <= GEN_MAX_DURATION_S))
		return BAD("duration %g s: want > 0 and <= %.0f", p->duration_s, GEN_MAX_DURATION_S);
	if (!(p->step_s >= 1e-6 && isfinite(p->step_s)))
		return BAD("step %g s: want >= 0.000001 (times are in whole microseconds)", p->step_s);
	if (p->duration_s / p->step_s > GEN_MAX_STEPS)
		return BAD("duration %g s / step %g s: more than %.0f samples per pair", p->duration_s, p->step_s,
			   GEN_MAX_STEPS);
	if (!(p->sigma >= 0 && isfinite(p->sigma)))
		return BAD("sigma %g: want a finite number >= 0", p->sigma);
	if (!(p->excursion_rate_per_h >= 0 && isfinite(p->excursion_rate_per_h)))
		return BAD("excursions per hour %g: want a finite number >= 0", p->excursion_rate_per_h);
	if (!(p->excursion_mean_s > 0 && isfinite(p->excursion_mean_s)))
		return BAD("excursion mean %g s: want a finite number > 0", p->excursion_mean_s);
	if (!(p->excursion_depth_min >= 0 && p->excursion_depth_min <= p->excursion_depth_max &&
	      p->excursion_depth_max <= 1))
		return BAD("excursion depth %g..%g: want 0 <= min <= max <= 1", p->excursion_depth_min,
			   p->excursion_depth_max);
	if (!(p->correlated_share >= 0 && p->correlated_share <= 1))
		return BAD("correlated share %g: want 0..1", p->correlated_share);
	return 0;
#undef BAD
}

/* Generator state of one directed pair. */
struct gen_pair {
	int src, dst;          /* region indices */
	double base_bps;       /* topology bandwidth src->dst, bits/s */
	int correlated;        /* 1: stationary noise is the source region's shared factor */
	struct rng stat;       /* stream ("trace", src, dst): correlated flag, own stationary noise */
	struct rng exc;        /* stream ("trace-excursion", src, dst): excursion times and depths */
	int64_t k;             /* index of the next stationary sample */
	double stat_factor;    /* current stationary multiplier of base */
	int in_exc;            /* 1 while an excursion is in progress */
	double depth;          /* bandwidth multiplier of the excursion in progress */
	int64_t exc_us;        /* next excursion start (!in_exc) or end (in_exc), µs; GEN_NEVER */
	double last_bps;       /* value last written, bits/s; < 0 before the first row */
	int64_t next_us;       /* time of this pair's next event, µs; GEN_NEVER when done */
};

/* Whole generator run. */
struct gen {
	const struct topology *t;         /* the topology */
	const struct tracegen_params *p;  /* parameters */
	int64_t step_us;                  /* stationary step, µs */
	int64_t duration_us;              /* rows only at times < this, µs */
	struct gen_pair *pairs;           /* n*(n-1) pairs in (src, dst) order */
	int npairs;                       /* number of pairs */
	int *heap;                        /* indices into pairs, min-heap on (next_us, index) */
	int nheap;                        /* entries in heap */
};

/* Seconds to whole microseconds, or GEN_NEVER when beyond any trace. */
static int64_t gen_us(double s)
{
	double us = s * 1e6;
	if (!(us < 4e18))
		return GEN_NEVER;
	return (int64_t)llround(us);
}

static int64_t gen_add(int64_t a, int64_t b)
{
	return (a == GEN_NEVER || b == GEN_NEVER || a > GEN_NEVER - b) ? GEN_NEVER : a + b;
}

/* Shared stationary noise of source region `src` at sample k: its own stream per (src, k). */
static double gen_region_z(uint64_t seed, int src, int64_t k)
{
	struct rng r;
	rng_init(&r, seed, rng_stream_id("trace-region", (uint64_t)src, (uint64_t)k));
	return rng_normal(&r);
}

/* Time from now to the next excursion start, µs. */
static int64_t gen_gap_us(struct gen_pair *g, const struct tracegen_params *p)
{
	if (p->excursion_rate_per_h <= 0)
		return GEN_NEVER;
	return gen_us(rng_exp(&g->exc, 3600.0 / p->excursion_rate_per_h));
}

static void gen_pair_init(struct gen *G, struct gen_pair *g, int src, int dst)
{
	const struct tracegen_params *p = G->p;
	memset(g, 0, sizeof *g);
	g->src = src;
	g->dst = dst;
	g->base_bps = G->t->bw_bps[(size_t)src * (size_t)G->t->n + (size_t)dst];
	rng_init(&g->stat, p->seed, rng_stream_id("trace", (uint64_t)src, (uint64_t)dst));
	rng_init(&g->exc, p->seed, rng_stream_id("trace-excursion", (uint64_t)src, (uint64_t)dst));
	g->correlated = rng_uniform(&g->stat) < p->correlated_share;
	g->stat_factor = 1;
	g->exc_us = gen_gap_us(g, p);
	g->last_bps = -1;
	g->next_us = 0;
}

/* Next stationary sample time of g, or GEN_NEVER. */
static int64_t gen_step_time(const struct gen *G, const struct gen_pair *g)
{
	if (g->k > INT64_MAX / G->step_us)
		return GEN_NEVER;
	return g->k * G->step_us;
}

/* Apply every event of pair g at time now (a stationary sample, excursion starts and ends). */
static void gen_pair_advance(struct gen *G, struct gen_pair *g, int64_t now)
{
	const struct tracegen_params *p = G->p;
	if (gen_step_time(G, g) == now) {
		double z = rng_normal(&g->stat); /* always drawn, so the stream does not depend on the flag */
		if (g->correlated)
			z = gen_region_z(p->seed, g->src, g->k);
		g->stat_factor = fmax(GEN_FLOOR, 1 + p->sigma * z);
		g->k++;
	}
	while (g->exc_us == now) {
		if (!g->in_exc) {
			g->in_exc = 1;
			g->depth = p->excursion_depth_min +
				   (p->excursion_depth_max - p->excursion_depth_min) * rng_uniform(&g->exc);
			int64_t len = gen_us(rng_exp(&g->exc, p->excursion_mean_s));
			g->exc_us = gen_add(now, len < 1 ? 1 : len);
		} else {
			g->in_exc = 0;
			g->exc_us = gen_add(now, gen_gap_us(g, p));
		}
	}
	int64_t next = gen_step_time(G, g);
	if (g->exc_us < next)
		next = g->exc_us;
	g->next_us = next < G->duration_us ? next : GEN_NEVER;
}

static int gen_less(const struct gen *G, int a, int b)
{
	const struct gen_pair *x = &G->pairs[a], *y = &G->pairs[b];
	return x->next_us < y->next_us || (x->next_us == y->next_us && a < b);
}

static void gen_sift_down(struct gen *G, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < G->nheap && gen_less(G, G->heap[l], G->heap[m]))
			m = l;
		if (r < G->nheap && gen_less(G, G->heap[r], G->heap[m]))
			m = r;
		if (m == i)
			return;
		int tmp = G->heap[i];
		G->heap[i] = G->heap[m];
		G->heap[m] = tmp;
		i = m;
	}
}

static void gen_write_row(FILE *out, const struct topology *t, const struct gen_pair *g, int64_t now,
			  double bps)
{
	fprintf(out, "%" PRId64 ".%06" PRId64 ",%s,%s,%.0f\n", now / 1000000, now % 1000000,
		t->regions[g->src].name, t->regions[g->dst].name, bps);
}

static void gen_write_header(FILE *out, const struct topology *t, const struct tracegen_params *p)
{
	fprintf(out, "# gaiasim trace gen: stationary-plus-excursions model (docs/trace-format.md)\n");
	fprintf(out, "# topology %s sha256 %s\n", t->name ? t->name : "?", t->sha256);
	fprintf(out,
		"# seed %" PRIu64 " duration_s %.10g step_s %.10g sigma %.10g excursions_per_hour %.10g "
		"excursion_mean_s %.10g depth_min %.10g depth_max %.10g correlated %.10g\n",
		p->seed, p->duration_s, p->step_s, p->sigma, p->excursion_rate_per_h, p->excursion_mean_s,
		p->excursion_depth_min, p->excursion_depth_max, p->correlated_share);
	fprintf(out, TRACE_HEADER "\n");
}

int trace_generate(const struct topology *t, const struct tracegen_params *p, FILE *out)
{
	char why[256];
	if (tracegen_check(p, why, sizeof why) < 0)
		return diag_error("trace gen: bad parameter: %s", why);
	struct gen G = { .t = t, .p = p, .step_us = gen_us(p->step_s), .duration_us = gen_us(p->duration_s) };
	size_t maxpairs = (size_t)t->n * (size_t)(t->n > 0 ? t->n - 1 : 0);
	G.pairs = xcalloc(maxpairs ? maxpairs : 1, sizeof *G.pairs);
	G.heap = xcalloc(maxpairs ? maxpairs : 1, sizeof *G.heap);
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < t->n; j++)
			if (i != j) {
				gen_pair_init(&G, &G.pairs[G.npairs], i, j);
				G.heap[G.npairs] = G.npairs;
				G.npairs++;
			}
	G.nheap = G.npairs; /* all at time 0, already in (time, index) order: a valid heap */
	gen_write_header(out, t, p);
	while (G.nheap > 0) {
		int idx = G.heap[0];
		struct gen_pair *g = &G.pairs[idx];
		int64_t now = g->next_us;
		gen_pair_advance(&G, g, now);
		double bps = round(g->base_bps * g->stat_factor * (g->in_exc ? g->depth : 1.0));
		if (bps != g->last_bps) {
			gen_write_row(out, t, g, now, bps);
			g->last_bps = bps;
		}
		if (g->next_us == GEN_NEVER)
			G.heap[0] = G.heap[--G.nheap];
		gen_sift_down(&G, 0);
	}
	free(G.pairs);
	free(G.heap);
	if (fflush(out) != 0 || ferror(out))
		return diag_error("trace gen: write error");
	return 0;
}
