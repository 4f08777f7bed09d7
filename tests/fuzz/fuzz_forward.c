/*
 * fuzz_forward: what a request says about its host (forward.c), the other
 * half of the Host request path: absolute-form targets, X-Forwarded-Host,
 * Forwarded: host=, trusted proxies, and the key of the chosen host.
 *
 * Input: a binary header, then text.
 *   byte 0     flags: bit 0 trusted, bit 1 X-Forwarded-Host present,
 *              bit 2 Forwarded present, bits 4-5 number of Host headers
 *   byte 1     peer family: 0 IPv4, 1 IPv6, 2 unix, 3 NULL, else that
 *              number as sa_family
 *   bytes 2-17 peer address
 *   byte 18    number of proxies (mod 9); then per proxy 18 bytes: family
 *              (even IPv4, odd IPv6), prefix (0-255), 16 address bytes
 *   the rest   '\n'-separated: request target, Host, X-Forwarded-Host,
 *              Forwarded
 * Header values are passed as exactly-sized heap copies without a NUL (the
 * target with its NUL, as documented), so ASan reports any read past them.
 *
 * Invariants (trap on violation):
 *  - every slice returned lies inside the value it came from; an
 *    X-Forwarded-Host slice is non-empty, has no ',' and no surrounding
 *    space or tab; a Forwarded host is non-empty;
 *  - forward_absolute_form accepts exactly the targets starting with
 *    "http://" or "https://" (any case): the host is what follows, up to
 *    the first '/', and the path starts at that '/' (or is "/"); otherwise
 *    it touches nothing;
 *  - forward_choose: the host is a slice of the Host value, the target or,
 *    only when trusted, of a forwarding header; the path is the target or
 *    inside it; an untrusted request is not affected by forwarding headers;
 *  - forward_peer_trusted agrees with a bit-by-bit reference (mapped IPv4
 *    addresses as IPv4, prefixes clamped); forward_peer_format writes a
 *    NUL-terminated string that fits, for every buffer length.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/un.h>

#include "forward.h"
#include "fuzz_common.h"
#include "name.h"

#define MAX_PROXIES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint8_t byte(struct reader *r)
{
	if (!r->left)
		return 0;
	r->left--;
	return *r->p++;
}

static void bytes(struct reader *r, uint8_t *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = byte(r);
}

/* ---- peers and proxies --------------------------------------------------- */

static bool is_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };

	return memcmp(a, prefix, 12) == 0;
}

static void make_addr(struct sockaddr_storage *ss, bool v6, const uint8_t *a)
{
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
	}
}

/* The family and address bytes as an operator thinks of them: a mapped
 * IPv6 address is the IPv4 one. */
static int ref_family(const uint8_t *a, bool v6, const uint8_t **bytes)
{
	if (v6 && is_mapped(a)) {
		*bytes = a + 12;
		return AF_INET;
	}
	*bytes = a;
	return v6 ? AF_INET6 : AF_INET;
}

static bool bit(const uint8_t *a, unsigned i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

static bool ref_trusted(const uint8_t *peer, bool peer_v6,
			const uint8_t (*net)[16], const bool *net_v6,
			const unsigned *prefix, size_t n)
{
	const uint8_t *a, *b;
	int fam = ref_family(peer, peer_v6, &a);
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned p = prefix[i], k, max = fam == AF_INET ? 32 : 128;
		bool match = true;

		if (ref_family(net[i], net_v6[i], &b) != fam)
			continue;
		if (fam == AF_INET && net_v6[i])
			p = p > 96 ? p - 96 : 0;
		if (p > max)
			p = max;
		for (k = 0; k < p && match; k++)
			match = bit(a, k) == bit(b, k);
		if (match)
			return true;
	}
	return false;
}

static void check_peer(struct reader *r)
{
	uint8_t kind = byte(r), addr[16], net[MAX_PROXIES][16];
	bool net_v6[MAX_PROXIES];
	unsigned prefix[MAX_PROXIES];
	struct forward_net proxies[MAX_PROXIES];
	struct sockaddr_storage ss;
	const struct sockaddr *peer = (const struct sockaddr *)&ss;
	char text[INET6_ADDRSTRLEN + 8];
	size_t n, i, len;

	bytes(r, addr, sizeof(addr));
	n = byte(r) % (MAX_PROXIES + 1);
	memset(proxies, 0, sizeof(proxies));
	for (i = 0; i < n; i++) {
		net_v6[i] = byte(r) & 1;
		prefix[i] = byte(r);
		bytes(r, net[i], 16);
		make_addr(&proxies[i].addr, net_v6[i], net[i]);
		proxies[i].prefix = prefix[i];
	}

	switch (kind) {
	case 0:
	case 1:
		make_addr(&ss, kind == 1, addr);
		CHECK(forward_peer_trusted(proxies, n, peer) ==
		      ref_trusted(addr, kind == 1, net, net_v6, prefix, n));
		break;
	case 2:
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = AF_UNIX;
		CHECK(!forward_peer_trusted(proxies, n, peer));
		break;
	case 3:
		peer = NULL;
		CHECK(!forward_peer_trusted(proxies, n, peer));
		break;
	default:
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = kind;
		if (kind != AF_INET && kind != AF_INET6)
			CHECK(!forward_peer_trusted(proxies, n, peer));
		break;
	}

	/* Every buffer size, INET6_ADDRSTRLEN being enough. */
	for (len = 1; len <= INET6_ADDRSTRLEN; len++) {
		char *out = fuzz_xmalloc(len);

		memset(out, 'x', len);
		forward_peer_format(peer, out, len);
		CHECK(memchr(out, '\0', len) != NULL);
		free(out);
	}
	forward_peer_format(peer, text, sizeof(text));
	if (kind <= 1) {
		uint8_t back[16];

		CHECK(inet_pton(AF_INET, text, back) == 1 ||
		      inet_pton(AF_INET6, text, back) == 1);
	} else if (kind == 2) {
		CHECK(strcmp(text, "unix") == 0);
	} else if (kind == 3) {
		CHECK(strcmp(text, "-") == 0);
	}
}

/* ---- header values ------------------------------------------------------- */

static char *copy_of(const char *s, size_t len, bool nul)
{
	char *c = fuzz_xmalloc(len + (nul ? 1 : 0));

	if (len)
		memcpy(c, s, len);
	if (nul)
		c[len] = '\0';
	return c;
}

static bool inside(const char *slice, size_t slice_len, const char *buf,
		   size_t len)
{
	return slice >= buf && slice <= buf + len &&
	       slice_len <= (size_t)(buf + len - slice);
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void check_xfh(const char *v, size_t len)
{
	const char *h = NULL;
	size_t hl = 0;

	if (!forward_xfh_host(v, len, &h, &hl))
		return;
	CHECK(inside(h, hl, v, len));
	CHECK(hl > 0);
	CHECK(memchr(h, ',', hl) == NULL);
	CHECK(!is_ows(h[0]) && !is_ows(h[hl - 1]));
	/* It is the first element. */
	CHECK(memchr(v, ',', (size_t)(h - v)) == NULL);
}

static void check_forwarded(const char *v, size_t len)
{
	const char *h = NULL;
	size_t hl = 0;

	if (!forward_forwarded_host(v, len, &h, &hl))
		return;
	CHECK(inside(h, hl, v, len));
	CHECK(hl > 0);
}

static void check_absolute(const char *t, size_t len)
{
	const char *sentinel = "sentinel";
	const char *h = sentinel, *path = sentinel;
	size_t hl = 12345, skip = 0;
	bool want = false;

	if (len >= 7 && strncasecmp(t, "http://", 7) == 0)
		skip = 7, want = true;
	else if (len >= 8 && strncasecmp(t, "https://", 8) == 0)
		skip = 8, want = true;
	CHECK(forward_absolute_form(t, len, &h, &hl, &path) == want);
	if (!want) {
		CHECK(h == sentinel && path == sentinel && hl == 12345);
		return;
	}
	CHECK(h == t + skip);
	CHECK(inside(h, hl, t, len));
	CHECK(memchr(h, '/', hl) == NULL);
	if (h + hl < t + len) {
		CHECK(path == h + hl && *path == '/');
	} else {
		CHECK(strcmp(path, "/") == 0);
	}
}

static void check_choose(const struct forward_in *in, size_t target_len,
			 bool trusted)
{
	struct forward_out out, untrusted;
	char key[NAME_MAX_LEN + 1];

	memset(&out, 0, sizeof(out));
	forward_choose(in, trusted, &out);
	CHECK(out.path != NULL);
	CHECK(out.path == in->target || inside(out.path, 1, in->target,
					       target_len) ||
	      strcmp(out.path, "/") == 0);
	if (out.host) {
		bool from_host = in->host &&
				 inside(out.host, out.host_len, in->host,
					in->host_len);
		bool from_target = inside(out.host, out.host_len, in->target,
					  target_len);
		bool from_fwd = (in->xfh && inside(out.host, out.host_len,
						   in->xfh, in->xfh_len)) ||
				(in->fwd && inside(out.host, out.host_len,
						   in->fwd, in->fwd_len));

		CHECK(from_host || from_target || (trusted && from_fwd));
		/* The request path then keys the host (ASan: in bounds). */
		name_host_key(out.host, out.host_len, key);
	}
	if (out.unique)
		CHECK(out.host != NULL);

	/* Forwarding headers only count from a trusted peer. */
	memset(&untrusted, 0, sizeof(untrusted));
	forward_choose(in, false, &untrusted);
	if (!trusted)
		CHECK(memcmp(&out, &untrusted, sizeof(out)) == 0);
	if (!in->xfh && !in->fwd)
		CHECK(memcmp(&out, &untrusted, sizeof(out)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	uint8_t flags = byte(&r);
	const char *field[4] = { "", "", "", "" };
	size_t field_len[4] = { 0, 0, 0, 0 }, i;
	const char *text;
	size_t pos;
	char *target, *host = NULL, *xfh = NULL, *fwd = NULL;
	struct forward_in in;

	check_peer(&r);

	/* The text part: up to four '\n'-separated fields. */
	text = (const char *)r.p;
	for (i = 0, pos = 0; i < 4 && pos <= r.left; i++) {
		const char *nl = memchr(text + pos, '\n', r.left - pos);
		size_t len = nl ? (size_t)(nl - (text + pos)) : r.left - pos;

		field[i] = text + pos;
		field_len[i] = len;
		pos += len + 1;
	}

	/* The target is NUL-terminated (MHD gives it so): stop at a NUL. */
	target = copy_of(field[0], strnlen(field[0], field_len[0]), true);
	check_absolute(target, strlen(target));

	memset(&in, 0, sizeof(in));
	in.target = target;
	in.n_host = (flags >> 4) & 3;
	if (in.n_host) {
		host = copy_of(field[1], field_len[1], false);
		in.host = host;
		in.host_len = field_len[1];
	}
	if (flags & 2) {
		xfh = copy_of(field[2], field_len[2], false);
		in.xfh = xfh;
		in.xfh_len = field_len[2];
		check_xfh(xfh, field_len[2]);
	}
	if (flags & 4) {
		fwd = copy_of(field[3], field_len[3], false);
		in.fwd = fwd;
		in.fwd_len = field_len[3];
		check_forwarded(fwd, field_len[3]);
	}
	check_choose(&in, strlen(target), flags & 1);

	free(target);
	free(host);
	free(xfh);
	free(fwd);
	return 0;
}
