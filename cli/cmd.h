/*
 * Subcommands of the gaiasim program. Each lives beside the module it drives and returns the
 * process exit status: 0 success, 1 failure (bad input, I/O error), 2 bad command line.
 */
#ifndef GAIA_CMD_H
#define GAIA_CMD_H

#include <stdio.h>

struct cmd_entry {
	const char *name;                  /* subcommand word */
	const char *summary;               /* one line for `gaiasim help` */
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand word */
};

int cmd_topo(int argc, char **argv);   /* cli/cmd_topo.c */
int cmd_trace(int argc, char **argv);  /* cli/cmd_trace.c */
int cmd_net(int argc, char **argv);    /* cli/cmd_net.c */
int cmd_run(int argc, char **argv);    /* cli/cmd_run.c */
int cmd_compare(int argc, char **argv); /* cli/cmd_run.c */
int cmd_emu(int argc, char **argv);    /* cli/cmd_emu.c */

/* Print "gaiasim: MSG" and a usage hint to stderr; returns 2 (the bad-command-line status). */
int cmd_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
