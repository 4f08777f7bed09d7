/*
 * fuzz_report: shared invariant for the diagnose harnesses (header-only):
 * a report renders as text and as JSON, the JSON is valid, and every check
 * has a known status and a message.
 */
#ifndef STSD_FUZZ_REPORT_H
#define STSD_FUZZ_REPORT_H

#include "checks.h"
#include "fuzz_common.h"

static __attribute__((unused)) void fuzz_report_check(const struct check_report *r)
{
	const struct check_report *one[1] = { r };
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	for (i = 0; i < r->n; i++) {
		CHECK(r->checks[i].status <= CHECK_ERROR);
		CHECK(r->checks[i].message != NULL);
		CHECK(r->checks[i].id[0] != '\0');
	}
	f = open_memstream(&buf, &len);
	if (!f)
		abort();
	CHECK(check_render(f, CHECK_FORMAT_JSON, one, 1) == 0 || r->oom);
	fclose(f);
	if (!r->oom)
		CHECK(fuzz_json_check(buf, len, NULL, NULL));
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		abort();
	CHECK(check_render(f, CHECK_FORMAT_TEXT, one, 1) == 0);
	fclose(f);
	free(buf);
}

#endif
