/*
 * tlsrpt_summary: from parsed TLS reports to answers (pure, no I/O but the
 * caller's FILE for the renderers).
 *
 * tlsrpt_summarize() takes every stored report that may matter, counts each
 * report once (the same report-id from the same organisation, compared
 * without case, is one report however often it arrived, by mail and HTTPS),
 * and gives per domain and per day: sessions succeeded and failed, by
 * sending organisation, by receiving MX and by result type, the failures
 * grouped and explained, and the ready-for-enforce verdict.
 *
 * What counts:
 *  - A report counts for one UTC day, that of the middle of its date-range
 *    (tlsrpt_report.day). Its policies count for their policy-domain.
 *  - "successful"/"failed" are the summary totals of the policies (all
 *    policy types, summed), never the details: senders' details may not add
 *    up to their totals. Failures by MX and by result type come from the
 *    details; failed sessions the details do not account for are counted
 *    as "unexplained" (the summary total minus the details, when positive).
 *
 * The ready-for-enforce verdict, for a domain in mode testing, over the
 * window of W = window_days days before today (today - W .. today - 1):
 *   READY exactly when all of these hold:
 *   1. every day from today - W to today - 2 has at least one report for
 *      the domain (today - 1 may be missing: its reports arrive today);
 *   2. at least min_orgs distinct organisations sent reports in the window;
 *   3. at least one session succeeded under an "sts" policy in the window
 *      (the senders did see and apply the policy);
 *   4. no session failed under an "sts" policy in the window (summary
 *      totals: under enforce each would have been a message not delivered),
 *      and no sts-policy-fetch-error, sts-policy-invalid or
 *      sts-webpki-invalid failure under any policy type.
 *   NO_REPORTS when the window has no report at all; NOT_READY otherwise,
 *   with one sentence per unmet condition (the blockers). Domains in mode
 *   enforce or none get ENFORCING / MODE_NONE with the same evidence.
 *
 * Owns: everything under a struct tlsrpt_summary (all strings copied: the
 * reports may be freed after tlsrpt_summarize). tlsrpt_summary_free()
 * frees it.
 */
#ifndef STSD_TLSRPT_SUMMARY_H
#define STSD_TLSRPT_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tlsrpt.h"

#define TLSRPT_SUMMARY_MAX_DAYS 3660    /* since..until, at most ~10 years */

enum tlsrpt_mode {
	TLSRPT_MODE_UNKNOWN,            /* not in the configuration */
	TLSRPT_MODE_TESTING,
	TLSRPT_MODE_ENFORCE,
	TLSRPT_MODE_NONE,
};

/* A domain to summarise, as the configuration has it. */
struct tlsrpt_domain_req {
	const char *domain;             /* lowercase, no final dot */
	enum tlsrpt_mode mode;
};

struct tlsrpt_summary_params {
	int32_t since, until;           /* days shown, inclusive (day numbers) */
	int32_t today;                  /* for the verdict window */
	unsigned window_days;           /* e.g. 14; 0 means 14 */
	unsigned min_orgs;              /* e.g. 2; 0 means 1 */
};

/* Sessions counted under a name (an organisation, an MX, a result type). */
struct tlsrpt_tally {
	char *name;
	uint64_t successful;            /* 0 for MX and result-type tallies */
	uint64_t failed;
};

/* Failures of one result type at one MX (mx NULL: the details named none)
 * over the days shown, with the organisations that reported them. */
struct tlsrpt_failure_group {
	enum tlsrpt_result result;
	char *result_type;              /* as sent (for TLSRPT_RESULT_OTHER) */
	char *mx;                       /* receiving-mx-hostname or NULL */
	uint64_t sessions;
	char **orgs;                    /* distinct, in order of appearance */
	size_t n_orgs;
	size_t n_days;                  /* distinct days it was reported on */
	int32_t first_day, last_day;
	char *reason;                   /* first failure-reason-code, or NULL */
	char *explanation;              /* one sentence, see tlsrpt_explain() */
	char *fix;                      /* the likely fix */
};

struct tlsrpt_day {
	int32_t day;
	uint64_t successful, failed;    /* summary totals */
	uint64_t unexplained;           /* failed without details */
	size_t reports;
	struct tlsrpt_tally *orgs;      /* successful and failed per organisation */
	size_t n_orgs;
	struct tlsrpt_tally *mx;        /* failed per receiving MX (details) */
	size_t n_mx;
	struct tlsrpt_tally *results;   /* failed per result type (details) */
	size_t n_results;
};

enum tlsrpt_verdict_status {
	TLSRPT_VERDICT_READY,
	TLSRPT_VERDICT_NOT_READY,
	TLSRPT_VERDICT_NO_REPORTS,
	TLSRPT_VERDICT_ENFORCING,       /* mode enforce already */
	TLSRPT_VERDICT_MODE_NONE,
	TLSRPT_VERDICT_UNKNOWN_MODE,
};

struct tlsrpt_verdict {
	enum tlsrpt_verdict_status status;
	int32_t first_day, last_day;    /* the window */
	unsigned window_days;
	unsigned days_with_reports;     /* in the window */
	unsigned days_needed;           /* window_days - 1 */
	size_t n_orgs;                  /* distinct organisations in the window */
	unsigned min_orgs;
	uint64_t sts_successful, sts_failed;    /* under "sts" policies */
	uint64_t successful, failed;    /* all policy types */
	struct tlsrpt_tally *mx;        /* failed per MX in the window (details) */
	size_t n_mx;
	char **blockers;                /* one sentence each; empty when READY */
	size_t n_blockers;
};

struct tlsrpt_domain_summary {
	char *domain;
	enum tlsrpt_mode mode;
	uint64_t successful, failed, unexplained;      /* over the days shown */
	size_t reports;                 /* distinct reports over the days shown */
	struct tlsrpt_day *days;        /* days with reports, ascending */
	size_t n_days;
	struct tlsrpt_tally *orgs;      /* over the days shown */
	size_t n_orgs;
	struct tlsrpt_failure_group *groups;   /* most sessions first */
	size_t n_groups;
	struct tlsrpt_verdict verdict;
};

struct tlsrpt_summary {
	int32_t since, until;
	size_t reports;                 /* distinct reports within since..until */
	size_t duplicates;              /* copies of a report given again */
	struct tlsrpt_domain_summary *domains;  /* in the order requested */
	size_t n_domains;
};

/*
 * Summarises reports[0..n) for the domains requested (when n_domains is 0:
 * every policy-domain found in the reports, mode unknown, sorted). Pass
 * every report whose day is within min(since, today - window_days) ..
 * until; others are ignored. Returns 0, or -1 on ENOMEM or a bad range
 * (until < since, or more than TLSRPT_SUMMARY_MAX_DAYS days).
 */
int tlsrpt_summarize(const struct tlsrpt_report *const *reports, size_t n,
                     const struct tlsrpt_domain_req *domains, size_t n_domains,
                     const struct tlsrpt_summary_params *params,
                     struct tlsrpt_summary *out);

void tlsrpt_summary_free(struct tlsrpt_summary *s);

#define TLSRPT_REPORT_DAYS_DEFAULT 30   /* stsd --report without --since */

/*
 * The parameters of stsd --report: today is the UTC day of `now` (Unix
 * seconds), until = today, since = the --since day ("YYYY-MM-DD", NULL for
 * the last TLSRPT_REPORT_DAYS_DEFAULT days including today). Returns 0, or
 * -1 when `since` is not a date, is after today or more than
 * TLSRPT_SUMMARY_MAX_DAYS days back.
 */
int tlsrpt_summary_params_init(struct tlsrpt_summary_params *p, int64_t now,
                               const char *since, unsigned window_days,
                               unsigned min_orgs);

/*
 * The failure in words a mail admin understands, and the likely fix, for a
 * result type at an MX (mx may be NULL) of a domain, e.g. for
 * certificate-host-mismatch at mx2.example.com:
 *   "the certificate of mx2.example.com does not name it". Newly allocated
 * (NULL on ENOMEM).
 */
char *tlsrpt_explain(enum tlsrpt_result r, const char *result_type,
                     const char *mx, const char *domain);
char *tlsrpt_fix(enum tlsrpt_result r, const char *mx, const char *domain);

const char *tlsrpt_mode_name(enum tlsrpt_mode m);       /* "testing" ... */
const char *tlsrpt_verdict_name(enum tlsrpt_verdict_status v); /* "ready" ... */

/*
 * stsd --report: text for people, or JSON:
 *   {"since": "YYYY-MM-DD", "until": ..., "reports": N, "duplicates": N,
 *    "domains": [{"domain", "mode", "successful", "failed", "unexplained",
 *    "reports", "organizations": [{"name", "successful", "failed"}],
 *    "failures": [{"result-type", "receiving-mx-hostname" (or null),
 *    "sessions", "organizations": [names], "days", "first-day", "last-day",
 *    "failure-reason-code" (or null), "explanation", "fix"}],
 *    "days": [{"date", "successful", "failed", "unexplained", "reports",
 *    "organizations": [...], "receiving-mx": [{"host", "failed"}],
 *    "result-types": [{"result-type", "failed"}]}],
 *    "ready-for-enforce": {"status", "ready", "window-days", "from", "to",
 *    "days-with-reports", "days-needed", "organizations",
 *    "organizations-needed", "sts-successful", "sts-failed",
 *    "failures-by-mx": [{"host", "failed"}], "blockers": [sentences]}}]}
 * Both deterministic (golden-file tested). Return 0, or -1 when the
 * stream fails or on ENOMEM.
 */
int tlsrpt_render_text(const struct tlsrpt_summary *s, FILE *f);
int tlsrpt_render_json(const struct tlsrpt_summary *s, FILE *f);

#endif
