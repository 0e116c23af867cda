/*
 * Training runs on the simulated WAN: configuration, results and storage. The cluster itself is
 * assembled by the cluster builder (cli/cluster.h).
 */
#include "cli/run.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cluster.h"
#include "lib/version.h"
#include "results/store.h"
#include "lib/diag.h"
#include "lib/lineio.h"
#include "ps/msg.h"
#include "ps/ps.h"
#include "lib/wallclock.h"
#include "ps/sync.h"
#include "lib/xmalloc.h"
#include "topology/topology.h"
#include "topology/trace.h"
#include "lib/runcfg.h"
#include "lib/memlimit.h"
#include "sim/transport_sim.h"
#include "workloads/workload.h"

/* Everything a run is assembled from. */
struct setup {
	struct topology *topo;          /* topology */
	struct trace *tr;               /* trace or NULL */
	const struct workload_ops *wl_ops; /* workload */
	struct workload *wl;            /* its instance */
	const struct sync_ops *sync;    /* consistency model */
	void *sync_params;              /* its parameters */
	char sync_spec[64];             /* spec as given */
	int nregions;                   /* regions in the topology */
	int *machines;                  /* machines per region (where the data is) */
	int nnodes;                     /* machines in all */
	int *worker_region;             /* region of each worker's data */
	double *speed;                  /* compute-time factor per node */
	int64_t max_clocks;             /* stop.clocks */
	int64_t eval_every;             /* eval.every */
	double target;                  /* stop.target (NAN: none) */
	enum observer_target_on target_on; /* stop.target_on */
	double time_limit_s;            /* stop.time_s (0: none) */
	double value_bytes, index_bytes, header_bytes; /* wire.* */
	double usd_per_machine_hour;    /* cost.usd_per_machine_hour */
	int64_t seed;                   /* seed */
	char emu_compute[16];           /* emu.compute: "sleep" or "measured" */
};

/* The keys a run reads here (docs/sync-models.md, "Keys"); models and workloads have theirs. */
static const struct runcfg_keydoc run_keys[] = {
	{ "topology", "string", "ec2-11", "", "shipped topology name or a .topo file (gaiasim topo show NAME)" },
	{ "trace", "string", "", "", "bandwidth trace to replay: shipped name or a CSV file (-T); empty: none" },
	{ "machines", "integer 0..1024", "0", "machines", "machines per region, each a worker and a shard (0: the topology's)" },
	{ "workload", "string", "mf", "", "the ML application: mf, lda or ic" },
	{ "sync", "string", "gaia", "", "consistency model spec: bsp, ssp:S, async, gaia, lan (compare --sync overrides)" },
	{ "sync_effective", "string", "", "", "the model spec a stored run used; when given it must equal sync (stored runs)" },
	{ "seed", "integer >= 0", "1", "", "run seed: data, partition, shuffles" },
	{ "stop.clocks", "integer >= 1", "100", "clocks", "clocks per worker" },
	{ "stop.target", "number", "", "objective", "stop when every replica's objective (or held-out metric) reaches it; empty: none" },
	{ "stop.target_on", "choice: objective|test", "objective", "", "what stop.target is on: the objective or the workload's held-out metric" },
	{ "stop.time_s", "number >= 0", "0", "s", "stop workers starting a clock after this simulated time (0: none)" },
	{ "eval.every", "integer >= 1", "10", "clocks", "evaluate the objective every k clocks" },
	{ "wire.value_bytes", "integer 4|8", "4", "bytes", "width of a parameter value on the wire (float32 or float64)" },
	{ "wire.index_bytes", "integer 4", "4", "bytes", "width of a row index on the wire" },
	{ "wire.header_bytes", "integer >= 64", "64", "bytes", "message header plus any per-message framing" },
	{ "cost.usd_per_machine_hour", "number >= 0", "0.192", "USD/h", "machine price for the cost column" },
	{ "straggler", "list", "none", "", "REGION[/M]:FACTOR[,...]: those machines compute FACTOR times slower" },
	{ "net.bw_scale", "number 1/1024..1024", "1", "factor", "multiply every WAN link's bandwidth (not with a trace)" },
	{ "limits.memory_gb", "number 0.001..1e6", "16", "GB", "refuse a run whose estimated memory exceeds it (raise on a bigger machine)" },
	{ "emu.compute", "choice: sleep|measured", "sleep", "", "emulated runs: sleep the modelled compute time, or run the step and use its real time" },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* The keys `gaiasim compare` reads (cli/cmd_run.c); a stored compare run's text has none. */
static const struct runcfg_keydoc compare_keys[] = {
	{ "compare.target_fraction", "number 0.01..1", "0.95", "fraction", "compare: share of the LAN run's progress in stop.clocks that defines the target" },
	{ "compare.clock_factor", "integer 1..1000", "4", "", "compare: each model's clock budget, times stop.clocks" },
	{ NULL, NULL, NULL, NULL, NULL },
};

size_t run_key_tables(const struct runcfg_keydoc *const **out)
{
	static const struct runcfg_keydoc *tables[64];
	static size_t n;
	if (!n) {
		tables[n++] = run_keys;
		tables[n++] = compare_keys;
		for (size_t i = 0; i < sync_nmodels; i++)
			if (sync_models[i]->keys)
				tables[n++] = sync_models[i]->keys;
		for (size_t i = 0; i < workload_count(); i++)
			if (workload_at(i)->keys)
				tables[n++] = workload_at(i)->keys;
	}
	*out = tables;
	return n;
}

static void setup_free(struct setup *s)
{
	if (s->wl)
		s->wl_ops->destroy(s->wl);
	free(s->sync_params);
	trace_free(s->tr);
	topology_free(s->topo);
	free(s->machines);
	free(s->worker_region);
	free(s->speed);
	memset(s, 0, sizeof *s);
}

static int bad_key(struct runcfg *cfg, const char *key, const char *fmt, const char *val)
{
	long line;
	const char *where = runcfg_where(cfg, key, &line);
	char msg[256];
	snprintf(msg, sizeof msg, fmt, val);
	return diag_at(where ? where : "<config>", where ? line : 0, "%s: %s", key, msg);
}

/*
 * straggler = SPEC[,SPEC...], SPEC = REGION:FACTOR (every machine of REGION computes FACTOR
 * times slower) or REGION/M:FACTOR (only machine M of REGION, 0-based); or none.
 */
static int parse_one_straggler(struct runcfg *cfg, struct setup *s, char *spec, const char *v)
{
	char *colon = strchr(spec, ':');
	if (!colon)
		return bad_key(cfg, "straggler", "bad value '%s' (expected REGION[/M]:FACTOR[,...] or none)", v);
	*colon = '\0';
	int64_t machine = -1;
	char *slash = strchr(spec, '/');
	if (slash) {
		*slash = '\0';
		if (parse_int64(slash + 1, &machine) < 0 || machine < 0)
			return bad_key(cfg, "straggler", "bad machine number in '%s'", v);
	}
	int r = topology_region(s->topo, spec);
	if (r < 0)
		return bad_key(cfg, "straggler", "unknown region in '%s'", v);
	if (machine >= s->machines[r])
		return bad_key(cfg, "straggler", "machine number beyond the region's machines in '%s'", v);
	double f;
	if (parse_double(colon + 1, &f) < 0 || f < 1 || f > 1e6)
		return bad_key(cfg, "straggler", "bad factor in '%s' (expected a number in [1, 1e6])", v);
	for (int n = 0, m = 0; n < s->nnodes; n++) {
		if (s->worker_region[n] != r)
			continue;
		if (machine < 0 || m == machine)
			s->speed[n] = f;
		m++;
	}
	return 0;
}

static int parse_straggler(struct runcfg *cfg, struct setup *s)
{
	const char *v;
	if (runcfg_string(cfg, "straggler", "none", &v) < 0)
		return -1;
	for (int n = 0; n < s->nnodes; n++)
		s->speed[n] = 1.0;
	if (!strcmp(v, "none"))
		return 0;
	char *buf = xstrdup(v), *save = buf;
	int rc = 0;
	for (char *spec = buf; spec && rc == 0;) {
		char *comma = strchr(spec, ',');
		if (comma)
			*comma = '\0';
		rc = parse_one_straggler(cfg, s, spec, v);
		spec = comma ? comma + 1 : NULL;
	}
	free(save);
	return rc;
}

/*
 * wire.* keys: the widths the wire format encodes (ps/msg.h, docs/wire-format.md): values
 * float32 (4) or float64 (8), indices 4 bytes, a header of at least the encoded 64 bytes (any
 * excess is per-message framing overhead).
 */
static int wire_widths(struct runcfg *cfg, struct setup *s)
{
	int64_t vb, ib, hb;
	if (runcfg_int(cfg, "wire.value_bytes", 4, 1, 64, &vb) < 0 ||
	    runcfg_int(cfg, "wire.index_bytes", MSG_INDEX_BYTES, 1, 64, &ib) < 0 ||
	    runcfg_int(cfg, "wire.header_bytes", MSG_HEADER_BYTES, 0, 1000000, &hb) < 0)
		return -1;
	char v[32];
	if (vb != 4 && vb != 8) {
		snprintf(v, sizeof v, "%" PRId64, vb);
		return bad_key(cfg, "wire.value_bytes", "bad value '%s' (4: float32, 8: float64)", v);
	}
	if (ib != MSG_INDEX_BYTES) {
		snprintf(v, sizeof v, "%" PRId64, ib);
		return bad_key(cfg, "wire.index_bytes", "bad value '%s' (indices are 4 bytes)", v);
	}
	if (hb < MSG_HEADER_BYTES) {
		snprintf(v, sizeof v, "%" PRId64, hb);
		return bad_key(cfg, "wire.header_bytes",
		               "bad value '%s' (at least 64: the encoded message header)", v);
	}
	s->value_bytes = (double)vb;
	s->index_bytes = (double)ib;
	s->header_bytes = (double)hb;
	return 0;
}

/*
 * stop.target_on = objective | test. Read only when given, so that a configuration without it
 * dumps (runs.config_text) exactly as before the key existed.
 */
static int parse_target_on(struct runcfg *cfg, struct setup *s)
{
	s->target_on = OBSERVER_TARGET_OBJECTIVE;
	if (!runcfg_has(cfg, "stop.target_on"))
		return 0;
	const char *v;
	if (runcfg_string(cfg, "stop.target_on", "objective", &v) < 0)
		return -1;
	if (!strcmp(v, "test")) {
		s->target_on = OBSERVER_TARGET_TEST;
		if (!s->wl_ops->test_metric)
			return bad_key(cfg, "stop.target_on", "'%s': the workload has no held-out "
			               "metric", v);
	} else if (strcmp(v, "objective")) {
		return bad_key(cfg, "stop.target_on", "bad value '%s' (expected objective or test)", v);
	}
	return 0;
}

/* 1 if the workload's held-out metric is defined for this run (it is NAN without test data). */
static int has_test_data(const struct setup *s)
{
	size_t n = s->wl_ops->nrows(s->wl) * s->wl_ops->row_len(s->wl);
	double *model = xmalloc((n + 1) * sizeof *model);
	s->wl_ops->init_model(s->wl, model);
	int ok = !isnan(s->wl_ops->test_metric(s->wl, model));
	free(model);
	return ok;
}

/* net.bw_scale = F: every WAN link's bandwidth times F (docs/config-format.md). */
static int apply_bw_scale(struct runcfg *cfg, struct setup *s)
{
	double f;
	if (!runcfg_has(cfg, "net.bw_scale")) /* absent: not recorded, so older runs' text stays */
		return 0;
	if (runcfg_double(cfg, "net.bw_scale", 1, 1.0 / 1024, 1024, &f) < 0)
		return -1;
	char v[32];
	snprintf(v, sizeof v, "%g", f);
	if (f != 1 && s->tr)
		return bad_key(cfg, "net.bw_scale", "'%s' cannot apply with a trace (the trace sets the bandwidths)", v);
	if (f != 1 && topology_scale_wan(s->topo, f) < 0)
		return bad_key(cfg, "net.bw_scale", "'%s' takes a WAN bandwidth out of (0, 1e15] bits/s", v);
	return 0;
}

/* emu.compute = sleep | measured (docs/emulation.md); read only when given, like
 * stop.target_on, so that configurations without it dump as before. */
static int emu_keys(struct runcfg *cfg, struct setup *s)
{
	snprintf(s->emu_compute, sizeof s->emu_compute, "sleep");
	if (!runcfg_has(cfg, "emu.compute"))
		return 0;
	const char *v;
	if (runcfg_string(cfg, "emu.compute", "sleep", &v) < 0)
		return -1;
	if (strcmp(v, "sleep") && strcmp(v, "measured"))
		return bad_key(cfg, "emu.compute", "bad value '%s' (expected sleep or measured)", v);
	snprintf(s->emu_compute, sizeof s->emu_compute, "%s", v);
	return 0;
}

/*
 * Refuse, before the cluster is built, a run whose parameter server and transport would need
 * more than limits.memory_gb (ps_memory_bytes, transport_sim_memory_bytes: estimates written
 * next to the allocations they describe).
 */
static int check_memory(struct runcfg *cfg, const struct setup *s)
{
	size_t nrows = s->wl_ops->nrows(s->wl), row_len = s->wl_ops->row_len(s->wl);
	int nrep = 1;
	if (s->sync->per_region) {
		nrep = 0;
		for (int r = 0; r < s->nregions; r++)
			nrep += s->machines[r] > 0;
	}
	double bytes = ps_memory_bytes(s->nnodes, nrep, nrows, row_len) +
	               transport_sim_memory_bytes(s->nnodes, (double)s->nnodes * s->nnodes / nrep);
	char why[256];
	snprintf(why, sizeof why, "%d machines each holding a view of a %zu x %zu model, %d "
	         "replica(s), and a %d x %d channel table", s->nnodes, nrows, row_len, nrep,
	         s->nnodes, s->nnodes);
	return memlimit_check(cfg, "the parameter server", bytes, why);
}

static int setup_build(struct runcfg *cfg, const char *sync, struct setup *s)
{
	memset(s, 0, sizeof *s);
	const char *topo, *trace, *wl_name, *spec;
	int64_t machines;
	if (runcfg_string(cfg, "topology", "ec2-11", &topo) < 0 ||
	    runcfg_string(cfg, "trace", "", &trace) < 0 ||
	    runcfg_int(cfg, "machines", 0, 0, 1024, &machines) < 0 ||
	    runcfg_string(cfg, "workload", "mf", &wl_name) < 0 ||
	    runcfg_string(cfg, "sync", "gaia", &spec) < 0 ||
	    runcfg_int(cfg, "seed", 1, 0, INT64_MAX, &s->seed) < 0 ||
	    runcfg_int(cfg, "stop.clocks", 100, 1, 100000000, &s->max_clocks) < 0 ||
	    runcfg_double(cfg, "stop.time_s", 0, 0, 1e9, &s->time_limit_s) < 0 ||
	    runcfg_int(cfg, "eval.every", 10, 1, 100000000, &s->eval_every) < 0 ||
	    wire_widths(cfg, s) < 0 ||
	    runcfg_double(cfg, "cost.usd_per_machine_hour", 0.192, 0, 1e6,
	                  &s->usd_per_machine_hour) < 0)
		goto fail;
	/* stop.target is read only when given, so that a run without one dumps no 'nan' and
	 * its stored config_text runs again as it is. */
	s->target = NAN;
	if (runcfg_has(cfg, "stop.target") &&
	    runcfg_double(cfg, "stop.target", NAN, -1e300, 1e300, &s->target) < 0)
		goto fail;
	if (!sync)
		sync = spec;
	/* sync_effective: what a stored run used (results' config_text); it must agree. */
	if (runcfg_has(cfg, "sync_effective")) {
		const char *eff;
		runcfg_string(cfg, "sync_effective", "", &eff);
		if (strcmp(eff, sync)) {
			char what[192];
			snprintf(what, sizeof what, "'%s' differs from the sync model in effect, '%s'", eff,
			         sync);
			bad_key(cfg, "sync_effective", "%s", what);
			goto fail;
		}
	}
	snprintf(s->sync_spec, sizeof s->sync_spec, "%s", sync);
	const char *arg;
	s->sync = sync_find(sync, &arg);
	if (!s->sync) {
		if (sync == spec) {
			char what[384];
			snprintf(what, sizeof what, "unknown sync model '%s' (%s)", sync, sync_list());
			bad_key(cfg, "sync", "%s", what);
		} else {
			diag_error("unknown sync model '%s' (%s)", sync, sync_list());
		}
		goto fail;
	}
	/* Every model's keys are validated whatever the model, so a typo never passes silently;
	 * their errors name the key's file and line. */
	if (sync_check_keys(cfg) < 0)
		goto fail;
	/* What the model's parse can still reject is the spec's argument ("ssp:-1"): name where
	 * the spec came from, the config's `sync` line or the command line. */
	char why[1024];
	diag_capture(why, sizeof why);
	s->sync_params = s->sync->parse(arg, cfg);
	diag_capture(NULL, 0);
	if (!s->sync_params) {
		const char *msg = strncmp(why, "gaiasim: ", 9) ? why : why + 9;
		if (sync == spec)
			bad_key(cfg, "sync", "%s", msg);
		else
			diag_error("--sync: %s", msg);
		goto fail;
	}
	s->wl_ops = workload_find(wl_name);
	if (!s->wl_ops) {
		char what[384];
		snprintf(what, sizeof what, "unknown workload '%s' (available: %s)", wl_name,
		         workload_list());
		bad_key(cfg, "workload", "%s", what);
		goto fail;
	}
	if (parse_target_on(cfg, s) < 0)
		goto fail;
	if (!(s->topo = topology_load(topo))) {
		bad_key(cfg, "topology", "cannot load topology '%s' (see the message above)", topo);
		goto fail;
	}
	if (*trace && !(s->tr = trace_load(trace, s->topo))) {
		bad_key(cfg, "trace", "cannot load trace '%s' (see the message above)", trace);
		goto fail;
	}
	if (apply_bw_scale(cfg, s) < 0)
		goto fail;
	int R = s->nregions = s->topo->n;
	s->machines = xmalloc((size_t)R * sizeof *s->machines);
	for (int r = 0; r < R; r++) {
		s->machines[r] = machines ? (int)machines : s->topo->regions[r].machines;
		s->nnodes += s->machines[r];
	}
	struct sync_setup su = { s->topo->name, R, s->machines, s->topo->ngroups };
	if (s->sync->check_setup && s->sync->check_setup(s->sync_params, &su, cfg) < 0)
		goto fail;
	s->worker_region = xmalloc((size_t)s->nnodes * sizeof *s->worker_region);
	s->speed = xmalloc((size_t)s->nnodes * sizeof *s->speed);
	for (int r = 0, n = 0; r < R; r++)
		for (int m = 0; m < s->machines[r]; m++, n++)
			s->worker_region[n] = r;
	if (parse_straggler(cfg, s) < 0)
		goto fail;
	s->wl = s->wl_ops->create(cfg, s->nnodes, s->worker_region, R, (uint64_t)s->seed);
	if (!s->wl || check_memory(cfg, s) < 0)
		goto fail;
	if (s->target_on == OBSERVER_TARGET_TEST && !has_test_data(s)) {
		bad_key(cfg, "stop.target_on", "'%s': this run has no held-out data (the workload's "
		        "held-out metric needs a test set: see its docs)", "test");
		goto fail;
	}
	if (emu_keys(cfg, s) < 0 || runcfg_check_unused(cfg) < 0)
		goto fail;
	return 0;
fail:
	setup_free(s);
	return -1;
}

int run_check_config(struct runcfg *cfg)
{
	struct setup s;
	if (setup_build(cfg, NULL, &s) < 0)
		return -1;
	setup_free(&s);
	return 0;
}

/*
 * Progress reports on stderr (docs/config-format.md, "Progress"): at most one line per
 * PROGRESS_EVERY_S of wall time, in the manner of iperf3's interval reports: wall clock,
 * model, clock, simulated time, objective, simulator events per wall second, estimated time
 * left (from the clocks still to run at the rate so far).
 */
#define PROGRESS_EVERY_S 0.5

struct progress {
	const char *label;       /* model */
	int64_t max_clocks;      /* clocks planned */
	int on;                  /* report */
	double wall0_s;          /* wall clock at the start */
	double last_s;           /* wall clock of the last report (0: none yet) */
	uint64_t last_events;    /* events at the last report */
	const struct cluster *c; /* the running cluster (events, time) */
	int64_t clock;           /* newest clock evaluated */
	double objective;        /* its objective */
};

static void progress_line(struct progress *p, double now_s, const char *tail)
{
	uint64_t ev = p->c ? cluster_events(p->c) : 0;
	double dt = now_s - (p->last_s > 0 ? p->last_s : p->wall0_s);
	double rate = dt > 0 ? (double)(ev - p->last_events) / dt : 0;
	double elapsed = now_s - p->wall0_s;
	double left = p->clock > 0 ? elapsed * (double)(p->max_clocks - p->clock) / (double)p->clock : NAN;
	fprintf(stderr, "[%7.1f s] %-8s clock %lld/%lld  simulated %.1f s  objective %.5g  %.3g ev/s",
	        elapsed, p->label, (long long)p->clock, (long long)p->max_clocks,
	        p->c ? simtime_to_s(cluster_now(p->c)) : 0.0, p->objective, rate);
	if (tail)
		fprintf(stderr, "  %s\n", tail);
	else if (isnan(left))
		fputc('\n', stderr);
	else
		fprintf(stderr, "  left ~%.1f s\n", left > 0 ? left : 0);
	fflush(stderr);
	p->last_s = now_s;
	p->last_events = ev;
}

static void on_eval(void *arg, const struct ps_eval *e)
{
	struct progress *p = arg;
	if (!p->on)
		return;
	if (e->clock >= p->clock) {
		p->clock = e->clock;
		p->objective = e->objective;
	}
	double now = wallclock_s();
	if (now - (p->last_s > 0 ? p->last_s : p->wall0_s) >= PROGRESS_EVERY_S)
		progress_line(p, now, NULL);
}

/*
 * A trace that misses the run's time span changes nothing, silently: say so. Changes after
 * the run's end were never replayed; a first change after time 0 leaves the topology's
 * bandwidths in force until then. One warning per trace and end time per process.
 */
static void warn_trace_span(const struct trace *tr, double end_s)
{
	static char last[256];
	if (!tr || tr->n == 0)
		return;
	char key[256];
	snprintf(key, sizeof key, "%s/%.3f", tr->path, end_s);
	if (!strcmp(key, last))
		return;
	snprintf(last, sizeof last, "%s", key);
	double first = simtime_to_s(tr->changes[0].time), lastt = simtime_to_s(tr->changes[tr->n - 1].time);
	size_t after = 0, inside = 0;
	for (size_t i = 0; i < tr->n; i++) {
		double t = simtime_to_s(tr->changes[i].time);
		after += t > end_s;
		inside += t > 0 && t <= end_s;
	}
	if (after)
		fprintf(stderr, "gaiasim: warning: trace '%s' changes until %.6g s but the run ended at "
		        "%.6g s: %zu of its %zu changes were never replayed%s\n", tr->name, lastt, end_s,
		        after, tr->n, inside ? "" : " (none fell inside the run after time 0)");
	if (first > 0)
		fprintf(stderr, "gaiasim: warning: trace '%s' starts at %.6g s: until then the "
		        "topology's own bandwidths applied\n", tr->name, first);
}

static int store_results(const struct run_opts *o, const struct setup *s, struct runcfg *cfg,
                         const struct run_parts *p, const struct run_result *res, double wall_s)
{
	struct store *st = store_open(o->db);
	if (!st)
		return -1;
	char *conf = runcfg_dump(cfg);
	/* sync_effective is appended unless the text already holds it (a stored run rerun). */
	char *full = xasprintf("%ssync_effective = %s\n", conf, s->sync_spec);
	if (runcfg_has(cfg, "sync_effective")) {
		/* it was read, so the dump holds it in key order: keep only the last line */
		char *line = xasprintf("sync_effective = %s\n", s->sync_spec);
		char *at = strstr(full, line);
		if (at && at != full + strlen(full) - strlen(line))
			memmove(at, at + strlen(line), strlen(at + strlen(line)) + 1);
		free(line);
	}
	struct store_run_info info = {
		.kind = o->kind ? o->kind : "run",
		.label = o->label ? o->label : s->sync_spec,
		.config = full,
		.seed = (uint64_t)s->seed,
		.program_version = gaiasim_version(),
		.topology_name = s->topo->name,
		.topology_sha256 = s->topo->sha256,
		.trace_name = s->tr ? s->tr->name : NULL,
		.trace_sha256 = s->tr ? s->tr->sha256 : NULL,
		.comparison_id = o->comparison_id,
	};
	int64_t run = store_run_begin(st, &info);
	if (run < 0)
		goto fail;
	const struct topology *t = s->topo;
	size_t ne = p->nevals;
	const struct ps_eval *ev = p->evals;
	for (size_t i = 0; i < ne; i++) {
		int reg = p->replica_region[ev[i].replica];
		const char *region = reg < 0 ? "global" : t->regions[reg].name;
		if (store_clock(st, run, region, ev[i].clock, simtime_to_s(ev[i].time),
		                ev[i].objective, ev[i].metric, ev[i].test_metric) < 0)
			goto fail;
	}
	const struct ps_stats *stt = p->stats;
	for (int w = 0; w < s->nnodes; w++)
		for (int k = 1; k < PS_WAIT_NKINDS; k++) {
			double v = stt->wait_s[(size_t)w * PS_WAIT_NKINDS + (size_t)k];
			if (v > 0 && store_blocked(st, run, w, t->regions[s->worker_region[w]].name,
			                           ps_wait_names[k], v) < 0)
				goto fail;
		}
	int R = s->nregions;
	for (int a = 0; a < R; a++)
		for (int b = 0; b < R; b++)
			for (int k = 0; k < MSG_NKINDS && a != b; k++) {
				size_t i = ((size_t)a * (size_t)R + (size_t)b) * MSG_NKINDS + (size_t)k;
				if (stt->wan_msgs[i] > 0 &&
				    store_wan_bytes(st, run, t->regions[a].name, t->regions[b].name,
				                    msg_kind_names[k], stt->wan_bytes[i],
				                    (uint64_t)stt->wan_msgs[i]) < 0)
					goto fail;
			}
	size_t nf = p->nfrecs;
	const struct ps_filter_rec *fr = p->frecs;
	for (size_t i = 0; i < nf; i++)
		if (store_filter(st, run, t->regions[fr[i].region].name, fr[i].clock, fr[i].produced,
		                 fr[i].sent, fr[i].threshold) < 0)
			goto fail;
	size_t ns = p->nsigs;
	const struct ps_sig_rec *sr = p->sigs;
	for (size_t i = 0; i < ns; i++)
		for (int l = 0; l < SIG_NLEVELS; l++)
			if (store_significance(st, run, t->regions[sr[i].region].name, sr[i].clock,
			                       sigfilter_levels[l], sr[i].below[l], sr[i].updates) < 0)
				goto fail;
	struct store_summary sum = {
		.sync_model = s->sync_spec,
		.workload = s->wl_ops->name,
		.metric_name = s->wl_ops->metric_name,
		.target_objective = res->target,
		.time_to_target_s = res->time_to_target_s,
		.clocks_completed = res->clocks,
		.final_objective = res->final_objective,
		.final_metric = res->final_metric,
		.test_metric_name = res->test_metric_name,
		.final_test_metric = res->final_test_metric,
		.wan_bytes = res->wan_bytes,
		.lan_bytes = res->lan_bytes,
		.values_pushed = stt->updates_pushed,
		.values_pushed_wan = stt->updates_pushed_wan,
		.has_filter = s->sync->per_region,
		.filter_produced = stt->updates_produced,
		.filter_sent = stt->updates_sent,
		.sig_updates = stt->sig_updates,
		.sig_below_1pct = stt->sig_below[SIG_LEVEL_1PCT],
		.cost_machine_usd = res->cost_machine_usd,
		.cost_transfer_usd = res->cost_transfer_usd,
		.end_status = run_status_name(res->status),
	};
	if (store_summary(st, run, &sum) < 0)
		goto fail;
	if (store_run_commit(st, run, res->end_s, wall_s) < 0)
		goto fail;
	free(conf);
	free(full);
	store_close(st);
	return 0;
fail:
	free(conf);
	free(full);
	store_run_abort(st);
	store_close(st);
	return -1;
}

/*
 * Mean over replicas per evaluated clock (complete clocks only) of the quantity the target is
 * on: the objective, or the held-out metric with stop.target_on = test.
 */
/* The per-pair byte counters, when asked for (run_opts.wan_bytes). */
static void wan_copy(const struct run_opts *o, const struct setup *s, const struct run_parts *p)
{
	if (!o->wan_bytes)
		return;
	size_t nk = (size_t)s->nregions * (size_t)s->nregions * MSG_NKINDS;
	*o->wan_bytes = xmalloc(nk * sizeof **o->wan_bytes);
	memcpy(*o->wan_bytes, p->stats->wan_bytes, nk * sizeof **o->wan_bytes);
}

static void trajectory(const struct run_opts *o, const struct run_parts *p,
                       enum observer_target_on on)
{
	if (!o->traj_objective)
		return;
	int nreplicas = p->nreplicas;
	size_t ne = p->nevals;
	const struct ps_eval *ev = p->evals;
	double *obj = xcalloc(ne + 1, sizeof *obj), *tm = xcalloc(ne + 1, sizeof *tm);
	int64_t *ck = xcalloc(ne + 1, sizeof *ck);
	int *cnt = xcalloc(ne + 1, sizeof *cnt);
	size_t n = 0;
	for (size_t i = 0; i < ne; i++) {
		size_t j = 0;
		while (j < n && ck[j] != ev[i].clock)
			j++;
		if (j == n) {
			ck[n] = ev[i].clock;
			obj[n] = 0;
			tm[n] = 0;
			cnt[n] = 0;
			n++;
		}
		obj[j] += on == OBSERVER_TARGET_TEST ? ev[i].test_metric : ev[i].objective;
		cnt[j]++;
		if (simtime_to_s(ev[i].time) > tm[j])
			tm[j] = simtime_to_s(ev[i].time);
	}
	size_t k = 0;
	for (size_t j = 0; j < n; j++)
		if (cnt[j] == nreplicas) {
			ck[k] = ck[j];
			obj[k] = obj[j] / cnt[j];
			tm[k] = tm[j];
			k++;
		}
	free(cnt);
	*o->traj_objective = obj;
	*o->traj_time_s = tm;
	*o->traj_clock = ck;
	*o->traj_n = k;
}

/* The cluster configuration of a simulated run of s. */
static void cluster_config_of(const struct setup *s, struct cluster_config *cc)
{
	*cc = (struct cluster_config){
		.topo = s->topo,
		.trace = s->tr,
		.machines = s->machines,
		.sync = s->sync,
		.sync_params = s->sync_params,
		.wl_ops = s->wl_ops,
		.wl = s->wl,
		.speed = s->speed,
		.transport = "sim",
		.compute = &compute_modelled,
		.seed = (uint64_t)s->seed,
		.max_clocks = s->max_clocks,
		.eval_every = s->eval_every,
		.target = s->target,
		.target_on = s->target_on,
		.time_limit = s->time_limit_s > 0 ? simtime_from_s(s->time_limit_s) : SIMTIME_NEVER,
		.value_bytes = s->value_bytes,
		.index_bytes = s->index_bytes,
		.header_bytes = s->header_bytes,
	};
}

/* The cluster of a setup; NULL with a message. */
static struct cluster *build(const struct setup *s, struct progress *prog)
{
	struct cluster_config cc;
	cluster_config_of(s, &cc);
	cc.on_eval = on_eval;
	cc.on_eval_arg = prog;
	return cluster_new(&cc);
}

/* Bytes and their transfer cost, from the per region pair counters. */
static void traffic(const struct setup *s, const struct ps_stats *st, struct run_result *res)
{
	int R = s->nregions;
	for (int a = 0; a < R; a++)
		for (int b = 0; b < R; b++)
			for (int k = 0; k < MSG_NKINDS; k++) {
				double bytes = st->wan_bytes[((size_t)a * (size_t)R + (size_t)b) * MSG_NKINDS + (size_t)k];
				if (a != b) {
					res->wan_bytes += bytes;
					res->cost_transfer_usd += bytes / 1e9 * s->topo->usd_per_gb[a * R + b];
				} else {
					res->lan_bytes += bytes;
				}
			}
}

/* Final model quality: means over replicas of the objective, metric and held-out metric. */
static void final_quality(const struct setup *s, const struct run_parts *p,
                          struct run_result *res)
{
	double fo = 0, fm = 0, ft = 0;
	for (int r = 0; r < p->nreplicas; r++) {
		fo += p->final_objective[r];
		fm += p->final_metric[r];
		ft += p->final_test[r];
	}
	res->final_objective = fo / p->nreplicas;
	res->final_metric = fm / p->nreplicas;
	res->final_test_metric = s->wl_ops->test_metric ? ft / p->nreplicas : NAN;
	/* A workload with a held-out metric but no held-out data this run returns NAN: no metric. */
	res->test_metric_name = isnan(res->final_test_metric) ? NULL : s->wl_ops->test_metric_name;
	res->test_higher_better = s->wl_ops->test_higher_better;
}

/* The compute-to-communication ratio: compute seconds per clock per worker (mean), WAN
 * bytes per clock (over the mean clocks per worker) and their ratio. Needs res->wan_bytes. */
static void compute_ratio(const struct setup *s, const struct ps_stats *st, struct run_result *res)
{
	double per_clock = 0, clocks = 0;
	for (int w = 0; w < s->nnodes; w++) {
		clocks += (double)st->clocks[w];
		if (st->clocks[w] > 0)
			per_clock += st->compute_s[w] / (double)st->clocks[w];
	}
	res->compute_s_per_clock = s->nnodes ? per_clock / s->nnodes : NAN;
	clocks = s->nnodes ? clocks / s->nnodes : 0;
	res->wan_bytes_per_clock = clocks > 0 ? res->wan_bytes / clocks : NAN;
	res->wan_bytes_per_s_needed = res->compute_s_per_clock > 0
		? res->wan_bytes_per_clock / res->compute_s_per_clock : NAN;
}

static const char *const status_names[] = {
	[RUN_COMPLETED] = "completed", [RUN_TARGET_REACHED] = "target_reached",
	[RUN_TIME_LIMIT] = "time_limit", [RUN_DIVERGED] = "diverged", [RUN_STALLED] = "stalled",
};

const char *run_status_name(enum run_status st)
{
	return status_names[st];
}

int run_status_failed(enum run_status st)
{
	return st == RUN_DIVERGED || st == RUN_STALLED;
}

/*
 * How the run ended, first match wins: a non-finite objective (diverged); the simulator's queue
 * emptied while some worker had not stopped (stalled: no event could make progress; a training
 * run schedules no periodic ticks, so an empty queue is the only way to get there); the target; workers stopped short of their clocks (the time limit);
 * otherwise every clock ran.
 */
static enum run_status end_status(const struct setup *s, const struct run_parts *p,
                                  const struct run_result *res)
{
	if (p->diverged_clock >= 0)
		return RUN_DIVERGED;
	if (!p->finished)
		return RUN_STALLED;
	if (p->target_time >= 0)
		return RUN_TARGET_REACHED;
	if (res->clocks < s->max_clocks)
		return RUN_TIME_LIMIT;
	return RUN_COMPLETED;
}

/* Everything reported about a finished run. */
static void collect(const struct setup *s, const struct run_parts *p, struct run_result *res)
{
	res->initial_objective = p->nevals ? p->evals[0].objective : NAN;
	res->target = s->target;
	res->time_to_target_s = p->target_time >= 0 ? simtime_to_s(p->target_time) : NAN;
	res->end_s = p->end_s;
	const struct ps_stats *st = p->stats;
	res->clocks = INT64_MAX;
	for (int w = 0; w < s->nnodes; w++)
		if (st->clocks[w] < res->clocks)
			res->clocks = st->clocks[w];
	final_quality(s, p, res);
	traffic(s, st, res);
	compute_ratio(s, st, res);
	res->share_pushed_wan = st->updates_pushed
		? (double)st->updates_pushed_wan / (double)st->updates_pushed : NAN;
	res->share_filter_sent = s->sync->per_region && st->updates_produced
		? (double)st->updates_sent / (double)st->updates_produced : NAN;
	res->share_below_1pct = st->sig_updates
		? (double)st->sig_below[SIG_LEVEL_1PCT] / (double)st->sig_updates : NAN;
	_Static_assert(RUN_SIG_LEVELS == SIG_NLEVELS, "run_result.share_below has every level");
	for (int l = 0; l < SIG_NLEVELS; l++)
		res->share_below[l] = st->sig_updates
			? (double)st->sig_below[l] / (double)st->sig_updates : NAN;
	double hours = (isnan(res->time_to_target_s) ? res->end_s : res->time_to_target_s) / 3600;
	res->machines = s->nnodes;
	res->cost_machine_usd = hours * s->nnodes * s->usd_per_machine_hour;
	res->events = p->events;
	res->status = end_status(s, p, res);
}

/* The parts of a simulated run, read from its cluster (arrays freed by parts_free). */
static void parts_of_cluster(const struct setup *s, const struct cluster *c, struct run_parts *p)
{
	const struct ps *ps = cluster_ps(c);
	memset(p, 0, sizeof *p);
	p->evals = cluster_evals(c, &p->nevals);
	p->nreplicas = ps_nreplicas(ps);
	int *reg = xmalloc((size_t)p->nreplicas * sizeof *reg);
	double *fo = xmalloc((size_t)p->nreplicas * 3 * sizeof *fo);
	for (int r = 0; r < p->nreplicas; r++) {
		reg[r] = ps_replica_region(ps, r);
		ps_replica_eval(ps, r, &fo[r], &fo[p->nreplicas + r]);
		fo[2 * p->nreplicas + r] = s->wl_ops->test_metric
			? s->wl_ops->test_metric(s->wl, ps_replica_params(ps, r)) : NAN;
	}
	p->replica_region = reg;
	p->final_objective = fo;
	p->final_metric = fo + p->nreplicas;
	p->final_test = fo + 2 * p->nreplicas;
	p->stats = cluster_stats(c);
	p->frecs = cluster_filter_recs(c, &p->nfrecs);
	p->sigs = cluster_sig_recs(c, &p->nsigs);
	p->target_time = cluster_target_time(c);
	p->end_s = simtime_to_s(cluster_now(c));
	p->events = cluster_events(c);
	p->diverged_clock = cluster_diverged_clock(c);
	p->finished = cluster_finished(c);
}

static void parts_free(struct run_parts *p)
{
	free((void *)p->replica_region);
	free((void *)p->final_objective);
}

int run_model(struct runcfg *cfg, const char *sync, const struct run_opts *o,
              struct run_result *res)
{
	struct setup s;
	if (setup_build(cfg, sync, &s) < 0)
		return -1;
	memset(res, 0, sizeof *res);
	snprintf(res->sync, sizeof res->sync, "%s", s.sync_spec);
	if (o->max_clocks > 0)
		s.max_clocks = o->max_clocks;
	if (!isnan(o->target))
		s.target = o->target;
	double w0 = wallclock_s();
	struct progress prog = { .label = o->label ? o->label : s.sync_spec,
	                         .max_clocks = s.max_clocks, .on = o->progress, .wall0_s = w0 };
	int rc = -1;
	struct cluster *c = build(&s, &prog);
	if (!c)
		goto out;
	prog.c = c;
	cluster_run(c, SIMTIME_NEVER);
	if (o->progress)
		progress_line(&prog, wallclock_s(), "done");
	if (ps_error(cluster_ps(c))) { /* the run cannot be completed: nothing is stored */
		diag_error("%s", ps_error(cluster_ps(c)));
		goto out;
	}
	struct run_parts parts;
	parts_of_cluster(&s, c, &parts);
	collect(&s, &parts, res);
	warn_trace_span(s.tr, res->end_s);
	snprintf(res->topology, sizeof res->topology, "%s", s.topo->name);
	snprintf(res->trace, sizeof res->trace, "%s", s.tr ? s.tr->name : "");
	res->seed = s.seed;
	trajectory(o, &parts, s.target_on);
	wan_copy(o, &s, &parts);
	rc = 0;
	if (o->db && store_results(o, &s, cfg, &parts, res, wallclock_s() - w0) < 0)
		rc = -1;
	parts_free(&parts);
out:
	cluster_free(c);
	setup_free(&s);
	return rc;
}

/* ---- the pieces of an emulated run ---- */

struct run_setup {
	struct setup s;          /* the setup */
};

struct run_setup *run_setup_new(struct runcfg *cfg)
{
	struct run_setup *r = xcalloc(1, sizeof *r);
	if (setup_build(cfg, NULL, &r->s) < 0) {
		free(r);
		return NULL;
	}
	return r;
}

void run_setup_free(struct run_setup *r)
{
	if (!r)
		return;
	setup_free(&r->s);
	free(r);
}

void run_setup_cluster(const struct run_setup *r, struct cluster_config *cc)
{
	cluster_config_of(&r->s, cc);
}

const struct topology *run_setup_topology(const struct run_setup *r)
{
	return r->s.topo;
}

const char *run_setup_emu_compute(const struct run_setup *r)
{
	return r->s.emu_compute;
}

int run_setup_nnodes(const struct run_setup *r)
{
	return r->s.nnodes;
}

double run_setup_target(const struct run_setup *r, int *on_test, int *higher_better)
{
	*on_test = r->s.target_on == OBSERVER_TARGET_TEST;
	*higher_better = *on_test && r->s.wl_ops->test_higher_better;
	return r->s.target;
}

int run_report_parts(struct runcfg *cfg, const struct run_setup *r, const struct run_opts *o,
                     const struct run_parts *p, double wall_s, struct run_result *res)
{
	memset(res, 0, sizeof *res);
	snprintf(res->sync, sizeof res->sync, "%s", r->s.sync_spec);
	collect(&r->s, p, res);
	trajectory(o, p, r->s.target_on);
	wan_copy(o, &r->s, p);
	if (o->db && store_results(o, &r->s, cfg, p, res, wall_s) < 0)
		return -1;
	return 0;
}

int run_setup_place(const struct run_setup *r, int n)
{
	return r->s.sync->one_region ? 0 : r->s.worker_region[n];
}

double run_setup_max_clocks(const struct run_setup *r)
{
	return (double)r->s.max_clocks;
}

const struct trace *run_setup_trace(const struct run_setup *r)
{
	return r->s.tr;
}
