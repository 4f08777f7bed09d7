/*
 * dnsrec: the DNS records an operator publishes for each policy domain.
 *
 * Everything is streamed to the caller's FILE: nothing is allocated, so the
 * only failure is the stream's, checked once at the end. The output depends
 * on nothing but the arguments, so the same configuration always prints the
 * same bytes (tests compare them byte for byte).
 */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "dnsrec.h"
#include "escape.h"

#define DEFAULT_TTL 3600
#define TXT_STRING_MAX 255      /* RFC 1035 character-string */

/* ---- TLS-RPT URIs ------------------------------------------------------ */

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Characters RFC 3986 allows in a URI, '%' aside (checked by the caller). */
static bool is_uri_char(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-._~:/?#[]@!$&'()*+,;=", c) != NULL;
}

static const char *uri_char_msg(char c)
{
	switch (c) {
	case ' ':
		return "URI contains a space; percent-encode it as %20";
	case ',':
		return "',' in a URI must be percent-encoded as %2C "
		       "(',' separates the URIs of a rua list)";
	case '!':
		return "'!' in a URI must be percent-encoded as %21 (RFC 8460)";
	case ';':
		return "';' in a URI must be percent-encoded as %3B "
		       "(';' ends the rua field)";
	default:
		return "URI contains a character that is not allowed in a URI "
		       "(a control or non-ASCII byte, or one of \"<>\\^`{|}); "
		       "percent-encode it";
	}
}

const char *dnsrec_tlsrpt_uri_check(const char *uri)
{
	const char *rest;
	size_t i;

	if (!uri || !*uri)
		return "URI is empty";
	if (starts_with(uri, "mailto:")) {
		rest = uri + strlen("mailto:");
		if (!strchr(rest, '@'))
			return "mailto: URI has no '@', as in "
			       "\"mailto:tlsrpt@example.com\"";
	} else if (starts_with(uri, "https:")) {
		rest = uri + strlen("https:");
		if (!starts_with(rest, "//") || rest[2] == '\0' ||
		    rest[2] == '/')
			return "https: URI must name a host, as in "
			       "\"https://tlsrpt.example.com/v1\"";
	} else if (strncasecmp(uri, "mailto:", 7) == 0 ||
		   strncasecmp(uri, "https:", 6) == 0) {
		return "write the URI scheme in lowercase "
		       "(\"mailto:\" or \"https:\")";
	} else if (strncasecmp(uri, "http:", 5) == 0) {
		return "TLS-RPT reports can't be sent to http: URIs; "
		       "use https: (RFC 8460)";
	} else {
		return "TLS-RPT URIs must start with \"mailto:\" or \"https:\"";
	}

	for (i = 0; rest[i]; i++) {
		char c = rest[i];

		if (c == '%') {
			if (!is_hex(rest[i + 1]) || !is_hex(rest[i + 2]))
				return "'%' in a URI must be followed by "
				       "two hex digits";
			i += 2;
		} else if (c == ',' || c == '!' || c == ';' ||
			   !is_uri_char(c)) {
			return uri_char_msg(c);
		}
	}
	return NULL;
}

/* ---- zone file --------------------------------------------------------- */

/*
 * A TXT value streamed as quoted character-strings: a new string starts
 * every 255 bytes of value, and '"', '\' and non-printable bytes are
 * escaped (RFC 1035 section 5.1), so any value gives a valid record.
 */
struct txt_writer {
	FILE *out;
	size_t in_string;       /* value bytes in the current string */
};

static void txt_begin(struct txt_writer *w, FILE *out)
{
	w->out = out;
	w->in_string = 0;
	fputc('"', out);
}

static void txt_put(struct txt_writer *w, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (w->in_string == TXT_STRING_MAX) {
			fputs("\" \"", w->out);
			w->in_string = 0;
		}
		if (c == '"' || c == '\\')
			fprintf(w->out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(w->out, "\\%03u", c);
		else
			fputc(c, w->out);
		w->in_string++;
	}
}

static void txt_end(struct txt_writer *w)
{
	fputc('"', w->out);
}

static bool ends_with_dot(const char *s)
{
	size_t len = strlen(s);

	return len && s[len - 1] == '.';
}

static bool is_ipv6(const char *addr)
{
	return strchr(addr, ':') != NULL;
}

static void zone_comments(FILE *out, const struct policy *p)
{
	fprintf(out, "; stsd: DNS records for %s (mode %s, id %s)\n",
		p->domain, policy_mode_name(p->mode), p->id);
	fprintf(out,
		"; Publish this TXT only after the new policy is served by every stsd instance\n"
		"; (and after any proxy cache has expired). It must be the only TXT record at\n"
		"; _mta-sts.%s.\n", p->domain);
	if (p->mode == POLICY_MODE_NONE)
		fputs("; Mode none starts the removal of the policy (RFC 8461 section 8.3): keep\n"
		      "; serving it, with this new id, for at least the longest max_age published\n"
		      "; before it; only then remove these records and stop serving the policy.\n",
		      out);
}

static void zone_host(FILE *out, const struct policy *p, uint32_t ttl,
		      const struct dnsrec_opts *opts)
{
	size_t i;

	/* A CNAME can't share its name with other records: it wins. */
	if (opts && opts->host_cname) {
		fprintf(out, "mta-sts.%s. %" PRIu32 " IN CNAME %s%s\n",
			p->domain, ttl, opts->host_cname,
			ends_with_dot(opts->host_cname) ? "" : ".");
		return;
	}
	if (opts && opts->n_host_addrs) {
		for (i = 0; i < opts->n_host_addrs; i++)
			fprintf(out, "mta-sts.%s. %" PRIu32 " IN %s %s\n",
				p->domain, ttl,
				is_ipv6(opts->host_addrs[i]) ? "AAAA" : "A",
				opts->host_addrs[i]);
		return;
	}
	fprintf(out, "; mta-sts.%s. must resolve (CNAME, A or AAAA) to the "
		"host running stsd.\n", p->domain);
}

static void zone_sts(FILE *out, const struct policy *p, uint32_t ttl)
{
	struct txt_writer w;

	fprintf(out, "_mta-sts.%s. %" PRIu32 " IN TXT ", p->domain, ttl);
	txt_begin(&w, out);
	txt_put(&w, "v=STSv1; id=");
	txt_put(&w, p->id);
	txt_end(&w);
}

void dnsrec_sts_line(const struct policy *p, uint32_t ttl, char *buf,
                     size_t size)
{
	FILE *f = fmemopen(buf, size, "w");

	if (size == 0)
		return;
	buf[0] = '\0';
	if (f == NULL)
		return;
	setvbuf(f, NULL, _IONBF, 0);
	zone_sts(f, p, ttl);
	fclose(f);
	buf[size - 1] = '\0';
}

static void zone_domain(FILE *out, const struct policy *p, uint32_t ttl,
			const struct dnsrec_opts *opts)
{
	struct txt_writer w;
	size_t i;

	zone_comments(out, p);

	zone_sts(out, p, ttl);
	fputc('\n', out);

	if (p->n_tls_rpt) {
		fprintf(out, "_smtp._tls.%s. %" PRIu32 " IN TXT ",
			p->domain, ttl);
		txt_begin(&w, out);
		txt_put(&w, "v=TLSRPTv1; rua=");
		for (i = 0; i < p->n_tls_rpt; i++) {
			if (i)
				txt_put(&w, ",");
			txt_put(&w, p->tls_rpt[i]);
		}
		txt_end(&w);
		fputc('\n', out);
	}

	zone_host(out, p, ttl, opts);
}

/* ---- JSON -------------------------------------------------------------- */

/* "key": "value", with the indentation and separator of its object. */
static void json_member_str(FILE *out, const char *indent, const char *key,
			    const char *value, bool last)
{
	fprintf(out, "%s\"%s\": ", indent, key);
	escape_json_str(out, value);
	fputs(last ? "\n" : ",\n", out);
}

/*
 * One record object. Its name is prefix + domain + "." and its value is
 * value_prefix followed by the items joined with ','; "value" is the
 * logical TXT value, not split into 255-byte strings.
 */
struct json_rec {
	const char *prefix;
	const char *type;
	const char *value_prefix;
	char *const *items;
	size_t n_items;
	const char *value_suffix;
};

static void json_record(FILE *out, const struct policy *p, uint32_t ttl,
			const struct json_rec *r, bool last)
{
	const char *in = "          ";
	size_t i;

	fputs("        {\n", out);
	fprintf(out, "%s\"name\": \"", in);
	escape_json_chars(out, r->prefix, strlen(r->prefix));
	escape_json_chars(out, p->domain, strlen(p->domain));
	fputs(".\",\n", out);
	json_member_str(out, in, "type", r->type, false);
	fprintf(out, "%s\"ttl\": %" PRIu32 ",\n", in, ttl);
	fprintf(out, "%s\"value\": \"", in);
	escape_json_chars(out, r->value_prefix, strlen(r->value_prefix));
	for (i = 0; i < r->n_items; i++) {
		if (i)
			fputc(',', out);
		escape_json_chars(out, r->items[i], strlen(r->items[i]));
	}
	escape_json_chars(out, r->value_suffix, strlen(r->value_suffix));
	fputs("\"\n", out);
	fprintf(out, "        }%s\n", last ? "" : ",");
}

static void json_records(FILE *out, const struct policy *p, uint32_t ttl,
			 const struct dnsrec_opts *opts)
{
	struct json_rec recs[3];
	size_t n = 0, n_addrs = 0, i;
	bool cname = opts && opts->host_cname;

	if (!cname && opts)
		n_addrs = opts->n_host_addrs;

	recs[n++] = (struct json_rec){ "_mta-sts.", "TXT", "v=STSv1; id=",
				       NULL, 0, p->id };
	if (p->n_tls_rpt)
		recs[n++] = (struct json_rec){ "_smtp._tls.", "TXT",
					       "v=TLSRPTv1; rua=", p->tls_rpt,
					       p->n_tls_rpt, "" };
	if (cname)
		recs[n++] = (struct json_rec){
			"mta-sts.", "CNAME", opts->host_cname, NULL, 0,
			ends_with_dot(opts->host_cname) ? "" : "." };

	fputs("      \"records\": [\n", out);
	for (i = 0; i < n; i++)
		json_record(out, p, ttl, &recs[i], i + 1 == n && !n_addrs);
	for (i = 0; i < n_addrs; i++) {
		struct json_rec a = {
			"mta-sts.", is_ipv6(opts->host_addrs[i]) ? "AAAA" : "A",
			opts->host_addrs[i], NULL, 0, ""
		};

		json_record(out, p, ttl, &a, i + 1 == n_addrs);
	}
	fputs("      ]\n", out);
}

static void json_domain(FILE *out, const struct policy *p, uint32_t ttl,
			const struct dnsrec_opts *opts, bool last)
{
	const char *in = "      ";
	size_t i;

	fputs("    {\n", out);
	json_member_str(out, in, "domain", p->domain, false);
	json_member_str(out, in, "mode", policy_mode_name(p->mode), false);
	fprintf(out, "%s\"max_age\": %" PRIu32 ",\n", in, p->max_age);
	if (p->n_mx == 0) {
		fprintf(out, "%s\"mx\": [],\n", in);
	} else {
		fprintf(out, "%s\"mx\": [\n", in);
		for (i = 0; i < p->n_mx; i++) {
			fprintf(out, "%s  ", in);
			escape_json_str(out, p->mx[i]);
			fputs(i + 1 < p->n_mx ? ",\n" : "\n", out);
		}
		fprintf(out, "%s],\n", in);
	}
	json_member_str(out, in, "id", p->id, false);
	fprintf(out, "%s\"id_explicit\": %s,\n", in,
		p->id_explicit ? "true" : "false");
	fprintf(out, "%s\"policy_host\": \"mta-sts.", in);
	escape_json_chars(out, p->domain, strlen(p->domain));
	fputs("\",\n", out);
	fprintf(out, "%s\"policy_url\": \"https://mta-sts.", in);
	escape_json_chars(out, p->domain, strlen(p->domain));
	fputs("/.well-known/mta-sts.txt\",\n", out);
	fprintf(out, "%s\"policy\": \"", in);
	if (p->body)
		escape_json_chars(out, p->body, p->body_len);
	fputs("\",\n", out);
	json_records(out, p, ttl, opts);
	fprintf(out, "    }%s\n", last ? "" : ",");
}

/* ---- entry point ------------------------------------------------------- */

int dnsrec_write(FILE *out, enum dnsrec_format format,
		 const struct policy *const *policies, size_t n,
		 const struct dnsrec_opts *opts)
{
	uint32_t ttl = opts ? opts->ttl : DEFAULT_TTL;
	size_t i;

	if (format == DNSREC_JSON) {
		fprintf(out, "{\n  \"ttl\": %" PRIu32 ",\n", ttl);
		if (n == 0) {
			fputs("  \"domains\": []\n", out);
		} else {
			fputs("  \"domains\": [\n", out);
			for (i = 0; i < n; i++)
				json_domain(out, policies[i], ttl, opts,
					    i + 1 == n);
			fputs("  ]\n", out);
		}
		fputs("}\n", out);
	} else {
		for (i = 0; i < n; i++) {
			if (i)
				fputc('\n', out);
			zone_domain(out, policies[i], ttl, opts);
		}
	}
	if (fflush(out) != 0 || ferror(out))
		return -1;
	return 0;
}
