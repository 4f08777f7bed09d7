/*
 * acme_jws: the JSON that an ACME client sends, without the cryptography
 * (pure). The signature bytes come from the caller (GnuTLS, in clients/).
 *
 *  - the ES256 JWK of a P-256 public key in RFC 7638 canonical form, its
 *    thumbprint and challenge key authorizations (RFC 8555 section 8.1);
 *  - a flattened JWS: protected header, payload, signing input, and the
 *    final {"protected","payload","signature"} object (section 6.2);
 *  - the payloads of newAccount (with an optional external account
 *    binding), newOrder and finalize;
 *  - the tls-alpn-01 acmeIdentifier extension value (RFC 8737 section 3).
 *
 * Every function returning char * returns a malloc'ed NUL-terminated
 * string the caller frees, or NULL when memory runs out or an input is
 * refused (documented per function).
 */
#ifndef STSD_ACME_JWS_H
#define STSD_ACME_JWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define ACME_P256_LEN 32

/* {"crv":"P-256","kty":"EC","x":"...","y":"..."}: the members in
 * lexicographic order without whitespace, as RFC 7638 hashes it. */
char *acme_jwk_p256(const uint8_t x[ACME_P256_LEN], const uint8_t y[ACME_P256_LEN]);

/* base64url(SHA-256(jwk)), jwk being canonical as above (43 characters). */
void acme_jwk_thumbprint(const char *jwk, char out[44]);

/* token "." thumbprint. NULL when token is not base64url or too long. */
char *acme_key_authorization(const char *token, const char *thumbprint);

/* The 34-byte DER OCTET STRING holding SHA-256(key authorization): the
 * value of the critical id-pe-acmeIdentifier extension (1.3.6.1.5.5.7.1.31)
 * of a tls-alpn-01 certificate. */
#define ACME_ALPN_EXT_LEN (2 + SHA256_DIGEST_LEN)
#define ACME_ALPN_OID "1.3.6.1.5.5.7.1.31"
void acme_alpn_extension(const char *key_authorization,
                         uint8_t out[ACME_ALPN_EXT_LEN]);

/*
 * base64url of the protected header {"alg","jwk"|"kid","nonce","url"}:
 * exactly one of jwk (a JSON object text) and kid (the account URL); nonce
 * may be NULL (the EAB inner JWS has none). NULL on a bad jwk.
 */
char *acme_jws_protected(const char *alg, const char *jwk, const char *kid,
                         const char *nonce, const char *url);

/* base64url of payload ("" for POST-as-GET: an empty payload). */
char *acme_b64url_str(const char *payload);

/* protected_b64 "." payload_b64: the bytes the signature covers. */
char *acme_jws_signing_input(const char *protected_b64, const char *payload_b64);

/* {"protected":..,"payload":..,"signature":base64url(sig)} */
char *acme_jws_flattened(const char *protected_b64, const char *payload_b64,
                         const uint8_t *sig, size_t sig_len);

/*
 * newAccount payload: {"termsOfServiceAgreed":terms, "contact":["mailto:"
 * email] (when email is not NULL), "onlyReturnExisting":true (when asked),
 * "externalAccountBinding": eab (a JWS object text, when not NULL)}.
 * NULL when the email has characters a mailto: URI may not carry
 * (controls, spaces, ',', '?', '%', no '@'), or eab is not JSON.
 */
char *acme_payload_new_account(const char *email, bool terms_agreed,
                               bool only_existing, const char *eab);

/* {"identifiers":[{"type":"dns","value":name}...]}; NULL when n == 0. */
char *acme_payload_new_order(const char *const *names, size_t n);

/* {"csr": base64url(der)} */
char *acme_payload_finalize(const uint8_t *csr_der, size_t len);

#endif
