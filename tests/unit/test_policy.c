/*
 * test_policy: field parsing at every boundary, the canonical body byte for
 * byte, the derived id (against values computed independently), mx dedupe
 * and policy_clear.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "tap.h"

/* RFC 8461 / spec section 5.8: 93 bytes. */
#define CANONICAL \
	"version: STSv1\r\n" \
	"mode: enforce\r\n" \
	"mx: mx1.example.com\r\n" \
	"mx: *.mail.example.net\r\n" \
	"max_age: 604800\r\n"

/*
 * Computed independently with python3:
 *   import hashlib
 *   d = hashlib.sha256(body).digest()
 *   print(int.from_bytes(d[:8], "big") % 10**15)
 */
#define CANONICAL_ID "343571230062778"
/* The same body with "mode: testing". */
#define TESTING_ID "264460731175495"
/* "version: STSv1\r\nmode: none\r\nmx: mx134.example.com\r\n"
 * "max_age: 86400\r\n": a value below 10^13, so 13 digits, no padding. */
#define SHORT_ID_BODY \
	"version: STSv1\r\nmode: none\r\nmx: mx134.example.com\r\n" \
	"max_age: 86400\r\n"
#define SHORT_ID "7952381293216"

#define MAX_AGE_BIG "max_age is larger than 31557600 " \
	"(one year, the RFC 8461 maximum)"

static void max_age_ok(const char *s, uint32_t want)
{
	uint32_t v = 12345;

	is_str(policy_max_age_parse(s, &v), NULL, "max_age \"%s\" accepted", s);
	is_int(v, want, "max_age \"%s\" is %u", s, want);
}

static void max_age_bad(const char *s, const char *want)
{
	uint32_t v = 12345;

	is_str(policy_max_age_parse(s, &v), want, "max_age \"%s\" refused",
	       s ? s : "(null)");
	is_int(v, 12345, "max_age \"%s\": output untouched", s ? s : "(null)");
}

static void test_max_age(void)
{
	max_age_ok("0", 0);
	max_age_ok("1", 1);
	max_age_ok("86400", 86400);
	max_age_ok("604800", 604800);
	max_age_ok("31557600", 31557600);

	max_age_bad("31557601", MAX_AGE_BIG);
	max_age_bad("99999999", MAX_AGE_BIG);
	max_age_bad("4294967295", MAX_AGE_BIG);
	max_age_bad("4294967296", MAX_AGE_BIG);    /* wraps in 32 bits */
	max_age_bad("18446744073709551617", MAX_AGE_BIG);
	max_age_bad("10000000000", MAX_AGE_BIG);   /* 11 digits */
	max_age_bad("-1", "max_age must be a plain number of seconds, "
		    "without a sign");
	max_age_bad("+5", "max_age must be a plain number of seconds, "
		    "without a sign");
	max_age_bad(" 5", "max_age must not contain spaces");
	max_age_bad("5 ", "max_age must not contain spaces");
	max_age_bad("5\t", "max_age must not contain spaces");
	max_age_bad("", "max_age is empty; give a number of seconds, "
		    "e.g. 604800");
	max_age_bad(NULL, "max_age is empty; give a number of seconds, "
		    "e.g. 604800");
	max_age_bad("1e3", "max_age must be a whole number of seconds "
		    "(digits only)");
	max_age_bad("0x10", "max_age must be a whole number of seconds "
		    "(digits only)");
	max_age_bad("1.5", "max_age must be a whole number of seconds "
		    "(digits only)");
	max_age_bad("0604800", "max_age must not have leading zeros");
	max_age_bad("00", "max_age must not have leading zeros");
}

static void test_mode(void)
{
	enum policy_mode m = POLICY_MODE_NONE;

	is_str(policy_mode_parse("enforce", &m), NULL, "mode enforce");
	is_int(m, POLICY_MODE_ENFORCE, "enforce parsed");
	is_str(policy_mode_parse("testing", &m), NULL, "mode testing");
	is_int(m, POLICY_MODE_TESTING, "testing parsed");
	is_str(policy_mode_parse("none", &m), NULL, "mode none");
	is_int(m, POLICY_MODE_NONE, "none parsed");

	m = POLICY_MODE_TESTING;
	is_str(policy_mode_parse("Enforce", &m),
	       "mode must be written in lowercase (enforce, testing or none)",
	       "mode is case-sensitive");
	is_str(policy_mode_parse("enforced", &m),
	       "unknown mode; use enforce, testing or none", "unknown mode");
	is_str(policy_mode_parse(" enforce", &m),
	       "unknown mode; use enforce, testing or none", "leading space");
	is_str(policy_mode_parse("", &m),
	       "mode is empty; use enforce, testing or none", "empty mode");
	is_int(m, POLICY_MODE_TESTING, "refused mode leaves output untouched");

	is_str(policy_mode_name(POLICY_MODE_ENFORCE), "enforce", "name enforce");
	is_str(policy_mode_name(POLICY_MODE_TESTING), "testing", "name testing");
	is_str(policy_mode_name(POLICY_MODE_NONE), "none", "name none");
}

static void test_id(void)
{
	const char *id32 = "abcdefghijABCDEFGHIJ012345678901";
	const char *id33 = "abcdefghijABCDEFGHIJ0123456789012";

	ok(strlen(id32) == 32 && strlen(id33) == 33, "id fixtures");
	is_str(policy_id_check("1"), NULL, "1-char id");
	is_str(policy_id_check("20240101T000000"), NULL, "letters and digits");
	is_str(policy_id_check(id32), NULL, "32-char id");
	is_str(policy_id_check(id33), "id is longer than 32 characters",
	       "33-char id");
	is_str(policy_id_check(""), "id is empty", "empty id");
	is_str(policy_id_check(NULL), "id is empty", "NULL id");
	is_str(policy_id_check("a-b"),
	       "id may contain only letters and digits (A-Z, a-z, 0-9)",
	       "'-' in id");
	is_str(policy_id_check("a b"),
	       "id may contain only letters and digits (A-Z, a-z, 0-9)",
	       "space in id");
	is_str(policy_id_check("a;"),
	       "id may contain only letters and digits (A-Z, a-z, 0-9)",
	       "';' in id");
	is_str(policy_id_check("\xc3\xa9"),
	       "id may contain only letters and digits (A-Z, a-z, 0-9)",
	       "non-ASCII id");
}

static struct policy canonical_policy(void)
{
	struct policy p;

	memset(&p, 0, sizeof(p));
	p.domain = strdup("example.com");
	p.mode = POLICY_MODE_ENFORCE;
	p.max_age = 604800;
	return p;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static void test_render(void)
{
	struct policy p = canonical_policy();
	char *body_before;

	is_int(policy_add_mx(&p, "mx1.example.com"), 1, "add mx1");
	is_int(policy_add_mx(&p, "*.mail.example.net"), 1, "add wildcard");
	is_int(policy_add_mx(&p, "mx1.example.com"), 0, "duplicate mx");
	is_int(policy_add_mx(&p, "*.mail.example.net"), 0, "duplicate wildcard");
	is_int(p.n_mx, 2, "two mx after dedupe");
	is_str(p.mx[0], "mx1.example.com", "configured order kept (0)");
	is_str(p.mx[1], "*.mail.example.net", "configured order kept (1)");

	is_int(policy_render(&p), 0, "render");
	is_int(p.body_len, 93, "canonical body is 93 bytes");
	is_mem(p.body, p.body_len, CANONICAL, sizeof(CANONICAL) - 1,
	       "canonical body byte for byte");
	is_str(p.id, CANONICAL_ID, "derived id (python3 hashlib)");
	ok(all_digits(p.id) && strlen(p.id) <= POLICY_DERIVED_ID_DIGITS,
	   "derived id is 1..15 digits");

	/* Rendering again gives the same bytes and id, and does not leak. */
	body_before = strdup(p.body);
	is_int(policy_render(&p), 0, "render again");
	is_mem(p.body, p.body_len, body_before, strlen(body_before),
	       "same body");
	is_str(p.id, CANONICAL_ID, "same id");
	free(body_before);

	p.mode = POLICY_MODE_TESTING;
	is_int(policy_render(&p), 0, "render testing");
	is_str(p.id, TESTING_ID, "one changed field changes the id");

	/* An explicit id is left alone. */
	p.id_explicit = true;
	strcpy(p.id, "myid1");
	p.mode = POLICY_MODE_ENFORCE;
	is_int(policy_render(&p), 0, "render with explicit id");
	is_str(p.id, "myid1", "explicit id kept");
	is_mem(p.body, p.body_len, CANONICAL, sizeof(CANONICAL) - 1,
	       "explicit id does not change the body");

	policy_clear(&p);
	ok(p.domain == NULL && p.mx == NULL && p.n_mx == 0 &&
	   p.body == NULL && p.body_len == 0 && p.id[0] == '\0' &&
	   !p.id_explicit, "policy_clear zeroes");
	policy_clear(&p);       /* twice is fine */
	policy_clear(NULL);
}

static void test_render_edges(void)
{
	struct policy p;
	static const char none_body[] =
		"version: STSv1\r\nmode: none\r\nmax_age: 0\r\n";
	static const char max_body[] =
		"version: STSv1\r\nmode: testing\r\nmx: a.example\r\n"
		"max_age: 31557600\r\n";

	memset(&p, 0, sizeof(p));
	p.mode = POLICY_MODE_NONE;
	p.max_age = 0;
	is_int(policy_render(&p), 0, "render with no mx");
	is_mem(p.body, p.body_len, none_body, sizeof(none_body) - 1,
	       "no mx lines, max_age 0");
	policy_clear(&p);

	p.mode = POLICY_MODE_TESTING;
	p.max_age = POLICY_MAX_AGE_MAX;
	policy_add_mx(&p, "a.example");
	p.tls_rpt = calloc(2, sizeof(char *));
	if (p.tls_rpt) {
		p.tls_rpt[0] = strdup("mailto:a@example.com");
		p.tls_rpt[1] = strdup("https://r.example.com/x");
		p.n_tls_rpt = 2;
	}
	is_int(policy_render(&p), 0, "render with tls_rpt set");
	is_mem(p.body, p.body_len, max_body, sizeof(max_body) - 1,
	       "max_age 31557600, tls_rpt not in the body");
	policy_clear(&p);       /* valgrind/ASan: frees tls_rpt too */
}

static void test_derive_id(void)
{
	char id[POLICY_DERIVED_ID_DIGITS + 1], id2[POLICY_DERIVED_ID_DIGITS + 1];
	char body[] = CANONICAL;
	size_t i, changed = 0, well_formed = 0;

	policy_derive_id(CANONICAL, sizeof(CANONICAL) - 1, id);
	is_str(id, CANONICAL_ID, "derive_id of the canonical body");
	policy_derive_id(SHORT_ID_BODY, sizeof(SHORT_ID_BODY) - 1, id);
	is_str(id, SHORT_ID, "a small value is written without leading zeros");

	/* Changing any single byte changes the id. */
	policy_derive_id(body, sizeof(body) - 1, id);
	for (i = 0; i < sizeof(body) - 1; i++) {
		body[i] ^= 1;
		policy_derive_id(body, sizeof(body) - 1, id2);
		body[i] ^= 1;
		changed += strcmp(id, id2) != 0;
		well_formed += all_digits(id2) && strlen(id2) <= 15 &&
			       (id2[0] != '0' || id2[1] == '\0');
	}
	is_int(changed, sizeof(body) - 1, "every one-byte change changes the id");
	is_int(well_formed, sizeof(body) - 1,
	       "every id is 1..15 digits without leading zeros");
	policy_derive_id(body, sizeof(body) - 2, id2);
	ok(strcmp(id, id2) != 0, "dropping the last byte changes the id");
}

static void test_wildcard_domain(void)
{
	ok(policy_mx_is_domain_wildcard("*.example.com", "example.com"),
	   "*.example.com on example.com");
	ok(!policy_mx_is_domain_wildcard("*.mail.example.com", "example.com"),
	   "*.mail.example.com is narrower");
	ok(!policy_mx_is_domain_wildcard("mx.example.com", "example.com"),
	   "no wildcard");
	ok(!policy_mx_is_domain_wildcard("*.example.com", "xample.com"),
	   "suffix only");
	ok(!policy_mx_is_domain_wildcard("*.example.com", "example.co"),
	   "prefix only");
	ok(!policy_mx_is_domain_wildcard("*example.com", "example.com"),
	   "no dot");
	ok(!policy_mx_is_domain_wildcard("example.com", "example.com"),
	   "the domain itself");
}

int main(void)
{
	test_max_age();
	test_mode();
	test_id();
	test_render();
	test_render_edges();
	test_derive_id();
	test_wildcard_domain();
	return tap_done();
}
