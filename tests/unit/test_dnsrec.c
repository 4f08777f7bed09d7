/*
 * test_dnsrec: TLS-RPT URI rules, and the zone and JSON output compared
 * byte for byte (open_memstream), including 255-byte TXT string splitting,
 * escaping, the mode-none removal note and a failing stream.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dnsrec.h"
#include "tap.h"

#define CANONICAL_ID "343571230062778"  /* see test_policy.c */

/* ---- TLS-RPT URIs ---- */

static void uri_ok(const char *uri)
{
	is_str(dnsrec_tlsrpt_uri_check(uri), NULL, "rua \"%s\" accepted", uri);
}

static void uri_bad(const char *uri, const char *want)
{
	is_str(dnsrec_tlsrpt_uri_check(uri), want, "rua \"%s\" refused",
	       uri ? uri : "(null)");
}

#define BAD_CHAR "URI contains a character that is not allowed in a URI " \
	"(a control or non-ASCII byte, or one of \"<>\\^`{|}); " \
	"percent-encode it"
#define BAD_PCT "'%' in a URI must be followed by two hex digits"
#define NO_HOST "https: URI must name a host, as in " \
	"\"https://tlsrpt.example.com/v1\""

static void test_uri(void)
{
	uri_ok("mailto:tlsrpt@example.com");
	uri_ok("mailto:a%2Cb@c.com");
	uri_ok("mailto:a%2cb%21%3B@c.com");
	uri_ok("mailto:tlsrpt@example.com?subject=tls-report");
	uri_ok("https://tlsrpt.example.com/v1");
	uri_ok("https://tlsrpt.example.com:8443/v1/report?a=b&c=d");
	uri_ok("https://tlsrpt.example.com");

	uri_bad(NULL, "URI is empty");
	uri_bad("", "URI is empty");
	uri_bad("http://tlsrpt.example.com/v1",
		"TLS-RPT reports can't be sent to http: URIs; use https: "
		"(RFC 8460)");
	uri_bad("HTTP://tlsrpt.example.com/v1",
		"TLS-RPT reports can't be sent to http: URIs; use https: "
		"(RFC 8460)");
	uri_bad("MAILTO:tlsrpt@example.com",
		"write the URI scheme in lowercase (\"mailto:\" or \"https:\")");
	uri_bad("Https://tlsrpt.example.com",
		"write the URI scheme in lowercase (\"mailto:\" or \"https:\")");
	uri_bad("tlsrpt@example.com",
		"TLS-RPT URIs must start with \"mailto:\" or \"https:\"");
	uri_bad("ftp://example.com/",
		"TLS-RPT URIs must start with \"mailto:\" or \"https:\"");
	uri_bad(" mailto:a@b.com",
		"TLS-RPT URIs must start with \"mailto:\" or \"https:\"");
	uri_bad("mailto:", "mailto: URI has no '@', as in "
		"\"mailto:tlsrpt@example.com\"");
	uri_bad("mailto:tlsrpt.example.com", "mailto: URI has no '@', as in "
		"\"mailto:tlsrpt@example.com\"");
	uri_bad("https:", NO_HOST);
	uri_bad("https://", NO_HOST);
	uri_bad("https:///v1", NO_HOST);
	uri_bad("https:tlsrpt.example.com", NO_HOST);

	uri_bad("mailto:a@b.com,x",
		"',' in a URI must be percent-encoded as %2C "
		"(',' separates the URIs of a rua list)");
	uri_bad("mailto:a@b.com,mailto:c@d.com",
		"',' in a URI must be percent-encoded as %2C "
		"(',' separates the URIs of a rua list)");
	uri_bad("mailto:a!b@c.com",
		"'!' in a URI must be percent-encoded as %21 (RFC 8460)");
	uri_bad("mailto:a@b.com;",
		"';' in a URI must be percent-encoded as %3B "
		"(';' ends the rua field)");
	uri_bad("mailto:a @b.com",
		"URI contains a space; percent-encode it as %20");
	uri_bad("mailto:a@b.com ",
		"URI contains a space; percent-encode it as %20");
	uri_bad("mailto:a\t@b.com", BAD_CHAR);
	uri_bad("mailto:a\"b@c.com", BAD_CHAR);
	uri_bad("mailto:a\\b@c.com", BAD_CHAR);
	uri_bad("mailto:<a@b.com>", BAD_CHAR);
	uri_bad("mailto:\xc3\xbc@b.com", BAD_CHAR);
	uri_bad("https://r.example.com/\x7f", BAD_CHAR);
	uri_bad("mailto:a%2@c.com", BAD_PCT);
	uri_bad("mailto:a%zz@c.com", BAD_PCT);
	uri_bad("mailto:a@c.com%", BAD_PCT);
	uri_bad("mailto:a@c.com%2", BAD_PCT);
}

/* ---- output ---- */

/* A rendered policy. `id` NULL: derived. `rua` NULL-terminated, or NULL. */
static void make_policy(struct policy *p, const char *domain,
			enum policy_mode mode, uint32_t max_age,
			const char *const *mx, const char *const *rua,
			const char *id)
{
	size_t n = 0, i;

	memset(p, 0, sizeof(*p));
	p->domain = strdup(domain);
	p->mode = mode;
	p->max_age = max_age;
	for (i = 0; mx && mx[i]; i++)
		policy_add_mx(p, mx[i]);
	while (rua && rua[n])
		n++;
	if (n) {
		p->tls_rpt = calloc(n, sizeof(char *));
		for (i = 0; p->tls_rpt && i < n; i++)
			p->tls_rpt[i] = strdup(rua[i]);
		p->n_tls_rpt = p->tls_rpt ? n : 0;
	}
	if (id) {
		p->id_explicit = true;
		snprintf(p->id, sizeof(p->id), "%s", id);
	}
	policy_render(p);
}

/* The output as a string (caller frees), or NULL with *rc set. */
static char *capture(enum dnsrec_format format,
		     const struct policy *const *ps, size_t n,
		     const struct dnsrec_opts *opts, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		*rc = -2;
		return NULL;
	}
	*rc = dnsrec_write(f, format, ps, n, opts);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void check_output(enum dnsrec_format format,
			 const struct policy *const *ps, size_t n,
			 const struct dnsrec_opts *opts, const char *want,
			 const char *name)
{
	int rc = -3;
	char *got = capture(format, ps, n, opts, &rc);

	is_int(rc, 0, "%s: dnsrec_write returns 0", name);
	is_str(got, want, "%s: output byte for byte", name);
	free(got);
}

static const char *const canonical_mx[] = {
	"mx1.example.com", "*.mail.example.net", NULL
};
static const char *const canonical_rua[] = {
	"mailto:tlsrpt@example.com", NULL
};

#define PUBLISH(d) \
	"; Publish this TXT only after the new policy is served by every stsd instance\n" \
	"; (and after any proxy cache has expired). It must be the only TXT record at\n" \
	"; _mta-sts." d ".\n"

static const char zone_canonical[] =
	"; stsd: DNS records for example.com (mode enforce, id " CANONICAL_ID ")\n"
	PUBLISH("example.com")
	"_mta-sts.example.com. 3600 IN TXT \"v=STSv1; id=" CANONICAL_ID "\"\n"
	"_smtp._tls.example.com. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@example.com\"\n"
	"mta-sts.example.com. 3600 IN CNAME policy.example.net.\n";

static const char json_canonical[] =
	"{\n"
	"  \"ttl\": 3600,\n"
	"  \"domains\": [\n"
	"    {\n"
	"      \"domain\": \"example.com\",\n"
	"      \"mode\": \"enforce\",\n"
	"      \"max_age\": 604800,\n"
	"      \"mx\": [\n"
	"        \"mx1.example.com\",\n"
	"        \"*.mail.example.net\"\n"
	"      ],\n"
	"      \"id\": \"" CANONICAL_ID "\",\n"
	"      \"id_explicit\": false,\n"
	"      \"policy_host\": \"mta-sts.example.com\",\n"
	"      \"policy_url\": \"https://mta-sts.example.com/.well-known/mta-sts.txt\",\n"
	"      \"policy\": \"version: STSv1\\r\\nmode: enforce\\r\\nmx: mx1.example.com\\r\\nmx: *.mail.example.net\\r\\nmax_age: 604800\\r\\n\",\n"
	"      \"records\": [\n"
	"        {\n"
	"          \"name\": \"_mta-sts.example.com.\",\n"
	"          \"type\": \"TXT\",\n"
	"          \"ttl\": 3600,\n"
	"          \"value\": \"v=STSv1; id=" CANONICAL_ID "\"\n"
	"        },\n"
	"        {\n"
	"          \"name\": \"_smtp._tls.example.com.\",\n"
	"          \"type\": \"TXT\",\n"
	"          \"ttl\": 3600,\n"
	"          \"value\": \"v=TLSRPTv1; rua=mailto:tlsrpt@example.com\"\n"
	"        },\n"
	"        {\n"
	"          \"name\": \"mta-sts.example.com.\",\n"
	"          \"type\": \"CNAME\",\n"
	"          \"ttl\": 3600,\n"
	"          \"value\": \"policy.example.net.\"\n"
	"        }\n"
	"      ]\n"
	"    }\n"
	"  ]\n"
	"}\n";

static void test_canonical(void)
{
	struct policy p;
	const struct policy *ps[1] = { &p };
	struct dnsrec_opts opts = { 3600, "policy.example.net", NULL, 0 };

	make_policy(&p, "example.com", POLICY_MODE_ENFORCE, 604800,
		    canonical_mx, canonical_rua, NULL);
	is_str(p.id, CANONICAL_ID, "fixture has the canonical id");

	check_output(DNSREC_ZONE, ps, 1, &opts, zone_canonical, "zone");
	check_output(DNSREC_JSON, ps, 1, &opts, json_canonical, "json");

	/* A CNAME target given with its dot gets no second one. */
	opts.host_cname = "policy.example.net.";
	check_output(DNSREC_ZONE, ps, 1, &opts, zone_canonical,
		     "zone, cname with trailing dot");
	check_output(DNSREC_JSON, ps, 1, &opts, json_canonical,
		     "json, cname with trailing dot");
	policy_clear(&p);
}

static const char zone_two[] =
	"; stsd: DNS records for example.com (mode testing, id abc123)\n"
	PUBLISH("example.com")
	"_mta-sts.example.com. 300 IN TXT \"v=STSv1; id=abc123\"\n"
	"; mta-sts.example.com. must resolve (CNAME, A or AAAA) to the host running stsd.\n"
	"\n"
	"; stsd: DNS records for example.org (mode none, id 20240101)\n"
	PUBLISH("example.org")
	"; Mode none starts the removal of the policy (RFC 8461 section 8.3): keep\n"
	"; serving it, with this new id, for at least the longest max_age published\n"
	"; before it; only then remove these records and stop serving the policy.\n"
	"_mta-sts.example.org. 300 IN TXT \"v=STSv1; id=20240101\"\n"
	"_smtp._tls.example.org. 300 IN TXT \"v=TLSRPTv1; rua=mailto:a@example.org,https://r.example.net/v1\"\n"
	"; mta-sts.example.org. must resolve (CNAME, A or AAAA) to the host running stsd.\n";

static const char json_two[] =
	"{\n"
	"  \"ttl\": 300,\n"
	"  \"domains\": [\n"
	"    {\n"
	"      \"domain\": \"example.com\",\n"
	"      \"mode\": \"testing\",\n"
	"      \"max_age\": 86400,\n"
	"      \"mx\": [\n"
	"        \"mx.example.com\"\n"
	"      ],\n"
	"      \"id\": \"abc123\",\n"
	"      \"id_explicit\": true,\n"
	"      \"policy_host\": \"mta-sts.example.com\",\n"
	"      \"policy_url\": \"https://mta-sts.example.com/.well-known/mta-sts.txt\",\n"
	"      \"policy\": \"version: STSv1\\r\\nmode: testing\\r\\nmx: mx.example.com\\r\\nmax_age: 86400\\r\\n\",\n"
	"      \"records\": [\n"
	"        {\n"
	"          \"name\": \"_mta-sts.example.com.\",\n"
	"          \"type\": \"TXT\",\n"
	"          \"ttl\": 300,\n"
	"          \"value\": \"v=STSv1; id=abc123\"\n"
	"        },\n"
	"        {\n"
	"          \"name\": \"mta-sts.example.com.\",\n"
	"          \"type\": \"A\",\n"
	"          \"ttl\": 300,\n"
	"          \"value\": \"192.0.2.10\"\n"
	"        },\n"
	"        {\n"
	"          \"name\": \"mta-sts.example.com.\",\n"
	"          \"type\": \"AAAA\",\n"
	"          \"ttl\": 300,\n"
	"          \"value\": \"2001:db8::10\"\n"
	"        }\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"domain\": \"example.org\",\n"
	"      \"mode\": \"none\",\n"
	"      \"max_age\": 86400,\n"
	"      \"mx\": [],\n"
	"      \"id\": \"20240101\",\n"
	"      \"id_explicit\": true,\n"
	"      \"policy_host\": \"mta-sts.example.org\",\n"
	"      \"policy_url\": \"https://mta-sts.example.org/.well-known/mta-sts.txt\",\n"
	"      \"policy\": \"version: STSv1\\r\\nmode: none\\r\\nmax_age: 86400\\r\\n\",\n"
	"      \"records\": [\n"
	"        {\n"
	"          \"name\": \"_mta-sts.example.org.\",\n"
	"          \"type\": \"TXT\",\n"
	"          \"ttl\": 300,\n"
	"          \"value\": \"v=STSv1; id=20240101\"\n"
	"        },\n"
	"        {\n"
	"          \"name\": \"_smtp._tls.example.org.\",\n"
	"          \"type\": \"TXT\",\n"
	"          \"ttl\": 300,\n"
	"          \"value\": \"v=TLSRPTv1; rua=mailto:a@example.org,https://r.example.net/v1\"\n"
	"        },\n"
	"        {\n"
	"          \"name\": \"mta-sts.example.org.\",\n"
	"          \"type\": \"A\",\n"
	"          \"ttl\": 300,\n"
	"          \"value\": \"192.0.2.10\"\n"
	"        },\n"
	"        {\n"
	"          \"name\": \"mta-sts.example.org.\",\n"
	"          \"type\": \"AAAA\",\n"
	"          \"ttl\": 300,\n"
	"          \"value\": \"2001:db8::10\"\n"
	"        }\n"
	"      ]\n"
	"    }\n"
	"  ]\n"
	"}\n";

static const char zone_addrs[] =
	"; stsd: DNS records for example.com (mode testing, id abc123)\n"
	PUBLISH("example.com")
	"_mta-sts.example.com. 300 IN TXT \"v=STSv1; id=abc123\"\n"
	"mta-sts.example.com. 300 IN A 192.0.2.10\n"
	"mta-sts.example.com. 300 IN AAAA 2001:db8::10\n";

static void test_two_domains(void)
{
	static const char *const mx[] = { "mx.example.com", NULL };
	static const char *const rua[] = {
		"mailto:a@example.org", "https://r.example.net/v1", NULL
	};
	char *addrs[] = { (char *)"192.0.2.10", (char *)"2001:db8::10" };
	struct policy a, b;
	const struct policy *ps[2] = { &a, &b };
	struct dnsrec_opts opts = { 300, NULL, NULL, 0 };

	make_policy(&a, "example.com", POLICY_MODE_TESTING, 86400, mx, NULL,
		    "abc123");
	make_policy(&b, "example.org", POLICY_MODE_NONE, 86400, NULL, rua,
		    "20240101");

	check_output(DNSREC_ZONE, ps, 2, &opts, zone_two,
		     "zone, two domains, no host records");

	opts.host_addrs = addrs;
	opts.n_host_addrs = 2;
	check_output(DNSREC_ZONE, ps, 1, &opts, zone_addrs, "zone, A and AAAA");
	check_output(DNSREC_JSON, ps, 2, &opts, json_two,
		     "json, two domains, A and AAAA");

	/* A CNAME excludes other records at that name: it wins. */
	opts.host_cname = "policy.example.net";
	{
		int rc;
		char *got = capture(DNSREC_ZONE, ps, 1, &opts, &rc);

		ok(got && strstr(got, "IN CNAME policy.example.net.\n") &&
		   !strstr(got, " IN A ") && !strstr(got, " IN AAAA "),
		   "cname and addresses: only the CNAME is printed");
		free(got);
	}

	policy_clear(&a);
	policy_clear(&b);
}

static void test_empty(void)
{
	check_output(DNSREC_JSON, NULL, 0, NULL,
		     "{\n  \"ttl\": 3600,\n  \"domains\": []\n}\n",
		     "json, no domains, default opts");
	check_output(DNSREC_ZONE, NULL, 0, NULL, "", "zone, no domains");
}

/* The rua TXT value is "v=TLSRPTv1; rua=" (16 bytes) + one URI of
 * `uri_len` bytes. */
static void check_split(size_t uri_len)
{
	static const char *const mx[] = { "mx.example.com", NULL };
	const char *rua[2] = { NULL, NULL };
	char *uri = malloc(uri_len + 1), *value = malloc(uri_len + 17);
	char *want = malloc(uri_len + 64);
	const char *line;
	struct policy p;
	const struct policy *ps[1] = { &p };
	size_t value_len = uri_len + 16;
	int rc;
	char *got;

	if (!uri || !value || !want) {
		ok(0, "malloc");
		goto out;
	}
	memcpy(uri, "mailto:", 7);
	memset(uri + 7, 'a', uri_len - 7 - 12);
	memcpy(uri + uri_len - 12, "@example.com", 13);
	rua[0] = uri;
	ok(dnsrec_tlsrpt_uri_check(uri) == NULL, "long URI is valid");
	snprintf(value, uri_len + 17, "v=TLSRPTv1; rua=%s", uri);
	ok(strlen(value) == value_len, "TXT value has %zu bytes", value_len);

	/* Expected: 255 bytes per character-string. */
	if (value_len <= 255)
		snprintf(want, uri_len + 64, "\"%s\"\n", value);
	else
		snprintf(want, uri_len + 64, "\"%.255s\" \"%s\"\n", value,
			 value + 255);

	make_policy(&p, "example.com", POLICY_MODE_ENFORCE, 604800, mx, rua,
		    "1");
	got = capture(DNSREC_ZONE, ps, 1, NULL, &rc);
	line = got ? strstr(got, "_smtp._tls.example.com. 3600 IN TXT ") : NULL;
	if (line) {
		char *nl;

		line += strlen("_smtp._tls.example.com. 3600 IN TXT ");
		nl = strchr(line, '\n');
		if (nl)
			nl[1] = '\0';  /* compare this line only */
	}
	is_str(line, want, "TXT value of %zu bytes: %s", value_len,
	       value_len <= 255 ? "one string" : "split after 255 bytes");
	free(got);
	policy_clear(&p);
out:
	free(uri);
	free(value);
	free(want);
}

static void test_split(void)
{
	check_split(239);       /* 255: one string */
	check_split(240);       /* 256: 255 + 1 */
	check_split(494);       /* 510: 255 + 255 */
	{
		/* 511 bytes: three strings, checked by hand. */
		static const char *const mx[] = { "mx.example.com", NULL };
		char uri[496];
		const char *rua[2] = { uri, NULL };
		struct policy p;
		const struct policy *ps[1] = { &p };
		char *got;
		int rc;
		size_t quotes = 0;
		const char *s, *line;

		memcpy(uri, "mailto:", 7);
		memset(uri + 7, 'b', 495 - 7 - 12);
		memcpy(uri + 495 - 12, "@example.com", 13);
		make_policy(&p, "example.com", POLICY_MODE_ENFORCE, 604800,
			    mx, rua, "1");
		got = capture(DNSREC_ZONE, ps, 1, NULL, &rc);
		line = got ? strstr(got, "_smtp._tls") : NULL;
		for (s = line; s && *s && *s != '\n'; s++)
			quotes += *s == '"';
		is_int(quotes, 6, "511-byte value: three character-strings");
		ok(line && strstr(line, "\"v=TLSRPTv1; rua=mailto:bbb") &&
		   strstr(line, "bb\" \"bb") &&
		   strstr(line, "@example.co\" \"m\"\n"),
		   "511 bytes: 255 + 255 + 1");
		free(got);
		policy_clear(&p);
	}
}

static void test_escaping(void)
{
	static const char *const rua[] = { "mailto:a\"b\\c\x01\x7f@x.com", NULL };
	struct policy p;
	const struct policy *ps[1] = { &p };
	int rc;
	char *zone, *json;

	make_policy(&p, "example.com", POLICY_MODE_NONE, 86400, NULL, rua,
		    "1");
	zone = capture(DNSREC_ZONE, ps, 1, NULL, &rc);
	json = capture(DNSREC_JSON, ps, 1, NULL, &rc);
	ok(zone && strstr(zone, "IN TXT \"v=TLSRPTv1; rua=mailto:a\\\"b\\\\c"
			  "\\001\\127@x.com\"\n"),
	   "zone: '\"', '\\\\' and control bytes escaped");
	ok(json && strstr(json, "\"value\": \"v=TLSRPTv1; rua=mailto:a\\\"b"
			  "\\\\c\\u0001\\u007f@x.com\"\n"),
	   "json: '\"', '\\\\' and control bytes escaped");
	free(zone);
	free(json);
	policy_clear(&p);
}

static void test_stream_error(void)
{
	FILE *f = fopen("/dev/full", "w");
	struct policy p;
	const struct policy *ps[1] = { &p };

	if (!f) {
		ok(1, "# SKIP no /dev/full");
		return;
	}
	make_policy(&p, "example.com", POLICY_MODE_ENFORCE, 604800,
		    canonical_mx, NULL, NULL);
	is_int(dnsrec_write(f, DNSREC_ZONE, ps, 1, NULL), -1,
	       "a failing stream is reported (zone)");
	clearerr(f);
	is_int(dnsrec_write(f, DNSREC_JSON, ps, 1, NULL), -1,
	       "a failing stream is reported (json)");
	fclose(f);
	policy_clear(&p);
}

int main(void)
{
	test_uri();
	test_canonical();
	test_two_domains();
	test_empty();
	test_split();
	test_escaping();
	test_stream_error();
	return tap_done();
}
