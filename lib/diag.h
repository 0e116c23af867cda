/*
 * Diagnostics. Recoverable errors are reported with diag_error() or diag_at() (which name the
 * file and line of bad input) and the caller returns -1 or NULL; the message goes to stderr
 * prefixed with "gaiasim: ". Tests can capture messages with diag_capture().
 */
#ifndef GAIA_DIAG_H
#define GAIA_DIAG_H

#include <stddef.h>

/* Print "gaiasim: MSG" to stderr; always returns -1 so callers can `return diag_error(...)`. */
int diag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "gaiasim: FILE:LINE: MSG"; returns -1. line <= 0 omits the line number. */
int diag_at(const char *file, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Redirect messages into buf (NUL-terminated, truncated to size) instead of stderr; pass
 * NULL to restore stderr. For tests that assert on the wording of an error.
 */
void diag_capture(char *buf, size_t size);

#endif
