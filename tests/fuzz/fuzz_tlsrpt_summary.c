/*
 * fuzz_tlsrpt_summary: reports (one JSON report per input line) parsed,
 * summarised for every domain found and for example.com in testing, and
 * rendered.
 * Invariants (trap on violation):
 *  - a domain's totals equal the sum of its days, and an independent
 *    recount over the reports, each (report-id, organisation) counted once;
 *  - days are strictly ascending and within since..until;
 *  - READY has no blocker and no failure under sts; NOT_READY and
 *    NO_REPORTS have at least one blocker; days with reports <= window;
 *  - both renderers succeed, and the JSON output parses back with the
 *    same totals.
 */
#include "config.h"

#include <jansson.h>
#include <strings.h>

#include "fuzz_common.h"
#include "tlsrpt_summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct tlsrpt_summary_params params = {
	20760, 20790, 20790, 14, 2      /* 2026-11-03 .. 2026-12-03 */
};

/* The successful and failed sessions of `domain` over since..until,
 * counting each report once, recomputed the slow way. */
static void recount(struct tlsrpt_report *r, size_t n, const char *domain,
		    uint64_t *ok_n, uint64_t *fail_n)
{
	size_t i, j, k;

	*ok_n = *fail_n = 0;
	for (i = 0; i < n; i++) {
		bool dup = false;

		for (k = 0; k < i && !dup; k++)
			dup = strcmp(r[k].report_id, r[i].report_id) == 0 &&
			      strcasecmp(r[k].organization, r[i].organization) == 0;
		if (dup || r[i].day < params.since || r[i].day > params.until)
			continue;
		for (j = 0; j < r[i].n_policies; j++) {
			if (strcmp(r[i].policies[j].domain, domain) != 0)
				continue;
			*ok_n += r[i].policies[j].successful;
			*fail_n += r[i].policies[j].failed;
		}
	}
}

static void check_summary(struct tlsrpt_summary *s, struct tlsrpt_report *r,
			  size_t n)
{
	size_t i, j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	for (i = 0; i < s->n_domains; i++) {
		const struct tlsrpt_domain_summary *d = &s->domains[i];
		const struct tlsrpt_verdict *v = &d->verdict;
		uint64_t ok_n = 0, fail_n = 0, rok, rfail;
		size_t reports = 0;

		for (j = 0; j < d->n_days; j++) {
			ok_n += d->days[j].successful;
			fail_n += d->days[j].failed;
			reports += d->days[j].reports;
			CHECK(d->days[j].day >= s->since && d->days[j].day <= s->until);
			CHECK(j == 0 || d->days[j].day > d->days[j - 1].day);
			CHECK(d->days[j].reports > 0);
		}
		CHECK(ok_n == d->successful && fail_n == d->failed);
		CHECK(reports == d->reports);
		recount(r, n, d->domain, &rok, &rfail);
		CHECK(rok == d->successful && rfail == d->failed);
		CHECK(v->days_with_reports <= v->window_days);
		if (v->status == TLSRPT_VERDICT_READY)
			CHECK(v->n_blockers == 0 && v->sts_failed == 0 &&
			      v->sts_successful > 0 && v->n_orgs >= v->min_orgs);
		if (v->status == TLSRPT_VERDICT_NOT_READY ||
		    v->status == TLSRPT_VERDICT_NO_REPORTS)
			CHECK(v->n_blockers > 0);
		for (j = 0; j < d->n_groups; j++)
			CHECK(d->groups[j].n_orgs > 0 && d->groups[j].explanation &&
			      d->groups[j].fix && d->groups[j].n_days > 0);
	}

	f = open_memstream(&buf, &len);
	CHECK(f != NULL);
	CHECK(tlsrpt_render_text(s, f) == 0);
	fclose(f);
	free(buf);
	buf = NULL;

	f = open_memstream(&buf, &len);
	CHECK(f != NULL);
	CHECK(tlsrpt_render_json(s, f) == 0);
	fclose(f);
	{
		json_error_t e;
		json_t *root = json_loadb(buf, len, 0, &e), *doms;

		CHECK(root != NULL);
		doms = json_object_get(root, "domains");
		CHECK(json_array_size(doms) == s->n_domains);
		for (i = 0; i < s->n_domains; i++) {
			json_t *o = json_array_get(doms, i);

			CHECK((uint64_t)json_integer_value(json_object_get(o, "successful")) ==
			      s->domains[i].successful);
			CHECK((uint64_t)json_integer_value(json_object_get(o, "failed")) ==
			      s->domains[i].failed);
			CHECK(strcmp(json_string_value(json_object_get(o, "domain")),
				     s->domains[i].domain) == 0);
		}
		json_decref(root);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_lines l;
	struct tlsrpt_report *r;
	const struct tlsrpt_report **refs;
	struct tlsrpt_summary s;
	struct tlsrpt_domain_req req = { "example.com", TLSRPT_MODE_TESTING };
	size_t i, n = 0;
	char err[TLSRPT_ERR_MAX];

	fuzz_lines_split(&l, data, size);
	r = fuzz_xmalloc(l.n * sizeof(*r));
	refs = fuzz_xmalloc(l.n * sizeof(*refs));
	for (i = 0; i < l.n; i++) {
		if (tlsrpt_parse(l.line[i], l.len[i], &r[n], err) == TLSRPT_OK) {
			refs[n] = &r[n];
			n++;
		}
	}
	CHECK(tlsrpt_summarize(refs, n, NULL, 0, &params, &s) == 0);
	check_summary(&s, r, n);
	tlsrpt_summary_free(&s);
	CHECK(tlsrpt_summarize(refs, n, &req, 1, &params, &s) == 0);
	check_summary(&s, r, n);
	tlsrpt_summary_free(&s);

	for (i = 0; i < n; i++)
		tlsrpt_report_free(&r[i]);
	free(r);
	free(refs);
	fuzz_lines_free(&l);
	return 0;
}
