/*
 * test_name: every syntax rule of name_normalize() at its boundary, with
 * the exact message, and the request-path key of name_host_key().
 */
#include "config.h"

#include <string.h>

#include "name.h"
#include "tap.h"

#define ALLOWED "(only letters, digits and '-' are allowed)"
#define WILDCARD_PLACE \
	"\"*\" is only allowed as the whole leftmost label, as in \"*.example.com\""
#define NO_WILDCARD "a wildcard (\"*\") is not allowed here"
#define EMPTY_LABEL "empty label (two dots in a row, or a leading dot)"
#define IP "IP addresses are not allowed here; use a host name"
#define SINGLE "name has a single label; use a fully qualified name"

static void norm_ok(const char *in, unsigned flags, const char *want)
{
	char out[NAME_MAX_LEN + 1];
	const char *err = name_normalize(in, out, flags);

	is_str(err, NULL, "\"%s\" is accepted", in);
	is_str(err ? NULL : out, want, "\"%s\" becomes \"%s\"", in, want);
}

static void norm_err(const char *in, unsigned flags, const char *want)
{
	char out[NAME_MAX_LEN + 1];
	const char *err;

	memset(out, 'x', sizeof(out));
	err = name_normalize(in, out, flags);
	is_str(err, want, "\"%s\" is refused", in ? in : "(null)");
	ok(out[0] == '\0', "\"%s\": out is empty on error", in ? in : "(null)");
}

/* `n` times 'a', then `suffix`, into buf. */
static const char *repeat(char *buf, size_t n, const char *suffix)
{
	memset(buf, 'a', n);
	strcpy(buf + n, suffix);
	return buf;
}

/* A name of exactly `len` characters (len % 64 != 0): labels of 63 'b's
 * and one shorter last label. */
static const char *name_of_len(char *buf, size_t len)
{
	size_t o = 0;

	while (o < len) {
		size_t label = len - o > 63 ? 63 : len - o;

		memset(buf + o, 'b', label);
		o += label;
		if (o < len)
			buf[o++] = '.';
	}
	buf[o] = '\0';
	return buf;
}

static void test_basics(void)
{
	norm_ok("mx.example.com", 0, "mx.example.com");
	norm_ok("MX1.Example.COM", 0, "mx1.example.com");
	norm_ok("mx.example.com.", 0, "mx.example.com");
	norm_ok("m-x.ex-ample.com", 0, "m-x.ex-ample.com");
	norm_ok("a--b.example.com", 0, "a--b.example.com");
	norm_ok("xn--bcher-kva.example", 0, "xn--bcher-kva.example");
	norm_ok("0mx.9example.com", 0, "0mx.9example.com");
	norm_ok("mx.example.com", NAME_ALLOW_WILDCARD, "mx.example.com");

	norm_err(NULL, 0, "name is empty");
	norm_err("", 0, "name is empty");
	norm_err(".", 0, "name is empty");
	norm_err("mx.example.com..", 0, EMPTY_LABEL);
	norm_err(".mx.example.com", 0, EMPTY_LABEL);
	norm_err("mx..example.com", 0, EMPTY_LABEL);
	norm_err("example", 0, SINGLE);
	norm_err("example.", 0, SINGLE);
	norm_err("localhost", 0, SINGLE);
}

static void test_characters(void)
{
	norm_err("mx_1.example.com", 0,
		 "label \"mx_1\" contains '_' " ALLOWED);
	norm_err("MX_1.example.com", 0,
		 "label \"mx_1\" contains '_' " ALLOWED);
	norm_err("_mta-sts.example.com", 0,
		 "label \"_mta-sts\" contains '_' " ALLOWED);
	norm_err("mx.exa mple.com", 0,
		 "label \"exa mple\" contains a space " ALLOWED);
	norm_err(" mx.example.com", 0,
		 "label \" mx\" contains a space " ALLOWED);
	norm_err("mx.example.com ", 0,
		 "label \"com \" contains a space " ALLOWED);
	norm_err("mx.exa\tmple.com", 0,
		 "a label contains a control character " ALLOWED);
	norm_err("mx.example.com/x", 0,
		 "label \"com/x\" contains '/' " ALLOWED);
	norm_err("mx@example.com", 0,
		 "label \"mx@example\" contains '@' " ALLOWED);

	norm_err("-mx.example.com", 0, "label \"-mx\" starts with '-'");
	norm_err("mx-.example.com", 0, "label \"mx-\" ends with '-'");
	norm_err("mx.example.com-", 0, "label \"com-\" ends with '-'");
	norm_err("mx.-.com", 0, "label \"-\" starts with '-'");
}

static void test_lengths(void)
{
	char buf[300], in[400], want[400];

	/* 63 is fine, 64 is not; in the middle and at either end. */
	snprintf(in, sizeof(in), "%s.example.com", repeat(buf, 63, ""));
	norm_ok(in, 0, in);
	snprintf(in, sizeof(in), "%s.example.com", repeat(buf, 64, ""));
	norm_err(in, 0, "label is longer than 63 characters");
	snprintf(in, sizeof(in), "mx.%s.com", repeat(buf, 64, ""));
	norm_err(in, 0, "label is longer than 63 characters");
	snprintf(in, sizeof(in), "mx.example.%s", repeat(buf, 63, ""));
	norm_ok(in, 0, in);
	snprintf(in, sizeof(in), "mx.example.%s", repeat(buf, 64, ""));
	norm_err(in, 0, "label is longer than 63 characters");

	/* 253 is fine (with or without the trailing dot), 254 is not. */
	name_of_len(in, 253);
	ok(strlen(in) == 253, "test name has 253 characters");
	norm_ok(in, 0, in);
	snprintf(want, sizeof(want), "%s", in);
	strcat(in, ".");
	norm_ok(in, 0, want);
	name_of_len(in, 254);
	ok(strlen(in) == 254, "test name has 254 characters");
	norm_err(in, 0, "name is longer than 253 characters");
	strcat(in, ".");
	norm_err(in, 0, "name is longer than 253 characters");

	/* A wildcard counts towards the 253. */
	name_of_len(buf, 251);
	snprintf(in, sizeof(in), "*.%s", buf);
	norm_ok(in, NAME_ALLOW_WILDCARD, in);
	name_of_len(buf, 252);
	snprintf(in, sizeof(in), "*.%s", buf);
	norm_err(in, NAME_ALLOW_WILDCARD, "name is longer than 253 characters");
}

static void test_wildcards(void)
{
	norm_ok("*.a.com", NAME_ALLOW_WILDCARD, "*.a.com");
	norm_ok("*.MAIL.Example.NET.", NAME_ALLOW_WILDCARD,
		"*.mail.example.net");
	norm_err("*.a.com", 0, NO_WILDCARD);
	norm_err("a.*.com", 0, NO_WILDCARD);
	norm_err("a.*.com", NAME_ALLOW_WILDCARD, WILDCARD_PLACE);
	norm_err("*a.com", NAME_ALLOW_WILDCARD, WILDCARD_PLACE);
	norm_err("a*.b.com", NAME_ALLOW_WILDCARD, WILDCARD_PLACE);
	norm_err("**.a.com", NAME_ALLOW_WILDCARD, WILDCARD_PLACE);
	norm_err("*.*.a.com", NAME_ALLOW_WILDCARD, WILDCARD_PLACE);
	norm_err("a.com.*", NAME_ALLOW_WILDCARD, WILDCARD_PLACE);
	norm_err("*", NAME_ALLOW_WILDCARD, WILDCARD_PLACE);
	norm_err("*.", NAME_ALLOW_WILDCARD, WILDCARD_PLACE);
	norm_err("*", 0, NO_WILDCARD);
	norm_err("*.com", NAME_ALLOW_WILDCARD, SINGLE);
	norm_err("*..a.com", NAME_ALLOW_WILDCARD, EMPTY_LABEL);
}

static void test_addresses(void)
{
	norm_err("192.0.2.1", 0, IP);
	norm_err("192.0.2.1.", 0, IP);
	norm_err("10.1", 0, IP);
	norm_err("*.192.0.2.1", NAME_ALLOW_WILDCARD, IP);
	norm_err("[2001:db8::1]", 0, IP);
	norm_err("2001:db8::1", 0, IP);
	norm_err("[::1]:443", 0, IP);
	norm_err("mx.example.com:25", 0, "a port is not allowed here");
	norm_err("192.0.2.1:25", 0, "a port is not allowed here");
	norm_err("mx.123", 0, "the last label \"123\" is all digits; "
		 "no top-level domain is numeric");
	norm_ok("123.example.com", 0, "123.example.com");
	norm_ok("mx.example.c0m", 0, "mx.example.c0m");
}

static void test_idna(void)
{
	char in[400], want[400];
	size_t i;

	norm_ok("bücher.example", 0, "xn--bcher-kva.example");
	norm_ok("BÜCHER.Example.", 0, "xn--bcher-kva.example");
	norm_ok("mx.bücher.example", 0, "mx.xn--bcher-kva.example");
	norm_ok("*.bücher.example", NAME_ALLOW_WILDCARD,
		"*.xn--bcher-kva.example");
	norm_ok("mx.例え.jp", 0, "mx.xn--r8jz45g.jp");
	/* A-labels must decode to valid IDNA2008 labels, whether written by
	 * hand or produced by the (more permissive) UTS #46 mapping. */
	norm_ok("XN--BCHER-KVA.example", 0, "xn--bcher-kva.example");
	norm_err("xn--zz.example", 0,
		 "label \"xn--zz\" is not a valid IDNA2008 A-label");
	norm_err("xn--n3h.example", 0,
		 "label \"xn--n3h\" is not a valid IDNA2008 A-label");
	norm_err("mail\xe2\x98\x83.example", 0,
		 "label \"xn--mail-8g3b\" is not a valid IDNA2008 A-label");
	/* The IDNA mapping would silently drop '_' and '*': refuse instead. */
	norm_err("mx_ü.example", 0, "label \"mx_ü\" contains '_' " ALLOWED);
	norm_err("*ü.example", NAME_ALLOW_WILDCARD, WILDCARD_PLACE);
	norm_err("ü .example", 0, "label \"ü \" contains a space " ALLOWED);
	norm_err("\xff.example", 0, "name is not valid UTF-8");
	norm_err("b\xc3.example", 0, "name is not valid UTF-8");
	/* U+3002 IDEOGRAPHIC FULL STOP maps to '.', which would smuggle in
	 * a label separator. */
	norm_err("a\xe3\x80\x82" "b.example", 0,
		 "label \"a\xe3\x80\x82" "b\" does not map to a single A-label");
	norm_err("ü-.example", 0, "label \"ü-\" ends with '-'");
	norm_err("-ü.example", 0, "label \"-ü\" starts with '-'");
	norm_err("\xed\xa0\x80.example", 0, "name is not valid UTF-8");
	norm_err("\xc0\xaf.example", 0, "name is not valid UTF-8");
	norm_err("\xe2\x82.example", 0, "name is not valid UTF-8");
	/* U+0378 is unassigned: not valid IDNA2008. */
	norm_err("a\xcd\xb8.example", 0,
		 "label \"a\xcd\xb8\" is not a valid internationalised label "
		 "(IDNA2008), or is longer than 63 characters as an A-label");

	/* The 63 limit applies to the A-label: 56 x "ü" (112 bytes) is a
	 * 62-character A-label, 59 x "ü" a 65-character one (python3:
	 * "xn--" + ("ü" * n).encode("punycode")). */
	in[0] = '\0';
	for (i = 0; i < 56; i++)
		strcat(in, "ü");
	strcat(in, ".example");
	norm_ok(in, 0, "xn--tdaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		".example");
	in[0] = '\0';
	for (i = 0; i < 59; i++)
		strcat(in, "ü");
	strcat(in, ".example");
	{
		char out[NAME_MAX_LEN + 1];
		const char *err = name_normalize(in, out, 0);

		ok(err && strstr(err, "longer than 63 characters as an A-label"),
		   "59 x \"ü\" (A-label of 65) is refused: %s",
		   err ? err : "(null)");
	}

	/* 253 after conversion: 31 x "xn--tda." (248) + "abcde". */
	want[0] = '\0';
	in[0] = '\0';
	for (i = 0; i < 31; i++) {
		strcat(in, "ü.");
		strcat(want, "xn--tda.");
	}
	strcat(in, "abcde");
	strcat(want, "abcde");
	ok(strlen(want) == 253, "converted test name has 253 characters");
	norm_ok(in, 0, want);
	strcat(in, "f");
	norm_err(in, 0, "name is longer than 253 characters");
}

/* ---- name_host_key ---- */

static void key_ok(const char *in, size_t len, const char *want)
{
	char out[NAME_MAX_LEN + 1];
	int n = name_host_key(in, len, out);

	is_int(n, (int)strlen(want), "host key of \"%.*s\": length",
	       (int)len, in);
	is_str(n >= 0 ? out : NULL, want, "host key of \"%.*s\"", (int)len, in);
}

static void key_bad(const char *in, size_t len, const char *name)
{
	char out[NAME_MAX_LEN + 1];

	is_int(name_host_key(in, len, out), -1, "host key refused: %s", name);
}

#define KEY_OK(s, want) key_ok((s), strlen(s), (want))
#define KEY_BAD(s) key_bad((s), strlen(s), (s))

static void test_host_key(void)
{
	char buf[400];
	static const char nul[] = "mta-sts.example.com\0.evil";

	KEY_OK("mta-sts.example.com", "mta-sts.example.com");
	KEY_OK("MTA-STS.Example.COM.:8443", "mta-sts.example.com");
	KEY_OK("mta-sts.example.com.", "mta-sts.example.com");
	KEY_OK("mta-sts.example.com:443", "mta-sts.example.com");
	KEY_OK("mta-sts.example.com:", "mta-sts.example.com");
	KEY_OK("mta-sts.example.com:65535", "mta-sts.example.com");
	KEY_OK("mta-sts.example.com:0", "mta-sts.example.com");
	/* An IPv4 literal is a valid key that no configured name matches. */
	KEY_OK("192.0.2.1", "192.0.2.1");
	/* Not NUL-terminated: only `len` bytes count. */
	key_ok("mta-sts.example.comXYZ", 19, "mta-sts.example.com");

	KEY_BAD("");
	KEY_BAD(".");
	KEY_BAD(":443");
	KEY_BAD(".:443");
	KEY_BAD("[::1]:443");
	KEY_BAD("[2001:db8::1]");
	KEY_BAD("::1");
	KEY_BAD("mta-sts.example.com:65536");
	KEY_BAD("mta-sts.example.com:123456");
	KEY_BAD("mta-sts.example.com:443x");
	KEY_BAD("mta-sts.example.com:-1");
	KEY_BAD("mta-sts.example.com:443:443");
	KEY_BAD("mta-sts.example.com..");
	KEY_BAD(".mta-sts.example.com");
	KEY_BAD("mta-sts..example.com");
	KEY_BAD("mta sts.example.com");
	KEY_BAD(" mta-sts.example.com");
	KEY_BAD("mta-sts.example.com ");
	KEY_BAD("mta_sts.example.com");
	KEY_BAD("mta-sts.bücher.example");
	KEY_BAD("*.example.com");
	KEY_BAD("mta-sts.example.com/");
	KEY_BAD("user@mta-sts.example.com");
	key_bad(nul, sizeof(nul) - 1, "embedded NUL");
	key_bad(NULL, 0, "NULL");

	name_of_len(buf, 253);
	key_ok(buf, strlen(buf), buf);
	strcat(buf, ".:443");
	{
		char want[NAME_MAX_LEN + 1];

		memcpy(want, buf, 253);
		want[253] = '\0';
		key_ok(buf, strlen(buf), want);
	}
	name_of_len(buf, 254);
	key_bad(buf, strlen(buf), "254 characters");
	strcat(buf, ".");
	key_bad(buf, strlen(buf), "254 characters and a dot");
}

int main(void)
{
	test_basics();
	test_characters();
	test_lengths();
	test_wildcards();
	test_addresses();
	test_idna();
	test_host_key();
	return tap_done();
}
