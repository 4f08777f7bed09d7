/*
 * stats: what stsd counts, and the totals it keeps for /metrics, the status
 * page and the history database.
 *
 * The request path only adds: each snapshot has its own counters (struct
 * stats_counters: one relaxed atomic add per request, no lock, no
 * allocation), indexed by the snapshot's listener and domain numbers. A
 * collector (stats_collect: the background flush, and every /metrics or
 * status request) drains them with atomic exchanges into process-wide
 * totals, which outlive reloads, so that Prometheus counters never go
 * back. A snapshot that is freed drains its counters one last time
 * (stats_counters_retire): no request is lost to a reload.
 */
#ifndef STSD_STATS_H
#define STSD_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"

/* The statuses stsd answers with; anything else (none today) is OTHER. */
enum stats_status {
	STATS_200, STATS_400, STATS_404, STATS_405, STATS_413, STATS_431,
	STATS_OTHER, STATS_N_STATUS
};

enum stats_status stats_status_of(unsigned http_status);
/* "200", "400", ..., "other". */
const char *stats_status_name(enum stats_status s);

/* Why a TLS handshake was refused or failed. */
enum stats_tls_failure {
	STATS_TLS_UNKNOWN_SNI,      /* no certificate for the name asked for */
	STATS_TLS_NO_SNI,           /* no name, and no tls.default_host */
	STATS_TLS_OTHER,            /* closed before a request: version,
	                               ciphers, a scanner, a reset */
	STATS_TLS_N_FAILURE
};
const char *stats_tls_failure_name(enum stats_tls_failure f);

struct stats_counters;

/* Counters for a configuration's listeners and domains (c->domains order).
 * NULL on ENOMEM. */
struct stats_counters *stats_counters_new(const struct conf *c);

/* Request path. `domain` is an index into c->domains, or SIZE_MAX for a
 * host that is not served; `policy` is true for a 200 of the policy. */
void stats_count_request(struct stats_counters *k, size_t listener,
                         size_t domain, unsigned http_status, bool policy);

/* Process-wide event counters (from any thread, lock-free). */
void stats_count_tls_failure(enum stats_tls_failure f);
void stats_count_tls_handshake(void);
void stats_count_refused(size_t listener);
void stats_count_connection(size_t listener, int delta);  /* +1 open, -1 closed */

/* The snapshot that owned `k` (and the conf it was made from) is being
 * freed: drains `k` into the totals and frees it. */
void stats_counters_retire(struct stats_counters *k);

/* Drains `current` (the live snapshot's counters) into the totals.
 * Thread-safe; cost linear in the number of domains. */
void stats_collect(struct stats_counters *current);

/* Reloads: stats_note_reload(true/false) after each attempt. */
void stats_note_reload(bool ok);

/* ---- reading the totals (after stats_collect) ---------------------- */

/* The totals of one policy id of a domain. */
struct stats_id_total {
	char id[33];
	uint64_t fetches;           /* 200 answers with this policy */
	uint64_t unflushed;         /* of those, not yet in the database */
	time_t first_served;        /* when a snapshot with it went live here */
};

/* What the history database says of a domain (set by the recorder). */
struct stats_facts {
	bool known;                 /* the recorder has looked it up */
	time_t first_served;        /* of its current id, from the database */
	int retire_state;           /* enum retire_state */
	time_t retire_until;        /* retiring: until; safe: since */
};

/* One problem the monitor found (a check not ok, not skipped). */
struct stats_problem {
	char id[40];                /* check id (CHECK_ID_MAX), e.g. "txt.id_current" */
	int status;                 /* enum check_status: info, warning, error */
	char *text;                 /* "message; fix: ..." */
};

/* The monitor's last result for a domain (set by the monitor thread). */
struct stats_monitor {
	time_t checked;             /* 0: not checked yet */
	int verdict;                /* enum check_status, the worst */
	struct stats_problem *problems;
	size_t n_problems;
};

/* What the TLS reports of the last days say (set by the recorder). */
struct stats_tlsrpt {
	bool known;                 /* the domain has reports */
	int verdict;                /* enum tlsrpt_verdict_status */
	uint64_t successful, failed;
	char *top_failure;          /* "N sessions: explanation; fix", or NULL */
};

struct stats_domain_view {
	uint64_t status[STATS_N_STATUS];
	const struct stats_id_total *ids;  /* oldest first */
	size_t n_ids;
	struct stats_facts facts;
	const struct stats_monitor *monitor;   /* never NULL */
	const struct stats_tlsrpt *tlsrpt;     /* never NULL */
};

struct stats_process_view {
	uint64_t listener_status[CONF_MAX_LISTENERS][STATS_N_STATUS];
	uint64_t refused[CONF_MAX_LISTENERS];
	uint64_t connections[CONF_MAX_LISTENERS];   /* open now */
	uint64_t tls_handshakes;
	uint64_t tls_failures[STATS_TLS_N_FAILURE];
	uint64_t reloads_ok, reloads_failed;
	time_t last_reload, last_reload_ok_time;
	bool last_reload_ok;
	time_t started;
};

/*
 * Calls fn for every domain of `c` with its totals (zeros for one never
 * requested), under the totals' lock: fn must not call back into stats.
 * Then fills *p (when not NULL).
 */
typedef void stats_domain_fn(void *ctx, size_t i,
                             const struct stats_domain_view *v);
void stats_read(const struct conf *c, stats_domain_fn *fn, void *ctx,
                struct stats_process_view *p);

/* A snapshot of `c` was published at `now` (the first: the start). */
void stats_note_published(const struct conf *c, time_t now);

/* Fetches counted since the last call, for the database: fn gets each
 * (domain, id, count) with count > 0, and they are then forgotten here
 * (the caller keeps what it could not store). Under the totals' lock. */
typedef void stats_unflushed_fn(void *ctx, const char *domain, const char *id,
                                uint64_t count);
void stats_take_unflushed(stats_unflushed_fn *fn, void *ctx);

/* Replaces the monitor's result for `domain`, taking over m->problems
 * (and each text). */
void stats_set_monitor(const char *domain, struct stats_monitor *m);
/* Moves the monitor's result for `domain` into *out (zeros when none),
 * leaving none behind; free it with stats_monitor_free. */
void stats_take_monitor(const char *domain, struct stats_monitor *out);
/* Replaces the TLS-report summary of `domain`, taking over
 * t->top_failure. */
void stats_set_tlsrpt(const char *domain, struct stats_tlsrpt *t);
void stats_monitor_free(struct stats_monitor *m);

/* Records what the database says of `domain`; stats_get_facts reads it
 * back (zeros when unknown). */
void stats_set_facts(const char *domain, const struct stats_facts *f);
void stats_get_facts(const char *domain, struct stats_facts *f);

/* Frees the totals (at exit). */
void stats_shutdown(void);

#endif
