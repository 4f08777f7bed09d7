/*
 * fuzz_sts_body: the fetched-policy reader (sts_body.c) on hostile bodies
 * and headers.
 *
 * Input: line 1 is the Content-Type ("-" for none), line 2 the
 * Content-Encoding ("-" for none), the rest (after the second '\n') the
 * body, raw. Invariants: every mx pattern returned is valid and at most
 * STS_MAX_MX are returned; a usable policy has a mode, a max_age within
 * range and, unless mode none, at least one mx; the report renders and its
 * JSON is valid.
 */
#include "config.h"

#include "fuzz_report.h"
#include "sts_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	const char *nl1 = memchr(d, '\n', size), *nl2;
	char ct[128], ce[64];
	struct sts_http h = { 200, NULL, NULL, NULL, NULL, 0, false };
	struct sts_policy_view *v;
	struct check_report r;
	size_t i, n;

	if (!nl1)
		return 0;
	nl2 = memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 - d));
	if (!nl2)
		return 0;
	n = (size_t)(nl1 - d) < sizeof(ct) - 1 ? (size_t)(nl1 - d) : sizeof(ct) - 1;
	memcpy(ct, d, n);
	ct[n] = '\0';
	n = (size_t)(nl2 - nl1 - 1) < sizeof(ce) - 1 ? (size_t)(nl2 - nl1 - 1) : sizeof(ce) - 1;
	memcpy(ce, nl1 + 1, n);
	ce[n] = '\0';
	h.content_type = strcmp(ct, "-") ? ct : NULL;
	h.content_encoding = strcmp(ce, "-") ? ce : NULL;
	h.body = nl2 + 1;
	h.body_len = size - (size_t)(nl2 + 1 - d);
	h.truncated = h.body_len > STS_BODY_CAP;

	v = fuzz_xmalloc(sizeof(*v));
	if (check_report_init(&r, "example.com") != 0)
		abort();
	sts_body_check(&h, &r, v);
	CHECK(v->n_mx <= STS_MAX_MX);
	for (i = 0; i < v->n_mx; i++)
		CHECK(mx_pattern_check(v->mx[i], strlen(v->mx[i])) == NULL);
	if (v->usable) {
		CHECK(v->have_mode);
		CHECK(v->max_age <= STS_MAX_AGE_MAX);
		CHECK(v->mode == MX_MODE_NONE || v->n_mx > 0);
		CHECK(check_count(&r, "policy.syntax", CHECK_OK) == 1);
	}
	fuzz_report_check(&r);
	check_report_clear(&r);
	free(v);
	return 0;
}
