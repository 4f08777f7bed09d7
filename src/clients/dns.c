/*
 * dns: libunbound with a deadline per query. See dns.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unbound.h>

#include "dns.h"

#define RR_A 1
#define RR_MX 15
#define RR_TXT 16
#define RR_AAAA 28
#define RCODE_NXDOMAIN 3

struct dns_client {
	struct ub_ctx *ctx;
	int timeout_ms;
};

struct pending {
	bool done;
	int err;
	struct ub_result *result;
};

const char *dns_status_text(enum dns_status s)
{
	switch (s) {
	case DNS_OK: return "ok";
	case DNS_NXDOMAIN: return "the name does not exist (NXDOMAIN)";
	case DNS_NODATA: return "no record of this type";
	case DNS_SERVFAIL: return "the DNS server failed (SERVFAIL)";
	case DNS_TIMEOUT: return "the DNS query timed out";
	case DNS_ERROR: return "the DNS query failed";
	}
	return "the DNS query failed";
}

struct dns_client *dns_client_new(const struct dns_opts *o, const char **err)
{
	struct dns_client *c = calloc(1, sizeof(*c));

	if (!c) {
		*err = "out of memory";
		return NULL;
	}
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	c->ctx = ub_ctx_create();
	if (!c->ctx) {
		*err = "cannot create a libunbound context";
		free(c);
		return NULL;
	}
	/* Threads, not a forked helper: we are a threaded program. */
	if (ub_ctx_async(c->ctx, 1) != 0) {
		*err = "libunbound cannot resolve in a thread";
		goto fail;
	}
	if (o->resolver) {
		if (ub_ctx_set_fwd(c->ctx, o->resolver) != 0) {
			*err = "bad --resolver address (want ADDR or ADDR@PORT)";
			goto fail;
		}
	} else if (ub_ctx_resolvconf(c->ctx, o->resolv_conf) != 0) {
		*err = "cannot read the resolver configuration";
		goto fail;
	}
	if (o->trust_anchor &&
	    ub_ctx_add_ta_file(c->ctx, o->trust_anchor) != 0) {
		*err = "cannot read the DNSSEC trust anchor file";
		goto fail;
	}
	return c;
fail:
	ub_ctx_delete(c->ctx);
	free(c);
	return NULL;
}

void dns_client_free(struct dns_client *c)
{
	if (!c)
		return;
	ub_ctx_delete(c->ctx);
	free(c);
}

void dns_answer_clear(struct dns_answer *a)
{
	free(a->txt_buf);
	memset(a, 0, sizeof(*a));
}

static void on_result(void *data, int err, struct ub_result *result)
{
	struct pending *p = data;

	p->done = true;
	p->err = err;
	p->result = result;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs one query to completion or timeout. Fills status/sec/why; returns
 * the result (caller frees) when there is one to decode. */
static struct ub_result *query(struct dns_client *c, const char *name,
                               int type, struct dns_answer *a)
{
	struct pending p = { false, 0, NULL };
	long long deadline = now_ms() + c->timeout_ms;
	int id = 0, err;
	struct ub_result *r;

	err = ub_resolve_async(c->ctx, name, type, 1, &p, on_result, &id);
	if (err) {
		a->status = DNS_ERROR;
		snprintf(a->why, sizeof(a->why), "%s", ub_strerror(err));
		return NULL;
	}
	while (!p.done) {
		struct pollfd pfd = { ub_fd(c->ctx), POLLIN, 0 };
		long long left = deadline - now_ms();

		if (left <= 0) {
			ub_cancel(c->ctx, id);
			a->status = DNS_TIMEOUT;
			snprintf(a->why, sizeof(a->why), "no answer within %d s",
				 c->timeout_ms / 1000);
			return NULL;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			ub_cancel(c->ctx, id);
			a->status = DNS_ERROR;
			snprintf(a->why, sizeof(a->why), "poll: %s", strerror(errno));
			return NULL;
		}
		if (ub_process(c->ctx) != 0) {
			ub_cancel(c->ctx, id);
			a->status = DNS_ERROR;
			snprintf(a->why, sizeof(a->why), "libunbound failed");
			return NULL;
		}
	}
	if (p.err || !p.result) {
		a->status = DNS_ERROR;
		snprintf(a->why, sizeof(a->why), "%s", ub_strerror(p.err));
		ub_resolve_free(p.result);
		return NULL;
	}
	r = p.result;
	a->sec = r->bogus ? DNS_SEC_BOGUS : r->secure ? DNS_SEC_SECURE :
		 DNS_SEC_INSECURE;
	if (r->bogus)
		snprintf(a->why, sizeof(a->why), "%s",
			 r->why_bogus ? r->why_bogus : "DNSSEC validation failed");
	if (r->havedata) {
		a->status = DNS_OK;
	} else if (r->nxdomain || r->rcode == RCODE_NXDOMAIN) {
		a->status = DNS_NXDOMAIN;
	} else if (r->rcode == 0) {
		a->status = DNS_NODATA;
	} else {
		a->status = DNS_SERVFAIL;
		if (!a->why[0])
			snprintf(a->why, sizeof(a->why), "rcode %d", r->rcode);
	}
	return r;
}

enum dns_status dns_txt(struct dns_client *c, const char *name,
                        struct dns_answer *a)
{
	struct ub_result *r;
	size_t i, used = 0;

	memset(a, 0, sizeof(*a));
	r = query(c, name, RR_TXT, a);
	if (!r || a->status != DNS_OK) {
		ub_resolve_free(r);
		return a->status;
	}
	a->txt_buf = malloc(TXTREC_MAX_RECORDS * (size_t)TXTREC_MAX_LEN);
	if (!a->txt_buf) {
		a->status = DNS_ERROR;
		snprintf(a->why, sizeof(a->why), "out of memory");
		ub_resolve_free(r);
		return a->status;
	}
	for (i = 0; r->data[i] && a->n_txt < TXTREC_MAX_RECORDS; i++) {
		size_t len;
		int n = dnswire_txt((const uint8_t *)r->data[i], (size_t)r->len[i],
				    a->txt_buf + used, TXTREC_MAX_LEN, &len);

		if (n < 0)
			continue;
		a->txt[a->n_txt].data = a->txt_buf + used;
		a->txt[a->n_txt].len = len;
		a->txt[a->n_txt].n_strings = (unsigned)n;
		a->n_txt++;
		used += TXTREC_MAX_LEN;
	}
	ub_resolve_free(r);
	return a->status;
}

enum dns_status dns_mx(struct dns_client *c, const char *name,
                       struct dns_answer *a)
{
	struct ub_result *r;
	size_t i;

	memset(a, 0, sizeof(*a));
	r = query(c, name, RR_MX, a);
	if (!r || a->status != DNS_OK) {
		ub_resolve_free(r);
		return a->status;
	}
	for (i = 0; r->data[i] && a->n_mx < DNS_MAX_MX; i++) {
		struct dns_mx *m = &a->mx[a->n_mx];

		if (dnswire_mx((const uint8_t *)r->data[i], (size_t)r->len[i],
			       &m->pref, m->host) == 0)
			a->n_mx++;
	}
	/* By preference, as senders try them (insertion sort: n <= 16). */
	for (i = 1; i < a->n_mx; i++) {
		struct dns_mx t = a->mx[i];
		size_t j = i;

		while (j > 0 && a->mx[j - 1].pref > t.pref) {
			a->mx[j] = a->mx[j - 1];
			j--;
		}
		a->mx[j] = t;
	}
	ub_resolve_free(r);
	return a->status;
}

static void add_addrs(struct dns_answer *a, struct ub_result *r, int af,
                      size_t size)
{
	size_t i;

	for (i = 0; r->data[i] && a->n_addr < DNS_MAX_ADDRS; i++) {
		if ((size_t)r->len[i] != size)
			continue;
		if (inet_ntop(af, r->data[i], a->addr[a->n_addr],
			      sizeof(a->addr[0])))
			a->n_addr++;
	}
}

enum dns_status dns_addrs(struct dns_client *c, const char *name,
                          struct dns_answer *a)
{
	struct dns_answer six;
	struct ub_result *r;

	memset(a, 0, sizeof(*a));
	r = query(c, name, RR_A, a);
	if (r && a->status == DNS_OK)
		add_addrs(a, r, AF_INET, 4);
	ub_resolve_free(r);
	if (a->status == DNS_NXDOMAIN || a->status == DNS_TIMEOUT)
		return a->status;
	memset(&six, 0, sizeof(six));
	r = query(c, name, RR_AAAA, &six);
	if (r && six.status == DNS_OK) {
		add_addrs(a, r, AF_INET6, 16);
		a->status = DNS_OK;
	}
	ub_resolve_free(r);
	if (six.sec == DNS_SEC_BOGUS)
		a->sec = DNS_SEC_BOGUS;
	if (a->status != DNS_OK && six.status == DNS_SERVFAIL)
		a->status = DNS_SERVFAIL;
	if (a->status == DNS_OK && a->n_addr == 0)
		a->status = DNS_NODATA;
	return a->status;
}
