/*
 * test_history_fmt: `stsd --history` output for a constructed history: the
 * text form byte for byte (ids oldest first, "never fetched", a domain
 * without history), and the JSON form parsed back (jansson, duplicates
 * rejected) with exactly the field names the issue fixes, RFC 3339 UTC
 * times, null for never fetched, and a string that needs escaping.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "history_fmt.h"
#include "tap.h"

#define NOV01 1793527200        /* 2026-11-01T10:00:00Z */
#define DEC03 1796302800        /* 2026-12-03T13:00:00Z */

static char mx1[] = "mail.example.com", mx2[] = "*.mx.example.com";
static char *mxs[] = { mx1, mx2 };
static char dom1[] = "example.com", dom2[] = "example.org";

static struct history sample(struct history_policy *p, struct history_domain *d)
{
	p[0] = (struct history_policy){ .id = "20261101", .mode = POLICY_MODE_TESTING,
		.max_age = 86400, .mx = mxs, .n_mx = 1, .first_served = NOV01,
		.last_served = NOV01 + 86400, .last_fetched = NOV01 + 3600,
		.fetches = 1 };
	p[1] = (struct history_policy){ .id = "20261102", .mode = POLICY_MODE_ENFORCE,
		.max_age = 604800, .mx = mxs, .n_mx = 2,
		.first_served = NOV01 + 86400, .last_served = DEC03,
		.last_fetched = 0, .fetches = 0 };
	d[0] = (struct history_domain){ .domain = dom1, .policies = p, .n_policies = 2 };
	d[1] = (struct history_domain){ .domain = dom2 };
	return (struct history){ .domains = d, .n_domains = 2 };
}

static char *render(enum history_format f, const struct history *h, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	*rc = history_fmt_write(out, f, h);
	fclose(out);
	return buf;
}

static void test_text(void)
{
	struct history_policy p[2];
	struct history_domain d[2];
	struct history h = sample(p, d);
	int rc;
	char *text = render(HISTORY_TEXT, &h, &rc);

	is_int(rc, 0, "text: written");
	is_str(text,
	       "example.com: 2 policy ids\n"
	       "  id 20261101\n"
	       "    mode testing, max_age 86400, mx mail.example.com\n"
	       "    served 2026-11-01T10:00:00Z to 2026-11-02T10:00:00Z\n"
	       "    fetched 1 time, last 2026-11-01T11:00:00Z\n"
	       "  id 20261102\n"
	       "    mode enforce, max_age 604800, mx mail.example.com *.mx.example.com\n"
	       "    served 2026-11-02T10:00:00Z to 2026-12-03T13:00:00Z\n"
	       "    never fetched\n"
	       "example.org: no history\n", "text: the whole output");
	free(text);

	h.n_domains = 0;
	text = render(HISTORY_TEXT, &h, &rc);
	is_str(text, "", "text: nothing for an empty history");
	free(text);
}

static void test_json(void)
{
	struct history_policy p[2];
	struct history_domain d[2];
	struct history h = sample(p, d);
	json_error_t err;
	json_t *root, *pol, *dom;
	int rc;
	char *text = render(HISTORY_JSON, &h, &rc);

	is_int(rc, 0, "json: written");
	root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	ok(root != NULL, "json: parses (%s)", root ? "ok" : err.text);
	is_int(json_array_size(json_object_get(root, "domains")), 2, "json: two domains");
	dom = json_array_get(json_object_get(root, "domains"), 0);
	is_str(json_string_value(json_object_get(dom, "domain")), "example.com", "json: domain");
	is_int(json_array_size(json_object_get(dom, "policies")), 2, "json: two policies");
	pol = json_array_get(json_object_get(dom, "policies"), 1);
	is_str(json_string_value(json_object_get(pol, "id")), "20261102", "json: id");
	is_str(json_string_value(json_object_get(pol, "mode")), "enforce", "json: mode");
	ok(json_is_integer(json_object_get(pol, "max_age")) &&
	   json_integer_value(json_object_get(pol, "max_age")) == 604800,
	   "json: max_age is a number");
	is_str(json_string_value(json_object_get(pol, "first_served")),
	       "2026-11-02T10:00:00Z", "json: first_served RFC 3339 UTC");
	is_str(json_string_value(json_object_get(pol, "last_served")),
	       "2026-12-03T13:00:00Z", "json: last_served");
	ok(json_is_null(json_object_get(pol, "last_fetched")), "json: never fetched is null");
	is_int(json_array_size(json_object_get(pol, "mx")), 2, "json: mx list");
	pol = json_array_get(json_object_get(dom, "policies"), 0);
	is_str(json_string_value(json_object_get(pol, "last_fetched")),
	       "2026-11-01T11:00:00Z", "json: last_fetched");
	is_int(json_integer_value(json_object_get(pol, "fetches")), 1, "json: fetches");
	dom = json_array_get(json_object_get(root, "domains"), 1);
	ok(json_is_array(json_object_get(dom, "policies")) &&
	   json_array_size(json_object_get(dom, "policies")) == 0,
	   "json: no history is an empty list");
	json_decref(root);
	free(text);

	/* A string that needs escaping comes back intact. */
	mx1[0] = '"';
	text = render(HISTORY_JSON, &h, &rc);
	root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	dom = json_array_get(json_object_get(root, "domains"), 0);
	pol = json_array_get(json_object_get(dom, "policies"), 0);
	is_str(json_string_value(json_array_get(json_object_get(pol, "mx"), 0)),
	       "\"ail.example.com", "json: escaped");
	json_decref(root);
	free(text);
	mx1[0] = 'm';

	h.n_domains = 0;
	text = render(HISTORY_JSON, &h, &rc);
	is_str(text, "{\n  \"domains\": []\n}\n", "json: empty history");
	free(text);
}

int main(void)
{
	test_text();
	test_json();
	return tap_done();
}
