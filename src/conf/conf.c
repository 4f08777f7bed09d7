/*
 * conf: stsd.yaml (and the files it includes) turned into a struct conf.
 *
 * Three phases:
 *  1. read: each file is composed into a document (yamldoc.c: aliases
 *     become shared nodes) and walked against the schema. Values are
 *     checked and copied out; every domain becomes a raw_domain holding
 *     only what was written for it. Errors are reported and the walk goes
 *     on.
 *  2. resolve: raw domains are sorted by name (duplicates found by
 *     comparing neighbours), then defaults and same_as aliases are applied.
 *  3. build: every resolved domain gets its struct policy, rendered so that
 *     its size is known; cross-section checks (certificates, default_host).
 *
 * This file holds the public API, the top level of a file (which keys go
 * where) and the cross-section checks; conf_internal.h says where the rest
 * lives. The walk only descends as deep as the schema, and counts the nodes
 * it visits so that aliases cannot make it do more than CONF_MAX_YAML_NODES
 * visits beyond the nodes a file really contains.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "conf_internal.h"
#include "hostmap.h"
#include "policy.h"

/* ---- the top level of a file ------------------------------------------- */

enum top_key {
	TOP_LISTEN, TOP_CERTIFICATES, TOP_TLS, TOP_HTTP, TOP_LIMITS, TOP_DNS,
	TOP_USER, TOP_GROUP, TOP_ALLOW_ROOT, TOP_DEFAULTS, TOP_DOMAINS,
	TOP_INCLUDE, TOP_ADMIN, TOP_STATE_DIR, TOP_MONITOR, TOP_TLSRPT,
	TOP_ACME, TOP_N
};
_Static_assert(TOP_N <= CONF_SCHEMA_MAX_KEYS, "too many top-level keys");

static const char *const main_keys[TOP_N] = {
	[TOP_LISTEN] = "listen", [TOP_CERTIFICATES] = "certificates",
	[TOP_TLS] = "tls", [TOP_HTTP] = "http", [TOP_LIMITS] = "limits",
	[TOP_DNS] = "dns", [TOP_USER] = "user", [TOP_GROUP] = "group",
	[TOP_ALLOW_ROOT] = "allow_root", [TOP_DEFAULTS] = "defaults",
	[TOP_DOMAINS] = "domains", [TOP_INCLUDE] = "include",
	[TOP_ADMIN] = "admin", [TOP_STATE_DIR] = "state_dir",
	[TOP_MONITOR] = "monitor",
	[TOP_TLSRPT] = "tlsrpt",
	[TOP_ACME] = "acme",
};

/* An included file adds domains and includes, nothing else. */
static const char *const included_keys[TOP_N] = {
	[TOP_DOMAINS] = "domains", [TOP_INCLUDE] = "include",
};

/* One key of a file's top level. The server's sections are walked by
 * conf_section.c, the policies by conf_policy.c, includes by
 * conf_include.c; user, group and allow_root are single values, set here. */
static void top_key(struct loader *L, struct file *F, unsigned key,
                    yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf *c = L->c;

	switch ((enum top_key)key) {
	case TOP_LISTEN:
		if (!yamldoc_is_null(v))
			conf_each_item(L, F, v, false, conf_listen_item, ctx);
		break;
	case TOP_CERTIFICATES:
		if (!yamldoc_is_null(v))
			conf_each_item(L, F, v, false, conf_cert_item, ctx);
		break;
	case TOP_TLS:
		conf_walk_section(L, F, v, &conf_tls_schema, ctx);
		break;
	case TOP_HTTP:
		conf_walk_section(L, F, v, &conf_http_schema, ctx);
		break;
	case TOP_LIMITS:
		conf_walk_section(L, F, v, &conf_limits_schema, ctx);
		break;
	case TOP_DNS:
		conf_walk_section(L, F, v, &conf_dns_schema, ctx);
		break;
	case TOP_USER:
		conf_name_value(L, F, v, "user", &c->user);
		break;
	case TOP_GROUP:
		conf_name_value(L, F, v, "group", &c->group);
		break;
	case TOP_ALLOW_ROOT:
		conf_bool(L, F, v, &c->allow_root);
		break;
	case TOP_DEFAULTS:
		if (!conf_walk_section(L, F, v, &conf_defaults_schema, ctx))
			L->defaults_bad = true;
		break;
	case TOP_DOMAINS:
		conf_walk_domains(L, F, v);
		break;
	case TOP_INCLUDE:
		if (!yamldoc_is_null(v))
			conf_each_item(L, F, v, true, conf_include_item, ctx);
		break;
	case TOP_ADMIN:
		conf_walk_section(L, F, v, &conf_admin_schema, ctx);
		break;
	case TOP_MONITOR:
		conf_walk_section(L, F, v, &conf_monitor_schema, ctx);
		break;
	case TOP_TLSRPT:
		conf_walk_section(L, F, v, &conf_tlsrpt_schema, ctx);
		break;
	case TOP_STATE_DIR: {
		char *path = conf_path(L, F, v);

		if (path) {
			free(c->state_dir);
			c->state_dir = path;
			c->state_dir_set = true;
		}
		break;
	}
	case TOP_ACME:
		conf_walk_acme(L, F, k, v);
		break;
	case TOP_N:
		break;
	}
}

const struct schema conf_main_schema = {
	"", main_keys, N_OF(main_keys), top_key, false,
};

static const struct schema included_schema = {
	"", included_keys, N_OF(included_keys), top_key, true,
};

void conf_walk_file(struct loader *L, struct file *F)
{
	yaml_node_t *root = yamldoc_root(F->doc);

	if (root == NULL || yamldoc_is_null(root))
		return;                 /* an empty file */
	if (!conf_visit(L, F, root))
		return;
	if (root->type != YAML_MAPPING_NODE) {
		conf_type_error(L, F, root, "a mapping at the top level");
		L->read_failed = true;
		return;
	}
	conf_walk_map(L, F, root,
	              F->included ? &included_schema : &conf_main_schema, NULL);
}

/* ---- conf_load and the public API -------------------------------------- */

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr)
		        >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
			&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return false;
}

/* One admin listener at most; off loopback and unix sockets it must say
 * who may use it (metrics and status name every domain). */
static void check_admin(struct loader *L)
{
	struct conf *c = L->c;
	const struct conf_listener *admin = NULL;

	for (size_t i = 0; i < c->n_listeners; i++) {
		const struct conf_listener *l = &c->listeners[i];

		if (l->kind != LISTEN_ADMIN)
			continue;
		if (admin != NULL) {
			diag_error(L->d, &l->loc, "only one admin listener is "
			           "allowed (the first is at line %u)",
			           admin->loc.line);
			continue;
		}
		admin = l;
		if (l->addr.ss_family != AF_UNIX && !is_loopback(&l->addr) &&
		    c->n_admin_allow == 0)
			diag_error(L->d, &l->loc, "admin listener \"%s\" is not on "
			           "a loopback address: list the client networks "
			           "allowed to use it in admin.allow", l->text);
	}
	if (c->n_admin_allow > 0 && admin == NULL)
		diag_warning(L->d, &L->admin_allow_loc, "admin.allow is set but "
		             "no admin listener is configured");
}

static void check_cross(struct loader *L)
{
	struct conf *c = L->c;
	size_t i;

	if (L->has_per_ip && c->max_connections_per_ip > c->max_connections)
		diag_error(L->d, &L->per_ip_loc, "connections_per_ip (%u) cannot "
		           "exceed connections (%u)", c->max_connections_per_ip,
		           c->max_connections);
	if (c->dns_host_cname && c->n_dns_host_addrs)
		diag_error(L->d, L->cname_loc.line > L->addrs_loc.line ||
		           (L->cname_loc.line == L->addrs_loc.line &&
		            L->cname_loc.col > L->addrs_loc.col)
		           ? &L->cname_loc : &L->addrs_loc,
		           "dns: cname and addresses cannot be combined");
	/* With acme:, certificates arrive at run time. */
	if (c->n_certs == 0 && L->cert_errors == 0 && !c->acme.enabled)
		for (i = 0; i < c->n_listeners; i++)
			if (c->listeners[i].kind == LISTEN_HTTPS)
				diag_error(L->d, &c->listeners[i].loc, "https "
				           "listener needs certificates");
	conf_check_default_host(L);
	check_admin(L);
	conf_check_acme(L);
}

static void set_defaults(struct loader *L)
{
	struct conf *c = L->c;

	c->tls_priorities = conf_strdup(L, CONF_DEFAULT_TLS_PRIORITIES);
	c->tls_expiry_warn_days = CONF_DEFAULT_EXPIRY_WARN_DAYS;
	c->tls_session_tickets = true;
	c->cache_control = conf_strdup(L, CONF_DEFAULT_CACHE_CONTROL);
	c->index_page = true;
	c->max_connections = CONF_DEFAULT_MAX_CONNECTIONS;
	c->max_connections_per_ip = CONF_DEFAULT_MAX_CONNECTIONS_PER_IP;
	c->timeout_seconds = CONF_DEFAULT_TIMEOUT;
	c->max_header_bytes = CONF_DEFAULT_MAX_HEADER_BYTES;
	c->dns_ttl = CONF_DEFAULT_DNS_TTL;
	c->state_dir = conf_strdup(L, CONF_DEFAULT_STATE_DIR);
	c->monitor_enabled = true;
	c->monitor_interval = CONF_DEFAULT_MONITOR_INTERVAL;
	c->monitor_concurrency = CONF_DEFAULT_MONITOR_CONCURRENCY;
	c->monitor_timeout = CONF_DEFAULT_MONITOR_TIMEOUT;
	c->monitor_smtp = true;
	c->tlsrpt_keep_days = CONF_DEFAULT_TLSRPT_KEEP_DAYS;
	c->tlsrpt_ready_days = CONF_DEFAULT_TLSRPT_READY_DAYS;
	c->tlsrpt_ready_orgs = CONF_DEFAULT_TLSRPT_READY_ORGS;
	c->tlsrpt_per_address = CONF_DEFAULT_TLSRPT_PER_ADDRESS;
}

/* Reads the main file and every file it includes, walking each. */
static void read_files(struct loader *L, const char *path)
{
	struct file F;

	conf_include_push(L, path, NULL);
	while (!L->oom && conf_next_file(L, &F)) {
		conf_walk_file(L, &F);
		conf_file_done(L, &F);
	}
}

struct conf *conf_load(const char *path, struct diag *d)
{
	return conf_load_from(path, &conf_fs_source, d);
}

struct conf *conf_load_from(const char *path, const struct conf_source *src,
                            struct diag *d)
{
	struct loader L = { 0 };
	unsigned errors = d->errors;

	L.d = d;
	L.src = src;
	L.c = calloc(1, sizeof(*L.c));
	if (L.c == NULL)
		return NULL;
	L.c->path = strdup(path);
	if (L.c->path == NULL) {
		free(L.c);
		return NULL;
	}
	set_defaults(&L);
	L.read = hostmap_new(16);
	if (L.read == NULL)
		conf_oom(&L);
	if (!L.oom)
		read_files(&L, path);
	/* Per-domain checks only once every file was read without a fatal
	 * problem in reading itself; value errors don't stop them. */
	if (!L.oom && L.c->n_files > 0) {
		conf_resolve_and_build(&L);
		check_cross(&L);
	}
	conf_policies_free(&L);
	hostmap_free(L.read);
	conf_includes_free(&L);
	free(L.acme_domain_locs);
	if (L.oom || d->errors != errors) {
		conf_free(L.c);
		return NULL;
	}
	return L.c;
}

bool conf_has_tls(const struct conf *c)
{
	size_t i;

	for (i = 0; i < c->n_listeners; i++)
		if (c->listeners[i].kind == LISTEN_HTTPS)
			return true;
	return false;
}

const struct conf_domain *conf_find_domain(const struct conf *c,
                                           const char *name)
{
	size_t lo = 0, hi = c->n_domains;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(name, c->domains[mid].policy.domain);

		if (r == 0)
			return &c->domains[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_listeners; i++)
		free(c->listeners[i].text);
	free(c->listeners);
	for (i = 0; i < c->n_certs; i++) {
		free(c->certs[i].cert);
		free(c->certs[i].key);
		free(c->certs[i].dir);
	}
	free(c->certs);
	for (i = 0; i < c->n_domains; i++)
		policy_clear(&c->domains[i].policy);
	free(c->domains);
	free(c->tls_priorities);
	free(c->tls_default_host);
	free(c->cache_control);
	free(c->index_template);
	free(c->access_log);
	free(c->proxies);
	free(c->admin_allow);
	free(c->state_dir);
	free(c->tlsrpt_path);
	free(c->monitor_resolver);
	free(c->monitor_ca_file);
	conf_acme_free(&c->acme);
	free(c->dns_host_cname);
	for (i = 0; i < c->n_dns_host_addrs; i++)
		free(c->dns_host_addrs[i]);
	free(c->dns_host_addrs);
	free(c->user);
	free(c->group);
	for (i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	free(c->path);
	free(c);
}
