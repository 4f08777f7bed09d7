/*
 * conf_internal: what the pieces of the configuration loader share. Not part
 * of the conf.h API; only src/conf*.c include it.
 *
 *   conf.c          conf_load() and the public API; the top level of a file
 *                   (its keys), cross-section checks
 *   conf_walk.c     walking a document: typed values, lists, mappings
 *                   against a schema, the loader's small helpers
 *   conf_section.c  listen, certificates, tls, http, limits, dns, admin,
 *                   tlsrpt, monitor
 *   conf_acme.c     acme (certificates from an ACME CA)
 *   conf_policy.c   defaults and domains (mode, max_age, mx, tls_rpt, id,
 *                   same_as); then resolving them into conf->domains
 *   conf_include.c  reading files (the only file I/O) and include patterns
 *   yamldoc.c       composing one file's YAML into nodes (no conf knowledge)
 *
 * Every walker function takes the loader L (what is being built, the diag
 * sink, the out-of-memory flag) and the file F being walked; it reports its
 * own errors and goes on.
 */
#ifndef STSD_CONF_INTERNAL_H
#define STSD_CONF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "conf.h"
#include "yamldoc.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

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

/* One file being read. */
struct file {
	const char *name;               /* owned by conf->files */
	size_t dir_len;                 /* bytes of `name` up to the last '/' */
	bool included;
	struct yamldoc *doc;
};

struct raw_domain;                      /* conf_policy.c */
struct include;                         /* conf_include.c */

struct loader {
	struct conf *c;
	struct diag *d;
	bool oom;
	size_t files_cap, listeners_cap, certs_cap, proxies_cap;
	size_t admin_allow_cap;
	struct loc admin_allow_loc;
	struct settings defaults;
	struct raw_domain *doms;
	size_t n_doms, doms_cap;
	const struct conf_source *src;
	struct include *incs;           /* every file named so far */
	size_t n_incs, incs_cap;
	size_t *todo;                   /* indices into incs still to read */
	size_t n_todo, todo_cap;
	size_t current;                 /* the file being walked */
	size_t first_child;             /* its first include in incs */
	char **reals;                   /* "dev:inode" of every file read */
	size_t n_reals, reals_cap;
	struct hostmap *read;           /* the same, for lookups */
	bool has_per_ip;
	bool defaults_bad;              /* an error in defaults was reported */
	bool read_failed;               /* a file could not be read or parsed */
	unsigned cert_errors;           /* errors in certificates entries */
	size_t n_domain_keys;           /* keys under domains:, valid or not */
	struct loc per_ip_loc, cname_loc, addrs_loc;
	struct loc acme_challenge_loc;
	bool acme_challenge_bad;        /* reported already */
	struct loc *acme_domain_locs;   /* of conf->acme.domains[i] */
};

/* A mapping's known keys: fn gets each one present, by its index in keys.
 * Every section names its keys with an enum and fills `keys` with
 * designated initializers ([TLS_PRIORITIES] = "priorities"), so that the
 * order of either never decides which handler a key reaches; a NULL entry
 * is a key of the enum this schema does not accept. */
typedef void key_fn(struct loader *L, struct file *F, unsigned key,
                    yaml_node_t *k, yaml_node_t *v, void *ctx);

#define CONF_SCHEMA_MAX_KEYS 24

struct schema {
	const char *where;              /* " in tls", or "" */
	const char *const *keys;        /* indexed by the section's enum */
	unsigned n_keys;                /* <= CONF_SCHEMA_MAX_KEYS */
	key_fn *fn;
	bool included_top;              /* top level of an included file */
};

/* Called for each item of a list. */
typedef void item_fn(struct loader *L, struct file *F, yaml_node_t *item,
                     void *ctx);

/* ---- conf_walk.c ---------------------------------------------------- */

/* Reports "out of memory" (once) and sets L->oom. */
void conf_oom(struct loader *L);
/* strdup, or NULL after conf_oom(). */
char *conf_strdup(struct loader *L, const char *s);
/* Makes room in *arr (an array of n elements of `size` bytes, *cap
 * allocated) for one more element. False after conf_oom(). */
bool conf_grow(struct loader *L, void *arr, size_t n, size_t *cap,
               size_t size);

struct loc conf_loc(const struct file *F, const yaml_node_t *n);
/* Counts one visited node against the file's budget; false once it is
 * spent (reported) or after out of memory: the caller stops. */
bool conf_visit(struct loader *L, struct file *F, const yaml_node_t *n);

/* "expected EXPECTED, got a list" at n. */
void conf_type_error(struct loader *L, struct file *F, const yaml_node_t *n,
                     const char *expected);
/* msg at n. */
void conf_value_error(struct loader *L, struct file *F, const yaml_node_t *n,
                      const char *msg);

/* Typed values: each reports its own error and returns NULL or false. */
const char *conf_str(struct loader *L, struct file *F, const yaml_node_t *n);
bool conf_uint(struct loader *L, struct file *F, const yaml_node_t *n,
               unsigned long min, unsigned long max, unsigned long *out);
bool conf_bool(struct loader *L, struct file *F, const yaml_node_t *n,
               bool *out);
/* A file name, relative ones from the directory of F. Caller frees. */
char *conf_path(struct loader *L, struct file *F, const yaml_node_t *n);
/* A non-empty string into *slot (replacing it); `key` names it in errors. */
void conf_name_value(struct loader *L, struct file *F, yaml_node_t *v,
                     const char *key, char **slot);
/* Replaces *slot with a copy of s (unchanged when out of memory). */
void conf_set_str(struct loader *L, char **slot, const char *s);

/* Calls fn for each item of list v (a single scalar is a one-item list
 * when scalar_ok). False when v is not a list or the walk was stopped. */
bool conf_each_item(struct loader *L, struct file *F, yaml_node_t *v,
                    bool scalar_ok, item_fn *fn, void *ctx);
/* Walks mapping `map` against s; returns the number of keys refused
 * (unknown, duplicate, not a string), counting a stopped walk as one. */
unsigned conf_walk_map(struct loader *L, struct file *F, yaml_node_t *map,
                       const struct schema *s, void *ctx);
/* A section: a mapping, or null for nothing set. False after an error in
 * the section itself (not in its values). */
bool conf_walk_section(struct loader *L, struct file *F, yaml_node_t *v,
                       const struct schema *s, void *ctx);

/* ---- conf_section.c ------------------------------------------------- */

extern const struct schema conf_tls_schema, conf_http_schema,
	conf_limits_schema, conf_dns_schema, conf_admin_schema,
	conf_monitor_schema,
	conf_tlsrpt_schema;
void conf_listen_item(struct loader *L, struct file *F, yaml_node_t *item,
                      void *ctx);
void conf_cert_item(struct loader *L, struct file *F, yaml_node_t *item,
                    void *ctx);

/* ---- conf_acme.c ---------------------------------------------------- */

/* The "acme:" key k with value v: enables ACME and walks the section. */
void conf_walk_acme(struct loader *L, struct file *F, yaml_node_t *k,
                    yaml_node_t *v);
/* The checks that need every file read (terms, domains, listeners). */
void conf_check_acme(struct loader *L);
void conf_acme_free(struct conf_acme *a);

/* ---- conf_policy.c -------------------------------------------------- */

extern const struct schema conf_defaults_schema;
/* "domains:" of one file: each domain becomes a raw domain in L. */
void conf_walk_domains(struct loader *L, struct file *F, yaml_node_t *v);
/* Sorts the raw domains, applies defaults and same_as, fills
 * conf->domains. */
void conf_resolve_and_build(struct loader *L);
/* default_host must be mta-sts.<a configured domain>. */
void conf_check_default_host(struct loader *L);
/* Frees L->defaults and the raw domains. */
void conf_policies_free(struct loader *L);

/* ---- conf_include.c ------------------------------------------------- */

/* Records `path` as a file to read: named by the include item at `from` in
 * the file being walked, or (from NULL) the main file. */
void conf_include_push(struct loader *L, const char *path,
                       const struct loc *from);
/* Reads and composes the next file into F: the main file first, then each
 * file's includes after it, depth first. False when none is left. */
bool conf_next_file(struct loader *L, struct file *F);
/* After F is walked: frees its document, queues its includes. */
void conf_file_done(struct loader *L, struct file *F);
/* Frees the include stack and the identities of the files read. */
void conf_includes_free(struct loader *L);
/* An include item: its pattern's files become children of the file being
 * walked. */
void conf_include_item(struct loader *L, struct file *F, yaml_node_t *item,
                       void *ctx);

/* ---- conf.c --------------------------------------------------------- */

/* The top level of the main file (its keys also name what an included
 * file may not set). */
extern const struct schema conf_main_schema;
/* Walks the composed document of F from its root. */
void conf_walk_file(struct loader *L, struct file *F);

#endif
