/*
 * test_template: the index page template. Every placeholder rendered
 * exactly, HTML escaping of each special character (and of nothing else),
 * what counts as a placeholder and what is text, unknown placeholders
 * reported with their line, the built-in template, and reading a template
 * file at the size limit, empty, with a NUL byte, missing or a directory.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "template.h"
#include "template_file.h"

static char mx1[] = "mx1.example.com";
static char mx2[] = "*.mail.example.net";
static char *two_mx[] = { mx1, mx2 };
static char body[] = "version: STSv1\r\nmode: testing\r\n";

/* A policy with plain values (what conf.c produces). */
static struct policy plain_policy(void)
{
	struct policy p = { 0 };

	p.domain = (char *)"example.com";
	p.mode = POLICY_MODE_TESTING;
	p.max_age = 86400;
	p.mx = two_mx;
	p.n_mx = 2;
	strcpy(p.id, "20261129");
	p.body = body;
	p.body_len = strlen(body);
	return p;
}

/* Renders `tpl` for `p`; checks the length agrees with the text. Caller
 * frees. */
static char *render(const char *tpl, const struct policy *p)
{
	size_t len = 12345;
	char *page = template_render(tpl, p, &len);

	if (page == NULL) {
		ok(0, "render \"%s\": not NULL", tpl);
		return NULL;
	}
	if (len != strlen(page))
		ok(0, "render \"%s\": length %zu is strlen %zu", tpl, len,
		   strlen(page));
	return page;
}

static void renders(const char *tpl, const struct policy *p, const char *want,
                    const char *what)
{
	char *page = render(tpl, p);

	is_str(page, want, "%s", what);
	free(page);
}

static void test_placeholders(void)
{
	struct policy p = plain_policy();

	renders("{{domain}}", &p, "example.com", "{{domain}}");
	renders("{{policy_host}}", &p, "mta-sts.example.com", "{{policy_host}}");
	renders("{{policy_url}}", &p,
	        "https://mta-sts.example.com/.well-known/mta-sts.txt",
	        "{{policy_url}}");
	renders("{{mode}}", &p, "testing", "{{mode}}");
	renders("{{max_age}}", &p, "86400", "{{max_age}}");
	renders("{{mx}}", &p, "mx1.example.com, *.mail.example.net",
	        "{{mx}}: patterns joined with \", \"");
	renders("{{id}}", &p, "20261129", "{{id}}");
	renders("{{policy}}", &p, "version: STSv1\nmode: testing\n",
	        "{{policy}}: the body, CRs dropped");
	renders("{{domain}}{{domain}}{{mode}}", &p,
	        "example.comexample.comtesting", "adjacent placeholders");
	renders("a{{id}}b{{id}}c", &p, "a20261129b20261129c",
	        "text around and between placeholders kept");

	p.mode = POLICY_MODE_ENFORCE;
	renders("{{mode}}", &p, "enforce", "{{mode}} enforce");
	p.mode = POLICY_MODE_NONE;
	renders("{{mode}}", &p, "none", "{{mode}} none");

	p.max_age = 0;
	renders("{{max_age}}", &p, "0", "{{max_age}} 0");
	p.max_age = POLICY_MAX_AGE_MAX;
	renders("{{max_age}}", &p, "31557600", "{{max_age}} at its maximum");
	p.max_age = UINT32_MAX;
	renders("{{max_age}}", &p, "4294967295", "{{max_age}} UINT32_MAX");

	p.n_mx = 1;
	renders("[{{mx}}]", &p, "[mx1.example.com]", "{{mx}}: one, no comma");
	p.n_mx = 0;
	renders("[{{mx}}]", &p, "[]", "{{mx}}: none, empty");

	p.body_len = 0;
	renders("<pre>{{policy}}</pre>", &p, "<pre></pre>",
	        "{{policy}}: empty body");
	p.body = (char *)"a\r\r\nb\rc";
	p.body_len = 7;
	renders("{{policy}}", &p, "a\nbc", "{{policy}}: every CR dropped");
	p.body = (char *)"ab\0cd";
	p.body_len = 5;
	{
		size_t len = 0;
		char *page = template_render("{{policy}}", &p, &len);

		is_mem(page, len, "ab\0cd", 5,
		       "{{policy}}: body_len bytes, not up to a NUL");
		free(page);
	}
}

static void test_escaping(void)
{
	struct policy p = plain_policy();
	char *page;

	p.domain = (char *)"a&b<c>d\"e'f\rg";
	renders("{{domain}}", &p, "a&amp;b&lt;c&gt;d&quot;e&#39;f\rg",
	        "{{domain}}: & < > \" ' escaped, CR kept");
	renders("{{policy_host}}", &p,
	        "mta-sts.a&amp;b&lt;c&gt;d&quot;e&#39;f\rg",
	        "{{policy_host}} escaped");
	renders("{{policy_url}}", &p,
	        "https://mta-sts.a&amp;b&lt;c&gt;d&quot;e&#39;f\rg"
	        "/.well-known/mta-sts.txt", "{{policy_url}} escaped");
	renders("&<>\"'{{id}}", &p, "&<>\"'20261129",
	        "the template's own text is not escaped");

	p = plain_policy();
	strcpy(p.id, "<&>");
	renders("{{id}}", &p, "&lt;&amp;&gt;", "{{id}} escaped");
	two_mx[0] = (char *)"<a>";
	renders("{{mx}}", &p, "&lt;a&gt;, *.mail.example.net", "{{mx}} escaped");
	two_mx[0] = mx1;
	p.body = (char *)"<&\"'>\r\n";
	p.body_len = strlen(p.body);
	renders("{{policy}}", &p, "&lt;&amp;&quot;&#39;&gt;\n",
	        "{{policy}} escaped, CR dropped");

	/* Bytes that are not special pass through: UTF-8, controls, '{'. */
	p = plain_policy();
	p.domain = (char *)"\xc3\xa9t\xc3\xa9\t{}";
	renders("{{domain}}", &p, "\xc3\xa9t\xc3\xa9\t{}",
	        "UTF-8, tab and braces in a value are unchanged");
	page = render("\xe2\x9c\x89 {{domain}} \xe2\x9c\x89", &p);
	is_str(page, "\xe2\x9c\x89 \xc3\xa9t\xc3\xa9\t{} \xe2\x9c\x89",
	       "UTF-8 in the template is unchanged");
	free(page);

	/* A value that looks like a placeholder is not expanded again. */
	p.domain = (char *)"{{id}}";
	renders("{{domain}}", &p, "{{id}}", "values are not re-expanded");
}

static void test_text_not_placeholders(void)
{
	struct policy p = plain_policy();

	renders("", &p, "", "empty template: empty page");
	renders("no placeholders", &p, "no placeholders", "plain text");
	renders("{{", &p, "{{", "lone {{");
	renders("}}", &p, "}}", "lone }}");
	renders("{{}}", &p, "{{}}", "{{}}: empty name is text");
	renders("{{domain", &p, "{{domain", "unterminated");
	renders("{{domain}", &p, "{{domain}", "one closing brace");
	renders("{{ domain }}", &p, "{{ domain }}", "spaces: text");
	renders("{{Domain}}", &p, "{{Domain}}", "capitals: text");
	renders("{{dom-ain}}", &p, "{{dom-ain}}", "'-': text");
	renders("{{domain1}}", &p, "{{domain1}}", "digit: text");
	renders("{{{domain}}}", &p, "{example.com}",
	        "{{{domain}}}: a brace each side");
	renders("{{{{domain}}", &p, "{{example.com", "{{{{domain}}");
	renders("{{domain}}}}", &p, "example.com}}", "{{domain}}}}");
	renders("{{x{{id}}", &p, "{{x20261129", "text {{ then a placeholder");
}

/* template_check on `tpl`; the diagnostics in *out (caller frees). */
static unsigned check(const char *tpl, char **out)
{
	struct loc at = { .file = "stsd.yaml", .line = 7, .col = 3 };
	struct diag d = { 0 };
	size_t size;
	unsigned n;

	d.out = open_memstream(out, &size);
	if (d.out == NULL)
		abort();
	n = template_check(tpl, "t.html", &at, &d);
	fclose(d.out);
	if (d.errors != n)
		ok(0, "check: %u errors counted, %u returned", d.errors, n);
	return n;
}

#define KNOWN "(known: domain, policy_host, policy_url, mode, max_age, mx, " \
	"id, policy)"

static void test_check(void)
{
	static const char *const known[] = {
		"{{domain}}", "{{policy_host}}", "{{policy_url}}", "{{mode}}",
		"{{max_age}}", "{{mx}}", "{{id}}", "{{policy}}",
	};
	char *out;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		is_int(check(known[i], &out), 0, "%s is known", known[i]);
		is_str(out, "", "%s: no diagnostic", known[i]);
		free(out);
	}
	is_int(check("{{Domain}} {{ x }} {{}} {{a-b}}", &out), 0,
	       "text that is no placeholder is not checked");
	free(out);
	is_int(check("", &out), 0, "empty template is fine");
	free(out);

	is_int(check("{{bogus}}", &out), 1, "unknown placeholder");
	is_str(out, "stsd.yaml:7:3: error: index template t.html, line 1: "
	       "unknown placeholder {{bogus}} " KNOWN "\n",
	       "message: template line, name, the known ones");
	free(out);

	is_int(check("a\n{{domain}}\n\n{{x}} {{domain}} {{x}}\n{{y_z}}", &out),
	       3, "every unknown occurrence counted");
	is_str(out,
	       "stsd.yaml:7:3: error: index template t.html, line 4: "
	       "unknown placeholder {{x}} " KNOWN "\n"
	       "stsd.yaml:7:3: error: index template t.html, line 4: "
	       "unknown placeholder {{x}} " KNOWN "\n"
	       "stsd.yaml:7:3: error: index template t.html, line 5: "
	       "unknown placeholder {{y_z}} " KNOWN "\n",
	       "line numbers count newlines before each");
	free(out);

	is_int(check("{{domains}}{{i}}{{policy_}}", &out), 3,
	       "near misses are unknown");
	free(out);
}

static void test_builtin(void)
{
	struct policy p = plain_policy();
	char *out, *page;

	ok(strlen(template_builtin) > 100, "built-in template is there");
	is_int(check(template_builtin, &out), 0, "built-in template checks");
	free(out);
	ok(strstr(template_builtin, "{{policy}}") != NULL &&
	   strstr(template_builtin, "{{domain}}") != NULL,
	   "built-in template shows the domain and the policy");
	page = render(template_builtin, &p);
	ok(page && strstr(page, "<pre>version: STSv1\nmode: testing\n</pre>"),
	   "built-in page shows the policy");
	ok(page && strstr(page, "{{") == NULL, "built-in page: all expanded");
	free(page);
}

/* --- template_read --- */

static const char *dir;

static char *write_file(const char *name, const char *data, size_t len)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	f = fopen(path, "w");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
	return path;
}

/* template_read(path); *errs set to its diagnostics (caller frees). */
static char *read_tpl(const char *path, char **errs)
{
	struct loc at = { .file = "stsd.yaml", .line = 2 };
	struct diag d = { 0 };
	size_t size;
	char *t;

	d.out = open_memstream(errs, &size);
	if (d.out == NULL)
		abort();
	t = template_read(path, &at, &d);
	fclose(d.out);
	if ((t == NULL) != (d.errors > 0))
		ok(0, "read %s: NULL exactly when an error was reported", path);
	return t;
}

static void test_read(void)
{
	char *path, *t, *errs, *big, *want;

	dir = tap_mkdtemp("test_template");

	path = write_file("ok.html", "<p>{{domain}}</p>\n", 18);
	t = read_tpl(path, &errs);
	is_str(t, "<p>{{domain}}</p>\n", "read: the file's text");
	is_str(errs, "", "read: no diagnostic");
	free(t), free(errs), unlink(path), free(path);

	path = write_file("empty.html", "", 0);
	t = read_tpl(path, &errs);
	is_str(t, "", "read: empty file is an empty template");
	free(t), free(errs), unlink(path), free(path);

	big = malloc(TEMPLATE_MAX_BYTES + 1);
	if (big == NULL)
		abort();
	memset(big, 'x', TEMPLATE_MAX_BYTES + 1);
	path = write_file("max.html", big, TEMPLATE_MAX_BYTES);
	t = read_tpl(path, &errs);
	ok(t && strlen(t) == TEMPLATE_MAX_BYTES, "read: exactly the limit");
	free(t), free(errs), unlink(path), free(path);

	path = write_file("over.html", big, TEMPLATE_MAX_BYTES + 1);
	t = read_tpl(path, &errs);
	ok(t == NULL, "read: one byte over the limit refused");
	if (asprintf(&want, "stsd.yaml:2: error: index template %s is larger "
	             "than 1048576 bytes\n", path) < 0)
		abort();
	is_str(errs, want, "read: over the limit, message");
	free(want), free(errs), unlink(path), free(path);
	free(big);

	path = write_file("nul.html", "a\0b", 3);
	t = read_tpl(path, &errs);
	ok(t == NULL, "read: NUL byte refused");
	if (asprintf(&want, "stsd.yaml:2: error: index template %s contains "
	             "a NUL byte\n", path) < 0)
		abort();
	is_str(errs, want, "read: NUL byte, message");
	free(want), free(errs), unlink(path), free(path);

	if (asprintf(&path, "%s/missing.html", dir) < 0)
		abort();
	t = read_tpl(path, &errs);
	ok(t == NULL, "read: missing file refused");
	if (asprintf(&want, "stsd.yaml:2: error: cannot read index template "
	             "%s: No such file or directory\n", path) < 0)
		abort();
	is_str(errs, want, "read: missing file, message");
	free(want), free(errs), free(path);

	t = read_tpl(dir, &errs);
	ok(t == NULL, "read: a directory refused");
	ok(strstr(errs, "cannot read index template") != NULL &&
	   strstr(errs, "Is a directory") != NULL,
	   "read: a directory, message");
	free(errs);

	rmdir(dir);
}

int main(void)
{
	test_placeholders();
	test_escaping();
	test_text_not_placeholders();
	test_check();
	test_builtin();
	test_read();
	return tap_done();
}
