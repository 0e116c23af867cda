/*
 * One option parser for every command: each command describes its options in a table (long
 * name, short letter, value placeholder, one line of meaning), and the same table drives
 * getopt_long (so `--opt=value`, `--opt value`, `-o value` and `-ovalue` all work), the
 * `--help` text, the man page and the "did you mean" hint for a mistyped option.
 */
#ifndef GAIA_OPT_H
#define GAIA_OPT_H

#include <getopt.h>
#include <stdio.h>

/* One option of a command. */
struct cli_opt {
	const char *name;    /* long name without "--"; NULL ends a table */
	int key;             /* short letter, or a code >= 256 for a long-only option */
	const char *arg;     /* value placeholder ("FILE"), NULL for a flag */
	const char *meaning; /* one line */
};

/* What `--help` prints for one command (or subcommand). */
struct cli_help {
	const char *cmd;            /* "net", "trace gen" */
	const char *usage;          /* synopsis after "gaiasim " (may hold newlines) */
	const char *about;          /* paragraph after the options, or NULL */
	const struct cli_opt *opts; /* the options (--help is implied) */
	void (*extra)(FILE *out);   /* more text (e.g. the configuration keys), or NULL */
};

#define CLI_OPT_MAX 48 /* most options of one command */

/* Parser state over one argv (argv[0] is the command word). */
struct cli_parser {
	const struct cli_help *help;       /* the command */
	int argc;                          /* arguments */
	char **argv;
	struct option lo[CLI_OPT_MAX + 2]; /* getopt_long's table, built from help->opts */
	char shorts[3 * CLI_OPT_MAX + 4];  /* getopt's short string */
};

enum {
	CLI_END = -1,   /* no more options: operands start at optind */
	CLI_HELP = -2,  /* --help/-h: the help was printed; the command returns 0 */
	CLI_ERROR = -3, /* bad option: the message was printed; the command returns 2 */
};

void cli_parser_init(struct cli_parser *p, const struct cli_help *h, int argc, char **argv);
/* The next option's key (its value in *arg, NULL for a flag), or CLI_END/HELP/ERROR. */
int cli_next(struct cli_parser *p, const char **arg);
/* Print the help of a command. */
void cli_print_help(FILE *out, const struct cli_help *h);
/* Print the options of a command as man-page (roff) paragraphs. */
void cli_print_man(FILE *out, const struct cli_help *h);
/* Quote text for roff (a leading '.' or '\'', backslashes, '-'). */
void cli_roff(FILE *out, const char *s);
/* The word of `words` (n of them) nearest to w, within two edits (or a third of w's length
 * when longer), or NULL: for "did you mean". */
const char *cli_nearest(const char *w, const char *const *words, size_t n);

#endif
