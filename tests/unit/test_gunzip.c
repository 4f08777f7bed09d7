/*
 * test_gunzip: plain pass-through, round trips (one and several members),
 * the output cap at its exact edge, the ratio cap (a gzip bomb), every
 * truncation of a stream, a bad CRC and trailing data.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gunzip.h"
#include "tap.h"

/* Compresses with gzip framing; the caller frees. */
static unsigned char *gz(const void *in, size_t len, size_t *out_len)
{
	z_stream zs;
	size_t cap;
	unsigned char *out;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	cap = deflateBound(&zs, len) + 64;
	out = malloc(cap);
	if (!out)
		abort();
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	*out_len = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

static const char json[] = "{\"organization-name\":\"Example\",\"policies\":[]}";

static void test_plain(void)
{
	unsigned char *out;
	size_t len;
	bool was = true;

	is_int(gunzip_bounded(json, strlen(json), NULL, &out, &len, &was),
	       GUNZIP_OK, "plain JSON passes through");
	ok(!was, "plain JSON is not gzip");
	is_mem(out, len, json, strlen(json), "plain bytes unchanged");
	is_int(out[len], 0, "NUL after the data");
	free(out);

	is_int(gunzip_bounded("", 0, NULL, &out, &len, &was), GUNZIP_OK,
	       "empty input passes through");
	is_int(len, 0, "empty output");
	free(out);

	/* A lone 0x1f is not the magic. */
	is_int(gunzip_bounded("\x1f", 1, NULL, &out, &len, &was), GUNZIP_OK,
	       "one byte 1f is plain");
	ok(!was, "one byte 1f: not gzip");
	free(out);

	{
		struct gunzip_limits lim = { 10, 200, 1 << 20 };

		is_int(gunzip_bounded(json, strlen(json), &lim, &out, &len, NULL),
		       GUNZIP_TOO_LARGE, "plain input over the cap");
		ok(out == NULL, "no output on error");
	}
}

static void test_roundtrip(void)
{
	size_t zlen, len;
	unsigned char *z = gz(json, strlen(json), &zlen), *out, *two;
	bool was = false;

	is_int(gunzip_bounded(z, zlen, NULL, &out, &len, &was), GUNZIP_OK,
	       "gzip inflates");
	ok(was, "gzip detected by its magic");
	is_mem(out, len, json, strlen(json), "round trip");
	is_int(out[len], 0, "NUL after the inflated data");
	free(out);

	/* gzip -c a b > c: two members read as one stream. */
	two = malloc(2 * zlen + 4);
	memcpy(two, z, zlen);
	memcpy(two + zlen, z, zlen);
	is_int(gunzip_bounded(two, 2 * zlen, NULL, &out, &len, NULL), GUNZIP_OK,
	       "two members");
	is_int(len, 2 * strlen(json), "two members: both inflated");
	free(out);

	memset(two + zlen, 0, 4);
	is_int(gunzip_bounded(two, zlen + 4, NULL, &out, &len, NULL), GUNZIP_OK,
	       "NUL padding after the member is ignored");
	free(out);

	memcpy(two + zlen, "junk", 4);
	is_int(gunzip_bounded(two, zlen + 4, NULL, &out, &len, NULL),
	       GUNZIP_CORRUPT, "trailing data is refused");
	ok(out == NULL, "trailing data: no output");
	free(two);

	/* Every cut short of the whole stream is truncated. */
	{
		size_t cut, bad = 0;

		for (cut = 2; cut < zlen; cut++) {
			enum gunzip_status st = gunzip_bounded(z, cut, NULL, &out,
							       &len, NULL);

			if (st != GUNZIP_TRUNCATED || out != NULL)
				bad++;
			free(out);
		}
		is_int(bad, 0, "every truncation (2..%zu bytes) is reported", zlen - 1);
	}

	/* Flip a bit of the CRC-32 in the trailer. */
	z[zlen - 6] ^= 0x01;
	is_int(gunzip_bounded(z, zlen, NULL, &out, &len, NULL), GUNZIP_CORRUPT,
	       "bad CRC is refused");
	free(z);
	is_str(gunzip_strerror(GUNZIP_TRUNCATED), "gzip stream is truncated",
	       "message of a truncation");
}

static void test_caps(void)
{
	size_t n = 1000, zlen, len;
	unsigned char *plain = malloc(n), *z, *out;
	struct gunzip_limits lim = { 1000, 200, 1 << 20 };
	size_t i;

	for (i = 0; i < n; i++)
		plain[i] = (unsigned char)('a' + i % 26);
	z = gz(plain, n, &zlen);
	is_int(gunzip_bounded(z, zlen, &lim, &out, &len, NULL), GUNZIP_OK,
	       "output exactly at the cap");
	is_int(len, 1000, "all of it");
	free(out);
	lim.max_out = 999;
	is_int(gunzip_bounded(z, zlen, &lim, &out, &len, NULL), GUNZIP_TOO_LARGE,
	       "output one byte over the cap");
	ok(out == NULL, "over the cap: no output");
	free(z);
	free(plain);

	/* 64 MiB of zeros deflate to ~64 KiB: over the ratio long before the
	 * size cap, and the cap stops it even with no ratio limit. */
	n = 64u << 20;
	plain = calloc(1, n);
	z = gz(plain, n, &zlen);
	free(plain);
	gunzip_limits_default(&lim);
	is_int(gunzip_bounded(z, zlen, &lim, &out, &len, NULL), GUNZIP_RATIO,
	       "gzip bomb stopped by the ratio (%zu bytes in)", zlen);
	ok(out == NULL, "bomb: no output");
	lim.max_ratio = (size_t)-1;
	is_int(gunzip_bounded(z, zlen, &lim, &out, &len, NULL), GUNZIP_TOO_LARGE,
	       "gzip bomb stopped by the size cap");
	free(z);

	/* Small and highly compressible is fine under the ratio floor. */
	n = 512u << 10;
	plain = calloc(1, n);
	z = gz(plain, n, &zlen);
	free(plain);
	gunzip_limits_default(&lim);
	is_int(gunzip_bounded(z, zlen, &lim, &out, &len, NULL), GUNZIP_OK,
	       "512 KiB of zeros is below the ratio floor");
	is_int(len, n, "512 KiB inflated");
	free(out);
	free(z);
}

int main(void)
{
	test_plain();
	test_roundtrip();
	test_caps();
	return tap_done();
}
