/* gaiasim: the one program; dispatches to the subcommand named by argv[1]. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cli/cmd.h"
#include "cli/opt.h"

#ifndef GAIASIM_PKGDATADIR
#define GAIASIM_PKGDATADIR "/usr/local/share/gaiasim"
#endif

#define HELPS(...) ((const struct cli_help *const[]){ __VA_ARGS__, NULL })

static const struct cmd_entry commands[] = {
	{ "run", "train a workload under one sync model (run CONFIG [--set K=V] [-T TRACE] [--db FILE])", cmd_run, HELPS(&cmd_run_help) },
	{ "compare", "train under several sync models and compare (compare CONFIG --sync ...)", cmd_compare, HELPS(&cmd_compare_help) },
	{ "keys", "list the configuration keys with type, default, unit and meaning (keys [PREFIX])", cmd_keys, HELPS(&cmd_keys_help) },
	{ "net", "simulate network transfers from a CSV list over a topology", cmd_net, HELPS(&cmd_net_help) },
	{ "plot", "paper figures from a results database, drawn by gnuplot (plot DB [--out DIR] ...)", cmd_plot, HELPS(&cmd_plot_help) },
	{ "summary", "paper-style table: time to target, speedups, held-out quality, WAN bytes (summary DB [--format table|csv|md])", cmd_summary, HELPS(&cmd_summary_help) },
	{ "merge", "combine results databases in one transaction (merge OUT.db IN.db...)", cmd_merge, HELPS(&cmd_merge_help) },
	{ "reproduce", "run the paper's experiment matrix, merge, plot, write REPORT.md (reproduce [--quick] ...)", cmd_reproduce, HELPS(&cmd_reproduce_help) },
	{ "topo", "show or check a topology (topo show NAME|FILE, topo check FILE)", cmd_topo, HELPS(&cmd_topo_show_help, &cmd_topo_check_help) },
	{ "trace", "generate or check a bandwidth trace (trace gen ..., trace check ...)", cmd_trace, HELPS(&cmd_trace_gen_help, &cmd_trace_check_help) },
	{ "corpus", "convert a folder of text files to a bag-of-words corpus (corpus convert DIR --out P)", cmd_corpus, HELPS(&cmd_corpus_help) },
	{ "emu", "emulation: shaped WAN relays (emu mesh), real-time runs over sockets (emu run, node, collect, validate)", cmd_emu, HELPS(&cmd_emu_mesh_help, &cmd_emu_run_help, &cmd_emu_node_help) },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
	fprintf(out, "usage: gaiasim COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "  %-9s %s\n", "help", "this list; `gaiasim help COMMAND` (or COMMAND --help) for one "
	        "command; `help --man`: the man page");
	fprintf(out, "  %-9s %s\n", "version", "print the program version");
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

/* The man page (section 1), from the command table. */
static void man_page(FILE *out)
{
	fprintf(out, ".TH GAIASIM 1 \"\" \"gaiasim %s\" \"User Commands\"\n", PACKAGE_VERSION);
	fputs(".SH NAME\ngaiasim \\- simulator and WAN testbed for geo-distributed machine learning\n"
	      ".SH SYNOPSIS\n.B gaiasim\n.I COMMAND\n[\\fIARGS\\fR...]\n"
	      ".SH DESCRIPTION\n"
	      "gaiasim rebuilds Gaia (K. Hsieh et al., NSDI 2017) as a discrete-event simulator: a "
	      "parameter server whose data centers exchange only significant updates, compared with "
	      "BSP, SSP, asynchronous and LAN baselines on measured inter-region networks.\n"
	      ".SH COMMANDS\n", out);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		fprintf(out, ".TP\n.B %s\n", commands[i].name);
		cli_roff(out, commands[i].summary);
		fputc('\n', out);
	}
	fputs(".SH OPTIONS\nEvery option takes its value as \\fB\\-\\-opt=value\\fR or "
	      "\\fB\\-\\-opt value\\fR; \\fB\\-\\-help\\fR prints a command's options.\n", out);
	for (size_t i = 0; i < NCOMMANDS; i++)
		for (const struct cli_help *const *h = commands[i].helps; h && *h; h++)
			cli_print_man(out, *h);
	fputs(".SH CONFIGURATION KEYS\nA run configuration (\\fBrun\\fR, \\fBcompare\\fR) is "
	      "a file of \\fIkey = value\\fR lines; \\fB\\-\\-set key=value\\fR overrides "
	      "one (docs/config-format.md).\n", out);
	cmd_keys_man(out);
	fputs(".SH FILES\nTopologies, traces, example configurations and plot scripts are found by "
	      "name in \\fI$GAIASIM_TOPODIR\\fR, \\fI$GAIASIM_TRACEDIR\\fR, "
	      "\\fI$GAIASIM_CONFDIR\\fR, \\fI$GAIASIM_PLOTDIR\\fR, then beside the program "
	      "(\\fIPREFIX/share/gaiasim\\fR), then in \\fI" GAIASIM_PKGDATADIR "\\fR.\n"
	      ".SH SEE ALSO\nThe documentation installed under the package's doc folder "
	      "(docs/config-format.md, docs/install.md).\n", out);
}

/* "unknown command", with the nearest command as a hint. */
static int unknown_command(const char *word)
{
	const char *names[NCOMMANDS + 2];
	for (size_t i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	names[NCOMMANDS] = "help";
	names[NCOMMANDS + 1] = "version";
	const char *hint = cli_nearest(word, names, NCOMMANDS + 2);
	if (hint)
		fprintf(stderr, "gaiasim: unknown command '%s' (did you mean '%s'?)\n", word, hint);
	else
		fprintf(stderr, "gaiasim: unknown command '%s'\n", word);
	usage(stderr);
	return 2;
}

static int dispatch(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *word = argv[1];
	if (!strcmp(word, "help") && argc > 2 && !strcmp(argv[2], "--man")) {
		man_page(stdout);
		return 0;
	}
	if (!strcmp(word, "help") && argc > 2) {
		/* gaiasim help CMD = gaiasim CMD --help */
		char *args[] = { argv[2], "--help", NULL };
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (!strcmp(argv[2], commands[i].name))
				return commands[i].run(2, args);
		return unknown_command(argv[2]);
	}
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
	return unknown_command(word);
}

int main(int argc, char **argv)
{
	return finish(dispatch(argc, argv));
}
