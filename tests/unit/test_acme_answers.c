/*
 * test_acme_answers: the challenge tables the listeners read. http-01
 * (acme_http.c): a token in place is routed with its key authorization, any
 * other path or token is not, a bad token is refused, a slot taken down is
 * not reused at once (a request may still point at it), and the table has
 * a bound. tls-alpn-01 (tls_alpn.c): a challenge certificate goes in and
 * out, a bad one is refused, and new sessions offer acme-tls/1 exactly
 * while an answer is in place. The handshakes themselves are in
 * tests/integration/acme-daemon.sh (pebble validating against stsd).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "acme_crypto.h"
#include "acme_http.h"
#include "tap.h"
#include "tls_alpn.h"
#include "tls_internal.h"

static void test_http(void)
{
	const struct http_answer *a;
	char token[64];
	int i, put = 0;

	ok(acme_http_route(ACME_HTTP_PREFIX "abc") == NULL,
	   "http-01: nothing in place, nothing routed");
	is_int(acme_http_put("tok-EN_1", "tok-EN_1.thumb"), 0, "http-01: put");
	a = acme_http_route(ACME_HTTP_PREFIX "tok-EN_1");
	ok(a != NULL && a->status == MHD_HTTP_OK && a->len == 14,
	   "http-01: the token is answered 200 with the key authorization");
	ok(acme_http_route(ACME_HTTP_PREFIX "tok-EN_2") == NULL,
	   "http-01: another token is not");
	ok(acme_http_route("/.well-known/mta-sts.txt") == NULL,
	   "http-01: the policy path is not");
	ok(acme_http_route(ACME_HTTP_PREFIX "tok-EN_1/x") == NULL,
	   "http-01: a longer path is not");
	is_int(acme_http_put("../etc", "x"), -1, "http-01: a bad token is refused");
	is_int(acme_http_put("", "x"), -1, "http-01: an empty token is refused");
	acme_http_remove("tok-EN_1");
	ok(acme_http_route(ACME_HTTP_PREFIX "tok-EN_1") == NULL,
	   "http-01: taken down, no longer routed");
	ok(a->resp != NULL && a->status == MHD_HTTP_OK,
	   "http-01: a request holding the answer still sees it");
	for (i = 0; i < ACME_HTTP_SLOTS + 1; i++) {
		snprintf(token, sizeof(token), "t%d", i);
		put += acme_http_put(token, "k") == 0;
	}
	is_int(put, ACME_HTTP_SLOTS - 1,
	       "http-01: the table is bounded; a slot just taken down waits");
	acme_http_clear_all();
	ok(acme_http_route(ACME_HTTP_PREFIX "t0") == NULL, "http-01: cleared");
}

static int offers(void)
{
	gnutls_session_t s;
	int r;

	if (gnutls_init(&s, GNUTLS_SERVER) < 0)
		return -2;
	r = tls_alpn_offer(s);
	gnutls_deinit(s);
	return r;
}

static void test_alpn(void)
{
	char err[ACME_ERR_LEN], *cert = NULL, *key = NULL;
	struct tls_conn tc = { 0 };

	is_int(offers(), 1, "tls-alpn-01: no answer, http/1.1 alone");
	if (acme_alpn_cert("mta-sts.example.com", "tok.thumb", &cert, &key,
	                   err) != 0) {
		ok(0, "acme_alpn_cert: %s", err);
		return;
	}
	is_int(tls_alpn_put("mta-sts.example.com", cert, key), 0,
	       "tls-alpn-01: put");
	is_int(offers(), 0, "tls-alpn-01: an answer in place, acme-tls/1 offered");
	is_int(tls_alpn_put("mta-sts.example.com", cert, key), 0,
	       "tls-alpn-01: put again replaces");
	is_int(tls_alpn_put("mta-sts.example.net", "junk", key), -1,
	       "tls-alpn-01: a bad certificate is refused");
	tls_alpn_remove("mta-sts.example.com");
	is_int(offers(), 1, "tls-alpn-01: taken down, http/1.1 alone again");
	tls_conn_clear(&tc);
	ok(tc.acme == NULL, "tls_conn_clear on a connection without an answer");
	tls_alpn_clear_all();
	free(cert);
	free(key);
}

int main(void)
{
	test_http();
	test_alpn();
	return tap_done();
}
