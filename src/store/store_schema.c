/*
 * store_schema: the database schema as a list of migration steps. Step v
 * brings a database at user_version v-1 to v; each runs in one IMMEDIATE
 * transaction with the user_version update, so a crash or a full disk
 * leaves the previous version intact. Steps are append-only: never edit a
 * released one, add the next. Document every step in store.h and stsd(8).
 */
#include "config.h"

#include <stdio.h>

#include "store_internal.h"

static const char *const steps[] = {
	[1] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"INSERT INTO meta (key, value) VALUES ('created', strftime('%s', 'now'));"
	"CREATE TABLE policies ("
	" domain TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL,"
	" mode TEXT NOT NULL CHECK (mode IN ('enforce', 'testing', 'none')),"
	" max_age INTEGER NOT NULL, mx TEXT NOT NULL,"
	" first_served INTEGER NOT NULL, last_served INTEGER NOT NULL,"
	" PRIMARY KEY (domain, id)) WITHOUT ROWID;"
	"CREATE TABLE fetches ("
	" domain TEXT NOT NULL, id TEXT NOT NULL, day INTEGER NOT NULL,"
	" count INTEGER NOT NULL,"
	" PRIMARY KEY (domain, id, day)) WITHOUT ROWID;",

	[2] =
	"CREATE TABLE domains ("
	" domain TEXT PRIMARY KEY, first_served INTEGER NOT NULL,"
	" max_age_max INTEGER NOT NULL,"
	" last_active_served INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"INSERT INTO domains (domain, first_served, max_age_max, last_active_served)"
	" SELECT domain, min(first_served), max(max_age),"
	" coalesce(max(CASE WHEN mode <> 'none' THEN last_served END), 0)"
	" FROM policies GROUP BY domain;"
	"ALTER TABLE policies ADD COLUMN last_fetched INTEGER NOT NULL DEFAULT 0;"
	"UPDATE policies SET last_fetched = coalesce((SELECT max(day) * 86400"
	" FROM fetches f WHERE f.domain = policies.domain AND f.id = policies.id), 0);",

	/* TLS reports (store_tlsrpt.c). The JSON is kept whole (bounded by
	 * the parser's limit, checked again here) so that the summaries are
	 * always computed by the same parser from the same bytes; the
	 * columns are what the queries select and deduplicate on. */
	[3] =
	"CREATE TABLE tlsrpt_reports ("
	" id INTEGER PRIMARY KEY,"
	" org TEXT NOT NULL, report_id TEXT NOT NULL,"
	" day INTEGER NOT NULL, begin_time INTEGER NOT NULL,"
	" end_time INTEGER NOT NULL, received INTEGER NOT NULL,"
	" source TEXT NOT NULL,"
	" json BLOB NOT NULL CHECK (length(json) <= 5242880),"
	" UNIQUE (org, report_id));"
	"CREATE INDEX tlsrpt_reports_day ON tlsrpt_reports (day);"
	"CREATE TABLE tlsrpt_domains ("
	" domain TEXT NOT NULL, day INTEGER NOT NULL, report INTEGER NOT NULL,"
	" PRIMARY KEY (domain, day, report)) WITHOUT ROWID;"
	"CREATE INDEX tlsrpt_domains_report ON tlsrpt_domains (report);",
};

_Static_assert(sizeof(steps) / sizeof(steps[0]) == STORE_SCHEMA_VERSION + 1,
               "one migration step per schema version");

const char *store_schema_step(int v)
{
	return v >= 1 && v <= STORE_SCHEMA_VERSION ? steps[v] : NULL;
}

int store_user_version(struct store *s, int *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);

	*out = 0;
	if (rc != SQLITE_OK)
		return store_fail(s, rc, "reading the schema version");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, "reading the schema version");
	return STORE_OK;
}

/* Runs step v unless another connection did it first: the version is read
 * again under the write lock that BEGIN IMMEDIATE takes. */
static int run_step(struct store *s, int v)
{
	char sql[64], what[64];
	int rc, cur = -1;

	snprintf(what, sizeof(what), "migrating to schema version %d", v);
	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, what);
	if ((rc = store_user_version(s, &cur)) != STORE_OK) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	/* PRAGMA takes no bound parameters; v is our own small integer. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	rc = SQLITE_OK;
	if (cur == v - 1) {
		rc = sqlite3_exec(s->db, steps[v], NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		int ret = store_fail(s, rc, what);

		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return ret;
	}
	return STORE_OK;
}

int store_migrate(struct store *s)
{
	char what[128];
	int v, rc;

	if ((rc = store_user_version(s, &v)) != STORE_OK)
		return rc;
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(what, sizeof(what), "schema version %d is newer than this "
		         "stsd knows (%d); refusing to use it", v, STORE_SCHEMA_VERSION);
		return store_fail(s, SQLITE_OK, what);
	}
	if (v < STORE_SCHEMA_VERSION && (s->flags & STORE_READONLY)) {
		snprintf(what, sizeof(what), "schema version %d is older than this "
		         "stsd's (%d): start stsd once to upgrade it",
		         v, STORE_SCHEMA_VERSION);
		return store_fail(s, SQLITE_OK, what);
	}
	/* Another process may be migrating at the same time: each step checks
	 * the version again under the write lock. */
	while (v < STORE_SCHEMA_VERSION) {
		if ((rc = run_step(s, v + 1)) != STORE_OK)
			return rc;
		if ((rc = store_user_version(s, &v)) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}
