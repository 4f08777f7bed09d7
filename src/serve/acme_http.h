/*
 * acme_http: http-01 answers (RFC 8555 section 8.3) on the plain-HTTP
 * listeners: GET /.well-known/acme-challenge/TOKEN answers the key
 * authorization as text/plain while the ACME thread has it in place.
 *
 * The table is process-wide and small (ACME_HTTP_SLOTS). A request holds a
 * pointer to a slot's answer until it completes, so a slot taken down is
 * only reused ACME_HTTP_REUSE_AFTER seconds later (far past any request's
 * deadline), and the answer's MHD response is reference-counted by
 * libmicrohttpd itself. With no answer in place (nearly always) the
 * request path pays one atomic load.
 */
#ifndef STSD_ACME_HTTP_H
#define STSD_ACME_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "site.h"

#define ACME_HTTP_SLOTS 64
#define ACME_HTTP_REUSE_AFTER 3600      /* seconds */
#define ACME_HTTP_PREFIX "/.well-known/acme-challenge/"

/* Puts the answer `key_authorization` for `token` in place. 0, or -1 (bad
 * token, table full, out of memory). */
int acme_http_put(const char *token, const char *key_authorization);
/* Takes it down. */
void acme_http_remove(const char *token);
/* Frees every slot (at exit, once no server runs). */
void acme_http_clear_all(void);

/* For the request path: the answer for request target `url`, or NULL when
 * it is not a challenge in place (then route as always). */
const struct http_answer *acme_http_route(const char *url);

#endif
