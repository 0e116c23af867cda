/*
 * Run configurations: a line-oriented `key = value` file (docs/config-format.md) plus
 * command-line overrides (`--set key=value`). Typed getters validate values and report errors
 * naming the file and line the value came from ("<command line>" for overrides). Every key a
 * run reads is recorded with its effective value, so the whole effective configuration can be
 * stored with the run; keys nobody read are reported as unknown by config_check_unused().
 */
#ifndef GAIA_CONFIG_H
#define GAIA_CONFIG_H

#include <stdint.h>

struct config;

/* Parse a file; prints "FILE:LINE: message" and returns NULL on a malformed line. */
struct config *config_load(const char *path);
/* An empty configuration (for tests and for runs built from the command line alone). */
struct config *config_new(void);
void config_free(struct config *c);

/* Apply an override "key=value"; returns 0, or -1 with a message if malformed. */
int config_set(struct config *c, const char *assignment);

/*
 * Getters: if the key is absent, store the default and return 0; if present and valid, store
 * the value and return 0; if present and invalid, print "FILE:LINE: key: bad value 'V' (...)"
 * and return -1. Ranges are inclusive.
 */
int config_string(struct config *c, const char *key, const char *def, const char **out);
int config_double(struct config *c, const char *key, double def, double min, double max, double *out);
int config_int(struct config *c, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out);
/* Value must be one of the NULL-terminated `choices`; *out is its index. */
int config_choice(struct config *c, const char *key, const char *def, const char *const *choices, int *out);
/* 1 if the key was given (in the file or an override). */
int config_has(const struct config *c, const char *key);

/* After all getters ran: print an error for each key that no getter read; returns -1 if any. */
int config_check_unused(const struct config *c);

/* The effective configuration (every key read, with its value or default), "key = value\n" lines
 * in sorted key order; caller frees. */
char *config_dump(const struct config *c);

/* Name of the file (or "<command line>") and line where key was set, for messages. */
const char *config_where(const struct config *c, const char *key, long *line);

#endif
