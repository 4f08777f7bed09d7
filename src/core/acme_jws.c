/* acme_jws: see acme_jws.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acme_jws.h"
#include "b64url.h"

static char *b64url_alloc(const void *data, size_t len)
{
	char *out = malloc(b64url_encoded_len(len) + 1);

	if (out)
		b64url_encode(data, len, out);
	return out;
}

char *acme_jwk_p256(const uint8_t x[ACME_P256_LEN], const uint8_t y[ACME_P256_LEN])
{
	char bx[44], by[44];
	static const char fmt[] = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}";
	size_t n = sizeof(fmt) + 2 * 44;
	char *out = malloc(n);

	if (!out)
		return NULL;
	b64url_encode(x, ACME_P256_LEN, bx);
	b64url_encode(y, ACME_P256_LEN, by);
	snprintf(out, n, fmt, bx, by);
	return out;
}

void acme_jwk_thumbprint(const char *jwk, char out[44])
{
	uint8_t d[SHA256_DIGEST_LEN];

	sha256(jwk, strlen(jwk), d);
	b64url_encode(d, sizeof(d), out);
}

char *acme_key_authorization(const char *token, const char *thumbprint)
{
	size_t tl = strlen(token), hl = strlen(thumbprint);
	char *out;

	if (tl > 256 || !b64url_chars_ok(token, tl) ||
	    !b64url_chars_ok(thumbprint, hl))
		return NULL;
	out = malloc(tl + 1 + hl + 1);
	if (!out)
		return NULL;
	memcpy(out, token, tl);
	out[tl] = '.';
	memcpy(out + tl + 1, thumbprint, hl + 1);
	return out;
}

void acme_alpn_extension(const char *key_authorization,
                         uint8_t out[ACME_ALPN_EXT_LEN])
{
	out[0] = 0x04;                  /* OCTET STRING */
	out[1] = SHA256_DIGEST_LEN;
	sha256(key_authorization, strlen(key_authorization), out + 2);
}

/* Serialises obj compactly (members in insertion order), then frees it. */
static char *dump(json_t *obj)
{
	char *s;

	if (!obj)
		return NULL;
	s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	return s;
}

/* json_dumps output is freed with free() (jansson's default allocator). */
char *acme_jws_protected(const char *alg, const char *jwk, const char *kid,
                         const char *nonce, const char *url)
{
	json_t *h = json_object(), *k = NULL;
	char *text, *out;

	if (!h || (jwk == NULL) == (kid == NULL))
		goto bad;
	if (json_object_set_new(h, "alg", json_string(alg)) < 0)
		goto bad;
	if (jwk) {
		k = json_loads(jwk, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(k) || json_object_set_new(h, "jwk", k) < 0)
			goto bad;
		k = NULL;
	} else if (json_object_set_new(h, "kid", json_string(kid)) < 0) {
		goto bad;
	}
	if (nonce && json_object_set_new(h, "nonce", json_string(nonce)) < 0)
		goto bad;
	if (json_object_set_new(h, "url", json_string(url)) < 0)
		goto bad;
	text = dump(h);
	if (!text)
		return NULL;
	out = b64url_alloc(text, strlen(text));
	free(text);
	return out;
bad:
	json_decref(k);
	json_decref(h);
	return NULL;
}

char *acme_b64url_str(const char *payload)
{
	return b64url_alloc(payload, strlen(payload));
}

char *acme_jws_signing_input(const char *protected_b64, const char *payload_b64)
{
	size_t a = strlen(protected_b64), b = strlen(payload_b64);
	char *out = malloc(a + 1 + b + 1);

	if (!out)
		return NULL;
	memcpy(out, protected_b64, a);
	out[a] = '.';
	memcpy(out + a + 1, payload_b64, b + 1);
	return out;
}

char *acme_jws_flattened(const char *protected_b64, const char *payload_b64,
                         const uint8_t *sig, size_t sig_len)
{
	json_t *o = json_object();
	char *s = b64url_alloc(sig, sig_len);

	if (!o || !s ||
	    json_object_set_new(o, "protected", json_string(protected_b64)) < 0 ||
	    json_object_set_new(o, "payload", json_string(payload_b64)) < 0 ||
	    json_object_set_new(o, "signature", json_string(s)) < 0) {
		free(s);
		json_decref(o);
		return NULL;
	}
	free(s);
	return dump(o);
}

static bool email_ok(const char *e)
{
	const char *at = strchr(e, '@');
	size_t i;

	if (!at || at == e || !at[1] || strchr(at + 1, '@') || strlen(e) > 254)
		return false;
	for (i = 0; e[i]; i++) {
		unsigned char c = (unsigned char)e[i];

		if (c <= 0x20 || c >= 0x7f || c == ',' || c == '?' || c == '%' ||
		    c == '<' || c == '>' || c == '"')
			return false;
	}
	return true;
}

char *acme_payload_new_account(const char *email, bool terms_agreed,
                               bool only_existing, const char *eab)
{
	json_t *o = json_object(), *contact;
	char uri[300];

	if (!o)
		return NULL;
	if (json_object_set_new(o, "termsOfServiceAgreed",
				json_boolean(terms_agreed)) < 0)
		goto bad;
	if (email) {
		if (!email_ok(email))
			goto bad;
		snprintf(uri, sizeof(uri), "mailto:%s", email);
		contact = json_array();
		if (!contact || json_array_append_new(contact, json_string(uri)) < 0 ||
		    json_object_set_new(o, "contact", contact) < 0)
			goto bad;
	}
	if (only_existing &&
	    json_object_set_new(o, "onlyReturnExisting", json_true()) < 0)
		goto bad;
	if (eab) {
		json_t *e = json_loads(eab, JSON_REJECT_DUPLICATES, NULL);

		if (!json_is_object(e) ||
		    json_object_set_new(o, "externalAccountBinding", e) < 0) {
			json_decref(e);
			goto bad;
		}
	}
	return dump(o);
bad:
	json_decref(o);
	return NULL;
}

char *acme_payload_new_order(const char *const *names, size_t n)
{
	json_t *o = json_object(), *ids = json_array();
	size_t i;

	if (!o || !ids || n == 0)
		goto bad;
	for (i = 0; i < n; i++) {
		json_t *id = json_pack("{s:s,s:s}", "type", "dns", "value", names[i]);

		if (!id || json_array_append_new(ids, id) < 0)
			goto bad;
	}
	if (json_object_set_new(o, "identifiers", ids) < 0) {
		ids = NULL;
		goto bad;
	}
	return dump(o);
bad:
	json_decref(ids);
	json_decref(o);
	return NULL;
}

char *acme_payload_finalize(const uint8_t *csr_der, size_t len)
{
	char *b = b64url_alloc(csr_der, len);
	json_t *o;

	if (!b)
		return NULL;
	o = json_pack("{s:s}", "csr", b);
	free(b);
	return dump(o);
}
