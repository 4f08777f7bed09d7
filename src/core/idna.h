/*
 * idna: internationalised domain names, the one place that calls an IDNA
 * library (libidn2, pure computation on Unicode tables).
 *
 * name.c converts and checks labels through these two functions only, so
 * the rules (IDNA2008 with the UTS #46 mapping, as GnuTLS and browsers
 * apply them) live in one place.
 */
#ifndef STSD_IDNA_H
#define STSD_IDNA_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The A-label ("xn--...") of one UTF-8 label of `len` bytes: IDNA2008 with
 * the non-transitional UTS #46 mapping (so "Ü" is "ü"); unless
 * `strict_2008`, a label that only the transitional mapping accepts ("ß"
 * read as "ss") is taken too. Returns a malloc'd NUL-terminated string,
 * or NULL when the label is invalid (or on ENOMEM). Caller frees.
 */
char *idna_to_ascii(const char *label, size_t len, bool strict_2008);

/*
 * The UTF-8 label an A-label decodes to (Punycode), or NULL when it does
 * not decode. Caller frees.
 */
char *idna_to_unicode(const char *label, size_t len);

#endif
