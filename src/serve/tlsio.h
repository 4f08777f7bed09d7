/*
 * tlsio: the transport of one server TLS session (GnuTLS push and pull
 * functions over its socket), made to cost fewer system calls than
 * GnuTLS's defaults under libmicrohttpd 0.9.75.
 *
 * Send: libmicrohttpd sends a TLS response's head and body as two records
 * with two gnutls_record_send() calls, so GnuTLS's default push makes two
 * sendmsg(). Armed with tlsio_arm() just before the response is queued, the
 * push keeps the head record (the first push after arming) in a small
 * per-connection buffer and reports it sent; the next push (the body
 * record, which libmicrohttpd sends at once) goes out with it in one
 * sendmsg. Arm only when a body follows the head (not for HEAD, not for an
 * empty body). Whatever a short write or EAGAIN leaves of the held head
 * stays held and goes first in the next push (push returns -1, EAGAIN, so
 * GnuTLS keeps its own record and libmicrohttpd retries on EPOLLOUT).
 *
 * Receive: one recv() into a per-connection buffer serves GnuTLS's 5-byte
 * header read and the record that follows (GnuTLS's default is a recv()
 * for each). It never reports EAGAIN without asking the socket: a guess
 * ("the last recv() was short, so the socket is empty") would race with
 * libmicrohttpd's epoll loop, which may already have consumed the edge of
 * bytes that arrived since, and the connection would stall.
 *
 * Socket options: tlsio_attach() also sets TCP_NODELAY and takes the
 * socket's cork calls (tcpopt.h), released by tlsio_free().
 *
 * Ownership: tlsio_attach() allocates the state and installs it on the
 * session; the caller frees it with tlsio_free() after the session stops
 * being used for I/O and before the socket is closed (libmicrohttpd's
 * MHD_CONNECTION_NOTIFY_CLOSED). One thread at a time per connection.
 */
#ifndef STSD_TLSIO_H
#define STSD_TLSIO_H

#include <stdbool.h>
#include <stddef.h>

struct tlsio;

/* Counters for tests and benchmarks: system calls made by this tlsio. */
struct tlsio_stats {
	unsigned long sends;        /* sendmsg() calls */
	unsigned long recvs;        /* recv() calls */
	unsigned long held;         /* head records held for coalescing */
	unsigned long held_short;   /* sends that left part of a held head */
};

/*
 * Installs push, pull and pull-timeout functions on `session` (a
 * gnutls_session_t, as libmicrohttpd hands it out: after gnutls_init, before
 * the handshake) for the connected socket `fd`. NULL on ENOMEM, and the
 * session keeps GnuTLS's default transport on `fd`.
 */
struct tlsio *tlsio_attach(void *session, int fd);

/* The next record pushed is a response head whose body record follows
 * at once: hold it and send both together. NULL is fine (no-op). */
void tlsio_arm(struct tlsio *io);

/*
 * Arms io for a response about to be queued when libmicrohttpd will send a
 * body right after its head: `body_len` bytes of body (0 for a HEAD
 * request), a status that may carry one (not 1xx, 204 or 304). Returns
 * whether it armed. NULL is fine.
 */
bool tlsio_arm_response(struct tlsio *io, unsigned status, size_t body_len);

/*
 * The request is over: drops a pending arm and tries once (non-blocking) to
 * send anything still held. Nothing is held after a response libmicrohttpd
 * completed, so this is a safety net. NULL is fine.
 */
void tlsio_request_done(struct tlsio *io);

/* Tries once to send what is held, then frees. NULL is fine. */
void tlsio_free(struct tlsio *io);

/* The counters so far. */
struct tlsio_stats tlsio_stats(const struct tlsio *io);

#endif
