/*
 * diagnose: see diagnose.h.
 *
 * Every step's outcome becomes checks in the domain's report; the parsers
 * of remote input (core/) add theirs; nothing here interprets remote bytes
 * itself. A step that cannot run because an earlier one failed is left
 * out, or "skipped" when a reader would otherwise wonder.
 */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks.h"
#include "conf.h"
#include "diag.h"
#include "diagnose.h"
#include "dns.h"
#include "https.h"
#include "mxmatch.h"
#include "name.h"
#include "smtp_probe.h"
#include "sts_body.h"
#include "sts_txt.h"
#include "tlsrpt_txt.h"

#define DEFAULT_CONFIG SYSCONFDIR "/stsd/stsd.yaml"
#define DEFAULT_TIMEOUT 10
#define DEFAULT_CONCURRENCY 16
#define MAX_CONCURRENCY 256
#define EXPIRY_WARN_DAYS CONF_DEFAULT_EXPIRY_WARN_DAYS
#define POLICY_PATH "/.well-known/mta-sts.txt"

enum { OPT_DIAGNOSE = 256, OPT_FORMAT, OPT_CA_FILE, OPT_NO_SMTP, OPT_TIMEOUT,
       OPT_RESOLVER, OPT_TRUST_ANCHOR, OPT_CONCURRENCY };

struct dopts {
	enum check_format format;
	const char *ca_file;
	bool no_smtp;
	int timeout_ms;
	struct dns_opts dns;
	unsigned concurrency;
	const char *config;
	char ehlo[256];
};

struct job {
	char domain[NAME_MAX_LEN + 1];
	const struct policy *served;         /* NULL: not configured here */
	struct check_report report;
};

struct pool {
	struct job *jobs;
	size_t n;
	atomic_size_t next;
	const struct dopts *o;
	gnutls_certificate_credentials_t creds;
	struct diagnose_env env;
	const char *dns_err;                 /* first client failure */
	pthread_mutex_t lock;
};

/* DNSSEC outcome over all answers of a domain. */
struct dsec {
	unsigned secure, insecure, bogus;
	char bogus_name[300], why[160];
};

static void note_sec(struct dsec *s, const char *name, const struct dns_answer *a)
{
	if (a->status == DNS_TIMEOUT || a->status == DNS_ERROR)
		return;
	if (a->sec == DNS_SEC_BOGUS) {
		if (s->bogus++ == 0) {
			snprintf(s->bogus_name, sizeof(s->bogus_name), "%s", name);
			snprintf(s->why, sizeof(s->why), "%s", a->why);
		}
	} else if (a->sec == DNS_SEC_SECURE) {
		s->secure++;
	} else {
		s->insecure++;
	}
}

static bool dns_failed(enum dns_status st)
{
	return st == DNS_SERVFAIL || st == DNS_TIMEOUT || st == DNS_ERROR;
}

/* What the steps work on. */
struct target {
	const char *domain;
	const struct policy *served;
	struct check_report *report;
};

/* ---- steps ----------------------------------------------------------- */

static void step_txt(struct dns_client *dns, const struct target *j, struct dsec *sec,
                     struct sts_txt_result *txt)
{
	struct check_report *r = j->report;
	struct dns_answer a;
	char name[NAME_MAX_LEN + 16];

	memset(txt, 0, sizeof(*txt));
	snprintf(name, sizeof(name), "_mta-sts.%s", j->domain);
	dns_txt(dns, name, &a);
	note_sec(sec, name, &a);
	if (dns_failed(a.status)) {
		check_add(r, "txt.lookup", CHECK_ERROR, NULL,
			  "the TXT lookup of %s failed: %s%s%s (senders treat "
			  "the domain as having no policy)", name,
			  dns_status_text(a.status), a.why[0] ? ": " : "", a.why);
	} else {
		sts_txt_check(a.txt, a.n_txt, j->served ? j->served->id : NULL,
			      r, txt);
	}
	dns_answer_clear(&a);
	if (j->served && txt->usable) {
		char fix[600];

		snprintf(fix, sizeof(fix), "publish _mta-sts.%s. IN TXT "
			 "\"v=STSv1; id=%s\" in place of the current record",
			 j->domain, j->served->id);
		if (strcmp(txt->id, j->served->id) == 0)
			check_add(r, "txt.id_current", CHECK_OK, NULL,
				  "the DNS names id %s, the policy stsd serves now",
				  txt->id);
		else
			check_add(r, "txt.id_current", CHECK_ERROR, fix,
				  "the DNS names id %s but stsd serves id %s: "
				  "senders that cached the policy under %s do not "
				  "fetch the new one", txt->id, j->served->id,
				  txt->id);
	}
}

static void report_cert(struct check_report *r, const char *prefix,
                        const char *host, const struct tls_facts *t,
                        enum check_status bad, const char *fix)
{
	char id[CHECK_ID_MAX];

	snprintf(id, sizeof(id), "%s.tls", prefix);
	if (t->version_ok)
		check_add(r, id, CHECK_OK, NULL, "%s: %s", host, t->version);
	else
		check_add(r, id, CHECK_ERROR, "enable TLS 1.2 and 1.3 on the server",
			  "%s negotiated %s: senders require TLS 1.2 or later",
			  host, t->version);
	snprintf(id, sizeof(id), "%s.cert", prefix);
	if (!t->have_cert) {
		check_add(r, id, bad, fix, "%s: %s", host, t->cert_error);
	} else if (t->trusted && t->name_ok && t->time_ok) {
		check_add(r, id, CHECK_OK, NULL, "%s: the certificate is trusted, "
			  "names the host and is valid for %ld more days", host,
			  t->days_left);
	} else {
		check_add(r, id, bad, fix, "%s: the certificate %s%s%s%s%s",
			  host,
			  !t->trusted ? "is not from a trusted CA; " : "",
			  !t->name_ok ? "does not name the host; " : "",
			  !t->time_ok ? (t->days_left < 0 ? "has expired; "
							  : "is not valid yet; ") : "",
			  t->cert_error[0] ? "GnuTLS: " : "", t->cert_error);
	}
	snprintf(id, sizeof(id), "%s.cert_expiry", prefix);
	if (t->have_cert && t->time_ok && t->days_left < EXPIRY_WARN_DAYS)
		check_add(r, id, CHECK_WARNING, "renew the certificate",
			  "%s: the certificate expires in %ld days", host,
			  t->days_left);
}

static void step_policy(struct dns_client *dns, const struct diagnose_env *p,
                        const struct target *j, struct dsec *sec,
                        struct sts_policy_view *view)
{
	struct check_report *r = j->report;
	struct dns_answer a;
	struct https_result h;
	char host[NAME_MAX_LEN + 16], fix[1024];
	struct sts_http http;
	size_t i;

	snprintf(host, sizeof(host), "mta-sts.%s", j->domain);
	dns_addrs(dns, host, &a);
	note_sec(sec, host, &a);
	if (dns_failed(a.status)) {
		check_add(r, "policy.host", CHECK_ERROR, NULL,
			  "the address lookup of %s failed: %s%s%s", host,
			  dns_status_text(a.status), a.why[0] ? ": " : "", a.why);
		dns_answer_clear(&a);
		return;
	}
	if (a.status != DNS_OK) {
		snprintf(fix, sizeof(fix), "publish an A/AAAA record (or a CNAME) "
			 "for %s pointing at the policy host", host);
		check_add(r, "policy.host", CHECK_ERROR, fix,
			  "%s does not resolve: %s%s%s (senders cannot fetch the "
			  "policy)", host, dns_status_text(a.status),
			  a.why[0] ? ": " : "", a.why);
		dns_answer_clear(&a);
		return;
	}
	check_add(r, "policy.host", CHECK_OK, NULL, "%s resolves to %s%s", host,
		  a.addr[0], a.n_addr > 1 ? " and more" : "");
	/* Senders differ (mailauth tries only the first address); a host
	 * that answers on a later address is still reported as fetched, with
	 * the addresses that failed named. */
	memset(&h, 0, sizeof(h));
	h.net = NET_ERROR;
	for (i = 0; i < a.n_addr; i++) {
		https_result_clear(&h);
		https_fetch(host, a.addr[i], 443, POLICY_PATH, p->creds,
			    p->timeout_ms, &h);
		if (h.net == NET_OK)
			break;
		check_add(r, "policy.fetch", i + 1 < a.n_addr ? CHECK_WARNING :
			  CHECK_ERROR, NULL, "cannot connect to https://%s (%s): %s",
			  host, a.addr[i], h.error);
	}
	if (h.net != NET_OK)
		goto out;
	snprintf(fix, sizeof(fix), "install a certificate for %s from a public "
		 "CA (it must name %s and chain to a trusted root)", host, host);
	if (!h.tls.handshake_ok) {
		check_add(r, "policy.tls", CHECK_ERROR, fix,
			  "the TLS handshake with %s failed: %s", host, h.error);
		goto out;
	}
	report_cert(r, "policy", host, &h.tls, CHECK_ERROR, fix);
	if (!h.got_head) {
		check_add(r, "policy.fetch", CHECK_ERROR, NULL,
			  "fetching https://%s%s failed: %s", host, POLICY_PATH,
			  h.error);
		goto out;
	}
	http.status = h.head.status;
	http.content_type = h.head.has_content_type ? h.head.content_type : NULL;
	http.content_encoding = h.head.has_content_encoding ?
				h.head.content_encoding : NULL;
	http.location = h.head.has_location ? h.head.location : NULL;
	http.body = h.body;
	http.body_len = h.body_len;
	http.truncated = h.truncated;
	sts_body_check(&http, r, view);
	if (j->served && h.head.status == 200 && !h.truncated) {
		if (h.body_len == j->served->body_len &&
		    memcmp(h.body, j->served->body, h.body_len) == 0)
			check_add(r, "policy.matches_served", CHECK_OK, NULL,
				  "https://%s serves exactly the policy stsd "
				  "serves", host);
		else
			check_add(r, "policy.matches_served", CHECK_ERROR,
				  "make mta-sts.<domain> reach stsd directly, or "
				  "make the proxy pass the body unchanged",
				  "the policy fetched from https://%s differs from "
				  "the one stsd serves (%zu bytes, stsd %zu): a "
				  "proxy or CDN changes it, or the name points "
				  "elsewhere", host, h.body_len,
				  j->served->body_len);
	}
out:
	https_result_clear(&h);
	dns_answer_clear(&a);
}

static void probe_mx(const struct diagnose_env *p, const struct target *j, const char *host,
                     const char *addr, bool covered,
                     const struct sts_policy_view *view)
{
	struct check_report *r = j->report;
	struct smtp_probe_result s;
	enum check_status bad = CHECK_WARNING;

	/* A certificate problem stops mail only under a policy that lists
	 * the MX (RFC 8461 section 4.2); otherwise senders use TLS anyway. */
	if (covered && view->have_mode && view->mode != MX_MODE_NONE)
		bad = CHECK_ERROR;
	smtp_probe(host, addr, 25, p->creds, p->timeout_ms, p->ehlo, &s);
	switch (s.stage) {
	case SMTP_STAGE_CONNECT:
		if (s.net == NET_TIMEOUT)
			check_add(r, "smtp.connect", CHECK_SKIPPED,
				  "run the diagnosis from a host that may send "
				  "mail, or use --no-smtp",
				  "%s (%s): the connection to port 25 timed out: "
				  "port 25 looks blocked from here (many networks "
				  "block outgoing port 25), so this is not counted "
				  "against the domain", host, addr);
		else
			check_add(r, "smtp.connect", CHECK_ERROR,
				  "start the SMTP server, or remove the MX record",
				  "%s (%s): %s%s", host, addr, s.error,
				  s.net == NET_REFUSED ?
				  " (refused by the host: nothing listens on port 25)"
				  : "");
		return;
	case SMTP_STAGE_BANNER:
	case SMTP_STAGE_EHLO:
		check_add(r, "smtp.connect", CHECK_ERROR, NULL, "%s (%s): %s",
			  host, addr, s.error);
		return;
	default:
		break;
	}
	check_add(r, "smtp.connect", CHECK_OK, NULL, "%s (%s): %s", host, addr,
		  s.banner);
	if (s.stage == SMTP_STAGE_NO_STARTTLS || s.stage == SMTP_STAGE_STARTTLS) {
		check_add(r, "smtp.starttls", CHECK_ERROR,
			  "enable STARTTLS with a certificate for the MX host "
			  "name (Postfix: smtpd_tls_security_level = may)",
			  "%s: %s", host, s.error);
		return;
	}
	check_add(r, "smtp.starttls", CHECK_OK, NULL, "%s offers STARTTLS", host);
	if (s.stage == SMTP_STAGE_TLS) {
		check_add(r, "smtp.tls", CHECK_ERROR, NULL,
			  "%s: the TLS handshake after STARTTLS failed: %s",
			  host, s.error);
		return;
	}
	{
		char fix[1024];

		snprintf(fix, sizeof(fix), "install a certificate for %s from a "
			 "public CA on the mail server", host);
		report_cert(r, "smtp", host, &s.tls, bad, fix);
	}
}

static void step_mx(struct dns_client *dns, const struct diagnose_env *p,
                    const struct target *j, struct dsec *sec,
                    const struct sts_policy_view *view, bool have_policy)
{
	struct check_report *r = j->report;
	struct dns_answer a, ad;
	char hosts[DNS_MAX_MX][DNSWIRE_NAME_MAX + 1];
	const char *hp[DNS_MAX_MX], *pats[STS_MAX_MX];
	size_t host_pattern[DNS_MAX_MX];
	size_t n = 0, i;

	dns_mx(dns, j->domain, &a);
	note_sec(sec, j->domain, &a);
	if (a.status == DNS_NXDOMAIN || dns_failed(a.status)) {
		check_add(r, "mx.lookup", CHECK_ERROR, NULL,
			  "the MX lookup of %s failed: %s%s%s", j->domain,
			  dns_status_text(a.status), a.why[0] ? ": " : "", a.why);
		dns_answer_clear(&a);
		return;
	}
	if (a.status == DNS_NODATA) {
		check_add(r, "mx.lookup", CHECK_WARNING,
			  "publish MX records for the hosts that receive mail",
			  "%s has no MX record: senders deliver to its own "
			  "address, so the policy must list %s", j->domain,
			  j->domain);
		snprintf(hosts[n++], sizeof(hosts[0]), "%s", j->domain);
	} else if (a.n_mx == 1 && strcmp(a.mx[0].host, ".") == 0) {
		check_add(r, "mx.null", CHECK_ERROR,
			  "remove the MTA-STS records, or publish real MX records",
			  "%s has a null MX (RFC 7505): it receives no mail, so an "
			  "MTA-STS policy cannot apply", j->domain);
		dns_answer_clear(&a);
		return;
	} else {
		for (i = 0; i < a.n_mx; i++) {
			size_t l = strlen(a.mx[i].host);

			if (l > 1 && a.mx[i].host[l - 1] == '.')
				l--;
			snprintf(hosts[n++], sizeof(hosts[0]), "%.*s", (int)l,
				 a.mx[i].host);
		}
		check_add(r, "mx.lookup", CHECK_OK, NULL, "%zu MX host%s, first %s",
			  n, n == 1 ? "" : "s", hosts[0]);
	}
	dns_answer_clear(&a);
	for (i = 0; i < n; i++) {
		hp[i] = hosts[i];
		host_pattern[i] = (size_t)-1;
	}
	if (have_policy) {
		for (i = 0; i < view->n_mx; i++)
			pats[i] = view->mx[i];
		mx_check(pats, view->n_mx, hp, n,
			 view->have_mode ? view->mode : MX_MODE_NONE, r,
			 host_pattern);
	} else {
		check_add(r, "mx.covered", CHECK_SKIPPED, NULL,
			  "no usable policy to match the MX hosts against");
	}
	for (i = 0; i < n; i++) {
		dns_addrs(dns, hosts[i], &ad);
		note_sec(sec, hosts[i], &ad);
		if (ad.status != DNS_OK) {
			check_add(r, "mx.address", CHECK_ERROR,
				  "publish A/AAAA records for the MX host, or "
				  "remove the MX record",
				  "MX host %s has no address: %s", hosts[i],
				  dns_status_text(ad.status));
		} else if (!p->no_smtp) {
			probe_mx(p, j, hosts[i], ad.addr[0],
				 host_pattern[i] != (size_t)-1, view);
		}
		dns_answer_clear(&ad);
	}
	if (p->no_smtp)
		check_add(r, "smtp.connect", CHECK_SKIPPED, NULL,
			  "STARTTLS probes skipped (--no-smtp)");
}

static void step_tlsrpt(struct dns_client *dns, const struct target *j,
                        struct dsec *sec)
{
	struct check_report *r = j->report;
	struct dns_answer a;
	char name[NAME_MAX_LEN + 16];
	const char *ours = j->served && j->served->n_tls_rpt ?
			   j->served->tls_rpt[0] : NULL;

	snprintf(name, sizeof(name), "_smtp._tls.%s", j->domain);
	dns_txt(dns, name, &a);
	note_sec(sec, name, &a);
	if (dns_failed(a.status))
		check_add(r, "tlsrpt.lookup", CHECK_WARNING, NULL,
			  "the TXT lookup of %s failed: %s", name,
			  dns_status_text(a.status));
	else
		tlsrpt_txt_check(a.txt, a.n_txt, ours, r);
	dns_answer_clear(&a);
}

static void step_dnssec(const struct target *j, const struct dsec *s)
{
	if (s->bogus)
		check_add(j->report, "dnssec", CHECK_ERROR,
			  "fix the zone's DNSSEC signatures (or its DS record)",
			  "DNSSEC validation failed for %s: %s; validating "
			  "resolvers answer SERVFAIL", s->bogus_name, s->why);
	else if (!s->secure && !s->insecure)
		check_add(j->report, "dnssec", CHECK_SKIPPED, NULL,
			  "no DNS answer to judge");
	else if (s->secure && !s->insecure)
		check_add(j->report, "dnssec", CHECK_OK, NULL,
			  "every answer was DNSSEC-validated");
	else
		check_add(j->report, "dnssec", CHECK_INFO, NULL,
			  "%u of %u answers were DNSSEC-validated (the zone is "
			  "unsigned, or no trust anchor is configured: "
			  "--trust-anchor)", s->secure, s->secure + s->insecure);
}

void diagnose_domain(struct dns_client *dns, const struct diagnose_env *p,
                     const char *domain, const struct policy *served,
                     struct check_report *r)
{
	const struct target target = { domain, served, r };
	const struct target *j = &target;
	struct sts_txt_result txt;
	struct sts_policy_view *view = calloc(1, sizeof(*view));
	struct dsec sec;

	memset(&sec, 0, sizeof(sec));
	if (!view) {
		j->report->oom = true;
		return;
	}
	step_txt(dns, j, &sec, &txt);
	step_policy(dns, p, j, &sec, view);
	step_mx(dns, p, j, &sec, view, view->usable || view->lax_usable);
	step_tlsrpt(dns, j, &sec);
	step_dnssec(j, &sec);
	free(view);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct dns_client *dns;
	const char *err = NULL;
	size_t i;

	dns = dns_client_new(&p->o->dns, &err);
	if (!dns) {
		pthread_mutex_lock(&p->lock);
		if (!p->dns_err)
			p->dns_err = err;
		pthread_mutex_unlock(&p->lock);
	}
	while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
		struct job *j = &p->jobs[i];

		if (dns)
			diagnose_domain(dns, &p->env, j->domain, j->served,
					&j->report);
		else
			check_add(&p->jobs[i].report, "txt.lookup", CHECK_ERROR,
				  NULL, "no DNS client: %s", err);
	}
	dns_client_free(dns);
	return NULL;
}

/* ---- command line ------------------------------------------------------- */

int diagnose_requested(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--diagnose") == 0)
			return 1;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: stsd --diagnose [--format text|json] [--ca-file FILE] [--no-smtp]\n"
		"                       [--timeout SECONDS] [--resolver ADDR[@PORT]]\n"
		"                       [--trust-anchor FILE] [--concurrency N]\n"
		"                       [-c FILE] [DOMAIN...]\n"
		"  Checks what senders see of each DOMAIN (default: every configured\n"
		"  domain, also compared with what this configuration serves).\n"
		"  --trust-anchor FILE (e.g. /usr/share/dns/root.key) validates DNSSEC.\n"
		"  Exit status: 0 no domain has an error, 1 one has, 2 usage.\n");
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse(int argc, char **argv, struct dopts *o, bool *config_given)
{
	static const struct option longopts[] = {
		{ "diagnose", no_argument, NULL, OPT_DIAGNOSE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "no-smtp", no_argument, NULL, OPT_NO_SMTP },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "resolver", required_argument, NULL, OPT_RESOLVER },
		{ "trust-anchor", required_argument, NULL, OPT_TRUST_ANCHOR },
		{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, v;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_DIAGNOSE: case 'v': break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				o->format = CHECK_FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				o->format = CHECK_FORMAT_JSON;
			else {
				fprintf(stderr, "stsd: --format takes text or json, "
					"not \"%s\"\n", optarg);
				return -1;
			}
			break;
		case OPT_CA_FILE: o->ca_file = optarg; break;
		case OPT_NO_SMTP: o->no_smtp = true; break;
		case OPT_TIMEOUT:
			if (parse_int(optarg, 1, 300, &v) != 0) {
				fprintf(stderr, "stsd: --timeout takes 1 to 300 "
					"seconds\n");
				return -1;
			}
			o->timeout_ms = v * 1000;
			o->dns.timeout_ms = v * 1000;
			break;
		case OPT_RESOLVER: o->dns.resolver = optarg; break;
		case OPT_TRUST_ANCHOR: o->dns.trust_anchor = optarg; break;
		case OPT_CONCURRENCY:
			if (parse_int(optarg, 1, MAX_CONCURRENCY, &v) != 0) {
				fprintf(stderr, "stsd: --concurrency takes 1 to %d\n",
					MAX_CONCURRENCY);
				return -1;
			}
			o->concurrency = (unsigned)v;
			break;
		case 'c': o->config = optarg; *config_given = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	return 0;
}

static int run(struct pool *p)
{
	pthread_t tids[MAX_CONCURRENCY];
	size_t n_threads = p->o->concurrency, i, started = 0;

	if (n_threads > p->n)
		n_threads = p->n;
	for (i = 0; i < n_threads; i++)
		if (pthread_create(&tids[i], NULL, worker, p) == 0)
			started++;
	if (started == 0)
		worker(p);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return 0;
}

int diagnose_main(int argc, char **argv)
{
	struct dopts o;
	struct pool p;
	struct conf *conf = NULL;
	const struct check_report **reports = NULL;
	bool config_given = false, any_error = false;
	const char *err = NULL;
	size_t i, n;
	int rc = 2;

	memset(&o, 0, sizeof(o));
	o.format = CHECK_FORMAT_TEXT;
	o.timeout_ms = o.dns.timeout_ms = DEFAULT_TIMEOUT * 1000;
	o.concurrency = DEFAULT_CONCURRENCY;
	o.config = DEFAULT_CONFIG;
	if (parse(argc, argv, &o, &config_given) != 0)
		return 2;
	/* A peer that closes while we write must not kill the run. */
	signal(SIGPIPE, SIG_IGN);
	if (o.dns.trust_anchor && access(o.dns.trust_anchor, R_OK) != 0) {
		/* libunbound would only say so at the first query */
		fprintf(stderr, "stsd: cannot read the trust anchor file %s\n",
			o.dns.trust_anchor);
		return 2;
	}
	/* No trust anchor unless asked for (--trust-anchor): validating
	 * through a forwarder that strips DNSSEC records (some local stubs
	 * do) would call every answer bogus. */
	if (gethostname(o.ehlo, sizeof(o.ehlo) - 1) != 0 || !strchr(o.ehlo, '.'))
		snprintf(o.ehlo, sizeof(o.ehlo), "stsd-diagnose.invalid");

	if (optind == argc || config_given) {
		struct diag d = { .out = stderr };

		conf = conf_load(o.config, &d);
		if (!conf) {
			fprintf(stderr, "stsd: cannot diagnose the configured "
				"domains: %s has errors\n", o.config);
			return optind == argc ? 2 : 1;
		}
	}
	memset(&p, 0, sizeof(p));
	n = optind < argc ? (size_t)(argc - optind)
	  : conf != NULL ? conf->n_domains : 0;
	p.jobs = calloc(n ? n : 1, sizeof(*p.jobs));
	reports = calloc(n ? n : 1, sizeof(*reports));
	if (!p.jobs || !reports) {
		fprintf(stderr, "stsd: out of memory\n");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct job *j = &p.jobs[i];

		if (optind < argc) {
			const char *e = name_normalize(argv[optind + (int)i],
						       j->domain, 0);

			if (e) {
				fprintf(stderr, "stsd: \"%s\" is not a domain: %s\n",
					argv[optind + (int)i], e);
				goto out;
			}
			if (conf) {
				const struct conf_domain *cd =
					conf_find_domain(conf, j->domain);

				j->served = cd ? &cd->policy : NULL;
			}
		} else if (conf != NULL) {
			snprintf(j->domain, sizeof(j->domain), "%s",
				 conf->domains[i].policy.domain);
			j->served = &conf->domains[i].policy;
		}
		if (check_report_init(&j->report, j->domain) != 0) {
			fprintf(stderr, "stsd: out of memory\n");
			goto out;
		}
		reports[i] = &j->report;
	}
	p.creds = tlsclient_creds(o.ca_file, &err);
	if (!p.creds) {
		fprintf(stderr, "stsd: %s\n", err);
		goto out;
	}
	p.n = n;
	p.o = &o;
	p.env.creds = p.creds;
	p.env.timeout_ms = o.timeout_ms;
	p.env.no_smtp = o.no_smtp;
	p.env.ehlo = o.ehlo;
	atomic_init(&p.next, 0);
	pthread_mutex_init(&p.lock, NULL);
	run(&p);
	pthread_mutex_destroy(&p.lock);
	if (p.dns_err)
		fprintf(stderr, "stsd: DNS client: %s\n", p.dns_err);
	for (i = 0; i < n; i++)
		if (check_verdict(&p.jobs[i].report) == CHECK_ERROR)
			any_error = true;
	if (check_render(stdout, o.format, reports, n) != 0 ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "stsd: cannot write the report\n");
		rc = 1;
	} else {
		rc = any_error ? 1 : 0;
	}
	gnutls_certificate_free_credentials(p.creds);
out:
	if (p.jobs)
		for (i = 0; i < n; i++)
			check_report_clear(&p.jobs[i].report);
	free(p.jobs);
	free(reports);
	conf_free(conf);
	return rc;
}
