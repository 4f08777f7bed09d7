/*
 * dns: the DNS client of --diagnose (libunbound), one context per thread.
 *
 * Every query is asynchronous with a deadline (ub_resolve_async, then
 * poll() on ub_fd() until the answer or the timeout; a late query is
 * cancelled), so a silent server costs at most the timeout. Answers are
 * decoded with dnswire (bounded) into a dns_answer, which owns its memory
 * (dns_answer_clear frees it). DNSSEC status comes from libunbound: secure
 * only when a trust anchor is configured and the chain validates.
 */
#ifndef STSD_DNS_H
#define STSD_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnswire.h"
#include "txtrec.h"

#define DNS_MAX_MX 16
#define DNS_MAX_ADDRS 8

struct dns_opts {
	const char *resolver;        /* "ADDR" or "ADDR@PORT" forwarder, or NULL */
	const char *resolv_conf;     /* NULL: /etc/resolv.conf when no resolver */
	const char *trust_anchor;    /* DNSSEC root key file, or NULL */
	int timeout_ms;
};

enum dns_status {
	DNS_OK,                      /* data present */
	DNS_NXDOMAIN,                /* the name does not exist */
	DNS_NODATA,                  /* the name exists, no record of the type */
	DNS_SERVFAIL,                /* SERVFAIL or another failure rcode */
	DNS_TIMEOUT,
	DNS_ERROR,                   /* local or malformed-answer failure */
};

enum dns_sec { DNS_SEC_INSECURE, DNS_SEC_SECURE, DNS_SEC_BOGUS };

struct dns_mx {
	uint16_t pref;
	char host[DNSWIRE_NAME_MAX + 1];
};

struct dns_answer {
	enum dns_status status;
	enum dns_sec sec;
	char why[160];               /* for failures and bogus answers */
	struct txtrec txt[TXTREC_MAX_RECORDS];
	size_t n_txt;
	char *txt_buf;               /* backing store of txt[].data */
	struct dns_mx mx[DNS_MAX_MX];
	size_t n_mx;
	char addr[DNS_MAX_ADDRS][46];/* numeric, for A and AAAA */
	size_t n_addr;
};

struct dns_client;

/* NULL with *err set (static) on failure. */
struct dns_client *dns_client_new(const struct dns_opts *o, const char **err);
void dns_client_free(struct dns_client *c);

/* Each fills *a (call dns_answer_clear after) and returns a->status. */
enum dns_status dns_txt(struct dns_client *c, const char *name,
                        struct dns_answer *a);
enum dns_status dns_mx(struct dns_client *c, const char *name,
                       struct dns_answer *a);
/* A then AAAA; NXDOMAIN/NODATA only when both say so. */
enum dns_status dns_addrs(struct dns_client *c, const char *name,
                          struct dns_answer *a);

void dns_answer_clear(struct dns_answer *a);

const char *dns_status_text(enum dns_status s);

#endif
