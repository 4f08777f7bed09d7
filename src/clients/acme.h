/*
 * acme: an ACME client (RFC 8555) for the daemon's certificate thread.
 *
 * One struct acme_client per CA account. Every call blocks (HTTPS with
 * libcurl) but each request has a connect and a total timeout, polling has
 * an overall deadline, and an optional cancel flag stops the call within
 * about 100 ms. A client is used by one thread at a time; several clients
 * may run in parallel. Call acme_global_init() once from main() before any
 * thread starts (libcurl's global set-up is not thread-safe).
 *
 * Flow of acme_issue(): directory -> newNonce -> newAccount (only the first
 * time) -> newOrder -> authorizations -> for each pending one the configured
 * challenge is provisioned through the caller's callback and answered ->
 * polling (Retry-After honoured, else 1, 2, 4 .. 10 s) -> finalize with a
 * CSR -> polling -> the chain (PEM) is downloaded and checked (it is for
 * our key, it covers every name, each certificate is signed by the next).
 * badNonce is retried once with the fresh nonce.
 *
 * Ownership: the client copies what it needs from struct acme_config; the
 * caller frees what it passes in. Results in struct acme_certificate are
 * malloc'ed and freed by acme_certificate_clear().
 */
#ifndef STSD_ACME_H
#define STSD_ACME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acme_msg.h"

enum acme_challenge_type {
	ACME_CHALLENGE_TLS_ALPN_01,     /* RFC 8737: "acme-tls/1" on port 443 */
	ACME_CHALLENGE_HTTP_01,         /* RFC 8555 8.3: port 80 */
};

struct acme_config {
	const char *directory_url;      /* https:// */
	const char *ca_file;            /* extra trust anchors (PEM) for the
	                                   CA's own HTTPS, added to the system
	                                   store (/etc/ssl/certs); or NULL */
	const char *email;              /* account contact, or NULL */
	bool accept_terms;              /* required to create an account */
	const char *eab_kid;            /* External Account Binding, or NULL */
	const char *eab_hmac_key;       /* base64url MAC key, with eab_kid */
	enum acme_challenge_type challenge;
	long connect_timeout_ms;        /* 0: 10 000 */
	long request_timeout_ms;        /* 0: 30 000; each HTTP request */
	long order_timeout_s;           /* 0: 600; all polling of one order */
	const atomic_bool *cancel;      /* optional: true -> ACME_ERR_CANCELLED */
};

enum acme_error_kind {
	ACME_OK = 0,
	ACME_ERR_CONFIG,        /* our side: bad URL, terms not accepted, EAB
	                           required, key unusable, challenge not offered */
	ACME_ERR_NETWORK,       /* DNS, connect, TLS (e.g. untrusted CA cert) */
	ACME_ERR_TIMEOUT,       /* a request, or the order's deadline */
	ACME_ERR_PROTOCOL,      /* the CA's answer is malformed or too large */
	ACME_ERR_CA,            /* the CA refused: see problem_type */
	ACME_ERR_VALIDATION,    /* a challenge failed (problem from the CA) */
	ACME_ERR_CALLBACK,      /* the challenge callback returned non-zero */
	ACME_ERR_LOCAL,         /* memory, key or CSR generation */
	ACME_ERR_CANCELLED,
};

struct acme_error {
	enum acme_error_kind kind;
	char message[512];      /* one line, for logs and the status page */
	char problem_type[128]; /* the CA's problem type, e.g.
	                           "urn:ietf:params:acme:error:rateLimited";
	                           "" when there is none */
	char name[254];         /* the identifier concerned, or "" */
	int http_status;        /* of the failing answer, 0 when none */
	int64_t retry_after;    /* seconds the CA asked us to wait, -1 none */
};

const char *acme_error_kind_name(enum acme_error_kind k);

/*
 * Seconds to wait before trying again after `e`, for the attempt-th
 * consecutive failure (1, 2, ...): the CA's Retry-After when it sent one
 * (at least 60 s), else exponential from 5 min (network, timeout,
 * protocol) or 1 h (rateLimited, other refusals, validation), capped at
 * 1 day; configuration errors wait 1 day. Pure.
 */
int64_t acme_error_backoff(const struct acme_error *e, unsigned attempt);

/* What the callback must put in place (or take down). Strings are valid
 * only during the call; copy them. */
struct acme_challenge_info {
	enum acme_challenge_type type;
	const char *name;               /* the identifier, e.g. mta-sts.example.com */
	const char *token;              /* base64url */
	const char *key_authorization;  /* token "." thumbprint */
	/* http-01: serve key_authorization as text/plain at this path of
	 * http://name:80 (the path is "/.well-known/acme-challenge/" token) */
	const char *http_path;
	/* tls-alpn-01: present this self-signed certificate (with the critical
	 * acmeIdentifier extension) and key to a ClientHello with SNI `name`
	 * and ALPN "acme-tls/1", negotiating "acme-tls/1" */
	const char *cert_pem, *key_pem;
};

enum acme_challenge_op { ACME_CHALLENGE_PROVISION, ACME_CHALLENGE_REMOVE };

/*
 * Called with PROVISION before the client tells the CA to validate; it
 * must return 0 once the answer is live (or non-zero to abort the order:
 * ACME_ERR_CALLBACK). Every successful PROVISION gets exactly one REMOVE,
 * on success and on every failure path, before acme_issue() returns; the
 * REMOVE's return value is ignored. Runs on the calling thread.
 */
typedef int (*acme_challenge_fn)(void *arg, enum acme_challenge_op op,
                                 const struct acme_challenge_info *ch);

struct acme_certificate {
	char *chain_pem;        /* leaf first, as the CA sent it */
	char *key_pem;          /* the certificate's private key (PKCS#8) */
	char *url;              /* the certificate's URL at the CA */
	char *ari_id;           /* RFC 9773 identifier, NULL without AKI */
	int64_t not_after;      /* the leaf's expiry, seconds since the epoch */
	/* URLs of alternative chains (Link rel="alternate"), for a caller
	 * that prefers another root: see acme_fetch_alternate() */
	char *alternates[ACME_LINKS_MAX];
	size_t n_alternates;
};

void acme_certificate_clear(struct acme_certificate *c);

struct acme_client;

/* Once per process, before threads. 0, or -1 when libcurl cannot start. */
int acme_global_init(void);
void acme_global_cleanup(void);

/* No network yet. account_key_pem: the stored account key (P-256 PEM),
 * or NULL to make a new one (save it: acme_client_account_key_pem()). */
struct acme_client *acme_client_new(const struct acme_config *cfg,
                                    const char *account_key_pem,
                                    struct acme_error *err);
void acme_client_free(struct acme_client *c);

/* The account key as PKCS#8 PEM (malloc'ed), for the state directory. */
char *acme_client_account_key_pem(const struct acme_client *c);

/* Directory, nonce and newAccount (creates the account or finds the
 * existing one for this key). Done by acme_issue() when needed. */
int acme_client_account(struct acme_client *c, struct acme_error *err);
/* The same with onlyReturnExisting: never creates an account (nor needs
 * accept_terms or EAB). 0: found (the client now uses it), 1: the CA knows
 * no account for this key, -1: error. */
int acme_client_find_account(struct acme_client *c, struct acme_error *err);
/* After acme_client_account(): the account URL, and whether this call
 * created it (false: the CA already knew the key). */
const char *acme_client_account_url(const struct acme_client *c);
bool acme_client_account_created(const struct acme_client *c);

/*
 * Orders one certificate for names[0..n) (dNSNames, already normalised).
 * cert_key_pem: a P-256 key to reuse, or NULL for a new one. On success
 * fills *out and returns 0; on failure returns -1 with *err filled and
 * *out zeroed.
 */
int acme_issue(struct acme_client *c, const char *const *names, size_t n,
               const char *cert_key_pem, acme_challenge_fn cb, void *cb_arg,
               struct acme_certificate *out, struct acme_error *err);

/*
 * Downloads and checks (as acme_issue() does) the alternative chain at
 * cert->alternates[i] for the certificate in *cert, obtained for
 * names[0..n). Returns a malloc'ed PEM chain, or NULL with *err.
 */
char *acme_fetch_alternate(struct acme_client *c,
                           const struct acme_certificate *cert, size_t i,
                           const char *const *names, size_t n,
                           struct acme_error *err);

/*
 * RFC 9773: the CA's suggested renewal window for a certificate it issued.
 * Returns 1 when the CA has no renewalInfo (use two thirds of the lifetime),
 * 0 with *out filled (and *poll_after: seconds before asking again, from
 * Retry-After, default 6 h), or -1 with *err.
 */
int acme_renewal_info(struct acme_client *c, const char *cert_pem,
                      struct acme_renewal_info *out, int64_t *poll_after,
                      struct acme_error *err);

#endif
