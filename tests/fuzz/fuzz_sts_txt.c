/*
 * fuzz_sts_txt: the _mta-sts and _smtp._tls TXT readers (sts_txt.c,
 * tlsrpt_txt.c) on hostile records.
 *
 * Input: records separated by '\n'; a record's first byte, when it is
 * '1'..'9', gives its number of character-strings (and is dropped).
 * Invariants: a usable result has a 1..32 alphanumeric id that the strict
 * parser returns for that very record, and exactly one record looks like
 * v=STSv1; both reports render, and the JSON is valid.
 */
#include "config.h"

#include "fuzz_report.h"
#include "sts_txt.h"
#include "tlsrpt_txt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_lines l;
	struct txtrec recs[TXTREC_MAX_RECORDS];
	struct check_report r;
	struct sts_txt_result res;
	size_t i, n = 0;

	fuzz_lines_split(&l, data, size);
	for (i = 0; i < l.n && n < TXTREC_MAX_RECORDS; i++) {
		const char *d = l.line[i];
		size_t len = l.len[i];
		unsigned ns = 1;

		if (len && d[0] >= '1' && d[0] <= '9') {
			ns = (unsigned)(d[0] - '0');
			d++;
			len--;
		}
		recs[n++] = (struct txtrec){ d, len, ns };
	}
	if (check_report_init(&r, "example.com") != 0)
		abort();
	sts_txt_check(recs, n, NULL, &r, &res);
	if (res.usable) {
		char id[STS_ID_MAX + 1];
		size_t k, len = strlen(res.id), found = 0, which = 0;

		CHECK(res.lax_usable);
		CHECK(len >= 1 && len <= STS_ID_MAX);
		for (k = 0; k < len; k++)
			CHECK((res.id[k] >= 'a' && res.id[k] <= 'z') ||
			      (res.id[k] >= 'A' && res.id[k] <= 'Z') ||
			      (res.id[k] >= '0' && res.id[k] <= '9'));
		for (k = 0; k < n; k++)
			if (recs[k].len >= 7 &&
			    memcmp(recs[k].data, "v=STSv1", 7) == 0) {
				found++;
				which = k;
			}
		CHECK(found == 1);
		CHECK(sts_txt_parse(recs[which].data, recs[which].len, id, NULL) == NULL);
		CHECK(strcmp(id, res.id) == 0);
		CHECK(check_find(&r, "txt.id") != NULL);
	}
	fuzz_report_check(&r);
	check_report_clear(&r);

	if (check_report_init(&r, "example.com") != 0)
		abort();
	tlsrpt_txt_check(recs, n, "mailto:tlsrpt@example.com", &r);
	CHECK(check_find(&r, "tlsrpt.present") != NULL);
	fuzz_report_check(&r);
	check_report_clear(&r);
	fuzz_lines_free(&l);
	return 0;
}
