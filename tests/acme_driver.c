/*
 * acme_driver: runs the ACME client (src/clients/acme.c) once from the
 * command line, for tests/integration/acme.sh. Not installed.
 *
 *   acme_driver --directory URL [--ca-file PEM] [--email ADDR]
 *       [--account-key FILE]   reused when it exists, else made and saved
 *       [--eab-kid KID --eab-key B64URL] [--no-terms]
 *       [--challenge tls-alpn-01|http-01]
 *       [--serve-port N]       answer the challenges on 127.0.0.1:N (http-01:
 *                              plain HTTP; tls-alpn-01: TLS with acme-tls/1)
 *       [--timeout-ms N] [--order-timeout S]
 *       [--max-answers N]      the callback fails past N answers at once
 *       [--chain FILE] [--key FILE] [--ari]
 *       [--alternate FILE]     also fetch the first alternative chain
 *       [--ari-only CERTFILE]  only ask for the renewal window of CERTFILE
 *       [--find-account]       only look the account up (onlyReturnExisting):
 *                              "account found URL" or "account none"
 *       NAME...
 *
 * One line per event on stdout: "account created|existing URL",
 * "provision TYPE NAME", "remove TYPE NAME", "served TYPE NAME",
 * "issued names=N not_after=T ari=ID alternates=N", "alternate ok",
 * "ari ok start=S end=E poll_after=P" | "ari none". On failure:
 * "error kind=K type=T status=N retry_after=S name=X: message", exit 1.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "acme.h"

#define MAX_CH 1000

struct answer {
	char *name, *path, *key_auth, *cert, *key;
};

static struct {
	pthread_mutex_t lock;
	struct answer a[MAX_CH];
	size_t n;
	enum acme_challenge_type type;
	size_t max;             /* answers held at once (--max-answers) */
	int listen_fd;
	atomic_bool stop;
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1, .max = MAX_CH };

static char *xstrdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d) {
		perror("strdup");
		exit(2);
	}
	return d;
}

static int on_challenge(void *arg, enum acme_challenge_op op,
                        const struct acme_challenge_info *ch)
{
	const char *type = ch->type == ACME_CHALLENGE_HTTP_01 ? "http-01" : "tls-alpn-01";
	size_t i;

	pthread_mutex_lock(&srv.lock);
	if (op == ACME_CHALLENGE_PROVISION) {
		if (srv.n == srv.max) {
			pthread_mutex_unlock(&srv.lock);
			return -1;
		}
		srv.a[srv.n].name = xstrdup(ch->name);
		srv.a[srv.n].path = xstrdup(ch->http_path);
		srv.a[srv.n].key_auth = xstrdup(ch->key_authorization);
		srv.a[srv.n].cert = xstrdup(ch->cert_pem);
		srv.a[srv.n].key = xstrdup(ch->key_pem);
		srv.n++;
	} else {
		for (i = 0; i < srv.n; i++)
			if (strcmp(srv.a[i].name, ch->name) == 0) {
				free(srv.a[i].name);
				free(srv.a[i].path);
				free(srv.a[i].key_auth);
				free(srv.a[i].cert);
				free(srv.a[i].key);
				srv.a[i] = srv.a[--srv.n];
				break;
			}
	}
	pthread_mutex_unlock(&srv.lock);
	printf("%s %s %s\n", op == ACME_CHALLENGE_PROVISION ? "provision" : "remove",
	       type, ch->name);
	fflush(stdout);
	return 0;
}

/* http-01: one GET per connection. */
static void serve_http(int fd)
{
	char req[4096], path[1024], resp[2048];
	ssize_t got;
	size_t len = 0, i;
	const char *body = NULL;

	while (len < sizeof(req) - 1 && !memmem(req, len, "\r\n\r\n", 4)) {
		got = read(fd, req + len, sizeof(req) - 1 - len);
		if (got <= 0)
			return;
		len += (size_t)got;
	}
	req[len] = '\0';
	if (sscanf(req, "GET %1023s ", path) != 1)
		return;
	pthread_mutex_lock(&srv.lock);
	for (i = 0; i < srv.n; i++)
		if (srv.a[i].path && strcmp(srv.a[i].path, path) == 0) {
			snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
				 strlen(srv.a[i].key_auth), srv.a[i].key_auth);
			body = resp;
			printf("served http-01 %s\n", srv.a[i].name);
			fflush(stdout);
			break;
		}
	pthread_mutex_unlock(&srv.lock);
	if (!body)
		body = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	if (write(fd, body, strlen(body)) < 0)
		return;
}

/* tls-alpn-01: every challenge certificate is loaded; GnuTLS picks the one
 * matching the SNI. Only "acme-tls/1" is offered. */
static void serve_alpn(int fd)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	gnutls_datum_t proto = { (unsigned char *)"acme-tls/1", 10 };
	size_t i;
	int r;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return;
	pthread_mutex_lock(&srv.lock);
	for (i = 0; i < srv.n; i++) {
		gnutls_datum_t c = { (unsigned char *)srv.a[i].cert, (unsigned)strlen(srv.a[i].cert) };
		gnutls_datum_t k = { (unsigned char *)srv.a[i].key, (unsigned)strlen(srv.a[i].key) };

		gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM);
	}
	pthread_mutex_unlock(&srv.lock);
	gnutls_init(&s, GNUTLS_SERVER);
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_alpn_set_protocols(s, &proto, 1, GNUTLS_ALPN_MANDATORY);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, 10000);
	do {
		r = gnutls_handshake(s);
	} while (r < 0 && !gnutls_error_is_fatal(r));
	if (r == 0) {
		char name[256] = "";
		size_t nl = sizeof(name);
		unsigned type;

		gnutls_server_name_get(s, name, &nl, &type, 0);
		printf("served tls-alpn-01 %s\n", name);
		fflush(stdout);
		gnutls_bye(s, GNUTLS_SHUT_WR);
	}
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
}

static void *responder(void *arg)
{
	while (!atomic_load(&srv.stop)) {
		struct pollfd p = { srv.listen_fd, POLLIN, 0 };
		int fd;

		if (poll(&p, 1, 100) <= 0)
			continue;
		fd = accept(srv.listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		{
			struct timeval tv = { 10, 0 };

			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		}
		if (srv.type == ACME_CHALLENGE_HTTP_01)
			serve_http(fd);
		else
			serve_alpn(fd);
		close(fd);
	}
	return NULL;
}

static int listen_on(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		fprintf(stderr, "acme_driver: cannot listen on 127.0.0.1:%d: %s\n", port,
			strerror(errno));
		exit(2);
	}
	return fd;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    !(buf = malloc((size_t)n + 1))) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(data, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "acme_driver: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

static int report(const struct acme_error *e)
{
	printf("error kind=%s type=%s status=%d retry_after=%lld name=%s: %s\n",
	       acme_error_kind_name(e->kind), e->problem_type[0] ? e->problem_type : "-",
	       e->http_status, (long long)e->retry_after, e->name[0] ? e->name : "-",
	       e->message);
	return 1;
}

int main(int argc, char **argv)
{
	struct acme_config cfg = { .accept_terms = true };
	const char *account_key = NULL, *chain_out = NULL, *key_out = NULL;
	const char *alt_out = NULL, *ari_only = NULL;
	char *key_pem = NULL;
	int i, port = 0, rc = 0;
	bool ari = false, find = false;
	struct acme_client *c;
	struct acme_error err;
	struct acme_certificate cert;
	pthread_t th;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--no-terms") == 0) {
			cfg.accept_terms = false;
			continue;
		}
		if (strcmp(o, "--find-account") == 0) {
			find = true;
			continue;
		}
		if (strcmp(o, "--ari") == 0) {
			ari = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "acme_driver: %s needs a value\n", o);
			return 2;
		}
		i++;
		if (strcmp(o, "--directory") == 0)
			cfg.directory_url = v;
		else if (strcmp(o, "--ca-file") == 0)
			cfg.ca_file = v;
		else if (strcmp(o, "--email") == 0)
			cfg.email = v;
		else if (strcmp(o, "--account-key") == 0)
			account_key = v;
		else if (strcmp(o, "--eab-kid") == 0)
			cfg.eab_kid = v;
		else if (strcmp(o, "--eab-key") == 0)
			cfg.eab_hmac_key = v;
		else if (strcmp(o, "--challenge") == 0)
			cfg.challenge = strcmp(v, "http-01") == 0 ? ACME_CHALLENGE_HTTP_01
				: ACME_CHALLENGE_TLS_ALPN_01;
		else if (strcmp(o, "--serve-port") == 0)
			port = atoi(v);
		else if (strcmp(o, "--timeout-ms") == 0)
			cfg.request_timeout_ms = cfg.connect_timeout_ms = atol(v);
		else if (strcmp(o, "--order-timeout") == 0)
			cfg.order_timeout_s = atol(v);
		else if (strcmp(o, "--max-answers") == 0)
			srv.max = (size_t)atoi(v) < MAX_CH ? (size_t)atoi(v) : MAX_CH;
		else if (strcmp(o, "--alternate") == 0)
			alt_out = v;
		else if (strcmp(o, "--ari-only") == 0)
			ari_only = v;
		else if (strcmp(o, "--chain") == 0)
			chain_out = v;
		else if (strcmp(o, "--key") == 0)
			key_out = v;
		else {
			fprintf(stderr, "acme_driver: unknown option %s\n", o);
			return 2;
		}
	}
	if ((i >= argc && !ari_only && !find) || !cfg.directory_url) {
		fprintf(stderr, "usage: acme_driver --directory URL [options] NAME...\n");
		return 2;
	}
	if (acme_global_init() < 0)
		return 2;
	if (account_key)
		key_pem = read_file(account_key);
	c = acme_client_new(&cfg, key_pem, &err);
	free(key_pem);
	if (!c)
		return report(&err);
	if (account_key && access(account_key, F_OK) != 0) {
		char *pem = acme_client_account_key_pem(c);

		if (!pem || write_file(account_key, pem) < 0)
			return 2;
		free(pem);
	}
	if (port) {
		srv.type = cfg.challenge;
		srv.listen_fd = listen_on(port);
		pthread_create(&th, NULL, responder, NULL);
	}
	if (find) {
		int r = acme_client_find_account(c, &err);

		if (r < 0)
			rc = report(&err);
		else if (r == 1)
			printf("account none\n");
		else
			printf("account found %s\n", acme_client_account_url(c));
		goto out;
	}
	if (ari_only) {
		char *pem = read_file(ari_only);

		ari = true;
		memset(&cert, 0, sizeof(cert));
		cert.chain_pem = pem;
		if (!pem) {
			rc = 2;
			goto out;
		}
		goto renewal;
	}
	if (acme_client_account(c, &err) < 0) {
		rc = report(&err);
		goto out;
	}
	printf("account %s %s\n", acme_client_account_created(c) ? "created" : "existing",
	       acme_client_account_url(c));
	if (acme_issue(c, (const char *const *)argv + i, (size_t)(argc - i), NULL,
		       on_challenge, NULL, &cert, &err) < 0) {
		rc = report(&err);
		goto out;
	}
	printf("issued names=%d not_after=%lld ari=%s alternates=%zu\n", argc - i,
	       (long long)cert.not_after, cert.ari_id ? cert.ari_id : "-", cert.n_alternates);
	if (alt_out) {
		char *alt = acme_fetch_alternate(c, &cert, 0, (const char *const *)argv + i,
						 (size_t)(argc - i), &err);

		if (!alt || write_file(alt_out, alt) < 0)
			rc = alt ? 2 : report(&err);
		else
			printf("alternate ok\n");
		free(alt);
	}
	if ((chain_out && write_file(chain_out, cert.chain_pem) < 0) ||
	    (key_out && write_file(key_out, cert.key_pem) < 0))
		rc = 2;
renewal:
	if (ari) {
		struct acme_renewal_info ri;
		int64_t poll_after;
		int r = acme_renewal_info(c, cert.chain_pem, &ri, &poll_after, &err);

		if (r == 1)
			printf("ari none\n");
		else if (r == 0)
			printf("ari ok start=%lld end=%lld poll_after=%lld\n", (long long)ri.start,
			       (long long)ri.end, (long long)poll_after);
		else
			rc = report(&err);
		acme_renewal_info_clear(&ri);
	}
	acme_certificate_clear(&cert);
out:
	if (port) {
		atomic_store(&srv.stop, true);
		pthread_join(th, NULL);
		close(srv.listen_fd);
	}
	acme_client_free(c);
	acme_global_cleanup();
	return rc;
}
