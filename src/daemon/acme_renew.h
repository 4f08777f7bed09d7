/*
 * acme_renew: the ACME thread. It orders a certificate for every name
 * acme: manages that has none (mta-sts.DOMAIN for each wanted domain no
 * configured certificate covers), renews each one when the CA's renewal
 * window says so (RFC 9773 ARI, when the CA offers it) or at two thirds of
 * its lifetime, keeps them in the state directory (acme_store.h), and asks
 * the main thread to make new ones live (SIGUSR1: the live configuration
 * with its certificates loaded again, snapshot_rebuild_tls), the same
 * transactional swap as a reload: the new snapshot is built beside the old
 * one, a failed order never removes a working certificate, and connections
 * in flight keep the certificate they have.
 *
 * Orders run one at a time, paced by a token bucket (core/tokenbucket.h:
 * acme.orders_per_hour, with a burst of CONF_ACME_ORDERS_BURST): first
 * orders, renewals and retries alike take a token, so 10 000 names are
 * spread over hours the way the CA counts them, and the names waiting for
 * a token are queued by due time; the log, the status file
 * (--acme-status) and the report say how many are ahead of each and when
 * its order should start. RenewalInfo queries are not orders: they skip
 * the bucket but run at most one every ACME_ARI_GAP seconds. After a
 * failure the name waits
 * acme_error_backoff(); after one that concerns the CA as a whole
 * (network, timeout, a malformed answer, rateLimited)
 * every name waits, so 10 000 domains and a CA that is down make one
 * attempt per backoff period, not 10 000. Serving never waits for any of
 * this: the thread only talks to the request path through the challenge
 * tables (tls_alpn.h, acme_http.h) and the reload.
 */
#ifndef STSD_ACME_RENEW_H
#define STSD_ACME_RENEW_H

#define ACME_QUEUE_LOG_EVERY 600        /* seconds between "queued" lines */
#define ACME_ARI_GAP 1                  /* seconds after a renewalInfo query */
#define ACME_SWAP_EVERY 30              /* seconds: batch the reloads */
#define ACME_IDLE_CHECK 3600            /* seconds between idle rounds */

struct acme_renew;

/* Starts the thread (after the privilege drop: it writes the state
 * directory as the serving user). It reads the current snapshot at every
 * round, so a reload may enable, disable or change acme:. NULL when the
 * thread cannot start (logged). */
struct acme_renew *acme_renew_start(void);

/* A reload happened: look at the configuration again now. */
void acme_renew_poke(struct acme_renew *r);

/* Cancels an order in progress (within about 100 ms), stops the thread,
 * takes every challenge answer down and frees it. NULL is fine. */
void acme_renew_stop(struct acme_renew *r);

#endif
