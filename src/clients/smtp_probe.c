/*
 * smtp_probe: see smtp_probe.h. The plain-text part reads with recv()
 * into a buffer of SMTP_LINE_MAX * 4 bytes; a reply that does not fit is
 * refused by smtp_reply_parse before the buffer fills.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtp_probe.h"
#include "smtp_reply.h"

#define RBUF (SMTP_LINE_MAX * SMTP_LINES_MAX + 64)

struct conn {
	int fd;
	long long deadline;
	char buf[RBUF];
	size_t len;
};

/* Reads one reply; returns 0, or -1 with err set. */
static int read_reply(struct conn *c, struct smtp_reply *rep, char *err,
                      size_t err_size)
{
	for (;;) {
		size_t used;
		const char *perr = NULL;
		enum smtp_parse p = smtp_reply_parse(c->buf, c->len, rep, &used,
						     &perr);
		ssize_t n;

		if (p == SMTP_REPLY_DONE) {
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return 0;
		}
		if (p == SMTP_REPLY_BAD) {
			snprintf(err, err_size, "the server's reply is not SMTP: %s",
				 perr);
			return -1;
		}
		if (c->len == sizeof(c->buf)) {
			snprintf(err, err_size, "the server's reply is too long");
			return -1;
		}
		if (!tlsclient_arm(c->fd, c->deadline)) {
			snprintf(err, err_size, "no reply before the timeout");
			return -1;
		}
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			snprintf(err, err_size, "no reply before the timeout");
			return -1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, err_size, "the server closed the connection");
			return -1;
		}
		c->len += (size_t)n;
	}
}

static int send_line(struct conn *c, const char *line)
{
	size_t len = strlen(line), done = 0;

	while (done < len) {
		ssize_t n;

		if (!tlsclient_arm(c->fd, c->deadline))
			return -1;
		n = send(c->fd, line + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

void smtp_probe(const char *host, const char *addr, uint16_t port,
                gnutls_certificate_credentials_t creds, int timeout_ms,
                const char *ehlo_name, struct smtp_probe_result *r)
{
	static __thread struct conn c;
	struct smtp_reply rep;
	char line[300];
	gnutls_session_t s;

	memset(r, 0, sizeof(*r));
	c.len = 0;
	c.deadline = tlsclient_now_ms() + timeout_ms;
	r->stage = SMTP_STAGE_CONNECT;
	c.fd = tlsclient_connect(addr, port, c.deadline, &r->net, r->error,
				 sizeof(r->error));
	if (c.fd < 0)
		return;
	r->stage = SMTP_STAGE_BANNER;
	if (read_reply(&c, &rep, r->error, sizeof(r->error)) != 0)
		goto out;
	snprintf(r->banner, sizeof(r->banner), "%d %.200s", rep.code, rep.text);
	if (rep.code != 220) {
		snprintf(r->error, sizeof(r->error), "the banner is \"%d %s\", "
			 "not 220", rep.code, rep.text);
		goto out;
	}
	r->stage = SMTP_STAGE_EHLO;
	snprintf(line, sizeof(line), "EHLO %s\r\n", ehlo_name);
	if (send_line(&c, line) != 0) {
		snprintf(r->error, sizeof(r->error), "cannot send EHLO");
		goto out;
	}
	if (read_reply(&c, &rep, r->error, sizeof(r->error)) != 0)
		goto out;
	if (rep.code != 250) {
		snprintf(r->error, sizeof(r->error), "EHLO answered \"%d %s\"",
			 rep.code, rep.text);
		goto out;
	}
	if (!rep.starttls) {
		r->stage = SMTP_STAGE_NO_STARTTLS;
		snprintf(r->error, sizeof(r->error), "EHLO does not offer "
			 "STARTTLS");
		send_line(&c, "QUIT\r\n");
		goto out;
	}
	r->stage = SMTP_STAGE_STARTTLS;
	if (send_line(&c, "STARTTLS\r\n") != 0 ||
	    read_reply(&c, &rep, r->error, sizeof(r->error)) != 0)
		goto out;
	if (rep.code != 220) {
		snprintf(r->error, sizeof(r->error), "STARTTLS answered \"%d %s\"",
			 rep.code, rep.text);
		goto out;
	}
	if (c.len) {
		/* Bytes after the 220 would be read as TLS: a server (or a
		 * middlebox) injecting them is the STARTTLS command-injection
		 * bug class; refuse. */
		snprintf(r->error, sizeof(r->error), "the server sent data "
			 "after its STARTTLS reply");
		goto out;
	}
	r->stage = SMTP_STAGE_TLS;
	s = tlsclient_handshake(c.fd, host, creds, c.deadline, &r->tls);
	if (!s) {
		snprintf(r->error, sizeof(r->error), "%s", r->tls.error);
		goto out;
	}
	r->stage = SMTP_STAGE_DONE;
	tlsclient_write(s, c.fd, "QUIT\r\n", 6, tlsclient_now_ms() + 500);
	tlsclient_arm(c.fd, tlsclient_now_ms() + 200);
	gnutls_bye(s, GNUTLS_SHUT_WR);
	gnutls_deinit(s);
out:
	close(c.fd);
}
