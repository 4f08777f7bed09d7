/*
 * conf_acme: the "acme:" section (certificates from an ACME CA, RFC 8555).
 * Each value is checked and copied into conf->acme; the checks that need
 * the whole configuration (the terms accepted, listed domains configured,
 * a listener for the challenge) run once every file was read, from
 * conf.c's cross-section checks. No I/O: the CA is never contacted here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"
#include "name.h"

#define ACME_MAX_URL 2048
#define ACME_MAX_EMAIL 254

enum acme_key {
	ACME_DIRECTORY, ACME_EMAIL, ACME_ACCEPT_TERMS, ACME_CA_FILE,
	ACME_CHALLENGE, ACME_EAB_KID, ACME_EAB_HMAC_KEY, ACME_KEY_TYPE,
	ACME_DOMAINS, ACME_ORDERS_PER_HOUR, ACME_N
};
_Static_assert(ACME_N <= CONF_SCHEMA_MAX_KEYS, "too many acme keys");

static const char *const acme_keys[ACME_N] = {
	[ACME_DIRECTORY] = "directory", [ACME_EMAIL] = "email",
	[ACME_ACCEPT_TERMS] = "accept_terms", [ACME_CA_FILE] = "ca_file",
	[ACME_CHALLENGE] = "challenge", [ACME_EAB_KID] = "eab_kid",
	[ACME_EAB_HMAC_KEY] = "eab_hmac_key", [ACME_KEY_TYPE] = "key_type",
	[ACME_DOMAINS] = "domains", [ACME_ORDERS_PER_HOUR] = "orders_per_hour",
};

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool printable_no_space(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static void acme_directory(struct loader *L, struct file *F, yaml_node_t *v)
{
	const char *s = conf_str(L, F, v);

	if (s == NULL)
		return;
	/* The account key and every order travel over this URL: never
	 * plain HTTP. */
	if (strncmp(s, "https://", 8) != 0 || strlen(s) <= 8)
		conf_value_error(L, F, v, "directory must be an https:// URL");
	else if (strlen(s) > ACME_MAX_URL || !printable_no_space(s))
		conf_value_error(L, F, v, "directory is not a valid URL");
	else
		conf_set_str(L, &L->c->acme.directory, s);
}

static void acme_email(struct loader *L, struct file *F, yaml_node_t *v)
{
	const char *s = conf_str(L, F, v), *at;

	if (s == NULL)
		return;
	at = strchr(s, '@');
	if (at == NULL || at == s || !at[1] || strchr(at + 1, '@') ||
	    strlen(s) > ACME_MAX_EMAIL || !printable_no_space(s) ||
	    strpbrk(s, ",<>\"()[];:\\") != NULL)
		conf_value_error(L, F, v, "email must be a plain address such "
		                 "as hostmaster@example.com");
	else
		conf_set_str(L, &L->c->acme.email, s);
}

static void acme_challenge(struct loader *L, struct file *F, yaml_node_t *v)
{
	const char *s = conf_str(L, F, v);

	if (s == NULL)
		return;
	if (!strcmp(s, "tls-alpn-01"))
		L->c->acme.challenge = CONF_ACME_TLS_ALPN_01;
	else if (!strcmp(s, "http-01"))
		L->c->acme.challenge = CONF_ACME_HTTP_01;
	else {
		conf_value_error(L, F, v, "challenge must be tls-alpn-01 or "
		                 "http-01");
		L->acme_challenge_bad = true;
	}
	L->acme_challenge_loc = conf_loc(F, v);
}

static void acme_eab_key(struct loader *L, struct file *F, yaml_node_t *v)
{
	const char *s = conf_str(L, F, v);

	if (s == NULL)
		return;
	/* base64url (RFC 4648 section 5), as CAs hand it out */
	if (!*s || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	                     "vwxyz0123456789-_") != strlen(s) ||
	    strlen(s) > 1024)
		conf_value_error(L, F, v, "eab_hmac_key must be the base64url "
		                 "key the CA gave (letters, digits, '-', '_')");
	else
		conf_set_str(L, &L->c->acme.eab_hmac_key, s);
}

static void acme_domain_item(struct loader *L, struct file *F,
                             yaml_node_t *item, void *ctx)
{
	struct conf_acme *a = &L->c->acme;
	char name[NAME_MAX_LEN + 1];
	const char *s = conf_str(L, F, item), *msg;
	char **names;
	struct loc *locs;

	if (s == NULL)
		return;
	msg = name_normalize(s, name, 0);
	if (msg) {
		struct loc at = conf_loc(F, item);

		diag_error(L->d, &at, "invalid domain \"%.256s\" in acme.domains: "
		           "%s", s, msg);
		return;
	}
	names = realloc(a->domains, (a->n_domains + 1) * sizeof(*names));
	if (names == NULL) {
		conf_oom(L);
		return;
	}
	a->domains = names;
	locs = realloc(L->acme_domain_locs,
	               (a->n_domains + 1) * sizeof(*locs));
	if (locs == NULL) {
		conf_oom(L);
		return;
	}
	L->acme_domain_locs = locs;
	names[a->n_domains] = conf_strdup(L, name);
	if (names[a->n_domains] == NULL)
		return;
	locs[a->n_domains] = conf_loc(F, item);
	a->n_domains++;
}

static void acme_key(struct loader *L, struct file *F, unsigned key,
                     yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf_acme *a = &L->c->acme;
	const char *s;
	char *path;
	unsigned long n;

	switch ((enum acme_key)key) {
	case ACME_DIRECTORY:
		acme_directory(L, F, v);
		break;
	case ACME_EMAIL:
		acme_email(L, F, v);
		break;
	case ACME_ACCEPT_TERMS:
		conf_bool(L, F, v, &a->accept_terms);
		break;
	case ACME_CA_FILE:
		path = conf_path(L, F, v);
		if (path) {
			free(a->ca_file);
			a->ca_file = path;
		}
		break;
	case ACME_CHALLENGE:
		acme_challenge(L, F, v);
		break;
	case ACME_EAB_KID:
		s = conf_str(L, F, v);
		if (s && (!*s || strlen(s) > 1024 || !printable_no_space(s)))
			conf_value_error(L, F, v, "eab_kid must be the key id "
			                 "the CA gave");
		else if (s)
			conf_set_str(L, &a->eab_kid, s);
		break;
	case ACME_EAB_HMAC_KEY:
		acme_eab_key(L, F, v);
		break;
	case ACME_KEY_TYPE:
		s = conf_str(L, F, v);
		if (s && strcmp(s, "ecdsa-p256") != 0)
			conf_value_error(L, F, v, "key_type must be ecdsa-p256 "
			                 "(the only type supported)");
		break;
	case ACME_DOMAINS:
		a->domains_listed = true;
		if (!yamldoc_is_null(v))
			conf_each_item(L, F, v, true, acme_domain_item, ctx);
		break;
	case ACME_ORDERS_PER_HOUR:
		if (conf_uint(L, F, v, 1, CONF_MAX_ACME_ORDERS_PER_HOUR, &n))
			a->orders_per_hour = (unsigned)n;
		break;
	case ACME_N:
		break;
	}
}

static const struct schema acme_schema = {
	" in acme", acme_keys, N_OF(acme_keys), acme_key, false,
};

void conf_walk_acme(struct loader *L, struct file *F, yaml_node_t *k,
                    yaml_node_t *v)
{
	struct conf_acme *a = &L->c->acme;

	a->enabled = true;
	a->loc = conf_loc(F, k);
	if (a->orders_per_hour == 0)
		a->orders_per_hour = CONF_DEFAULT_ACME_ORDERS_PER_HOUR;
	if (a->directory == NULL)
		a->directory = conf_strdup(L, CONF_DEFAULT_ACME_DIRECTORY);
	conf_walk_section(L, F, v, &acme_schema, NULL);
}

void conf_check_acme(struct loader *L)
{
	struct conf *c = L->c;
	struct conf_acme *a = &c->acme;
	bool http = false;

	if (!a->enabled)
		return;
	if (!a->accept_terms)
		diag_error(L->d, &a->loc, "acme: accept_terms: true is required "
		           "(it says that you accept the CA's terms of "
		           "service)");
	if ((a->eab_kid == NULL) != (a->eab_hmac_key == NULL))
		diag_error(L->d, &a->loc, "acme: eab_kid and eab_hmac_key go "
		           "together");
	for (size_t i = 0; i < a->n_domains; i++)
		if (conf_find_domain(c, a->domains[i]) == NULL)
			diag_error(L->d, &L->acme_domain_locs[i], "acme.domains: "
			           "%s is not a configured domain",
			           a->domains[i]);
	for (size_t i = 0; i < c->n_listeners; i++)
		if (c->listeners[i].kind == LISTEN_HTTP ||
		    c->listeners[i].kind == LISTEN_UNIX)
			http = true;
	/* After the messages that name positions in the list. */
	if (a->n_domains > 1)
		qsort(a->domains, a->n_domains, sizeof(*a->domains), str_cmp);
	if (!conf_has_tls(c)) {
		diag_error(L->d, &a->loc, "acme: certificates are served on an "
		           "https listener, and none is configured");
		return;
	}
	if (L->acme_challenge_bad)
		return;         /* reported; no guess at the listener */
	if (a->challenge == CONF_ACME_HTTP_01 && !http)
		diag_error(L->d, &L->acme_challenge_loc, "acme: http-01 is "
		           "answered on an http listener (reached on port 80), "
		           "and none is configured");
}

void conf_acme_free(struct conf_acme *a)
{
	free(a->directory);
	free(a->email);
	free(a->ca_file);
	free(a->eab_kid);
	free(a->eab_hmac_key);
	for (size_t i = 0; i < a->n_domains; i++)
		free(a->domains[i]);
	free(a->domains);
}

/* Sorted by conf_check_acme(): a binary search, as for domains. */
bool conf_acme_wants(const struct conf *c, const char *domain)
{
	if (!c->acme.enabled)
		return false;
	if (!c->acme.domains_listed)
		return true;
	return c->acme.n_domains > 0 &&
	       bsearch(&domain, c->acme.domains, c->acme.n_domains,
	               sizeof(*c->acme.domains), str_cmp) != NULL;
}
