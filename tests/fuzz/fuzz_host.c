/*
 * fuzz_host: the request path for Host headers and SNI names:
 * name_host_key() and hostmap lookups.
 *
 * Input: the first line is the host value a client sends; every further
 * line is a configured name (normalised with name_normalize(), as the
 * configuration loader does) put into a hostmap. The whole input is also
 * used as one host value. Every host value is passed as an exactly-sized
 * heap copy without a NUL, so ASan reports any read past `len`.
 *
 * Invariants (trap on violation):
 *  - a key is 1..253 bytes of [a-z0-9.-]: lowercase, no ':', no empty
 *    label, no trailing dot; its return value is its length; it equals the
 *    input up to the ':' lowercased, less one trailing dot; and the key of
 *    a key is itself;
 *  - every configured (normalised) name is its own host key, so a client
 *    sending it (or it with a trailing dot, or with ":443") finds it;
 *  - hostmap_get agrees with a linear search over the names put, for the
 *    raw bytes and for the key; hostmap_put returns 1 exactly for
 *    duplicates, and hostmap_count counts the distinct names.
 */
#include "config.h"

#include "fuzz_common.h"
#include "hostmap.h"
#include "name.h"

#define MAX_NAMES 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/* Runs name_host_key() on an exact heap copy of in[0..len) and checks the
 * key. Returns its length or -1; the key is left in `key`. */
static int host_key(const char *in, size_t len, char key[NAME_MAX_LEN + 1])
{
	char *copy = fuzz_xmalloc(len);
	char again[NAME_MAX_LEN + 1];
	size_t i, host_len = len;
	int r;

	if (len)
		memcpy(copy, in, len);
	r = name_host_key(copy, len, key);
	if (r < 0) {
		free(copy);
		return -1;
	}

	CHECK(r >= 1 && r <= NAME_MAX_LEN);
	CHECK(strlen(key) == (size_t)r);
	for (i = 0; i < (size_t)r; i++) {
		char c = key[i];

		CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.');
		if (c == '.')
			CHECK(i > 0 && key[i - 1] != '.');
	}
	CHECK(key[r - 1] != '.');

	/* The key is the input before any ':', lowercased, less one dot. */
	for (i = 0; i < len; i++)
		if (copy[i] == ':') {
			host_len = i;
			break;
		}
	if (host_len && copy[host_len - 1] == '.')
		host_len--;
	CHECK(host_len == (size_t)r);
	for (i = 0; i < host_len; i++)
		CHECK(lower(copy[i]) == key[i]);
	free(copy);

	/* A key is its own key. */
	copy = fuzz_xmalloc((size_t)r);
	memcpy(copy, key, (size_t)r);
	CHECK(name_host_key(copy, (size_t)r, again) == r);
	CHECK(memcmp(again, key, (size_t)r + 1) == 0);
	free(copy);
	return r;
}

/* A configured name must be found by a client that sends it. */
static void check_reachable(const char *name)
{
	char key[NAME_MAX_LEN + 1], buf[NAME_MAX_LEN + 8];
	size_t len = strlen(name);

	CHECK(host_key(name, len, key) == (int)len);
	CHECK(strcmp(key, name) == 0);
	snprintf(buf, sizeof(buf), "%s.", name);
	CHECK(host_key(buf, len + 1, key) == (int)len);
	snprintf(buf, sizeof(buf), "%s:443", name);
	CHECK(host_key(buf, len + 4, key) == (int)len);
	CHECK(strcmp(key, name) == 0);
}

static void *linear_get(char (*names)[NAME_MAX_LEN + 1], size_t n,
			const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], key, len) == 0)
			return names[i];
	return NULL;
}

static void check_get(const struct hostmap *m,
		      char (*names)[NAME_MAX_LEN + 1], size_t n,
		      const char *key, size_t len)
{
	char *copy = fuzz_xmalloc(len);

	if (len)
		memcpy(copy, key, len);
	CHECK(hostmap_get(m, copy, len) == linear_get(names, n, copy, len));
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t host_len = nl ? (size_t)(nl - data) : size;
	char key[NAME_MAX_LEN + 1];
	char (*names)[NAME_MAX_LEN + 1] = NULL;
	struct fuzz_lines l;
	struct hostmap *m;
	size_t i, n = 0;
	int r;

	host_key(in, size, key);
	r = host_key(in, host_len, key);

	fuzz_lines_split(&l, data, size);
	names = fuzz_xmalloc(MAX_NAMES * sizeof(*names));
	m = hostmap_new(l.n > 1 ? l.n - 1 : 0);
	if (!m)
		abort();
	for (i = 1; i < l.n && n < MAX_NAMES; i++) {
		int put;
		bool dup;

		if (name_normalize(l.line[i], names[n], 0) != NULL)
			continue;
		check_reachable(names[n]);
		dup = linear_get(names, n, names[n], strlen(names[n])) != NULL;
		put = hostmap_put(m, names[n], names[n]);
		if (put < 0)
			abort();
		CHECK(put == (dup ? 1 : 0));
		if (!dup)
			n++;
		CHECK(hostmap_count(m) == n);
	}

	for (i = 0; i < n; i++)
		CHECK(hostmap_get(m, names[i], strlen(names[i])) == names[i]);
	check_get(m, names, n, in, host_len);
	if (r >= 0)
		check_get(m, names, n, key, (size_t)r);
	for (i = 1; i < l.n; i++)
		check_get(m, names, n, l.line[i], l.len[i]);

	hostmap_free(m);
	free(names);
	fuzz_lines_free(&l);
	return 0;
}
