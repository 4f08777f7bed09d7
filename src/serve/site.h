/*
 * site: for one configuration, every answer prebuilt at load time (policy
 * bodies, index pages, fixed error answers) in a hostmap keyed by
 * "mta-sts.<domain>". Immutable once built, part of a snapshot, and read
 * by the server (http.c) on the request path through the lookups below:
 * no allocation of their own, no file I/O, no DNS.
 */
#ifndef STSD_SITE_H
#define STSD_SITE_H

#include <stddef.h>

#include "conf.h"
#include "diag.h"

struct MHD_Response;
struct http_site;

/* Builds the answers of `c`; problems (the index template) go to `d`. NULL
 * on any error. */
struct http_site *http_site_build(const struct conf *c, struct diag *d);
void http_site_free(struct http_site *site);

/* One answer: a response shared by every connection, its status, and the
 * length of its body (for the access log). */
struct http_answer {
	struct MHD_Response *resp;
	unsigned status;
	size_t len;
};

/* The fixed short answers every site has. */
enum fixed_answer {
	ANSWER_400,
	ANSWER_404,
	ANSWER_405,
	ANSWER_413,
	ANSWER_431,
	N_FIXED_ANSWERS
};

/* The fixed answer `which` of `s`. Never NULL. */
const struct http_answer *http_site_fixed(const struct http_site *s,
                                          enum fixed_answer which);

/*
 * The answer for `path` on the host a client named (`host_len` bytes at
 * `host`, as sent: normalized here with name_host_key()): the policy at
 * POLICY_WELL_KNOWN_PATH, the index page at "/" (rendered on its first
 * request, safe from any thread). NULL when the host is not served, the
 * path is neither, or the index page is off or cannot be made (out of
 * memory): the caller answers 404. Allocation-free but for that first
 * index page. *domain is the host's index in the configuration's domains,
 * or SIZE_MAX when the host is not served.
 */
const struct http_answer *http_site_route(const struct http_site *s,
                                          const char *host, size_t host_len,
                                          const char *path, size_t *domain);

/* The access log of `s`: a descriptor to append to, or -1 when off. */
int http_site_log_fd(const struct http_site *s);

#endif
