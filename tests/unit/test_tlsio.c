/*
 * test_tlsio: the coalescing push and buffered pull of src/serve/tlsio.c,
 * driven through a real GnuTLS server session (with tlsio) and a GnuTLS
 * client (GnuTLS's own transport) over a non-blocking AF_UNIX socketpair,
 * for TLS 1.2 and TLS 1.3, fresh and resumed (and over loopback TCP for
 * the short writes). Everything the client
 * receives is compared byte for byte with what the server sent; the
 * system calls are counted by tlsio's own counters.
 *
 * Cases: a head and body in one sendmsg; a head alone (HEAD, an empty
 * body) flushed on completion; a short 404-like body; pipelined requests
 * read with one recv; a tiny SO_SNDBUF forcing short writes and EAGAIN
 * with the head held; a client that vanishes mid-response.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tlsio.h"
#include "tap.h"

static gnutls_certificate_credentials_t server_cred, client_cred;
static gnutls_datum_t ticket_key;

#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); \
	} while (0)
#define DIE(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); \
	exit(99); } while (0)

/* A self-signed ECDSA certificate, made in memory. */
static void make_credentials(void)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	unsigned char serial[1] = { 1 };
	time_t now = time(NULL);

	if (gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	        GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + 86400) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
	                                  0, "tlsio.test", 10) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
	                                         "tlsio.test", 10,
	                                         GNUTLS_FSAN_SET) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_certificate_allocate_credentials(&server_cred) < 0 ||
	    gnutls_certificate_set_x509_key(server_cred, &crt, 1, key) < 0 ||
	    gnutls_certificate_allocate_credentials(&client_cred) < 0 ||
	    gnutls_session_ticket_key_generate(&ticket_key) < 0)
		DIE("cannot make the test credentials");
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

struct pair {
	gnutls_session_t s, c;      /* server (tlsio), client (default) */
	int fd_s, fd_c;
	struct tlsio *io;
};

static void nonblock(int fd)
{
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		DIE("fcntl: %s", strerror(errno));
}

/* Waits (bounded) until fd is readable or writable; never a timing check,
 * only a guard against a test that would otherwise hang. */
static void wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, 5000) <= 0)
		DIE("no progress on fd %d", fd);
}

/* A TCP connection over 127.0.0.1 (sv[0] the accepted end): TCP, unlike
 * AF_UNIX, accepts part of a write at any byte, also inside a held head. */
static void tcp_pair(int sv[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) < 0 ||
	    (sv[1] = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(sv[1], (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (sv[0] = accept(l, NULL, NULL)) < 0)
		DIE("loopback TCP: %s", strerror(errno));
	close(l);
}

static bool pair_open(struct pair *p, const char *prio,
                      const gnutls_datum_t *resume, int sndbuf, bool tcp)
{
	int sv[2], rs = GNUTLS_E_AGAIN, rc = GNUTLS_E_AGAIN, spins;

	memset(p, 0, sizeof(*p));
	if (tcp)
		tcp_pair(sv);
	else if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		DIE("socketpair: %s", strerror(errno));
	p->fd_s = sv[0];
	p->fd_c = sv[1];
	nonblock(p->fd_s);
	nonblock(p->fd_c);
	if (sndbuf > 0 && setsockopt(p->fd_s, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	                             sizeof(sndbuf)) < 0)
		DIE("SO_SNDBUF: %s", strerror(errno));
	if (gnutls_init(&p->s, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0 ||
	    gnutls_init(&p->c, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0 ||
	    gnutls_priority_set_direct(p->s, prio, NULL) < 0 ||
	    gnutls_priority_set_direct(p->c, prio, NULL) < 0 ||
	    gnutls_credentials_set(p->s, GNUTLS_CRD_CERTIFICATE,
	                           server_cred) < 0 ||
	    gnutls_credentials_set(p->c, GNUTLS_CRD_CERTIFICATE,
	                           client_cred) < 0 ||
	    gnutls_session_ticket_enable_server(p->s, &ticket_key) < 0)
		DIE("cannot set up the sessions");
	if (resume != NULL && gnutls_session_set_data(p->c, resume->data,
	                                              resume->size) < 0)
		DIE("cannot set the resumption data");
	gnutls_transport_set_int(p->c, p->fd_c);
	p->io = tlsio_attach(p->s, p->fd_s);
	if (p->io == NULL)
		DIE("tlsio_attach failed");
	for (spins = 0; spins < 100000 && (rs != 0 || rc != 0); spins++) {
		if (rc != 0)
			rc = gnutls_handshake(p->c);
		if (rs != 0)
			rs = gnutls_handshake(p->s);
		if ((rc < 0 && gnutls_error_is_fatal(rc)) ||
		    (rs < 0 && gnutls_error_is_fatal(rs))) {
			diag("handshake: client %s, server %s",
			     gnutls_strerror(rc), gnutls_strerror(rs));
			return false;
		}
	}
	return rs == 0 && rc == 0;
}

static void pair_close(struct pair *p)
{
	gnutls_deinit(p->s);     /* libmicrohttpd's order: session, then tlsio */
	tlsio_free(p->io);
	gnutls_deinit(p->c);
	if (p->fd_c >= 0)
		close(p->fd_c);
	close(p->fd_s);
}

/* The client reads until `out` holds `want` bytes. */
static size_t client_read(struct pair *p, char *out, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t r = gnutls_record_recv(p->c, out + got, want - got);

		if (r == GNUTLS_E_AGAIN) {
			wait_fd(p->fd_c, POLLIN);
			continue;
		}
		if (r <= 0) {
			diag("client read: %s", r == 0 ? "EOF" :
			     gnutls_strerror((int)r));
			break;
		}
		got += (size_t)r;
	}
	return got;
}

/* The server sends all of buf as records (as MHD does: the same arguments
 * again after GNUTLS_E_AGAIN), the client reading a little whenever the
 * server cannot write. Returns the number of GNUTLS_E_AGAIN; `out` gets what the
 * client read meanwhile, *at its length. */
static unsigned server_send(struct pair *p, const char *buf, size_t len,
                            char *out, size_t *at, size_t cap)
{
	unsigned again = 0;
	size_t off = 0;

	while (off < len) {
		ssize_t r = gnutls_record_send(p->s, buf + off, len - off);

		if (r == GNUTLS_E_AGAIN) {
			/* free a little room only, so that short writes happen */
			ssize_t n = gnutls_record_recv(p->c, out + *at,
			                               cap - *at < 300 ?
			                               cap - *at : 300);
			if (n > 0)
				*at += (size_t)n;
			again++;
			continue;
		}
		if (r < 0)
			DIE("server send: %s", gnutls_strerror((int)r));
		off += (size_t)r;
	}
	return again;
}

static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	"Content-Length: 74\r\nCache-Control: no-cache\r\n\r\n";
static const char body[] = "version: STSv1\r\nmode: enforce\r\n"
	"mx: mx.example.com\r\nmax_age: 604800\r\n";

/* One response, head then body, armed or not; checks the bytes and counts
 * the sendmsg calls it took. */
static void one_response(struct pair *p, bool arm, const char *name,
                         unsigned want_sends)
{
	char want[512], got[512];
	size_t hl = strlen(head), bl = strlen(body), at = 0;
	struct tlsio_stats before = tlsio_stats(p->io), after;

	memcpy(want, head, hl);
	memcpy(want + hl, body, bl);
	if (arm)
		tlsio_arm(p->io);
	server_send(p, head, hl, got, &at, sizeof(got));
	server_send(p, body, bl, got, &at, sizeof(got));
	tlsio_request_done(p->io);
	after = tlsio_stats(p->io);
	at += client_read(p, got + at, hl + bl - at);
	is_mem(got, at, want, hl + bl, "%s: the client gets head and body", name);
	is_int((long)(after.sends - before.sends), want_sends,
	       "%s: %u sendmsg", name, want_sends);
}

/* HEAD, or an empty body: armed, but nothing follows the head. */
static void head_only(struct pair *p, const char *name)
{
	char got[512];
	size_t hl = strlen(head), at = 0;

	tlsio_arm(p->io);
	server_send(p, head, hl, got, &at, sizeof(got));
	tlsio_request_done(p->io);      /* the safety net sends it */
	at += client_read(p, got + at, hl - at);
	is_mem(got, at, head, hl, "%s: the head alone arrives after completion",
	       name);
	/* and the connection goes on: the next response is intact */
	one_response(p, true, "after a lone head", 1);
}

/* A 404/405: a short body, coalesced. */
static void short_body(struct pair *p)
{
	static const char h[] = "HTTP/1.1 405 Method Not Allowed\r\n"
		"Allow: GET, HEAD\r\nContent-Length: 19\r\n\r\n";
	static const char b[] = "method not allowed\n";
	char got[256];
	size_t at = 0, hl = strlen(h), bl = strlen(b);
	struct tlsio_stats before = tlsio_stats(p->io);

	tlsio_arm(p->io);
	server_send(p, h, hl, got, &at, sizeof(got));
	server_send(p, b, bl, got, &at, sizeof(got));
	tlsio_request_done(p->io);
	at += client_read(p, got + at, hl + bl - at);
	ok(at == hl + bl && memcmp(got, h, hl) == 0 &&
	   memcmp(got + hl, b, bl) == 0, "405: head and short body intact");
	is_int((long)(tlsio_stats(p->io).sends - before.sends), 1,
	       "405: one sendmsg");
}

/* The server reads one record, waiting for the socket on EAGAIN as
 * libmicrohttpd's loop does. */
static ssize_t server_read(struct pair *p, char *buf, size_t len)
{
	for (;;) {
		ssize_t r = gnutls_record_recv(p->s, buf, len);

		if (r != GNUTLS_E_AGAIN)
			return r;
		wait_fd(p->fd_s, POLLIN);
	}
}

/* Two requests in one burst: one recv serves both records (GnuTLS's own
 * transport makes two per record); the next read asks the socket. */
static void pipelined(struct pair *p)
{
	static const char r1[] = "GET /.well-known/mta-sts.txt HTTP/1.1\r\n"
		"Host: mta-sts.example.com\r\n\r\n";
	static const char r2[] = "HEAD / HTTP/1.1\r\nHost: example.com\r\n\r\n";
	char buf[256];
	struct tlsio_stats before = tlsio_stats(p->io), after;
	ssize_t n1, n2, n3;

	if (gnutls_record_send(p->c, r1, strlen(r1)) != (ssize_t)strlen(r1) ||
	    gnutls_record_send(p->c, r2, strlen(r2)) != (ssize_t)strlen(r2))
		DIE("client send failed");
	n1 = server_read(p, buf, sizeof(buf));
	ok(n1 == (ssize_t)strlen(r1) && memcmp(buf, r1, strlen(r1)) == 0,
	   "pipelined: first request intact");
	n2 = server_read(p, buf, sizeof(buf));
	ok(n2 == (ssize_t)strlen(r2) && memcmp(buf, r2, strlen(r2)) == 0,
	   "pipelined: second request intact");
	after = tlsio_stats(p->io);
	is_int((long)(after.recvs - before.recvs), 1,
	       "pipelined: both records from one recv");
	n3 = gnutls_record_recv(p->s, buf, sizeof(buf));
	is_int(n3, GNUTLS_E_AGAIN, "then EAGAIN");
	is_int((long)(tlsio_stats(p->io).recvs - after.recvs), 1,
	       "from the socket");
	/* a request arriving now is read */
	if (gnutls_record_send(p->c, r2, strlen(r2)) != (ssize_t)strlen(r2))
		DIE("client send failed");
	n1 = server_read(p, buf, sizeof(buf));
	ok(n1 == (ssize_t)strlen(r2) && memcmp(buf, r2, strlen(r2)) == 0,
	   "a later request is read");
}

/* A tiny send buffer: the body (several records) meets EAGAIN and short
 * writes (at any byte over TCP; over AF_UNIX also while the head is still
 * held); every byte arrives in order. */
static void tiny_sndbuf(const char *prio, const char *name, bool tcp)
{
	enum { BODY = 96 * 1024, ROUNDS = 40 };
	char *big = malloc(BODY), *got = malloc(2 * BODY + 4096);
	struct pair p;
	unsigned again = 0, r;
	bool exact = true;

	if (big == NULL || got == NULL)
		DIE("out of memory");
	for (size_t i = 0; i < BODY; i++)
		big[i] = (char)('a' + (i * 7 + i / 251) % 26);
	if (!pair_open(&p, prio, NULL, 1, tcp)) {   /* the kernel's minimum */
		ok(0, "%s: tiny SO_SNDBUF handshake", name);
		free(big);
		free(got);
		return;
	}
	for (r = 0; r < ROUNDS; r++) {
		size_t hl = strlen(head), bl = 1000 + (r * 2357) % (BODY - 1000);
		size_t at = 0, fill = 0, cap = 2 * BODY + 4096;
		char *want;

		/* fill the socket with unarmed records until it is full, so
		 * that the head meets a socket with little room */
		for (;;) {
			ssize_t n = gnutls_record_send(p.s, big, 300);

			fill += 300;
			if (n == GNUTLS_E_AGAIN) {
				again++;
				again += server_send(&p, big, 300, got, &at,
				                     cap);
				break;
			}
			if (n != 300)
				DIE("filler send failed");
		}
		tlsio_arm(p.io);
		again += server_send(&p, head, hl, got, &at, cap);
		again += server_send(&p, big, bl, got, &at, cap);
		tlsio_request_done(p.io);
		at += client_read(&p, got + at, fill + hl + bl - at);
		want = malloc(fill + hl + bl);
		if (want == NULL)
			DIE("out of memory");
		for (size_t i = 0; i < fill; i += 300)
			memcpy(want + i, big, 300);
		memcpy(want + fill, head, hl);
		memcpy(want + fill + hl, big, bl);
		if (at != fill + hl + bl || memcmp(got, want, at) != 0)
			exact = false;
		free(want);
	}
	ok(exact, "%s: %u responses byte-exact through a tiny SO_SNDBUF",
	   name, ROUNDS);
	ok(again > 0, "%s: and the sends met EAGAIN (%u times)", name, again);
	if (!tcp)
		ok(tlsio_stats(p.io).held_short > 0, "%s: some with the head "
		   "still held (%lu times)", name, tlsio_stats(p.io).held_short);
	pair_close(&p);
	free(big);
	free(got);
}

/* The client goes away with the head held: the body's push fails, the
 * server sees an error, and freeing is clean (ASan/valgrind). */
static void client_vanishes(const char *prio, const char *name)
{
	struct pair p;
	ssize_t r;

	if (!pair_open(&p, prio, NULL, 0, false)) {
		ok(0, "%s: handshake", name);
		return;
	}
	tlsio_arm(p.io);
	r = gnutls_record_send(p.s, head, strlen(head));
	is_int(r, (long)strlen(head), "%s: head held", name);
	close(p.fd_c);
	p.fd_c = -1;
	r = gnutls_record_send(p.s, body, strlen(body));
	ok(r < 0 && gnutls_error_is_fatal((int)r),
	   "%s: the body's send fails once the client is gone (%s)", name,
	   gnutls_strerror((int)r));
	tlsio_request_done(p.io);
	pair_close(&p);
}

/* Which responses arm: only those whose body follows the head. */
static void arm_rules(void)
{
	struct pair p;

	if (!pair_open(&p, "NORMAL", NULL, 0, false)) {
		ok(0, "arm rules: handshake");
		return;
	}
	ok(tlsio_arm_response(p.io, 200, 74), "a 200 with a body arms");
	tlsio_request_done(p.io);
	ok(tlsio_arm_response(p.io, 404, 10), "a 404 with a short body arms");
	tlsio_request_done(p.io);
	ok(tlsio_arm_response(p.io, 405, 19), "a 405 with a short body arms");
	tlsio_request_done(p.io);
	ok(!tlsio_arm_response(p.io, 200, 0), "HEAD (no body) does not");
	ok(!tlsio_arm_response(p.io, 204, 10), "204 does not");
	ok(!tlsio_arm_response(p.io, 304, 10), "304 does not");
	ok(!tlsio_arm_response(p.io, 100, 10), "1xx does not");
	ok(!tlsio_arm_response(NULL, 200, 10), "no tlsio (plain HTTP): no-op");
	/* a HEAD: the head goes out on its own, at once */
	{
		struct tlsio_stats before = tlsio_stats(p.io);
		char got[512];
		size_t at = 0, hl = strlen(head);

		tlsio_arm_response(p.io, 200, 0);
		server_send(&p, head, hl, got, &at, sizeof(got));
		is_int((long)(tlsio_stats(p.io).sends - before.sends), 1,
		       "HEAD: the head is sent by its own push");
		at += client_read(&p, got + at, hl - at);
		is_mem(got, at, head, hl, "HEAD: the head arrives");
	}
	pair_close(&p);
}

static void suite(const char *prio, const char *name)
{
	struct pair p;
	gnutls_datum_t data = { NULL, 0 };
	char tag[64];

	if (!pair_open(&p, prio, NULL, 0, false)) {
		ok(0, "%s: handshake through tlsio", name);
		return;
	}
	ok(gnutls_protocol_get_version(p.s) ==
	   (strstr(prio, "1.3") ? GNUTLS_TLS1_3 : GNUTLS_TLS1_2),
	   "%s: handshake through tlsio", name);
	snprintf(tag, sizeof(tag), "%s armed", name);
	one_response(&p, true, tag, 1);
	snprintf(tag, sizeof(tag), "%s unarmed", name);
	one_response(&p, false, tag, 2);
	snprintf(tag, sizeof(tag), "%s HEAD", name);
	head_only(&p, tag);
	short_body(&p);
	pipelined(&p);
	is_int(tlsio_stats(p.io).held >= 3, 1, "%s: heads were held", name);
	if (gnutls_session_get_data2(p.c, &data) < 0)
		DIE("no session data");
	pair_close(&p);

	/* resumption: a second connection with the first one's ticket */
	if (!pair_open(&p, prio, &data, 0, false)) {
		ok(0, "%s: resumed handshake through tlsio", name);
	} else {
		ok(gnutls_session_is_resumed(p.s) != 0,
		   "%s: resumed handshake through tlsio", name);
		snprintf(tag, sizeof(tag), "%s resumed", name);
		one_response(&p, true, tag, 1);
		pair_close(&p);
	}
	gnutls_free(data.data);
	client_vanishes(prio, name);
	tiny_sndbuf(prio, name, false);
	snprintf(tag, sizeof(tag), "%s over TCP", name);
	tiny_sndbuf(prio, tag, true);
}

int main(void)
{
	if (gnutls_global_init() < 0)
		DIE("gnutls_global_init");
	make_credentials();
	arm_rules();
	suite("NORMAL:-VERS-ALL:+VERS-TLS1.3", "TLS 1.3");
	suite("NORMAL:-VERS-ALL:+VERS-TLS1.2", "TLS 1.2");
	gnutls_certificate_free_credentials(server_cred);
	gnutls_certificate_free_credentials(client_cred);
	gnutls_free(ticket_key.data);
	gnutls_global_deinit();
	return tap_done();
}
