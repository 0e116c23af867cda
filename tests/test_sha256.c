/*
 * Tests for sim/sha256: the FIPS 180-2 / NIST example vectors ("abc", the empty string, the
 * 56-byte and 112-byte two-block messages, one million 'a'), padding boundaries (lengths 55, 56,
 * 63, 64, 65, 119, 120 of 'a', expected digests computed with Python's hashlib, an independent
 * implementation), incremental updates in odd-sized pieces, and hashing a file.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/sha256.h"
#include "tests/testutil.h"

static void digest(const void *data, size_t n, char out[65])
{
	struct sha256 c;
	sha256_init(&c);
	sha256_update(&c, data, n);
	sha256_hex(&c, out);
}

static void test_nist_vectors(void)
{
	char hex[65];
	digest("abc", 3, hex);
	CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	digest("", 0, hex);
	CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	const char *m56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	CU_ASSERT_EQUAL(strlen(m56), 56);
	digest(m56, strlen(m56), hex);
	CU_ASSERT_STRING_EQUAL(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	const char *m112 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
			   "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	CU_ASSERT_EQUAL(strlen(m112), 112);
	digest(m112, strlen(m112), hex);
	CU_ASSERT_STRING_EQUAL(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void)
{
	/* Fed 1000 bytes at a time, as the NIST example's "one million repetitions of 'a'". */
	char chunk[1000];
	memset(chunk, 'a', sizeof chunk);
	struct sha256 c;
	sha256_init(&c);
	for (int i = 0; i < 1000; i++)
		sha256_update(&c, chunk, sizeof chunk);
	char hex[65];
	sha256_hex(&c, hex);
	CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_padding_boundaries(void)
{
	static const struct {
		size_t n;
		const char *hex;
	} v[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
		{ 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
		{ 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
	};
	char a[128];
	memset(a, 'a', sizeof a);
	for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
		char hex[65];
		digest(a, v[k].n, hex);
		CU_ASSERT_STRING_EQUAL(hex, v[k].hex);
	}
}

static void test_incremental(void)
{
	/* 768 bytes 0..255 x3 (hashlib: f3a25aa9...), fed in pieces of 1, 2, 3, ... bytes. */
	unsigned char msg[768];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (unsigned char)(i & 255);
	struct sha256 c;
	sha256_init(&c);
	size_t off = 0;
	for (size_t step = 1; off < sizeof msg; step++) {
		size_t take = step < sizeof msg - off ? step : sizeof msg - off;
		sha256_update(&c, msg + off, take);
		off += take;
	}
	char hex[65], whole[65];
	sha256_hex(&c, hex);
	digest(msg, sizeof msg, whole);
	CU_ASSERT_STRING_EQUAL(hex, "f3a25aa93aa2fbba28d79260535bbd6a5eb0fc1c24a8b0f04e12b484c1dfe363");
	CU_ASSERT_STRING_EQUAL(whole, hex);
}

static void test_file(void)
{
	char *path = testutil_tmpfile("abc");
	char hex[65];
	CU_ASSERT_EQUAL(sha256_file(path, hex), 0);
	CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	unlink(path);
	char msg[512];
	diag_capture(msg, sizeof msg);
	CU_ASSERT_EQUAL(sha256_file(path, hex), -1);
	diag_capture(NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, path));
	free(path);
}

int main(void)
{
	static const struct testutil_case cases[] = {
		{ "NIST example vectors", test_nist_vectors },
		{ "one million 'a'", test_million_a },
		{ "padding boundaries", test_padding_boundaries },
		{ "incremental updates", test_incremental },
		{ "file", test_file },
		{ NULL, NULL },
	};
	testutil_suite("sha256", cases);
	return testutil_run();
}
