/*
 * test_tlsrpt_summary: the ready-for-enforce verdict on constructed
 * histories (ready; the last day missing; a day missing; one organisation;
 * failures under the policy; failures only under DANE; a policy fetch
 * error; no-policy-found only; old failures outside the window; no
 * reports; enforce), deduplication, the explanations, and the text and
 * JSON renderings of the fixtures, and the text of a ready domain and of
 * one in enforce with failures, compared with golden files
 * (tests/golden/tlsrpt/). Set TLSRPT_GOLDEN_OUT=DIR to write what the
 * renderers produce there, to review a change.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tlsrpt_summary.h"
#include "tlsrpt_fixture.h"

#define TODAY 20790     /* 2026-12-03 */

/* ---- constructed histories ---------------------------------------------- */

struct history {
	struct tlsrpt_report *r;
	size_t n;
};

/* Adds a one-policy report for example.com on `day`; `details` is the
 * JSON of the failure-details array or NULL. */
static void add(struct history *h, const char *org, int32_t day,
		const char *type, unsigned ok_n, unsigned fail_n,
		const char *details)
{
	char json[2048], err[TLSRPT_ERR_MAX], start[11];

	tlsrpt_day_format(day, start);
	snprintf(json, sizeof(json),
		 "{\"organization-name\":\"%s\",\"date-range\":{"
		 "\"start-datetime\":\"%sT00:00:00Z\",\"end-datetime\":"
		 "\"%sT23:59:59Z\"},\"report-id\":\"%s-%d\",\"policies\":[{"
		 "\"policy\":{\"policy-type\":\"%s\",\"policy-domain\":"
		 "\"example.com\"},\"summary\":{\"total-successful-session-count\""
		 ":%u,\"total-failure-session-count\":%u}%s%s}]}",
		 org, start, start, org, (int)day, type, ok_n, fail_n,
		 details ? ",\"failure-details\":" : "", details ? details : "");
	h->r = realloc(h->r, (h->n + 1) * sizeof(*h->r));
	if (tlsrpt_parse(json, strlen(json), &h->r[h->n], err) != TLSRPT_OK) {
		printf("# bad constructed report: %s\n", err);
		abort();
	}
	h->n++;
}

/* Two organisations reporting successes every day of the window. */
static void clean_window(struct history *h, int32_t from, int32_t to)
{
	int32_t d;

	for (d = from; d <= to; d++) {
		add(h, "Google Inc.", d, "sts", 100, 0, NULL);
		add(h, "Microsoft Corporation", d, "sts", 20, 0, NULL);
	}
}

static void history_free(struct history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		tlsrpt_report_free(&h->r[i]);
	free(h->r);
	h->r = NULL;
	h->n = 0;
}

/* Summarises example.com in `mode` and returns its verdict's status. */
static struct tlsrpt_summary summarize(struct history *h, enum tlsrpt_mode mode)
{
	struct tlsrpt_summary s;
	struct tlsrpt_domain_req req = { "example.com", mode };
	struct tlsrpt_summary_params p = { TODAY - 29, TODAY, TODAY, 14, 2 };
	const struct tlsrpt_report **refs = calloc(h->n + 1, sizeof(*refs));
	size_t i;

	for (i = 0; i < h->n; i++)
		refs[i] = &h->r[i];
	if (tlsrpt_summarize(refs, h->n, &req, 1, &p, &s) != 0)
		abort();
	free(refs);
	return s;
}

static void test_verdicts(void)
{
	struct history h = { 0 };
	struct tlsrpt_summary s;
	const struct tlsrpt_verdict *v;

	clean_window(&h, TODAY - 14, TODAY - 1);
	s = summarize(&h, TLSRPT_MODE_TESTING);
	v = &s.domains[0].verdict;
	is_str(tlsrpt_verdict_name(v->status), "ready", "clean 14 days: ready");
	is_int(v->n_blockers, 0, "no blockers");
	is_int(v->days_with_reports, 14, "14 days of reports");
	is_int(v->n_orgs, 2, "two organisations");
	is_int(v->sts_successful, 14 * 120, "sessions counted");
	is_int(v->first_day, TODAY - 14, "window starts 14 days ago");
	is_int(v->last_day, TODAY - 1, "window ends yesterday");
	tlsrpt_summary_free(&s);
	history_free(&h);

	clean_window(&h, TODAY - 14, TODAY - 2);
	s = summarize(&h, TLSRPT_MODE_TESTING);
	is_str(tlsrpt_verdict_name(s.domains[0].verdict.status), "ready",
	       "yesterday's reports not in yet: still ready");
	tlsrpt_summary_free(&s);
	history_free(&h);

	clean_window(&h, TODAY - 14, TODAY - 9);
	clean_window(&h, TODAY - 7, TODAY - 1);
	s = summarize(&h, TLSRPT_MODE_TESTING);
	v = &s.domains[0].verdict;
	is_str(tlsrpt_verdict_name(v->status), "not-ready", "a day missing");
	is_int(v->n_blockers, 1, "one blocker");
	is_str(v->n_blockers ? v->blockers[0] : NULL,
	       "no report on 1 of the 13 days from 2026-11-19 to 2026-12-01: "
	       "2026-11-25", "the missing day named");
	tlsrpt_summary_free(&s);
	history_free(&h);

	{
		int32_t d;

		for (d = TODAY - 14; d < TODAY; d++)
			add(&h, "Google Inc.", d, "sts", 50, 0, NULL);
	}
	s = summarize(&h, TLSRPT_MODE_TESTING);
	v = &s.domains[0].verdict;
	is_str(tlsrpt_verdict_name(v->status), "not-ready", "one organisation");
	is_str(v->n_blockers ? v->blockers[0] : NULL,
	       "reports from 1 organisation (Google Inc.), 2 needed",
	       "the organisation blocker");
	tlsrpt_summary_free(&s);
	history_free(&h);

	clean_window(&h, TODAY - 14, TODAY - 1);
	add(&h, "Mail.Ru", TODAY - 3, "sts", 5, 4,
	    "[{\"result-type\":\"certificate-host-mismatch\","
	    "\"receiving-mx-hostname\":\"mx2.example.com\","
	    "\"failed-session-count\":3}]");
	add(&h, "Yahoo", TODAY - 2, "sts", 5, 2,
	    "[{\"result-type\":\"certificate-expired\","
	    "\"receiving-mx-hostname\":\"mx1.example.com\","
	    "\"failed-session-count\":2}]");
	s = summarize(&h, TLSRPT_MODE_TESTING);
	v = &s.domains[0].verdict;
	is_str(tlsrpt_verdict_name(v->status), "not-ready", "failures under sts");
	is_int(v->n_blockers, 1, "one blocker");
	is_str(v->n_blockers ? v->blockers[0] : NULL,
	       "6 sessions failed under the MTA-STS policy (mail that enforce "
	       "would not deliver): certificate-host-mismatch at mx2.example.com "
	       "(3), certificate-expired at mx1.example.com (2), 1 without details",
	       "the failures named, by MX");
	is_int(v->n_mx, 2, "failures by MX");
	is_str(v->mx[0].name, "mx2.example.com", "most failures first");
	is_int(v->n_orgs, 4, "four organisations");
	tlsrpt_summary_free(&s);

	s = summarize(&h, TLSRPT_MODE_ENFORCE);
	v = &s.domains[0].verdict;
	is_str(tlsrpt_verdict_name(v->status), "enforcing", "mode enforce");
	is_int(v->sts_failed, 6, "enforce: failures still counted");
	tlsrpt_summary_free(&s);
	history_free(&h);

	clean_window(&h, TODAY - 14, TODAY - 1);
	add(&h, "Mox", TODAY - 4, "tlsa", 1, 1,
	    "[{\"result-type\":\"tlsa-invalid\",\"receiving-mx-hostname\":"
	    "\"mx1.example.com\",\"failed-session-count\":1}]");
	s = summarize(&h, TLSRPT_MODE_TESTING);
	is_str(tlsrpt_verdict_name(s.domains[0].verdict.status), "ready",
	       "a DANE failure does not block MTA-STS enforce");
	is_int(s.domains[0].n_groups, 1, "but it is shown");
	tlsrpt_summary_free(&s);
	history_free(&h);

	clean_window(&h, TODAY - 14, TODAY - 1);
	add(&h, "Small", TODAY - 5, "no-policy-found", 0, 2,
	    "[{\"result-type\":\"sts-policy-fetch-error\","
	    "\"failed-session-count\":2}]");
	s = summarize(&h, TLSRPT_MODE_TESTING);
	v = &s.domains[0].verdict;
	is_str(tlsrpt_verdict_name(v->status), "not-ready",
	       "a policy fetch error blocks, whatever the policy type");
	is_str(v->n_blockers ? v->blockers[0] : NULL,
	       "2 sessions failed under the MTA-STS policy (mail that enforce "
	       "would not deliver): sts-policy-fetch-error (2)",
	       "the fetch error named");
	tlsrpt_summary_free(&s);
	history_free(&h);

	{
		int32_t d;

		for (d = TODAY - 14; d < TODAY; d++) {
			add(&h, "Google Inc.", d, "no-policy-found", 10, 0, NULL);
			add(&h, "Microsoft Corporation", d, "no-policy-found", 10, 0, NULL);
		}
	}
	s = summarize(&h, TLSRPT_MODE_TESTING);
	v = &s.domains[0].verdict;
	is_str(tlsrpt_verdict_name(v->status), "not-ready", "no-policy-found only");
	is_str(v->n_blockers ? v->blockers[0] : NULL,
	       "no session succeeded under the MTA-STS policy: senders have "
	       "not applied it yet", "the policy was never applied");
	tlsrpt_summary_free(&s);
	history_free(&h);

	clean_window(&h, TODAY - 14, TODAY - 1);
	add(&h, "Old", TODAY - 15, "sts", 1, 9, NULL);
	s = summarize(&h, TLSRPT_MODE_TESTING);
	v = &s.domains[0].verdict;
	is_str(tlsrpt_verdict_name(v->status), "ready",
	       "failures before the window do not block");
	is_int(s.domains[0].failed, 9, "but they are shown");
	is_int(s.domains[0].unexplained, 9, "as failures without details");
	tlsrpt_summary_free(&s);
	history_free(&h);

	add(&h, "Old", TODAY - 20, "sts", 1, 0, NULL);
	s = summarize(&h, TLSRPT_MODE_TESTING);
	v = &s.domains[0].verdict;
	is_str(tlsrpt_verdict_name(v->status), "no-reports", "no report in the window");
	is_str(v->n_blockers ? v->blockers[0] : NULL,
	       "no TLS report in the last 14 days: publish a _smtp._tls TXT "
	       "record with rua= and wait for reports", "what to do");
	tlsrpt_summary_free(&s);
	history_free(&h);
}

static void test_dedup(void)
{
	struct history h = { 0 };
	struct tlsrpt_summary s;

	add(&h, "Google Inc.", TODAY - 2, "sts", 100, 1, NULL);
	add(&h, "Google Inc.", TODAY - 2, "sts", 100, 1, NULL);
	add(&h, "Microsoft Corporation", TODAY - 2, "sts", 7, 0, NULL);
	free(h.r[1].organization);
	h.r[1].organization = strdup("GOOGLE INC.");    /* case differs */
	s = summarize(&h, TLSRPT_MODE_TESTING);
	is_int(s.reports, 2, "two distinct reports");
	is_int(s.duplicates, 1, "one duplicate");
	is_int(s.domains[0].successful, 107, "the duplicate counted once");
	is_int(s.domains[0].failed, 1, "failed counted once");
	is_int(s.domains[0].n_days, 1, "one day");
	is_int(s.domains[0].days[0].reports, 2, "two reports that day");
	tlsrpt_summary_free(&s);
	history_free(&h);
}

/* One report failing at `n` distinct MX hosts, one session each. */
static void test_caps(void)
{
	struct history h = { 0 };
	struct tlsrpt_summary s;
	size_t n = 5000, i, cap = n * 120 + 1024, o;
	char *det = malloc(cap);
	uint64_t sum = 0;
	const struct tlsrpt_domain_summary *d;

	o = (size_t)sprintf(det, "[");
	for (i = 0; i < n; i++)
		o += (size_t)sprintf(det + o, "%s{\"result-type\":\"%s\","
				     "\"receiving-mx-hostname\":\"mx%zu.example.com\","
				     "\"failed-session-count\":1}", i ? "," : "",
				     i % 2 ? "certificate-expired" : "starttls-not-supported", i);
	sprintf(det + o, "]");
	{
		/* add() has a fixed buffer: build this one by hand. */
		char *json = malloc(cap + 1024), err[TLSRPT_ERR_MAX], start[11];

		tlsrpt_day_format(TODAY - 1, start);
		sprintf(json, "{\"organization-name\":\"Many\",\"date-range\":{"
			"\"start-datetime\":\"%sT00:00:00Z\",\"end-datetime\":"
			"\"%sT23:59:59Z\"},\"report-id\":\"many\",\"policies\":[{"
			"\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":"
			"\"example.com\"},\"summary\":{\"total-successful-session-count\""
			":0,\"total-failure-session-count\":%zu},\"failure-details\":%s}]}",
			start, start, n, det);
		h.r = calloc(1, sizeof(*h.r));
		is_int(tlsrpt_parse(json, strlen(json), &h.r[0], err), TLSRPT_OK,
		       "%zu failure details parsed", n);
		h.n = 1;
		free(json);
	}
	free(det);
	s = summarize(&h, TLSRPT_MODE_TESTING);
	d = &s.domains[0];
	is_int(d->failed, n, "every failed session counted");
	is_int(d->days[0].n_mx, 65, "MX tally capped at 64 names and (others)");
	for (i = 0; i < d->days[0].n_mx; i++)
		sum += d->days[0].mx[i].failed;
	is_int(sum, n, "the capped tally still adds up");
	ok(strcmp(d->days[0].mx[0].name, "(others)") == 0, "(others) first: most failures");
	is_int(d->n_groups, 66, "64 groups, then one per result type");
	for (i = 0, sum = 0; i < d->n_groups; i++)
		sum += d->groups[i].sessions;
	is_int(sum, n, "the groups add up");
	is_str(d->groups[0].mx, "(other hosts)", "the overflow group");
	tlsrpt_summary_free(&s);
	history_free(&h);
}

static void test_params(void)
{
	struct tlsrpt_summary_params p;
	int64_t now = (int64_t)TODAY * 86400 + 3600;

	is_int(tlsrpt_summary_params_init(&p, now, NULL, 14, 2), 0, "default range");
	is_int(p.since, TODAY - 29, "30 days including today");
	is_int(p.until, TODAY, "until today");
	is_int(p.today, TODAY, "today from the clock");
	is_int(tlsrpt_summary_params_init(&p, now, "2026-11-01", 14, 2), 0, "--since");
	is_int(p.since, TODAY - 32, "--since day");
	is_int(tlsrpt_summary_params_init(&p, now, "2026-12-04", 14, 2), -1,
	       "--since tomorrow refused");
	is_int(tlsrpt_summary_params_init(&p, now, "1.12.2026", 14, 2), -1,
	       "--since not a date refused");
	is_int(tlsrpt_summary_params_init(&p, now, "1990-01-01", 14, 2), -1,
	       "--since too far back refused");
}

static void test_explain(void)
{
	char *e = tlsrpt_explain(TLSRPT_CERTIFICATE_HOST_MISMATCH,
				 "certificate-host-mismatch", "mx2.example.com",
				 "example.com");

	is_str(e, "the certificate of mx2.example.com does not name it",
	       "host mismatch in words");
	free(e);
	e = tlsrpt_fix(TLSRPT_STS_POLICY_FETCH_ERROR, NULL, "example.com");
	is_str(e, "check that mta-sts.example.com resolves to this server, that "
	       "port 443 is reachable from the Internet and that its "
	       "certificate names mta-sts.example.com", "fetch error fix");
	free(e);
	e = tlsrpt_explain(TLSRPT_RESULT_OTHER, "weird-thing", NULL, "example.com");
	is_str(e, "senders reported \"weird-thing\"", "unknown result type");
	free(e);
}

/* ---- golden files --------------------------------------------------------- */

static const char *const fixtures[] = {
	"google.json", "microsoft-nozone.json", "mailru-freetext.json",
	"several-domains.json", "missing-details.json", "totals-disagree.json",
	"no-policy-found.json", "empty-ip.json",
	"google.json",          /* the same report again: counted once */
};

static void golden(const char *name, const char *got, size_t got_len)
{
	size_t want_len;
	char *want;
	const char *dir = getenv("TLSRPT_GOLDEN_OUT");
	char path[512];

	if (dir) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		f = fopen(path, "w");
		if (f) {
			fwrite(got, 1, got_len, f);
			fclose(f);
		}
	}
	snprintf(path, sizeof(path), "../../golden/tlsrpt/%s", name);
	want = fx_read(path, &want_len);
	is_mem(got, got_len, want, want_len, "%s matches the golden file", name);
	if (got_len != want_len || memcmp(got, want, got_len) != 0)
		printf("# set TLSRPT_GOLDEN_OUT=DIR to see the output\n");
	free(want);
}

static void test_golden(void)
{
	size_t n = sizeof(fixtures) / sizeof(fixtures[0]), i, len;
	struct tlsrpt_report *r = calloc(n, sizeof(*r));
	const struct tlsrpt_report **refs = calloc(n, sizeof(*refs));
	struct tlsrpt_domain_req req[] = {
		{ "example.com", TLSRPT_MODE_TESTING },
		{ "example.net", TLSRPT_MODE_ENFORCE },
		{ "example.org", TLSRPT_MODE_TESTING },
		{ "quiet.example", TLSRPT_MODE_TESTING },
	};
	struct tlsrpt_summary_params p = { TODAY - 29, TODAY, TODAY, 14, 2 };
	struct tlsrpt_summary s;
	char err[TLSRPT_ERR_MAX], *buf;
	FILE *f;

	for (i = 0; i < n; i++) {
		char *j = fx_read(fixtures[i], &len);

		if (tlsrpt_parse(j, len, &r[i], err) != TLSRPT_OK)
			abort();
		refs[i] = &r[i];
		free(j);
	}
	is_int(tlsrpt_summarize(refs, n, req, 4, &p, &s), 0, "fixtures summarised");
	is_int(s.reports, 8, "8 distinct reports");
	is_int(s.duplicates, 1, "google.json twice: one duplicate");
	/* example.com: google 120/0, microsoft 40/3, mail.ru 10/2, mox 7/0,
	 * small 8/1, sample 100/10, no-ip 3/2. */
	is_int(s.domains[0].successful, 288, "example.com successful");
	is_int(s.domains[0].failed, 18, "example.com failed");

	f = open_memstream(&buf, &len);
	is_int(tlsrpt_render_text(&s, f), 0, "text rendered");
	fclose(f);
	golden("report.txt", buf, len);
	free(buf);

	f = open_memstream(&buf, &len);
	is_int(tlsrpt_render_json(&s, f), 0, "JSON rendered");
	fclose(f);
	golden("report.json", buf, len);
	free(buf);
	tlsrpt_summary_free(&s);

	/* All domains found in the reports, when none is asked for. */
	is_int(tlsrpt_summarize(refs, n, NULL, 0, &p, &s), 0, "all domains");
	is_int(s.n_domains, 3, "three domains in the fixtures");
	is_str(s.domains[0].domain, "example.com", "sorted");
	is_str(tlsrpt_verdict_name(s.domains[0].verdict.status), "unknown-mode",
	       "mode unknown");
	tlsrpt_summary_free(&s);

	p.until = p.since - 1;
	is_int(tlsrpt_summarize(refs, n, req, 4, &p, &s), -1, "backwards range refused");

	for (i = 0; i < n; i++)
		tlsrpt_report_free(&r[i]);
	free(r);
	free(refs);
}

/* The text of a domain that is ready, and of one in enforce with failures. */
static void test_golden_ready(void)
{
	struct history h = { 0 };
	struct tlsrpt_summary s;
	struct tlsrpt_domain_req req = { "example.com", TLSRPT_MODE_TESTING };
	struct tlsrpt_summary_params p = { TODAY - 3, TODAY, TODAY, 14, 2 };
	const struct tlsrpt_report **refs;
	char *buf;
	size_t len, i;
	FILE *f;

	clean_window(&h, TODAY - 14, TODAY - 2);
	refs = calloc(h.n, sizeof(*refs));
	for (i = 0; i < h.n; i++)
		refs[i] = &h.r[i];
	is_int(tlsrpt_summarize(refs, h.n, &req, 1, &p, &s), 0, "ready summarised");
	f = open_memstream(&buf, &len);
	is_int(tlsrpt_render_text(&s, f), 0, "ready: text rendered");
	fclose(f);
	golden("ready.txt", buf, len);
	free(buf);
	tlsrpt_summary_free(&s);

	add(&h, "Mail.Ru", TODAY - 2, "sts", 5, 3,
	    "[{\"result-type\":\"certificate-expired\","
	    "\"receiving-mx-hostname\":\"mx1.example.com\","
	    "\"failed-session-count\":3}]");
	free(refs);
	refs = calloc(h.n, sizeof(*refs));
	for (i = 0; i < h.n; i++)
		refs[i] = &h.r[i];
	req.mode = TLSRPT_MODE_ENFORCE;
	is_int(tlsrpt_summarize(refs, h.n, &req, 1, &p, &s), 0, "enforce summarised");
	f = open_memstream(&buf, &len);
	is_int(tlsrpt_render_text(&s, f), 0, "enforce: text rendered");
	fclose(f);
	golden("enforce.txt", buf, len);
	free(buf);
	tlsrpt_summary_free(&s);
	free(refs);
	history_free(&h);
}

int main(void)
{
	test_verdicts();
	test_dedup();
	test_caps();
	test_params();
	test_explain();
	test_golden();
	test_golden_ready();
	return tap_done();
}
