/*
 * test_forward: trusted-proxy CIDR matching (IPv4, IPv6, IPv4-mapped peers
 * and entries, /0, /32, /128, prefixes off byte boundaries, prefixes longer
 * than the address), the peer as the log shows it, the X-Forwarded-Host,
 * Forwarded and absolute-form parsers (empty values, quotes, escapes,
 * several elements, inputs that are not NUL-terminated, 10 KB hostile
 * values) and the choice of host.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "forward.h"
#include "tap.h"

/* "ADDR" or "ADDR/PREFIX" (IPv4 or IPv6) as a struct sockaddr_storage. */
static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text,
	              &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, text,
	                   &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		abort();
	return ss;
}

static struct forward_net proxy(const char *text, unsigned prefix)
{
	struct forward_net p = { .prefix = prefix };

	p.addr = addr(text);
	return p;
}

/* Is peer `text` trusted by the single entry `net`/`prefix`? */
static bool trusts(const char *net, unsigned prefix, const char *peer)
{
	struct forward_net p = proxy(net, prefix);
	struct sockaddr_storage ss = addr(peer);

	return forward_peer_trusted(&p, 1, (struct sockaddr *)&ss);
}

#define yes(net, prefix, peer) \
	ok(trusts(net, prefix, peer), "%s/%u trusts %s", net, prefix, peer)
#define no(net, prefix, peer) \
	ok(!trusts(net, prefix, peer), "%s/%u does not trust %s", net, \
	   prefix, peer)

static void test_ipv4(void)
{
	yes("127.0.0.1", 32, "127.0.0.1");
	no("127.0.0.1", 32, "127.0.0.2");
	no("127.0.0.1", 32, "127.0.0.0");
	no("127.0.0.1", 32, "255.0.0.1");
	yes("10.0.0.0", 8, "10.0.0.0");
	yes("10.0.0.0", 8, "10.255.255.255");
	no("10.0.0.0", 8, "11.0.0.0");
	no("10.0.0.0", 8, "9.255.255.255");
	yes("0.0.0.0", 0, "0.0.0.0");
	yes("0.0.0.0", 0, "255.255.255.255");
	yes("0.0.0.0", 0, "192.0.2.1");
	/* Off byte boundaries. */
	yes("192.168.1.128", 25, "192.168.1.128");
	yes("192.168.1.128", 25, "192.168.1.255");
	no("192.168.1.128", 25, "192.168.1.127");
	yes("192.0.2.0", 31, "192.0.2.1");
	no("192.0.2.0", 31, "192.0.2.2");
	yes("128.0.0.0", 1, "255.1.2.3");
	no("128.0.0.0", 1, "127.255.255.255");
	yes("172.16.0.0", 12, "172.31.255.255");
	no("172.16.0.0", 12, "172.32.0.0");
	no("172.16.0.0", 12, "172.15.255.255");
	yes("10.128.0.0", 9, "10.255.0.0");
	no("10.128.0.0", 9, "10.127.0.0");
	/* Prefixes longer than the address: the whole address. */
	yes("192.0.2.1", 33, "192.0.2.1");
	no("192.0.2.1", 33, "192.0.2.0");
	yes("192.0.2.1", 200, "192.0.2.1");
	no("192.0.2.1", 4000000000u, "192.0.2.2");
	{
		/* Bytes after the address (sin_zero) must not be compared. */
		struct forward_net p = proxy("192.0.2.1", 40);
		struct sockaddr_storage peer = addr("192.0.2.1");

		memset(((struct sockaddr_in *)&peer)->sin_zero, 0xff,
		       sizeof(((struct sockaddr_in *)&peer)->sin_zero));
		ok(forward_peer_trusted(&p, 1, (struct sockaddr *)&peer),
		   "/40 on IPv4 compares the 4 address bytes only");
	}
}

static void test_ipv6(void)
{
	yes("::1", 128, "::1");
	no("::1", 128, "::2");
	no("::1", 128, "::");
	no("::1", 128, "8000::1");
	yes("2001:db8::", 32, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	no("2001:db8::", 32, "2001:db9::");
	no("2001:db8::", 32, "2001:db7:ffff::");
	yes("::", 0, "::");
	yes("::", 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	yes("::", 0, "2001:db8::1");
	yes("fe80::", 10, "febf::1");
	no("fe80::", 10, "fec0::1");
	yes("2001:db8::", 127, "2001:db8::1");
	no("2001:db8::", 127, "2001:db8::2");
	yes("2001:db8::", 65, "2001:db8::7fff:ffff:ffff:ffff");
	no("2001:db8::", 65, "2001:db8::8000:0:0:0");
	yes("2001:db8::1", 129, "2001:db8::1");
	no("2001:db8::1", 129, "2001:db8::");
	/* The deprecated IPv4-compatible form is plain IPv6. */
	no("127.0.0.1", 32, "::127.0.0.1");
	yes("::", 96, "::127.0.0.1");
}

/* IPv4-mapped peers are IPv4 peers; mapped entries are IPv4 CIDRs (see
 * forward.h). */
static void test_families(void)
{
	yes("127.0.0.1", 32, "::ffff:127.0.0.1");
	no("127.0.0.1", 32, "::ffff:127.0.0.2");
	yes("10.0.0.0", 8, "::ffff:10.1.2.3");
	no("10.0.0.0", 8, "::ffff:11.1.2.3");
	yes("0.0.0.0", 0, "::ffff:1.2.3.4");
	no("0.0.0.0", 0, "::1");
	no("0.0.0.0", 0, "2001:db8::1");
	no("0.0.0.0", 0, "::");
	/* IPv6 CIDRs match IPv6 peers only. */
	no("::", 0, "127.0.0.1");
	no("::", 0, "::ffff:127.0.0.1");
	no("::1", 128, "0.0.0.1");
	/* Mapped entries: ::ffff:a.b.c.d/P is a.b.c.d/(P - 96). */
	yes("::ffff:10.0.0.0", 104, "10.1.2.3");
	yes("::ffff:10.0.0.0", 104, "::ffff:10.255.255.255");
	no("::ffff:10.0.0.0", 104, "11.0.0.0");
	no("::ffff:10.0.0.0", 104, "2001:db8::1");
	yes("::ffff:127.0.0.1", 128, "127.0.0.1");
	no("::ffff:127.0.0.1", 128, "127.0.0.2");
	yes("::ffff:0.0.0.0", 96, "198.51.100.7");
	yes("::ffff:0.0.0.0", 96, "::ffff:198.51.100.7");
	no("::ffff:0.0.0.0", 96, "::1");
	yes("::ffff:192.0.2.0", 120, "192.0.2.255");
	no("::ffff:192.0.2.0", 120, "192.0.3.0");
}

static void test_trusted_misc(void)
{
	struct forward_net list[3];
	struct sockaddr_storage peer = addr("192.0.2.9");
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr_storage unspec;

	list[0] = proxy("10.0.0.0", 8);
	list[1] = proxy("2001:db8::", 32);
	list[2] = proxy("192.0.2.8", 30);
	ok(forward_peer_trusted(list, 3, (struct sockaddr *)&peer),
	   "a later entry matches");
	ok(!forward_peer_trusted(list, 2, (struct sockaddr *)&peer),
	   "only the first n entries count");
	ok(!forward_peer_trusted(list, 0, (struct sockaddr *)&peer),
	   "no entries: nobody trusted");
	ok(!forward_peer_trusted(NULL, 0, (struct sockaddr *)&peer),
	   "NULL list, n 0: nobody trusted");
	ok(!forward_peer_trusted(list, 3, NULL), "NULL peer: not trusted");
	list[0] = proxy("0.0.0.0", 0);
	list[1] = proxy("::", 0);
	ok(!forward_peer_trusted(list, 2, (struct sockaddr *)&un),
	   "AF_UNIX peer: not trusted by any CIDR");
	memset(&unspec, 0, sizeof(unspec));
	ok(!forward_peer_trusted(list, 2, (struct sockaddr *)&unspec),
	   "AF_UNSPEC peer: not trusted");
	memset(&list[0], 0, sizeof(list[0]));
	peer = addr("0.0.0.0");
	ok(!forward_peer_trusted(list, 1, (struct sockaddr *)&peer),
	   "an AF_UNSPEC entry matches nothing");
}

static void formats(const char *text, const char *want)
{
	struct sockaddr_storage ss = addr(text);
	char out[INET6_ADDRSTRLEN];

	memset(out, 'X', sizeof(out));
	forward_peer_format((struct sockaddr *)&ss, out, sizeof(out));
	is_str(out, want, "peer %s: its log form", text);
}

static void test_format(void)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr_storage ss;
	char out[INET6_ADDRSTRLEN];

	formats("192.0.2.1", "192.0.2.1");
	formats("0.0.0.0", "0.0.0.0");
	formats("255.255.255.255", "255.255.255.255");
	formats("::ffff:192.0.2.1", "192.0.2.1");
	formats("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
	formats("::1", "::1");
	formats("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	forward_peer_format((struct sockaddr *)&un, out, sizeof(out));
	is_str(out, "unix", "AF_UNIX shows as unix");
	forward_peer_format(NULL, out, sizeof(out));
	is_str(out, "-", "NULL shows as -");
	memset(&ss, 0, sizeof(ss));
	forward_peer_format((struct sockaddr *)&ss, out, sizeof(out));
	is_str(out, "-", "AF_UNSPEC shows as -");
	ss = addr("192.0.2.1");
	forward_peer_format((struct sockaddr *)&ss, out, 9);
	is_str(out, "-", "a buffer too short for the address: -");
	memset(out, 'X', sizeof(out));
	forward_peer_format((struct sockaddr *)&ss, out, 1);
	is_int(out[0], '\0', "a 1-byte buffer: empty string");
	is_int(out[1], 'X', "a 1-byte buffer: nothing after it written");
}

/* --- header parsers --- */

typedef bool (*parser)(const char *, size_t, const char **, size_t *);

/* `v` fit for a test name: at most 40 bytes, \xNN for anything odd. */
static const char *show(const char *v, size_t len)
{
	static char out[40 * 4 + 4];
	size_t o = 0;

	for (size_t i = 0; i < len && i < 40; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch >= 0x20 && ch < 0x7f)
			out[o++] = (char)ch;
		else
			o += (size_t)sprintf(out + o, "\\x%02x", ch);
	}
	strcpy(out + o, len > 40 ? "..." : "");
	return out;
}

/* Runs `parse` on the first `len` bytes of a heap copy of `v` (exactly
 * `len` bytes, no NUL after them: ASan catches a read past the slice). */
static void parses(parser parse, const char *name, const char *v, size_t len,
                   const char *want)
{
	char *copy = malloc(len ? len : 1);
	const char *host = NULL;
	size_t host_len = 0;
	bool got;

	if (copy == NULL)
		abort();
	memcpy(copy, v, len);
	got = parse(copy, len, &host, &host_len);
	if (want == NULL) {
		ok(!got, "%s \"%s\": no host", name, show(v, len));
	} else if (ok(got, "%s \"%s\": a host", name, show(v, len))) {
		ok(host >= copy && host + host_len <= copy + len,
		   "%s \"%s\": a slice of the input", name, show(v, len));
		is_mem(host, host_len, want, strlen(want), "%s \"%s\": host",
		       name, show(v, len));
	}
	free(copy);
}

#define xfh(v, want) \
	parses(forward_xfh_host, "X-Forwarded-Host", v, strlen(v), want)
#define fwd(v, want) \
	parses(forward_forwarded_host, "Forwarded", v, strlen(v), want)

static void test_xfh(void)
{
	xfh("mta-sts.example.com", "mta-sts.example.com");
	xfh("a", "a");
	xfh("a.example, b.example", "a.example");
	xfh("a.example,b.example,c.example", "a.example");
	xfh(" \t a.example \t ,b", "a.example");
	xfh("a.example:8443", "a.example:8443");
	xfh("a b", "a b");
	xfh("", NULL);
	xfh(" ", NULL);
	xfh(" \t ", NULL);
	xfh(",", NULL);
	xfh(",a.example", NULL);
	xfh(" ,a.example", NULL);
	xfh("\"a.example\"", "\"a.example\"");
	parses(forward_xfh_host, "X-Forwarded-Host", "abc,def", 2, "ab");
	parses(forward_xfh_host, "X-Forwarded-Host", "  abc", 2, NULL);
	xfh("\xc3\xa9.example", "\xc3\xa9.example");
	xfh("a\r\n.example", "a\r\n.example");
}

static void test_forwarded(void)
{
	fwd("host=a.example", "a.example");
	fwd("HOST=a.example", "a.example");
	fwd("Host=a.example", "a.example");
	fwd("for=192.0.2.1;host=a.example;proto=https", "a.example");
	fwd("for=192.0.2.1; host=a.example ;proto=https", "a.example");
	fwd("for=\"[2001:db8::1]:4711\";host=a.example", "a.example");
	fwd("host=a.example:8443", "a.example:8443");
	fwd("host=a;host=b", "a");
	fwd("host=\"a.example\"", "a.example");
	fwd("host=\"a.example\";proto=https", "a.example");
	/* Escapes are not undone; the raw slice goes on (see forward.h). */
	fwd("host=\"a\\\"b\"", "a\\\"b");
	fwd("host=\"a\\.example\"", "a\\.example");
	fwd("host=\"", "\"");
	fwd("host=\"a", "\"a");
	fwd("host=a\"", "a\"");
	/* Several elements: only the first counts. */
	fwd("host=a, host=b", "a");
	fwd("for=192.0.2.1, host=b", NULL);
	fwd("for=192.0.2.1;proto=http, for=198.51.100.1;host=b", NULL);
	fwd("host=\"a,b\"", "\"a");
	fwd("host=\"a;b\"", "\"a");
	/* Nothing to find. */
	fwd("", NULL);
	fwd(" ", NULL);
	fwd(";", NULL);
	fwd(";;;", NULL);
	fwd(",", NULL);
	fwd("host=", NULL);
	fwd("host=\"\"", NULL);
	fwd("host=;host=b", NULL);
	fwd("host", NULL);
	fwd("hos=a", NULL);
	fwd("xhost=a", NULL);
	fwd("hostname=a", NULL);
	fwd("host =a", NULL);
	fwd("for=192.0.2.1", NULL);
	/* Not NUL-terminated: the slice ends where the length says. */
	parses(forward_forwarded_host, "Forwarded", "host=abc", 6, "a");
	parses(forward_forwarded_host, "Forwarded", "host=abc", 5, NULL);
	parses(forward_forwarded_host, "Forwarded", "host=\"ab\"", 8, "\"ab");
	parses(forward_forwarded_host, "Forwarded", "host=", 4, NULL);
}

/* 10 KB values built to make a careless parser loop, overrun or slow. */
static void test_hostile(void)
{
	enum { N = 10240 };
	char *v = malloc(N + 64);
	size_t len;

	if (v == NULL)
		abort();
	memset(v, ' ', N);
	parses(forward_xfh_host, "X-Forwarded-Host", v, N, NULL);
	memset(v, ',', N);
	parses(forward_xfh_host, "X-Forwarded-Host", v, N, NULL);
	memset(v, 'a', N);
	{
		const char *host;
		size_t host_len;

		ok(forward_xfh_host(v, N, &host, &host_len) && host == v &&
		   host_len == N, "xfh: 10 KB host, whole slice");
		memcpy(v, "host=", 5);
		ok(forward_forwarded_host(v, N, &host, &host_len) &&
		   host == v + 5 && host_len == N - 5,
		   "Forwarded: 10 KB host= value, whole slice");
	}
	memset(v, ';', N);
	parses(forward_forwarded_host, "Forwarded", v, N, NULL);
	memset(v, '"', N);
	parses(forward_forwarded_host, "Forwarded", v, N, NULL);
	memset(v, '=', N);
	parses(forward_forwarded_host, "Forwarded", v, N, NULL);
	for (len = 0; len + 4 <= N; len += 4)
		memcpy(v + len, "a=b;", 4);
	memcpy(v + len, "host=x", 6);
	parses(forward_forwarded_host, "Forwarded", v, len + 6, "x");
	for (len = 0; len + 6 <= N; len += 6)
		memcpy(v + len, "host=\"", 6);
	{
		const char *host;
		size_t host_len;

		ok(forward_forwarded_host(v, len, &host, &host_len) &&
		   host == v + 6 && host_len == len - 7,
		   "Forwarded: 10 KB of host=\" is one quoted value");
	}
	free(v);
}

/* --- absolute form --- */

static void absolute(const char *target, const char *want_host,
                     const char *want_path)
{
	const char *host = "untouched", *path = "untouched";
	size_t host_len = 99;
	bool got = forward_absolute_form(target, strlen(target), &host,
	                                 &host_len, &path);

	if (want_host == NULL) {
		ok(!got && host_len == 99 && strcmp(host, "untouched") == 0 &&
		   strcmp(path, "untouched") == 0,
		   "target \"%s\": not absolute, outputs untouched", target);
		return;
	}
	ok(got, "target \"%s\": absolute", target);
	is_mem(host, host_len, want_host, strlen(want_host),
	       "target \"%s\": host \"%s\"", target, want_host);
	is_str(path, want_path, "target \"%s\": path \"%s\"", target, want_path);
}

static void test_absolute(void)
{
	const char *host, *path;
	size_t host_len;

	absolute("http://a.example/.well-known/mta-sts.txt", "a.example",
	         "/.well-known/mta-sts.txt");
	absolute("https://a.example/", "a.example", "/");
	absolute("HTTP://A.Example/x", "A.Example", "/x");
	absolute("HtTpS://a/x/y", "a", "/x/y");
	absolute("http://a.example", "a.example", "/");
	absolute("http://a.example:8080/x", "a.example:8080", "/x");
	absolute("http://u@a.example/", "u@a.example", "/");
	absolute("http:///x", "", "/x");
	absolute("http://", "", "/");
	absolute("https://", "", "/");
	absolute("http://a//b", "a", "//b");
	absolute("/", NULL, NULL);
	absolute("/http://a/", NULL, NULL);
	absolute("*", NULL, NULL);
	absolute("", NULL, NULL);
	absolute("http", NULL, NULL);
	absolute("http:/", NULL, NULL);
	absolute("http:/a/b", NULL, NULL);
	absolute("https:/", NULL, NULL);
	absolute("httpx://a/", NULL, NULL);
	absolute("ftp://a/", NULL, NULL);
	absolute(" http://a/", NULL, NULL);
	absolute("a.example", NULL, NULL);

	ok(forward_absolute_form("http://abc/def", 9, &host, &host_len, &path) &&
	   host_len == 2 && memcmp(host, "ab", 2) == 0 && strcmp(path, "/") == 0,
	   "length limits the authority and the search for '/'");
	ok(!forward_absolute_form("http://a/", 6, &host, &host_len, &path),
	   "a scheme cut by the length is not absolute");
}

/* --- the choice --- */

struct choice {
	const char *path, *host;
	bool unique;
};

static void chooses(const struct forward_in *in, bool trusted,
                    struct choice want, const char *what)
{
	struct forward_out out;

	memset(&out, 0x55, sizeof(out));
	forward_choose(in, trusted, &out);
	is_str(out.path, want.path, "%s: path", what);
	if (want.host == NULL)
		ok(out.host == NULL, "%s: no host", what);
	else
		is_mem(out.host, out.host_len, want.host, strlen(want.host),
		       "%s: host %s", what, want.host);
	is_int(out.unique, want.unique, "%s: unique %d", what, want.unique);
}

static void test_choose(void)
{
	struct forward_in in = {
		.target = "/x", .host = "h.example", .host_len = 9, .n_host = 1,
	};

	chooses(&in, false, (struct choice){ "/x", "h.example", true },
	        "Host alone");
	chooses(&in, true, (struct choice){ "/x", "h.example", true },
	        "Host alone, trusted");
	in.host_len = 1;
	chooses(&in, false, (struct choice){ "/x", "h", true },
	        "Host is host_len bytes");
	in.host_len = 9;
	in.n_host = 2;
	chooses(&in, false, (struct choice){ "/x", "h.example", false },
	        "two Host headers: the first, not unique");
	in.n_host = 0;
	in.host = NULL;
	in.host_len = 0;
	chooses(&in, false, (struct choice){ "/x", NULL, false }, "no Host");
	in.host = "";
	in.n_host = 1;
	chooses(&in, false, (struct choice){ "/x", "", true },
	        "empty Host: unique (name_host_key refuses it later)");

	/* Absolute form beats Host, and fixes the count. */
	in = (struct forward_in){ .target = "http://a.example/p",
	                          .host = "h.example", .host_len = 9,
	                          .n_host = 1 };
	chooses(&in, false, (struct choice){ "/p", "a.example", true },
	        "absolute form beats Host");
	in.n_host = 0;
	in.host = NULL;
	chooses(&in, false, (struct choice){ "/p", "a.example", true },
	        "absolute form without Host");
	in.n_host = 3;
	chooses(&in, false, (struct choice){ "/p", "a.example", true },
	        "absolute form with three Host headers");
	in.target = "http://";
	chooses(&in, false, (struct choice){ "/", "", true },
	        "absolute form, empty authority");

	/* Forwarding headers: only from a trusted peer. */
	in = (struct forward_in){ .target = "/x", .host = "h.example",
	                          .host_len = 9, .n_host = 1,
	                          .xfh = "x.example, y", .xfh_len = 12,
	                          .fwd = "host=f.example", .fwd_len = 14 };
	chooses(&in, false, (struct choice){ "/x", "h.example", true },
	        "untrusted: X-Forwarded-Host and Forwarded ignored");
	chooses(&in, true, (struct choice){ "/x", "x.example", true },
	        "trusted: X-Forwarded-Host beats Forwarded and Host");
	in.xfh = " ,y";
	in.xfh_len = 3;
	chooses(&in, true, (struct choice){ "/x", "f.example", true },
	        "trusted, empty X-Forwarded-Host: Forwarded");
	in.xfh = NULL;
	in.xfh_len = 0;
	chooses(&in, true, (struct choice){ "/x", "f.example", true },
	        "trusted, Forwarded alone");
	in.fwd = "for=a";
	in.fwd_len = 5;
	chooses(&in, true, (struct choice){ "/x", "h.example", true },
	        "trusted, Forwarded without host=: Host");
	in.n_host = 2;
	chooses(&in, true, (struct choice){ "/x", "h.example", false },
	        "trusted, no forwarded host, two Host headers: not unique");
	in.xfh = "x.example";
	in.xfh_len = 9;
	chooses(&in, true, (struct choice){ "/x", "x.example", true },
	        "trusted X-Forwarded-Host fixes two Host headers");
	chooses(&in, false, (struct choice){ "/x", "h.example", false },
	        "untrusted X-Forwarded-Host fixes nothing");
	in.n_host = 0;
	in.host = NULL;
	in.target = "http://a.example/p";
	chooses(&in, true, (struct choice){ "/p", "x.example", true },
	        "trusted X-Forwarded-Host beats the absolute form's host");
}

int main(void)
{
	test_ipv4();
	test_ipv6();
	test_families();
	test_trusted_misc();
	test_format();
	test_xfh();
	test_forwarded();
	test_hostile();
	test_absolute();
	test_choose();
	return tap_done();
}
