/*
 * history_fmt: renders a struct history. The text form reads top-down per
 * domain, one block per id, oldest first, so that the current id is last:
 *
 *   example.com: 2 policy ids
 *     id 20261101
 *       mode testing, max_age 86400, mx mail.example.com
 *       served 2026-11-01T10:00:00Z to 2026-11-20T09:00:00Z
 *       fetched 312 times, last 2026-11-20T08:59:00Z
 */
#include "config.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "history_fmt.h"

static void text_policy(FILE *out, const struct history_policy *p)
{
	char a[HISTORY_TIME_LEN], b[HISTORY_TIME_LEN];

	fprintf(out, "  id %s\n    mode %s, max_age %u, mx", p->id,
	        policy_mode_name(p->mode), (unsigned)p->max_age);
	if (p->n_mx == 0)
		fprintf(out, " (none)");
	for (size_t i = 0; i < p->n_mx; i++)
		fprintf(out, " %s", p->mx[i]);
	fprintf(out, "\n    served %s to %s\n", history_time(p->first_served, a),
	        history_time(p->last_served, b));
	if (p->last_fetched == 0 && p->fetches == 0)
		fprintf(out, "    never fetched\n");
	else
		fprintf(out, "    fetched %llu time%s, last %s\n",
		        (unsigned long long)p->fetches, p->fetches == 1 ? "" : "s",
		        p->last_fetched ? history_time(p->last_fetched, a) : "unknown");
}

static int write_text(FILE *out, const struct history *h)
{
	for (size_t i = 0; i < h->n_domains; i++) {
		const struct history_domain *d = &h->domains[i];

		if (d->n_policies == 0) {
			fprintf(out, "%s: no history\n", d->domain);
			continue;
		}
		fprintf(out, "%s: %zu policy id%s\n", d->domain, d->n_policies,
		        d->n_policies == 1 ? "" : "s");
		for (size_t j = 0; j < d->n_policies; j++)
			text_policy(out, &d->policies[j]);
	}
	return ferror(out) ? -1 : 0;
}

static json_t *json_time(int64_t t)
{
	char buf[HISTORY_TIME_LEN];

	return json_string(history_time(t, buf));
}

static json_t *json_policy(const struct history_policy *p)
{
	json_t *mx = json_array();
	json_int_t fetches = p->fetches > (uint64_t)INT64_MAX ?
	                     (json_int_t)INT64_MAX : (json_int_t)p->fetches;

	for (size_t i = 0; mx && i < p->n_mx; i++)
		if (json_array_append_new(mx, json_string(p->mx[i])) != 0) {
			json_decref(mx);
			mx = NULL;
		}
	if (mx == NULL)
		return NULL;
	/* json_pack takes over the "o" references, also when it fails. */
	return json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:I}",
	                 "id", p->id,
	                 "mode", policy_mode_name(p->mode),
	                 "max_age", (json_int_t)p->max_age,
	                 "mx", mx,
	                 "first_served", json_time(p->first_served),
	                 "last_served", json_time(p->last_served),
	                 "last_fetched", p->last_fetched ? json_time(p->last_fetched)
	                                                 : json_null(),
	                 "fetches", fetches);
}

static json_t *json_domain(const struct history_domain *d)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < d->n_policies; i++)
		if (json_array_append_new(list, json_policy(&d->policies[i])) != 0) {
			json_decref(list);
			list = NULL;
		}
	if (list == NULL)
		return NULL;
	return json_pack("{s:s, s:o}", "domain", d->domain, "policies", list);
}

static int write_json(FILE *out, const struct history *h)
{
	json_t *list = json_array(), *root;
	int rc;

	for (size_t i = 0; list && i < h->n_domains; i++)
		if (json_array_append_new(list, json_domain(&h->domains[i])) != 0) {
			json_decref(list);
			list = NULL;
		}
	if (list == NULL)
		return -1;
	if ((root = json_pack("{s:o}", "domains", list)) == NULL)
		return -1;
	rc = json_dumpf(root, out, JSON_INDENT(2)) == 0 && fputc('\n', out) != EOF ? 0 : -1;
	json_decref(root);
	return rc;
}

int history_fmt_write(FILE *out, enum history_format format,
                      const struct history *h)
{
	return format == HISTORY_JSON ? write_json(out, h) : write_text(out, h);
}
