/*
 * The shared option parser: getopt_long driven by each command's table, help and man text
 * from the same table, suggestions by edit distance (runcfg_edit_distance, lib/runcfg.c).
 */
#include "cli/opt.h"

#include <stdlib.h>
#include <string.h>

#include "lib/runcfg.h"

void cli_parser_init(struct cli_parser *p, const struct cli_help *h, int argc, char **argv)
{
	memset(p, 0, sizeof *p);
	p->help = h;
	p->argc = argc;
	p->argv = argv;
	size_t n = 0, s = 0;
	p->shorts[s++] = ':'; /* report a missing value as ':' */
	for (const struct cli_opt *o = h->opts; o && o->name && n < CLI_OPT_MAX; o++, n++) {
		p->lo[n] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL,
		                            o->key };
		if (o->key > 0 && o->key < 128) {
			p->shorts[s++] = (char)o->key;
			if (o->arg)
				p->shorts[s++] = ':';
		}
	}
	p->lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	p->lo[n] = (struct option){ NULL, 0, NULL, 0 };
	p->shorts[s++] = 'h';
	p->shorts[s] = '\0';
	optind = 0; /* glibc: a full re-initialisation (commands may parse more than once) */
	opterr = 0;
}

const char *cli_nearest(const char *w, const char *const *words, size_t n)
{
	size_t len = strlen(w), limit = len / 3 > 2 ? len / 3 : 2;
	const char *best = NULL;
	size_t bestd = limit + 1;
	for (size_t i = 0; i < n; i++) {
		size_t d = runcfg_edit_distance(w, words[i]);
		if (d < bestd) {
			bestd = d;
			best = words[i];
		}
	}
	return best;
}

/* "unknown option" with the nearest long option as a hint. */
static int unknown(struct cli_parser *p, const char *bad)
{
	const char *names[CLI_OPT_MAX + 1];
	size_t n = 0;
	for (size_t i = 0; p->lo[i].name; i++)
		names[n++] = p->lo[i].name;
	const char *word = bad;
	while (*word == '-')
		word++;
	char buf[128];
	snprintf(buf, sizeof buf, "%s", word);
	char *eq = strchr(buf, '=');
	if (eq)
		*eq = '\0';
	const char *hint = bad[1] == '-' ? cli_nearest(buf, names, n) : NULL;
	if (hint)
		fprintf(stderr, "gaiasim %s: unknown option '%s' (did you mean '--%s'?)\n",
		        p->help->cmd, bad, hint);
	else
		fprintf(stderr, "gaiasim %s: unknown option '%s'\n", p->help->cmd, bad);
	fprintf(stderr, "usage: gaiasim %s\n(gaiasim help %s: every option)\n", p->help->usage,
	        p->help->cmd);
	return CLI_ERROR;
}

int cli_next(struct cli_parser *p, const char **arg)
{
	*arg = NULL;
	int ch = getopt_long(p->argc, p->argv, p->shorts, p->lo, NULL);
	if (ch == -1)
		return CLI_END;
	if (ch == 'h') {
		cli_print_help(stdout, p->help);
		return CLI_HELP;
	}
	if (ch == ':') {
		fprintf(stderr, "gaiasim %s: option '%s' needs a value\nusage: gaiasim %s\n",
		        p->help->cmd, p->argv[optind - 1], p->help->usage);
		return CLI_ERROR;
	}
	if (ch == '?') {
		char shortopt[3] = { '-', (char)optopt, '\0' };
		return unknown(p, optopt ? shortopt : p->argv[optind - 1]);
	}
	*arg = optarg;
	return ch;
}

/* "-t, --topology NAME" for one option. */
static void opt_label(char *buf, size_t size, const struct cli_opt *o)
{
	int shortc = o->key > 0 && o->key < 128;
	snprintf(buf, size, "%s%c%s--%s%s%s", shortc ? "-" : "    ", shortc ? (char)o->key : ' ',
	         shortc ? ", " : "", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	if (!shortc) /* keep the long names aligned: "    --name" */
		snprintf(buf, size, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

void cli_print_help(FILE *out, const struct cli_help *h)
{
	fprintf(out, "usage: gaiasim %s\n", h->usage);
	if (h->opts && h->opts->name)
		fprintf(out, "\noptions:\n");
	for (const struct cli_opt *o = h->opts; o && o->name; o++) {
		char label[96];
		opt_label(label, sizeof label, o);
		fprintf(out, "  %-28s %s\n", label, o->meaning);
	}
	fprintf(out, "  %-28s %s\n", "-h, --help", "this help");
	if (h->about)
		fprintf(out, "\n%s\n", h->about);
	if (h->extra)
		h->extra(out);
}

void cli_roff(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\n' && (s[1] == '.' || s[1] == '\''))
			fputs("\n\\&", out);
		else
			fputc(*s, out);
	}
}

void cli_print_man(FILE *out, const struct cli_help *h)
{
	fputs(".SS \"gaiasim ", out);
	cli_roff(out, h->cmd);
	fputs("\"\n.nf\ngaiasim ", out);
	cli_roff(out, h->usage);
	fputs("\n.fi\n", out);
	for (const struct cli_opt *o = h->opts; o && o->name; o++) {
		char label[96];
		opt_label(label, sizeof label, o);
		fputs(".TP\n.B ", out);
		const char *l = label;
		while (*l == ' ')
			l++;
		cli_roff(out, l);
		fputc('\n', out);
		cli_roff(out, o->meaning);
		fputc('\n', out);
	}
	if (h->about) {
		fputs(".PP\n", out);
		cli_roff(out, h->about);
		fputc('\n', out);
	}
}
