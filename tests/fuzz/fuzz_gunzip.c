/*
 * fuzz_gunzip: gunzip_bounded() on arbitrary bytes, with a 256 KiB cap.
 * Invariants (trap on violation):
 *  - a status other than GUNZIP_OK leaves no output;
 *  - input without the 1f 8b magic comes back unchanged;
 *  - inflated output is at most the cap, NUL-terminated, and compressing it
 *    again and inflating that gives the same bytes;
 *  - with a smaller cap the result is the same or GUNZIP_TOO_LARGE/RATIO,
 *    never a different success.
 */
#include "config.h"

#include <stdint.h>
#include <zlib.h>

#include "fuzz_common.h"
#include "gunzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const unsigned char *buf, size_t len,
		      const struct gunzip_limits *lim)
{
	z_stream zs;
	uLong cap;
	unsigned char *z, *again;
	size_t again_len;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	cap = deflateBound(&zs, (uLong)len) + 64;
	z = fuzz_xmalloc(cap);
	zs.next_in = (Bytef *)(uintptr_t)buf;
	zs.avail_in = (uInt)len;
	zs.next_out = z;
	zs.avail_out = (uInt)cap;
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	{
		struct gunzip_limits big = *lim;

		big.max_ratio = (size_t)-1;
		CHECK(gunzip_bounded(z, cap - zs.avail_out, &big, &again,
				     &again_len, NULL) == GUNZIP_OK);
	}
	CHECK(again_len == len && memcmp(again, buf, len) == 0);
	deflateEnd(&zs);
	free(again);
	free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gunzip_limits lim = { 256u << 10, 200, 64u << 10 };
	unsigned char *out = NULL, *small = NULL;
	size_t len = 0, small_len = 0;
	bool was = false;
	enum gunzip_status st, st2;

	st = gunzip_bounded(data, size, &lim, &out, &len, &was);
	CHECK(was == (size >= 2 && data[0] == 0x1f && data[1] == 0x8b));
	CHECK(gunzip_strerror(st)[0] != '\0');
	if (st != GUNZIP_OK) {
		CHECK(out == NULL);
		return 0;
	}
	CHECK(out != NULL && len <= lim.max_out && out[len] == '\0');
	if (!was) {
		CHECK(len == size && memcmp(out, data, size) == 0);
	} else {
		roundtrip(out, len, &lim);
	}
	lim.max_out = len / 2;
	st2 = gunzip_bounded(data, size, &lim, &small, &small_len, NULL);
	if (len == 0)
		CHECK(st2 == GUNZIP_OK);
	else
		CHECK(st2 == GUNZIP_TOO_LARGE || st2 == GUNZIP_RATIO);
	free(small);
	free(out);
	return 0;
}
