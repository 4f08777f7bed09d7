/*
 * gunzip: zlib's inflate with gzip framing (windowBits 16+15), driven in
 * fixed chunks so that the caps are checked before memory is committed.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gunzip.h"

#define CHUNK 65536u

void gunzip_limits_default(struct gunzip_limits *lim)
{
	lim->max_out = GUNZIP_MAX_OUT_DEFAULT;
	lim->max_ratio = GUNZIP_MAX_RATIO_DEFAULT;
	lim->ratio_floor = GUNZIP_RATIO_FLOOR_DEFAULT;
}

bool gunzip_is_gzip(const void *in, size_t in_len)
{
	const unsigned char *p = in;

	return in_len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

const char *gunzip_strerror(enum gunzip_status st)
{
	switch (st) {
	case GUNZIP_OK: return "ok";
	case GUNZIP_ENOMEM: return "out of memory";
	case GUNZIP_TOO_LARGE: return "report is too large once decompressed";
	case GUNZIP_RATIO: return "gzip expands too much (a gzip bomb?)";
	case GUNZIP_TRUNCATED: return "gzip stream is truncated";
	case GUNZIP_CORRUPT: return "gzip stream is corrupt";
	}
	return "unknown gzip error";
}

static bool only_nuls(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Grows *buf to hold at least `need` bytes plus a NUL, never beyond
 * max + 1 (the caller checks the cap before asking for more). */
static bool grow(unsigned char **buf, size_t *cap, size_t need, size_t max)
{
	size_t n = *cap ? *cap : CHUNK;
	unsigned char *b;

	while (n < need + 1)
		n = n > SIZE_MAX / 2 ? SIZE_MAX : n * 2;
	if (n > max + 1)
		n = max + 1;
	if (n <= *cap)
		return true;
	b = realloc(*buf, n);
	if (!b)
		return false;
	*buf = b;
	*cap = n;
	return true;
}

static enum gunzip_status inflate_all(const unsigned char *in, size_t in_len,
                                      const struct gunzip_limits *lim,
                                      unsigned char **out, size_t *out_len)
{
	z_stream zs;
	unsigned char *buf = NULL;
	size_t cap = 0, len = 0, pos = 0;
	enum gunzip_status st = GUNZIP_OK;
	int zr = Z_OK;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return GUNZIP_ENOMEM;
	for (;;) {
		size_t room, feed;

		/* The cap on the output comes first: one more byte than
		 * allowed is enough to know it is too large. */
		if (len > lim->max_out) {
			st = GUNZIP_TOO_LARGE;
			break;
		}
		if (len > lim->ratio_floor && len / lim->max_ratio > in_len) {
			st = GUNZIP_RATIO;
			break;
		}
		if (len + 1 >= cap && !grow(&buf, &cap, len + CHUNK, lim->max_out + 1)) {
			st = GUNZIP_ENOMEM;
			break;
		}
		room = cap - 1 - len;           /* keep one byte for the NUL */
		if (room == 0) {                /* at max_out + 1: over the cap */
			st = GUNZIP_TOO_LARGE;
			break;
		}
		feed = in_len - pos;
		zs.next_in = (Bytef *)(uintptr_t)(in + pos);
		zs.avail_in = feed > UINT_MAX ? UINT_MAX : (uInt)feed;
		zs.next_out = buf + len;
		zs.avail_out = room > CHUNK ? CHUNK : (uInt)room;
		{
			uInt before_in = zs.avail_in, before_out = zs.avail_out;

			zr = inflate(&zs, Z_NO_FLUSH);
			pos += before_in - zs.avail_in;
			len += before_out - zs.avail_out;
		}
		if (zr == Z_STREAM_END) {
			/* Another member follows, or padding, or garbage. */
			if (pos < in_len && gunzip_is_gzip(in + pos, in_len - pos)) {
				if (inflateReset(&zs) != Z_OK) {
					st = GUNZIP_CORRUPT;
					break;
				}
				continue;
			}
			if (!only_nuls(in + pos, in_len - pos))
				st = GUNZIP_CORRUPT;
			break;
		}
		if (zr == Z_MEM_ERROR) {
			st = GUNZIP_ENOMEM;
			break;
		}
		if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR) {
			st = GUNZIP_CORRUPT;
			break;
		}
		/* Z_OK or Z_BUF_ERROR: no progress possible without input. */
		if (pos == in_len && zs.avail_out > 0) {
			st = GUNZIP_TRUNCATED;
			break;
		}
	}
	inflateEnd(&zs);
	if (st == GUNZIP_OK && len > lim->max_out)
		st = GUNZIP_TOO_LARGE;
	if (st != GUNZIP_OK) {
		free(buf);
		return st;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return GUNZIP_ENOMEM;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return GUNZIP_OK;
}

enum gunzip_status gunzip_bounded(const void *in, size_t in_len,
                                  const struct gunzip_limits *lim,
                                  unsigned char **out, size_t *out_len,
                                  bool *was_gzip)
{
	struct gunzip_limits def;
	unsigned char *copy;
	enum gunzip_status st;

	*out = NULL;
	*out_len = 0;
	if (!lim) {
		gunzip_limits_default(&def);
		lim = &def;
	}
	if (was_gzip)
		*was_gzip = gunzip_is_gzip(in, in_len);
	if (gunzip_is_gzip(in, in_len)) {
		struct gunzip_limits l = *lim;

		if (l.max_ratio == 0)
			l.max_ratio = 1;
		st = inflate_all(in, in_len, &l, out, out_len);
		return st;
	}
	/* Plain: labelled gzip by a sender that did not compress. */
	if (in_len > lim->max_out)
		return GUNZIP_TOO_LARGE;
	copy = malloc(in_len + 1);
	if (!copy)
		return GUNZIP_ENOMEM;
	if (in_len)
		memcpy(copy, in, in_len);
	copy[in_len] = '\0';
	*out = copy;
	*out_len = in_len;
	return GUNZIP_OK;
}
