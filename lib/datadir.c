/*
 * Data lookup by name: the environment's folder, the install beside the running program, the
 * source tree (only for a program inside its build tree) and the compiled-in data directory.
 * The program's own location is read from /proc/self/exe (Linux); where that is unavailable
 * the two steps that depend on it are skipped.
 */
#include "lib/datadir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/xmalloc.h"

#ifndef GAIASIM_SRCDIR
#define GAIASIM_SRCDIR "."
#endif
#ifndef GAIASIM_BUILDDIR
#define GAIASIM_BUILDDIR "."
#endif
#ifndef GAIASIM_PKGDATADIR
#define GAIASIM_PKGDATADIR "/usr/local/share/gaiasim"
#endif

/* The folder of the running program, or "" if unknown. */
static void exe_dir(char *buf, size_t size)
{
	buf[0] = '\0';
	if (size < 2)
		return;
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	else
		buf[0] = '\0';
}

/* 1 if dir is top or lies under it (both absolute, no trailing '/'). */
static int under(const char *dir, const char *top)
{
	size_t n = strlen(top);
	return n > 1 && !strncmp(dir, top, n) && (dir[n] == '\0' || dir[n] == '/');
}

int datadir_dirs(const char *env, const char *sub, const char *src_sub, char **out, int max)
{
	int k = 0;
	const char *e = env ? getenv(env) : NULL;
	if (e && *e && k < max)
		out[k++] = xstrdup(e);
	char exe[PATH_MAX];
	exe_dir(exe, sizeof exe);
	if (*exe && k < max) {
		char *slash = strrchr(exe, '/');
		/* DIR/bin/gaiasim -> DIR/share/gaiasim/SUB */
		if (slash && !strcmp(slash, "/bin")) {
			*slash = '\0';
			out[k++] = xasprintf("%s/share/gaiasim/%s", exe, sub);
			*slash = '/';
		}
	}
	/* /proc/self/exe is resolved; the build folder is compared as configure wrote it. */
	if (*exe && under(exe, GAIASIM_BUILDDIR) && k < max)
		out[k++] = xasprintf("%s/%s", GAIASIM_SRCDIR, src_sub);
	if (k < max)
		out[k++] = xasprintf("%s/%s", GAIASIM_PKGDATADIR, sub);
	return k;
}

static int is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *datadir_find(const char *env, const char *sub, const char *src_sub, const char *name,
                   const char *ext, char *searched, size_t searched_size)
{
	char *dirs[4];
	int n = datadir_dirs(env, sub, src_sub, dirs, 4);
	char *found = NULL;
	if (searched && searched_size)
		searched[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (!found) {
			char *path = xasprintf("%s/%s%s", dirs[i], name, ext ? ext : "");
			if (is_file(path))
				found = path;
			else
				free(path);
		}
		if (searched && searched_size) {
			size_t len = strlen(searched);
			snprintf(searched + len, searched_size - len, "%s%s", i ? ", " : "", dirs[i]);
		}
		free(dirs[i]);
	}
	return found;
}
