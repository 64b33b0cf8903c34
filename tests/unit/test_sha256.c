/* test_sha256.c: SHA-256 against FIPS 180-4's examples and the padding
 * boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"

static void check(const char *msg, size_t len, const char *want)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_buf(msg, len, hex);
	assert_string_equal(hex, want);
}

/* FIPS 180-4 (and its example documents): one block, two blocks, empty */
static void test_fips_examples(void **state)
{
	const char *two =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	(void)state;
	check(
	    "abc", 3,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check(
	    two, strlen(two),
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check(
	    "", 0,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* one million 'a', fed in uneven pieces */
static void test_million_a(void **state)
{
	static char a[1000];
	struct sha256 s;
	unsigned char d[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	size_t left = 1000000, n, step = 1;

	(void)state;
	memset(a, 'a', sizeof a);
	sha256_init(&s);
	while (left > 0) {
		n = step < left ? step : left;
		n = n < sizeof a ? n : sizeof a;
		sha256_update(&s, a, n);
		left -= n;
		step = step * 3 % 997 + 1;
	}
	sha256_final(&s, d);
	sha256_hex(d, hex);
	assert_string_equal(
	    hex,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* lengths around the padding's edges (55/56 bytes: the length fits or
 * not in the last block), against sha256sum's answers */
static void test_padding_boundaries(void **state)
{
	static const struct {
		size_t n;
		const char *hex;
	} v[] = {
	    {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac"
		 "70b"},
	    {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6"
		 "c27"},
	    {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625"
		 "055"},
	    {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882"
		 "241"},
	    {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae"
		 "95e"},
	    {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc"
		  "177e"},
	    {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a"
		  "04b5"},
	};
	char buf[128];
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof buf; i++)
		buf[i] = (char)((i * 7 + 3) & 255);
	for (k = 0; k < sizeof v / sizeof v[0]; k++)
		check(buf, v[k].n, v[k].hex);
}

/* a byte changed anywhere changes the digest */
static void test_one_byte_changes_it(void **state)
{
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	char msg[100];

	(void)state;
	memset(msg, 'x', sizeof msg);
	sha256_buf(msg, sizeof msg, a);
	msg[99] = 'y';
	sha256_buf(msg, sizeof msg, b);
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fips_examples),
	    cmocka_unit_test(test_million_a),
	    cmocka_unit_test(test_padding_boundaries),
	    cmocka_unit_test(test_one_byte_changes_it),
	};

	return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
