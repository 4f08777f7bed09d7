/*
 * acme_store: the ACME files in the state directory (see acme_store.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "acme_store.h"
#include "fileio.h"
#include "tls.h"

#define ACME_STORE_MAX_FILE (1024 * 1024)

static int mkdir_one(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

int acme_store_mkdirs(const char *state_dir)
{
	char *a = acme_store_path(state_dir, "acme");
	char *b = acme_store_path(state_dir, CONF_ACME_CERTS_DIR);
	int rc = -1;

	if (a && b && mkdir_one(state_dir) == 0 && mkdir_one(a) == 0 &&
	    mkdir_one(b) == 0)
		rc = 0;
	free(a);
	free(b);
	return rc;
}

char *acme_store_path(const char *state_dir, const char *rel)
{
	char *p;

	return asprintf(&p, "%s/%s", state_dir, rel) < 0 ? NULL : p;
}

char *acme_store_cert_path(const char *state_dir, const char *host,
                           const char *ext)
{
	char *p;

	return asprintf(&p, "%s/%s/%s.%s", state_dir, CONF_ACME_CERTS_DIR,
	                host, ext) < 0 ? NULL : p;
}

char *acme_store_read_max(const char *path, size_t max)
{
	struct fileio_data d;

	if (fileio_read(path, max, &d) != 0)
		return NULL;
	return d.data;          /* NUL-terminated, ours now */
}

char *acme_store_read(const char *path)
{
	return acme_store_read_max(path, ACME_STORE_MAX_FILE);
}

int acme_store_write(const char *path, const char *data)
{
	size_t len = strlen(data), done = 0;
	char *tmp;
	int fd, saved;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	          0600);
	if (fd < 0)
		goto fail;
	/* An older file made with another umask or by hand: 0600 anyway. */
	if (fchmod(fd, 0600) != 0)
		goto fail_fd;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail_fd;
		done += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail_fd;
	if (close(fd) != 0)
		goto fail;      /* closed all the same */
	if (rename(tmp, path) != 0)
		goto fail;
	free(tmp);
	return 0;
fail_fd:
	close(fd);
fail:
	saved = errno;
	unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

int acme_store_cert_info(const char *pem_path, struct acme_cert_info *out)
{
	char *pem = acme_store_read(pem_path);
	gnutls_datum_t d;
	gnutls_x509_crt_t crt;
	size_t len;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (pem == NULL)
		return -1;
	d.data = (unsigned char *)pem;
	d.size = (unsigned)strlen(pem);
	if (gnutls_x509_crt_init(&crt) < 0) {
		free(pem);
		return -1;
	}
	/* The first certificate of the file is the leaf. */
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) >= 0) {
		out->not_before = gnutls_x509_crt_get_activation_time(crt);
		out->not_after = gnutls_x509_crt_get_expiration_time(crt);
		len = sizeof(out->issuer);
		if (gnutls_x509_crt_get_issuer_dn_by_oid(crt,
		        GNUTLS_OID_X520_COMMON_NAME, 0, 0, out->issuer,
		        &len) < 0) {
			len = sizeof(out->issuer);
			if (gnutls_x509_crt_get_issuer_dn(crt, out->issuer,
			                                  &len) < 0)
				strcpy(out->issuer, "?");
		}
		rc = out->not_after > 0 ? 0 : -1;
	}
	gnutls_x509_crt_deinit(crt);
	free(pem);
	return rc;
}

/* Tabs and newlines would break the line format. */
int acme_bucket_read(const char *state_dir, uint64_t *level, int64_t *at)
{
	char *path = acme_store_path(state_dir, ACME_BUCKET_FILE);
	char *text = path ? acme_store_read(path) : NULL, *end;
	unsigned long long l;
	long long t;
	int rc = -1;

	if (text != NULL) {
		errno = 0;
		l = strtoull(text, &end, 10);
		if (end != text && *end == ' ' && errno == 0) {
			t = strtoll(end + 1, &end, 10);
			if (*end == '\n' && errno == 0 && t > 0) {
				*level = l;
				*at = t;
				rc = 0;
			}
		}
	}
	free(text);
	free(path);
	return rc;
}

int acme_bucket_write(const char *state_dir, uint64_t level, int64_t at)
{
	char *path = acme_store_path(state_dir, ACME_BUCKET_FILE), line[64];
	int rc;

	if (path == NULL)
		return -1;
	snprintf(line, sizeof(line), "%llu %lld\n", (unsigned long long)level,
	         (long long)at);
	rc = acme_store_write(path, line);
	free(path);
	return rc;
}

static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

int acme_status_write(const char *state_dir, const struct acme_status_row *rows,
                      size_t n)
{
	char *path = acme_store_path(state_dir, ACME_STATUS_FILE);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc = -1;

	if (path == NULL)
		return -1;
	f = open_memstream(&buf, &len);
	if (f != NULL) {
		fprintf(f, "# stsd ACME status: name, next attempt (epoch), "
		        "failures in a row, names ahead in the order queue "
		        "(-1: not queued), last error\n");
		for (size_t i = 0; i < n; i++) {
			char err[sizeof(rows[i].error)];

			memcpy(err, rows[i].error, sizeof(err));
			err[sizeof(err) - 1] = '\0';
			clean(err);
			fprintf(f, "%s\t%lld\t%u\t%ld\t%s\n", rows[i].name,
			        (long long)rows[i].next, rows[i].failures,
			        rows[i].queued, err);
		}
		if (fclose(f) == 0)
			rc = acme_store_write(path, buf);
	}
	free(buf);
	free(path);
	return rc;
}

/* The status file's line for `name`, parsed into *row; false when none. */
static bool status_find(const char *status, const char *name,
                        struct acme_status_row *row)
{
	size_t nl = strlen(name);

	for (const char *p = status; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		const char *q = p + nl + 1;
		char *end;

		if (strncmp(p, name, nl) != 0 || p[nl] != '\t')
			continue;
		/* NAME \t NEXT \t FAILURES \t QUEUED \t ERROR \n, fields by
		 * hand: scanf's "\t" would skip the newline of an empty
		 * error. */
		memset(row, 0, sizeof(*row));
		row->next = (time_t)strtoll(q, &end, 10);
		if (*end != '\t')
			return false;
		row->failures = (unsigned)strtoul(end + 1, &end, 10);
		if (*end != '\t')
			return false;
		row->queued = strtol(end + 1, &end, 10);
		if (*end != '\t')
			return false;
		snprintf(row->error, sizeof(row->error), "%.*s",
		         (int)strcspn(end + 1, "\n"), end + 1);
		return true;
	}
	return false;
}

void acme_store_format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "-");
}

/* The last column: the queue, the last error, both, or "-". */
static void print_state(FILE *out, const struct acme_status_row *row,
                        time_t now)
{
	if (row->queued >= 0)
		fprintf(out, "queued: %ld name%s ahead, next order in %lld s",
		        row->queued, row->queued == 1 ? "" : "s",
		        (long long)(row->next > now ? row->next - now : 0));
	if (row->queued >= 0 && row->error[0])
		fprintf(out, " (last error: %s)", row->error);
	else if (row->error[0])
		fputs(row->error, out);
	else if (row->queued < 0)
		fputs("-", out);
	fputc('\n', out);
}

int acme_status_print(FILE *out, const struct conf *c,
                      const struct tls_store *tls, time_t now)
{
	char *status_path, *status;
	char host[NAME_MAX_LEN + 1];

	if (!c->acme.enabled) {
		fprintf(stderr, "stsd: %s has no acme: section\n", c->path);
		return 1;
	}
	status_path = acme_store_path(c->state_dir, ACME_STATUS_FILE);
	/* A line per name: its name, a few numbers, its last error. */
	status = status_path ? acme_store_read_max(status_path,
		ACME_STORE_MAX_FILE + c->n_domains *
		(NAME_MAX_LEN + sizeof(((struct acme_status_row *)0)->error) +
		 64)) : NULL;
	fprintf(out, "%-32s %-32s %-20s %-20s %s\n", "NAME", "ISSUER",
	        "EXPIRES", "NEXT RENEWAL", "LAST ERROR");
	for (size_t i = 0; i < c->n_domains; i++) {
		const char *domain = c->domains[i].policy.domain;
		struct acme_cert_info info;
		struct acme_status_row row = { .next = 0, .queued = -1 };
		char expires[32], next[32], *pem;
		bool have;

		if (!conf_acme_wants(c, domain) ||
		    snprintf(host, sizeof(host), "mta-sts.%s", domain) >=
		    (int)sizeof(host))
			continue;
		if (tls_store_source(tls, host) == TLS_SOURCE_CONFIGURED) {
			fprintf(out, "%-32s %s\n", host, "(a configured "
			        "certificate covers it: not ordered)");
			continue;
		}
		pem = acme_store_cert_path(c->state_dir, host, "pem");
		have = pem && acme_store_cert_info(pem, &info) == 0;
		free(pem);
		if (!status || !status_find(status, host, &row)) {
			row.error[0] = '\0';
			row.queued = -1;
		}
		acme_store_format_time(have ? info.not_after : 0, expires, sizeof(expires));
		acme_store_format_time(row.next, next, sizeof(next));
		fprintf(out, "%-32s %-32.32s %-20s %-20s ", host,
		        have ? info.issuer : "(none yet)", expires, next);
		print_state(out, &row, now);
	}
	free(status);
	free(status_path);
	return 0;
}
