/* gaiasim net: simulate a list of transfers over a topology (and trace); CSV and SQLite out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/version.h"
#include "results/store.h"
#include "cli/cmd.h"
#include "cli/opt.h"
#include "lib/diag.h"
#include "lib/lineio.h"
#include "sim/netrun.h"
#include "lib/wallclock.h"
#include "lib/xmalloc.h"
#include "topology/topology.h"
#include "topology/trace.h"

#define USAGE_TEXT "net -t TOPOLOGY -f TRANSFERS.csv|- [-T TRACE] [-o OUT.csv] [--db FILE]\n" \
	"                   [--bin SECONDS] [--seed N]"
static const char USAGE[] = "gaiasim " USAGE_TEXT;

static const struct cli_opt net_opts[] = {
	{ "topology", 't', "TOPOLOGY", "topology: a shipped name or a .topo file" },
	{ "transfers", 'f', "FILE", "transfers CSV (id,start_s,src,dst,bytes); - for standard input" },
	{ "trace", 'T', "TRACE", "bandwidth trace to replay: a shipped name or a CSV file" },
	{ "output", 'o', "FILE", "write the per-transfer CSV here instead of standard output" },
	{ "db", 'd', "FILE", "store the run in this SQLite results database" },
	{ "bin", 'b', "SECONDS", "width of the link-bytes time bins stored with --db (default 1)" },
	{ "seed", 's', "N", "run seed recorded with the run (default 1)" },
	{ NULL, 0, NULL, NULL },
};

const struct cli_help cmd_net_help = {
	.cmd = "net",
	.usage = USAGE_TEXT,
	.about = "Simulate a list of transfers over a topology (and trace) with the flow-level network\n"
	         "model; print when each one's first and last byte arrived (a plain CSV; --db stores\n"
	         "the topology, trace, seed and inputs with the run).",
	.opts = net_opts,
};

/*
 * The per-transfer CSV. Its last columns echo what ran (the topology's name, the trace's name
 * or empty, the seed and the transfer list as given), so a CSV says where it came from, as
 * compare's does.
 */
static int write_csv(FILE *out, const struct netrun *r, const struct topology *t,
                     const struct trace *tr, long long seed, const char *xfers)
{
	fprintf(out, "id,src,dst,bytes,start_s,first_byte_s,finish_s,duration_s,mean_rate_bps,"
	        "topology,trace,seed,transfers\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct netrun_transfer *x = &r->xfers[i];
		double start = simtime_to_s(x->start), fin = simtime_to_s(x->finish);
		double moving = simtime_to_s(x->finish - x->first_byte);
		fprintf(out, "%lld,%s,%s,%.0f,%.9f,%.9f,%.9f,%.9f,%.0f,%s,%s,%lld,%s\n",
		        (long long)x->id, t->regions[x->src].name, t->regions[x->dst].name, x->bytes,
		        start, simtime_to_s(x->first_byte), fin, fin - start,
		        moving > 0 ? x->bytes * 8 / moving : 0.0, t->name, tr ? tr->name : "", seed,
		        xfers);
	}
	return ferror(out) ? -1 : 0;
}

static int write_db(const char *path, const struct netrun *r, const struct topology *t,
                    const struct trace *tr, const char *config, uint64_t seed, double wall_s)
{
	struct store *st = store_open(path);
	if (!st)
		return -1;
	struct store_run_info info = {
		.kind = "net",
		.label = NULL,
		.config = config,
		.seed = seed,
		.program_version = gaiasim_version(),
		.topology_name = t->name,
		.topology_sha256 = t->sha256,
		.trace_name = tr ? tr->name : NULL,
		.trace_sha256 = tr ? tr->sha256 : NULL,
	};
	int64_t run = store_run_begin(st, &info);
	if (run < 0)
		goto fail;
	for (size_t i = 0; i < r->n; i++) {
		const struct netrun_transfer *x = &r->xfers[i];
		if (store_transfer(st, run, x->id, t->regions[x->src].name, t->regions[x->dst].name,
		                   x->bytes, simtime_to_s(x->start), simtime_to_s(x->first_byte),
		                   simtime_to_s(x->finish)) < 0)
			goto fail;
	}
	for (size_t i = 0; i < r->nbins; i++) {
		const struct netrun_bin *b = &r->bins[i];
		if (store_link_bytes(st, run, t->regions[b->src].name, t->regions[b->dst].name,
		                     simtime_to_s(b->t0), simtime_to_s(b->t1), b->bytes) < 0)
			goto fail;
	}
	if (store_run_commit(st, run, simtime_to_s(r->end), wall_s) < 0)
		goto fail;
	store_close(st);
	return 0;
fail:
	store_run_abort(st);
	store_close(st);
	return -1;
}

int cmd_net(int argc, char **argv)
{
	const char *topo = NULL, *xfers = NULL, *trace = NULL, *out_path = NULL, *db = NULL;
	char *tmp_path = NULL; /* -o: the temporary file being written, until renamed */
	double bin_s = 1.0;
	int64_t seed = 1;
	struct cli_parser P;
	cli_parser_init(&P, &cmd_net_help, argc, argv);
	int c;
	const char *optarg_;
	while ((c = cli_next(&P, &optarg_)) != CLI_END) {
		switch (c) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case 't': topo = optarg_; break;
		case 'f': xfers = optarg_; break;
		case 'T': trace = optarg_; break;
		case 'o': out_path = optarg_; break;
		case 'd':
			if (!cmd_db_path_ok(optarg_))
				return cmd_usage_error(USAGE, "--db '%s': %s", optarg_, CMD_DB_PATH_RULE);
			db = optarg_;
			break;
		case 'b':
			/* At least 1 ns once rounded to simulated time (a 0 ns bin would tick
			 * forever), and within the simulated horizon. */
			if (parse_double(optarg_, &bin_s) < 0 || bin_s < 1e-9 || bin_s > 9e9)
				return cmd_usage_error(USAGE, "net: --bin '%s' is not a number of seconds "
				                       "in [1e-9, 9e9]", optarg_);
			break;
		case 's':
			if (parse_int64(optarg_, &seed) < 0 || seed < 0)
				return cmd_usage_error(USAGE, "net: --seed '%s' is not an integer >= 0", optarg_);
			break;
		}
	}
	if (optind < argc)
		return cmd_usage_error(USAGE, "net: unexpected argument '%s'", argv[optind]);
	if (!topo || !xfers)
		return cmd_usage_error(USAGE, "net: -t TOPOLOGY and -f TRANSFERS.csv are required");

	int status = 1;
	struct trace *tr = NULL;
	struct netrun r = { 0 };
	char *config = NULL;
	FILE *out = NULL;
	struct topology *t = topology_load(topo);
	if (!t)
		goto done;
	if (trace && !(tr = trace_load(trace, t)))
		goto done;
	if (netrun_load(&r, xfers, t) < 0)
		goto done;
	config = xasprintf("command = net\ntopology = %s\ntopology_file = %s\ntransfers = %s\n"
	                   "transfers_sha256 = %s\ntrace = %s\nbin_s = %g\nseed = %lld\n",
	                   t->name, t->path, xfers, r.sha256, trace ? trace : "", bin_s, (long long)seed);
	double w0 = wallclock_s();
	if (netrun_simulate(&r, t, tr, bin_s, isatty(STDERR_FILENO)) < 0)
		goto done;
	double wall_s = wallclock_s() - w0;
	/* -o FILE is written to a temporary file beside it and renamed when complete, so a
	 * failed write (a full disk) never leaves a partial CSV under the user's name. */
	if (out_path) {
		tmp_path = xasprintf("%s.tmp.XXXXXX", out_path);
		int fd = mkstemp(tmp_path);
		if (fd < 0 || !(out = fdopen(fd, "w"))) {
			diag_at(out_path, 0, "cannot write output: %s", strerror(errno));
			if (fd >= 0)
				close(fd);
			free(tmp_path);
			tmp_path = NULL;
			goto done;
		}
	} else {
		out = stdout;
	}
	if (write_csv(out, &r, t, tr, (long long)seed, xfers) < 0 || fflush(out) != 0 || ferror(out)) {
		diag_at(out_path ? out_path : "<stdout>", 0, "write error: %s", strerror(errno));
		goto done;
	}
	/* The output is complete before the run is stored, so a failed write stores nothing. */
	if (out != stdout) {
		int bad = fclose(out) != 0;
		out = NULL;
		if (bad || rename(tmp_path, out_path) != 0) {
			diag_at(out_path, 0, "write error: %s", strerror(errno));
			goto done;
		}
		free(tmp_path);
		tmp_path = NULL;
	}
	if (db && write_db(db, &r, t, tr, config, (uint64_t)seed, wall_s) < 0)
		goto done;
	status = 0;
done:
	if (out && out != stdout)
		fclose(out);
	if (tmp_path) {
		unlink(tmp_path);
		free(tmp_path);
	}
	free(config);
	netrun_free(&r);
	trace_free(tr);
	topology_free(t);
	return status;
}
