/*
 * store: the SQLite state database (see store.h for the schema and the
 * error contract).
 *
 * Recovery is built into every call: a call first makes sure a connection
 * to the file at the path is open (reopening it when the file was deleted
 * or replaced since), and any error other than "busy" drops the
 * connection, so the next call starts from a fresh open. A fault that has
 * cleared (disk space freed, file made writable, corrupt file removed) is
 * therefore gone at the next call, without the caller doing anything but
 * calling again.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"

/* ---- errors and the connection ----------------------------------------- */

int store_fail(struct store *s, int code, const char *what)
{
	int primary = code & 0xff;

	if (code == SQLITE_OK)
		snprintf(s->err, sizeof(s->err), "%s: %s", s->path, what);
	else
		snprintf(s->err, sizeof(s->err), "%s: %s: %s", s->path, what,
		         s->db && sqlite3_errcode(s->db) == code ?
		         sqlite3_errmsg(s->db) : sqlite3_errstr(code));
	return primary == SQLITE_BUSY || primary == SQLITE_LOCKED ? STORE_BUSY
	                                                          : STORE_ERROR;
}

static void disconnect(struct store *s)
{
	/* close_v2: a statement left behind by a bug cannot keep it open. */
	sqlite3_close_v2(s->db);
	s->db = NULL;
}

/* Runs a statement that returns at most one row we do not need. */
static int exec1(struct store *s, const char *sql, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? STORE_OK : store_fail(s, rc, what);
}

/* The identity of s->path + suffix, or zeros when it does not exist. */
static void file_id(const struct store *s, const char *suffix, dev_t *dev,
                    ino_t *ino)
{
	char p[4096];
	struct stat st;

	*dev = 0;
	*ino = 0;
	if ((size_t)snprintf(p, sizeof(p), "%s%s", s->path, suffix) < sizeof(p) &&
	    stat(p, &st) == 0) {
		*dev = st.st_dev;
		*ino = st.st_ino;
	}
}

static void unlink_if(const struct store *s, const char *suffix, dev_t dev,
                      ino_t ino)
{
	char p[4096];
	dev_t now_dev;
	ino_t now_ino;

	file_id(s, suffix, &now_dev, &now_ino);
	if (ino != 0 && now_ino == ino && now_dev == dev &&
	    (size_t)snprintf(p, sizeof(p), "%s%s", s->path, suffix) < sizeof(p))
		unlink(p);
}

/* Removes the -wal and -shm files this connection used. SQLite keeps them
 * when the database was deleted or renamed under an open connection; left
 * there, the next open would replay our old pages over whatever file is
 * now at the path. Only the very files we had: a -wal that another handle
 * has created since for the new file is left alone. */
static void remove_stale_wal(struct store *s)
{
	unlink_if(s, "-wal", s->wal_dev, s->wal_ino);
	unlink_if(s, "-shm", s->shm_dev, s->shm_ino);
}

static int db_connect(struct store *s)
{
	bool ro = s->flags & STORE_READONLY;
	struct stat st;
	int rc;

	if (ro && stat(s->path, &st) != 0) {
		char what[128];

		snprintf(what, sizeof(what), "%s", errno == ENOENT ?
		         "no history yet (the database does not exist)" : strerror(errno));
		return store_fail(s, SQLITE_OK, what);
	}
	rc = sqlite3_open_v2(s->path, &s->db,
	                     ro ? SQLITE_OPEN_READONLY
	                        : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		rc = store_fail(s, rc, "cannot open");
		disconnect(s);
		return rc;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, s->busy_ms);
	/* WAL: readers (--history, the status page) never wait for the writer.
	 * synchronous=NORMAL is durable across a crash of stsd, and loses at
	 * most the last flushes on power loss: history, not policies. */
	rc = ro ? STORE_OK : exec1(s, "PRAGMA journal_mode = WAL", "setting WAL mode");
	if (rc == STORE_OK && !ro)
		rc = exec1(s, "PRAGMA synchronous = NORMAL", "setting synchronous");
	if (rc == STORE_OK)
		rc = store_migrate(s);
	if (rc == STORE_OK && stat(s->path, &st) != 0) {
		char what[128];

		snprintf(what, sizeof(what), "stat: %s", strerror(errno));
		rc = store_fail(s, SQLITE_OK, what);
	}
	if (rc != STORE_OK) {
		disconnect(s);
		return rc;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	file_id(s, "-wal", &s->wal_dev, &s->wal_ino);
	file_id(s, "-shm", &s->shm_dev, &s->shm_ino);
	return STORE_OK;
}

/* An open connection to the file now at s->path. */
static int ensure(struct store *s)
{
	struct stat st;

	s->err[0] = '\0';
	if (s->db != NULL && (stat(s->path, &st) != 0 || st.st_dev != s->dev ||
	                      st.st_ino != s->ino)) {
		/* Deleted or replaced (lost, or restored from a backup): drop
		 * our connection and its log, and use what is there now. */
		disconnect(s);
		remove_stale_wal(s);
	}
	return s->db != NULL ? STORE_OK : db_connect(s);
}

/* Ends a call that failed: busy keeps the connection, anything else drops
 * it so that the next call reopens. */
static int failed(struct store *s, int rc)
{
	if (rc == STORE_ERROR)
		disconnect(s);
	return rc;
}

static int prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? STORE_OK : store_fail(s, rc, "preparing a query");
}

/* Starts a write transaction (IMMEDIATE: the lock is taken now, so a busy
 * database is found here and not half-way through). */
static int begin_write(struct store *s)
{
	if (s->flags & STORE_READONLY)
		return store_fail(s, SQLITE_OK, "opened read-only");
	return exec1(s, "BEGIN IMMEDIATE", "starting a transaction");
}

static int commit(struct store *s)
{
	return exec1(s, "COMMIT", "committing");
}

static void rollback(struct store *s)
{
	if (s->db != NULL && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Steps a statement that returns no rows, and resets it for the next use. */
static int step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		rc = store_fail(s, rc, what);
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	return STORE_OK;
}

/* ---- open and close ---------------------------------------------------- */

struct store *store_open(const char *dir, unsigned flags, int *rc_out,
                         char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	size_t len = strlen(dir) + sizeof("/" STORE_FILE);
	int rc = STORE_ERROR;

	if (errlen > 0)
		err[0] = '\0';
	if (s != NULL)
		s->path = malloc(len);
	if (s == NULL || s->path == NULL) {
		if (errlen > 0)
			snprintf(err, errlen, "%s/%s: out of memory", dir, STORE_FILE);
		goto fail;
	}
	snprintf(s->path, len, "%s/%s", dir, STORE_FILE);
	s->flags = flags;
	s->busy_ms = STORE_DEFAULT_BUSY_MS;
	rc = db_connect(s);
	if (rc == STORE_OK) {
		if (rc_out)
			*rc_out = STORE_OK;
		return s;
	}
	if (errlen > 0)
		snprintf(err, errlen, "%s", s->err);
fail:
	if (rc_out)
		*rc_out = rc;
	store_close(s);
	return NULL;
}

/* The rest of store_check, on an open read-only handle. */
static int check_open(struct store *s, char *msg, size_t len)
{
	sqlite3_stmt *st = NULL;
	const char *verdict = NULL;
	int64_t domains = 0;
	int v = 0, rc, step;

	if ((rc = store_user_version(s, &v)) != STORE_OK)
		return rc;
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(msg, len, "%s: schema version %d is newer than this stsd "
		         "knows (%d)", s->path, v, STORE_SCHEMA_VERSION);
		return STORE_ERROR;
	}
	/* quick_check reads every page once: a few tenths of a second at
	 * 100 000 domains. */
	if ((rc = prepare(s, "PRAGMA quick_check(1)", &st)) != STORE_OK)
		return rc;
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		rc = store_fail(s, step, "checking");
		snprintf(msg, len, "%s", s->err);
	} else if ((verdict = (const char *)sqlite3_column_text(st, 0)) == NULL ||
	           strcmp(verdict, "ok") != 0) {
		snprintf(msg, len, "%s: damaged: %s", s->path,
		         verdict ? verdict : "(no verdict)");
		for (char *nl = strchr(msg, '\n'); nl; nl = strchr(nl, '\n'))
			*nl = ' ';  /* one log line */
		rc = STORE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc != STORE_OK)
		return rc;
	if (v < STORE_SCHEMA_VERSION) {
		snprintf(msg, len, "%s: will be upgraded from schema version %d "
		         "to %d at start", s->path, v, STORE_SCHEMA_VERSION);
		return STORE_OK;
	}
	if ((rc = prepare(s, "SELECT count(*) FROM domains", &st)) != STORE_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		domains = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	snprintf(msg, len, "%s: schema version %d, %lld domain%s", s->path, v,
	         (long long)domains, domains == 1 ? "" : "s");
	return STORE_OK;
}

int store_check(const char *dir, char *msg, size_t len)
{
	struct store s = { .flags = STORE_READONLY, .busy_ms = STORE_DEFAULT_BUSY_MS };
	char path[4096];
	struct stat st;
	int rc;

	if (len > 0)
		msg[0] = '\0';
	if (stat(dir, &st) != 0) {
		snprintf(msg, len, "state directory %s: %s", dir, strerror(errno));
		return STORE_ERROR;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(msg, len, "state directory %s: not a directory", dir);
		return STORE_ERROR;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE) >=
	    sizeof(path)) {
		snprintf(msg, len, "state directory %s: name too long", dir);
		return STORE_ERROR;
	}
	s.path = path;
	if (stat(s.path, &st) != 0) {
		int e = errno;

		rc = STORE_ERROR;
		if (e != ENOENT)
			snprintf(msg, len, "%s: %s", s.path, strerror(e));
		else if (access(dir, W_OK | X_OK) != 0)
			snprintf(msg, len, "state directory %s: not writable: %s",
			         dir, strerror(errno));
		else {
			snprintf(msg, len, "%s: will be created", s.path);
			rc = STORE_OK;
		}
		return rc;
	}
	rc = sqlite3_open_v2(s.path, &s.db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(s.db, 1);
		sqlite3_busy_timeout(s.db, s.busy_ms);
		rc = check_open(&s, msg, len);
	} else {
		rc = store_fail(&s, rc, "cannot open");
	}
	if (rc != STORE_OK && msg[0] == '\0')
		snprintf(msg, len, "%s", s.err);
	disconnect(&s);
	return rc;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	disconnect(s);
	free(s->path);
	free(s);
}

const char *store_errmsg(const struct store *s)
{
	return s->err;
}

void store_set_busy_timeout(struct store *s, int ms)
{
	s->busy_ms = ms < 0 ? 0 : ms;
	if (s->db != NULL)
		sqlite3_busy_timeout(s->db, s->busy_ms);
}

const char *store_path(const struct store *s)
{
	return s->path;
}

/* ---- recording what is served ------------------------------------------ */

static const char sql_upsert_policy[] =
	"INSERT INTO policies (domain, id, body, mode, max_age, mx,"
	" first_served, last_served)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
	" ON CONFLICT (domain, id) DO UPDATE SET"
	" body = excluded.body, mode = excluded.mode, max_age = excluded.max_age,"
	" mx = excluded.mx, first_served = min(first_served, excluded.first_served),"
	" last_served = max(last_served, excluded.last_served)";

static const char sql_upsert_domain[] =
	"INSERT INTO domains (domain, first_served, max_age_max, last_active_served)"
	" VALUES (?1, ?2, ?3, ?4)"
	" ON CONFLICT (domain) DO UPDATE SET"
	" first_served = min(first_served, excluded.first_served),"
	" max_age_max = max(max_age_max, excluded.max_age_max),"
	" last_active_served = max(last_active_served, excluded.last_active_served)";

/* The mx patterns joined by "\n" (malloc'd), or NULL on ENOMEM. */
static char *join_mx(const struct policy *p)
{
	size_t len = 1, off = 0;
	char *out;

	for (size_t i = 0; i < p->n_mx; i++)
		len += strlen(p->mx[i]) + 1;
	if ((out = malloc(len)) == NULL)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < p->n_mx; i++) {
		size_t l = strlen(p->mx[i]);

		if (i > 0)
			out[off++] = '\n';
		memcpy(out + off, p->mx[i], l + 1);
		off += l;
	}
	return out;
}

static int record_one(struct store *s, sqlite3_stmt *pol, sqlite3_stmt *dom,
                      const struct policy *p, int64_t now)
{
	char *mx = join_mx(p);
	int rc;

	if (mx == NULL)
		return store_fail(s, SQLITE_NOMEM, "recording a policy");
	sqlite3_bind_text(pol, 1, p->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(pol, 2, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(pol, 3, p->body ? p->body : "", (int)p->body_len, SQLITE_STATIC);
	sqlite3_bind_text(pol, 4, policy_mode_name(p->mode), -1, SQLITE_STATIC);
	sqlite3_bind_int64(pol, 5, p->max_age);
	sqlite3_bind_text(pol, 6, mx, -1, SQLITE_STATIC);
	sqlite3_bind_int64(pol, 7, now);
	rc = step_done(s, pol, "recording a policy");
	sqlite3_clear_bindings(pol);
	free(mx);
	if (rc != STORE_OK)
		return rc;
	sqlite3_bind_text(dom, 1, p->domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(dom, 2, now);
	sqlite3_bind_int64(dom, 3, p->max_age);
	sqlite3_bind_int64(dom, 4, p->mode == POLICY_MODE_NONE ? 0 : now);
	return step_done(s, dom, "recording a domain");
}

/* Policies per transaction: recording is idempotent, so a long list is
 * split, and another writer (a report import) never waits for more than
 * one chunk (about 0.1 s on a laptop disk). */
#define RECORD_CHUNK 4096

static int record_chunk(struct store *s, const struct policy *const *list,
                        size_t n, int64_t now)
{
	sqlite3_stmt *pol = NULL, *dom = NULL;
	int rc;

	if ((rc = begin_write(s)) != STORE_OK)
		return rc;
	rc = prepare(s, sql_upsert_policy, &pol);
	if (rc == STORE_OK)
		rc = prepare(s, sql_upsert_domain, &dom);
	for (size_t i = 0; rc == STORE_OK && i < n; i++)
		rc = record_one(s, pol, dom, list[i], now);
	sqlite3_finalize(pol);
	sqlite3_finalize(dom);
	if (rc == STORE_OK)
		rc = commit(s);
	if (rc != STORE_OK)
		rollback(s);
	return rc;
}

int store_record_policies(struct store *s, const struct policy *const *list,
                          size_t n, int64_t now)
{
	int rc;

	if ((rc = ensure(s)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i += RECORD_CHUNK) {
		size_t len = n - i < RECORD_CHUNK ? n - i : RECORD_CHUNK;

		if ((rc = record_chunk(s, list + i, len, now)) != STORE_OK)
			return failed(s, rc);
	}
	return STORE_OK;
}

int store_record_conf(struct store *s, const struct conf *c, int64_t now)
{
	const struct policy **list = malloc((c->n_domains + 1) * sizeof(*list));
	int rc;

	if (list == NULL) {
		s->err[0] = '\0';
		return store_fail(s, SQLITE_NOMEM, "recording the configuration");
	}
	for (size_t i = 0; i < c->n_domains; i++)
		list[i] = &c->domains[i].policy;
	rc = store_record_policies(s, list, c->n_domains, now);
	free(list);
	return rc;
}

/* ---- fetch counts ------------------------------------------------------ */

static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

int store_add_fetches(struct store *s, const struct store_fetch *f, size_t n)
{
	static const char sql_add[] =
		"INSERT INTO fetches (domain, id, day, count) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (domain, id, day) DO UPDATE SET count = count + excluded.count";
	static const char sql_last[] =
		"UPDATE policies SET last_fetched = max(last_fetched, ?3)"
		" WHERE domain = ?1 AND id = ?2";
	sqlite3_stmt *add = NULL, *last = NULL;
	int rc;

	if ((rc = ensure(s)) != STORE_OK)
		return rc;
	if ((rc = begin_write(s)) != STORE_OK)
		return failed(s, rc);
	rc = prepare(s, sql_add, &add);
	if (rc == STORE_OK)
		rc = prepare(s, sql_last, &last);
	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		if (f[i].count == 0)
			continue;
		sqlite3_bind_text(add, 1, f[i].domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(add, 2, f[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(add, 3, day_of(f[i].when));
		sqlite3_bind_int64(add, 4, f[i].count > INT64_MAX ? INT64_MAX
		                                                  : (int64_t)f[i].count);
		rc = step_done(s, add, "adding fetch counts");
		if (rc != STORE_OK)
			break;
		sqlite3_bind_text(last, 1, f[i].domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(last, 2, f[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(last, 3, f[i].when);
		rc = step_done(s, last, "updating last_fetched");
	}
	sqlite3_finalize(add);
	sqlite3_finalize(last);
	if (rc == STORE_OK)
		rc = commit(s);
	if (rc != STORE_OK) {
		rollback(s);
		return failed(s, rc);
	}
	return STORE_OK;
}

int store_fetch_counts(struct store *s, const char *domain, int64_t now,
                       unsigned days, store_fetch_cb cb, void *arg)
{
	static const char sql_one[] =
		"SELECT domain, id, day, count FROM fetches"
		" WHERE domain = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day, id";
	static const char sql_all[] =
		"SELECT domain, id, day, count FROM fetches"
		" WHERE day >= ?2 AND day <= ?3 ORDER BY domain, day, id";
	sqlite3_stmt *st;
	int rc, step, stop = 0;

	if ((rc = ensure(s)) != STORE_OK)
		return rc;
	if (days == 0)
		return STORE_OK;
	if ((rc = prepare(s, domain ? sql_one : sql_all, &st)) != STORE_OK)
		return failed(s, rc);
	if (domain)
		sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, day_of(now) - (int64_t)days + 1);
	sqlite3_bind_int64(st, 3, day_of(now));
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 0);
		const char *id = (const char *)sqlite3_column_text(st, 1);
		int64_t count = sqlite3_column_int64(st, 3);

		if (d == NULL || id == NULL)
			continue;   /* NOT NULL columns: only a hand-edited file */
		stop = cb(arg, d, id, sqlite3_column_int64(st, 2),
		          count < 0 ? 0 : (uint64_t)count);
		if (stop != 0)
			break;
	}
	if (stop == 0 && step != SQLITE_DONE)
		rc = store_fail(s, step, "reading fetch counts");
	sqlite3_finalize(st);
	if (rc != STORE_OK)
		return failed(s, rc);
	return stop;
}

int store_prune_fetches(struct store *s, unsigned keep_days, int64_t now,
                        uint64_t *deleted)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (deleted)
		*deleted = 0;
	if ((rc = ensure(s)) != STORE_OK)
		return rc;
	if ((rc = begin_write(s)) != STORE_OK)
		return failed(s, rc);
	rc = prepare(s, "DELETE FROM fetches WHERE day < ?1", &st);
	if (rc == STORE_OK) {
		sqlite3_bind_int64(st, 1, day_of(now) - (int64_t)keep_days + 1);
		rc = step_done(s, st, "pruning fetch counts");
	}
	if (rc == STORE_OK && deleted)
		*deleted = (uint64_t)sqlite3_changes(s->db);
	sqlite3_finalize(st);
	if (rc == STORE_OK)
		rc = commit(s);
	if (rc != STORE_OK) {
		rollback(s);
		return failed(s, rc);
	}
	return STORE_OK;
}

/* ---- history ----------------------------------------------------------- */

static const char sql_history_cols[] =
	"SELECT domain, id, body, mode, max_age, mx, first_served, last_served,"
	" last_fetched, (SELECT coalesce(sum(count), 0) FROM fetches f"
	" WHERE f.domain = p.domain AND f.id = p.id) FROM policies p";

/* Splits "a\nb" into a vector of copies. -1 on ENOMEM. */
static int split_mx(const char *text, struct history_policy *p)
{
	const char *at = text;

	if (text == NULL || *text == '\0')
		return 0;
	for (;;) {
		const char *nl = strchr(at, '\n');
		size_t len = nl ? (size_t)(nl - at) : strlen(at);
		char **mx = realloc(p->mx, (p->n_mx + 1) * sizeof(*mx));

		if (mx == NULL)
			return -1;
		p->mx = mx;
		if ((mx[p->n_mx] = strndup(at, len)) == NULL)
			return -1;
		p->n_mx++;
		if (nl == NULL)
			return 0;
		at = nl + 1;
	}
}

/* Appends the policy in the current row to d. */
static int take_policy(struct store *s, sqlite3_stmt *st, struct history_domain *d)
{
	struct history_policy *grown, *p;
	const char *id = (const char *)sqlite3_column_text(st, 1);
	const char *mode = (const char *)sqlite3_column_text(st, 3);
	const void *body = sqlite3_column_blob(st, 2);
	size_t body_len = (size_t)sqlite3_column_bytes(st, 2);
	int64_t max_age = sqlite3_column_int64(st, 4);
	enum policy_mode m;

	/* The file is ours, but a damaged or hand-edited one must not make
	 * the numbers wrong: refuse what we would never have written. */
	if (id == NULL || policy_id_check(id) != NULL || mode == NULL ||
	    policy_mode_parse(mode, &m) != NULL || max_age < 0 ||
	    max_age > POLICY_MAX_AGE_MAX)
		return store_fail(s, SQLITE_OK, "a policies row is not valid "
		                  "(damaged database?)");
	grown = realloc(d->policies, (d->n_policies + 1) * sizeof(*grown));
	if (grown == NULL)
		return store_fail(s, SQLITE_NOMEM, "reading history");
	d->policies = grown;
	p = &grown[d->n_policies++];
	*p = (struct history_policy){
		.mode = m,
		.max_age = (uint32_t)max_age,
		.first_served = sqlite3_column_int64(st, 6),
		.last_served = sqlite3_column_int64(st, 7),
		.last_fetched = sqlite3_column_int64(st, 8),
		.fetches = (uint64_t)sqlite3_column_int64(st, 9),
		.body_len = body_len,
	};
	snprintf(p->id, sizeof(p->id), "%s", id);
	if ((p->body = malloc(body_len + 1)) == NULL ||
	    split_mx((const char *)sqlite3_column_text(st, 5), p) != 0)
		return store_fail(s, SQLITE_NOMEM, "reading history");
	if (body_len > 0)
		memcpy(p->body, body, body_len);
	p->body[body_len] = '\0';
	return STORE_OK;
}

static struct history_domain *add_domain(struct history *h, const char *name)
{
	struct history_domain *grown = realloc(h->domains,
	                                       (h->n_domains + 1) * sizeof(*grown));

	if (grown == NULL)
		return NULL;
	h->domains = grown;
	grown[h->n_domains] = (struct history_domain){ .domain = strdup(name) };
	if (grown[h->n_domains].domain == NULL)
		return NULL;
	return &grown[h->n_domains++];
}

/* Reads every row of st into h, starting a new domain when the name
 * changes (rows are ordered by domain). */
static int read_rows(struct store *s, sqlite3_stmt *st, struct history *h,
                     struct history_domain *d)
{
	int step = SQLITE_DONE, rc = STORE_OK;

	while (rc == STORE_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (name == NULL)
			continue;
		if (d == NULL || strcmp(d->domain, name) != 0)
			if ((d = add_domain(h, name)) == NULL)
				return store_fail(s, SQLITE_NOMEM, "reading history");
		rc = take_policy(s, st, d);
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_fail(s, step, "reading history");
	sqlite3_reset(st);
	return rc;
}

int store_history(struct store *s, const char *const *domains, size_t n,
                  struct history *out)
{
	char sql[512];
	sqlite3_stmt *st = NULL;
	int rc;

	*out = (struct history){ 0 };
	if ((rc = ensure(s)) != STORE_OK)
		return rc;
	snprintf(sql, sizeof(sql), "%s %s", sql_history_cols,
	         n == 0 ? "ORDER BY domain, first_served, id"
	                : "WHERE domain = ?1 ORDER BY first_served, id");
	/* One read transaction: one consistent picture of every domain. */
	rc = exec1(s, "BEGIN", "starting a read transaction");
	if (rc == STORE_OK)
		rc = prepare(s, sql, &st);
	if (rc == STORE_OK && n == 0)
		rc = read_rows(s, st, out, NULL);
	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		struct history_domain *d = add_domain(out, domains[i]);

		if (d == NULL) {
			rc = store_fail(s, SQLITE_NOMEM, "reading history");
			break;
		}
		sqlite3_bind_text(st, 1, domains[i], -1, SQLITE_STATIC);
		rc = read_rows(s, st, out, d);
	}
	sqlite3_finalize(st);
	if (rc == STORE_OK)
		rc = commit(s);
	if (rc != STORE_OK) {
		rollback(s);
		return failed(s, rc);
	}
	return STORE_OK;
}

/* The facts in a row of (first_served, max_age_max, last_active_served)
 * starting at column `col`. */
static void take_facts(sqlite3_stmt *st, int col, struct retire_facts *out)
{
	int64_t max_age = sqlite3_column_int64(st, col + 1);

	out->known = true;
	out->first_served = sqlite3_column_int64(st, col);
	out->largest_max_age = max_age < 0 ? 0 : max_age > UINT32_MAX ?
	                       UINT32_MAX : (uint32_t)max_age;
	out->last_active_served = sqlite3_column_int64(st, col + 2);
	out->ever_active = out->last_active_served != 0;
}

int store_retire_facts(struct store *s, const char *domain,
                       struct retire_facts *out)
{
	static const char sql[] =
		"SELECT first_served, max_age_max, last_active_served FROM domains"
		" WHERE domain = ?1";
	sqlite3_stmt *st;
	int rc, step;

	*out = (struct retire_facts){ 0 };
	if ((rc = ensure(s)) != STORE_OK)
		return rc;
	if ((rc = prepare(s, sql, &st)) != STORE_OK)
		return failed(s, rc);
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		take_facts(st, 0, out);
	else if (step != SQLITE_DONE)
		rc = store_fail(s, step, "reading retirement facts");
	sqlite3_finalize(st);
	return rc == STORE_OK ? STORE_OK : failed(s, rc);
}

/*
 * Runs `sql` and calls row(arg, st) for each row until it returns non-zero.
 * That value, 0 after the last row, or a STORE_ error (reading `what`).
 */
static int each_row(struct store *s, const char *sql, const char *what,
                    int (*row)(void *arg, sqlite3_stmt *st), void *arg)
{
	sqlite3_stmt *st;
	int rc, step, stop = 0;

	if ((rc = ensure(s)) != STORE_OK)
		return rc;
	if ((rc = prepare(s, sql, &st)) != STORE_OK)
		return failed(s, rc);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if ((stop = row(arg, st)) != 0)
			break;
	if (stop == 0 && step != SQLITE_DONE)
		rc = store_fail(s, step, what);
	sqlite3_finalize(st);
	if (rc != STORE_OK)
		return failed(s, rc);
	return stop;
}

struct retire_walk {
	store_retire_cb cb;
	void *arg;
};

static int retire_row(void *arg, sqlite3_stmt *st)
{
	const struct retire_walk *w = arg;
	const char *domain = (const char *)sqlite3_column_text(st, 0);
	struct retire_facts f = { 0 };

	if (domain == NULL)
		return 0;
	take_facts(st, 1, &f);
	return w->cb(w->arg, domain, &f);
}

int store_retire_facts_all(struct store *s, store_retire_cb cb, void *arg)
{
	struct retire_walk w = { cb, arg };

	return each_row(s, "SELECT domain, first_served, max_age_max, "
	                "last_active_served FROM domains ORDER BY domain",
	                "reading retirement facts", retire_row, &w);
}

struct first_served_walk {
	store_first_served_cb cb;
	void *arg;
};

static int first_served_row(void *arg, sqlite3_stmt *st)
{
	const struct first_served_walk *w = arg;
	const char *domain = (const char *)sqlite3_column_text(st, 0);
	const char *id = (const char *)sqlite3_column_text(st, 1);

	if (domain == NULL || id == NULL)
		return 0;
	return w->cb(w->arg, domain, id, sqlite3_column_int64(st, 2));
}

int store_first_served_all(struct store *s, store_first_served_cb cb,
                           void *arg)
{
	struct first_served_walk w = { cb, arg };

	return each_row(s, "SELECT domain, id, first_served FROM policies",
	                "reading first-served times", first_served_row, &w);
}

/* ---- for the other files of the store (store_internal.h) ---------------- */

int store_ensure(struct store *s) { return ensure(s); }
int store_failed(struct store *s, int rc) { return failed(s, rc); }
int store_prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	return prepare(s, sql, st);
}
int store_begin_write(struct store *s) { return begin_write(s); }
int store_commit(struct store *s) { return commit(s); }
void store_rollback(struct store *s) { rollback(s); }
int store_step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	return step_done(s, st, what);
}
int64_t store_day_of(int64_t t) { return day_of(t); }
