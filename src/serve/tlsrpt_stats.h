/*
 * tlsrpt_stats: counters of the HTTPS intake of TLS reports (intake.c), for
 * /metrics: reports received (stored, duplicate), rejected by reason, and
 * per served domain the sessions the stored reports counted (successful,
 * failed) and the time of the last report.
 *
 * Process-wide, kept across reloads (Prometheus counters never go back).
 * Counting takes a mutex: a report is counted once, off the request path
 * (the intake's worker thread), so no atomics are needed. Domains are only
 * ever those the configuration served when the report came (bounded by
 * it). Reports that arrive by mail (stsd --import-report, another process)
 * are not counted here.
 */
#ifndef STSD_TLSRPT_STATS_H
#define STSD_TLSRPT_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "tlsrpt.h"

enum tlsrpt_stats_result {
	TLSRPT_STATS_STORED,
	TLSRPT_STATS_DUPLICATE,
	/* rejected: */
	TLSRPT_STATS_NOT_GZIP,          /* bad or truncated gzip */
	TLSRPT_STATS_TOO_LARGE,         /* body, decompressed size or ratio */
	TLSRPT_STATS_JSON,              /* not JSON, duplicate keys */
	TLSRPT_STATS_SCHEMA,            /* schema, dates or counts */
	TLSRPT_STATS_NOT_OURS,          /* no policy domain served here */
	TLSRPT_STATS_METHOD,            /* not a POST */
	TLSRPT_STATS_BUSY,              /* too many uploads, store busy */
	TLSRPT_STATS_RATE,              /* too many from one address */
	TLSRPT_STATS_N
};

/* "stored", "duplicate", "gzip", "too-large", "json", "schema",
 * "not-ours", "method", "busy", "rate". */
const char *tlsrpt_stats_name(enum tlsrpt_stats_result r);

void tlsrpt_stats_count(enum tlsrpt_stats_result r);

/* A stored report: adds its sessions under each of its policy domains
 * listed in `domains` (the served ones), at time `now`. */
void tlsrpt_stats_report(const struct tlsrpt_report *r,
                         const char *const *domains, size_t n, int64_t now);

/* The families stsd_tlsrpt_reports_total, stsd_tlsrpt_rejected_total,
 * stsd_tlsrpt_sessions_total and stsd_tlsrpt_last_report_timestamp_seconds
 * in the Prometheus text format. */
void tlsrpt_stats_write(FILE *out);

/* Frees the per-domain table (at exit). */
void tlsrpt_stats_shutdown(void);

#endif
