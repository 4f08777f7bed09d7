/*
 * yamldoc: a YAML document composed from parser events (see yamldoc.h for
 * why yaml_parser_load() is not used).
 *
 * The composer keeps a stack of the open collections (bounded by
 * max_depth) and, for mappings, the key waiting for its value. Nodes go
 * into a yaml_document_t with libyaml's own add/append functions, so the
 * result has the layout of a loaded document; only the marks are set by
 * hand (the add functions leave them zero).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostmap.h"
#include "yamldoc.h"

struct yamldoc {
	const char *name;               /* not owned */
	yaml_document_t doc;
	size_t visits, max_visits;
	unsigned max_alias_nodes;       /* for the message */
	bool stopped;                   /* the node budget ran out */
};

/* Anchors of the document being composed: name -> index + 1 in v. */
struct anchors {
	struct hostmap *map;
	struct anchor {
		char *name;
		int id;
		size_t line;
	} *v;
	size_t n, cap;
};

/* An open sequence or mapping. */
struct level {
	int id;
	int pending_key;                /* a mapping's key awaiting its value */
};

struct composer {
	struct yamldoc *doc;
	struct diag *d;
	bool *nomem;
	bool have_doc;
	struct anchors anchors;
	struct level *stack;            /* max_depth of them */
	size_t depth, max_depth;
};

static struct loc mark_loc(const struct yamldoc *doc, const yaml_mark_t *m)
{
	struct loc at = { doc->name, (unsigned)m->line + 1,
	                  (unsigned)m->column + 1 };

	return at;
}

/* Line and column of a byte offset (the reader reports only that). */
static struct loc offset_loc(const struct yamldoc *doc, const char *buf,
                             size_t len, size_t offset)
{
	struct loc at = { doc->name, 1, 1 };
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

static void parser_error(struct composer *cs, const yaml_parser_t *p,
                         const char *buf, size_t len)
{
	struct loc at;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		*cs->nomem = true;
		break;
	case YAML_READER_ERROR:
		at = offset_loc(cs->doc, buf, len, p->problem_offset);
		if (p->problem_value != -1)
			diag_error(cs->d, &at, "%s (byte 0x%02X)", p->problem,
			           (unsigned)p->problem_value & 0xffu);
		else
			diag_error(cs->d, &at, "%s", p->problem);
		break;
	default:
		at = mark_loc(cs->doc, &p->problem_mark);
		if (p->context)
			diag_error(cs->d, &at, "%s (%s at line %zu)",
			           p->problem ? p->problem : "syntax error",
			           p->context, p->context_mark.line + 1);
		else
			diag_error(cs->d, &at, "%s",
			           p->problem ? p->problem : "syntax error");
		break;
	}
}

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

/* Makes room for one more anchor. */
static bool anchors_grow(struct anchors *a)
{
	size_t new_cap;
	struct anchor *v;

	if (a->n < a->cap)
		return true;
	new_cap = a->cap ? a->cap * 2 : 8;
	if (new_cap > SIZE_MAX / sizeof(*v))
		return false;
	v = realloc(a->v, new_cap * sizeof(*v));
	if (v == NULL)
		return false;
	a->v = v;
	a->cap = new_cap;
	return true;
}

/* Takes ownership of *name. False after an error. */
static bool anchor_add(struct composer *cs, yaml_char_t **name, int id,
                       const yaml_mark_t *m)
{
	struct anchors *a = &cs->anchors;
	const struct anchor *prev;
	struct loc at;
	char *s = (char *)*name;

	*name = NULL;
	if (a->map == NULL && (a->map = hostmap_new(16)) == NULL) {
		free(s);
		*cs->nomem = true;
		return false;
	}
	prev = anchor_find(a, s);
	if (prev) {
		at = mark_loc(cs->doc, m);
		diag_error(cs->d, &at, "duplicate anchor \"&%.64s\" (first at "
		           "line %zu)", s, prev->line);
		free(s);
		return false;
	}
	if (!anchors_grow(a)) {
		free(s);
		*cs->nomem = true;
		return false;
	}
	a->v[a->n].name = s;
	a->v[a->n].id = id;
	a->v[a->n].line = m->line + 1;
	a->n++;
	if (hostmap_put(a->map, s, (void *)(uintptr_t)a->n) < 0) {
		*cs->nomem = true;
		return false;
	}
	return true;
}

/* Adds node `id` to the collection being built (or makes it the root). */
static bool attach(struct composer *cs, int id)
{
	yaml_document_t *doc = &cs->doc->doc;
	struct level *top;
	int ok;

	if (cs->depth == 0)
		return true;    /* the root: node 1, the first one added */
	top = &cs->stack[cs->depth - 1];
	if (yaml_document_get_node(doc, top->id)->type == YAML_SEQUENCE_NODE) {
		ok = yaml_document_append_sequence_item(doc, top->id, id);
	} else if (top->pending_key == 0) {
		top->pending_key = id;
		ok = 1;
	} else {
		ok = yaml_document_append_mapping_pair(doc, top->id,
		                                       top->pending_key, id);
		top->pending_key = 0;
	}
	if (!ok)
		*cs->nomem = true;
	return ok;
}

/* A new node for a scalar or collection event: its id, 0 when out of
 * memory. *anchor is then the event's anchor (or NULL). */
static int add_node(struct composer *cs, yaml_event_t *ev,
                    yaml_char_t ***anchor)
{
	yaml_document_t *doc = &cs->doc->doc;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		*anchor = &ev->data.scalar.anchor;
		return yaml_document_add_scalar(doc, ev->data.scalar.tag,
		                                ev->data.scalar.value,
		                                (int)ev->data.scalar.length,
		                                ev->data.scalar.style);
	case YAML_SEQUENCE_START_EVENT:
		*anchor = &ev->data.sequence_start.anchor;
		return yaml_document_add_sequence(doc,
		        ev->data.sequence_start.tag,
		        ev->data.sequence_start.style);
	default:
		*anchor = &ev->data.mapping_start.anchor;
		return yaml_document_add_mapping(doc,
		        ev->data.mapping_start.tag,
		        ev->data.mapping_start.style);
	}
}

/* One event into the document. False to stop (after an error). */
static bool compose_event(struct composer *cs, yaml_event_t *ev)
{
	yaml_char_t **anchor = NULL;
	const struct anchor *target;
	struct loc at = mark_loc(cs->doc, &ev->start_mark);
	yaml_node_t *n;
	int id;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (cs->have_doc) {
			diag_error(cs->d, &at, "only one YAML document per "
			           "file is allowed");
			return false;
		}
		cs->have_doc = true;
		return true;
	case YAML_SCALAR_EVENT:
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (cs->depth == cs->max_depth) {
			diag_error(cs->d, &at, "nesting is deeper than %d "
			           "levels", (int)cs->max_depth);
			return false;
		}
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		cs->depth--;
		return true;
	case YAML_ALIAS_EVENT:
		target = anchor_find(&cs->anchors,
		                     (const char *)ev->data.alias.anchor);
		if (target == NULL) {
			diag_error(cs->d, &at, "unknown alias \"*%.64s\"",
			           (char *)ev->data.alias.anchor);
			return false;
		}
		return attach(cs, target->id);
	default:
		return true;
	}
	id = add_node(cs, ev, &anchor);
	if (id == 0) {
		*cs->nomem = true;
		return false;
	}
	n = yaml_document_get_node(&cs->doc->doc, id);
	n->start_mark = ev->start_mark;
	n->end_mark = ev->end_mark;
	if (*anchor && !anchor_add(cs, anchor, id, &ev->start_mark))
		return false;
	if (!attach(cs, id))
		return false;
	if (ev->type != YAML_SCALAR_EVENT) {        /* opens a collection */
		cs->stack[cs->depth].id = id;
		cs->stack[cs->depth].pending_key = 0;
		cs->depth++;
	}
	return true;
}

/* Parses buf into cs->doc->doc. False after an error (reported, or
 * *cs->nomem). */
static bool compose(struct composer *cs, const char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	bool ok = true, end = false;

	if (!yaml_parser_initialize(&p)) {
		*cs->nomem = true;
		return false;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (ok && !end) {
		if (!yaml_parser_parse(&p, &ev)) {
			parser_error(cs, &p, buf, len);
			ok = false;
			break;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		ok = compose_event(cs, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return ok;
}

struct yamldoc *yamldoc_parse(const char *name, const char *buf, size_t len,
                              struct diag *d,
                              const struct yamldoc_limits *limits,
                              bool *nomem)
{
	struct composer cs = { .d = d, .nomem = nomem };
	struct yamldoc *doc;
	bool ok;

	*nomem = false;
	doc = calloc(1, sizeof(*doc));
	if (doc == NULL) {
		*nomem = true;
		return NULL;
	}
	doc->name = name;
	doc->max_alias_nodes = limits->max_alias_nodes;
	if (!yaml_document_initialize(&doc->doc, NULL, NULL, NULL, 1, 1)) {
		free(doc);
		*nomem = true;
		return NULL;
	}
	cs.doc = doc;
	cs.max_depth = limits->max_depth;
	cs.stack = calloc(cs.max_depth ? cs.max_depth : 1, sizeof(*cs.stack));
	ok = cs.stack != NULL;
	if (!ok)
		*nomem = true;
	else
		ok = compose(&cs, buf, len);
	free(cs.stack);
	anchors_free(&cs.anchors);
	if (!ok) {
		yamldoc_free(doc);
		return NULL;
	}
	doc->max_visits = (size_t)(doc->doc.nodes.top - doc->doc.nodes.start) +
	                  limits->max_alias_nodes;
	return doc;
}

yaml_node_t *yamldoc_root(struct yamldoc *doc)
{
	return yaml_document_get_root_node(&doc->doc);
}

yaml_node_t *yamldoc_node(struct yamldoc *doc, int id)
{
	return yaml_document_get_node(&doc->doc, id);
}

struct loc yamldoc_loc(const struct yamldoc *doc, const yaml_node_t *n)
{
	return mark_loc(doc, &n->start_mark);
}

bool yamldoc_is_null(const yaml_node_t *n)
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

bool yamldoc_visit(struct yamldoc *doc, const yaml_node_t *n, struct diag *d)
{
	struct loc at;

	if (doc->stopped)
		return false;
	if (++doc->visits <= doc->max_visits)
		return true;
	at = yamldoc_loc(doc, n);
	diag_error(d, &at, "aliases expand to more than %u nodes; "
	           "the rest of this file is ignored", doc->max_alias_nodes);
	doc->stopped = true;
	return false;
}

void yamldoc_free(struct yamldoc *doc)
{
	if (doc == NULL)
		return;
	yaml_document_delete(&doc->doc);
	free(doc);
}
