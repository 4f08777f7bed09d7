/*
 * mime: finds the TLS-RPT report in a whole RFC 5322 message as an MTA
 * delivers it (pure, no I/O).
 *
 * RFC 8460 section 5.3 sends `multipart/report; report-type=tlsrpt` with the
 * report in an `application/tlsrpt+gzip` (or +json) part, base64-encoded;
 * some senders put the report in the whole body instead, some nest it
 * deeper (a forward, a multipart/mixed around the report). The walk is
 * bounded: message size, header size, nesting depth and number of parts
 * are capped, the work is linear in the input per nesting level, and
 * recursion never goes deeper than MIME_MAX_DEPTH.
 *
 * Which part is the report (the first one of the best kind):
 *   1. media type application/tlsrpt+gzip, application/tlsrpt+json (any
 *      application/tlsrpt*);
 *   2. a part named *.json.gz, *.json or *.gz (Content-Disposition filename
 *      or Content-Type name), or typed application/gzip, application/x-gzip
 *      or application/json;
 *   3. a leaf that is the whole message body (no multipart) whose decoded
 *      content begins with the gzip magic or, after blanks, with '{'.
 * The part's body is decoded (base64 tolerantly: line breaks, blanks and
 * missing padding are fine; quoted-printable; anything else as is) but not
 * inflated: pass it to gunzip_bounded(), which sniffs the gzip magic.
 *
 * Owns: mime_report.data (malloc'd); free it with mime_report_free().
 */
#ifndef STSD_MIME_H
#define STSD_MIME_H

#include <stddef.h>

#define MIME_MAX_MESSAGE (32u << 20)   /* bytes of a whole message */
#define MIME_MAX_HEADER (64u << 10)    /* bytes of one header block */
#define MIME_MAX_DEPTH 8               /* multiparts inside multiparts */
#define MIME_MAX_PARTS 256             /* entities in one message */
#define MIME_FIELD_MAX 256             /* kept bytes of the fields below */

enum mime_status {
	MIME_OK = 0,
	MIME_ENOMEM,
	MIME_TOO_LARGE,         /* message or a header block over its cap */
	MIME_TOO_DEEP,          /* no report within MIME_MAX_DEPTH levels */
	MIME_TOO_MANY_PARTS,
	MIME_NO_REPORT,         /* a message, but no part is a report */
};

struct mime_report {
	unsigned char *data;    /* decoded body of the report part, NUL added */
	size_t len;             /* bytes, the NUL not counted */
	/* Printable ASCII only (other bytes become '?'), "" when absent: */
	char type[MIME_FIELD_MAX];      /* media type of the part, lowercase */
	char filename[MIME_FIELD_MAX];  /* its file name */
	char report_domain[MIME_FIELD_MAX];    /* TLS-Report-Domain: */
	char report_submitter[MIME_FIELD_MAX]; /* TLS-Report-Submitter: */
};

/*
 * Walks the message msg[0..len) (headers, empty line, body; LF or CRLF; a
 * leading mbox "From " line is skipped) and fills *out. On any status but
 * MIME_OK, out->data is NULL.
 */
enum mime_status mime_find_report(const void *msg, size_t len,
                                  struct mime_report *out);

void mime_report_free(struct mime_report *r);

/* A short English phrase, e.g. "no TLS report found in the message". */
const char *mime_strerror(enum mime_status st);

/*
 * Tolerant base64 (RFC 2045 section 6.8 readers "must ignore" characters
 * outside the alphabet): skips everything but [A-Za-z0-9+/-_], stops at
 * the first '=', and decodes a final group of 2 or 3 characters. Writes at
 * most len * 3 / 4 + 1 bytes to out; returns how many.
 */
size_t mime_base64_decode(const char *in, size_t len, unsigned char *out);

/*
 * The value of parameter `name` (case-insensitive) in a Content-Type or
 * Content-Disposition value such as `multipart/report; boundary="a b"`,
 * unquoted, into out (NUL-terminated, truncated to outsz - 1). "name*"
 * (RFC 2231, without continuations) is read too, its charset'lang' prefix
 * dropped. Returns 1 when found, 0 when not.
 */
int mime_param(const char *value, const char *name, char *out, size_t outsz);

#endif
