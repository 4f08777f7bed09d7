/*
 * tlsrpt: the SMTP TLS report of RFC 8460 section 4, parsed from its JSON
 * into plain C data (pure, no I/O).
 *
 * Tolerant of what real senders do (see shared/notes/tlsrpt.md): date-times
 * without a zone (taken as UTC), mx-host as a string or an array (and the
 * draft name mx-host-pattern), missing policy-string or failure-details,
 * failure details without IPs or with "", totals that disagree with the
 * details (both are kept), free-text failure-reason-code, several policy
 * domains in one report, unknown members and result types.
 * Strict about what would make the numbers wrong: a missing summary or
 * count, a count that is not a non-negative integer (a string, 1.5, -1),
 * a missing, unreadable or backwards date-range, a missing report-id (the
 * deduplication key), duplicate JSON keys. Such a report is rejected whole,
 * with a reason class (for metrics) and a one-line message (for people).
 *
 * Bounded: JSON size, nesting depth, number of policies, details and
 * strings, and the length of every kept string are capped; counts are
 * capped at TLSRPT_COUNT_MAX so that sums over many reports cannot wrap.
 * Every kept string is valid UTF-8 (jansson checks) without control
 * characters (replaced by '?'), so it is safe to print.
 *
 * Owns: everything under a struct tlsrpt_report; tlsrpt_report_free()
 * frees it all (not the struct itself).
 */
#ifndef STSD_TLSRPT_H
#define STSD_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLSRPT_JSON_MAX (5u << 20)      /* bytes of JSON (a 1 MiB gzip body) */
#define TLSRPT_DEPTH_MAX 16             /* the schema needs 5 */
#define TLSRPT_POLICIES_MAX 1000
#define TLSRPT_DETAILS_MAX 10000        /* failure-details of one policy */
#define TLSRPT_LIST_MAX 200             /* policy-string lines, mx-host names */
#define TLSRPT_TEXT_MAX 1024            /* bytes kept of a free-text string */
#define TLSRPT_COUNT_MAX 1000000000000ULL  /* sessions in one count: 10^12 */
#define TLSRPT_RANGE_MAX (31 * 86400)   /* seconds a date-range may span */
#define TLSRPT_ERR_MAX 192

enum tlsrpt_policy_type {
	TLSRPT_POLICY_STS,
	TLSRPT_POLICY_TLSA,
	TLSRPT_POLICY_NO_POLICY_FOUND,
	TLSRPT_POLICY_OTHER,            /* an unknown type, kept as sent */
};

/* The 11 result types of RFC 8460 section 4.3, and any other. */
enum tlsrpt_result {
	TLSRPT_STARTTLS_NOT_SUPPORTED,
	TLSRPT_CERTIFICATE_HOST_MISMATCH,
	TLSRPT_CERTIFICATE_EXPIRED,
	TLSRPT_CERTIFICATE_NOT_TRUSTED,
	TLSRPT_VALIDATION_FAILURE,
	TLSRPT_TLSA_INVALID,
	TLSRPT_DNSSEC_INVALID,
	TLSRPT_DANE_REQUIRED,
	TLSRPT_STS_POLICY_FETCH_ERROR,
	TLSRPT_STS_POLICY_INVALID,
	TLSRPT_STS_WEBPKI_INVALID,
	TLSRPT_RESULT_OTHER,
};
#define TLSRPT_N_RESULTS (TLSRPT_RESULT_OTHER + 1)

struct tlsrpt_failure {
	enum tlsrpt_result result;
	char *result_type;              /* as sent, e.g. "certificate-expired" */
	/* NULL when absent, null or "" (hostnames: lowercase, no final dot): */
	char *sending_mta_ip;
	char *receiving_mx_hostname;
	char *receiving_mx_helo;
	char *receiving_ip;
	uint64_t failed_session_count;
	char *additional_information;   /* free text, NULL when absent */
	char *failure_reason_code;      /* free text, NULL when absent */
};

struct tlsrpt_policy {
	enum tlsrpt_policy_type type;
	char *policy_type;              /* as sent, e.g. "sts" */
	char *domain;                   /* policy-domain: lowercase, no final dot */
	char **policy_string;           /* lines as sent; n may be 0 */
	size_t n_policy_string;
	char **mx_host;                 /* mx-host or mx-host-pattern, as sent */
	size_t n_mx_host;
	uint64_t successful;            /* summary: total-successful-session-count */
	uint64_t failed;                /* summary: total-failure-session-count */
	struct tlsrpt_failure *failures;
	size_t n_failures;
	uint64_t detail_failed;         /* sum of the details' counts; may differ
	                                   from `failed` (senders disagree) */
};

struct tlsrpt_report {
	char *organization;             /* organization-name; else contact-info;
	                                   else "unknown" */
	char *contact;                  /* contact-info, "" when absent */
	char *report_id;                /* non-empty */
	int64_t begin, end;             /* date-range, Unix seconds (UTC) */
	int32_t day;                    /* the UTC day it counts for: the day of
	                                   the middle of the range, in days since
	                                   1970-01-01 (see tlsrpt_day_format) */
	struct tlsrpt_policy *policies;
	size_t n_policies;
};

enum tlsrpt_status {
	TLSRPT_OK = 0,
	TLSRPT_REJECT_TOO_LARGE,        /* over TLSRPT_JSON_MAX or a list cap */
	TLSRPT_REJECT_JSON,             /* not JSON, duplicate key, too deep */
	TLSRPT_REJECT_SCHEMA,           /* a required member missing or mistyped */
	TLSRPT_REJECT_DATE,             /* date-range missing, unreadable, backwards */
	TLSRPT_REJECT_COUNT,            /* summary or a session count unusable */
	TLSRPT_ENOMEM,
};

/*
 * Parses json[0..len) (need not be NUL-terminated) into *out. On success
 * returns TLSRPT_OK; otherwise *out is left empty (zeroed) and err holds a
 * one-line English reason, e.g. "policies[0].summary: missing".
 */
enum tlsrpt_status tlsrpt_parse(const char *json, size_t len,
                                struct tlsrpt_report *out,
                                char err[TLSRPT_ERR_MAX]);

void tlsrpt_report_free(struct tlsrpt_report *r);

/* A short lowercase label for metrics: "ok", "too-large", "json",
 * "schema", "date", "count", "enomem". */
const char *tlsrpt_status_name(enum tlsrpt_status st);

/* "certificate-expired" and back; unknown names give TLSRPT_RESULT_OTHER
 * (whose name is "other"). */
const char *tlsrpt_result_name(enum tlsrpt_result r);
enum tlsrpt_result tlsrpt_result_parse(const char *s);

/* True when two parsed reports are the same report: same report-id, and
 * same organization-name compared without ASCII case. */
bool tlsrpt_same_report(const struct tlsrpt_report *a,
                        const struct tlsrpt_report *b);

/*
 * RFC 3339 date-time, tolerantly: "2026-11-30T00:00:00Z", "t"/" " for "T",
 * fractions of a second, "z", "+01:00" and "+0100"; without a zone it is
 * UTC. Years 1970-9999. Returns 0 and the Unix time, or -1.
 */
int tlsrpt_datetime_parse(const char *s, int64_t *out);

/* Days since 1970-01-01 <-> "YYYY-MM-DD" (strict). Parse returns 0 or -1. */
void tlsrpt_day_format(int32_t day, char out[11]);
int tlsrpt_day_parse(const char *s, int32_t *day);

#endif
