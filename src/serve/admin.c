/*
 * admin: the admin listener's server (see admin.h).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "admin.h"
#include "forward.h"
#include "log.h"
#include "metrics.h"
#include "snapshot.h"
#include "stats.h"
#include "status.h"

enum admin_page { PAGE_NONE, PAGE_METRICS, PAGE_STATUS, PAGE_JSON };

static const char *const content_types[] = {
	[PAGE_METRICS] = "text/plain; version=0.0.4; charset=utf-8",
	[PAGE_STATUS] = "text/html; charset=utf-8",
	[PAGE_JSON] = "application/json",
};

static enum admin_page page_of(const char *url)
{
	if (strcmp(url, "/metrics") == 0)
		return PAGE_METRICS;
	if (strcmp(url, "/") == 0)
		return PAGE_STATUS;
	if (strcmp(url, "/status.json") == 0)
		return PAGE_JSON;
	return PAGE_NONE;
}

/* Only unix clients, and on TCP those admin.allow lists (when set). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr,
                                 socklen_t addr_len)
{
	struct snapshot *s;
	bool ok;

	if (addr == NULL || addr->sa_family == AF_UNIX)
		return MHD_YES;
	s = snapshot_acquire();
	ok = s != NULL && (s->conf->n_admin_allow == 0 ||
	                   forward_peer_trusted(s->conf->admin_allow,
	                                        s->conf->n_admin_allow, addr));
	snapshot_release(s);
	return ok ? MHD_YES : MHD_NO;
}

static size_t page_number(const char *text)
{
	unsigned long n = 0;

	for (; text && *text >= '0' && *text <= '9' && n < 1000000; text++)
		n = n * 10 + (unsigned long)(*text - '0');
	return n ? (size_t)n : 1;
}

/* The body of `page` for the current snapshot (malloc'd, *len bytes), or
 * NULL on ENOMEM. */
static char *render(enum admin_page page, struct MHD_Connection *mc,
                    size_t *len)
{
	struct snapshot *s = snapshot_acquire();
	char *body = NULL;
	FILE *out;

	if (s == NULL)
		return NULL;
	out = open_memstream(&body, len);
	if (out != NULL) {
		stats_collect(s->stats);
		if (page == PAGE_METRICS) {
			metrics_write(out, s);
		} else if (page == PAGE_JSON) {
			status_write_json(out, s, time(NULL));
		} else {
			struct status_query q = {
				MHD_lookup_connection_value(mc,
					MHD_GET_ARGUMENT_KIND, "q"),
				page_number(MHD_lookup_connection_value(mc,
					MHD_GET_ARGUMENT_KIND, "page")),
			};

			status_write_html(out, s, time(NULL), &q);
		}
		if (fclose(out) != 0) {
			free(body);
			body = NULL;
		}
	}
	snapshot_release(s);
	return body;
}

static enum MHD_Result answer_text(struct MHD_Connection *mc, unsigned status,
                                   const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ret = MHD_queue_response(mc, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
	static int first_call;
	enum admin_page page = page_of(url);
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *body;
	size_t len = 0;

	if (*req_cls == NULL) {         /* headers in: answer on the next call */
		*req_cls = &first_call;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;  /* no page takes a body */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return answer_text(mc, MHD_HTTP_METHOD_NOT_ALLOWED,
		                   "method not allowed\n");
	if (page == PAGE_NONE)
		return answer_text(mc, MHD_HTTP_NOT_FOUND, "not found\n");
	body = render(page, mc, &len);
	if (body == NULL)
		return answer_text(mc, MHD_HTTP_SERVICE_UNAVAILABLE,
		                   "unavailable\n");
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", content_types[page]);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (page == PAGE_STATUS)
		MHD_add_response_header(r, "Content-Security-Policy",
		                        "default-src 'none'; style-src "
		                        "'unsafe-inline'; form-action 'self'");
	ret = MHD_queue_response(mc, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

struct MHD_Daemon *admin_start(int fd, const struct conf *c)
{
	struct MHD_Daemon *d;

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                     MHD_USE_ITC, 0, on_accept, NULL, on_request, NULL,
	                     MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	                     MHD_OPTION_CONNECTION_LIMIT, 64u,
	                     MHD_OPTION_CONNECTION_TIMEOUT,
	                     (unsigned)c->timeout_seconds,
	                     MHD_OPTION_END);
	if (d == NULL)
		log_warnx("cannot start the admin listener (libmicrohttpd "
		          "refused)");
	return d;
}
