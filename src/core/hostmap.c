/*
 * hostmap: open addressing with linear probing over a power-of-two array of
 * slots. The table is kept at most half full, so a miss stops after a short
 * probe run; each slot caches its key's hash and length, so a probe compares
 * two integers before it touches the key bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostmap.h"

#define HOSTMAP_MIN_CAPACITY 16

struct hostmap_slot {
	const char *key;        /* NULL: empty slot */
	size_t len;
	uint64_t hash;
	void *value;
};

struct hostmap {
	struct hostmap_slot *slots;
	size_t capacity;        /* a power of two */
	size_t count;
};

/* FNV-1a, 64-bit: simple, and good enough on host names (the keys come from
 * the operator's configuration, not from clients). */
static uint64_t hash_bytes(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The smallest power of two that keeps `n` entries at most half full, or 0
 * on overflow. */
static size_t capacity_for(size_t n)
{
	size_t cap = HOSTMAP_MIN_CAPACITY;

	while (cap / 2 < n) {
		if (cap > SIZE_MAX / 2 / sizeof(struct hostmap_slot))
			return 0;
		cap *= 2;
	}
	return cap;
}

/* The slot holding the key, or the empty slot where it would go. */
static struct hostmap_slot *find_slot(struct hostmap_slot *slots, size_t cap,
				      const char *key, size_t len,
				      uint64_t hash)
{
	size_t mask = cap - 1;
	size_t i = (size_t)hash & mask;

	for (;;) {
		struct hostmap_slot *s = &slots[i];

		if (!s->key)
			return s;
		if (s->hash == hash && s->len == len &&
		    memcmp(s->key, key, len) == 0)
			return s;
		i = (i + 1) & mask;
	}
}

struct hostmap *hostmap_new(size_t expected)
{
	struct hostmap *m;
	size_t cap = capacity_for(expected);

	if (cap == 0)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	m->capacity = cap;
	return m;
}

static int grow(struct hostmap *m)
{
	size_t cap = m->capacity * 2, i;
	struct hostmap_slot *slots;

	if (cap > SIZE_MAX / sizeof(*slots))
		return -1;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	for (i = 0; i < m->capacity; i++) {
		const struct hostmap_slot *old = &m->slots[i];

		if (old->key)
			*find_slot(slots, cap, old->key, old->len,
				   old->hash) = *old;
	}
	free(m->slots);
	m->slots = slots;
	m->capacity = cap;
	return 0;
}

int hostmap_put(struct hostmap *m, const char *key, void *value)
{
	return hostmap_put_n(m, key, strlen(key), value);
}

int hostmap_put_n(struct hostmap *m, const char *key, size_t len, void *value)
{
	uint64_t hash = hash_bytes(key, len);
	struct hostmap_slot *s;

	s = find_slot(m->slots, m->capacity, key, len, hash);
	if (s->key)
		return 1;
	if ((m->count + 1) > m->capacity / 2) {
		if (grow(m) < 0)
			return -1;
		s = find_slot(m->slots, m->capacity, key, len, hash);
	}
	s->key = key;
	s->len = len;
	s->hash = hash;
	s->value = value;
	m->count++;
	return 0;
}

void *hostmap_get(const struct hostmap *m, const char *key, size_t len)
{
	if (!m || !key)
		return NULL;
	return find_slot(m->slots, m->capacity, key, len,
			 hash_bytes(key, len))->value;
}

size_t hostmap_count(const struct hostmap *m)
{
	return m ? m->count : 0;
}

void hostmap_free(struct hostmap *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}
