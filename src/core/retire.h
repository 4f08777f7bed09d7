/*
 * retire: when may a domain's MTA-STS records be deleted (pure, no I/O).
 *
 * RFC 8461 section 8.3: to stop using MTA-STS, serve a policy with
 * "mode: none" under a new id until every sender that may hold an enforce
 * or testing policy has seen it expire, then delete the _mta-sts TXT record
 * and stop serving the policy. A sender fetches at most at the moment a
 * policy was last served and keeps it for its max_age, so the end of the
 * wait is
 *
 *     until = last time an enforce/testing policy was served
 *             + the largest max_age ever served for the domain (any mode:
 *               deliberately conservative, it never gives a date too early)
 *
 * and the records may be deleted when now >= until.
 *
 * The caller supplies the facts (from the state database, see
 * store_retire_facts(), or from a struct history) and what the current
 * configuration serves; everything here is arithmetic and wording.
 */
#ifndef STSD_RETIRE_H
#define STSD_RETIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"

/* What the history knows about one domain. */
struct retire_facts {
	bool known;                 /* the history has any policy for it */
	bool ever_active;           /* an enforce or testing policy was served */
	int64_t last_active_served; /* when the last one was last served */
	uint32_t largest_max_age;   /* largest max_age ever served, any mode */
	int64_t first_served;       /* when the domain's history begins */
};

/* What the current configuration does with the domain. */
enum retire_serving {
	RETIRE_SERVING_ACTIVE,      /* configured with mode enforce or testing */
	RETIRE_SERVING_NONE,        /* configured with mode none */
	RETIRE_SERVING_NOTHING,     /* removed from the configuration */
};

enum retire_state {
	RETIRE_ACTIVE,              /* serving enforce/testing: nothing to retire */
	RETIRE_RETIRING,            /* serve mode none until `until` */
	RETIRE_SAFE,                /* records may be deleted since `until` */
	RETIRE_UNKNOWN,             /* no history: the date cannot be computed */
};

struct retire_result {
	enum retire_state state;
	int64_t until;              /* RETIRING: end of the wait; SAFE: since
	                               when; otherwise 0 */
	uint32_t max_age;           /* the largest max_age ever served (the wait
	                               that retiring now would need) */
};

/* The retirement state at `now` (Unix seconds). */
void retire_compute(const struct retire_facts *f, enum retire_serving serving,
                    int64_t now, struct retire_result *out);

/* The facts of one domain's history (its policies' modes, max_age and
 * last_served). */
void retire_facts_from_history(const struct history_domain *d,
                               struct retire_facts *out);

/* "active", "retiring", "safe-to-delete", "unknown" (for JSON and metrics). */
const char *retire_state_name(enum retire_state state);

/*
 * The words for the log and --print-dns, one line without a newline, e.g.
 *   "serve mode none until 2026-12-10T13:00:00Z, then delete
 *    _mta-sts.example.com TXT and stop serving"
 * `domain` is the policy domain (normalised). snprintf semantics: returns
 * the length the full text needs; truncates to fit `len`.
 */
size_t retire_describe(const char *domain, const struct retire_facts *f,
                       const struct retire_result *r, char *buf, size_t len);

#endif
