/*
 * store_internal: what store.c and store_schema.c share (and the unit test
 * reads, to build an old database). Not for other modules.
 */
#ifndef STSD_STORE_INTERNAL_H
#define STSD_STORE_INTERNAL_H

#include <sqlite3.h>
#include <sys/types.h>

#include "store.h"

struct store {
	char *path;                 /* dir/stsd.db */
	unsigned flags;
	int busy_ms;
	sqlite3 *db;                /* NULL until (re)opened */
	dev_t dev;                  /* the file the connection has open, to */
	ino_t ino;                  /* notice when it is deleted or replaced */
	dev_t wal_dev, shm_dev;     /* its -wal and -shm files when opened */
	ino_t wal_ino, shm_ino;     /* (0: none), removed only if still these */
	char err[STORE_ERR_LEN];
};

/* Records an error from SQLite (or, with code SQLITE_OK, a plain one) in
 * s->err as "PATH: WHAT: REASON" and returns STORE_BUSY or STORE_ERROR. */
int store_fail(struct store *s, int code, const char *what);

/* Brings the open database to STORE_SCHEMA_VERSION (refusing a newer one);
 * read-only handles only check that it is current. */
int store_migrate(struct store *s);

/* PRAGMA user_version of the open database. */
int store_user_version(struct store *s, int *out);

/* The SQL of the step that brings version v-1 to v (1..STORE_SCHEMA_VERSION),
 * or NULL. */
const char *store_schema_step(int v);

/* store.c's helpers, for store_tlsrpt.c (see store.c for each):
 * an open connection, a failed call's cleanup, a prepared statement, write
 * transactions, a statement stepped to its end, the UTC day of a time. */
int store_ensure(struct store *s);
int store_failed(struct store *s, int rc);
int store_prepare(struct store *s, const char *sql, sqlite3_stmt **st);
int store_begin_write(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
int store_step_done(struct store *s, sqlite3_stmt *st, const char *what);
int64_t store_day_of(int64_t t);

#endif
