/*
 * checks: the catalogue's containers and the two renderers.
 *
 * JSON goes through jansson, so escaping is jansson's; messages quote
 * remote text, which may be any bytes: check_add() makes them printable
 * ASCII or valid UTF-8 first (jansson refuses invalid UTF-8).
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "checks.h"
#include "utf8.h"

const char *check_status_name(enum check_status st)
{
	switch (st) {
	case CHECK_OK: return "ok";
	case CHECK_SKIPPED: return "skipped";
	case CHECK_INFO: return "info";
	case CHECK_WARNING: return "warning";
	case CHECK_ERROR: return "error";
	}
	return "error";
}

int check_report_init(struct check_report *r, const char *domain)
{
	memset(r, 0, sizeof(*r));
	r->domain = strdup(domain ? domain : "");
	return r->domain ? 0 : -1;
}

void check_report_clear(struct check_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->checks[i].message);
		free(r->checks[i].fix);
	}
	free(r->checks);
	free(r->domain);
	memset(r, 0, sizeof(*r));
}

/* In place: control bytes and invalid UTF-8 become '?'. */
static void sanitize(char *str)
{
	unsigned char *s = (unsigned char *)str;
	size_t i = 0, len = strlen(str);

	while (i < len) {
		size_t n;

		if (s[i] < 0x20 || s[i] == 0x7f) {
			s[i++] = '?';
		} else if (s[i] < 0x80) {
			i++;
		} else if ((n = utf8_seq(s + i, len - i)) > 0) {
			i += n;
		} else {
			s[i++] = '?';
		}
	}
}

/* A printable copy cut at CHECK_MSG_MAX (never inside a UTF-8 sequence:
 * a cut sequence is invalid and sanitize() turns it into '?'). */
static char *vformat(const char *fmt, va_list ap)
{
	char *s = malloc(CHECK_MSG_MAX + 1);

	if (!s)
		return NULL;
	if (vsnprintf(s, CHECK_MSG_MAX + 1, fmt, ap) < 0)
		s[0] = '\0';
	sanitize(s);
	return s;
}

void check_add(struct check_report *r, const char *id, enum check_status st,
               const char *fix, const char *fmt, ...)
{
	struct check *c;
	va_list ap;

	if (r->n >= CHECK_MAX_PER_REPORT) {
		r->dropped++;
		return;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct check *nc = realloc(r->checks, cap * sizeof(*nc));

		if (!nc) {
			r->oom = true;
			return;
		}
		r->checks = nc;
		r->cap = cap;
	}
	c = &r->checks[r->n];
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->status = st;
	va_start(ap, fmt);
	c->message = vformat(fmt, ap);
	va_end(ap);
	if (fix) {
		c->fix = strndup(fix, CHECK_MSG_MAX);
		if (c->fix)
			sanitize(c->fix);
	}
	if (!c->message || (fix && !c->fix)) {
		free(c->message);
		free(c->fix);
		r->oom = true;
		return;
	}
	r->n++;
}

const struct check *check_find(const struct check_report *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->checks[i].id, id) == 0)
			return &r->checks[i];
	return NULL;
}

size_t check_count(const struct check_report *r, const char *id,
                   enum check_status st)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->checks[i].id, id) == 0 && r->checks[i].status == st)
			n++;
	return n;
}

enum check_status check_verdict(const struct check_report *r)
{
	enum check_status worst = CHECK_OK;
	size_t i;

	if (r->oom)
		return CHECK_ERROR;
	for (i = 0; i < r->n; i++)
		if (r->checks[i].status > worst)
			worst = r->checks[i].status;
	return worst >= CHECK_WARNING ? worst : CHECK_OK;
}

/* ---- text ---------------------------------------------------------------- */

static void text_one(FILE *out, const struct check_report *r)
{
	static const enum check_status order[] = {
		CHECK_ERROR, CHECK_WARNING, CHECK_INFO, CHECK_SKIPPED, CHECK_OK,
	};
	size_t k, i;

	fprintf(out, "%s: %s\n", r->domain,
		check_status_name(check_verdict(r)));
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		for (i = 0; i < r->n; i++) {
			const struct check *c = &r->checks[i];

			if (c->status != order[k])
				continue;
			fprintf(out, "  %-7s %-22s %s\n", check_status_name(c->status),
				c->id, c->message);
			if (c->fix && c->status >= CHECK_WARNING)
				fprintf(out, "          fix: %s\n", c->fix);
		}
	}
	if (r->dropped)
		fprintf(out, "  (%zu more findings not shown)\n", r->dropped);
	if (r->oom)
		fprintf(out, "  error   internal: out of memory, findings are missing\n");
}

static int render_text(FILE *out, const struct check_report *const *reports,
                       size_t n)
{
	size_t counts[CHECK_ERROR + 1] = { 0 }, i;

	for (i = 0; i < n; i++) {
		if (i)
			fputc('\n', out);
		text_one(out, reports[i]);
		counts[check_verdict(reports[i])]++;
	}
	fprintf(out, "\n%zu domain%s: %zu ok, %zu with warnings, %zu with errors\n",
		n, n == 1 ? "" : "s", counts[CHECK_OK], counts[CHECK_WARNING],
		counts[CHECK_ERROR]);
	return ferror(out) ? -1 : 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *json_one(const struct check_report *r)
{
	json_t *d = json_object(), *checks = json_array();
	size_t i;

	if (!d || !checks)
		goto fail;
	if (json_object_set_new(d, "domain", json_string(r->domain)) ||
	    json_object_set_new(d, "verdict",
		json_string(check_status_name(check_verdict(r)))))
		goto fail;
	for (i = 0; i < r->n; i++) {
		const struct check *c = &r->checks[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "id", c->id, "status",
				      check_status_name(c->status), "message",
				      c->message);

		if (!o)
			goto fail;
		if (c->fix && json_object_set_new(o, "fix", json_string(c->fix))) {
			json_decref(o);
			goto fail;
		}
		if (json_array_append_new(checks, o))
			goto fail;
	}
	if (json_object_set_new(d, "checks", checks))
		goto fail_d;
	return d;
fail:
	json_decref(checks);
fail_d:
	json_decref(d);
	return NULL;
}

static int render_json(FILE *out, const struct check_report *const *reports,
                       size_t n)
{
	json_t *root = json_object(), *domains = json_array();
	size_t i;
	int rc = -1;

	if (!root || !domains) {
		json_decref(domains);
		goto out;
	}
	if (json_object_set_new(root, "domains", domains))
		goto out;
	for (i = 0; i < n; i++) {
		json_t *d = json_one(reports[i]);

		if (!d || json_array_append_new(domains, d))
			goto out;
	}
	if (json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 &&
	    fputc('\n', out) != EOF)
		rc = 0;
out:
	json_decref(root);
	return rc == 0 && !ferror(out) ? 0 : -1;
}

int check_render(FILE *out, enum check_format fmt,
                 const struct check_report *const *reports, size_t n)
{
	return fmt == CHECK_FORMAT_JSON ? render_json(out, reports, n)
					: render_text(out, reports, n);
}
