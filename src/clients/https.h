/*
 * https: the policy fetch of --diagnose, as a sender does it: one HTTP/1.0
 * GET over TLS with SNI to one address, no redirect followed, the head
 * capped at HTTPHEAD_MAX and the body at STS_BODY_CAP + 1 bytes, all within
 * one deadline. HTTP/1.0 keeps the body free of chunked coding.
 *
 * The result owns `body` (https_result_clear frees it).
 */
#ifndef STSD_HTTPS_H
#define STSD_HTTPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "httphead.h"
#include "tlsclient.h"

struct https_result {
	enum net_result net;         /* the TCP connect */
	char error[256];             /* what went wrong, for any stage */
	struct tls_facts tls;        /* when connected */
	bool got_head;               /* a full, valid response head */
	struct httphead head;
	char *body;
	size_t body_len;
	bool truncated;              /* the body went past STS_BODY_CAP */
};

/* Returns 0 when a response head was read (whatever its status), -1 when
 * not (r->error says why). */
int https_fetch(const char *host, const char *addr, uint16_t port,
                const char *path, gnutls_certificate_credentials_t creds,
                int timeout_ms, struct https_result *r);

void https_result_clear(struct https_result *r);

#endif
