/*
 * admin: the admin listener, for people and monitoring, never on a public
 * listener: GET /metrics (Prometheus text format), GET / (the status page)
 * and GET /status.json (the same data for automation). Everything else is
 * 404; other methods 405.
 *
 * Clients: anyone on a unix socket (its file mode guards it); on TCP,
 * those in admin.allow when it is set, else anyone (the configuration
 * refuses a non-loopback admin listener without admin.allow). Each request
 * reads the current snapshot and the stats totals; nothing it does touches
 * the policy listeners.
 */
#ifndef STSD_ADMIN_H
#define STSD_ADMIN_H

#include "conf.h"

struct MHD_Daemon;

/* Starts serving the admin pages on the listening socket fd (taken over).
 * NULL after logging why. Stop with MHD_stop_daemon. */
struct MHD_Daemon *admin_start(int fd, const struct conf *c);

#endif
