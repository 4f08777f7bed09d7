/*
 * test_acme_crypto: the GnuTLS side of the ACME client, checked with
 * GnuTLS itself: key export/import round trip and the JWK's coordinates,
 * non-P-256 and garbage keys refused, ES256 signatures (r || s) that verify
 * and fail on other data, HMAC-SHA-256 (RFC 4231 case 2), the CSR (SANs,
 * self-signature, our key), the tls-alpn-01 certificate (critical
 * acmeIdentifier with SHA-256 of the key authorization, SAN), chain checks
 * (good, another key, a missing name, wrong order, expired), the ARI
 * identifier of a certificate, and acme_error_backoff().
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "acme.h"
#include "acme_crypto.h"
#include "acme_jws.h"
#include "b64url.h"
#include "tap.h"

static char err[ACME_ERR_LEN];

static gnutls_x509_privkey_t x509_of(const char *pem)
{
	gnutls_x509_privkey_t x;
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)strlen(pem) };

	gnutls_x509_privkey_init(&x);
	if (gnutls_x509_privkey_import2(x, &d, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
		gnutls_x509_privkey_deinit(x);
		return NULL;
	}
	return x;
}

static void test_keys(void)
{
	struct acme_key *k = acme_key_generate(err), *k2;
	char *pem, *jwk_x;
	gnutls_x509_privkey_t x, p384;
	gnutls_datum_t dx = { 0 }, dy = { 0 }, dk = { 0 }, out = { 0 };
	gnutls_ecc_curve_t curve;
	char bx[64];

	ok(k != NULL, "key generated");
	pem = acme_key_export(k);
	ok(pem && strstr(pem, "-----BEGIN PRIVATE KEY-----"), "exported as PKCS#8 PEM");
	k2 = acme_key_import(pem, strlen(pem), err);
	ok(k2 != NULL, "imported back");
	is_str(k2 ? acme_key_jwk(k2) : NULL, acme_key_jwk(k), "same JWK after the round trip");
	is_str(k2 ? acme_key_thumbprint(k2) : NULL, acme_key_thumbprint(k), "same thumbprint");
	is_int(strlen(acme_key_thumbprint(k)), 43, "thumbprint is 43 characters");

	/* The JWK's x is the key's own x coordinate. */
	x = x509_of(pem);
	gnutls_x509_privkey_export_ecc_raw(x, &curve, &dx, &dy, &dk);
	{
		const unsigned char *p = dx.data;
		size_t n = dx.size;

		while (n > 32 && *p == 0) {
			p++;
			n--;
		}
		b64url_encode(p, n, bx);
	}
	jwk_x = strstr(acme_key_jwk(k), "\"x\":\"");
	ok(jwk_x && strlen(bx) == 43 && strncmp(jwk_x + 5, bx, 43) == 0 &&
	   jwk_x[5 + 43] == '"', "JWK x is the key's x");
	gnutls_free(dx.data);
	gnutls_free(dy.data);
	gnutls_free(dk.data);
	gnutls_x509_privkey_deinit(x);

	gnutls_x509_privkey_init(&p384);
	gnutls_x509_privkey_generate(p384, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1), 0);
	gnutls_x509_privkey_export2_pkcs8(p384, GNUTLS_X509_FMT_PEM, NULL,
					  GNUTLS_PKCS_PLAIN, &out);
	gnutls_x509_privkey_deinit(p384);
	ok(acme_key_import((char *)out.data, out.size, err) == NULL, "P-384 key refused");
	is_str(err, "the key is not on P-256", "its message");
	gnutls_free(out.data);
	ok(acme_key_import("garbage", 7, err) == NULL, "garbage refused");
	ok(strncmp(err, "cannot read the key: ", 21) == 0, "its message: %s", err);
	free(pem);
	acme_key_free(k);
	acme_key_free(k2);
}

static void test_sign_hmac(void)
{
	struct acme_key *k = acme_key_generate(err);
	char *pem = acme_key_export(k);
	gnutls_x509_privkey_t x = x509_of(pem);
	gnutls_privkey_t priv;
	gnutls_pubkey_t pub;
	uint8_t sig[64], mac[32];
	gnutls_datum_t r = { sig, 32 }, s = { sig + 32, 32 }, der = { 0 };
	gnutls_datum_t data = { (unsigned char *)"eyJhbGciOiJFUzI1NiJ9.e30", 24 };
	gnutls_datum_t other = { (unsigned char *)"eyJhbGciOiJFUzI1NiJ9.e31", 24 };
	static const uint8_t want_mac[] = {
		0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
		0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
		0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
	};

	is_int(acme_key_sign(k, data.data, data.size, sig, err), 0, "ES256 signature made");
	gnutls_privkey_init(&priv);
	gnutls_privkey_import_x509(priv, x, 0);
	gnutls_pubkey_init(&pub);
	gnutls_pubkey_import_privkey(pub, priv, 0, 0);
	gnutls_encode_rs_value(&der, &r, &s);
	is_int(gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_ECDSA_SHA256, 0, &data, &der), 0,
	       "r || s, re-encoded as DER, verifies with the public key");
	ok(gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_ECDSA_SHA256, 0, &other, &der) < 0,
	   "and fails on other data");
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(priv);
	gnutls_x509_privkey_deinit(x);
	free(pem);
	acme_key_free(k);

	is_int(acme_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac), 0, "HMAC");
	is_mem(mac, sizeof(mac), want_mac, sizeof(want_mac), "HMAC-SHA-256, RFC 4231 case 2");
}

static void test_csr(void)
{
	struct acme_key *k = acme_key_generate(err);
	const char *names[] = { "mta-sts.example.com", "mta-sts.example.org" };
	gnutls_x509_crq_t crq;
	uint8_t *der = NULL;
	size_t len = 0;
	char san[256];
	size_t san_len;
	unsigned type, i;
	unsigned char id1[64], id2[64];
	size_t s1 = sizeof(id1), s2 = sizeof(id2);
	char *pem = acme_key_export(k);
	gnutls_x509_privkey_t x = x509_of(pem);
	gnutls_datum_t d;
	bool sans_ok = true;

	is_int(acme_csr(k, names, 2, &der, &len, err), 0, "CSR made");
	d.data = der;
	d.size = (unsigned)len;
	gnutls_x509_crq_init(&crq);
	is_int(gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_DER), 0, "CSR is DER PKCS#10");
	ok(gnutls_x509_crq_verify(crq, 0) >= 0, "its self-signature verifies");
	for (i = 0; i < 2; i++) {
		san_len = sizeof(san);
		if (gnutls_x509_crq_get_subject_alt_name(crq, i, san, &san_len, &type, NULL) < 0 ||
		    type != GNUTLS_SAN_DNSNAME || strcmp(san, names[i]) != 0)
			sans_ok = false;
	}
	san_len = sizeof(san);
	ok(sans_ok && gnutls_x509_crq_get_subject_alt_name(crq, 2, san, &san_len, &type, NULL) < 0,
	   "exactly the two names as dNSName SANs");
	gnutls_x509_crq_get_key_id(crq, GNUTLS_KEYID_USE_SHA256, id1, &s1);
	gnutls_x509_privkey_get_key_id(x, GNUTLS_KEYID_USE_SHA256, id2, &s2);
	is_mem(id1, s1, id2, s2, "CSR carries our key");
	gnutls_x509_crq_deinit(crq);
	gnutls_x509_privkey_deinit(x);
	gnutls_free(der);
	free(pem);
	is_int(acme_csr(k, names, 0, &der, &len, err), -1, "CSR without names refused");
	acme_key_free(k);
}

static void test_alpn(void)
{
	char *cert = NULL, *key = NULL, san[256];
	size_t san_len = sizeof(san);
	unsigned critical = 0, type;
	gnutls_x509_crt_t crt;
	gnutls_datum_t d, ext = { 0 };
	uint8_t want[ACME_ALPN_EXT_LEN];
	const char *ka = "tok_1.t1ZI8tOt77KZ9YepYcUiqtqXcpIYInMJhkFb6casAFo";

	is_int(acme_alpn_cert("mta-sts.example.com", ka, &cert, &key, err), 0,
	       "tls-alpn-01 certificate made");
	gnutls_x509_crt_init(&crt);
	d.data = (unsigned char *)cert;
	d.size = (unsigned)strlen(cert);
	is_int(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0, "it is a PEM certificate");
	is_int(gnutls_x509_crt_get_extension_by_oid2(crt, ACME_ALPN_OID, 0, &ext, &critical), 0,
	       "it has the acmeIdentifier extension");
	ok(critical == 1, "marked critical");
	acme_alpn_extension(ka, want);
	is_mem(ext.data, ext.size, want, sizeof(want),
	       "holding SHA-256 of the key authorization");
	gnutls_free(ext.data);
	ok(gnutls_x509_crt_get_subject_alt_name2(crt, 0, san, &san_len, &type, NULL) >= 0 &&
	   type == GNUTLS_SAN_DNSNAME && strcmp(san, "mta-sts.example.com") == 0,
	   "its SAN is the name");
	{
		struct acme_key *k = acme_key_import(key, strlen(key), err);
		unsigned char id1[64], id2[64];
		size_t s1 = sizeof(id1), s2 = sizeof(id2);
		gnutls_x509_privkey_t x = x509_of(key);

		ok(k != NULL, "its key is a P-256 PEM key");
		gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, id1, &s1);
		gnutls_x509_privkey_get_key_id(x, GNUTLS_KEYID_USE_SHA256, id2, &s2);
		is_mem(id1, s1, id2, s2, "the certificate is for that key");
		gnutls_x509_privkey_deinit(x);
		acme_key_free(k);
	}
	gnutls_x509_crt_deinit(crt);
	free(cert);
	free(key);
}

/* A certificate for `subject` (names may be NULL for a CA), signed by
 * issuer (NULL: self-signed). Returns PEM (malloc'ed). */
static char *make_cert(gnutls_x509_privkey_t subject, gnutls_x509_crt_t issuer,
                       gnutls_x509_privkey_t issuer_key, const char *name,
                       bool ca, time_t not_after, gnutls_x509_crt_t *keep)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t out = { 0 };
	static unsigned char serial = 1;
	unsigned char ser[2] = { 0x80, 0 };
	unsigned char keyid[20];
	size_t kl = sizeof(keyid);
	char *pem;

	ser[1] = serial++;
	gnutls_x509_crt_init(&crt);
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, ser, 2);
	gnutls_x509_crt_set_activation_time(crt, time(NULL) - 3600);
	gnutls_x509_crt_set_expiration_time(crt, not_after);
	gnutls_x509_crt_set_key(crt, subject);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
				      ca ? "Test CA" : name, ca ? 7 : (unsigned)strlen(name));
	if (ca) {
		gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
		gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN);
	} else {
		gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
						     (unsigned)strlen(name), GNUTLS_FSAN_SET);
	}
	gnutls_x509_privkey_get_key_id(issuer_key, 0, keyid, &kl);
	gnutls_x509_crt_set_authority_key_id(crt, keyid, kl);
	gnutls_x509_crt_sign2(crt, issuer ? issuer : crt, issuer_key, GNUTLS_DIG_SHA256, 0);
	gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out);
	pem = malloc(out.size + 1);
	memcpy(pem, out.data, out.size);
	pem[out.size] = '\0';
	gnutls_free(out.data);
	if (keep)
		*keep = crt;
	else
		gnutls_x509_crt_deinit(crt);
	return pem;
}

static char *cat(const char *a, const char *b)
{
	char *s = malloc(strlen(a) + strlen(b) + 1);

	strcpy(s, a);
	strcat(s, b);
	return s;
}

static void test_chain(void)
{
	struct acme_key *k = acme_key_generate(err), *other = acme_key_generate(err);
	char *kpem = acme_key_export(k), *opem = acme_key_export(other);
	gnutls_x509_privkey_t ca_key, leaf_key = x509_of(kpem), other_key = x509_of(opem);
	gnutls_x509_crt_t ca;
	const char *names[] = { "mta-sts.example.com" };
	const char *two[] = { "mta-sts.example.com", "mta-sts.example.org" };
	time_t year = time(NULL) + 365 * 86400;
	char *ca_pem, *leaf, *chain, *wrong, *bad_order, *expired, *exp_chain, *id;
	unsigned char keyid[20];
	size_t kl = sizeof(keyid);
	char want_id[64];
	int64_t not_after = 0;

	gnutls_x509_privkey_init(&ca_key);
	gnutls_x509_privkey_generate(ca_key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	ca_pem = make_cert(ca_key, NULL, ca_key, NULL, true, year, &ca);
	leaf = make_cert(leaf_key, ca, ca_key, "mta-sts.example.com", false, year, NULL);
	chain = cat(leaf, ca_pem);
	is_int(acme_chain_check(chain, strlen(chain), k, names, 1, &not_after, err), 0,
	       "good chain accepted");
	is_int(not_after, year, "its expiry");
	is_int(acme_chain_check(chain, strlen(chain), other, names, 1, &not_after, err), -1,
	       "chain for another key refused");
	is_str(err, "certificate chain: the certificate is not for our key", "its message");
	is_int(acme_chain_check(chain, strlen(chain), k, two, 2, &not_after, err), -1,
	       "chain missing a name refused");
	is_str(err, "certificate chain: the certificate does not cover mta-sts.example.org",
	       "its message");
	bad_order = cat(ca_pem, leaf);
	is_int(acme_chain_check(bad_order, strlen(bad_order), k, names, 1, &not_after, err), -1,
	       "CA first refused");
	is_str(err, "certificate chain: the certificate is not for our key", "(the first one is the leaf)");
	wrong = make_cert(leaf_key, NULL, other_key, "mta-sts.example.com", false, year, NULL);
	free(chain);
	chain = cat(wrong, ca_pem);
	is_int(acme_chain_check(chain, strlen(chain), k, names, 1, &not_after, err), -1,
	       "leaf not signed by the next certificate refused");
	is_str(err, "certificate chain: certificate 1 is not signed by the next one", "its message");
	expired = make_cert(leaf_key, ca, ca_key, "mta-sts.example.com", false,
			    time(NULL) - 60, NULL);
	exp_chain = cat(expired, ca_pem);
	is_int(acme_chain_check(exp_chain, strlen(exp_chain), k, names, 1, &not_after, err), -1,
	       "expired leaf refused");
	is_str(err, "certificate chain: the certificate has already expired", "its message");

	/* ARI: base64url(AKI) "." base64url(serial 0x00 0x80 0x02), as the
	 * leaf was the second certificate made (serial 80 02). */
	id = acme_cert_ari_id(leaf, strlen(leaf), err);
	gnutls_x509_privkey_get_key_id(ca_key, 0, keyid, &kl);
	b64url_encode(keyid, kl, want_id);
	strcat(want_id, ".AIAC");
	is_str(id, want_id, "ARI identifier of the leaf");
	free(id);

	free(ca_pem);
	free(leaf);
	free(chain);
	free(wrong);
	free(bad_order);
	free(expired);
	free(exp_chain);
	free(kpem);
	free(opem);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(ca_key);
	gnutls_x509_privkey_deinit(leaf_key);
	gnutls_x509_privkey_deinit(other_key);
	acme_key_free(k);
	acme_key_free(other);
}

static void test_backoff(void)
{
	struct acme_error e;

	memset(&e, 0, sizeof(e));
	e.retry_after = 10;
	e.kind = ACME_ERR_CA;
	is_int(acme_error_backoff(&e, 1), 60, "Retry-After under a minute: 60 s");
	e.retry_after = 7200;
	is_int(acme_error_backoff(&e, 5), 7200, "Retry-After wins over the attempt count");
	e.retry_after = -1;
	e.kind = ACME_ERR_NETWORK;
	is_int(acme_error_backoff(&e, 1), 300, "network, first failure: 5 min");
	is_int(acme_error_backoff(&e, 3), 1200, "network, third failure: 20 min");
	is_int(acme_error_backoff(&e, 40), 86400, "capped at a day");
	e.kind = ACME_ERR_CA;
	is_int(acme_error_backoff(&e, 1), 3600, "CA refusal: 1 h");
	e.kind = ACME_ERR_CONFIG;
	is_int(acme_error_backoff(&e, 1), 86400, "configuration error: a day");
	is_str(acme_error_kind_name(ACME_ERR_VALIDATION), "validation", "kind names");
}

int main(void)
{
	test_keys();
	test_sign_hmac();
	test_csr();
	test_alpn();
	test_chain();
	test_backoff();
	return tap_done();
}
