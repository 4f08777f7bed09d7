/*
 * test_acme_msg: the parsers of CA answers on good answers (pebble's and
 * RFC 8555's examples) and on hostile ones (duplicate keys, wrong types,
 * missing members, non-https URLs, bad tokens, oversize bodies and
 * arrays), the headers (Retry-After in both forms, Replay-Nonce, Link),
 * RFC 3339 dates, ARI (RFC 9773's own example identifier) and the PEM
 * chain check.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "acme_msg.h"
#include "tap.h"

#define S(lit) lit, strlen(lit)

static char err[ACME_ERR_LEN];

#define DIR_OK "{\"newNonce\":\"https://ca/nonce\",\"newAccount\":\"https://ca/acct\"," \
	"\"newOrder\":\"https://ca/order\",\"revokeCert\":\"https://ca/revoke\"," \
	"\"keyChange\":\"https://ca/kc\",\"renewalInfo\":\"https://ca/ari\"," \
	"\"meta\":{\"termsOfService\":\"data:text/plain,tos\"," \
	"\"externalAccountRequired\":true}}"

static void dir_bad(const char *body, const char *want)
{
	struct acme_directory d;

	err[0] = '\0';
	is_int(acme_parse_directory(S(body), &d, err), -1, "directory refused: %s", want);
	is_str(err, want, "message: %s", want);
	ok(d.new_nonce == NULL && d.new_order == NULL, "directory left cleared");
}

static void test_directory(void)
{
	struct acme_directory d;
	char *big;

	is_int(acme_parse_directory(S(DIR_OK), &d, err), 0, "directory parsed");
	is_str(d.new_nonce, "https://ca/nonce", "newNonce");
	is_str(d.new_account, "https://ca/acct", "newAccount");
	is_str(d.new_order, "https://ca/order", "newOrder");
	is_str(d.renewal_info, "https://ca/ari", "renewalInfo");
	is_str(d.terms_of_service, "data:text/plain,tos", "termsOfService");
	ok(d.eab_required, "externalAccountRequired");
	acme_directory_clear(&d);
	ok(d.new_nonce == NULL, "clear zeroes");
	acme_directory_clear(&d);       /* twice is safe */

	is_int(acme_parse_directory(S("{\"newNonce\":\"https://a/n\",\"newAccount\":"
		"\"https://a/a\",\"newOrder\":\"https://a/o\"}"), &d, err), 0,
	       "minimal directory");
	ok(d.renewal_info == NULL && !d.eab_required, "optional members absent");
	acme_directory_clear(&d);

	dir_bad("{\"newNonce\":\"https://a/n\",\"newNonce\":\"https://a/m\","
		"\"newAccount\":\"https://a/a\",\"newOrder\":\"https://a/o\"}",
		"directory: not valid JSON: duplicate object key near '\"newNonce\"' (position 36)");
	dir_bad("{\"newNonce\":\"http://a/n\",\"newAccount\":\"https://a/a\",\"newOrder\":\"https://a/o\"}",
		"directory: \"newNonce\": URL is not https://");
	dir_bad("{\"newNonce\":\"https://a/n\",\"newAccount\":\"https://a/a\"}",
		"directory: \"newOrder\" is missing");
	dir_bad("{\"newNonce\":\"https://a/n\",\"newAccount\":7,\"newOrder\":\"https://a/o\"}",
		"directory: \"newAccount\" is not a string");
	dir_bad("{\"newNonce\":\"https://a/n x\",\"newAccount\":\"https://a/a\",\"newOrder\":\"https://a/o\"}",
		"directory: \"newNonce\": URL contains a space, control or non-ASCII byte");
	dir_bad("{\"newNonce\":\"https://\",\"newAccount\":\"https://a/a\",\"newOrder\":\"https://a/o\"}",
		"directory: \"newNonce\": URL has no host");
	dir_bad("[1]", "directory: not a JSON object");
	dir_bad("{\"newNonce\":\"https://a/n\",\"newAccount\":\"https://a/a\",\"newOrder\":"
		"\"https://a/o\",\"meta\":{\"externalAccountRequired\":\"yes\"}}",
		"directory: \"externalAccountRequired\" is not a boolean");

	big = malloc(ACME_MSG_MAX + 2);
	memset(big, ' ', ACME_MSG_MAX + 1);
	big[0] = '{';
	big[ACME_MSG_MAX] = '}';
	big[ACME_MSG_MAX + 1] = '\0';
	is_int(acme_parse_directory(big, ACME_MSG_MAX + 1, &d, err), -1,
	       "body over the size cap refused");
	is_str(err, "directory: answer of 262145 bytes is over the 262144-byte limit",
	       "size cap message");
	free(big);
}

static void test_order(void)
{
	struct acme_order o;
	char *body;
	size_t i, pos;

	is_int(acme_parse_order(S("{\"status\":\"pending\",\"expires\":\"2026-01-01T00:00:00Z\","
		"\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.example\"}],"
		"\"authorizations\":[\"https://ca/authz/1\",\"https://ca/authz/2\"],"
		"\"finalize\":\"https://ca/fin/1\"}"), &o, err), 0, "order parsed");
	is_int(o.status, ACME_STATUS_PENDING, "order status");
	is_int(o.n_authz, 2, "two authorizations");
	is_str(o.authorizations[1], "https://ca/authz/2", "second authorization");
	is_str(o.finalize, "https://ca/fin/1", "finalize");
	ok(o.certificate == NULL && !o.has_error, "no certificate, no error");
	acme_order_clear(&o);

	is_int(acme_parse_order(S("{\"status\":\"invalid\",\"authorizations\":[\"https://c/a\"],"
		"\"finalize\":\"https://c/f\",\"error\":{\"type\":\"urn:ietf:params:acme:error:unauthorized\","
		"\"detail\":\"no\",\"status\":403}}"), &o, err), 0, "invalid order with error");
	ok(o.has_error, "order error present");
	is_str(o.error.type, "urn:ietf:params:acme:error:unauthorized", "order error type");
	is_int(o.error.status, 403, "order error status");
	acme_order_clear(&o);

	is_int(acme_parse_order(S("{\"status\":\"valid\",\"authorizations\":[\"https://c/a\"],"
		"\"finalize\":\"https://c/f\"}"), &o, err), -1, "valid order without certificate refused");
	is_str(err, "order: valid but without \"certificate\"", "its message");
	is_int(acme_parse_order(S("{\"status\":\"bogus\",\"authorizations\":[\"https://c/a\"],"
		"\"finalize\":\"https://c/f\"}"), &o, err), -1, "unknown status refused");
	is_int(acme_parse_order(S("{\"status\":\"ready\",\"authorizations\":[],"
		"\"finalize\":\"https://c/f\"}"), &o, err), -1, "no authorizations refused");
	is_int(acme_parse_order(S("{\"status\":\"ready\",\"authorizations\":[\"file:///etc/passwd\"],"
		"\"finalize\":\"https://c/f\"}"), &o, err), -1, "file: authorization refused");
	is_str(err, "order: authorization 1: URL is not https://", "its message");
	is_int(acme_parse_order(S("{\"status\":\"ready\",\"authorizations\":[\"https://c/\\u0000x\"],"
		"\"finalize\":\"https://c/f\"}"), &o, err), -1, "NUL in a URL refused");

	/* ACME_AUTHZ_MAX + 1 authorizations. */
	body = malloc(64 + (ACME_AUTHZ_MAX + 1) * 16);
	pos = (size_t)sprintf(body, "{\"status\":\"ready\",\"finalize\":\"https://c/f\",\"authorizations\":[");
	for (i = 0; i <= ACME_AUTHZ_MAX; i++)
		pos += (size_t)sprintf(body + pos, "%s\"https://c/%zu\"", i ? "," : "", i);
	strcpy(body + pos, "]}");
	is_int(acme_parse_order(body, strlen(body), &o, err), -1, "too many authorizations refused");
	is_str(err, "order: 1001 authorizations (1 to 1000 allowed)", "its message");
	free(body);
}

static void test_authz(void)
{
	struct acme_authz a;
	const struct acme_challenge *c;

	is_int(acme_parse_authz(S("{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
		"\"value\":\"mta-sts.example.com\"},\"challenges\":["
		"{\"type\":\"http-01\",\"url\":\"https://c/ch/1\",\"token\":\"tok_1-A\",\"status\":\"pending\"},"
		"{\"type\":\"tls-alpn-01\",\"url\":\"https://c/ch/2\",\"token\":\"tok2\",\"status\":\"pending\"},"
		"{\"type\":\"future-01\",\"url\":\"https://c/ch/3\",\"status\":\"pending\"}]}"),
		&a, err), 0, "authorization parsed");
	is_str(a.identifier, "mta-sts.example.com", "identifier");
	is_int(a.n_challenges, 3, "three challenges");
	c = acme_authz_find(&a, "tls-alpn-01");
	ok(c && strcmp(c->url, "https://c/ch/2") == 0 && strcmp(c->token, "tok2") == 0,
	   "tls-alpn-01 found");
	ok(acme_authz_find(&a, "dns-01") == NULL, "dns-01 absent");
	acme_authz_clear(&a);

	is_int(acme_parse_authz(S("{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
		"\"value\":\"x.example\"},\"challenges\":[{\"type\":\"http-01\",\"url\":\"https://c/1\","
		"\"token\":\"../../etc\",\"status\":\"pending\"}]}"), &a, err), -1,
	       "path-like token refused");
	is_str(err, "challenge: token is not base64url", "its message");
	is_int(acme_parse_authz(S("{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
		"\"value\":\"x.example\"},\"challenges\":[{\"type\":\"http-01\",\"url\":\"https://c/1\","
		"\"status\":\"pending\"}]}"), &a, err), -1, "http-01 without token refused");
	is_int(acme_parse_authz(S("{\"status\":\"pending\",\"identifier\":{\"type\":\"ip\","
		"\"value\":\"192.0.2.1\"},\"challenges\":[]}"), &a, err), -1, "ip identifier refused");
	is_int(acme_parse_authz(S("{\"status\":\"valid\",\"identifier\":{\"type\":\"dns\","
		"\"value\":\"x.example\"},\"challenges\":[1]}"), &a, err), -1,
	       "challenge that is not an object refused");
}

static void test_challenge_problem(void)
{
	struct acme_challenge c;
	struct acme_problem p;

	is_int(acme_parse_challenge(S("{\"type\":\"http-01\",\"url\":\"https://c/ch/1\","
		"\"token\":\"t\",\"status\":\"invalid\",\"error\":{\"type\":"
		"\"urn:ietf:params:acme:error:connection\",\"detail\":\"refused\"}}"),
		&c, err), 0, "invalid challenge parsed");
	is_int(c.status, ACME_STATUS_INVALID, "challenge status");
	ok(c.has_error, "challenge error present");
	is_str(c.error.detail, "refused", "challenge error detail");
	acme_challenge_clear(&c);

	is_int(acme_parse_problem(S("{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\","
		"\"detail\":\"Some names were rejected\",\"status\":400,\"subproblems\":["
		"{\"type\":\"urn:ietf:params:acme:error:caa\",\"detail\":\"CAA forbids\","
		"\"identifier\":{\"type\":\"dns\",\"value\":\"b.example\"}},{}]}"), &p, err), 0,
	       "problem with subproblems");
	is_str(p.detail, "Some names were rejected (2 subproblems; b.example: CAA forbids)",
	       "first subproblem folded into the detail");
	is_int(p.status, 400, "problem status");
	acme_problem_clear(&p);
	is_int(acme_parse_problem(S("{\"type\":\"x\",\"detail\":\"a\\u0007b\"}"), &p, err), -1,
	       "control character in detail refused");
	is_int(acme_parse_problem(S("{\"type\":\"x\",\"status\":\"500\"}"), &p, err), 0,
	       "non-integer status ignored");
	is_int(p.status, 0, "status left 0");
	acme_problem_clear(&p);
	is_int(acme_parse_problem(S("<html>"), &p, err), -1, "HTML refused");
}

static void test_headers(void)
{
	int64_t d = -1;
	char nonce[ACME_NONCE_MAX + 1];

	is_int(acme_parse_retry_after("120", 0, &d), 0, "Retry-After seconds");
	is_int(d, 120, "120 s");
	is_int(acme_parse_retry_after(" 99999999999999999999 ", 0, &d), 0, "huge seconds");
	is_int(d, ACME_RETRY_AFTER_MAX, "capped");
	/* 784111777 = Sun, 06 Nov 1994 08:49:37 GMT */
	is_int(acme_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30, &d), 0,
	       "Retry-After HTTP-date");
	is_int(d, 30, "30 s from now");
	is_int(acme_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30, &d), 0,
	       "a past date");
	is_int(d, 0, "is 0");
	is_int(acme_parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", 0, &d), -1,
	       "obsolete RFC 850 date refused");
	is_int(acme_parse_retry_after("Sun, 31 Feb 1994 08:49:37 GMT", 0, &d), -1,
	       "31 February refused");
	is_int(acme_parse_retry_after("12s", 0, &d), -1, "\"12s\" refused");
	is_int(acme_parse_retry_after("-5", 0, &d), -1, "negative refused");
	is_int(acme_parse_retry_after("", 0, &d), -1, "empty refused");

	is_int(acme_parse_nonce(" oFvnlFP1wIhRlYS2jTaXbA \r\n", nonce), 0, "nonce parsed");
	is_str(nonce, "oFvnlFP1wIhRlYS2jTaXbA", "nonce trimmed");
	is_int(acme_parse_nonce("abc=", nonce), -1, "nonce with padding refused");
	is_int(acme_parse_nonce("a\"b", nonce), -1, "nonce with a quote refused");
}

struct links {
	char got[4][ACME_URL_MAX + 1];
	int n;
};

static void link_found(void *ctx, const char *url)
{
	struct links *l = ctx;

	if (l->n < 4)
		strcpy(l->got[l->n++], url);
}

static void test_link(void)
{
	struct links l = { .n = 0 };

	is_int(acme_parse_link("<https://ca/dir>;rel=\"index\", <https://ca/cert/1/1>; "
		"rel=\"alternate\", <https://ca/cert/1/2>;rel=ALTERNATE;title=\"x,y\"",
		"alternate", link_found, &l), 2, "two alternates");
	is_str(l.got[0], "https://ca/cert/1/1", "first alternate");
	is_str(l.got[1], "https://ca/cert/1/2", "second alternate (rel case-insensitive)");
	l.n = 0;
	is_int(acme_parse_link("<https://ca/authz/1>;rel=\"up index\"", "up", link_found, &l), 1,
	       "rel list with two relations");
	is_int(acme_parse_link("<http://ca/x>;rel=up", "up", link_found, &l), 0,
	       "non-https URL not reported");
	is_int(acme_parse_link("https://ca/x;rel=up", "up", link_found, &l), -1,
	       "no angle brackets refused");
	is_int(acme_parse_link("<https://ca/x;rel=up", "up", link_found, &l), -1,
	       "unterminated URL refused");
	is_int(acme_parse_link("<https://ca/x>;rel=\"up", "up", link_found, &l), -1,
	       "unterminated quote refused");
	is_int(acme_parse_link("<https://ca/x>;rel=up junk", "up", link_found, &l), -1,
	       "trailing junk refused");
}

static void test_dates_ari(void)
{
	int64_t t = 0;
	struct acme_renewal_info r;
	static const unsigned char aki[] = { 0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40,
		0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4 };
	static const unsigned char serial[] = { 0x00, 0x87, 0x65, 0x43, 0x21 };
	static const unsigned char serial_nolz[] = { 0x87, 0x65, 0x43, 0x21 };
	static const unsigned char serial_zeros[] = { 0x00, 0x00, 0x12 };
	char *id;

	is_int(acme_parse_rfc3339("1994-11-06T08:49:37Z", &t), 0, "RFC 3339 Z");
	is_int(t, 784111777, "value");
	is_int(acme_parse_rfc3339("1994-11-06T10:49:37.123+02:00", &t), 0, "offset and fraction");
	is_int(t, 784111777, "same instant");
	is_int(acme_parse_rfc3339("2024-02-29T00:00:00Z", &t), 0, "leap day");
	is_int(acme_parse_rfc3339("2023-02-29T00:00:00Z", &t), -1, "not a leap year");
	is_int(acme_parse_rfc3339("2023-01-01 00:00:00Z", &t), -1, "space instead of T");
	is_int(acme_parse_rfc3339("2023-01-01T00:00:00", &t), -1, "no zone");

	is_int(acme_parse_renewal_info(S("{\"suggestedWindow\":{\"start\":\"2025-01-02T04:00:00Z\","
		"\"end\":\"2025-01-03T04:00:00Z\"},\"explanationURL\":\"https://ca/why\"}"), &r, err), 0,
	       "renewalInfo parsed");
	is_int(r.start, 1735790400, "window start");
	is_int(r.end - r.start, 86400, "window length");
	is_str(r.explanation_url, "https://ca/why", "explanationURL");
	acme_renewal_info_clear(&r);
	is_int(acme_parse_renewal_info(S("{\"suggestedWindow\":{\"start\":\"2025-01-03T04:00:00Z\","
		"\"end\":\"2025-01-02T04:00:00Z\"}}"), &r, err), -1, "inverted window refused");
	is_str(err, "renewal information: window ends before it starts", "its message");
	is_int(acme_parse_renewal_info(S("{\"suggestedWindow\":{\"start\":1}}"), &r, err), -1,
	       "numeric start refused");

	id = acme_ari_cert_id(aki, sizeof(aki), serial, sizeof(serial));
	is_str(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", "RFC 9773 example identifier");
	free(id);
	id = acme_ari_cert_id(aki, sizeof(aki), serial_nolz, sizeof(serial_nolz));
	is_str(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", "high-bit serial gets its 0x00 back");
	free(id);
	id = acme_ari_cert_id(aki, sizeof(aki), serial_zeros, sizeof(serial_zeros));
	is_str(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.Eg", "extra leading zeros removed");
	free(id);
	ok(acme_ari_cert_id(aki, 0, serial, sizeof(serial)) == NULL, "empty AKI refused");
}

#define B "-----BEGIN CERTIFICATE-----\n"
#define E "-----END CERTIFICATE-----\n"

static void test_pem(void)
{
	size_t n = 0;

	is_int(acme_pem_chain_check(S(B "MAMCAQE=\n" E "\n" B "MAMC\nAQE=\n" E), &n, err), 0,
	       "two-certificate chain");
	is_int(n, 2, "two blocks");
	is_int(acme_pem_chain_check(S(""), &n, err), -1, "empty refused");
	is_str(err, "certificate chain: no certificate", "its message");
	is_int(acme_pem_chain_check(S("-----BEGIN PRIVATE KEY-----\nMAMCAQE=\n"
		"-----END PRIVATE KEY-----\n"), &n, err), -1, "private key block refused");
	is_int(acme_pem_chain_check(S(B "MAMCAQE=\n"), &n, err), -1, "no END refused");
	is_int(acme_pem_chain_check(S(B "MAM*AQE=\n" E), &n, err), -1, "bad base64 refused");
	is_int(acme_pem_chain_check(S(B "MAMCAQ\n" E), &n, err), -1, "truncated base64 refused");
	is_int(acme_pem_chain_check(S(B "MA=MCAQE\n" E), &n, err), -1, "padding mid-body refused");
	is_int(acme_pem_chain_check(S(B "MAMCAQE=\n" E "junk"), &n, err), -1, "trailing junk refused");
	{
		char big[(ACME_CHAIN_MAX + 1) * 64], *p = big;
		int i;

		for (i = 0; i <= ACME_CHAIN_MAX; i++)
			p += sprintf(p, B "MAMCAQE=\n" E);
		is_int(acme_pem_chain_check(big, strlen(big), &n, err), -1, "11 certificates refused");
	}
}

int main(void)
{
	test_directory();
	test_order();
	test_authz();
	test_challenge_problem();
	test_headers();
	test_link();
	test_dates_ari();
	test_pem();
	return tap_done();
}
