/*
 * dnsrec: the DNS records an operator publishes for each policy domain
 * (pure: writes to a stdio stream, reads nothing).
 *
 *   _mta-sts.<domain>.  TTL IN TXT "v=STSv1; id=<id>"
 *   _smtp._tls.<domain>. TTL IN TXT "v=TLSRPTv1; rua=<uri>,<uri>"   (if tls_rpt)
 *   mta-sts.<domain>.   TTL IN CNAME <target>. | A | AAAA           (if configured)
 */
#ifndef STSD_DNSREC_H
#define STSD_DNSREC_H

#include <stdint.h>
#include <stdio.h>

#include "policy.h"

enum dnsrec_format {
	DNSREC_ZONE,    /* BIND zone file lines, with ';' comments */
	DNSREC_JSON,    /* one JSON document, with each policy body */
};

struct dnsrec_opts {
	uint32_t ttl;               /* default 3600 */
	const char *host_cname;     /* mta-sts.<domain> CNAME target, or NULL */
	char *const *host_addrs;    /* A/AAAA addresses (text), n_host_addrs of them */
	size_t n_host_addrs;
};

/*
 * An RFC 8460 rua URI: "mailto:" or "https:" scheme, printable ASCII without
 * spaces, and ',', '!' and ';' only percent-encoded. NULL or a message.
 */
const char *dnsrec_tlsrpt_uri_check(const char *uri);

/* The zone-file line of p's _mta-sts TXT record, as --print-dns writes it,
 * without a newline:
 *   _mta-sts.DOMAIN. TTL IN TXT "v=STSv1; id=ID"
 * into buf (NUL-terminated, truncated to fit). */
#define DNSREC_STS_LINE_MAX (NAME_MAX_LEN + 64 + 4 * POLICY_ID_MAX)
void dnsrec_sts_line(const struct policy *p, uint32_t ttl, char *buf,
                     size_t size);

/* Writes the records of `n` policies in `format`. Returns 0, or -1 when the
 * stream reports an error. */
int dnsrec_write(FILE *out, enum dnsrec_format format,
                 const struct policy *const *policies, size_t n,
                 const struct dnsrec_opts *opts);

#endif
