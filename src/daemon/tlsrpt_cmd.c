/*
 * tlsrpt_cmd: --import-report (the store callback of import_report.c on
 * the state database) and --report (the database through tlsrpt_summary's
 * renderers). See tlsrpt_cmd.h.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_names.h"
#include "import_report.h"
#include "log.h"
#include "name.h"
#include "store.h"
#include "store_tlsrpt.h"
#include "tlsrpt_cmd.h"
#include "tlsrpt_summary.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };
#define EX_USAGE 64

int tlsrpt_cmd_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--import-report") == 0 ||
		    strcmp(argv[i], "--report") == 0)
			return 1;
	return 0;
}

/* ---- --import-report ------------------------------------------------------ */

struct import_ctx {
	struct store *st;
	const struct conf *c;
	unsigned stored, duplicates, not_ours;
};

static enum import_store_status import_store(void *arg,
                                             const struct tlsrpt_report *r,
                                             const char *json, size_t len,
                                             const char *source)
{
	struct import_ctx *x = arg;
	const char **ours = calloc(r->n_policies + 1, sizeof(*ours));
	size_t n = 0;
	enum store_tlsrpt_result res;

	if (ours == NULL)
		return IMPORT_STORE_TEMPFAIL;
	/* Only the policy domains served here, each once. */
	for (size_t i = 0; i < r->n_policies; i++) {
		const char *d = r->policies[i].domain;
		bool seen = false;

		if (d == NULL || conf_find_domain(x->c, d) == NULL)
			continue;
		for (size_t j = 0; j < n && !seen; j++)
			seen = strcmp(ours[j], d) == 0;
		if (!seen)
			ours[n++] = d;
	}
	if (n == 0) {
		free(ours);
		x->not_ours++;
		return IMPORT_STORE_NOT_OURS;
	}
	res = store_tlsrpt_add(x->st, r, ours, n, json, len, source,
	                       (int64_t)time(NULL));
	free(ours);
	switch (res) {
	case STORE_TLSRPT_STORED:
		x->stored++;
		return IMPORT_STORE_STORED;
	case STORE_TLSRPT_DUPLICATE:
		x->duplicates++;
		return IMPORT_STORE_DUPLICATE;
	case STORE_TLSRPT_BUSY:
	case STORE_TLSRPT_ERROR:
		break;
	}
	log_warnx("%s", store_errmsg(x->st));
	return IMPORT_STORE_TEMPFAIL;
}

static int import_main(const struct conf *c, char **files, int n)
{
	struct import_ctx x = { .c = c };
	struct import_report_opts o = { import_store, &x };
	char err[STORE_ERR_LEN];
	int rc;

	x.st = store_open(c->state_dir, 0, NULL, err, sizeof(err));
	if (x.st == NULL) {
		/* Locked, full, unwritable: the MTA keeps the message. */
		log_warnx("%s; try again later", err);
		return IMPORT_EX_TEMPFAIL;
	}
	rc = import_report_main(files, (size_t)n, &o);
	/* Retention also when no daemon runs (a backend-only set-up). */
	if (x.stored > 0)
		store_tlsrpt_prune(x.st, c->tlsrpt_keep_days, (int64_t)time(NULL),
		                   NULL);
	log_info("%u report%s stored, %u already stored, %u about no domain "
	         "served here", x.stored, x.stored == 1 ? "" : "s",
	         x.duplicates, x.not_ours);
	store_close(x.st);
	return rc;
}

/* ---- --report ------------------------------------------------------------- */

struct reports {
	struct tlsrpt_report *r;
	size_t n, cap;
	size_t unreadable;
};

#define COLLECT_ENOMEM 1        /* stops the walk; not a store_rc */

static int collect(void *arg, const char *json, size_t len)
{
	struct reports *rs = arg;
	char err[TLSRPT_ERR_MAX];

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct tlsrpt_report *g = realloc(rs->r, cap * sizeof(*g));

		if (g == NULL)
			return COLLECT_ENOMEM;
		rs->r = g;
		rs->cap = cap;
	}
	/* Stored only after it parsed; a report this stsd can no longer
	 * read (a stricter parser, a hand-edited file) is counted, not
	 * fatal. */
	if (tlsrpt_parse(json, len, &rs->r[rs->n], err) == TLSRPT_OK)
		rs->n++;
	else
		rs->unreadable++;
	return 0;
}

/* The reports as the array of pointers tlsrpt_summarize() takes
 * (NULL-terminated, so never empty). NULL on ENOMEM. */
static const struct tlsrpt_report **report_ptrs(const struct reports *rs)
{
	const struct tlsrpt_report **ptrs = calloc(rs->n + 1, sizeof(*ptrs));

	for (size_t i = 0; ptrs != NULL && i < rs->n; i++)
		ptrs[i] = &rs->r[i];
	return ptrs;
}

static void reports_free(struct reports *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		tlsrpt_report_free(&rs->r[i]);
	free(rs->r);
}

static enum tlsrpt_mode mode_of(const struct conf *c, const char *domain)
{
	const struct conf_domain *cd = conf_find_domain(c, domain);

	if (cd == NULL)
		return TLSRPT_MODE_UNKNOWN;
	switch (cd->policy.mode) {
	case POLICY_MODE_ENFORCE: return TLSRPT_MODE_ENFORCE;
	case POLICY_MODE_TESTING: return TLSRPT_MODE_TESTING;
	case POLICY_MODE_NONE: return TLSRPT_MODE_NONE;
	}
	return TLSRPT_MODE_UNKNOWN;
}

static int req_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tlsrpt_domain_req *)a)->domain,
	              ((const struct tlsrpt_domain_req *)b)->domain);
}

/* Every served domain of the reports counting for since..until, sorted,
 * each once (the strings are the reports'). -1 on ENOMEM. */
static int served_domains(const struct conf *c, const struct reports *rs,
                          const struct tlsrpt_summary_params *p,
                          struct tlsrpt_domain_req **out, size_t *n_out)
{
	struct tlsrpt_domain_req *req = NULL;
	size_t n = 0, cap = 0, k = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const struct tlsrpt_report *r = &rs->r[i];

		if (r->day < p->since || r->day > p->until)
			continue;
		for (size_t j = 0; j < r->n_policies; j++) {
			const char *d = r->policies[j].domain;

			if (d == NULL || conf_find_domain(c, d) == NULL)
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct tlsrpt_domain_req *g = realloc(req, nc * sizeof(*g));

				if (g == NULL) {
					free(req);
					return -1;
				}
				req = g;
				cap = nc;
			}
			req[n++] = (struct tlsrpt_domain_req){ d, mode_of(c, d) };
		}
	}
	if (n > 1)
		qsort(req, n, sizeof(*req), req_cmp);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || strcmp(req[k - 1].domain, req[i].domain) != 0)
			req[k++] = req[i];
	*out = req;
	*n_out = k;
	return 0;
}

int tlsrpt_recent(struct store *s, const struct conf *c, int64_t now,
                  tlsrpt_recent_fn *fn, void *arg)
{
	struct tlsrpt_summary_params p;
	struct tlsrpt_summary sum = { 0 };
	struct reports rs = { 0 };
	struct tlsrpt_domain_req *req = NULL;
	const struct tlsrpt_report **ptrs = NULL;
	size_t n_req = 0;
	int rc = -1;

	if (tlsrpt_summary_params_init(&p, now, NULL, c->tlsrpt_ready_days,
	                               c->tlsrpt_ready_orgs) != 0)
		return -1;
	if (store_tlsrpt_reports(s, NULL, 0, p.today - (int64_t)p.window_days <
	                         p.since ? p.today - (int64_t)p.window_days
	                                 : p.since, collect, &rs) != STORE_OK)
		goto out;
	if (served_domains(c, &rs, &p, &req, &n_req) != 0 ||
	    (ptrs = report_ptrs(&rs)) == NULL)
		goto out;
	if (n_req > 0 && tlsrpt_summarize(ptrs, rs.n, req, n_req, &p, &sum) != 0)
		goto out;
	for (size_t i = 0; i < sum.n_domains; i++)
		fn(arg, &sum.domains[i]);
	rc = 0;
out:
	tlsrpt_summary_free(&sum);
	reports_free(&rs);
	free(ptrs);
	free(req);
	return rc;
}

int tlsrpt_report_run(const struct conf *c, char **names, int n,
                      const char *since, enum tlsrpt_cmd_format format,
                      int64_t now, FILE *out, FILE *err)
{
	char (*norm)[NAME_MAX_LEN + 1] = calloc(n > 0 ? (size_t)n : 1, sizeof(*norm));
	const char **list = calloc(n > 0 ? (size_t)n : 1, sizeof(*list));
	struct tlsrpt_domain_req *req = NULL;
	struct tlsrpt_summary_params p;
	struct tlsrpt_summary sum = { 0 };
	struct reports rs = { 0 };
	const struct tlsrpt_report **ptrs = NULL;
	struct store *s = NULL;
	char msg[STORE_ERR_LEN];
	size_t n_req = 0;
	int64_t first;
	int rc = EXIT_OK, w;

	if (norm == NULL || list == NULL)
		goto oom;
	if (cli_names_normalize(names, n, norm, list, err) != 0)
		rc = EXIT_USAGE;
	if (rc == EXIT_OK && tlsrpt_summary_params_init(&p, now, since,
	    c->tlsrpt_ready_days, c->tlsrpt_ready_orgs) != 0) {
		fprintf(err, "stsd: --since \"%s\": expected a day (YYYY-MM-DD) "
		        "no later than today and at most %d days back\n", since,
		        TLSRPT_SUMMARY_MAX_DAYS);
		rc = EXIT_USAGE;
	}
	if (rc != EXIT_OK)
		goto out;
	s = store_open(c->state_dir, STORE_READONLY, NULL, msg, sizeof(msg));
	if (s == NULL) {
		fprintf(err, "stsd: %s\n", msg);
		rc = EXIT_ERROR;
		goto out;
	}
	/* The verdict looks back ready_days from today, maybe before since. */
	first = p.today - (int64_t)p.window_days;
	if (p.since < first)
		first = p.since;
	w = store_tlsrpt_reports(s, list, (size_t)n, first, collect, &rs);
	if (w == COLLECT_ENOMEM)
		goto oom;
	if (w != STORE_OK) {
		fprintf(err, "stsd: %s\n", store_errmsg(s));
		rc = EXIT_ERROR;
		goto out;
	}
	if (rs.unreadable > 0)
		fprintf(err, "stsd: %zu stored report%s no longer parse%s; left "
		        "out\n", rs.unreadable, rs.unreadable == 1 ? "" : "s",
		        rs.unreadable == 1 ? "s" : "");
	if (n > 0) {
		if ((req = calloc((size_t)n, sizeof(*req))) == NULL)
			goto oom;
		for (int i = 0; i < n; i++)
			req[i] = (struct tlsrpt_domain_req){ list[i], mode_of(c, list[i]) };
		n_req = (size_t)n;
	} else if (served_domains(c, &rs, &p, &req, &n_req) != 0) {
		goto oom;
	}
	if ((ptrs = report_ptrs(&rs)) == NULL)
		goto oom;
	/* tlsrpt_summarize takes n_domains = 0 as "every domain of the
	 * reports": with no served domain to show, show none. */
	if (n_req > 0 && tlsrpt_summarize(ptrs, rs.n, req, n_req, &p, &sum) != 0)
		goto oom;
	if (n_req == 0) {
		sum.since = p.since;
		sum.until = p.until;
	}
	if ((format == TLSRPT_CMD_JSON ? tlsrpt_render_json(&sum, out)
	                               : tlsrpt_render_text(&sum, out)) != 0 ||
	    fflush(out) != 0) {
		fprintf(err, "stsd: writing the report failed\n");
		rc = EXIT_ERROR;
	}
	goto out;
oom:
	fprintf(err, "stsd: out of memory\n");
	rc = EXIT_ERROR;
out:
	tlsrpt_summary_free(&sum);
	reports_free(&rs);
	free(ptrs);
	free(req);
	store_close(s);
	free(list);
	free(norm);
	return rc;
}

/* ---- the command line ----------------------------------------------------- */

/* The configuration, its diagnostics shown only when it fails: its
 * warnings are for --check and the daemon, not for every delivered
 * report. */
static struct conf *load_conf(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	struct diag d = { .out = open_memstream(&text, &len) };
	struct conf *c = conf_load(path, &d);

	if (d.out != NULL) {
		diag_summary(&d);
		fclose(d.out);
	}
	if (c == NULL && text != NULL)
		fputs(text, stderr);
	free(text);
	return c;
}

int tlsrpt_cmd_main(int argc, char **argv)
{
	enum { OPT_IMPORT = 256, OPT_REPORT, OPT_SINCE, OPT_FORMAT };
	static const struct option longopts[] = {
		{ "import-report", no_argument, NULL, OPT_IMPORT },
		{ "report", no_argument, NULL, OPT_REPORT },
		{ "config", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = CONF_DEFAULT_FILE, *since = NULL, *format = NULL;
	bool import = false, report = false, verbose = false;
	struct conf *c;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "c:v", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_IMPORT: import = true; break;
		case OPT_REPORT: report = true; break;
		case 'c': config = optarg; break;
		case 'v': verbose = true; break;
		case OPT_SINCE: since = optarg; break;
		case OPT_FORMAT: format = optarg; break;
		default: goto usage;
		}
	}
	if (import == report || (import && (since || format)) ||
	    (format && strcmp(format, "text") != 0 && strcmp(format, "json") != 0))
		goto usage;
	log_init(verbose);
	c = load_conf(config);
	if (c == NULL)
		/* Being fixed, perhaps: an MTA keeps the message meanwhile. */
		return import ? IMPORT_EX_TEMPFAIL : EXIT_ERROR;
	if (import)
		rc = import_main(c, argv + optind, argc - optind);
	else
		rc = tlsrpt_report_run(c, argv + optind, argc - optind, since,
		                       format && strcmp(format, "json") == 0 ?
		                       TLSRPT_CMD_JSON : TLSRPT_CMD_TEXT,
		                       (int64_t)time(NULL), stdout, stderr);
	conf_free(c);
	return rc;
usage:
	fprintf(stderr,
	        "usage: stsd --import-report [-c FILE] [-v] [FILE...]\n"
	        "       stsd --report [-c FILE] [--since YYYY-MM-DD] "
	        "[--format text|json] [DOMAIN...]\n");
	return import && !report ? EX_USAGE : EXIT_USAGE;
}
