/*
 * Fuzz harnesses of the input parsers (docs/fuzzing.md). A harness is one file
 * tests/fuzz/fuzz_NAME.c that defines a function running one parser over a file path and
 * declares itself with FUZZ_TARGET(NAME, SEEDS, RUN). The same file builds two ways:
 *
 *  - with clang -fsanitize=fuzzer (make fuzz, -DFUZZ_LIBFUZZER): FUZZ_TARGET defines
 *    LLVMFuzzerTestOneInput, which writes each input to an in-memory file and calls RUN on it;
 *  - with the normal compiler (make check): FUZZ_TARGET registers RUN with the regression
 *    driver tests/fuzz/fuzz_regress.c, which calls it on real files (seeds, regression inputs).
 *
 * RUN returns 0 when the parser accepted the input (after checking what it built) and -1 when
 * the parser rejected it. A rejection must be clean: the parser's message, captured with
 * diag_capture(), must name the file. Anything else (a crash, a sanitizer report, a leak, a
 * rejection without a message, a broken invariant) is a finding and aborts.
 */
#ifndef GAIA_FUZZ_H
#define GAIA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* One harness. */
struct fuzz_target {
	const char *name;              /* harness name, e.g. "topology" (tests/fuzz/corpus/NAME) */
	const char *seeds;             /* blank-separated globs of shipped seed files, relative
	                                  to the source tree */
	int (*run)(const char *path);  /* run the parser on path: 0 accepted, -1 rejected */
	struct fuzz_target *next;      /* next registered harness (driver build) */
};

/* Abort with a message naming the harness check that failed (also under NDEBUG). */
#define FUZZ_CHECK(cond) \
	((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))
void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/* A file of the source tree: $TOP_SRCDIR/rel, else FUZZ_SRCDIR/rel (compiled in); caller frees. */
char *fuzz_srcpath(const char *rel);

/* Run target t on path with diagnostics captured; checks that a rejection left a message
 * naming path. Returns what t->run returned. */
int fuzz_run_file(const struct fuzz_target *t, const char *path);

/* The last captured diagnostic (valid until the next fuzz_run_file). */
const char *fuzz_last_message(void);
/* Forget the captured diagnostic (before a harness calls a parser a second time). */
void fuzz_clear_message(void);
/* Check that the captured diagnostic names path ("gaiasim: PATH:..."): a clean rejection. */
void fuzz_rejected(const char *path);

#ifdef FUZZ_LIBFUZZER
/* Write data to the harness's in-memory file and run t on it (libFuzzer build). */
int fuzz_run_bytes(const struct fuzz_target *t, const uint8_t *data, size_t size);

#define FUZZ_TARGET(NAME, SEEDS, RUN)                                                    \
	static struct fuzz_target fuzz_target_##NAME = { #NAME, SEEDS, RUN, NULL };       \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                    \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                     \
	{                                                                                 \
		fuzz_run_bytes(&fuzz_target_##NAME, data, size);                          \
		return 0;                                                                 \
	}
#else
/* Add t to the driver's list (called before main by each harness file). */
void fuzz_register(struct fuzz_target *t);
/* The registered harnesses, in name order. */
struct fuzz_target *fuzz_targets(void);

#define FUZZ_TARGET(NAME, SEEDS, RUN)                                                    \
	static struct fuzz_target fuzz_target_##NAME = { #NAME, SEEDS, RUN, NULL };       \
	static void fuzz_register_##NAME(void) __attribute__((constructor));             \
	static void fuzz_register_##NAME(void)                                            \
	{                                                                                 \
		fuzz_register(&fuzz_target_##NAME);                                       \
	}
#endif

#endif
