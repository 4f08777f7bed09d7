#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"
#include "service.h"

#define LISTEN_BACKLOG 1024

static bool is_ipv6_any(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	return ss->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
}

/* A stale unix socket left by a previous run would make bind() fail; remove
 * it, but never remove anything that is not a socket. */
static int unlink_stale_socket(const struct conf_listener *l, struct diag *d)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&l->addr;
	struct stat st;

	if (lstat(sun->sun_path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		diag_error(d, &l->loc, "%s exists and is not a socket", sun->sun_path);
		return -1;
	}
	if (unlink(sun->sun_path) != 0) {
		diag_error(d, &l->loc, "cannot remove stale socket %s: %s",
		           sun->sun_path, strerror(errno));
		return -1;
	}
	return 0;
}

static int bind_listener(const struct conf_listener *l, struct diag *d)
{
	int fd, on = 1, off = 0;

	if (l->addr.ss_family == AF_UNIX && unlink_stale_socket(l, d) != 0)
		return -1;
	fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		diag_error(d, &l->loc, "socket: %s", strerror(errno));
		return -1;
	}
	if (l->addr.ss_family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* "[::]:PORT" means every address, IPv4 included; a specific IPv6
	 * address means only that one. */
	if (l->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
		           is_ipv6_any(&l->addr) ? &off : &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addr_len) != 0) {
		diag_error(d, &l->loc, "cannot listen on %s: %s", l->text,
		           strerror(errno));
		close(fd);
		return -1;
	}
	/* Policies are public: any local user (the reverse proxy's) may
	 * connect. The admin socket names every domain: its group only. */
	if (l->addr.ss_family == AF_UNIX)
		chmod(((const struct sockaddr_un *)&l->addr)->sun_path,
		      l->kind == LISTEN_ADMIN ? 0660 : 0666);
	if (listen(fd, LISTEN_BACKLOG) != 0) {
		diag_error(d, &l->loc, "listen on %s: %s", l->text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Does the inherited socket `fd` serve listener `l`? Compares the bound
 * address byte for byte (family, address, port, or unix path). */
static bool fd_matches(int fd, const struct conf_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    ss.ss_family != l->addr.ss_family)
		return false;
	switch (ss.ss_family) {
	case AF_INET: {
		const struct sockaddr_in *a = (const void *)&ss, *b = (const void *)&l->addr;
		return a->sin_port == b->sin_port &&
		       a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *a = (const void *)&ss, *b = (const void *)&l->addr;
		return a->sin6_port == b->sin6_port &&
		       memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
	}
	case AF_UNIX: {
		const struct sockaddr_un *a = (const void *)&ss, *b = (const void *)&l->addr;
		return strcmp(a->sun_path, b->sun_path) == 0;
	}
	default:
		return false;
	}
}

int listen_open(const struct conf *c, int *fds, struct diag *d)
{
	int first, n_inherited = service_listen_fds(&first);
	bool used[64] = { false };
	unsigned errors = d->errors;

	if (n_inherited > (int)(sizeof(used) / sizeof(used[0]))) {
		diag_error(d, NULL, "too many sockets passed by systemd (%d)", n_inherited);
		return -1;
	}
	for (size_t i = 0; i < c->n_listeners; i++) {
		fds[i] = -1;
		for (int j = 0; j < n_inherited && fds[i] < 0; j++) {
			if (!used[j] && fd_matches(first + j, &c->listeners[i])) {
				used[j] = true;
				fds[i] = first + j;
			}
		}
		if (fds[i] < 0)
			fds[i] = bind_listener(&c->listeners[i], d);
	}
	for (int j = 0; j < n_inherited; j++) {
		if (!used[j]) {
			char what[128];

			listen_describe(first + j, what, sizeof(what));
			diag_error(d, NULL, "socket %s passed by systemd matches no listener in %s",
			           what, c->path);
		}
	}
	if (d->errors == errors)
		return 0;
	for (size_t i = 0; i < c->n_listeners; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return -1;
}

void listen_describe(int fd, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		snprintf(out, len, "fd %d", fd);
		return;
	}
	switch (ss.ss_family) {
	case AF_INET: {
		const struct sockaddr_in *a = (const void *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, ntohs(a->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *a = (const void *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(out, len, "[%s]:%u", host, ntohs(a->sin6_port));
		break;
	}
	case AF_UNIX:
		snprintf(out, len, "unix:%s", ((const struct sockaddr_un *)&ss)->sun_path);
		break;
	default:
		snprintf(out, len, "fd %d", fd);
	}
}
