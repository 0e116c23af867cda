/*
 * gaiasim trace: `trace gen` writes a seeded synthetic bandwidth trace for a topology
 * (the stationary-plus-excursions model of docs/trace-format.md); `trace check` validates a
 * trace file against a topology and prints a summary.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "lib/diag.h"
#include "lib/lineio.h"
#include "lib/xmalloc.h"
#include "topology/topology.h"
#include "topology/trace.h"

#define GEN_USAGE_TEXT                                                                              \
	"trace gen -t TOPOLOGY --duration S --seed N [--step S] [--sigma X]\n"                      \
	"         [--excursions-per-hour X] [--excursion-mean S] [--depth-min X] [--depth-max X]\n" \
	"         [--correlated X] [-o OUT]"
#define CHECK_USAGE_TEXT "trace check -t TOPOLOGY FILE|NAME|-"
#define GEN_USAGE "gaiasim " GEN_USAGE_TEXT
#define CHECK_USAGE "gaiasim " CHECK_USAGE_TEXT
#define TRACE_USAGE GEN_USAGE "\n       " CHECK_USAGE

enum { OPT_SEED = 300, OPT_DOUBLE = 256 }; /* OPT_DOUBLE + k: gen_opts[k] */

/* Options of `trace gen` that set a double field. */
struct gen_opt {
	const char *name; /* option spelling */
	size_t offset;    /* offset of the double in struct tracegen_params */
};

static const struct gen_opt gen_opts[] = {
	{ "--duration", offsetof(struct tracegen_params, duration_s) },
	{ "--step", offsetof(struct tracegen_params, step_s) },
	{ "--sigma", offsetof(struct tracegen_params, sigma) },
	{ "--excursions-per-hour", offsetof(struct tracegen_params, excursion_rate_per_h) },
	{ "--excursion-mean", offsetof(struct tracegen_params, excursion_mean_s) },
	{ "--depth-min", offsetof(struct tracegen_params, excursion_depth_min) },
	{ "--depth-max", offsetof(struct tracegen_params, excursion_depth_max) },
	{ "--correlated", offsetof(struct tracegen_params, correlated_share) },
};

static const struct cli_opt gen_cli[] = {
	{ "topology", 't', "TOPOLOGY", "topology name or .topo file (required)" },
	{ "duration", OPT_DOUBLE + 0, "S", "trace length, seconds (required)" },
	{ "seed", OPT_SEED, "N", "run seed, integer >= 0 (required)" },
	{ "step", OPT_DOUBLE + 1, "S", "spacing of stationary samples, seconds" },
	{ "sigma", OPT_DOUBLE + 2, "X", "relative standard deviation of the stationary level" },
	{ "excursions-per-hour", OPT_DOUBLE + 3, "X", "excursion rate per directed pair, 1/h" },
	{ "excursion-mean", OPT_DOUBLE + 4, "S", "mean excursion duration, seconds" },
	{ "depth-min", OPT_DOUBLE + 5, "X", "bandwidth during an excursion, share of the level: min" },
	{ "depth-max", OPT_DOUBLE + 6, "X", "... max" },
	{ "correlated", OPT_DOUBLE + 7, "X", "share of pairs following their source region's common noise" },
	{ "output", 'o', "OUT", "output file (default: standard output)" },
	{ NULL, 0, NULL, NULL },
};

static void gen_defaults(FILE *out)
{
	struct tracegen_params d;
	tracegen_defaults(&d);
	fprintf(out, "\ndefaults: --step %g --sigma %g --excursions-per-hour %g --excursion-mean %g\n"
	        "          --depth-min %g --depth-max %g --correlated %g\n", d.step_s, d.sigma,
	        d.excursion_rate_per_h, d.excursion_mean_s, d.excursion_depth_min,
	        d.excursion_depth_max, d.correlated_share);
}

const struct cli_help cmd_trace_gen_help = {
	.cmd = "trace gen",
	.usage = GEN_USAGE_TEXT,
	.about = "Write a synthetic bandwidth trace (CSV time_s,src,dst,bandwidth_bps) for every directed\n"
	         "pair of TOPOLOGY (a shipped name or a file), to OUT or standard output. Model and\n"
	         "parameters: docs/trace-format.md. The same seed gives the same bytes.",
	.opts = gen_cli,
	.extra = gen_defaults,
};

static const struct cli_opt check_cli[] = {
	{ "topology", 't', "TOPOLOGY", "topology the trace's regions belong to (required)" },
	{ NULL, 0, NULL, NULL },
};

const struct cli_help cmd_trace_check_help = {
	.cmd = "trace check",
	.usage = CHECK_USAGE_TEXT,
	.about = "Validate a trace CSV (a file, - for standard input, or a shipped trace's NAME)\n"
	         "against a topology; print a summary. Format: docs/trace-format.md.",
	.opts = check_cli,
};

static void trace_help(FILE *out)
{
	cli_print_help(out, &cmd_trace_gen_help);
	fputc('\n', out);
	cli_print_help(out, &cmd_trace_check_help);
}

static int is_regular_file(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmd_trace_gen(int argc, char **argv)
{
	struct tracegen_params p;
	tracegen_defaults(&p);
	const char *topo = NULL, *out_path = NULL;
	int have_duration = 0, have_seed = 0;
	struct cli_parser P;
	cli_parser_init(&P, &cmd_trace_gen_help, argc, argv);
	int ch;
	const char *v;
	while ((ch = cli_next(&P, &v)) != CLI_END) {
		if (ch == CLI_HELP)
			return 0;
		if (ch == CLI_ERROR)
			return 2;
		if (ch == 't' || ch == 'o') {
			*(ch == 't' ? &topo : &out_path) = v;
		} else if (ch == OPT_SEED) {
			int64_t seed;
			if (parse_int64(v, &seed) < 0 || seed < 0)
				return cmd_usage_error(GEN_USAGE, "--seed: '%s' is not an integer >= 0", v);
			p.seed = (uint64_t)seed;
			have_seed = 1;
		} else {
			size_t k = (size_t)(ch - OPT_DOUBLE);
			double *field = (double *)((char *)&p + gen_opts[k].offset);
			if (parse_double(v, field) < 0)
				return cmd_usage_error(GEN_USAGE, "%s: '%s' is not a number", gen_opts[k].name, v);
			have_duration |= k == 0;
		}
	}
	if (optind < argc)
		return cmd_usage_error(GEN_USAGE, "trace gen: unexpected argument '%s'", argv[optind]);
	if (!topo)
		return cmd_usage_error(GEN_USAGE, "trace gen: missing -t TOPOLOGY");
	if (!have_duration)
		return cmd_usage_error(GEN_USAGE, "trace gen: missing --duration S");
	if (!have_seed)
		return cmd_usage_error(GEN_USAGE, "trace gen: missing --seed N");
	char why[256];
	if (tracegen_check(&p, why, sizeof why) < 0)
		return cmd_usage_error(GEN_USAGE, "trace gen: %s", why);

	struct topology *t = topology_load(topo);
	if (!t)
		return 1;
	FILE *out = stdout;
	if (out_path && !(out = fopen(out_path, "w"))) {
		diag_at(out_path, 0, "cannot create: %s", strerror(errno));
		topology_free(t);
		return 1;
	}
	int rc = trace_generate(t, &p, out);
	if (out != stdout && fclose(out) != 0 && rc == 0)
		rc = diag_at(out_path, 0, "write error: %s", strerror(errno));
	if (rc < 0 && out_path && is_regular_file(out_path))
		remove(out_path); /* no half-written trace left behind; never a device such as /dev/full */
	topology_free(t);
	return rc < 0 ? 1 : 0;
}

/* Print what a loaded trace contains. */
static void trace_summary(const struct trace *tr, const struct topology *t, FILE *out)
{
	size_t nn = (size_t)t->n * (size_t)t->n;
	char *touched = xcalloc(nn ? nn : 1, 1);
	size_t pairs = 0, zeros = 0, with_rtt = 0;
	double lo = 0, hi = 0;
	for (size_t k = 0; k < tr->n; k++) {
		const struct trace_change *c = &tr->changes[k];
		size_t ij = (size_t)c->src * (size_t)t->n + (size_t)c->dst;
		if (!touched[ij]) {
			touched[ij] = 1;
			pairs++;
		}
		zeros += c->bw_bps == 0;
		with_rtt += c->rtt_s >= 0;
		if (k == 0 || c->bw_bps < lo)
			lo = c->bw_bps;
		if (k == 0 || c->bw_bps > hi)
			hi = c->bw_bps;
	}
	free(touched);
	fprintf(out, "trace %s: %zu changes to %zu directed pairs of topology %s\n", tr->name, tr->n, pairs,
		t->name);
	fprintf(out, "file %s\nsha256 %s\n", tr->path, tr->sha256);
	if (tr->n == 0)
		return;
	fprintf(out, "time %.6f s .. %.6f s\n", simtime_to_s(tr->changes[0].time),
		simtime_to_s(tr->changes[tr->n - 1].time));
	fprintf(out, "bandwidth %.6g .. %.6g Mbit/s; %zu rows set 0 (link down); %zu rows set an RTT\n",
		lo / 1e6, hi / 1e6, zeros, with_rtt);
}

static int cmd_trace_check(int argc, char **argv)
{
	const char *topo = NULL, *file = NULL, *v;
	struct cli_parser P;
	cli_parser_init(&P, &cmd_trace_check_help, argc, argv);
	int ch;
	while ((ch = cli_next(&P, &v)) != CLI_END) {
		if (ch == CLI_HELP)
			return 0;
		if (ch == CLI_ERROR)
			return 2;
		topo = v;
	}
	if (argc - optind > 1)
		return cmd_usage_error(CHECK_USAGE, "trace check: more than one FILE ('%s', '%s')",
		                       argv[optind], argv[optind + 1]);
	if (optind < argc)
		file = argv[optind];
	if (!topo)
		return cmd_usage_error(CHECK_USAGE, "trace check: missing -t TOPOLOGY");
	if (!file)
		return cmd_usage_error(CHECK_USAGE, "trace check: missing FILE");
	struct topology *t = topology_load(topo);
	if (!t)
		return 1;
	struct trace *tr = trace_load(file, t);
	int ok = tr != NULL;
	if (ok)
		trace_summary(tr, t, stdout);
	trace_free(tr);
	topology_free(t);
	return ok ? 0 : 1;
}

int cmd_trace(int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage_error(TRACE_USAGE, "trace: missing subcommand (gen or check)");
	const char *sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		trace_help(stdout);
		return 0;
	}
	if (!strcmp(sub, "gen"))
		return cmd_trace_gen(argc - 1, argv + 1);
	if (!strcmp(sub, "check"))
		return cmd_trace_check(argc - 1, argv + 1);
	static const char *const subs[] = { "gen", "check" };
	const char *hint = cli_nearest(sub, subs, 2);
	return cmd_usage_error(TRACE_USAGE, "trace: unknown subcommand '%s' (%s%s%s)", sub,
	                       hint ? "did you mean '" : "want gen or check", hint ? hint : "",
	                       hint ? "'?" : "");
}
