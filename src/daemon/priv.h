/*
 * priv: giving up root.
 *
 * Started as root (to bind port 443 and read keys), stsd switches to the
 * configured user and group once its sockets are open and its first
 * snapshot is built. It refuses to go on serving as root unless the
 * configuration says allow_root: true.
 */
#ifndef STSD_PRIV_H
#define STSD_PRIV_H

#include "conf.h"

/* Returns 0 when the process may serve: it dropped to c->user/c->group, or
 * was not root, or c->allow_root. Otherwise logs why and returns -1. */
int priv_drop(const struct conf *c);

#endif
