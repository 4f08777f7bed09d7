/*
 * tlsrpt_txt: RFC 8460 section 3, the reading senders apply: records not
 * starting with "v=TLSRPTv1" are dropped, exactly one must remain, and it
 * must follow the grammar with a rua of mailto: or https: URIs.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dnsrec.h"
#include "tlsrpt_txt.h"

#define URI_MAX 512

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool candidate(const char *d, size_t len)
{
	size_t i = 0;

	while (i < len && is_wsp(d[i]))
		i++;
	return len - i >= 10 && strncasecmp(d + i, "v=TLSRPTv1", 10) == 0;
}

static void fix_record(const struct check_report *r, char *buf, size_t size)
{
	snprintf(buf, size, "publish exactly one record: _smtp._tls.%s. IN TXT "
		 "\"v=TLSRPTv1; rua=mailto:tlsrpt@%s\"", r->domain, r->domain);
}

/* Checks each URI of the rua value [p, e). Returns the number of URIs. */
static size_t check_rua(const char *p, const char *e, const char *our_rua,
                        struct check_report *r)
{
	size_t n = 0, bad = 0;
	char first[URI_MAX + 1] = "";

	while (p <= e && n < TLSRPT_MAX_URIS) {
		const char *c = memchr(p, ',', (size_t)(e - p));
		const char *ue = c ? c : e, *us = p;
		char uri[URI_MAX + 1];
		size_t ul;
		const char *err;

		while (us < ue && is_wsp(*us))
			us++;
		while (ue > us && is_wsp(ue[-1]))
			ue--;
		ul = (size_t)(ue - us);
		if (ul > URI_MAX)
			ul = URI_MAX;
		memcpy(uri, us, ul);
		uri[ul] = '\0';
		err = memchr(us, '\0', (size_t)(ue - us)) ?
		      "URI contains a NUL byte" : dnsrec_tlsrpt_uri_check(uri);
		if (err) {
			check_add(r, "tlsrpt.rua", CHECK_ERROR,
				  "use mailto:address or https://host/path URIs, "
				  "separated by ','",
				  "rua URI \"%.100s\": %s", uri, err);
			bad++;
		} else if (n == 0) {
			memcpy(first, uri, ul + 1);
		}
		n++;
		if (!c)
			break;
		p = c + 1;
	}
	if (bad)
		return n;
	if (our_rua && strcmp(first, our_rua) != 0) {
		char fix[URI_MAX + 64];

		snprintf(fix, sizeof(fix), "list %s first in rua", our_rua);
		check_add(r, "tlsrpt.rua", CHECK_WARNING, fix,
			  "reports go first to %.200s, not to %.200s: one large "
			  "sender uses only the first URI", first, our_rua);
	} else {
		check_add(r, "tlsrpt.rua", CHECK_OK, NULL,
			  "%zu report URI%s, the first %.200s (one large sender "
			  "uses only the first)", n, n == 1 ? "" : "s", first);
	}
	return n;
}

void tlsrpt_txt_check(const struct txtrec *recs, size_t n,
                      const char *our_rua, struct check_report *r)
{
	size_t i, found = 0, which = 0;
	const char *d, *p, *e, *rua = NULL, *rua_end = NULL;
	char fix[300];
	const char *err = NULL;

	fix_record(r, fix, sizeof(fix));
	for (i = 0; i < n; i++)
		if (candidate(recs[i].data, recs[i].len) && found++ == 0)
			which = i;
	if (found == 0) {
		check_add(r, "tlsrpt.present", CHECK_WARNING, fix,
			  "no TLS-RPT record at _smtp._tls.%s: senders send no "
			  "reports, so nobody hears of delivery failures",
			  r->domain);
		return;
	}
	check_add(r, "tlsrpt.present", CHECK_OK, NULL,
		  "_smtp._tls.%s has a v=TLSRPTv1 record", r->domain);
	if (found > 1) {
		check_add(r, "tlsrpt.single", CHECK_ERROR, fix,
			  "%zu v=TLSRPTv1 records: senders then send no reports",
			  found);
		return;
	}
	check_add(r, "tlsrpt.single", CHECK_OK, NULL,
		  "exactly one v=TLSRPTv1 record");
	d = recs[which].data;
	e = d + recs[which].len;
	if (recs[which].len < 10 || memcmp(d, "v=TLSRPTv1", 10) != 0) {
		err = "the record must start with exactly \"v=TLSRPTv1\"";
		goto bad;
	}
	p = d + 10;
	for (;;) {
		const char *f, *fe, *eq;

		while (p < e && is_wsp(*p))
			p++;
		if (p == e)
			break;
		if (*p != ';') {
			err = "\"v=TLSRPTv1\" and each field must be followed "
			      "by ';'";
			goto bad;
		}
		p++;
		while (p < e && is_wsp(*p))
			p++;
		if (p == e)
			break;
		f = p;
		while (p < e && *p != ';')
			p++;
		fe = p;
		while (fe > f && is_wsp(fe[-1]))
			fe--;
		eq = memchr(f, '=', (size_t)(fe - f));
		if (!eq || eq == f) {
			err = "a field without name=value";
			goto bad;
		}
		if (eq - f == 3 && memcmp(f, "rua", 3) == 0) {
			if (rua) {
				err = "a second rua= field";
				goto bad;
			}
			rua = eq + 1;
			rua_end = fe;
		}
	}
	if (!rua) {
		err = "no rua= field (where reports go)";
		goto bad;
	}
	if (rua == rua_end) {
		err = "rua= is empty";
		goto bad;
	}
	check_add(r, "tlsrpt.syntax", CHECK_OK, NULL,
		  "the record follows the RFC 8460 grammar");
	check_rua(rua, rua_end, our_rua, r);
	return;
bad:
	check_add(r, "tlsrpt.syntax", CHECK_ERROR, fix, "%s: \"%.*s\"", err,
		  (int)(recs[which].len > 120 ? 120 : recs[which].len), d);
}
