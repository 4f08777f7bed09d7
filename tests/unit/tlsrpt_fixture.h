/*
 * tlsrpt_fixture.h: helpers of the TLS-RPT unit tests (header-only).
 *
 * Fixtures live in $top_srcdir/tests/fixtures/tlsrpt/. Gzip and base64 are
 * made at test time from the JSON fixtures, so no binary is committed:
 * fx_message() fills a message template (*.eml.in) whose @GZIP_BASE64@ is
 * replaced by the gzipped JSON in base64 (76 columns, padded) and whose
 * @JSON_BASE64_NOPAD@ by the plain JSON in base64 without its padding.
 */
#ifndef STSD_TLSRPT_FIXTURE_H
#define STSD_TLSRPT_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static char *fx_read(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/fixtures/tlsrpt/%s",
		 top ? top : ".", name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		abort();
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static __attribute__((unused)) unsigned char *fx_gzip(const void *in,
						      size_t len,
						      size_t *out_len)
{
	z_stream zs;
	size_t cap;
	unsigned char *out;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	cap = deflateBound(&zs, (uLong)len) + 64;
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

/* base64 with a line break every `width` characters (0: none). */
static char *fx_base64(const unsigned char *in, size_t len, size_t width,
		       int pad)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(len * 2 + 8), *o = out;
	size_t i, col = 0;

	if (!out)
		abort();
	for (i = 0; i < len; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16;
		size_t k, n = len - i >= 3 ? 4 : len - i + 1;

		if (i + 1 < len)
			v |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		for (k = 0; k < 4; k++) {
			if (k < n)
				*o++ = a[(v >> (18 - 6 * k)) & 63];
			else if (pad)
				*o++ = '=';
			else
				continue;
			if (width && ++col == width) {
				*o++ = '\n';
				col = 0;
			}
		}
	}
	*o = '\0';
	return out;
}

/* Replaces the first `key` in `s` by `val` (both NUL-terminated). */
static char *fx_replace(char *s, const char *key, const char *val)
{
	char *at = strstr(s, key), *out;
	size_t kl = strlen(key), vl = strlen(val), sl = strlen(s);

	if (!at)
		return s;
	out = malloc(sl - kl + vl + 1);
	if (!out)
		abort();
	memcpy(out, s, (size_t)(at - s));
	memcpy(out + (at - s), val, vl);
	strcpy(out + (at - s) + vl, at + kl);
	free(s);
	return out;
}

/* The message of template `tmpl` carrying JSON fixture `json`. */
static __attribute__((unused)) char *fx_message(const char *tmpl,
						const char *json, size_t *len)
{
	size_t tl, jl, zl;
	char *t = fx_read(tmpl, &tl), *j = fx_read(json, &jl), *b;
	unsigned char *z = fx_gzip(j, jl, &zl);

	b = fx_base64(z, zl, 76, 1);
	t = fx_replace(t, "@GZIP_BASE64@", b);
	free(b);
	b = fx_base64((unsigned char *)j, jl, 60, 0);
	t = fx_replace(t, "@JSON_BASE64_NOPAD@", b);
	free(b);
	free(z);
	free(j);
	*len = strlen(t);
	return t;
}

/* LF to CRLF, as a message arrives over SMTP. */
static __attribute__((unused)) char *fx_crlf(const char *s, size_t *len)
{
	size_t n = strlen(s), i, o = 0;
	char *out = malloc(2 * n + 1);

	if (!out)
		abort();
	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			out[o++] = '\r';
		out[o++] = s[i];
	}
	out[o] = '\0';
	*len = o;
	return out;
}

#endif
