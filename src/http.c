/*
 * http: prebuilt responses (http_site) and the libmicrohttpd server
 * (http_server).
 *
 * Every answer stsd can give is built when a configuration is loaded: the
 * policy and the index page of each served host, and a handful of fixed,
 * short error answers. The request path only looks things up: no allocation
 * of its own, no file I/O, no DNS.
 *
 * What needs no libmicrohttpd lives in pure modules with their own tests:
 * template.c (the index page), forward.c (trusted proxies and which host a
 * request is for) and accesslog.c (the log line).
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
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "accesslog.h"
#include "conf.h"
#include "forward.h"
#include "hostmap.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "name.h"
#include "policy.h"
#include "reaper.h"
#include "snapshot.h"
#include "template.h"
#include "tls.h"

#define STOP_POLL_NS 20000000L              /* 20 ms */

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

/*
 * One served host. Hosts whose bodies are byte-identical (a provider's
 * customers on one policy) share one policy answer. The index page is for
 * people, rarely asked for: it is rendered from the in-memory template on
 * its first request and kept, so that 100 000 hosts do not cost 100 000
 * pages of memory and start-up time.
 */
struct http_route {
	char *host;                         /* "mta-sts.<domain>", the hostmap key */
	const struct http_answer *policy;   /* in site->policies */
	const struct policy *pol;           /* for the index page */
	_Atomic(struct http_answer *) index;/* NULL until first asked for */
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
	struct http_answer *policies;   /* one per distinct body */
	size_t n_policies;
	const char *tpl;            /* index page template, NULL when off */
	char *own_tpl;              /* tpl, when read from a file */
	struct http_answer fixed[N_FIXED_ANSWERS];
	int log_fd;                 /* access log, or -1 */
	bool log_fd_owned;          /* false for stderr */
};

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

/* The headers of every policy answer. */
static int policy_answer_make(struct http_answer *a, const struct conf *c,
                              const struct policy *pol)
{
	const char *const headers[] = {
		MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain",
		MHD_HTTP_HEADER_CACHE_CONTROL, c->cache_control ?
			c->cache_control : CONF_DEFAULT_CACHE_CONTROL,
		NULL,
	};

	/* The body lives in the conf, which outlives the site. */
	return answer_make(a, MHD_HTTP_OK, pol->body, pol->body_len,
	                   MHD_RESPMEM_PERSISTENT, headers);
}

/*
 * The policy answer for `pol`: the one already made for an identical body,
 * or a new one in s->policies (sized for one per domain). NULL on ENOMEM.
 */
static const struct http_answer *policy_answer(struct http_site *s,
                                               struct hostmap *bodies,
                                               const struct conf *c,
                                               const struct policy *pol)
{
	struct http_answer *a = hostmap_get(bodies, pol->body, pol->body_len);

	if (a != NULL)
		return a;
	a = &s->policies[s->n_policies];
	if (policy_answer_make(a, c, pol) != 0)
		return NULL;
	s->n_policies++;
	if (hostmap_put_n(bodies, pol->body, pol->body_len, a) < 0)
		return NULL;
	return a;
}

/* The index page of route `r`, rendered on first use; NULL when the page is
 * off or cannot be made (out of memory). Safe from any thread: two first
 * requests at once may both render, and one of the two pages is kept. */
static const struct http_answer *route_index(const struct http_site *s,
                                             struct http_route *r)
{
	static const char *const headers[] = {
		MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8",
		MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache",
		"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'",
		"X-Content-Type-Options", "nosniff",
		NULL,
	};
	struct http_answer *a = atomic_load_explicit(&r->index, memory_order_acquire);
	struct http_answer *none = NULL;
	size_t len = 0;
	char *page;

	if (a != NULL || s->tpl == NULL)
		return a;
	a = calloc(1, sizeof(*a));
	page = a ? template_render(s->tpl, r->pol, &len) : NULL;
	if (page == NULL ||
	    answer_make(a, MHD_HTTP_OK, page, len, MHD_RESPMEM_MUST_FREE, headers) != 0) {
		free(a);    /* answer_make() frees the page when it fails */
		return NULL;
	}
	if (!atomic_compare_exchange_strong_explicit(&r->index, &none, a,
	                                             memory_order_acq_rel,
	                                             memory_order_acquire)) {
		answer_clear(a);
		free(a);
		a = none;   /* the other thread's page */
	}
	return a;
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

/* Reads and checks the index page template, or picks the built-in one. */
static int site_load_template(struct http_site *s, const struct conf *c,
                              struct diag *d)
{
	if (!c->index_page)
		return 0;
	if (c->index_template != NULL) {
		s->own_tpl = template_read(c->index_template,
		                           &c->index_template_loc, d);
		if (s->own_tpl == NULL)
			return -1;
	}
	s->tpl = s->own_tpl ? s->own_tpl : template_builtin;
	if (template_check(s->tpl, c->index_template ? c->index_template :
	                   "(built-in)", &c->index_template_loc, d) > 0)
		return -1;
	return 0;
}

/* Fills route `r` for domain `dom`. 0, -1 on ENOMEM, 1 after an error. */
static int site_add_route(struct http_site *s, struct http_route *r,
                          struct hostmap *bodies, const struct conf *c,
                          const struct conf_domain *dom, struct diag *d)
{
	size_t n = strlen("mta-sts.") + strlen(dom->policy.domain);
	int put;

	if (n > NAME_MAX_LEN) {
		diag_error(d, &dom->loc, "mta-sts.%s is longer than %d "
		           "characters: no client can ask for it",
		           dom->policy.domain, NAME_MAX_LEN);
		return 1;
	}
	r->host = malloc(n + 1);
	if (r->host == NULL)
		return -1;
	snprintf(r->host, n + 1, "mta-sts.%s", dom->policy.domain);
	r->pol = &dom->policy;
	r->policy = policy_answer(s, bodies, c, &dom->policy);
	if (r->policy == NULL)
		return -1;
	put = hostmap_put(s->hosts, r->host, r);
	if (put < 0)
		return -1;
	if (put > 0) {
		diag_error(d, &dom->loc, "domain %s is configured twice",
		           dom->policy.domain);
		return 1;
	}
	return 0;
}

struct http_site *http_site_build(const struct conf *c, struct diag *d)
{
	struct http_site *s = calloc(1, sizeof(*s));
	struct hostmap *bodies = NULL;
	size_t n = c->n_domains ? c->n_domains : 1;
	int rc;

	if (s == NULL)
		goto nomem;
	s->log_fd = -1;
	if (site_load_template(s, c, d) != 0 || site_open_log(s, c, d) != 0)
		goto fail;
	if (site_build_fixed(s) != 0)
		goto nomem;
	s->hosts = hostmap_new(c->n_domains);
	bodies = hostmap_new(16);
	s->routes = calloc(n, sizeof(*s->routes));
	s->policies = calloc(n, sizeof(*s->policies));
	if (s->hosts == NULL || bodies == NULL || s->routes == NULL ||
	    s->policies == NULL)
		goto nomem;
	for (size_t i = 0; i < c->n_domains; i++) {
		s->n_routes++;
		rc = site_add_route(s, &s->routes[i], bodies, c, &c->domains[i], d);
		if (rc < 0)
			goto nomem;
		if (rc > 0)
			goto fail;
	}
	hostmap_free(bodies);
	return s;
nomem:
	diag_error(d, NULL, "out of memory building the HTTP responses");
fail:
	hostmap_free(bodies);
	http_site_free(s);
	return NULL;
}

void http_site_free(struct http_site *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_routes; i++) {
		struct http_answer *page = atomic_load(&s->routes[i].index);

		if (page != NULL) {
			answer_clear(page);
			free(page);
		}
		free(s->routes[i].host);
	}
	for (size_t i = 0; i < s->n_policies; i++)
		answer_clear(&s->policies[i]);
	for (int i = 0; i < N_FIXED_ANSWERS; i++)
		answer_clear(&s->fixed[i]);
	hostmap_free(s->hosts);
	free(s->routes);
	free(s->policies);
	free(s->own_tpl);
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
	atomic_uint n_conns;        /* open connections, for the accept policy */
	unsigned max_conns;
};

struct http_server {
	struct http_listener *listeners;
	size_t n_listeners;
	atomic_bool stopping;       /* answer, then close: connections drain */
	atomic_uint in_flight;      /* requests from request line to completion */
	struct reaper *reaper;      /* closes clients too slow to send a request */
	int64_t head_ms;            /* time a client has to send a request head */
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
	struct reaper_entry reap;   /* the deadline of the next request head */
};

/* --- peer address and trusted proxies --- */

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
	struct http_route *route = NULL;
	struct forward_in in;
	struct forward_out to;
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
	in = (struct forward_in){
		.target = url,
		.host = h.host, .host_len = h.host_len, .n_host = h.n_host,
		.xfh = h.xfh, .xfh_len = h.xfh_len,
		.fwd = h.fwd, .fwd_len = h.fwd_len,
	};
	forward_choose(&in, c->trusted, &to);
	r->host = to.host;
	r->host_len = to.host_len;

	if (h.bytes > conf->max_header_bytes) {
		r->answer = &site->fixed[ANSWER_431];
		return true;
	}
	/* Framing that two parsers could read differently, or no host. */
	if (h.n_content_length > 1 || (h.chunked && h.n_content_length > 0) ||
	    !to.unique) {
		r->answer = &site->fixed[ANSWER_400];
		return true;
	}
	n = name_host_key(to.host, to.host_len, key);
	if (n >= 0)
		route = hostmap_get(site->hosts, key, (size_t)n);
	if (route != NULL && strcmp(to.path, POLICY_WELL_KNOWN_PATH) == 0)
		r->answer = route->policy;
	else if (route != NULL && strcmp(to.path, "/") == 0)
		r->answer = route_index(site, route);
	if (r->answer == NULL)
		r->answer = &site->fixed[ANSWER_404];
	if (r->answer->status == MHD_HTTP_OK && !get)
		r->answer = &site->fixed[ANSWER_405];
	if (h.body && r->answer->status == MHD_HTTP_OK)
		r->answer = &site->fixed[ANSWER_413];
	return h.body;
}

/* --- access log --- */

static void access_log(const struct http_conn *c)
{
	const struct http_req *r = &c->req;
	int fd = c->snap->site->log_fd;
	struct timespec now, wall;
	char sni[NAME_MAX_LEN + 2];
	size_t sni_len = 0;
	struct accesslog_entry e;

	if (fd < 0 || r->answer == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_REALTIME, &wall);
	if (c->tls != NULL)
		sni_len = tls_session_sni(c->tls, sni, sizeof(sni));
	e = (struct accesslog_entry){
		.when = wall.tv_sec,
		.peer = c->peer,
		.host = r->host, .host_len = r->host_len,
		.sni = sni_len ? sni : NULL, .sni_len = sni_len,
		.method = r->method,
		.target = r->url,
		.status = r->answer->status,
		.body_len = r->head ? 0 : r->answer->len,
		.duration_us = (long long)(now.tv_sec - r->start.tv_sec) * 1000000 +
		               (now.tv_nsec - r->start.tv_nsec) / 1000,
		.ua = r->ua, .ua_len = r->ua_len,
	};
	accesslog_write(fd, &e);
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
	forward_peer_format(ci ? ci->client_addr : NULL, c->peer,
	                    sizeof(c->peer));
	c->trusted = l->kind == LISTEN_UNIX ||
	             (ci && forward_peer_trusted(c->snap->conf->proxies,
	                                         c->snap->conf->n_proxies,
	                                         ci->client_addr));
	if (session != NULL) {
		if (c->snap->tls == NULL ||
		    tls_session_setup(c->snap->tls, session) != 0) {
			log_warnx("cannot set up a TLS session for %s", c->peer);
			goto fail;
		}
		c->tls = session;
	}
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		goto fail;
	/* The first request head must be in within the timeout (a TLS
	 * handshake included), however the bytes trickle in. */
	reaper_add(l->srv->reaper, &c->reap, ci->connect_fd,
	           reaper_now_ms() + l->srv->head_ms);
	atomic_fetch_add(&l->n_conns, 1);
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
		/* Before MHD closes the socket: the reaper must let go of it. */
		reaper_remove(c->listener->srv->reaper, &c->reap);
		atomic_fetch_sub(&c->listener->n_conns, 1);
		snapshot_release(c->snap);
		free(c);
	}
}

/*
 * Past the connection limit, a new client is accepted and closed at once
 * rather than left waiting in the kernel's queue (MHD's own limit is set one
 * higher, so that it keeps accepting and asking us).
 */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr,
                                 socklen_t addr_len)
{
	struct http_listener *l = cls;

	(void)addr;
	(void)addr_len;
	return atomic_load(&l->n_conns) < l->max_conns ? MHD_YES : MHD_NO;
}

/*
 * MHD calls this as soon as a request line is in, before the headers: from
 * here on the request is in flight, so a stop waits for a client that is
 * still sending its headers. Its return value becomes the request's
 * req_cls; MHD then always ends the request with on_completed().
 */
static void *on_request_line(void *cls, const char *uri,
                             struct MHD_Connection *mc)
{
	struct http_listener *l = cls;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	(void)uri;
	atomic_fetch_add(&l->srv->in_flight, 1);
	return ci ? ci->socket_context : NULL;
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
	if (c == NULL)
		return MHD_NO;  /* conn_open failed: just close */
	if (c->req.answer == NULL) {
		/* First call: the headers are in, in time. */
		reaper_set_due(&c->reap, REAPER_NONE);
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
	/* One call per on_request_line(), whatever became of the request. */
	atomic_fetch_sub(&l->srv->in_flight, 1);
	*req_cls = NULL;
	if (c == NULL)
		return;
	/* A keep-alive client has the timeout again for its next request. */
	reaper_set_due(&c->reap, reaper_now_ms() + l->srv->head_ms);
	if (c->req.answer == NULL)
		return;     /* never routed (e.g. the client left mid-headers) */
	access_log(c);
	memset(&c->req, 0, sizeof(c->req));
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
	l->max_conns = c->max_connections;
	l->daemon = MHD_start_daemon(flags, 0, on_accept, l, on_request, l,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, l,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)l->fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections + 1,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->timeout_seconds,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool_size(c),
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
		MHD_OPTION_URI_LOG_CALLBACK, on_request_line, l,
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
	/* After the daemons: stopping them closes connections, which leave
	 * the reaper's set. */
	reaper_stop(srv->reaper);
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
	srv->head_ms = (int64_t)c->timeout_seconds * 1000;
	/* A sweep every 250 ms (or a quarter of a shorter timeout): a slow
	 * client is closed at most that long after its deadline. */
	srv->reaper = reaper_start(srv->head_ms / 4 < 250 ? (unsigned)(srv->head_ms / 4) : 250);
	if (srv->reaper == NULL) {
		log_warnx("cannot start the HTTP server: no reaper thread");
		free(srv->listeners);
		srv->listeners = NULL;
		goto fail;
	}
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
