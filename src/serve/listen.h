/*
 * listen: the listening sockets, one per configured listener.
 *
 * Sockets handed over by systemd socket activation are matched to the
 * configured listeners by address; the others are created and bound here.
 * This is done once, at start-up, before privileges are dropped: a reload
 * keeps the sockets it has (listeners cannot change on reload).
 */
#ifndef STSD_LISTEN_H
#define STSD_LISTEN_H

#include <stddef.h>

#include "conf.h"
#include "diag.h"

/*
 * Fills fds[i] for c->listeners[i] (fds has c->n_listeners slots). Every
 * problem goes to `d` at the listener's location. Returns 0, or -1 after
 * closing whatever it opened.
 */
int listen_open(const struct conf *c, int *fds, struct diag *d);

/* Formats the socket's bound address as "127.0.0.1:8080", "[::1]:443" or the
 * unix path. For log lines. */
void listen_describe(int fd, char *out, size_t len);

#endif
