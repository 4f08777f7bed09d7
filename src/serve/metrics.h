/*
 * metrics: the Prometheus text exposition (format 0.0.4) of stsd's
 * counters and state, for GET /metrics on the admin listener.
 *
 * Names follow the Prometheus conventions: the stsd_ prefix, _total for
 * counters, base units (_seconds, _bytes), and labels whose values are
 * bounded by the configuration (listeners, domains, ids, certificates),
 * never by what a client sends.
 */
#ifndef STSD_METRICS_H
#define STSD_METRICS_H

#include <stdio.h>

struct snapshot;

/* Writes every metric of `s` (the current snapshot, its stats collected). */
void metrics_write(FILE *out, const struct snapshot *s);

#endif
