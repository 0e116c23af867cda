/*
 * Subcommands of the gaiasim program. Each lives beside the module it drives and returns the
 * process exit status: 0 success, 1 failure (bad input, I/O error), 2 bad command line.
 */
#ifndef GAIA_CMD_H
#define GAIA_CMD_H

#include <stdio.h>

struct cli_help;

struct cmd_entry {
	const char *name;                  /* subcommand word */
	const char *summary;               /* one line for `gaiasim help` */
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand word */
	const struct cli_help *const *helps; /* its option tables (one per subcommand), NULL-ended */
};

/* Each command's options and help text (cli/opt.h), beside the command. */
extern const struct cli_help cmd_run_help, cmd_compare_help, cmd_keys_help, cmd_net_help,
	cmd_topo_show_help, cmd_topo_check_help, cmd_trace_gen_help, cmd_trace_check_help,
	cmd_plot_help, cmd_merge_help, cmd_reproduce_help, cmd_corpus_help, cmd_emu_mesh_help,
	cmd_emu_run_help, cmd_emu_node_help, cmd_summary_help;
int cmd_keys(int argc, char **argv);   /* cli/cmd_run.c */
/* The configuration keys as man-page paragraphs (cli/cmd_run.c). */
void cmd_keys_man(FILE *out);

int cmd_topo(int argc, char **argv);   /* cli/cmd_topo.c */
int cmd_trace(int argc, char **argv);  /* cli/cmd_trace.c */
int cmd_net(int argc, char **argv);    /* cli/cmd_net.c */
int cmd_run(int argc, char **argv);    /* cli/cmd_run.c */
int cmd_compare(int argc, char **argv); /* cli/cmd_run.c */
int cmd_emu(int argc, char **argv);    /* cli/cmd_emu.c */
int cmd_plot(int argc, char **argv);   /* cli/cmd_plot.c */
int cmd_corpus(int argc, char **argv); /* cli/cmd_corpus.c */
int cmd_merge(int argc, char **argv);  /* cli/cmd_merge.c */
int cmd_reproduce(int argc, char **argv); /* cli/cmd_reproduce.c */
int cmd_summary(int argc, char **argv); /* cli/cmd_summary.c */

/*
 * Merge inputs[0..n-1] into the results database out_path (cli/cmd_merge.c): all or nothing,
 * and no out_path left behind by a refused merge that created it. quiet: no summary line.
 * Returns the exit status (0 or 1).
 */
int cmd_merge_files(const char *out_path, const char *const *inputs, int n, int quiet);

/*
 * 1 if path names a results database file. SQLite takes "" and ":memory:" as private temporary
 * databases that vanish at close, and "file:" as a URI: results given such a --db would be
 * lost without a word, so the commands refuse them.
 */
int cmd_db_path_ok(const char *path);
#define CMD_DB_PATH_RULE "want a file path such as results/run.db (not empty, :memory: or a file: URI)"

/* Print "gaiasim: MSG" and a usage hint to stderr; returns 2 (the bad-command-line status). */
int cmd_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
