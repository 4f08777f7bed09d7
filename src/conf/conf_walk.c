/*
 * conf_walk: walking a composed document, for the loader.
 *
 * Typed values (strings, whole numbers, booleans, file names), lists, and
 * mappings walked against a schema (unknown and duplicate keys are reported
 * here), plus the loader's small helpers (out of memory, growing arrays).
 * Every node walked is counted against the file's budget (yamldoc_visit),
 * so that aliases cannot make a walk do more than CONF_MAX_YAML_NODES
 * visits beyond the nodes the file really contains. No I/O.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"

/* ---- small helpers -------------------------------------------------- */

void conf_oom(struct loader *L)
{
	if (!L->oom) {
		struct loc at = { L->c->path, 0, 0 };

		diag_error(L->d, &at, "out of memory");
	}
	L->oom = true;
}

char *conf_strdup(struct loader *L, const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL)
		conf_oom(L);
	return copy;
}

/* Makes room for one more element of `size` bytes in *arr. */
bool conf_grow(struct loader *L, void *arr, size_t n, size_t *cap,
               size_t size)
{
	void **p = arr;
	size_t new_cap;
	void *q;

	if (n < *cap)
		return true;
	new_cap = *cap ? *cap * 2 : 8;
	if (new_cap > SIZE_MAX / size) {
		conf_oom(L);
		return false;
	}
	q = realloc(*p, new_cap * size);
	if (q == NULL) {
		conf_oom(L);
		return false;
	}
	*p = q;
	*cap = new_cap;
	return true;
}

static const char *kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return yamldoc_is_null(n) ? "null" : "a string";
	}
}

struct loc conf_loc(const struct file *F, const yaml_node_t *n)
{
	return yamldoc_loc(F->doc, n);
}

/* The budget itself is the document's; out of memory stops walks too. */
bool conf_visit(struct loader *L, struct file *F, const yaml_node_t *n)
{
	if (L->oom)
		return false;
	return yamldoc_visit(F->doc, n, L->d);
}

void conf_type_error(struct loader *L, struct file *F, const yaml_node_t *n,
                     const char *expected)
{
	struct loc at = conf_loc(F, n);

	diag_error(L->d, &at, "expected %s, got %s", expected, kind(n));
}

void conf_value_error(struct loader *L, struct file *F, const yaml_node_t *n,
                      const char *msg)
{
	struct loc at = conf_loc(F, n);

	diag_error(L->d, &at, "%s", msg);
}

/* The text of a scalar that must be a string, or NULL after an error. */
const char *conf_str(struct loader *L, struct file *F, const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || yamldoc_is_null(n)) {
		conf_type_error(L, F, n, "a string");
		return NULL;
	}
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
		conf_value_error(L, F, n, "value contains a NUL character");
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

bool conf_uint(struct loader *L, struct file *F, const yaml_node_t *n,
               unsigned long min, unsigned long max,
               unsigned long *out)
{
	const char *s = conf_str(L, F, n);
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
		at = conf_loc(F, n);
		diag_error(L->d, &at, "expected a whole number from %lu to %lu, "
		           "got \"%.64s\"", min, max, s);
		return false;
	}
	*out = v;
	return true;
}

bool conf_bool(struct loader *L, struct file *F, const yaml_node_t *n,
               bool *out)
{
	const char *s = conf_str(L, F, n);
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
	at = conf_loc(F, n);
	diag_error(L->d, &at, "expected true or false, got \"%.64s\"", s);
	return false;
}

/* Replaces *slot with a copy of s. */
void conf_set_str(struct loader *L, char **slot, const char *s)
{
	char *copy = conf_strdup(L, s);

	if (copy) {
		free(*slot);
		*slot = copy;
	}
}

/* A file name: relative ones are taken from the directory of the file that
 * names them, as include patterns are. NULL after an error. */
char *conf_path(struct loader *L, struct file *F, const yaml_node_t *n)
{
	const char *s = conf_str(L, F, n);
	char *p;

	if (s == NULL)
		return NULL;
	if (!*s) {
		conf_value_error(L, F, n, "file name is empty");
		return NULL;
	}
	if (s[0] == '/' || F->dir_len == 0)
		return conf_strdup(L, s);
	if (asprintf(&p, "%.*s%s", (int)F->dir_len, F->name, s) < 0) {
		conf_oom(L);
		return NULL;
	}
	return p;
}

/* Calls fn for each item of a list; a single scalar counts as a one-item
 * list when scalar_ok. */
bool conf_each_item(struct loader *L, struct file *F, yaml_node_t *v,
                    bool scalar_ok, item_fn *fn, void *ctx)
{
	yaml_node_item_t *it;

	if (scalar_ok && v->type == YAML_SCALAR_NODE && !yamldoc_is_null(v)) {
		fn(L, F, v, ctx);
		return true;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		conf_type_error(L, F, v, "a list");
		return false;
	}
	for (it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = yamldoc_node(F->doc, *it);

		if (!conf_visit(L, F, item))
			return false;
		fn(L, F, item, ctx);
	}
	return true;
}

void conf_name_value(struct loader *L, struct file *F, yaml_node_t *v,
                     const char *key, char **slot)
{
	const char *s = conf_str(L, F, v);
	struct loc at;

	if (s == NULL)
		return;
	if (!*s) {
		at = conf_loc(F, v);
		diag_error(L->d, &at, "%s is empty", key);
		return;
	}
	conf_set_str(L, slot, s);
}

/* ---- mappings against a schema ---------------------------------------- */

static void unknown_key(struct loader *L, struct file *F,
                        const struct schema *s, yaml_node_t *k)
{
	const char *name = (const char *)k->data.scalar.value;
	struct loc at = conf_loc(F, k);
	char expected[256];
	size_t used = 0;
	unsigned i;

	if (!strcmp(name, "<<")) {
		diag_error(L->d, &at, "merge keys (\"<<\") are not supported; "
		           "use defaults or same_as, or repeat the keys");
		return;
	}
	if (s->included_top)
		for (i = 0; i < conf_main_schema.n_keys; i++)
			if (conf_main_schema.keys[i] &&
			    !strcmp(name, conf_main_schema.keys[i])) {
				diag_error(L->d, &at, "only 'domains' and 'include' "
				           "are allowed in an included file");
				return;
			}
	expected[0] = '\0';
	for (i = 0; i < s->n_keys && used < sizeof(expected); i++)
		if (s->keys[i])
			used += (size_t)snprintf(expected + used,
			                         sizeof(expected) - used, "%s%s",
			                         used ? ", " : "", s->keys[i]);
	diag_error(L->d, &at, "unknown key \"%.64s\"%s (expected %s)",
	           name, s->where, expected);
}

/* Walks the pairs of a mapping: unknown and duplicate keys are reported
 * here, every known key goes to s->fn once. Keys are compared with the short
 * schema list, so a mapping of n pairs costs O(n). Returns the number of
 * keys refused. */
unsigned conf_walk_map(struct loader *L, struct file *F, yaml_node_t *map,
                       const struct schema *s, void *ctx)
{
	unsigned first_line[CONF_SCHEMA_MAX_KEYS] = { 0 }, refused = 0;
	yaml_node_pair_t *pair;

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yamldoc_node(F->doc, pair->key);
		yaml_node_t *v = yamldoc_node(F->doc, pair->value);
		struct loc at;
		unsigned i;

		if (!conf_visit(L, F, k) || !conf_visit(L, F, v))
			return refused + 1;
		if (k->type != YAML_SCALAR_NODE) {
			conf_type_error(L, F, k, "a string key");
			refused++;
			continue;
		}
		for (i = 0; i < s->n_keys; i++)
			if (s->keys[i] &&
			    !strcmp((const char *)k->data.scalar.value, s->keys[i]))
				break;
		if (i == s->n_keys) {
			unknown_key(L, F, s, k);
			refused++;
			continue;
		}
		if (first_line[i]) {
			at = conf_loc(F, k);
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
bool conf_walk_section(struct loader *L, struct file *F, yaml_node_t *v,
                       const struct schema *s, void *ctx)
{
	if (yamldoc_is_null(v))
		return true;
	if (v->type != YAML_MAPPING_NODE) {
		conf_type_error(L, F, v, "a mapping");
		return false;
	}
	return conf_walk_map(L, F, v, s, ctx) == 0;
}
