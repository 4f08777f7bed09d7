/*
 * httphead: the status line and headers of an HTTP/1.x response, bounded
 * (pure, no I/O).
 *
 * Only what a policy fetch needs is kept: the status, Content-Type,
 * Content-Encoding, Location, Content-Length and Transfer-Encoding, each
 * cut to a fixed size. A header block over HTTPHEAD_MAX bytes or with more
 * than HTTPHEAD_MAX_FIELDS fields is refused.
 */
#ifndef STSD_HTTPHEAD_H
#define STSD_HTTPHEAD_H

#include <stdbool.h>
#include <stddef.h>

#define HTTPHEAD_MAX 16384
#define HTTPHEAD_MAX_FIELDS 100
#define HTTPHEAD_VALUE_MAX 512

struct httphead {
	int status;
	bool has_content_type, has_content_encoding, has_location;
	bool has_content_length, chunked;
	char content_type[HTTPHEAD_VALUE_MAX + 1];
	char content_encoding[HTTPHEAD_VALUE_MAX + 1];
	char location[HTTPHEAD_VALUE_MAX + 1];
	unsigned long long content_length;
};

/* Returns the length of the head (through the empty line) when buf holds
 * all of it, 0 when more is needed, -1 when it is malformed or too big
 * (*err, may be NULL, says why). */
long httphead_parse(const char *buf, size_t len, struct httphead *out,
                    const char **err);

#endif
