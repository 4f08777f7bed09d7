/*
 * hostmap: an immutable-after-build hash table from host names (or any byte
 * strings) to pointers
 * (pure). Built once at load time; lookups are O(1), allocation-free and safe
 * from any number of threads once building is over.
 */
#ifndef STSD_HOSTMAP_H
#define STSD_HOSTMAP_H

#include <stddef.h>

struct hostmap;

/* A table sized for about `expected` entries (it grows if needed). NULL on ENOMEM. */
struct hostmap *hostmap_new(size_t expected);

/* Keys are not copied: the caller keeps them alive as long as the map.
 * Returns 0 when added, 1 when the key was already present (nothing
 * changed), -1 on ENOMEM. */
int hostmap_put(struct hostmap *m, const char *key, void *value);

/* The same for a key of `len` bytes, not necessarily NUL-terminated (any
 * bytes: the table also interns policy bodies). */
int hostmap_put_n(struct hostmap *m, const char *key, size_t len, void *value);

/* The value for the `len` bytes at `key`, or NULL. */
void *hostmap_get(const struct hostmap *m, const char *key, size_t len);

size_t hostmap_count(const struct hostmap *m);

/* Frees the table, not the keys or values. NULL is fine. */
void hostmap_free(struct hostmap *m);

#endif
