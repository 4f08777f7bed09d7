/*
 * tlsrpt_summary: aggregation, explanations, the ready-for-enforce verdict
 * and the two renderers of stsd --report. See tlsrpt_summary.h for what
 * counts and the verdict's exact rule.
 *
 * The reports are deduplicated by sorting (report-id, organisation), then
 * walked in day order, so days come out ascending and a group's distinct
 * days are counted by comparing with its last day. Tallies are small
 * arrays searched linearly: a day has a handful of organisations and MX.
 * Since a hostile report may name thousands of MX hosts, each list is
 * capped (TALLY_MAX names, then one "(others)" entry; GROUPS_MAX failure
 * groups, then one "(other hosts)" group per result type; NAMES_MAX names
 * in a set), which keeps the work linear and every total exact.
 */
#include "config.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tlsrpt_summary.h"

#define DEFAULT_WINDOW 14
#define LIST_SHOWN 5                    /* items named in one sentence */
#define TALLY_MAX 64                    /* distinct names in a tally */
#define GROUPS_MAX 64                   /* failure groups of a domain */
#define NAMES_MAX 256                   /* names in a set (organisations) */
#define OTHERS "(others)"
#define OTHER_HOSTS "(other hosts)"

/* ---- small helpers ------------------------------------------------------ */

__attribute__((format(printf, 1, 2)))
static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Grows an array of n elements by one, doubling at powers of two. */
static void *grow(void *arr, size_t n, size_t size)
{
	void *p;

	if (n && (n & (n - 1)) != 0)
		return arr;
	p = realloc(arr, (n ? n * 2 : 1) * size);
	return p;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

const char *tlsrpt_mode_name(enum tlsrpt_mode m)
{
	switch (m) {
	case TLSRPT_MODE_TESTING: return "testing";
	case TLSRPT_MODE_ENFORCE: return "enforce";
	case TLSRPT_MODE_NONE: return "none";
	case TLSRPT_MODE_UNKNOWN: break;
	}
	return "unknown";
}

const char *tlsrpt_verdict_name(enum tlsrpt_verdict_status v)
{
	switch (v) {
	case TLSRPT_VERDICT_READY: return "ready";
	case TLSRPT_VERDICT_NOT_READY: return "not-ready";
	case TLSRPT_VERDICT_NO_REPORTS: return "no-reports";
	case TLSRPT_VERDICT_ENFORCING: return "enforcing";
	case TLSRPT_VERDICT_MODE_NONE: return "mode-none";
	case TLSRPT_VERDICT_UNKNOWN_MODE: break;
	}
	return "unknown-mode";
}

/* ---- explanations ------------------------------------------------------- */

char *tlsrpt_explain(enum tlsrpt_result r, const char *result_type,
                     const char *mx, const char *domain)
{
	const char *host = mx ? mx : "the MX host";

	switch (r) {
	case TLSRPT_STARTTLS_NOT_SUPPORTED:
		return xprintf("%s did not offer STARTTLS, so the message could "
			       "not be sent encrypted", host);
	case TLSRPT_CERTIFICATE_HOST_MISMATCH:
		return xprintf("the certificate of %s does not name it", host);
	case TLSRPT_CERTIFICATE_EXPIRED:
		return xprintf("the certificate of %s has expired", host);
	case TLSRPT_CERTIFICATE_NOT_TRUSTED:
		return xprintf("the certificate of %s is not trusted: "
			       "self-signed, from a private CA, or served "
			       "without its intermediate certificate", host);
	case TLSRPT_VALIDATION_FAILURE:
		return xprintf("senders could not validate %s against the "
			       "policy; most often the MX name matches no "
			       "mx: line of the policy", host);
	case TLSRPT_TLSA_INVALID:
		return xprintf("the DANE TLSA records of %s do not match its "
			       "certificate", host);
	case TLSRPT_DNSSEC_INVALID:
		return xprintf("DNSSEC validation failed for the records of %s",
			       mx ? mx : domain);
	case TLSRPT_DANE_REQUIRED:
		return xprintf("the sender requires DANE but %s has no usable "
			       "TLSA records", host);
	case TLSRPT_STS_POLICY_FETCH_ERROR:
		return xprintf("senders could not fetch the MTA-STS policy from "
			       "https://mta-sts.%s/.well-known/mta-sts.txt",
			       domain);
	case TLSRPT_STS_POLICY_INVALID:
		return xprintf("senders fetched the MTA-STS policy of %s but "
			       "found it invalid", domain);
	case TLSRPT_STS_WEBPKI_INVALID:
		return xprintf("the certificate of the policy host mta-sts.%s "
			       "is not valid", domain);
	case TLSRPT_RESULT_OTHER:
		break;
	}
	return xprintf("senders reported \"%s\"%s%s", result_type,
		       mx ? " at " : "", mx ? mx : "");
}

char *tlsrpt_fix(enum tlsrpt_result r, const char *mx, const char *domain)
{
	const char *host = mx ? mx : "each MX host";

	switch (r) {
	case TLSRPT_STARTTLS_NOT_SUPPORTED:
		return xprintf("enable STARTTLS on %s (a certificate and, in "
			       "Postfix, smtpd_tls_security_level = may), or "
			       "remove it from the MX records and the policy", host);
	case TLSRPT_CERTIFICATE_HOST_MISMATCH:
		return xprintf("install a certificate whose names "
			       "(subjectAltName) include %s", host);
	case TLSRPT_CERTIFICATE_EXPIRED:
		return xprintf("renew the certificate of %s and reload the mail "
			       "server; automate the renewal", host);
	case TLSRPT_CERTIFICATE_NOT_TRUSTED:
		return xprintf("use a certificate from a public CA on %s and "
			       "serve the full chain (leaf and intermediates)",
			       host);
	case TLSRPT_VALIDATION_FAILURE:
		return xprintf("make sure %s matches an mx: line of the policy "
			       "and has a valid certificate for its name", host);
	case TLSRPT_TLSA_INVALID:
		return xprintf("update the TLSA records of %s to match its "
			       "certificate (publish the new record before "
			       "changing the certificate)", host);
	case TLSRPT_DNSSEC_INVALID:
		return xprintf("fix the DNSSEC signatures of the zone of %s "
			       "(expired signatures, a DS record that does not "
			       "match)", mx ? mx : domain);
	case TLSRPT_DANE_REQUIRED:
		return xprintf("publish TLSA records for %s in a DNSSEC-signed "
			       "zone", host);
	case TLSRPT_STS_POLICY_FETCH_ERROR:
		return xprintf("check that mta-sts.%s resolves to this server, "
			       "that port 443 is reachable from the Internet "
			       "and that its certificate names mta-sts.%s",
			       domain, domain);
	case TLSRPT_STS_POLICY_INVALID:
		return xprintf("run stsd --check and stsd --print-policy %s, and "
			       "compare the _mta-sts TXT record id", domain);
	case TLSRPT_STS_WEBPKI_INVALID:
		return xprintf("renew or replace the certificate of mta-sts.%s "
			       "(publicly trusted, naming mta-sts.%s, full chain)",
			       domain, domain);
	case TLSRPT_RESULT_OTHER:
		break;
	}
	return xprintf("read the failure-reason-code the senders gave");
}

/* ---- accumulation ------------------------------------------------------- */

static int tally_add(struct tlsrpt_tally **arr, size_t *n, const char *name,
                     uint64_t successful, uint64_t failed)
{
	size_t i;
	struct tlsrpt_tally *a;

	for (i = 0; i < *n; i++) {
		if (strcmp((*arr)[i].name, name) == 0) {
			(*arr)[i].successful += successful;
			(*arr)[i].failed += failed;
			return 0;
		}
	}
	if (*n >= TALLY_MAX && strcmp(name, OTHERS) != 0)
		return tally_add(arr, n, OTHERS, successful, failed);
	a = grow(*arr, *n, sizeof(**arr));
	if (!a)
		return -1;
	*arr = a;
	a[*n].name = strdup(name);
	if (!a[*n].name)
		return -1;
	a[*n].successful = successful;
	a[*n].failed = failed;
	(*n)++;
	return 0;
}

static void tally_free(struct tlsrpt_tally *arr, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(arr[i].name);
	free(arr);
}

/* Failed first (most first), then by name: deterministic output. */
static int tally_cmp(const void *a, const void *b)
{
	const struct tlsrpt_tally *x = a, *y = b;

	if (x->failed != y->failed)
		return x->failed > y->failed ? -1 : 1;
	if (x->successful != y->successful)
		return x->successful > y->successful ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void tally_sort(struct tlsrpt_tally *arr, size_t n)
{
	if (n > 1)
		qsort(arr, n, sizeof(*arr), tally_cmp);
}

static int strs_add(char ***arr, size_t *n, const char *s)
{
	size_t i;
	char **a;

	for (i = 0; i < *n; i++)
		if (strcmp((*arr)[i], s) == 0)
			return 0;
	if (*n >= NAMES_MAX)            /* a count of "at least" from here */
		return 0;
	a = grow(*arr, *n, sizeof(**arr));
	if (!a)
		return -1;
	*arr = a;
	a[*n] = strdup(s);
	if (!a[*n])
		return -1;
	(*n)++;
	return 0;
}

static void strs_free(char **arr, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(arr[i]);
	free(arr);
}

static bool same_mx(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int group_add(struct tlsrpt_domain_summary *d, const char *org,
                     int32_t day, const struct tlsrpt_failure *f)
{
	struct tlsrpt_failure_group *g = NULL, *a;
	const char *mx = f->receiving_mx_hostname;
	bool overflow = false;
	size_t i;

	for (i = 0; i < d->n_groups && !g; i++) {
		struct tlsrpt_failure_group *c = &d->groups[i];

		if (c->result == f->result && same_mx(c->mx, mx) &&
		    (f->result != TLSRPT_RESULT_OTHER ||
		     strcmp(c->result_type, f->result_type) == 0))
			g = c;
	}
	if (!g && d->n_groups >= GROUPS_MAX) {
		/* One more group per result type for all other hosts. */
		overflow = true;
		mx = OTHER_HOSTS;
		for (i = 0; i < d->n_groups && !g; i++)
			if (d->groups[i].result == f->result &&
			    same_mx(d->groups[i].mx, mx))
				g = &d->groups[i];
	}
	if (!g) {
		a = grow(d->groups, d->n_groups, sizeof(*a));
		if (!a)
			return -1;
		d->groups = a;
		g = &a[d->n_groups++];
		memset(g, 0, sizeof(*g));
		g->result = f->result;
		g->first_day = day;
		g->last_day = day - 1;          /* counted as a new day below */
		g->result_type = strdup(overflow ? tlsrpt_result_name(f->result) :
					f->result_type);
		if (!g->result_type || (mx && !(g->mx = strdup(mx))))
			return -1;
	}
	g->sessions += f->failed_session_count;
	if (day != g->last_day) {
		g->n_days++;
		g->last_day = day;
	}
	if (!g->reason && f->failure_reason_code &&
	    !(g->reason = strdup(f->failure_reason_code)))
		return -1;
	return strs_add(&g->orgs, &g->n_orgs, org);
}

static int group_cmp(const void *a, const void *b)
{
	const struct tlsrpt_failure_group *x = a, *y = b;
	int c;

	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	if (x->result != y->result)
		return x->result < y->result ? -1 : 1;
	if ((c = strcmp(x->result_type, y->result_type)) != 0)
		return c;
	if (!x->mx || !y->mx)
		return x->mx ? 1 : y->mx ? -1 : 0;
	return strcmp(x->mx, y->mx);
}

static bool is_sts_policy_error(enum tlsrpt_result r)
{
	return r == TLSRPT_STS_POLICY_FETCH_ERROR ||
	       r == TLSRPT_STS_POLICY_INVALID || r == TLSRPT_STS_WEBPKI_INVALID;
}

/* What the verdict collects while walking the window. */
struct window {
	int32_t first, last;
	bool *covered;                  /* one per day of the window */
	char **orgs;
	size_t n_orgs;
	struct tlsrpt_tally *fails;     /* "result at mx": failed, blocking */
	size_t n_fails;
	uint64_t sts_unexplained;       /* sts failures without details */
	uint64_t policy_errors;         /* sts-policy-* under other types */
	size_t reports;
};

/* One policy of report r for domain d, counted where its day falls. */
static int count_policy(struct tlsrpt_domain_summary *d, struct tlsrpt_day *day,
                        struct window *w, bool in_window,
                        const struct tlsrpt_report *r,
                        const struct tlsrpt_policy *p)
{
	size_t i;
	uint64_t unexplained = p->failed > p->detail_failed ?
			       p->failed - p->detail_failed : 0;
	bool sts = p->type == TLSRPT_POLICY_STS;
	struct tlsrpt_verdict *v = &d->verdict;

	if (day) {
		day->successful += p->successful;
		day->failed += p->failed;
		day->unexplained += unexplained;
		d->successful += p->successful;
		d->failed += p->failed;
		d->unexplained += unexplained;
		if (tally_add(&day->orgs, &day->n_orgs, r->organization,
			      p->successful, p->failed) != 0 ||
		    tally_add(&d->orgs, &d->n_orgs, r->organization,
			      p->successful, p->failed) != 0)
			return -1;
	}
	if (in_window) {
		v->successful += p->successful;
		v->failed += p->failed;
		if (sts) {
			v->sts_successful += p->successful;
			v->sts_failed += p->failed;
			w->sts_unexplained += unexplained;
		}
	}
	for (i = 0; i < p->n_failures; i++) {
		const struct tlsrpt_failure *f = &p->failures[i];
		const char *mx = f->receiving_mx_hostname;

		if (day) {
			if ((mx && tally_add(&day->mx, &day->n_mx, mx, 0,
					     f->failed_session_count) != 0) ||
			    tally_add(&day->results, &day->n_results,
				      f->result_type, 0,
				      f->failed_session_count) != 0 ||
			    group_add(d, r->organization, day->day, f) != 0)
				return -1;
		}
		if (!in_window)
			continue;
		if (mx && tally_add(&v->mx, &v->n_mx, mx, 0,
				    f->failed_session_count) != 0)
			return -1;
		if (!sts && is_sts_policy_error(f->result))
			w->policy_errors += f->failed_session_count;
		if (sts || is_sts_policy_error(f->result)) {
			char *key = mx ? xprintf("%s at %s", f->result_type, mx) :
				    strdup(f->result_type);
			int rc = key ? tally_add(&w->fails, &w->n_fails, key, 0,
						 f->failed_session_count) : -1;

			free(key);
			if (rc != 0)
				return -1;
		}
	}
	return 0;
}

/* ---- the verdict -------------------------------------------------------- */

static int blocker(struct tlsrpt_verdict *v, char *s)
{
	char **a;

	if (!s)
		return -1;
	a = grow(v->blockers, v->n_blockers, sizeof(*a));
	if (!a) {
		free(s);
		return -1;
	}
	v->blockers = a;
	a[v->n_blockers++] = s;
	return 0;
}

/* "a, b, c and 2 more" of the first LIST_SHOWN names. */
static char *name_list(char **names, size_t n)
{
	size_t i, len = 32;
	char *s, *o;

	for (i = 0; i < n && i < LIST_SHOWN; i++)
		len += strlen(names[i]) + 2;
	s = malloc(len);
	if (!s)
		return NULL;
	o = s;
	*o = '\0';
	for (i = 0; i < n && i < LIST_SHOWN; i++)
		o += sprintf(o, "%s%s", i ? ", " : "", names[i]);
	if (n > LIST_SHOWN)
		sprintf(o, " and %zu more", n - LIST_SHOWN);
	return s;
}

static int verdict(struct tlsrpt_domain_summary *d, struct window *w)
{
	struct tlsrpt_verdict *v = &d->verdict;
	unsigned i, missing = 0;
	char **miss = NULL, *list, *s;
	int rc = 0;

	for (i = 0; i < v->window_days; i++)
		v->days_with_reports += w->covered[i];
	v->n_orgs = w->n_orgs;
	tally_sort(v->mx, v->n_mx);
	tally_sort(w->fails, w->n_fails);

	switch (d->mode) {
	case TLSRPT_MODE_ENFORCE:
		v->status = TLSRPT_VERDICT_ENFORCING;
		return 0;
	case TLSRPT_MODE_NONE:
		v->status = TLSRPT_VERDICT_MODE_NONE;
		return 0;
	case TLSRPT_MODE_UNKNOWN:
		v->status = TLSRPT_VERDICT_UNKNOWN_MODE;
		return 0;
	case TLSRPT_MODE_TESTING:
		break;
	}
	if (w->reports == 0) {
		v->status = TLSRPT_VERDICT_NO_REPORTS;
		return blocker(v, xprintf("no TLS report in the last %u days: "
					  "publish a _smtp._tls TXT record "
					  "with rua= and wait for reports",
					  v->window_days));
	}

	/* 1. Every day but the last (its reports arrive today). */
	miss = calloc(v->window_days, sizeof(*miss));
	if (!miss)
		return -1;
	for (i = 0; i + 1 < v->window_days; i++) {
		if (w->covered[i])
			continue;
		miss[missing] = malloc(11);
		if (!miss[missing]) {
			rc = -1;
			goto out;
		}
		tlsrpt_day_format(v->first_day + (int32_t)i, miss[missing++]);
	}
	if (missing) {
		char from[11], to[11];

		tlsrpt_day_format(v->first_day, from);
		tlsrpt_day_format(v->last_day - 1, to);
		list = name_list(miss, missing);
		rc = list ? blocker(v, xprintf("no report on %u of the %u days "
					       "from %s to %s: %s", missing,
					       v->days_needed, from, to, list)) : -1;
		free(list);
		if (rc)
			goto out;
	}
	/* 2. Enough organisations. */
	if (w->n_orgs < v->min_orgs) {
		list = name_list(w->orgs, w->n_orgs);
		rc = list ? blocker(v, xprintf("reports from %zu %s (%s), %u "
					       "needed", w->n_orgs,
					       plural(w->n_orgs, "organisation",
						      "organisations"),
					       list, v->min_orgs)) : -1;
		free(list);
		if (rc)
			goto out;
	}
	/* 3. The policy was applied at all. */
	if (v->sts_successful == 0 &&
	    (rc = blocker(v, xprintf("no session succeeded under the MTA-STS "
				     "policy: senders have not applied it "
				     "yet"))) != 0)
		goto out;
	/* 4. No failure that enforce would turn into undelivered mail. */
	if (v->sts_failed > 0 || w->n_fails > 0) {
		char **names = calloc(w->n_fails + 1, sizeof(*names));
		uint64_t total = v->sts_failed + w->policy_errors;
		size_t k;

		if (!names) {
			rc = -1;
			goto out;
		}
		for (k = 0; k < w->n_fails && !rc; k++) {
			names[k] = xprintf("%s (%" PRIu64 ")", w->fails[k].name,
					   w->fails[k].failed);
			if (!names[k])
				rc = -1;
		}
		if (!rc && w->sts_unexplained) {
			names[k] = xprintf("%" PRIu64 " without details",
					   w->sts_unexplained);
			if (!names[k++])
				rc = -1;
		}
		list = rc ? NULL : name_list(names, k);
		s = list ? xprintf("%" PRIu64 " %s failed under the MTA-STS "
				   "policy (mail that enforce would not "
				   "deliver): %s", total,
				   plural(total, "session", "sessions"),
				   list) : NULL;
		if (!rc)
			rc = blocker(v, s);
		free(list);
		strs_free(names, w->n_fails + 1);      /* unused slots are NULL */
		if (rc)
			goto out;
	}
	v->status = v->n_blockers ? TLSRPT_VERDICT_NOT_READY :
		    TLSRPT_VERDICT_READY;
out:
	strs_free(miss, missing);
	return rc;
}

/* ---- the walk ----------------------------------------------------------- */

struct ref {
	const struct tlsrpt_report *r;
	size_t idx;
};

static int ref_id_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = strcmp(x->r->report_id, y->r->report_id);

	if (c)
		return c;
	if ((c = strcasecmp(x->r->organization, y->r->organization)) != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int ref_day_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	if (x->r->day != y->r->day)
		return x->r->day < y->r->day ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_domain(const struct tlsrpt_report *r, const char *domain)
{
	size_t i;

	for (i = 0; i < r->n_policies; i++)
		if (strcmp(r->policies[i].domain, domain) == 0)
			return true;
	return false;
}

static int summarize_domain(struct tlsrpt_domain_summary *d,
                            const struct ref *u, size_t n,
                            const struct tlsrpt_summary_params *p,
                            unsigned window, unsigned min_orgs)
{
	size_t range = (size_t)(p->until - p->since + 1), i, j, k;
	struct tlsrpt_day *all = calloc(range, sizeof(*all));
	struct window w;
	int rc = -1;

	memset(&w, 0, sizeof(w));
	w.covered = calloc(window, sizeof(*w.covered));
	if (!all || !w.covered)
		goto out;
	w.first = p->today - (int32_t)window;
	w.last = p->today - 1;
	d->verdict.window_days = window;
	d->verdict.days_needed = window - 1;
	d->verdict.first_day = w.first;
	d->verdict.last_day = w.last;
	d->verdict.min_orgs = min_orgs;
	for (i = 0; i < range; i++)
		all[i].day = p->since + (int32_t)i;

	for (i = 0; i < n; i++) {
		const struct tlsrpt_report *r = u[i].r;
		bool shown = r->day >= p->since && r->day <= p->until;
		bool in_window = r->day >= w.first && r->day <= w.last;
		struct tlsrpt_day *day = shown ? &all[r->day - p->since] : NULL;

		if ((!shown && !in_window) || !has_domain(r, d->domain))
			continue;
		if (day) {
			day->reports++;
			d->reports++;
		}
		if (in_window) {
			w.reports++;
			w.covered[r->day - w.first] = true;
			if (strs_add(&w.orgs, &w.n_orgs, r->organization) != 0)
				goto out;
		}
		for (j = 0; j < r->n_policies; j++)
			if (strcmp(r->policies[j].domain, d->domain) == 0 &&
			    count_policy(d, day, &w, in_window, r,
					 &r->policies[j]) != 0)
				goto out;
	}

	/* Keep the days with reports. */
	for (i = 0, k = 0; i < range; i++)
		k += all[i].reports > 0;
	d->days = calloc(k ? k : 1, sizeof(*d->days));
	if (!d->days)
		goto out;
	for (i = 0; i < range; i++) {
		if (!all[i].reports)
			continue;
		tally_sort(all[i].orgs, all[i].n_orgs);
		tally_sort(all[i].mx, all[i].n_mx);
		tally_sort(all[i].results, all[i].n_results);
		d->days[d->n_days++] = all[i];
		memset(&all[i], 0, sizeof(all[i]));
	}
	tally_sort(d->orgs, d->n_orgs);
	if (d->n_groups > 1)
		qsort(d->groups, d->n_groups, sizeof(*d->groups), group_cmp);
	for (i = 0; i < d->n_groups; i++) {
		struct tlsrpt_failure_group *g = &d->groups[i];

		g->explanation = tlsrpt_explain(g->result, g->result_type, g->mx,
						d->domain);
		g->fix = tlsrpt_fix(g->result, g->mx, d->domain);
		if (!g->explanation || !g->fix)
			goto out;
	}
	rc = verdict(d, &w);
out:
	if (all) {
		for (i = 0; i < range; i++) {
			tally_free(all[i].orgs, all[i].n_orgs);
			tally_free(all[i].mx, all[i].n_mx);
			tally_free(all[i].results, all[i].n_results);
		}
		free(all);
	}
	free(w.covered);
	strs_free(w.orgs, w.n_orgs);
	tally_free(w.fails, w.n_fails);
	return rc;
}

int tlsrpt_summarize(const struct tlsrpt_report *const *reports, size_t n,
                     const struct tlsrpt_domain_req *domains, size_t n_domains,
                     const struct tlsrpt_summary_params *params,
                     struct tlsrpt_summary *out)
{
	struct tlsrpt_summary_params p = *params;
	unsigned window = p.window_days ? p.window_days : DEFAULT_WINDOW;
	unsigned min_orgs = p.min_orgs ? p.min_orgs : 1;
	struct ref *refs = NULL;
	char **names = NULL;
	size_t i, j, u = 0, n_names = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (p.until < p.since ||
	    (int64_t)p.until - p.since + 1 > TLSRPT_SUMMARY_MAX_DAYS ||
	    window > TLSRPT_SUMMARY_MAX_DAYS)
		return -1;
	out->since = p.since;
	out->until = p.until;
	refs = calloc(n ? n : 1, sizeof(*refs));
	if (!refs)
		return -1;
	for (i = 0; i < n; i++) {
		refs[u].r = reports[i];
		refs[u].idx = i;
		u += reports[i] != NULL;
	}
	/* Deduplicate: the first of each (report-id, organisation) stays. */
	if (u > 1)
		qsort(refs, u, sizeof(*refs), ref_id_cmp);
	for (i = 0, j = 0; i < u; i++) {
		if (j && tlsrpt_same_report(refs[j - 1].r, refs[i].r)) {
			out->duplicates++;
			continue;
		}
		refs[j++] = refs[i];
	}
	u = j;
	for (i = 0; i < u; i++)
		out->reports += refs[i].r->day >= p.since && refs[i].r->day <= p.until;
	if (u > 1)
		qsort(refs, u, sizeof(*refs), ref_day_cmp);

	if (n_domains == 0) {
		/* Every policy-domain, sorted and unique (the pointers are the
		 * reports' own strings; d->domain copies them). */
		size_t total = 0, k = 0;

		for (i = 0; i < u; i++)
			total += refs[i].r->n_policies;
		names = calloc(total ? total : 1, sizeof(*names));
		if (!names)
			goto out;
		for (i = 0; i < u; i++)
			for (j = 0; j < refs[i].r->n_policies; j++)
				names[k++] = refs[i].r->policies[j].domain;
		if (k > 1)
			qsort(names, k, sizeof(*names), str_cmp);
		for (i = 0; i < k; i++)
			if (n_names == 0 || strcmp(names[n_names - 1], names[i]) != 0)
				names[n_names++] = names[i];
	}
	out->n_domains = n_domains ? n_domains : n_names;
	out->domains = calloc(out->n_domains ? out->n_domains : 1,
			      sizeof(*out->domains));
	if (!out->domains)
		goto out;
	for (i = 0; i < out->n_domains; i++) {
		struct tlsrpt_domain_summary *d = &out->domains[i];

		d->domain = xstrdup(n_domains ? domains[i].domain : names[i]);
		d->mode = n_domains ? domains[i].mode : TLSRPT_MODE_UNKNOWN;
		if (!d->domain ||
		    summarize_domain(d, refs, u, &p, window, min_orgs) != 0)
			goto out;
	}
	rc = 0;
out:
	free(refs);
	free(names);                    /* borrowed strings */
	if (rc)
		tlsrpt_summary_free(out);
	return rc;
}

int tlsrpt_summary_params_init(struct tlsrpt_summary_params *p, int64_t now,
                               const char *since, unsigned window_days,
                               unsigned min_orgs)
{
	int32_t today = (int32_t)(now / 86400), day;

	memset(p, 0, sizeof(*p));
	if (!since)
		day = today - (TLSRPT_REPORT_DAYS_DEFAULT - 1);
	else if (tlsrpt_day_parse(since, &day) != 0 || day > today ||
		 (int64_t)today - day + 1 > TLSRPT_SUMMARY_MAX_DAYS)
		return -1;
	p->since = day;
	p->until = today;
	p->today = today;
	p->window_days = window_days;
	p->min_orgs = min_orgs;
	return 0;
}

void tlsrpt_summary_free(struct tlsrpt_summary *s)
{
	size_t i, j;

	for (i = 0; i < s->n_domains && s->domains; i++) {
		struct tlsrpt_domain_summary *d = &s->domains[i];

		free(d->domain);
		for (j = 0; j < d->n_days; j++) {
			tally_free(d->days[j].orgs, d->days[j].n_orgs);
			tally_free(d->days[j].mx, d->days[j].n_mx);
			tally_free(d->days[j].results, d->days[j].n_results);
		}
		free(d->days);
		tally_free(d->orgs, d->n_orgs);
		for (j = 0; j < d->n_groups; j++) {
			struct tlsrpt_failure_group *g = &d->groups[j];

			free(g->result_type);
			free(g->mx);
			strs_free(g->orgs, g->n_orgs);
			free(g->reason);
			free(g->explanation);
			free(g->fix);
		}
		free(d->groups);
		tally_free(d->verdict.mx, d->verdict.n_mx);
		strs_free(d->verdict.blockers, d->verdict.n_blockers);
	}
	free(s->domains);
	memset(s, 0, sizeof(*s));
}

/* ---- text --------------------------------------------------------------- */

/* "a (n), b (m)" of a tally's failed counts. */
static void put_failed_list(FILE *f, const struct tlsrpt_tally *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s%s (%" PRIu64 ")", i ? ", " : "", t[i].name,
			t[i].failed);
}

static void put_day(FILE *f, const struct tlsrpt_day *d)
{
	char date[11];
	size_t i;

	tlsrpt_day_format(d->day, date);
	fprintf(f, "  %s %12" PRIu64 " %10" PRIu64 " %8zu\n", date,
		d->successful, d->failed, d->reports);
	fprintf(f, "      from: ");
	for (i = 0; i < d->n_orgs; i++) {
		fprintf(f, "%s%s (%" PRIu64 " ok", i ? ", " : "",
			d->orgs[i].name, d->orgs[i].successful);
		if (d->orgs[i].failed)
			fprintf(f, ", %" PRIu64 " failed", d->orgs[i].failed);
		fputc(')', f);
	}
	fputc('\n', f);
	if (d->n_results) {
		fprintf(f, "      failed by result type: ");
		put_failed_list(f, d->results, d->n_results);
		fputc('\n', f);
	}
	if (d->n_mx) {
		fprintf(f, "      failed by MX: ");
		put_failed_list(f, d->mx, d->n_mx);
		fputc('\n', f);
	}
	if (d->unexplained)
		fprintf(f, "      failed without details: %" PRIu64 "\n",
			d->unexplained);
}

static void put_group(FILE *f, const char *domain,
                      const struct tlsrpt_failure_group *g)
{
	size_t i;

	fprintf(f, "    %s %s %s from %zu %s (", g->result_type,
		g->mx ? "at" : "for", g->mx ? g->mx : domain, g->n_orgs,
		plural(g->n_orgs, "organisation", "organisations"));
	fprintf(f, "%" PRIu64 " %s on %zu %s): %s.\n", g->sessions,
		plural(g->sessions, "session", "sessions"), g->n_days,
		plural(g->n_days, "day", "days"), g->explanation);
	fprintf(f, "      Reported by: ");
	for (i = 0; i < g->n_orgs; i++)
		fprintf(f, "%s%s", i ? ", " : "", g->orgs[i]);
	fputc('\n', f);
	if (g->reason)
		fprintf(f, "      Reason given: %s\n", g->reason);
	fprintf(f, "      Likely fix: %s.\n", g->fix);
}

static void put_verdict(FILE *f, const struct tlsrpt_verdict *v)
{
	char from[11], to[11];
	size_t i;

	tlsrpt_day_format(v->first_day, from);
	tlsrpt_day_format(v->last_day, to);
	switch (v->status) {
	case TLSRPT_VERDICT_READY:
		fprintf(f, "  Ready for enforce: yes\n");
		break;
	case TLSRPT_VERDICT_NOT_READY:
		fprintf(f, "  Ready for enforce: not yet\n");
		break;
	case TLSRPT_VERDICT_NO_REPORTS:
		fprintf(f, "  Ready for enforce: no reports\n");
		break;
	case TLSRPT_VERDICT_ENFORCING:
		fprintf(f, "  Mode enforce already\n");
		break;
	case TLSRPT_VERDICT_MODE_NONE:
		fprintf(f, "  Ready for enforce: not applicable (mode none)\n");
		break;
	case TLSRPT_VERDICT_UNKNOWN_MODE:
		fprintf(f, "  Ready for enforce: not applicable (not configured)\n");
		break;
	}
	for (i = 0; i < v->n_blockers; i++)
		fprintf(f, "    - %s\n", v->blockers[i]);
	fprintf(f, "    Evidence (%s to %s): reports on %u of %u days from "
		"%zu %s; under the MTA-STS policy %" PRIu64 " %s succeeded "
		"and %" PRIu64 " failed", from, to, v->days_with_reports,
		v->window_days, v->n_orgs,
		plural(v->n_orgs, "organisation", "organisations"),
		v->sts_successful, plural(v->sts_successful, "session", "sessions"),
		v->sts_failed);
	if (v->n_mx) {
		fprintf(f, "; failures by MX: ");
		put_failed_list(f, v->mx, v->n_mx);
	}
	fprintf(f, ".\n");
	if (v->status == TLSRPT_VERDICT_ENFORCING && v->sts_failed)
		fprintf(f, "    Warning: with enforce, these %" PRIu64
			" failed sessions are mail that could not be delivered.\n",
			v->sts_failed);
}

int tlsrpt_render_text(const struct tlsrpt_summary *s, FILE *f)
{
	char since[11], until[11];
	size_t i, j;

	tlsrpt_day_format(s->since, since);
	tlsrpt_day_format(s->until, until);
	fprintf(f, "TLS reports from %s to %s: %zu %s", since, until,
		s->reports, plural(s->reports, "report", "reports"));
	if (s->duplicates)
		fprintf(f, " (%zu %s ignored)", s->duplicates,
			plural(s->duplicates, "duplicate", "duplicates"));
	fprintf(f, "\n");
	for (i = 0; i < s->n_domains; i++) {
		const struct tlsrpt_domain_summary *d = &s->domains[i];

		fprintf(f, "\n%s (mode %s)\n", d->domain, tlsrpt_mode_name(d->mode));
		fprintf(f, "  %" PRIu64 " %s succeeded, %" PRIu64 " failed, in "
			"%zu %s from %zu %s\n", d->successful,
			plural(d->successful, "session", "sessions"), d->failed,
			d->reports, plural(d->reports, "report", "reports"),
			d->n_orgs, plural(d->n_orgs, "organisation", "organisations"));
		if (d->n_days) {
			fprintf(f, "  date          succeeded     failed  reports\n");
			for (j = 0; j < d->n_days; j++)
				put_day(f, &d->days[j]);
		}
		if (d->n_orgs) {
			fprintf(f, "  By organisation:\n");
			for (j = 0; j < d->n_orgs; j++)
				fprintf(f, "    %s: %" PRIu64 " succeeded, %" PRIu64
					" failed\n", d->orgs[j].name,
					d->orgs[j].successful, d->orgs[j].failed);
		}
		if (d->n_groups) {
			fprintf(f, "  Failures:\n");
			for (j = 0; j < d->n_groups; j++)
				put_group(f, d->domain, &d->groups[j]);
		}
		if (d->unexplained)
			fprintf(f, "  %" PRIu64 " failed %s without details from "
				"the senders.\n", d->unexplained,
				plural(d->unexplained, "session", "sessions"));
		put_verdict(f, &d->verdict);
	}
	fflush(f);
	return ferror(f) ? -1 : 0;
}

/* ---- JSON --------------------------------------------------------------- */

/* json_object_set_new that remembers a failure (jansson returns -1 on
 * ENOMEM and takes the reference either way). */
static void set(json_t *o, const char *k, json_t *v, bool *bad)
{
	if (!v || json_object_set_new(o, k, v) != 0)
		*bad = true;
}

static void push(json_t *a, json_t *v, bool *bad)
{
	if (!v || json_array_append_new(a, v) != 0)
		*bad = true;
}

static json_t *jcount(uint64_t n)
{
	return json_integer((json_int_t)n);
}

static json_t *jday(int32_t day)
{
	char buf[11];

	tlsrpt_day_format(day, buf);
	return json_string(buf);
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *j_orgs(const struct tlsrpt_tally *t, size_t n, bool *bad)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++) {
		json_t *o = json_object();

		set(o, "name", json_string(t[i].name), bad);
		set(o, "successful", jcount(t[i].successful), bad);
		set(o, "failed", jcount(t[i].failed), bad);
		push(a, o, bad);
	}
	return a;
}

static json_t *j_failed(const struct tlsrpt_tally *t, size_t n,
                        const char *key, bool *bad)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++) {
		json_t *o = json_object();

		set(o, key, json_string(t[i].name), bad);
		set(o, "failed", jcount(t[i].failed), bad);
		push(a, o, bad);
	}
	return a;
}

static json_t *j_strs(char **s, size_t n, bool *bad)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		push(a, json_string(s[i]), bad);
	return a;
}

static json_t *j_day(const struct tlsrpt_day *d, bool *bad)
{
	json_t *o = json_object();

	set(o, "date", jday(d->day), bad);
	set(o, "successful", jcount(d->successful), bad);
	set(o, "failed", jcount(d->failed), bad);
	set(o, "unexplained", jcount(d->unexplained), bad);
	set(o, "reports", jcount(d->reports), bad);
	set(o, "organizations", j_orgs(d->orgs, d->n_orgs, bad), bad);
	set(o, "receiving-mx", j_failed(d->mx, d->n_mx, "host", bad), bad);
	set(o, "result-types", j_failed(d->results, d->n_results, "result-type",
					bad), bad);
	return o;
}

static json_t *j_group(const struct tlsrpt_failure_group *g, bool *bad)
{
	json_t *o = json_object();

	set(o, "result-type", json_string(g->result_type), bad);
	set(o, "receiving-mx-hostname", jstr_or_null(g->mx), bad);
	set(o, "sessions", jcount(g->sessions), bad);
	set(o, "organizations", j_strs(g->orgs, g->n_orgs, bad), bad);
	set(o, "days", jcount(g->n_days), bad);
	set(o, "first-day", jday(g->first_day), bad);
	set(o, "last-day", jday(g->last_day), bad);
	set(o, "failure-reason-code", jstr_or_null(g->reason), bad);
	set(o, "explanation", json_string(g->explanation), bad);
	set(o, "fix", json_string(g->fix), bad);
	return o;
}

static json_t *j_verdict(const struct tlsrpt_verdict *v, bool *bad)
{
	json_t *o = json_object();

	set(o, "status", json_string(tlsrpt_verdict_name(v->status)), bad);
	set(o, "ready", json_boolean(v->status == TLSRPT_VERDICT_READY), bad);
	set(o, "window-days", jcount(v->window_days), bad);
	set(o, "from", jday(v->first_day), bad);
	set(o, "to", jday(v->last_day), bad);
	set(o, "days-with-reports", jcount(v->days_with_reports), bad);
	set(o, "days-needed", jcount(v->days_needed), bad);
	set(o, "organizations", jcount(v->n_orgs), bad);
	set(o, "organizations-needed", jcount(v->min_orgs), bad);
	set(o, "sts-successful", jcount(v->sts_successful), bad);
	set(o, "sts-failed", jcount(v->sts_failed), bad);
	set(o, "failures-by-mx", j_failed(v->mx, v->n_mx, "host", bad), bad);
	set(o, "blockers", j_strs(v->blockers, v->n_blockers, bad), bad);
	return o;
}

int tlsrpt_render_json(const struct tlsrpt_summary *s, FILE *f)
{
	json_t *root = json_object(), *doms = json_array();
	bool bad = !root || !doms;
	size_t i, j;

	for (i = 0; !bad && i < s->n_domains; i++) {
		const struct tlsrpt_domain_summary *d = &s->domains[i];
		json_t *o = json_object(), *days = json_array(), *fails = json_array();

		set(o, "domain", json_string(d->domain), &bad);
		set(o, "mode", json_string(tlsrpt_mode_name(d->mode)), &bad);
		set(o, "successful", jcount(d->successful), &bad);
		set(o, "failed", jcount(d->failed), &bad);
		set(o, "unexplained", jcount(d->unexplained), &bad);
		set(o, "reports", jcount(d->reports), &bad);
		set(o, "organizations", j_orgs(d->orgs, d->n_orgs, &bad), &bad);
		for (j = 0; fails && j < d->n_groups; j++)
			push(fails, j_group(&d->groups[j], &bad), &bad);
		set(o, "failures", fails, &bad);
		for (j = 0; days && j < d->n_days; j++)
			push(days, j_day(&d->days[j], &bad), &bad);
		set(o, "days", days, &bad);
		set(o, "ready-for-enforce", j_verdict(&d->verdict, &bad), &bad);
		push(doms, o, &bad);
	}
	if (!bad) {
		set(root, "since", jday(s->since), &bad);
		set(root, "until", jday(s->until), &bad);
		set(root, "reports", jcount(s->reports), &bad);
		set(root, "duplicates", jcount(s->duplicates), &bad);
		set(root, "domains", doms, &bad);
		doms = NULL;
	}
	if (!bad && (json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
		     fputc('\n', f) == EOF))
		bad = true;
	json_decref(doms);
	json_decref(root);
	fflush(f);
	return bad || ferror(f) ? -1 : 0;
}
