/*
 * tokenbucket: a token bucket over whole seconds (see tokenbucket.h).
 */
#include "config.h"

#include "tokenbucket.h"

#define UNIT 3600u                      /* units per token */

/* The level at `now`: refilled, capped; a clock going back refills
 * nothing (and restarts the count from there). */
static uint64_t level_at(const struct tokenbucket *b, int64_t now)
{
	uint64_t dt, room;

	if (now <= b->at)
		return b->level;
	dt = (uint64_t)(now - b->at);
	room = b->cap - b->level;
	/* dt * rate may overflow for a long idle time: compare by division. */
	if (dt >= room / b->rate + 1)
		return b->cap;
	return b->level + dt * b->rate < b->cap ? b->level + dt * b->rate
	                                        : b->cap;
}

static void set_numbers(struct tokenbucket *b, unsigned per_hour,
                        unsigned burst)
{
	b->rate = per_hour ? per_hour : 1;
	b->cap = (uint64_t)(burst ? burst : 1) * UNIT;
}

void tokenbucket_init(struct tokenbucket *b, unsigned per_hour,
                      unsigned burst, int64_t now)
{
	set_numbers(b, per_hour, burst);
	b->level = b->cap;
	b->at = now;
}

void tokenbucket_configure(struct tokenbucket *b, unsigned per_hour,
                           unsigned burst, int64_t now)
{
	uint64_t level = level_at(b, now);

	set_numbers(b, per_hour, burst);
	b->level = level < b->cap ? level : b->cap;
	b->at = now;
}

void tokenbucket_resume(struct tokenbucket *b, unsigned per_hour,
                        unsigned burst, uint64_t level, int64_t at,
                        int64_t now)
{
	set_numbers(b, per_hour, burst);
	b->level = level < b->cap ? level : b->cap;
	b->at = at < now ? at : now;
}

bool tokenbucket_take(struct tokenbucket *b, int64_t now)
{
	uint64_t level = level_at(b, now);

	b->at = now > b->at ? now : b->at;
	b->level = level;
	if (level < UNIT)
		return false;
	b->level -= UNIT;
	return true;
}

int64_t tokenbucket_wait(const struct tokenbucket *b, int64_t now,
                         uint64_t n)
{
	uint64_t level = level_at(b, now), need;

	if (n == 0)
		n = 1;
	/* Bounded by the callers (names, at most a few million). */
	need = n * UNIT;
	if (level >= need)
		return 0;
	return (int64_t)((need - level + b->rate - 1) / b->rate);
}
