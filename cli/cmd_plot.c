/*
 * gaiasim plot: paper figures from a results database, drawn by gnuplot.
 *
 * Every number plotted comes from one SQL view of results/schema.sql (plot_*), or from the
 * topology and trace files a run names (checked against the SHA-256 the run recorded). For
 * each figure the command runs its query, writes the rows to tab-separated data files in a
 * temporary folder, writes the figure's variables (file names, labels, sizes) to a small
 * gnuplot file and runs gnuplot on that and on the figure's script plot/NAME.gp. Scripts are
 * found like topologies: $GAIASIM_PLOTDIR, the source tree's plot/, the installed data dir.
 * The figures are a table (struct figure); a new one is a script, a view and one entry.
 * docs/plots.md documents each figure.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "lib/datadir.h"
#include "lib/diag.h"
#include "lib/xmalloc.h"
#include "results/store.h"
#include "topology/topology.h"
#include "topology/trace.h"

#define GNUPLOT_PACKAGE "gnuplot-nox"  /* Debian package that provides gnuplot */
#define PLOT_MAX_RUNS 256              /* most --run options */
#define PLOT_MAX_SERIES 64             /* most lines / bars in one figure */

#define PLOT_USAGE "plot DB [--out DIR] [--format png|pdf|svg] [--run ID ...] [--only FIGURE] [--list]"
static const char USAGE[] = "gaiasim " PLOT_USAGE;

static const struct cli_opt plot_opts[] = {
	{ "out", 'o', "DIR", "folder the figures are written to (default .)" },
	{ "format", 'f', "png|pdf|svg", "figure format (default png)" },
	{ "run", 'r', "ID", "draw only these runs (any number)" },
	{ "only", 256, "FIGURE", "draw only this figure (see --list)" },
	{ "list", 'l', NULL, "list the figures and exit" },
	{ NULL, 0, NULL, NULL },
};

static void plot_figures_help(FILE *out);

const struct cli_help cmd_plot_help = {
	.cmd = "plot",
	.usage = PLOT_USAGE,
	.about = "Draw the paper's figures from a results database with gnuplot (docs/plots.md).",
	.opts = plot_opts,
	.extra = plot_figures_help,
};

/* One invocation: the database, the selection and where things go. */
struct plot_ctx {
	sqlite3 *db;              /* the results database, opened without writing */
	const char *dbpath;       /* its path, for messages */
	const char *outdir;       /* folder the figures are written to */
	const char *format;       /* "png", "pdf" or "svg" */
	char runs_sql[4096];      /* SQL condition selecting the runs (--run), e.g. "run_id IN (1,2)" */
	char *tmpdir;             /* temporary folder for data files */
	const char *gpdir;        /* folder holding the gnuplot scripts */
	int ntmp;                 /* data files written so far (names tmpdir/dN.dat) */
	int made;                 /* figure files written */
	int has_test_metric;      /* clocks has a test_metric column */
	int has_threshold;        /* filter_updates has a threshold column */
	int has_significance;     /* the significance table exists (schema 3 and later) */
};

/* Result of one figure's maker. */
enum { FIG_MADE = 0, FIG_NO_DATA = 1, FIG_ERROR = -1 };

struct figure {
	const char *name;         /* figure name (output files start with it) */
	const char *view;         /* the view(s) it reads */
	const char *what;         /* one line: what it shows */
	int (*make)(struct plot_ctx *c, const struct figure *f); /* NULL: not available yet */
	const char *unavailable;  /* why it is not available (make == NULL) */
};

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                                */

/* Message for a figure lacking data; returns FIG_NO_DATA. */
static int no_data(const struct figure *f, const char *what)
{
	fprintf(stderr, "gaiasim plot: figure '%s' not made: %s (view %s)\n", f->name, what, f->view);
	return FIG_NO_DATA;
}

/* A file-name-safe copy of s: letters, digits, '.', '-' kept, everything else '_'. */
static char *safe_name(const char *s)
{
	char *o = xstrdup(s && *s ? s : "none");
	for (char *p = o; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '-'))
			*p = '_';
	return o;
}

/* s as a gnuplot double-quoted string (backslash escapes; a newline breaks the line). */
static void gp_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		if (*s == '\n')
			fputs("\\n", out);
		else {
			if (*s == '"' || *s == '\\')
				fputc('\\', out);
			fputc(*s, out);
		}
	}
	fputc('"', out);
}

/* Write `name = 'value'` to a variables file. */
static void gp_var_s(FILE *out, const char *name, const char *value)
{
	fprintf(out, "%s = ", name);
	gp_string(out, value);
	fputc('\n', out);
}

/* Write `array NAME[n] = ['a', 'b', ...]` (gnuplot arrays are 1-based). */
static void gp_array(FILE *out, const char *name, char **v, int n)
{
	fprintf(out, "array %s[%d] = [", name, n > 0 ? n : 1);
	for (int i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		gp_string(out, v[i]);
	}
	if (n == 0)
		fputs("''", out);
	fputs("]\n", out);
}

/* A new data file name in the temporary folder (caller frees). */
static char *tmp_file(struct plot_ctx *c, const char *ext)
{
	return xasprintf("%s/d%d.%s", c->tmpdir, c->ntmp++, ext);
}

static FILE *open_w(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		diag_error("cannot write '%s': %s", path, strerror(errno));
	return f;
}

static int close_w(FILE *f, const char *path)
{
	if (ferror(f) | fclose(f))
		return diag_error("error writing '%s'", path);
	return 0;
}

/* sqlite3_mprintf (%Q quotes a string for SQL) into a string the caller frees with free(). */
static char *sql_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *q = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (!q) {
		fprintf(stderr, "gaiasim: out of memory\n");
		abort();
	}
	char *s = xstrdup(q);
	sqlite3_free(q);
	return s;
}

static sqlite3_stmt *prep(struct plot_ctx *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		diag_error("%s: query failed: %s", c->dbpath, sqlite3_errmsg(c->db));
		return NULL;
	}
	return st;
}

/* Write one column value for gnuplot: numbers as %.10g, NULL as NaN, text as is. */
static void put_value(FILE *out, sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		fputs("NaN", out);
		break;
	case SQLITE_INTEGER:
		fprintf(out, "%lld", (long long)sqlite3_column_int64(st, i));
		break;
	case SQLITE_FLOAT:
		fprintf(out, "%.10g", sqlite3_column_double(st, i));
		break;
	default:
		fputs((const char *)sqlite3_column_text(st, i), out);
	}
}

/*
 * Run sql and append its rows to out, tab-separated, one row per line; returns the row count,
 * or -1. Every column after the first `skip` is written.
 */
static int dump_rows(struct plot_ctx *c, FILE *out, const char *sql)
{
	sqlite3_stmt *st = prep(c, sql);
	if (!st)
		return -1;
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			if (i)
				fputc('\t', out);
			put_value(out, st, i);
		}
		fputc('\n', out);
		n++;
	}
	if (rc != SQLITE_DONE)
		n = diag_error("%s: query failed: %s", c->dbpath, sqlite3_errmsg(c->db));
	sqlite3_finalize(st);
	return n;
}

/* A list of strings from a one-column query (caller frees with free_list). */
struct strlist {
	char **v;                 /* the strings */
	int n;                    /* how many */
};

static void free_list(struct strlist *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void list_add(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, (size_t)(l->n + 1) * sizeof *l->v);
	l->v[l->n++] = xstrdup(s ? s : "");
}

static int query_list(struct plot_ctx *c, const char *sql, struct strlist *l)
{
	sqlite3_stmt *st = prep(c, sql);
	if (!st)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		list_add(l, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return diag_error("%s: query failed: %s", c->dbpath, sqlite3_errmsg(c->db));
	return l->n;
}

/* First column of a one-row query as a double; NAN when NULL or no row. */
static double query_double(struct plot_ctx *c, const char *sql)
{
	sqlite3_stmt *st = prep(c, sql);
	double v = NAN;
	if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The value of `key = value` in a run's config_text (caller frees), or NULL. */
static char *config_value(struct plot_ctx *c, int64_t run, const char *key)
{
	char *sql = xasprintf("SELECT config_text FROM runs WHERE run_id = %lld", (long long)run);
	struct strlist l = { 0 };
	query_list(c, sql, &l);
	free(sql);
	char *val = NULL;
	size_t klen = strlen(key);
	for (const char *p = l.n ? l.v[0] : ""; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, klen) || (p[klen] != ' ' && p[klen] != '='))
			continue;
		const char *v = strchr(p, '=');
		if (!v)
			continue;
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		size_t n = strcspn(v, "\n");
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		val = xmalloc(n + 1);
		memcpy(val, v, n);
		val[n] = 0;
		break;
	}
	free_list(&l);
	if (val && !*val) {
		free(val);
		val = NULL;
	}
	return val;
}

/* ------------------------------------------------------------------------------------------ */
/* Running gnuplot                                                                              */

/* Path of an executable `gnuplot` on PATH (caller frees), or NULL. */
static char *find_gnuplot(void)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		return NULL;
	char *copy = xstrdup(path), *save = NULL, *found = NULL;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/gnuplot", *d ? d : ".");
		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

/*
 * Start a variables file for script `script` writing output `stem`.FORMAT: sets gpdir, fmt,
 * outfile. Returns the open file (its path in *vars_path) or NULL.
 */
static FILE *vars_begin(struct plot_ctx *c, const char *stem, char **vars_path, char **outfile)
{
	*vars_path = tmp_file(c, "gp");
	FILE *v = open_w(*vars_path);
	if (!v)
		return NULL;
	char *safe = safe_name(stem);
	*outfile = xasprintf("%s/%s.%s", c->outdir, safe, c->format);
	free(safe);
	gp_var_s(v, "gpdir", c->gpdir);
	gp_var_s(v, "fmt", c->format);
	gp_var_s(v, "outfile", *outfile);
	return v;
}

/* Close the variables file and run gnuplot on it and plot/SCRIPT.gp. 0 or -1. */
static int run_gnuplot(struct plot_ctx *c, FILE *vars, char *vars_path, char *outfile,
                       const char *script)
{
	int rc = close_w(vars, vars_path);
	char *load = xasprintf("load '%s'", vars_path);
	char *gp = xasprintf("%s/%s.gp", c->gpdir, script);
	if (rc == 0) {
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			execlp("gnuplot", "gnuplot", "-e", load, gp, (char *)NULL);
			fprintf(stderr, "gaiasim plot: cannot run gnuplot: %s (install the Debian package %s)\n",
			        strerror(errno), GNUPLOT_PACKAGE);
			_exit(127);
		}
		int status = 0;
		if (pid < 0 || waitpid(pid, &status, 0) < 0)
			rc = diag_error("cannot run gnuplot: %s", strerror(errno));
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			rc = diag_error("gnuplot failed on %s for '%s'", gp, outfile);
			unlink(outfile);
		}
		else {
			struct stat sb;
			if (stat(outfile, &sb) < 0 || sb.st_size == 0)
				rc = diag_error("gnuplot wrote no figure to '%s'", outfile);
		}
	}
	if (rc == 0) {
		printf("wrote %s\n", outfile);
		c->made++;
	}
	free(load);
	free(gp);
	free(vars_path);
	free(outfile);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Inputs named by a run: topology and trace files                                            */

/* A run's identity, from plot_runs. */
struct run_row {
	int64_t run_id;           /* runs.run_id */
	char *label;              /* label (sync model or kind when unlabelled) */
	char *kind;               /* runs.kind */
	char *topo_name;          /* topology name */
	char *topo_sha;           /* recorded topology SHA-256 */
	char *trace_name;         /* trace name or NULL */
	char *trace_sha;          /* recorded trace SHA-256 or NULL */
	double sim_end_s;         /* simulated end, s */
	int training;             /* 1: the run has a summary row */
};

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}

static void free_runs(struct run_row *r, int n)
{
	for (int i = 0; i < n; i++) {
		free(r[i].label);
		free(r[i].kind);
		free(r[i].topo_name);
		free(r[i].topo_sha);
		free(r[i].trace_name);
		free(r[i].trace_sha);
	}
	free(r);
}

/* The selected runs matching `cond` (SQL on plot_runs), in run_id order. Count, or -1. */
static int load_runs_ordered(struct plot_ctx *c, const char *cond, const char *order,
                             struct run_row **out)
{
	char *sql = xasprintf("SELECT run_id, label, kind, topology_name, topology_sha256, trace_name, "
	                      "trace_sha256, sim_end_s, sync_model IS NOT NULL FROM plot_runs "
	                      "WHERE %s AND %s ORDER BY %s", c->runs_sql, cond, order);
	sqlite3_stmt *st = prep(c, sql);
	free(sql);
	*out = NULL;
	if (!st)
		return -1;
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		*out = xrealloc(*out, (size_t)(n + 1) * sizeof **out);
		struct run_row *r = &(*out)[n++];
		r->run_id = sqlite3_column_int64(st, 0);
		r->label = col_dup(st, 1);
		r->kind = col_dup(st, 2);
		r->topo_name = col_dup(st, 3);
		r->topo_sha = col_dup(st, 4);
		r->trace_name = col_dup(st, 5);
		r->trace_sha = col_dup(st, 6);
		r->sim_end_s = sqlite3_column_double(st, 7);
		r->training = sqlite3_column_int(st, 8);
	}
	sqlite3_finalize(st);
	return n;
}

static int load_runs(struct plot_ctx *c, const char *cond, struct run_row **out)
{
	return load_runs_ordered(c, cond, "run_id", out);
}

/*
 * runs[i]'s label; when another of the n runs has the same label, followed (after sep) by the
 * topology name if that tells them apart, else by the topology and "(run N)".
 */
static char *run_label(const struct run_row *runs, int n, int i, const char *sep)
{
	int dup = 0, duptopo = 0;
	for (int k = 0; k < n; k++) {
		int same = k != i && !strcmp(runs[k].label, runs[i].label);
		dup |= same;
		duptopo |= same && !strcmp(runs[k].topo_name, runs[i].topo_name);
	}
	if (!dup)
		return xstrdup(runs[i].label);
	if (!duptopo)
		return xasprintf("%s%s%s", runs[i].label, sep, runs[i].topo_name);
	return xasprintf("%s%s%s (run %lld)", runs[i].label, sep, runs[i].topo_name, (long long)runs[i].run_id);
}

static int is_file(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/*
 * The topology of run r: the file the run's configuration named, if it still exists, else the
 * shipped topology of that name (topology_load). Says so when the file's SHA-256 differs from
 * the one the run recorded. NULL with a message when none can be loaded.
 */
static struct topology *run_topology(struct plot_ctx *c, const struct run_row *r)
{
	char *file = config_value(c, r->run_id, "topology_file");
	if (!file)
		file = config_value(c, r->run_id, "topology");
	struct topology *t = NULL;
	if (file && (!strchr(file, '/') || is_file(file)))
		t = topology_load(file);
	if (!t)
		t = topology_load(r->topo_name);
	free(file);
	if (!t)
		return NULL;
	if (strcmp(t->sha256, r->topo_sha))
		fprintf(stderr,
		        "gaiasim plot: warning: topology file %s has SHA-256 %.12s..., but run %lld recorded "
		        "%.12s... for topology '%s': the file changed since the run; the figures show the file "
		        "as it is now\n",
		        t->path, t->sha256, (long long)r->run_id, r->topo_sha, r->topo_name);
	return t;
}

/* The trace of run r, loaded like its topology (config path, else by name), or NULL. */
static struct trace *run_trace(struct plot_ctx *c, const struct run_row *r, const struct topology *t)
{
	char *file = config_value(c, r->run_id, "trace");
	struct trace *tr = NULL;
	if (file && is_file(file))
		tr = trace_load(file, t);
	free(file);
	if (!tr) {
		/* By name, as topologies are found (lib/datadir.h); the loader names the folders. */
		tr = trace_load(r->trace_name, t);
		if (!tr) {
			diag_error("run %lld: cannot find trace '%s' (neither the run's `trace` path nor "
			           "the shipped trace of that name)", (long long)r->run_id, r->trace_name);
			return NULL;
		}
	}
	if (strcmp(tr->sha256, r->trace_sha))
		fprintf(stderr,
		        "gaiasim plot: warning: trace file %s has SHA-256 %.12s..., but run %lld recorded "
		        "%.12s... for trace '%s': the file changed since the run; the figure shows the file "
		        "as it is now\n",
		        tr->path, tr->sha256, (long long)r->run_id, r->trace_sha, r->trace_name);
	return tr;
}

/* Region tics `("a" 0, "b" 1, ...)` for a heat map (caller frees). */
static char *region_tics(char **names, int n)
{
	size_t cap = 16;
	for (int i = 0; i < n; i++)
		cap += strlen(names[i]) + 24;
	char *s = xmalloc(cap), *p = s;
	p += sprintf(p, "(");
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s\"%s\" %d", i ? ", " : "", names[i], i);
	sprintf(p, ")");
	return s;
}

/*
 * A heat map of the n*n matrix m (NaN: no value) over region names, to stem.FORMAT through
 * plot/heatmap.gp. cellfmt: printf format of the value printed in each cell.
 */
static int heatmap(struct plot_ctx *c, const char *stem, char **names, int n, const double *m,
                   const char *title, const char *cblabel, const char *cellfmt)
{
	char *data = tmp_file(c, "dat");
	FILE *d = open_w(data);
	if (!d) {
		free(data);
		return FIG_ERROR;
	}
	double max = 0;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			double v = m[i * n + j];
			fprintf(d, "%d\t%d\t%.10g\n", j, i, v);
			if (isfinite(v) && v > max)
				max = v;
		}
	int rc = close_w(d, data);
	char *vp, *of;
	FILE *v = rc ? NULL : vars_begin(c, stem, &vp, &of);
	if (!v) {
		free(data);
		return FIG_ERROR;
	}
	char *tics = region_tics(names, n);
	gp_var_s(v, "datafile", data);
	gp_var_s(v, "figtitle", title);
	gp_var_s(v, "cblabel", cblabel);
	gp_var_s(v, "regiontics", tics);
	gp_var_s(v, "cellfmt", cellfmt);
	fprintf(v, "nregions = %d\ncbmax = %.10g\n", n, max > 0 ? max : 1);
	free(tics);
	free(data);
	return run_gnuplot(c, v, vp, of, "heatmap") ? FIG_ERROR : FIG_MADE;
}

/* ------------------------------------------------------------------------------------------ */
/* Figures                                                                                      */

/* topology: bandwidth and RTT between the regions, for each topology the runs used. */
static int fig_topology(struct plot_ctx *c, const struct figure *f)
{
	struct run_row *runs;
	int n = load_runs(c, "1", &runs);
	if (n < 0)
		return FIG_ERROR;
	if (n == 0)
		return no_data(f, "no runs");
	int rc = FIG_MADE;
	for (int i = 0; i < n && rc == FIG_MADE; i++) {
		int seen = 0;
		for (int k = 0; k < i; k++)
			seen |= !strcmp(runs[k].topo_name, runs[i].topo_name) &&
			        !strcmp(runs[k].topo_sha, runs[i].topo_sha);
		if (seen)
			continue;
		struct topology *t = run_topology(c, &runs[i]);
		if (!t) {
			rc = no_data(f, "the runs' topology file cannot be loaded (see above)");
			break;
		}
		int R = t->n;
		double *bw = xmalloc((size_t)R * R * sizeof *bw), *rtt = xmalloc((size_t)R * R * sizeof *rtt);
		char **names = xmalloc((size_t)R * sizeof *names);
		for (int a = 0; a < R; a++) {
			names[a] = t->regions[a].name;
			for (int b = 0; b < R; b++) {
				bw[a * R + b] = a == b ? NAN : t->bw_bps[a * R + b] / 1e6;
				rtt[a * R + b] = a == b ? NAN : t->rtt_s[a * R + b] * 1e3;
			}
		}
		char *stem = xasprintf("topology-bandwidth-%s", t->name);
		char *title = xasprintf("WAN bandwidth, topology %s", t->name);
		rc = heatmap(c, stem, names, R, bw, title, "bandwidth (Mb/s)", "%.0f");
		free(stem);
		free(title);
		stem = xasprintf("topology-rtt-%s", t->name);
		title = xasprintf("Round-trip time, topology %s", t->name);
		if (rc == FIG_MADE)
			rc = heatmap(c, stem, names, R, rtt, title, "RTT (ms)", "%.0f");
		free(stem);
		free(title);
		free(bw);
		free(rtt);
		free(names);
		topology_free(t);
	}
	free_runs(runs, n);
	return rc;
}

/* Series of one figure: label per run and the data blocks (index i = run i). */
struct series {
	struct strlist labels;    /* legend text per series */
	int64_t run[PLOT_MAX_SERIES]; /* run_id per series */
};

/*
 * convergence: objective vs simulated time per run, one figure per (workload, topology).
 * Gaia's per-region rows: the mean line with the min-max band.
 */
static int convergence_group(struct plot_ctx *c, const char *workload, const char *topo,
                             const char *trace)
{
	char *cond = sql_printf("%s AND workload = %Q AND topology_name = %Q AND coalesce(trace_name, '') = %Q",
	                        c->runs_sql, workload, topo, trace);
	char *sql = xasprintf("SELECT DISTINCT run_id, label || CASE WHEN (SELECT count(DISTINCT run_id) FROM "
	                      "plot_convergence q WHERE q.label = p.label AND %s) > 1 THEN ' (run ' || run_id "
	                      "|| ')' ELSE '' END FROM plot_convergence p WHERE %s ORDER BY run_id", cond, cond);
	sqlite3_stmt *st = prep(c, sql);
	free(sql);
	struct series s = { { 0 }, { 0 } };
	while (st && sqlite3_step(st) == SQLITE_ROW && s.labels.n < PLOT_MAX_SERIES) {
		s.run[s.labels.n] = sqlite3_column_int64(st, 0);
		list_add(&s.labels, (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	char *data = tmp_file(c, "dat"), *test = tmp_file(c, "dat");
	FILE *d = open_w(data), *dt = open_w(test);
	int rc = d && dt ? 0 : -1, ntest = 0;
	struct strlist tlabels = { 0 }, tstyles = { 0 };
	for (int i = 0; i < s.labels.n && rc == 0; i++) {
		sql = xasprintf("SELECT sim_time_s, objective_mean, objective_min, objective_max, n_regions "
		                "FROM plot_convergence WHERE run_id = %lld ORDER BY clock", (long long)s.run[i]);
		rc = dump_rows(c, d, sql) < 0 ? -1 : 0;
		free(sql);
		fputs("\n\n", d);
		if (c->has_test_metric && rc == 0) {
			sql = xasprintf("SELECT sim_time_s, test_metric_mean FROM plot_convergence_test "
			                "WHERE run_id = %lld ORDER BY clock", (long long)s.run[i]);
			int k = dump_rows(c, dt, sql);
			free(sql);
			rc = k < 0 ? -1 : 0;
			if (k > 0) {
				/* Only runs with held-out values get a block, a label and their style. */
				char *num = xasprintf("%d", i + 1);
				list_add(&tlabels, s.labels.v[i]);
				list_add(&tstyles, num);
				free(num);
				ntest++;
				fputs("\n\n", dt);
			}
		}
	}
	if (d && close_w(d, data))
		rc = -1;
	if (dt && close_w(dt, test))
		rc = -1;
	sql = xasprintf("SELECT max(target_objective) FROM plot_convergence WHERE %s", cond);
	double target = query_double(c, sql);
	free(sql);
	sql = xasprintf("SELECT max(n_regions) FROM plot_convergence WHERE %s", cond);
	double spread = query_double(c, sql);
	free(sql);
	sql = xasprintf("SELECT max(metric_name) FROM plot_convergence WHERE %s", cond);
	struct strlist metric = { 0 };
	query_list(c, sql, &metric);
	free(sql);
	char *vp = NULL, *of = NULL;
	char *stem = xasprintf("convergence-%s-%s%s%s", workload, topo, *trace ? "-" : "", trace);
	FILE *v = rc ? NULL : vars_begin(c, stem, &vp, &of);
	free(stem);
	if (v) {
		char *title = xasprintf("Convergence, workload %s, topology %s%s%s", workload, topo,
		                        *trace ? ", trace " : "", trace);
		gp_var_s(v, "datafile", data);
		gp_var_s(v, "testfile", test);
		gp_var_s(v, "figtitle", title);
		gp_var_s(v, "metricname", metric.n ? metric.v[0] : "metric");
		fprintf(v, "nseries = %d\nhastest = %d\nntest = %d\nhasspread = %d\n", s.labels.n, ntest > 0,
		        ntest, spread > 1);
		gp_array(v, "testlabels", tlabels.v, tlabels.n);
		gp_array(v, "teststyles", tstyles.v, tstyles.n);
		if (isfinite(target))
			fprintf(v, "target = %.10g\n", target);
		else
			fputs("target = NaN\n", v);
		gp_array(v, "labels", s.labels.v, s.labels.n);
		free(title);
		rc = run_gnuplot(c, v, vp, of, "convergence");
	} else
		rc = -1;
	free_list(&metric);
	free_list(&s.labels);
	free_list(&tlabels);
	free_list(&tstyles);
	free(data);
	free(test);
	free(cond);
	return rc ? FIG_ERROR : FIG_MADE;
}

static int fig_convergence(struct plot_ctx *c, const struct figure *f)
{
	char *sql = xasprintf("SELECT DISTINCT workload || char(9) || topology_name || char(9) || "
	                      "coalesce(trace_name, '') FROM plot_convergence WHERE %s ORDER BY 1", c->runs_sql);
	struct strlist groups = { 0 };
	int n = query_list(c, sql, &groups);
	free(sql);
	if (n < 0)
		return FIG_ERROR;
	if (n == 0)
		return no_data(f, "no training runs with clocks rows (table clocks is empty for the selected runs)");
	int rc = FIG_MADE;
	for (int i = 0; i < n && rc == FIG_MADE; i++) {
		char *topo = strchr(groups.v[i], '\t') + 1, *trace = strchr(topo, '\t') + 1;
		topo[-1] = trace[-1] = 0;
		rc = convergence_group(c, groups.v[i], topo, trace);
	}
	free_list(&groups);
	return rc;
}

/* Order of sync models on bars: the baseline first, the paper's system and LAN last. */
static const char MODEL_ORDER_SQL[] =
	"CASE sync_model WHEN 'bsp' THEN 0 WHEN 'gaia' THEN 8 WHEN 'lan' THEN 9 ELSE 5 END";

/* time-to-target: grouped bars, per (workload, topology), normalized to BSP. */
static int fig_time_to_target(struct plot_ctx *c, const struct figure *f)
{
	/* The latest run of each (group, label), for groups with a baseline that reached. */
	char *base = xasprintf(
		"SELECT * FROM plot_time_to_target p WHERE %s AND baseline_time_to_target_s IS NOT NULL "
		"AND run_id = (SELECT max(run_id) FROM plot_time_to_target q WHERE q.label = p.label AND "
		"q.workload = p.workload AND q.topology_name = p.topology_name AND "
		"q.target_objective IS p.target_objective AND %s)", c->runs_sql, c->runs_sql);
	char *sql = xasprintf("SELECT DISTINCT workload || ' / ' || topology_name FROM (%s) ORDER BY 1", base);
	struct strlist groups = { 0 }, models = { 0 };
	int ng = query_list(c, sql, &groups);
	free(sql);
	sql = xasprintf("SELECT label FROM (%s) GROUP BY label ORDER BY min(%s), label", base, MODEL_ORDER_SQL);
	int nm = query_list(c, sql, &models);
	free(sql);
	int rc = FIG_ERROR;
	if (ng < 0 || nm < 0)
		goto out;
	if (ng == 0 || nm > PLOT_MAX_SERIES) {
		rc = no_data(f, ng == 0 ? "no workload and topology with a BSP run that reached its target "
		                          "(baseline_time_to_target_s is NULL everywhere)"
		                        : "too many sync models");
		goto out;
	}
	char *data = tmp_file(c, "dat");
	FILE *d = open_w(data);
	int bad = !d;
	/* Block m: model m's bars at x = group*(nm+1) + m; value NaN = not reached. */
	for (int m = 0; m < nm && !bad; m++) {
		for (int g = 0; g < ng && !bad; g++) {
			sql = sql_printf("SELECT %d, normalized_time, time_to_target_s, CASE WHEN "
			                 "normalized_time IS NULL THEN 'not reached' ELSE ' ' END FROM (%s) "
			                "WHERE label = %Q AND workload || ' / ' || topology_name = %Q",
			                g * (nm + 1) + m, base, models.v[m], groups.v[g]);
			bad = dump_rows(c, d, sql) < 0;
			free(sql);
		}
		fputs("\n\n", d);
	}
	if (d && close_w(d, data))
		bad = 1;
	char *vp, *of;
	FILE *v = bad ? NULL : vars_begin(c, "time-to-target", &vp, &of);
	if (v) {
		gp_var_s(v, "datafile", data);
		fprintf(v, "nmodels = %d\nngroups = %d\n", nm, ng);
		gp_array(v, "labels", models.v, nm);
		gp_array(v, "groups", groups.v, ng);
		rc = run_gnuplot(c, v, vp, of, "time_to_target") ? FIG_ERROR : FIG_MADE;
	}
	free(data);
out:
	free_list(&groups);
	free_list(&models);
	free(base);
	return rc;
}

/*
 * Stacked bars: one bar per run (training runs of the selection), one stacked segment per
 * category, its height value(c, run, category index, category name) (NaN: 0).
 */
static int stacked(struct plot_ctx *c, const char *stem, struct run_row *runs, int nr,
                   struct strlist *cats, double (*value)(struct plot_ctx *, int64_t, int, const char *),
                   const char *ylabel, const char *title)
{
	char *data = tmp_file(c, "dat");
	FILE *d = open_w(data);
	int bad = !d;
	struct strlist xl = { 0 };
	for (int i = 0; i < nr && !bad; i++) {
		char *x = run_label(runs, nr, i, "\n");
		list_add(&xl, x);
		free(x);
		fprintf(d, "%d", i);
		double total = 0;
		for (int k = 0; k < cats->n; k++) {
			double val = value(c, runs[i].run_id, k, cats->v[k]);
			val = isfinite(val) ? val : 0.0;
			total += val;
			fprintf(d, "\t%.10g", val);
		}
		fprintf(d, "\t%.10g\n", total);
	}
	if (d && close_w(d, data))
		bad = 1;
	char *vp, *of;
	FILE *v = bad ? NULL : vars_begin(c, stem, &vp, &of);
	int rc = FIG_ERROR;
	if (v) {
		gp_var_s(v, "datafile", data);
		gp_var_s(v, "ylabel", ylabel);
		gp_var_s(v, "figtitle", title);
		fprintf(v, "nbars = %d\nncats = %d\n", nr, cats->n);
		gp_array(v, "cats", cats->v, cats->n);
		gp_array(v, "xlabels", xl.v, xl.n);
		rc = run_gnuplot(c, v, vp, of, "stacked") ? FIG_ERROR : FIG_MADE;
	}
	free_list(&xl);
	free(data);
	return rc;
}

/* Training runs of the selection, ordered by group then model (the bar order). */
static int training_runs(struct plot_ctx *c, struct run_row **runs)
{
	char *order = xasprintf("workload, topology_name, %s, run_id", MODEL_ORDER_SQL);
	int n = load_runs_ordered(c, "sync_model IS NOT NULL", order, runs);
	free(order);
	return n;
}

/* WAN MB (10^6 bytes) of one run and message kind. */
static double wan_kind_mb(struct plot_ctx *c, int64_t run, int k, const char *kind)
{
	(void)k;
	char *sql = sql_printf("SELECT sent_bytes / 1e6 FROM plot_wan_by_kind WHERE run_id = %lld AND kind = %Q",
	                       (long long)run, kind);
	double v = query_double(c, sql);
	free(sql);
	return v;
}

/* Cost of one run, USD: category 0 machine time, 1 transfer. */
static double cost_usd(struct plot_ctx *c, int64_t run, int k, const char *name)
{
	(void)name;
	char *sql = xasprintf("SELECT %s FROM plot_cost WHERE run_id = %lld",
	                      k == 0 ? "cost_machine_usd" : "cost_transfer_usd", (long long)run);
	double v = query_double(c, sql);
	free(sql);
	return v;
}

/* wan-by-kind: WAN bytes per training run, stacked by message kind. */
static int fig_wan_by_kind(struct plot_ctx *c, const struct figure *f)
{
	struct run_row *runs;
	int nr = training_runs(c, &runs);
	if (nr < 0)
		return FIG_ERROR;
	char *sql = xasprintf("SELECT DISTINCT kind FROM plot_wan_by_kind WHERE %s ORDER BY kind", c->runs_sql);
	struct strlist kinds = { 0 };
	int nk = query_list(c, sql, &kinds);
	free(sql);
	int rc;
	if (nk < 0)
		rc = FIG_ERROR;
	else if (nr == 0 || nk == 0)
		rc = no_data(f, nr == 0 ? "no training runs (table summary is empty for the selected runs)"
		                        : "no WAN traffic recorded (table wan_bytes is empty for the selected runs)");
	else
		rc = stacked(c, "wan-by-kind", runs, nr, &kinds, wan_kind_mb, "WAN traffic (MB)",
		             "WAN traffic by message kind");
	free_list(&kinds);
	free_runs(runs, nr);
	return rc;
}

/* cost: USD per training run, machine time and inter-region transfer stacked. */
static int fig_cost(struct plot_ctx *c, const struct figure *f)
{
	struct run_row *runs;
	int nr = training_runs(c, &runs);
	if (nr < 0)
		return FIG_ERROR;
	struct strlist cats = { 0 };
	list_add(&cats, "machine time");
	list_add(&cats, "inter-region transfer");
	int rc;
	if (nr == 0)
		rc = no_data(f, "no training runs (table summary is empty for the selected runs)");
	else
		rc = stacked(c, "cost", runs, nr, &cats, cost_usd, "cost (USD)", "Cost of the run");
	free_list(&cats);
	free_runs(runs, nr);
	return rc;
}

/* wan-by-pair: a heat map of WAN bytes per directed pair, one per run with WAN traffic. */
static int fig_wan_by_pair(struct plot_ctx *c, const struct figure *f)
{
	struct run_row *runs;
	int nr = load_runs(c, "run_id IN (SELECT run_id FROM plot_wan_by_pair)", &runs);
	if (nr < 0)
		return FIG_ERROR;
	if (nr == 0)
		return no_data(f, "no WAN traffic recorded (table wan_bytes is empty for the selected runs)");
	int rc = FIG_MADE;
	for (int i = 0; i < nr && rc == FIG_MADE; i++) {
		/* Regions in topology order when the topology loads, else by name. */
		struct strlist names = { 0 };
		struct topology *t = run_topology(c, &runs[i]);
		if (t)
			for (int k = 0; k < t->n; k++)
				list_add(&names, t->regions[k].name);
		else {
			char *sql = xasprintf("SELECT src_region FROM plot_wan_by_pair WHERE run_id = %lld UNION "
			                      "SELECT dst_region FROM plot_wan_by_pair WHERE run_id = %lld ORDER BY 1",
			                      (long long)runs[i].run_id, (long long)runs[i].run_id);
			query_list(c, sql, &names);
			free(sql);
		}
		topology_free(t);
		int R = names.n;
		double *m = xmalloc((size_t)R * R * sizeof *m);
		for (int a = 0; a < R; a++)
			for (int b = 0; b < R; b++) {
				char *sql = sql_printf("SELECT sent_bytes / 1e6 FROM plot_wan_by_pair WHERE run_id = %lld "
				                      "AND src_region = %Q AND dst_region = %Q",
				                      (long long)runs[i].run_id, names.v[a], names.v[b]);
				double v = query_double(c, sql);
				m[a * R + b] = a == b ? NAN : isfinite(v) ? v : 0;
				free(sql);
			}
		char *stem = xasprintf("wan-by-pair-run%lld-%s", (long long)runs[i].run_id, runs[i].label);
		char *title = xasprintf("WAN traffic per directed pair, %s on %s (run %lld)", runs[i].label,
		                        runs[i].topo_name, (long long)runs[i].run_id);
		rc = heatmap(c, stem, names.v, R, m, title, "sent (MB)", "%.3g");
		free(stem);
		free(title);
		free(m);
		free_list(&names);
	}
	free_runs(runs, nr);
	return rc;
}

/* filter: share of updates sent per clock (and the threshold schedule when stored). */
static int fig_filter(struct plot_ctx *c, const struct figure *f)
{
	struct run_row *runs;
	int nr = load_runs(c, "run_id IN (SELECT run_id FROM plot_filter_share)", &runs);
	if (nr < 0)
		return FIG_ERROR;
	if (nr == 0)
		return no_data(f, "no significance-filter rows (table filter_updates is empty for the selected runs)");
	char *data = tmp_file(c, "dat"), *thr = tmp_file(c, "dat");
	FILE *d = open_w(data), *dt = open_w(thr);
	int bad = !d || !dt, nthr = 0;
	struct strlist labels = { 0 };
	for (int i = 0; i < nr && !bad && i < PLOT_MAX_SERIES; i++) {
		char *lab = run_label(runs, nr, i, " ");
		list_add(&labels, lab);
		free(lab);
		char *sql = xasprintf("SELECT clock, share_sent FROM plot_filter_share WHERE run_id = %lld "
		                      "ORDER BY clock", (long long)runs[i].run_id);
		bad = dump_rows(c, d, sql) < 0;
		free(sql);
		fputs("\n\n", d);
		if (c->has_threshold && !bad) {
			sql = xasprintf("SELECT clock, threshold FROM plot_filter_threshold WHERE run_id = %lld "
			                "ORDER BY clock", (long long)runs[i].run_id);
			int k = dump_rows(c, dt, sql);
			free(sql);
			bad = k < 0;
			nthr += k > 0;
			fputs("\n\n", dt);
		}
	}
	if (d && close_w(d, data))
		bad = 1;
	if (dt && close_w(dt, thr))
		bad = 1;
	char *vp, *of;
	FILE *v = bad ? NULL : vars_begin(c, "filter", &vp, &of);
	int rc = FIG_ERROR;
	if (v) {
		gp_var_s(v, "datafile", data);
		gp_var_s(v, "thrfile", thr);
		fprintf(v, "nseries = %d\nhasthreshold = %d\n", labels.n, nthr > 0);
		gp_array(v, "labels", labels.v, labels.n);
		rc = run_gnuplot(c, v, vp, of, "filter") ? FIG_ERROR : FIG_MADE;
	}
	free_list(&labels);
	free(data);
	free(thr);
	free_runs(runs, nr);
	return rc;
}

/*
 * significance-distribution: the paper's statistic per level, one line per run (sync model):
 * the share of single-clock updates whose |update / value| is below each level.
 */
static int fig_significance(struct plot_ctx *c, const struct figure *f)
{
	if (!c->has_significance)
		return no_data(f, "the database has no significance table (written before schema 3)");
	struct run_row *runs;
	int nr = load_runs(c, "run_id IN (SELECT run_id FROM plot_significance WHERE updates > 0)", &runs);
	if (nr < 0)
		return FIG_ERROR;
	if (nr == 0)
		return no_data(f, "no significance counts (table significance is empty for the selected runs)");
	char *data = tmp_file(c, "dat");
	FILE *d = open_w(data);
	int bad = !d;
	struct strlist labels = { 0 };
	for (int i = 0; i < nr && !bad && i < PLOT_MAX_SERIES; i++) {
		char *lab = run_label(runs, nr, i, " ");
		list_add(&labels, lab);
		free(lab);
		char *sql = xasprintf("SELECT 100.0 * level, share_below FROM plot_significance "
		                      "WHERE run_id = %lld AND updates > 0 ORDER BY level",
		                      (long long)runs[i].run_id);
		bad = dump_rows(c, d, sql) < 0;
		free(sql);
		fputs("\n\n", d);
	}
	if (d && close_w(d, data))
		bad = 1;
	char *vp, *of;
	FILE *v = bad ? NULL : vars_begin(c, "significance-distribution", &vp, &of);
	int rc = FIG_ERROR;
	if (v) {
		gp_var_s(v, "datafile", data);
		fprintf(v, "nseries = %d\n", labels.n);
		gp_array(v, "labels", labels.v, labels.n);
		rc = run_gnuplot(c, v, vp, of, "significance") ? FIG_ERROR : FIG_MADE;
	}
	free_list(&labels);
	free(data);
	free_runs(runs, nr);
	return rc;
}

/* The directed pair (src, dst, src != dst) with the most changes in tr; -1 when none. */
static int busiest_pair(const struct trace *tr, int n, int *src, int *dst)
{
	int *count = xcalloc((size_t)n * n, sizeof *count), best = -1;
	for (size_t i = 0; i < tr->n; i++) {
		int k = tr->changes[i].src * n + tr->changes[i].dst;
		if (tr->changes[i].src != tr->changes[i].dst && ++count[k] > (best >= 0 ? count[best] : 0))
			best = k;
	}
	free(count);
	if (best < 0)
		return -1;
	*src = best / n;
	*dst = best % n;
	return 0;
}

/* trace-replay for one run: the busiest link's bandwidth above the run's progress. */
static int trace_run(struct plot_ctx *c, const struct figure *f, const struct run_row *r)
{
	struct topology *t = run_topology(c, r);
	struct trace *tr = t ? run_trace(c, r, t) : NULL;
	int a, b;
	if (!tr || busiest_pair(tr, t->n, &a, &b) < 0) {
		trace_free(tr);
		topology_free(t);
		return no_data(f, "the run's topology or trace cannot be loaded, or the trace changes no WAN link");
	}
	char *bw = tmp_file(c, "dat"), *prog = tmp_file(c, "dat");
	FILE *d = open_w(bw), *dp = open_w(prog);
	int bad = !d || !dp, np = 0;
	if (!bad) {
		/* Steps: the topology's bandwidth until the first change, then each change. */
		double last = t->bw_bps[a * t->n + b] / 1e6;
		fprintf(d, "0\t%.10g\n", last);
		for (size_t i = 0; i < tr->n; i++) {
			const struct trace_change *x = &tr->changes[i];
			double ts = (double)x->time / 1e9;
			if (x->src != a || x->dst != b || ts > r->sim_end_s)
				continue;
			fprintf(d, "%.9f\t%.10g\n", ts, last = x->bw_bps / 1e6);
		}
		fprintf(d, "%.9f\t%.10g\n", r->sim_end_s, last);
		char *sql = r->training
			? xasprintf("SELECT sim_time_s, objective_mean FROM plot_convergence WHERE run_id = %lld "
			            "ORDER BY clock", (long long)r->run_id)
			: sql_printf("SELECT t0_s, rate_bps / 1e6, t1_s FROM plot_link_rate WHERE run_id = %lld AND "
			            "src_region = %Q AND dst_region = %Q ORDER BY t0_s", (long long)r->run_id,
			            t->regions[a].name, t->regions[b].name);
		np = dump_rows(c, dp, sql);
		bad = np < 0;
		free(sql);
	}
	if (d && close_w(d, bw))
		bad = 1;
	if (dp && close_w(dp, prog))
		bad = 1;
	int rc = FIG_ERROR;
	if (!bad && np == 0)
		rc = no_data(f, r->training ? "the traced run has no clocks rows"
		                            : "the traced net run carried nothing on the link (no link_bytes rows)");
	char *stem = xasprintf("trace-replay-run%lld-%s", (long long)r->run_id, r->label);
	char *vp, *of;
	FILE *v = bad || np == 0 ? NULL : vars_begin(c, stem, &vp, &of);
	if (v) {
		char *link = xasprintf("%s -> %s", t->regions[a].name, t->regions[b].name);
		char *title = xasprintf("Trace %s replayed, %s (run %lld)", tr->name, r->label, (long long)r->run_id);
		gp_var_s(v, "bwfile", bw);
		gp_var_s(v, "progfile", prog);
		gp_var_s(v, "linkname", link);
		gp_var_s(v, "figtitle", title);
		fprintf(v, "training = %d\nxmax = %.10g\n", r->training, r->sim_end_s > 0 ? r->sim_end_s : 1);
		rc = run_gnuplot(c, v, vp, of, "trace_replay") ? FIG_ERROR : FIG_MADE;
		free(link);
		free(title);
	}
	free(stem);
	free(bw);
	free(prog);
	trace_free(tr);
	topology_free(t);
	return rc;
}

static int fig_trace(struct plot_ctx *c, const struct figure *f)
{
	struct run_row *runs;
	int nr = load_runs(c, "trace_name IS NOT NULL", &runs);
	if (nr < 0)
		return FIG_ERROR;
	int rc = nr == 0 ? no_data(f, "no selected run used a bandwidth trace (runs.trace_name is NULL)")
	                 : FIG_MADE;
	int made = 0;
	for (int i = 0; i < nr && rc != FIG_ERROR; i++) {
		rc = trace_run(c, f, &runs[i]);
		made += rc == FIG_MADE;
	}
	free_runs(runs, nr);
	return rc == FIG_ERROR ? FIG_ERROR : made ? FIG_MADE : FIG_NO_DATA;
}

/* ------------------------------------------------------------------------------------------ */
/* Sensitivity sweeps (view plot_sweep)                                                         */

/* One kind of sweep: its rows in plot_sweep and how its x axis is drawn. */
struct sweep_kind {
	const char *sweep;        /* plot_sweep.sweep */
	const char *param;        /* the swept parameter, for titles and messages */
	const char *swept_models; /* the models whose x is swept, for messages */
	const char *xlabel;       /* x axis label, with its unit */
	int axis;                 /* 0: categories (x in %, evenly spaced), 1: log2, 2: linear */
};

static const struct sweep_kind SWEEP_THRESHOLD = {
	"threshold", "significance threshold (gaia.threshold)", "gaia runs",
	"significance threshold (% of the parameter's value; values evenly spaced)", 0 };
static const struct sweep_kind SWEEP_BANDWIDTH = {
	"bandwidth", "WAN bandwidth (net.bw_scale)", "runs",
	"WAN bandwidth (x the topology's, log2 scale)", 1 };
static const struct sweep_kind SWEEP_SLACK = {
	"slack", "slack (gaia.slack; S of ssp:S)", "gaia or ssp:S runs",
	"slack (clocks): gaia.slack for gaia, S for ssp:S", 2 };

#define SWEEP_LOG_SPAN 20.0 /* largest/smallest time to target above which the axis is log */
#define SWEEP_INT_TICS 16   /* integer x spanning at most this many: a tic at every integer */

/* x as a tic label: percent for categories, 1/N for bandwidth factors below 1. */
static char *sweep_tic(const struct sweep_kind *k, double x)
{
	if (k->axis == 0)
		return xasprintf("%g", 100 * x);
	if (k->axis == 1 && x > 0 && x < 1 && fabs(1 / x - nearbyint(1 / x)) < 1e-9)
		return xasprintf("1/%.0f", 1 / x);
	return xasprintf("%g", x);
}

/* The condition selecting one sweep's rows of plot_sweep (caller frees). */
static char *sweep_cond(struct plot_ctx *c, const struct sweep_kind *k, const char *workload,
                        const char *topo, const char *setting)
{
	return sql_printf("sweep = %Q AND workload = %Q AND topology_name = %Q AND setting = %Q AND %s",
	                  k->sweep, workload, topo, setting, c->runs_sql);
}

/* What sweep_data found, beyond the data file. */
struct sweep_found {
	struct strlist labels;    /* series names (sync models; 'ssp' for ssp:S) */
	struct strlist styles;    /* line style per series (plot/common.gp), fixed per model */
	struct strlist nrseries;  /* 1-based indices of the series with a run that did not reach */
	double tmax_s;            /* largest time to target reached, s; NaN when none */
	double tmin_s;            /* smallest positive time to target reached, s; NaN when none */
	int notreached;           /* runs (points) that did not reach the target */
	int hastest;              /* 1 when some point has a final held-out metric */
};

/* The line style of a series: the same model has the same style in every sweep figure. */
static const char *sweep_style(const char *series)
{
	static const char *const models[] = { "bsp", "gaia", "lan", "ssp" };
	static const char *const styles[] = { "1", "2", "3", "4" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(series, models[i]))
			return styles[i];
	return "5";
}

/*
 * Write one block per series (the latest run per x): x position, time to target s (NaN: not
 * reached), reached 0/1, final objective, final held-out metric (NaN: none), run id. Returns
 * the number of series or -1.
 */
static int sweep_data(struct plot_ctx *c, const struct sweep_kind *k, const char *cond,
                      const struct strlist *xs, FILE *d, struct sweep_found *o)
{
	struct strlist *labels = &o->labels;
	char *sql = xasprintf("SELECT series FROM plot_sweep WHERE %s GROUP BY series ORDER BY "
	                      "min(CASE series WHEN 'bsp' THEN 0 WHEN 'ssp' THEN 5 WHEN 'gaia' THEN 8 "
	                      "WHEN 'lan' THEN 9 ELSE 6 END), series", cond);
	int ns = query_list(c, sql, labels);
	free(sql);
	for (int i = 0; i < ns && i < PLOT_MAX_SERIES; i++) {
		sql = sql_printf("SELECT x, time_to_target_s, final_objective, final_test_metric, run_id "
		                 "FROM plot_sweep WHERE %s AND series = %Q ORDER BY x, run_id DESC", cond,
		                 labels->v[i]);
		sqlite3_stmt *st = prep(c, sql);
		free(sql);
		if (!st)
			return -1;
		double last = NAN;
		int nr = 0;
		list_add(&o->styles, sweep_style(labels->v[i]));
		while (sqlite3_step(st) == SQLITE_ROW) {
			double x = sqlite3_column_double(st, 0);
			if (x == last) /* an older run of the same point */
				continue;
			last = x;
			double pos = x;
			for (int j = 0; k->axis == 0 && j < xs->n; j++)
				if (strtod(xs->v[j], NULL) == x)
					pos = j;
			int reached = sqlite3_column_type(st, 1) != SQLITE_NULL;
			double t = reached ? sqlite3_column_double(st, 1) : NAN;
			if (reached && !(t <= o->tmax_s))
				o->tmax_s = t;
			if (reached && t > 0 && !(t >= o->tmin_s))
				o->tmin_s = t;
			nr += !reached;
			o->hastest |= sqlite3_column_type(st, 3) != SQLITE_NULL;
			fprintf(d, "%.10g\t%.10g\t%d\t", pos, t, reached);
			put_value(d, st, 2);
			fputc('\t', d);
			put_value(d, st, 3);
			fprintf(d, "\t%lld\n", (long long)sqlite3_column_int64(st, 4));
		}
		sqlite3_finalize(st);
		fputs("\n\n", d);
		o->notreached += nr;
		if (nr) {
			char *num = xasprintf("%d", i + 1);
			list_add(&o->nrseries, num);
			free(num);
		}
	}
	return ns;
}

/* Append the tic `"label" pos` for x to the tic list *tics (a growing string). */
static void add_tic(char **tics, const struct sweep_kind *k, double x, double pos)
{
	char *lab = sweep_tic(k, x);
	char *t = xasprintf("%s%s\"%s\" %.10g", *tics, **tics ? ", " : "", lab, pos);
	free(lab);
	free(*tics);
	*tics = t;
}

/*
 * The x tics and range of a sweep figure, into the variables file: categories at 0, 1, ...;
 * on the log2 axis every power of two in the range and every other value swept; on the linear
 * axis every integer when the values are integers not far apart, else the values swept.
 */
static void sweep_axis_vars(FILE *v, const struct sweep_kind *k, const struct strlist *xs)
{
	char *tics = xstrdup("");
	double lo = strtod(xs->v[0], NULL), hi = strtod(xs->v[xs->n - 1], NULL);
	if (k->axis == 1 && lo > 0)
		for (int e = (int)floor(log2(lo)); e <= (int)ceil(log2(hi)) && e < 64; e++)
			add_tic(&tics, k, ldexp(1, e), ldexp(1, e));
	int ints = k->axis == 2 && hi - lo <= SWEEP_INT_TICS;
	for (int i = 0; i < xs->n; i++)
		ints &= strtod(xs->v[i], NULL) == nearbyint(strtod(xs->v[i], NULL));
	for (double x = lo; ints && x <= hi; x++)
		add_tic(&tics, k, x, x);
	for (int i = 0; i < xs->n && !ints; i++) {
		double x = strtod(xs->v[i], NULL);
		if (k->axis != 1 || !(x > 0) || log2(x) != nearbyint(log2(x)))
			add_tic(&tics, k, x, k->axis == 0 ? (double)i : x);
	}
	char *list = xasprintf("(%s)", tics);
	gp_var_s(v, "xtics", list);
	free(list);
	free(tics);
	if (k->axis == 0)
		fprintf(v, "logx = 0\nxmin = -0.5\nxmax = %d.5\n", xs->n - 1);
	else if (k->axis == 1 && lo > 0)
		fprintf(v, "logx = 1\nxmin = %.10g\nxmax = %.10g\n", lo / 1.4, hi * 1.4);
	else
		fprintf(v, "logx = 0\nxmin = %.10g\nxmax = %.10g\n", lo - 0.5, hi + 0.5);
}

/* One sensitivity figure: the sweep of setting `setting` on workload/topo. */
static int sweep_group(struct plot_ctx *c, const struct sweep_kind *k,
                       const char *workload, const char *topo, const char *setting)
{
	char *cond = sweep_cond(c, k, workload, topo, setting);
	/* %.17g: the text reads back as the same double, to match the rows' x in sweep_data. */
	char *sql = xasprintf("SELECT printf('%%.17g', x) FROM (SELECT DISTINCT x FROM plot_sweep WHERE %s "
	                      "AND x IS NOT NULL) ORDER BY x", cond);
	struct strlist xs = { 0 }, tname = { 0 };
	struct sweep_found o = { .tmax_s = NAN, .tmin_s = NAN };
	int rc = query_list(c, sql, &xs) < 1 ? FIG_ERROR : FIG_MADE;
	free(sql);
	char *data = tmp_file(c, "dat");
	FILE *d = rc == FIG_MADE ? open_w(data) : NULL;
	int ns = -1;
	if (d)
		ns = sweep_data(c, k, cond, &xs, d, &o);
	if ((d && close_w(d, data)) || ns < 1)
		rc = FIG_ERROR;
	sql = xasprintf("SELECT printf('%%.6g', min(target_objective)) || CASE WHEN min(target_objective) < "
	                "max(target_objective) THEN printf(' to %%.6g (the compares'' own)', max(target_objective)) "
	                "ELSE '' END FROM plot_sweep WHERE %s", cond);
	struct strlist target = { 0 };
	query_list(c, sql, &target);
	free(sql);
	sql = xasprintf("SELECT max(test_metric_name) FROM plot_sweep WHERE %s AND final_test_metric IS NOT NULL", cond);
	query_list(c, sql, &tname);
	free(sql);
	char *stem = xasprintf("sensitivity-%s-%s-%s", k->sweep, workload, topo);
	char *vp, *of;
	FILE *v = rc == FIG_MADE ? vars_begin(c, stem, &vp, &of) : NULL;
	if (v) {
		char *title = xasprintf("Sensitivity to the %s, %s on %s\ntarget objective %s", k->param,
		                        workload, topo, target.n && *target.v[0] ? target.v[0] : "none");
		gp_var_s(v, "datafile", data);
		gp_var_s(v, "figtitle", title);
		gp_var_s(v, "xlabel", k->xlabel);
		gp_var_s(v, "testname", tname.n && *tname.v[0] ? tname.v[0] : "held-out metric");
		sweep_axis_vars(v, k, &xs);
		/* A log time axis when the times span more than SWEEP_LOG_SPAN (e.g. LAN vs WAN). */
		int logy = isfinite(o.tmin_s) && o.tmax_s / o.tmin_s > SWEEP_LOG_SPAN;
		double ytop = !(o.tmax_s > 0) ? 1.0 : logy ? 1.6 * o.tmax_s : 1.15 * o.tmax_s;
		fprintf(v, "nseries = %d\nhastest = %d\nnotreached = %d\nnnr = %d\nytop = %.10g\n"
		        "logy = %d\nybottom = %.10g\n", o.labels.n, o.hastest, o.notreached, o.nrseries.n,
		        ytop, logy, logy ? o.tmin_s / 1.6 : 0.0);
		gp_array(v, "labels", o.labels.v, o.labels.n);
		gp_array(v, "styles", o.styles.v, o.styles.n);
		gp_array(v, "nrseries", o.nrseries.v, o.nrseries.n);
		rc = run_gnuplot(c, v, vp, of, "sensitivity") ? FIG_ERROR : FIG_MADE;
		free(title);
	} else
		rc = FIG_ERROR;
	free(stem);
	free(data);
	free(cond);
	free_list(&xs);
	free_list(&o.labels);
	free_list(&o.styles);
	free_list(&o.nrseries);
	free_list(&tname);
	free_list(&target);
	return rc;
}

/*
 * A sensitivity figure per workload and topology: of the settings (plot_sweep.setting) in
 * which one swept series (e.g. gaia) has at least two values of the swept parameter, the one
 * with the most values in a series (ties: the latest run); the other sweeps of the same
 * workload and topology are counted in a note.
 */
static int fig_sweep(struct plot_ctx *c, const struct figure *f, const struct sweep_kind *k)
{
	char *sql = sql_printf("SELECT workload, topology_name, setting, max(nx) FROM (SELECT workload, "
	                       "topology_name, setting, count(DISTINCT x) AS nx, max(run_id) AS latest "
	                       "FROM plot_sweep WHERE sweep = %Q AND swept AND x IS NOT NULL AND %s "
	                       "GROUP BY workload, topology_name, setting, series) "
	                       "GROUP BY workload, topology_name, setting HAVING max(nx) >= 2 "
	                       "ORDER BY workload, topology_name, max(nx) DESC, max(latest) DESC",
	                       k->sweep, c->runs_sql);
	sqlite3_stmt *st = prep(c, sql);
	free(sql);
	if (!st)
		return FIG_ERROR;
	struct strlist g = { 0 }; /* workload, topology, setting, per sweep drawn */
	int other = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *w = (const char *)sqlite3_column_text(st, 0);
		const char *t = (const char *)sqlite3_column_text(st, 1);
		if (g.n && !strcmp(g.v[g.n - 3], w) && !strcmp(g.v[g.n - 2], t)) {
			other++;
			continue;
		}
		list_add(&g, w);
		list_add(&g, t);
		list_add(&g, (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_finalize(st);
	if (g.n == 0) {
		char *what = xasprintf("no sweep of the %s: no %s of one workload and topology whose "
		                       "configurations differ only in it (at least two values)",
		                       k->param, k->swept_models);
		int rc = no_data(f, what);
		free(what);
		return rc;
	}
	if (other)
		fprintf(stderr, "gaiasim plot: note: figure '%s': %d more sweep(s) of the %s on a workload "
		        "and topology already drawn (their configurations differ in other keys); each figure "
		        "draws the sweep with the most values\n", f->name, other, k->param);
	int rc = FIG_MADE;
	for (int i = 0; i + 2 < g.n && rc == FIG_MADE; i += 3)
		rc = sweep_group(c, k, g.v[i], g.v[i + 1], g.v[i + 2]);
	free_list(&g);
	return rc;
}

static int fig_sweep_threshold(struct plot_ctx *c, const struct figure *f)
{
	return fig_sweep(c, f, &SWEEP_THRESHOLD);
}

static int fig_sweep_bandwidth(struct plot_ctx *c, const struct figure *f)
{
	return fig_sweep(c, f, &SWEEP_BANDWIDTH);
}

static int fig_sweep_slack(struct plot_ctx *c, const struct figure *f)
{
	return fig_sweep(c, f, &SWEEP_SLACK);
}

/* ------------------------------------------------------------------------------------------ */
/* emulated-vs-simulated                                                                        */

#define EMU_BARS_MAX_PAIRS 12  /* more directed pairs than this: a scatter instead of bars */

/* A relative difference (a fraction) as a signed percentage, or "n/a" (caller frees). */
static char *pct(double frac)
{
	return isfinite(frac) ? xasprintf("%+.2f%%", 100 * frac) : xstrdup("n/a");
}

/* One column of a pair's plot_emu_pairs row as a double (NaN when NULL). */
static double pair_value(struct plot_ctx *c, int64_t emu, int64_t sim, const char *col)
{
	char *sql = xasprintf("SELECT %s FROM plot_emu_pairs WHERE emu_run_id = %lld AND sim_run_id = %lld",
	                      col, (long long)emu, (long long)sim);
	double v = query_double(c, sql);
	free(sql);
	return v;
}

/*
 * WAN bytes per directed pair of both runs, one row per pair that either run used: index,
 * 'src->dst', simulated bytes, emulated bytes (NaN when the run sent nothing there), relative
 * difference label. Returns the pair count or -1; *maxdiff = largest |relative difference|,
 * *maxbytes = largest byte count.
 */
static int emu_pair_bytes(struct plot_ctx *c, FILE *out, int64_t emu, int64_t sim, double *maxdiff,
                          double *maxbytes)
{
	char *sql = xasprintf(
		"SELECT k.src_region || '->' || k.dst_region, "
		"(SELECT sent_bytes FROM plot_wan_by_pair WHERE run_id = %lld AND src_region = k.src_region "
		"AND dst_region = k.dst_region), "
		"(SELECT sent_bytes FROM plot_wan_by_pair WHERE run_id = %lld AND src_region = k.src_region "
		"AND dst_region = k.dst_region) "
		"FROM (SELECT DISTINCT src_region, dst_region FROM plot_wan_by_pair WHERE run_id IN (%lld, %lld)) k "
		"ORDER BY k.src_region, k.dst_region", (long long)sim, (long long)emu, (long long)sim, (long long)emu);
	sqlite3_stmt *st = prep(c, sql);
	free(sql);
	if (!st)
		return -1;
	int n = 0;
	*maxdiff = *maxbytes = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		double s = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
		double e = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2);
		double d = s > 0 ? e / s - 1 : NAN;
		char *lab = isnan(s) ? xstrdup("emulated only") : isnan(e) ? xstrdup("simulated only") : pct(d);
		if (isfinite(d) && fabs(d) > *maxdiff)
			*maxdiff = fabs(d);
		fprintf(out, "%d\t%s\t%.10g\t%.10g\t%s\n", n++, sqlite3_column_text(st, 0), s, e, lab);
		*maxbytes = fmax(*maxbytes, fmax(isnan(s) ? 0 : s, isnan(e) ? 0 : e));
		free(lab);
	}
	sqlite3_finalize(st);
	return n;
}

/* One figure: emulated run emu beside simulated run sim. */
static int emu_pair_figure(struct plot_ctx *c, int64_t emu, int64_t sim)
{
	char *conv = tmp_file(c, "dat"), *bytes = tmp_file(c, "dat");
	FILE *d = open_w(conv), *b = open_w(bytes);
	int rc = d && b ? 0 : -1, npairs = 0;
	double maxdiff = 0, maxbytes = 0;
	int64_t order[2] = { sim, emu }; /* block 0 simulated, block 1 emulated */
	for (int i = 0; i < 2 && rc == 0; i++) {
		char *sql = xasprintf("SELECT sim_time_s, objective_mean, objective_min, objective_max FROM "
		                      "plot_convergence WHERE run_id = %lld ORDER BY clock", (long long)order[i]);
		rc = dump_rows(c, d, sql) < 0 ? -1 : 0;
		free(sql);
		fputs("\n\n", d);
	}
	if (rc == 0 && (npairs = emu_pair_bytes(c, b, emu, sim, &maxdiff, &maxbytes)) < 0)
		rc = -1;
	if (d && close_w(d, conv))
		rc = -1;
	if (b && close_w(b, bytes))
		rc = -1;
	char *sql = xasprintf("SELECT sync_model || char(9) || workload || char(9) || topology_name || "
	                      "char(9) || coalesce(trace_name, '') || char(9) || seed FROM plot_emu_pairs "
	                      "WHERE emu_run_id = %lld AND sim_run_id = %lld", (long long)emu, (long long)sim);
	struct strlist id = { 0 };
	if (query_list(c, sql, &id) != 1)
		rc = -1;
	free(sql);
	char *vp = NULL, *of = NULL;
	char *stem = xasprintf("emulated-vs-simulated-run%lld-run%lld", (long long)emu, (long long)sim);
	FILE *v = rc ? NULL : vars_begin(c, stem, &vp, &of);
	free(stem);
	if (v) {
		/* f: sync model, workload, topology, trace, seed (the query's tab-separated fields) */
		char *f[5] = { id.v[0], NULL, NULL, NULL, NULL };
		for (int k = 1; k < 5; k++) {
			char *tab = strchr(f[k - 1], '\t');
			f[k] = tab ? tab + 1 : f[k - 1] + strlen(f[k - 1]);
			if (tab)
				*tab = 0;
		}
		char *title = xasprintf("Emulated (run %lld) vs simulated (run %lld): %s, workload %s, "
		                        "topology %s%s%s, seed %s", (long long)emu, (long long)sim, f[0], f[1],
		                        f[2], *f[3] ? ", trace " : "", f[3], f[4]);
		char *end = pct(pair_value(c, emu, sim, "rel_diff_end_time"));
		char *fin = pct(pair_value(c, emu, sim, "rel_diff_final_objective"));
		char *tot = pct(pair_value(c, emu, sim, "rel_diff_wan_bytes"));
		double ttt = pair_value(c, emu, sim, "rel_diff_time_to_target");
		char *tt = pct(ttt);
		char *ctitle = isfinite(ttt)
			? xasprintf("relative difference, emulated vs simulated:\ntime to target %s, end time %s, final objective %s", tt, end, fin)
			: xasprintf("relative difference, emulated vs simulated:\nend time %s, final objective %s", end, fin);
		char *btitle = npairs > EMU_BARS_MAX_PAIRS
			? xasprintf("WAN traffic per directed pair; relative difference, emulated vs\nsimulated: total %s, largest of one pair %.2f%%", tot, 100 * maxdiff)
			: xasprintf("WAN traffic per directed pair; relative difference, emulated vs\nsimulated: above each pair, total %s", tot);
		char *lsim = xasprintf("simulated (run %lld)", (long long)sim);
		char *lemu = xasprintf("emulated (run %lld)", (long long)emu);
		gp_var_s(v, "convfile", conv);
		gp_var_s(v, "bytesfile", bytes);
		gp_var_s(v, "figtitle", title);
		gp_var_s(v, "convtitle", ctitle);
		gp_var_s(v, "bytestitle", btitle);
		gp_var_s(v, "simlabel", lsim);
		gp_var_s(v, "emulabel", lemu);
		sql = xasprintf("SELECT max(n_regions) FROM plot_convergence WHERE run_id IN (%lld, %lld)",
		                (long long)emu, (long long)sim);
		double nreg = query_double(c, sql);
		free(sql);
		gp_var_s(v, "objlabel", nreg > 1 ? "training objective (mean over regions)" : "training objective");
		gp_var_s(v, "unitname", maxbytes < 1e6 ? "kB" : "MB");
		fprintf(v, "npairs = %d\nscatter = %d\nunit = %g\n", npairs, npairs > EMU_BARS_MAX_PAIRS,
		        maxbytes < 1e6 ? 1e3 : 1e6);
		rc = run_gnuplot(c, v, vp, of, "emu_vs_sim");
		free(title);
		free(end);
		free(fin);
		free(tot);
		free(tt);
		free(ctitle);
		free(btitle);
		free(lsim);
		free(lemu);
	} else
		rc = -1;
	free_list(&id);
	free(conv);
	free(bytes);
	return rc ? FIG_ERROR : FIG_MADE;
}

/* emulated-vs-simulated: one figure per (emulated run, simulated run) of plot_emu_pairs. */
static int fig_emu_vs_sim(struct plot_ctx *c, const struct figure *f)
{
	char *sel = xasprintf("EXISTS (SELECT 1 FROM runs WHERE run_id = p.emu_run_id AND %s) AND "
	                      "EXISTS (SELECT 1 FROM runs WHERE run_id = p.sim_run_id AND %s)",
	                      c->runs_sql, c->runs_sql);
	char *sql = xasprintf("SELECT emu_run_id || char(9) || sim_run_id FROM plot_emu_pairs p WHERE %s "
	                      "ORDER BY emu_run_id, sim_run_id", sel);
	struct strlist pairs = { 0 };
	int n = query_list(c, sql, &pairs);
	free(sql);
	free(sel);
	if (n < 0)
		return FIG_ERROR;
	if (n == 0) {
		sql = xasprintf("SELECT group_concat(run_id, ', ') FROM runs WHERE kind = 'emu' AND %s", c->runs_sql);
		struct strlist emu = { 0 };
		query_list(c, sql, &emu);
		free(sql);
		char *what = emu.n && *emu.v[0]
			? xasprintf("no simulated run (kind run or compare) of the same configuration (apart from "
			            "emu.* keys), seed, topology and trace as the emulated run(s) %s; store one with "
			            "`gaiasim run CONFIG --db DB`", emu.v[0])
			: xstrdup("no emulated runs (runs.kind = 'emu', stored by `gaiasim emu run` or `emu collect`)");
		int rc = no_data(f, what);
		free(what);
		free_list(&emu);
		return rc;
	}
	int rc = FIG_MADE;
	for (int i = 0; i < n && rc == FIG_MADE; i++) {
		long long e = 0, s = 0;
		sscanf(pairs.v[i], "%lld\t%lld", &e, &s);
		rc = emu_pair_figure(c, e, s);
	}
	free_list(&pairs);
	return rc;
}

static const struct figure figures[] = {
	{ "topology", "plot_runs", "heat maps of WAN bandwidth (Mb/s) and RTT (ms) between the regions "
	  "of each topology the runs used (from the topology file)", fig_topology, NULL },
	{ "convergence", "plot_convergence, plot_convergence_test",
	  "objective vs simulated time per sync model, target marked; per-region min-max shaded; "
	  "held-out metric when clocks.test_metric exists", fig_convergence, NULL },
	{ "time-to-target", "plot_time_to_target",
	  "time to target normalized to BSP, grouped bars per workload and topology", fig_time_to_target, NULL },
	{ "wan-by-kind", "plot_wan_by_kind", "WAN bytes per sync model, stacked by message kind",
	  fig_wan_by_kind, NULL },
	{ "wan-by-pair", "plot_wan_by_pair", "WAN bytes per directed region pair (heat map), per run",
	  fig_wan_by_pair, NULL },
	{ "cost", "plot_cost", "cost per sync model (USD): machine time and inter-region transfer",
	  fig_cost, NULL },
	{ "filter", "plot_filter_share, plot_filter_threshold",
	  "share of updates sent per clock; threshold schedule when filter_updates.threshold exists",
	  fig_filter, NULL },
	{ "trace-replay", "plot_runs, plot_convergence, plot_link_rate",
	  "a link's bandwidth over time from the run's trace, above the run's progress", fig_trace, NULL },
	{ "significance-distribution", "plot_significance",
	  "share of single-clock updates changing their parameter by less than 0.01% .. 10% of its "
	  "value (the paper's '>95% below 1%'), one line per run", fig_significance, NULL },
	{ "sensitivity-threshold", "plot_sweep, plot_sweep_params",
	  "time to target and final objective (held-out metric) against gaia.threshold; gaia, lan flat",
	  fig_sweep_threshold, NULL },
	{ "sensitivity-bandwidth", "plot_sweep, plot_sweep_params",
	  "time to target and final objective (held-out metric) against net.bw_scale (log2); bsp, gaia, lan",
	  fig_sweep_bandwidth, NULL },
	{ "sensitivity-slack", "plot_sweep, plot_sweep_params",
	  "time to target and final objective (held-out metric) against gaia.slack (gaia) and S (ssp:S)",
	  fig_sweep_slack, NULL },
	{ "emulated-vs-simulated", "plot_emu_pairs, plot_convergence, plot_wan_by_pair",
	  "an emulated run beside the simulated run of its configuration: objective vs time, WAN "
	  "bytes per directed pair, relative differences", fig_emu_vs_sim, NULL },
};

#define NFIGURES (sizeof figures / sizeof figures[0])

static void list_figures(FILE *out)
{
	fprintf(out, "%-26s %-12s %-44s %s\n", "figure", "status", "view(s)", "shows");
	for (size_t i = 0; i < NFIGURES; i++) {
		const struct figure *f = &figures[i];
		fprintf(out, "%-26s %-12s %-44s %s%s%s\n", f->name, f->make ? "available" : "unavailable",
		        f->view, f->what, f->make ? "" : "; unavailable: ", f->make ? "" : f->unavailable);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The database                                                                                 */

/* 1 if table `table` has column `col`. */
static int has_column(sqlite3 *db, const char *table, const char *col)
{
	char *sql = xasprintf("SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'", table, col);
	sqlite3_stmt *st = NULL;
	int n = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	free(sql);
	return n > 0;
}

/*
 * The views as TEMP views (from the schema compiled into this program, so the plots read the
 * definitions they were written for, even on a database written before the views existed),
 * plus the views over columns other branches add (only when the column exists).
 */
static int create_views(struct plot_ctx *c)
{
	static const char key[] = "CREATE VIEW IF NOT EXISTS ";
	const char *p = store_schema_sql();
	int rc = 0;
	c->has_significance = has_column(c->db, "significance", "level");
	while (rc == 0 && (p = strstr(p, key))) {
		const char *end = strchr(p, ';');
		if (!end)
			break;
		static const char sigview[] = "plot_significance ";
		if (!c->has_significance && !strncmp(p + sizeof key - 1, sigview, sizeof sigview - 1)) {
			p = end; /* its table is newer than the database */
			continue;
		}
		char *sql = xasprintf("CREATE TEMP VIEW %.*s", (int)(end - p - (sizeof key - 1)), p + sizeof key - 1);
		char *err = NULL;
		if (sqlite3_exec(c->db, sql, NULL, NULL, &err) != SQLITE_OK)
			rc = diag_error("%s: not a gaiasim results database this version can read (%s)", c->dbpath, err);
		sqlite3_free(err);
		free(sql);
		p = end;
	}
	c->has_test_metric = has_column(c->db, "clocks", "test_metric");
	c->has_threshold = has_column(c->db, "filter_updates", "threshold");
	if (rc == 0 && c->has_test_metric &&
	    sqlite3_exec(c->db, "CREATE TEMP VIEW plot_convergence_test AS SELECT run_id, clock, "
	                 "avg(sim_time_s) AS sim_time_s, avg(test_metric) AS test_metric_mean FROM clocks "
	                 "WHERE test_metric IS NOT NULL GROUP BY run_id, clock", NULL, NULL, NULL) != SQLITE_OK)
		rc = diag_error("%s: cannot create view plot_convergence_test: %s", c->dbpath, sqlite3_errmsg(c->db));
	if (rc == 0 && c->has_threshold &&
	    sqlite3_exec(c->db, "CREATE TEMP VIEW plot_filter_threshold AS SELECT run_id, clock, "
	                 "avg(threshold) AS threshold FROM filter_updates WHERE threshold IS NOT NULL "
	                 "GROUP BY run_id, clock", NULL, NULL, NULL) != SQLITE_OK)
		rc = diag_error("%s: cannot create view plot_filter_threshold: %s", c->dbpath, sqlite3_errmsg(c->db));
	return rc;
}

/* Open path without writing to it and check it is a gaiasim results database. 0 or -1. */
static int open_db(struct plot_ctx *c, const char *path)
{
	c->dbpath = path;
	if (!is_file(path))
		return diag_error("%s: no such results database", path);
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return diag_error("%s: cannot open: %s", path, sqlite3_errmsg(c->db));
	sqlite3_busy_timeout(c->db, 10000);
	sqlite3_stmt *st = NULL;
	int tables = -1, version = 0;
	if (sqlite3_prepare_v2(c->db, "SELECT count(*), (SELECT user_version FROM pragma_user_version) "
	                       "FROM sqlite_master WHERE type = 'table' AND name IN ('runs', 'clocks', "
	                       "'summary', 'wan_bytes', 'filter_updates', 'link_bytes', 'transfers')",
	                       -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		tables = sqlite3_column_int(st, 0);
		version = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	if (tables < 0)
		return diag_error("%s: not an SQLite database (%s)", path, sqlite3_errmsg(c->db));
	if (tables != 7 || version < 1)
		return diag_error("%s: not a gaiasim results database (no runs/clocks/summary tables or "
		                  "user_version %d)", path, version);
	return create_views(c);
}

/* ------------------------------------------------------------------------------------------ */
/* The command                                                                                  */

/* The folder holding the scripts: found as common.gp is, like topologies (lib/datadir.h). */
static const char *find_plotdir(void)
{
	static char buf[4096];
	char searched[2048];
	char *p = datadir_find("GAIASIM_PLOTDIR", "plot", "plot", "common", ".gp", searched,
	                       sizeof searched);
	if (!p) {
		diag_error("cannot find the gnuplot scripts (common.gp) in %s", searched);
		return NULL;
	}
	char *slash = strrchr(p, '/');
	*slash = '\0';
	snprintf(buf, sizeof buf, "%s", p);
	free(p);
	return buf;
}

/* Remove the temporary folder and its files. */
static void cleanup_tmp(struct plot_ctx *c)
{
	if (!c->tmpdir)
		return;
	static const char *ext[] = { "dat", "gp" };
	for (int i = 0; i < c->ntmp; i++)
		for (int e = 0; e < 2; e++) {
			char *p = xasprintf("%s/d%d.%s", c->tmpdir, i, ext[e]);
			unlink(p);
			free(p);
		}
	rmdir(c->tmpdir);
	free(c->tmpdir);
}

/* Parse --run IDs into c->runs_sql. 0 or the usage status. */
static int add_run(struct plot_ctx *c, const char *arg, int *nruns)
{
	char *end;
	errno = 0;
	long long id = strtoll(arg, &end, 10);
	if (errno || *end || end == arg || id <= 0)
		return cmd_usage_error(USAGE, "--run: bad run id '%s' (a positive integer)", arg);
	if (++*nruns > PLOT_MAX_RUNS)
		return cmd_usage_error(USAGE, "--run: at most %d runs", PLOT_MAX_RUNS);
	size_t len = strlen(c->runs_sql);
	if (*nruns == 1)
		snprintf(c->runs_sql, sizeof c->runs_sql, "run_id IN (%lld)", id);
	else
		snprintf(c->runs_sql + len - 1, sizeof c->runs_sql - len + 1, ",%lld)", id);
	return 0;
}

/* The selected runs exist? 0, or -1 naming the first missing one. */
static int check_runs(struct plot_ctx *c)
{
	char *sql = xasprintf("SELECT count(*) FROM runs WHERE %s", c->runs_sql);
	double n = query_double(c, sql);
	free(sql);
	if (!(n > 0))
		return diag_error("%s: no run matches %s", c->dbpath, c->runs_sql);
	return 0;
}

int cmd_plot(int argc, char **argv)
{
	struct plot_ctx c = { .outdir = ".", .format = "png", .runs_sql = "1" };
	int opt, list = 0, nruns = 0, rc;
	const char *only = NULL, *v;
	struct cli_parser P;
	cli_parser_init(&P, &cmd_plot_help, argc, argv);
	while ((opt = cli_next(&P, &v)) != CLI_END) {
		switch (opt) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case 'o': c.outdir = v; break;
		case 'f': c.format = v; break;
		case 'r':
			if ((rc = add_run(&c, v, &nruns)))
				return rc;
			break;
		case 256: only = v; break;
		case 'l': list = 1; break;
		}
	}
	if (list) {
		list_figures(stdout);
		return 0;
	}
	if (optind != argc - 1)
		return cmd_usage_error(USAGE, "expected one results database");
	if (strcmp(c.format, "png") && strcmp(c.format, "pdf") && strcmp(c.format, "svg"))
		return cmd_usage_error(USAGE, "--format: '%s' is not png, pdf or svg", c.format);
	int found = !only;
	for (size_t i = 0; i < NFIGURES && only; i++)
		found |= !strcmp(only, figures[i].name) && figures[i].make;
	if (!found)
		return cmd_usage_error(USAGE, "--only: no available figure '%s' (see plot --list)", only);

	char *gnuplot = find_gnuplot();
	if (!gnuplot) {
		diag_error("gnuplot not found on PATH: install the Debian package %s (apt-get install %s)",
		           GNUPLOT_PACKAGE, GNUPLOT_PACKAGE);
		return 1;
	}
	free(gnuplot);
	rc = 1;
	if (open_db(&c, argv[optind]) < 0 || (nruns && check_runs(&c) < 0) || !(c.gpdir = find_plotdir()))
		goto out;
	if (mkdir(c.outdir, 0777) < 0 && errno != EEXIST) {
		diag_error("cannot create output folder '%s': %s", c.outdir, strerror(errno));
		goto out;
	}
	const char *tmp = getenv("TMPDIR");
	c.tmpdir = xasprintf("%s/gaiasim-plot.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(c.tmpdir)) {
		diag_error("cannot create a temporary folder '%s': %s", c.tmpdir, strerror(errno));
		free(c.tmpdir);
		c.tmpdir = NULL;
		goto out;
	}
	int errors = 0, missing = 0;
	for (size_t i = 0; i < NFIGURES; i++) {
		const struct figure *f = &figures[i];
		if (!f->make || (only && strcmp(only, f->name)))
			continue;
		int r = f->make(&c, f);
		errors += r == FIG_ERROR;
		missing += r == FIG_NO_DATA;
	}
	if (missing)
		fprintf(stderr, "gaiasim plot: %d figure(s) not made for lack of data (see above); "
		        "%d file(s) written\n", missing, c.made);
	rc = errors || c.made == 0 ? 1 : 0;
out:
	cleanup_tmp(&c);
	if (c.db)
		sqlite3_close(c.db);
	return rc;
}

static void plot_figures_help(FILE *out)
{
	fprintf(out, "\nfigures (docs/plots.md):\n");
	list_figures(out);
}
