/*
 * status: the state of every domain for people (GET / on the admin
 * listener, HTML readable without JavaScript) and for automation
 * (GET /status.json): mode, current id and since when it is served,
 * fetches of the current id against older ids (has the world picked up the
 * change?), certificate expiry, and a summary of what needs action.
 *
 * The HTML page shows STATUS_PAGE_SIZE domains at a time, filtered by a
 * substring (?q=) and paged (?page=N), so that it stays small and fast at
 * 100 000 domains; the JSON carries every domain.
 */
#ifndef STSD_STATUS_H
#define STSD_STATUS_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct snapshot;

#define STATUS_PAGE_SIZE 100

struct status_query {
	const char *filter;         /* substring of the domain, or NULL */
	size_t page;                /* from 1 */
};

void status_write_json(FILE *out, const struct snapshot *s, time_t now);
void status_write_html(FILE *out, const struct snapshot *s, time_t now,
                       const struct status_query *q);

#endif
