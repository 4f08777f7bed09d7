/* Unit tests for tlsrpt_txt.c: the _smtp._tls TXT record. */
#include "config.h"

#include <string.h>

#include "tap.h"
#include "tlsrpt_txt.h"

static struct check_report rep;

static void run2(const char *a, const char *b, const char *our)
{
	const char *in[2] = { a, b };
	struct txtrec recs[2];
	size_t n = 0, i;

	check_report_clear(&rep);
	check_report_init(&rep, "example.com");
	for (i = 0; i < 2 && in[i]; i++) {
		recs[n].data = in[i];
		recs[n].len = strlen(in[i]);
		recs[n].n_strings = 1;
		n++;
	}
	tlsrpt_txt_check(recs, n, our, &rep);
}

static void run(const char *a)
{
	run2(a, NULL, NULL);
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

int main(void)
{
	check_report_init(&rep, "example.com");
	run(NULL);
	is_int(st("tlsrpt.present"), CHECK_WARNING, "no record: warning");
	is_str(check_find(&rep, "tlsrpt.present")->fix,
	       "publish exactly one record: _smtp._tls.example.com. IN TXT "
	       "\"v=TLSRPTv1; rua=mailto:tlsrpt@example.com\"",
	       "... the fix is a record to publish");
	run("v=spf1 -all");
	is_int(st("tlsrpt.present"), CHECK_WARNING, "only another record: warning");

	run("v=TLSRPTv1; rua=mailto:tlsrpt@example.com");
	is_int(check_verdict(&rep), CHECK_OK, "a good record: ok");
	is_int(st("tlsrpt.syntax"), CHECK_OK, "... syntax ok");
	is_int(st("tlsrpt.rua"), CHECK_OK, "... rua ok");
	ok(strstr(msg("tlsrpt.rua"), "the first mailto:tlsrpt@example.com") != NULL, "... names the first URI");
	run("v=TLSRPTv1;rua=https://r.example.com/v1 , mailto:a@example.com;");
	is_int(st("tlsrpt.rua"), CHECK_OK, "two URIs, https first: ok");
	ok(strstr(msg("tlsrpt.rua"), "2 report URIs, the first https://r.example.com/v1") != NULL, "... counted, first named");
	run2("v=TLSRPTv1; rua=mailto:a@example.com,mailto:b@example.com", NULL, "mailto:b@example.com");
	is_int(st("tlsrpt.rua"), CHECK_WARNING, "our address second: warning");
	run2("v=TLSRPTv1; rua=mailto:b@example.com", NULL, "mailto:b@example.com");
	is_int(st("tlsrpt.rua"), CHECK_OK, "our address first: ok");

	run2("v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com", NULL);
	is_int(st("tlsrpt.single"), CHECK_ERROR, "two records: error");
	run("V=TLSRPTv1; rua=mailto:a@example.com");
	is_int(st("tlsrpt.syntax"), CHECK_ERROR, "upper-case V: error");
	run("v=TLSRPTv1 rua=mailto:a@example.com");
	is_int(st("tlsrpt.syntax"), CHECK_ERROR, "no ';': error");
	run("v=TLSRPTv1;");
	is_int(st("tlsrpt.syntax"), CHECK_ERROR, "no rua: error");
	ok(strstr(msg("tlsrpt.syntax"), "no rua=") != NULL, "... says so");
	run("v=TLSRPTv1; rua=");
	is_int(st("tlsrpt.syntax"), CHECK_ERROR, "empty rua: error");
	run("v=TLSRPTv1; rua=a@example.com");
	is_int(st("tlsrpt.rua"), CHECK_ERROR, "no scheme: error");
	run("v=TLSRPTv1; rua=ftp://x.example.com/");
	is_int(st("tlsrpt.rua"), CHECK_ERROR, "ftp: error");
	run("v=TLSRPTv1; rua=mailto:a@example.com,https://x.example.com/a b");
	is_int(check_count(&rep, "tlsrpt.rua", CHECK_ERROR), 1, "a space in the second URI: one error");
	run("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com");
	is_int(st("tlsrpt.syntax"), CHECK_ERROR, "two rua fields: error");
	run("v=TLSRPTv1; ext=1; rua=mailto:a@example.com");
	is_int(st("tlsrpt.syntax"), CHECK_OK, "an extension is allowed");
	{
		struct txtrec rec = { "v=TLSRPTv1; rua=mailto:a@\0x", 27, 1 };

		check_report_clear(&rep);
		check_report_init(&rep, "example.com");
		tlsrpt_txt_check(&rec, 1, NULL, &rep);
		is_int(st("tlsrpt.rua"), CHECK_ERROR, "a NUL inside a URI: error");
	}
	check_report_clear(&rep);
	return tap_done();
}
