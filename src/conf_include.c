/*
 * conf_include: the configuration's files. The only part of the loader
 * that touches the file system.
 *
 * A file is opened (regular files only, up to CONF_MAX_FILE_BYTES), known
 * by its device and inode (include loops, and files read twice, are
 * refused), read whole, composed with yamldoc and handed to
 * conf_walk_file(). Include patterns are relative to the directory of the
 * file that names them; a pattern with glob characters may match nothing
 * (a warning), a plain file name must exist. Includes nest at most
 * CONF_MAX_INCLUDE_DEPTH deep.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_internal.h"
#include "hostmap.h"

#define CONF_MAX_YAML_DEPTH 64          /* the schema needs 5 */
#define CONF_MAX_FILE_BYTES (256u << 20)

/* ---- include patterns ------------------------------------------------- */

static bool has_glob_chars(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

void conf_include_item(struct loader *L, struct file *F, yaml_node_t *item,
                       void *ctx)
{
	const char *pattern = conf_str(L, F, item);
	struct loc at;
	char *full = NULL;
	glob_t g;
	size_t i;
	int rc;

	(void)ctx;
	if (pattern == NULL)
		return;
	at = conf_loc(F, item);
	if (!*pattern) {
		diag_error(L->d, &at, "include pattern is empty");
		return;
	}
	if (pattern[0] == '/' || F->dir_len == 0) {
		full = conf_strdup(L, pattern);
	} else {
		/* The directory is literal text: escape what glob() would
		 * read as a pattern. */
		size_t n = 0, j;

		full = malloc(2 * F->dir_len + strlen(pattern) + 1);
		if (full == NULL) {
			conf_oom(L);
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
			conf_oom(L);
			return;
		}
		for (i = 0, rc = 0; full[i]; i++) {
			if (full[i] == '\\' && full[i + 1])
				i++;
			unescaped[rc++] = full[i];
		}
		unescaped[rc] = '\0';
		free(full);
		conf_load_file(L, unescaped, &at);
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
		conf_oom(L);
		return;
	}
	if (rc != 0) {
		diag_error(L->d, &at, "cannot read include pattern \"%.256s\": %s",
		           pattern, strerror(errno));
		globfree(&g);
		return;
	}
	for (i = 0; i < g.gl_pathc && !L->oom; i++)
		conf_load_file(L, g.gl_pathv[i], &at);
	globfree(&g);
}

/* ---- reading a file -------------------------------------------------- */

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
	for (i = 0; i < L->depth; i++)
		if (!strcmp(L->stack[i], id)) {
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

/* Composes buf (freed here) and walks the document as file F. */
static void parse_and_walk(struct loader *L, struct file *F, char *buf,
                           size_t len)
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
		return;
	}
	conf_walk_file(L, F);
	yamldoc_free(F->doc);
	F->doc = NULL;
}

/* Reads and walks one file. `from` is the include that names it, or NULL
 * for the main file. */
void conf_load_file(struct loader *L, const char *path,
                    const struct loc *from)
{
	struct conf *c = L->c;
	struct file F = { 0 };
	struct loc at = { path, 0, 0 };
	const char *slash, *why, *id;
	char *buf, *name;
	struct stat st;
	size_t len;
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
	id = claim_file(L, path, &at, &st);
	if (id == NULL) {
		close(fd);
		return;
	}
	buf = slurp(fd, &st, &len);
	close(fd);
	if (buf == NULL) {
		L->read_failed = true;
		diag_error(L->d, &at, "cannot read \"%s\": %s", path,
		           strerror(errno));
		return;
	}
	name = conf_strdup(L, path);
	if (name == NULL || !conf_grow(L, &c->files, c->n_files, &L->files_cap,
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
	parse_and_walk(L, &F, buf, len);
	L->depth--;
}
