/*
 * fuzz_dnsrec: dnsrec_write() in both formats, and dnsrec_tlsrpt_uri_check().
 *
 * Input: lines ('\n'-separated). An optional first byte '!' selects raw
 * mode (below). Policies are separated by a line "--" (at most 8). The first
 * line of a policy is its domain; every further line is KEY VALUE, where
 * KEY is one character:
 *   m  an mx pattern     r  a tls_rpt URI    i  an explicit id
 *   a  max_age           o  the mode
 *   c  the host CNAME    h  a host address   t  the TTL (any uint32)
 *   n  (no value) call dnsrec_write() with opts == NULL
 * Values go through the checks of the configuration loader (name_normalize,
 * dnsrec_tlsrpt_uri_check, policy_id_check, policy_max_age_parse,
 * policy_mode_parse, inet_pton); refused ones are dropped, and a refused
 * domain becomes "example.com". In raw mode, mx patterns, tls_rpt URIs and
 * ids are used unchecked (only valid UTF-8, as every YAML scalar is, and
 * ids of at most 32 bytes), to exercise the escaping of TXT and JSON
 * strings with control characters, quotes and non-ASCII bytes.
 *
 * Invariants (trap on violation):
 *  - dnsrec_write returns 0;
 *  - JSON: the output is one valid JSON document (no raw control
 *    characters in strings, valid escapes, valid UTF-8); the decoded
 *    "domain", "mode", "id", "policy", "name", "type" and "value" members
 *    are exactly the ones expected;
 *  - zone: every line is a ';' comment, an empty line between policies, or
 *    "NAME TTL IN TYPE RDATA" with the expected name, TTL and type; every
 *    TXT character-string holds at most 255 bytes, has no raw control
 *    character, and the decoded TXT values are exactly the ones expected;
 *  - an accepted TLS-RPT URI has the "mailto:"/"https://" scheme and only
 *    URI characters, with ',', '!' and ';' absent and every '%' followed by
 *    two hex digits.
 */
#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>

#include "dnsrec.h"
#include "fuzz_common.h"
#include "name.h"
#include "policy.h"

#define MAX_POLICIES 8
#define MAX_ADDRS 8
#define MAX_EXPECT 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- TLS-RPT URIs -------------------------------------------------------- */

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static void check_uri(const char *uri)
{
	const char *err = dnsrec_tlsrpt_uri_check(uri);
	const char *rest;
	size_t i;

	if (err) {
		CHECK(err[0] != '\0');
		return;
	}
	if (strncmp(uri, "mailto:", 7) == 0) {
		rest = uri + 7;
		CHECK(strchr(rest, '@') != NULL);
	} else {
		CHECK(strncmp(uri, "https://", 8) == 0);
		rest = uri + 6;
		CHECK(rest[2] != '\0' && rest[2] != '/');
	}
	for (i = 0; rest[i]; i++) {
		char c = rest[i];

		CHECK(c > 0x20 && c < 0x7f);
		CHECK(!strchr(",!;\"<>\\^`{|} ", c));
		if (c == '%')
			CHECK(is_hex(rest[i + 1]) && is_hex(rest[i + 2]));
	}
}

/* ---- building the policies ----------------------------------------------- */

struct input {
	bool raw;
	struct policy pol[MAX_POLICIES];
	size_t n;
	struct dnsrec_opts opts;
	bool no_opts;
	char *cname;
	char *addrs[MAX_ADDRS];
};

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

static void add_tls_rpt(struct policy *p, const char *uri)
{
	char **v = realloc(p->tls_rpt, (p->n_tls_rpt + 1) * sizeof(*v));

	if (!v)
		abort();
	p->tls_rpt = v;
	v[p->n_tls_rpt++] = xstrdup(uri);
}

static void start_policy(struct input *in, const char *domain)
{
	struct policy *p = &in->pol[in->n++];
	char out[NAME_MAX_LEN + 1];

	p->mode = POLICY_MODE_ENFORCE;
	p->max_age = 604800;
	if (name_normalize(domain, out, 0) != NULL)
		strcpy(out, "example.com");
	p->domain = xstrdup(out);
}

static void policy_line(struct input *in, struct policy *p, const char *line)
{
	char out[NAME_MAX_LEN + 1];
	const char *v = line[0] ? line + 1 : line;
	unsigned char buf[sizeof(struct in6_addr)];
	bool raw = in->raw && fuzz_utf8_valid(v);

	switch (line[0]) {
	case 'm':
		if (raw) {
			if (policy_add_mx(p, v) < 0)
				abort();
		} else if (!name_normalize(v, out, NAME_ALLOW_WILDCARD)) {
			if (policy_add_mx(p, out) < 0)
				abort();
		}
		break;
	case 'r':
		check_uri(v);
		if (raw || !dnsrec_tlsrpt_uri_check(v))
			add_tls_rpt(p, v);
		break;
	case 'i':
		if ((raw && strlen(v) <= POLICY_ID_MAX) ||
		    !policy_id_check(v)) {
			memcpy(p->id, v, strlen(v) + 1);
			p->id_explicit = true;
		}
		break;
	case 'a':
		policy_max_age_parse(v, &p->max_age);
		break;
	case 'o':
		policy_mode_parse(v, &p->mode);
		break;
	case 'c':
		if (!name_normalize(v, out, 0)) {
			free(in->cname);
			in->cname = xstrdup(v);
		}
		break;
	case 'h':
		if (in->opts.n_host_addrs < MAX_ADDRS &&
		    (inet_pton(AF_INET, v, buf) == 1 ||
		     inet_pton(AF_INET6, v, buf) == 1))
			in->addrs[in->opts.n_host_addrs++] = xstrdup(v);
		break;
	case 't':
		in->opts.ttl = (uint32_t)strtoul(v, NULL, 10);
		break;
	case 'n':
		in->no_opts = true;
		break;
	default:
		break;
	}
}

static void build(struct input *in, const uint8_t *data, size_t size)
{
	struct fuzz_lines l;
	size_t i;
	bool new_policy = true;

	memset(in, 0, sizeof(*in));
	in->opts.ttl = 3600;
	if (size && data[0] == '!') {
		in->raw = true;
		data++;
		size--;
	}
	fuzz_lines_split(&l, data, size);
	for (i = 0; i < l.n; i++) {
		check_uri(l.line[i]);
		if (strcmp(l.line[i], "--") == 0) {
			new_policy = true;
			continue;
		}
		if (new_policy) {
			if (in->n == MAX_POLICIES)
				break;
			start_policy(in, l.line[i]);
			new_policy = false;
			continue;
		}
		policy_line(in, &in->pol[in->n - 1], l.line[i]);
	}
	fuzz_lines_free(&l);

	for (i = 0; i < in->n; i++)
		if (policy_render(&in->pol[i]) != 0)
			abort();
	in->opts.host_cname = in->cname;
	in->opts.host_addrs = in->addrs;
}

static void input_free(struct input *in)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		policy_clear(&in->pol[i]);
	for (i = 0; i < in->opts.n_host_addrs; i++)
		free(in->addrs[i]);
	free(in->cname);
}

/* ---- the records expected ------------------------------------------------ */

struct record {
	char *name;
	const char *type;
	char *value;
};

struct records {
	struct record r[MAX_EXPECT];
	size_t n;
};

static char *joined(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = fuzz_xmalloc(la + lb + lc + 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

static void expect(struct records *rs, const char *prefix,
		   const struct policy *p, const char *type, char *value)
{
	struct record *r = &rs->r[rs->n++];

	r->name = joined(prefix, p->domain, ".");
	r->type = type;
	r->value = value;
}

static char *rua_value(const struct policy *p)
{
	size_t len = strlen("v=TLSRPTv1; rua=") + 1, i;
	char *s;

	for (i = 0; i < p->n_tls_rpt; i++)
		len += strlen(p->tls_rpt[i]) + 1;
	s = fuzz_xmalloc(len);
	strcpy(s, "v=TLSRPTv1; rua=");
	for (i = 0; i < p->n_tls_rpt; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, p->tls_rpt[i]);
	}
	return s;
}

static void expected_records(const struct input *in, const struct policy *p,
			     struct records *rs)
{
	const struct dnsrec_opts *o = in->no_opts ? NULL : &in->opts;
	size_t i;

	expect(rs, "_mta-sts.", p, "TXT", joined("v=STSv1; id=", p->id, ""));
	if (p->n_tls_rpt)
		expect(rs, "_smtp._tls.", p, "TXT", rua_value(p));
	if (o && o->host_cname) {
		size_t len = strlen(o->host_cname);

		expect(rs, "mta-sts.", p, "CNAME",
		       joined(o->host_cname,
			      o->host_cname[len - 1] == '.' ? "" : ".", ""));
	} else if (o) {
		for (i = 0; i < o->n_host_addrs; i++)
			expect(rs, "mta-sts.", p,
			       strchr(o->host_addrs[i], ':') ? "AAAA" : "A",
			       joined(o->host_addrs[i], "", ""));
	}
}

static void records_free(struct records *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		free(rs->r[i].name);
		free(rs->r[i].value);
	}
	rs->n = 0;
}

/* ---- JSON ---------------------------------------------------------------- */

struct json_expect {
	const struct input *in;
	struct records rs;
	size_t n_domain, n_mode, n_id, n_policy, n_name, n_type, n_value;
};

static void json_member(void *ctx, const char *key, const char *value,
			size_t len)
{
	struct json_expect *e = ctx;
	const struct policy *p;

	if (strcmp(key, "domain") == 0) {
		CHECK(e->n_domain < e->in->n);
		p = &e->in->pol[e->n_domain++];
		CHECK(strlen(p->domain) == len && memcmp(p->domain, value, len) == 0);
	} else if (strcmp(key, "mode") == 0) {
		CHECK(e->n_mode < e->in->n);
		p = &e->in->pol[e->n_mode++];
		CHECK(strcmp(policy_mode_name(p->mode), value) == 0);
	} else if (strcmp(key, "id") == 0) {
		CHECK(e->n_id < e->in->n);
		p = &e->in->pol[e->n_id++];
		CHECK(strlen(p->id) == len && memcmp(p->id, value, len) == 0);
	} else if (strcmp(key, "policy") == 0) {
		CHECK(e->n_policy < e->in->n);
		p = &e->in->pol[e->n_policy++];
		CHECK(p->body_len == len && memcmp(p->body, value, len) == 0);
	} else if (strcmp(key, "name") == 0) {
		CHECK(e->n_name < e->rs.n);
		CHECK(strcmp(e->rs.r[e->n_name++].name, value) == 0);
	} else if (strcmp(key, "type") == 0) {
		CHECK(e->n_type < e->rs.n);
		CHECK(strcmp(e->rs.r[e->n_type++].type, value) == 0);
	} else if (strcmp(key, "value") == 0) {
		const char *want;

		CHECK(e->n_value < e->rs.n);
		want = e->rs.r[e->n_value++].value;
		CHECK(strlen(want) == len && memcmp(want, value, len) == 0);
	}
}

static void check_json(const struct input *in, const char *s, size_t len)
{
	struct json_expect e;
	size_t i;

	memset(&e, 0, sizeof(e));
	e.in = in;
	for (i = 0; i < in->n; i++)
		expected_records(in, &in->pol[i], &e.rs);
	CHECK(fuzz_json_check(s, len, json_member, &e));
	CHECK(e.n_domain == in->n && e.n_mode == in->n && e.n_id == in->n &&
	      e.n_policy == in->n);
	CHECK(e.n_name == e.rs.n && e.n_type == e.rs.n && e.n_value == e.rs.n);
	records_free(&e.rs);
}

/* ---- zone ---------------------------------------------------------------- */

/* Decodes the TXT RDATA `s` (quoted character-strings separated by one
 * space) into `out`; checks each string's length and escapes. */
static void decode_txt(const char *s, char *out, size_t *out_len)
{
	size_t o = 0;

	for (;;) {
		size_t in_string = 0;

		CHECK(*s == '"');
		s++;
		while (*s != '"') {
			unsigned char c = (unsigned char)*s;

			CHECK(c >= 0x20 && c < 0x7f);
			if (c == '\\') {
				if (s[1] >= '0' && s[1] <= '9') {
					unsigned v;

					CHECK(s[2] >= '0' && s[2] <= '9' &&
					      s[3] >= '0' && s[3] <= '9');
					v = (unsigned)(s[1] - '0') * 100 +
					    (unsigned)(s[2] - '0') * 10 +
					    (unsigned)(s[3] - '0');
					CHECK(v <= 255);
					out[o++] = (char)v;
					s += 4;
				} else {
					CHECK(s[1] != '\0');
					out[o++] = s[1];
					s += 2;
				}
			} else {
				out[o++] = (char)c;
				s++;
			}
			in_string++;
		}
		CHECK(in_string <= 255);
		s++;
		if (*s == '\0')
			break;
		CHECK(s[0] == ' ' && s[1] == '"');
		s++;
	}
	*out_len = o;
}

/* Checks one record line against the next expected record. */
static void check_record_line(const char *line, const struct record *r,
			      uint32_t ttl)
{
	char head[NAME_MAX_LEN + 64];
	size_t n;

	n = (size_t)snprintf(head, sizeof(head), "%s %" PRIu32 " IN %s ",
			     r->name, ttl, r->type);
	CHECK(n < sizeof(head));
	CHECK(strncmp(line, head, n) == 0);
	line += n;
	if (strcmp(r->type, "TXT") == 0) {
		char *value = fuzz_xmalloc(strlen(line) + 1);
		size_t len;

		decode_txt(line, value, &len);
		CHECK(strlen(r->value) == len &&
		      memcmp(r->value, value, len) == 0);
		free(value);
	} else {
		CHECK(strcmp(line, r->value) == 0);
	}
}

static void check_zone(const struct input *in, char *s, size_t len)
{
	uint32_t ttl = in->no_opts ? 3600 : in->opts.ttl;
	struct records rs;
	char *line = s, *nl;
	size_t i, k;

	CHECK(strlen(s) == len);
	CHECK(len == 0 || s[len - 1] == '\n');
	for (i = 0; i < in->n; i++) {
		rs.n = 0;
		expected_records(in, &in->pol[i], &rs);
		if (i) {
			CHECK(*line == '\n');
			line++;
		}
		/* Comments first, then the records in order. A host without
		 * CNAME or address gets a comment instead of a record. */
		k = 0;
		while (*line) {
			nl = strchr(line, '\n');
			CHECK(nl != NULL);
			*nl = '\0';
			if (line[0] == ';') {
				CHECK(k == 0 || k == rs.n);
			} else if (line[0] == '\0') {
				*nl = '\n';
				break;
			} else {
				CHECK(k < rs.n);
				check_record_line(line, &rs.r[k++], ttl);
			}
			line = nl + 1;
		}
		CHECK(k == rs.n);
		records_free(&rs);
	}
	CHECK(*line == '\0');
}

/* ---- entry point --------------------------------------------------------- */

static void write_and_check(const struct input *in, enum dnsrec_format fmt)
{
	const struct policy *ptrs[MAX_POLICIES];
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	for (i = 0; i < in->n; i++)
		ptrs[i] = &in->pol[i];
	CHECK(dnsrec_write(f, fmt, ptrs, in->n,
			   in->no_opts ? NULL : &in->opts) == 0);
	if (fclose(f) != 0)
		abort();
	if (fmt == DNSREC_JSON)
		check_json(in, buf, len);
	else
		check_zone(in, buf, len);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;
	char *whole = fuzz_xmalloc(size + 1);

	memcpy(whole, data, size);
	whole[size] = '\0';
	check_uri(whole);
	free(whole);

	build(&in, data, size);
	write_and_check(&in, DNSREC_JSON);
	write_and_check(&in, DNSREC_ZONE);
	input_free(&in);
	return 0;
}
