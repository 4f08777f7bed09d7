/*
 * yamldoc: one YAML document composed from libyaml's parser events into a
 * tree of yaml_node_t, with the locations and limits a configuration loader
 * needs.
 *
 * What it owns: the composing (scalars, sequences, mappings, anchors and
 * aliases, which become shared nodes), the nesting limit, the parser's
 * errors as FILE:LINE:COL diagnostics, and the node budget that bounds how
 * much walking aliases can cause. It does no I/O: the caller reads the file.
 *
 * Why not yaml_parser_load(): libyaml 0.2.5 composes in time quadratic in
 * the nesting depth (100 000 '[' took 23 s), and cannot stop at a depth
 * limit. Composing here from events is linear and stops at max_depth. The
 * nodes are still libyaml's yaml_node_t (in a yaml_document_t), with their
 * start marks set, so readers use libyaml's documented node layout.
 *
 * The node budget: an alias is a shared node, so a small file ("alias
 * bomb") can make a walk visit exponentially many nodes. A walker calls
 * yamldoc_visit() once per node it visits; past the nodes the document
 * really holds plus max_alias_nodes, it reports an error once and returns
 * false from then on.
 */
#ifndef STSD_YAMLDOC_H
#define STSD_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "diag.h"

struct yamldoc;

struct yamldoc_limits {
	unsigned max_depth;         /* nesting of sequences and mappings */
	unsigned max_alias_nodes;   /* visits allowed beyond the nodes in it */
};

/* Composes the single document in buf[0..len). `name` is the file name for
 * locations; it is not copied and must outlive the document (and every
 * struct loc made from it). Returns the document, or NULL when buf is not
 * one valid document within the limits: the problem has then been reported
 * through d, except when *nomem is set (out of memory, reported by no one:
 * the caller says it, once). Caller frees with yamldoc_free(). */
struct yamldoc *yamldoc_parse(const char *name, const char *buf, size_t len,
                              struct diag *d,
                              const struct yamldoc_limits *limits,
                              bool *nomem);

/* The root node, or NULL for an empty stream. */
yaml_node_t *yamldoc_root(struct yamldoc *doc);

/* Node `id` (as found in sequence items and mapping pairs). */
yaml_node_t *yamldoc_node(struct yamldoc *doc, int id);

/* Where node n starts: the document's file name, line and column (from 1). */
struct loc yamldoc_loc(const struct yamldoc *doc, const yaml_node_t *n);

/* True for a null scalar: tagged !!null, or plain "", "~", "null", "Null"
 * or "NULL" (the YAML 1.2 core schema). */
bool yamldoc_is_null(const yaml_node_t *n);

/* Counts one visit of node n. False once the budget is spent: the first
 * time, an error is reported at n ("the rest of this file is ignored"). */
bool yamldoc_visit(struct yamldoc *doc, const yaml_node_t *n, struct diag *d);

void yamldoc_free(struct yamldoc *doc);

#endif
