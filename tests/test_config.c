/*
 * Tests for lib/runcfg.c: parsing a good file, every malformed-input case with its
 * FILE:LINE message, typed getters and their range errors, command-line overrides, detection
 * of keys nobody read, and the deterministic dump of the effective configuration.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"
#include "lib/runcfg.h"

static char msg[2048]; /* captured diagnostic */

/* Write text to a temporary file and load it; *path receives the file name (caller frees). */
static struct runcfg *load_text(const char *text, char **path)
{
	*path = testutil_tmpfile(text);
	diag_capture(msg, sizeof msg);
	struct runcfg *c = runcfg_load(*path);
	diag_capture(NULL, 0);
	return c;
}

/* Load text expecting failure; check that the message is "gaiasim: PATH:" + expected tail. */
static void expect_load_error(const char *text, const char *tail)
{
	char *path;
	struct runcfg *c = load_text(text, &path);
	CU_ASSERT_PTR_NULL(c);
	char want[2048];
	snprintf(want, sizeof want, "gaiasim: %s:%s", path, tail);
	CU_ASSERT_STRING_EQUAL(msg, want);
	if (strcmp(msg, want))
		fprintf(stderr, "\n  got:  %s\n  want: %s\n", msg, want);
	runcfg_free(c);
	unlink(path);
	free(path);
}

static void test_good_file(void)
{
	char *path;
	struct runcfg *c = load_text(
		"# a run configuration\n"
		"\n"
		"workload = mf\n"
		"  mf.rank=16   \n"
		"mf.lr = 0.05   # trailing comment after a blank\n"
		"title = two words  and more\n"
		"mf.data = data/r#1.csv\n"
		"\t# indented comment\n"
		"sync.model = gaia\n"
		"empty =\n", &path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	const char *s;
	int64_t i;
	double d;
	CU_ASSERT_EQUAL(runcfg_string(c, "workload", "x", &s), 0);
	CU_ASSERT_STRING_EQUAL(s, "mf");
	CU_ASSERT_EQUAL(runcfg_int(c, "mf.rank", 1, 1, 1024, &i), 0);
	CU_ASSERT_EQUAL(i, 16);
	CU_ASSERT_EQUAL(runcfg_double(c, "mf.lr", 1, 0, 10, &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 0.05, 1e-15);
	CU_ASSERT_EQUAL(runcfg_string(c, "title", NULL, &s), 0);
	CU_ASSERT_STRING_EQUAL(s, "two words  and more");
	/* '#' inside a word is part of the value */
	CU_ASSERT_EQUAL(runcfg_string(c, "mf.data", NULL, &s), 0);
	CU_ASSERT_STRING_EQUAL(s, "data/r#1.csv");
	static const char *const models[] = { "bsp", "ssp", "gaia", NULL };
	int k = -1;
	CU_ASSERT_EQUAL(runcfg_choice(c, "sync.model", "bsp", models, &k), 0);
	CU_ASSERT_EQUAL(k, 2);
	CU_ASSERT_EQUAL(runcfg_string(c, "empty", "dflt", &s), 0);
	CU_ASSERT_STRING_EQUAL(s, "");
	/* absent keys take the default */
	CU_ASSERT_EQUAL(runcfg_int(c, "mf.users", 123, 1, 1000, &i), 0);
	CU_ASSERT_EQUAL(i, 123);
	CU_ASSERT_EQUAL(runcfg_double(c, "mf.noise", 0.5, 0, 1, &d), 0);
	CU_ASSERT_EQUAL(d, 0.5);
	CU_ASSERT_EQUAL(runcfg_choice(c, "mf.partition", "random", (const char *const[]){ "random", "skewed", NULL }, &k), 0);
	CU_ASSERT_EQUAL(k, 0);
	/* where values came from */
	long line = -1;
	CU_ASSERT_STRING_EQUAL(runcfg_where(c, "mf.rank", &line), path);
	CU_ASSERT_EQUAL(line, 4);
	CU_ASSERT_STRING_EQUAL(runcfg_where(c, "sync.model", &line), path);
	CU_ASSERT_EQUAL(line, 9);
	CU_ASSERT_PTR_NULL(runcfg_where(c, "mf.users", &line));
	CU_ASSERT_EQUAL(line, 0);
	CU_ASSERT_TRUE(runcfg_has(c, "title"));
	CU_ASSERT_FALSE(runcfg_has(c, "mf.users"));
	/* everything given was read */
	CU_ASSERT_EQUAL(runcfg_check_unused(c), 0);
	runcfg_free(c);
	unlink(path);
	free(path);
}

static void test_malformed_lines(void)
{
	expect_load_error("a = 1\nb = 2\njust some words\n",
			  "3: expected 'key = value', got 'just some words'");
	expect_load_error("= 5\n", "1: expected 'key = value', got '= 5'");
	expect_load_error("a = 1\n   # c\nMf.Rank = 3\n",
			  "3: bad key 'Mf.Rank' (keys are lowercase letters, digits and '_', in "
			  "dot-separated parts)");
	expect_load_error("mf..rank = 3\n",
			  "1: bad key 'mf..rank' (keys are lowercase letters, digits and '_', in "
			  "dot-separated parts)");
	expect_load_error("mf.rank. = 3\n",
			  "1: bad key 'mf.rank.' (keys are lowercase letters, digits and '_', in "
			  "dot-separated parts)");
	expect_load_error("my key = 3\n",
			  "1: bad key 'my key' (keys are lowercase letters, digits and '_', in "
			  "dot-separated parts)");
	/* long lines are quoted only in part */
	char line[300];
	memset(line, 'x', 200);
	strcpy(line + 200, "\n");
	char want[200];
	snprintf(want, sizeof want, "1: expected 'key = value', got '%.60s...'", line);
	expect_load_error(line, want);
}

static void test_duplicate_key(void)
{
	char *path;
	struct runcfg *c = load_text("a = 1\nb = 2\n\n# again\na = 3\n", &path);
	CU_ASSERT_PTR_NULL(c);
	char want[1024];
	snprintf(want, sizeof want, "gaiasim: %s:5: duplicate key 'a' (first set at %s:1)", path, path);
	CU_ASSERT_STRING_EQUAL(msg, want);
	unlink(path);
	free(path);
}

static void test_long_line_and_missing_file(void)
{
	/* a 10 MB line: the line reader refuses it and names the line */
	size_t n = 10u << 20;
	char *text = malloc(n + 32);
	strcpy(text, "a = 1\nb = ");
	memset(text + 10, 'v', n);
	strcpy(text + 10 + n, "\n");
	char *path;
	struct runcfg *c = load_text(text, &path);
	CU_ASSERT_PTR_NULL(c);
	char want[1024];
	snprintf(want, sizeof want, "gaiasim: %s:2: line longer than 65536 bytes", path);
	CU_ASSERT_STRING_EQUAL(msg, want);
	unlink(path);
	free(path);
	free(text);

	diag_capture(msg, sizeof msg);
	c = runcfg_load("/nonexistent/run.conf");
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_STRING_EQUAL(msg, "gaiasim: /nonexistent/run.conf: cannot open: No such file or directory");
}

/* Call a getter expecting failure and compare the message tail after "gaiasim: PATH:". */
#define EXPECT_GETTER_ERROR(call, path, tail)                                          \
	do {                                                                           \
		diag_capture(msg, sizeof msg);                                         \
		CU_ASSERT_EQUAL(call, -1);                                             \
		diag_capture(NULL, 0);                                                 \
		char want_[1024];                                                      \
		snprintf(want_, sizeof want_, "gaiasim: %s:%s", path, tail);           \
		CU_ASSERT_STRING_EQUAL(msg, want_);                                    \
		if (strcmp(msg, want_))                                                \
			fprintf(stderr, "\n  got:  %s\n  want: %s\n", msg, want_);     \
	} while (0)

static void test_getter_errors(void)
{
	char *path;
	struct runcfg *c = load_text("mf.rank = 0\nmf.users = 1.5\nmf.lr = fast\nmf.noise = -1\n"
				     "mf.partition = zipfian\nmf.big = 1e400\nn.hex = 0x10\n"
				     "n.max = 2000\n", &path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	int64_t i = 7;
	double d = 7;
	int k = 7;
	EXPECT_GETTER_ERROR(runcfg_int(c, "mf.rank", 16, 1, 1024, &i), path,
			    "1: mf.rank: bad value '0' (expected an integer in [1, 1024])");
	CU_ASSERT_EQUAL(i, 7); /* untouched on error */
	EXPECT_GETTER_ERROR(runcfg_int(c, "mf.users", 5, 1, INT64_MAX, &i), path,
			    "2: mf.users: bad value '1.5' (expected an integer >= 1)");
	EXPECT_GETTER_ERROR(runcfg_double(c, "mf.lr", 0.1, 0, 10, &d), path,
			    "3: mf.lr: bad value 'fast' (expected a number in [0, 10])");
	EXPECT_GETTER_ERROR(runcfg_double(c, "mf.noise", 0.5, 0, HUGE_VAL, &d), path,
			    "4: mf.noise: bad value '-1' (expected a number >= 0)");
	EXPECT_GETTER_ERROR(runcfg_choice(c, "mf.partition", "random",
					  (const char *const[]){ "random", "skewed", NULL }, &k), path,
			    "5: mf.partition: bad value 'zipfian' (expected one of: random, skewed)");
	EXPECT_GETTER_ERROR(runcfg_double(c, "mf.big", 1, -HUGE_VAL, HUGE_VAL, &d), path,
			    "6: mf.big: bad value '1e400' (expected a number)");
	EXPECT_GETTER_ERROR(runcfg_int(c, "n.hex", 1, INT64_MIN, INT64_MAX, &i), path,
			    "7: n.hex: bad value '0x10' (expected an integer)");
	EXPECT_GETTER_ERROR(runcfg_double(c, "n.max", 1, -5, 1e3, &d), path,
			    "8: n.max: bad value '2000' (expected a number in [-5, 1000])");
	CU_ASSERT_EQUAL(d, 7);
	/* keys whose value was rejected were still read: not reported as unknown */
	CU_ASSERT_EQUAL(runcfg_check_unused(c), 0);
	runcfg_free(c);
	unlink(path);
	free(path);
}

static void test_overrides(void)
{
	char *path;
	struct runcfg *c = load_text("mf.rank = 16\nmf.lr = 0.1\n", &path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(runcfg_set(c, "mf.rank=32"), 0);
	CU_ASSERT_EQUAL(runcfg_set(c, " mf.users = 100 "), 0);
	CU_ASSERT_EQUAL(runcfg_set(c, "mf.users=200"), 0); /* the last override wins */
	CU_ASSERT_EQUAL(runcfg_set(c, "title=a b c"), 0);
	int64_t i;
	const char *s;
	CU_ASSERT_EQUAL(runcfg_int(c, "mf.rank", 1, 1, 1024, &i), 0);
	CU_ASSERT_EQUAL(i, 32);
	CU_ASSERT_EQUAL(runcfg_int(c, "mf.users", 1, 1, 1000, &i), 0);
	CU_ASSERT_EQUAL(i, 200);
	CU_ASSERT_EQUAL(runcfg_string(c, "title", NULL, &s), 0);
	CU_ASSERT_STRING_EQUAL(s, "a b c");
	long line = -1;
	CU_ASSERT_STRING_EQUAL(runcfg_where(c, "mf.rank", &line), "<command line>");
	CU_ASSERT_EQUAL(line, 0);
	CU_ASSERT_STRING_EQUAL(runcfg_where(c, "mf.lr", &line), path);
	CU_ASSERT_EQUAL(line, 2);

	/* an override's bad value is reported against the command line */
	CU_ASSERT_EQUAL(runcfg_set(c, "mf.items=-3"), 0);
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(runcfg_int(c, "mf.items", 1, 1, 1000, &i), -1);
	CU_ASSERT_STRING_EQUAL(msg, "gaiasim: <command line>: mf.items: bad value '-3' (expected an integer in [1, 1000])");
	/* malformed overrides */
	CU_ASSERT_EQUAL(runcfg_set(c, "novalue"), -1);
	CU_ASSERT_STRING_EQUAL(msg, "gaiasim: <command line>: expected 'key=value', got 'novalue'");
	CU_ASSERT_EQUAL(runcfg_set(c, "=3"), -1);
	CU_ASSERT_STRING_EQUAL(msg, "gaiasim: <command line>: expected 'key=value', got '=3'");
	CU_ASSERT_EQUAL(runcfg_set(c, "MF.rank=3"), -1);
	CU_ASSERT_STRING_EQUAL(msg, "gaiasim: <command line>: bad key 'MF.rank' in 'MF.rank=3' "
			       "(keys are lowercase letters, digits and '_', in dot-separated parts)");
	diag_capture(NULL, 0);
	runcfg_free(c);
	unlink(path);
	free(path);

	/* overrides alone, on an empty configuration */
	c = runcfg_new();
	CU_ASSERT_EQUAL(runcfg_set(c, "a.b=x=y"), 0); /* the value may contain '=' */
	CU_ASSERT_EQUAL(runcfg_string(c, "a.b", NULL, &s), 0);
	CU_ASSERT_STRING_EQUAL(s, "x=y");
	runcfg_free(c);
}

static void test_unused_keys(void)
{
	char *path;
	struct runcfg *c = load_text("mf.rank = 8\nmf.lr = 0.1\nmf.rnak = 9\n", &path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	int64_t i;
	double d;
	runcfg_int(c, "mf.rank", 1, 1, 100, &i);
	runcfg_double(c, "mf.lr", 1, 0, 1, &d);
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(runcfg_check_unused(c), -1);
	diag_capture(NULL, 0);
	char want[1024];
	snprintf(want, sizeof want, "gaiasim: %s:3: unknown key 'mf.rnak' (no part of this run reads "
		 "it; did you mean 'mf.rank'?)", path);
	CU_ASSERT_STRING_EQUAL(msg, want);
	/* an unrelated unknown key from the command line: no suggestion */
	runcfg_set(c, "zzz.qqq=1");
	runcfg_int(c, "mf.rnak", 0, 0, 10, &i); /* reading it clears the first report */
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(runcfg_check_unused(c), -1);
	diag_capture(NULL, 0);
	CU_ASSERT_STRING_EQUAL(msg, "gaiasim: <command line>: unknown key 'zzz.qqq' (no part of this "
			       "run reads it)");
	runcfg_free(c);
	unlink(path);
	free(path);
}

/* Read the same keys, in a different order in each call, from c. */
static void read_keys(struct runcfg *c, int reverse)
{
	int64_t i;
	double d;
	const char *s;
	int k;
	static const char *const ch[] = { "random", "skewed", NULL };
	for (int step = 0; step < 5; step++) {
		switch (reverse ? 4 - step : step) {
		case 0: runcfg_double(c, "mf.lr", 0.1, 0, 1, &d); break;
		case 1: runcfg_int(c, "mf.rank", 16, 1, 100, &i); break;
		case 2: runcfg_string(c, "mf.data", "synthetic", &s); break;
		case 3: runcfg_choice(c, "mf.partition", "random", ch, &k); break;
		case 4: runcfg_double(c, "a.tiny", 1e-7, 0, 1, &d); break;
		}
	}
}

static void test_dump(void)
{
	char *p1, *p2;
	struct runcfg *c1 = load_text("# one\nmf.rank = 8\nmf.data = my file.csv\nnot.read = 1\n", &p1);
	struct runcfg *c2 = load_text("mf.data = my file.csv\n\n\nmf.rank = 8\n", &p2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	read_keys(c1, 0);
	read_keys(c2, 1);
	char *d1 = runcfg_dump(c1), *d2 = runcfg_dump(c2);
	/* sorted by key; given values as written; defaults formatted shortest round-trip */
	const char *want = "a.tiny = 1e-07\n"
			   "mf.data = my file.csv\n"
			   "mf.lr = 0.1\n"
			   "mf.partition = random\n"
			   "mf.rank = 8\n";
	CU_ASSERT_STRING_EQUAL(d1, want);
	CU_ASSERT_STRING_EQUAL(d2, want);
	/* reading again does not duplicate entries */
	read_keys(c1, 1);
	char *d3 = runcfg_dump(c1);
	CU_ASSERT_STRING_EQUAL(d3, want);
	free(d1);
	free(d2);
	free(d3);
	runcfg_free(c1);
	runcfg_free(c2);
	unlink(p1);
	unlink(p2);
	free(p1);
	free(p2);

	struct runcfg *e = runcfg_new();
	char *de = runcfg_dump(e);
	CU_ASSERT_STRING_EQUAL(de, "");
	free(de);
	double d;
	runcfg_double(e, "x", 1.0 / 3.0, 0, 1, &d);
	de = runcfg_dump(e);
	/* the dump of a default reads back as exactly the same double */
	CU_ASSERT_EQUAL(strtod(de + 4, NULL), 1.0 / 3.0);
	free(de);
	runcfg_free(e);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "good file", test_good_file },
		{ "malformed lines", test_malformed_lines },
		{ "duplicate key", test_duplicate_key },
		{ "10 MB line, missing file", test_long_line_and_missing_file },
		{ "getter errors", test_getter_errors },
		{ "overrides", test_overrides },
		{ "unused keys", test_unused_keys },
		{ "dump", test_dump },
		{ NULL, NULL },
	};
	testutil_suite("config", cases);
	return testutil_run();
}
