/*
 * gaiasim reproduce: the paper's evaluation in one command (docs/reproduce.md). Each entry of
 * the experiment matrix (cli/matrix.h) is one `gaiasim compare ... --db DIR/runs/NAME.db`
 * process, N at a time; entries whose database already holds their complete runs (from the
 * same command line, DIR/runs/NAME.cmd) are skipped, so an interrupted reproduction resumes
 * without losing or repeating a run. Then every entry's database is merged into
 * DIR/results.db (rebuilt each time), `gaiasim plot` draws DIR/figures, and DIR/REPORT.md sets
 * the simulation's numbers, all queried from results.db, beside the paper's headline claims.
 * With --jobs FILE the matrix is written as a job list instead (one self-contained shell
 * command per entry) for GNU parallel or a Slurm array.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/matrix.h"
#include "lib/datadir.h"
#include "lib/diag.h"
#include "lib/version.h"
#include "lib/wallclock.h"
#include "lib/xmalloc.h"

#ifndef GAIASIM_SRC_MATRIX
#define GAIASIM_SRC_MATRIX "workloads/paper/matrix.txt"
#endif

#define REPRO_USAGE_TEXT "reproduce [--quick] [--out DIR] [-j N] [--jobs FILE] [--matrix FILE]"
static const char REPRO_USAGE[] = "gaiasim " REPRO_USAGE_TEXT;

#define REPRO_MAX_JOBS 256 /* most compare processes at once */

/* Command line. */
struct ropts {
	int quick;            /* --quick: the reduced matrix */
	const char *out;      /* --out DIR */
	int jobs;             /* -j N: processes at once */
	const char *jobfile;  /* --jobs FILE: write the job list, run nothing */
	const char *matrix;   /* --matrix FILE */
};

/* One entry's files and command. */
struct job {
	const struct matrix_entry *e; /* the experiment */
	char *db;             /* DIR/runs/NAME.db */
	char *cmdfile;        /* DIR/runs/NAME.cmd: the command line that made db */
	char *txt;            /* DIR/runs/NAME.txt: compare's table (stdout) */
	char *log;            /* DIR/runs/NAME.log: compare's messages (stderr) */
	char **argv;          /* compare's argument vector, NULL-terminated */
	char *cmd;            /* argv as one shell command line */
	pid_t pid;            /* running process, 0 none */
	double t0;            /* wall-clock start, s */
	int status;           /* -1 not run, else the exit status */
};

static volatile sig_atomic_t stop_signal; /* SIGINT/SIGTERM received */

static void on_signal(int sig)
{
	stop_signal = sig;
}

static const struct cli_opt repro_opts[] = {
	{ "quick", 256, NULL, "the reduced matrix (+quick lines, @quick overrides)" },
	{ "out", 257, "DIR", "output folder (default reproduction)" },
	{ "jobs", 258, "FILE", "write the matrix as a job list (GNU parallel, Slurm) instead of running" },
	{ "matrix", 259, "FILE", "the experiment matrix (default: the shipped workloads/paper/matrix.txt)" },
	{ "parallel", 'j', "N", "run N experiments at once" },
	{ NULL, 0, NULL, NULL },
};

const struct cli_help cmd_reproduce_help = {
	.cmd = "reproduce",
	.usage = REPRO_USAGE_TEXT,
	.about = "Run the paper's experiment matrix (one gaiasim compare per experiment, resumable),\n"
	         "merge the runs, draw the figures and write REPORT.md (docs/reproduce.md).",
	.opts = repro_opts,
};

static int parse_opts(int argc, char **argv, struct ropts *o)
{
	memset(o, 0, sizeof *o);
	o->out = "reproduction";
	o->jobs = 1;
	const char *env = getenv("GAIASIM_MATRIX");
	static char *found; /* the matrix found by name (lib/datadir.h), kept for the process */
	if (!(env && *env) && !found)
		found = datadir_find(NULL, "workloads/paper", "workloads/paper", "matrix", ".txt",
		                     NULL, 0);
	o->matrix = env && *env ? env : found ? found : GAIASIM_SRC_MATRIX;
	struct cli_parser P;
	cli_parser_init(&P, &cmd_reproduce_help, argc, argv);
	int ch;
	const char *v;
	while ((ch = cli_next(&P, &v)) != CLI_END) {
		switch (ch) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case 256: o->quick = 1; break;
		case 257: o->out = v; break;
		case 258: o->jobfile = v; break;
		case 259: o->matrix = v; break;
		case 'j': {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end || end == v || n < 1 || n > REPRO_MAX_JOBS)
				return cmd_usage_error(REPRO_USAGE, "reproduce: -j '%s': want 1 to %d", v,
				                       REPRO_MAX_JOBS);
			o->jobs = (int)n;
			break;
		}
		}
	}
	if (optind < argc)
		return cmd_usage_error(REPRO_USAGE, "reproduce: unexpected argument '%s'", argv[optind]);
	if (!*o->out)
		return cmd_usage_error(REPRO_USAGE, "reproduce: --out wants a folder");
	return -1;
}

/* ---- files ---------------------------------------------------------------------------- */

static int mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST) {
				diag_error("%s: cannot create: %s", p, strerror(errno));
				free(p);
				return -1;
			}
			*s = '/';
		}
	int rc = 0;
	if (mkdir(p, 0777) != 0 && errno != EEXIST)
		rc = diag_error("%s: cannot create: %s", p, strerror(errno));
	free(p);
	return rc;
}

/* path made absolute against the current folder (not normalized); NULL with a message. */
static char *abs_path(const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd)) {
		diag_error("%s: cannot find the current folder: %s", path, strerror(errno));
		return NULL;
	}
	return xasprintf("%s/%s", cwd, path);
}

/* Remove a database with its WAL and shared-memory files. */
static void remove_db(const char *path)
{
	char *aux;
	unlink(path);
	aux = xasprintf("%s-wal", path);
	unlink(aux);
	free(aux);
	aux = xasprintf("%s-shm", path);
	unlink(aux);
	free(aux);
}

/* Whole file into a string (NULL if unreadable). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = 0, cap = 4096;
	char *buf = xmalloc(cap);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n < 2)
			buf = xrealloc(buf, cap *= 2);
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Write text to path through a temporary file renamed into place. 0 or -1. */
static int write_file(const char *path, const char *text)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int rc = -1;
	if (f && fputs(text, f) >= 0 && fclose(f) == 0) {
		f = NULL;
		if (rename(tmp, path) == 0)
			rc = 0;
	}
	if (rc < 0) {
		diag_error("%s: cannot write: %s", path, strerror(errno));
		if (f)
			fclose(f);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* ---- commands ------------------------------------------------------------------------- */

/* s quoted for the POSIX shell ('...' with ' written as '\''), appended to *buf. */
static void shell_quote(char **buf, const char *s)
{
	size_t len = strlen(*buf), extra = 3;
	for (const char *p = s; *p; p++)
		extra += *p == '\'' ? 4 : 1;
	*buf = xrealloc(*buf, len + extra + 1);
	char *d = *buf + len;
	*d++ = '\'';
	for (const char *p = s; *p; p++)
		if (*p == '\'') {
			memcpy(d, "'\\''", 4);
			d += 4;
		} else {
			*d++ = *p;
		}
	*d++ = '\'';
	*d = '\0';
}

static void job_free(struct job *j)
{
	free(j->db);
	free(j->cmdfile);
	free(j->txt);
	free(j->log);
	if (j->argv)
		for (char **a = j->argv; *a; a++)
			free(*a);
	free(j->argv);
	free(j->cmd);
}

/* Fill a job: its files under runs (absolute) and its compare command. */
static int job_init(struct job *j, const struct matrix_entry *e, const char *self, const char *runs)
{
	memset(j, 0, sizeof *j);
	j->e = e;
	j->status = -1;
	j->db = xasprintf("%s/%s.db", runs, e->name);
	j->cmdfile = xasprintf("%s/%s.cmd", runs, e->name);
	j->txt = xasprintf("%s/%s.txt", runs, e->name);
	j->log = xasprintf("%s/%s.log", runs, e->name);
	char *config = abs_path(e->config);
	if (!config)
		return -1;
	int n = 0;
	j->argv = xcalloc((size_t)(10 + 2 * e->nsets), sizeof *j->argv);
	j->argv[n++] = xstrdup(self);
	j->argv[n++] = xstrdup("compare");
	j->argv[n++] = config;
	j->argv[n++] = xstrdup("--sync");
	j->argv[n++] = xstrdup(e->sync);
	j->argv[n++] = xstrdup("--label");
	j->argv[n++] = xstrdup(e->name);
	for (int i = 0; i < e->nsets; i++) {
		j->argv[n++] = xstrdup("--set");
		j->argv[n++] = xstrdup(e->sets[i]);
	}
	j->argv[n++] = xstrdup("--db");
	j->argv[n++] = xstrdup(j->db);
	j->cmd = xstrdup("");
	for (int i = 0; i < n; i++) {
		if (i) {
			size_t l = strlen(j->cmd);
			j->cmd = xrealloc(j->cmd, l + 2);
			strcpy(j->cmd + l, " ");
		}
		shell_quote(&j->cmd, j->argv[i]);
	}
	return 0;
}

/*
 * Does the entry's database hold its complete runs, made by this very command? One complete
 * run labelled NAME/MODEL per model and no other run, and NAME.cmd equal to the command.
 */
static int job_complete(const struct job *j)
{
	char *cmd = slurp(j->cmdfile);
	size_t len = strlen(j->cmd);
	int same = cmd && !strncmp(cmd, j->cmd, len) && !strcmp(cmd + len, "\n");
	free(cmd);
	if (!same || access(j->db, R_OK) != 0)
		return 0;
	sqlite3 *db = NULL;
	int ok = 0;
	if (sqlite3_open_v2(j->db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(db, 10000);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db,
		                       "SELECT count(*), count(DISTINCT label) FROM runs"
		                       " WHERE status = 'complete'", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			ok = sqlite3_column_int(st, 0) == j->e->nmodels &&
			     sqlite3_column_int(st, 1) == j->e->nmodels;
		sqlite3_finalize(st);
		for (int m = 0; m < j->e->nmodels && ok; m++) {
			char *label = xasprintf("%s/%s", j->e->name, j->e->models[m]);
			ok = 0;
			if (sqlite3_prepare_v2(db, "SELECT count(*) FROM runs WHERE status = 'complete'"
			                       " AND label = ?1", -1, &st, NULL) == SQLITE_OK) {
				sqlite3_bind_text(st, 1, label, -1, SQLITE_TRANSIENT);
				ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
			}
			sqlite3_finalize(st);
			free(label);
		}
	}
	sqlite3_close(db);
	return ok;
}

/* Path of the running program (for the compare and plot processes and the job list). */
static char *self_path(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0) {
		diag_error("reproduce: cannot find the running program (/proc/self/exe): %s", strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	return xstrdup(buf);
}

/* Start argv with stdout to out_path and stderr to err_path; pid or -1. */
static pid_t spawn(char *const *argv, const char *out_path, const char *err_path)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		diag_error("reproduce: cannot start a process: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		return pid;
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* no orphan keeps writing if reproduce dies */
#endif
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	int fe = strcmp(out_path, err_path) ? open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0666) : dup(fo);
	if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
		_exit(127);
	close(fo);
	close(fe);
	execv(argv[0], argv);
	_exit(127);
}

/* Exit status of a waited process (128 + signal when killed). */
static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* ---- running the matrix ---------------------------------------------------------------- */

struct runner {
	struct job **todo;    /* jobs to run */
	int ntodo;            /* number of them */
	int next;             /* next to start */
	int running;          /* processes running */
	int done;             /* finished */
	int failed;           /* finished with a non-zero status */
	int tty;              /* progress on stderr */
	double t0;            /* wall-clock start, s */
};

static void progress(const struct runner *r, const char *what, const struct job *j)
{
	if (!r->tty)
		return;
	fprintf(stderr, "\rreproduce: %d/%d done, %d running, %d failed  %s %-24s %6.1f s   ",
	        r->done, r->ntodo, r->running, r->failed, what, j ? j->e->name : "",
	        wallclock_s() - r->t0);
	fflush(stderr);
}

static int start_job(struct runner *r, struct job *j)
{
	remove_db(j->db);
	char *text = xasprintf("%s\n", j->cmd);
	int rc = write_file(j->cmdfile, text);
	free(text);
	if (rc < 0)
		return -1;
	j->pid = spawn(j->argv, j->txt, j->log);
	if (j->pid < 0)
		return -1;
	j->t0 = wallclock_s();
	r->running++;
	progress(r, "started", j);
	return 0;
}

/* Stop every running process (SIGTERM) and wait for them. */
static void stop_all(struct runner *r)
{
	for (int i = 0; i < r->next; i++)
		if (r->todo[i]->pid > 0)
			kill(r->todo[i]->pid, SIGTERM);
	for (int i = 0; i < r->next; i++)
		if (r->todo[i]->pid > 0) {
			int st;
			while (waitpid(r->todo[i]->pid, &st, 0) < 0 && errno == EINTR)
				;
			r->todo[i]->pid = 0;
		}
}

/* Run the jobs, at most `jobs` at once. 0 when all ran (some may have failed), -1 stopped. */
static int run_jobs(struct runner *r, int jobs)
{
	r->t0 = wallclock_s();
	while (r->next < r->ntodo || r->running > 0) {
		while (!stop_signal && r->running < jobs && r->next < r->ntodo)
			if (start_job(r, r->todo[r->next++]) < 0) {
				stop_all(r);
				return -1;
			}
		if (stop_signal) {
			stop_all(r);
			if (r->tty)
				fputc('\n', stderr);
			return diag_error("reproduce: stopped by signal %d; run the same command again to"
			                  " resume", (int)stop_signal);
		}
		int st;
		pid_t pid = waitpid(-1, &st, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			return diag_error("reproduce: wait: %s", strerror(errno));
		}
		for (int i = 0; i < r->next; i++) {
			struct job *j = r->todo[i];
			if (j->pid != pid)
				continue;
			j->pid = 0;
			j->status = exit_code(st);
			r->running--;
			r->done++;
			if (j->status)
				r->failed++;
			progress(r, j->status ? "FAILED" : "finished", j);
		}
	}
	if (r->tty)
		fputc('\n', stderr);
	return 0;
}

/* ---- the report ------------------------------------------------------------------------ */

/*
 * The training runs of the matrix, one row per run: the experiment (the label's part before
 * '/'), its group (the experiment name's part before the first '-'), the model, and the
 * summary numbers. Every query of the report starts with this.
 */
#define REPORT_RUNS \
	"WITH e AS (SELECT r.run_id, substr(r.label, 1, instr(r.label, '/') - 1) AS entry," \
	" substr(r.label, instr(r.label, '/') + 1) AS model, r.config_text," \
	" s.time_to_target_s AS t, s.wan_bytes, s.share_filter_sent AS share," \
	" s.share_below_1pct AS below1" \
	" FROM runs r JOIN summary s USING (run_id)" \
	" WHERE r.status = 'complete' AND r.kind = 'compare' AND instr(r.label, '/') > 1)," \
	" g AS (SELECT *, CASE WHEN instr(entry, '-') > 0 THEN substr(entry, 1, instr(entry, '-') - 1)" \
	" ELSE entry END AS grp FROM e) "

/* A headline claim of the paper (GAIA.md) and the query that measures it here. */
struct claim {
	const char *what;     /* the claim */
	const char *paper;    /* the paper's figure, as text */
	double lo, hi;        /* the paper's range, as a number (ratio or fraction) */
	int percent;          /* 1: values are fractions shown as percent */
	const char *runs;     /* which runs, in words */
	const char *sql;      /* after REPORT_RUNS: one row min, max, count */
};

static const struct claim claims[] = {
	{ "Slowdown of the baseline (BSP) on the WAN against the same baseline on a LAN",
	  "up to 53.7x", 1, 53.7, 0, "bsp / lan time to target, experiments of group `motivation`",
	  "SELECT min(b.t / l.t), max(b.t / l.t), count(b.t / l.t) FROM g b JOIN g l USING (entry)"
	  " WHERE b.grp = 'motivation' AND b.model = 'bsp' AND l.model = 'lan'" },
	{ "Gaia's speedup over the baseline (BSP)", "1.8x - 53.5x", 1.8, 53.5, 0,
	  "bsp / gaia time to target, experiments of group `main`",
	  "SELECT min(b.t / x.t), max(b.t / x.t), count(b.t / x.t) FROM g b JOIN g x USING (entry)"
	  " WHERE b.grp = 'main' AND b.model = 'bsp' AND x.model = 'gaia'" },
	{ "Gaia's time relative to LAN", "0.94x - 1.40x", 0.94, 1.40, 0,
	  "gaia / lan time to target, experiments of group `main`",
	  "SELECT min(x.t / l.t), max(x.t / l.t), count(x.t / l.t) FROM g x JOIN g l USING (entry)"
	  " WHERE x.grp = 'main' AND x.model = 'gaia' AND l.model = 'lan'" },
	{ "Updates that change a parameter by less than 1%",
	  "> 95%", 0.95, 1, 1,
	  "share of single-clock updates with |update / value| < 1% (summary.share_below_1pct),"
	  " gaia runs with a constant 1% threshold",
	  "SELECT min(below1), max(below1), count(below1) FROM g WHERE model = 'gaia'"
	  " AND instr(char(10) || config_text, char(10) || 'gaia.schedule = constant' || char(10)) > 0"
	  " AND instr(char(10) || config_text, char(10) || 'gaia.threshold = 0.01' || char(10)) > 0" },
};
#define NCLAIMS (sizeof claims / sizeof claims[0])

/* A value as the report prints it: "12.34x" or "56.7%". */
static void fmt_value(char *buf, size_t n, double v, int percent)
{
	if (percent)
		snprintf(buf, n, "%.1f%%", 100 * v);
	else
		snprintf(buf, n, "%.2fx", v);
}

/* The sentence on agreement: generated from the numbers. */
static void verdict(FILE *o, const struct claim *c, double mn, double mx, long long n)
{
	char a[32], b[32];
	if (n == 0) {
		fprintf(o, "No measurement: no pair of runs of this kind reached the target (or the"
		        " matrix has none).");
		return;
	}
	if (mn >= c->lo && mx <= c->hi) {
		fprintf(o, "Agrees: every value measured here lies inside the paper's range.");
		return;
	}
	fprintf(o, "Disagrees:");
	if (mx > c->hi) {
		fmt_value(a, sizeof a, mx, c->percent);
		fmt_value(b, sizeof b, c->hi, c->percent);
		if (c->percent)
			fprintf(o, " the largest value here, %s, is %.1f percentage points above the paper's %s.",
			        a, 100 * (mx - c->hi), b);
		else
			fprintf(o, " the largest value here, %s, is %.2f times the paper's upper end %s.", a,
			        mx / c->hi, b);
	}
	if (mn < c->lo) {
		fmt_value(a, sizeof a, mn, c->percent);
		fmt_value(b, sizeof b, c->lo, c->percent);
		if (c->percent)
			fprintf(o, " the smallest value here, %s, is %.1f percentage points below the paper's %s.",
			        a, 100 * (c->lo - mn), b);
		else
			fprintf(o, " the smallest value here, %s, is %.2f times below the paper's lower end %s.",
			        a, c->lo / mn, b);
	}
	fprintf(o, " docs/paper-comparison.md explains why (compute per clock, share of significant"
	        " updates, problem size).");
}

static int report_claims(FILE *o, sqlite3 *db)
{
	fprintf(o, "## The paper's headline claims\n\n"
	        "| claim | paper | this simulation | pairs | runs measured |\n|---|---|---|---|---|\n");
	double mn[NCLAIMS], mx[NCLAIMS];
	long long n[NCLAIMS];
	for (size_t i = 0; i < NCLAIMS; i++) {
		char *sql = xasprintf("%s%s", REPORT_RUNS, claims[i].sql);
		sqlite3_stmt *st;
		int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		free(sql);
		if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
			diag_error("reproduce: report query failed: %s", sqlite3_errmsg(db));
			sqlite3_finalize(st);
			return -1;
		}
		n[i] = sqlite3_column_int64(st, 2);
		mn[i] = sqlite3_column_double(st, 0);
		mx[i] = sqlite3_column_double(st, 1);
		sqlite3_finalize(st);
		char a[32], b[32], v[80];
		fmt_value(a, sizeof a, mn[i], claims[i].percent);
		fmt_value(b, sizeof b, mx[i], claims[i].percent);
		if (n[i] == 0)
			snprintf(v, sizeof v, "-");
		else if (n[i] == 1)
			snprintf(v, sizeof v, "%s", a);
		else
			snprintf(v, sizeof v, "%s - %s", a, b);
		fprintf(o, "| %s | %s | %s | %lld | %s |\n", claims[i].what, claims[i].paper, v, n[i],
		        claims[i].runs);
	}
	fprintf(o, "\n");
	for (size_t i = 0; i < NCLAIMS; i++) {
		fprintf(o, "- **%s.** ", claims[i].what);
		verdict(o, &claims[i], mn[i], mx[i], n[i]);
		fprintf(o, "\n");
	}
	fprintf(o, "\n");
	return 0;
}

/* Print a double column, or "-" when NULL. */
static void cell(FILE *o, sqlite3_stmt *st, int col, const char *fmt)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		fprintf(o, " - |");
	else {
		fputc(' ', o);
		fprintf(o, fmt, sqlite3_column_double(st, col));
		fprintf(o, " |");
	}
}

static int report_tables(FILE *o, sqlite3 *db)
{
	static const char q[] =
		"SELECT x.grp, x.entry, x.model, x.t, b.t / x.t, x.t / l.t, x.wan_bytes, x.share"
		" FROM g x LEFT JOIN g b ON b.entry = x.entry AND b.model = 'bsp'"
		" LEFT JOIN g l ON l.entry = x.entry AND l.model = 'lan' ORDER BY x.run_id";
	char *sql = xasprintf("%s%s", REPORT_RUNS, q);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return diag_error("reproduce: report query failed: %s", sqlite3_errmsg(db));
	fprintf(o, "## Every run, by experiment group\n\n"
	        "Time to target is simulated seconds to the experiment's common target objective"
	        " (`-`: not reached); speedup is the experiment's bsp time over the run's; ratio to"
	        " LAN is the run's time over the experiment's lan time.\n");
	char grp[MATRIX_NAME_MAX + 1] = "";
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *g = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(g, grp)) {
			snprintf(grp, sizeof grp, "%s", g);
			fprintf(o, "\n### Group `%s`\n\n| experiment | model | time to target, s |"
			        " speedup vs bsp | ratio to lan | WAN bytes | updates sent |\n"
			        "|---|---|---|---|---|---|---|\n", grp);
		}
		fprintf(o, "| %s | %s |", sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
		cell(o, st, 3, "%.3f");
		cell(o, st, 4, "%.2f");
		cell(o, st, 5, "%.2f");
		cell(o, st, 6, "%.0f");
		cell(o, st, 7, "%.4f");
		fputc('\n', o);
	}
	sqlite3_finalize(st);
	fprintf(o, "\n");
	return rc == SQLITE_DONE ? 0 : diag_error("reproduce: report query failed: %s", sqlite3_errmsg(db));
}

static void report_assumptions(FILE *o, sqlite3 *db, const struct matrix *m, const struct ropts *opt)
{
	fprintf(o, "## Assumptions in force\n\n"
	        "- Matrix: `%s`%s. Each experiment is `gaiasim compare CONFIG --sync MODELS"
	        " --label NAME --set ...`; its runs are labelled NAME/MODEL.\n", m->path,
	        opt->quick ? " with `--quick` (the reduced matrix)" : " (the full matrix)");
	if (opt->quick && m->nquick_sets) {
		fprintf(o, "- `--quick` adds to every experiment:");
		for (int i = 0; i < m->nquick_sets; i++)
			fprintf(o, " `%s`", m->quick_sets[i]);
		fprintf(o, ".\n");
	}
	fprintf(o, "- `net.bw_scale = F` multiplies every WAN link's bandwidth by F (LANs, latencies"
	        " and prices unchanged; docs/config-format.md).\n"
	        "- The target objective of each experiment comes from its LAN reference run"
	        " (docs/sync-models.md), so times compare within an experiment, not across.\n\n"
	        "| experiment | config | models | overrides |\n|---|---|---|---|\n");
	for (int i = 0; i < m->n; i++) {
		const struct matrix_entry *e = &m->e[i];
		fprintf(o, "| %s | `%s` | %s |", e->name, e->config, e->sync);
		for (int k = 0; k < e->nsets; k++)
			fprintf(o, " `%s`", e->sets[k]);
		fprintf(o, "%s |\n", e->nsets ? "" : " -");
	}
	fprintf(o, "\nInputs recorded in results.db:\n\n| topology | SHA-256 (first 12) | program | runs | wall-clock s |\n"
	        "|---|---|---|---|---|\n");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
	                       "SELECT topology_name, substr(topology_sha256, 1, 12), program_version,"
	                       " count(*), sum(wall_s) FROM runs WHERE status = 'complete'"
	                       " GROUP BY 1, 2, 3 ORDER BY 1", -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW)
			fprintf(o, "| %s | %s | %s | %d | %.1f |\n", sqlite3_column_text(st, 0),
			        sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
			        sqlite3_column_int(st, 3), sqlite3_column_double(st, 4));
	sqlite3_finalize(st);
	fprintf(o, "\n");
}

static int write_report(const char *dir, const char *results, const struct matrix *m,
                        const struct ropts *opt, int plot_status)
{
	sqlite3 *db = NULL;
	/* read-write (nothing is written) so that closing checkpoints and removes the WAL file */
	if (sqlite3_open_v2(results, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		diag_error("%s: cannot open: %s", results, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	char *path = xasprintf("%s/REPORT.md", dir), *tmp = xasprintf("%s.tmp", path);
	FILE *o = fopen(tmp, "w");
	int rc = -1;
	if (!o) {
		diag_error("%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	fprintf(o, "# Reproducing the Gaia paper's evaluation with gaiasim\n\n"
	        "Written by `gaiasim reproduce` (%s). Every number below is the result of an SQL"
	        " query on `results.db` in this folder (the queries are in cli/cmd_reproduce.c and"
	        " docs/reproduce.md). The paper's figures are from K. Hsieh et al., NSDI 2017, as"
	        " summarized in the project's GAIA.md. Figures: `figures/`%s.\n\n",
	        gaiasim_version(), plot_status ? " (**not made**: see figures.log)" : "");
	if (report_claims(o, db) < 0 || report_tables(o, db) < 0)
		goto out;
	report_assumptions(o, db, m, opt);
	if (fclose(o) != 0) {
		o = NULL;
		diag_error("%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	o = NULL;
	if (rename(tmp, path) != 0) {
		diag_error("%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (o)
		fclose(o);
	if (rc < 0)
		unlink(tmp);
	sqlite3_close(db);
	free(path);
	free(tmp);
	return rc;
}

/* ---- the command ----------------------------------------------------------------------- */

/* Append s to the string *buf (reallocated). */
static void append(char **buf, const char *s)
{
	char *t = xasprintf("%s%s", *buf, s);
	free(*buf);
	*buf = t;
}

/*
 * One line per entry, self-contained: stamp NAME.cmd, start from no database, run compare with
 * its table in NAME.txt and its messages in NAME.log.
 */
static int write_joblist(const char *file, struct job *jobs, int n)
{
	char *text = xstrdup("");
	for (int i = 0; i < n; i++) {
		char *wal = xasprintf("%s-wal", jobs[i].db), *shm = xasprintf("%s-shm", jobs[i].db);
		append(&text, "printf '%s\\n' ");
		shell_quote(&text, jobs[i].cmd);
		append(&text, " > ");
		shell_quote(&text, jobs[i].cmdfile);
		append(&text, " && rm -f ");
		shell_quote(&text, jobs[i].db);
		append(&text, " ");
		shell_quote(&text, wal);
		append(&text, " ");
		shell_quote(&text, shm);
		append(&text, " && ");
		append(&text, jobs[i].cmd);
		append(&text, " > ");
		shell_quote(&text, jobs[i].txt);
		append(&text, " 2> ");
		shell_quote(&text, jobs[i].log);
		append(&text, "\n");
		free(wal);
		free(shm);
	}
	int rc = write_file(file, text);
	free(text);
	return rc;
}

int cmd_reproduce(int argc, char **argv)
{
	struct ropts opt;
	int rc = parse_opts(argc, argv, &opt);
	if (rc >= 0)
		return rc;
	struct matrix *m = matrix_load(opt.matrix);
	if (!m)
		return 1;
	if (opt.quick)
		matrix_select_quick(m);
	if (m->n == 0) {
		matrix_free(m);
		diag_error("%s: no experiment is marked +quick", opt.matrix);
		return 1;
	}
	int status = 1, njobs = 0;
	struct job *jobs = xcalloc((size_t)m->n, sizeof *jobs);
	char *self = self_path(), *dir = NULL, *runs = NULL, *results = NULL;
	if (!self || mkdir_p(opt.out) < 0 || !(dir = abs_path(opt.out)))
		goto out;
	runs = xasprintf("%s/runs", dir);
	results = xasprintf("%s/results.db", dir);
	if (mkdir_p(runs) < 0)
		goto out;
	for (int i = 0; i < m->n; i++) {
		njobs = i + 1; /* job_free() cleans up a half-filled job too */
		if (job_init(&jobs[i], &m->e[i], self, runs) < 0)
			goto out;
	}
	if (opt.jobfile) {
		status = write_joblist(opt.jobfile, jobs, njobs) < 0 ? 1 : 0;
		goto out;
	}
	struct runner r = { .tty = isatty(STDERR_FILENO) };
	r.todo = xcalloc((size_t)njobs, sizeof *r.todo);
	int skipped = 0;
	for (int i = 0; i < njobs; i++)
		if (job_complete(&jobs[i]))
			skipped++;
		else
			r.todo[r.ntodo++] = &jobs[i];
	if (r.tty)
		fprintf(stderr, "reproduce: %d experiments, %d already complete, %d to run, %d at a time\n",
		        njobs, skipped, r.ntodo, opt.jobs);
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = run_jobs(&r, opt.jobs);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(r.todo);
	if (rc < 0)
		goto out;
	int bad = 0;
	for (int i = 0; i < njobs; i++)
		if (!job_complete(&jobs[i])) {
			diag_error("reproduce: experiment '%s' (%s:%ld) did not complete (exit %d); see %s",
			           jobs[i].e->name, m->path, jobs[i].e->line, jobs[i].status, jobs[i].log);
			bad++;
		}
	if (bad) {
		diag_error("reproduce: %d of %d experiments failed; nothing merged", bad, njobs);
		goto out;
	}
	remove_db(results);
	const char **inputs = xcalloc((size_t)njobs, sizeof *inputs);
	for (int i = 0; i < njobs; i++)
		inputs[i] = jobs[i].db;
	rc = cmd_merge_files(results, inputs, njobs, 1);
	free(inputs);
	if (rc != 0)
		goto out;
	char *figures = xasprintf("%s/figures", dir), *plog = xasprintf("%s/figures.log", dir);
	char *pargv[] = { self, "plot", results, "--out", figures, NULL };
	pid_t pid = spawn(pargv, plog, plog);
	int plot_status = 1, st;
	if (pid > 0) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		plot_status = exit_code(st);
	}
	free(figures);
	if (plot_status)
		diag_error("reproduce: gaiasim plot failed (exit %d); see %s", plot_status, plog);
	free(plog);
	if (write_report(dir, results, m, &opt, plot_status) < 0)
		goto out;
	if (r.tty)
		fprintf(stderr, "reproduce: wrote %s/REPORT.md, %s, %s/figures\n", dir, results, dir);
	status = plot_status ? 1 : 0;
out:
	for (int i = 0; i < njobs; i++)
		job_free(&jobs[i]);
	free(jobs);
	free(self);
	free(dir);
	free(runs);
	free(results);
	matrix_free(m);
	return status;
}
