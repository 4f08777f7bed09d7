/*
 * acme_msg: parsers of what an ACME CA (RFC 8555) answers, and of the ACME
 * Renewal Information extension (RFC 9773). Pure: bytes in, structures out.
 *
 * Every answer is hostile input: bodies over ACME_MSG_MAX, duplicate keys,
 * nesting, wrong types, over-long or non-printable strings, URLs that are
 * not https:, tokens outside base64url, too many authorizations or
 * challenges are all refused with a message in `err` (ACME_ERR_LEN bytes,
 * suitable after "error: "), never a crash. Unknown members are ignored
 * (the RFC requires it).
 *
 * Ownership: each parse function fills a caller-owned structure whose
 * strings and arrays it allocates; the matching *_clear() frees them and
 * zeroes the structure (safe on a zeroed or already cleared one). On
 * failure the structure is left cleared.
 */
#ifndef STSD_ACME_MSG_H
#define STSD_ACME_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACME_MSG_MAX (256 * 1024)   /* a JSON body, in bytes */
#define ACME_URL_MAX 2048
#define ACME_TOKEN_MAX 256          /* a challenge token */
#define ACME_NONCE_MAX 256
#define ACME_STR_MAX 1024           /* other strings kept (problem detail) */
#define ACME_AUTHZ_MAX 1000         /* authorizations in one order */
#define ACME_CHALLENGES_MAX 16      /* challenges in one authorization */
#define ACME_LINKS_MAX 8            /* Link URLs kept per relation */
#define ACME_ERR_LEN 256

enum acme_status {
	ACME_STATUS_UNKNOWN = 0,    /* absent or not one of the below */
	ACME_STATUS_PENDING,
	ACME_STATUS_READY,
	ACME_STATUS_PROCESSING,
	ACME_STATUS_VALID,
	ACME_STATUS_INVALID,
	ACME_STATUS_REVOKED,
	ACME_STATUS_DEACTIVATED,
	ACME_STATUS_EXPIRED,
};

const char *acme_status_name(enum acme_status s);

/* An RFC 7807 problem document (RFC 8555 section 6.7). */
struct acme_problem {
	char *type;         /* e.g. "urn:ietf:params:acme:error:badNonce"; NULL if absent */
	char *detail;       /* NULL if absent; the first subproblem is appended */
	int status;         /* HTTP status in the document, 0 if absent */
};

struct acme_directory {
	char *new_nonce, *new_account, *new_order;     /* required */
	char *revoke_cert, *key_change;                /* optional, NULL */
	char *renewal_info;                            /* RFC 9773, optional */
	char *terms_of_service;                        /* meta, optional */
	bool eab_required;                             /* meta.externalAccountRequired */
};

struct acme_account {
	enum acme_status status;
	char *orders;                                   /* optional */
};

struct acme_order {
	enum acme_status status;
	char **authorizations;      /* n_authz https URLs */
	size_t n_authz;
	char *finalize;             /* required */
	char *certificate;          /* once valid */
	struct acme_problem error;  /* when the CA says why it failed */
	bool has_error;
};

struct acme_challenge {
	char *type;                 /* "http-01", "tls-alpn-01", ... */
	char *url;
	char *token;                /* NULL for types without one */
	enum acme_status status;
	struct acme_problem error;
	bool has_error;
};

struct acme_authz {
	char *identifier;           /* the dns identifier's value */
	enum acme_status status;
	bool wildcard;
	struct acme_challenge *challenges;
	size_t n_challenges;
};

/* RFC 9773 suggestedWindow, as seconds since the epoch (UTC). */
struct acme_renewal_info {
	int64_t start, end;
	char *explanation_url;      /* optional */
};

/* Each returns 0, or -1 with a message in err. `body` need not be
 * NUL-terminated. */
int acme_parse_problem(const char *body, size_t len, struct acme_problem *out,
                       char err[ACME_ERR_LEN]);
int acme_parse_directory(const char *body, size_t len,
                         struct acme_directory *out, char err[ACME_ERR_LEN]);
int acme_parse_account(const char *body, size_t len, struct acme_account *out,
                       char err[ACME_ERR_LEN]);
int acme_parse_order(const char *body, size_t len, struct acme_order *out,
                     char err[ACME_ERR_LEN]);
int acme_parse_authz(const char *body, size_t len, struct acme_authz *out,
                     char err[ACME_ERR_LEN]);
int acme_parse_challenge(const char *body, size_t len,
                         struct acme_challenge *out, char err[ACME_ERR_LEN]);
int acme_parse_renewal_info(const char *body, size_t len,
                            struct acme_renewal_info *out,
                            char err[ACME_ERR_LEN]);

void acme_problem_clear(struct acme_problem *p);
void acme_directory_clear(struct acme_directory *d);
void acme_account_clear(struct acme_account *a);
void acme_order_clear(struct acme_order *o);
void acme_challenge_clear(struct acme_challenge *c);
void acme_authz_clear(struct acme_authz *a);
void acme_renewal_info_clear(struct acme_renewal_info *r);

/* The challenge of `type` in a, or NULL. */
const struct acme_challenge *acme_authz_find(const struct acme_authz *a,
                                             const char *type);

/* ---- headers (values as received, without the name and the CRLF) ---- */

/*
 * Retry-After: delay-seconds or an IMF-fixdate HTTP-date (RFC 9110 section
 * 10.2.3; the obsolete date forms are refused). Sets *delay to the seconds
 * from `now` (a date in the past gives 0), capped at ACME_RETRY_AFTER_MAX.
 * Returns 0, or -1 when the value is neither.
 */
#define ACME_RETRY_AFTER_MAX (7 * 86400)
int acme_parse_retry_after(const char *value, int64_t now, int64_t *delay);

/* Replay-Nonce: base64url, 1..ACME_NONCE_MAX characters (surrounding
 * blanks ignored). Copies it to out and returns 0, or returns -1. */
int acme_parse_nonce(const char *value, char out[ACME_NONCE_MAX + 1]);

/*
 * One Link header value ("<url>; rel=\"up\", <url2>;rel=alternate"): calls
 * found() for each https URL whose rel list contains `rel` (case-insensitive).
 * Returns the number of matches, or -1 when the value is malformed (then no
 * callback has been made for the malformed part).
 */
int acme_parse_link(const char *value, const char *rel,
                    void (*found)(void *ctx, const char *url), void *ctx);

/* An RFC 3339 date-time ("2025-01-02T03:04:05Z", fractions and offsets
 * allowed) as seconds since the epoch. Returns 0, or -1. */
int acme_parse_rfc3339(const char *s, int64_t *out);

/* An https URL as ACME may hand out: "https://" + host, printable ASCII
 * without spaces, at most ACME_URL_MAX. NULL or a message. */
const char *acme_url_check(const char *url);

/*
 * The ARI certificate identifier (RFC 9773 section 4.1):
 * base64url(keyIdentifier of the Authority Key Identifier) "."
 * base64url(serial), the serial as its DER INTEGER content bytes (leading
 * zero octets removed, one added back when the high bit is set). Returns a
 * malloc'ed string, or NULL when an input is empty or over 64 bytes.
 */
char *acme_ari_cert_id(const unsigned char *aki, size_t aki_len,
                       const unsigned char *serial, size_t serial_len);

/*
 * A certificate chain as the CA sends it (application/pem-certificate-chain):
 * only "CERTIFICATE" PEM blocks, 1..ACME_CHAIN_MAX of them, each body valid
 * base64 of at most ACME_CERT_MAX bytes, nothing but blank space between.
 * Sets *n_certs. 0, or -1 with a message. The DER itself is checked by the
 * caller's X.509 library.
 */
#define ACME_CHAIN_MAX 10
#define ACME_CERT_MAX (32 * 1024)
int acme_pem_chain_check(const char *pem, size_t len, size_t *n_certs,
                         char err[ACME_ERR_LEN]);

#endif
