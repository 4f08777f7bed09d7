/*
 * tokenbucket: at most `burst` events at once and `per_hour` events an
 * hour on average (pure: the caller passes the time in seconds, and
 * locks). The ACME thread paces its new orders with it (acme_renew.c), as
 * CAs count them: Let's Encrypt's "new orders per account" limit is itself
 * a bucket (300, refilled one every 36 s).
 *
 * The level is kept in 1/3600 of a token, so that every whole rate per
 * hour refills by a whole number each second: no rounding drifts. The
 * struct is the caller's (no allocation).
 */
#ifndef STSD_TOKENBUCKET_H
#define STSD_TOKENBUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct tokenbucket {
	uint64_t rate;                  /* tokens an hour = units a second */
	uint64_t cap;                   /* burst, in units */
	uint64_t level;                 /* units, at `at` */
	int64_t at;                     /* seconds */
};

/* A full bucket: `burst` events may happen at once (burst 0 counts as 1,
 * per_hour 0 as 1). */
void tokenbucket_init(struct tokenbucket *b, unsigned per_hour,
                      unsigned burst, int64_t now);

/* New numbers (a reload) keeping what is left, clamped to the new burst:
 * changing them never refills the bucket. */
void tokenbucket_configure(struct tokenbucket *b, unsigned per_hour,
                           unsigned burst, int64_t now);

/* The bucket as saved before (level in units at second `at`, from the
 * struct's fields), so that a restart does not refill it: the level is
 * clamped to the burst, and a saved time after `now` (a clock that went
 * back) counts as `now`. Time since `at` refills it as usual. */
void tokenbucket_resume(struct tokenbucket *b, unsigned per_hour,
                        unsigned burst, uint64_t level, int64_t at,
                        int64_t now);

/* Takes one token at `now`: true when there was one. */
bool tokenbucket_take(struct tokenbucket *b, int64_t now);

/* Seconds from `now` until the n-th of n events taken one after the other
 * may happen (n >= 1; 0: at once). The burst does not bound n: each event
 * takes its token as it comes, so the bucket never overflows meanwhile. */
int64_t tokenbucket_wait(const struct tokenbucket *b, int64_t now,
                         uint64_t n);

#endif
