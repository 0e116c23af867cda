/*
 * Run configurations: a line-oriented `key = value` file (docs/config-format.md) plus
 * command-line overrides (`--set key=value`). Typed getters validate values and report errors
 * naming the file and line the value came from ("<command line>" for overrides). Every key a
 * run reads is recorded with its effective value, so the whole effective configuration can be
 * stored with the run; keys nobody read are reported as unknown by runcfg_check_unused().
 */
#ifndef GAIA_RUNCFG_H
#define GAIA_RUNCFG_H

#include <stddef.h>
#include <stdint.h>

struct runcfg;

/*
 * Documentation of one configuration key, kept beside the code that reads it (a table per
 * module, ended by an entry whose name is NULL). `gaiasim help run`, `gaiasim keys` and the man
 * page print these tables, and a config with documentation installed (runcfg_set_docs) refuses
 * to read an undocumented key, so the tables cannot drift from the getters.
 */
struct runcfg_keydoc {
	const char *name;    /* key, e.g. "gaia.threshold" */
	const char *type;    /* "integer", "number", "string", "choice: a|b", "list", ... */
	const char *def;     /* default as text ("" when none; words when it depends) */
	const char *unit;    /* unit of the value ("" when none) */
	const char *meaning; /* one line */
};

/*
 * Install documentation tables (n tables, each ended by a NULL name) on c; they must outlive
 * it. From then on every getter and runcfg_has() check that their key is documented: an
 * undocumented key is a programming error, reported and aborted on.
 */
void runcfg_set_docs(struct runcfg *c, const struct runcfg_keydoc *const *tables, size_t n);
/* The entry for key in the n tables, or NULL. */
const struct runcfg_keydoc *runcfg_doc_find(const struct runcfg_keydoc *const *tables, size_t n,
                                            const char *key);
/* Edit distance between two strings of at most 64 bytes ((size_t)-1 when longer): for "did you
 * mean" hints across the program. */
size_t runcfg_edit_distance(const char *a, const char *b);
/*
 * A copy of c's given keys (values and where they came from, none marked read) and its documentation,
 * leaving out the keys that begin with drop_prefix (NULL: none). The keys read so far are not
 * copied: the copy dumps only what is read from it.
 */
struct runcfg *runcfg_copy(const struct runcfg *c, const char *drop_prefix);

/* Parse a file; prints "FILE:LINE: message" and returns NULL on a malformed line. */
struct runcfg *runcfg_load(const char *path);
/* An empty configuration (for tests and for runs built from the command line alone). */
struct runcfg *runcfg_new(void);
void runcfg_free(struct runcfg *c);

/* Apply an override "key=value"; returns 0, or -1 with a message if malformed. */
int runcfg_set(struct runcfg *c, const char *assignment);

/*
 * Getters: if the key is absent, store the default and return 0; if present and valid, store
 * the value and return 0; if present and invalid, print "FILE:LINE: key: bad value 'V' (...)"
 * and return -1. Ranges are inclusive.
 */
int runcfg_string(struct runcfg *c, const char *key, const char *def, const char **out);
int runcfg_double(struct runcfg *c, const char *key, double def, double min, double max, double *out);
int runcfg_int(struct runcfg *c, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out);
/* Value must be one of the NULL-terminated `choices`; *out is its index. */
int runcfg_choice(struct runcfg *c, const char *key, const char *def, const char *const *choices, int *out);
/* 1 if the key was given (in the file or an override). */
int runcfg_has(const struct runcfg *c, const char *key);

/* After all getters ran: print an error for each key that no getter read; returns -1 if any. */
int runcfg_check_unused(const struct runcfg *c);

/* The effective configuration (every key read, with its value or default), "key = value\n" lines
 * in sorted key order; caller frees. */
char *runcfg_dump(const struct runcfg *c);

/* Name of the file (or "<command line>") and line where key was set, for messages. */
const char *runcfg_where(const struct runcfg *c, const char *key, long *line);

#endif
