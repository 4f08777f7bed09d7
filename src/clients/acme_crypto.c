/* acme_crypto: see acme_crypto.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "acme_crypto.h"
#include "acme_jws.h"

struct acme_key {
	gnutls_x509_privkey_t x509;
	gnutls_privkey_t priv;          /* refers to x509 */
	char *jwk;
	char thumb[44];
};

__attribute__((format(printf, 2, 3)))
static int fail(char err[ACME_ERR_LEN], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, ACME_ERR_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

/* A big-endian integer of any length as exactly 32 bytes (GnuTLS may add a
 * leading zero or drop leading zeros). */
static int fixed32(const gnutls_datum_t *d, uint8_t out[32])
{
	size_t skip = 0;

	while (d->size - skip > 32 && d->data[skip] == 0)
		skip++;
	if (d->size - skip > 32)
		return -1;
	memset(out, 0, 32);
	memcpy(out + 32 - (d->size - skip), d->data + skip, d->size - skip);
	return 0;
}

/* Checks the curve, fills priv, jwk and thumbprint. */
static struct acme_key *key_finish(gnutls_x509_privkey_t x, char err[ACME_ERR_LEN])
{
	struct acme_key *k = calloc(1, sizeof(*k));
	gnutls_ecc_curve_t curve;
	gnutls_datum_t dx = { 0 }, dy = { 0 }, dk = { 0 };
	uint8_t bx[32], by[32];
	int r;

	if (!k) {
		fail(err, "out of memory");
		goto bad;
	}
	k->x509 = x;
	if (gnutls_x509_privkey_get_pk_algorithm(x) != GNUTLS_PK_ECDSA) {
		fail(err, "the key is not an ECDSA key");
		goto bad;
	}
	r = gnutls_x509_privkey_export_ecc_raw(x, &curve, &dx, &dy, &dk);
	if (r < 0) {
		fail(err, "cannot read the key: %s", gnutls_strerror(r));
		goto bad;
	}
	if (curve != GNUTLS_ECC_CURVE_SECP256R1 || fixed32(&dx, bx) < 0 ||
	    fixed32(&dy, by) < 0) {
		fail(err, "the key is not on P-256");
		goto bad;
	}
	k->jwk = acme_jwk_p256(bx, by);
	if (!k->jwk) {
		fail(err, "out of memory");
		goto bad;
	}
	acme_jwk_thumbprint(k->jwk, k->thumb);
	if ((r = gnutls_privkey_init(&k->priv)) < 0 ||
	    (r = gnutls_privkey_import_x509(k->priv, x, 0)) < 0) {
		fail(err, "cannot use the key: %s", gnutls_strerror(r));
		goto bad;
	}
	gnutls_free(dx.data);
	gnutls_free(dy.data);
	gnutls_free(dk.data);
	return k;
bad:
	gnutls_free(dx.data);
	gnutls_free(dy.data);
	gnutls_free(dk.data);
	if (k) {
		k->x509 = NULL;
		acme_key_free(k);
	}
	gnutls_x509_privkey_deinit(x);
	return NULL;
}

struct acme_key *acme_key_generate(char err[ACME_ERR_LEN])
{
	gnutls_x509_privkey_t x;
	int r;

	if ((r = gnutls_x509_privkey_init(&x)) < 0) {
		fail(err, "cannot make a key: %s", gnutls_strerror(r));
		return NULL;
	}
	r = gnutls_x509_privkey_generate(x, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (r < 0) {
		gnutls_x509_privkey_deinit(x);
		fail(err, "cannot make a key: %s", gnutls_strerror(r));
		return NULL;
	}
	return key_finish(x, err);
}

struct acme_key *acme_key_import(const char *pem, size_t len,
                                 char err[ACME_ERR_LEN])
{
	gnutls_x509_privkey_t x;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem, (unsigned)len };
	int r;

	if (len > 64 * 1024) {
		fail(err, "key file is too large");
		return NULL;
	}
	if ((r = gnutls_x509_privkey_init(&x)) < 0) {
		fail(err, "cannot read the key: %s", gnutls_strerror(r));
		return NULL;
	}
	r = gnutls_x509_privkey_import2(x, &d, GNUTLS_X509_FMT_PEM, NULL,
					GNUTLS_PKCS_PLAIN);
	if (r < 0) {
		gnutls_x509_privkey_deinit(x);
		fail(err, "cannot read the key: %s", gnutls_strerror(r));
		return NULL;
	}
	return key_finish(x, err);
}

char *acme_key_export(const struct acme_key *k)
{
	gnutls_datum_t d = { 0 };
	char *out;

	if (gnutls_x509_privkey_export2_pkcs8(k->x509, GNUTLS_X509_FMT_PEM, NULL,
					      GNUTLS_PKCS_PLAIN, &d) < 0)
		return NULL;
	out = malloc(d.size + 1);
	if (out) {
		memcpy(out, d.data, d.size);
		out[d.size] = '\0';
	}
	gnutls_free(d.data);
	return out;
}

void acme_key_free(struct acme_key *k)
{
	if (!k)
		return;
	if (k->priv)
		gnutls_privkey_deinit(k->priv);
	if (k->x509)
		gnutls_x509_privkey_deinit(k->x509);
	free(k->jwk);
	free(k);
}

const char *acme_key_jwk(const struct acme_key *k)
{
	return k->jwk;
}

const char *acme_key_thumbprint(const struct acme_key *k)
{
	return k->thumb;
}

int acme_key_sign(const struct acme_key *k, const void *data, size_t len,
                  uint8_t sig[64], char err[ACME_ERR_LEN])
{
	gnutls_datum_t in = { (unsigned char *)(uintptr_t)data, (unsigned)len };
	gnutls_datum_t der = { 0 }, r = { 0 }, s = { 0 };
	int ret;

	ret = gnutls_privkey_sign_data(k->priv, GNUTLS_DIG_SHA256, 0, &in, &der);
	if (ret < 0)
		return fail(err, "cannot sign: %s", gnutls_strerror(ret));
	/* JWS wants r || s, each 32 bytes; GnuTLS gives an ECDSA-Sig-Value. */
	ret = gnutls_decode_rs_value(&der, &r, &s);
	gnutls_free(der.data);
	if (ret < 0)
		return fail(err, "cannot decode the signature: %s",
			    gnutls_strerror(ret));
	ret = fixed32(&r, sig) < 0 || fixed32(&s, sig + 32) < 0 ? -1 : 0;
	gnutls_free(r.data);
	gnutls_free(s.data);
	if (ret < 0)
		return fail(err, "signature values too large for P-256");
	return 0;
}

int acme_hmac_sha256(const void *key, size_t key_len, const void *data,
                     size_t len, uint8_t mac[32])
{
	return gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, key_len, data, len, mac) < 0
		? -1 : 0;
}

int acme_csr(const struct acme_key *k, const char *const *names, size_t n,
             uint8_t **der, size_t *der_len, char err[ACME_ERR_LEN])
{
	gnutls_x509_crq_t crq;
	gnutls_datum_t d = { 0 };
	size_t i;
	int r;

	*der = NULL;
	if (n == 0)
		return fail(err, "CSR without names");
	if ((r = gnutls_x509_crq_init(&crq)) < 0)
		return fail(err, "CSR: %s", gnutls_strerror(r));
	r = gnutls_x509_crq_set_version(crq, 1);
	/* A CN holds at most 64 characters; the SANs are what counts. */
	if (r >= 0 && strlen(names[0]) <= 64)
		r = gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME,
						  0, names[0], (unsigned)strlen(names[0]));
	for (i = 0; r >= 0 && i < n; i++)
		r = gnutls_x509_crq_set_subject_alt_name(crq, GNUTLS_SAN_DNSNAME,
			names[i], (unsigned)strlen(names[i]),
			i ? GNUTLS_FSAN_APPEND : GNUTLS_FSAN_SET);
	if (r >= 0)
		r = gnutls_x509_crq_set_key(crq, k->x509);
	if (r >= 0)
		r = gnutls_x509_crq_privkey_sign(crq, k->priv, GNUTLS_DIG_SHA256, 0);
	if (r >= 0)
		r = gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, &d);
	gnutls_x509_crq_deinit(crq);
	if (r < 0)
		return fail(err, "CSR: %s", gnutls_strerror(r));
	*der = d.data;
	*der_len = d.size;
	return 0;
}

static char *datum_str(gnutls_datum_t *d)
{
	char *s = malloc(d->size + 1);

	if (s) {
		memcpy(s, d->data, d->size);
		s[d->size] = '\0';
	}
	gnutls_free(d->data);
	d->data = NULL;
	return s;
}

int acme_alpn_cert(const char *name, const char *key_authorization,
                   char **cert_pem, char **key_pem, char err[ACME_ERR_LEN])
{
	struct acme_key *k;
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = { 0 };
	uint8_t ext[ACME_ALPN_EXT_LEN], serial[16];
	time_t now = time(NULL);
	int r;

	*cert_pem = *key_pem = NULL;
	if (!(k = acme_key_generate(err)))
		return -1;
	if ((r = gnutls_x509_crt_init(&crt)) < 0) {
		acme_key_free(k);
		return fail(err, "challenge certificate: %s", gnutls_strerror(r));
	}
	acme_alpn_extension(key_authorization, ext);
	r = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	serial[0] &= 0x7f;
	if (r >= 0)
		r = gnutls_x509_crt_set_version(crt, 3);
	if (r >= 0)
		r = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	if (r >= 0)
		r = gnutls_x509_crt_set_activation_time(crt, now - 86400);
	if (r >= 0)
		r = gnutls_x509_crt_set_expiration_time(crt, now + 7 * 86400);
	if (r >= 0)
		r = gnutls_x509_crt_set_key(crt, k->x509);
	if (r >= 0)
		r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
			name, (unsigned)strlen(name), GNUTLS_FSAN_SET);
	if (r >= 0)
		r = gnutls_x509_crt_set_extension_by_oid(crt, ACME_ALPN_OID, ext,
							 sizeof(ext), 1);
	if (r >= 0)
		r = gnutls_x509_crt_privkey_sign(crt, crt, k->priv,
						 GNUTLS_DIG_SHA256, 0);
	if (r >= 0)
		r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d);
	gnutls_x509_crt_deinit(crt);
	if (r < 0) {
		acme_key_free(k);
		return fail(err, "challenge certificate: %s", gnutls_strerror(r));
	}
	*cert_pem = datum_str(&d);
	*key_pem = acme_key_export(k);
	acme_key_free(k);
	if (!*cert_pem || !*key_pem) {
		free(*cert_pem);
		free(*key_pem);
		*cert_pem = *key_pem = NULL;
		return fail(err, "out of memory");
	}
	return 0;
}

int acme_chain_check(const char *pem, size_t len, const struct acme_key *k,
                     const char *const *names, size_t n, int64_t *not_after,
                     char err[ACME_ERR_LEN])
{
	gnutls_x509_crt_t *list = NULL;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem, (unsigned)len };
	unsigned count = 0, i, status;
	unsigned char id1[64], id2[64];
	size_t s1 = sizeof(id1), s2 = sizeof(id2), n_pem;
	int r, ret = -1;
	time_t exp;

	if (acme_pem_chain_check(pem, len, &n_pem, err) < 0)
		return -1;
	r = gnutls_x509_crt_list_import2(&list, &count, &d, GNUTLS_X509_FMT_PEM, 0);
	if (r < 0)
		return fail(err, "certificate chain: %s", gnutls_strerror(r));
	if (count != n_pem) {
		fail(err, "certificate chain: %u of %zu certificates parse", count, n_pem);
		goto out;
	}
	if ((r = gnutls_x509_crt_get_key_id(list[0], GNUTLS_KEYID_USE_SHA256, id1, &s1)) < 0 ||
	    (r = gnutls_x509_privkey_get_key_id(k->x509, GNUTLS_KEYID_USE_SHA256, id2, &s2)) < 0) {
		fail(err, "certificate chain: %s", gnutls_strerror(r));
		goto out;
	}
	if (s1 != s2 || memcmp(id1, id2, s1) != 0) {
		fail(err, "certificate chain: the certificate is not for our key");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!gnutls_x509_crt_check_hostname2(list[0], names[i], 0)) {
			fail(err, "certificate chain: the certificate does not "
			     "cover %.200s", names[i]);
			goto out;
		}
	for (i = 0; i + 1 < count; i++) {
		r = gnutls_x509_crt_verify(list[i], &list[i + 1], 1,
					   GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &status);
		if (r < 0 || status != 0) {
			fail(err, "certificate chain: certificate %u is not signed "
			     "by the next one", i + 1);
			goto out;
		}
	}
	exp = gnutls_x509_crt_get_expiration_time(list[0]);
	if (exp == (time_t)-1 || exp <= time(NULL)) {
		fail(err, "certificate chain: the certificate has already expired");
		goto out;
	}
	*not_after = (int64_t)exp;
	ret = 0;
out:
	for (i = 0; i < count; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	return ret;
}

char *acme_cert_ari_id(const char *pem, size_t len, char err[ACME_ERR_LEN])
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem, (unsigned)len };
	unsigned char aki[64], serial[64];
	size_t al = sizeof(aki), sl = sizeof(serial);
	unsigned critical;
	char *id = NULL;
	int r;

	if ((r = gnutls_x509_crt_init(&crt)) < 0) {
		fail(err, "%s", gnutls_strerror(r));
		return NULL;
	}
	r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
	if (r >= 0)
		r = gnutls_x509_crt_get_authority_key_id(crt, aki, &al, &critical);
	if (r >= 0)
		r = gnutls_x509_crt_get_serial(crt, serial, &sl);
	gnutls_x509_crt_deinit(crt);
	if (r < 0) {
		fail(err, "certificate: %s", gnutls_strerror(r));
		return NULL;
	}
	id = acme_ari_cert_id(aki, al, serial, sl);
	if (!id)
		fail(err, "certificate: no usable key identifier or serial");
	return id;
}
