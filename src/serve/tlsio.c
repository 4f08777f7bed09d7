/*
 * tlsio: GnuTLS push/pull functions that coalesce a response's head and
 * body records into one sendmsg() and read a record with one recv(). See
 * tlsio.h for the contract; the notes in shared/notes/libmicrohttpd-tls-
 * write-path.md trace why libmicrohttpd 0.9.75 needs this.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <gnutls/gnutls.h>

#include "tcpopt.h"
#include "tlsio.h"

/* A response head record: stsd's heads are a few hundred bytes; a larger
 * one is simply sent on its own. */
#define TLSIO_HELD_MAX 2048
/* Receive buffer: a ClientHello or a pipelined burst of requests. A read
 * GnuTLS asks for that is at least this big goes straight to the socket. */
#define TLSIO_RBUF 4096
/* iovecs of one push we pass on (GnuTLS uses a handful). */
#define TLSIO_MAX_IOV 16

struct tlsio {
	gnutls_session_t session;
	int fd;
	bool armed;                 /* hold the next push */
	bool tcpopt;                /* fd taken by tcpopt_take() */
	size_t hlen;                /* bytes held in held[] */
	size_t rpos, rlen;          /* unread bytes: rbuf[rpos..rlen) */
	struct tlsio_stats stats;
	unsigned char held[TLSIO_HELD_MAX];
	unsigned char rbuf[TLSIO_RBUF];
};

static ssize_t fail(struct tlsio *io, int err)
{
	gnutls_transport_set_errno(io->session, err);
	errno = err;
	return -1;
}

/* Sends held[] followed by iov[0..n) in one sendmsg; consumes what of
 * held[] went out. The bytes of iov sent, or -1 with errno. */
static ssize_t send_with_held(struct tlsio *io, const giovec_t *iov, int n)
{
	struct iovec v[1 + TLSIO_MAX_IOV];
	struct msghdr msg;
	int cnt = 0, i;
	ssize_t sent;

	if (io->hlen > 0) {
		v[cnt].iov_base = io->held;
		v[cnt++].iov_len = io->hlen;
	}
	for (i = 0; i < n && i < TLSIO_MAX_IOV; i++) {
		v[cnt].iov_base = iov[i].iov_base;
		v[cnt++].iov_len = iov[i].iov_len;
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = v;
	msg.msg_iovlen = (size_t)cnt;
	io->stats.sends++;
	sent = sendmsg(io->fd, &msg, MSG_NOSIGNAL);
	if (sent < 0) {
		if (io->hlen > 0)
			io->stats.held_short++;
		return -1;
	}
	if ((size_t)sent < io->hlen) {
		io->stats.held_short++;
		/* A short write inside the held head: keep the rest. */
		memmove(io->held, io->held + sent, io->hlen - (size_t)sent);
		io->hlen -= (size_t)sent;
		errno = EAGAIN;
		return -1;
	}
	sent -= (ssize_t)io->hlen;
	io->hlen = 0;
	if (sent == 0) {
		/* Only the held bytes fit: GnuTLS keeps its record. */
		errno = EAGAIN;
		return -1;
	}
	return sent;
}

static ssize_t io_push(gnutls_transport_ptr_t p, const giovec_t *iov,
                       int iovcnt)
{
	struct tlsio *io = p;
	size_t total = 0;
	ssize_t sent;
	int i;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (io->armed) {
		io->armed = false;
		if (io->hlen == 0 && total > 0 && total <= sizeof(io->held)) {
			/* The head record: keep it for the body's sendmsg. */
			for (i = 0; i < iovcnt; i++) {
				memcpy(io->held + io->hlen, iov[i].iov_base,
				       iov[i].iov_len);
				io->hlen += iov[i].iov_len;
			}
			io->stats.held++;
			return (ssize_t)total;
		}
	}
	sent = send_with_held(io, iov, iovcnt);
	if (sent < 0)
		return fail(io, errno);
	return sent;
}

/* Copies up to `size` buffered bytes to data. */
static size_t take(struct tlsio *io, void *data, size_t size)
{
	size_t n = io->rlen - io->rpos;

	if (n > size)
		n = size;
	memcpy(data, io->rbuf + io->rpos, n);
	io->rpos += n;
	return n;
}

static ssize_t io_pull(gnutls_transport_ptr_t p, void *data, size_t size)
{
	struct tlsio *io = p;
	ssize_t got;

	if (io->rpos < io->rlen)
		return (ssize_t)take(io, data, size);
	io->stats.recvs++;
	if (size >= sizeof(io->rbuf)) {
		got = recv(io->fd, data, size, 0);
		if (got < 0)
			return fail(io, errno);
		return got;
	}
	got = recv(io->fd, io->rbuf, sizeof(io->rbuf), 0);
	if (got < 0)
		return fail(io, errno);
	if (got == 0)
		return 0;
	io->rpos = 0;
	io->rlen = (size_t)got;
	return (ssize_t)take(io, data, size);
}

/* GnuTLS calls this only for blocking sessions or DTLS (libmicrohttpd's
 * are non-blocking); it must not poll a transport pointer as an fd. */
static int io_pull_timeout(gnutls_transport_ptr_t p, unsigned int ms)
{
	struct tlsio *io = p;
	struct pollfd pfd = { .fd = io->fd, .events = POLLIN };

	if (io->rpos < io->rlen)
		return 1;
	return poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

struct tlsio *tlsio_attach(void *session, int fd)
{
	struct tlsio *io = calloc(1, sizeof(*io));

	if (io == NULL)
		return NULL;
	io->session = session;
	io->fd = fd;
	gnutls_transport_set_ptr(io->session, io);
	gnutls_transport_set_vec_push_function(io->session, io_push);
	gnutls_transport_set_pull_function(io->session, io_pull);
	gnutls_transport_set_pull_timeout_function(io->session,
	                                           io_pull_timeout);
	/* Head and body go out in one write: corking buys nothing, and
	 * libmicrohttpd's cork-and-push calls per response become free. */
	io->tcpopt = tcpopt_take(fd);
	return io;
}

void tlsio_arm(struct tlsio *io)
{
	if (io != NULL)
		io->armed = true;
}

bool tlsio_arm_response(struct tlsio *io, unsigned status, size_t body_len)
{
	bool body = body_len > 0 && status >= 200 && status != 204 &&
	            status != 304;

	if (io == NULL || !body)
		return false;
	io->armed = true;
	return true;
}

/* One non-blocking attempt to send what is held. */
static void flush_held(struct tlsio *io)
{
	ssize_t sent;

	if (io->hlen == 0)
		return;
	io->stats.sends++;
	sent = send(io->fd, io->held, io->hlen, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (sent <= 0)
		return;
	memmove(io->held, io->held + sent, io->hlen - (size_t)sent);
	io->hlen -= (size_t)sent;
}

void tlsio_request_done(struct tlsio *io)
{
	if (io == NULL)
		return;
	io->armed = false;
	flush_held(io);
}

void tlsio_free(struct tlsio *io)
{
	if (io == NULL)
		return;
	flush_held(io);
	if (io->tcpopt)
		tcpopt_release(io->fd);
	free(io);
}

struct tlsio_stats tlsio_stats(const struct tlsio *io)
{
	return io->stats;
}
