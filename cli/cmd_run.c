/*
 * gaiasim run / gaiasim compare / gaiasim keys: train under one or several consistency models,
 * and list the configuration keys. Options come from the tables below (cli/opt.h), keys from
 * the documentation tables of the run, the sync models and the workloads (run_key_tables).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results/store.h"
#include "cli/cmd.h"
#include "cli/opt.h"
#include "lib/datadir.h"
#include "lib/diag.h"
#include "lib/xmalloc.h"
#include "lib/runcfg.h"
#include "cli/run.h"
#include "cli/compare_db.h"
#include "ps/sigfilter.h"
#include "ps/sync.h"

/* "gaiasim USAGE" of a command, for usage errors. */
static const char *full_usage(const struct cli_help *h)
{
	static char buf[512];
	snprintf(buf, sizeof buf, "gaiasim %s", h->usage);
	return buf;
}

/* ---- the configuration keys, for help, `gaiasim keys` and the man page ---- */

/* Print the keys beginning with prefix (NULL: all) as a table; returns how many. */
static int print_keys(FILE *out, const char *prefix, int tsv)
{
	const struct runcfg_keydoc *const *tables;
	size_t nt = run_key_tables(&tables);
	size_t np = prefix ? strlen(prefix) : 0;
	int n = 0;
	for (size_t t = 0; t < nt; t++)
		for (const struct runcfg_keydoc *d = tables[t]; d->name; d++) {
			if (np && strncmp(d->name, prefix, np))
				continue;
			if (tsv)
				fprintf(out, "%s\t%s\t%s\t%s\t%s\n", d->name, d->type, d->def, d->unit, d->meaning);
			else
				fprintf(out, "  %-26s %-22s %-10s %-8s %s\n", d->name, d->type,
				        *d->def ? d->def : "(none)", d->unit, d->meaning);
			n++;
		}
	return n;
}

static void keys_extra(FILE *out)
{
	fprintf(out, "\nconfiguration keys (`key = value` lines of CONFIG, or --set key=value;\n"
	        "docs/config-format.md):\n  %-26s %-22s %-10s %-8s %s\n", "KEY", "TYPE", "DEFAULT",
	        "UNIT", "MEANING");
	print_keys(out, NULL, 0);
}

void cmd_keys_man(FILE *out)
{
	const struct runcfg_keydoc *const *tables;
	size_t nt = run_key_tables(&tables);
	for (size_t t = 0; t < nt; t++)
		for (const struct runcfg_keydoc *d = tables[t]; d->name; d++) {
			fputs(".TP\n.B ", out);
			cli_roff(out, d->name);
			fputs("\n", out);
			cli_roff(out, d->type);
			fputs("; default ", out);
			cli_roff(out, *d->def ? d->def : "none");
			if (*d->unit) {
				fputs("; unit ", out);
				cli_roff(out, d->unit);
			}
			fputs(". ", out);
			cli_roff(out, d->meaning);
			fputc('\n', out);
		}
}

enum { OPT_DB = 256, OPT_LABEL, OPT_FORMAT, OPT_PROGRESS, OPT_SYNC, OPT_TSV, OPT_RESUME };

static const struct cli_opt run_opts[] = {
	{ "set", 's', "KEY=VALUE", "override a configuration key (any number; the last wins)" },
	{ "trace", 'T', "TRACE", "replay a bandwidth trace: a shipped name or a CSV file (as --set trace=...)" },
	{ "db", OPT_DB, "FILE", "store the run in this SQLite results database" },
	{ "label", OPT_LABEL, "TEXT", "runs.label of the stored run (default: the sync model)" },
	{ "quiet", 'q', NULL, "no progress reports on stderr" },
	{ "progress", OPT_PROGRESS, NULL, "progress reports on stderr even when it is not a terminal" },
	{ NULL, 0, NULL, NULL },
};

static const struct cli_opt compare_opts[] = {
	{ "sync", OPT_SYNC, "LIST", "models to compare, comma-separated; MODEL{key=value,...} is a variant" },
	{ "set", 's', "KEY=VALUE", "override a configuration key (any number; the last wins)" },
	{ "trace", 'T', "TRACE", "replay a bandwidth trace: a shipped name or a CSV file (as --set trace=...)" },
	{ "db", OPT_DB, "FILE", "store every run in this SQLite results database" },
	{ "format", OPT_FORMAT, "table|csv|json", "output format (default table)" },
	{ "label", OPT_LABEL, "PREFIX", "label the stored runs PREFIX/MODEL" },
	{ "resume", OPT_RESUME, NULL, "with --db: finish an interrupted comparison, skipping models whose run is complete" },
	{ "quiet", 'q', NULL, "no progress reports on stderr" },
	{ "progress", OPT_PROGRESS, NULL, "progress reports on stderr even when it is not a terminal" },
	{ NULL, 0, NULL, NULL },
};

const struct cli_help cmd_run_help = {
	.cmd = "run",
	.usage = "run CONFIG|NAME|- [--set KEY=VALUE ...] [-T TRACE] [--db FILE] [--label TEXT] [-q|--progress]",
	.about = "Train the config's workload under its sync model on the simulated WAN and print the\n"
	         "result. CONFIG is a file, `-` (standard input) or the NAME of a shipped example\n"
	         "(mf-ec2-11, ...; docs/install.md). The output starts with the config, topology,\n"
	         "trace and seed that ran. Progress goes to stderr when it is a terminal.",
	.opts = run_opts,
	.extra = keys_extra,
};

static void compare_extra(FILE *out)
{
	fprintf(out, "\nsync models: %s\n", sync_list());
	keys_extra(out);
}

const struct cli_help cmd_compare_help = {
	.cmd = "compare",
	.usage = "compare CONFIG|NAME|- --sync MODEL[,MODEL...] [--set KEY=VALUE ...] [-T TRACE]\n"
	         "                [--db FILE [--resume]] [--format table|csv|json] [--label PREFIX] [-q|--progress]",
	.about = "Train under several sync models on the same data, topology, trace and seed. Without\n"
	         "stop.target, the target is where the LAN reference made compare.target_fraction of\n"
	         "its progress; each model gets compare.clock_factor x stop.clocks clocks. A variant\n"
	         "gaia{threshold=0.05,slack=1} sets gaia.threshold and gaia.slack for that run only\n"
	         "(a key with a dot is taken whole). The table's first line and the CSV/JSON columns\n"
	         "name the config, topology, trace, seed and comparison id (runs.comparison_id).",
	.opts = compare_opts,
	.extra = compare_extra,
};

static const struct cli_opt keys_opts[] = {
	{ "tsv", OPT_TSV, NULL, "tab-separated: key, type, default, unit, meaning" },
	{ NULL, 0, NULL, NULL },
};

const struct cli_help cmd_keys_help = {
	.cmd = "keys",
	.usage = "keys [PREFIX] [--tsv]",
	.about = "List the configuration keys whose name begins with PREFIX (all without one): the\n"
	         "run's, each sync model's and each workload's, with type, default, unit and meaning.",
	.opts = keys_opts,
};

int cmd_keys(int argc, char **argv)
{
	struct cli_parser p;
	cli_parser_init(&p, &cmd_keys_help, argc, argv);
	int ch, tsv = 0;
	const char *arg;
	while ((ch = cli_next(&p, &arg)) != CLI_END) {
		if (ch == CLI_HELP)
			return 0;
		if (ch == CLI_ERROR)
			return 2;
		tsv = 1;
	}
	if (argc - optind > 1)
		return cmd_usage_error(full_usage(&cmd_keys_help), "keys: at most one PREFIX");
	const char *prefix = optind < argc ? argv[optind] : NULL;
	if (print_keys(stdout, prefix, tsv) == 0) {
		fprintf(stderr, "gaiasim keys: no key begins with '%s'\n", prefix);
		return 1;
	}
	return 0;
}

/* ---- run and compare ---- */

enum { FMT_TABLE, FMT_CSV, FMT_JSON };

/* Options shared by run and compare. */
struct cli {
	const char *config;     /* config file, name or "-" */
	char **sets;            /* --set assignments (and -T as trace=...) */
	int nsets;
	const char *db;         /* --db */
	const char *sync;       /* --sync list (compare) */
	const char *label;      /* --label: runs.label (run), its prefix PREFIX/MODEL (compare) */
	int format;             /* --format */
	int quiet;              /* -q */
	int progress;           /* --progress */
	int resume;             /* --resume (compare, with --db) */
	char *trace_set;        /* "trace=..." built from -T (freed) */
};

static void cli_free(struct cli *c)
{
	free(c->sets);
	free(c->trace_set);
}

static int parse_cli(int argc, char **argv, const struct cli_help *h, struct cli *c)
{
	memset(c, 0, sizeof *c);
	c->sets = xcalloc((size_t)argc + 1, sizeof *c->sets);
	struct cli_parser p;
	cli_parser_init(&p, h, argc, argv);
	int ch;
	const char *arg;
	while ((ch = cli_next(&p, &arg)) != CLI_END) {
		switch (ch) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case 's': c->sets[c->nsets++] = (char *)arg; break;
		case 'T':
			free(c->trace_set);
			c->trace_set = xasprintf("trace=%s", arg);
			break;
		case OPT_DB:
			if (!cmd_db_path_ok(arg))
				return cmd_usage_error(full_usage(h), "--db '%s': %s", arg, CMD_DB_PATH_RULE);
			c->db = arg;
			break;
		case OPT_SYNC: c->sync = arg; break;
		case OPT_FORMAT:
			if (!strcmp(arg, "csv"))
				c->format = FMT_CSV;
			else if (!strcmp(arg, "json"))
				c->format = FMT_JSON;
			else if (strcmp(arg, "table"))
				return cmd_usage_error(full_usage(h), "compare: --format must be table, csv or json, "
				                       "not '%s'", arg);
			break;
		case OPT_LABEL:
			if (!*arg || strlen(arg) > 200)
				return cmd_usage_error(full_usage(h), "%s: --label wants 1 to 200 bytes", argv[0]);
			c->label = arg;
			break;
		case 'q': c->quiet = 1; break;
		case OPT_PROGRESS: c->progress = 1; break;
		case OPT_RESUME: c->resume = 1; break;
		}
	}
	/* -T applies after the --set options, as the last override of `trace`. */
	if (c->trace_set)
		c->sets[c->nsets++] = c->trace_set;
	if (optind >= argc)
		return cmd_usage_error(full_usage(h), "%s: missing CONFIG file", argv[0]);
	c->config = argv[optind++];
	if (optind < argc)
		return cmd_usage_error(full_usage(h), "%s: unexpected argument '%s'", argv[0], argv[optind]);
	if (h == &cmd_compare_help && !c->sync)
		return cmd_usage_error(full_usage(h), "compare: --sync MODEL[,MODEL...] is required");
	if (c->resume && !c->db)
		return cmd_usage_error(full_usage(h), "compare: --resume needs --db FILE");
	return -1; /* go on */
}

/* Progress on stderr: asked for, or stderr is a terminal; never with -q. */
static int want_progress(const struct cli *c)
{
	return !c->quiet && (c->progress || isatty(STDERR_FILENO));
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

/*
 * The config file: "-" (standard input), a path (holds '/', ends in .conf or exists), or the
 * NAME of a shipped example, found as NAME.conf like topologies are (lib/datadir.h,
 * $GAIASIM_CONFDIR). Allocated; NULL with a message.
 */
static char *config_path(const char *arg)
{
	size_t n = strlen(arg);
	if (!strcmp(arg, "-") || strchr(arg, '/') || (n >= 5 && !strcmp(arg + n - 5, ".conf")) ||
	    access(arg, F_OK) == 0)
		return xstrdup(arg);
	char searched[2048];
	char *p = datadir_find("GAIASIM_CONFDIR", "workloads", "workloads", arg, ".conf", searched,
	                       sizeof searched);
	if (!p)
		diag_error("unknown configuration '%s': no %s.conf in %s (a file path must contain '/' "
		           "or end in .conf)", arg, arg, searched);
	return p;
}

static struct runcfg *load_config(const struct cli *c)
{
	if (check_db(c->db) < 0)
		return NULL;
	char *path = config_path(c->config);
	if (!path)
		return NULL;
	struct runcfg *cfg = runcfg_load(path);
	free(path);
	if (!cfg)
		return NULL;
	/* Every key read must be documented (lib/runcfg.h): the help cannot drift. */
	const struct runcfg_keydoc *const *tables;
	size_t nt = run_key_tables(&tables);
	runcfg_set_docs(cfg, tables, nt);
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

static void print_result(const char *config, const struct run_result *r)
{
	char pw[32], fs[32], b1[32];
	fmt_share(pw, sizeof pw, r->share_pushed_wan, "-");
	fmt_share(fs, sizeof fs, r->share_filter_sent, "-");
	fmt_share(b1, sizeof b1, r->share_below_1pct, "-");
	printf("config                %s\n", config);
	printf("topology              %s\n", r->topology);
	printf("trace                 %s\n", *r->trace ? r->trace : "none");
	printf("seed                  %lld\n", (long long)r->seed);
	printf("sync                  %s\n", r->sync);
	printf("status                %s\n", run_status_name(r->status));
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
	printf("share_below_levels   ");
	for (int l = 0; l < SIG_NLEVELS; l++) {
		char v[32];
		fmt_share(v, sizeof v, r->share_below[l], "-");
		printf(" <%g%%:%s", 100 * sigfilter_levels[l], v);
	}
	putchar('\n');
	printf("cost_machine_usd      %.6f\n", r->cost_machine_usd);
	printf("cost_transfer_usd     %.6f\n", r->cost_transfer_usd);
	printf("cost_total_usd        %.6f\n", r->cost_machine_usd + r->cost_transfer_usd);
}

int cmd_run(int argc, char **argv)
{
	struct cli c;
	int rc = parse_cli(argc, argv, &cmd_run_help, &c);
	if (rc >= 0) {
		cli_free(&c);
		return rc;
	}
	struct runcfg *cfg = load_config(&c);
	int status = 1;
	if (cfg) {
		struct run_opts o = { .db = c.db, .kind = "run", .label = c.label,
		                      .progress = want_progress(&c), .target = NAN };
		struct run_result r;
		if (run_model(cfg, NULL, &o, &r) == 0) {
			print_result(c.config, &r);
			status = run_status_failed(r.status);
		}
		runcfg_free(cfg);
	}
	cli_free(&c);
	return status;
}

/* ---- compare ---- */

#define MAX_MODELS 16
#define VARIANT_MAX 256 /* bytes of one --sync entry */

/* One entry of the --sync list: a model spec and its per-variant key overrides. */
struct variant {
	char text[VARIANT_MAX];  /* as given, e.g. "gaia{threshold=0.05}": its label */
	char spec[64];           /* the model spec, e.g. "gaia", "ssp:3" */
	char *sets[16];          /* overrides "gaia.threshold=0.05" (allocated) */
	int nsets;
};

static void variants_free(struct variant *v, int n)
{
	for (int i = 0; i < n; i++)
		for (int k = 0; k < v[i].nsets; k++)
			free(v[i].sets[k]);
}

/* Parse "k=v,k=v" of a variant into overrides; a key without a dot is the model's (NAME.k). */
static int parse_overrides(struct variant *v, const char *body, size_t len)
{
	char buf[VARIANT_MAX];
	memcpy(buf, body, len);
	buf[len] = '\0';
	char model[64];
	snprintf(model, sizeof model, "%s", v->spec);
	char *colon = strchr(model, ':');
	if (colon)
		*colon = '\0';
	for (char *tok = buf, *next; tok; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		if (!strchr(tok, '=') || tok[0] == '=' || v->nsets == 16)
			return -1;
		v->sets[v->nsets++] = strchr(tok, '.') && strchr(tok, '.') < strchr(tok, '=')
		                      ? xstrdup(tok) : xasprintf("%s.%s", model, tok);
	}
	return 0;
}

/* Split the --sync list at commas outside braces; returns the count or -1. */
static int split_models(const char *list, struct variant *out, int max)
{
	int n = 0;
	const char *p = list;
	while (*p) {
		const char *e = p;
		int depth = 0;
		while (*e && (depth || *e != ',')) {
			depth += (*e == '{') - (*e == '}');
			if (depth < 0)
				return -1;
			e++;
		}
		size_t len = (size_t)(e - p);
		if (depth || len == 0 || len >= VARIANT_MAX || n == max)
			return -1;
		struct variant *v = &out[n++];
		memset(v, 0, sizeof *v);
		memcpy(v->text, p, len);
		const char *brace = memchr(p, '{', len);
		size_t speclen = brace ? (size_t)(brace - p) : len;
		if (speclen == 0 || speclen >= sizeof v->spec)
			return -1;
		memcpy(v->spec, p, speclen);
		if (brace && (p[len - 1] != '}' || len - speclen < 3 ||
		              parse_overrides(v, brace + 1, len - speclen - 2) < 0))
			return -1;
		if (!*e)
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

/* A JSON string (the texts here are names, specs and paths: quotes, backslashes, controls). */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* A JSON number, or null for NAN. */
static void json_num(const char *fmt, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", stdout);
	else
		printf(fmt, v);
}

/* What the output names besides the runs. */
struct cmp_head {
	const char *config;     /* as given */
	int64_t cid;            /* comparison id (comparisons.comparison_id; 0: not stored) */
	double target;          /* common target */
	int target_on_test;     /* target on the held-out metric */
	double t_lan;           /* LAN reference's time to target (NAN: none ran) */
};

static void print_json(const struct run_result *res, const struct variant *v, int n,
                       const struct cmp_head *h, double t_bsp)
{
	const char *tm = n > 0 ? res[0].test_metric_name : NULL;
	printf("{\n  \"comparison_id\": ");
	if (h->cid > 0)
		printf("%lld", (long long)h->cid);
	else
		fputs("null", stdout);
	printf(",\n  \"config\": ");
	json_str(h->config);
	printf(",\n  \"topology\": ");
	json_str(n ? res[0].topology : "");
	printf(",\n  \"trace\": ");
	if (n && *res[0].trace)
		json_str(res[0].trace);
	else
		fputs("null", stdout);
	printf(",\n  \"seed\": %lld,\n  \"target\": ", n ? (long long)res[0].seed : 0LL);
	json_num("%.17g", h->target);
	printf(",\n  \"target_on\": \"%s\",\n  \"runs\": [\n", h->target_on_test ? "test" : "objective");
	for (int i = 0; i < n; i++) {
		const struct run_result *r = &res[i];
		printf("    {\"sync\": ");
		json_str(v[i].text);
		printf(", \"model\": ");
		json_str(r->sync);
		printf(", \"time_to_target_s\": ");
		json_num("%.9g", r->time_to_target_s);
		printf(", \"speedup_vs_bsp\": ");
		json_num("%.6g", t_bsp / r->time_to_target_s);
		printf(", \"ratio_to_lan\": ");
		json_num("%.6g", h->t_lan > 0 ? r->time_to_target_s / h->t_lan : NAN);
		printf(", \"wan_bytes\": %.0f, \"share_pushed_wan\": ", r->wan_bytes);
		json_num("%.6g", r->share_pushed_wan);
		printf(", \"share_filter_sent\": ");
		json_num("%.6g", r->share_filter_sent);
		printf(", \"share_below_1pct\": ");
		json_num("%.6g", r->share_below_1pct);
		printf(", \"cost_usd\": %.9g, \"final_objective\": %.9g, \"clocks\": %lld,"
		       " \"status\": \"%s\"", r->cost_machine_usd + r->cost_transfer_usd,
		       r->final_objective, (long long)r->clocks, run_status_name(r->status));
		if (tm) {
			printf(", ");
			json_str(tm);
			printf(": ");
			json_num("%.9g", r->final_test_metric);
		}
		printf("}%s\n", i + 1 < n ? "," : "");
	}
	printf("  ]\n}\n");
}

/* After the table: the paper's significance distribution, the share of single-clock updates
 * below each level of |update / value|, per model (docs/sync-models.md, "What the shares count"). */
static void print_significance(const struct run_result *res, const struct variant *v, int n)
{
	printf("\nsignificance: share of single-clock updates with |update/value| below each level\n");
	printf("%-10s", "sync");
	for (int l = 0; l < SIG_NLEVELS; l++) {
		char lv[32];
		snprintf(lv, sizeof lv, "<%g%%", 100 * sigfilter_levels[l]);
		printf(" %8s", lv);
	}
	putchar('\n');
	for (int i = 0; i < n; i++) {
		printf("%-10s", v[i].text);
		for (int l = 0; l < SIG_NLEVELS; l++) {
			char b[32];
			fmt_share(b, sizeof b, res[i].share_below[l], "-");
			printf(" %8s", b);
		}
		putchar('\n');
	}
}

static void print_table(const struct run_result *res, const struct variant *v, int n, int format,
                        const struct cmp_head *h)
{
	double t_bsp = NAN;
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i].text, "bsp"))
			t_bsp = res[i].time_to_target_s;
	if (format == FMT_JSON) {
		print_json(res, v, n, h, t_bsp);
		return;
	}
	/* The held-out metric's column, only when the workload has one. */
	const char *tm = n > 0 ? res[0].test_metric_name : NULL;
	const char *trace = n && *res[0].trace ? res[0].trace : "none";
	if (format == FMT_CSV)
		printf("sync,time_to_target_s,speedup_vs_bsp,ratio_to_lan,wan_bytes,"
		       "share_pushed_wan,share_filter_sent,share_below_1pct,cost_usd,final_objective,"
		       "clocks%s%s,status,target,topology,trace,seed,comparison_id\n", tm ? "," : "",
		       tm ? tm : "");
	else
		printf("# config %s  topology %s  trace %s  seed %lld  comparison %lld\n"
		       "target %s %.6f\n%-10s %16s %14s %12s %14s %16s %17s %16s %12s %15s %8s%*s %s\n",
		       h->config, n ? res[0].topology : "", trace, n ? (long long)res[0].seed : 0LL,
		       (long long)h->cid, h->target_on_test ? tm : "objective", h->target, "sync",
		       "time_to_target_s", "speedup_vs_bsp", "ratio_to_lan", "wan_bytes",
		       "share_pushed_wan", "share_filter_sent", "share_below_1pct", "cost_usd",
		       "final_objective", "clocks", tm ? 16 : 0, tm ? tm : "", "status");
	for (int i = 0; i < n; i++) {
		const struct run_result *r = &res[i];
		char t[32], sp[32], rl[32], pw[32], fs[32], b1[32];
		fmt_share(pw, sizeof pw, r->share_pushed_wan, format == FMT_CSV ? "" : "-");
		fmt_share(fs, sizeof fs, r->share_filter_sent, format == FMT_CSV ? "" : "-");
		fmt_share(b1, sizeof b1, r->share_below_1pct, format == FMT_CSV ? "" : "-");
		fmt_time(t, sizeof t, r->time_to_target_s);
		fmt_ratio(sp, sizeof sp, t_bsp, r->time_to_target_s);
		fmt_ratio(rl, sizeof rl, r->time_to_target_s, h->t_lan);
		double cost = r->cost_machine_usd + r->cost_transfer_usd;
		if (format == FMT_CSV) {
			/* a variant's label holds commas: quoted as RFC 4180 asks */
			int q = strchr(v[i].text, ',') != NULL;
			printf("%s%s%s,%s,%s,%s,%.0f,%s,%s,%s,%.6f,%.6f,%lld", q ? "\"" : "", v[i].text,
			       q ? "\"" : "", isnan(r->time_to_target_s) ? "" : t, strcmp(sp, "-") ? sp : "",
			       strcmp(rl, "-") ? rl : "", r->wan_bytes, pw, fs, b1, cost,
			       r->final_objective, (long long)r->clocks);
			if (tm)
				printf(",%.6f", r->final_test_metric);
			printf(",%s,%.9g,%s,%s,%lld,", run_status_name(r->status), h->target, r->topology,
			       *r->trace ? r->trace : "", (long long)r->seed);
			if (h->cid > 0)
				printf("%lld", (long long)h->cid);
			putchar('\n');
		} else {
			printf("%-10s %16s %14s %12s %14.0f %16s %17s %16s %12.4f %15.6f %8lld", v[i].text,
			       t, sp, rl, r->wan_bytes, pw, fs, b1, cost, r->final_objective,
			       (long long)r->clocks);
			if (tm)
				printf(" %15.6f", r->final_test_metric);
			printf(" %s\n", run_status_name(r->status));
		}
	}
	if (format != FMT_CSV)
		print_significance(res, v, n);
}

/*
 * The configuration of one model's run: the compare's config without compare.* keys, with
 * sync, the variant's overrides, the common target and the clock budget set, so that the
 * stored config_text is a `gaiasim run` config that runs again to the same result.
 */
static struct runcfg *model_config(const struct runcfg *cfg, const struct variant *v,
                                   double target, int64_t max_clocks)
{
	struct runcfg *m = runcfg_copy(cfg, "compare.");
	char *a = xasprintf("sync=%s", v->spec);
	char *b = xasprintf("stop.target=%.17g", target);
	char *c = xasprintf("stop.clocks=%lld", (long long)max_clocks);
	int rc = runcfg_set(m, a) | runcfg_set(m, b) | runcfg_set(m, c);
	for (int k = 0; k < v->nsets && rc == 0; k++)
		rc = runcfg_set(m, v->sets[k]);
	free(a), free(b), free(c);
	if (rc) {
		runcfg_free(m);
		return NULL;
	}
	return m;
}

/* Time at which a trajectory first reached the target (NAN: never). */
static double traj_time_to(const double *obj, const double *tm, size_t n, double target,
                           int higher_better)
{
	for (size_t i = 0; i < n; i++)
		if (higher_better ? obj[i] >= target : obj[i] <= target)
			return tm[i];
	return NAN;
}

int cmd_compare(int argc, char **argv)
{
	struct cli c;
	int rc = parse_cli(argc, argv, &cmd_compare_help, &c);
	if (rc >= 0) {
		cli_free(&c);
		return rc;
	}
	static struct variant models[MAX_MODELS];
	int n = split_models(c.sync, models, MAX_MODELS);
	if (n <= 0) {
		cli_free(&c);
		return cmd_usage_error(full_usage(&cmd_compare_help), "compare: bad --sync list '%s' (want "
		                       "MODEL[{key=value,...}][,...], at most %d)", c.sync, MAX_MODELS);
	}
	struct runcfg *cfg = load_config(&c);
	if (!cfg) {
		variants_free(models, n);
		cli_free(&c);
		return 1;
	}
	int status = 1, progress = want_progress(&c);
	struct run_result res[MAX_MODELS];
	double frac, target = NAN;
	int64_t factor, clocks;
	struct cmp_head head = { .config = c.config, .t_lan = NAN };
	struct compare_db cdb = { 0 };
	if (runcfg_double(cfg, "compare.target_fraction", 0.95, 0.01, 1, &frac) < 0 ||
	    runcfg_int(cfg, "compare.clock_factor", 4, 1, 1000, &factor) < 0 ||
	    runcfg_int(cfg, "stop.clocks", 100, 1, 100000000, &clocks) < 0 ||
	    (runcfg_has(cfg, "stop.target") &&
	     runcfg_double(cfg, "stop.target", NAN, -1e300, 1e300, &target) < 0))
		goto done;
	/* stop.target_on = test: the target (given or derived) is on the held-out metric; the
	 * run validates the value. Read only when given (see run.c). */
	if (runcfg_has(cfg, "stop.target_on")) {
		const char *on;
		if (runcfg_string(cfg, "stop.target_on", "objective", &on) < 0)
			goto done;
		head.target_on_test = !strcmp(on, "test");
	}
	/* With --db the comparison is recorded (comparisons table); --resume takes the target of
	 * the interrupted one. */
	if (compare_db_open(&cdb, c.db, c.resume, c.sync, cfg, &target) < 0)
		goto done;
	if (!runcfg_has(cfg, "stop.target")) {
		/* Target from the LAN reference (on --resume the stored target is kept; the reference
		 * still runs, for ratio_to_lan): the objective at which it has made `frac` of the
		 * progress it makes in stop.clocks clocks (docs/sync-models.md). */
		double *obj = NULL, *tm = NULL;
		int64_t *ck = NULL;
		size_t tn = 0;
		struct run_opts o = { .progress = progress, .label = "lan (target)", .target = NAN,
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
		if (isnan(target))
			target = obj[tn - 1] + (1 - frac) * (obj[0] - obj[tn - 1]);
		/* The LAN reference ran: its time to the target gives ratio_to_lan even when lan is
		 * not in the list (the same evaluations as a lan run with this target). */
		head.t_lan = traj_time_to(obj, tm, tn, target, head.target_on_test && obj[0] < obj[tn - 1]);
		free(obj), free(tm), free(ck);
	}
	head.target = target;
	if (compare_db_begin(&cdb, c.sync, target) < 0)
		goto done;
	head.cid = cdb.id > 0 ? cdb.id : 0;
	status = 0;
	for (int i = 0; i < n; i++) {
		if (compare_db_done(&cdb, models[i].text, &res[i])) {
			if (!strcmp(models[i].text, "lan"))
				head.t_lan = res[i].time_to_target_s;
			continue;
		}
		char *label = c.label ? xasprintf("%s/%s", c.label, models[i].text)
		              : models[i].nsets ? xstrdup(models[i].text) : NULL;
		struct runcfg *mc = model_config(cfg, &models[i], target, clocks * factor);
		struct run_opts o = { .db = c.db, .kind = "compare", .label = label,
		                      .comparison_id = cdb.id, .progress = progress, .target = NAN };
		int rr = mc ? run_model(mc, NULL, &o, &res[i]) : -1;
		runcfg_free(mc);
		free(label);
		if (rr < 0) {
			status = 1;
			goto done;
		}
		status |= run_status_failed(res[i].status);
		if (!strcmp(models[i].text, "lan"))
			head.t_lan = res[i].time_to_target_s;
	}
	print_table(res, models, n, c.format, &head);
	compare_db_close(&cdb, "complete");
	variants_free(models, n);
	runcfg_free(cfg);
	cli_free(&c);
	return status;
done:
	compare_db_close(&cdb, "failed");
	status = 1;
	variants_free(models, n);
	runcfg_free(cfg);
	cli_free(&c);
	return status;
}
