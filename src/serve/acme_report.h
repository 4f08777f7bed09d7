/*
 * acme_report: what the ACME thread (src/daemon/acme_renew.c) tells the
 * admin listener, as Prometheus metrics and in status.json: per name, when
 * its certificate expires, when the next order or renewal is due, how many
 * attempts failed in a row (and, in status.json, the last error); and how
 * many orders succeeded and failed in all, and which names are queued for
 * the order budget (acme.orders_per_hour) with how many ahead of each.
 *
 * The thread publishes a whole table after each round (acme_report_set
 * copies it under a lock); /metrics and status.json read it under the same lock. Nothing
 * on the request path touches it. Names are bounded by the configuration.
 */
#ifndef STSD_ACME_REPORT_H
#define STSD_ACME_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct acme_report_row {
	const char *name;               /* copied by acme_report_set */
	time_t not_after;               /* 0: no certificate yet */
	time_t next;                    /* next order or renewal */
	unsigned failures;              /* in a row */
	long queued;                    /* names ahead of it for an order
	                                   token, -1: not waiting */
	const char *error;              /* the last error, "" after success */
};

/* Replaces the table (n 0: ACME is off). -1 on ENOMEM (the old stays). */
int acme_report_set(const struct acme_report_row *rows, size_t n);
/* One finished order. */
void acme_report_order(bool ok);
/* The metrics, when ACME is on (nothing otherwise). */
void acme_report_metrics(FILE *out);
/* For status.json, when ACME is on: ',\n  "acme": [...]' (one object per
 * name), to follow the "domains" array. */
void acme_report_json(FILE *out);
/* What the table says of one name, for the status page (copied). */
struct acme_report_view {
	time_t not_after, next;
	unsigned failures;
	long queued;
	char error[512];
};
/* True, with *out filled, when ACME looks after `name` (a binary search:
 * the table is kept sorted by name). False when it does not or is off. */
bool acme_report_find(const char *name, struct acme_report_view *out);
/* How many names have an ACME certificate and how many wait for their
 * first one. False (and zeros) when ACME is off. */
bool acme_report_counts(size_t *issued, size_t *waiting);
/* Frees the table (at exit). */
void acme_report_clear(void);

#endif
