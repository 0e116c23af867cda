/*
 * Tests for the line reader and strict parsers (lib/lineio.c): over-long lines and NUL bytes
 * are rejected with a "file:line:" message, CR LF endings are stripped, blank and comment
 * lines are recognised, fields split and trim as documented, and the number parsers accept
 * exactly plain decimal notation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lineio.h"
#include "tests/testutil.h"

/* A reader over an in-memory buffer of n bytes (may contain NULs), named `name`. */
static struct lineio *mem_reader(const char *bytes, size_t n, const char *name, FILE **fp)
{
	*fp = fmemopen((void *)bytes, n, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(*fp);
	return lineio_from_stream(*fp, name);
}

/* Read the next line and compare it to want (NULL: expect end of file). */
static void expect_line(struct lineio *in, const char *want)
{
	char *line = NULL;
	int rc = lineio_next(in, &line);
	if (!want) {
		CU_ASSERT_EQUAL(rc, 0);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(rc, 1);
	CU_ASSERT_STRING_EQUAL(line, want);
}

/* A 10 MB line between two short ones: the long one fails naming file and line 2. */
static void test_huge_line(void)
{
	const size_t big = 10u * 1024 * 1024;
	char *text = malloc(big + 32);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	strcpy(text, "first\n");
	size_t off = strlen(text);
	memset(text + off, 'x', big);
	off += big;
	strcpy(text + off, "\nthird\n");
	char *path = testutil_tmpfile(text);
	free(text);

	struct lineio *in = lineio_open(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	CU_ASSERT_STRING_EQUAL(lineio_name(in), path);
	expect_line(in, "first");
	CU_ASSERT_EQUAL(lineio_lineno(in), 1);
	char msg[512];
	diag_capture(msg, sizeof msg);
	char *line;
	CU_ASSERT_EQUAL(lineio_next(in, &line), -1);
	diag_capture(NULL, 0);
	char want[300];
	snprintf(want, sizeof want, "%s:2:", path);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "longer"));
	lineio_close(in);
	unlink(path);
	free(path);
}

/* Exactly LINEIO_MAX_LINE bytes is accepted with LF, CR LF or no newline; one more is not. */
static void check_boundary(size_t len, const char *ending, int want_ok)
{
	size_t elen = strlen(ending);
	char *text = malloc(len + elen + 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	memset(text, 'y', len);
	memcpy(text + len, ending, elen);
	memcpy(text + len + elen, "z\n", 2);
	size_t n = len + elen + (elen ? 2 : 0);
	FILE *fp;
	struct lineio *in = mem_reader(text, n, "mem", &fp);
	char msg[256];
	diag_capture(msg, sizeof msg);
	char *line = NULL;
	int rc = lineio_next(in, &line);
	diag_capture(NULL, 0);
	if (want_ok) {
		CU_ASSERT_EQUAL(rc, 1);
		CU_ASSERT(rc == 1 && strlen(line) == len);
		if (elen)
			expect_line(in, "z");
		expect_line(in, NULL);
	} else {
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, "mem:1:"));
	}
	lineio_close(in);
	fclose(fp);
	free(text);
}

static void test_length_boundary(void)
{
	check_boundary(LINEIO_MAX_LINE, "\n", 1);
	check_boundary(LINEIO_MAX_LINE, "\r\n", 1);
	check_boundary(LINEIO_MAX_LINE, "", 1);
	check_boundary(LINEIO_MAX_LINE + 1, "\n", 0);
	check_boundary(LINEIO_MAX_LINE + 1, "\r\n", 0);
	check_boundary(LINEIO_MAX_LINE + 1, "", 0);
}

static void test_crlf(void)
{
	static const char text[] = "a b\r\nc\r\n\r\nx\ry\r\nlast";
	FILE *fp;
	struct lineio *in = mem_reader(text, sizeof text - 1, "crlf.txt", &fp);
	expect_line(in, "a b");
	expect_line(in, "c");
	expect_line(in, "");
	expect_line(in, "x\ry"); /* only a CR right before the line end is stripped */
	CU_ASSERT_EQUAL(lineio_lineno(in), 4);
	expect_line(in, "last"); /* last line without a newline */
	CU_ASSERT_EQUAL(lineio_lineno(in), 5);
	expect_line(in, NULL);
	expect_line(in, NULL);
	lineio_close(in);
	fclose(fp);
}

static void test_empty_input(void)
{
	FILE *fp;
	struct lineio *in = mem_reader("", 0, "empty", &fp);
	expect_line(in, NULL);
	CU_ASSERT_EQUAL(lineio_lineno(in), 0);
	lineio_close(in);
	fclose(fp);
}

/* A NUL byte inside a line is an error naming the line, in the middle or at end of file. */
static void test_nul_byte(void)
{
	static const char mid[] = "ok\nab\0cd\nz\n";
	static const char end[] = "ok\nab\0cd";
	const char *texts[2] = { mid, end };
	const size_t sizes[2] = { sizeof mid - 1, sizeof end - 1 };
	for (int k = 0; k < 2; k++) {
		FILE *fp;
		struct lineio *in = mem_reader(texts[k], sizes[k], "nul.txt", &fp);
		expect_line(in, "ok");
		char msg[256];
		diag_capture(msg, sizeof msg);
		char *line;
		CU_ASSERT_EQUAL(lineio_next(in, &line), -1);
		diag_capture(NULL, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, "nul.txt:2:"));
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, "NUL"));
		lineio_close(in);
		fclose(fp);
	}
}

static void test_open_missing(void)
{
	char msg[512];
	diag_capture(msg, sizeof msg);
	struct lineio *in = lineio_open("/nonexistent/gaiasim/file.txt");
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(in);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "/nonexistent/gaiasim/file.txt"));
	lineio_close(NULL);
}

static void test_blank(void)
{
	CU_ASSERT(lineio_is_blank(""));
	CU_ASSERT(lineio_is_blank("   "));
	CU_ASSERT(lineio_is_blank("\t \t"));
	CU_ASSERT(lineio_is_blank("#"));
	CU_ASSERT(lineio_is_blank("# comment"));
	CU_ASSERT(lineio_is_blank("  \t# indented comment"));
	CU_ASSERT(!lineio_is_blank("a"));
	CU_ASSERT(!lineio_is_blank("  a # trailing comment"));
	CU_ASSERT(!lineio_is_blank("0"));
}

static void test_split(void)
{
	char buf[64];
	char *f[4];

	strcpy(buf, "a, b ,c");
	CU_ASSERT_EQUAL(lineio_split(buf, ',', f, 4), 3);
	CU_ASSERT_STRING_EQUAL(f[0], "a");
	CU_ASSERT_STRING_EQUAL(f[1], "b");
	CU_ASSERT_STRING_EQUAL(f[2], "c");

	strcpy(buf, "x,,\ty\t,");
	CU_ASSERT_EQUAL(lineio_split(buf, ',', f, 4), 4);
	CU_ASSERT_STRING_EQUAL(f[0], "x");
	CU_ASSERT_STRING_EQUAL(f[1], "");
	CU_ASSERT_STRING_EQUAL(f[2], "y");
	CU_ASSERT_STRING_EQUAL(f[3], "");

	strcpy(buf, "");
	CU_ASSERT_EQUAL(lineio_split(buf, ',', f, 4), 1);
	CU_ASSERT_STRING_EQUAL(f[0], "");

	/* More fields than max: the count is still exact, only max are stored. */
	strcpy(buf, "1;2;3;4;5;6");
	f[3] = NULL;
	CU_ASSERT_EQUAL(lineio_split(buf, ';', f, 2), 6);
	CU_ASSERT_STRING_EQUAL(f[0], "1");
	CU_ASSERT_STRING_EQUAL(f[1], "2");
	CU_ASSERT_PTR_NULL(f[3]);

	strcpy(buf, "  alpha \t beta\tgamma   ");
	CU_ASSERT_EQUAL(lineio_split_ws(buf, f, 4), 3);
	CU_ASSERT_STRING_EQUAL(f[0], "alpha");
	CU_ASSERT_STRING_EQUAL(f[1], "beta");
	CU_ASSERT_STRING_EQUAL(f[2], "gamma");

	strcpy(buf, " \t ");
	CU_ASSERT_EQUAL(lineio_split_ws(buf, f, 4), 0);

	strcpy(buf, "a b c d e");
	CU_ASSERT_EQUAL(lineio_split_ws(buf, f, 2), 5);
	CU_ASSERT_STRING_EQUAL(f[0], "a");
	CU_ASSERT_STRING_EQUAL(f[1], "b");
}

static void test_parse_double(void)
{
	double v = -7;
	CU_ASSERT_EQUAL(parse_double("1", &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 1.0, 0.0);
	CU_ASSERT_EQUAL(parse_double("-2.5", &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, -2.5, 0.0);
	CU_ASSERT_EQUAL(parse_double("+.5", &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 0.5, 0.0);
	CU_ASSERT_EQUAL(parse_double("1e3", &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 1000.0, 0.0);
	CU_ASSERT_EQUAL(parse_double("2.5E-3", &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 0.0025, 1e-18);

	const char *bad[] = { "", "1x", "nan", "NaN", "inf", "-inf", "infinity", "0x10", "0x1p3",
		" 1", "1 ", "\t1", "1e999", "-", "e5", "1,5", NULL };
	for (int i = 0; bad[i]; i++) {
		v = 42;
		CU_ASSERT_EQUAL(parse_double(bad[i], &v), -1);
		CU_ASSERT_DOUBLE_EQUAL(v, 42, 0.0); /* *out untouched on failure */
	}
	CU_ASSERT_EQUAL(parse_double(NULL, &v), -1);
}

static void test_parse_int64(void)
{
	int64_t v = 0;
	CU_ASSERT_EQUAL(parse_int64("123", &v), 0);
	CU_ASSERT_EQUAL(v, 123);
	CU_ASSERT_EQUAL(parse_int64("-9223372036854775808", &v), 0);
	CU_ASSERT_EQUAL(v, INT64_MIN);
	CU_ASSERT_EQUAL(parse_int64("9223372036854775807", &v), 0);
	CU_ASSERT_EQUAL(v, INT64_MAX);
	const char *bad[] = { "", "9223372036854775808", "1.0", "1e3", "0x10", " 1", "1 ", "-",
		"abc", NULL };
	for (int i = 0; bad[i]; i++)
		CU_ASSERT_EQUAL(parse_int64(bad[i], &v), -1);
}

static void test_parse_si(void)
{
	double v = 0;
	CU_ASSERT_EQUAL(parse_si("10G", &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 1e10, 0.0);
	CU_ASSERT_EQUAL(parse_si("1.5k", &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 1500.0, 0.0);
	CU_ASSERT_EQUAL(parse_si("2K", &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 2000.0, 0.0);
	CU_ASSERT_EQUAL(parse_si("100M", &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 1e8, 0.0);
	CU_ASSERT_EQUAL(parse_si("3T", &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 3e12, 0.0);
	CU_ASSERT_EQUAL(parse_si("42", &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 42.0, 0.0);
	CU_ASSERT_EQUAL(parse_si("0", &v), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 0.0, 0.0);
	const char *bad[] = { "-1", "G", "", "-1G", "1x", "1 G", "1GG", "nanG", "infG", "1e400",
		"1e300T", "0x10M", " 5M", "1m", NULL };
	for (int i = 0; bad[i]; i++)
		CU_ASSERT_EQUAL(parse_si(bad[i], &v), -1);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "10 MB line rejected with file:line", test_huge_line },
		{ "length limit boundary", test_length_boundary },
		{ "CR LF stripped", test_crlf },
		{ "empty input", test_empty_input },
		{ "NUL byte rejected", test_nul_byte },
		{ "open missing file", test_open_missing },
		{ "blank and comment lines", test_blank },
		{ "field splitting", test_split },
		{ "parse_double", test_parse_double },
		{ "parse_int64", test_parse_int64 },
		{ "parse_si", test_parse_si },
		{ NULL, NULL },
	};
	testutil_suite("lineio", cases);
	return testutil_run();
}
