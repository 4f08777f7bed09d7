/*
 * sts_body: the fetched policy against the readings of real senders
 * (spec 3.13 tables B and C).
 *
 * One linear pass splits the body into lines and records, per line, what
 * a strict parser (mox, postfix-tlspol: the RFC 8461 ABNF) and a lax one
 * (mailauth: trimmed, case-insensitive keys, last value wins) make of it.
 * The field values are then judged once. Strict problems are counted and
 * the first few quoted, so a hostile 64 KiB body yields a bounded report.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "sts_body.h"
#include "utf8.h"

#define PROBLEMS_SHOWN 3        /* strict problems quoted in the message */
#define KEY_SHOWN 40            /* bytes of a remote key quoted */

enum field { F_VERSION, F_MODE, F_MAX_AGE, F_MX, F_OTHER };

static const char *const field_names[] = { "version", "mode", "max_age", "mx" };

/* A field value as found: [p, p+len) of the body. */
struct val {
	const char *p;
	size_t len;
	bool set;
	unsigned line;
};

struct scan {
	struct check_report *r;
	struct val strict[F_MX];     /* exact key, first wins (mox) */
	struct val lax[F_MX];        /* lowercased key, last wins (mailauth) */
	size_t n_problems;
	char problems[PROBLEMS_SHOWN][160];
	size_t n_lf, n_crlf;
	size_t n_case;               /* case-only mismatches reported */
	size_t n_unknown, n_dups;
	const char *mx_p[STS_MAX_MX * 4];
	size_t mx_len[STS_MAX_MX * 4];
	size_t n_mx, n_mx_over;
	size_t n_lax_mx;
};

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool eq_lit(const char *p, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(p, lit, len) == 0;
}

static bool eq_lit_nocase(const char *p, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(p, lit, len) == 0;
}

static enum field field_of(const char *k, size_t len, bool nocase)
{
	int f;

	for (f = F_VERSION; f <= F_MX; f++)
		if (nocase ? eq_lit_nocase(k, len, field_names[f])
			   : eq_lit(k, len, field_names[f]))
			return (enum field)f;
	return F_OTHER;
}

__attribute__((format(printf, 3, 4)))
static void problem(struct scan *s, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->n_problems < PROBLEMS_SHOWN) {
		char *b = s->problems[s->n_problems];

		n = snprintf(b, sizeof(s->problems[0]), "line %u: ", line);
		va_start(ap, fmt);
		vsnprintf(b + n, sizeof(s->problems[0]) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	s->n_problems++;
}

static void trim(const char **p, size_t *len)
{
	while (*len && (is_wsp(**p) || **p == '\r')) {
		(*p)++;
		(*len)--;
	}
	while (*len && (is_wsp((*p)[*len - 1]) || (*p)[*len - 1] == '\r'))
		(*len)--;
}

/* The strict reading of one line [p, p+len) without its terminator. */
static void strict_line(struct scan *s, unsigned line, const char *p,
                        size_t len)
{
	size_t k = 0, v;
	enum field f;
	const char *cr = memchr(p, '\r', len);

	if (cr) {
		problem(s, line, "a carriage return without a line feed");
		return;
	}
	if (len == 0) {
		problem(s, line, "an empty line (mox, postfix-tlspol and maddy "
			"refuse the policy)");
		return;
	}
	if (is_wsp(p[0])) {
		problem(s, line, "starts with a space (postfix-mta-sts-resolver "
			"then does not see the field)");
		return;
	}
	while (k < len && p[k] != ':')
		k++;
	if (k == len) {
		problem(s, line, "no ':' (every line is \"name: value\")");
		return;
	}
	if (k == 0 || k > 32 || !is_alnum(p[0])) {
		problem(s, line, "a field name must be 1 to 32 letters, digits, "
			"'_', '-' or '.'");
		return;
	}
	for (v = 0; v < k; v++) {
		if (!is_alnum(p[v]) && p[v] != '_' && p[v] != '-' && p[v] != '.') {
			problem(s, line, "%s in the field name",
				is_wsp(p[v]) ? "a space before ':'"
					     : "a character other than letters, "
					       "digits, '_', '-' or '.'");
			return;
		}
	}
	f = field_of(p, k, false);
	for (v = k + 1; v < len && is_wsp(p[v]); v++)
		;
	{
		const char *vp = p + v;
		size_t vl = len - v, i;

		while (vl && is_wsp(vp[vl - 1]))
			vl--;
		if (vl == 0) {
			problem(s, line, "the field \"%.*s\" has no value",
				(int)(k > KEY_SHOWN ? KEY_SHOWN : k), p);
			return;
		}
		for (i = 0; i < vl; i++) {
			unsigned char c = (unsigned char)vp[i];

			if (c < 0x20 || c == 0x7f) {
				problem(s, line, "a control character in the value");
				return;
			}
			if (c >= 0x80 && f != F_OTHER) {
				problem(s, line, "a non-ASCII character in the %s "
					"value", field_names[f]);
				return;
			}
		}
		if (f == F_OTHER)
			return;
		if (f == F_MX) {
			if (s->n_mx < sizeof(s->mx_p) / sizeof(s->mx_p[0])) {
				s->mx_p[s->n_mx] = vp;
				s->mx_len[s->n_mx] = vl;
				s->n_mx++;
			} else {
				s->n_mx_over++;
			}
		} else if (!s->strict[f].set) {
			s->strict[f] = (struct val){ vp, vl, true, line };
		}
	}
}

/* The lax reading of one line: mailauth's. Also reports field name case,
 * unknown fields and duplicates (which both readings see). */
static void lax_line(struct scan *s, unsigned line, const char *p, size_t len)
{
	const char *colon = memchr(p, ':', len), *k = p, *vp;
	size_t kl, vl;
	enum field f;

	if (!colon)
		return;
	kl = (size_t)(colon - p);
	trim(&k, &kl);
	vp = colon + 1;
	vl = (size_t)(p + len - vp);
	trim(&vp, &vl);
	f = field_of(k, kl, true);
	if (f == F_OTHER) {
		bool typo = kl <= 8 && (memmem(k, kl, "mx", 2) ||
					memmem(k, kl, "MX", 2));

		s->n_unknown++;
		if (s->n_unknown <= PROBLEMS_SHOWN || typo)
			check_add(s->r, "policy.unknown_fields",
				  typo ? CHECK_ERROR : CHECK_WARNING,
				  typo ? "write the field name as \"mx\"" : NULL,
				  typo ? "line %u: unknown field \"%.*s\" looks like "
					 "a misspelt mx: senders ignore it"
				       : "line %u: unknown field \"%.*s\" (senders "
					 "ignore it)",
				  line, (int)(kl > KEY_SHOWN ? KEY_SHOWN : kl), k);
		return;
	}
	if (!eq_lit(k, kl, field_names[f]) && s->n_case++ < PROBLEMS_SHOWN) {
		char fix[64];

		snprintf(fix, sizeof(fix), "write \"%s:\" in lower case",
			 field_names[f]);
		check_add(s->r, "policy.field_case", CHECK_ERROR, fix,
			  "line %u: the field name \"%.*s\" is not lower case: "
			  "postfix-mta-sts-resolver and mailauth 7 do not "
			  "find it", line, (int)kl, k);
	}
	if (f == F_MX) {
		s->n_lax_mx++;
		return;
	}
	if (s->lax[f].set && s->n_dups++ < PROBLEMS_SHOWN) {
		bool same = s->lax[f].len == vl &&
			    memcmp(s->lax[f].p, vp, vl) == 0;
		char fix[64];

		snprintf(fix, sizeof(fix), "keep one \"%s\" line",
			 field_names[f]);
		check_add(s->r, "policy.duplicates",
			  same ? CHECK_WARNING : CHECK_ERROR, fix,
			  same ? "\"%s\" appears on lines %u and %u"
			       : "\"%s\" appears on lines %u and %u with "
				 "different values: some senders take the "
				 "first, others the last",
			  field_names[f], s->lax[f].line, line);
	}
	s->lax[f] = (struct val){ vp, vl, true, line };
}

/* ---- HTTP ------------------------------------------------------------ */

/* Writes the charset parameter (lowercased, unquoted) into cs. */
static void content_type_check(const struct sts_http *h, struct check_report *r,
                               char cs[32])
{
	const char *ct = h->content_type, *semi, *m;
	size_t ml;

	cs[0] = '\0';
	if (!ct) {
		check_add(r, "policy.content_type", CHECK_ERROR,
			  "serve it with \"Content-Type: text/plain\"",
			  "no Content-Type: postfix-mta-sts-resolver, maddy and "
			  "chasquid refuse the policy");
		return;
	}
	semi = strchr(ct, ';');
	m = ct;
	ml = semi ? (size_t)(semi - ct) : strlen(ct);
	trim(&m, &ml);
	if (!eq_lit_nocase(m, ml, "text/plain")) {
		check_add(r, "policy.content_type", CHECK_ERROR,
			  "serve it with \"Content-Type: text/plain\"",
			  "Content-Type is \"%.60s\", not text/plain: several "
			  "senders refuse the policy", ct);
		return;
	}
	if (!eq_lit(m, ml, "text/plain")) {
		check_add(r, "policy.content_type", CHECK_ERROR,
			  "serve it with \"Content-Type: text/plain\"",
			  "Content-Type \"%.60s\" is not lower case: KumoMTA "
			  "compares it exactly", ct);
		return;
	}
	if (semi) {
		const char *c = strcasestr(semi, "charset=");

		if (c) {
			size_t i = 0;

			c += 8;
			if (*c == '"')
				c++;
			while (i < 31 && c[i] && c[i] != '"' && c[i] != ';' &&
			       !is_wsp(c[i])) {
				cs[i] = (char)(c[i] >= 'A' && c[i] <= 'Z' ?
					       c[i] + 32 : c[i]);
				i++;
			}
			cs[i] = '\0';
		}
		check_add(r, "policy.content_type", CHECK_WARNING,
			  "serve it with exactly \"Content-Type: text/plain\"",
			  "Content-Type \"%.60s\" has a parameter: the senders we "
			  "test accept it, the Mimecast library does not", ct);
		return;
	}
	check_add(r, "policy.content_type", CHECK_OK, NULL,
		  "Content-Type: text/plain");
}

/* Returns false when the body is unusable for every sender. */
static bool encoding_check(const struct sts_http *h, struct check_report *r,
                           const char *cs)
{
	const unsigned char *b = (const unsigned char *)h->body;
	size_t i = 0, non_ascii = 0;

	if (h->body_len >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0) {
		check_add(r, "policy.encoding", CHECK_ERROR,
			  "save the file without a byte-order mark",
			  "the body starts with a UTF-8 byte-order mark: mox, "
			  "postfix-tlspol and maddy refuse the policy");
		return true;
	}
	while (i < h->body_len) {
		size_t n;

		if (b[i] == 0) {
			check_add(r, "policy.encoding", CHECK_ERROR, NULL,
				  "the body contains a NUL byte at offset %zu", i);
			return false;
		}
		if (b[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_seq(b + i, h->body_len - i);
		if (n == 0) {
			check_add(r, "policy.encoding", CHECK_ERROR,
				  "serve the policy as ASCII text",
				  "the body is not valid UTF-8 (offset %zu)", i);
			return false;
		}
		non_ascii++;
		i += n;
	}
	if (non_ascii && strcmp(cs, "utf-8") != 0)
		check_add(r, "policy.encoding", CHECK_ERROR,
			  "keep the policy ASCII",
			  "the body has non-ASCII characters without "
			  "\"charset=utf-8\": postfix-mta-sts-resolver decodes it "
			  "as ASCII and fails");
	else if (non_ascii)
		check_add(r, "policy.encoding", CHECK_WARNING,
			  "keep the policy ASCII",
			  "the body has non-ASCII characters");
	else
		check_add(r, "policy.encoding", CHECK_OK, NULL,
			  "the body is ASCII");
	return true;
}

/* ---- field values ---------------------------------------------------- */

static void judge_version(struct scan *s, bool *strict_ok, bool *lax_ok)
{
	struct val *v = &s->strict[F_VERSION], *l = &s->lax[F_VERSION];

	*strict_ok = v->set && eq_lit(v->p, v->len, "STSv1");
	*lax_ok = l->set && eq_lit(l->p, l->len, "STSv1");
	if (*strict_ok)
		check_add(s->r, "policy.version", CHECK_OK, NULL, "version: STSv1");
	else if (v->set || l->set)
		check_add(s->r, "policy.version", CHECK_ERROR,
			  "write \"version: STSv1\"",
			  v->set ? "version is \"%.*s\", not STSv1"
				 : "strict senders find no \"version\" line "
				   "(only lenient ones read the \"%.*s\" written "
				   "with other case or spacing)",
			  (int)(v->set ? (v->len > 40 ? 40 : v->len)
				       : (l->len > 40 ? 40 : l->len)),
			  v->set ? v->p : l->p);
	else
		check_add(s->r, "policy.version", CHECK_ERROR,
			  "add the line \"version: STSv1\"",
			  "no \"version\" line: every sender refuses the policy");
}

static bool parse_mode(const struct val *v, enum mx_mode *m)
{
	if (!v->set)
		return false;
	if (eq_lit(v->p, v->len, "enforce"))
		*m = MX_MODE_ENFORCE;
	else if (eq_lit(v->p, v->len, "testing"))
		*m = MX_MODE_TESTING;
	else if (eq_lit(v->p, v->len, "none"))
		*m = MX_MODE_NONE;
	else
		return false;
	return true;
}

static void judge_mode(struct scan *s, struct sts_policy_view *out,
                       bool *strict_ok, bool *lax_ok)
{
	struct val *v = &s->strict[F_MODE], *l = &s->lax[F_MODE];
	enum mx_mode lm = MX_MODE_NONE;

	*strict_ok = parse_mode(v, &out->mode);
	/* mailauth lowercases the mode and takes a missing one as none */
	*lax_ok = !l->set || parse_mode(l, &lm) ||
		  eq_lit_nocase(l->p, l->len, "enforce") ||
		  eq_lit_nocase(l->p, l->len, "testing") ||
		  eq_lit_nocase(l->p, l->len, "none");
	if (*strict_ok) {
		out->have_mode = true;
		if (out->mode == MX_MODE_ENFORCE)
			check_add(s->r, "policy.mode", CHECK_OK, NULL, "mode: enforce");
		else
			check_add(s->r, "policy.mode", CHECK_INFO,
				  "set \"mode: enforce\" once reports show no "
				  "failures",
				  out->mode == MX_MODE_TESTING ?
				  "mode: testing: senders report failures but "
				  "still deliver without TLS" :
				  "mode: none: senders treat the domain as having "
				  "no policy");
		return;
	}
	if (!l->set && !v->set) {
		check_add(s->r, "policy.mode", CHECK_ERROR,
			  "add the line \"mode: testing\" (or enforce)",
			  "no \"mode\" line: strict senders refuse the policy, "
			  "mailauth takes it as none");
		return;
	}
	if (!v->set && l->set && (eq_lit_nocase(l->p, l->len, "enforce") ||
				  eq_lit_nocase(l->p, l->len, "testing") ||
				  eq_lit_nocase(l->p, l->len, "none"))) {
		check_add(s->r, "policy.mode", CHECK_ERROR,
			  "write \"mode: <value>\" in lower case at the start "
			  "of its line",
			  "strict senders find no \"mode\" line (only lenient "
			  "ones read the \"%.*s\" written with other case or "
			  "spacing)",
			  (int)(l->len > 40 ? 40 : l->len), l->p);
	} else {
		v = v->set ? v : l;
		check_add(s->r, "policy.mode", CHECK_ERROR,
			  "write \"mode: enforce\", \"mode: testing\" or "
			  "\"mode: none\"",
			  "mode \"%.*s\" is not enforce, testing or none%s",
			  (int)(v->len > 40 ? 40 : v->len), v->p,
			  eq_lit_nocase(v->p, v->len, "report") ?
			  " (\"report\" is from a draft, no sender knows it)" : "");
	}
	if (l->set && (eq_lit_nocase(l->p, l->len, "enforce") ||
		       eq_lit_nocase(l->p, l->len, "testing") ||
		       eq_lit_nocase(l->p, l->len, "none")))
		out->mode = eq_lit_nocase(l->p, l->len, "enforce") ?
			    MX_MODE_ENFORCE :
			    eq_lit_nocase(l->p, l->len, "testing") ?
			    MX_MODE_TESTING : MX_MODE_NONE;
	out->have_mode = *lax_ok;
}

static void judge_max_age(struct scan *s, struct sts_policy_view *out,
                          bool *strict_ok, bool *lax_ok)
{
	struct val *v = &s->strict[F_MAX_AGE];
	unsigned long long n = 0;
	size_t i;
	const char *fix = "write \"max_age: 604800\" (one week) or longer";

	*strict_ok = *lax_ok = false;
	if (!v->set)
		v = &s->lax[F_MAX_AGE];
	if (!v->set) {
		check_add(s->r, "policy.max_age", CHECK_ERROR, fix,
			  "no \"max_age\" line: strict senders refuse the policy");
		*lax_ok = true;         /* mailauth: empty means 0 */
		return;
	}
	for (i = 0; i < v->len; i++) {
		if (v->p[i] < '0' || v->p[i] > '9' || i >= 10) {
			check_add(s->r, "policy.max_age", CHECK_ERROR, fix,
				  "max_age \"%.*s\" is not 1 to 10 digits",
				  (int)(v->len > 40 ? 40 : v->len), v->p);
			return;
		}
		n = n * 10 + (unsigned long long)(v->p[i] - '0');
	}
	if (n > STS_MAX_AGE_MAX) {
		check_add(s->r, "policy.max_age", CHECK_ERROR,
			  "write \"max_age: 31557600\" or less",
			  "max_age %llu is above 31557600 (one year): "
			  "postfix-mta-sts-resolver, mailauth and chasquid "
			  "refuse the policy", n);
		return;
	}
	*strict_ok = *lax_ok = true;
	out->max_age = (uint32_t)n;
	if (v->len > 1 && v->p[0] == '0')
		check_add(s->r, "policy.max_age", CHECK_WARNING,
			  "write the number without leading zeros",
			  "max_age \"%.*s\" has leading zeros", (int)v->len, v->p);
	else if (n < POLICY_MAX_AGE_WARN)
		check_add(s->r, "policy.max_age", CHECK_WARNING, fix,
			  "max_age %llu is under one day: senders re-fetch "
			  "often and a short outage drops the policy%s", n,
			  n == 0 ? " (chasquid refuses 0)" : "");
	else if (n < POLICY_ENFORCE_MAX_AGE_WARN && out->have_mode &&
		 out->mode == MX_MODE_ENFORCE)
		/* the threshold stsd's own configuration check uses */
		check_add(s->r, "policy.max_age", CHECK_WARNING, fix,
			  "max_age %llu is under one week in enforce mode: a "
			  "short outage of the policy host lets senders fall "
			  "back to no policy", n);
	else
		check_add(s->r, "policy.max_age", CHECK_OK, NULL,
			  "max_age %llu (%llu days)", n, n / 86400);
}

static void judge_mx(struct scan *s, struct sts_policy_view *out,
                     bool *strict_ok, bool *lax_ok)
{
	size_t i, bad = 0;
	bool need = !out->have_mode || out->mode != MX_MODE_NONE;

	for (i = 0; i < s->n_mx; i++) {
		const char *err = mx_pattern_check(s->mx_p[i], s->mx_len[i]);

		if (err) {
			if (bad++ < PROBLEMS_SHOWN)
				check_add(s->r, "policy.mx", CHECK_ERROR,
					  "list each MX host name, as in "
					  "\"mx: mail.example.com\"",
					  "mx \"%.*s\": %s",
					  (int)(s->mx_len[i] > 80 ? 80 : s->mx_len[i]),
					  s->mx_p[i], err);
			continue;
		}
		if (out->n_mx < STS_MAX_MX) {
			memcpy(out->mx[out->n_mx], s->mx_p[i], s->mx_len[i]);
			out->mx[out->n_mx][s->mx_len[i]] = '\0';
			out->n_mx++;
		} else {
			s->n_mx_over++;
		}
	}
	if (s->n_mx_over)
		check_add(s->r, "policy.mx", CHECK_WARNING, NULL,
			  "more than %d mx patterns: only the first are checked",
			  STS_MAX_MX);
	*strict_ok = bad == 0 && (out->n_mx > 0 || !need);
	*lax_ok = s->n_lax_mx > 0 || !need;
	if (out->n_mx == 0 && bad == 0) {
		if (need)
			check_add(s->r, "policy.mx", CHECK_ERROR,
				  "add one \"mx: <host>\" line per MX host",
				  "no \"mx\" line: senders refuse a policy in "
				  "testing or enforce mode without one");
		else
			check_add(s->r, "policy.mx", CHECK_WARNING,
				  "add one \"mx: <host>\" line per MX host",
				  "no \"mx\" line: Stalwart and chasquid refuse "
				  "even a mode none policy without one");
		return;
	}
	if (bad == 0)
		check_add(s->r, "policy.mx", CHECK_OK, NULL, "%zu mx pattern%s",
			  out->n_mx, out->n_mx == 1 ? "" : "s");
}

/* ---- the whole ------------------------------------------------------- */

static bool http_check(const struct sts_http *h, struct check_report *r,
                       char cs[32])
{
	char fix[200];

	snprintf(fix, sizeof(fix), "serve the policy at https://mta-sts.%s/"
		 ".well-known/mta-sts.txt itself, with status 200", r->domain);
	if (h->status >= 300 && h->status < 400) {
		check_add(r, "policy.redirect", CHECK_ERROR, fix,
			  "HTTP %d redirect%s%.200s: senders never follow "
			  "redirects", h->status, h->location ? " to " : "",
			  h->location ? h->location : "");
		return false;
	}
	if (h->status != 200) {
		check_add(r, "policy.status", CHECK_ERROR, fix,
			  "HTTP status %d, not 200: senders see no policy",
			  h->status);
		return false;
	}
	check_add(r, "policy.status", CHECK_OK, NULL, "HTTP status 200");
	content_type_check(h, r, cs);
	if (h->content_encoding && !eq_lit_nocase(h->content_encoding,
			strlen(h->content_encoding), "identity"))
		check_add(r, "policy.content_encoding", CHECK_ERROR,
			  "turn off compression for this file",
			  "Content-Encoding \"%.40s\": postfix-mta-sts-resolver "
			  "and mailauth 7 cannot read the policy",
			  h->content_encoding);
	if (h->truncated || h->body_len > STS_BODY_CAP)
		check_add(r, "policy.size", CHECK_ERROR,
			  "serve a policy of a few hundred bytes",
			  "the body is over 65536 bytes: senders refuse it");
	else if (h->body_len > STS_BODY_STRICT_MAX)
		check_add(r, "policy.size", CHECK_ERROR,
			  "serve a policy under 10240 bytes",
			  "the body is %zu bytes: senders that read \"64 KB\" "
			  "as 64000 bytes refuse it", h->body_len);
	else if (h->body_len > STS_BODY_WARN)
		check_add(r, "policy.size", CHECK_WARNING,
			  "serve a policy under 10240 bytes",
			  "the body is %zu bytes: chasquid reads only the first "
			  "10240", h->body_len);
	else
		check_add(r, "policy.size", CHECK_OK, NULL, "%zu bytes",
			  h->body_len);
	return !h->truncated;
}

void sts_body_check(const struct sts_http *h, struct check_report *r,
                    struct sts_policy_view *out)
{
	struct scan *s;
	size_t pos = 0;
	unsigned line = 0;
	char cs[32] = "";
	bool v_ok, v_lax, m_ok, m_lax, a_ok, a_lax, x_ok, x_lax;

	memset(out, 0, sizeof(*out));
	if (!http_check(h, r, cs))
		return;
	if (!encoding_check(h, r, cs))
		return;
	s = calloc(1, sizeof(*s));
	if (!s) {
		r->oom = true;
		return;
	}
	s->r = r;
	while (pos < h->body_len) {
		const char *p = h->body + pos;
		const char *nl = memchr(p, '\n', h->body_len - pos);
		size_t len = nl ? (size_t)(nl - p) : h->body_len - pos;

		line++;
		if (nl) {
			if (len && p[len - 1] == '\r') {
				len--;
				s->n_crlf++;
			} else {
				s->n_lf++;
			}
		}
		/* A UTF-8 BOM already failed encoding_check: skip it here so
		 * the first line's other problems still show. */
		if (line == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
			problem(s, line, "a byte-order mark before the field name");
			lax_line(s, line, p + 3, len - 3);
		} else {
			strict_line(s, line, p, len);
			lax_line(s, line, p, len);
		}
		pos = nl ? (size_t)(nl - h->body) + 1 : h->body_len;
	}
	if (line == 0)
		problem(s, 1, "the body is empty");

	if (s->n_problems) {
		size_t i, shown = s->n_problems < PROBLEMS_SHOWN ?
				  s->n_problems : PROBLEMS_SHOWN;
		char msg[PROBLEMS_SHOWN * 170] = "";

		for (i = 0; i < shown; i++) {
			if (i)
				strcat(msg, "; ");
			strcat(msg, s->problems[i]);
		}
		check_add(r, "policy.syntax", CHECK_ERROR,
			  "write one \"name: value\" per line, no blank lines, "
			  "no leading spaces",
			  "strict senders (mox, postfix-tlspol) refuse the "
			  "policy: %s%s", msg,
			  s->n_problems > shown ? "; and more" : "");
	} else {
		check_add(r, "policy.syntax", CHECK_OK, NULL,
			  "the policy follows the RFC 8461 grammar");
	}
	if (s->n_lf)
		check_add(r, "policy.line_endings", CHECK_WARNING,
			  "end every line with CRLF",
			  "%zu line%s end%s with LF alone: RFC 8461's prose says "
			  "CRLF and the Mimecast library requires it", s->n_lf,
			  s->n_lf == 1 ? "" : "s", s->n_lf == 1 ? "s" : "");

	judge_version(s, &v_ok, &v_lax);
	judge_mode(s, out, &m_ok, &m_lax);
	judge_max_age(s, out, &a_ok, &a_lax);
	judge_mx(s, out, &x_ok, &x_lax);
	out->usable = !s->n_problems && !s->n_case && v_ok && m_ok && a_ok &&
		      x_ok;
	out->lax_usable = v_lax && m_lax && a_lax && x_lax;
	free(s);
}
