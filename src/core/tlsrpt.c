/*
 * tlsrpt: RFC 8460 reports from JSON. jansson does the JSON (duplicate keys
 * refused); this file walks the schema, copying what it keeps into plain C
 * strings so that no jansson object outlives the parse.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tlsrpt.h"

static const char *const result_names[TLSRPT_N_RESULTS] = {
	"starttls-not-supported",
	"certificate-host-mismatch",
	"certificate-expired",
	"certificate-not-trusted",
	"validation-failure",
	"tlsa-invalid",
	"dnssec-invalid",
	"dane-required",
	"sts-policy-fetch-error",
	"sts-policy-invalid",
	"sts-webpki-invalid",
	"other",
};

const char *tlsrpt_result_name(enum tlsrpt_result r)
{
	return (unsigned)r < TLSRPT_N_RESULTS ? result_names[r] : "other";
}

enum tlsrpt_result tlsrpt_result_parse(const char *s)
{
	unsigned i;

	for (i = 0; i < TLSRPT_RESULT_OTHER; i++)
		if (strcasecmp(s, result_names[i]) == 0)
			return (enum tlsrpt_result)i;
	return TLSRPT_RESULT_OTHER;
}

const char *tlsrpt_status_name(enum tlsrpt_status st)
{
	switch (st) {
	case TLSRPT_OK: return "ok";
	case TLSRPT_REJECT_TOO_LARGE: return "too-large";
	case TLSRPT_REJECT_JSON: return "json";
	case TLSRPT_REJECT_SCHEMA: return "schema";
	case TLSRPT_REJECT_DATE: return "date";
	case TLSRPT_REJECT_COUNT: return "count";
	case TLSRPT_ENOMEM: return "enomem";
	}
	return "unknown";
}

bool tlsrpt_same_report(const struct tlsrpt_report *a,
                        const struct tlsrpt_report *b)
{
	return strcmp(a->report_id, b->report_id) == 0 &&
	       strcasecmp(a->organization, b->organization) == 0;
}

/* ---- dates -------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void tlsrpt_day_format(int32_t day, char out[11])
{
	int64_t z = (int64_t)day + 719468, era, y;
	unsigned doe, yoe, doy, mp, d, m;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999)
		y = 0;
	/* Written digit by digit: m <= 12 and d <= 31 by construction, which
	 * the compiler cannot see through a format. */
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
	static const unsigned days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
					   31, 30, 31 };

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* n decimal digits at s; -1 if any is not a digit. */
static int digits(const char *s, unsigned n)
{
	int v = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "YYYY-MM-DD" at s: the day number, or -1 on error. */
static int parse_date(const char *s, int64_t *day)
{
	int y = digits(s, 4), m, d;

	if (y < 0 || s[4] != '-')
		return -1;
	m = digits(s + 5, 2);
	if (m < 1 || m > 12 || s[7] != '-')
		return -1;
	d = digits(s + 8, 2);
	if (y < 1970 || d < 1 || (unsigned)d > month_days(y, (unsigned)m))
		return -1;
	*day = days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

int tlsrpt_day_parse(const char *s, int32_t *day)
{
	int64_t d;

	if (strlen(s) != 10 || parse_date(s, &d) != 0)
		return -1;
	*day = (int32_t)d;
	return 0;
}

int tlsrpt_datetime_parse(const char *s, int64_t *out)
{
	int64_t day, t;
	int hh, mm, ss, off = 0;
	const char *p;

	if (strlen(s) < 19 || parse_date(s, &day) != 0)
		return -1;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return -1;
	hh = digits(s + 11, 2);
	mm = s[13] == ':' ? digits(s + 14, 2) : -1;
	ss = s[16] == ':' ? digits(s + 17, 2) : -1;
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
		return -1;
	if (ss == 60)                   /* a leap second: the same instant */
		ss = 59;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh = digits(p + 1, 2), om;
		const char *q = p + 3;

		if (oh < 0 || oh > 23)
			return -1;
		if (*q == ':')
			q++;
		om = digits(q, 2);
		if (om < 0 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
		p = q + 2;
	}
	if (*p)
		return -1;
	t = day * 86400 + hh * 3600 + mm * 60 + ss - off;
	*out = t;
	return 0;
}

/* ---- strings ------------------------------------------------------------ */

/* A copy safe to print: control characters become '?', at most max bytes
 * (cut at a UTF-8 character boundary). NULL on ENOMEM. */
static char *dup_text(const char *s, size_t max)
{
	size_t n = strlen(s), i;
	char *out;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	out = malloc(n + 1);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[n] = '\0';
	return out;
}

/* A host name: lowercase ASCII, final dots dropped, at most 253 bytes.
 * NULL on ENOMEM; "" when nothing is left (the callers treat it as absent). */
static char *dup_host(const char *s)
{
	char *out = dup_text(s, 253), *c;
	size_t n;

	if (!out)
		return NULL;
	for (c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	n = strlen(out);
	while (n && out[n - 1] == '.')
		out[--n] = '\0';
	return out;
}

/* ---- the walk ----------------------------------------------------------- */

struct parse {
	char *err;                      /* TLSRPT_ERR_MAX bytes */
	enum tlsrpt_status st;
};

__attribute__((format(printf, 3, 4)))
static bool fail(struct parse *p, enum tlsrpt_status st, const char *fmt, ...)
{
	va_list ap;

	if (p->st != TLSRPT_OK)
		return false;
	p->st = st;
	va_start(ap, fmt);
	vsnprintf(p->err, TLSRPT_ERR_MAX, fmt, ap);
	va_end(ap);
	return false;
}

static bool nomem(struct parse *p)
{
	return fail(p, TLSRPT_ENOMEM, "out of memory");
}

/* An optional string member: NULL when absent, null, not a string or "";
 * false only on ENOMEM. */
static bool opt_text(struct parse *p, json_t *obj, const char *key, bool host,
                     char **out)
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	*out = NULL;
	if (!json_is_string(v))
		return true;
	s = json_string_value(v);
	if (!*s)
		return true;
	*out = host ? dup_host(s) : dup_text(s, TLSRPT_TEXT_MAX);
	if (!*out)
		return nomem(p);
	if (!**out) {                   /* a host name of dots only */
		free(*out);
		*out = NULL;
	}
	return true;
}

/* A session count: a JSON integer in 0..TLSRPT_COUNT_MAX. */
static bool count(struct parse *p, json_t *obj, const char *key,
                  const char *where, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (!v)
		return fail(p, TLSRPT_REJECT_COUNT, "%s: %s missing", where, key);
	if (!json_is_integer(v))
		return fail(p, TLSRPT_REJECT_COUNT,
			    "%s: %s is not a whole number", where, key);
	n = json_integer_value(v);
	if (n < 0)
		return fail(p, TLSRPT_REJECT_COUNT, "%s: %s is negative (%" JSON_INTEGER_FORMAT ")",
			    where, key, n);
	if ((unsigned long long)n > TLSRPT_COUNT_MAX)
		return fail(p, TLSRPT_REJECT_COUNT, "%s: %s is too large", where, key);
	*out = (uint64_t)n;
	return true;
}

/* A string or an array of strings (other elements skipped). */
static bool text_list(struct parse *p, json_t *v, const char *where, bool host,
                      char ***out, size_t *n)
{
	size_t i, len;

	*out = NULL;
	*n = 0;
	if (json_is_string(v)) {
		if (!json_string_value(v)[0])
			return true;
		*out = calloc(1, sizeof(**out));
		if (!*out)
			return nomem(p);
		(*out)[0] = host ? dup_host(json_string_value(v)) :
			dup_text(json_string_value(v), TLSRPT_TEXT_MAX);
		if (!(*out)[0])
			return nomem(p);
		*n = 1;
		if (!(*out)[0][0]) {            /* a host name of dots only */
			free((*out)[0]);
			*n = 0;
		}
		return true;
	}
	if (!json_is_array(v))
		return true;
	len = json_array_size(v);
	if (len > TLSRPT_LIST_MAX)
		return fail(p, TLSRPT_REJECT_TOO_LARGE, "%s: more than %d entries",
			    where, TLSRPT_LIST_MAX);
	*out = calloc(len ? len : 1, sizeof(**out));
	if (!*out)
		return nomem(p);
	for (i = 0; i < len; i++) {
		json_t *e = json_array_get(v, i);
		char *s;

		if (!json_is_string(e) || !json_string_value(e)[0])
			continue;
		s = host ? dup_host(json_string_value(e)) :
			dup_text(json_string_value(e), TLSRPT_TEXT_MAX);
		if (!s)
			return nomem(p);
		if (!*s) {
			free(s);
			continue;
		}
		(*out)[(*n)++] = s;
	}
	return true;
}

static bool parse_failure(struct parse *p, json_t *d, const char *where,
                          struct tlsrpt_failure *f)
{
	json_t *rt;

	if (!json_is_object(d))
		return fail(p, TLSRPT_REJECT_SCHEMA, "%s: not an object", where);
	rt = json_object_get(d, "result-type");
	if (!json_is_string(rt) || !json_string_value(rt)[0])
		return fail(p, TLSRPT_REJECT_SCHEMA, "%s: result-type missing",
			    where);
	f->result_type = dup_text(json_string_value(rt), 64);
	if (!f->result_type)
		return nomem(p);
	f->result = tlsrpt_result_parse(f->result_type);
	return count(p, d, "failed-session-count", where,
		     &f->failed_session_count) &&
	       opt_text(p, d, "sending-mta-ip", false, &f->sending_mta_ip) &&
	       opt_text(p, d, "receiving-mx-hostname", true,
			&f->receiving_mx_hostname) &&
	       opt_text(p, d, "receiving-mx-helo", true, &f->receiving_mx_helo) &&
	       opt_text(p, d, "receiving-ip", false, &f->receiving_ip) &&
	       opt_text(p, d, "additional-information", false,
			&f->additional_information) &&
	       opt_text(p, d, "failure-reason-code", false,
			&f->failure_reason_code);
}

static enum tlsrpt_policy_type policy_type(const char *s)
{
	if (strcasecmp(s, "sts") == 0)
		return TLSRPT_POLICY_STS;
	if (strcasecmp(s, "tlsa") == 0)
		return TLSRPT_POLICY_TLSA;
	if (strcasecmp(s, "no-policy-found") == 0)
		return TLSRPT_POLICY_NO_POLICY_FOUND;
	return TLSRPT_POLICY_OTHER;
}

static bool parse_policy(struct parse *p, json_t *e, size_t idx,
                         struct tlsrpt_policy *pol)
{
	char where[64], dwhere[96];
	json_t *po, *sum, *v, *details;
	size_t i, n;

	snprintf(where, sizeof(where), "policies[%zu]", idx);
	if (!json_is_object(e))
		return fail(p, TLSRPT_REJECT_SCHEMA, "%s: not an object", where);
	po = json_object_get(e, "policy");
	if (!json_is_object(po))
		return fail(p, TLSRPT_REJECT_SCHEMA, "%s.policy: missing", where);
	v = json_object_get(po, "policy-type");
	if (!json_is_string(v) || !json_string_value(v)[0])
		return fail(p, TLSRPT_REJECT_SCHEMA, "%s.policy: policy-type missing",
			    where);
	pol->policy_type = dup_text(json_string_value(v), 64);
	if (!pol->policy_type)
		return nomem(p);
	pol->type = policy_type(pol->policy_type);
	v = json_object_get(po, "policy-domain");
	if (!json_is_string(v))
		return fail(p, TLSRPT_REJECT_SCHEMA,
			    "%s.policy: policy-domain missing", where);
	pol->domain = dup_host(json_string_value(v));
	if (!pol->domain)
		return nomem(p);
	if (!pol->domain[0])
		return fail(p, TLSRPT_REJECT_SCHEMA,
			    "%s.policy: policy-domain missing", where);
	if (!text_list(p, json_object_get(po, "policy-string"), where, false,
		       &pol->policy_string, &pol->n_policy_string))
		return false;
	v = json_object_get(po, "mx-host");
	if (!v)
		v = json_object_get(po, "mx-host-pattern");   /* the drafts' name */
	if (!text_list(p, v, where, true, &pol->mx_host, &pol->n_mx_host))
		return false;

	sum = json_object_get(e, "summary");
	if (!json_is_object(sum))
		return fail(p, TLSRPT_REJECT_COUNT, "%s.summary: missing", where);
	snprintf(dwhere, sizeof(dwhere), "%s.summary", where);
	if (!count(p, sum, "total-successful-session-count", dwhere,
		   &pol->successful) ||
	    !count(p, sum, "total-failure-session-count", dwhere, &pol->failed))
		return false;

	details = json_object_get(e, "failure-details");
	if (!details || json_is_null(details))
		return true;
	if (!json_is_array(details))
		return fail(p, TLSRPT_REJECT_SCHEMA,
			    "%s.failure-details: not an array", where);
	n = json_array_size(details);
	if (n > TLSRPT_DETAILS_MAX)
		return fail(p, TLSRPT_REJECT_TOO_LARGE,
			    "%s.failure-details: more than %d entries", where,
			    TLSRPT_DETAILS_MAX);
	pol->failures = calloc(n ? n : 1, sizeof(*pol->failures));
	if (!pol->failures)
		return nomem(p);
	for (i = 0; i < n; i++) {
		snprintf(dwhere, sizeof(dwhere), "%s.failure-details[%zu]", where, i);
		pol->n_failures = i + 1;
		if (!parse_failure(p, json_array_get(details, i), dwhere,
				   &pol->failures[i]))
			return false;
		pol->detail_failed += pol->failures[i].failed_session_count;
	}
	return true;
}

static bool parse_dates(struct parse *p, json_t *root, struct tlsrpt_report *r)
{
	json_t *dr = json_object_get(root, "date-range");
	json_t *s = json_object_get(dr, "start-datetime");
	json_t *e = json_object_get(dr, "end-datetime");

	if (!json_is_object(dr))
		return fail(p, TLSRPT_REJECT_DATE, "date-range: missing");
	if (!json_is_string(s) ||
	    tlsrpt_datetime_parse(json_string_value(s), &r->begin) != 0)
		return fail(p, TLSRPT_REJECT_DATE,
			    "date-range: start-datetime missing or not a date-time");
	if (!json_is_string(e) ||
	    tlsrpt_datetime_parse(json_string_value(e), &r->end) != 0)
		return fail(p, TLSRPT_REJECT_DATE,
			    "date-range: end-datetime missing or not a date-time");
	if (r->end < r->begin)
		return fail(p, TLSRPT_REJECT_DATE,
			    "date-range: ends before it starts");
	if (r->end - r->begin > TLSRPT_RANGE_MAX)
		return fail(p, TLSRPT_REJECT_DATE,
			    "date-range: longer than 31 days");
	r->day = (int32_t)((r->begin + (r->end - r->begin) / 2) / 86400);
	return true;
}

static bool parse_report(struct parse *p, json_t *root, struct tlsrpt_report *r)
{
	json_t *v, *pols;
	size_t i, n;

	if (!opt_text(p, root, "contact-info", false, &r->contact) ||
	    !opt_text(p, root, "organization-name", false, &r->organization))
		return false;
	if (!r->contact && !(r->contact = strdup("")))
		return nomem(p);
	if (!r->organization)
		r->organization = strdup(r->contact[0] ? r->contact : "unknown");
	if (!r->organization)
		return nomem(p);
	v = json_object_get(root, "report-id");
	if (!json_is_string(v) || !json_string_value(v)[0])
		return fail(p, TLSRPT_REJECT_SCHEMA, "report-id: missing");
	r->report_id = dup_text(json_string_value(v), TLSRPT_TEXT_MAX);
	if (!r->report_id)
		return nomem(p);
	if (!parse_dates(p, root, r))
		return false;
	pols = json_object_get(root, "policies");
	if (!json_is_array(pols))
		return fail(p, TLSRPT_REJECT_SCHEMA, "policies: missing");
	n = json_array_size(pols);
	if (n > TLSRPT_POLICIES_MAX)
		return fail(p, TLSRPT_REJECT_TOO_LARGE,
			    "policies: more than %d entries", TLSRPT_POLICIES_MAX);
	r->policies = calloc(n ? n : 1, sizeof(*r->policies));
	if (!r->policies)
		return nomem(p);
	for (i = 0; i < n; i++) {
		r->n_policies = i + 1;
		if (!parse_policy(p, json_array_get(pols, i), i, &r->policies[i]))
			return false;
	}
	return true;
}

/* The deepest nesting of [ and { outside strings (jansson's own limit is
 * far deeper than any report needs). */
static size_t max_depth(const char *s, size_t len)
{
	size_t i, depth = 0, max = 0;
	bool in_str = false;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return max;
}

enum tlsrpt_status tlsrpt_parse(const char *json, size_t len,
                                struct tlsrpt_report *out,
                                char err[TLSRPT_ERR_MAX])
{
	struct parse p = { err, TLSRPT_OK };
	json_error_t jerr;
	json_t *root;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (len > TLSRPT_JSON_MAX) {
		fail(&p, TLSRPT_REJECT_TOO_LARGE, "report over %u bytes",
		     TLSRPT_JSON_MAX);
		return p.st;
	}
	if (max_depth(json, len) > TLSRPT_DEPTH_MAX) {
		fail(&p, TLSRPT_REJECT_JSON, "JSON nested deeper than %d levels",
		     TLSRPT_DEPTH_MAX);
		return p.st;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		fail(&p, TLSRPT_REJECT_JSON, "not JSON: %s (line %d, column %d)",
		     jerr.text, jerr.line, jerr.column);
		return p.st;
	}
	if (!json_is_object(root))
		fail(&p, TLSRPT_REJECT_SCHEMA, "the report is not a JSON object");
	else
		parse_report(&p, root, out);
	json_decref(root);
	if (p.st != TLSRPT_OK)
		tlsrpt_report_free(out);
	return p.st;
}

static void free_list(char **l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void tlsrpt_report_free(struct tlsrpt_report *r)
{
	size_t i, j;

	for (i = 0; i < r->n_policies; i++) {
		struct tlsrpt_policy *pol = &r->policies[i];

		for (j = 0; j < pol->n_failures; j++) {
			struct tlsrpt_failure *f = &pol->failures[j];

			free(f->result_type);
			free(f->sending_mta_ip);
			free(f->receiving_mx_hostname);
			free(f->receiving_mx_helo);
			free(f->receiving_ip);
			free(f->additional_information);
			free(f->failure_reason_code);
		}
		free(pol->failures);
		free(pol->policy_type);
		free(pol->domain);
		free_list(pol->policy_string, pol->n_policy_string);
		free_list(pol->mx_host, pol->n_mx_host);
	}
	free(r->policies);
	free(r->organization);
	free(r->contact);
	free(r->report_id);
	memset(r, 0, sizeof(*r));
}
