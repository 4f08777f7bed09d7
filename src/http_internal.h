/*
 * http_internal: what the two halves of the http module share, and nothing
 * else includes. http_site.c builds the prebuilt answers of one
 * configuration (struct http_site stays private to it); http.c runs the
 * libmicrohttpd server and, on the request path, only looks answers up
 * through the functions below.
 */
#ifndef STSD_HTTP_INTERNAL_H
#define STSD_HTTP_INTERNAL_H

#include <stddef.h>

#include "http.h"

struct MHD_Response;

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
 * index page.
 */
const struct http_answer *http_site_route(const struct http_site *s,
                                          const char *host, size_t host_len,
                                          const char *path);

/* The access log of `s`: a descriptor to append to, or -1 when off. */
int http_site_log_fd(const struct http_site *s);

#endif
