/*
 * store_tlsrpt: adding, reading and pruning TLS reports (see
 * store_tlsrpt.h; the tables are step 3 of store_schema.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "store_tlsrpt.h"

/* The deduplication key's organisation: ASCII lowercase, as
 * tlsrpt_same_report() compares it. Caller frees; NULL on ENOMEM. */
static char *org_key(const char *org)
{
	char *k = strdup(org);

	for (char *p = k; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return k;
}

/* Indexes the report (rowid `id`) under each domain once. */
static int add_domains(struct store *s, int64_t id, int64_t day,
                       const struct tlsrpt_report *r,
                       const char *const *domains, size_t n)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO tlsrpt_domains (domain, day, report)"
		" VALUES (?1, ?2, ?3)";
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_prepare(s, sql, &st)) != STORE_OK)
		return rc;
	sqlite3_bind_int64(st, 2, day);
	sqlite3_bind_int64(st, 3, id);
	if (n > 0) {
		for (size_t i = 0; rc == STORE_OK && i < n; i++) {
			sqlite3_bind_text(st, 1, domains[i], -1, SQLITE_STATIC);
			rc = store_step_done(s, st, "indexing a TLS report");
		}
	} else {
		for (size_t i = 0; rc == STORE_OK && i < r->n_policies; i++) {
			sqlite3_bind_text(st, 1, r->policies[i].domain, -1,
			                  SQLITE_STATIC);
			rc = store_step_done(s, st, "indexing a TLS report");
		}
	}
	sqlite3_finalize(st);
	return rc;
}

static enum store_tlsrpt_result result_of(int rc)
{
	return rc == STORE_BUSY ? STORE_TLSRPT_BUSY : STORE_TLSRPT_ERROR;
}

enum store_tlsrpt_result store_tlsrpt_add(struct store *s,
                                          const struct tlsrpt_report *r,
                                          const char *const *domains, size_t n,
                                          const char *json, size_t len,
                                          const char *source, int64_t now)
{
	/* ON CONFLICT DO NOTHING: a duplicate is no error, and changes()
	 * tells it apart. */
	static const char sql[] =
		"INSERT INTO tlsrpt_reports (org, report_id, day, begin_time,"
		" end_time, received, source, json)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		" ON CONFLICT (org, report_id) DO NOTHING";
	sqlite3_stmt *st = NULL;
	char *org;
	int rc;
	bool dup = false;

	if ((rc = store_ensure(s)) != STORE_OK)
		return result_of(rc);
	if (len > TLSRPT_JSON_MAX) {
		store_fail(s, SQLITE_OK, "a TLS report larger than the limit");
		return STORE_TLSRPT_ERROR;
	}
	if ((org = org_key(r->organization)) == NULL) {
		store_fail(s, SQLITE_NOMEM, "storing a TLS report");
		return STORE_TLSRPT_ERROR;
	}
	if ((rc = store_begin_write(s)) != STORE_OK) {
		free(org);
		return result_of(store_failed(s, rc));
	}
	rc = store_prepare(s, sql, &st);
	if (rc == STORE_OK) {
		sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->report_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->day);
		sqlite3_bind_int64(st, 4, r->begin);
		sqlite3_bind_int64(st, 5, r->end);
		sqlite3_bind_int64(st, 6, now);
		sqlite3_bind_text(st, 7, source ? source : "", -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 8, json, (int)len, SQLITE_STATIC);
		rc = store_step_done(s, st, "storing a TLS report");
	}
	sqlite3_finalize(st);
	if (rc == STORE_OK) {
		dup = sqlite3_changes(s->db) == 0;
		if (!dup)
			rc = add_domains(s, sqlite3_last_insert_rowid(s->db),
			                 r->day, r, domains, n);
	}
	if (rc == STORE_OK)
		rc = store_commit(s);
	free(org);
	if (rc != STORE_OK) {
		store_rollback(s);
		return result_of(store_failed(s, rc));
	}
	return dup ? STORE_TLSRPT_DUPLICATE : STORE_TLSRPT_STORED;
}

/* The domains as a JSON array for json_each(), one bound parameter for
 * any number of them. Caller frees; NULL on ENOMEM. */
static char *json_array(const char *const *domains, size_t n)
{
	size_t cap = 3, off = 0;
	char *out;

	for (size_t i = 0; i < n; i++)
		cap += 2 * strlen(domains[i]) + 3;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	out[off++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			out[off++] = ',';
		out[off++] = '"';
		for (const char *p = domains[i]; *p; p++) {
			/* Normalised names have neither, but a caller's
			 * mistake must not break the query. Control
			 * characters cannot be in a name: dropped. */
			if ((unsigned char)*p < 0x20)
				continue;
			if (*p == '"' || *p == '\\')
				out[off++] = '\\';
			out[off++] = *p;
		}
		out[off++] = '"';
	}
	out[off++] = ']';
	out[off] = '\0';
	return out;
}

int store_tlsrpt_reports(struct store *s, const char *const *domains,
                         size_t n, int64_t since, store_tlsrpt_cb cb,
                         void *arg)
{
	static const char sql_all[] =
		"SELECT json FROM tlsrpt_reports WHERE day >= ?2 ORDER BY day, id";
	static const char sql_some[] =
		"SELECT json FROM tlsrpt_reports WHERE day >= ?2 AND id IN"
		" (SELECT report FROM tlsrpt_domains WHERE day >= ?2 AND domain IN"
		" (SELECT value FROM json_each(?1))) ORDER BY day, id";
	sqlite3_stmt *st = NULL;
	char *list = NULL;
	int rc, step, stop = 0;

	if ((rc = store_ensure(s)) != STORE_OK)
		return rc;
	if (n > 0 && (list = json_array(domains, n)) == NULL)
		return store_fail(s, SQLITE_NOMEM, "reading TLS reports");
	if ((rc = store_prepare(s, n > 0 ? sql_some : sql_all, &st)) != STORE_OK) {
		free(list);
		return store_failed(s, rc);
	}
	if (list)
		sqlite3_bind_text(st, 1, list, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *json = sqlite3_column_blob(st, 0);
		int len = sqlite3_column_bytes(st, 0);

		if (json == NULL || len <= 0)
			continue;   /* NOT NULL column: only a hand-edited file */
		if ((stop = cb(arg, json, (size_t)len)) != 0)
			break;
	}
	if (stop == 0 && step != SQLITE_DONE)
		rc = store_fail(s, step, "reading TLS reports");
	sqlite3_finalize(st);
	free(list);
	if (rc != STORE_OK)
		return store_failed(s, rc);
	return stop;
}

int store_tlsrpt_prune(struct store *s, unsigned keep_days, int64_t now,
                       uint64_t *deleted)
{
	static const char sql_dom[] = "DELETE FROM tlsrpt_domains WHERE day < ?1";
	static const char sql_rep[] = "DELETE FROM tlsrpt_reports WHERE day < ?1";
	sqlite3_stmt *dom = NULL, *rep = NULL;
	int64_t first = store_day_of(now) - (int64_t)keep_days + 1;
	int rc;

	if (deleted)
		*deleted = 0;
	if ((rc = store_ensure(s)) != STORE_OK)
		return rc;
	if ((rc = store_begin_write(s)) != STORE_OK)
		return store_failed(s, rc);
	rc = store_prepare(s, sql_dom, &dom);
	if (rc == STORE_OK)
		rc = store_prepare(s, sql_rep, &rep);
	if (rc == STORE_OK) {
		sqlite3_bind_int64(dom, 1, first);
		rc = store_step_done(s, dom, "pruning TLS reports");
	}
	if (rc == STORE_OK) {
		sqlite3_bind_int64(rep, 1, first);
		rc = store_step_done(s, rep, "pruning TLS reports");
	}
	if (rc == STORE_OK && deleted)
		*deleted = (uint64_t)sqlite3_changes(s->db);
	sqlite3_finalize(dom);
	sqlite3_finalize(rep);
	if (rc == STORE_OK)
		rc = store_commit(s);
	if (rc != STORE_OK) {
		store_rollback(s);
		return store_failed(s, rc);
	}
	return STORE_OK;
}
