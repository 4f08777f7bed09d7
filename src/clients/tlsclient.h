/*
 * tlsclient: what the HTTPS fetch and the SMTP probe share: a TCP connect
 * with a deadline that tells "timed out" from "refused", and a GnuTLS
 * client handshake with SNI whose certificate is then judged (trusted,
 * for the name, in its validity period, days left) without aborting, so
 * that a diagnosis can say everything that is wrong at once.
 *
 * Deadlines are absolute CLOCK_MONOTONIC milliseconds (tlsclient_now_ms).
 * Every read and write is bounded by the deadline (SO_RCVTIMEO/SNDTIMEO
 * set to the time left before each call).
 */
#ifndef STSD_TLSCLIENT_H
#define STSD_TLSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

enum net_result {
	NET_OK,
	NET_TIMEOUT,                 /* no answer at all: filtered somewhere */
	NET_REFUSED,                 /* the host answered with a RST */
	NET_UNREACHABLE,             /* no route, host or network unreachable */
	NET_ERROR,
};

struct tls_facts {
	bool handshake_ok;
	char error[200];             /* why the handshake failed */
	char version[16];            /* "TLS1.3" */
	bool version_ok;             /* TLS 1.2 or later */
	bool have_cert;
	bool trusted, name_ok, time_ok;
	char cert_error[256];        /* GnuTLS's description of what failed */
	long days_left;              /* until notAfter (negative: expired) */
};

long long tlsclient_now_ms(void);

/* Credentials with the system trust store plus `ca_file` (may be NULL).
 * NULL and *err on failure. Shared read-only by all threads. */
gnutls_certificate_credentials_t tlsclient_creds(const char *ca_file,
                                                 const char **err);

/* Returns a connected fd, or -1 with *res and err set. */
int tlsclient_connect(const char *addr, uint16_t port, long long deadline,
                      enum net_result *res, char *err, size_t err_size);

/* Bounds the next socket call by the deadline; false when it has passed. */
bool tlsclient_arm(int fd, long long deadline);

/* Handshake on fd with SNI `host`; fills *f. Returns the session (caller
 * deinits it) when the handshake succeeded, else NULL. */
gnutls_session_t tlsclient_handshake(int fd, const char *host,
                                     gnutls_certificate_credentials_t creds,
                                     long long deadline, struct tls_facts *f);

/* One read of at most len bytes. Returns the bytes read, 0 when the peer
 * closed, -1 on an error or at the deadline (then *timed_out). */
long tlsclient_recv(gnutls_session_t s, int fd, char *buf, size_t len,
                    long long deadline, bool *timed_out);

/* Writes all of buf. Returns 0 or -1. */
int tlsclient_write(gnutls_session_t s, int fd, const char *buf, size_t len,
                    long long deadline);

#endif
