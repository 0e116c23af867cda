/*
 * Run configurations (docs/config-format.md): `key = value` lines read into a small table of
 * entries, each remembering the file and line it came from, plus `--set key=value` overrides.
 * Every getter marks its key as read and records the effective value (given or default) so that
 * runcfg_dump() can print the configuration a run really used and runcfg_check_unused() can
 * flag keys that no module read (usually typos). Tables are small (tens of keys), so lookups
 * are linear scans.
 */
#include "lib/runcfg.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/diag.h"
#include "lib/lineio.h"
#include "lib/xmalloc.h"

#define CONFIG_CMDLINE "<command line>" /* where overrides are said to come from */
#define CONFIG_MAX_SHOWN 60             /* bytes of a bad line quoted in a message */

/* One key given in the file or on the command line. */
struct config_entry {
	char *key;         /* dotted key, [a-z0-9_.]+ */
	char *value;       /* value text, trimmed */
	const char *where; /* file name (config.path) or CONFIG_CMDLINE */
	long line;         /* line in the file; 0 for overrides */
	int read;          /* 1 once a getter asked for the key */
};

/* One key a getter asked for, with the value in effect (for runcfg_dump). */
struct config_read {
	char *key;   /* the key */
	char *value; /* effective value: as given, or the default formatted */
};

struct runcfg {
	char *path;                   /* file loaded, or NULL */
	struct config_entry *entries; /* keys given, in file order then override order */
	size_t nentries, entries_cap; /* used / allocated entries */
	struct config_read *reads;    /* keys read, in first-read order */
	size_t nreads, reads_cap;     /* used / allocated reads */
	const struct runcfg_keydoc *const *docs; /* documentation tables, or NULL: no check */
	size_t ndocs;                 /* tables in docs */
};

void runcfg_set_docs(struct runcfg *c, const struct runcfg_keydoc *const *tables, size_t n)
{
	c->docs = tables;
	c->ndocs = n;
}

const struct runcfg_keydoc *runcfg_doc_find(const struct runcfg_keydoc *const *tables, size_t n,
                                            const char *key)
{
	for (size_t t = 0; t < n; t++)
		for (const struct runcfg_keydoc *d = tables[t]; d && d->name; d++)
			if (!strcmp(d->name, key))
				return d;
	return NULL;
}

/* A read of an undocumented key, with documentation installed, is a programming error. */
static void check_documented(const struct runcfg *c, const char *key)
{
	if (c->docs && !runcfg_doc_find(c->docs, c->ndocs, key)) {
		diag_error("internal error: configuration key '%s' is read but not documented "
		           "(add it to its module's struct runcfg_keydoc table)", key);
		abort();
	}
}

struct runcfg *runcfg_new(void)
{
	return xcalloc(1, sizeof(struct runcfg));
}

void runcfg_free(struct runcfg *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nentries; i++) {
		free(c->entries[i].key);
		free(c->entries[i].value);
	}
	for (size_t i = 0; i < c->nreads; i++) {
		free(c->reads[i].key);
		free(c->reads[i].value);
	}
	free(c->entries);
	free(c->reads);
	free(c->path);
	free(c);
}

/* Keys: one or more of [a-z0-9_] separated by single dots. */
static int valid_key(const char *k)
{
	if (!*k || *k == '.')
		return 0;
	for (const char *p = k; *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
			 (*p == '.' && p[1] != '.' && p[1] != '\0');
		if (!ok)
			return 0;
	}
	return 1;
}

/* Cut a trailing comment: a '#' preceded by a blank starts one (a '#' inside a word does not). */
static void cut_comment(char *s)
{
	for (char *p = s + 1; *p; p++)
		if (*p == '#' && (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
}

static struct config_entry *find_entry(const struct runcfg *c, const char *key)
{
	for (size_t i = 0; i < c->nentries; i++)
		if (!strcmp(c->entries[i].key, key))
			return &c->entries[i];
	return NULL;
}

static void add_entry(struct runcfg *c, const char *key, const char *value, const char *where,
		      long line)
{
	if (c->nentries == c->entries_cap) {
		c->entries_cap = c->entries_cap ? 2 * c->entries_cap : 16;
		c->entries = xreallocarray(c->entries, c->entries_cap, sizeof *c->entries);
	}
	struct config_entry *e = &c->entries[c->nentries++];
	e->key = xstrdup(key);
	e->value = xstrdup(value);
	e->where = where;
	e->line = line;
	e->read = 0;
}

/*
 * Split "key = value" in place. Returns 0 with *key and *value set, or -1 when there is no '='
 * or the key part is empty (the caller reports the line).
 */
static int split_assignment(char *s, char **key, char **value)
{
	char *eq = strchr(s, '=');
	if (!eq)
		return -1;
	*eq = '\0';
	*key = lineio_trim(s);
	*value = lineio_trim(eq + 1);
	return **key ? 0 : -1;
}

/* Quote at most CONFIG_MAX_SHOWN bytes of a line for a message. */
static const char *shown(const char *line, char *buf, size_t size)
{
	size_t n = strlen(line);
	if (n <= CONFIG_MAX_SHOWN)
		return line;
	snprintf(buf, size, "%.*s...", CONFIG_MAX_SHOWN, line);
	return buf;
}

/* Parse one non-blank line of the file; returns 0 or -1 after a message. */
static int load_line(struct runcfg *c, const char *path, long lineno, char *line)
{
	char copy[CONFIG_MAX_SHOWN + 8];
	char *s = lineio_trim(line);
	char *saved = xstrdup(shown(s, copy, sizeof copy));
	cut_comment(s);
	char *key, *value;
	int rc = 0;
	if (split_assignment(s, &key, &value) < 0)
		rc = diag_at(path, lineno, "expected 'key = value', got '%s'", saved);
	else if (!valid_key(key))
		rc = diag_at(path, lineno, "bad key '%s' (keys are lowercase letters, digits and '_', "
			     "in dot-separated parts)", key);
	else {
		const struct config_entry *prev = find_entry(c, key);
		if (prev)
			rc = diag_at(path, lineno, "duplicate key '%s' (first set at %s:%ld)", key,
				     prev->where, prev->line);
		else
			add_entry(c, key, value, c->path, lineno);
	}
	free(saved);
	return rc;
}

struct runcfg *runcfg_copy(const struct runcfg *c, const char *drop_prefix)
{
	struct runcfg *d = runcfg_new();
	d->path = c->path ? xstrdup(c->path) : NULL;
	d->docs = c->docs;
	d->ndocs = c->ndocs;
	size_t np = drop_prefix ? strlen(drop_prefix) : 0;
	for (size_t i = 0; i < c->nentries; i++) {
		const struct config_entry *e = &c->entries[i];
		if (np && !strncmp(e->key, drop_prefix, np))
			continue;
		/* where points at c->path or the static CONFIG_CMDLINE: re-point at d's copy */
		add_entry(d, e->key, e->value, e->where == c->path ? d->path : e->where, e->line);
	}
	return d;
}

struct runcfg *runcfg_load(const char *path)
{
	struct lineio *in = lineio_open(path);
	if (!in)
		return NULL;
	struct runcfg *c = runcfg_new();
	c->path = xstrdup(path);
	int errors = 0, rc;
	char *line;
	while ((rc = lineio_next(in, &line)) > 0) {
		if (lineio_is_blank(line))
			continue;
		if (load_line(c, path, lineio_lineno(in), line) < 0)
			errors++;
	}
	lineio_close(in);
	if (rc < 0 || errors) {
		runcfg_free(c);
		return NULL;
	}
	return c;
}

int runcfg_set(struct runcfg *c, const char *assignment)
{
	char *s = xstrdup(assignment);
	char *key, *value;
	int rc = 0;
	if (split_assignment(s, &key, &value) < 0)
		rc = diag_at(CONFIG_CMDLINE, 0, "expected 'key=value', got '%s'", assignment);
	else if (!valid_key(key))
		rc = diag_at(CONFIG_CMDLINE, 0, "bad key '%s' in '%s' (keys are lowercase letters, "
			     "digits and '_', in dot-separated parts)", key, assignment);
	else {
		/* An override replaces the file's value, or an earlier override: the last one wins. */
		struct config_entry *e = find_entry(c, key);
		if (e) {
			free(e->value);
			e->value = xstrdup(value);
			e->where = CONFIG_CMDLINE;
			e->line = 0;
		} else {
			add_entry(c, key, value, CONFIG_CMDLINE, 0);
		}
	}
	free(s);
	return rc;
}

int runcfg_has(const struct runcfg *c, const char *key)
{
	check_documented(c, key);
	return find_entry(c, key) != NULL;
}

const char *runcfg_where(const struct runcfg *c, const char *key, long *line)
{
	const struct config_entry *e = find_entry(c, key);
	if (line)
		*line = e ? e->line : 0;
	return e ? e->where : NULL;
}

/* Remember that key was read with effective value `value` (a later read replaces it). */
static void record(struct runcfg *c, const char *key, const char *value)
{
	for (size_t i = 0; i < c->nreads; i++)
		if (!strcmp(c->reads[i].key, key)) {
			free(c->reads[i].value);
			c->reads[i].value = xstrdup(value);
			return;
		}
	if (c->nreads == c->reads_cap) {
		c->reads_cap = c->reads_cap ? 2 * c->reads_cap : 16;
		c->reads = xreallocarray(c->reads, c->reads_cap, sizeof *c->reads);
	}
	c->reads[c->nreads].key = xstrdup(key);
	c->reads[c->nreads].value = xstrdup(value);
	c->nreads++;
}

/* The entry for key, marked read, or NULL if the key was not given. */
static struct config_entry *lookup(struct runcfg *c, const char *key)
{
	check_documented(c, key);
	struct config_entry *e = find_entry(c, key);
	if (e)
		e->read = 1;
	return e;
}

/* Report a bad value for entry e; `expect` describes what is allowed. Returns -1. */
static int bad_value(const struct config_entry *e, const char *expect)
{
	return diag_at(e->where, e->line, "%s: bad value '%s' (%s)", e->key, e->value, expect);
}

/* Shortest "%g" text that reads back as exactly v ("10", not "1e+01"; "1e-07"). */
static void format_double(char *buf, size_t size, double v)
{
	if (isnan(v) || isinf(v)) {
		snprintf(buf, size, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
		return;
	}
	char best[40] = "", tmp[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v && (!best[0] || strlen(tmp) < strlen(best)))
			strcpy(best, tmp);
	}
	snprintf(buf, size, "%s", best);
}

int runcfg_string(struct runcfg *c, const char *key, const char *def, const char **out)
{
	const struct config_entry *e = lookup(c, key);
	*out = e ? e->value : def;
	if (*out)
		record(c, key, *out);
	return 0;
}

/* Describe the range [min, max] of a double, leaving out infinite ends. */
static void double_range(char *buf, size_t size, double min, double max)
{
	char a[32], b[32];
	format_double(a, sizeof a, min);
	format_double(b, sizeof b, max);
	int lo = min > -DBL_MAX, hi = max < DBL_MAX;
	if (lo && hi)
		snprintf(buf, size, "expected a number in [%s, %s]", a, b);
	else if (lo)
		snprintf(buf, size, "expected a number >= %s", a);
	else if (hi)
		snprintf(buf, size, "expected a number <= %s", b);
	else
		snprintf(buf, size, "expected a number");
}

int runcfg_double(struct runcfg *c, const char *key, double def, double min, double max, double *out)
{
	char buf[128];
	const struct config_entry *e = lookup(c, key);
	if (!e) {
		*out = def;
		format_double(buf, sizeof buf, def);
		record(c, key, buf);
		return 0;
	}
	double v;
	if (parse_double(e->value, &v) < 0 || v < min || v > max) {
		double_range(buf, sizeof buf, min, max);
		return bad_value(e, buf);
	}
	*out = v;
	record(c, key, e->value);
	return 0;
}

static void int_range(char *buf, size_t size, int64_t min, int64_t max)
{
	int lo = min > INT64_MIN, hi = max < INT64_MAX;
	if (lo && hi)
		snprintf(buf, size, "expected an integer in [%" PRId64 ", %" PRId64 "]", min, max);
	else if (lo)
		snprintf(buf, size, "expected an integer >= %" PRId64, min);
	else if (hi)
		snprintf(buf, size, "expected an integer <= %" PRId64, max);
	else
		snprintf(buf, size, "expected an integer");
}

int runcfg_int(struct runcfg *c, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out)
{
	char buf[128];
	const struct config_entry *e = lookup(c, key);
	if (!e) {
		*out = def;
		snprintf(buf, sizeof buf, "%" PRId64, def);
		record(c, key, buf);
		return 0;
	}
	int64_t v;
	if (parse_int64(e->value, &v) < 0 || v < min || v > max) {
		int_range(buf, sizeof buf, min, max);
		return bad_value(e, buf);
	}
	*out = v;
	record(c, key, e->value);
	return 0;
}

int runcfg_choice(struct runcfg *c, const char *key, const char *def, const char *const *choices, int *out)
{
	const struct config_entry *e = lookup(c, key);
	const char *v = e ? e->value : def;
	for (int i = 0; choices[i]; i++)
		if (!strcmp(choices[i], v)) {
			*out = i;
			record(c, key, v);
			return 0;
		}
	if (!e) {
		/* A default outside the choices is a programming error. */
		return diag_error("%s: default '%s' is not one of the choices", key, def);
	}
	char buf[512];
	size_t n = (size_t)snprintf(buf, sizeof buf, "expected one of:");
	for (int i = 0; choices[i] && n < sizeof buf; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s %s", i ? "," : "", choices[i]);
	return bad_value(e, buf);
}

size_t runcfg_edit_distance(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na > 64 || nb > 64)
		return (size_t)-1;
	size_t row[65];
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[nb];
}

int runcfg_check_unused(const struct runcfg *c)
{
	int rc = 0;
	for (size_t i = 0; i < c->nentries; i++) {
		const struct config_entry *e = &c->entries[i];
		if (e->read)
			continue;
		const char *hint = NULL;
		size_t best = 3; /* suggest only keys within two edits */
		for (size_t j = 0; j < c->nreads; j++) {
			size_t d = runcfg_edit_distance(e->key, c->reads[j].key);
			if (d < best) {
				best = d;
				hint = c->reads[j].key;
			}
		}
		if (hint)
			diag_at(e->where, e->line, "unknown key '%s' (no part of this run reads it; "
				"did you mean '%s'?)", e->key, hint);
		else
			diag_at(e->where, e->line, "unknown key '%s' (no part of this run reads it)", e->key);
		rc = -1;
	}
	return rc;
}

static int cmp_read(const void *a, const void *b)
{
	return strcmp(((const struct config_read *)a)->key, ((const struct config_read *)b)->key);
}

char *runcfg_dump(const struct runcfg *c)
{
	struct config_read *sorted = xmalloc((c->nreads ? c->nreads : 1) * sizeof *sorted);
	if (c->nreads)
		memcpy(sorted, c->reads, c->nreads * sizeof *sorted);
	qsort(sorted, c->nreads, sizeof *sorted, cmp_read);
	size_t len = 1;
	for (size_t i = 0; i < c->nreads; i++)
		len += strlen(sorted[i].key) + strlen(sorted[i].value) + 4;
	char *out = xmalloc(len), *p = out;
	*p = '\0';
	for (size_t i = 0; i < c->nreads; i++)
		p += sprintf(p, "%s = %s\n", sorted[i].key, sorted[i].value);
	free(sorted);
	return out;
}
