/*
 * store_tlsrpt: TLS reports (RFC 8460) in the state database (tables
 * tlsrpt_reports and tlsrpt_domains, schema version 3; see store.h).
 *
 * A report is kept as its decompressed JSON, with the columns the queries
 * need: the organisation lowercased and the report-id (together UNIQUE:
 * the same report arriving twice, by mail and HTTPS or redelivered, is
 * stored once), the UTC day it counts for, its date-range, when and where
 * it was received, and the policy domains it is about (only those the
 * caller serves). Readers get the JSON back and parse it with
 * tlsrpt_parse(): the summary always comes from one parser, whatever the
 * version of stsd that stored it.
 *
 * Same error contract as store.h (STORE_OK, STORE_BUSY, STORE_ERROR with
 * store_errmsg()); nothing here is on the request path.
 */
#ifndef STSD_STORE_TLSRPT_H
#define STSD_STORE_TLSRPT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "tlsrpt.h"

#define STORE_TLSRPT_KEEP_DAYS 400      /* tlsrpt: keep_days default */

enum store_tlsrpt_result {
	STORE_TLSRPT_STORED,
	STORE_TLSRPT_DUPLICATE,         /* same organisation and report-id */
	STORE_TLSRPT_BUSY,              /* locked by another connection */
	STORE_TLSRPT_ERROR,             /* see store_errmsg() */
};

/*
 * Stores the parsed report `r` with its JSON (json[0..len), at most
 * TLSRPT_JSON_MAX bytes), indexed under the n `domains` given (normalised
 * policy domains the caller serves; n = 0: every policy-domain of r),
 * received at `now` from `source` (e.g. "mail:stdin", "https:192.0.2.1").
 * One transaction: stored whole, or not at all.
 */
enum store_tlsrpt_result store_tlsrpt_add(struct store *s,
                                          const struct tlsrpt_report *r,
                                          const char *const *domains, size_t n,
                                          const char *json, size_t len,
                                          const char *source, int64_t now);

/*
 * Calls cb with the JSON of every report counting for day `since` or
 * later that is about one of the n `domains` (n = 0: every report), each
 * report once, ordered by day then arrival. The JSON is valid only during
 * the call. A non-zero return from cb stops the walk, and is returned.
 */
typedef int (*store_tlsrpt_cb)(void *arg, const char *json, size_t len);
int store_tlsrpt_reports(struct store *s, const char *const *domains,
                         size_t n, int64_t since, store_tlsrpt_cb cb,
                         void *arg);

/* Deletes the reports counting for days older than the last `keep_days`
 * UTC days up to now's. *deleted (when not NULL) gets the reports
 * deleted. */
int store_tlsrpt_prune(struct store *s, unsigned keep_days, int64_t now,
                       uint64_t *deleted);

#endif
