/*
 * test_store_tlsrpt: TLS reports in the state database, on a real SQLite
 * file under $TMPDIR: stored, then a duplicate (the same report-id from
 * the same organisation in another case is the same report); indexed only
 * under the domains given; read back by domain and day, each report once,
 * its JSON byte for byte; pruned by age; busy while another connection
 * writes, and an error on a read-only handle, each followed by success;
 * and a version 2 database (as the previous stsd left it) migrated to 3
 * with its data kept.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"
#include "store_tlsrpt.h"
#include "tap.h"
#include "tlsrpt_fixture.h"

#define DAY 86400
#define NOW (20425LL * DAY)     /* "received": any fixed time */

static char base[4096];

static char *subdir(const char *name)
{
	size_t len = strlen(base) + strlen(name) + 2;
	char *p = malloc(len);

	snprintf(p, len, "%s/%s", base, name);
	if (mkdir(p, 0700) != 0)
		printf("# mkdir %s: %s\n", p, strerror(errno));
	return p;
}

/* A fixture parsed, with its JSON (the caller frees both). */
struct fx {
	char *json;
	size_t len;
	struct tlsrpt_report r;
};

static void load(struct fx *f, const char *name)
{
	char err[TLSRPT_ERR_MAX];

	f->json = fx_read(name, &f->len);
	if (tlsrpt_parse(f->json, f->len, &f->r, err) != TLSRPT_OK) {
		printf("Bail out! %s: %s\n", name, err);
		exit(1);
	}
}

static void unload(struct fx *f)
{
	tlsrpt_report_free(&f->r);
	free(f->json);
}

/* Collects what store_tlsrpt_reports gives: the report-ids in order. */
struct seen {
	char ids[512];
	int n;
	int same_bytes;         /* each JSON parses to a report */
};

static int seen_cb(void *arg, const char *json, size_t len)
{
	struct seen *s = arg;
	struct tlsrpt_report r;
	char err[TLSRPT_ERR_MAX];

	if (tlsrpt_parse(json, len, &r, err) != TLSRPT_OK)
		return 1;
	snprintf(s->ids + strlen(s->ids), sizeof(s->ids) - strlen(s->ids),
	         "%s%s", s->n ? " " : "", r.report_id);
	s->n++;
	tlsrpt_report_free(&r);
	return 0;
}

static const char *ids(struct store *st, const char *const *d, size_t n,
                       int64_t since)
{
	static struct seen s;

	memset(&s, 0, sizeof(s));
	if (store_tlsrpt_reports(st, d, n, since, seen_cb, &s) != STORE_OK)
		snprintf(s.ids, sizeof(s.ids), "(error: %s)", store_errmsg(st));
	return s.ids;
}

static int first_cb(void *arg, const char *json, size_t len)
{
	struct fx *want = arg;

	return len == want->len && memcmp(json, want->json, len) == 0 ? 7 : 8;
}

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

static void test_add_read_prune(void)
{
	char *dir = subdir("reports"), err[STORE_ERR_LEN];
	struct fx g, m, sev, ms;
	struct store *s = store_open(dir, 0, NULL, err, sizeof(err));
	const char *com[] = { "example.com" }, *net[] = { "example.net" };
	const char *org[] = { "example.org" };
	const char *both[] = { "example.net", "example.com" };
	char upper[8192];
	struct tlsrpt_report ru;
	int32_t d30;
	uint64_t deleted = 99;

	ok(s != NULL, "open (%s)", err);
	load(&g, "google.json");
	load(&m, "missing-details.json");
	load(&sev, "several-domains.json");
	load(&ms, "microsoft-nozone.json");
	tlsrpt_day_parse("2026-11-30", &d30);

	is_int(store_tlsrpt_add(s, &g.r, com, 1, g.json, g.len, "mail:test", NOW),
	       STORE_TLSRPT_STORED, "a report is stored");
	is_int(store_tlsrpt_add(s, &g.r, com, 1, g.json, g.len, "mail:test", NOW),
	       STORE_TLSRPT_DUPLICATE, "the same report again is a duplicate");

	/* The same report-id from "GOOGLE INC.": the same report. */
	snprintf(upper, sizeof(upper), "%s", g.json);
	memcpy(strstr(upper, "Google Inc."), "GOOGLE INC.", 11);
	if (tlsrpt_parse(upper, strlen(upper), &ru, err) == TLSRPT_OK) {
		is_int(store_tlsrpt_add(s, &ru, com, 1, upper, strlen(upper),
		                        "https:192.0.2.1", NOW),
		       STORE_TLSRPT_DUPLICATE,
		       "the organisation in another case: a duplicate");
		tlsrpt_report_free(&ru);
	} else {
		ok(0, "parse the uppercased report: %s", err);
	}

	/* Several domains, of which we serve example.net and example.com. */
	is_int(store_tlsrpt_add(s, &sev.r, both, 2, sev.json, sev.len, "mail:x", NOW),
	       STORE_TLSRPT_STORED, "a report about several domains");
	is_int(store_tlsrpt_add(s, &m.r, NULL, 0, m.json, m.len, "mail:x", NOW),
	       STORE_TLSRPT_STORED, "a report indexed under all its domains");
	is_int(store_tlsrpt_add(s, &ms.r, com, 1, ms.json, ms.len, "mail:x", NOW),
	       STORE_TLSRPT_STORED, "a third report");

	is_str(ids(s, com, 1, 0),
	       "small-1 2026-11-30T00:00:00Z_example.com mox-20261130-1 "
	       "133456789012345678+example.com",
	       "example.com: its reports, by day then arrival");
	is_str(ids(s, net, 1, 0), "mox-20261130-1", "example.net: the shared report");
	is_str(ids(s, org, 1, 0), "", "example.org: not indexed (not ours), none");
	is_str(ids(s, both, 2, 0),
	       "small-1 2026-11-30T00:00:00Z_example.com mox-20261130-1 "
	       "133456789012345678+example.com",
	       "two domains: each report once");
	is_str(ids(s, com, 1, d30),
	       "2026-11-30T00:00:00Z_example.com mox-20261130-1 "
	       "133456789012345678+example.com",
	       "since a day: older reports left out");
	is_str(ids(s, NULL, 0, d30 + 1), "", "since a later day: none");
	is_str(ids(s, NULL, 0, 0),
	       "small-1 2026-11-30T00:00:00Z_example.com mox-20261130-1 "
	       "133456789012345678+example.com", "every report");
	is_int(store_tlsrpt_reports(s, com, 1, d30, first_cb, &g), 7,
	       "the JSON comes back byte for byte (and cb's value stops the walk)");

	/* Prune: keep the days from 2026-11-30 on. */
	is_int(store_tlsrpt_prune(s, 1, (int64_t)d30 * DAY + 100, &deleted),
	       STORE_OK, "prune");
	is_int(deleted, 1, "one report older than the days kept");
	is_str(ids(s, com, 1, 0),
	       "2026-11-30T00:00:00Z_example.com mox-20261130-1 "
	       "133456789012345678+example.com", "the old report is gone");
	is_int(store_tlsrpt_prune(s, STORE_TLSRPT_KEEP_DAYS,
	                          (int64_t)d30 * DAY + 100, &deleted), STORE_OK,
	       "prune again");
	is_int(deleted, 0, "nothing more to delete");
	is_int(store_tlsrpt_add(s, &m.r, NULL, 0, m.json, m.len, "mail:x", NOW),
	       STORE_TLSRPT_STORED, "a pruned report can be stored again");

	is_int(store_tlsrpt_add(s, &g.r, com, 1, g.json, TLSRPT_JSON_MAX + 1,
	                        "mail:x", NOW),
	       STORE_TLSRPT_ERROR, "JSON over the limit is refused");
	store_close(s);

	/* Across close and open. */
	s = store_open(dir, STORE_READONLY, NULL, err, sizeof(err));
	is_str(ids(s, net, 1, 0), "mox-20261130-1", "read back read-only after reopening");
	is_int(store_tlsrpt_add(s, &ms.r, com, 1, ms.json, ms.len, "mail:x", NOW),
	       STORE_TLSRPT_ERROR, "a read-only handle cannot store");
	store_close(s);

	/* Busy: another connection holds the write lock. */
	{
		char path[4096];
		sqlite3 *other;
		struct fx t;

		snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE);
		s = store_open(dir, 0, NULL, err, sizeof(err));
		store_set_busy_timeout(s, 0);
		load(&t, "totals-disagree.json");
		sqlite3_open(path, &other);
		sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		is_int(store_tlsrpt_add(s, &t.r, com, 1, t.json, t.len, "mail:x", NOW),
		       STORE_TLSRPT_BUSY, "busy while another connection writes");
		sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(other);
		is_int(store_tlsrpt_add(s, &t.r, com, 1, t.json, t.len, "mail:x", NOW),
		       STORE_TLSRPT_STORED, "stored once the lock is gone");
		unload(&t);
		store_close(s);
	}
	unload(&g);
	unload(&m);
	unload(&sev);
	unload(&ms);
	free(dir);
}

static void test_migration(void)
{
	char *dir = subdir("v2"), path[4096], err[STORE_ERR_LEN];
	struct retire_facts rf;
	struct store *s;
	struct fx g;
	const char *com[] = { "example.com" };

	snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE);
	is_int(raw_exec(path, store_schema_step(1)), SQLITE_OK, "version 1 tables");
	is_int(raw_exec(path, store_schema_step(2)), SQLITE_OK, "version 2 tables");
	is_int(raw_exec(path,
	       "INSERT INTO domains VALUES ('example.com', 1000, 604800, 2000);"
	       "PRAGMA user_version = 2;"), SQLITE_OK, "a version 2 database");
	s = store_open(dir, 0, NULL, err, sizeof(err));
	ok(s != NULL, "opening migrates to version 3 (%s)", err);
	is_int(store_retire_facts(s, "example.com", &rf), STORE_OK, "old data readable");
	is_int(rf.largest_max_age, 604800, "and kept");
	load(&g, "google.json");
	is_int(store_tlsrpt_add(s, &g.r, com, 1, g.json, g.len, "mail:x", NOW),
	       STORE_TLSRPT_STORED, "a report stored in the migrated database");
	unload(&g);
	store_close(s);
	free(dir);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(base, sizeof(base), "%s/stsd-test-store-tlsrpt.XXXXXX",
	         tmp && *tmp ? tmp : ".");
	if (mkdtemp(base) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", base, strerror(errno));
		return 1;
	}
	test_add_read_prune();
	test_migration();
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
