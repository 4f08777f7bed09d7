/*
 * acme_store: what the ACME thread keeps in the state directory, and
 * `stsd --acme-status`.
 *
 *   STATE_DIR/acme/                 0700
 *   STATE_DIR/acme/account.key      the account's P-256 key (PKCS#8 PEM), 0600
 *   STATE_DIR/acme/certs/HOST.pem   the chain the CA issued, leaf first, 0600
 *   STATE_DIR/acme/certs/HOST.key   its key, 0600
 *   STATE_DIR/acme/status           one line per name: what the thread
 *                                   plans and what last went wrong
 *   STATE_DIR/acme/bucket           the order bucket (tokenbucket.h), so
 *                                   that a restart does not refill it
 *
 * Every file is written whole to a temporary name, flushed and renamed
 * over the old one, so a crash leaves either the old file or the new one.
 * The tls store reads HOST.pem/HOST.key at every load (tls_load.c), so a
 * restart serves what was issued before and orders nothing new.
 */
#ifndef STSD_ACME_STORE_H
#define STSD_ACME_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "conf.h"
#include "name.h"

#define ACME_STATUS_FILE "acme/status"
#define ACME_BUCKET_FILE "acme/bucket"

/* Creates STATE_DIR/acme/certs (0700) as needed. 0, or -1 (errno). */
int acme_store_mkdirs(const char *state_dir);

/* "STATE_DIR/REL" (malloc'ed) and "STATE_DIR/acme/certs/HOST.EXT". */
char *acme_store_path(const char *state_dir, const char *rel);
char *acme_store_cert_path(const char *state_dir, const char *host,
                           const char *ext);

/* The whole file (NUL-terminated, at most 1 MB), or NULL. Caller frees. */
char *acme_store_read(const char *path);
/* The same, at most `max` bytes (the status file grows with the names). */
char *acme_store_read_max(const char *path, size_t max);
/* Writes `data` to path atomically with mode 0600. 0, or -1 (errno). */
int acme_store_write(const char *path, const char *data);

/* What a stored chain says about its leaf. */
struct acme_cert_info {
	time_t not_before, not_after;
	char issuer[256];               /* the issuer's CN, or its DN */
};
/* "2026-12-03 14:15 UTC", or "-" for 0. */
void acme_store_format_time(time_t t, char *buf, size_t len);

/* 0 with *out filled, or -1 when the file is missing or unreadable. */
int acme_store_cert_info(const char *pem_path, struct acme_cert_info *out);

/* The order bucket's level (in its units) and the second it was taken
 * at, as one line "LEVEL AT". Read: 0, or -1 when missing or malformed
 * (then a full bucket). Write: 0, or -1 (errno). */
int acme_bucket_read(const char *state_dir, uint64_t *level, int64_t *at);
int acme_bucket_write(const char *state_dir, uint64_t level, int64_t at);

/* One line of the status file. */
struct acme_status_row {
	char name[NAME_MAX_LEN + 1];
	time_t next;                    /* the next order or renewal, 0: none */
	unsigned failures;              /* in a row */
	long queued;                    /* names ahead for an order token, or
	                                   -1: not waiting (then `next` is
	                                   its due time) */
	char error[512];                /* the last error, "" after success */
};
/* Rewrites the status file with rows[0..n). 0, or -1. */
int acme_status_write(const char *state_dir, const struct acme_status_row *rows,
                      size_t n);

/* stsd --acme-status: for every name acme: manages in `c`, its stored
 * certificate (issuer, expiry), next renewal and last error, or its place
 * in the queue for the order budget ("queued: N names ahead, next order in
 * S s", S from `now`); names a
 * configured certificate covers (in `tls`, or NULL) say so. Returns the
 * exit status (0; 1 when ACME is not configured). */
struct tls_store;
int acme_status_print(FILE *out, const struct conf *c,
                      const struct tls_store *tls, time_t now);

#endif
