/*
 * checks: the diagnosis catalogue and its renderers (pure: writes to a stdio
 * stream, reads nothing).
 *
 * A diagnosis of one domain is a list of checks. Each check has a stable id
 * ("txt.single", "policy.content_type", "mx.covered" ...), a status, a
 * one-line message for a mail admin and optionally the fix (the exact
 * record to publish, the pattern to add). The verdict of a domain is its
 * worst status (skipped and info count as ok).
 *
 * Ownership: a check_report owns its domain, checks, messages and fixes
 * (all copied in); check_report_clear() frees them. Adding never fails
 * visibly: on ENOMEM the report is marked (oom) and the renderers say so,
 * so callers need no error path for every finding.
 */
#ifndef STSD_CHECKS_H
#define STSD_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CHECK_ID_MAX 40
#define CHECK_MSG_MAX 1024       /* a message or fix is cut to this */
#define CHECK_MAX_PER_REPORT 512 /* hostile input cannot grow a report */

enum check_status {              /* in increasing severity */
	CHECK_OK,
	CHECK_SKIPPED,
	CHECK_INFO,
	CHECK_WARNING,
	CHECK_ERROR,
};

struct check {
	char id[CHECK_ID_MAX];
	enum check_status status;
	char *message;
	char *fix;                   /* NULL when there is none */
};

struct check_report {
	char *domain;
	struct check *checks;
	size_t n, cap;
	size_t dropped;              /* checks past CHECK_MAX_PER_REPORT */
	bool oom;
};

enum check_format { CHECK_FORMAT_TEXT, CHECK_FORMAT_JSON };

const char *check_status_name(enum check_status st);

/* Returns 0, or -1 on ENOMEM. */
int check_report_init(struct check_report *r, const char *domain);
void check_report_clear(struct check_report *r);

/* Adds one check. `fix` may be NULL. The message is printf-formatted,
 * control characters in it (remote text quoted into it) are replaced with
 * '?', and it is cut at CHECK_MSG_MAX bytes. */
__attribute__((format(printf, 5, 6)))
void check_add(struct check_report *r, const char *id, enum check_status st,
               const char *fix, const char *fmt, ...);

/* The first check with this id, or NULL. */
const struct check *check_find(const struct check_report *r, const char *id);
/* Number of checks with this id and status. */
size_t check_count(const struct check_report *r, const char *id,
                   enum check_status st);

/* The worst status, folded to CHECK_OK, CHECK_WARNING or CHECK_ERROR. */
enum check_status check_verdict(const struct check_report *r);

/* Renders `n` reports. Text: one block per domain, errors then warnings
 * then the rest, each failure with its fix, then a summary line. JSON:
 * {"domains":[{"domain","verdict","checks":[{"id","status","message",
 * "fix"}]}]} (no "fix" member when there is none). Returns 0, or -1 on a
 * stream error or ENOMEM. */
int check_render(FILE *out, enum check_format fmt,
                 const struct check_report *const *reports, size_t n);

#endif
