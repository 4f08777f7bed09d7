/*
 * accesslog_io: appending one access-log line (formatted by core's
 * accesslog.h) to the log file, from any request thread.
 */
#ifndef STSD_ACCESSLOG_IO_H
#define STSD_ACCESSLOG_IO_H

#include "accesslog.h"

/* Formats the line for `e` and appends it to `fd` with a single write(2),
 * so that lines of concurrent requests never interleave. Best effort: a
 * failed write is ignored. */
void accesslog_write(int fd, const struct accesslog_entry *e);

#endif
