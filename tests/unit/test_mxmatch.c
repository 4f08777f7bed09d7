/* Unit tests for mxmatch.c: RFC 8461 section 4.1 matching and coverage. */
#include "config.h"

#include <string.h>

#include "mxmatch.h"
#include "tap.h"

static void test_pattern_check(void)
{
	static const char *const good[] = {
		"mx.example.com", "*.example.com", "MX1.Example.COM",
		"xn--bcher-kva.example", "a-b.c0.example", "1.example.com",
		"a.b",
	};
	static const char *const bad[] = {
		"", "*.", "mx.example.com.", "*.example.com.", "192.0.2.1",
		"mx..example.com", ".example.com", "-mx.example.com",
		"mx-.example.com", "mx.example.com-", "localhost",
		"*.*.example.com", "mx.*.example.com", "*example.com",
		"mx_1.example.com", "mx example.com", "b\xc3\xbc" "cher.example",
		"*", "mx.example.com:25",
	};
	char longlabel[80], longname[300];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(mx_pattern_check(good[i], strlen(good[i])) == NULL,
		   "valid pattern \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(mx_pattern_check(bad[i], strlen(bad[i])) != NULL,
		   "invalid pattern \"%s\"", bad[i]);
	ok(strstr(mx_pattern_check("mx.example.com.", 15), "trailing dot") != NULL,
	   "a trailing dot is named as such");
	ok(strstr(mx_pattern_check("192.0.2.1", 9), "IP address") != NULL,
	   "an address is named as such");
	memset(longlabel, 'a', 64);
	memcpy(longlabel + 64, ".com", 5);
	ok(mx_pattern_check(longlabel, strlen(longlabel)) != NULL, "a 64-octet label");
	ok(mx_pattern_check(longlabel + 1, strlen(longlabel + 1)) == NULL, "a 63-octet label");
	for (i = 0; i < 254; i += 2)
		memcpy(longname + i, "a.", 2);
	memcpy(longname + 254, "com", 4);
	ok(mx_pattern_check(longname, strlen(longname)) != NULL, "a name over 253");
	ok(mx_pattern_check("mx.example.comXX", 14) == NULL, "the length bounds the check");
}

static void test_match(void)
{
	ok(mx_match("mx.example.com", "mx.example.com"), "exact");
	ok(mx_match("mx.example.com", "MX.Example.Com."), "case and a trailing dot on the host");
	ok(!mx_match("mx.example.com", "mx.example.com.."), "only one trailing dot");
	ok(!mx_match("mx.example.com", "mx2.example.com"), "another host");
	ok(!mx_match("mx.example.com", "x.example.com"), "a suffix is no match");
	ok(mx_match("*.example.com", "mail.example.com"), "wildcard: one label");
	ok(mx_match("*.Example.com", "MAIL.example.COM."), "wildcard: case, trailing dot");
	ok(!mx_match("*.example.com", "example.com"), "wildcard: not the domain itself");
	ok(!mx_match("*.example.com", "a.b.example.com"), "wildcard: not two labels");
	ok(!mx_match("*.example.com", ".example.com"), "wildcard: not an empty label");
	ok(!mx_match("*.example.com", "mailexample.com"), "wildcard: needs the dot");
	ok(!mx_match("mx.example.com.", "mx.example.com"), "a pattern with a trailing dot matches nothing");
	ok(!mx_match("mx.example.com", ""), "an empty host");
	ok(!mx_match("mx.example.com", "."), "the root");
}

static void test_check(void)
{
	const char *pats[] = { "mx1.example.com", "*.mail.example.net", "old.example.com", "*.unused.example" };
	const char *hosts[] = { "mx1.example.com.", "a.mail.example.net.", "mx2.example.com." };
	size_t hp[3];
	struct check_report r;
	const struct check *c;

	check_report_init(&r, "example.com");
	mx_check(pats, 4, hosts, 3, MX_MODE_ENFORCE, &r, hp);
	is_int(check_count(&r, "mx.covered", CHECK_OK), 2, "two MX covered");
	is_int(check_count(&r, "mx.covered", CHECK_ERROR), 1, "one not covered: error in enforce");
	is_int(hp[0], 0, "host 0 by pattern 0");
	is_int(hp[1], 1, "host 1 by the wildcard");
	ok(hp[2] == (size_t)-1, "host 2 by none");
	c = &r.checks[2];
	is_str(c->fix, "add \"mx: mx2.example.com\" to the policy", "the fix: the pattern to add");
	ok(strstr(c->message, "mx2.example.com matches no mx") != NULL, "the message names the host without the dot");
	is_int(check_count(&r, "mx.unused", CHECK_WARNING), 1, "an unused name: warning");
	is_int(check_count(&r, "mx.unused", CHECK_INFO), 1, "an unused wildcard: info");
	check_report_clear(&r);

	check_report_init(&r, "example.com");
	mx_check(pats, 1, hosts + 2, 1, MX_MODE_TESTING, &r, NULL);
	is_int(check_count(&r, "mx.covered", CHECK_WARNING), 1, "not covered in testing: warning");
	check_report_clear(&r);
	check_report_init(&r, "example.com");
	mx_check(pats, 1, hosts + 2, 1, MX_MODE_NONE, &r, NULL);
	is_int(check_count(&r, "mx.covered", CHECK_INFO), 1, "not covered in none: info");
	check_report_clear(&r);
}

int main(void)
{
	test_pattern_check();
	test_match();
	test_check();
	return tap_done();
}
