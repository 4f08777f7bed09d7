/*
 * changes: what a reload changed, told to the DNS operator.
 *
 * Called after a new snapshot is live (never before: RFC 8461 section 8.1
 * asks that the TXT id changes only once the new policy is served). Logs,
 * per domain, whether it was added, removed or changed, with the exact TXT
 * record to publish now.
 */
#ifndef STSD_CHANGES_H
#define STSD_CHANGES_H

#include "conf.h"

/* Compares two loaded configurations (domains sorted by name) and logs the
 * differences. Returns the number of domains that changed in any way. */
size_t changes_log(const struct conf *old, const struct conf *new);

/* Logs a warning for every server-wide setting that a reload cannot apply
 * (listeners, limits, TLS priorities): they need a restart. */
void changes_warn_restart_only(const struct conf *old, const struct conf *new);

#endif
