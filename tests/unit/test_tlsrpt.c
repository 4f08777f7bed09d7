/*
 * test_tlsrpt: every JSON fixture of tests/fixtures/tlsrpt/ parsed, field by
 * field for the quirks (no time zone, string and array mx-host, the draft
 * mx-host-pattern, several domains, missing details and policy-string,
 * empty IPs, totals that disagree, free-text reasons, no-policy-found), the
 * rejected ones with their reason, then the caps and the date functions.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tlsrpt.h"
#include "tlsrpt_fixture.h"

static enum tlsrpt_status load(const char *name, struct tlsrpt_report *r,
			       char err[TLSRPT_ERR_MAX])
{
	size_t len;
	char *j = fx_read(name, &len);
	enum tlsrpt_status st = tlsrpt_parse(j, len, r, err);

	free(j);
	return st;
}

#define T_20261130 1795996800   /* 2026-11-30T00:00:00Z */

static void test_google(void)
{
	struct tlsrpt_report r;
	char err[TLSRPT_ERR_MAX];

	is_int(load("google.json", &r, err), TLSRPT_OK, "google: parsed");
	is_str(err, "", "google: no error");
	is_str(r.organization, "Google Inc.", "organization-name");
	is_str(r.contact, "smtp-tls-reporting@google.com", "contact-info");
	is_str(r.report_id, "2026-11-30T00:00:00Z_example.com", "report-id");
	is_int(r.begin, T_20261130, "start-datetime");
	is_int(r.end, T_20261130 + 86399, "end-datetime");
	is_int(r.day, T_20261130 / 86400, "counts for 2026-11-30");
	is_int(r.n_policies, 1, "one policy");
	is_int(r.policies[0].type, TLSRPT_POLICY_STS, "policy-type sts");
	is_str(r.policies[0].domain, "example.com", "policy-domain");
	is_int(r.policies[0].n_policy_string, 5, "policy-string lines");
	is_str(r.policies[0].policy_string[1], "mode: testing", "a policy line");
	is_int(r.policies[0].n_mx_host, 2, "mx-host array");
	is_str(r.policies[0].mx_host[1], "mx2.example.com", "second mx-host");
	is_int(r.policies[0].successful, 120, "successful");
	is_int(r.policies[0].failed, 0, "failed");
	is_int(r.policies[0].n_failures, 0, "no failure-details");
	tlsrpt_report_free(&r);
	ok(r.policies == NULL && r.n_policies == 0, "free zeroes");
}

static void test_quirks(void)
{
	struct tlsrpt_report r, r2;
	char err[TLSRPT_ERR_MAX];
	struct tlsrpt_failure *f;

	is_int(load("microsoft-nozone.json", &r, err), TLSRPT_OK,
	       "date-times without a zone: parsed");
	is_int(r.begin, T_20261130, "no zone is UTC");
	is_int(r.policies[0].n_mx_host, 1, "mx-host as a string");
	is_str(r.policies[0].mx_host[0], "mx1.example.com", "its value");
	f = &r.policies[0].failures[0];
	is_int(f->result, TLSRPT_CERTIFICATE_HOST_MISMATCH, "result-type");
	is_str(f->sending_mta_ip, "2a01:111:f403:c000::1", "sending-mta-ip");
	is_str(f->receiving_mx_hostname, "mx2.example.com", "receiving-mx-hostname");
	is_str(f->receiving_ip, "192.0.2.25", "receiving-ip");
	is_str(f->receiving_mx_helo, NULL, "no helo");
	is_int(f->failed_session_count, 3, "failed-session-count");
	is_int(r.policies[0].detail_failed, 3, "details sum");
	tlsrpt_report_free(&r);

	is_int(load("mailru-freetext.json", &r, err), TLSRPT_OK, "mail.ru: parsed");
	is_int(r.end - r.begin, 86400, "range to the next midnight");
	is_int(r.day, T_20261130 / 86400, "still counts for 2026-11-30");
	is_str(r.policies[0].domain, "example.com", "policy-domain: final dot dropped");
	f = &r.policies[0].failures[0];
	is_str(f->sending_mta_ip, NULL, "sending-mta-ip \"\" is absent");
	is_str(f->receiving_mx_hostname, "mx2.example.com",
	       "receiving-mx-hostname lowercased, final dot dropped");
	is_str(f->receiving_mx_helo, "mail.hosting.example", "receiving-mx-helo");
	is_str(f->failure_reason_code,
	       "Сертификат не соответствует имени хоста: X509_V_ERR_HOSTNAME_MISMATCH",
	       "free-text failure-reason-code kept (UTF-8)");
	is_str(f->additional_information, "see https://postmaster.mail.ru/",
	       "additional-information");
	tlsrpt_report_free(&r);

	is_int(load("several-domains.json", &r, err), TLSRPT_OK,
	       "several domains: parsed");
	is_int(r.n_policies, 3, "three policies");
	is_str(r.policies[0].domain, "example.net", "first domain");
	is_str(r.policies[0].mx_host[0], "mx.example.net", "mx-host-pattern read");
	is_int(r.policies[1].type, TLSRPT_POLICY_TLSA, "tlsa policy");
	is_int(r.policies[1].n_policy_string, 1, "TLSA array-in-a-string kept as one line");
	ok(r.policies[1].policy_string[0][0] == '[', "kept as sent");
	is_int(r.policies[1].failures[0].result, TLSRPT_TLSA_INVALID, "tlsa-invalid");
	is_str(r.policies[2].domain, "example.com", "third domain");
	is_int(r.begin, T_20261130, "+00:00 offset");
	tlsrpt_report_free(&r);

	is_int(load("missing-details.json", &r, err), TLSRPT_OK,
	       "no failure-details, no policy-string, no mx-host: parsed");
	is_int(r.policies[0].n_policy_string, 0, "no policy-string");
	is_int(r.policies[0].n_mx_host, 0, "no mx-host");
	is_int(r.policies[0].n_failures, 0, "no details");
	is_int(r.policies[0].failed, 1, "yet one failed session");
	tlsrpt_report_free(&r);

	is_int(load("totals-disagree.json", &r, err), TLSRPT_OK,
	       "totals that disagree: parsed");
	is_int(r.policies[0].failed, 10, "summary says 10");
	is_int(r.policies[0].detail_failed, 7, "details say 7");
	is_int(r.policies[0].failures[0].result, TLSRPT_STARTTLS_NOT_SUPPORTED,
	       "starttls-not-supported");
	is_str(r.policies[0].failures[0].failure_reason_code,
	       "STARTTLS not offered in EHLO reply", "reason code as text");
	is_str(r.policies[0].failures[1].receiving_ip, NULL, "no receiving-ip");
	tlsrpt_report_free(&r);

	is_int(load("no-policy-found.json", &r, err), TLSRPT_OK,
	       "no-policy-found: parsed");
	is_int(r.policies[0].type, TLSRPT_POLICY_NO_POLICY_FOUND, "its type");
	tlsrpt_report_free(&r);

	is_int(load("empty-ip.json", &r, err), TLSRPT_OK, "no IPs: parsed");
	is_str(r.report_id, "20261128.noip+", "report-id ending in +");
	is_str(r.policies[0].failures[1].receiving_mx_hostname, NULL,
	       "a detail with no host at all");
	is_int(r.policies[0].failures[1].result, TLSRPT_STS_POLICY_FETCH_ERROR,
	       "sts-policy-fetch-error");
	load("empty-ip.json", &r2, err);
	ok(tlsrpt_same_report(&r, &r2), "same report twice");
	tlsrpt_report_free(&r2);
	load("google.json", &r2, err);
	ok(!tlsrpt_same_report(&r, &r2), "different reports");
	tlsrpt_report_free(&r2);
	tlsrpt_report_free(&r);
}

static void rejected(const char *name, enum tlsrpt_status want,
		     const char *want_err)
{
	struct tlsrpt_report r;
	char err[TLSRPT_ERR_MAX];

	is_int(load(name, &r, err), want, "%s rejected (%s)", name,
	       tlsrpt_status_name(want));
	is_str(err, want_err, "%s: reason", name);
	ok(r.policies == NULL && r.report_id == NULL, "%s: nothing kept", name);
}

static enum tlsrpt_status parse_str(const char *s, char err[TLSRPT_ERR_MAX])
{
	struct tlsrpt_report r;
	enum tlsrpt_status st = tlsrpt_parse(s, strlen(s), &r, err);

	tlsrpt_report_free(&r);
	return st;
}

#define HEAD "{\"organization-name\":\"X\",\"date-range\":{\"start-datetime\":" \
	"\"2026-11-30T00:00:00Z\",\"end-datetime\":\"2026-11-30T23:59:59Z\"}," \
	"\"report-id\":\"r\","

static void test_rejected(void)
{
	char err[TLSRPT_ERR_MAX], *big;
	size_t i, o;

	rejected("bad-negative-count.json", TLSRPT_REJECT_COUNT,
		 "policies[0].summary: total-successful-session-count is negative (-5)");
	rejected("bad-float-count.json", TLSRPT_REJECT_COUNT,
		 "policies[0].summary: total-failure-session-count is not a whole number");
	rejected("bad-no-summary.json", TLSRPT_REJECT_COUNT,
		 "policies[0].summary: missing");
	rejected("bad-date-range.json", TLSRPT_REJECT_DATE,
		 "date-range: ends before it starts");
	rejected("bad-date-format.json", TLSRPT_REJECT_DATE,
		 "date-range: start-datetime missing or not a date-time");
	rejected("bad-detail-count.json", TLSRPT_REJECT_COUNT,
		 "policies[0].failure-details[0]: failed-session-count is not a whole number");
	{
		struct tlsrpt_report r;

		is_int(load("bad-duplicate-key.json", &r, err), TLSRPT_REJECT_JSON,
		       "duplicate key rejected");
		ok(strstr(err, "duplicate object key") != NULL, "reason names the duplicate: %s", err);
	}

	is_int(parse_str("[]", err), TLSRPT_REJECT_SCHEMA, "an array");
	is_int(parse_str("{\"organization-name\":", err), TLSRPT_REJECT_JSON, "cut JSON");
	is_int(parse_str(HEAD "\"policies\":{}}", err), TLSRPT_REJECT_SCHEMA,
	       "policies not an array");
	is_str(err, "policies: missing", "its reason");
	is_int(parse_str(HEAD "\"policies\":[]}", err), TLSRPT_OK, "no policies is fine");
	is_int(parse_str("{\"organization-name\":\"X\",\"date-range\":{\"start-datetime\":"
			 "\"2026-11-30T00:00:00Z\",\"end-datetime\":\"2026-11-30T23:59:59Z\"},"
			 "\"policies\":[]}", err), TLSRPT_REJECT_SCHEMA, "no report-id");
	is_int(parse_str(HEAD "\"policies\":[{\"policy\":{\"policy-type\":\"sts\"},"
			 "\"summary\":{\"total-successful-session-count\":1,"
			 "\"total-failure-session-count\":0}}]}", err),
	       TLSRPT_REJECT_SCHEMA, "no policy-domain");
	is_int(parse_str(HEAD "\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
			 "\"policy-domain\":\"a.example\"},\"summary\":{"
			 "\"total-successful-session-count\":1000000000001,"
			 "\"total-failure-session-count\":0}}]}", err),
	       TLSRPT_REJECT_COUNT, "a count over 10^12");
	is_int(parse_str(HEAD "\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
			 "\"policy-domain\":\"a.example\"},\"summary\":{"
			 "\"total-successful-session-count\":1}}]}", err),
	       TLSRPT_REJECT_COUNT, "a count missing");
	is_int(parse_str(HEAD "\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
			 "\"policy-domain\":\"a.example\"},\"summary\":{"
			 "\"total-successful-session-count\":1,"
			 "\"total-failure-session-count\":1},\"failure-details\":"
			 "[{\"failed-session-count\":1}]}]}", err),
	       TLSRPT_REJECT_SCHEMA, "a detail without result-type");

	/* Depth: 17 nested arrays in an ignored member. */
	big = malloc(256);
	o = (size_t)sprintf(big, HEAD "\"x\":");
	for (i = 0; i < 17; i++)
		big[o++] = '[';
	for (i = 0; i < 17; i++)
		big[o++] = ']';
	o += (size_t)sprintf(big + o, ",\"policies\":[]}");
	is_int(tlsrpt_parse(big, o, &(struct tlsrpt_report){0}, err),
	       TLSRPT_REJECT_JSON, "nested too deep");
	free(big);

	is_int(tlsrpt_parse("{}", TLSRPT_JSON_MAX + 1, &(struct tlsrpt_report){0}, err),
	       TLSRPT_REJECT_TOO_LARGE, "over the size cap (checked first)");

	/* A control character in a free-text field comes out as '?'. */
	{
		struct tlsrpt_report r;
		const char *s = HEAD "\"contact-info\":\"a\\u001b[31mb\",\"policies\":[]}";

		is_int(tlsrpt_parse(s, strlen(s), &r, err), TLSRPT_OK, "escape sequence in a field");
		is_str(r.contact, "a?[31mb", "control character replaced");
		is_str(r.organization, "X", "organization kept");
		tlsrpt_report_free(&r);
	}
	{
		struct tlsrpt_report r;
		const char *s = "{\"contact-info\":\"c@x\",\"date-range\":{\"start-datetime\":"
			"\"2026-11-30T00:00:00Z\",\"end-datetime\":\"2026-11-30T23:59:59Z\"},"
			"\"report-id\":\"r\",\"policies\":[]}";

		is_int(tlsrpt_parse(s, strlen(s), &r, err), TLSRPT_OK, "no organization-name");
		is_str(r.organization, "c@x", "organization falls back to contact-info");
		tlsrpt_report_free(&r);
	}
}

static void dt(const char *s, int64_t want)
{
	int64_t t = -1;

	is_int(tlsrpt_datetime_parse(s, &t), 0, "date-time \"%s\" read", s);
	is_int(t, want, "date-time \"%s\"", s);
}

static void dt_bad(const char *s)
{
	int64_t t;

	is_int(tlsrpt_datetime_parse(s, &t), -1, "date-time \"%s\" refused", s);
}

static void test_dates(void)
{
	char buf[11];
	int32_t d;

	dt("2026-11-30T00:00:00Z", T_20261130);
	dt("2026-11-30T00:00:00", T_20261130);
	dt("2026-11-30t00:00:00z", T_20261130);
	dt("2026-11-30 00:00:00Z", T_20261130);
	dt("2026-11-30T00:00:00.123Z", T_20261130);
	dt("2026-11-30T01:00:00+01:00", T_20261130);
	dt("2026-11-29T23:00:00-0100", T_20261130);
	dt("2026-11-29T23:59:60Z", T_20261130 - 1);
	dt("2024-02-29T00:00:00Z", 1709164800);
	dt("1970-01-01T00:00:00Z", 0);
	dt_bad("2026-02-29T00:00:00Z");
	dt_bad("2026-11-30");
	dt_bad("2026-11-30T24:00:00Z");
	dt_bad("2026-13-01T00:00:00Z");
	dt_bad("2026-11-30T00:00:00Q");
	dt_bad("2026-11-30T00:00:00+1");
	dt_bad("1969-12-31T23:59:59Z");
	dt_bad("2026-11-30T00:00:00.Z");

	tlsrpt_day_format(T_20261130 / 86400, buf);
	is_str(buf, "2026-11-30", "day format");
	tlsrpt_day_format(0, buf);
	is_str(buf, "1970-01-01", "day 0");
	is_int(tlsrpt_day_parse("2026-11-30", &d), 0, "day parse");
	is_int(d, T_20261130 / 86400, "its value");
	is_int(tlsrpt_day_parse("2026-11-30T", &d), -1, "day parse is strict");
	{
		int32_t i, bad = 0;

		for (i = 0; i < 20000; i += 7) {
			tlsrpt_day_format(i, buf);
			if (tlsrpt_day_parse(buf, &d) != 0 || d != i)
				bad++;
		}
		is_int(bad, 0, "day format and parse agree over 55 years");
	}
	is_str(tlsrpt_result_name(TLSRPT_STS_WEBPKI_INVALID), "sts-webpki-invalid",
	       "result name");
	is_int(tlsrpt_result_parse("Certificate-Expired"), TLSRPT_CERTIFICATE_EXPIRED,
	       "result parse ignores case");
	is_int(tlsrpt_result_parse("something-new"), TLSRPT_RESULT_OTHER,
	       "unknown result type");
}

int main(void)
{
	test_google();
	test_quirks();
	test_rejected();
	test_dates();
	return tap_done();
}
