/*
 * Line input and output on raw descriptors for the control channel of an emulated run
 * (cli/emu_ctl.h, where the protocol is).
 */
#include "cli/emu_ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Take one complete line (without its newline) into out; 1, or 0 if none is complete. */
int emu_ctl_line(struct emu_ctl_buf *b, char *out, size_t cap)
{
	char *nl = memchr(b->buf, '\n', b->n);
	if (!nl)
		return 0;
	size_t len = (size_t)(nl - b->buf);
	snprintf(out, cap, "%.*s", (int)(len < cap ? len : cap - 1), b->buf);
	memmove(b->buf, nl + 1, b->n - len - 1);
	b->n -= len + 1;
	return 1;
}

/* Read what is available (one read(2), which blocks on a blocking descriptor); -1 on a read
 * error or a full buffer. */
int emu_ctl_fill(struct emu_ctl_buf *b, int fd)
{
	if (b->n == sizeof b->buf)
		return -1;
	ssize_t r = read(fd, b->buf + b->n, sizeof b->buf - b->n);
	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (r == 0)
		b->eof = 1;
	b->n += (size_t)r;
	return 0;
}

void emu_ctl_say(int fd, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof line) { /* cut to the buffer, still one line */
		n = (int)sizeof line - 1;
		line[n - 1] = '\n';
	}
	for (const char *p = line; n > 0;) {
		ssize_t w = write(fd, p, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (int)w;
	}
}
