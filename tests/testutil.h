/*
 * Shared scaffolding for the CUnit test programs: run every registered suite with the basic
 * runner, print a one-line count, and exit non-zero when any assertion or test failed (CUnit's
 * basic runner alone exits 0 regardless). Also helpers for capturing diagnostics and writing
 * temporary input files.
 */
#ifndef GAIA_TESTUTIL_H
#define GAIA_TESTUTIL_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/diag.h"

/* Run all registered suites; returns the process exit status. */
static inline int testutil_run(void)
{
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned tests_run = CU_get_number_of_tests_run();
	unsigned tests_failed = CU_get_number_of_tests_failed();
	unsigned asserts_failed = CU_get_number_of_failures();
	printf("\nTESTCASES: %u passed, %u failed\n", tests_run - tests_failed, tests_failed);
	CU_cleanup_registry();
	return (tests_failed || asserts_failed) ? 1 : 0;
}

/* Register a suite from a NULL-terminated array of {name, fn}; aborts on registry errors. */
struct testutil_case {
	const char *name;
	CU_TestFunc fn;
};

static inline void testutil_suite(const char *name, const struct testutil_case *cases)
{
	if (!CU_get_registry() && CU_initialize_registry() != CUE_SUCCESS)
		abort();
	CU_pSuite s = CU_add_suite(name, NULL, NULL);
	if (!s)
		abort();
	for (; cases->name; cases++)
		if (!CU_add_test(s, cases->name, cases->fn))
			abort();
}

/* Write text to a fresh temporary file; returns its malloc'd path (caller unlinks and frees). */
static inline char *testutil_tmpfile(const char *text)
{
	char tmpl[] = "/tmp/gaiasim-test-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		abort();
	size_t n = strlen(text);
	if (write(fd, text, n) != (ssize_t)n)
		abort();
	close(fd);
	char *p = malloc(sizeof tmpl);
	memcpy(p, tmpl, sizeof tmpl);
	return p;
}

/*
 * Path of a checked-in test data file: $TESTDATA_DIR/rel (set by `make check` to the source
 * tree's tests/data), else tests/data/rel. Returns a static buffer.
 */
static inline const char *testutil_data(const char *rel)
{
	static char buf[4096];
	const char *dir = getenv("TESTDATA_DIR");
	snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "tests/data", rel);
	return buf;
}

#endif
