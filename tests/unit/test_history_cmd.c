/*
 * test_history_cmd: `stsd --history` end to end on a real database (made
 * with the store API in a fresh directory under $TMPDIR or the current
 * directory): names written any way are normalised, the text and JSON
 * outputs, a domain without history, a bad name (usage error, nothing
 * read), a missing database and a locked one (errors with a reason), and
 * the command line (history_wanted, history_main's --format check).
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "history_cmd.h"
#include "store.h"
#include "tap.h"

#define T0 1796302800           /* 2026-12-03T13:00:00Z */

struct run { int rc; char *out, *err; };

static struct run run(const char *dir, char **names, int n, enum history_format f)
{
	struct run r = { 0 };
	size_t lo = 0, le = 0;
	FILE *out = open_memstream(&r.out, &lo), *err = open_memstream(&r.err, &le);

	r.rc = history_run(dir, names, n, f, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void done(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void populate(const char *dir)
{
	static char mx[] = "mail.example.com";
	static char *mxs[] = { mx };
	static char body[] = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 604800\r\n";
	struct policy p = { .domain = (char *)(uintptr_t)"example.com",
	                    .mode = POLICY_MODE_ENFORCE, .max_age = 604800,
	                    .mx = mxs, .n_mx = 1, .id = "abc123",
	                    .body = body, .body_len = sizeof(body) - 1 };
	const struct policy *list[] = { &p };
	struct store_fetch f = { "example.com", "abc123", T0 + 60, 41 };
	char err[STORE_ERR_LEN];
	struct store *s = store_open(dir, 0, NULL, err, sizeof(err));

	ok(s != NULL, "a database to read (%s)", err);
	is_int(store_record_policies(s, list, 1, T0), STORE_OK, "one policy served");
	is_int(store_add_fetches(s, &f, 1), STORE_OK, "and fetched");
	store_close(s);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char base[4096], db[4200];
	char a[] = "EXAMPLE.com.", b[] = "example.org", bad[] = "not a name";
	char *names[] = { a, b }, *badnames[] = { bad };
	char arg0[] = "stsd", arg1[] = "--history", arg2[] = "--format", arg3[] = "yaml";
	char *argv[] = { arg0, arg1, arg2, arg3, NULL };
	char *argv2[] = { arg0, arg2, arg3, NULL };
	sqlite3 *other;
	struct run r;

	snprintf(base, sizeof(base), "%s/stsd-test-history.XXXXXX", tmp && *tmp ? tmp : ".");
	if (mkdtemp(base) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	r = run(base, NULL, 0, HISTORY_TEXT);
	is_int(r.rc, 1, "no database: exit 1");
	ok(strstr(r.err, "no history yet") != NULL, "saying so: %s", r.err);
	ok(access(base, F_OK) == 0 && r.out[0] == '\0', "nothing written");
	done(&r);

	populate(base);
	r = run(base, names, 2, HISTORY_TEXT);
	is_int(r.rc, 0, "text: exit 0");
	is_str(r.out,
	       "example.com: 1 policy id\n"
	       "  id abc123\n"
	       "    mode enforce, max_age 604800, mx mail.example.com\n"
	       "    served 2026-12-03T13:00:00Z to 2026-12-03T13:00:00Z\n"
	       "    fetched 41 times, last 2026-12-03T13:01:00Z\n"
	       "example.org: no history\n", "text: names normalised, unknown listed");
	is_str(r.err, "", "text: nothing on stderr");
	done(&r);

	r = run(base, NULL, 0, HISTORY_JSON);
	is_int(r.rc, 0, "json: exit 0");
	ok(strstr(r.out, "\"domain\": \"example.com\"") != NULL &&
	   strstr(r.out, "\"first_served\": \"2026-12-03T13:00:00Z\"") != NULL &&
	   strstr(r.out, "\"max_age\": 604800") != NULL, "json: all domains");
	done(&r);

	r = run(base, badnames, 1, HISTORY_TEXT);
	is_int(r.rc, 2, "a bad name: usage error");
	ok(strstr(r.err, "\"not a name\" is not a domain name") != NULL, "saying so: %s", r.err);
	is_str(r.out, "", "nothing printed");
	done(&r);

	/* A writer holding the lock does not stop a reader (WAL)... */
	snprintf(db, sizeof(db), "%s/%s", base, STORE_FILE);
	sqlite3_open(db, &other);
	sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	r = run(base, NULL, 0, HISTORY_TEXT);
	is_int(r.rc, 0, "a writer's lock does not block --history");
	done(&r);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	/* ...an exclusive lock (a checkpoint or a non-WAL writer) does. */
	sqlite3_exec(other, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;", NULL, NULL, NULL);
	r = run(base, NULL, 0, HISTORY_TEXT);
	is_int(r.rc, 1, "an exclusive lock: exit 1, no hang");
	ok(r.err[0] != '\0', "with a reason: %s", r.err);
	done(&r);
	sqlite3_close(other);
	r = run(base, NULL, 0, HISTORY_TEXT);
	is_int(r.rc, 0, "lock released: exit 0");
	done(&r);

	ok(history_wanted(4, argv), "--history is seen");
	ok(!history_wanted(3, argv2), "and not invented");
	is_int(history_main(4, argv), 2, "--format yaml is a usage error");

	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
