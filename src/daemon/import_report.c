/*
 * import_report: reading inputs (bounded), sniffing their kind, and turning
 * each into a parsed report for the store. See import_report.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gunzip.h"
#include "import_report.h"
#include "log.h"
#include "mime.h"
#include "tlsrpt.h"

#define MAILDIR_MAX_FILES 100000

/* The outcome of one input, in increasing order of severity for the exit
 * status (see worst()). */
enum outcome {
	OUT_OK,
	OUT_DATAERR,
	OUT_NOINPUT,
	OUT_TEMPFAIL,
};

static int exit_status(enum outcome o)
{
	switch (o) {
	case OUT_OK: return IMPORT_EX_OK;
	case OUT_DATAERR: return IMPORT_EX_DATAERR;
	case OUT_NOINPUT: return IMPORT_EX_NOINPUT;
	case OUT_TEMPFAIL: break;
	}
	return IMPORT_EX_TEMPFAIL;
}

static enum outcome worst(enum outcome a, enum outcome b)
{
	return a > b ? a : b;
}

/*
 * Reads all of fd, at most `max` bytes; *too_large when there was more.
 * Returns NULL with errno set on a read error or ENOMEM.
 */
static unsigned char *read_all(int fd, size_t max, size_t *len, bool *too_large)
{
	size_t cap = 65536, n = 0;
	unsigned char *buf = malloc(cap + 1), *b;

	*too_large = false;
	if (!buf)
		return NULL;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap > max) {
				*too_large = true;
				break;
			}
			cap *= 2;
			if (cap > max + 1)
				cap = max + 1;
			b = realloc(buf, cap + 1);
			if (!b) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = b;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			*too_large = true;
			break;
		}
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Is this a bare JSON report (first non-blank byte '{')? */
static bool looks_like_json(const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;                  /* a UTF-8 byte order mark */
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
			 p[i] == '\n'))
		i++;
	return i < n && p[i] == '{';
}

/* Inflates (when gzip) and parses; logs why when it cannot. On OK, *out
 * is the JSON the report was parsed from (caller frees), *out_len its
 * length. */
static enum outcome parse_report(const char *name, const unsigned char *p,
                                 size_t n, struct tlsrpt_report *r,
                                 unsigned char **out, size_t *out_len)
{
	unsigned char *json = NULL;
	size_t json_len = 0, skip;
	struct gunzip_limits lim;
	enum gunzip_status gs;
	enum tlsrpt_status ts;
	char err[TLSRPT_ERR_MAX];

	gunzip_limits_default(&lim);
	lim.max_out = TLSRPT_JSON_MAX;
	gs = gunzip_bounded(p, n, &lim, &json, &json_len, NULL);
	if (gs == GUNZIP_ENOMEM) {
		log_warnx("%s: out of memory", name);
		return OUT_TEMPFAIL;
	}
	if (gs != GUNZIP_OK) {
		log_warnx("%s: not a TLS report: %s", name, gunzip_strerror(gs));
		return OUT_DATAERR;
	}
	/* A UTF-8 byte order mark is not JSON: skip it (and keep the JSON
	 * without it). */
	skip = json_len >= 3 && json[0] == 0xef && json[1] == 0xbb &&
	       json[2] == 0xbf ? 3 : 0;
	if (skip > 0) {
		memmove(json, json + skip, json_len - skip);
		json_len -= skip;
	}
	ts = tlsrpt_parse((const char *)json, json_len, r, err);
	if (ts != TLSRPT_OK)
		free(json);
	if (ts == TLSRPT_ENOMEM) {
		log_warnx("%s: out of memory", name);
		return OUT_TEMPFAIL;
	}
	if (ts != TLSRPT_OK) {
		log_warnx("%s: not a valid TLS report (%s): %s", name,
			  tlsrpt_status_name(ts), err);
		return OUT_DATAERR;
	}
	*out = json;
	*out_len = json_len;
	return OUT_OK;
}

/* Hands one parsed report to the store. */
static enum outcome store(const char *name, const struct tlsrpt_report *r,
                          const unsigned char *json, size_t json_len,
                          const struct import_report_opts *o)
{
	char source[512];

	snprintf(source, sizeof(source), "mail:%s", name);
	if (!o->store) {
		log_warnx("%s: report %s from %s parsed, but no state database "
			  "to store it in", name, r->report_id, r->organization);
		return OUT_TEMPFAIL;
	}
	switch (o->store(o->store_ctx, r, (const char *)json, json_len, source)) {
	case IMPORT_STORE_STORED:
		log_info("%s: stored report %s from %s", name, r->report_id,
			 r->organization);
		return OUT_OK;
	case IMPORT_STORE_DUPLICATE:
		log_info("%s: report %s from %s already stored", name,
			 r->report_id, r->organization);
		return OUT_OK;
	case IMPORT_STORE_NOT_OURS:
		log_info("%s: report %s from %s is about no domain served here; "
			 "dropped", name, r->report_id, r->organization);
		return OUT_OK;
	case IMPORT_STORE_TEMPFAIL:
		break;
	}
	log_warnx("%s: report %s from %s could not be stored now; try again "
		  "later", name, r->report_id, r->organization);
	return OUT_TEMPFAIL;
}

/* One input's bytes: sniff, extract, parse, store. */
static enum outcome import_bytes(const char *name, const unsigned char *p,
                                 size_t n, const struct import_report_opts *o)
{
	struct tlsrpt_report r;
	unsigned char *json = NULL;
	size_t json_len = 0;
	enum outcome out;

	if (gunzip_is_gzip(p, n) || looks_like_json(p, n)) {
		out = parse_report(name, p, n, &r, &json, &json_len);
	} else {
		struct mime_report m;
		enum mime_status ms = mime_find_report(p, n, &m);

		if (ms == MIME_ENOMEM) {
			log_warnx("%s: out of memory", name);
			return OUT_TEMPFAIL;
		}
		if (ms != MIME_OK) {
			log_warnx("%s: not a TLS report: %s", name, mime_strerror(ms));
			return OUT_DATAERR;
		}
		out = parse_report(name, m.data, m.len, &r, &json, &json_len);
		mime_report_free(&m);
	}
	if (out != OUT_OK)
		return out;
	out = store(name, &r, json, json_len, o);
	tlsrpt_report_free(&r);
	free(json);
	return out;
}

static enum outcome import_fd(const char *name, int fd,
                              const struct import_report_opts *o)
{
	size_t len;
	bool too_large;
	unsigned char *buf = read_all(fd, MIME_MAX_MESSAGE, &len, &too_large);
	enum outcome out;

	if (!buf) {
		log_warn("%s: read", name);
		return errno == ENOMEM ? OUT_TEMPFAIL : OUT_NOINPUT;
	}
	if (too_large) {
		log_warnx("%s: not a TLS report: larger than %u bytes", name,
			  MIME_MAX_MESSAGE);
		free(buf);
		return OUT_DATAERR;
	}
	out = import_bytes(name, buf, len, o);
	free(buf);
	return out;
}

static enum outcome import_path(const char *path,
                                const struct import_report_opts *o);

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir (not starting with '.'), in name order. */
static enum outcome import_dir_files(const char *dir,
                                     const struct import_report_opts *o)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	enum outcome out = OUT_OK;

	if (!d) {
		log_warn("%s", dir);
		return OUT_NOINPUT;
	}
	while ((e = readdir(d)) != NULL) {
		char *path;

		if (e->d_name[0] == '.')
			continue;
		if (n == MAILDIR_MAX_FILES) {
			log_warnx("%s: more than %d files; the rest are left for "
				  "another run", dir, MAILDIR_MAX_FILES);
			break;
		}
		if (n == cap) {
			char **nn = realloc(names, (cap ? cap * 2 : 64) * sizeof(*nn));

			if (!nn) {
				out = OUT_TEMPFAIL;
				break;
			}
			names = nn;
			cap = cap ? cap * 2 : 64;
		}
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
			out = OUT_TEMPFAIL;
			break;
		}
		names[n++] = path;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		struct stat st;

		if (out != OUT_TEMPFAIL && stat(names[i], &st) == 0 &&
		    S_ISREG(st.st_mode))
			out = worst(out, import_path(names[i], o));
		free(names[i]);
	}
	free(names);
	return out;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A Maildir (new/ and cur/) or a plain directory of report files. */
static enum outcome import_dir(const char *dir,
                               const struct import_report_opts *o)
{
	char sub[4096];
	enum outcome out = OUT_OK;
	bool maildir = false;
	static const char *const subs[] = { "new", "cur" };
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, subs[i]);
		if (is_dir(sub)) {
			maildir = true;
			out = worst(out, import_dir_files(sub, o));
		}
	}
	return maildir ? out : import_dir_files(dir, o);
}

static enum outcome import_path(const char *path,
                                const struct import_report_opts *o)
{
	int fd;
	enum outcome out;

	if (is_dir(path))
		return import_dir(path, o);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("%s", path);
		return OUT_NOINPUT;
	}
	out = import_fd(path, fd, o);
	close(fd);
	return out;
}

int import_report_main(char *const *files, size_t n_files,
                       const struct import_report_opts *opts)
{
	enum outcome out = OUT_OK;
	size_t i;

	if (n_files == 0)
		return exit_status(import_fd("stdin", STDIN_FILENO, opts));
	for (i = 0; i < n_files; i++)
		out = worst(out, import_path(files[i], opts));
	return exit_status(out);
}
