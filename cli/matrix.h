/*
 * The experiment matrix of `gaiasim reproduce` (docs/reproduce.md has the format): one line
 * per experiment, each a `gaiasim compare` of one configuration under some sync models with
 * some --set overrides, and `@quick` lines with the overrides of the reduced (--quick) matrix.
 */
#ifndef GAIA_MATRIX_H
#define GAIA_MATRIX_H

#define MATRIX_NAME_MAX 64 /* longest experiment name, bytes, without the NUL */

struct matrix_entry {
	char *name;        /* experiment name ([a-z0-9][a-z0-9._-]*): file name of its database */
	char *config;      /* configuration file, relative paths resolved against the matrix's folder */
	char *sync;        /* the --sync list, e.g. "bsp,gaia,lan" */
	char **models;     /* sync split at commas */
	int nmodels;       /* number of models */
	char **sets;       /* KEY=VALUE overrides, in file order (then the @quick ones, if selected) */
	int nsets;         /* number of overrides */
	int quick;         /* 1: the entry is in the --quick matrix (flag +quick) */
	long line;         /* line of the matrix file */
};

struct matrix {
	char *path;                  /* the matrix file */
	struct matrix_entry *e;      /* entries, in file order */
	int n;                       /* number of entries */
	char **quick_sets;           /* overrides of every entry under --quick (@quick lines) */
	int nquick_sets;             /* number of those */
};

/* Load and check a matrix file; NULL with "FILE:LINE: message" on error. */
struct matrix *matrix_load(const char *path);
void matrix_free(struct matrix *m);

/* Keep only the +quick entries and append the @quick overrides to each. */
void matrix_select_quick(struct matrix *m);

/* The entry named name, or NULL. */
const struct matrix_entry *matrix_find(const struct matrix *m, const char *name);

#endif
