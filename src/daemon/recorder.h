/*
 * recorder: the background thread that keeps the state database.
 *
 * Every RECORDER_INTERVAL seconds it drains the request counters
 * (stats_collect) and adds the fetch counts to the database; after start,
 * after every reload, every hour and at stop it records the policies being
 * served (first and last served), then reads the history back to know,
 * per domain, since when its current id is served and its retirement state
 * (RFC 8461 section 8.3), which it hands to the status page and the
 * metrics, and logs once when a domain starts retiring, becomes safe to
 * delete, or was removed while senders may still hold its policy.
 *
 * Nothing here can stop or slow serving: the request path never waits for
 * it, and a database that cannot be opened, is damaged, read-only or full
 * is logged once, retried at every interval, and its fetch counts are kept
 * in memory until it works again.
 */
#ifndef STSD_RECORDER_H
#define STSD_RECORDER_H

#define RECORDER_INTERVAL 5             /* seconds between flushes */
#define RECORDER_RECORD_EVERY 3600      /* seconds between policy records */
#define RECORDER_KEEP_DAYS 400          /* fetch counts kept this long (TLS
                                           reports: tlsrpt.keep_days, pruned
                                           at the same daily round) */

struct recorder;

/* Starts the thread for the state directory of the current snapshot's
 * configuration (read at every round, so a reload may change it). NULL
 * when the thread cannot start (logged; serving goes on without it). */
struct recorder *recorder_start(void);

/* A reload made a new snapshot current: record its policies now. */
void recorder_poke(struct recorder *r);

/* Records one last time, stops the thread and frees it. NULL is fine. */
void recorder_stop(struct recorder *r);

#endif
