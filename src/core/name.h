/*
 * name: DNS host names as stsd meets them (pure, no I/O).
 *
 * Two paths with different needs:
 *  - name_normalize(): names written by people in the configuration (policy
 *    domains, mx patterns). Strict RFC 5321 LDH syntax, lowercase, one
 *    trailing dot stripped, U-labels converted to A-labels (IDNA2008).
 *  - name_host_key(): names sent by clients (Host header, SNI). Cheap and
 *    allocation-free, on the request path: lowercase, ":port" and one
 *    trailing dot stripped; anything that cannot be a configured name is
 *    refused.
 */
#ifndef STSD_NAME_H
#define STSD_NAME_H

#include <stddef.h>

#define NAME_MAX_LEN 253        /* RFC 1035 text form, without trailing dot */
#define NAME_LABEL_MAX_LEN 63

enum name_flags {
	NAME_ALLOW_WILDCARD = 1 << 0,   /* "*." as the whole leftmost label (mx) */
};

/*
 * Validates and normalises `in` (NUL-terminated, UTF-8). On success writes
 * the canonical form to `out` (NUL-terminated) and returns NULL. On failure
 * returns a short English message saying what is wrong, e.g.
 * "label \"a_b\" contains '_'", suitable after "error: ", and sets out to "".
 * The message is static or thread-local storage: valid until the next
 * name_normalize() call in the same thread, so print or copy it at once.
 * Rejected: empty names and labels, labels over 63 octets, names over 253,
 * '-' at either end of a label, any character outside [A-Za-z0-9-] (after
 * IDNA conversion), IP address literals, ports, a single-label name, and a
 * '*' anywhere but as the whole leftmost label (and only with
 * NAME_ALLOW_WILDCARD).
 */
const char *name_normalize(const char *in, char out[NAME_MAX_LEN + 1],
                           unsigned flags);

/*
 * Maps a Host header value or an SNI name of `len` bytes (not necessarily
 * NUL-terminated) to the lookup key used by the routing tables: lowercase,
 * without ":port", without one trailing dot. Writes a NUL-terminated key to
 * `out` and returns its length, or returns -1 when the input cannot be a
 * configured name (too long, empty, an empty label, a byte outside
 * [A-Za-z0-9.-], a bad port, or an IP literal in brackets such as
 * "[::1]:443": no configured name is an address). Never allocates.
 */
int name_host_key(const char *in, size_t len, char out[NAME_MAX_LEN + 1]);

#endif
