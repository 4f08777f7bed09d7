/*
 * test_sha256: FIPS 180-4 / NIST example vectors, plus every padding edge
 * (55/56 and 119/120 bytes move the length into a second block; 63/64/65
 * straddle a block boundary). Expected digests of the "a" * n inputs were
 * computed with python3: hashlib.sha256(b"a" * n).hexdigest().
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "tap.h"

static void hex(const uint8_t d[SHA256_DIGEST_LEN], char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < SHA256_DIGEST_LEN; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[64] = '\0';
}

static void check(const void *data, size_t len, const char *want,
		  const char *name)
{
	uint8_t d[SHA256_DIGEST_LEN];
	char got[65];

	sha256(data, len, d);
	hex(d, got);
	is_str(got, want, "sha256(%s)", name);
}

static void check_a(size_t n, const char *want)
{
	char *buf = malloc(n ? n : 1);
	char name[32];

	if (!buf) {
		ok(0, "malloc");
		return;
	}
	memset(buf, 'a', n);
	snprintf(name, sizeof(name), "\"a\" x %zu", n);
	check(buf, n, want, name);
	free(buf);
}

int main(void)
{
	uint8_t all[256];
	unsigned i;

	check("", 0,
	      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	      "empty");
	check("abc", 3,
	      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	      "abc");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	      "448-bit NIST vector");
	check("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112,
	      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
	      "896-bit NIST vector");
	check_a(1000000,
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

	check_a(55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	check_a(56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	check_a(63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
	check_a(64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
	check_a(65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0");
	check_a(119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb");
	check_a(120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c");
	check_a(128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e");

	/* Every byte value, high bit included (catches signed-char bugs):
	 * hashlib.sha256(bytes(range(256))). */
	for (i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	check(all, sizeof(all),
	      "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880",
	      "bytes 0..255");

	return tap_done();
}
