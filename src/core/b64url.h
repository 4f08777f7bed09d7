/*
 * b64url: base64url without padding (RFC 4648 section 5, as JOSE and ACME
 * use it; pure, no allocation).
 *
 * The decoder is strict: only [A-Za-z0-9_-], no '=', no whitespace, no
 * length of 1 mod 4, and the unused low bits of the last character must be
 * zero (so every byte string has exactly one encoding).
 */
#ifndef STSD_B64URL_H
#define STSD_B64URL_H

#include <stdbool.h>
#include <stddef.h>

/* Characters needed for n bytes, without the terminating NUL. */
size_t b64url_encoded_len(size_t n);

/* Writes the encoding of in[0..n) and a NUL to out, which has room for
 * b64url_encoded_len(n) + 1 bytes. Returns the length written. */
size_t b64url_encode(const void *in, size_t n, char *out);

/* Upper bound of the decoded size of len characters. */
size_t b64url_decoded_max(size_t len);

/* Decodes in[0..len) into out (room for cap bytes). Returns 0 and sets
 * *out_len, or -1 when the text is not canonical base64url or does not fit. */
int b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap,
                  size_t *out_len);

/* True when s[0..len) has only base64url characters (and len > 0). */
bool b64url_chars_ok(const char *s, size_t len);

#endif
