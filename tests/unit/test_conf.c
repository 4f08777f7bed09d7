/*
 * test_conf: what conf_load() puts in struct conf (the corpus in tests/conf
 * checks the diagnostics; this checks the values), plus conf_find_domain,
 * conf_has_tls, and conf_free on partial results.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

/* The files of these tests live in memory, read through a conf_source:
 * nothing is written to disk, and the loader's relative paths resolve
 * against this directory. */
static const char dir[] = "/mem";
static char *diag_text;
static size_t diag_len;

#define MAX_FILES 16
static struct { char *path, *text; } files[MAX_FILES];
static size_t n_files;

static char *write_file(const char *name, const char *text)
{
	char *path;
	size_t i;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	for (i = 0; i < n_files && strcmp(files[i].path, path); i++)
		;
	if (i == MAX_FILES)
		abort();
	if (i == n_files) {
		files[n_files].path = strdup(path);
		n_files++;
	}
	free(files[i].text);
	files[i].text = strdup(text);
	if (files[i].path == NULL || files[i].text == NULL)
		abort();
	return path;
}

static int mem_read(void *ctx, const char *path, size_t max,
                    struct fileio_data *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n_files; i++)
		if (!strcmp(files[i].path, path))
			break;
	if (i == n_files)
		return ENOENT;
	out->data = strdup(files[i].text);
	if (out->data == NULL)
		abort();
	out->len = strlen(out->data);
	out->st.st_dev = 1;
	out->st.st_ino = i + 1;
	out->st.st_mode = S_IFREG | 0644;
	return out->len > max ? EFBIG : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int mem_expand(void *ctx, const char *pattern, char ***paths, size_t *n)
{
	size_t i;

	*n = 0;
	*paths = calloc(MAX_FILES, sizeof(**paths));
	if (*paths == NULL)
		abort();
	for (i = 0; i < n_files; i++)
		if (fnmatch(pattern, files[i].path, FNM_PATHNAME) == 0)
			(*paths)[(*n)++] = strdup(files[i].path);
	if (*n == 0) {
		free(*paths);
		*paths = NULL;
		return CONF_SOURCE_NOMATCH;
	}
	qsort(*paths, *n, sizeof(**paths), by_name);
	return 0;
}

static const struct conf_source mem_source = { mem_read, mem_expand, NULL };

/* Loads `text` as NAME in the directory; the diagnostics end up in
 * diag_text, the counts in *d. */
static struct conf *load(const char *name, const char *text, struct diag *d)
{
	char *path = write_file(name, text);
	struct conf *c;

	free(diag_text);
	memset(d, 0, sizeof(*d));
	d->out = open_memstream(&diag_text, &diag_len);
	if (d->out == NULL)
		abort();
	c = conf_load_from(path, &mem_source, d);
	fclose(d->out);
	d->out = NULL;
	free(path);
	return c;
}

static void test_defaults(void)
{
	struct diag d;
	struct conf *c = load("min.yaml",
		"domains:\n"
		"  example.com: {mode: enforce, max_age: 604800, mx: mx.example.net}\n",
		&d);

	ok(c != NULL, "minimal configuration loads");
	if (c == NULL)
		return;
	is_int(d.errors + d.warnings, 0, "no diagnostics");
	is_str(c->tls_priorities, CONF_DEFAULT_TLS_PRIORITIES, "default priorities");
	is_str(c->cache_control, CONF_DEFAULT_CACHE_CONTROL, "default cache_control");
	is_int(c->max_connections, CONF_DEFAULT_MAX_CONNECTIONS, "default connections");
	is_int(c->max_connections_per_ip, CONF_DEFAULT_MAX_CONNECTIONS_PER_IP,
	       "default connections_per_ip");
	is_int(c->timeout_seconds, CONF_DEFAULT_TIMEOUT, "default timeout");
	is_int(c->max_header_bytes, CONF_DEFAULT_MAX_HEADER_BYTES, "default header_size");
	is_int(c->dns_ttl, CONF_DEFAULT_DNS_TTL, "default ttl");
	is_int(c->tls_expiry_warn_days, CONF_DEFAULT_EXPIRY_WARN_DAYS,
	       "default expiry_warning_days");
	ok(c->tls_session_tickets, "session tickets on by default");
	ok(c->index_page, "index page on by default");
	ok(c->access_log == NULL, "access log off by default");
	ok(!c->allow_root, "allow_root off by default");
	ok(c->user == NULL && c->group == NULL, "no user, no group");
	is_int(c->n_listeners, 0, "no listeners");
	ok(!conf_has_tls(c), "no tls without an https listener");
	is_int(c->n_files, 1, "one file read");
	conf_free(c);
}

static const char full_yaml[] =
	"listen:\n"
	"  - https: \"*:8443\"\n"
	"  - http: \"127.0.0.1:0\"\n"
	"  - http: \"[2001:db8::1]:65535\"\n"
	"  - unix: /run/stsd.sock\n"
	"certificates:\n"
	"  - {cert: a.pem, key: /abs/a.key}\n"
	"  - dir: certs\n"
	"tls:\n"
	"  default_host: MTA-STS.Example.COM.\n"
	"  session_tickets: no\n"
	"  expiry_warning_days: 7\n"
	"http:\n"
	"  access_log: /var/log/stsd.log\n"
	"  index_template: tpl/index.html\n"
	"  cache_control: \"max-age=60\"\n"
	"  trusted_proxies: [10.1.2.3/8, \"fd00::1/8\", 192.0.2.7]\n"
	"limits: {connections: 10, connections_per_ip: 10, timeout: 5, header_size: 2048}\n"
	"dns: {ttl: 0, addresses: [192.0.2.1, \"2001:DB8:0::1\"]}\n"
	"user: stsd\n"
	"group: nogroup\n"
	"allow_root: true\n"
	"defaults:\n"
	"  mode: enforce\n"
	"  max_age: 604800\n"
	"  tls_rpt: mailto:d@example.com\n"
	"domains:\n"
	"  b.example: {mx: [mx2.example.net, MX1.example.net., mx2.example.net]}\n"
	"  a.example: {mode: testing, max_age: 1209600, mx: mx.example.net,\n"
	"              tls_rpt: [\"mailto:a@example.com\", \"https://r.example/x\"], id: abc123}\n"
	"  example.com: {same_as: a.example, tls_rpt: \"mailto:c@example.com\"}\n"
	"  example.org: {same_as: example.com}\n";

static void test_listeners(const struct conf *c)
{
	const struct sockaddr_in6 *in6;
	const struct sockaddr_in *in4;
	const struct sockaddr_un *un;
	unsigned char any[16] = { 0 };
	struct in6_addr v6;

	is_int(c->n_listeners, 4, "four listeners");
	if (c->n_listeners != 4)
		return;
	is_int(c->listeners[0].kind, LISTEN_HTTPS, "first is https");
	in6 = (const struct sockaddr_in6 *)&c->listeners[0].addr;
	ok(in6->sin6_family == AF_INET6 && !memcmp(&in6->sin6_addr, any, 16) &&
	   ntohs(in6->sin6_port) == 8443, "*:8443 is [::]:8443");
	is_int(c->listeners[0].addr_len, sizeof(*in6), "v6 length");
	is_str(c->listeners[0].text, "*:8443", "text as written");
	is_int(c->listeners[0].loc.line, 2, "listener location line");
	is_int(c->listeners[0].loc.col, 5, "listener location column");
	in4 = (const struct sockaddr_in *)&c->listeners[1].addr;
	ok(c->listeners[1].kind == LISTEN_HTTP && in4->sin_family == AF_INET &&
	   in4->sin_addr.s_addr == htonl(0x7f000001) && in4->sin_port == 0,
	   "127.0.0.1:0");
	in6 = (const struct sockaddr_in6 *)&c->listeners[2].addr;
	inet_pton(AF_INET6, "2001:db8::1", &v6);
	ok(!memcmp(&in6->sin6_addr, &v6, 16) && ntohs(in6->sin6_port) == 65535,
	   "[2001:db8::1]:65535");
	un = (const struct sockaddr_un *)&c->listeners[3].addr;
	ok(c->listeners[3].kind == LISTEN_UNIX && un->sun_family == AF_UNIX &&
	   !strcmp(un->sun_path, "/run/stsd.sock"), "unix socket path");
	is_int(c->listeners[3].addr_len,
	       offsetof(struct sockaddr_un, sun_path) + strlen("/run/stsd.sock") + 1,
	       "unix address length");
	ok(conf_has_tls(c), "an https listener means tls");
}

static void test_sections(const struct conf *c)
{
	char want[256];
	const struct sockaddr_in *in4;

	is_int(c->n_certs, 2, "two certificate entries");
	if (c->n_certs == 2) {
		snprintf(want, sizeof(want), "%s/a.pem", dir);
		is_str(c->certs[0].cert, want, "relative cert is taken from the "
		       "config's directory");
		is_str(c->certs[0].key, "/abs/a.key", "absolute key as is");
		ok(c->certs[0].dir == NULL, "pair has no dir");
		snprintf(want, sizeof(want), "%s/certs", dir);
		is_str(c->certs[1].dir, want, "dir entry");
		ok(c->certs[1].cert == NULL && c->certs[1].key == NULL,
		   "dir entry has no pair");
	}
	is_str(c->tls_default_host, "mta-sts.example.com", "default_host normalised");
	ok(!c->tls_session_tickets, "session_tickets: no");
	is_int(c->tls_expiry_warn_days, 7, "expiry days");
	is_str(c->access_log, "/var/log/stsd.log", "access_log path");
	snprintf(want, sizeof(want), "%s/tpl/index.html", dir);
	is_str(c->index_template, want, "index_template relative to the config");
	is_str(c->cache_control, "max-age=60", "cache_control");
	is_int(c->n_proxies, 3, "three proxies");
	if (c->n_proxies == 3) {
		in4 = (const struct sockaddr_in *)&c->proxies[0].addr;
		ok(in4->sin_family == AF_INET &&
		   in4->sin_addr.s_addr == htonl(0x0a000000) &&
		   c->proxies[0].prefix == 8, "10.1.2.3/8 is masked to 10.0.0.0/8");
		is_int(c->proxies[1].prefix, 8, "v6 prefix");
		ok(((const struct sockaddr_in6 *)&c->proxies[1].addr)
		   ->sin6_addr.s6_addr[15] == 0, "v6 host bits cleared");
		is_int(c->proxies[2].prefix, 32, "a bare address is /32");
	}
	is_int(c->max_connections, 10, "connections");
	is_int(c->max_connections_per_ip, 10, "per ip = connections is fine");
	is_int(c->timeout_seconds, 5, "timeout");
	is_int(c->max_header_bytes, 2048, "header_size");
	is_int(c->dns_ttl, 0, "ttl 0");
	is_int(c->n_dns_host_addrs, 2, "two addresses");
	if (c->n_dns_host_addrs == 2) {
		is_str(c->dns_host_addrs[0], "192.0.2.1", "v4 address");
		is_str(c->dns_host_addrs[1], "2001:db8::1", "v6 address canonical");
	}
	ok(c->dns_host_cname == NULL, "no cname");
	is_str(c->user, "stsd", "user");
	is_str(c->group, "nogroup", "group");
	ok(c->allow_root, "allow_root");
}

#define BODY_A "version: STSv1\r\nmode: testing\r\nmx: mx.example.net\r\n" \
               "max_age: 1209600\r\n"

static void test_domains(const struct conf *c)
{
	const struct conf_domain *a, *b, *com, *org;
	size_t i;

	is_int(c->n_domains, 4, "four domains");
	for (i = 1; i < c->n_domains; i++)
		ok(strcmp(c->domains[i - 1].policy.domain,
		          c->domains[i].policy.domain) < 0, "sorted at %zu", i);
	a = conf_find_domain(c, "a.example");
	b = conf_find_domain(c, "b.example");
	com = conf_find_domain(c, "example.com");
	org = conf_find_domain(c, "example.org");
	ok(a && b && com && org, "every domain found");
	ok(conf_find_domain(c, "example.net") == NULL, "unknown domain not found");
	ok(conf_find_domain(c, "A.example") == NULL, "lookup takes normalised names");
	if (!(a && b && com && org))
		return;
	is_int(b->policy.mode, POLICY_MODE_ENFORCE, "b inherits mode");
	is_int(b->policy.max_age, 604800, "b inherits max_age");
	is_int(b->policy.n_mx, 2, "b: duplicate mx dropped");
	if (b->policy.n_mx == 2) {
		is_str(b->policy.mx[0], "mx2.example.net", "mx order kept");
		is_str(b->policy.mx[1], "mx1.example.net", "mx normalised");
	}
	is_int(b->policy.n_tls_rpt, 1, "b inherits tls_rpt");
	if (b->policy.n_tls_rpt == 1)
		is_str(b->policy.tls_rpt[0], "mailto:d@example.com", "default tls_rpt");
	ok(!b->policy.id_explicit && b->policy.id[0], "b has a derived id");
	is_int(b->loc.line, 28, "domain location line");
	is_int(b->loc.col, 3, "domain location column");

	is_int(a->policy.mode, POLICY_MODE_TESTING, "a: own mode");
	is_int(a->policy.max_age, 1209600, "a: own max_age");
	ok(a->policy.id_explicit, "a: explicit id");
	is_str(a->policy.id, "abc123", "a: the id");
	is_int(a->policy.n_tls_rpt, 2, "a: own tls_rpt");
	is_mem(a->policy.body, a->policy.body_len, BODY_A, sizeof(BODY_A) - 1,
	       "a: body");

	is_int(com->policy.mode, POLICY_MODE_TESTING, "same_as copies mode");
	is_int(com->policy.max_age, 1209600, "same_as copies max_age");
	ok(com->policy.n_mx == 1 && !strcmp(com->policy.mx[0], "mx.example.net"),
	   "same_as copies mx");
	is_mem(com->policy.body, com->policy.body_len, a->policy.body,
	       a->policy.body_len, "same_as: the same body");
	ok(!com->policy.id_explicit, "same_as does not copy an explicit id");
	ok(com->policy.n_tls_rpt == 1 &&
	   !strcmp(com->policy.tls_rpt[0], "mailto:c@example.com"),
	   "same_as keeps its own tls_rpt");
	ok(org->policy.n_tls_rpt == 1 &&
	   !strcmp(org->policy.tls_rpt[0], "mailto:d@example.com"),
	   "an alias without tls_rpt gets the default, not its target's");
	is_int(org->policy.max_age, 1209600, "alias of an alias");
}

static void test_full(void)
{
	struct diag d;
	struct conf *c = load("full.yaml", full_yaml, &d);

	ok(c != NULL, "full configuration loads");
	if (c == NULL) {
		printf("# %s", diag_text);
		return;
	}
	/* testing mode, two proxies with host bits, a duplicate mx */
	is_int(d.errors, 0, "no errors");
	is_int(d.warnings, 4, "four warnings");
	test_listeners(c);
	test_sections(c);
	test_domains(c);
	conf_free(c);
}

static void test_errors(void)
{
	struct diag d;
	struct conf *c;

	c = load("bad.yaml", "domains:\n  example.com: {mode: enforce}\n"
	         "  example.net: {mode: bogus, max_age: 1, mx: a.b}\n", &d);
	ok(c == NULL, "errors: NULL");
	is_int(d.errors, 2, "every error counted");
	ok(diag_text && strstr(diag_text, "/bad.yaml:2:3: error: domain "
	   "example.com has no max_age"), "missing max_age at the domain");

	c = load("inc.yaml", "include: [\"sub/*.yaml\", sub/one.yaml]\n", &d);
	ok(c == NULL, "include of a missing plain file fails");
	ok(diag_text && strstr(diag_text, "/inc.yaml:1:25: error: cannot read"),
	   "at the include item");

	free(write_file("sub.yaml", "include: \"parts/*.yaml\"\n"));
	free(write_file("parts/b.yaml",
	                "domains: {b.example: {mode: none, max_age: 86400, mx: m.b.example}}\n"));
	free(write_file("parts/a.yaml",
	                "domains: {a.example: {same_as: b.example}}\n"));
	c = load("main.yaml", "include: sub.yaml\n", &d);
	ok(c != NULL, "nested include with a glob loads");
	if (c) {
		is_int(c->n_files, 4, "four files read");
		if (c->n_files == 4) {
			ok(strstr(c->files[2], "parts/a.yaml") != NULL,
			   "glob matches are read in sorted order");
		}
		is_int(c->n_domains, 2, "two domains from includes");
		ok(c->n_domains == 2 && !strcmp(c->domains[0].loc.file, c->files[2]),
		   "locations point into conf->files");
		conf_free(c);
	}
}

/* acme: the values kept, the defaults, and which domains it wants. */
static void test_acme(void)
{
	struct diag d;
	struct conf *c = load("acme.yaml",
		"listen: [{https: \"127.0.0.1:0\"}, {http: \"127.0.0.1:0\"}]\n"
		"acme:\n"
		"  email: ops@example.com\n"
		"  accept_terms: true\n"
		"  challenge: http-01\n"
		"  eab_kid: kid-1\n"
		"  eab_hmac_key: zWNDZM6eQGHWpSRT\n"
		"  domains: [example.org, Example.NET.]\n"
		"  orders_per_hour: 3600\n"
		"defaults: {mode: enforce, max_age: 604800, mx: mx.example.net}\n"
		"domains:\n"
		"  example.com: {}\n  example.net: {}\n  example.org: {}\n",
		&d);

	ok(c != NULL, "acme: loads");
	if (c == NULL) {
		printf("# %s\n", diag_text ? diag_text : "");
		return;
	}
	ok(c->acme.enabled, "acme: enabled");
	is_str(c->acme.directory, CONF_DEFAULT_ACME_DIRECTORY,
	       "acme: Let's Encrypt production by default");
	is_str(c->acme.email, "ops@example.com", "acme: email");
	ok(c->acme.challenge == CONF_ACME_HTTP_01, "acme: http-01");
	is_str(c->acme.eab_kid, "kid-1", "acme: eab_kid");
	is_int(c->acme.orders_per_hour, 3600, "acme: orders_per_hour");
	ok(!conf_acme_wants(c, "example.com"), "acme: an unlisted domain is not wanted");
	ok(conf_acme_wants(c, "example.net"), "acme: a listed domain (normalised) is wanted");
	ok(conf_acme_wants(c, "example.org"), "acme: the other listed domain is wanted");
	is_int(d.errors, 0, "acme: no errors");
	conf_free(c);

	c = load("acme-all.yaml",
		"listen: [{https: \"127.0.0.1:0\"}]\n"
		"acme: {accept_terms: true}\n"
		"defaults: {mode: enforce, max_age: 604800, mx: mx.example.net}\n"
		"domains:\n  example.com: {}\n",
		&d);
	ok(c != NULL && conf_acme_wants(c, "example.com") &&
	   c->acme.challenge == CONF_ACME_TLS_ALPN_01 &&
	   c->acme.orders_per_hour == CONF_DEFAULT_ACME_ORDERS_PER_HOUR,
	   "acme: every domain, tls-alpn-01 and 100 orders an hour by default");
	conf_free(c);
	c = load("no-acme.yaml",
		"domains:\n  example.com: {mode: enforce, max_age: 604800, mx: mx.example.net}\n",
		&d);
	ok(c != NULL && !c->acme.enabled && !conf_acme_wants(c, "example.com"),
	   "acme: off without the section");
	conf_free(c);
}

int main(void)
{
	size_t i;

	test_defaults();
	test_full();
	test_errors();
	test_acme();
	free(diag_text);
	for (i = 0; i < n_files; i++) {
		free(files[i].path);
		free(files[i].text);
	}
	return tap_done();
}
