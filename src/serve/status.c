/*
 * status: the status page and status.json (see status.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme_report.h"
#include "conf.h"
#include "checks.h"
#include "escape.h"
#include "retire.h"
#include "tlsrpt_summary.h"
#include "snapshot.h"
#include "stats.h"
#include "status.h"
#include "tls.h"

#define DAY 86400

/* What the page says about one domain. */
struct row {
	const struct policy *pol;
	time_t first_served;        /* of the current id, in this process */
	uint64_t fetches_current, fetches_older, requests;
	time_t cert_expiry;         /* 0: none (served behind a proxy) */
	bool cert_soon;             /* within tls.expiry_warning_days */
	struct stats_facts facts;   /* from the history database */
	const struct stats_monitor *monitor;    /* valid under stats_read only */
	int verdict;                /* the monitor's, -1: not checked */
	char *problems;             /* "id: text" lines, HTML-ready later */
	time_t checked;
	const struct stats_tlsrpt *tlsrpt_v;    /* under stats_read only */
	bool reports;
	int verdict_rpt;            /* enum tlsrpt_verdict_status */
	uint64_t rpt_ok, rpt_failed;
	char *rpt_top;              /* copied: "N sessions: ..." or NULL */
};

struct summary {
	size_t domains, enforce, testing, none;
	size_t certs_soon, older_ids_fetched, safe_to_delete;
	size_t monitor_errors, monitor_warnings;
};

struct build_ctx {
	const struct snapshot *s;
	struct row *rows;
	time_t now;
};

static void fill_row(void *ctx, size_t i, const struct stats_domain_view *v)
{
	struct build_ctx *b = ctx;
	const struct policy *p = &b->s->conf->domains[i].policy;
	struct row *r = &b->rows[i];
	char host[NAME_MAX_LEN + 1];

	r->pol = p;
	r->facts = v->facts;
	r->verdict = v->monitor->checked ? v->monitor->verdict : -1;
	r->reports = v->tlsrpt->known;
	r->verdict_rpt = v->tlsrpt->verdict;
	r->rpt_ok = v->tlsrpt->successful;
	r->rpt_failed = v->tlsrpt->failed;
	r->rpt_top = v->tlsrpt->top_failure ? strdup(v->tlsrpt->top_failure)
	                                    : NULL;
	r->checked = v->monitor->checked;
	r->problems = NULL;
	if (v->monitor->n_problems > 0) {
		size_t len = 0;
		FILE *f = open_memstream(&r->problems, &len);

		for (size_t j = 0; f && j < v->monitor->n_problems; j++)
			fprintf(f, "%s%s %s: %s", j ? "\n" : "",
			        v->monitor->problems[j].status == 4 ? "error"
			        : "warning", v->monitor->problems[j].id,
			        v->monitor->problems[j].text);
		if (f)
			fclose(f);
	}
	for (size_t j = 0; j < v->n_ids; j++) {
		if (strcmp(v->ids[j].id, p->id) == 0) {
			r->fetches_current = v->ids[j].fetches;
			r->first_served = v->ids[j].first_served;
			/* The database remembers across restarts. */
			if (v->facts.known && v->facts.first_served)
				r->first_served = v->facts.first_served;
		} else {
			r->fetches_older += v->ids[j].fetches;
		}
	}
	for (int s = 0; s < STATS_N_STATUS; s++)
		r->requests += v->status[s];
	snprintf(host, sizeof(host), "mta-sts.%s", p->domain);
	r->cert_expiry = tls_store_expiry(b->s->tls, host);
	r->cert_soon = r->cert_expiry != 0 &&
		r->cert_expiry - b->now <
		(time_t)b->s->conf->tls_expiry_warn_days * DAY;
}

/* One row per domain, in configuration (name) order. NULL on ENOMEM. */
static struct row *build_rows(const struct snapshot *s, time_t now,
                              struct summary *sum)
{
	struct build_ctx b = { s, NULL, now };
	size_t n = s->conf->n_domains;

	b.rows = calloc(n ? n : 1, sizeof(*b.rows));
	if (b.rows == NULL)
		return NULL;
	stats_read(s->conf, fill_row, &b, NULL);
	memset(sum, 0, sizeof(*sum));
	sum->domains = n;
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &b.rows[i];

		sum->enforce += r->pol->mode == POLICY_MODE_ENFORCE;
		sum->testing += r->pol->mode == POLICY_MODE_TESTING;
		sum->none += r->pol->mode == POLICY_MODE_NONE;
		sum->certs_soon += r->cert_soon;
		sum->older_ids_fetched += r->fetches_older > 0;
		sum->safe_to_delete += r->facts.known &&
		                       r->facts.retire_state == RETIRE_SAFE;
		sum->monitor_errors += r->verdict == 4;
		sum->monitor_warnings += r->verdict == 3;
	}
	return b.rows;
}

static void free_rows(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].problems);
		free(rows[i].rpt_top);
	}
	free(rows);
}

static void iso_time(char *out, size_t len, time_t t)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(out, len, "%s", "");
	else
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- JSON ------------------------------------------------------------------ */

/* "retiring", "safe-to-delete", or NULL (active or not known). */
static const char *retirement(const struct row *r)
{
	if (!r->facts.known)
		return NULL;
	if (r->facts.retire_state == RETIRE_RETIRING)
		return "retiring";
	if (r->facts.retire_state == RETIRE_SAFE)
		return "safe-to-delete";
	return NULL;
}

static void json_row(FILE *out, const struct row *r, bool last)
{
	char first[32], expiry[32], until[32];
	const char *ret = retirement(r);

	iso_time(first, sizeof(first), r->first_served);
	iso_time(expiry, sizeof(expiry), r->cert_expiry);
	fputs("    {\"domain\": ", out);
	escape_json_str(out, r->pol->domain);
	fputs(", \"mode\": ", out);
	escape_json_str(out, policy_mode_name(r->pol->mode));
	fputs(", \"id\": ", out);
	escape_json_str(out, r->pol->id);
	fprintf(out, ", \"max_age\": %" PRIu32 ", \"mx\": [", r->pol->max_age);
	for (size_t j = 0; j < r->pol->n_mx; j++) {
		fputs(j ? ", " : "", out);
		escape_json_str(out, r->pol->mx[j]);
	}
	fprintf(out, "], \"first_served\": %s%s%s, \"fetches_current_id\": "
	        "%" PRIu64 ", \"fetches_older_ids\": %" PRIu64 ", "
	        "\"requests\": %" PRIu64 ", \"certificate_expiry\": %s%s%s, "
	        "\"certificate_expiring_soon\": %s, \"retirement\": ",
	        *first ? "\"" : "", *first ? first : "null", *first ? "\"" : "",
	        r->fetches_current, r->fetches_older, r->requests,
	        *expiry ? "\"" : "", *expiry ? expiry : "null",
	        *expiry ? "\"" : "", r->cert_soon ? "true" : "false");
	iso_time(until, sizeof(until), r->facts.retire_until);
	if (ret)
		fprintf(out, "{\"state\": \"%s\", \"%s\": \"%s\"}", ret,
		        r->facts.retire_state == RETIRE_SAFE ? "since" : "until",
		        until);
	else
		fputs("null", out);
	fputs(", \"tls_reports\": ", out);
	if (!r->reports) {
		fputs("null", out);
	} else {
		fprintf(out, "{\"successful\": %" PRIu64 ", \"failed\": %" PRIu64
		        ", \"ready_for_enforce\": \"%s\", \"top_failure\": ",
		        r->rpt_ok, r->rpt_failed,
		        tlsrpt_verdict_name((enum tlsrpt_verdict_status)r->verdict_rpt));
		if (r->rpt_top)
			escape_json_str(out, r->rpt_top);
		else
			fputs("null", out);
		fputc('}', out);
	}
	fputs(", \"monitor\": ", out);
	if (r->verdict < 0) {
		fputs("null", out);
	} else {
		char checked[32];

		iso_time(checked, sizeof(checked), r->checked);
		fprintf(out, "{\"verdict\": \"%s\", \"checked\": \"%s\", "
		        "\"problems\": ",
		        check_status_name((enum check_status)r->verdict), checked);
		escape_json_str(out, r->problems ? r->problems : "");
		fputc('}', out);
	}
	fprintf(out, "}%s\n", last ? "" : ",");
}

void status_write_json(FILE *out, const struct snapshot *s, time_t now)
{
	struct summary sum;
	struct row *rows = build_rows(s, now, &sum);
	char when[32];

	if (rows == NULL) {
		fputs("{\"error\": \"out of memory\"}\n", out);
		return;
	}
	iso_time(when, sizeof(when), now);
	fprintf(out, "{\n  \"generated\": \"%s\",\n  \"summary\": {\"domains\": "
	        "%zu, \"enforce\": %zu, \"testing\": %zu, \"none\": %zu, "
	        "\"certificates_expiring_soon\": %zu, "
	        "\"domains_with_older_ids_fetched\": %zu, "
	        "\"safe_to_delete\": %zu, \"monitor_errors\": %zu, "
	        "\"monitor_warnings\": %zu},\n  \"domains\": [\n",
	        when, sum.domains, sum.enforce, sum.testing, sum.none,
	        sum.certs_soon, sum.older_ids_fetched, sum.safe_to_delete,
	        sum.monitor_errors, sum.monitor_warnings);
	for (size_t i = 0; i < sum.domains; i++)
		json_row(out, &rows[i], i + 1 == sum.domains);
	fputs("  ]", out);
	acme_report_json(out);          /* only with acme: */
	fputs("\n}\n", out);
	free_rows(rows, sum.domains);
}

/* ---- HTML ------------------------------------------------------------------ */

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>stsd status</title>\n<style>\n"
	"body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\n"
	"table{border-collapse:collapse;width:100%}\n"
	"th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd}\n"
	"th{background:#f4f4f4}\n"
	".num{text-align:right;font-variant-numeric:tabular-nums}\n"
	".warn{color:#9a5b00;font-weight:600}\n.ok{color:#276b2c}\n"
	".summary li{margin:.2em 0}\ncode{font-size:90%}\n"
	".when{white-space:nowrap}\n"
	"</style>\n</head>\n<body>\n<h1>stsd status</h1>\n";

static void html_summary(FILE *out, const struct summary *sum,
                         const struct snapshot *s, const char *when)
{
	fprintf(out, "<p>Generated %s. Configuration generation %" PRIu64
	        ".</p>\n<ul class=\"summary\" id=\"summary\">\n", when,
	        s->generation);
	fprintf(out, "<li><strong id=\"n-domains\">%zu</strong> domains: "
	        "%zu enforce, %zu testing, %zu none.</li>\n", sum->domains,
	        sum->enforce, sum->testing, sum->none);
	if (sum->certs_soon)
		fprintf(out, "<li class=\"warn\" id=\"needs-certs\">%zu domain(s) "
		        "with a certificate expiring within %u days: renew it "
		        "(then reload).</li>\n", sum->certs_soon,
		        s->conf->tls_expiry_warn_days);
	if (sum->older_ids_fetched)
		fprintf(out, "<li id=\"older-ids\">%zu domain(s) still see fetches "
		        "of an older policy id since stsd started: senders that "
		        "cached the old policy pick up the new one when they see "
		        "the new id in DNS.</li>\n", sum->older_ids_fetched);
	if (sum->safe_to_delete)
		fprintf(out, "<li class=\"warn\" id=\"safe-to-delete\">%zu "
		        "retired domain(s) are safe to delete: remove them from "
		        "the configuration and delete their _mta-sts TXT "
		        "records.</li>\n", sum->safe_to_delete);
	if (sum->monitor_errors)
		fprintf(out, "<li class=\"warn\" id=\"monitor-errors\">%zu "
		        "domain(s) where the monitor sees senders fail: see "
		        "Problems below.</li>\n", sum->monitor_errors);
	if (sum->monitor_warnings)
		fprintf(out, "<li id=\"monitor-warnings\">%zu domain(s) with "
		        "a fragile set-up (warnings).</li>\n",
		        sum->monitor_warnings);
	if (sum->testing)
		fprintf(out, "<li>%zu domain(s) in testing: senders report "
		        "failures but still deliver.</li>\n", sum->testing);
	if (!sum->certs_soon)
		fputs("<li class=\"ok\" id=\"all-ok\">No certificate needs "
		      "renewing.</li>\n", out);
	fputs("</ul>\n", out);
}

static void html_form(FILE *out, const struct status_query *q)
{
	fputs("<form method=\"get\" action=\"/\"><label>Filter domains "
	      "<input name=\"q\" value=\"", out);
	escape_html_str(out, q->filter ? q->filter : "");
	fputs("\"></label> <button type=\"submit\">Show</button></form>\n", out);
}

/* The ACME column (only with acme:): where the certificate comes from
 * (configured, ACME or none yet) and, for ACME names, the expiry, next
 * renewal or place in the order queue, and the last error. Everything the
 * CA or the configuration wrote is escaped. */
static void html_acme(FILE *out, const struct snapshot *s,
                      const struct row *r, time_t now)
{
	static const char *const source[] = {
		[TLS_SOURCE_NONE] = "none", [TLS_SOURCE_CONFIGURED] = "configured",
		[TLS_SOURCE_ACME] = "ACME",
	};
	char host[NAME_MAX_LEN + 1], expires[32], next[32];
	struct acme_report_view v;
	enum tls_source src;

	snprintf(host, sizeof(host), "mta-sts.%s", r->pol->domain);
	src = tls_store_source(s->tls, host);
	fprintf(out, "<td class=\"acme\"><span class=\"source\">%s</span>",
	        source[src]);
	if (src == TLS_SOURCE_CONFIGURED || !acme_report_find(host, &v)) {
		fputs(src == TLS_SOURCE_NONE && !conf_acme_wants(s->conf,
		      r->pol->domain) ? " (not ordered)</td>" : "</td>", out);
		return;
	}
	iso_time(expires, sizeof(expires), v.not_after);
	iso_time(next, sizeof(next), v.next);
	if (v.not_after)
		fprintf(out, "; expires <span class=\"when\">%s</span>", expires);
	if (v.queued >= 0)
		fprintf(out, "; queued: %ld ahead, next order in %lld s",
		        v.queued, (long long)(v.next > now ? v.next - now : 0));
	else
		fprintf(out, "; next %s <span class=\"when\">%s</span>",
		        v.not_after ? "renewal" : "order", *next ? next : "-");
	if (v.error[0]) {
		fprintf(out, "<br><span class=\"warn\">last error (%u in a "
		        "row): ", v.failures);
		escape_html_str(out, v.error);
		fputs("</span>", out);
	}
	fputs("</td>", out);
}

static void html_row(FILE *out, const struct snapshot *s,
                     const struct row *r, time_t now)
{
	char first[32], expiry[32];

	iso_time(first, sizeof(first), r->first_served);
	iso_time(expiry, sizeof(expiry), r->cert_expiry);
	fputs("<tr><td class=\"domain\">", out);
	escape_html_str(out, r->pol->domain);
	fprintf(out, "</td><td class=\"mode\">%s</td><td><code>",
	        policy_mode_name(r->pol->mode));
	escape_html_str(out, r->pol->id);
	fprintf(out, "</code></td><td class=\"when\">%s</td><td class=\"num\">%" PRIu64
	        "</td><td class=\"num\">%" PRIu64 "</td>", *first ? first : "-",
	        r->fetches_current, r->fetches_older);
	if (r->cert_expiry == 0)
		fputs("<td>-</td>", out);
	else
		fprintf(out, "<td class=\"when%s\">%s (%lld days)</td>",
		        r->cert_soon ? " warn" : "", expiry,
		        (long long)((r->cert_expiry - now) / DAY));
	if (retirement(r)) {
		char until[32];

		iso_time(until, sizeof(until), r->facts.retire_until);
		fprintf(out, "<td class=\"when\">%s %s %s</td>",
		        r->facts.retire_state == RETIRE_SAFE
		        ? "safe to delete" : "retiring",
		        r->facts.retire_state == RETIRE_SAFE ? "since" : "until",
		        until);
	} else {
		fputs("<td>-</td>", out);
	}
	if (!r->reports) {
		fputs("<td>none</td>", out);
	} else {
		fprintf(out, "<td%s>%" PRIu64 " ok, %" PRIu64 " failed",
		        r->rpt_failed ? " class=\"warn\"" : "", r->rpt_ok,
		        r->rpt_failed);
		if (r->pol->mode == POLICY_MODE_TESTING)
			fprintf(out, "; enforce: %s", tlsrpt_verdict_name(
			        (enum tlsrpt_verdict_status)r->verdict_rpt));
		if (r->rpt_top) {
			fputs("<br>", out);
			escape_html_str(out, r->rpt_top);
		}
		fputs("</td>", out);
	}
	if (r->verdict < 0) {
		fputs("<td>not checked yet</td>", out);
	} else if (r->problems == NULL) {
		fputs("<td class=\"ok\">none</td>", out);
	} else {
		fputs("<td class=\"problems warn\"><pre>", out);
		escape_html_str(out, r->problems);
		fputs("</pre></td>", out);
	}
	if (s->conf->acme.enabled)
		html_acme(out, s, r, now);
	fputs("</tr>\n", out);
}

static void page_link(FILE *out, const struct status_query *q, size_t page,
                      const char *text)
{
	fprintf(out, "<a href=\"/?page=%zu", page);
	if (q->filter && *q->filter) {
		fputs("&amp;q=", out);
		for (const char *p = q->filter; *p; p++)
			fprintf(out, "%%%02X", (unsigned char)*p);
	}
	fprintf(out, "\">%s</a>", text);
}

void status_write_html(FILE *out, const struct snapshot *s, time_t now,
                       const struct status_query *q)
{
	struct summary sum;
	struct row *rows = build_rows(s, now, &sum);
	size_t matched = 0, shown = 0, page = q->page ? q->page : 1, pages;
	size_t first = (page - 1) * STATUS_PAGE_SIZE;
	char when[32];

	fputs(page_head, out);
	if (rows == NULL) {
		fputs("<p>Out of memory.</p></body></html>\n", out);
		return;
	}
	iso_time(when, sizeof(when), now);
	html_summary(out, &sum, s, when);
	html_form(out, q);
	fputs("<table id=\"domains\">\n<thead><tr><th>Domain</th><th>Mode</th>"
	      "<th>Policy id</th><th>Served since</th>"
	      "<th class=\"num\">Fetches, this id</th>"
	      "<th class=\"num\">Fetches, older ids</th>"
	      "<th>Certificate expires</th><th>Retirement</th>"
	      "<th>TLS reports (30 days)</th>"
	      "<th>Problems (monitor)</th>", out);
	if (s->conf->acme.enabled)
		fputs("<th id=\"acme\">Certificate source (ACME)</th>", out);
	fputs("</tr></thead>\n<tbody>\n", out);
	for (size_t i = 0; i < sum.domains; i++) {
		if (q->filter && *q->filter &&
		    strstr(rows[i].pol->domain, q->filter) == NULL)
			continue;
		if (matched++ < first || shown == STATUS_PAGE_SIZE)
			continue;
		html_row(out, s, &rows[i], now);
		shown++;
	}
	pages = matched ? (matched + STATUS_PAGE_SIZE - 1) / STATUS_PAGE_SIZE : 1;
	fprintf(out, "</tbody>\n</table>\n<p id=\"paging\">%zu of %zu domains "
	        "shown (page %zu of %zu). ", shown, matched, page, pages);
	if (page > 1)
		page_link(out, q, page - 1, "Previous");
	if (page > 1 && page < pages)
		fputs(" | ", out);
	if (page < pages)
		page_link(out, q, page + 1, "Next");
	fputs("</p>\n<p>The same data: <a href=\"/status.json\">status.json"
	      "</a>; counters: <a href=\"/metrics\">metrics</a>.</p>\n"
	      "</body>\n</html>\n", out);
	free_rows(rows, sum.domains);
}
