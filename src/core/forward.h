/*
 * forward: which host a request is for, and whom to believe about it (pure,
 * no I/O, no allocation: it runs on the request path).
 *
 * The host normally comes from the Host header. An absolute-form request
 * target ("GET http://host/path") overrides it (RFC 7230 section 5.4). A
 * trusted reverse proxy (a configured CIDR, or any client of a unix-socket
 * listener) may name the host the client asked it for, in X-Forwarded-Host
 * or in Forwarded: host= (RFC 7239); anyone else's forwarding headers are
 * ignored.
 *
 * The parsers take (pointer, length) and return a slice of their input:
 * nothing is copied, unescaped or validated here. Whether the slice is a
 * served host is name_host_key()'s and the routing table's business.
 *
 * Address families: an IPv4-mapped IPv6 peer (::ffff:a.b.c.d, what a
 * dual-stack socket reports for an IPv4 client) is the IPv4 peer a.b.c.d:
 * it matches IPv4 CIDRs such as 127.0.0.1/32, and the access log shows it
 * as a.b.c.d. Likewise a mapped entry in the configuration,
 * ::ffff:a.b.c.d/P, is the IPv4 CIDR a.b.c.d/(P - 96). IPv6 CIDRs match
 * IPv6 peers only: "::/0" trusts every IPv6 client and no IPv4 one. An
 * operator thinks of an IPv4 client as the IPv4 address it is, whatever
 * socket it arrived on.
 */
#ifndef STSD_FORWARD_H
#define STSD_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* A trusted reverse proxy's network: an address and a prefix length
 * (CIDR), the bits after the prefix zero. */
struct forward_net {
	struct sockaddr_storage addr;
	unsigned prefix;
};

/*
 * True when `peer` lies in one of the `n` CIDRs of `proxies`. IPv4 peers
 * (mapped ones included, see above) match only IPv4 entries, IPv6 peers
 * only IPv6 entries. A prefix longer than the address (over 32 for IPv4,
 * over 128 for IPv6) counts as the whole address; /0 matches every peer of
 * its family. A NULL peer, or one of another family (AF_UNIX), is not
 * trusted: unix-socket listeners are trusted by the caller, per listener.
 */
bool forward_peer_trusted(const struct forward_net *proxies, size_t n,
                          const struct sockaddr *peer);

/*
 * The peer address as the access log shows it: IPv4 (mapped ones too) in
 * dotted form, IPv6 in RFC 5952 form, "unix" for AF_UNIX and "-" for NULL
 * or anything else. Always NUL-terminates `out` (when len > 0);
 * INET6_ADDRSTRLEN bytes hold every address.
 */
void forward_peer_format(const struct sockaddr *peer, char *out, size_t len);

/*
 * X-Forwarded-Host: the first value (the one the client sent to the first
 * proxy), up to the first ',', without surrounding spaces and tabs. Returns
 * false when it is empty.
 */
bool forward_xfh_host(const char *v, size_t len, const char **host,
                      size_t *host_len);

/*
 * Forwarded (RFC 7239): the host= parameter (name case-insensitive) of the
 * first element, i.e. up to the first ','. Within it, pairs are split at
 * ';' and trimmed of spaces and tabs; the first host= pair wins. A value in
 * double quotes loses them and nothing else: escapes are not undone, since
 * a host name has nothing to escape, so an escaped value can never name a
 * served host (it is passed on, raw, for the access log). A ',' or ';'
 * inside quotes still splits; no real host value contains either. Returns
 * false when there is no host= pair or its value is empty ("" included).
 */
bool forward_forwarded_host(const char *v, size_t len, const char **host,
                            size_t *host_len);

/*
 * An absolute-form request target, "http://" or "https://" (scheme
 * case-insensitive) and an authority. Sets *host to the authority (up to
 * the first '/', possibly empty) and *path to the rest, starting at that
 * '/', or to "/" (static) when there is none; *path is then NUL-terminated
 * when `target` is. Returns false, touching nothing, for any other target
 * (origin form "/x", "*", other schemes).
 */
bool forward_absolute_form(const char *target, size_t len, const char **host,
                           size_t *host_len, const char **path);

/* What a request says about its host (slices of the request, not owned). */
struct forward_in {
	const char *target;         /* request target, NUL-terminated */
	const char *host;           /* first Host header, or NULL */
	size_t host_len;
	unsigned n_host;            /* number of Host headers */
	const char *xfh;            /* first X-Forwarded-Host, or NULL */
	size_t xfh_len;
	const char *fwd;            /* first Forwarded, or NULL */
	size_t fwd_len;
};

/* The decision: the path to route and the host it is for. */
struct forward_out {
	const char *path;           /* NUL-terminated */
	const char *host;           /* NULL when none; may be empty */
	size_t host_len;
	bool unique;                /* exactly one host named: else 400 */
};

/*
 * Chooses the host, in increasing order of precedence: the Host header
 * (unique only when there is exactly one), the authority of an
 * absolute-form target, then, when `trusted`, a non-empty X-Forwarded-Host
 * or else a non-empty Forwarded host=. The last two make the host unique
 * even when Host headers are missing or repeated: the proxy speaks for the
 * client.
 */
void forward_choose(const struct forward_in *in, bool trusted,
                    struct forward_out *out);

#endif
