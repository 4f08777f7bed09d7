/*
 * forward: trusted proxies and the host a request names (see forward.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "forward.h"

/* ------------------------------------------------------------------------
 * Peer addresses
 */

/* Points *bytes at the address bytes of `sa` and returns AF_INET (4 bytes,
 * also for IPv4-mapped IPv6) or AF_INET6 (16 bytes); 0 for anything else. */
static int addr_bytes(const struct sockaddr *sa, const unsigned char **bytes)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		*bytes = (const unsigned char *)
			&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 =
			&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			*bytes = a6->s6_addr + 12;
			return AF_INET;
		}
		*bytes = a6->s6_addr;
		return AF_INET6;
	}
	return 0;
}

/* True when the first `bits` bits of `a` and `net` agree. */
static bool prefix_match(const unsigned char *a, const unsigned char *net,
                         unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, net, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[whole] ^ net[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/*
 * The prefix length of `p` in the family addr_bytes() gives it: a mapped
 * entry ::ffff:a.b.c.d/P counts as a.b.c.d/(P - 96), and no prefix is
 * longer than the address.
 */
static unsigned proxy_prefix(const struct forward_net *p, int fam)
{
	unsigned prefix = p->prefix;

	if (fam == AF_INET && p->addr.ss_family == AF_INET6)
		prefix = prefix > 96 ? prefix - 96 : 0;
	if (fam == AF_INET && prefix > 32)
		prefix = 32;
	return prefix > 128 ? 128 : prefix;
}

bool forward_peer_trusted(const struct forward_net *proxies, size_t n,
                          const struct sockaddr *peer)
{
	const unsigned char *a, *net;
	int fam = addr_bytes(peer, &a);

	if (fam == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct forward_net *p = &proxies[i];

		if (addr_bytes((const struct sockaddr *)&p->addr, &net) != fam)
			continue;
		if (prefix_match(a, net, proxy_prefix(p, fam)))
			return true;
	}
	return false;
}

void forward_peer_format(const struct sockaddr *peer, char *out, size_t len)
{
	const unsigned char *bytes;
	int fam = addr_bytes(peer, &bytes);

	if (fam == 0 || inet_ntop(fam, bytes, out, (socklen_t)len) == NULL)
		snprintf(out, len, "%s", peer && peer->sa_family == AF_UNIX ?
		         "unix" : "-");
}

/* ------------------------------------------------------------------------
 * Header values
 */

static bool is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Trims optional whitespace around [*s, *s + *len). */
static void trim(const char **s, size_t *len)
{
	while (*len > 0 && is_ows((*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_ows((*s)[*len - 1]))
		(*len)--;
}

/* The length of the first comma-separated element of [v, v + len). */
static size_t first_element(const char *v, size_t len)
{
	const char *comma = memchr(v, ',', len);

	return comma != NULL ? (size_t)(comma - v) : len;
}

bool forward_xfh_host(const char *v, size_t len, const char **host,
                      size_t *host_len)
{
	len = first_element(v, len);
	trim(&v, &len);
	*host = v;
	*host_len = len;
	return len > 0;
}

/* If `pair` (trimmed) is "host=VALUE", sets *value to VALUE without its
 * double quotes and returns true. */
static bool host_pair(const char *pair, size_t len, const char **value,
                      size_t *value_len)
{
	if (len < 5 || strncasecmp(pair, "host=", 5) != 0)
		return false;
	pair += 5;
	len -= 5;
	if (len >= 2 && pair[0] == '"' && pair[len - 1] == '"') {
		pair++;
		len -= 2;
	}
	*value = pair;
	*value_len = len;
	return true;
}

bool forward_forwarded_host(const char *v, size_t len, const char **host,
                            size_t *host_len)
{
	const char *end = v + first_element(v, len);

	while (v < end) {
		const char *semi = memchr(v, ';', (size_t)(end - v));
		const char *pair = v;
		size_t pair_len = (size_t)((semi ? semi : end) - v);

		v = semi ? semi + 1 : end;
		trim(&pair, &pair_len);
		if (host_pair(pair, pair_len, host, host_len))
			return *host_len > 0;
	}
	return false;
}

/* The length of the scheme prefix "http://" or "https://" of `t`, or 0. */
static size_t absolute_scheme(const char *t, size_t len)
{
	if (len >= 7 && strncasecmp(t, "http://", 7) == 0)
		return 7;
	if (len >= 8 && strncasecmp(t, "https://", 8) == 0)
		return 8;
	return 0;
}

bool forward_absolute_form(const char *target, size_t len, const char **host,
                           size_t *host_len, const char **path)
{
	size_t skip = absolute_scheme(target, len);
	const char *u = target + skip, *slash;

	if (skip == 0)
		return false;
	len -= skip;
	slash = memchr(u, '/', len);
	*host = u;
	*host_len = slash ? (size_t)(slash - u) : len;
	*path = slash ? slash : "/";
	return true;
}

/* ------------------------------------------------------------------------
 * The decision
 */

void forward_choose(const struct forward_in *in, bool trusted,
                    struct forward_out *out)
{
	unsigned n_host = in->n_host;
	const char *fh;
	size_t fh_len;

	out->path = in->target;
	out->host = in->host;
	out->host_len = in->host_len;
	if (forward_absolute_form(in->target, strlen(in->target), &out->host,
	                          &out->host_len, &out->path))
		n_host = 1;
	if (trusted &&
	    ((in->xfh && forward_xfh_host(in->xfh, in->xfh_len, &fh, &fh_len)) ||
	     (in->fwd && forward_forwarded_host(in->fwd, in->fwd_len, &fh,
	                                        &fh_len)))) {
		out->host = fh;
		out->host_len = fh_len;
		n_host = 1;
	}
	out->unique = n_host == 1 && out->host != NULL;
}
