/*
 * https: see https.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "https.h"
#include "sts_body.h"

#define BUF_CAP (HTTPHEAD_MAX + STS_BODY_CAP + 1)

void https_result_clear(struct https_result *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int https_fetch(const char *host, const char *addr, uint16_t port,
                const char *path, gnutls_certificate_credentials_t creds,
                int timeout_ms, struct https_result *r)
{
	long long deadline = tlsclient_now_ms() + timeout_ms;
	gnutls_session_t s;
	char req[600], *buf;
	size_t len = 0;
	long head_len = 0;
	const char *perr = NULL;
	bool timed_out = false;
	int fd, n;

	memset(r, 0, sizeof(*r));
	fd = tlsclient_connect(addr, port, deadline, &r->net, r->error,
			       sizeof(r->error));
	if (fd < 0)
		return -1;
	s = tlsclient_handshake(fd, host, creds, deadline, &r->tls);
	if (!s) {
		snprintf(r->error, sizeof(r->error), "%s", r->tls.error);
		close(fd);
		return -1;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n"
		     "User-Agent: stsd-diagnose\r\nAccept: */*\r\n\r\n", path, host);
	buf = malloc(BUF_CAP);
	if (!buf || n < 0 || (size_t)n >= sizeof(req) ||
	    tlsclient_write(s, fd, req, (size_t)n, deadline) != 0) {
		snprintf(r->error, sizeof(r->error), "cannot send the request");
		goto done;
	}
	for (;;) {
		long got;

		if (len == BUF_CAP)
			break;
		got = tlsclient_recv(s, fd, buf + len, BUF_CAP - len, deadline,
				     &timed_out);
		if (got <= 0)
			break;
		len += (size_t)got;
		if (head_len == 0) {
			head_len = httphead_parse(buf, len, &r->head, &perr);
			if (head_len < 0)
				break;
		}
		if (head_len > 0 && r->head.has_content_length &&
		    len - (size_t)head_len >= r->head.content_length)
			break;
	}
	if (head_len == 0 && len > 0)
		head_len = httphead_parse(buf, len, &r->head, &perr);
	if (head_len <= 0) {
		snprintf(r->error, sizeof(r->error), "%s",
			 head_len < 0 ? perr :
			 timed_out ? "no complete HTTP response before the "
				     "timeout" :
			 "the server closed the connection without an HTTP "
			 "response");
		goto done;
	}
	r->got_head = true;
	r->body_len = len - (size_t)head_len;
	if (r->head.has_content_length && r->body_len > r->head.content_length)
		r->body_len = (size_t)r->head.content_length;
	if (r->body_len > STS_BODY_CAP) {
		r->truncated = true;
		r->body_len = STS_BODY_CAP;
	}
	if (r->head.has_content_length &&
	    r->head.content_length > STS_BODY_CAP)
		r->truncated = true;
	r->body = malloc(r->body_len + 1);
	if (!r->body) {
		r->got_head = false;
		snprintf(r->error, sizeof(r->error), "out of memory");
		goto done;
	}
	memcpy(r->body, buf + head_len, r->body_len);
	r->body[r->body_len] = '\0';
	if (timed_out && r->head.has_content_length &&
	    r->body_len < r->head.content_length)
		snprintf(r->error, sizeof(r->error), "the body did not arrive "
			 "completely before the timeout");
done:
	free(buf);
	tlsclient_arm(fd, tlsclient_now_ms() + 200);
	gnutls_bye(s, GNUTLS_SHUT_WR);
	gnutls_deinit(s);
	close(fd);
	return r->got_head ? 0 : -1;
}
