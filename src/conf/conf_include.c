/*
 * conf_include: the configuration's files, and the include stack the loader
 * works through.
 *
 * Files come from a conf_source (the file system for conf_load: regular
 * files only, up to CONF_MAX_FILE_BYTES, through fileio). Each is known by
 * its device and inode, so include loops and files read twice are refused,
 * and is composed with yamldoc into a document for conf.c to walk. An
 * include item does not read anything itself: it expands its pattern
 * (relative to the directory of the file that names it; a pattern with glob
 * characters may match nothing, a warning; a plain file name must exist)
 * and records each file as a child of the file being walked. Once that file
 * is walked its children are read, in order, each with all of its own
 * includes before the next: depth first, without recursion. Includes nest
 * at most CONF_MAX_INCLUDE_DEPTH deep.
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"
#include "fileio.h"
#include "hostmap.h"

#define CONF_MAX_YAML_DEPTH 64          /* the schema needs 5 */
#define CONF_MAX_FILE_BYTES (256u << 20)
#define NO_PARENT SIZE_MAX

/* One file to read: the main file, or one that an include item named. */
struct include {
	char *path;
	struct loc from;                /* the include item; file NULL for main */
	size_t parent;                  /* index in L->incs, or NO_PARENT */
	unsigned level;                 /* 0 for the main file */
	const char *id;                 /* "dev:inode" once read (L->reals) */
};

/* ---- the file system as a source ------------------------------------- */

static int fs_read(void *ctx, const char *path, size_t max,
                   struct fileio_data *out)
{
	return fileio_read(path, max, out);
}

static int fs_expand(void *ctx, const char *pattern, char ***paths, size_t *n)
{
	glob_t g;
	size_t i;
	int rc;

	/* Without GLOB_ERR: a directory that is missing or unreadable
	 * matches nothing, which is a warning. */
	rc = glob(pattern, 0, NULL, &g);
	if (rc == GLOB_NOMATCH)
		return CONF_SOURCE_NOMATCH;
	if (rc == GLOB_NOSPACE)
		return ENOMEM;
	if (rc != 0) {
		int err = errno ? errno : EIO;

		globfree(&g);
		return err;
	}
	*paths = calloc(g.gl_pathc, sizeof(**paths));
	for (i = 0; *paths && i < g.gl_pathc; i++) {
		(*paths)[i] = strdup(g.gl_pathv[i]);
		if ((*paths)[i] == NULL) {
			while (i > 0)
				free((*paths)[--i]);
			free(*paths);
			*paths = NULL;
		}
	}
	*n = g.gl_pathc;
	globfree(&g);
	return *paths ? 0 : ENOMEM;
}

const struct conf_source conf_fs_source = { fs_read, fs_expand, NULL };

/* ---- the include stack ------------------------------------------------ */

/* After a file is walked: its children go on the stack in reverse, so
 * that they are read in the order they were named. */
static void push_children(struct loader *L, size_t first)
{
	size_t i;

	for (i = L->n_incs; i > first; i--) {
		if (!conf_grow(L, &L->todo, L->n_todo, &L->todo_cap,
		               sizeof(*L->todo)))
			return;
		L->todo[L->n_todo++] = i - 1;
	}
}

/* Records `path` as a file to read, named at `from` (NULL for the main
 * file) by the file being walked. */
void conf_include_push(struct loader *L, const char *path,
                       const struct loc *from)
{
	struct include inc = { 0 };

	inc.parent = from ? L->current : NO_PARENT;
	inc.level = from ? L->incs[L->current].level + 1 : 0;
	if (from)
		inc.from = *from;
	if (inc.level > CONF_MAX_INCLUDE_DEPTH) {
		diag_error(L->d, &inc.from, "includes are nested more than %d "
		           "deep", CONF_MAX_INCLUDE_DEPTH);
		return;
	}
	inc.path = conf_strdup(L, path);
	if (inc.path == NULL)
		return;
	if (!conf_grow(L, &L->incs, L->n_incs, &L->incs_cap,
	               sizeof(*L->incs))) {
		free(inc.path);
		return;
	}
	L->incs[L->n_incs++] = inc;
	if (from == NULL)               /* the main file: read it first */
		push_children(L, L->n_incs - 1);
}

void conf_includes_free(struct loader *L)
{
	size_t i;

	for (i = 0; i < L->n_incs; i++)
		free(L->incs[i].path);
	free(L->incs);
	free(L->todo);
	for (i = 0; i < L->n_reals; i++)
		free(L->reals[i]);
	free(L->reals);
}

/* ---- include patterns ------------------------------------------------- */

static bool has_glob_chars(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The pattern `pattern` of file F as a path for glob(): relative to the
 * directory of F, whose name is literal text (what glob() would read as a
 * pattern is escaped). NULL after conf_oom(). */
static char *full_pattern(struct loader *L, const struct file *F,
                          const char *pattern)
{
	size_t n = 0, j;
	char *full;

	if (pattern[0] == '/' || F->dir_len == 0)
		return conf_strdup(L, pattern);
	full = malloc(2 * F->dir_len + strlen(pattern) + 1);
	if (full == NULL) {
		conf_oom(L);
		return NULL;
	}
	for (j = 0; j < F->dir_len; j++) {
		if (strchr("*?[\\", F->name[j]))
			full[n++] = '\\';
		full[n++] = F->name[j];
	}
	strcpy(full + n, pattern);
	return full;
}

/* A pattern without glob characters, back to the file name (in place). */
static void unescape(char *s)
{
	size_t i, o = 0;

	for (i = 0; s[i]; i++) {
		if (s[i] == '\\' && s[i + 1])
			i++;
		s[o++] = s[i];
	}
	s[o] = '\0';
}

void conf_include_item(struct loader *L, struct file *F, yaml_node_t *item,
                       void *ctx)
{
	const char *pattern = conf_str(L, F, item);
	char *full, **paths = NULL;
	size_t i, n = 0;
	struct loc at;
	int rc;

	if (pattern == NULL)
		return;
	at = conf_loc(F, item);
	if (!*pattern) {
		diag_error(L->d, &at, "include pattern is empty");
		return;
	}
	full = full_pattern(L, F, pattern);
	if (full == NULL)
		return;
	if (!has_glob_chars(pattern)) {
		/* A plain file name must exist: read it, errors and all. */
		unescape(full);
		conf_include_push(L, full, &at);
		free(full);
		return;
	}
	rc = L->src->expand(L->src->ctx, full, &paths, &n);
	free(full);
	if (rc == CONF_SOURCE_NOMATCH) {
		diag_warning(L->d, &at, "include pattern \"%.256s\" matches no "
		             "files", pattern);
		return;
	}
	if (rc == ENOMEM) {
		conf_oom(L);
		return;
	}
	if (rc != 0) {
		diag_error(L->d, &at, "cannot read include pattern \"%.256s\": %s",
		           pattern, strerror(rc));
		return;
	}
	for (i = 0; i < n; i++) {
		if (!L->oom)
			conf_include_push(L, paths[i], &at);
		free(paths[i]);
	}
	free(paths);
}

/* ---- reading a file -------------------------------------------------- */

/* Records the open file (stat st) as being read, by its device and inode:
 * cheaper than realpath() (a readlink per path component), and immune to
 * links. Returns that identity, "dev:inode" (owned by L->reals), or NULL
 * after an error (a loop, a file read before, out of memory). */
static const char *claim_file(struct loader *L, const char *path,
                              const struct loc *at, const struct stat *st)
{
	char *id;
	size_t i;

	if (asprintf(&id, "%jx:%jx", (uintmax_t)st->st_dev,
	             (uintmax_t)st->st_ino) < 0) {
		conf_oom(L);
		return NULL;
	}
	for (i = L->incs[L->current].parent; i != NO_PARENT;
	     i = L->incs[i].parent)
		if (!strcmp(L->incs[i].id, id)) {
			diag_error(L->d, at, "include loop: \"%s\" is already "
			           "being read", path);
			goto refused;
		}
	/* Reading a file twice would only define its domains twice, and
	 * would let a few small files include each other exponentially. */
	if (hostmap_get(L->read, id, strlen(id))) {
		diag_error(L->d, at, "\"%s\" is already included; a file can "
		           "be read only once", path);
		goto refused;
	}
	if (!conf_grow(L, &L->reals, L->n_reals, &L->reals_cap,
	               sizeof(*L->reals)) ||
	    hostmap_put(L->read, id, id) < 0) {
		conf_oom(L);
		goto refused;
	}
	L->reals[L->n_reals++] = id;
	return id;
refused:
	free(id);
	return NULL;
}

/* Composes buf (freed here) as the document of F. False after an error. */
static bool compose(struct loader *L, struct file *F, char *buf, size_t len)
{
	static const struct yamldoc_limits limits = {
		CONF_MAX_YAML_DEPTH, CONF_MAX_YAML_NODES,
	};
	bool nomem;

	F->doc = yamldoc_parse(F->name, buf, len, L->d, &limits, &nomem);
	/* The document holds copies of the text: buf can go before the walk. */
	free(buf);
	if (F->doc == NULL) {
		if (nomem)
			conf_oom(L);
		L->read_failed = true;
		return false;
	}
	return true;
}

/* Reads and composes the include at index L->current into F. False after
 * an error (reported). */
static bool read_include(struct loader *L, struct file *F)
{
	struct include *inc = &L->incs[L->current];
	struct conf *c = L->c;
	struct loc at = { inc->path, 0, 0 };
	struct fileio_data text;
	const char *slash;
	char *name;
	int err;

	if (inc->parent != NO_PARENT)
		at = inc->from;
	err = L->src->read(L->src->ctx, inc->path, CONF_MAX_FILE_BYTES, &text);
	if (err) {
		L->read_failed = true;
		diag_error(L->d, &at, "cannot read \"%s\": %s", inc->path,
		           fileio_strerror(err));
		return false;
	}
	inc->id = claim_file(L, inc->path, &at, &text.st);
	if (inc->id == NULL) {
		fileio_free(&text);
		return false;
	}
	name = conf_strdup(L, inc->path);
	if (name == NULL || !conf_grow(L, &c->files, c->n_files, &L->files_cap,
	                               sizeof(*c->files))) {
		free(name);
		fileio_free(&text);
		return false;
	}
	c->files[c->n_files++] = name;
	memset(F, 0, sizeof(*F));
	F->name = name;
	slash = strrchr(name, '/');
	F->dir_len = slash ? (size_t)(slash - name) + 1 : 0;
	F->included = inc->parent != NO_PARENT;
	return compose(L, F, text.data, text.len);
}

bool conf_next_file(struct loader *L, struct file *F)
{
	while (L->n_todo > 0 && !L->oom) {
		L->current = L->todo[--L->n_todo];
		L->first_child = L->n_incs;
		if (read_include(L, F))
			return true;
	}
	return false;
}

void conf_file_done(struct loader *L, struct file *F)
{
	yamldoc_free(F->doc);
	F->doc = NULL;
	push_children(L, L->first_child);
}
