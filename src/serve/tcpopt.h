/*
 * tcpopt: TCP_NODELAY set once per TLS connection, and libmicrohttpd's
 * per-response TCP_CORK / TCP_NODELAY calls on that socket made free.
 *
 * Why: libmicrohttpd 0.9.75 corks a TLS connection before its first
 * response (TCP_CORK on, never cleared) and pushes every response after it
 * with setsockopt(TCP_NODELAY, 1): one system call per response, a quarter
 * of what a keep-alive response costs once tlsio.c sends head and body in
 * one sendmsg(). Nothing in its API turns that off (shared/notes/
 * libmicrohttpd-tls-write-path.md, item 4). With head and body in one
 * write, corking buys nothing: the connection runs with TCP_NODELAY on from
 * the start and the socket is never corked.
 *
 * How: this module defines setsockopt(), which the executable exports and
 * which therefore takes libmicrohttpd's calls (and everybody else's: the
 * dynamic linker looks in the executable first). For a socket taken with
 * tcpopt_take(), "cork on" and "cork off" do nothing (never corked) and
 * "nodelay on" does nothing (already on); anything else, and every call on
 * any other socket, goes to the kernel unchanged. A connection that asks for
 * "nodelay off" (libmicrohttpd does only when corking failed) is handed
 * back: from then on its calls go through.
 *
 * The table is a bitmap of file descriptors (below TCPOPT_MAX_FD; a higher
 * one is simply not taken), updated atomically: connections live on several
 * listener threads. Take after the socket is accepted, release before it is
 * closed (tlsio_attach()/tlsio_free(), from libmicrohttpd's connection
 * notifications), so that a descriptor number reused by a later socket is
 * never mistaken for this one.
 */
#ifndef STSD_TCPOPT_H
#define STSD_TCPOPT_H

#include <stdbool.h>

#define TCPOPT_MAX_FD 65536

/* Sets TCP_NODELAY on the connected TCP socket fd and takes its cork and
 * nodelay calls. false (nothing taken) if fd is out of range, not TCP, or
 * the kernel refused. */
bool tcpopt_take(int fd);

/* Calls on fd go to the kernel again. Harmless on a fd never taken. */
void tcpopt_release(int fd);

/* Whether fd is taken (for tests). */
bool tcpopt_taken(int fd);

/* Calls that tcpopt answered without the kernel, since start (tests and
 * benchmarks). */
unsigned long tcpopt_saved(void);

#endif
