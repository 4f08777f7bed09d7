/*
 * snapshot: everything one configuration serves, built off to the side and
 * made live with one pointer swap.
 *
 * A snapshot is immutable once built. Connections take a reference when they
 * start (snapshot_acquire) and drop it when they close; the snapshot is freed
 * when the last reference goes, so a reload never pulls a policy or a
 * certificate from under a request in flight.
 */
#ifndef STSD_SNAPSHOT_H
#define STSD_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "diag.h"

struct conf;
struct tls_store;
struct http_site;
struct stats_counters;

struct snapshot {
	struct conf *conf;
	struct tls_store *tls;      /* NULL when no https listener is configured */
	struct http_site *site;     /* prebuilt responses, per host */
	struct stats_counters *stats;   /* its requests, by listener and domain */
	uint64_t generation;        /* 1 for the first, +1 per successful reload */
	atomic_uint refs;
	/* Made by snapshot_rebuild_tls(): the snapshot whose conf, site and
	 * stats this one borrows (holding a reference), or NULL when it owns
	 * them. */
	struct snapshot *base;
	struct snapshot *next_dead;     /* the reclaimer's list (snapshot.c) */
};

/* Builds a snapshot from the file at `path`: conf, then TLS (when needed),
 * then the HTTP site. Every problem goes to `d`. NULL on any error. The
 * result holds one reference, owned by the caller. `live` (or NULL) is the
 * snapshot serving now, whose unchanged certificates are copied rather
 * than parsed again (tls_store_load()); the caller holds a reference. */
struct snapshot *snapshot_build(const char *path, const struct snapshot *live,
                                struct diag *d);

/* A snapshot like `cur` with its certificates loaded again (the ACME
 * thread's new ones): the same configuration, site and counters (borrowed,
 * nothing re-read but the certificate files), a new tls store. NULL on
 * any error in `d` (cur keeps serving). One reference, the caller's. */
struct snapshot *snapshot_rebuild_tls(struct snapshot *cur, struct diag *d);

/* Makes `s` current (taking over the caller's reference) and drops the
 * reference the previous current snapshot held. Returns nothing: the old one
 * is freed when its last connection closes. */
void snapshot_publish(struct snapshot *s);

/* The current snapshot with one more reference, or NULL before the first
 * publish. Thread-safe. */
struct snapshot *snapshot_acquire(void);

/* Drops a reference; frees the snapshot with the last: on the reclaimer
 * thread once a snapshot has been published (a request thread never pays
 * for freeing 100 000 domains), else here. NULL is fine. */
void snapshot_release(struct snapshot *s);

/* Returns once every snapshot released so far has been freed, and so its
 * request counters drained into the totals (stats.h): at exit, after the
 * last connection and before the last counts are recorded. */
void snapshot_reclaim_wait(void);

/* Drops the current snapshot and stops the reclaimer once it has freed
 * everything given to it (at exit). */
void snapshot_shutdown(void);

/* How many snapshots the reclaimer thread has freed (for tests). */
unsigned long snapshot_reclaimed(void);

#endif
