/*
 * test_tlsrpt_cmd: stsd --report on a constructed database, at a fixed
 * "now" (2026-12-03), compared with golden files (tests/golden/tlsrpt/
 * cmd-*; set TLSRPT_GOLDEN_OUT=DIR to write what the code produces):
 * the fixtures stored as --import-report stores them, plus two weeks of
 * clean daily reports for a testing domain that is then ready for
 * enforce; every served domain with reports when none is named, the
 * named ones otherwise (a named domain without reports is listed with
 * none), --since, the usage errors, and a missing database.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "store.h"
#include "store_tlsrpt.h"
#include "tap.h"
#include "tlsrpt_cmd.h"
#include "tlsrpt_fixture.h"

#define NOW 1796302800          /* 2026-12-03T13:00:00Z */

static char base[4096];

static const char *const fixtures[] = {
	"google.json", "microsoft-nozone.json", "mailru-freetext.json",
	"several-domains.json", "missing-details.json", "totals-disagree.json",
	"empty-ip.json", "no-policy-found.json",
};

static void add(struct store *s, const struct conf *c, const char *json,
                size_t len)
{
	struct tlsrpt_report r;
	const char *ours[8];
	size_t n = 0;
	char err[TLSRPT_ERR_MAX];

	if (tlsrpt_parse(json, len, &r, err) != TLSRPT_OK) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	for (size_t i = 0; i < r.n_policies && n < 8; i++)
		if (conf_find_domain(c, r.policies[i].domain))
			ours[n++] = r.policies[i].domain;
	if (n > 0 && store_tlsrpt_add(s, &r, ours, n, json, len, "test",
	                              NOW) != STORE_TLSRPT_STORED)
		printf("# store: %s\n", store_errmsg(s));
	tlsrpt_report_free(&r);
}

/* A clean daily report for ready.example from org on `day`. */
static void add_daily(struct store *s, const struct conf *c, const char *org,
                      int32_t day, unsigned ok)
{
	char d[11], json[1024];

	tlsrpt_day_format(day, d);
	snprintf(json, sizeof(json),
	         "{\"organization-name\":\"%s\",\"date-range\":{"
	         "\"start-datetime\":\"%sT00:00:00Z\","
	         "\"end-datetime\":\"%sT23:59:59Z\"},"
	         "\"contact-info\":\"tlsrpt@%s\",\"report-id\":\"%s-%s\","
	         "\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
	         "\"policy-string\":[\"version: STSv1\",\"mode: testing\","
	         "\"mx: mx.ready.example\",\"max_age: 604800\"],"
	         "\"policy-domain\":\"ready.example\","
	         "\"mx-host\":[\"mx.ready.example\"]},"
	         "\"summary\":{\"total-successful-session-count\":%u,"
	         "\"total-failure-session-count\":0}}]}",
	         org, d, d, org, org, d, ok);
	add(s, c, json, strlen(json));
}

static char *run(const struct conf *c, char **names, int n, const char *since,
                 enum tlsrpt_cmd_format fmt, int *rc, char **errtext)
{
	char *out = NULL, *err = NULL;
	size_t ol = 0, el = 0;
	FILE *o = open_memstream(&out, &ol), *e = open_memstream(&err, &el);

	*rc = tlsrpt_report_run(c, names, n, since, fmt, NOW, o, e);
	fclose(o);
	fclose(e);
	if (errtext)
		*errtext = err;
	else
		free(err);
	return out;
}

static void golden(const char *name, const char *got)
{
	const char *dir = getenv("TLSRPT_GOLDEN_OUT");
	char path[4096];
	size_t want_len;
	char *want;

	if (dir && *dir) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if ((f = fopen(path, "w")) != NULL) {
			fputs(got, f);
			fclose(f);
		}
	}
	snprintf(path, sizeof(path), "../../golden/tlsrpt/%s", name);
	want = fx_read(path, &want_len);
	is_mem(got, strlen(got), want, want_len, "%s matches the golden file", name);
	if (strlen(got) != want_len || memcmp(got, want, want_len) != 0)
		printf("# set TLSRPT_GOLDEN_OUT=DIR to see the output\n");
	free(want);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char conf_path[4096 + 16], err[STORE_ERR_LEN], *out, *etext;
	struct diag d = { 0 };
	struct conf *c;
	struct store *s;
	int32_t today;
	int rc;
	FILE *f;

	snprintf(base, sizeof(base), "%s/stsd-test-tlsrpt-cmd.XXXXXX",
	         tmp && *tmp ? tmp : ".");
	if (mkdtemp(base) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", base, strerror(errno));
		return 1;
	}
	{
		/* state_dir: relative to the configuration file; absolute
		 * here so that the test opens the same database. */
		char *abs = realpath(base, NULL);

		snprintf(base, sizeof(base), "%s", abs);
		free(abs);
	}
	snprintf(conf_path, sizeof(conf_path), "%s/stsd.yaml", base);
	f = fopen(conf_path, "w");
	fprintf(f, "state_dir: %s\n"
	        "defaults: {mode: testing, max_age: 604800}\n"
	        "domains:\n"
	        "  example.com: {mx: mx1.example.com}\n"
	        "  example.net: {mx: mx.example.net, mode: enforce}\n"
	        "  ready.example: {mx: mx.ready.example}\n"
	        "  quiet.example: {mx: mx.quiet.example}\n", base);
	fclose(f);
	c = conf_load(conf_path, &d);
	if (c == NULL) {
		printf("Bail out! configuration\n");
		return 1;
	}

	/* No database yet: an error, nothing created. */
	out = run(c, NULL, 0, NULL, TLSRPT_CMD_TEXT, &rc, &etext);
	is_int(rc, 1, "no database: exit 1");
	ok(strstr(etext, "does not exist") != NULL, "saying so: %s", etext);
	free(out);
	free(etext);

	s = store_open(base, 0, NULL, err, sizeof(err));
	ok(s != NULL, "a database (%s)", err);
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		size_t len;
		char *j = fx_read(fixtures[i], &len);

		add(s, c, j, len);
		free(j);
	}
	tlsrpt_day_parse("2026-12-03", &today);
	for (int32_t day = today - 15; day < today; day++) {
		add_daily(s, c, "Google Inc.", day, 20 + (unsigned)(day % 7));
		if (day % 3 == 0)
			add_daily(s, c, "Microsoft Corporation", day, 5);
	}
	store_close(s);

	out = run(c, NULL, 0, NULL, TLSRPT_CMD_TEXT, &rc, NULL);
	is_int(rc, 0, "--report: exit 0");
	golden("cmd-report.txt", out);
	free(out);

	out = run(c, NULL, 0, NULL, TLSRPT_CMD_JSON, &rc, NULL);
	is_int(rc, 0, "--report --format json: exit 0");
	golden("cmd-report.json", out);
	free(out);

	{
		char a[] = "READY.example.", b[] = "quiet.example";
		char *names[] = { a, b };

		out = run(c, names, 2, "2026-11-30", TLSRPT_CMD_TEXT, &rc, NULL);
		is_int(rc, 0, "--report DOMAIN... --since: exit 0");
		golden("cmd-named.txt", out);
		free(out);
	}
	{
		char a[] = "bad_name!";
		char *names[] = { a };

		out = run(c, names, 1, NULL, TLSRPT_CMD_TEXT, &rc, &etext);
		is_int(rc, 2, "not a domain name: exit 2");
		ok(strstr(etext, "not a domain name") != NULL, "saying so: %s", etext);
		free(out);
		free(etext);
	}
	out = run(c, NULL, 0, "2026-12-04", TLSRPT_CMD_TEXT, &rc, &etext);
	is_int(rc, 2, "--since after today: exit 2");
	free(out);
	free(etext);

	conf_free(c);
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
