/*
 * fuzz_tlsrpt: tlsrpt_parse() on arbitrary bytes (JSON-shaped inputs come
 * from the seeds and tlsrpt.dict).
 * Invariants (trap on violation):
 *  - a rejection has a message, a status name, and leaves the report empty;
 *  - an accepted report has a non-empty report-id and organization, a
 *    date-range that does not run backwards nor over 31 days, and its day
 *    within it;
 *  - every kept string is free of control characters and within its cap;
 *  - every count is at most TLSRPT_COUNT_MAX and detail_failed is the sum
 *    of the details' counts;
 *  - host names are non-empty, lowercase, without a final dot;
 *  - parsing the same bytes again gives the same verdict.
 */
#include "config.h"

#include "fuzz_common.h"
#include "tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void text(const char *s, size_t max)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; s[i]; i++)
		CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
	CHECK(i <= max);
}

static void host(const char *s)
{
	size_t i;

	if (!s)
		return;
	text(s, 253);
	CHECK(s[0] != '\0');
	for (i = 0; s[i]; i++)
		CHECK(!(s[i] >= 'A' && s[i] <= 'Z'));
	CHECK(s[i - 1] != '.');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsrpt_report r, again;
	char err[TLSRPT_ERR_MAX], err2[TLSRPT_ERR_MAX];
	enum tlsrpt_status st = tlsrpt_parse((const char *)data, size, &r, err);
	size_t i, j;

	CHECK(tlsrpt_parse((const char *)data, size, &again, err2) == st);
	CHECK(strcmp(err, err2) == 0);
	tlsrpt_report_free(&again);
	CHECK(strcmp(tlsrpt_status_name(st), "unknown") != 0);
	if (st != TLSRPT_OK) {
		CHECK(err[0] != '\0' && strlen(err) < TLSRPT_ERR_MAX);
		CHECK(r.report_id == NULL && r.policies == NULL &&
		      r.n_policies == 0 && r.organization == NULL);
		return 0;
	}
	CHECK(err[0] == '\0');
	CHECK(r.report_id && r.report_id[0]);
	CHECK(r.organization && r.organization[0] && r.contact);
	text(r.report_id, TLSRPT_TEXT_MAX);
	text(r.organization, TLSRPT_TEXT_MAX);
	text(r.contact, TLSRPT_TEXT_MAX);
	CHECK(r.begin >= 0 && r.end >= r.begin &&
	      r.end - r.begin <= TLSRPT_RANGE_MAX);
	CHECK(r.day >= r.begin / 86400 && r.day <= r.end / 86400);
	CHECK(r.n_policies <= TLSRPT_POLICIES_MAX);
	for (i = 0; i < r.n_policies; i++) {
		const struct tlsrpt_policy *p = &r.policies[i];
		uint64_t sum = 0;

		CHECK(p->domain && p->domain[0]);
		host(p->domain);
		text(p->policy_type, 64);
		CHECK(p->successful <= TLSRPT_COUNT_MAX &&
		      p->failed <= TLSRPT_COUNT_MAX);
		CHECK(p->n_policy_string <= TLSRPT_LIST_MAX &&
		      p->n_mx_host <= TLSRPT_LIST_MAX);
		for (j = 0; j < p->n_policy_string; j++)
			text(p->policy_string[j], TLSRPT_TEXT_MAX);
		for (j = 0; j < p->n_mx_host; j++)
			host(p->mx_host[j]);
		for (j = 0; j < p->n_failures; j++) {
			const struct tlsrpt_failure *f = &p->failures[j];

			CHECK(f->failed_session_count <= TLSRPT_COUNT_MAX);
			sum += f->failed_session_count;
			CHECK(f->result_type && f->result_type[0]);
			CHECK(strcmp(tlsrpt_result_name(f->result), "other") != 0 ||
			      f->result == TLSRPT_RESULT_OTHER);
			host(f->receiving_mx_hostname);
			host(f->receiving_mx_helo);
			text(f->sending_mta_ip, TLSRPT_TEXT_MAX);
			text(f->receiving_ip, TLSRPT_TEXT_MAX);
			text(f->additional_information, TLSRPT_TEXT_MAX);
			text(f->failure_reason_code, TLSRPT_TEXT_MAX);
		}
		CHECK(sum == p->detail_failed);
	}
	tlsrpt_report_free(&r);
	CHECK(r.policies == NULL && r.report_id == NULL);
	return 0;
}
