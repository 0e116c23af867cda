/*
 * Line-oriented input shared by every parser (topologies, traces, transfer lists, configs,
 * datasets): reads one line at a time with a hard length limit, tracks the line number for
 * error messages, strips CR/LF, and offers in-place field splitting and strict number parsing.
 */
#ifndef GAIA_LINEIO_H
#define GAIA_LINEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Longest accepted line, in bytes, not counting the newline. */
#define LINEIO_MAX_LINE 65536

struct lineio;

/* Open a file for reading ("-": standard input, named "<stdin>" in messages); NULL after a
 * message. */
struct lineio *lineio_open(const char *path);
/* Read from an already open stream; name is used in messages. Does not close fp. */
struct lineio *lineio_from_stream(FILE *fp, const char *name);
void lineio_close(struct lineio *in);

/*
 * Read the next line into an internal buffer (valid until the next call). Returns 1 with
 * *line set, 0 at end of file, -1 on error (line too long, read error, NUL byte) after
 * printing a message naming file and line.
 */
int lineio_next(struct lineio *in, char **line);

/* 1-based number of the line last returned. */
long lineio_lineno(const struct lineio *in);
/*
 * Hex SHA-256 of every byte read so far: the whole input's once lineio_next() has returned 0.
 * Hashing what was read (not reopening the path) makes it right for pipes and /dev/stdin too.
 */
void lineio_sha256(const struct lineio *in, char out[65]);
/* The name given at open. */
const char *lineio_name(const struct lineio *in);

/* Strip leading and trailing blanks (spaces, tabs) in place; returns the first non-blank. */
char *lineio_trim(char *s);

/* 1 if the line is empty, all blanks, or a comment starting with '#' (after blanks). */
int lineio_is_blank(const char *line);

/*
 * Split line in place at each `sep` into at most max fields, trimming blanks around each.
 * Returns the number of fields found (which may exceed max: extra fields are not stored).
 */
int lineio_split(char *line, char sep, char **fields, int max);

/* Split at runs of blanks (spaces, tabs); same contract as lineio_split. */
int lineio_split_ws(char *line, char **fields, int max);

/* Strict parsers: the whole string must be consumed; 0 on success, -1 otherwise. */
int parse_double(const char *s, double *out);      /* finite decimal number */
int parse_int64(const char *s, int64_t *out);      /* base-10 integer */
/*
 * A non-negative rate or size with an optional decimal SI suffix k, M, G, T (x1e3 ...),
 * e.g. "10G" = 1e10. Finite and >= 0.
 */
int parse_si(const char *s, double *out);

#endif
