/*
 * smtp_reply: SMTP server replies (RFC 5321 section 4.2), bounded (pure,
 * no I/O).
 *
 * The prober feeds the bytes received so far; smtp_reply_parse() says
 * whether they hold one complete reply, and if so how many bytes it used.
 * Limits: a line of at most SMTP_LINE_MAX bytes, a reply of at most
 * SMTP_LINES_MAX lines; beyond that the reply is refused, never buffered
 * further. EHLO keywords (the first word of each line after the first)
 * are recognised case-insensitively; STARTTLS is the one that matters.
 */
#ifndef STSD_SMTP_REPLY_H
#define STSD_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define SMTP_LINE_MAX 1000       /* RFC 5321 allows 512; be lenient */
#define SMTP_LINES_MAX 64
#define SMTP_TEXT_MAX 200        /* of the first line, kept for messages */

struct smtp_reply {
	int code;                    /* 100..599 */
	size_t n_lines;
	bool starttls;               /* an EHLO keyword line "STARTTLS" */
	char text[SMTP_TEXT_MAX + 1];/* first line's text, printable */
};

enum smtp_parse {
	SMTP_REPLY_DONE = 1,         /* *used bytes form one reply */
	SMTP_REPLY_MORE = 0,         /* incomplete: read more */
	SMTP_REPLY_BAD = -1,         /* malformed or over the limits */
};

/* `err` (may be NULL) receives a static message on SMTP_REPLY_BAD. */
enum smtp_parse smtp_reply_parse(const char *buf, size_t len,
                                 struct smtp_reply *out, size_t *used,
                                 const char **err);

#endif
