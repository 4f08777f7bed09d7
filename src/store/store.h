/*
 * store: the state database, one SQLite file "stsd.db" in the state
 * directory, holding what stsd served and how often it was fetched.
 *
 * Nothing here is fatal and nothing here is on the request path: every
 * function returns STORE_OK, STORE_BUSY (another connection holds the lock
 * longer than the busy timeout: try again later) or STORE_ERROR (missing,
 * corrupt, read-only or full database, ENOMEM, ...), with the reason in
 * store_errmsg(). The caller (a background thread, or a command) logs it
 * and retries later; the same handle recovers by itself once the fault is
 * gone, and reopens the file when it was deleted or replaced under it.
 *
 * A handle is used by one thread at a time. Every SQL statement is prepared
 * and takes its values as bound parameters.
 *
 * Times are Unix seconds (UTC). A "day" is a UTC day number, time / 86400.
 *
 * Schema (PRAGMA user_version = STORE_SCHEMA_VERSION, journal_mode WAL,
 * synchronous NORMAL; migrated on open, one transaction per step; a file
 * with a newer version than this stsd knows is refused, never touched):
 *
 *   meta     (key TEXT PRIMARY KEY, value TEXT NOT NULL)
 *            "created": when the database was created (Unix seconds).
 *   policies (domain, id, body BLOB, mode TEXT enforce|testing|none,
 *             max_age INTEGER, mx TEXT (patterns joined by "\n"),
 *             first_served, last_served, last_fetched (0: never);
 *             PRIMARY KEY (domain, id))
 *            Every policy id ever served per domain. A body changed under
 *            the same (explicit) id updates body, mode, max_age and mx.
 *   fetches  (domain, id, day, count; PRIMARY KEY (domain, id, day))
 *            Successful policy fetches per domain, id and UTC day.
 *   domains  (domain PRIMARY KEY, first_served, max_age_max,
 *             last_active_served (0: never))                 [version 2]
 *            Retirement facts (RFC 8461 section 8.3), kept as running
 *            maxima so that a body changed under the same id cannot lose
 *            them: the largest max_age ever served in any mode, and the
 *            last time an enforce or testing policy was served.
 *
 *   tlsrpt_reports (id INTEGER PRIMARY KEY, org, report_id, day,
 *             begin_time, end_time, received, source, json BLOB;
 *             UNIQUE (org, report_id))                       [version 3]
 *            TLS reports (RFC 8460): org is the organisation lowercased
 *            (ASCII), day the UTC day the report counts for, json the
 *            decompressed report (at most TLSRPT_JSON_MAX bytes).
 *   tlsrpt_domains (domain, day, report; PRIMARY KEY (domain, day,
 *             report))                                       [version 3]
 *            The served policy domains each report is about.
 *            See store_tlsrpt.h.
 *
 * Version 1 created meta, policies and fetches; version 2 added domains
 * (filled from policies) and policies.last_fetched (filled from fetches,
 * to the day); version 3 added the TLS report tables.
 */
#ifndef STSD_STORE_H
#define STSD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "history.h"
#include "policy.h"
#include "retire.h"

#define STORE_FILE "stsd.db"
#define STORE_SCHEMA_VERSION 3
#define STORE_ERR_LEN 512
#define STORE_DEFAULT_BUSY_MS 1000

enum store_rc {
	STORE_OK = 0,
	STORE_ERROR = -1,       /* see store_errmsg() */
	STORE_BUSY = -2,        /* locked by another connection: retry later */
};

enum store_flags {
	/* Read an existing database (stsd --history): never creates, migrates
	 * or writes; every write returns STORE_ERROR. */
	STORE_READONLY = 1 << 0,
};

struct store;

/* Opens (creating and migrating it unless STORE_READONLY) `dir`/stsd.db.
 * The directory is the caller's: it is never created here. On failure
 * returns NULL with the reason in err (always NUL-terminated when errlen >
 * 0), and *rc (when rc is not NULL) set to STORE_BUSY or STORE_ERROR. */
struct store *store_open(const char *dir, unsigned flags, int *rc,
                         char *err, size_t errlen);

/* For --check: is `dir`/stsd.db usable, without creating, migrating or
 * writing anything (run as root, creating it would leave a file the
 * daemon's user cannot write)? STORE_OK with a note in msg ("will be
 * created", "will be upgraded from schema version 1", "schema version 2,
 * 3 domains"), or STORE_ERROR/STORE_BUSY with the reason: no such
 * directory, directory not writable, not a database, damaged
 * (PRAGMA quick_check), newer schema. */
int store_check(const char *dir, char *msg, size_t len);

/* Closes the database. NULL is fine. */
void store_close(struct store *s);

/* The reason for the last STORE_ERROR or STORE_BUSY on this handle, "" if
 * none. Valid until the next call on the handle. */
const char *store_errmsg(const struct store *s);

/* How long a call waits for another connection's lock before it returns
 * STORE_BUSY (default STORE_DEFAULT_BUSY_MS; 0: not at all). */
void store_set_busy_timeout(struct store *s, int ms);

/* The database file's path ("dir/stsd.db"). */
const char *store_path(const struct store *s);

/*
 * Records that `list` (n policies) is being served at `now`: a new
 * (domain, id) gets first_served = last_served = now; a known one gets
 * last_served = now. Idempotent, so written in transactions of a few
 * thousand policies (other writers wait for one of them at most); on an
 * error some may be recorded, and calling again completes it. Call it when
 * a snapshot goes live, periodically while it serves (hourly is plenty:
 * about 3 s of background work per 100 000 domains), and for the outgoing
 * snapshot at a reload and at shutdown (so that last_served, on which
 * retirement depends, is exact).
 */
int store_record_policies(struct store *s, const struct policy *const *list,
                          size_t n, int64_t now);

/* The same for every domain of a loaded configuration. */
int store_record_conf(struct store *s, const struct conf *c, int64_t now);

/* Adds fetch counts: each entry adds `count` fetches of (domain, id) on the
 * UTC day of `when`, and moves that policy's last_fetched to `when` if
 * later. The whole batch is one transaction: all added, or none. */
struct store_fetch {
	const char *domain;
	const char *id;
	int64_t when;           /* time of the fetches (e.g. the flush time) */
	uint64_t count;
};
int store_add_fetches(struct store *s, const struct store_fetch *f, size_t n);

/* Fills `out` (which the caller frees with history_free, also on error)
 * with the history of the n normalised `domains` in the order given (a
 * domain without history gets n_policies = 0), or of every domain in the
 * database, by name, when n is 0. Policies by first_served, then id. */
int store_history(struct store *s, const char *const *domains, size_t n,
                  struct history *out);

/* Calls cb for every (domain, id, day) with fetches on the last `days` UTC
 * days up to and including now's (days = 1: today only), of `domain` or of
 * every domain when domain is NULL, ordered by domain, day, id. A non-zero
 * return from cb stops the walk, and is returned. */
typedef int (*store_fetch_cb)(void *arg, const char *domain, const char *id,
                              int64_t day, uint64_t count);
int store_fetch_counts(struct store *s, const char *domain, int64_t now,
                       unsigned days, store_fetch_cb cb, void *arg);

/* Deletes the per-day fetch counts older than the last `keep_days` UTC
 * days up to now's (at 100 000 domains fetched daily, a year of them is
 * tens of millions of rows). last_fetched is kept; history's `fetches`
 * then counts the days kept. *deleted (when not NULL) gets the rows
 * deleted. */
int store_prune_fetches(struct store *s, unsigned keep_days, int64_t now,
                        uint64_t *deleted);

/* The retirement facts of `domain` (out->known is false when the database
 * has never seen it). */
int store_retire_facts(struct store *s, const char *domain,
                       struct retire_facts *out);

/* Calls cb with the retirement facts of every domain the database knows,
 * by name (for the status page: one query, not one per domain). A non-zero
 * return from cb stops the walk, and is returned. */
typedef int (*store_retire_cb)(void *arg, const char *domain,
                               const struct retire_facts *facts);
int store_retire_facts_all(struct store *s, store_retire_cb cb, void *arg);

/* Calls cb(arg, domain, id, first_served) for every policy id ever served
 * (no bodies: cheap at 100 000 domains). A non-zero cb result stops the
 * walk and is returned. */
typedef int (*store_first_served_cb)(void *arg, const char *domain,
                                     const char *id, int64_t first_served);
int store_first_served_all(struct store *s, store_first_served_cb cb,
                           void *arg);

#endif
