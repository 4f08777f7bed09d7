/*
 * conf_section: the sections of the main file that configure the server
 * (listen, certificates, tls, http, limits, dns). Each value is checked and
 * copied into struct conf; addresses must be numeric (no name lookups).
 * Cross-section checks (https needs certificates, cname or addresses) are
 * made once every file was read, in conf.c. No I/O.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conf_internal.h"
#include "name.h"
#include "template.h"

#define CONF_MAX_EXPIRY_WARN_DAYS 3650

/* ---- listen ------------------------------------------------------------ */

static bool parse_port(const char *s, in_port_t *out)
{
	unsigned long v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9' && p - s < 6; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == s || *p || v > 65535)
		return false;
	*out = htons((in_port_t)v);
	return true;
}

/* "ADDR:PORT", "[V6]:PORT" or "*:PORT"; numeric only. Returns NULL or a
 * message. */
static const char *parse_inet(const char *s, struct sockaddr_storage *ss,
                              socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_text;
	size_t host_len;
	in_port_t port;
	bool v6;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return "expected \"[IPv6 address]:port\"";
		s++;
		host_len = (size_t)(close - s);
		port_text = close + 2;
		v6 = true;
	} else {
		const char *colon = strrchr(s, ':');

		if (colon == NULL)
			return "expected \"address:port\" (a port is required)";
		host_len = (size_t)(colon - s);
		if (memchr(s, ':', host_len))
			return "write an IPv6 address in brackets, as in "
			       "\"[::1]:8080\"";
		port_text = colon + 1;
		v6 = false;
	}
	if (!parse_port(port_text, &port))
		return "port must be a number from 0 to 65535";
	if (host_len >= sizeof(host))
		return "not a numeric IPv4 or IPv6 address";
	memcpy(host, s, host_len);
	host[host_len] = '\0';
	if (!v6 && !strcmp(host, "*")) {
		strcpy(host, "::");     /* IPv6 and IPv4 */
		v6 = true;
	}
	if (v6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return "not a numeric IPv6 address";
		in6->sin6_family = AF_INET6;
		in6->sin6_port = port;
		*len = sizeof(*in6);
	} else {
		struct sockaddr_in *in4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
			return "not a numeric IPv4 address (host names are not "
			       "allowed)";
		in4->sin_family = AF_INET;
		in4->sin_port = port;
		*len = sizeof(*in4);
	}
	return NULL;
}

static const char *parse_unix(const char *s, struct sockaddr_storage *ss,
                              socklen_t *len)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	size_t n = strlen(s);

	if (s[0] != '/')
		return "unix socket path must be absolute";
	if (n >= sizeof(un->sun_path))
		return "unix socket path is too long";
	memset(ss, 0, sizeof(*ss));
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, s, n + 1);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return NULL;
}

void conf_listen_item(struct loader *L, struct file *F, yaml_node_t *item,
                      void *ctx)
{
	static const char *const kinds[] = { "https", "http", "unix", "admin" };
	struct conf *c = L->c;
	struct conf_listener *l;
	yaml_node_t *k, *v;
	const char *name, *text, *msg;
	unsigned i;

	if (item->type != YAML_MAPPING_NODE) {
		conf_type_error(L, F, item,
		                "a mapping such as \"https: ADDR:PORT\"");
		return;
	}
	if (item->data.mapping.pairs.top - item->data.mapping.pairs.start != 1) {
		conf_value_error(L, F, item, "each listen entry has exactly "
		                 "one key (https, http, unix or admin)");
		return;
	}
	k = yamldoc_node(F->doc, item->data.mapping.pairs.start->key);
	v = yamldoc_node(F->doc, item->data.mapping.pairs.start->value);
	if (!conf_visit(L, F, k) || !conf_visit(L, F, v))
		return;
	if (k->type != YAML_SCALAR_NODE) {
		conf_type_error(L, F, k, "a string key");
		return;
	}
	name = (const char *)k->data.scalar.value;
	for (i = 0; i < N_OF(kinds); i++)
		if (!strcmp(name, kinds[i]))
			break;
	if (i == N_OF(kinds)) {
		struct loc at = conf_loc(F, k);

		diag_error(L->d, &at, "unknown listener kind \"%.64s\" "
		           "(expected https, http, unix, admin)", name);
		return;
	}
	text = conf_str(L, F, v);
	if (text == NULL ||
	    !conf_grow(L, &c->listeners, c->n_listeners, &L->listeners_cap,
	               sizeof(*c->listeners)))
		return;
	l = &c->listeners[c->n_listeners];
	memset(l, 0, sizeof(*l));
	l->kind = i == 0 ? LISTEN_HTTPS : i == 1 ? LISTEN_HTTP
	        : i == 2 ? LISTEN_UNIX : LISTEN_ADMIN;
	/* An admin listener is a unix socket when given a path. */
	msg = l->kind == LISTEN_UNIX || (l->kind == LISTEN_ADMIN && text[0] == '/')
		? parse_unix(text, &l->addr, &l->addr_len)
		: parse_inet(text, &l->addr, &l->addr_len);
	if (msg) {
		struct loc at = conf_loc(F, v);

		diag_error(L->d, &at, "%s listener \"%.128s\": %s", name, text,
		           msg);
		return;
	}
	if (c->n_listeners == CONF_MAX_LISTENERS) {
		struct loc at = conf_loc(F, item);

		diag_error(L->d, &at, "too many listeners (at most %d)",
		           CONF_MAX_LISTENERS);
		return;
	}
	l->text = conf_strdup(L, text);
	if (l->text == NULL)
		return;
	l->loc = conf_loc(F, item);
	c->n_listeners++;
}

/* ---- certificates ------------------------------------------------------- */

enum cert_key { CERT_CERT, CERT_KEY, CERT_DIR, CERT_N };

static const char *const cert_keys[CERT_N] = {
	[CERT_CERT] = "cert", [CERT_KEY] = "key", [CERT_DIR] = "dir",
};

static void cert_key(struct loader *L, struct file *F, unsigned key,
                     yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf_cert *e = ctx;
	char **slot = &e->dir;
	struct loc *at = &e->dir_loc;

	if (key == CERT_CERT) {
		slot = &e->cert;
		at = &e->cert_loc;
	} else if (key == CERT_KEY) {
		slot = &e->key;
		at = &e->key_loc;
	}
	*slot = conf_path(L, F, v);
	*at = conf_loc(F, v);
}

void conf_cert_item(struct loader *L, struct file *F, yaml_node_t *item,
                    void *ctx)
{
	static const struct schema s = {
		" in certificates entry", cert_keys, N_OF(cert_keys), cert_key,
		false,
	};
	struct conf *c = L->c;
	struct conf_cert e = { 0 };
	unsigned before = L->d->errors;

	if (item->type != YAML_MAPPING_NODE) {
		conf_type_error(L, F, item,
		                "a mapping with cert and key, or dir");
		return;
	}
	e.loc = conf_loc(F, item);
	conf_walk_map(L, F, item, &s, &e);
	if (L->d->errors == before) {
		if (e.dir && (e.cert || e.key))
			diag_error(L->d, &e.dir_loc, "dir cannot be combined with "
			           "cert or key");
		else if (!e.dir && !e.key)
			diag_error(L->d, &e.loc, "certificate entry needs %s",
			           e.cert ? "a key" : "cert and key, or dir");
		else if (!e.dir && !e.cert)
			diag_error(L->d, &e.loc, "certificate entry needs a cert");
	}
	L->cert_errors += L->d->errors - before;
	if (L->d->errors != before ||
	    !conf_grow(L, &c->certs, c->n_certs, &L->certs_cap,
	               sizeof(*c->certs))) {
		free(e.cert);
		free(e.key);
		free(e.dir);
		return;
	}
	c->certs[c->n_certs++] = e;
}

/* ---- tls, http, limits, dns -------------------------------------------- */

enum tls_key {
	TLS_PRIORITIES, TLS_DEFAULT_HOST, TLS_EXPIRY_WARNING_DAYS,
	TLS_SESSION_TICKETS, TLS_N
};

static const char *const tls_keys[TLS_N] = {
	[TLS_PRIORITIES] = "priorities", [TLS_DEFAULT_HOST] = "default_host",
	[TLS_EXPIRY_WARNING_DAYS] = "expiry_warning_days",
	[TLS_SESSION_TICKETS] = "session_tickets",
};

static void tls_key(struct loader *L, struct file *F, unsigned key,
                    yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf *c = L->c;
	char name[NAME_MAX_LEN + 1];
	unsigned long n;
	const char *s, *msg;

	switch ((enum tls_key)key) {
	case TLS_PRIORITIES:
		s = conf_str(L, F, v);
		if (s && !*s)
			conf_value_error(L, F, v, "priorities is empty");
		else if (s)
			conf_set_str(L, &c->tls_priorities, s);
		break;
	case TLS_DEFAULT_HOST:
		s = conf_str(L, F, v);
		if (s == NULL)
			break;
		msg = name_normalize(s, name, 0);
		if (msg) {
			struct loc at = conf_loc(F, v);

			diag_error(L->d, &at, "invalid default_host \"%.256s\": %s",
			           s, msg);
			break;
		}
		conf_set_str(L, &c->tls_default_host, name);
		c->tls_default_host_loc = conf_loc(F, v);
		break;
	case TLS_EXPIRY_WARNING_DAYS:
		if (conf_uint(L, F, v, 0, CONF_MAX_EXPIRY_WARN_DAYS, &n))
			c->tls_expiry_warn_days = (unsigned)n;
		break;
	case TLS_SESSION_TICKETS:
		conf_bool(L, F, v, &c->tls_session_tickets);
		break;
	case TLS_N:
		break;
	}
}

const struct schema conf_tls_schema = {
	" in tls", tls_keys, N_OF(tls_keys), tls_key, false,
};

/* Where a list of networks goes: http.trusted_proxies, admin.allow. */
struct net_list {
	const char *what;               /* "trusted proxy", in messages */
	struct forward_net **nets;
	size_t *n, *cap;
};

/* "ADDR" or "ADDR/PREFIX", numeric; ctx is a struct net_list. */
static void net_item(struct loader *L, struct file *F, yaml_node_t *item,
                     void *ctx)
{
	const struct net_list *list = ctx;
	struct forward_net p = { 0 };
	const char *s = conf_str(L, F, item), *slash;
	char host[INET6_ADDRSTRLEN + 1];
	unsigned char *bytes;
	unsigned long prefix;
	size_t len, max, i;
	bool host_bits = false;
	struct loc at;

	if (s == NULL)
		return;
	at = conf_loc(F, item);
	slash = strchr(s, '/');
	len = slash ? (size_t)(slash - s) : strlen(s);
	if (len >= sizeof(host))
		goto bad;
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host,
	              &((struct sockaddr_in *)&p.addr)->sin_addr) == 1) {
		p.addr.ss_family = AF_INET;
		bytes = (unsigned char *)&((struct sockaddr_in *)&p.addr)->sin_addr;
		max = 32;
	} else if (inet_pton(AF_INET6, host,
	                     &((struct sockaddr_in6 *)&p.addr)->sin6_addr) == 1) {
		p.addr.ss_family = AF_INET6;
		bytes = ((struct sockaddr_in6 *)&p.addr)->sin6_addr.s6_addr;
		max = 128;
	} else {
		goto bad;
	}
	prefix = max;
	if (slash) {
		const char *q = slash + 1;

		for (prefix = 0; *q >= '0' && *q <= '9' && q - slash < 4; q++)
			prefix = prefix * 10 + (unsigned long)(*q - '0');
		if (q == slash + 1 || *q || prefix > max) {
			diag_error(L->d, &at, "%s \"%.64s\": prefix "
			           "length must be 0 to %zu", list->what, s, max);
			return;
		}
	}
	/* Bits after the prefix are meaningless: clear them, and say so. */
	for (i = 0; i < max / 8; i++) {
		unsigned keep = prefix >= (i + 1) * 8 ? 8
		              : prefix > i * 8 ? (unsigned)(prefix - i * 8) : 0;
		unsigned char mask = (unsigned char)(0xff00u >> keep);

		if (bytes[i] & (unsigned char)~mask)
			host_bits = true;
		bytes[i] &= mask;
	}
	if (host_bits)
		diag_warning(L->d, &at, "%s \"%.64s\" has bits set after the "
		             "/%lu prefix; they are ignored", list->what, s, prefix);
	p.prefix = (unsigned)prefix;
	if (conf_grow(L, list->nets, *list->n, list->cap, sizeof(p)))
		(*list->nets)[(*list->n)++] = p;
	return;
bad:
	diag_error(L->d, &at, "%s \"%.64s\" is not a numeric IPv4 or IPv6 "
	           "address with an optional /prefix", list->what, s);
}

enum http_key {
	HTTP_CACHE_CONTROL, HTTP_INDEX_PAGE, HTTP_INDEX_TEMPLATE,
	HTTP_ACCESS_LOG, HTTP_TRUSTED_PROXIES, HTTP_N
};

static const char *const http_keys[HTTP_N] = {
	[HTTP_CACHE_CONTROL] = "cache_control",
	[HTTP_INDEX_PAGE] = "index_page",
	[HTTP_INDEX_TEMPLATE] = "index_template",
	[HTTP_ACCESS_LOG] = "access_log",
	[HTTP_TRUSTED_PROXIES] = "trusted_proxies",
};

static void http_key(struct loader *L, struct file *F, unsigned key,
                     yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf *c = L->c;
	const char *s, *p;
	char *path;

	switch ((enum http_key)key) {
	case HTTP_CACHE_CONTROL:
		s = conf_str(L, F, v);
		if (s == NULL)
			break;
		for (p = s; *p >= 0x20 && *p <= 0x7e; p++)
			;
		if (!*s || *p)
			conf_value_error(L, F, v, "cache_control must be "
			                 "non-empty printable ASCII");
		else
			conf_set_str(L, &c->cache_control, s);
		break;
	case HTTP_INDEX_PAGE:
		conf_bool(L, F, v, &c->index_page);
		break;
	case HTTP_INDEX_TEMPLATE:
		path = conf_path(L, F, v);
		if (path) {
			free(c->index_template);
			c->index_template = path;
			c->index_template_loc = conf_loc(F, v);
		}
		break;
	case HTTP_ACCESS_LOG:
		s = conf_str(L, F, v);
		if (s == NULL)
			break;
		free(c->access_log);
		c->access_log = NULL;
		if (!strcmp(s, "off"))
			break;
		if (strcmp(s, "-") && s[0] != '/')
			conf_value_error(L, F, v, "access_log must be \"-\" "
			                 "(standard error), \"off\" or an "
			                 "absolute file name");
		else
			c->access_log = conf_strdup(L, s);
		break;
	case HTTP_TRUSTED_PROXIES: {
		struct net_list list = {
			"trusted proxy", &c->proxies, &c->n_proxies,
			&L->proxies_cap,
		};

		conf_each_item(L, F, v, true, net_item, &list);
		break;
	}
	case HTTP_N:
		break;
	}
}

const struct schema conf_http_schema = {
	" in http", http_keys, N_OF(http_keys), http_key, false,
};

enum limits_key {
	LIMITS_CONNECTIONS, LIMITS_CONNECTIONS_PER_IP, LIMITS_TIMEOUT,
	LIMITS_HEADER_SIZE, LIMITS_N
};

static const char *const limits_keys[LIMITS_N] = {
	[LIMITS_CONNECTIONS] = "connections",
	[LIMITS_CONNECTIONS_PER_IP] = "connections_per_ip",
	[LIMITS_TIMEOUT] = "timeout",
	[LIMITS_HEADER_SIZE] = "header_size",
};

static void limits_key(struct loader *L, struct file *F, unsigned key,
                       yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf *c = L->c;
	unsigned long n;

	switch ((enum limits_key)key) {
	case LIMITS_CONNECTIONS:
		if (conf_uint(L, F, v, 1, CONF_MAX_CONNECTIONS, &n))
			c->max_connections = (unsigned)n;
		break;
	case LIMITS_CONNECTIONS_PER_IP:
		if (conf_uint(L, F, v, 1, CONF_MAX_CONNECTIONS, &n)) {
			c->max_connections_per_ip = (unsigned)n;
			L->has_per_ip = true;
			L->per_ip_loc = conf_loc(F, v);
		}
		break;
	case LIMITS_TIMEOUT:
		if (conf_uint(L, F, v, 1, CONF_MAX_TIMEOUT, &n))
			c->timeout_seconds = (unsigned)n;
		break;
	case LIMITS_HEADER_SIZE:
		if (conf_uint(L, F, v, CONF_MIN_HEADER_BYTES,
		              CONF_MAX_HEADER_BYTES, &n))
			c->max_header_bytes = (unsigned)n;
		break;
	case LIMITS_N:
		break;
	}
}

const struct schema conf_limits_schema = {
	" in limits", limits_keys, N_OF(limits_keys), limits_key, false,
};

static void dns_addr_item(struct loader *L, struct file *F, yaml_node_t *item,
                          void *ctx)
{
	struct conf *c = L->c;
	const char *s = conf_str(L, F, item);
	unsigned char bin[sizeof(struct in6_addr)];
	char text[INET6_ADDRSTRLEN];
	char **addrs;
	int af;

	if (s == NULL)
		return;
	af = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, s, bin) != 1 ||
	    inet_ntop(af, bin, text, sizeof(text)) == NULL) {
		struct loc at = conf_loc(F, item);

		diag_error(L->d, &at, "\"%.64s\" is not a numeric IPv4 or IPv6 "
		           "address", s);
		return;
	}
	addrs = realloc(c->dns_host_addrs,
	                (c->n_dns_host_addrs + 1) * sizeof(*addrs));
	if (addrs == NULL) {
		conf_oom(L);
		return;
	}
	c->dns_host_addrs = addrs;
	addrs[c->n_dns_host_addrs] = conf_strdup(L, text);
	if (addrs[c->n_dns_host_addrs])
		c->n_dns_host_addrs++;
}

enum admin_key { ADMIN_ALLOW, ADMIN_N };

static const char *const admin_keys[ADMIN_N] = { [ADMIN_ALLOW] = "allow" };

static void admin_key(struct loader *L, struct file *F, unsigned key,
                      yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf *c = L->c;
	struct net_list list = {
		"admin client network", &c->admin_allow, &c->n_admin_allow,
		&L->admin_allow_cap,
	};

	switch ((enum admin_key)key) {
	case ADMIN_ALLOW:
		L->admin_allow_loc = conf_loc(F, k);
		conf_each_item(L, F, v, true, net_item, &list);
		break;
	case ADMIN_N:
		break;
	}
}

const struct schema conf_admin_schema = {
	" in admin", admin_keys, N_OF(admin_keys), admin_key, false,
};

enum monitor_key {
	MONITOR_ENABLED, MONITOR_INTERVAL, MONITOR_CONCURRENCY, MONITOR_TIMEOUT,
	MONITOR_SMTP, MONITOR_RESOLVER, MONITOR_CA_FILE, MONITOR_N
};

static const char *const monitor_keys[MONITOR_N] = {
	[MONITOR_ENABLED] = "enabled", [MONITOR_INTERVAL] = "interval",
	[MONITOR_CONCURRENCY] = "concurrency", [MONITOR_TIMEOUT] = "timeout",
	[MONITOR_SMTP] = "smtp", [MONITOR_RESOLVER] = "resolver",
	[MONITOR_CA_FILE] = "ca_file",
};

static void monitor_key(struct loader *L, struct file *F, unsigned key,
                        yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf *c = L->c;
	unsigned long n;
	const char *s;

	switch ((enum monitor_key)key) {
	case MONITOR_ENABLED:
		conf_bool(L, F, v, &c->monitor_enabled);
		break;
	case MONITOR_INTERVAL:
		if (conf_uint(L, F, v, CONF_MIN_MONITOR_INTERVAL,
		              CONF_MAX_MONITOR_INTERVAL, &n))
			c->monitor_interval = (unsigned)n;
		break;
	case MONITOR_CONCURRENCY:
		if (conf_uint(L, F, v, 1, CONF_MAX_MONITOR_CONCURRENCY, &n))
			c->monitor_concurrency = (unsigned)n;
		break;
	case MONITOR_TIMEOUT:
		if (conf_uint(L, F, v, 1, CONF_MAX_MONITOR_TIMEOUT, &n))
			c->monitor_timeout = (unsigned)n;
		break;
	case MONITOR_SMTP:
		conf_bool(L, F, v, &c->monitor_smtp);
		break;
	case MONITOR_RESOLVER:
		s = conf_str(L, F, v);
		if (s && !*s)
			conf_value_error(L, F, v, "resolver is empty");
		else if (s)
			conf_set_str(L, &c->monitor_resolver, s);
		break;
	case MONITOR_CA_FILE: {
		char *path = conf_path(L, F, v);

		if (path) {
			free(c->monitor_ca_file);
			c->monitor_ca_file = path;
		}
		break;
	}
	case MONITOR_N:
		break;
	}
}

const struct schema conf_monitor_schema = {
	" in monitor", monitor_keys, N_OF(monitor_keys), monitor_key, false,
};

enum dns_key { DNS_TTL, DNS_CNAME, DNS_ADDRESSES, DNS_N };

static const char *const dns_keys[DNS_N] = {
	[DNS_TTL] = "ttl", [DNS_CNAME] = "cname", [DNS_ADDRESSES] = "addresses",
};

static void dns_key(struct loader *L, struct file *F, unsigned key,
                    yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf *c = L->c;
	char name[NAME_MAX_LEN + 1];
	const char *s, *msg;
	unsigned long n;

	switch ((enum dns_key)key) {
	case DNS_TTL:
		if (conf_uint(L, F, v, 0, CONF_MAX_DNS_TTL, &n))
			c->dns_ttl = (uint32_t)n;
		break;
	case DNS_CNAME:
		L->cname_loc = conf_loc(F, k);
		s = conf_str(L, F, v);
		if (s == NULL)
			break;
		msg = name_normalize(s, name, 0);
		if (msg) {
			struct loc at = conf_loc(F, v);

			diag_error(L->d, &at, "invalid cname \"%.256s\": %s", s, msg);
			break;
		}
		conf_set_str(L, &c->dns_host_cname, name);
		break;
	case DNS_ADDRESSES:
		L->addrs_loc = conf_loc(F, k);
		conf_each_item(L, F, v, true, dns_addr_item, ctx);
		break;
	case DNS_N:
		break;
	}
}

const struct schema conf_dns_schema = {
	" in dns", dns_keys, N_OF(dns_keys), dns_key, false,
};

enum tlsrpt_key {
	TLSRPT_KEEP_DAYS, TLSRPT_READY_DAYS, TLSRPT_READY_ORGS, TLSRPT_PATH,
	TLSRPT_PER_ADDRESS, TLSRPT_N
};

static const char *const tlsrpt_keys[TLSRPT_N] = {
	[TLSRPT_KEEP_DAYS] = "keep_days", [TLSRPT_READY_DAYS] = "ready_days",
	[TLSRPT_READY_ORGS] = "ready_organizations", [TLSRPT_PATH] = "path",
	[TLSRPT_PER_ADDRESS] = "per_address_per_minute",
};

/* The HTTPS intake's path: compared byte for byte with the request's (no
 * unescaping, no query), so only plain path characters, and never the
 * policy's path. NULL when fine, else why not. */
static const char *tlsrpt_path_problem(const char *s)
{
	size_t len = strlen(s);

	if (s[0] != '/')
		return "must start with '/'";
	if (len > CONF_MAX_TLSRPT_PATH)
		return "is too long";
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("/-._~", *p)))
			return "may contain only letters, digits and / - . _ ~";
	if (strcmp(s, POLICY_WELL_KNOWN_PATH) == 0 || strcmp(s, "/") == 0)
		return "is already served (the policy or the index page)";
	return NULL;
}

static void tlsrpt_key(struct loader *L, struct file *F, unsigned key,
                       yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	unsigned long n;

	switch ((enum tlsrpt_key)key) {
	case TLSRPT_KEEP_DAYS:
		if (conf_uint(L, F, v, 1, CONF_MAX_TLSRPT_KEEP_DAYS, &n))
			L->c->tlsrpt_keep_days = (unsigned)n;
		break;
	case TLSRPT_READY_DAYS:
		/* 2 at least: the window's last day may have no report yet. */
		if (conf_uint(L, F, v, 2, CONF_MAX_TLSRPT_READY_DAYS, &n))
			L->c->tlsrpt_ready_days = (unsigned)n;
		break;
	case TLSRPT_READY_ORGS:
		if (conf_uint(L, F, v, 1, CONF_MAX_TLSRPT_READY_ORGS, &n))
			L->c->tlsrpt_ready_orgs = (unsigned)n;
		break;
	case TLSRPT_PER_ADDRESS:
		if (conf_uint(L, F, v, 1, CONF_MAX_TLSRPT_PER_ADDRESS, &n))
			L->c->tlsrpt_per_address = (unsigned)n;
		break;
	case TLSRPT_PATH: {
		const char *s = conf_str(L, F, v), *why;

		if (s == NULL)
			break;
		if ((why = tlsrpt_path_problem(s)) != NULL) {
			struct loc at = conf_loc(F, v);

			diag_error(L->d, &at, "tlsrpt.path \"%.64s\" %s", s, why);
			break;
		}
		conf_set_str(L, &L->c->tlsrpt_path, s);
		break;
	}
	case TLSRPT_N:
		break;
	}
}

const struct schema conf_tlsrpt_schema = {
	" in tlsrpt", tlsrpt_keys, N_OF(tlsrpt_keys), tlsrpt_key, false,
};
