/*
 * Shared harness code (tests/fuzz/fuzz.h): running a target with diagnostics captured and
 * checking that every rejection is reported, source-tree paths, the in-memory input file of
 * the libFuzzer build, and the list of harnesses of the regression driver build.
 */
#define _GNU_SOURCE /* memfd_create */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/diag.h"
#include "lib/xmalloc.h"

#ifdef FUZZ_LIBFUZZER
#include <sys/mman.h>
#endif

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

static char message[4096]; /* last diagnostic of the target being run */

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: fuzz check failed: %s\n  last diagnostic: %s\n", file, line, what,
		message[0] ? message : "(none)");
	abort();
}

char *fuzz_srcpath(const char *rel)
{
	const char *top = getenv("TOP_SRCDIR");
	return xasprintf("%s/%s", top && *top ? top : FUZZ_SRCDIR, rel);
}

const char *fuzz_last_message(void)
{
	return message;
}

void fuzz_clear_message(void)
{
	message[0] = '\0';
}

void fuzz_rejected(const char *path)
{
	/* A clean rejection says why and names the file: "gaiasim: PATH:..." */
	char *prefix = xasprintf("gaiasim: %s:", path);
	int named = strncmp(message, prefix, strlen(prefix)) == 0;
	free(prefix);
	FUZZ_CHECK(named);
}

int fuzz_run_file(const struct fuzz_target *t, const char *path)
{
	diag_capture(message, sizeof message);
	int rc = t->run(path);
	diag_capture(NULL, 0);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc < 0)
		fuzz_rejected(path);
	return rc;
}

#ifdef FUZZ_LIBFUZZER
/*
 * The parsers read files by path, so each input goes to an in-memory file (memfd) opened by
 * the parser as /proc/self/fd/N; without memfd, a temporary file (removed at exit).
 */
static char input_path[64];  /* path the parsers open */
static int input_fd = -1;    /* descriptor of the input file */
static char *tmp_path;       /* temporary file to remove at exit, or NULL */

static void remove_tmp(void)
{
	if (tmp_path)
		unlink(tmp_path);
}

static void open_input(void)
{
	input_fd = memfd_create("fuzz-input", 0);
	if (input_fd >= 0) {
		snprintf(input_path, sizeof input_path, "/proc/self/fd/%d", input_fd);
		return;
	}
	const char *dir = getenv("TMPDIR");
	tmp_path = xasprintf("%s/gaiasim-fuzz.XXXXXX", dir && *dir ? dir : "/tmp");
	input_fd = mkstemp(tmp_path);
	FUZZ_CHECK(input_fd >= 0 && strlen(tmp_path) < sizeof input_path);
	snprintf(input_path, sizeof input_path, "%s", tmp_path);
	atexit(remove_tmp);
}

int fuzz_run_bytes(const struct fuzz_target *t, const uint8_t *data, size_t size)
{
	if (input_fd < 0)
		open_input();
	FUZZ_CHECK(ftruncate(input_fd, 0) == 0);
	size_t done = 0;
	while (done < size) {
		ssize_t n = pwrite(input_fd, data + done, size - done, (off_t)done);
		FUZZ_CHECK(n > 0);
		done += (size_t)n;
	}
	return fuzz_run_file(t, input_path);
}
#else
static struct fuzz_target *targets; /* registered harnesses, sorted by name */

void fuzz_register(struct fuzz_target *t)
{
	struct fuzz_target **p = &targets;
	while (*p && strcmp((*p)->name, t->name) < 0)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
}

struct fuzz_target *fuzz_targets(void)
{
	return targets;
}
#endif
