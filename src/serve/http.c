/*
 * http: the libmicrohttpd server (http_server). The answers it gives are
 * prebuilt per configuration and looked up through site.h.
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

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "accesslog_io.h"
#include "acme_http.h"
#include "admin.h"
#include "conf.h"
#include "forward.h"
#include "http.h"
#include "intake.h"
#include "listen.h"
#include "log.h"
#include "name.h"
#include "reaper.h"
#include "site.h"
#include "snapshot.h"
#include "stats.h"
#include "template.h"
#include "tls.h"
#include "tlsio.h"

#define STOP_POLL_NS 20000000L              /* 20 ms */

struct http_listener {
	struct http_server *srv;
	struct MHD_Daemon *daemon;
	enum listen_kind kind;
	size_t index;               /* in conf->listeners, for the counters */
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
	size_t domain;              /* index in conf->domains, or SIZE_MAX */
	bool head;
	bool policy;                /* the answer is a policy (a fetch) */
	struct intake_req *intake;  /* a TLS report upload (intake.h), or NULL */
};

/* Per connection, from NOTIFY_CONNECTION STARTED to CLOSED. */
struct http_conn {
	struct snapshot *snap;      /* one reference, for the whole connection */
	struct http_listener *listener;
	void *tls;                  /* gnutls_session_t; NULL on plain HTTP */
	struct tls_conn tlsc;       /* its store, and what its hook refused */
	bool served;                /* a request was routed on it */
	struct tlsio *io;           /* its transport; NULL: GnuTLS's own */
	bool trusted;               /* peer is a trusted proxy */
	char peer[INET6_ADDRSTRLEN];
	struct http_req req;
	struct reaper_entry reap;   /* the deadline of the next request head */
};

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
 * Records the request whose headers have just been received (first handler
 * call) in c->req, and what its headers say in `h`; chooses the host it is
 * for into `to` (whom to believe: forward.c).
 */
static void request_read(struct http_conn *c, struct MHD_Connection *mc,
                         const char *url, const char *method,
                         struct req_headers *h, struct forward_out *to)
{
	struct http_req *r = &c->req;
	struct forward_in in;

	memset(r, 0, sizeof(*r));
	memset(h, 0, sizeof(*h));
	r->domain = SIZE_MAX;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->method = method;
	r->url = url;
	r->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

	/* "METHOD URL HTTP/1.1\r\n" and the final CRLF; the query string MHD
	 * split off is not counted (MHD's own pool limit bounds it). */
	h->bytes = strlen(method) + strlen(url) + 13;
	MHD_get_connection_values_n(mc, MHD_HEADER_KIND, scan_header, h);
	r->ua = h->ua;
	r->ua_len = h->ua_len;
	in = (struct forward_in){
		.target = url,
		.host = h->host, .host_len = h->host_len, .n_host = h->n_host,
		.xfh = h->xfh, .xfh_len = h->xfh_len,
		.fwd = h->fwd, .fwd_len = h->fwd_len,
	};
	forward_choose(&in, c->trusted, to);
	r->host = to->host;
	r->host_len = to->host_len;
}

/*
 * The answer to a request that is well-framed and names one host: the
 * site's page for it, or 404; only GET and HEAD may have a page (405), and
 * no request with a body may (413).
 */
static const struct http_answer *request_answer(const struct http_site *site,
                                                const struct req_headers *h,
                                                const struct forward_out *to,
                                                bool get, struct http_req *r)
{
	const struct http_answer *a;

	a = http_site_route(site, to->host, to->host_len, to->path, &r->domain);
	r->policy = a != NULL && a->status == MHD_HTTP_OK && get && !r->head &&
	            !h->body &&
	            strcmp(to->path, POLICY_WELL_KNOWN_PATH) == 0;
	if (a == NULL)
		a = http_site_fixed(site, ANSWER_404);
	if (a->status == MHD_HTTP_OK && !get)
		a = http_site_fixed(site, ANSWER_405);
	if (h->body && a->status == MHD_HTTP_OK)
		a = http_site_fixed(site, ANSWER_413);
	return a;
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
	struct http_req *r = &c->req;
	struct req_headers h;
	struct forward_out to;
	bool get;

	request_read(c, mc, url, method, &h, &to);
	/* An acme-tls/1 handshake carries no HTTP (RFC 8737 section 3). */
	if (c->tlsc.acme != NULL) {
		r->answer = http_site_fixed(site, ANSWER_400);
		return true;
	}
	if (h.bytes > c->snap->conf->max_header_bytes) {
		r->answer = http_site_fixed(site, ANSWER_431);
		return true;
	}
	/* Framing that two parsers could read differently, or no host. */
	if (h.n_content_length > 1 || (h.chunked && h.n_content_length > 0) ||
	    !to.unique) {
		r->answer = http_site_fixed(site, ANSWER_400);
		return true;
	}
	if (intake_wanted(c->snap->conf, c->listener->kind, to.path)) {
		bool close_now;

		/* NULL: the body is read (intake_on_request). */
		r->answer = intake_route(mc, c->snap->conf, method, c->peer,
		                         &r->intake, &close_now);
		return close_now;
	}
	get = r->head || strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	/* http-01 (acme_http.c): on plain HTTP only, while in place. */
	if (c->tls == NULL && get && (r->answer = acme_http_route(url)))
		return h.body;
	r->answer = request_answer(site, &h, &to, get, r);
	return h.body;
}

/* --- access log --- */

static void access_log(const struct http_conn *c)
{
	const struct http_req *r = &c->req;
	int fd = http_site_log_fd(c->snap->site);
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
	void *session = NULL;

	if (l->kind == LISTEN_HTTPS) {
		ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		session = ci ? ci->tls_session : NULL;
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
		c->tlsc.store = c->snap->tls;
		if (tls_session_setup(&c->tlsc, session) != 0) {
			log_warnx("cannot set up a TLS session for %s", c->peer);
			goto fail;
		}
		c->tls = session;
	}
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		goto fail;
	/* Fewer system calls per response (tlsio.h); without it, GnuTLS's
	 * default transport still works. */
	if (session != NULL)
		c->io = tlsio_attach(session, ci->connect_fd);
	/* The first request head must be in within the timeout (a TLS
	 * handshake included), however the bytes trickle in. */
	reaper_add(l->srv->reaper, &c->reap, ci->connect_fd,
	           reaper_now_ms() + l->srv->head_ms);
	atomic_fetch_add(&l->n_conns, 1);
	stats_count_connection(l->index, 1);
	return c;
fail:
	/* Without tls_session_setup() the session has no store, and the
	 * certificate callback fails the handshake. */
	if (c != NULL)
		snapshot_release(c->snap);
	free(c);
	return NULL;
}

/* At close: how the connection's TLS handshake went. One that carried a
 * request was complete (counted then); otherwise it failed, refused by our
 * hook or for another reason (versions, ciphers, a client that left). */
static void count_failed_handshake(const struct http_conn *c)
{
	if (c->served)
		return;
	switch (c->tlsc.refused) {
	case TLS_REFUSED_NO_SNI:
		stats_count_tls_failure(STATS_TLS_NO_SNI);
		break;
	case TLS_REFUSED_UNKNOWN_SNI:
		stats_count_tls_failure(STATS_TLS_UNKNOWN_SNI);
		break;
	case TLS_REFUSED_NONE:
		stats_count_tls_failure(STATS_TLS_OTHER);
		break;
	}
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
		stats_count_connection(c->listener->index, -1);
		if (c->tls != NULL)
			count_failed_handshake(c);
		tls_conn_clear(&c->tlsc);
		snapshot_release(c->snap);
		tlsio_free(c->io);
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

	if (atomic_load(&l->n_conns) < l->max_conns)
		return MHD_YES;
	stats_count_refused(l->index);
	return MHD_NO;
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

	if (c == NULL)
		return MHD_NO;  /* conn_open failed: just close */
	if (c->req.intake != NULL) {
		const struct http_answer *a = intake_on_request(
			c->req.intake, mc, upload_data, upload_data_size);

		if (a == NULL)
			return MHD_YES;
		c->req.answer = a;
		return MHD_queue_response(mc, a->status, a->resp);
	}
	if (c->req.answer == NULL) {
		/* First call: the headers are in, in time. */
		reaper_set_due(&c->reap, REAPER_NONE);
		if (c->tls != NULL && !c->served)
			stats_count_tls_handshake();
		c->served = true;
		close_now = request_route(c, mc, url, method);
		if (c->req.intake != NULL) {
			/* A report upload: its body within the timeout. */
			reaper_set_due(&c->reap, reaper_now_ms() + l->srv->head_ms);
			return MHD_YES;
		}
		if (!close_now && !atomic_load(&l->srv->stopping))
			return MHD_YES; /* answer on the next call: keep-alive */
	} else if (*upload_data_size != 0) {
		/* Not reached: a request with a body is answered on the first
		 * call, so MHD reads no body. Drop it if it ever comes. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* TLS: head and body in one write when a body follows (tlsio.h). */
	tlsio_arm_response(c->io, c->req.answer->status,
	                   c->req.head ? 0 : c->req.answer->len);
	return MHD_queue_response(mc, c->req.answer->status,
	                          c->req.answer->resp);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct http_listener *l = cls;
	struct http_conn *c = *req_cls;

	/* One call per on_request_line(), whatever became of the request. */
	atomic_fetch_sub(&l->srv->in_flight, 1);
	*req_cls = NULL;
	if (c == NULL)
		return;
	/* A keep-alive client has the timeout again for its next request. */
	reaper_set_due(&c->reap, reaper_now_ms() + l->srv->head_ms);
	intake_end(c->req.intake);
	c->req.intake = NULL;
	tlsio_request_done(c->io);
	if (c->req.answer == NULL)
		return;     /* never routed (e.g. the client left mid-headers) */
	stats_count_request(c->snap->stats, l->index, c->req.domain,
	                    c->req.answer->status, c->req.policy);
	access_log(c);
	memset(&c->req, 0, sizeof(c->req));
}

/* The path exactly as sent: no %HH decoding (see the top of this file). */
static size_t unescape_none(void *cls, struct MHD_Connection *mc, char *s)
{
	return strlen(s);
}

__attribute__((format(printf, 2, 0)))
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_msg(LOG_LEVEL_DEBUG, "libmicrohttpd: %s", msg);
}

/*
 * MHD's per-connection memory pool holds the read buffer, the parsed header
 * list and the reply header. The header limit plus 4 KiB lets any request
 * within the limit in (checked exactly, 431, in request_route) while MHD
 * answers 431 itself to anything much larger. Kept small on purpose: MHD
 * clears the pool after every request, so its size is paid per request
 * (twice the limit measured about 5 % more CPU on plain HTTP keep-alive).
 */
static size_t pool_size(const struct conf *c)
{
	return (size_t)c->max_header_bytes + 4096;
}

static void log_listening(enum listen_kind kind, const char *where)
{
	switch (kind) {
	case LISTEN_HTTPS:
		log_info("listening on https://%s", where);
		break;
	case LISTEN_HTTP:
		log_info("listening on http://%s", where);
		break;
	case LISTEN_UNIX:
		log_info("listening on %s", where);
		break;
	case LISTEN_ADMIN:
		log_info("admin (metrics, status) on %s", where);
		break;
	}
}

static int listener_start(struct http_listener *l, const struct conf *c,
                          size_t i)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                 MHD_USE_ITC | MHD_USE_ERROR_LOG |
	                 MHD_ALLOW_SUSPEND_RESUME;  /* intake.c */
	/* Behind a proxy on TCP, every request comes from the proxy's address:
	 * a per-IP limit would cap the whole site. */
	unsigned per_ip = (l->kind == LISTEN_HTTP && c->n_proxies > 0) ?
		0 : c->max_connections_per_ip;
	struct MHD_OptionItem tls_options[] = {
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, c->tls_priorities ?
		  c->tls_priorities : (char *)CONF_DEFAULT_TLS_PRIORITIES },
		{ MHD_OPTION_HTTPS_CERT_CALLBACK, 0, tls_cert_callback_option() },
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
	if (l->kind == LISTEN_ADMIN) {
		l->daemon = admin_start(l->fd, c);
		l->fd = -1;
		if (l->daemon == NULL)
			return -1;
		log_listening(l->kind, where);
		return 0;
	}
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
	log_listening(l->kind, where);
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
	intake_start();         /* failing, report uploads get 503 */
	for (size_t i = 0; i < n_fds; i++) {
		srv->listeners[i].srv = srv;
		srv->listeners[i].kind = c->listeners[i].kind;
		srv->listeners[i].index = i;
		srv->listeners[i].fd = fds[i];
	}
	for (size_t i = 0; i < n_fds; i++) {
		if (listener_start(&srv->listeners[i], c, i) != 0) {
			server_free(srv);
			intake_stop();
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
	/* Resumes every suspended upload: MHD must not stop with one. */
	intake_stop();
	server_free(srv);
}
