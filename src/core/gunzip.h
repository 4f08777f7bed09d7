/*
 * gunzip: bounded gzip inflation of untrusted input (pure, no I/O).
 *
 * TLS-RPT reports arrive as gzip (RFC 8460 section 5.3), but some senders
 * label plain JSON as "+gzip": the content is sniffed (the 1f 8b magic of
 * RFC 1952), never the declared type. Input without the magic is returned
 * unchanged. The output is capped in size and in expansion ratio, so that
 * a small hostile stream (a "gzip bomb") costs at most the cap.
 *
 * Owns: nothing between calls. The caller frees *out with free().
 */
#ifndef STSD_GUNZIP_H
#define STSD_GUNZIP_H

#include <stdbool.h>
#include <stddef.h>

#define GUNZIP_MAX_OUT_DEFAULT (20u << 20)     /* 20 MiB of JSON */
#define GUNZIP_MAX_RATIO_DEFAULT 200u          /* JSON reports deflate ~10-30x */
#define GUNZIP_RATIO_FLOOR_DEFAULT (1u << 20)  /* the ratio applies above 1 MiB */

struct gunzip_limits {
	size_t max_out;         /* output bytes, at most */
	size_t max_ratio;       /* output / input, at most ... */
	size_t ratio_floor;     /* ... once the output is larger than this */
};

enum gunzip_status {
	GUNZIP_OK = 0,
	GUNZIP_ENOMEM,
	GUNZIP_TOO_LARGE,       /* output over max_out (plain input too) */
	GUNZIP_RATIO,           /* expansion over max_ratio: a bomb */
	GUNZIP_TRUNCATED,       /* the stream ends before its trailer */
	GUNZIP_CORRUPT,         /* bad header, data or CRC, or trailing data */
};

/* The defaults above. */
void gunzip_limits_default(struct gunzip_limits *lim);

/*
 * Inflates in[0..in_len) into a new buffer *out of *out_len bytes (a NUL is
 * added after the last byte, not counted, so a JSON parser may take it as a
 * string). Several concatenated gzip members are one stream (gzip(1) reads
 * them so); NUL padding after the last member is ignored, anything else is
 * GUNZIP_CORRUPT. Input that does not begin with 1f 8b is copied as it is
 * and *was_gzip is false. On any status but GUNZIP_OK, *out is NULL.
 * `lim` may be NULL for the defaults; was_gzip may be NULL.
 */
enum gunzip_status gunzip_bounded(const void *in, size_t in_len,
                                  const struct gunzip_limits *lim,
                                  unsigned char **out, size_t *out_len,
                                  bool *was_gzip);

/* A short English phrase for a status, e.g. "gzip stream is truncated". */
const char *gunzip_strerror(enum gunzip_status st);

/* True when the bytes begin with the gzip magic 1f 8b. */
bool gunzip_is_gzip(const void *in, size_t in_len);

#endif
