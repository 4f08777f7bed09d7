/* acme_msg: see acme_msg.h. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "acme_msg.h"
#include "b64url.h"

__attribute__((format(printf, 2, 3)))
static int fail(char err[ACME_ERR_LEN], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, ACME_ERR_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

/* Parses one JSON object of at most ACME_MSG_MAX bytes. */
static json_t *load_object(const char *body, size_t len, const char *what,
                           char err[ACME_ERR_LEN])
{
	json_error_t je;
	json_t *root;

	if (len > ACME_MSG_MAX) {
		fail(err, "%s: answer of %zu bytes is over the %d-byte limit",
		     what, len, ACME_MSG_MAX);
		return NULL;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		fail(err, "%s: not valid JSON: %.80s (position %d)", what,
		     je.text, je.position);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		fail(err, "%s: not a JSON object", what);
		return NULL;
	}
	return root;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

/*
 * Member `key` of obj as a string copy in *out. Absent: *out stays NULL and
 * 0 unless required. Wrong type, control characters or over `max`: -1.
 */
static int get_str(json_t *obj, const char *key, size_t max, bool required,
                   char **out, const char *what, char err[ACME_ERR_LEN])
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	size_t len;

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return fail(err, "%s: \"%s\" is missing", what, key);
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, "%s: \"%s\" is not a string", what, key);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len > max)
		return fail(err, "%s: \"%s\" is over %zu bytes", what, key, max);
	if (strlen(s) != len || !printable(s))
		return fail(err, "%s: \"%s\" contains control characters",
			    what, key);
	*out = strdup(s);
	if (!*out)
		return fail(err, "%s: out of memory", what);
	return 0;
}

static int get_url(json_t *obj, const char *key, bool required, char **out,
                   const char *what, char err[ACME_ERR_LEN])
{
	const char *why;

	if (get_str(obj, key, ACME_URL_MAX, required, out, what, err) < 0)
		return -1;
	if (*out && (why = acme_url_check(*out)) != NULL) {
		free(*out);
		*out = NULL;
		return fail(err, "%s: \"%s\": %s", what, key, why);
	}
	return 0;
}

const char *acme_url_check(const char *url)
{
	size_t i, len = strlen(url);

	if (len > ACME_URL_MAX)
		return "URL is too long";
	if (strncmp(url, "https://", 8) != 0)
		return "URL is not https://";
	if (len == 8 || url[8] == '/' || url[8] == '?' || url[8] == '#')
		return "URL has no host";
	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return "URL contains a space, control or non-ASCII byte";
	return NULL;
}

static const char *const status_names[] = {
	[ACME_STATUS_UNKNOWN] = "unknown",
	[ACME_STATUS_PENDING] = "pending",
	[ACME_STATUS_READY] = "ready",
	[ACME_STATUS_PROCESSING] = "processing",
	[ACME_STATUS_VALID] = "valid",
	[ACME_STATUS_INVALID] = "invalid",
	[ACME_STATUS_REVOKED] = "revoked",
	[ACME_STATUS_DEACTIVATED] = "deactivated",
	[ACME_STATUS_EXPIRED] = "expired",
};

const char *acme_status_name(enum acme_status s)
{
	if ((unsigned)s >= sizeof(status_names) / sizeof(status_names[0]))
		return "unknown";
	return status_names[s];
}

/* "status" is required wherever these parsers read it. */
static int get_status(json_t *obj, enum acme_status *out, const char *what,
                      char err[ACME_ERR_LEN])
{
	json_t *v = json_object_get(obj, "status");
	size_t i;

	*out = ACME_STATUS_UNKNOWN;
	if (!v)
		return fail(err, "%s: \"status\" is missing", what);
	if (!json_is_string(v))
		return fail(err, "%s: \"status\" is not a string", what);
	for (i = 1; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(json_string_value(v), status_names[i]) == 0) {
			*out = (enum acme_status)i;
			return 0;
		}
	return fail(err, "%s: unknown status \"%.40s\"", what,
		    json_string_value(v));
}

/* ---- problem documents ---- */

void acme_problem_clear(struct acme_problem *p)
{
	free(p->type);
	free(p->detail);
	memset(p, 0, sizeof(*p));
}

static int problem_from(json_t *obj, struct acme_problem *p,
                        char err[ACME_ERR_LEN])
{
	const char *what = "problem document";
	json_t *st = json_object_get(obj, "status");
	json_t *subs = json_object_get(obj, "subproblems");

	memset(p, 0, sizeof(*p));
	if (get_str(obj, "type", ACME_STR_MAX, false, &p->type, what, err) < 0 ||
	    get_str(obj, "detail", ACME_STR_MAX, false, &p->detail, what, err) < 0)
		goto bad;
	if (st && json_is_integer(st) && json_integer_value(st) >= 100 &&
	    json_integer_value(st) <= 599)
		p->status = (int)json_integer_value(st);
	/* The first subproblem usually names the identifier that failed. */
	if (json_is_array(subs) && json_array_size(subs) > 0 &&
	    json_is_object(json_array_get(subs, 0))) {
		json_t *sub = json_array_get(subs, 0);
		json_t *id = json_object_get(sub, "identifier");
		char *sd = NULL, *idv = NULL, *joined;
		size_t n;

		if (get_str(sub, "detail", ACME_STR_MAX, false, &sd, what, err) < 0)
			goto bad;
		if (json_is_object(id) &&
		    get_str(id, "value", 255, false, &idv, what, err) < 0) {
			free(sd);
			goto bad;
		}
		n = (p->detail ? strlen(p->detail) : 0) + (sd ? strlen(sd) : 0) +
		    (idv ? strlen(idv) : 0) + 64;
		joined = malloc(n);
		if (!joined) {
			free(sd);
			free(idv);
			fail(err, "%s: out of memory", what);
			goto bad;
		}
		snprintf(joined, n, "%s (%zu subproblem%s; %s%s%s)",
			 p->detail ? p->detail : "",
			 json_array_size(subs), json_array_size(subs) == 1 ? "" : "s",
			 idv ? idv : "", idv ? ": " : "", sd ? sd : "no detail");
		free(p->detail);
		p->detail = joined;
		free(sd);
		free(idv);
	}
	return 0;
bad:
	acme_problem_clear(p);
	return -1;
}

int acme_parse_problem(const char *body, size_t len, struct acme_problem *out,
                       char err[ACME_ERR_LEN])
{
	json_t *root = load_object(body, len, "problem document", err);
	int r;

	memset(out, 0, sizeof(*out));
	if (!root)
		return -1;
	r = problem_from(root, out, err);
	json_decref(root);
	return r;
}

/* An optional "error" member holding a problem document. */
static int get_error(json_t *obj, struct acme_problem *p, bool *has,
                     const char *what, char err[ACME_ERR_LEN])
{
	json_t *e = json_object_get(obj, "error");

	*has = false;
	if (!e || json_is_null(e))
		return 0;
	if (!json_is_object(e))
		return fail(err, "%s: \"error\" is not an object", what);
	if (problem_from(e, p, err) < 0)
		return -1;
	*has = true;
	return 0;
}

/* ---- directory ---- */

void acme_directory_clear(struct acme_directory *d)
{
	free(d->new_nonce);
	free(d->new_account);
	free(d->new_order);
	free(d->revoke_cert);
	free(d->key_change);
	free(d->renewal_info);
	free(d->terms_of_service);
	memset(d, 0, sizeof(*d));
}

int acme_parse_directory(const char *body, size_t len,
                         struct acme_directory *d, char err[ACME_ERR_LEN])
{
	const char *what = "directory";
	json_t *root = load_object(body, len, what, err), *meta, *eab;

	memset(d, 0, sizeof(*d));
	if (!root)
		return -1;
	if (get_url(root, "newNonce", true, &d->new_nonce, what, err) < 0 ||
	    get_url(root, "newAccount", true, &d->new_account, what, err) < 0 ||
	    get_url(root, "newOrder", true, &d->new_order, what, err) < 0 ||
	    get_url(root, "revokeCert", false, &d->revoke_cert, what, err) < 0 ||
	    get_url(root, "keyChange", false, &d->key_change, what, err) < 0 ||
	    get_url(root, "renewalInfo", false, &d->renewal_info, what, err) < 0)
		goto bad;
	meta = json_object_get(root, "meta");
	if (meta && !json_is_object(meta)) {
		fail(err, "%s: \"meta\" is not an object", what);
		goto bad;
	}
	if (meta) {
		/* Terms may be any URL scheme: only shown, never fetched. */
		if (get_str(meta, "termsOfService", ACME_URL_MAX, false,
			    &d->terms_of_service, what, err) < 0)
			goto bad;
		eab = json_object_get(meta, "externalAccountRequired");
		if (eab && !json_is_boolean(eab)) {
			fail(err, "%s: \"externalAccountRequired\" is not a boolean",
			     what);
			goto bad;
		}
		d->eab_required = eab && json_is_true(eab);
	}
	json_decref(root);
	return 0;
bad:
	json_decref(root);
	acme_directory_clear(d);
	return -1;
}

/* ---- account ---- */

void acme_account_clear(struct acme_account *a)
{
	free(a->orders);
	memset(a, 0, sizeof(*a));
}

int acme_parse_account(const char *body, size_t len, struct acme_account *a,
                       char err[ACME_ERR_LEN])
{
	const char *what = "account";
	json_t *root = load_object(body, len, what, err);

	memset(a, 0, sizeof(*a));
	if (!root)
		return -1;
	if (get_status(root, &a->status, what, err) < 0 ||
	    get_url(root, "orders", false, &a->orders, what, err) < 0) {
		json_decref(root);
		acme_account_clear(a);
		return -1;
	}
	json_decref(root);
	return 0;
}

/* ---- order ---- */

void acme_order_clear(struct acme_order *o)
{
	size_t i;

	for (i = 0; i < o->n_authz; i++)
		free(o->authorizations[i]);
	free(o->authorizations);
	free(o->finalize);
	free(o->certificate);
	acme_problem_clear(&o->error);
	memset(o, 0, sizeof(*o));
}

int acme_parse_order(const char *body, size_t len, struct acme_order *o,
                     char err[ACME_ERR_LEN])
{
	const char *what = "order";
	json_t *root = load_object(body, len, what, err), *az;
	size_t i, n;

	memset(o, 0, sizeof(*o));
	if (!root)
		return -1;
	if (get_status(root, &o->status, what, err) < 0 ||
	    get_url(root, "finalize", true, &o->finalize, what, err) < 0 ||
	    get_url(root, "certificate", false, &o->certificate, what, err) < 0 ||
	    get_error(root, &o->error, &o->has_error, what, err) < 0)
		goto bad;
	az = json_object_get(root, "authorizations");
	if (!json_is_array(az)) {
		fail(err, "%s: \"authorizations\" is %s", what,
		     az ? "not an array" : "missing");
		goto bad;
	}
	n = json_array_size(az);
	if (n == 0 || n > ACME_AUTHZ_MAX) {
		fail(err, "%s: %zu authorizations (1 to %d allowed)", what, n,
		     ACME_AUTHZ_MAX);
		goto bad;
	}
	o->authorizations = calloc(n, sizeof(*o->authorizations));
	if (!o->authorizations) {
		fail(err, "%s: out of memory", what);
		goto bad;
	}
	for (i = 0; i < n; i++) {
		json_t *v = json_array_get(az, i);
		const char *why;

		if (!json_is_string(v) ||
		    json_string_length(v) != strlen(json_string_value(v))) {
			fail(err, "%s: authorization %zu is not a string", what, i + 1);
			goto bad;
		}
		if ((why = acme_url_check(json_string_value(v))) != NULL) {
			fail(err, "%s: authorization %zu: %s", what, i + 1, why);
			goto bad;
		}
		o->authorizations[i] = strdup(json_string_value(v));
		if (!o->authorizations[i]) {
			fail(err, "%s: out of memory", what);
			goto bad;
		}
		o->n_authz = i + 1;
	}
	if (o->status == ACME_STATUS_VALID && !o->certificate) {
		fail(err, "%s: valid but without \"certificate\"", what);
		goto bad;
	}
	json_decref(root);
	return 0;
bad:
	json_decref(root);
	acme_order_clear(o);
	return -1;
}

/* ---- challenges and authorizations ---- */

void acme_challenge_clear(struct acme_challenge *c)
{
	free(c->type);
	free(c->url);
	free(c->token);
	acme_problem_clear(&c->error);
	memset(c, 0, sizeof(*c));
}

static int challenge_from(json_t *obj, struct acme_challenge *c,
                          char err[ACME_ERR_LEN])
{
	const char *what = "challenge";

	memset(c, 0, sizeof(*c));
	if (!json_is_object(obj))
		return fail(err, "%s: not an object", what);
	if (get_str(obj, "type", 64, true, &c->type, what, err) < 0 ||
	    get_url(obj, "url", true, &c->url, what, err) < 0 ||
	    get_status(obj, &c->status, what, err) < 0 ||
	    get_str(obj, "token", ACME_TOKEN_MAX, false, &c->token, what, err) < 0 ||
	    get_error(obj, &c->error, &c->has_error, what, err) < 0)
		goto bad;
	/* The token ends up in a URL path and in a key authorization. */
	if (c->token && !b64url_chars_ok(c->token, strlen(c->token))) {
		fail(err, "%s: token is not base64url", what);
		goto bad;
	}
	if ((strcmp(c->type, "http-01") == 0 ||
	     strcmp(c->type, "tls-alpn-01") == 0 ||
	     strcmp(c->type, "dns-01") == 0) && !c->token) {
		fail(err, "%s: %s without a token", what, c->type);
		goto bad;
	}
	return 0;
bad:
	acme_challenge_clear(c);
	return -1;
}

int acme_parse_challenge(const char *body, size_t len,
                         struct acme_challenge *out, char err[ACME_ERR_LEN])
{
	json_t *root = load_object(body, len, "challenge", err);
	int r;

	memset(out, 0, sizeof(*out));
	if (!root)
		return -1;
	r = challenge_from(root, out, err);
	json_decref(root);
	return r;
}

void acme_authz_clear(struct acme_authz *a)
{
	size_t i;

	free(a->identifier);
	for (i = 0; i < a->n_challenges; i++)
		acme_challenge_clear(&a->challenges[i]);
	free(a->challenges);
	memset(a, 0, sizeof(*a));
}

int acme_parse_authz(const char *body, size_t len, struct acme_authz *a,
                     char err[ACME_ERR_LEN])
{
	const char *what = "authorization";
	json_t *root = load_object(body, len, what, err), *id, *ch, *wc;
	char *type = NULL;
	size_t i, n;

	memset(a, 0, sizeof(*a));
	if (!root)
		return -1;
	if (get_status(root, &a->status, what, err) < 0)
		goto bad;
	id = json_object_get(root, "identifier");
	if (!json_is_object(id)) {
		fail(err, "%s: \"identifier\" is %s", what,
		     id ? "not an object" : "missing");
		goto bad;
	}
	if (get_str(id, "type", 64, true, &type, what, err) < 0 || type == NULL)
		goto bad;
	if (strcmp(type, "dns") != 0) {
		fail(err, "%s: identifier type \"%s\" is not dns", what, type);
		goto bad;
	}
	if (get_str(id, "value", 253, true, &a->identifier, what, err) < 0)
		goto bad;
	wc = json_object_get(root, "wildcard");
	if (wc && !json_is_boolean(wc)) {
		fail(err, "%s: \"wildcard\" is not a boolean", what);
		goto bad;
	}
	a->wildcard = wc && json_is_true(wc);
	ch = json_object_get(root, "challenges");
	if (!json_is_array(ch)) {
		fail(err, "%s: \"challenges\" is %s", what,
		     ch ? "not an array" : "missing");
		goto bad;
	}
	n = json_array_size(ch);
	if (n > ACME_CHALLENGES_MAX) {
		fail(err, "%s: %zu challenges (at most %d)", what, n,
		     ACME_CHALLENGES_MAX);
		goto bad;
	}
	a->challenges = calloc(n ? n : 1, sizeof(*a->challenges));
	if (!a->challenges) {
		fail(err, "%s: out of memory", what);
		goto bad;
	}
	for (i = 0; i < n; i++) {
		if (challenge_from(json_array_get(ch, i), &a->challenges[i], err) < 0)
			goto bad;
		a->n_challenges = i + 1;
	}
	free(type);
	json_decref(root);
	return 0;
bad:
	free(type);
	json_decref(root);
	acme_authz_clear(a);
	return -1;
}

const struct acme_challenge *acme_authz_find(const struct acme_authz *a,
                                             const char *type)
{
	size_t i;

	for (i = 0; i < a->n_challenges; i++)
		if (strcmp(a->challenges[i].type, type) == 0)
			return &a->challenges[i];
	return NULL;
}

/* ---- renewal information (RFC 9773) ---- */

void acme_renewal_info_clear(struct acme_renewal_info *r)
{
	free(r->explanation_url);
	memset(r, 0, sizeof(*r));
}

int acme_parse_renewal_info(const char *body, size_t len,
                            struct acme_renewal_info *r,
                            char err[ACME_ERR_LEN])
{
	const char *what = "renewal information";
	json_t *root = load_object(body, len, what, err), *w, *s, *e;

	memset(r, 0, sizeof(*r));
	if (!root)
		return -1;
	w = json_object_get(root, "suggestedWindow");
	if (!json_is_object(w)) {
		fail(err, "%s: \"suggestedWindow\" is %s", what,
		     w ? "not an object" : "missing");
		goto bad;
	}
	s = json_object_get(w, "start");
	e = json_object_get(w, "end");
	if (!json_is_string(s) || !json_is_string(e)) {
		fail(err, "%s: window start and end must be strings", what);
		goto bad;
	}
	if (acme_parse_rfc3339(json_string_value(s), &r->start) < 0 ||
	    acme_parse_rfc3339(json_string_value(e), &r->end) < 0) {
		fail(err, "%s: window start or end is not an RFC 3339 date", what);
		goto bad;
	}
	if (r->end <= r->start) {
		fail(err, "%s: window ends before it starts", what);
		goto bad;
	}
	if (get_str(root, "explanationURL", ACME_URL_MAX, false,
		    &r->explanation_url, what, err) < 0)
		goto bad;
	json_decref(root);
	return 0;
bad:
	json_decref(root);
	acme_renewal_info_clear(r);
	return -1;
}

/* ---- dates ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool valid_date(unsigned y, unsigned mo, unsigned d, unsigned h,
                       unsigned mi, unsigned s)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
					  31, 30, 31 };

	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60)
		return false;
	return d <= mdays[mo - 1] + (mo == 2 && leap(y));
}

/* n decimal digits at *p; advances. */
static bool digits(const char **p, int n, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + (unsigned)((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

int acme_parse_rfc3339(const char *s, int64_t *out)
{
	unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
	int64_t t;
	int sign = 0, nfrac = 0;

	if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) ||
	    *s++ != '-' || !digits(&s, 2, &d) || (*s != 'T' && *s != 't'))
		return -1;
	s++;
	if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi) ||
	    *s++ != ':' || !digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9' && nfrac < 18) {
			s++;
			nfrac++;
		}
		if (nfrac == 0)
			return -1;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (!digits(&s, 2, &oh) || *s++ != ':' || !digits(&s, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*s || !valid_date(y, mo, d, h, mi, sec))
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (int64_t)(oh * 3600 + om * 60);
	*out = t;
	return 0;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static int parse_imf_fixdate(const char *s, int64_t *out)
{
	static const char *const wdays[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
					     "Sat", "Sun" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
					      "Jun", "Jul", "Aug", "Sep", "Oct",
					      "Nov", "Dec" };
	unsigned d, y, h, mi, sec, mo = 0, i;
	bool wd_ok = false;

	if (strlen(s) != 29)
		return -1;
	for (i = 0; i < 7; i++)
		wd_ok |= strncmp(s, wdays[i], 3) == 0;
	if (!wd_ok || s[3] != ',' || s[4] != ' ')
		return -1;
	s += 5;
	if (!digits(&s, 2, &d) || *s++ != ' ')
		return -1;
	for (i = 0; i < 12; i++)
		if (strncmp(s, months[i], 3) == 0)
			mo = i + 1;
	if (!mo || s[3] != ' ')
		return -1;
	s += 4;
	if (!digits(&s, 4, &y) || *s++ != ' ' || !digits(&s, 2, &h) ||
	    *s++ != ':' || !digits(&s, 2, &mi) || *s++ != ':' ||
	    !digits(&s, 2, &sec) || strcmp(s, " GMT") != 0 ||
	    !valid_date(y, mo, d, h, mi, sec))
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

/* Copies value without surrounding blanks into buf (cap bytes). */
static bool trimmed(const char *v, char *buf, size_t cap)
{
	size_t len;

	while (*v == ' ' || *v == '\t')
		v++;
	len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' ||
			   v[len - 1] == '\r' || v[len - 1] == '\n'))
		len--;
	if (len == 0 || len >= cap)
		return false;
	memcpy(buf, v, len);
	buf[len] = '\0';
	return true;
}

int acme_parse_retry_after(const char *value, int64_t now, int64_t *delay)
{
	char buf[64];
	int64_t t, v = 0;
	size_t i;

	if (!trimmed(value, buf, sizeof(buf)))
		return -1;
	if (buf[0] >= '0' && buf[0] <= '9') {
		for (i = 0; buf[i]; i++) {
			if (buf[i] < '0' || buf[i] > '9')
				return -1;
			if (v <= ACME_RETRY_AFTER_MAX)
				v = v * 10 + (buf[i] - '0');
		}
		*delay = v > ACME_RETRY_AFTER_MAX ? ACME_RETRY_AFTER_MAX : v;
		return 0;
	}
	if (parse_imf_fixdate(buf, &t) < 0)
		return -1;
	v = t - now;
	*delay = v < 0 ? 0 : v > ACME_RETRY_AFTER_MAX ? ACME_RETRY_AFTER_MAX : v;
	return 0;
}

int acme_parse_nonce(const char *value, char out[ACME_NONCE_MAX + 1])
{
	char buf[ACME_NONCE_MAX + 1];

	if (!trimmed(value, buf, sizeof(buf)) ||
	    !b64url_chars_ok(buf, strlen(buf)))
		return -1;
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

/* ---- Link (RFC 8288) ---- */

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Does the space-separated rel list [s, s+len) contain rel? */
static bool rel_has(const char *s, size_t len, const char *rel)
{
	size_t rl = strlen(rel), i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && s[j] != ' ')
			j++;
		if (j - i == rl && strncasecmp(s + i, rel, rl) == 0)
			return true;
		i = j + 1;
	}
	return false;
}

int acme_parse_link(const char *value, const char *rel,
                    void (*found)(void *ctx, const char *url), void *ctx)
{
	const char *p = value;
	int matches = 0;
	size_t total = strlen(value);

	if (total > 16 * ACME_URL_MAX)
		return -1;
	for (;;) {
		const char *url, *end;
		bool match = false;
		char urlbuf[ACME_URL_MAX + 1];

		p = skip_ows(p);
		if (*p != '<')
			return -1;
		url = ++p;
		end = strchr(url, '>');
		if (!end || (size_t)(end - url) > ACME_URL_MAX)
			return -1;
		p = end + 1;
		/* Parameters: ; name [= token | quoted-string] */
		for (;;) {
			const char *name, *val;
			size_t nlen, vlen = 0;

			p = skip_ows(p);
			if (*p != ';')
				break;
			p = skip_ows(p + 1);
			name = p;
			while (*p && (isalnum((unsigned char)*p) || *p == '-' ||
				      *p == '*' || *p == '_' || *p == '.'))
				p++;
			nlen = (size_t)(p - name);
			if (nlen == 0)
				return -1;
			p = skip_ows(p);
			val = NULL;
			if (*p == '=') {
				p = skip_ows(p + 1);
				if (*p == '"') {
					val = ++p;
					while (*p && *p != '"') {
						if (*p == '\\' && p[1])
							p++;
						p++;
					}
					if (*p != '"')
						return -1;
					vlen = (size_t)(p - val);
					p++;
				} else {
					val = p;
					while (*p && *p != ';' && *p != ',' &&
					       *p != ' ' && *p != '\t')
						p++;
					vlen = (size_t)(p - val);
				}
			}
			if (nlen == 3 && strncasecmp(name, "rel", 3) == 0 && val &&
			    rel_has(val, vlen, rel))
				match = true;
		}
		if (match) {
			memcpy(urlbuf, url, (size_t)(end - url));
			urlbuf[end - url] = '\0';
			if (acme_url_check(urlbuf) == NULL) {
				found(ctx, urlbuf);
				matches++;
			}
		}
		p = skip_ows(p);
		if (*p == '\0')
			return matches;
		if (*p != ',')
			return -1;
		p++;
	}
}

/* ---- ARI ---- */

char *acme_ari_cert_id(const unsigned char *aki, size_t aki_len,
                       const unsigned char *serial, size_t serial_len)
{
	unsigned char ser[65];
	size_t n = 0, i = 0, a, s;
	char *out;

	if (aki_len == 0 || aki_len > 64 || serial_len == 0 || serial_len > 64)
		return NULL;
	while (i + 1 < serial_len && serial[i] == 0)
		i++;
	if (serial[i] & 0x80)
		ser[n++] = 0;
	memcpy(ser + n, serial + i, serial_len - i);
	n += serial_len - i;
	a = b64url_encoded_len(aki_len);
	s = b64url_encoded_len(n);
	out = malloc(a + 1 + s + 1);
	if (!out)
		return NULL;
	b64url_encode(aki, aki_len, out);
	out[a] = '.';
	b64url_encode(ser, n, out + a + 1);
	return out;
}

/* ---- PEM chain ---- */

static bool b64_std_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int acme_pem_chain_check(const char *pem, size_t len, size_t *n_certs,
                         char err[ACME_ERR_LEN])
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	const size_t bl = sizeof(begin) - 1, el = sizeof(end) - 1;
	size_t pos = 0, n = 0;

	*n_certs = 0;
	if (len > (size_t)ACME_CHAIN_MAX * ACME_CERT_MAX * 2)
		return fail(err, "certificate chain: %zu bytes is too large", len);
	for (;;) {
		size_t chars = 0, pad = 0;

		while (pos < len && (pem[pos] == ' ' || pem[pos] == '\t' ||
				     pem[pos] == '\r' || pem[pos] == '\n'))
			pos++;
		if (pos == len)
			break;
		if (len - pos < bl || memcmp(pem + pos, begin, bl) != 0)
			return fail(err, "certificate chain: unexpected text at "
				    "byte %zu (only CERTIFICATE blocks allowed)", pos);
		if (++n > ACME_CHAIN_MAX)
			return fail(err, "certificate chain: more than %d "
				    "certificates", ACME_CHAIN_MAX);
		pos += bl;
		for (;;) {
			char c;

			if (pos == len)
				return fail(err, "certificate chain: block %zu "
					    "has no END line", n);
			c = pem[pos];
			if (c == '-')
				break;
			pos++;
			if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
				continue;
			if (c == '=' && chars > 0) {
				pad++;
			} else if (b64_std_char(c) && pad == 0) {
				chars++;
			} else {
				return fail(err, "certificate chain: block %zu "
					    "has a byte that is not base64", n);
			}
			if (pad > 2 || chars / 4 * 3 > ACME_CERT_MAX)
				return fail(err, "certificate chain: block %zu "
					    "is malformed or too large", n);
		}
		if ((chars + pad) % 4 != 0 || chars == 0)
			return fail(err, "certificate chain: block %zu has a "
				    "truncated base64 body", n);
		if (len - pos < el || memcmp(pem + pos, end, el) != 0)
			return fail(err, "certificate chain: block %zu has a bad "
				    "END line", n);
		pos += el;
	}
	if (n == 0)
		return fail(err, "certificate chain: no certificate");
	*n_certs = n;
	return 0;
}
