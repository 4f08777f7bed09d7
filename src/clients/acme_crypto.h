/*
 * acme_crypto: the GnuTLS side of the ACME client: P-256 keys (generate,
 * PEM import/export, JWK), ES256 and HS256 signatures, CSRs, tls-alpn-01
 * challenge certificates (RFC 8737) and checks of an issued chain.
 *
 * A struct acme_key is owned by whoever created it and freed with
 * acme_key_free(). Functions returning char * or uint8_t * return malloc'ed
 * memory the caller frees (gnutls_free is free here: GnuTLS's default
 * allocator). Errors: -1 (or NULL) with a message in err.
 */
#ifndef STSD_ACME_CRYPTO_H
#define STSD_ACME_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "acme_msg.h"

struct acme_key;

/* A new ECDSA P-256 key. */
struct acme_key *acme_key_generate(char err[ACME_ERR_LEN]);
/* A PEM private key; only ECDSA P-256 is accepted (the JWS uses ES256). */
struct acme_key *acme_key_import(const char *pem, size_t len,
                                 char err[ACME_ERR_LEN]);
/* PKCS#8 PEM, unencrypted. */
char *acme_key_export(const struct acme_key *k);
void acme_key_free(struct acme_key *k);

/* Its canonical JWK (RFC 7638) and thumbprint; owned by the key. */
const char *acme_key_jwk(const struct acme_key *k);
const char *acme_key_thumbprint(const struct acme_key *k);

/* ES256: the raw r || s signature of SHA-256(data), 64 bytes. */
int acme_key_sign(const struct acme_key *k, const void *data, size_t len,
                  uint8_t sig[64], char err[ACME_ERR_LEN]);

/* HMAC-SHA-256 (External Account Binding). */
int acme_hmac_sha256(const void *key, size_t key_len, const void *data,
                     size_t len, uint8_t mac[32]);

/* A PKCS#10 request (DER) for names[0..n) as SAN dNSNames, CN names[0],
 * signed by k. */
int acme_csr(const struct acme_key *k, const char *const *names, size_t n,
             uint8_t **der, size_t *der_len, char err[ACME_ERR_LEN]);

/* A self-signed tls-alpn-01 certificate for `name` with its own new P-256
 * key: SAN dNSName name and the critical acmeIdentifier extension holding
 * SHA-256(key_authorization). Both PEM, caller frees. */
int acme_alpn_cert(const char *name, const char *key_authorization,
                   char **cert_pem, char **key_pem, char err[ACME_ERR_LEN]);

/*
 * An issued chain: PEM shape (acme_pem_chain_check), every certificate
 * parses, the leaf's public key is k's, the leaf covers every name, and
 * each certificate is signed by the next one. Sets *not_after to the leaf's
 * expiry.
 */
int acme_chain_check(const char *pem, size_t len, const struct acme_key *k,
                     const char *const *names, size_t n, int64_t *not_after,
                     char err[ACME_ERR_LEN]);

/* The ARI identifier (RFC 9773) of the first certificate in pem, or NULL
 * (message in err) when it has no Authority Key Identifier. */
char *acme_cert_ari_id(const char *pem, size_t len, char err[ACME_ERR_LEN]);

#endif
