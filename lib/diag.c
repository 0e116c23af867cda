/* Diagnostics: error messages naming file, line and value, to stderr or a capture buffer. */
#include "lib/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char *capture_buf;   /* NULL: messages go to stderr */
static size_t capture_size; /* bytes available in capture_buf */

void diag_capture(char *buf, size_t size)
{
	capture_buf = buf;
	capture_size = size;
	if (buf && size)
		buf[0] = '\0';
}

static void emit(const char *prefix, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (capture_buf) {
		snprintf(capture_buf, capture_size, "gaiasim: %s%s", prefix, msg);
		return;
	}
	fprintf(stderr, "gaiasim: %s%s\n", prefix, msg);
}

int diag_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
	return -1;
}

int diag_at(const char *file, long line, const char *fmt, ...)
{
	char prefix[512];
	if (line > 0)
		snprintf(prefix, sizeof prefix, "%s:%ld: ", file, line);
	else
		snprintf(prefix, sizeof prefix, "%s: ", file);
	va_list ap;
	va_start(ap, fmt);
	emit(prefix, fmt, ap);
	va_end(ap);
	return -1;
}
