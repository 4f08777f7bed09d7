/* Unit tests for sts_txt.c: the _mta-sts TXT record as senders read it. */
#include "config.h"

#include <string.h>

#include "sts_txt.h"
#include "tap.h"

static struct check_report rep;
static struct sts_txt_result res;

/* Runs the check on up to 3 records (NULL ends the list), each one string. */
static void run(const char *a, const char *b, const char *c)
{
	const char *in[3] = { a, b, c };
	struct txtrec recs[3];
	size_t n = 0, i;

	check_report_clear(&rep);
	check_report_init(&rep, "example.com");
	for (i = 0; i < 3 && in[i]; i++) {
		recs[n].data = in[i];
		recs[n].len = strlen(in[i]);
		recs[n].n_strings = 1;
		n++;
	}
	sts_txt_check(recs, n, NULL, &rep, &res);
}

static enum check_status st(const char *id)
{
	const struct check *c = check_find(&rep, id);

	return c ? c->status : (enum check_status)-1;
}

static const char *fix(const char *id)
{
	const struct check *c = check_find(&rep, id);

	return c ? c->fix : NULL;
}

static void test_parse(void)
{
	static const struct { const char *rec, *id; } good[] = {
		{ "v=STSv1; id=20240101", "20240101" },
		{ "v=STSv1;id=a", "a" },
		{ "v=STSv1; id=abc;", "abc" },
		{ "v=STSv1 ; id=abc ; ", "abc" },
		{ "v=STSv1;\tid=ABCdef123", "ABCdef123" },
		{ "v=STSv1; id=12345678901234567890123456789012", "12345678901234567890123456789012" },
		{ "v=STSv1; ext_1.x=val!; id=z", "z" },
	};
	static const char *const bad[] = {
		"", "v=STSv1", "v=STSv1;", "V=STSv1; id=1", "v=STSv10; id=1",
		"v=STSv1 id=1", "v=STSv1;; id=1", "v=STSv1; id=", "v=STSv1; id=a+b",
		"v=STSv1; id=test-123",
		"v=STSv1; id=123456789012345678901234567890123",
		"v=STSv1; id=1; id=2", "v=STSv1; id = 1", "v=STSv1; id=1 2",
		"v=STSv1; id=1; =x", "v=STSv1; id=1; _x=y", "v=STSv1; id=1; x=",
		"v=STSv1; id=1; x=a=b", "v=STSv1; id=1; x", " v=STSv1; id=1",
		"v=STSv1; foo=bar",
	};
	char id[STS_ID_MAX + 1];
	size_t i, n_ext;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ok(sts_txt_parse(good[i].rec, strlen(good[i].rec), id, NULL) == NULL,
		   "strict parse accepts \"%s\"", good[i].rec);
		is_str(id, good[i].id, "... with the id of \"%s\"", good[i].rec);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(sts_txt_parse(bad[i], strlen(bad[i]), id, NULL) != NULL,
		   "strict parse refuses \"%s\"", bad[i]);
	sts_txt_parse("v=STSv1; a=1; id=2; b.c=3", 25, id, &n_ext);
	is_int(n_ext, 2, "extension fields are counted");
	/* Not NUL-terminated: the length bounds the parse. */
	ok(sts_txt_parse("v=STSv1; id=1XXXX", 13, id, NULL) == NULL &&
	   strcmp(id, "1") == 0, "the length, not a NUL, ends the record");
}

static void test_checks(void)
{
	run(NULL, NULL, NULL);
	is_int(st("txt.present"), CHECK_ERROR, "no record: txt.present error");
	ok(strstr(check_find(&rep, "txt.present")->message, "STSFetchResult.NONE") != NULL,
	   "the message names the result senders' logs show");
	is_str(fix("txt.present"),
	       "publish exactly one record: _mta-sts.example.com. IN TXT \"v=STSv1; id=1\"",
	       "the fix is the record to publish");
	ok(!res.usable && !res.lax_usable, "no record: not usable");

	run("v=spf1 -all", NULL, NULL);
	is_int(st("txt.present"), CHECK_ERROR, "only a non-STS record: txt.present error");

	run("v=STSv1; id=20240101", NULL, NULL);
	is_int(check_verdict(&rep), CHECK_OK, "a good record: verdict ok");
	is_int(st("txt.present"), CHECK_OK, "good: txt.present ok");
	is_int(st("txt.single"), CHECK_OK, "good: txt.single ok");
	is_int(st("txt.prefix"), CHECK_OK, "good: txt.prefix ok");
	is_int(st("txt.syntax"), CHECK_OK, "good: txt.syntax ok");
	is_int(st("txt.id"), CHECK_OK, "good: txt.id ok");
	ok(res.usable && strcmp(res.id, "20240101") == 0, "good: usable with its id");

	run("v=STSv1; id=1", "v=STSv1; id=2", NULL);
	is_int(st("txt.single"), CHECK_ERROR, "two records: txt.single error");
	ok(!res.usable && !res.lax_usable, "two records: not usable");
	run("v=STSv1; id=1", "v=stsv1; id=2", NULL);
	is_int(st("txt.single"), CHECK_ERROR, "a second in other case counts too (mailauth)");

	run("v=STSv1; id=1", "v=spf1 -all", NULL);
	is_int(st("txt.only"), CHECK_ERROR, "another TXT record beside: txt.only error");
	ok(res.usable, "... though strict senders still use it");

	run("V=STSv1; id=1", NULL, NULL);
	is_int(st("txt.prefix"), CHECK_ERROR, "upper-case V: txt.prefix error");
	ok(strstr(check_find(&rep, "txt.prefix")->message, "case-sensitive") != NULL,
	   "... the message says it is case-sensitive");
	ok(check_find(&rep, "txt.syntax") == NULL, "... and txt.syntax does not repeat it");
	ok(res.lax_usable && !res.usable, "... lax senders take it, strict ones do not");

	run(" v=STSv1; id=1", NULL, NULL);
	ok(strstr(check_find(&rep, "txt.prefix")->message, "starts with a space") != NULL,
	   "leading space: said so");
	run("v=STSv1 ; id=1", NULL, NULL);
	is_int(st("txt.prefix"), CHECK_ERROR, "space before ';': txt.prefix error (Halon)");
	is_int(st("txt.syntax"), CHECK_OK, "... though the ABNF allows it");

	run("v=STSv1; id=a+b/c=", NULL, NULL);
	is_int(st("txt.id"), CHECK_ERROR, "base64 id: txt.id error");
	is_str(fix("txt.id"),
	       "publish exactly one record: _mta-sts.example.com. IN TXT \"v=STSv1; id=abc\"",
	       "... the fix keeps its letters and digits");
	run("v=STSv1;", NULL, NULL);
	is_int(st("txt.id"), CHECK_ERROR, "no id: txt.id error");
	run("v=STSv1;; id=1", NULL, NULL);
	is_int(st("txt.syntax"), CHECK_ERROR, "\";;\": txt.syntax error");
	ok(check_find(&rep, "txt.id") == NULL, "... and no txt.id verdict");

	run("v=STSv1; id=1; ext=x", NULL, NULL);
	is_int(st("txt.extensions"), CHECK_WARNING, "an extension: txt.extensions warning");
	ok(res.usable, "... still usable");

	{
		struct txtrec rec = { "v=STSv1; id=1", 13, 2 };

		check_report_clear(&rep);
		check_report_init(&rep, "example.com");
		sts_txt_check(&rec, 1, "777", &rep, &res);
		is_int(st("txt.strings"), CHECK_WARNING, "two character-strings: txt.strings warning");
		ok(res.usable, "... still usable");
		rec.data = "v=STSv1; id=#";
		check_report_clear(&rep);
		check_report_init(&rep, "example.com");
		sts_txt_check(&rec, 1, "777", &rep, &res);
		is_str(fix("txt.id"),
		       "publish exactly one record: _mta-sts.example.com. IN TXT \"v=STSv1; id=777\"",
		       "a suggested id goes into the fix");
	}
	check_report_clear(&rep);
}

int main(void)
{
	check_report_init(&rep, "example.com");
	test_parse();
	test_checks();
	return tap_done();
}
