/*
 * history: what stsd served for each domain over time, as plain data (pure,
 * no I/O).
 *
 * The store fills it from the state database (store_history); the renderers
 * (history_fmt) and the retirement arithmetic (retire) read it. Times are
 * Unix seconds (UTC); 0 means "never" where a field allows it.
 *
 * Ownership: every string and array belongs to the struct history that holds
 * it; history_free() releases all of it.
 */
#ifndef STSD_HISTORY_H
#define STSD_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* One policy id served for a domain. */
struct history_policy {
	char id[POLICY_ID_MAX + 1];
	enum policy_mode mode;          /* as last served under this id */
	uint32_t max_age;
	char **mx;                      /* patterns, as served */
	size_t n_mx;
	char *body;                     /* exact served body, NUL-terminated */
	size_t body_len;
	int64_t first_served;           /* first seen in a recorded snapshot */
	int64_t last_served;            /* last seen in a recorded snapshot */
	int64_t last_fetched;           /* 0: never fetched (as far as recorded) */
	uint64_t fetches;               /* all fetches ever counted for this id */
};

/* One domain: its policies by first_served, oldest first. n_policies is 0
 * for a domain that was asked for but has no history. */
struct history_domain {
	char *domain;
	struct history_policy *policies;
	size_t n_policies;
};

struct history {
	struct history_domain *domains; /* in the order asked, or by name */
	size_t n_domains;
};

/* Frees everything `h` holds and zeroes it (not h itself). */
void history_free(struct history *h);

/* Writes t as RFC 3339 UTC, "2026-12-10T13:00:00Z", into out (at least
 * HISTORY_TIME_LEN bytes). Returns out. */
#define HISTORY_TIME_LEN 32
char *history_time(int64_t t, char out[HISTORY_TIME_LEN]);

#endif
