/*
 * mxmatch: the mx patterns of a policy against a domain's MX hosts, by
 * RFC 8461 section 4.1 (pure, no I/O).
 *
 * A pattern is a host name or "*." plus a host name; "*" covers exactly one
 * whole left-most label. Comparison ignores ASCII case and one trailing dot
 * on the MX host (DNS answers carry it). Patterns with a trailing dot are
 * invalid (mx_pattern_check) and match nothing, as for most senders.
 */
#ifndef STSD_MXMATCH_H
#define STSD_MXMATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "checks.h"

#define MX_NAME_MAX 253

/* NULL when `p` (len bytes) is a valid sts-policy-mx-value, else why not
 * (static). Refused: empty, a trailing dot, an IP address, labels outside
 * LDH or over 63, names over 253, a single label, a '*' other than "*."
 * at the start. */
const char *mx_pattern_check(const char *p, size_t len);

/* True when MX host `host` is covered by `pattern` (both NUL-terminated). */
bool mx_match(const char *pattern, const char *host);

enum mx_mode { MX_MODE_ENFORCE, MX_MODE_TESTING, MX_MODE_NONE };

/*
 * For every host, adds mx.covered (ok, or: error in enforce, warning in
 * testing, info in none, with the pattern to add as fix); for every
 * pattern no host uses, mx.unused (warning; info for a wildcard).
 * `host_pattern` (may be NULL, else nh entries) receives the index of the
 * first covering pattern, or (size_t)-1.
 */
void mx_check(const char *const *patterns, size_t np,
              const char *const *hosts, size_t nh, enum mx_mode mode,
              struct check_report *r, size_t *host_pattern);

#endif
