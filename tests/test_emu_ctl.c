/*
 * Tests of the control channel's line input and output (cli/emu_ctl.h) through a pipe: lines
 * written by emu_ctl_say come back whole and in order through emu_ctl_fill / emu_ctl_line; a
 * message longer than emu_ctl_say's 511 bytes arrives cut to 511 bytes that still end the line
 * (nothing past its buffer is written); a line that fills the 8 KiB input buffer without a
 * newline makes emu_ctl_fill report -1 (the parent then stops naming the process); end of
 * file is seen.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli/emu_ctl.h"
#include "tests/testutil.h"

static void test_round_trip(void)
{
	int fd[2];
	CU_ASSERT_FATAL(pipe(fd) == 0);
	emu_ctl_say(fd[1], "listen %d\n", 20001);
	emu_ctl_say(fd[1], "qstatus %d %d %d\n", 1, 42, 41);
	close(fd[1]);
	struct emu_ctl_buf b = { .n = 0 };
	char line[64];
	CU_ASSERT_EQUAL(emu_ctl_fill(&b, fd[0]), 0);
	CU_ASSERT_EQUAL(emu_ctl_line(&b, line, sizeof line), 1);
	CU_ASSERT_STRING_EQUAL(line, "listen 20001");
	CU_ASSERT_EQUAL(emu_ctl_line(&b, line, sizeof line), 1);
	CU_ASSERT_STRING_EQUAL(line, "qstatus 1 42 41");
	CU_ASSERT_EQUAL(emu_ctl_line(&b, line, sizeof line), 0);
	CU_ASSERT_EQUAL(emu_ctl_fill(&b, fd[0]), 0);
	CU_ASSERT(b.eof);
	close(fd[0]);
}

static void test_long_message_cut(void)
{
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	int fd[2];
	CU_ASSERT_FATAL(pipe(fd) == 0);
	emu_ctl_say(fd[1], "msg %s\n", big);
	close(fd[1]);
	char got[2048];
	ssize_t n = read(fd[0], got, sizeof got);
	close(fd[0]);
	/* 511 bytes: "msg " and 506 x's, the last byte a newline in place of an x */
	CU_ASSERT_EQUAL(n, 511);
	CU_ASSERT(n == 511 && got[510] == '\n' && got[509] == 'x' && !memcmp(got, "msg x", 5));
	CU_ASSERT(n == 511 && memchr(got, '\n', 510) == NULL);
}

static void test_full_buffer(void)
{
	int fd[2];
	CU_ASSERT_FATAL(pipe(fd) == 0);
	fcntl(fd[0], F_SETFL, O_NONBLOCK);
	char chunk[4096];
	memset(chunk, 'y', sizeof chunk);
	struct emu_ctl_buf b = { .n = 0 };
	int rc = 0;
	/* 12 KiB without a newline: the 8 KiB buffer fills and no line completes */
	for (int k = 0; k < 3 && rc == 0; k++) {
		CU_ASSERT_EQUAL(write(fd[1], chunk, sizeof chunk), (ssize_t)sizeof chunk);
		rc = emu_ctl_fill(&b, fd[0]);
		if (rc == 0 && b.n < sizeof b.buf)
			rc = emu_ctl_fill(&b, fd[0]);
	}
	char line[64];
	CU_ASSERT_EQUAL(b.n, sizeof b.buf);
	CU_ASSERT_EQUAL(emu_ctl_line(&b, line, sizeof line), 0);
	CU_ASSERT_EQUAL(emu_ctl_fill(&b, fd[0]), -1);
	close(fd[0]);
	close(fd[1]);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "lines said come back whole, in order, then end of file", test_round_trip },
		{ "a message over 511 bytes arrives as one cut line", test_long_message_cut },
		{ "a line filling the input buffer is an error", test_full_buffer },
		{ NULL, NULL },
	};
	testutil_suite("emu_ctl", cases);
	return testutil_run();
}
