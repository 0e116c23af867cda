/* `gaiasim net`: transfer list parsing and replay over the network model. */
#include "sim/netrun.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/lineio.h"
#include "sim/net.h"
#include "sim/sim.h"
#include "lib/xmalloc.h"

static const char *const HEADER[] = { "id", "start_s", "src", "dst", "bytes" };
#define NCOLS 5

static int check_header(struct lineio *in, char *line)
{
	char *f[NCOLS + 1];
	int n = lineio_split(line, ',', f, NCOLS + 1);
	if (n != NCOLS)
		return diag_at(lineio_name(in), lineio_lineno(in),
		               "header has %d columns, expected id,start_s,src,dst,bytes", n);
	for (int i = 0; i < NCOLS; i++)
		if (strcmp(f[i], HEADER[i]))
			return diag_at(lineio_name(in), lineio_lineno(in),
			               "header column %d is '%s', expected '%s' (id,start_s,src,dst,bytes)",
			               i + 1, f[i], HEADER[i]);
	return 0;
}

static int parse_row(struct lineio *in, char *line, const struct topology *t,
                     struct netrun_transfer *x)
{
	const char *file = lineio_name(in);
	long ln = lineio_lineno(in);
	char *f[NCOLS + 1];
	int n = lineio_split(line, ',', f, NCOLS + 1);
	if (n != NCOLS)
		return diag_at(file, ln, "%d fields, expected 5 (id,start_s,src,dst,bytes)", n);
	double start, bytes;
	if (parse_int64(f[0], &x->id) < 0)
		return diag_at(file, ln, "id '%s' is not an integer", f[0]);
	if (parse_double(f[1], &start) < 0 || start < 0)
		return diag_at(file, ln, "start_s '%s' is not a number >= 0", f[1]);
	if (start > 9e9)
		return diag_at(file, ln, "start_s '%s' is beyond the simulated horizon (9e9 s)", f[1]);
	if ((x->src = topology_region(t, f[2])) < 0)
		return diag_at(file, ln, "unknown region '%s' in topology %s", f[2], t->name);
	if ((x->dst = topology_region(t, f[3])) < 0)
		return diag_at(file, ln, "unknown region '%s' in topology %s", f[3], t->name);
	if (parse_double(f[4], &bytes) < 0 || bytes < 0)
		return diag_at(file, ln, "bytes '%s' is not a number >= 0", f[4]);
	if (bytes > 1e18)
		return diag_at(file, ln, "bytes '%s' is larger than 1e18", f[4]);
	x->start = simtime_from_s(start);
	x->bytes = bytes;
	x->line = ln;
	x->finish = -1;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	const struct netrun_transfer *x = *(struct netrun_transfer *const *)a;
	const struct netrun_transfer *y = *(struct netrun_transfer *const *)b;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/* Report the first duplicate id, if any. */
static int check_unique_ids(const char *path, struct netrun_transfer *xs, size_t n)
{
	struct netrun_transfer **p = xmalloc((n ? n : 1) * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = &xs[i];
	qsort(p, n, sizeof *p, cmp_id);
	int rc = 0;
	for (size_t i = 1; i < n && !rc; i++)
		if (p[i]->id == p[i - 1]->id) {
			const struct netrun_transfer *a = p[i]->line < p[i - 1]->line ? p[i] : p[i - 1];
			const struct netrun_transfer *b = a == p[i] ? p[i - 1] : p[i];
			rc = diag_at(path, b->line, "duplicate id %lld (first on line %ld)",
			             (long long)b->id, a->line);
		}
	free(p);
	return rc;
}

int netrun_load(struct netrun *r, const char *path, const struct topology *t)
{
	memset(r, 0, sizeof *r);
	struct lineio *in = lineio_open(path);
	if (!in)
		return -1;
	size_t cap = 0;
	int header = 0, rc;
	char *line;
	while ((rc = lineio_next(in, &line)) > 0) {
		if (lineio_is_blank(line))
			continue;
		if (!header) {
			if (check_header(in, line) < 0)
				goto fail;
			header = 1;
			continue;
		}
		if (r->n == cap) {
			cap = cap ? 2 * cap : 256;
			r->xfers = xreallocarray(r->xfers, cap, sizeof *r->xfers);
		}
		if (parse_row(in, line, t, &r->xfers[r->n]) < 0)
			goto fail;
		r->n++;
	}
	if (rc < 0)
		goto fail;
	if (!header) {
		/* Name a line, as the topology and trace parsers do: the one after the last. */
		diag_at(path, lineio_lineno(in) + 1, "no header line%s: expected id,start_s,src,dst,bytes",
		        lineio_lineno(in) == 0 ? " (empty file)" : "");
		goto fail;
	}
	if (check_unique_ids(path, r->xfers, r->n) < 0)
		goto fail;
	lineio_sha256(in, r->sha256);
	lineio_close(in);
	return 0;
fail:
	lineio_close(in);
	netrun_free(r);
	return -1;
}

/* State of one simulation. */
struct run_state {
	struct netrun *r;         /* results being filled */
	struct net *net;          /* the network */
	int nreg;                 /* regions */
	size_t done;              /* transfers finished */
	size_t sent;              /* transfers sent (done <= sent) */
	int ticking;              /* 1 while a bin tick is scheduled */
	sim_time_t bin;           /* bin width, ns (doubles when the rows reach max_bins) */
	sim_time_t bin_start;     /* start of the current bin, ns */
	double *last_bits;        /* nreg*nreg link bits already written to a row */
	sim_time_t *carry_from;   /* nreg*nreg: start of the bits not yet written, ns */
	size_t bins_cap;          /* allocated bins */
	size_t max_bins;          /* row bound (NETRUN_MAX_BINS unless the caller set one) */
	int progress;             /* draw a progress line on stderr */
	size_t next_progress;     /* transfers done at which to redraw */
};

static void progress_draw(struct run_state *s, struct sim *sim)
{
	fprintf(stderr, "\rnet: %zu/%zu transfers done, simulated time %.3f s", s->done, s->r->n,
	        simtime_to_s(sim_now(sim)));
	fflush(stderr);
	s->next_progress = s->done + (s->r->n / 100 > 0 ? s->r->n / 100 : 1);
}

/*
 * Halve the rows: each link's rows, in time order, are merged two by two (a merged row spans
 * from the first's t0 to the second's t1 and carries both byte counts, so every row still says
 * exactly what the link carried in its interval and a link's rows still sum to its total), and
 * the bin width doubles so that rows come at half the rate from now on.
 */
static void coarsen(struct run_state *s)
{
	struct netrun *r = s->r;
	size_t L = (size_t)s->nreg * (size_t)s->nreg, k = 0;
	long *open = xmalloc(L * sizeof *open);
	for (size_t l = 0; l < L; l++)
		open[l] = -1;
	for (size_t i = 0; i < r->nbins; i++) {
		const struct netrun_bin *b = &r->bins[i];
		size_t l = (size_t)b->src * (size_t)s->nreg + (size_t)b->dst;
		if (open[l] >= 0) {
			r->bins[open[l]].t1 = b->t1;
			r->bins[open[l]].bytes += b->bytes;
			open[l] = -1;
		} else {
			r->bins[k] = *b;
			open[l] = (long)k++;
		}
	}
	free(open);
	r->nbins = k;
	if (s->bin <= SIMTIME_HORIZON)
		s->bin *= 2;
}

static void add_row(struct run_state *s, int a, int b, sim_time_t t0, sim_time_t t1, double bytes)
{
	struct netrun *r = s->r;
	if (r->nbins >= s->max_bins)
		coarsen(s);
	if (r->nbins == s->bins_cap) {
		s->bins_cap = s->bins_cap ? 2 * s->bins_cap : 256;
		r->bins = xreallocarray(r->bins, s->bins_cap, sizeof *r->bins);
	}
	r->bins[r->nbins++] = (struct netrun_bin){ a, b, t0, t1, bytes };
}

/*
 * Close the current bin at `end`: one row per link that carried at least one bit since its
 * last row. Less than a bit is carried over to the link's next row, never dropped, so a link's
 * rows always sum to what it carried; `last` (the end of the run) writes every remainder.
 */
static void close_bin(struct run_state *s, sim_time_t end, int last)
{
	int R = s->nreg;
	for (int a = 0; a < R; a++)
		for (int b = 0; b < R; b++) {
			size_t l = (size_t)a * (size_t)R + (size_t)b;
			double delta = net_link_bits(s->net, a, b) - s->last_bits[l];
			if (delta < 1 && !(last && delta > 0)) {
				if (delta <= 0)
					s->carry_from[l] = end; /* nothing carried over */
				continue;
			}
			if (end > s->carry_from[l])
				add_row(s, a, b, s->carry_from[l], end, delta / 8);
			s->last_bits[l] += delta;
			s->carry_from[l] = end;
		}
	s->bin_start = end;
}

/* 1 if no link carries anything now (rates change only at events). */
static int all_idle(const struct run_state *s)
{
	for (int a = 0; a < s->nreg; a++)
		for (int b = 0; b < s->nreg; b++)
			if (net_link_load_bps(s->net, a, b) > 0)
				return 0;
	return 1;
}

/* Schedule the tick ending the bin (on the grid k * bin) that holds time t. */
static void tick_at_bin_of(struct run_state *s, struct sim *sim, sim_time_t t);

static void bin_tick(struct sim *sim, void *arg)
{
	struct run_state *s = arg;
	sim_time_t now = sim_now(sim);
	close_bin(s, now, 0);
	s->ticking = 0;
	/* Keep ticking while something can still happen (with nothing else pending, the
	 * transfers left are stalled for good). While no link carries anything, nothing moves
	 * until the next event: the ticks jump to that event's bin instead of counting empty
	 * bins (a transfer stalled until a trace change far ahead costs one tick, not one per
	 * bin). While nothing is in flight they pause until the next send (bin_resume). */
	if (s->done >= s->r->n || s->sent == s->done || sim_pending(sim) == 0)
		return;
	sim_time_t next = all_idle(s) ? sim_next_time(sim) : now;
	if (next != SIMTIME_NEVER)
		tick_at_bin_of(s, sim, next > now ? next : now);
}

static void tick_at_bin_of(struct run_state *s, struct sim *sim, sim_time_t t)
{
	sim_time_t at = t - t % s->bin;
	if (at > SIMTIME_NEVER - s->bin)
		return; /* past the end of simulated time: the last bin runs to the end of the run */
	at += s->bin;
	if (at <= sim_now(sim))
		at = sim_now(sim) + s->bin;
	s->bin_start = at - s->bin > s->bin_start ? at - s->bin : s->bin_start;
	sim_at(sim, at, bin_tick, s);
	s->ticking = 1;
}

/* Restart the bin ticks on the grid k * bin after an idle pause (no bytes moved during it). */
static void bin_resume(struct run_state *s, struct sim *sim)
{
	if (!s->ticking)
		tick_at_bin_of(s, sim, sim_now(sim));
}

/* A transfer's argument: the state and which transfer. */
struct xfer_arg {
	struct run_state *s;          /* run */
	struct netrun_transfer *x;    /* transfer */
};

static void xfer_done(struct sim *sim, void *arg)
{
	struct xfer_arg *a = arg;
	struct run_state *s = a->s;
	a->x->finish = sim_now(sim);
	s->done++;
	if (s->progress && s->done >= s->next_progress)
		progress_draw(s, sim);
	if (s->done == s->r->n)
		sim_stop(sim);
}

static void xfer_send(struct sim *sim, void *arg)
{
	struct xfer_arg *a = arg;
	struct netrun_transfer *x = a->x;
	x->first_byte = sim_now(sim) + net_latency(a->s->net, x->src, x->dst);
	a->s->sent++;
	bin_resume(a->s, sim);
	net_send(a->s->net, x->src, x->dst, x->bytes, xfer_done, a);
}

int netrun_simulate(struct netrun *r, const struct topology *t, const struct trace *tr,
                    double bin_s, int progress)
{
	struct sim *sim = sim_new(0);
	struct run_state s = { .r = r, .nreg = t->n, .progress = progress };
	s.net = net_new(sim, t, NULL);
	s.bin = simtime_from_s(bin_s);
	s.last_bits = xcalloc((size_t)t->n * t->n, sizeof *s.last_bits);
	s.carry_from = xcalloc((size_t)t->n * t->n, sizeof *s.carry_from);
	s.max_bins = r->max_bins ? r->max_bins : NETRUN_MAX_BINS;
	struct xfer_arg *args = xmalloc((r->n ? r->n : 1) * sizeof *args);
	if (tr)
		net_apply_trace(s.net, tr);
	for (size_t i = 0; i < r->n; i++) {
		args[i] = (struct xfer_arg){ &s, &r->xfers[i] };
		sim_at(sim, r->xfers[i].start, xfer_send, &args[i]);
	}
	if (progress)
		progress_draw(&s, sim);
	if (r->n)
		sim_run(sim, SIMTIME_NEVER);
	r->end = sim_now(sim);
	close_bin(&s, r->end, 1);
	r->events = sim_events_run(sim);
	if (progress)
		fputc('\n', stderr);
	int rc = 0;
	if (s.done < r->n) {
		for (size_t i = 0; i < r->n; i++)
			if (r->xfers[i].finish < 0) {
				rc = diag_error("transfer %lld (line %ld, %s -> %s) never finishes: a link "
				                "it needs stays at zero bandwidth, or it would end beyond "
				                "the last representable simulated time (~292 years)",
				                (long long)r->xfers[i].id, r->xfers[i].line,
				                t->regions[r->xfers[i].src].name,
				                t->regions[r->xfers[i].dst].name);
				break;
			}
	}
	free(args);
	free(s.last_bits);
	free(s.carry_from);
	net_free(s.net);
	sim_free(sim);
	return rc;
}

void netrun_free(struct netrun *r)
{
	free(r->xfers);
	free(r->bins);
	memset(r, 0, sizeof *r);
}
