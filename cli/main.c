/* gaiasim: the one program; dispatches to the subcommand named by argv[1]. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cli/cmd.h"

static const struct cmd_entry commands[] = {
	{ "run", "train a workload under one sync model (run CONFIG [--set K=V] [--db FILE])", cmd_run },
	{ "compare", "train under several sync models and compare (compare CONFIG --sync ...)", cmd_compare },
	{ "net", "simulate network transfers from a CSV list over a topology", cmd_net },
	{ "plot", "paper figures from a results database, drawn by gnuplot (plot DB [--out DIR] ...)", cmd_plot },
	{ "summary", "paper-style table: time to target, speedups, held-out quality, WAN bytes (summary DB [--format table|csv|md])", cmd_summary },
	{ "merge", "combine results databases in one transaction (merge OUT.db IN.db...)", cmd_merge },
	{ "reproduce", "run the paper's experiment matrix, merge, plot, write REPORT.md (reproduce [--quick] ...)", cmd_reproduce },
	{ "topo", "show or check a topology (topo show NAME|FILE, topo check FILE)", cmd_topo },
	{ "trace", "generate or check a bandwidth trace (trace gen ..., trace check ...)", cmd_trace },
	{ "corpus", "convert a folder of text files to a bag-of-words corpus (corpus convert DIR --out P)", cmd_corpus },
	{ "emu", "emulate shaped WAN links between regions (emu mesh -t TOPOLOGY --to HOST:PORT)", cmd_emu },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
	fprintf(out, "usage: gaiasim COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "  %-8s %s\n", "help", "this list; `gaiasim COMMAND --help` for one command");
	fprintf(out, "  %-8s %s\n", "version", "print the program version");
}

int cmd_db_path_ok(const char *path)
{
	return *path && strcmp(path, ":memory:") && strncmp(path, "file:", 5);
}

int cmd_usage_error(const char *use, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("gaiasim: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", use);
	return 2;
}

/*
 * Output that could not be written is an error: flush stdout and check it, so that a command
 * whose output went to a full device or a closed pipe exits non-zero instead of 0.
 */
static int finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (status == 0) /* a failed command has said what failed */
			fprintf(stderr, "gaiasim: write error on standard output: %s\n", strerror(errno));
		return status ? status : 1;
	}
	return status;
}

static int dispatch(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *word = argv[1];
	if (!strcmp(word, "help") || !strcmp(word, "--help") || !strcmp(word, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(word, "version") || !strcmp(word, "--version")) {
		printf("gaiasim %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(word, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "gaiasim: unknown command '%s'\n", word);
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	return finish(dispatch(argc, argv));
}
