/*
 * test_hostmap: puts, gets, misses, duplicates, growth past the expected
 * size, keys that differ only in length or in their last byte, and 100 000
 * entries.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostmap.h"
#include "tap.h"

#define MANY 100000
#define KEY_LEN 40

static void test_small(void)
{
	struct hostmap *m = hostmap_new(0);
	int a = 1, b = 2, c = 3;
	char buf[] = "mta-sts.example.comX";

	ok(m != NULL, "hostmap_new(0)");
	if (!m)
		return;
	is_int(hostmap_count(m), 0, "empty map counts 0");
	ok(hostmap_get(m, "a", 1) == NULL, "get on an empty map misses");
	ok(hostmap_get(m, "", 0) == NULL, "empty key misses");

	is_int(hostmap_put(m, "mta-sts.example.com", &a), 0, "put adds");
	is_int(hostmap_put(m, "mta-sts.example.net", &b), 0, "put adds another");
	is_int(hostmap_put(m, "mta-sts.example.com", &c), 1,
	       "duplicate put returns 1");
	is_int(hostmap_count(m), 2, "duplicate is not counted");
	ok(hostmap_get(m, "mta-sts.example.com", 19) == &a,
	   "duplicate put left the first value");
	ok(hostmap_get(m, "mta-sts.example.net", 19) == &b, "second key found");

	/* Only `len` bytes count: a longer buffer, a prefix, a longer key. */
	ok(hostmap_get(m, buf, 19) == &a, "lookup by length, not NUL");
	ok(hostmap_get(m, buf, 20) == NULL, "one byte more misses");
	ok(hostmap_get(m, buf, 18) == NULL, "one byte less misses");
	ok(hostmap_get(m, "MTA-STS.example.com", 19) == NULL,
	   "keys are exact bytes (the caller lowercases)");
	ok(hostmap_get(m, "mta-sts.example.org", 19) == NULL,
	   "last byte differs: miss");

	is_int(hostmap_put(m, "", &c), 0, "the empty key can be stored");
	ok(hostmap_get(m, "", 0) == &c, "and found");
	ok(hostmap_get(m, NULL, 0) == NULL, "NULL key misses");

	hostmap_free(m);
	hostmap_free(NULL);
	ok(hostmap_get(NULL, "a", 1) == NULL, "get on NULL map misses");
	is_int(hostmap_count(NULL), 0, "NULL map counts 0");
}

static void test_many(size_t expected)
{
	struct hostmap *m = hostmap_new(expected);
	char (*keys)[KEY_LEN] = calloc(MANY, KEY_LEN);
	size_t i, found = 0, right = 0, missed = 0, dups = 0, added = 0;
	char miss[KEY_LEN];
	clock_t t0;

	ok(m && keys, "hostmap_new(%zu) and %d keys", expected, MANY);
	if (!m || !keys) {
		hostmap_free(m);
		free(keys);
		return;
	}
	for (i = 0; i < MANY; i++)
		snprintf(keys[i], KEY_LEN, "mta-sts.customer%zu.example", i);

	t0 = clock();
	for (i = 0; i < MANY; i++)
		added += hostmap_put(m, keys[i], keys[i]) == 0;
	is_int(added, MANY, "%d puts added (expected %zu)", MANY, expected);
	is_int(hostmap_count(m), MANY, "count is %d", MANY);

	for (i = 0; i < MANY; i++)
		dups += hostmap_put(m, keys[i], NULL) == 1;
	is_int(dups, MANY, "putting every key again returns 1");

	for (i = 0; i < MANY; i++) {
		const char *v = hostmap_get(m, keys[i], strlen(keys[i]));

		found += v != NULL;
		right += v == keys[i];
	}
	is_int(found, MANY, "every key found");
	is_int(right, MANY, "every key maps to its value");

	for (i = 0; i < MANY; i++) {
		int n = snprintf(miss, sizeof(miss),
				 "mta-sts.customer%zu.example", i + MANY);

		missed += hostmap_get(m, miss, (size_t)n) == NULL;
	}
	is_int(missed, MANY, "%d absent keys miss", MANY);

	/* Not a timed test: a generous bound that only a quadratic table
	 * (or a broken probe sequence) would exceed. */
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0,
	   "400 000 operations in well under 5 s of CPU");

	hostmap_free(m);
	free(keys);
}

/* Byte-string keys (policy bodies): length given, NUL bytes allowed, and
 * keys that share a prefix are distinct. */
static void test_bytes(void)
{
	static const char a[] = "version: STSv1\r\nmode: enforce\r\n";
	static const char b[] = "ver\0ion";
	struct hostmap *m = hostmap_new(4);
	int va, vb, vc;

	ok(m != NULL, "bytes: map created");
	is_int(hostmap_put_n(m, a, sizeof(a) - 1, &va), 0, "bytes: put a body");
	is_int(hostmap_put_n(m, a, 3, &vc), 0, "bytes: its 3-byte prefix is another key");
	is_int(hostmap_put_n(m, b, sizeof(b) - 1, &vb), 0, "bytes: a key with a NUL byte");
	ok(hostmap_get(m, a, sizeof(a) - 1) == &va, "bytes: the body finds its value");
	ok(hostmap_get(m, "ver", 3) == &vc, "bytes: the prefix finds its own value");
	ok(hostmap_get(m, b, sizeof(b) - 1) == &vb, "bytes: the NUL key is found by its full length");
	ok(hostmap_get(m, b, 3) == &vc, "bytes: its first 3 bytes are the prefix key");
	is_int(hostmap_put_n(m, a, sizeof(a) - 1, &vb), 1, "bytes: a second put of the body is refused");
	ok(hostmap_get(m, a, sizeof(a) - 1) == &va, "bytes: and the first value stays");
	hostmap_free(m);
}

int main(void)
{
	test_small();
	test_bytes();
	test_many(MANY);        /* sized right */
	test_many(1);           /* grows from the minimum */
	return tap_done();
}
