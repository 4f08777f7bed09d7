/*
 * conf: stsd.yaml (and the files it includes) turned into a struct conf.
 *
 * Three phases:
 *  1. read: each file is composed into a libyaml document (aliases become
 *     shared nodes) and walked against the schema. Values are checked and
 *     copied out; every domain becomes a raw_domain holding only what was
 *     written for it. Errors are reported and the walk goes on.
 *  2. resolve: raw domains are sorted by name (duplicates found by
 *     comparing neighbours), then defaults and same_as aliases are applied.
 *  3. build: every resolved domain gets its struct policy, rendered so that
 *     its size is known; cross-section checks (certificates, default_host).
 *
 * The document is composed from parser events here rather than with
 * yaml_parser_load(): libyaml 0.2.5 takes time quadratic in the nesting
 * depth (100 000 '[' took 23 s), and composing lets us stop at
 * CONF_MAX_YAML_DEPTH. The walk itself only descends as deep as the schema,
 * and counts the nodes it visits so that aliases cannot make it do more than
 * CONF_MAX_YAML_NODES visits beyond the nodes the file really contains.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <yaml.h>

#include "conf.h"
#include "dnsrec.h"
#include "hostmap.h"
#include "name.h"
#include "policy.h"

#define CONF_MAX_YAML_DEPTH 64          /* the schema needs 5 */
#define CONF_MAX_FILE_BYTES (256u << 20)
#define CONF_MAX_EXPIRY_WARN_DAYS 3650

/* Sizes of the fixed lines of a body (policy_render's format), used to stop
 * adding mx patterns once a body is certainly over POLICY_BODY_MAX. */
#define BODY_FIXED_BYTES (sizeof("version: STSv1\r\n") - 1 + \
                          sizeof("mode: enforce\r\n") - 1 + \
                          sizeof("max_age: \r\n") - 1)
#define BODY_MX_LINE_BYTES (sizeof("mx: \r\n") - 1)

struct mx_item {
	char *name;                     /* normalised */
	struct loc loc;
};

/* What one place (defaults, or one domain) says about a policy. */
struct settings {
	bool has_mode, has_max_age, has_mx, has_tls_rpt;
	enum policy_mode mode;
	uint32_t max_age;
	struct loc mode_loc, max_age_loc, mx_loc, tls_rpt_loc;
	bool enforce_warned;            /* the short-max_age-for-enforce warning */
	size_t mx_dropped_bytes;        /* mx lines not stored (over the limit) */
	struct mx_item *mx;
	size_t n_mx;
	char **tls_rpt;
	size_t n_tls_rpt;
};

enum resolve_state { RES_TODO, RES_BUSY, RES_DONE, RES_FAILED };

struct raw_domain {
	char *name;                     /* normalised */
	char *text;                     /* as written when that differs, or NULL */
	struct loc loc;                 /* of the key */
	size_t order;                   /* reading order, for stable sorting */
	struct settings own;
	bool has_id;
	char id[POLICY_ID_MAX + 1];
	struct loc id_loc;
	char *same_as;                  /* normalised, or NULL */
	struct loc same_as_loc;
	bool bad;                       /* an error was reported for it */
	bool duplicate;                 /* defined earlier: ignored */
	enum resolve_state state;
	const struct settings *mode_src, *max_age_src, *mx_src;
};

/* One file being read. */
struct file {
	const char *name;               /* owned by conf->files */
	size_t dir_len;                 /* bytes of `name` up to the last '/' */
	bool included;
	yaml_document_t doc;
	bool have_doc;
	size_t visits, max_visits;
	bool stopped;                   /* the node budget ran out */
};

struct loader {
	struct conf *c;
	struct diag *d;
	bool oom;
	size_t files_cap, listeners_cap, certs_cap, proxies_cap;
	struct settings defaults;
	struct raw_domain *doms;
	size_t n_doms, doms_cap;
	const char *stack[CONF_MAX_INCLUDE_DEPTH + 1];  /* reals being read */
	size_t depth;
	char **reals;                   /* "dev:inode" of every file read */
	size_t n_reals, reals_cap;
	struct hostmap *read;           /* the same, for lookups */
	bool has_per_ip;
	bool defaults_bad;              /* an error in defaults was reported */
	bool read_failed;               /* a file could not be read or parsed */
	unsigned cert_errors;           /* errors in certificates entries */
	size_t n_domain_keys;           /* keys under domains:, valid or not */
	struct loc per_ip_loc, cname_loc, addrs_loc;
};

struct schema;
typedef void key_fn(struct loader *L, struct file *F, unsigned key,
                    yaml_node_t *k, yaml_node_t *v, void *ctx);

struct schema {
	const char *where;              /* " in tls", or "" */
	const char *const *keys;
	unsigned n_keys;
	key_fn *fn;
	bool included_top;              /* top level of an included file */
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small helpers -------------------------------------------------- */

static void oom(struct loader *L)
{
	if (!L->oom) {
		struct loc at = { L->c->path, 0, 0 };

		diag_error(L->d, &at, "out of memory");
	}
	L->oom = true;
}

static char *xstrdup(struct loader *L, const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL)
		oom(L);
	return copy;
}

/* Makes room for one more element of `size` bytes in *arr. */
static bool grow(struct loader *L, void *arr, size_t n, size_t *cap,
                 size_t size)
{
	void **p = arr;
	size_t new_cap;
	void *q;

	if (n < *cap)
		return true;
	new_cap = *cap ? *cap * 2 : 8;
	if (new_cap > SIZE_MAX / size) {
		oom(L);
		return false;
	}
	q = realloc(*p, new_cap * size);
	if (q == NULL) {
		oom(L);
		return false;
	}
	*p = q;
	*cap = new_cap;
	return true;
}

static struct loc mark_loc(const struct file *F, const yaml_mark_t *m)
{
	struct loc at = { F->name, (unsigned)m->line + 1,
	                  (unsigned)m->column + 1 };

	return at;
}

static struct loc node_loc(const struct file *F, const yaml_node_t *n)
{
	return mark_loc(F, &n->start_mark);
}

static yaml_node_t *node(struct file *F, int id)
{
	return yaml_document_get_node(&F->doc, id);
}

static bool is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE)
		return false;
	if (n->tag && strcmp((const char *)n->tag, YAML_NULL_TAG) == 0)
		return true;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static const char *kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return is_null(n) ? "null" : "a string";
	}
}

/* Counts one visited node; false once the file's budget is spent. */
static bool visit(struct loader *L, struct file *F, const yaml_node_t *n)
{
	struct loc at;

	if (F->stopped || L->oom)
		return false;
	if (++F->visits <= F->max_visits)
		return true;
	at = node_loc(F, n);
	diag_error(L->d, &at, "aliases expand to more than %u nodes; "
	           "the rest of this file is ignored", CONF_MAX_YAML_NODES);
	F->stopped = true;
	return false;
}

static void type_error(struct loader *L, struct file *F, const yaml_node_t *n,
                       const char *expected)
{
	struct loc at = node_loc(F, n);

	diag_error(L->d, &at, "expected %s, got %s", expected, kind(n));
}

static void value_error(struct loader *L, struct file *F, const yaml_node_t *n,
                        const char *msg)
{
	struct loc at = node_loc(F, n);

	diag_error(L->d, &at, "%s", msg);
}

/* The text of a scalar that must be a string, or NULL after an error. */
static const char *str_value(struct loader *L, struct file *F,
                             const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n)) {
		type_error(L, F, n, "a string");
		return NULL;
	}
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
		value_error(L, F, n, "value contains a NUL character");
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static bool uint_value(struct loader *L, struct file *F, const yaml_node_t *n,
                       unsigned long min, unsigned long max,
                       unsigned long *out)
{
	const char *s = str_value(L, F, n);
	unsigned long v = 0;
	const char *p;
	struct loc at;

	if (s == NULL)
		return false;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			break;
	}
	if (p == s || *p || v < min || v > max) {
		at = node_loc(F, n);
		diag_error(L->d, &at, "expected a whole number from %lu to %lu, "
		           "got \"%.64s\"", min, max, s);
		return false;
	}
	*out = v;
	return true;
}

static bool bool_value(struct loader *L, struct file *F, const yaml_node_t *n,
                       bool *out)
{
	const char *s = str_value(L, F, n);
	struct loc at;

	if (s == NULL)
		return false;
	if (!strcmp(s, "true") || !strcmp(s, "yes")) {
		*out = true;
		return true;
	}
	if (!strcmp(s, "false") || !strcmp(s, "no")) {
		*out = false;
		return true;
	}
	at = node_loc(F, n);
	diag_error(L->d, &at, "expected true or false, got \"%.64s\"", s);
	return false;
}

/* Replaces *slot with a copy of s. */
static void set_str(struct loader *L, char **slot, const char *s)
{
	char *copy = xstrdup(L, s);

	if (copy) {
		free(*slot);
		*slot = copy;
	}
}

/* A file name: relative ones are taken from the directory of the file that
 * names them, as include patterns are. NULL after an error. */
static char *path_value(struct loader *L, struct file *F, const yaml_node_t *n)
{
	const char *s = str_value(L, F, n);
	char *p;

	if (s == NULL)
		return NULL;
	if (!*s) {
		value_error(L, F, n, "file name is empty");
		return NULL;
	}
	if (s[0] == '/' || F->dir_len == 0)
		return xstrdup(L, s);
	if (asprintf(&p, "%.*s%s", (int)F->dir_len, F->name, s) < 0) {
		oom(L);
		return NULL;
	}
	return p;
}

/* Calls fn for each item of a list; a single scalar counts as a one-item
 * list when scalar_ok. */
typedef void item_fn(struct loader *L, struct file *F, yaml_node_t *item,
                     void *ctx);

static bool each_item(struct loader *L, struct file *F, yaml_node_t *v,
                      bool scalar_ok, item_fn *fn, void *ctx)
{
	yaml_node_item_t *it;

	if (scalar_ok && v->type == YAML_SCALAR_NODE && !is_null(v)) {
		fn(L, F, v, ctx);
		return true;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		type_error(L, F, v, "a list");
		return false;
	}
	for (it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = node(F, *it);

		if (!visit(L, F, item))
			return false;
		fn(L, F, item, ctx);
	}
	return true;
}

/* ---- mappings against a schema ---------------------------------------- */

static const char *const main_keys[] = {
	"listen", "certificates", "tls", "http", "limits", "dns", "user",
	"group", "allow_root", "defaults", "domains", "include",
};

static void unknown_key(struct loader *L, struct file *F,
                        const struct schema *s, yaml_node_t *k)
{
	const char *name = (const char *)k->data.scalar.value;
	struct loc at = node_loc(F, k);
	char expected[256];
	size_t used = 0;
	unsigned i;

	if (!strcmp(name, "<<")) {
		diag_error(L->d, &at, "merge keys (\"<<\") are not supported; "
		           "use defaults or same_as, or repeat the keys");
		return;
	}
	if (s->included_top)
		for (i = 0; i < N_OF(main_keys); i++)
			if (!strcmp(name, main_keys[i])) {
				diag_error(L->d, &at, "only 'domains' and 'include' "
				           "are allowed in an included file");
				return;
			}
	expected[0] = '\0';
	for (i = 0; i < s->n_keys && used < sizeof(expected); i++)
		used += (size_t)snprintf(expected + used, sizeof(expected) - used,
		                         "%s%s", i ? ", " : "", s->keys[i]);
	diag_error(L->d, &at, "unknown key \"%.64s\"%s (expected %s)",
	           name, s->where, expected);
}

/* Walks the pairs of a mapping: unknown and duplicate keys are reported
 * here, every known key goes to s->fn once. Keys are compared with the short
 * schema list, so a mapping of n pairs costs O(n). Returns the number of
 * keys refused. */
static unsigned walk_map(struct loader *L, struct file *F, yaml_node_t *map,
                     const struct schema *s, void *ctx)
{
	unsigned first_line[16] = { 0 }, refused = 0;
	yaml_node_pair_t *pair;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node(F, pair->key), *v = node(F, pair->value);
		struct loc at;
		unsigned i;

		if (!visit(L, F, k) || !visit(L, F, v))
			return refused + 1;
		if (k->type != YAML_SCALAR_NODE) {
			type_error(L, F, k, "a string key");
			refused++;
			continue;
		}
		for (i = 0; i < s->n_keys; i++)
			if (!strcmp((const char *)k->data.scalar.value, s->keys[i]))
				break;
		if (i == s->n_keys) {
			unknown_key(L, F, s, k);
			refused++;
			continue;
		}
		if (first_line[i]) {
			at = node_loc(F, k);
			diag_error(L->d, &at, "duplicate key \"%s\" (first at line %u)",
			           s->keys[i], first_line[i]);
			refused++;
			continue;
		}
		first_line[i] = (unsigned)k->start_mark.line + 1;
		s->fn(L, F, i, k, v, ctx);
	}
	return refused;
}

/* A section: a mapping, or null for "nothing set". False after an error
 * in the section itself (not in its values). */
static bool walk_section(struct loader *L, struct file *F, yaml_node_t *v,
                         const struct schema *s, void *ctx)
{
	if (is_null(v))
		return true;
	if (v->type != YAML_MAPPING_NODE) {
		type_error(L, F, v, "a mapping");
		return false;
	}
	return walk_map(L, F, v, s, ctx) == 0;
}

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

static void listen_item(struct loader *L, struct file *F, yaml_node_t *item,
                        void *ctx)
{
	static const char *const kinds[] = { "https", "http", "unix" };
	struct conf *c = L->c;
	struct conf_listener *l;
	yaml_node_t *k, *v;
	const char *name, *text, *msg;
	unsigned i;

	(void)ctx;
	if (item->type != YAML_MAPPING_NODE) {
		type_error(L, F, item, "a mapping such as \"https: ADDR:PORT\"");
		return;
	}
	if (item->data.mapping.pairs.top - item->data.mapping.pairs.start != 1) {
		value_error(L, F, item, "each listen entry has exactly one key "
		            "(https, http or unix)");
		return;
	}
	k = node(F, item->data.mapping.pairs.start->key);
	v = node(F, item->data.mapping.pairs.start->value);
	if (!visit(L, F, k) || !visit(L, F, v))
		return;
	if (k->type != YAML_SCALAR_NODE) {
		type_error(L, F, k, "a string key");
		return;
	}
	name = (const char *)k->data.scalar.value;
	for (i = 0; i < N_OF(kinds); i++)
		if (!strcmp(name, kinds[i]))
			break;
	if (i == N_OF(kinds)) {
		struct loc at = node_loc(F, k);

		diag_error(L->d, &at, "unknown listener kind \"%.64s\" "
		           "(expected https, http, unix)", name);
		return;
	}
	text = str_value(L, F, v);
	if (text == NULL || !grow(L, &c->listeners, c->n_listeners,
	                          &L->listeners_cap, sizeof(*c->listeners)))
		return;
	l = &c->listeners[c->n_listeners];
	memset(l, 0, sizeof(*l));
	l->kind = i == 0 ? LISTEN_HTTPS : i == 1 ? LISTEN_HTTP : LISTEN_UNIX;
	msg = l->kind == LISTEN_UNIX ? parse_unix(text, &l->addr, &l->addr_len)
	                             : parse_inet(text, &l->addr, &l->addr_len);
	if (msg) {
		struct loc at = node_loc(F, v);

		diag_error(L->d, &at, "%s listener \"%.128s\": %s", name, text,
		           msg);
		return;
	}
	l->text = xstrdup(L, text);
	if (l->text == NULL)
		return;
	l->loc = node_loc(F, item);
	c->n_listeners++;
}

/* ---- certificates ------------------------------------------------------- */

static const char *const cert_keys[] = { "cert", "key", "dir" };

static void cert_key(struct loader *L, struct file *F, unsigned key,
                     yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf_cert *e = ctx;
	char **slot = key == 0 ? &e->cert : key == 1 ? &e->key : &e->dir;
	struct loc *at = key == 0 ? &e->cert_loc : key == 1 ? &e->key_loc
	                                                      : &e->dir_loc;

	(void)k;
	*slot = path_value(L, F, v);
	*at = node_loc(F, v);
}

static void cert_item(struct loader *L, struct file *F, yaml_node_t *item,
                      void *ctx)
{
	static const struct schema s = {
		" in certificates entry", cert_keys, N_OF(cert_keys), cert_key,
		false,
	};
	struct conf *c = L->c;
	struct conf_cert e = { 0 };
	unsigned before = L->d->errors;

	(void)ctx;
	if (item->type != YAML_MAPPING_NODE) {
		type_error(L, F, item, "a mapping with cert and key, or dir");
		return;
	}
	e.loc = node_loc(F, item);
	walk_map(L, F, item, &s, &e);
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
	    !grow(L, &c->certs, c->n_certs, &L->certs_cap, sizeof(*c->certs))) {
		free(e.cert);
		free(e.key);
		free(e.dir);
		return;
	}
	c->certs[c->n_certs++] = e;
}

/* ---- tls, http, limits, dns, process ----------------------------------- */

static const char *const tls_keys[] = {
	"priorities", "default_host", "expiry_warning_days", "session_tickets",
};

static void tls_key(struct loader *L, struct file *F, unsigned key,
                    yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf *c = L->c;
	char name[NAME_MAX_LEN + 1];
	unsigned long n;
	const char *s, *msg;

	(void)k;
	(void)ctx;
	switch (key) {
	case 0:
		s = str_value(L, F, v);
		if (s && !*s)
			value_error(L, F, v, "priorities is empty");
		else if (s)
			set_str(L, &c->tls_priorities, s);
		break;
	case 1:
		s = str_value(L, F, v);
		if (s == NULL)
			break;
		msg = name_normalize(s, name, 0);
		if (msg) {
			struct loc at = node_loc(F, v);

			diag_error(L->d, &at, "invalid default_host \"%.256s\": %s",
			           s, msg);
			break;
		}
		set_str(L, &c->tls_default_host, name);
		c->tls_default_host_loc = node_loc(F, v);
		break;
	case 2:
		if (uint_value(L, F, v, 0, CONF_MAX_EXPIRY_WARN_DAYS, &n))
			c->tls_expiry_warn_days = (unsigned)n;
		break;
	default:
		bool_value(L, F, v, &c->tls_session_tickets);
		break;
	}
}

/* "ADDR" or "ADDR/PREFIX", numeric. */
static void proxy_item(struct loader *L, struct file *F, yaml_node_t *item,
                       void *ctx)
{
	struct conf *c = L->c;
	struct conf_proxy p = { 0 };
	const char *s = str_value(L, F, item), *slash;
	char host[INET6_ADDRSTRLEN + 1];
	unsigned char *bytes;
	unsigned long prefix;
	size_t len, max, i;
	bool host_bits = false;
	struct loc at;

	(void)ctx;
	if (s == NULL)
		return;
	at = node_loc(F, item);
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
			diag_error(L->d, &at, "trusted proxy \"%.64s\": prefix "
			           "length must be 0 to %zu", s, max);
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
		diag_warning(L->d, &at, "trusted proxy \"%.64s\" has bits set "
		             "after the /%lu prefix; they are ignored", s, prefix);
	p.prefix = (unsigned)prefix;
	p.loc = at;
	if (grow(L, &c->proxies, c->n_proxies, &L->proxies_cap,
	         sizeof(*c->proxies)))
		c->proxies[c->n_proxies++] = p;
	return;
bad:
	diag_error(L->d, &at, "trusted proxy \"%.64s\" is not a numeric IPv4 or "
	           "IPv6 address with an optional /prefix", s);
}

static const char *const http_keys[] = {
	"cache_control", "index_page", "index_template", "access_log",
	"trusted_proxies",
};

static void http_key(struct loader *L, struct file *F, unsigned key,
                     yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf *c = L->c;
	const char *s, *p;
	char *path;

	(void)k;
	switch (key) {
	case 0:
		s = str_value(L, F, v);
		if (s == NULL)
			break;
		for (p = s; *p >= 0x20 && *p <= 0x7e; p++)
			;
		if (!*s || *p)
			value_error(L, F, v, "cache_control must be non-empty "
			            "printable ASCII");
		else
			set_str(L, &c->cache_control, s);
		break;
	case 1:
		bool_value(L, F, v, &c->index_page);
		break;
	case 2:
		path = path_value(L, F, v);
		if (path) {
			free(c->index_template);
			c->index_template = path;
			c->index_template_loc = node_loc(F, v);
		}
		break;
	case 3:
		s = str_value(L, F, v);
		if (s == NULL)
			break;
		free(c->access_log);
		c->access_log = NULL;
		if (!strcmp(s, "off"))
			break;
		if (strcmp(s, "-") && s[0] != '/')
			value_error(L, F, v, "access_log must be \"-\" (standard "
			            "error), \"off\" or an absolute file name");
		else
			c->access_log = xstrdup(L, s);
		break;
	default:
		each_item(L, F, v, true, proxy_item, ctx);
		break;
	}
}

static const char *const limits_keys[] = {
	"connections", "connections_per_ip", "timeout", "header_size",
};

static void limits_key(struct loader *L, struct file *F, unsigned key,
                       yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf *c = L->c;
	unsigned long n;

	(void)k;
	(void)ctx;
	switch (key) {
	case 0:
		if (uint_value(L, F, v, 1, 1000000, &n))
			c->max_connections = (unsigned)n;
		break;
	case 1:
		if (uint_value(L, F, v, 1, 1000000, &n)) {
			c->max_connections_per_ip = (unsigned)n;
			L->has_per_ip = true;
			L->per_ip_loc = node_loc(F, v);
		}
		break;
	case 2:
		if (uint_value(L, F, v, 1, 3600, &n))
			c->timeout_seconds = (unsigned)n;
		break;
	default:
		if (uint_value(L, F, v, 1024, 1048576, &n))
			c->max_header_bytes = (unsigned)n;
		break;
	}
}

static void dns_addr_item(struct loader *L, struct file *F, yaml_node_t *item,
                          void *ctx)
{
	struct conf *c = L->c;
	const char *s = str_value(L, F, item);
	unsigned char bin[sizeof(struct in6_addr)];
	char text[INET6_ADDRSTRLEN];
	char **addrs;
	int af;

	(void)ctx;
	if (s == NULL)
		return;
	af = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, s, bin) != 1 ||
	    inet_ntop(af, bin, text, sizeof(text)) == NULL) {
		struct loc at = node_loc(F, item);

		diag_error(L->d, &at, "\"%.64s\" is not a numeric IPv4 or IPv6 "
		           "address", s);
		return;
	}
	addrs = realloc(c->dns_host_addrs,
	                (c->n_dns_host_addrs + 1) * sizeof(*addrs));
	if (addrs == NULL) {
		oom(L);
		return;
	}
	c->dns_host_addrs = addrs;
	addrs[c->n_dns_host_addrs] = xstrdup(L, text);
	if (addrs[c->n_dns_host_addrs])
		c->n_dns_host_addrs++;
}

static const char *const dns_keys[] = { "ttl", "cname", "addresses" };

static void dns_key(struct loader *L, struct file *F, unsigned key,
                    yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct conf *c = L->c;
	char name[NAME_MAX_LEN + 1];
	const char *s, *msg;
	unsigned long n;

	switch (key) {
	case 0:
		if (uint_value(L, F, v, 0, 2147483647, &n))
			c->dns_ttl = (uint32_t)n;
		break;
	case 1:
		L->cname_loc = node_loc(F, k);
		s = str_value(L, F, v);
		if (s == NULL)
			break;
		msg = name_normalize(s, name, 0);
		if (msg) {
			struct loc at = node_loc(F, v);

			diag_error(L->d, &at, "invalid cname \"%.256s\": %s", s, msg);
			break;
		}
		set_str(L, &c->dns_host_cname, name);
		break;
	default:
		L->addrs_loc = node_loc(F, k);
		each_item(L, F, v, true, dns_addr_item, ctx);
		break;
	}
}

static void name_value(struct loader *L, struct file *F, yaml_node_t *v,
                       const char *key, char **slot)
{
	const char *s = str_value(L, F, v);
	struct loc at;

	if (s == NULL)
		return;
	if (!*s) {
		at = node_loc(F, v);
		diag_error(L->d, &at, "%s is empty", key);
		return;
	}
	set_str(L, slot, s);
}

/* ---- policies: defaults and domains ------------------------------------ */

static void settings_clear(struct settings *s)
{
	size_t i;

	for (i = 0; i < s->n_mx; i++)
		free(s->mx[i].name);
	free(s->mx);
	for (i = 0; i < s->n_tls_rpt; i++)
		free(s->tls_rpt[i]);
	free(s->tls_rpt);
	memset(s, 0, sizeof(*s));
}

struct mx_ctx {
	struct settings *s;
	size_t cap;
	size_t body;                    /* body estimate of the stored list */
	struct hostmap *seen;           /* for long lists only */
	bool *bad;
};

/* Duplicate check: a linear scan for short lists, a hash table beyond. */
static int mx_seen(struct loader *L, struct mx_ctx *m, const char *name)
{
	size_t i;

	if (m->seen == NULL && m->s->n_mx < 16) {
		for (i = 0; i < m->s->n_mx; i++)
			if (!strcmp(m->s->mx[i].name, name))
				return 1;
		return 0;
	}
	if (m->seen == NULL) {
		m->seen = hostmap_new(64);
		if (m->seen == NULL) {
			oom(L);
			return -1;
		}
		for (i = 0; i < m->s->n_mx; i++)
			if (hostmap_put(m->seen, m->s->mx[i].name,
			                m->s->mx[i].name) < 0) {
				oom(L);
				return -1;
			}
	}
	return hostmap_get(m->seen, name, strlen(name)) != NULL;
}

static void mx_item(struct loader *L, struct file *F, yaml_node_t *item,
                    void *ctx)
{
	struct mx_ctx *m = ctx;
	struct settings *s = m->s;
	char name[NAME_MAX_LEN + 1];
	const char *text = str_value(L, F, item), *msg;
	struct loc at = node_loc(F, item);
	char *copy;
	int seen;

	if (text == NULL) {
		*m->bad = true;
		return;
	}
	msg = name_normalize(text, name, NAME_ALLOW_WILDCARD);
	if (msg) {
		diag_error(L->d, &at, "invalid mx \"%.256s\": %s", text, msg);
		*m->bad = true;
		return;
	}
	seen = mx_seen(L, m, name);
	if (seen < 0)
		return;
	if (seen) {
		diag_warning(L->d, &at, "duplicate mx \"%s\" ignored", name);
		return;
	}
	/* Once the stored patterns alone make the body too large (the
	 * estimate counts "enforce", 3 bytes more than "none"), the policy is
	 * refused anyway: stop storing, so that a huge list stays cheap. */
	if (m->body > POLICY_BODY_MAX + 3) {
		s->mx_dropped_bytes += BODY_MX_LINE_BYTES + strlen(name);
		return;
	}
	m->body += BODY_MX_LINE_BYTES + strlen(name);
	if (!grow(L, &s->mx, s->n_mx, &m->cap, sizeof(*s->mx)))
		return;
	copy = xstrdup(L, name);
	if (copy == NULL)
		return;
	s->mx[s->n_mx].name = copy;
	s->mx[s->n_mx].loc = at;
	if (m->seen && hostmap_put(m->seen, copy, copy) < 0) {
		free(copy);
		oom(L);
		return;
	}
	s->n_mx++;
}

struct rpt_ctx {
	struct settings *s;
	size_t cap;
	bool *bad;
};

static void tls_rpt_item(struct loader *L, struct file *F, yaml_node_t *item,
                         void *ctx)
{
	struct rpt_ctx *r = ctx;
	const char *s = str_value(L, F, item), *msg;
	char *copy;

	if (s == NULL) {
		*r->bad = true;
		return;
	}
	msg = dnsrec_tlsrpt_uri_check(s);
	if (msg) {
		struct loc at = node_loc(F, item);

		diag_error(L->d, &at, "invalid tls_rpt URI \"%.256s\": %s", s, msg);
		*r->bad = true;
		return;
	}
	if (!grow(L, &r->s->tls_rpt, r->s->n_tls_rpt, &r->cap,
	          sizeof(*r->s->tls_rpt)))
		return;
	copy = xstrdup(L, s);
	if (copy)
		r->s->tls_rpt[r->s->n_tls_rpt++] = copy;
}

/* mode, max_age, mx, tls_rpt: shared by defaults and domains. */
static void policy_key(struct loader *L, struct file *F, unsigned key,
                       yaml_node_t *k, yaml_node_t *v, struct settings *s,
                       bool *bad)
{
	const char *text, *msg;
	struct loc at = node_loc(F, v);

	switch (key) {
	case 0:
		text = str_value(L, F, v);
		if (text == NULL) {
			*bad = true;
			break;
		}
		msg = policy_mode_parse(text, &s->mode);
		if (msg) {
			diag_error(L->d, &at, "%s", msg);
			*bad = true;
			break;
		}
		s->has_mode = true;
		s->mode_loc = at;
		if (s->mode == POLICY_MODE_TESTING)
			diag_warning(L->d, &at, "testing: senders report failures "
			             "but deliver anyway");
		break;
	case 1:
		text = str_value(L, F, v);
		if (text == NULL) {
			*bad = true;
			break;
		}
		msg = policy_max_age_parse(text, &s->max_age);
		if (msg) {
			diag_error(L->d, &at, "%s", msg);
			*bad = true;
			break;
		}
		s->has_max_age = true;
		s->max_age_loc = at;
		if (s->max_age < POLICY_MAX_AGE_WARN)
			diag_warning(L->d, &at, "max_age %lu is less than a day "
			             "(%u); several senders misbehave below that",
			             (unsigned long)s->max_age, POLICY_MAX_AGE_WARN);
		break;
	case 2: {
		struct mx_ctx m = { s, 0, BODY_FIXED_BYTES, NULL, bad };

		s->has_mx = true;
		s->mx_loc = node_loc(F, k);
		if (!each_item(L, F, v, true, mx_item, &m))
			*bad = true;
		hostmap_free(m.seen);
		break;
	}
	default: {
		struct rpt_ctx r = { s, 0, bad };

		s->has_tls_rpt = true;
		s->tls_rpt_loc = node_loc(F, k);
		if (!each_item(L, F, v, true, tls_rpt_item, &r))
			*bad = true;
		break;
	}
	}
}

static const char *const defaults_keys[] = {
	"mode", "max_age", "mx", "tls_rpt",
};

static void defaults_key(struct loader *L, struct file *F, unsigned key,
                         yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	(void)ctx;
	policy_key(L, F, key, k, v, &L->defaults, &L->defaults_bad);
}

static const char *const domain_keys[] = {
	"mode", "max_age", "mx", "tls_rpt", "id", "same_as",
};

static void domain_key(struct loader *L, struct file *F, unsigned key,
                       yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct raw_domain *r = ctx;
	char name[NAME_MAX_LEN + 1];
	const char *s, *msg;
	struct loc at = node_loc(F, v);

	if (key < 4) {
		policy_key(L, F, key, k, v, &r->own, &r->bad);
		return;
	}
	s = str_value(L, F, v);
	if (s == NULL) {
		r->bad = true;
		return;
	}
	if (key == 4) {
		msg = policy_id_check(s);
		if (msg) {
			diag_error(L->d, &at, "%s", msg);
			r->bad = true;
			return;
		}
		r->has_id = true;
		r->id_loc = node_loc(F, k);
		strcpy(r->id, s);
		return;
	}
	msg = name_normalize(s, name, 0);
	if (msg) {
		diag_error(L->d, &at, "invalid same_as domain \"%.256s\": %s",
		           s, msg);
		r->bad = true;
		return;
	}
	r->same_as = xstrdup(L, name);
	r->same_as_loc = at;
}

/* Keys written beside same_as that it would override. */
static void check_same_as(struct loader *L, struct raw_domain *r)
{
	if (r->same_as == NULL)
		return;
	if (r->own.has_mode)
		diag_error(L->d, &r->own.mode_loc, "same_as cannot be combined "
		           "with mode");
	if (r->own.has_max_age)
		diag_error(L->d, &r->own.max_age_loc, "same_as cannot be "
		           "combined with max_age");
	if (r->own.has_mx)
		diag_error(L->d, &r->own.mx_loc, "same_as cannot be combined "
		           "with mx");
	if (r->has_id)
		diag_error(L->d, &r->id_loc, "same_as cannot be combined with "
		           "id");
	if (r->own.has_mode || r->own.has_max_age || r->own.has_mx ||
	    r->has_id)
		r->bad = true;
}

static void raw_domain_free(struct raw_domain *r)
{
	free(r->name);
	free(r->text);
	free(r->same_as);
	settings_clear(&r->own);
}

static void domains_pair(struct loader *L, struct file *F, yaml_node_t *k,
                         yaml_node_t *v)
{
	struct raw_domain r = { 0 };
	char name[NAME_MAX_LEN + 1], where[NAME_MAX_LEN + 64];
	struct schema s = {
		where, domain_keys, N_OF(domain_keys), domain_key, false,
	};
	const char *text, *msg;

	r.loc = node_loc(F, k);
	if (k->type != YAML_SCALAR_NODE) {
		type_error(L, F, k, "a domain name");
		return;
	}
	text = str_value(L, F, k);
	if (text == NULL)
		return;
	msg = name_normalize(text, name, 0);
	if (msg) {
		diag_error(L->d, &r.loc, "invalid domain name \"%.256s\": %s",
		           text, msg);
		r.bad = true;
	}
	snprintf(where, sizeof(where), " in domain %.253s", text);
	if (!is_null(v)) {
		if (v->type == YAML_MAPPING_NODE) {
			/* A misspelt key was probably meant to set
			 * something: don't add "has no mode" to it. */
			if (walk_map(L, F, v, &s, &r))
				r.bad = true;
		} else {
			r.bad = true;
			type_error(L, F, v, "a mapping (or nothing, for the "
			           "defaults)");
		}
	}
	check_same_as(L, &r);
	if (msg == NULL && !L->oom &&
	    grow(L, &L->doms, L->n_doms, &L->doms_cap, sizeof(*L->doms))) {
		r.name = xstrdup(L, name);
		if (strcmp(text, name))
			r.text = xstrdup(L, text);
		r.order = L->n_doms;
		L->doms[L->n_doms++] = r;
		return;
	}
	raw_domain_free(&r);
}

static void walk_domains(struct loader *L, struct file *F, yaml_node_t *v)
{
	yaml_node_pair_t *pair;

	if (is_null(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		type_error(L, F, v, "a mapping of domain names");
		return;
	}
	/* Duplicate names (also across files, and names that differ only
	 * before normalisation) are found later by sorting. */
	for (pair = v->data.mapping.pairs.start;
	     pair < v->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node(F, pair->key), *val = node(F, pair->value);

		if (!visit(L, F, k) || !visit(L, F, val))
			return;
		L->n_domain_keys++;
		domains_pair(L, F, k, val);
	}
}

/* ---- files and includes ------------------------------------------------ */

static void load_file(struct loader *L, const char *path,
                      const struct loc *from);

static bool has_glob_chars(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static void include_item(struct loader *L, struct file *F, yaml_node_t *item,
                         void *ctx)
{
	const char *pattern = str_value(L, F, item);
	struct loc at;
	char *full = NULL;
	glob_t g;
	size_t i;
	int rc;

	(void)ctx;
	if (pattern == NULL)
		return;
	at = node_loc(F, item);
	if (!*pattern) {
		diag_error(L->d, &at, "include pattern is empty");
		return;
	}
	if (pattern[0] == '/' || F->dir_len == 0) {
		full = xstrdup(L, pattern);
	} else {
		/* The directory is literal text: escape what glob() would
		 * read as a pattern. */
		size_t n = 0, j;

		full = malloc(2 * F->dir_len + strlen(pattern) + 1);
		if (full == NULL) {
			oom(L);
			return;
		}
		for (j = 0; j < F->dir_len; j++) {
			if (strchr("*?[\\", F->name[j]))
				full[n++] = '\\';
			full[n++] = F->name[j];
		}
		strcpy(full + n, pattern);
	}
	if (full == NULL)
		return;
	if (!has_glob_chars(pattern)) {
		/* A plain file name must exist: read it, errors and all. */
		char *unescaped;

		unescaped = malloc(strlen(full) + 1);
		if (unescaped == NULL) {
			free(full);
			oom(L);
			return;
		}
		for (i = 0, rc = 0; full[i]; i++) {
			if (full[i] == '\\' && full[i + 1])
				i++;
			unescaped[rc++] = full[i];
		}
		unescaped[rc] = '\0';
		free(full);
		load_file(L, unescaped, &at);
		free(unescaped);
		return;
	}
	/* Without GLOB_ERR: a directory that is missing or unreadable
	 * matches nothing, which is a warning. */
	rc = glob(full, 0, NULL, &g);
	free(full);
	if (rc == GLOB_NOMATCH) {
		diag_warning(L->d, &at, "include pattern \"%.256s\" matches no "
		             "files", pattern);
		return;
	}
	if (rc == GLOB_NOSPACE) {
		oom(L);
		return;
	}
	if (rc != 0) {
		diag_error(L->d, &at, "cannot read include pattern \"%.256s\": %s",
		           pattern, strerror(errno));
		globfree(&g);
		return;
	}
	for (i = 0; i < g.gl_pathc && !L->oom; i++)
		load_file(L, g.gl_pathv[i], &at);
	globfree(&g);
}

static const char *const included_keys[] = { "domains", "include" };

static void top_key(struct loader *L, struct file *F, unsigned key,
                    yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	static const struct schema tls_schema = {
		" in tls", tls_keys, N_OF(tls_keys), tls_key, false,
	};
	static const struct schema http_schema = {
		" in http", http_keys, N_OF(http_keys), http_key, false,
	};
	static const struct schema limits_schema = {
		" in limits", limits_keys, N_OF(limits_keys), limits_key, false,
	};
	static const struct schema dns_schema = {
		" in dns", dns_keys, N_OF(dns_keys), dns_key, false,
	};
	static const struct schema defaults_schema = {
		" in defaults", defaults_keys, N_OF(defaults_keys), defaults_key,
		false,
	};
	struct conf *c = L->c;

	(void)k;
	if (F->included)        /* included_keys: domains, include */
		key = key == 0 ? 10 : 11;
	switch (key) {
	case 0:
		if (!is_null(v))
			each_item(L, F, v, false, listen_item, ctx);
		break;
	case 1:
		if (!is_null(v))
			each_item(L, F, v, false, cert_item, ctx);
		break;
	case 2:
		walk_section(L, F, v, &tls_schema, ctx);
		break;
	case 3:
		walk_section(L, F, v, &http_schema, ctx);
		break;
	case 4:
		walk_section(L, F, v, &limits_schema, ctx);
		break;
	case 5:
		walk_section(L, F, v, &dns_schema, ctx);
		break;
	case 6:
		name_value(L, F, v, "user", &c->user);
		break;
	case 7:
		name_value(L, F, v, "group", &c->group);
		break;
	case 8:
		bool_value(L, F, v, &c->allow_root);
		break;
	case 9:
		if (!walk_section(L, F, v, &defaults_schema, ctx))
			L->defaults_bad = true;
		break;
	case 10:
		walk_domains(L, F, v);
		break;
	default:
		if (!is_null(v))
			each_item(L, F, v, true, include_item, ctx);
		break;
	}
}

/* Line and column of a byte offset (the reader reports only that). */
static struct loc offset_loc(const struct file *F, const char *buf,
                             size_t len, size_t offset)
{
	struct loc at = { F->name, 1, 1 };
	size_t i;

	for (i = 0; i < offset && i < len; i++) {
		if (buf[i] == '\n') {
			at.line++;
			at.col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			at.col++;
		}
	}
	return at;
}

static void parser_error(struct loader *L, struct file *F,
                         const yaml_parser_t *p, const char *buf, size_t len)
{
	struct loc at;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		oom(L);
		break;
	case YAML_READER_ERROR:
		at = offset_loc(F, buf, len, p->problem_offset);
		if (p->problem_value != -1)
			diag_error(L->d, &at, "%s (byte 0x%02X)", p->problem,
			           (unsigned)p->problem_value & 0xffu);
		else
			diag_error(L->d, &at, "%s", p->problem);
		break;
	default:
		at = mark_loc(F, &p->problem_mark);
		if (p->context)
			diag_error(L->d, &at, "%s (%s at line %zu)",
			           p->problem ? p->problem : "syntax error",
			           p->context, p->context_mark.line + 1);
		else
			diag_error(L->d, &at, "%s",
			           p->problem ? p->problem : "syntax error");
		break;
	}
}

/* Anchors of the file being composed: name -> index + 1 in v. */
struct anchors {
	struct hostmap *map;
	struct anchor {
		char *name;
		int id;
		size_t line;
	} *v;
	size_t n, cap;
};

static void anchors_free(struct anchors *a)
{
	size_t i;

	hostmap_free(a->map);
	for (i = 0; i < a->n; i++)
		free(a->v[i].name);
	free(a->v);
}

static const struct anchor *anchor_find(const struct anchors *a,
                                        const char *name)
{
	uintptr_t i = (uintptr_t)hostmap_get(a->map, name, strlen(name));

	return i ? &a->v[i - 1] : NULL;
}

/* Takes ownership of *name. False after an error. */
static bool anchor_add(struct loader *L, struct file *F, struct anchors *a,
                       yaml_char_t **name, int id, const yaml_mark_t *m)
{
	const struct anchor *prev;
	struct loc at;
	char *s = (char *)*name;

	*name = NULL;
	if (a->map == NULL && (a->map = hostmap_new(16)) == NULL) {
		free(s);
		oom(L);
		return false;
	}
	prev = anchor_find(a, s);
	if (prev) {
		at = mark_loc(F, m);
		diag_error(L->d, &at, "duplicate anchor \"&%.64s\" (first at "
		           "line %zu)", s, prev->line);
		free(s);
		return false;
	}
	if (!grow(L, &a->v, a->n, &a->cap, sizeof(*a->v))) {
		free(s);
		return false;
	}
	a->v[a->n].name = s;
	a->v[a->n].id = id;
	a->v[a->n].line = m->line + 1;
	a->n++;
	if (hostmap_put(a->map, s, (void *)(uintptr_t)a->n) < 0) {
		oom(L);
		return false;
	}
	return true;
}

struct compose {
	int stack[CONF_MAX_YAML_DEPTH];
	int pending_key[CONF_MAX_YAML_DEPTH];
	size_t depth;
};

/* Adds node `id` to the collection being built (or makes it the root). */
static bool attach(struct loader *L, struct file *F, struct compose *cs,
                   int id)
{
	yaml_node_t *parent;
	int *key;

	if (cs->depth == 0)
		return true;    /* the root: node 1, the first one added */
	parent = node(F, cs->stack[cs->depth - 1]);
	if (parent->type == YAML_SEQUENCE_NODE) {
		if (!yaml_document_append_sequence_item(&F->doc,
		                                        cs->stack[cs->depth - 1],
		                                        id)) {
			oom(L);
			return false;
		}
		return true;
	}
	key = &cs->pending_key[cs->depth - 1];
	if (*key == 0) {
		*key = id;
		return true;
	}
	if (!yaml_document_append_mapping_pair(&F->doc, cs->stack[cs->depth - 1],
	                                       *key, id)) {
		oom(L);
		return false;
	}
	*key = 0;
	return true;
}

/* One event into the document. False to stop (after an error). */
static bool compose_event(struct loader *L, struct file *F, struct compose *cs,
                          struct anchors *a, yaml_event_t *ev)
{
	yaml_char_t **anchor = NULL;
	const struct anchor *target;
	struct loc at = mark_loc(F, &ev->start_mark);
	int id;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (F->have_doc) {
			diag_error(L->d, &at, "only one YAML document per file is "
			           "allowed");
			return false;
		}
		F->have_doc = true;
		return true;
	case YAML_SCALAR_EVENT:
		id = yaml_document_add_scalar(&F->doc, ev->data.scalar.tag,
		                              ev->data.scalar.value,
		                              (int)ev->data.scalar.length,
		                              ev->data.scalar.style);
		anchor = &ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (cs->depth == CONF_MAX_YAML_DEPTH) {
			diag_error(L->d, &at, "nesting is deeper than %d levels",
			           CONF_MAX_YAML_DEPTH);
			return false;
		}
		if (ev->type == YAML_SEQUENCE_START_EVENT) {
			id = yaml_document_add_sequence(&F->doc,
			        ev->data.sequence_start.tag,
			        ev->data.sequence_start.style);
			anchor = &ev->data.sequence_start.anchor;
		} else {
			id = yaml_document_add_mapping(&F->doc,
			        ev->data.mapping_start.tag,
			        ev->data.mapping_start.style);
			anchor = &ev->data.mapping_start.anchor;
		}
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		cs->depth--;
		return true;
	case YAML_ALIAS_EVENT:
		target = anchor_find(a, (const char *)ev->data.alias.anchor);
		if (target == NULL) {
			diag_error(L->d, &at, "unknown alias \"*%.64s\"",
			           (char *)ev->data.alias.anchor);
			return false;
		}
		return attach(L, F, cs, target->id);
	default:
		return true;
	}
	if (id == 0) {
		oom(L);
		return false;
	}
	F->doc.nodes.start[id - 1].start_mark = ev->start_mark;
	F->doc.nodes.start[id - 1].end_mark = ev->end_mark;
	if (*anchor && !anchor_add(L, F, a, anchor, id, &ev->start_mark))
		return false;
	if (!attach(L, F, cs, id))
		return false;
	if (ev->type == YAML_SEQUENCE_START_EVENT ||
	    ev->type == YAML_MAPPING_START_EVENT) {
		cs->stack[cs->depth] = id;
		cs->pending_key[cs->depth] = 0;
		cs->depth++;
	}
	return true;
}

/* Parses buf into F->doc. False after an error (reported). */
static bool compose(struct loader *L, struct file *F, const char *buf,
                    size_t len)
{
	struct compose cs = { .depth = 0 };
	struct anchors a = { 0 };
	yaml_parser_t p;
	yaml_event_t ev;
	bool ok = true, end = false;

	if (!yaml_parser_initialize(&p)) {
		oom(L);
		return false;
	}
	if (!yaml_document_initialize(&F->doc, NULL, NULL, NULL, 1, 1)) {
		yaml_parser_delete(&p);
		oom(L);
		return false;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (ok && !end) {
		if (!yaml_parser_parse(&p, &ev)) {
			parser_error(L, F, &p, buf, len);
			ok = false;
			break;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		ok = compose_event(L, F, &cs, &a, &ev);
		yaml_event_delete(&ev);
	}
	anchors_free(&a);
	yaml_parser_delete(&p);
	if (!ok) {
		yaml_document_delete(&F->doc);
		memset(&F->doc, 0, sizeof(F->doc));
	}
	return ok;
}

/* Why a configuration file cannot be read: NULL (it can, *fd is open), or
 * a message. A FIFO would block and /dev/zero never end: only regular files
 * are read, and only up to CONF_MAX_FILE_BYTES. */
static const char *open_conf(const char *path, int *fd, struct stat *st)
{
	const char *why = NULL;

	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (*fd < 0)
		return strerror(errno);
	if (fstat(*fd, st) < 0)
		why = strerror(errno);
	else if (S_ISDIR(st->st_mode))
		why = strerror(EISDIR);
	else if (!S_ISREG(st->st_mode))
		why = "not a regular file";
	else if ((uintmax_t)st->st_size > CONF_MAX_FILE_BYTES)
		why = strerror(EFBIG);
	if (why) {
		close(*fd);
		*fd = -1;
	}
	return why;
}

/* The whole file in memory (NUL-terminated), or NULL with errno set. */
static char *slurp(int fd, const struct stat *st, size_t *len)
{
	size_t used = 0, cap = (size_t)st->st_size + 2;
	char *buf = malloc(cap), *q;
	size_t want;
	ssize_t n;

	if (buf == NULL)
		return NULL;
	for (;;) {
		if (used + 1 == cap) {          /* the file grew */
			if (cap > CONF_MAX_FILE_BYTES) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			q = realloc(buf, cap * 2);
			if (q == NULL) {
				free(buf);
				return NULL;
			}
			buf = q;
			cap *= 2;
		}
		want = cap - used - 1;
		n = read(fd, buf + used, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			free(buf);
			errno = saved;
			return NULL;
		}
		used += (size_t)n;
		/* A regular file returns less than asked only at its end: one
		 * read() per file when its size is as fstat() said. */
		if ((size_t)n < want)
			break;
	}
	buf[used] = '\0';
	*len = used;
	return buf;
}

static void walk_file(struct loader *L, struct file *F)
{
	static const struct schema main_schema = {
		"", main_keys, N_OF(main_keys), top_key, false,
	};
	static const struct schema included_schema = {
		"", included_keys, N_OF(included_keys), top_key, true,
	};
	yaml_node_t *root = yaml_document_get_root_node(&F->doc);

	if (root == NULL || is_null(root))
		return;                 /* an empty file */
	F->max_visits = (size_t)(F->doc.nodes.top - F->doc.nodes.start) +
	                CONF_MAX_YAML_NODES;
	if (!visit(L, F, root))
		return;
	if (root->type != YAML_MAPPING_NODE) {
		type_error(L, F, root, "a mapping at the top level");
		L->read_failed = true;
		return;
	}
	walk_map(L, F, root, F->included ? &included_schema : &main_schema,
	         NULL);
}

/* Reads and walks one file. `from` is the include that names it, or NULL
 * for the main file. */
static void load_file(struct loader *L, const char *path,
                      const struct loc *from)
{
	struct conf *c = L->c;
	struct file F = { 0 };
	struct loc at = { path, 0, 0 };
	const char *slash, *why;
	char *id, *buf, *name;
	struct stat st;
	size_t len, i;
	int fd;

	if (from)
		at = *from;
	if (L->depth > CONF_MAX_INCLUDE_DEPTH) {
		diag_error(L->d, &at, "includes are nested more than %d deep",
		           CONF_MAX_INCLUDE_DEPTH);
		return;
	}
	why = open_conf(path, &fd, &st);
	if (why) {
		L->read_failed = true;
		diag_error(L->d, &at, "cannot read \"%s\": %s", path, why);
		return;
	}
	/* A file is known by its device and inode: cheaper than realpath()
	 * (a readlink per path component), and immune to links. */
	if (asprintf(&id, "%jx:%jx", (uintmax_t)st.st_dev,
	             (uintmax_t)st.st_ino) < 0) {
		close(fd);
		oom(L);
		return;
	}
	for (i = 0; i < L->depth; i++)
		if (!strcmp(L->stack[i], id)) {
			diag_error(L->d, &at, "include loop: \"%s\" is already "
			           "being read", path);
			goto out;
		}
	/* Reading a file twice would only define its domains twice, and
	 * would let a few small files include each other exponentially. */
	if (hostmap_get(L->read, id, strlen(id))) {
		diag_error(L->d, &at, "\"%s\" is already included; a file can "
		           "be read only once", path);
		goto out;
	}
	if (!grow(L, &L->reals, L->n_reals, &L->reals_cap, sizeof(*L->reals)) ||
	    hostmap_put(L->read, id, id) < 0) {
		oom(L);
		goto out;
	}
	L->reals[L->n_reals++] = id;
	buf = slurp(fd, &st, &len);
	close(fd);
	if (buf == NULL) {
		L->read_failed = true;
		diag_error(L->d, &at, "cannot read \"%s\": %s", path,
		           strerror(errno));
		return;
	}
	name = xstrdup(L, path);
	if (name == NULL || !grow(L, &c->files, c->n_files, &L->files_cap,
	                          sizeof(*c->files))) {
		free(name);
		free(buf);
		return;
	}
	c->files[c->n_files++] = name;
	F.name = name;
	slash = strrchr(name, '/');
	F.dir_len = slash ? (size_t)(slash - name) + 1 : 0;
	F.included = from != NULL;
	L->stack[L->depth++] = id;
	if (compose(L, &F, buf, len)) {
		free(buf);
		buf = NULL;
		walk_file(L, &F);
		yaml_document_delete(&F.doc);
	} else {
		L->read_failed = true;
	}
	free(buf);
	L->depth--;
	return;
out:
	free(id);
	close(fd);
}

/* ---- resolve and build ------------------------------------------------- */

static int raw_cmp(const void *a, const void *b)
{
	const struct raw_domain *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorts the domains and marks every later definition of a name. */
static void find_duplicates(struct loader *L)
{
	size_t i, first = 0;

	if (L->n_doms > 1)
		qsort(L->doms, L->n_doms, sizeof(*L->doms), raw_cmp);
	for (i = 1; i < L->n_doms; i++) {
		struct raw_domain *r = &L->doms[i], *f;

		if (strcmp(r->name, L->doms[first].name)) {
			first = i;
			continue;
		}
		f = &L->doms[first];
		r->duplicate = true;
		if (r->text || f->text)
			diag_error(L->d, &r->loc, "domain %s is the same name as %s, "
			           "already defined at %s:%u",
			           r->text ? r->text : r->name,
			           f->text ? f->text : f->name, f->loc.file,
			           f->loc.line);
		else
			diag_error(L->d, &r->loc, "domain %s is already defined at "
			           "%s:%u", r->name, f->loc.file, f->loc.line);
	}
}

static struct raw_domain *find_raw(struct loader *L, const char *name)
{
	size_t lo = 0, hi = L->n_doms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(name, L->doms[mid].name);

		if (r == 0) {
			/* the first definition wins */
			while (mid > 0 && !strcmp(L->doms[mid - 1].name, name))
				mid--;
			return &L->doms[mid];
		}
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static void resolve_own(struct loader *L, struct raw_domain *r)
{
	const struct settings *def = &L->defaults;

	r->mode_src = r->own.has_mode ? &r->own : def->has_mode ? def : NULL;
	r->max_age_src = r->own.has_max_age ? &r->own
	               : def->has_max_age ? def : NULL;
	r->mx_src = r->own.has_mx ? &r->own : def->has_mx ? def : NULL;
	r->state = RES_DONE;
}

static void report_loop(struct loader *L, struct raw_domain *r)
{
	char chain[512];
	struct raw_domain *t = r;
	size_t used = 0;

	do {
		used += (size_t)snprintf(chain + used, sizeof(chain) - used,
		                         "%s -> ", t->name);
		if (used >= sizeof(chain) - 1)
			break;
		t = find_raw(L, t->same_as);
	} while (t != r);
	if (used < sizeof(chain) - 1)
		snprintf(chain + used, sizeof(chain) - used, "%s", r->name);
	else
		strcpy(chain + sizeof(chain) - 4, "...");
	diag_error(L->d, &r->same_as_loc, "same_as loop: %s", chain);
}

/* Follows a chain of same_as without recursion (chains can be long). */
static void resolve(struct loader *L, struct raw_domain *start)
{
	struct raw_domain *r = start, *t;

	/* Forward, marking the chain busy, until the outcome is known. */
	while (r->state == RES_TODO) {
		if (r->bad) {
			r->state = RES_FAILED;
			break;
		}
		if (r->same_as == NULL) {
			resolve_own(L, r);
			break;
		}
		r->state = RES_BUSY;
		t = find_raw(L, r->same_as);
		if (t == NULL) {
			diag_error(L->d, &r->same_as_loc, "same_as: domain %s is "
			           "not configured", r->same_as);
			r->state = RES_FAILED;
			break;
		}
		r = t;
	}
	if (r->state == RES_BUSY) {
		/* Back at a busy domain: a loop. Report it once, at r. */
		report_loop(L, r);
		t = r;
		do {
			t->state = RES_FAILED;
			t = find_raw(L, t->same_as);
		} while (t->state == RES_BUSY);
	}
	/* The rest of the chain gets the outcome (busy ones were on it). */
	for (t = start; t->state == RES_BUSY; t = find_raw(L, t->same_as)) {
		t->state = r->state;
		t->mode_src = r->mode_src;
		t->max_age_src = r->max_age_src;
		t->mx_src = r->mx_src;
	}
}

static bool copy_tls_rpt(struct loader *L, struct policy *p,
                         const struct settings *s)
{
	size_t i;

	if (s == NULL || s->n_tls_rpt == 0)
		return true;
	p->tls_rpt = calloc(s->n_tls_rpt, sizeof(*p->tls_rpt));
	if (p->tls_rpt == NULL) {
		oom(L);
		return false;
	}
	for (i = 0; i < s->n_tls_rpt; i++) {
		p->tls_rpt[i] = xstrdup(L, s->tls_rpt[i]);
		if (p->tls_rpt[i] == NULL)
			return false;
		p->n_tls_rpt++;
	}
	return true;
}

static void warn_policy(struct loader *L, struct raw_domain *r,
                        struct conf_domain *cd)
{
	struct settings *age = (struct settings *)r->max_age_src;
	const struct policy *p = &cd->policy;
	size_t i;

	if (p->mode == POLICY_MODE_ENFORCE &&
	    p->max_age < POLICY_ENFORCE_MAX_AGE_WARN &&
	    p->max_age >= POLICY_MAX_AGE_WARN && !age->enforce_warned) {
		age->enforce_warned = true;
		diag_warning(L->d, &age->max_age_loc, "max_age %lu is less than a "
		             "week (%u), the least some senders accept with "
		             "enforce", (unsigned long)p->max_age,
		             POLICY_ENFORCE_MAX_AGE_WARN);
	}
	for (i = 0; i < r->mx_src->n_mx; i++)
		if (policy_mx_is_domain_wildcard(r->mx_src->mx[i].name, p->domain))
			diag_warning(L->d, &r->mx_src->mx[i].loc, "mx \"%s\" "
			             "accepts any host in %s (RFC 8461 section "
			             "10.4)", r->mx_src->mx[i].name, p->domain);
	if (p->body_len > POLICY_BODY_WARN && p->body_len <= POLICY_BODY_MAX)
		diag_warning(L->d, &cd->loc, "policy body is %zu bytes; some "
		             "senders truncate bodies over %d bytes",
		             p->body_len, POLICY_BODY_WARN);
}

/* Turns a resolved raw domain into conf->domains[n]. */
static void build_domain(struct loader *L, struct raw_domain *r)
{
	struct conf *c = L->c;
	struct conf_domain *cd = &c->domains[c->n_domains];
	struct policy *p = &cd->policy;
	const struct settings *rpt;
	size_t i, dropped;

	const struct settings *def = &L->defaults;

	if (L->defaults_bad && (r->mode_src == NULL || r->mode_src == def ||
	                        r->max_age_src == NULL ||
	                        r->max_age_src == def || r->mx_src == NULL ||
	                        r->mx_src == def))
		return;         /* reported in defaults */
	if (r->mode_src == NULL || r->max_age_src == NULL) {
		diag_error(L->d, &r->loc, "domain %s has no %s (set it here or in "
		           "defaults)", r->name,
		           r->mode_src == NULL ? "mode" : "max_age");
		return;
	}
	if (r->mx_src == NULL || r->mx_src->n_mx == 0) {
		diag_error(L->d, &r->loc, "domain %s has no mx (set it here or in "
		           "defaults); every mode, none included, needs one",
		           r->name);
		return;
	}
	memset(cd, 0, sizeof(*cd));
	cd->loc = r->loc;
	p->domain = xstrdup(L, r->name);
	if (p->domain == NULL)
		return;
	p->mode = r->mode_src->mode;
	p->max_age = r->max_age_src->max_age;
	/* The list is already normalised and free of duplicates (mx_item),
	 * so it is copied directly: policy_add_mx() would compare each new
	 * pattern with all before it, O(n^2) over thousands of patterns. */
	p->mx = calloc(r->mx_src->n_mx, sizeof(*p->mx));
	if (p->mx == NULL)
		oom(L);
	for (i = 0; p->mx && i < r->mx_src->n_mx; i++) {
		p->mx[i] = xstrdup(L, r->mx_src->mx[i].name);
		if (p->mx[i] == NULL)
			break;
		p->n_mx++;
	}
	rpt = r->own.has_tls_rpt ? &r->own
	    : L->defaults.has_tls_rpt ? &L->defaults : NULL;
	if (!L->oom && copy_tls_rpt(L, p, rpt) && r->has_id) {
		p->id_explicit = true;
		memcpy(p->id, r->id, sizeof(p->id));
	}
	if (L->oom || policy_render(p) < 0) {
		oom(L);
		policy_clear(p);
		return;
	}
	c->n_domains++;
	/* mx_item() stops storing patterns once a list is over the limit,
	 * and counts the bytes of those it dropped. */
	dropped = r->mx_src->mx_dropped_bytes;
	if (p->body_len > POLICY_BODY_MAX) {
		diag_error(L->d, &cd->loc, "policy body of %s is %s%zu bytes, "
		           "over the limit of %d", p->domain,
		           dropped ? "about " : "", p->body_len + dropped,
		           POLICY_BODY_MAX);
		return;
	}
	warn_policy(L, r, cd);
}

static void check_default_host(struct loader *L)
{
	struct conf *c = L->c;
	const char *h = c->tls_default_host;

	if (h == NULL)
		return;
	if (strncmp(h, "mta-sts.", 8) || find_raw(L, h + 8) == NULL)
		diag_error(L->d, &c->tls_default_host_loc, "default_host %s is "
		           "not a served host (mta-sts.<configured domain>)", h);
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
	if (c->n_certs == 0 && L->cert_errors == 0)
		for (i = 0; i < c->n_listeners; i++)
			if (c->listeners[i].kind == LISTEN_HTTPS)
				diag_error(L->d, &c->listeners[i].loc, "https "
				           "listener needs certificates");
	check_default_host(L);
}

static void resolve_and_build(struct loader *L)
{
	struct conf *c = L->c;
	size_t i;

	find_duplicates(L);
	if (L->n_doms == 0) {
		struct loc at = { c->path, 0, 0 };

		if (L->n_domain_keys == 0 && !L->read_failed)
			diag_error(L->d, &at, "no domains configured");
		return;
	}
	c->domains = calloc(L->n_doms, sizeof(*c->domains));
	if (c->domains == NULL) {
		oom(L);
		return;
	}
	for (i = 0; i < L->n_doms && !L->oom; i++) {
		struct raw_domain *r = &L->doms[i];

		if (r->duplicate)
			continue;
		resolve(L, r);
		if (r->state == RES_DONE)
			build_domain(L, r);
	}
}

static void set_defaults(struct loader *L)
{
	struct conf *c = L->c;

	c->tls_priorities = xstrdup(L, CONF_DEFAULT_TLS_PRIORITIES);
	c->tls_expiry_warn_days = CONF_DEFAULT_EXPIRY_WARN_DAYS;
	c->tls_session_tickets = true;
	c->cache_control = xstrdup(L, CONF_DEFAULT_CACHE_CONTROL);
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
		oom(&L);
	if (!L.oom)
		load_file(&L, path, NULL);
	/* Per-domain checks only once every file was read without a fatal
	 * problem in reading itself; value errors don't stop them. */
	if (!L.oom && L.c->n_files > 0) {
		resolve_and_build(&L);
		check_cross(&L);
	}
	settings_clear(&L.defaults);
	hostmap_free(L.read);
	for (i = 0; i < L.n_reals; i++)
		free(L.reals[i]);
	free(L.reals);
	for (i = 0; i < L.n_doms; i++)
		raw_domain_free(&L.doms[i]);
	free(L.doms);
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
