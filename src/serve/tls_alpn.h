/*
 * tls_alpn: tls-alpn-01 answers (RFC 8737) on the HTTPS listeners.
 *
 * The ACME thread puts a challenge certificate in place for a name
 * (tls_alpn_put) before it asks the CA to validate, and takes it down
 * afterwards (tls_alpn_remove). While at least one answer is in place,
 * new TLS sessions offer ALPN "acme-tls/1" next to "http/1.1"; a client
 * that negotiates it gets the challenge certificate for its SNI name, or
 * a no_application_protocol alert when there is none. With no answer in
 * place (nearly always), a session costs one atomic load more and offers
 * exactly what it did before.
 *
 * An answer is reference-counted: a handshake that picked it keeps it
 * (in its struct tls_conn) until tls_conn_clear(), so taking it down never
 * frees what a handshake in flight is sending. The table is process-wide
 * (not part of a snapshot): a reload does not drop an answer in place.
 */
#ifndef STSD_TLS_ALPN_H
#define STSD_TLS_ALPN_H

#include <stdbool.h>

#define TLS_ALPN_MAX_ANSWERS 64         /* in place at once */

/* Puts (or replaces) the answer for `name` (lowercase host name): a PEM
 * certificate and key as acme_alpn_cert() makes them. 0, or -1 (bad PEM,
 * full table, out of memory). */
int tls_alpn_put(const char *name, const char *cert_pem, const char *key_pem);
/* Takes the answer for `name` down (handshakes holding it keep it). */
void tls_alpn_remove(const char *name);
/* Takes every answer down (at exit). */
void tls_alpn_clear_all(void);

#endif
