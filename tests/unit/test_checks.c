/* Unit tests for checks.c: reports, verdicts and both renderers. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "checks.h"
#include "tap.h"

/* Renders into a memory buffer (caller frees). */
static char *render(enum check_format fmt, const struct check_report *const *r,
                    size_t n, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*rc = check_render(f, fmt, r, n);
	fclose(f);
	return buf;
}

static void test_verdict(void)
{
	struct check_report r;

	check_report_init(&r, "example.com");
	is_int(check_verdict(&r), CHECK_OK, "empty report: ok");
	check_add(&r, "a", CHECK_INFO, NULL, "info");
	check_add(&r, "b", CHECK_SKIPPED, NULL, "skipped");
	is_int(check_verdict(&r), CHECK_OK, "info and skipped fold to ok");
	check_add(&r, "c", CHECK_WARNING, NULL, "w");
	is_int(check_verdict(&r), CHECK_WARNING, "a warning: warning");
	check_add(&r, "d", CHECK_ERROR, NULL, "e");
	check_add(&r, "e", CHECK_OK, NULL, "fine");
	is_int(check_verdict(&r), CHECK_ERROR, "an error anywhere: error");
	is_int(r.n, 5, "five checks");
	ok(check_find(&r, "c") == &r.checks[2], "check_find finds by id");
	ok(check_find(&r, "zz") == NULL, "check_find: NULL for an unknown id");
	is_int(check_count(&r, "d", CHECK_ERROR), 1, "check_count by id and status");
	is_int(check_count(&r, "d", CHECK_OK), 0, "check_count: status must match");
	check_report_clear(&r);
	ok(r.checks == NULL && r.n == 0, "clear empties the report");
}

static void test_sanitize_and_caps(void)
{
	struct check_report r;
	char big[3000];
	size_t i;

	check_report_init(&r, "example.com");
	check_add(&r, "x", CHECK_OK, "fix\x01it", "a\tb\nc \xff d \xc3\xa9");
	is_str(r.checks[0].message, "a?b?c ? d \xc3\xa9",
	       "controls and invalid UTF-8 become '?', valid UTF-8 stays");
	is_str(r.checks[0].fix, "fix?it", "the fix is sanitised too");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	check_add(&r, "x", CHECK_OK, NULL, "%s", big);
	is_int(strlen(r.checks[1].message), CHECK_MSG_MAX, "messages are capped");
	for (i = 0; i < CHECK_MAX_PER_REPORT + 5; i++)
		check_add(&r, "y", CHECK_OK, NULL, "n");
	is_int(r.n, CHECK_MAX_PER_REPORT, "a report holds at most the cap");
	is_int(r.dropped, 7, "the rest is counted as dropped");
	check_add(&r, "an-id-that-is-much-longer-than-forty-characters-yes",
		  CHECK_OK, NULL, "x");
	is_int(r.dropped, 8, "still dropped past the cap");
	check_report_clear(&r);
}

static void test_text(void)
{
	struct check_report a, b;
	const struct check_report *both[2] = { &a, &b };
	char *out;
	int rc;

	check_report_init(&a, "example.com");
	check_add(&a, "txt.present", CHECK_OK, NULL, "found");
	check_add(&a, "mx.covered", CHECK_ERROR, "add \"mx: mx2.example.com\"",
		  "mx2.example.com is not covered");
	check_add(&a, "tlsrpt.present", CHECK_WARNING, "publish it", "no record");
	check_add(&a, "dnssec", CHECK_INFO, "ignored for info", "insecure");
	check_report_init(&b, "example.org");
	check_add(&b, "txt.present", CHECK_OK, NULL, "found");
	out = render(CHECK_FORMAT_TEXT, both, 2, &rc);
	is_int(rc, 0, "text renders");
	is_str(out,
	       "example.com: error\n"
	       "  error   mx.covered             mx2.example.com is not covered\n"
	       "          fix: add \"mx: mx2.example.com\"\n"
	       "  warning tlsrpt.present         no record\n"
	       "          fix: publish it\n"
	       "  info    dnssec                 insecure\n"
	       "  ok      txt.present            found\n"
	       "\n"
	       "example.org: ok\n"
	       "  ok      txt.present            found\n"
	       "\n"
	       "2 domains: 1 ok, 0 with warnings, 1 with errors\n",
	       "text: failures first with fixes, then the rest, then a summary");
	free(out);
	check_report_clear(&a);
	check_report_clear(&b);
}

static void test_json(void)
{
	struct check_report a;
	const struct check_report *one[1] = { &a };
	json_error_t err;
	json_t *root, *d, *c;
	char *out;
	int rc;

	check_report_init(&a, "ex\"ample.com");
	check_add(&a, "txt.id", CHECK_ERROR, "publish \"v=STSv1; id=1\"",
		  "bad id \"a+b\" \\ %s", "\xe2\x82\xac");
	check_add(&a, "txt.present", CHECK_OK, NULL, "found");
	out = render(CHECK_FORMAT_JSON, one, 1, &rc);
	is_int(rc, 0, "json renders");
	root = json_loads(out, JSON_REJECT_DUPLICATES, &err);
	ok(root != NULL, "json parses (%s)", root ? "" : err.text);
	d = json_array_get(json_object_get(root, "domains"), 0);
	is_str(json_string_value(json_object_get(d, "domain")), "ex\"ample.com",
	       "json: domain, escaped and back");
	is_str(json_string_value(json_object_get(d, "verdict")), "error",
	       "json: verdict");
	c = json_array_get(json_object_get(d, "checks"), 0);
	is_str(json_string_value(json_object_get(c, "id")), "txt.id", "json: id");
	is_str(json_string_value(json_object_get(c, "status")), "error",
	       "json: status");
	is_str(json_string_value(json_object_get(c, "message")),
	       "bad id \"a+b\" \\ \xe2\x82\xac", "json: message round-trips");
	is_str(json_string_value(json_object_get(c, "fix")),
	       "publish \"v=STSv1; id=1\"", "json: fix");
	c = json_array_get(json_object_get(d, "checks"), 1);
	ok(json_object_get(c, "fix") == NULL, "json: no fix member without a fix");
	ok(strncmp(out, "{\n  \"domains\"", 13) == 0, "json: domains comes first");
	json_decref(root);
	free(out);
	check_report_clear(&a);

	out = render(CHECK_FORMAT_JSON, NULL, 0, &rc);
	root = json_loads(out, 0, &err);
	ok(root && json_array_size(json_object_get(root, "domains")) == 0,
	   "json: no reports, an empty domains array");
	json_decref(root);
	free(out);
}

int main(void)
{
	test_verdict();
	test_sanitize_and_caps();
	test_text();
	test_json();
	return tap_done();
}
