/*
 * fuzz_acme_msg: every parser of what an ACME CA sends (acme_msg.c).
 *
 * Input: the first byte chooses the parser, the rest is the answer (a JSON
 * body, a header value or a PEM chain). Invariants (trap on violation):
 *  - success: every URL kept passes acme_url_check(), every kept string is
 *    printable, counts are within their caps, a valid order has a
 *    certificate URL, a renewal window ends after it starts; a nonce is
 *    base64url; a Retry-After delay is within 0..ACME_RETRY_AFTER_MAX; a
 *    PEM chain has 1..ACME_CHAIN_MAX blocks;
 *  - failure: a non-empty message, and the structure left cleared;
 *  - clearing twice is harmless (ASan would see a double free).
 */
#include "config.h"

#include "fuzz_common.h"
#include "acme_msg.h"
#include "b64url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s)
{
	if (!s)
		return;
	for (; *s; s++)
		CHECK((unsigned char)*s >= 0x20 && (unsigned char)*s != 0x7f);
}

static void check_url(const char *u, bool required)
{
	CHECK(u || !required);
	if (u)
		CHECK(acme_url_check(u) == NULL);
}

static void check_problem(const struct acme_problem *p)
{
	check_str(p->type);
	check_str(p->detail);
	CHECK(p->status == 0 || (p->status >= 100 && p->status <= 599));
}

static void check_challenge(const struct acme_challenge *c)
{
	CHECK(c->type && strlen(c->type) <= 64);
	check_str(c->type);
	check_url(c->url, true);
	CHECK(c->status != ACME_STATUS_UNKNOWN);
	if (c->token)
		CHECK(b64url_chars_ok(c->token, strlen(c->token)) &&
		      strlen(c->token) <= ACME_TOKEN_MAX);
	if (c->has_error)
		check_problem(&c->error);
}

static void link_cb(void *ctx, const char *url)
{
	CHECK(acme_url_check(url) == NULL);
	(*(int *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ACME_ERR_LEN] = "";
	const char *body;
	char *text;
	size_t len, i;
	int r;

	if (size < 1)
		return 0;
	body = (const char *)data + 1;
	len = size - 1;
	/* The header parsers take C strings, as curl hands them over. */
	text = fuzz_xmalloc(len + 1);
	memcpy(text, body, len);
	text[len] = '\0';

	switch (data[0] % 11) {
	case 0: {
		struct acme_directory d;

		r = acme_parse_directory(body, len, &d, err);
		if (r == 0) {
			check_url(d.new_nonce, true);
			check_url(d.new_account, true);
			check_url(d.new_order, true);
			check_url(d.revoke_cert, false);
			check_url(d.key_change, false);
			check_url(d.renewal_info, false);
			check_str(d.terms_of_service);
		} else {
			CHECK(d.new_nonce == NULL && d.new_order == NULL);
		}
		acme_directory_clear(&d);
		acme_directory_clear(&d);
		break;
	}
	case 1: {
		struct acme_account a;

		r = acme_parse_account(body, len, &a, err);
		if (r == 0) {
			CHECK(a.status != ACME_STATUS_UNKNOWN);
			check_url(a.orders, false);
		}
		acme_account_clear(&a);
		break;
	}
	case 2: {
		struct acme_order o;

		r = acme_parse_order(body, len, &o, err);
		if (r == 0) {
			CHECK(o.n_authz >= 1 && o.n_authz <= ACME_AUTHZ_MAX);
			for (i = 0; i < o.n_authz; i++)
				check_url(o.authorizations[i], true);
			check_url(o.finalize, true);
			check_url(o.certificate, o.status == ACME_STATUS_VALID);
			if (o.has_error)
				check_problem(&o.error);
		} else {
			CHECK(o.authorizations == NULL && o.finalize == NULL);
		}
		acme_order_clear(&o);
		acme_order_clear(&o);
		break;
	}
	case 3: {
		struct acme_authz a;

		r = acme_parse_authz(body, len, &a, err);
		if (r == 0) {
			CHECK(a.identifier && strlen(a.identifier) <= 253);
			check_str(a.identifier);
			CHECK(a.n_challenges <= ACME_CHALLENGES_MAX);
			for (i = 0; i < a.n_challenges; i++)
				check_challenge(&a.challenges[i]);
			if (a.n_challenges)
				CHECK(acme_authz_find(&a, a.challenges[0].type) ==
				      &a.challenges[0]);
		} else {
			CHECK(a.challenges == NULL && a.identifier == NULL);
		}
		acme_authz_clear(&a);
		break;
	}
	case 4: {
		struct acme_challenge c;

		r = acme_parse_challenge(body, len, &c, err);
		if (r == 0)
			check_challenge(&c);
		acme_challenge_clear(&c);
		break;
	}
	case 5: {
		struct acme_problem p;

		r = acme_parse_problem(body, len, &p, err);
		if (r == 0)
			check_problem(&p);
		acme_problem_clear(&p);
		break;
	}
	case 6: {
		struct acme_renewal_info ri;

		r = acme_parse_renewal_info(body, len, &ri, err);
		if (r == 0) {
			CHECK(ri.end > ri.start);
			check_str(ri.explanation_url);
		}
		acme_renewal_info_clear(&ri);
		break;
	}
	case 7: {
		int64_t d = -1;

		r = acme_parse_retry_after(text, 1700000000, &d);
		if (r == 0)
			CHECK(d >= 0 && d <= ACME_RETRY_AFTER_MAX);
		else
			strcpy(err, "x");
		break;
	}
	case 8: {
		char nonce[ACME_NONCE_MAX + 1];

		r = acme_parse_nonce(text, nonce);
		if (r == 0)
			CHECK(b64url_chars_ok(nonce, strlen(nonce)) &&
			      strlen(nonce) <= ACME_NONCE_MAX);
		else
			strcpy(err, "x");
		break;
	}
	case 9: {
		int n = 0, got;

		got = acme_parse_link(text, (data[0] & 0x80) ? "up" : "alternate",
				      link_cb, &n);
		CHECK(got == -1 || got == n);
		r = 0;
		break;
	}
	default: {
		size_t n = 99;

		r = acme_pem_chain_check(body, len, &n, err);
		if (r == 0)
			CHECK(n >= 1 && n <= ACME_CHAIN_MAX);
		else
			CHECK(n == 0);
		break;
	}
	}
	if (r != 0)
		CHECK(err[0] != '\0');
	free(text);
	return 0;
}
