/*
 * tlsclient: see tlsclient.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "tlsclient.h"

/* TLS 1.0 and 1.1 are allowed only to be able to say that a server offers
 * nothing better; a result below 1.2 is reported as an error. */
#define PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0"

long long tlsclient_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

gnutls_certificate_credentials_t tlsclient_creds(const char *ca_file,
                                                 const char **err)
{
	gnutls_certificate_credentials_t c;

	if (gnutls_certificate_allocate_credentials(&c) < 0) {
		*err = "cannot allocate TLS credentials";
		return NULL;
	}
	/* A machine without a trust store can still use --ca-file. */
	gnutls_certificate_set_x509_system_trust(c);
	if (ca_file && gnutls_certificate_set_x509_trust_file(c, ca_file,
			GNUTLS_X509_FMT_PEM) <= 0) {
		*err = "cannot read any certificate from --ca-file";
		gnutls_certificate_free_credentials(c);
		return NULL;
	}
	return c;
}

int tlsclient_connect(const char *addr, uint16_t port, long long deadline,
                      enum net_result *res, char *err, size_t err_size)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, flags, soerr = 0;
	socklen_t el = sizeof(soerr);

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr,
			     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		*res = NET_ERROR;
		snprintf(err, err_size, "not an address: %s", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*res = NET_ERROR;
		snprintf(err, err_size, "socket: %s", strerror(errno));
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		if (errno != EINPROGRESS) {
			soerr = errno;
		} else {
			for (;;) {
				struct pollfd p = { fd, POLLOUT, 0 };
				long long left = deadline - tlsclient_now_ms();
				int n;

				if (left <= 0) {
					*res = NET_TIMEOUT;
					snprintf(err, err_size, "connection to %s "
						 "port %u timed out", addr, port);
					close(fd);
					return -1;
				}
				n = poll(&p, 1, (int)left);
				if (n < 0 && errno == EINTR)
					continue;
				if (n > 0)
					break;
			}
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el);
		}
	}
	if (soerr) {
		*res = soerr == ECONNREFUSED ? NET_REFUSED :
		       (soerr == EHOSTUNREACH || soerr == ENETUNREACH) ?
		       NET_UNREACHABLE : soerr == ETIMEDOUT ? NET_TIMEOUT :
		       NET_ERROR;
		snprintf(err, err_size, "connection to %s port %u: %s", addr,
			 port, strerror(soerr));
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	*res = NET_OK;
	return fd;
}

bool tlsclient_arm(int fd, long long deadline)
{
	long long left = deadline - tlsclient_now_ms();
	struct timeval tv;

	if (left <= 0)
		return false;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	if (tv.tv_sec == 0 && tv.tv_usec == 0)
		tv.tv_usec = 1000;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return true;
}

static void judge_cert(gnutls_session_t s, const char *host,
                       struct tls_facts *f)
{
	unsigned status = 0, n = 0;
	const gnutls_datum_t *chain;
	gnutls_datum_t out = { NULL, 0 };

	chain = gnutls_certificate_get_peers(s, &n);
	if (!chain || n == 0) {
		snprintf(f->cert_error, sizeof(f->cert_error),
			 "the server sent no certificate");
		return;
	}
	f->have_cert = true;
	{
		gnutls_x509_crt_t crt;

		if (gnutls_x509_crt_init(&crt) == 0) {
			if (gnutls_x509_crt_import(crt, &chain[0],
						   GNUTLS_X509_FMT_DER) == 0) {
				time_t exp = gnutls_x509_crt_get_expiration_time(crt);
				time_t now = time(NULL);

				f->days_left = exp >= now ? (long)((exp - now) / 86400)
							  : -(long)((now - exp) / 86400) - 1;
				f->name_ok = gnutls_x509_crt_check_hostname(crt, host) != 0;
			}
			gnutls_x509_crt_deinit(crt);
		}
	}
	if (gnutls_certificate_verify_peers3(s, host, &status) < 0) {
		snprintf(f->cert_error, sizeof(f->cert_error),
			 "the certificate could not be verified");
		return;
	}
	f->trusted = !(status & (GNUTLS_CERT_SIGNER_NOT_FOUND |
				 GNUTLS_CERT_SIGNER_NOT_CA |
				 GNUTLS_CERT_SIGNATURE_FAILURE |
				 GNUTLS_CERT_INSECURE_ALGORITHM |
				 GNUTLS_CERT_REVOKED));
	f->time_ok = !(status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED));
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		f->name_ok = false;
	if (status && gnutls_certificate_verification_status_print(status,
			GNUTLS_CRT_X509, &out, 0) == 0) {
		size_t el;

		snprintf(f->cert_error, sizeof(f->cert_error), "%s", out.data);
		gnutls_free(out.data);
		el = strlen(f->cert_error);
		while (el && f->cert_error[el - 1] == ' ')
			f->cert_error[--el] = '\0';
	}
}

gnutls_session_t tlsclient_handshake(int fd, const char *host,
                                     gnutls_certificate_credentials_t creds,
                                     long long deadline, struct tls_facts *f)
{
	gnutls_session_t s;
	int rc;

	memset(f, 0, sizeof(*f));
	if (gnutls_init(&s, GNUTLS_CLIENT) < 0) {
		snprintf(f->error, sizeof(f->error), "cannot start TLS");
		return NULL;
	}
	if (gnutls_priority_set_direct(s, PRIORITIES, NULL) < 0)
		gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, creds);
	gnutls_server_name_set(s, GNUTLS_NAME_DNS, host, strlen(host));
	gnutls_transport_set_int(s, fd);
	do {
		if (!tlsclient_arm(fd, deadline)) {
			rc = GNUTLS_E_TIMEDOUT;
			break;
		}
		rc = gnutls_handshake(s);
	} while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED ||
		    rc == GNUTLS_E_WARNING_ALERT_RECEIVED)
			snprintf(f->error, sizeof(f->error),
				 "the server sent the TLS alert %s",
				 gnutls_alert_get_name(gnutls_alert_get(s)));
		else
			snprintf(f->error, sizeof(f->error), "%s",
				 rc == GNUTLS_E_TIMEDOUT ? "the TLS handshake "
				 "timed out" : gnutls_strerror(rc));
		gnutls_deinit(s);
		return NULL;
	}
	f->handshake_ok = true;
	{
		gnutls_protocol_t v = gnutls_protocol_get_version(s);
		const char *name = gnutls_protocol_get_name(v);

		snprintf(f->version, sizeof(f->version), "%s", name ? name : "?");
		f->version_ok = v == GNUTLS_TLS1_2 || v == GNUTLS_TLS1_3;
	}
	judge_cert(s, host, f);
	return s;
}

long tlsclient_recv(gnutls_session_t s, int fd, char *buf, size_t len,
                   long long deadline, bool *timed_out)
{
	*timed_out = false;
	for (;;) {
		ssize_t n;

		if (!tlsclient_arm(fd, deadline)) {
			*timed_out = true;
			return -1;
		}
		n = gnutls_record_recv(s, buf, len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;       /* tlsclient_arm ends it at the deadline */
		if (n == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;       /* closed without close_notify: common */
		return n < 0 ? -1 : (long)n;
	}
}

int tlsclient_write(gnutls_session_t s, int fd, const char *buf, size_t len,
                    long long deadline)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n;

		if (!tlsclient_arm(fd, deadline))
			return -1;
		n = gnutls_record_send(s, buf + done, len - done);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}
