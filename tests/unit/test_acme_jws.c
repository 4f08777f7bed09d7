/*
 * test_acme_jws: the canonical P-256 JWK and its RFC 7638 thumbprint
 * (expected values computed independently with Python's hashlib), key
 * authorizations, the tls-alpn-01 extension value, protected headers (jwk
 * or kid, with and without nonce), signing input, the flattened JWS and the
 * newAccount / newOrder / finalize payloads.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acme_jws.h"
#include "b64url.h"
#include "tap.h"

#define JWK "{\"crv\":\"P-256\",\"kty\":\"EC\"," \
	"\"x\":\"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA\"," \
	"\"y\":\"ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-P0A\"}"
#define THUMB "t1ZI8tOt77KZ9YepYcUiqtqXcpIYInMJhkFb6casAFo"

/* Decodes base64url text into a NUL-terminated string (freed by caller). */
static char *unb64(const char *b)
{
	size_t n, len = strlen(b);
	unsigned char *out = malloc(b64url_decoded_max(len) + 1);

	if (!out || b64url_decode(b, len, out, b64url_decoded_max(len), &n) < 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	return (char *)out;
}

static void test_jwk(void)
{
	uint8_t x[32], y[32];
	char thumb[44], *jwk, *ka;
	size_t i;

	for (i = 0; i < 32; i++) {
		x[i] = (uint8_t)(i + 1);
		y[i] = (uint8_t)(i + 33);
	}
	jwk = acme_jwk_p256(x, y);
	is_str(jwk, JWK, "canonical JWK");
	acme_jwk_thumbprint(jwk, thumb);
	is_str(thumb, THUMB, "RFC 7638 thumbprint");
	ka = acme_key_authorization("tok-EN_1", thumb);
	is_str(ka, "tok-EN_1." THUMB, "key authorization");
	free(ka);
	ok(acme_key_authorization("to.k", thumb) == NULL, "token with '.' refused");
	ok(acme_key_authorization("", thumb) == NULL, "empty token refused");
	free(jwk);
}

static void test_alpn(void)
{
	uint8_t ext[ACME_ALPN_EXT_LEN];
	static const uint8_t want[] = {
		0x04, 0x20,
		0xaa, 0x56, 0x1c, 0x60, 0xaa, 0xc9, 0xc3, 0xab, 0xa2, 0x6e, 0xde,
		0xe5, 0xfc, 0x43, 0x39, 0x96, 0x30, 0xf9, 0x97, 0x1c, 0x8c, 0xd4,
		0x1e, 0x34, 0xb2, 0x54, 0x7a, 0x79, 0xa5, 0xda, 0xda, 0x34,
	};

	acme_alpn_extension("tok.abc", ext);
	is_mem(ext, sizeof(ext), want, sizeof(want),
	       "acmeIdentifier value is OCTET STRING(SHA-256(key authorization))");
}

static void test_protected(void)
{
	char *p, *h;

	p = acme_jws_protected("ES256", JWK, NULL, "nonce1", "https://ca/new-acct");
	h = p ? unb64(p) : NULL;
	is_str(h, "{\"alg\":\"ES256\",\"jwk\":" JWK ",\"nonce\":\"nonce1\","
	       "\"url\":\"https://ca/new-acct\"}", "protected header with jwk");
	free(p);
	free(h);
	p = acme_jws_protected("ES256", NULL, "https://ca/acct/1", "n2", "https://ca/o");
	h = p ? unb64(p) : NULL;
	is_str(h, "{\"alg\":\"ES256\",\"kid\":\"https://ca/acct/1\",\"nonce\":\"n2\","
	       "\"url\":\"https://ca/o\"}", "protected header with kid");
	free(p);
	free(h);
	p = acme_jws_protected("HS256", NULL, "kid-1", NULL, "https://ca/new-acct");
	h = p ? unb64(p) : NULL;
	is_str(h, "{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"url\":\"https://ca/new-acct\"}",
	       "EAB protected header without nonce");
	free(p);
	free(h);
	ok(acme_jws_protected("ES256", JWK, "k", "n", "u") == NULL,
	   "jwk and kid together refused");
	ok(acme_jws_protected("ES256", "[1]", NULL, "n", "u") == NULL,
	   "a jwk that is not an object refused");
}

static void test_flattened(void)
{
	const uint8_t sig[] = { 0xfb, 0xff, 0xbf, 0x00 };
	char *in = acme_jws_signing_input("cHJvdA", "");
	char *f = acme_jws_flattened("cHJvdA", "", sig, sizeof(sig));
	char *e = acme_b64url_str("");

	is_str(in, "cHJvdA.", "signing input of POST-as-GET");
	is_str(f, "{\"protected\":\"cHJvdA\",\"payload\":\"\",\"signature\":\"-_-_AA\"}",
	       "flattened JWS");
	is_str(e, "", "empty payload encodes to \"\"");
	free(in);
	free(f);
	free(e);
}

static void test_payloads(void)
{
	const char *names[] = { "mta-sts.example.com", "mta-sts.example.org" };
	const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	char *p;

	p = acme_payload_new_account("ops@example.com", true, false, NULL);
	is_str(p, "{\"termsOfServiceAgreed\":true,\"contact\":[\"mailto:ops@example.com\"]}",
	       "newAccount payload");
	free(p);
	p = acme_payload_new_account(NULL, true, true, "{\"protected\":\"a\"}");
	is_str(p, "{\"termsOfServiceAgreed\":true,\"onlyReturnExisting\":true,"
	       "\"externalAccountBinding\":{\"protected\":\"a\"}}",
	       "newAccount payload, existing only, with EAB");
	free(p);
	ok(acme_payload_new_account("a b@example.com", true, false, NULL) == NULL,
	   "email with a space refused");
	ok(acme_payload_new_account("a@b,c@example.com", true, false, NULL) == NULL,
	   "email with ',' refused");
	ok(acme_payload_new_account("nobody", true, false, NULL) == NULL,
	   "email without '@' refused");
	p = acme_payload_new_order(names, 2);
	is_str(p, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"mta-sts.example.com\"},"
	       "{\"type\":\"dns\",\"value\":\"mta-sts.example.org\"}]}",
	       "newOrder payload");
	free(p);
	ok(acme_payload_new_order(names, 0) == NULL, "newOrder without names refused");
	p = acme_payload_finalize(der, sizeof(der));
	is_str(p, "{\"csr\":\"MAMCAQE\"}", "finalize payload");
	free(p);
}

int main(void)
{
	test_jwk();
	test_alpn();
	test_protected();
	test_flattened();
	test_payloads();
	return tap_done();
}
