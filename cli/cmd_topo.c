/*
 * gaiasim topo: look at a topology (`show NAME|FILE`: regions, then the bandwidth, RTT and price
 * matrices with their units) or validate a user's file (`check FILE`: "FILE: ok (...)" and exit
 * 0, or the first error as FILE:LINE: message and exit 1).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "topology/topology.h"

static const char usage[] = "gaiasim topo show NAME|FILE | gaiasim topo check FILE";

#define TOPO_ABOUT "NAME is a shipped topology (ec2-11, ec2-11-2017, ec2-11-64conn, vc, ss), found by\n" \
	"name (docs/install.md: $GAIASIM_TOPODIR, beside the program, the source tree, the data\n" \
	"directory). An argument that is -, contains '/' or ends in .topo is a file.\n" \
	"Format: docs/topology-format.md."

static const struct cli_opt no_opts[] = { { NULL, 0, NULL, NULL } };

const struct cli_help cmd_topo_show_help = {
	.cmd = "topo show",
	.usage = "topo show NAME|FILE|-",
	.about = "Print the regions, WAN bandwidth (Mbit/s), RTT (ms) and price (USD/GB) matrices.\n" TOPO_ABOUT,
	.opts = no_opts,
};

const struct cli_help cmd_topo_check_help = {
	.cmd = "topo check",
	.usage = "topo check FILE|-",
	.about = "Validate a topology file: exit 0 and a summary if it is well formed, else the\n"
	         "first error as FILE:LINE: message and exit 1.",
	.opts = no_opts,
};

static void print_help(FILE *out)
{
	cli_print_help(out, &cmd_topo_show_help);
	fputc('\n', out);
	cli_print_help(out, &cmd_topo_check_help);
}

static int cmd_show(const char *arg)
{
	struct topology *t = topology_load(arg);
	if (!t)
		return 1;
	topology_print(t, stdout);
	topology_free(t);
	return 0; /* main() checks that stdout was written */
}

static int cmd_check(const char *path)
{
	struct topology *t = topology_load_file(path);
	if (!t)
		return 1;
	int npairs = t->n * (t->n - 1);
	long machines = 0;
	for (int i = 0; i < t->n; i++)
		machines += t->regions[i].machines;
	printf("%s: ok (%d regions, %d directed links, %ld machines, %d hub groups, sha256 %.12s...)\n",
	       path, t->n, npairs, machines, t->ngroups, t->sha256);
	topology_free(t);
	return 0;
}

int cmd_topo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_help(stdout);
			return 0;
		}
	if (argc < 2)
		return cmd_usage_error(usage, "topo: missing subcommand (show or check)");
	const char *sub = argv[1];
	if (strcmp(sub, "show") && strcmp(sub, "check")) {
		static const char *const subs[] = { "show", "check" };
		const char *hint = cli_nearest(sub, subs, 2);
		return cmd_usage_error(usage, "topo: unknown subcommand '%s'%s%s%s", sub,
		                       hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
	}
	if (argc != 3)
		return cmd_usage_error(usage, "topo %s: want exactly one %s argument", sub,
				       !strcmp(sub, "show") ? "NAME|FILE" : "FILE");
	return !strcmp(sub, "show") ? cmd_show(argv[2]) : cmd_check(argv[2]);
}
