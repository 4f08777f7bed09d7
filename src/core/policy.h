/*
 * policy: the MTA-STS policy model of RFC 8461 (pure, no I/O).
 *
 * Owns: parsing and checking of each field's value, the canonical rendering
 * of the body that is served, and the derivation of the TXT record id.
 * Validation of a value returns NULL when it is fine, or a short English
 * message (static storage) that the caller prints after "error: " at the
 * value's location.
 */
#ifndef STSD_POLICY_H
#define STSD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "name.h"

#define POLICY_BODY_MAX 64000        /* strictest reading among real senders */
#define POLICY_BODY_WARN 10240       /* a known sender truncates above this */
#define POLICY_MAX_AGE_MAX 31557600u /* RFC 8461 section 3.2 */
#define POLICY_MAX_AGE_WARN 86400u   /* below one day: several senders misbehave */
#define POLICY_ENFORCE_MAX_AGE_WARN 604800u
#define POLICY_ID_MAX 32             /* RFC 8461 sts-id: 1*32(ALPHA / DIGIT) */
#define POLICY_DERIVED_ID_DIGITS 15

enum policy_mode {
	POLICY_MODE_ENFORCE,
	POLICY_MODE_TESTING,
	POLICY_MODE_NONE,
};

/* One policy domain, fully resolved (defaults and aliases applied). */
struct policy {
	char *domain;              /* normalised policy domain, e.g. example.com */
	enum policy_mode mode;
	uint32_t max_age;
	char **mx;                 /* normalised patterns, duplicates removed */
	size_t n_mx;
	char **tls_rpt;            /* RFC 8460 rua URIs, as configured */
	size_t n_tls_rpt;
	bool id_explicit;          /* id came from the config, not derived */
	char id[POLICY_ID_MAX + 1];
	char *body;                /* canonical body (policy_render), not NUL-terminated */
	size_t body_len;
};

/* "enforce", "testing", "none" (case-sensitive, as in the ABNF). */
const char *policy_mode_parse(const char *s, enum policy_mode *out);
const char *policy_mode_name(enum policy_mode mode);

/* Decimal digits only: no sign, no spaces, no exponent; 0..POLICY_MAX_AGE_MAX. */
const char *policy_max_age_parse(const char *s, uint32_t *out);

/* An explicit id: 1..32 characters of [A-Za-z0-9]. */
const char *policy_id_check(const char *s);

/*
 * Adds an mx pattern (already normalised with name_normalize) unless it is
 * already present. Returns 1 when added, 0 when a duplicate, -1 on ENOMEM.
 */
int policy_add_mx(struct policy *p, const char *pattern);

/*
 * Renders the canonical body into p->body / p->body_len:
 *   "version: STSv1\r\n" "mode: M\r\n" ("mx: P\r\n")* "max_age: N\r\n"
 * then, unless p->id_explicit, sets p->id with policy_derive_id().
 * Returns 0, or -1 on ENOMEM. The size limit is the caller's to check, so
 * that it can report it at the right location.
 */
int policy_render(struct policy *p);

/*
 * The derived id: the first 8 bytes of SHA-256(body) read as a big-endian
 * 64-bit number, reduced modulo 10^15 and written in decimal without leading
 * zeros. Deterministic, digits only, at most 15 characters.
 */
void policy_derive_id(const char *body, size_t len,
                      char out[POLICY_DERIVED_ID_DIGITS + 1]);

/* True when pattern is "*.<domain>" (RFC 8461 section 10.4 warns about it). */
bool policy_mx_is_domain_wildcard(const char *pattern, const char *domain);

/* Frees every field (not p itself) and zeroes it. */
void policy_clear(struct policy *p);

#endif
