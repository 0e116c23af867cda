/*
 * Run configurations: a line-oriented `key = value` file (docs/config-format.md) plus
 * command-line overrides (`--set key=value`). Typed getters validate values and report errors
 * naming the file and line the value came from ("<command line>" for overrides). Every key a
 * run reads is recorded with its effective value, so the whole effective configuration can be
 * stored with the run; keys nobody read are reported as unknown by runcfg_check_unused().
 */
#ifndef GAIA_RUNCFG_H
#define GAIA_RUNCFG_H

#include <stdint.h>

struct runcfg;

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
