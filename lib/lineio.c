/* Line-oriented input with a length limit, line numbers, field splitting and number parsing. */
#include "lib/lineio.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/sha256.h"
#include "lib/xmalloc.h"

struct lineio {
	FILE *fp;     /* the stream being read */
	int owns_fp;  /* 1 if lineio_close must fclose fp */
	char *name;   /* file name for messages */
	long lineno;  /* number of the last line returned, 1-based */
	char *buf;    /* LINEIO_MAX_LINE + 2 bytes */
	struct sha256 hash; /* SHA-256 of every byte read so far (the file's, once at its end) */
};

struct lineio *lineio_from_stream(FILE *fp, const char *name)
{
	struct lineio *in = xcalloc(1, sizeof *in);
	in->fp = fp;
	in->name = xstrdup(name);
	in->buf = xmalloc(LINEIO_MAX_LINE + 2);
	sha256_init(&in->hash);
	return in;
}

struct lineio *lineio_open(const char *path)
{
	if (!strcmp(path, "-")) /* standard input, named as such in messages */
		return lineio_from_stream(stdin, "<stdin>");
	FILE *fp = fopen(path, "r");
	if (!fp) {
		diag_at(path, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	struct lineio *in = lineio_from_stream(fp, path);
	in->owns_fp = 1;
	return in;
}

void lineio_close(struct lineio *in)
{
	if (!in)
		return;
	if (in->owns_fp)
		fclose(in->fp);
	free(in->name);
	free(in->buf);
	free(in);
}

/*
 * Read one line byte by byte, taking the stream lock once per line, so that the length is
 * known exactly and NUL bytes are seen (fgets hides both). At most LINEIO_MAX_LINE + 1 bytes
 * are stored (the line and a CR that may precede the newline); a longer line stops the read
 * there. Returns 1 with len set, 0 at end of file, -1 on a read error (errno kept).
 */
static int read_raw(struct lineio *in, size_t *len, int *too_long, int *has_nul)
{
	size_t n = 0;
	int c;
	*too_long = *has_nul = 0;
	flockfile(in->fp);
	for (;;) {
		c = getc_unlocked(in->fp);
		if (c == EOF || c == '\n')
			break;
		if (n > LINEIO_MAX_LINE) {
			*too_long = 1;
			break;
		}
		if (c == '\0')
			*has_nul = 1;
		in->buf[n++] = (char)c;
	}
	funlockfile(in->fp);
	sha256_update(&in->hash, in->buf, n);
	if (c == '\n')
		sha256_update(&in->hash, "\n", 1);
	if (c == EOF && ferror(in->fp))
		return -1;
	if (c == EOF && n == 0)
		return 0;
	*len = n;
	return 1;
}

int lineio_next(struct lineio *in, char **line)
{
	size_t len = 0;
	int too_long, has_nul;
	int rc = read_raw(in, &len, &too_long, &has_nul);
	if (rc < 0)
		return diag_at(in->name, in->lineno + 1, "read error: %s", strerror(errno));
	if (rc == 0)
		return 0;
	in->lineno++;
	if (!too_long && len > 0 && in->buf[len - 1] == '\r')
		len--;
	if (too_long || len > LINEIO_MAX_LINE)
		return diag_at(in->name, in->lineno, "line longer than %d bytes", LINEIO_MAX_LINE);
	if (has_nul)
		return diag_at(in->name, in->lineno, "NUL byte in line");
	in->buf[len] = '\0';
	*line = in->buf;
	return 1;
}

void lineio_sha256(const struct lineio *in, char out[65])
{
	struct sha256 c = in->hash;
	sha256_hex(&c, out);
}

long lineio_lineno(const struct lineio *in)
{
	return in->lineno;
}

const char *lineio_name(const struct lineio *in)
{
	return in->name;
}

int lineio_is_blank(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	return *line == '\0' || *line == '#';
}

char *lineio_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

int lineio_split(char *line, char sep, char **fields, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		char *end = strchr(p, sep);
		if (end)
			*end = '\0';
		if (n < max)
			fields[n] = lineio_trim(p);
		n++;
		if (!end)
			return n;
		p = end + 1;
	}
}

int lineio_split_ws(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return n;
		char *start = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
		if (n < max)
			fields[n] = start;
		n++;
	}
}

int parse_double(const char *s, double *out)
{
	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v))
		return -1;
	/* strtod accepts hex floats, "inf" and "nan"; allow plain decimal notation only. */
	for (const char *p = s; p < end; p++)
		if (!(isdigit((unsigned char)*p) || *p == '.' || *p == '-' || *p == '+' || *p == 'e' || *p == 'E'))
			return -1;
	*out = v;
	return 0;
}

int parse_int64(const char *s, int64_t *out)
{
	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end != '\0' || errno == ERANGE)
		return -1;
	*out = v;
	return 0;
}

int parse_si(const char *s, double *out)
{
	if (!s || !*s)
		return -1;
	size_t n = strlen(s);
	double mult = 1;
	switch (s[n - 1]) {
	case 'k': case 'K': mult = 1e3; break;
	case 'M': mult = 1e6; break;
	case 'G': mult = 1e9; break;
	case 'T': mult = 1e12; break;
	default: break;
	}
	char tmp[64];
	if (mult != 1) {
		if (n - 1 >= sizeof tmp || n == 1)
			return -1;
		memcpy(tmp, s, n - 1);
		tmp[n - 1] = '\0';
		s = tmp;
	}
	double v;
	if (parse_double(s, &v) < 0 || v < 0 || !isfinite(v * mult))
		return -1;
	*out = v * mult;
	return 0;
}
