/*
 * test_mime: the report found in whole messages built from the fixtures
 * (multipart/report with base64 gzip, LF and CRLF, a forward with a quoted
 * boundary and an RFC 2231 file name, the report as the whole body in gzip
 * and in JSON, plain JSON in a +gzip part without base64 padding, a message
 * without a report, quoted-printable JSON), then the caps (depth, parts, header size), tolerant
 * base64 and parameter parsing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gunzip.h"
#include "mime.h"
#include "tap.h"
#include "tlsrpt_fixture.h"

/* Finds the report of msg, inflates it and compares it with `json`. */
static void expect_report(const char *what, const char *msg, size_t len,
			  const char *json, struct mime_report *r, bool gz)
{
	size_t jl, out_len = 0;
	char *j = fx_read(json, &jl);
	unsigned char *out = NULL;
	bool was = !gz;

	is_int(mime_find_report(msg, len, r), MIME_OK, "%s: report found", what);
	if (r->data) {
		is_int(gunzip_bounded(r->data, r->len, NULL, &out, &out_len, &was),
		       GUNZIP_OK, "%s: inflates", what);
		ok(was == gz, "%s: %s", what, gz ? "was gzip" : "was plain");
		is_mem(out, out_len, j, jl, "%s: the report of %s", what, json);
	}
	free(out);
	free(j);
}

static void test_messages(void)
{
	struct mime_report r;
	size_t len, crlf_len;
	char *m, *crlf;

	m = fx_message("msg-multipart-gzip.eml.in", "google.json", &len);
	expect_report("multipart/report", m, len, "google.json", &r, true);
	is_str(r.type, "application/tlsrpt+gzip", "type of the part");
	is_str(r.filename, "google.com!example.com!1795996800!1796083199!001.json.gz",
	       "file name from a folded Content-Disposition");
	is_str(r.report_domain, "example.com", "TLS-Report-Domain");
	is_str(r.report_submitter, "google.com", "TLS-Report-Submitter");
	mime_report_free(&r);
	ok(r.data == NULL, "free clears");

	crlf = fx_crlf(m, &crlf_len);
	expect_report("CRLF", crlf, crlf_len, "google.json", &r, true);
	mime_report_free(&r);
	free(crlf);

	/* An mbox "From " line first, as Postfix's pipe flag F writes it. */
	{
		size_t fl = strlen("From x@y Tue Dec  1 10:00:00 2026\n");
		char *from = malloc(len + fl + 1);

		memcpy(from, "From x@y Tue Dec  1 10:00:00 2026\n", fl);
		memcpy(from + fl, m, len + 1);
		expect_report("mbox From line", from, len + fl, "google.json",
			      &r, true);
		is_str(r.report_domain, "example.com", "From line: headers read");
		mime_report_free(&r);
		free(from);
	}

	/* Without its closing delimiter (a truncated message). */
	{
		char *cut = strstr(m, "--0000000000007c8e1a05f0a1b2c3--");

		*cut = '\0';
		expect_report("no closing delimiter", m, strlen(m), "google.json",
			      &r, true);
		mime_report_free(&r);
	}
	free(m);

	m = fx_message("msg-nested.eml.in", "microsoft-nozone.json", &len);
	expect_report("forwarded, nested", m, len, "microsoft-nozone.json", &r,
		      true);
	is_str(r.type, "application/octet-stream", "nested: chosen by its name");
	is_str(r.filename,
	       "microsoft.com!example.com!1795996800!1796083199!x.json.gz",
	       "RFC 2231 file name decoded");
	is_str(r.report_domain, "", "no TLS-Report-Domain on the forward");
	mime_report_free(&r);
	free(m);

	m = fx_message("msg-body-gzip.eml.in", "missing-details.json", &len);
	expect_report("gzip as the body", m, len, "missing-details.json", &r, true);
	is_str(r.type, "application/tlsrpt+gzip", "body: its type");
	is_str(r.report_submitter, "small.example", "body: submitter");
	mime_report_free(&r);
	free(m);

	m = fx_message("msg-plain-in-gzip.eml.in", "totals-disagree.json", &len);
	expect_report("plain JSON labelled +gzip", m, len, "totals-disagree.json",
		      &r, false);
	mime_report_free(&r);
	free(m);

	m = fx_read("msg-body-json.eml", &len);
	is_int(mime_find_report(m, len, &r), MIME_OK, "JSON as a text/plain body");
	ok(r.data && r.data[0] == '{' && strstr((char *)r.data, "plain-body-1"),
	   "JSON body returned");
	is_str(r.type, "text/plain", "JSON body: type as declared");
	mime_report_free(&r);
	free(m);

	/* application/tlsrpt+json in quoted-printable, soft line breaks. */
	{
		static const char qp[] =
			"Content-Type: multipart/report; report-type=tlsrpt; boundary=q\r\n"
			"\r\n--q\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
			"--q\r\nContent-Type: application/tlsrpt+json; charset=utf-8\r\n"
			"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
			"{\"organization-name\":\"Caf=C3=A9 =\r\nMail\",\"a\"=3D1}\r\n"
			"--q--\r\n";
		static const char want[] = "{\"organization-name\":\"Caf\xc3\xa9 "
					   "Mail\",\"a\"=1}";

		is_int(mime_find_report(qp, strlen(qp), &r), MIME_OK,
		       "quoted-printable part");
		is_mem(r.data, r.len, want, strlen(want), "quoted-printable decoded");
		is_str(r.type, "application/tlsrpt+json", "+json type");
		mime_report_free(&r);
	}

	m = fx_read("msg-no-report.eml", &len);
	is_int(mime_find_report(m, len, &r), MIME_NO_REPORT, "no report");
	ok(r.data == NULL, "no report: no data");
	is_str(mime_strerror(MIME_NO_REPORT), "no TLS report found in the message",
	       "its message");
	free(m);
}

/* depth multiparts, one inside the other, around a JSON report part. */
static char *nested(unsigned depth, size_t *len)
{
	size_t cap = 256 + depth * 128, o = 0;
	char *s = malloc(cap);
	unsigned i;

	for (i = 0; i < depth; i++)
		o += (size_t)sprintf(s + o, "Content-Type: multipart/mixed; "
				     "boundary=b%u\n\n--b%u\n", i, i);
	o += (size_t)sprintf(s + o, "Content-Type: application/tlsrpt+json\n\n{}\n");
	for (i = depth; i-- > 0;)
		o += (size_t)sprintf(s + o, "--b%u--\n", i);
	*len = o;
	return s;
}

static void test_caps(void)
{
	struct mime_report r;
	size_t len, i, o;
	char *m;

	m = nested(MIME_MAX_DEPTH, &len);
	is_int(mime_find_report(m, len, &r), MIME_OK, "report at the deepest level");
	is_mem(r.data, r.len, "{}", 2, "deep report body");
	mime_report_free(&r);
	free(m);
	m = nested(MIME_MAX_DEPTH + 1, &len);
	is_int(mime_find_report(m, len, &r), MIME_TOO_DEEP, "one level deeper");
	free(m);

	m = malloc(MIME_MAX_PARTS * 32 + 256);
	o = (size_t)sprintf(m, "Content-Type: multipart/mixed; boundary=p\n\n");
	for (i = 0; i < MIME_MAX_PARTS; i++)
		o += (size_t)sprintf(m + o, "--p\n\nx\n");
	o += (size_t)sprintf(m + o, "--p\nContent-Type: application/tlsrpt+json\n\n{}\n--p--\n");
	is_int(mime_find_report(m, o, &r), MIME_TOO_MANY_PARTS,
	       "report after %d parts", MIME_MAX_PARTS);
	free(m);

	m = malloc(MIME_MAX_HEADER + 256);
	o = (size_t)sprintf(m, "Subject: x\n");
	while (o < MIME_MAX_HEADER + 10)
		o += (size_t)sprintf(m + o, "X-Pad: 0123456789012345678901234567890123456789\n");
	o += (size_t)sprintf(m + o, "\n{}\n");
	is_int(mime_find_report(m, o, &r), MIME_TOO_LARGE, "header block over the cap");
	free(m);

	is_int(mime_find_report("x", (size_t)MIME_MAX_MESSAGE + 1, &r),
	       MIME_TOO_LARGE, "message over the cap (length checked first)");
}

static void b64(const char *in, const char *want)
{
	unsigned char out[64];
	size_t n = mime_base64_decode(in, strlen(in), out);

	is_mem(out, n, want, strlen(want), "base64 to \"%s\"", want);
}

static void param(const char *value, const char *name, const char *want)
{
	char out[64];
	int found = mime_param(value, name, out, sizeof(out));

	if (want) {
		is_int(found, 1, "%s found in %s", name, value);
		is_str(out, want, "%s of %s", name, value);
	} else {
		is_int(found, 0, "%s absent from %s", name, value);
	}
}

static void test_pieces(void)
{
	b64("aGVsbG8=", "hello");
	b64("aGVsbG8", "hello");
	b64("aGVs\r\nbG8=\r\n", "hello");
	b64("aGVsbA", "hell");
	b64("a G\tV*s bA==", "hell");
	b64("aGk=aGVsbG8=", "hi");
	b64("", "");

	param("multipart/report; boundary=abc", "boundary", "abc");
	param("multipart/report; BOUNDARY=\"a b;c\"", "boundary", "a b;c");
	param("x/y; boundary=\"q\\\"uote\"", "boundary", "q\"uote");
	param("x/y; name=a; filename=b", "filename", "b");
	param("x/y; filename=b (comment); size=3", "filename", "b");
	param("x/y; filename*=UTF-8'en'a%21b.json", "filename", "a!b.json");
	param("x/y; filenamex=a", "filename", NULL);
	param("x/y", "boundary", NULL);
	param("x/y; boundary", "boundary", NULL);
}

int main(void)
{
	test_messages();
	test_caps();
	test_pieces();
	return tap_done();
}
