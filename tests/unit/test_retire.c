/*
 * test_retire: RFC 8461 section 8.3 arithmetic on constructed histories:
 * the wait is the largest max_age ever served (in any mode) after the last
 * time an enforce or testing policy was served; its end is exact to the
 * second; a domain still in enforce/testing is active; no history is
 * unknown, never "safe"; and the exact words for the log and --print-dns.
 */
#include "config.h"

#include <string.h>

#include "retire.h"
#include "tap.h"

#define NOV01 1793527200        /* 2026-11-01T10:00:00Z */
#define DEC03 1796302800        /* 2026-12-03T13:00:00Z */
#define DEC10 1796907600        /* 2026-12-10T13:00:00Z */
#define WEEK 604800u

static const char *describe(const struct retire_facts *f,
                            const struct retire_result *r)
{
	static char buf[512];

	retire_describe("example.com", f, r, buf, sizeof(buf));
	return buf;
}

static void test_boundaries(void)
{
	struct retire_facts f = { .known = true, .ever_active = true,
	                          .last_active_served = DEC03,
	                          .largest_max_age = WEEK, .first_served = NOV01 };
	struct retire_result r;

	retire_compute(&f, RETIRE_SERVING_NONE, DEC03, &r);
	is_int(r.state, RETIRE_RETIRING, "just switched to none: retiring");
	is_int(r.until, DEC10, "until last enforce served + largest max_age");
	is_int(r.max_age, WEEK, "the wait is reported");
	is_str(describe(&f, &r), "serve mode none until 2026-12-10T13:00:00Z, "
	       "then delete _mta-sts.example.com TXT and stop serving",
	       "the words while retiring");

	retire_compute(&f, RETIRE_SERVING_NONE, DEC10 - 1, &r);
	is_int(r.state, RETIRE_RETIRING, "one second before the end: retiring");
	retire_compute(&f, RETIRE_SERVING_NONE, DEC10, &r);
	is_int(r.state, RETIRE_SAFE, "at the end exactly: safe");
	is_int(r.until, DEC10, "safe since the end");
	is_str(describe(&f, &r), "safe to delete since 2026-12-10T13:00:00Z: "
	       "delete _mta-sts.example.com TXT and stop serving",
	       "the words once safe");
	retire_compute(&f, RETIRE_SERVING_NOTHING, DEC10 - 1, &r);
	is_int(r.state, RETIRE_RETIRING, "removed from the config: same wait");
	is_int(r.until, DEC10, "removed: same date");

	f.largest_max_age = 0;
	retire_compute(&f, RETIRE_SERVING_NONE, DEC03, &r);
	is_int(r.state, RETIRE_SAFE, "max_age 0: safe at the last enforce serve");
	retire_compute(&f, RETIRE_SERVING_NONE, DEC03 - 1, &r);
	is_int(r.state, RETIRE_RETIRING, "max_age 0: not before it");

	f.largest_max_age = 31557600u;
	retire_compute(&f, RETIRE_SERVING_NONE, DEC03, &r);
	is_int(r.until, (long long)DEC03 + 31557600, "one-year max_age does not overflow");
}

static void test_states(void)
{
	struct retire_facts f = { .known = true, .ever_active = true,
	                          .last_active_served = DEC03,
	                          .largest_max_age = WEEK, .first_served = NOV01 };
	struct retire_facts none_only = { .known = true, .largest_max_age = WEEK,
	                                  .first_served = NOV01 };
	struct retire_facts unknown = { 0 };
	struct retire_result r;

	retire_compute(&f, RETIRE_SERVING_ACTIVE, DEC10 + 1000, &r);
	is_int(r.state, RETIRE_ACTIVE, "serving enforce/testing: active");
	is_int(r.until, 0, "active: no date");
	is_str(describe(&f, &r), "in use; to retire: serve mode none under a new "
	       "id for 604800 s (the largest max_age served), then delete "
	       "_mta-sts.example.com TXT and stop serving", "the words when active");

	retire_compute(&none_only, RETIRE_SERVING_NONE, DEC03, &r);
	is_int(r.state, RETIRE_SAFE, "never enforce/testing: safe");
	is_int(r.until, NOV01, "since its history began");
	is_str(describe(&none_only, &r), "safe to delete since 2026-11-01T10:00:00Z "
	       "(no enforce or testing policy was served since its history began): "
	       "delete _mta-sts.example.com TXT and stop serving",
	       "the words when never active");

	retire_compute(&unknown, RETIRE_SERVING_NOTHING, DEC03, &r);
	is_int(r.state, RETIRE_UNKNOWN, "no history: unknown, not safe");
	ok(strstr(describe(&unknown, &r), "at most 31557600 s") != NULL,
	   "unknown: the longest max_age allowed");
	retire_compute(&unknown, RETIRE_SERVING_ACTIVE, DEC03, &r);
	is_int(r.state, RETIRE_ACTIVE, "no history but serving enforce: active");

	is_str(retire_state_name(RETIRE_ACTIVE), "active", "state name");
	is_str(retire_state_name(RETIRE_RETIRING), "retiring", "state name");
	is_str(retire_state_name(RETIRE_SAFE), "safe-to-delete", "state name");
	is_str(retire_state_name(RETIRE_UNKNOWN), "unknown", "state name");
}

static void test_from_history(void)
{
	struct history_policy p[] = {
		{ .id = "1", .mode = POLICY_MODE_TESTING, .max_age = 86400,
		  .first_served = NOV01, .last_served = NOV01 + 3600 },
		{ .id = "2", .mode = POLICY_MODE_ENFORCE, .max_age = WEEK,
		  .first_served = NOV01 + 3600, .last_served = DEC03 },
		/* The none policy's longer max_age counts too (conservative),
		 * its last_served does not. */
		{ .id = "3", .mode = POLICY_MODE_NONE, .max_age = 2 * WEEK,
		  .first_served = DEC03, .last_served = DEC10 },
	};
	char name[] = "example.com";
	struct history_domain d = { .domain = name, .policies = p,
	                            .n_policies = 3 };
	struct history_domain empty = { .domain = name };
	struct retire_facts f;
	struct retire_result r;
	char buf[16];

	retire_facts_from_history(&d, &f);
	ok(f.known && f.ever_active, "known and once active");
	is_int(f.largest_max_age, 2 * WEEK, "largest max_age of any mode");
	is_int(f.last_active_served, DEC03, "last served in enforce");
	is_int(f.first_served, NOV01, "history begins with the first id");
	retire_compute(&f, RETIRE_SERVING_NONE, DEC10, &r);
	is_int(r.state, RETIRE_RETIRING, "still retiring a week later");
	is_int(r.until, DEC03 + 2 * (long long)WEEK, "two weeks after the last enforce");

	d.n_policies = 1;
	retire_facts_from_history(&d, &f);
	is_int(f.last_active_served, NOV01 + 3600, "testing counts as active");
	retire_facts_from_history(&empty, &f);
	ok(!f.known, "no policies: not known");

	p[0].mode = POLICY_MODE_NONE;
	retire_facts_from_history(&d, &f);
	ok(f.known && !f.ever_active, "only none: never active");

	/* snprintf semantics */
	retire_compute(&f, RETIRE_SERVING_ACTIVE, DEC03, &r);
	ok(retire_describe("example.com", &f, &r, buf, sizeof(buf)) > sizeof(buf),
	   "returns the length needed");
	is_int(strlen(buf), sizeof(buf) - 1, "truncated to fit");
}

int main(void)
{
	test_boundaries();
	test_states();
	test_from_history();
	return tap_done();
}
