/*
 * policy: the MTA-STS policy model of RFC 8461 (pure, no I/O).
 *
 * The body is produced by exactly one serializer (policy_render), so the
 * same configuration always yields the same bytes and therefore the same
 * derived id (requirements OUT-12, TXT-2).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "sha256.h"

static const char *const mode_names[] = {
	[POLICY_MODE_ENFORCE] = "enforce",
	[POLICY_MODE_TESTING] = "testing",
	[POLICY_MODE_NONE] = "none",
};

const char *policy_mode_parse(const char *s, enum policy_mode *out)
{
	size_t i;

	if (!s || !*s)
		return "mode is empty; use enforce, testing or none";
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*out = (enum policy_mode)i;
			return NULL;
		}
	}
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcasecmp(s, mode_names[i]) == 0)
			return "mode must be written in lowercase "
			       "(enforce, testing or none)";
	return "unknown mode; use enforce, testing or none";
}

const char *policy_mode_name(enum policy_mode mode)
{
	if ((size_t)mode < sizeof(mode_names) / sizeof(mode_names[0]))
		return mode_names[mode];
	return "?";
}

/*
 * Leading zeros are refused rather than dropped: the served body must not
 * carry them (OUT-6), and quietly serving something other than what the
 * user wrote would be surprising.
 */
const char *policy_max_age_parse(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	size_t i, len;

	if (!s || !*s)
		return "max_age is empty; give a number of seconds, "
		       "e.g. 604800";
	if (s[0] == '+' || s[0] == '-')
		return "max_age must be a plain number of seconds, "
		       "without a sign";
	len = strlen(s);
	for (i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '\t')
			return "max_age must not contain spaces";
		if (s[i] < '0' || s[i] > '9')
			return "max_age must be a whole number of seconds "
			       "(digits only)";
	}
	if (len > 1 && s[0] == '0')
		return "max_age must not have leading zeros";
	if (len > 10)
		return "max_age is larger than 31557600 "
		       "(one year, the RFC 8461 maximum)";
	for (i = 0; i < len; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (v > POLICY_MAX_AGE_MAX)
		return "max_age is larger than 31557600 "
		       "(one year, the RFC 8461 maximum)";
	*out = (uint32_t)v;
	return NULL;
}

const char *policy_id_check(const char *s)
{
	size_t i;

	if (!s || !*s)
		return "id is empty";
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i >= POLICY_ID_MAX)
			return "id is longer than 32 characters";
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return "id may contain only letters and digits "
			       "(A-Z, a-z, 0-9)";
	}
	return NULL;
}

int policy_add_mx(struct policy *p, const char *pattern)
{
	char **mx;
	char *copy;
	size_t i;

	for (i = 0; i < p->n_mx; i++)
		if (strcmp(p->mx[i], pattern) == 0)
			return 0;

	copy = strdup(pattern);
	if (!copy)
		return -1;
	/* Grown one at a time: lists are short, and a caller may build
	 * p->mx itself, so no hidden capacity is assumed. */
	mx = realloc(p->mx, (p->n_mx + 1) * sizeof(*mx));
	if (!mx) {
		free(copy);
		return -1;
	}
	mx[p->n_mx++] = copy;
	p->mx = mx;
	return 1;
}

static size_t append(char *dst, size_t at, const char *s)
{
	size_t len = strlen(s);

	if (dst)
		memcpy(dst + at, s, len);
	return at + len;
}

/* Writes the body into `dst` (NULL: only measures) and returns its length. */
static size_t serialize(const struct policy *p, char *dst,
			const char *max_age)
{
	size_t n = 0, i;

	n = append(dst, n, "version: STSv1\r\nmode: ");
	n = append(dst, n, policy_mode_name(p->mode));
	n = append(dst, n, "\r\n");
	for (i = 0; i < p->n_mx; i++) {
		n = append(dst, n, "mx: ");
		n = append(dst, n, p->mx[i]);
		n = append(dst, n, "\r\n");
	}
	n = append(dst, n, "max_age: ");
	n = append(dst, n, max_age);
	n = append(dst, n, "\r\n");
	return n;
}

int policy_render(struct policy *p)
{
	char max_age[16];
	size_t len;
	char *body;

	snprintf(max_age, sizeof(max_age), "%" PRIu32, p->max_age);
	len = serialize(p, NULL, max_age);
	/* One spare byte for a NUL, handy in a debugger; not part of the
	 * contract (body_len is). */
	body = malloc(len + 1);
	if (!body)
		return -1;
	serialize(p, body, max_age);
	body[len] = '\0';

	free(p->body);
	p->body = body;
	p->body_len = len;
	if (!p->id_explicit)
		policy_derive_id(body, len, p->id);
	return 0;
}

void policy_derive_id(const char *body, size_t len,
		      char out[POLICY_DERIVED_ID_DIGITS + 1])
{
	uint8_t digest[SHA256_DIGEST_LEN];
	uint64_t v = 0;
	unsigned i;

	sha256(body, len, digest);
	for (i = 0; i < 8; i++)
		v = v << 8 | digest[i];
	snprintf(out, POLICY_DERIVED_ID_DIGITS + 1, "%" PRIu64,
		 v % UINT64_C(1000000000000000));
}

bool policy_mx_is_domain_wildcard(const char *pattern, const char *domain)
{
	return pattern[0] == '*' && pattern[1] == '.' &&
	       strcmp(pattern + 2, domain) == 0;
}

void policy_clear(struct policy *p)
{
	size_t i;

	if (!p)
		return;
	free(p->domain);
	for (i = 0; i < p->n_mx; i++)
		free(p->mx[i]);
	free(p->mx);
	for (i = 0; i < p->n_tls_rpt; i++)
		free(p->tls_rpt[i]);
	free(p->tls_rpt);
	free(p->body);
	memset(p, 0, sizeof(*p));
}
