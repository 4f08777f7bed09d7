/*
 * http: prebuilt responses (http_site) and the libmicrohttpd server
 * (http_server).
 *
 * Every answer stsd can give is built when a configuration is loaded: the
 * policy and the index page of each served host, and a handful of fixed,
 * short error answers. The request path only looks things up: no allocation
 * of its own, no file I/O, no DNS.
 *
 * libmicrohttpd 0.9.75 facts this file relies on (read in its source):
 *  - Queueing a response in the first call of the access handler marks the
 *    request "discarded": MHD sends "Connection: close" and closes after the
 *    reply, without reading a request body. We use that on purpose for
 *    requests we refuse (a body, oversized headers, a server stopping), and
 *    queue everything else on the second call, so keep-alive works.
 *  - For HEAD, MHD sends the headers of the GET response, Content-Length
 *    included, and no body.
 *  - MHD splits the query string off the URL before the handler sees it.
 *    Its default unescaping decodes %HH in the path; we install an identity
 *    unescaper so that the path is compared exactly as sent.
 *  - With Transfer-Encoding present, MHD ignores Content-Length; with several
 *    Content-Length headers it uses the first. We refuse any request that
 *    carries a body, has both, or has more than one Content-Length, and
 *    close: no request smuggling through disagreeing length headers.
 *  - Headers over the memory pool get 431 from MHD itself (HTML body, fixed
 *    text) and the connection is closed.
 *  - MHD blocks SIGPIPE in the threads it creates and installs no signal
 *    handler, so it cannot fight main's SIG_IGN.
 *  - MHD keeps its connection in the GnuTLS session pointer (its PSK adapter
 *    reads it back), so tls.c keeps the store elsewhere (see tls.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "conf.h"
#include "hostmap.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "name.h"
#include "policy.h"
#include "snapshot.h"
#include "tls.h"

#define POLICY_PATH "/.well-known/mta-sts.txt"
#define INDEX_TEMPLATE_MAX (1024 * 1024)    /* bytes; a page, not a site */
#define STOP_POLL_NS 20000000L              /* 20 ms */

/*
 * The built-in index page template: www/index.html, turned into a C string
 * at build time (see Makefile.am), so that the installed example and the
 * built-in default cannot drift apart.
 */
static const char default_index_template[] =
#include "index_html.h"
;

/* ------------------------------------------------------------------------
 * http_site: the prebuilt answers of one configuration
 */

/* One answer: a response shared by every connection, its status, and the
 * length of its body (for the access log). */
struct http_answer {
	struct MHD_Response *resp;
	unsigned status;
	size_t len;
};

struct http_route {
	char *host;                 /* "mta-sts.<domain>", the hostmap key */
	struct http_answer policy;
	struct http_answer index;   /* resp NULL when the index page is off */
};

enum fixed_answer {
	ANSWER_400,
	ANSWER_404,
	ANSWER_405,
	ANSWER_413,
	ANSWER_431,
	N_FIXED_ANSWERS
};

struct http_site {
	struct hostmap *hosts;      /* host key -> struct http_route */
	struct http_route *routes;
	size_t n_routes;
	struct http_answer fixed[N_FIXED_ANSWERS];
	int log_fd;                 /* access log, or -1 */
	bool log_fd_owned;          /* false for stderr */
};

/* A growable byte buffer, for building index pages at load time. */
struct buf {
	char *p;
	size_t len, cap;
	bool failed;                /* an allocation failed; p is unchanged */
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Appends `s` escaped for HTML text and attribute values. With `drop_cr`,
 * carriage returns are left out (the policy's CRLF reads as LF in <pre>). */
static void buf_add_html(struct buf *b, const char *s, size_t n, bool drop_cr)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '\r': rep = drop_cr ? "" : NULL; break;
		default: rep = NULL; break;
		}
		if (rep == NULL)
			continue;
		buf_add(b, s + start, i - start);
		buf_adds(b, rep);
		start = i + 1;
	}
	buf_add(b, s + start, n - start);
}

enum placeholder {
	PH_DOMAIN,
	PH_POLICY_HOST,
	PH_POLICY_URL,
	PH_MODE,
	PH_MAX_AGE,
	PH_MX,
	PH_ID,
	PH_POLICY,
	N_PLACEHOLDERS
};

static const char *const placeholder_names[N_PLACEHOLDERS] = {
	[PH_DOMAIN] = "domain",
	[PH_POLICY_HOST] = "policy_host",
	[PH_POLICY_URL] = "policy_url",
	[PH_MODE] = "mode",
	[PH_MAX_AGE] = "max_age",
	[PH_MX] = "mx",
	[PH_ID] = "id",
	[PH_POLICY] = "policy",
};

static bool is_placeholder_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || ch == '_';
}

/*
 * Finds the next "{{name}}" (name: [a-z_]+) at or after `from`. Returns a
 * pointer to its "{{" and sets *name / *name_len, or NULL. Any other "{{" is
 * text.
 */
static const char *next_placeholder(const char *from, const char **name,
                                    size_t *name_len)
{
	const char *p = from;

	while ((p = strstr(p, "{{")) != NULL) {
		const char *q = p + 2;

		while (is_placeholder_char(*q))
			q++;
		if (q > p + 2 && q[0] == '}' && q[1] == '}') {
			*name = p + 2;
			*name_len = (size_t)(q - (p + 2));
			return p;
		}
		p++;
	}
	return NULL;
}

static int placeholder_lookup(const char *name, size_t len)
{
	for (int i = 0; i < N_PLACEHOLDERS; i++)
		if (strlen(placeholder_names[i]) == len &&
		    memcmp(placeholder_names[i], name, len) == 0)
			return i;
	return -1;
}

/* Reports every unknown placeholder of `tpl` (once per occurrence, with its
 * line in the template). Returns the number found. */
static unsigned template_check(const char *tpl, const char *file,
                               const struct loc *at, struct diag *d)
{
	const char *p = tpl, *name;
	size_t len;
	unsigned bad = 0;

	while ((p = next_placeholder(p, &name, &len)) != NULL) {
		if (placeholder_lookup(name, len) < 0) {
			unsigned line = 1;

			for (const char *q = tpl; q < p; q++)
				line += *q == '\n';
			diag_error(d, at, "index template %s, line %u: unknown "
			           "placeholder {{%.*s}} (known: domain, "
			           "policy_host, policy_url, mode, max_age, mx, id, "
			           "policy)", file, line, (int)len, name);
			bad++;
		}
		p = name + len + 2;
	}
	return bad;
}

static void render_value(struct buf *b, int ph, const struct policy *pol)
{
	char num[16];

	switch (ph) {
	case PH_DOMAIN:
		buf_add_html(b, pol->domain, strlen(pol->domain), false);
		break;
	case PH_POLICY_HOST:
		buf_adds(b, "mta-sts.");
		buf_add_html(b, pol->domain, strlen(pol->domain), false);
		break;
	case PH_POLICY_URL:
		buf_adds(b, "https://mta-sts.");
		buf_add_html(b, pol->domain, strlen(pol->domain), false);
		buf_adds(b, POLICY_PATH);
		break;
	case PH_MODE:
		buf_adds(b, policy_mode_name(pol->mode));
		break;
	case PH_MAX_AGE:
		snprintf(num, sizeof(num), "%lu", (unsigned long)pol->max_age);
		buf_adds(b, num);
		break;
	case PH_MX:
		for (size_t i = 0; i < pol->n_mx; i++) {
			if (i > 0)
				buf_adds(b, ", ");
			buf_add_html(b, pol->mx[i], strlen(pol->mx[i]), false);
		}
		break;
	case PH_ID:
		buf_add_html(b, pol->id, strlen(pol->id), false);
		break;
	case PH_POLICY:
		buf_add_html(b, pol->body, pol->body_len, true);
		break;
	default:
		break;
	}
}

/* The index page of one domain. `tpl` has been checked. Caller frees. */
static char *template_render(const char *tpl, const struct policy *pol,
                             size_t *len)
{
	struct buf b = { 0 };
	const char *p = tpl, *ph, *name;
	size_t name_len;

	while ((ph = next_placeholder(p, &name, &name_len)) != NULL) {
		buf_add(&b, p, (size_t)(ph - p));
		render_value(&b, placeholder_lookup(name, name_len), pol);
		p = name + name_len + 2;
	}
	buf_adds(&b, p);
	if (b.failed || b.p == NULL) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* Reads the operator's template file. Caller frees. NULL after reporting. */
static char *template_read(const char *path, const struct loc *at,
                           struct diag *d)
{
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		diag_error(d, at, "cannot open index template %s: %s", path,
		           strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_add(&b, chunk, n);
		if (b.len > INDEX_TEMPLATE_MAX)
			break;
	}
	if (ferror(f)) {
		diag_error(d, at, "cannot read index template %s: %s", path,
		           strerror(errno));
		goto fail;
	}
	if (b.len > INDEX_TEMPLATE_MAX) {
		diag_error(d, at, "index template %s is larger than %d bytes",
		           path, INDEX_TEMPLATE_MAX);
		goto fail;
	}
	if (b.failed) {
		diag_error(d, at, "out of memory reading index template %s", path);
		goto fail;
	}
	if (memchr(b.p ? b.p : "", '\0', b.len) != NULL) {
		diag_error(d, at, "index template %s contains a NUL byte", path);
		goto fail;
	}
	fclose(f);
	if (b.p == NULL)
		b.p = strdup("");
	if (b.p == NULL)
		diag_error(d, at, "out of memory");
	return b.p;
fail:
	fclose(f);
	free(b.p);
	return NULL;
}

/* Adds headers (name, value pairs, NULL-terminated) to `r`. 0 or -1. */
static int add_headers(struct MHD_Response *r, const char *const *hv)
{
	for (; hv[0] != NULL; hv += 2)
		if (MHD_add_response_header(r, hv[0], hv[1]) != MHD_YES)
			return -1;
	return 0;
}

/*
 * Makes an answer from `len` bytes at `body` with headers `hv`. `how` is
 * MHD_RESPMEM_PERSISTENT (body outlives the response) or
 * MHD_RESPMEM_MUST_FREE (the response takes the malloc'd body, even on
 * failure). 0 or -1.
 */
static int answer_make(struct http_answer *a, unsigned status, const char *body,
                       size_t len, enum MHD_ResponseMemoryMode how,
                       const char *const *hv)
{
	a->status = status;
	a->len = len;
	a->resp = MHD_create_response_from_buffer(len, (void *)body, how);
	if (a->resp == NULL) {
		if (how == MHD_RESPMEM_MUST_FREE)
			free((void *)body);
		return -1;
	}
	if (add_headers(a->resp, hv) != 0) {
		MHD_destroy_response(a->resp);
		a->resp = NULL;
		return -1;
	}
	return 0;
}

static void answer_clear(struct http_answer *a)
{
	if (a->resp != NULL)
		MHD_destroy_response(a->resp);
	a->resp = NULL;
}

/* The fixed short answers: plain text, never cached, never echoing input. */
static int site_build_fixed(struct http_site *s)
{
	static const struct {
		unsigned status;
		const char *body;
	} fixed[N_FIXED_ANSWERS] = {
		[ANSWER_400] = { MHD_HTTP_BAD_REQUEST, "bad request\n" },
		[ANSWER_404] = { MHD_HTTP_NOT_FOUND, "not found\n" },
		[ANSWER_405] = { MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n" },
		[ANSWER_413] = { MHD_HTTP_CONTENT_TOO_LARGE, "request body not allowed\n" },
		[ANSWER_431] = { MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
		                 "request header too large\n" },
	};
	static const char *const plain[] = {
		MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain",
		MHD_HTTP_HEADER_CACHE_CONTROL, "no-store",
		NULL,
	};
	static const char *const with_allow[] = {
		MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain",
		MHD_HTTP_HEADER_CACHE_CONTROL, "no-store",
		MHD_HTTP_HEADER_ALLOW, "GET, HEAD",
		NULL,
	};

	for (int i = 0; i < N_FIXED_ANSWERS; i++)
		if (answer_make(&s->fixed[i], fixed[i].status, fixed[i].body,
		                strlen(fixed[i].body), MHD_RESPMEM_PERSISTENT,
		                i == ANSWER_405 ? with_allow : plain) != 0)
			return -1;
	return 0;
}

static int route_build(struct http_route *r, const struct conf *c,
                       const struct conf_domain *dom, const char *tpl)
{
	const struct policy *pol = &dom->policy;
	const char *const policy_headers[] = {
		MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain",
		MHD_HTTP_HEADER_CACHE_CONTROL, c->cache_control ?
			c->cache_control : CONF_DEFAULT_CACHE_CONTROL,
		NULL,
	};
	static const char *const index_headers[] = {
		MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8",
		MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache",
		"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'",
		"X-Content-Type-Options", "nosniff",
		NULL,
	};
	char *page;
	size_t page_len = 0;

	/* The body lives in the conf, which outlives the site. */
	if (answer_make(&r->policy, MHD_HTTP_OK, pol->body, pol->body_len,
	                MHD_RESPMEM_PERSISTENT, policy_headers) != 0)
		return -1;
	if (tpl == NULL)
		return 0;
	page = template_render(tpl, pol, &page_len);
	if (page == NULL)
		return -1;
	return answer_make(&r->index, MHD_HTTP_OK, page, page_len,
	                   MHD_RESPMEM_MUST_FREE, index_headers);
}

static int site_open_log(struct http_site *s, const struct conf *c,
                         struct diag *d)
{
	s->log_fd = -1;
	if (c->access_log == NULL)
		return 0;
	if (strcmp(c->access_log, "-") == 0) {
		s->log_fd = STDERR_FILENO;
		return 0;
	}
	/* Opened per load, so that a reload after log rotation reopens it. */
	s->log_fd = open(c->access_log,
	                 O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	                 0640);
	if (s->log_fd < 0) {
		struct loc at = { .file = c->path };

		diag_error(d, &at, "cannot open access log %s: %s",
		           c->access_log, strerror(errno));
		return -1;
	}
	s->log_fd_owned = true;
	return 0;
}

struct http_site *http_site_build(const struct conf *c, struct diag *d)
{
	struct http_site *s = calloc(1, sizeof(*s));
	char *own_tpl = NULL;
	const char *tpl = NULL;

	if (s == NULL)
		goto nomem;
	s->log_fd = -1;
	if (c->index_page) {
		if (c->index_template != NULL) {
			own_tpl = template_read(c->index_template,
			                        &c->index_template_loc, d);
			if (own_tpl == NULL)
				goto fail;
			tpl = own_tpl;
		} else {
			tpl = default_index_template;
		}
		if (template_check(tpl, c->index_template ? c->index_template :
		                   "(built-in)", &c->index_template_loc, d) > 0)
			goto fail;
	}
	if (site_open_log(s, c, d) != 0)
		goto fail;
	if (site_build_fixed(s) != 0)
		goto nomem;
	s->hosts = hostmap_new(c->n_domains);
	s->routes = calloc(c->n_domains ? c->n_domains : 1, sizeof(*s->routes));
	if (s->hosts == NULL || s->routes == NULL)
		goto nomem;
	for (size_t i = 0; i < c->n_domains; i++) {
		const struct conf_domain *dom = &c->domains[i];
		struct http_route *r = &s->routes[i];
		size_t n = strlen("mta-sts.") + strlen(dom->policy.domain);
		int put;

		s->n_routes++;
		if (n > NAME_MAX_LEN) {
			diag_error(d, &dom->loc, "mta-sts.%s is longer than %d "
			           "characters: no client can ask for it",
			           dom->policy.domain, NAME_MAX_LEN);
			goto fail;
		}
		r->host = malloc(n + 1);
		if (r->host == NULL)
			goto nomem;
		snprintf(r->host, n + 1, "mta-sts.%s", dom->policy.domain);
		if (route_build(r, c, dom, tpl) != 0)
			goto nomem;
		put = hostmap_put(s->hosts, r->host, r);
		if (put < 0)
			goto nomem;
		if (put > 0) {
			diag_error(d, &dom->loc, "domain %s is configured twice",
			           dom->policy.domain);
			goto fail;
		}
	}
	free(own_tpl);
	return s;
nomem:
	diag_error(d, NULL, "out of memory building the HTTP responses");
fail:
	free(own_tpl);
	http_site_free(s);
	return NULL;
}

void http_site_free(struct http_site *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_routes; i++) {
		answer_clear(&s->routes[i].policy);
		answer_clear(&s->routes[i].index);
		free(s->routes[i].host);
	}
	for (int i = 0; i < N_FIXED_ANSWERS; i++)
		answer_clear(&s->fixed[i]);
	hostmap_free(s->hosts);
	free(s->routes);
	if (s->log_fd_owned)
		close(s->log_fd);
	free(s);
}

/* ------------------------------------------------------------------------
 * http_server: one libmicrohttpd daemon per listening socket
 */

struct http_server;

struct http_listener {
	struct http_server *srv;
	struct MHD_Daemon *daemon;
	enum listen_kind kind;
	int fd;                     /* ours until handed to MHD; then -1 */
};

struct http_server {
	struct http_listener *listeners;
	size_t n_listeners;
	atomic_bool stopping;       /* answer, then close: connections drain */
	atomic_uint in_flight;      /* requests between handler and completion */
};

/* The request in progress on a connection (HTTP/1.1 has one at a time). The
 * strings point into MHD's connection pool, valid until the request ends. */
struct http_req {
	const struct http_answer *answer;
	struct timespec start;      /* CLOCK_MONOTONIC, first handler call */
	const char *method, *url;
	const char *host, *ua;      /* as sent, for the log; or NULL */
	size_t host_len, ua_len;
	bool head;
};

/* Per connection, from NOTIFY_CONNECTION STARTED to CLOSED. */
struct http_conn {
	struct snapshot *snap;      /* one reference, for the whole connection */
	struct http_listener *listener;
	gnutls_session_t tls;       /* NULL on plain HTTP */
	bool trusted;               /* peer is a trusted proxy */
	char peer[INET6_ADDRSTRLEN];
	struct http_req req;
};

/* --- peer address and trusted proxies --- */

/* Points *bytes at the peer's address bytes and returns AF_INET (4 bytes,
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

static bool peer_is_proxy(const struct conf *c, const struct sockaddr *sa)
{
	const unsigned char *peer, *net;
	int fam = addr_bytes(sa, &peer);

	if (fam == 0)
		return false;
	for (size_t i = 0; i < c->n_proxies; i++) {
		const struct conf_proxy *p = &c->proxies[i];
		unsigned max = fam == AF_INET ? 32 : 128;

		if (addr_bytes((const struct sockaddr *)&p->addr, &net) != fam)
			continue;
		if (prefix_match(peer, net, p->prefix > max ? max : p->prefix))
			return true;
	}
	return false;
}

static void peer_format(const struct sockaddr *sa, char *out, size_t len)
{
	const unsigned char *bytes;
	int fam = addr_bytes(sa, &bytes);

	if (fam == 0 || inet_ntop(fam, bytes, out, (socklen_t)len) == NULL)
		snprintf(out, len, "%s", sa && sa->sa_family == AF_UNIX ?
		         "unix" : "-");
}

/* --- request headers --- */

/* What one pass over the request headers collects. */
struct req_headers {
	const char *host, *xfh, *fwd, *ua;
	size_t host_len, xfh_len, fwd_len, ua_len;
	unsigned n_host, n_content_length;
	bool chunked;               /* any Transfer-Encoding */
	bool body;                  /* Content-Length > 0 or Transfer-Encoding */
	size_t bytes;               /* request line and header fields, as sent */
};

static bool key_is(const char *key, size_t key_len, const char *name)
{
	return strlen(name) == key_len && strncasecmp(key, name, key_len) == 0;
}

static bool all_zeros(const char *v, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (v[i] != '0')
			return false;
	return true;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind,
                                   const char *key, size_t key_len,
                                   const char *value, size_t value_len)
{
	struct req_headers *h = cls;

	(void)kind;
	if (value == NULL)
		value_len = 0;
	h->bytes += key_len + value_len + 4;    /* ": " and CRLF */
	if (key_is(key, key_len, MHD_HTTP_HEADER_HOST)) {
		if (h->n_host++ == 0) {
			h->host = value;
			h->host_len = value_len;
		}
	} else if (key_is(key, key_len, MHD_HTTP_HEADER_USER_AGENT)) {
		h->ua = value;
		h->ua_len = value_len;
	} else if (key_is(key, key_len, "X-Forwarded-Host")) {
		if (h->xfh == NULL) {
			h->xfh = value;
			h->xfh_len = value_len;
		}
	} else if (key_is(key, key_len, "Forwarded")) {
		if (h->fwd == NULL) {
			h->fwd = value;
			h->fwd_len = value_len;
		}
	} else if (key_is(key, key_len, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		h->n_content_length++;
		if (value == NULL || !all_zeros(value, value_len))
			h->body = true;
	} else if (key_is(key, key_len, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		h->body = true;
		h->chunked = true;
	}
	return MHD_YES;
}

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

/* X-Forwarded-Host: the first value (the one the client sent to the first
 * proxy). */
static bool xfh_host(const char *v, size_t len, const char **host,
                     size_t *host_len)
{
	const char *comma = memchr(v, ',', len);

	if (comma != NULL)
		len = (size_t)(comma - v);
	trim(&v, &len);
	*host = v;
	*host_len = len;
	return len > 0;
}

/* Forwarded (RFC 7239): the host= parameter of the first element. A quoted
 * value loses its quotes; one with escapes cannot be a host name anyway. */
static bool forwarded_host(const char *v, size_t len, const char **host,
                           size_t *host_len)
{
	const char *comma = memchr(v, ',', len);
	const char *end;

	if (comma != NULL)
		len = (size_t)(comma - v);
	end = v + len;
	while (v < end) {
		const char *semi = memchr(v, ';', (size_t)(end - v));
		const char *pair = v;
		size_t pair_len = (size_t)((semi ? semi : end) - v);

		v = semi ? semi + 1 : end;
		trim(&pair, &pair_len);
		if (pair_len < 5 || strncasecmp(pair, "host=", 5) != 0)
			continue;
		pair += 5;
		pair_len -= 5;
		if (pair_len >= 2 && pair[0] == '"' && pair[pair_len - 1] == '"') {
			pair++;
			pair_len -= 2;
		}
		*host = pair;
		*host_len = pair_len;
		return pair_len > 0;
	}
	return false;
}

/*
 * An absolute-form request target ("GET http://host/path", RFC 7230 5.3.2):
 * the authority replaces Host (RFC 7230 5.4) and *path moves to the path.
 */
static bool absolute_form(const char **path, const char **host,
                          size_t *host_len)
{
	const char *u = *path, *slash;
	size_t skip;

	if (strncasecmp(u, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(u, "https://", 8) == 0)
		skip = 8;
	else
		return false;
	u += skip;
	slash = strchr(u, '/');
	*host = u;
	*host_len = slash ? (size_t)(slash - u) : strlen(u);
	*path = slash ? slash : "/";
	return true;
}

/*
 * Decides the answer to the request whose headers have just been received
 * (first handler call) and records it in c->req. Returns true when the answer
 * must go out at once and the connection close: a body we will not read,
 * headers over the limit, ambiguous framing.
 */
static bool request_route(struct http_conn *c, struct MHD_Connection *mc,
                          const char *url, const char *method)
{
	const struct http_site *site = c->snap->site;
	const struct conf *conf = c->snap->conf;
	struct http_req *r = &c->req;
	struct req_headers h;
	const struct http_route *route = NULL;
	const char *path = url, *host, *fh;
	size_t host_len, fh_len;
	char key[NAME_MAX_LEN + 1];
	bool get;
	int n;

	memset(r, 0, sizeof(*r));
	memset(&h, 0, sizeof(h));
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->method = method;
	r->url = url;
	r->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	get = r->head || strcmp(method, MHD_HTTP_METHOD_GET) == 0;

	/* "METHOD URL HTTP/1.1\r\n" and the final CRLF; the query string MHD
	 * split off is not counted (MHD's own pool limit bounds it). */
	h.bytes = strlen(method) + strlen(url) + 13;
	MHD_get_connection_values_n(mc, MHD_HEADER_KIND, scan_header, &h);
	r->ua = h.ua;
	r->ua_len = h.ua_len;
	host = h.host;
	host_len = h.host_len;
	if (absolute_form(&path, &host, &host_len))
		h.n_host = 1;
	if (c->trusted &&
	    ((h.xfh && xfh_host(h.xfh, h.xfh_len, &fh, &fh_len)) ||
	     (h.fwd && forwarded_host(h.fwd, h.fwd_len, &fh, &fh_len)))) {
		host = fh;
		host_len = fh_len;
		h.n_host = 1;
	}
	r->host = host;
	r->host_len = host_len;

	if (h.bytes > conf->max_header_bytes) {
		r->answer = &site->fixed[ANSWER_431];
		return true;
	}
	/* Framing that two parsers could read differently, or no host. */
	if (h.n_content_length > 1 || (h.chunked && h.n_content_length > 0) ||
	    h.n_host != 1 || host == NULL) {
		r->answer = &site->fixed[ANSWER_400];
		return true;
	}
	n = name_host_key(host, host_len, key);
	if (n >= 0)
		route = hostmap_get(site->hosts, key, (size_t)n);
	if (route != NULL && strcmp(path, POLICY_PATH) == 0)
		r->answer = &route->policy;
	else if (route != NULL && strcmp(path, "/") == 0 && route->index.resp)
		r->answer = &route->index;
	else
		r->answer = &site->fixed[ANSWER_404];
	if (r->answer->status == MHD_HTTP_OK && !get)
		r->answer = &site->fixed[ANSWER_405];
	if (h.body && r->answer->status == MHD_HTTP_OK)
		r->answer = &site->fixed[ANSWER_413];
	return h.body;
}

/* --- access log --- */

/* A fixed line buffer; appends truncate silently, keeping room for '\n'. */
struct line {
	char p[1024];
	size_t len;
};

static void line_add(struct line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->p) - 1 - l->len;

	if (n > room)
		n = room;
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void line_adds(struct line *l, const char *s)
{
	line_add(l, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void line_addf(struct line *l, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		line_add(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Client-supplied bytes: at most `max` of them, anything but printable
 * ASCII, '"' and '\\' written as \xNN; "-" for none. */
static void line_add_client(struct line *l, const char *s, size_t n, size_t max)
{
	static const char hex[] = "0123456789abcdef";

	if (s == NULL) {
		line_adds(l, "-");
		return;
	}
	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch <= 0x7e && ch != '"' && ch != '\\') {
			line_add(l, (const char *)&ch, 1);
		} else {
			char esc[4] = { '\\', 'x', hex[ch >> 4], hex[ch & 15] };

			line_add(l, esc, 4);
		}
	}
	if (n > max)
		line_adds(l, "...");
}

/* "2026-11-29T15:04:05Z" without gmtime_r (which takes glibc's tz lock). */
static void line_add_utc(struct line *l, time_t t)
{
	long long days = (long long)t / 86400, secs = (long long)t % 86400;
	long long era, doe, yoe, doy, mp, y, m, d;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* Howard Hinnant's civil_from_days. */
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	line_addf(l, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", y, m, d,
	          secs / 3600, secs / 60 % 60, secs % 60);
}

static void access_log(const struct http_conn *c)
{
	const struct http_req *r = &c->req;
	int fd = c->snap->site->log_fd;
	struct timespec now, wall;
	struct line l;
	char sni[NAME_MAX_LEN + 2];
	size_t sni_len = 0;
	long long us;

	if (fd < 0 || r->answer == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_REALTIME, &wall);
	us = (long long)(now.tv_sec - r->start.tv_sec) * 1000000 +
	     (now.tv_nsec - r->start.tv_nsec) / 1000;
	if (c->tls != NULL)
		sni_len = tls_session_sni(c->tls, sni, sizeof(sni));

	l.len = 0;
	line_add_utc(&l, wall.tv_sec);
	line_adds(&l, " ");
	line_adds(&l, c->peer);
	line_adds(&l, " host=");
	line_add_client(&l, r->host, r->host_len, 128);
	line_adds(&l, " sni=");
	line_add_client(&l, sni_len ? sni : NULL, sni_len, 128);
	line_adds(&l, " \"");
	line_add_client(&l, r->method, strlen(r->method), 16);
	line_adds(&l, " ");
	line_add_client(&l, r->url, strlen(r->url), 256);
	line_addf(&l, "\" %u %zu %lld.%03lldms \"", r->answer->status,
	          r->head ? (size_t)0 : r->answer->len, us / 1000, us % 1000);
	line_add_client(&l, r->ua, r->ua_len, 256);
	line_adds(&l, "\"");
	l.p[l.len++] = '\n';
	/* One write: lines from several threads never interleave (O_APPEND). */
	if (write(fd, l.p, l.len) < 0) {
		/* Nothing sensible to do per request; the log is best effort. */
	}
}

/* --- libmicrohttpd callbacks --- */

static struct http_conn *conn_open(struct http_listener *l,
                                   struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci;
	struct http_conn *c = calloc(1, sizeof(*c));
	gnutls_session_t session = NULL;

	if (l->kind == LISTEN_HTTPS) {
		ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		session = ci ? (gnutls_session_t)ci->tls_session : NULL;
	}
	if (c == NULL)
		goto fail;
	c->listener = l;
	c->snap = snapshot_acquire();
	if (c->snap == NULL)
		goto fail;
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	peer_format(ci ? ci->client_addr : NULL, c->peer, sizeof(c->peer));
	c->trusted = l->kind == LISTEN_UNIX ||
	             (ci && peer_is_proxy(c->snap->conf, ci->client_addr));
	if (session != NULL) {
		if (c->snap->tls == NULL ||
		    tls_session_setup(c->snap->tls, session) != 0) {
			log_warnx("cannot set up a TLS session for %s", c->peer);
			goto fail;
		}
		c->tls = session;
	}
	return c;
fail:
	/* Without tls_session_setup() the session has no store, and the
	 * certificate callback fails the handshake. */
	if (c != NULL)
		snapshot_release(c->snap);
	free(c);
	return NULL;
}

static void on_connection(void *cls, struct MHD_Connection *mc,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct http_conn *c;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = conn_open(cls, mc);
		return;
	}
	c = *socket_context;
	*socket_context = NULL;
	if (c != NULL) {
		snapshot_release(c->snap);
		free(c);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
	struct http_listener *l = cls;
	struct http_conn *c = *req_cls;
	bool close_now;

	(void)version;
	(void)upload_data;
	if (c == NULL) {
		/* First call: headers are in. */
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

		c = ci ? ci->socket_context : NULL;
		if (c == NULL)
			return MHD_NO;  /* conn_open failed: just close */
		*req_cls = c;
		atomic_fetch_add(&l->srv->in_flight, 1);
		close_now = request_route(c, mc, url, method);
		if (!close_now && !atomic_load(&l->srv->stopping))
			return MHD_YES; /* answer on the next call: keep-alive */
	} else if (*upload_data_size != 0) {
		/* Not reached: a request with a body is answered on the first
		 * call, so MHD reads no body. Drop it if it ever comes. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	return MHD_queue_response(mc, c->req.answer->status,
	                          c->req.answer->resp);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct http_listener *l = cls;
	struct http_conn *c = *req_cls;

	(void)mc;
	(void)toe;
	if (c == NULL)
		return;
	access_log(c);
	memset(&c->req, 0, sizeof(c->req));
	*req_cls = NULL;
	atomic_fetch_sub(&l->srv->in_flight, 1);
}

/* The path exactly as sent: no %HH decoding (see the top of this file). */
static size_t unescape_none(void *cls, struct MHD_Connection *mc, char *s)
{
	(void)cls;
	(void)mc;
	return strlen(s);
}

__attribute__((format(printf, 2, 0)))
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_msg(LOG_LEVEL_DEBUG, "libmicrohttpd: %s", msg);
}

/*
 * MHD's per-connection memory pool holds the read buffer (which starts at
 * half the pool), the parsed header list and the reply header. Twice the
 * header limit plus 4 KiB lets any request within the limit in (checked
 * exactly, 431, in request_route) while MHD answers 431 itself to anything
 * much larger, so memory per connection stays bounded at about
 * 2 * max_header_bytes + 4 KiB (20 KiB with the default 8192).
 */
static size_t pool_size(const struct conf *c)
{
	return (size_t)c->max_header_bytes * 2 + 4096;
}

static int listener_start(struct http_listener *l, const struct conf *c,
                          size_t i)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                 MHD_USE_ITC | MHD_USE_ERROR_LOG;
	/* Behind a proxy on TCP, every request comes from the proxy's address:
	 * a per-IP limit would cap the whole site. */
	unsigned per_ip = (l->kind == LISTEN_HTTP && c->n_proxies > 0) ?
		0 : c->max_connections_per_ip;
	struct MHD_OptionItem tls_options[] = {
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, c->tls_priorities ?
		  c->tls_priorities : (char *)CONF_DEFAULT_TLS_PRIORITIES },
		{ MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)tls_cert_callback },
		/* tls_session_setup() offers "http/1.1" alone */
		{ MHD_OPTION_TLS_NO_ALPN, 1, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_OptionItem no_options[] = {
		{ MHD_OPTION_END, 0, NULL },
	};
	char where[128];

	if (l->kind == LISTEN_HTTPS)
		flags |= MHD_USE_TLS;
	listen_describe(l->fd, where, sizeof(where));
	l->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, l,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)l->fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->timeout_seconds,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool_size(c),
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
		MHD_OPTION_ARRAY, l->kind == LISTEN_HTTPS ? tls_options : no_options,
		MHD_OPTION_END);
	/* The socket is MHD's now: it closes it on stop, and on some (not
	 * all) of its failure paths, so we never close it again. A failure
	 * here ends the process anyway. */
	l->fd = -1;
	if (l->daemon == NULL) {
		log_warnx("%s: cannot start serving on %s (libmicrohttpd "
		          "refused; run with -v for its reason)",
		          c->listeners[i].text ? c->listeners[i].text : where,
		          where);
		return -1;
	}
	switch (l->kind) {
	case LISTEN_HTTPS:
		log_info("listening on https://%s", where);
		break;
	case LISTEN_HTTP:
		log_info("listening on http://%s", where);
		break;
	case LISTEN_UNIX:
		log_info("listening on %s", where);
		break;
	}
	return 0;
}

static void server_free(struct http_server *srv)
{
	for (size_t i = 0; i < srv->n_listeners; i++) {
		if (srv->listeners[i].daemon != NULL)
			MHD_stop_daemon(srv->listeners[i].daemon);
		if (srv->listeners[i].fd >= 0)
			close(srv->listeners[i].fd);
	}
	free(srv->listeners);
	free(srv);
}

struct http_server *http_server_start(const struct conf *c, const int *fds,
                                      size_t n_fds)
{
	struct http_server *srv = NULL;

	if (n_fds > c->n_listeners) {
		log_warnx("cannot start the HTTP server: %zu sockets for %zu "
		          "listeners", n_fds, c->n_listeners);
		goto fail;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL || (srv->listeners = calloc(n_fds ? n_fds : 1,
	                                            sizeof(*srv->listeners))) == NULL) {
		log_warnx("cannot start the HTTP server: out of memory");
		goto fail;
	}
	atomic_init(&srv->stopping, false);
	atomic_init(&srv->in_flight, 0);
	srv->n_listeners = n_fds;
	for (size_t i = 0; i < n_fds; i++) {
		srv->listeners[i].srv = srv;
		srv->listeners[i].kind = c->listeners[i].kind;
		srv->listeners[i].fd = fds[i];
	}
	for (size_t i = 0; i < n_fds; i++) {
		if (listener_start(&srv->listeners[i], c, i) != 0) {
			server_free(srv);
			return NULL;
		}
	}
	return srv;
fail:
	/* The fds are ours: close them, as a started server would have. */
	for (size_t i = 0; i < n_fds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (srv != NULL)
		free(srv->listeners);
	free(srv);
	return NULL;
}

static unsigned server_connections(const struct http_server *srv)
{
	unsigned n = 0;

	for (size_t i = 0; i < srv->n_listeners; i++) {
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(
			srv->listeners[i].daemon,
			MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

		if (di != NULL)
			n += di->num_connections;
	}
	return n;
}

void http_server_stop(struct http_server *srv, unsigned grace_seconds)
{
	struct timespec now, deadline;
	const struct timespec tick = { 0, STOP_POLL_NS };

	if (srv == NULL)
		return;
	/* From now on every answer goes out with "Connection: close". */
	atomic_store(&srv->stopping, true);
	for (size_t i = 0; i < srv->n_listeners; i++) {
		/* Quiescing hands the listening socket back to us (MHD will not
		 * close it); closing it now makes the kernel refuse new clients
		 * instead of queueing them. */
		MHD_socket fd = MHD_quiesce_daemon(srv->listeners[i].daemon);

		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	/* Wait for requests in flight; idle keep-alive connections do not
	 * hold the stop up. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += grace_seconds;
	for (;;) {
		if (server_connections(srv) == 0 ||
		    atomic_load(&srv->in_flight) == 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline.tv_sec ||
		    (now.tv_sec == deadline.tv_sec &&
		     now.tv_nsec >= deadline.tv_nsec))
			break;
		nanosleep(&tick, NULL);
	}
	server_free(srv);
}
