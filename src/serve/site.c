/*
 * site: the prebuilt answers of one configuration (see site.h).
 *
 * Every answer stsd can give is built when a configuration is loaded: the
 * policy and the index page of each served host, and a handful of fixed,
 * short error answers. The request path (http.c) only looks things up
 * through site.h: no allocation of its own, no file I/O, no DNS.
 * The one exception is an index page, rendered on its first request.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "conf.h"
#include "diag.h"
#include "hostmap.h"
#include "name.h"
#include "policy.h"
#include "site.h"
#include "template.h"
#include "template_file.h"

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
 * Lookups for the request path (site.h)
 */

const struct http_answer *http_site_fixed(const struct http_site *s,
                                          enum fixed_answer which)
{
	return &s->fixed[which];
}

const struct http_answer *http_site_route(const struct http_site *s,
                                          const char *host, size_t host_len,
                                          const char *path, size_t *domain)
{
	char key[NAME_MAX_LEN + 1];
	struct http_route *route = NULL;
	int n = name_host_key(host, host_len, key);

	*domain = SIZE_MAX;
	if (n >= 0)
		route = hostmap_get(s->hosts, key, (size_t)n);
	if (route == NULL)
		return NULL;
	*domain = (size_t)(route - s->routes);
	if (strcmp(path, POLICY_WELL_KNOWN_PATH) == 0)
		return route->policy;
	if (strcmp(path, "/") == 0)
		return route_index(s, route);
	return NULL;
}

int http_site_log_fd(const struct http_site *s)
{
	return s->log_fd;
}
