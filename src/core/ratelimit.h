/*
 * ratelimit: at most `limit` events per key in each window of `window`
 * seconds (pure: the caller passes the time, and locks).
 *
 * Keys (client addresses) hash into a fixed table: memory is bounded
 * whatever the clients, and a key whose slot another key took starts a
 * fresh window (a collision can only be lenient, never refuse a client
 * that did not exceed the limit itself... unless both share the slot's
 * window, which a table of RATELIMIT_SLOTS makes rare).
 */
#ifndef STSD_RATELIMIT_H
#define STSD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_SLOTS 1024
#define RATELIMIT_KEY_MAX 47            /* an IPv6 address in text */

struct ratelimit_slot {
	char key[RATELIMIT_KEY_MAX + 1];
	int64_t window_start;
	unsigned count;
};

struct ratelimit {
	unsigned limit;
	unsigned window;                /* seconds */
	struct ratelimit_slot slots[RATELIMIT_SLOTS];
};

/* Sets up `rl` (zeroing the table). */
void ratelimit_init(struct ratelimit *rl, unsigned limit, unsigned window);

/* Counts one event of `key` at `now` (seconds); true when it is within
 * the limit. */
bool ratelimit_allow(struct ratelimit *rl, const char *key, int64_t now);

#endif
