/*
 * conf_policy: the policies, from what is written to conf->domains.
 *
 * Reading: "defaults:" and each domain under "domains:" (mode, max_age, mx,
 * tls_rpt, id, same_as) are checked and kept as written, in a raw_domain
 * per domain, in any file.
 * Resolving, once every file was read: the raw domains are sorted by name
 * (duplicates found by comparing neighbours), then defaults and same_as
 * aliases are applied (chains followed without recursion, loops reported),
 * and every domain gets its struct policy, rendered so that its size is
 * known. No I/O.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"
#include "dnsrec.h"
#include "hostmap.h"
#include "name.h"
#include "policy.h"

/* Sizes of the fixed lines of a body (policy_render's format), used to stop
 * adding mx patterns once a body is certainly over POLICY_BODY_MAX. */
#define BODY_FIXED_BYTES (sizeof("version: STSv1\r\n") - 1 + \
                          sizeof("mode: enforce\r\n") - 1 + \
                          sizeof("max_age: \r\n") - 1)
#define BODY_MX_LINE_BYTES (sizeof("mx: \r\n") - 1)

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
	bool retire;                    /* retire: true */
	struct loc retire_loc;
	bool bad;                       /* an error was reported for it */
	bool duplicate;                 /* defined earlier: ignored */
	enum resolve_state state;
	const struct settings *mode_src, *max_age_src, *mx_src;
};

/* ---- defaults and domains ---------------------------------------------- */

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
			conf_oom(L);
			return -1;
		}
		for (i = 0; i < m->s->n_mx; i++)
			if (hostmap_put(m->seen, m->s->mx[i].name,
			                m->s->mx[i].name) < 0) {
				conf_oom(L);
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
	const char *text = conf_str(L, F, item), *msg;
	struct loc at = conf_loc(F, item);
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
	if (!conf_grow(L, &s->mx, s->n_mx, &m->cap, sizeof(*s->mx)))
		return;
	copy = conf_strdup(L, name);
	if (copy == NULL)
		return;
	s->mx[s->n_mx].name = copy;
	s->mx[s->n_mx].loc = at;
	if (m->seen && hostmap_put(m->seen, copy, copy) < 0) {
		free(copy);
		conf_oom(L);
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
	const char *s = conf_str(L, F, item), *msg;
	char *copy;

	if (s == NULL) {
		*r->bad = true;
		return;
	}
	msg = dnsrec_tlsrpt_uri_check(s);
	if (msg) {
		struct loc at = conf_loc(F, item);

		diag_error(L->d, &at, "invalid tls_rpt URI \"%.256s\": %s", s, msg);
		*r->bad = true;
		return;
	}
	if (!conf_grow(L, &r->s->tls_rpt, r->s->n_tls_rpt, &r->cap,
	               sizeof(*r->s->tls_rpt)))
		return;
	copy = conf_strdup(L, s);
	if (copy)
		r->s->tls_rpt[r->s->n_tls_rpt++] = copy;
}

/* The keys of defaults (the first four) and of a domain (all). */
enum policy_key {
	PK_MODE, PK_MAX_AGE, PK_MX, PK_TLS_RPT, PK_ID, PK_SAME_AS, PK_RETIRE,
	PK_N
};

/* mode, max_age, mx, tls_rpt: shared by defaults and domains. */
static void policy_key(struct loader *L, struct file *F, unsigned key,
                       yaml_node_t *k, yaml_node_t *v, struct settings *s,
                       bool *bad)
{
	const char *text, *msg;
	struct loc at = conf_loc(F, v);

	switch ((enum policy_key)key) {
	case PK_MODE:
		text = conf_str(L, F, v);
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
	case PK_MAX_AGE:
		text = conf_str(L, F, v);
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
	case PK_MX: {
		struct mx_ctx m = { s, 0, BODY_FIXED_BYTES, NULL, bad };

		s->has_mx = true;
		s->mx_loc = conf_loc(F, k);
		if (!conf_each_item(L, F, v, true, mx_item, &m))
			*bad = true;
		hostmap_free(m.seen);
		break;
	}
	case PK_TLS_RPT: {
		struct rpt_ctx r = { s, 0, bad };

		s->has_tls_rpt = true;
		s->tls_rpt_loc = conf_loc(F, k);
		if (!conf_each_item(L, F, v, true, tls_rpt_item, &r))
			*bad = true;
		break;
	}
	case PK_ID:
	case PK_SAME_AS:
	case PK_RETIRE:
	case PK_N:
		break;                  /* a domain's own: domain_key */
	}
}

static const char *const defaults_keys[PK_N] = {
	[PK_MODE] = "mode", [PK_MAX_AGE] = "max_age", [PK_MX] = "mx",
	[PK_TLS_RPT] = "tls_rpt",
};

static void defaults_key(struct loader *L, struct file *F, unsigned key,
                         yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	policy_key(L, F, key, k, v, &L->defaults, &L->defaults_bad);
}

const struct schema conf_defaults_schema = {
	" in defaults", defaults_keys, N_OF(defaults_keys), defaults_key,
	false,
};

static const char *const domain_keys[PK_N] = {
	[PK_MODE] = "mode", [PK_MAX_AGE] = "max_age", [PK_MX] = "mx",
	[PK_TLS_RPT] = "tls_rpt", [PK_ID] = "id", [PK_SAME_AS] = "same_as",
	[PK_RETIRE] = "retire",
};

static void domain_key(struct loader *L, struct file *F, unsigned key,
                       yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	struct raw_domain *r = ctx;
	char name[NAME_MAX_LEN + 1];
	const char *s, *msg;
	struct loc at = conf_loc(F, v);

	if (key == PK_RETIRE) {
		r->retire_loc = conf_loc(F, k);
		if (!conf_bool(L, F, v, &r->retire))
			r->bad = true;
		return;
	}
	if (key != PK_ID && key != PK_SAME_AS) {
		policy_key(L, F, key, k, v, &r->own, &r->bad);
		return;
	}
	s = conf_str(L, F, v);
	if (s == NULL) {
		r->bad = true;
		return;
	}
	if (key == PK_ID) {
		msg = policy_id_check(s);
		if (msg) {
			diag_error(L->d, &at, "%s", msg);
			r->bad = true;
			return;
		}
		r->has_id = true;
		r->id_loc = conf_loc(F, k);
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
	r->same_as = conf_strdup(L, name);
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

	r.loc = conf_loc(F, k);
	if (k->type != YAML_SCALAR_NODE) {
		conf_type_error(L, F, k, "a domain name");
		return;
	}
	text = conf_str(L, F, k);
	if (text == NULL)
		return;
	msg = name_normalize(text, name, 0);
	if (msg) {
		diag_error(L->d, &r.loc, "invalid domain name \"%.256s\": %s",
		           text, msg);
		r.bad = true;
	}
	snprintf(where, sizeof(where), " in domain %.253s", text);
	if (!yamldoc_is_null(v)) {
		if (v->type == YAML_MAPPING_NODE) {
			/* A misspelt key was probably meant to set
			 * something: don't add "has no mode" to it. */
			if (conf_walk_map(L, F, v, &s, &r))
				r.bad = true;
		} else {
			r.bad = true;
			conf_type_error(L, F, v, "a mapping (or nothing, "
			                "for the defaults)");
		}
	}
	check_same_as(L, &r);
	if (msg == NULL && !L->oom &&
	    conf_grow(L, &L->doms, L->n_doms, &L->doms_cap, sizeof(*L->doms))) {
		r.name = conf_strdup(L, name);
		if (strcmp(text, name))
			r.text = conf_strdup(L, text);
		r.order = L->n_doms;
		L->doms[L->n_doms++] = r;
		return;
	}
	raw_domain_free(&r);
}

void conf_walk_domains(struct loader *L, struct file *F, yaml_node_t *v)
{
	yaml_node_pair_t *pair;

	if (yamldoc_is_null(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		conf_type_error(L, F, v, "a mapping of domain names");
		return;
	}
	/* Duplicate names (also across files, and names that differ only
	 * before normalisation) are found later by sorting. */
	for (pair = v->data.mapping.pairs.start;
	     pair < v->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yamldoc_node(F->doc, pair->key);
		yaml_node_t *val = yamldoc_node(F->doc, pair->value);

		if (!conf_visit(L, F, k) || !conf_visit(L, F, val))
			return;
		L->n_domain_keys++;
		domains_pair(L, F, k, val);
	}
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
		conf_oom(L);
		return false;
	}
	for (i = 0; i < s->n_tls_rpt; i++) {
		p->tls_rpt[i] = conf_strdup(L, s->tls_rpt[i]);
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
	p->domain = conf_strdup(L, r->name);
	if (p->domain == NULL)
		return;
	p->mode = r->mode_src->mode;
	p->max_age = r->max_age_src->max_age;
	if (r->retire) {
		/* RFC 8461 section 8.3: mode none, the same mx, a new id (the
		 * body changes, so a derived id does). */
		if (p->mode != POLICY_MODE_NONE && r->own.has_mode)
			diag_warning(L->d, &r->retire_loc, "retire: true serves "
			             "mode none; the mode set here is ignored");
		p->mode = POLICY_MODE_NONE;
		cd->retire = true;
	}
	/* The list is already normalised and free of duplicates (mx_item),
	 * so it is copied directly: policy_add_mx() would compare each new
	 * pattern with all before it, O(n^2) over thousands of patterns. */
	p->mx = calloc(r->mx_src->n_mx, sizeof(*p->mx));
	if (p->mx == NULL)
		conf_oom(L);
	for (i = 0; p->mx && i < r->mx_src->n_mx; i++) {
		p->mx[i] = conf_strdup(L, r->mx_src->mx[i].name);
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
		conf_oom(L);
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

void conf_check_default_host(struct loader *L)
{
	struct conf *c = L->c;
	const char *h = c->tls_default_host;

	if (h == NULL)
		return;
	if (strncmp(h, "mta-sts.", 8) || find_raw(L, h + 8) == NULL)
		diag_error(L->d, &c->tls_default_host_loc, "default_host %s is "
		           "not a served host (mta-sts.<configured domain>)", h);
}

void conf_resolve_and_build(struct loader *L)
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
		conf_oom(L);
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

void conf_policies_free(struct loader *L)
{
	size_t i;

	settings_clear(&L->defaults);
	for (i = 0; i < L->n_doms; i++)
		raw_domain_free(&L->doms[i]);
	free(L->doms);
}
