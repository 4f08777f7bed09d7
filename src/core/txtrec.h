/*
 * txtrec: one DNS TXT resource record as the parsers of remote input see it
 * (pure data, no functions).
 *
 * The DNS client concatenates the record's character-strings (RFC 8461
 * section 3.1 and RFC 8460 section 3: no spaces added) and counts them, so
 * that a parser can both read the record and report that it was split.
 * `data` is not NUL-terminated and may contain any byte; the caller owns it.
 */
#ifndef STSD_TXTREC_H
#define STSD_TXTREC_H

#include <stddef.h>

#define TXTREC_MAX_LEN 4096      /* longer records are cut by the client */
#define TXTREC_MAX_RECORDS 64    /* more are ignored by the client */

struct txtrec {
	const char *data;
	size_t len;
	unsigned n_strings;
};

#endif
