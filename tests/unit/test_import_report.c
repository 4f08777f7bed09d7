/*
 * test_import_report: stsd --import-report's parsing side and exit statuses
 * with a fake store: whole messages, bare .json and .json.gz files, stdin,
 * a Maildir, what is not a report (65), an unreadable file (66), a busy
 * store or none (75), duplicates and foreign domains (0), and the worst
 * status winning over several inputs.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import_report.h"
#include "tap.h"
#include "tlsrpt_fixture.h"

/* ---- a fake store ------------------------------------------------------- */

struct fake {
	char ids[64][128];
	size_t n;
	size_t calls;
	enum import_store_status force;     /* STORED: behave normally */
};

static enum import_store_status fake_store(void *ctx,
					   const struct tlsrpt_report *r,
					   const char *json, size_t json_len,
					   const char *source)
{
	struct fake *f = ctx;
	struct tlsrpt_report again;
	char err[TLSRPT_ERR_MAX];
	size_t i;

	f->calls++;
	/* The JSON handed over is the report's own: it parses to the same. */
	if (tlsrpt_parse(json, json_len, &again, err) != TLSRPT_OK)
		return IMPORT_STORE_TEMPFAIL;
	i = tlsrpt_same_report(r, &again);
	tlsrpt_report_free(&again);
	if (!i)
		return IMPORT_STORE_TEMPFAIL;
	if (f->force != IMPORT_STORE_STORED)
		return f->force;
	if (strncmp(source, "mail:", 5) != 0)
		return IMPORT_STORE_TEMPFAIL;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->ids[i], r->report_id) == 0)
			return IMPORT_STORE_DUPLICATE;
	snprintf(f->ids[f->n++], sizeof(f->ids[0]), "%s", r->report_id);
	return IMPORT_STORE_STORED;
}

/* ---- files --------------------------------------------------------------- */

static char dir[256];

static char *put(const char *name, const void *data, size_t len)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
	return path;
}

static char *put_fixture(const char *name, const char *fixture, bool gz)
{
	size_t len, zl;
	char *j = fx_read(fixture, &len), *p;

	if (gz) {
		unsigned char *z = fx_gzip(j, len, &zl);

		p = put(name, z, zl);
		free(z);
	} else {
		p = put(name, j, len);
	}
	free(j);
	return p;
}

static char *put_message(const char *name, const char *tmpl, const char *json)
{
	size_t len;
	char *m = fx_message(tmpl, json, &len), *p = put(name, m, len);

	free(m);
	return p;
}

static int run1(struct fake *f, const char *path)
{
	struct import_report_opts o = { fake_store, f };
	char *files[1];

	files[0] = strdup(path);
	{
		int rc = import_report_main(files, 1, &o);

		free(files[0]);
		return rc;
	}
}

static void test_inputs(void)
{
	struct fake f = { .n = 0 };
	char a[512], b[512];

	is_int(run1(&f, put_message("m1.eml", "msg-multipart-gzip.eml.in",
				    "google.json")), 0, "message: stored");
	is_str(f.ids[0], "2026-11-30T00:00:00Z_example.com", "the report of the message");
	is_int(run1(&f, put_message("m1.eml", "msg-multipart-gzip.eml.in",
				    "google.json")), 0, "same message again: 0");
	is_int(f.calls, 2, "the store saw it twice");
	is_int(f.n, 1, "and kept it once");

	is_int(run1(&f, put_fixture("r.json", "microsoft-nozone.json", false)), 0,
	       "bare .json: stored");
	is_int(run1(&f, put_fixture("r.json.gz", "mailru-freetext.json", true)), 0,
	       "bare .json.gz: stored");
	is_int(run1(&f, put_message("m2.eml", "msg-nested.eml.in", "empty-ip.json")),
	       0, "forwarded message: stored");
	is_str(f.ids[3], "20261128.noip+", "its report");

	is_int(run1(&f, put_fixture("no.eml", "msg-no-report.eml", false)), 65,
	       "a message without a report: 65");
	is_int(run1(&f, put_fixture("bad.json", "bad-negative-count.json", false)),
	       65, "a report with a negative count: 65");
	is_int(run1(&f, put("junk.json", "{not json", 9)), 65, "invalid JSON: 65");
	{
		size_t len, zl;
		char *j = fx_read("google.json", &len);
		unsigned char *z = fx_gzip(j, len, &zl);

		is_int(run1(&f, put("cut.json.gz", z, zl - 10)), 65,
		       "truncated gzip: 65");
		free(z);
		free(j);
	}
	{
		size_t n = 64u << 20;
		char *zeros = calloc(1, n);
		size_t zl;
		unsigned char *z = fx_gzip(zeros, n, &zl);

		is_int(run1(&f, put("bomb.json.gz", z, zl)), 65, "gzip bomb: 65");
		free(z);
		free(zeros);
	}
	is_int(run1(&f, "/nonexistent/stsd-test.json"), 66, "unreadable file: 66");
	is_int(f.n, 4, "nothing else stored");

	f.force = IMPORT_STORE_TEMPFAIL;
	is_int(run1(&f, put_fixture("r2.json", "totals-disagree.json", false)), 75,
	       "store busy: 75");
	f.force = IMPORT_STORE_NOT_OURS;
	is_int(run1(&f, put_fixture("r2.json", "totals-disagree.json", false)), 0,
	       "a domain not served: 0 (dropped)");
	f.force = IMPORT_STORE_STORED;
	{
		struct import_report_opts none = { NULL, NULL };
		char *files[] = { put_fixture("r3.json", "google.json", false) };

		is_int(import_report_main(files, 1, &none), 75, "no store: 75");
	}

	/* Several inputs: the worst decides. */
	snprintf(a, sizeof(a), "%s", put_fixture("g.json", "google.json", false));
	snprintf(b, sizeof(b), "%s", put_fixture("bad2.json", "bad-no-summary.json", false));
	{
		struct import_report_opts o = { fake_store, &f };
		char *files[] = { a, b };

		is_int(import_report_main(files, 2, &o), 65, "good and bad: 65");
		f.force = IMPORT_STORE_TEMPFAIL;
		is_int(import_report_main(files, 2, &o), 75, "busy and bad: 75");
		f.force = IMPORT_STORE_STORED;
	}

	/* stdin. */
	{
		struct fake g = { .n = 0 };
		struct import_report_opts o = { fake_store, &g };
		int saved = dup(0), fd = open(put_message("s.eml", "msg-body-gzip.eml.in",
							   "missing-details.json"),
					      O_RDONLY);

		dup2(fd, 0);
		close(fd);
		is_int(import_report_main(NULL, 0, &o), 0, "stdin: stored");
		dup2(saved, 0);
		close(saved);
		is_str(g.ids[0], "small-1", "stdin: its report");
	}
}

static void test_maildir(void)
{
	struct fake f = { .n = 0 };
	char md[300], path[400];
	size_t len;
	char *m;

	snprintf(md, sizeof(md), "%s/Maildir", dir);
	mkdir(md, 0700);
	snprintf(path, sizeof(path), "%s/new", md);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/cur", md);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/tmp", md);
	mkdir(path, 0700);
	put_message("Maildir/new/1.host", "msg-multipart-gzip.eml.in", "google.json");
	put_message("Maildir/cur/2.host:2,S", "msg-plain-in-gzip.eml.in",
		    "totals-disagree.json");
	m = fx_message("msg-multipart-gzip.eml.in", "several-domains.json", &len);
	put("Maildir/tmp/3.host", m, len);      /* still being delivered */
	free(m);
	is_int(run1(&f, md), 0, "Maildir: 0");
	is_int(f.n, 2, "new/ and cur/ imported, tmp/ left alone");
	is_str(f.ids[0], "2026-11-30T00:00:00Z_example.com", "new/ first");
	is_str(f.ids[1], "sample-29", "then cur/");
	put_fixture("Maildir/new/4.host", "msg-no-report.eml", false);
	is_int(run1(&f, md), 65, "Maildir with a non-report: 65");
	is_int(f.n, 2, "the others were duplicates");
}

static void cleanup(const char *d)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", d);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/stsd-import-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	test_inputs();
	test_maildir();
	cleanup(dir);
	return tap_done();
}
