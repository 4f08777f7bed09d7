/*
 * utf8: well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF), the one decoder of the core (pure).
 */
#ifndef STSD_UTF8_H
#define STSD_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length (2 to 4) of the well-formed multi-byte sequence at s (at most
 * len bytes), or 0 when there is none there (ASCII included). */
size_t utf8_seq(const unsigned char *s, size_t len);

/* True when all `len` bytes at s are well-formed UTF-8. */
bool utf8_valid(const unsigned char *s, size_t len);

#endif
