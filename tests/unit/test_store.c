/*
 * test_store: the state database on a real SQLite file in a fresh directory
 * under $TMPDIR (or the current directory): WAL and the schema version;
 * first/last served; fetch counts exactly as added (batches, repeats, days,
 * windows); history across close and reopen; retirement facts that survive
 * a body changed under the same id; migration from a version-1 file built
 * here; a newer version refused untouched; and the faults, each giving an
 * error return (never a crash) and each followed by a call that succeeds
 * once the fault is gone: a garbage file, a file replaced or deleted under
 * an open handle, a lock held by another connection, a read-only handle,
 * and (in a private mount namespace, as root or through a user namespace;
 * skipped only when neither is allowed) a read-only file system and a full
 * one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_internal.h"
#include "tap.h"

#define DAY 86400
#define T0 1796302800           /* 2026-12-03T13:00:00Z */

static char base[4096];         /* the test's temporary directory */

static void skip(const char *why)
{
	printf("ok %u # skip %s\n", ++tap_count, why);
}

/* A new empty directory under base. Static storage per call site is not
 * enough: returns a malloc'd path the caller frees. */
static char *subdir(const char *name)
{
	size_t len = strlen(base) + strlen(name) + 2;
	char *p = malloc(len);

	snprintf(p, len, "%s/%s", base, name);
	if (mkdir(p, 0700) != 0)
		printf("# mkdir %s: %s\n", p, strerror(errno));
	return p;
}

static char *dbpath(const char *dir)
{
	size_t len = strlen(dir) + sizeof("/" STORE_FILE);
	char *p = malloc(len);

	snprintf(p, len, "%s/%s", dir, STORE_FILE);
	return p;
}

static struct policy mkpolicy(const char *domain, const char *id,
                              enum policy_mode mode, uint32_t max_age)
{
	static char mx1[] = "mail.example.com", mx2[] = "*.mx.example.com";
	static char *mx[] = { mx1, mx2 };
	struct policy p = { .domain = (char *)(uintptr_t)domain, .mode = mode,
	                    .max_age = max_age, .mx = mx, .n_mx = 2 };
	static char bodies[8][256];
	static unsigned next;
	char *body = bodies[next++ % 8];

	snprintf(p.id, sizeof(p.id), "%s", id);
	snprintf(body, sizeof(bodies[0]), "version: STSv1\r\nmode: %s\r\nmax_age: %u\r\n",
	         policy_mode_name(mode), (unsigned)max_age);
	p.body = body;
	p.body_len = strlen(body);
	return p;
}

static int record(struct store *s, struct policy *p, size_t n, int64_t now)
{
	const struct policy *list[8];

	for (size_t i = 0; i < n; i++)
		list[i] = &p[i];
	return store_record_policies(s, list, n, now);
}

/* Sums what store_fetch_counts reports for one id (or every id: NULL). */
struct sum { const char *id; uint64_t total; unsigned rows; int64_t min_day; };

static int sum_cb(void *arg, const char *domain, const char *id, int64_t day,
                  uint64_t count)
{
	struct sum *s = arg;

	if (s->id == NULL || strcmp(s->id, id) == 0) {
		s->total += count;
		if (s->rows++ == 0 || day < s->min_day)
			s->min_day = day;
	}
	return 0;
}

static uint64_t fetched(struct store *s, const char *domain, const char *id,
                        unsigned days, int64_t now)
{
	struct sum sum = { .id = id };
	int rc = store_fetch_counts(s, domain, now, days, sum_cb, &sum);

	if (rc != STORE_OK)
		printf("# store_fetch_counts: %s\n", store_errmsg(s));
	return sum.total;
}

/* PRAGMA value through a separate connection. */
static long long pragma(const char *path, const char *what, char *text, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char sql[64];
	long long v = -1;

	snprintf(sql, sizeof(sql), "PRAGMA %s", what);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			v = sqlite3_column_int64(st, 0);
			if (text)
				snprintf(text, len, "%s", sqlite3_column_text(st, 0));
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* ---- the normal life of a database ------------------------------------ */

static void test_served_and_history(void)
{
	char *dir = subdir("life"), *path = dbpath(dir), err[STORE_ERR_LEN], mode[16];
	struct policy p[2] = { mkpolicy("example.com", "1", POLICY_MODE_TESTING, DAY),
	                       mkpolicy("example.org", "7", POLICY_MODE_ENFORCE, 7 * DAY) };
	const char *names[] = { "example.org", "nothing.example", "example.com" };
	struct history h;
	int rc;
	struct store *s = store_open(dir, 0, &rc, err, sizeof(err));

	ok(s != NULL, "open creates the database (%s)", err);
	is_int(rc, STORE_OK, "open: STORE_OK");
	is_str(store_path(s), path, "the file is dir/stsd.db");
	pragma(path, "journal_mode", mode, sizeof(mode));
	is_str(mode, "wal", "WAL mode");
	is_int(pragma(path, "user_version", NULL, 0), STORE_SCHEMA_VERSION,
	       "schema at the current version");

	is_int(record(s, p, 2, T0), STORE_OK, "record two domains");
	is_int(record(s, p, 2, T0 + 60), STORE_OK, "record them again later");
	p[0] = mkpolicy("example.com", "2", POLICY_MODE_ENFORCE, 7 * DAY);
	is_int(record(s, p, 1, T0 + 120), STORE_OK, "a new id for example.com");

	is_int(store_history(s, NULL, 0, &h), STORE_OK, "history of all domains");
	is_int(h.n_domains, 2, "two domains");
	if (h.n_domains == 2 && h.domains[0].n_policies == 2) {
		struct history_policy *a = &h.domains[0].policies[0];
		struct history_policy *b = &h.domains[0].policies[1];

		is_str(h.domains[0].domain, "example.com", "sorted by name");
		is_str(a->id, "1", "oldest id first");
		is_int(a->first_served, T0, "first_served kept");
		is_int(a->last_served, T0 + 60, "last_served moved");
		is_int(a->mode, POLICY_MODE_TESTING, "mode");
		is_int(a->max_age, DAY, "max_age");
		is_int(a->n_mx, 2, "mx list");
		is_str(a->n_mx == 2 ? a->mx[1] : NULL, "*.mx.example.com", "mx pattern");
		is_str(a->body, "version: STSv1\r\nmode: testing\r\nmax_age: 86400\r\n", "body");
		is_str(b->id, "2", "the new id second");
		is_int(b->first_served, T0 + 120, "new id first served");
		is_int(b->last_fetched, 0, "never fetched");
	} else {
		ok(0, "example.com has two ids");
	}
	history_free(&h);

	is_int(store_history(s, names, 3, &h), STORE_OK, "history of named domains");
	is_int(h.n_domains, 3, "in the order asked");
	is_str(h.n_domains == 3 ? h.domains[1].domain : NULL, "nothing.example",
	       "an unknown domain is listed");
	is_int(h.n_domains == 3 ? h.domains[1].n_policies : 99, 0, "with no policies");
	is_int(h.n_domains == 3 ? h.domains[2].n_policies : 0, 2, "example.com: two ids");
	history_free(&h);
	store_close(s);

	/* History survives close and reopen. */
	s = store_open(dir, 0, &rc, err, sizeof(err));
	ok(s != NULL, "reopen");
	is_int(store_history(s, names, 1, &h), STORE_OK, "history after reopen");
	is_int(h.n_domains == 1 ? h.domains[0].n_policies : 0, 1, "example.org kept");
	is_int(h.n_domains == 1 && h.domains[0].n_policies == 1 ?
	       h.domains[0].policies[0].last_served : 0, T0 + 60, "its dates kept");
	history_free(&h);
	store_close(s);

	s = store_open(dir, STORE_READONLY, &rc, err, sizeof(err));
	ok(s != NULL, "read-only open of an existing database");
	is_int(record(s, p, 1, T0), STORE_ERROR, "read-only: a write is an error");
	ok(strstr(store_errmsg(s), "read-only") != NULL, "with a reason: %s", store_errmsg(s));
	is_int(store_history(s, NULL, 0, &h), STORE_OK, "read-only: reads work");
	is_int(h.n_domains, 2, "read-only: the same history");
	history_free(&h);
	store_close(s);
	free(path);
	free(dir);
}

static void test_fetch_counts(void)
{
	char *dir = subdir("fetches"), err[STORE_ERR_LEN];
	struct policy p[2] = { mkpolicy("example.com", "1", POLICY_MODE_TESTING, DAY),
	                       mkpolicy("example.com", "2", POLICY_MODE_ENFORCE, DAY) };
	struct store *s = store_open(dir, 0, NULL, err, sizeof(err));
	struct store_fetch batch[300];
	uint64_t want[2][3] = { { 0 } };   /* [id][days ago] */
	unsigned seed = 12345;
	struct history h;
	struct sum all = { 0 };

	is_int(record(s, p, 2, T0 - 3 * DAY), STORE_OK, "record");
	/* Three flushes per day over three days, repeats of the same key in
	 * one batch, and zero counts. */
	for (int ago = 2; ago >= 0; ago--) {
		for (int flush = 0; flush < 3; flush++) {
			for (size_t i = 0; i < 300; i++) {
				int which = (int)(i % 2);

				seed = seed * 1103515245u + 12345u;
				batch[i] = (struct store_fetch){
					.domain = "example.com", .id = which ? "2" : "1",
					.when = T0 - ago * DAY + flush * 60,
					.count = (seed >> 16) % 5,
				};
				want[which][ago] += batch[i].count;
			}
			if (store_add_fetches(s, batch, 300) != STORE_OK)
				printf("# store_add_fetches: %s\n", store_errmsg(s));
		}
	}
	is_int(fetched(s, "example.com", "1", 1, T0), want[0][0], "id 1 today: exact");
	is_int(fetched(s, "example.com", "2", 1, T0), want[1][0], "id 2 today: exact");
	is_int(fetched(s, "example.com", "2", 2, T0), want[1][0] + want[1][1],
	       "id 2 over two days: exact");
	is_int(fetched(s, "example.com", "1", 30, T0),
	       want[0][0] + want[0][1] + want[0][2], "id 1 over 30 days: exact");
	is_int(fetched(s, "example.com", "1", 0, T0), 0, "zero days: nothing");
	is_int(fetched(s, "example.com", "1", 1, T0 + DAY), 0, "tomorrow: nothing yet");
	is_int(fetched(s, "example.org", NULL, 30, T0), 0, "another domain: nothing");
	is_int(store_fetch_counts(s, NULL, T0, 3, sum_cb, &all), STORE_OK, "every domain");
	is_int(all.total, want[0][0] + want[0][1] + want[0][2] + want[1][0] +
	       want[1][1] + want[1][2], "every domain: the total");
	is_int(all.rows, 6, "one row per id and day");
	is_int(all.min_day, (T0 - 2 * DAY) / DAY, "days are UTC day numbers");

	is_int(store_history(s, NULL, 0, &h), STORE_OK, "history");
	if (h.n_domains == 1 && h.domains[0].n_policies == 2) {
		is_int(h.domains[0].policies[0].fetches,
		       want[0][0] + want[0][1] + want[0][2], "history: fetches of id 1");
		is_int(h.domains[0].policies[1].last_fetched, T0 + 120,
		       "history: last fetched");
	} else {
		ok(0, "history has the two ids");
	}
	history_free(&h);

	{
		uint64_t deleted = 99;

		is_int(store_prune_fetches(s, 2, T0, &deleted), STORE_OK,
		       "prune all but the last two days");
		is_int(deleted, 2, "the oldest day's two rows deleted");
		is_int(fetched(s, "example.com", "1", 30, T0), want[0][0] + want[0][1],
		       "the last two days kept exactly");
		is_int(store_history(s, NULL, 0, &h), STORE_OK, "history after pruning");
		is_int(h.n_domains == 1 && h.domains[0].n_policies == 2 ?
		       h.domains[0].policies[1].last_fetched : 0, T0 + 120,
		       "last_fetched kept");
		history_free(&h);
	}
	store_close(s);
	free(dir);
}

static int stop_cb(void *arg, const char *domain, const char *id, int64_t day,
                   uint64_t count)
{
	++*(int *)arg;
	return 42;
}

struct facts_seen { unsigned n; char last[64]; struct retire_facts f; };

static int facts_cb(void *arg, const char *domain, const struct retire_facts *f)
{
	struct facts_seen *seen = arg;

	seen->n++;
	snprintf(seen->last, sizeof(seen->last), "%s", domain);
	seen->f = *f;
	return 0;
}

static void test_retire_facts(void)
{
	char *dir = subdir("retire"), err[STORE_ERR_LEN];
	struct policy p = mkpolicy("example.com", "x", POLICY_MODE_ENFORCE, 30 * DAY);
	struct store *s = store_open(dir, 0, NULL, err, sizeof(err));
	struct store_fetch f = { "example.com", "x", T0, 1 };
	struct retire_facts rf;
	int calls = 0;

	is_int(store_retire_facts(s, "example.com", &rf), STORE_OK, "facts of an unknown domain");
	ok(!rf.known, "unknown");
	record(s, &p, 1, T0);
	record(s, &p, 1, T0 + DAY);
	/* Same explicit id, now mode none with a shorter max_age. */
	p = mkpolicy("example.com", "x", POLICY_MODE_NONE, DAY);
	record(s, &p, 1, T0 + 2 * DAY);
	is_int(store_retire_facts(s, "example.com", &rf), STORE_OK, "facts");
	ok(rf.known && rf.ever_active, "known, once active");
	is_int(rf.largest_max_age, 30 * DAY, "the largest max_age survives the body change");
	is_int(rf.last_active_served, T0 + DAY, "last served in enforce");
	is_int(rf.first_served, T0, "first served");

	{
		struct policy q = mkpolicy("a.example", "y", POLICY_MODE_NONE, DAY);
		struct facts_seen seen = { 0 };

		record(s, &q, 1, T0);
		is_int(store_retire_facts_all(s, facts_cb, &seen), STORE_OK, "facts of all");
		is_int(seen.n, 2, "one per domain");
		is_str(seen.last, "example.com", "by name");
		ok(seen.f.known && seen.f.ever_active && seen.f.largest_max_age == 30 * DAY &&
		   seen.f.last_active_served == T0 + DAY && seen.f.first_served == T0,
		   "the same facts as one by one");
		is_int(store_retire_facts(s, "a.example", &rf), STORE_OK, "a none-only domain");
		ok(rf.known && !rf.ever_active && rf.last_active_served == 0,
		   "never active");
	}

	store_add_fetches(s, &f, 1);
	is_int(store_fetch_counts(s, NULL, T0, 1, stop_cb, &calls), 42,
	       "a callback's non-zero return stops the walk and is returned");
	is_int(calls, 1, "after one call");
	store_close(s);
	free(dir);
}

/* A loaded configuration's domains, all recorded. */
static void test_record_conf(void)
{
	char *dir = subdir("conf"), err[STORE_ERR_LEN];
	struct conf_domain d[2] = {
		{ .policy = mkpolicy("a.example", "1", POLICY_MODE_ENFORCE, DAY) },
		{ .policy = mkpolicy("b.example", "2", POLICY_MODE_NONE, DAY) },
	};
	struct conf c = { .domains = d, .n_domains = 2 };
	struct store *s = store_open(dir, 0, NULL, err, sizeof(err));
	struct history h;

	is_int(store_record_conf(s, &c, T0), STORE_OK, "record a configuration");
	is_int(store_history(s, NULL, 0, &h), STORE_OK, "history");
	ok(h.n_domains == 2 && strcmp(h.domains[1].domain, "b.example") == 0 &&
	   h.domains[1].n_policies == 1 &&
	   h.domains[1].policies[0].mode == POLICY_MODE_NONE,
	   "every domain of it, as configured");
	history_free(&h);
	store_close(s);
	free(dir);
}

/* More policies than one recording transaction takes. */
static void test_many(void)
{
	enum { N = 10000 };
	char *dir = subdir("many"), err[STORE_ERR_LEN];
	static char names[N][32];
	static struct policy p[N];
	static const struct policy *list[N];
	struct store *s = store_open(dir, 0, NULL, err, sizeof(err));
	struct history h;

	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "d%05d.example.com", i);
		p[i] = mkpolicy(names[i], "1", POLICY_MODE_ENFORCE, DAY);
		list[i] = &p[i];
	}
	is_int(store_record_policies(s, list, 0, T0), STORE_OK, "recording nothing");
	is_int(store_record_policies(s, list, N, T0), STORE_OK, "recording 10 000 policies");
	is_int(store_history(s, NULL, 0, &h), STORE_OK, "history");
	is_int(h.n_domains, N, "every one recorded");
	is_str(h.n_domains == N ? h.domains[N - 1].domain : NULL, names[N - 1],
	       "the last one too");
	history_free(&h);
	store_close(s);
	free(dir);
}

/* Two handles on one file (the flush thread and the status page, say),
 * and the file deleted: the first to notice starts a new database; the
 * second must not take the new one's write-ahead log for its own stale one. */
static void test_deleted_two_handles(void)
{
	char *dir = subdir("two"), *path = dbpath(dir), err[STORE_ERR_LEN];
	struct store_fetch f = { "example.com", "1", T0, 3 };
	struct store *a = store_open(dir, 0, NULL, err, sizeof(err));
	struct store *b = store_open(dir, 0, NULL, err, sizeof(err));

	is_int(store_add_fetches(a, &f, 1), STORE_OK, "a writes");
	is_int(fetched(b, "example.com", "1", 1, T0), 3, "b reads it");
	unlink(path);
	is_int(store_add_fetches(a, &f, 1), STORE_OK, "deleted: a starts a new database");
	is_int(fetched(b, "example.com", "1", 1, T0), 3, "b finds a's new database, with its write");
	is_int(store_add_fetches(a, &f, 1), STORE_OK, "a writes again");
	is_int(fetched(b, "example.com", "1", 1, T0), 6, "b sees both writes");
	store_close(a);
	store_close(b);
	free(path);
	free(dir);
}

/* ---- schema versions ---------------------------------------------------- */

static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		printf("# %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

static void test_migration(void)
{
	char *dir = subdir("v1"), *path = dbpath(dir), err[STORE_ERR_LEN];
	struct retire_facts rf;
	struct history h;
	struct store *s;

	/* A database as version 1 left it, with history in it. */
	is_int(raw_exec(path, store_schema_step(1)), SQLITE_OK, "build a version 1 database");
	is_int(raw_exec(path,
	       "INSERT INTO policies VALUES ('example.com', '1', x'00', 'enforce',"
	       " 604800, 'mx.example.com', 1000, 2000);"
	       "INSERT INTO policies VALUES ('example.com', '2', x'00', 'none',"
	       " 86400, '', 2000, 9000);"
	       "INSERT INTO fetches VALUES ('example.com', '1', 20000, 5);"
	       "INSERT INTO fetches VALUES ('example.com', '1', 20001, 6);"
	       "PRAGMA user_version = 1;"), SQLITE_OK, "with history");
	s = store_open(dir, STORE_READONLY, NULL, err, sizeof(err));
	ok(s == NULL && strstr(err, "older") != NULL,
	   "read-only: an old version is not migrated (%s)", err);
	is_int(pragma(path, "user_version", NULL, 0), 1, "and left at version 1");

	s = store_open(dir, 0, NULL, err, sizeof(err));
	ok(s != NULL, "open migrates (%s)", err);
	is_int(pragma(path, "user_version", NULL, 0), STORE_SCHEMA_VERSION, "now current");
	is_int(store_retire_facts(s, "example.com", &rf), STORE_OK, "facts after migration");
	is_int(rf.largest_max_age, 604800, "largest max_age filled from policies");
	is_int(rf.last_active_served, 2000, "last enforce filled from policies");
	is_int(rf.first_served, 1000, "first served filled");
	is_int(store_history(s, NULL, 0, &h), STORE_OK, "history after migration");
	if (h.n_domains == 1 && h.domains[0].n_policies == 2) {
		is_int(h.domains[0].policies[0].fetches, 11, "fetch counts kept");
		is_int(h.domains[0].policies[0].last_fetched, 20001LL * DAY,
		       "last_fetched filled from fetches (to the day)");
		is_int(h.domains[0].policies[1].n_mx, 0, "empty mx list");
	} else {
		ok(0, "both policies kept");
	}
	history_free(&h);
	store_close(s);

	/* Opening again changes nothing. */
	s = store_open(dir, 0, NULL, err, sizeof(err));
	ok(s != NULL, "reopen a migrated database");
	store_close(s);

	/* A newer schema is refused and left untouched. */
	raw_exec(path, "PRAGMA user_version = 99");
	s = store_open(dir, 0, NULL, err, sizeof(err));
	ok(s == NULL && strstr(err, "newer") != NULL, "a newer version is refused: %s", err);
	is_int(pragma(path, "user_version", NULL, 0), 99, "and not touched");
	free(path);
	free(dir);
}

static void write_garbage(const char *path)
{
	FILE *f = fopen(path, "w");

	for (int i = 0; f && i < 4096; i++)
		fputc("garbage\n"[i % 8], f);
	if (f)
		fclose(f);
}

/* ---- --check ------------------------------------------------------------ */

static void test_check(void)
{
	char *dir = subdir("check"), *path = dbpath(dir), msg[STORE_ERR_LEN];
	char *v1 = subdir("check-v1"), *v1path = dbpath(v1);
	char *bad = subdir("check-bad"), *badpath = dbpath(bad);
	struct policy p[2] = { mkpolicy("example.com", "1", POLICY_MODE_TESTING, DAY),
	                       mkpolicy("example.org", "7", POLICY_MODE_ENFORCE, DAY) };
	struct store *s;
	FILE *f;

	is_int(store_check("/nonexistent-stsd-test-dir", msg, sizeof(msg)), STORE_ERROR,
	       "check: no such directory");
	ok(strstr(msg, "No such file") != NULL, "saying so: %s", msg);
	is_int(store_check(path, msg, sizeof(msg)), STORE_ERROR, "check: the directory missing");
	write_garbage(path);
	is_int(store_check(path, msg, sizeof(msg)), STORE_ERROR, "check: a file as directory");
	ok(strstr(msg, "not a directory") != NULL, "saying so: %s", msg);
	unlink(path);

	is_int(store_check(dir, msg, sizeof(msg)), STORE_OK, "check: an empty directory is fine");
	ok(strstr(msg, "will be created") != NULL, "saying so: %s", msg);
	ok(access(path, F_OK) != 0, "and nothing is created");
	if (geteuid() != 0) {
		chmod(dir, 0500);
		is_int(store_check(dir, msg, sizeof(msg)), STORE_ERROR,
		       "check: a directory we cannot write");
		ok(strstr(msg, "not writable") != NULL, "saying so: %s", msg);
		chmod(dir, 0700);
	} else {
		skip("root can write any directory");
		skip("root can write any directory");
	}

	s = store_open(dir, 0, NULL, msg, sizeof(msg));
	record(s, p, 2, T0);
	store_close(s);
	is_int(store_check(dir, msg, sizeof(msg)), STORE_OK, "check: a good database");
	{
		char want[64];

		snprintf(want, sizeof(want), "schema version %d, 2 domains",
		         STORE_SCHEMA_VERSION);
		ok(strstr(msg, want) != NULL, "saying so: %s", msg);
	}

	raw_exec(v1path, store_schema_step(1));
	raw_exec(v1path, "PRAGMA user_version = 1");
	is_int(store_check(v1, msg, sizeof(msg)), STORE_OK, "check: an old version is fine");
	{
		char want[64];

		snprintf(want, sizeof(want), "will be upgraded from schema "
		         "version 1 to %d", STORE_SCHEMA_VERSION);
		ok(strstr(msg, want) != NULL, "saying so: %s", msg);
	}
	is_int(pragma(v1path, "user_version", NULL, 0), 1, "and it is not migrated");
	raw_exec(v1path, "PRAGMA user_version = 99");
	is_int(store_check(v1, msg, sizeof(msg)), STORE_ERROR, "check: a newer version");
	ok(strstr(msg, "newer") != NULL, "saying so: %s", msg);

	write_garbage(badpath);
	is_int(store_check(bad, msg, sizeof(msg)), STORE_ERROR, "check: garbage");
	ok(strstr(msg, "not a database") != NULL, "saying so: %s", msg);
	unlink(badpath);

	/* Damage inside: a database of many pages, then bytes overwritten in
	 * the middle of one of its b-tree pages. */
	{
		enum { N = 2000 };
		static char names[N][32];
		static struct policy many[N];
		static const struct policy *list[N];
		unsigned char junk[1024];
		struct stat st;

		for (int i = 0; i < N; i++) {
			snprintf(names[i], sizeof(names[i]), "d%05d.example.com", i);
			many[i] = mkpolicy(names[i], "1", POLICY_MODE_ENFORCE, DAY);
			list[i] = &many[i];
		}
		s = store_open(bad, 0, NULL, msg, sizeof(msg));
		store_record_policies(s, list, N, T0);
		store_close(s);     /* checkpoints: everything in the main file */
		memset(junk, 0x5a, sizeof(junk));
		stat(badpath, &st);
		f = fopen(badpath, "r+");
		ok(f != NULL && st.st_size > 16 * 4096, "a database of many pages");
		if (f) {
			/* A page in the middle: one of the policies'
			 * b-tree (the first pages are the schema's tables,
			 * some of them empty). */
			fseek(f, st.st_size / 4096 / 2 * 4096 + 1024, SEEK_SET);
			fwrite(junk, 1, sizeof(junk), f);
			fclose(f);
		}
		is_int(store_check(bad, msg, sizeof(msg)), STORE_ERROR, "check: damaged inside");
		ok(msg[0] != '\0', "saying so: %s", msg);
	}
	free(badpath);
	free(bad);
	free(v1path);
	free(v1);
	free(path);
	free(dir);
}

/* ---- faults ------------------------------------------------------------- */

static void test_corrupt(void)
{
	char *dir = subdir("corrupt"), *path = dbpath(dir), err[STORE_ERR_LEN];
	char tmp[4200];
	struct policy p = mkpolicy("example.com", "1", POLICY_MODE_ENFORCE, DAY);
	struct store_fetch f = { "example.com", "1", T0, 3 };
	struct store *s;
	int rc = 0;

	write_garbage(path);
	s = store_open(dir, 0, &rc, err, sizeof(err));
	ok(s == NULL, "a garbage file: open fails");
	is_int(rc, STORE_ERROR, "with STORE_ERROR");
	ok(strstr(err, path) != NULL && strstr(err, "not a database") != NULL,
	   "and says why: %s", err);
	s = store_open(dir, STORE_READONLY, &rc, err, sizeof(err));
	ok(s == NULL && rc == STORE_ERROR, "read-only open fails too: %s", err);
	unlink(path);
	s = store_open(dir, 0, &rc, err, sizeof(err));
	ok(s != NULL, "the file removed: open succeeds (%s)", err);

	/* Garbage renamed over the file under an open handle. */
	is_int(record(s, &p, 1, T0), STORE_OK, "record");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	write_garbage(tmp);
	rename(tmp, path);
	is_int(store_add_fetches(s, &f, 1), STORE_ERROR, "replaced by garbage: an error");
	ok(strstr(store_errmsg(s), "not a database") != NULL, "saying so: %s", store_errmsg(s));
	is_int(store_add_fetches(s, &f, 1), STORE_ERROR, "still an error while it is there");
	unlink(path);
	is_int(store_add_fetches(s, &f, 1), STORE_OK, "removed: the next call succeeds");
	is_int(fetched(s, "example.com", "1", 1, T0), 3, "into a new database, exactly once");
	is_str(store_errmsg(s), "", "no error left");

	/* The database deleted under an open handle: a new one is started. */
	unlink(path);
	is_int(store_add_fetches(s, &f, 1), STORE_OK, "deleted: the next call succeeds");
	ok(access(path, F_OK) == 0, "and recreates the file");
	is_int(fetched(s, "example.com", "1", 1, T0), 3, "with only the new counts");
	store_close(s);

	s = store_open(dir, 0, &rc, err, sizeof(err));
	store_close(s);
	unlink(path);
	s = store_open(dir, STORE_READONLY, &rc, err, sizeof(err));
	ok(s == NULL && strstr(err, "no history yet") != NULL,
	   "read-only open of a missing database: %s", err);
	s = store_open("/nonexistent-stsd-test-dir/x", 0, &rc, err, sizeof(err));
	ok(s == NULL && rc == STORE_ERROR && strstr(err, "cannot open") != NULL,
	   "a missing directory is not created: %s", err);
	free(path);
	free(dir);
}

static void test_busy(void)
{
	char *dir = subdir("busy"), *path = dbpath(dir), err[STORE_ERR_LEN];
	struct policy p = mkpolicy("example.com", "1", POLICY_MODE_ENFORCE, DAY);
	struct store_fetch f = { "example.com", "1", T0, 7 };
	struct store *s = store_open(dir, 0, NULL, err, sizeof(err));
	struct history h;
	sqlite3 *other;
	int rc;

	record(s, &p, 1, T0);
	store_set_busy_timeout(s, 50);
	ok(sqlite3_open(path, &other) == SQLITE_OK &&
	   sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK,
	   "another connection holds the write lock");
	rc = store_add_fetches(s, &f, 1);
	is_int(rc, STORE_BUSY, "a write returns STORE_BUSY");
	ok(strstr(store_errmsg(s), "locked") != NULL, "saying so: %s", store_errmsg(s));
	is_int(record(s, &p, 1, T0 + 1), STORE_BUSY, "so does recording");
	is_int(store_history(s, NULL, 0, &h), STORE_OK, "reads are not blocked (WAL)");
	history_free(&h);
	s = (store_close(s), store_open(dir, 0, &rc, err, sizeof(err)));
	ok(s != NULL, "open while locked: the schema is current, no lock needed");
	store_set_busy_timeout(s, 0);
	is_int(store_add_fetches(s, &f, 1), STORE_BUSY, "no timeout: busy at once");
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	is_int(store_add_fetches(s, &f, 1), STORE_OK, "lock released: the next call succeeds");
	is_int(fetched(s, "example.com", "1", 1, T0), 7, "the busy batches were not added");
	store_close(s);
	free(path);
	free(dir);
}

/* ---- read-only and full file systems, in a private mount namespace ------ */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Enters a mount namespace of our own: directly as root, through a user
 * namespace (where we are root) otherwise. -1 when neither is allowed. */
static int enter_mount_ns(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];

	if (uid == 0 && unshare(CLONE_NEWNS) == 0)
		goto private;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) != 0)
		return -1;
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) != 0)
		return -1;
private:
	return mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL);
}

#define CHILD_SKIP 77
#define FAIL(...) do { printf("#   " __VA_ARGS__); printf("\n"); fflush(stdout); \
                       return __LINE__ % 70 + 1; } while (0)

static int child_readonly(const char *dir)
{
	struct policy p = mkpolicy("example.com", "1", POLICY_MODE_ENFORCE, DAY);
	struct store_fetch f = { "example.com", "1", T0, 5 };
	char err[STORE_ERR_LEN];
	struct store *s = store_open(dir, 0, NULL, err, sizeof(err));
	int rc;

	if (s == NULL || record(s, &p, 1, T0) != STORE_OK)
		FAIL("setup: %s", err);
	store_close(s);
	if (mount(dir, dir, "none", MS_BIND, NULL) != 0 ||
	    mount("none", dir, "none", MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0)
		FAIL("cannot make %s read-only: %s", dir, strerror(errno));
	s = store_open(dir, 0, &rc, err, sizeof(err));
	if (s == NULL) {
		if (rc != STORE_ERROR || err[0] == '\0')
			FAIL("open on a read-only fs: rc %d, no reason", rc);
		printf("# read-only fs: open: %s\n", err);
	} else {
		rc = store_add_fetches(s, &f, 1);
		if (rc != STORE_ERROR || store_errmsg(s)[0] == '\0')
			FAIL("write on a read-only fs: rc %d (%s)", rc, store_errmsg(s));
		printf("# read-only fs: write: %s\n", store_errmsg(s));
	}
	if (mount("none", dir, "none", MS_REMOUNT | MS_BIND, NULL) != 0)
		FAIL("remount rw: %s", strerror(errno));
	if (s == NULL && (s = store_open(dir, 0, &rc, err, sizeof(err))) == NULL)
		FAIL("open after the fs is writable again: %s", err);
	if (store_add_fetches(s, &f, 1) != STORE_OK)
		FAIL("write after the fs is writable again: %s", store_errmsg(s));
	if (fetched(s, "example.com", "1", 1, T0) != 5)
		FAIL("counts after recovery: %llu, want 5",
		     (unsigned long long)fetched(s, "example.com", "1", 1, T0));
	store_close(s);
	return 0;
}

static int child_full(const char *dir)
{
	enum { N = 4000 };
	static char names[N][32];
	static struct store_fetch batch[N];
	char err[STORE_ERR_LEN], filler[4200], block[4096] = { 0 };
	struct store *s;
	int fd, rc;

	if (mount("tmpfs", dir, "tmpfs", 0, "size=1m") != 0)
		FAIL("cannot mount a small tmpfs: %s", strerror(errno));
	if ((s = store_open(dir, 0, NULL, err, sizeof(err))) == NULL)
		FAIL("open: %s", err);
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "d%d.example.com", i);
		batch[i] = (struct store_fetch){ names[i], "1", T0, 2 };
	}
	snprintf(filler, sizeof(filler), "%s/filler", dir);
	if ((fd = open(filler, O_WRONLY | O_CREAT, 0600)) < 0)
		FAIL("filler: %s", strerror(errno));
	while (write(fd, block, sizeof(block)) > 0)
		;
	close(fd);
	rc = store_add_fetches(s, batch, N);
	if (rc != STORE_ERROR || strstr(store_errmsg(s), "full") == NULL)
		FAIL("a full disk: rc %d (%s)", rc, store_errmsg(s));
	printf("# full fs: %s\n", store_errmsg(s));
	unlink(filler);
	if ((rc = store_add_fetches(s, batch, N)) != STORE_OK)
		FAIL("after space is freed: rc %d (%s)", rc, store_errmsg(s));
	if (fetched(s, NULL, NULL, 1, T0) != 2 * N)
		FAIL("counts after recovery: %llu, want %d",
		     (unsigned long long)fetched(s, NULL, NULL, 1, T0), 2 * N);
	store_close(s);
	umount(dir);
	return 0;
}

/* Runs fn in a child in its own mount namespace; the child's exit status
 * is 0 (passed), CHILD_SKIP, or a failure code (reason printed). */
static void in_namespace(const char *name, int (*fn)(const char *), const char *what)
{
	char *dir = subdir(name);
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (enter_mount_ns() != 0) {
			printf("# no mount namespace: %s\n", strerror(errno));
			free(dir);
			fflush(stdout);
			_exit(CHILD_SKIP);
		}
		status = fn(dir);
		free(dir);
		fflush(stdout);
		_exit(status);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		ok(0, "%s: the child died (status %d)", what, status);
	else if (WEXITSTATUS(status) == CHILD_SKIP)
		skip("no mount namespace can be created here");
	else
		is_int(WEXITSTATUS(status), 0, "%s", what);
	free(dir);
}

/* ---- set-up ------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(base, sizeof(base), "%s/stsd-test-store.XXXXXX",
	         tmp && *tmp ? tmp : ".");
	if (mkdtemp(base) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", base, strerror(errno));
		return 1;
	}
	test_served_and_history();
	test_fetch_counts();
	test_retire_facts();
	test_record_conf();
	test_many();
	test_migration();
	test_corrupt();
	test_deleted_two_handles();
	test_check();
	test_busy();
	in_namespace("rofs", child_readonly,
	             "read-only file system: an error, then success once writable");
	in_namespace("full", child_full,
	             "full file system: an error, then success once space is freed");
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
