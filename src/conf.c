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

#include "conf_internal.h"
#include "hostmap.h"
#include "policy.h"

/* ---- the top level of a file ------------------------------------------- */

static const char *const main_keys[] = {
	"listen", "certificates", "tls", "http", "limits", "dns", "user",
	"group", "allow_root", "defaults", "domains", "include",
};

static const char *const included_keys[] = { "domains", "include" };

/* One key of a file's top level. The server's sections are walked by
 * conf_section.c, the policies by conf_policy.c, includes by
 * conf_include.c; user, group and allow_root are single values, set here. */
static void top_key(struct loader *L, struct file *F, unsigned key,
                    yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf *c = L->c;

	(void)k;
	if (F->included)        /* included_keys: domains, include */
		key = key == 0 ? 10 : 11;
	switch (key) {
	case 0:
		if (!yamldoc_is_null(v))
			conf_each_item(L, F, v, false, conf_listen_item, ctx);
		break;
	case 1:
		if (!yamldoc_is_null(v))
			conf_each_item(L, F, v, false, conf_cert_item, ctx);
		break;
	case 2:
		conf_walk_section(L, F, v, &conf_tls_schema, ctx);
		break;
	case 3:
		conf_walk_section(L, F, v, &conf_http_schema, ctx);
		break;
	case 4:
		conf_walk_section(L, F, v, &conf_limits_schema, ctx);
		break;
	case 5:
		conf_walk_section(L, F, v, &conf_dns_schema, ctx);
		break;
	case 6:
		conf_name_value(L, F, v, "user", &c->user);
		break;
	case 7:
		conf_name_value(L, F, v, "group", &c->group);
		break;
	case 8:
		conf_bool(L, F, v, &c->allow_root);
		break;
	case 9:
		if (!conf_walk_section(L, F, v, &conf_defaults_schema, ctx))
			L->defaults_bad = true;
		break;
	case 10:
		conf_walk_domains(L, F, v);
		break;
	default:
		if (!yamldoc_is_null(v))
			conf_each_item(L, F, v, true, conf_include_item, ctx);
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
	if (c->n_certs == 0 && L->cert_errors == 0)
		for (i = 0; i < c->n_listeners; i++)
			if (c->listeners[i].kind == LISTEN_HTTPS)
				diag_error(L->d, &c->listeners[i].loc, "https "
				           "listener needs certificates");
	conf_check_default_host(L);
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
}

struct conf *conf_load(const char *path, struct diag *d)
{
	struct loader L = { 0 };
	unsigned errors = d->errors;
	size_t i;

	L.d = d;
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
		conf_load_file(&L, path, NULL);
	/* Per-domain checks only once every file was read without a fatal
	 * problem in reading itself; value errors don't stop them. */
	if (!L.oom && L.c->n_files > 0) {
		conf_resolve_and_build(&L);
		check_cross(&L);
	}
	conf_policies_free(&L);
	hostmap_free(L.read);
	for (i = 0; i < L.n_reals; i++)
		free(L.reals[i]);
	free(L.reals);
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
