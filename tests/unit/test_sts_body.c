/* Unit tests for sts_body.c: a fetched policy as strict and lax senders
 * read it, and the HTTP facts around it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_body.h"
#include "tap.h"

#define GOOD "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n" \
	     "mx: *.example.net\r\nmax_age: 604800\r\n"

static struct check_report rep;
static struct sts_policy_view view;

static void run_http(const struct sts_http *h)
{
	check_report_clear(&rep);
	check_report_init(&rep, "example.com");
	sts_body_check(h, &rep, &view);
}

static void run_ct(const char *body, const char *ct)
{
	struct sts_http h = { 200, ct, NULL, NULL, body, strlen(body), false };

	run_http(&h);
}

static void run(const char *body)
{
	run_ct(body, "text/plain");
}

static int st(const char *id)
{
	const struct check *c = check_find(&rep, id);

	return c ? (int)c->status : -1;
}

static const char *msg(const char *id)
{
	const struct check *c = check_find(&rep, id);

	return c ? c->message : "";
}

static void test_good(void)
{
	run(GOOD);
	is_int(check_verdict(&rep), CHECK_OK, "the canonical body: ok");
	is_int(st("policy.status"), CHECK_OK, "status ok");
	is_int(st("policy.content_type"), CHECK_OK, "content type ok");
	is_int(st("policy.size"), CHECK_OK, "size ok");
	is_int(st("policy.encoding"), CHECK_OK, "ASCII ok");
	is_int(st("policy.syntax"), CHECK_OK, "syntax ok");
	is_int(st("policy.version"), CHECK_OK, "version ok");
	is_int(st("policy.mode"), CHECK_OK, "mode enforce ok");
	is_int(st("policy.mx"), CHECK_OK, "mx ok");
	is_int(st("policy.max_age"), CHECK_OK, "a week in enforce: ok");
	ok(check_find(&rep, "policy.line_endings") == NULL, "CRLF: no line-ending finding");
	ok(view.usable && view.lax_usable, "usable by all");
	is_int(view.mode, MX_MODE_ENFORCE, "view: enforce");
	is_int(view.max_age, 604800, "view: max_age");
	is_int(view.n_mx, 2, "view: two mx");
	is_str(view.mx[1], "*.example.net", "view: the patterns as written");

	run("version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 2419200");
	is_int(st("policy.mode"), CHECK_INFO, "testing: info");
	is_int(st("policy.max_age"), CHECK_OK, "four weeks: ok");
	is_int(st("policy.line_endings"), CHECK_WARNING, "LF: warning");
	ok(strstr(msg("policy.line_endings"), "3 lines end with LF") != NULL, "... counts them");
	is_int(st("policy.syntax"), CHECK_OK, "no final line end is allowed");
	ok(view.usable, "LF-only is usable");
}

static void test_http(void)
{
	struct sts_http h = { 301, "text/html", NULL, "https://example.com/", "", 0, false };

	run_http(&h);
	is_int(st("policy.redirect"), CHECK_ERROR, "3xx: policy.redirect error");
	ok(strstr(msg("policy.redirect"), "to https://example.com/") != NULL, "... names the target");
	ok(check_find(&rep, "policy.syntax") == NULL, "... and no body checks");
	ok(!view.usable && !view.lax_usable, "... unusable");
	h.status = 404;
	run_http(&h);
	is_int(st("policy.status"), CHECK_ERROR, "404: policy.status error");
	h.status = 200;
	h.content_type = NULL;
	h.body = GOOD;
	h.body_len = strlen(GOOD);
	run_http(&h);
	is_int(st("policy.content_type"), CHECK_ERROR, "no Content-Type: error");
	run_ct(GOOD, "text/html");
	is_int(st("policy.content_type"), CHECK_ERROR, "text/html: error");
	run_ct(GOOD, "Text/Plain");
	is_int(st("policy.content_type"), CHECK_ERROR, "Text/Plain: error (KumoMTA)");
	run_ct(GOOD, "text/plain; charset=utf-8");
	is_int(st("policy.content_type"), CHECK_WARNING, "a charset: warning");
	run_ct(GOOD, " text/plain ;charset=UTF-8");
	is_int(st("policy.content_type"), CHECK_WARNING, "spaces around: still text/plain with a parameter");
	h.content_encoding = "gzip";
	run_http(&h);
	is_int(st("policy.content_encoding"), CHECK_ERROR, "gzip: error");
	h.content_encoding = "identity";
	run_http(&h);
	ok(check_find(&rep, "policy.content_encoding") == NULL, "identity: nothing to say");
	h.content_encoding = NULL;
	h.truncated = true;
	run_http(&h);
	is_int(st("policy.size"), CHECK_ERROR, "over the cap: error");
	ok(!view.usable, "... unusable");
	h.truncated = false;
	{
		char *big = malloc(64001 + sizeof(GOOD));

		memset(big, 0, 64001 + sizeof(GOOD));
		strcpy(big, GOOD "x: ");
		memset(big + strlen(big), 'a', 64001 - strlen(big));
		h.body = big;
		h.body_len = strlen(big);
		run_http(&h);
		is_int(st("policy.size"), CHECK_ERROR, "64001 bytes: error");
		h.body_len = 10241;
		run_http(&h);
		is_int(st("policy.size"), CHECK_WARNING, "10241 bytes: warning");
		h.body_len = 10240;
		run_http(&h);
		is_int(st("policy.size"), CHECK_OK, "10240 bytes: ok");
		free(big);
	}
}

static void test_encoding(void)
{
	run("\xef\xbb\xbfversion: STSv1\r\nmode: enforce\r\nmx: a.example\r\nmax_age: 9999999\r\n");
	is_int(st("policy.encoding"), CHECK_ERROR, "BOM: error");
	is_int(st("policy.syntax"), CHECK_ERROR, "BOM: strict syntax error");
	ok(!view.usable && view.lax_usable, "BOM: mailauth copes, mox does not");
	run(GOOD "x: caf\xc3\xa9\r\n");
	is_int(st("policy.encoding"), CHECK_ERROR, "UTF-8 without charset: error (pmsr)");
	run_ct(GOOD "x: caf\xc3\xa9\r\n", "text/plain; charset=utf-8");
	is_int(st("policy.encoding"), CHECK_WARNING, "UTF-8 with charset=utf-8: warning");
	run(GOOD "x: \xff\r\n");
	is_int(st("policy.encoding"), CHECK_ERROR, "invalid UTF-8: error");
	ok(check_find(&rep, "policy.syntax") == NULL, "... and no further checks");
	{
		struct sts_http h = { 200, "text/plain", NULL, NULL, "version\0: STSv1", 15, false };

		run_http(&h);
		is_int(st("policy.encoding"), CHECK_ERROR, "NUL byte: error");
	}
}

static void test_syntax(void)
{
	run("version: STSv1\r\nmode: enforce\r\n\r\nmx: a.example.com\r\nmax_age: 2419200\r\n");
	is_int(st("policy.syntax"), CHECK_ERROR, "an empty line: error");
	ok(strstr(msg("policy.syntax"), "line 3: an empty line") != NULL, "... names the line");
	ok(!view.usable && view.lax_usable, "... strict senders refuse, lax ones accept");
	run(GOOD "\r\n");
	is_int(st("policy.syntax"), CHECK_ERROR, "two line ends at the end: error");
	run("version: STSv1\r\n mode: enforce\r\nmx: a.example.com\r\nmax_age: 2419200\r\n");
	ok(strstr(msg("policy.syntax"), "line 2: starts with a space") != NULL, "leading space");
	is_int(st("policy.mode"), CHECK_ERROR, "... strict senders find no mode");
	ok(view.lax_usable && !view.usable, "... lax ones do");
	run("version: STSv1\rmode: enforce\r\nmx: a.example.com\r\nmax_age: 2419200\r\n");
	ok(strstr(msg("policy.syntax"), "carriage return") != NULL, "bare CR");
	run("version : STSv1\r\nmode: enforce\r\nmx: a.example.com\r\nmax_age: 2419200\r\n");
	ok(strstr(msg("policy.syntax"), "a space before ':'") != NULL, "space before the colon");
	run("version: STSv1\r\nmode: enforce\r\njunk\r\nmx: a.example.com\r\nmax_age: 2419200\r\n");
	ok(strstr(msg("policy.syntax"), "line 3: no ':'") != NULL, "a line without a colon");
	run("version: STSv1\r\nmode:\r\nmx: a.example.com\r\nmax_age: 2419200\r\n");
	ok(strstr(msg("policy.syntax"), "has no value") != NULL, "an empty value");
	run("");
	ok(strstr(msg("policy.syntax"), "empty") != NULL, "an empty body");
	is_int(st("policy.version"), CHECK_ERROR, "... has no version");
	run("\n\n\n\n\n\n\n\n");
	ok(strstr(msg("policy.syntax"), "and more") != NULL, "many problems: only the first few quoted");
	run("Version: STSv1\r\nMODE: enforce\r\nmx: a.example.com\r\nmax_age: 2419200\r\n");
	is_int(check_count(&rep, "policy.field_case", CHECK_ERROR), 2, "upper-case field names: field_case errors");
	is_int(st("policy.version"), CHECK_ERROR, "... strict senders find no version");
	is_int(st("policy.mode"), CHECK_ERROR, "... nor mode");
	ok(strstr(msg("policy.mode"), "strict senders find no") != NULL, "... and say so");
	ok(view.lax_usable && !view.usable, "... mailauth 5 copes");
	is_int(view.mode, MX_MODE_ENFORCE, "... the lax mode is kept for MX matching");
}

static void test_fields(void)
{
	run("version: STSv2\r\nmode: enforce\r\nmx: a.example.com\r\nmax_age: 2419200\r\n");
	is_int(st("policy.version"), CHECK_ERROR, "STSv2: error");
	run("mode: enforce\r\nmx: a.example.com\r\nmax_age: 2419200\r\n");
	is_int(st("policy.version"), CHECK_ERROR, "no version: error");
	run("version: STSv1\r\nmode: report\r\nmx: a.example.com\r\nmax_age: 2419200\r\n");
	is_int(st("policy.mode"), CHECK_ERROR, "report: error");
	ok(strstr(msg("policy.mode"), "draft") != NULL, "... explained");
	run("version: STSv1\r\nmode: Enforce\r\nmx: a.example.com\r\nmax_age: 2419200\r\n");
	is_int(st("policy.mode"), CHECK_ERROR, "Enforce: error");
	ok(view.lax_usable && !view.usable, "... mailauth lowercases it");
	run("version: STSv1\r\nmx: a.example.com\r\nmax_age: 2419200\r\n");
	is_int(st("policy.mode"), CHECK_ERROR, "no mode: error");
	run("version: STSv1\r\nmode: none\r\nmax_age: 2419200\r\n");
	is_int(st("policy.mode"), CHECK_INFO, "none: info");
	is_int(st("policy.mx"), CHECK_WARNING, "none without mx: warning");
	ok(view.usable, "... usable");
	run("version: STSv1\r\nmode: testing\r\nmax_age: 2419200\r\n");
	is_int(st("policy.mx"), CHECK_ERROR, "testing without mx: error");
	ok(!view.usable && !view.lax_usable, "... unusable");
	run("version: STSv1\r\nmode: enforce\r\nmx: a.example.com.\r\nmx: 192.0.2.1\r\nmx: b.example.com\r\nmax_age: 2419200\r\n");
	is_int(check_count(&rep, "policy.mx", CHECK_ERROR), 2, "a trailing dot and an address: two mx errors");
	is_int(view.n_mx, 1, "... the valid one is kept");
	ok(!view.usable, "... strict senders refuse the policy");

	run("version: STSv1\r\nmode: enforce\r\nmx: a.example.com\r\nmax_age: 31557601\r\n");
	is_int(st("policy.max_age"), CHECK_ERROR, "max_age over a year: error");
	run("version: STSv1\r\nmode: enforce\r\nmx: a.example.com\r\nmax_age: 31557600\r\n");
	is_int(st("policy.max_age"), CHECK_OK, "max_age one year: ok");
	run("version: STSv1\r\nmode: enforce\r\nmx: a.example.com\r\nmax_age: 1w\r\n");
	is_int(st("policy.max_age"), CHECK_ERROR, "max_age 1w: error");
	run("version: STSv1\r\nmode: enforce\r\nmx: a.example.com\r\nmax_age: 12345678901\r\n");
	is_int(st("policy.max_age"), CHECK_ERROR, "11 digits: error");
	run("version: STSv1\r\nmode: enforce\r\nmx: a.example.com\r\nmax_age: 604799\r\n");
	is_int(st("policy.max_age"), CHECK_WARNING, "under a week in enforce: warning");
	run("version: STSv1\r\nmode: testing\r\nmx: a.example.com\r\nmax_age: 604799\r\n");
	is_int(st("policy.max_age"), CHECK_OK, "under a week in testing: ok");
	run("version: STSv1\r\nmode: testing\r\nmx: a.example.com\r\nmax_age: 86399\r\n");
	is_int(st("policy.max_age"), CHECK_WARNING, "under one day: warning");
	run("version: STSv1\r\nmode: testing\r\nmx: a.example.com\r\nmax_age: 86400\r\n");
	is_int(st("policy.max_age"), CHECK_OK, "one day in testing: ok (stsd's own threshold)");
	run("version: STSv1\r\nmode: testing\r\nmx: a.example.com\r\nmax_age: 0604800\r\n");
	is_int(st("policy.max_age"), CHECK_WARNING, "leading zero: warning");
	run("version: STSv1\r\nmode: testing\r\nmx: a.example.com\r\n");
	is_int(st("policy.max_age"), CHECK_ERROR, "no max_age: error");

	run(GOOD "mode: enforce\r\n");
	is_int(st("policy.duplicates"), CHECK_WARNING, "the same mode twice: warning");
	run(GOOD "mode: none\r\n");
	is_int(st("policy.duplicates"), CHECK_ERROR, "two different modes: error");
	is_int(view.mode, MX_MODE_ENFORCE, "... the first one counts for mox");
	run(GOOD "color: blue\r\n");
	is_int(st("policy.unknown_fields"), CHECK_WARNING, "an unknown field: warning");
	ok(view.usable, "... usable");
	run(GOOD "nmx: b.example.com\r\n");
	is_int(st("policy.unknown_fields"), CHECK_ERROR, "nmx: error (a misspelt mx)");
}

int main(void)
{
	check_report_init(&rep, "example.com");
	test_good();
	test_http();
	test_encoding();
	test_syntax();
	test_fields();
	check_report_clear(&rep);
	return tap_done();
}
