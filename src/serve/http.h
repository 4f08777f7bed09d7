/*
 * http: the HTTP server of stsd (libmicrohttpd); the answers it sends are
 * prebuilt by site.h.
 *
 * http_server: one libmicrohttpd daemon per listening socket. Each request is
 * answered from the snapshot its connection acquired when it started, so a
 * reload never changes the answer to a request in flight. Listeners, limits
 * and TLS priorities are fixed when the server starts.
 */
#ifndef STSD_HTTP_H
#define STSD_HTTP_H

#include <stddef.h>

#include "conf.h"
#include "diag.h"

struct http_server;

/*
 * Starts serving on `fds` (bound, listening sockets; fds[i] belongs to
 * c->listeners[i]). Takes ownership of the fds. Returns NULL (after logging
 * why) when a daemon cannot start.
 */
struct http_server *http_server_start(const struct conf *c, const int *fds,
                                      size_t n_fds);

/* Stops accepting at once, lets requests in flight finish for up to
 * `grace_seconds`, then closes everything and frees the server. */
void http_server_stop(struct http_server *srv, unsigned grace_seconds);

#endif
