/*
 * template: the index page template (pure; template_file.h reads one).
 *
 * A template is text with placeholders "{{name}}", name made of [a-z_]. The
 * known names are domain, policy_host, policy_url, mode, max_age, mx, id and
 * policy; every value is HTML-escaped. Any other "{{" (not followed by
 * [a-z_]+ and "}}") is plain text, so a template can show braces. A
 * well-formed placeholder with an unknown name is an error, found once at
 * load time by template_check(), so that rendering cannot fail but for lack
 * of memory.
 */
#ifndef STSD_TEMPLATE_H
#define STSD_TEMPLATE_H

#include <stddef.h>

#include "diag.h"
#include "policy.h"

/* The path every policy is served at (RFC 8461 section 3.3); the
 * {{policy_url}} placeholder names it, and http.c routes it. */
#define POLICY_WELL_KNOWN_PATH "/.well-known/mta-sts.txt"

/* An operator's template file may be at most this large: a page, not a
 * site. */
#define TEMPLATE_MAX_BYTES (1024 * 1024)

/* The built-in template: www/index.html, made a C string at build time (see
 * Makefile.am), so that the installed example and the default cannot drift
 * apart. */
extern const char template_builtin[];

/*
 * Reports every unknown placeholder in `tpl` through `d` at `at`, once per
 * occurrence, with its line number in the template ("index template FILE,
 * line N: unknown placeholder {{x}} ..."); `file` names the template in
 * those messages. Returns the number of unknown placeholders (0: usable).
 */
unsigned template_check(const char *tpl, const char *file,
                        const struct loc *at, struct diag *d);

/*
 * The page `tpl` (checked by template_check) shows for `pol`: every
 * placeholder replaced by its HTML-escaped value. {{policy}} is the policy
 * body with its carriage returns dropped (CRLF reads as LF in <pre>); {{mx}}
 * joins the patterns with ", ". Sets *len to the length (the page is also
 * NUL-terminated). Returns NULL on ENOMEM. Caller frees.
 */
char *template_render(const char *tpl, const struct policy *pol, size_t *len);

#endif
