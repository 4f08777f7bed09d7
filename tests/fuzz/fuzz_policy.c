/*
 * fuzz_policy: the policy rules of policy.c and name_normalize().
 *
 * Input: lines ('\n'-separated)
 *   1: mode      2: max_age      3: id ("" = derive)      4...: mx patterns
 * Every value goes through the same checks as the configuration loader; the
 * ones that pass build a policy, which is rendered. Invariants (trap on
 * violation):
 *  - an accepted mode / max_age / id round-trips to the text given, and a
 *    refused one is refused by an independent reference check too;
 *  - a normalised name is 1..253 bytes of [a-z0-9.-*], with '*' only as
 *    "*." at the start, no empty label, and normalising it again gives the
 *    same bytes (also without NAME_ALLOW_WILDCARD when it has no '*');
 *  - a name that is not well-formed UTF-8, by the table-driven oracle of
 *    fuzz_common.h (independent of name.c's decoder), is refused;
 *  - policy_add_mx returns 1 for a new pattern and 0 for a duplicate;
 *  - the body is "version: STSv1\r\n" "mode: M\r\n" ("mx: P\r\n")*
 *    "max_age: N\r\n" exactly: printable ASCII, CRLF line ends, no empty
 *    line;
 *  - a derived id is 1..15 digits without leading zero, and equals
 *    policy_derive_id() of the body; an explicit id is left alone.
 */
#include "config.h"

#include <inttypes.h>

#include "fuzz_common.h"
#include "name.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool ref_id_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i >= POLICY_ID_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return false;
	}
	return i > 0;
}

/* Decimal, no leading zero, at most POLICY_MAX_AGE_MAX. */
static bool ref_max_age_ok(const char *s)
{
	uint64_t v = 0;
	size_t i;

	if (!s[0] || (s[0] == '0' && s[1]))
		return false;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v <= POLICY_MAX_AGE_MAX;
}

static void check_mode(const char *s, enum policy_mode *mode)
{
	enum policy_mode m = POLICY_MODE_ENFORCE;
	const char *err = policy_mode_parse(s, &m);
	bool want = strcmp(s, "enforce") == 0 || strcmp(s, "testing") == 0 ||
		    strcmp(s, "none") == 0;

	CHECK((err == NULL) == want);
	if (err) {
		CHECK(err[0] != '\0');
		return;
	}
	CHECK(strcmp(policy_mode_name(m), s) == 0);
	*mode = m;
}

static void check_max_age(const char *s, uint32_t *max_age)
{
	uint32_t v = 0;
	const char *err = policy_max_age_parse(s, &v);
	char back[16];

	CHECK((err == NULL) == ref_max_age_ok(s));
	if (err) {
		CHECK(err[0] != '\0');
		return;
	}
	CHECK(v <= POLICY_MAX_AGE_MAX);
	snprintf(back, sizeof(back), "%" PRIu32, v);
	CHECK(strcmp(back, s) == 0);
	*max_age = v;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '*';
}

/* The shape of a normalised name; see the file comment. */
static void check_normal_form(const char *out, unsigned flags)
{
	size_t len = strlen(out), i, label = 0, labels = 1;

	CHECK(len >= 1 && len <= NAME_MAX_LEN);
	for (i = 0; i < len; i++) {
		CHECK(is_name_char(out[i]));
		if (out[i] == '*')
			CHECK(i == 0 && (flags & NAME_ALLOW_WILDCARD) &&
			      out[1] == '.');
		if (out[i] == '.') {
			CHECK(label > 0);
			labels++;
			label = 0;
		} else {
			label++;
			CHECK(label <= NAME_LABEL_MAX_LEN);
		}
		if (out[i] == '-')
			CHECK(i > 0 && out[i - 1] != '.' && i + 1 < len &&
			      out[i + 1] != '.');
	}
	CHECK(label > 0);
	CHECK(labels >= (out[0] == '*' ? 3u : 2u));
}

/* Normalises `in` with and without the wildcard flag; returns the pattern
 * (in `out`) when it is acceptable as an mx pattern. */
static bool check_name(const char *in, char out[NAME_MAX_LEN + 1])
{
	char plain[NAME_MAX_LEN + 1], again[NAME_MAX_LEN + 1];
	const char *err_w = name_normalize(in, out, NAME_ALLOW_WILDCARD);
	const char *err_p = name_normalize(in, plain, 0);

	/* A name that is not well-formed UTF-8 (by the independent oracle of
	 * fuzz_common.h) is never accepted, whatever the IDNA library does. */
	if (!fuzz_utf8_valid(in))
		CHECK(err_w != NULL && err_p != NULL);

	/* Allowing wildcards only ever accepts more, never changes a result. */
	if (!err_p) {
		CHECK(!err_w);
		CHECK(strcmp(plain, out) == 0);
		CHECK(strchr(plain, '*') == NULL);
		check_normal_form(plain, 0);
	}
	if (err_w) {
		CHECK(err_w[0] != '\0');
		CHECK(err_p && err_p[0] != '\0');
		return false;
	}
	check_normal_form(out, NAME_ALLOW_WILDCARD);
	if (err_p)
		CHECK(strchr(out, '*') != NULL);

	/* Idempotent, and the trailing dot form means the same name. */
	CHECK(name_normalize(out, again, NAME_ALLOW_WILDCARD) == NULL);
	CHECK(strcmp(again, out) == 0);
	{
		char dotted[NAME_MAX_LEN + 2];

		snprintf(dotted, sizeof(dotted), "%s.", out);
		CHECK(name_normalize(dotted, again, NAME_ALLOW_WILDCARD) == NULL);
		CHECK(strcmp(again, out) == 0);
	}
	if (!strchr(out, '*')) {
		CHECK(name_normalize(out, again, 0) == NULL);
		CHECK(strcmp(again, out) == 0);
	}
	return true;
}

/* Walks the body line by line against the policy it came from. */
static void check_body(const struct policy *p)
{
	const char *b = p->body;
	size_t len = p->body_len, pos = 0, i, line = 0;
	char want[NAME_MAX_LEN + 32];

	CHECK(b != NULL);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b[i];

		CHECK((c >= 0x20 && c < 0x7f) || c == '\r' || c == '\n');
		if (c == '\r')
			CHECK(i + 1 < len && b[i + 1] == '\n');
		if (c == '\n') {
			CHECK(i > 0 && b[i - 1] == '\r');
			CHECK(i >= 2 && b[i - 2] != '\n');      /* no empty line */
		}
	}
	CHECK(len >= 2 && b[len - 2] == '\r' && b[len - 1] == '\n');

	/* The exact sequence of lines. */
	for (line = 0; line < p->n_mx + 3; line++) {
		size_t n;

		if (line == 0)
			snprintf(want, sizeof(want), "version: STSv1\r\n");
		else if (line == 1)
			snprintf(want, sizeof(want), "mode: %s\r\n",
				 policy_mode_name(p->mode));
		else if (line < p->n_mx + 2)
			snprintf(want, sizeof(want), "mx: %s\r\n",
				 p->mx[line - 2]);
		else
			snprintf(want, sizeof(want), "max_age: %" PRIu32 "\r\n",
				 p->max_age);
		n = strlen(want);
		CHECK(len - pos >= n && memcmp(b + pos, want, n) == 0);
		pos += n;
	}
	CHECK(pos == len);
}

static void check_derived_id(const char *id)
{
	size_t i, len = strlen(id);

	CHECK(len >= 1 && len <= POLICY_DERIVED_ID_DIGITS);
	for (i = 0; i < len; i++)
		CHECK(id[i] >= '0' && id[i] <= '9');
	CHECK(id[0] != '0' || len == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_lines l;
	struct policy p;
	char out[NAME_MAX_LEN + 1], again[POLICY_DERIVED_ID_DIGITS + 1];
	size_t i, j, added = 0;

	memset(&p, 0, sizeof(p));
	p.mode = POLICY_MODE_TESTING;
	p.max_age = 86400;
	fuzz_lines_split(&l, data, size);

	check_mode(l.line[0], &p.mode);
	if (l.n > 1)
		check_max_age(l.line[1], &p.max_age);
	if (l.n > 2 && l.line[2][0]) {
		bool want = ref_id_ok(l.line[2]);
		const char *err = policy_id_check(l.line[2]);

		CHECK((err == NULL) == want);
		if (!err) {
			p.id_explicit = true;
			memcpy(p.id, l.line[2], strlen(l.line[2]) + 1);
		}
	}

	for (i = 3; i < l.n; i++) {
		bool dup = false;
		int r;

		if (!check_name(l.line[i], out))
			continue;
		for (j = 0; j < p.n_mx && !dup; j++)
			dup = strcmp(p.mx[j], out) == 0;
		r = policy_add_mx(&p, out);
		if (r < 0)
			abort();
		CHECK(r == (dup ? 0 : 1));
		added += dup ? 0 : 1;
		CHECK(p.n_mx == added);
		CHECK(strcmp(p.mx[p.n_mx - 1], dup ? p.mx[p.n_mx - 1] : out) == 0);
		/* "*.<domain>" detection agrees with its definition. */
		if (out[0] == '*')
			CHECK(policy_mx_is_domain_wildcard(out, out + 2));
		CHECK(!policy_mx_is_domain_wildcard(out, out));
	}

	{
		char saved[POLICY_ID_MAX + 1];

		memcpy(saved, p.id, sizeof(saved));
		if (policy_render(&p) != 0)
			abort();
		check_body(&p);
		if (p.id_explicit) {
			CHECK(memcmp(saved, p.id, sizeof(saved)) == 0);
		} else {
			check_derived_id(p.id);
			policy_derive_id(p.body, p.body_len, again);
			CHECK(strcmp(again, p.id) == 0);
		}
		/* Rendering is deterministic and replaces the old body. */
		memcpy(saved, p.id, sizeof(saved));
		{
			size_t old_len = p.body_len;
			char *old = fuzz_xmalloc(old_len);

			memcpy(old, p.body, old_len);
			if (policy_render(&p) != 0)
				abort();
			CHECK(p.body_len == old_len &&
			      memcmp(p.body, old, old_len) == 0);
			CHECK(memcmp(saved, p.id, sizeof(saved)) == 0);
			free(old);
		}
	}

	/* The id of an arbitrary byte string is well-formed too. */
	policy_derive_id((const char *)data, size, again);
	check_derived_id(again);

	policy_clear(&p);
	CHECK(p.body == NULL && p.mx == NULL && p.n_mx == 0);
	fuzz_lines_free(&l);
	return 0;
}
