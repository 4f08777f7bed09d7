/*
 * history_fmt: `stsd --history` output, as text for a person or as JSON
 * (pure: writes only to the stream it is given).
 *
 * JSON (jansson), one object:
 *   {"domains": [{"domain": "example.com",
 *                 "policies": [{"id": "...", "mode": "enforce",
 *                               "max_age": 604800, "mx": ["..."],
 *                               "first_served": "2026-11-01T10:00:00Z",
 *                               "last_served": "...",
 *                               "last_fetched": "..." or null,
 *                               "fetches": N}]}]}
 * Timestamps are RFC 3339 UTC. A domain without history has "policies": [].
 */
#ifndef STSD_HISTORY_FMT_H
#define STSD_HISTORY_FMT_H

#include <stdio.h>

#include "history.h"

enum history_format {
	HISTORY_TEXT,
	HISTORY_JSON,
};

/* Writes h to out. Returns 0, or -1 on ENOMEM or a write error. */
int history_fmt_write(FILE *out, enum history_format format,
                      const struct history *h);

#endif
