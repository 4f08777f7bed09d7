/* acme: see acme.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "acme.h"
#include "acme_crypto.h"
#include "acme_jws.h"
#include "b64url.h"

#define PROBLEM_PREFIX "urn:ietf:params:acme:error:"
#define POLL_MAX_S 10           /* longest wait between polls without Retry-After */
#define USER_AGENT "stsd/" PACKAGE_VERSION " (ACME client, libcurl)"

struct acme_client {
	char *directory_url, *ca_file, *email, *eab_kid, *eab_hmac_key;
	bool accept_terms;
	enum acme_challenge_type challenge;
	long connect_ms, request_ms, order_s;
	const atomic_bool *cancel;

	CURL *curl;
	struct acme_key *key;
	struct acme_directory dir;
	bool have_dir;
	char nonce[ACME_NONCE_MAX + 1];
	char *kid;                      /* the account URL */
	bool created;
};

/* One HTTP answer. */
struct resp {
	long status;
	char *body;
	size_t len, cap, max;
	bool too_big;
	char *location;
	char content_type[128];
	int64_t retry_after;            /* -1: none */
	char *links[ACME_LINKS_MAX];    /* Link header values, as received */
	size_t n_links;
	struct acme_client *c;          /* for Replay-Nonce */
};

/* ---- errors ---- */

static const char *const kind_names[] = {
	[ACME_OK] = "ok",
	[ACME_ERR_CONFIG] = "config",
	[ACME_ERR_NETWORK] = "network",
	[ACME_ERR_TIMEOUT] = "timeout",
	[ACME_ERR_PROTOCOL] = "protocol",
	[ACME_ERR_CA] = "ca",
	[ACME_ERR_VALIDATION] = "validation",
	[ACME_ERR_CALLBACK] = "callback",
	[ACME_ERR_LOCAL] = "local",
	[ACME_ERR_CANCELLED] = "cancelled",
};

const char *acme_error_kind_name(enum acme_error_kind k)
{
	if ((unsigned)k >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "unknown";
	return kind_names[k];
}

__attribute__((format(printf, 3, 4)))
static int set_err(struct acme_error *e, enum acme_error_kind kind,
                   const char *fmt, ...)
{
	va_list ap;

	e->kind = kind;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

static void err_reset(struct acme_error *e)
{
	memset(e, 0, sizeof(*e));
	e->retry_after = -1;
}

/* Fills e from a CA problem document. */
static int set_problem(struct acme_error *e, enum acme_error_kind kind,
                       const char *doing, const struct acme_problem *p,
                       int http_status)
{
	const char *type = p->type ? p->type : "";
	const char *shown = strncmp(type, PROBLEM_PREFIX, strlen(PROBLEM_PREFIX)) == 0
		? type + strlen(PROBLEM_PREFIX) : type;

	snprintf(e->problem_type, sizeof(e->problem_type), "%s", type);
	e->http_status = http_status ? http_status : p->status;
	return set_err(e, kind, "%s: the CA says %s%s%s", doing,
		       *shown ? shown : "(no type)", p->detail ? ": " : "",
		       p->detail ? p->detail : "");
}

int64_t acme_error_backoff(const struct acme_error *e, unsigned attempt)
{
	int64_t base, d;
	unsigned i;

	if (e->retry_after >= 0)
		return e->retry_after < 60 ? 60 : e->retry_after;
	switch (e->kind) {
	case ACME_ERR_CONFIG:
		return 86400;
	case ACME_ERR_NETWORK:
	case ACME_ERR_TIMEOUT:
	case ACME_ERR_PROTOCOL:
	case ACME_ERR_LOCAL:
	case ACME_ERR_CANCELLED:
	case ACME_ERR_CALLBACK:
		base = 300;
		break;
	default:
		base = 3600;
		break;
	}
	d = base;
	for (i = 1; i < attempt && d < 86400; i++)
		d *= 2;
	return d > 86400 ? 86400 : d;
}

/* ---- set-up ---- */

int acme_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void acme_global_cleanup(void)
{
	curl_global_cleanup();
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

struct acme_client *acme_client_new(const struct acme_config *cfg,
                                    const char *account_key_pem,
                                    struct acme_error *err)
{
	struct acme_client *c;
	char kerr[ACME_ERR_LEN];
	const char *why = NULL;
	bool oom = false;

	err_reset(err);
	if (!cfg->directory_url || (why = acme_url_check(cfg->directory_url))) {
		set_err(err, ACME_ERR_CONFIG, "directory: %s",
			cfg->directory_url ? why : "no URL");
		return NULL;
	}
	if ((cfg->eab_kid == NULL) != (cfg->eab_hmac_key == NULL)) {
		set_err(err, ACME_ERR_CONFIG,
			"external account binding needs both a key id and a MAC key");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		set_err(err, ACME_ERR_LOCAL, "out of memory");
		return NULL;
	}
	c->directory_url = dup_or_null(cfg->directory_url, &oom);
	c->ca_file = dup_or_null(cfg->ca_file, &oom);
	c->email = dup_or_null(cfg->email, &oom);
	c->eab_kid = dup_or_null(cfg->eab_kid, &oom);
	c->eab_hmac_key = dup_or_null(cfg->eab_hmac_key, &oom);
	c->accept_terms = cfg->accept_terms;
	c->challenge = cfg->challenge;
	c->connect_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
	c->request_ms = cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : 30000;
	c->order_s = cfg->order_timeout_s > 0 ? cfg->order_timeout_s : 600;
	c->cancel = cfg->cancel;
	if (oom) {
		set_err(err, ACME_ERR_LOCAL, "out of memory");
		goto bad;
	}
	c->key = account_key_pem
		? acme_key_import(account_key_pem, strlen(account_key_pem), kerr)
		: acme_key_generate(kerr);
	if (!c->key) {
		set_err(err, account_key_pem ? ACME_ERR_CONFIG : ACME_ERR_LOCAL,
			"account key: %s", kerr);
		goto bad;
	}
	c->curl = curl_easy_init();
	if (!c->curl) {
		set_err(err, ACME_ERR_LOCAL, "cannot start libcurl");
		goto bad;
	}
	return c;
bad:
	acme_client_free(c);
	return NULL;
}

void acme_client_free(struct acme_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	acme_key_free(c->key);
	acme_directory_clear(&c->dir);
	free(c->directory_url);
	free(c->ca_file);
	free(c->email);
	free(c->eab_kid);
	free(c->eab_hmac_key);
	free(c->kid);
	free(c);
}

char *acme_client_account_key_pem(const struct acme_client *c)
{
	return acme_key_export(c->key);
}

const char *acme_client_account_url(const struct acme_client *c)
{
	return c->kid;
}

bool acme_client_account_created(const struct acme_client *c)
{
	return c->created;
}

void acme_certificate_clear(struct acme_certificate *cert)
{
	size_t i;

	for (i = 0; i < cert->n_alternates; i++)
		free(cert->alternates[i]);
	free(cert->chain_pem);
	free(cert->key_pem);
	free(cert->url);
	free(cert->ari_id);
	memset(cert, 0, sizeof(*cert));
}

static bool cancelled(const struct acme_client *c)
{
	return c->cancel && atomic_load(c->cancel);
}

/* ---- HTTP ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nmemb;

	if (n > r->max - r->len) {
		r->too_big = true;
		return 0;       /* curl stops with CURLE_WRITE_ERROR */
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *b;

		while (cap < r->len + n + 1)
			cap *= 2;
		b = realloc(r->body, cap);
		if (!b)
			return 0;
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Matches "Name:" case-insensitively; returns the value (NUL-terminated in
 * buf) or NULL. */
static const char *header_value(const char *line, size_t len, const char *name,
                                char *buf, size_t cap)
{
	size_t nl = strlen(name);

	if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
		return NULL;
	len -= nl + 1;
	if (len >= cap)
		return NULL;
	memcpy(buf, line + nl + 1, len);
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\r' || buf[len - 1] == '\n' ||
			   buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	return buf + strspn(buf, " \t");
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nmemb;
	char buf[ACME_URL_MAX + 64];
	const char *v;

	if ((v = header_value(data, n, "Replay-Nonce", buf, sizeof(buf)))) {
		char nonce[ACME_NONCE_MAX + 1];

		if (acme_parse_nonce(v, nonce) == 0)
			memcpy(r->c->nonce, nonce, sizeof(nonce));
	} else if ((v = header_value(data, n, "Location", buf, sizeof(buf)))) {
		if (acme_url_check(v) == NULL && !r->location)
			r->location = strdup(v);
	} else if ((v = header_value(data, n, "Retry-After", buf, sizeof(buf)))) {
		int64_t d;

		if (acme_parse_retry_after(v, (int64_t)time(NULL), &d) == 0)
			r->retry_after = d;
	} else if ((v = header_value(data, n, "Link", buf, sizeof(buf)))) {
		if (r->n_links < ACME_LINKS_MAX && (r->links[r->n_links] = strdup(v)))
			r->n_links++;
	} else if ((v = header_value(data, n, "Content-Type", buf, sizeof(buf)))) {
		snprintf(r->content_type, sizeof(r->content_type), "%s", v);
	}
	return n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
	return cancelled(arg) ? 1 : 0;
}

static void resp_free(struct resp *r)
{
	size_t i;

	for (i = 0; i < r->n_links; i++)
		free(r->links[i]);
	free(r->body);
	free(r->location);
	memset(r, 0, sizeof(*r));
}

static void resp_init(struct resp *r, struct acme_client *c)
{
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	r->max = ACME_MSG_MAX;
	r->c = c;
}

/*
 * One request: GET (body NULL, !head), HEAD, or POST of a JOSE body. The
 * answer, whatever its status, is in r; -1 only when there is none.
 */
static int http(struct acme_client *c, const char *url, bool head,
                const char *body, const char *accept, struct resp *r,
                struct acme_error *err)
{
	struct curl_slist *hdrs = NULL, *h;
	char errbuf[CURL_ERROR_SIZE] = "";
	char acc[128];
	CURLcode rc;
	CURL *k = c->curl;

	if (cancelled(c))
		return set_err(err, ACME_ERR_CANCELLED, "cancelled");
	curl_easy_reset(k);
	curl_easy_setopt(k, CURLOPT_URL, url);
	curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(k, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
	curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, c->request_ms);
	curl_easy_setopt(k, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(k, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(k, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max);
	curl_easy_setopt(k, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(k, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(k, CURLOPT_XFERINFODATA, c);
	if (c->ca_file) {
		/* The CA file is added to the system store, not instead of it. */
		curl_easy_setopt(k, CURLOPT_CAINFO, c->ca_file);
		if (access("/etc/ssl/certs", R_OK) == 0)
			curl_easy_setopt(k, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	snprintf(acc, sizeof(acc), "Accept: %s", accept ? accept : "application/json");
	hdrs = curl_slist_append(hdrs, acc);
	if (body) {
		h = curl_slist_append(hdrs, "Content-Type: application/jose+json");
		if (h)
			hdrs = h;
		/* No "Expect: 100-continue" pause on larger bodies (finalize). */
		h = curl_slist_append(hdrs, "Expect:");
		if (h)
			hdrs = h;
		curl_easy_setopt(k, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	} else if (head) {
		curl_easy_setopt(k, CURLOPT_NOBODY, 1L);
	}
	if (!hdrs)
		return set_err(err, ACME_ERR_LOCAL, "out of memory");
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(k);
	curl_slist_free_all(hdrs);
	curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &r->status);
	if (rc == CURLE_OK)
		return 0;
	if (r->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return set_err(err, ACME_ERR_PROTOCOL,
			       "%s: the answer is over %zu bytes", url, r->max);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return set_err(err, ACME_ERR_CANCELLED, "cancelled");
	set_err(err, rc == CURLE_OPERATION_TIMEDOUT ? ACME_ERR_TIMEOUT : ACME_ERR_NETWORK,
		"%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	return -1;
}

/* A non-2xx answer as an error (a problem document when there is one). */
static int http_failure(const struct resp *r, const char *doing,
                        struct acme_error *err)
{
	struct acme_problem p;
	char perr[ACME_ERR_LEN];
	enum acme_error_kind kind = ACME_ERR_CA;

	err->retry_after = r->retry_after;
	if (r->body && acme_parse_problem(r->body, r->len, &p, perr) == 0) {
		set_problem(err, kind, doing, &p, (int)r->status);
		acme_problem_clear(&p);
		return -1;
	}
	err->http_status = (int)r->status;
	return set_err(err, kind, "%s: HTTP status %ld from the CA", doing, r->status);
}

static int directory(struct acme_client *c, struct acme_error *err)
{
	struct resp r;
	char perr[ACME_ERR_LEN];

	if (c->have_dir)
		return 0;
	resp_init(&r, c);
	if (http(c, c->directory_url, false, NULL, NULL, &r, err) < 0)
		goto bad;
	if (r.status != 200) {
		http_failure(&r, "directory", err);
		goto bad;
	}
	if (acme_parse_directory(r.body ? r.body : "", r.len, &c->dir, perr) < 0) {
		set_err(err, ACME_ERR_PROTOCOL, "%s", perr);
		goto bad;
	}
	c->have_dir = true;
	resp_free(&r);
	return 0;
bad:
	resp_free(&r);
	return -1;
}

static int new_nonce(struct acme_client *c, struct acme_error *err)
{
	struct resp r;

	long status;

	c->nonce[0] = '\0';
	resp_init(&r, c);
	if (http(c, c->dir.new_nonce, true, NULL, NULL, &r, err) < 0) {
		resp_free(&r);
		return -1;
	}
	status = r.status;
	resp_free(&r);
	if (!c->nonce[0]) {
		err->http_status = (int)status;
		return set_err(err, ACME_ERR_PROTOCOL,
			       "newNonce: no valid Replay-Nonce in the answer (HTTP %ld)",
			       status);
	}
	return 0;
}

/* The flattened JWS of payload (NULL: POST-as-GET) signed by the account
 * key, with the account URL (kid) or, before there is one, the JWK. */
static char *sign(struct acme_client *c, const char *url, const char *payload,
                  struct acme_error *err)
{
	char *prot, *pay, *input, *out = NULL;
	char kerr[ACME_ERR_LEN];
	uint8_t sig[64];

	prot = acme_jws_protected("ES256", c->kid ? NULL : acme_key_jwk(c->key),
				  c->kid, c->nonce, url);
	pay = acme_b64url_str(payload ? payload : "");
	input = prot && pay ? acme_jws_signing_input(prot, pay) : NULL;
	if (!input) {
		set_err(err, ACME_ERR_LOCAL, "out of memory");
	} else if (acme_key_sign(c->key, input, strlen(input), sig, kerr) < 0) {
		set_err(err, ACME_ERR_LOCAL, "%s", kerr);
	} else if (!(out = acme_jws_flattened(prot, pay, sig, sizeof(sig)))) {
		set_err(err, ACME_ERR_LOCAL, "out of memory");
	}
	free(prot);
	free(pay);
	free(input);
	return out;
}

static bool is_bad_nonce(const struct resp *r)
{
	struct acme_problem p;
	char perr[ACME_ERR_LEN];
	bool bad;

	if (r->status != 400 || !r->body ||
	    acme_parse_problem(r->body, r->len, &p, perr) < 0)
		return false;
	bad = p.type && strcmp(p.type, PROBLEM_PREFIX "badNonce") == 0;
	acme_problem_clear(&p);
	return bad;
}

/*
 * A signed POST. Every answer carries a fresh nonce; a badNonce refusal is
 * retried once with it (RFC 8555 section 6.5). Non-2xx: -1 with the CA's
 * problem in err. 2xx: 0 and the answer in r (the caller frees it).
 */
static int post(struct acme_client *c, const char *url, const char *payload,
                const char *accept, const char *doing, struct resp *r,
                struct acme_error *err)
{
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		char *jws;
		int rc;

		if (!c->nonce[0] && new_nonce(c, err) < 0)
			return -1;
		jws = sign(c, url, payload, err);
		c->nonce[0] = '\0';     /* used: the answer brings the next one */
		if (!jws)
			return -1;
		resp_init(r, c);
		if (accept && strcmp(accept, "application/pem-certificate-chain") == 0)
			r->max = (size_t)ACME_CHAIN_MAX * ACME_CERT_MAX * 2;
		rc = http(c, url, false, jws, accept, r, err);
		free(jws);
		if (rc < 0) {
			resp_free(r);
			return -1;
		}
		if (r->status >= 200 && r->status < 300)
			return 0;
		if (attempt == 0 && is_bad_nonce(r)) {
			resp_free(r);
			continue;
		}
		break;
	}
	http_failure(r, doing, err);
	resp_free(r);
	return -1;
}

/* ---- account ---- */

static char *eab_jws(struct acme_client *c, struct acme_error *err)
{
	unsigned char key[256];
	size_t klen;
	char *prot, *pay, *input, *out = NULL;
	uint8_t mac[32];

	if (b64url_decode(c->eab_hmac_key, strlen(c->eab_hmac_key), key,
			  sizeof(key), &klen) < 0 || klen == 0) {
		set_err(err, ACME_ERR_CONFIG,
			"external account binding: the MAC key is not base64url");
		return NULL;
	}
	prot = acme_jws_protected("HS256", NULL, c->eab_kid, NULL, c->dir.new_account);
	pay = acme_b64url_str(acme_key_jwk(c->key));
	input = prot && pay ? acme_jws_signing_input(prot, pay) : NULL;
	if (!input || acme_hmac_sha256(key, klen, input, strlen(input), mac) < 0 ||
	    !(out = acme_jws_flattened(prot, pay, mac, sizeof(mac))))
		set_err(err, ACME_ERR_LOCAL, "external account binding: cannot sign");
	free(prot);
	free(pay);
	free(input);
	return out;
}

/* newAccount; only_existing: onlyReturnExisting (RFC 8555 7.3.1), and
 * the CA's accountDoesNotExist gives 1. */
static int account(struct acme_client *c, bool only_existing,
                   struct acme_error *err)
{
	struct resp r;
	struct acme_account a;
	char perr[ACME_ERR_LEN], *eab = NULL, *payload;
	int rc;

	err_reset(err);
	if (c->kid)
		return 0;
	if (directory(c, err) < 0)
		return -1;
	if (only_existing) {
		payload = acme_payload_new_account(NULL, false, true, NULL);
		if (!payload)
			return set_err(err, ACME_ERR_LOCAL, "out of memory");
		goto send;
	}
	if (!c->accept_terms)
		return set_err(err, ACME_ERR_CONFIG,
			       "the CA's terms of service must be accepted (accept_terms: true)%s%s",
			       c->dir.terms_of_service ? ": " : "",
			       c->dir.terms_of_service ? c->dir.terms_of_service : "");
	if (c->dir.eab_required && !c->eab_kid)
		return set_err(err, ACME_ERR_CONFIG,
			       "the CA requires an external account binding (key id and MAC key)");
	if (c->eab_kid && !(eab = eab_jws(c, err)))
		return -1;
	payload = acme_payload_new_account(c->email, true, false, eab);
	free(eab);
	if (!payload)
		return set_err(err, ACME_ERR_CONFIG, "account: unusable contact email \"%s\"",
			       c->email ? c->email : "");
send:
	rc = post(c, c->dir.new_account, payload, NULL, "newAccount", &r, err);
	free(payload);
	if (rc < 0)
		return only_existing && strcmp(err->problem_type,
			PROBLEM_PREFIX "accountDoesNotExist") == 0 ? 1 : -1;
	if (!r.location) {
		resp_free(&r);
		return set_err(err, ACME_ERR_PROTOCOL, "newAccount: no Location in the answer");
	}
	if (acme_parse_account(r.body ? r.body : "", r.len, &a, perr) < 0) {
		resp_free(&r);
		return set_err(err, ACME_ERR_PROTOCOL, "%s", perr);
	}
	if (a.status != ACME_STATUS_VALID) {
		set_err(err, ACME_ERR_CA, "account is %s", acme_status_name(a.status));
		acme_account_clear(&a);
		resp_free(&r);
		return -1;
	}
	acme_account_clear(&a);
	c->created = !only_existing && r.status == 201;
	c->kid = r.location;
	r.location = NULL;
	resp_free(&r);
	return 0;
}

int acme_client_account(struct acme_client *c, struct acme_error *err)
{
	return account(c, false, err);
}

int acme_client_find_account(struct acme_client *c, struct acme_error *err)
{
	return account(c, true, err);
}

/* ---- polling ---- */

/* Sleeps up to `ms` milliseconds, waking for cancel. */
static int nap(struct acme_client *c, int64_t ms, struct acme_error *err)
{
	for (int64_t slept = 0; slept < ms; slept += 50) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (cancelled(c))
			return set_err(err, ACME_ERR_CANCELLED, "cancelled");
		nanosleep(&ts, NULL);
	}
	return 0;
}

static int64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Waits before poll number `round` (0-based): Retry-After if given, else
 * 0.25, 0.5, 1, 2, 4, 8 s, then POLL_MAX_S; never past the deadline. A CA
 * that validates at once (most do, in well under a second) costs a
 * quarter of a second per poll instead of a whole one: that is what paces
 * 100 sequential orders, not the CA. */
static int poll_wait(struct acme_client *c, unsigned round, int64_t retry_after,
                     int64_t deadline, const char *what, struct acme_error *err)
{
	int64_t ms = retry_after >= 0 ? retry_after * 1000
		: round >= 6 ? POLL_MAX_S * 1000 : (int64_t)250 << round;

	if (ms > POLL_MAX_S * 1000 && retry_after < 0)
		ms = POLL_MAX_S * 1000;
	if (ms < 250)
		ms = 250;
	if (now_s() + (ms + 999) / 1000 > deadline) {
		err->retry_after = retry_after;
		return set_err(err, ACME_ERR_TIMEOUT, "%s: still not done after the "
			       "order's time limit (%s)", what, "order_timeout");
	}
	return nap(c, ms, err);
}

/* POST-as-GET of an order until it leaves `while_status`. */
static int poll_order(struct acme_client *c, const char *url,
                      enum acme_status while_status, struct acme_order *o,
                      int64_t deadline, struct acme_error *err)
{
	unsigned round;

	for (round = 0;; round++) {
		struct resp r;
		char perr[ACME_ERR_LEN];
		int64_t ra;

		if (post(c, url, NULL, NULL, "order", &r, err) < 0)
			return -1;
		acme_order_clear(o);
		ra = r.retry_after;
		if (acme_parse_order(r.body ? r.body : "", r.len, o, perr) < 0) {
			resp_free(&r);
			return set_err(err, ACME_ERR_PROTOCOL, "%s", perr);
		}
		resp_free(&r);
		if (o->status != while_status)
			return 0;
		if (poll_wait(c, round, ra, deadline, "order", err) < 0)
			return -1;
	}
}

/* ---- issuance ---- */

/* One authorization of the order, and what we provisioned for it. */
struct pending {
	char *url;
	struct acme_authz authz;
	const struct acme_challenge *ch;        /* in authz, may change */
	/* What was provisioned, kept for the REMOVE call whatever the CA
	 * answers afterwards. */
	char *name, *token, *key_auth, *http_path, *cert_pem, *key_pem;
	bool provisioned;
};

static void fill_info(const struct acme_client *c, const struct pending *p,
                      struct acme_challenge_info *info)
{
	memset(info, 0, sizeof(*info));
	info->type = c->challenge;
	info->name = p->name;
	info->token = p->token;
	info->key_authorization = p->key_auth;
	info->http_path = p->http_path;
	info->cert_pem = p->cert_pem;
	info->key_pem = p->key_pem;
}

static void pending_free(struct pending *p, size_t n, const struct acme_client *c,
                         acme_challenge_fn cb, void *arg)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i].provisioned) {
			struct acme_challenge_info info;

			fill_info(c, &p[i], &info);
			cb(arg, ACME_CHALLENGE_REMOVE, &info);
		}
		acme_authz_clear(&p[i].authz);
		free(p[i].url);
		free(p[i].name);
		free(p[i].token);
		free(p[i].key_auth);
		free(p[i].http_path);
		free(p[i].cert_pem);
		free(p[i].key_pem);
	}
	free(p);
}

static int fetch_authz(struct acme_client *c, struct pending *p,
                       struct acme_error *err, int64_t *retry_after)
{
	struct resp r;
	char perr[ACME_ERR_LEN];

	if (post(c, p->url, NULL, NULL, "authorization", &r, err) < 0)
		return -1;
	acme_authz_clear(&p->authz);
	p->ch = NULL;
	if (retry_after)
		*retry_after = r.retry_after;
	if (acme_parse_authz(r.body ? r.body : "", r.len, &p->authz, perr) < 0) {
		resp_free(&r);
		return set_err(err, ACME_ERR_PROTOCOL, "%s", perr);
	}
	resp_free(&r);
	return 0;
}

static const char *challenge_name(enum acme_challenge_type t)
{
	return t == ACME_CHALLENGE_HTTP_01 ? "http-01" : "tls-alpn-01";
}

/* Picks the challenge, builds what the callback needs, provisions it and
 * tells the CA to validate. */
static int start_challenge(struct acme_client *c, struct pending *p,
                           acme_challenge_fn cb, void *arg,
                           struct acme_error *err)
{
	struct acme_challenge_info info;
	struct resp r;
	char cerr[ACME_ERR_LEN];
	const char *type = challenge_name(c->challenge);

	p->ch = acme_authz_find(&p->authz, type);
	if (!p->ch || !p->ch->token)
		return set_err(err, ACME_ERR_CONFIG, "%s: the CA offers no %s challenge",
			       p->authz.identifier, type);
	p->key_auth = acme_key_authorization(p->ch->token, acme_key_thumbprint(c->key));
	p->name = strdup(p->authz.identifier);
	p->token = strdup(p->ch->token);
	if (!p->key_auth || !p->name || !p->token)
		return set_err(err, ACME_ERR_LOCAL, "out of memory");
	if (c->challenge == ACME_CHALLENGE_HTTP_01) {
		size_t n = strlen(p->ch->token) + 32;

		p->http_path = malloc(n);
		if (!p->http_path)
			return set_err(err, ACME_ERR_LOCAL, "out of memory");
		snprintf(p->http_path, n, "/.well-known/acme-challenge/%s", p->ch->token);
	} else if (acme_alpn_cert(p->authz.identifier, p->key_auth, &p->cert_pem,
				  &p->key_pem, cerr) < 0) {
		return set_err(err, ACME_ERR_LOCAL, "%s", cerr);
	}
	fill_info(c, p, &info);
	if (cb(arg, ACME_CHALLENGE_PROVISION, &info) != 0)
		return set_err(err, ACME_ERR_CALLBACK, "%s: the %s answer could not be put in place",
			       p->authz.identifier, type);
	p->provisioned = true;
	if (p->ch->status != ACME_STATUS_PENDING)
		return 0;       /* already being processed */
	if (post(c, p->ch->url, "{}", NULL, "challenge", &r, err) < 0)
		return -1;
	resp_free(&r);
	return 0;
}

/* Polls one started authorization until it is no longer pending. */
static int finish_authz(struct acme_client *c, struct pending *p,
                        int64_t deadline, struct acme_error *err)
{
	unsigned round;
	size_t i;

	for (round = 0;; round++) {
		int64_t ra = -1;

		if (fetch_authz(c, p, err, &ra) < 0)
			return -1;
		if (p->authz.status == ACME_STATUS_VALID) {
			p->ch = acme_authz_find(&p->authz, challenge_name(c->challenge));
			return 0;
		}
		if (p->authz.status != ACME_STATUS_PENDING)
			break;
		/* The CA may have dropped our challenge: nothing to wait for. */
		p->ch = acme_authz_find(&p->authz, challenge_name(c->challenge));
		if (!p->ch)
			return set_err(err, ACME_ERR_PROTOCOL, "%s: the challenge disappeared",
				       p->authz.identifier);
		if (poll_wait(c, round, ra, deadline, p->authz.identifier, err) < 0)
			return -1;
	}
	snprintf(err->name, sizeof(err->name), "%s", p->authz.identifier);
	for (i = 0; i < p->authz.n_challenges; i++) {
		const struct acme_challenge *ch = &p->authz.challenges[i];

		if (ch->has_error) {
			char doing[300];

			p->ch = ch;
			snprintf(doing, sizeof(doing), "%s %s", p->authz.identifier, ch->type);
			return set_problem(err, ACME_ERR_VALIDATION, doing, &ch->error, 0);
		}
	}
	p->ch = acme_authz_find(&p->authz, challenge_name(c->challenge));
	return set_err(err, ACME_ERR_VALIDATION, "%s: authorization is %s",
		       p->authz.identifier, acme_status_name(p->authz.status));
}

static void add_alternate(void *ctx, const char *url)
{
	struct acme_certificate *out = ctx;

	if (out->n_alternates < ACME_LINKS_MAX &&
	    (out->alternates[out->n_alternates] = strdup(url)))
		out->n_alternates++;
}

static int download(struct acme_client *c, const char *url,
                    const struct acme_key *ck, const char *const *names,
                    size_t n, struct acme_certificate *out,
                    struct acme_error *err)
{
	struct resp r;
	char cerr[ACME_ERR_LEN];
	size_t i;

	if (post(c, url, NULL, "application/pem-certificate-chain", "certificate",
		 &r, err) < 0)
		return -1;
	if (!r.body || acme_chain_check(r.body, r.len, ck, names, n, &out->not_after,
					cerr) < 0) {
		resp_free(&r);
		return set_err(err, ACME_ERR_PROTOCOL, "%s", r.body ? cerr :
			       "certificate: empty answer");
	}
	out->chain_pem = r.body;
	r.body = NULL;
	/* Other chains the CA offers (RFC 8555 section 7.4.2); a malformed
	 * Link header only loses the alternatives. */
	for (i = 0; i < r.n_links; i++)
		acme_parse_link(r.links[i], "alternate", add_alternate, out);
	out->url = strdup(url);
	out->ari_id = acme_cert_ari_id(out->chain_pem, strlen(out->chain_pem), cerr);
	resp_free(&r);
	if (!out->url)
		return set_err(err, ACME_ERR_LOCAL, "out of memory");
	return 0;
}

static int order_body(struct acme_client *c, const char *const *names, size_t n,
                      struct acme_key *ck, acme_challenge_fn cb, void *arg,
                      struct acme_certificate *out, struct acme_error *err)
{
	int64_t deadline = now_s() + c->order_s;
	struct acme_order o = { 0 };
	struct pending *p = NULL;
	struct resp r;
	char perr[ACME_ERR_LEN], *payload, *order_url = NULL;
	uint8_t *csr = NULL;
	size_t csr_len, i, np = 0;
	int rc = -1;

	payload = acme_payload_new_order(names, n);
	if (!payload)
		return set_err(err, ACME_ERR_LOCAL, "out of memory");
	rc = post(c, c->dir.new_order, payload, NULL, "newOrder", &r, err);
	free(payload);
	if (rc < 0)
		return -1;
	rc = -1;
	order_url = r.location;
	r.location = NULL;
	if (!order_url) {
		resp_free(&r);
		return set_err(err, ACME_ERR_PROTOCOL, "newOrder: no Location in the answer");
	}
	if (acme_parse_order(r.body ? r.body : "", r.len, &o, perr) < 0) {
		resp_free(&r);
		set_err(err, ACME_ERR_PROTOCOL, "%s", perr);
		goto out;
	}
	resp_free(&r);

	/* Authorizations: provision and start every pending one, then wait. */
	p = calloc(o.n_authz, sizeof(*p));
	if (!p) {
		set_err(err, ACME_ERR_LOCAL, "out of memory");
		goto out;
	}
	for (i = 0; i < o.n_authz; i++) {
		p[i].url = strdup(o.authorizations[i]);
		np = i + 1;
		if (!p[i].url) {
			set_err(err, ACME_ERR_LOCAL, "out of memory");
			goto out;
		}
		if (fetch_authz(c, &p[i], err, NULL) < 0)
			goto out;
		if (p[i].authz.status == ACME_STATUS_VALID)
			continue;
		if (p[i].authz.status != ACME_STATUS_PENDING) {
			snprintf(err->name, sizeof(err->name), "%s", p[i].authz.identifier);
			set_err(err, ACME_ERR_VALIDATION, "%s: authorization is %s",
				p[i].authz.identifier, acme_status_name(p[i].authz.status));
			goto out;
		}
		if (start_challenge(c, &p[i], cb, arg, err) < 0) {
			snprintf(err->name, sizeof(err->name), "%s", p[i].authz.identifier);
			goto out;
		}
	}
	for (i = 0; i < np; i++)
		if (p[i].provisioned && finish_authz(c, &p[i], deadline, err) < 0)
			goto out;

	if (poll_order(c, order_url, ACME_STATUS_PENDING, &o, deadline, err) < 0)
		goto out;
	if (o.status == ACME_STATUS_READY) {
		if (acme_csr(ck, names, n, &csr, &csr_len, perr) < 0) {
			set_err(err, ACME_ERR_LOCAL, "%s", perr);
			goto out;
		}
		payload = acme_payload_finalize(csr, csr_len);
		free(csr);
		if (!payload) {
			set_err(err, ACME_ERR_LOCAL, "out of memory");
			goto out;
		}
		rc = post(c, o.finalize, payload, NULL, "finalize", &r, err);
		free(payload);
		if (rc < 0)
			goto out;
		rc = -1;
		resp_free(&r);
		if (poll_order(c, order_url, ACME_STATUS_READY, &o, deadline, err) < 0 ||
		    (o.status == ACME_STATUS_PROCESSING &&
		     poll_order(c, order_url, ACME_STATUS_PROCESSING, &o, deadline, err) < 0))
			goto out;
	}
	if (o.status != ACME_STATUS_VALID) {
		if (o.has_error)
			set_problem(err, ACME_ERR_CA, "order", &o.error, 0);
		else
			set_err(err, ACME_ERR_CA, "order is %s", acme_status_name(o.status));
		goto out;
	}
	rc = download(c, o.certificate, ck, names, n, out, err);
out:
	if (p)
		pending_free(p, np, c, cb, arg);
	acme_order_clear(&o);
	free(order_url);
	return rc;
}

int acme_issue(struct acme_client *c, const char *const *names, size_t n,
               const char *cert_key_pem, acme_challenge_fn cb, void *cb_arg,
               struct acme_certificate *out, struct acme_error *err)
{
	struct acme_key *ck;
	char kerr[ACME_ERR_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	err_reset(err);
	if (n == 0 || n > ACME_AUTHZ_MAX)
		return set_err(err, ACME_ERR_CONFIG, "an order needs 1 to %d names",
			       ACME_AUTHZ_MAX);
	if (acme_client_account(c, err) < 0)
		return -1;
	ck = cert_key_pem ? acme_key_import(cert_key_pem, strlen(cert_key_pem), kerr)
		: acme_key_generate(kerr);
	if (!ck)
		return set_err(err, cert_key_pem ? ACME_ERR_CONFIG : ACME_ERR_LOCAL,
			       "certificate key: %s", kerr);
	rc = order_body(c, names, n, ck, cb, cb_arg, out, err);
	if (rc == 0 && !(out->key_pem = acme_key_export(ck)))
		rc = set_err(err, ACME_ERR_LOCAL, "out of memory");
	acme_key_free(ck);
	if (rc < 0)
		acme_certificate_clear(out);
	return rc;
}

char *acme_fetch_alternate(struct acme_client *c,
                           const struct acme_certificate *cert, size_t i,
                           const char *const *names, size_t n,
                           struct acme_error *err)
{
	struct acme_certificate alt = { 0 };
	struct acme_key *ck;
	char kerr[ACME_ERR_LEN], *pem = NULL;

	err_reset(err);
	if (i >= cert->n_alternates || !cert->key_pem) {
		set_err(err, ACME_ERR_CONFIG, "no alternative chain %zu", i);
		return NULL;
	}
	if (acme_client_account(c, err) < 0)
		return NULL;
	if (!(ck = acme_key_import(cert->key_pem, strlen(cert->key_pem), kerr))) {
		set_err(err, ACME_ERR_CONFIG, "certificate key: %s", kerr);
		return NULL;
	}
	if (download(c, cert->alternates[i], ck, names, n, &alt, err) == 0) {
		pem = alt.chain_pem;
		alt.chain_pem = NULL;
	}
	acme_certificate_clear(&alt);
	acme_key_free(ck);
	return pem;
}

int acme_renewal_info(struct acme_client *c, const char *cert_pem,
                      struct acme_renewal_info *out, int64_t *poll_after,
                      struct acme_error *err)
{
	struct resp r;
	char perr[ACME_ERR_LEN], *id, *url;
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	err_reset(err);
	*poll_after = 6 * 3600;
	if (directory(c, err) < 0)
		return -1;
	if (!c->dir.renewal_info)
		return 1;
	id = acme_cert_ari_id(cert_pem, strlen(cert_pem), perr);
	if (!id)
		return set_err(err, ACME_ERR_CONFIG, "renewal information: %s", perr);
	n = strlen(c->dir.renewal_info) + 1 + strlen(id) + 1;
	url = malloc(n);
	if (!url) {
		free(id);
		return set_err(err, ACME_ERR_LOCAL, "out of memory");
	}
	/* The renewalInfo URL with or without its trailing slash. */
	snprintf(url, n, "%s%s%s", c->dir.renewal_info,
		 c->dir.renewal_info[strlen(c->dir.renewal_info) - 1] == '/' ? "" : "/", id);
	free(id);
	resp_init(&r, c);
	if (http(c, url, false, NULL, NULL, &r, err) < 0)
		goto out;
	if (r.status != 200) {
		http_failure(&r, "renewal information", err);
		goto out;
	}
	if (acme_parse_renewal_info(r.body ? r.body : "", r.len, out, perr) < 0) {
		set_err(err, ACME_ERR_PROTOCOL, "%s", perr);
		goto out;
	}
	if (r.retry_after >= 0)
		*poll_after = r.retry_after;
	rc = 0;
out:
	resp_free(&r);
	free(url);
	return rc;
}
