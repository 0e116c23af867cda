/* gaiasim run / gaiasim compare: train under one or several consistency models. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results/store.h"
#include "cli/cmd.h"
#include "lib/diag.h"
#include "lib/xmalloc.h"
#include "lib/runcfg.h"
#include "cli/run.h"
#include "ps/sync.h"

static const char RUN_USAGE[] = "gaiasim run CONFIG [--set KEY=VALUE ...] [--db FILE] [--label TEXT]";
/* compare's usage, its model list generated from the table of sync models (ps/sync.c). */
static const char *cmp_usage(void)
{
	static char buf[512];
	snprintf(buf, sizeof buf,
	         "gaiasim compare CONFIG --sync MODEL[,MODEL...] [--set KEY=VALUE ...] [--db FILE]\n"
	         "                       [--format table|csv] [--label PREFIX]\n"
	         "                       (MODEL: %s; runs.label = PREFIX/MODEL)", sync_list());
	return buf;
}

/* Options shared by run and compare. */
struct cli {
	const char *config;     /* config file */
	char **sets;            /* --set assignments */
	int nsets;
	const char *db;         /* --db */
	const char *sync;       /* --sync list (compare) */
	const char *label;      /* --label: runs.label (run), its prefix PREFIX/MODEL (compare) */
	int csv;                /* --format csv */
};

static int parse_cli(int argc, char **argv, const char *usage, int compare, struct cli *c)
{
	static const struct option opts[] = {
		{ "set", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'd' },
		{ "sync", required_argument, NULL, 'y' },
		{ "format", required_argument, NULL, 'f' },
		{ "label", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(c, 0, sizeof *c);
	c->sets = xcalloc((size_t)argc + 1, sizeof *c->sets);
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': c->sets[c->nsets++] = optarg; break;
		case 'd':
			if (!cmd_db_path_ok(optarg))
				return cmd_usage_error(usage, "--db '%s': %s", optarg, CMD_DB_PATH_RULE);
			c->db = optarg;
			break;
		case 'y':
			if (!compare)
				return cmd_usage_error(usage, "run: --sync is for compare; use --set sync=MODEL");
			c->sync = optarg;
			break;
		case 'f':
			if (!compare)
				return cmd_usage_error(usage, "run: unknown option '--format'");
			if (!strcmp(optarg, "csv"))
				c->csv = 1;
			else if (strcmp(optarg, "table"))
				return cmd_usage_error(usage, "compare: --format must be table or csv, not '%s'", optarg);
			break;
		case 'l':
			if (!*optarg || strlen(optarg) > 200)
				return cmd_usage_error(usage, "%s: --label wants 1 to 200 bytes", argv[0]);
			c->label = optarg;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		case ':':
			return cmd_usage_error(usage, "%s: option '%s' needs a value", argv[0], argv[optind - 1]);
		default:
			return cmd_usage_error(usage, "%s: unknown option '%s'", argv[0], argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(usage, "%s: missing CONFIG file", argv[0]);
	c->config = argv[optind++];
	if (optind < argc)
		return cmd_usage_error(usage, "%s: unexpected argument '%s'", argv[0], argv[optind]);
	if (compare && !c->sync)
		return cmd_usage_error(usage, "compare: --sync MODEL[,MODEL...] is required");
	return -1; /* go on */
}

/* Fail before any training if the results database cannot be opened. */
static int check_db(const char *db)
{
	if (!db)
		return 0;
	struct store *st = store_open(db);
	if (!st)
		return -1;
	store_close(st);
	return 0;
}

static struct runcfg *load_config(const struct cli *c)
{
	if (check_db(c->db) < 0)
		return NULL;
	struct runcfg *cfg = runcfg_load(c->config);
	if (!cfg)
		return NULL;
	for (int i = 0; i < c->nsets; i++)
		if (runcfg_set(cfg, c->sets[i]) < 0) {
			runcfg_free(cfg);
			return NULL;
		}
	return cfg;
}

/* A share (a fraction) with 4 decimals, or `none` when it is undefined (NAN). */
static void fmt_share(char *buf, size_t n, double v, const char *none)
{
	if (isnan(v))
		snprintf(buf, n, "%s", none);
	else
		snprintf(buf, n, "%.4f", v);
}

static void print_result(const struct run_result *r)
{
	char pw[32], fs[32], b1[32];
	fmt_share(pw, sizeof pw, r->share_pushed_wan, "-");
	fmt_share(fs, sizeof fs, r->share_filter_sent, "-");
	fmt_share(b1, sizeof b1, r->share_below_1pct, "-");
	printf("sync                  %s\n", r->sync);
	printf("machines              %d\n", r->machines);
	printf("clocks                %lld\n", (long long)r->clocks);
	printf("simulated_time_s      %.6f\n", r->end_s);
	if (!isnan(r->target)) {
		printf("target_objective      %.6f\n", r->target);
		if (isnan(r->time_to_target_s))
			printf("time_to_target_s      not reached\n");
		else
			printf("time_to_target_s      %.6f\n", r->time_to_target_s);
	}
	printf("initial_objective     %.6f\n", r->initial_objective);
	printf("final_objective       %.6f\n", r->final_objective);
	printf("final_metric          %.6f\n", r->final_metric);
	if (r->test_metric_name)
		printf("final_%-16s%.6f\n", r->test_metric_name, r->final_test_metric);
	printf("wan_bytes             %.0f\n", r->wan_bytes);
	printf("lan_bytes             %.0f\n", r->lan_bytes);
	printf("compute_s_per_clock   %.6f\n", r->compute_s_per_clock);
	printf("wan_bytes_per_clock   %.0f\n", r->wan_bytes_per_clock);
	printf("wan_bytes_per_s_needed %.0f\n", r->wan_bytes_per_s_needed);
	printf("share_pushed_wan      %s\n", pw);
	printf("share_filter_sent     %s\n", fs);
	printf("share_below_1pct      %s\n", b1);
	printf("cost_machine_usd      %.6f\n", r->cost_machine_usd);
	printf("cost_transfer_usd     %.6f\n", r->cost_transfer_usd);
	printf("cost_total_usd        %.6f\n", r->cost_machine_usd + r->cost_transfer_usd);
}

int cmd_run(int argc, char **argv)
{
	struct cli c;
	int rc = parse_cli(argc, argv, RUN_USAGE, 0, &c);
	if (rc >= 0) {
		free(c.sets);
		return rc;
	}
	struct runcfg *cfg = load_config(&c);
	int status = 1;
	if (cfg) {
		struct run_opts o = { .db = c.db, .kind = "run", .label = c.label, .progress = isatty(STDERR_FILENO),
		                      .target = NAN };
		struct run_result r;
		if (run_model(cfg, NULL, &o, &r) == 0) {
			print_result(&r);
			status = 0;
		}
		runcfg_free(cfg);
	}
	free(c.sets);
	return status;
}

/* ---- compare ---- */

#define MAX_MODELS 16

static int split_models(const char *list, char out[][64], int max)
{
	int n = 0;
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0 || len >= 64 || n == max)
			return -1;
		memcpy(out[n], p, len);
		out[n][len] = '\0';
		n++;
		if (!e)
			break;
		p = e + 1;
		if (!*p)
			return -1;
	}
	return n;
}

static void fmt_time(char *buf, size_t n, double t)
{
	if (isnan(t))
		snprintf(buf, n, "not reached");
	else
		snprintf(buf, n, "%.3f", t);
}

static void fmt_ratio(char *buf, size_t n, double a, double b)
{
	if (isnan(a) || isnan(b) || b <= 0)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.2f", a / b);
}

static void print_table(const struct run_result *res, int n, int csv, double target,
                        int target_on_test)
{
	double t_bsp = NAN, t_lan = NAN;
	for (int i = 0; i < n; i++) {
		if (!strcmp(res[i].sync, "bsp"))
			t_bsp = res[i].time_to_target_s;
		if (!strcmp(res[i].sync, "lan"))
			t_lan = res[i].time_to_target_s;
	}
	/* The held-out metric's column, only when the workload has one. */
	const char *tm = n > 0 ? res[0].test_metric_name : NULL;
	if (csv)
		printf("sync,time_to_target_s,speedup_vs_bsp,ratio_to_lan,wan_bytes,"
		       "share_pushed_wan,share_filter_sent,share_below_1pct,cost_usd,final_objective,"
		       "clocks%s%s\n", tm ? "," : "", tm ? tm : "");
	else
		printf("target %s %.6f\n%-10s %16s %14s %12s %14s %16s %17s %16s %12s %15s %8s%*s\n",
		       target_on_test ? tm : "objective", target, "sync", "time_to_target_s",
		       "speedup_vs_bsp", "ratio_to_lan", "wan_bytes", "share_pushed_wan",
		       "share_filter_sent", "share_below_1pct", "cost_usd", "final_objective", "clocks",
		       tm ? 16 : 0, tm ? tm : "");
	for (int i = 0; i < n; i++) {
		const struct run_result *r = &res[i];
		char t[32], sp[32], rl[32], pw[32], fs[32], b1[32];
		fmt_share(pw, sizeof pw, r->share_pushed_wan, csv ? "" : "-");
		fmt_share(fs, sizeof fs, r->share_filter_sent, csv ? "" : "-");
		fmt_share(b1, sizeof b1, r->share_below_1pct, csv ? "" : "-");
		fmt_time(t, sizeof t, r->time_to_target_s);
		fmt_ratio(sp, sizeof sp, t_bsp, r->time_to_target_s);
		fmt_ratio(rl, sizeof rl, r->time_to_target_s, t_lan);
		double cost = r->cost_machine_usd + r->cost_transfer_usd;
		if (csv) {
			printf("%s,%s,%s,%s,%.0f,%s,%s,%s,%.6f,%.6f,%lld", r->sync,
			       isnan(r->time_to_target_s) ? "" : t, strcmp(sp, "-") ? sp : "",
			       strcmp(rl, "-") ? rl : "", r->wan_bytes, pw, fs, b1, cost,
			       r->final_objective, (long long)r->clocks);
			if (tm)
				printf(",%.6f", r->final_test_metric);
			putchar('\n');
		} else {
			printf("%-10s %16s %14s %12s %14.0f %16s %17s %16s %12.4f %15.6f %8lld", r->sync,
			       t, sp, rl, r->wan_bytes, pw, fs, b1, cost, r->final_objective,
			       (long long)r->clocks);
			if (tm)
				printf(" %15.6f", r->final_test_metric);
			putchar('\n');
		}
	}
}

int cmd_compare(int argc, char **argv)
{
	struct cli c;
	int rc = parse_cli(argc, argv, cmp_usage(), 1, &c);
	if (rc >= 0) {
		free(c.sets);
		return rc;
	}
	char models[MAX_MODELS][64];
	int n = split_models(c.sync, models, MAX_MODELS);
	if (n <= 0) {
		free(c.sets);
		return cmd_usage_error(cmp_usage(), "compare: bad --sync list '%s'", c.sync);
	}
	struct runcfg *cfg = load_config(&c);
	if (!cfg) {
		free(c.sets);
		return 1;
	}
	int status = 1;
	struct run_result res[MAX_MODELS];
	double frac, target = NAN;
	int64_t factor, clocks;
	if (runcfg_double(cfg, "compare.target_fraction", 0.95, 0.01, 1, &frac) < 0 ||
	    runcfg_int(cfg, "compare.clock_factor", 4, 1, 1000, &factor) < 0 ||
	    runcfg_int(cfg, "stop.clocks", 100, 1, 100000000, &clocks) < 0 ||
	    runcfg_double(cfg, "stop.target", NAN, -1e300, 1e300, &target) < 0)
		goto done;
	/* stop.target_on = test: the target (given or derived) is on the held-out metric; the
	 * run validates the value. Read only when given (see run.c). */
	int target_on_test = 0;
	if (runcfg_has(cfg, "stop.target_on")) {
		const char *on;
		if (runcfg_string(cfg, "stop.target_on", "objective", &on) < 0)
			goto done;
		target_on_test = !strcmp(on, "test");
	}
	if (!runcfg_has(cfg, "stop.target")) {
		/* Target from the LAN reference: the objective at which it has made `frac` of the
		 * progress it makes in stop.clocks clocks (docs/sync-models.md). */
		double *obj = NULL, *tm = NULL;
		int64_t *ck = NULL;
		size_t tn = 0;
		struct run_opts o = { .progress = isatty(STDERR_FILENO), .target = NAN,
		                      .traj_objective = &obj, .traj_time_s = &tm, .traj_clock = &ck,
		                      .traj_n = &tn };
		struct run_result lan;
		if (run_model(cfg, "lan", &o, &lan) < 0)
			goto done;
		if (tn < 2) {
			diag_error("compare: the LAN run evaluated fewer than 2 clocks; raise stop.clocks");
			free(obj), free(tm), free(ck);
			goto done;
		}
		target = obj[tn - 1] + (1 - frac) * (obj[0] - obj[tn - 1]);
		free(obj), free(tm), free(ck);
	}
	for (int i = 0; i < n; i++) {
		char *label = c.label ? xasprintf("%s/%s", c.label, models[i]) : NULL;
		struct run_opts o = { .db = c.db, .kind = "compare", .label = label,
		                      .progress = isatty(STDERR_FILENO), .target = target,
		                      .max_clocks = clocks * factor };
		int rr = run_model(cfg, models[i], &o, &res[i]);
		free(label);
		if (rr < 0)
			goto done;
	}
	print_table(res, n, c.csv, target, target_on_test);
	status = 0;
done:
	runcfg_free(cfg);
	free(c.sets);
	return status;
}
