/*
 * sts_body: a fetched MTA-STS policy, HTTP response facts and body, read
 * as the strict and the lax senders read it (pure, no I/O).
 *
 * The HTTPS client hands in what it saw as data (struct sts_http); this
 * module adds one check per finding (ids policy.status, policy.redirect,
 * policy.content_type, policy.content_encoding, policy.size,
 * policy.encoding, policy.syntax, policy.field_case, policy.line_endings,
 * policy.duplicates, policy.unknown_fields, policy.version, policy.mode,
 * policy.max_age, policy.mx) and returns the policy senders would apply.
 */
#ifndef STSD_STS_BODY_H
#define STSD_STS_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks.h"
#include "mxmatch.h"
#include "policy.h"

#define STS_BODY_CAP 65536       /* the client reads at most this + 1 */
#define STS_BODY_STRICT_MAX POLICY_BODY_MAX /* 64 KB read as 64 000 */
#define STS_BODY_WARN POLICY_BODY_WARN  /* chasquid reads no further */
#define STS_MAX_AGE_MAX POLICY_MAX_AGE_MAX
#define STS_MAX_MX 64            /* patterns kept (more are reported) */

struct sts_http {
	int status;                  /* HTTP status code */
	const char *content_type;    /* raw header value, NULL when absent */
	const char *content_encoding;
	const char *location;        /* for 3xx */
	const char *body;            /* body_len bytes, any content */
	size_t body_len;
	bool truncated;              /* more than STS_BODY_CAP bytes were sent */
};

struct sts_policy_view {
	bool usable;                 /* strict senders accept it */
	bool lax_usable;             /* lax senders accept it */
	bool have_mode;
	enum mx_mode mode;
	uint32_t max_age;
	size_t n_mx;
	char mx[STS_MAX_MX][MX_NAME_MAX + 1]; /* valid patterns, as written */
};

void sts_body_check(const struct sts_http *h, struct check_report *r,
                    struct sts_policy_view *out);

#endif
