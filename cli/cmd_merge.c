/*
 * gaiasim merge OUT.db IN.db...: combine results databases (results/merge.h) in one
 * transaction. Refused whole, with nothing written (and no OUT left behind if it did not
 * exist), when an input is missing, not a gaiasim database, damaged, of another schema
 * version, or holds a run OUT already has. Incomplete runs are skipped with a note.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "results/merge.h"
#include "results/store.h"

static const char MERGE_USAGE[] = "gaiasim merge OUT.db IN.db [IN.db ...]";

/* Remove a database file created by this command, with its WAL and shared-memory files. */
static void remove_db(const char *path)
{
	char aux[4096];
	unlink(path);
	snprintf(aux, sizeof aux, "%s-wal", path);
	unlink(aux);
	snprintf(aux, sizeof aux, "%s-shm", path);
	unlink(aux);
}

int cmd_merge_files(const char *out_path, const char *const *inputs, int n, int quiet)
{
	struct stat sb;
	int existed = stat(out_path, &sb) == 0;
	/* Inputs are checked before OUT is opened, so a bad input creates no OUT. */
	for (int i = 0; i < n; i++)
		if (merge_check_input(inputs[i]) < 0) {
			fprintf(stderr, "gaiasim: nothing merged into %s\n", out_path);
			return 1;
		}
	struct store *out = store_open(out_path);
	if (!out) {
		if (!existed)
			remove_db(out_path);
		fprintf(stderr, "gaiasim: nothing merged into %s\n", out_path);
		return 1;
	}
	struct merge_stats st;
	int rc = merge_runs(out, out_path, inputs, n, &st);
	store_close(out);
	if (rc < 0) {
		if (!existed)
			remove_db(out_path);
		return 1;
	}
	if (!quiet)
		printf("merged %d runs (%lld rows) from %d files into %s; %d incomplete runs skipped\n",
		       st.runs_copied, st.rows_copied, n, out_path, st.runs_skipped);
	return 0;
}

static const struct cli_opt merge_opts[] = { { NULL, 0, NULL, NULL } };

const struct cli_help cmd_merge_help = {
	.cmd = "merge",
	.usage = "merge OUT.db IN.db [IN.db ...]",
	.about = "Copy every complete run of the IN databases into OUT (created if missing) in one\n"
	         "transaction; a run already in OUT (same identity) is not copied twice\n"
	         "(docs/results-schema.md).",
	.opts = merge_opts,
};

int cmd_merge(int argc, char **argv)
{
	struct cli_parser P;
	cli_parser_init(&P, &cmd_merge_help, argc, argv);
	const char *v;
	int ch = cli_next(&P, &v);
	if (ch == CLI_HELP)
		return 0;
	if (ch == CLI_ERROR)
		return 2;
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 3)
		return cmd_usage_error(MERGE_USAGE, "merge: want OUT.db and at least one IN.db");
	if (!cmd_db_path_ok(argv[1]))
		return cmd_usage_error(MERGE_USAGE, "merge: OUT '%s': %s", argv[1], CMD_DB_PATH_RULE);
	return cmd_merge_files(argv[1], (const char *const *)argv + 2, argc - 2, 0);
}
