/*
 * template: placeholders, HTML escaping and the template file (see
 * template.h). Everything here runs at load time, never on the request path.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "template.h"

const char template_builtin[] =
#include "index_html.h"
;

/* ------------------------------------------------------------------------
 * A growable byte buffer, always NUL-terminated once anything was added
 */

struct buf {
	char *p;
	size_t len, cap;
	bool failed;                /* an allocation failed; p is unchanged */
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->p == NULL || b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Appends `s` escaped for HTML text and attribute values. With `drop_cr`,
 * carriage returns are left out. */
static void buf_add_html(struct buf *b, const char *s, size_t n, bool drop_cr)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep = escape_html_char(s[i], drop_cr);

		if (rep == NULL)
			continue;
		buf_add(b, s + start, i - start);
		buf_adds(b, rep);
		start = i + 1;
	}
	buf_add(b, s + start, n - start);
}

static void buf_add_html_str(struct buf *b, const char *s)
{
	buf_add_html(b, s, strlen(s), false);
}

/* ------------------------------------------------------------------------
 * Placeholders
 */

enum placeholder {
	PH_DOMAIN,
	PH_POLICY_HOST,
	PH_POLICY_URL,
	PH_MODE,
	PH_MAX_AGE,
	PH_MX,
	PH_ID,
	PH_POLICY,
	N_PLACEHOLDERS
};

static const char *const placeholder_names[N_PLACEHOLDERS] = {
	[PH_DOMAIN] = "domain",
	[PH_POLICY_HOST] = "policy_host",
	[PH_POLICY_URL] = "policy_url",
	[PH_MODE] = "mode",
	[PH_MAX_AGE] = "max_age",
	[PH_MX] = "mx",
	[PH_ID] = "id",
	[PH_POLICY] = "policy",
};

static bool is_placeholder_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || ch == '_';
}

/*
 * Finds the next "{{name}}" (name: [a-z_]+) at or after `from`. Returns a
 * pointer to its "{{" and sets *name / *name_len, or NULL. Any other "{{" is
 * text.
 */
static const char *next_placeholder(const char *from, const char **name,
                                    size_t *name_len)
{
	const char *p = from;

	while ((p = strstr(p, "{{")) != NULL) {
		const char *q = p + 2;

		while (is_placeholder_char(*q))
			q++;
		if (q > p + 2 && q[0] == '}' && q[1] == '}') {
			*name = p + 2;
			*name_len = (size_t)(q - (p + 2));
			return p;
		}
		p++;
	}
	return NULL;
}

/* The placeholder called `name`, or -1. */
static int placeholder_lookup(const char *name, size_t len)
{
	for (int i = 0; i < N_PLACEHOLDERS; i++)
		if (strlen(placeholder_names[i]) == len &&
		    memcmp(placeholder_names[i], name, len) == 0)
			return i;
	return -1;
}

/* The 1-based line of `at` in `text`. */
static unsigned line_of(const char *text, const char *at)
{
	unsigned line = 1;

	for (const char *q = text; q < at; q++)
		line += *q == '\n';
	return line;
}

unsigned template_check(const char *tpl, const char *file,
                        const struct loc *at, struct diag *d)
{
	const char *p = tpl, *name;
	size_t len;
	unsigned bad = 0;

	while ((p = next_placeholder(p, &name, &len)) != NULL) {
		if (placeholder_lookup(name, len) < 0) {
			diag_error(d, at, "index template %s, line %u: unknown "
			           "placeholder {{%.*s}} (known: domain, "
			           "policy_host, policy_url, mode, max_age, mx, id, "
			           "policy)", file, line_of(tpl, p), (int)len, name);
			bad++;
		}
		p = name + len + 2;
	}
	return bad;
}

/* ------------------------------------------------------------------------
 * Rendering
 */

static void render_value(struct buf *b, int ph, const struct policy *pol)
{
	char num[16];

	switch (ph) {
	case PH_DOMAIN:
		buf_add_html_str(b, pol->domain);
		break;
	case PH_POLICY_HOST:
		buf_adds(b, "mta-sts.");
		buf_add_html_str(b, pol->domain);
		break;
	case PH_POLICY_URL:
		buf_adds(b, "https://mta-sts.");
		buf_add_html_str(b, pol->domain);
		buf_adds(b, POLICY_WELL_KNOWN_PATH);
		break;
	case PH_MODE:
		buf_adds(b, policy_mode_name(pol->mode));
		break;
	case PH_MAX_AGE:
		snprintf(num, sizeof(num), "%lu", (unsigned long)pol->max_age);
		buf_adds(b, num);
		break;
	case PH_MX:
		for (size_t i = 0; i < pol->n_mx; i++) {
			if (i > 0)
				buf_adds(b, ", ");
			buf_add_html_str(b, pol->mx[i]);
		}
		break;
	case PH_ID:
		buf_add_html_str(b, pol->id);
		break;
	case PH_POLICY:
		buf_add_html(b, pol->body, pol->body_len, true);
		break;
	default:
		/* Unknown: template_check() refused the template. */
		break;
	}
}

char *template_render(const char *tpl, const struct policy *pol, size_t *len)
{
	struct buf b = { 0 };
	const char *p = tpl, *ph, *name;
	size_t name_len;

	while ((ph = next_placeholder(p, &name, &name_len)) != NULL) {
		buf_add(&b, p, (size_t)(ph - p));
		render_value(&b, placeholder_lookup(name, name_len), pol);
		p = name + name_len + 2;
	}
	buf_adds(&b, p);
	if (b.failed || b.p == NULL) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
