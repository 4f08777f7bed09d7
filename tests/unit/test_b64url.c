/*
 * test_b64url: RFC 4648 test vectors in the URL alphabet without padding,
 * both alphabet-specific characters, round trips of every length 0..64,
 * and the strict decoder's refusals (padding, foreign characters, a length
 * of 1 mod 4, non-zero leftover bits, a buffer too small).
 */
#include "config.h"

#include <string.h>

#include "b64url.h"
#include "tap.h"

static void enc(const char *in, const char *want)
{
	char out[64];

	is_int(b64url_encode(in, strlen(in), out), strlen(want),
	       "length of \"%s\"", in);
	is_str(out, want, "encode \"%s\"", in);
	is_int(b64url_encoded_len(strlen(in)), strlen(want),
	       "encoded_len of \"%s\"", in);
}

static void dec_bad(const char *in, const char *why)
{
	unsigned char out[64];
	size_t n = 99;

	is_int(b64url_decode(in, strlen(in), out, sizeof(out), &n), -1,
	       "decode refuses \"%s\" (%s)", in, why);
}

int main(void)
{
	unsigned char buf[64], back[64];
	char text[100];
	size_t i, n;

	enc("", "");
	enc("f", "Zg");
	enc("fo", "Zm8");
	enc("foo", "Zm9v");
	enc("foob", "Zm9vYg");
	enc("fooba", "Zm9vYmE");
	enc("foobar", "Zm9vYmFy");
	/* 0xfb 0xff: '+' and '/' in standard base64 become '-' and '_'. */
	{
		const unsigned char x[] = { 0xfb, 0xff, 0xbf };

		b64url_encode(x, sizeof(x), text);
		is_str(text, "-_-_", "URL alphabet for 62 and 63");
	}

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 37 + 11);
	for (n = 0; n <= sizeof(buf); n++) {
		size_t got = 999;
		int r;

		b64url_encode(buf, n, text);
		r = b64url_decode(text, strlen(text), back, sizeof(back), &got);
		if (r != 0 || got != n || memcmp(buf, back, n) != 0)
			break;
	}
	is_int(n, sizeof(buf) + 1, "round trip of every length 0..64");

	ok(b64url_decode("Zm9vYmE", 7, back, sizeof(back), &n) == 0 && n == 5 &&
	   memcmp(back, "fooba", 5) == 0, "decode \"Zm9vYmE\"");
	dec_bad("Zm9vYmE=", "padding");
	dec_bad("Zm9v+mE", "standard alphabet '+'");
	dec_bad("Zm9v/mE", "standard alphabet '/'");
	dec_bad("Zm9 v", "space");
	dec_bad("Zm9vY", "length 1 mod 4");
	dec_bad("Zh", "leftover bits not zero");
	ok(b64url_decode("Zm9vYmFy", 8, back, 5, &n) == -1, "decode refuses a buffer too small");
	ok(b64url_chars_ok("ab-_09", 6), "chars_ok on base64url");
	ok(!b64url_chars_ok("ab=", 3), "chars_ok refuses '='");
	ok(!b64url_chars_ok("", 0), "chars_ok refuses empty");
	return tap_done();
}
