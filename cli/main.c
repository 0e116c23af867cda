/* gaiasim: the one program; dispatches to the subcommand named by argv[1]. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cli/cmd.h"

static const struct cmd_entry commands[] = {
	{ "run", "train a workload under one sync model (run CONFIG [--set K=V] [--db FILE])", cmd_run },
	{ "compare", "train under several sync models and compare (compare CONFIG --sync ...)", cmd_compare },
	{ "net", "simulate network transfers from a CSV list over a topology", cmd_net },
	{ "topo", "show or check a topology (topo show NAME|FILE, topo check FILE)", cmd_topo },
	{ "trace", "generate or check a bandwidth trace (trace gen ..., trace check ...)", cmd_trace },
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

int main(int argc, char **argv)
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
