/*
 * ratelimit: fixed windows per key in a bounded table (see ratelimit.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

/* FNV-1a: the table's hash; any spread will do. */
static size_t slot_of(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % RATELIMIT_SLOTS;
}

void ratelimit_init(struct ratelimit *rl, unsigned limit, unsigned window)
{
	memset(rl, 0, sizeof(*rl));
	rl->limit = limit;
	rl->window = window ? window : 1;
}

bool ratelimit_allow(struct ratelimit *rl, const char *key, int64_t now)
{
	struct ratelimit_slot *s = &rl->slots[slot_of(key)];

	if (strncmp(s->key, key, sizeof(s->key)) != 0 ||
	    now - s->window_start >= (int64_t)rl->window || now < s->window_start) {
		snprintf(s->key, sizeof(s->key), "%s", key);
		s->window_start = now;
		s->count = 0;
	}
	if (s->count >= rl->limit)
		return false;
	s->count++;
	return true;
}
