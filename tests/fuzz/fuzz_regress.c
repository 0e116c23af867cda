/*
 * Regression driver of the fuzz harnesses, built with the normal compiler for `make check`
 * (tests/fuzz_regress.sh): runs a harness's parser over files and prints one line per file,
 * "accepted FILE" or "rejected FILE: MESSAGE". A crash, a sanitizer report or a failed harness
 * check ends the program with a non-zero status; a clean rejection does not.
 *
 *   fuzz_regress --list          names of the harnesses
 *   fuzz_regress --seeds NAME    the shipped seed files of harness NAME (source-tree paths)
 *   fuzz_regress NAME FILE...    run harness NAME over each FILE
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "tests/fuzz/fuzz.h"

static const struct fuzz_target *find(const char *name)
{
	for (const struct fuzz_target *t = fuzz_targets(); t; t = t->next)
		if (!strcmp(t->name, name))
			return t;
	fprintf(stderr, "fuzz_regress: no harness '%s' (see --list)\n", name);
	return NULL;
}

/* Print the files matching each blank-separated glob of t->seeds. */
static int print_seeds(const struct fuzz_target *t)
{
	char *globs = xstrdup(t->seeds);
	int rc = 0;
	for (char *g = strtok(globs, " "); g; g = strtok(NULL, " ")) {
		char *pattern = fuzz_srcpath(g);
		glob_t gl;
		if (glob(pattern, 0, NULL, &gl) == 0) {
			for (size_t k = 0; k < gl.gl_pathc; k++)
				printf("%s\n", gl.gl_pathv[k]);
			globfree(&gl);
		} else {
			fprintf(stderr, "fuzz_regress: %s: seed pattern %s matches nothing\n", t->name, pattern);
			rc = 1;
		}
		free(pattern);
	}
	free(globs);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (const struct fuzz_target *t = fuzz_targets(); t; t = t->next)
			printf("%s\n", t->name);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--seeds")) {
		const struct fuzz_target *t = find(argv[2]);
		return t ? print_seeds(t) : 2;
	}
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: fuzz_regress --list | --seeds NAME | NAME FILE...\n");
		return 2;
	}
	const struct fuzz_target *t = find(argv[1]);
	if (!t)
		return 2;
	for (int i = 2; i < argc; i++) {
		if (fuzz_run_file(t, argv[i]) == 0)
			printf("accepted %s\n", argv[i]);
		else
			printf("rejected %s: %s\n", argv[i], fuzz_last_message());
		fflush(stdout);
	}
	return 0;
}
