/* The experiment matrix file of `gaiasim reproduce`: parsing and checks (matrix.h). */
#include "cli/matrix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/diag.h"
#include "lib/lineio.h"
#include "lib/xmalloc.h"
#include "ps/sync.h"

#define MATRIX_MAX_FIELDS 128 /* most blank-separated words on one line */

static void entry_free(struct matrix_entry *e)
{
	free(e->name);
	free(e->config);
	free(e->sync);
	for (int i = 0; i < e->nmodels; i++)
		free(e->models[i]);
	free(e->models);
	for (int i = 0; i < e->nsets; i++)
		free(e->sets[i]);
	free(e->sets);
}

void matrix_free(struct matrix *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n; i++)
		entry_free(&m->e[i]);
	free(m->e);
	for (int i = 0; i < m->nquick_sets; i++)
		free(m->quick_sets[i]);
	free(m->quick_sets);
	free(m->path);
	free(m);
}

static void push(char ***v, int *n, const char *s)
{
	*v = xrealloc(*v, (size_t)(*n + 1) * sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > MATRIX_NAME_MAX || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("._-", *s)))
			return 0;
	return 1;
}

/* KEY=VALUE with a non-empty key of config-key characters and no shell-special bytes. */
static int set_ok(const char *s)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return 0;
	for (const char *p = s; p < eq; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

/* Split the sync list into e->models, each a model sync_find() knows. */
static int parse_models(struct matrix_entry *e, const char *file, long line)
{
	char *buf = xstrdup(e->sync);
	int rc = 0;
	for (char *p = buf, *comma; p && rc == 0; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		const char *arg;
		if (!*p || !sync_find(p, &arg))
			rc = diag_at(file, line, "sync list '%s': unknown or empty model '%s' (%s)",
			             e->sync, p, sync_list());
		for (int i = 0; i < e->nmodels && rc == 0; i++)
			if (!strcmp(e->models[i], p))
				rc = diag_at(file, line, "sync list '%s': model '%s' given twice", e->sync, p);
		if (rc == 0)
			push(&e->models, &e->nmodels, p);
	}
	free(buf);
	return rc;
}

/* Resolve a config path against the matrix file's folder and check it is readable. */
static char *resolve_config(const char *matrix_path, const char *cfg, long line)
{
	char *path;
	const char *slash = strrchr(matrix_path, '/');
	if (cfg[0] == '/' || !slash)
		path = xstrdup(cfg);
	else
		path = xasprintf("%.*s/%s", (int)(slash - matrix_path), matrix_path, cfg);
	if (access(path, R_OK) != 0) {
		diag_at(matrix_path, line, "config '%s' (%s) cannot be read", cfg, path);
		free(path);
		return NULL;
	}
	return path;
}

static int parse_entry(struct matrix *m, char **f, int nf, long line)
{
	if (nf < 3)
		return diag_at(m->path, line, "expected 'NAME CONFIG SYNC[,SYNC...] [KEY=VALUE ...] [+quick]'");
	if (!name_ok(f[0]))
		return diag_at(m->path, line, "bad experiment name '%s' (1 to %d of a-z 0-9 . _ -, starting with a letter or digit)",
		               f[0], MATRIX_NAME_MAX);
	if (matrix_find(m, f[0]))
		return diag_at(m->path, line, "experiment '%s' given twice (first at line %ld)", f[0],
		               matrix_find(m, f[0])->line);
	m->e = xrealloc(m->e, (size_t)(m->n + 1) * sizeof *m->e);
	struct matrix_entry *e = &m->e[m->n++];
	memset(e, 0, sizeof *e);
	e->line = line;
	e->name = xstrdup(f[0]);
	e->sync = xstrdup(f[2]);
	if (!(e->config = resolve_config(m->path, f[1], line)) || parse_models(e, m->path, line) < 0)
		return -1;
	for (int i = 3; i < nf; i++) {
		if (!strcmp(f[i], "+quick"))
			e->quick = 1;
		else if (set_ok(f[i]))
			push(&e->sets, &e->nsets, f[i]);
		else
			return diag_at(m->path, line, "'%s': expected KEY=VALUE or +quick", f[i]);
	}
	return 0;
}

struct matrix *matrix_load(const char *path)
{
	struct lineio *in = lineio_open(path);
	if (!in)
		return NULL;
	struct matrix *m = xcalloc(1, sizeof *m);
	m->path = xstrdup(path);
	char *line, *f[MATRIX_MAX_FIELDS];
	int r, bad = 0;
	while ((r = lineio_next(in, &line)) > 0) {
		char *hash = strstr(line, " #"), *tab = strstr(line, "\t#");
		if (hash || tab)
			*(hash && (!tab || hash < tab) ? hash : tab) = '\0';
		if (lineio_is_blank(line))
			continue;
		long ln = lineio_lineno(in);
		int nf = lineio_split_ws(line, f, MATRIX_MAX_FIELDS);
		if (nf > MATRIX_MAX_FIELDS) {
			bad |= diag_at(path, ln, "more than %d words", MATRIX_MAX_FIELDS);
			continue;
		}
		if (!strcmp(f[0], "@quick")) {
			for (int i = 1; i < nf; i++)
				if (set_ok(f[i]))
					push(&m->quick_sets, &m->nquick_sets, f[i]);
				else
					bad |= diag_at(path, ln, "@quick: '%s': expected KEY=VALUE", f[i]);
		} else if (parse_entry(m, f, nf, ln) < 0) {
			bad = -1;
		}
	}
	lineio_close(in);
	if (r < 0 || bad)
		goto fail;
	if (m->n == 0) {
		diag_at(path, 0, "no experiments");
		goto fail;
	}
	return m;
fail:
	matrix_free(m);
	return NULL;
}

void matrix_select_quick(struct matrix *m)
{
	int k = 0;
	for (int i = 0; i < m->n; i++) {
		if (!m->e[i].quick) {
			entry_free(&m->e[i]);
			continue;
		}
		m->e[k] = m->e[i];
		for (int j = 0; j < m->nquick_sets; j++)
			push(&m->e[k].sets, &m->e[k].nsets, m->quick_sets[j]);
		k++;
	}
	m->n = k;
}

const struct matrix_entry *matrix_find(const struct matrix *m, const char *name)
{
	for (int i = 0; i < m->n; i++)
		if (m->e[i].name && !strcmp(m->e[i].name, name))
			return &m->e[i];
	return NULL;
}
