/*
 * dnswire: reading the RDATA of DNS answers (TXT, MX, A, AAAA) as the DNS
 * client hands them over, uncompressed (pure, no I/O).
 *
 * Everything is bounded by the RDATA length; a malformed RDATA is refused
 * (-1), never read past.
 */
#ifndef STSD_DNSWIRE_H
#define STSD_DNSWIRE_H

#include <stddef.h>
#include <stdint.h>

#define DNSWIRE_NAME_MAX 255     /* text form, with the final dot */

/* TXT: concatenates the character-strings into out (at most cap bytes;
 * longer records are cut) and returns their number, or -1 when the RDATA
 * is malformed. *out_len receives the bytes written. */
int dnswire_txt(const uint8_t *rdata, size_t len, char *out, size_t cap,
                size_t *out_len);

/* A domain name at rdata[*pos]: writes its text form with a final dot
 * ("." for the root), lower case untouched, and advances *pos. Labels
 * holding '.', '\\' or bytes outside printable ASCII are refused (no
 * host name has them). Returns 0 or -1. */
int dnswire_name(const uint8_t *rdata, size_t len, size_t *pos,
                 char out[DNSWIRE_NAME_MAX + 1]);

/* MX: preference and exchange. Returns 0 or -1. */
int dnswire_mx(const uint8_t *rdata, size_t len, uint16_t *pref,
               char host[DNSWIRE_NAME_MAX + 1]);

#endif
